//! Courier pickups: written with their idempotent answer in one transaction, cancelled by a
//! conditional UPDATE (so two cancels cannot both win).

use shiphub_carriers::CarrierCode;
use shiphub_carriers::model::{PickupConfirmation, PickupRequest};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{
    IdemCompletion, NewEvent, Result, Store, StoreError, complete_idem, from_millis, insert_events,
    millis,
};
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
    /// Writes a booked pickup, its events (`pickup.booked`, through the outbox) and the
    /// idempotent answer in one transaction.
    pub async fn insert_pickup(
        &self,
        tenant: &TenantId,
        p: &PickupRecord,
        events: &[NewEvent],
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
        insert_events(&mut tx, tenant, events, p.created_at).await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        self.commit_events(tx).await?;
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

    /// Marks a pickup cancelled with its events (`pickup.cancelled`) and the idempotent
    /// answer; false (and nothing written) when it was cancelled already.
    pub async fn cancel_pickup(
        &self,
        tenant: &TenantId,
        id: &PickupId,
        now: OffsetDateTime,
        events: &[NewEvent],
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
        if changed {
            insert_events(&mut tx, tenant, events, now).await?;
            if let Some(c) = idem {
                complete_idem(&mut tx, tenant, c).await?;
            }
        }
        self.commit_events(tx).await?;
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

#[cfg(test)]
pub(super) mod tests {
    use shiphub_carriers::model::Weight;
    use time::macros::{date, datetime, time};

    use super::*;
    use crate::store::AccountRecord;

    const NOW: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);

    /// Runs `suite` on a fresh SQLite store, then on a PostgreSQL schema of its own (dropped
    /// after) when `TEST_DATABASE_URL` is set; under `CI=true` its absence fails.
    pub(in crate::store) async fn on_each_backend<F, Fut>(suite: F)
    where
        F: Fn(Store) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        suite(store).await;
        let Ok(pg) = std::env::var("TEST_DATABASE_URL") else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI=true but TEST_DATABASE_URL is not set"
            );
            eprintln!("skipped: TEST_DATABASE_URL not set, PostgreSQL half not run");
            return;
        };
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let admin = Store::connect(&pg).await.unwrap();
        admin
            .execute_raw(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        let store = Store::connect_with(&pg, Some(schema.clone()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        suite(store.clone()).await;
        store.pool.close().await;
        admin
            .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_pickup_round_trips_pages_newest_first_and_cancels_once() {
        on_each_backend(round_trip).await;
    }

    async fn round_trip(store: Store) {
        let tenant = store.create_tenant("t", NOW).await.unwrap().id;
        let account = AccountRecord {
            id: AccountId::generate(),
            carrier: "sandbox".into(),
            name: "main".into(),
            base_url: None,
            secret_nonce: vec![1; 12],
            secret: vec![0, 1],
            created_at: NOW,
        };
        store.insert_account(&tenant, &account, None).await.unwrap();
        let request: PickupRequest = PickupRequest {
            address: serde_json::from_value(
                serde_json::json!({"name": "Dock", "street": ["1 A St"],
                "city": "Atlanta", "state": "GA", "postal_code": "30301", "country": "US"}),
            )
            .unwrap(),
            date: date!(2026 - 12 - 08),
            ready_time: time!(09:00),
            close_time: time!(17:00),
            parcel_count: 2,
            total_weight: serde_json::from_value::<Weight>(
                serde_json::json!({"value": "3", "unit": "lb"}),
            )
            .unwrap(),
            shipments: vec![],
            instructions: Some("Back door".into()),
        };
        let record = |n: &str| PickupRecord {
            id: PickupId::generate(),
            carrier_account_id: account.id.clone(),
            carrier: CarrierCode::from_static("sandbox"),
            status: PickupStatus::Scheduled,
            request: request.clone(),
            confirmation: PickupConfirmation {
                confirmation: n.into(),
                location: Some("ATLA".into()),
                charge: None,
                warnings: vec![],
            },
            shipment_ids: vec![ShipmentId::generate()],
            created_at: NOW,
            updated_at: NOW,
            cancelled_at: None,
        };
        let (p, q) = (record("A1"), record("B2"));
        store.insert_pickup(&tenant, &p, &[], None).await.unwrap();
        store.insert_pickup(&tenant, &q, &[], None).await.unwrap();
        let read = store.get_pickup(&tenant, &p.id).await.unwrap().unwrap();
        assert_eq!(read.request, request);
        assert_eq!(read.confirmation, p.confirmation);
        assert_eq!(read.shipment_ids, p.shipment_ids);
        let first = store.list_pickups(&tenant, None, 1).await.unwrap();
        assert_eq!(first[0].id, q.id);
        let next = store.list_pickups(&tenant, Some(&q.id), 5).await.unwrap();
        assert_eq!(next.iter().map(|x| &x.id).collect::<Vec<_>>(), vec![&p.id]);

        assert!(
            store
                .cancel_pickup(&tenant, &p.id, NOW, &[], None)
                .await
                .unwrap()
        );
        assert!(
            !store
                .cancel_pickup(&tenant, &p.id, NOW, &[], None)
                .await
                .unwrap()
        );
        let cancelled = store.get_pickup(&tenant, &p.id).await.unwrap().unwrap();
        assert_eq!(cancelled.status, PickupStatus::Cancelled);
        assert_eq!(cancelled.cancelled_at, Some(NOW));
        let other = store.create_tenant("u", NOW).await.unwrap().id;
        assert!(store.get_pickup(&other, &p.id).await.unwrap().is_none());
        assert!(
            !store
                .cancel_pickup(&other, &q.id, NOW, &[], None)
                .await
                .unwrap()
        );
    }
}
