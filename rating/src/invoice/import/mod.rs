//! Streaming import: a `csv::Reader` over any `Read`, one record at a time, charge lines of a
//! package grouped in a bounded window. Memory is flat in the file size: the window holds at
//! most [`WINDOW`] open packages and the error list at most [`MAX_ERRORS`] entries.
//!
//! Grouping: carriers list a package's charge lines together, except that UPS puts
//! adjustments (address correction, shipping charge correction) and invoice-level fees in
//! between. Rows are grouped by (invoice number, tracking number) while the package is in the
//! window; a package leaves the window when [`WINDOW`] newer packages have opened after it,
//! when its invoice ends, or at the end of the file. A line that arrives after its package
//! left starts a new record of the same package, which the auditor sees as a second billing
//! only if it bills the original shipment charge again.

mod dhl;
mod fedex;
mod generic;
mod source;
mod ups;

use std::collections::{HashMap, VecDeque};
use std::io::Read;

use rust_decimal::Decimal;
use serde::Serialize;
use shiphub_carriers::model::{Currency, Dimensions, LengthUnit, Weight, WeightUnit};
use time::Date;

pub use generic::{ColumnMapping, MappingError};
use source::Source;
pub(crate) use source::{FxBuild, Rec};

use super::{ChargeCategory, InvoiceCarrier, InvoiceCharge, InvoicePackage};

/// Packages open at once while grouping.
pub const WINDOW: usize = 1024;
/// Row errors kept; the count goes on past it.
pub const MAX_ERRORS: usize = 1000;

/// The layout of a file.
#[derive(Clone, Debug)]
pub enum InvoiceFormat {
    /// UPS Billing Data, 250 columns, no header row (a header row is skipped if present).
    Ups,
    /// FedEx Billing Online CSV with its header row. The layout has no currency column:
    /// amounts are in `currency` (the account's billing currency).
    Fedex {
        /// Billing currency of the account.
        currency: Currency,
    },
    /// DHL Express e-billing CSV (`I` header and `S` shipment lines).
    DhlExpress,
    /// Any CSV, described by a mapping file.
    Generic(Box<ColumnMapping>),
}

impl InvoiceFormat {
    /// The carrier whose rules apply.
    pub fn carrier(&self) -> InvoiceCarrier {
        match self {
            InvoiceFormat::Ups => InvoiceCarrier::Ups,
            InvoiceFormat::Fedex { .. } => InvoiceCarrier::Fedex,
            InvoiceFormat::DhlExpress => InvoiceCarrier::DhlExpress,
            InvoiceFormat::Generic(m) => m.carrier,
        }
    }
}

/// A row that could not be read; the import carries on without it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line number in the file.
    pub line: u64,
    /// What was wrong, naming the column.
    pub message: String,
}

/// A failure that stops the import (the input itself could not be read).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the input failed.
    #[error("reading the invoice failed at line {line}: {source}")]
    Read {
        /// Line reached.
        line: u64,
        /// The csv/io error.
        #[source]
        source: csv::Error,
    },
}

/// What the import has seen so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    /// Lines read (including header and skipped lines).
    pub lines: u64,
    /// Charge lines attributed to packages.
    pub charge_lines: u64,
    /// Packages emitted.
    pub packages: u64,
    /// Rows that could not be read (total, including those past the cap).
    pub error_count: u64,
    /// The first [`MAX_ERRORS`] of them.
    pub errors: Vec<RowError>,
    /// Invoice-level charges (no tracking number: payment processing fees, service charges),
    /// summed per (invoice number, description); few per invoice.
    pub invoice_level: Vec<InvoiceLevelCharge>,
}

/// A charge billed to the invoice rather than a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvoiceLevelCharge {
    /// Invoice number.
    pub invoice_number: String,
    /// Carrier's description.
    pub description: String,
    /// Sum billed.
    pub amount: Decimal,
}

/// One parsed row, before grouping: text borrowed from the record (owned only when a
/// package opens or a field fills an empty slot), charges in the reader's scratch list.
#[derive(Debug, Default)]
pub(crate) struct Row<'a> {
    /// The carrier account billed, where the layout says.
    pub account: Option<&'a str>,
    pub tracking_number: &'a str,
    pub invoice_number: &'a str,
    pub invoice_date: Option<Date>,
    pub ship_date: Option<Date>,
    pub delivered_on: Option<Date>,
    pub reference: Option<&'a str>,
    pub service: Option<&'a str>,
    pub service_name: Option<&'a str>,
    pub currency: Option<Currency>,
    pub entered_weight: Option<Weight>,
    pub billed_weight: Option<Weight>,
    pub billed_dimensions: Option<Dimensions>,
    pub zone: Option<&'a str>,
}

