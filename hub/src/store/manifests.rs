//! End-of-day manifests: a manifest, the shipments it covers and the idempotent answer are
//! written in one transaction; a shipment is in at most one manifest (`manifest_shipments`
//! is keyed by the shipment), which is what a void checks.

use std::str::FromStr;

use shiphub_carriers::CarrierCode;
use shiphub_carriers::model::{LabelFormat, TrackingNumber};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};

use super::shipments::{SHIPMENT_COLUMNS, shipment_from_row};
use super::{
    IdemCompletion, NewEvent, Result, ShipmentRecord, Store, StoreError, complete_idem,
    from_millis, insert_events, millis, placeholders,
};
use crate::ids::{AccountId, ManifestId, ShipmentId, TenantId};

#[derive(Clone, Debug)]
pub struct ManifestRecord {
    pub id: ManifestId,
    pub carrier_account_id: AccountId,
    pub carrier: CarrierCode,
    pub ship_date: Date,
    pub carrier_manifest_id: String,
    /// The shipments it covers, by id.
    pub shipment_ids: Vec<ShipmentId>,
    /// The numbers the carrier took in.
    pub tracking_numbers: Vec<TrackingNumber>,
    pub warnings: Vec<String>,
    /// `carrier` (the carrier's document, as it gave it) or `hub` (the page the hub drew).
    pub document_source: String,
    pub document_format: LabelFormat,
    pub created_at: OffsetDateTime,
}

/// Why a manifest could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestConflict {
    /// The shipment is in that manifest already.
    Manifested(ShipmentId, ManifestId),
    /// The shipment was voided (or its void requested) meanwhile.
    NotPurchased(ShipmentId),
}

const COLUMNS: &str = "id, carrier_account_id, carrier, ship_date, carrier_manifest_id, tracking_numbers, \
     warnings, document_source, document_format, created_at";

