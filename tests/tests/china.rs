//! Issue 17's scenario through the real binary, across the Chinese carriers at once: a shipper
//! in Hubei buys an SF waybill to 襄阳 and gets the hub's own 100×150 mm e-waybill (Chinese
//! text read back with pdftotext, barcode decoded with zbarimg), and finance reconciles SF's
//! billed freight against the quote; ZTO and YTO parcels are followed through Kuaidi100 with
//! no carrier named (Kuaidi100's auto-number names the network), polled at once, subscribed
//! for pushes, then pushed; a Shenzhen → Berlin parcel is rate-shopped across SF Express
//! (its international tariff on a rate card: SF has no cross-border price query), YunExpress
//! and DHL Express in one request, answered in CNY, and bought from SF International; an SF
//! number followed through Kuaidi100 shows its scans once the tracker has the receiver's
//! phone.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Sim, kuaidi100, sf_express, yunexpress};

async fn start_sim(router: axum::Router) -> String {
    let addr = sim::serve(router, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    format!("http://{addr}")
}

fn hubei_to_xiangyang() -> Value {
    json!({
        "from": {"name": "张三丰", "company": "清雅轩保健品专营店", "street": ["公园路155号"],
                 "city": "十堰市", "district": "丹江口市", "state": "湖北省", "country": "CN",
                 "phone": "17006805888"},
        "to": {"name": "郭襄阳", "street": ["环城东路122号"], "city": "襄阳市", "district": "襄城区",
               "state": "湖北省", "country": "CN", "phone": "18963828829"},
        "parcels": [{"weight": {"value": "2.4", "unit": "kg"}, "description": "君宝牌地毯"}]
    })
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal string: {v}"))
        .parse()
        .unwrap()
}

/// The reconciliation once it is neither pulling nor running.
async fn settled(api: &common::Api, id: &str) -> Value {
    let mut rec = Value::Null;
    for _ in 0..300 {
        rec = api.get_ok(&format!("/v1/reconciliations/{id}")).await;
        if rec["status"] != "pulling" && rec["status"] != "running" {
            return rec;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("reconciliation {id} never settled: {rec}");
}

async fn tracker_until(api: &common::Api, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = api.get_ok(&format!("/v1/trackers/{id}")).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tracker {id} never got there: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sf_waybill_from_hubei_prints_in_chinese_and_its_billed_freight_is_reconciled() {
    let sf_url = start_sim(sf_express::router(Sim::default())).await;
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--no-scheduler"]);
    let api = common::Api::of(&hub);
    // No cloud-print template: the hub renders SF's e-waybill itself.
    let sf = api
        .create_account(
            json!({"carrier": "sf_express", "name": "顺丰月结", "base_url": sf_url,
            "credentials": {"partner_id": sf_express::PARTNER_ID,
                "checkword": sf_express::CHECKWORD, "monthly_card": "7551234567"}}),
        )
        .await;

    let mut ask = hubei_to_xiangyang();
    ask["carrier_accounts"] = json!([sf]);
    let (s, rates) = api.post("/v1/rates", ask).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    let quote = rates["quotes"][0].clone();
    assert_eq!(quote["total"]["currency"], "CNY", "{rates}");

    let mut buy = hubei_to_xiangyang();
    buy["carrier_account"] = json!(sf);
    buy["service"] = quote["service"]["code"].clone();
    buy["label_format"] = json!("pdf");
    buy["reference"] = json!("QIAO-20261206-001");
    let (s, bought) = api.post("/v1/shipments", buy).await;
    assert_eq!(s, StatusCode::CREATED, "{bought}");
    let waybill = bought["tracking_number"].as_str().unwrap().to_string();
    assert!(waybill.starts_with("SF"), "{bought}");
    assert_eq!(bought["total"], quote["total"], "{bought}");

    // A domestic Chinese label defaults to SF's 100×150 mm e-waybill.
    let id = bought["id"].as_str().unwrap();
    let (s, pdf) = api
        .bytes(&format!("/v1/shipments/{id}/label?format=pdf"))
        .await;
    assert_eq!(s, StatusCode::OK);
    if common::tools_present(&["pdftotext", "pdftoppm", "zbarimg"]) {
        let text = common::pdf_text(&pdf);
        for words in [
            "郭襄阳",
            "湖北省",
            "襄阳市",
            "襄城区",
            "环城东路122号",
            "张三丰",
        ] {
            assert!(text.contains(words), "{words} not in {text}");
        }
        // The receiver's mobile is masked, as Chinese e-waybills print it.
        assert!(text.contains("189****8829"), "{text}");
        assert!(!text.contains("18963828829"), "{text}");
        assert!(
            common::decode_pdf_barcodes(&pdf).contains(&waybill),
            "{waybill} not decoded"
        );
    }

    // Finance pulls what SF billed for the waybill and audits it against the quote.
    let (s, started) = api
        .post(
            "/v1/invoices/pull",
            json!({"carrier_account": sf, "tracking_numbers": [waybill]}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let rid = started["id"].as_str().unwrap();
    // Answered at once; the hub asks SF in the background.
    assert_eq!(started["status"], "pulling", "{started}");
    let rec = settled(&api, rid).await;
    assert_eq!(rec["status"], "completed", "{rec}");
    assert_eq!(rec["pull"], json!({"asked": 1, "total": 1}), "{rec}");
    let report = &rec["summary"]["report"];
    assert_eq!(report["currency"], "CNY", "{report}");
    assert_eq!(
        dec(&report["total"]["billed"]),
        dec(&quote["total"]["amount"]),
        "{report}"
    );
    assert_eq!(
        dec(&report["total"]["recoverable"]),
        Decimal::ZERO,
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zto_and_yto_parcels_are_named_by_kuaidi100_polled_subscribed_and_pushed() {
    let sim_url = start_sim(kuaidi100::router(Sim::default())).await;
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = common::Api::of(&hub);
    let salt = "kuaidi100-salt-0123456789";
    let account = api
        .create_account(
            json!({"carrier": "kuaidi100", "name": "快递100", "base_url": sim_url,
            "credentials": {"customer": kuaidi100::CUSTOMER, "key": kuaidi100::KEY,
                "push_secret": salt,
                "callback_url": "https://hub.example/v1/carrier-events/kuaidi100/acct"}}),
        )
        .await;

    // No carrier named and no format of ours matches: Kuaidi100's auto-number names the
    // network, the first poll runs at once, and the parcel is subscribed for pushes.
    // A parcel still moving is subscribed; one already delivered has nothing left to push.
    for (number, network, status, subscribed) in [
        ("75312345678901", "zhongtong", "in_transit", true),
        ("YT6186594166532", "yuantong", "delivered", false),
    ] {
        let (s, t) = api
            .post("/v1/trackers", json!({"tracking_number": number}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        assert_eq!(t["carrier"], "kuaidi100", "{t}");
        assert_eq!(t["network"], network, "{t}");
        let id = t["id"].as_str().unwrap();
        let polled = tracker_until(&api, id, |t| {
            t["status"] == status && t["subscribed_at"].is_null() != subscribed
        })
        .await;
        let events = polled["events"].as_array().unwrap();
        assert!(!events.is_empty(), "{polled}");
        // Kuaidi100's times carry no offset: China Standard Time.
        assert!(
            events
                .iter()
                .all(|e| e["occurred_at"].as_str().unwrap().ends_with("+08:00")),
            "{polled}"
        );
    }

    // A signed callback for the ZTO parcel is verified and acknowledged in Kuaidi100's words.
    let intake = api.url(&format!("/v1/carrier-events/kuaidi100/{account}"));
    let answer: Value = reqwest::Client::new()
        .post(format!("{sim_url}/_sim/kuaidi100/push"))
        .json(&json!({"number": "75312345678901", "url": intake, "salt": salt}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer.to_string().contains("200"), "{answer}");
}

fn shenzhen_to_berlin() -> Value {
    json!({
        "from": {"name": "李娜", "street": ["科技园南区高新南一道8号"], "city": "深圳市",
                 "district": "南山区", "state": "广东省", "country": "CN", "phone": "13800138000"},
        "to": {"name": "Max Mustermann", "street": ["Friedrichstraße 43"], "city": "Berlin",
               "postal_code": "10117", "country": "DE", "phone": "+493012345678"},
        "parcels": [{"weight": {"value": "0.8", "unit": "kg"},
                     "dimensions": {"length": "20", "width": "15", "height": "5", "unit": "cm"}}],
        "customs": {"incoterm": "DDU", "content_type": "merchandise", "items": [{
            "description": "Cotton T-shirt", "local_description": "棉质T恤", "quantity": 2,
            "unit_value": {"amount": "12.50", "currency": "USD"},
            "unit_weight": {"value": "0.3", "unit": "kg"},
            "hs_code": "610910", "origin_country": "CN"}]}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shenzhen_to_berlin_is_rate_shopped_across_sf_yunexpress_and_dhl_in_cny_and_sf_ships_it() {
    let sf_url = start_sim(sf_express::router(Sim::default())).await;
    let yun_url = start_sim(yunexpress::router(Sim::default())).await;
    let dhl_url = start_sim(sim::dhl_express::router(Sim::default())).await;
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--no-scheduler"]);
    let api = common::Api::of(&hub);
    let sf = api
        .create_account(
            json!({"carrier": "sf_express", "name": "顺丰", "base_url": sf_url,
            "credentials": {"partner_id": sf_express::PARTNER_ID,
                "checkword": sf_express::CHECKWORD, "monthly_card": "7551234567"}}),
        )
        .await;
    // SF has no price query across a border: its international tariff is a rate card on a
    // table_rate account, shopped beside the SF account.
    let card = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../rating/examples/sf_international_cn_export.toml"),
    )
    .unwrap();
    let res = api
        .request(
            reqwest::Method::PUT,
            "/v1/rate-cards/sf-international-cn-export",
        )
        .header("content-type", "application/toml")
        .body(card)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let sf_tariff = api
        .create_account(json!({"carrier": "table_rate", "name": "顺丰国际价目",
            "rate_card": "sf-international-cn-export"}))
        .await;
    let yun = api
        .create_account(
            json!({"carrier": "yunexpress", "name": "云途", "base_url": yun_url,
            "credentials": {"app_id": "sim-app", "app_secret": "sim-secret",
                "source_key": "sim-source"}}),
        )
        .await;
    let dhl = api.create_account(common::dhl_account(&dhl_url)).await;

    let mut ask = shenzhen_to_berlin();
    ask["carrier_accounts"] = json!([sf, sf_tariff, yun, dhl]);
    let (s, rates) = api.post("/v1/rates", ask).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    let quotes = rates["quotes"].as_array().unwrap();
    for account in [&sf_tariff, &yun, &dhl] {
        let theirs: Vec<&Value> = quotes
            .iter()
            .filter(|q| q["carrier_account"] == account.as_str())
            .collect();
        assert!(!theirs.is_empty(), "{account}: {rates}");
        assert!(
            theirs.iter().all(|q| q["total"]["currency"] == "CNY"),
            "{rates}"
        );
    }
    // SF's quote is the card's: SF International Standard Express, 1 kg billable (0.8 kg; the
    // volumetric 0.3 kg is less) to zone 4: 246.00 + 12 % fuel = 275.52.
    let sf_quote = quotes
        .iter()
        .find(|q| q["carrier_account"] == sf_tariff.as_str() && q["service"]["code"] == "100")
        .unwrap_or_else(|| panic!("{rates}"));
    assert_eq!(
        dec(&sf_quote["total"]["amount"]),
        Decimal::new(27552, 2),
        "{sf_quote}"
    );
    // The SF account itself says why it has no quote, beside the others' quotes.
    let failed = rates["errors"].as_array().unwrap();
    let why = failed
        .iter()
        .find(|f| f["carrier_account"] == sf.as_str())
        .unwrap_or_else(|| panic!("{rates}"));
    assert!(why.to_string().contains("table_rate"), "{why}");

    // The quoted SF product is bought on the SF account, declared to customs.
    let mut buy = shenzhen_to_berlin();
    buy["carrier_account"] = json!(sf);
    buy["service"] = sf_quote["service"]["code"].clone();
    buy["label_format"] = json!("pdf");
    let (s, bought) = api.post("/v1/shipments", buy.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{bought}");
    assert!(
        bought["tracking_number"]
            .as_str()
            .unwrap()
            .starts_with("SF"),
        "{bought}"
    );
    // SF's order answer names no price: the total is the freight SF lists for the waybill.
    assert_eq!(bought["total"]["currency"], "CNY", "{bought}");
    assert!(dec(&bought["total"]["amount"]) > Decimal::ZERO, "{bought}");

    // A mainland product across the border is refused on the service, before SF is asked.
    let mut wrong = buy.clone();
    wrong["service"] = json!("2");
    let (s, refused) = api.post("/v1/shipments", wrong).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("/service"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sf_number_is_followed_through_kuaidi100_once_it_has_the_receivers_phone() {
    let sim_url = start_sim(kuaidi100::router(Sim::default())).await;
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = common::Api::of(&hub);
    let account = api
        .create_account(
            json!({"carrier": "kuaidi100", "name": "快递100", "base_url": sim_url,
            "credentials": {"customer": kuaidi100::CUSTOMER, "key": kuaidi100::KEY,
                "push_secret": "kuaidi100-salt-0123456789",
                "callback_url": "https://hub.example/v1/carrier-events/kuaidi100/acct"}}),
        )
        .await;
    let follow = |phone: Option<&str>| {
        let mut body = json!({"tracking_number": "SF1440000000007", "carrier": "kuaidi100",
            "carrier_account": account, "network": "shunfeng"});
        if let Some(p) = phone {
            body["phone"] = json!(p);
        }
        body
    };
    // Not a phone: refused on the field.
    let (s, bad) = api.post("/v1/trackers", follow(Some("88-2"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad.to_string().contains("/phone"), "{bad}");

    // Without the phone Kuaidi100 shows an SF number nothing (408 验证码错误): the first
    // look, at once, brings no scan.
    let (s, t) = api.post("/v1/trackers", follow(None)).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert!(t["phone_hint"].is_null(), "{t}");
    let id = t["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let blind = api.get_ok(&format!("/v1/trackers/{id}")).await;
    assert!(
        blind["events"].as_array().is_none_or(Vec::is_empty),
        "{blind}"
    );
    assert!(blind["subscribed_at"].is_null(), "{blind}");

    // Followed again with the receiver's phone: the same tracker keeps its last four
    // digits, is looked at again at once, and is polled and subscribed with the phone.
    let (s, again) = api
        .post("/v1/trackers", follow(Some("+86 189 6382 8829")))
        .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["id"], id.as_str(), "{again}");
    assert_eq!(again["phone_hint"], "8829", "{again}");
    let seen = tracker_until(&api, &id, |t| {
        t["status"] == "in_transit" && !t["subscribed_at"].is_null()
    })
    .await;
    assert_eq!(seen["events"].as_array().unwrap().len(), 3, "{seen}");
}

/// SF's billed freight asked in the background through the real binary: the hub is SIGKILLed
/// while SF is slow to answer the second of three waybills; restarted, it takes the pull over
/// once the lease has run out and asks only the waybills not yet answered, then audits all
/// three. A remark (备注) asked for on a purchase is printed on the hub's e-waybill. A pull
/// SF refuses (bad digest) fails with the carrier error's type and retry class.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_killed_mid_way_is_resumed_after_a_restart_and_a_refused_one_fails_with_its_class() {
    let sim = Sim::default();
    let sf_url = start_sim(sf_express::router(sim.clone())).await;
    let mut hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--no-scheduler", "--idempotency-lease", "1"],
    );
    let api = common::Api::of(&hub);
    let sf = api
        .create_account(
            json!({"carrier": "sf_express", "name": "顺丰月结", "base_url": sf_url,
            "credentials": {"partner_id": sf_express::PARTNER_ID,
                "checkword": sf_express::CHECKWORD, "monthly_card": "7551234567"}}),
        )
        .await;
    let mut waybills = Vec::new();
    let mut quoted = Decimal::ZERO;
    for (i, kg) in ["1.2", "2.4", "3.6"].iter().enumerate() {
        let mut buy = hubei_to_xiangyang();
        buy["parcels"][0]["weight"]["value"] = json!(kg);
        buy["carrier_account"] = json!(sf);
        buy["service"] = json!("2");
        buy["label_format"] = json!("pdf");
        if i == 0 {
            buy["options"] = json!({"remark": "易碎品，轻拿轻放"});
        }
        let (s, bought) = api.post("/v1/shipments", buy).await;
        assert_eq!(s, StatusCode::CREATED, "{bought}");
        quoted += dec(&bought["total"]["amount"]);
        waybills.push(bought["tracking_number"].as_str().unwrap().to_string());
        if i == 0 && common::tools_present(&["pdftotext"]) {
            let id = bought["id"].as_str().unwrap();
            let (s, pdf) = api
                .bytes(&format!("/v1/shipments/{id}/label?format=pdf"))
                .await;
            assert_eq!(s, StatusCode::OK);
            let text = common::pdf_text(&pdf);
            assert!(text.contains("备注：易碎品，轻拿轻放"), "{text}");
        }
    }
    // SF answers the first waybill at once and takes its time over the second.
    let path = "/std/service/EXP_RECE_QUERY_SFWAYBILL".to_string();
    for millis in [1, 60_000] {
        sim.push(sim::Fault {
            kind: sim::FaultKind::Slow { millis },
            path: Some(path.clone()),
        });
    }
    let (s, started) = api
        .post(
            "/v1/invoices/pull",
            json!({"carrier_account": sf, "tracking_numbers": waybills}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    assert_eq!(started["status"], "pulling", "{started}");
    assert_eq!(
        started["pull"],
        json!({"asked": 0, "total": 3}),
        "{started}"
    );
    let rid = started["id"].as_str().unwrap().to_string();
    // The same waybills again while they are pulled: refused at once.
    let (s, again) = api
        .post(
            "/v1/invoices/pull",
            json!({"carrier_account": sf, "tracking_numbers": waybills}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{again}");
    assert!(again["detail"].as_str().unwrap().contains(&rid), "{again}");
    let mut progress = Value::Null;
    for _ in 0..100 {
        progress = api.get_ok(&format!("/v1/reconciliations/{rid}")).await;
        if progress["pull"]["asked"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        progress["pull"],
        json!({"asked": 1, "total": 3}),
        "{progress}"
    );
    assert_eq!(progress["status"], "pulling", "{progress}");
    // Killed only once the second waybill's call is at SF (and took the slow answer): killed
    // before it, the resumed pull would meet the 60 s answer itself.
    for _ in 0..100 {
        if sim.hits(&path) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sim.hits(&path), 2, "the second waybill was never asked");

    hub.kill();
    hub.restart();
    let api = api.at(&hub);
    let rec = settled(&api, &rid).await;
    assert_eq!(rec["status"], "completed", "{rec}");
    assert_eq!(rec["packages"], 3, "{rec}");
    assert_eq!(rec["pull"], json!({"asked": 3, "total": 3}), "{rec}");
    let report = &rec["summary"]["report"];
    assert_eq!(dec(&report["total"]["billed"]), quoted, "{report}");
    assert_eq!(
        dec(&report["total"]["recoverable"]),
        Decimal::ZERO,
        "{report}"
    );
    // The first waybill was asked once: after the restart only the two unanswered ones.
    let hits: Value = reqwest::get(format!("{sf_url}/_sim/hits"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits[&path], 4, "{hits}");

    // SF refuses the digest: the pull fails with the carrier error's type and retry class.
    sim.push(sim::Fault {
        kind: sim::FaultKind::Unauthorized,
        path: Some(path.clone()),
    });
    let (s, refused) = api
        .post(
            "/v1/invoices/pull",
            json!({"carrier_account": sf, "tracking_numbers": [waybills[0]]}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{refused}");
    let refused = settled(&api, refused["id"].as_str().unwrap()).await;
    assert_eq!(refused["status"], "failed", "{refused}");
    assert_eq!(
        refused["problem"]["type"], "https://shiphub.dev/problems/carrier-auth",
        "{refused}"
    );
    assert_eq!(refused["problem"]["retryable"], false, "{refused}");
    assert!(refused["files"].is_null(), "{refused}");
}
