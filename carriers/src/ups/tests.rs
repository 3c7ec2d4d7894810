//! UPS tests: golden build/parse tests over `fixtures/` (our own files, written from the
//! specs and samples in `../shared/carriers/ups/`), the tracking-code coverage proof, every
//! published sample response through the wire types, wiremock tests of the HTTP glue and the
//! token handling, and the conformance harness.
//!
//! `BLESS=1` rewrites the `*.wire_request.json` golden files from `build`; only bless a change
//! you have read against the spec (the contract test in `contracts/tests/ups.rs` validates
//! those files against UPS's own schemas).

use std::time::Duration;

use rust_decimal_macros::dec;
use serde_json::{Value, json};
use time::macros::date;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::model::{ChargeKind, Currency, Money, TrackingStatus, WeightUnit};
use crate::testing::{Fixtures, assert_transient, mount};

const FX: Fixtures = Fixtures::new("ups");

const GIF_1X1: &str = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

fn read_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(FX.dir().join(rel)).expect("fixture")
}

pub(super) fn test_account(base: &str) -> Account {
    Account::from_json(
        &json!({"client_id": "test-client", "client_secret": "test-secret", "account_number": "A1B2C3"}),
        Some(&base.parse().unwrap()),
    )
    .unwrap()
}

fn rate_input(name: &str) -> RateRequest {
    serde_json::from_value(FX.read(&format!("rate/{name}.input.json"))).unwrap()
}

fn ship_input(name: &str) -> ShipRequest {
    serde_json::from_value(FX.read(&format!("ship/{name}.input.json"))).unwrap()
}

