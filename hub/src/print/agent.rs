//! The agents' side: a station's agent authenticates with its token, long-polls for its jobs
//! (reporting its printer as it does), acknowledges each job, and reports its printer's state.

use std::time::Duration;

use time::OffsetDateTime;

use super::{AckStatus, PrinterLanguage, PrinterState, check_detail, job_event, station_printer};
use crate::crypto::hash_api_key;
use crate::error::Error;
use crate::ids::{PrintJobId, TenantId};
use crate::state::AppState;
use crate::store::{AckOutcome, JobAck, JobSubject, PrintJobRecord, ShipmentRecord, StationRecord};
use shiphub_labels::{Dpi, PrinterFont, RenderOptions as LabelOptions};

/// Longest long poll an agent may ask for.
const MAX_WAIT_SECS: u64 = 60;

/// The station behind an agent's token.
pub struct Agent {
    pub tenant: TenantId,
    pub station: StationRecord,
}

/// The agent whose station token `bearer` is (`shps_…`).
pub async fn authenticate(app: &AppState, bearer: Option<&str>) -> Result<Agent, Error> {
    let token = bearer
        .filter(|t| t.starts_with("shps_"))
        .ok_or(Error::Unauthorized(
            "send `Authorization: Bearer <station token>`",
        ))?;
    let (tenant, station) = app
        .store
        .station_for_token(&hash_api_key(token))
        .await?
        .ok_or(Error::Unauthorized("unknown or rotated station token"))?;
    Ok(Agent { tenant, station })
}

/// An agent's poll: how long to wait for a job, how many to take, and its printer when it
/// names it (jobs are rendered for it from then on, queued ones included).
pub struct Poll {
    pub wait: Option<u64>,
    pub limit: Option<u32>,
    pub printer_language: Option<PrinterLanguage>,
    pub dpi: Option<Dpi>,
}

/// A job handed to the agent, with its shipment (none for a batch's job) and its document
/// rendered for the printer.
pub struct Delivery {
    pub job: PrintJobRecord,
    pub shipment: Option<ShipmentRecord>,
    pub document: Vec<u8>,
}

impl Agent {
    /// The station's next jobs, oldest first, marked delivered. Waits up to `wait` seconds
    /// when none is queued; a job delivered and not acknowledged comes back after the
    /// redelivery interval.
    pub async fn poll(self, app: &AppState, p: Poll) -> Result<Vec<Delivery>, Error> {
        let wait = p.wait.unwrap_or(0);
        if wait > MAX_WAIT_SECS {
            return Err(Error::field(
                "/query/wait",
                format!("must be at most {MAX_WAIT_SECS}"),
            ));
        }
        let limit = p.limit.unwrap_or(10);
        if !(1..=50).contains(&limit) {
            return Err(Error::field("/query/limit", "must be between 1 and 50"));
        }
        let Agent { tenant, station } = self;
        let now = OffsetDateTime::now_utc();
        app.store.station_seen(&station.id, now, None).await?;
        if p.printer_language.is_some() || p.dpi.is_some() {
            printer_reported(app, &tenant, &station, &p, now).await?;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
        let wakeup = app.print_wakeups.get(&station.id);
        let mut shutdown = app.shutdown.subscribe();
        let jobs = loop {
            let woken = wakeup.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let now = OffsetDateTime::now_utc();
            // A fenced instance may be declared dead any moment: it hands out nothing new.
            let jobs = if app.instances.fenced() {
                vec![]
            } else {
                app.store
                    .claim_print_jobs(
                        &tenant,
                        &station.id,
                        now,
                        now - app.print.redeliver_after,
                        limit,
                    )
                    .await?
            };
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if !jobs.is_empty() || left.is_zero() || *shutdown.borrow() {
                break jobs;
            }
            // Re-check now and then for jobs other instances queued or redeliveries came due.
            tokio::select! {
                _ = &mut woken => {}
                _ = tokio::time::sleep(left.min(Duration::from_secs(2))) => {}
                _ = shutdown.changed() => {}
            }
        };
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            out.push(delivery(app, &tenant, job, station.printer_font).await?);
        }
        metrics::counter!("shiphub_print_jobs_delivered_total").increment(out.len() as u64);
        Ok(out)
    }

