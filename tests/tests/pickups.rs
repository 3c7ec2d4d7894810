//! Pickups and end of day through the real binary on the sandbox carrier (issue 18): a pickup
//! booked from the shipments it covers, read, listed, replayed by its key, cancelled once;
//! a day closed by date and a list closed by ids, the manifest's PDF read back with pdftotext,
//! no void of a manifested shipment, and no empty manifest.

mod common;

use common::{Api, content_type, pointer};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;

fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

fn tomorrow() -> time::Date {
    today().next_day().unwrap()
}

/// A sandbox purchase of `kg` in one parcel, shipped on `ship_date` when given.
async fn buy(api: &Api, kg: &str, ship_date: Option<time::Date>) -> Value {
    let mut body = common::sandbox_pdf_purchase(&api.account, None);
    body["parcels"] = json!([{"weight": {"value": kg, "unit": "kg"}}]);
    if let Some(d) = ship_date {
        body["ship_date"] = json!(d.to_string());
    }
    api.created("/v1/shipments", body).await
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

fn pickup_of(account: &str, shipments: &[&str]) -> Value {
    json!({"carrier_account": account, "date": tomorrow().to_string(),
        "ready_time": "09:00", "close_time": "17:00", "shipments": shipments,
        "instructions": "Dock 3, ring twice"})
}

fn address() -> Value {
    json!({"name": "Warehouse", "street": ["5 Dock Rd"], "city": "Atlanta", "state": "GA",
        "postal_code": "30318", "country": "US"})
}

#[tokio::test]
async fn a_pickup_is_booked_from_its_shipments_read_listed_replayed_and_cancelled_once() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let a = buy(&api, "1.2", None).await;
    let b = buy(&api, "0.75", None).await;
    let body = pickup_of(&api.account, &[id(&a), id(&b)]);

    let res = api
        .post_response("/v1/pickups", &body, Some("pickup-1"))
        .await;
    assert_eq!(res.status(), 201);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["status"], "scheduled");
    assert_eq!(p["carrier"], "sandbox");
    // Counted and weighed from the shipments, collected at their origin.
    assert_eq!(p["parcel_count"], 2);
    assert_eq!(p["total_weight"], json!({"value": "1.95", "unit": "kg"}));
    assert_eq!(p["address"]["street"], json!(["100 Main St"]));
    assert_eq!(p["shipments"], json!([id(&a), id(&b)]));
    assert_eq!(p["ready_time"], "09:00");
    let day = tomorrow().to_string().replace('-', "");
    let confirmation = p["confirmation"].as_str().unwrap();
    assert!(
        confirmation.starts_with(&format!("SBXP{day}")) && confirmation.len() == 20,
        "{confirmation}"
    );

    // The same key and body: the first answer, not a second booking.
    let again = api
        .post_response("/v1/pickups", &body, Some("pickup-1"))
        .await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, p);
    let mut other = body.clone();
    other["close_time"] = json!("16:00");
    let (status, problem) = api
        .send(Method::POST, "/v1/pickups", Some(&other), Some("pickup-1"))
        .await;
    assert_eq!(status, 422, "{problem}");

    assert_eq!(api.get_ok(&format!("/v1/pickups/{}", id(&p))).await, p);
    let listed = api.all("/v1/pickups?limit=100").await;
    assert_eq!(listed.len(), 1, "the replay booked nothing: {listed:?}");
    assert_eq!(listed[0], p);

    // Given count, weight and address: no shipments needed; the confirmation follows the request.
    let plain = json!({"carrier_account": api.account, "address": address(),
        "date": tomorrow().to_string(), "ready_time": "10:00", "close_time": "12:30",
        "parcel_count": 4, "total_weight": {"value": "12", "unit": "lb"}});
    let q = api.created("/v1/pickups", &plain).await;
    assert_eq!(q["parcel_count"], 4);
    assert_eq!(q["address"]["postal_code"], "30318");
    assert_ne!(q["confirmation"], p["confirmation"]);
    assert_eq!(api.all("/v1/pickups?limit=1").await.len(), 2);

    // Refusals name the field.
    let mut late = plain.clone();
    late["close_time"] = json!("09:00");
    let (status, problem) = api.post("/v1/pickups", &late).await;
    assert_eq!((status.as_u16(), pointer(&problem)), (422, "/close_time"));
    let mut rejected = plain.clone();
    rejected["instructions"] = json!("REJECT please");
    let (status, problem) = api.post("/v1/pickups", &rejected).await;
    assert_eq!((status.as_u16(), pointer(&problem)), (422, "/instructions"));
    let mut nothing = plain.clone();
    nothing.as_object_mut().unwrap().remove("parcel_count");
    let (status, problem) = api.post("/v1/pickups", &nothing).await;
    assert_eq!((status.as_u16(), pointer(&problem)), (422, "/parcel_count"));
    let second = api
        .create_account(json!({"carrier": "sandbox", "name": "Second dock", "credentials": {}}))
        .await;
    let (status, problem) = api.post("/v1/pickups", pickup_of(&second, &[id(&a)])).await;
    assert_eq!((status.as_u16(), pointer(&problem)), (422, "/shipments/0"));
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&api.account),
        "{problem}"
    );

    // Cancelled once; a second cancel is a conflict, the first cancel's key replays.
    let cancel = format!("/v1/pickups/{}/cancel", id(&p));
    let (status, c) = api
        .send(Method::POST, &cancel, None, Some("cancel-1"))
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["status"], "cancelled");
    assert!(c["cancelled_at"].is_string());
    let res = api.response(Method::POST, &cancel, None, None).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(content_type(&res), "application/problem+json");
    let (status, replay) = api
        .send(Method::POST, &cancel, None, Some("cancel-1"))
        .await;
    assert_eq!((status, &replay), (StatusCode::OK, &c));
    let replay_of_cancel = c;
    assert_eq!(
        api.get_ok(&format!("/v1/pickups/{}", id(&p))).await["status"],
        "cancelled"
    );
    let (status, _) = api.get("/v1/pickups/pku_0123").await;
    assert_eq!(status, 404);

    // Through the outbox: one `pickup.booked` per booking (none for the replay) and one
    // `pickup.cancelled`, each carrying the pickup as the API answered it.
    let events = api.all("/v1/events?limit=100").await;
    let of = |kind: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["type"] == kind)
            .map(|e| e["data"].clone())
            .collect()
    };
    assert_eq!(of("pickup.booked"), vec![p.clone(), q.clone()]);
    assert_eq!(of("pickup.cancelled"), vec![replay_of_cancel]);
}

