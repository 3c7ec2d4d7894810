//! A shipper's working day on the real carriers: the `shiphub` binary with UPS, FedEx, USPS
//! and DHL Express accounts pointed at their simulators. Each carrier verifies an address
//! (cached after the first answer), prices a signature option in rates (or is listed in
//! `errors` on the option's field where it does not sell it), sells a return label where it
//! has a return service, books and cancels a pickup; USPS closes the day with a SCAN form whose
//! PDF the hub serves, after which the manifested label cannot be voided.

mod common;

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Sim};

async fn start_sim(router: axum::Router) -> String {
    let addr = sim::serve(router, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    format!("http://{addr}")
}

fn warehouse() -> Value {
    json!({"name":"Returns Desk","company":"Shipper Inc","street":["100 Main St"],"city":"Atlanta",
           "state":"GA","postal_code":"30301","country":"US","phone":"+14045550100",
           "email":"desk@example.com"})
}

fn customer() -> Value {
    json!({"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA",
           "postal_code":"94105","country":"US","residential":true,"phone":"+14155550100",
           "email":"receiver@example.com"})
}

fn shipment() -> Value {
    json!({"from": warehouse(), "to": customer(),
           "parcels":[{"weight":{"value":"2.5","unit":"kg"},
                       "dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}]})
}

fn tomorrow() -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(1)).to_string()
}

struct Carriers {
    ups: (String, Sim),
    fedex: (String, Sim),
    usps: (String, Sim),
    dhl: (String, Sim),
}

async fn hub_with_carriers() -> (common::Hub, common::Api, Carriers) {
    let (ups_sim, fedex_sim, usps_sim, dhl_sim) = (
        Sim::default(),
        Sim::default(),
        Sim::default(),
        Sim::default(),
    );
    let ups_url = start_sim(sim::ups::router(ups_sim.clone())).await;
    let fedex_url = start_sim(sim::fedex::router(fedex_sim.clone())).await;
    let usps_url = start_sim(sim::usps::router(usps_sim.clone())).await;
    let dhl_url = start_sim(sim::dhl_express::router(dhl_sim.clone())).await;
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = common::Api::of(&hub);
    let ups = api.create_account(common::ups_account(&ups_url)).await;
    let fedex = api.create_account(common::fedex_account(&fedex_url)).await;
    let dhl = api.create_account(common::dhl_account(&dhl_url)).await;
    // A raised quota: at USPS's default 56 an hour each call after the burst would wait.
    let usps = api
        .create_account(json!({"carrier":"usps","name":"USPS","base_url": usps_url,
        "credentials":{"client_id":"usps-app","client_secret":"usps-secret","crid":"12345678",
                       "mid":"123456","account_number":"1000000000","requests_per_hour":100000}}))
        .await;
    let carriers = Carriers {
        ups: (ups, ups_sim),
        fedex: (fedex, fedex_sim),
        usps: (usps, usps_sim),
        dhl: (dhl, dhl_sim),
    };
    (hub, api, carriers)
}

/// Every quote of `account` in a rate answer, by service code: its total amount.
fn totals(rates: &Value, account: &str) -> Vec<(String, rust_decimal::Decimal)> {
    rates["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["carrier_account"] == account)
        .map(|q| {
            (
                q["service"]["code"].as_str().unwrap().to_string(),
                q["total"]["amount"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carriers_verify_addresses_once_and_say_what_they_know() {
    let (_hub, api, c) = hub_with_carriers().await;
    for ((account, sim), path) in [
        (&c.ups, "/api/addressvalidation"),
        (&c.fedex, "/address/v1/addresses/resolve"),
        (&c.usps, "/addresses/v3/address"),
        (&c.dhl, "/mydhlapi/address-validate"),
    ] {
        let body = json!({"address": customer(), "carrier_account": account});
        let (s, first) = api.post("/v1/addresses/verify", &body).await;
        assert_eq!(s, StatusCode::OK, "{path}: {first}");
        let verdict = first["verdict"].as_str().unwrap();
        assert!(
            ["deliverable", "deliverable_with_corrections"].contains(&verdict),
            "{path}: {first}"
        );
        assert_eq!(first["address"]["name"], "Receiver", "{first}");
        assert_eq!(first["cached"], false);
        let hits = sim.hits(path);
        assert_eq!(hits, 1, "{path} asked once");
        // The same address again is answered from the tenant's cache, not the carrier.
        let (_, again) = api.post("/v1/addresses/verify", &body).await;
        assert_eq!(again["cached"], true, "{again}");
        assert_eq!(again["verdict"], first["verdict"]);
        assert_eq!(sim.hits(path), hits, "{path} not asked again");
    }
    // The postal carriers classify: USPS knows this street as residential, FedEx as well.
    let (_, usps) = api
        .post(
            "/v1/addresses/verify",
            json!({"address": warehouse(), "carrier_account": c.usps.0}),
        )
        .await;
    assert!(
        ["residential", "commercial"].contains(&usps["classification"].as_str().unwrap()),
        "{usps}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_are_priced_or_refused_on_their_field_and_returns_are_sold() {
    let (_hub, api, c) = hub_with_carriers().await;
    let accounts = [&c.ups.0, &c.fedex.0, &c.usps.0, &c.dhl.0];
    let mut plain = shipment();
    plain["carrier_accounts"] = json!(accounts);
    let (s, without) = api.post("/v1/rates", &plain).await;
    assert_eq!(s, StatusCode::OK, "{without}");
    let mut signed = plain.clone();
    signed["options"] = json!({"signature": "adult"});
    let (s, with) = api.post("/v1/rates", &signed).await;
    assert_eq!(s, StatusCode::OK, "{with}");

    // UPS, FedEx and USPS sell an adult signature: a service quoted both ways costs more with it.
    for account in [&c.ups.0, &c.fedex.0, &c.usps.0] {
        let before = totals(&without, account);
        let after = totals(&with, account);
        assert!(
            !after.is_empty(),
            "{account}: no quote with a signature: {with}"
        );
        let dearer = after
            .iter()
            .filter(|(code, total)| before.iter().any(|(c, t)| c == code && total > t));
        assert!(
            dearer.count() > 0,
            "{account}: the signature is not priced: {before:?} vs {after:?}"
        );
    }
    // DHL Express signs only "direct": the adult signature is refused on its field, the others
    // still quote.
    let dhl_error = with["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["carrier_account"] == c.dhl.0.as_str())
        .unwrap_or_else(|| panic!("DHL not refused: {with}"));
    assert_eq!(dhl_error["type"], "rejected", "{dhl_error}");
    assert_eq!(
        dhl_error["errors"][0]["pointer"], "/options/signature",
        "{dhl_error}"
    );

    // Return labels: the customer sends the parcel back to the warehouse, on each carrier with
    // a return service; DHL Express has none in its API and says so on the field.
    for (account, service) in [
        (&c.ups.0, "03"),
        (&c.fedex.0, "FEDEX_GROUND"),
        (&c.usps.0, "USPS_GROUND_ADVANTAGE"),
    ] {
        let mut body = json!({"from": customer(), "to": warehouse(),
            "parcels": shipment()["parcels"], "carrier_account": account, "service": service,
            "is_return": true, "reference": "RMA-1"});
        body["label_format"] = json!("pdf");
        let (s, bought) = api.post("/v1/shipments", &body).await;
        assert_eq!(s, StatusCode::CREATED, "{service}: {bought}");
        assert_eq!(bought["is_return"], true, "{bought}");
        let label = api
            .fetch(&format!(
                "/v1/shipments/{}/label?format=pdf",
                bought["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(label.status(), StatusCode::OK);
        assert!(label.bytes().await.unwrap().starts_with(b"%PDF"));
    }
    let body = json!({"from": customer(), "to": warehouse(), "parcels": shipment()["parcels"],
        "carrier_account": c.dhl.0, "service": "N", "is_return": true});
    let (s, refused) = api.post("/v1/shipments", &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(common::pointer(&refused), "/is_return", "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pickups_are_booked_and_cancelled_and_usps_closes_the_day_with_a_scan_form() {
    let (_hub, api, c) = hub_with_carriers().await;
    for ((account, sim), booked_at) in [
        (&c.ups, "/api/pickupcreation"),
        (&c.fedex, "/pickup/v1/pickups"),
        (&c.usps, "/pickup/v3/carrier-pickup"),
        (&c.dhl, "/mydhlapi/pickups"),
    ] {
        let body = json!({"carrier_account": account, "address": warehouse(), "date": tomorrow(),
            "ready_time": "09:00", "close_time": "17:00", "parcel_count": 2,
            "total_weight": {"value": "5", "unit": "kg"}});
        let (s, p) = api.post("/v1/pickups", &body).await;
        assert_eq!(s, StatusCode::CREATED, "{booked_at}: {p}");
        assert_eq!(p["status"], "scheduled", "{p}");
        assert!(!p["confirmation"].as_str().unwrap().is_empty(), "{p}");
        assert!(sim.hits(booked_at) >= 1, "{booked_at} was not asked");
        let (s, cancelled) = api
            .post(
                &format!("/v1/pickups/{}/cancel", p["id"].as_str().unwrap()),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{booked_at}: {cancelled}");
        assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    }

    // USPS: a label, then the day's SCAN form for it.
    let mut body = shipment();
    body["carrier_account"] = json!(c.usps.0);
    body["service"] = json!("USPS_GROUND_ADVANTAGE");
    body["label_format"] = json!("pdf");
    let (s, bought) = api.post("/v1/shipments", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{bought}");
    let id = bought["id"].as_str().unwrap();
    let (s, m) = api
        .post(
            "/v1/manifests",
            json!({"carrier_account": c.usps.0, "shipments": [id]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(c.usps.1.hits("/scan-forms/v3/scan-form"), 1);
    assert_eq!(m["document"]["source"], "carrier", "{m}");
    assert_eq!(
        m["tracking_numbers"],
        json!([bought["tracking_number"]]),
        "{m}"
    );
    let doc = api
        .fetch(&format!(
            "/v1/manifests/{}/document",
            m["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(doc.status(), StatusCode::OK);
    assert_eq!(doc.headers()["content-type"], "application/pdf");
    assert!(doc.bytes().await.unwrap().starts_with(b"%PDF"));
    // Handed over: the label can no longer be voided.
    let (s, problem) = api
        .post(&format!("/v1/shipments/{id}/void"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{problem}");

    // FedEx: a Ground label, then the Ground End of Day Close of its day. FedEx's manifest
    // is text, so the hub draws the page; the id is the close's shipping cycle.
    let mut body = shipment();
    body["carrier_account"] = json!(c.fedex.0);
    // The customer is residential: FedEx Ground's residential service is Home Delivery.
    body["service"] = json!("GROUND_HOME_DELIVERY");
    body["label_format"] = json!("pdf");
    let (s, bought) = api.post("/v1/shipments", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{bought}");
    let fedex_id = bought["id"].as_str().unwrap();
    let (s, m) = api
        .post(
            "/v1/manifests",
            json!({"carrier_account": c.fedex.0, "shipments": [fedex_id]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(c.fedex.1.hits("/ship/v1/endofday/"), 1);
    let cycle = m["carrier_manifest_id"].as_str().unwrap();
    assert!(
        cycle.len() == 16 && cycle.bytes().all(|b| b.is_ascii_digit()),
        "{m}"
    );
    assert_eq!(m["document"]["source"], "hub", "{m}");
    assert_eq!(
        m["tracking_numbers"],
        json!([bought["tracking_number"]]),
        "{m}"
    );
    assert!(
        m["warnings"].to_string().contains("whole Ground day"),
        "{m}"
    );
    let (s, problem) = api
        .post(&format!("/v1/shipments/{fedex_id}/void"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{problem}");
}
