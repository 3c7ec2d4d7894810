//! Smart routing's per-delivery cost (issue 21: ≤ 10 µs): counting a delivery in the transit
//! history, which is the lane and business-day arithmetic plus the upsert of its postal-lane
//! histogram bar (whose trigger, migration 0041, counts the country lane for the console) in the
//! transaction that records the delivery, or folded into multi-row upserts by an import; and what answering percentiles costs once the
//! bars are read (folding bars into exact nearest-rank percentiles).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use shiphub::routing::transit::fold;
use shiphub::store::Store;
use shiphub::store::routing::{Delivery, TransitBar, business_days_between, normalize_postal};
use time::Duration;
use time::macros::date;

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
