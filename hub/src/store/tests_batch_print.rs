//! Migration 0024 on both backends: print jobs of a batch. Jobs queued before it keep their
//! shipment and their indexes, a job belongs to exactly one of a shipment and a batch (the
//! database refuses neither and both), and a batch's job is queued in the transaction that
//! completes the batch, then claimed and acknowledged like any job.

use std::time::Duration;

use super::{NOW, account, event_for, job, on_postgres_schema, print_setup, shipment, station};
use super::{on_postgres, sqlite_store, sqlite_store_unmigrated, tenant};
use crate::events::EventType;
use crate::ids::{BatchId, PrintJobId};
use crate::store::{
    AckStatus, Backend, ItemOutcome, JobAck, JobStatus, JobSubject, NewEvent, PrintJobRecord, Store,
};

mod migration_0024_keeps_shipment_jobs_and_their_indexes {
    #[tokio::test]
    async fn sqlite() {
        let (store, _dir) = super::sqlite_store_unmigrated().await;
        super::migration_0024_keeps_shipment_jobs_and_their_indexes(store).await;
    }
    #[tokio::test]
    async fn postgres() {
        super::on_postgres_schema(
            false,
            super::migration_0024_keeps_shipment_jobs_and_their_indexes,
        )
        .await;
    }
}

both_backends!(a_batch_print_job_is_queued_with_its_completion_and_served_like_any_job);

async fn index_names(store: &Store) -> Vec<String> {
    let sql = match store.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'print_jobs' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT CAST(indexname AS TEXT) AS name FROM pg_indexes WHERE tablename = 'print_jobs' \
             AND indexname <> 'print_jobs_pkey' AND schemaname = current_schema() ORDER BY indexname"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&store.pool).await.unwrap();
    use sqlx::Row;
    rows.iter().map(|r| r.get::<String, _>("name")).collect()
}

async fn migration_0024_keeps_shipment_jobs_and_their_indexes(store: Store) {
    store.migrate_to(23).await.unwrap();
    let t = tenant(&store, "before").await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    let st = station("dock");
    store.insert_station(&t, &st, "hash", None).await.unwrap();
    let s = shipment(&acc.id, 1);
    store.insert_shipment(&t, &s, &[], &[], None).await.unwrap();
    // A job as 0023 stored it (the columns it had).
    let old = PrintJobId::generate();
    sqlx::query(
        "INSERT INTO print_jobs (id, tenant_id, station_id, shipment_id, format, copies, status, \
         detail, deliveries, created_at, expires_at, delivered_at, stock, dpi) \
         VALUES ($1, $2, $3, $4, 'pdf', 3, 'delivered', 'note', 2, $5, $6, $7, '4x8', 300)",
    )
    .bind(old.as_str())
    .bind(t.as_str())
    .bind(st.id.as_str())
    .bind(s.id.as_str())
    .bind(1_000_i64)
    .bind(2_000_i64)
    .bind(1_500_i64)
    .execute(&store.writer)
    .await
    .unwrap();
    let before = index_names(&store).await;
    assert_eq!(
        before,
        [
            "print_jobs_expiry",
            "print_jobs_station",
            "print_jobs_tenant"
        ]
    );

    store.migrate().await.unwrap();
    let j = store.get_print_job(&t, &old).await.unwrap().unwrap();
    assert_eq!(j.subject, JobSubject::Shipment(s.id.clone()));
    assert_eq!(j.subject.labels(), 1);
    assert_eq!(
        (j.status, j.copies, j.deliveries, j.detail.as_deref()),
        (JobStatus::Delivered, 3, 2, Some("note"))
    );
    assert_eq!((j.stock.as_str(), j.dpi.dpi()), ("4x8", 300));
    let mut after = before.clone();
    after.push("print_jobs_batch".into());
    // 0029: jobs handed out, by the instance that handed them (released when it dies).
    after.push("print_jobs_delivered_by".into());
    after.sort();
    assert_eq!(index_names(&store).await, after);

    // Exactly one subject: neither and both are refused by the database itself.
    let b = BatchId::generate();
    store
        .create_batch(&t, &b, "pdf", &["{}".into()], None, None, NOW)
        .await
        .unwrap();
    for (shipment_id, batch_id) in [(None, None), (Some(s.id.as_str()), Some(b.as_str()))] {
        let r = sqlx::query(
            "INSERT INTO print_jobs (id, tenant_id, station_id, shipment_id, batch_id, labels, \
             format, copies, status, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, 1, 'pdf', 1, 'queued', 1, 2)",
        )
        .bind(PrintJobId::generate().as_str().to_string())
        .bind(t.as_str())
        .bind(st.id.as_str())
        .bind(shipment_id)
        .bind(batch_id)
        .execute(&store.writer)
        .await;
        assert!(r.is_err(), "{shipment_id:?} {batch_id:?} was stored");
    }
}

