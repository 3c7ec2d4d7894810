//! Webhooks through the real binary, to receivers on loopback (the hub runs with
//! `--webhook-dev-loopback`): signed deliveries that the official `standardwebhooks` Python
//! package verifies, retries until a failing receiver recovers, 410 disabling an endpoint with
//! a `webhook.disabled` event, a slow receiver not holding up the others, secret rotation
//! signing with both secrets, resend and recover, and a SIGKILL with deliveries in flight
//! after which every event still arrives (at least once, same `webhook-id`).

mod common;

use common::{Api, Succeeds};

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

// --- the receiver -----------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Received {
    path: String,
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    arrived: time::OffsetDateTime,
}

/// How a receiver path answers.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Ok,
    /// 500 for the first `n` requests, then 200.
    FailFirst(usize),
    Gone,
    /// Answers 200 after this long.
    Slow(Duration),
}

#[derive(Default)]
struct ReceiverState {
    behaviour: HashMap<String, Behaviour>,
    seen: HashMap<String, usize>,
    received: Vec<Received>,
}

#[derive(Clone)]
struct Receiver {
    base: String,
    state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    async fn start(paths: &[(&str, Behaviour)]) -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState {
            behaviour: paths.iter().map(|(p, b)| (p.to_string(), *b)).collect(),
            ..Default::default()
        }));
        let app = Router::new()
            .route("/{name}", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { base, state }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    fn received(&self, name: &str) -> Vec<Received> {
        let s = self.state.lock().unwrap();
        s.received
            .iter()
            .filter(|r| r.path == name)
            .cloned()
            .collect()
    }

    /// Distinct `webhook-id`s a path got: what a deduplicating receiver keeps.
    fn ids(&self, name: &str) -> BTreeSet<String> {
        self.received(name).into_iter().map(|r| r.id).collect()
    }

    fn count(&self, name: &str) -> usize {
        let s = self.state.lock().unwrap();
        s.received.iter().filter(|r| r.path == name).count()
    }

    fn requests(&self, name: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .seen
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    async fn wait_for(&self, what: &str, mut done: impl FnMut(&Receiver) -> bool) {
        for _ in 0..600 {
            if done(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}");
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let header = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (behaviour, n) = {
        let mut s = state.lock().unwrap();
        let n = {
            let seen = s.seen.entry(name.clone()).or_default();
            *seen += 1;
            *seen
        };
        (s.behaviour.get(&name).copied().unwrap_or(Behaviour::Ok), n)
    };
    let status = match behaviour {
        Behaviour::Ok => StatusCode::OK,
        Behaviour::FailFirst(k) if n <= k => StatusCode::INTERNAL_SERVER_ERROR,
        Behaviour::FailFirst(_) => StatusCode::OK,
        Behaviour::Gone => StatusCode::GONE,
        Behaviour::Slow(d) => {
            tokio::time::sleep(d).await;
            StatusCode::OK
        }
    };
    if status == StatusCode::OK {
        state.lock().unwrap().received.push(Received {
            path: name,
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body: String::from_utf8_lossy(&body).into_owned(),
            arrived: time::OffsetDateTime::now_utc(),
        });
    }
    (status, format!("receiver says {}", status.as_u16()))
}

/// How many of `msgs` the official `standardwebhooks` package accepts under `secret`; `None`
/// when the package is missing outside CI (the check is skipped, not counted as passed).
fn verified_by_standardwebhooks(secret: &str, msgs: &[Received]) -> Option<usize> {
    let check = std::process::Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .output();
    if !check.as_ref().is_ok_and(|o| o.status.success()) {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but python3 with `standardwebhooks` is missing");
        }
        eprintln!("skipped signature check: python3 `standardwebhooks` not installed");
        return None;
    }
    let input: Vec<Value> = msgs
        .iter()
        .map(|m| json!({"id": m.id, "ts": m.timestamp, "sig": m.signature, "body": m.body}))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("msgs.json");
    std::fs::write(&file, serde_json::to_vec(&input).unwrap()).unwrap();
    let script = "import json, sys\n\
        from standardwebhooks.webhooks import Webhook\n\
        wh = Webhook(sys.argv[1])\n\
        ok = 0\n\
        for m in json.load(open(sys.argv[2])):\n\
        \x20   try:\n\
        \x20       wh.verify(m['body'], {'webhook-id': m['id'], 'webhook-timestamp': m['ts'], 'webhook-signature': m['sig']})\n\
        \x20       ok += 1\n\
        \x20   except Exception as e:\n\
        \x20       print(e, file=sys.stderr)\n\
        print(ok)\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, secret])
        .arg(&file)
        .succeed();
    Some(String::from_utf8_lossy(&out.stdout).trim().parse().unwrap())
}

/// Asserts that the official package verifies exactly `expected` of `msgs` (skipped, with a
/// message, when it is missing outside CI).
fn assert_verified(secret: &str, msgs: &[Received], expected: usize) {
    if let Some(n) = verified_by_standardwebhooks(secret, msgs) {
        assert_eq!(n, expected, "messages the official verifier accepts");
    }
}

// --- the hub's API ----------------------------------------------------------------------------

async fn subscribe(api: &Api, url: &str, events: &[&str]) -> (String, String) {
    let v = api
        .created("/v1/webhooks", &json!({"url": url, "events": events}))
        .await;
    (
        v["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

async fn buy(api: &Api, n: usize) -> String {
    let body = json!({
        "from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},
        "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US"},
        "parcels":[{"weight":{"value":"1","unit":"kg"}}],
        "carrier_account": api.account, "service": "standard", "label_format": "zpl",
        "reference": format!("ORDER-{n}")
    });
    let v = api.created("/v1/shipments", &body).await;
    v["id"].as_str().unwrap().to_string()
}

/// Ids of the tenant's events of `kind`.
async fn event_ids(api: &Api, kind: &str) -> BTreeSet<String> {
    api.all("/v1/events?limit=100")
        .await
        .into_iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

const FAST_RETRIES: &[&str] = &[
    "--webhook-dev-loopback",
    "--webhook-schedule",
    "0,0.2,0.2,0.2,0.2",
    "--webhook-timeout",
    "1",
    "--webhook-lease",
    "3",
];

// --- tests ----------------------------------------------------------------------------------

#[tokio::test]
async fn webhooks_are_signed_retried_until_received_and_gone_disables() {
    let rx = Receiver::start(&[
        ("ok", Behaviour::Ok),
        ("flaky", Behaviour::FailFirst(4)),
        ("gone", Behaviour::Gone),
        ("slow", Behaviour::Slow(Duration::from_secs(5))),
    ])
    .await;
    let hub = common::start_with(tempfile::tempdir().unwrap(), FAST_RETRIES);
    let api = Api::of(&hub);

    // Refusals name the field.
    let (status, p) = api
        .post(
            "/v1/webhooks",
            &json!({"url": "http://10.0.0.7/hook", "events": ["*"]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["pointer"], "/url");
    assert!(
        p["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("private")
    );
    let (status, p) = api
        .post(
            "/v1/webhooks",
            &json!({"url": rx.url("ok"), "events": ["shipment.created", "parcel.lost"]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["pointer"], "/events/1");
    let (status, p) = api
        .post("/v1/webhooks", &json!({"url": rx.url("ok")}))
        .await;
    assert_eq!(
        (status.as_u16(), p["errors"][0]["pointer"].as_str()),
        (422, Some("/events"))
    );

    // Create is idempotent; the secret is shown once.
    let body = json!({"url": rx.url("ok"), "events": ["*"], "description": "ops bot"});
    let (status, first) = api
        .send(
            reqwest::Method::POST,
            "/v1/webhooks",
            Some(&body),
            Some("wh-ok"),
        )
        .await;
    assert_eq!(status, 201);
    let secret_ok = first["secret"].as_str().unwrap().to_string();
    assert!(secret_ok.starts_with("whsec_"));
    let (status, replay) = api
        .send(
            reqwest::Method::POST,
            "/v1/webhooks",
            Some(&body),
            Some("wh-ok"),
        )
        .await;
    assert_eq!((status.as_u16(), &replay["id"]), (201, &first["id"]));
    assert_eq!(replay["secret"], Value::Null, "never shown twice");
    let ok_id = first["id"].as_str().unwrap().to_string();
    let (flaky_id, secret_flaky) = subscribe(&api, &rx.url("flaky"), &["shipment.created"]).await;
    let (gone_id, _) = subscribe(&api, &rx.url("gone"), &["shipment.created"]).await;
    let (slow_id, _) = subscribe(&api, &rx.url("slow"), &["shipment.created"]).await;
    assert_eq!(
        api.get_ok("/v1/webhooks").await["data"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    // Act: three purchases, each an outbox event.
    for n in 0..3 {
        buy(&api, n).await;
    }
    let created = event_ids(&api, "shipment.created").await;
    assert_eq!(created.len(), 3);

    // The healthy receiver gets them although the slow one holds its attempts for its timeout.
    rx.wait_for("ok receiver", |r| r.ids("ok").is_superset(&created))
        .await;
    // The failing receiver gets every event once it recovers (4 failures, then 200s).
    rx.wait_for("flaky receiver", |r| r.ids("flaky") == created)
        .await;
    assert!(rx.requests("flaky") >= 3 + 4);
    // 410 disables at once, and the tenant's other endpoints hear of it.
    rx.wait_for("webhook.disabled at ok", |r| {
        r.received("ok")
            .iter()
            .any(|m| m.body.contains("webhook.disabled"))
    })
    .await;
    let gone = api.get_ok(&format!("/v1/webhooks/{gone_id}")).await;
    assert_eq!(gone["enabled"], false);
    assert!(gone["disabled_reason"].as_str().unwrap().contains("410"));
    // Attempts already in flight may still land; none is retried after the 410.
    let gone_requests = rx.requests("gone");
    assert!(gone_requests <= 3, "{gone_requests} requests for 3 events");
    let gone_log = api
        .get_ok(&format!("/v1/webhooks/{gone_id}/deliveries"))
        .await;
    assert!(
        gone_log["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "failed" && d["attempts"].as_u64().unwrap() <= 1),
        "{gone_log}"
    );

    // Everything received verifies with the official package; bodies are the event envelope.
    let ok_msgs = rx.received("ok");
    let flaky_msgs = rx.received("flaky");
    assert_verified(&secret_ok, &ok_msgs, ok_msgs.len());
    assert_verified(&secret_flaky, &flaky_msgs, flaky_msgs.len());
    // The wrong secret verifies none.
    assert_verified(&secret_ok, &flaky_msgs, 0);
    let m: Value = serde_json::from_str(&ok_msgs[0].body).unwrap();
    assert_eq!(m["id"], ok_msgs[0].id.as_str());
    assert_eq!(m["type"], "shipment.created");
    assert!(m["data"]["id"].as_str().unwrap().starts_with("shp_"));

    // The deliveries list and the attempt log tell the story.
    let list = api
        .get_ok(&format!(
            "/v1/webhooks/{flaky_id}/deliveries?status=succeeded"
        ))
        .await;
    let list = list["data"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    let retried = list
        .iter()
        .find(|d| d["attempts"].as_u64().unwrap() > 1)
        .expect("a retried delivery");
    let one = api
        .get_ok(&format!(
            "/v1/webhooks/{flaky_id}/deliveries/{}",
            retried["id"].as_str().unwrap()
        ))
        .await;
    let log = one["attempt_log"].as_array().unwrap();
    assert_eq!(log.first().unwrap()["status_code"], 500);
    assert_eq!(log.first().unwrap()["response"], "receiver says 500");
    assert_eq!(log.last().unwrap()["outcome"], "succeeded");
    assert!(log.iter().all(|a| a["latency_ms"].is_u64()));

    // The slow receiver's attempts time out and are rescheduled; they never blocked the rest.
    let slow = api
        .get_ok(&format!("/v1/webhooks/{slow_id}/deliveries"))
        .await;
    let first_slow = slow["data"][0]["id"].as_str().unwrap().to_string();
    let mut log = Value::Null;
    for _ in 0..100 {
        log = api
            .get_ok(&format!("/v1/webhooks/{slow_id}/deliveries/{first_slow}"))
            .await;
        if !log["attempt_log"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(log["attempt_log"][0]["outcome"], "timeout", "{log}");
    assert_eq!(log["status"], "pending", "rescheduled");

    // Rotation: both secrets sign the next message, so receivers on either one verify it.
    let (status, rotated) = api
        .send(
            reqwest::Method::POST,
            &format!("/v1/webhooks/{ok_id}/rotate-secret"),
            None,
            Some("rot-1"),
        )
        .await;
    assert_eq!(status, 200);
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret_ok);
    assert!(rotated["previous_secret_expires_at"].is_string());
    let before = rx.received("ok").len();
    let (status, test) = api
        .send(
            reqwest::Method::POST,
            &format!("/v1/webhooks/{ok_id}/test"),
            None,
            Some("test-1"),
        )
        .await;
    assert_eq!(status, 202);
    rx.wait_for("the test event", |r| r.received("ok").len() > before)
        .await;
    let msg = rx.received("ok").pop().unwrap();
    assert_eq!(msg.id, test["event_id"].as_str().unwrap());
    assert!(msg.body.contains("webhook.test"));
    assert_eq!(msg.signature.split(' ').count(), 2);
    assert_verified(&secret_ok, std::slice::from_ref(&msg), 1);
    assert_verified(&new_secret, std::slice::from_ref(&msg), 1);
    assert!(
        rx.received("flaky")
            .iter()
            .all(|m| !m.body.contains("webhook.test")),
        "test goes to one endpoint"
    );

    // Resend: the same event (same webhook-id) once more.
    let delivered = api
        .get_ok(&format!("/v1/webhooks/{ok_id}/deliveries"))
        .await;
    let d = &delivered["data"][0];
    let count = |id: &str| rx.received("ok").iter().filter(|m| m.id == id).count();
    let event = d["event_id"].as_str().unwrap().to_string();
    let had = count(&event);
    let (status, _) = api
        .send(
            reqwest::Method::POST,
            &format!(
                "/v1/webhooks/{ok_id}/deliveries/{}/resend",
                d["id"].as_str().unwrap()
            ),
            None,
            Some("resend-1"),
        )
        .await;
    assert_eq!(status, 202);
    rx.wait_for("the resend", |_| count(&event) > had).await;

    // Recover: a disabled endpoint misses events; re-enabled and recovered, it gets them.
    let since = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (status, _) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/webhooks/{flaky_id}"),
            Some(&json!({"enabled": false})),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let missed = buy(&api, 99).await;
    // Fan-out is one transaction per batch: once `ok` has the event, `flaky` was passed by.
    rx.wait_for("the event at ok", |r| {
        r.received("ok").iter().any(|m| m.body.contains(&missed))
    })
    .await;
    assert_eq!(
        rx.requests("gone"),
        gone_requests,
        "a disabled endpoint gets nothing"
    );
    let (status, p) = api
        .post(
            &format!("/v1/webhooks/{flaky_id}/recover?since={since}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 409, "recovering a disabled endpoint: {p}");
    let (status, v) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/webhooks/{flaky_id}"),
            Some(&json!({"enabled": true})),
            None,
        )
        .await;
    assert_eq!((status.as_u16(), &v["enabled"]), (200, &json!(true)));
    assert!(
        !rx.received("flaky")
            .iter()
            .any(|m| m.body.contains(&missed))
    );
    let since_q = since.replace('+', "%2B");
    let (status, v) = api
        .post(
            &format!("/v1/webhooks/{flaky_id}/recover?since={since_q}"),
            &json!({}),
        )
        .await;
    assert_eq!((status.as_u16(), &v["queued"]), (202, &json!(1)), "{v}");
    rx.wait_for("the recovered event", |r| {
        r.received("flaky").iter().any(|m| m.body.contains(&missed))
    })
    .await;
    let (status, p) = api
        .post(&format!("/v1/webhooks/{flaky_id}/recover"), &json!({}))
        .await;
    assert_eq!(
        (status.as_u16(), p["errors"][0]["pointer"].as_str()),
        (422, Some("/query/since"))
    );

    // Delete: gone from the list.
    let (status, _) = api
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/webhooks/{slow_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        api.get_ok("/v1/webhooks").await["data"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn every_event_arrives_after_a_sigkill_with_deliveries_in_flight() {
    // Each answer takes 150 ms, so a burst of events is still being delivered when the hub dies.
    let rx = Receiver::start(&[("in", Behaviour::Slow(Duration::from_millis(150)))]).await;
    let mut args = FAST_RETRIES.to_vec();
    args.extend(["--webhook-concurrency", "2"]);
    let mut hub = common::start_with(tempfile::tempdir().unwrap(), &args);
    let api = Api::of(&hub);
    let (_, secret) = subscribe(&api, &rx.url("in"), &["shipment.created"]).await;
    for n in 0..60 {
        buy(&api, n).await;
    }
    let created = event_ids(&api, "shipment.created").await;
    assert_eq!(created.len(), 60);
    rx.wait_for("some deliveries", |r| !r.ids("in").is_empty())
        .await;
    hub.kill();
    let before = rx.ids("in").len();
    assert!(
        before < 60,
        "the kill came with deliveries outstanding ({before} delivered)"
    );

    hub.restart();
    rx.wait_for("every event after the restart", |r| r.ids("in") == created)
        .await;
    let msgs = rx.received("in");
    assert!(msgs.len() >= 60, "at least once");
    assert_verified(&secret, &msgs, msgs.len());
}

// --- two instances on one PostgreSQL --------------------------------------------------------

/// `shiphub serve` on PostgreSQL (no bootstrap there: the tenant comes from the CLI).
fn serve_pg(url: &str, args: &[&str]) -> common::Hub {
    common::start_on(url, args)
}

/// Two `shiphub serve` processes on one PostgreSQL database share the deliveries: every event
/// arrives once (no `webhook-id` twice in a run without failures); after one is killed with
/// SIGKILL, the other sends what it held once the lease runs out.
#[tokio::test]
async fn two_hubs_on_postgres_deliver_each_event_once_and_survive_a_sigkill() {
    let Some(schema) = common::PgSchema::create("wh") else {
        return;
    };
    let url = schema.url();
    // Two slots each (lease 3 s), so both instances claim a share of every burst.
    let mut args = FAST_RETRIES.to_vec();
    args.extend(["--webhook-concurrency", "2"]);
    let (mut a, key) = common::start_tenant_on(&url, "pg", &args);
    let b = serve_pg(&url, &args);
    let api = |hub: &common::Hub, account: &str| Api {
        account: account.to_string(),
        ..Api::with_key(hub, &key)
    };
    let (status, account) = api(&a, "")
        .post(
            "/v1/carrier-accounts",
            &json!({"carrier": "sandbox", "name": "sandbox"}),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    let account = account["id"].as_str().unwrap();
    let (api_a, api_b) = (api(&a, account), api(&b, account));
    let rx = Receiver::start(&[
        ("once", Behaviour::Ok),
        ("killed", Behaviour::Slow(Duration::from_millis(150))),
    ])
    .await;

    // Without failures: every event once.
    let (once, secret) = subscribe(&api_a, &rx.url("once"), &["shipment.created"]).await;
    for n in 0..80 {
        if n % 2 == 0 {
            buy(&api_a, n).await
        } else {
            buy(&api_b, n).await
        };
    }
    let created = event_ids(&api_b, "shipment.created").await;
    assert_eq!(created.len(), 80);
    rx.wait_for("every event at `once`", |r| r.ids("once") == created)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let msgs = rx.received("once");
    assert_eq!(msgs.len(), 80, "no event delivered twice");
    assert_verified(&secret, &msgs, 80);

    // A slow endpoint, and one instance killed while both hold deliveries for it.
    let (status, _) = api_b
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/webhooks/{once}"),
            Some(&json!({"enabled": false})),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let _ = subscribe(&api_b, &rx.url("killed"), &["shipment.created"]).await;
    for n in 100..140 {
        buy(&api_b, n).await;
    }
    let all = event_ids(&api_b, "shipment.created").await;
    let later: BTreeSet<String> = all.difference(&created).cloned().collect();
    assert_eq!(later.len(), 40);
    rx.wait_for("the first slow deliveries", |r| r.ids("killed").len() >= 4)
        .await;
    a.kill();
    assert!(
        rx.ids("killed").len() < 40,
        "the kill came with deliveries outstanding"
    );
    rx.wait_for("every event after the kill", |r| r.ids("killed") == later)
        .await;
    drop(b);
}

/// Benchmark, not a test (run it in release, see BENCHMARKS.md):
/// `cargo build --release -p shiphub && cargo test --release -p shiphub-e2e --test webhooks -- --ignored --nocapture bench_`
/// Throughput: N deliveries queued at once (an endpoint recovered after missing N events),
/// timed until the receiver has them all. Latency: purchases at a steady pace to an enabled
/// endpoint, receiver arrival minus the event's timestamp (millisecond precision).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark"]
async fn bench_webhook_deliveries() {
    let n: usize = std::env::var("WEBHOOK_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let rx = Receiver::start(&[("bulk", Behaviour::Ok), ("live", Behaviour::Ok)]).await;
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--webhook-dev-loopback"]);
    let api = Api::of(&hub);
    let (bulk, _) = subscribe(&api, &rx.url("bulk"), &["shipment.created"]).await;
    let path = format!("/v1/webhooks/{bulk}");
    let (status, _) = api
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"enabled": false})),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let since = time::OffsetDateTime::now_utc();
    // Purchases in parallel (8 at a time) to build the backlog quickly.
    let api = Arc::new(api);
    let mut tasks = vec![];
    for w in 0..8 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..n).step_by(8) {
                buy(&api, i).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (status, _) = api
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"enabled": true})),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let q = since
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
        .replace('+', "%2B");
    // A marker for profilers: the timed part starts here.
    println!("recovering {n} missed deliveries");
    let started = std::time::Instant::now();
    let (status, v) = api
        .post(&format!("{path}/recover?since={q}"), &json!({}))
        .await;
    // Events the fan-out had not reached yet go to the re-enabled endpoint the normal way.
    assert_eq!(status, 202, "{v}");
    while rx.count("bulk") < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "stalled at {}",
            rx.count("bulk")
        );
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "throughput: {n} deliveries in {secs:.2} s = {:.0} deliveries/s",
        n as f64 / secs
    );

    // Latency at a steady 200 purchases/s for 5 s.
    let _ = subscribe(&api, &rx.url("live"), &["shipment.created"]).await;
    let pace = tokio::time::interval(Duration::from_millis(5));
    tokio::pin!(pace);
    let mut tasks = vec![];
    for i in 0..1000 {
        pace.as_mut().tick().await;
        let api = api.clone();
        tasks.push(tokio::spawn(async move { buy(&api, 100_000 + i).await }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    rx.wait_for("live deliveries", |r| r.count("live") >= 1000)
        .await;
    let mut lat: Vec<f64> = rx
        .received("live")
        .iter()
        .map(|m| {
            let v: Value = serde_json::from_str(&m.body).unwrap();
            let at = time::OffsetDateTime::parse(
                v["timestamp"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap();
            (m.arrived - at).as_seconds_f64() * 1000.0
        })
        .collect();
    lat.sort_by(f64::total_cmp);
    let p = |q: f64| lat[((lat.len() - 1) as f64 * q).round() as usize];
    println!(
        "event-to-delivery latency over {} deliveries: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        lat.len(),
        p(0.5),
        p(0.99),
        p(1.0)
    );
}

#[tokio::test]
async fn private_targets_need_the_operators_allowlist() {
    // Without an allowlist an internal address is refused by the real binary…
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (status, p) = api
        .post(
            "/v1/webhooks",
            &json!({"url": "https://10.20.3.4/hooks", "events": ["*"]}),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(p["errors"][0]["pointer"], "/url", "{p}");
    // …and admitted when the operator allows its range; other private ranges stay refused.
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--webhook-allow", "10.20.0.0/16,fd00::/8"],
    );
    let api = Api::of(&hub);
    api.created(
        "/v1/webhooks",
        &json!({"url": "https://10.20.3.4/hooks", "events": ["*"]}),
    )
    .await;
    let (status, _) = api
        .post(
            "/v1/webhooks",
            &json!({"url": "https://10.21.0.1/hooks", "events": ["*"]}),
        )
        .await;
    assert_eq!(status, 422);
}

/// Events a purchase commits wake this instance's dispatcher: with the idle poll a minute
/// apart, deliveries still arrive at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_committed_here_are_delivered_without_waiting_for_the_poll() {
    let rx = Receiver::start(&[("ok", Behaviour::Ok)]).await;
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--webhook-dev-loopback", "--webhook-poll", "60"],
    );
    let api = Api::of(&hub);
    subscribe(&api, &rx.url("ok"), &["shipment.created"]).await;
    // Past the wake-up the subscription rang, the dispatcher sleeps on its 60 s poll.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    for n in 0..5 {
        buy(&api, n).await;
    }
    // `wait_for` gives up after 30 s, half the poll.
    rx.wait_for("five deliveries", |r| r.count("ok") == 5).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
