//! Warehouse printing. Tenants register print stations (one per agent and printer) and queue
//! print jobs; the station's agent long-polls for jobs with its station token, prints them,
//! and acknowledges each one. A job no agent takes within its TTL expires with an event.
//!
//! Delivery is at least once: a job handed to an agent that never acknowledges it is handed
//! out again after the redelivery interval. Agents journal jobs by id, so a second delivery
//! never prints a second time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::{StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::LabelFormat;
use time::OffsetDateTime;
use tokio::sync::Notify;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, JsonBody, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::label_options::{LabelOptions, Resolution, StockName};
use super::problem::Problem;
use super::responses::*;
use super::shipments::{format_name, label_document, label_refusal};
use crate::crypto::hash_api_key;
use crate::error::Error;
use crate::events::EventType;
use crate::ids::{PrintJobId, ShipmentId, StationId, TenantId};
use crate::state::AppState;
use crate::store::{AckOutcome, JobAck, NewEvent, PrintJobRecord, StationRecord};

/// Longest long poll an agent may ask for.
const MAX_WAIT_SECS: u64 = 60;
/// Default and longest job TTL.
const DEFAULT_TTL_SECS: u64 = 3600;
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(DEFAULT_TTL_SECS);
const MAX_TTL_SECS: u64 = 7 * 24 * 3600;
const MAX_COPIES: u32 = 100;

/// Timing of the print queue (configurable so tests need not wait a minute).
#[derive(Clone, Copy, Debug)]
pub struct PrintSettings {
    /// A delivered job not acknowledged for this long is handed out again.
    pub redeliver_after: Duration,
    /// How often queued jobs past their TTL are expired.
    pub sweep_every: Duration,
}

impl Default for PrintSettings {
    fn default() -> Self {
        Self {
            redeliver_after: Duration::from_secs(60),
            sweep_every: Duration::from_secs(5),
        }
    }
}

/// Wakes a station's long poll when this instance queues a job for it. Other instances'
/// jobs are found by the poll's periodic re-check.
#[derive(Default)]
pub struct Wakeups(Mutex<HashMap<StationId, Arc<Notify>>>);

impl Wakeups {
    fn get(&self, station: &StationId) -> Arc<Notify> {
        self.0
            .lock()
            .expect("wakeups lock")
            .entry(station.clone())
            .or_default()
            .clone()
    }
    pub fn wake(&self, station: &StationId) {
        if let Some(n) = self.0.lock().expect("wakeups lock").get(station) {
            n.notify_waiters();
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_station, list_stations))
        .routes(routes!(get_station))
        .routes(routes!(rotate_token))
        .routes(routes!(create_job, list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(poll_jobs))
        .routes(routes!(report_status))
        .routes(routes!(ack_job))
}

fn new_station_token() -> (String, String) {
    let (key, _, _) = crate::crypto::new_api_key();
    let token = format!("shps_{}", &key[3..]);
    let hash = hash_api_key(&token);
    (token, hash)
}

fn parse_print_format(v: &str, field: &str) -> Result<LabelFormat, Error> {
    match v {
        "pdf" => Ok(LabelFormat::Pdf),
        "zpl" => Ok(LabelFormat::Zpl),
        _ => Err(Error::field(field, "must be `zpl` or `pdf`")),
    }
}

/// A printer's language: what its agent can send it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrinterLanguage {
    /// ZPL II, to a thermal printer.
    Zpl,
    /// PDF, through CUPS or into a folder.
    Pdf,
}

impl PrinterLanguage {
    fn format(self) -> LabelFormat {
        match self {
            PrinterLanguage::Zpl => LabelFormat::Zpl,
            PrinterLanguage::Pdf => LabelFormat::Pdf,
        }
    }
}

/// What a station's printer takes now: its language and resolution as its agent reported them
/// (else as declared), and the stock loaded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StationPrinter {
    pub(crate) format: LabelFormat,
    pub(crate) options: LabelOptions,
    /// The agent reported `format` and `dpi` (rather than only the declaration).
    reported: bool,
}

