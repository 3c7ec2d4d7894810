//! Smart routing's per-delivery cost (issue 21: ≤ 10 µs): counting a delivery in the transit
//! history (the lane and business-day arithmetic, then the upsert of its postal-lane bar, whose
//! trigger, migration 0041, counts the country lane for the console). Timed three ways: a
//! statement each (a delivery recorded alone), imported (folded into multi-row upserts), and on
//! the scheduler's path (a carrier call's answers recorded together, the deliveries among them
//! counted with one read and one upsert). And what answering percentiles costs once the bars
//! are read (folding bars into exact nearest-rank percentiles).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rust_decimal_macros::dec;
use shiphub::ids::{AccountId, ShipmentId, TenantId};
use shiphub::routing::transit::fold;
use shiphub::store::routing::{Delivery, TransitBar, business_days_between, normalize_postal};
use shiphub::store::{
    AccountRecord, ShipmentExtras, ShipmentRecord, ShipmentStatus, ShipmentWaybill, Store,
    StoredRequest, TrackerRecord,
};
use shiphub::tracking::{PollPolicy, decide, new_tracker};
use shiphub_carriers::model::{Currency, LabelFormat, Money, TrackingEvent, TrackingStatus};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-30 12:00 UTC);

/// `n` bought shipments on 20 lanes with their trackers, shipped on Friday 2026-11-20.
async fn bought(
    store: &Store,
    tenant: &TenantId,
    account: &AccountId,
    n: usize,
) -> Vec<TrackerRecord> {
    let policy = PollPolicy::default();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let id = ShipmentId::generate();
        let number = format!("SB{:010}", rand_number());
        let request = format!(
            r#"{{"from":{{"country":"US","postal_code":"{:05}"}},"to":{{"country":"US","postal_code":"{:05}"}},"parcels":[{{"weight":{{"value":"2","unit":"kg"}}}}]}}"#,
            10001 + (i % 4) * 1000,
            90001 + (i % 5) * 400,
        );
        let s = ShipmentRecord {
            id: id.clone(),
            carrier_account_id: account.clone(),
            carrier: shiphub_carriers::CarrierCode::from_static("sandbox"),
            service_code: "express".into(),
            status: ShipmentStatus::Purchased,
            tracking_number: number.parse().unwrap(),
            reference: None,
            total: Money::new(dec!(12.34), Currency::USD),
            label_format: LabelFormat::Pdf,
            request: StoredRequest::from_json(request),
            waybill: ShipmentWaybill {
                pieces: vec![],
                carrier_shipment_id: number.clone(),
                breakdown: vec![],
                warnings: vec![],
                carrier_label: None,
            },
            created_at: NOW,
            updated_at: NOW,
            voided_at: None,
            audit_facts: None,
            link: Default::default(),
        };
        let mut t = new_tracker(
            &policy,
            NOW,
            &number,
            "sandbox",
            Some(account.clone()),
            Some(id),
            None,
            Some(date!(2026 - 11 - 25)),
        );
        t.ship_date = Some("2026-11-20".into());
        let extras = ShipmentExtras {
            job: None,
            tracker: Some(&t),
        };
        store
            .insert_shipment_with(tenant, &s, &[], &[], extras, None)
            .await
            .unwrap();
        out.push(t);
    }
    out
}

/// A unique number per shipment across the bench's iterations.
fn rand_number() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Records one scan for each tracker as the scheduler records its calls' answers
/// (`Store::record_polls`, `together` trackers at a time); the time taken.
async fn record_calls(
    store: &Store,
    tenant: &TenantId,
    ts: &[TrackerRecord],
    status: TrackingStatus,
    together: usize,
) -> std::time::Duration {
    let policy = PollPolicy::default();
    let scan = [TrackingEvent {
        occurred_at: datetime!(2026-11-24 15:00 -5),
        status,
        carrier_code: "X".into(),
        sub_status: None,
        description: "scan".into(),
        location: None,
    }];
    let start = std::time::Instant::now();
    for call in ts.chunks(together) {
        let polls: Vec<_> = call.iter().map(|t| (tenant, &t.id, &scan[..])).collect();
        let recorded = store
            .record_polls("bench", &polls, |_, o, fresh| {
                decide(&policy, NOW, o, fresh, None)
            })
            .await
            .unwrap();
        assert!(
            recorded
                .iter()
                .all(|t| t.as_ref().unwrap().status == status)
        );
    }
    start.elapsed()
}

