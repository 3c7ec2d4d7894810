//! The console's finance pages in a real browser (issue 20): an admin adds a UPS account
//! (a wrong setting is shown next to its field), tests it against the UPS simulator and
//! deletes it; a rate card with a bad line is refused with "line N" in place; a finance user
//! uploads a UPS invoice with progress, reads the report's charts and top lines and downloads
//! the dispute file and the PDF; analytics by carrier, service and lane. What a role may not
//! do is not offered, and the API refuses it when forced. axe-core on every page.

mod browser;
mod common;

use std::net::SocketAddr;

use browser::{Browser, user};
use fantoccini::Locator;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Sim};

/// Types `value` into the element at `css` (inside one form: several carriers' forms have
/// fields of the same name).
async fn type_in(b: &Browser, css: &str, value: &str) {
    let el =
        b.c.find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
    el.clear().await.unwrap();
    el.send_keys(value).await.unwrap();
}

/// Waits until the script returns something truthy, and returns it (across a reload: a
/// script run while the page is replaced fails and is run again).
async fn wait_js(b: &Browser, script: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let v = b.c.execute(script, vec![]).await.unwrap_or(Value::Null);
        if !(v.is_null() || v == json!(false) || v == json!("")) {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "never true: {script}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits until the page (reloaded or not) says `needle`.
async fn wait_says(b: &Browser, needle: &str) {
    wait_js(
        b,
        &format!("return document.body.innerText.includes({})", json!(needle)),
    )
    .await;
}

/// On a phone the page does not scroll sideways (its tables and charts do, inside them).
async fn fits_a_phone(b: &Browser, what: &str) {
    b.phone(true).await;
    let fits = b
        .js("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        .await;
    assert_eq!(fits, true, "{what} overflows a phone's width");
    b.phone(false).await;
}

/// One row of UPS Billing Data (250 columns), `fields` by 1-based column.
fn ups_row(fields: &[(usize, String)]) -> String {
    let mut cols = vec![String::new(); 250];
    for (pos, v) in fields {
        cols[pos - 1] = v.clone();
    }
    cols.join(",")
}

/// A UPS invoice billing freight for packages no shipment of the hub's has (each one
/// recoverable in full), shipped over two weeks.
fn invoice() -> String {
    let mut rows = Vec::new();
    for (i, (day, amount)) in [
        ("2026-11-09", "1234.56"),
        ("2026-11-10", "18.20"),
        ("2026-11-17", "42.75"),
        ("2026-11-18", "9.99"),
    ]
    .iter()
    .enumerate()
    {
        rows.push(ups_row(&[
            (1, "2.1".into()),
            (2, "0000A1B2C3".into()),
            (3, "0000A1B2C3".into()),
            (4, "US".into()),
            (5, "2026-11-21".into()),
            (6, "0000A1B2C3476".into()),
            (7, "E".into()),
            (10, "USD".into()),
            (12, day.to_string()),
            (21, format!("1ZA1B2C3030000000{i}")),
            (22, format!("ORDER-{i}")),
            (27, "5.6".into()),
            (28, "L".into()),
            (29, "6.0".into()),
            (30, "L".into()),
            (31, "PKG".into()),
            (35, "SHP".into()),
            (44, "FRT".into()),
            (45, "003".into()),
            (46, "Ground Commercial".into()),
            (49, "0".into()),
            (51, "USD".into()),
            (52, "0".into()),
            (53, amount.to_string()),
            (117, day.to_string()),
        ]));
    }
    rows.join("\n") + "\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_tests_and_deletes_a_carrier_account_and_a_bad_rate_card_names_its_line() {
    let ups_url = {
        let addr = sim::serve(
            sim::ups::router(Sim::default()),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .unwrap();
        format!("http://{addr}")
    };
    let hub = browser::hub();
    let email = user(&hub, "default", "admin");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &email).await;
    b.goto("/console/carriers").await;
    b.wait_text("Add account").await;
    b.assert_accessible("/console/carriers").await;

    // A UPS account with a shipper number UPS never issues: the error is beside the field.
    b.click(Locator::Css("details:has(#add-ups) > summary"))
        .await;
    type_in(&b, "#add-ups [name='name']", "UPS main").await;
    type_in(&b, "#add-ups [name='base_url']", &ups_url).await;
    type_in(&b, "#add-ups [name='credentials.client_id']", "ups-client").await;
    type_in(
        &b,
        "#add-ups [name='credentials.client_secret']",
        "ups-secret",
    )
    .await;
    type_in(&b, "#add-ups [name='credentials.account_number']", "123").await;
    let secret_type = b
        .js("return document.querySelector(\"#add-ups [name='credentials.client_secret']\").type")
        .await;
    assert_eq!(secret_type, "password", "a secret is typed unseen");
    b.click(Locator::Css("#add-ups button[type=submit]")).await;
    let beside = wait_js(
        &b,
        "const i = document.querySelector(\"#add-ups [name='credentials.account_number']\");
         const e = i.nextElementSibling;
         return i.getAttribute('aria-invalid') === 'true' && e && e.classList.contains('field-error') && e.textContent;",
    )
    .await;
    assert!(
        beside.as_str().unwrap().contains("6 letters and digits"),
        "{beside}"
    );

    // Fixed, it is added and listed with its mode and quota.
    type_in(&b, "#add-ups [name='credentials.account_number']", "A1B2C3").await;
    b.click(Locator::Css("#add-ups button[type=submit]")).await;
    wait_says(&b, "UPS main").await;
    let text = b.text().await;
    assert!(text.contains("operator-allowed · 127.0.0.1"), "{text}");
    assert!(
        text.contains("10/s, burst"),
        "the UPS default quota: {text}"
    );
    b.screenshot("carrier-accounts").await;

    // The connection test asks the simulator (a token, then a rate).
    b.click(Locator::XPath(
        "//tr[contains(., 'UPS main')]//button[normalize-space()='Test connection']",
    ))
    .await;
    b.wait_text("Connection OK: the carrier answered a rate.")
        .await;

    // Deleted after confirming.
    b.js("window.confirm = () => true; return true").await;
    b.click(Locator::XPath(
        "//tr[contains(., 'UPS main')]//button[normalize-space()='Delete']",
    ))
    .await;
    wait_js(&b, "return !document.body.textContent.includes('UPS main')").await;

    // A rate card with a bad line: "line N" in place, nothing stored.
    let card_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rating/examples/ground_us_from_atlanta.toml");
    let card = std::fs::read_to_string(&card_path).unwrap();
    let broken = card.replacen("rounding = \"1\"", "rounding = 1.0", 1);
    let line = broken
        .lines()
        .position(|l| l.contains("rounding = 1.0"))
        .unwrap()
        + 1;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.toml");
    std::fs::write(&bad, &broken).unwrap();
    type_in(
        &b,
        "#rate-card-upload [name='card_name']",
        "ground-us-from-atlanta",
    )
    .await;
    b.c.find(Locator::Css("#rate-card-upload [name='card_file']"))
        .await
        .unwrap()
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    b.click(Locator::Css("#rate-card-upload button[type=submit]"))
        .await;
    let listed = wait_js(
        &b,
        "return document.querySelector('#rate-card-upload .card-errors').textContent",
    )
    .await;
    assert!(
        listed
            .as_str()
            .unwrap()
            .contains(&format!("line {line}, field service.0.rounding")),
        "{listed}"
    );
    assert!(b.text().await.contains("No rate cards yet."));

    // The good card is stored and listed.
    let good = dir.path().join("good.toml");
    std::fs::write(&good, &card).unwrap();
    b.c.find(Locator::Css("#rate-card-upload [name='card_file']"))
        .await
        .unwrap()
        .send_keys(good.to_str().unwrap())
        .await
        .unwrap();
    b.click(Locator::Css("#rate-card-upload button[type=submit]"))
        .await;
    wait_says(&b, "Rate card versions").await;
    wait_says(&b, "2026-01-05").await;
    b.assert_accessible("/console/carriers").await;
    fits_a_phone(&b, "the carrier accounts page").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_reconciles_an_invoice_and_downloads_the_dispute_file_and_pdf() {
    let hub = browser::hub();
    let finance = user(&hub, "default", "finance");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &finance).await;

    // Finance may not add carrier accounts: the page does not offer it.
    b.goto("/console/carriers").await;
    b.wait_text("Rate cards").await;
    let text = b.text().await;
    assert!(!text.contains("Add account"), "{text}");
    assert!(
        text.contains("Upload a rate card"),
        "finance uploads cards: {text}"
    );

    b.goto("/console/reconciliation").await;
    b.wait_text("Upload an invoice").await;
    b.assert_accessible("/console/reconciliation").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ups-invoice.csv");
    std::fs::write(&file, invoice()).unwrap();
    // What the progress bar showed when the upload finished, kept across the navigation.
    b.js("document.addEventListener('api:done', () => { const p = document.querySelector('#invoice-progress');
          sessionStorage.setItem('progress', JSON.stringify([p.value, p.max])); }); return true")
        .await;
    b.c.find(Locator::Css("#invoice-upload [name='file']"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    b.click(Locator::Css("#invoice-upload button[type=submit]"))
        .await;
    b.wait_path(|p| p.starts_with("/console/reconciliation/rec_"))
        .await;
    let progress = b
        .js("return JSON.parse(sessionStorage.getItem('progress'))")
        .await;
    let size = invoice().len() as u64;
    assert_eq!(progress, json!([size, size]), "the bar reached the end");

    // The report: totals with thousands grouped, three charts, the largest line first.
    wait_says(&b, "Top lines to dispute").await;
    let text = b.text().await;
    assert!(text.contains("1,305.50 USD"), "recoverable in all: {text}");
    assert!(text.contains("0000A1B2C3476"), "the invoice: {text}");
    assert!(
        text.contains("2026-11-09 to 2026-11-18"),
        "the period: {text}"
    );
    for chart in ["by-reason", "by-week", "by-carrier"] {
        let drawn = b
            .js(&format!(
                "return document.querySelectorAll('svg#{chart} rect').length"
            ))
            .await;
        assert!(drawn.as_u64().unwrap() >= 1, "{chart}: {drawn}");
    }
    let weeks = b
        .js("return document.querySelectorAll('svg#by-week rect').length")
        .await;
    assert_eq!(weeks, 2, "two weeks of shipments");
    let first = b
        .js("return document.querySelector('#top-lines tbody tr td.num').textContent")
        .await;
    assert_eq!(first, "1,234.56 USD");
    b.assert_accessible("/console/reconciliation/{id}").await;
    b.screenshot("reconciliation-report").await;
    fits_a_phone(&b, "the report").await;

    // The dispute file and the PDF, from the page's own links.
    let head =
        b.c.execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('#dispute-file').href).then(r => r.text())
                .then(t => done(t.split('\\n')[0])).catch(e => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        head,
        "Invoice Number,Invoice Date,Tracking Number,Reference,Dispute Reason,Billed Amount,Disputed Amount,Currency,Comments"
    );
    let magic = b
        .c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('#report-pdf').href).then(r => r.arrayBuffer())
                .then(a => done(String.fromCharCode(...new Uint8Array(a.slice(0, 4))))).catch(e => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(magic, "%PDF");

    // Another tenant's finance user does not see it.
    let report_path = b.path().await;
    common::cli(&hub.db_url, &["tenant", "create", "other"]);
    let other = user(&hub, "other", "finance");
    let cookie = browser::session_cookie(&hub, "other", &other).await;
    let get = |path: String| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}{path}", hub.base))
            .header("cookie", cookie.clone())
            .send()
    };
    let res = get(report_path).await.unwrap();
    assert_eq!(res.status(), 404, "another tenant's report");
    let list = get("/console/reconciliation".into()).await.unwrap();
    assert_eq!(list.status(), 200);
    assert!(
        list.text()
            .await
            .unwrap()
            .contains("No reconciliations yet.")
    );

    // Listed, with what can be recovered.
    b.goto("/console/reconciliation").await;
    b.wait_text("Reconciliations, newest first").await;
    assert!(b.text().await.contains("1,305.50 USD"));
    b.assert_accessible("/console/reconciliation").await;
    b.screenshot("reconciliation").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_charts_delivery_and_a_shipping_user_may_not_reconcile() {
    // Sandbox parcels tracked 20,000× faster, so they are delivered while the test waits.
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
    let api = common::Api::of(&hub);
    let account = api
        .create_account(json!({"carrier":"sandbox","name":"fast","credentials":{"step_seconds":1}}))
        .await;
    let now = time::OffsetDateTime::now_utc().date();
    let (today, start) = (
        now.to_string(),
        (now - time::Duration::days(29)).to_string(),
    );
    // The sandbox delivers on the quoted day (at most 4 business days here): shipped a
    // fortnight ago, every parcel is delivered by now, within the last 30 days.
    let shipped = (now - time::Duration::days(14)).to_string();
    for (i, (service, to)) in [
        ("express", ("San Francisco", "CA", "94105")),
        ("express", ("Chicago", "IL", "60601")),
        ("standard", ("San Francisco", "CA", "94105")),
        ("standard", ("New York", "NY", "10001")),
        ("economy", ("Chicago", "IL", "60601")),
    ]
    .into_iter()
    .enumerate()
    {
        api.created(
            "/v1/shipments",
            json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
                   "to":{"name":"Receiver","street":["1 Market St"],"city":to.0,"state":to.1,"postal_code":to.2,"country":"US"},
                   "parcels":[{"weight":{"value":"1","unit":"kg"}}], "ship_date": shipped,
                   "carrier_account": account, "service": service, "reference": format!("PLAIN-{i}")}),
        )
        .await;
    }
    common::eventually("five deliveries", 60, || async {
        let events = api.all("/v1/events?limit=100").await;
        events
            .iter()
            .filter(|e| e["type"] == "shipment.delivered")
            .count()
            >= 5
    })
    .await;
    let shipping = user(&hub, "default", "shipping");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &shipping).await;

    b.goto("/console/analytics").await;
    b.wait_text("By lane").await;
    let text = b.text().await;
    for heading in [
        "On-time % by carrier",
        "Transit business days (p50, p90, p95) by service",
        "Delivery by lane",
    ] {
        assert!(text.contains(heading), "{heading}: {text}");
    }
    assert!(text.contains("sandbox"), "the carrier's row: {text}");
    let on_time = b
        .js("return document.querySelectorAll('svg#carrier-on-time rect').length")
        .await;
    assert_eq!(on_time, 1, "one carrier's on-time bar");
    let transit = b
        .js("return document.querySelectorAll('svg#service-transit rect').length")
        .await;
    assert!(
        transit.as_u64().unwrap() >= 3,
        "p50, p90 and p95 bars: {transit}"
    );
    assert!(text.contains("US>US"), "the lane's row: {text}");
    // The five deliveries of the last fortnight, counted by the tracking path as they arrived.
    assert!(
        text.contains(&format!("delivered from {start} to {today} (UTC): 5.")),
        "{text}"
    );
    let row = b
        .js("return [...document.querySelectorAll('table')].find(t => t.caption?.textContent === 'Delivery by carrier').querySelector('tbody tr').innerText")
        .await;
    assert!(
        row.as_str().unwrap().starts_with("sandbox\t5\t"),
        "the carrier's deliveries: {row}"
    );
    b.assert_accessible("/console/analytics").await;
    b.screenshot("analytics").await;
    fits_a_phone(&b, "the analytics page").await;

    // A period that ends before it starts names the field.
    b.goto("/console/analytics?from=2026-12-01&to=2026-11-01")
        .await;
    b.wait_text("must not be before").await;

    // The shipping desk is not offered the upload, and forcing it is refused.
    b.goto("/console/reconciliation").await;
    b.wait_text("Reconciliation").await;
    assert!(!b.text().await.contains("Upload an invoice"));
    let status = b
        .c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.shiphub.call('POST', '/v1/invoices?carrier=ups', new Blob(['x\\n']), 'forced-1', { 'Content-Type': 'text/csv' })
                .then(r => done(r.status)).catch(e => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, 403);
    b.close().await;
}

