//! Batches over HTTP: accept up to 10,000 purchases at once (`POST /v1/batches`, 202,
//! idempotent), follow them (`GET /v1/batches/{id}`: counts and a page of items), and fetch
//! every label as one document (`GET /v1/batches/{id}/labels`), sent to a print station as
//! one job (`print` with the batch, or `POST /v1/batches/{id}/print`). The batch's records and its
//! merged document are the domain's (`crate::batches`); buying its items is here, beside the
//! idempotency sweep, for the same reason: each item is a purchase under its own key, whose
//! kept answer is `POST /v1/shipments`'s (a crashed item is resolved by the sweep's
//! `recover` and read back from its key).

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shiphub_carriers::model::LabelFormat;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Query, Tenant};
use super::idempotency::{self, Answer, Claim, instance, recover, settle_failure};
use super::problem::Problem;
use super::responses::*;
use super::shipments::BUY_SCOPE;
use crate::batches::{self, IN_FLIGHT, Item, MAX_ITEMS, NewBatch, PrintRequest, Sort, item_key};
use crate::error::Error;
use crate::ids::{BatchId, ShipmentId, TenantId};
use crate::shipments::{self, Key};
use crate::state::AppState;
use crate::store::{
    BatchItemRecord, BatchRecord, IdemBegin, IdemClaim, ItemOutcome, PrintJobRecord,
};

/// The largest batch body: 10,000 purchases with customs declarations fit; the API's
/// default (1 MiB) holds about a thousand.
pub const BATCH_BODY_LIMIT: usize = 32 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_batch))
        // Set inside the API's own limit, so it wins for this route only.
        .layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(get_batch))
                .routes(routes!(get_batch_labels))
                .routes(routes!(print_batch)),
        )
}

/// Purchases to make in the background.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchIn {
    /// 1 to 10,000 purchases, each the body of `POST /v1/shipments` without `label_format`
    /// and `print_station`.
    #[schema(min_items = 1, max_items = 10000)]
    items: Vec<Item>,
    /// The format every label of the batch is bought in (default `pdf`): one that merges.
    #[serde(default)]
    label_format: MergedFormat,
    /// Send every bought label to this print station as ONE job when the batch completes
    /// (failed items skipped; the job's `labels` says how many it holds), rendered in the
    /// station's printer language. The job shows in `print_job`.
    #[serde(default)]
    print: Option<PrintRequest>,
}

/// The batch's latest print job (`GET /v1/print-jobs/{id}` for the rest).
#[derive(Serialize, ToSchema)]
pub struct BatchPrintJob {
    id: String,
    /// `queued`, `delivered`, `printed`, `failed` or `expired`.
    status: String,
    /// Labels its document holds.
    labels: u32,
}

/// Items by status.
#[derive(Serialize, ToSchema)]
pub struct Counts {
    total: u32,
    queued: u32,
    bought: u32,
    failed: u32,
}

/// One purchase of the batch.
#[derive(Serialize, ToSchema)]
pub struct BatchItemOut {
    /// Its place in `items` as given, from 0.
    index: u32,
    /// `queued`, `bought` or `failed`.
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    /// The shipment bought (`GET /v1/shipments/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    shipment_id: Option<String>,
    /// Why it failed: the problem `POST /v1/shipments` would have answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    problem: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchOut {
    id: String,
    /// `running` until every item is bought or failed, then `completed`.
    status: String,
    label_format: String,
    counts: Counts,
    /// A page of items in index order (see `next_cursor`).
    items: Vec<BatchItemOut>,
    /// Pass as `cursor` for the next page of items; null on the last page.
    next_cursor: Option<String>,
    /// Every bought label as one document.
    labels_url: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    completed_at: Option<OffsetDateTime>,
    /// The print job of its labels, once one was queued (`print` with the batch, when it
    /// completed, or `POST /v1/batches/{id}/print`; the latest).
    #[serde(skip_serializing_if = "Option::is_none")]
    print_job: Option<BatchPrintJob>,
}

fn item_out(r: &BatchItemRecord) -> BatchItemOut {
    BatchItemOut {
        index: r.index,
        status: r.status.clone(),
        reference: serde_json::from_str::<Item>(&r.body)
            .ok()
            .and_then(|i| i.reference),
        shipment_id: r.shipment_id.as_ref().map(ToString::to_string),
        problem: r
            .problem
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok()),
    }
}

