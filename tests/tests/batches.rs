//! Batches against the real binary: a batch is accepted at once and bought in the background,
//! a bad item fails with its reason without holding up the others, the batch is idempotent,
//! its labels come back as one document in the order asked (each label exactly the one
//! `GET /v1/shipments/{id}/label` serves), `batch.completed` is recorded, more than 10,000
//! items is a field error, and a hub SIGKILLed mid-batch resumes it on restart without buying
//! any item twice (the UPS simulator's ledger against the batch's items).

mod common;

use common::Api;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Sim};

/// A sandbox item with reference `reference` (service `standard`, a hub-drawn label).
fn sandbox_item(account: &str, reference: &str) -> Value {
    let mut body = common::sandbox_pdf_purchase(account, None);
    let o = body.as_object_mut().unwrap();
    o.remove("label_format");
    o.insert("reference".into(), json!(reference));
    body
}

/// Polls the batch until it is completed: its last answer.
async fn completed(api: &Api, id: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let path = format!("/v1/batches/{id}");
        let b = match api.try_send(reqwest::Method::GET, &path, None, None).await {
            Ok(res) if res.status() == 200 => res.json::<Value>().await.unwrap(),
            // Still starting (after a restart).
            _ => Value::Null,
        };
        if b["status"] == "completed" {
            return b;
        }
        assert!(Instant::now() < deadline, "batch {id} not completed: {b}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every item of the batch, page by page.
async fn items(api: &Api, id: &str, limit: u32) -> Vec<Value> {
    let mut all = vec![];
    let mut cursor = String::new();
    loop {
        let page = api
            .get_ok(&format!("/v1/batches/{id}?limit={limit}{cursor}"))
            .await;
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit as usize);
        all.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return all,
        }
    }
}

/// The content of each page of a PDF, in page order.
fn page_contents(pdf: &[u8]) -> Vec<Vec<u8>> {
    let doc = lopdf::Document::load_mem(pdf).expect("a readable PDF");
    doc.get_pages()
        .into_values()
        .map(|p| doc.get_page_content(p))
        .collect()
}

