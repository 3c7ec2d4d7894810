//! The event streams' tables (issue 22): the relay's lease (`stream_relay`), the events it has
//! still to take (`events.streamed_at IS NULL`), each sink's parked events
//! (`stream_sink_backlog`), and the tenants' filters (`stream_filters`).
//!
//! One relay (`RELAY`) serves every sink: it reads a batch of unstreamed events oldest first,
//! publishes it to the sinks that are up, and marks it under its lease (`mark_streamed`),
//! parking its ids in the same transaction for each sink that failed or is still catching up.
//! A sink's parked events are read oldest first (`parked_events`) and deleted once it confirmed
//! them (`unpark`), also only under the lease. So each sink has its own progress, and a broker
//! that is down holds no other. Persistence only: what to publish where is `crate::streams`.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Backend, Result, Store, StoreError, from_millis, markers, millis, named};
use crate::events::{EventType, Subscription};
use crate::ids::{EventId, TenantId};

/// The name of the one relay row.
pub const RELAY: &str = "events";

/// Ids per `UPDATE … WHERE id IN (…)` and rows per `INSERT`: under both backends'
/// bound-parameter limits.
const MARK_CHUNK: usize = 1000;

/// An event to publish.
#[derive(Clone, Debug)]
pub struct StreamEvent {
    pub id: EventId,
    pub tenant: TenantId,
    pub kind: EventType,
    pub subject_id: String,
    /// The event's `data`, as stored (JSON).
    pub payload: String,
    pub created_at: OffsetDateTime,
}

/// One sink's parked events: how many, and the creation time of the oldest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinkBacklog {
    pub sink: String,
    pub events: u64,
    pub oldest: Option<OffsetDateTime>,
}

/// The relay's backlog: events not yet streamed, and the age of the oldest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamBacklog {
    pub events: u64,
    pub oldest: Option<OffsetDateTime>,
}

