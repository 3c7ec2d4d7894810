//! Kuaidi100 end to end: a Kuaidi100 account on the real binary pointing at the Kuaidi100
//! simulator, trackers for a ZTO and a YTO parcel, and the simulator's signed callbacks
//! POSTed to `/v1/carrier-events/kuaidi100/{account}`, which the hub verifies (MD5 of
//! `param + push_secret`), records on the trackers and answers with Kuaidi100's own ack.
//!
//! The adapter's own query, auto-number and subscription are driven here through the
//! registry's `kuaidi100` entry against the same simulator; `tests/tests/china.rs` polls,
//! detects and subscribes through the hub. E-waybills: a ZTO waybill bought through the hub
//! on an account with e-waybill credentials, its 76×130 mm label read back in Chinese and its
//! barcode decoded, then cancelled; the simulator's sign check and refusals through the adapter.

mod common;

use std::net::SocketAddr;

use common::Api;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shiphub_carriers::model::{TrackQuery, TrackingNumber, TrackingStatus};
use shiphub_carriers::{CarrierError, CarrierHttp};
use shiphub_e2e::sim::{self, Sim, kuaidi100};

const SALT: &str = "kuaidi100-salt-0123456789";
const ZTO: &str = "75312345678901";
const YTO: &str = "YT6186594166532";
const ACK: &str = r#"{"result":true,"returnCode":"200","message":"提交成功"}"#;

