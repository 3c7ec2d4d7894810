//! The table-rate carrier through the `Carrier` trait, built the way the hub builds it.

use std::sync::Arc;

use rust_decimal_macros::dec;
use serde_json::{Value, json};
use shiphub_carriers::model::{Money, RateRequest, ShipRequest, WaybillRef};
use shiphub_carriers::{Capability, Carrier, CarrierError, CarrierHttp};
use time::macros::date;

use super::*;

const GROUND: &str = include_str!("../../examples/ground_us_from_atlanta.toml");
const EXPRESS: &str = include_str!("../../examples/express_worldwide_de_export.toml");

fn shipment() -> Value {
    json!({
        "from": {"name": "Shipper", "street": ["1 Peachtree St"], "city": "Atlanta", "state": "GA",
                 "postal_code": "30301", "country": "US"},
        "to": {"name": "Receiver", "street": ["1 Market St"], "city": "San Francisco", "state": "CA",
               "postal_code": "94105", "country": "US", "residential": true},
        "parcels": [{"weight": {"value": "2.5", "unit": "kg"},
                     "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}}],
        "ship_date": "2026-03-13"
    })
}

fn rate_request() -> RateRequest {
    serde_json::from_value(shipment()).unwrap()
}

fn ship_request(parcels: usize) -> ShipRequest {
    let mut v = shipment();
    let p = v["parcels"][0].clone();
    v["parcels"] = Value::Array(vec![p; parcels]);
    v["service"] = json!("ground");
    v["reference"] = json!("PO-1");
    serde_json::from_value(v).unwrap()
}

fn carrier(config: Value) -> Box<dyn Carrier> {
    (ENTRY.build)(config, CarrierHttp::offline()).unwrap_or_else(|e| panic!("{e}"))
}

fn rejected_field(e: &CarrierError) -> &str {
    match e {
        CarrierError::Rejected { errors, .. } => &errors[0].field,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn build_error(config: Value) -> AccountError {
    match (ENTRY.build)(config, CarrierHttp::offline()) {
        Ok(_) => panic!("the config should be refused"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn rate_quotes_the_card_with_explanations_in_the_breakdown() {
    let c = carrier(json!({ "rate_card": GROUND }));
    let quotes = c.rate(&rate_request()).await.unwrap();
    assert_eq!(quotes.len(), 1);
    let q = &quotes[0];
    assert_eq!(
        (q.service.carrier.as_str(), q.service.code.as_str()),
        ("table_rate", "ground")
    );
    // The golden case of tests/golden.rs: 20.45 − 4.09 + 5.95 + 4.24.
    assert_eq!(q.total.amount(), dec!(26.55));
    assert!(
        q.breakdown[0].description.contains("zone 8"),
        "{}",
        q.breakdown[0].description
    );
    assert_eq!(q.breakdown[2].code.as_deref(), Some("RES"));
    assert!(q.notes[0].starts_with("card ground-us-from-atlanta"));
}

#[tokio::test]
async fn ship_issues_a_checked_number_per_parcel_priced_as_the_quote() {
    let c = carrier(json!({ "rate_card": GROUND }));
    let req = ship_request(2);
    let wb = c.ship(&req).await.unwrap();
    assert_eq!(wb.pieces.len(), 2);
    assert_eq!(wb.pieces[0], wb.tracking_number);
    assert_ne!(wb.pieces[0], wb.pieces[1]);
    for n in &wb.pieces {
        assert_eq!(number::decode(n), Some(date!(2026 - 03 - 13)));
    }
    assert!(wb.label.is_none(), "the hub renders table-rate labels");
    assert_eq!(wb.carrier_shipment_id, format!("tr_{}", wb.tracking_number));
    let quote = c.rate(&req.shipment).await.unwrap().swap_remove(0);
    assert_eq!(wb.total, Some(quote.total));
    assert_eq!(wb.breakdown, quote.breakdown);
}

#[tokio::test]
async fn ship_refuses_a_service_the_card_does_not_sell() {
    let c = carrier(json!({ "rate_card": GROUND }));
    let mut req = ship_request(1);
    req.service = "next_day_air".into();
    assert_eq!(rejected_field(&c.ship(&req).await.unwrap_err()), "/service");
}

#[tokio::test]
async fn a_shipment_outside_the_card_is_rejected_on_its_field() {
    let c = carrier(json!({ "rate_card": EXPRESS }));
    // The express card ships from Germany only.
    let e = c.rate(&rate_request()).await.unwrap_err();
    assert_eq!(rejected_field(&e), "/from/country");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn void_checks_numbers_and_shipment_id() {
    let c = carrier(json!({ "rate_card": GROUND }));
    let wb = c.ship(&ship_request(2)).await.unwrap();
    let mut r = WaybillRef {
        tracking_number: wb.tracking_number.clone(),
        carrier_shipment_id: wb.carrier_shipment_id.clone(),
        pieces: wb.pieces.clone(),
    };
    c.void(&r).await.unwrap();
    r.carrier_shipment_id = "tr_TR2603140000000042176".into();
    assert_eq!(
        rejected_field(&c.void(&r).await.unwrap_err()),
        "/carrier_shipment_id"
    );
    let mut bad = wb.pieces[1].as_str().to_string();
    let last = bad.pop().unwrap().to_digit(10).unwrap();
    bad.push(char::from_digit((last + 1) % 10, 10).unwrap());
    r.carrier_shipment_id = wb.carrier_shipment_id.clone();
    r.pieces[1] = bad.parse().unwrap();
    assert_eq!(rejected_field(&c.void(&r).await.unwrap_err()), "/pieces/1");
}

#[tokio::test]
async fn track_is_not_offered() {
    let c = carrier(json!({ "rate_card": GROUND }));
    let n = c.ship(&ship_request(1)).await.unwrap().tracking_number;
    assert!(matches!(
        c.track(&[n]).await,
        Err(CarrierError::Unsupported {
            capability: Capability::Track,
            ..
        })
    ));
}

#[test]
fn account_configs_are_refused_by_field() {
    assert_eq!(
        build_error(json!({ "rate_card": "acme-2026" })).field,
        "/rate_card"
    );
    assert!(
        build_error(json!({ "rate_card": "acme-2026" }))
            .message
            .contains("card name")
    );
    let bad = GROUND.replace("rounding = \"1\"", "rounding = 1.0");
    let e = build_error(json!({ "rate_card": [GROUND, bad] }));
    assert_eq!(e.field, "/rate_card/1");
    assert!(e.message.starts_with("line "), "{}", e.message);
    assert!(e.message.contains("service[0].rounding"), "{}", e.message);
    assert_eq!(
        build_error(json!({ "rate_card": GROUND, "key": 1 })).field,
        "/key"
    );
    assert_eq!(build_error(json!({})).field, "/rate_card");
    assert_eq!(build_error(json!({ "rate_card": [] })).field, "/rate_card");
    assert_eq!(build_error(json!([GROUND])).field, "");
}

#[test]
fn the_hub_resolves_card_names_before_building() {
    let stored = |name: &str| (name == "ground").then(|| vec![GROUND.to_string()]);
    let config = resolve_card_names(&json!({ "rate_card": "ground" }), stored).unwrap();
    assert_eq!(config, json!({ "rate_card": [GROUND] }));
    assert!((ENTRY.build)(config, CarrierHttp::offline()).is_ok());
    let e = resolve_card_names(&json!({ "rate_card": ["ground", "air"] }), stored).unwrap_err();
    assert_eq!(e.field, "/rate_card/1");
    let inline = json!({ "rate_card": GROUND });
    assert_eq!(
        resolve_card_names(&inline, stored).unwrap(),
        inline,
        "text is kept"
    );
}

/// The checks `shiphub_carriers`' conformance test runs over its own registry (which is
/// private to that crate's tests), applied to this entry: what is declared works, what is
/// not answers `Unsupported`, quotes add up and name declared services (here: the card's).
#[tokio::test]
async fn table_rate_does_what_it_declares() {
    let caps = ENTRY.capabilities;
    let c = TableRate::new(
        RateCards::from_toml(&[GROUND]).unwrap(),
        Arc::new(|| date!(2026 - 03 - 13)),
    );
    assert_eq!(c.code(), ENTRY.code);
    assert_eq!(c.capabilities(), caps);
    assert_eq!(caps.track_batch_max > 0, caps.supports(Capability::Track));
    assert!(caps.label_formats.is_empty(), "the hub renders labels");
    let sells: Vec<String> = c
        .services(date!(2026 - 03 - 13))
        .into_iter()
        .map(|s| s.code)
        .collect();
    assert_eq!(sells, ["ground"]);

    let quotes = c.rate(&rate_request()).await.unwrap();
    assert!(!quotes.is_empty());
    for q in &quotes {
        let sum = Money::sum(q.total.currency(), q.breakdown.iter().map(|b| &b.amount));
        assert_eq!(sum, Ok(q.total), "{} does not add up", q.service.code);
        assert!(sells.contains(&q.service.code));
        assert_eq!(q.service.carrier, ENTRY.code.as_str());
    }
    let req = ship_request(3);
    let wb = c.ship(&req).await.unwrap();
    assert_eq!(wb.pieces.first(), Some(&wb.tracking_number));
    assert_eq!(wb.pieces.len(), req.shipment.parcels.len());
    let sum = Money::sum(
        wb.total.unwrap().currency(),
        wb.breakdown.iter().map(|b| &b.amount),
    );
    assert_eq!(sum, Ok(wb.total.unwrap()));
    let r = WaybillRef {
        tracking_number: wb.tracking_number.clone(),
        carrier_shipment_id: wb.carrier_shipment_id.clone(),
        pieces: wb.pieces.clone(),
    };
    assert!(c.void(&r).await.is_ok());
    for (cap, declared) in [
        (Capability::Rate, true),
        (Capability::Ship, true),
        (Capability::Void, true),
    ] {
        assert_eq!(caps.supports(cap), declared);
    }
    for cap in [
        Capability::Track,
        Capability::PushTracking,
        Capability::Pickup,
    ] {
        assert!(!caps.supports(cap), "{cap:?}");
    }
    assert!(matches!(
        c.track(&wb.pieces).await,
        Err(CarrierError::Unsupported {
            capability: Capability::Track,
            ..
        })
    ));
}

#[tokio::test]
async fn signature_and_saturday_are_priced_from_the_cards_accessorials() {
    let c = carrier(json!({ "rate_card": GROUND }));
    let mut v = shipment();
    v["options"] = json!({"signature": "direct", "saturday_delivery": true});
    let req: RateRequest = serde_json::from_value(v.clone()).unwrap();
    let q = c.rate(&req).await.unwrap().swap_remove(0);
    let line = |code: &str| {
        q.breakdown
            .iter()
            .find(|l| l.code.as_deref() == Some(code))
            .map(|l| l.amount.amount())
    };
    // The card's SIG (6.90) and SAT (16.00) lines, on top of the plain 26.55.
    assert_eq!(line("SIG"), Some(dec!(6.90)));
    assert_eq!(line("SAT"), Some(dec!(16.00)));
    assert!(q.total.amount() >= dec!(26.55) + dec!(22.90), "{}", q.total);
    v["service"] = json!("ground");
    let wb = c
        .ship(&serde_json::from_value::<ShipRequest>(v).unwrap())
        .await
        .unwrap();
    assert_eq!(wb.total, Some(q.total));
}

#[tokio::test]
async fn an_option_the_card_does_not_list_is_refused_on_its_field() {
    let card = GROUND.replace("when = \"saturday\"", "when = \"signature\"");
    let c = carrier(json!({ "rate_card": card }));
    let mut v = shipment();
    v["options"] = json!({"saturday_delivery": true});
    let e = c
        .rate(&serde_json::from_value(v.clone()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(rejected_field(&e), "/options/saturday_delivery");
    v["service"] = json!("ground");
    let e = c
        .ship(&serde_json::from_value(v).unwrap())
        .await
        .unwrap_err();
    assert_eq!(rejected_field(&e), "/options/saturday_delivery");
    assert!(
        ENTRY
            .capabilities
            .options
            .contains(&shiphub_carriers::model::ShipmentOption::SaturdayDelivery)
    );
}
