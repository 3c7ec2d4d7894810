//! Print jobs: a shipment's label (or a batch's merged labels, `crate::batches::print`)
//! queued for a station, checked against its printer, and the event a job's final state emits.

use std::time::Duration;

use shiphub_carriers::model::LabelFormat;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::stations::{refuse_stock, station_printer};
use super::{JobStatus, PrinterLanguage, not_a_language, parse_language};
use crate::error::Error;
use crate::events::EventType;
use crate::ids::{BatchId, PrintJobId, ShipmentId, StationId, TenantId};
use crate::state::AppState;
use crate::store::{
    IdemCompletion, JobSubject, NewEvent, PrintJobRecord, ShipmentRecord, ShipmentStatus,
    StationRecord,
};
use shiphub_labels::{Dpi, RenderOptions as LabelOptions, Stock};

/// Default and longest job TTL.
const DEFAULT_TTL_SECS: u64 = 3600;
pub const DEFAULT_TTL: Duration = Duration::from_secs(DEFAULT_TTL_SECS);
const MAX_TTL_SECS: u64 = 7 * 24 * 3600;
const MAX_COPIES: u32 = 100;

/// A tenant's request to print a shipment's label; unset fields follow the station.
pub struct JobRequest {
    pub shipment_id: String,
    pub station_id: String,
    /// Checked against the station's printer once that is known, hence still text.
    pub format: Option<String>,
    pub stock: Option<Stock>,
    pub dpi: Option<Dpi>,
    pub copies: Option<u32>,
    pub ttl_seconds: Option<u64>,
}

/// A checked job for `req` (not stored yet: see [`queue_job`]).
pub async fn prepare_job(
    app: &AppState,
    tenant: &TenantId,
    req: JobRequest,
) -> Result<PrintJobRecord, Error> {
    let shipment_id = ShipmentId::parse(&req.shipment_id)
        .ok_or_else(|| Error::field("/shipment_id", "not a shipment id"))?;
    let shipment = app
        .store
        .get_shipment(tenant, &shipment_id)
        .await?
        .ok_or_else(|| Error::field("/shipment_id", "no such shipment"))?;
    let station = station_for_job(app, tenant, &req.station_id, "/station_id").await?;
    let printer = station_printer(&station);
    let language = printer.language;
    if let Some(f) = req.format.as_deref()
        && parse_language(f)? != language
    {
        return Err(Error::field(
            "/format",
            format!(
                "the printer of station {} takes {language}, not {f}",
                station.id
            ),
        ));
    }
    let stock = req.stock.unwrap_or(printer.options.stock);
    refuse_stock(stock, language)?;
    let dpi = match req.dpi {
        // ZPL is drawn in the printhead's dots: another resolution prints the wrong size.
        Some(d) if language == PrinterLanguage::Zpl && d != printer.options.dpi => {
            return Err(Error::field(
                "/dpi",
                format!(
                    "the printer of station {} prints at {} dpi",
                    station.id,
                    printer.options.dpi.dpi()
                ),
            ));
        }
        Some(d) => d,
        None => printer.options.dpi,
    };
    let copies = check_copies(req.copies, "/copies")?;
    let ttl = req.ttl_seconds.unwrap_or(DEFAULT_TTL_SECS);
    if !(1..=MAX_TTL_SECS).contains(&ttl) {
        return Err(Error::field(
            "/ttl_seconds",
            format!("must be between 1 and {MAX_TTL_SECS}"),
        ));
    }
    new_job(
        &shipment,
        &station,
        printer.format,
        LabelOptions {
            stock,
            dpi,
            printer_font: printer.options.printer_font,
        },
        copies,
        Duration::from_secs(ttl),
    )
}

