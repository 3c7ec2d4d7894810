//! Freight reconciliation, the hub's half: feeds `shiphub_rating::invoice` (parse, audit,
//! reports) the shipments from the store, batch by batch, and records the result.
//!
//! Three stages run at once so both cores work and memory stays flat (bounded channels of a
//! few batches): a thread parses the file; the async caller looks up each batch's shipments
//! and earlier billings in the store; a second thread audits and renders the reports. When the
//! import is recorded, each audited batch and the report chunks it produced are written to the
//! store while the next batch is audited; the import counts only once one transaction marks
//! it completed (with its `reconciliation.completed` event).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{Charge, CountryCode, Currency, Parcel, RateRequest};
use shiphub_rating::LaneEnd;
use shiphub_rating::RateCards;
use shiphub_rating::invoice::{
    AuditSettings, AuditedPackage, Auditor, ChargeCategory, CsvReport, DisputeExport,
    ExpectedCharge, ExpectedShipment, FuelRate, ImportSummary, InvoiceCarrier, InvoiceFormat,
    InvoicePackage, InvoiceReader, JsonReport, ReportSummary, ShipmentIndex, Tolerances,
    lookup_keys, render_pdf,
};
use time::{Date, Duration, OffsetDateTime, Time};
use tokio::sync::mpsc;

use crate::ids::{ReconciliationId, TenantId};
use crate::store::{
    FileChunk, InvoicePackageRow, NewEvent, ReconciliationDone, ShipmentFacts, Store, StoreError,
};

/// Packages per batch: one store round trip per kind of lookup, a few MB in flight.
pub const BATCH: usize = 5_000;
/// Size of a stored report chunk.
const CHUNK: usize = 1 << 20;

/// A tenant's audit settings as the API takes and gives them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditSettingsDoc {
    /// Differences at or under these are not findings.
    #[serde(default)]
    pub tolerances: TolerancesDoc,
    /// Published fuel surcharge tables: `percent` applies to shipments from `from` on.
    #[serde(default)]
    pub fuel: Vec<FuelRow>,
    /// The contract rate card (a `PUT /v1/rate-cards/{name}` name) that re-rates packages of
    /// each carrier (`ups`, `fedex`, `dhl_express`, `other`) whose billable weight,
    /// dimensions, zone or service changed. Its service codes are the carrier's billing codes.
    #[serde(default)]
    pub contract_cards: HashMap<String, String>,
}

/// Decimals are JSON strings, as documented: a JSON number (`0.1`) is refused, not read
/// through a float.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TolerancesDoc {
    /// Absolute amount in the invoice currency.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.05")]
    pub amount: Decimal,
    /// Percent of the expected amount; the larger of the two applies.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.5")]
    pub percent: Decimal,
    /// Billed weight over our billable weight, kg.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.1")]
    pub weight_kg: Decimal,
    /// Per-side dimension difference, cm, before the carrier's dims count as a new measurement.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "1")]
    pub side_cm: Decimal,
    /// Fuel percentage points.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.1")]
    pub fuel_points: Decimal,
    /// Minutes after the promised time before a guaranteed delivery counts as late.
    #[schema(format = Int64, minimum = 0, maximum = 4294967295u64)]
    pub late_grace_minutes: u32,
}

impl Default for TolerancesDoc {
    fn default() -> Self {
        let t = Tolerances::default();
        Self {
            amount: t.amount,
            percent: t.percent,
            weight_kg: t.weight_kg,
            side_cm: t.side_cm,
            fuel_points: t.fuel_points,
            late_grace_minutes: t.late_grace.whole_minutes().max(0) as u32,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FuelRow {
    /// `ups`, `fedex`, `dhl_express` or `other`.
    pub carrier: String,
    /// First ship date the percentage applies to.
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "18.75")]
    pub percent: Decimal,
}

/// Invoice carrier codes, as in `?carrier=` and the settings.
pub fn invoice_carrier(code: &str) -> Option<InvoiceCarrier> {
    Some(match code {
        "ups" => InvoiceCarrier::Ups,
        "fedex" => InvoiceCarrier::Fedex,
        "dhl_express" => InvoiceCarrier::DhlExpress,
        "other" | "generic" => InvoiceCarrier::Other,
        _ => return None,
    })
}

impl AuditSettingsDoc {
    /// Checks values serde cannot; errors name the field as a JSON pointer.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let t = &self.tolerances;
        for (name, v) in [
            ("amount", t.amount),
            ("percent", t.percent),
            ("weight_kg", t.weight_kg),
            ("side_cm", t.side_cm),
            ("fuel_points", t.fuel_points),
        ] {
            if v < Decimal::ZERO {
                return Err((format!("/tolerances/{name}"), "must not be negative".into()));
            }
        }
        for (i, f) in self.fuel.iter().enumerate() {
            if invoice_carrier(&f.carrier).is_none() {
                return Err((
                    format!("/fuel/{i}/carrier"),
                    "must be ups, fedex, dhl_express or other".into(),
                ));
            }
            if f.percent < Decimal::ZERO || f.percent > Decimal::ONE_HUNDRED {
                return Err((format!("/fuel/{i}/percent"), "must be 0 to 100".into()));
            }
        }
        for k in self.contract_cards.keys() {
            if invoice_carrier(k).is_none() {
                return Err((
                    format!("/contract_cards/{k}"),
                    "must be ups, fedex, dhl_express or other".into(),
                ));
            }
        }
        Ok(())
    }

