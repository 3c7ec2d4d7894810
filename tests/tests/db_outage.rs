//! The database goes away and comes back (issue 19), against the real binary on a private
//! PostgreSQL cluster the test owns (the shared one on 5432 is never touched):
//! - restarted under load (`pg_ctl stop -m fast`, then `-m immediate`): requests answer 503
//!   `database-unavailable` with Retry-After within a bound (never hang), `/readyz` says 503
//!   and 200 again, the pool reconnects by itself, every purchase acknowledged before is still
//!   there, each key's retry ends with one shipment (none lost, none bought twice: compared
//!   with the UPS simulator's ledger), and webhook deliveries resume;
//! - a primary failover: primary and synchronous streaming standby, the hub given both hosts
//!   with `target_session_attrs=read-write` (the standby first: passed over while read-only); the primary is killed (`-m immediate`) and the
//!   standby promoted; writes are served again within a bound and nothing acknowledged is lost.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use common::Api;
use common::pgcluster::{PgCluster, pg_bin};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Sim};

/// How long one request may take while the database is away: the acquire timeout the hubs
/// run with (1 s) plus generous slack. A hang would take the client's 20 s.
const ANSWER_BOUND: Duration = Duration::from_secs(6);

fn hub_args() -> Vec<&'static str> {
    vec![
        "--db-acquire-timeout",
        "1",
        "--idempotency-lease",
        "2",
        "--webhook-schedule",
        "0,1,1,1,1,1,1,1",
        "--webhook-poll",
        "0.1",
    ]
}

fn address(name: &str) -> Value {
    json!({"name": name, "street": ["100 Main St"], "city": "Atlanta", "state": "GA",
           "postal_code": "30301", "country": "US", "phone": "+14045550100"})
}