#[tokio::test]
async fn a_sandbox_batch_is_bought_in_the_background_and_merged_in_the_order_asked() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    // References out of order, and one item asking for a service the sandbox does not sell.
    let refs = [
        "ord-07", "ord-03", "ord-11", "ord-01", "ord-05", "ord-09", "ord-02",
    ];
    let mut body_items: Vec<Value> = refs.iter().map(|r| sandbox_item(&api.account, r)).collect();
    let mut bad = sandbox_item(&api.account, "ord-bad");
    bad["service"] = json!("teleport");
    body_items.insert(3, bad);
    let body = json!({"items": body_items, "label_format": "pdf"});

    let res = api
        .post_response("/v1/batches", &body, Some("batch-1"))
        .await;
    assert_eq!(res.status(), 202);
    let accepted: Value = res.json().await.unwrap();
    let id = accepted["id"].as_str().unwrap().to_string();
    assert_eq!(accepted["counts"]["total"], 8);
    assert_eq!(accepted["counts"]["queued"], 8);

    // The same key and body: the same batch, replayed; nothing bought again.
    let again = api
        .post_response("/v1/batches", &body, Some("batch-1"))
        .await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], json!(id));

    let done = completed(&api, &id, Duration::from_secs(30)).await;
    assert_eq!(
        done["counts"],
        json!({"total": 8, "queued": 0, "bought": 7, "failed": 1})
    );
    assert!(done["completed_at"].is_string());

    let all = items(&api, &id, 3).await;
    assert_eq!(all.len(), 8);
    for (i, item) in all.iter().enumerate() {
        assert_eq!(item["index"], json!(i));
    }
    let failed = &all[3];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["reference"], "ord-bad");
    assert_eq!(
        failed["problem"]["errors"][0]["pointer"], "/service",
        "{failed}"
    );
    let mut shipment_ids = HashSet::new();
    for item in all.iter().filter(|i| i["status"] == "bought") {
        let sid = item["shipment_id"].as_str().unwrap();
        let s = api.get_ok(&format!("/v1/shipments/{sid}")).await;
        assert_eq!(s["reference"], item["reference"]);
        assert!(shipment_ids.insert(sid.to_string()));
    }
    assert_eq!(shipment_ids.len(), 7);
    // Exactly the batch's purchases were made (the replay bought nothing).
    assert_eq!(api.all("/v1/shipments?limit=100").await.len(), 7);
    let only_failed = api.get_ok(&format!("/v1/batches/{id}?status=failed")).await;
    assert_eq!(only_failed["items"].as_array().unwrap().len(), 1);

    // The merged PDF, by reference: page k is the label of the k-th reference.
    let mut sorted: Vec<&Value> = all.iter().filter(|i| i["status"] == "bought").collect();
    sorted.sort_by_key(|i| i["reference"].as_str().unwrap().to_string());
    let res = api
        .fetch(&format!(
            "/v1/batches/{id}/labels?format=pdf&sort=reference"
        ))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["x-label-count"], "7");
    let merged = page_contents(&res.bytes().await.unwrap());
    let mut expected = vec![];
    for item in &sorted {
        let sid = item["shipment_id"].as_str().unwrap();
        let (status, pdf) = api
            .bytes(&format!("/v1/shipments/{sid}/label?format=pdf"))
            .await;
        assert_eq!(status, 200);
        expected.extend(page_contents(&pdf));
    }
    assert_eq!(merged.len(), 7);
    assert!(
        merged == expected,
        "pages are not the labels in reference order"
    );

    // The merged ZPL in the order given: each label as the shipment serves it, in turn.
    let (status, zpl) = api
        .bytes(&format!("/v1/batches/{id}/labels?format=zpl"))
        .await;
    assert_eq!(status, 200);
    let mut expected = vec![];
    for item in all.iter().filter(|i| i["status"] == "bought") {
        let sid = item["shipment_id"].as_str().unwrap();
        let (_, one) = api
            .bytes(&format!("/v1/shipments/{sid}/label?format=zpl"))
            .await;
        expected.extend_from_slice(&one);
        if !one.ends_with(b"\n") {
            expected.push(b'\n');
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&zpl),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(zpl.windows(3).filter(|w| w == b"^XA").count(), 7);

    // One batch.completed event with the final counts.
    let events = api.all("/v1/events?limit=100").await;
    let completed: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "batch.completed")
        .collect();
    assert_eq!(completed.len(), 1, "{events:?}");
    let data = &completed[0]["data"];
    assert_eq!(data["id"], json!(id));
    assert_eq!(data["counts"]["bought"], 7);
    assert_eq!(data["counts"]["failed"], 1);

    // Unknown sort, PNG and a batch of another shape are refused or not found.
    let (status, p) = api
        .get(&format!("/v1/batches/{id}/labels?sort=weight"))
        .await;
    assert_eq!(status, 422, "{p}");
    let (status, p) = api
        .get(&format!("/v1/batches/{id}/labels?format=png"))
        .await;
    assert_eq!(status, 422, "{p}");
    let (status, _) = api.get("/v1/batches/bat_0").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn more_than_ten_thousand_items_is_a_field_error() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let item = sandbox_item(&api.account, "x");
    // Over the API's usual 1 MiB, under the batch route's own limit.
    let body = json!({"items": vec![item; 10_001]});
    assert!(serde_json::to_vec(&body).unwrap().len() > 1024 * 1024);
    let (status, p) = api.post("/v1/batches", &body).await;
    assert_eq!(status, 422, "{p}");
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["pointer"] == "/items"),
        "{p}"
    );
    let (status, p) = api.post("/v1/batches", json!({"items": []})).await;
    assert_eq!(status, 422, "{p}");
    // PNG labels have no merged document: a batch is bought in a format that merges.
    let png = json!({"label_format": "png", "items": [sandbox_item(&api.account, "png")]});
    let (status, p) = api.post("/v1/batches", &png).await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(common::pointer(&p), "/label_format", "{p}");
    assert_eq!(api.all("/v1/shipments?limit=100").await.len(), 0);
}

