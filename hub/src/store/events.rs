//! The events outbox: written with the change that caused it, read by the events API and
//! fanned out to webhook endpoints (`store::webhooks`).

use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{Result, Store, StoreError, from_millis, millis};
use crate::events::EventType;
use crate::ids::{EventId, TenantId};
use crate::named::UnknownName;

/// An event for subscribers, written with the change that caused it.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub kind: EventType,
    /// The object the event is about (`shp_…`).
    pub subject_id: String,
    /// The event's `data`.
    pub data: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct EventRecord {
    pub id: EventId,
    pub kind: EventType,
    pub subject_id: String,
    pub data: serde_json::Value,
    pub created_at: OffsetDateTime,
}

impl Store {
    /// Events oldest first; `after` is the cursor (the last id of the previous page).
    pub async fn list_events(
        &self,
        tenant: &TenantId,
        after: Option<&EventId>,
        limit: u32,
    ) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query(
            "SELECT id, type, subject_id, payload, created_at FROM events \
             WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(after.map_or("", EventId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(EventRecord {
                    id: EventId::from_db(r.try_get("id")?),
                    kind: named(r, "type")?,
                    subject_id: r.try_get("subject_id")?,
                    data: serde_json::from_str(&payload)
                        .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?,
                    created_at: from_millis(r.try_get("created_at")?),
                })
            })
            .collect()
    }
}

/// Writes events in the transaction of the change that caused them.
pub(crate) async fn insert_events(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    events: &[NewEvent],
    at: OffsetDateTime,
) -> Result<()> {
    let rows: Vec<_> = events.iter().map(|e| (tenant, e, at)).collect();
    insert_event_rows(tx, &rows).await
}

/// Events of several changes (each its tenant and time), in as few statements as
/// `EVENTS_PER_INSERT` allows: a delivery emits two, a poll of fifty parcels a hundred.
pub(crate) async fn insert_event_rows(
    tx: &mut sqlx::AnyConnection,
    events: &[(&TenantId, &NewEvent, OffsetDateTime)],
) -> Result<()> {
    let backend = super::Backend::of(tx);
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", super::markers(backend, r * 6 + 1, 6)))
            .collect();
        let sql = format!(
            "INSERT INTO events (id, tenant_id, type, subject_id, payload, created_at) VALUES {}",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (tenant, e, at) in chunk {
            q = q
                .bind(EventId::generate().as_str().to_string())
                .bind(tenant.as_str())
                .bind(e.kind.as_str())
                .bind(&e.subject_id)
                .bind(e.data.to_string())
                .bind(millis(*at));
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Event rows per `INSERT` (6 binds each).
const EVENTS_PER_INSERT: usize = 32;

/// A name column (an event's type, a delivery's status…) read back into its `named_enum!`:
/// an unknown name is a corrupt row, found here once.
pub(crate) fn named<T: FromStr<Err = UnknownName>>(r: &AnyRow, col: &str) -> Result<T> {
    r.try_get::<String, _>(col)?
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}