fn field_errors(e: &CarrierError) -> Vec<(String, Option<String>)> {
    match e {
        CarrierError::Rejected { errors, .. } => errors
            .iter()
            .map(|f| (f.field.clone(), f.carrier_code.clone()))
            .collect(),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

// ------------------------------------------------------------------ rate

#[test]
fn rate_us_domestic_ground_builds_the_golden_request() {
    let req = rate_input("us_domestic_ground");
    let body = to_json(&rate::build(&req, &test_account("https://wwwcie.ups.com")).unwrap());
    FX.assert_json("rate/us_domestic_ground.wire_request", &body);
    // 2.5 kg = 5.5115... lb, ceiled to 5.6; 30x20x10 cm ceiled to whole inches.
    let pkg = &body["RateRequest"]["Shipment"]["Package"][0];
    assert_eq!(pkg["PackageWeight"]["Weight"], "5.6");
    assert_eq!(pkg["PackageWeight"]["UnitOfMeasurement"]["Code"], "LBS");
    assert_eq!(
        (
            &pkg["Dimensions"]["Length"],
            &pkg["Dimensions"]["Width"],
            &pkg["Dimensions"]["Height"]
        ),
        (&json!("12"), &json!("8"), &json!("4"))
    );
}

#[test]
fn rate_international_builds_the_golden_request_with_declared_value() {
    let req = rate_input("intl_us_to_de");
    let body = to_json(&rate::build(&req, &test_account("https://wwwcie.ups.com")).unwrap());
    FX.assert_json("rate/intl_us_to_de.wire_request", &body);
    assert_eq!(
        body["RateRequest"]["Shipment"]["InvoiceLineTotal"],
        json!({"CurrencyCode": "USD", "MonetaryValue": "72.50"})
    );
}

#[test]
fn rate_international_without_customs_is_rejected_on_customs() {
    let mut req = rate_input("intl_us_to_de");
    req.customs = None;
    let e = rate::build(&req, &test_account("https://wwwcie.ups.com")).unwrap_err();
    assert_eq!(field_errors(&e)[0].0, "/customs");
}

#[test]
fn rate_parse_prefers_negotiated_rates_and_keeps_every_charge_code() {
    let req = rate_input("us_domestic_ground");
    let resp = FX.typed("rate/us_domestic_ground.wire_response");
    let quotes = rate::parse(resp, &req).unwrap();
    assert_eq!(quotes.len(), 2);

    let ground = &quotes[0];
    assert_eq!(ground.service.code, "03");
    assert_eq!(ground.service.carrier, "ups");
    assert_eq!(ground.total, Money::new(dec!(20.78), Currency::USD));
    let lines: Vec<_> = ground
        .breakdown
        .iter()
        .map(|c| (c.kind, c.code.as_deref(), c.amount.amount()))
        .collect();
    assert_eq!(
        lines,
        [
            (ChargeKind::Base, None, dec!(12.88)),
            (ChargeKind::Fuel, Some("375"), dec!(2.05)),
            (ChargeKind::Surcharge, Some("270"), dec!(5.85)),
        ]
    );
    assert_eq!(ground.billable_weight.value(), dec!(6));
    assert_eq!(ground.billable_weight.unit(), WeightUnit::Lb);
    assert_eq!(ground.transit_days, Some(4));
    assert_eq!(ground.estimated_delivery, Some(date!(2025 - 03 - 20)));
    assert!(!ground.guaranteed);
    assert!(ground.notes.iter().any(|n| n == "negotiated rates"));

    let air = &quotes[1];
    assert_eq!(air.service.code, "02");
    assert_eq!(air.total.amount(), dec!(52.27));
    assert_eq!(air.breakdown.len(), 2);
    assert_eq!(air.transit_days, Some(2));
    assert!(air.guaranteed, "GuaranteedIndicator present");
}

#[test]
fn rate_parse_of_the_published_canadian_sample_sums_taxes_into_the_total() {
    let Some(samples) = FX.shared("samples") else {
        return;
    };
    let all: Value =
        serde_json::from_slice(&std::fs::read(samples.join("rating_responses.json")).unwrap())
            .unwrap();
    let resp: wire::RateResponseWrapper = serde_json::from_value(all[1].clone()).unwrap();
    let quotes = rate::parse(resp, &rate_input("us_domestic_ground")).unwrap();
    let first = &quotes[0];
    // NegotiatedRateCharges: 15.18 + 6.25 + 4.23 + QST 2.56 + GST 1.28 = TotalChargesWithTaxes 29.50.
    assert_eq!(first.total.amount(), dec!(29.50));
    assert_eq!(first.total.currency().code(), "CAD");
    assert!(
        first
            .breakdown
            .iter()
            .any(|c| c.kind == ChargeKind::DutiesTaxes && c.code.as_deref() == Some("QST"))
    );
    for q in &quotes {
        let sum = Money::sum(q.total.currency(), q.breakdown.iter().map(|c| &c.amount)).unwrap();
        assert_eq!(sum, q.total, "{}", q.service.code);
    }
}

#[test]
fn rate_parse_of_an_unknown_service_is_a_protocol_error_not_a_panic() {
    let resp: wire::RateResponseWrapper = serde_json::from_value(json!({
        "RateResponse": {"RatedShipment": [{"Service": {"Code": "ZZ"},
            "TotalCharges": {"CurrencyCode": "USD", "MonetaryValue": "1.00"},
            "BillingWeight": {"UnitOfMeasurement": {"Code": "LBS"}, "Weight": "1"}}]}
    }))
    .unwrap();
    let e = rate::parse(resp, &rate_input("us_domestic_ground")).unwrap_err();
    assert!(matches!(e, CarrierError::Protocol { .. }), "{e:?}");
}

// ------------------------------------------------------------------ ship

#[test]
fn ship_domestic_two_pieces_builds_the_golden_request() {
    let req = ship_input("us_domestic_two_pieces");
    let body = to_json(
        &ship::build(
            &req,
            &test_account("https://wwwcie.ups.com"),
            date!(2025 - 03 - 14),
        )
        .unwrap(),
    );
    FX.assert_json("ship/us_domestic_two_pieces.wire_request", &body);
    let s = &body["ShipmentRequest"]["Shipment"];
    assert_eq!(s["Package"].as_array().unwrap().len(), 2);
    // US→US: references go on the packages, not the shipment (Shipping.yaml).
    assert_eq!(s["Package"][1]["ReferenceNumber"][0]["Value"], "ORDER-1001");
    assert!(s.get("ReferenceNumber").is_none());
    assert_eq!(
        body["ShipmentRequest"]["LabelSpecification"]["LabelImageFormat"]["Code"],
        "ZPL"
    );
    assert_eq!(
        body["ShipmentRequest"]["LabelSpecification"]["LabelStockSize"],
        json!({"Height": "6", "Width": "4"})
    );
}

#[test]
fn ship_international_ddp_builds_the_golden_request_with_invoice_and_duties_payer() {
    let req = ship_input("intl_ddp_gif");
    let body = to_json(
        &ship::build(
            &req,
            &test_account("https://wwwcie.ups.com"),
            date!(2025 - 03 - 14),
        )
        .unwrap(),
    );
    FX.assert_json("ship/intl_ddp_gif.wire_request", &body);
    let s = &body["ShipmentRequest"]["Shipment"];
    assert_eq!(
        s["PaymentInformation"]["ShipmentCharge"][1]["Type"], "02",
        "DDP: shipper pays duties"
    );
    let forms = &s["ShipmentServiceOptions"]["InternationalForms"];
    assert_eq!(forms["TermsOfShipment"], "DDP");
    assert_eq!(forms["Product"][1]["CommodityCode"], "691200");
    assert_eq!(forms["Product"][1]["OriginCountryCode"], "PT");
    assert_eq!(s["ReferenceNumber"][0]["Value"], "ORDER-2002");
    assert_eq!(
        s["ShipFrom"]["VendorInfo"]["VendorCollectIDNumber"],
        "IM2760000001"
    );
    assert_eq!(
        body["ShipmentRequest"]["LabelSpecification"]["LabelImageFormat"]["Code"],
        "GIF"
    );
}

#[test]
fn ship_with_dpu_or_an_unknown_service_is_rejected_on_the_field() {
    let account = test_account("https://wwwcie.ups.com");
    let mut req = ship_input("intl_ddp_gif");
    req.shipment.customs.as_mut().unwrap().incoterm = crate::model::Incoterm::DPU;
    let e = ship::build(&req, &account, date!(2025 - 03 - 14)).unwrap_err();
    assert_eq!(field_errors(&e)[0].0, "/customs/incoterm");
    let mut req = ship_input("us_domestic_two_pieces");
    req.service = "ground".into();
    let e = ship::build(&req, &account, date!(2025 - 03 - 14)).unwrap_err();
    assert_eq!(field_errors(&e)[0].0, "/service");
}

#[test]
fn ship_parse_gives_one_number_per_package_and_the_zpl_label() {
    let req = ship_input("us_domestic_two_pieces");
    let resp = FX.typed("ship/us_domestic_two_pieces.wire_response");
    let wb = ship::parse(resp, &req).unwrap();
    assert_eq!(wb.tracking_number.as_str(), "1ZA1B2C30310000011");
    assert_eq!(
        wb.pieces.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        ["1ZA1B2C30310000011", "1ZA1B2C30310000020"]
    );
    assert_eq!(wb.carrier_shipment_id, "1ZA1B2C30310000011");
    let label = wb.label.unwrap();
    assert_eq!(label.format, LabelFormat::Zpl);
    assert!(label.content.starts_with(b"^XA"));
    // Both packages' labels, in package order (UPS answers one per package).
    let zpl = String::from_utf8_lossy(&label.content);
    assert_eq!(zpl.matches("^XA").count(), 2, "{zpl}");
    // Negotiated: 33.10 total, itemized 3.40 + 5.85, so the base is 23.85.
    assert_eq!(wb.total, Some(Money::new(dec!(33.10), Currency::USD)));
    assert_eq!(wb.breakdown[0].kind, ChargeKind::Base);
    assert_eq!(wb.breakdown[0].amount.amount(), dec!(23.85));
    assert_eq!(wb.warnings.len(), 1);
}

#[test]
fn ship_parse_converts_a_gif_label_to_png_and_reads_single_object_lists() {
    let req = ship_input("intl_ddp_gif");
    let resp = FX.typed("ship/intl_ddp_gif.wire_response");
    let wb = ship::parse(resp, &req).unwrap();
    let label = wb.label.unwrap();
    assert_eq!(label.format, LabelFormat::Png);
    assert!(label.content.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        wb.warnings.iter().any(|w| w.contains("PDF")),
        "{:?}",
        wb.warnings
    );
    assert_eq!(wb.total.unwrap().amount(), dec!(98.40));
    let sum = Money::sum(Currency::USD, wb.breakdown.iter().map(|c| &c.amount)).unwrap();
    assert_eq!(sum.amount(), dec!(98.40));
}

// ------------------------------------------------------------------ void

fn waybill_ref(master: &str, number: &str) -> WaybillRef {
    WaybillRef {
        tracking_number: number.parse().unwrap(),
        carrier_shipment_id: master.into(),
        pieces: vec![number.parse().unwrap()],
    }
}

#[test]
fn void_builds_a_shipment_void_or_a_single_package_void() {
    let (p, q) = void::build(&waybill_ref("1ZA1B2C30310000011", "1ZA1B2C30310000011")).unwrap();
    assert_eq!(p, "/api/shipments/v2409/void/cancel/1ZA1B2C30310000011");
    assert!(q.is_empty());
    let (_, q) = void::build(&waybill_ref("1ZA1B2C30310000011", "1ZA1B2C30310000020")).unwrap();
    assert_eq!(q, [("trackingnumber", "1ZA1B2C30310000020".to_string())]);
    let e = void::build(&waybill_ref("1Z/../x", "1ZA1B2C30310000011")).unwrap_err();
    assert_eq!(field_errors(&e)[0].0, "/carrier_shipment_id");
}

#[test]
fn void_parse_accepts_voided_and_rejects_a_package_not_voided() {
    let wb = waybill_ref("1ZA1B2C30310000011", "1ZA1B2C30310000011");
    void::parse(FX.typed("void/shipment.wire_response"), &wb).unwrap();
    let one = waybill_ref("1ZA1B2C30310000011", "1ZA1B2C30310000020");
    let e = void::parse(FX.typed("void/package_not_voided.wire_response"), &one).unwrap_err();
    assert_eq!(field_errors(&e)[0].0, "/tracking_number");
}

// ------------------------------------------------------------------ track

/// `track/not_found_tw0001.wire_response.json` (hand-written): the `Shipment.warnings[]`
/// of `../shared/carriers/ups/openapi/Tracking.yaml` with UPS's "Tracking Information Not
/// Found" warning `TW0001` and no package, as UPS answers a number it has nothing on.
#[test]
fn track_warnings_keep_ups_codes_and_not_found_carries_tw0001() {
    let n: TrackingNumber = "1ZA1B2C30310000099".parse().unwrap();
    let r = track::parse(FX.typed("track/not_found_tw0001.wire_response"), &n).unwrap();
    assert_eq!(r.status, TrackingStatus::Unknown);
    assert_eq!(r.carrier_code, "TW0001");
    assert_eq!(r.warnings, ["TW0001: Tracking Information Not Found"]);
    // A warning beside data is kept on the result too.
    let mut with_data = FX.read("track/delivered.wire_response.json");
    with_data["trackResponse"]["shipment"][0]["warnings"] =
        json!([{"code": "TW0003", "message": "Some data unavailable"}]);
    let n: TrackingNumber = "1ZA1B2C30310000011".parse().unwrap();
    let r = track::parse(serde_json::from_value(with_data).unwrap(), &n).unwrap();
    assert_eq!(r.status, TrackingStatus::Delivered);
    assert_eq!(r.warnings, ["TW0003: Some data unavailable"]);
}

/// RFC 6749 §5.2 refusals from the token endpoint (`{"error": "invalid_client"}`), as UPS's
/// OAuth server sends them beside its documented `response.errors[]` shape.
#[test]
fn oauth_refusals_keep_the_oauth_error_code() {
    let body = br#"{"error":"invalid_client","error_description":"Client authentication failed"}"#;
    for status in [400, 401] {
        let e = auth::parse(status, None, body).unwrap_err();
        assert!(
            matches!(&e, CarrierError::Auth { code: Some(c), .. } if c == "invalid_client"),
            "{status}: {e:?}"
        );
    }
}

#[test]
fn track_delivered_events_are_oldest_first_with_offsets_and_raw_codes() {
    let n: TrackingNumber = "1ZA1B2C30310000011".parse().unwrap();
    let r = track::parse(FX.typed("track/delivered.wire_response"), &n).unwrap();
    assert_eq!(r.status, TrackingStatus::Delivered);
    assert_eq!(r.carrier_code, "011");
    let seen: Vec<_> = r
        .events
        .iter()
        .map(|e| (e.status, e.sub_status.as_deref().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            (TrackingStatus::PreTransit, "MP"),
            (TrackingStatus::InTransit, "DP"),
            (TrackingStatus::OutForDelivery, "OT"),
            (TrackingStatus::Delivered, "KB"),
        ]
    );
    let delivered = r.events.last().unwrap();
    assert_eq!(delivered.occurred_at.offset().whole_hours(), -7);
    assert_eq!(
        delivered.location.as_ref().unwrap().postal_code.as_deref(),
        Some("94105")
    );
    assert_eq!(
        r.estimated_delivery, None,
        "DEL is the actual date, not an estimate"
    );
}

#[test]
fn track_generic_exception_status_takes_the_specific_exception_code() {
    let n: TrackingNumber = "1ZA1B2C30310000020".parse().unwrap();
    let r = track::parse(FX.typed("track/exception_address.wire_response"), &n).unwrap();
    // statusCode 013 is the generic "Exception"; code 48 (receiver not available) is an attempt.
    assert_eq!(r.status, TrackingStatus::AttemptFail);
    let statuses: Vec<_> = r.events.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            TrackingStatus::PreTransit,
            TrackingStatus::Exception,
            TrackingStatus::AttemptFail
        ]
    );
    assert_eq!(
        r.estimated_delivery,
        Some(date!(2025 - 03 - 21)),
        "RDD beats SDD"
    );
}

