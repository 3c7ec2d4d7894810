//! Reports, written as packages are audited: nothing here holds the lines. [`CsvReport`]
//! (one row per charge line, with the package's reason codes), [`JsonReport`] (lines then
//! summary), [`DisputeExport`] (one carrier's claims), and [`ReportSummary`], a bounded
//! accumulator (totals by carrier and reason, recoverable by week, top lines) that the JSON
//! and PDF reports end with.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::io::Write;

use rust_decimal::Decimal;
use serde::Serialize;
use time::Date;

use super::InvoiceCarrier;
use super::audit::{AuditedPackage, MatchedBy, Reason};

/// Billed, expected, disputed and recoverable amounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Packages.
    pub packages: u64,
    /// Billed.
    pub billed: Decimal,
    /// Expected (packages with an expected amount).
    pub expected: Decimal,
    /// Billed amount of packages under dispute.
    pub disputed: Decimal,
    /// Recoverable.
    pub recoverable: Decimal,
}

/// One line of the top-lines table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TopLine {
    /// Recoverable on the package.
    pub recoverable: Decimal,
    /// Carrier.
    pub carrier: InvoiceCarrier,
    /// Tracking number.
    pub tracking_number: String,
    /// Invoice number.
    pub invoice_number: String,
    /// First line in the file.
    pub line: u64,
    /// Reason codes.
    pub reasons: Vec<Reason>,
    /// Its charge lines, as billed.
    pub charges: Vec<TopCharge>,
}

/// One billed charge line of a top line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TopCharge {
    /// Its line in the file.
    pub line: u64,
    /// The carrier's words for it (`运费`, `Fuel Surcharge`).
    pub description: String,
    pub amount: Decimal,
}

/// What one charge (by its carrier's description) was billed in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChargeTotal {
    /// Charge lines with this description.
    pub lines: u64,
    pub billed: Decimal,
}

/// Distinct charge descriptions kept in [`ReportSummary::by_charge`]; the rest are counted
/// under [`OTHER_CHARGES`] (a mapped layout may describe every line differently).
pub const CHARGE_KINDS: usize = 200;

/// Where charges past [`CHARGE_KINDS`] descriptions are counted.
pub const OTHER_CHARGES: &str = "(other charges)";

/// Lines kept in [`ReportSummary::top`].
pub const TOP_LINES: usize = 25;

/// Invoice numbers kept in [`ReportSummary::invoices`] (a file may hold one per week for a
/// year; a mapped layout could hold one per line).
pub const INVOICES_KEPT: usize = 60;

/// Carrier accounts kept in [`ReportSummary::accounts`].
pub const ACCOUNTS_KEPT: usize = 12;

/// Totals of a reconciliation, in bounded memory (carriers × reasons × weeks).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReportSummary {
    /// Currency of the amounts (the first package's; mixed currencies are counted in
    /// `other_currency_packages` and left out of the amounts).
    pub currency: Option<String>,
    /// Everything.
    pub total: Totals,
    /// Per carrier.
    pub by_carrier: BTreeMap<InvoiceCarrier, Totals>,
    /// Per carrier and reason: findings' packages, billed, recoverable.
    pub by_carrier_reason: BTreeMap<InvoiceCarrier, BTreeMap<Reason, Totals>>,
    /// Recoverable per reason.
    pub by_reason: BTreeMap<Reason, Decimal>,
    /// Recoverable per ISO week (Monday of the week of the ship date, else invoice date).
    pub by_week: BTreeMap<Date, Decimal>,
    /// Billed per charge description (in the carrier's words), at most [`CHARGE_KINDS`]
    /// of them.
    pub by_charge: BTreeMap<String, ChargeTotal>,
    /// Packages in another currency than `currency`.
    pub other_currency_packages: u64,
    /// The invoices billed (the first [`INVOICES_KEPT`] distinct numbers, in order).
    pub invoices: BTreeSet<String>,
    /// More invoices than those were billed.
    pub more_invoices: bool,
    /// The carrier accounts billed, where the layout says (at most [`ACCOUNTS_KEPT`]).
    pub accounts: BTreeSet<String>,
    /// First and last day billed (ship date, else invoice date): the period.
    pub first_day: Option<Date>,
    pub last_day: Option<Date>,
    /// The lines with most to recover, largest first (see [`ReportSummary::top`]).
    #[serde(rename = "top", serialize_with = "ser_top")]
    heap: BinaryHeap<Reverse<TopLine>>,
}

