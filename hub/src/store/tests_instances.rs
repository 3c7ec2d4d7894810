//! The instance registry on both backends (issue 19): heartbeats count the live instances,
//! and reaping a dead one releases its claims of every kind at once — exactly once with
//! several reapers — and never a live instance's.

use std::time::Duration;

use super::{
    LEASE, NOW, account, emit, endpoint, job, on_postgres, print_setup, sqlite_store, webhook_setup,
};
use crate::ids::BatchId;
use crate::store::{
    IdemBegin, IdemClaim, NewPull, ReconciliationRecord, ReconciliationStatus, Released, Store,
};

both_backends!(
    a_dead_instances_claims_of_every_kind_are_released_once_and_a_live_ones_kept,
    heartbeats_count_the_live_instances_and_a_reaped_one_learns_it,
);

const DEAD_AFTER: Duration = Duration::from_secs(2);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

async fn claim_key(store: &Store, t: &crate::ids::TenantId, key: &str, owner: &str) {
    let claim = IdemClaim {
        key,
        scope: "POST /v1/shipments",
        request_hash: "h",
        owner,
        lease_until: NOW + secs(30),
    };
    assert_eq!(
        store.idem_begin(t, &claim, NOW).await.unwrap(),
        IdemBegin::Started
    );
}

async fn tracker(store: &Store, t: &crate::ids::TenantId, number: &str) -> crate::ids::AccountId {
    let acc = account();
    store.insert_account(t, &acc, None).await.unwrap();
    let tr = crate::tracking::new_tracker(
        &crate::tracking::PollPolicy::default(),
        NOW,
        number,
        "sandbox",
        Some(acc.id.clone()),
        None,
        None,
        None,
    );
    store.insert_tracker(t, &tr, None).await.unwrap();
    acc.id
}