#[test]
fn track_status_falls_back_from_status_code_to_code_to_type() {
    use TrackingStatus::*;
    assert_eq!(
        track::status_of(Some("I"), Some("OF"), None),
        OutForDelivery
    );
    assert_eq!(track::status_of(Some("M"), Some("VP"), None), Cancelled);
    assert_eq!(track::status_of(Some("I"), Some("VP"), None), Cancelled);
    assert_eq!(track::status_of(Some("D"), Some("??"), None), Delivered);
    assert_eq!(track::status_of(None, None, Some("000")), Unknown);
    assert_eq!(
        track::status_of(Some("I"), Some("AR"), Some("0005")),
        InTransit
    );
    assert_eq!(track::status_of(Some("Q"), None, None), Unknown);
}

// ------------------------------------------------------------------ errors

#[test]
fn errors_map_by_code_and_status() {
    use error::{Op, classify};
    let e = classify(
        Op::Rate,
        400,
        None,
        &read_bytes("error/invalid_postal_code.json"),
    );
    assert_eq!(
        field_errors(&e),
        [("/to/postal_code".to_string(), Some("111285".to_string()))]
    );
    let e = classify(Op::Rate, 401, None, &read_bytes("error/token_expired.json"));
    assert!(matches!(e, CarrierError::Auth { code: Some(ref c), .. } if c == "250002"));
    let e = classify(Op::Ship, 400, None, &read_bytes("error/token_expired.json"));
    assert!(
        matches!(e, CarrierError::Auth { .. }),
        "auth codes win whatever the status"
    );
    let e = classify(Op::Ship, 503, None, b"<html>down</html>");
    assert!(matches!(
        e,
        CarrierError::Transient {
            maybe_processed: true,
            ..
        }
    ));
    let e = classify(Op::Rate, 502, None, b"");
    assert!(matches!(
        e,
        CarrierError::Transient {
            maybe_processed: false,
            ..
        }
    ));
    let e = classify(Op::Track, 429, Some(Duration::from_secs(7)), b"");
    assert!(
        matches!(e, CarrierError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 7)
    );
    let e = classify(Op::Rate, 400, None, b"{\"response\": {\"errors\": [");
    assert!(matches!(e, CarrierError::Protocol { status: 400, .. }));
}