impl ReportSummary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one audited package.
    pub fn add(&mut self, a: &AuditedPackage) {
        let p = &a.package;
        if !self.invoices.contains(&p.invoice_number) {
            if self.invoices.len() < INVOICES_KEPT {
                self.invoices.insert(p.invoice_number.clone());
            } else {
                self.more_invoices = true;
            }
        }
        if let Some(acct) = &p.account
            && self.accounts.len() < ACCOUNTS_KEPT
            && !self.accounts.contains(acct)
        {
            self.accounts.insert(acct.clone());
        }
        if let Some(day) = p.ship_date.or(p.invoice_date) {
            self.first_day = Some(self.first_day.map_or(day, |d| d.min(day)));
            self.last_day = Some(self.last_day.map_or(day, |d| d.max(day)));
        }
        let cur = p.currency.as_str();
        match &self.currency {
            None => self.currency = Some(cur.to_owned()),
            Some(c) if c != cur => {
                self.other_currency_packages += 1;
                return;
            }
            Some(_) => {}
        }
        let recoverable = a.recoverable();
        let disputed = if a.disputed() {
            a.billed
        } else {
            Decimal::ZERO
        };
        let add = |t: &mut Totals| {
            t.packages += 1;
            t.billed += a.billed;
            t.expected += a.expected.unwrap_or_default();
            t.disputed += disputed;
            t.recoverable += recoverable;
        };
        add(&mut self.total);
        add(self.by_carrier.entry(p.carrier).or_default());
        for c in &p.charges {
            let key = if self.by_charge.len() < CHARGE_KINDS
                || self.by_charge.contains_key(&c.description)
            {
                c.description.as_str()
            } else {
                OTHER_CHARGES
            };
            let t = match self.by_charge.get_mut(key) {
                Some(t) => t,
                None => self.by_charge.entry(key.to_owned()).or_default(),
            };
            t.lines += 1;
            t.billed += c.amount;
        }
        for f in &a.findings {
            let t = self
                .by_carrier_reason
                .entry(p.carrier)
                .or_default()
                .entry(f.reason)
                .or_default();
            t.packages += 1;
            t.billed += a.billed;
            t.expected += a.expected.unwrap_or_default();
            t.disputed += if f.dispute_supported {
                a.billed
            } else {
                Decimal::ZERO
            };
            t.recoverable += f.recoverable;
            *self.by_reason.entry(f.reason).or_default() += f.recoverable;
        }
        if recoverable > Decimal::ZERO {
            if let Some(day) = p.ship_date.or(p.invoice_date) {
                let monday =
                    day - time::Duration::days(day.weekday().number_days_from_monday().into());
                *self.by_week.entry(monday).or_default() += recoverable;
            }
            // Built only when it may make the table (its charges are cloned).
            let smallest = self.heap.peek().map(|r| r.0.recoverable);
            if self.heap.len() < TOP_LINES || smallest.is_some_and(|m| recoverable >= m) {
                self.heap.push(Reverse(TopLine {
                    recoverable,
                    carrier: p.carrier,
                    tracking_number: p.tracking_number.clone(),
                    invoice_number: p.invoice_number.clone(),
                    line: p.first_line(),
                    reasons: a.findings.iter().map(|f| f.reason).collect(),
                    charges: p
                        .charges
                        .iter()
                        .map(|c| TopCharge {
                            line: c.line,
                            description: c.description.clone(),
                            amount: c.amount,
                        })
                        .collect(),
                }));
                if self.heap.len() > TOP_LINES {
                    self.heap.pop();
                }
            }
        }
    }

    /// The [`TOP_LINES`] lines with most to recover, largest first.
    pub fn top(&self) -> Vec<TopLine> {
        let mut v: Vec<TopLine> = self.heap.iter().map(|r| r.0.clone()).collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    }
}