async fn a_batch_print_job_is_queued_with_its_completion_and_served_like_any_job(store: Store) {
    let (t, st, s) = print_setup(&store, "a").await;
    let b = BatchId::generate();
    let asked = r#"{"station_id":"x","sort":"reference"}"#;
    store
        .create_batch(
            &t,
            &b,
            "pdf",
            &["{}".into(), "{}".into()],
            Some(asked),
            None,
            NOW,
        )
        .await
        .unwrap();
    let got = store.get_batch(&t, &b).await.unwrap().unwrap();
    assert_eq!(got.print_request.as_deref(), Some(asked));
    assert_eq!(got.print_job_id, None);
    store
        .settle_batch_item(&t, &b, 0, ItemOutcome::Bought(&s.id))
        .await
        .unwrap();
    store
        .settle_batch_item(&t, &b, 1, ItemOutcome::Failed("{}"))
        .await
        .unwrap();
    let batch_job = PrintJobRecord {
        subject: JobSubject::Batch {
            id: b.clone(),
            sort: "reference".into(),
            labels: 1,
        },
        ..job(&st.id, &s.id, Duration::from_secs(3600))
    };
    let completed = NewEvent {
        kind: EventType::BatchCompleted,
        subject_id: b.to_string(),
        data: serde_json::json!({}),
    };
    assert!(
        store
            .complete_batch(&t, &b, &completed, Some(&batch_job), NOW)
            .await
            .unwrap()
    );
    // Completing again queues nothing more.
    assert!(
        !store
            .complete_batch(&t, &b, &completed, Some(&batch_job), NOW)
            .await
            .unwrap()
    );
    let got = store.get_batch(&t, &b).await.unwrap().unwrap();
    assert_eq!(got.status, "completed");
    assert_eq!(got.print_job_id.as_ref(), Some(&batch_job.id));
    let stored = store
        .get_print_job(&t, &batch_job.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.subject, batch_job.subject);
    assert_eq!(stored.subject.shipment(), None);

    // A later print of the same batch (a reprint) is the batch's latest job.
    let reprint = PrintJobRecord {
        id: PrintJobId::generate(),
        ..batch_job.clone()
    };
    store.insert_print_job(&t, &reprint, None).await.unwrap();
    let got = store.get_batch(&t, &b).await.unwrap().unwrap();
    assert_eq!(got.print_job_id.as_ref(), Some(&reprint.id));

    // Claimed, redelivered and acknowledged like a shipment's job.
    let claimed = store
        .claim_print_jobs(&t, &st.id, NOW, NOW - Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].subject, batch_job.subject);
    let ack = JobAck {
        status: AckStatus::Printed,
        detail: None,
        at: NOW,
    };
    store
        .ack_print_job(&t, &st.id, &batch_job.id, &ack, event_for)
        .await
        .unwrap();
    let done = store
        .get_print_job(&t, &batch_job.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, JobStatus::Printed);
    let listed = store
        .list_print_jobs(&t, Some(&st.id), None, None, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
}
