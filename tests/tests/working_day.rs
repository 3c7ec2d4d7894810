//! A shipper's working day through the real binary on the sandbox carrier: addresses checked
//! (each verdict, candidates, the per-tenant cache), `verify: true` refusing before anything
//! is bought, options priced in rates and refused on their field, return labels alone and
//! with their outbound shipment (one idempotency key), and the capabilities that say so.

mod common;

use common::Api;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn shipper() -> Value {
    json!({"name": "Shipper", "street": ["100 Main St"], "city": "Atlanta", "state": "GA",
           "postal_code": "30301", "country": "US", "phone": "+14045550100"})
}

fn receiver() -> Value {
    json!({"name": "Receiver", "street": ["1 Market St"], "city": "San Francisco", "state": "CA",
           "postal_code": "94105", "country": "US", "residential": true})
}

fn parcels() -> Value {
    json!([{"weight": {"value": "2.5", "unit": "kg"},
            "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}}])
}

/// A purchase on `account` of `service`, with `extra` fields merged in.
fn purchase(account: &str, service: &str, extra: Value) -> Value {
    let mut body = json!({"from": shipper(), "to": receiver(), "parcels": parcels(),
        "carrier_account": account, "service": service});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// The sum of a counter's samples whose line contains every one of `labels`.
fn metric(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn amount(v: &Value) -> String {
    v["amount"].as_str().unwrap().to_string()
}

async fn verify(c: &Api, address: Value) -> Value {
    let (s, v) = c
        .post("/v1/addresses/verify", json!({"address": address}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn shipment_count(c: &Api) -> usize {
    let (s, list) = c.get("/v1/shipments?limit=100").await;
    assert_eq!(s, StatusCode::OK);
    list["data"].as_array().unwrap().len()
}

#[tokio::test]
async fn addresses_get_each_verdict_and_repeat_from_the_tenants_cache() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let c = Api::of(&hub);

    // Corrected: the suffix abbreviated, upper case, residential without a company.
    let mut written_out = receiver();
    written_out["street"] = json!(["1 Market Street"]);
    let v = verify(&c, written_out.clone()).await;
    assert_eq!(v["verdict"], "deliverable_with_corrections", "{v}");
    assert_eq!(v["address"]["street"], json!(["1 MARKET ST"]));
    assert_eq!(v["address"]["city"], "SAN FRANCISCO");
    assert_eq!(v["classification"], "residential");
    assert_eq!(v["reasons"][0]["code"], "SUFFIX_STANDARDIZED");
    assert_eq!(
        v["carrier_account"],
        c.account.as_str(),
        "the default account"
    );
    assert_eq!(v["carrier"], "sandbox");
    assert_eq!(v["cached"], false);

    // The same place written otherwise, by someone else: from the cache, with their name.
    let mut again = written_out.clone();
    again["street"] = json!(["  1 market   STREET "]);
    again["city"] = json!("san francisco");
    again["name"] = json!("Other Person");
    let hit = verify(&c, again).await;
    assert_eq!(hit["cached"], true, "{hit}");
    assert_eq!(hit["verdict"], v["verdict"]);
    assert_eq!(hit["checked_at"], v["checked_at"]);
    assert_eq!(hit["address"]["name"], "Other Person");
    let m = c.text("/metrics").await;
    assert_eq!(
        metric(&m, "shiphub_address_checks_total", &["source=\"carrier\""]),
        1.0,
        "{m}"
    );
    assert_eq!(
        metric(&m, "shiphub_address_checks_total", &["source=\"cache\""]),
        1.0
    );
    assert_eq!(
        metric(
            &m,
            "shiphub_carrier_calls_total",
            &["operation=\"addressvalidation\""]
        ),
        1.0,
        "one carrier call for two checks: {m}"
    );

    // Deliverable as given; a company makes it commercial.
    let mut office = receiver();
    office["company"] = json!("Acme");
    let v = verify(&c, office).await;
    assert_eq!(v["verdict"], "deliverable");
    assert_eq!(v["classification"], "commercial");
    assert_eq!(v["address"]["residential"], false);
    assert_eq!(v["reasons"][0]["code"], "CONFIRMED");

    // Undeliverable, with the carrier's reason kept.
    let mut nowhere = receiver();
    nowhere["street"] = json!(["9 NO_SUCH_STREET"]);
    let v = verify(&c, nowhere).await;
    assert_eq!(v["verdict"], "undeliverable");
    assert!(v.get("address").is_none(), "{v}");
    assert_eq!(v["reasons"][0]["code"], "NO_MATCH");

    // Ambiguous: candidates, best first.
    let mut ambiguous = receiver();
    ambiguous["street"] = json!(["5 Oak Avenue AMBIGUOUS"]);
    let v = verify(&c, ambiguous).await;
    assert_eq!(v["verdict"], "undeliverable");
    let streets: Vec<_> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["street"][0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(streets, ["5 OAK AVE N", "5 OAK AVE S"]);
    assert_eq!(
        v["reasons"].as_array().unwrap().last().unwrap()["code"],
        "MULTIPLE_MATCHES"
    );

    // Unknown: outside the sandbox's coverage.
    let berlin = json!({"name": "Empfänger", "street": ["Unter den Linden 1"], "city": "Berlin",
        "postal_code": "10117", "country": "DE"});
    let v = verify(&c, berlin).await;
    assert_eq!(v["verdict"], "unknown");
    assert_eq!(v["reasons"][0]["code"], "NO_COVERAGE");

    // Bad input: problems naming the field, never a 5xx.
    let (s, p) = c.post("/v1/addresses/verify", json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, p) = c
        .post(
            "/v1/addresses/verify",
            json!({"address": receiver(), "carrier_account": "car_nope"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["pointer"], "/carrier_account", "{p}");
    let (s, p) = c
        .post(
            "/v1/addresses/verify",
            json!({"address": receiver(), "extra": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let mut rejected = receiver();
    rejected["name"] = json!("REJECT me");
    let (s, p) = c
        .post("/v1/addresses/verify", json!({"address": rejected}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["pointer"], "/address/name", "{p}");
}

#[tokio::test]
async fn without_a_cache_every_check_asks_the_carrier() {
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--address-cache-ttl", "0"]);
    let c = Api::of(&hub);
    for _ in 0..2 {
        let v = verify(&c, receiver()).await;
        assert_eq!(v["cached"], false, "{v}");
    }
    let m = c.text("/metrics").await;
    assert_eq!(
        metric(&m, "shiphub_address_checks_total", &["source=\"carrier\""]),
        2.0,
        "{m}"
    );
}

#[tokio::test]
async fn verify_true_refuses_an_undeliverable_address_before_buying() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let c = Api::of(&hub);

    let mut nowhere = receiver();
    nowhere["street"] = json!(["9 NO_SUCH_STREET"]);
    let body = purchase(
        &c.account,
        "standard",
        json!({"verify": true, "to": nowhere}),
    );
    let (s, ct, p) = c.post_typed("/v1/shipments", &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(ct.starts_with("application/problem+json"), "{ct}");
    assert_eq!(p["errors"][0]["pointer"], "/to");
    assert_eq!(p["errors"][0]["code"], "undeliverable");
    assert!(
        p["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("NO_MATCH"),
        "{p}"
    );
    // Nothing was bought: no shipment, no purchase, no ship call to the carrier.
    assert_eq!(shipment_count(&c).await, 0);
    let m = c.text("/metrics").await;
    assert_eq!(metric(&m, "shiphub_shipments_purchased_total", &[]), 0.0);
    assert_eq!(
        metric(&m, "shiphub_carrier_calls_total", &["operation=\"ship\""]),
        0.0,
        "{m}"
    );

    // Ambiguous: the candidates are in the refusal.
    let mut ambiguous = receiver();
    ambiguous["street"] = json!(["5 Oak Avenue AMBIGUOUS"]);
    let body = purchase(
        &c.account,
        "standard",
        json!({"verify": true, "to": ambiguous}),
    );
    let (s, p) = c.post("/v1/shipments", &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("5 OAK AVE N"),
        "{p}"
    );
    assert_eq!(shipment_count(&c).await, 0);

    // With corrections: bought with the carrier's standardized address, which GET shows.
    let mut written_out = receiver();
    written_out["street"] = json!(["1 Market Street"]);
    let body = purchase(
        &c.account,
        "standard",
        json!({"verify": true, "to": written_out}),
    );
    let bought = c.created("/v1/shipments", &body).await;
    assert_eq!(bought["to"]["street"], json!(["1 MARKET ST"]), "{bought}");
    let (_, got) = c
        .get(&format!("/v1/shipments/{}", bought["id"].as_str().unwrap()))
        .await;
    assert_eq!(got["to"]["street"], json!(["1 MARKET ST"]));
    assert_eq!(got["to"]["name"], "Receiver");
}

#[tokio::test]
async fn options_are_priced_kept_and_refused_on_their_field() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let c = Api::of(&hub);

    // A table-rate account: its card prices signature and Saturday, nothing else.
    let card = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../rating/examples/ground_us_from_atlanta.toml"),
    )
    .unwrap();
    let res = c
        .request(Method::PUT, "/v1/rate-cards/ground-us-from-atlanta")
        .header("content-type", "application/toml")
        .body(card)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let table = c
        .created(
            "/v1/carrier-accounts",
            json!({"carrier": "table_rate", "name": "regional", "rate_card": "ground-us-from-atlanta"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Sandbox prices adult signature (6.25) and Saturday (15.00) and drops economy;
    // the table-rate card prices them too.
    let body = json!({"from": shipper(), "to": receiver(), "parcels": parcels(),
        "options": {"signature": "adult", "saturday_delivery": true}});
    let (s, rates) = c.post("/v1/rates", &body).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    let sandbox: Vec<_> = rates["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["carrier"] == "sandbox")
        .map(|q| {
            (
                q["service"]["code"].as_str().unwrap().to_string(),
                amount(&q["total"]),
            )
        })
        .collect();
    assert_eq!(
        sandbox,
        [
            ("standard".to_string(), "43.75".to_string()),
            ("express".to_string(), "61.30".to_string())
        ],
        "{rates}"
    );
    assert!(rates["errors"].as_array().unwrap().is_empty(), "{rates}");
    let tr = rates["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["carrier"] == "table_rate")
        .expect("the card quotes");
    let codes: Vec<_> = tr["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["code"].as_str())
        .collect();
    assert!(codes.contains(&"SIG") && codes.contains(&"SAT"), "{tr}");

    // Delivery confirmation: the table-rate carrier does not offer it, so it is listed in
    // `errors` on the field while the sandbox still quotes.
    let body = json!({"from": shipper(), "to": receiver(), "parcels": parcels(),
        "options": {"delivery_confirmation": true}});
    let (s, rates) = c.post("/v1/rates", &body).await;
    assert_eq!(s, StatusCode::OK);
    let errors = rates["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{rates}");
    assert_eq!(errors[0]["carrier_account"], table.as_str());
    assert_eq!(errors[0]["type"], "rejected");
    assert_eq!(
        errors[0]["errors"][0]["pointer"],
        "/options/delivery_confirmation"
    );
    assert_eq!(
        rates["quotes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|q| q["carrier"] == "sandbox")
            .count(),
        3
    );

    // Purchases: refused on the field (the hub for an undeclared option, the sandbox for
    // Saturday on economy), bought and kept otherwise.
    let (s, p) = c
        .post(
            "/v1/shipments",
            purchase(
                &table,
                "ground",
                json!({"options": {"delivery_confirmation": true}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        p["errors"][0]["pointer"], "/options/delivery_confirmation",
        "{p}"
    );
    let (s, p) = c
        .post(
            "/v1/shipments",
            purchase(
                &c.account,
                "economy",
                json!({"options": {"saturday_delivery": true}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        p["errors"][0]["pointer"], "/options/saturday_delivery",
        "{p}"
    );
    // The table-rate carrier sells no return labels and validates no addresses.
    let (s, p) = c
        .post(
            "/v1/shipments",
            purchase(&table, "ground", json!({"is_return": true})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["pointer"], "/is_return", "{p}");
    let (s, p) = c
        .post(
            "/v1/addresses/verify",
            json!({"address": receiver(), "carrier_account": table}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["pointer"], "/carrier_account", "{p}");
    assert_eq!(shipment_count(&c).await, 0);

    let bought = c
        .created(
            "/v1/shipments",
            purchase(
                &c.account,
                "standard",
                json!({"options": {"signature": "adult"}}),
            ),
        )
        .await;
    // 22.50 + 6.25 adult signature.
    assert_eq!(amount(&bought["total"]), "28.75", "{bought}");
    let (_, got) = c
        .get(&format!("/v1/shipments/{}", bought["id"].as_str().unwrap()))
        .await;
    assert_eq!(got["options"], json!({"signature": "adult"}));
    assert_eq!(got["is_return"], false);
}

#[tokio::test]
async fn return_labels_alone_and_with_the_outbound_under_one_key() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let c = Api::of(&hub);

    // A return alone: from the customer to the shipper, free until scanned, tracked.
    let ret = c
        .created(
            "/v1/shipments",
            json!({"from": receiver(), "to": shipper(), "parcels": parcels(),
                "carrier_account": c.account, "service": "standard", "is_return": true}),
        )
        .await;
    assert_eq!(ret["is_return"], true);
    assert_eq!(amount(&ret["total"]), "0.00", "{ret}");
    let ret_id = ret["id"].as_str().unwrap();
    let (s, tracking) = c.get(&format!("/v1/shipments/{ret_id}/tracking")).await;
    assert_eq!(s, StatusCode::OK, "{tracking}");
    assert!(
        tracking["tracker"]["id"].is_string(),
        "its own tracker: {tracking}"
    );

    // Outbound with its return, under one key: both recorded and linked.
    let body = purchase(
        &c.account,
        "standard",
        json!({"return_label": true, "reference": "ORDER-7"}),
    );
    let (s, pair) = c
        .send(Method::POST, "/v1/shipments", Some(&body), Some("pair-1"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pair}");
    assert_eq!(pair["is_return"], false);
    assert_eq!(amount(&pair["total"]), "22.50");
    let back = &pair["return_shipment"];
    assert_eq!(back["is_return"], true, "{pair}");
    assert_eq!(back["outbound_shipment_id"], pair["id"]);
    assert_eq!(pair["return_shipment_id"], back["id"]);
    assert_ne!(back["tracking_number"], pair["tracking_number"]);
    assert_eq!(
        back["to"]["name"], "Shipper",
        "the return goes to the shipper"
    );
    assert!(pair.get("return_error").is_none());

    // The replay answers the same pair and buys nothing more.
    let (s, replay) = c
        .send(Method::POST, "/v1/shipments", Some(&body), Some("pair-1"))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(replay, pair);
    assert_eq!(shipment_count(&c).await, 3);
    let m = c.text("/metrics").await;
    assert_eq!(
        metric(&m, "shiphub_carrier_calls_total", &["operation=\"ship\""]),
        3.0,
        "{m}"
    );

    // GET shows the links from both ends.
    let (_, outbound) = c
        .get(&format!("/v1/shipments/{}", pair["id"].as_str().unwrap()))
        .await;
    assert_eq!(outbound["return_shipment_id"], back["id"]);
    let (_, ret) = c
        .get(&format!("/v1/shipments/{}", back["id"].as_str().unwrap()))
        .await;
    assert_eq!(ret["outbound_shipment_id"], pair["id"]);
    assert_eq!(ret["is_return"], true);

    // The return refused after the outbound was bought: the outbound stays, the answer says
    // why the return is missing, on the return's own field.
    let mut from = shipper();
    from["name"] = json!("REJECT returns");
    let body = purchase(
        &c.account,
        "standard",
        json!({"return_label": true, "from": from}),
    );
    let (s, half) = c
        .send(Method::POST, "/v1/shipments", Some(&body), Some("pair-2"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{half}");
    assert!(half.get("return_shipment").is_none(), "{half}");
    assert_eq!(
        half["return_error"]["errors"][0]["pointer"], "/return_label/to/name",
        "{half}"
    );
    assert_eq!(shipment_count(&c).await, 4);

    // A return of a return is refused before anything is bought.
    let body = purchase(
        &c.account,
        "standard",
        json!({"return_label": true, "is_return": true}),
    );
    let (s, p) = c.post("/v1/shipments", &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["pointer"], "/return_label");
    assert_eq!(shipment_count(&c).await, 4);
}

#[tokio::test]
async fn carriers_declare_the_new_capabilities_and_options() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let c = Api::of(&hub);
    let (s, carriers) = c.get("/v1/carriers").await;
    assert_eq!(s, StatusCode::OK);
    let caps = |code: &str| {
        carriers["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == code)
            .unwrap_or_else(|| panic!("{code} listed"))["capabilities"]
            .clone()
    };
    let sandbox = caps("sandbox");
    let supports = sandbox["supports"].as_array().unwrap();
    assert!(supports.contains(&json!("address_validation")), "{sandbox}");
    assert!(supports.contains(&json!("return")), "{sandbox}");
    assert_eq!(sandbox["options"].as_array().unwrap().len(), 8, "{sandbox}");
    let table = caps("table_rate");
    assert_eq!(
        table["options"],
        json!([
            "signature_adult",
            "signature_direct",
            "signature_indirect",
            "saturday_delivery"
        ])
    );

    // The document the API serves lists them in its schemas.
    let doc: Value = c.fetch("/openapi.json").await.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    let capability = schemas["Capability"]["enum"].as_array().unwrap();
    for v in ["address_validation", "return", "pickup", "manifest"] {
        assert!(capability.contains(&json!(v)), "{v}: {capability:?}");
    }
    let option = schemas["ShipmentOption"]["enum"].as_array().unwrap();
    assert!(option.contains(&json!("saturday_delivery")));
    assert!(doc["paths"]["/v1/addresses/verify"]["post"].is_object());
}

/// The README's "working day" blocks (after `<!-- readme-test: working-day -->`), in order.
fn readme_blocks() -> String {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    let mut lines = readme.lines();
    let mut blocks = vec![];
    while let Some(line) = lines.next() {
        if line.trim() != "<!-- readme-test: working-day -->" {
            continue;
        }
        assert_eq!(lines.next().map(str::trim), Some("```sh"));
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        blocks.push(body.join("\n"));
    }
    assert!(!blocks.is_empty(), "README.md has no working-day block");
    blocks.join("\n")
}

#[tokio::test]
async fn the_readme_working_day_runs_as_written() {
    if !common::tools_present(&["sh", "curl", "python3"]) {
        return;
    }
    let hub = common::start(tempfile::tempdir().unwrap());
    let c = Api::of(&hub);
    let script = readme_blocks();
    // Blocking is fine here: the hub is another process, and nothing else runs meanwhile.
    let out = std::process::Command::new("sh")
        .args(["-eu", "-c", &script])
        .env("KEY", &c.key)
        .env("HUB", &c.base)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("\"verdict\":\"deliverable_with_corrections\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"code\":\"SIG_A\""), "{stdout}");
    // The pair and the lone return: three shipments, two of them returns, linked as said.
    let (_, list) = c.get("/v1/shipments").await;
    let all = list["data"].as_array().unwrap();
    assert_eq!(all.len(), 3, "{list}");
    let outbound = all.iter().find(|s| s["is_return"] == false).unwrap();
    assert_eq!(outbound["to"]["street"], json!(["1 MARKET ST"]));
    assert_eq!(outbound["options"], json!({"signature": "direct"}));
    let paired = all
        .iter()
        .find(|s| s["outbound_shipment_id"] == outbound["id"])
        .expect("the paired return");
    assert_eq!(outbound["return_shipment_id"], paired["id"]);
    assert_eq!(all.iter().filter(|s| s["is_return"] == true).count(), 2);
}

/// The address cache's upsert and the return link's columns on PostgreSQL (skipped without
/// `TEST_DATABASE_URL`; required under `CI=true`).
#[tokio::test]
async fn the_cache_and_the_links_work_on_postgres() {
    let Some(schema) = common::PgSchema::create("working_day") else {
        return;
    };
    let (hub, key) = common::start_tenant_on(&schema.url(), "day", &[]);
    let mut c = Api::with_key(&hub, &key);
    c.account = c
        .create_account(json!({"carrier": "sandbox", "name": "sandbox"}))
        .await;
    let first = verify(&c, receiver()).await;
    assert_eq!(first["cached"], false);
    let again = verify(&c, receiver()).await;
    assert_eq!(again["cached"], true, "{again}");
    assert_eq!(again["checked_at"], first["checked_at"]);

    let body = purchase(&c.account, "standard", json!({"return_label": true}));
    let (s, pair) = c
        .send(Method::POST, "/v1/shipments", Some(&body), Some("pg-pair"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pair}");
    let (_, outbound) = c
        .get(&format!("/v1/shipments/{}", pair["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        outbound["return_shipment_id"],
        pair["return_shipment"]["id"]
    );
    let (_, ret) = c
        .get(&format!(
            "/v1/shipments/{}",
            pair["return_shipment"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ret["is_return"], true);
    assert_eq!(ret["outbound_shipment_id"], pair["id"]);
}