/// What a layout makes of a record.
pub(crate) enum Parsed<'a> {
    /// A package's charge line(s) (the charges are in the scratch list).
    Package(Row<'a>),
    /// A charge without a package.
    InvoiceLevel(InvoiceLevelCharge),
    /// Header or invoice summary line: nothing to import.
    Skip,
}

/// What parsing a record may reuse: the charge list and a currency cache (the currency
/// table is searched linearly; a file uses one or two codes).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub charges: Vec<InvoiceCharge>,
    currencies: Vec<(String, Currency)>,
}

impl Scratch {
    pub(crate) fn currency(&mut self, s: &str, name: &str) -> Result<Option<Currency>, String> {
        if s.is_empty() {
            return Ok(None);
        }
        if let Some((_, c)) = self.currencies.iter().find(|(k, _)| k == s) {
            return Ok(Some(*c));
        }
        let c = currency(s, name)?;
        if let Some(c) = c
            && self.currencies.len() < 16
        {
            self.currencies.push((s.to_owned(), c));
        }
        Ok(c)
    }
}

/// Streams packages out of an invoice file.
pub struct InvoiceReader<R: Read> {
    src: Source<R>,
    format: InvoiceFormat,
    generic: Option<generic::Resolved>,
    scratch: Scratch,
    group: Grouper,
    done: bool,
}

/// Packages being grouped, keyed by tracking number: every open package is of the current
/// invoice (a new invoice closes them all), so the tracking number alone tells them apart.
struct Grouper {
    carrier: InvoiceCarrier,
    open: HashMap<String, InvoicePackage, FxBuild>,
    order: VecDeque<String>,
    ready: VecDeque<InvoicePackage>,
    current_invoice: String,
    summary: ImportSummary,
}

impl<R: Read> InvoiceReader<R> {
    /// A reader over `input` in `format`. Nothing is read until the first batch.
    pub fn new(format: InvoiceFormat, input: R) -> Self {
        let delimiter = match &format {
            InvoiceFormat::Generic(m) => m.delimiter_byte(),
            _ => b',',
        };
        Self {
            src: Source::new(input, delimiter),
            generic: None,
            scratch: Scratch::default(),
            group: Grouper {
                carrier: format.carrier(),
                open: HashMap::with_capacity_and_hasher(WINDOW * 2, FxBuild::default()),
                order: VecDeque::with_capacity(WINDOW + 1),
                ready: VecDeque::new(),
                current_invoice: String::new(),
                summary: ImportSummary::default(),
            },
            format,
            done: false,
        }
    }

    /// What has been read so far; complete once `next_batch` returned an empty batch.
    pub fn summary(&self) -> &ImportSummary {
        &self.group.summary
    }

    /// Up to `max` packages, in the order they opened; an empty batch at the end of the file.
    pub fn next_batch(&mut self, max: usize) -> Result<Vec<InvoicePackage>, ImportError> {
        let mut out = Vec::with_capacity(max.min(16_384));
        while out.len() < max.max(1) {
            match self.next_package()? {
                Some(p) => out.push(p),
                None => break,
            }
        }
        Ok(out)
    }

    /// The next package, or `None` at the end of the file.
    pub fn next_package(&mut self) -> Result<Option<InvoicePackage>, ImportError> {
        loop {
            if let Some(p) = self.group.ready.pop_front() {
                self.group.summary.packages += 1;
                return Ok(Some(p));
            }
            if self.done {
                return Ok(None);
            }
            self.read_one()?;
        }
    }

