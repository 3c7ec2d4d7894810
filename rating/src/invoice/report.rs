//! Reports, written as packages are audited: nothing here holds the lines. [`CsvReport`]
//! (one row per charge line, with the package's reason codes), [`JsonReport`] (lines then
//! summary), [`DisputeExport`] (one carrier's claims), and [`ReportSummary`], a bounded
//! accumulator (totals by carrier and reason, recoverable by week, top lines) that the JSON
//! and PDF reports end with.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::Write;

use rust_decimal::Decimal;
use serde::Serialize;
use time::Date;

use super::InvoiceCarrier;
use super::audit::{AuditedPackage, Reason};

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
}

/// Lines kept in [`ReportSummary::top`].
pub const TOP_LINES: usize = 25;

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
    /// Packages in another currency than `currency`.
    pub other_currency_packages: u64,
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
        let cur = p.currency.as_str().to_owned();
        match &self.currency {
            None => self.currency = Some(cur),
            Some(c) if *c != cur => {
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
            self.heap.push(Reverse(TopLine {
                recoverable,
                carrier: p.carrier,
                tracking_number: p.tracking_number.clone(),
                invoice_number: p.invoice_number.clone(),
                line: p.first_line(),
                reasons: a.findings.iter().map(|f| f.reason).collect(),
            }));
            if self.heap.len() > TOP_LINES {
                self.heap.pop();
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

fn reasons(a: &AuditedPackage) -> String {
    a.findings
        .iter()
        .map(|f| f.reason.code())
        .collect::<Vec<_>>()
        .join(";")
}

/// CSV, one row per invoice charge line, with its package's reason codes and amounts.
pub struct CsvReport<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvReport<W> {
    /// Writes the header row.
    pub fn new(out: W) -> csv::Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
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
        ])?;
        Ok(Self { w })
    }

    /// Writes a package's lines.
    pub fn write(&mut self, a: &AuditedPackage) -> csv::Result<()> {
        let p = &a.package;
        let codes = reasons(a);
        let expected = a.expected.map(|e| e.to_string()).unwrap_or_default();
        let recoverable = a.recoverable().to_string();
        let billed = a.billed.to_string();
        let matched = match a.matched_by {
            Some(m) => serde_plain(&m),
            None => String::new(),
        };
        let date = p.invoice_date.map(|d| d.to_string()).unwrap_or_default();
        for c in &p.charges {
            self.w.write_record([
                c.line.to_string().as_str(),
                p.carrier.code(),
                &p.invoice_number,
                &date,
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
                &billed,
                &expected,
                &recoverable,
                &matched,
                &codes,
            ])?;
        }
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.w.into_inner().map_err(|e| e.into_error())
    }
}

fn serde_plain<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
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
