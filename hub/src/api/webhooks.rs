//! The webhooks API: endpoints (subscribe a URL to event types, rotate its signing secret, send
//! a test event) and their deliveries (list with attempts, resend, recover after an outage).
//! Extracts, calls the webhook domain (`webhooks::endpoints`, `webhooks::deliveries`) and shapes
//! the answer; the secret (`whsec_…`) is shown once, in the answer that created or rotated it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, JsonBody, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::problem::Problem;
use super::responses::*;
use crate::error::Error;
use crate::ids::{DeliveryId, EventId, TenantId};
use crate::state::AppState;
use crate::store::{
    AttemptRecord, DeliveryRecord, DeliveryStatus, EndpointRecord, IdemCompletion, RecoverFrom,
};
use crate::webhooks::deliveries::{self, TestQueued};
use crate::webhooks::endpoints::{self, EndpointPatch, NewEndpoint, WithSecret};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(send_test))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(resend_delivery))
        .routes(routes!(recover))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// `https://…` on a public address.
    #[schema(format = "uri")]
    url: String,
    /// Event types to receive, or `["*"]` for all.
    events: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default)]
    #[schema(format = "uri")]
    url: Option<String>,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
    /// `true` re-enables a disabled endpoint (and clears its failure run).
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookOut {
    id: String,
    url: String,
    description: Option<String>,
    events: Vec<String>,
    enabled: bool,
    /// Why the hub disabled it (410 Gone, or failing continuously).
    disabled_reason: Option<String>,
    /// The signing secret: present only in the answer that created or rotated it; an
    /// idempotent replay of that answer carries `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<Option<String>>,
    /// Until then the previous secret signs too (after a rotation).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    previous_secret_expires_at: Option<OffsetDateTime>,
    /// Start of the current run of failed attempts.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    failing_since: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
}

fn webhook_out(e: EndpointRecord, secret: Option<Option<String>>) -> WebhookOut {
    let now = OffsetDateTime::now_utc();
    WebhookOut {
        id: e.id.to_string(),
        url: e.url,
        description: e.description,
        events: e.events.names().into_iter().map(String::from).collect(),
        enabled: e.enabled,
        disabled_reason: e.disabled_reason,
        secret,
        previous_secret_expires_at: e.old_secret_expires_at.filter(|t| *t > now),
        failing_since: e.failing_since,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

/// The answer with the secret. The one stored for replays carries `"secret": null`
/// (`secret_replay`).
fn secret_answer(status: StatusCode, w: WithSecret) -> Answer {
    Answer::json(
        status,
        &webhook_out(w.endpoint, Some(Some(w.secret.expose()))),
    )
}

/// What a replay of `secret_answer` gets, stored under the key.
fn secret_replay(
    status: StatusCode,
    owned: &OwnedKey,
) -> impl FnOnce(&EndpointRecord) -> Option<IdemCompletion> {
    move |e| Answer::json(status, &webhook_out(e.clone(), Some(None))).completion(owned)
}

/// Subscribes a URL to events. The answer carries the signing secret, once. Honours
/// `Idempotency-Key`; a replay carries `"secret": null` (rotate to get a new one).
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = WebhookIn,
    params(IdempotencyKey),
    responses((status = 201, body = WebhookOut), Auth, Idempotent, BadBody))]
async fn create_webhook(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<WebhookIn>,
) -> Response {
    req.run(app, tenant, add_webhook).await
}

/// A new endpoint, under its key.
async fn add_webhook(
    app: AppState,
    tenant: TenantId,
    input: WebhookIn,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let new = NewEndpoint {
        url: input.url,
        events: input.events,
        description: input.description,
    };
    let stored = secret_replay(StatusCode::CREATED, &owned);
    let created = endpoints::create(&app, &tenant, new, stored).await?;
    Ok(secret_answer(StatusCode::CREATED, created))
}

/// The tenant's webhook endpoints.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = inline(List<WebhookOut>)), Auth))]
async fn list_webhooks(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<List<WebhookOut>>, Error> {
    let list = endpoints::list(&app, &tenant).await?;
    Ok(axum::Json(List {
        data: list.into_iter().map(|e| webhook_out(e, None)).collect(),
        next_cursor: None,
    }))
}

/// One webhook endpoint.
#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WebhookOut), Auth, Missing))]
async fn get_webhook(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<WebhookOut>, Error> {
    Ok(axum::Json(webhook_out(
        endpoints::get(&app, &tenant, &id).await?,
        None,
    )))
}

/// Changes the URL, event types, description, or enabled state. Re-enabling clears the
/// failure run; deliveries that failed meanwhile are replayed with `recover`.
#[utoipa::path(patch, path = "/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookPatch,
    params(("id" = String, Path)),
    responses((status = 200, body = WebhookOut), Auth, Missing, BadBody))]
