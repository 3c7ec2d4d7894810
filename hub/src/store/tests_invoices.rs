//! Freight reconciliation in the store, on both backends: an import counts only once
//! completed, a failed or abandoned one leaves nothing behind, and the audit's lookups find
//! shipments (with their trackers) by tracking number or reference within one tenant.

use rust_decimal_macros::dec;
use time::Duration;

use super::{NOW, account, on_postgres, shipment, sqlite_store, tenant};
use crate::ids::{ReconciliationId, TenantId};
use crate::store::{
    Billing, FileChunk, InvoicePackageRow, NewEvent, NewPull, PullProgress, PullSettled,
    ReconciliationDone, ReconciliationRecord, ReconciliationStatus, ShipmentExtras, Store,
};

both_backends!(
    an_import_counts_only_once_completed_and_a_failed_one_leaves_nothing,
    abandoned_imports_are_failed_and_removed_by_the_sweep,
    audit_lookups_find_shipments_with_their_trackers_within_a_tenant,
    a_pull_is_leased_taken_over_once_its_lease_runs_out_and_settles_whole,
    a_failed_pull_keeps_its_problem_and_nothing_else,
);

type Facts = crate::store::ShipmentFacts<serde_json::Value>;

fn rec(sha: &str) -> ReconciliationRecord {
    ReconciliationRecord::running("ups", sha.into(), 10, None, NOW)
}

fn row(invoice: &str, tracking: &str, bills: bool) -> InvoicePackageRow {
    InvoicePackageRow {
        invoice_number: invoice.into(),
        // One package without a date: the store keeps what the file gave.
        invoice_date: (tracking != "1ZLAST").then(|| "2026-11-21".into()),
        tracking_number: tracking.into(),
        shipment_id: None,
        bills_shipment: bills,
        billed: "24.84".into(),
        recoverable: "0".into(),
        reasons: String::new(),
    }
}

fn done() -> ReconciliationDone {
    ReconciliationDone {
        lines: 4,
        packages: 3,
        error_count: 1,
        summary: r#"{"report":{}}"#.into(),
    }
}

fn event(id: &ReconciliationId) -> NewEvent {
    NewEvent {
        kind: crate::events::EventType::ReconciliationCompleted,
        subject_id: id.to_string(),
        data: serde_json::json!({"id": id.to_string()}),
    }
}

async fn earlier(store: &Store, t: &TenantId, numbers: &[&str]) -> Vec<Billing> {
    let numbers: Vec<String> = numbers.iter().map(|s| s.to_string()).collect();
    let mut v = store.earlier_billings(t, &numbers).await.unwrap();
    v.sort();
    v
}