    fn read_one(&mut self) -> Result<(), ImportError> {
        let at = self.group.summary.lines + 1;
        let line = match self.src.next() {
            Ok(Some(line)) => line,
            Ok(None) => {
                self.done = true;
                self.group.flush_all();
                return Ok(());
            }
            Err(e) => {
                return Err(ImportError::Read {
                    line: at,
                    source: csv::Error::from(e),
                });
            }
        };
        // Quoted fields may span lines: `line` is where the record started.
        self.group.summary.lines = self.src.newlines().max(line);
        let rec = self.src.record();
        if rec.is_blank() {
            return Ok(());
        }
        let scratch = &mut self.scratch;
        scratch.charges.clear();
        let parsed = match &self.format {
            InvoiceFormat::Ups => ups::parse(&rec, line, scratch),
            InvoiceFormat::Fedex { currency } => fedex::parse(&rec, line, *currency, scratch),
            InvoiceFormat::DhlExpress => dhl::parse(&rec, line, scratch),
            InvoiceFormat::Generic(mapping) => match &self.generic {
                None => match generic::Resolved::from_header(mapping, &rec) {
                    Ok(r) => {
                        let skip = mapping.header;
                        let r = self.generic.insert(r);
                        if skip {
                            Ok(Parsed::Skip)
                        } else {
                            r.parse(&rec, line, scratch)
                        }
                    }
                    Err(e) => Err(e),
                },
                Some(r) => r.parse(&rec, line, scratch),
            },
        };
        match parsed {
            Ok(Parsed::Skip) => {}
            Ok(Parsed::InvoiceLevel(c)) => self.group.invoice_level(c),
            Ok(Parsed::Package(row)) => self.group.add_row(row, &mut self.scratch.charges),
            Err(message) => self.group.error(line, message),
        }
        Ok(())
    }
}

impl Grouper {
    fn error(&mut self, line: u64, message: String) {
        self.summary.error_count += 1;
        if self.summary.errors.len() < MAX_ERRORS {
            self.summary.errors.push(RowError { line, message });
        }
    }

    fn invoice_level(&mut self, c: InvoiceLevelCharge) {
        let list = &mut self.summary.invoice_level;
        let found = list
            .iter()
            .position(|x| x.invoice_number == c.invoice_number && x.description == c.description);
        match found {
            Some(i) => list[i].amount += c.amount,
            // Bounded like the errors: a file of nothing but fees would otherwise grow it.
            None if list.len() < MAX_ERRORS => list.push(c),
            None => {}
        }
    }

    fn add_row(&mut self, row: Row<'_>, charges: &mut Vec<InvoiceCharge>) {
        self.summary.charge_lines += charges.len() as u64;
        if row.invoice_number != self.current_invoice {
            // A new invoice: packages of the previous one are complete.
            self.flush_all();
            self.current_invoice.clear();
            self.current_invoice.push_str(row.invoice_number);
        }
        let original = |c: &InvoiceCharge| c.category == ChargeCategory::Base && !c.adjustment;
        if let Some(p) = self.open.get_mut(row.tracking_number) {
            if !(charges.iter().any(original) && p.charges.iter().any(original)) {
                merge(p, row, charges);
                return;
            }
            // The shipment charge billed a second time: a separate record, so the auditor
            // sees the duplicate instead of one package with double freight.
            let first = self.open.remove(row.tracking_number).expect("present");
            self.ready.push_back(first);
        }
        let own = |s: Option<&str>| s.map(str::to_owned);
        let mut list = Vec::with_capacity(charges.len().max(4));
        list.append(charges);
        let pkg = InvoicePackage {
            account: own(row.account),
            carrier: self.carrier,
            tracking_number: row.tracking_number.to_owned(),
            reference: own(row.reference),
            service: own(row.service),
            service_name: own(row.service_name),
            invoice_number: self.current_invoice.clone(),
            invoice_date: row.invoice_date,
            ship_date: row.ship_date,
            delivered_on: row.delivered_on,
            currency: row.currency.unwrap_or(Currency::USD),
            entered_weight: row.entered_weight,
            billed_weight: row.billed_weight,
            billed_dimensions: row.billed_dimensions,
            zone: own(row.zone),
            charges: list,
        };
        self.open.insert(row.tracking_number.to_owned(), pkg);
        self.order.push_back(row.tracking_number.to_owned());
        while self.order.len() > WINDOW {
            let oldest = self.order.pop_front().expect("non-empty");
            if let Some(p) = self.open.remove(&oldest) {
                self.ready.push_back(p);
            }
        }
    }

    fn flush_all(&mut self) {
        while let Some(k) = self.order.pop_front() {
            if let Some(p) = self.open.remove(&k) {
                self.ready.push_back(p);
            }
        }
    }
}

impl<R: Read> Iterator for InvoiceReader<R> {
    type Item = Result<InvoicePackage, ImportError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_package().transpose()
    }
}

