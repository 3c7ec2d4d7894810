//! Deliveries and attempts as the API shows them, resends, recovery and test events.

use std::collections::HashMap;

use sqlx::Row;
use time::OffsetDateTime;

use super::{
    AttemptRecord, DELIVERY_COLUMNS, DeliveryRecord, DeliveryStatus, EndpointRecord, NewDelivery,
    RecoverFrom, count, delivery_from_row, insert_deliveries, insert_delivery, status_code,
};
use crate::events::EventType;
use crate::ids::{AttemptId, DeliveryId, EventId, TenantId, WebhookId};
use crate::store::{
    IdemCompletion, NewEvent, Result, Store, complete_idem, from_millis, millis, named,
};

impl Store {
    /// The endpoint's deliveries, newest first; `status` filters, `before` is the cursor.
    pub async fn list_deliveries(
        &self,
        tenant: &TenantId,
        endpoint: &WebhookId,
        status: Option<DeliveryStatus>,
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
            .bind(status.map_or("", DeliveryStatus::as_str))
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
                    outcome: named(r, "outcome")?,
                    status_code: status_code(r, "status_code")?,
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
    /// count (`None` without a key); it is written in the same transaction, so a crash leaves
    /// no key stuck.
    pub async fn recover_endpoint(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointRecord,
        since: RecoverFrom,
        now: OffsetDateTime,
        idem: &(dyn Fn(u64) -> Option<IdemCompletion> + Sync),
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let (time_from, id_after) = match &since {
            RecoverFrom::Time(t) => (millis(*t), ""),
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
            let kind: EventType = named(row, "type")?;
            if !endpoint.events.includes(kind) {
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
        if let Some(c) = idem(requeued + added) {
            complete_idem(&mut tx, tenant, &c).await?;
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
        .bind(event.kind.as_str())
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
    pub async fn delivery_counts(&self) -> Result<HashMap<DeliveryStatus, i64>> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((named(r, "status")?, r.try_get("n")?)))
            .collect()
    }
}
