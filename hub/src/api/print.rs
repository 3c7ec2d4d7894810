//! Warehouse printing over HTTP: tenants register print stations and queue print jobs; a
//! station's agent long-polls for its jobs with its station token, acknowledges each one and
//! reports its printer. The work is `crate::print`'s; this module extracts, calls it and
//! shapes the answers.

use axum::extract::{FromRequestParts, State};
use axum::http::{StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, JsonBody, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::label_options::{Resolution, StockName};
use super::problem::Problem;
use super::responses::*;
use crate::error::Error;
use crate::ids::{PrintJobId, StationId, TenantId};
use crate::print::{self as domain, AckStatus, Agent, JobStatus, PrinterState, StationToken};
use crate::state::AppState;
use crate::store::{PrintJobRecord, StationRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_station, list_stations))
        .routes(routes!(get_station))
        .routes(routes!(rotate_token))
        .routes(routes!(create_job, list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(retry_job))
        .routes(routes!(poll_jobs))
        .routes(routes!(report_status))
        .routes(routes!(ack_job))
}

// The wire twin of `crate::print::PrinterLanguage`: the poll's parameters document it inline,
// and its doc comment below is the schema's description.
/// A printer's language: what its agent can send it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrinterLanguage {
    /// ZPL II, to a thermal printer.
    Zpl,
    /// PDF, through CUPS or into a folder.
    Pdf,
}

impl From<PrinterLanguage> for domain::PrinterLanguage {
    fn from(l: PrinterLanguage) -> Self {
        match l {
            PrinterLanguage::Zpl => domain::PrinterLanguage::Zpl,
            PrinterLanguage::Pdf => domain::PrinterLanguage::Pdf,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationIn {
    /// Shown in lists, e.g. "Dock 3 Zebra".
    name: String,
    /// The printer's language: `zpl` (thermal printers) or `pdf` (default). Every job for the
    /// station is rendered in it; the agent's `printer_language` report overrides it.
    #[serde(default)]
    #[schema(pattern = "^(zpl|pdf)$")]
    format: Option<String>,
    /// The stock loaded (default `4x6`); sheets (`letter-2up`, `a4-2up`) only on `pdf` stations.
    #[serde(default)]
    stock: Option<StockName>,
    /// The printhead resolution (default 203); the agent's `dpi` report overrides it.
    #[serde(default)]
    dpi: Option<Resolution>,
    /// The font stored on the printer that draws Chinese, as ZPL `^A@` names it
    /// (`E:SIMSUN.TTF`, Zebra's `E:ANMDS.TTF`). Without one, Chinese text is sent to a ZPL
    /// printer as graphics (`^GF`) of the hub's own font.
    #[serde(default)]
    #[schema(
        pattern = "^[REBAZ]:[A-Za-z0-9_-]{1,16}\\.[A-Za-z0-9]{3}$",
        example = "E:SIMSUN.TTF"
    )]
    printer_font: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StationOut {
    id: String,
    name: String,
    /// The printer's language (`zpl`, `pdf`): what every job for the station is rendered in.
    format: String,
    /// The stock jobs are rendered on unless a job asks for another.
    stock: StockName,
    /// The printer's resolution: what ZPL jobs are rendered at.
    dpi: Resolution,
    /// The printer's resident font for Chinese (`^A@`); `null`: Chinese goes as graphics.
    printer_font: Option<String>,
    /// True once the agent reported its printer (`format`, and `dpi` when it was given one);
    /// false: both as declared.
    printer_reported: bool,
    /// The agent's token: present only in the answer that created (or rotated) it. It is
    /// stored hashed; an idempotent replay of that answer carries `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<Option<String>>,
    /// The agent called within the hub's offline threshold (`--print-offline-after`, 90 s
    /// by default); false: offline, or never seen.
    online: bool,
    /// What the agent last reported of its printer (`ready`, `offline`, `paper_out`, …).
    printer_state: Option<String>,
    printer_detail: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    last_seen_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
}

fn station_out(
    settings: &domain::PrintSettings,
    s: StationRecord,
    token: Option<Option<String>>,
) -> StationOut {
    let printer = domain::station_printer(&s);
    let online = domain::station_online(settings, &s, OffsetDateTime::now_utc());
    StationOut {
        id: s.id.to_string(),
        name: s.name,
        format: printer.language.as_str().to_string(),
        stock: StockName(printer.options.stock),
        dpi: Resolution(printer.options.dpi),
        printer_font: s.printer_font.map(|f| f.to_string()),
        printer_reported: printer.reported,
        token,
        online,
        printer_state: s.printer_state.map(|p| p.as_str().to_string()),
        printer_detail: s.printer_detail,
        last_seen_at: s.last_seen_at,
        created_at: s.created_at,
    }
}

/// The answer with the token, and the one stored for replays without it.
fn token_answers(
    settings: &domain::PrintSettings,
    status: StatusCode,
    s: &StationRecord,
    token: &StationToken,
) -> (Answer, Answer) {
    let live = Answer::json(
        status,
        &station_out(settings, s.clone(), Some(Some(token.token.clone()))),
    );
    let stored = Answer::json(status, &station_out(settings, s.clone(), Some(None)));
    (live, stored)
}

/// Registers a print station and returns its agent token (shown once). Honours
/// `Idempotency-Key`; a replay carries `"token": null` (rotate the token to get a new one).
#[utoipa::path(post, path = "/v1/print-stations", tag = "printing", request_body = StationIn,
    params(IdempotencyKey),
    responses((status = 201, body = StationOut), Auth, Idempotent, BadBody))]