    pub fn to_settings(&self) -> AuditSettings {
        let t = &self.tolerances;
        AuditSettings {
            tolerances: Tolerances {
                amount: t.amount,
                percent: t.percent,
                weight_kg: t.weight_kg,
                side_cm: t.side_cm,
                fuel_points: t.fuel_points,
                late_grace: Duration::minutes(i64::from(t.late_grace_minutes)),
            },
            rules: AuditSettings::default().rules,
            fuel: self
                .fuel
                .iter()
                .filter_map(|f| {
                    Some(FuelRate {
                        carrier: invoice_carrier(&f.carrier)?,
                        from: f.from,
                        percent: f.percent,
                    })
                })
                .collect(),
        }
    }
}

/// The tenant's stored settings, or the defaults.
pub async fn load_settings(
    store: &Store,
    tenant: &TenantId,
) -> Result<AuditSettingsDoc, StoreError> {
    match store.audit_settings(tenant).await? {
        Some(body) => serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("audit settings: {e}"))),
        None => Ok(AuditSettingsDoc::default()),
    }
}

/// Everything one reconciliation needs besides the file.
pub struct Plan {
    pub tenant: TenantId,
    pub format: InvoiceFormat,
    pub settings: AuditSettings,
    pub cards: Option<RateCards>,
    /// Title on the PDF.
    pub title: String,
}

impl Plan {
    fn carrier(&self) -> InvoiceCarrier {
        self.format.carrier()
    }
    /// Shipments of which hub carrier an invoice can bill (any, for a mapped layout).
    fn hub_carrier(&self) -> Option<&'static str> {
        match self.carrier() {
            InvoiceCarrier::Ups => Some("ups"),
            InvoiceCarrier::Fedex => Some("fedex"),
            InvoiceCarrier::DhlExpress => Some("dhl_express"),
            InvoiceCarrier::Other => None,
        }
    }
}

/// Where the reports go: files (CLI) or the store (an import).
#[derive(Default)]
pub struct Sinks {
    pub csv: Option<Box<dyn Write + Send>>,
    pub json: Option<Box<dyn Write + Send>>,
    pub dispute: Option<Box<dyn Write + Send>>,
    pub pdf: Option<Box<dyn Write + Send>>,
}