/// A new job printing again what the failed or expired job `id` did not: the same shipment
/// (or batch), station, stock and copies, rendered for the station's printer as it is now.
/// Not stored yet: see [`queue_retry`]. A job is retried once (409 naming the job that
/// retried it), so the label cannot come out twice however often Retry is pressed.
pub async fn prepare_retry(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
) -> Result<(PrintJobId, PrintJobRecord), Error> {
    let old = get_job(app, tenant, id).await?;
    if !matches!(old.status, JobStatus::Failed | JobStatus::Expired) {
        return Err(Error::Conflict(format!(
            "print job {} is {}; only a failed or expired job is retried",
            old.id, old.status
        )));
    }
    if let Some(by) = app.store.print_job_retried_by(tenant, &old.id).await? {
        return Err(Error::Conflict(format!(
            "print job {} was retried already, as {by}",
            old.id
        )));
    }
    let job = match &old.subject {
        JobSubject::Shipment(shipment) => {
            prepare_job(
                app,
                tenant,
                JobRequest {
                    shipment_id: shipment.to_string(),
                    station_id: old.station_id.to_string(),
                    format: None,
                    stock: Some(old.stock),
                    dpi: None,
                    copies: Some(old.copies),
                    ttl_seconds: None,
                },
            )
            .await?
        }
        JobSubject::Batch { id, sort, labels } => {
            let station = app
                .store
                .get_station(tenant, &old.station_id)
                .await?
                .ok_or(Error::NotFound("print station"))?;
            batch_job(id, sort, *labels, &station, old.copies)?
        }
    };
    Ok((old.id, job))
}

/// Stores a retry prepared by [`prepare_retry`] (completing `idem` with it) and wakes the
/// station's poll; a conflict when another retry of `old` came first.
pub async fn queue_retry(
    app: &AppState,
    tenant: &TenantId,
    old: &PrintJobId,
    job: &PrintJobRecord,
    idem: Option<&IdemCompletion>,
) -> Result<(), Error> {
    if !app.store.retry_print_job(tenant, old, job, idem).await? {
        return Err(Error::Conflict(format!(
            "print job {old} was retried already, or is no longer failed"
        )));
    }
    app.print_wakeups.wake(&job.station_id);
    metrics::counter!("shiphub_print_jobs_total", "status" => "queued").increment(1);
    Ok(())
}

/// The copies asked for (default 1), checked; a 422 on `field` outside 1 to 100.
pub fn check_copies(copies: Option<u32>, field: &str) -> Result<u32, Error> {
    let copies = copies.unwrap_or(1);
    if !(1..=MAX_COPIES).contains(&copies) {
        return Err(Error::field(
            field,
            format!("must be between 1 and {MAX_COPIES}"),
        ));
    }
    Ok(copies)
}

/// A queued job for a batch's merged labels (`labels` of them, ordered by `sort`) on
/// `station`, in its printer's language, on its stock at its resolution. The caller checked
/// that the labels exist in that language on that stock.
pub fn batch_job(
    batch: &BatchId,
    sort: &str,
    labels: u32,
    station: &StationRecord,
    copies: u32,
) -> Result<PrintJobRecord, Error> {
    let printer = station_printer(station);
    refuse_stock(printer.options.stock, printer.language)?;
    let now = OffsetDateTime::now_utc();
    Ok(PrintJobRecord {
        id: PrintJobId::generate(),
        station_id: station.id.clone(),
        subject: JobSubject::Batch {
            id: batch.clone(),
            sort: sort.to_string(),
            labels,
        },
        format: printer.language,
        stock: printer.options.stock,
        dpi: printer.options.dpi,
        copies,
        status: JobStatus::Queued,
        detail: None,
        deliveries: 0,
        created_at: now,
        expires_at: now + DEFAULT_TTL,
        delivered_at: None,
        completed_at: None,
    })
}

/// Stores a job (completing `idem` in the same transaction) and wakes its station's poll.
pub async fn queue_job(
    app: &AppState,
    tenant: &TenantId,
    job: &PrintJobRecord,
    idem: Option<&IdemCompletion>,
) -> Result<(), Error> {
    app.store.insert_print_job(tenant, job, idem).await?;
    app.print_wakeups.wake(&job.station_id);
    metrics::counter!("shiphub_print_jobs_total", "status" => "queued").increment(1);
    Ok(())
}