pub(crate) fn station_printer(station: &StationRecord) -> Result<StationPrinter, Error> {
    let corrupt = || Error::Internal(format!("station {} printer", station.id));
    let format = parse_print_format(
        station.agent_format.as_deref().unwrap_or(&station.format),
        "/format",
    )
    .map_err(|_| corrupt())?;
    let dpi = Resolution::from_dpi(i64::from(station.agent_dpi.unwrap_or(station.dpi)))
        .ok_or_else(corrupt)?;
    let stock = StockName::parse(&station.stock).ok_or_else(corrupt)?;
    Ok(StationPrinter {
        format,
        options: LabelOptions { stock, dpi },
        reported: station.agent_format.is_some() || station.agent_dpi.is_some(),
    })
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
    /// True once the agent reported its printer (`format`, and `dpi` when it was given one);
    /// false: both as declared.
    printer_reported: bool,
    /// The agent's token: present only in the answer that created (or rotated) it. It is
    /// stored hashed; an idempotent replay of that answer carries `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<Option<String>>,
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

fn station_out(s: StationRecord, token: Option<Option<String>>) -> Result<StationOut, Error> {
    let printer = station_printer(&s)?;
    Ok(StationOut {
        id: s.id.to_string(),
        name: s.name,
        format: format_name(printer.format).to_string(),
        stock: printer.options.stock,
        dpi: printer.options.dpi,
        printer_reported: printer.reported,
        token,
        printer_state: s.printer_state,
        printer_detail: s.printer_detail,
        last_seen_at: s.last_seen_at,
        created_at: s.created_at,
    })
}

/// The answer with the token, and the one stored for replays without it.
fn token_answers(
    status: StatusCode,
    s: StationRecord,
    token: String,
) -> Result<(Answer, Answer), Error> {
    let live = Answer::json(status, &station_out(s.clone(), Some(Some(token)))?);
    let stored = Answer::json(status, &station_out(s, Some(None))?);
    Ok((live, stored))
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
    let name = input.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::field("/name", "must be 1 to 100 characters"));
    }
    let format = match input.format.as_deref() {
        None => LabelFormat::Pdf,
        Some(f) => parse_print_format(f, "/format")?,
    };
    let stock = input.stock.unwrap_or_default();
    if let Some(why) = stock.refuses(format) {
        return Err(Error::field(
            "/stock",
            format!(
                "{} on a {} printer: {why}",
                stock.as_str(),
                format_name(format)
            ),
        ));
    }
    let station = StationRecord {
        id: StationId::generate(),
        name: name.to_string(),
        format: format_name(format).to_string(),
        stock: stock.as_str().to_string(),
        dpi: input.dpi.unwrap_or_default().dpi(),
        agent_format: None,
        agent_dpi: None,
        printer_state: None,
        printer_detail: None,
        last_seen_at: None,
        created_at: OffsetDateTime::now_utc(),
    };
    let (token, token_hash) = new_station_token();
    let (live, stored) = token_answers(StatusCode::CREATED, station.clone(), token)?;
    app.store
        .insert_station(
            &tenant,
            &station,
            &token_hash,
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
    let station = load_station(&app, &tenant, &id).await?;
    let (token, token_hash) = new_station_token();
    let (live, stored) = token_answers(StatusCode::OK, station.clone(), token)?;
    if !app
        .store
        .rotate_station_token(
            &tenant,
            &station.id,
            &token_hash,
            stored.completion(&owned).as_ref(),
        )
        .await?
    {
        return Err(Error::NotFound("print station"));
    }
    Ok(live)
}

async fn load_station(app: &AppState, tenant: &TenantId, id: &str) -> Result<StationRecord, Error> {
    let id = StationId::parse(id).ok_or(Error::NotFound("print station"))?;
    app.store
        .get_station(tenant, &id)
        .await?
        .ok_or(Error::NotFound("print station"))
}

/// The tenant's print stations.
#[utoipa::path(get, path = "/v1/print-stations", tag = "printing",
    responses((status = 200, body = inline(List<StationOut>)), Auth))]
