//! One suite, both backends: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set
//! (each run in a schema of its own, dropped afterwards). Under `CI=true` a missing
//! `TEST_DATABASE_URL` fails the PostgreSQL half instead of skipping it.

use rust_decimal_macros::dec;
use shiphub_carriers::model::{Currency, Money};
use time::macros::datetime;

use super::*;

async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

/// Runs `suite` on a fresh PostgreSQL schema, or explains why it cannot.
async fn on_postgres<F, Fut>(suite: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL store tests must run in CI"
            );
        }
        eprintln!("skipped: TEST_DATABASE_URL not set, PostgreSQL half of the store suite not run");
        return;
    };
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let admin = Store::connect(&url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin.pool)
        .await
        .unwrap();
    let store = Store::connect_with(&url, Some(schema.clone()))
        .await
        .unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    store.migrate().await.unwrap();
    suite(store.clone()).await;
    store.pool.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin.pool)
        .await
        .unwrap();
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let (store, _dir) = super::sqlite_store().await;
                super::$name(store).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::on_postgres(super::$name).await;
            }
        }
    )*};
}

both_backends!(
    events_are_written_with_their_change_and_listed_per_tenant_in_order,
    api_keys_resolve_to_their_tenant_only_while_unrevoked,
    accounts_are_tenant_scoped_and_soft_deleted,
    shipments_round_trip_and_paginate_newest_first,
    shipment_reads_never_cross_tenants,
    idempotency_claims_replays_and_detects_mismatch,
    void_is_once_only,
);

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00 UTC);

async fn tenant(store: &Store, name: &str) -> TenantId {
    store.create_tenant(name, NOW).await.unwrap().id
}

fn account() -> AccountRecord {
    AccountRecord {
        id: AccountId::generate(),
        carrier: "sandbox".into(),
        name: "main".into(),
        base_url: None,
        secret_nonce: vec![1; 12],
        secret: vec![0, 159, 255, 7],
        created_at: NOW,
    }
}

fn shipment(account: &AccountId, n: u32) -> ShipmentRecord {
    ShipmentRecord {
        id: ShipmentId::generate(),
        carrier_account_id: account.clone(),
        carrier: "sandbox".into(),
        service_code: "express".into(),
        status: "purchased".into(),
        tracking_number: format!("SB{n:010}"),
        reference: Some(format!("ORDER-{n}")),
        total: Money::new(dec!(12.345), Currency::USD),
        label_format: "pdf".into(),
        request: r#"{"a":1}"#.into(),
        waybill: r#"{"b":2}"#.into(),
        created_at: NOW,
        updated_at: NOW,
        voided_at: None,
    }
}

async fn api_keys_resolve_to_their_tenant_only_while_unrevoked(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    store
        .insert_api_key(&a, "hash-a", "sh_a", NOW)
        .await
        .unwrap();
    store
        .insert_api_key(&b, "hash-b", "sh_b", NOW)
        .await
        .unwrap();
    assert_eq!(
        store.tenant_for_key("hash-a").await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.tenant_for_key("hash-b").await.unwrap(), Some(b));
    assert_eq!(store.tenant_for_key("nope").await.unwrap(), None);
    assert_eq!(store.tenant_count().await.unwrap(), 2);
    assert_eq!(store.tenant_by_name("a").await.unwrap().unwrap().id, a);
    // names are unique
    assert!(store.create_tenant("a", NOW).await.is_err());
    sqlx::query("UPDATE api_keys SET revoked_at = 1 WHERE key_hash = 'hash-a'")
        .execute(&store.writer)
        .await
        .unwrap();
    assert_eq!(store.tenant_for_key("hash-a").await.unwrap(), None);
}

async fn accounts_are_tenant_scoped_and_soft_deleted(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    let got = store.get_account(&a, &acc.id).await.unwrap().unwrap();
    assert_eq!(got.secret, acc.secret);
    assert_eq!(got.secret_nonce, acc.secret_nonce);
    assert_eq!(got.created_at, NOW);
    assert!(store.get_account(&b, &acc.id).await.unwrap().is_none());
    assert!(store.list_accounts(&b).await.unwrap().is_empty());
    assert!(!store.delete_account(&b, &acc.id, NOW).await.unwrap());
    assert!(store.delete_account(&a, &acc.id, NOW).await.unwrap());
    assert!(store.get_account(&a, &acc.id).await.unwrap().is_none());
    assert!(store.list_accounts(&a).await.unwrap().is_empty());
}

async fn shipments_round_trip_and_paginate_newest_first(store: Store) {
    let a = tenant(&store, "a").await;
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    let mut ids = vec![];
    for n in 0..5 {
        let s = shipment(&acc.id, n);
        let doc = DocumentRecord {
            id: DocumentId::generate(),
            shipment_id: s.id.clone(),
            kind: "label".into(),
            format: "pdf".into(),
            content: vec![n as u8; 3],
        };
        store
            .insert_shipment(&a, &s, &[doc], &[], None)
            .await
            .unwrap();
        ids.push(s.id);
    }
    let got = store.get_shipment(&a, &ids[2]).await.unwrap().unwrap();
    assert_eq!(got.total, Money::new(dec!(12.345), Currency::USD));
    assert_eq!(got.reference.as_deref(), Some("ORDER-2"));
    assert_eq!(got.voided_at, None);
    assert_eq!(
        store
            .get_document(&a, &ids[2], "label", "pdf")
            .await
            .unwrap(),
        Some(vec![2, 2, 2])
    );
    assert_eq!(
        store
            .get_document(&a, &ids[2], "label", "zpl")
            .await
            .unwrap(),
        None
    );

    let page1 = store.list_shipments(&a, None, 2).await.unwrap();
    assert_eq!(
        page1.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        vec![ids[4].clone(), ids[3].clone()]
    );
    let page2 = store
        .list_shipments(&a, Some(&page1[1].id), 2)
        .await
        .unwrap();
    assert_eq!(
        page2.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        vec![ids[2].clone(), ids[1].clone()]
    );
    let page3 = store
        .list_shipments(&a, Some(&page2[1].id), 2)
        .await
        .unwrap();
    assert_eq!(page3.len(), 1);
}

