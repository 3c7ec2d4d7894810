//! YunExpress adapter tests: golden fixtures for the pure `build`/`parse` pairs (`fixtures/`,
//! hand-written from the unofficial spec's schemas and examples and the answer shapes the
//! public integrations read, see `fixtures/SOURCES.md`), the status and error tables,
//! wiremock tests for the signed HTTP glue in `mod.rs`, and the conformance harness.
//!
//! Expected results are never generated: `BLESS=1` rewrites `*.wire_request.json` only, and
//! these were written by hand first.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::{header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::error::Op;
use super::*;
use crate::model::TrackingStatus;
use crate::testing::{Fixtures, assert_error_case, case_answer, fields, waybill_json};

pub(crate) const FX: Fixtures = Fixtures::new("yunexpress");

fn account_json() -> Value {
    json!({"app_id": "demo-app", "app_secret": "demo-secret", "source_key": "demo-source"})
}

fn test_account() -> Account {
    Account::from_json(&account_json()).unwrap()
}

fn number(s: &str) -> TrackingNumber {
    s.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Auth

#[test]
fn the_signature_of_a_cancel_matches_one_computed_outside_this_code() {
    // Computed with Python's hmac/hashlib/base64 over the documented content string.
    let content = auth::content(
        "1654060801140",
        "POST",
        "/v1/order/cancel",
        Some(r#"{"waybill_number":"YT2233621266010029"}"#),
    );
    assert_eq!(
        auth::sign("demo-secret", &content),
        "sQw3WVgANCYrijeaBx98LNIo0ut5TMmtZSRoAa7wozg="
    );
}

// ---------------------------------------------------------------------------------------------
// Rate

#[test]
fn rate_asks_the_price_trial_in_kg_and_cm_and_sums_each_products_fee_lines_in_cny() {
    let req: RateRequest = FX.typed("rate/sz_to_berlin.input");
    let query = rate::build(&req, &test_account()).unwrap();
    let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    FX.assert_json("rate/sz_to_berlin.wire_request", &pairs);

    let env: wire::Envelope<wire::PriceLines> = FX.typed("rate/sz_to_berlin.wire_response");
    let quotes = rate::parse(error::result(Op::Rate, env).unwrap(), &req).unwrap();
    FX.assert_json("rate/sz_to_berlin.quotes", &quotes);
}

#[test]
fn rate_sends_the_accounts_billing_origin_and_refuses_what_ship_could_not_buy() {
    let req: RateRequest = FX.typed("rate/sz_to_berlin.input");
    let mut a = account_json();
    a["origin"] = json!("YT-SZ");
    let q = rate::build(&req, &Account::from_json(&a).unwrap()).unwrap();
    assert_eq!(q.last().unwrap(), &("origin", "YT-SZ".to_string()));

    let mut two = req.clone();
    two.parcels.push(two.parcels[0].clone());
    assert_eq!(
        fields(&rate::build(&two, &test_account()).unwrap_err()),
        ["/parcels"]
    );
    let mut domestic = req.clone();
    domestic.to = domestic.from.clone();
    assert_eq!(
        fields(&rate::build(&domestic, &test_account()).unwrap_err()),
        ["/to/country"]
    );
}

#[test]
fn rate_lines_in_a_foreign_or_mixed_currency_are_protocol_and_rmb_is_cny() {
    let req: RateRequest = FX.typed("rate/sz_to_berlin.input");
    assert_eq!(rate::currency("RMB").unwrap().as_str(), "CNY");
    assert_eq!(rate::currency("usd").unwrap().as_str(), "USD");
    let mixed = serde_json::from_value(json!([
        {"product_code": "BKZXR", "fee_name": "E1", "calculate_amount": 10, "currency": "RMB"},
        {"product_code": "BKZXR", "fee_name": "E2", "calculate_amount": 2, "currency": "USD"}
    ]))
    .unwrap();
    assert!(matches!(
        rate::parse(mixed, &req),
        Err(CarrierError::Protocol { .. })
    ));
    let zero = serde_json::from_value(json!([
        {"product_code": "THPHR", "fee_name": "E1", "calculate_amount": 0, "currency": "RMB"}
    ]))
    .unwrap();
    assert!(rate::parse(zero, &req).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Ship

#[test]
fn ship_builds_the_order_with_its_bilingual_customs_declaration() {
    let req: ShipRequest = FX.typed("ship/sz_to_berlin_pdf.input");
    let body = ship::build(&req, "ORDER-CN-1001").unwrap();
    FX.assert_json("ship/sz_to_berlin_pdf.wire_request", &body);

    let env: wire::Envelope<wire::Created> = FX.typed("ship/sz_to_berlin_pdf.wire_response");
    let wb = ship::parse(error::result(Op::Ship, env).unwrap(), &req).unwrap();
    FX.assert_json("ship/sz_to_berlin_pdf.waybill", &waybill_json(&wb));
}

#[test]
fn ship_refuses_an_item_without_its_chinese_name_an_unknown_product_and_no_customs() {
    let req: ShipRequest = FX.typed("ship/sz_to_berlin_pdf.input");
    let mut r = req.clone();
    r.shipment.customs.as_mut().unwrap().items[1].local_description = None;
    assert_eq!(
        fields(&ship::build(&r, "X").unwrap_err()),
        ["/customs/items/1/local_description"]
    );
    let mut r = req.clone();
    r.shipment.customs.as_mut().unwrap().items[0].local_description = Some("  ".into());
    assert_eq!(
        fields(&ship::build(&r, "X").unwrap_err()),
        ["/customs/items/0/local_description"]
    );
    let mut r = req.clone();
    r.service = "P".into();
    assert_eq!(fields(&ship::build(&r, "X").unwrap_err()), ["/service"]);
    let mut r = req.clone();
    r.shipment.customs = None;
    assert_eq!(fields(&ship::build(&r, "X").unwrap_err()), ["/customs"]);
}

#[test]
fn ship_sends_the_declarations_own_currency_and_documents_as_sensitive_type_d() {
    let mut req: ShipRequest = FX.typed("ship/sz_to_berlin_pdf.input");
    let customs = req.shipment.customs.as_mut().unwrap();
    customs.content_type = crate::model::ContentType::Documents;
    customs.importer = Default::default();
    for item in &mut customs.items {
        item.unit_value =
            crate::model::Money::new(item.unit_value.amount(), "EUR".parse().unwrap());
    }
    let body = serde_json::to_value(ship::build(&req, "X").unwrap()).unwrap();
    assert_eq!(body["declaration_info"][0]["currency"], "EUR");
    assert_eq!(body["sensitive_type"], "D");
    assert!(body.get("customs_number").is_none());
}

#[test]
fn ship_answer_without_a_waybill_is_protocol_and_a_pending_last_mile_number_is_said() {
    let req: ShipRequest = FX.typed("ship/sz_to_berlin_pdf.input");
    let created: wire::Created = serde_json::from_value(json!({"tracking_number": "LE1"})).unwrap();
    assert!(matches!(
        ship::parse(created, &req),
        Err(CarrierError::Protocol { .. })
    ));
    let created: wire::Created = serde_json::from_value(
        json!({"waybill_number": "YT2233621266010029", "track_type": "W", "remote_area": "Y"}),
    )
    .unwrap();
    let wb = ship::parse(created, &req).unwrap();
    assert!(
        wb.warnings.iter().any(|w| w.contains("later")),
        "{:?}",
        wb.warnings
    );
    assert!(
        wb.warnings.iter().any(|w| w.contains("remote")),
        "{:?}",
        wb.warnings
    );
}

#[test]
fn label_answers_give_the_inline_pdf_or_its_url_and_anything_else_is_protocol() {
    let env: wire::Envelope<wire::Label> = FX.typed("ship/label_inline.wire_response");
    let ship::LabelSource::Inline(doc) =
        ship::label(error::result(Op::Label, env).unwrap()).unwrap()
    else {
        panic!("inline label expected")
    };
    assert!(doc.content.starts_with(b"%PDF-1.4"));
    let env: wire::Envelope<wire::Label> = FX.typed("ship/label_url.wire_response");
    assert_eq!(
        ship::label(error::result(Op::Label, env).unwrap()).unwrap(),
        ship::LabelSource::Url("https://label.yunexpress.cn/label.pdf".into())
    );
    for bad in [
        json!({"label_string": "%%%"}),
        json!({"label_type": "PNG", "url": "https://label.yunexpress.cn/l.png"}),
        json!({"label_string": "aGVsbG8="}),
        json!({}),
    ] {
        let l: wire::Label = serde_json::from_value(bad.clone()).unwrap();
        assert!(
            matches!(ship::label(l), Err(CarrierError::Protocol { .. })),
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Track

#[test]
fn track_delivered_parcel_oldest_first_in_utc_with_the_last_mile_number() {
    let n = number("YT2233621266010029");
    assert_eq!(track::query(&n), [("order_number", n.as_str().to_string())]);
    let env: wire::Envelope<wire::TrackItems> = FX.typed("track/delivered_berlin.wire_response");
    let r = track::parse(&error::result(Op::Track, env).unwrap(), &n).unwrap();
    FX.assert_json("track/delivered_berlin.results", &r);
}

#[test]
fn track_in_transit_takes_the_latest_scans_finer_status_and_n_is_not_found() {
    let n = number("YT2233621266010029");
    let items: wire::TrackItems = serde_json::from_value(json!([{"order_number": n.as_str(),
        "package_status": "T", "track_Info": {"waybill_number": n.as_str(), "track_events": [
            {"process_utc_time": "2024-06-03T06:00:00Z", "track_node_code": "CUSTOMS_HOLD"}]}}]))
    .unwrap();
    let r = track::parse(&items, &n).unwrap();
    assert_eq!(
        (r.status, r.carrier_code.as_str()),
        (TrackingStatus::Exception, "CUSTOMS_HOLD")
    );
    assert_eq!(r.events[0].sub_status.as_deref(), Some("CUSTOMS_HOLD"));
    let items: wire::TrackItems =
        serde_json::from_value(json!([{"order_number": n.as_str(), "package_status": "N"}]))
            .unwrap();
    assert!(track::parse(&items, &n).is_none());
    assert!(track::parse(&wire::TrackItems(vec![]), &n).is_none());
    // A cancelled order says so whatever its scans.
    let items: wire::TrackItems = serde_json::from_value(json!([{"order_number": n.as_str(),
        "package_status": "C", "track_Info": {"track_events": [
            {"process_time": "2024-06-03 14:00:00", "track_node_code": "ORDER_CREATION"}]}}]))
    .unwrap();
    let r = track::parse(&items, &n).unwrap();
    assert_eq!(
        (r.status, r.carrier_code.as_str()),
        (TrackingStatus::Cancelled, "C")
    );
    assert_eq!(
        r.events[0].occurred_at.to_string(),
        "2024-06-03 14:00:00.0 +08:00:00"
    );
}

#[test]
fn every_published_status_code_maps_and_unknown_node_codes_keep_their_code() {
    use TrackingStatus::*;
    let expect = |table: &'static [codes::Code], code: &str, s: TrackingStatus| {
        assert_eq!(
            codes::lookup(table, code).map(|c| c.status),
            Some(s),
            "{code}"
        );
    };
    for (code, s) in [
        ("N", Unknown),
        ("F", PreTransit),
        ("T", InTransit),
        ("D", Delivered),
        ("E", Exception),
        ("R", ReturnToSender),
        ("C", Cancelled),
    ] {
        expect(codes::PACKAGE_STATUS, code, s);
    }
    // The spec's `WaybillDetail.status` list.
    for (code, s) in [
        ("A", PreTransit),
        ("B", InTransit),
        ("C", InTransit),
        ("D", Delivered),
        ("E", Cancelled),
        ("Y", Exception),
    ] {
        expect(codes::ORDER_STATUS, code, s);
    }
    for (code, s) in [
        ("ORDER_CREATION", PreTransit),
        ("FIRST_MILE_ARRIVE", InTransit),
        ("MAIN_LINE_ARRIVE", InTransit),
        ("CUSTOMS_PROCESSING", InTransit),
        ("DELIVERY_ATTEMPT", AttemptFail),
        ("DELIVERED", Delivered),
        ("DELIVERY_FAILURE", Exception),
        ("PACKAGE_LOST", Exception),
        ("RETURNED_TO_SENDER", ReturnToSender),
    ] {
        expect(codes::TRACK_NODES, code, s);
    }
    assert!(codes::TRACK_NODES.iter().all(|c| c.status != Unknown));
    let n = number("YT2233621266010029");
    let items: wire::TrackItems = serde_json::from_value(json!([{"order_number": n.as_str(),
        "package_status": "T", "track_Info": {"track_events": [
            {"process_utc_time": "2024-06-03T06:00:00Z", "track_node_code": "NEW_NODE"}]}}]))
    .unwrap();
    let r = track::parse(&items, &n).unwrap();
    assert_eq!((r.status, r.carrier_code.as_str()), (InTransit, "T"));
    assert_eq!(
        (r.events[0].status, r.events[0].carrier_code.as_str()),
        (Unknown, "NEW_NODE")
    );
    let detail: wire::WaybillDetail = serde_json::from_value(json!({"status": "A"})).unwrap();
    assert_eq!(track::from_detail(&detail, &n).unwrap().status, PreTransit);
}

#[test]
fn one_number_per_track_call() {
    assert_eq!(
        fields(
            &track::check(&[number("YT2233621266010029"), number("YT2233621266010030")])
                .unwrap_err()
        ),
        ["/tracking_numbers"]
    );
}

// ---------------------------------------------------------------------------------------------
// Numbers

#[test]
fn yunexpress_waybills_are_yt_and_16_digits_and_yto_numbers_are_not_theirs() {
    assert_eq!(
        number::waybill("YT2233621266010029"),
        Some("YT2233621266010029")
    );
    assert_eq!(
        number::waybill("YT2621200705470145"),
        Some("YT2621200705470145")
    );
    // YTO Express: YT + 13 digits.
    assert_eq!(number::waybill("YT5555508965056"), None);
    assert_eq!(number::waybill("YT2426322ECO000024"), None);
    assert_eq!(number::waybill("YT22336212660100291"), None);
    let found = crate::detect::detect(crate::CARRIERS, &number("YT2233621266010029"));
    assert!(
        found.iter().any(|c| c.carrier.as_str() == "yunexpress"),
        "{found:?}"
    );
    let yto = crate::detect::detect(crate::CARRIERS, &number("YT5555508965056"));
    assert!(
        yto.iter().all(|c| c.carrier.as_str() != "yunexpress"),
        "{yto:?}"
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
            "track" => Op::Track,
            other => panic!("{name}: op {other}"),
        };
        let e = DIALECT
            .decode::<wire::Bare>(op, &case_answer(case))
            .unwrap_err();
        assert_error_case(name, &e, &case["expected"]);
    }
    assert!(cases.len() >= 6);
}

#[test]
fn a_200_refusal_in_the_envelope_is_a_rejection_placed_by_its_words() {
    let refused = |op, msg: &str| {
        let env: wire::Bare =
            serde_json::from_value(json!({"t": 1, "success": false, "code": "E100", "msg": msg}))
                .unwrap();
        error::done(op, env).unwrap_err()
    };
    assert_eq!(
        fields(&refused(
            Op::Ship,
            "申报中文品名不能为空 (name_local is required)"
        )),
        ["/customs/items"]
    );
    assert_eq!(
        fields(&refused(Op::Ship, "Receiver postal code is invalid")),
        ["/to/postal_code"]
    );
    assert_eq!(
        fields(&refused(Op::Ship, "customer_order_number already exists")),
        ["/reference"]
    );
    assert_eq!(
        fields(&refused(
            Op::Void,
            "The waybill has been received and cannot be cancelled"
        )),
        [""]
    );
    assert!(
        matches!(refused(Op::Rate, "Invalid token"), CarrierError::Auth { code: Some(c), .. } if c == "E100")
    );
    let CarrierError::Rejected { errors, .. } = refused(Op::Ship, "something else") else {
        panic!()
    };
    assert_eq!(errors[0].carrier_code.as_deref(), Some("E100"));
}

#[test]
fn malformed_bodies_are_protocol_never_a_panic() {
    let full = serde_json::to_vec(&FX.load("rate/sz_to_berlin.wire_response")).unwrap();
    crate::testing::assert_cuts_are_protocol(&full, |body| {
        DIALECT
            .decode::<wire::Envelope<wire::PriceLines>>(
                Op::Rate,
                &crate::testing::answer(200, body),
            )
            .unwrap_err()
    });
    for garbage in [&b"<html>502</html>"[..], b"null", b"[]", b"\xff\xfe"] {
        let _ = DIALECT.decode::<wire::Envelope<wire::Created>>(
            Op::Ship,
            &crate::testing::answer(200, garbage),
        );
        let _ = DIALECT.decode::<wire::Envelope<wire::Created>>(
            Op::Ship,
            &crate::testing::answer(400, garbage),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP glue (mod.rs) against wiremock

/// Matches a request whose `sign` is YunExpress's HMAC over its own date, method, path and
/// body, recomputed here with the account's secret.
struct Signed(&'static str);

impl wiremock::Match for Signed {
    fn matches(&self, r: &Request) -> bool {
        let h = |n: &str| {
            r.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (Some(date), Some(sign)) = (h("date"), h("sign")) else {
            return false;
        };
        let mut content = String::new();
        if !r.body.is_empty() {
            content.push_str("body=");
            content.push_str(std::str::from_utf8(&r.body).unwrap_or_default());
            content.push('&');
        }
        content.push_str(&format!(
            "date={date}&method={}&uri={}",
            r.method,
            r.url.path()
        ));
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.as_bytes()).unwrap();
        mac.update(content.as_bytes());
        sign == base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }
}

fn envelope(result: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"t": 1678415735, "success": true, "result": result}))
}

async fn token_mock(server: &MockServer, app: &str, token: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path("/openapi/oauth2/token"))
        .and(wiremock::matchers::body_json(
            json!({"grantType": "client_credentials",
            "appId": app, "appSecret": "demo-secret", "sourceKey": "demo-source"}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"accessToken": token, "expiresIn": 7200})),
        )
        .expect(times)
        .mount(server)
        .await;
}

/// An adapter on the mock server for application `app`: wiremock reuses servers between
/// tests and the token cache is keyed by host and application, so each test has its own.
fn adapter(server: &MockServer, app: &str) -> Box<dyn Carrier> {
    let http = CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap()));
    let mut a = account_json();
    a["app_id"] = json!(app);
    (ENTRY.build)(a, http).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn calls_carry_the_token_date_and_an_hmac_sign_and_ship_fetches_the_label() {
    let server = MockServer::start().await;
    token_mock(&server, "signed-app", "tok-1", 1).await;
    Mock::given(method("GET"))
        .and(path("/v1/price-trial/get"))
        .and(query_param("country_code", "DE"))
        .and(query_param("weight", "1.235"))
        .and(header("token", "tok-1"))
        .and(Signed("demo-secret"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("rate/sz_to_berlin.wire_response")),
        )
        // The quote, then the purchase's own price.
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/order/package/create"))
        .and(header("token", "tok-1"))
        .and(header_exists("date"))
        .and(Signed("demo-secret"))
        .and(wiremock::matchers::body_json(
            FX.load("ship/sz_to_berlin_pdf.wire_request"),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(FX.load("ship/sz_to_berlin_pdf.wire_response")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let label_url = format!("{}/files/label.pdf", server.uri());
    Mock::given(method("GET"))
        .and(path("/v1/order/label/get"))
        .and(query_param("order_number", "YT2233621266010029"))
        .and(Signed("demo-secret"))
        .respond_with(envelope(json!({"order_number": "YT2233621266010029", "url": label_url, "label_type": "PDF", "label_string": ""})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/label.pdf"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(&b"%PDF-1.4 label"[..]))
        .expect(1)
        .mount(&server)
        .await;
    let yun = adapter(&server, "signed-app");
    let quotes = yun
        .rate(&FX.typed("rate/sz_to_berlin.input"))
        .await
        .unwrap();
    assert_eq!(quotes.len(), 2);
    let wb = yun
        .ship(&FX.typed("ship/sz_to_berlin_pdf.input"))
        .await
        .unwrap();
    assert_eq!(wb.tracking_number.as_str(), "YT2233621266010029");
    assert_eq!(wb.label.unwrap().content, b"%PDF-1.4 label");
    assert_eq!(wb.total.unwrap().to_string(), "104.45 CNY");
    assert_eq!(wb.breakdown.len(), 2);
    server.verify().await;
}

#[tokio::test]
async fn a_refused_token_is_fetched_again_once_and_a_second_401_is_auth() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/openapi/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"accessToken": "stale", "expiresIn": 7200})),
        )
        // Void: a token, refused, a new one, refused again. Track: a token, refused, a new one.
        .expect(4)
        .mount(&server)
        .await;
    Mock::given(path("/v1/order/cancel"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"success": false, "code": "401", "msg": "token expired"})),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/v1/track-service/info/get"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"success": false, "msg": "token expired"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/track-service/info/get"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(FX.load("track/delivered_berlin.wire_response")),
        )
        .mount(&server)
        .await;
    let http = CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap()));
    let mut a = account_json();
    a["app_id"] = json!("refresh-app");
    let yun = (ENTRY.build)(a, http).unwrap();
    let e = yun
        .void(&WaybillRef {
            tracking_number: number("YT2233621266010029"),
            carrier_shipment_id: "YT2233621266010029".into(),
            pieces: vec![],
        })
        .await
        .unwrap_err();
    assert!(matches!(e, CarrierError::Auth { .. }), "{e:?}");
    let r = yun.track(&[number("YT2233621266010029")]).await.unwrap();
    assert_eq!(r[0].status, TrackingStatus::Delivered);
    server.verify().await;
}

