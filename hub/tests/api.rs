//! Handler behaviour through the router without a socket: rate-shopping deadlines and
//! partial failures, using test carriers registered next to the sandbox.

mod common;

use std::time::Duration;

use async_trait::async_trait;
use axum::http::StatusCode;
use serde_json::{Value, json};
use shiphub::api;
use shiphub::cli::build_state;
use shiphub::crypto::MasterKey;
use shiphub::state::CarrierSet;
use shiphub::store::Store;
use shiphub_carriers::model::{Quote, RateRequest};
use shiphub_carriers::{
    Capabilities, Capability, Carrier, CarrierCode, CarrierEntry, CarrierError, CarrierLimits,
};

static SLOW_CAPS: Capabilities = common::capabilities(&[Capability::Rate], 0, &[]);

/// Answers after 10 s: longer than any deadline a test sets.
struct Slow;
#[async_trait]
impl Carrier for Slow {
    fn code(&self) -> CarrierCode {
        CarrierCode::from_static("slow")
    }
    fn capabilities(&self) -> &'static Capabilities {
        &SLOW_CAPS
    }
    fn limits(&self) -> CarrierLimits {
        common::limits(100, 100, Duration::from_secs(30))
    }
    async fn rate(&self, _: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok(vec![])
    }
}

/// Always refuses credentials.
struct BadAuth;
#[async_trait]
impl Carrier for BadAuth {
    fn code(&self) -> CarrierCode {
        CarrierCode::from_static("badauth")
    }
    fn capabilities(&self) -> &'static Capabilities {
        &SLOW_CAPS
    }
    fn limits(&self) -> CarrierLimits {
        common::limits(100, 100, Duration::from_secs(1))
    }
    async fn rate(&self, _: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        Err(CarrierError::Auth {
            carrier: self.code(),
            code: Some("250003".into()),
        })
    }
}

static SLOW: CarrierEntry = common::entry("slow", "Slow", &SLOW_CAPS, |_, _| Ok(Box::new(Slow)));
static BADAUTH: CarrierEntry = common::entry("badauth", "Bad auth", &SLOW_CAPS, |_, _| {
    Ok(Box::new(BadAuth))
});

struct App {
    router: axum::Router,
    state: shiphub::state::AppState,
    key: String,
    _dir: tempfile::TempDir,
}

