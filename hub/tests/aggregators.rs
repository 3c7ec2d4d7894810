//! The hub's side of aggregators and billing APIs (issue 17), through the router with test
//! carriers: (1) a number no carrier's format knows is followed with the tenant's aggregator
//! account, in the network it names, polled in that network, subscribed to push once (a failed
//! subscription asked again at the next poll), and polled less often once subscribed, while a
//! carrier that pushes without per-parcel subscriptions (as UPS) is asked once and polled as
//! before; (2) a carrier's billed freight is audited as an invoice file is: one waybill billed
//! at the quote, one above it, reported as a match and an overcharge, in CNY.

mod common;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shiphub::api;
use shiphub::cli::build_state;
use shiphub::crypto::MasterKey;
use shiphub::state::{AppState, CarrierSet};
use shiphub::store::Store;
use shiphub::tracking::PollPolicy;
use shiphub::tracking::scheduler::Scheduler;
use shiphub_carriers::model::{
    BilledCharge, BilledWaybill, Charge, ChargeKind, Currency, LabelDocument, LabelFormat, Money,
    NetworkGuess, PushedEvent, ShipRequest, TrackQuery, TrackingEvent, TrackingNumber,
    TrackingResult, TrackingStatus, Waybill,
};
use shiphub_carriers::registry::{PushAck, PushIntake};
use shiphub_carriers::{
    Capabilities, Capability, Carrier, CarrierCode, CarrierEntry, CarrierError, CarrierLimits,
};
use tower::ServiceExt;

// --- an aggregator: names networks, tracks in them, subscribes parcels to push ------------

static AGG_CAPS: Capabilities = common::capabilities(
    &[
        Capability::Track,
        Capability::Identify,
        Capability::PushTracking,
    ],
    10,
    &[],
);

/// (number, network) of every parcel polled.
static POLLED: Mutex<Vec<(String, Option<String>)>> = Mutex::new(Vec::new());
/// Subscriptions asked for, by "number/network".
static SUBSCRIBES: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// While set, subscriptions of numbers that say FAIL fail (the call layer's retries too).
static SUBSCRIBE_DOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
/// Unsupported subscriptions asked of the carrier that pushes everything unasked.
static PUSH_ALL_ASKED: AtomicU32 = AtomicU32::new(0);

fn in_transit(n: &TrackingNumber) -> TrackingResult {
    let at = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    TrackingResult {
        tracking_number: n.clone(),
        status: TrackingStatus::InTransit,
        carrier_code: "在途".into(),
        events: vec![TrackingEvent {
            occurred_at: at,
            status: TrackingStatus::InTransit,
            carrier_code: "0".into(),
            sub_status: None,
            description: "快件已到达【杭州转运中心】".into(),
            location: None,
        }],
        estimated_delivery: None,
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}

struct Aggregator;
#[async_trait]
impl Carrier for Aggregator {
    fn code(&self) -> CarrierCode {
        CarrierCode::from_static("aggtest")
    }
    fn capabilities(&self) -> &'static Capabilities {
        &AGG_CAPS
    }
    fn limits(&self) -> CarrierLimits {
        common::limits(1000, 100, Duration::from_secs(5))
    }
    async fn track_parcels(
        &self,
        parcels: &[TrackQuery],
    ) -> Result<Vec<TrackingResult>, CarrierError> {
        POLLED.lock().unwrap().extend(
            parcels
                .iter()
                .map(|p| (p.number.as_str().to_string(), p.network.clone())),
        );
        Ok(parcels.iter().map(|p| in_transit(&p.number)).collect())
    }
    async fn subscribe(&self, parcel: &TrackQuery) -> Result<(), CarrierError> {
        let key = format!(
            "{}/{}",
            parcel.number.as_str(),
            parcel.network.as_deref().unwrap_or("-")
        );
        let mut asked = SUBSCRIBES.lock().unwrap();
        asked.push(key.clone());
        // A parcel whose number says FAIL is refused while the subscription service is down.
        if parcel.number.as_str().contains("FAIL") && SUBSCRIBE_DOWN.load(Ordering::SeqCst) {
            return Err(CarrierError::Transient {
                carrier: self.code(),
                message: "poll: 500".into(),
                maybe_processed: false,
            });
        }
        Ok(())
    }
    async fn identify(&self, number: &TrackingNumber) -> Result<Vec<NetworkGuess>, CarrierError> {
        let n = number.as_str();
        let guess = |code: &str| NetworkGuess {
            code: code.into(),
            name: None,
        };
        if n.starts_with("ERR") {
            return Err(CarrierError::RateLimited {
                carrier: self.code(),
                retry_after: Some(Duration::from_secs(3600)),
            });
        }
        Ok(if n.starts_with("77") {
            vec![guess("zhongtong"), guess("yunda")]
        } else if n.starts_with("YT") {
            vec![guess("yuantong")]
        } else {
            vec![]
        })
    }
}

