//! The event streams' tables on both backends (issue 22): the relay's lease is held by one
//! instance at a time and taken over once it expires; streams begin when the relay row is first
//! made; events are read oldest first and marked only under the lease; tenants' filters.

use std::time::Duration;

use super::{NOW, account, emit, on_postgres, sqlite_store, tenant};
use crate::events::{EventType, Subscription};
use crate::store::Store;

both_backends!(
    the_relay_lease_is_held_by_one_instance_until_it_expires,
    events_are_relayed_oldest_first_and_marked_only_under_the_lease,
    stream_filters_are_per_tenant,
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
            .mark_streamed("a", &[], later, later + LEASE)
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
            .mark_streamed("b", &ids, NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    assert_eq!(store.stream_backlog().await.unwrap().events, 4);
    assert!(
        store
            .mark_streamed("a", &ids, NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    let rest = store.unstreamed_events(10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].kind, EventType::ShipmentVoided);
    let ids: Vec<_> = rest.iter().map(|e| e.id.clone()).collect();
    assert!(
        store
            .mark_streamed("a", &ids, NOW, NOW + LEASE)
            .await
            .unwrap()
    );
    let empty = store.stream_backlog().await.unwrap();
    assert_eq!((empty.events, empty.oldest), (0, None));
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
