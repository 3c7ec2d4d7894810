//! YunExpress end to end: the `shiphub` binary (with `--dev-loopback`) and a YunExpress
//! account on the YunExpress simulator, which checks every call's token and HMAC signature
//! as YunExpress does. A Shenzhen shipper rate-shops a parcel to Berlin with its customs
//! declaration (HS codes, USD values, English and Chinese item names), buys the cheapest
//! YunExpress product, downloads YunExpress's own PDF label, tracks the waybill and cancels
//! another one; a declaration without Chinese names is refused before YunExpress is asked,
//! a product YunExpress does not know is YunExpress's refusal, a refused token is replaced
//! once, and a 5xx on a purchase is never repeated.

mod common;

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Fault, FaultKind, Sim};

async fn start_sim(router: axum::Router) -> String {
    let addr = sim::serve(router, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    format!("http://{addr}")
}

/// A parcel from a Shenzhen (广东省深圳市) seller to a buyer in Berlin, with its declaration.
fn shenzhen_to_berlin() -> Value {
    json!({
        "from": {"name": "陈小姐", "company": "深圳市云端优选贸易有限公司", "street": ["科苑路15号科兴科学园B栋3楼"],
                 "city": "深圳市", "district": "南山区", "state": "广东省", "postal_code": "518057",
                 "country": "CN", "phone": "13800138000"},
        "to": {"name": "Anna Schmidt", "street": ["Friedrichstraße 43"], "city": "Berlin",
               "postal_code": "10117", "country": "DE", "phone": "+49301234567",
               "email": "anna.schmidt@example.de", "residential": true},
        "parcels": [{"weight": {"value": "0.8", "unit": "kg"},
                     "dimensions": {"length": "25", "width": "18", "height": "8", "unit": "cm"}}],
        "customs": {"incoterm": "DAP", "content_type": "merchandise", "items": [
            {"description": "Bluetooth headphones", "local_description": "蓝牙耳机", "quantity": 2,
             "unit_value": {"amount": "15.50", "currency": "USD"}, "unit_weight": {"value": "0.25", "unit": "kg"},
             "hs_code": "851830", "origin_country": "CN", "sku": "BT-HP-01"},
            {"description": "Phone case", "local_description": "手机壳", "quantity": 3,
             "unit_value": {"amount": "2.80", "currency": "USD"}, "unit_weight": {"value": "0.05", "unit": "kg"},
             "hs_code": "3926909090", "origin_country": "CN"}
        ]}
    })
}

fn yunexpress_account(base_url: &str) -> Value {
    json!({"carrier": "yunexpress", "name": "YunExpress", "base_url": base_url,
           "credentials": {"app_id": "7ddf7d20ed8d", "app_secret": "yun-app-secret", "source_key": "lcb1nvgi"}})
}

/// Buys `service` for `body` on `account`: the purchase answer.
async fn buy(api: &common::Api, account: &str, service: &str, reference: &str) -> Value {
    let mut body = shenzhen_to_berlin();
    body["carrier_account"] = json!(account);
    body["service"] = json!(service);
    body["label_format"] = json!("pdf");
    body["reference"] = json!(reference);
    api.created("/v1/shipments", body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yunexpress_rate_buy_label_track_and_cancel_a_shenzhen_to_berlin_parcel() {
    let yun_sim = Sim::default();
    let url = start_sim(sim::yunexpress::router(yun_sim.clone())).await;
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = common::Api::of(&hub);
    let yun = api.create_account(yunexpress_account(&url)).await;

    // Rate shopping: YunExpress's price trial, in the yuan it answers.
    let mut shop = shenzhen_to_berlin();
    shop["carrier_accounts"] = json!([yun]);
    let (s, rates) = api.post("/v1/rates", shop).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    assert!(rates["errors"].as_array().unwrap().is_empty(), "{rates}");
    let quotes = rates["quotes"].as_array().unwrap();
    let codes: Vec<&str> = quotes
        .iter()
        .map(|q| q["service"]["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"BKZXR") && codes.contains(&"THPHR"),
        "{rates}"
    );
    for q in quotes {
        assert_eq!(q["carrier"], "yunexpress");
        assert_eq!(q["total"]["currency"], "CNY", "{q}");
    }
    // 0.8 kg: BKZXR 0.8 × 72 + 18 = 75.60; THPHR 0.8 × 52 + 15 = 56.60 yuan.
    let standard = quotes
        .iter()
        .find(|q| q["service"]["code"] == "BKZXR")
        .unwrap();
    assert_eq!(standard["total"]["amount"], "75.6", "{standard}");
    assert_eq!(standard["service"]["class"], "standard");
    let economy = quotes
        .iter()
        .find(|q| q["service"]["code"] == "THPHR")
        .unwrap();
    assert_eq!(economy["service"]["class"], "economy");
    assert_eq!(yun_sim.hits("/openapi/oauth2/token"), 1);

    // Buy the economy product: a YT waybill, YunExpress's own PDF label.
    let bought = buy(&api, &yun, "THPHR", "ORDER-SZ-BER-1").await;
    let id = bought["id"].as_str().unwrap().to_string();
    let waybill = bought["tracking_number"].as_str().unwrap().to_string();
    assert!(
        waybill.len() == 18
            && waybill.starts_with("YT")
            && waybill[2..].bytes().all(|b| b.is_ascii_digit()),
        "a YunExpress waybill number: {waybill}"
    );
    let res = api
        .fetch(&format!("/v1/shipments/{id}/label?format=pdf"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(
        String::from_utf8_lossy(&pdf).contains(&format!("YUNEXPRESS {waybill}")),
        "YunExpress's own label is served"
    );
    assert_eq!(
        yun_sim.hits("/_sim/labels/"),
        1,
        "the label was downloaded once"
    );

    // Track it: the order is in YunExpress's network.
    let (s, tracking) = api.get(&format!("/v1/shipments/{id}/tracking")).await;
    assert_eq!(s, StatusCode::OK, "{tracking}");
    assert_eq!(tracking["tracking_number"], waybill.as_str());
    let code = tracking["carrier_code"].as_str().unwrap();
    match code {
        // Pre-advised (F): the order's first node.
        "ORDER_CREATION" => assert_eq!(tracking["status"], "pre_transit", "{tracking}"),
        "FIRST_MILE_ARRIVE" | "FIRST_MILE_DEPART" | "MAIN_LINE_DEPART" => {
            assert_eq!(tracking["status"], "in_transit", "{tracking}")
        }
        _ => panic!("unexpected status {code}: {tracking}"),
    }
    assert_eq!(
        tracking["events"][0]["carrier_code"], "ORDER_CREATION",
        "{tracking}"
    );

    // Cancel another, bought on the standard product, before it reaches the warehouse.
    let other = buy(&api, &yun, "BKZXR", "ORDER-SZ-BER-2").await;
    let other_id = other["id"].as_str().unwrap();
    let (s, voided) = api
        .post(&format!("/v1/shipments/{other_id}/void"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{voided}");
    assert_eq!(voided["status"], "voided", "{voided}");
    assert_eq!(yun_sim.hits("/v1/order/cancel"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yunexpress_refusals_a_refused_token_and_a_failed_purchase() {
    let yun_sim = Sim::default();
    let url = start_sim(sim::yunexpress::router(yun_sim.clone())).await;
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = common::Api::of(&hub);
    let yun = api.create_account(yunexpress_account(&url)).await;

    // No Chinese name on an item: refused by the adapter, naming the field; YunExpress is
    // never asked to create the order.
    let mut body = shenzhen_to_berlin();
    body["customs"]["items"][1]
        .as_object_mut()
        .unwrap()
        .remove("local_description");
    body["carrier_account"] = json!(yun);
    body["service"] = json!("BKZXR");
    let (s, problem) = api.post("/v1/shipments", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem
            .to_string()
            .contains("/customs/items/1/local_description"),
        "{problem}"
    );
    assert_eq!(yun_sim.hits("/v1/order/package/create"), 0);

    // A product YunExpress does not enable for the account: its refusal, on the service.
    let mut body = shenzhen_to_berlin();
    body["carrier_account"] = json!(yun);
    body["service"] = json!("THZXR");
    let (s, problem) = api.post("/v1/shipments", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("/service"), "{problem}");
    assert_eq!(yun_sim.hits("/v1/order/package/create"), 1);

    // A refused token (401) is replaced once and the call signed again.
    yun_sim.push(Fault {
        kind: FaultKind::Unauthorized,
        path: Some("/v1/price-trial/get".into()),
    });
    let mut shop = shenzhen_to_berlin();
    shop["carrier_accounts"] = json!([yun]);
    let (s, rates) = api.post("/v1/rates", shop).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    assert!(rates["errors"].as_array().unwrap().is_empty(), "{rates}");
    assert_eq!(yun_sim.hits("/openapi/oauth2/token"), 2, "one new token");

    // A 500 on a purchase may have created the order: not repeated, reported unavailable.
    yun_sim.push(Fault {
        kind: FaultKind::ServerError,
        path: Some("/v1/order/package/create".into()),
    });
    let mut body = shenzhen_to_berlin();
    body["carrier_account"] = json!(yun);
    body["service"] = json!("BKZXR");
    body["reference"] = json!("ORDER-SZ-BER-500");
    let (s, failed) = api.post("/v1/shipments", body).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{failed}");
    assert_eq!(yun_sim.hits("/v1/order/package/create"), 2);
}
