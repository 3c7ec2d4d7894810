//! Webhook endpoints: subscribe a URL to event types, rotate its signing secret, send a test
//! event, list deliveries with their attempts, resend one, and recover after an outage.
//! Deliveries are made by `webhooks::dispatcher`; the secret (`whsec_…`) is shown once, in
//! the answer that created or rotated it, and stored encrypted.

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
use crate::ids::{DeliveryId, EventId, TenantId, WebhookId};
use crate::outbound as target;
use crate::state::AppState;
use crate::store::{
    AttemptRecord, DeliveryRecord, EndpointRecord, IdemCompletion, NewEvent, RecoverFrom,
};
use crate::webhooks::sign::WebhookSecret;
use crate::webhooks::{EVENT_TYPES, secret_aad};

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
        events: e.events,
        enabled: e.enabled,
        disabled_reason: e.disabled_reason,
        secret,
        previous_secret_expires_at: e.old_secret_expires_at.filter(|t| *t > now),
        failing_since: e.failing_since,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

/// The answer with the secret, and the one stored for replays without it.
fn secret_answers(
    status: StatusCode,
    e: EndpointRecord,
    secret: &WebhookSecret,
) -> (Answer, Answer) {
    let live = Answer::json(status, &webhook_out(e.clone(), Some(Some(secret.expose()))));
    let stored = Answer::json(status, &webhook_out(e, Some(None)));
    (live, stored)
}