async fn create_station(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<StationIn>,
) -> Response {
    req.run(app, tenant, add_station).await
}

/// A new station, under its key.
async fn add_station(
    app: AppState,
    tenant: TenantId,
    input: StationIn,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let format = input
        .format
        .as_deref()
        .map(domain::parse_language)
        .transpose()?;
    let station = domain::new_station(domain::NewStation {
        name: input.name,
        format,
        stock: input.stock.map(|s| s.0),
        dpi: input.dpi.map(|d| d.0),
        printer_font: input
            .printer_font
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: shiphub_labels::InvalidPrinterFont| {
                Error::field("/printer_font", e.to_string())
            })?,
    })?;
    let token = StationToken::issue();
    let (live, stored) = token_answers(&app.print, StatusCode::CREATED, &station, &token);
    domain::add_station(
        &app,
        &tenant,
        &station,
        &token,
        stored.completion(&owned).as_ref(),
    )
    .await?;
    Ok(live)
}

/// Replaces a station's agent token; the old one stops working at once.
#[utoipa::path(post, path = "/v1/print-stations/{id}/token", tag = "printing",
    params(("id" = String, Path), IdempotencyKey),
    responses((status = 200, body = StationOut), Auth, Missing, Idempotent))]
async fn rotate_token(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path(id): Path<String>,
) -> Response {
    req.run(app, tenant, |app, tenant, _, owned| {
        replace_token(app, tenant, id, owned)
    })
    .await
}

/// A station's new token, under its key.
async fn replace_token(
    app: AppState,
    tenant: TenantId,
    id: String,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let station = domain::load_station(&app, &tenant, &id).await?;
    let token = StationToken::issue();
    let (live, stored) = token_answers(&app.print, StatusCode::OK, &station, &token);
    domain::replace_token(
        &app,
        &tenant,
        &station.id,
        &token,
        stored.completion(&owned).as_ref(),
    )
    .await?;
    Ok(live)
}

/// The tenant's print stations.
#[utoipa::path(get, path = "/v1/print-stations", tag = "printing",
    responses((status = 200, body = inline(List<StationOut>)), Auth))]
