//! The tracking scheduler through the real binary: sandbox parcels bought with each scripted
//! scenario are polled on their own (a day of intervals runs in seconds with
//! `--tracking-speedup`) and each produces its event for subscribers; trackers for numbers
//! shipped elsewhere are detected, wait for an account, and start when one is added.

mod common;

use common::{Api, Succeeds};

use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn shipment(account: &str, reference: &str, ship_date: &str) -> Value {
    json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
           "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US"},
           "parcels":[{"weight":{"value":"1","unit":"kg"}}], "ship_date": ship_date,
           "carrier_account": account, "service": "express", "reference": reference})
}

#[tokio::test]
async fn every_sandbox_scenario_is_polled_to_its_event() {
    // 20,000× faster: 4 h in transit → 0.7 s; express stall gap 36 h → 6.5 s.
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--tracking-speedup", "20000", "--tracking-tick-ms", "100"],
    );
    let api = Api::of(&hub);
    let acc = api
        .created(
            "/v1/carrier-accounts",
            json!({"carrier":"sandbox","name":"fast","credentials":{"step_seconds":1}}),
        )
        .await;
    let account = acc["id"].as_str().unwrap().to_string();
    let today = time::OffsetDateTime::now_utc().date();
    let long_ago = (today - time::Duration::days(14)).to_string();
    let mut bought = vec![];
    for (reference, date) in [
        ("PLAIN", today.to_string()),
        ("EXCEPTION", today.to_string()),
        ("ATTEMPT_FAIL", today.to_string()),
        ("RETURN", today.to_string()),
        ("STALL", today.to_string()),
        ("LATE-PLAIN", long_ago),
    ] {
        let shp = api
            .created("/v1/shipments", shipment(&account, reference, &date))
            .await;
        bought.push((reference, shp["id"].as_str().unwrap().to_string()));
    }
    let id_of = |r: &str| bought.iter().find(|(x, _)| *x == r).unwrap().1.clone();
    let expected: Vec<(&str, &str, Option<&str>)> = vec![
        ("PLAIN", "shipment.delivered", None),
        ("EXCEPTION", "shipment.exception", Some("exception")),
        ("EXCEPTION", "shipment.delivered", None),
        ("ATTEMPT_FAIL", "shipment.exception", Some("attempt_failed")),
        ("RETURN", "shipment.exception", Some("returned")),
        ("STALL", "shipment.stalled", None),
        ("LATE-PLAIN", "shipment.late", None),
    ];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let events = api.all("/v1/events?limit=100").await;
        let found = |r: &str, kind: &str, reason: Option<&str>| {
            events.iter().any(|e| {
                e["type"] == kind
                    && e["data"]["shipment_id"] == id_of(r).as_str()
                    && reason.is_none_or(|x| {
                        e["data"]["reason"]
                            .as_str()
                            .is_some_and(|y| y == x || x == "exception")
                    })
            })
        };
        let missing: Vec<_> = expected
            .iter()
            .filter(|(r, k, why)| !found(r, k, *why))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "still missing: {missing:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let events = api.all("/v1/events?limit=100").await;
    let count = |kind: &str, r: &str| {
        events
            .iter()
            .filter(|e| e["type"] == kind && e["data"]["shipment_id"] == id_of(r).as_str())
            .count()
    };
    // Each said once, however many polls saw it; a stalled parcel is never "delivered".
    assert_eq!(count("shipment.delivered", "PLAIN"), 1);
    assert_eq!(count("shipment.stalled", "STALL"), 1);
    assert_eq!(count("shipment.delivered", "STALL"), 0);
    assert_eq!(count("shipment.late", "LATE-PLAIN"), 1);
    // The tracker shows the whole story; delivered ones are no longer polled.
    let list = api.json("/v1/trackers?status=delivered&limit=100").await;
    let delivered = list["data"].as_array().unwrap();
    assert!(delivered.iter().all(|t| t["next_check_at"].is_null()));
    let plain = delivered
        .iter()
        .find(|t| t["shipment_id"] == id_of("PLAIN").as_str())
        .expect("the plain parcel is delivered");
    let full = api
        .json(&format!("/v1/trackers/{}", plain["id"].as_str().unwrap()))
        .await;
    let codes: Vec<&str> = full["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["carrier_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["LC", "PU", "AR", "OD", "DL"],
        "each scan once, oldest first"
    );
    assert!(full["last_checked_at"].is_string());
}

