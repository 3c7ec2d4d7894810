//! The console's shipment search on both backends: every filter, paged by its cursor, gives
//! exactly the rows a brute-force filter of the tenant's shipments gives, in the promised
//! order, never another tenant's; on SQLite each search walks an index without sorting. A
//! shipment's events and the webhook deliveries they made stay with their tenant.

use sqlx::Row;

use super::{NOW, account, endpoint, on_postgres, shipment, sqlite_store, tenant};
use crate::store::console_shipments::{SearchCursor, ShipmentSearch};
use crate::store::{
    Backend, NewEvent, ShipmentRecord, ShipmentStatus, Store, StoredRequest, millis,
};

both_backends!(
    every_search_pages_through_exactly_its_rows_in_order,
    a_shipments_events_and_their_deliveries_stay_with_their_tenant,
);

const NAMES: [&str; 5] = ["Alice Smith", "alice jones", "Albert", "Bob", "王小明"];

/// 40 shipments of tenant `a`, with names, references, carriers, statuses and times that vary;
/// the same numbers once more for tenant `b`.
/// Each of `a`'s shipments with its recipient's name as the index folds it.
async fn fill(store: &Store) -> (crate::ids::TenantId, Vec<(ShipmentRecord, String)>) {
    let a = tenant(store, "a").await;
    let b = tenant(store, "b").await;
    let mut rows = Vec::new();
    for (t, n0) in [(&a, 0u32), (&b, 100)] {
        let acc = account();
        store.insert_account(t, &acc, None).await.unwrap();
        for i in 0..40u32 {
            let mut s = shipment(&acc.id, i);
            s.request = StoredRequest::from_json(
                serde_json::json!({"to": {"name": NAMES[i as usize % NAMES.len()]}}).to_string(),
            );
            s.reference = Some(format!("ORDER-{}", (i + n0) % 7));
            if i % 3 == 0 {
                s.carrier = shiphub_carriers::CarrierCode::from_static("ups");
            }
            if i % 4 == 0 {
                s.status = ShipmentStatus::Voided;
            }
            // Several rows share a millisecond: the id breaks the tie.
            s.created_at = NOW + time::Duration::minutes(i64::from(i / 2));
            store.insert_shipment(t, &s, &[], &[], None).await.unwrap();
            if *t == a {
                rows.push((s, NAMES[i as usize % NAMES.len()].to_ascii_lowercase()));
            }
        }
    }
    (a, rows)
}