#[test]
fn protocol_errors_keep_the_body_with_tokens_redacted() {
    let e = error::protocol(
        200,
        br#"{"access_token":"abc.def","expires_in":"1"#,
        "truncated",
    );
    let CarrierError::Protocol { body, .. } = e else {
        panic!()
    };
    let text = String::from_utf8(body.0).unwrap();
    assert!(!text.contains("abc.def"), "{text}");
    assert!(text.contains("expires_in"));
}

#[test]
fn messages_point_at_our_fields() {
    let f = error::field_from_message;
    assert_eq!(
        f("Missing or invalid ship to StateProvinceCode"),
        "/to/state"
    );
    assert_eq!(
        f("The Shipper's postal code is invalid"),
        "/from/postal_code"
    );
    assert_eq!(f("Invalid tracking number"), "/tracking_number");
    assert_eq!(f("Something odd"), "");
}

// ------------------------------------------------------------------ codes and samples

/// Splits one CSV line (quoted fields may hold commas and doubled quotes).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[test]
fn every_published_ups_tracking_code_maps_to_a_status() {
    let Some(dir) = FX.shared("") else { return };
    let text = std::fs::read_to_string(dir.join("tracking-codes/ups-tracking-codes.csv")).unwrap();
    let mut missing = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f = csv_fields(line);
        let (table, code) = (f[0].as_str(), f[1].as_str());
        seen.insert((table.to_string(), code.to_string()));
        match codes::TRACKING_TABLES.iter().find(|t| t.name == table) {
            None => missing.push(format!("table `{table}` has no CodeTable")),
            Some(t) if t.status(code).is_none() => missing.push(format!("{table}: `{code}`")),
            Some(_) => {}
        }
    }
    assert!(seen.len() > 1500, "read only {} codes", seen.len());
    assert!(
        missing.is_empty(),
        "unmapped UPS codes:\n{}",
        missing.join("\n")
    );
    // And nothing in our tables that UPS does not publish, nor a code listed twice.
    for t in codes::TRACKING_TABLES {
        let mut mine = std::collections::HashSet::new();
        for (code, _) in t.codes() {
            assert!(mine.insert(code), "{}: `{code}` listed twice", t.name);
            assert!(
                seen.contains(&(t.name.to_string(), code.to_string())),
                "{}: `{code}` is not in the CSV",
                t.name
            );
        }
    }
}

