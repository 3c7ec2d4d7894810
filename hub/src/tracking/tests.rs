use shiphub_carriers::model::{TrackingEvent, TrackingResult, TrackingStatus};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::ids::{ShipmentId, TrackerId};

const NOW: OffsetDateTime = datetime!(2026-11-30 12:00 UTC);

fn tracker() -> TrackerRecord {
    TrackerRecord {
        id: TrackerId::generate(),
        tracking_number: "SB0123".into(),
        carrier: "sandbox".into(),
        carrier_account_id: None,
        shipment_id: Some(ShipmentId::generate()),
        service_class: Some("standard".into()),
        status: TrackingStatus::PreTransit,
        sub_status: None,
        carrier_status_code: None,
        estimated_delivery: None,
        promised_date: None,
        signed_by: None,
        waiting_reason: None,
        urgency: 1,
        failures: 2,
        last_event_at: None,
        last_checked_at: None,
        next_check_at: Some(NOW),
        delivered_at: None,
        had_exception: false,
        stalled_notified: false,
        late_notified: false,
        created_at: NOW - Duration::hours(1),
        updated_at: NOW - Duration::hours(1),
        ship_date: None,
        superseded_by: None,
        network: None,
        subscribed_at: None,
        phone: None,
    }
}

fn scan(at: OffsetDateTime, status: TrackingStatus, code: &str, text: &str) -> TrackingEvent {
    TrackingEvent {
        occurred_at: at,
        status,
        carrier_code: code.into(),
        sub_status: None,
        description: text.into(),
        location: None,
    }
}

