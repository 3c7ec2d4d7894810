//! Idempotency keys through crashes, against the real binary: purchases from many clients while
//! the hub is SIGKILLed and restarted end with exactly one shipment or a final error per key
//! (none stuck, none bought twice at the UPS simulator, whose ledger is compared with the hub's
//! shipments), on SQLite and on PostgreSQL; a key whose process died mid-purchase is answered
//! within the lease after a restart; a 404 does not consume a key, and a key reused on another
//! endpoint is refused naming the endpoint it was used for.

mod common;

use common::Api;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Fault, FaultKind, Sim};

/// The lease the tests run with (the default is 30 s).
const LEASE: &str = "1.5";

fn address(name: &str) -> Value {
    json!({"name": name, "street": ["100 Main St"], "city": "Atlanta", "state": "GA",
           "postal_code": "30301", "country": "US", "phone": "+14045550100"})
}

/// A UPS purchase with reference `reference`; `parcels` pieces.
fn purchase(account: &str, reference: &str, parcels: usize) -> Value {
    let parcel = json!({"weight": {"value": "2.5", "unit": "kg"},
                        "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}});
    json!({"from": address("Shipper"), "to": address("Receiver"),
           "parcels": vec![parcel; parcels], "carrier_account": account, "service": "03",
           "label_format": "zpl", "reference": reference})
}

/// Every shipment of the tenant, by id.
async fn shipments(api: &Api) -> HashMap<String, Value> {
    api.all("/v1/shipments?limit=100")
        .await
        .into_iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s))
        .collect()
}

/// Whether an answer is one a client must retry: the hub is down or restarting, the key is
/// still in progress, or the problem says so.
fn must_retry(answer: &reqwest::Result<(StatusCode, Value)>) -> bool {
    match answer {
        Err(_) => true,
        Ok((s, _)) if *s == StatusCode::CONFLICT => true,
        Ok((s, body)) => s.is_server_error() && body["retryable"] != json!(false),
    }
}