/// Later lines fill what earlier ones left empty; a billed weight or dimension on a later
/// line (a shipping charge correction) replaces the original, since it is what was billed.
fn merge(p: &mut InvoicePackage, row: Row<'_>, charges: &mut Vec<InvoiceCharge>) {
    fn fill<T>(slot: &mut Option<T>, v: Option<T>) {
        if slot.is_none() {
            *slot = v;
        }
    }
    fn fill_str(slot: &mut Option<String>, v: Option<&str>) {
        if slot.is_none() {
            *slot = v.map(str::to_owned);
        }
    }
    fill_str(&mut p.reference, row.reference);
    fill_str(&mut p.service, row.service);
    fill_str(&mut p.service_name, row.service_name);
    fill(&mut p.invoice_date, row.invoice_date);
    fill(&mut p.ship_date, row.ship_date);
    fill(&mut p.delivered_on, row.delivered_on);
    fill(&mut p.entered_weight, row.entered_weight);
    fill_str(&mut p.zone, row.zone);
    let corrects = charges.iter().any(|c| c.adjustment);
    match (row.billed_weight, corrects) {
        (Some(w), true) => p.billed_weight = Some(w),
        (w, _) => fill(&mut p.billed_weight, w),
    }
    match (row.billed_dimensions, corrects) {
        (Some(d), true) => p.billed_dimensions = Some(d),
        (d, _) => fill(&mut p.billed_dimensions, d),
    }
    p.charges.append(charges);
}

// ---- field helpers shared by the layouts ----

pub(crate) fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// `-?digits[.digits]` with at most 18 digits, as `str::parse::<Decimal>` reads it (same
/// value and scale); anything else is left to it.
fn fast_decimal(s: &str) -> Option<Decimal> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.first().is_none_or(|c| !c.is_ascii_digit()) || digits.last() == Some(&b'.') {
        return None;
    }
    let (mut m, mut n, mut scale, mut dot) = (0i64, 0u32, 0u32, false);
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                m = m * 10 + i64::from(c - b'0');
                n += 1;
                scale += u32::from(dot);
                if n > 18 {
                    return None;
                }
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    if neg && m == 0 {
        return None;
    }
    Some(Decimal::new(if neg { -m } else { m }, scale))
}

/// A decimal as `str::parse` reads it, fast for plain amounts.
pub(crate) fn dec(s: &str) -> Option<Decimal> {
    fast_decimal(s).or_else(|| s.parse::<Decimal>().ok())
}

/// A decimal amount; empty is zero. Thousands separators are not part of these layouts.
pub(crate) fn amount(s: &str, name: &str) -> Result<Decimal, String> {
    if s.is_empty() {
        return Ok(Decimal::ZERO);
    }
    dec(s).ok_or_else(|| format!("{name}: {s:?} is not an amount"))
}

/// [`amount`] with the column's name built only for the error.
pub(crate) fn amount_named(s: &str, name: impl FnOnce() -> String) -> Result<Decimal, String> {
    if s.is_empty() {
        return Ok(Decimal::ZERO);
    }
    dec(s).ok_or_else(|| format!("{}: {s:?} is not an amount", name()))
}

/// Dates as the layouts write them: `YYYY-MM-DD` (UPS), `YYYYMMDD` (FedEx), `DD/MM/YYYY` or
/// `DD.MM.YYYY` (DHL e-billing, day first as DHL's European billing centres write it).
pub(crate) fn date(s: &str, name: &str) -> Result<Option<Date>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || format!("{name}: {s:?} is not a date");
    let num = |t: &str| t.parse::<i32>().map_err(|_| bad());
    let (y, m, d) = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        (num(&s[..4])?, num(&s[4..6])?, num(&s[6..])?)
    } else if s.len() == 10 && (s.as_bytes()[4] == b'-') {
        (num(&s[..4])?, num(&s[5..7])?, num(&s[8..])?)
    } else if s.len() == 10 && matches!(s.as_bytes()[2], b'/' | b'.') {
        (num(&s[6..])?, num(&s[3..5])?, num(&s[..2])?)
    } else {
        return Err(bad());
    };
    let month = time::Month::try_from(u8::try_from(m).map_err(|_| bad())?).map_err(|_| bad())?;
    Date::from_calendar_date(y, month, u8::try_from(d).map_err(|_| bad())?)
        .map(Some)
        .map_err(|_| bad())
}

pub(crate) fn currency(s: &str, name: &str) -> Result<Option<Currency>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<Currency>()
        .map(Some)
        .map_err(|_| format!("{name}: {s:?} is not an ISO 4217 currency"))
}

