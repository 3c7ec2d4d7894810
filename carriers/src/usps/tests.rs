//! USPS adapter tests: golden fixtures for the pure `build`/`parse` pairs (`fixtures/`,
//! hand-written from the USPS v3 specs and their examples; the wire fixtures are validated
//! against USPS's schemas by `contracts/tests/usps.rs`), the published samples read by our wire
//! types, wiremock tests for the HTTP glue in `mod.rs` and `auth.rs` (both tokens), and the
//! conformance harness. Expected parse results are never generated.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::error::Op;
use super::*;
use crate::model::{Packaging, Quote, TrackingStatus, Weight, WeightUnit};
use crate::testing::{
    Fixtures, assert_error_case, assert_transient, case_answer, fields, waybill_json,
};
use crate::testing::{answer, assert_cuts_are_protocol};
use rust_decimal::Decimal;

const TODAY: time::Date = time::macros::date!(2025 - 03 - 14);

fn account_json() -> Value {
    json!({"client_id": "app-1", "client_secret": "app-secret", "crid": "12345678",
           "mid": "123456", "manifest_mid": "654321", "account_number": "1000000000"})
}

fn test_account() -> Account {
    Account::from_json(&account_json()).unwrap()
}

fn number(s: &str) -> TrackingNumber {
    s.parse().unwrap()
}

pub(crate) const FX: Fixtures = Fixtures::new("usps");

// ---------------------------------------------------------------------------------------------
// Rate

#[test]
fn rate_domestic_prices_every_class_in_one_call_in_pounds_and_inches() {
    let req: RateRequest = FX.typed("rate/us_domestic.input");
    let body = rate::build(&req, &test_account(), TODAY).unwrap();
    FX.assert_json("rate/us_domestic.wire_request", &body);

    let quotes = rate::parse(FX.typed("rate/us_domestic.wire_response"), &req).unwrap();
    // Single-piece Priority Mail (11.95), not the cheaper flat-rate box; no Media Mail.
    FX.assert_json("rate/us_domestic.quotes", &quotes);
}