/// The aggregator's push: the secret in a header, a JSON list of `PushedEvent`s (a push says
/// the number, not the network), acknowledged in the aggregator's own words.
static AGG: CarrierEntry = CarrierEntry {
    push: Some(PushIntake {
        verify: |headers, _, secret| {
            headers
                .get("x-push-secret")
                .is_some_and(|v| v.as_bytes() == secret.as_bytes())
        },
        parse: |body| {
            serde_json::from_slice::<Vec<PushedEvent>>(body).map_err(|e| {
                CarrierError::rejected(
                    CarrierCode::from_static("aggtest"),
                    "/",
                    None,
                    e.to_string(),
                )
            })
        },
        ack: Some(PushAck {
            content_type: "application/json",
            body: r#"{"result":true,"returnCode":"200","message":"成功"}"#,
        }),
        secret_to_carrier: false,
    }),
    code: CarrierCode::from_static("aggtest"),
    name: "Aggregator",
    capabilities: &AGG_CAPS,
    needs_base_url: false,
    hosts: &[],
    url_settings: &[],
    build: |_, _| Ok(Box::new(Aggregator)),
    numbers: &[],
};

/// Pushes every parcel of an account unasked (UPS Track Alert): declares `PushTracking`, and
/// answers a per-parcel subscription `Unsupported`.
struct PushAll;
#[async_trait]
impl Carrier for PushAll {
    fn code(&self) -> CarrierCode {
        CarrierCode::from_static("pushall")
    }
    fn capabilities(&self) -> &'static Capabilities {
        &PUSH_ALL_CAPS
    }
    fn limits(&self) -> CarrierLimits {
        common::limits(1000, 100, Duration::from_secs(5))
    }
    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        Ok(numbers.iter().map(in_transit).collect())
    }
    async fn subscribe(&self, _: &TrackQuery) -> Result<(), CarrierError> {
        PUSH_ALL_ASKED.fetch_add(1, Ordering::SeqCst);
        Err(CarrierError::unsupported(
            self.code(),
            Capability::PushTracking,
        ))
    }
}

static PUSH_ALL_CAPS: Capabilities =
    common::capabilities(&[Capability::Track, Capability::PushTracking], 10, &[]);
static PUSH_ALL: CarrierEntry = common::entry("pushall", "Push all", &PUSH_ALL_CAPS, |_, _| {
    Ok(Box::new(PushAll))
});

// --- a carrier that sells labels at 23.00 CNY and reports what it billed -------------------

static BILL_CAPS: Capabilities = common::capabilities(
    &[Capability::Ship, Capability::BilledFreight],
    0,
    &[LabelFormat::Zpl],
);
static SOLD: AtomicU32 = AtomicU32::new(0);
/// The numbers of each billed-freight call.
static BILL_CALLS: Mutex<Vec<Vec<String>>> = Mutex::new(Vec::new());

fn cny(amount: Decimal) -> Money {
    Money::new(amount, "CNY".parse::<Currency>().unwrap())
}