/// The connection test through the API: the UPS simulator answers a rate; credentials it
/// refuses come back as the carrier's typed problem; another tenant's account is not found and
/// a role without `carrier_accounts` is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_test_asks_the_carrier_and_answers_its_typed_error() {
    use shiphub_e2e::sim::{Fault, FaultKind};
    let ups_sim = Sim::default();
    let ups_url = {
        let addr = sim::serve(
            sim::ups::router(ups_sim.clone()),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .unwrap();
        format!("http://{addr}")
    };
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = common::Api::of(&hub);
    let account = api.create_account(common::ups_account(&ups_url)).await;
    let rated = ups_sim.hits("/api/rating");
    let (s, ok) = api
        .post(&format!("/v1/carrier-accounts/{account}/test"), json!({}))
        .await;
    assert_eq!(s, 200, "{ok}");
    assert_eq!(ok, json!({"ok": true, "carrier": "ups", "call": "rate"}));
    assert_eq!(
        ups_sim.hits("/api/rating"),
        rated + 1,
        "the carrier was asked"
    );

    // Another client id (no token cached for it) whose token UPS refuses.
    let mut refused = common::ups_account(&ups_url);
    refused["credentials"]["client_id"] = json!("revoked-client");
    let refused = api.create_account(refused).await;
    ups_sim.push(Fault {
        kind: FaultKind::Unauthorized,
        path: Some("/security/v1/oauth/token".into()),
    });
    let (s, p) = api
        .post(&format!("/v1/carrier-accounts/{refused}/test"), json!({}))
        .await;
    assert_eq!(s, 502, "{p}");
    assert_eq!(
        p["type"], "https://shiphub.dev/problems/carrier-auth",
        "{p}"
    );
    assert_eq!(p["carrier"], "ups", "{p}");

    // A carrier nobody answers for: 503, retryable, the carrier named.
    let down = api
        .create_account(common::ups_account(&format!(
            "http://127.0.0.1:{}",
            common::free_port()
        )))
        .await;
    let (s, p) = api
        .post(&format!("/v1/carrier-accounts/{down}/test"), json!({}))
        .await;
    assert_eq!(s, 503, "{p}");
    assert_eq!(
        (p["type"].as_str(), p["retryable"].as_bool()),
        (
            Some("https://shiphub.dev/problems/carrier-unavailable"),
            Some(true)
        ),
        "{p}"
    );

    // Another tenant does not see the account; finance may not test accounts.
    let other: Value =
        serde_json::from_str(common::cli(&hub.db_url, &["tenant", "create", "other"]).trim())
            .unwrap();
    let other = common::Api::with_key(&hub, other["api_key"].as_str().unwrap());
    let (s, p) = other
        .post(&format!("/v1/carrier-accounts/{account}/test"), json!({}))
        .await;
    assert_eq!(s, 404, "{p}");
    let key = api
        .created("/v1/api-keys", json!({"name": "books", "role": "finance"}))
        .await;
    let finance = common::Api::with_key(&hub, key["key"].as_str().unwrap());
    let (s, p) = finance
        .post(&format!("/v1/carrier-accounts/{account}/test"), json!({}))
        .await;
    assert_eq!(s, 403, "{p}");
}
