//! The hub's edges under hostile or unlucky clients, through the real binary: slow-header
//! clients are cut off while others are served, a stalled client cannot hold up shutdown past
//! its deadline, SIGTERM drains (`/readyz` 503 at once, requests still served, then exit), the
//! connection limit holds, one tenant's flood is answered 429 while another tenant is served, a
//! request past its deadline is answered while its purchase completes, and every answer carries
//! a `Request-Id`.

mod common;

use common::Succeeds;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Fault, FaultKind, Sim};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The API key the hub's bootstrap printed.
fn api_key(hub: &common::Hub) -> String {
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    boot["api_key"].as_str().unwrap().to_string()
}

fn addr(hub: &common::Hub) -> String {
    hub.base.trim_start_matches("http://").to_string()
}

/// A client that opens a new connection for every request (no pooled keep-alive).
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A connection that sent a rate request's headers and the start of its 1000-byte body, and
/// then stalls.
async fn stalled_body(addr: &str, key: &str) -> TcpStream {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(
        format!(
            "POST /v1/rates HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"from\":"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    conn
}

/// A connection that asked for `/healthz` and stays open (keep-alive) afterwards.
async fn kept_alive(addr: &str) -> TcpStream {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
        .await
        .unwrap();
    conn
}

/// Waits until the server closes `conn` (EOF or reset); false if it is still open after `within`.
async fn closed_within(conn: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, conn.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// 200 clients trickle a request head one byte at a time and never finish it: each is cut off
/// once the header timeout (counted from its first byte, not between bytes) has passed, and a
/// normal client is served all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_clients_are_cut_off_after_the_header_timeout_and_others_are_served() {
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--header-timeout", "1", "--idle-timeout", "60"],
    );
    let addr = addr(&hub);
    let mut slow = vec![];
    for _ in 0..200 {
        let mut c = TcpStream::connect(&addr).await.unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(tokio::spawn(async move {
            let started = Instant::now();
            let mut buf = [0u8; 1024];
            // Trickle a byte every 200 ms for at most 10 s; report whether the hub hung up.
            while started.elapsed() < Duration::from_secs(10) {
                tokio::select! {
                    r = c.read(&mut buf) => match r {
                        Ok(0) | Err(_) => return true,
                        Ok(_) => {}
                    },
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {
                        if c.write_all(b"a").await.is_err() {
                            return true;
                        }
                    }
                }
            }
            false
        }));
    }
    let res = fresh_client()
        .get(format!("{}/healthz", hub.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "served while 200 clients crawl"
    );
    let mut still_open = 0;
    for s in slow {
        if !s.await.unwrap() {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open, 0,
        "slow-header clients still connected 10 s after a 1 s header timeout"
    );
    let res = fresh_client()
        .get(format!("{}/healthz", hub.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// A client that stops sending its body half-way, an idle keep-alive connection and a
/// half-sent request head: SIGTERM still ends the process once the drain and the shutdown
/// deadline have passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_does_not_hold_up_shutdown_past_the_deadline() {
    let mut hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &[
            "--drain",
            "0.5",
            "--shutdown-timeout",
            "2",
            "--body-timeout",
            "60",
            "--header-timeout",
            "60",
            "--idle-timeout",
            "60",
        ],
    );
    let (key, addr) = (api_key(&hub), addr(&hub));
    let mut stalled = stalled_body(&addr, &key).await;
    let mut idle = kept_alive(&addr).await;
    let mut buf = [0u8; 512];
    assert!(
        idle.read(&mut buf).await.unwrap() > 0,
        "answered, kept alive"
    );
    let mut half = TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    // Nothing observable says the stalled request reached its handler; its head is in the
    // socket already, so a moment is plenty.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    hub.terminate();
    let status = hub
        .wait_exit(Duration::from_secs(15))
        .expect("still running 15 s after SIGTERM with --drain 0.5 --shutdown-timeout 2");
    let took = signalled.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(
        took >= Duration::from_millis(2_400),
        "the request in flight got its drain and deadline ({took:?})"
    );
    for c in [&mut stalled, &mut idle, &mut half] {
        assert!(closed_within(c, Duration::from_secs(2)).await);
    }
}

/// SIGTERM: `/readyz` answers 503 at once, new connections are still served during the drain
/// window, then the process exits by itself and stops listening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_turns_readyz_503_at_once_serves_through_the_drain_then_exits() {
    let mut hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--drain", "3", "--shutdown-timeout", "5"],
    );
    let (key, http) = (api_key(&hub), fresh_client());
    let readyz = format!("{}/readyz", hub.base);
    assert_eq!(
        http.get(&readyz).send().await.unwrap().status(),
        StatusCode::OK
    );

    hub.terminate();
    let until = Instant::now() + Duration::from_secs(1);
    loop {
        let status = http.get(&readyz).send().await.unwrap().status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            Instant::now() < until,
            "/readyz still 200 1 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let res = http
        .get(format!("{}/v1/shipments", hub.base))
        .bearer_auth(&key)
        .send()
        .await
        .expect("a new connection during the drain is accepted");
    assert_eq!(res.status(), StatusCode::OK, "and served");
    assert_eq!(
        res.headers().get("connection").map(|v| v.to_str().unwrap()),
        Some("close"),
        "a drain-window answer tells the keep-alive client to take its next request elsewhere"
    );
    assert!(
        hub.child.try_wait().unwrap().is_none(),
        "still running in the drain window"
    );

    let status = hub
        .wait_exit(Duration::from_secs(15))
        .expect("exits after the drain");
    assert!(status.success(), "{status:?}");
    assert!(TcpStream::connect(addr(&hub)).await.is_err());
}

/// With `--max-connections 2` and two connections open, a third waits unanswered; once one of
/// the two closes, it is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--max-connections", "2", "--header-timeout", "30"],
    );
    let addr = addr(&hub);
    let first = TcpStream::connect(&addr).await.unwrap();
    let _second = TcpStream::connect(&addr).await.unwrap();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    let third = impatient.get(format!("{}/healthz", hub.base)).send().await;
    assert!(
        third.as_ref().is_err_and(|e| e.is_timeout()),
        "a third connection was served past the limit: {third:?}"
    );

    drop(first);
    let res = fresh_client()
        .get(format!("{}/healthz", hub.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// One request's outcome, with the headers the limit answers carry.
struct Seen {
    status: StatusCode,
    retry_after: Option<String>,
    policy: Option<String>,
    limit: Option<String>,
    content_type: Option<String>,
    body: Value,
}

async fn list_shipments(http: &reqwest::Client, base: &str, key: &str) -> Seen {
    let res = http
        .get(format!("{base}/v1/shipments"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let h = |n: &str| {
        res.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
    };
    Seen {
        status: res.status(),
        retry_after: h("retry-after"),
        policy: h("ratelimit-policy"),
        limit: h("ratelimit"),
        content_type: h("content-type"),
        body: res.json().await.unwrap_or(Value::Null),
    }
}

/// One tenant floods with its key (8 clients at once) while another tenant sends 10 requests
/// at the same time: the flooder sees 429s with `Retry-After` and the RateLimit fields, the
/// other tenant's requests all succeed.
async fn flood(args: &[&str], policy: &str) {
    let hub = common::start_with(tempfile::tempdir().unwrap(), args);
    let flooder = api_key(&hub);
    let created: Value =
        serde_json::from_str(common::cli(&hub.db_url, &["tenant", "create", "other"]).trim())
            .unwrap();
    let other = created["api_key"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();

    let flooding: Vec<_> = (0..8)
        .map(|_| {
            let (http, base, key) = (http.clone(), hub.base.clone(), flooder.clone());
            tokio::spawn(async move {
                let mut seen = vec![];
                for _ in 0..30 {
                    seen.push(list_shipments(&http, &base, &key).await);
                }
                seen
            })
        })
        .collect();
    let polite = {
        let (http, base) = (http.clone(), hub.base.clone());
        tokio::spawn(async move {
            let mut seen = vec![];
            for _ in 0..10 {
                seen.push(list_shipments(&http, &base, &other).await);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            seen
        })
    };
    let mut flood_seen = vec![];
    for f in flooding {
        flood_seen.extend(f.await.unwrap());
    }
    let polite_seen = polite.await.unwrap();

    let statuses: Vec<_> = polite_seen.iter().map(|s| s.status).collect();
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "the other tenant was not served: {statuses:?}"
    );
    let limited: Vec<_> = flood_seen
        .iter()
        .filter(|s| s.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    let ok = flood_seen
        .iter()
        .filter(|s| s.status == StatusCode::OK)
        .count();
    assert_eq!(limited.len() + ok, flood_seen.len(), "only 200s and 429s");
    assert!(ok >= 10, "the burst is served ({ok})");
    assert!(
        limited.len() > 100,
        "240 requests at once against a burst of 10 at 2/s: {} refused",
        limited.len()
    );

    let want_policy = format!("\"{policy}\";q=10;w=5");
    let l = limited[0];
    assert_eq!(l.content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(l.body["status"], 429, "{}", l.body);
    assert!(
        l.body["detail"].as_str().unwrap().contains(policy),
        "{}",
        l.body
    );
    let retry: u64 = l.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    assert_eq!(l.policy.as_deref(), Some(want_policy.as_str()));
    let limit = l.limit.as_deref().unwrap();
    assert!(
        limit.starts_with(&format!("\"{policy}\";r=0;t=")),
        "RateLimit on a 429: {limit}"
    );
    // Normal answers carry the fields too, with what is left.
    for s in polite_seen.iter().chain(flood_seen.iter().take(1)) {
        assert_eq!(s.policy.as_deref(), Some(want_policy.as_str()));
        let limit = s.limit.as_deref().unwrap();
        assert!(limit.starts_with(&format!("\"{policy}\";r=")), "{limit}");
        assert!(limit.contains(";t="), "{limit}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_key_gets_429_while_another_tenant_is_served() {
    flood(
        &["--key-rate", "2", "--key-burst", "10", "--tenant-rate", "0"],
        "key",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_tenant_gets_429_while_another_tenant_is_served() {
    flood(
        &[
            "--key-rate",
            "0",
            "--tenant-rate",
            "2",
            "--tenant-burst",
            "10",
        ],
        "tenant",
    )
    .await;
}

/// Success, problem, 404 and 405 answers all carry a `Request-Id`; a client's sane id is
/// echoed, anything else replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let (key, http) = (api_key(&hub), reqwest::Client::new());
    let url = |p: &str| format!("{}{p}", hub.base);
    let answers = [
        (http.get(url("/healthz")), StatusCode::OK),
        (
            http.get(url("/v1/shipments")).bearer_auth(&key),
            StatusCode::OK,
        ),
        (http.get(url("/v1/shipments")), StatusCode::UNAUTHORIZED),
        (
            http.post(url("/v1/rates"))
                .bearer_auth(&key)
                .header("content-type", "text/plain")
                .body("x"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            http.get(url("/v1/no-such-thing")).bearer_auth(&key),
            StatusCode::NOT_FOUND,
        ),
        (http.delete(url("/healthz")), StatusCode::METHOD_NOT_ALLOWED),
    ];
    let mut ids = std::collections::HashSet::new();
    for (req, want) in answers {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), want);
        let id = res
            .headers()
            .get("request-id")
            .unwrap_or_else(|| panic!("no Request-Id on a {want} answer"))
            .to_str()
            .unwrap()
            .to_string();
        assert!(!id.is_empty());
        assert!(ids.insert(id), "ids are per request");
    }

    let echoed = http
        .get(url("/v1/no-such-thing"))
        .header("Request-Id", "client-req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["request-id"], "client-req-42");
    let replaced = http
        .get(url("/healthz"))
        .header("Request-Id", "forged log\" line")
        .send()
        .await
        .unwrap();
    let id = replaced.headers()["request-id"].to_str().unwrap();
    assert_ne!(id, "forged log\" line");
    assert!(!id.is_empty() && !id.contains(' '));
}

fn shipment() -> Value {
    json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},
           "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true,"phone":"+14155550100"},
           "parcels":[{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}]})
}

/// A purchase that takes longer than `--request-timeout`: the client gets a 503 problem with
/// `Retry-After` at the deadline (logged with its Request-Id), the purchase still completes,
/// and the retry with the same key gets its answer; the label is bought once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_deadline_is_answered_and_its_purchase_still_completes() {
    let ups_sim = Sim::default();
    let ups_addr = sim::serve(
        sim::ups::router(ups_sim.clone()),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--request-timeout", "1"]);
    let (key, http) = (api_key(&hub), reqwest::Client::new());
    let created = http
        .post(format!("{}/v1/carrier-accounts", hub.base))
        .bearer_auth(&key)
        .json(&json!({"carrier":"ups","name":"UPS","base_url": format!("http://{ups_addr}"),
            "credentials":{"client_id":"ups-client","client_secret":"ups-secret","account_number":"A1B2C3"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let ups: Value = created.json().await.unwrap();
    let mut body = shipment();
    body["carrier_account"] = ups["id"].clone();
    body["service"] = json!("03");
    body["label_format"] = json!("zpl");

    ups_sim.push(Fault {
        kind: FaultKind::Slow { millis: 3_000 },
        path: Some("/api/shipments".into()),
    });
    let buy = || {
        http.post(format!("{}/v1/shipments", hub.base))
            .bearer_auth(&key)
            .header("Idempotency-Key", "late-1")
            .json(&body)
    };
    let res = buy()
        .header("Request-Id", "deadline-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.headers()["request-id"], "deadline-test-1");
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(
        problem["type"], "https://shiphub.dev/problems/request-deadline",
        "{problem}"
    );
    assert_eq!(problem["retryable"], true);

    // The log line of the deadline names the request.
    let until = Instant::now() + Duration::from_secs(5);
    while !hub
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("deadline-test-1") && l.contains("deadline exceeded"))
    {
        assert!(Instant::now() < until, "no log line with the Request-Id");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The purchase completes; the retry with the same key gets its answer.
    let until = Instant::now() + Duration::from_secs(15);
    let answer = loop {
        let res = buy().send().await.unwrap();
        match res.status() {
            StatusCode::CREATED => break res,
            StatusCode::CONFLICT => {}
            other => panic!("retry answered {other}: {}", res.text().await.unwrap()),
        }
        assert!(Instant::now() < until, "the purchase never completed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(answer.headers()["idempotent-replayed"], "true");
    let list: Value = http
        .get(format!("{}/v1/shipments", hub.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(ups_sim.hits("/api/shipments"), 1, "bought once");
}

/// A key given its own limit with `shiphub key limit` is held to it (the server's defaults are
/// generous), and its RateLimit fields say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_with_its_own_limit_is_held_to_it() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let key = api_key(&hub);
    std::process::Command::new(common::binary())
        .args(["key", "limit", &key[..11], "--rate", "1", "--burst", "3"])
        .env("DATABASE_URL", &hub.db_url)
        .succeed();
    let http = reqwest::Client::new();
    let mut seen = vec![];
    for _ in 0..6 {
        seen.push(list_shipments(&http, &hub.base, &key).await);
    }
    let statuses: Vec<_> = seen.iter().map(|s| s.status.as_u16()).collect();
    assert_eq!(&statuses[..3], [200, 200, 200], "{statuses:?}");
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    // The server's tenant policy follows the key's own.
    let policy = seen[0].policy.as_deref().unwrap();
    assert!(
        policy.starts_with("\"key\";q=3;w=3, \"tenant\";"),
        "{policy}"
    );
    let limit = seen[0].limit.as_deref().unwrap();
    assert!(limit.starts_with("\"key\";r=2;t=1, \"tenant\";"), "{limit}");
}

/// A keep-alive connection left idle is closed after the idle timeout, and a request whose body
/// stops half-way is answered (and its connection closed) after the body timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_and_stalled_bodies_time_out() {
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &[
            "--idle-timeout",
            "1",
            "--body-timeout",
            "1",
            "--header-timeout",
            "30",
        ],
    );
    let (key, addr) = (api_key(&hub), addr(&hub));
    let mut idle = kept_alive(&addr).await;
    let mut buf = [0u8; 512];
    assert!(idle.read(&mut buf).await.unwrap() > 0);

    let mut stalled = stalled_body(&addr, &key).await;
    let mut answer = vec![];
    let read = tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut answer))
        .await
        .expect("a stalled body was still waited for 10 s after a 1 s body timeout");
    let answer = String::from_utf8_lossy(&answer);
    read.expect("the stalled request is answered before its connection closes");
    assert!(answer.starts_with("HTTP/1.1 408"), "answered {answer}");
    assert!(
        answer.contains("application/problem+json") && answer.contains("body-timeout"),
        "answered {answer}"
    );
    assert!(
        closed_within(&mut idle, Duration::from_secs(10)).await,
        "an idle keep-alive connection was open 10 s after a 1 s idle timeout"
    );
}
