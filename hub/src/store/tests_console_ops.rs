//! Migration 0037 and the console's operations queries on both backends: the exceptions
//! board reads only its tenant's open parcels in trouble (through `trackers_attention` on
//! SQLite), and a failed print job is retried once.

use std::time::Duration;

use shiphub_carriers::model::{TrackingEvent, TrackingStatus};

use super::{NOW, account, job, print_setup, shipment, tenant};
use super::{on_postgres, on_postgres_schema, sqlite_store, sqlite_store_unmigrated};
use crate::ids::{PrintJobId, TrackerId};
use crate::store::{
    AckStatus, Backend, JobAck, JobStatus, Store, StoredRequest, TrackerRecord,
    console_ops::{self, ATTENTION},
};

both_backends!(
    the_board_reads_only_the_tenants_open_parcels_in_trouble,
    a_failed_print_job_is_retried_once_and_only_by_its_tenant,
);

mod migration_0042_counts_from_the_index_alone {
    #[tokio::test]
    async fn sqlite() {
        let (store, _dir) = super::sqlite_store_unmigrated().await;
        super::migration_0042_counts_from_the_index_alone(store).await;
    }
    #[tokio::test]
    async fn postgres() {
        super::on_postgres_schema(false, super::migration_0042_counts_from_the_index_alone).await;
    }
}

async fn follow(store: &Store, t: &crate::ids::TenantId, number: &str) -> TrackerRecord {
    let policy = crate::tracking::PollPolicy::default();
    let tr = crate::tracking::new_tracker(&policy, NOW, number, "sandbox", None, None, None, None);
    assert!(store.insert_tracker(t, &tr, None).await.unwrap().1);
    tr
}

async fn set(store: &Store, id: &TrackerId, assignments: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE trackers SET {assignments} WHERE id = $1"
    )))
    .bind(id.as_str())
    .execute(&store.writer)
    .await
    .unwrap();
}

async fn the_board_reads_only_the_tenants_open_parcels_in_trouble(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    let mut s = shipment(&acc.id, 1);
    s.request = StoredRequest::from_json(r#"{"from":{"country":"US"},"to":{"country":"DE"}}"#);
    store.insert_shipment(&a, &s, &[], &[], None).await.unwrap();

    // An exception scan recorded as the tracking module records it.
    let held = follow(&store, &a, "SB1").await;
    let scan = TrackingEvent {
        occurred_at: NOW,
        status: TrackingStatus::Exception,
        carrier_code: "EX".into(),
        sub_status: Some("address_problem".into()),
        description: "Held: the address could not be resolved".into(),
        location: None,
    };
    let policy = crate::tracking::PollPolicy::default();
    store
        .record_tracking(&a, &held.id, None, std::slice::from_ref(&scan), |o, f| {
            crate::tracking::decide(&policy, NOW, o, f, None)
        })
        .await
        .unwrap();
    // A shipment of ours, stalled.
    let stalled = follow(&store, &a, "SB2").await;
    set(
        &store,
        &stalled.id,
        &format!(
            "stalled_notified = 1, status = 'in_transit', shipment_id = '{}', updated_at = 5",
            s.id
        ),
    )
    .await;
    // A shipment of ours whose stored request names no country, late.
    let bare = shipment(&acc.id, 2);
    store
        .insert_shipment(&a, &bare, &[], &[], None)
        .await
        .unwrap();
    let late = follow(&store, &a, "SB7").await;
    set(
        &store,
        &late.id,
        &format!(
            "late_notified = 1, status = 'in_transit', shipment_id = '{}', updated_at = 4",
            bare.id
        ),
    )
    .await;
    // Not in trouble: late but delivered, in transit, an exception closed by a newer tracker.
    let delivered = follow(&store, &a, "SB3").await;
    set(
        &store,
        &delivered.id,
        "late_notified = 1, status = 'delivered'",
    )
    .await;
    follow(&store, &a, "SB4").await;
    let closed = follow(&store, &a, "SB5").await;
    set(
        &store,
        &closed.id,
        &format!("status = 'exception', superseded_by = '{}'", held.id),
    )
    .await;
    // Another tenant's late parcel.
    let theirs = follow(&store, &b, "SB6").await;
    set(&store, &theirs.id, "late_notified = 1").await;

    let rows = store.attention_trackers(&a, 100).await.unwrap();
    let ids: Vec<&TrackerId> = rows.iter().map(|r| &r.id).collect();
    assert_eq!(
        ids,
        [&held.id, &stalled.id, &late.id],
        "newest change first"
    );
    assert_eq!(
        rows[0].last_description.as_deref(),
        Some("Held: the address could not be resolved")
    );
    assert_eq!(rows[0].lane, None, "not bought here");
    assert_eq!(rows[1].lane, Some(("US".into(), "DE".into())));
    assert_eq!(rows[1].shipment_id.as_ref(), Some(&s.id));
    assert!(rows[1].stalled_notified && !rows[1].late_notified);
    assert_eq!(rows[2].lane, None, "no country in the request");
    assert!(rows[2].late_notified);
    assert_eq!(
        (rows[0].status, rows[0].sub_status.as_deref()),
        (TrackingStatus::Exception, Some("address_problem"))
    );
    let counts = store.attention_counts(&a, 100).await.unwrap();
    assert_eq!(
        (counts.total, counts.exceptions, counts.late, counts.stalled),
        (3, 1, 1, 1)
    );
    assert_eq!(
        store.attention_counts(&a, 1).await.unwrap().total,
        1,
        "bounded"
    );
    let theirs_rows = store.attention_trackers(&b, 100).await.unwrap();
    assert_eq!(theirs_rows.len(), 1);
    assert_eq!(theirs_rows[0].id, theirs.id);
    assert_eq!(store.attention_counts(&b, 100).await.unwrap().late, 1);

    if store.backend == Backend::Sqlite {
        use sqlx::Row;
        let plan = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN SELECT id FROM trackers WHERE tenant_id = 'x' AND {ATTENTION} \
             ORDER BY updated_at DESC, id DESC LIMIT 10"
        )))
        .fetch_all(&store.pool)
        .await
        .unwrap();
        let plan: Vec<String> = plan.iter().map(|r| r.get::<String, _>("detail")).collect();
        assert!(
            plan.iter().any(|d| d.contains("trackers_attention")),
            "{plan:?}"
        );
    }
}

