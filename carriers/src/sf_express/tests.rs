//! SF Express tests: requests compared field by field with SF's SDK samples
//! (`../shared/carriers/sf_express/samples/`), answers parsed from hand-written fixtures
//! (`fixtures/SOURCES.md`), the HTTP glue against a wiremock std/service, and the
//! conformance harness.

use std::time::Duration;

use rust_decimal_macros::dec;
use serde_json::{Value, json};
use time::macros::datetime;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::model::{ShipRequest, TrackingStatus};
use crate::testing::Fixtures;

const FX: Fixtures = Fixtures::new("sf_express");

fn account_json() -> Value {
    json!({"partner_id": "SHIPHUB_TEST", "checkword": "fc34c561a34f", "monthly_card": "7551234567"})
}

fn account() -> Account {
    Account::from_json(&account_json()).unwrap()
}

fn input(name: &str) -> ShipRequest {
    FX.typed(&format!("ship/{name}.input"))
}

fn tn(s: &str) -> TrackingNumber {
    s.parse().unwrap()
}

/// Every field of `sample` but those in `skip` is in `ours` with the same value.
fn assert_fields(sample: &Value, ours: &Value, skip: &[&str], at: &str) {
    let Value::Object(fields) = sample else {
        panic!("{at}: sample is not an object")
    };
    for (k, v) in fields {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let same = match (ours.get(k), v) {
            // 1.0 in the sample is 1 from us: the same JSON number.
            (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (o, v) => o == Some(v),
        };
        assert!(same, "{at}/{k}: ours {:?}, sample {v}", ours.get(k));
    }
}

// ---------------------------------------------------------------------------------------------
// Contract: the SDK samples

#[test]
fn order_is_sample_01_field_by_field() {
    let Some(sample) = FX.sample("samples/request-01.order.json") else {
        return;
    };
    let req = input("shiyan_to_xiangyang");
    let ours =
        serde_json::to_value(ship::build_order(&req, &account(), 1, "QIAO-20200728-001")).unwrap();
    // `totalWeight`: the sample sends 6 for a 6.6 kg cargo line; we send the parcels' sum.
    assert_fields(
        &sample,
        &ours,
        &["contactInfoList", "cargoDetails", "totalWeight"],
        "",
    );
    assert_eq!(ours["totalWeight"], json!(6.6));
    for i in 0..2 {
        let (s, o) = (&sample["contactInfoList"][i], &ours["contactInfoList"][i]);
        assert_fields(s, o, &[], &format!("/contactInfoList/{i}"));
    }
    // The sample's cargo `amount` (declared value) and `volume` are not in our request.
    assert_fields(
        &sample["cargoDetails"][0],
        &ours["cargoDetails"][0],
        &["amount", "volume"],
        "/cargoDetails/0",
    );
    assert_eq!(ours["parcelQty"], 1);
}

#[test]
fn a_remark_goes_in_the_orders_remark_and_the_reference_only_without_one() {
    let mut req = input("shiyan_to_xiangyang");
    req.reference = Some("QIAO-20200728-001".into());
    let ours = serde_json::to_value(ship::build_order(&req, &account(), 1, "X")).unwrap();
    assert_eq!(ours["remark"], "QIAO-20200728-001");
    req.shipment.options.remark = Some("易碎品，轻拿轻放".into());
    let ours = serde_json::to_value(ship::build_order(&req, &account(), 1, "X")).unwrap();
    // `remark` (备注) of EXP_RECE_CREATE_ORDER: a top-level string of the order.
    assert_eq!(ours["remark"], "易碎品，轻拿轻放");
    assert!(super::CAPS.options.contains(&ShipmentOption::Remark));
    // Too long for the e-waybill's remark line: refused on its field.
    req.shipment.options.remark = Some("备".repeat(101));
    assert_eq!(
        req.shipment.validate().unwrap_err().field,
        "/options/remark"
    );
}

#[test]
fn multi_piece_orders_ask_for_one_number_per_parcel() {
    let req = input("shiyan_to_xiangyang_two_pieces");
    let ours = serde_json::to_value(ship::build_order(&req, &account(), 2, "X")).unwrap();
    assert_eq!(ours["parcelQty"], 2);
    assert_eq!(ours["expressTypeId"], 2);
    assert_eq!(ours["totalWeight"], json!(7.1));
    assert_eq!(ours["cargoDetails"][1]["weight"], json!(0.5));
}

#[test]
fn filter_has_sample_04_shape() {
    let Some(sample) = FX.sample("samples/request-04.order.filter.json") else {
        return;
    };
    let req = input("shiyan_to_xiangyang");
    let ours = serde_json::to_value(ship::build_filter(&req, "QIAO-20200605-003")).unwrap();
    assert!(ours.is_array() && sample.is_array());
    assert_fields(&sample[0], &ours[0], &["contactInfos"], "/0");
    for i in 0..2 {
        let (s, o) = (&sample[0]["contactInfos"][i], &ours[0]["contactInfos"][i]);
        let mut keys: Vec<_> = s.as_object().unwrap().keys().collect();
        let mut mine: Vec<_> = o.as_object().unwrap().keys().collect();
        keys.sort();
        mine.sort();
        assert_eq!(keys, mine, "contactInfos/{i} keys");
        assert_eq!(o["contactType"], s["contactType"]);
        assert_eq!(o["country"], s["country"]);
    }
    assert_eq!(ours[0]["contactInfos"][1]["county"], "襄城区");
    assert_eq!(ours[0]["contactInfos"][1]["tel"], "18963828829");
}

#[test]
fn cancel_routes_sub_numbers_and_fee_are_the_samples() {
    let cases: Vec<(&str, Value)> = vec![
        (
            "samples/request-03.order.confirm.json",
            serde_json::to_value(wire::UpdateOrder {
                deal_type: 2,
                order_id: "QIAO-20200605-0031".into(),
            })
            .unwrap(),
        ),
        (
            "samples/request-05.route_query_by_MailNo.json",
            serde_json::to_value(track::build(&[tn("SF7444407228423")])).unwrap(),
        ),
        (
            "samples/request-07.sub.mailno.json",
            serde_json::to_value(wire::SubMailno {
                order_id: "QIAO-20200605-003".into(),
                parcel_qty: 2,
            })
            .unwrap(),
        ),
    ];
    for (file, ours) in cases {
        let Some(sample) = FX.sample(file) else {
            return;
        };
        assert_eq!(ours, sample, "{file}");
    }
    // request-09 queries by order id (`trackingType` 1); we query by waybill number (2).
    let Some(sample) = FX.sample("samples/request-09.waybills_fee.json") else {
        return;
    };
    let ours = serde_json::to_value(billed::build(&tn("SF7444400043266"))).unwrap();
    assert_eq!(sample["trackingType"], "1");
    assert_eq!(ours["trackingType"], "2");
    assert_eq!(ours["trackingNum"], "SF7444400043266");
    assert_eq!(
        ours.as_object().unwrap().len(),
        sample.as_object().unwrap().len()
    );
}

#[test]
fn order_ids_are_stable_and_change_with_the_shipment() {
    let req = input("shiyan_to_xiangyang");
    let day = time::macros::date!(2020 - 07 - 28);
    let a = ship::order_id(&req, day);
    assert_eq!(a, ship::order_id(&req.clone(), day));
    assert!(a.starts_with("SH") && a.len() == 32, "{a}");
    let mut other = req.clone();
    other.reference = Some("PO-2".into());
    assert_ne!(a, ship::order_id(&other, day));
    // The request's own ship date wins over today.
    assert_eq!(a, ship::order_id(&req, time::macros::date!(2031 - 01 - 01)));
    let mut undated = req.clone();
    undated.shipment.ship_date = None;
    assert_ne!(
        ship::order_id(&undated, day),
        ship::order_id(&undated, time::macros::date!(2020 - 07 - 29))
    );
}

#[test]
fn an_address_without_province_or_phone_and_an_unknown_product_are_refused() {
    let mut req = input("shiyan_to_xiangyang");
    req.service = "99".into();
    assert_eq!(
        crate::testing::fields(&ship::check(&req).unwrap_err()),
        ["/service"]
    );
    let mut req = input("shiyan_to_xiangyang");
    req.shipment.to.phone = None;
    assert_eq!(
        crate::testing::fields(&ship::check(&req).unwrap_err()),
        ["/to/phone"]
    );
    let mut req = input("shiyan_to_xiangyang");
    req.shipment.from.state = None;
    assert_eq!(
        crate::testing::fields(&ship::check(&req).unwrap_err()),
        ["/from/state"]
    );
}

#[test]
fn price_query_has_the_documented_shape() {
    // The request example of SF's EXP_RECE_QUERY_DELIVERTM page (SOURCES.md), less
    // `businessType` (left out so SF answers every product) and plus `monthlyCard`.
    let doc = json!({"businessType": "2", "consignedTime": "2020-09-30 17:01:48",
        "destAddress": {"address": "北京街道西湖路38号首层102号东南铺江博士", "city": "广州市",
            "district": "越秀区", "province": "广东省"},
        "searchPrice": "1",
        "srcAddress": {"address": "琶洲街道琶洲蟠龙新街2号保利广场购物中心3层3036号江博士专卖铺",
            "city": "广州市", "district": "海珠区", "province": "广东省"},
        "weight": 1});
    let req = input("shiyan_to_xiangyang_two_pieces").shipment;
    let ours = serde_json::to_value(rate::build(&req, &account()).unwrap()).unwrap();
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let mut want = keys(&doc);
    want.retain(|k| k != "businessType");
    want.push("monthlyCard".into());
    want.sort();
    assert_eq!(keys(&ours), want);
    assert_eq!(keys(&ours["srcAddress"]), keys(&doc["srcAddress"]));
    assert_eq!(ours["searchPrice"], "1");
    assert_eq!(ours["weight"], json!(7.1));
    assert_eq!(ours["consignedTime"], "2020-07-28 09:00:00");
    assert_eq!(ours["destAddress"]["province"], "湖北省");
    assert_eq!(ours["destAddress"]["district"], "襄城区");
    assert_eq!(ours["monthlyCard"], "7551234567");
    let mut abroad = req.clone();
    abroad.to.country = "DE".parse().unwrap();
    // The query's addresses have no country: no SF quote across a border, and why.
    match rate::build(&abroad, &account()).unwrap_err() {
        CarrierError::Unsupported {
            capability: Capability::Rate,
            reason: Some(why),
            ..
        } => assert!(
            why.contains("mainland China") && why.contains("table_rate"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-border

#[test]
fn a_cross_border_order_declares_each_item_and_the_order_value() {
    let req = input("shenzhen_to_berlin");
    let express = ship::check(&req).unwrap();
    assert_eq!(express, 100);
    let ours = serde_json::to_value(ship::build_order(&req, &account(), express, "SH1")).unwrap();
    assert_eq!(ours["expressTypeId"], 100);
    assert_eq!(ours["contactInfoList"][0]["country"], "CN");
    assert_eq!(ours["contactInfoList"][1]["country"], "DE");
    // No province abroad: SF's field is sent empty.
    assert_eq!(ours["contactInfoList"][1]["province"], "");
    // 2 × 12.50 + 8.25 USD, and DDU: the receiver pays duties (taxPayMethod 2).
    assert_eq!(
        ours["customsInfo"],
        json!({"declaredValue": 33.25, "declaredValueCurrency": "USD", "taxPayMethod": 2})
    );
    assert_eq!(
        ours["cargoDetails"],
        json!([
            {"name": "Cotton T-shirt", "count": 2, "unit": "件", "weight": 0.3, "amount": 12.5,
             "currency": "USD", "sourceArea": "CN", "hsCode": "610910"},
            {"name": "Silk scarf", "count": 1, "unit": "件", "weight": 0.1, "amount": 8.25,
             "currency": "USD", "sourceArea": "CN", "hsCode": "621410"}
        ])
    );
    let mut ddp = req.clone();
    ddp.shipment.customs.as_mut().unwrap().incoterm = crate::model::Incoterm::DDP;
    let ours = serde_json::to_value(ship::build_order(&ddp, &account(), 100, "SH1")).unwrap();
    assert_eq!(ours["customsInfo"]["taxPayMethod"], 1);
    // A domestic order keeps the sample's empty customsInfo and no country.
    let home = serde_json::to_value(ship::build_order(
        &input("shiyan_to_xiangyang"),
        &account(),
        1,
        "SH2",
    ))
    .unwrap();
    assert_eq!(home["customsInfo"], json!({}));
    assert!(home["contactInfoList"][1].get("country").is_none());
}

#[test]
fn products_stay_on_their_side_of_the_border_and_abroad_needs_customs() {
    let mut req = input("shenzhen_to_berlin");
    req.service = "2".into();
    assert_eq!(
        crate::testing::fields(&ship::check(&req).unwrap_err()),
        ["/service"]
    );
    let mut req = input("shiyan_to_xiangyang");
    req.service = "24".into();
    assert_eq!(
        crate::testing::fields(&ship::check(&req).unwrap_err()),
        ["/service"]
    );
    let mut req = input("shenzhen_to_berlin");
    req.shipment.customs = None;
    assert_eq!(
        crate::testing::fields(&ship::check(&req).unwrap_err()),
        ["/customs"]
    );
    let mut req = input("shenzhen_to_berlin");
    req.service = "24".into();
    assert_eq!(ship::check(&req).unwrap(), 24);
    req.shipment.from.state = None;
    assert_eq!(
        crate::testing::fields(&ship::check(&req).unwrap_err()),
        ["/from/state"]
    );
}

// ---------------------------------------------------------------------------------------------
// Answers

#[test]
fn prices_become_cny_quotes_for_the_products_we_sell() {
    let v = open_fixture("rate/shiyan_to_xiangyang.wire_response").unwrap();
    let req = input("shiyan_to_xiangyang_two_pieces").shipment;
    let q = rate::parse(read(v).unwrap(), &req).unwrap();
    // 231 (not sold here) and 6 (no fee) are left out.
    let codes: Vec<&str> = q.iter().map(|q| q.service.code.as_str()).collect();
    assert_eq!(codes, ["1", "2"]);
    assert_eq!(q[1].total.amount(), dec!(18.50));
    assert_eq!(q[0].total.amount().to_string(), "23.00");
    assert_eq!(q[1].total.currency().code(), "CNY");
    assert_eq!(q[0].service.name, "顺丰特快");
    assert_eq!(
        q[0].estimated_delivery,
        Some(time::macros::date!(2020 - 07 - 29))
    );
    assert_eq!(
        q[1].estimated_delivery,
        Some(time::macros::date!(2020 - 07 - 30))
    );
    assert_eq!(q[0].billable_weight.value(), dec!(7.1));
}

fn open_fixture(name: &str) -> Result<Value, CarrierError> {
    let a = crate::http::Answer {
        status: 200,
        retry_after: None,
        body: serde_json::to_vec(&FX.load(name)).unwrap(),
    };
    error::open(error::Op::Track, &a)
}

#[test]
fn order_answer_gives_master_then_sub_numbers() {
    let v = open_fixture("ship/create_order_two_pieces.wire_response").unwrap();
    let resp: wire::OrderResponse = read(v).unwrap();
    assert_eq!(
        ship::numbers(&resp).unwrap(),
        [tn("SF7444400043266"), tn("SF7444400043275")]
    );
}

#[test]
fn service_area_verdicts() {
    let v = open_fixture("ship/filter_served.wire_response").unwrap();
    assert_eq!(ship::check_filter(&v).unwrap(), None);
    let v = open_fixture("ship/filter_out_of_area.wire_response").unwrap();
    let e = ship::check_filter(&v).unwrap_err();
    let CarrierError::Rejected { errors, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(errors[0].field, "/to");
    assert_eq!(errors[0].carrier_code.as_deref(), Some(error::OUT_OF_AREA));
    assert!(
        ship::check_filter(&json!([{"filterResult": 1, "remark": "2"}]))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        ship::check_filter(&json!({"filterResult": 9}))
            .unwrap_err()
            .kind(),
        "protocol"
    );
}

#[test]
fn routes_map_every_scan_at_china_time_and_keep_the_raw_code() {
    let v = open_fixture("track/routes.wire_response").unwrap();
    let asked = [
        tn("SF7444407228423"),
        tn("SF1234567890123"),
        tn("SF9999999999999"),
    ];
    let r = track::parse(read(v).unwrap(), &asked);
    assert_eq!(r.len(), 3);
    let first = &r[0];
    assert_eq!(first.status, TrackingStatus::Delivered);
    assert_eq!(first.carrier_code, "80");
    let codes: Vec<&str> = first
        .events
        .iter()
        .map(|e| e.carrier_code.as_str())
        .collect();
    assert_eq!(codes, ["50", "30", "36", "31", "44", "4711", "80"]);
    assert_eq!(
        first.events[0].occurred_at,
        datetime!(2020-07-28 16:20:05 +08:00)
    );
    assert_eq!(
        first.events[0].occurred_at,
        datetime!(2020-07-28 08:20:05 UTC)
    );
    assert_eq!(first.events[0].description, "顺丰速运 已收取快件");
    assert_eq!(
        first.events[0].location.as_ref().unwrap().city.as_deref(),
        Some("十堰市")
    );
    assert_eq!(first.events[4].status, TrackingStatus::OutForDelivery);
    // An opCode not in the table: in transit, raw code kept, flagged.
    assert_eq!(first.events[5].status, TrackingStatus::InTransit);
    assert_eq!(
        first.events[5].sub_status.as_deref(),
        Some("unmapped SF opCode 4711")
    );
    assert_eq!(r[1].status, TrackingStatus::AttemptFail);
    assert_eq!(r[2].status, TrackingStatus::Unknown);
    assert!(r[2].events.is_empty());
}

#[test]
fn billed_freight_in_cny() {
    let v = open_fixture("billed/sfwaybill.wire_response").unwrap();
    let b = billed::parse(read(v).unwrap(), &tn("SF7444400043266"))
        .unwrap()
        .unwrap();
    assert_eq!(b.tracking_number, tn("SF7444400043266"));
    assert_eq!(b.charges.len(), 2);
    assert_eq!(b.charges[0].amount.amount(), dec!(23.00));
    assert_eq!(b.charges[0].amount.currency().code(), "CNY");
    assert_eq!(b.charges[1].description, "保价");
    assert_eq!(b.charges[1].amount.amount(), dec!(1.50));
    assert_eq!(b.charges[0].amount.amount().to_string(), "23.00");
    assert_eq!(b.charges[1].code.as_deref(), Some("3"));
    assert_eq!(b.reference.as_deref(), Some("QIAO-20200728-001"));
    let v = open_fixture("billed/not_billed.wire_response").unwrap();
    assert!(
        billed::parse(read(v).unwrap(), &tn("SF7444400043266"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn platform_fixtures_map_to_auth_and_throttle() {
    assert!(matches!(
        open_fixture("platform/bad_digest").unwrap_err(),
        CarrierError::Auth { code: Some(c), .. } if c == "A1006"
    ));
    assert_eq!(
        open_fixture("platform/throttled").unwrap_err().kind(),
        "rate_limited"
    );
}

/// A push signed as SF signs: the digest below was computed independently with Python
/// (`base64.b64encode(hashlib.md5(urllib.parse.quote_plus(msgData + "1596000000" +
/// "0123456789abcdef").encode()).digest())` over the fixture's text).
fn push_body(digest: &str) -> Vec<u8> {
    let msg_data = std::fs::read_to_string(FX.dir().join("push/route_push.msgdata.txt")).unwrap();
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("partnerID", "SHIPHUB_TEST")
        .append_pair("requestID", "3b6a1c1e-5a3f-4f63-9f3a-0c2f3f3c9a11")
        .append_pair("serviceCode", "RoutePushService")
        .append_pair("timestamp", "1596000000")
        .append_pair("msgData", &msg_data)
        .append_pair("msgDigest", digest)
        .finish()
        .into_bytes()
}

#[test]
fn route_push_verifies_as_sf_signs_and_reads_its_scans() {
    let intake = ENTRY.push.unwrap();
    let headers = reqwest::header::HeaderMap::new();
    let good = push_body("0Zl6LSua9/BIic0T/EVLzw==");
    assert!((intake.verify)(&headers, &good, "0123456789abcdef"));
    assert!(!(intake.verify)(&headers, &good, "another-secret-16"));
    assert!(!(intake.verify)(
        &headers,
        &push_body("AAAAAAAAAAAAAAAAAAAAAA=="),
        "0123456789abcdef"
    ));
    assert!(!(intake.verify)(
        &headers,
        b"{\"Body\":{}}",
        "0123456789abcdef"
    ));
    let events = (intake.parse)(&good).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].tracking_number, tn("SF7444400043266"));
    assert_eq!(events[0].event.status, TrackingStatus::OutForDelivery);
    assert_eq!(events[1].event.status, TrackingStatus::Delivered);
    assert_eq!(
        events[1].event.occurred_at,
        datetime!(2020-07-29 11:03:52 +08:00)
    );
    assert_eq!(
        intake.ack.unwrap().body,
        r#"{"return_code":"0000","return_msg":"成功"}"#
    );
    // SF's JSON as public receivers get it reads the same, but does not verify.
    let raw = std::fs::read(FX.dir().join("push/route_push.msgdata.txt")).unwrap();
    assert_eq!((intake.parse)(&raw).unwrap(), events);
    assert!(!(intake.verify)(&headers, &raw, "0123456789abcdef"));
    assert_eq!(
        (intake.parse)(b"msgData=nope&timestamp=1&msgDigest=x")
            .unwrap_err()
            .kind(),
        "protocol"
    );
    assert_eq!((intake.parse)(b"\xff\xfe").unwrap_err().kind(), "protocol");
}

#[test]
fn sf_waybill_numbers_are_detected_as_sf_alone() {
    let found = crate::detect::detect(crate::CARRIERS, &tn("sf 7444 4072 28423"));
    let carriers: Vec<&str> = found.iter().map(|c| c.carrier.as_str()).collect();
    assert_eq!(carriers, ["sf_express"]);
}

// ---------------------------------------------------------------------------------------------
// HTTP glue (wiremock std/service)

fn sf_answer(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(FX.load(name))
}

async fn on(server: &MockServer, service: &str, name: &str) {
    Mock::given(method("POST"))
        .and(path("/std/service"))
        .and(body_string_contains(format!("serviceCode={service}")))
        .respond_with(sf_answer(name))
        .mount(server)
        .await;
}

async fn adapter(server: &MockServer) -> Box<dyn Carrier> {
    let mut http = CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap()));
    http.timeout = Duration::from_secs(5);
    (ENTRY.build)(account_json(), http).unwrap()
}

#[tokio::test]
async fn ship_checks_the_area_then_orders_and_sends_a_signed_form() {
    let server = MockServer::start().await;
    on(&server, FILTER, "ship/filter_served.wire_response").await;
    on(
        &server,
        QUERY_DELIVERTM,
        "rate/shiyan_to_xiangyang.wire_response",
    )
    .await;
    on(
        &server,
        CREATE_ORDER,
        "ship/create_order_two_pieces.wire_response",
    )
    .await;
    let sf = adapter(&server).await;
    let req = input("shiyan_to_xiangyang_two_pieces");
    let wb = sf.ship(&req).await.unwrap();
    assert_eq!(wb.pieces, [tn("SF7444400043266"), tn("SF7444400043275")]);
    assert_eq!(wb.carrier_shipment_id, ship::order_id(&req, today()));
    assert!(wb.label.is_none(), "no template: the hub renders the label");
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent.len(), 3);
    let price: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&sent[1].body)
            .into_owned()
            .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&price["msgData"]).unwrap()["businessType"],
        "1"
    );
    for r in &sent {
        assert_eq!(
            r.headers.get("content-type").unwrap(),
            "application/x-www-form-urlencoded;charset=UTF-8"
        );
        let form: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(&r.body).into_owned().collect();
        assert_eq!(form["partnerID"], "SHIPHUB_TEST");
        assert!(sign::verify(
            &form["msgData"],
            &form["timestamp"],
            "fc34c561a34f",
            &form["msgDigest"]
        ));
        assert_eq!(form["requestID"].len(), 36);
    }
}

#[tokio::test]
async fn a_product_sf_does_not_price_on_the_lane_is_refused_before_ordering() {
    let server = MockServer::start().await;
    on(&server, FILTER, "ship/filter_served.wire_response").await;
    on(
        &server,
        QUERY_DELIVERTM,
        "rate/shiyan_to_xiangyang.wire_response",
    )
    .await;
    let sf = adapter(&server).await;
    // 6 (顺丰即日) has no `fee` in the answer.
    let mut req = input("shiyan_to_xiangyang");
    req.service = "6".into();
    let e = sf.ship(&req).await.unwrap_err();
    assert_eq!(crate::testing::fields(&e), ["/service"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_cross_border_waybill_is_bought_without_a_price_query() {
    let server = MockServer::start().await;
    on(&server, FILTER, "ship/filter_served.wire_response").await;
    on(
        &server,
        CREATE_ORDER,
        "ship/create_order_two_pieces.wire_response",
    )
    .await;
    let sf = adapter(&server).await;
    let wb = sf.ship(&input("shenzhen_to_berlin")).await.unwrap();
    assert_eq!(wb.tracking_number, tn("SF7444400043266"));
    // SF lists no freight for the new waybill here (the mock has no answer for it): zero,
    // said so.
    let total = wb.total.unwrap();
    assert_eq!(total.amount(), dec!(0.00));
    assert_eq!(total.currency().to_string(), "CNY");
    assert!(wb.breakdown.is_empty());
    assert!(
        wb.warnings.iter().any(|w| w.contains("not priced")),
        "{:?}",
        wb.warnings
    );
    let sent = server.received_requests().await.unwrap();
    let services: Vec<String> = sent
        .iter()
        .map(|r| {
            url::form_urlencoded::parse(&r.body)
                .find(|(k, _)| k == "serviceCode")
                .unwrap()
                .1
                .into_owned()
        })
        .collect();
    assert_eq!(services, [FILTER, CREATE_ORDER, QUERY_SFWAYBILL]);
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&sent[1].body)
            .into_owned()
            .collect();
    let order: Value = serde_json::from_str(&form["msgData"]).unwrap();
    assert_eq!(order["customsInfo"]["declaredValueCurrency"], "USD");

    // Where SF already lists the waybill's freight, that is its total.
    let server = MockServer::start().await;
    on(&server, FILTER, "ship/filter_served.wire_response").await;
    on(
        &server,
        CREATE_ORDER,
        "ship/create_order_two_pieces.wire_response",
    )
    .await;
    on(&server, QUERY_SFWAYBILL, "billed/sfwaybill.wire_response").await;
    let sf = adapter(&server).await;
    let wb = sf.ship(&input("shenzhen_to_berlin")).await.unwrap();
    let billed = billed::parse(
        read(open_fixture("billed/sfwaybill.wire_response").unwrap()).unwrap(),
        &wb.tracking_number,
    )
    .unwrap()
    .unwrap();
    let sum: rust_decimal::Decimal = billed.charges.iter().map(|c| c.amount.amount()).sum();
    assert_eq!(wb.total.unwrap().amount(), sum);
    assert_eq!(wb.breakdown.len(), billed.charges.len());
    assert!(!wb.warnings.iter().any(|w| w.contains("not priced")));
}

#[tokio::test]
async fn out_of_area_refuses_before_ordering() {
    let server = MockServer::start().await;
    on(&server, FILTER, "ship/filter_out_of_area.wire_response").await;
    let sf = adapter(&server).await;
    let e = sf.ship(&input("shiyan_to_xiangyang")).await.unwrap_err();
    assert_eq!(crate::testing::fields(&e), ["/to"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_duplicate_order_reads_the_existing_one_back() {
    let server = MockServer::start().await;
    on(&server, FILTER, "ship/filter_served.wire_response").await;
    on(
        &server,
        QUERY_DELIVERTM,
        "rate/shiyan_to_xiangyang.wire_response",
    )
    .await;
    on(&server, CREATE_ORDER, "ship/duplicate_order.wire_response").await;
    on(
        &server,
        SEARCH_ORDER,
        "ship/create_order_two_pieces.wire_response",
    )
    .await;
    let sf = adapter(&server).await;
    let wb = sf
        .ship(&input("shiyan_to_xiangyang_two_pieces"))
        .await
        .unwrap();
    assert_eq!(wb.tracking_number, tn("SF7444400043266"));
    assert!(wb.warnings.iter().any(|w| w.contains("already had order")));
}

#[tokio::test]
async fn a_bad_checkword_is_auth_and_void_cancels_by_order_id() {
    let server = MockServer::start().await;
    on(&server, SEARCH_ROUTES, "platform/bad_digest").await;
    on(&server, UPDATE_ORDER, "void/cancelled.wire_response").await;
    let sf = adapter(&server).await;
    assert_eq!(
        sf.track(&[tn("SF7444400043266")]).await.unwrap_err().kind(),
        "auth"
    );
    let r = WaybillRef {
        tracking_number: tn("SF7444400043266"),
        carrier_shipment_id: "SHabc".into(),
        pieces: Vec::new(),
    };
    sf.void(&r).await.unwrap();
    let sent = server.received_requests().await.unwrap();
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&sent[1].body)
            .into_owned()
            .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&form["msgData"]).unwrap(),
        json!({"dealType": 2, "orderId": "SHabc"})
    );
}

#[tokio::test]
async fn a_template_prints_sf_s_label_through_cloud_print() {
    use wiremock::matchers::header;
    let server = MockServer::start().await;
    on(&server, FILTER, "ship/filter_served.wire_response").await;
    on(
        &server,
        QUERY_DELIVERTM,
        "rate/shiyan_to_xiangyang.wire_response",
    )
    .await;
    on(
        &server,
        CREATE_ORDER,
        "ship/create_order_two_pieces.wire_response",
    )
    .await;
    // Cloud print answers in `obj` (not `msgData`) with files fetched by their token.
    let print = json!({"success": true, "requestId": "r1", "obj": {"templateCode": "fm_150_standard_SHIPHUB",
        "files": [{"url": format!("{}/file/SF7444400043266.pdf", server.uri()), "token": "AUTH_tkv12",
        "waybillNo": "SF7444400043266", "seqNo": 1, "areaNo": 1, "pageNo": 1}]}});
    Mock::given(method("POST"))
        .and(path("/std/service"))
        .and(body_string_contains(format!("serviceCode={CLOUD_PRINT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"apiResultCode": "A1000", "apiErrorMsg": "", "apiResultData": print.to_string()}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/file/SF7444400043266.pdf"))
        .and(header("X-Auth-token", "AUTH_tkv12"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"%PDF-1.4 sf label".to_vec()))
        .mount(&server)
        .await;
    let mut account = account_json();
    account["template_code"] = json!("fm_150_standard_SHIPHUB");
    let http = CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap()));
    let sf = (ENTRY.build)(account, http).unwrap();
    let wb = sf
        .ship(&input("shiyan_to_xiangyang_two_pieces"))
        .await
        .unwrap();
    let label = wb.label.expect("SF's label");
    assert_eq!(label.format, LabelFormat::Pdf);
    assert!(label.content.starts_with(b"%PDF"));
    assert!(wb.warnings.is_empty(), "{:?}", wb.warnings);
}

#[test]
fn build_needs_a_base_url_and_the_bench_cycle_runs() {
    let e = (ENTRY.build)(account_json(), CarrierHttp::offline())
        .err()
        .unwrap();
    assert_eq!(e.field, "/base_url");
    let body = serde_json::to_vec(&FX.load("rate/shiyan_to_xiangyang.wire_response")).unwrap();
    let req: RateRequest = FX.typed("rate/shiyan_to_xiangyang.input");
    let (sent, quotes) = bench_rate_cycle(&req, &body).unwrap();
    assert!(sent > 100);
    assert_eq!(quotes, 2);
}

// ---------------------------------------------------------------------------------------------
// Conformance

/// A wiremock std/service answering the fixtures for `crate::conformance`.
pub(crate) async fn conformance_harness() -> crate::conformance::Harness {
    let server = MockServer::start().await;
    on(
        &server,
        QUERY_DELIVERTM,
        "rate/shiyan_to_xiangyang.wire_response",
    )
    .await;
    on(&server, FILTER, "ship/filter_served.wire_response").await;
    on(
        &server,
        CREATE_ORDER,
        "ship/create_order_two_pieces.wire_response",
    )
    .await;
    on(&server, SEARCH_ROUTES, "track/routes.wire_response").await;
    on(&server, UPDATE_ORDER, "void/cancelled.wire_response").await;
    let ship = input("shiyan_to_xiangyang_two_pieces");
    crate::conformance::Harness {
        account: account_json(),
        http: CarrierHttp::new(reqwest::Client::new(), Some(server.uri().parse().unwrap())),
        rate: ship.shipment.clone(),
        ship,
        track: Vec::new(),
        _simulator: Some(server),
    }
}