impl Store {
    /// The account's purchased shipments (not voided, no void requested) in no manifest yet
    /// and not held at `now` by a void under way, bought in `[from, to)`, oldest first.
    pub async fn unmanifested_shipments(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<ShipmentRecord>> {
        let sql = format!(
            "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = $1 AND carrier_account_id = $2 \
             AND status = 'purchased' AND created_at >= $3 AND created_at < $4 \
             AND NOT EXISTS (SELECT 1 FROM manifest_shipments m WHERE m.shipment_id = shipments.id) \
             AND {} ORDER BY id",
            super::holds::unheld(5)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(account.as_str())
            .bind(millis(from))
            .bind(millis(to))
            .bind(millis(now))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(shipment_from_row).collect()
    }

    /// The manifest a shipment is in, if any.
    pub async fn manifest_of(
        &self,
        tenant: &TenantId,
        shipment: &ShipmentId,
    ) -> Result<Option<ManifestId>> {
        let row = sqlx::query(
            "SELECT manifest_id FROM manifest_shipments WHERE tenant_id = $1 AND shipment_id = $2",
        )
        .bind(tenant.as_str())
        .bind(shipment.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<String, _>("manifest_id"))
            .transpose()?
            .map(ManifestId::from_db))
    }

    /// Writes a manifest, its document, the shipments it covers, its events
    /// (`manifest.created`) and the idempotent answer in one transaction. `Ok(Err(_))` (nothing written) when one of the shipments is in another
    /// manifest by now, or no longer purchased (voided meanwhile).
    pub async fn insert_manifest(
        &self,
        tenant: &TenantId,
        m: &ManifestRecord,
        document: &[u8],
        events: &[NewEvent],
        idem: Option<&IdemCompletion>,
    ) -> Result<Result<(), ManifestConflict>> {
        let mut tx = self.begin().await?;
        if !m.shipment_ids.is_empty() {
            // PostgreSQL: lock the shipments' rows (in id order: two closes never deadlock)
            // before looking, as a void does before its UPDATE; the looks below are new
            // statements, so they see a void or a close that committed while we waited.
            // SQLite runs one write transaction at a time: the looks are atomic with the
            // writes there.
            if self.backend() == super::Backend::Postgres {
                on_shipments(
                    "SELECT id FROM shipments WHERE tenant_id = $1 AND id IN ({ids}) ORDER BY id FOR UPDATE",
                    tenant,
                    &m.shipment_ids,
                )
                .fetch_all(&mut *tx)
                .await?;
            }
            let q = on_shipments(
                "SELECT shipment_id, manifest_id FROM manifest_shipments WHERE tenant_id = $1 AND shipment_id IN ({ids})",
                tenant,
                &m.shipment_ids,
            );
            if let Some(row) = q.fetch_optional(&mut *tx).await? {
                return Ok(Err(ManifestConflict::Manifested(
                    ShipmentId::from_db(row.try_get("shipment_id")?),
                    ManifestId::from_db(row.try_get("manifest_id")?),
                )));
            }
            let q = on_shipments(
                "SELECT id FROM shipments WHERE tenant_id = $1 AND status <> 'purchased' AND id IN ({ids})",
                tenant,
                &m.shipment_ids,
            );
            if let Some(row) = q.fetch_optional(&mut *tx).await? {
                return Ok(Err(ManifestConflict::NotPurchased(ShipmentId::from_db(
                    row.try_get("id")?,
                ))));
            }
        }
        sqlx::query(
            "INSERT INTO manifests (id, tenant_id, carrier_account_id, carrier, ship_date, carrier_manifest_id, \
             tracking_numbers, warnings, document_source, document_format, document, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(m.id.as_str())
        .bind(tenant.as_str())
        .bind(m.carrier_account_id.as_str())
        .bind(m.carrier.as_str())
        .bind(m.ship_date.to_string())
        .bind(&m.carrier_manifest_id)
        .bind(serde_json::to_string(&m.tracking_numbers).expect("numbers serialize"))
        .bind(serde_json::to_string(&m.warnings).expect("warnings serialize"))
        .bind(&m.document_source)
        .bind(m.document_format.as_str())
        .bind(document)
        .bind(millis(m.created_at))
        .execute(&mut *tx)
        .await?;
        if !m.shipment_ids.is_empty() {
            on_shipments(
                "UPDATE shipments SET hold = NULL, hold_until = NULL WHERE tenant_id = $1 AND id IN ({ids})",
                tenant,
                &m.shipment_ids,
            )
            .execute(&mut *tx)
            .await?;
        }
        for s in &m.shipment_ids {
            sqlx::query(
                "INSERT INTO manifest_shipments (shipment_id, tenant_id, manifest_id) VALUES ($1, $2, $3)",
            )
            .bind(s.as_str())
            .bind(tenant.as_str())
            .bind(m.id.as_str())
            .execute(&mut *tx)
            .await?;
        }
        insert_events(&mut tx, tenant, events, m.created_at).await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        self.commit_events(tx).await?;
        Ok(Ok(()))
    }

    pub async fn get_manifest(
        &self,
        tenant: &TenantId,
        id: &ManifestId,
    ) -> Result<Option<ManifestRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM manifests WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(
                self.with_shipments(tenant, manifest_from_row(&r)?).await?,
            )),
            None => Ok(None),
        }
    }

    /// Newest first; `before` is the cursor (the last id of the previous page).
    pub async fn list_manifests(
        &self,
        tenant: &TenantId,
        before: Option<&ManifestId>,
        limit: u32,
    ) -> Result<Vec<ManifestRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM manifests WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        );
        // Every id sorts below `mnf_g`: no cursor lists from the newest.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(before.map_or("mnf_g", ManifestId::as_str))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let mut out = rows
            .iter()
            .map(manifest_from_row)
            .collect::<Result<Vec<_>>>()?;
        if out.is_empty() {
            return Ok(out);
        }
        // One query for the whole page's shipments (not one per manifest).
        let sql = format!(
            "SELECT manifest_id, shipment_id FROM manifest_shipments WHERE tenant_id = $1 \
             AND manifest_id IN ({}) ORDER BY manifest_id, shipment_id",
            placeholders(2, out.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.as_str());
        for m in &out {
            q = q.bind(m.id.as_str());
        }
        let mut by_manifest: std::collections::HashMap<String, Vec<ShipmentId>> =
            std::collections::HashMap::new();
        for r in q.fetch_all(&self.pool).await? {
            by_manifest
                .entry(r.try_get("manifest_id")?)
                .or_default()
                .push(ShipmentId::from_db(r.try_get("shipment_id")?));
        }
        for m in &mut out {
            m.shipment_ids = by_manifest.remove(m.id.as_str()).unwrap_or_default();
        }
        Ok(out)
    }

    /// A manifest's document: its format and bytes.
    pub async fn manifest_document(
        &self,
        tenant: &TenantId,
        id: &ManifestId,
    ) -> Result<Option<(LabelFormat, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT document_format, document FROM manifests WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let format: String = r.try_get("document_format")?;
        let format = LabelFormat::from_str(&format)
            .map_err(|e| StoreError::Corrupt(format!("manifest {id} format: {}", e.message)))?;
        Ok(Some((format, r.try_get("document")?)))
    }

    async fn with_shipments(
        &self,
        tenant: &TenantId,
        mut m: ManifestRecord,
    ) -> Result<ManifestRecord> {
        let rows = sqlx::query(
            "SELECT shipment_id FROM manifest_shipments WHERE tenant_id = $1 AND manifest_id = $2 \
             ORDER BY shipment_id",
        )
        .bind(tenant.as_str())
        .bind(m.id.as_str())
        .fetch_all(&self.pool)
        .await?;
        m.shipment_ids = rows
            .iter()
            .map(|r| {
                r.try_get::<String, _>("shipment_id")
                    .map(ShipmentId::from_db)
            })
            .collect::<Result<_, _>>()?;
        Ok(m)
    }
}