    /// The agent's word on a job. Repeating the same acknowledgement is harmless (the job as
    /// it is); contradicting an earlier one is a conflict.
    pub async fn ack(
        &self,
        app: &AppState,
        id: &str,
        status: AckStatus,
        detail: Option<&str>,
    ) -> Result<PrintJobRecord, Error> {
        check_detail(detail)?;
        let id = PrintJobId::parse(id).ok_or(Error::NotFound("print job"))?;
        let ack = JobAck {
            status,
            detail,
            at: OffsetDateTime::now_utc(),
        };
        let outcome = app
            .store
            .ack_print_job(&self.tenant, &self.station.id, &id, &ack, job_event)
            .await?;
        match outcome {
            AckOutcome::Updated(job) => {
                metrics::counter!("shiphub_print_jobs_total", "status" => job.status.as_str())
                    .increment(1);
                Ok(job)
            }
            AckOutcome::Unchanged(job) => Ok(job),
            AckOutcome::Conflict(job) => Err(Error::Conflict(format!(
                "print job {} is already {}",
                job.id, job.status
            ))),
            AckOutcome::NotFound => Err(Error::NotFound("print job")),
        }
    }

    /// Records the state the agent reports of its printer (shown on the station).
    pub async fn report(
        &self,
        app: &AppState,
        state: PrinterState,
        detail: Option<&str>,
    ) -> Result<(), Error> {
        check_detail(detail)?;
        app.store
            .station_seen(
                &self.station.id,
                OffsetDateTime::now_utc(),
                Some((state, detail)),
            )
            .await?;
        Ok(())
    }
}

/// Records the printer the agent names in its poll, when it is news; unfinished jobs follow
/// it (and sheet jobs fail on a ZPL printer).
async fn printer_reported(
    app: &AppState,
    tenant: &TenantId,
    station: &StationRecord,
    p: &Poll,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let current = station_printer(station);
    let language = p.printer_language.unwrap_or(current.language);
    let dpi = p.dpi.unwrap_or(current.options.dpi);
    if station.agent_format == Some(language) && station.agent_dpi == Some(dpi) {
        return Ok(());
    }
    let failed = app
        .store
        .station_printer_reported(tenant, &station.id, language, dpi, now, job_event)
        .await?;
    tracing::info!(station = %station.id, format = language.as_str(), dpi = dpi.dpi(), failed = failed.len(), "the agent reported its printer");
    if !failed.is_empty() {
        metrics::counter!("shiphub_print_jobs_total", "status" => "failed")
            .increment(failed.len() as u64);
    }
    Ok(())
}

/// A claimed job with its shipment and its document, rendered as the job says: a shipment's
/// label, or a batch's labels merged in the order the job keeps (the same document
/// `GET /v1/batches/{id}/labels` serves, on the job's stock at its resolution).
async fn delivery(
    app: &AppState,
    tenant: &TenantId,
    job: PrintJobRecord,
    // The polling station's font for Chinese, as it is now (not when the job was queued).
    printer_font: Option<PrinterFont>,
) -> Result<Delivery, Error> {
    let options = LabelOptions {
        stock: job.stock,
        dpi: job.dpi,
        printer_font,
    };
    let format = job.format.format();
    match &job.subject {
        JobSubject::Shipment(id) => {
            let shipment = app
                .store
                .get_shipment(tenant, id)
                .await?
                .ok_or_else(|| Error::Internal(format!("shipment of {} missing", job.id)))?;
            let document = crate::labels::document(app, tenant, &shipment, format, options).await?;
            Ok(Delivery {
                job,
                shipment: Some(shipment),
                document,
            })
        }
        JobSubject::Batch { id, sort, labels } => {
            let queued = *labels;
            let batch = app
                .store
                .get_batch(tenant, id)
                .await?
                .ok_or_else(|| Error::Internal(format!("batch of {} missing", job.id)))?;
            let sort = crate::batches::Sort::parse(sort).unwrap_or_default();
            let (document, n) =
                crate::batches::merged_labels(app, tenant, &batch, format, sort, Some(options))
                    .await?;
            // Labels voided since the job was queued are not in the document: the job says
            // what the agent is given, here and from then on in the API.
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            let mut job = job;
            if n != queued {
                app.store.set_batch_job_labels(tenant, &job.id, n).await?;
                if let JobSubject::Batch { labels, .. } = &mut job.subject {
                    *labels = n;
                }
            }
            Ok(Delivery {
                job,
                shipment: None,
                document,
            })
        }
    }
}
