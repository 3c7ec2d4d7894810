//! The console's shipments pages in a real browser (issue 20): buying a label from the form
//! with live rates, its page (preview, PDF, reprint, void), the search and its keyset pages,
//! what each role sees and may do, and another tenant's shipment as a 404 page. axe-core finds
//! no serious violation on the list, a shipment's page and the buy form.

mod browser;
mod common;

use std::time::{Duration, Instant};

use browser::{Browser, user};
use common::Api;
use fantoccini::Locator;
use serde_json::{Value, json};

/// The value a script returns once it calls its callback (`done`), e.g. after a fetch.
async fn js_async(b: &Browser, body: &str) -> Value {
    let script = format!("const done = arguments[arguments.length - 1]; {body}");
    b.c.execute_async(&script, vec![]).await.unwrap()
}

/// Polls `script` (returning a boolean) until it is true; an error (the page is being
/// replaced by a reload) is "not yet".
async fn wait_js(b: &Browser, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if b.c.execute(script, vec![]).await.ok() == Some(json!(true)) {
            return;
        }
        assert!(Instant::now() < deadline, "never true: {script}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The tracking numbers the results table lists, in order.
async fn listed(b: &Browser) -> Vec<String> {
    let v = b
        .js("return [...document.querySelectorAll('main table tbody tr td:nth-child(2) a')].map(a => a.textContent)")
        .await;
    serde_json::from_value(v).unwrap()
}

async fn station(api: &Api, name: &str) -> String {
    let st = api
        .created("/v1/print-stations", json!({"name": name, "format": "pdf"}))
        .await;
    st["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipping_desk_buys_prints_and_voids_a_label() {
    let hub = browser::hub();
    let api = Api::of(&hub);
    let dock = station(&api, "Dock 1").await;
    let sink = common::WebhookSink::start(Duration::ZERO).await;
    api.created("/v1/webhooks", json!({"url": sink.url, "events": ["*"]}))
        .await;
    let email = user(&hub, "default", "shipping");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &email).await;

    // The list offers the buy form to a role that may buy.
    b.goto("/console/shipments").await;
    b.click(Locator::LinkText("Buy a shipment")).await;
    b.wait_path(|p| p == "/console/shipments/new").await;
    b.wait_text("Rates appear once").await;
    b.assert_accessible("/console/shipments/new").await;
    // A strategy's own fields show only with it.
    let shown = "return [...document.querySelectorAll('[data-strategy]')].map(e => e.offsetParent !== null)";
    assert_eq!(b.js(shown).await, json!([false, false]));

    for (name, value) in [
        ("from.name", "Shipper"),
        ("from.street.0", "100 Main St"),
        ("from.city", "Atlanta"),
        ("from.state", "GA"),
        ("from.postal_code", "30301"),
        ("to.name", "Jane Doe"),
        ("to.street.0", "1 Market St"),
        ("to.city", "San Francisco"),
        ("to.state", "CA"),
        ("to.postal_code", "94105"),
        ("parcels.0.weight.value", "1.2"),
        ("parcels.0.dimensions.length", "30"),
        ("parcels.0.dimensions.width", "20"),
        ("parcels.0.dimensions.height", "10"),
        ("reference", "ORDER-777"),
    ] {
        b.fill(name, value).await;
    }
    // Live rates, from the sandbox, ranked by the chosen strategy; the first is picked.
    wait_js(
        &b,
        "return document.querySelectorAll('#rates input[name=rate]').length > 0",
    )
    .await;
    wait_js(
        &b,
        "return !!document.querySelector('#rates input[name=rate]:checked')",
    )
    .await;
    let rates = b
        .js("return document.getElementById('rates').textContent")
        .await;
    assert!(rates.as_str().unwrap().contains("sandbox"), "{rates}");
    let before = b
        .js("return document.querySelectorAll('#rates input[name=rate]').length")
        .await;
    b.c.find(Locator::Css("select[name=strategy]"))
        .await
        .unwrap()
        .select_by_value("fastest")
        .await
        .unwrap();
    wait_js(
        &b,
        "return !!document.querySelector('#rates input[name=rate]:checked')",
    )
    .await;
    assert_eq!(
        b.js("return document.querySelectorAll('#rates input[name=rate]').length")
            .await,
        before
    );
    wait_js(
        &b,
        "return document.getElementById('rates').textContent.includes('by fastest')",
    )
    .await;
    assert_eq!(b.js(shown).await, json!([false, false]));
    // Printed on the dock once bought.
    b.c.find(Locator::Css("select[name=print_station]"))
        .await
        .unwrap()
        .select_by_value(&dock)
        .await
        .unwrap();
    b.assert_accessible("/console/shipments/new (with rates)")
        .await;
    b.screenshot("shipment-new").await;

    b.click(Locator::Id("buy-submit")).await;
    b.wait_path(|p| p.starts_with("/console/shipments/shp_"))
        .await;
    let id = b
        .path()
        .await
        .trim_start_matches("/console/shipments/")
        .to_string();
    let bought = api.get_ok(&format!("/v1/shipments/{id}")).await;
    assert_eq!(bought["reference"], "ORDER-777", "{bought}");
    assert_eq!(bought["to"]["name"], "Jane Doe", "{bought}");
    assert_eq!(bought["status"], "purchased", "{bought}");
    let tracking = bought["tracking_number"].as_str().unwrap().to_string();

    // The page: facts, the preview loaded, the downloads.
    b.wait_text(&tracking).await;
    let text = b.text().await;
    for fact in ["ORDER-777", "Jane Doe", "purchased", "sandbox", "Shipper"] {
        assert!(text.contains(fact), "{fact} missing: {text}");
    }
    wait_js(
        &b,
        "const i = document.getElementById('label-preview'); return i.complete && i.naturalWidth > 0",
    )
    .await;
    let magic = js_async(
        &b,
        "fetch(document.querySelector('a[data-format=pdf]').href, { credentials: 'same-origin' })
           .then(r => r.arrayBuffer())
           .then(buf => done(String.fromCharCode(...new Uint8Array(buf.slice(0, 4)))))
           .catch(e => done(String(e)));",
    )
    .await;
    assert_eq!(magic, "%PDF");
    for f in ["zpl", "png"] {
        let n = b
            .js(&format!(
                "return document.querySelectorAll('a[data-format={f}]').length"
            ))
            .await;
        assert_eq!(n, 1, "a {f} download link");
    }
    // The purchase's event is listed, and once the endpoint has it, its delivery.
    assert!(text.contains("shipment.created"), "{text}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.received().is_empty() {
        assert!(Instant::now() < deadline, "no webhook delivery");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.goto(&format!("/console/shipments/{id}")).await;
    let deliveries = "const t = [...document.querySelectorAll('caption')]
            .find(c => c.textContent.startsWith('Webhook deliveries'));
        return t ? t.closest('table').querySelector('tbody').textContent : ''";
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row = b.js(deliveries).await;
        let row = row.as_str().unwrap_or_default();
        if row.contains(&sink.url) && row.contains("succeeded") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "delivery not shown as succeeded: {row}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        b.goto(&format!("/console/shipments/{id}")).await;
    }
    b.assert_accessible("/console/shipments/{id}").await;
    b.screenshot("shipment-detail").await;

    // Reprint to the station: a second job, beside the one the purchase queued.
    let jobs_of = |page: Value| {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["shipment_id"] == id.as_str())
            .count()
    };
    let jobs = format!("/v1/print-jobs?station={dock}");
    assert_eq!(jobs_of(api.get_ok(&jobs).await), 1, "printed when bought");
    b.click(Locator::Css("#reprint button[type=submit]")).await;
    b.wait_text("Queued as print job").await;
    assert_eq!(jobs_of(api.get_ok(&jobs).await), 2, "and reprinted");

    // Void, after confirming: the page shows it voided.
    b.click(Locator::Id("void")).await;
    b.c.accept_alert().await.unwrap();
    wait_js(
        &b,
        "return document.getElementById('status').textContent.includes('voided')",
    )
    .await;
    assert_eq!(
        api.get_ok(&format!("/v1/shipments/{id}")).await["status"],
        "voided"
    );
    assert_eq!(
        b.js("return document.getElementById('void')").await,
        Value::Null,
        "no void button on a voided label"
    );

    // On a phone the buy form is one column and its button can be reached.
    b.phone(true).await;
    b.goto("/console/shipments/new").await;
    b.wait_text("Rates appear once").await;
    let fits = b
        .js("const btn = document.getElementById('buy-submit'); btn.scrollIntoView({ block: 'center' });
             const r = btn.getBoundingClientRect(), f = document.getElementById('buy').getBoundingClientRect();
             return { shown: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight
                        && r.left >= 0 && r.right <= innerWidth,
                      form_fits: f.right <= innerWidth + 1 }")
        .await;
    assert_eq!(fits, json!({"shown": true, "form_fits": true}));
    b.phone(false).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_finds_by_each_field_and_pages_with_a_cursor() {
    let hub = browser::hub();
    let api = Api::of(&hub);
    // 30 shipments (a page is 25): recipients Alice 0…14 and Bob 15…29, references REF-i.
    let mut bought = Vec::new();
    for i in 0..30 {
        let mut body = common::sandbox_pdf_purchase(&api.account, None);
        body["to"]["name"] = json!(if i < 15 {
            format!("Alice {i}")
        } else {
            format!("Bob {i}")
        });
        body["reference"] = json!(format!("REF-{i}"));
        let (status, s) = api.post("/v1/shipments", body).await;
        assert_eq!(status, 201, "{s}");
        bought.push(s["tracking_number"].as_str().unwrap().to_string());
    }
    let void = api
        .all("/v1/shipments?limit=100")
        .await
        .into_iter()
        .find(|s| s["reference"] == "REF-3")
        .unwrap();
    let (status, v) = api
        .post(
            &format!("/v1/shipments/{}/void", void["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{v}");

    let email = user(&hub, "default", "viewer");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &email).await;

    // Newest first, 25 a page; the next page continues where the first ended.
    b.goto("/console/shipments").await;
    b.wait_text("Shipments, newest first").await;
    let first = listed(&b).await;
    assert_eq!(first.len(), 25);
    let newest: Vec<String> = bought.iter().rev().cloned().collect();
    assert_eq!(first, newest[..25]);
    b.assert_accessible("/console/shipments").await;
    b.screenshot("shipments").await;
    b.click(Locator::Css("a[rel=next]")).await;
    b.wait_path(|p| p.contains("cursor=")).await;
    assert_eq!(listed(&b).await, newest[25..]);
    assert_eq!(
        b.js("return document.querySelector('a[rel=next]')").await,
        Value::Null
    );

    // Each field, through the form.
    let search = |fields: Vec<(&'static str, String)>| {
        let b = &b;
        async move {
            b.goto("/console/shipments").await;
            for (name, value) in fields {
                b.fill(name, &value).await;
            }
            b.click(Locator::Css("form[role=search] button[type=submit]"))
                .await;
            b.wait_path(|p| p.starts_with("/console/shipments?")).await;
            listed(b).await
        }
    };
    assert_eq!(
        search(vec![("tracking_number", bought[7].clone())]).await,
        [bought[7].clone()]
    );
    assert_eq!(
        search(vec![("reference", "REF-12".into())]).await,
        [bought[12].clone()]
    );
    // A prefix, in any case: names in order, newest first within a name.
    let alices = search(vec![("recipient", "aLiCe 1".into())]).await;
    let mut expected: Vec<(String, String)> = (0..15)
        .map(|i| (format!("alice {i}"), bought[i].clone()))
        .filter(|(n, _)| n.starts_with("alice 1"))
        .collect();
    expected.sort();
    assert_eq!(
        alices,
        expected.into_iter().map(|(_, t)| t).collect::<Vec<_>>()
    );
    let bobs = search(vec![("recipient", "bob".into())]).await;
    assert_eq!(bobs.len(), 15);
    // A carrier and a status (a select each).
    b.goto("/console/shipments?carrier=sandbox&status=voided")
        .await;
    assert_eq!(listed(&b).await, [bought[3].clone()]);
    // A date range: all of today, none tomorrow.
    let today = time::OffsetDateTime::now_utc().date();
    let tomorrow = today.next_day().unwrap();
    b.goto(&format!(
        "/console/shipments?from={today}&to={today}&recipient=bob"
    ))
    .await;
    assert_eq!(listed(&b).await.len(), 15);
    b.goto(&format!("/console/shipments?from={tomorrow}")).await;
    b.wait_text("No shipment matches.").await;
    // A wrong field is named beside itself, and nothing is listed.
    b.goto("/console/shipments?from=yesterday&cursor=junk")
        .await;
    b.wait_text("a date as YYYY-MM-DD").await;
    assert_eq!(
        b.js(
            "return [document.querySelector('[name=from]').getAttribute('aria-invalid'),
                      document.querySelector('.form-error').textContent.includes('/query/cursor'),
                      document.querySelectorAll('main table').length]"
        )
        .await,
        json!(["true", true, 0])
    );
    b.assert_accessible("/console/shipments (a wrong field)")
        .await;

    // A viewer sees no Buy, Reprint or Void, and may not open the buy form.
    let text = {
        b.goto("/console/shipments").await;
        b.text().await
    };
    assert!(!text.contains("Buy a shipment"), "{text}");
    b.goto(&format!(
        "/console/shipments/{}",
        void["id"].as_str().unwrap()
    ))
    .await;
    b.wait_text("Facts").await;
    let actions = b
        .js("return [!!document.getElementById('reprint'), !!document.getElementById('void'), document.body.textContent.includes('Reprint')]")
        .await;
    assert_eq!(actions, json!([false, false, false]));
    b.goto("/console/shipments/new").await;
    b.wait_text("Forbidden").await;
    assert!(b.text().await.contains("`buy`"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warehouse_reprints_but_may_not_void_and_another_tenant_is_not_found() {
    let hub = browser::hub();
    let api = Api::of(&hub);
    station(&api, "Dock 1").await;
    let mine = api.buy_sandbox(None).await;
    let id = mine["id"].as_str().unwrap().to_string();

    // Another tenant's shipment.
    let other: Value =
        serde_json::from_str(common::cli(&hub.db_url, &["tenant", "create", "other"]).trim())
            .unwrap();
    let mut theirs = Api::with_key(&hub, other["api_key"].as_str().unwrap());
    theirs.account = theirs
        .create_account(json!({"carrier": "sandbox", "name": "sandbox"}))
        .await;
    let foreign = theirs.buy_sandbox(None).await;

    let email = user(&hub, "default", "warehouse");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &email).await;
    b.goto(&format!("/console/shipments/{id}")).await;
    b.wait_text("Facts").await;
    let actions = b
        .js("return [!!document.getElementById('reprint'), !!document.getElementById('void')]")
        .await;
    assert_eq!(actions, json!([true, false]));
    // A void forced from the page's script: the API refuses it.
    let status = js_async(
        &b,
        &format!(
            "shiphub.call('POST', '/v1/shipments/{id}/void', undefined, shiphub.newKey())
               .then(r => done(r.status)).catch(e => done(String(e)));"
        ),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        api.get_ok(&format!("/v1/shipments/{id}")).await["status"],
        "purchased"
    );
    // An international shipment lists its customs documents, which open with the session.
    let mut abroad = common::sandbox_pdf_purchase(&api.account, None);
    abroad["to"] = json!({"name": "Empfänger", "street": ["Unter den Linden 1"], "city": "Berlin",
        "postal_code": "10117", "country": "DE", "phone": "+49 30 1234567"});
    abroad["customs"] = json!({"incoterm": "DDP", "content_type": "merchandise", "items": [{
        "description": "Cotton T-shirt", "quantity": 3,
        "unit_value": {"amount": "12.50", "currency": "USD"},
        "unit_weight": {"value": "0.2", "unit": "kg"}, "hs_code": "6109.10", "origin_country": "US"}]});
    let (status, abroad) = api.post("/v1/shipments", abroad).await;
    assert_eq!(status, 201, "{abroad}");
    b.goto(&format!(
        "/console/shipments/{}",
        abroad["id"].as_str().unwrap()
    ))
    .await;
    b.wait_text("Customs documents").await;
    let docs = js_async(
        &b,
        "const links = [...document.querySelectorAll('a[href*=\"/documents/\"]')];
         Promise.all(links.map(a => fetch(a.href, { credentials: 'same-origin' })
             .then(r => r.arrayBuffer())
             .then(buf => [a.href.split('/').pop(), String.fromCharCode(...new Uint8Array(buf.slice(0, 4)))])))
           .then(done).catch(e => done(String(e)));",
    )
    .await;
    assert_eq!(
        docs,
        json!([
            ["commercial_invoice", "%PDF"],
            ["cn23", "%PDF"],
            ["cn22", "%PDF"]
        ])
    );
    b.assert_accessible("/console/shipments/{id} (customs)")
        .await;

    // Nor may a warehouse user buy.
    let text = {
        b.goto("/console/shipments").await;
        b.text().await
    };
    assert!(!text.contains("Buy a shipment"), "{text}");

    // Another tenant's shipment is not found, and its number finds nothing.
    let foreign_id = foreign["id"].as_str().unwrap();
    b.goto(&format!("/console/shipments/{foreign_id}")).await;
    b.wait_text("Not found").await;
    assert!(b.text().await.contains("no such shipment"));
    b.goto(&format!(
        "/console/shipments?tracking_number={}",
        foreign["tracking_number"].as_str().unwrap()
    ))
    .await;
    b.wait_text("No shipment matches.").await;
    b.close().await;
}