struct Billing;
#[async_trait]
impl Carrier for Billing {
    fn code(&self) -> CarrierCode {
        CarrierCode::from_static("billtest")
    }
    fn capabilities(&self) -> &'static Capabilities {
        &BILL_CAPS
    }
    fn limits(&self) -> CarrierLimits {
        common::limits(100, 10, Duration::from_secs(5))
    }
    async fn ship(&self, _: &ShipRequest) -> Result<Waybill, CarrierError> {
        let n = SOLD.fetch_add(1, Ordering::SeqCst) + 1;
        let number: TrackingNumber = format!("BT{n:010}").parse().unwrap();
        Ok(Waybill {
            tracking_number: number.clone(),
            pieces: vec![number.clone()],
            carrier_shipment_id: number.as_str().to_string(),
            label: Some(LabelDocument {
                format: LabelFormat::Zpl,
                content: b"^XA^XZ".to_vec(),
            }),
            total: Some(cny(Decimal::new(2300, 2))),
            breakdown: vec![Charge {
                kind: ChargeKind::Base,
                code: None,
                description: "运费".into(),
                amount: cny(Decimal::new(2300, 2)),
            }],
            warnings: vec![],
        })
    }
    async fn billed_freight(
        &self,
        numbers: &[TrackingNumber],
    ) -> Result<Vec<BilledWaybill>, CarrierError> {
        // A waybill named `BTFAIL…` stands for an account SF no longer lets in.
        if numbers.iter().any(|n| n.as_str().starts_with("BTFAIL")) {
            return Err(CarrierError::Auth {
                carrier: self.code(),
                code: Some("A1006".into()),
            });
        }
        BILL_CALLS
            .lock()
            .unwrap()
            .push(numbers.iter().map(|n| n.as_str().to_string()).collect());
        // The first waybill is billed as quoted, the second 7.00 above it, anything else not
        // yet.
        Ok(numbers
            .iter()
            .filter_map(|n| {
                let freight = match n.as_str() {
                    "BT0000000001" => Decimal::new(2300, 2),
                    "BT0000000002" => Decimal::new(3000, 2),
                    _ => return None,
                };
                Some(BilledWaybill {
                    tracking_number: n.clone(),
                    reference: None,
                    service: Some("STD".into()),
                    billed_weight: None,
                    ship_date: None,
                    charges: vec![BilledCharge {
                        code: Some("1".into()),
                        description: "运费".into(),
                        amount: cny(freight),
                    }],
                })
            })
            .collect())
    }
}

static BILL: CarrierEntry = common::entry("billtest", "Billing", &BILL_CAPS, |_, _| {
    Ok(Box::new(Billing))
});

// --- set-up --------------------------------------------------------------------------------

struct App {
    router: axum::Router,
    state: AppState,
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
    let now = time::OffsetDateTime::now_utc();
    let tenant = store.create_tenant("t", now).await.unwrap();
    let (key, hash, prefix) = shiphub::crypto::new_api_key();
    store
        .insert_api_key(&tenant.id, &hash, &prefix, now)
        .await
        .unwrap();
    let mut state = build_state(
        store,
        MasterKey::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap(),
    );
    // Only the test carriers: no built-in number format claims the test numbers.
    state.carriers = std::sync::Arc::new(CarrierSet::new(vec![&AGG, &PUSH_ALL, &BILL]));
    App {
        router: api::router(state.clone()),
        state,
        key,
        _dir: dir,
    }
}

