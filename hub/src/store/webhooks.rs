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

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{
    Backend, IdemCompletion, NewEvent, Result, Store, StoreError, complete_idem, from_millis,
    insert_events, markers, millis, placeholders,
};
use crate::ids::{AttemptId, DeliveryId, EventId, TenantId, WebhookId};

#[derive(Clone, Debug)]
pub struct EndpointRecord {
    pub id: WebhookId,
    pub url: String,
    pub description: Option<String>,
    /// Event types, or `["*"]` for all.
    pub events: Vec<String>,
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

impl EndpointRecord {
    pub fn subscribes(&self, kind: &str) -> bool {
        subscribes(&self.events, kind)
    }
}

/// What the stored `events` list means: the listed types, or all of them for `"*"`.
fn subscribes(events: &[String], kind: &str) -> bool {
    events.iter().any(|e| e == "*" || e == kind)
}

#[derive(Clone, Debug)]
pub struct DeliveryRecord {
    pub id: DeliveryId,
    pub endpoint_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    /// `pending`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
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
    /// `succeeded`, `failed`, `throttled`, `timeout`, `error` or `gone`.
    pub outcome: String,
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
    pub event_type: String,
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
    pub outcome: &'static str,
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

/// Results per multi-row statement: 10 binds each keeps a chunk under SQLite's and
/// PostgreSQL's limits on bound parameters.
const RECORD_CHUNK: usize = 500;

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

/// One endpoint's results within a batch, in order.
#[derive(Default)]
struct EndpointRun {
    /// A success came (so the previous failure run ended).
    cleared: bool,
    /// First and last failure after the last success.
    failed: Option<(OffsetDateTime, OffsetDateTime)>,
    gone: bool,
}

impl Store {
    pub async fn insert_endpoint(
        &self,
        tenant: &TenantId,
        e: &EndpointRecord,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, enabled, secret_nonce, secret, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.id.as_str())
        .bind(tenant.as_str())
        .bind(&e.url)
        .bind(e.description.as_deref())
        .bind(serde_json::to_string(&e.events).expect("strings serialize"))
        .bind(i64::from(e.enabled))
        .bind(&e.secret.0)
        .bind(&e.secret.1)
        .bind(millis(e.created_at))
        .bind(millis(e.updated_at))
        .execute(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_endpoint(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
    ) -> Result<Option<EndpointRecord>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(endpoint_from_row).transpose()
    }