#[test]
fn service_and_packaging_tables_are_well_formed() {
    let mut seen = std::collections::HashSet::new();
    for s in &codes::SERVICES {
        assert!(seen.insert(s.code), "service {} twice", s.code);
        assert_eq!(
            s.code.len(),
            2,
            "Shipping.yaml: Service.Code is 2 characters"
        );
    }
    assert!(
        codes::PACKAGING
            .iter()
            .any(|(c, _)| *c == codes::CUSTOMER_PACKAGING)
    );
    assert_eq!(codes::charge_kind("375", None).0, ChargeKind::Fuel);
    assert_eq!(
        codes::charge_kind("999", Some("FUEL SURCHARGE")).0,
        ChargeKind::Fuel
    );
    assert_eq!(
        codes::charge_kind("190", Some("Extended Area")).0,
        ChargeKind::Surcharge
    );
}

/// Every itemized charge code in UPS's own samples and Postman examples has a name (the
/// Postman shipping example's placeholder "ItemizedCharges Code" aside), and the table names
/// each code once: a quote never reads "UPS charge 270".
#[test]
fn every_published_itemized_charge_code_is_named_once() {
    let mut seen = std::collections::HashSet::new();
    for c in codes::charge_codes() {
        assert!(seen.insert(c), "charge code {c} twice");
        assert!(codes::charge_kind(c, None).1.is_some());
    }
    assert_eq!(
        codes::charge_kind("270", None),
        (ChargeKind::Surcharge, Some("Residential surcharge"))
    );
    let Some(dir) = FX.shared("") else { return };
    let mut published = std::collections::BTreeSet::new();
    for file in [
        "samples/rating_responses.json",
        "samples/shipping_response.json",
        "postman/UPS_Rating.postman_collection.json",
        "postman/UPS_Shipping.postman_collection.json",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        // Postman bodies are JSON inside JSON strings: unescape the quotes first.
        let text = text.replace("\\\"", "\"");
        for part in text.split("\"ItemizedCharges\"").skip(1) {
            let block = &part[..part.find(']').unwrap_or(part.len()).min(part.len())];
            for code in block.split("\"Code\"").skip(1) {
                let value: String = code
                    .trim_start_matches([' ', ':', '"'])
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                if !value.is_empty() {
                    published.insert(value);
                }
            }
        }
    }
    assert!(published.contains("270"), "{published:?}");
    let unnamed: Vec<_> = published
        .iter()
        .filter(|c| codes::charge_kind(c, None).1.is_none())
        .collect();
    assert!(unnamed.is_empty(), "unnamed UPS charge codes: {unnamed:?}");
}