#[tokio::test]
async fn numbers_shipped_elsewhere_are_detected_wait_for_an_account_and_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::db_url(dir.path());
    let created: Value =
        serde_json::from_str(common::cli(&db, &["tenant", "create", "acme"]).trim()).unwrap();
    let hub = common::start_with(
        dir,
        &["--tracking-speedup", "20000", "--tracking-tick-ms", "100"],
    );
    let api = Api::with_key(&hub, created["api_key"].as_str().unwrap());
    // Not a tracking number of any carrier.
    let (s, p) = api
        .post("/v1/trackers", json!({"tracking_number": "HELLO123456"}))
        .await;
    assert_eq!(s, 422);
    assert_eq!(p["errors"][0]["pointer"], "/tracking_number", "{p}");
    // A UPS 1Z number (check digit right): detected, and waits for a UPS account.
    let t = api
        .created(
            "/v1/trackers",
            json!({"tracking_number": "1Z999AA10123456784"}),
        )
        .await;
    assert_eq!(t["carrier"], "ups");
    assert_eq!(t["waiting_reason"], "no_carrier_account");
    assert!(t["next_check_at"].is_null());
    let (s, again) = api
        .post(
            "/v1/trackers",
            json!({"tracking_number": "1z999aa10123456784"}),
        )
        .await;
    assert_eq!(s, 200, "the same parcel is followed once");
    assert_eq!(again["id"], t["id"]);
    // Under a key, that answer is the key's: its retry replays it (it once stayed claimed
    // until its lease ran out, a 409 to every retry meanwhile).
    let body = json!({"tracking_number": "1Z999AA10123456784"});
    for replayed in [false, true] {
        let res = api
            .post_response("/v1/trackers", &body, Some("follow-again"))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers().get("idempotent-replayed").is_some(),
            replayed,
            "{:?}",
            res.headers()
        );
        assert_eq!(res.json::<Value>().await.unwrap()["id"], t["id"]);
    }

    // A sandbox number from another tenant's purchase: the acme tenant has no sandbox
    // account yet, so it waits; adding one starts the polling.
    let number = "SB0179601871630612";
    let sb = api
        .created("/v1/trackers", json!({"tracking_number": number}))
        .await;
    assert_eq!(sb["carrier"], "sandbox");
    assert_eq!(sb["waiting_reason"], "no_carrier_account");
    let (s, _) = api
        .post(
            "/v1/carrier-accounts",
            json!({"carrier":"sandbox","name":"sb","credentials":{"step_seconds":1}}),
        )
        .await;
    assert_eq!(s, 201);
    let path = format!("/v1/trackers/{}", sb["id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = api.json(&path).await;
        if t["waiting_reason"].is_null() && t["last_checked_at"].is_string() {
            assert!(!t["events"].as_array().unwrap().is_empty(), "{t}");
            break;
        }
        assert!(Instant::now() < deadline, "the tracker never started: {t}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn ups_track_alert_pushes_go_through_the_tracker_and_timeliness_reports_them() {
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--no-scheduler"]);
    let api = Api::of(&hub);
    let secret = "push-secret-0123456789";
    let acc = api
        .created(
            "/v1/carrier-accounts",
            json!({"carrier":"ups","name":"ups","base_url":"https://wwwcie.ups.com",
                   "credentials":{"client_id":"c","client_secret":"s","account_number":"A1B2C3","push_secret":secret}}),
        )
        .await;
    let account = acc["id"].as_str().unwrap();
    let t = api
        .created(
            "/v1/trackers",
            json!({"tracking_number":"1Z204W4R0308071865","carrier":"ups"}),
        )
        .await;
    // UPS gets its token from our token URL with the account id and secret…
    let token: Value = api
        .http
        .post(format!(
            "{}/v1/carrier-events/ups/{account}/token",
            hub.base
        ))
        .basic_auth(account, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = token["access_token"].as_str().unwrap().to_string();
    let wrong = api
        .http
        .post(format!(
            "{}/v1/carrier-events/ups/{account}/token",
            hub.base
        ))
        .basic_auth(account, Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // …and sends Track Alert events with it (the spec's two examples).
    let out_for_delivery = json!({"trackingNumber":"1Z204W4R0308071865","localActivityDate":"20240423","localActivityTime":"091519",
        "activityLocation":{"city":"Charlotte","stateProvince":"NC","postalCode":"30004","country":"US"},
        "activityStatus":{"type":"I","code":"OT","description":"Out for Delivery","descriptionCode":"021"},
        "scheduledDeliveryDate":"20240423","gmtActivityDate":"20240423","gmtActivityTime":"131519"});
    let delivered = json!({"trackingNumber":"1Z204W4R0308071865","localActivityDate":"20240423","localActivityTime":"095004",
        "activityLocation":{"city":"CHARLOTTE","stateProvince":"NC","postalCode":"28209","country":"US"},
        "activityStatus":{"type":"D","code":"FS","description":"Delivered","descriptionCode":11},
        "gmtActivityDate":"20240423","gmtActivityTime":"135004","receivedBy":"John"});
    let push = |body: Value, bearer: String| {
        let http = api.http.clone();
        let url = format!("{}/v1/carrier-events/ups/{account}", hub.base);
        async move {
            http.post(url)
                .bearer_auth(bearer)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(push(out_for_delivery.clone(), "nope".into()).await, 401);
    assert_eq!(push(out_for_delivery.clone(), bearer.clone()).await, 202);
    assert_eq!(
        push(out_for_delivery, bearer.clone()).await,
        202,
        "a repeat is harmless"
    );
    assert_eq!(push(delivered, bearer.clone()).await, 202);
    let tracker = api
        .json(&format!("/v1/trackers/{}", t["id"].as_str().unwrap()))
        .await;
    assert_eq!(tracker["status"], "delivered", "{tracker}");
    assert_eq!(tracker["signed_by"], "John");
    assert_eq!(
        tracker["events"].as_array().unwrap().len(),
        2,
        "deduplicated"
    );
    let events = api.all("/v1/events?limit=100").await;
    let delivered_events = events
        .iter()
        .filter(|e| e["type"] == "shipment.delivered")
        .count();
    assert_eq!(delivered_events, 1);

    // Timeliness over sandbox purchases: one delivered on time (the scheduler is off here,
    // so the live tracking call records it).
    let (s, acc) = api
        .post(
            "/v1/carrier-accounts",
            json!({"carrier":"sandbox","name":"fast","credentials":{"step_seconds":1}}),
        )
        .await;
    assert_eq!(s, 201);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let (s, shp) = api
        .post(
            "/v1/shipments",
            shipment(acc["id"].as_str().unwrap(), "PLAIN", &today),
        )
        .await;
    assert_eq!(s, 201);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let live = api
        .json(&format!(
            "/v1/shipments/{}/tracking",
            shp["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(live["tracker"]["status"], "delivered", "{live}");
    let report = api
        .json(&format!(
            "/v1/analytics/timeliness?from={today}&to={today}&group_by=lane"
        ))
        .await;
    let row = &report["rows"][0];
    assert_eq!(row["key"], "US-US", "{report}");
    assert_eq!(row["shipments"], 1);
    assert_eq!(row["delivered"], 1);
    assert_eq!(row["on_time_pct"], "100.0");
    let (s, bad) = api
        .post(
            "/v1/trackers",
            json!({"tracking_number":"1Z204W4R0308071865"}),
        )
        .await;
    assert!(s == 200 || s == 422, "{bad}");
    let out = std::process::Command::new(common::binary())
        .args([
            "analytics",
            "timeliness",
            "--from",
            &today,
            "--to",
            &today,
            "--database-url",
            &hub.db_url,
        ])
        .succeed();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("sandbox") && l.contains("100.0")),
        "{text}"
    );
}

/// A sandbox number for a parcel of `scenario` shipped at `shipped` (unix seconds): the
/// sandbox keeps the story in the number (`carriers/src/sandbox/number.rs`), Luhn-checked.
fn sandbox_number(scenario: u8, shipped: i64, slot: u16) -> String {
    let payload = format!("{scenario}{shipped:010}{slot:04}");
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                (d * 2) / 10 + (d * 2) % 10
            } else {
                d
            }
        })
        .sum();
    format!("SB{payload}{}", (10 - sum % 10) % 10)
}

async fn sandbox_account(api: &Api, name: &str, step_seconds: u32) -> String {
    let acc = api
        .created(
            "/v1/carrier-accounts",
            json!({"carrier":"sandbox","name":name,"credentials":{"step_seconds":step_seconds}}),
        )
        .await;
    acc["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_tracker_for_a_parcel_already_moving_has_its_status_within_seconds() {
    // Real time (no speedup): the post-label delay would be 15 minutes.
    let hub = common::start(tempfile::tempdir().unwrap());
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    let api = Api::with_key(&hub, boot["api_key"].as_str().unwrap());
    let hourly = sandbox_account(&api, "hourly", 3600).await;
    // Shipped elsewhere 2.5 hours ago, a step an hour: labelled, picked up, arrived.
    let shipped = time::OffsetDateTime::now_utc().unix_timestamp() - 9000;
    let number = sandbox_number(0, shipped, 4242);
    let created = Instant::now();
    let t = api
        .created(
            "/v1/trackers",
            json!({"tracking_number": number, "carrier_account": hourly}),
        )
        .await;
    assert_eq!(t["status"], "pre_transit");
    let path = format!("/v1/trackers/{}", t["id"].as_str().unwrap());
    let deadline = created + Duration::from_secs(10);
    loop {
        let t = api.json(&path).await;
        if t["last_checked_at"].is_string() {
            assert_eq!(t["status"], "in_transit", "{t}");
            assert_eq!(t["carrier_status_code"], "AR", "{t}");
            break;
        }
        assert!(Instant::now() < deadline, "not polled within 10 s: {t}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn trackers_take_the_named_account_or_the_one_with_most_quota_to_spare() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::db_url(dir.path());
    let acme: Value =
        serde_json::from_str(common::cli(&db, &["tenant", "create", "acme"]).trim()).unwrap();
    let other: Value =
        serde_json::from_str(common::cli(&db, &["tenant", "create", "other"]).trim()).unwrap();
    let hub = common::start_with(dir, &["--no-scheduler"]);
    let api = Api::with_key(&hub, acme["api_key"].as_str().unwrap());
    let stranger = Api::with_key(&hub, other["api_key"].as_str().unwrap());
    let first = sandbox_account(&api, "first", 3600).await;
    let second = sandbox_account(&api, "second", 3600).await;
    let theirs = sandbox_account(&stranger, "theirs", 3600).await;
    let ups = api
        .created(
            "/v1/carrier-accounts",
            json!({"carrier":"ups","name":"ups","base_url":"https://wwwcie.ups.com",
                   "credentials":{"client_id":"c","client_secret":"s","account_number":"A1B2C3"}}),
        )
        .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let number = |slot: u16| sandbox_number(0, now - 60, slot);

    // Named: that account, shown on the answer.
    for slot in [1, 2] {
        let t = api
            .created(
                "/v1/trackers",
                json!({"tracking_number": number(slot), "carrier_account": first}),
            )
            .await;
        assert_eq!(t["carrier_account"], first.as_str());
        assert_eq!(t["carrier"], "sandbox");
    }
    // Not named: the first account polls two trackers, the second none.
    let t = api
        .created("/v1/trackers", json!({"tracking_number": number(3)}))
        .await;
    assert_eq!(t["carrier_account"], second.as_str(), "{t}");
    let t = api
        .created("/v1/trackers", json!({"tracking_number": number(4)}))
        .await;
    assert_eq!(
        t["carrier_account"],
        second.as_str(),
        "one each is still the second's turn"
    );
    let t = api
        .created("/v1/trackers", json!({"tracking_number": number(5)}))
        .await;
    assert_eq!(t["carrier_account"], first.as_str(), "{t}");

    // Refused, naming the field: another tenant's account, no such account, not an id, an
    // account of another carrier than the number's or the one asked.
    for (body, why) in [
        (
            json!({"tracking_number": number(6), "carrier_account": theirs}),
            "another tenant's",
        ),
        (
            json!({"tracking_number": number(6), "carrier_account": "car_0123456789abcdef0123456789abcdef"}),
            "unknown",
        ),
        (
            json!({"tracking_number": number(6), "carrier_account": "first"}),
            "not an id",
        ),
        (
            json!({"tracking_number": number(6), "carrier_account": ups["id"]}),
            "a UPS account for a sandbox number",
        ),
        (
            json!({"tracking_number": number(6), "carrier": "sandbox", "carrier_account": ups["id"]}),
            "a UPS account for sandbox",
        ),
    ] {
        let (s, p) = api.post("/v1/trackers", body).await;
        assert_eq!(s, 422, "{why}: {p}");
        assert_eq!(p["errors"][0]["pointer"], "/carrier_account", "{why}: {p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_of_a_reused_number_gets_its_own_tracker_and_closes_the_old_one() {
    use shiphub_e2e::sim::{self, Sim};
    let fedex_sim = Sim::default();
    let addr = sim::serve(
        sim::fedex::router(fedex_sim.clone()),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--no-scheduler"]);
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    let api = Api::with_key(&hub, boot["api_key"].as_str().unwrap());
    let fedex = api
        .create_account(common::fedex_account(&format!("http://{addr}")))
        .await;
    // A parcel shipped elsewhere years ago under the number, followed here.
    let number = "123456789012";
    let old = api
        .created(
            "/v1/trackers",
            json!({"tracking_number": number, "carrier": "fedex"}),
        )
        .await;

    let mut body = json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},
           "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","phone":"+14155550100"},
           "parcels":[{"weight":{"value":"2.5","unit":"kg"}}], "carrier_accounts": [fedex]});
    let (s, rates) = api.post("/v1/rates", body.clone()).await;
    assert_eq!(s, 200, "{rates}");
    body["carrier_account"] = json!(fedex);
    body["service"] = rates["quotes"][0]["service"]["code"].clone();
    body.as_object_mut().unwrap().remove("carrier_accounts");
    let mut trackers = vec![old["id"].as_str().unwrap().to_string()];
    for round in 0..2 {
        // FedEx issues the number again, for a label bought here.
        fedex_sim.reissue(number);
        let bought = api.created("/v1/shipments", body.clone()).await;
        assert_eq!(bought["tracking_number"], number);
        let shipment = bought["id"].as_str().unwrap();
        let all = api.json("/v1/trackers?limit=100").await;
        let all = all["data"].as_array().unwrap();
        assert_eq!(all.len(), trackers.len() + 1, "round {round}: {all:?}");
        let new = all
            .iter()
            .find(|t| t["shipment_id"] == shipment)
            .unwrap_or_else(|| panic!("round {round}: the purchase has no tracker: {all:?}"));
        assert!(new["superseded_by"].is_null());
        assert!(new["next_check_at"].is_string());
        let new_id = new["id"].as_str().unwrap().to_string();
        // The one that followed the number before is closed, pointing at the new one, its
        // scans kept apart; never merged.
        let before = api
            .json(&format!("/v1/trackers/{}", trackers.last().unwrap()))
            .await;
        assert_eq!(before["superseded_by"], new_id.as_str(), "{before}");
        assert!(before["next_check_at"].is_null(), "{before}");
        assert_ne!(before["shipment_id"], shipment);
        // Following the number now answers the open tracker.
        let (s, again) = api
            .post(
                "/v1/trackers",
                json!({"tracking_number": number, "carrier": "fedex"}),
            )
            .await;
        assert_eq!(s, 200, "{again}");
        assert_eq!(again["id"], new_id.as_str());
        let live = api
            .json(&format!("/v1/shipments/{shipment}/tracking"))
            .await;
        assert_eq!(live["tracker"]["id"], new_id.as_str(), "{live}");
        trackers.push(new_id);
    }
}