async fn shipment_reads_never_cross_tenants(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    let s = shipment(&acc.id, 1);
    store.insert_shipment(&a, &s, &[], &[], None).await.unwrap();
    assert!(store.get_shipment(&b, &s.id).await.unwrap().is_none());
    assert!(store.list_shipments(&b, None, 10).await.unwrap().is_empty());
    assert!(
        !store
            .void_shipment(&b, &s.id, NOW, &[], None)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_shipment(&a, &s.id)
            .await
            .unwrap()
            .unwrap()
            .voided_at,
        None
    );
}

async fn idempotency_claims_replays_and_detects_mismatch(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    assert_eq!(
        store.idem_begin(&a, "k1", "h1", NOW).await.unwrap(),
        IdemBegin::Started
    );
    assert_eq!(
        store.idem_begin(&a, "k1", "h1", NOW).await.unwrap(),
        IdemBegin::InProgress
    );
    assert_eq!(
        store.idem_begin(&a, "k1", "h2", NOW).await.unwrap(),
        IdemBegin::Mismatch
    );
    // keys are per tenant
    assert_eq!(
        store.idem_begin(&b, "k1", "h2", NOW).await.unwrap(),
        IdemBegin::Started
    );

    // completion rides in the same transaction as the shipment
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    let done = IdemCompletion {
        key: "k1".into(),
        status: 201,
        body: r#"{"id":"x"}"#.into(),
    };
    store
        .insert_shipment(&a, &shipment(&acc.id, 1), &[], &[], Some(&done))
        .await
        .unwrap();
    assert_eq!(
        store.idem_begin(&a, "k1", "h1", NOW).await.unwrap(),
        IdemBegin::Replay {
            status: 201,
            body: r#"{"id":"x"}"#.into()
        }
    );

    // abandoned keys can be claimed again; completed ones are not abandoned
    store.idem_abandon(&b, "k1").await.unwrap();
    assert_eq!(
        store.idem_begin(&b, "k1", "h3", NOW).await.unwrap(),
        IdemBegin::Started
    );
    store.idem_abandon(&a, "k1").await.unwrap();
    assert!(matches!(
        store.idem_begin(&a, "k1", "h1", NOW).await.unwrap(),
        IdemBegin::Replay { .. }
    ));
}

async fn void_is_once_only(store: Store) {
    let a = tenant(&store, "a").await;
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    let s = shipment(&acc.id, 1);
    store.insert_shipment(&a, &s, &[], &[], None).await.unwrap();
    let later = datetime!(2026-11-22 11:00 UTC);
    let voided = |id: &ShipmentId| NewEvent {
        kind: "shipment.voided",
        subject_id: id.to_string(),
        data: serde_json::json!({"id": id.to_string()}),
    };
    assert!(
        store
            .void_shipment(&a, &s.id, later, &[voided(&s.id)], None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .void_shipment(&a, &s.id, later, &[voided(&s.id)], None)
            .await
            .unwrap()
    );
    let events = store.list_events(&a, None, 10).await.unwrap();
    assert_eq!(events.len(), 1, "a void that changed nothing emits nothing");
    assert_eq!(events[0].kind, "shipment.voided");
    assert_eq!(events[0].created_at, later);
    let got = store.get_shipment(&a, &s.id).await.unwrap().unwrap();
    assert_eq!(got.status, "voided");
    assert_eq!(got.voided_at, Some(later));
}

async fn events_are_written_with_their_change_and_listed_per_tenant_in_order(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    let mut ids = vec![];
    for n in 0..3 {
        let s = shipment(&acc.id, n);
        let e = NewEvent {
            kind: "shipment.created",
            subject_id: s.id.to_string(),
            data: serde_json::json!({"n": n}),
        };
        store
            .insert_shipment(&a, &s, &[], &[e], None)
            .await
            .unwrap();
        ids.push(s.id.to_string());
    }
    let all = store.list_events(&a, None, 10).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.subject_id.clone()).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(all[2].data, serde_json::json!({"n": 2}));
    let rest = store.list_events(&a, Some(&all[0].id), 10).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert!(store.list_events(&b, None, 10).await.unwrap().is_empty());

    // A failed transaction leaves no event: a duplicate shipment id aborts the insert.
    let dup = shipment(&acc.id, 9);
    store
        .insert_shipment(&a, &dup, &[], &[], None)
        .await
        .unwrap();
    let e = NewEvent {
        kind: "shipment.created",
        subject_id: "x".into(),
        data: serde_json::json!({}),
    };
    assert!(
        store
            .insert_shipment(&a, &dup, &[], &[e], None)
            .await
            .is_err()
    );
    assert_eq!(store.list_events(&a, None, 10).await.unwrap().len(), 3);
}