#[tokio::test]
async fn an_unscanned_order_is_read_from_its_waybill_detail_and_a_stranger_is_unknown() {
    let server = MockServer::start().await;
    token_mock(&server, "detail-app", "tok-2", 1).await;
    Mock::given(path("/v1/track-service/info/get"))
        .and(query_param("order_number", "YT2233621266010033"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": false, "code": "40101", "msg": "Invalid token"})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/v1/track-service/info/get"))
        .respond_with(envelope(
            json!([{"order_number": "YT2233621266010031", "package_status": "N"}]),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/order/info/get"))
        .and(query_param("order_number", "YT2233621266010031"))
        .respond_with(envelope(
            json!({"waybill_number": "YT2233621266010031", "status": "A"}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/order/info/get"))
        .and(query_param("order_number", "YT2233621266010032"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": false, "code": "404", "msg": "order not found"})),
        )
        .mount(&server)
        .await;
    let yun = adapter(&server, "detail-app");
    let r = yun.track(&[number("YT2233621266010031")]).await.unwrap();
    assert_eq!(
        (r[0].status, r[0].carrier_code.as_str()),
        (TrackingStatus::PreTransit, "A")
    );
    let r = yun.track(&[number("YT2233621266010032")]).await.unwrap();
    assert_eq!(
        (r[0].status, r[0].carrier_code.as_str()),
        (TrackingStatus::Unknown, "N")
    );
    let e = yun
        .track(&[number("YT2233621266010033")])
        .await
        .unwrap_err();
    assert!(matches!(e, CarrierError::Auth { .. }), "{e:?}");
}

#[tokio::test]
async fn throttling_a_5xx_purchase_and_a_slow_answer_map_to_their_variants() {
    let server = MockServer::start().await;
    token_mock(&server, "throttle-app", "tok-3", 1).await;
    Mock::given(path("/v1/price-trial/get"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "3")
                .set_body_json(json!({"success": false, "msg": "Too many requests"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/price-trial/get"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(FX.load("rate/sz_to_berlin.wire_response")),
        )
        .mount(&server)
        .await;
    Mock::given(path("/v1/order/package/create"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .mount(&server)
        .await;
    Mock::given(path("/v1/track-service/info/get"))
        .respond_with(envelope(json!([])).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let mut http = CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap()));
    http.timeout = Duration::from_millis(500);
    let mut a = account_json();
    a["app_id"] = json!("throttle-app");
    let yun = (ENTRY.build)(a, http).unwrap();
    let limited = yun
        .rate(&FX.typed("rate/sz_to_berlin.input"))
        .await
        .unwrap_err();
    assert!(
        matches!(limited, CarrierError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3)),
        "{limited:?}"
    );
    let ship = yun
        .ship(&FX.typed("ship/sz_to_berlin_pdf.input"))
        .await
        .unwrap_err();
    crate::testing::assert_transient(&ship, true);
    let slow = yun
        .track(&[number("YT2233621266010029")])
        .await
        .unwrap_err();
    crate::testing::assert_transient(&slow, false);
}

#[test]
fn entry_needs_a_base_url_and_declares_the_parcel_verbs() {
    let Err(e) = (ENTRY.build)(account_json(), CarrierHttp::offline()) else {
        panic!("built without base URL")
    };
    assert_eq!(e.field, "/base_url");
    assert_eq!(CAPS.supports, Capability::PARCEL);
    assert_eq!(CAPS.track_batch_max, 1);
}

// ---------------------------------------------------------------------------------------------
// Conformance

/// A wiremock YunExpress answering the fixtures for `crate::conformance`.
pub(crate) async fn conformance_harness() -> crate::conformance::Harness {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/openapi/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"accessToken": "conformance", "expiresIn": 7200})),
        )
        .mount(&server)
        .await;
    let answer = |verb: &'static str, at: &'static str, body: Value| {
        Mock::given(method(verb))
            .and(path(at))
            .and(Signed("demo-secret"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    answer(
        "GET",
        "/v1/price-trial/get",
        FX.load("rate/sz_to_berlin.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/v1/order/package/create",
        FX.load("ship/sz_to_berlin_pdf.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "GET",
        "/v1/order/label/get",
        FX.load("ship/label_inline.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "GET",
        "/v1/track-service/info/get",
        FX.load("track/delivered_berlin.wire_response"),
    )
    .mount(&server)
    .await;
    answer(
        "POST",
        "/v1/order/cancel",
        json!({"t": 1726734728406u64, "success": true, "code": "00000000", "msg": "处理成功"}),
    )
    .mount(&server)
    .await;
    let http = CarrierHttp::new(
        reqwest::Client::new(),
        Some(server.uri().parse().expect("mock URL")),
    );
    let mut account = account_json();
    account["app_id"] = json!("conformance-app");
    crate::conformance::Harness {
        account,
        http,
        rate: FX.typed("rate/sz_to_berlin.input"),
        ship: FX.typed("ship/sz_to_berlin_pdf.input"),
        track: Vec::new(),
        _simulator: Some(server),
    }
}