#[test]
fn every_published_ups_sample_response_parses_with_the_wire_types() {
    let Some(dir) = FX.shared("samples") else {
        return;
    };
    let load = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
    };
    let rates = load("rating_responses.json");
    for (i, r) in rates.as_array().unwrap().iter().enumerate() {
        serde_json::from_value::<wire::RateResponseWrapper>(r.clone())
            .unwrap_or_else(|e| panic!("rating_responses.json[{i}]: {e}"));
    }
    serde_json::from_value::<wire::ShipResponseWrapper>(load("shipping_response.json")).unwrap();
    serde_json::from_value::<wire::VoidResponseWrapper>(load("shipping_cancel_response.json"))
        .unwrap();
    let track: wire::TrackApiResponse =
        serde_json::from_value(load("tracking_response.json")).unwrap();
    serde_json::from_value::<wire::ErrorResponse>(load("error_response.json")).unwrap();
    // The real-valued track sample also goes through `parse`.
    let n: TrackingNumber = "1Z1442YY7229014688".parse().unwrap();
    let r = track::parse(track, &n).unwrap();
    assert_eq!(r.status, TrackingStatus::Delivered);
    assert_eq!(r.events.len(), 2);
}

// ------------------------------------------------------------------ HTTP glue (wiremock)

fn token_body(token: &str) -> Value {
    json!({"token_type": "Bearer", "issued_at": "1741950000000", "client_id": "test-client",
           "access_token": token, "expires_in": "14399", "status": "approved"})
}

/// Each test gets its own client id: the process-wide token cache is keyed by (base URL,
/// client id), and wiremock reuses server addresses across tests.
fn client_id() -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    format!(
        "client-{}",
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

fn ups_with(server: &MockServer, client: &str, timeout: Option<Duration>) -> Box<dyn Carrier> {
    let mut http = CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap()));
    if let Some(t) = timeout {
        http.timeout = t;
    }
    (ENTRY.build)(
        json!({"client_id": client, "client_secret": "test-secret", "account_number": "A1B2C3"}),
        http,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A UPS adapter on `server` plus its token mock (Basic auth, shipper number header),
/// answering `token` at most `times` times.
pub(super) async fn ups_for(
    server: &MockServer,
    token: &'static str,
    times: u64,
) -> Box<dyn Carrier> {
    use base64::Engine;
    let client = client_id();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client}:test-secret"));
    Mock::given(method("POST"))
        .and(path("/security/v1/oauth/token"))
        .and(header("authorization", format!("Basic {basic}").as_str()))
        .and(header("x-merchant-id", "A1B2C3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token)))
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
    ups_with(server, &client, None)
}

fn rate_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(FX.read("rate/us_domestic_ground.wire_response.json"))
}

#[tokio::test]
async fn ups_sends_basic_auth_for_the_token_and_reuses_it_across_calls() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok-1", 1).await;
    Mock::given(method("POST"))
        .and(path("/api/rating/v2409/Shoptimeintransit"))
        .and(header("authorization", "Bearer tok-1"))
        .and(header("transactionSrc", "shiphub"))
        .respond_with(rate_ok())
        .expect(2)
        .mount(&server)
        .await;
    let req = rate_input("us_domestic_ground");
    assert_eq!(ups.rate(&req).await.unwrap().len(), 2);
    assert_eq!(ups.rate(&req).await.unwrap().len(), 2);
    let token_call = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        String::from_utf8_lossy(&token_call.body),
        "grant_type=client_credentials"
    );
}

#[tokio::test]
async fn ups_401_refreshes_the_token_once_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/security/v1/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("old")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "POST",
        "/security/v1/oauth/token",
        ResponseTemplate::new(200).set_body_json(token_body("new")),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/rating/v2409/Shoptimeintransit"))
        .and(header("authorization", "Bearer old"))
        .respond_with(ResponseTemplate::new(401).set_body_json(FX.read("error/token_expired.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/rating/v2409/Shoptimeintransit"))
        .and(header("authorization", "Bearer new"))
        .respond_with(rate_ok())
        .expect(1)
        .mount(&server)
        .await;
    let ups = ups_with(&server, &client_id(), None);
    let quotes = ups.rate(&rate_input("us_domestic_ground")).await.unwrap();
    assert_eq!(quotes.len(), 2);
}