/// A queued job for a shipment's label on a station, checked: the shipment is live and its
/// label exists (or converts) in the format and on the stock asked for.
pub fn new_job(
    shipment: &ShipmentRecord,
    station: &StationRecord,
    format: LabelFormat,
    options: LabelOptions,
    copies: u32,
    ttl: Duration,
) -> Result<PrintJobRecord, Error> {
    if shipment.voided_at.is_some() || shipment.status == ShipmentStatus::VoidRequested {
        return Err(Error::Conflict(format!(
            "shipment {} is voided; its label must not be printed",
            shipment.id
        )));
    }
    if let Some(r) = crate::labels::refusal(shipment, format, options) {
        return Err(r.at("/"));
    }
    let format = PrinterLanguage::of(format).ok_or_else(not_a_language)?;
    let now = OffsetDateTime::now_utc();
    Ok(PrintJobRecord {
        id: PrintJobId::generate(),
        station_id: station.id.clone(),
        subject: JobSubject::Shipment(shipment.id.clone()),
        format,
        stock: options.stock,
        dpi: options.dpi,
        copies,
        status: JobStatus::Queued,
        detail: None,
        deliveries: 0,
        created_at: now,
        expires_at: now + ttl,
        delivered_at: None,
        completed_at: None,
    })
}

/// The tenant's station `id` names, for a job; a 422 on `field` when there is none.
pub async fn station_for_job(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
    field: &str,
) -> Result<StationRecord, Error> {
    let id = StationId::parse(id).ok_or_else(|| Error::field(field, "not a print station id"))?;
    app.store
        .get_station(tenant, &id)
        .await?
        .ok_or_else(|| Error::field(field, "no such print station"))
}

/// Jobs newest first, before the cursor job `before`; filters are optional.
pub async fn list_jobs(
    app: &AppState,
    tenant: &TenantId,
    station: Option<&StationId>,
    status: Option<JobStatus>,
    before: Option<&PrintJobId>,
    limit: u32,
) -> Result<Vec<PrintJobRecord>, Error> {
    Ok(app
        .store
        .list_print_jobs(tenant, station, status, before, limit)
        .await?)
}

pub async fn get_job(app: &AppState, tenant: &TenantId, id: &str) -> Result<PrintJobRecord, Error> {
    let id = PrintJobId::parse(id).ok_or(Error::NotFound("print job"))?;
    app.store
        .get_print_job(tenant, &id)
        .await?
        .ok_or(Error::NotFound("print job"))
}

/// The event a job's final state emits (`print_job.printed`, `.failed`, `.expired`).
pub fn job_event(j: &PrintJobRecord) -> NewEvent {
    let kind = match j.status {
        JobStatus::Printed => EventType::PrintJobPrinted,
        JobStatus::Failed => EventType::PrintJobFailed,
        _ => EventType::PrintJobExpired,
    };
    NewEvent {
        kind,
        subject_id: j.id.to_string(),
        data: job_json(j),
    }
}

/// A job as events carry it: the API's job answer (`api::print::JobOut`, whose tests pin the
/// two equal), written here because the sweep emits events with no API in sight.
pub fn job_json(j: &PrintJobRecord) -> serde_json::Value {
    let time = |t: OffsetDateTime| t.format(&Rfc3339).expect("a job's times format");
    serde_json::json!({
        "id": j.id,
        "station_id": j.station_id,
        "shipment_id": j.subject.shipment(),
        "batch": j.subject.batch(),
        "labels": j.subject.labels(),
        "format": j.format.as_str(),
        "stock": j.stock.as_str(),
        "dpi": j.dpi.dpi(),
        "copies": j.copies,
        "status": j.status.as_str(),
        "detail": j.detail,
        "deliveries": j.deliveries,
        "created_at": time(j.created_at),
        "expires_at": time(j.expires_at),
        "delivered_at": j.delivered_at.map(time),
        "completed_at": j.completed_at.map(time),
    })
}
