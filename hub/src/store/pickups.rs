//! Courier pickups: written with their idempotent answer in one transaction, cancelled by a
//! conditional UPDATE (so two cancels cannot both win).

use shiphub_carriers::CarrierCode;
use shiphub_carriers::model::{PickupConfirmation, PickupRequest};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{IdemCompletion, Result, Store, StoreError, complete_idem, from_millis, millis};
use crate::ids::{AccountId, PickupId, ShipmentId, TenantId};
use crate::named::named_enum;

named_enum! {
    /// Where a pickup stands.
    pub enum PickupStatus {
        Scheduled = "scheduled",
        Cancelled = "cancelled",
    }
}

#[derive(Clone, Debug)]
pub struct PickupRecord {
    pub id: PickupId,
    pub carrier_account_id: AccountId,
    pub carrier: CarrierCode,
    pub status: PickupStatus,
    /// As sent to the carrier.
    pub request: PickupRequest,
    /// As the carrier answered.
    pub confirmation: PickupConfirmation,
    /// The shipments it covers, as the caller named them.
    pub shipment_ids: Vec<ShipmentId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub cancelled_at: Option<OffsetDateTime>,
}

const COLUMNS: &str = "id, carrier_account_id, carrier, status, request, confirmation, shipment_ids, \
     created_at, updated_at, cancelled_at";

impl Store {
    /// Writes a booked pickup and the idempotent answer in one transaction.
    pub async fn insert_pickup(
        &self,
        tenant: &TenantId,
        p: &PickupRecord,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO pickups (id, tenant_id, carrier_account_id, carrier, status, pickup_date, request, \
             confirmation, shipment_ids, created_at, updated_at, cancelled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(p.id.as_str())
        .bind(tenant.as_str())
        .bind(p.carrier_account_id.as_str())
        .bind(p.carrier.as_str())
        .bind(p.status.as_str())
        .bind(p.request.date.to_string())
        .bind(serde_json::to_string(&p.request).expect("pickup requests serialize"))
        .bind(serde_json::to_string(&p.confirmation).expect("confirmations serialize"))
        .bind(serde_json::to_string(&p.shipment_ids).expect("ids serialize"))
        .bind(millis(p.created_at))
        .bind(millis(p.updated_at))
        .bind(p.cancelled_at.map(millis))
        .execute(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_pickup(
        &self,
        tenant: &TenantId,
        id: &PickupId,
    ) -> Result<Option<PickupRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM pickups WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(pickup_from_row).transpose()
    }

    /// Newest first; `before` is the cursor (the last id of the previous page).
    pub async fn list_pickups(
        &self,
        tenant: &TenantId,
        before: Option<&PickupId>,
        limit: u32,
    ) -> Result<Vec<PickupRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM pickups WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        );
        // Every id sorts below `pku_g`: no cursor lists from the newest.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(before.map_or("pku_g", PickupId::as_str))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(pickup_from_row).collect()
    }

    /// Marks a pickup cancelled with the idempotent answer; false (and nothing written but the
    /// answer) when it was cancelled already.
    pub async fn cancel_pickup(
        &self,
        tenant: &TenantId,
        id: &PickupId,
        now: OffsetDateTime,
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let changed = sqlx::query(
            "UPDATE pickups SET status = 'cancelled', cancelled_at = $1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4 AND status = 'scheduled'",
        )
        .bind(millis(now))
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if changed && let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}

fn pickup_from_row(r: &AnyRow) -> Result<PickupRecord> {
    let id = PickupId::from_db(r.try_get("id")?);
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("pickup {id} {what}: {e}"))
    };
    let carrier: String = r.try_get("carrier")?;
    let status: String = r.try_get("status")?;
    let request: String = r.try_get("request")?;
    let confirmation: String = r.try_get("confirmation")?;
    let shipments: String = r.try_get("shipment_ids")?;
    let shipment_ids: Vec<String> =
        serde_json::from_str(&shipments).map_err(|e| corrupt("shipments", &e))?;
    Ok(PickupRecord {
        carrier_account_id: AccountId::from_db(r.try_get("carrier_account_id")?),
        carrier: CarrierCode::parse(&carrier).ok_or_else(|| corrupt("carrier", &carrier))?,
        status: PickupStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        request: serde_json::from_str(&request).map_err(|e| corrupt("request", &e))?,
        confirmation: serde_json::from_str(&confirmation)
            .map_err(|e| corrupt("confirmation", &e))?,
        shipment_ids: shipment_ids.into_iter().map(ShipmentId::from_db).collect(),
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
        cancelled_at: r
            .try_get::<Option<i64>, _>("cancelled_at")?
            .map(from_millis),
        id,
    })
}
