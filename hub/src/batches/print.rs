//! A batch's labels sent to a print station as ONE print job (issue 18).
//!
//! Decisions:
//! * The job's document is the batch's merged document (`GET /v1/batches/{id}/labels`) in
//!   the order asked, rendered when an agent is handed the job like any job's: in the
//!   station's printer language (pdf or zpl; a `format` naming another is a 422 on
//!   `format`), on its stock at its resolution. The agent fetches it by job id like any job,
//!   so redelivery, expiry and acknowledgements are unchanged.
//! * Failed items are skipped (they have no label), as are shipments voided since: the job's
//!   `labels` says how many labels it holds, counted when it is queued. A batch with no label
//!   to print is a 409.
//! * Asked with the batch (`print` on `POST /v1/batches`), the job is queued in the same
//!   transaction that completes the batch; if it cannot be (the station was deleted, no item
//!   was bought), the batch completes without one and `batch.completed` says why
//!   (`print_error`, the problem). Asked later (`POST /v1/batches/{id}/print`), a batch still running is
//!   a 409; each such request queues another job (a reprint), the batch shows the latest.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Sort, labelled};
use crate::error::Error;
use crate::ids::TenantId;
use crate::print::{self, PrinterLanguage};
use crate::state::AppState;
use crate::store::{BatchRecord, IdemCompletion, PrintJobRecord};

/// Where and how to print a batch's labels as one job.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintRequest {
    /// The print station (`pst_…`) that gets the merged document.
    pub station_id: String,
    /// The labels' order in the document (default `index`, the order given).
    #[serde(default)]
    pub sort: Sort,
    /// Copies of the whole document, 1 to 100 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<u32>,
    /// `pdf` or `zpl`: when given, it must be the station's printer language (the document
    /// is always rendered in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

impl PrintRequest {
    /// What can be checked before the batch is bought (the station, the format, the copies),
    /// with field errors under `at` (`/print` in a batch request, `` in a print request).
    pub async fn check(
        &self,
        app: &AppState,
        tenant: &TenantId,
        at: &str,
    ) -> Result<crate::store::StationRecord, Error> {
        let station =
            print::station_for_job(app, tenant, &self.station_id, &format!("{at}/station_id"))
                .await?;
        let language = print::station_printer(&station).language;
        if let Some(f) = self.format.as_deref() {
            let asked = PrinterLanguage::parse(f).ok_or_else(|| {
                Error::field(
                    format!("{at}/format"),
                    "must be `pdf` or `zpl`: the formats labels merge in",
                )
            })?;
            if asked != language {
                return Err(Error::field(
                    format!("{at}/format"),
                    format!(
                        "the printer of station {} takes {language}, not {f}",
                        station.id
                    ),
                ));
            }
        }
        print::check_copies(self.copies, &format!("{at}/copies"))?;
        Ok(station)
    }
}

/// The job printing `batch`'s labels as `req` asks (not stored yet): a 409 when the batch
/// has no label to print.
async fn prepare(
    app: &AppState,
    tenant: &TenantId,
    batch: &BatchRecord,
    req: &PrintRequest,
    at: &str,
) -> Result<PrintJobRecord, Error> {
    let station = req.check(app, tenant, at).await?;
    let copies = print::check_copies(req.copies, &format!("{at}/copies"))?;
    let shipments = labelled(app, tenant, batch, req.sort).await?;
    if shipments.is_empty() {
        return Err(Error::Conflict(format!(
            "batch {} has no label to print: no item was bought (or every shipment is voided)",
            batch.id
        )));
    }
    let job = print::batch_job(
        &batch.id,
        req.sort.as_str(),
        shipments.len() as u32,
        &station,
        copies,
    )?;
    let options = shiphub_labels::RenderOptions {
        stock: job.stock,
        dpi: job.dpi,
        printer_font: station.printer_font,
    };
    for s in &shipments {
        if let Some(r) = crate::labels::refusal(s, job.format.format(), options) {
            return Err(r.at(&format!("{at}/")));
        }
    }
    Ok(job)
}

/// The print asked with a batch, as its job, when the batch completes: `Ok(None)` when none
/// was asked (or one was made already), `Err` with why it could not be queued.
pub(super) async fn on_completion(
    app: &AppState,
    tenant: &TenantId,
    batch: &BatchRecord,
) -> Result<Option<PrintJobRecord>, Error> {
    let Some(asked) = batch.print_request.as_deref() else {
        return Ok(None);
    };
    if batch.print_job_id.is_some() {
        return Ok(None);
    }
    let req: PrintRequest = serde_json::from_str(asked)
        .map_err(|e| Error::Internal(format!("stored print request unreadable: {e}")))?;
    prepare(app, tenant, batch, &req, "/print").await.map(Some)
}

/// Queues a completed batch's labels on a station as one job (with `completion`, the
/// caller's answer drawn from the job by `present`, in the same transaction). A batch still
/// running is a 409.
pub async fn print_batch<A>(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
    req: PrintRequest,
    present: impl FnOnce(&PrintJobRecord) -> A,
    completion: impl FnOnce(&A) -> Option<IdemCompletion>,
) -> Result<A, Error> {
    let batch = super::load(app, tenant, id).await?;
    if batch.status != "completed" {
        return Err(Error::Conflict(format!(
            "batch {} is still running ({} of {} items queued): print it once it is completed, \
             or ask `print` with the batch",
            batch.id, batch.queued, batch.item_count
        )));
    }
    let job = prepare(app, tenant, &batch, &req, "").await?;
    let answer = present(&job);
    print::queue_job(app, tenant, &job, completion(&answer).as_ref()).await?;
    tracing::info!(batch = %batch.id, job = %job.id, labels = job.subject.labels(), "batch labels queued for printing");
    Ok(answer)
}