fn quoted(quotes: &[Quote]) -> Vec<(String, String)> {
    quotes
        .iter()
        .map(|q| (q.service.code.clone(), q.total.to_string()))
        .collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// `rate/pme_55lb.*` (hand-written): one Shipping Options answer pricing each mail class
/// under several rate indicators, as USPS does. Shape and indicators from the USPS specs in
/// `../shared/carriers/usps/openapi/`: `shipping-options.yaml` `InternationalOptionsExample`
/// and the `domestic-labels.yaml` Priority Mail Express example (single piece is `PA`),
/// `international-prices.yaml` examples (one class under `PA`, `FP`, `FB`, `PL`, `SP`), and
/// the indicator list of `domestic-prices.yaml` (`E4`, `E6`, `FP`, `FE`, `FS`, `FB`, `PL`).
#[test]
fn rate_quotes_the_option_that_fits_the_parcel_never_a_flat_rate_envelope() {
    // A 55 lb box of the shipper's own: Priority Mail Express single piece is `PA` (457.30),
    // not the 32.25 flat-rate envelope, and it does not win "cheapest".
    let req: RateRequest = FX.typed("rate/pme_55lb.input");
    let quotes = rate::parse(FX.typed("rate/pme_55lb.wire_response"), &req).unwrap();
    assert_eq!(
        quoted(&quotes),
        owned(&[
            ("USPS_GROUND_ADVANTAGE", "96.10 USD"),
            ("PRIORITY_MAIL", "150.65 USD"),
            ("PRIORITY_MAIL_EXPRESS", "457.30 USD"),
        ])
    );
    let pme = quotes.last().unwrap();
    assert_eq!(
        pme.breakdown[0].description,
        "Priority Mail Express Nonstandard Single-piece"
    );

    // Flat-rate packaging is quoted only when the parcel names it, and then in every class
    // that sells it (Ground Advantage does not).
    let mut req: RateRequest = FX.typed("rate/pme_55lb.input");
    req.parcels[0].weight = Weight::new(Decimal::ONE, WeightUnit::Lb).unwrap();
    req.parcels[0].packaging = Some(Packaging::FlatRateEnvelope);
    let quotes = rate::parse(FX.typed("rate/pme_55lb.wire_response"), &req).unwrap();
    assert_eq!(
        quoted(&quotes),
        owned(&[
            ("PRIORITY_MAIL", "9.85 USD"),
            ("PRIORITY_MAIL_EXPRESS", "32.25 USD"),
        ])
    );
    req.parcels[0].packaging = Some(Packaging::FlatRateMediumBox);
    let quotes = rate::parse(FX.typed("rate/pme_55lb.wire_response"), &req).unwrap();
    assert_eq!(quoted(&quotes), owned(&[("PRIORITY_MAIL", "18.40 USD")]));
    // USPS sells no carrier envelope or pak.
    req.parcels[0].packaging = Some(Packaging::Pak);
    let e = rate::parse(FX.typed("rate/pme_55lb.wire_response"), &req).unwrap_err();
    assert_eq!(fields(&e), ["/parcels/0/packaging"]);
}

#[test]
fn rate_international_prefers_the_single_piece_filed_under_the_parcels_category() {
    // `international-prices.yaml` prices Priority Mail International single piece under both
    // `FLATS` and `MACHINABLE`; the machinable parcel of `rate/us_to_ca` is the latter.
    let req: RateRequest = FX.typed("rate/us_to_ca.input");
    let option = |price: f64, category: &str| {
        json!({"totalBasePrice": price, "rates": [{"price": price, "rateIndicator": "SP",
            "processingCategory": category, "description": format!("PMI {category}")}]})
    };
    let resp = json!({"pricingOptions": [{"shippingOptions": [
        {"mailClass": "PRIORITY_MAIL_INTERNATIONAL",
         "rateOptions": [option(40.10, "FLATS"), option(48.30, "MACHINABLE")]},
        {"mailClass": "PRIORITY_MAIL_EXPRESS_INTERNATIONAL",
         "rateOptions": [{"totalBasePrice": 65.64, "rates": [{"price": 65.64,
            "rateIndicator": "PA", "processingCategory": "FLATS"}]}]}]}]});
    let quotes = rate::parse(serde_json::from_value(resp).unwrap(), &req).unwrap();
    assert_eq!(
        quoted(&quotes),
        owned(&[
            ("PRIORITY_MAIL_INTERNATIONAL", "48.30 USD"),
            ("PRIORITY_MAIL_EXPRESS_INTERNATIONAL", "65.64 USD"),
        ])
    );
}

#[test]
fn rate_international_asks_all_classes_and_leaves_out_global_express_guaranteed() {
    let req: RateRequest = FX.typed("rate/us_to_ca.input");
    let body = rate::build(&req, &test_account(), TODAY).unwrap();
    FX.assert_json("rate/us_to_ca.wire_request", &body);
    let quotes = rate::parse(FX.typed("rate/us_to_ca.wire_response"), &req).unwrap();
    let codes: Vec<(&str, String)> = quotes
        .iter()
        .map(|q| (q.service.code.as_str(), q.total.to_string()))
        .collect();
    assert_eq!(
        codes,
        [
            (
                "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE",
                "17.60 USD".into()
            ),
            ("PRIORITY_MAIL_INTERNATIONAL", "48.30 USD".into()),
            ("PRIORITY_MAIL_EXPRESS_INTERNATIONAL", "65.64 USD".into()),
        ]
    );
}

#[test]
fn rate_contract_prices_send_the_payment_account() {
    let mut v = account_json();
    v["price_type"] = json!("CONTRACT");
    let a = Account::from_json(&v).unwrap();
    let body =
        serde_json::to_value(rate::build(&FX.typed("rate/us_domestic.input"), &a, TODAY).unwrap())
            .unwrap();
    assert_eq!(
        body["pricingOptions"],
        json!([{"priceType": "CONTRACT", "paymentAccount": {"accountType": "EPS", "accountNumber": "1000000000"}}])
    );
}

#[test]
fn rate_refuses_what_usps_cannot_price() {
    let a = test_account();
    let mut req: RateRequest = FX.typed("rate/us_domestic.input");
    req.parcels.push(req.parcels[0].clone());
    assert_eq!(
        fields(&rate::build(&req, &a, TODAY).unwrap_err()),
        ["/parcels"]
    );
    let mut req: RateRequest = FX.typed("rate/us_domestic.input");
    req.parcels[0].dimensions = None;
    assert_eq!(
        fields(&rate::build(&req, &a, TODAY).unwrap_err()),
        ["/parcels/0/dimensions"]
    );
    let mut req: RateRequest = FX.typed("rate/us_domestic.input");
    req.to.postal_code = Some("6310".into());
    assert_eq!(
        fields(&rate::build(&req, &a, TODAY).unwrap_err()),
        ["/to/postal_code"]
    );
    let mut req: RateRequest = FX.typed("rate/us_to_ca.input");
    std::mem::swap(&mut req.from, &mut req.to);
    assert_eq!(
        fields(&rate::build(&req, &a, TODAY).unwrap_err()),
        ["/from/country"]
    );
}

#[test]
fn rate_option_without_any_total_is_protocol() {
    let req: RateRequest = FX.typed("rate/us_domestic.input");
    let resp = serde_json::from_value(json!({"pricingOptions": [{"shippingOptions": [
        {"mailClass": "PRIORITY_MAIL", "rateOptions": [{"rates": [{"price": 1, "rateIndicator": "SP"}]}]}]}]}))
    .unwrap();
    assert!(matches!(
        rate::parse(resp, &req),
        Err(CarrierError::Protocol { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Ship

#[test]
fn ship_domestic_pdf_label_with_reference_and_no_receipt() {
    let req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    let body = ship::build(&req, TODAY).unwrap();
    FX.assert_json("ship/us_domestic_pdf.wire_request", &body);
    let wb = ship::parse(FX.typed("ship/us_domestic_pdf.wire_response"), &req).unwrap();
    FX.assert_json("ship/us_domestic_pdf.waybill", &waybill_json(&wb));
    assert!(wb.label.unwrap().content.starts_with(b"%PDF-1.4"));
}

#[test]
fn ship_international_zpl_with_customs_form_under_the_aes_exemption() {
    let req: ShipRequest = FX.typed("ship/us_to_ca_zpl.input");
    let body = ship::build(&req, TODAY).unwrap();
    FX.assert_json("ship/us_to_ca_zpl.wire_request", &body);
    let wb = ship::parse(FX.typed("ship/us_to_ca_zpl.wire_response"), &req).unwrap();
    FX.assert_json("ship/us_to_ca_zpl.waybill", &waybill_json(&wb));
}

#[test]
fn ship_refuses_before_sending_what_usps_would_refuse() {
    let mut req: ShipRequest = FX.typed("ship/us_to_ca_zpl.input");
    req.shipment.customs.as_mut().unwrap().items[0].quantity = 200; // 3,000 USD
    assert_eq!(fields(&ship::build(&req, TODAY).unwrap_err()), ["/customs"]);
    let mut req: ShipRequest = FX.typed("ship/us_to_ca_zpl.input");
    req.service = "PRIORITY_MAIL".into();
    assert_eq!(fields(&ship::build(&req, TODAY).unwrap_err()), ["/service"]);
    let mut req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    req.service = "GLOBAL_EXPRESS_GUARANTEED".into();
    assert_eq!(fields(&ship::build(&req, TODAY).unwrap_err()), ["/service"]);
    let mut req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    req.shipment.to.state = None;
    assert_eq!(
        fields(&ship::build(&req, TODAY).unwrap_err()),
        ["/to/state"]
    );
    let mut req: ShipRequest = FX.typed("ship/us_to_ca_zpl.input");
    req.shipment.customs = None;
    assert_eq!(fields(&ship::build(&req, TODAY).unwrap_err()), ["/customs"]);
}

#[test]
fn ship_heavy_or_long_parcels_are_nonstandard_and_png_is_asked_domestically() {
    let mut req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    req.shipment.parcels[0].weight =
        crate::model::Weight::new("26".parse().unwrap(), crate::model::WeightUnit::Lb).unwrap();
    req.label_format = LabelFormat::Png;
    let body = serde_json::to_value(ship::build(&req, TODAY).unwrap()).unwrap();
    assert_eq!(
        body["packageDescription"]["processingCategory"],
        "NONSTANDARD"
    );
    assert_eq!(body["imageInfo"]["imageType"], "PNG");
}

#[test]
fn ship_sends_the_rate_indicator_and_processing_category_that_were_quoted() {
    // The parcel `rate/pme_55lb` quoted at 457.30 under `PA`, NONSTANDARD.
    let mut req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    let quoted: RateRequest = FX.typed("rate/pme_55lb.input");
    req.shipment.parcels = quoted.parcels.clone();
    req.service = "PRIORITY_MAIL_EXPRESS".into();
    let package = |req: &ShipRequest| {
        let body = serde_json::to_value(ship::build(req, TODAY).unwrap()).unwrap();
        (
            body["packageDescription"]["rateIndicator"].clone(),
            body["packageDescription"]["processingCategory"].clone(),
        )
    };
    assert_eq!(package(&req), (json!("PA"), json!("NONSTANDARD")));
    req.service = "PRIORITY_MAIL".into();
    assert_eq!(package(&req), (json!("SP"), json!("NONSTANDARD")));
    // Named flat-rate packaging is bought under its own indicator.
    req.shipment.parcels[0].weight = Weight::new(Decimal::ONE, WeightUnit::Lb).unwrap();
    req.shipment.parcels[0].packaging = Some(Packaging::FlatRateMediumBox);
    assert_eq!(package(&req), (json!("FB"), json!("NONSTANDARD")));
    req.shipment.parcels[0].packaging = Some(Packaging::FlatRateEnvelope);
    assert_eq!(package(&req), (json!("FE"), json!("FLATS")));
    req.service = "PRIORITY_MAIL_EXPRESS".into();
    assert_eq!(package(&req), (json!("E4"), json!("FLATS")));
    // A packaging the class does not sell is refused on the field, before any call.
    req.service = "USPS_GROUND_ADVANTAGE".into();
    let e = ship::build(&req, TODAY).unwrap_err();
    assert_eq!(fields(&e), ["/parcels/0/packaging"]);
    req.shipment.parcels[0].packaging = Some(Packaging::Envelope);
    req.service = "PRIORITY_MAIL".into();
    let e = ship::build(&req, TODAY).unwrap_err();
    assert_eq!(fields(&e), ["/parcels/0/packaging"]);
}

#[test]
fn ship_answer_with_a_bad_check_digit_or_broken_label_is_protocol() {
    let req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    let mut resp = FX.load("ship/us_domestic_pdf.wire_response");
    resp["trackingNumber"] = json!("9400111899223855201012");
    assert!(matches!(
        ship::parse(serde_json::from_value(resp).unwrap(), &req),
        Err(CarrierError::Protocol { .. })
    ));
    let mut resp = FX.load("ship/us_domestic_pdf.wire_response");
    resp["labelImage"] = json!("%%%");
    assert!(matches!(
        ship::parse(serde_json::from_value(resp).unwrap(), &req),
        Err(CarrierError::Protocol { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Track and void

#[test]
fn track_delivered_oldest_first_at_the_scan_offsets() {
    let n = number("9400111899223855201011");
    let (_, p) = track::request(std::slice::from_ref(&n)).unwrap();
    assert_eq!(p, "tracking/v3/tracking/9400111899223855201011");
    let r = track::parse(&FX.typed("track/delivered.wire_response"), &n).unwrap();
    FX.assert_json("track/delivered.results", &r);
}

#[test]
fn track_refuses_batches_and_numbers_that_fail_their_check_digit() {
    assert_eq!(
        fields(&track::request(&[number("9400111899223855201012")]).unwrap_err()),
        ["/tracking_numbers/0"]
    );
    let n = number("9400111899223855201011");
    assert_eq!(
        fields(&track::request(&[n.clone(), n]).unwrap_err()),
        ["/tracking_numbers"]
    );
}

#[test]
fn void_canceled_and_refund_requested_are_both_accepted() {
    assert_eq!(
        void::parse(FX.typed("void/canceled.wire_response")).unwrap(),
        None
    );
    assert_eq!(
        void::parse(FX.typed("void/disputed.wire_response")).unwrap(),
        Some("103789".into())
    );
    let wb = |n: &str| WaybillRef {
        tracking_number: number(n),
        carrier_shipment_id: n.into(),
        pieces: vec![],
    };
    assert_eq!(
        void::path(&wb("9400111899223855201011")).unwrap(),
        "labels/v3/label/9400111899223855201011"
    );
    assert_eq!(
        void::path(&wb("LZ123456785US")).unwrap(),
        "international-labels/v3/international-label/LZ123456785US"
    );
    assert_eq!(
        fields(&void::path(&wb("1Z999AA10123456784")).unwrap_err()),
        ["/tracking_number"]
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

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
        let e = DIALECT.decode::<wire::OptionsResponse>(op, &a).unwrap_err();
        assert_error_case(name, &e, &case["expected"]);
    }
    assert!(cases.len() >= 7);
}

#[test]
fn malformed_or_truncated_bodies_are_protocol_never_a_panic() {
    let full = serde_json::to_vec(&FX.load("rate/us_domestic.wire_response")).unwrap();
    assert_cuts_are_protocol(&full, |body| {
        DIALECT
            .decode::<wire::OptionsResponse>(Op::Rate, &answer(200, body))
            .unwrap_err()
    });
    for garbage in [&b"<html>502</html>"[..], b"null", b"[]", b"\xff\xfe"] {
        let _ = DIALECT.decode::<wire::LabelResponse>(Op::Ship, &answer(200, garbage));
        let _ = DIALECT.decode::<wire::LabelResponse>(Op::Ship, &answer(400, garbage));
    }
}

// ---------------------------------------------------------------------------------------------
// Published samples read with our wire types

#[test]
fn published_rate_and_tracking_samples_read() {
    if let Some(s) = FX.sample("samples/domestic/rate_response.json") {
        let req: RateRequest = FX.typed("rate/us_domestic.input");
        let quotes = rate::parse(serde_json::from_value(s).unwrap(), &req).unwrap();
        // The sample prices Library Mail only, which is never offered in a rate-shop; its
        // shape (commitment, rates, extra services) reads without error.
        assert!(quotes.is_empty(), "{quotes:?}");
    }
    if let Some(s) = FX.sample("samples/domestic/tracking_responses.json") {
        let resp: wire::TrackingDetails = serde_json::from_value(s[0].clone()).unwrap();
        let r = track::parse(&resp, &number("9400111899223855201011")).unwrap();
        assert_eq!(r.status, TrackingStatus::Delivered);
        assert_eq!(r.events.len(), 12);
        assert_eq!(r.events[0].carrier_code, "GX");
        assert_eq!(r.events[0].status, TrackingStatus::PreTransit);
        assert!(r.events.is_sorted_by_key(|e| e.occurred_at));
    }
    if let Some(s) = FX.sample("samples/domestic/error_response.json") {
        let e = error::classify(Op::Rate, 400, None, &serde_json::to_vec(&s).unwrap());
        assert!(matches!(e, CarrierError::Rejected { .. }), "{e:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP glue (mod.rs, auth.rs) against wiremock

async fn adapter(server: &MockServer, account: Value, timeout: Duration) -> Box<dyn Carrier> {
    let mut http = CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap()));
    http.timeout = timeout;
    (ENTRY.build)(account, http).unwrap_or_else(|e| panic!("{e}"))
}

/// A fresh client id per test: the token cache is process-wide.
fn account_for(test: &str) -> Value {
    let mut v = account_json();
    v["client_id"] = json!(format!("app-{test}"));
    v
}

async fn mount_tokens(server: &MockServer, client: &str, bearer: &str, payments: u64) {
    Mock::given(method("POST"))
        .and(path("/oauth2/v3/token"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({"client_id": client, "client_secret": "app-secret", "grant_type": "client_credentials"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": bearer, "token_type": "Bearer", "expires_in": "28799", "status": "approved"}),
        ))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/payments/v3/payment-authorization"))
        .and(header("authorization", format!("Bearer {bearer}").as_str()))
        .and(body_partial_json(json!({"roles": [
            {"roleName": "PAYER", "CRID": "12345678", "MID": "123456", "manifestMID": "654321", "accountType": "EPS", "accountNumber": "1000000000"},
            {"roleName": "LABEL_OWNER", "CRID": "12345678", "MID": "123456", "manifestMID": "654321"}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"paymentAuthorizationToken": "pay-token-1", "roles": []}),
        ))
        .expect(payments)
        .mount(server)
        .await;
}

#[tokio::test]
async fn usps_rate_ship_void_track_use_cached_bearer_and_payment_tokens() {
    let server = MockServer::start().await;
    mount_tokens(&server, "app-flow", "bearer-1", 1).await;
    Mock::given(method("POST"))
        .and(path("/shipments/v3/options/search"))
        .and(header("authorization", "Bearer bearer-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("rate/us_domestic.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/labels/v3/label"))
        .and(header("authorization", "Bearer bearer-1"))
        .and(header("x-payment-authorization-token", "pay-token-1"))
        .and(header("accept", "application/vnd.usps.labels+json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("ship/us_domestic_pdf.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/labels/v3/label/9400111899223855201011"))
        .and(header("x-payment-authorization-token", "pay-token-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("void/disputed.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/tracking/v3/tracking/9400111899223855201011"))
        .and(query_param("expand", "DETAIL"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("track/delivered.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let usps = adapter(&server, account_for("flow"), Duration::from_secs(5)).await;

    let quotes = usps
        .rate(&FX.typed("rate/us_domestic.input"))
        .await
        .unwrap();
    let wb = usps
        .ship(&FX.typed("ship/us_domestic_pdf.input"))
        .await
        .unwrap();
    // The label was manifested: USPS takes a refund request, not a void.
    let outcome = usps
        .void_outcome(&WaybillRef {
            tracking_number: wb.tracking_number.clone(),
            carrier_shipment_id: wb.carrier_shipment_id.clone(),
            pieces: wb.pieces.clone(),
        })
        .await
        .unwrap();
    assert!(
        matches!(&outcome, crate::VoidOutcome::Requested { detail } if detail.contains("dispute")),
        "{outcome:?}"
    );
    let tracked = usps.track(&wb.pieces).await.unwrap();

    assert_eq!(quotes.len(), 3); // Parcel Select priced as NONSTANDARD does not fit this parcel
    assert_eq!(tracked[0].status, TrackingStatus::Delivered);
    server.verify().await;
}

#[tokio::test]
async fn usps_401_refreshes_both_tokens_once_then_is_auth() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v3/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "b", "expires_in": "3600"})),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/tracking/v3/tracking/9400111899223855201011"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": "401", "message": "Unauthorized"}})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let usps = adapter(&server, account_for("401"), Duration::from_secs(5)).await;
    let e = usps
        .track(&[number("9400111899223855201011")])
        .await
        .unwrap_err();
    assert!(matches!(e, CarrierError::Auth { .. }), "{e:?}");
    server.verify().await;
}

#[tokio::test]
async fn usps_429_5xx_slow_not_found_and_malformed_map_to_their_variants() {
    let server = MockServer::start().await;
    mount_tokens(&server, "app-faults", "bearer-f", 1).await;
    Mock::given(path("/shipments/v3/options/search"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_json(json!({"error": {"code": "429", "message": "Too Many Requests"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/shipments/v3/options/search"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"pricingOptions": [{"ship"#))
        .mount(&server)
        .await;
    Mock::given(path("/labels/v3/label"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"error": {"code": "503", "message": "Service Unavailable"}})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/tracking/v3/tracking/9400111899223855201011"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    Mock::given(path("/tracking/v3/tracking/9205590006662202169556"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {"code": "400", "message": "Bad Request", "errors": [{"code": "150002", "detail": "7: The tracking number may be incorrect or the status update is not yet available."}]}})))
        .mount(&server)
        .await;
    let usps = adapter(&server, account_for("faults"), Duration::from_millis(500)).await;
    let req: RateRequest = FX.typed("rate/us_domestic.input");

    let limited = usps.rate(&req).await.unwrap_err();
    let malformed = usps.rate(&req).await.unwrap_err();
    let ship = usps
        .ship(&FX.typed("ship/us_domestic_pdf.input"))
        .await
        .unwrap_err();
    let slow = usps
        .track(&[number("9400111899223855201011")])
        .await
        .unwrap_err();
    let unknown = usps
        .track(&[number("9205590006662202169556")])
        .await
        .unwrap();

    assert!(
        matches!(limited, CarrierError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(30)),
        "{limited:?}"
    );
    assert!(
        matches!(malformed, CarrierError::Protocol { .. }),
        "{malformed:?}"
    );
    assert_transient(&ship, true);
    assert_transient(&slow, false);
    assert_eq!(
        (unknown[0].status, unknown[0].carrier_code.as_str()),
        (TrackingStatus::Unknown, "NOT_FOUND")
    );
}

#[test]
fn entry_needs_a_base_url_and_declares_the_hourly_quota() {
    let Err(e) = (ENTRY.build)(account_json(), CarrierHttp::offline()) else {
        panic!("built without base URL")
    };
    assert_eq!(e.field, "/base_url");
    let http = CarrierHttp::new(
        reqwest::Client::new(),
        Some("https://apis-tem.usps.com".parse().unwrap()),
    );
    let usps = (ENTRY.build)(account_json(), http).unwrap();
    let q = usps.quota();
    assert_eq!(q, crate::carrier::RequestQuota::per_hour(56, 4));
    assert!(q.replenish_interval() >= Duration::from_secs(60));
    assert_eq!(usps.capabilities().track_batch_max, 1);
}

// ---------------------------------------------------------------------------------------------
// A shipper's working day: options, returns, address validation, pickups, SCAN forms

fn ship_with(options: Value) -> ShipRequest {
    let mut v = FX.load("ship/us_domestic_pdf.input");
    v["options"] = options;
    serde_json::from_value(v).unwrap()
}

#[test]
fn rate_sends_the_options_as_extra_services_and_quotes_only_classes_that_priced_them() {
    let mut v = FX.load("rate/us_domestic.input");
    v["options"] = json!({"signature": "direct", "dry_ice": {"value": "1", "unit": "kg"},
        "declared_value": {"amount": "250.50", "currency": "USD"}});
    let req: RateRequest = serde_json::from_value(v).unwrap();
    let body = rate::build(&req, &test_account(), TODAY).unwrap();
    FX.assert_json("rate/us_domestic_options.wire_request", &body);

    // Priority Mail priced 921, 930 (as 931? no: 250.50 stays 930) and 819; Ground Advantage
    // did not price the dry ice: it is not quoted.
    let priced = |class: &str, base: f64, total: f64, extras: Value| {
        json!({"mailClass": class, "rateOptions": [{"totalBasePrice": base, "totalPrice": total,
            "rates": [{"price": base, "rateIndicator": "SP", "processingCategory": "MACHINABLE",
                       "description": format!("{class} Machinable Single-piece")}],
            "extraServices": extras}]})
    };
    let resp = json!({"pricingOptions": [{"shippingOptions": [
        priced("PRIORITY_MAIL", 11.95, 22.10, json!([
            {"name": "Signature Confirmation", "price": 3.85, "extraService": "921", "SKU": "DXSX0EXXXCX0000"},
            {"name": "Insurance <= $500", "price": 6.30, "extraService": "930", "SKU": "DXIX0XXXXCX0300"},
            {"name": "HAZMAT Class 9 - Dry Ice Package", "price": 0, "extraService": "819"}])),
        priced("USPS_GROUND_ADVANTAGE", 7.40, 17.55, json!([
            {"name": "Signature Confirmation", "price": 3.85, "extraService": "921"},
            {"name": "Insurance <= $500", "price": 6.30, "extraService": "930"}]))]}]});
    let quotes = rate::parse(serde_json::from_value(resp.clone()).unwrap(), &req).unwrap();
    assert_eq!(quoted(&quotes), owned(&[("PRIORITY_MAIL", "22.10 USD")]));
    let surcharges: Vec<(Option<&str>, String)> = quotes[0]
        .breakdown
        .iter()
        .filter(|c| c.kind == crate::model::ChargeKind::Surcharge)
        .map(|c| (c.code.as_deref(), c.amount.to_string()))
        .collect();
    assert_eq!(
        surcharges,
        [
            (Some("921"), "3.85 USD".to_string()),
            (Some("930"), "6.30 USD".to_string())
        ]
    );

    // No class priced them all: refused on the option, not an empty rate-shop.
    let mut v = FX.load("rate/us_domestic.input");
    v["options"] = json!({"dry_ice": {"value": "1", "unit": "kg"}});
    let req: RateRequest = serde_json::from_value(v).unwrap();
    let resp = json!({"pricingOptions": [{"shippingOptions": [
        priced("USPS_GROUND_ADVANTAGE", 7.40, 7.40, json!([]))]}]});
    let e = rate::parse(serde_json::from_value(resp).unwrap(), &req).unwrap_err();
    assert_eq!(fields(&e), ["/options/dry_ice"]);
}

/// `shipping-options.yaml` lists "921 - Signature Confirmation" and "981 - Signature Requested
/// (PRIORITY_MAIL_EXPRESS only)": a rate-shop with a direct signature asks both, and quotes
/// Priority Mail Express on its 981 and the other classes on their 921.
#[test]
fn a_direct_signature_rate_shop_quotes_priority_mail_express_on_its_own_code() {
    if let Some(spec) = FX.shared("openapi/shipping-options.yaml") {
        let spec = std::fs::read_to_string(spec).unwrap();
        assert!(spec.contains("* 921 - Signature Confirmation"));
        assert!(spec.contains("* 981 - Signature Requested (PRIORITY_MAIL_EXPRESS only)"));
    }
    let mut v = FX.load("rate/us_domestic.input");
    v["options"] = json!({"signature": "direct"});
    let req: RateRequest = serde_json::from_value(v).unwrap();
    let body = serde_json::to_value(rate::build(&req, &test_account(), TODAY).unwrap()).unwrap();
    assert_eq!(
        body["packageDescription"]["extraServices"],
        json!([921, 981])
    );

    let priced = |class: &str, indicator: &str, base: f64, total: f64, extras: Value| {
        json!({"mailClass": class, "rateOptions": [{"totalBasePrice": base, "totalPrice": total,
            "rates": [{"price": base, "rateIndicator": indicator, "processingCategory": "MACHINABLE",
                       "description": format!("{class} Machinable Single-piece")}],
            "extraServices": extras}]})
    };
    let sig =
        |code: &str, price: f64| json!({"name": "Signature", "price": price, "extraService": code});
    let resp = json!({"pricingOptions": [{"shippingOptions": [
        // Express priced its own 981, and (should USPS do so) 921 too: 921 is not on its
        // label, so not in its price.
        priced("PRIORITY_MAIL_EXPRESS", "PA", 30.00, 35.15, json!([sig("981", 0.0), sig("921", 5.15)])),
        priced("PRIORITY_MAIL", "SP", 11.95, 15.80, json!([sig("921", 3.85)])),
        priced("USPS_GROUND_ADVANTAGE", "SP", 7.40, 11.25, json!([sig("921", 3.85)]))]}]});
    let quotes = rate::parse(serde_json::from_value(resp).unwrap(), &req).unwrap();
    assert_eq!(
        quoted(&quotes),
        owned(&[
            ("USPS_GROUND_ADVANTAGE", "11.25 USD"),
            ("PRIORITY_MAIL", "15.80 USD"),
            ("PRIORITY_MAIL_EXPRESS", "30.00 USD"),
        ])
    );
    let express = quotes
        .iter()
        .find(|q| q.service.code == "PRIORITY_MAIL_EXPRESS")
        .unwrap();
    assert!(
        express
            .breakdown
            .iter()
            .all(|c| c.code.as_deref() != Some("921")),
        "{:?}",
        express.breakdown
    );

    // Express with 921 priced but not 981: its label could not carry the signature.
    let resp = json!({"pricingOptions": [{"shippingOptions": [
        priced("PRIORITY_MAIL_EXPRESS", "PA", 30.00, 35.15, json!([sig("921", 5.15)])),
        priced("PRIORITY_MAIL", "SP", 11.95, 15.80, json!([sig("921", 3.85)]))]}]});
    let quotes = rate::parse(serde_json::from_value(resp).unwrap(), &req).unwrap();
    assert_eq!(quoted(&quotes), owned(&[("PRIORITY_MAIL", "15.80 USD")]));

    // The label carries the class's own code.
    let mut express = ship_with(json!({"signature": "direct"}));
    express.service = "PRIORITY_MAIL_EXPRESS".into();
    let body = serde_json::to_value(ship::build(&express, TODAY).unwrap()).unwrap();
    assert_eq!(body["packageDescription"]["extraServices"], json!([981]));
}

#[test]
fn ship_puts_the_options_on_the_label_with_the_package_value_and_signature_field() {
    let req = ship_with(json!({"signature": "adult", "delivery_confirmation": true,
        "declared_value": {"amount": "600.00", "currency": "USD"}}));
    let body = ship::build(&req, TODAY).unwrap();
    FX.assert_json("ship/us_domestic_options.wire_request", &body);
    // Cells alone fly on Priority Mail: refused on the option before buying.
    let req = ship_with(json!({"lithium_batteries": {"material": "ion", "packing": "alone"}}));
    assert_eq!(
        fields(&ship::build(&req, TODAY).unwrap_err()),
        ["/options/lithium_batteries"]
    );
}

#[test]
fn international_labels_take_insurance_but_no_signature() {
    let mut v = FX.load("ship/us_to_ca_zpl.input");
    v["options"] = json!({"declared_value": {"amount": "600.00", "currency": "USD"}});
    let req: ShipRequest = serde_json::from_value(v.clone()).unwrap();
    let body = serde_json::to_value(ship::build(&req, TODAY).unwrap()).unwrap();
    let p = &body["packageDescription"];
    assert_eq!(p["extraServices"], json!([930]));
    assert_eq!(p["packageOptions"], json!({"packageValue": 600}));
    assert!(p.get("physicalSignatureRequired").is_none(), "{p}");
    v["options"] = json!({"signature": "adult"});
    let req: ShipRequest = serde_json::from_value(v).unwrap();
    assert_eq!(
        fields(&ship::build(&req, TODAY).unwrap_err()),
        ["/options/signature"]
    );
}

#[test]
fn return_label_goes_to_the_return_api_in_the_return_service_and_says_pay_on_use() {
    let mut req: ShipRequest = FX.typed("ship/us_domestic_pdf.input");
    req.is_return = true;
    std::mem::swap(&mut req.shipment.from, &mut req.shipment.to);
    assert_eq!(ship::path(&req), "labels/v3/return-label");
    let body = ship::build(&req, TODAY).unwrap();
    FX.assert_json("ship/return_priority.wire_request", &body);
    let wb = ship::parse_return(FX.typed("ship/return_priority.wire_response"), &req).unwrap();
    assert_eq!(wb.tracking_number.as_str(), "9400111899223855201011");
    assert_eq!(wb.total.unwrap().to_string(), "11.95 USD");
    assert!(wb.label.unwrap().content.starts_with(b"%PDF-"));
    assert!(
        wb.warnings.iter().any(|w| w.contains("pay on use")),
        "{:?}",
        wb.warnings
    );

    // Only three classes have a return service; no international returns.
    req.service = "PARCEL_SELECT".into();
    assert_eq!(fields(&ship::build(&req, TODAY).unwrap_err()), ["/service"]);
    let mut req: ShipRequest = FX.typed("ship/us_to_ca_zpl.input");
    req.is_return = true;
    std::mem::swap(&mut req.shipment.from, &mut req.shipment.to);
    assert_eq!(
        fields(&ship::build(&req, TODAY).unwrap_err()),
        ["/from/country"]
    );
}

fn st_louis() -> Address {
    serde_json::from_value(json!({"name": "Nick Fury", "company": "Fury Consulting",
        "street": ["2700 S Jefferson Ave", "STE 150"], "city": "St. Louis", "state": "MO",
        "postal_code": "63104", "country": "US", "phone": "(314) 555-0199"}))
    .unwrap()
}

#[test]
fn verify_address_standardizes_classifies_and_keeps_usps_codes() {
    let input = st_louis();
    let q = verify::query(&input).unwrap().unwrap();
    // The query parameters, as a JSON object so the contract test can check each against
    // `addresses.yaml`'s parameter schemas.
    let params: serde_json::Map<String, Value> = q
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    FX.assert_json("verify/st_louis.wire_request", &params);
    let check = verify::parse(FX.typed("verify/st_louis.wire_response"), &input);
    // USPS spelled the street and city out its way: a correction.
    assert_eq!(
        check.verdict,
        crate::model::AddressVerdict::DeliverableWithCorrections
    );
    assert_eq!(
        check.classification,
        crate::model::AddressClassification::Commercial
    );
    let a = check.address.unwrap();
    assert_eq!(a.street, ["2700 S JEFFERSON AVE", "STE 150"]);
    assert_eq!(
        (a.city.as_str(), a.postal_code.as_deref()),
        ("SAINT LOUIS", Some("63104-2351"))
    );
    assert_eq!(
        (a.name.as_str(), a.company.as_deref(), a.phone.as_deref()),
        ("Nick Fury", Some("Fury Consulting"), Some("(314) 555-0199"))
    );
    assert!(!a.residential);
    let codes: Vec<&str> = check.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["DPVConfirmation=Y", "31", "business=Y"]);

    // As USPS writes it, the same answer is deliverable as given.
    let mut given = input.clone();
    given.street = vec!["2700 S JEFFERSON AVE".into(), "STE 150".into()];
    given.city = "Saint Louis".into();
    let check = verify::parse(FX.typed("verify/st_louis.wire_response"), &given);
    assert_eq!(check.verdict, crate::model::AddressVerdict::Deliverable);

    // DPV `D` with correction 32: a unit is missing.
    let check = verify::parse(FX.typed("verify/default_address_32.wire_response"), &input);
    assert_eq!(check.verdict, crate::model::AddressVerdict::Undeliverable);
    assert_eq!(
        check.classification,
        crate::model::AddressClassification::Residential
    );
    assert!(
        check
            .reasons
            .iter()
            .any(|r| r.code == "32" && r.message.contains("apartment"))
    );

    // Outside USPS's ZIP Codes: no call, unknown.
    let mut abroad = input.clone();
    abroad.country = "CA".parse().unwrap();
    assert!(verify::query(&abroad).unwrap().is_none());
    assert_eq!(
        verify::not_covered().verdict,
        crate::model::AddressVerdict::Unknown
    );
}

fn pickup_request() -> crate::model::PickupRequest {
    let from = FX.load("rate/us_domestic.input")["from"].clone();
    serde_json::from_value(json!({
        "address": from, "date": "2025-03-15", "ready_time": "09:00:00.0", "close_time": "17:00:00.0",
        "parcel_count": 4, "total_weight": {"value": "4", "unit": "kg"},
        "shipments": [
            {"tracking_number": "9400111899223855201011", "service": "PRIORITY_MAIL", "destination_country": "US", "parcels": 1},
            {"tracking_number": "9205590006662202169556", "service": "PRIORITY_MAIL", "destination_country": "US", "parcels": 1},
            {"tracking_number": "9400111899223855201028", "service": "USPS_GROUND_ADVANTAGE", "destination_country": "US", "parcels": 1}],
        "instructions": "Loading dock behind the building"}))
    .unwrap()
}

#[test]
fn pickup_schedules_per_package_type_with_an_email_contact() {
    let req = pickup_request();
    let body = pickup::build(&req).unwrap();
    FX.assert_json("pickup/schedule.wire_request", &body);
    let c = pickup::parse(FX.typed("pickup/schedule.wire_response"), &req).unwrap();
    assert_eq!(c.confirmation, "WTC123456789");
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings); // no time window; same day
    let mut moved: Value = FX.load("pickup/schedule.wire_response");
    moved["pickupDate"] = json!("2025-03-17");
    let c = pickup::parse(serde_json::from_value(moved).unwrap(), &req).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("2025-03-17")),
        "{:?}",
        c.warnings
    );

    let mut req = pickup_request();
    req.address.email = None;
    assert_eq!(
        fields(&pickup::build(&req).unwrap_err()),
        ["/address/email"]
    );
    let mut req = pickup_request();
    req.address.name = "Sam".into();
    assert_eq!(fields(&pickup::build(&req).unwrap_err()), ["/address/name"]);
    assert_eq!(
        fields(&pickup::path("../labels").unwrap_err()),
        ["/confirmation"]
    );
}

fn close_request() -> crate::model::ManifestRequest {
    let from = FX.load("rate/us_domestic.input")["from"].clone();
    serde_json::from_value(json!({"ship_date": "2025-03-14", "from": from,
        "shipments": [{"tracking_number": "9400111899223855201011",
                       "carrier_shipment_id": "9400111899223855201011", "pieces": []}]}))
    .unwrap()
}

#[test]
fn manifest_asks_a_scan_form_for_the_labels_and_reads_the_published_multipart_answer() {
    let body = manifest::build(&close_request()).unwrap();
    FX.assert_json("manifest/scan_form.wire_request", &body);

    // The published SCAN form answer (multipart: metadata JSON, then the form as base64 PDF).
    if let Some(p) = FX.shared("api-examples/SCANForm-LabelShipment-response.json") {
        let raw = std::fs::read(p).unwrap();
        let m = manifest::parse_multipart(
            "multipart/form-data; boundary=9oxGwpVpWyl-C7mImcElxzrQ",
            &raw,
            &body,
        )
        .unwrap();
        assert_eq!(m.carrier_manifest_id, "XXXXXXXXXXXXXXXXXXXXXXXXXX");
        let doc = m.document.unwrap();
        assert_eq!(doc.format, LabelFormat::Pdf);
        assert!(doc.content.starts_with(b"%PDF-1.4"));
        assert!(doc.content.ends_with(b"%%EOF\n") || doc.content.ends_with(b"%%EOF"));
        // The sample's placeholder number is not ours: a warning, not a silent success.
        assert!(
            m.warnings
                .iter()
                .any(|w| w.contains("9400111899223855201011"))
        );
    }
    let e = manifest::build(
        &serde_json::from_value(json!({"ship_date": "2025-03-14",
        "from": FX.load("rate/us_domestic.input")["from"], "shipments": []}))
        .unwrap(),
    )
    .unwrap_err();
    assert_eq!(fields(&e), ["/shipments"]);
}

#[tokio::test]
async fn usps_verify_pickup_and_scan_form_over_http() {
    let server = MockServer::start().await;
    mount_tokens(&server, "app-day", "bearer-d", 0).await;
    Mock::given(method("GET"))
        .and(path("/addresses/v3/address"))
        .and(query_param("streetAddress", "2700 S Jefferson Ave"))
        .and(query_param("state", "MO"))
        .and(header("authorization", "Bearer bearer-d"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("verify/st_louis.wire_response")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/addresses/v3/address"))
        .and(query_param("streetAddress", "1 Nowhere Rd"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(FX.load("verify/address_not_found.wire_response")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/pickup/v3/carrier-pickup"))
        .and(body_partial_json(
            json!({"pickupDate": "2025-03-15", "estimatedWeight": 8.82}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "\"etag-1\"")
                .set_body_json(FX.load("pickup/schedule.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/pickup/v3/carrier-pickup/WTC123456789"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "\"etag-2\"")
                .set_body_json(json!([FX.load("pickup/schedule.wire_response")])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/pickup/v3/carrier-pickup/WTC123456789"))
        .and(header("if-match", "\"etag-2\""))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
    Mock::given(method("POST"))
        .and(path("/scan-forms/v3/scan-form"))
        .and(header("accept", "application/vnd.usps.labels+json"))
        .and(body_partial_json(json!({"shipment": {"trackingNumbers": ["9400111899223855201011"]}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "imageInfo": {"imageType": "PDF", "labelType": "8.5X11LABEL"},
            "mailingDate": "2025-03-14", "entryFacilityZIPCode": "20024",
            "destinationEntryFacilityType": "NONE",
            "shipment": {"trackingNumbers": ["9400111899223855201011"]},
            "manifestNumber": "9475038234567000031430",
            "trackingNumbers": ["9400111899223855201011"],
            "SCANFormImage": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pdf)})))
        .expect(1)
        .mount(&server)
        .await;
    let usps = adapter(&server, account_for("day"), Duration::from_secs(5)).await;

    let check = usps.verify_address(&st_louis()).await.unwrap();
    assert_eq!(
        check.verdict,
        crate::model::AddressVerdict::DeliverableWithCorrections
    );
    let mut nowhere = st_louis();
    nowhere.street = vec!["1 Nowhere Rd".into()];
    let check = usps.verify_address(&nowhere).await.unwrap();
    assert_eq!(check.verdict, crate::model::AddressVerdict::Undeliverable);
    assert_eq!(
        check.reasons[0].message,
        "There is no match for the address requested."
    );

    let booked = usps.schedule_pickup(&pickup_request()).await.unwrap();
    assert_eq!(booked.confirmation, "WTC123456789");
    usps.cancel_pickup(&crate::model::PickupRef {
        confirmation: booked.confirmation,
        location: None,
        date: time::macros::date!(2025 - 03 - 15),
        address: pickup_request().address,
    })
    .await
    .unwrap();

    let m = usps.manifest(&close_request()).await.unwrap();
    assert_eq!(m.carrier_manifest_id, "9475038234567000031430");
    assert_eq!(m.document.unwrap().content, pdf);
    assert_eq!(m.tracking_numbers, [number("9400111899223855201011")]);
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    server.verify().await;
}

#[tokio::test]
async fn usps_pickup_and_scan_form_faults_say_retry_fix_or_maybe_done() {
    let server = MockServer::start().await;
    mount_tokens(&server, "app-dayfaults", "bearer-x", 0).await;
    Mock::given(path("/pickup/v3/carrier-pickup"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"apiVersion": "v3",
            "error": {"code": "400", "message": "Bad Request", "errors": [{"status": "400",
            "code": "020016", "title": "BAD_REQUEST", "detail": "Pickup date is in the past."}]}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/pickup/v3/carrier-pickup"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"error": {"code": "503", "message": "Service Unavailable"}})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/scan-forms/v3/scan-form"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "12")
                .set_body_json(json!({"error": {"code": "429", "message": "Too Many Requests"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/scan-forms/v3/scan-form"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {"code": "400",
            "message": "Bad Request", "errors": [{"code": "160037", "source": {"parameter":
            "mailingDate,entryFacilityZIPCode,destinationEntryFacilityType,shipment"},
            "detail": "The SCAN Form could not be created because no labels met the given criteria"}]}})))
        .mount(&server)
        .await;
    Mock::given(path("/addresses/v3/address"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"code": "500", "message": "Internal"}})),
        )
        .mount(&server)
        .await;
    let usps = adapter(&server, account_for("dayfaults"), Duration::from_secs(5)).await;

    let past = usps.schedule_pickup(&pickup_request()).await.unwrap_err();
    assert_eq!(fields(&past), ["/date"]);
    let down = usps.schedule_pickup(&pickup_request()).await.unwrap_err();
    assert_transient(&down, true); // a booking may have been made
    let limited = usps.manifest(&close_request()).await.unwrap_err();
    assert!(
        matches!(limited, CarrierError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(12)),
        "{limited:?}"
    );
    let none = usps.manifest(&close_request()).await.unwrap_err();
    assert_eq!(fields(&none), ["/shipments"]);
    let verify = usps.verify_address(&st_louis()).await.unwrap_err();
    assert_transient(&verify, false);
}

// ---------------------------------------------------------------------------------------------
// Conformance

/// A wiremock USPS answering the fixtures for `crate::conformance`.
pub(crate) async fn conformance_harness() -> crate::conformance::Harness {
    let server = MockServer::start().await;
    let answer = |verb: &'static str, at: &'static str, body: Value| {
        Mock::given(method(verb))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    answer(
        "POST",
        "/oauth2/v3/token",
        json!({"access_token": "conf", "expires_in": "3600"}),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/payments/v3/payment-authorization",
        json!({"paymentAuthorizationToken": "conf-pay"}),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/shipments/v3/options/search",
        FX.load("rate/us_domestic.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/labels/v3/label",
        FX.load("ship/us_domestic_pdf.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "DELETE",
        "/labels/v3/label/9400111899223855201011",
        FX.load("void/canceled.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "GET",
        "/tracking/v3/tracking/9400111899223855201011",
        FX.load("track/delivered.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "GET",
        "/addresses/v3/address",
        FX.load("verify/st_louis.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/labels/v3/return-label",
        FX.load("ship/return_priority.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/pickup/v3/carrier-pickup",
        FX.load("pickup/schedule.wire_response"),
    )
    .mount(&server)
    .await;
    Mock::given(method("GET"))
        .and(path("/pickup/v3/carrier-pickup/WTC123456789"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "\"conf-etag\"")
                .set_body_json(json!([FX.load("pickup/schedule.wire_response")])),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/pickup/v3/carrier-pickup/WTC123456789"))
        .and(header("if-match", "\"conf-etag\""))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    answer(
        "POST",
        "/scan-forms/v3/scan-form",
        json!({"manifestNumber": "9475038234567000031430",
               "trackingNumbers": ["9400111899223855201011"],
               "SCANFormImage": "JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK"}),
    )
    .mount(&server)
    .await;
    let mut account = account_json();
    account["client_id"] = json!("app-conformance");
    crate::conformance::Harness {
        account,
        http: CarrierHttp::new(
            reqwest::Client::new(),
            Some(server.uri().parse().expect("mock URL")),
        ),
        rate: FX.typed("rate/us_domestic.input"),
        ship: FX.typed("ship/us_domestic_pdf.input"),
        track: Vec::new(),
        _simulator: Some(server),
    }
}
