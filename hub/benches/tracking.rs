//! Scheduler overhead per poll decision: what the hub spends deciding a tracker's next
//! state, events and next check from a carrier answer (`tracking::decide`), outside any I/O.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use shiphub::ids::{ShipmentId, TrackerId};
use shiphub::store::TrackerRecord;
use shiphub::tracking::{PollPolicy, decide};
use shiphub_carriers::model::{TrackingEvent, TrackingResult, TrackingStatus};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-30 12:00 UTC);

fn tracker() -> TrackerRecord {
    TrackerRecord {
        id: TrackerId::generate(),
        tracking_number: "1Z999AA10123456784".into(),
        carrier: "ups".into(),
        carrier_account_id: None,
        shipment_id: Some(ShipmentId::generate()),
        service_class: Some("standard".into()),
        status: TrackingStatus::InTransit,
        sub_status: None,
        carrier_status_code: Some("AR".into()),
        estimated_delivery: Some("2026-12-02".into()),
        promised_date: Some("2026-12-03".into()),
        signed_by: None,
        waiting_reason: None,
        urgency: 1,
        failures: 0,
        last_event_at: Some(NOW - Duration::hours(6)),
        last_checked_at: Some(NOW - Duration::hours(4)),
        next_check_at: Some(NOW),
        delivered_at: None,
        had_exception: false,
        stalled_notified: false,
        late_notified: false,
        created_at: NOW - Duration::days(1),
        updated_at: NOW - Duration::hours(4),
        ship_date: None,
        superseded_by: None,
        network: None,
        subscribed_at: None,
        phone: None,
    }
}

fn scan(at: OffsetDateTime, status: TrackingStatus, code: &str) -> TrackingEvent {
    TrackingEvent {
        occurred_at: at,
        status,
        carrier_code: code.into(),
        sub_status: None,
        description: "Arrived at facility".into(),
        location: None,
    }
}

fn bench(c: &mut Criterion) {
    let policy = PollPolicy::default();
    let old = tracker();
    let quiet = TrackingResult {
        tracking_number: "1Z999AA10123456784".parse().unwrap(),
        status: TrackingStatus::InTransit,
        carrier_code: "AR".into(),
        events: vec![],
        estimated_delivery: None,
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    };
    c.bench_function("decide_no_news", |b| {
        b.iter(|| decide(&policy, NOW, black_box(&old), &[], Some(&quiet)))
    });
    let fresh = [scan(
        NOW - Duration::minutes(10),
        TrackingStatus::OutForDelivery,
        "OD",
    )];
    c.bench_function("decide_new_scan_status_change", |b| {
        b.iter(|| {
            decide(
                &policy,
                NOW,
                black_box(&old),
                black_box(&fresh),
                Some(&quiet),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
