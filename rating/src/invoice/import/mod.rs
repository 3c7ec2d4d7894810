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
mod ups;

use std::collections::{HashMap, VecDeque};
use std::io::Read;

use rust_decimal::Decimal;
use serde::Serialize;
use shiphub_carriers::model::{Currency, Dimensions, LengthUnit, Weight, WeightUnit};
use time::Date;

pub use generic::{ColumnMapping, MappingError};

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

/// One parsed row, before grouping.
#[derive(Debug, Default)]
pub(crate) struct Row {
    pub tracking_number: String,
    pub invoice_number: String,
    pub invoice_date: Option<Date>,
    pub ship_date: Option<Date>,
    pub delivered_on: Option<Date>,
    pub reference: Option<String>,
    pub service: Option<String>,
    pub service_name: Option<String>,
    pub currency: Option<Currency>,
    pub entered_weight: Option<Weight>,
    pub billed_weight: Option<Weight>,
    pub billed_dimensions: Option<Dimensions>,
    pub zone: Option<String>,
    pub charges: Vec<InvoiceCharge>,
}

/// What a layout makes of a record.
pub(crate) enum Parsed {
    /// A package's charge line(s).
    Package(Box<Row>),
    /// A charge without a package.
    InvoiceLevel(InvoiceLevelCharge),
    /// Header or invoice summary line: nothing to import.
    Skip,
}

/// Streams packages out of an invoice file.
pub struct InvoiceReader<R: Read> {
    csv: csv::Reader<R>,
    format: InvoiceFormat,
    generic: Option<generic::Resolved>,
    record: csv::StringRecord,
    open: HashMap<(String, String), InvoicePackage>,
    order: VecDeque<(String, String)>,
    ready: VecDeque<InvoicePackage>,
    current_invoice: String,
    summary: ImportSummary,
    done: bool,
}

impl<R: Read> InvoiceReader<R> {
    /// A reader over `input` in `format`. Nothing is read until the first batch.
    pub fn new(format: InvoiceFormat, input: R) -> Self {
        let delimiter = match &format {
            InvoiceFormat::Generic(m) => m.delimiter_byte(),
            _ => b',',
        };
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(input);
        Self {
            csv,
            format,
            generic: None,
            record: csv::StringRecord::new(),
            open: HashMap::new(),
            order: VecDeque::new(),
            ready: VecDeque::new(),
            current_invoice: String::new(),
            summary: ImportSummary::default(),
            done: false,
        }
    }