/// `sql` with `{ids}` replaced by one marker per shipment, bound after the tenant (`$1`).
fn on_shipments<'q>(
    sql: &str,
    tenant: &'q TenantId,
    ids: &'q [ShipmentId],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let sql = sql.replace("{ids}", &placeholders(2, ids.len()));
    ids.iter().fold(
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.as_str()),
        |q, id| q.bind(id.as_str()),
    )
}

fn manifest_from_row(r: &AnyRow) -> Result<ManifestRecord> {
    let id = ManifestId::from_db(r.try_get("id")?);
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("manifest {id} {what}: {e}"))
    };
    let carrier: String = r.try_get("carrier")?;
    let ship_date: String = r.try_get("ship_date")?;
    let numbers: String = r.try_get("tracking_numbers")?;
    let warnings: String = r.try_get("warnings")?;
    let format: String = r.try_get("document_format")?;
    Ok(ManifestRecord {
        carrier_account_id: AccountId::from_db(r.try_get("carrier_account_id")?),
        carrier: CarrierCode::parse(&carrier).ok_or_else(|| corrupt("carrier", &carrier))?,
        ship_date: Date::parse(
            &ship_date,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|e| corrupt("ship date", &e))?,
        carrier_manifest_id: r.try_get("carrier_manifest_id")?,
        shipment_ids: Vec::new(),
        tracking_numbers: serde_json::from_str(&numbers).map_err(|e| corrupt("numbers", &e))?,
        warnings: serde_json::from_str(&warnings).map_err(|e| corrupt("warnings", &e))?,
        document_source: r.try_get("document_source")?,
        document_format: LabelFormat::from_str(&format)
            .map_err(|e| corrupt("format", &e.message))?,
        created_at: from_millis(r.try_get("created_at")?),
        id,
    })
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;
    use shiphub_carriers::model::{Currency, Money};
    use time::macros::{date, datetime};

    use super::*;
    use crate::store::{AccountRecord, ShipmentStatus, ShipmentWaybill, StoredRequest};

    const NOW: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);

    async fn setup(store: &Store) -> (TenantId, AccountId) {
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
        (tenant, account.id)
    }

    async fn bought(
        store: &Store,
        tenant: &TenantId,
        account: &AccountId,
        n: u32,
        at: OffsetDateTime,
    ) -> ShipmentId {
        let s = ShipmentRecord {
            id: ShipmentId::generate(),
            carrier_account_id: account.clone(),
            carrier: CarrierCode::from_static("sandbox"),
            service_code: "standard".into(),
            status: ShipmentStatus::Purchased,
            tracking_number: format!("SB{n:010}").parse().unwrap(),
            reference: None,
            total: Money::new(dec!(5), Currency::USD),
            label_format: LabelFormat::Pdf,
            request: StoredRequest::from_json("{}"),
            waybill: ShipmentWaybill {
                pieces: vec![],
                carrier_shipment_id: format!("SB{n:010}"),
                breakdown: vec![],
                warnings: vec![],
                carrier_label: None,
            },
            created_at: at,
            updated_at: at,
            voided_at: None,
            audit_facts: None,
            link: Default::default(),
        };
        store
            .insert_shipment(tenant, &s, &[], &[], None)
            .await
            .unwrap();
        s.id
    }

    fn manifest(account: &AccountId, shipments: Vec<ShipmentId>) -> ManifestRecord {
        ManifestRecord {
            id: ManifestId::generate(),
            carrier_account_id: account.clone(),
            carrier: CarrierCode::from_static("sandbox"),
            ship_date: date!(2026 - 12 - 07),
            carrier_manifest_id: "9475000000000000000001".into(),
            shipment_ids: shipments,
            tracking_numbers: vec!["SB0000000001".parse().unwrap()],
            warnings: vec!["w".into()],
            document_source: "hub".into(),
            document_format: LabelFormat::Pdf,
            created_at: NOW,
        }
    }

    #[tokio::test]
    async fn a_void_holding_a_shipment_keeps_closes_off_it_until_it_ends() {
        crate::store::pickups::tests::on_each_backend(holds).await;
    }

    async fn holds(store: Store) {
        use crate::store::HoldConflict;
        let (tenant, account) = setup(&store).await;
        let (a, b) = (
            bought(&store, &tenant, &account, 200, NOW).await,
            bought(&store, &tenant, &account, 201, NOW).await,
        );
        let later = NOW + time::Duration::minutes(5);
        let day = |now| {
            store.unmanifested_shipments(
                &tenant,
                &account,
                NOW - time::Duration::days(1),
                later,
                now,
            )
        };
        // Held for five minutes from `now`.
        let hold = async |ids: &[&ShipmentId], holder: &str, now: OffsetDateTime| {
            let ids: Vec<ShipmentId> = ids.iter().map(|&id| id.clone()).collect();
            store
                .hold_shipments(&tenant, &ids, holder, now, now + time::Duration::minutes(5))
                .await
                .unwrap()
        };
        assert_eq!(day(NOW).await.unwrap().len(), 2);
        // A void holds `a`: a day's close does not list it, a close of a list naming it is
        // refused before the carrier is asked, and nothing of `b` is held by that refusal.
        let void_a = format!("void:{a}");
        assert_eq!(hold(&[&a], &void_a, NOW).await, Ok(()));
        let listed: Vec<ShipmentId> = day(NOW).await.unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(listed, vec![b.clone()]);
        assert_eq!(
            hold(&[&b, &a], "manifest:1", NOW).await,
            Err(HoldConflict::Held(a.clone(), void_a.clone()))
        );
        // The same holder may take its hold again (a retried void).
        assert_eq!(hold(&[&a], &void_a, NOW).await, Ok(()));
        // `b` is free: a close holds it, and a void of it is refused in turn.
        let void_b = format!("void:{b}");
        assert_eq!(hold(&[&b], "manifest:2", NOW).await, Ok(()));
        assert_eq!(
            hold(&[&b], &void_b, NOW).await,
            Err(HoldConflict::Held(b.clone(), "manifest:2".into()))
        );
        // A hold whose process died runs out.
        let after = later + time::Duration::seconds(1);
        assert_eq!(day(after).await.unwrap().len(), 2);
        assert_eq!(hold(&[&a], "manifest:3", after).await, Ok(()));
        store
            .release_shipments(&tenant, std::slice::from_ref(&a), "manifest:3")
            .await
            .unwrap();
        // The void ends (its UPDATE drops the hold): no close may take `a` any more.
        assert!(
            store
                .void_shipment(&tenant, &a, NOW, &[], None)
                .await
                .unwrap()
        );
        assert_eq!(
            hold(&[&a], "manifest:4", NOW).await,
            Err(HoldConflict::NotPurchased(a.clone()))
        );
        // Only the holder's release frees a shipment.
        store
            .release_shipments(&tenant, std::slice::from_ref(&b), "manifest:nobody")
            .await
            .unwrap();
        assert!(
            day(NOW).await.unwrap().is_empty(),
            "b is still held by manifest:2"
        );
        store
            .release_shipments(&tenant, std::slice::from_ref(&b), "manifest:2")
            .await
            .unwrap();
        assert_eq!(day(NOW).await.unwrap().len(), 1);
        // The manifest's write drops its holds; a manifested shipment cannot be held.
        assert_eq!(hold(&[&b], "manifest:5", NOW).await, Ok(()));
        store
            .insert_manifest(
                &tenant,
                &manifest(&account, vec![b.clone()]),
                b"%PDF",
                &[],
                None,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            hold(&[&b], &void_b, NOW).await,
            Err(HoldConflict::Manifested(b.clone()))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_void_and_a_close_racing_for_a_shipment_never_both_win() {
        crate::store::pickups::tests::on_each_backend(void_close_race).await;
    }

    async fn void_close_race(store: Store) {
        let (tenant, account) = setup(&store).await;
        // Deterministic half: the close committed first; the void's UPDATE re-checks in its
        // own statement and refuses, whatever the caller looked at before.
        let a = bought(&store, &tenant, &account, 100, NOW).await;
        store
            .insert_manifest(
                &tenant,
                &manifest(&account, vec![a.clone()]),
                b"%PDF",
                &[],
                None,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(
            !store
                .void_shipment(&tenant, &a, NOW, &[], None)
                .await
                .unwrap()
        );
        assert!(
            !store
                .request_void(&tenant, &a, NOW, &[], None)
                .await
                .unwrap()
        );
        let read = store.get_shipment(&tenant, &a).await.unwrap().unwrap();
        assert_eq!(read.status, ShipmentStatus::Purchased);

        // Concurrent half: each round a void (or void request) and a close start together
        // on their own connections; exactly one wins and the loser wrote nothing.
        for round in 0..24u32 {
            let s = bought(&store, &tenant, &account, 200 + round, NOW).await;
            let m = manifest(&account, vec![s.clone()]);
            let (st, t, sid) = (store.clone(), tenant.clone(), s.clone());
            let void = tokio::spawn(async move {
                if round % 2 == 0 {
                    st.void_shipment(&t, &sid, NOW, &[], None).await.unwrap()
                } else {
                    st.request_void(&t, &sid, NOW, &[], None).await.unwrap()
                }
            });
            let (st, t, mm) = (store.clone(), tenant.clone(), m.clone());
            let close = tokio::spawn(async move {
                st.insert_manifest(&t, &mm, b"%PDF", &[], None)
                    .await
                    .unwrap()
            });
            let (voided, closed) = (void.await.unwrap(), close.await.unwrap());
            assert!(
                voided != closed.is_ok(),
                "round {round}: exactly one must win (void {voided}, close {closed:?})"
            );
            let read = store.get_shipment(&tenant, &s).await.unwrap().unwrap();
            let in_manifest = store.manifest_of(&tenant, &s).await.unwrap();
            if voided {
                assert_eq!(closed, Err(ManifestConflict::NotPurchased(s.clone())));
                assert_ne!(read.status, ShipmentStatus::Purchased, "round {round}");
                assert_eq!(in_manifest, None, "round {round}");
                assert!(store.get_manifest(&tenant, &m.id).await.unwrap().is_none());
            } else {
                assert_eq!(read.status, ShipmentStatus::Purchased, "round {round}");
                assert_eq!(in_manifest, Some(m.id.clone()), "round {round}");
            }
        }
    }

    #[tokio::test]
    async fn a_shipment_is_manifested_once_and_leaves_the_days_candidates() {
        crate::store::pickups::tests::on_each_backend(manifested_once).await;
    }

    async fn manifested_once(store: Store) {
        let (tenant, account) = setup(&store).await;
        let a = bought(&store, &tenant, &account, 1, NOW).await;
        let b = bought(&store, &tenant, &account, 2, NOW).await;
        let old = bought(&store, &tenant, &account, 3, NOW - time::Duration::days(40)).await;
        let day = |from, to| store.unmanifested_shipments(&tenant, &account, from, to, NOW);
        let window = (
            NOW - time::Duration::days(31),
            NOW + time::Duration::days(1),
        );
        let ids = |v: Vec<ShipmentRecord>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
        assert_eq!(
            ids(day(window.0, window.1).await.unwrap()),
            vec![a.clone(), b.clone()]
        );

        let first = manifest(&account, vec![a.clone()]);
        store
            .insert_manifest(&tenant, &first, b"%PDF-1", &[], None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store.manifest_of(&tenant, &a).await.unwrap(),
            Some(first.id.clone())
        );
        assert_eq!(store.manifest_of(&tenant, &b).await.unwrap(), None);
        assert_eq!(ids(day(window.0, window.1).await.unwrap()), vec![b.clone()]);
        assert!(!ids(day(window.0, window.1).await.unwrap()).contains(&old));

        // A second manifest naming a manifested shipment writes nothing.
        let second = manifest(&account, vec![b.clone(), a.clone()]);
        assert_eq!(
            store
                .insert_manifest(&tenant, &second, b"%PDF-2", &[], None)
                .await
                .unwrap(),
            Err(ManifestConflict::Manifested(a.clone(), first.id.clone()))
        );
        assert!(
            store
                .get_manifest(&tenant, &second.id)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.manifest_of(&tenant, &b).await.unwrap(), None);

        // Voided after the close looked: the close writes nothing.
        assert!(
            store
                .void_shipment(&tenant, &b, NOW, &[], None)
                .await
                .unwrap()
        );
        let late = manifest(&account, vec![b.clone()]);
        assert_eq!(
            store
                .insert_manifest(&tenant, &late, b"%PDF-3", &[], None)
                .await
                .unwrap(),
            Err(ManifestConflict::NotPurchased(b.clone()))
        );
        assert!(
            store
                .get_manifest(&tenant, &late.id)
                .await
                .unwrap()
                .is_none()
        );

        let read = store
            .get_manifest(&tenant, &first.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.shipment_ids, vec![a]);
        assert_eq!(read.ship_date, first.ship_date);
        assert_eq!(read.tracking_numbers, first.tracking_numbers);
        assert_eq!(read.warnings, first.warnings);
        assert_eq!(
            store.manifest_document(&tenant, &first.id).await.unwrap(),
            Some((LabelFormat::Pdf, b"%PDF-1".to_vec()))
        );
        let other = store.create_tenant("u", NOW).await.unwrap().id;
        assert!(
            store
                .get_manifest(&other, &first.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .list_manifests(&other, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.list_manifests(&tenant, None, 10).await.unwrap().len(),
            1
        );
    }
}
