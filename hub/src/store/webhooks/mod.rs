//! Webhook endpoints, deliveries and attempts (issue 6).
//!
//! Fan-out turns each outbox event into one delivery per subscribed endpoint and marks the
//! event in the same transaction. Dispatchers claim due deliveries with a lease: the claim
//! pushes `next_attempt_at` one lease ahead under a fresh `lease_token`, so a crashed
//! instance's deliveries fall due again by themselves. On PostgreSQL the claim skips rows
//! another instance holds (`FOR UPDATE SKIP LOCKED`); on SQLite every write goes through the
//! one writer connection, which serializes claims. Results are written only under the lease
//! token that claimed them.
//!
//! Persistence only: when an endpoint is disabled is the webhook domain's rule
//! (`webhooks::disable`), which `record_attempts` is given; the store applies its verdict in the
//! attempt's transaction.
//!
//! This file holds the records, their typed columns (`DeliveryStatus`, `AttemptOutcome`, the
//! endpoint's `Subscription`, each read back once here) and row readers; the queries are by
//! job: `endpoints` (for `webhooks::endpoints`), `dispatch` (fan-out, claims, results) and
//! `deliveries` (for `webhooks::deliveries`: deliveries and attempts, resends, recovery, test
//! events).

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{Backend, Result, StoreError, from_millis, markers, millis, named};
use crate::events::{EventType, Subscription};
use crate::ids::{AttemptId, DeliveryId, EventId, TenantId, WebhookId};
use crate::named::named_enum;

mod deliveries;
mod dispatch;
mod endpoints;

#[derive(Clone, Debug)]
pub struct EndpointRecord {
    pub id: WebhookId,
    pub url: String,
    pub description: Option<String>,
    pub events: Subscription,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// AES-GCM nonce and ciphertext of the `whsec_…` secret.
    pub secret: (Vec<u8>, Vec<u8>),
    /// The previous secret during a rotation, and when it stops signing.
    pub old_secret: Option<(Vec<u8>, Vec<u8>)>,
    pub old_secret_expires_at: Option<OffsetDateTime>,
    pub failing_since: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

named_enum! {
    /// Where a delivery stands.
    pub enum DeliveryStatus {
        /// Due (or held under a lease) for its next attempt.
        Pending = "pending",
        Succeeded = "succeeded",
        /// Gave up, or its endpoint was disabled.
        Failed = "failed",
        /// Its endpoint was deleted.
        Cancelled = "cancelled",
    }
}

named_enum! {
    /// How one attempt ended.
    pub enum AttemptOutcome {
        /// A 2xx answer.
        Succeeded = "succeeded",
        /// Any other answer.
        Failed = "failed",
        /// 429.
        Throttled = "throttled",
        /// No answer within the timeout.
        Timeout = "timeout",
        /// No answer: refused, unreachable, or not sent (secret unusable, target refused).
        Error = "error",
        /// 410: the endpoint is disabled at once.
        Gone = "gone",
        /// Not sent: the endpoint was disabled after the claim.
        Skipped = "skipped",
    }
}

#[derive(Clone, Debug)]
pub struct DeliveryRecord {
    pub id: DeliveryId,
    pub endpoint_id: WebhookId,
    pub event_id: EventId,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct AttemptRecord {
    pub id: AttemptId,
    pub attempt: u32,
    pub outcome: AttemptOutcome,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub response: Option<String>,
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A delivery a dispatcher holds, with what it needs to send it.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    pub id: DeliveryId,
    pub tenant: TenantId,
    pub endpoint_id: WebhookId,
    pub event_id: EventId,
    pub event_type: EventType,
    pub event_payload: String,
    pub event_at: OffsetDateTime,
    /// Attempts made before this one.
    pub attempts: u32,
    pub one_shot: bool,
    pub lease_token: String,
    pub url: String,
    pub enabled: bool,
    pub secret: (Vec<u8>, Vec<u8>),
    pub old_secret: Option<(Vec<u8>, Vec<u8>)>,
    pub old_secret_expires_at: Option<OffsetDateTime>,
}

/// The endpoint fields a claim carries.
struct ClaimedEndpoint {
    url: String,
    enabled: bool,
    secret: (Vec<u8>, Vec<u8>),
    old_secret: Option<(Vec<u8>, Vec<u8>)>,
    old_secret_expires_at: Option<OffsetDateTime>,
}

/// What happens to a delivery after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterAttempt {
    Succeeded,
    RetryAt(OffsetDateTime),
    /// Schedule exhausted, or a one-shot resend failed.
    GiveUp,
    /// 410 Gone: the endpoint is disabled at once.
    Gone,
}

/// One finished attempt, to be recorded.
#[derive(Clone, Debug)]
pub struct AttemptResult {
    pub delivery: ClaimedDelivery,
    pub outcome: AttemptOutcome,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub response: Option<String>,
    pub error: Option<String>,
    pub at: OffsetDateTime,
    pub after: AfterAttempt,
}

const ENDPOINT_COLUMNS: &str = "id, url, description, events, enabled, disabled_reason, secret_nonce, secret, \
     old_secret_nonce, old_secret, old_secret_expires_at, failing_since, created_at, updated_at";

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.event_id, e.type AS event_type, d.status, d.attempts, \
     d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at";

/// An endpoint after a batch of attempts, as the webhook domain's disable rule
/// (`webhooks::disable`) sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointHealth {
    /// An attempt in the batch answered 410 Gone.
    pub gone: bool,
    /// Since when every attempt has failed, when the batch ended in a failure.
    pub failing_since: Option<OffsetDateTime>,
    /// The batch's last failure, when it ended in one.
    pub last_failure: Option<OffsetDateTime>,
}