fn ser_top<S: serde::Serializer>(
    heap: &BinaryHeap<Reverse<TopLine>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut v: Vec<&TopLine> = heap.iter().map(|r| &r.0).collect();
    v.sort_by(|a, b| b.cmp(a));
    s.collect_seq(v)
}

/// CSV, one row per invoice charge line, with its package's reason codes and amounts.
///
/// Written straight into a buffer (what `csv::Writer` writes, quoting a field only when it
/// holds a comma, a quote or a line break): the package's columns are rendered once per
/// package, numbers without intermediate strings.
pub struct CsvReport<W: Write> {
    w: Option<W>,
    buf: Vec<u8>,
    /// Columns 2-7 of the current package, each preceded by a comma.
    head: Vec<u8>,
    /// Columns 12-17 of the current package, each preceded by a comma, and the terminator.
    tail: Vec<u8>,
    num: Vec<u8>,
}

const CSV_HEADER: [&str; 17] = [
    "line",
    "carrier",
    "invoice_number",
    "invoice_date",
    "tracking_number",
    "reference",
    "service",
    "charge_category",
    "charge_code",
    "charge_description",
    "amount",
    "currency",
    "package_billed",
    "package_expected",
    "package_recoverable",
    "matched_by",
    "reason_codes",
];

/// Flushed to the writer past this many buffered bytes.
const CSV_BUFFER: usize = 64 * 1024;