    /// What has been read so far; complete once `next_batch` returned an empty batch.
    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    /// Up to `max` packages, in the order they opened; an empty batch at the end of the file.
    pub fn next_batch(&mut self, max: usize) -> Result<Vec<InvoicePackage>, ImportError> {
        let mut out = Vec::with_capacity(max.min(4096));
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
            if let Some(p) = self.ready.pop_front() {
                self.summary.packages += 1;
                return Ok(Some(p));
            }
            if self.done {
                return Ok(None);
            }
            self.read_one()?;
        }
    }

    fn read_one(&mut self) -> Result<(), ImportError> {
        let line = self.summary.lines + 1;
        let more = self
            .csv
            .read_record(&mut self.record)
            .map_err(|source| match source.kind() {
                csv::ErrorKind::Utf8 { .. } => None,
                _ => Some(source),
            });
        let more = match more {
            Ok(m) => m,
            Err(None) => {
                // Not UTF-8: report the row and go on (the reader has consumed it).
                self.summary.lines += 1;
                self.error(line, "the line is not valid UTF-8".into());
                return Ok(());
            }
            Err(Some(source)) => return Err(ImportError::Read { line, source }),
        };
        if !more {
            self.done = true;
            self.flush_all();
            return Ok(());
        }
        // Quoted fields may span lines: the csv position gives the line the record started on.
        let line = self.record.position().map(|p| p.line()).unwrap_or(line);
        self.summary.lines = self.csv.position().line().saturating_sub(1).max(line);
        if self.record.iter().all(|f| f.trim().is_empty()) {
            return Ok(());
        }
        let parsed = match &self.format {
            InvoiceFormat::Ups => ups::parse(&self.record, line),
            InvoiceFormat::Fedex { currency } => fedex::parse(&self.record, line, *currency),
            InvoiceFormat::DhlExpress => dhl::parse(&self.record, line),
            InvoiceFormat::Generic(mapping) => match &self.generic {
                None => match generic::Resolved::from_header(mapping, &self.record) {
                    Ok(r) => {
                        let skip = mapping.header;
                        self.generic = Some(r);
                        if skip {
                            Ok(Parsed::Skip)
                        } else {
                            self.generic
                                .as_ref()
                                .expect("just set")
                                .parse(&self.record, line)
                        }
                    }
                    Err(e) => Err(e),
                },
                Some(r) => r.parse(&self.record, line),
            },
        };
        match parsed {
            Ok(Parsed::Skip) => {}
            Ok(Parsed::InvoiceLevel(c)) => self.invoice_level(c),
            Ok(Parsed::Package(row)) => self.add_row(*row),
            Err(message) => self.error(line, message),
        }
        Ok(())
    }

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

    fn add_row(&mut self, row: Row) {
        self.summary.charge_lines += row.charges.len() as u64;
        if row.invoice_number != self.current_invoice {
            // A new invoice: packages of the previous one are complete.
            self.flush_all();
            self.current_invoice.clone_from(&row.invoice_number);
        }
        let key = (row.invoice_number.clone(), row.tracking_number.clone());
        let original = |c: &InvoiceCharge| c.category == ChargeCategory::Base && !c.adjustment;
        if let Some(p) = self.open.get_mut(&key) {
            if !(row.charges.iter().any(original) && p.charges.iter().any(original)) {
                merge(p, row);
                return;
            }
            // The shipment charge billed a second time: a separate record, so the auditor
            // sees the duplicate instead of one package with double freight.
            let first = self.open.remove(&key).expect("present");
            self.ready.push_back(first);
        }
        let carrier = self.format.carrier();
        let pkg = InvoicePackage {
            carrier,
            tracking_number: row.tracking_number,
            reference: row.reference,
            service: row.service,
            service_name: row.service_name,
            invoice_number: row.invoice_number,
            invoice_date: row.invoice_date,
            ship_date: row.ship_date,
            delivered_on: row.delivered_on,
            currency: row.currency.unwrap_or(Currency::USD),
            entered_weight: row.entered_weight,
            billed_weight: row.billed_weight,
            billed_dimensions: row.billed_dimensions,
            zone: row.zone,
            charges: row.charges,
        };
        self.open.insert(key.clone(), pkg);
        self.order.push_back(key);
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
fn merge(p: &mut InvoicePackage, row: Row) {
    fn fill<T>(slot: &mut Option<T>, v: Option<T>) {
        if slot.is_none() {
            *slot = v;
        }
    }
    fill(&mut p.reference, row.reference);
    fill(&mut p.service, row.service);
    fill(&mut p.service_name, row.service_name);
    fill(&mut p.invoice_date, row.invoice_date);
    fill(&mut p.ship_date, row.ship_date);
    fill(&mut p.delivered_on, row.delivered_on);
    fill(&mut p.entered_weight, row.entered_weight);
    fill(&mut p.zone, row.zone);
    let corrects = row.charges.iter().any(|c| c.adjustment);
    match (row.billed_weight, corrects) {
        (Some(w), true) => p.billed_weight = Some(w),
        (w, _) => fill(&mut p.billed_weight, w),
    }
    match (row.billed_dimensions, corrects) {
        (Some(d), true) => p.billed_dimensions = Some(d),
        (d, _) => fill(&mut p.billed_dimensions, d),
    }
    p.charges.extend(row.charges);
}

// ---- field helpers shared by the layouts ----

/// Field at 1-based `pos`, trimmed; empty string when the row is shorter.
pub(crate) fn col(rec: &csv::StringRecord, pos: usize) -> &str {
    rec.get(pos - 1).map(str::trim).unwrap_or("")
}

pub(crate) fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// A decimal amount; empty is zero. Thousands separators are not part of these layouts.
pub(crate) fn amount(s: &str, name: &str) -> Result<Decimal, String> {
    if s.is_empty() {
        return Ok(Decimal::ZERO);
    }
    s.parse::<Decimal>()
        .map_err(|_| format!("{name}: {s:?} is not an amount"))
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
    match s.to_ascii_uppercase().as_str() {
        "L" | "LB" | "LBS" => Some(WeightUnit::Lb),
        "K" | "KG" | "KGS" => Some(WeightUnit::Kg),
        "O" | "OZ" => Some(WeightUnit::Oz),
        "G" => Some(WeightUnit::G),
        _ => None,
    }
}

pub(crate) fn length_unit(s: &str) -> Option<LengthUnit> {
    match s.to_ascii_uppercase().as_str() {
        "I" | "IN" | "INCH" | "INCHES" => Some(LengthUnit::In),
        "C" | "CM" => Some(LengthUnit::Cm),
        _ => None,
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
    let parts: Vec<&str> = s.split(['x', 'X', '*']).map(str::trim).collect();
    let bad = || format!("{name}: {s:?} is not L x W x H");
    if parts.len() != 3 {
        return Err(bad());
    }
    let n = |t: &str| t.parse::<Decimal>().map_err(|_| bad());
    let (l, w, h) = (n(parts[0])?, n(parts[1])?, n(parts[2])?);
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