/// Rate-and-buy items: an item without an account and service is rate-shopped by its
/// strategy and its best quote bought (the quote `POST /v1/rates` ranks first for the same
/// shipment); one whose shop finds no quote fails with the reason, the others are bought; an
/// item naming an account without a service, or a strategy with an account, is refused whole.
#[tokio::test]
async fn rate_and_buy_items_buy_the_quote_the_strategy_ranks_first() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let shop = |strategy: &str, reference: &str| {
        let mut item = sandbox_item(&api.account, reference);
        let o = item.as_object_mut().unwrap();
        o.remove("carrier_account");
        o.remove("service");
        o.insert("strategy".into(), json!(strategy));
        item
    };
    let mut rates = sandbox_item(&api.account, "rates");
    let o = rates.as_object_mut().unwrap();
    o.remove("carrier_account");
    o.remove("service");
    o.remove("reference");
    let mut expected = std::collections::HashMap::new();
    for strategy in ["fastest", "cheapest"] {
        let mut asked = rates.clone();
        asked["strategy"] = json!(strategy);
        let quoted = api.post_ok("/v1/rates", &asked).await;
        expected.insert(strategy, quoted["quotes"][0]["service"]["code"].clone());
    }
    assert_ne!(expected["fastest"], expected["cheapest"], "{expected:?}");

    let mut nowhere = shop("cheapest", "NOWHERE-1");
    nowhere["services"] = json!(["no_such_service"]);
    let body = json!({"label_format": "pdf",
        "items": [shop("fastest", "FAST-1"), shop("cheapest", "CHEAP-1"), nowhere]});
    let (status, accepted) = api.post("/v1/batches", &body).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["id"].as_str().unwrap();
    let done = completed(&api, id, Duration::from_secs(30)).await;
    assert_eq!(done["counts"]["bought"], 2, "{done}");
    assert_eq!(done["counts"]["failed"], 1, "{done}");
    for item in items(&api, id, 20).await {
        match item["reference"].as_str().unwrap() {
            "NOWHERE-1" => {
                assert_eq!(item["status"], "failed", "{item}");
                assert_eq!(
                    item["problem"]["errors"][0]["pointer"], "/carrier_account",
                    "{item}"
                );
            }
            reference => {
                let strategy = if reference == "FAST-1" {
                    "fastest"
                } else {
                    "cheapest"
                };
                let sid = item["shipment_id"].as_str().unwrap();
                let bought = api.get_ok(&format!("/v1/shipments/{sid}")).await;
                assert_eq!(
                    bought["service"]["code"], expected[strategy],
                    "{reference}: {bought}"
                );
                assert_eq!(bought["carrier_account"], api.account.as_str());
            }
        }
    }

    let mut half = sandbox_item(&api.account, "HALF-1");
    half.as_object_mut().unwrap().remove("service");
    let (status, p) = api
        .post(
            "/v1/batches",
            json!({"items": [shop("fastest", "OK-1"), half]}),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(common::pointer(&p), "/items/1/service", "{p}");
    let mut both = sandbox_item(&api.account, "BOTH-1");
    both["strategy"] = json!("fastest");
    let (status, p) = api.post("/v1/batches", json!({"items": [both]})).await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(common::pointer(&p), "/items/0/strategy", "{p}");
}

const CRASH_ITEMS: usize = 120;