async fn a_failed_print_job_is_retried_once_and_only_by_its_tenant(store: Store) {
    let (t, st, s) = print_setup(&store, "a").await;
    let (other, _, _) = print_setup(&store, "b").await;
    let hour = Duration::from_secs(3600);
    let first = job(&st.id, &s.id, hour);
    store.insert_print_job(&t, &first, None).await.unwrap();
    assert_eq!(store.station_queue(&t, &st.id).await.unwrap(), (1, 0));
    // Not failed yet: nothing to retry.
    let again = job(&st.id, &s.id, hour);
    assert!(
        !store
            .retry_print_job(&t, &first.id, &again, None)
            .await
            .unwrap()
    );
    let claimed = store
        .claim_print_jobs(&t, &st.id, NOW, NOW - hour, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(store.station_queue(&t, &st.id).await.unwrap(), (0, 1));
    let ack = JobAck {
        status: AckStatus::Failed,
        detail: Some("paper jam"),
        at: NOW,
    };
    store
        .ack_print_job(&t, &st.id, &first.id, &ack, super::event_for)
        .await
        .unwrap();
    let failed = store.failed_print_jobs(&t, &st.id, 5).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].job.status, JobStatus::Failed);
    assert_eq!(failed[0].retried_by, None);
    assert!(
        store
            .failed_print_jobs(&other, &st.id, 5)
            .await
            .unwrap()
            .is_empty(),
        "another tenant sees none of it"
    );

    // Another tenant cannot retry it; its tenant can, once.
    assert!(
        !store
            .retry_print_job(&other, &first.id, &again, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .retry_print_job(&t, &first.id, &again, None)
            .await
            .unwrap()
    );
    let third = job(&st.id, &s.id, hour);
    assert!(
        !store
            .retry_print_job(&t, &first.id, &third, None)
            .await
            .unwrap()
    );
    assert_eq!(
        store.print_job_retried_by(&t, &first.id).await.unwrap(),
        Some(again.id.clone())
    );
    assert_eq!(
        store.print_job_retried_by(&other, &first.id).await.unwrap(),
        None
    );
    let failed = store.failed_print_jobs(&t, &st.id, 5).await.unwrap();
    assert_eq!(failed[0].retried_by, Some(again.id.clone()));
    assert_eq!(store.station_queue(&t, &st.id).await.unwrap(), (1, 0));
    assert!(store.get_print_job(&t, &third.id).await.unwrap().is_none());

    // A job no agent fetched before its TTL is listed too (newest first), and retried the same
    // way; a printed one is not.
    let late = job(&st.id, &s.id, Duration::from_secs(1));
    store.insert_print_job(&t, &late, None).await.unwrap();
    let expired = store
        .expire_print_jobs(NOW + Duration::from_secs(2), 10, super::event_for)
        .await
        .unwrap();
    assert_eq!(expired, 1);
    let listed = store.failed_print_jobs(&t, &st.id, 5).await.unwrap();
    let ids: Vec<(&PrintJobId, JobStatus)> =
        listed.iter().map(|f| (&f.job.id, f.job.status)).collect();
    assert_eq!(
        ids,
        [
            (&late.id, JobStatus::Expired),
            (&first.id, JobStatus::Failed)
        ]
    );
    let fourth = job(&st.id, &s.id, hour);
    assert!(
        store
            .retry_print_job(&t, &late.id, &fourth, None)
            .await
            .unwrap()
    );
}

