//! The adapter through the `Carrier` trait, with a clock the test moves.

use std::sync::{Arc, Mutex};

use rust_decimal_macros::dec;
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::fixtures::{rate_request, ship_request};
use super::*;
use crate::model::TrackingStatus;

const T0: OffsetDateTime = datetime!(2025-03-14 12:00:00 UTC);

/// A sandbox with a 60-second step and a clock the test sets.
fn sandbox() -> (Sandbox, Arc<Mutex<OffsetDateTime>>) {
    let now = Arc::new(Mutex::new(T0));
    let clock = now.clone();
    let sb = Sandbox::new(Account::default(), Arc::new(move || *clock.lock().unwrap()));
    (sb, now)
}

fn field_of(e: &CarrierError) -> &str {
    match e {
        CarrierError::Rejected { errors, .. } => &errors[0].field,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn ship_issues_one_number_per_parcel_priced_as_the_quote() {
    let (sb, _) = sandbox();
    let mut req = ship_request("standard", "ORDER-1");
    req.shipment.parcels.push(req.shipment.parcels[0].clone());

    let wb = sb.ship(&req).await.unwrap();

    assert_eq!(wb.pieces.len(), 2);
    assert_eq!(wb.pieces[0], wb.tracking_number);
    assert_ne!(wb.pieces[0], wb.pieces[1]);
    assert_eq!(
        wb.carrier_shipment_id,
        format!("sbx_{}", wb.tracking_number)
    );
    assert!(wb.label.is_none());
    let quote = sb.rate(&req.shipment).await.unwrap().swap_remove(1);
    assert_eq!(wb.total, Some(quote.total));
    assert_eq!(wb.breakdown, quote.breakdown);
    let decoded = number::decode(&wb.tracking_number).unwrap();
    assert_eq!(decoded.shipped_at, T0);
    assert_eq!(decoded.scenario, number::Scenario::Deliver);
}

#[tokio::test]
async fn canonical_ship_costs_the_hand_computed_standard_price() {
    let (sb, _) = sandbox();
    let wb = sb.ship(&ship_request("standard", "x")).await.unwrap();
    // 15.60 base + 1.95 fuel + 4.95 residential (see rate.rs).
    assert_eq!(wb.total.unwrap().amount(), dec!(22.50));
}

#[tokio::test]
async fn unknown_service_is_rejected_on_service() {
    let (sb, _) = sandbox();
    let e = sb.ship(&ship_request("overnight", "x")).await.unwrap_err();
    assert_eq!(field_of(&e), "/service");
}

#[tokio::test]
async fn carrier_down_in_reference_is_transient_and_safe_to_retry() {
    let (sb, _) = sandbox();
    let e = sb
        .ship(&ship_request("standard", "PO-CARRIER_DOWN"))
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        CarrierError::Transient {
            maybe_processed: false,
            ..
        }
    ));
    assert!(e.is_retryable_purchase());
}

#[tokio::test]
async fn reject_in_reference_is_rejected_on_reference() {
    let (sb, _) = sandbox();
    let e = sb
        .ship(&ship_request("standard", "REJECT-ME"))
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "/reference");
}

#[tokio::test]
async fn rate_reads_the_tokens_from_the_receiver() {
    let (sb, _) = sandbox();
    let mut req = rate_request();
    req.to.name = "Ann CARRIER_DOWN".into();
    assert!(matches!(
        sb.rate(&req).await,
        Err(CarrierError::Transient {
            maybe_processed: false,
            ..
        })
    ));
    req.to.name = "REJECT".into();
    assert_eq!(field_of(&sb.rate(&req).await.unwrap_err()), "/to/name");
    req.to.name = "Ann".into();
    req.to.company = Some("REJECT Inc".into());
    assert_eq!(field_of(&sb.rate(&req).await.unwrap_err()), "/to/company");
    // Lower case is an ordinary name.
    req.to.company = Some("reject inc".into());
    assert_eq!(sb.rate(&req).await.unwrap().len(), 3);
}

#[tokio::test]
async fn shipped_parcel_follows_its_reference_scenario_as_time_passes() {
    let (sb, now) = sandbox();
    let wb = sb
        .ship(&ship_request("express", "ORDER-9 ATTEMPT_FAIL"))
        .await
        .unwrap();
    let numbers = wb.pieces.clone();
    let mut seen = Vec::new();
    for minute in 0..=7 {
        *now.lock().unwrap() = T0 + Duration::minutes(minute);
        let r = sb.track(&numbers).await.unwrap().remove(0);
        seen.push(r.status);
    }
    use TrackingStatus::*;
    assert_eq!(
        seen,
        [
            PreTransit,
            InTransit,
            InTransit,
            OutForDelivery,
            AttemptFail,
            OutForDelivery,
            Delivered,
            Delivered
        ]
    );
}

#[tokio::test]
async fn step_seconds_from_the_account_paces_the_script() {
    let sb = (ENTRY.build)(json!({"step_seconds": 1}), CarrierHttp::offline()).unwrap();
    let mut req = ship_request("economy", "x");
    req.shipment.ship_date = None;
    let wb = sb.ship(&req).await.unwrap();
    let r = sb.track(&wb.pieces).await.unwrap().remove(0);
    // Built with the wall clock and shipped today: whatever the elapsed time, the events are a
    // prefix of the delivered script and the scans before delivery one second apart.
    let codes: Vec<_> = r.events.iter().map(|e| e.carrier_code.as_str()).collect();
    assert!(["LC", "PU", "AR", "OD", "DL"].starts_with(&codes));
    assert!(
        r.events
            .iter()
            .take(4)
            .collect::<Vec<_>>()
            .windows(2)
            .all(|w| w[1].occurred_at - w[0].occurred_at == Duration::seconds(1))
    );
}