async fn a_dead_instances_claims_of_every_kind_are_released_once_and_a_live_ones_kept(
    store: Store,
) {
    // The store stamps claims it makes for this process (deliveries, print jobs, batches) with
    // this process's instance id: that instance dies here. `inst_live` stays alive.
    let me = crate::ids::instance();
    let live = "inst_live";
    store.instance_heartbeat(me, NOW, DEAD_AFTER).await.unwrap();

    // Webhook deliveries claimed under their (long) lease.
    let (t, acc) = webhook_setup(&store, "a").await;
    store
        .insert_endpoint(&t, &endpoint(&["*"], true), None)
        .await
        .unwrap();
    for n in 0..3 {
        emit(&store, &t, &acc, n, "shipment.created").await;
    }
    store.fan_out_events(NOW, 100).await.unwrap();
    let claimed = store.claim_deliveries(NOW, LEASE, 100).await.unwrap();
    assert_eq!(claimed.len(), 3);
    // Print jobs handed out through the dead instance.
    let (pt, st, s) = print_setup(&store, "p").await;
    for _ in 0..2 {
        let j = job(&st.id, &s.id, secs(3600));
        store.insert_print_job(&pt, &j, None).await.unwrap();
    }
    let handed = store
        .claim_print_jobs(&pt, &st.id, NOW, NOW - secs(60), 10)
        .await
        .unwrap();
    assert_eq!(handed.len(), 2);
    // Idempotency keys: one of each instance.
    claim_key(&store, &t, "dead-key", me).await;
    claim_key(&store, &t, "live-key", live).await;
    // Trackers: one leased by each.
    let day = NOW + Duration::from_secs(86_400);
    let mine = tracker(&store, &t, "SB0000000001").await;
    let theirs = tracker(&store, &t, "SB0000000002").await;
    assert_eq!(
        store
            .claim_due_trackers(&mine, me, day, secs(60), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .claim_due_trackers(&theirs, live, day, secs(60), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // A pull, and a running batch.
    let mut r = ReconciliationRecord::running("sf_express", "pull:x".into(), 0, None, NOW);
    r.status = ReconciliationStatus::Pulling;
    let pull = NewPull {
        job: r#"{"numbers":["SF1"]}"#,
        total: 1,
        owner: me,
        lease_until: NOW + secs(30),
    };
    store.begin_pull(&t, &r, &pull, None).await.unwrap();
    let batch = BatchId::generate();
    store
        .create_batch(&t, &batch, "pdf", &["{}".to_string()], None, None, NOW)
        .await
        .unwrap();

    // And the event stream relay's lease, for 10 s.
    assert!(
        store
            .lease_stream_relay(me, NOW, NOW + secs(10))
            .await
            .unwrap()
    );

    // `live` heartbeats on; this one stops. Before dead-after has passed nobody is reaped.
    let later = NOW + secs(3);
    store
        .instance_heartbeat(live, later, DEAD_AFTER)
        .await
        .unwrap();
    assert!(
        store
            .reap_instances(NOW + secs(1), DEAD_AFTER)
            .await
            .unwrap()
            .is_empty()
    );
    // Two reapers at once: exactly one releases, and each claim once.
    let (a, b) = tokio::join!(
        store.reap_instances(later, DEAD_AFTER),
        store.reap_instances(later, DEAD_AFTER)
    );
    let reaped: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    assert_eq!(reaped.len(), 1, "{reaped:?}");
    assert_eq!(reaped[0].instance, me);
    assert_eq!(reaped[0].seen_at, NOW);
    assert_eq!(
        reaped[0].released,
        Released {
            trackers: 1,
            webhook_deliveries: 3,
            idempotency_keys: 1,
            pulls: 1,
            batches: 1,
            print_jobs: 2,
            stream_relay: 1,
        }
    );
    assert_eq!(
        store.live_instances(later, DEAD_AFTER).await.unwrap(),
        vec![live.to_string()]
    );
    // Again: nothing (idempotent).
    assert!(
        store
            .reap_instances(later, DEAD_AFTER)
            .await
            .unwrap()
            .is_empty()
    );

    // Everything released is there to take now, well inside every per-item lease: the relay's
    // too (a restarted or surviving hub relays at once, not when the 10 s run out).
    assert!(
        store
            .lease_stream_relay(live, later, later + secs(10))
            .await
            .unwrap()
    );
    let again = store.claim_deliveries(later, LEASE, 100).await.unwrap();
    assert_eq!(again.len(), 3, "deliveries due at once");
    // The dead claim's late write is fenced off: its token holds nothing any more.
    store.defer_delivery(&claimed[0], later).await.unwrap();
    assert!(
        store
            .claim_deliveries(later, LEASE, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim_print_jobs(&pt, &st.id, later, later - secs(60), 10)
            .await
            .unwrap()
            .len(),
        2,
        "print jobs handed out again at once"
    );
    assert_eq!(
        store.idem_expired(later, 10).await.unwrap(),
        vec![(t.clone(), "dead-key".to_string())],
        "only the dead instance's key is expired"
    );
    assert_eq!(
        store.stale_pulls(later, 10).await.unwrap(),
        vec![r.id.clone()]
    );
    let orphans = store
        .claim_orphaned_batches(live, later, DEAD_AFTER)
        .await
        .unwrap();
    assert_eq!(orphans, vec![(t.clone(), batch.clone())]);
    assert!(
        store
            .claim_orphaned_batches("inst_third", later, DEAD_AFTER)
            .await
            .unwrap()
            .is_empty(),
        "a batch a live instance runs is not taken"
    );
    let day2 = day + secs(1);
    assert_eq!(
        store
            .claim_due_trackers(&mine, live, day2, secs(60), 10)
            .await
            .unwrap()
            .len(),
        1,
        "the dead instance's tracker is taken over"
    );
    assert!(
        store
            .claim_due_trackers(&theirs, "inst_third", day2, secs(60), 10)
            .await
            .unwrap()
            .is_empty(),
        "a live instance's lease holds"
    );
}

async fn heartbeats_count_the_live_instances_and_a_reaped_one_learns_it(store: Store) {
    let a = store
        .instance_heartbeat("inst_a", NOW, DEAD_AFTER)
        .await
        .unwrap();
    assert!(a.registered);
    assert_eq!(a.live, 1);
    let b = store
        .instance_heartbeat("inst_b", NOW + secs(1), DEAD_AFTER)
        .await
        .unwrap();
    assert_eq!((b.live, b.registered), (2, true));
    let a = store
        .instance_heartbeat("inst_a", NOW + secs(2), DEAD_AFTER)
        .await
        .unwrap();
    assert_eq!((a.live, a.registered), (2, false));
    // b falls silent: no longer counted, then reaped; its next heartbeat registers it anew.
    let a = store
        .instance_heartbeat("inst_a", NOW + secs(4), DEAD_AFTER)
        .await
        .unwrap();
    assert_eq!(a.live, 1);
    let reaped = store
        .reap_instances(NOW + secs(4), DEAD_AFTER)
        .await
        .unwrap();
    assert_eq!(reaped.len(), 1);
    assert_eq!(reaped[0].instance, "inst_b");
    assert_eq!(reaped[0].released.total(), 0);
    let b = store
        .instance_heartbeat("inst_b", NOW + secs(5), DEAD_AFTER)
        .await
        .unwrap();
    assert_eq!((b.live, b.registered), (2, true));
}