impl App {
    /// The reconciliation once it is neither pulling nor running.
    async fn reconciliation_settled(&self, id: &str) -> Value {
        for _ in 0..400 {
            let (_, v) = self
                .call("GET", &format!("/v1/reconciliations/{id}"), None)
                .await;
            if v["status"] != "pulling" && v["status"] != "running" {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("reconciliation {id} never settled");
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(method, path, body, None).await
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        idem: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, bytes) = self.raw(method, path, body, idem).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        idem: Option<&str>,
    ) -> (StatusCode, Vec<u8>) {
        common::oneshot(&self.router, &self.key, method, path, body, idem).await
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

    async fn follow(&self, body: Value) -> (StatusCode, Value) {
        self.call("POST", "/v1/trackers", Some(body)).await
    }

    async fn tracker(&self, id: &str) -> Value {
        let (s, v) = self.call("GET", &format!("/v1/trackers/{id}"), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }
}

fn pointer(v: &Value) -> &str {
    v["errors"][0]["pointer"].as_str().unwrap_or("")
}

fn at(v: &Value, field: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        v[field].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

#[tokio::test]
async fn an_unknown_number_is_followed_in_the_network_an_aggregator_names_polled_there_and_subscribed_once()
 {
    let app = spawn_app().await;
    // No aggregator account yet: today's 422, which says what would help.
    let (s, v) = app.follow(json!({"tracking_number": "773300000001"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(pointer(&v), "/tracking_number");
    assert!(
        v["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("kuaidi100"),
        "{v}"
    );

    let (s, v) = app
        .call(
            "POST",
            "/v1/carrier-accounts",
            Some(json!({"carrier": "aggtest", "name": "kuaidi",
                "credentials": {"push_secret": "0123456789abcdef0123"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let agg = v["id"].as_str().unwrap().to_string();
    let (s, zto) = app.follow(json!({"tracking_number": "773300000001"})).await;
    assert_eq!(s, StatusCode::CREATED, "{zto}");
    assert_eq!(zto["carrier"], "aggtest");
    assert_eq!(zto["network"], "zhongtong", "the first guess: {zto}");
    assert_eq!(zto["carrier_account"], agg.as_str());
    assert_eq!(zto["subscribed_at"], Value::Null);
    // The same number again is the same parcel; in another network, another one.
    let (s, again) = app.follow(json!({"tracking_number": "773300000001"})).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["id"], zto["id"]);
    let (s, yunda) = app
        .follow(
            json!({"tracking_number": "773300000001", "carrier": "aggtest", "network": "yunda"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{yunda}");
    assert_ne!(yunda["id"], zto["id"]);
    assert_eq!(yunda["network"], "yunda");
    // The aggregator named without a network: its account names the network.
    let (s, named) = app
        .follow(json!({"tracking_number": "YT0000000009", "carrier": "aggtest"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{named}");
    assert_eq!(named["network"], "yuantong", "{named}");
    let (s, flaky) = app.follow(json!({"tracking_number": "YTFAIL000001"})).await;
    assert_eq!(s, StatusCode::CREATED, "{flaky}");
    assert_eq!(flaky["network"], "yuantong");
    // No guess: the undetectable number's 422. A failing aggregator: its carrier error.
    let (s, v) = app.follow(json!({"tracking_number": "NOPE00000001"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(pointer(&v), "/tracking_number");
    let (s, v) = app.follow(json!({"tracking_number": "ERR000000001"})).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["retryable"], true, "{v}");
    // A network is a short lower-case code.
    let (s, v) = app
        .follow(json!({"tracking_number": "773300000001", "network": "Zhong Tong"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(pointer(&v), "/network");

    // Two parcels of a carrier that pushes every parcel unasked (as UPS).
    app.account("pushall").await;
    let (s, p1) = app
        .follow(json!({"tracking_number": "PA0000000001", "carrier": "pushall"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p1}");
    let (s, p2) = app
        .follow(json!({"tracking_number": "PA0000000002", "carrier": "pushall"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p2}");

    // Intervals of a fraction of a second, so a second round sees them due again.
    let policy = PollPolicy::default().scaled(36_000);
    let scheduler = Scheduler::new(app.state.clone(), policy, "agg-test".into());
    scheduler.round().await.unwrap();
    {
        let polled = POLLED.lock().unwrap();
        for (n, net) in [
            ("773300000001", "zhongtong"),
            ("773300000001", "yunda"),
            ("YTFAIL000001", "yuantong"),
        ] {
            assert!(
                polled.contains(&(n.into(), Some(net.into()))),
                "{n} polled in {net}: {polled:?}"
            );
        }
    }
    let zto = app.tracker(zto["id"].as_str().unwrap()).await;
    assert!(zto["subscribed_at"].is_string(), "{zto}");
    // Subscribed: the next look is four times the in-transit wait (0.4 s at this speed).
    let wait = at(&zto, "next_check_at") - at(&zto, "last_checked_at");
    assert!(
        wait >= time::Duration::milliseconds(1_500),
        "a subscribed parcel waits longer: {wait}"
    );
    let flaky_now = app.tracker(flaky["id"].as_str().unwrap()).await;
    assert_eq!(
        flaky_now["subscribed_at"],
        Value::Null,
        "the subscription failed"
    );
    let p1_now = app.tracker(p1["id"].as_str().unwrap()).await;
    assert_eq!(p1_now["subscribed_at"], Value::Null);
    let p1_wait = at(&p1_now, "next_check_at") - at(&p1_now, "last_checked_at");
    assert!(
        p1_wait < time::Duration::milliseconds(1_000),
        "a carrier without per-parcel subscriptions is polled as before: {p1_wait}"
    );

    // The next round: the failed subscription is asked again and succeeds; the subscribed
    // parcels are not asked again; the push-everything carrier was asked once, ever.
    SUBSCRIBE_DOWN.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(600)).await;
    scheduler.round().await.unwrap();
    let flaky_now = app.tracker(flaky["id"].as_str().unwrap()).await;
    assert!(flaky_now["subscribed_at"].is_string(), "{flaky_now}");
    let asked: HashMap<String, usize> =
        SUBSCRIBES
            .lock()
            .unwrap()
            .iter()
            .fold(HashMap::new(), |mut m, k| {
                *m.entry(k.clone()).or_default() += 1;
                m
            });
    assert_eq!(asked["773300000001/zhongtong"], 1, "{asked:?}");
    assert_eq!(asked["773300000001/yunda"], 1, "{asked:?}");
    assert!(asked["YTFAIL000001/yuantong"] >= 2, "{asked:?}");
    assert_eq!(PUSH_ALL_ASKED.load(Ordering::SeqCst), 1);
    let p2_now = app.tracker(p2["id"].as_str().unwrap()).await;
    assert_eq!(p2_now["subscribed_at"], Value::Null);

    // A push names the number only: it is recorded on the number's trackers in every network,
    // and answered in the aggregator's own words.
    // Signed for now, in China Standard Time.
    let signed_at = time::OffsetDateTime::now_utc()
        .to_offset(shiphub_carriers::model::CHINA_STANDARD_TIME)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let push = json!([{"tracking_number": "773300000001", "event": {
        "occurred_at": signed_at, "status": "delivered", "carrier_code": "3",
        "description": "已签收"}}]);
    let req = Request::builder()
        .method("POST")
        .uri(format!("/v1/carrier-events/aggtest/{agg}"))
        .header("x-push-secret", "0123456789abcdef0123")
        .header("content-type", "application/json")
        .body(Body::from(push.to_string()))
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let ack = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&ack).contains("\"returnCode\":\"200\""));
    for id in [&zto["id"], &yunda["id"]] {
        let t = app.tracker(id.as_str().unwrap()).await;
        assert_eq!(t["status"], "delivered", "{t}");
    }
}

fn address(city: &str) -> Value {
    json!({"name": "Shipper", "street": ["100 Main St"], "city": city, "state": "GA",
           "postal_code": "30301", "country": "US"})
}

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap(),
        other => other.to_string().parse().unwrap(),
    }
}

#[tokio::test]
async fn billed_freight_is_audited_like_an_invoice_file_one_match_one_overcharge_in_cny() {
    let app = spawn_app().await;
    let bill = app.account("billtest").await;
    for reference in ["ORDER-1", "ORDER-2"] {
        let (s, v) = app
            .send(
                "POST",
                "/v1/shipments",
                Some(
                    json!({"from": address("Atlanta"), "to": address("Savannah"),
                    "parcels": [{"weight": {"value": "1", "unit": "kg"}}],
                    "carrier_account": bill, "service": "STD", "label_format": "zpl",
                    "reference": reference}),
                ),
                Some(&format!("buy-{reference}")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let body = json!({"carrier_account": bill, "from": today, "to": today});

    // A carrier that reports no billed freight is refused by name.
    let agg = app.account("aggtest").await;
    let (s, v) = app
        .call(
            "POST",
            "/v1/invoices/pull",
            Some(json!({"carrier_account": agg, "from": today, "to": today})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(pointer(&v), "/carrier_account");
    // A period without shipments.
    let (s, v) = app
        .call(
            "POST",
            "/v1/invoices/pull",
            Some(json!({"carrier_account": bill, "from": "2020-01-01", "to": "2020-01-31"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(pointer(&v), "/from");

    let (s, started) = app
        .send(
            "POST",
            "/v1/invoices/pull",
            Some(body.clone()),
            Some("pull-1"),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    assert_eq!(started["carrier"], "billtest");
    // Answered at once, before the carrier is asked: pulling, nothing asked yet.
    assert_eq!(started["status"], "pulling", "{started}");
    assert_eq!(
        started["pull"],
        json!({"asked": 0, "total": 2}),
        "{started}"
    );
    let id = started["id"].as_str().unwrap();
    let rec = app.reconciliation_settled(id).await;
    // One waybill per call, each through the call layer, all asked.
    assert_eq!(
        *BILL_CALLS.lock().unwrap(),
        vec![
            vec!["BT0000000001".to_string()],
            vec!["BT0000000002".to_string()]
        ]
    );
    assert_eq!(rec["pull"], json!({"asked": 2, "total": 2}), "{rec}");
    // The key replays the answer without asking the carrier again.
    let (s, replay) = app
        .send(
            "POST",
            "/v1/invoices/pull",
            Some(body.clone()),
            Some("pull-1"),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{replay}");
    assert_eq!(replay["id"], started["id"]);
    assert_eq!(BILL_CALLS.lock().unwrap().len(), 2);

    assert_eq!(rec["status"], "completed", "{rec}");
    assert_eq!(rec["packages"], 2);
    let report = &rec["summary"]["report"];
    assert_eq!(report["currency"], "CNY", "{report}");
    assert_eq!(dec(&report["total"]["packages"]), Decimal::from(2));
    assert_eq!(dec(&report["total"]["billed"]), Decimal::new(5300, 2));
    assert_eq!(dec(&report["total"]["expected"]), Decimal::new(4600, 2));
    assert_eq!(dec(&report["total"]["recoverable"]), Decimal::new(700, 2));
    assert_eq!(
        dec(&report["by_reason"]["base_rate_off_contract"]),
        Decimal::new(700, 2),
        "{report}"
    );
    assert_eq!(
        report["by_reason"].as_object().unwrap().len(),
        1,
        "{report}"
    );

    // The per-line report: the waybill billed as quoted is clean, the other overcharged.
    let (s, csv) = app
        .raw(
            "GET",
            &format!("/v1/reconciliations/{id}/report.csv"),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    let line = |n: &str| {
        csv.lines()
            .find(|l| l.contains(n))
            .unwrap_or_else(|| panic!("{n} in {csv}"))
            .to_string()
    };
    assert!(
        !line("BT0000000001").contains("base_rate_off_contract"),
        "{csv}"
    );
    assert!(
        line("BT0000000002").contains("base_rate_off_contract"),
        "{csv}"
    );
    assert!(line("BT0000000002").contains("CNY"), "{csv}");

    // The same bills again, under another key: asked again, then failed as a conflict
    // naming the earlier import, nothing of it kept.
    let (s, again) = app
        .send("POST", "/v1/invoices/pull", Some(body), Some("pull-2"))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{again}");
    let again = app
        .reconciliation_settled(again["id"].as_str().unwrap())
        .await;
    assert_eq!(again["status"], "failed", "{again}");
    assert_eq!(again["problem"]["status"], 409, "{again}");
    assert!(
        again["problem"]["detail"].as_str().unwrap().contains(id),
        "{again}"
    );
    assert!(again["failure"].as_str().unwrap().contains(id), "{again}");
    assert_eq!(again["packages"], 0, "{again}");
    assert_eq!(BILL_CALLS.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_carrier_failure_mid_pull_fails_it_with_the_errors_retry_class_and_keeps_nothing() {
    let app = spawn_app().await;
    let bill = app.account("billtest").await;
    let (s, started) = app
        .call(
            "POST",
            "/v1/invoices/pull",
            Some(json!({"carrier_account": bill, "tracking_numbers": ["BTFAIL00001"]})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    assert_eq!(started["status"], "pulling", "{started}");
    let rec = app
        .reconciliation_settled(started["id"].as_str().unwrap())
        .await;
    assert_eq!(rec["status"], "failed", "{rec}");
    // The problem the request would have answered had it waited: the carrier's refusal of
    // the credentials, not worth retrying as is.
    let p = &rec["problem"];
    assert_eq!(
        p["type"], "https://shiphub.dev/problems/carrier-auth",
        "{rec}"
    );
    assert_eq!(p["retryable"], false, "{rec}");
    assert_eq!(p["carrier"], "billtest", "{rec}");
    assert!(rec["failure"].as_str().is_some(), "{rec}");
    assert_eq!(rec["pull"], json!({"asked": 0, "total": 1}), "{rec}");
    assert!(rec["files"].is_null(), "{rec}");
    // Its reports do not exist.
    let (s, _) = app
        .raw(
            "GET",
            &format!(
                "/v1/reconciliations/{}/report.csv",
                rec["id"].as_str().unwrap()
            ),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
}