async fn update_webhook(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    body: JsonBody<WebhookPatch>,
) -> Result<axum::Json<WebhookOut>, Error> {
    let p = body.value;
    let patch = EndpointPatch {
        url: p.url,
        events: p.events,
        description: p.description,
        enabled: p.enabled,
    };
    let e = endpoints::update(&app, &tenant, &id, patch).await?;
    Ok(axum::Json(webhook_out(e, None)))
}

/// Deletes an endpoint; its pending deliveries are cancelled.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 204, description = "deleted"), Auth, Missing))]
async fn delete_webhook(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    endpoints::delete(&app, &tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issues a new signing secret. The previous one keeps signing (both signatures are sent)
/// until `previous_secret_expires_at`, so receivers can switch without losing events.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path), IdempotencyKey),
    responses((status = 200, body = WebhookOut), Auth, Missing, Idempotent))]
async fn rotate_secret(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path(id): Path<String>,
) -> Response {
    req.run(app, tenant, |app, tenant, _, owned| {
        replace_secret(app, tenant, id, owned)
    })
    .await
}

/// An endpoint's new secret, under its key.
async fn replace_secret(
    app: AppState,
    tenant: TenantId,
    id: String,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let stored = secret_replay(StatusCode::OK, &owned);
    let rotated = endpoints::rotate_secret(&app, &tenant, &id, stored).await?;
    Ok(secret_answer(StatusCode::OK, rotated))
}

#[derive(Serialize, ToSchema)]
pub struct TestOut {
    /// The `webhook.test` event (its id is the delivery's `webhook-id`).
    event_id: String,
    delivery_id: String,
}

/// Sends a `webhook.test` event to this endpoint only. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "webhooks",
    params(("id" = String, Path), IdempotencyKey),
    responses((status = 202, body = TestOut), Auth, Missing, Idempotent,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the endpoint is disabled, or a request with this key is in progress")))]
async fn send_test(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path(id): Path<String>,
) -> Response {
    req.run(app, tenant, |app, tenant, _, owned| {
        queue_test(app, tenant, id, owned)
    })
    .await
}

/// A test event, under its key.
async fn queue_test(
    app: AppState,
    tenant: TenantId,
    id: String,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let answer = |q: &TestQueued| {
        let out = TestOut {
            event_id: q.event_id.to_string(),
            delivery_id: q.delivery_id.to_string(),
        };
        Answer::json(StatusCode::ACCEPTED, &out)
    };
    let queued =
        deliveries::send_test(&app, &tenant, &id, |q| answer(q).completion(&owned)).await?;
    Ok(answer(&queued))
}

#[derive(Serialize, ToSchema)]
pub struct AttemptOut {
    id: String,
    attempt: u32,
    /// `succeeded`, `failed`, `throttled` (429), `timeout`, `error` (no answer), `gone` (410)
    /// or `skipped` (endpoint disabled meanwhile).
    outcome: String,
    status_code: Option<u16>,
    latency_ms: u64,
    /// The first KiB of the receiver's answer.
    response: Option<String>,
    error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    id: String,
    webhook_id: String,
    event_id: String,
    event_type: String,
    /// `pending`, `succeeded`, `failed` (gave up or endpoint disabled) or `cancelled` (endpoint deleted).
    status: String,
    attempts: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    next_attempt_at: Option<OffsetDateTime>,
    last_status_code: Option<u16>,
    last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
    /// Every attempt, oldest first (only when one delivery is read).
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt_log: Option<Vec<AttemptOut>>,
}

fn delivery_out(d: DeliveryRecord, attempts: Option<Vec<AttemptRecord>>) -> DeliveryOut {
    DeliveryOut {
        id: d.id.to_string(),
        webhook_id: d.endpoint_id.to_string(),
        event_id: d.event_id.to_string(),
        event_type: d.event_type.as_str().to_string(),
        status: d.status.as_str().to_string(),
        attempts: d.attempts,
        next_attempt_at: d.next_attempt_at,
        last_status_code: d.last_status_code,
        last_error: d.last_error,
        created_at: d.created_at,
        updated_at: d.updated_at,
        attempt_log: attempts.map(|list| {
            list.into_iter()
                .map(|a| AttemptOut {
                    id: a.id.to_string(),
                    attempt: a.attempt,
                    outcome: a.outcome.as_str().to_string(),
                    status_code: a.status_code,
                    latency_ms: a.latency_ms,
                    response: a.response,
                    error: a.error,
                    created_at: a.created_at,
                })
                .collect()
        }),
    }
}

#[derive(Deserialize, IntoParams)]
pub struct DeliveryParams {
    /// `pending`, `succeeded`, `failed` or `cancelled`.
    #[param(value_type = Option<String>, pattern = "^(pending|succeeded|failed|cancelled)$")]
    status: Option<String>,
    /// `next_cursor` from the previous page.
    #[param(pattern = "^whd_[0-9a-f]{32}$")]
    cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// The endpoint's deliveries, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path), DeliveryParams),
    responses((status = 200, body = inline(List<DeliveryOut>)), Auth, Missing, BadQuery))]
