//! FedEx adapter tests: golden fixtures for the pure `build`/`parse` pairs (`fixtures/`, our
//! own files written from FedEx's specs and samples), every published FedEx sample response
//! read by our wire types, and wiremock tests for the HTTP glue in `mod.rs` and `auth.rs`.
//! Also the conformance harness (`conformance_harness`) that `crate::conformance` uses.
//!
//! `BLESS=1` rewrites `*.wire_request.json` only (request bodies are reviewed by hand and by
//! the contract test against FedEx's schema); expected parse results are never generated.

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::error::Op;
use super::*;
use crate::model::{
    AddressClassification, AddressVerdict, PickupRef, PickupRequest, ShipmentOption, TrackingStatus,
};
use crate::testing::assert_cuts_are_protocol;
use crate::testing::{
    Fixtures, assert_error_case, assert_transient, case_answer, fields, mount, waybill_json,
};

pub(crate) const FX: Fixtures = Fixtures::new("fedex");

// ---------------------------------------------------------------------------------------------
// Helpers

fn q(numbers: &[TrackingNumber]) -> Vec<TrackQuery> {
    numbers.iter().cloned().map(TrackQuery::from).collect()
}

fn test_account() -> Account {
    Account::from_json(&json!({
        "api_key": "l7xx-test-key", "secret_key": "test-secret", "account_number": "740561073"
    }))
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Golden fixtures: rate

#[test]
fn rate_us_domestic_quotes_every_service_preferring_account_rates() {
    let req: RateRequest = FX.typed("rate/us_domestic_all_services.input");

    let body = rate::build(&req, &test_account()).unwrap();
    FX.assert_json("rate/us_domestic_all_services.wire_request", &body);

    let quotes = rate::parse(
        FX.typed("rate/us_domestic_all_services.wire_response"),
        &req,
    )
    .unwrap();
    FX.assert_json("rate/us_domestic_all_services.quotes", &quotes);
}

#[test]
fn rate_international_sends_customs_with_sender_paying_duties_under_ddp() {
    let req: RateRequest = FX.typed("rate/us_to_gb_ddp.input");
    let body = rate::build(&req, &test_account()).unwrap();
    FX.assert_json("rate/us_to_gb_ddp.wire_request", &body);
}

/// `rate/ca_to_us_two_currencies.*` (hand-written; shape of the `rate-api.json` response
/// example in `../shared/carriers/fedex/openapi/`, whose `FEDEX_GROUND` reply carries an
/// `ACCOUNT` rate in CAD next to a `PREFERRED_INCENTIVE` one): a Canadian shipper on a
/// USD-billed account. International Priority comes back as a `PREFERRED_CURRENCY`
/// conversion to CAD listed first (the top-level rate type FedEx's own rating samples pair
/// with `ACCOUNT`; `PREFERRED_ACCOUNT_*` is a package/shipment-level type) and the billed `ACCOUNT` rate in USD; Ground only in CAD.
#[test]
fn rate_keeps_the_currency_each_service_is_billed_in_and_asks_for_the_shippers() {
    let req: RateRequest = FX.typed("rate/ca_to_us_two_currencies.input");
    let body = serde_json::to_value(rate::build(&req, &test_account()).unwrap()).unwrap();
    assert_eq!(body["requestedShipment"]["preferredCurrency"], "CAD");
    assert_eq!(
        body["requestedShipment"]["rateRequestType"],
        json!(["ACCOUNT", "LIST", "PREFERRED"])
    );

    let quotes = rate::parse(FX.typed("rate/ca_to_us_two_currencies.wire_response"), &req).unwrap();
    let got: Vec<(&str, String)> = quotes
        .iter()
        .map(|q| (q.service.code.as_str(), q.total.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("FEDEX_INTERNATIONAL_PRIORITY", "66.38 USD".to_string()),
            ("FEDEX_GROUND", "50.8 CAD".to_string()),
        ]
    );
    assert!(
        quotes[0]
            .breakdown
            .iter()
            .all(|c| c.amount.currency().as_str() == "USD"),
        "{:?}",
        quotes[0].breakdown
    );
    assert!(
        quotes[0]
            .notes
            .iter()
            .any(|n| n.contains("PREFERRED_CURRENCY") && n.contains("90.08 CAD")),
        "{:?}",
        quotes[0].notes
    );
}

#[test]
fn rate_and_ship_send_the_fedex_packaging_the_parcels_name() {
    use crate::model::Packaging;
    let mut req: RateRequest = FX.typed("rate/us_domestic_all_services.input");
    req.parcels[0].packaging = Some(Packaging::Pak);
    let body = serde_json::to_value(rate::build(&req, &test_account()).unwrap()).unwrap();
    assert_eq!(body["requestedShipment"]["packagingType"], "FEDEX_PAK");
    req.parcels[0].packaging = Some(Packaging::Envelope);
    let body = serde_json::to_value(rate::build(&req, &test_account()).unwrap()).unwrap();
    assert_eq!(body["requestedShipment"]["packagingType"], "FEDEX_ENVELOPE");
    let mut ship: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    ship.shipment.parcels[0].packaging = Some(Packaging::Envelope);
    let body = serde_json::to_value(ship::build(&ship, &test_account()).unwrap()).unwrap();
    assert_eq!(body["requestedShipment"]["packagingType"], "FEDEX_ENVELOPE");
    // USPS flat-rate packaging is not FedEx's.
    req.parcels[0].packaging = Some(Packaging::FlatRateEnvelope);
    let e = rate::build(&req, &test_account()).unwrap_err();
    assert!(
        matches!(&e, CarrierError::Rejected { errors, .. } if errors[0].field == "/parcels/0/packaging"),
        "{e:?}"
    );
}

#[test]
fn rate_international_without_customs_is_rejected_on_customs() {
    let mut req: RateRequest = FX.typed("rate/us_to_gb_ddp.input");
    req.customs = None;
    assert_eq!(
        fields(&rate::build(&req, &test_account()).unwrap_err()),
        ["/customs"]
    );
}

#[test]
fn rate_weights_and_dimensions_round_up_never_down() {
    let mut req: RateRequest = FX.typed("rate/us_domestic_all_services.input");
    req.parcels[0].weight =
        crate::model::Weight::new("10".parse().unwrap(), crate::model::WeightUnit::Oz).unwrap();
    let body = serde_json::to_value(rate::build(&req, &test_account()).unwrap()).unwrap();
    let item = &body["requestedShipment"]["requestedPackageLineItems"][0];
    // 10 oz = 0.625 lb → 0.63 lb; 6.5 in → 7 in.
    assert_eq!(item["weight"], json!({"units": "LB", "value": 0.63}));
    assert_eq!(item["dimensions"]["height"], json!(7));
}

#[test]
fn rate_without_output_or_total_is_protocol() {
    let req: RateRequest = FX.typed("rate/us_domestic_all_services.input");
    let resp = serde_json::from_value(json!({"transactionId": "x"})).unwrap();
    assert!(matches!(
        rate::parse(resp, &req),
        Err(CarrierError::Protocol { .. })
    ));
    let resp = serde_json::from_value(json!({"output": {"rateReplyDetails": [
        {"serviceType": "FEDEX_GROUND", "ratedShipmentDetails": [{"rateType": "LIST", "totalBaseCharge": 10}]}
    ]}}))
    .unwrap();
    assert!(matches!(
        rate::parse(resp, &req),
        Err(CarrierError::Protocol { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Golden fixtures: ship

#[test]
fn ship_domestic_pdf_with_reference_and_account_charges() {
    let req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");

    let body = ship::build(&req, &test_account()).unwrap();
    FX.assert_json("ship/us_domestic_pdf.wire_request", &body);

    let wb = ship::parse(FX.typed("ship/us_domestic_pdf.wire_response"), &req).unwrap();
    FX.assert_json("ship/us_domestic_pdf.waybill", &waybill_json(&wb));
    assert!(wb.label.unwrap().content.starts_with(b"%PDF-1.4"));
}

#[test]
fn ship_multi_piece_zpl_numbers_pieces_in_parcel_order_and_joins_labels() {
    let req: ShipRequest = FX.typed("ship/multi_piece_zpl.input");

    let body = ship::build(&req, &test_account()).unwrap();
    FX.assert_json("ship/multi_piece_zpl.wire_request", &body);

    let wb = ship::parse(FX.typed("ship/multi_piece_zpl.wire_response"), &req).unwrap();
    FX.assert_json("ship/multi_piece_zpl.waybill", &waybill_json(&wb));
}

#[test]
fn ship_international_png_with_customs_incoterm_and_tax_ids() {
    let req: ShipRequest = FX.typed("ship/us_to_gb_ddp_png.input");
    let body = ship::build(&req, &test_account()).unwrap();
    FX.assert_json("ship/us_to_gb_ddp_png.wire_request", &body);
}

#[test]
fn ship_under_dap_leaves_duties_to_the_recipient() {
    let mut req: ShipRequest = FX.typed("ship/us_to_gb_ddp_png.input");
    req.shipment.customs.as_mut().unwrap().incoterm = crate::model::Incoterm::DAP;
    let body = serde_json::to_value(ship::build(&req, &test_account()).unwrap()).unwrap();
    let customs = &body["requestedShipment"]["customsClearanceDetail"];
    assert_eq!(
        customs["dutiesPayment"],
        json!({"paymentType": "RECIPIENT"})
    );
    assert_eq!(customs["commercialInvoice"]["termsOfSale"], "DAP");
}

#[test]
fn ship_refuses_before_sending_what_fedex_would_refuse() {
    let mut req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    req.shipment.to.phone = None;
    assert_eq!(
        fields(&ship::build(&req, &test_account()).unwrap_err()),
        ["/to/phone"]
    );
    let mut req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    req.service = "03".into();
    assert_eq!(
        fields(&ship::build(&req, &test_account()).unwrap_err()),
        ["/service"]
    );
}

#[test]
fn ship_multi_piece_pdf_that_cannot_be_joined_keeps_the_purchase_and_says_so() {
    let req: ShipRequest = FX.typed("ship/multi_piece_zpl.input");
    let mut resp = FX.load("ship/multi_piece_zpl.wire_response");
    let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 piece");
    for piece in resp["output"]["transactionShipments"][0]["pieceResponses"]
        .as_array_mut()
        .unwrap()
    {
        piece["packageDocuments"][0]["docType"] = json!("PDF");
        piece["packageDocuments"][0]["encodedLabel"] = json!(pdf);
    }
    // The waybill is bought: it stands, with the first label and a warning naming the rest.
    let wb = ship::parse(serde_json::from_value(resp).unwrap(), &req).unwrap();
    assert_eq!(wb.label.unwrap().format, LabelFormat::Pdf);
    assert!(
        wb.warnings
            .iter()
            .any(|w| w.contains("2 piece labels that could not be joined")),
        "{:?}",
        wb.warnings
    );
}

#[test]
fn ship_label_that_is_not_base64_is_protocol() {
    let req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    let mut resp = FX.load("ship/us_domestic_pdf.wire_response");
    resp["output"]["transactionShipments"][0]["pieceResponses"][0]["packageDocuments"][0]["encodedLabel"] =
        json!("%%%");
    assert!(matches!(
        ship::parse(serde_json::from_value(resp).unwrap(), &req),
        Err(CarrierError::Protocol { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Golden fixtures: void

#[test]
fn void_cancels_all_packages_with_the_sender_country() {
    let r: WaybillRef = FX.typed("void/cancelled.input");
    FX.assert_json(
        "void/cancelled.wire_request",
        &void::build(&r, &test_account()),
    );
    void::parse(FX.typed("void/cancelled.wire_response")).unwrap();
}

#[test]
fn void_refused_by_fedex_is_rejected_on_the_tracking_number() {
    let r: WaybillRef = FX.typed("void/refused.input");
    FX.assert_json(
        "void/refused.wire_request",
        &void::build(&r, &test_account()),
    );
    let e = void::parse(FX.typed("void/refused.wire_response")).unwrap_err();
    assert_eq!(fields(&e), ["/tracking_number"]);
    let CarrierError::Rejected { errors, .. } = e else {
        unreachable!()
    };
    assert_eq!(
        errors[0].carrier_code.as_deref(),
        Some("SHIPMENT.ALREADY.TENDERED")
    );
    assert!(
        !CarrierError::Rejected {
            carrier: CODE,
            errors
        }
        .is_retryable()
    );
}

// ---------------------------------------------------------------------------------------------
// Golden fixtures: track

/// A 21-piece shipment, its input: `ship/multi_piece_zpl.input` with 21 parcels.
fn twenty_one_parcels(format: LabelFormat) -> ShipRequest {
    let mut req: ShipRequest = FX.typed("ship/multi_piece_zpl.input");
    let parcel = req.shipment.parcels[0].clone();
    req.shipment.parcels = vec![parcel; 21];
    req.label_format = format;
    req
}

/// `ship/21_pieces_{pdf,png}.wire_response` (hand-written by a Python script from the
/// `pieceResponses[].packageDocuments[]` shape of ship-api.json: one 4×6 label per piece, the
/// master listed last; every other PDF keeps its MediaBox and Resources on its Pages node).
#[test]
fn ship_many_pieces_pdf_labels_all_go_into_one_document_in_piece_order() {
    let req = twenty_one_parcels(LabelFormat::Pdf);
    let wb = ship::parse(FX.typed("ship/21_pieces_pdf.wire_response"), &req).unwrap();
    assert_eq!(wb.pieces.len(), 21);
    assert!(wb.warnings.is_empty(), "{:?}", wb.warnings);
    let label = wb.label.unwrap();
    assert_eq!(label.format, LabelFormat::Pdf);
    let doc = lopdf::Document::load_mem(&label.content).unwrap();
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 21);
    for (i, (&n, &id)) in pages.iter().enumerate() {
        let text = String::from_utf8_lossy(&doc.get_page_content(id)).to_string();
        assert!(
            text.contains(&format!("{} piece {} of 21", wb.pieces[i], i + 1)),
            "page {n}: {text}"
        );
        // Each page has its size, inherited or its own.
        let page = doc.get_dictionary(id).unwrap();
        let media = page.get(b"MediaBox").is_ok()
            || page
                .get(b"Parent")
                .and_then(lopdf::Object::as_reference)
                .and_then(|p| doc.get_dictionary(p))
                .is_ok_and(|p| p.get(b"MediaBox").is_ok());
        assert!(media, "page {n} lost its MediaBox");
    }
}

#[test]
fn ship_many_pieces_png_labels_are_stacked_into_one_image() {
    let req = twenty_one_parcels(LabelFormat::Png);
    let wb = ship::parse(FX.typed("ship/21_pieces_png.wire_response"), &req).unwrap();
    let label = wb.label.unwrap();
    assert_eq!(label.format, LabelFormat::Png);
    let mut reader = png::Decoder::new(std::io::Cursor::new(&label.content))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    // 21 labels of 12 rows; the widest is 8 px (piece 21 is 6 px, padded with white).
    assert_eq!((info.width, info.height), (8, 21 * 12));
    let px = |x: usize, y: usize| &buf[(y * 8 + x) * 4..][..4];
    for piece in 1..=21usize {
        let y = (piece - 1) * 12 + 5;
        let grey = (10 * piece) as u8;
        assert_eq!(px(0, y), [grey, grey, grey, 255], "piece {piece}");
    }
    assert_eq!(px(7, 20 * 12 + 5), [255, 255, 255, 255]);
}

#[test]
fn track_batch_answers_in_the_order_asked_with_unknown_for_not_found() {
    let numbers: Vec<TrackingNumber> = FX.typed("track/delivered_and_not_found.input");
    FX.assert_json(
        "track/delivered_and_not_found.wire_request",
        &track::build(&q(&numbers)).unwrap(),
    );
    let results = track::parse(
        FX.typed("track/delivered_and_not_found.wire_response"),
        &q(&numbers),
    )
    .unwrap();
    FX.assert_json("track/delivered_and_not_found.results", &results);
}

#[test]
fn track_customs_delay_is_an_exception_with_its_estimate() {
    let numbers: Vec<TrackingNumber> = FX.typed("track/in_transit_customs_delay.input");
    let results = track::parse(
        FX.typed("track/in_transit_customs_delay.wire_response"),
        &q(&numbers),
    )
    .unwrap();
    FX.assert_json("track/in_transit_customs_delay.results", &results);
}

/// `track/reused_number.wire_response` (hand-written in the shape of
/// `../shared/carriers/fedex/samples/tracking_response.json` and track-api.json, which gives
/// each `trackResults[]` entry its `trackingNumberUniqueId`): FedEx answers two shipments for
/// one reused number, the 2023 one stuck in transit listed first, the 2025 one delivered.
#[test]
fn track_reused_number_reports_the_most_recent_shipment_and_keeps_the_other() {
    let n: TrackingNumber = "123456789012".parse().unwrap();
    let results = track::parse(FX.typed("track/reused_number.wire_response"), &[n.into()]).unwrap();
    let r = &results[0];
    assert_eq!(r.status, TrackingStatus::Delivered);
    assert_eq!(r.carrier_code, "DL");
    assert_eq!(r.signed_by.as_deref(), Some("A.DOE"));
    assert!(
        r.events.iter().all(|e| e.occurred_at.year() == 2025),
        "{:?}",
        r.events
    );
    assert_eq!(r.other_shipments.len(), 1);
    let other = &r.other_shipments[0];
    assert_eq!(
        other.carrier_id.as_deref(),
        Some("245822~123456789012~FDEG")
    );
    assert_eq!(other.status, TrackingStatus::InTransit);
    assert_eq!(other.ship_date, Some(time::macros::date!(2023 - 05 - 30)));
    assert_eq!(
        other.last_event_at,
        Some(time::macros::datetime!(2023-06-02 03:12:00 -05:00))
    );
}

/// `track/reused_number_three_shipments.wire_response` (hand-written from
/// `../shared/carriers/fedex/samples/tracking_response.json` and track-api.json): one reused
/// number, three shipments in no order — shipped 2025-06-02 and stuck in an exception scanned
/// as late as 2025-10-01, shipped 2024-01-08 delivered, shipped 2025-09-15 delivered.
fn three_shipments(ship_date: Option<time::Date>) -> TrackingResult {
    let n: TrackingNumber = "123456789012".parse().unwrap();
    let parcel = TrackQuery::new(n, ship_date);
    track::parse(
        FX.typed("track/reused_number_three_shipments.wire_response"),
        &[parcel],
    )
    .unwrap()
    .remove(0)
}

fn others(r: &TrackingResult) -> Vec<&str> {
    let mut ids: Vec<&str> = r
        .other_shipments
        .iter()
        .filter_map(|o| o.carrier_id.as_deref())
        .collect();
    ids.sort();
    ids
}

#[test]
fn track_reused_number_takes_the_shipment_of_the_trackers_ship_date() {
    use time::macros::date;
    // The tracker's parcel shipped 2025-06-02: its own exception, not the newer delivery.
    let r = three_shipments(Some(date!(2025 - 06 - 02)));
    assert_eq!(r.status, TrackingStatus::Exception);
    assert_eq!(r.carrier_code, "SE");
    assert!(
        r.events.iter().all(
            |e| e.occurred_at.year() == 2025 && e.occurred_at.month() != time::Month::September
        )
    );
    assert_eq!(
        others(&r),
        ["12029~123456789012~FDEG", "31337~123456789012~FDEG"]
    );
    // A label dated a day after FedEx's SHIP date still finds its shipment.
    let r = three_shipments(Some(date!(2024 - 01 - 09)));
    assert_eq!(r.status, TrackingStatus::Delivered);
    assert_eq!(r.signed_by.as_deref(), Some("B.ROE"));
    assert_eq!(
        others(&r),
        ["245822~123456789012~FDEG", "31337~123456789012~FDEG"]
    );
}

#[test]
fn track_reused_number_bought_today_is_unknown_not_an_old_delivery() {
    use time::macros::date;
    // Bought 2026-11-30; FedEx knows only the number's earlier parcels.
    let r = three_shipments(Some(date!(2026 - 11 - 30)));
    assert_eq!(r.status, TrackingStatus::Unknown);
    assert!(r.events.is_empty());
    assert_eq!(r.signed_by, None);
    assert_eq!(r.other_shipments.len(), 3, "all three stay visible");
    assert!(r.warnings[0].contains("2026-11-30"), "{:?}", r.warnings);
}

#[test]
fn track_reused_number_without_a_ship_date_never_prefers_an_older_undelivered_parcel() {
    // The 2025-06-02 parcel has the latest scan (an exception in October) but shipped
    // before the one delivered in September: the newer shipment wins.
    let r = three_shipments(None);
    assert_eq!(r.status, TrackingStatus::Delivered);
    assert_eq!(r.carrier_code, "DL");
    assert_eq!(r.signed_by.as_deref(), Some("Front desk"));
    assert_eq!(
        others(&r),
        ["12029~123456789012~FDEG", "245822~123456789012~FDEG"]
    );
    let stuck = r
        .other_shipments
        .iter()
        .find(|o| o.carrier_id.as_deref() == Some("245822~123456789012~FDEG"))
        .unwrap();
    assert_eq!(stuck.status, TrackingStatus::Exception);
    assert_eq!(stuck.ship_date, Some(time::macros::date!(2025 - 06 - 02)));
}

/// `track/ship_date_window.wire_request` (hand-written from
/// `../shared/carriers/fedex/samples/tracking_request.json`): a known ship date asks FedEx
/// for that window only; a number without one is asked bare.
#[test]
fn track_request_narrows_a_known_ship_date_to_its_window() {
    let parcels = [
        TrackQuery::new(
            "123456789012".parse().unwrap(),
            Some(time::macros::date!(2025 - 06 - 02)),
        ),
        TrackQuery::from("794953555571".parse::<TrackingNumber>().unwrap()),
    ];
    FX.assert_json(
        "track/ship_date_window.wire_request",
        &track::build(&parcels).unwrap(),
    );
}

#[test]
fn track_batches_are_one_to_thirty_numbers() {
    let n: TrackingNumber = "794953555571".parse().unwrap();
    assert!(track::build(&q(&vec![n.clone(); 30])).is_ok());
    assert_eq!(
        fields(&track::build(&q(&vec![n; 31])).unwrap_err()),
        ["/tracking_numbers"]
    );
    assert_eq!(
        fields(&track::build(&[]).unwrap_err()),
        ["/tracking_numbers"]
    );
}

#[test]
fn track_result_missing_for_a_number_is_protocol() {
    let numbers: Vec<TrackingNumber> = vec!["111111111111".parse().unwrap()];
    let e = track::parse(
        FX.typed("track/delivered_and_not_found.wire_response"),
        &q(&numbers),
    )
    .unwrap_err();
    assert!(matches!(e, CarrierError::Protocol { .. }));
}

#[test]
fn unpublished_status_codes_are_unknown_with_the_raw_code_kept() {
    let numbers: Vec<TrackingNumber> = vec!["794953555571".parse().unwrap()];
    let resp = serde_json::from_value(json!({"output": {"completeTrackResults": [{"trackingNumber": "794953555571",
        "trackResults": [{"latestStatusDetail": {"code": "ZZ"},
            "scanEvents": [{"date": "2025-03-14T10:00:00Z", "eventType": "ZZ", "eventDescription": "Something new"}]}]}]}}))
    .unwrap();
    let r = track::parse(resp, &q(&numbers)).unwrap().remove(0);
    assert_eq!(
        (r.status, r.carrier_code.as_str()),
        (TrackingStatus::Unknown, "ZZ")
    );
    assert_eq!(r.events[0].carrier_code, "ZZ");
}

// ---------------------------------------------------------------------------------------------
// Golden fixtures: errors

#[test]
fn error_fixtures_classify_as_expected() {
    let cases = FX.error_cases();
    for (name, case) in &cases {
        let op = match case["op"].as_str().unwrap() {
            "rate" => Op::Rate,
            "ship" => Op::Ship,
            "void" => Op::Void,
            "track" => Op::Track,
            other => panic!("{name}: op {other}"),
        };
        let a = case_answer(case);
        let e = decode::<wire::TrackResponse>(op, a.status, a.retry_after, &a.body).unwrap_err();
        assert_error_case(name, &e, &case["expected"]);
    }
    assert!(cases.len() >= 6);
}

#[test]
fn malformed_or_truncated_bodies_are_protocol_never_a_panic() {
    let full = serde_json::to_vec(&FX.load("rate/us_domestic_all_services.wire_response")).unwrap();
    assert_cuts_are_protocol(&full, |body| {
        decode::<wire::RateResponse>(Op::Rate, 200, None, body).unwrap_err()
    });
    for garbage in [
        &b"<html>502 Bad Gateway</html>"[..],
        b"null",
        b"[]",
        b"\xff\xfe",
    ] {
        let _ = decode::<wire::RateResponse>(Op::Rate, 200, None, garbage);
        let _ = decode::<wire::ShipResponse>(Op::Ship, 400, None, garbage);
    }
}

// ---------------------------------------------------------------------------------------------
// Every published FedEx sample response reads with our wire types

fn sample(rel: &str) -> Option<Value> {
    let p = FX.shared(&format!("samples/{rel}"))?;
    Some(serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap())
}

fn each(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        one => vec![one],
    }
}

#[test]
fn published_rating_responses_parse_and_prefer_account_rates() {
    let Some(samples) = sample("rating_responses.json") else {
        return;
    };
    let req: RateRequest = FX.typed("rate/us_domestic_all_services.input");
    for (i, s) in each(samples).into_iter().enumerate() {
        let resp: wire::RateResponse =
            serde_json::from_value(s).unwrap_or_else(|e| panic!("sample {i}: {e}"));
        let quotes = rate::parse(resp, &req).unwrap_or_else(|e| panic!("sample {i}: {e:?}"));
        assert!(!quotes.is_empty(), "sample {i}");
        for q in &quotes {
            let sum =
                crate::model::Money::sum(q.total.currency(), q.breakdown.iter().map(|c| &c.amount));
            assert_eq!(sum, Ok(q.total), "sample {i} {}", q.service.code);
        }
    }
    // Sample 1 quotes the CA domestic Economy with ACCOUNT and PREFERRED_CURRENCY rates:
    // the account rate (38.54, with HST as a tax line) is the one quoted.
    let resp: wire::RateResponse =
        serde_json::from_value(each(sample("rating_responses.json").unwrap()).remove(1)).unwrap();
    let q = rate::parse(resp, &req).unwrap().remove(0);
    assert_eq!(q.total.amount(), "38.54".parse().unwrap());
    assert!(q.breakdown.iter().any(
        |c| c.code.as_deref() == Some("HST") && c.kind == crate::model::ChargeKind::DutiesTaxes
    ));
}

#[test]
fn published_shipping_responses_parse() {
    let Some(samples) = sample("shipping_responses.json") else {
        return;
    };
    let mut req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    for (i, s) in each(samples).into_iter().enumerate() {
        let resp: wire::ShipResponse =
            serde_json::from_value(s).unwrap_or_else(|e| panic!("sample {i}: {e}"));
        let pieces = resp.output.as_ref().unwrap().transaction_shipments[0]
            .piece_responses
            .len();
        req.shipment.parcels = vec![req.shipment.parcels[0].clone(); pieces];
        // Sample 0 is FedEx's schema example ("amount": "string" placeholders); it must read,
        // and either parse or fail as Protocol, never panic.
        match ship::parse(resp, &req) {
            Ok(wb) => {
                assert_eq!(wb.pieces.first(), Some(&wb.tracking_number), "sample {i}");
                assert_eq!(wb.pieces.len(), pieces, "sample {i}");
            }
            Err(e) => assert!(
                matches!(e, CarrierError::Protocol { .. }),
                "sample {i}: {e:?}"
            ),
        }
    }
    // Sample 1 is a real 21-piece international shipment with PDF labels.
    let resp: wire::ShipResponse =
        serde_json::from_value(each(sample("shipping_responses.json").unwrap()).remove(1)).unwrap();
    req.shipment.parcels = vec![req.shipment.parcels[0].clone(); 21];
    let wb = ship::parse(resp, &req).unwrap();
    assert_eq!(wb.tracking_number.as_str(), "794791341818");
    assert_eq!(wb.pieces[1].as_str(), "794791341829");
    let label = wb.label.unwrap();
    assert_eq!(label.format, LabelFormat::Pdf);
    assert!(label.content.starts_with(b"%PDF"));
    assert_eq!(wb.total.unwrap().amount(), "4448.19".parse().unwrap());
}

#[test]
fn published_cancel_tracking_and_error_responses_parse() {
    if let Some(s) = sample("cancel_response.json") {
        void::parse(serde_json::from_value(s).unwrap()).unwrap();
    }
    if let Some(s) = sample("tracking_response.json") {
        let numbers: Vec<TrackingNumber> = vec![
            "123456789012".parse().unwrap(),
            "39936862321".parse().unwrap(),
        ];
        let results = track::parse(serde_json::from_value(s).unwrap(), &q(&numbers)).unwrap();
        assert_eq!(results[1].carrier_code, "TRACKING.TRACKINGNUMBER.NOTFOUND");
    }
    if let Some(s) = sample("error_response.json") {
        let body = serde_json::to_vec(&s).unwrap();
        let e = error::classify(Op::Track, 400, None, &body);
        assert_eq!(fields(&e), ["/tracking_numbers"]);
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP glue (mod.rs, auth.rs) against wiremock

/// Each test uses its own API key: the token cache is process-wide.
fn account_json(key: &str) -> Value {
    json!({"api_key": key, "secret_key": "s3cret/+=", "account_number": "740561073"})
}

async fn adapter(server: &MockServer, account: Value, timeout: Duration) -> Box<dyn Carrier> {
    let mut http = CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap()));
    http.timeout = timeout;
    (ENTRY.build)(account, http).unwrap_or_else(|e| panic!("{e}"))
}

fn token(t: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": t, "token_type": "bearer", "expires_in": 3599, "scope": "CXS"
    }))
}

fn rate_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(FX.load("rate/us_domestic_all_services.wire_response"))
}

fn fedex_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"transactionId": "t", "errors": [{"code": code, "message": code}]}))
}

#[tokio::test]
async fn fedex_token_is_form_encoded_client_credentials_and_cached_across_calls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=key-cache"))
        .and(body_string_contains("client_secret=s3cret%2F%2B%3D"))
        .respond_with(token("tok-cache"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rate/v1/rates/quotes"))
        .and(header("authorization", "Bearer tok-cache"))
        .and(header("content-type", "application/json"))
        .respond_with(rate_ok())
        .expect(2)
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-cache"), Duration::from_secs(5)).await;
    let req: RateRequest = FX.typed("rate/us_domestic_all_services.input");

    assert_eq!(fedex.rate(&req).await.unwrap().len(), 3);
    assert_eq!(fedex.rate(&req).await.unwrap().len(), 3);

    server.verify().await;
    let sent: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[1].body).unwrap();
    FX.assert_json("rate/us_domestic_all_services.wire_request", &sent);
}

/// Answers 401 to the first token it sees, 200 to any other.
struct RejectToken(&'static str);
impl Respond for RejectToken {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if auth == format!("Bearer {}", self.0) {
            fedex_error(401, "NOT.AUTHORIZED.ERROR")
        } else {
            rate_ok()
        }
    }
}

#[tokio::test]
async fn fedex_401_refreshes_the_token_once_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token("tok-old"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token("tok-new"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rate/v1/rates/quotes"))
        .respond_with(RejectToken("tok-old"))
        .expect(2)
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-refresh"), Duration::from_secs(5)).await;

    let quotes = fedex
        .rate(&FX.typed("rate/us_domestic_all_services.input"))
        .await
        .unwrap();

    assert_eq!(quotes.len(), 3);
    server.verify().await;
}

#[tokio::test]
async fn fedex_401_twice_is_auth_after_exactly_one_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token("tok-any"))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/ship/v1/shipments"))
        .respond_with(fedex_error(401, "NOT.AUTHORIZED.ERROR"))
        .expect(2)
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-401x2"), Duration::from_secs(5)).await;

    let e = fedex
        .ship(&FX.typed("ship/us_domestic_pdf.input"))
        .await
        .unwrap_err();

    assert!(
        matches!(&e, CarrierError::Auth { code: Some(c), .. } if c == "NOT.AUTHORIZED.ERROR"),
        "{e:?}"
    );
    server.verify().await;
}