/// How far the parser is (for a progress bar).
#[derive(Default)]
pub struct Progress {
    pub bytes: AtomicU64,
    pub lines: AtomicU64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{0}")]
    Import(#[from] shiphub_rating::invoice::ImportError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("writing the report failed: {0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Internal(String),
    /// Not one package could be read: a wrong carrier or layout, or not an invoice at all.
    #[error("{0}")]
    NothingRead(String),
}

/// What a finished reconciliation found.
pub struct Outcome {
    pub import: ImportSummary,
    pub report: ReportSummary,
}

impl Outcome {
    /// The JSON kept with the import and shown by `GET /v1/reconciliations/{id}`.
    pub fn summary_json(&self) -> serde_json::Value {
        serde_json::json!({ "import": self.import, "report": self.report })
    }
}

/// Counts bytes read, for the progress bar.
struct Counted<R> {
    inner: R,
    progress: Arc<Progress>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A report written into chunks that the recorder stores as they fill.
struct ChunkSink {
    kind: &'static str,
    buf: Vec<u8>,
    seq: i64,
    out: Arc<Mutex<Vec<FileChunk>>>,
}

impl ChunkSink {
    fn new(kind: &'static str, out: Arc<Mutex<Vec<FileChunk>>>) -> Self {
        Self {
            kind,
            buf: Vec::with_capacity(CHUNK),
            seq: 0,
            out,
        }
    }
    fn emit(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let content = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.out.lock().expect("chunk list").push(FileChunk {
            kind: self.kind,
            seq: self.seq,
            content,
        });
        self.seq += 1;
    }
}

impl Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.emit();
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for ChunkSink {
    fn drop(&mut self) {
        self.emit();
    }
}

/// Recording an import: where its rows go.
pub struct Record {
    pub id: ReconciliationId,
}

enum Parsed {
    Batch(Vec<InvoicePackage>),
    Done(ImportSummary),
}

type Audited = (Vec<InvoicePackageRow>, Vec<FileChunk>);

/// Runs one reconciliation of `input`. With `record`, the import's rows and reports go to the
/// store (the caller then completes or fails it); otherwise only to `sinks`.
pub async fn run(
    store: &Store,
    plan: Plan,
    input: Box<dyn Read + Send>,
    mut sinks: Sinks,
    record: Option<&Record>,
    progress: Arc<Progress>,
) -> Result<Outcome, ReconcileError> {
    let chunks = Arc::new(Mutex::new(Vec::new()));
    if record.is_some() {
        sinks.csv = Some(Box::new(ChunkSink::new("report.csv", chunks.clone())));
        sinks.json = Some(Box::new(ChunkSink::new("report.json", chunks.clone())));
        sinks.dispute = Some(Box::new(ChunkSink::new("dispute.csv", chunks.clone())));
        sinks.pdf = Some(Box::new(ChunkSink::new("report.pdf", chunks.clone())));
    }
    let carrier = plan.carrier();
    let hub_carrier = plan.hub_carrier();
    let tenant_ref = plan.tenant.clone();
    let r_tenant = plan.tenant.clone();

    // Stage 1: parse.
    let (parsed_tx, parsed_rx) = mpsc::channel::<Result<Parsed, ReconcileError>>(2);
    let format = plan.format.clone();
    let parse_progress = progress.clone();
    let parser = std::thread::Builder::new()
        .name("invoice-parse".into())
        .spawn(move || {
            let input = Counted {
                inner: input,
                progress: parse_progress.clone(),
            };
            let mut reader =
                InvoiceReader::new(format, io::BufReader::with_capacity(1 << 20, input));
            loop {
                match reader.next_batch(BATCH) {
                    Ok(batch) if batch.is_empty() => {
                        let _ = parsed_tx.blocking_send(Ok(Parsed::Done(reader.summary().clone())));
                        return;
                    }
                    Ok(batch) => {
                        parse_progress
                            .lines
                            .store(reader.summary().lines, Ordering::Relaxed);
                        if parsed_tx.blocking_send(Ok(Parsed::Batch(batch))).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = parsed_tx.blocking_send(Err(e.into()));
                        return;
                    }
                }
            }
        })
        .map_err(|e| ReconcileError::Internal(format!("parser thread: {e}")))?;

    // Stage 3: audit and render.
    let (matched_tx, mut matched_rx) = mpsc::channel::<Matched>(2);
    let (audited_tx, mut audited_rx) = mpsc::channel::<Audited>(2);
    let recording = record.is_some();
    let title = plan.title.clone();
    let settings = plan.settings.clone();
    let cards = plan.cards.clone();
    let audit_chunks = chunks.clone();
    let auditor = std::thread::Builder::new()
        .name("invoice-audit".into())
        .spawn(move || -> Result<ReportSummary, ReconcileError> {
            let mut auditor = Auditor::new(&settings, cards.as_ref());
            let mut csv = sinks.csv.map(CsvReport::new).transpose().map_err(csv_io)?;
            let mut json = sinks.json.map(JsonReport::new).transpose()?;
            let mut dispute = sinks
                .dispute
                .map(|w| DisputeExport::new(carrier, w))
                .transpose()
                .map_err(csv_io)?;
            let mut summary = ReportSummary::new();
            let take_chunks = || std::mem::take(&mut *audit_chunks.lock().expect("chunk list"));
            while let Some(m) = matched_rx.blocking_recv() {
                let audited = auditor.audit_batch(m.batch, &m.index);
                let mut rows = Vec::with_capacity(if recording { audited.len() } else { 0 });
                for a in &audited {
                    summary.add(a);
                    if let Some(w) = csv.as_mut() {
                        w.write(a).map_err(csv_io)?;
                    }
                    if let Some(w) = json.as_mut() {
                        w.write(a)?;
                    }
                    if let Some(w) = dispute.as_mut() {
                        w.write(a).map_err(csv_io)?;
                    }
                    if recording {
                        rows.push(package_row(a, &m.index, &m.ids));
                    }
                }
                if recording && audited_tx.blocking_send((rows, take_chunks())).is_err() {
                    return Err(ReconcileError::Internal("the recorder stopped".into()));
                }
            }
            // Finishing drops each writer: a chunked one hands over its last chunk then.
            if let Some(w) = csv {
                w.finish()?.flush()?;
            }
            if let Some(w) = json {
                w.finish(&summary)?.flush()?;
            }
            if let Some(w) = dispute {
                w.finish()?.flush()?;
            }
            if let Some(mut w) = sinks.pdf {
                w.write_all(&render_pdf(&summary, &title))?;
                w.flush()?;
            }
            if recording
                && audited_tx
                    .blocking_send((Vec::new(), take_chunks()))
                    .is_err()
            {
                return Err(ReconcileError::Internal("the recorder stopped".into()));
            }
            Ok(summary)
        })
        .map_err(|e| ReconcileError::Internal(format!("audit thread: {e}")))?;

    // Stage 2 (lookups) and the recorder run together on this task. Each owns its channel
    // ends, so a stage that stops early unblocks the threads on either side of it.
    // Two batches are looked up at once (in order): one batch's store query runs on a
    // SQLite connection's thread while the previous one's answer is decoded here.
    let lookups = async move {
        let import = Arc::new(Mutex::new(None));
        let seen = import.clone();
        let batches = futures_util::stream::unfold(parsed_rx, move |mut rx| {
            let seen = seen.clone();
            async move {
                loop {
                    match rx.recv().await? {
                        Ok(Parsed::Batch(batch)) => return Some((Ok(batch), rx)),
                        Ok(Parsed::Done(summary)) => {
                            *seen.lock().expect("import summary") = Some(summary);
                        }
                        Err(e) => return Some((Err(e), rx)),
                    }
                }
            }
        });
        let tenant = &tenant_ref;
        let mut matched = std::pin::pin!(
            batches
                .map(|b| async move {
                    let batch = b?;
                    let (index, ids) =
                        lookup(store, tenant, hub_carrier, &batch, recording).await?;
                    Ok::<_, ReconcileError>(Matched { batch, index, ids })
                })
                .buffered(2)
        );
        while let Some(m) = matched.next().await {
            if matched_tx.send(m?).await.is_err() {
                break;
            }
        }
        let summary = import.lock().expect("import summary").take();
        summary.ok_or_else(|| ReconcileError::Internal("the import stopped early".into()))
    };
    let recorder = async move {
        let mut seq = 0i64;
        while let Some((rows, chunks)) = audited_rx.recv().await {
            if let Some(r) = record {
                let now = OffsetDateTime::now_utc();
                store
                    .add_to_reconciliation(&r_tenant, &r.id, seq, &rows, &chunks, now)
                    .await?;
            }
            seq += rows.len() as i64;
        }
        Ok::<_, ReconcileError>(())
    };
    let (looked, recorded) = tokio::join!(lookups, recorder);
    let audit = tokio::task::spawn_blocking(move || auditor.join())
        .await
        .map_err(|e| ReconcileError::Internal(e.to_string()))?
        .map_err(|_| ReconcileError::Internal("the audit thread panicked".into()))?;
    let _ = tokio::task::spawn_blocking(move || parser.join()).await;
    // The first stage to fail says why; the others only saw their neighbour stop.
    recorded?;
    let report = audit?;
    let import = looked?;
    nothing_read(&import, carrier.code())?;
    Ok(Outcome { import, report })
}

/// A file of which no package nor invoice charge could be read fails instead of completing
/// as an audit of nothing: most often the wrong `carrier` (layout) was named.
fn nothing_read(import: &ImportSummary, carrier: &str) -> Result<(), ReconcileError> {
    if import.packages > 0 || !import.invoice_level.is_empty() {
        return Ok(());
    }
    let first: String = import
        .errors
        .iter()
        .take(3)
        .map(|e| format!("; line {}: {}", e.line, e.message))
        .collect();
    Err(ReconcileError::NothingRead(if import.error_count > 0 {
        format!(
            "no line of the file could be read as a {carrier} invoice ({} lines, {} unreadable rows{first})",
            import.lines, import.error_count
        )
    } else {
        format!(
            "the file holds no {carrier} invoice lines ({} lines read)",
            import.lines
        )
    }))
}

struct Matched {
    batch: Vec<InvoicePackage>,
    index: ShipmentIndex,
    /// Hub shipment id by tracking number, for the rows kept with an import.
    ids: HashMap<String, String>,
}

fn csv_io(e: csv::Error) -> ReconcileError {
    ReconcileError::Io(io::Error::other(e))
}

fn package_row(
    a: &AuditedPackage,
    index: &ShipmentIndex,
    ids: &HashMap<String, String>,
) -> InvoicePackageRow {
    let p = &a.package;
    let shipment_id = index
        .find(p)
        .and_then(|(s, _)| ids.get(&s.tracking_number).cloned());
    InvoicePackageRow {
        invoice_number: p.invoice_number.clone(),
        invoice_date: p.invoice_date.map(|d| d.to_string()),
        tracking_number: p.tracking_number.clone(),
        shipment_id,
        bills_shipment: bills_shipment(p),
        billed: a.billed.to_string(),
        recoverable: a.recoverable().to_string(),
        reasons: a
            .findings
            .iter()
            .map(|f| f.reason.code())
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The package carries the shipment charge itself (not only corrections of it).
fn bills_shipment(p: &InvoicePackage) -> bool {
    p.charges
        .iter()
        .any(|c| c.category == ChargeCategory::Base && !c.adjustment)
}

/// The shipments a batch bills: by tracking number, then by reference for the packages not
/// found so, with the invoices that billed them before.
async fn lookup(
    store: &Store,
    tenant: &TenantId,
    carrier: Option<&'static str>,
    batch: &[InvoicePackage],
    recording: bool,
) -> Result<(ShipmentIndex, HashMap<String, String>), ReconcileError> {
    let keys = lookup_keys(batch);
    let mut facts: Vec<Facts> = store
        .shipment_facts_by_tracking(tenant, carrier, &keys.tracking_numbers)
        .await?;
    let found: std::collections::HashSet<&str> = facts
        .iter()
        .map(|f| f.shipment.tracking_number.as_str())
        .collect();
    let mut refs: Vec<String> = batch
        .iter()
        .filter(|p| !found.contains(p.tracking_number.as_str()))
        .filter_map(|p| p.reference.clone())
        .collect();
    drop(found);
    refs.sort_unstable();
    refs.dedup();
    if !refs.is_empty() {
        let known: std::collections::HashSet<String> = facts
            .iter()
            .map(|f| f.shipment.shipment_id.clone())
            .collect();
        let by_ref: Vec<Facts> = store
            .shipment_facts_by_reference(tenant, carrier, &refs)
            .await?;
        facts.extend(
            by_ref
                .into_iter()
                .filter(|f| !known.contains(&f.shipment.shipment_id)),
        );
    }
    let numbers: Vec<String> = facts
        .iter()
        .map(|f| f.shipment.tracking_number.clone())
        .collect();
    let billings = store.earlier_billings(tenant, &numbers).await?;
    let mut earlier: HashMap<String, Vec<String>> = HashMap::new();
    if !billings.is_empty() {
        let ours = billed_on(batch);
        for (tn, inv, date) in billings {
            let later = match (date, ours.get(tn.as_str())) {
                (Some(date), Some((our_date, our_inv))) => {
                    (date.as_str(), inv.as_str()) > (our_date.as_str(), *our_inv)
                }
                // Without dates to compare it counts as earlier.
                _ => false,
            };
            if !later {
                earlier.entry(tn).or_default().push(inv);
            }
        }
    }
    let mut ids = HashMap::with_capacity(facts.len());
    let mut shipments = Vec::with_capacity(facts.len());
    for f in facts {
        if recording {
            ids.insert(
                f.shipment.tracking_number.clone(),
                f.shipment.shipment_id.clone(),
            );
        }
        let mut e = expected(f)?;
        e.previously_billed = earlier.remove(&e.tracking_number).unwrap_or_default();
        shipments.push(e);
    }
    Ok((ShipmentIndex::new(shipments), ids))
}

/// When this batch bills each package's shipment charge: (invoice date, invoice number), the
/// earliest when it does so twice. A kept billing after that (by date, then invoice number,
/// which carriers count up per account) is a later invoice's: re-auditing an older invoice must
/// not call its line the duplicate of a later one.
fn billed_on(batch: &[InvoicePackage]) -> HashMap<&str, (String, &str)> {
    let mut on: HashMap<&str, (String, &str)> = HashMap::new();
    for p in batch.iter().filter(|p| bills_shipment(p)) {
        let Some(date) = p.invoice_date else { continue };
        let this = (date.to_string(), p.invoice_number.as_str());
        on.entry(p.tracking_number.as_str())
            .and_modify(|e| {
                if this < *e {
                    *e = this.clone();
                }
            })
            .or_insert(this);
    }
    on
}

/// A stored shipment as the audit reads it.
pub type Facts = ShipmentFacts<FactsDoc>;

/// What the audit reads of a shipment, kept with it at purchase (`audit_facts`): what was
/// bought, the lane, the parcels and the charges as the carrier itemised them.
#[derive(Clone, Debug, Serialize)]
pub struct AuditFacts<'a> {
    pub shipment_id: &'a str,
    pub carrier: &'a str,
    pub service_code: &'a str,
    pub tracking_number: &'a str,
    pub reference: Option<&'a str>,
    pub total_amount: String,
    pub total_currency: &'a str,
    pub from: End,
    pub to: End,
    pub parcels: &'a [Parcel],
    pub breakdown: &'a [Charge],
}

/// The audit facts of a purchase, as stored.
pub fn audit_facts_json(
    s: &crate::store::ShipmentRecord,
    request: &RateRequest,
    breakdown: &[Charge],
) -> String {
    let end = |a: &shiphub_carriers::model::Address| End {
        country: a.country,
        postal_code: a.postal_code.clone(),
        residential: a.residential,
    };
    serde_json::to_string(&AuditFacts {
        shipment_id: s.id.as_str(),
        carrier: &s.carrier,
        service_code: &s.service_code,
        tracking_number: &s.tracking_number,
        reference: s.reference.as_deref(),
        total_amount: s.total.amount().to_string(),
        total_currency: s.total.currency().code(),
        from: end(&request.from),
        to: end(&request.to),
        parcels: &request.parcels,
        breakdown,
    })
    .expect("audit facts serialize")
}

/// `audit_facts` as read back, or for a shipment bought before they were kept, the same
/// fields with its request and waybill. (Plain optional fields, not `#[serde(flatten)]`:
/// flattening buffers every value first.)
#[derive(Clone, Debug, Deserialize)]
pub struct FactsDoc {
    pub shipment_id: String,
    pub carrier: String,
    pub service_code: String,
    pub tracking_number: String,
    pub reference: Option<String>,
    pub total_amount: String,
    pub total_currency: String,
    from: Option<End>,
    to: Option<End>,
    parcels: Option<Vec<Parcel>>,
    breakdown: Option<Vec<Charge>>,
    request: Option<RequestFacts>,
    waybill: Option<WaybillFacts>,
}

/// Lane, parcels and charges, from either form.
struct Bought {
    from: End,
    to: End,
    parcels: Vec<Parcel>,
    breakdown: Vec<Charge>,
}

impl FactsDoc {
    fn bought(&mut self) -> Option<Bought> {
        if let (Some(from), Some(to), Some(parcels)) =
            (self.from.take(), self.to.take(), self.parcels.take())
        {
            return Some(Bought {
                from,
                to,
                parcels,
                breakdown: self.breakdown.take().unwrap_or_default(),
            });
        }
        let (r, w) = (self.request.take()?, self.waybill.take()?);
        Some(Bought {
            from: r.from,
            to: r.to,
            parcels: r.parcels,
            breakdown: w.breakdown,
        })
    }
}

/// The parts of a stored ship request the audit reads.
#[derive(Clone, Debug, Deserialize)]
pub struct RequestFacts {
    from: End,
    to: End,
    parcels: Vec<Parcel>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct End {
    country: CountryCode,
    #[serde(default)]
    postal_code: Option<String>,
    #[serde(default)]
    residential: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WaybillFacts {
    #[serde(default)]
    breakdown: Vec<Charge>,
}

/// What the audit expects of a stored shipment. A multi-parcel shipment's quote covers all
/// its pieces while a package line bills one: its quote is left out (weight and surcharge
/// rules still apply to the first parcel, which carries the master tracking number).
pub fn expected(f: Facts) -> Result<ExpectedShipment, ReconcileError> {
    let mut doc = f.shipment;
    let bought = doc.bought();
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        ReconcileError::Store(StoreError::Corrupt(format!(
            "shipment {} {what}: {e}",
            doc.shipment_id
        )))
    };
    let facts = bought.ok_or_else(|| corrupt("audit facts", &"neither kept nor derivable"))?;
    let (req, wb) = (&facts, &facts);
    let single = req.parcels.len() == 1;
    let first = req.parcels.first();
    let total = Decimal::from_str(&doc.total_amount).map_err(|e| corrupt("total", &e))?;
    let currency = Currency::from_str(&doc.total_currency).ok();
    let promised_by = f
        .promised_date
        .as_deref()
        .and_then(|d| Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok())
        .map(|d| d.with_time(Time::MAX).assume_utc());
    Ok(ExpectedShipment {
        tracking_number: doc.tracking_number.clone(),
        reference: doc.reference.clone(),
        service: billing_service(&doc.carrier, &doc.service_code),
        zone: None,
        declared_weight: first.map(|p| p.weight),
        declared_dimensions: first.and_then(|p| p.dimensions),
        residential: Some(req.to.residential),
        address_validated: false,
        quoted_total: single.then_some(total),
        currency,
        quoted: if single {
            ExpectedCharge::from_charges(&wb.breakdown)
        } else {
            Vec::new()
        },
        voided_at: f.voided_at,
        delivered_at: f.delivered_at,
        promised_by,
        guaranteed: matches!(f.service_class.as_deref(), Some("overnight" | "express")),
        lane: Some((
            LaneEnd {
                country: req.from.country,
                postal_code: req.from.postal_code.clone(),
                residential: req.from.residential,
            },
            LaneEnd {
                country: req.to.country,
                postal_code: req.to.postal_code.clone(),
                residential: req.to.residential,
            },
        )),
        previously_billed: Vec::new(),
    })
}

/// The service code as the carrier's invoice writes it. UPS bills a service under a
/// three-digit Charge Description Code that is the API's two-digit service code zero-padded
/// (`03` Ground → `003`); DHL Express invoices carry the product code the API uses. FedEx
/// invoices name the service in words, so no code is compared for FedEx.
pub fn billing_service(carrier: &str, code: &str) -> Option<String> {
    match carrier {
        "ups" => Some(format!("{code:0>3}")),
        "fedex" => None,
        _ => Some(code.to_string()),
    }
}

/// Settles a recorded import: completed with its `reconciliation.completed` event, or failed
/// with everything it wrote deleted. Returns the failure, if any.
pub async fn finish(
    store: &Store,
    tenant: &TenantId,
    id: &ReconciliationId,
    carrier: &str,
    result: Result<Outcome, ReconcileError>,
) -> Option<String> {
    let now = OffsetDateTime::now_utc();
    let settled = match result {
        Ok(outcome) => {
            let done = ReconciliationDone {
                lines: outcome.import.lines as i64,
                packages: outcome.import.packages as i64,
                error_count: outcome.import.error_count as i64,
                summary: outcome.summary_json().to_string(),
            };
            let event = NewEvent {
                kind: "reconciliation.completed",
                subject_id: id.to_string(),
                data: serde_json::json!({
                    "id": id.to_string(),
                    "carrier": carrier,
                    "lines": done.lines,
                    "packages": done.packages,
                    "error_count": done.error_count,
                    "currency": outcome.report.currency,
                    "totals": outcome.report.total,
                    "url": format!("/v1/reconciliations/{id}"),
                }),
            };
            match store
                .complete_reconciliation(tenant, id, &done, &event, now)
                .await
            {
                Ok(true) => {
                    tracing::info!(reconciliation = %id, lines = done.lines, "reconciliation completed");
                    Ok(())
                }
                Ok(false) => {
                    Err("the import was taken for abandoned before it finished".to_string())
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    let why = settled.err()?;
    tracing::warn!(reconciliation = %id, error = %why, "reconciliation failed");
    if let Err(e) = store.fail_reconciliation(tenant, id, &why, now).await {
        tracing::error!(reconciliation = %id, error = %e, "could not mark the reconciliation failed");
    }
    Some(why)
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;
    use shiphub_rating::invoice::{ChargeCategory, InvoiceCharge};
    use time::macros::datetime;

    use super::*;

    const WAYBILL: &str = r#"{"pieces":["1Z1"],"carrier_shipment_id":"1Z1","breakdown":[{"kind":"base","description":"Base","amount":{"amount":"21.60","currency":"USD"}},{"kind":"fuel","code":"375","description":"Fuel","amount":{"amount":"3.24","currency":"USD"}}],"warnings":[],"carrier_label":"zpl"}"#;

    fn request_json(parcels: usize) -> String {
        let parcel = r#"{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}"#;
        format!(
            r#"{{"from":{{"name":"a","street":["s"],"city":"c","state":"GA","postal_code":"30301","country":"US"}},"to":{{"name":"b","street":["s"],"city":"c","state":"CA","postal_code":"94105","country":"US","residential":true}},"parcels":[{}]}}"#,
            vec![parcel; parcels].join(",")
        )
    }

    fn tracked(shipment: FactsDoc) -> Facts {
        Facts {
            shipment,
            voided_at: None,
            delivered_at: Some(datetime!(2026-11-18 15:00 UTC)),
            promised_date: Some("2026-11-17".into()),
            service_class: Some("overnight".into()),
        }
    }

    /// A shipment bought before audit facts were kept (decoded from request and waybill).
    fn facts(parcels: usize) -> Facts {
        tracked(
            serde_json::from_str(&format!(
                r#"{{"shipment_id":"shp_1","carrier":"ups","service_code":"01","tracking_number":"1Z1","reference":"ORDER-1","total_amount":"24.84","total_currency":"USD","request":{},"waybill":{WAYBILL}}}"#,
                request_json(parcels)
            ))
            .unwrap(),
        )
    }

    #[test]
    fn a_stored_shipment_becomes_what_the_audit_expects() {
        let e = expected(facts(1)).unwrap();
        assert_eq!(
            e.service.as_deref(),
            Some("001"),
            "UPS bills service 01 as 001"
        );
        assert_eq!(e.quoted_total, Some(dec!(24.84)));
        assert_eq!(
            e.quoted
                .iter()
                .map(|c| (c.category, c.amount))
                .collect::<Vec<_>>(),
            [
                (ChargeCategory::Base, dec!(21.60)),
                (ChargeCategory::Fuel, dec!(3.24))
            ]
        );
        assert_eq!(e.residential, Some(true));
        assert!(e.guaranteed, "overnight service is guaranteed");
        assert_eq!(
            e.promised_by,
            Some(datetime!(2026-11-17 23:59:59.999999999 UTC))
        );
        assert_eq!(e.delivered_at, Some(datetime!(2026-11-18 15:00 UTC)));
        let (from, to) = e.lane.unwrap();
        assert_eq!(from.postal_code.as_deref(), Some("30301"));
        assert!(to.residential);
        assert_eq!(e.declared_weight.unwrap().value(), dec!(2.5));
    }

    #[test]
    fn facts_kept_at_purchase_give_the_same_expectation() {
        let legacy = expected(facts(1)).unwrap();
        let request: RateRequest = serde_json::from_str(&request_json(1)).unwrap();
        let waybill: serde_json::Value = serde_json::from_str(WAYBILL).unwrap();
        let breakdown: Vec<Charge> = serde_json::from_value(waybill["breakdown"].clone()).unwrap();
        let record = crate::store::ShipmentRecord {
            id: crate::ids::ShipmentId::generate(),
            carrier_account_id: crate::ids::AccountId::generate(),
            carrier: "ups".into(),
            service_code: "01".into(),
            status: "purchased".into(),
            tracking_number: "1Z1".into(),
            reference: Some("ORDER-1".into()),
            total: shiphub_carriers::model::Money::new(dec!(24.84), Currency::USD),
            label_format: "zpl".into(),
            request: String::new(),
            waybill: String::new(),
            created_at: datetime!(2026-11-16 10:00 UTC),
            updated_at: datetime!(2026-11-16 10:00 UTC),
            voided_at: None,
            audit_facts: None,
        };
        let kept = tracked(
            serde_json::from_str(&audit_facts_json(&record, &request, &breakdown)).unwrap(),
        );
        let e = expected(kept).unwrap();
        let view = |e: &ExpectedShipment| {
            format!(
                "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                e.tracking_number,
                e.reference,
                e.service,
                e.quoted_total,
                e.quoted,
                e.declared_weight,
                e.declared_dimensions,
                e.residential,
                e.lane
            )
        };
        assert_eq!(view(&e), view(&legacy));
    }

    #[test]
    fn a_multi_parcel_quote_is_not_held_against_one_package() {
        let e = expected(facts(2)).unwrap();
        assert_eq!(e.quoted_total, None);
        assert!(e.quoted.is_empty());
        assert!(
            e.declared_weight.is_some(),
            "the first parcel's weight still applies"
        );
    }

    #[test]
    fn ground_is_not_guaranteed_and_fedex_compares_no_service_code() {
        let mut f = facts(1);
        f.service_class = Some("standard".into());
        assert!(!expected(f.clone()).unwrap().guaranteed);
        assert_eq!(billing_service("fedex", "FEDEX_GROUND"), None);
        assert_eq!(billing_service("dhl_express", "P").as_deref(), Some("P"));
        assert_eq!(billing_service("ups", "03").as_deref(), Some("003"));
        f.shipment.total_amount = "twelve".into();
        assert!(matches!(
            expected(f.clone()),
            Err(ReconcileError::Store(StoreError::Corrupt(_)))
        ));
    }

    fn package(tracking: &str, invoice: &str, date: Option<Date>, charge: bool) -> InvoicePackage {
        InvoicePackage {
            carrier: InvoiceCarrier::Ups,
            tracking_number: tracking.into(),
            reference: None,
            service: None,
            service_name: None,
            invoice_number: invoice.into(),
            invoice_date: date,
            ship_date: None,
            delivered_on: None,
            currency: shiphub_carriers::model::Currency::USD,
            entered_weight: None,
            billed_weight: None,
            billed_dimensions: None,
            zone: None,
            charges: vec![InvoiceCharge {
                category: if charge {
                    ChargeCategory::Base
                } else {
                    ChargeCategory::Surcharge
                },
                code: None,
                description: "freight".into(),
                amount: dec!(10),
                basis: None,
                adjustment: false,
                line: 2,
            }],
        }
    }

    #[test]
    fn a_batch_bills_each_shipment_on_its_earliest_dated_invoice() {
        use time::macros::date;
        let batch = vec![
            package("1ZA", "480", Some(date!(2026 - 11 - 21)), true),
            package("1ZA", "470", Some(date!(2026 - 11 - 21)), true),
            package("1ZB", "490", Some(date!(2026 - 11 - 28)), true),
            // A surcharge alone does not bill the shipment; an undated line cannot be ordered.
            package("1ZC", "400", Some(date!(2026 - 11 - 01)), false),
            package("1ZD", "410", None, true),
        ];
        let on = billed_on(&batch);
        assert_eq!(on["1ZA"], ("2026-11-21".to_string(), "470"));
        assert_eq!(on["1ZB"], ("2026-11-28".to_string(), "490"));
        assert!(!on.contains_key("1ZC") && !on.contains_key("1ZD"));
        // ISO dates order as text: a later billing compares greater.
        assert!(("2026-12-01", "100") > (on["1ZB"].0.as_str(), on["1ZB"].1));
    }

    #[test]
    fn chunked_reports_hand_over_every_byte_in_order() {
        let out = Arc::new(Mutex::new(Vec::new()));
        {
            let mut w = ChunkSink::new("report.csv", out.clone());
            for _ in 0..3 {
                w.write_all(&vec![b'x'; CHUNK / 2 + 1]).unwrap();
            }
        }
        let chunks = out.lock().unwrap();
        assert_eq!(chunks.iter().map(|c| c.seq).collect::<Vec<_>>(), [0, 1]);
        let total: usize = chunks.iter().map(|c| c.content.len()).sum();
        assert_eq!(total, 3 * (CHUNK / 2 + 1));
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        let mut d = AuditSettingsDoc::default();
        assert!(d.validate().is_ok());
        d.fuel.push(FuelRow {
            carrier: "royal_mail".into(),
            from: time::macros::date!(2026 - 01 - 01),
            percent: dec!(10),
        });
        assert_eq!(d.validate().unwrap_err().0, "/fuel/0/carrier");
        d.fuel[0].carrier = "ups".into();
        d.tolerances.late_grace_minutes = 90;
        let s = d.to_settings();
        assert_eq!(s.tolerances.late_grace, Duration::minutes(90));
        assert_eq!(s.fuel[0].carrier, InvoiceCarrier::Ups);
    }
}
