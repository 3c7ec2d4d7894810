//! Freight reconciliation, the hub's half: feeds `shiphub_rating::invoice` (parse, audit,
//! reports) the shipments from the store, batch by batch, and records the result.
//!
//! Three stages run at once so both cores work and memory stays flat (bounded channels of a
//! few batches): a thread parses the file; the async caller looks up each batch's shipments
//! and earlier billings in the store; a second thread audits and renders the reports. When the
//! import is recorded, each audited batch and the report chunks it produced are written to the
//! store while the next batch is audited; the import counts only once one transaction marks
//! it completed (with its `reconciliation.completed` event).
//!
//! The packages come from an invoice file, or from a carrier's billing API (`pull`: SF
//! Express's billed freight per waybill, asked in the background), read into the same
//! `InvoicePackage`s: from there on both take the same lookups, audit, reports and record.
//!
//! This module runs the pipeline; its jobs live beside it: `import` (planning, starting and
//! sweeping imports), `pull` (an import of what a carrier's billing API reports), `settings`
//! (a tenant's audit settings), `lookup` (matching a batch to the hub's shipments), `facts`
//! (what the audit reads of a shipment and expects of it) and `record` (storing an import's
//! rows and reports, and settling it). Nothing here knows HTTP.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use shiphub_rating::RateCards;
use shiphub_rating::invoice::{
    AuditSettings, Auditor, CsvReport, DisputeExport, ImportSummary, InvoiceCarrier, InvoiceFormat,
    InvoicePackage, InvoiceReader, JsonReport, ReportSummary, render_pdf,
};
use time::OffsetDateTime;
use tokio::sync::mpsc;

use crate::ids::TenantId;
use crate::store::{Store, StoreError};

mod facts;
mod import;
mod lookup;
mod pull;
mod record;
mod settings;
#[cfg(test)]
mod tests;

pub use facts::{
    AuditFacts, End, Facts, FactsDoc, RequestFacts, WaybillFacts, audit_facts_json,
    billing_service, expected,
};
pub use import::{
    Asked, Import, contract_card, save_mapping, save_settings, start, sweep_abandoned,
};
pub use pull::{
    MAX_NUMBERS, PullAsked, PullPlan, local_offset, period_bounds, pull, resume_pulls, run_pull,
};
pub use record::{Record, finish};
pub use settings::{AuditSettingsDoc, FuelRow, TolerancesDoc, load_settings};

use lookup::{Matched, lookup};
use record::{Audited, ChunkSink, package_row};

/// Packages per batch: one store round trip per kind of lookup, a few MB in flight.
pub const BATCH: usize = 5_000;

/// Everything one reconciliation needs besides its packages.
pub struct Plan {
    pub tenant: TenantId,
    /// Whose audit rules (billable weight, fuel table) and dispute layout apply.
    pub carrier: InvoiceCarrier,
    /// Shipments of which hub carrier the packages can bill (`None`: any).
    pub hub_carrier: Option<String>,
    pub settings: AuditSettings,
    pub cards: Option<RateCards>,
    /// Title on the PDF.
    pub title: String,
}

impl Plan {
    /// Shipments of which hub carrier an invoice in `format` can bill (any, for a mapped
    /// layout).
    pub fn hub_carrier_of(format: &InvoiceFormat) -> Option<String> {
        // The named invoice carriers' codes are the hub's carrier codes.
        match format.carrier() {
            InvoiceCarrier::Other => None,
            named => Some(named.code().to_string()),
        }
    }
}

/// Where a reconciliation's packages come from.
pub enum Input {
    /// An invoice file, read in its layout.
    File(InvoiceFormat, Box<dyn Read + Send>),
    /// Packages already read (a carrier's billing API, `pull`).
    Packages(Vec<InvoicePackage>),
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

enum Parsed {
    Batch(Vec<InvoicePackage>),
    Done(ImportSummary),
}

/// Runs one reconciliation of `input`. With `record`, the import's rows and reports go to the
/// store (the caller then completes or fails it); otherwise only to `sinks`.
pub async fn run(
    store: &Store,
    plan: Plan,
    input: Input,
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
    let carrier = plan.carrier;
    let hub_carrier = plan.hub_carrier.clone();
    let tenant_ref = plan.tenant.clone();
    let r_tenant = plan.tenant.clone();

    // Stage 1: parse.
    let (parsed_tx, parsed_rx) = mpsc::channel::<Result<Parsed, ReconcileError>>(2);
    let parse_progress = progress.clone();
    let parser = std::thread::Builder::new()
        .name("invoice-parse".into())
        .spawn(move || match input {
            Input::File(format, input) => {
                let input = Counted {
                    inner: input,
                    progress: parse_progress.clone(),
                };
                let mut reader =
                    InvoiceReader::new(format, io::BufReader::with_capacity(1 << 20, input));
                loop {
                    match reader.next_batch(BATCH) {
                        Ok(batch) if batch.is_empty() => {
                            let _ =
                                parsed_tx.blocking_send(Ok(Parsed::Done(reader.summary().clone())));
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
            }
            Input::Packages(packages) => {
                // One "line" per package, as the billing API reported each.
                let summary = ImportSummary {
                    lines: packages.len() as u64,
                    charge_lines: packages.iter().map(|p| p.charges.len() as u64).sum(),
                    packages: packages.len() as u64,
                    ..ImportSummary::default()
                };
                let mut left = packages.into_iter();
                loop {
                    let batch: Vec<InvoicePackage> = left.by_ref().take(BATCH).collect();
                    if batch.is_empty() {
                        let _ = parsed_tx.blocking_send(Ok(Parsed::Done(summary)));
                        return;
                    }
                    if parsed_tx.blocking_send(Ok(Parsed::Batch(batch))).is_err() {
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
        let hub_carrier = hub_carrier.as_deref();
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

fn csv_io(e: csv::Error) -> ReconcileError {
    ReconcileError::Io(io::Error::other(e))
}
