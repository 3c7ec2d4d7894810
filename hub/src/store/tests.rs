//! One suite, both backends: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set
//! (each run in a schema of its own, dropped afterwards). Under `CI=true` a missing
//! `TEST_DATABASE_URL` fails the PostgreSQL half instead of skipping it.

use rust_decimal_macros::dec;
use shiphub_carriers::model::{Currency, Money};
use time::macros::datetime;

use super::*;
use crate::events::{EventType, Subscription};
use crate::ids::{AccountId, DocumentId, ShipmentId, TenantId};
use crate::webhooks::disable::disable_rule;

async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let (store, dir) = sqlite_store_unmigrated().await;
    store.migrate().await.unwrap();
    (store, dir)
}

async fn sqlite_store_unmigrated() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.unwrap();
    (store, dir)
}

/// Runs `suite` on a fresh PostgreSQL schema, or explains why it cannot.
async fn on_postgres<F, Fut>(suite: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    on_postgres_schema(true, suite).await
}

/// `on_postgres` on a schema migrated (`migrate`) or left empty for the suite to migrate.
async fn on_postgres_schema<F, Fut>(migrate: bool, suite: F)
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
    if migrate {
        store.migrate().await.unwrap();
    }
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
    concurrent_follows_create_one_tracker_per_number_and_complete_only_their_keys,
    operator_gauges_count_queued_jobs_silent_stations_and_keys_in_flight,
    events_are_written_with_their_change_and_listed_per_tenant_in_order,
    api_keys_resolve_to_their_tenant_only_while_unrevoked,
    api_key_limits_are_set_by_prefix_and_read_by_hash,
    accounts_are_tenant_scoped_and_soft_deleted,
    shipments_round_trip_and_paginate_newest_first,
    shipment_reads_never_cross_tenants,
    idempotency_claims_replays_and_detects_mismatch,
    idempotency_leases_expire_and_are_recovered_once,
    void_is_once_only,
    print_jobs_are_claimed_in_order_once_and_redelivered_only_when_unacknowledged,
    print_acks_are_final_and_emit_their_event_once,
    a_reported_printer_repoints_unfinished_jobs_and_fails_sheets_for_zpl,
    print_jobs_expire_unclaimed_with_an_event_and_print_on_purchase_is_atomic,
    print_stations_resolve_by_token_and_stay_tenant_scoped,
    a_print_row_outside_its_names_is_corrupt,
    a_shipment_row_outside_its_types_is_corrupt,
    rate_card_versions_are_replaced_by_date_and_stay_tenant_scoped,
    webhook_fan_out_gives_each_subscribed_endpoint_one_delivery_once,
    webhook_claims_are_exclusive_leased_and_fenced,
    a_webhook_claim_takes_no_more_than_its_limit_from_a_large_backlog,
    webhook_attempts_retry_give_up_and_disable_with_an_event,
    webhook_resend_and_recover_requeue_what_an_endpoint_missed,
    webhook_endpoints_are_tenant_scoped_rotate_and_delete,
    an_unknown_name_in_a_row_is_corrupt,
    an_abandoned_transaction_start_leaves_no_connection_inside_it,
    a_purchase_of_a_followed_number_closes_the_old_tracker_and_keeps_its_scans,
    a_poll_records_its_trackers_together_each_with_its_own_fresh_scans,
    one_number_in_two_networks_is_two_trackers_and_a_subscription_is_kept,
    a_pull_asks_about_the_shipments_of_its_account_and_period_only,
    label_renditions_are_stored_once_per_key_and_stay_tenant_scoped,
);