fn batch_out(
    b: &BatchRecord,
    items: Vec<BatchItemOut>,
    next: Option<String>,
    job: Option<&PrintJobRecord>,
) -> BatchOut {
    BatchOut {
        id: b.id.to_string(),
        status: b.status.clone(),
        label_format: b.label_format.clone(),
        counts: Counts {
            total: b.item_count,
            queued: b.queued,
            bought: b.bought,
            failed: b.failed,
        },
        items,
        next_cursor: next,
        labels_url: format!("/v1/batches/{}/labels", b.id),
        created_at: b.created_at,
        completed_at: b.completed_at,
        print_job: job.map(|j| BatchPrintJob {
            id: j.id.to_string(),
            status: j.status.as_str().to_string(),
            labels: j.subject.labels(),
        }),
    }
}

/// Items shown with an answer when no `limit` is asked.
const DEFAULT_PAGE: u32 = 20;

/// Accepts up to 10,000 purchases and buys them in the background, each exactly like
/// `POST /v1/shipments` (its own `shipment.created` event); `batch.completed` follows the
/// last. Honours `Idempotency-Key`: a retry gets the same batch, and no item is ever bought
/// twice, a hub restarted mid-batch included (item `i` is bought under the key
/// `batch:<batch id>:<i>`).
#[utoipa::path(post, path = "/v1/batches", tag = "shipments", request_body = BatchIn,
    params(crate::api::extract::IdempotencyKey),
    responses(
        (status = 202, body = BatchOut, description = "accepted; every item queued"),
        Auth, Idempotent, BadBody,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid input (more than 10,000 items: `/items`), or the Idempotency-Key was used for another request"),
    ))]
async fn create_batch(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<BatchIn>,
) -> Response {
    req.run(
        app,
        tenant,
        |app, tenant, body: BatchIn, owned| async move {
            if body.items.len() > MAX_ITEMS {
                return Err(Error::field(
                    "/items",
                    format!("a batch holds at most {MAX_ITEMS} items"),
                ));
            }
            for (i, item) in body.items.iter().enumerate() {
                item.check(i)?;
            }
            if let Some(p) = &body.print {
                p.check(&app, &tenant, "/print").await?;
            }
            let label_format = LabelFormat::from(body.label_format);
            let now = OffsetDateTime::now_utc();
            batches::accept(
                &app,
                &tenant,
                NewBatch {
                    items: body.items,
                    label_format,
                    print: body.print,
                },
                |id: &BatchId, bodies: &[String]| {
                    let n = bodies.len() as u32;
                    let record = BatchRecord {
                        id: id.clone(),
                        tenant_id: tenant.clone(),
                        status: "running".into(),
                        label_format: label_format.as_str().to_string(),
                        item_count: n,
                        queued: n,
                        bought: 0,
                        failed: 0,
                        created_at: now,
                        completed_at: None,
                        print_request: None,
                        print_job_id: None,
                    };
                    let items = bodies
                        .iter()
                        .take(DEFAULT_PAGE as usize)
                        .enumerate()
                        .map(|(i, body)| {
                            item_out(&BatchItemRecord {
                                index: i as u32,
                                status: "queued".into(),
                                body: body.clone(),
                                shipment_id: None,
                                problem: None,
                            })
                        })
                        .collect();
                    let next = (n > DEFAULT_PAGE).then(|| DEFAULT_PAGE.to_string());
                    Answer::json(StatusCode::ACCEPTED, &batch_out(&record, items, next, None))
                },
                |answer| answer.completion(&owned),
            )
            .await
            .map(|(id, answer)| {
                start(app.clone(), tenant.clone(), id);
                answer
            })
        },
    )
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsParams {
    /// `next_cursor` from the previous page.
    #[param(pattern = "^[0-9]{1,5}$")]
    cursor: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// Only items in this status: `queued`, `bought` or `failed`.
    #[param(inline)]
    status: Option<ItemStatus>,
}

#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Queued,
    Bought,
    Failed,
}