#[tokio::test]
async fn ups_401_twice_is_auth_after_exactly_one_refresh() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok", 2).await;
    Mock::given(method("GET"))
        .and(path("/api/track/v1/details/1ZA1B2C30310000011"))
        .respond_with(ResponseTemplate::new(401).set_body_json(FX.read("error/token_expired.json")))
        .expect(2)
        .mount(&server)
        .await;
    let e = ups
        .track(&["1ZA1B2C30310000011".parse().unwrap()])
        .await
        .unwrap_err();
    assert!(matches!(e, CarrierError::Auth { .. }), "{e:?}");
}

#[tokio::test]
async fn ups_429_with_retry_after_is_rate_limited_with_the_duration() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok", 1).await;
    Mock::given(method("POST"))
        .and(path("/api/rating/v2409/Shoptimeintransit"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "3")
                .set_body_json(json!({"response": {"errors": [{"code": "10429", "message": "Rate Limit Exceeded"}]}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "POST",
        "/api/rating/v2409/Shoptimeintransit",
        ResponseTemplate::new(429),
    )
    .await;
    let e = ups
        .rate(&rate_input("us_domestic_ground"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, CarrierError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3)),
        "{e:?}"
    );
    let e = ups
        .rate(&rate_input("us_domestic_ground"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            CarrierError::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn ups_500_on_ship_is_transient_and_maybe_processed() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok", 1).await;
    mount(
        &server,
        "POST",
        "/api/shipments/v2409/ship",
        ResponseTemplate::new(500),
    )
    .await;
    let e = ups
        .ship(&ship_input("us_domestic_two_pieces"))
        .await
        .unwrap_err();
    assert_transient(&e, true);
    assert!(!e.is_retryable_purchase());
}

#[tokio::test]
async fn ups_slow_reply_is_transient() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/security/v1/oauth/token",
        ResponseTemplate::new(200).set_body_json(token_body("tok")),
    )
    .await;
    mount(
        &server,
        "POST",
        "/api/rating/v2409/Shoptimeintransit",
        rate_ok().set_delay(Duration::from_millis(800)),
    )
    .await;
    let ups = ups_with(&server, &client_id(), Some(Duration::from_millis(300)));
    let e = ups
        .rate(&rate_input("us_domestic_ground"))
        .await
        .unwrap_err();
    assert_transient(&e, false);
}

#[tokio::test]
async fn ups_truncated_body_is_protocol_with_the_raw_body() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok", 1).await;
    mount(
        &server,
        "POST",
        "/api/rating/v2409/Shoptimeintransit",
        ResponseTemplate::new(200).set_body_string(r#"{"RateResponse": {"RatedShipment": [{"Serv"#),
    )
    .await;
    let e = ups
        .rate(&rate_input("us_domestic_ground"))
        .await
        .unwrap_err();
    let CarrierError::Protocol { status, body, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body.0).contains("RatedShipment"));
}

#[tokio::test]
async fn ups_200_with_errors_in_the_body_is_rejected() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok", 1).await;
    mount(
        &server,
        "POST",
        "/api/shipments/v2409/ship",
        ResponseTemplate::new(200).set_body_json(FX.read("error/ship_to_state_in_200.json")),
    )
    .await;
    let e = ups
        .ship(&ship_input("us_domestic_two_pieces"))
        .await
        .unwrap_err();
    assert_eq!(
        field_errors(&e),
        [("/to/state".to_string(), Some("120206".to_string()))]
    );
}

#[tokio::test]
async fn ups_void_and_track_use_their_paths_and_headers() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok", 1).await;
    Mock::given(method("DELETE"))
        .and(path("/api/shipments/v2409/void/cancel/1ZA1B2C30310000011"))
        .and(query_param("trackingnumber", "1ZA1B2C30310000020"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.read("void/shipment.wire_response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/track/v1/details/1ZA1B2C30310000011"))
        .and(query_param("locale", "en_US"))
        .and(header("transactionSrc", "shiphub"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.read("track/delivered.wire_response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    ups.void(&waybill_ref("1ZA1B2C30310000011", "1ZA1B2C30310000020"))
        .await
        .unwrap();
    let r = ups
        .track(&["1ZA1B2C30310000011".parse().unwrap()])
        .await
        .unwrap();
    assert_eq!(r[0].status, TrackingStatus::Delivered);
    let track_call = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.method.as_str() == "GET")
        .unwrap();
    let trans_id = track_call
        .headers
        .get("transId")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(!trans_id.is_empty() && trans_id.len() <= 32, "{trans_id}");
    mount(&server, "GET", "/api/track/v1/details/1ZA1B2C30310000020", ResponseTemplate::new(404).set_body_json(
            json!({"response": {"errors": [{"code": "151044", "message": "No tracking information available"}]}}),
        )).await;
    let r = ups
        .track(&["1ZA1B2C30310000020".parse().unwrap()])
        .await
        .unwrap();
    assert_eq!(
        r[0].status,
        TrackingStatus::Unknown,
        "no information yet is not an error"
    );
    let e = ups
        .track(&[
            "1ZA1B2C30310000011".parse().unwrap(),
            "1ZA1B2C30310000020".parse().unwrap(),
        ])
        .await
        .unwrap_err();
    assert!(matches!(e, CarrierError::Rejected { .. }));
}

#[tokio::test]
async fn ups_token_endpoint_refusal_is_auth() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/security/v1/oauth/token",
        ResponseTemplate::new(401).set_body_json(
            json!({"response": {"errors": [{"code": "10401", "message": "ClientId is Invalid"}]}}),
        ),
    )
    .await;
    let ups = ups_with(&server, &client_id(), None);
    let e = ups
        .rate(&rate_input("us_domestic_ground"))
        .await
        .unwrap_err();
    assert!(matches!(e, CarrierError::Auth { .. }), "{e:?}");
}