/// A transaction whose start is abandoned (a client hangs up, a task is aborted) must not leave
/// a pooled connection inside a transaction nobody will end: every later statement on it would
/// run uncommitted, holding its locks.
async fn an_abandoned_transaction_start_leaves_no_connection_inside_it(store: Store) {
    // One writer connection, so that every start and every check meet the same one (a start
    // that completes on a connection left inside a transaction would end that transaction).
    let store = match store.backend {
        Backend::Sqlite => store,
        Backend::Postgres => {
            let url = std::env::var("TEST_DATABASE_URL").unwrap();
            let one = AnyPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await
                .unwrap();
            Store {
                pool: one.clone(),
                writer: one,
                backend: Backend::Postgres,
                events: Arc::default(),
                readiness: store.readiness.clone(),
                group: None,
                trackers: None,
            }
        }
    };
    // Starts dropped after one to six polls: some after BEGIN went out, before its answer.
    for (attempt, polls) in (1..=6).cycle().take(240).enumerate() {
        {
            let mut start = std::pin::pin!(store.begin());
            for _ in 0..polls {
                let polled = std::future::poll_fn(|cx| {
                    std::task::Poll::Ready(start.as_mut().poll(cx).is_ready())
                });
                if polled.await {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let mut conn = store.writer.acquire().await.unwrap();
        let outside = match store.backend {
            // A transaction-local setting outlives its statement only inside a transaction.
            Backend::Postgres => {
                sqlx::query("SELECT set_config('application_name', 'probe', true)")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                let name: String = sqlx::query_scalar("SELECT current_setting('application_name')")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
                name != "probe"
            }
            // SQLite refuses a BEGIN inside a transaction.
            Backend::Sqlite => {
                let began = sqlx::query("BEGIN").execute(&mut *conn).await.is_ok();
                sqlx::query("ROLLBACK").execute(&mut *conn).await.unwrap();
                began
            }
        };
        assert!(
            outside,
            "start {attempt} (dropped after {polls} polls) left its connection inside a transaction"
        );
    }
}

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
        carrier: shiphub_carriers::CarrierCode::from_static("sandbox"),
        service_code: "express".into(),
        status: ShipmentStatus::Purchased,
        tracking_number: format!("SB{n:010}").parse().unwrap(),
        reference: Some(format!("ORDER-{n}")),
        total: Money::new(dec!(12.345), Currency::USD),
        label_format: shiphub_carriers::model::LabelFormat::Pdf,
        request: StoredRequest::from_json(r#"{"a":1}"#),
        waybill: ShipmentWaybill {
            pieces: vec![],
            carrier_shipment_id: format!("SB{n:010}"),
            breakdown: vec![],
            warnings: vec![],
            carrier_label: None,
        },
        created_at: NOW,
        updated_at: NOW,
        voided_at: None,
        audit_facts: None,
        link: Default::default(),
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

async fn api_key_limits_are_set_by_prefix_and_read_by_hash(store: Store) {
    let a = tenant(&store, "a").await;
    store
        .insert_api_key(&a, "hash-a", "sh_a", NOW)
        .await
        .unwrap();
    assert_eq!(
        store.key_limit("hash-a").await.unwrap(),
        Some(KeyLimit::default())
    );
    assert_eq!(store.key_limit("nope").await.unwrap(), None);
    let own = KeyLimit {
        rate: Some(5),
        burst: Some(20),
    };
    assert_eq!(store.set_key_limit("sh_a", own).await.unwrap(), 1);
    assert_eq!(store.key_limit("hash-a").await.unwrap(), Some(own));
    assert_eq!(store.set_key_limit("sh_zz", own).await.unwrap(), 0);
    store
        .set_key_limit("sh_a", KeyLimit::default())
        .await
        .unwrap();
    assert_eq!(
        store.key_limit("hash-a").await.unwrap(),
        Some(KeyLimit::default())
    );
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

/// A claim by `owner` on `POST /x` with a lease of a minute from `NOW`.
fn claim<'a>(key: &'a str, hash: &'a str, owner: &'a str) -> IdemClaim<'a> {
    IdemClaim {
        key,
        scope: "POST /x",
        request_hash: hash,
        owner,
        lease_until: NOW + time::Duration::minutes(1),
    }
}

async fn begin(store: &Store, t: &TenantId, key: &str, hash: &str) -> IdemBegin {
    store
        .idem_begin(t, &claim(key, hash, "me"), NOW)
        .await
        .unwrap()
}

fn done(key: &str, owner: &str) -> IdemCompletion {
    IdemCompletion {
        key: key.into(),
        owner: owner.into(),
        status: 201,
        body: r#"{"id":"x"}"#.into(),
    }
}

async fn idempotency_claims_replays_and_detects_mismatch(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    assert_eq!(begin(&store, &a, "k1", "h1").await, IdemBegin::Started);
    assert_eq!(
        begin(&store, &a, "k1", "h1").await,
        IdemBegin::InProgress { expired: false }
    );
    assert_eq!(begin(&store, &a, "k1", "h2").await, IdemBegin::Mismatch);
    // another endpoint is named
    let elsewhere = IdemClaim {
        scope: "POST /y",
        ..claim("k1", "h1", "me")
    };
    assert_eq!(
        store.idem_begin(&a, &elsewhere, NOW).await.unwrap(),
        IdemBegin::OtherScope {
            scope: "POST /x".into()
        }
    );
    // keys are per tenant
    assert_eq!(begin(&store, &b, "k1", "h2").await, IdemBegin::Started);

    // completion rides in the same transaction as the shipment, and only its owner's
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    assert!(matches!(
        store
            .insert_shipment(
                &a,
                &shipment(&acc.id, 1),
                &[],
                &[],
                Some(&done("k1", "other"))
            )
            .await,
        Err(StoreError::LeaseLost(_))
    ));
    assert!(
        store
            .get_shipment(&a, &shipment(&acc.id, 1).id)
            .await
            .unwrap()
            .is_none()
    );
    store
        .insert_shipment(&a, &shipment(&acc.id, 1), &[], &[], Some(&done("k1", "me")))
        .await
        .unwrap();
    assert_eq!(
        begin(&store, &a, "k1", "h1").await,
        IdemBegin::Replay {
            status: 201,
            body: r#"{"id":"x"}"#.into()
        }
    );

    // abandoned keys can be claimed again; completed ones are not abandoned, nor others' keys
    store.idem_abandon(&b, "k1", "other").await.unwrap();
    assert_eq!(
        begin(&store, &b, "k1", "h2").await,
        IdemBegin::InProgress { expired: false }
    );
    store.idem_abandon(&b, "k1", "me").await.unwrap();
    assert_eq!(begin(&store, &b, "k1", "h3").await, IdemBegin::Started);
    store.idem_abandon(&a, "k1", "me").await.unwrap();
    assert!(matches!(
        begin(&store, &a, "k1", "h1").await,
        IdemBegin::Replay { .. }
    ));
}

async fn idempotency_leases_expire_and_are_recovered_once(store: Store) {
    let a = tenant(&store, "a").await;
    assert_eq!(begin(&store, &a, "k1", "h").await, IdemBegin::Started);
    let later = NOW + time::Duration::minutes(2);
    let lease = later + time::Duration::minutes(1);
    // progress and renewals are the owner's only
    assert!(
        store
            .idem_progress(&a, "k1", "me", "sent", "{}")
            .await
            .unwrap()
    );
    assert!(
        !store
            .idem_progress(&a, "k1", "other", "sent", "{}")
            .await
            .unwrap()
    );
    assert!(!store.idem_renew(&a, "k1", "other", lease).await.unwrap());
    // still leased: nothing to recover
    assert!(store.idem_expired(NOW, 10).await.unwrap().is_empty());
    assert_eq!(
        store
            .idem_claim_expired(&a, "k1", "rescuer", NOW, lease)
            .await
            .unwrap(),
        None
    );
    // the lease runs out: the retry is told so, the sweep finds it, one claimant wins
    let retry = IdemClaim {
        lease_until: lease,
        ..claim("k1", "h", "me")
    };
    assert_eq!(
        store.idem_begin(&a, &retry, later).await.unwrap(),
        IdemBegin::InProgress { expired: true }
    );
    assert_eq!(
        store.idem_expired(later, 10).await.unwrap(),
        vec![(a.clone(), "k1".to_string())]
    );
    let stuck = store
        .idem_claim_expired(&a, "k1", "rescuer", later, lease)
        .await
        .unwrap()
        .expect("claimed");
    assert_eq!(
        stuck,
        IdemStuck {
            scope: Some("POST /x".into()),
            stage: Some("sent".into()),
            progress: Some("{}".into())
        }
    );
    assert_eq!(
        store
            .idem_claim_expired(&a, "k1", "second", later, lease)
            .await
            .unwrap(),
        None,
        "claimed once"
    );
    assert!(store.idem_expired(later, 10).await.unwrap().is_empty());
    // the dead owner can no longer complete it; the rescuer can
    assert!(matches!(
        store.idem_complete(&a, &done("k1", "me")).await,
        Err(StoreError::LeaseLost(_))
    ));
    store
        .idem_complete(&a, &done("k1", "rescuer"))
        .await
        .unwrap();
    assert!(matches!(
        store.idem_begin(&a, &retry, later).await.unwrap(),
        IdemBegin::Replay { status: 201, .. }
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
        kind: EventType::ShipmentVoided,
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
    assert_eq!(got.status, ShipmentStatus::Voided);
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
            kind: EventType::ShipmentCreated,
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
        kind: EventType::ShipmentCreated,
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

// --- printing ------------------------------------------------------------------------------

use crate::ids::{PrintJobId, StationId};
use std::time::Duration;

fn station(name: &str) -> StationRecord {
    StationRecord {
        id: StationId::generate(),
        name: name.into(),
        format: PrinterLanguage::Zpl,
        stock: shiphub_labels::Stock::In4x6,
        dpi: shiphub_labels::Dpi::D203,
        agent_format: None,
        agent_dpi: None,
        printer_font: Some("E:SIMSUN.TTF".parse().unwrap()),
        printer_state: None,
        printer_detail: None,
        last_seen_at: None,
        created_at: NOW,
    }
}

fn job(station: &StationId, shipment: &ShipmentId, ttl: Duration) -> PrintJobRecord {
    PrintJobRecord {
        id: PrintJobId::generate(),
        station_id: station.clone(),
        subject: JobSubject::Shipment(shipment.clone()),
        format: PrinterLanguage::Zpl,
        stock: shiphub_labels::Stock::In4x6,
        dpi: shiphub_labels::Dpi::D203,
        copies: 2,
        status: JobStatus::Queued,
        detail: None,
        deliveries: 0,
        created_at: NOW,
        expires_at: NOW + ttl,
        delivered_at: None,
        completed_at: None,
    }
}

fn event_for(j: &PrintJobRecord) -> NewEvent {
    NewEvent {
        kind: if j.status == JobStatus::Expired {
            EventType::PrintJobExpired
        } else {
            EventType::PrintJobPrinted
        },
        subject_id: j.id.to_string(),
        data: serde_json::json!({ "status": j.status.as_str() }),
    }
}

/// A tenant with an account, a station and one shipment.
async fn print_setup(store: &Store, name: &str) -> (TenantId, StationRecord, ShipmentRecord) {
    let t = tenant(store, name).await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    let st = station("dock");
    store
        .insert_station(&t, &st, &format!("hash-{name}"), None)
        .await
        .unwrap();
    let s = shipment(&acc.id, 1);
    store.insert_shipment(&t, &s, &[], &[], None).await.unwrap();
    (t, st, s)
}

async fn print_jobs_are_claimed_in_order_once_and_redelivered_only_when_unacknowledged(
    store: Store,
) {
    let (t, st, s) = print_setup(&store, "a").await;
    let hour = Duration::from_secs(3600);
    let jobs: Vec<_> = (0..5).map(|_| job(&st.id, &s.id, hour)).collect();
    for j in &jobs {
        store.insert_print_job(&t, j, None).await.unwrap();
    }
    let redeliver = |now: OffsetDateTime| now - Duration::from_secs(60);
    let first = store
        .claim_print_jobs(&t, &st.id, NOW, redeliver(NOW), 3)
        .await
        .unwrap();
    let ids = |v: &[PrintJobRecord]| v.iter().map(|j| j.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&jobs[..3]), "oldest first, limited");
    assert!(
        first
            .iter()
            .all(|j| j.status == JobStatus::Delivered && j.deliveries == 1)
    );
    let rest = store
        .claim_print_jobs(&t, &st.id, NOW, redeliver(NOW), 10)
        .await
        .unwrap();
    assert_eq!(
        ids(&rest),
        ids(&jobs[3..]),
        "a delivered job is not handed out twice"
    );
    assert!(
        store
            .claim_print_jobs(&t, &st.id, NOW, redeliver(NOW), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // the agent acknowledges the first; a minute later the other four come back once more
    let ack = JobAck {
        status: AckStatus::Printed,
        detail: None,
        at: NOW,
    };
    store
        .ack_print_job(&t, &st.id, &jobs[0].id, &ack, event_for)
        .await
        .unwrap();
    let later = NOW + Duration::from_secs(61);
    let again = store
        .claim_print_jobs(&t, &st.id, later, redeliver(later), 10)
        .await
        .unwrap();
    assert_eq!(ids(&again), ids(&jobs[1..]));
    assert!(again.iter().all(|j| j.deliveries == 2));
    // another station of another tenant sees nothing of these
    let (t2, st2, _) = print_setup(&store, "b").await;
    assert!(
        store
            .claim_print_jobs(&t2, &st2.id, later, later, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .claim_print_jobs(&t2, &st.id, later, later, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_reported_printer_repoints_unfinished_jobs_and_fails_sheets_for_zpl(store: Store) {
    let (t, mut st, s) = print_setup(&store, "a").await;
    let (other, ost, os) = print_setup(&store, "b").await;
    let hour = Duration::from_secs(3600);
    let pdf = |stock: &str| PrintJobRecord {
        format: PrinterLanguage::Pdf,
        stock: stock.parse().unwrap(),
        ..job(&st.id, &s.id, hour)
    };
    let (label, sheet, done) = (pdf("4x6"), pdf("a4-2up"), pdf("4x8"));
    let elsewhere = PrintJobRecord {
        format: PrinterLanguage::Pdf,
        ..job(&ost.id, &os.id, hour)
    };
    for j in [&label, &sheet, &done] {
        store.insert_print_job(&t, j, None).await.unwrap();
    }
    store
        .insert_print_job(&other, &elsewhere, None)
        .await
        .unwrap();
    let ack = JobAck {
        status: AckStatus::Printed,
        detail: None,
        at: NOW,
    };
    store
        .ack_print_job(&t, &st.id, &done.id, &ack, event_for)
        .await
        .unwrap();
    let before = store.list_events(&t, None, 100).await.unwrap().len();

    let failed = store
        .station_printer_reported(
            &t,
            &st.id,
            PrinterLanguage::Zpl,
            shiphub_labels::Dpi::D300,
            NOW,
            event_for,
        )
        .await
        .unwrap();
    assert_eq!(
        failed.iter().map(|j| &j.id).collect::<Vec<_>>(),
        [&sheet.id]
    );
    assert_eq!(failed[0].status, JobStatus::Failed);
    assert!(failed[0].detail.as_deref().unwrap().contains("ZPL"));
    assert_eq!(
        store.list_events(&t, None, 100).await.unwrap().len(),
        before + 1
    );
    let get = |tenant: &TenantId, id: &PrintJobId| {
        let (store, tenant, id) = (store.clone(), tenant.clone(), id.clone());
        async move { store.get_print_job(&tenant, &id).await.unwrap().unwrap() }
    };
    let l = get(&t, &label.id).await;
    assert_eq!(
        (l.format.as_str(), l.dpi.dpi(), l.stock.as_str()),
        ("zpl", 300, "4x6")
    );
    let d = get(&t, &done.id).await;
    assert_eq!(
        (d.format.as_str(), d.dpi.dpi()),
        ("pdf", 203),
        "a printed job keeps its record"
    );
    let e = get(&other, &elsewhere.id).await;
    assert_eq!(
        e.format,
        PrinterLanguage::Pdf,
        "another tenant's station is untouched"
    );
    st = store.get_station(&t, &st.id).await.unwrap().unwrap();
    assert_eq!(
        (
            st.agent_format.map(PrinterLanguage::as_str),
            st.agent_dpi.map(shiphub_labels::Dpi::dpi)
        ),
        (Some("zpl"), Some(300))
    );
    assert_eq!(
        st.format.as_str(),
        "zpl",
        "the declaration is kept beside the report"
    );
}

async fn print_acks_are_final_and_emit_their_event_once(store: Store) {
    let (t, st, s) = print_setup(&store, "a").await;
    let j = job(&st.id, &s.id, Duration::from_secs(60));
    store.insert_print_job(&t, &j, None).await.unwrap();
    store
        .claim_print_jobs(&t, &st.id, NOW, NOW, 1)
        .await
        .unwrap();
    let printed = JobAck {
        status: AckStatus::Printed,
        detail: Some("2 copies"),
        at: NOW,
    };
    match store
        .ack_print_job(&t, &st.id, &j.id, &printed, event_for)
        .await
        .unwrap()
    {
        AckOutcome::Updated(got) => {
            assert_eq!(got.status, JobStatus::Printed);
            assert_eq!(got.detail.as_deref(), Some("2 copies"));
            assert_eq!(got.completed_at, Some(NOW));
        }
        other => panic!("expected an update, got {other:?}"),
    }
    // a replayed ack changes nothing and writes no second event
    assert!(matches!(
        store
            .ack_print_job(&t, &st.id, &j.id, &printed, event_for)
            .await
            .unwrap(),
        AckOutcome::Unchanged(_)
    ));
    let failed = JobAck {
        status: AckStatus::Failed,
        ..printed
    };
    assert!(matches!(
        store
            .ack_print_job(&t, &st.id, &j.id, &failed, event_for)
            .await
            .unwrap(),
        AckOutcome::Conflict(_)
    ));
    // only the station the job belongs to may acknowledge it
    let other = station("other");
    store
        .insert_station(&t, &other, "hash-other", None)
        .await
        .unwrap();
    assert!(matches!(
        store
            .ack_print_job(&t, &other.id, &j.id, &printed, event_for)
            .await
            .unwrap(),
        AckOutcome::NotFound
    ));
    let events = store.list_events(&t, None, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "print_job.printed");
    assert_eq!(events[0].subject_id, j.id.to_string());
}

async fn print_jobs_expire_unclaimed_with_an_event_and_print_on_purchase_is_atomic(store: Store) {
    let (t, st, s) = print_setup(&store, "a").await;
    let taken = job(&st.id, &s.id, Duration::from_secs(10));
    let short = job(&st.id, &s.id, Duration::from_secs(10));
    let long = job(&st.id, &s.id, Duration::from_secs(3600));
    for j in [&taken, &short, &long] {
        store.insert_print_job(&t, j, None).await.unwrap();
    }
    // `taken` is delivered before its TTL: delivered jobs never expire
    let got = store
        .claim_print_jobs(&t, &st.id, NOW, NOW, 1)
        .await
        .unwrap();
    assert_eq!(got[0].id, taken.id);
    let later = NOW + Duration::from_secs(11);
    assert_eq!(
        store
            .expire_print_jobs(later, 100, event_for)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .expire_print_jobs(later, 100, event_for)
            .await
            .unwrap(),
        0
    );
    let status = |id: PrintJobId| {
        let store = store.clone();
        let t = t.clone();
        async move {
            store
                .get_print_job(&t, &id)
                .await
                .unwrap()
                .unwrap()
                .status
                .as_str()
        }
    };
    assert_eq!(status(short.id.clone()).await, "expired");
    assert_eq!(status(taken.id.clone()).await, "delivered");
    assert_eq!(status(long.id.clone()).await, "queued");
    let events = store.list_events(&t, None, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "print_job.expired");
    assert_eq!(events[0].subject_id, short.id.to_string());
    // an expired job is never handed out
    let claimed = store
        .claim_print_jobs(&t, &st.id, later, later - Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, long.id);

    // print on purchase: a failed purchase record leaves no job behind
    let acc = store.list_accounts(&t).await.unwrap()[0].id.clone();
    let dup = ShipmentRecord {
        id: s.id.clone(),
        ..shipment(&acc, 2)
    };
    let orphan = job(&st.id, &dup.id, Duration::from_secs(60));
    assert!(
        store
            .insert_shipment_with(
                &t,
                &dup,
                &[],
                &[],
                ShipmentExtras {
                    job: Some(&orphan),
                    tracker: None
                },
                None
            )
            .await
            .is_err()
    );
    assert!(store.get_print_job(&t, &orphan.id).await.unwrap().is_none());
    let fresh = shipment(&acc, 3);
    let with = job(&st.id, &fresh.id, Duration::from_secs(60));
    store
        .insert_shipment_with(
            &t,
            &fresh,
            &[],
            &[],
            ShipmentExtras {
                job: Some(&with),
                tracker: None,
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(status(with.id.clone()).await, "queued");
    let listed = store
        .list_print_jobs(&t, Some(&st.id), Some(JobStatus::Queued), None, 10)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        vec![with.id.clone()]
    );
    let all = store
        .list_print_jobs(&t, None, None, None, 2)
        .await
        .unwrap();
    assert_eq!(all[0].id, with.id, "newest first");
    let page2 = store
        .list_print_jobs(&t, None, None, Some(&all[1].id), 10)
        .await
        .unwrap();
    assert_eq!(page2.len(), 2);
}

async fn print_stations_resolve_by_token_and_stay_tenant_scoped(store: Store) {
    let (a, st, _) = print_setup(&store, "a").await;
    let (b, _, _) = print_setup(&store, "b").await;
    let (tenant, found) = store.station_for_token("hash-a").await.unwrap().unwrap();
    assert_eq!((tenant, found.id.clone()), (a.clone(), st.id.clone()));
    assert!(store.get_station(&b, &st.id).await.unwrap().is_none());
    assert_eq!(store.list_stations(&a).await.unwrap().len(), 1);
    store
        .station_seen(
            &st.id,
            NOW,
            Some((PrinterState::PaperOut, Some("media out"))),
        )
        .await
        .unwrap();
    let seen = store.get_station(&a, &st.id).await.unwrap().unwrap();
    assert_eq!(
        seen.printer_state.map(PrinterState::as_str),
        Some("paper_out")
    );
    assert_eq!(seen.last_seen_at, Some(NOW));
    // rotation: the old token stops resolving
    assert!(
        store
            .rotate_station_token(&a, &st.id, "hash-new", None)
            .await
            .unwrap()
    );
    assert!(store.station_for_token("hash-a").await.unwrap().is_none());
    assert!(store.station_for_token("hash-new").await.unwrap().is_some());
    assert!(
        !store
            .rotate_station_token(&b, &st.id, "x", None)
            .await
            .unwrap()
    );
}

async fn a_print_row_outside_its_names_is_corrupt(store: Store) {
    let (t, st, s) = print_setup(&store, "a").await;
    let j = job(&st.id, &s.id, Duration::from_secs(60));
    store.insert_print_job(&t, &j, None).await.unwrap();
    sqlx::query("UPDATE print_jobs SET status = 'lost' WHERE id = $1")
        .bind(j.id.as_str())
        .execute(&store.pool)
        .await
        .unwrap();
    assert!(matches!(
        store.get_print_job(&t, &j.id).await,
        Err(StoreError::Corrupt(_))
    ));
    sqlx::query("UPDATE print_stations SET printer_state = 'on_fire' WHERE id = $1")
        .bind(st.id.as_str())
        .execute(&store.pool)
        .await
        .unwrap();
    assert!(matches!(
        store.get_station(&t, &st.id).await,
        Err(StoreError::Corrupt(_))
    ));
}

/// A shipment's status, carrier code, label format, tracking number and waybill are parsed
/// where the row is read: a row that does not hold one is reported there, not as a 500 later.
async fn a_shipment_row_outside_its_types_is_corrupt(store: Store) {
    let a = tenant(&store, "a").await;
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    for (column, value) in [
        ("status", "lost"),
        ("label_format", "gif"),
        ("tracking_number", "1Z-1"),
        ("waybill", "{}"),
    ] {
        let s = shipment(&acc.id, 0);
        store.insert_shipment(&a, &s, &[], &[], None).await.unwrap();
        assert!(store.get_shipment(&a, &s.id).await.unwrap().is_some());
        let sql = format!("UPDATE shipments SET {column} = $1 WHERE id = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .bind(s.id.as_str())
            .execute(&store.pool)
            .await
            .unwrap();
        assert!(
            matches!(
                store.get_shipment(&a, &s.id).await,
                Err(StoreError::Corrupt(_))
            ),
            "{column} = {value}"
        );
    }
}

// --- webhooks ------------------------------------------------------------------------------

use crate::ids::WebhookId;

fn endpoint(events: &[&str], enabled: bool) -> EndpointRecord {
    EndpointRecord {
        id: WebhookId::generate(),
        url: "https://hooks.example.com/in".into(),
        description: None,
        events: Subscription::from_names(events).unwrap(),
        enabled,
        disabled_reason: None,
        secret: (vec![1; 12], vec![2; 40]),
        old_secret: None,
        old_secret_expires_at: None,
        failing_since: None,
        created_at: NOW - time::Duration::hours(1),
        updated_at: NOW - time::Duration::hours(1),
    }
}

/// A shipment with one event of `kind`, written the way the API writes it.
async fn emit(store: &Store, t: &TenantId, acc: &AccountId, n: u32, kind: &'static str) {
    let s = shipment(acc, n);
    let e = NewEvent {
        kind: kind.parse().unwrap(),
        subject_id: s.id.to_string(),
        data: serde_json::json!({ "n": n }),
    };
    store.insert_shipment(t, &s, &[], &[e], None).await.unwrap();
}

async fn webhook_setup(store: &Store, name: &str) -> (TenantId, AccountId) {
    let t = tenant(store, name).await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    (t, acc.id)
}

fn outcome(d: &ClaimedDelivery, after: AfterAttempt, status: Option<u16>) -> AttemptResult {
    AttemptResult {
        delivery: d.clone(),
        outcome: if after == AfterAttempt::Succeeded {
            AttemptOutcome::Succeeded
        } else {
            AttemptOutcome::Failed
        },
        status_code: status,
        latency_ms: 12,
        response: Some("ok".into()),
        error: None,
        at: NOW,
        after,
    }
}

const LEASE: Duration = Duration::from_secs(60);
const FIVE_DAYS: Duration = Duration::from_secs(5 * 24 * 3600);

async fn webhook_fan_out_gives_each_subscribed_endpoint_one_delivery_once(store: Store) {
    let (a, acc) = webhook_setup(&store, "a").await;
    let (b, acc_b) = webhook_setup(&store, "b").await;
    let created_only = endpoint(&["shipment.created"], true);
    let all = endpoint(&["*"], true);
    let disabled = endpoint(&["*"], false);
    let mut later = endpoint(&["*"], true);
    later.created_at = NOW + time::Duration::hours(1);
    for e in [&created_only, &all, &disabled, &later] {
        store.insert_endpoint(&a, e, None).await.unwrap();
    }
    let other_tenant = endpoint(&["*"], true);
    store
        .insert_endpoint(&b, &other_tenant, None)
        .await
        .unwrap();

    emit(&store, &a, &acc, 1, "shipment.created").await;
    emit(&store, &a, &acc, 2, "shipment.voided").await;
    assert_eq!(store.fan_out_events(NOW, 100).await.unwrap(), 2);
    assert_eq!(
        store.fan_out_events(NOW, 100).await.unwrap(),
        0,
        "each event once"
    );

    let kinds = |list: Vec<DeliveryRecord>| {
        let mut k: Vec<&str> = list.into_iter().map(|d| d.event_type.as_str()).collect();
        k.sort();
        k
    };
    let got = |e: WebhookId| {
        let store = store.clone();
        let a = a.clone();
        async move { store.list_deliveries(&a, &e, None, None, 10).await.unwrap() }
    };
    assert_eq!(
        kinds(got(created_only.id.clone()).await),
        ["shipment.created"]
    );
    assert_eq!(
        kinds(got(all.id.clone()).await),
        ["shipment.created", "shipment.voided"]
    );
    assert!(
        got(disabled.id.clone()).await.is_empty(),
        "disabled endpoints get nothing"
    );
    assert!(
        got(later.id.clone()).await.is_empty(),
        "nor endpoints created after the event"
    );
    assert!(
        store
            .list_deliveries(&b, &other_tenant.id, None, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "nor another tenant's"
    );
    // Tenant B's own event reaches only tenant B.
    emit(&store, &b, &acc_b, 3, "shipment.created").await;
    store.fan_out_events(NOW, 100).await.unwrap();
    assert_eq!(
        store
            .list_deliveries(&b, &other_tenant.id, None, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(got(all.id.clone()).await.len(), 2);
    let counts = store.delivery_counts().await.unwrap();
    assert_eq!(counts.get(&DeliveryStatus::Pending), Some(&4));
}

async fn webhook_claims_are_exclusive_leased_and_fenced(store: Store) {
    let (a, acc) = webhook_setup(&store, "a").await;
    let e = endpoint(&["*"], true);
    store.insert_endpoint(&a, &e, None).await.unwrap();
    for n in 0..40 {
        emit(&store, &a, &acc, n, "shipment.created").await;
    }
    store.fan_out_events(NOW, 100).await.unwrap();

    // Four dispatchers at once: every delivery claimed exactly once.
    let claims = futures_join(&store, 4, 15).await;
    let mut ids: Vec<String> = claims.iter().flatten().map(|d| d.id.to_string()).collect();
    assert_eq!(ids.len(), 40, "all claimed");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "none twice");
    let d = claims.iter().flatten().next().unwrap().clone();
    assert_eq!(d.event_type, "shipment.created");
    assert_eq!(d.url, e.url);
    assert_eq!(d.attempts, 0);

    // Held for the lease: nothing more to claim until it runs out, then all of it again.
    assert!(
        store
            .claim_deliveries(NOW + Duration::from_secs(59), LEASE, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_deliveries(NOW + Duration::from_secs(61), LEASE, 100)
        .await
        .unwrap();
    assert_eq!(again.len(), 40, "a dead dispatcher's leases expire");
    let retaken = again.iter().find(|x| x.id == d.id).unwrap();
    assert_ne!(retaken.lease_token, d.lease_token);

    // A delivery handed back unsent is due again at the time given, not before.
    let back = NOW + Duration::from_secs(70);
    store.defer_delivery(retaken, back).await.unwrap();
    store.defer_delivery(&d, NOW).await.unwrap(); // the old token no longer holds it
    assert!(
        store
            .claim_deliveries(back - Duration::from_secs(1), LEASE, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.claim_deliveries(back, LEASE, 100).await.unwrap();
    assert_eq!(again.len(), 1);
    let retaken = &again[0];
    assert_eq!(retaken.id, d.id);

    // The first holder's late result does not overwrite the new holder's claim.
    store
        .record_attempts(
            &[outcome(&d, AfterAttempt::Succeeded, Some(200))],
            disable_rule(FIVE_DAYS),
        )
        .await
        .unwrap();
    let now = store.get_delivery(&a, &e.id, &d.id).await.unwrap().unwrap();
    assert_eq!(now.status, "pending");
    store
        .record_attempts(
            &[outcome(retaken, AfterAttempt::Succeeded, Some(204))],
            disable_rule(FIVE_DAYS),
        )
        .await
        .unwrap();
    let now = store.get_delivery(&a, &e.id, &d.id).await.unwrap().unwrap();
    assert_eq!(
        (now.status.as_str(), now.attempts, now.last_status_code),
        ("succeeded", 1, Some(204))
    );
    // Both attempts happened, so both are on record.
    assert_eq!(store.list_attempts(&a, &d.id).await.unwrap().len(), 2);
}

/// A recovered endpoint's backlog is claimed in batches of at most the limit. On PostgreSQL a
/// plan that re-ran the `LIMIT … FOR UPDATE SKIP LOCKED` subquery per outer row once took all
/// 2,000 due deliveries in one claim of 256 (in 1.2 s), past what the dispatcher can send
/// within the lease.
async fn a_webhook_claim_takes_no_more_than_its_limit_from_a_large_backlog(store: Store) {
    let (a, acc) = webhook_setup(&store, "a").await;
    let e = endpoint(&["shipment.created"], true);
    store.insert_endpoint(&a, &e, None).await.unwrap();
    // An idle dispatcher's polls first: PostgreSQL plans the prepared claim on an empty table
    // (after five runs it may keep one generic plan).
    for _ in 0..20 {
        assert!(
            store
                .claim_deliveries(NOW, LEASE, 100)
                .await
                .unwrap()
                .is_empty()
        );
    }
    const BACKLOG: u32 = 1500;
    for n in 0..BACKLOG {
        emit(&store, &a, &acc, n, "shipment.created").await;
    }
    while store.fan_out_events(NOW, 500).await.unwrap() > 0 {}
    let mut seen = std::collections::HashSet::new();
    loop {
        let batch = store.claim_deliveries(NOW, LEASE, 100).await.unwrap();
        assert!(batch.len() <= 100, "a claim of 100 took {}", batch.len());
        if batch.is_empty() {
            break;
        }
        for d in batch {
            assert!(seen.insert(d.id.to_string()), "{} claimed twice", d.id);
        }
    }
    assert_eq!(seen.len(), BACKLOG as usize);
}

/// `n` concurrent claims of up to `limit` each.
async fn futures_join(store: &Store, n: usize, limit: u32) -> Vec<Vec<ClaimedDelivery>> {
    let mut tasks = vec![];
    for _ in 0..n {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = vec![];
            loop {
                let batch = store.claim_deliveries(NOW, LEASE, limit).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch);
            }
        }));
    }
    let mut out = vec![];
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn webhook_attempts_retry_give_up_and_disable_with_an_event(store: Store) {
    let (a, acc) = webhook_setup(&store, "a").await;
    let flaky = endpoint(&["shipment.created"], true);
    let gone = endpoint(&["shipment.created"], true);
    let watcher = endpoint(&["webhook.disabled"], true);
    for e in [&flaky, &gone, &watcher] {
        store.insert_endpoint(&a, e, None).await.unwrap();
    }
    emit(&store, &a, &acc, 1, "shipment.created").await;
    emit(&store, &a, &acc, 2, "shipment.created").await;
    store.fan_out_events(NOW, 100).await.unwrap();
    let claimed = store.claim_deliveries(NOW, LEASE, 100).await.unwrap();
    assert_eq!(claimed.len(), 4);
    let of = |e: &EndpointRecord| {
        claimed
            .iter()
            .filter(|d| d.endpoint_id == e.id)
            .cloned()
            .collect::<Vec<_>>()
    };
    let (flaky_ds, gone_ds) = (of(&flaky), of(&gone));

    // A failure is rescheduled and starts the endpoint's failure run; giving up fails it.
    let retry_at = NOW + Duration::from_secs(5);
    store
        .record_attempts(
            &[
                outcome(&flaky_ds[0], AfterAttempt::RetryAt(retry_at), Some(500)),
                outcome(&flaky_ds[1], AfterAttempt::GiveUp, Some(500)),
            ],
            disable_rule(FIVE_DAYS),
        )
        .await
        .unwrap();
    let d0 = store
        .get_delivery(&a, &flaky.id, &flaky_ds[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d0.status.as_str(), d0.attempts, d0.next_attempt_at),
        ("pending", 1, Some(retry_at))
    );
    let d1 = store
        .get_delivery(&a, &flaky.id, &flaky_ds[1].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d1.status, "failed");
    let f = store.get_endpoint(&a, &flaky.id).await.unwrap().unwrap();
    assert_eq!(f.failing_since, Some(NOW));
    assert!(f.enabled, "one bad minute does not disable");
    assert_eq!(
        store
            .list_deliveries(&a, &flaky.id, Some(DeliveryStatus::Failed), None, 10)
            .await
            .unwrap()
            .len(),
        1,
        "status filter"
    );
    // Not due before its time; due after.
    assert!(
        store
            .claim_deliveries(NOW + Duration::from_secs(4), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let retry = store.claim_deliveries(retry_at, LEASE, 10).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);

    // 410 Gone disables at once: its other pending delivery fails, and the tenant's other
    // endpoints hear of it.
    store
        .record_attempts(
            &[outcome(&gone_ds[0], AfterAttempt::Gone, Some(410))],
            disable_rule(FIVE_DAYS),
        )
        .await
        .unwrap();
    let g = store.get_endpoint(&a, &gone.id).await.unwrap().unwrap();
    assert!(!g.enabled);
    assert!(g.disabled_reason.as_deref().unwrap().contains("410"));
    let other = store
        .get_delivery(&a, &gone.id, &gone_ds[1].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.status, "failed");
    let events = store.list_events(&a, None, 100).await.unwrap();
    let disabled: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "webhook.disabled")
        .collect();
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].data["id"], gone.id.as_str());
    store.fan_out_events(NOW, 100).await.unwrap();
    let heard = store
        .list_deliveries(&a, &watcher.id, None, None, 10)
        .await
        .unwrap();
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].event_type, "webhook.disabled");

    // Failing continuously for the configured time disables too; a success in between resets.
    let later = NOW + Duration::from_secs(3600);
    let mut r = outcome(&retry[0], AfterAttempt::RetryAt(later), Some(503));
    r.at = later;
    store
        .record_attempts(&[r], disable_rule(Duration::from_secs(3600)))
        .await
        .unwrap();
    let f = store.get_endpoint(&a, &flaky.id).await.unwrap().unwrap();
    assert!(!f.enabled, "an hour of failures with a one-hour limit");
    assert!(
        f.disabled_reason
            .unwrap()
            .contains("every attempt failed since")
    );
    let events = store.list_events(&a, None, 100).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "webhook.disabled")
            .count(),
        2
    );
}

async fn webhook_resend_and_recover_requeue_what_an_endpoint_missed(store: Store) {
    let (a, acc) = webhook_setup(&store, "a").await;
    let mut e = endpoint(&["shipment.created"], true);
    store.insert_endpoint(&a, &e, None).await.unwrap();
    emit(&store, &a, &acc, 1, "shipment.created").await;
    store.fan_out_events(NOW, 100).await.unwrap();
    let d = store
        .claim_deliveries(NOW, LEASE, 10)
        .await
        .unwrap()
        .remove(0);
    store
        .record_attempts(
            &[outcome(&d, AfterAttempt::GiveUp, Some(500))],
            disable_rule(FIVE_DAYS),
        )
        .await
        .unwrap();

    // Resend: one more attempt now, one-shot.
    let idem = IdemCompletion {
        status: 202,
        body: "{}".into(),
        ..done("k1", "me")
    };
    begin(&store, &a, "k1", "h").await;
    assert!(
        store
            .resend_delivery(&a, &e.id, &d.id, NOW, Some(&idem))
            .await
            .unwrap()
    );
    assert!(matches!(
        begin(&store, &a, "k1", "h").await,
        IdemBegin::Replay { .. }
    ));
    let again = store.claim_deliveries(NOW, LEASE, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].one_shot);
    assert_eq!(
        again[0].event_id, d.event_id,
        "the same event, so the same webhook-id"
    );
    store
        .record_attempts(
            &[outcome(&again[0], AfterAttempt::GiveUp, Some(500))],
            disable_rule(FIVE_DAYS),
        )
        .await
        .unwrap();

    // Disabled meanwhile: events pass it by; resend is refused.
    e.enabled = false;
    store.update_endpoint(&a, &e).await.unwrap();
    assert!(
        !store
            .resend_delivery(&a, &e.id, &d.id, NOW, None)
            .await
            .unwrap()
    );
    emit(&store, &a, &acc, 2, "shipment.created").await;
    emit(&store, &a, &acc, 3, "shipment.voided").await;
    store.fan_out_events(NOW, 100).await.unwrap();
    assert_eq!(
        store
            .list_deliveries(&a, &e.id, None, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // Re-enabled and recovered: the failed delivery and the missed subscribed event, once each.
    e.enabled = true;
    store.update_endpoint(&a, &e).await.unwrap();
    // Under an idempotency key, whose answer (the count) is stored with the requeue.
    assert_eq!(
        begin(&store, &a, "recover-1", "h").await,
        IdemBegin::Started
    );
    let answer = |n: u64| IdemCompletion {
        key: "recover-1".into(),
        owner: "me".into(),
        status: 202,
        body: format!(r#"{{"queued":{n}}}"#),
    };
    let n = store
        .recover_endpoint(
            &a,
            &e,
            RecoverFrom::Time(NOW - time::Duration::minutes(1)),
            NOW,
            &|n| Some(answer(n)),
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        begin(&store, &a, "recover-1", "h").await,
        IdemBegin::Replay {
            status: 202,
            body: r#"{"queued":2}"#.into()
        }
    );
    let queued = store.claim_deliveries(NOW, LEASE, 10).await.unwrap();
    assert_eq!(queued.len(), 2);
    assert!(
        queued
            .iter()
            .all(|q| q.one_shot && q.event_type == "shipment.created")
    );
    // From an event id: only what came after it (nothing is failed or missing any more).
    for q in &queued {
        store
            .record_attempts(
                &[outcome(q, AfterAttempt::Succeeded, Some(200))],
                disable_rule(FIVE_DAYS),
            )
            .await
            .unwrap();
    }
    let n = store
        .recover_endpoint(&a, &e, RecoverFrom::After(d.event_id.clone()), NOW, &|_| {
            None
        })
        .await
        .unwrap();
    assert_eq!(n, 0);
    // Another tenant cannot touch the delivery.
    let (b, _) = webhook_setup(&store, "b").await;
    assert!(
        !store
            .resend_delivery(&b, &e.id, &d.id, NOW, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .get_delivery(&b, &e.id, &d.id)
            .await
            .unwrap()
            .is_none()
    );
}

/// Names are parsed once, where rows are read: one the hub does not know is a corrupt row,
/// said with the column and the name, not passed on as a string.
async fn an_unknown_name_in_a_row_is_corrupt(store: Store) {
    let (a, acc) = webhook_setup(&store, "a").await;
    let e = endpoint(&["*"], true);
    store.insert_endpoint(&a, &e, None).await.unwrap();
    emit(&store, &a, &acc, 1, "shipment.created").await;
    assert_eq!(store.fan_out_events(NOW, 10).await.unwrap(), 1);
    let corrupt = |r: Result<usize>| match r {
        Err(StoreError::Corrupt(why)) => why,
        other => panic!("{other:?}"),
    };

    sqlx::query("UPDATE webhook_deliveries SET status = 'lost'")
        .execute(&store.writer)
        .await
        .unwrap();
    let listed = store.list_deliveries(&a, &e.id, None, None, 10).await;
    assert_eq!(
        corrupt(listed.map(|l| l.len())),
        "status: unknown DeliveryStatus `lost`"
    );

    sqlx::query("UPDATE events SET type = 'shipment.lost'")
        .execute(&store.writer)
        .await
        .unwrap();
    let listed = store.list_events(&a, None, 10).await;
    assert_eq!(
        corrupt(listed.map(|l| l.len())),
        "type: unknown EventType `shipment.lost`"
    );
}

async fn webhook_endpoints_are_tenant_scoped_rotate_and_delete(store: Store) {
    let (a, acc) = webhook_setup(&store, "a").await;
    let (b, _) = webhook_setup(&store, "b").await;
    let e = endpoint(&["shipment.created", "shipment.voided"], true);
    store.insert_endpoint(&a, &e, None).await.unwrap();
    let got = store.get_endpoint(&a, &e.id).await.unwrap().unwrap();
    assert_eq!(got.events.names(), ["shipment.created", "shipment.voided"]);
    assert_eq!(got.secret, e.secret);
    assert!(store.get_endpoint(&b, &e.id).await.unwrap().is_none());
    assert!(store.list_endpoints(&b).await.unwrap().is_empty());

    let new = (vec![3; 12], vec![4; 40]);
    let until = NOW + Duration::from_secs(3600);
    assert!(
        !store
            .rotate_endpoint_secret(&b, &e.id, &new, until, NOW, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .rotate_endpoint_secret(&a, &e.id, &new, until, NOW, None)
            .await
            .unwrap()
    );
    let got = store.get_endpoint(&a, &e.id).await.unwrap().unwrap();
    assert_eq!(got.secret, new);
    assert_eq!(got.old_secret, Some(e.secret.clone()));
    assert_eq!(got.old_secret_expires_at, Some(until));

    // The old secret travels with claimed deliveries until it expires.
    emit(&store, &a, &acc, 1, "shipment.created").await;
    store.fan_out_events(NOW, 100).await.unwrap();
    let d = store
        .claim_deliveries(NOW, LEASE, 10)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(d.secret, new);
    assert_eq!(d.old_secret, Some(e.secret.clone()));

    // Deleting cancels what is pending and hides the endpoint.
    assert!(!store.delete_endpoint(&b, &e.id, NOW).await.unwrap());
    assert!(store.delete_endpoint(&a, &e.id, NOW).await.unwrap());
    assert!(store.get_endpoint(&a, &e.id).await.unwrap().is_none());
    let list = store
        .list_deliveries(&a, &e.id, None, None, 10)
        .await
        .unwrap();
    assert_eq!(list[0].status, "cancelled");
    assert!(
        store
            .claim_deliveries(NOW + Duration::from_secs(120), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn rate_card_versions_are_replaced_by_date_and_stay_tenant_scoped(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    assert!(
        store
            .put_rate_card(&a, "ground", "2026-01-05", "v1", NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .put_rate_card(&a, "ground", "2026-07-01", "v2", NOW)
            .await
            .unwrap()
    );
    // the same date replaces, and says so
    assert!(
        !store
            .put_rate_card(&a, "ground", "2026-01-05", "v1b", NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .put_rate_card(&a, "air", "2026-01-01", "x", NOW)
            .await
            .unwrap()
    );
    let versions = store.rate_card_versions(&a, "ground").await.unwrap();
    let bodies: Vec<_> = versions.iter().map(|v| v.body.as_str()).collect();
    assert_eq!(bodies, ["v1b", "v2"]);
    let names: Vec<_> = store
        .list_rate_cards(&a)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, ["air", "ground", "ground"]);
    assert!(
        store
            .rate_card_versions(&b, "ground")
            .await
            .unwrap()
            .is_empty()
    );
}

#[path = "tests_batch_print.rs"]
mod batch_print_suite;
#[path = "tests_console_ops.rs"]
mod console_ops_suite;
#[path = "tests_console_shipments.rs"]
mod console_shipments_suite;
#[path = "tests_instances.rs"]
mod instances_suite;
#[path = "tests_invoices.rs"]
mod invoices_suite;
#[path = "tests_routing.rs"]
mod routing_suite;
#[path = "tests_streams.rs"]
mod streams_suite;

/// Issue 19: the scheduler records one call's answers in one transaction. Each tracker gets
/// exactly its new scans (a scan stored before, or repeated in the answer, is not new), its
/// own next state and events, and its lease released; a tracker that is gone is `None` and
/// costs the others nothing.
async fn a_poll_records_its_trackers_together_each_with_its_own_fresh_scans(store: Store) {
    use shiphub_carriers::model::{TrackingEvent, TrackingStatus};
    let t = tenant(&store, "polls").await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    let policy = crate::tracking::PollPolicy::default();
    let new = |n: &str| {
        let mut tr = crate::tracking::new_tracker(
            &policy,
            NOW,
            n,
            "sandbox",
            Some(acc.id.clone()),
            None,
            None,
            None,
        );
        tr.next_check_at = Some(NOW);
        tr
    };
    let (a, b) = (new("SB0000000015"), new("SB0000000023"));
    store
        .insert_trackers(&t, &[a.clone(), b.clone()])
        .await
        .unwrap();
    let scan = |minutes: i64, code: &str, status| TrackingEvent {
        occurred_at: NOW + time::Duration::minutes(minutes),
        status,
        carrier_code: code.into(),
        sub_status: None,
        description: format!("scan {code}"),
        location: None,
    };
    let picked = scan(1, "PU", TrackingStatus::InTransit);
    let delivered = scan(2, "DL", TrackingStatus::Delivered);
    // `b` has its pickup scan already.
    store
        .record_tracking(&t, &b.id, None, std::slice::from_ref(&picked), |o, f| {
            crate::tracking::decide(&policy, NOW, o, f, None)
        })
        .await
        .unwrap();
    let claimed = store
        .claim_due_trackers(
            &acc.id,
            "me",
            NOW + time::Duration::days(1),
            std::time::Duration::from_secs(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    let gone = crate::ids::TrackerId::generate();
    let a_scans = [picked.clone(), delivered.clone(), picked.clone()];
    let b_scans = [picked.clone()];
    let mut seen = vec![];
    let recorded = store
        .record_polls(
            "me",
            &[
                (&t, &a.id, &a_scans[..]),
                (&t, &gone, &b_scans[..]),
                (&t, &b.id, &b_scans[..]),
            ],
            |i, old, fresh| {
                seen.push((
                    i,
                    old.id.clone(),
                    fresh
                        .iter()
                        .map(|e| e.carrier_code.clone())
                        .collect::<Vec<_>>(),
                ));
                crate::tracking::decide(&policy, NOW, old, fresh, None)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        seen,
        [
            (0, a.id.clone(), vec!["PU".to_string(), "DL".to_string()]),
            (2, b.id.clone(), vec![])
        ]
    );
    let [Some(ra), None, Some(rb)] = &recorded[..] else {
        panic!("{recorded:?}");
    };
    assert_eq!(ra.status, TrackingStatus::Delivered);
    assert_eq!(ra.next_check_at, None);
    assert_eq!(rb.status, TrackingStatus::InTransit);
    let stored = store.tracking_events(&a.id).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|e| e.carrier_code.as_str())
            .collect::<Vec<_>>(),
        ["PU", "DL"]
    );
    assert_eq!(store.tracking_events(&b.id).await.unwrap().len(), 1);
    // What was stored is what was answered.
    assert_eq!(
        store.get_tracker(&t, &a.id).await.unwrap().as_ref(),
        Some(ra)
    );
    // Both leases released: `b`, still polled, is claimable once due again.
    let later = rb.next_check_at.unwrap();
    let again = store
        .claim_due_trackers(
            &acc.id,
            "other",
            later,
            std::time::Duration::from_secs(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|c| &c.tracker.id).collect::<Vec<_>>(),
        [&b.id]
    );
    // `a`'s events: updated and delivered, one of each; `b` had nothing new to say.
    let kinds: Vec<String> = store
        .list_events(&t, None, 100)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.subject_id == a.id.to_string())
        .map(|e| e.kind.as_str().to_string())
        .collect();
    assert_eq!(kinds, ["tracker.updated", "shipment.delivered"]);
}

/// Issue 15: carriers reuse numbers. A purchase whose number the tenant already follows gets
/// its own tracker; the old one is closed (`superseded_by`, not polled, its scans kept) and
/// the number stays unique among open trackers only.
async fn a_purchase_of_a_followed_number_closes_the_old_tracker_and_keeps_its_scans(store: Store) {
    use shiphub_carriers::model::{TrackingEvent, TrackingStatus};
    let t = tenant(&store, "reuse").await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    let policy = crate::tracking::PollPolicy::default();
    let number = "SB0000000007";
    // Followed from elsewhere, with a scan.
    let old = crate::tracking::new_tracker(
        &policy,
        NOW,
        number,
        "sandbox",
        Some(acc.id.clone()),
        None,
        None,
        None,
    );
    assert!(store.insert_tracker(&t, &old, None).await.unwrap().1);
    let scan = TrackingEvent {
        occurred_at: NOW,
        status: TrackingStatus::InTransit,
        carrier_code: "AR".into(),
        sub_status: None,
        description: "Arrived".into(),
        location: None,
    };
    store
        .record_tracking(
            &t,
            &old.id,
            None,
            std::slice::from_ref(&scan),
            |o, fresh| crate::tracking::decide(&policy, NOW, o, fresh, None),
        )
        .await
        .unwrap();
    // Following it again answers the same tracker.
    let again = crate::tracking::new_tracker(
        &policy,
        NOW,
        number,
        "sandbox",
        Some(acc.id.clone()),
        None,
        None,
        None,
    );
    // Under an Idempotency-Key: the key is not completed with the answer of a tracker that
    // was not stored (the caller answers the open one and completes the key with that).
    assert_eq!(begin(&store, &t, "again", "h").await, IdemBegin::Started);
    let (found, created) = store
        .insert_tracker(&t, &again, Some(&done("again", "me")))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(found.id, old.id);
    assert_eq!(
        begin(&store, &t, "again", "h").await,
        IdemBegin::InProgress { expired: false }
    );
    assert_eq!(
        store
            .polled_trackers_by_account(&t, "sandbox")
            .await
            .unwrap()[&acc.id],
        1
    );

    // Bought here under the same number.
    let bought = ShipmentRecord {
        tracking_number: number.parse().unwrap(),
        ..shipment(&acc.id, 1)
    };
    let mut mine = crate::tracking::new_tracker(
        &policy,
        NOW,
        number,
        "sandbox",
        Some(acc.id.clone()),
        Some(bought.id.clone()),
        None,
        None,
    );
    mine.ship_date = Some("2026-11-22".into());
    store
        .insert_shipment_with(
            &t,
            &bought,
            &[],
            &[],
            ShipmentExtras {
                job: None,
                tracker: Some(&mine),
            },
            None,
        )
        .await
        .unwrap();
    let closed = store.get_tracker(&t, &old.id).await.unwrap().unwrap();
    assert_eq!(closed.superseded_by, Some(mine.id.clone()));
    assert_eq!(closed.next_check_at, None);
    assert_eq!(closed.status, TrackingStatus::InTransit);
    assert_eq!(
        store.tracking_events(&old.id).await.unwrap(),
        vec![scan.clone()]
    );
    let open = store
        .find_tracker(&t, "sandbox", number, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(open.id, mine.id);
    assert_eq!(open.shipment_id, Some(bought.id.clone()));
    assert_eq!(open.ship_date.as_deref(), Some("2026-11-22"));
    assert!(
        store.tracking_events(&mine.id).await.unwrap().is_empty(),
        "never merged"
    );
    assert_eq!(
        store
            .tracker_for_shipment(&t, &bought.id)
            .await
            .unwrap()
            .unwrap()
            .id,
        mine.id
    );
    // A poll of the closed tracker that was in flight records its scans but never reopens it.
    store
        .record_tracking(&t, &old.id, None, &[], |o, fresh| {
            crate::tracking::decide(&policy, NOW, o, fresh, None)
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .get_tracker(&t, &old.id)
            .await
            .unwrap()
            .unwrap()
            .next_check_at,
        None
    );
    assert_eq!(
        store.list_trackers(&t, None, None, 10).await.unwrap().len(),
        2
    );
}

/// Issue 17: a tracker keeps the network an aggregator tracks its number in; the same number in
/// another network (or in none) is another open tracker, the same one again is the existing
/// tracker; a claimed tracker carries its network to the scheduler; the push subscription's
/// time is kept.
async fn one_number_in_two_networks_is_two_trackers_and_a_subscription_is_kept(store: Store) {
    let t = tenant(&store, "networks").await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    let policy = crate::tracking::PollPolicy::default();
    let number = "773312345678901";
    let follow = |network: Option<&str>| {
        let mut tr = crate::tracking::new_tracker(
            &policy,
            NOW,
            number,
            "sandbox",
            Some(acc.id.clone()),
            None,
            None,
            None,
        );
        tr.network = network.map(str::to_string);
        tr.next_check_at = Some(NOW);
        tr
    };
    let zto = follow(Some("zhongtong"));
    let (stored, created) = store.insert_tracker(&t, &zto, None).await.unwrap();
    assert!(created);
    assert_eq!(stored.network.as_deref(), Some("zhongtong"));
    assert_eq!(stored.subscribed_at, None);
    let yto = follow(Some("yuantong"));
    let (other, created) = store.insert_tracker(&t, &yto, None).await.unwrap();
    assert!(created, "another network is another parcel");
    assert_ne!(other.id, stored.id);
    let bare = follow(None);
    assert!(store.insert_tracker(&t, &bare, None).await.unwrap().1);
    // The same network again (and no network again) answers the open tracker.
    let (again, created) = store
        .insert_tracker(&t, &follow(Some("zhongtong")), None)
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, zto.id);
    let (again, created) = store.insert_tracker(&t, &follow(None), None).await.unwrap();
    assert!(!created);
    assert_eq!(again.id, bare.id);
    for (network, id) in [
        (Some("zhongtong"), &zto.id),
        (Some("yuantong"), &yto.id),
        (None, &bare.id),
    ] {
        let found = store
            .find_tracker(&t, "sandbox", number, network)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&found.id, id, "{network:?}");
    }
    assert_eq!(
        store
            .open_trackers_of_number(&t, "sandbox", number)
            .await
            .unwrap()
            .len(),
        3
    );
    // The scheduler's claim carries the network.
    let claimed = store
        .claim_due_trackers(
            &acc.id,
            "me",
            NOW + time::Duration::days(1),
            std::time::Duration::from_secs(30),
            10,
        )
        .await
        .unwrap();
    let mut networks: Vec<Option<String>> =
        claimed.iter().map(|c| c.tracker.network.clone()).collect();
    networks.sort();
    assert_eq!(
        networks,
        vec![None, Some("yuantong".into()), Some("zhongtong".into())]
    );
    let later = NOW + time::Duration::hours(16);
    store
        .mark_tracker_subscribed(&t, &zto.id, NOW, later)
        .await
        .unwrap();
    let got = store.get_tracker(&t, &zto.id).await.unwrap().unwrap();
    assert_eq!(got.subscribed_at, Some(NOW));
    assert_eq!(got.next_check_at, Some(later));
    let untouched = store.get_tracker(&t, &yto.id).await.unwrap().unwrap();
    assert_eq!(untouched.subscribed_at, None);
}

/// Issue 17: a pull from a carrier's billing API asks about the tenant's shipments bought on the
/// account in the period (from included, to excluded), voided ones too, oldest first; never
/// another account's or another tenant's.
async fn a_pull_asks_about_the_shipments_of_its_account_and_period_only(store: Store) {
    let t = tenant(&store, "pull").await;
    let other_tenant = tenant(&store, "pull-other").await;
    let acc = account();
    let other_acc = account();
    let foreign = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    store.insert_account(&t, &other_acc, None).await.unwrap();
    store
        .insert_account(&other_tenant, &foreign, None)
        .await
        .unwrap();
    let day = time::Duration::days(1);
    let bought = |account: &AccountId, n: u32, at: OffsetDateTime| ShipmentRecord {
        created_at: at,
        updated_at: at,
        ..shipment(account, n)
    };
    let mine = [
        bought(&acc.id, 1, NOW - day),
        bought(&acc.id, 2, NOW + time::Duration::hours(1)),
        bought(&acc.id, 3, NOW),
        bought(&acc.id, 4, NOW + day),
        bought(&other_acc.id, 5, NOW),
    ];
    for s in &mine {
        store.insert_shipment(&t, s, &[], &[], None).await.unwrap();
    }
    store
        .insert_shipment(&other_tenant, &bought(&foreign.id, 6, NOW), &[], &[], None)
        .await
        .unwrap();
    // A voided label may still be billed: it is asked about.
    assert!(
        store
            .void_shipment(&t, &mine[2].id, NOW + time::Duration::hours(2), &[], None)
            .await
            .unwrap()
    );
    let numbers = store
        .shipment_numbers_of_account(&t, &acc.id, NOW, NOW + day)
        .await
        .unwrap();
    assert_eq!(numbers, ["SB0000000003", "SB0000000002"]);
    assert!(
        store
            .shipment_numbers_of_account(&other_tenant, &acc.id, NOW - day, NOW + day * 2)
            .await
            .unwrap()
            .is_empty()
    );
    // SF Express's days are China Standard Time: bought 2026-03-31T20:00Z is 1 April there,
    // so a pull of 1 April asks about it and a pull of 31 March does not.
    let cst = crate::reconcile::local_offset("sf_express");
    let late = bought(&acc.id, 7, datetime!(2026-03-31 20:00 UTC));
    store
        .insert_shipment(&t, &late, &[], &[], None)
        .await
        .unwrap();
    let (a, b) = crate::reconcile::period_bounds(
        cst,
        time::macros::date!(2026 - 04 - 01),
        time::macros::date!(2026 - 04 - 01),
    );
    assert_eq!(
        store
            .shipment_numbers_of_account(&t, &acc.id, a, b)
            .await
            .unwrap(),
        ["SB0000000007"]
    );
    let (a, b) = crate::reconcile::period_bounds(
        cst,
        time::macros::date!(2026 - 03 - 31),
        time::macros::date!(2026 - 03 - 31),
    );
    assert!(
        store
            .shipment_numbers_of_account(&t, &acc.id, a, b)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Migration 0028 on both stores: a rendition is read back byte for byte under its own key only
/// (format, stock, dpi, piece, tenant), and a second write of the same key keeps the first.
async fn label_renditions_are_stored_once_per_key_and_stay_tenant_scoped(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    let s = shipment(&acc.id, 1);
    store.insert_shipment(&a, &s, &[], &[], None).await.unwrap();
    let key = RenditionKey {
        shipment_id: s.id.clone(),
        piece: 0,
        format: "pdf",
        stock: "4x6",
        dpi: 203,
    };
    assert_eq!(store.get_rendition(&a, &key).await.unwrap(), None);
    let pdf: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    store.put_rendition(&a, &key, &pdf, NOW).await.unwrap();
    store.put_rendition(&a, &key, b"other", NOW).await.unwrap();
    assert_eq!(store.get_rendition(&a, &key).await.unwrap(), Some(pdf));
    assert_eq!(store.get_rendition(&b, &key).await.unwrap(), None);
    for other in [
        RenditionKey {
            format: "png",
            ..key.clone()
        },
        RenditionKey {
            stock: "4x8",
            ..key.clone()
        },
        RenditionKey {
            dpi: 300,
            ..key.clone()
        },
        RenditionKey {
            piece: 1,
            ..key.clone()
        },
    ] {
        assert_eq!(
            store.get_rendition(&a, &other).await.unwrap(),
            None,
            "{other:?}"
        );
    }
}

async fn operator_gauges_count_queued_jobs_silent_stations_and_keys_in_flight(store: Store) {
    let limits = GaugeLimits {
        station_offline_after: Duration::from_secs(120),
        tracker_overdue_after: Duration::from_secs(900),
    };
    let empty = store.sample_gauges(NOW, limits).await.unwrap();
    assert_eq!(empty, GaugeSample::default());

    let (t, st, s) = print_setup(&store, "gauges").await;
    let hour = Duration::from_secs(3600);
    for _ in 0..5 {
        store
            .insert_print_job(&t, &job(&st.id, &s.id, hour), None)
            .await
            .unwrap();
    }
    // Three handed to the agent: two still queued.
    store
        .claim_print_jobs(&t, &st.id, NOW, NOW - Duration::from_secs(60), 3)
        .await
        .unwrap();
    begin(&store, &t, "in-flight", "h1").await;
    let sample = store.sample_gauges(NOW, limits).await.unwrap();
    assert_eq!(sample.print_queue, vec![(st.id.to_string(), 2)]);
    assert_eq!(sample.idempotency_in_flight, 1);
    assert_eq!(sample.webhook_backlog, 0);
    assert_eq!(sample.webhook_oldest_due_seconds, 0.0);
    assert!(sample.trackers_overdue.is_empty());
    // Whatever the agent did, past the window it is silent: offline.
    let later = store
        .sample_gauges(NOW + Duration::from_secs(121), limits)
        .await
        .unwrap();
    assert_eq!(later.stations_offline, 1, "silent for over 120 s");
}
#[path = "tests_users.rs"]
mod users_suite;

/// Concurrent follows, as `POST /v1/trackers` makes them (SQLite writes them together, in
/// batches): each number gets one tracker and every request for it is answered with that one; a
/// key completes only with a tracker its own request created; a request whose key was taken
/// over meanwhile fails alone, storing nothing.
async fn concurrent_follows_create_one_tracker_per_number_and_complete_only_their_keys(
    store: Store,
) {
    let t = tenant(&store, "follows").await;
    let policy = crate::tracking::PollPolicy::default();
    // 120 requests for 80 numbers: numbers 0..40 asked twice (requests i and i + 80). Request 50
    // (number 50, asked once) holds no key: its completion fails.
    for i in (0..120).filter(|&i| i != 50) {
        assert_eq!(
            begin(&store, &t, &format!("k{i}"), "h").await,
            IdemBegin::Started
        );
    }
    let (_, members_before) = store.group_commits();
    let mut asks = tokio::task::JoinSet::new();
    for i in 0..120usize {
        let (store, t) = (store.clone(), t.clone());
        let tracker = crate::tracking::new_tracker(
            &policy,
            NOW,
            &format!("SB{:010}", 500 + i % 80),
            "sandbox",
            None,
            None,
            None,
            None,
        );
        asks.spawn(async move {
            let r = store
                .insert_tracker(&t, &tracker, Some(&done(&format!("k{i}"), "me")))
                .await;
            (i, r)
        });
    }
    let mut by_number: std::collections::BTreeMap<usize, Vec<(usize, TrackerRecord, bool)>> =
        Default::default();
    while let Some(done) = asks.join_next().await {
        let (i, r) = done.unwrap();
        match r {
            Ok((tr, created)) => by_number.entry(i % 80).or_default().push((i, tr, created)),
            Err(e) => {
                assert_eq!(i, 50, "{e}");
                assert!(matches!(e, StoreError::LeaseLost(_)), "{e:?}");
            }
        }
    }
    if store.backend == Backend::Sqlite {
        // Written together: a few batches, and the one holding request 50 again one by one.
        let members = store.group_commits().1 - members_before;
        assert!(
            members <= 60,
            "{members} group-commit members for 120 follows"
        );
    }
    assert!(
        !by_number.contains_key(&50),
        "the failed request stored nothing"
    );
    assert_eq!(by_number.len(), 79);
    for (number, answers) in &by_number {
        let created: Vec<_> = answers.iter().filter(|a| a.2).collect();
        assert_eq!(created.len(), 1, "number {number}: {answers:?}");
        assert!(
            answers.iter().all(|a| a.1.id == created[0].1.id),
            "number {number}"
        );
        for (i, _, made) in answers {
            let key = begin(&store, &t, &format!("k{i}"), "h").await;
            if *made {
                assert!(matches!(key, IdemBegin::Replay { .. }), "k{i}: {key:?}");
            } else {
                assert_eq!(key, IdemBegin::InProgress { expired: false }, "k{i}");
            }
        }
    }
    let stored = store.list_trackers(&t, None, None, 500).await.unwrap();
    assert_eq!(stored.len(), 79);
}
