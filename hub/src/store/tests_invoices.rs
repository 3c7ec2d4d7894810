//! Freight reconciliation in the store, on both backends: an import counts only once
//! completed, a failed or abandoned one leaves nothing behind, and the audit's lookups find
//! shipments (with their trackers) by tracking number or reference within one tenant.

use rust_decimal_macros::dec;
use time::Duration;

use super::{NOW, account, on_postgres, shipment, sqlite_store, tenant};
use crate::ids::{ReconciliationId, TenantId};
use crate::store::{
    Billing, FileChunk, InvoicePackageRow, NewEvent, ReconciliationDone, ReconciliationRecord,
    ShipmentExtras, Store,
};

both_backends!(
    an_import_counts_only_once_completed_and_a_failed_one_leaves_nothing,
    abandoned_imports_are_failed_and_removed_by_the_sweep,
    audit_lookups_find_shipments_with_their_trackers_within_a_tenant,
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
