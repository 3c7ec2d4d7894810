//! Smart routing in the store, on both backends: a delivery is counted once, in the tracking
//! transaction that records it; the histograms summed over a window and a lane prefix equal a
//! brute-force count over the same deliveries; rules and kept quotes stay with their tenant.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use shiphub_carriers::model::{TrackingEvent, TrackingStatus};
use time::macros::date;
use time::{Date, Duration};

use super::{NOW, account, on_postgres, on_postgres_schema, shipment, sqlite_store};
use super::{sqlite_store_unmigrated, tenant};
use crate::routing::transit;
use crate::store::routing::{
    Delivery, LaneEnd, PurchaseQuotes, TransitFilter, business_days_between,
};
use crate::store::{ShipmentExtras, ShipmentRecord, Store, StoredRequest};

both_backends!(
    a_delivery_is_counted_once_in_the_transaction_that_records_it,
    window_and_lane_prefix_sums_equal_a_brute_force_count,
    rules_and_kept_quotes_stay_with_their_tenant_and_feed_the_cost_rows,
    an_import_counts_as_recording_each_delivery_on_its_own,
    one_carrier_calls_deliveries_are_counted_together_as_each_alone,
);

mod migration_0039_counts_the_recorded_history_by_country {
    #[tokio::test]
    async fn sqlite() {
        let (store, _dir) = super::sqlite_store_unmigrated().await;
        super::migration_0039_counts_the_recorded_history_by_country(store).await;
    }
    #[tokio::test]
    async fn postgres() {
        super::on_postgres_schema(
            false,
            super::migration_0039_counts_the_recorded_history_by_country,
        )
        .await;
    }
}