async fn spawn_app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("t.db").display()
    ))
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let tenant = store
        .create_tenant("t", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let (key, hash, prefix) = shiphub::crypto::new_api_key();
    store
        .insert_api_key(&tenant.id, &hash, &prefix, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let mut state = build_state(
        store,
        MasterKey::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap(),
    );
    let mut entries = shiphub_carriers::CARRIERS.to_vec();
    entries.extend([&SLOW, &BADAUTH]);
    state.carriers = std::sync::Arc::new(CarrierSet::new(entries));
    App {
        router: api::router(state.clone()),
        state,
        key,
        _dir: dir,
    }
}

impl App {
    /// Registers more test carriers beside the default ones.
    async fn extra_entries(&mut self, extra: &[&'static CarrierEntry]) {
        let mut entries = self.state.carriers.entries.clone();
        entries.extend_from_slice(extra);
        self.state.carriers = std::sync::Arc::new(CarrierSet::new(entries));
        self.router = api::router(self.state.clone());
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(method, path, body, None).await
    }

    async fn call_with_key(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        key: &str,
    ) -> (StatusCode, Value) {
        self.send(method, path, body, Some(key)).await
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        idem: Option<&str>,
    ) -> (StatusCode, Value) {
        self.send_as(&self.key, method, path, body, idem).await
    }

    /// A request through the router with `bearer` (an API key or a station token).
    async fn send_as(
        &self,
        bearer: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        idem: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, bytes) = common::oneshot(&self.router, bearer, method, path, body, idem).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn account(&self, carrier: &str) -> String {
        let (s, v) = self
            .call(
                "POST",
                "/v1/carrier-accounts",
                Some(json!({"carrier": carrier, "name": carrier})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().unwrap().to_string()
    }
}

fn shipment() -> Value {
    json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
           "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true},
           "parcels":[{"weight":{"value":"2.5","unit":"kg"}}]})
}

#[tokio::test]
async fn a_slow_carrier_misses_the_deadline_while_others_answer() {
    let app = spawn_app().await;
    let sandbox = app.account("sandbox").await;
    let slow = app.account("slow").await;
    let bad = app.account("badauth").await;
    let mut body = shipment();
    body["deadline_ms"] = json!(300);
    let started = std::time::Instant::now();
    let (status, v) = app.call("POST", "/v1/rates", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the deadline bounds the answer: {:?}",
        started.elapsed()
    );
    let quotes = v["quotes"].as_array().unwrap();
    assert_eq!(quotes.len(), 3);
    assert!(
        quotes
            .iter()
            .all(|q| q["carrier_account"] == sandbox.as_str())
    );
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{v}");
    let by_account = |id: &str| {
        errors
            .iter()
            .find(|e| e["carrier_account"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_account(&slow)["type"], "deadline");
    assert_eq!(by_account(&slow)["retryable"], true);
    assert_eq!(by_account(&bad)["type"], "auth");
    assert_eq!(by_account(&bad)["retryable"], false);
}

#[tokio::test]
async fn rates_can_be_limited_to_accounts_and_unknown_accounts_are_named() {
    let app = spawn_app().await;
    let sandbox = app.account("sandbox").await;
    app.account("slow").await;
    let mut body = shipment();
    body["carrier_accounts"] = json!([sandbox]);
    let (status, v) = app.call("POST", "/v1/rates", Some(body.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        v["errors"].as_array().unwrap().is_empty(),
        "the slow account was not asked: {v}"
    );
    body["carrier_accounts"] = json!([sandbox, "car_0000"]);
    let (status, v) = app.call("POST", "/v1/rates", Some(body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["pointer"], "/carrier_accounts/1");
}

#[tokio::test]
async fn unknown_carrier_and_missing_fields_are_field_errors() {
    let app = spawn_app().await;
    let (s, v) = app
        .call(
            "POST",
            "/v1/carrier-accounts",
            Some(json!({"carrier":"pigeon","name":"x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["pointer"], "/carrier");
    let (s, v) = app
        .call("POST", "/v1/carrier-accounts", Some(json!({"name":"x"})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["pointer"], "/carrier");
    let mut body = shipment();
    body["parcels"] = json!([]);
    app.account("sandbox").await;
    let (s, v) = app.call("POST", "/v1/rates", Some(body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["pointer"], "/parcels");
}

/// A domestic Chinese rate request: SF's own sample addresses (request-01), Hubei to Xiangyang.
fn china_shipment() -> Value {
    json!({"from":{"name":"张三丰","company":"清雅轩保健品专营店","street":["十堰市丹江口市公园路155号"],
                   "city":"十堰市","district":"武当山风景区","state":"湖北省","country":"CN","phone":"17006805888"},
           "to":{"name":"郭襄阳","street":["湖北省襄阳市襄城区环城东路122号"],"city":"襄阳市","district":"襄城区",
                 "state":"湖北省","country":"CN","phone":"18963828829"},
           "parcels":[{"weight":{"value":"6.6","unit":"kg"}}]})
}

#[tokio::test]
async fn chinese_addresses_rate_and_name_the_province_or_mobile_they_get_wrong() {
    let app = spawn_app().await;
    app.account("sandbox").await;
    let (s, v) = app.call("POST", "/v1/rates", Some(china_shipment())).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let problem = |v: &Value, pointer: &str| {
        v["errors"]
            .as_array()
            .and_then(|e| e.iter().find(|e| e["pointer"] == pointer))
            .unwrap_or_else(|| panic!("no problem at {pointer}: {v}"))["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut body = china_shipment();
    body["to"]["state"] = json!("湖某省");
    let (s, v) = app.call("POST", "/v1/rates", Some(body)).await;
    assert!(
        s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
        "{s} {v}"
    );
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    let detail = problem(&v, "/to/state");
    assert!(
        detail.contains("`湖某省` is not a province of China (GB/T 2260)"),
        "{detail}"
    );

    let mut body = china_shipment();
    body["to"]["phone"] = json!("1896382882");
    let (s, v) = app.call("POST", "/v1/rates", Some(body)).await;
    assert!(
        s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
        "{s} {v}"
    );
    assert!(
        problem(&v, "/to/phone").contains("a mobile in China is 11 digits"),
        "{v}"
    );

    let mut body = china_shipment();
    body["from"]["city"] = json!("长沙市");
    let (_, v) = app.call("POST", "/v1/rates", Some(body)).await;
    assert!(
        problem(&v, "/from/city").contains("`长沙市` is not a city of 湖北省"),
        "{v}"
    );
}

#[tokio::test]
async fn pagination_walks_every_shipment_once() {
    let app = spawn_app().await;
    let account = app.account("sandbox").await;
    let mut bought = vec![];
    for i in 0..5 {
        let mut body = shipment();
        body["carrier_account"] = json!(account);
        body["service"] = json!("economy");
        body["reference"] = json!(format!("ORDER-{i}"));
        let (s, v) = app.call("POST", "/v1/shipments", Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        bought.push(v["id"].as_str().unwrap().to_string());
    }
    let mut seen = vec![];
    let mut path = "/v1/shipments?limit=2".to_string();
    loop {
        let (s, v) = app.call("GET", &path, None).await;
        assert_eq!(s, StatusCode::OK);
        seen.extend(
            v["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_string()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/shipments?limit=2&cursor={c}"),
            None => break,
        }
    }
    bought.reverse();
    assert_eq!(seen, bought, "newest first, each once");
    let (s, _) = app.call("GET", "/v1/shipments?limit=0", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn accounts_added_or_removed_take_part_in_the_next_rate_request() {
    let app = spawn_app().await;
    app.account("sandbox").await;
    let mut body = shipment();
    body["deadline_ms"] = json!(200);
    let (_, v) = app.call("POST", "/v1/rates", Some(body.clone())).await;
    assert!(v["errors"].as_array().unwrap().is_empty());
    let slow = app.account("slow").await;
    let (_, v) = app.call("POST", "/v1/rates", Some(body.clone())).await;
    assert_eq!(
        v["errors"][0]["carrier_account"],
        slow.as_str(),
        "the new account was asked at once: {v}"
    );
    let (s, _) = app
        .call("DELETE", &format!("/v1/carrier-accounts/{slow}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = app.call("POST", "/v1/rates", Some(body)).await;
    assert!(
        v["errors"].as_array().unwrap().is_empty(),
        "the removed account was not asked: {v}"
    );
}

static VOIDS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
static SHIP_CAPS: Capabilities = common::capabilities(
    &[Capability::Ship, Capability::Void],
    0,
    &[shiphub_carriers::model::LabelFormat::Zpl],
);

/// Sells a label but returns a waybill without a total, which the hub cannot record; its void
/// works when `VOID_WORKS`. (Each purchase then calls void exactly once.)
struct Unrecordable<const VOID_WORKS: bool>;
#[async_trait]
impl<const VOID_WORKS: bool> Carrier for Unrecordable<VOID_WORKS> {
    fn code(&self) -> CarrierCode {
        CarrierCode::from_static("unrecordable")
    }
    fn capabilities(&self) -> &'static Capabilities {
        &SHIP_CAPS
    }
    fn limits(&self) -> CarrierLimits {
        common::limits(100, 100, Duration::from_secs(1))
    }
    async fn ship(
        &self,
        _: &shiphub_carriers::model::ShipRequest,
    ) -> Result<shiphub_carriers::model::Waybill, CarrierError> {
        let n: shiphub_carriers::model::TrackingNumber = "UR0000000001".parse().unwrap();
        Ok(shiphub_carriers::model::Waybill {
            tracking_number: n.clone(),
            pieces: vec![n],
            carrier_shipment_id: "UR1".into(),
            label: Some(shiphub_carriers::model::LabelDocument {
                format: shiphub_carriers::model::LabelFormat::Zpl,
                content: b"^XA^XZ".to_vec(),
            }),
            total: None,
            breakdown: vec![],
            warnings: vec![],
        })
    }
    async fn void(&self, _: &shiphub_carriers::model::WaybillRef) -> Result<(), CarrierError> {
        VOIDS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if VOID_WORKS {
            Ok(())
        } else {
            Err(CarrierError::Rejected {
                carrier: self.code(),
                errors: vec![],
            })
        }
    }
}

static VOIDABLE: CarrierEntry = common::entry("voidable", "Voidable", &SHIP_CAPS, |_, _| {
    Ok(Box::new(Unrecordable::<true>))
});
static STUCK: CarrierEntry = common::entry("stuck", "Stuck", &SHIP_CAPS, |_, _| {
    Ok(Box::new(Unrecordable::<false>))
});

#[tokio::test]
async fn a_purchase_the_hub_cannot_record_is_voided_or_blocks_its_key() {
    let mut app = spawn_app().await;
    app.extra_entries(&[&VOIDABLE, &STUCK]).await;
    let buy = |account: &str| {
        let mut body = shipment();
        body["carrier_account"] = json!(account);
        body["service"] = json!("any");
        body["label_format"] = json!("zpl");
        body
    };

    // Voided at the carrier: the key is released, a retry may run.
    let voidable = app.account("voidable").await;
    let before = VOIDS.load(std::sync::atomic::Ordering::SeqCst);
    let (s, v) = app
        .call_with_key("POST", "/v1/shipments", Some(buy(&voidable)), "k-void")
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
    assert_eq!(
        VOIDS.load(std::sync::atomic::Ordering::SeqCst),
        before + 1,
        "the unrecorded label was voided"
    );
    let (s, _) = app
        .call_with_key("POST", "/v1/shipments", Some(buy(&voidable)), "k-void")
        .await;
    assert_eq!(
        s,
        StatusCode::INTERNAL_SERVER_ERROR,
        "the released key let the retry run"
    );

    // Not voidable: the answer is recorded against the key, so a retry replays it and never
    // reaches the carrier again (no second label).
    let stuck = app.account("stuck").await;
    let (s, v) = app
        .call_with_key("POST", "/v1/shipments", Some(buy(&stuck)), "k-stuck")
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        v["type"], "https://shiphub.dev/problems/purchase-unrecorded",
        "{v}"
    );
    let voids = VOIDS.load(std::sync::atomic::Ordering::SeqCst);
    let (s, again) = app
        .call_with_key("POST", "/v1/shipments", Some(buy(&stuck)), "k-stuck")
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(again, v, "the same answer, replayed");
    assert_eq!(
        VOIDS.load(std::sync::atomic::Ordering::SeqCst),
        voids,
        "the carrier was not called again"
    );
}

/// A request with the station token instead of the API key.
async fn as_station(
    app: &App,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.send_as(token, method, path, body, None).await
}

#[tokio::test]
async fn a_long_poll_wakes_when_a_job_is_queued_and_acks_are_final() {
    let app = spawn_app().await;
    let account = app.account("sandbox").await;
    // The station token is shown once; a replay of the creation does not reveal it again.
    let body = json!({"name": "Dock", "format": "zpl"});
    let (s, station) = app
        .call_with_key("POST", "/v1/print-stations", Some(body.clone()), "st-1")
        .await;
    assert_eq!(s, StatusCode::CREATED, "{station}");
    let token = station["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("shps_"));
    let (s, replay) = app
        .call_with_key("POST", "/v1/print-stations", Some(body), "st-1")
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(replay["id"], station["id"]);
    assert_eq!(replay["token"], Value::Null);
    let station_id = station["id"].as_str().unwrap().to_string();

    let mut ship = shipment();
    ship["carrier_account"] = json!(account);
    ship["service"] = json!("standard");
    let (s, shp) = app.call("POST", "/v1/shipments", Some(ship)).await;
    assert_eq!(s, StatusCode::CREATED, "{shp}");

    // An agent waits up to 20 s; the job queued 300 ms later reaches it at once.
    let started = std::time::Instant::now();
    let poll = as_station(
        &app,
        &token,
        "GET",
        "/v1/print-stations/self/jobs?wait=20",
        None,
    );
    let queue = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        app.call(
            "POST",
            "/v1/print-jobs",
            Some(json!({"shipment_id": shp["id"], "station_id": station_id, "copies": 2})),
        )
        .await
    };
    let ((s, polled), (qs, job)) = tokio::join!(poll, queue);
    assert_eq!(qs, StatusCode::CREATED, "{job}");
    assert_eq!(s, StatusCode::OK, "{polled}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "woken, not timed out"
    );
    let got = &polled["jobs"][0];
    assert_eq!(got["id"], job["id"]);
    assert_eq!(got["copies"], 2);
    assert_eq!(got["tracking_number"], shp["tracking_number"]);
    assert_eq!(got["document"]["media_type"], "application/x-zpl");
    use base64::Engine;
    let zpl = base64::engine::general_purpose::STANDARD
        .decode(got["document"]["content"].as_str().unwrap())
        .unwrap();
    let zpl = String::from_utf8(zpl).unwrap();
    assert!(zpl.starts_with("^XA") && zpl.contains(shp["tracking_number"].as_str().unwrap()));
    // Handed out once: an immediate second poll is empty.
    let (_, again) = as_station(&app, &token, "GET", "/v1/print-stations/self/jobs", None).await;
    assert_eq!(again["jobs"], json!([]));

    let ack = format!("/v1/print-jobs/{}/ack", job["id"].as_str().unwrap());
    let (s, bad) = as_station(&app, &token, "POST", &ack, Some(json!({"status": "done"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["errors"][0]["pointer"], "/status");
    let (s, done) = as_station(
        &app,
        &token,
        "POST",
        &ack,
        Some(json!({"status": "printed"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "printed");
    let (s, _) = as_station(
        &app,
        &token,
        "POST",
        &ack,
        Some(json!({"status": "printed"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "a repeated acknowledgement is harmless");
    let (s, _) = as_station(
        &app,
        &token,
        "POST",
        &ack,
        Some(json!({"status": "failed"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Printer state reports are validated and shown on the station.
    let (s, _) = as_station(
        &app,
        &token,
        "POST",
        "/v1/print-stations/self/status",
        Some(json!({"printer": "on fire"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = as_station(
        &app,
        &token,
        "POST",
        "/v1/print-stations/self/status",
        Some(json!({"printer": "paper_out", "detail": "media out"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, st) = app
        .call("GET", &format!("/v1/print-stations/{station_id}"), None)
        .await;
    assert_eq!(st["printer_state"], "paper_out");
    // A rotated token stops working at once.
    let (s, rotated) = app
        .call(
            "POST",
            &format!("/v1/print-stations/{station_id}/token"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(rotated["token"], json!(token));
    let (s, _) = as_station(&app, &token, "GET", "/v1/print-stations/self/jobs", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// A purchase whose hub died after the carrier answered (the answer kept on its key) and before
/// the shipment was written: the retry, once the lease has run out, gets that very shipment,
/// recorded from the kept answer; nothing is bought again.
#[tokio::test]
async fn a_kept_carrier_answer_is_recorded_by_the_retry_after_the_lease() {
    use sha2::Digest;
    use shiphub_carriers::model::{Currency, Money, ShipRequest, Waybill};
    let app = spawn_app().await;
    let account = app.account("sandbox").await;
    let mut body = shipment();
    body["carrier_account"] = json!(account);
    body["service"] = json!("economy");
    body["reference"] = json!("ORDER-KEPT");
    let tenant = app
        .state
        .store
        .tenant_by_name("t")
        .await
        .unwrap()
        .unwrap()
        .id;

    // What the dead hub left: the key claimed under a lease that has run out, `answered`.
    let scope = "POST /v1/shipments";
    let hash = hex::encode(sha2::Sha256::digest(format!(
        "{scope}\n{}",
        api::extract::canonical_hash(&body)
    )));
    let now = time::OffsetDateTime::now_utc();
    let claim = shiphub::store::IdemClaim {
        key: "kept-1",
        scope,
        request_hash: &hash,
        owner: "inst_dead",
        lease_until: now - time::Duration::seconds(1),
    };
    assert_eq!(
        app.state
            .store
            .idem_begin(&tenant, &claim, now)
            .await
            .unwrap(),
        shiphub::store::IdemBegin::Started
    );
    let mut request = shipment();
    request["service"] = json!("economy");
    request["label_format"] = json!("pdf");
    request["reference"] = json!("ORDER-KEPT");
    let request: ShipRequest = serde_json::from_value(request).unwrap();
    let number = "SBXKEPT0001".parse().unwrap();
    let waybill = Waybill {
        tracking_number: "SBXKEPT0001".parse().unwrap(),
        pieces: vec![number],
        carrier_shipment_id: "sbx-kept-1".into(),
        label: None,
        total: Some(Money::new(rust_decimal_macros::dec!(9.75), Currency::USD)),
        breakdown: vec![],
        warnings: vec![],
    };
    let progress = json!({"account": account, "request": request, "wanted": "pdf",
                          "waybill": {"waybill": waybill, "label": null}});
    assert!(
        app.state
            .store
            .idem_progress(
                &tenant,
                "kept-1",
                "inst_dead",
                "answered",
                &progress.to_string()
            )
            .await
            .unwrap()
    );

    let (s, v) = app
        .call_with_key("POST", "/v1/shipments", Some(body), "kept-1")
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["tracking_number"], "SBXKEPT0001", "the kept sale: {v}");
    assert_eq!(v["reference"], "ORDER-KEPT");
    assert_eq!(v["total"]["amount"], "9.75", "{v}");
    let (_, list) = app.call("GET", "/v1/shipments", None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["data"][0]["id"], v["id"]);
}

/// A 413 names the limit of the route that refused: the batch route takes 32 MiB where the
/// others take 1 MiB, so a 2 MiB batch is read (and judged on its items) while a 2 MiB rate
/// request is refused naming 1 MiB.
#[tokio::test]
async fn a_too_large_body_is_refused_naming_the_limit_of_its_route() {
    let app = spawn_app().await;
    let big = |bytes: usize| json!({"items": [{"x": "a".repeat(bytes)}]});
    let (s, v) = app.call("POST", "/v1/rates", Some(big(2 << 20))).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["detail"], "the body limit is 1048576 bytes", "{v}");

    let (s, v) = app.call("POST", "/v1/batches", Some(big(2 << 20))).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "read, then judged: {v}"
    );

    let limit = shiphub::api::batches::BATCH_BODY_LIMIT;
    let (s, v) = app.call("POST", "/v1/batches", Some(big(limit + 1))).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(
        v["detail"],
        format!("the body limit is {limit} bytes"),
        "the batch route's own limit: {v}"
    );
    assert_eq!(shiphub::api::body_limit("POST", Some("/v1/batches")), limit);
    assert_eq!(
        shiphub::api::body_limit("GET", Some("/v1/batches")),
        shiphub::api::BODY_LIMIT
    );
}

/// Lithium batteries say their material and packing; the older bare packing string is
/// refused on the field rather than read as one material, and the sandbox prices the
/// declared ones.
#[tokio::test]
async fn lithium_batteries_are_declared_by_material_and_packing() {
    let app = spawn_app().await;
    app.account("sandbox").await;
    let mut body = shipment();
    body["options"] = json!({"lithium_batteries": "contained_in_equipment"});
    let (s, v) = app.call("POST", "/v1/rates", Some(body.clone())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["pointer"] == "/options/lithium_batteries"),
        "{v}"
    );
    body["options"] = json!({"lithium_batteries": {"material": "lead", "packing": "alone"}});
    let (s, v) = app.call("POST", "/v1/rates", Some(body.clone())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        v["errors"][0]["pointer"], "/options/lithium_batteries/material",
        "{v}"
    );

    body["options"] =
        json!({"lithium_batteries": {"material": "metal", "packing": "contained_in_equipment"}});
    let (s, v) = app.call("POST", "/v1/rates", Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let quotes = v["quotes"].as_array().unwrap_or_else(|| panic!("{v}"));
    assert!(!quotes.is_empty(), "{v}");
    for q in quotes {
        assert!(
            q["breakdown"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == "LI"),
            "{q}"
        );
    }
}