/// Weight units as carriers write them: `L`/`LB`/`LBS`, `K`/`KG`/`KGS`, `O`/`OZ`.
pub(crate) fn weight_unit(s: &str) -> Option<WeightUnit> {
    let is = |w: &str| s.eq_ignore_ascii_case(w);
    if is("L") || is("LB") || is("LBS") {
        Some(WeightUnit::Lb)
    } else if is("K") || is("KG") || is("KGS") {
        Some(WeightUnit::Kg)
    } else if is("O") || is("OZ") {
        Some(WeightUnit::Oz)
    } else if is("G") {
        Some(WeightUnit::G)
    } else {
        None
    }
}

pub(crate) fn length_unit(s: &str) -> Option<LengthUnit> {
    let is = |w: &str| s.eq_ignore_ascii_case(w);
    if is("I") || is("IN") || is("INCH") || is("INCHES") {
        Some(LengthUnit::In)
    } else if is("C") || is("CM") {
        Some(LengthUnit::Cm)
    } else {
        None
    }
}

/// A weight; zero or empty means "not stated" (UPS writes `0.0` on every non-freight line).
pub(crate) fn weight(
    v: &str,
    unit: Option<WeightUnit>,
    name: &str,
) -> Result<Option<Weight>, String> {
    let value = amount(v, name)?;
    if value <= Decimal::ZERO {
        return Ok(None);
    }
    let unit = unit.ok_or_else(|| format!("{name}: {v} has no unit of measure"))?;
    Weight::new(value, unit)
        .map(Some)
        .map_err(|e| format!("{name}: {e}"))
}

/// `L x W x H` as the layouts write it (`23.0x 18.0x 11.0`, `30X20X10`, `30*20*10`).
pub(crate) fn dimensions(
    s: &str,
    unit: LengthUnit,
    name: &str,
) -> Result<Option<Dimensions>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || format!("{name}: {s:?} is not L x W x H");
    let mut parts = s.split(['x', 'X', '*']).map(str::trim);
    let (Some(l), Some(w), Some(h), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let n = |t: &str| dec(t).ok_or_else(bad);
    let (l, w, h) = (n(l)?, n(w)?, n(h)?);
    if l.is_zero() && w.is_zero() && h.is_zero() {
        return Ok(None);
    }
    Dimensions::new(l, w, h, unit)
        .map(Some)
        .map_err(|e| format!("{name}: {e}"))
}

pub(crate) fn dims3(
    l: &str,
    w: &str,
    h: &str,
    unit: LengthUnit,
    name: &str,
) -> Result<Option<Dimensions>, String> {
    let (l, w, h) = (amount(l, name)?, amount(w, name)?, amount(h, name)?);
    if l.is_zero() && w.is_zero() && h.is_zero() {
        return Ok(None);
    }
    Dimensions::new(l, w, h, unit)
        .map(Some)
        .map_err(|e| format!("{name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_decimals_read_as_decimal_parse_reads_them() {
        for s in [
            "0",
            "0.0",
            "0.00",
            "13.04",
            "-1.00",
            "-0.00",
            "-0",
            "007.50",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567.8",
            "0.000000000",
            "5.",
            ".5",
            "-.5",
            "+1.5",
            "1e3",
            "1_000",
            "--1",
            "-",
            "1.2.3",
            "12.3456789012345678",
        ] {
            let want = s.parse::<Decimal>().ok();
            let got = dec(s);
            assert_eq!(got, want, "{s}");
            if let (Some(g), Some(w)) = (got, want) {
                assert_eq!(
                    (g.to_string(), g.scale(), g.is_sign_negative()),
                    (w.to_string(), w.scale(), w.is_sign_negative()),
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn units_read_in_any_case() {
        assert_eq!(weight_unit("lbs"), Some(WeightUnit::Lb));
        assert_eq!(weight_unit("Kg"), Some(WeightUnit::Kg));
        assert_eq!(weight_unit("oz"), Some(WeightUnit::Oz));
        assert_eq!(weight_unit("g"), Some(WeightUnit::G));
        assert_eq!(weight_unit("st"), None);
        assert_eq!(length_unit("inches"), Some(LengthUnit::In));
        assert_eq!(length_unit("cm"), Some(LengthUnit::Cm));
        assert_eq!(length_unit("m"), None);
    }
}