async fn list_stations(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<List<StationOut>>, Error> {
    let stations = app.store.list_stations(&tenant).await?;
    Ok(axum::Json(List {
        data: stations
            .into_iter()
            .map(|s| station_out(s, None))
            .collect::<Result<_, _>>()?,
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
    Ok(axum::Json(station_out(
        load_station(&app, &tenant, &id).await?,
        None,
    )?))
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
    shipment_id: String,
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
        shipment_id: j.shipment_id.to_string(),
        format: j.format.clone(),
        stock: j.stock.clone(),
        dpi: Resolution::from_dpi(i64::from(j.dpi)).unwrap_or_default(),
        copies: j.copies,
        status: j.status.clone(),
        detail: j.detail.clone(),
        deliveries: j.deliveries,
        created_at: j.created_at,
        expires_at: j.expires_at,
        delivered_at: j.delivered_at,
        completed_at: j.completed_at,
    }
}

/// The event a job's final state emits (`print_job.printed`, `.failed`, `.expired`).
pub fn job_event(j: &PrintJobRecord) -> NewEvent {
    let kind = match j.status.as_str() {
        "printed" => EventType::PrintJobPrinted,
        "failed" => EventType::PrintJobFailed,
        _ => EventType::PrintJobExpired,
    };
    NewEvent {
        kind,
        subject_id: j.id.to_string(),
        data: serde_json::to_value(job_out(j)).expect("job serializes"),
    }
}

/// A queued job for a shipment's label on a station, checked: the shipment is live and its
/// label exists (or converts) in the format and on the stock asked for.
pub(crate) fn new_job(
    shipment: &crate::store::ShipmentRecord,
    station: &StationRecord,
    format: LabelFormat,
    options: LabelOptions,
    copies: u32,
    ttl: Duration,
) -> Result<PrintJobRecord, Error> {
    if shipment.voided_at.is_some() || shipment.status == "void_requested" {
        return Err(Error::Conflict(format!(
            "shipment {} is voided; its label must not be printed",
            shipment.id
        )));
    }
    if let Some(r) = label_refusal(shipment, format, options)? {
        return Err(r.at("/"));
    }
    let now = OffsetDateTime::now_utc();
    Ok(PrintJobRecord {
        id: PrintJobId::generate(),
        station_id: station.id.clone(),
        shipment_id: shipment.id.clone(),
        format: format_name(format).to_string(),
        stock: options.stock.as_str().to_string(),
        dpi: options.dpi.dpi(),
        copies,
        status: "queued".into(),
        detail: None,
        deliveries: 0,
        created_at: now,
        expires_at: now + ttl,
        delivered_at: None,
        completed_at: None,
    })
}

pub(crate) async fn station_for_job(
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
    let shipment_id = ShipmentId::parse(&input.shipment_id)
        .ok_or_else(|| Error::field("/shipment_id", "not a shipment id"))?;
    let shipment = app
        .store
        .get_shipment(&tenant, &shipment_id)
        .await?
        .ok_or_else(|| Error::field("/shipment_id", "no such shipment"))?;
    let station = station_for_job(&app, &tenant, &input.station_id, "/station_id").await?;
    let printer = station_printer(&station)?;
    let format = printer.format;
    if let Some(f) = input.format.as_deref()
        && parse_print_format(f, "/format")? != format
    {
        return Err(Error::field(
            "/format",
            format!(
                "the printer of station {} takes {}, not {f}",
                station.id,
                format_name(format)
            ),
        ));
    }
    let stock = input.stock.unwrap_or(printer.options.stock);
    if let Some(why) = stock.refuses(format) {
        return Err(Error::field(
            "/stock",
            format!(
                "{} on a {} printer: {why}",
                stock.as_str(),
                format_name(format)
            ),
        ));
    }
    let dpi = match input.dpi {
        // ZPL is drawn in the printhead's dots: another resolution prints the wrong size.
        Some(d) if format == LabelFormat::Zpl && d != printer.options.dpi => {
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
    let copies = input.copies.unwrap_or(1);
    if !(1..=MAX_COPIES).contains(&copies) {
        return Err(Error::field(
            "/copies",
            format!("must be between 1 and {MAX_COPIES}"),
        ));
    }
    let ttl = input.ttl_seconds.unwrap_or(DEFAULT_TTL_SECS);
    if !(1..=MAX_TTL_SECS).contains(&ttl) {
        return Err(Error::field(
            "/ttl_seconds",
            format!("must be between 1 and {MAX_TTL_SECS}"),
        ));
    }
    let job = new_job(
        &shipment,
        &station,
        format,
        LabelOptions { stock, dpi },
        copies,
        Duration::from_secs(ttl),
    )?;
    let answer = Answer::json(StatusCode::CREATED, &job_out(&job));
    app.store
        .insert_print_job(&tenant, &job, answer.completion(&owned).as_ref())
        .await?;
    app.print_wakeups.wake(&station.id);
    metrics::counter!("shiphub_print_jobs_total", "status" => "queued").increment(1);
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
    if let Some(s) = p.status.as_deref()
        && !["queued", "delivered", "printed", "failed", "expired"].contains(&s)
    {
        return Err(Error::field(
            "/query/status",
            "must be queued, delivered, printed, failed or expired",
        ));
    }
    let cursor = super::page_cursor(p.cursor.as_deref(), PrintJobId::parse)?;
    let rows = app
        .store
        .list_print_jobs(
            &tenant,
            station.as_ref(),
            p.status.as_deref(),
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
    let id = PrintJobId::parse(&id).ok_or(Error::NotFound("print job"))?;
    let job = app
        .store
        .get_print_job(&tenant, &id)
        .await?
        .ok_or(Error::NotFound("print job"))?;
    Ok(axum::Json(job_out(&job)))
}

// --- the agent's side -------------------------------------------------------------------

/// The print station behind a station token (`Authorization: Bearer shps_…`).
pub struct Station {
    tenant: TenantId,
    station: StationRecord,
}

impl FromRequestParts<AppState> for Station {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Error> {
        let token = super::extract::bearer(&parts.headers)
            .filter(|t| t.starts_with("shps_"))
            .ok_or(Error::Unauthorized(
                "send `Authorization: Bearer <station token>`",
            ))?;
        let (tenant, station) = app
            .store
            .station_for_token(&hash_api_key(token))
            .await?
            .ok_or(Error::Unauthorized("unknown or rotated station token"))?;
        Ok(Station { tenant, station })
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
    shipment_id: String,
    tracking_number: String,
    /// The shipment's reference: the agent titles the printer's job with it and the
    /// tracking number, so an operator can match the printer's queue to a parcel.
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
    station: Station,
    Query(p): Query<PollParams>,
) -> Result<axum::Json<AgentJobs>, Error> {
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
    let Station { tenant, station } = station;
    let now = OffsetDateTime::now_utc();
    app.store.station_seen(&station.id, now, None).await?;
    if p.printer_language.is_some() || p.dpi.is_some() {
        let current = station_printer(&station)?;
        let format = p
            .printer_language
            .map_or(current.format, PrinterLanguage::format);
        let dpi = p.dpi.unwrap_or(current.options.dpi);
        let known = station.agent_format.as_deref() == Some(format_name(format))
            && station.agent_dpi == Some(dpi.dpi());
        if !known {
            let failed = app
                .store
                .station_printer_reported(
                    &tenant,
                    &station.id,
                    format_name(format),
                    dpi.dpi(),
                    now,
                    job_event,
                )
                .await?;
            tracing::info!(station = %station.id, format = format_name(format), dpi = dpi.dpi(), failed = failed.len(), "the agent reported its printer");
            if !failed.is_empty() {
                metrics::counter!("shiphub_print_jobs_total", "status" => "failed")
                    .increment(failed.len() as u64);
            }
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    let wakeup = app.print_wakeups.get(&station.id);
    let mut shutdown = app.shutdown.subscribe();
    let jobs = loop {
        let woken = wakeup.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let now = OffsetDateTime::now_utc();
        let jobs = app
            .store
            .claim_print_jobs(
                &tenant,
                &station.id,
                now,
                now - app.print.redeliver_after,
                limit,
            )
            .await?;
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
        out.push(agent_job(&app, &tenant, job).await?);
    }
    metrics::counter!("shiphub_print_jobs_delivered_total").increment(out.len() as u64);
    Ok(axum::Json(AgentJobs { jobs: out }))
}

async fn agent_job(
    app: &AppState,
    tenant: &TenantId,
    job: PrintJobRecord,
) -> Result<AgentJob, Error> {
    let shipment = app
        .store
        .get_shipment(tenant, &job.shipment_id)
        .await?
        .ok_or_else(|| Error::Internal(format!("shipment of {} missing", job.id)))?;
    let corrupt = || Error::Internal(format!("job {} format, stock or dpi", job.id));
    let format = parse_print_format(&job.format, "/format").map_err(|_| corrupt())?;
    let options = LabelOptions {
        stock: StockName::parse(&job.stock).ok_or_else(corrupt)?,
        dpi: Resolution::from_dpi(i64::from(job.dpi)).ok_or_else(corrupt)?,
    };
    let bytes = label_document(app, tenant, &shipment, format, options).await?;
    Ok(AgentJob {
        id: job.id.to_string(),
        shipment_id: job.shipment_id.to_string(),
        tracking_number: shipment.tracking_number,
        reference: shipment.reference,
        format: job.format,
        stock: job.stock,
        dpi: options.dpi,
        copies: job.copies,
        created_at: job.created_at,
        document: AgentDocument {
            media_type: format.media_type().to_string(),
            encoding: "base64",
            content: base64::engine::general_purpose::STANDARD.encode(bytes),
        },
    })
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
    station: Station,
    Path(id): Path<String>,
    JsonBody { value: input, .. }: JsonBody<AckIn>,
) -> Result<axum::Json<JobOut>, Error> {
    if !["printed", "failed"].contains(&input.status.as_str()) {
        return Err(Error::field("/status", "must be `printed` or `failed`"));
    }
    if input.detail.as_ref().is_some_and(|d| d.len() > 2000) {
        return Err(Error::field("/detail", "must be at most 2000 characters"));
    }
    let id = PrintJobId::parse(&id).ok_or(Error::NotFound("print job"))?;
    let now = OffsetDateTime::now_utc();
    let outcome = app
        .store
        .ack_print_job(
            &station.tenant,
            &station.station.id,
            &id,
            &JobAck {
                status: &input.status,
                detail: input.detail.as_deref(),
                at: now,
            },
            job_event,
        )
        .await?;
    match outcome {
        AckOutcome::Updated(job) => {
            metrics::counter!("shiphub_print_jobs_total", "status" => job.status.clone())
                .increment(1);
            Ok(axum::Json(job_out(&job)))
        }
        AckOutcome::Unchanged(job) => Ok(axum::Json(job_out(&job))),
        AckOutcome::Conflict(job) => Err(Error::Conflict(format!(
            "print job {} is already {}",
            job.id, job.status
        ))),
        AckOutcome::NotFound => Err(Error::NotFound("print job")),
    }
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

const PRINTER_STATES: &[&str] = &[
    "ready",
    "offline",
    "paper_out",
    "paused",
    "head_open",
    "ribbon_out",
    "error",
];

/// The agent reports its printer's state (shown on the station).
#[utoipa::path(post, path = "/v1/print-stations/self/status", tag = "printing", request_body = PrinterStatusIn,
    security(("station_token" = [])),
    responses((status = 204, description = "recorded"), Auth, BadBody))]
async fn report_status(
    State(app): State<AppState>,
    station: Station,
    JsonBody { value: input, .. }: JsonBody<PrinterStatusIn>,
) -> Result<Response, Error> {
    if !PRINTER_STATES.contains(&input.printer.as_str()) {
        return Err(Error::field(
            "/printer",
            format!("must be one of {}", PRINTER_STATES.join(", ")),
        ));
    }
    if input.detail.as_ref().is_some_and(|d| d.len() > 2000) {
        return Err(Error::field("/detail", "must be at most 2000 characters"));
    }
    app.store
        .station_seen(
            &station.station.id,
            OffsetDateTime::now_utc(),
            Some((&input.printer, input.detail.as_deref())),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Expires queued jobs past their TTL, each with a `print_job.expired` event, until stopped.
pub async fn sweep(app: AppState) {
    let mut shutdown = app.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(app.print.sweep_every) => {}
            _ = shutdown.changed() => return,
        }
        loop {
            match app
                .store
                .expire_print_jobs(OffsetDateTime::now_utc(), 500, job_event)
                .await
            {
                Ok(0) => break,
                Ok(n) => {
                    metrics::counter!("shiphub_print_jobs_total", "status" => "expired")
                        .increment(n as u64);
                    tracing::info!(expired = n, "print jobs expired unclaimed");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "print job expiry sweep failed");
                    break;
                }
            }
        }
    }
}
