//! Pickups and end-of-day closes through crashes, against the real binary (issue 18): a
//! booking or a SCAN form sent to the carrier when the hub is SIGKILLed leaves its
//! Idempotency-Key claimed; after a restart the retry with the same key gets a final
//! `carrier-outcome-unknown` problem naming what to check, replayed ever after, and the
//! carrier is never asked a second time.

mod common;

use common::Api;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Fault, FaultKind, Sim};

/// The lease the tests run with (the default is 30 s).
const LEASE: &str = "1.5";

const UNKNOWN: &str = "https://shiphub.dev/problems/carrier-outcome-unknown";

fn warehouse() -> Value {
    json!({"name":"Dock","company":"Shipper Inc","street":["100 Main St"],"city":"Atlanta",
           "state":"GA","postal_code":"30301","country":"US","phone":"+14045550100",
           "email":"dock@example.com"})
}

fn customer() -> Value {
    json!({"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA",
           "postal_code":"94105","country":"US","residential":true,"phone":"+14155550100"})
}

async fn serve(router: axum::Router) -> String {
    let addr = sim::serve(router, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    format!("http://{addr}")
}

/// Posts `body` under `key` while `sim` answers `path` slowly, SIGKILLs the hub once the
/// request reached the carrier, restarts it and retries with the same key until a final
/// answer (the key is in progress until its lease runs out).
async fn killed_mid_call(
    hub: &mut common::Hub,
    api: &Api,
    sim: &Sim,
    path: &str,
    route: &str,
    body: &Value,
    key: &str,
) -> (StatusCode, Value) {
    sim.push(Fault {
        kind: FaultKind::Slow { millis: 4_000 },
        path: Some(path.into()),
    });
    let before = sim.hits(path);
    let in_flight = {
        let (api, body, route, key) = (
            api.clone(),
            body.clone(),
            route.to_string(),
            key.to_string(),
        );
        tokio::spawn(async move { api.try_post(&route, &body, Some(&key)).await })
    };
    let t = Instant::now();
    while sim.hits(path) == before {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{route} never reached {path}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    hub.kill();
    assert!(in_flight.await.unwrap().is_err(), "killed mid-call");
    hub.restart();
    let restarted = Instant::now();
    loop {
        let answer = api.try_post(route, body, Some(key)).await;
        if let Ok((status, body)) = &answer {
            // Final: anything but "in progress" (409 of another type) or a server not up yet.
            let in_progress = *status == StatusCode::CONFLICT && body["type"] != UNKNOWN;
            if !in_progress && !status.is_server_error() {
                return answer.unwrap();
            }
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(10),
            "no final answer within the lease ({LEASE} s) after the restart: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_unknown(status: StatusCode, answer: &Value, account: &str) {
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["type"], UNKNOWN, "{answer}");
    assert_eq!(answer["retryable"], json!(false), "{answer}");
    let detail = answer["detail"].as_str().unwrap();
    assert!(
        detail.contains(account),
        "names the account to check: {answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pickup_or_a_scan_form_sent_when_the_hub_died_is_never_sent_twice() {
    let (ups, usps) = (Sim::default(), Sim::default());
    let ups_url = serve(sim::ups::router(ups.clone())).await;
    let usps_url = serve(sim::usps::router(usps.clone())).await;
    let mut hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--idempotency-lease", LEASE],
    );
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    let api = Api::with_key(&hub, boot["api_key"].as_str().unwrap()).using(
        reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    );
    let ups_account = api.create_account(common::ups_account(&ups_url)).await;
    let usps_account = api
        .create_account(json!({"carrier":"usps","name":"USPS","base_url": usps_url,
        "credentials":{"client_id":"usps-app","client_secret":"usps-secret","crid":"12345678",
                       "mid":"123456","account_number":"1000000000","requests_per_hour":100000}}))
        .await;

    // A UPS pickup booking in flight at the kill.
    let tomorrow = (time::OffsetDateTime::now_utc().date() + time::Duration::days(1)).to_string();
    let pickup = json!({"carrier_account": ups_account, "address": warehouse(), "date": tomorrow,
        "ready_time": "09:00", "close_time": "17:00", "parcel_count": 2,
        "total_weight": {"value": "5", "unit": "kg"}});
    let (status, answer) = killed_mid_call(
        &mut hub,
        &api,
        &ups,
        "/api/pickupcreation",
        "/v1/pickups",
        &pickup,
        "pickup-killed",
    )
    .await;
    assert_unknown(status, &answer, &ups_account);
    assert!(
        answer["detail"].as_str().unwrap().contains(&tomorrow),
        "{answer}"
    );
    let (again, replay) = api
        .try_post("/v1/pickups", &pickup, Some("pickup-killed"))
        .await
        .unwrap();
    assert_eq!(
        (again, &replay),
        (StatusCode::CONFLICT, &answer),
        "replayed"
    );
    assert_eq!(ups.hits("/api/pickupcreation"), 1, "booked at most once");
    assert!(api.all("/v1/pickups").await.is_empty());

    // A USPS SCAN form in flight at the kill.
    let mut label = json!({"from": warehouse(), "to": customer(),
        // USPS prices by size as well as weight: a parcel without dimensions is refused.
        "parcels": [{"weight": {"value": "1.5", "unit": "kg"},
                     "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}}],
        "carrier_account": usps_account, "service": "USPS_GROUND_ADVANTAGE", "label_format": "pdf"});
    label["reference"] = json!("eod-1");
    let bought = api.created("/v1/shipments", &label).await;
    let close = json!({"carrier_account": usps_account, "shipments": [bought["id"]]});
    let (status, answer) = killed_mid_call(
        &mut hub,
        &api,
        &usps,
        "/scan-forms/v3/scan-form",
        "/v1/manifests",
        &close,
        "close-killed",
    )
    .await;
    assert_unknown(status, &answer, &usps_account);
    let (again, replay) = api
        .try_post("/v1/manifests", &close, Some("close-killed"))
        .await
        .unwrap();
    assert_eq!(
        (again, &replay),
        (StatusCode::CONFLICT, &answer),
        "replayed"
    );
    assert_eq!(
        usps.hits("/scan-forms/v3/scan-form"),
        1,
        "closed at most once"
    );
    assert!(api.all("/v1/manifests").await.is_empty());

    // The unknown outcome is the key's alone: the same booking under a new key books.
    let (s, booked) = api
        .try_post("/v1/pickups", &pickup, Some("pickup-fresh"))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    assert_eq!(ups.hits("/api/pickupcreation"), 2);
}

/// A void and a close of the same shipment in flight together (issue 18): whichever holds
/// the shipment first goes to the carrier, the other is refused with a 409 before the carrier
/// hears of it, so USPS never cancels a label that a SCAN form being written lists, nor lists
/// one being cancelled. A day's close leaves a shipment being voided out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_void_and_a_close_of_one_shipment_never_both_reach_the_carrier() {
    let usps = Sim::default();
    let usps_url = serve(sim::usps::router(usps.clone())).await;
    let hub = common::start(tempfile::tempdir().unwrap());
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    let api = Api::with_key(&hub, boot["api_key"].as_str().unwrap());
    let account = api
        .create_account(json!({"carrier":"usps","name":"USPS","base_url": usps_url,
        "credentials":{"client_id":"usps-app","client_secret":"usps-secret","crid":"12345678",
                       "mid":"123456","account_number":"1000000000","requests_per_hour":100000}}))
        .await;
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let buy = |n: u32| {
        let api = api.clone();
        let account = account.clone();
        let today = today.clone();
        async move {
            api.created(
                "/v1/shipments",
                &json!({"from": warehouse(), "to": customer(), "reference": format!("race-{n}"),
                    "parcels": [{"weight": {"value": "1.5", "unit": "kg"},
                        "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}}],
                    "carrier_account": account, "service": "USPS_GROUND_ADVANTAGE",
                    "label_format": "pdf", "ship_date": today}),
            )
            .await["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (a, b, c) = (buy(1).await, buy(2).await, buy(3).await);
    let wait_for = |path: &'static str, before: u64| {
        let usps = usps.clone();
        async move {
            let t = Instant::now();
            while usps.hits(path) == before {
                assert!(t.elapsed() < Duration::from_secs(10), "{path} never asked");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    const CANCEL: &str = "/labels/v3/label/";
    const SCAN: &str = "/scan-forms/v3/scan-form";

    // The void of `a` is at the carrier: a close naming it is refused before USPS is asked,
    // and the day's close leaves it out.
    usps.push(Fault {
        kind: FaultKind::Slow { millis: 2_000 },
        path: Some(CANCEL.into()),
    });
    let before = usps.hits(CANCEL);
    let void = {
        let (api, a) = (api.clone(), a.clone());
        tokio::spawn(async move {
            api.post(&format!("/v1/shipments/{a}/void"), json!({}))
                .await
        })
    };
    wait_for(CANCEL, before).await;
    let (status, p) = api
        .post(
            "/v1/manifests",
            json!({"carrier_account": account, "shipments": [b, a]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains(&format!("void:{a}")),
        "{p}"
    );
    assert_eq!(usps.hits(SCAN), 0, "the carrier never heard of that close");
    // The refused close held nothing: `b` is still free for the day's close.
    let day = api
        .created(
            "/v1/manifests",
            &json!({"carrier_account": account, "ship_date": today}),
        )
        .await;
    let listed: Vec<&str> = day["shipments"]
        .as_array()
        .unwrap_or_else(|| panic!("{day}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        !listed.contains(&a.as_str()),
        "the day's close took the shipment being voided: {day}"
    );
    assert!(
        listed.contains(&b.as_str()) && listed.contains(&c.as_str()),
        "{day}"
    );
    let (status, voided) = void.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{voided}");
    assert_eq!(voided["status"], "voided");

    // The other way round: a close of `d` is at the carrier; a void of `d` is refused before
    // USPS is asked, and the close lists it.
    let d = buy(4).await;
    usps.push(Fault {
        kind: FaultKind::Slow { millis: 2_000 },
        path: Some(SCAN.into()),
    });
    let before = usps.hits(SCAN);
    let close = {
        let (api, account, d) = (api.clone(), account.clone(), d.clone());
        tokio::spawn(async move {
            api.post(
                "/v1/manifests",
                json!({"carrier_account": account, "shipments": [d]}),
            )
            .await
        })
    };
    wait_for(SCAN, before).await;
    let cancels = usps.hits(CANCEL);
    let (status, p) = api
        .post(&format!("/v1/shipments/{d}/void"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("manifest:"), "{p}");
    assert_eq!(
        usps.hits(CANCEL),
        cancels,
        "the carrier never heard of that void"
    );
    let (status, m) = close.await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(m["shipments"], json!([d]));
    assert_eq!(
        api.get_ok(&format!("/v1/shipments/{d}")).await["status"],
        "purchased"
    );
}