fn check_events(events: &[String]) -> Result<Vec<String>, Error> {
    if events.is_empty() {
        return Err(Error::field(
            "/events",
            "name at least one event type, or \"*\"",
        ));
    }
    let mut out: Vec<String> = vec![];
    for (i, e) in events.iter().enumerate() {
        if e == "*" && events.len() > 1 {
            return Err(Error::field(format!("/events/{i}"), "\"*\" stands alone"));
        }
        if e != "*" && !EVENT_TYPES.contains(&e.as_str()) {
            return Err(Error::field(
                format!("/events/{i}"),
                format!(
                    "unknown event type `{e}`; known: {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

fn check_description(d: Option<String>) -> Result<Option<String>, Error> {
    match d.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()) {
        Some(d) if d.len() > 500 => Err(Error::field("/description", "at most 500 characters")),
        other => Ok(other),
    }
}

async fn check_url(app: &AppState, url: &str) -> Result<String, Error> {
    target::check_resolved(url, app.webhooks.settings.target)
        .await
        .map(|u| u.to_string())
        .map_err(|e| Error::field("/url", e))
}

fn encrypt_secret(
    app: &AppState,
    tenant: &TenantId,
    id: &WebhookId,
    secret: &WebhookSecret,
) -> (Vec<u8>, Vec<u8>) {
    app.master_key
        .encrypt(&secret_aad(tenant, id), secret.expose().as_bytes())
}

async fn load(app: &AppState, tenant: &TenantId, id: &str) -> Result<EndpointRecord, Error> {
    let id = WebhookId::parse(id).ok_or(Error::NotFound("webhook"))?;
    app.store
        .get_endpoint(tenant, &id)
        .await?
        .ok_or(Error::NotFound("webhook"))
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
    let events = check_events(&input.events)?;
    let description = check_description(input.description)?;
    let url = check_url(&app, &input.url).await?;
    let id = WebhookId::generate();
    let secret = WebhookSecret::generate();
    let now = OffsetDateTime::now_utc();
    let endpoint = EndpointRecord {
        secret: encrypt_secret(&app, &tenant, &id, &secret),
        id,
        url,
        description,
        events,
        enabled: true,
        disabled_reason: None,
        old_secret: None,
        old_secret_expires_at: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    };
    let (live, stored) = secret_answers(StatusCode::CREATED, endpoint.clone(), &secret);
    app.store
        .insert_endpoint(&tenant, &endpoint, stored.completion(&owned).as_ref())
        .await?;
    Ok(live)
}

/// The tenant's webhook endpoints.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = inline(List<WebhookOut>)), Auth))]
async fn list_webhooks(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<List<WebhookOut>>, Error> {
    let list = app.store.list_endpoints(&tenant).await?;
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
        load(&app, &tenant, &id).await?,
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
    let mut e = load(&app, &tenant, &id).await?;
    let patch = body.value;
    if let Some(url) = patch.url {
        e.url = check_url(&app, &url).await?;
    }
    if let Some(events) = patch.events {
        e.events = check_events(&events)?;
    }
    if patch.description.is_some() {
        e.description = check_description(patch.description)?;
    }
    match patch.enabled {
        Some(true) if !e.enabled => {
            e.enabled = true;
            e.disabled_reason = None;
            e.failing_since = None;
        }
        Some(false) if e.enabled => {
            e.enabled = false;
            e.disabled_reason = Some("disabled through the API".into());
        }
        _ => {}
    }
    e.updated_at = OffsetDateTime::now_utc();
    if !app.store.update_endpoint(&tenant, &e).await? {
        return Err(Error::NotFound("webhook"));
    }
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
    let id = WebhookId::parse(&id).ok_or(Error::NotFound("webhook"))?;
    if !app
        .store
        .delete_endpoint(&tenant, &id, OffsetDateTime::now_utc())
        .await?
    {
        return Err(Error::NotFound("webhook"));
    }
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
    let mut e = load(&app, &tenant, &id).await?;
    let secret = WebhookSecret::generate();
    let now = OffsetDateTime::now_utc();
    let until = now + app.webhooks.settings.rotation_overlap;
    let sealed = encrypt_secret(&app, &tenant, &e.id, &secret);
    e.old_secret = Some(e.secret.clone());
    e.old_secret_expires_at = Some(until);
    e.secret = sealed.clone();
    e.updated_at = now;
    let (live, stored) = secret_answers(StatusCode::OK, e.clone(), &secret);
    if !app
        .store
        .rotate_endpoint_secret(
            &tenant,
            &e.id,
            &sealed,
            until,
            now,
            stored.completion(&owned).as_ref(),
        )
        .await?
    {
        return Err(Error::NotFound("webhook"));
    }
    Ok(live)
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
    let e = load(&app, &tenant, &id).await?;
    if !e.enabled {
        return Err(Error::Conflict(format!(
            "webhook {} is disabled; enable it first",
            e.id
        )));
    }
    let now = OffsetDateTime::now_utc();
    let event = NewEvent {
        kind: "webhook.test",
        subject_id: e.id.to_string(),
        data: serde_json::json!({
            "webhook_id": e.id.as_str(),
            "message": "a test event from shiphub",
        }),
    };
    let (event_id, delivery_id) = (EventId::generate(), DeliveryId::generate());
    let answer = Answer::json(
        StatusCode::ACCEPTED,
        &TestOut {
            event_id: event_id.to_string(),
            delivery_id: delivery_id.to_string(),
        },
    );
    app.store
        .insert_test_event(
            &tenant,
            &e.id,
            &event_id,
            &delivery_id,
            &event,
            now,
            answer.completion(&owned).as_ref(),
        )
        .await?;
    app.webhooks.wake.notify_one();
    Ok(answer)
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
        event_type: d.event_type,
        status: d.status,
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
                    outcome: a.outcome,
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
    if let Some(s) = p.status.as_deref()
        && !["pending", "succeeded", "failed", "cancelled"].contains(&s)
    {
        return Err(Error::field(
            "/query/status",
            "must be pending, succeeded, failed or cancelled",
        ));
    }
    let before = p
        .cursor
        .as_deref()
        .map(|c| {
            DeliveryId::parse(c)
                .ok_or_else(|| Error::field("/query/cursor", "not a cursor from this API"))
        })
        .transpose()?;
    let e = load(&app, &tenant, &id).await?;
    let list = app
        .store
        .list_deliveries(&tenant, &e.id, p.status.as_deref(), before.as_ref(), limit)
        .await?;
    let next_cursor = (list.len() == limit as usize)
        .then(|| list.last().map(|d| d.id.to_string()))
        .flatten();
    Ok(axum::Json(List {
        data: list.into_iter().map(|d| delivery_out(d, None)).collect(),
        next_cursor,
    }))
}

async fn load_delivery(
    app: &AppState,
    tenant: &TenantId,
    endpoint: &WebhookId,
    id: &str,
) -> Result<DeliveryRecord, Error> {
    let id = DeliveryId::parse(id).ok_or(Error::NotFound("delivery"))?;
    app.store
        .get_delivery(tenant, endpoint, &id)
        .await?
        .ok_or(Error::NotFound("delivery"))
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
    let e = load(&app, &tenant, &id).await?;
    let d = load_delivery(&app, &tenant, &e.id, &delivery).await?;
    let attempts = app.store.list_attempts(&tenant, &d.id).await?;
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
    let e = load(&app, &tenant, &id).await?;
    if !e.enabled {
        return Err(Error::Conflict(format!(
            "webhook {} is disabled; enable it first",
            e.id
        )));
    }
    let d = load_delivery(&app, &tenant, &e.id, &delivery).await?;
    let now = OffsetDateTime::now_utc();
    let mut out = delivery_out(d.clone(), None);
    out.status = "pending".into();
    out.next_attempt_at = Some(now);
    out.updated_at = now;
    let answer = Answer::json(StatusCode::ACCEPTED, &out);
    if !app
        .store
        .resend_delivery(
            &tenant,
            &e.id,
            &d.id,
            now,
            answer.completion(&owned).as_ref(),
        )
        .await?
    {
        return Err(Error::NotFound("delivery"));
    }
    app.webhooks.wake.notify_one();
    Ok(answer)
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
                Ok(t) => Ok(Err(t)),
                Err(_) => Err(Error::field("/query/since", "must be an RFC 3339 time")),
            }
        }
        (None, Some(e)) => EventId::parse(e)
            .map(Ok)
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
        Ok(e) => format!("?since_event={e}"),
        Err(t) => format!("?since={}", t.unix_timestamp_nanos()),
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
    from: Result<EventId, OffsetDateTime>,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let e = load(&app, &tenant, &id).await?;
    if !e.enabled {
        return Err(Error::Conflict(format!(
            "webhook {} is disabled; enable it first",
            e.id
        )));
    }
    let since = match &from {
        Ok(event) => RecoverFrom::After(event),
        Err(t) => RecoverFrom::Time(*t),
    };
    // The count is known only inside the transaction, which also stores the answer.
    let answer = |queued| Answer::json(StatusCode::ACCEPTED, &RecoverOut { queued });
    let complete = |queued| answer(queued).completion(&owned).expect("a key is owned");
    let queued = app
        .store
        .recover_endpoint(
            &tenant,
            &e,
            since,
            OffsetDateTime::now_utc(),
            owned
                .is_some()
                .then_some(&complete as &(dyn Fn(u64) -> IdemCompletion + Sync)),
        )
        .await?;
    app.webhooks.wake.notify_one();
    Ok(answer(queued))
}