async fn start_sim() -> String {
    let addr = sim::serve(
        kuaidi100::router(Sim::default()),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    format!("http://{addr}")
}

fn credentials(callback_url: &str) -> Value {
    json!({"customer": kuaidi100::CUSTOMER, "key": kuaidi100::KEY, "push_secret": SALT,
           "callback_url": callback_url})
}

async fn push(sim_url: &str, number: &str, url: &str, salt: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{sim_url}/_sim/kuaidi100/push"))
        .json(&json!({"number": number, "url": url, "salt": salt}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

#[tokio::test]
async fn zto_and_yto_parcels_are_pushed_through_the_hub_and_polled_through_the_adapter() {
    let sim_url = start_sim().await;
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    // The callback URL is the account's own intake, known once the account exists: the
    // account is created first, then its URL given to the adapter below.
    let acc = api
        .created(
            "/v1/carrier-accounts",
            json!({"carrier": "kuaidi100", "name": "Kuaidi100", "base_url": sim_url,
                   "credentials": credentials("https://hub.example/v1/carrier-events/kuaidi100/x")}),
        )
        .await;
    let account = acc["id"].as_str().unwrap().to_string();
    let intake = api.url(&format!("/v1/carrier-events/kuaidi100/{account}"));

    let mut trackers = Vec::new();
    for number in [ZTO, YTO] {
        let t = api
            .created(
                "/v1/trackers",
                json!({"tracking_number": number, "carrier": "kuaidi100", "carrier_account": account}),
            )
            .await;
        assert_eq!(t["carrier"], "kuaidi100", "{t}");
        trackers.push(t["id"].as_str().unwrap().to_string());
    }

    // Pushed: each callback verifies, is acknowledged in Kuaidi100's words, and lands.
    for number in [ZTO, YTO] {
        let answer = push(&sim_url, number, &intake, SALT).await;
        assert_eq!(answer["status"], 200, "{answer}");
        assert_eq!(answer["body"], ACK, "{answer}");
    }
    let zto = api.json(&format!("/v1/trackers/{}", trackers[0])).await;
    assert_eq!(zto["status"], "in_transit", "{zto}");
    let codes: Vec<&str> = zto["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["carrier_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["103", "1002", "1001"], "{zto}");
    assert!(
        zto["events"][0]["occurred_at"]
            .as_str()
            .unwrap()
            .ends_with("+08:00"),
        "{zto}"
    );
    let yto = api.json(&format!("/v1/trackers/{}", trackers[1])).await;
    assert_eq!(yto["status"], "delivered", "{yto}");

    // A callback signed with another salt is refused, and changes nothing.
    let forged = push(&sim_url, ZTO, &intake, "not-the-salt-0123456789").await;
    assert_eq!(forged["status"], 401, "{forged}");

    // Polled, identified and subscribed through the adapter against the same simulator.
    let entry = shiphub_carriers::registry::lookup(shiphub_carriers::CARRIERS, "kuaidi100")
        .expect("kuaidi100 is registered");
    let http = CarrierHttp::new(reqwest::Client::new(), Some(sim_url.parse().unwrap()));
    let adapter = (entry.build)(credentials(&intake), http).unwrap();
    let zto_n: TrackingNumber = ZTO.parse().unwrap();
    let yto_n: TrackingNumber = YTO.parse().unwrap();
    let guesses = adapter.identify(&zto_n).await.unwrap();
    assert_eq!(guesses[0].code, "zhongtong");
    assert_eq!(adapter.identify(&yto_n).await.unwrap()[0].code, "yuantong");
    let q = |n: &TrackingNumber, net: &str| {
        TrackQuery::new(n.clone(), None).in_network(Some(net.into()))
    };
    let polled = adapter
        .track_parcels(&[q(&zto_n, "zhongtong")])
        .await
        .unwrap();
    assert_eq!(polled[0].status, TrackingStatus::InTransit);
    assert_eq!(polled[0].events.len(), 3);
    let polled = adapter
        .track_parcels(&[q(&yto_n, "yuantong")])
        .await
        .unwrap();
    assert_eq!(
        (polled[0].status, polled[0].carrier_code.as_str()),
        (TrackingStatus::Delivered, "301")
    );
    // The wrong network: Kuaidi100 has no result yet, an empty answer rather than an error.
    let none = adapter
        .track_parcels(&[q(&yto_n, "zhongtong")])
        .await
        .unwrap();
    assert_eq!(
        (none[0].status, none[0].events.len()),
        (TrackingStatus::Unknown, 0)
    );

    // An SF number shows its scans only with the sender's or receiver's phone (its last
    // four digits suffice): without it the query is refused on `/phone`, and so is the
    // subscription.
    let sf_n: TrackingNumber = "SF1440000000014".parse().unwrap();
    match adapter.track_parcels(&[q(&sf_n, "shunfeng")]).await {
        Err(CarrierError::Rejected { errors, .. }) => {
            assert_eq!(errors[0].field, "/phone", "{errors:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(adapter.subscribe(&q(&sf_n, "shunfeng")).await.is_err());
    let with_phone = q(&sf_n, "shunfeng").with_phone(Some("8829".into()));
    let polled = adapter
        .track_parcels(std::slice::from_ref(&with_phone))
        .await
        .unwrap();
    assert_eq!(polled[0].status, TrackingStatus::InTransit);
    assert_eq!(polled[0].events.len(), 3);
    adapter.subscribe(&with_phone).await.unwrap();

    // Subscribed: then the simulator pushes to the subscription's URL and salt by itself.
    adapter.subscribe(&q(&zto_n, "zhongtong")).await.unwrap();
    adapter.subscribe(&q(&zto_n, "zhongtong")).await.unwrap(); // 501: already subscribed
    let r = reqwest::Client::new()
        .post(format!("{sim_url}/_sim/kuaidi100/push"))
        .json(&json!({"number": ZTO}))
        .send()
        .await
        .unwrap();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(
        (answer["status"].as_u64(), answer["body"].as_str()),
        (Some(200), Some(ACK)),
        "{answer}"
    );
}

#[tokio::test]
async fn the_simulator_checks_the_sign_and_scripts_kuaidi100_faults() {
    let sim_url = start_sim().await;
    let entry =
        shiphub_carriers::registry::lookup(shiphub_carriers::CARRIERS, "kuaidi100").unwrap();
    let build = |key: &str| {
        let mut c = credentials("https://hub.example/cb");
        c["key"] = json!(key);
        let http = CarrierHttp::new(reqwest::Client::new(), Some(sim_url.parse().unwrap()));
        (entry.build)(c, http).unwrap()
    };
    let q = TrackQuery::new(ZTO.parse().unwrap(), None).in_network(Some("zhongtong".into()));
    // A key the simulator does not know makes a sign it refuses: 503, the account's to fix.
    let e = build("wrong-key")
        .track_parcels(std::slice::from_ref(&q))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, CarrierError::Auth { code: Some(c), .. } if c == "503"),
        "{e:?}"
    );
    let good = build(kuaidi100::KEY);
    let fault = |code: &str| {
        let sim_url = sim_url.clone();
        let code = code.to_string();
        async move {
            reqwest::Client::new()
                .post(format!("{sim_url}/_sim/kuaidi100/faults"))
                .json(&json!({"return_code": code}))
                .send()
                .await
                .unwrap();
        }
    };
    fault("601").await; // the paid volume used up / key expired
    let e = good
        .track_parcels(std::slice::from_ref(&q))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, CarrierError::Auth { code: Some(c), .. } if c == "601"),
        "{e:?}"
    );
    fault("500").await; // no result yet
    let r = good.track_parcels(std::slice::from_ref(&q)).await.unwrap();
    assert_eq!(
        (r[0].status, r[0].carrier_code.as_str()),
        (TrackingStatus::Unknown, "500")
    );
    fault("502").await; // busy: retried by the hub
    assert!(
        good.track_parcels(std::slice::from_ref(&q))
            .await
            .unwrap_err()
            .is_retryable()
    );
    assert_eq!(good.track_parcels(&[q]).await.unwrap()[0].events.len(), 3);
}

fn ewaybill_credentials() -> Value {
    let mut c = credentials("https://hub.example/v1/carrier-events/kuaidi100/x");
    c["secret"] = json!(kuaidi100::SECRET);
    c["networks"] = json!({"zhongtong": {"partner_id": "ZTO-HB-0001", "partner_key": "ztoKey",
                                          "exp_type": "标准快递"}});
    c
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zto_waybill_is_bought_through_kuaidi100_printed_in_chinese_tracked_and_cancelled() {
    let sim_url = start_sim().await;
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--no-scheduler"]);
    let api = Api::of(&hub);

    // A tracking-only account is refused the purchase, naming what it lacks.
    let tracking_only = api
        .create_account(
            json!({"carrier": "kuaidi100", "name": "快递100 查询", "base_url": sim_url,
            "credentials": credentials("https://hub.example/v1/carrier-events/kuaidi100/x")}),
        )
        .await;
    let mut buy = hubei_to_xiangyang();
    buy["carrier_account"] = json!(tracking_only);
    buy["service"] = json!("zhongtong");
    let (s, refused) = api.post("/v1/shipments", buy).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    // (The hub withholds the adapter's words for a non-official host such as this simulator;
    // the adapter's message is checked in the unit tests.)
    assert_eq!(
        refused["errors"][0]["pointer"], "/carrier_account",
        "{refused}"
    );

    let k100 = api
        .create_account(json!({"carrier": "kuaidi100", "name": "快递100 电子面单",
            "base_url": sim_url, "credentials": ewaybill_credentials()}))
        .await;
    let (s, carriers) = api.get("/v1/carriers").await;
    assert_eq!(s, StatusCode::OK);
    let k = carriers["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "kuaidi100")
        .unwrap_or_else(|| panic!("{carriers}"))
        .clone();
    let supports = k["capabilities"]["supports"].to_string();
    assert!(
        supports.contains("\"ship\"") && supports.contains("\"void\""),
        "{k}"
    );

    // A network this account has no e-waybill account for: refused on /service.
    let mut buy = hubei_to_xiangyang();
    buy["carrier_account"] = json!(k100);
    buy["service"] = json!("yunda");
    let (s, refused) = api.post("/v1/shipments", buy).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["pointer"], "/service", "{refused}");

    let mut buy = hubei_to_xiangyang();
    buy["carrier_account"] = json!(k100);
    buy["service"] = json!("zhongtong");
    buy["label_format"] = json!("pdf");
    buy["reference"] = json!("QIAO-20261206-002");
    let (s, bought) = api.post("/v1/shipments", buy).await;
    assert_eq!(s, StatusCode::CREATED, "{bought}");
    let waybill = bought["tracking_number"].as_str().unwrap().to_string();
    assert!(
        waybill.starts_with("7531") && waybill.len() == 14,
        "a ZTO number from the simulator: {bought}"
    );

    // The hub draws the networks' 76×130 mm e-waybill with the ZTO number.
    let id = bought["id"].as_str().unwrap().to_string();
    let (s, pdf) = api
        .bytes(&format!("/v1/shipments/{id}/label?format=pdf"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF"));
    if common::tools_present(&["pdftotext", "pdftoppm", "zbarimg", "pdfinfo"]) {
        let info = std::process::Command::new("pdfinfo")
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(&pdf)?;
                c.wait_with_output()
            })
            .unwrap();
        let info = String::from_utf8_lossy(&info.stdout).to_string();
        // 76 × 130 mm = 215.43 × 368.5 pt.
        assert!(info.contains("215.4") && info.contains("368.5"), "{info}");
        let text = common::pdf_text(&pdf);
        for words in [
            "郭襄阳",
            "湖北省",
            "襄阳市",
            "襄城区",
            "环城东路122号",
            "张三丰",
            "中通快递",
        ] {
            assert!(text.contains(words), "{words} not in {text}");
        }
        assert!(text.contains("189****8829"), "{text}");
        assert!(
            common::decode_pdf_barcodes(&pdf).contains(&waybill),
            "{waybill} not decoded"
        );
    }

    // Tracked through the same account: the simulator's ZTO parcel is in transit.
    let entry =
        shiphub_carriers::registry::lookup(shiphub_carriers::CARRIERS, "kuaidi100").unwrap();
    let http = CarrierHttp::new(reqwest::Client::new(), Some(sim_url.parse().unwrap()));
    let adapter = (entry.build)(ewaybill_credentials(), http).unwrap();
    let q = TrackQuery::new(waybill.parse().unwrap(), None).in_network(Some("zhongtong".into()));
    let polled = adapter.track_parcels(&[q]).await.unwrap();
    assert_eq!(polled[0].status, TrackingStatus::InTransit);

    // Cancelled through Kuaidi100.
    let (s, voided) = api
        .post(&format!("/v1/shipments/{id}/void"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{voided}");
    assert_eq!(voided["status"], "voided", "{voided}");
}

#[tokio::test]
async fn the_simulator_checks_the_ewaybill_sign_and_scripts_its_refusals() {
    use shiphub_carriers::model::ShipRequest;
    let sim_url = start_sim().await;
    let entry =
        shiphub_carriers::registry::lookup(shiphub_carriers::CARRIERS, "kuaidi100").unwrap();
    let build = |secret: &str| {
        let mut c = ewaybill_credentials();
        c["secret"] = json!(secret);
        let http = CarrierHttp::new(reqwest::Client::new(), Some(sim_url.parse().unwrap()));
        (entry.build)(c, http).unwrap()
    };
    let mut req = hubei_to_xiangyang();
    req["service"] = json!("zhongtong");
    let req: ShipRequest = serde_json::from_value(req).unwrap();

    // A secret the simulator does not know makes a sign it refuses: the account's to fix.
    let e = build("not-the-secret").ship(&req).await.unwrap_err();
    assert!(
        matches!(&e, CarrierError::Auth { code: Some(c), .. } if c == "30002"),
        "{e:?}"
    );
    let good = build(kuaidi100::SECRET);
    let fault = |code: &str| {
        let sim_url = sim_url.clone();
        let code = code.to_string();
        async move {
            reqwest::Client::new()
                .post(format!("{sim_url}/_sim/kuaidi100/faults"))
                .json(&json!({"return_code": code}))
                .send()
                .await
                .unwrap();
        }
    };
    // The network's outlet has no e-waybill balance: refused in its words, never retried.
    fault("30005").await;
    match good.ship(&req).await.unwrap_err() {
        CarrierError::Rejected { errors, .. } => {
            assert!(errors[0].message.contains("余额不足"), "{errors:?}")
        }
        other => panic!("{other:?}"),
    }
    fault("-1").await; // Kuaidi100's server: retryable, but the purchase may have gone through
    let e = good.ship(&req).await.unwrap_err();
    assert!(
        matches!(
            &e,
            CarrierError::Transient {
                maybe_processed: true,
                ..
            }
        ),
        "{e:?}"
    );
    fault("30004").await; // Kuaidi100's own paid volume used up: fix the account
    assert!(matches!(
        good.ship(&req).await.unwrap_err(),
        CarrierError::Auth { code: Some(c), .. } if c == "30004"
    ));
    // A receiver without a phone is refused by Kuaidi100 (the simulator checks the demo's
    // required fields) if the hub ever let one through; the adapter refuses it first.
    let mut no_phone = req.clone();
    no_phone.shipment.to.phone = None;
    match good.ship(&no_phone).await.unwrap_err() {
        CarrierError::Rejected { errors, .. } => assert_eq!(errors[0].field, "/to/phone"),
        other => panic!("{other:?}"),
    }
    // Bought, then the same order again answers the same number; cancelled once only.
    let w = good.ship(&req).await.unwrap();
    assert_eq!(
        good.ship(&req).await.unwrap().tracking_number,
        w.tracking_number
    );
    let r = shiphub_carriers::model::WaybillRef {
        tracking_number: w.tracking_number.clone(),
        carrier_shipment_id: w.carrier_shipment_id.clone(),
        pieces: w.pieces.clone(),
    };
    good.void(&r).await.unwrap();
    assert!(matches!(
        good.void(&r).await.unwrap_err(),
        CarrierError::Rejected { .. }
    ));
}

/// The README's Kuaidi100 e-waybill block (after `<!-- readme-test: kuaidi100-ewaybill -->`),
/// run as written in `sh -eu` against the real binary and this simulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_kuaidi100_ewaybill_block_runs_as_written() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    let marker = "<!-- readme-test: kuaidi100-ewaybill -->";
    let after = &readme[readme.find(marker).expect("the README has the block") + marker.len()..];
    let after = after
        .trim_start()
        .strip_prefix("```sh\n")
        .expect("a ```sh block follows the marker");
    let block = &after[..after.find("\n```").expect("the block ends")];

    let sim_url = start_sim().await;
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--no-scheduler"]);
    let api = Api::of(&hub);
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new("sh")
        .arg("-eu")
        .arg("-c")
        .arg(block)
        .current_dir(dir.path())
        .env("HUB", &hub.base)
        .env("KEY", &api.key)
        .env("K100", &sim_url)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "README block failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bought: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("zto.json")).unwrap()).unwrap();
    assert!(
        bought["tracking_number"]
            .as_str()
            .unwrap()
            .starts_with("7531"),
        "{bought}"
    );
    let label = std::fs::read(dir.path().join("zto-label.pdf")).unwrap();
    assert!(label.starts_with(b"%PDF"));
    let id = bought["id"].as_str().unwrap();
    assert_eq!(
        api.json(&format!("/v1/shipments/{id}")).await["status"],
        "voided"
    );
}