async fn start_ups(latency_ms: u64) -> (Sim, String) {
    let ups = Sim::default();
    ups.set_latency(latency_ms);
    let addr = sim::serve(
        sim::ups::router(ups.clone()),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    (ups, format!("http://{addr}"))
}

/// The UPS simulator's sales.
async fn ledger(sim_url: &str) -> Vec<Value> {
    reqwest::get(format!("{sim_url}/_sim/ledger"))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// A hub on SQLite (its bootstrap key) or on a fresh PostgreSQL schema (a tenant made by the
/// CLI), with the test's lease.
fn hub_and_api(schema: Option<&common::PgSchema>) -> (common::Hub, Api) {
    let args = ["--idempotency-lease", LEASE];
    let (hub, key) = match schema {
        None => {
            let hub = common::start_with(tempfile::tempdir().unwrap(), &args);
            let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
            let key = boot["api_key"].as_str().unwrap().to_string();
            (hub, key)
        }
        Some(schema) => common::start_tenant_on(&schema.url(), "crash", &args),
    };
    let api = Api::with_key(&hub, &key).using(
        reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    );
    (hub, api)
}

/// A pseudo-random number below `n`, from the clock (no seeded generator is needed: any
/// moment will do, the test must hold for all).
fn random_below(n: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos) % n.max(1)
}

const PURCHASES: usize = 300;
const CLIENTS: usize = 16;
const KILLS: usize = 3;

/// 300 purchases (every fifth of three parcels) from 16 clients, each retrying its key until it
/// gets a final answer, while the hub is SIGKILLed three times at random moments and restarted.
async fn purchases_survive_sigkills(schema: Option<common::PgSchema>) {
    let (_ups, sim_url) = start_ups(40).await;
    let (hub, api) = hub_and_api(schema.as_ref());
    let account = api.create_account(common::ups_account(&sim_url)).await;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(100);

    let next = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let mut clients = vec![];
    for _ in 0..CLIENTS {
        let (api, account, next, answered) =
            (api.clone(), account.clone(), next.clone(), answered.clone());
        clients.push(tokio::spawn(async move {
            let mut finals = vec![];
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= PURCHASES {
                    return finals;
                }
                let key = format!("crash-{n}");
                let body = purchase(&account, &key, if n % 5 == 0 { 3 } else { 1 });
                let answer = loop {
                    let answer = api.try_post("/v1/shipments", &body, Some(&key)).await;
                    if !must_retry(&answer) {
                        break answer.unwrap();
                    }
                    assert!(
                        Instant::now() < deadline,
                        "{key} never answered: {answer:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                };
                answered.fetch_add(1, Ordering::SeqCst);
                finals.push((key, answer));
            }
        }));
    }

    // Three kills, each at a random point of the run, every one while purchases are running.
    let killer = {
        let answered = answered.clone();
        tokio::task::spawn_blocking(move || {
            let mut hub = hub;
            for k in 0..KILLS {
                let at = (k + 1) * PURCHASES / (KILLS + 2) + random_below(40) as usize;
                while answered.load(Ordering::SeqCst) < at {
                    assert!(
                        Instant::now() < deadline,
                        "purchases stalled before kill {k}"
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
                std::thread::sleep(Duration::from_millis(random_below(60)));
                hub.kill();
                hub.restart();
            }
            hub
        })
    };
    let mut finals: HashMap<String, (StatusCode, Value)> = HashMap::new();
    for c in clients {
        finals.extend(c.await.unwrap());
    }
    let hub = killer.await.unwrap();
    eprintln!("{PURCHASES} purchases answered in {:?}", started.elapsed());

    // Every key has exactly one final answer: a shipment, or a final problem.
    assert_eq!(finals.len(), PURCHASES);
    let mut bought: HashMap<String, String> = HashMap::new(); // shipment id -> key
    let mut unknown = 0;
    for (key, (status, body)) in &finals {
        if *status == StatusCode::CREATED {
            assert_eq!(body["reference"], json!(key), "{body}");
            assert!(
                bought
                    .insert(body["id"].as_str().unwrap().to_string(), key.clone())
                    .is_none()
            );
        } else {
            assert_eq!(
                body["type"], "https://shiphub.dev/problems/purchase-outcome-unknown",
                "{key}: the only final error a crash may cause: {status} {body}"
            );
            assert_eq!(body["retryable"], json!(false));
            unknown += 1;
        }
    }
    // None stuck: the answer is kept, replayed as it was.
    for n in (0..PURCHASES).step_by(7) {
        let key = format!("crash-{n}");
        let body = purchase(&account, &key, if n % 5 == 0 { 3 } else { 1 });
        let (status, again) = api
            .try_post("/v1/shipments", &body, Some(&key))
            .await
            .unwrap();
        let (first_status, first) = &finals[&key];
        assert_eq!(
            (status, &again["id"]),
            (*first_status, &first["id"]),
            "{key} replays"
        );
    }
    // No shipment without a key: the hub's shipments are exactly the answered ones.
    let shipments = shipments(&api).await;
    let ids: HashSet<&String> = shipments.keys().collect();
    assert_eq!(
        ids,
        bought.keys().collect(),
        "shipments == purchases answered 201"
    );
    // No label bought twice: per key at most one unvoided sale at UPS, and each shipment's
    // sale is its own; sales no shipment records are the keys answered `outcome unknown`.
    let sales = ledger(&sim_url).await;
    let mut live: HashMap<String, Vec<&Value>> = HashMap::new();
    for s in sales.iter().filter(|s| s["voided"] == json!(false)) {
        live.entry(s["reference"].as_str().unwrap().to_string())
            .or_default()
            .push(s);
    }
    for (reference, s) in &live {
        assert_eq!(s.len(), 1, "{reference} bought twice: {s:?}");
    }
    for (id, key) in &bought {
        let sale = live
            .get(key)
            .unwrap_or_else(|| panic!("{key}: no live sale"));
        assert_eq!(
            shipments[id]["tracking_number"], sale[0]["shipment_id"],
            "{key}: the shipment is the sale"
        );
        let pieces = if key.trim_start_matches("crash-").parse::<usize>().unwrap() % 5 == 0 {
            3
        } else {
            1
        };
        assert_eq!(shipments[id]["pieces"].as_array().unwrap().len(), pieces);
    }
    let orphans = live.len() - bought.len();
    assert!(
        orphans <= unknown,
        "{orphans} live sales without a shipment, {unknown} keys answered outcome-unknown"
    );
    eprintln!(
        "{} shipments, {unknown} outcome-unknown, {} sales ({} voided)",
        bought.len(),
        sales.len(),
        sales.len() - live.len()
    );
    drop(hub);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn purchases_survive_sigkills_on_sqlite() {
    purchases_survive_sigkills(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn purchases_survive_sigkills_on_postgres() {
    let Some(schema) = common::PgSchema::create("crash") else {
        return;
    };
    purchases_survive_sigkills(Some(schema)).await;
}

/// A purchase in flight when its hub is SIGKILLed leaves its key claimed; after a restart the
/// retry gets a final answer once the lease has run out (not `409 in progress` for ever), and
/// it never buys again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_claimed_by_a_killed_hub_is_answered_within_the_lease_after_restart() {
    let (ups, sim_url) = start_ups(0).await;
    let (mut hub, api) = hub_and_api(None);
    let account = api.create_account(common::ups_account(&sim_url)).await;
    let body = purchase(&account, "killed-1", 1);
    ups.push(Fault {
        kind: FaultKind::Slow { millis: 3_000 },
        path: Some("/api/shipments".into()),
    });
    let in_flight = {
        let api = api.clone();
        let body = body.clone();
        tokio::spawn(async move { api.try_post("/v1/shipments", &body, Some("killed-1")).await })
    };
    let t = Instant::now();
    while ups.hits("/api/shipments") == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the purchase never reached UPS"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    hub.kill();
    assert!(in_flight.await.unwrap().is_err(), "killed mid-purchase");
    hub.restart();
    let restarted = Instant::now();
    let (status, answer) = loop {
        let answer = api.try_post("/v1/shipments", &body, Some("killed-1")).await;
        if !must_retry(&answer) {
            break answer.unwrap();
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(8),
            "no final answer within the lease ({LEASE} s) after the restart: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
    assert_eq!(
        answer["type"], "https://shiphub.dev/problems/purchase-outcome-unknown",
        "{answer}"
    );
    assert_eq!(answer["retryable"], json!(false));
    assert!(
        answer["detail"].as_str().unwrap().contains(&account),
        "names the account to check: {answer}"
    );
    // Final: replayed, and no second purchase.
    let (again, _) = api
        .try_post("/v1/shipments", &body, Some("killed-1"))
        .await
        .unwrap();
    assert_eq!(again, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(ups.hits("/api/shipments"), 1, "asked to buy once");
    assert!(shipments(&api).await.is_empty());
}

/// A void on a wrong shipment id is a 404 that leaves its key unused, so the corrected request
/// with the same key runs; a key reused on another endpoint is a 422 naming the first one.
#[tokio::test]
async fn a_404_does_not_consume_a_key_and_another_endpoint_is_named() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let sandbox = &api.account;
    let mut body = purchase(sandbox, "ORDER-1", 1);
    body["service"] = json!("standard");
    body["label_format"] = json!("pdf");
    let (s, bought) = api
        .try_post("/v1/shipments", &body, Some("buy-1"))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{bought}");
    let id = bought["id"].as_str().unwrap();

    let (s, missing) = api
        .try_post(
            "/v1/shipments/shp_doesnotexist/void",
            &json!({}),
            Some("void-1"),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::NOT_FOUND, "{missing}");
    let (s, voided) = api
        .try_post(
            &format!("/v1/shipments/{id}/void"),
            &json!({}),
            Some("void-1"),
        )
        .await
        .unwrap();
    assert!(
        s == StatusCode::OK || s == StatusCode::ACCEPTED,
        "{s} {voided}"
    );

    let (s, reused) = api
        .try_post(
            &format!("/v1/shipments/{id}/void"),
            &json!({}),
            Some("buy-1"),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{reused}");
    let detail = reused["detail"].as_str().unwrap();
    assert!(
        detail.contains("was used for POST /v1/shipments"),
        "names the endpoint: {reused}"
    );
    assert!(!detail.contains("different body"), "{reused}");
}

/// A purchase slower than the lease keeps its key (the lease is renewed while it runs): the
/// hub's own sweep does not take it over, the purchase is recorded, and bought once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_slower_than_the_lease_keeps_its_key() {
    let (ups, sim_url) = start_ups(0).await;
    let (_hub, api) = hub_and_api(None);
    let account = api.create_account(common::ups_account(&sim_url)).await;
    let body = purchase(&account, "slow-1", 1);
    ups.push(Fault {
        kind: FaultKind::Slow { millis: 4_000 },
        path: Some("/api/shipments".into()),
    });
    let (status, bought) = api
        .try_post("/v1/shipments", &body, Some("slow-1"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::CREATED, "{bought}");
    let (status, again) = api
        .try_post("/v1/shipments", &body, Some("slow-1"))
        .await
        .unwrap();
    assert_eq!((status, &again["id"]), (StatusCode::CREATED, &bought["id"]));
    let sales = ledger(&sim_url).await;
    assert_eq!(sales.len(), 1, "{sales:?}");
    assert_eq!(sales[0]["voided"], json!(false), "{sales:?}");
}