async fn every_search_pages_through_exactly_its_rows_in_order(store: Store) {
    let (a, named) = fill(&store).await;
    let all: Vec<&ShipmentRecord> = named.iter().map(|(s, _)| s).collect();
    let name = |s: &ShipmentRecord| {
        named
            .iter()
            .find(|(r, _)| r.id == s.id)
            .map(|(_, n)| n.clone())
            .unwrap()
    };
    let searches = [
        ShipmentSearch::default(),
        ShipmentSearch {
            tracking_number: Some(all[5].tracking_number.to_string()),
            ..Default::default()
        },
        ShipmentSearch {
            reference: Some("ORDER-3".into()),
            ..Default::default()
        },
        ShipmentSearch {
            recipient: Some("al".into()),
            ..Default::default()
        },
        ShipmentSearch {
            recipient: Some("alice ".into()),
            status: Some(ShipmentStatus::Purchased),
            ..Default::default()
        },
        ShipmentSearch {
            recipient: Some("王".into()),
            ..Default::default()
        },
        ShipmentSearch {
            carrier: Some("ups".into()),
            ..Default::default()
        },
        ShipmentSearch {
            carrier: Some("ups".into()),
            status: Some(ShipmentStatus::Voided),
            ..Default::default()
        },
        ShipmentSearch {
            status: Some(ShipmentStatus::Purchased),
            since: Some(millis(NOW + time::Duration::minutes(3))),
            until: Some(millis(NOW + time::Duration::minutes(15))),
            ..Default::default()
        },
        ShipmentSearch {
            reference: Some("ORDER-1".into()),
            since: Some(millis(NOW + time::Duration::minutes(5))),
            ..Default::default()
        },
    ];
    for q in searches {
        let mut expected: Vec<&ShipmentRecord> = all
            .iter()
            .copied()
            .filter(|s| {
                q.tracking_number
                    .as_ref()
                    .is_none_or(|t| s.tracking_number.as_str() == t)
                    && q.reference
                        .as_ref()
                        .is_none_or(|r| s.reference.as_ref() == Some(r))
                    && q.recipient
                        .as_ref()
                        .is_none_or(|p| name(s).starts_with(p.as_str()))
                    && q.carrier.as_ref().is_none_or(|c| s.carrier.as_str() == c)
                    && q.status.is_none_or(|st| s.status == st)
                    && q.since.is_none_or(|t| millis(s.created_at) >= t)
                    && q.until.is_none_or(|t| millis(s.created_at) < t)
            })
            .collect();
        let newest = |x: &&ShipmentRecord, y: &&ShipmentRecord| {
            (y.created_at, y.id.as_str()).cmp(&(x.created_at, x.id.as_str()))
        };
        if q.recipient.is_some() {
            expected.sort_by(|x, y| {
                name(x)
                    .as_bytes()
                    .cmp(name(y).as_bytes())
                    .then(newest(x, y))
            });
        } else {
            expected.sort_by(newest);
        }
        assert!(!expected.is_empty(), "{q:?} finds something");

        let mut got: Vec<String> = Vec::new();
        let mut cursor: Option<SearchCursor> = None;
        loop {
            // The cursor survives its trip through a URL.
            let c = cursor
                .as_ref()
                .map(|c| SearchCursor::decode(&c.encode()).unwrap());
            let (page, next) = store.search_shipments(&a, &q, c.as_ref(), 3).await.unwrap();
            assert!(page.len() <= 3);
            got.extend(page.iter().map(|s| s.id.to_string()));
            match next {
                Some(n) => cursor = Some(n),
                None => break,
            }
            assert!(got.len() <= all.len(), "{q:?} never ends");
        }
        let want: Vec<String> = expected.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(got, want, "{q:?}");

        if store.backend == Backend::Sqlite {
            // An index range scan in the result's order: no table scan, no sort.
            let (sql, binds) = crate::store::console_shipments::search_sql(&q, cursor.as_ref(), 26);
            let mut plan = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .bind(a.as_str());
            for b in binds {
                plan = b.bind_to(plan);
            }
            let plan: Vec<String> = plan
                .fetch_all(&store.pool)
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get::<String, _>("detail").unwrap())
                .collect();
            let plan = plan.join("\n");
            assert!(plan.contains("USING INDEX shipments_"), "{q:?}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{q:?}: {plan}");
        }
    }

    // Another tenant's numbers are not found.
    let other = tenant(&store, "c").await;
    let (rows, next) = store
        .search_shipments(&other, &ShipmentSearch::default(), None, 10)
        .await
        .unwrap();
    assert!(rows.is_empty() && next.is_none());
}

async fn a_shipments_events_and_their_deliveries_stay_with_their_tenant(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    let hook = endpoint(&["*"], true);
    store.insert_endpoint(&a, &hook, None).await.unwrap();
    let mut bought = Vec::new();
    for t in [&a, &b] {
        let acc = account();
        store.insert_account(t, &acc, None).await.unwrap();
        let s = shipment(&acc.id, 1);
        let e = NewEvent {
            kind: "shipment.created".parse().unwrap(),
            subject_id: s.id.to_string(),
            data: serde_json::json!({}),
        };
        store.insert_shipment(t, &s, &[], &[e], None).await.unwrap();
        bought.push(s);
    }
    store.fan_out_events(NOW, 100).await.unwrap();

    let events = store
        .events_about(&a, bought[0].id.as_str(), Some("trk_none"), 50)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind.as_str(), "shipment.created");
    let deliveries = store
        .deliveries_about(&a, bought[0].id.as_str(), None, 50)
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].endpoint_url, hook.url);
    assert_eq!(deliveries[0].status, "pending");
    assert_eq!(deliveries[0].attempts, 0);

    // Tenant a asking about b's shipment, or b about a's events: nothing.
    assert!(
        store
            .events_about(&a, bought[1].id.as_str(), None, 50)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .deliveries_about(&b, bought[0].id.as_str(), None, 50)
            .await
            .unwrap()
            .is_empty()
    );
}