/// Where a recovery starts.
#[derive(Clone, Debug)]
pub enum RecoverFrom {
    Time(OffsetDateTime),
    /// Strictly after this event.
    After(EventId),
}

/// A delivery to queue: (tenant, endpoint, event).
struct NewDelivery {
    tenant: String,
    endpoint: WebhookId,
    event: String,
}

/// Rows per multi-row delivery insert (5 binds each, well under either backend's limit).
const INSERT_CHUNK: usize = 1000;

/// Queues deliveries, due `now`, a multi-row insert per chunk; an (endpoint, event) pair that
/// already has one is left alone.
async fn insert_deliveries(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    rows: &[NewDelivery],
    now: OffsetDateTime,
    one_shot: bool,
) -> Result<()> {
    let one_shot = i64::from(one_shot);
    for chunk in rows.chunks(INSERT_CHUNK) {
        // The same time three times, per row: markers are bound in order, each once.
        let values = (0..chunk.len())
            .map(|i| {
                format!(
                    "({}, 'pending', {one_shot}, {})",
                    markers(backend, 1 + i * 7, 4),
                    markers(backend, 5 + i * 7, 3)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, status, one_shot, \
             next_attempt_at, created_at, updated_at) VALUES {values} \
             ON CONFLICT (endpoint_id, event_id) DO NOTHING"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        let at = millis(now);
        for r in chunk {
            q = q
                .bind(DeliveryId::generate().to_string())
                .bind(r.tenant.as_str())
                .bind(r.endpoint.as_str())
                .bind(r.event.as_str())
                .bind(at)
                .bind(at)
                .bind(at);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn insert_delivery(
    tx: &mut sqlx::AnyConnection,
    id: &DeliveryId,
    tenant: &str,
    endpoint: &WebhookId,
    event: &str,
    now: OffsetDateTime,
    one_shot: bool,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, status, one_shot, \
         next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6, $6) \
         ON CONFLICT (endpoint_id, event_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(tenant)
    .bind(endpoint.as_str())
    .bind(event)
    .bind(i64::from(one_shot))
    .bind(millis(now))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// An endpoint's stored `events` (a JSON list of names) read back.
fn parse_events(s: &str) -> Result<Subscription> {
    serde_json::from_str::<Vec<String>>(s)
        .map_err(|e| e.to_string())
        .and_then(|names| Subscription::from_names(&names).map_err(|e| e.to_string()))
        .map_err(|e| StoreError::Corrupt(format!("endpoint events: {e}")))
}

/// An endpoint's `events` as stored.
fn events_column(events: &Subscription) -> String {
    serde_json::to_string(&events.names()).expect("strings serialize")
}

fn count(r: &AnyRow, col: &str) -> Result<u32> {
    let v: i64 = r.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col} {v}")))
}

fn status_code(r: &AnyRow, col: &str) -> Result<Option<u16>> {
    r.try_get::<Option<i64>, _>(col)?
        .map(|v| u16::try_from(v).map_err(|_| StoreError::Corrupt(format!("status {v}"))))
        .transpose()
}

fn secret_pair(r: &AnyRow, nonce: &str, ct: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let n: Option<Vec<u8>> = r.try_get(nonce)?;
    let c: Option<Vec<u8>> = r.try_get(ct)?;
    Ok(n.zip(c))
}

fn endpoint_from_row(r: &AnyRow) -> Result<EndpointRecord> {
    Ok(EndpointRecord {
        id: WebhookId::from_db(r.try_get("id")?),
        url: r.try_get("url")?,
        description: r.try_get("description")?,
        events: parse_events(&r.try_get::<String, _>("events")?)?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        disabled_reason: r.try_get("disabled_reason")?,
        secret: (r.try_get("secret_nonce")?, r.try_get("secret")?),
        old_secret: secret_pair(r, "old_secret_nonce", "old_secret")?,
        old_secret_expires_at: r
            .try_get::<Option<i64>, _>("old_secret_expires_at")?
            .map(from_millis),
        failing_since: r
            .try_get::<Option<i64>, _>("failing_since")?
            .map(from_millis),
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
    })
}

fn delivery_from_row(r: &AnyRow) -> Result<DeliveryRecord> {
    Ok(DeliveryRecord {
        id: DeliveryId::from_db(r.try_get("id")?),
        endpoint_id: WebhookId::from_db(r.try_get("endpoint_id")?),
        event_id: EventId::from_db(r.try_get("event_id")?),
        event_type: named(r, "event_type")?,
        status: named(r, "status")?,
        attempts: count(r, "attempts")?,
        next_attempt_at: r
            .try_get::<Option<i64>, _>("next_attempt_at")?
            .map(from_millis),
        last_status_code: status_code(r, "last_status_code")?,
        last_error: r.try_get("last_error")?,
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
    })
}