impl ItemStatus {
    fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Queued => "queued",
            ItemStatus::Bought => "bought",
            ItemStatus::Failed => "failed",
        }
    }
}

/// A batch: its counts and a page of its items, each with its shipment or its problem.
#[utoipa::path(get, path = "/v1/batches/{id}", tag = "shipments",
    params(("id" = String, Path), ItemsParams),
    responses((status = 200, body = BatchOut), Auth, Missing, BadQuery))]
async fn get_batch(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    Query(p): Query<ItemsParams>,
) -> Result<axum::Json<BatchOut>, Error> {
    let limit = super::page_limit(p.limit, DEFAULT_PAGE)?;
    let from = super::page_cursor(p.cursor.as_deref(), |c| c.parse::<u32>().ok())?.unwrap_or(0);
    let b = batches::load(&app, &tenant, &id).await?;
    let rows = app
        .store
        .batch_items(
            &tenant,
            &b.id,
            p.status.map(ItemStatus::as_str),
            from,
            limit + 1,
        )
        .await?;
    let next = (rows.len() > limit as usize).then(|| rows[limit as usize].index.to_string());
    let items = rows.iter().take(limit as usize).map(item_out).collect();
    let job = match &b.print_job_id {
        Some(j) => app.store.get_print_job(&tenant, j).await?,
        None => None,
    };
    Ok(axum::Json(batch_out(&b, items, next, job.as_ref())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LabelsParams {
    /// `pdf` or `zpl` (default: the batch's label format).
    #[param(inline)]
    format: Option<MergedFormat>,
    /// The labels' order (default `index`, the order given).
    #[param(inline)]
    sort: Option<Sort>,
}

/// The formats labels merge in: a PNG per label has no merged form, so the schema offers
/// only these (a schema-valid request is never refused).
#[derive(Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MergedFormat {
    #[default]
    Pdf,
    Zpl,
}

impl From<MergedFormat> for LabelFormat {
    fn from(f: MergedFormat) -> Self {
        match f {
            MergedFormat::Pdf => LabelFormat::Pdf,
            MergedFormat::Zpl => LabelFormat::Zpl,
        }
    }
}

/// Every bought label of the batch (voided ones left out) as one document: a PDF with every
/// label's pages, or one ZPL stream, in the order asked. `X-Label-Count` says how many
/// labels it holds; fetched while the batch runs it holds those bought so far.
#[utoipa::path(get, path = "/v1/batches/{id}/labels", tag = "shipments",
    params(("id" = String, Path), LabelsParams),
    responses((status = 200, description = "the merged document, as an attachment", content(("application/pdf"), ("application/x-zpl"))),
        Auth, Missing, BadQuery))]
async fn get_batch_labels(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    Query(p): Query<LabelsParams>,
) -> Result<Response, Error> {
    let b = batches::load(&app, &tenant, &id).await?;
    let format = match p.format {
        Some(f) => f.into(),
        None => b.label_format.parse().unwrap_or(LabelFormat::Pdf),
    };
    let (bytes, n) =
        batches::merged_labels(&app, &tenant, &b, format, p.sort.unwrap_or_default(), None).await?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "attachment; filename=\"{}.{}\"",
            b.id,
            format.as_str()
        ))
        .expect("ids are ASCII"),
    );
    h.insert("x-label-count", HeaderValue::from(n));
    Ok(res)
}