async fn list_deliveries(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    Query(p): Query<DeliveryParams>,
) -> Result<axum::Json<List<DeliveryOut>>, Error> {
    let limit = super::page_limit(p.limit, 50)?;
    let status = p
        .status
        .as_deref()
        .map(|s| {
            s.parse::<DeliveryStatus>().map_err(|_| {
                Error::field(
                    "/query/status",
                    "must be pending, succeeded, failed or cancelled",
                )
            })
        })
        .transpose()?;
    let before = p
        .cursor
        .as_deref()
        .map(|c| {
            DeliveryId::parse(c)
                .ok_or_else(|| Error::field("/query/cursor", "not a cursor from this API"))
        })
        .transpose()?;
    let list = deliveries::list(&app, &tenant, &id, status, before.as_ref(), limit).await?;
    let next_cursor = (list.len() == limit as usize)
        .then(|| list.last().map(|d| d.id.to_string()))
        .flatten();
    Ok(axum::Json(List {
        data: list.into_iter().map(|d| delivery_out(d, None)).collect(),
        next_cursor,
    }))
}

/// One delivery with every attempt (status, latency, the start of the answer).
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path)),
    responses((status = 200, body = DeliveryOut), Auth, Missing))]
async fn get_delivery(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<axum::Json<DeliveryOut>, Error> {
    let (d, attempts) = deliveries::get(&app, &tenant, &id, &delivery).await?;
    Ok(axum::Json(delivery_out(d, Some(attempts))))
}

/// Sends a delivery once more now, whatever its state (tried once; a failure is not
/// rescheduled). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/resend", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path), IdempotencyKey),
    responses((status = 202, body = DeliveryOut), Auth, Missing, Idempotent,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the endpoint is disabled, or a request with this key is in progress")))]
async fn resend_delivery(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path((id, delivery)): Path<(String, String)>,
) -> Response {
    req.run(app, tenant, |app, tenant, _, owned| {
        queue_resend(app, tenant, id, delivery, owned)
    })
    .await
}

/// A delivery sent again, under its key.
async fn queue_resend(
    app: AppState,
    tenant: TenantId,
    id: String,
    delivery: String,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let answer =
        |d: &DeliveryRecord| Answer::json(StatusCode::ACCEPTED, &delivery_out(d.clone(), None));
    let d = deliveries::resend(&app, &tenant, &id, &delivery, |d| {
        answer(d).completion(&owned)
    })
    .await?;
    Ok(answer(&d))
}

#[derive(Deserialize, IntoParams)]
pub struct RecoverParams {
    /// Replay events from this time on (RFC 3339).
    since: Option<String>,
    /// Or: replay events after this event id.
    since_event: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RecoverOut {
    /// Deliveries queued (each tried once).
    queued: u64,
}

/// Replays to this endpoint every subscribed event since a time (or after an event id) that
/// it did not get: failed deliveries and events that arrived while it was disabled.
/// Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/webhooks/{id}/recover", tag = "webhooks",
    params(("id" = String, Path), RecoverParams, IdempotencyKey),
    responses((status = 202, body = RecoverOut), Auth, Missing, Idempotent,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the endpoint is disabled, or a request with this key is in progress"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "`since` or `since_event` is missing or invalid, or the Idempotency-Key is invalid or was used for another request")))]
async fn recover(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path(id): Path<String>,
    Query(p): Query<RecoverParams>,
) -> Response {
    let from = match (p.since.as_deref(), p.since_event.as_deref()) {
        (Some(t), None) => {
            match OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
                Ok(t) => Ok(RecoverFrom::Time(t)),
                Err(_) => Err(Error::field("/query/since", "must be an RFC 3339 time")),
            }
        }
        (None, Some(e)) => EventId::parse(e)
            .map(RecoverFrom::After)
            .ok_or_else(|| Error::field("/query/since_event", "not an event id")),
        _ => Err(Error::field(
            "/query/since",
            "give exactly one of `since` and `since_event`",
        )),
    };
    let from = match from {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let req = req.scoped(&match &from {
        RecoverFrom::After(e) => format!("?since_event={e}"),
        RecoverFrom::Time(t) => format!("?since={}", t.unix_timestamp_nanos()),
    });
    req.run(app, tenant, |app, tenant, _, owned| {
        replay(app, tenant, id, from, owned)
    })
    .await
}

/// A replay, under its key.
async fn replay(
    app: AppState,
    tenant: TenantId,
    id: String,
    from: RecoverFrom,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let answer = |queued| Answer::json(StatusCode::ACCEPTED, &RecoverOut { queued });
    let stored = |queued| answer(queued).completion(&owned);
    let queued = deliveries::recover(&app, &tenant, &id, from, stored).await?;
    Ok(answer(queued))
}
