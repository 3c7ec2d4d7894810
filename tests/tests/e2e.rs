//! The README walk-through, through the real binary: rates → shipment (idempotent replay) →
//! label PDF whose barcode scans → void; tenants cannot see each other; error paths answer
//! problem+json with the right status.

mod common;

use common::{Api, is_problem};

use reqwest::StatusCode;
use serde_json::{Value, json};

fn rate_body() -> Value {
    // Verbatim from the issue.
    json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},
           "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true},
           "parcels":[{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}]})
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

#[tokio::test]
async fn rate_ship_label_void_walkthrough() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::db_url(dir.path());
    let created: Value =
        serde_json::from_str(common::cli(&db, &["tenant", "create", "acme"]).trim()).unwrap();
    assert_eq!(created["tenant"], "acme");
    let key = created["api_key"].as_str().unwrap().to_string();
    let other: Value =
        serde_json::from_str(common::cli(&db, &["tenant", "create", "other"]).trim()).unwrap();

    let hub = common::start(dir);
    assert!(
        hub.stdout.is_empty(),
        "no bootstrap on a database that has tenants: {:?}",
        hub.stdout
    );
    let c = Api::with_key(&hub, &key);

    // Arrange: a sandbox account (idempotent).
    let res = c
        .post_response(
            "/v1/carrier-accounts",
            &json!({"carrier":"sandbox","name":"sandbox"}),
            Some("acct-1"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let account = json_of(res).await;
    let account_id = account["id"].as_str().unwrap().to_string();
    let again = json_of(
        c.post_response(
            "/v1/carrier-accounts",
            &json!({"carrier":"sandbox","name":"sandbox"}),
            Some("acct-1"),
        )
        .await,
    )
    .await;
    assert_eq!(again["id"], account["id"]);
    let accounts = json_of(c.fetch("/v1/carrier-accounts").await).await;
    assert_eq!(
        accounts["data"].as_array().unwrap().len(),
        1,
        "the replay created no second account"
    );

    // Rates: the request, verbatim.
    let res = c.post_response("/v1/rates", &rate_body(), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rates = json_of(res).await;
    let quotes = rates["quotes"].as_array().unwrap();
    assert_eq!(quotes.len(), 3, "{rates}");
    assert!(rates["errors"].as_array().unwrap().is_empty());
    let amounts: Vec<f64> = quotes
        .iter()
        .map(|q| q["total"]["amount"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        amounts.windows(2).all(|w| w[0] <= w[1]),
        "cheapest first: {amounts:?}"
    );
    for q in quotes {
        assert_eq!(q["carrier_account"], account_id.as_str());
        assert_eq!(q["carrier"], "sandbox");
        assert_eq!(q["total"]["currency"], "USD");
    }
    let fastest = json_of(
        c.post_response(
            "/v1/rates",
            &json!({"strategy":"fastest"})
                .as_object()
                .unwrap()
                .clone()
                .into_iter()
                .chain(rate_body().as_object().unwrap().clone())
                .collect::<serde_json::Map<_, _>>()
                .into(),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(fastest["quotes"][0]["service"]["code"], "express");
    let service = quotes[0]["service"]["code"].as_str().unwrap().to_string();

    // Ship with an Idempotency-Key; replay returns the same shipment.
    let mut body = rate_body();
    body["carrier_account"] = json!(account_id);
    body["service"] = json!(service);
    body["label_format"] = json!("pdf");
    body["reference"] = json!("ORDER-1001");
    let res = c
        .post_response("/v1/shipments", &body, Some("order-1001"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let shipment = json_of(res).await;
    let id = shipment["id"].as_str().unwrap().to_string();
    let tracking = shipment["tracking_number"].as_str().unwrap().to_string();
    assert_eq!(shipment["status"], "purchased");
    assert_eq!(shipment["total"], quotes[0]["total"]);
    assert_eq!(
        shipment["label"]["url"],
        format!("/v1/shipments/{id}/label?format=pdf")
    );

    let res = c
        .post_response("/v1/shipments", &body, Some("order-1001"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers().get("idempotent-replayed").unwrap(), "true");
    let replay = json_of(res).await;
    assert_eq!(replay["id"], shipment["id"]);
    assert_eq!(replay["tracking_number"], shipment["tracking_number"]);
    let list = json_of(c.fetch("/v1/shipments").await).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "no second purchase"
    );

    let mut changed = body.clone();
    changed["reference"] = json!("ORDER-1002");
    let res = c
        .post_response("/v1/shipments", &changed, Some("order-1001"))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(is_problem(&res));

    // Label: PDF whose barcode decodes to the tracking number; ZPL too.
    let res = c
        .fetch(&format!("/v1/shipments/{id}/label?format=pdf"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    if common::tools_present(&["pdftoppm", "zbarimg"]) {
        assert_eq!(common::decode_pdf_barcodes(&pdf), vec![tracking.clone()]);
    }
    let zpl = c
        .fetch(&format!("/v1/shipments/{id}/label?format=zpl"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        zpl.starts_with("^XA") && zpl.trim_end().ends_with("^XZ") && zpl.contains(&tracking),
        "{zpl}"
    );

    // Another tenant sees nothing of it.
    let o = Api {
        key: other["api_key"].as_str().unwrap().to_string(),
        ..c.clone()
    };
    let res = o.fetch(&format!("/v1/shipments/{id}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(is_problem(&res));
    assert_eq!(
        o.fetch(&format!("/v1/shipments/{id}/label")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        o.post_response(&format!("/v1/shipments/{id}/void"), &json!({}), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        json_of(o.fetch("/v1/shipments").await).await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Void, once.
    let res = c
        .post_response(
            &format!("/v1/shipments/{id}/void"),
            &json!({}),
            Some("void-1"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["status"], "voided");
    let res = c
        .post_response(
            &format!("/v1/shipments/{id}/void"),
            &json!({}),
            Some("void-1"),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the same key replays the void"
    );
    let res = c
        .post_response(&format!("/v1/shipments/{id}/void"), &json!({}), None)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        json_of(c.fetch(&format!("/v1/shipments/{id}")).await).await["status"],
        "voided"
    );

    // The outbox: one event per change, none for replays or refused repeats.
    let events = json_of(c.fetch("/v1/events").await).await;
    let kinds: Vec<_> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["data"]["id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("shipment.created".to_string(), json!(id)),
            ("shipment.voided".to_string(), json!(id))
        ],
        "{events}"
    );
    assert!(
        json_of(o.fetch("/v1/events").await).await["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "events are per tenant"
    );
}

#[tokio::test]
async fn errors_are_problem_json_with_the_right_status() {
    let dir = tempfile::tempdir().unwrap();
    let hub = common::start(dir);
    // A fresh embedded database bootstraps a default tenant with a sandbox account.
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    assert_eq!(boot["tenant"], "default");
    let c = Api::of(&hub);
    let accounts = json_of(c.fetch("/v1/carrier-accounts").await).await;
    assert_eq!(accounts["data"][0]["carrier"], "sandbox");
    let account = accounts["data"][0]["id"].as_str().unwrap().to_string();

    // 401
    let res = reqwest::Client::new()
        .get(format!("{}/v1/shipments", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(is_problem(&res));
    let bad = Api {
        key: "sh_nope".into(),
        ..c.clone()
    };
    assert_eq!(
        bad.fetch("/v1/shipments").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // 400 malformed
    let res = c
        .http
        .post(format!("{}/v1/rates", c.base))
        .bearer_auth(&c.key)
        .header("content-type", "application/json")
        .body("{\"from\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(is_problem(&res));

    // 422 naming the field
    let mut body = rate_body();
    body["to"]["country"] = json!("XX");
    let res = c.post_response("/v1/rates", &body, None).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = json_of(res).await;
    assert_eq!(p["errors"][0]["pointer"], "/to/country");

    // 413
    let huge = json!({"blob": "x".repeat(2 * 1024 * 1024)});
    // On its own connection: the server closes a connection whose body it refused to read, and
    // a pooled connection would break the next request's write.
    let res = reqwest::Client::new()
        .post(format!("{}/v1/rates", c.base))
        .bearer_auth(&c.key)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&res));

    // carrier rejects → 422 with the carrier's field error; nothing bought
    let mut ship = rate_body();
    ship["carrier_account"] = json!(account);
    ship["service"] = json!("standard");
    ship["reference"] = json!("REJECT-1");
    let res = c.post_response("/v1/shipments", &ship, Some("r-1")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(is_problem(&res));
    let p = json_of(res).await;
    assert_eq!(p["carrier"], "sandbox");
    assert_eq!(p["errors"][0]["pointer"], "/reference");

    // carrier down → 503 with Retry-After; the key is released so a retry can buy
    ship["reference"] = json!("CARRIER_DOWN");
    let res = c.post_response("/v1/shipments", &ship, Some("d-1")).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().get("retry-after").is_some());
    let p = json_of(res).await;
    assert_eq!(p["retryable"], true);
    assert!(
        json_of(c.fetch("/v1/shipments").await).await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // unknown service → 422 /service
    ship["reference"] = json!("ORDER-9");
    ship["service"] = json!("teleport");
    let res = c.post_response("/v1/shipments", &ship, None).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["errors"][0]["pointer"], "/service");

    // operational endpoints
    assert_eq!(c.fetch("/healthz").await.status(), StatusCode::OK);
    assert_eq!(c.fetch("/readyz").await.status(), StatusCode::OK);
    let metrics = c.fetch("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("shiphub_http_requests_total"), "{metrics}");
    assert!(metrics.contains("shiphub_carrier_calls_total"), "{metrics}");
    let doc = json_of(c.fetch("/openapi.json").await).await;
    assert!(doc["paths"]["/v1/shipments"]["post"].is_object());
    assert_eq!(c.fetch("/docs/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_multi_piece_shipment_prints_every_piece_in_one_document() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    let c = Api::of(&hub);
    let mut body = rate_body();
    body["parcels"] = json!([
        {"weight":{"value":"2.5","unit":"kg"}},
        {"weight":{"value":"4","unit":"lb"}}
    ]);
    body["carrier_account"] = boot["carrier_account"].clone();
    body["service"] = json!("standard");
    body["reference"] = json!("ORDER-2P");
    let res = c.post_response("/v1/shipments", &body, None).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let shipment = json_of(res).await;
    let id = shipment["id"].as_str().unwrap();
    let pieces: Vec<String> = shipment["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(pieces.len(), 2);

    let pdf = c
        .fetch(&format!("/v1/shipments/{id}/label?format=pdf"))
        .await
        .bytes()
        .await
        .unwrap();
    if common::tools_present(&["pdftoppm", "zbarimg"]) {
        let mut decoded = common::decode_pdf_barcodes(&pdf);
        decoded.sort();
        let mut want = pieces.clone();
        want.sort();
        assert_eq!(decoded, want, "one scannable label per piece");
    }
    let zpl = c
        .fetch(&format!("/v1/shipments/{id}/label?format=zpl"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(zpl.matches("^XA").count(), 2);
    assert!(pieces.iter().all(|p| zpl.contains(p.as_str())));
    let png = c
        .fetch(&format!("/v1/shipments/{id}/label?format=png"))
        .await;
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn the_shipment_answer_links_the_customs_documents_it_has() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    let c = Api::of(&hub);
    let item = json!({"description":"Cotton T-shirt","quantity":3,
        "unit_value":{"amount":"12.50","currency":"USD"},
        "unit_weight":{"value":"0.2","unit":"kg"},"hs_code":"6109.10","origin_country":"US"});
    let mut body = rate_body();
    body["to"] = json!({"name":"Empfänger","street":["Unter den Linden 1"],"city":"Berlin",
        "postal_code":"10117","country":"DE","phone":"+49 30 1234567","email":"empfang@example.de"});
    body["customs"] = json!({"incoterm":"DDP","content_type":"merchandise","items":[item]});
    body["carrier_account"] = boot["carrier_account"].clone();
    body["service"] = json!("express");
    let res = c
        .post_response("/v1/shipments", &body, Some("docs-links-1"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let bought = json_of(res).await;
    let id = bought["id"].as_str().unwrap().to_string();
    let link =
        |kind: &str| json!({"type": kind, "url": format!("/v1/shipments/{id}/documents/{kind}")});
    let all = json!([link("commercial_invoice"), link("cn23"), link("cn22")]);
    assert_eq!(bought["documents"], all, "purchase answer");
    let got = json_of(c.fetch(&format!("/v1/shipments/{id}")).await).await;
    assert_eq!(got["documents"], all, "GET /v1/shipments/{{id}}");
    let listed = json_of(c.fetch("/v1/shipments").await).await;
    assert_eq!(listed["data"][0]["documents"], all, "listing");

    for doc in all.as_array().unwrap() {
        let res = c.fetch(doc["url"].as_str().unwrap()).await;
        assert_eq!(res.status(), StatusCode::OK, "{doc}");
        assert_eq!(res.headers()["content-type"], "application/pdf");
        let pdf = res.bytes().await.unwrap();
        if doc["type"] != "cn23" || !common::tools_present(&["pdftotext"]) {
            continue;
        }
        let text = common::pdf_text(&pdf);
        // The parcel's 2.5 kg, not the items' 0.6 kg net.
        for expected in [
            "Total gross weight: 2.5 kg",
            "Germany (DE)",
            "United States of America (US)",
            "+49 30 1234567",
            "empfang@example.de",
            "+14045550100",
        ] {
            assert!(
                text.contains(expected),
                "{expected} missing from the CN 23:\n{text}"
            );
        }
    }

    // Six items do not fit a CN 22: it is not linked.
    body["customs"]["items"] = json!([item, item, item, item, item, item]);
    let res = c
        .post_response("/v1/shipments", &body, Some("docs-links-2"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let bought = json_of(res).await;
    let id = bought["id"].as_str().unwrap();
    let kinds: Vec<&str> = bought["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["commercial_invoice", "cn23"]);
    let res = c.fetch(&format!("/v1/shipments/{id}/documents/cn22")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A domestic shipment has no customs documents and no `documents` field.
    let mut domestic = rate_body();
    domestic["carrier_account"] = boot["carrier_account"].clone();
    domestic["service"] = json!("economy");
    let bought = json_of(
        c.post_response("/v1/shipments", &domestic, Some("docs-links-3"))
            .await,
    )
    .await;
    assert!(bought.get("documents").is_none(), "{bought}");
}

#[tokio::test]
async fn an_international_shipment_gets_its_customs_documents() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    let c = Api::of(&hub);
    let mut body = rate_body();
    body["to"] = json!({"name":"Empfänger","street":["Unter den Linden 1"],"city":"Berlin","postal_code":"10117","country":"DE"});
    body["customs"] = json!({"incoterm":"DDP","content_type":"merchandise","items":[
        {"description":"Cotton T-shirt","quantity":3,"unit_value":{"amount":"12.50","currency":"USD"},
         "unit_weight":{"value":"0.2","unit":"kg"},"hs_code":"6109.10","origin_country":"US"}],
        "importer":{"eori":"DE123456789012345"}});
    body["carrier_account"] = boot["carrier_account"].clone();
    body["service"] = json!("express");
    body["reference"] = json!("INV-77");
    let res = c.post_response("/v1/shipments", &body, None).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = json_of(res).await["id"].as_str().unwrap().to_string();

    for kind in ["commercial_invoice", "cn22", "cn23"] {
        let res = c
            .fetch(&format!("/v1/shipments/{id}/documents/{kind}"))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{kind}");
        assert_eq!(res.headers()["content-type"], "application/pdf");
        let pdf = res.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        if kind == "commercial_invoice" && common::tools_present(&["pdftotext"]) {
            let text = common::pdf_text(&pdf);
            for expected in ["610910", "DDP", "37.50", "INV-77", "DE123456789012345"] {
                assert!(
                    text.contains(expected),
                    "{expected} missing from the invoice:\n{text}"
                );
            }
        }
    }
    assert_eq!(
        c.fetch(&format!("/v1/shipments/{id}/documents/passport"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // A domestic shipment has none.
    let mut domestic = rate_body();
    domestic["carrier_account"] = boot["carrier_account"].clone();
    domestic["service"] = json!("economy");
    let id = json_of(c.post_response("/v1/shipments", &domestic, None).await).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = c
        .fetch(&format!("/v1/shipments/{id}/documents/commercial_invoice"))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
