//! Recording an import: report chunks stored as they fill, the package rows kept, and the
//! import settled (completed with its event, or failed and removed).

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use shiphub_rating::invoice::{AuditedPackage, ShipmentIndex};
use time::OffsetDateTime;

use super::lookup::bills_shipment;
use super::{Outcome, ReconcileError};
use crate::events::EventType;
use crate::ids::{ReconciliationId, TenantId};
use crate::store::{FileChunk, InvoicePackageRow, NewEvent, ReconciliationDone, Store};

/// Size of a stored report chunk.
pub(super) const CHUNK: usize = 1 << 20;

/// A report written into chunks that the recorder stores as they fill.
pub(super) struct ChunkSink {
    pub(super) kind: &'static str,
    pub(super) buf: Vec<u8>,
    pub(super) seq: i64,
    pub(super) out: Arc<Mutex<Vec<FileChunk>>>,
}

impl ChunkSink {
    pub(super) fn new(kind: &'static str, out: Arc<Mutex<Vec<FileChunk>>>) -> Self {
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

pub(super) type Audited = (Vec<InvoicePackageRow>, Vec<FileChunk>);

pub(super) fn package_row(
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
                kind: EventType::ReconciliationCompleted,
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