/// Deliveries recorded before 0039 (postal lanes only) are in the country lanes after it:
/// postal prefixes of one country pair, day and transit days fold into one bar.
async fn migration_0039_counts_the_recorded_history_by_country(store: Store) {
    store.migrate_to(38).await.unwrap();
    let t = tenant(&store, "before").await;
    let day = i64::from(date!(2026 - 11 - 20).to_julian_day());
    for (to_country, to_postal, days, n, promised, on_time) in [
        ("US", "94105", 2, 3, 3, 2),
        ("US", "10001", 2, 4, 1, 1),
        ("US", "10001", 3, 1, 0, 0),
        ("DE", "10115", 2, 5, 5, 5),
    ] {
        sqlx::query(
            "INSERT INTO transit_history (tenant_id, carrier, service_code, from_country, \
             from_postal, to_country, to_postal, day, transit_days, deliveries, promised, on_time) \
             VALUES ($1, 'ups', 'ground', 'US', '30301', $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.as_str())
        .bind(to_country)
        .bind(to_postal)
        .bind(day)
        .bind(days)
        .bind(n)
        .bind(promised)
        .bind(on_time)
        .execute(&store.writer)
        .await
        .unwrap();
    }
    store.migrate().await.unwrap();
    let d = date!(2026 - 11 - 20);
    let mut got: Vec<(String, i64, i64, i64, i64)> = store
        .transit_by_country(&t, d, d)
        .await
        .unwrap()
        .into_iter()
        .map(|b| {
            (
                b.to_country,
                b.bar.transit_days,
                b.bar.deliveries,
                b.bar.promised,
                b.bar.on_time,
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("DE".into(), 2, 5, 5, 5),
            ("US".into(), 2, 7, 4, 3),
            ("US".into(), 3, 1, 0, 0)
        ]
    );
}

const REQUEST: &str = r#"{"from":{"country":"US","postal_code":"10001"},"to":{"country":"US","postal_code":"94105-1234"},"parcels":[{"weight":{"value":"2","unit":"kg"}}]}"#;

async fn a_delivery_is_counted_once_in_the_transaction_that_records_it(store: Store) {
    let t = tenant(&store, "deliveries").await;
    let acc = account();
    store.insert_account(&t, &acc, None).await.unwrap();
    let policy = crate::tracking::PollPolicy::default();
    let bought = ShipmentRecord {
        request: StoredRequest::from_json(REQUEST),
        ..shipment(&acc.id, 1)
    };
    let mut tracker = crate::tracking::new_tracker(
        &policy,
        NOW,
        bought.tracking_number.as_str(),
        "sandbox",
        Some(acc.id.clone()),
        Some(bought.id.clone()),
        None,
        Some(date!(2026 - 11 - 25)),
    );
    // Shipped Friday 2026-11-20, delivered Tuesday 2026-11-24: 2 business days, on time.
    tracker.ship_date = Some("2026-11-20".into());
    store
        .insert_shipment_with(
            &t,
            &bought,
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
    let scan = |status, at| TrackingEvent {
        occurred_at: at,
        status,
        carrier_code: "X".into(),
        sub_status: None,
        description: "scan".into(),
        location: None,
    };
    let delivered_at = time::macros::datetime!(2026-11-24 15:00 -5);
    for _ in 0..2 {
        // The second check finds the same delivery again: nothing new to count.
        store
            .record_tracking(
                &t,
                &tracker.id,
                None,
                &[scan(TrackingStatus::Delivered, delivered_at)],
                |o, fresh| crate::tracking::decide(&policy, NOW, o, fresh, None),
            )
            .await
            .unwrap();
    }
    let f = TransitFilter {
        carrier: None,
        service_code: None,
        from: LaneEnd {
            country: "US".into(),
            prefix: "100".into(),
        },
        to: LaneEnd {
            country: "US".into(),
            prefix: "941".into(),
        },
        since: date!(2026 - 09 - 01),
        until: date!(2026 - 11 - 30),
    };
    let bars = store.transit_bars(&t, &f).await.unwrap();
    assert_eq!(bars.len(), 1, "{bars:?}");
    assert_eq!(
        (
            bars[0].carrier.as_str(),
            bars[0].service_code.as_str(),
            bars[0].transit_days,
            bars[0].deliveries,
            bars[0].promised,
            bars[0].on_time
        ),
        ("sandbox", "express", 2, 1, 1, 1)
    );
    // The country lanes (the console's analytics) count it once too.
    let by_country = store
        .transit_by_country(&t, f.since, f.until)
        .await
        .unwrap();
    assert_eq!(
        by_country,
        [crate::store::routing::CountryBar {
            from_country: "US".into(),
            to_country: "US".into(),
            bar: bars[0].clone(),
        }]
    );
    // Another tenant sees nothing.
    let other = tenant(&store, "other").await;
    assert!(store.transit_bars(&other, &f).await.unwrap().is_empty());
}

/// A small deterministic generator (no dependency for a test's spread of deliveries).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

async fn window_and_lane_prefix_sums_equal_a_brute_force_count(store: Store) {
    let t = tenant(&store, "brute").await;
    let today = date!(2026 - 11 - 22);
    let mut rng = Lcg(21);
    let mut all = vec![];
    for _ in 0..300 {
        let shipped = today - Duration::days(rng.next(120) as i64 + 1);
        let delivered = shipped + Duration::days(rng.next(9) as i64);
        let d = Delivery {
            carrier: ["ups", "fedex"][rng.next(2) as usize].into(),
            service_code: "ground".into(),
            from_country: "US".into(),
            from_postal: ["10001", "10013", "11201"][rng.next(3) as usize].into(),
            to_country: "US".into(),
            to_postal: ["94105", "94107", "90001"][rng.next(3) as usize].into(),
            shipped,
            delivered,
            promise: (rng.next(4) > 0).then(|| crate::tracking::add_business_days(shipped, 3)),
        };
        store.record_delivery(&t, &d).await.unwrap();
        all.push(d);
    }
    for (from, to, window) in [
        ("100", "941", 90u32),
        ("1", "9", 30),
        ("", "", 90),
        ("10001", "94105", 120),
    ] {
        let stats = transit::lookup(
            &store,
            &t,
            transit::Lookup {
                carrier: Some("ups"),
                service: None,
                from: LaneEnd {
                    country: "US".into(),
                    prefix: from.into(),
                },
                to: LaneEnd {
                    country: "US".into(),
                    prefix: to.into(),
                },
                today,
                window_days: window,
            },
        )
        .await
        .unwrap();
        let since: Date = today - Duration::days(i64::from(window) - 1);
        let mut days: Vec<u32> = all
            .iter()
            .filter(|d| {
                d.carrier == "ups"
                    && d.from_postal.starts_with(from)
                    && d.to_postal.starts_with(to)
                    && d.delivered >= since
                    && d.delivered <= today
            })
            .map(|d| business_days_between(d.shipped, d.delivered) as u32)
            .collect();
        days.sort_unstable();
        let promised: Vec<&Delivery> = all
            .iter()
            .filter(|d| {
                d.carrier == "ups"
                    && d.from_postal.starts_with(from)
                    && d.to_postal.starts_with(to)
                    && d.delivered >= since
                    && d.delivered <= today
                    && d.promise.is_some()
            })
            .collect();
        let on_time = promised
            .iter()
            .filter(|d| d.on_time() == Some(true))
            .count();
        let s = &stats[0];
        let nearest = |p: usize| days[(p * days.len()).div_ceil(100).max(1) - 1];
        assert_eq!(
            s.samples as usize,
            days.len(),
            "lane {from}>{to} window {window}"
        );
        assert_eq!(
            [s.p50, s.p75, s.p90, s.p95, s.p99],
            [
                nearest(50),
                nearest(75),
                nearest(90),
                nearest(95),
                nearest(99)
            ],
            "lane {from}>{to} window {window}"
        );
        assert_eq!(s.promised as usize, promised.len());
        assert_eq!(
            s.on_time_rate,
            Some((Decimal::from(on_time) / Decimal::from(promised.len())).round_dp(4))
        );
    }
    // The country lanes (the console's analytics) count the same deliveries: per carrier and
    // transit days, over any window, the brute-force count of the recorded deliveries.
    let by_country = |since: Date| {
        let mut want: BTreeMap<(String, i64), (i64, i64, i64)> = BTreeMap::new();
        for d in all
            .iter()
            .filter(|d| d.delivered >= since && d.delivered <= today)
        {
            let e = want
                .entry((d.carrier.clone(), d.transit_days()))
                .or_default();
            e.0 += 1;
            e.1 += i64::from(d.promise.is_some());
            e.2 += i64::from(d.on_time() == Some(true));
        }
        want
    };
    for window in [1, 30, 121] {
        let since = today - Duration::days(window - 1);
        let got: BTreeMap<(String, i64), (i64, i64, i64)> = store
            .transit_by_country(&t, since, today)
            .await
            .unwrap()
            .into_iter()
            .map(|b| {
                assert_eq!(
                    (b.from_country.as_str(), b.to_country.as_str()),
                    ("US", "US")
                );
                (
                    (b.bar.carrier, b.bar.transit_days),
                    (b.bar.deliveries, b.bar.promised, b.bar.on_time),
                )
            })
            .collect();
        assert_eq!(got, by_country(since), "window {window}");
    }
    assert!(
        store
            .transit_by_country(
                &tenant(&store, "none").await,
                today - Duration::days(365),
                today
            )
            .await
            .unwrap()
            .is_empty()
    );
    // Pruning drops the days before the cut and only those, in both tables.
    let cut = today - Duration::days(60);
    let pruned = store.prune_transit(&t, cut).await.unwrap();
    assert!(pruned > 0);
    let kept: i64 = store
        .transit_by_country(&t, today - Duration::days(365), today)
        .await
        .unwrap()
        .iter()
        .map(|b| b.bar.deliveries)
        .sum();
    let want: i64 = by_country(cut).values().map(|v| v.0).sum();
    assert_eq!(kept, want);
    // Housekeeping's prune, across tenants: nothing left before the same cut, the rest after.
    assert_eq!(
        store
            .prune_transit_everywhere(today - Duration::days(60))
            .await
            .unwrap(),
        0
    );
    assert!(
        store
            .prune_transit_everywhere(today + Duration::days(1))
            .await
            .unwrap()
            > 0
    );
}

async fn rules_and_kept_quotes_stay_with_their_tenant_and_feed_the_cost_rows(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    store
        .put_routing_rules(&a, r#"{"rules":[]}"#, NOW)
        .await
        .unwrap();
    store
        .put_routing_rules(&a, r#"{"rules":[{"name":"x"}]}"#, NOW)
        .await
        .unwrap();
    assert_eq!(
        store.routing_rules(&a).await.unwrap().as_deref(),
        Some(r#"{"rules":[{"name":"x"}]}"#)
    );
    assert_eq!(store.routing_rules(&b).await.unwrap(), None);

    let acc = account();
    store.insert_account(&a, &acc, None).await.unwrap();
    let s1 = ShipmentRecord {
        request: StoredRequest::from_json(REQUEST),
        ..shipment(&acc.id, 1)
    };
    let s2 = ShipmentRecord {
        request: StoredRequest::from_json(REQUEST),
        ..shipment(&acc.id, 2)
    };
    for s in [&s1, &s2] {
        store.insert_shipment(&a, s, &[], &[], None).await.unwrap();
    }
    let kept = PurchaseQuotes {
        shipment_id: s1.id.to_string(),
        strategy: "deliver_by".into(),
        chosen: "12.345".into(),
        cheapest: "10.00".into(),
        fastest: "30.00".into(),
        currency: "USD".into(),
        quotes: "[]".into(),
        created_at: NOW,
    };
    store.insert_purchase_quotes(&a, &kept).await.unwrap();
    // Kept once: a replay does not overwrite.
    store
        .insert_purchase_quotes(
            &a,
            &PurchaseQuotes {
                cheapest: "1".into(),
                ..kept.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .purchase_quotes(&a, s1.id.as_str())
            .await
            .unwrap()
            .as_ref(),
        Some(&kept)
    );
    assert_eq!(
        store.purchase_quotes(&b, s1.id.as_str()).await.unwrap(),
        None
    );
    let rows = store
        .cost_rows(&a, NOW - Duration::days(1), NOW + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let first = rows
        .iter()
        .find(|r| r.shipment_id == s1.id.as_str())
        .unwrap();
    assert_eq!(
        first.alternatives,
        Some(("10.00".to_string(), "30.00".to_string()))
    );
    let second = rows
        .iter()
        .find(|r| r.shipment_id == s2.id.as_str())
        .unwrap();
    assert_eq!(second.alternatives, None);
    assert!(
        store
            .cost_rows(&b, NOW - Duration::days(1), NOW + Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
}

/// `import-deliveries` folds its deliveries into bars and writes them in multi-row upserts:
/// both tables end up as if each delivery had been recorded on its own (the tracking path),
/// across chunk boundaries and with repeated bars.
async fn an_import_counts_as_recording_each_delivery_on_its_own(store: Store) {
    let one_by_one = tenant(&store, "one-by-one").await;
    let imported = tenant(&store, "imported").await;
    let today = date!(2026 - 11 - 22);
    let mut rng = Lcg(7);
    let all: Vec<Delivery> = (0..1500)
        .map(|_| {
            let shipped = today - Duration::days(rng.next(300) as i64 + 1);
            Delivery {
                carrier: ["ups", "fedex", "sandbox"][rng.next(3) as usize].into(),
                service_code: ["ground", "express"][rng.next(2) as usize].into(),
                from_country: "US".into(),
                from_postal: ["10001", "10013"][rng.next(2) as usize].into(),
                to_country: ["US", "CA"][rng.next(2) as usize].into(),
                to_postal: ["94105", "90001"][rng.next(2) as usize].into(),
                shipped,
                delivered: shipped + Duration::days(rng.next(6) as i64),
                promise: (rng.next(3) > 0).then(|| crate::tracking::add_business_days(shipped, 2)),
            }
        })
        .collect();
    store
        .record_deliveries_each(&one_by_one, &all)
        .await
        .unwrap();
    // The first half twice, as a second import of the same file would.
    store
        .record_deliveries(&imported, &all[..750])
        .await
        .unwrap();
    store
        .record_deliveries(&imported, &all[750..])
        .await
        .unwrap();
    store
        .record_deliveries(&imported, &all[..750])
        .await
        .unwrap();
    store
        .record_deliveries_each(&one_by_one, &all[..750])
        .await
        .unwrap();
    let rows = |table: &str, columns: &str, t: &crate::ids::TenantId| {
        let sql = format!(
            "SELECT {columns}, deliveries, promised, on_time FROM {table} WHERE tenant_id = $1 \
             ORDER BY {columns}"
        );
        let (store, t) = (store.clone(), t.clone());
        async move {
            use sqlx::Row;
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(t.as_str())
                .fetch_all(&store.pool)
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| {
                            r.try_get::<String, _>(i)
                                .or_else(|_| r.try_get::<i64, _>(i).map(|n| n.to_string()))
                                .unwrap()
                        })
                        .collect::<Vec<String>>()
                })
                .collect::<Vec<_>>()
        }
    };
    let postal = "carrier, service_code, from_country, from_postal, to_country, to_postal, day, transit_days";
    let country = "carrier, service_code, from_country, to_country, day, transit_days";
    let want = rows("transit_history", postal, &one_by_one).await;
    assert!(
        want.len() > 2 * 500,
        "crosses import chunks: {} bars",
        want.len()
    );
    assert_eq!(rows("transit_history", postal, &imported).await, want);
    assert_eq!(
        rows("transit_by_country", country, &imported).await,
        rows("transit_by_country", country, &one_by_one).await
    );
    let total: i64 = store
        .transit_by_country(
            &imported,
            today - Duration::days(400),
            today + Duration::days(10),
        )
        .await
        .unwrap()
        .iter()
        .map(|b| b.bar.deliveries)
        .sum();
    assert_eq!(total, 2250);
}

/// The scheduler records one carrier call's answers together (`record_polls`) and counts their
/// deliveries with one read of the shipments and one upsert: each delivery lands in its own
/// tenant's bar, from its own shipment's lane (flattened or nested request), once; a parcel
/// followed without a shipment, and one delivered before, count nothing. Worked by hand.
async fn one_carrier_calls_deliveries_are_counted_together_as_each_alone(store: Store) {
    let a = tenant(&store, "calls-a").await;
    let b = tenant(&store, "calls-b").await;
    let policy = crate::tracking::PollPolicy::default();
    // (tenant, request, ship date, promise, delivered at)
    let nested = r#"{"shipment":{"from":{"country":"DE","postal_code":"10115"},"to":{"country":"FR","postal_code":"75 001"}}}"#;
    let plans = [
        (
            &a,
            REQUEST,
            "2026-11-20",
            date!(2026 - 11 - 25),
            time::macros::datetime!(2026-11-24 15:00 -5),
        ),
        (
            &a,
            REQUEST,
            "2026-11-20",
            date!(2026 - 11 - 23),
            time::macros::datetime!(2026-11-24 09:00 -5),
        ),
        (
            &a,
            nested,
            "2026-11-16",
            date!(2026 - 11 - 20),
            time::macros::datetime!(2026-11-19 12:00 +1),
        ),
        (
            &b,
            REQUEST,
            "2026-11-20",
            date!(2026 - 11 - 25),
            time::macros::datetime!(2026-11-24 15:00 -5),
        ),
    ];
    let mut trackers = vec![];
    for (n, (t, request, shipped, promised, _)) in plans.iter().enumerate() {
        let acc = account();
        store.insert_account(t, &acc, None).await.unwrap();
        let bought = ShipmentRecord {
            request: StoredRequest::from_json(*request),
            ..shipment(&acc.id, 100 + n as u32)
        };
        let mut tracker = crate::tracking::new_tracker(
            &policy,
            NOW,
            bought.tracking_number.as_str(),
            "sandbox",
            Some(acc.id.clone()),
            Some(bought.id.clone()),
            None,
            Some(*promised),
        );
        tracker.ship_date = Some((*shipped).into());
        let extras = ShipmentExtras {
            job: None,
            tracker: Some(&tracker),
        };
        store
            .insert_shipment_with(t, &bought, &[], &[], extras, None)
            .await
            .unwrap();
        trackers.push(tracker);
    }
    // A parcel followed by number only: no shipment, no lane.
    let followed = crate::tracking::new_tracker(
        &policy,
        NOW,
        "SB7777777777",
        "sandbox",
        None,
        None,
        None,
        None,
    );
    store
        .insert_trackers(&a, std::slice::from_ref(&followed))
        .await
        .unwrap();
    let scan = |at| TrackingEvent {
        occurred_at: at,
        status: TrackingStatus::Delivered,
        carrier_code: "D".into(),
        sub_status: None,
        description: "delivered".into(),
        location: None,
    };
    // The first tracker's delivery was recorded by an earlier look.
    let first = [scan(plans[0].4)];
    store
        .record_tracking(&a, &trackers[0].id, None, &first, |o, fresh| {
            crate::tracking::decide(&policy, NOW, o, fresh, None)
        })
        .await
        .unwrap();
    let answers: Vec<Vec<TrackingEvent>> = plans
        .iter()
        .map(|p| vec![scan(p.4)])
        .chain([vec![scan(plans[0].4)]])
        .collect();
    let polls: Vec<_> = plans
        .iter()
        .map(|p| p.0)
        .chain([&a])
        .zip(trackers.iter().map(|t| &t.id).chain([&followed.id]))
        .zip(&answers)
        .map(|((t, id), scans)| (t, id, scans.as_slice()))
        .collect();
    let recorded = store
        .record_polls("me", &polls, |_, o, fresh| {
            crate::tracking::decide(&policy, NOW, o, fresh, None)
        })
        .await
        .unwrap();
    assert!(
        recorded
            .iter()
            .all(|t| t.as_ref().unwrap().status == TrackingStatus::Delivered)
    );
    let sum = |t: &crate::ids::TenantId, from: (&str, &str), to: (&str, &str)| {
        let f = TransitFilter {
            carrier: None,
            service_code: None,
            from: LaneEnd {
                country: from.0.into(),
                prefix: from.1.into(),
            },
            to: LaneEnd {
                country: to.0.into(),
                prefix: to.1.into(),
            },
            since: date!(2026 - 09 - 01),
            until: date!(2026 - 11 - 30),
        };
        let (store, t) = (store.clone(), t.clone());
        async move {
            store
                .transit_bars(&t, &f)
                .await
                .unwrap()
                .into_iter()
                .map(|b| (b.transit_days, b.deliveries, b.promised, b.on_time))
                .collect::<Vec<_>>()
        }
    };
    // Tenant a, US 10001 -> US 94105: Friday 20th to Tuesday 24th is 2 business days, once on
    // time (promised the 25th, the earlier look) and once late (promised the 23rd).
    assert_eq!(
        sum(&a, ("US", "10001"), ("US", "94105")).await,
        [(2, 2, 2, 1)]
    );
    // DE 10115 -> FR 75001 from the nested request: Monday 16th to Thursday 19th, 3 days, on time.
    assert_eq!(
        sum(&a, ("DE", "10115"), ("FR", "75001")).await,
        [(3, 1, 1, 1)]
    );
    // Tenant b's delivery is b's alone.
    assert_eq!(sum(&b, ("US", ""), ("US", "")).await, [(2, 1, 1, 1)]);
    // Nothing else for a: the followed parcel has no lane.
    assert_eq!(sum(&a, ("US", ""), ("US", "")).await, [(2, 2, 2, 1)]);
    let by_country = store
        .transit_by_country(&a, date!(2026 - 09 - 01), date!(2026 - 11 - 30))
        .await
        .unwrap();
    let deliveries: i64 = by_country.iter().map(|c| c.bar.deliveries).sum();
    assert_eq!(deliveries, 3, "{by_country:?}");
}
