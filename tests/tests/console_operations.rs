//! The console's operations pages in a real browser (issue 20): the print stations page
//! updating live over server-sent events (a printer out of paper, an agent gone quiet) and a
//! failed job retried from it; a webhook endpoint's failed delivery resent once its receiver
//! is fixed, its secret rotated and shown once, a test sent; the exceptions board grouping an
//! exception parcel and a stalled one under their reasons. What each role may not do is
//! neither shown nor allowed. axe-core finds no serious violation on any page.

mod browser;
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use browser::{Browser, user};
use common::Api;
use fantoccini::Locator;
use serde_json::{Value, json};

async fn logout(b: &Browser) {
    b.click(Locator::Css("form[action='/console/logout'] button"))
        .await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
}

/// Reloads `path` until its text contains `needle` (for what changes without a live stream).
async fn reload_until(b: &Browser, path: &str, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        b.goto(path).await;
        let t = b.text().await;
        if t.contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never said {needle:?}; it says:\n{t}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The status of a request the page's own script sends (`shiphub.call`), as a user forcing
/// an action the page does not offer would.
async fn forced(b: &Browser, method: &str, path: &str) -> u64 {
    let v = b
        .c
        .execute_async(
            "const [m, p, done] = arguments;
             window.shiphub.call(m, p, undefined, window.shiphub.newKey()).then(r => done(r.status));",
            vec![json!(method), json!(path)],
        )
        .await
        .unwrap();
    v.as_u64().unwrap()
}

// --- print stations -------------------------------------------------------------------------

/// A station's agent, by hand: reports `state` every 300 ms while `alive`.
struct FakeAgent {
    alive: Arc<AtomicBool>,
    state: Arc<Mutex<&'static str>>,
}

impl FakeAgent {
    fn start(base: &str, token: &str) -> FakeAgent {
        let alive = Arc::new(AtomicBool::new(true));
        let state = Arc::new(Mutex::new("ready"));
        let (a, s) = (alive.clone(), state.clone());
        let (url, auth) = (
            format!("{base}/v1/print-stations/self/status"),
            format!("Bearer {token}"),
        );
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            while a.load(Ordering::SeqCst) {
                let printer = *s.lock().unwrap();
                let res = http
                    .post(&url)
                    .header("Authorization", &auth)
                    .json(&json!({"printer": printer, "detail": (printer == "paper_out").then_some("media out")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 204);
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        });
        FakeAgent { alive, state }
    }
}

/// Takes the station's queued jobs and acknowledges each as failed: their ids.
async fn fail_jobs(base: &str, token: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let jobs: Value = http
        .get(format!("{base}/v1/print-stations/self/jobs?wait=0"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut ids = vec![];
    for j in jobs["jobs"].as_array().expect("a list of jobs") {
        let id = j["id"].as_str().unwrap().to_string();
        let res = http
            .post(format!("{base}/v1/print-jobs/{id}/ack"))
            .header("Authorization", format!("Bearer {token}"))
            .json(&json!({"status": "failed", "detail": "paper jam"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        ids.push(id);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warehouse_watches_stations_live_and_retries_a_failed_job() {
    // Offline after 2 s without a call, so the test need not wait the default 90 s.
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--insecure-cookie", "--print-offline-after", "2"],
    );
    let api = Api::of(&hub);
    let warehouse = user(&hub, "default", "warehouse");
    let viewer = user(&hub, "default", "viewer");
    let station = api
        .created("/v1/print-stations", json!({"name": "Dock 3 Zebra"}))
        .await;
    let (sid, token) = (
        station["id"].as_str().unwrap().to_string(),
        station["token"].as_str().unwrap().to_string(),
    );
    // Two labels whose jobs the printer fails.
    api.buy_sandbox(Some(&sid)).await;
    api.buy_sandbox(Some(&sid)).await;
    let failed = fail_jobs(&hub.base, &token).await;
    assert_eq!(failed.len(), 2);
    let agent = FakeAgent::start(&hub.base, &token);
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &warehouse).await;
    b.goto("/console/print").await;
    b.wait_text("Dock 3 Zebra").await;
    b.wait_text("Live: cards update").await;
    // Read by script in one step: the stream may replace the card between two WebDriver calls.
    let card = format!("return document.getElementById('station-{sid}')?.innerText || ''");
    let card_text = || async { b.js(&card).await.as_str().unwrap().to_string() };
    let wait_card = |needle: &'static str| {
        let card_text = &card_text;
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let t = card_text().await;
                if t.contains(needle) {
                    return t;
                }
                assert!(
                    Instant::now() < deadline,
                    "the card never said {needle:?}: {t}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let t = wait_card("online").await;
    assert!(t.contains("ready"), "{t}");
    assert!(t.contains("paper jam"), "the failed jobs are listed: {t}");
    let retry_buttons = "return document.querySelectorAll('button[data-api$=\"/retry\"]').length";
    assert_eq!(b.js(retry_buttons).await, json!(2));
    b.assert_accessible("/console/print").await;
    b.screenshot("print-stations").await;
    b.phone(true).await;
    let overflow = "return document.documentElement.scrollWidth <= window.innerWidth";
    assert_eq!(b.js(overflow).await, json!(true));
    b.phone(false).await;
    // Whatever changes next arrives without a reload: this mark would be gone after one.
    b.js("window.notReloaded = true").await;

    // The printer runs out of paper: the agent says so, the card shows it.
    *agent.state.lock().unwrap() = "paper_out";
    let t = wait_card("paper out").await;
    assert!(t.contains("media out") && t.contains("online"), "{t}");
    // The agent stops calling: the station goes offline.
    agent.alive.store(false, Ordering::SeqCst);
    wait_card("offline").await;
    assert_eq!(
        b.js("return window.notReloaded === true").await,
        json!(true)
    );

    // A failed job is retried from the page: a new job is queued, the card says so live.
    b.click(Locator::Css(&format!(
        "button[aria-label='Retry job {}']",
        failed[0]
    )))
    .await;
    let t = wait_card("retried as").await;
    assert!(t.contains("1 queued"), "{t}");
    assert_eq!(
        b.js("return window.notReloaded === true").await,
        json!(true)
    );
    let queued = api
        .get_ok(&format!("/v1/print-jobs?station={sid}&status=queued"))
        .await;
    let queued = queued["data"].as_array().unwrap();
    assert_eq!(queued.len(), 1);
    let retried_as = queued[0]["id"].as_str().unwrap();
    assert_ne!(retried_as, failed[0]);
    assert!(t.contains(retried_as), "{t}");
    // Retrying it again (another click, another key) prints nothing twice.
    let (status, p) = api
        .send(
            reqwest::Method::POST,
            &format!("/v1/print-jobs/{}/retry", failed[0]),
            None,
            None,
        )
        .await;
    assert_eq!(status, 409, "{p}");
    assert!(p["detail"].as_str().unwrap().contains(retried_as), "{p}");
    // The same key replays the same answer.
    let path = format!("/v1/print-jobs/{}/retry", failed[1]);
    let (s1, first) = api
        .send(reqwest::Method::POST, &path, None, Some("retry-once"))
        .await;
    let (s2, again) = api
        .send(reqwest::Method::POST, &path, None, Some("retry-once"))
        .await;
    assert_eq!((s1.as_u16(), s2.as_u16()), (201, 201), "{first} {again}");
    assert_eq!(first["id"], again["id"]);
    let station = api.get_ok(&format!("/v1/print-stations/{sid}")).await;
    assert_eq!(station["online"], json!(false));
    assert_eq!(station["printer_state"], "paper_out");

    // A station registered here: its token shows once, its card appears without a reload.
    b.fill("name", "Dock 4").await;
    b.click(Locator::Css(
        "form[data-api='/v1/print-stations'] button[type=submit]",
    ))
    .await;
    b.wait_text("Its agent's token, shown only now: shps_")
        .await;
    let stations = api.get_ok("/v1/print-stations").await;
    let dock4 = stations["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Dock 4")
        .expect("registered")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let appeared = format!("return document.getElementById('station-{dock4}') !== null");
    let deadline = Instant::now() + Duration::from_secs(15);
    while b.js(&appeared).await != json!(true) {
        assert!(
            Instant::now() < deadline,
            "the new station's card never appeared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        b.js("return window.notReloaded === true").await,
        json!(true)
    );
    assert!(b.text().await.contains("shps_"), "the token is still shown");

    // A viewer watches but retries nothing, and cannot register a station.
    logout(&b).await;
    b.login("default", &viewer).await;
    b.goto("/console/print").await;
    b.wait_text("Dock 3 Zebra").await;
    let text = b.text().await;
    assert!(!text.contains("Register a station"), "{text}");
    assert_eq!(b.js(retry_buttons).await, json!(0));
    assert_eq!(forced(&b, "POST", &path).await, 403);
    b.close().await;
}

// --- webhooks -------------------------------------------------------------------------------

/// A webhook receiver that answers 500 while `failing`, else 200; counts what it got.
struct Receiver {
    url: String,
    failing: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        use axum::extract::State;
        use axum::http::{HeaderMap, StatusCode};
        type Shared = (Arc<AtomicBool>, Arc<Mutex<Vec<String>>>);
        let failing = Arc::new(AtomicBool::new(true));
        let got: Arc<Mutex<Vec<String>>> = Arc::default();
        let app = axum::Router::new()
            .route(
                "/in",
                axum::routing::post(
                    |State((failing, got)): State<Shared>, headers: HeaderMap| async move {
                        let id = headers
                            .get("webhook-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        if failing.load(Ordering::SeqCst) {
                            (StatusCode::INTERNAL_SERVER_ERROR, "receiver broken")
                        } else {
                            got.lock().unwrap().push(id);
                            (StatusCode::OK, "ok")
                        }
                    },
                ),
            )
            .with_state((failing.clone(), got.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/in", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, failing, got }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_resends_a_failed_delivery_rotates_the_secret_and_sends_a_test() {
    let rx = Receiver::start().await;
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &[
            "--insecure-cookie",
            "--webhook-dev-loopback",
            "--webhook-schedule",
            "0,0.1",
            "--webhook-timeout",
            "1",
            "--webhook-lease",
            "3",
        ],
    );
    let api = Api::of(&hub);
    let admin = user(&hub, "default", "admin");
    let finance = user(&hub, "default", "finance");
    let viewer = user(&hub, "default", "viewer");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &admin).await;

    // A new endpoint from the page: its secret is shown once.
    b.goto("/console/webhooks").await;
    b.wait_text("New endpoint").await;
    b.fill("url", &rx.url).await;
    b.fill("events", "shipment.created").await;
    b.fill("description", "order system").await;
    b.click(Locator::Css(
        "form[data-api='/v1/webhooks'] button[type=submit]",
    ))
    .await;
    b.wait_text("Its signing secret, shown only now: whsec_")
        .await;
    let list = api.get_ok("/v1/webhooks").await;
    let id = list["data"][0]["id"].as_str().unwrap().to_string();
    reload_until(&b, "/console/webhooks", &rx.url).await;
    assert!(
        !b.text().await.contains("whsec_"),
        "the secret is shown once"
    );
    b.assert_accessible("/console/webhooks").await;
    b.screenshot("webhooks").await;

    // A purchase's event: the receiver answers 500 until the delivery gives up.
    api.buy_sandbox(None).await;
    let deliveries = format!("/v1/webhooks/{id}/deliveries");
    let deadline = Instant::now() + Duration::from_secs(30);
    let delivery = loop {
        let d = api.get_ok(&deliveries).await;
        if d["data"][0]["status"] == "failed" {
            break d["data"][0]["id"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "never failed: {d}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let page = format!("/console/webhooks/{id}");
    b.goto(&page).await;
    b.wait_text("shipment.created").await;
    let t = b.text().await;
    assert!(t.contains("failed") && t.contains("500"), "{t}");
    b.assert_accessible(&page).await;

    // Its attempt log, then a resend once the receiver is fixed.
    let delivery_page = format!("/console/webhooks/{id}/deliveries/{delivery}");
    b.goto(&delivery_page).await;
    b.wait_text("Attempt log").await;
    assert!(b.text().await.contains("receiver broken"));
    b.assert_accessible(&delivery_page).await;
    rx.failing.store(false, Ordering::SeqCst);
    b.click(Locator::Css("button[data-api$='/resend']")).await;
    b.wait_text("Resent.").await;
    reload_until(&b, &delivery_page, "succeeded").await;
    assert_eq!(rx.got.lock().unwrap().len(), 1);

    // Rotate: the new secret shows once.
    b.goto(&page).await;
    b.js("window.confirm = () => true").await;
    b.click(Locator::Css("button[data-api$='/rotate-secret']"))
        .await;
    b.wait_text("New signing secret, shown only now: whsec_")
        .await;
    let shown = b.text().await;
    let secret = shown
        .split("shown only now: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    b.goto(&page).await;
    assert!(!b.text().await.contains(&secret), "shown once");
    let w = api.get_ok(&format!("/v1/webhooks/{id}")).await;
    assert!(w["previous_secret_expires_at"].is_string(), "{w}");

    // A test event: queued, then delivered.
    b.click(Locator::Css("button[data-api$='/test']")).await;
    b.wait_text("Test event sent: delivery whd_").await;
    reload_until(&b, &page, "webhook.test").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while rx.got.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "the test never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.screenshot("webhook-deliveries").await;

    // Finance reads, but a resend forced from the page's script is refused.
    logout(&b).await;
    b.login("default", &finance).await;
    b.goto(&page).await;
    b.wait_text("shipment.created").await;
    let no_actions = "return document.querySelectorAll('button[data-api]').length";
    assert_eq!(b.js(no_actions).await, json!(0));
    let resend = format!("/v1/webhooks/{id}/deliveries/{delivery}/resend");
    assert_eq!(forced(&b, "POST", &resend).await, 403);
    // A viewer sees no Resend, Rotate or Send test either.
    logout(&b).await;
    b.login("default", &viewer).await;
    b.goto(&delivery_page).await;
    b.wait_text("Attempt log").await;
    assert_eq!(b.js(no_actions).await, json!(0));
    b.goto("/console/webhooks").await;
    assert!(!b.text().await.contains("New endpoint"));
    b.close().await;
}

// --- exceptions board -----------------------------------------------------------------------

/// A sandbox number of `scenario` (1 = exception) shipped at `shipped_at` (the layout of
/// `carriers/src/sandbox/number.rs`: scenario digit, seconds, a slot, a Luhn check digit).
fn sandbox_number(scenario: u8, shipped_at: i64, slot: u16) -> String {
    let payload = format!("{scenario}{shipped_at:010}{slot:04}");
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("SB{payload}{}", (10 - sum % 10) % 10)
}

#[test]
fn sandbox_numbers_are_made_as_the_sandbox_makes_them() {
    // The sandbox's own hand-computed example.
    assert_eq!(sandbox_number(0, 1_700_000_000, 42), "SB0170000000000426");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exceptions_board_groups_parcels_in_trouble_by_reason() {
    // 20,000× faster tracking: the express stall gap (36 h) passes in 6.5 s.
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &[
            "--insecure-cookie",
            "--tracking-speedup",
            "20000",
            "--tracking-tick-ms",
            "100",
        ],
    );
    let api = Api::of(&hub);
    // One scripted step an hour: each parcel stays where it is while the test looks.
    let account = api
        .create_account(
            json!({"carrier":"sandbox","name":"hourly","credentials":{"step_seconds":3600}}),
        )
        .await;
    let purchase = |reference: &str, ship_date: String| {
        json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
               "to":{"name":"Empfänger","street":["Unter den Linden 1"],"city":"Berlin","postal_code":"10117","country":"DE",
                     "phone":"+49 30 1234567","email":"empfang@example.de"},
               "parcels":[{"weight":{"value":"1","unit":"kg"}}], "ship_date": ship_date,
               "customs":{"incoterm":"DDP","content_type":"merchandise","items":[{"description":"Cotton T-shirt","quantity":1,
                   "unit_value":{"amount":"12.50","currency":"USD"},"unit_weight":{"value":"0.2","unit":"kg"},"hs_code":"6109.10","origin_country":"US"}]},
               "carrier_account": account, "service": "express", "reference": reference})
    };
    let today = time::OffsetDateTime::now_utc().date();
    // Bought here and never scanned after its label: stalled.
    let stall = api
        .created("/v1/shipments", purchase("STALL", today.to_string()))
        .await;
    // Shipped a fortnight ago and promised long since: late (`LATE`: the sandbox delivers it
    // ten business days after its quote, so it is still on its way).
    let late = api
        .created(
            "/v1/shipments",
            purchase("LATE", (today - time::Duration::days(14)).to_string()),
        )
        .await;
    // Shipped elsewhere three hours ago: held for its address since the third step, a few
    // seconds ago (the sped-up tracker expires after 130 s without a scan, 30 days unscaled).
    let shipped = time::OffsetDateTime::now_utc().unix_timestamp() - 3 * 3600 - 5;
    let number = sandbox_number(1, shipped, 7);
    let (status, t) = api
        .post(
            "/v1/trackers",
            json!({"tracking_number": number, "carrier": "sandbox", "carrier_account": account}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let viewer = user(&hub, "default", "viewer");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &viewer).await;
    reload_until(&b, "/console/exceptions", "Stalled (no scan)").await;
    reload_until(&b, "/console/exceptions", "Address problem").await;
    reload_until(&b, "/console/exceptions", "Late (past the promised date)").await;
    let text = b.text().await;
    assert!(text.contains(&number), "{text}");
    let stall_number = stall["tracking_number"].as_str().unwrap();
    assert!(text.contains(stall_number), "{text}");
    assert!(text.contains("US → DE"), "the shipments' lane: {text}");
    assert!(
        text.contains(late["tracking_number"].as_str().unwrap()),
        "{text}"
    );
    // The shipment links to its page; the parcel shipped elsewhere links nowhere.
    let href = b
        .js(&format!(
            "return [...document.querySelectorAll('#main a')].find(a => a.textContent.includes('{stall_number}'))?.getAttribute('href')"
        ))
        .await;
    assert_eq!(
        href,
        json!(format!(
            "/console/shipments/{}",
            stall["id"].as_str().unwrap()
        ))
    );
    let linked = b
        .js(&format!(
            "return [...document.querySelectorAll('#main a')].some(a => a.textContent.includes('{number}'))"
        ))
        .await;
    assert_eq!(linked, json!(false));
    b.assert_accessible("/console/exceptions").await;
    b.screenshot("exceptions").await;
    // On a phone the tables scroll inside their boxes; the page itself does not.
    b.phone(true).await;
    let overflow = "return document.documentElement.scrollWidth <= window.innerWidth";
    assert_eq!(b.js(overflow).await, json!(true));
    b.phone(false).await;

    // Each group lists its parcels.
    b.goto("/console/exceptions?reason=address_problem").await;
    b.wait_text("(filtered)").await;
    let text = b.text().await;
    assert!(
        text.contains(&number) && !text.contains(stall_number),
        "{text}"
    );
    b.goto("/console/exceptions?reason=stalled").await;
    b.wait_text("(filtered)").await;
    let text = b.text().await;
    assert!(text.contains(stall_number), "{text}");

    // Another organisation's board is its own: empty.
    common::cli(&hub.db_url, &["tenant", "create", "other"]);
    let other = user(&hub, "other", "viewer");
    logout(&b).await;
    b.login("other", &other).await;
    b.goto("/console/exceptions").await;
    b.wait_text("No parcel is in exception, late or stalled.")
        .await;
    b.close().await;
}

/// The print page's live streams are a bounded resource: 64 per hub, the next refused with a
/// 503 (not queued, not slowing the pages), a slot freed when its page goes away, and every
/// open stream ended by a graceful shutdown (which then does not wait on them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_streams_are_capped_freed_and_ended_by_shutdown() {
    const CAP: usize = 64;
    let mut hub = browser::hub();
    let email = user(&hub, "default", "warehouse");
    let cookie = browser::session_cookie(&hub, "default", &email).await;
    let http = reqwest::Client::new();
    let open = || {
        http.get(format!("{}/console/print/stream", hub.base))
            .header("Cookie", &cookie)
            .send()
    };
    let mut streams = vec![];
    for n in 0..CAP {
        let res = open().await.unwrap();
        assert_eq!(res.status(), 200, "stream {n}");
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        streams.push(res);
    }
    let refused = open().await.unwrap();
    assert_eq!(refused.status(), 503, "one more than {CAP}");
    // Pages still answer while the streams are full.
    let page = http
        .get(format!("{}/console/print", hub.base))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    // A closed page frees its slot (the hub notices the connection is gone).
    drop(streams.pop());
    let deadline = Instant::now() + Duration::from_secs(40);
    let reopened = loop {
        let res = open().await.unwrap();
        if res.status() == 200 {
            break res;
        }
        assert!(
            Instant::now() < deadline,
            "the closed stream's slot was never freed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    streams.push(reopened);

    // SIGTERM with every slot taken: each stream ends, and the hub exits without waiting for
    // the browsers to close them.
    hub.terminate();
    let status = hub.wait_exit(Duration::from_secs(10));
    assert!(status.is_some_and(|s| s.success()), "exit: {status:?}");
    for (n, mut s) in streams.into_iter().enumerate() {
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            while let Ok(Some(_)) = s.chunk().await {}
        })
        .await;
        assert!(ended.is_ok(), "stream {n} still open after the hub exited");
    }
}
