//! SF Express end to end: the `shiphub` binary with an SF account on the SF simulator. A
//! shipper in Hubei (十堰市) quotes and buys an SF waybill to 襄阳市 with Chinese names and
//! addresses, gets SF's cloud-printed label, tracks it by SF's routes and then by SF's signed
//! route push, and cancels another; a receiver outside SF's area and a wrong checkword are
//! refused with what to fix.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Fault, FaultKind, Sim, sf_express};

const PUSH_SECRET: &str = "sf-push-secret-0123456789";

fn shipment(to_city: &str) -> Value {
    json!({
        "from": {"name": "张三丰", "company": "清雅轩保健品专营店", "street": ["丹江口市公园路155号"],
                 "city": "十堰市", "district": "丹江口市", "state": "湖北省", "postal_code": "442700",
                 "country": "CN", "phone": "17006805888"},
        "to": {"name": "郭襄阳", "street": ["襄城区环城东路122号"], "city": to_city, "district": "襄城区",
               "state": "湖北省", "postal_code": "441021", "country": "CN", "phone": "18963828829"},
        "parcels": [{"weight": {"value": "2.4", "unit": "kg"}, "description": "君宝牌地毯"}]
    })
}

async fn start_sim(router: axum::Router) -> String {
    let addr = sim::serve(router, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    format!("http://{addr}")
}

fn sf_account(base_url: &str, checkword: &str) -> Value {
    json!({"carrier": "sf_express", "name": "顺丰月结", "base_url": base_url,
        "credentials": {"partner_id": sf_express::PARTNER_ID, "checkword": checkword,
            "monthly_card": "7551234567", "template_code": "fm_150_standard_SHIPHUB_SIM",
            "push_secret": PUSH_SECRET}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hubei_shipper_buys_tracks_and_cancels_sf_waybills() {
    let sf_sim = Sim::default();
    let sf_url = start_sim(sf_express::router(sf_sim.clone())).await;
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--no-scheduler"]);
    let api = common::Api::of(&hub);
    let sf = api
        .create_account(sf_account(&sf_url, sf_express::CHECKWORD))
        .await;

    // SF's price and time query: 顺丰特快 and 顺丰标快 in CNY.
    let mut ask = shipment("襄阳市");
    ask["carrier_accounts"] = json!([sf]);
    let (s, rates) = api.post("/v1/rates", ask).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    let quotes = rates["quotes"].as_array().unwrap();
    let standard = quotes
        .iter()
        .find(|q| q["service"]["code"] == "2")
        .unwrap_or_else(|| panic!("no 顺丰标快 quote: {rates}"));
    assert_eq!(standard["carrier"], "sf_express");
    assert_eq!(standard["total"]["currency"], "CNY", "{standard}");
    assert_eq!(
        standard["total"]["amount"], "17.00",
        "13 + 2 × 2 started kg: {standard}"
    );

    // Buy it: SF's waybill number and SF's own label through cloud print.
    let mut body = shipment("襄阳市");
    body["carrier_account"] = json!(sf);
    body["service"] = json!("2");
    body["label_format"] = json!("pdf");
    body["reference"] = json!("ORDER-湖北-001");
    let bought = api.created("/v1/shipments", body).await;
    let id = bought["id"].as_str().unwrap().to_string();
    let number = bought["tracking_number"].as_str().unwrap().to_string();
    assert!(
        number.starts_with("SF") && number.len() == 15,
        "an SF waybill number: {number}"
    );
    let res = api
        .fetch(&format!("/v1/shipments/{id}/label?format=pdf"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(
        String::from_utf8_lossy(&pdf).contains(&number),
        "SF's cloud-printed label is served"
    );

    // Routes: picked up in 十堰市, moving (China time, raw opCode kept).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let tracking = api.json(&format!("/v1/shipments/{id}/tracking")).await;
    assert_eq!(tracking["tracking_number"], number.as_str(), "{tracking}");
    assert_eq!(tracking["status"], "in_transit", "{tracking}");
    let events = tracking["events"].as_array().unwrap();
    assert_eq!(events[0]["carrier_code"], "50", "{tracking}");
    assert_eq!(events[0]["description"], "顺丰速运 已收取快件");
    assert_eq!(events[0]["location"]["city"], "十堰市");

    // SF pushes the delivery scans, signed; a wrong signature is refused.
    let push_url = format!("{}/v1/carrier-events/sf_express/{sf}", hub.base);
    let push = |body: Vec<u8>| {
        let http = api.http.clone();
        let url = push_url.clone();
        async move {
            let res = http
                .post(url)
                .header(
                    "content-type",
                    "application/x-www-form-urlencoded;charset=UTF-8",
                )
                .body(body)
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let forged = sf_express::route_push("not-the-secret", &number, "80", "快件已签收", "襄阳市");
    assert_eq!(push(forged).await.0, StatusCode::UNAUTHORIZED);
    let (s, ack) = push(sf_express::route_push(
        PUSH_SECRET,
        &number,
        "44",
        "快件交给张师傅，正在派送途中",
        "襄阳市",
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{ack}");
    let ack: Value = serde_json::from_str(&ack).unwrap();
    assert_eq!(ack, json!({"return_code": "0000", "return_msg": "成功"}));
    // SF's push as public receivers read it, plain JSON and unsigned: refused at the signed
    // URL, taken at the URL that carries the account's push secret, and refused there
    // under another key.
    let unsigned = json!({"Body": {"WaybillRoute": [{"mailno": number, "orderid": "",
        "acceptTime": "2026-12-06 18:20:00", "acceptAddress": "襄阳市",
        "remark": "快件已放入丰巢智能柜", "opCode": "130", "id": "9001",
        "reasonCode": "", "reasonName": ""}]}})
    .to_string();
    let post_json = |url: String| {
        let http = api.http.clone();
        let body = unsigned.clone();
        async move {
            let res = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    assert_eq!(
        post_json(push_url.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_json(format!("{push_url}/k/not-the-secret")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, ack) = post_json(format!("{push_url}/k/{PUSH_SECRET}")).await;
    assert_eq!(s, StatusCode::OK, "{ack}");
    assert_eq!(
        serde_json::from_str::<Value>(&ack).unwrap(),
        json!({"return_code": "0000", "return_msg": "成功"})
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (s, _) = push(sf_express::route_push(
        PUSH_SECRET,
        &number,
        "80",
        "快件已签收，签收人：郭襄阳",
        "襄阳市",
    ))
    .await;
    assert_eq!(s, StatusCode::OK);
    let trackers = api.all("/v1/trackers?limit=100").await;
    let tracker = trackers
        .iter()
        .find(|t| t["tracking_number"] == number.as_str())
        .unwrap_or_else(|| panic!("no tracker for {number}: {trackers:?}"));
    let tracker = api
        .json(&format!("/v1/trackers/{}", tracker["id"].as_str().unwrap()))
        .await;
    assert_eq!(tracker["status"], "delivered", "{tracker}");
    let codes: Vec<&str> = tracker["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["carrier_code"].as_str())
        .collect();
    assert!(
        codes.contains(&"44") && codes.contains(&"130") && codes.contains(&"80"),
        "{codes:?}"
    );

    // Another waybill, cancelled (dealType 2 by our orderId).
    let mut other = shipment("襄阳市");
    other["carrier_account"] = json!(sf);
    other["service"] = json!("1");
    other["label_format"] = json!("pdf");
    other["reference"] = json!("ORDER-湖北-002");
    let second = api.created("/v1/shipments", other).await;
    assert_ne!(second["tracking_number"], bought["tracking_number"]);
    let (s, voided) = api
        .post(
            &format!("/v1/shipments/{}/void", second["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{voided}");
    assert_eq!(voided["status"], "voided");

    // A receiver SF does not serve is refused on `/to` before any order is placed.
    let before = sf_sim.hits("/std/service/EXP_RECE_CREATE_ORDER");
    let mut far = shipment("三沙市");
    far["carrier_account"] = json!(sf);
    far["service"] = json!("2");
    far["label_format"] = json!("pdf");
    let (s, problem) = api.post("/v1/shipments", far).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("/to"), "{problem}");
    assert_eq!(sf_sim.hits("/std/service/EXP_RECE_CREATE_ORDER"), before);

    // SF's flow control on routes is a throttle the hub waits out, not a failure.
    sf_sim.push(Fault {
        kind: FaultKind::RateLimited {
            retry_after_secs: None,
        },
        path: Some("/std/service/EXP_RECE_SEARCH_ROUTES".into()),
    });
    let res = api.fetch(&format!("/v1/shipments/{id}/tracking")).await;
    assert!(
        res.status() == StatusCode::OK
            || res.status() == StatusCode::TOO_MANY_REQUESTS
            || res.status() == StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        res.status()
    );

    // A wrong checkword: SF's platform refuses the digest, the hub says fix the account.
    let wrong = api
        .create_account(sf_account(&sf_url, "not-the-checkword"))
        .await;
    let mut ask = shipment("襄阳市");
    ask["carrier_accounts"] = json!([wrong]);
    let (s, rates) = api.post("/v1/rates", ask).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    let errors = rates["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{rates}");
    assert!(
        errors[0].to_string().contains("auth") || errors[0].to_string().contains("credential"),
        "{rates}"
    );
}