async fn an_import_counts_only_once_completed_and_a_failed_one_leaves_nothing(store: Store) {
    let t = tenant(&store, "a").await;
    let other = tenant(&store, "b").await;
    let r = rec("aaa");
    store.begin_reconciliation(&t, &r, None).await.unwrap();
    // Two batches, the first with more rows than one multi-row INSERT takes.
    let many: Vec<InvoicePackageRow> = (0..450)
        .map(|i| row("INV1", &format!("1Z{i:04}"), i != 1))
        .collect();
    let chunk = |seq, content: &[u8]| FileChunk {
        kind: "report.csv",
        seq,
        content: content.to_vec(),
    };
    store
        .add_to_reconciliation(&t, &r.id, 0, &many, &[chunk(0, b"line,")], NOW)
        .await
        .unwrap();
    store
        .add_to_reconciliation(
            &t,
            &r.id,
            450,
            &[row("INV1", "1ZLAST", true)],
            &[chunk(1, b"x\n")],
            NOW,
        )
        .await
        .unwrap();
    assert!(
        earlier(&store, &t, &["1Z0000"]).await.is_empty(),
        "a running import's billings must not count"
    );
    assert_eq!(
        store
            .reconciliation_file_chunk(&t, &r.id, "report.csv", 0)
            .await
            .unwrap(),
        None,
        "a running import's reports must not be served"
    );
    let of_file = store
        .reconciliation_of_file(&t, "ups", "aaa")
        .await
        .unwrap();
    assert_eq!(
        of_file.map(|x| x.status.as_str().to_string()),
        Some("running".to_string())
    );

    assert!(
        store
            .complete_reconciliation(&t, &r.id, &done(), &event(&r.id), NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .complete_reconciliation(&t, &r.id, &done(), &event(&r.id), NOW)
            .await
            .unwrap()
    );
    assert_eq!(
        earlier(&store, &t, &["1Z0000", "1Z0001", "1ZLAST", "1ZNONE"]).await,
        vec![
            (
                "1Z0000".to_string(),
                "INV1".to_string(),
                Some("2026-11-21".to_string())
            ),
            ("1ZLAST".to_string(), "INV1".to_string(), None)
        ],
        "only packages that bill the shipment charge, of completed imports"
    );
    assert!(earlier(&store, &other, &["1Z0000"]).await.is_empty());
    let mut file = Vec::new();
    for seq in 0.. {
        match store
            .reconciliation_file_chunk(&t, &r.id, "report.csv", seq)
            .await
            .unwrap()
        {
            Some(c) => file.extend(c),
            None => break,
        }
    }
    assert_eq!(file, b"line,x\n");
    assert_eq!(
        store
            .reconciliation_file_chunk(&other, &r.id, "report.csv", 0)
            .await
            .unwrap(),
        None
    );
    let got = store.get_reconciliation(&t, &r.id).await.unwrap().unwrap();
    assert_eq!(
        (
            got.status.as_str(),
            got.lines,
            got.packages,
            got.error_count
        ),
        ("completed", 4, 3, 1)
    );
    assert!(got.completed_at.is_some());
    assert!(
        store
            .get_reconciliation(&other, &r.id)
            .await
            .unwrap()
            .is_none()
    );
    let events = store.list_events(&t, None, 10).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "reconciliation.completed")
            .count(),
        1
    );

    // A failed import: its rows and files are gone, the same file may be imported again.
    let f = rec("bbb");
    store.begin_reconciliation(&t, &f, None).await.unwrap();
    store
        .add_to_reconciliation(
            &t,
            &f.id,
            0,
            &[row("INV2", "1ZFAIL", true)],
            &[chunk(0, b"y")],
            NOW,
        )
        .await
        .unwrap();
    store
        .fail_reconciliation(&t, &f.id, "broken file", NOW)
        .await
        .unwrap();
    let failed = store.get_reconciliation(&t, &f.id).await.unwrap().unwrap();
    assert_eq!(failed.status.as_str(), "failed");
    assert_eq!(failed.failure.as_deref(), Some("broken file"));
    assert!(earlier(&store, &t, &["1ZFAIL"]).await.is_empty());
    assert!(
        store
            .reconciliation_of_file(&t, "ups", "bbb")
            .await
            .unwrap()
            .is_none()
    );
    let n: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT COUNT(*) AS n FROM invoice_packages WHERE reconciliation_id = $1")
            .bind(f.id.as_str())
            .fetch_one(&store.pool)
            .await
            .unwrap(),
        "n",
    )
    .unwrap();
    assert_eq!(n, 0);
    assert!(
        store
            .add_to_reconciliation(&t, &f.id, 1, &[row("INV2", "1ZLATE", true)], &[], NOW)
            .await
            .is_err(),
        "nothing is added to an import that is no longer running"
    );
    let listed = store.list_reconciliations(&t, None, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|x| &x.id).collect::<Vec<_>>(),
        [&f.id, &r.id]
    );
    let page2 = store
        .list_reconciliations(&t, Some(&f.id), 10)
        .await
        .unwrap();
    assert_eq!(page2.iter().map(|x| &x.id).collect::<Vec<_>>(), [&r.id]);
}

