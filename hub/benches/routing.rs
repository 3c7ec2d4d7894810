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
use shiphub::tracking::{PollPolicy, new_tracker};
use shiphub_carriers::model::{Currency, LabelFormat, Money, TrackingStatus};
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

    // The tracking path as the scheduler takes it: 1000 trackers of bought shipments that a
    // poll found delivered, counted as `record_polls` counts them, 50 at a time (one sandbox
    // call's answers) or 16 (a one-number carrier's calls grouped by the scheduler): one read
    // of their shipments and one multi-row upsert per group. Time ÷ 1000 = the update per
    // delivery on the tracking path.
    let bought_trackers = rt.block_on(async {
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
        let mut ts = bought(&store, &tenant, &acc.id, 1000).await;
        for t in &mut ts {
            t.status = TrackingStatus::Delivered;
            t.delivered_at = Some(datetime!(2026-11-24 15:00 -5));
        }
        ts
    });
    let delivered: Vec<(&TenantId, &TrackerRecord)> =
        bought_trackers.iter().map(|t| (&tenant, t)).collect();
    let mut g = c.benchmark_group("routing/poll");
    g.sample_size(20);
    for together in [50, 16] {
        let name = format!("1000 deliveries found by polls, {together} a transaction, SQLite");
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(store.count_polled_deliveries(&delivered, together))
                    .unwrap()
            })
        });
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