/// pdftotext's text of a PDF.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_day_closes_into_a_manifest_whose_shipments_cannot_be_voided() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let a = buy(&api, "1.2", None).await;
    let b = buy(&api, "2", Some(today())).await;
    let later = buy(&api, "1", Some(tomorrow())).await;
    let voided = buy(&api, "1", None).await;
    let (status, _) = api
        .post(&format!("/v1/shipments/{}/void", id(&voided)), json!({}))
        .await;
    assert_eq!(status, 200);

    let day = json!({"carrier_account": api.account, "ship_date": today().to_string()});
    let res = api
        .post_response("/v1/manifests", &day, Some("close-1"))
        .await;
    assert_eq!(res.status(), 201);
    let m: Value = res.json().await.unwrap();
    // Today's purchased shipments only: not tomorrow's, not the voided one.
    let mut covered: Vec<&str> = m["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    covered.sort_unstable();
    let mut want = vec![id(&a), id(&b)];
    want.sort_unstable();
    assert_eq!(covered, want);
    assert_eq!(
        m["tracking_numbers"],
        json!([a["tracking_number"], b["tracking_number"]])
    );
    let scan = m["carrier_manifest_id"].as_str().unwrap();
    assert!(
        scan.len() == 22 && scan.starts_with("9475") && scan.bytes().all(|c| c.is_ascii_digit()),
        "{scan}"
    );
    assert_eq!(m["document"]["format"], "pdf");
    assert_eq!(m["document"]["source"], "hub");

    let replay = api
        .post_response("/v1/manifests", &day, Some("close-1"))
        .await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap(), m);
    assert_eq!(api.get_ok(&format!("/v1/manifests/{}", id(&m))).await, m);
    // One `manifest.created` (not one per replay), carrying the manifest as answered.
    let created: Vec<Value> = api
        .all("/v1/events?limit=100")
        .await
        .into_iter()
        .filter(|e| e["type"] == "manifest.created")
        .map(|e| e["data"].clone())
        .collect();
    assert_eq!(created, vec![m.clone()]);

    let doc = api.fetch(m["document"]["url"].as_str().unwrap()).await;
    assert_eq!(doc.status(), 200);
    assert_eq!(content_type(&doc), "application/pdf");
    let pdf = doc.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    if common::tools_present(&["pdftotext"]) {
        let text = pdf_text(&pdf);
        for n in [&a["tracking_number"], &b["tracking_number"]] {
            assert!(text.contains(n.as_str().unwrap()), "{n} not in {text}");
        }
        assert!(text.contains(scan), "{text}");
        assert!(!text.contains(later["tracking_number"].as_str().unwrap()));
    }

    // Manifested: no void any more.
    let res = api
        .response(
            Method::POST,
            &format!("/v1/shipments/{}/void", id(&a)),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(content_type(&res), "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains(id(&m)),
        "{problem}"
    );
    assert_eq!(
        api.get_ok(&format!("/v1/shipments/{}", id(&a))).await["status"],
        "purchased"
    );

    // The day is closed: nothing left to manifest.
    let (status, problem) = api.post("/v1/manifests", &day).await;
    assert_eq!((status.as_u16(), pointer(&problem)), (422, "/ship_date"));
    let (status, problem) = api
        .post("/v1/manifests", json!({"carrier_account": api.account}))
        .await;
    assert_eq!((status.as_u16(), pointer(&problem)), (422, "/ship_date"));

    // By list: tomorrow's shipment now, then it is taken.
    let list = json!({"carrier_account": api.account, "shipments": [id(&later)],
        "ship_date": tomorrow().to_string()});
    let n = api.created("/v1/manifests", &list).await;
    assert_eq!(n["shipments"], json!([id(&later)]));
    assert_eq!(n["ship_date"], tomorrow().to_string());
    assert_ne!(n["carrier_manifest_id"], m["carrier_manifest_id"]);
    let (status, problem) = api.post("/v1/manifests", &list).await;
    assert_eq!((status.as_u16(), pointer(&problem)), (422, "/shipments/0"));
    let (status, problem) = api
        .post(
            "/v1/manifests",
            json!({"carrier_account": api.account, "shipments": [id(&voided)]}),
        )
        .await;
    assert_eq!((status.as_u16(), pointer(&problem)), (422, "/shipments/0"));

    let all = api.all("/v1/manifests?limit=1").await;
    assert_eq!(
        all.iter().map(|x| x["id"].clone()).collect::<Vec<_>>(),
        vec![n["id"].clone(), m["id"].clone()]
    );
    let (status, _) = api.get("/v1/manifests/mnf_x/document").await;
    assert_eq!(status, 404);
}