async fn abandoned_imports_are_failed_and_removed_by_the_sweep(store: Store) {
    let t = tenant(&store, "a").await;
    let stale = rec("old");
    store.begin_reconciliation(&t, &stale, None).await.unwrap();
    store
        .add_to_reconciliation(&t, &stale.id, 0, &[row("INV", "1ZOLD", true)], &[], NOW)
        .await
        .unwrap();
    let mut fresh = rec("new");
    fresh.created_at = NOW + Duration::minutes(20);
    store.begin_reconciliation(&t, &fresh, None).await.unwrap();
    let later = NOW + Duration::minutes(25);
    let swept = store
        .sweep_abandoned_reconciliations(later - Duration::minutes(10), later)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    let s = store
        .get_reconciliation(&t, &stale.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.status.as_str(), "failed");
    assert!(s.failure.unwrap().contains("abandoned"));
    let f = store
        .get_reconciliation(&t, &fresh.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.status.as_str(), "running");
    // The abandoned import cannot complete afterwards.
    assert!(
        !store
            .complete_reconciliation(&t, &stale.id, &done(), &event(&stale.id), later)
            .await
            .unwrap()
    );
}

async fn audit_lookups_find_shipments_with_their_trackers_within_a_tenant(store: Store) {
    let t = tenant(&store, "a").await;
    let other = tenant(&store, "b").await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    let acc_b = account();
    store.insert_account(&other, &acc_b, None).await.unwrap();
    let s1 = shipment(&acc.id, 1);
    let tracker = crate::tracking::new_tracker(
        &crate::tracking::PollPolicy::default(),
        NOW,
        s1.tracking_number.as_str(),
        "sandbox",
        Some(acc.id.clone()),
        Some(s1.id.clone()),
        Some(shiphub_carriers::model::ServiceClass::Overnight),
        Some(time::macros::date!(2026 - 11 - 23)),
    );
    store
        .insert_shipment_with(
            &t,
            &s1,
            &[],
            &[],
            ShipmentExtras {
                job: None,
                tracker: Some(&tracker),
            },
            None,
        )
        .await
        .unwrap();
    // Delivered, as tracking records it.
    sqlx::query("UPDATE trackers SET delivered_at = $1 WHERE shipment_id = $2")
        .bind(super::millis(NOW + Duration::days(2)))
        .bind(s1.id.as_str())
        .execute(&store.pool)
        .await
        .unwrap();
    let s2 = shipment(&acc.id, 2);
    store
        .insert_shipment(&t, &s2, &[], &[], None)
        .await
        .unwrap();
    let s_other = shipment(&acc_b.id, 3);
    store
        .insert_shipment(&other, &s_other, &[], &[], None)
        .await
        .unwrap();

    let keys = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let found: Vec<Facts> = store
        .shipment_facts_by_tracking(
            &t,
            None,
            &keys(&[
                s1.tracking_number.as_str(),
                s2.tracking_number.as_str(),
                s_other.tracking_number.as_str(),
                "NOPE",
            ]),
        )
        .await
        .unwrap();
    let id_of = |f: &Facts| f.shipment["shipment_id"].as_str().unwrap().to_string();
    let mut ids: Vec<String> = found.iter().map(id_of).collect();
    ids.sort();
    let mut want = vec![s1.id.to_string(), s2.id.to_string()];
    want.sort();
    assert_eq!(ids, want, "the other tenant's shipment must not be found");
    let f1 = found.iter().find(|f| id_of(f) == s1.id.as_str()).unwrap();
    assert_eq!(f1.delivered_at, Some(NOW + Duration::days(2)));
    assert_eq!(f1.promised_date.as_deref(), Some("2026-11-23"));
    assert_eq!(f1.service_class.as_deref(), Some("overnight"));
    assert_eq!(
        f1.shipment["total_amount"]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        dec!(12.345)
    );
    assert_eq!(f1.shipment["reference"], "ORDER-1");
    let f2 = found.iter().find(|f| id_of(f) == s2.id.as_str()).unwrap();
    assert_eq!((f2.delivered_at, f2.promised_date.as_deref()), (None, None));

    // The carrier narrows; references find what tracking numbers do not.
    let none: Vec<Facts> = store
        .shipment_facts_by_tracking(&t, Some("ups"), &keys(&[s1.tracking_number.as_str()]))
        .await
        .unwrap();
    assert!(none.is_empty());
    let by_ref: Vec<Facts> = store
        .shipment_facts_by_reference(&t, Some("sandbox"), &keys(&["ORDER-2", "ORDER-3"]))
        .await
        .unwrap();
    assert_eq!(by_ref.len(), 1);
    assert_eq!(id_of(&by_ref[0]), s2.id.as_str());
    let empty: Vec<Facts> = store
        .shipment_facts_by_tracking(&t, None, &[])
        .await
        .unwrap();
    assert!(empty.is_empty());
    assert_eq!(
        (&f1.shipment["request"], &f1.shipment["waybill"]),
        (
            &serde_json::json!({"a": 1}),
            &serde_json::to_value(&s1.waybill).unwrap()
        ),
        "no facts kept: request and waybill as stored"
    );
    // Facts kept at purchase are answered verbatim.
    let mut s3 = shipment(&acc.id, 3);
    s3.audit_facts = Some(format!(r#"{{"shipment_id":"{}","kept":true}}"#, s3.id));
    store
        .insert_shipment(&t, &s3, &[], &[], None)
        .await
        .unwrap();
    let kept: Vec<Facts> = store
        .shipment_facts_by_tracking(&t, None, &keys(&[s3.tracking_number.as_str()]))
        .await
        .unwrap();
    assert_eq!(kept[0].shipment["kept"], true);
}

fn pulling(asking: &str) -> ReconciliationRecord {
    let mut r = ReconciliationRecord::running("sf_express", asking.into(), 0, None, NOW);
    r.status = ReconciliationStatus::Pulling;
    r
}

async fn start_pull(store: &Store, t: &TenantId, r: &ReconciliationRecord, owner: &str) {
    let pull = NewPull {
        job: r#"{"numbers":["SF1","SF2","SF3"]}"#,
        total: 3,
        owner,
        lease_until: NOW + Duration::seconds(30),
    };
    store.begin_pull(t, r, &pull, None).await.unwrap();
}

async fn a_pull_is_leased_taken_over_once_its_lease_runs_out_and_settles_whole(store: Store) {
    let t = tenant(&store, "a").await;
    let r = pulling("pull:abc");
    start_pull(&store, &t, &r, "inst_a").await;
    let got = store.get_reconciliation(&t, &r.id).await.unwrap().unwrap();
    assert_eq!(got.status, ReconciliationStatus::Pulling);
    assert_eq!(got.pull, Some(PullProgress { done: 0, total: 3 }));
    // The same waybills asked again while it pulls are found (the API's 409).
    assert_eq!(
        store
            .reconciliation_of_file(&t, "sf_express", "pull:abc")
            .await
            .unwrap()
            .map(|e| e.id),
        Some(r.id.clone())
    );
    let t1 = NOW + Duration::seconds(1);
    assert!(
        store
            .add_pulled(
                &t,
                &r.id,
                "inst_a",
                0,
                "[1]",
                1,
                t1 + Duration::seconds(30),
                t1
            )
            .await
            .unwrap()
    );
    // Within its lease it is nobody else's.
    assert!(store.stale_pulls(t1, 10).await.unwrap().is_empty());
    assert!(
        store
            .claim_pull(&r.id, "inst_b", t1, t1 + Duration::seconds(30))
            .await
            .unwrap()
            .is_none()
    );
    // Its instance died: once the lease ran out, one claim wins and goes on from where it was.
    let later = NOW + Duration::minutes(5);
    assert_eq!(
        store.stale_pulls(later, 10).await.unwrap(),
        std::slice::from_ref(&r.id)
    );
    let claimed = store
        .claim_pull(&r.id, "inst_b", later, later + Duration::seconds(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((claimed.tenant.clone(), claimed.done), (t.clone(), 1));
    assert!(claimed.job.contains("SF3"));
    assert!(
        store
            .claim_pull(&r.id, "inst_c", later, later + Duration::seconds(30))
            .await
            .unwrap()
            .is_none(),
        "claimed twice"
    );
    // The dead owner can neither write nor renew any more.
    assert!(
        !store
            .add_pulled(&t, &r.id, "inst_a", 1, "[2]", 2, later, later)
            .await
            .unwrap()
    );
    assert!(!store.renew_pull(&r.id, "inst_a", later).await.unwrap());
    assert!(
        store
            .renew_pull(&r.id, "inst_b", later + Duration::seconds(40))
            .await
            .unwrap()
    );
    // A batch asked again after the takeover replaces what was kept of it.
    for (seq, bills) in [(0, "[10]"), (1, "[20]"), (2, "[30]")] {
        assert!(
            store
                .add_pulled(&t, &r.id, "inst_b", seq, bills, seq + 1, later, later)
                .await
                .unwrap()
        );
    }
    assert_eq!(
        store.pulled_bills(&r.id).await.unwrap(),
        ["[10]", "[20]", "[30]"]
    );
    assert_eq!(
        store
            .get_reconciliation(&t, &r.id)
            .await
            .unwrap()
            .unwrap()
            .pull,
        Some(PullProgress { done: 3, total: 3 })
    );
    // Bills an earlier import has: settled as a duplicate, left for the caller to fail.
    let earlier = rec("sha-bills");
    let mut earlier = ReconciliationRecord {
        carrier: "sf_express".into(),
        ..earlier
    };
    earlier.id = ReconciliationId::generate();
    store
        .begin_reconciliation(&t, &earlier, None)
        .await
        .unwrap();
    match store
        .settle_pull(&t, &r.id, "inst_b", "sha-bills", 10, later)
        .await
        .unwrap()
    {
        PullSettled::Duplicate(e) => assert_eq!(e.id, earlier.id),
        other => panic!("{other:?}"),
    }
    // Only its holder settles it: then it runs as an import of those bills, bills dropped.
    assert_eq!(
        store
            .settle_pull(&t, &r.id, "inst_a", "sha-new", 10, later)
            .await
            .unwrap(),
        PullSettled::LeaseLost
    );
    assert_eq!(
        store
            .settle_pull(&t, &r.id, "inst_b", "sha-new", 10, later)
            .await
            .unwrap(),
        PullSettled::Running
    );
    let got = store.get_reconciliation(&t, &r.id).await.unwrap().unwrap();
    assert_eq!(got.status, ReconciliationStatus::Running);
    assert_eq!((got.file_sha256.as_str(), got.file_bytes), ("sha-new", 10));
    assert!(store.pulled_bills(&r.id).await.unwrap().is_empty());
    assert!(
        store
            .stale_pulls(later + Duration::hours(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_failed_pull_keeps_its_problem_and_nothing_else(store: Store) {
    let t = tenant(&store, "a").await;
    let r = pulling("pull:def");
    start_pull(&store, &t, &r, "inst_a").await;
    assert!(
        store
            .add_pulled(
                &t,
                &r.id,
                "inst_a",
                0,
                "[1]",
                1,
                NOW + Duration::seconds(30),
                NOW
            )
            .await
            .unwrap()
    );
    let problem = r#"{"type":"https://shiphub.dev/problems/carrier-unavailable","status":503,"retryable":true}"#;
    // Not its holder: nothing happens.
    assert!(
        !store
            .fail_pull(&t, &r.id, "inst_x", "down", problem, NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .fail_pull(&t, &r.id, "inst_a", "SF unavailable", problem, NOW)
            .await
            .unwrap()
    );
    let got = store.get_reconciliation(&t, &r.id).await.unwrap().unwrap();
    assert_eq!(got.status, ReconciliationStatus::Failed);
    assert_eq!(got.failure.as_deref(), Some("SF unavailable"));
    assert_eq!(got.problem.unwrap()["retryable"], true);
    assert!(store.pulled_bills(&r.id).await.unwrap().is_empty());
    // A failed pull is not a conflict for the same waybills asked again.
    assert!(
        store
            .reconciliation_of_file(&t, "sf_express", "pull:def")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .stale_pulls(NOW + Duration::hours(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
}
