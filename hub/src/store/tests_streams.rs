//! The event streams' tables on both backends (issue 22): the relay's lease is held by one
//! instance at a time and taken over once it expires; streams begin when the relay row is first
//! made; events are read oldest first and marked only under the lease; a sink that did not
//! confirm a batch gets its ids parked, read back oldest first and deleted only under the
//! lease, while the other sinks go on; tenants' filters.

use std::time::Duration;

use sqlx::Row;

use super::{NOW, account, emit, on_postgres, sqlite_store, tenant};
use crate::events::{EventType, Subscription};
use crate::store::Store;

both_backends!(
    the_relay_lease_is_held_by_one_instance_until_it_expires,
    events_are_relayed_oldest_first_and_marked_only_under_the_lease,
    a_sink_that_falls_behind_gets_its_own_parked_events_in_order_under_the_lease,
    a_read_while_batches_are_in_flight_skips_them_and_stops_at_a_late_commit_among_them,
    stream_filters_are_per_tenant,
    a_failure_event_is_recorded_once_per_subject_and_tenant,
);

const LEASE: time::Duration = time::Duration::seconds(10);

async fn the_relay_lease_is_held_by_one_instance_until_it_expires(store: Store) {
    assert!(
        store
            .lease_stream_relay("a", NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    // Held: another instance is refused, the holder renews.
    assert!(
        !store
            .lease_stream_relay("b", NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    assert!(
        store
            .lease_stream_relay("a", NOW + Duration::from_secs(5), NOW + LEASE * 2)
            .await
            .unwrap()
    );
    // Expired: taken over; the old holder can no longer mark anything.
    let later = NOW + LEASE * 3;
    assert!(
        store
            .lease_stream_relay("b", later, later + LEASE)
            .await
            .unwrap()
    );
    assert!(
        !store
            .mark_streamed("a", &[], &[], later, later + LEASE)
            .await
            .unwrap()
    );
    // Released: taken at once.
    store.release_stream_relay("b").await.unwrap();
    assert!(
        store
            .lease_stream_relay("c", later, later + LEASE)
            .await
            .unwrap()
    );
}

async fn events_are_relayed_oldest_first_and_marked_only_under_the_lease(store: Store) {
    let t = tenant(&store, "streams").await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    // Recorded before streams began: never relayed.
    emit(&store, &t, &acc.id, 1, "shipment.created").await;
    assert!(
        store
            .lease_stream_relay("a", NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    assert!(store.unstreamed_events(10).await.unwrap().is_empty());
    for n in 2..=4 {
        emit(&store, &t, &acc.id, n, "shipment.created").await;
    }
    emit(&store, &t, &acc.id, 5, "shipment.voided").await;
    let backlog = store.stream_backlog().await.unwrap();
    assert_eq!(backlog.events, 4);
    assert!(backlog.oldest.is_some());

    let first = store.unstreamed_events(3).await.unwrap();
    assert_eq!(first.len(), 3);
    assert!(
        first
            .windows(2)
            .all(|w| w[0].id.as_str() < w[1].id.as_str())
    );
    assert_eq!(first[0].payload, r#"{"n":2}"#);
    assert_eq!(first[0].tenant, t);
    let ids: Vec<_> = first.iter().map(|e| e.id.clone()).collect();
    // Not the holder: nothing marked.
    assert!(
        !store
            .mark_streamed("b", &ids, &[], NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    assert_eq!(store.stream_backlog().await.unwrap().events, 4);
    assert!(
        store
            .mark_streamed("a", &ids, &[], NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    let rest = store.unstreamed_events(10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].kind, EventType::ShipmentVoided);
    let ids: Vec<_> = rest.iter().map(|e| e.id.clone()).collect();
    assert!(
        store
            .mark_streamed("a", &ids, &[], NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    let empty = store.stream_backlog().await.unwrap();
    assert_eq!((empty.events, empty.oldest), (0, None));
}

async fn a_sink_that_falls_behind_gets_its_own_parked_events_in_order_under_the_lease(
    store: Store,
) {
    let t = tenant(&store, "parked").await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    assert!(
        store
            .lease_stream_relay("a", NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    for n in 1..=5 {
        emit(&store, &t, &acc.id, n, "shipment.created").await;
    }
    let ids = |evs: &[crate::store::StreamEvent]| -> Vec<_> {
        evs.iter().map(|e| e.id.clone()).collect()
    };
    // Batch one: NATS confirmed it, RabbitMQ did not (parked for it); batch two likewise,
    // with an id parked twice (a replay) kept once.
    let first = ids(&store.unstreamed_events(3).await.unwrap());
    let amqp = "amqp://guest:***@127.0.0.1:5672/%2f#shiphub";
    assert!(
        store
            .mark_streamed("a", &first, &[(amqp, &first)], NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    let second = ids(&store.unstreamed_events(10).await.unwrap());
    assert_eq!(second.len(), 2);
    let mut twice = second.clone();
    twice.push(first[2].clone());
    assert!(
        store
            .mark_streamed("a", &second, &[(amqp, &twice)], NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    // The relay's own backlog is empty: NATS has everything; RabbitMQ has five to catch up.
    assert_eq!(store.stream_backlog().await.unwrap().events, 0);
    assert!(store.has_parked(amqp).await.unwrap());
    assert!(
        !store
            .has_parked("nats://127.0.0.1:4222/#SHIPHUB")
            .await
            .unwrap()
    );
    let backlogs = store.sink_backlogs().await.unwrap();
    assert_eq!(backlogs.len(), 1);
    assert_eq!((backlogs[0].sink.as_str(), backlogs[0].events), (amqp, 5));
    assert!(backlogs[0].oldest.is_some());

    // Read back oldest first, in batches.
    let parked = store.parked_events(amqp, 2).await.unwrap();
    assert_eq!(ids(&parked), first[..2]);
    assert_eq!(parked[0].payload, r#"{"n":1}"#);
    assert_eq!(parked[0].tenant, t);
    // Only the lease holder deletes what the sink confirmed.
    assert!(!store.unpark("b", amqp, &ids(&parked)).await.unwrap());
    assert_eq!(store.parked_events(amqp, 10).await.unwrap().len(), 5);
    assert!(store.unpark("a", amqp, &ids(&parked)).await.unwrap());
    let rest = ids(&store.parked_events(amqp, 10).await.unwrap());
    let mut expected = vec![first[2].clone()];
    expected.extend(second.iter().cloned());
    assert_eq!(rest, expected);
    assert_eq!(store.sink_backlogs().await.unwrap()[0].events, 3);
    assert!(store.unpark("a", amqp, &rest).await.unwrap());
    assert!(!store.has_parked(amqp).await.unwrap());
    assert!(store.sink_backlogs().await.unwrap().is_empty());

    // A relay that lost its lease parks nothing.
    emit(&store, &t, &acc.id, 6, "shipment.created").await;
    let third = ids(&store.unstreamed_events(10).await.unwrap());
    assert!(
        !store
            .mark_streamed("b", &third, &[(amqp, &third)], NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    assert!(!store.has_parked(amqp).await.unwrap());
    assert_eq!(store.stream_backlog().await.unwrap().events, 1);
}

async fn a_read_while_batches_are_in_flight_skips_them_and_stops_at_a_late_commit_among_them(
    store: Store,
) {
    let t = tenant(&store, "window").await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    assert!(
        store
            .lease_stream_relay("a", NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    for n in 1..=5 {
        emit(&store, &t, &acc.id, n, "shipment.created").await;
    }
    let all: Vec<_> = store
        .unstreamed_events(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    // The first two in flight: the next read starts after them.
    let next = store
        .unstreamed_events_outside(&all[0], &all[1], 2, 2)
        .await
        .unwrap()
        .unwrap();
    let next: Vec<_> = next.into_iter().map(|e| e.id).collect();
    assert_eq!(next, all[2..4]);
    // In flight: the first and the third; the second, between them, is not (it committed
    // after the read, as a concurrent transaction may): nothing is read past it.
    assert!(
        store
            .unstreamed_events_outside(&all[0], &all[2], 2, 10)
            .await
            .unwrap()
            .is_none()
    );
    // Once marked, the window's events are no longer unstreamed: the read goes on.
    assert!(
        store
            .mark_streamed("a", &all[..4], &[], NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    let last = store
        .unstreamed_events_outside(&all[2], &all[3], 0, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].id, all[4]);
}

async fn stream_filters_are_per_tenant(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    assert_eq!(store.stream_filter(&a).await.unwrap(), None);
    let only = Subscription::Only(vec![EventType::ShipmentCreated]);
    store.set_stream_filter(&a, &only, NOW).await.unwrap();
    store
        .set_stream_filter(
            &a,
            &Subscription::Only(vec![EventType::ShipmentVoided]),
            NOW,
        )
        .await
        .unwrap();
    store
        .set_stream_filter(&b, &Subscription::All, NOW)
        .await
        .unwrap();
    assert_eq!(
        store.stream_filter(&a).await.unwrap(),
        Some(Subscription::Only(vec![EventType::ShipmentVoided]))
    );
    let mut all = store.stream_filters().await.unwrap();
    all.sort_by(|x, y| x.0.as_str().cmp(y.0.as_str()));
    assert_eq!(all.len(), 2);
    assert!(all.contains(&(b.clone(), Subscription::All)));
}

/// `command.failed` for a redelivered message: recorded once per tenant and message id.
async fn a_failure_event_is_recorded_once_per_subject_and_tenant(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    let failed = |id: &str| crate::store::NewEvent {
        kind: EventType::CommandFailed,
        subject_id: id.into(),
        data: serde_json::json!({ "message_id": id }),
    };
    let once = |t, id| {
        let (store, e) = (store.clone(), failed(id));
        async move { store.insert_event_once(t, &e, NOW).await.unwrap() }
    };
    assert!(once(&a, "msg-1").await);
    assert!(!once(&a, "msg-1").await, "a redelivery is the same failure");
    assert!(once(&a, "msg-2").await);
    assert!(
        once(&b, "msg-1").await,
        "another tenant's message of that id is its own"
    );
    let n = |t: &crate::ids::TenantId| {
        let (store, t) = (store.clone(), t.clone());
        async move {
            sqlx::query(
                "SELECT COUNT(*) AS n FROM events WHERE tenant_id = $1 AND type = 'command.failed'",
            )
            .bind(t.as_str())
            .fetch_one(&store.pool)
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap()
        }
    };
    assert_eq!((n(&a).await, n(&b).await), (2, 1));
    // Other event types about the same subject do not count as the failure.
    let other = crate::store::NewEvent {
        kind: EventType::ShipmentCreated,
        subject_id: "msg-3".into(),
        data: serde_json::json!({}),
    };
    store.insert_event(&a, &other, NOW).await.unwrap();
    assert!(once(&a, "msg-3").await);
}
