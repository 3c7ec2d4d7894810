//! Holds on shipments: a void and an end-of-day close each take their shipments before they
//! call the carrier, so the carrier never voids a label that a manifest being written lists,
//! nor manifests one being voided. The writes that finish them (`void_shipment`,
//! `request_void`, `insert_manifest`) drop the hold; a failed carrier call releases it; a hold
//! whose process died runs out at `hold_until`.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Backend, Result, Store, millis, placeholders};
use crate::ids::{ShipmentId, TenantId};

/// Why shipments could not be held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldConflict {
    /// Another void or close holds it (its holder's name: `void:…` or `manifest:…`).
    Held(ShipmentId, String),
    /// It is in a manifest already.
    Manifested(ShipmentId),
    /// It is voided, or it is not the tenant's.
    NotPurchased(ShipmentId),
}

/// The condition under which a shipment is free to be held at `$n` (unix milliseconds).
pub(super) fn unheld(now_param: usize) -> String {
    format!("(shipments.hold IS NULL OR shipments.hold_until < ${now_param})")
}

impl Store {
    /// Holds every shipment of `ids` for `holder` until `until`, all or none.
    pub async fn hold_shipments(
        &self,
        tenant: &TenantId,
        ids: &[ShipmentId],
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Result<(), HoldConflict>> {
        if ids.is_empty() {
            return Ok(Ok(()));
        }
        let mut tx = self.begin().await?;
        let list = placeholders(2, ids.len());
        // PostgreSQL: lock the rows in id order (as a close and a void do), so two holders
        // never deadlock and the look below sees whatever committed while we waited.
        let lock = if self.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let sql = format!(
            "SELECT id, status, hold, hold_until, \
             EXISTS (SELECT 1 FROM manifest_shipments m WHERE m.shipment_id = shipments.id) AS manifested \
             FROM shipments WHERE tenant_id = $1 AND id IN ({list}) ORDER BY id{lock}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.as_str());
        for id in ids {
            q = q.bind(id.as_str());
        }
        let rows = q.fetch_all(&mut *tx).await?;
        let by_id: std::collections::HashMap<String, &sqlx::any::AnyRow> = rows
            .iter()
            .map(|r| Ok((r.try_get::<String, _>("id")?, r)))
            .collect::<Result<_>>()?;
        let now_ms = millis(now);
        for id in ids {
            let Some(r) = by_id.get(id.as_str()) else {
                return Ok(Err(HoldConflict::NotPurchased(id.clone())));
            };
            let manifested: bool = match r.try_get::<bool, _>("manifested") {
                Ok(b) => b,
                Err(_) => r.try_get::<i64, _>("manifested")? != 0,
            };
            if manifested {
                return Ok(Err(HoldConflict::Manifested(id.clone())));
            }
            // A void whose carrier could not confirm it (`void_requested`) may be asked again;
            // a close refuses such a shipment itself.
            if r.try_get::<String, _>("status")? == "voided" {
                return Ok(Err(HoldConflict::NotPurchased(id.clone())));
            }
            let hold: Option<String> = r.try_get("hold")?;
            let until_ms: Option<i64> = r.try_get("hold_until")?;
            if let (Some(h), Some(u)) = (hold, until_ms)
                && u >= now_ms
                && h != holder
            {
                return Ok(Err(HoldConflict::Held(id.clone(), h)));
            }
        }
        let sql = format!(
            "UPDATE shipments SET hold = $1, hold_until = $2 WHERE tenant_id = $3 AND id IN ({})",
            placeholders(4, ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(holder)
            .bind(millis(until))
            .bind(tenant.as_str());
        for id in ids {
            q = q.bind(id.as_str());
        }
        q.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Lets go of `holder`'s holds on `ids` (its carrier call failed); others' are left alone.
    pub async fn release_shipments(
        &self,
        tenant: &TenantId,
        ids: &[ShipmentId],
        holder: &str,
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE shipments SET hold = NULL, hold_until = NULL \
             WHERE tenant_id = $1 AND hold = $2 AND id IN ({})",
            placeholders(3, ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(holder);
        for id in ids {
            q = q.bind(id.as_str());
        }
        q.execute(&self.writer).await?;
        Ok(())
    }
}