    pub async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<EndpointRecord>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// Writes the endpoint's editable fields (url, description, events, enabled state).
    pub async fn update_endpoint(&self, tenant: &TenantId, e: &EndpointRecord) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE webhook_endpoints SET url = $1, description = $2, events = $3, enabled = $4, \
             disabled_reason = $5, failing_since = $6, updated_at = $7 \
             WHERE tenant_id = $8 AND id = $9 AND deleted_at IS NULL",
        )
        .bind(&e.url)
        .bind(e.description.as_deref())
        .bind(serde_json::to_string(&e.events).expect("strings serialize"))
        .bind(i64::from(e.enabled))
        .bind(e.disabled_reason.as_deref())
        .bind(e.failing_since.map(millis))
        .bind(millis(e.updated_at))
        .bind(tenant.as_str())
        .bind(e.id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Installs a new secret; the current one keeps signing until `old_expires_at`.
    pub async fn rotate_endpoint_secret(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        new_secret: &(Vec<u8>, Vec<u8>),
        old_expires_at: OffsetDateTime,
        now: OffsetDateTime,
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE webhook_endpoints SET old_secret_nonce = secret_nonce, old_secret = secret, \
             old_secret_expires_at = $1, secret_nonce = $2, secret = $3, updated_at = $4 \
             WHERE tenant_id = $5 AND id = $6 AND deleted_at IS NULL",
        )
        .bind(millis(old_expires_at))
        .bind(&new_secret.0)
        .bind(&new_secret.1)
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Soft delete; its pending deliveries are cancelled (their history stays listable).
    pub async fn delete_endpoint(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE webhook_endpoints SET deleted_at = $1, enabled = 0, updated_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND deleted_at IS NULL",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_token = NULL, \
             last_error = 'endpoint deleted', updated_at = $1 WHERE endpoint_id = $2 AND status = 'pending'",
        )
        .bind(millis(now))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Gives up to `limit` events that have not been fanned out their deliveries (one per
    /// enabled endpoint of the event's tenant that subscribes to its type and existed when
    /// it happened), and marks them. Returns how many events it handled.
    pub async fn fan_out_events(&self, now: OffsetDateTime, limit: u32) -> Result<usize> {
        // A read first: most polls find nothing, and need not queue for the writer.
        let waiting = sqlx::query("SELECT 1 FROM events WHERE fanned_out_at IS NULL LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        if waiting.is_none() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id, tenant_id, type, created_at FROM events WHERE fanned_out_at IS NULL ORDER BY id LIMIT $1{lock}"
        );
        let events = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        if events.is_empty() {
            tx.rollback().await?;
            return Ok(0);
        }
        let mut endpoints: HashMap<String, Vec<(WebhookId, Vec<String>, i64)>> = HashMap::new();
        let mut ids = Vec::with_capacity(events.len());
        let mut rows = Vec::with_capacity(events.len());
        for ev in &events {
            let event_id: String = ev.try_get("id")?;
            let tenant: String = ev.try_get("tenant_id")?;
            let kind: String = ev.try_get("type")?;
            let at: i64 = ev.try_get("created_at")?;
            if !endpoints.contains_key(&tenant) {
                let rows = sqlx::query(
                    "SELECT id, events, created_at FROM webhook_endpoints \
                     WHERE tenant_id = $1 AND enabled = 1 AND deleted_at IS NULL",
                )
                .bind(&tenant)
                .fetch_all(&mut *tx)
                .await?;
                let list = rows
                    .iter()
                    .map(|r| {
                        Ok((
                            WebhookId::from_db(r.try_get("id")?),
                            parse_events(&r.try_get::<String, _>("events")?)?,
                            r.try_get::<i64, _>("created_at")?,
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?;
                endpoints.insert(tenant.clone(), list);
            }
            for (endpoint, types, created) in &endpoints[&tenant] {
                if *created > at || !subscribes(types, &kind) {
                    continue;
                }
                rows.push(NewDelivery {
                    tenant: tenant.clone(),
                    endpoint: endpoint.clone(),
                    event: event_id.clone(),
                });
            }
            ids.push(event_id);
        }
        insert_deliveries(&mut tx, self.backend, &rows, now, false).await?;
        let sql = format!(
            "UPDATE events SET fanned_out_at = {} WHERE id IN ({})",
            markers(self.backend, 1, 1),
            markers(self.backend, 2, ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .persistent(false)
            .bind(millis(now));
        for id in &ids {
            q = q.bind(id.as_str());
        }
        q.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(ids.len())
    }

    /// Claims up to `limit` due deliveries for `lease`, oldest due first.
    pub async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>> {
        self.claim_deliveries_except(now, lease, limit, &[]).await
    }

    /// `claim_deliveries`, passing over the endpoints in `skip` (the dispatcher has enough of
    /// theirs in hand).
    pub async fn claim_deliveries_except(
        &self,
        now: OffsetDateTime,
        lease: std::time::Duration,
        limit: u32,
        skip: &[WebhookId],
    ) -> Result<Vec<ClaimedDelivery>> {
        let token = uuid::Uuid::now_v7().simple().to_string();
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let except = if skip.is_empty() {
            String::new()
        } else {
            format!(" AND endpoint_id NOT IN ({})", placeholders(5, skip.len()))
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET next_attempt_at = $1, lease_token = $2 \
             WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $3{except} \
                          ORDER BY next_attempt_at LIMIT $4{lock}) \
             AND status = 'pending' AND next_attempt_at <= $3 \
             RETURNING id, tenant_id, endpoint_id, event_id, attempts, one_shot"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(millis(now + lease))
            .bind(&token)
            .bind(millis(now))
            .bind(i64::from(limit));
        for e in skip {
            q = q.bind(e.as_str());
        }
        // The claim returns what it took, so the writer runs one statement per claim; the rest
        // (event bodies, endpoint URLs and secrets) is read off the writer. Events and endpoints
        // were committed before their deliveries could be claimed, so any reader sees them.
        let claimed = q.fetch_all(&self.writer).await?;
        if claimed.is_empty() {
            return Ok(vec![]);
        }
        struct Claimed {
            id: String,
            tenant: String,
            endpoint: String,
            event: String,
            attempts: u32,
            one_shot: bool,
        }
        let claimed = claimed
            .iter()
            .map(|r| {
                Ok(Claimed {
                    id: r.try_get("id")?,
                    tenant: r.try_get("tenant_id")?,
                    endpoint: r.try_get("endpoint_id")?,
                    event: r.try_get("event_id")?,
                    attempts: count(r, "attempts")?,
                    one_shot: r.try_get::<i64, _>("one_shot")? != 0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut endpoint_ids: Vec<&str> = claimed.iter().map(|c| c.endpoint.as_str()).collect();
        endpoint_ids.sort_unstable();
        endpoint_ids.dedup();
        let sql = format!(
            "SELECT id, url, enabled, secret_nonce, secret, old_secret_nonce, old_secret, old_secret_expires_at \
             FROM webhook_endpoints WHERE id IN ({})",
            markers(self.backend, 1, endpoint_ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for id in &endpoint_ids {
            q = q.bind(*id);
        }
        let mut endpoints = HashMap::new();
        for r in q.fetch_all(&self.pool).await? {
            let id: String = r.try_get("id")?;
            let e = ClaimedEndpoint {
                url: r.try_get("url")?,
                enabled: r.try_get::<i64, _>("enabled")? != 0,
                secret: (r.try_get("secret_nonce")?, r.try_get("secret")?),
                old_secret: secret_pair(&r, "old_secret_nonce", "old_secret")?,
                old_secret_expires_at: r
                    .try_get::<Option<i64>, _>("old_secret_expires_at")?
                    .map(from_millis),
            };
            endpoints.insert(id, e);
        }
        let mut events = HashMap::with_capacity(claimed.len());
        for chunk in claimed.chunks(RECORD_CHUNK) {
            let sql = format!(
                "SELECT id, type, payload, created_at FROM events WHERE id IN ({})",
                markers(self.backend, 1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for c in chunk {
                q = q.bind(c.event.as_str());
            }
            for r in q.fetch_all(&self.pool).await? {
                let id: String = r.try_get("id")?;
                let ev: (String, String, i64) = (
                    r.try_get("type")?,
                    r.try_get("payload")?,
                    r.try_get("created_at")?,
                );
                events.insert(id, ev);
            }
        }
        claimed
            .into_iter()
            .map(|c| {
                let (Some(e), Some((kind, payload, at))) =
                    (endpoints.get(&c.endpoint), events.get(&c.event))
                else {
                    return Err(StoreError::Corrupt(format!(
                        "delivery {} lost its endpoint or event",
                        c.id
                    )));
                };
                Ok(ClaimedDelivery {
                    id: DeliveryId::from_db(c.id),
                    tenant: TenantId::from_db(c.tenant),
                    endpoint_id: WebhookId::from_db(c.endpoint),
                    event_id: EventId::from_db(c.event),
                    event_type: kind.clone(),
                    event_payload: payload.clone(),
                    event_at: from_millis(*at),
                    attempts: c.attempts,
                    one_shot: c.one_shot,
                    lease_token: token.clone(),
                    url: e.url.clone(),
                    enabled: e.enabled,
                    secret: e.secret.clone(),
                    old_secret: e.old_secret.clone(),
                    old_secret_expires_at: e.old_secret_expires_at,
                })
            })
            .collect()
    }

    /// Hands a claimed delivery back unsent, due again at `at` (its endpoint has enough
    /// attempts in flight on this instance).
    pub async fn defer_delivery(&self, d: &ClaimedDelivery, at: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1, lease_token = NULL \
             WHERE id = $2 AND lease_token = $3 AND status = 'pending'",
        )
        .bind(millis(at))
        .bind(d.id.as_str())
        .bind(&d.lease_token)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// `defer_delivery` for many, in one statement.
    pub async fn defer_deliveries(&self, ds: &[ClaimedDelivery], at: OffsetDateTime) -> Result<()> {
        for chunk in ds.chunks(RECORD_CHUNK) {
            let rows = (0..chunk.len())
                .map(|i| format!("({})", markers(self.backend, 2 + i * 2, 2)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "UPDATE webhook_deliveries SET next_attempt_at = {}, lease_token = NULL FROM (VALUES {rows}) AS v \
                 WHERE webhook_deliveries.id = v.column1 AND webhook_deliveries.lease_token = v.column2 \
                 AND webhook_deliveries.status = 'pending'",
                markers(self.backend, 1, 1)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(millis(at));
            for d in chunk {
                q = q.bind(d.id.as_str()).bind(d.lease_token.as_str());
            }
            q.execute(&self.writer).await?;
        }
        Ok(())
    }

    /// Records finished attempts in one transaction: the attempt rows, each delivery's next
    /// state (only under the lease that claimed it), and each endpoint's failure run. An
    /// endpoint for which `disable` gives a reason (the domain's rule, `webhooks::disable`) is
    /// disabled with it, its pending deliveries fail, and a `webhook.disabled` event goes to the
    /// tenant's other endpoints. Returns the endpoints disabled.
    ///
    /// Statements are per batch, not per result (SQLite has one writer): multi-row inserts
    /// for the attempts, one `UPDATE … FROM (VALUES …)` per chunk for the deliveries, one
    /// update for every endpoint that succeeded, and one per endpoint that failed.
    pub async fn record_attempts(
        &self,
        results: &[AttemptResult],
        disable: impl Fn(&EndpointHealth) -> Option<String>,
    ) -> Result<Vec<WebhookId>> {
        if results.is_empty() {
            return Ok(vec![]);
        }
        let mut tx = self.begin().await?;
        for chunk in results.chunks(RECORD_CHUNK) {
            let rows = (0..chunk.len())
                .map(|i| format!("({})", markers(self.backend, 1 + i * 10, 10)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO webhook_attempts (id, tenant_id, delivery_id, attempt, outcome, status_code, \
                 latency_ms, response, error, created_at) VALUES {rows}"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for r in chunk {
                let d = &r.delivery;
                q = q
                    .bind(AttemptId::generate().to_string())
                    .bind(d.tenant.as_str())
                    .bind(d.id.as_str())
                    .bind(i64::from(d.attempts + 1))
                    .bind(r.outcome)
                    .bind(r.status_code.map(i64::from))
                    .bind(i64::try_from(r.latency_ms).unwrap_or(i64::MAX))
                    .bind(r.response.as_deref())
                    .bind(r.error.as_deref())
                    .bind(millis(r.at));
            }
            q.execute(&mut *tx).await?;

            // VALUES columns are named column1… in both SQLite and PostgreSQL.
            let rows = (0..chunk.len())
                .map(|i| format!("({})", markers(self.backend, 1 + i * 8, 8)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "UPDATE webhook_deliveries SET status = v.column3, attempts = v.column4, \
                 next_attempt_at = v.column5, lease_token = NULL, last_status_code = v.column6, \
                 last_error = v.column7, updated_at = v.column8 FROM (VALUES {rows}) AS v \
                 WHERE webhook_deliveries.id = v.column1 AND webhook_deliveries.lease_token = v.column2 \
                 AND webhook_deliveries.status = 'pending'"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for r in chunk {
                let d = &r.delivery;
                let (status, next) = match r.after {
                    AfterAttempt::Succeeded => ("succeeded", None),
                    AfterAttempt::RetryAt(t) => ("pending", Some(millis(t))),
                    AfterAttempt::GiveUp | AfterAttempt::Gone => ("failed", None),
                };
                q = q
                    .bind(d.id.as_str())
                    .bind(d.lease_token.as_str())
                    .bind(status)
                    .bind(i64::from(d.attempts + 1))
                    .bind(next)
                    .bind(r.status_code.map(i64::from))
                    .bind(r.error.as_deref())
                    .bind(millis(r.at));
            }
            q.execute(&mut *tx).await?;
        }

        // Each endpoint's failure run after this batch, results taken in order.
        let mut runs: Vec<(&AttemptResult, EndpointRun)> = vec![];
        for r in results {
            let i = match runs
                .iter()
                .position(|(first, _)| first.delivery.endpoint_id == r.delivery.endpoint_id)
            {
                Some(i) => i,
                None => {
                    runs.push((r, EndpointRun::default()));
                    runs.len() - 1
                }
            };
            let run = &mut runs[i].1;
            if r.after == AfterAttempt::Succeeded {
                run.cleared = true;
                run.failed = None;
            } else {
                run.failed.get_or_insert((r.at, r.at)).1 = r.at;
            }
            run.gone |= r.after == AfterAttempt::Gone;
        }
        let cleared: Vec<&str> = runs
            .iter()
            .filter(|(_, run)| run.cleared && run.failed.is_none())
            .map(|(r, _)| r.delivery.endpoint_id.as_str())
            .collect();
        if !cleared.is_empty() {
            let sql = format!(
                "UPDATE webhook_endpoints SET failing_since = NULL WHERE id IN ({}) AND failing_since IS NOT NULL",
                markers(self.backend, 1, cleared.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for id in cleared {
                q = q.bind(id);
            }
            q.execute(&mut *tx).await?;
        }
        let mut disabled = vec![];
        for (first, run) in &runs {
            let d = &first.delivery;
            let Some((first_failure, last_failure)) = run.failed else {
                let health = EndpointHealth {
                    gone: run.gone,
                    failing_since: None,
                    last_failure: None,
                };
                if let Some(reason) = disable(&health)
                    && disable_tx(&mut tx, &d.tenant, &d.endpoint_id, &reason, first.at).await?
                {
                    disabled.push(d.endpoint_id.clone());
                }
                continue;
            };
            // A success earlier in this batch ended the previous run.
            let sql = if run.cleared {
                "UPDATE webhook_endpoints SET failing_since = $1 WHERE id = $2 RETURNING failing_since"
            } else {
                "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $1) WHERE id = $2 \
                 RETURNING failing_since"
            };
            let since: Option<i64> = sqlx::query(sql)
                .bind(millis(first_failure))
                .bind(d.endpoint_id.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get("failing_since"))
                .transpose()?
                .flatten();
            let health = EndpointHealth {
                gone: run.gone,
                failing_since: since.map(from_millis),
                last_failure: Some(last_failure),
            };
            let reason = disable(&health);
            if let Some(reason) = reason
                && disable_tx(&mut tx, &d.tenant, &d.endpoint_id, &reason, last_failure).await?
            {
                disabled.push(d.endpoint_id.clone());
            }
        }
        if disabled.is_empty() {
            tx.commit().await?;
        } else {
            self.commit_events(tx).await?;
        }
        Ok(disabled)
    }

    /// The endpoint's deliveries, newest first; `status` filters, `before` is the cursor.
    pub async fn list_deliveries(
        &self,
        tenant: &TenantId,
        endpoint: &WebhookId,
        status: Option<&str>,
        before: Option<&DeliveryId>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND ($3 = '' OR d.status = $3) \
             AND ($4 = '' OR d.id < $4) ORDER BY d.id DESC LIMIT $5"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(endpoint.as_str())
            .bind(status.unwrap_or(""))
            .bind(before.map_or("", DeliveryId::as_str))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    pub async fn get_delivery(
        &self,
        tenant: &TenantId,
        endpoint: &WebhookId,
        id: &DeliveryId,
    ) -> Result<Option<DeliveryRecord>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND d.id = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(endpoint.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(delivery_from_row).transpose()
    }

    /// A delivery's attempts, oldest first.
    pub async fn list_attempts(
        &self,
        tenant: &TenantId,
        delivery: &DeliveryId,
    ) -> Result<Vec<AttemptRecord>> {
        let rows = sqlx::query(
            "SELECT id, attempt, outcome, status_code, latency_ms, response, error, created_at \
             FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY id",
        )
        .bind(tenant.as_str())
        .bind(delivery.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AttemptRecord {
                    id: AttemptId::from_db(r.try_get("id")?),
                    attempt: count(r, "attempt")?,
                    outcome: r.try_get("outcome")?,
                    status_code: status_code(r)?,
                    latency_ms: u64::from(count(r, "latency_ms")?),
                    response: r.try_get("response")?,
                    error: r.try_get("error")?,
                    created_at: from_millis(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    /// Queues one more attempt of a delivery now, whatever its state (a one-shot: a failure
    /// is not rescheduled). False when there is no such delivery or its endpoint is disabled.
    pub async fn resend_delivery(
        &self,
        tenant: &TenantId,
        endpoint: &WebhookId,
        id: &DeliveryId,
        now: OffsetDateTime,
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', one_shot = 1, next_attempt_at = $1, \
             lease_token = NULL, updated_at = $1 WHERE tenant_id = $2 AND endpoint_id = $3 AND id = $4 \
             AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled = 1 AND deleted_at IS NULL)",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(endpoint.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Replays to one endpoint every event since `since` (a time, or strictly after an event
    /// id) that it subscribes to and did not get: failed or cancelled deliveries are queued
    /// again, and events it has no delivery for (it was disabled) get one. Each is tried once.
    /// Returns how many deliveries were queued. `idem` builds the stored answer from that
    /// count; it is written in the same transaction, so a crash leaves no key stuck.
    pub async fn recover_endpoint(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointRecord,
        since: RecoverFrom<'_>,
        now: OffsetDateTime,
        idem: Option<&(dyn Fn(u64) -> IdemCompletion + Sync)>,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let (time_from, id_after) = match since {
            RecoverFrom::Time(t) => (millis(t), ""),
            RecoverFrom::After(e) => (0, e.as_str()),
        };
        let requeued = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', one_shot = 1, next_attempt_at = $1, \
             lease_token = NULL, updated_at = $1 WHERE tenant_id = $2 AND endpoint_id = $3 \
             AND status IN ('failed', 'cancelled') AND event_id IN \
             (SELECT id FROM events WHERE tenant_id = $2 AND created_at >= $4 AND id > $5)",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(endpoint.id.as_str())
        .bind(time_from)
        .bind(id_after)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let missing = sqlx::query(
            "SELECT id, type FROM events WHERE tenant_id = $1 AND created_at >= $2 AND id > $3 \
             AND fanned_out_at IS NOT NULL \
             AND id NOT IN (SELECT event_id FROM webhook_deliveries WHERE endpoint_id = $4) ORDER BY id",
        )
        .bind(tenant.as_str())
        .bind(time_from)
        .bind(id_after)
        .bind(endpoint.id.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let mut rows = Vec::with_capacity(missing.len());
        for row in &missing {
            let kind: String = row.try_get("type")?;
            if !endpoint.subscribes(&kind) || kind == "webhook.test" {
                continue;
            }
            rows.push(NewDelivery {
                tenant: tenant.to_string(),
                endpoint: endpoint.id.clone(),
                event: row.try_get("id")?,
            });
        }
        let added = rows.len() as u64;
        insert_deliveries(&mut tx, self.backend, &rows, now, true).await?;
        if let Some(answer) = idem {
            complete_idem(&mut tx, tenant, &answer(requeued + added)).await?;
        }
        tx.commit().await?;
        Ok(requeued + added)
    }

    /// A `webhook.test` event for one endpoint only: written already fanned out, with its one
    /// delivery, so no other endpoint hears of it.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_test_event(
        &self,
        tenant: &TenantId,
        endpoint: &WebhookId,
        event_id: &EventId,
        delivery_id: &DeliveryId,
        event: &NewEvent,
        now: OffsetDateTime,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO events (id, tenant_id, type, subject_id, payload, created_at, fanned_out_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(event_id.as_str())
        .bind(tenant.as_str())
        .bind(event.kind)
        .bind(&event.subject_id)
        .bind(event.data.to_string())
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        insert_delivery(
            &mut tx,
            delivery_id,
            tenant.as_str(),
            endpoint,
            event_id.as_str(),
            now,
            true,
        )
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Counts deliveries by status (all tenants): the benchmark and tests watch progress.
    pub async fn delivery_counts(&self) -> Result<HashMap<String, i64>> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }
}

/// Where a recovery starts.
#[derive(Clone, Copy, Debug)]
pub enum RecoverFrom<'a> {
    Time(OffsetDateTime),
    /// Strictly after this event.
    After(&'a EventId),
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
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
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
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_delivery(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Disables an enabled endpoint, fails its pending deliveries and emits `webhook.disabled`.
async fn disable_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    endpoint: &WebhookId,
    reason: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let row = sqlx::query(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1, updated_at = $2 \
         WHERE id = $3 AND enabled = 1 RETURNING url",
    )
    .bind(reason)
    .bind(millis(now))
    .bind(endpoint.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let url: String = row.try_get("url")?;
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease_token = NULL, \
         last_error = 'endpoint disabled', updated_at = $1 WHERE endpoint_id = $2 AND status = 'pending'",
    )
    .bind(millis(now))
    .bind(endpoint.as_str())
    .execute(&mut **tx)
    .await?;
    let event = NewEvent {
        kind: "webhook.disabled",
        subject_id: endpoint.to_string(),
        data: serde_json::json!({ "id": endpoint.as_str(), "url": url, "reason": reason }),
    };
    insert_events(tx, tenant, &[event], now).await?;
    Ok(true)
}

fn parse_events(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("endpoint events: {e}")))
}

fn count(r: &AnyRow, col: &str) -> Result<u32> {
    let v: i64 = r.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col} {v}")))
}

fn status_code(r: &AnyRow) -> Result<Option<u16>> {
    r.try_get::<Option<i64>, _>("status_code")?
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
        event_type: r.try_get("event_type")?,
        status: r.try_get("status")?,
        attempts: count(r, "attempts")?,
        next_attempt_at: r
            .try_get::<Option<i64>, _>("next_attempt_at")?
            .map(from_millis),
        last_status_code: r
            .try_get::<Option<i64>, _>("last_status_code")?
            .map(|v| u16::try_from(v).map_err(|_| StoreError::Corrupt(format!("status {v}"))))
            .transpose()?,
        last_error: r.try_get("last_error")?,
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
    })
}