impl Store {
    /// Takes or renews the relay's lease for `owner` until `until`. The first call ever creates
    /// the row and marks every event recorded so far as streamed (streams begin now). Returns
    /// whether `owner` holds the lease.
    pub async fn lease_stream_relay(
        &self,
        owner: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM stream_relay WHERE name = $1")
            .bind(RELAY)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            sqlx::query(
                "INSERT INTO stream_relay (name, owner, lease_until, relayed, started_at) \
                 VALUES ($1, $2, $3, 0, $4) ON CONFLICT (name) DO NOTHING",
            )
            .bind(RELAY)
            .bind(owner)
            .bind(millis(until))
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE events SET streamed_at = $1 WHERE streamed_at IS NULL")
                .bind(millis(now))
                .execute(&mut *tx)
                .await?;
        }
        let r = sqlx::query(
            "UPDATE stream_relay SET owner = $1, lease_until = $2 \
             WHERE name = $3 AND (owner = $1 OR owner IS NULL OR lease_until < $4)",
        )
        .bind(owner)
        .bind(millis(until))
        .bind(RELAY)
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Gives the lease up (a stopping instance), so another takes over at once.
    pub async fn release_stream_relay(&self, owner: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE stream_relay SET owner = NULL, lease_until = 0 WHERE name = $1 AND owner = $2",
        )
        .bind(RELAY)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// Up to `limit` events not yet streamed, oldest first (ids are time-ordered, and one
    /// shipment's events are written by transactions one after the other).
    pub async fn unstreamed_events(&self, limit: u32) -> Result<Vec<StreamEvent>> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, type, subject_id, payload, created_at FROM events \
             WHERE streamed_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stream_event).collect()
    }

    /// Like `unstreamed_events`, for a relay that still has `in_flight` events between `lo` and
    /// `hi` (ids it read and has not marked yet): the oldest events outside that range, or
    /// `None` when an event committed later inside it (it is older than what would be read:
    /// the relay settles what it has in flight first, so nothing overtakes it).
    pub async fn unstreamed_events_outside(
        &self,
        lo: &EventId,
        hi: &EventId,
        in_flight: usize,
        limit: u32,
    ) -> Result<Option<Vec<StreamEvent>>> {
        let inside: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM events \
             WHERE streamed_at IS NULL AND id >= $1 AND id <= $2",
        )
        .bind(lo.as_str())
        .bind(hi.as_str())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        if inside != in_flight as i64 {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT id, tenant_id, type, subject_id, payload, created_at FROM events \
             WHERE streamed_at IS NULL AND (id < $1 OR id > $2) ORDER BY id LIMIT $3",
        )
        .bind(lo.as_str())
        .bind(hi.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(stream_event)
            .collect::<Result<_>>()
            .map(Some)
    }

    /// Marks a batch taken and renews the lease, in one transaction that does nothing unless
    /// `owner` still holds the lease; `parked` names, per sink that did not confirm the batch,
    /// the ids it still has to get (`parked_events`). Returns whether it did.
    pub async fn mark_streamed(
        &self,
        owner: &str,
        ids: &[EventId],
        parked: &[(&str, &[EventId])],
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let held = sqlx::query(
            "UPDATE stream_relay SET lease_until = $1, relayed = relayed + $2 \
             WHERE name = $3 AND owner = $4",
        )
        .bind(millis(until))
        .bind(ids.len() as i64)
        .bind(RELAY)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !held {
            return Ok(false);
        }
        for chunk in ids.chunks(MARK_CHUNK) {
            let sql = format!(
                "UPDATE events SET streamed_at = {} WHERE id IN ({})",
                markers(self.backend, 1, 1),
                markers(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(millis(now));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        for (sink, ids) in parked {
            for chunk in ids.chunks(MARK_CHUNK / 2) {
                let rows: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({})", pair(self.backend, 1 + 2 * i)))
                    .collect();
                // A replay by an instance that lost the lease may park an id twice.
                let sql = format!(
                    "INSERT INTO stream_sink_backlog (sink, event_id) VALUES {} \
                     ON CONFLICT (sink, event_id) DO NOTHING",
                    rows.join(", ")
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
                for id in chunk.iter() {
                    q = q.bind(*sink).bind(id.as_str());
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Up to `limit` of `sink`'s parked events, oldest first.
    pub async fn parked_events(&self, sink: &str, limit: u32) -> Result<Vec<StreamEvent>> {
        let rows = sqlx::query(
            "SELECT e.id, e.tenant_id, e.type, e.subject_id, e.payload, e.created_at \
             FROM stream_sink_backlog b JOIN events e ON e.id = b.event_id \
             WHERE b.sink = $1 ORDER BY b.event_id LIMIT $2",
        )
        .bind(sink)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stream_event).collect()
    }

    /// Whether `sink` has parked events.
    pub async fn has_parked(&self, sink: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM stream_sink_backlog WHERE sink = $1 LIMIT 1")
                .bind(sink)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// Deletes parked events `sink` confirmed, in one transaction that does nothing unless
    /// `owner` holds the relay's lease. Returns whether it did.
    pub async fn unpark(&self, owner: &str, sink: &str, ids: &[EventId]) -> Result<bool> {
        let mut tx = self.begin().await?;
        let held = sqlx::query("SELECT 1 FROM stream_relay WHERE name = $1 AND owner = $2")
            .bind(RELAY)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !held {
            return Ok(false);
        }
        for chunk in ids.chunks(MARK_CHUNK) {
            let sql = format!(
                "DELETE FROM stream_sink_backlog WHERE sink = {} AND event_id IN ({})",
                markers(self.backend, 1, 1),
                markers(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(sink);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Every sink with parked events: how many, and when the oldest was recorded.
    pub async fn sink_backlogs(&self) -> Result<Vec<SinkBacklog>> {
        let rows = sqlx::query(
            "SELECT sink, COUNT(*) AS n, MIN(event_id) AS first FROM stream_sink_backlog \
             GROUP BY sink ORDER BY sink",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let first: String = r.try_get("first")?;
            let oldest = sqlx::query("SELECT created_at FROM events WHERE id = $1")
                .bind(&first)
                .fetch_optional(&self.pool)
                .await?
                .map(|e| e.try_get::<i64, _>("created_at"))
                .transpose()?
                .map(from_millis);
            out.push(SinkBacklog {
                sink: r.try_get("sink")?,
                events: r.try_get::<i64, _>("n")?.max(0) as u64,
                oldest,
            });
        }
        Ok(out)
    }

    /// Records one event on its own (not caused by a change in a transaction of its own, such
    /// as a command that failed).
    pub async fn insert_event(
        &self,
        tenant: &TenantId,
        event: &super::NewEvent,
        at: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        super::events::insert_events(&mut tx, tenant, std::slice::from_ref(event), at).await?;
        tx.commit().await
    }

    /// `insert_event`, unless the tenant already has an event of its type about the
    /// same subject (a command message redelivered or sent again with its id fails again, and
    /// says so once). Returns whether it was recorded. Two instances failing the same message
    /// in the same instant on PostgreSQL may both record it: the check is not a constraint.
    pub async fn insert_event_once(
        &self,
        tenant: &TenantId,
        event: &super::NewEvent,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let seen = sqlx::query(
            "SELECT 1 FROM events WHERE tenant_id = $1 AND subject_id = $2 AND type = $3 LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(&event.subject_id)
        .bind(event.kind.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if seen {
            return Ok(false);
        }
        super::events::insert_events(&mut tx, tenant, std::slice::from_ref(event), at).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Events waiting for the relay.
    pub async fn stream_backlog(&self) -> Result<StreamBacklog> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM events WHERE streamed_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(StreamBacklog {
            events: r.try_get::<i64, _>("n")?.max(0) as u64,
            oldest: r.try_get::<Option<i64>, _>("oldest")?.map(from_millis),
        })
    }

    /// Every tenant's stream filter (tenants without one get every subscribable type).
    pub async fn stream_filters(&self) -> Result<Vec<(TenantId, Subscription)>> {
        let rows = sqlx::query("SELECT tenant_id, events FROM stream_filters")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let names: String = r.try_get("events")?;
                Ok((
                    TenantId::from_db(r.try_get("tenant_id")?),
                    parse_filter(&names)?,
                ))
            })
            .collect()
    }

    /// A tenant's stream filter, `None` when it has set none (every type).
    pub async fn stream_filter(&self, tenant: &TenantId) -> Result<Option<Subscription>> {
        let row = sqlx::query("SELECT events FROM stream_filters WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse_filter(&r.try_get::<String, _>("events")?))
            .transpose()
    }

    /// Sets a tenant's stream filter.
    pub async fn set_stream_filter(
        &self,
        tenant: &TenantId,
        events: &Subscription,
        now: OffsetDateTime,
    ) -> Result<()> {
        let names = serde_json::to_string(&events.names()).expect("names serialize");
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO stream_filters (tenant_id, events, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET events = $2, updated_at = $3",
        )
        .bind(tenant.as_str())
        .bind(names)
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}

fn stream_event(r: &sqlx::any::AnyRow) -> Result<StreamEvent> {
    Ok(StreamEvent {
        id: EventId::from_db(r.try_get("id")?),
        tenant: TenantId::from_db(r.try_get("tenant_id")?),
        kind: named(r, "type")?,
        subject_id: r.try_get("subject_id")?,
        payload: r.try_get("payload")?,
        created_at: from_millis(r.try_get("created_at")?),
    })
}

/// Two markers for one `(sink, event_id)` row, the first numbered `from`.
fn pair(backend: Backend, from: usize) -> String {
    match backend {
        Backend::Postgres => format!("${from}, ${}", from + 1),
        Backend::Sqlite => "?, ?".into(),
    }
}

fn parse_filter(s: &str) -> Result<Subscription> {
    serde_json::from_str::<Vec<String>>(s)
        .map_err(|e| e.to_string())
        .and_then(|names| Subscription::from_names(&names).map_err(|e| e.to_string()))
        .map_err(|e| StoreError::Corrupt(format!("stream filter: {e}")))
}