// ------------------------------------------------------------------ conformance

/// A wiremock UPS answering token, rate, ship, void and track for the conformance check's
/// sample requests (the sandbox's canonical shipment, shipped with UPS Ground as ZPL).
pub(crate) async fn conformance_harness() -> crate::conformance::Harness {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/security/v1/oauth/token",
        ResponseTemplate::new(200).set_body_json(token_body("conformance")),
    )
    .await;
    mount(
        &server,
        "POST",
        "/api/rating/v2409/Shoptimeintransit",
        rate_ok(),
    )
    .await;
    let mut ship = FX.read("ship/us_domestic_two_pieces.wire_response.json");
    let results = &mut ship["ShipmentResponse"]["ShipmentResults"];
    results["PackageResults"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    mount(
        &server,
        "POST",
        "/api/shipments/v2409/ship",
        ResponseTemplate::new(200).set_body_json(ship),
    )
    .await;
    mount(
        &server,
        "DELETE",
        "/api/shipments/v2409/void/cancel/1ZA1B2C30310000011",
        ResponseTemplate::new(200).set_body_json(FX.read("void/shipment.wire_response.json")),
    )
    .await;
    mount(
        &server,
        "GET",
        "/api/track/v1/details/1ZA1B2C30310000011",
        ResponseTemplate::new(200).set_body_json(FX.read("track/delivered.wire_response.json")),
    )
    .await;
    mount(
        &server,
        "POST",
        "/api/addressvalidation/v2/3",
        ResponseTemplate::new(200)
            .set_body_json(FX.read("address/valid_residential.wire_response.json")),
    )
    .await;
    mount(
        &server,
        "POST",
        "/api/pickupcreation/v2409/pickup",
        ResponseTemplate::new(200)
            .set_body_json(FX.read("pickup/created_rated.wire_response.json")),
    )
    .await;
    mount(
        &server,
        "DELETE",
        "/api/shipments/v2409/pickup/02",
        ResponseTemplate::new(200).set_body_json(FX.read("pickup/cancelled.wire_response.json")),
    )
    .await;
    let mut ship_req = crate::sandbox::fixtures::ship_request("03", "CONFORMANCE-1");
    ship_req.label_format = LabelFormat::Zpl;
    // UPS needs a phone at a pickup address (Pickup.yaml `PickupAddress.Phone`, required) and
    // for a return's customer (the shipper of record's phone).
    let phone = |a: &mut Address| a.phone = Some("+1 404 555 0100".into());
    phone(&mut ship_req.shipment.from);
    phone(&mut ship_req.shipment.to);
    let mut rate = crate::sandbox::fixtures::rate_request();
    phone(&mut rate.from);
    crate::conformance::Harness {
        account: json!({"client_id": "conformance", "client_secret": "secret", "account_number": "A1B2C3"}),
        http: CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap())),
        rate,
        ship: ship_req,
        track: Vec::new(),
        _simulator: Some(server),
    }
}

#[tokio::test]
async fn conformance_harness_serves_every_declared_capability() {
    let h = conformance_harness().await;
    let ups = (ENTRY.build)(h.account.clone(), h.http.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!ups.rate(&h.rate).await.unwrap().is_empty());
    let wb = ups.ship(&h.ship).await.unwrap();
    assert_eq!(wb.pieces.len(), 1);
    assert_eq!(ups.track(&wb.pieces).await.unwrap().len(), 1);
    ups.void(&WaybillRef {
        tracking_number: wb.tracking_number.clone(),
        carrier_shipment_id: wb.carrier_shipment_id.clone(),
        pieces: wb.pieces.clone(),
    })
    .await
    .unwrap();
}

#[test]
fn gif_labels_decode_to_png() {
    use base64::Engine;
    let gif = base64::engine::general_purpose::STANDARD
        .decode(GIF_1X1)
        .unwrap();
    let png = ship::gif_to_png(&gif).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert!(matches!(
        ship::gif_to_png(b"GIF89a garbage"),
        Err(CarrierError::Protocol { .. })
    ));
}