/// A UPS batch; the hub is SIGKILLed once part of it is bought and started again: the batch
/// completes, and the UPS simulator sold exactly the shipments the batch recorded, one per
/// item at most.
#[tokio::test]
async fn a_batch_resumes_after_sigkill_and_buys_no_item_twice() {
    let ups = Sim::default();
    ups.set_latency(40);
    let addr = sim::serve(
        sim::ups::router(ups.clone()),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let sim_url = format!("http://{addr}");
    let mut hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--idempotency-lease", "1.5"],
    );
    let api = Api::of(&hub);
    let account = api.create_account(common::ups_account(&sim_url)).await;
    let address = |name: &str| {
        json!({"name": name, "street": ["100 Main St"], "city": "Atlanta", "state": "GA",
               "postal_code": "30301", "country": "US", "phone": "+14045550100"})
    };
    let items: Vec<Value> = (0..CRASH_ITEMS)
        .map(|n| {
            json!({"from": address("Shipper"), "to": address("Receiver"),
                   "parcels": [{"weight": {"value": "2.5", "unit": "kg"},
                                "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}}],
                   "carrier_account": account, "service": "03", "reference": format!("b-{n}")})
        })
        .collect();
    let body = json!({"items": items, "label_format": "zpl"});
    let res = api
        .post_response("/v1/batches", &body, Some("crash-batch"))
        .await;
    assert_eq!(res.status(), 202);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Kill it while items are in flight: some bought, most not.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let b = api.get_ok(&format!("/v1/batches/{id}")).await;
        if b["counts"]["bought"].as_u64().unwrap() >= 20 {
            assert_ne!(b["status"], "completed", "too fast to interrupt: {b}");
            break;
        }
        assert!(Instant::now() < deadline, "batch stalled: {b}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    hub.kill();
    hub.restart();
    let api = api.at(&hub);

    let done = completed(&api, &id, Duration::from_secs(90)).await;
    let all = self::items(&api, &id, 100).await;
    assert_eq!(all.len(), CRASH_ITEMS);
    let bought: Vec<&Value> = all.iter().filter(|i| i["status"] == "bought").collect();
    let failed: Vec<&Value> = all.iter().filter(|i| i["status"] == "failed").collect();
    assert_eq!(bought.len() + failed.len(), CRASH_ITEMS);
    assert_eq!(done["counts"]["bought"], json!(bought.len()));
    // Only an item in flight at the kill may fail, and only because its outcome is unknown.
    for f in &failed {
        assert_eq!(
            f["problem"]["type"], "https://shiphub.dev/problems/purchase-outcome-unknown",
            "{f}"
        );
    }
    assert!(failed.len() <= 32, "{} failed", failed.len());
    eprintln!(
        "{} bought, {} failed as unknown after the kill",
        bought.len(),
        failed.len()
    );

    // The simulator sold each reference at most once, and exactly the bought ones were
    // recorded (plus any sale whose answer died with the hub: those items failed as unknown).
    let ledger: Vec<Value> = reqwest::get(format!("{sim_url}/_sim/ledger"))
        .await
        .unwrap()
        .json::<Vec<Value>>()
        .await
        .unwrap();
    let mut sold = HashSet::new();
    for sale in &ledger {
        let r = sale["reference"].as_str().unwrap().to_string();
        assert!(sold.insert(r.clone()), "{r} sold twice");
    }
    let recorded: HashSet<String> = bought
        .iter()
        .map(|i| i["reference"].as_str().unwrap().to_string())
        .collect();
    assert!(recorded.is_subset(&sold));
    let unknown: HashSet<String> = failed
        .iter()
        .map(|i| i["reference"].as_str().unwrap().to_string())
        .collect();
    for r in &sold {
        assert!(
            recorded.contains(r) || unknown.contains(r),
            "{r} sold but not in the batch"
        );
    }
    let shipments = api.all("/v1/shipments?limit=100").await;
    assert_eq!(shipments.len(), bought.len());
}

/// The README's Batches example runs as written (after the walk-through's set-up block) and
/// does what its comments say.
#[tokio::test]
async fn the_readme_batch_example_runs_as_written() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let dir = tempfile::tempdir().unwrap();
    let stdout = common::run_readme(
        &["batches"],
        dir.path(),
        &hub,
        &api.key,
        &[],
        Duration::from_secs(60),
    )
    .await;
    let failed: Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    assert_eq!(failed["counts"]["bought"], 2, "{failed}");
    assert_eq!(failed["items"][0]["reference"], "REJECT-2003");
    assert_eq!(failed["items"][0]["status"], "failed");
    let pdf = std::fs::read(dir.path().join("wave-2001.pdf")).unwrap();
    assert_eq!(page_contents(&pdf).len(), 2);
}