fn deliveries(n: usize) -> Vec<Delivery> {
    let start = date!(2026 - 09 - 01);
    (0..n)
        .map(|i| {
            let shipped = start + Duration::days((i % 80) as i64);
            Delivery {
                carrier: ["ups", "fedex", "sandbox"][i % 3].into(),
                service_code: ["ground", "express"][i % 2].into(),
                from_country: "US".into(),
                from_postal: format!("{:05}", 10001 + (i % 7) * 1000),
                to_country: "US".into(),
                to_postal: format!("{:05}", 90001 + (i % 11) * 400),
                shipped,
                delivered: shipped + Duration::days((i % 9) as i64),
                promise: Some(shipped + Duration::days(5)),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let (store, tenant) = rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let t = store
            .create_tenant("bench", time::OffsetDateTime::now_utc())
            .await
            .unwrap()
            .id;
        (store, t)
    });

    let ds = deliveries(1000);
    c.bench_function("routing/delivery_key (business days, lane)", |b| {
        let d = &ds[17];
        b.iter(|| {
            (
                business_days_between(black_box(d.shipped), black_box(d.delivered)),
                normalize_postal(black_box(&d.to_postal)),
                normalize_postal(black_box(&d.from_postal)),
            )
        })
    });

    // 1000 deliveries counted in one transaction with a statement each, as the tracking path
    // counts a delivery in its check's transaction: time / 1000 = the update per delivery.
    // And the same 1000 imported (`routing import-deliveries`): folded into bars, multi-row
    // upserts.
    let mut g = c.benchmark_group("routing/record");
    g.sample_size(20);
    g.bench_function("1000 deliveries, SQLite, a statement each", |b| {
        b.iter_batched(
            || deliveries(1000),
            |ds| {
                rt.block_on(store.record_deliveries_each(&tenant, &ds))
                    .unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("1000 deliveries, SQLite, imported", |b| {
        b.iter_batched(
            || deliveries(1000),
            |ds| rt.block_on(store.record_deliveries(&tenant, &ds)).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.finish();

    // The tracking path as the scheduler takes it: 1000 trackers of bought shipments, their
    // answers recorded together (`record_polls`) as one sandbox call's 50 are, or as the
    // scheduler groups a one-number carrier's (UPS) calls, 16; each answer one scan. When the
    // scan is the delivery the group also counts its deliveries (one read of the shipments,
    // one multi-row upsert); an ordinary scan does not. The difference ÷ 1000 is what counting
    // a delivery adds to the tracking path.
    let account = rt.block_on(async {
        let acc = AccountRecord {
            id: AccountId::generate(),
            carrier: "sandbox".into(),
            name: "bench".into(),
            base_url: None,
            secret_nonce: vec![1; 12],
            secret: vec![0, 1, 2, 3],
            created_at: NOW,
        };
        store.insert_account(&tenant, &acc, None).await.unwrap();
        acc.id
    });
    let mut g = c.benchmark_group("routing/poll");
    g.sample_size(10);
    g.warm_up_time(std::time::Duration::from_secs(1));
    for together in [50, 16] {
        for (what, status) in [
            ("delivered", TrackingStatus::Delivered),
            ("in transit", TrackingStatus::InTransit),
        ] {
            let name = format!("1000 trackers, {together} a transaction, SQLite, {what}");
            g.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let mut spent = std::time::Duration::ZERO;
                        for _ in 0..iters {
                            let ts = bought(&store, &tenant, &account, 1000).await;
                            spent += record_calls(&store, &tenant, &ts, status, together).await;
                        }
                        spent
                    })
                })
            });
        }
    }
    g.finish();

    // A busy lane's bars: 3 services × 30 transit days.
    let bars: Vec<TransitBar> = (0..90)
        .map(|i| TransitBar {
            carrier: "ups".into(),
            service_code: ["ground", "express", "2day"][i % 3].into(),
            transit_days: (i / 3) as i64,
            deliveries: 40 + i as i64,
            promised: 40,
            on_time: 30,
        })
        .collect();
    c.bench_function("routing/fold 90 bars into percentiles", |b| {
        b.iter(|| fold(black_box(&bars)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