fn purchase(account: &str, reference: &str) -> Value {
    json!({"from": address("Shipper"), "to": address("Receiver"),
           "parcels": [{"weight": {"value": "2.5", "unit": "kg"},
                        "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}}],
           "carrier_account": account, "service": "03", "label_format": "zpl",
           "reference": reference})
}

/// A webhook receiver: the shipment ids of the `shipment.created` events it got.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let got = self.got.clone();
        let app = axum::Router::new().route(
            "/hook",
            post(move |body: axum::Json<Value>| {
                let got = got.clone();
                async move {
                    if let Some(id) = body["data"]["id"].as_str() {
                        got.lock().unwrap().push(id.to_string());
                    }
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/hook")
    }

    fn has(&self, id: &str) -> bool {
        self.got.lock().unwrap().iter().any(|g| g == id)
    }
}

async fn start_ups() -> (Sim, String) {
    let ups = Sim::default();
    ups.set_latency(30);
    let addr = sim::serve(
        sim::ups::router(ups.clone()),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    (ups, format!("http://{addr}"))
}

/// A hub on `url` for tenant `name`, its API (20 s per request), and a UPS account on a
/// simulator of its own (and the simulator's address).
async fn hub_with_ups(url: &str, name: &str) -> (common::Hub, Api, String, Sim, String) {
    let (ups, sim_url) = start_ups().await;
    let (hub, key) = common::start_tenant_on(url, name, &hub_args());
    let api = Api::with_key(&hub, &key).using(
        reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    );
    let account = api.create_account(common::ups_account(&sim_url)).await;
    (hub, api, account, ups, sim_url)
}

/// A receiver of `shipment.created` webhooks, subscribed.
async fn subscribed(api: &Api) -> Receiver {
    let rx = Receiver::default();
    let hook = rx.start().await;
    api.created(
        "/v1/webhooks",
        &json!({"url": hook, "events": ["shipment.created"]}),
    )
    .await;
    rx
}

/// What the load's clients saw.
#[derive(Default)]
struct Seen {
    /// Key → shipment id of every 201.
    acknowledged: HashMap<String, String>,
    /// 503s with the `database-unavailable` type and a Retry-After.
    unavailable: usize,
    /// Anything a client may not be answered while the database is away: a 500, a 503 of
    /// another kind or without Retry-After, an answer slower than the bound.
    wrong: Vec<String>,
}

/// Checks an answer given while the database may be away; `true` when it is final for its
/// key (a 201), `false` when the key must be sent again.
fn judge(
    seen: &Mutex<Seen>,
    key: &str,
    took: Duration,
    res: &reqwest::Result<(StatusCode, Option<String>, Value)>,
) -> bool {
    let mut seen = seen.lock().unwrap();
    if took > ANSWER_BOUND {
        seen.wrong.push(format!("{key}: answered after {took:?}"));
    }
    match res {
        Ok((s, _, body)) if *s == StatusCode::CREATED => {
            let id = body["id"].as_str().unwrap().to_string();
            if let Some(before) = seen.acknowledged.insert(key.to_string(), id.clone()) {
                assert_eq!(before, id, "key {key} answered two shipments");
            }
            true
        }
        Ok((s, retry, body)) if *s == StatusCode::SERVICE_UNAVAILABLE => {
            let kind = body["type"].as_str().unwrap_or_default();
            if kind.ends_with("/database-unavailable") && retry.is_some() {
                seen.unavailable += 1;
            } else {
                seen.wrong
                    .push(format!("{key}: 503 {body} retry-after {retry:?}"));
            }
            false
        }
        // The key's first request is still settling (or its sale waits for recovery).
        Ok((s, _, _)) if *s == StatusCode::CONFLICT => false,
        Ok((s, _, body)) => {
            seen.wrong.push(format!("{key}: {s} {body}"));
            false
        }
        Err(e) => {
            seen.wrong.push(format!("{key}: transport error {e}"));
            false
        }
    }
}

async fn send(
    api: &Api,
    path: &str,
    body: &Value,
    key: &str,
) -> reqwest::Result<(StatusCode, Option<String>, Value)> {
    let res = api
        .try_send(reqwest::Method::POST, path, Some(body), Some(key))
        .await?;
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, retry, body))
}

/// Clients buying (one key at a time, each sent again until it gets its shipment) and
/// creating trackers for what they bought, until `stop`; then each finishes its key.
fn load(
    api: &Api,
    account: &str,
    clients: usize,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..clients)
        .map(|c| {
            let (api, account, stop, seen) =
                (api.clone(), account.to_string(), stop.clone(), seen.clone());
            tokio::spawn(async move {
                let give_up = Instant::now() + Duration::from_secs(90);
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let key = format!("buy-{c}-{n}");
                    let body = purchase(&account, &key);
                    loop {
                        let started = Instant::now();
                        let res = send(&api, "/v1/shipments", &body, &key).await;
                        if judge(&seen, &key, started.elapsed(), &res) {
                            let tracking = res.unwrap().2["tracking_number"].clone();
                            // A tracker for it (the purchase made one already: either answer
                            // is fine, only not a 5xx other than database-unavailable).
                            let started = Instant::now();
                            let t = send(
                                &api,
                                "/v1/trackers",
                                &json!({"tracking_number": tracking, "carrier": "ups"}),
                                &format!("trk-{key}"),
                            )
                            .await;
                            if let Ok((s, _, b)) = &t
                                && s.is_server_error()
                                && !(*s == StatusCode::SERVICE_UNAVAILABLE
                                    && b["type"]
                                        .as_str()
                                        .unwrap_or_default()
                                        .ends_with("/database-unavailable"))
                            {
                                seen.lock()
                                    .unwrap()
                                    .wrong
                                    .push(format!("tracker {key}: {s} {b}"));
                            }
                            if started.elapsed() > ANSWER_BOUND {
                                seen.lock().unwrap().wrong.push(format!(
                                    "tracker {key}: answered after {:?}",
                                    started.elapsed()
                                ));
                            }
                            break;
                        }
                        assert!(
                            Instant::now() < give_up,
                            "key {key} got no shipment in 90 s"
                        );
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            })
        })
        .collect()
}

/// Polls `/readyz` until it answers `want` (503 or 200); how long that took.
async fn readyz_becomes(base: &str, want: u16, within: Duration) -> Duration {
    let started = Instant::now();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    loop {
        let probe = Instant::now();
        let res = http.get(format!("{base}/readyz")).send().await;
        let status = res.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
        assert!(
            probe.elapsed() < Duration::from_secs(3),
            "/readyz took {:?}",
            probe.elapsed()
        );
        if status == want {
            if want == 503 {
                let text = res.unwrap().text().await.unwrap();
                assert!(text.contains("database unavailable"), "{text}");
            }
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "/readyz did not answer {want} within {within:?} (last {status})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// While the database is away: plain reads answer 503 database-unavailable with
/// Retry-After, each within the bound.
async fn reads_answer_503(api: &Api) {
    for _ in 0..3 {
        let started = Instant::now();
        let res = api.fetch("/v1/shipments?limit=1").await;
        let took = started.elapsed();
        assert!(
            took < ANSWER_BOUND,
            "a read took {took:?} while the database was away"
        );
        assert_eq!(res.status(), 503);
        assert!(res.headers().get("retry-after").is_some(), "no Retry-After");
        let p: Value = res.json().await.unwrap();
        assert_eq!(
            p["type"], "https://shiphub.dev/problems/database-unavailable",
            "{p}"
        );
        assert_eq!(p["retryable"], true);
    }
}

/// After the load: every acknowledged purchase is there, its key's retry replays it, and
/// the hub's shipments are exactly the simulator's sales still standing (none lost, none
/// bought twice, none recorded after being voided).
impl Seen {
    /// What the run saw, for the log of a passing test.
    fn report(&self, started: Instant) {
        eprintln!(
            "{} purchases acknowledged, {} database-unavailable answers, test took {:?}",
            self.acknowledged.len(),
            self.unavailable,
            started.elapsed()
        );
    }
}

async fn nothing_lost(api: &Api, account: &str, seen: &Seen, sim_url: &str) {
    for (key, id) in &seen.acknowledged {
        let (s, got) = api.get(&format!("/v1/shipments/{id}")).await;
        assert_eq!(
            s, 200,
            "acknowledged shipment {id} (key {key}) is gone: {got}"
        );
        let res = send(api, "/v1/shipments", &purchase(account, key), key)
            .await
            .unwrap();
        assert_eq!(res.0, StatusCode::CREATED, "retry of {key}: {}", res.2);
        assert_eq!(
            res.2["id"],
            json!(id),
            "retry of {key} answered another shipment"
        );
    }
    let ledger: Vec<Value> = reqwest::get(format!("{sim_url}/_sim/ledger"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut standing: Vec<String> = ledger
        .iter()
        .filter(|s| s["voided"] != json!(true))
        .map(|s| s["shipment_id"].as_str().unwrap().to_string())
        .collect();
    let mut recorded: Vec<String> = api
        .all("/v1/shipments?limit=100")
        .await
        .iter()
        .map(|s| s["tracking_number"].as_str().unwrap().to_string())
        .collect();
    standing.sort();
    recorded.sort();
    assert_eq!(
        recorded, standing,
        "the hub's shipments are not the carrier's standing sales"
    );
    assert_eq!(
        recorded.len(),
        seen.acknowledged.len(),
        "a shipment no client was given"
    );
}

/// Waits until the receiver got the `shipment.created` of `id`.
async fn delivered(rx: &Receiver, id: &str, within: Duration) {
    let started = Instant::now();
    while !rx.has(id) {
        assert!(
            started.elapsed() < within,
            "shipment.created of {id} not delivered within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn buy_one(api: &Api, account: &str, key: &str) -> String {
    let res = send(api, "/v1/shipments", &purchase(account, key), key)
        .await
        .unwrap();
    assert_eq!(res.0, StatusCode::CREATED, "{}", res.2);
    res.2["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_under_load_answers_503_and_loses_nothing() {
    let Some(bin) = pg_bin() else { return };
    let test_started = Instant::now();
    let pg = PgCluster::primary(&bin);
    let (hub, api, account, _ups, sim_url) = hub_with_ups(&pg.url(), "outage").await;
    let rx = subscribed(&api).await;
    let first = buy_one(&api, &account, "first").await;
    delivered(&rx, &first, Duration::from_secs(10)).await;

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let clients = load(&api, &account, 4, stop.clone(), seen.clone());
    for mode in ["fast", "immediate"] {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let before = seen.lock().unwrap().acknowledged.len();
        assert!(before > 0, "no purchase went through before the outage");
        let stopped = Instant::now();
        pg.stop(mode);
        let noticed = readyz_becomes(&hub.base, 503, Duration::from_secs(5)).await;
        eprintln!("-m {mode}: /readyz 503 after {noticed:?}");
        reads_answer_503(&api).await;
        // Down for a while with the load running.
        tokio::time::sleep(Duration::from_secs(2)).await;
        pg.start();
        let back = readyz_becomes(&hub.base, 200, Duration::from_secs(10)).await;
        eprintln!(
            "-m {mode}: /readyz 200 {back:?} after the restart (down {:?})",
            stopped.elapsed()
        );
        // Writes succeed again within a bound.
        let again = Instant::now();
        let after = buy_one(&api, &account, &format!("after-{mode}")).await;
        assert!(
            again.elapsed() < Duration::from_secs(5),
            "a purchase took {:?} after the restart",
            again.elapsed()
        );
        // Background work resumed: the dispatcher delivers the new purchase's event.
        delivered(&rx, &after, Duration::from_secs(10)).await;
        seen.lock()
            .unwrap()
            .acknowledged
            .insert(format!("after-{mode}"), after);
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let mut seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    assert!(
        seen.wrong.is_empty(),
        "answers no client may get: {:#?}",
        seen.wrong
    );
    assert!(seen.unavailable > 0, "no client saw the outage");
    seen.acknowledged.insert("first".into(), first);
    nothing_lost(&api, &account, &seen, &sim_url).await;
    seen.report(test_started);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_promoted_standby_takes_the_writes_after_the_primary_dies() {
    let Some(bin) = pg_bin() else { return };
    let test_started = Instant::now();
    let primary = PgCluster::primary(&bin);
    let standby = PgCluster::standby_of(&primary);
    // Acknowledged commits are on the standby before the client hears of them.
    primary.psql("ALTER SYSTEM SET synchronous_standby_names = 'standby'");
    primary.psql("SELECT pg_reload_conf()");
    primary.wait_for(
        "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'",
        "sync",
        Duration::from_secs(15),
    );
    // The standby first: a host that answers but cannot write is passed over at start, and
    // is the one taken once it is promoted.
    let url = format!(
        "postgres://postgres@{},{}/postgres?target_session_attrs=read-write",
        standby.host(),
        primary.host()
    );
    let (hub, api, account, _ups, sim_url) = hub_with_ups(&url, "failover").await;
    let rx = subscribed(&api).await;

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let clients = load(&api, &account, 4, stop.clone(), seen.clone());
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(
        !seen.lock().unwrap().acknowledged.is_empty(),
        "no purchase before the failover"
    );

    let killed = Instant::now();
    primary.stop("immediate");
    readyz_becomes(&hub.base, 503, Duration::from_secs(5)).await;
    reads_answer_503(&api).await;
    standby.promote();
    standby.wait_for("SELECT pg_is_in_recovery()", "f", Duration::from_secs(15));
    let back = readyz_becomes(&hub.base, 200, Duration::from_secs(15)).await;
    let again = Instant::now();
    let after = buy_one(&api, &account, "after-failover").await;
    eprintln!(
        "failover: /readyz 200 {back:?} after the promotion, a purchase {:?} later; {:?} since the kill",
        again.elapsed(),
        killed.elapsed()
    );
    assert!(
        killed.elapsed() < Duration::from_secs(30),
        "writes took {:?} to come back",
        killed.elapsed()
    );
    delivered(&rx, &after, Duration::from_secs(10)).await;
    seen.lock()
        .unwrap()
        .acknowledged
        .insert("after-failover".into(), after);

    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    assert!(
        seen.wrong.is_empty(),
        "answers no client may get: {:#?}",
        seen.wrong
    );
    // The hub writes to the promoted standby: the old primary is gone.
    assert_eq!(standby.psql("SELECT pg_is_in_recovery()"), "f");
    nothing_lost(&api, &account, &seen, &sim_url).await;
    seen.report(test_started);
}

/// A purchase the carrier answers while the database goes away: not voided, kept, and the
/// retry with its key gets that very label once the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_purchase_answered_while_the_database_stops_is_kept_for_its_retry() {
    let Some(bin) = pg_bin() else { return };
    let pg = PgCluster::primary(&bin);
    let (_hub, api, account, ups, sim_url) = hub_with_ups(&pg.url(), "inflight").await;
    ups.set_latency(1500);
    let body = purchase(&account, "inflight");
    let asked = {
        let (api, body) = (api.clone(), body.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let res = send(&api, "/v1/shipments", &body, "inflight")
                .await
                .unwrap();
            (res, started.elapsed())
        })
    };
    // The request is at the carrier (its key says `sent`) when the database dies.
    tokio::time::sleep(Duration::from_millis(600)).await;
    pg.stop("immediate");
    let ((status, retry, p), took) = asked.await.unwrap();
    assert!(took < ANSWER_BOUND, "answered after {took:?}");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{p}");
    assert_eq!(
        p["type"], "https://shiphub.dev/problems/database-unavailable",
        "{p}"
    );
    assert!(retry.is_some(), "no Retry-After");
    let ledger: Vec<Value> = reqwest::get(format!("{sim_url}/_sim/ledger"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ledger.len(), 1, "{ledger:?}");
    assert_eq!(
        ledger[0]["voided"],
        json!(false),
        "the sale was voided: {ledger:?}"
    );
    let sold = ledger[0]["shipment_id"].as_str().unwrap().to_string();
    assert!(
        p["detail"].as_str().unwrap().contains(&sold),
        "the 503 names the label: {p}"
    );

    pg.start();
    ups.set_latency(30);
    let started = Instant::now();
    let shipment = loop {
        let (status, _, v) = send(&api, "/v1/shipments", &body, "inflight")
            .await
            .unwrap();
        match status.as_u16() {
            201 => break v,
            409 | 503 => {}
            _ => panic!("retry answered {status}: {v}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no shipment for the retry within 20 s: {status} {v}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(shipment["tracking_number"], json!(sold), "{shipment}");
    let ledger: Vec<Value> = reqwest::get(format!("{sim_url}/_sim/ledger"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ledger.len(), 1, "bought twice: {ledger:?}");
    assert_eq!(ledger[0]["voided"], json!(false));
    eprintln!(
        "the kept purchase was recorded {:?} after the database came back",
        started.elapsed()
    );
}