fn result(events: &[TrackingEvent]) -> TrackingResult {
    TrackingResult {
        tracking_number: "SB0123".parse().unwrap(),
        status: events
            .last()
            .map_or(TrackingStatus::PreTransit, |e| e.status),
        carrier_code: "x".into(),
        events: events.to_vec(),
        estimated_delivery: None,
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}

fn kinds(events: &[NewEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

#[test]
fn delivery_is_announced_once_and_stops_polling() {
    let p = PollPolicy::default();
    let scans = [
        scan(
            NOW - Duration::minutes(50),
            TrackingStatus::InTransit,
            "AR",
            "Arrived",
        ),
        scan(
            NOW - Duration::minutes(5),
            TrackingStatus::Delivered,
            "DL",
            "Delivered",
        ),
    ];
    let (t, ev) = decide(&p, NOW, &tracker(), &scans, Some(&result(&scans)));
    assert_eq!(t.status, TrackingStatus::Delivered);
    assert_eq!(t.delivered_at, Some(NOW - Duration::minutes(5)));
    assert_eq!(t.next_check_at, None, "delivered parcels are not polled");
    assert_eq!(t.failures, 0);
    assert_eq!(kinds(&ev), ["tracker.updated", "shipment.delivered"]);
    // the same answer again: nothing new (the store passes no fresh scans), nothing emitted
    let (again, ev) = decide(&p, NOW, &t, &[], Some(&result(&scans)));
    assert!(ev.is_empty());
    assert_eq!(again.status, TrackingStatus::Delivered);
    // a late in-transit scan does not undo delivery; a return does
    let stray = [scan(NOW, TrackingStatus::InTransit, "AR", "Arrived")];
    assert_eq!(
        decide(&p, NOW, &t, &stray, None).0.status,
        TrackingStatus::Delivered
    );
    let back = [scan(
        NOW,
        TrackingStatus::ReturnToSender,
        "RS",
        "Returned to sender",
    )];
    let (r, ev) = decide(&p, NOW, &t, &back, None);
    assert_eq!(r.status, TrackingStatus::ReturnToSender);
    assert!(
        ev.iter()
            .any(|e| e.kind == "shipment.exception" && e.data["reason"] == "returned")
    );
}

#[test]
fn exceptions_carry_their_reason_and_make_the_tracker_urgent() {
    let p = PollPolicy::default();
    for (status, text, reason) in [
        (
            TrackingStatus::AttemptFail,
            "Delivery attempted",
            "attempt_failed",
        ),
        (TrackingStatus::Exception, "Held by customs", "customs_hold"),
        (
            TrackingStatus::Exception,
            "Incorrect address",
            "address_problem",
        ),
        (TrackingStatus::Exception, "Package damaged", "damaged"),
        (TrackingStatus::Exception, "Refused by recipient", "refused"),
        (TrackingStatus::Exception, "Package lost", "lost"),
    ] {
        let s = [scan(NOW, status, "EX", text)];
        let (t, ev) = decide(&p, NOW, &tracker(), &s, Some(&result(&s)));
        let exc = ev
            .iter()
            .find(|e| e.kind == "shipment.exception")
            .expect(text);
        assert_eq!(exc.data["reason"], reason, "{text}");
        assert_eq!(t.urgency, 0);
        assert!(t.had_exception);
        assert_eq!(t.next_check_at, Some(NOW + p.problem));
    }
}

#[test]
fn a_quiet_parcel_is_stalled_once_and_a_passed_date_is_late_once() {
    let p = PollPolicy::default();
    let mut old = tracker();
    old.status = TrackingStatus::InTransit;
    old.last_event_at = Some(NOW - Duration::hours(97));
    old.promised_date = Some("2026-11-27".into());
    let (t, ev) = decide(&p, NOW, &old, &[], Some(&result(&[])));
    assert_eq!(kinds(&ev), ["shipment.stalled", "shipment.late"]);
    assert_eq!(t.urgency, 0, "late parcels go first");
    let (_, ev) = decide(&p, NOW + Duration::hours(1), &t, &[], Some(&result(&[])));
    assert!(ev.is_empty(), "each said once");
    // a new scan ends the stall; the next quiet spell is announced again
    let s = [scan(
        NOW + Duration::hours(2),
        TrackingStatus::InTransit,
        "AR",
        "Arrived",
    )];
    let (moving, ev) = decide(&p, NOW + Duration::hours(2), &t, &s, None);
    assert_eq!(kinds(&ev), ["tracker.updated"]);
    assert!(!moving.stalled_notified);
    // express services stall sooner
    let mut express = old.clone();
    express.service_class = Some("express".into());
    express.last_event_at = Some(NOW - Duration::hours(40));
    express.promised_date = None;
    assert_eq!(
        kinds(&decide(&p, NOW, &express, &[], None).1),
        ["shipment.stalled"]
    );
}

#[test]
fn polling_follows_the_parcel_and_expires_silent_ones() {
    let p = PollPolicy::default();
    let fresh = tracker();
    assert_eq!(p.interval(&fresh, NOW.date()), Some(p.after_label));
    let mut t = tracker();
    t.last_checked_at = Some(NOW);
    t.status = TrackingStatus::InTransit;
    assert_eq!(p.interval(&t, NOW.date()), Some(p.in_transit));
    t.estimated_delivery = Some("2026-12-01".into());
    assert_eq!(p.interval(&t, NOW.date()), Some(p.near_delivery));
    t.status = TrackingStatus::OutForDelivery;
    assert_eq!(p.interval(&t, NOW.date()), Some(p.out_for_delivery));
    let mut silent = tracker();
    silent.created_at = NOW - Duration::days(31);
    let (gone, _) = decide(&p, NOW, &silent, &[], Some(&result(&[])));
    assert_eq!(gone.status, TrackingStatus::Expired);
    assert_eq!(gone.next_check_at, None);
    // backoff grows, is capped, and jitters
    let b1 = p.backoff(1);
    assert!(b1 >= p.backoff * 2 * 8 / 10 && b1 <= p.backoff * 2 * 12 / 10);
    assert!(p.backoff(30) <= p.max_backoff * 12 / 10);
    assert_eq!(p.scaled(3600).in_transit, std::time::Duration::from_secs(4));
}

#[test]
fn a_subscribed_parcel_is_polled_four_times_less_often_and_still_stops_when_done() {
    let p = PollPolicy::default();
    let mut t = tracker();
    t.last_checked_at = Some(NOW);
    t.status = TrackingStatus::InTransit;
    t.subscribed_at = Some(NOW);
    assert_eq!(p.interval(&t, NOW.date()), Some(p.in_transit * 4));
    t.status = TrackingStatus::OutForDelivery;
    assert_eq!(p.interval(&t, NOW.date()), Some(p.out_for_delivery * 4));
    t.status = TrackingStatus::Delivered;
    assert_eq!(p.interval(&t, NOW.date()), None);
}

#[test]
fn promised_dates_skip_weekends() {
    let fri = time::macros::date!(2026 - 11 - 27);
    assert_eq!(
        add_business_days(fri, 1),
        time::macros::date!(2026 - 11 - 30)
    );
    assert_eq!(
        promised_date(fri, Some(shiphub_carriers::model::ServiceClass::Express)),
        Some(time::macros::date!(2026 - 12 - 01))
    );
}

#[test]
fn a_phone_hint_keeps_its_last_four_digits() {
    use super::trackers::phone_hint;
    assert_eq!(phone_hint("18963828829").unwrap(), "8829");
    assert_eq!(phone_hint("+86 (189) 6382-8829").unwrap(), "8829");
    assert_eq!(phone_hint("8829").unwrap(), "8829");
    for bad in [
        "882",
        "88-2",
        "tel 18963828829",
        "1896382882918963828829189638288291",
    ] {
        assert!(phone_hint(bad).is_err(), "{bad}");
    }
}