/// Parcels in trouble before 0042 are counted after it, and the counts read the rebuilt
/// index alone (no look-up into `trackers` per entry).
async fn migration_0042_counts_from_the_index_alone(store: Store) {
    store.migrate_to(40).await.unwrap();
    let t = tenant(&store, "before").await;
    let mut ids = vec![];
    for (i, flags) in [
        "status = 'exception'",
        "status = 'attempt_fail', late_notified = 1",
        "status = 'in_transit', stalled_notified = 1",
        "status = 'in_transit'",
        "status = 'delivered', late_notified = 1",
    ]
    .iter()
    .enumerate()
    {
        let tr = follow(&store, &t, &format!("SB{i}")).await;
        set(&store, &tr.id, flags).await;
        ids.push(tr.id);
    }
    let before = store.attention_counts(&t, 100).await.unwrap();
    assert!(!counted_from_the_index_alone(&store, &t).await);

    store.migrate().await.unwrap();
    let after = store.attention_counts(&t, 100).await.unwrap();
    assert_eq!(after, before);
    assert_eq!(
        (after.total, after.exceptions, after.late, after.stalled),
        (3, 2, 1, 1)
    );
    assert_eq!(store.attention_trackers(&t, 100).await.unwrap().len(), 3);
    assert!(counted_from_the_index_alone(&store, &t).await);
}

/// Whether the plan of `attention_counts`' query reads `trackers_attention` without
/// visiting `trackers`.
async fn counted_from_the_index_alone(store: &Store, t: &crate::ids::TenantId) -> bool {
    use sqlx::Row;
    let explain = |prefix: &str| format!("{prefix} {}", console_ops::counts_sql());
    if store.backend == Backend::Sqlite {
        let plan = sqlx::query(sqlx::AssertSqlSafe(explain("EXPLAIN QUERY PLAN")))
            .bind(t.as_str())
            .bind(100_i64)
            .fetch_all(&store.pool)
            .await
            .unwrap();
        let plan: Vec<String> = plan.iter().map(|r| r.get::<String, _>("detail")).collect();
        assert!(
            plan.iter().any(|d| d.contains("trackers_attention")),
            "{plan:?}"
        );
        plan.iter()
            .any(|d| d.contains("COVERING INDEX trackers_attention"))
    } else {
        // A table this small is read whole unless told otherwise; the question is only
        // whether the index can answer alone.
        let mut tx = store.pool.begin().await.unwrap();
        for off in [
            "SET LOCAL enable_seqscan = off",
            "SET LOCAL enable_bitmapscan = off",
        ] {
            sqlx::query(off).execute(&mut *tx).await.unwrap();
        }
        let plan = sqlx::query(sqlx::AssertSqlSafe(explain("EXPLAIN")))
            .bind(t.as_str())
            .bind(100_i64)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let plan: Vec<String> = plan.iter().map(|r| r.get::<String, _>(0)).collect();
        plan.iter()
            .any(|d| d.contains("Index Only Scan using trackers_attention"))
    }
}