async fn list_stations(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<List<StationOut>>, Error> {
    let stations = domain::list_stations(&app, &tenant).await?;
    Ok(axum::Json(List {
        data: stations
            .into_iter()
            .map(|s| station_out(&app.print, s, None))
            .collect(),
        next_cursor: None,
    }))
}

/// One print station, with the printer state its agent last reported.
#[utoipa::path(get, path = "/v1/print-stations/{id}", tag = "printing", params(("id" = String, Path)),
    responses((status = 200, body = StationOut), Auth, Missing))]
async fn get_station(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<StationOut>, Error> {
    let station = domain::load_station(&app, &tenant, &id).await?;
    Ok(axum::Json(station_out(&app.print, station, None)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobIn {
    shipment_id: String,
    station_id: String,
    /// `zpl` or `pdf`: must be the station's printer language (the default); a job is never
    /// queued in a language its printer cannot print.
    #[serde(default)]
    format: Option<String>,
    /// The stock to print on (default: the station's); sheets only on `pdf` stations.
    #[serde(default)]
    stock: Option<StockName>,
    /// The resolution (default: the station's); on a `zpl` station it must be the printer's.
    #[serde(default)]
    dpi: Option<Resolution>,
    /// 1 to 100 (default 1).
    #[serde(default)]
    copies: Option<u32>,
    /// Seconds an agent has to take the job before it expires (default 3600, at most 7 days).
    #[serde(default)]
    ttl_seconds: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct JobOut {
    id: String,
    station_id: String,
    /// The shipment whose label it prints (null for a batch's job).
    shipment_id: Option<String>,
    /// The batch whose labels it prints as one document (`POST /v1/batches/{id}/print`;
    /// null for a shipment's job).
    batch: Option<String>,
    /// Labels its document holds: 1 for a shipment's, the batch's bought labels for a batch's.
    labels: u32,
    /// The printer language the job is rendered in (follows the station's printer).
    format: String,
    /// The stock and resolution it is rendered on.
    #[schema(value_type = StockName)]
    stock: String,
    dpi: Resolution,
    copies: u32,
    /// `queued`, `delivered`, `printed`, `failed` or `expired`.
    status: String,
    /// The agent's detail on failure (or a note on success).
    detail: Option<String>,
    /// How many times an agent was handed the job.
    deliveries: u32,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    delivered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    completed_at: Option<OffsetDateTime>,
}

pub fn job_out(j: &PrintJobRecord) -> JobOut {
    JobOut {
        id: j.id.to_string(),
        station_id: j.station_id.to_string(),
        shipment_id: j.subject.shipment().map(ToString::to_string),
        batch: j.subject.batch().map(ToString::to_string),
        labels: j.subject.labels(),
        format: j.format.as_str().to_string(),
        stock: j.stock.as_str().to_string(),
        dpi: Resolution(j.dpi),
        copies: j.copies,
        status: j.status.as_str().to_string(),
        detail: j.detail.clone(),
        deliveries: j.deliveries,
        created_at: j.created_at,
        expires_at: j.expires_at,
        delivered_at: j.delivered_at,
        completed_at: j.completed_at,
    }
}

/// Queues a shipment's label for printing on a station. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/print-jobs", tag = "printing", request_body = JobIn,
    params(IdempotencyKey),
    responses((status = 201, body = JobOut), Auth, Idempotent, BadBody,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the shipment is voided, or a request with this key is in progress")))]
async fn create_job(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<JobIn>,
) -> Response {
    req.run(app, tenant, queue_job).await
}

/// A new print job, under its key.
async fn queue_job(
    app: AppState,
    tenant: TenantId,
    input: JobIn,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let job = domain::prepare_job(
        &app,
        &tenant,
        domain::JobRequest {
            shipment_id: input.shipment_id,
            station_id: input.station_id,
            format: input.format,
            stock: input.stock.map(|s| s.0),
            dpi: input.dpi.map(|d| d.0),
            copies: input.copies,
            ttl_seconds: input.ttl_seconds,
        },
    )
    .await?;
    let answer = Answer::json(StatusCode::CREATED, &job_out(&job));
    domain::queue_job(&app, &tenant, &job, answer.completion(&owned).as_ref()).await?;
    Ok(answer)
}

#[derive(Deserialize, IntoParams)]
pub struct JobListParams {
    /// Only this station's jobs.
    #[param(pattern = "^pst_[0-9a-f]{32}$")]
    station: Option<String>,
    /// Only jobs in this state.
    #[param(pattern = "^(queued|delivered|printed|failed|expired)$")]
    status: Option<String>,
    /// `next_cursor` from the previous page.
    #[param(pattern = "^pjb_[0-9a-f]{32}$")]
    cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// Print jobs, newest first.
#[utoipa::path(get, path = "/v1/print-jobs", tag = "printing", params(JobListParams),
    responses((status = 200, body = inline(List<JobOut>)), Auth, BadQuery))]
async fn list_jobs(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(p): Query<JobListParams>,
) -> Result<axum::Json<List<JobOut>>, Error> {
    let limit = super::page_limit(p.limit, 20)?;
    let station = p
        .station
        .as_deref()
        .map(|s| {
            StationId::parse(s)
                .ok_or_else(|| Error::field("/query/station", "not a print station id"))
        })
        .transpose()?;
    let status = p
        .status
        .as_deref()
        .map(|s| {
            JobStatus::parse(s).ok_or_else(|| {
                Error::field(
                    "/query/status",
                    "must be queued, delivered, printed, failed or expired",
                )
            })
        })
        .transpose()?;
    let cursor = super::page_cursor(p.cursor.as_deref(), PrintJobId::parse)?;
    let rows = domain::list_jobs(
        &app,
        &tenant,
        station.as_ref(),
        status,
        cursor.as_ref(),
        limit + 1,
    )
    .await?;
    let (rows, next_cursor) = super::split_page(rows, limit, |j| j.id.to_string());
    Ok(axum::Json(List {
        data: rows.iter().map(job_out).collect(),
        next_cursor,
    }))
}

/// One print job.
#[utoipa::path(get, path = "/v1/print-jobs/{id}", tag = "printing", params(("id" = String, Path)),
    responses((status = 200, body = JobOut), Auth, Missing))]
async fn get_job(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<JobOut>, Error> {
    Ok(axum::Json(job_out(
        &domain::get_job(&app, &tenant, &id).await?,
    )))
}

/// Prints again what a failed or expired job did not: queues a new job for the same label(s),
/// station, stock and copies, rendered for the station's printer as it is now. A job is
/// retried once (a second retry is a 409 naming the first one's job), so the label cannot come
/// out twice. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/print-jobs/{id}/retry", tag = "printing",
    params(("id" = String, Path), IdempotencyKey),
    responses((status = 201, body = JobOut, description = "the new job"), Auth, Missing, Idempotent,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the job is not failed or expired, was retried already, or a request with this key is in progress")))]
async fn retry_job(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path(id): Path<String>,
) -> Response {
    req.run(app, tenant, |app, tenant, _, owned| {
        queue_retry(app, tenant, id, owned)
    })
    .await
}

/// A retry, under its key.
async fn queue_retry(
    app: AppState,
    tenant: TenantId,
    id: String,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let (old, job) = domain::prepare_retry(&app, &tenant, &id).await?;
    let answer = Answer::json(StatusCode::CREATED, &job_out(&job));
    domain::queue_retry(
        &app,
        &tenant,
        &old,
        &job,
        answer.completion(&owned).as_ref(),
    )
    .await?;
    Ok(answer)
}

// --- the agent's side -------------------------------------------------------------------

/// The print station behind a station token (`Authorization: Bearer shps_…`).
pub struct Station(Agent);

impl FromRequestParts<AppState> for Station {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Error> {
        let bearer = super::extract::bearer(&parts.headers);
        Ok(Station(domain::authenticate(app, bearer).await?))
    }
}

#[derive(Deserialize, IntoParams)]
pub struct PollParams {
    /// Seconds to wait for a job when none is queued (0 to 60, default 0).
    #[param(minimum = 0, maximum = 60)]
    wait: Option<u64>,
    /// Most jobs to return (1 to 50, default 10).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<u32>,
    /// The language of the agent's printer (`shiphub-print-agent --printer-language`): jobs
    /// are rendered in it from now on, queued ones included.
    #[param(inline)]
    printer_language: Option<PrinterLanguage>,
    /// The resolution of the agent's printer (`--dpi`), 203 or 300: likewise.
    dpi: Option<Resolution>,
}

#[derive(Serialize, ToSchema)]
pub struct AgentDocument {
    /// `application/pdf` or `application/x-zpl`.
    media_type: String,
    /// Always `base64`.
    encoding: &'static str,
    content: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgentJob {
    id: String,
    /// The shipment whose label it prints (null for a batch's job).
    shipment_id: Option<String>,
    /// The batch whose labels it prints as one document (null for a shipment's job).
    batch: Option<String>,
    /// Labels the document holds.
    labels: u32,
    /// The shipment's tracking number; for a batch's job, the batch id (agents title the
    /// printer's job with this field).
    tracking_number: String,
    /// The shipment's reference: the agent titles the printer's job with it and the
    /// tracking number, so an operator can match the printer's queue to a parcel. For a
    /// batch's job, how many labels it holds.
    reference: Option<String>,
    format: String,
    /// The stock the document is laid out for (its media size).
    #[schema(value_type = StockName)]
    stock: String,
    /// The resolution a ZPL document is drawn at.
    dpi: Resolution,
    copies: u32,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    /// The document to print (every piece of the shipment).
    document: AgentDocument,
}

#[derive(Serialize, ToSchema)]
pub struct AgentJobs {
    /// Oldest first; print in this order.
    jobs: Vec<AgentJob>,
}

/// The station's next jobs, with their documents. Waits up to `wait` seconds when none is
/// queued. A job returned here and not acknowledged is returned again after the redelivery
/// interval (deduplicate by job id).
#[utoipa::path(get, path = "/v1/print-stations/self/jobs", tag = "printing", params(PollParams),
    security(("station_token" = [])),
    responses((status = 200, body = AgentJobs), Auth, BadQuery))]
async fn poll_jobs(
    State(app): State<AppState>,
    Station(agent): Station,
    Query(p): Query<PollParams>,
) -> Result<axum::Json<AgentJobs>, Error> {
    let poll = domain::Poll {
        wait: p.wait,
        limit: p.limit,
        printer_language: p.printer_language.map(Into::into),
        dpi: p.dpi.map(|d| d.0),
    };
    let deliveries = agent.poll(&app, poll).await?;
    Ok(axum::Json(AgentJobs {
        jobs: deliveries.into_iter().map(agent_job).collect(),
    }))
}

fn agent_job(d: domain::Delivery) -> AgentJob {
    let domain::Delivery {
        job,
        shipment,
        document,
    } = d;
    // Agents title a job "<tracking number> <reference>": a batch's job reads
    // "bat_… 20 labels" (an agent needs no change to print one).
    let (tracking_number, reference) = match (&job.subject, shipment) {
        (_, Some(s)) => (s.tracking_number.to_string(), s.reference),
        (subject, None) => (
            subject.batch().map(ToString::to_string).unwrap_or_default(),
            Some(format!("{} labels", subject.labels())),
        ),
    };
    AgentJob {
        id: job.id.to_string(),
        shipment_id: job.subject.shipment().map(ToString::to_string),
        batch: job.subject.batch().map(ToString::to_string),
        labels: job.subject.labels(),
        tracking_number,
        reference,
        format: job.format.as_str().to_string(),
        stock: job.stock.as_str().to_string(),
        dpi: Resolution(job.dpi),
        copies: job.copies,
        created_at: job.created_at,
        document: AgentDocument {
            media_type: job.format.format().media_type().to_string(),
            encoding: "base64",
            content: base64::engine::general_purpose::STANDARD.encode(document),
        },
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckIn {
    /// `printed` or `failed`.
    #[schema(pattern = "^(printed|failed)$")]
    status: String,
    /// Why it failed (or a note, e.g. that it was reprinted after an agent crash).
    #[serde(default)]
    detail: Option<String>,
}

/// The agent's word on a job. Repeating the same acknowledgement is harmless (200, the job
/// as it is); contradicting an earlier one is a 409.
#[utoipa::path(post, path = "/v1/print-jobs/{id}/ack", tag = "printing", request_body = AckIn,
    params(("id" = String, Path)), security(("station_token" = [])),
    responses((status = 200, body = JobOut), Auth, Missing, BadBody,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the job was acknowledged otherwise already, or is not this station's")))]
async fn ack_job(
    State(app): State<AppState>,
    Station(agent): Station,
    Path(id): Path<String>,
    JsonBody { value: input, .. }: JsonBody<AckIn>,
) -> Result<axum::Json<JobOut>, Error> {
    let status = AckStatus::parse(&input.status)
        .ok_or_else(|| Error::field("/status", "must be `printed` or `failed`"))?;
    let job = agent
        .ack(&app, &id, status, input.detail.as_deref())
        .await?;
    Ok(axum::Json(job_out(&job)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrinterStatusIn {
    /// `ready`, `offline`, `paper_out`, `paused`, `head_open`, `ribbon_out` or `error`.
    #[schema(pattern = "^(ready|offline|paper_out|paused|head_open|ribbon_out|error)$")]
    printer: String,
    #[serde(default)]
    detail: Option<String>,
}

/// The agent reports its printer's state (shown on the station).
#[utoipa::path(post, path = "/v1/print-stations/self/status", tag = "printing", request_body = PrinterStatusIn,
    security(("station_token" = [])),
    responses((status = 204, description = "recorded"), Auth, BadBody))]
async fn report_status(
    State(app): State<AppState>,
    Station(agent): Station,
    JsonBody { value: input, .. }: JsonBody<PrinterStatusIn>,
) -> Result<Response, Error> {
    let state = PrinterState::parse(&input.printer).ok_or_else(|| {
        let names: Vec<_> = PrinterState::ALL.iter().map(|s| s.as_str()).collect();
        Error::field("/printer", format!("must be one of {}", names.join(", ")))
    })?;
    agent.report(&app, state, input.detail.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ids::ShipmentId;

    #[test]
    fn a_jobs_event_carries_the_jobs_api_answer() {
        let now = OffsetDateTime::from_unix_timestamp(1_760_000_000).unwrap();
        let mut job = PrintJobRecord {
            id: PrintJobId::generate(),
            station_id: StationId::generate(),
            subject: crate::store::JobSubject::Shipment(ShipmentId::generate()),
            format: domain::PrinterLanguage::Zpl,
            stock: shiphub_labels::Stock::In4x8,
            dpi: shiphub_labels::Dpi::D300,
            copies: 2,
            status: JobStatus::Queued,
            detail: None,
            deliveries: 0,
            created_at: now,
            expires_at: now + Duration::from_secs(60),
            delivered_at: None,
            completed_at: None,
        };
        let same = |j: &PrintJobRecord| {
            assert_eq!(
                domain::job_json(j),
                serde_json::to_value(job_out(j)).unwrap()
            )
        };
        same(&job);
        job.status = JobStatus::Failed;
        job.detail = Some("paper out".into());
        job.delivered_at = Some(now);
        job.completed_at = Some(now + Duration::from_millis(1500));
        same(&job);
        job.subject = crate::store::JobSubject::Batch {
            id: crate::ids::BatchId::generate(),
            sort: "reference".into(),
            labels: 19,
        };
        same(&job);
        let out = serde_json::to_value(job_out(&job)).unwrap();
        assert_eq!(out["labels"], 19);
        assert_eq!(out["shipment_id"], serde_json::Value::Null);
        assert!(out["batch"].as_str().unwrap().starts_with("bat_"));
    }
}