#[tokio::test]
async fn deliveries_land_on_the_quoted_day_of_their_lane_and_service() {
    // Friday 2025-03-14 noon, shipped that day, the default one-minute pace: the script plays
    // in four minutes, and the delivery is dated on the day each quote promised.
    let (sb, now) = sandbox();
    let mut delivered = vec![];
    for (service, to) in [
        ("economy", None),
        ("express", None),
        ("economy", Some(("New York", "NY", "10001"))),
        ("standard", Some(("Savannah", "GA", "31401"))),
    ] {
        *now.lock().unwrap() = T0;
        let mut req = ship_request(service, "ORDER");
        if let Some((city, state, postal)) = to {
            req.shipment.to.city = city.into();
            req.shipment.to.state = Some(state.into());
            req.shipment.to.postal_code = Some(postal.into());
        }
        let quote = sb
            .rate(&req.shipment)
            .await
            .unwrap()
            .into_iter()
            .find(|q| q.service.code == service)
            .unwrap();
        let wb = sb.ship(&req).await.unwrap();
        *now.lock().unwrap() = T0 + Duration::minutes(4);
        let r = sb.track(&wb.pieces).await.unwrap().remove(0);
        assert_eq!(r.status, TrackingStatus::Delivered, "{service}");
        assert_eq!(r.estimated_delivery, quote.estimated_delivery);
        let dl = r.events.last().unwrap();
        assert_eq!(Some(dl.occurred_at.date()), quote.estimated_delivery);
        assert_eq!(dl.occurred_at.time(), T0.time());
        delivered.push((quote.transit_days.unwrap(), dl.occurred_at.date()));
    }
    // Zone 3 economy 5 days, express 2; zone 2 economy 4; zone 1 standard 2 (rate.rs).
    use time::macros::date;
    assert_eq!(
        delivered,
        [
            (5, date!(2025 - 03 - 21)),
            (2, date!(2025 - 03 - 18)),
            (4, date!(2025 - 03 - 20)),
            (2, date!(2025 - 03 - 18)),
        ]
    );
}

#[tokio::test]
async fn void_accepts_own_waybills_and_rejects_others() {
    let (sb, _) = sandbox();
    let wb = sb.ship(&ship_request("standard", "x")).await.unwrap();
    let mut r = WaybillRef {
        tracking_number: wb.tracking_number.clone(),
        carrier_shipment_id: wb.carrier_shipment_id.clone(),
        pieces: wb.pieces.clone(),
    };
    sb.void(&r).await.unwrap();

    r.carrier_shipment_id = "sbx_SB0170000000000426".into();
    assert_eq!(
        field_of(&sb.void(&r).await.unwrap_err()),
        "/carrier_shipment_id"
    );
    r.pieces = vec!["1Z999AA10123456784".parse().unwrap()];
    r.carrier_shipment_id = wb.carrier_shipment_id.clone();
    assert_eq!(field_of(&sb.void(&r).await.unwrap_err()), "/pieces/0");
    r.tracking_number = "SB0170000000000427".parse().unwrap();
    assert_eq!(
        field_of(&sb.void(&r).await.unwrap_err()),
        "/tracking_number"
    );
}

#[test]
fn entry_builds_from_account_json_and_names_bad_fields() {
    assert!((ENTRY.build)(json!({}), CarrierHttp::offline()).is_ok());
    let Err(e) = (ENTRY.build)(json!({"step_seconds": "fast"}), CarrierHttp::offline()) else {
        panic!("accepted a string step")
    };
    assert_eq!(e.field, "/step_seconds");
    let Err(e) = (ENTRY.build)(json!({"stepseconds": 5}), CarrierHttp::offline()) else {
        panic!("accepted an unknown field")
    };
    assert_eq!(e.field, "/stepseconds");
}

#[tokio::test]
async fn a_return_label_is_free_until_scanned_and_tracks() {
    let (sb, _) = sandbox();
    let mut req = ship_request("standard", "RMA-1");
    req.is_return = true;
    std::mem::swap(&mut req.shipment.from, &mut req.shipment.to);
    let wb = sb.ship(&req).await.unwrap();
    assert_eq!(wb.total.unwrap().amount(), dec!(0));
    assert!(wb.breakdown.is_empty());
    let quote = sb
        .rate(&req.shipment)
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.service.code == "standard")
        .unwrap();
    assert!(
        wb.warnings[0].contains(&quote.total.to_string()),
        "{:?}",
        wb.warnings
    );
    let tracked = sb
        .track(std::slice::from_ref(&wb.tracking_number))
        .await
        .unwrap();
    assert_eq!(tracked.len(), 1);
}

#[tokio::test]
async fn saturday_delivery_on_economy_is_refused_on_its_field_and_priced_elsewhere() {
    let (sb, _) = sandbox();
    let mut req = ship_request("economy", "x");
    req.shipment.options.saturday_delivery = true;
    let e = sb.ship(&req).await.unwrap_err();
    assert_eq!(field_of(&e), "/options/saturday_delivery");
    req.service = "standard".into();
    let wb = sb.ship(&req).await.unwrap();
    // 22.50 canonical standard + 15.00 Saturday.
    assert_eq!(wb.total.unwrap().amount(), dec!(37.50));
}
