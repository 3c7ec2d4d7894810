//! What the dispatcher does to the tables: fan events out to deliveries, claim due deliveries
//! under a lease, defer them, and record attempts (disabling endpoints when the webhook
//! domain's rule says so).

use std::collections::HashMap;

use sqlx::Row;
use time::OffsetDateTime;

use super::{
    AfterAttempt, AttemptResult, ClaimedDelivery, ClaimedEndpoint, DeliveryStatus, EndpointHealth,
    NewDelivery, count, insert_deliveries, parse_events, secret_pair,
};
use crate::events::{EventType, Subscription};
use crate::ids::{AttemptId, DeliveryId, EventId, TenantId, WebhookId};
use crate::store::{
    Backend, NewEvent, Result, Store, StoreError, claim_sql, from_millis, insert_events, markers,
    millis, named, placeholders,
};

/// Results per multi-row statement: 10 binds each keeps a chunk under SQLite's and
/// PostgreSQL's limits on bound parameters.
const RECORD_CHUNK: usize = 500;

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
        let mut endpoints: HashMap<String, Vec<(WebhookId, Subscription, i64)>> = HashMap::new();
        let mut ids = Vec::with_capacity(events.len());
        let mut rows = Vec::with_capacity(events.len());
        for ev in &events {
            let event_id: String = ev.try_get("id")?;
            let tenant: String = ev.try_get("tenant_id")?;
            let kind: EventType = named(ev, "type")?;
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
                if *created > at || !types.includes(kind) {
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
        let except = if skip.is_empty() {
            String::new()
        } else {
            format!(" AND endpoint_id NOT IN ({})", placeholders(6, skip.len()))
        };
        let sql = claim_sql(
            self.backend,
            "webhook_deliveries",
            "next_attempt_at = $1, lease_token = $2, lease_owner = $5",
            &format!(
                "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $3{except} \
                 ORDER BY next_attempt_at LIMIT $4"
            ),
            "status = 'pending' AND next_attempt_at <= $3",
            "id, tenant_id, endpoint_id, event_id, attempts, one_shot",
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(millis(now + lease))
            .bind(&token)
            .bind(millis(now))
            .bind(i64::from(limit))
            // The claiming instance: a reaper releases the claim when this one dies.
            .bind(crate::ids::instance());
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
                let ev: (EventType, String, i64) = (
                    named(&r, "type")?,
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
                    event_type: *kind,
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
        let mut tx = self.begin_grouped().await?;
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
                    .bind(r.outcome.as_str())
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
                    AfterAttempt::Succeeded => (DeliveryStatus::Succeeded, None),
                    AfterAttempt::RetryAt(t) => (DeliveryStatus::Pending, Some(millis(t))),
                    AfterAttempt::GiveUp | AfterAttempt::Gone => (DeliveryStatus::Failed, None),
                };
                q = q
                    .bind(d.id.as_str())
                    .bind(d.lease_token.as_str())
                    .bind(status.as_str())
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
}

/// Disables an enabled endpoint, fails its pending deliveries and emits `webhook.disabled`.
async fn disable_tx(
    tx: &mut sqlx::AnyConnection,
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
    .fetch_optional(&mut *tx)
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
    .execute(&mut *tx)
    .await?;
    let event = NewEvent {
        kind: EventType::WebhookDisabled,
        subject_id: endpoint.to_string(),
        data: serde_json::json!({ "id": endpoint.as_str(), "url": url, "reason": reason }),
    };
    insert_events(tx, tenant, &[event], now).await?;
    Ok(true)
}
