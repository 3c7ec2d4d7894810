//! A carrier without an API, through the real binary: a tenant uploads a rate card, adds a
//! `table_rate` account that names it, rate-shops (every charge explained), buys a label
//! the hub renders, and prices the same lane with `shiphub rate` on the command line.

mod common;

use common::Succeeds;

use serde_json::{Value, json};

fn card_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rating/examples/ground_us_from_atlanta.toml")
}

fn shipment() -> Value {
    json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
           "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true},
           "parcels":[{"weight":{"value":"5","unit":"lb"},"dimensions":{"length":"12","width":"10","height":"8","unit":"in"}}],
           "ship_date":"2026-11-30"})
}

#[tokio::test]
async fn a_rate_card_carrier_quotes_with_its_reasons_and_ships() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    let key = boot["api_key"].as_str().unwrap();
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", hub.base);
    let card = std::fs::read_to_string(card_path()).unwrap();

    // A broken card is refused with the line and the field at fault, and nothing is stored.
    let broken = card.replacen("rounding = \"1\"", "rounding = 1.0", 1);
    let line = broken
        .lines()
        .position(|l| l.contains("rounding = 1.0"))
        .unwrap()
        + 1;
    let res = http
        .put(url("/v1/rate-cards/ground-us-from-atlanta"))
        .bearer_auth(key)
        .header("content-type", "application/toml")
        .body(broken)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["pointer"], "/service/0/rounding", "{p}");
    let detail = p["errors"][0]["detail"].as_str().unwrap();
    assert!(detail.starts_with(&format!("line {line},")), "{detail}");
    let res = http
        .get(url("/v1/rate-cards/ground-us-from-atlanta"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Stored under its own name only.
    let res = http
        .put(url("/v1/rate-cards/other-name"))
        .bearer_auth(key)
        .body(card.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    let res = http
        .put(url("/v1/rate-cards/ground-us-from-atlanta"))
        .bearer_auth(key)
        .header("content-type", "application/toml")
        .body(card.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["versions"][0]["valid_from"], "2026-01-05");
    assert_eq!(stored["versions"][0]["services"][0]["code"], "ground");

    // An account naming a card that does not exist is refused on that field.
    let res = http
        .post(url("/v1/carrier-accounts"))
        .bearer_auth(key)
        .json(&json!({"carrier": "table_rate", "name": "regional", "rate_card": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["pointer"], "/credentials/rate_card", "{p}");
    let res = http
        .post(url("/v1/carrier-accounts"))
        .bearer_auth(key)
        .json(&json!({"carrier": "table_rate", "name": "regional", "rate_card": "ground-us-from-atlanta"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let account = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let res = http
        .post(url("/v1/rates"))
        .bearer_auth(key)
        .json(&{
            let mut body = shipment();
            body["carrier_accounts"] = json!([account]);
            body
        })
        .send()
        .await
        .unwrap();
    let status = res.status();
    let rates: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{rates}");
    let quote = &rates["quotes"][0];
    assert_eq!(quote["service"]["code"], "ground", "{rates}");
    // 7 lb billable (dimensional 6.906 lb ceiled) in zone 8: 21.91 base, 20 % off, the
    // residential surcharge, and 19.25 % fuel on the rest: 28.00.
    assert_eq!(quote["total"]["amount"], "28.00", "{quote}");
    let base = &quote["breakdown"][0];
    let why = base["description"].as_str().unwrap();
    assert!(
        why.contains("zone 8") && why.contains("dimensional"),
        "{why}"
    );

    let mut body = shipment();
    body["carrier_account"] = json!(account);
    body["service"] = json!("ground");
    let res = http
        .post(url("/v1/shipments"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let shp: Value = res.json().await.unwrap();
    assert!(
        shp["tracking_number"].as_str().unwrap().starts_with("TR"),
        "{shp}"
    );
    assert_eq!(shp["total"]["amount"], "28.00");
    let label = http
        .get(url(&format!(
            "/v1/shipments/{}/label?format=zpl",
            shp["id"].as_str().unwrap()
        )))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(label.status(), 200);
    let zpl = label.text().await.unwrap();
    assert!(zpl.contains(shp["tracking_number"].as_str().unwrap()));

    // The same lane on the command line, explained the same way.
    let out = std::process::Command::new(common::binary())
        .args(["rate", "--card"])
        .arg(card_path())
        .args([
            "--from",
            "US:30301",
            "--to",
            "US:94105",
            "--weight",
            "5lb",
            "--dims",
            "12x10x8in",
            "--residential",
            "--date",
            "2026-11-30",
        ])
        .succeed();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Ground (ground): 28.00 USD"), "{text}");
    assert!(text.contains("Residential surcharge"), "{text}");
}
