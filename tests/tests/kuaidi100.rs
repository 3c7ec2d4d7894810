//! Kuaidi100 end to end: a Kuaidi100 account on the real binary pointing at the Kuaidi100
//! simulator, trackers for a ZTO and a YTO parcel, and the simulator's signed callbacks
//! POSTed to `/v1/carrier-events/kuaidi100/{account}`, which the hub verifies (MD5 of
//! `param + push_secret`), records on the trackers and answers with Kuaidi100's own ack.
//!
//! The adapter's own query, auto-number and subscription are driven here through the
//! registry's `kuaidi100` entry against the same simulator; `tests/tests/china.rs` polls,
//! detects and subscribes through the hub.

mod common;

use std::net::SocketAddr;

use common::Api;
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