/// Sends every bought label of a completed batch to a print station as ONE print job: the
/// merged document in the order asked, rendered in the station's printer language (pdf or
/// zpl), failed items skipped (`labels` says how many it holds). The agent gets it like any
/// job; its `print_job.*` events follow. Each request queues a job (a reprint); the batch
/// shows the latest. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/batches/{id}/print", tag = "shipments", request_body = PrintRequest,
    params(("id" = String, Path), crate::api::extract::IdempotencyKey),
    responses((status = 201, body = super::print::JobOut, description = "queued"),
        Auth, Missing, Idempotent, BadBody,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the batch is still running, has no label to print, or a request with this key is in progress")))]
async fn print_batch(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    req: idempotency::Idempotent<PrintRequest>,
) -> Response {
    req.run(
        app,
        tenant,
        |app, tenant, body: PrintRequest, owned| async move {
            batches::print_batch(
                &app,
                &tenant,
                &id,
                body,
                |job| Answer::json(StatusCode::CREATED, &super::print::job_out(job)),
                |answer| answer.completion(&owned),
            )
            .await
        },
    )
    .await
}

/// Buys `batch` on a task of its own.
pub fn start(app: AppState, tenant: TenantId, batch: BatchId) {
    tokio::spawn(async move {
        if let Err(e) = run(&app, &tenant, &batch).await {
            tracing::error!(error = %e, %batch, "batch stopped; it resumes when a hub starts");
        }
    });
}

/// How often running batches that no live instance runs are looked for (besides at start
/// and whenever this instance reaps a dead one).
const ORPHANS_EVERY: Duration = Duration::from_secs(5);

/// Runs every running batch no live instance runs: at start (a previous process left it),
/// when this instance reaps the one running it, and now and then (an owner that never
/// registered). Taking one is one conditional UPDATE, so of several instances one runs it.
pub async fn resume(app: AppState) {
    let mut shutdown = app.shutdown.subscribe();
    let mut takeovers = app.instances.takeovers();
    loop {
        if !app.instances.fenced() {
            match app
                .store
                .claim_orphaned_batches(
                    instance(),
                    OffsetDateTime::now_utc(),
                    app.instances.settings.dead_after,
                )
                .await
            {
                Ok(batches) => {
                    for (tenant, batch) in batches {
                        tracing::info!(%batch, "resuming a batch");
                        start(app.clone(), tenant, batch);
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not take over running batches"),
            }
        }
        if crate::instances::nap(&mut takeovers, &mut shutdown, ORPHANS_EVERY).await {
            return;
        }
    }
}

/// How one attempt at an item ended.
enum Attempt {
    Settled,
    /// Its key is held by a live request (or by a process that died, until its lease runs
    /// out): looked at again later.
    Held,
}

/// Buys every queued item, then completes the batch. Stops (leaving the rest queued) when
/// the server shuts down.
async fn run(app: &AppState, tenant: &TenantId, batch: &BatchId) -> Result<(), Error> {
    let format = app
        .store
        .get_batch(tenant, batch)
        .await?
        .ok_or(Error::NotFound("batch"))?
        .label_format
        .parse::<LabelFormat>()
        .map_err(|_| Error::Internal(format!("batch {batch} has an unknown label format")))?;
    let shutdown = app.shutdown.subscribe();
    loop {
        // Another instance took it over (this one was declared dead meanwhile): its items'
        // keys keep them from being bought twice, and this one stops working on it.
        if !app.store.batch_owned_by(tenant, batch, instance()).await? {
            tracing::warn!(%batch, "batch taken over by another instance; stopping here");
            return Ok(());
        }
        let queued = app
            .store
            .batch_items(tenant, batch, Some("queued"), 0, MAX_ITEMS as u32)
            .await?;
        if queued.is_empty() {
            break;
        }
        let held = futures_util::stream::iter(queued)
            .map(|item| {
                let (app, tenant, batch) = (app.clone(), tenant.clone(), batch.clone());
                // On a task of its own: a purchase is never dropped between the carrier's
                // sale and its record.
                async move {
                    crate::outliving_caller(async move {
                        attempt(&app, &tenant, &batch, item.index, &item.body, format).await
                    })
                    .await
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .filter(|a| std::future::ready(!matches!(a, Some(Attempt::Settled))))
            .count()
            .await;
        if *shutdown.borrow() {
            return Ok(());
        }
        if held > 0 {
            // Wait for the holders' answers, or for their leases to run out.
            tokio::time::sleep((app.idempotency.lease / 3).max(Duration::from_millis(100))).await;
        }
    }
    batches::complete(app, tenant, batch).await
}

/// One item: claims its key (or reads the answer it already has) and buys it.
async fn attempt(
    app: &AppState,
    tenant: &TenantId,
    batch: &BatchId,
    index: u32,
    body: &str,
    format: LabelFormat,
) -> Attempt {
    let key = item_key(batch, index);
    let hash = hex::encode(Sha256::digest(format!(
        "{BUY_SCOPE}\n{}\n{body}",
        format.as_str()
    )));
    let mut recovered = false;
    loop {
        let now = OffsetDateTime::now_utc();
        let claim = IdemClaim {
            key: &key,
            scope: BUY_SCOPE,
            request_hash: &hash,
            owner: instance(),
            lease_until: now + app.idempotency.lease,
        };
        match app.store.idem_begin(tenant, &claim, now).await {
            Err(e) => {
                tracing::warn!(error = %e, key, "could not claim a batch item's key");
                return Attempt::Held;
            }
            Ok(IdemBegin::Replay { status, body }) => {
                return settle(app, tenant, batch, index, answered(status, &body)).await;
            }
            Ok(IdemBegin::Mismatch | IdemBegin::OtherScope { .. }) => {
                // Only a client using a `batch:` key of its own gets here.
                let problem = problem_json(&Error::IdempotencyMismatch);
                return settle(app, tenant, batch, index, Err(problem)).await;
            }
            Ok(IdemBegin::InProgress { expired: true }) if !recovered => {
                recovered = true;
                recover(app, tenant, &key).await;
            }
            Ok(IdemBegin::InProgress { .. }) => return Attempt::Held,
            Ok(IdemBegin::Started) => break,
        }
    }
    let claim = Claim {
        key,
        owner: instance().to_string(),
    };
    let item: Item = match serde_json::from_str(body) {
        Ok(i) => i,
        Err(e) => {
            let e = Error::Internal(format!("stored batch item unreadable: {e}"));
            settle_failure(app, tenant, &claim, &e).await;
            return settle(app, tenant, batch, index, Err(problem_json(&e))).await;
        }
    };
    let heartbeat = tokio::spawn(renew(app.clone(), tenant.clone(), claim.clone()));
    let order = match item.order(app, tenant, format).await {
        Ok(o) => o,
        Err(e) => {
            heartbeat.abort();
            settle_failure(app, tenant, &claim, &e).await;
            return settle(app, tenant, batch, index, Err(problem_json(&e))).await;
        }
    };
    let bought = shipments::buy(
        app,
        tenant,
        order,
        Some(Key {
            key: &claim.key,
            owner: &claim.owner,
        }),
        super::shipments::answer,
    )
    .await;
    heartbeat.abort();
    let outcome = match bought {
        Ok(answer) => answered(answer.status.as_u16(), &answer.body),
        Err(e) => {
            settle_failure(app, tenant, &claim, &e).await;
            Err(problem_json(&e))
        }
    };
    settle(app, tenant, batch, index, outcome).await
}

/// What a purchase's answer (fresh or kept on its key) says of the item: the shipment, or
/// the problem.
fn answered(status: u16, body: &str) -> Result<ShipmentId, String> {
    if status == 201 {
        let id = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("id")
                    .and_then(|i| i.as_str())
                    .and_then(ShipmentId::parse)
            });
        if let Some(id) = id {
            return Ok(id);
        }
    }
    Err(body.to_string())
}

fn problem_json(e: &Error) -> String {
    let (_, problem, _) = e.problem();
    serde_json::to_string(&problem).expect("problems serialize")
}

async fn settle(
    app: &AppState,
    tenant: &TenantId,
    batch: &BatchId,
    index: u32,
    outcome: Result<ShipmentId, String>,
) -> Attempt {
    let outcome = match &outcome {
        Ok(id) => ItemOutcome::Bought(id),
        Err(p) => ItemOutcome::Failed(p),
    };
    match app
        .store
        .settle_batch_item(tenant, batch, index, outcome)
        .await
    {
        Ok(_) => Attempt::Settled,
        Err(e) => {
            // Its key keeps the outcome: the next pass reads it back.
            tracing::warn!(error = %e, %batch, index, "could not record a batch item's outcome");
            Attempt::Held
        }
    }
}

/// Renews an item's key while it is bought (a purchase may wait on its account's quota for
/// longer than a lease).
async fn renew(app: AppState, tenant: TenantId, claim: Claim) {
    let every = app.idempotency.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        let until = OffsetDateTime::now_utc() + app.idempotency.lease;
        match app
            .store
            .idem_renew(&tenant, &claim.key, &claim.owner, until)
            .await
        {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = %e, key = %claim.key, "batch item lease renewal failed")
            }
        }
    }
}