#[tokio::test]
async fn fedex_refused_client_credentials_are_auth_without_calling_the_api() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/oauth/token",
        fedex_error(401, "NOT.AUTHORIZED.ERROR"),
    )
    .await;
    Mock::given(path("/rate/v1/rates/quotes"))
        .respond_with(rate_ok())
        .expect(0)
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-refused"), Duration::from_secs(5)).await;
    let e = fedex
        .rate(&FX.typed("rate/us_domestic_all_services.input"))
        .await
        .unwrap_err();
    assert!(matches!(e, CarrierError::Auth { .. }), "{e:?}");
    server.verify().await;
}

#[tokio::test]
async fn fedex_429_with_and_without_retry_after_is_rate_limited() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(token("tok-429"))
        .mount(&server)
        .await;
    Mock::given(path("/rate/v1/rates/quotes"))
        .respond_with(fedex_error(429, "TOO.MANY.REQUESTS").insert_header("Retry-After", "12"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/rate/v1/rates/quotes"))
        .respond_with(ResponseTemplate::new(429).set_body_string("Too many requests"))
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-429"), Duration::from_secs(5)).await;
    let req: RateRequest = FX.typed("rate/us_domestic_all_services.input");

    let first = fedex.rate(&req).await.unwrap_err();
    let second = fedex.rate(&req).await.unwrap_err();

    assert!(
        matches!(first, CarrierError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(12)),
        "{first:?}"
    );
    assert!(
        matches!(
            second,
            CarrierError::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{second:?}"
    );
}

#[tokio::test]
async fn fedex_500_on_ship_is_transient_and_maybe_processed() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(token("tok-500"))
        .mount(&server)
        .await;
    Mock::given(path("/ship/v1/shipments"))
        .respond_with(fedex_error(500, "INTERNAL.SERVER.ERROR"))
        .mount(&server)
        .await;
    Mock::given(path("/rate/v1/rates/quotes"))
        .respond_with(fedex_error(503, "SERVICE.UNAVAILABLE.ERROR"))
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-500"), Duration::from_secs(5)).await;

    let ship = fedex
        .ship(&FX.typed("ship/us_domestic_pdf.input"))
        .await
        .unwrap_err();
    let rate = fedex
        .rate(&FX.typed("rate/us_domestic_all_services.input"))
        .await
        .unwrap_err();

    assert_transient(&ship, true);
    assert!(!ship.is_retryable_purchase());
    assert_transient(&rate, false);
}

#[tokio::test]
async fn fedex_malformed_body_is_protocol_with_the_body_kept() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(token("tok-malformed"))
        .mount(&server)
        .await;
    Mock::given(path("/rate/v1/rates/quotes"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"output": {"rateReplyDetails": [{"serviceType": "FEDEX_GR"#),
        )
        .mount(&server)
        .await;
    let fedex = adapter(
        &server,
        account_json("key-malformed"),
        Duration::from_secs(5),
    )
    .await;

    let e = fedex
        .rate(&FX.typed("rate/us_domestic_all_services.input"))
        .await
        .unwrap_err();

    let CarrierError::Protocol { status, body, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body.0).contains("FEDEX_GR"));
}

#[tokio::test]
async fn fedex_slow_reply_is_transient() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(token("tok-slow"))
        .mount(&server)
        .await;
    Mock::given(path("/track/v1/trackingnumbers"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let fedex = adapter(
        &server,
        account_json("key-slow"),
        Duration::from_millis(300),
    )
    .await;
    let e = fedex
        .track(&["794953555571".parse().unwrap()])
        .await
        .unwrap_err();
    assert_transient(&e, false);
}

#[tokio::test]
async fn fedex_200_with_errors_is_classified_not_parsed() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(token("tok-200err"))
        .mount(&server)
        .await;
    Mock::given(path("/track/v1/trackingnumbers"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(FX.load("error/tracking_number_empty_200")["body"].clone()),
        )
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-200err"), Duration::from_secs(5)).await;
    let e = fedex
        .track(&["794953555571".parse().unwrap()])
        .await
        .unwrap_err();
    assert_eq!(fields(&e), ["/tracking_numbers"]);
}

#[tokio::test]
async fn fedex_track_and_void_use_their_paths_methods_and_track_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("client_id=track-key"))
        .respond_with(token("tok-track"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("client_id=key-main"))
        .respond_with(token("tok-main"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/track/v1/trackingnumbers"))
        .and(header("authorization", "Bearer tok-track"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(FX.load("track/delivered_and_not_found.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/ship/v1/shipments/cancel"))
        .and(header("authorization", "Bearer tok-main"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("void/cancelled.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut account = account_json("key-main");
    account["track_api_key"] = json!("track-key");
    account["track_secret_key"] = json!("track-secret");
    let fedex = adapter(&server, account, Duration::from_secs(5)).await;

    let numbers: Vec<TrackingNumber> = FX.typed("track/delivered_and_not_found.input");
    let results = fedex.track(&numbers).await.unwrap();
    fedex.void(&FX.typed("void/cancelled.input")).await.unwrap();

    assert_eq!(results[0].status, TrackingStatus::Delivered);
    server.verify().await;
}

#[test]
fn entry_needs_a_base_url_and_names_bad_account_fields() {
    let Err(e) = (ENTRY.build)(account_json("k"), CarrierHttp::offline()) else {
        panic!("built without base URL")
    };
    assert_eq!(e.field, "/base_url");
    let http = CarrierHttp::new(
        reqwest::Client::new(),
        Some("https://apis-sandbox.fedex.com".parse().unwrap()),
    );
    let Err(e) = (ENTRY.build)(json!({"api_key": "k"}), http.clone()) else {
        panic!("built without secret")
    };
    assert_eq!(e.field, "/secret_key");
    let fedex = (ENTRY.build)(account_json("k"), http).unwrap();
    assert_eq!(fedex.limits().requests_per_second, 140);
    assert_eq!(fedex.capabilities().track_batch_max, 30);
}

#[test]
fn endpoints_keep_a_base_path_prefix() {
    let base: Url = "http://127.0.0.1:9102/fedex".parse().unwrap();
    assert_eq!(
        endpoint(&base, "oauth/token").as_str(),
        "http://127.0.0.1:9102/fedex/oauth/token"
    );
    let base: Url = "https://apis.fedex.com/".parse().unwrap();
    assert_eq!(
        endpoint(&base, "rate/v1/rates/quotes").as_str(),
        "https://apis.fedex.com/rate/v1/rates/quotes"
    );
}

// ---------------------------------------------------------------------------------------------
// A shipper's working day: options, returns, address validation, pickups

/// A response example of FedEx's own spec: `openapi/<file>`, `paths.<path>.<method>`, status.
fn spec_example(file: &str, at: &str, verb: &str, status: &str) -> Option<Value> {
    let spec = FX.sample(&format!("openapi/{file}"))?;
    let example =
        spec["paths"][at][verb]["responses"][status]["content"]["application/json"]["example"]
            .clone();
    assert!(
        !example.is_null(),
        "{file} {verb} {at} {status} has no example"
    );
    Some(example)
}

fn body_of(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap()
}

#[test]
fn rate_prices_every_option_and_the_surcharges_come_back_in_the_breakdown() {
    let req: RateRequest = FX.typed("rate/us_domestic_options.input");
    let body = rate::build(&req, &test_account()).unwrap();
    FX.assert_json("rate/us_domestic_options.wire_request", &body);
    let v = body_of(&body);
    let shipment = &v["requestedShipment"];
    assert_eq!(
        shipment["shipmentSpecialServices"]["specialServiceTypes"],
        json!(["SATURDAY_DELIVERY", "DRY_ICE"])
    );
    // 2.2 lb of dry ice in each of two parcels, in KG rounded up: 0.9979… → 1.00 each.
    assert_eq!(
        shipment["shipmentSpecialServices"]["shipmentDryIceDetail"],
        json!({"totalWeight": {"units": "KG", "value": 2}, "packageCount": 2})
    );
    let items = shipment["requestedPackageLineItems"].as_array().unwrap();
    assert_eq!(
        items[0]["declaredValue"],
        json!({"amount": 125.01, "currency": "USD"})
    );
    assert_eq!(
        items[1]["declaredValue"],
        json!({"amount": 125, "currency": "USD"})
    );
    for item in items {
        let s = &item["packageSpecialServices"];
        assert_eq!(
            s["specialServiceTypes"],
            json!(["SIGNATURE_OPTION", "DRY_ICE", "BATTERY"])
        );
        assert_eq!(s["signatureOptionType"], "ADULT");
        assert_eq!(
            s["batteryDetails"],
            json!([{"material": "LITHIUM_METAL", "packing": "CONTAINED_IN_EQUIPMENT",
                "regulatorySubType": "IATA_SECTION_II"}])
        );
    }

    let quotes = rate::parse(FX.typed("rate/us_domestic_options.wire_response"), &req).unwrap();
    let q = &quotes[0];
    assert_eq!(q.total.amount(), "105.10".parse().unwrap());
    let surcharge = |code: &str| {
        q.breakdown
            .iter()
            .find(|c| c.code.as_deref() == Some(code))
            .unwrap_or_else(|| panic!("no {code} line in {:?}", q.breakdown))
    };
    for (code, amount) in [
        ("SIGNATURE_OPTION", "15.40"),
        ("SATURDAY_DELIVERY", "16.00"),
        ("DRY_ICE", "6.00"),
        ("INSURED_VALUE", "4.40"),
    ] {
        let line = surcharge(code);
        assert_eq!(line.kind, crate::model::ChargeKind::Surcharge, "{code}");
        assert_eq!(line.amount.amount(), amount.parse().unwrap(), "{code}");
    }
    let sum = crate::model::Money::sum(q.total.currency(), q.breakdown.iter().map(|c| &c.amount));
    assert_eq!(sum, Ok(q.total));
}

#[test]
fn ship_carries_the_same_options_in_ships_own_field_names() {
    let req: ShipRequest = FX.typed("ship/us_domestic_options.input");
    let body = ship::build(&req, &test_account()).unwrap();
    FX.assert_json("ship/us_domestic_options.wire_request", &body);
    let v = body_of(&body);
    let items = v["requestedShipment"]["requestedPackageLineItems"]
        .as_array()
        .unwrap();
    for item in items {
        let s = &item["packageSpecialServices"];
        assert_eq!(s["signatureOptionType"], "DIRECT");
        assert_eq!(s["dryIceWeight"], json!({"units": "KG", "value": 1}));
        assert_eq!(
            s["batteryDetails"],
            json!([{"batteryMaterialType": "LITHIUM_ION", "batteryPackingType": "PACKED_WITH_EQUIPMENT",
                "batteryRegulatoryType": "IATA_SECTION_II"}])
        );
    }
    assert_eq!(
        v["requestedShipment"]["shipmentSpecialServices"]["specialServiceTypes"],
        json!(["SATURDAY_DELIVERY", "DRY_ICE"])
    );
}

#[test]
fn options_fedex_does_not_sell_are_refused_on_their_field() {
    let mut req: RateRequest = FX.typed("rate/us_domestic_all_services.input");
    req.options = serde_json::from_value(json!({"delivery_confirmation": true})).unwrap();
    assert_eq!(
        fields(&rate::build(&req, &test_account()).unwrap_err()),
        ["/options/delivery_confirmation"]
    );
    req.options = serde_json::from_value(
        json!({"lithium_batteries": {"material": "ion", "packing": "alone"}}),
    )
    .unwrap();
    assert_eq!(
        fields(&rate::build(&req, &test_account()).unwrap_err()),
        ["/options/lithium_batteries"]
    );
    let mut ship_req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    ship_req.shipment.options = req.options.clone();
    assert_eq!(
        fields(&ship::build(&ship_req, &test_account()).unwrap_err()),
        ["/options/lithium_batteries"]
    );
    assert!(!CAPS.options.contains(&ShipmentOption::DeliveryConfirmation));
    assert!(CAPS.options.contains(&ShipmentOption::SaturdayDelivery));
}

#[test]
fn ship_return_asks_for_a_printed_return_label_paid_by_the_account() {
    let req: ShipRequest = FX.typed("ship/return_ground.input");
    assert!(req.is_return);
    let body = ship::build(&req, &test_account()).unwrap();
    FX.assert_json("ship/return_ground.wire_request", &body);
    let v = body_of(&body);
    let s = &v["requestedShipment"];
    assert_eq!(
        s["shipmentSpecialServices"],
        json!({"specialServiceTypes": ["RETURN_SHIPMENT"],
               "returnShipmentDetail": {"returnType": "PRINT_RETURN_LABEL"}})
    );
    assert_eq!(s["shipper"]["address"]["postalCode"], "94105");
    assert_eq!(s["recipients"][0]["address"]["postalCode"], "30303");
    assert_eq!(
        s["shippingChargesPayment"]["payor"]["responsibleParty"]["accountNumber"]["value"],
        "740561073"
    );
    // The outbound request never says it is a return.
    let out: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    let v = body_of(&ship::build(&out, &test_account()).unwrap());
    assert!(
        v["requestedShipment"]
            .get("shipmentSpecialServices")
            .is_none()
    );
}

#[test]
fn special_service_options_decide_what_a_service_and_lane_carry() {
    let req: ShipRequest = FX.typed("ship/us_domestic_options.input");
    let ask = options::availability_request(&req, &test_account());
    FX.assert_json("availability/priority_overnight.wire_request", &ask);
    let answer = || FX.typed("availability/priority_overnight.wire_response");
    options::check_available(answer(), &req).unwrap();

    // FedEx lists lithium ion only (its `batteryOptionList`) on this lane: metal cells are
    // refused on their field.
    let mut metal = req.clone();
    metal.shipment.options.lithium_batteries = Some(crate::model::LithiumBatteries::new(
        crate::model::LithiumMaterial::Metal,
        crate::model::LithiumPacking::PackedWithEquipment,
    ));
    assert_eq!(
        fields(&options::check_available(answer(), &metal).unwrap_err()),
        ["/options/lithium_batteries"]
    );

    // FedEx lists no Saturday delivery, dry ice or batteries for Ground.
    let mut ground = req.clone();
    ground.service = "FEDEX_GROUND".into();
    assert_eq!(
        fields(&options::check_available(answer(), &ground).unwrap_err()),
        ["/options/saturday_delivery"]
    );
    ground.shipment.options.saturday_delivery = false;
    assert_eq!(
        fields(&options::check_available(answer(), &ground).unwrap_err()),
        ["/options/dry_ice"]
    );
    ground.shipment.options = serde_json::from_value(json!({"signature": "adult"})).unwrap();
    options::check_available(answer(), &ground).unwrap();

    // A service FedEx does not list offers nothing, returns included.
    let mut other = FX.typed::<ShipRequest>("ship/return_ground.input");
    other.service = "FEDEX_EXPRESS_SAVER".into();
    assert_eq!(
        fields(&options::check_available(answer(), &other).unwrap_err()),
        ["/is_return"]
    );
    let ret: ShipRequest = FX.typed("ship/return_ground.input");
    options::check_available(answer(), &ret).unwrap();

    // A declared value alone is no special service: no question asked, whatever the service.
    let mut valued: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    valued.shipment.options =
        serde_json::from_value(json!({"declared_value": {"amount": "500", "currency": "USD"}}))
            .unwrap();
    assert!(!options::needs_check(&valued));
    valued.service = "FEDEX_EXPRESS_SAVER".into();
    options::check_available(answer(), &valued).unwrap();
    valued.shipment.options.signature = Some(crate::model::SignatureConfirmation::Indirect);
    assert!(options::needs_check(&valued));
}

#[test]
fn address_resolved_with_a_zip4_and_changed_case_is_deliverable_with_corrections() {
    let input: crate::model::Address = FX.typed("address/us_corrected.input");
    let body = address::build(&input).unwrap();
    FX.assert_json("address/us_corrected.wire_request", &body);
    let check = address::parse(FX.typed("address/us_corrected.wire_response"), &input).unwrap();
    FX.assert_json("address/us_corrected.check", &check);

    // Sent as FedEx standardized it, nothing is corrected (a ZIP+4 only refines the ZIP).
    let mut exact = input.clone();
    exact.street = vec!["7372 PARKRIDGE BLVD".into(), "APT 286".into()];
    exact.city = "IRVING".into();
    let mut resp: Value = FX.load("address/us_corrected.wire_response");
    resp["output"]["resolvedAddresses"][0]["postalCodeToken"]["changed"] = json!(false);
    let check = address::parse(serde_json::from_value(resp).unwrap(), &exact).unwrap();
    assert_eq!(check.verdict, AddressVerdict::Deliverable);
    assert_eq!(
        check.address.unwrap().postal_code.as_deref(),
        Some("75063-8659")
    );
}

#[test]
fn address_with_several_matches_is_undeliverable_with_the_candidates() {
    let input: crate::model::Address = serde_json::from_value(json!({
        "name": "A", "street": ["100 Main St"], "city": "Springfield", "state": "IL",
        "postal_code": "62701", "country": "US"
    }))
    .unwrap();
    let check = address::parse(FX.typed("address/multiple_matches.wire_response"), &input).unwrap();
    assert_eq!(check.verdict, AddressVerdict::Undeliverable);
    assert!(check.address.is_none());
    let streets: Vec<&str> = check
        .candidates
        .iter()
        .map(|c| c.street[0].as_str())
        .collect();
    assert_eq!(streets, ["100 N MAIN ST", "100 S MAIN ST"]);
    assert_eq!(check.candidates[0].name, "A");
    let codes: Vec<&str> = check.reasons.iter().map(|r| r.code.as_str()).collect();
    assert!(codes.contains(&"MultipleMatches"), "{codes:?}");
    assert!(!codes.contains(&"Resolved"), "{codes:?}");

    // FedEx's live answers spell the flags as strings; they read the same.
    let mut live: Value = FX.load("address/multiple_matches.wire_response");
    for r in live["output"]["resolvedAddresses"].as_array_mut().unwrap() {
        for (_, v) in r["attributes"].as_object_mut().unwrap() {
            if let Some(b) = v.as_bool() {
                *v = json!(b.to_string());
            }
        }
    }
    let live = address::parse(serde_json::from_value(live).unwrap(), &input).unwrap();
    assert_eq!(live, check);

    let check = address::parse(
        FX.typed("address/country_not_supported.wire_response"),
        &input,
    )
    .unwrap();
    assert_eq!(check.verdict, AddressVerdict::Unknown);
    assert_eq!(check.classification, AddressClassification::Unknown);
}

#[test]
fn address_without_a_street_is_refused_before_sending() {
    let mut input: crate::model::Address = FX.typed("address/us_corrected.input");
    input.street = vec![" ".into()];
    assert_eq!(fields(&address::build(&input).unwrap_err()), ["/street"]);

    // Without a postal code (Hong Kong has none) the key is left out, not sent empty.
    let hk: crate::model::Address = serde_json::from_value(json!({
        "name": "A", "street": ["1 Queen's Road Central"], "city": "Hong Kong", "country": "HK"
    }))
    .unwrap();
    let v = body_of(&address::build(&hk).unwrap());
    assert!(
        v["addressesToValidate"][0]["address"]
            .get("postalCode")
            .is_none(),
        "{v}"
    );
}

fn pickup_request() -> PickupRequest {
    FX.typed("pickup/express.input")
}

#[test]
fn pickup_books_an_express_courier_and_cancels_it_with_its_location() {
    let req = pickup_request();
    let body = pickup::build(&req, &test_account()).unwrap();
    FX.assert_json("pickup/express.wire_request", &body);
    let v = body_of(&body);
    assert_eq!(v["carrierCode"], "FDXE");
    assert_eq!(
        v["originDetail"]["readyDateTimestamp"],
        "2025-03-14T09:30:00"
    );
    assert_eq!(v["originDetail"]["customerCloseTime"], "17:00:00");
    // 10 kg in LB (÷ 0.45359237), rounded up to 0.01.
    assert_eq!(v["totalWeight"], json!({"units": "LB", "value": 22.05}));
    assert_eq!(v["countryRelationships"], "INTERNATIONAL");

    // FedEx's own sample answer: confirmation 3001 at location COSA, with an alert.
    let Some(sample) = FX.sample("samples/pickup_response.json") else {
        return;
    };
    let c = pickup::parse(serde_json::from_value(sample).unwrap(), "FDXE").unwrap();
    assert_eq!(c.confirmation, "3001");
    assert_eq!(c.location.as_deref(), Some("FDXE:COSA"));
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("SHIP.RECIPIENT.POSTALCITY.MISMATCH")),
        "{:?}",
        c.warnings
    );
    let booked = PickupRef {
        confirmation: c.confirmation,
        location: c.location,
        date: req.date,
        address: req.address.clone(),
    };
    let cancel = pickup::build_cancel(&booked, &test_account()).unwrap();
    FX.assert_json("pickup_cancel/express.wire_request", &cancel);
    if let Some(s) = FX.sample("samples/cancel_pickup_response.json") {
        pickup::parse_cancel(serde_json::from_value(s).unwrap()).unwrap();
    }
}

#[test]
fn pickup_ground_only_books_fdxg_and_mixed_or_bad_input_is_refused_on_its_field() {
    let mut req = pickup_request();
    for s in &mut req.shipments {
        s.service = "FEDEX_GROUND".into();
        s.destination_country = "US".into();
    }
    let v = body_of(&pickup::build(&req, &test_account()).unwrap());
    assert_eq!(v["carrierCode"], "FDXG");
    assert_eq!(v["countryRelationships"], "DOMESTIC");
    let c = pickup::parse(
        serde_json::from_value(json!({"output": {"pickupConfirmationCode": "G42"}})).unwrap(),
        "FDXG",
    )
    .unwrap();
    assert_eq!(c.location.as_deref(), Some("FDXG"));
    let cancel = body_of(
        &pickup::build_cancel(
            &PickupRef {
                confirmation: "G42".into(),
                location: c.location,
                date: req.date,
                address: req.address.clone(),
            },
            &test_account(),
        )
        .unwrap(),
    );
    assert_eq!(cancel["carrierCode"], "FDXG");
    assert!(cancel.get("location").is_none());

    let mut mixed = pickup_request();
    mixed.shipments[1].service = "FEDEX_GROUND".into();
    assert_eq!(
        fields(&pickup::build(&mixed, &test_account()).unwrap_err()),
        ["/shipments"]
    );
    let mut long = pickup_request();
    long.instructions = Some("x".repeat(61));
    assert_eq!(
        fields(&pickup::build(&long, &test_account()).unwrap_err()),
        ["/instructions"]
    );
    let mut no_phone = pickup_request();
    no_phone.address.phone = None;
    assert_eq!(
        fields(&pickup::build(&no_phone, &test_account()).unwrap_err()),
        ["/address/phone"]
    );
    let mut shut = pickup_request();
    shut.close_time = shut.ready_time;
    assert_eq!(
        fields(&pickup::build(&shut, &test_account()).unwrap_err()),
        ["/close_time"]
    );
    let express_without_location = PickupRef {
        confirmation: "3001".into(),
        location: None,
        date: req.date,
        address: req.address,
    };
    assert_eq!(
        fields(&pickup::build_cancel(&express_without_location, &test_account()).unwrap_err()),
        ["/location"]
    );
}

#[test]
fn pickup_refusals_in_the_specs_examples_point_at_the_date_and_the_confirmation() {
    let Some(create) = spec_example("pickup-api.json", "/pickup/v1/pickups", "post", "400") else {
        return;
    };
    let e = error::classify(Op::Pickup, 400, None, &serde_json::to_vec(&create).unwrap());
    assert_eq!(fields(&e), ["/date"]);
    let cancel =
        spec_example("pickup-api.json", "/pickup/v1/pickups/cancel", "put", "400").unwrap();
    let e = error::classify(
        Op::CancelPickup,
        400,
        None,
        &serde_json::to_vec(&cancel).unwrap(),
    );
    assert_eq!(fields(&e), ["/confirmation"]);
    // A 5xx on create may have booked the courier.
    let e = error::classify(Op::Pickup, 500, None, b"");
    assert_transient(&e, true);
    let e = error::classify(Op::CancelPickup, 503, None, b"");
    assert_transient(&e, false);
}

#[tokio::test]
async fn fedex_verify_address_posts_to_resolve_and_not_found_is_a_verdict() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token("tok-address"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/address/v1/addresses/resolve"))
        .and(body_string_contains("7372 parkridge blvd"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("address/us_corrected.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-address"), Duration::from_secs(5)).await;
    let input: crate::model::Address = FX.typed("address/us_corrected.input");
    let check = fedex.verify_address(&input).await.unwrap();
    assert_eq!(check.verdict, AddressVerdict::DeliverableWithCorrections);
    assert_eq!(check.classification, AddressClassification::Commercial);

    // The spec's 400 example: STANDARDIZED.ADDRESS.NOTFOUND.
    let Some(not_found) = spec_example(
        "address-validation-api.json",
        "/address/v1/addresses/resolve",
        "post",
        "400",
    ) else {
        return;
    };
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token("tok-address-2"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/address/v1/addresses/resolve"))
        .respond_with(ResponseTemplate::new(400).set_body_json(not_found))
        .mount(&server)
        .await;
    let fedex = adapter(
        &server,
        account_json("key-address-2"),
        Duration::from_secs(5),
    )
    .await;
    let check = fedex.verify_address(&input).await.unwrap();
    assert_eq!(check.verdict, AddressVerdict::Undeliverable);
    assert_eq!(check.reasons[0].code, "STANDARDIZED.ADDRESS.NOTFOUND");
}

#[tokio::test]
async fn fedex_pickup_create_and_cancel_use_their_paths_and_faults_classify() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token("tok-pickup"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/pickup/v1/pickups"))
        .and(body_string_contains("\"carrierCode\":\"FDXE\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "transactionId": "t", "output": {"pickupConfirmationCode": "3001", "location": "COSA"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/pickup/v1/pickups/cancel"))
        .and(body_string_contains("\"location\":\"COSA\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "transactionId": "t", "output": {"pickupConfirmationCode": "3001",
            "cancelConfirmationMessage": "Requested pickup has been cancelled Successfully."}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-pickup"), Duration::from_secs(5)).await;
    let req = pickup_request();
    let c = fedex.schedule_pickup(&req).await.unwrap();
    fedex
        .cancel_pickup(&PickupRef {
            confirmation: c.confirmation,
            location: c.location,
            date: req.date,
            address: req.address.clone(),
        })
        .await
        .unwrap();

    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token("tok-pickup-2"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/pickup/v1/pickups"))
        .respond_with(fedex_error(500, "INTERNAL.SERVER.ERROR"))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/pickup/v1/pickups/cancel"))
        .respond_with(fedex_error(429, "TOO.MANY.REQUESTS").insert_header("retry-after", "7"))
        .mount(&server)
        .await;
    let fedex = adapter(
        &server,
        account_json("key-pickup-2"),
        Duration::from_secs(5),
    )
    .await;
    assert_transient(&fedex.schedule_pickup(&req).await.unwrap_err(), true);
    let e = fedex
        .cancel_pickup(&PickupRef {
            confirmation: "3001".into(),
            location: Some("FDXE:COSA".into()),
            date: req.date,
            address: req.address,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(e, CarrierError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(7)),
        "{e:?}"
    );
}

#[tokio::test]
async fn fedex_ship_with_an_option_the_service_lacks_is_refused_before_buying() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token("tok-options"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/availability/v1/specialserviceoptions"))
        .and(body_string_contains("\"serviceType\":\"FEDEX_GROUND\""))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(FX.load("availability/priority_overnight.wire_response")),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/ship/v1/shipments"))
        .and(body_string_contains("RETURN_SHIPMENT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("ship/multi_piece_zpl.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let fedex = adapter(&server, account_json("key-options"), Duration::from_secs(5)).await;
    let mut req: ShipRequest = FX.typed("ship/us_domestic_options.input");
    req.service = "FEDEX_GROUND".into();
    let e = fedex.ship(&req).await.unwrap_err();
    assert_eq!(fields(&e), ["/options/saturday_delivery"]);
    // A return on Ground is listed: checked, then bought.
    let mut ret: ShipRequest = FX.typed("ship/return_ground.input");
    ret.shipment.parcels = vec![ret.shipment.parcels[0].clone(); 2];
    let wb = fedex.ship(&ret).await.unwrap();
    assert_eq!(wb.pieces.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Conformance

/// A wiremock FedEx answering the fixtures: token, rate, ship, cancel, track, address
/// validation, special service options and pickups for the conformance checks in
/// `crate::conformance`.
pub(crate) async fn conformance_harness() -> crate::conformance::Harness {
    let server = MockServer::start().await;
    let answer = |verb: &'static str, at: &'static str, body: Value| {
        Mock::given(method(verb))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    answer(
        "POST",
        "/oauth/token",
        json!({"access_token": "tok-conformance", "token_type": "bearer", "expires_in": 3600, "scope": "CXS"}),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/rate/v1/rates/quotes",
        FX.load("rate/us_domestic_all_services.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/ship/v1/shipments",
        FX.load("ship/us_domestic_pdf.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "PUT",
        "/ship/v1/shipments/cancel",
        FX.load("void/cancelled.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/track/v1/trackingnumbers",
        FX.load("track/delivered_and_not_found.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/address/v1/addresses/resolve",
        FX.load("address/us_corrected.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/availability/v1/specialserviceoptions",
        FX.load("availability/priority_overnight.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/pickup/v1/pickups",
        FX.load("pickup/express.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "PUT",
        "/pickup/v1/pickups/cancel",
        FX.load("pickup_cancel/express.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "PUT",
        "/ship/v1/endofday/",
        FX.load("close/ground.wire_response"),
    )
    .mount(&server)
    .await;
    let http = CarrierHttp::new(
        reqwest::Client::new(),
        Some(server.uri().parse().expect("mock server URL")),
    );
    crate::conformance::Harness {
        account: account_json("conformance-key"),
        http,
        rate: FX.typed("rate/us_domestic_all_services.input"),
        ship: FX.typed("ship/us_domestic_pdf.input"),
        track: Vec::new(),
        _simulator: Some(server),
    }
}

/// The checks `crate::conformance` runs, run here too until the lead registers the carrier.
#[tokio::test]
async fn conformance_harness_serves_every_declared_capability() {
    let h = conformance_harness().await;
    let fedex = (ENTRY.build)(h.account.clone(), h.http.clone()).unwrap();
    let quotes = fedex.rate(&h.rate).await.unwrap();
    assert!(quotes.iter().all(|q| {
        CAPS.service(&q.service.code)
            .is_some_and(|s| s.class == q.service.class)
    }));
    let wb = fedex.ship(&h.ship).await.unwrap();
    assert_eq!(wb.pieces.len(), h.ship.shipment.parcels.len());
    assert!(
        CAPS.label_formats
            .contains(&wb.label.as_ref().unwrap().format)
    );
    let tracked = fedex.track(&wb.pieces).await.unwrap();
    assert_eq!(tracked[0].tracking_number, wb.tracking_number);
    let too_many = vec![wb.pieces[0].clone(); CAPS.track_batch_max + 1];
    assert!(matches!(
        fedex.track(&too_many).await,
        Err(CarrierError::Rejected { .. })
    ));
    fedex
        .void(&WaybillRef {
            tracking_number: wb.tracking_number.clone(),
            carrier_shipment_id: wb.carrier_shipment_id.clone(),
            pieces: wb.pieces.clone(),
        })
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Live

/// Rate, ship (two pieces, ZPL), track and void against a real FedEx host: the FedEx sandbox
/// with real credentials, or the simulator (`cargo run -p shiphub-e2e --bin carrier-sim`,
/// any credentials). `FEDEX_BASE_URL`, `FEDEX_API_KEY`, `FEDEX_SECRET_KEY`,
/// `FEDEX_ACCOUNT_NUMBER`; run with `--ignored`.
#[tokio::test]
#[ignore = "needs FEDEX_BASE_URL and credentials"]
async fn fedex_live_round_trip() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    let http = CarrierHttp::new(
        reqwest::Client::new(),
        Some(var("FEDEX_BASE_URL").parse().unwrap()),
    );
    let account = json!({"api_key": var("FEDEX_API_KEY"), "secret_key": var("FEDEX_SECRET_KEY"),
                         "account_number": var("FEDEX_ACCOUNT_NUMBER")});
    let fedex = (ENTRY.build)(account, http).unwrap();

    let quotes = fedex
        .rate(&FX.typed("rate/us_domestic_all_services.input"))
        .await
        .unwrap();
    assert!(!quotes.is_empty());
    let wb = fedex
        .ship(&FX.typed("ship/multi_piece_zpl.input"))
        .await
        .unwrap();
    assert_eq!(wb.pieces.len(), 2);
    assert!(wb.label.as_ref().unwrap().content.starts_with(b"^XA"));
    let tracked = fedex.track(&wb.pieces).await.unwrap();
    assert_eq!(tracked.len(), 2);
    let waybill = WaybillRef {
        tracking_number: wb.tracking_number.clone(),
        carrier_shipment_id: wb.carrier_shipment_id.clone(),
        pieces: wb.pieces.clone(),
    };
    fedex.void(&waybill).await.unwrap();
    eprintln!(
        "{} quotes; shipped {:?}; tracked {:?}",
        quotes.len(),
        wb.pieces,
        tracked.iter().map(|t| t.status).collect::<Vec<_>>()
    );
}