/// Appends `field` as `csv::Writer` writes it (default settings: quoted only when needed).
fn csv_field(out: &mut Vec<u8>, field: &[u8]) {
    if !field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for part in field.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// Appends `,` and then `field` (see [`csv_field`]).
fn csv_next(out: &mut Vec<u8>, field: &[u8]) {
    out.push(b',');
    csv_field(out, field);
}

/// Appends `,` and `v`'s `Display` (no quoting needed: numbers and dates).
fn csv_display(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    out.push(b',');
    write!(out, "{v}").expect("writing to a Vec");
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn matched_code(m: MatchedBy) -> &'static str {
    match m {
        MatchedBy::TrackingNumber => "tracking_number",
        MatchedBy::Reference => "reference",
    }
}

impl<W: Write> CsvReport<W> {
    /// Writes the header row.
    pub fn new(out: W) -> csv::Result<Self> {
        let mut r = Self {
            w: Some(out),
            buf: Vec::with_capacity(CSV_BUFFER + 4096),
            head: Vec::new(),
            tail: Vec::new(),
            num: Vec::new(),
        };
        for (i, h) in CSV_HEADER.iter().enumerate() {
            if i > 0 {
                r.buf.push(b',');
            }
            csv_field(&mut r.buf, h.as_bytes());
        }
        r.buf.push(b'\n');
        Ok(r)
    }

    /// Writes a package's lines.
    pub fn write(&mut self, a: &AuditedPackage) -> csv::Result<()> {
        let p = &a.package;
        let head = &mut self.head;
        head.clear();
        csv_next(head, p.carrier.code().as_bytes());
        csv_next(head, p.invoice_number.as_bytes());
        match p.invoice_date {
            Some(d) => csv_display(head, d),
            None => head.push(b','),
        }
        csv_next(head, p.tracking_number.as_bytes());
        csv_next(head, p.reference.as_deref().unwrap_or("").as_bytes());
        let service = p.service_name.as_deref().or(p.service.as_deref());
        csv_next(head, service.unwrap_or("").as_bytes());
        let tail = &mut self.tail;
        tail.clear();
        csv_next(tail, p.currency.as_str().as_bytes());
        csv_display(tail, a.billed);
        match a.expected {
            Some(e) => csv_display(tail, e),
            None => tail.push(b','),
        }
        csv_display(tail, a.recoverable());
        csv_next(tail, a.matched_by.map_or("", matched_code).as_bytes());
        tail.push(b',');
        let codes_at = tail.len();
        for (i, f) in a.findings.iter().enumerate() {
            if i > 0 {
                tail.push(b';');
            }
            tail.extend_from_slice(f.reason.code().as_bytes());
        }
        // Reason codes are snake_case words joined by ';': never quoted.
        debug_assert!(!tail[codes_at..].contains(&b','));
        tail.push(b'\n');
        for c in &p.charges {
            let buf = &mut self.buf;
            push_u64(buf, c.line);
            buf.extend_from_slice(&self.head);
            csv_next(buf, c.category.as_str().as_bytes());
            csv_next(buf, c.code.as_deref().unwrap_or("").as_bytes());
            csv_next(buf, c.description.as_bytes());
            self.num.clear();
            write!(self.num, "{}", c.amount).expect("writing to a Vec");
            buf.push(b',');
            buf.extend_from_slice(&self.num);
            buf.extend_from_slice(&self.tail);
        }
        if self.buf.len() >= CSV_BUFFER {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> std::io::Result<()> {
        if let Some(w) = self.w.as_mut() {
            w.write_all(&self.buf)?;
        }
        self.buf.clear();
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.flush_buf()?;
        let mut w = self.w.take().expect("present until finish");
        w.flush()?;
        Ok(w)
    }
}

impl<W: Write> Drop for CsvReport<W> {
    /// Like `csv::Writer`: what is buffered is written if the report is dropped unfinished.
    fn drop(&mut self) {
        if self.w.is_some() && !std::thread::panicking() {
            let _ = self.flush_buf();
            if let Some(w) = self.w.as_mut() {
                let _ = w.flush();
            }
        }
    }
}

/// JSON `{"lines": [AuditedPackage...], "summary": ReportSummary}`, streamed.
pub struct JsonReport<W: Write> {
    w: W,
    first: bool,
}

impl<W: Write> JsonReport<W> {
    /// Opens the document.
    pub fn new(mut w: W) -> std::io::Result<Self> {
        w.write_all(b"{\"lines\":[")?;
        Ok(Self { w, first: true })
    }

    /// Writes one package.
    pub fn write(&mut self, a: &AuditedPackage) -> std::io::Result<()> {
        if !self.first {
            self.w.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.w, a).map_err(std::io::Error::other)
    }

    /// Closes the document with the summary.
    pub fn finish(mut self, summary: &ReportSummary) -> std::io::Result<W> {
        self.w.write_all(b"],\n\"summary\":")?;
        serde_json::to_writer(&mut self.w, summary).map_err(std::io::Error::other)?;
        self.w.write_all(b"}\n")?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// The claims for one carrier, one row per disputed finding, in the columns its dispute
/// upload asks for (tracking number under the carrier's own name for it).
pub struct DisputeExport<W: Write> {
    carrier: InvoiceCarrier,
    w: csv::Writer<W>,
}

impl<W: Write> DisputeExport<W> {
    /// Writes the header row for `carrier`.
    pub fn new(carrier: InvoiceCarrier, out: W) -> csv::Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        let tracking = match carrier {
            InvoiceCarrier::Ups => "Tracking Number",
            InvoiceCarrier::Fedex => "Tracking ID",
            InvoiceCarrier::DhlExpress => "Waybill Number",
            InvoiceCarrier::Other => "Tracking Number",
        };
        w.write_record([
            "Invoice Number",
            "Invoice Date",
            tracking,
            "Reference",
            "Dispute Reason",
            "Billed Amount",
            "Disputed Amount",
            "Currency",
            "Comments",
        ])?;
        Ok(Self { carrier, w })
    }

    /// Writes the package's disputed findings if it is this carrier's.
    pub fn write(&mut self, a: &AuditedPackage) -> csv::Result<()> {
        let p = &a.package;
        if p.carrier != self.carrier {
            return Ok(());
        }
        for f in a
            .findings
            .iter()
            .filter(|f| f.dispute_supported && f.recoverable > Decimal::ZERO)
        {
            let evidence: Vec<String> = f
                .evidence
                .iter()
                .map(|e| format!("{}: billed {}, expected {}", e.field, e.billed, e.expected))
                .collect();
            self.w.write_record([
                p.invoice_number.as_str(),
                &p.invoice_date.map(|d| d.to_string()).unwrap_or_default(),
                &p.tracking_number,
                p.reference.as_deref().unwrap_or(""),
                f.reason.code(),
                &a.billed.to_string(),
                &f.recoverable.to_string(),
                p.currency.as_str(),
                &format!("{} ({})", f.note, evidence.join("; ")),
            ])?;
        }
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.w.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use shiphub_carriers::model::Currency;

    use super::*;
    use crate::invoice::audit::{Evidence, Finding};
    use crate::invoice::{ChargeCategory, InvoiceCharge, InvoicePackage};

    /// The report as `csv::Writer` writes it (the implementation before the direct writer).
    fn with_csv_writer(packages: &[AuditedPackage]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(CSV_HEADER).unwrap();
        for a in packages {
            let p = &a.package;
            let codes: Vec<&str> = a.findings.iter().map(|f| f.reason.code()).collect();
            let matched = a
                .matched_by
                .map(|m| {
                    serde_json::to_value(m)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .unwrap_or_default();
            for c in &p.charges {
                w.write_record([
                    c.line.to_string().as_str(),
                    p.carrier.code(),
                    &p.invoice_number,
                    &p.invoice_date.map(|d| d.to_string()).unwrap_or_default(),
                    &p.tracking_number,
                    p.reference.as_deref().unwrap_or(""),
                    p.service_name
                        .as_deref()
                        .or(p.service.as_deref())
                        .unwrap_or(""),
                    c.category.as_str(),
                    c.code.as_deref().unwrap_or(""),
                    &c.description,
                    &c.amount.to_string(),
                    p.currency.as_str(),
                    &a.billed.to_string(),
                    &a.expected.map(|e| e.to_string()).unwrap_or_default(),
                    &a.recoverable().to_string(),
                    &matched,
                    &codes.join(";"),
                ])
                .unwrap();
            }
        }
        w.into_inner().unwrap()
    }

    fn charge(line: u64, description: &str, code: Option<&str>, amount: Decimal) -> InvoiceCharge {
        InvoiceCharge {
            category: ChargeCategory::from_description(description),
            code: code.map(str::to_owned),
            description: description.to_owned(),
            amount,
            basis: None,
            adjustment: false,
            line,
        }
    }

    #[test]
    fn csv_report_writes_what_csv_writer_writes() {
        let finding = |reason| Finding {
            reason,
            recoverable: Decimal::new(-125, 2),
            dispute_supported: true,
            evidence: vec![Evidence {
                field: "f".into(),
                billed: "1".into(),
                expected: "2".into(),
            }],
            note: "n".into(),
        };
        let pkg = |tracking: &str, reference: Option<&str>, charges| InvoicePackage {
            account: None,
            carrier: InvoiceCarrier::Ups,
            tracking_number: tracking.into(),
            reference: reference.map(str::to_owned),
            service: Some("003".into()),
            service_name: None,
            invoice_number: "INV,\"1\"".into(),
            invoice_date: Some(time::macros::date!(2025 - 06 - 21)),
            ship_date: None,
            delivered_on: None,
            currency: Currency::EUR,
            entered_weight: None,
            billed_weight: None,
            billed_dimensions: None,
            zone: None,
            charges,
        };
        let packages = [
            AuditedPackage {
                package: pkg(
                    "1Z1",
                    Some("ref \"a\"\nb"),
                    vec![
                        charge(1, "Ground, Residential", Some("003"), Decimal::new(1304, 2)),
                        charge(12_345_678_901, "Fuel \r\"x\"", None, Decimal::new(-79, 3)),
                        charge(0, "", Some(""), Decimal::ZERO),
                    ],
                ),
                matched_by: Some(MatchedBy::TrackingNumber),
                billed: Decimal::new(1225, 2),
                expected: Some(Decimal::new(10, 0)),
                findings: vec![
                    finding(Reason::WeightAdjustment),
                    finding(Reason::FuelOffTable),
                ],
            },
            AuditedPackage {
                package: InvoicePackage {
                    account: None,
                    invoice_date: None,
                    service: None,
                    ..pkg("1Z2", None, vec![charge(7, "Café ü", None, Decimal::ONE)])
                },
                matched_by: Some(MatchedBy::Reference),
                billed: Decimal::ONE,
                expected: None,
                findings: vec![],
            },
            AuditedPackage {
                package: pkg("1Z3", Some(""), vec![]),
                matched_by: None,
                billed: Decimal::ZERO,
                expected: None,
                findings: vec![finding(Reason::UnknownShipment)],
            },
        ];
        let mut r = CsvReport::new(Vec::new()).unwrap();
        for a in packages.iter().cycle().take(3000) {
            r.write(a).unwrap();
        }
        let got = r.finish().unwrap();
        let want = with_csv_writer(
            &packages
                .iter()
                .cycle()
                .take(3000)
                .cloned()
                .collect::<Vec<_>>(),
        );
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );
        // Dropped unfinished, it still writes what it buffered (as csv::Writer does).
        let mut out = Vec::new();
        {
            let mut r = CsvReport::new(&mut out).unwrap();
            r.write(&packages[1]).unwrap();
        }
        assert_eq!(out, with_csv_writer(&packages[1..2]));
    }

    #[test]
    fn a_reconciliation_in_cny_sums_yuan_and_fen_exactly_and_names_its_currency() {
        let cny: Currency = "CNY".parse().unwrap();
        let pkg = |tracking: &str, currency: Currency, amount: Decimal| InvoicePackage {
            account: None,
            carrier: InvoiceCarrier::Other,
            tracking_number: tracking.into(),
            reference: None,
            service: Some("1".into()),
            service_name: Some("顺丰标快".into()),
            invoice_number: "SF-2025-06".into(),
            invoice_date: Some(time::macros::date!(2025 - 06 - 30)),
            ship_date: Some(time::macros::date!(2025 - 06 - 18)),
            delivered_on: None,
            currency,
            entered_weight: None,
            billed_weight: None,
            billed_dimensions: None,
            zone: None,
            charges: vec![charge(1, "运费", None, amount)],
        };
        let audited = |p: InvoicePackage, billed: Decimal, expected: Decimal| AuditedPackage {
            package: p,
            matched_by: Some(MatchedBy::TrackingNumber),
            billed,
            expected: Some(expected),
            findings: vec![Finding {
                reason: Reason::WeightAdjustment,
                recoverable: billed - expected,
                dispute_supported: true,
                evidence: vec![],
                note: String::new(),
            }],
        };
        let mut s = ReportSummary::new();
        for (t, billed, expected) in [
            (
                "SF1234567890123",
                Decimal::new(2301, 2),
                Decimal::new(1800, 2),
            ),
            (
                "SF1234567890124",
                Decimal::new(1299, 2),
                Decimal::new(1200, 2),
            ),
            ("SF1234567890125", Decimal::new(1, 2), Decimal::ZERO),
        ] {
            s.add(&audited(pkg(t, cny, billed), billed, expected));
        }
        // A USD line in a CNY reconciliation is counted apart, never added to yuan.
        s.add(&audited(
            pkg("1Z1", Currency::USD, Decimal::new(999, 2)),
            Decimal::new(999, 2),
            Decimal::ZERO,
        ));
        assert_eq!(s.currency.as_deref(), Some("CNY"));
        assert_eq!(s.other_currency_packages, 1);
        assert_eq!(s.total.packages, 3);
        assert_eq!(s.total.billed, Decimal::new(3601, 2));
        assert_eq!(s.total.expected, Decimal::new(3000, 2));
        assert_eq!(s.total.recoverable, Decimal::new(601, 2));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["currency"], "CNY");
        assert_eq!(json["total"]["billed"], "36.01");
        let mut r = CsvReport::new(Vec::new()).unwrap();
        r.write(&audited(
            pkg("SF1234567890123", cny, Decimal::new(2301, 2)),
            Decimal::new(2301, 2),
            Decimal::new(1800, 2),
        ))
        .unwrap();
        let csv = String::from_utf8(r.finish().unwrap()).unwrap();
        assert!(csv.contains(",运费,23.01,CNY,23.01,18.00,5.01,"), "{csv}");
    }
}
