//! USPS v3 simulator: OAuth (`/oauth2/v3/token`), Payments (`/payments/v3/payment-authorization`),
//! Shipping Options (`/shipments/v3/options/search`), Labels and International Labels (buy and
//! cancel) and Tracking (`/tracking/v3/tracking/{number}`) on loopback, in the shapes of
//! `../shared/carriers/usps/openapi` and the adapter's fixtures. Point a USPS account's
//! `base_url` at `http://<addr>`.
//!
//! - Tokens are really issued and checked: every API call needs a bearer token issued here
//!   (else 401 with `WWW-Authenticate`), label and cancel calls also an
//!   `X-Payment-Authorization-Token` issued here for a `PAYER` and a `LABEL_OWNER`.
//! - Options search prices every mail class of `ALL_OUTBOUND` (domestic) or `ALL`
//!   (international) from the request's pounds, inches and zone (`rust_decimal`, whole cents);
//!   a label costs exactly what the search quoted for its class.
//! - Labels answer only as `application/vnd.usps.labels+json` (406 otherwise): a PDF, ZPL or
//!   PNG `labelImage`; domestic labels get 22-digit IMpb numbers (`94`, service type code, the
//!   payment token's MID, serial, MOD 10 check digit), international ones S10 numbers (MOD 11).
//! - Cancel answers `CANCELED` until the label is manifested (its Shipping Services File,
//!   [`MANIFEST_SECS`] after purchase), `DISPUTED` with a `disputeId` after; a second cancel,
//!   or a number never issued, is a 400 as in the spec's examples.
//! - Tracking walks a label through GX, 03, 10, T1, A1, OF, 01, one scan every two seconds;
//!   a cancelled label stays at GX; an unknown number answers 404. Events come only with
//!   `expand=DETAIL`, newest first.
//!
//! - Extra services (`extraServices`) are priced per class by the search and the label: codes
//!   a class does not carry are left out of the search's answer and refused by the label
//!   (`packageDescription.extraServices`); insurance (930/931) needs `packageValue`, signature
//!   codes need `physicalSignatureRequired`.
//! - Return labels (`/labels/v3/return-label`) in the three return services, priced as their
//!   outbound class, answered with `returnLabelImage`.
//! - Addresses (`/addresses/v3/address`) standardize to upper case with USPS street suffixes,
//!   a ZIP+4 and `DPVConfirmation` `Y`; a street number `0` is the spec's 404 `Address Not
//!   Found`; a street with `TOWER` and no unit is `D` with correction 32; a firm makes it a
//!   business.
//! - Carrier Pickup books (date today..+1 year, Monday–Saturday, one per address and day),
//!   answers an `ETag` on POST and GET, and cancels only with `If-Match` of the current ETag.
//! - SCAN forms take the tracking numbers of labels issued here (same entry ZIP and mailing
//!   date, not cancelled, not on another form), manifest them (a later cancel is `DISPUTED`)
//!   and answer a PS Form 5630 PDF: base64 in `SCANFormImage` with
//!   `Accept: application/vnd.usps.labels+json`, else multipart like the published samples.
//!
//! Faults ([`Sim::take_fault`], by path; cancels and tracking by `<path>/<number>`):
//! `Unauthorized` → 401 (an expired token), `RateLimited` → 429 (+ Retry-After),
//! `ServerError` → 500, `Slow`, `Malformed`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use base64::Engine;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime, UtcOffset};

use super::{FaultWords, Sim};

const STEP_SECS: i64 = 2;
/// Seconds after purchase at which a label is manifested (a compressed end-of-day close-out).
pub const MANIFEST_SECS: i64 = 60;
const LABELS_JSON: &str = "application/vnd.usps.labels+json";
/// A 1×1 PNG, the label image when PNG is asked for.
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";

/// (eventCode, eventType, statusCategory, at the destination) of the scripted scans; codes and
/// words from `samples/domestic/tracking_responses.json`.
const SCRIPT: [(&str, &str, &str, bool); 7] = [
    (
        "GX",
        "Shipping Label Created, USPS Awaiting Item",
        "Pre-Shipment",
        false,
    ),
    ("03", "USPS in possession of item", "Accepted", false),
    (
        "10",
        "Arrived at USPS Regional Origin Facility",
        "In Transit",
        false,
    ),
    ("T1", "Departed USPS Regional Facility", "In Transit", false),
    (
        "A1",
        "Arrived at USPS Regional Facility",
        "In Transit",
        true,
    ),
    ("OF", "Out for Delivery", "Out for Delivery", true),
    ("01", "Delivered, Parcel Locker", "Delivered", true),
];

/// Domestic label mail classes (`domestic-labels.yaml`); the first five are priced here.
const DOMESTIC_CLASSES: [&str; 10] = [
    "USPS_GROUND_ADVANTAGE",
    "PRIORITY_MAIL",
    "PRIORITY_MAIL_EXPRESS",
    "PARCEL_SELECT",
    "MEDIA_MAIL",
    "USPS_CONNECT_LOCAL",
    "USPS_CONNECT_REGIONAL",
    "USPS_CONNECT_MAIL",
    "LIBRARY_MAIL",
    "BOUND_PRINTED_MATTER",
];
/// The return services (`BaseReturnsPackageDescription.mailClass`) and the outbound class
/// each is priced as.
const RETURN_CLASSES: [(&str, &str); 3] = [
    (
        "USPS_GROUND_ADVANTAGE_RETURN_SERVICE",
        "USPS_GROUND_ADVANTAGE",
    ),
    ("PRIORITY_MAIL_RETURN_SERVICE", "PRIORITY_MAIL"),
    (
        "PRIORITY_MAIL_EXPRESS_RETURN_SERVICE",
        "PRIORITY_MAIL_EXPRESS",
    ),
];
const INTERNATIONAL_CLASSES: [&str; 3] = [
    "PRIORITY_MAIL_EXPRESS_INTERNATIONAL",
    "PRIORITY_MAIL_INTERNATIONAL",
    "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE",
];

/// Where a label goes from and to, for its scans.
#[derive(Clone, Debug)]
struct Place {
    city: String,
    state: Option<String>,
    zip: Option<String>,
    country: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Cancel {
    Open,
    Canceled,
    Disputed,
}

#[derive(Clone, Debug)]
struct Label {
    at: OffsetDateTime,
    mail_class: String,
    international: bool,
    from: Place,
    to: Place,
    cancel: Cancel,
    mailing: Date,
    /// The SCAN form (its manifest number) the label is on: manifested.
    scan_form: Option<String>,
}

#[derive(Clone, Debug)]
struct Pickup {
    etag: String,
    answer: Value,
    key: (String, String),
    cancelled: bool,
}

#[derive(Default)]
struct UspsState {
    pickups: Mutex<HashMap<String, Pickup>>,
    tokens: Mutex<HashSet<String>>,
    /// Payment authorization token → the label owner's MID.
    payments: Mutex<HashMap<String, String>>,
    labels: Mutex<HashMap<String, Label>>,
    next: AtomicU64,
}

#[derive(Clone)]
struct App {
    sim: Sim,
    usps: Arc<UspsState>,
    /// Time-seeded first serial, so numbers stay unique across simulator restarts.
    first: u64,
    manifest_after: time::Duration,
}

pub fn router(sim: Sim) -> Router {
    with_manifest_delay(sim, time::Duration::seconds(MANIFEST_SECS))
}

fn with_manifest_delay(sim: Sim, manifest_after: time::Duration) -> Router {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let app = App {
        sim: sim.clone(),
        usps: Arc::default(),
        first: (secs % 100_000) * 10_000,
        manifest_after,
    };
    Router::new()
        .route("/oauth2/v3/token", post(token))
        .route("/payments/v3/payment-authorization", post(payment))
        .route("/shipments/v3/options/search", post(options))
        .route("/labels/v3/label", post(domestic_label))
        .route("/labels/v3/return-label", post(return_label))
        .route("/addresses/v3/address", get(address))
        .route("/pickup/v3/carrier-pickup", post(schedule_pickup))
        .route(
            "/pickup/v3/carrier-pickup/{confirmation}",
            get(get_pickup).delete(cancel_pickup),
        )
        .route("/scan-forms/v3/scan-form", post(scan_form))
        .route("/labels/v3/label/{number}", delete(cancel_domestic))
        .route(
            "/international-labels/v3/international-label",
            post(international_label),
        )
        .route(
            "/international-labels/v3/international-label/{number}",
            delete(cancel_international),
        )
        .route("/tracking/v3/tracking/{number}", get(track))
        .with_state(app)
        .merge(super::control(sim))
}

// ---------------------------------------------------------------------------------------------
// Errors and faults

/// USPS's `ErrorMessage`; a 401 also carries `WWW-Authenticate` as the specs declare.
fn usps_error(api: &str, status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (
        status,
        axum::Json(json!({"apiVersion": api, "error": {"code": code, "message": message}})),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"https://api.usps.com\""),
        );
    }
    r
}

/// A 400 naming the offending parameter, as in the spec's error examples.
fn bad_request(api: &str, code: &str, detail: &str, parameter: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(
            json!({"apiVersion": api, "error": {"code": "400", "message": "Bad Request",
            "errors": [{"status": "400", "code": code, "title": "Bad Request", "detail": detail,
                        "source": {"parameter": parameter}}]}}),
        ),
    )
        .into_response()
}

const FAULT_WORDS: FaultWords = FaultWords {
    unauthorized: ("401", "Unauthorized"),
    rate_limited: ("429", "Too Many Requests"),
    server_error: ("500", "Internal Server Error"),
    truncated_body: r#"{"pricingOptions": [{"shippingOptions": [{"mailClass": "PRIORITY_MAIL""#,
};

async fn fault(app: &App, api: &str, path: &str) -> Option<Response> {
    app.sim
        .fault(path, &FAULT_WORDS, |s, c, m| usps_error(api, s, c, m))
        .await
}

/// `None` when the request carries a bearer token this simulator issued.
fn unauthorized(app: &App, api: &str, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token {
        Some(t) if app.usps.tokens.lock().unwrap().contains(t) => None,
        _ => Some(usps_error(
            api,
            StatusCode::UNAUTHORIZED,
            "401",
            "Unauthorized",
        )),
    }
}

/// A fault queued for `path`, else the 401 of a request without a token this simulator issued.
async fn guard(app: &App, api: &str, path: &str, headers: &HeaderMap) -> Option<Response> {
    fault(app, api, path)
        .await
        .or_else(|| unauthorized(app, api, headers))
}

/// `guard`, then the request's JSON (a 400 when it is none).
async fn guarded_json(
    app: &App,
    api: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Box<Response>> {
    if let Some(r) = guard(app, api, path, headers).await {
        return Err(Box::new(r));
    }
    parse_json(api, body)
}

/// The label owner's MID for the request's payment authorization token, or the refusal.
fn payer(app: &App, api: &str, headers: &HeaderMap) -> Result<String, Box<Response>> {
    headers
        .get("X-Payment-Authorization-Token")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| app.usps.payments.lock().unwrap().get(t).cloned())
        .ok_or_else(|| {
            Box::new(usps_error(
                api,
                StatusCode::UNAUTHORIZED,
                "401",
                "Missing or invalid X-Payment-Authorization-Token",
            ))
        })
}

fn parse_json(api: &str, body: &[u8]) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body).map_err(|_| {
        Box::new(bad_request(
            api,
            "400",
            "The request body is not valid JSON",
            "body",
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// OAuth and payments

async fn token(State(app): State<App>, body: Bytes) -> Response {
    const API: &str = "/oauth2/v3";
    if let Some(r) = fault(&app, API, "/oauth2/v3/token").await {
        return r;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let given = |k: &str| body[k].as_str().is_some_and(|s| !s.is_empty());
    if !given("client_id") || !given("client_secret") {
        return usps_error(API, StatusCode::UNAUTHORIZED, "401", "invalid_client");
    }
    if body["grant_type"] != "client_credentials" {
        return usps_error(
            API,
            StatusCode::BAD_REQUEST,
            "400",
            "unsupported_grant_type",
        );
    }
    let n = app.usps.next.fetch_add(1, Ordering::Relaxed);
    let token = format!("sim-usps-token-{}-{n}", app.first);
    app.usps.tokens.lock().unwrap().insert(token.clone());
    axum::Json(json!({
        "access_token": token, "token_type": "Bearer", "issued_at": "1741950000000",
        "expires_in": "28799", "status": "approved",
        "scope": "addresses service-delivery-standards locations prices tracking labels payments international-labels shipments",
        "issuer": "https://keyc.usps.com/realms/USPS", "client_id": body["client_id"],
        "application_name": "shiphub-simulator"
    }))
    .into_response()
}

fn digits(v: &Value, lens: &[usize]) -> Option<String> {
    v.as_str()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()) && lens.contains(&s.len()))
        .map(str::to_string)
}

async fn payment(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    const API: &str = "/payments/v3";
    let body = match guarded_json(
        &app,
        API,
        "/payments/v3/payment-authorization",
        &headers,
        &body,
    )
    .await
    {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let roles = body["roles"].as_array().cloned().unwrap_or_default();
    let role = |name: &str| roles.iter().find(|r| r["roleName"] == name);
    let Some(payer) = role("PAYER") else {
        return bad_request(API, "100001", "The PAYER role is required", "roles");
    };
    let crid = (2..=18).collect::<Vec<_>>();
    let funded = match payer["accountType"].as_str() {
        Some("EPS") => payer["accountNumber"]
            .as_str()
            .is_some_and(|a| !a.is_empty()),
        Some("PERMIT") => {
            payer["permitNumber"]
                .as_str()
                .is_some_and(|a| !a.is_empty())
                && digits(&payer["permitZIP"], &[5]).is_some()
        }
        _ => false,
    };
    if digits(&payer["CRID"], &crid).is_none() || !funded {
        return bad_request(
            API,
            "100002",
            "The PAYER needs a CRID and an EPS account number or a permit number and ZIP",
            "roles",
        );
    }
    let Some(owner) = role("LABEL_OWNER") else {
        return bad_request(API, "100003", "The LABEL_OWNER role is required", "roles");
    };
    let (Some(_), Some(mid), Some(_)) = (
        digits(&owner["CRID"], &crid),
        digits(&owner["MID"], &[6, 9]),
        digits(&owner["manifestMID"], &[6, 9]),
    ) else {
        return bad_request(
            API,
            "100004",
            "The LABEL_OWNER needs a CRID, a MID and a manifestMID",
            "roles",
        );
    };
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let n = app.usps.next.fetch_add(1, Ordering::Relaxed);
    let token = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&json!({"mid": mid, "n": n, "seed": app.first}).to_string()),
        b64("simulator")
    );
    app.usps.payments.lock().unwrap().insert(token.clone(), mid);
    axum::Json(json!({"paymentAuthorizationToken": token, "roles": roles})).into_response()
}

// ---------------------------------------------------------------------------------------------
// Prices

/// A JSON number for `d` (USPS's schemas say `number`); whole values as integers.
fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// A JSON number's exact decimal, read from its text, never through a float.
fn decimal(v: &Value) -> Option<Decimal> {
    v.as_number()?.to_string().parse().ok()
}

/// The package as priced: pounds and inches (longest side first).
#[derive(Clone, Copy, Debug)]
struct Package {
    lb: Decimal,
    inches: [Decimal; 3],
}

impl Package {
    fn read(p: &Value) -> Result<Self, &'static str> {
        let lb = decimal(&p["weight"])
            .filter(|w| *w > Decimal::ZERO && *w <= dec!(70))
            .ok_or("weight")?;
        let mut inches = [Decimal::ZERO; 3];
        for (slot, key) in inches.iter_mut().zip(["length", "width", "height"]) {
            *slot = decimal(&p[key]).filter(|d| *d > Decimal::ZERO).ok_or(key)?;
        }
        inches.sort_by(|a, b| b.cmp(a));
        Ok(Package { lb, inches })
    }

    /// Whole pounds, at least one.
    fn weight(&self) -> Decimal {
        self.lb.ceil().max(Decimal::ONE)
    }

    /// USPS's dimensional weight: volume / 166, rounded up, above one cubic foot only.
    fn dim_weight(&self) -> Decimal {
        let [l, w, h] = self.inches;
        let volume = l * w * h;
        if volume > dec!(1728) {
            (volume / dec!(166)).ceil()
        } else {
            Decimal::ZERO
        }
    }

    fn billable(&self) -> Decimal {
        self.weight().max(self.dim_weight())
    }

    /// Nonstandard fees: length over 22 in (over 30 in costs more), volume over 2 cu ft.
    fn fees(&self) -> Vec<(&'static str, &'static str, Decimal)> {
        let [l, w, h] = self.inches;
        let mut fees = Vec::new();
        if l > dec!(30) {
            fees.push((
                "Nonstandard Length fee > 30 in",
                "DUXRXXXXXX30XX0",
                dec!(15),
            ));
        } else if l > dec!(22) {
            fees.push(("Nonstandard Length fee > 22 in", "DUXRXXXXXX22XX0", dec!(4)));
        }
        if l * w * h > dec!(3456) {
            fees.push(("Nonstandard Volume > 2 cu ft", "DUXRXXXXXXV2XX0", dec!(15)));
        }
        fees
    }

    fn processing_category(&self) -> &'static str {
        let [l, w, h] = self.inches;
        let fits = l <= dec!(22) && w <= dec!(18) && h <= dec!(15);
        let big_enough = l >= dec!(6) && w >= dec!(3) && h >= dec!(0.25);
        if self.lb <= dec!(25) && fits && big_enough {
            "MACHINABLE"
        } else {
            "NONSTANDARD"
        }
    }
}

/// Zone 1–9 from the distance between the two ZIP3 prefixes.
fn zone(origin: &str, destination: &str) -> u32 {
    let zip3 = |z: &str| z.get(..3).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let diff = (zip3(origin) - zip3(destination)).unsigned_abs();
    1 + (diff * 8 / 999) as u32
}

/// Price group 1–5 for a destination country.
fn price_group(country: &str) -> u32 {
    match country {
        "CA" => 1,
        "MX" => 2,
        _ => 5,
    }
}

/// The single-piece price of `class` for `billable` pounds in `zone` (domestic) or price group
/// (international), and the days it takes; `None` when the class does not carry the package.
fn price(class: &str, billable: Decimal, zone: u32) -> Option<(Decimal, u32)> {
    let (start, per_lb, per_zone, days) = match class {
        "USPS_GROUND_ADVANTAGE" => (dec!(5.00), dec!(0.75), dec!(0.40), 2 + zone / 3),
        "PRIORITY_MAIL" => (dec!(7.50), dec!(1.10), dec!(0.60), 1 + zone / 4),
        "PRIORITY_MAIL_EXPRESS" => (dec!(26.00), dec!(2.40), dec!(1.50), 1 + zone / 5),
        "PARCEL_SELECT" => (dec!(6.50), dec!(0.70), dec!(0.35), 3 + zone / 3),
        "MEDIA_MAIL" => (dec!(4.13), dec!(0.75), Decimal::ZERO, 2 + zone / 2),
        "PRIORITY_MAIL_EXPRESS_INTERNATIONAL" => (dec!(45.00), dec!(4.50), dec!(3.00), 3),
        "PRIORITY_MAIL_INTERNATIONAL" => (dec!(32.00), dec!(3.20), dec!(2.00), 6),
        "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE" if billable <= dec!(4) => {
            (dec!(14.50), dec!(3.00), dec!(1.50), 10)
        }
        _ => return None,
    };
    let p = start + per_lb * (billable - Decimal::ONE) + per_zone * Decimal::from(zone - 1);
    Some((p.round_dp(2), days))
}

fn iso_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `YYYY-MM-DD`, today or later (USPS: "cannot be in the past or more than 45 days in the
/// future").
fn mailing_date(v: &Value) -> Option<Date> {
    let d = Date::parse(
        v.as_str()?,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    let today = OffsetDateTime::now_utc().date();
    (d >= today && d <= today + time::Duration::days(45)).then_some(d)
}

/// One `RateOption` in the options-search shape.
struct Priced<'a> {
    class: &'a str,
    indicator: &'a str,
    description: String,
    price: Decimal,
    fees: Vec<(&'static str, &'static str, Decimal)>,
    package: Package,
    zone: u32,
    days: u32,
    mailing: Date,
    price_type: &'a str,
    international: bool,
    /// The asked extra services this class carries, priced; `None` when none were asked.
    extras: Option<Vec<(&'static str, &'static str, Decimal)>>,
}

impl Priced<'_> {
    fn to_json(&self) -> Value {
        let fees: Vec<Value> = self
            .fees
            .iter()
            .map(|(name, sku, p)| json!({"name": name, "SKU": sku, "price": num(*p)}))
            .collect();
        let total = self.price + self.fees.iter().map(|f| f.2).sum::<Decimal>();
        let commitment = if self.international {
            json!({"name": format!("{}-{} Business Days", self.days, self.days + 4), "guaranteedDelivery": false})
        } else {
            json!({"name": format!("{} Days", self.days),
                   "expectedDeliveryDate": iso_date(self.mailing + time::Duration::days(self.days.into())),
                   "guaranteedDelivery": self.class == "PRIORITY_MAIL_EXPRESS"})
        };
        let extra_services = match (&self.extras, self.international) {
            (Some(x), _) => Value::Array(
                x.iter()
                    .map(|(name, code, p)| {
                        json!({"name": name, "price": num(*p), "extraService": code,
                        "priceType": self.price_type, "SKU": format!("DXSIM{code}XXXCX0000")})
                    })
                    .collect(),
            ),
            (None, true) => json!([]),
            (None, false) => json!([{"name": "USPS Tracking", "price": 0, "extraService": "920",
                    "priceType": self.price_type, "SKU": "DXTX0EXXXCX0000"}]),
        };
        let mut out = json!({
            "commitment": commitment,
            "totalBasePrice": num(total),
            "rates": [{
                "description": self.description, "startDate": "2025-01-19", "endDate": "",
                "price": num(self.price), "zone": format!("{:02}", self.zone),
                "weight": num(self.package.weight()), "dimWeight": num(self.package.dim_weight()),
                "fees": fees, "priceType": self.price_type, "mailClass": self.class,
                "productName": "", "productDefinition": "",
                "processingCategory": self.package.processing_category(),
                "rateIndicator": self.indicator, "destinationEntryFacilityType": "NONE",
                "SKU": format!("DSIM{}{:02}", &self.indicator, self.zone)
            }],
            "extraServices": extra_services
        });
        // `totalPrice` "is only returned when extraServices are passed in the request".
        if let Some(x) = &self.extras {
            out["totalPrice"] = num(total + x.iter().map(|e| e.2).sum::<Decimal>());
        }
        out
    }
}

/// Every code of the specs' `ExtraService` / `InternationalExtraService` enums.
const EXTRA_SERVICE_CODES: [u64; 69] = [
    365, 370, 415, 452, 480, 481, 482, 483, 484, 485, 486, 487, 488, 489, 498, 500, 501, 502, 810,
    811, 812, 813, 814, 815, 816, 817, 818, 819, 820, 821, 822, 823, 824, 825, 826, 827, 828, 829,
    830, 831, 832, 853, 856, 857, 858, 910, 911, 912, 913, 915, 917, 920, 921, 922, 923, 924, 925,
    930, 931, 934, 940, 941, 955, 957, 972, 981, 984, 986, 991,
];

/// The extra services the simulator sells: (name, code answered, price) for `code` on
/// `class`, `None` when the class does not carry it. Names from the specs' code lists;
/// insurance 930 becomes 931 above $500, as the specs say.
fn extra_service(
    code: u64,
    class: &str,
    value: Option<Decimal>,
) -> Option<(&'static str, &'static str, Decimal)> {
    let express = class.starts_with("PRIORITY_MAIL_EXPRESS");
    let international = INTERNATIONAL_CLASSES.contains(&class);
    let ground = matches!(
        class,
        "USPS_GROUND_ADVANTAGE" | "PARCEL_SELECT" | "USPS_GROUND_ADVANTAGE_RETURN_SERVICE"
    );
    match code {
        920 if !international => Some(("USPS Tracking", "920", Decimal::ZERO)),
        921 if !international && !express => Some(("Signature Confirmation", "921", dec!(3.85))),
        922 if !international => Some(("Adult Signature Required 21 or Over", "922", dec!(9.50))),
        981 if express => Some(("Signature Requested", "981", Decimal::ZERO)),
        930 | 931 => {
            let v = value?;
            // 2.45 for the first $100, 1.25 per further $100 or part of it.
            let steps = ((v - dec!(100)) / dec!(100)).ceil().max(Decimal::ZERO);
            let price = dec!(2.45) + dec!(1.25) * steps;
            Some(if v > dec!(500) {
                ("Insurance > $500", "931", price)
            } else {
                ("Insurance <= $500", "930", price)
            })
        }
        816 if ground => Some((
            "HAZMAT Class 9 - Lithium Battery Marked - Ground Only Package",
            "816",
            Decimal::ZERO,
        )),
        818 if !international => Some((
            "HAZMAT Class 9 - Lithium batteries, marked package",
            "818",
            Decimal::ZERO,
        )),
        819 if !international => Some(("HAZMAT Class 9 - Dry Ice Package", "819", Decimal::ZERO)),
        820 => Some((
            "HAZMAT Class 9 - Lithium batteries, unmarked package",
            "820",
            Decimal::ZERO,
        )),
        _ => None,
    }
}

/// The asked `extraServices` codes and `packageValue`, or the parameter at fault.
fn asked_extras(p: &Value, value_key: &str) -> Result<(Vec<u64>, Option<Decimal>), &'static str> {
    let codes = match &p["extraServices"] {
        Value::Null => Vec::new(),
        Value::Array(a) if a.len() <= 5 => a
            .iter()
            .map(|c| c.as_u64().filter(|c| EXTRA_SERVICE_CODES.contains(c)))
            .collect::<Option<Vec<u64>>>()
            .ok_or("packageDescription.extraServices")?,
        _ => return Err("packageDescription.extraServices"),
    };
    let value = match value_key {
        "packageValue" => &p["packageValue"],
        _ => &p["packageOptions"]["packageValue"],
    };
    let value = match value {
        Value::Null => None,
        v => Some(
            decimal(v)
                .filter(|d| *d >= Decimal::ZERO)
                .ok_or("packageDescription.packageValue")?,
        ),
    };
    Ok((codes, value))
}

fn title(class: &str) -> String {
    class
        .split(['_', '-'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_string() + &c.as_str().to_ascii_lowercase())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace("Usps", "USPS")
}

async fn options(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    const API: &str = "/shipments/v3";
    let body = match guarded_json(&app, API, "/shipments/v3/options/search", &headers, &body).await
    {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let price_type = body["pricingOptions"][0]["priceType"].as_str();
    let price_type = match price_type {
        Some(t @ ("RETAIL" | "COMMERCIAL")) => t,
        Some("CONTRACT") if body["pricingOptions"][0]["paymentAccount"].is_object() => "CONTRACT",
        _ => {
            return bad_request(
                API,
                "030020",
                "priceType must be RETAIL, COMMERCIAL or CONTRACT (with a paymentAccount)",
                "pricingOptions",
            );
        }
    };
    let Some(origin) = digits(&body["originZIPCode"], &[5]) else {
        return bad_request(API, "030002", "must be a 5-digit ZIP Code", "originZIPCode");
    };
    let p = &body["packageDescription"];
    let package = match Package::read(p) {
        Ok(pk) => pk,
        Err(k) => {
            return bad_request(
                API,
                "030003",
                "must be a number above zero (weight at most 70 lb)",
                &format!("packageDescription.{k}"),
            );
        }
    };
    let (extras, package_value) = match asked_extras(p, "packageValue") {
        Ok(x) => x,
        Err(prm) => {
            return bad_request(
                API,
                "030007",
                "is not a list of USPS extra service codes",
                prm,
            );
        }
    };
    let Some(mailing) = mailing_date(&p["mailingDate"]) else {
        return bad_request(
            API,
            "030004",
            "cannot be in the past or more than 45 days in the future",
            "packageDescription.mailingDate",
        );
    };
    let (international, zone, classes): (bool, u32, &[&str]) = match (
        &body["destinationZIPCode"],
        body["destinationCountryCode"].as_str(),
    ) {
        (Value::Null, Some(c)) if c.len() == 2 && p["mailClass"] == "ALL" => {
            (true, price_group(c), &INTERNATIONAL_CLASSES)
        }
        (z, None) if p["mailClass"] == "ALL_OUTBOUND" => match digits(z, &[5]) {
            Some(dest) => (false, zone(&origin, &dest), &DOMESTIC_CLASSES),
            None => {
                return bad_request(
                    API,
                    "030005",
                    "must be a 5-digit ZIP Code",
                    "destinationZIPCode",
                );
            }
        },
        _ => {
            return bad_request(
                API,
                "030006",
                "a destinationZIPCode with mailClass ALL_OUTBOUND, or a destinationCountryCode with ALL",
                "packageDescription.mailClass",
            );
        }
    };
    let billable = package.billable();
    let mut shipping = Vec::new();
    for class in classes {
        let Some((amount, days)) = price(class, billable, zone) else {
            continue;
        };
        let single = Priced {
            class,
            // USPS files Priority Mail Express single-piece under `PA` (its price examples).
            indicator: if *class == "PRIORITY_MAIL_EXPRESS" {
                "PA"
            } else {
                "SP"
            },
            description: format!("{} Single-piece", title(class)),
            price: amount,
            fees: if international {
                Vec::new()
            } else {
                package.fees()
            },
            package,
            zone,
            days,
            mailing,
            price_type,
            international,
            extras: (!extras.is_empty()).then(|| {
                extras
                    .iter()
                    .filter_map(|c| extra_service(*c, class, package_value))
                    .collect()
            }),
        };
        let mut rate_options = Vec::new();
        // Priority Mail's flat rate box is priced whatever the package, as USPS does; the
        // adapter must pick the single-piece option it will buy with.
        if *class == "PRIORITY_MAIL" {
            rate_options.push(
                Priced {
                    indicator: "FS",
                    description: "Priority Mail Small Flat Rate Box".into(),
                    price: dec!(10.40),
                    fees: Vec::new(),
                    extras: single.extras.clone(),
                    ..single
                }
                .to_json(),
            );
        }
        rate_options.push(single.to_json());
        shipping.push(json!({"mailClass": class, "rateOptions": rate_options}));
    }
    axum::Json(json!({
        "originZIPCode": origin,
        "destinationZIPCode": body["destinationZIPCode"],
        "pricingOptions": [{"priceType": price_type, "shippingOptions": shipping}]
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Labels

/// IMpb MOD 10 check digit (USPS Pub 199): weights 3, 1, 3, … from the rightmost digit.
fn impb_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10
}

/// UPU S10 MOD 11 check digit over the 8 serial digits.
fn s10_check_digit(serial: &str) -> u32 {
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = serial
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        c => c,
    }
}

/// Service type codes per class (Pub 199 Appendix H is not in the shared folder: `001` is the
/// Priority Mail of the domestic sample, the others are the simulator's own).
fn service_type_code(class: &str) -> &'static str {
    match class {
        "PRIORITY_MAIL" => "001",
        "PRIORITY_MAIL_EXPRESS" => "701",
        "USPS_GROUND_ADVANTAGE" => "748",
        "PARCEL_SELECT" => "612",
        _ => "346",
    }
}

/// `94` + service type code + MID + serial (22 digits in all, the last the check digit).
fn impb(class: &str, mid: &str, serial: u64) -> String {
    let width = 21 - 2 - 3 - mid.len();
    let serial = serial % 10u64.pow(width as u32);
    let body = format!("94{}{mid}{serial:0width$}", service_type_code(class));
    let check = impb_check_digit(&body);
    format!("{body}{check}")
}

/// S10: service indicator by class, 8 serial digits, check digit, `US`.
fn s10(class: &str, serial: u64) -> String {
    let prefix = match class {
        "PRIORITY_MAIL_EXPRESS_INTERNATIONAL" => "EZ",
        "PRIORITY_MAIL_INTERNATIONAL" => "CZ",
        _ => "LZ",
    };
    let serial = format!("{:08}", serial % 100_000_000);
    format!("{prefix}{serial}{}US", s10_check_digit(&serial))
}

/// A one-page 4×6 PDF naming the tracking number, with a correct cross-reference table.
fn pdf(class: &str, number: &str) -> Vec<u8> {
    let stream = format!(
        "BT /F1 18 Tf 24 380 Td ({}) Tj 0 -40 Td (USPS TRACKING # {number}) Tj ET",
        title(class)
    );
    super::one_page_pdf(432, "Helvetica", &stream)
}

/// A 4×6 label at 203 dpi with the number as a Code 128 barcode.
fn zpl(class: &str, number: &str) -> Vec<u8> {
    format!(
        "^XA^PW812^LL1218^FO40,40^A0N,50,50^FD{}^FS^FO40,300^BCN,200,Y,N,N^FD{number}^FS^FO40,600^A0N,30,30^FDUSPS TRACKING #^FS^XZ\n",
        title(class)
    )
    .into_bytes()
}

/// The `imageType`s the simulator draws (of the spec's PDF, TIFF, JPG, SVG, ZPL…, NONE).
const IMAGE_TYPES: [&str; 5] = ["PDF", "PNG", "ZPL203DPI", "ZPL300DPI", "NONE"];

/// The base64 `labelImage` for one of [`IMAGE_TYPES`]; none for `NONE`.
fn image(image_type: &str, class: &str, number: &str) -> Option<String> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    match image_type {
        "PDF" => Some(b64(&pdf(class, number))),
        "ZPL203DPI" | "ZPL300DPI" => Some(b64(&zpl(class, number))),
        "PNG" => Some(PNG_1X1.to_string()),
        _ => None,
    }
}

/// A domestic address's place, or the parameter at fault.
fn domestic_place(a: &Value, side: &str) -> Result<Place, String> {
    let named = a["firstName"].is_string() && a["lastName"].is_string() || a["firm"].is_string();
    let bad = |k: &str| format!("{side}.{k}");
    if !named {
        return Err(bad("firstName"));
    }
    if a["streetAddress"].as_str().is_none_or(str::is_empty) {
        return Err(bad("streetAddress"));
    }
    let city = a["city"]
        .as_str()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad("city"))?;
    let state = a["state"]
        .as_str()
        .filter(|s| s.len() == 2)
        .ok_or_else(|| bad("state"))?;
    let zip = digits(&a["ZIPCode"], &[5]).ok_or_else(|| bad("ZIPCode"))?;
    if !a["ZIPPlus4"].is_null() && digits(&a["ZIPPlus4"], &[4]).is_none() {
        return Err(bad("ZIPPlus4"));
    }
    Ok(Place {
        city: city.to_ascii_uppercase(),
        state: Some(state.to_string()),
        zip: Some(zip),
        country: "US".into(),
    })
}

fn international_place(a: &Value) -> Result<Place, String> {
    let named = a["firstName"].is_string() && a["lastName"].is_string() || a["firm"].is_string();
    if !named {
        return Err("toAddress.firstName".into());
    }
    if a["streetAddress"].as_str().is_none_or(str::is_empty) {
        return Err("toAddress.streetAddress".into());
    }
    let city = a["city"]
        .as_str()
        .filter(|c| !c.is_empty())
        .ok_or("toAddress.city")?;
    let country = a["countryISOAlpha2Code"]
        .as_str()
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) && *c != "US")
        .ok_or("toAddress.countryISOAlpha2Code")?;
    Ok(Place {
        city: city.to_ascii_uppercase(),
        state: a["province"].as_str().map(str::to_string),
        zip: a["postalCode"].as_str().map(str::to_string),
        country: country.to_string(),
    })
}

/// What both label endpoints check and price; the error response otherwise.
struct LabelAsk {
    class: String,
    /// The class the label is priced as (the outbound class of a return service).
    price_class: String,
    extras: Vec<(&'static str, &'static str, Decimal)>,
    image_type: String,
    package: Package,
    mailing: Date,
    from: Place,
    to: Place,
}

fn read_label(
    api: &str,
    body: &Value,
    international: bool,
    returns: bool,
) -> Result<LabelAsk, Box<Response>> {
    let bad = |code: &str, detail: &str, parameter: &str| {
        Box::new(bad_request(api, code, detail, parameter))
    };
    let image_type = body["imageInfo"]["imageType"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if !IMAGE_TYPES.contains(&image_type.as_str()) {
        return Err(bad(
            "160002",
            "must be PDF, PNG, ZPL203DPI, ZPL300DPI or NONE",
            "imageInfo.imageType",
        ));
    }
    let p = &body["packageDescription"];
    let classes: &[&str] = if international {
        &INTERNATIONAL_CLASSES
    } else {
        &DOMESTIC_CLASSES
    };
    let class = p["mailClass"].as_str().unwrap_or_default().to_string();
    let price_class = if returns {
        RETURN_CLASSES
            .iter()
            .find(|(r, _)| *r == class)
            .map(|(_, o)| o.to_string())
    } else {
        classes.contains(&class.as_str()).then(|| class.clone())
    };
    let Some(price_class) = price_class else {
        return Err(bad(
            "160003",
            "is not a mail class of this API",
            "packageDescription.mailClass",
        ));
    };
    if p["rateIndicator"] != "SP"
        && !(price_class == "PRIORITY_MAIL_EXPRESS" && p["rateIndicator"] == "PA")
    {
        return Err(bad(
            "160004",
            "the simulator sells single-piece (SP, or PA for Priority Mail Express) labels only",
            "packageDescription.rateIndicator",
        ));
    }
    if p["weightUOM"] != "lb" || p["dimensionsUOM"] != "in" {
        return Err(bad(
            "160005",
            "weights in lb and dimensions in in",
            "packageDescription.weightUOM",
        ));
    }
    let package = Package::read(p).map_err(|k| {
        bad(
            "160006",
            "must be a number above zero (weight at most 70 lb)",
            &format!("packageDescription.{k}"),
        )
    })?;
    if !["MACHINABLE", "NONSTANDARD", "IRREGULAR", "FLATS", "LETTERS"]
        .contains(&p["processingCategory"].as_str().unwrap_or_default())
    {
        return Err(bad(
            "160007",
            "is required",
            "packageDescription.processingCategory",
        ));
    }
    // A return label has no mailing date: it is dated by its first scan.
    let mailing = if returns {
        OffsetDateTime::now_utc().date()
    } else {
        mailing_date(&p["mailingDate"]).ok_or_else(|| {
            bad(
                "160001",
                "cannot be in the past or more than 45 days in the future",
                "packageDescription.mailingDate",
            )
        })?
    };
    let (codes, value) = asked_extras(p, "packageOptions")
        .map_err(|prm| bad("160012", "is not a list of USPS extra service codes", prm))?;
    let mut extras = Vec::new();
    for code in &codes {
        if matches!(code, 930 | 931) && value.is_none() {
            return Err(bad(
                "160013",
                "is required with extra service 930",
                "packageDescription.packageOptions.packageValue",
            ));
        }
        let Some(x) = extra_service(*code, &class, value) else {
            return Err(bad(
                "160014",
                &format!("extra service {code} is not available for {class}"),
                "packageDescription.extraServices",
            ));
        };
        extras.push(x);
    }
    let signed = codes.iter().any(|c| matches!(c, 921 | 922 | 981))
        || (codes.contains(&930) && value.is_some_and(|v| v > dec!(500)));
    if signed && !p["physicalSignatureRequired"].is_boolean() {
        return Err(bad(
            "160015",
            "is required with signature extra services",
            "packageDescription.physicalSignatureRequired",
        ));
    }
    let from = domestic_place(&body["fromAddress"], "fromAddress")
        .map_err(|prm| bad("160008", "is missing or invalid", &prm))?;
    let to = if international {
        international_place(&body["toAddress"])
    } else {
        domestic_place(&body["toAddress"], "toAddress")
    }
    .map_err(|prm| bad("160008", "is missing or invalid", &prm))?;
    if international {
        let form = &body["customsForm"];
        let contents = form["contents"].as_array().cloned().unwrap_or_default();
        if !form["AESITN"].is_string() || !form["customsContentType"].is_string() {
            return Err(bad(
                "160009",
                "AESITN and customsContentType are required",
                "customsForm",
            ));
        }
        let complete = |c: &Value| {
            c["itemDescription"].is_string()
                && c["itemQuantity"].as_u64().is_some_and(|q| q > 0)
                && decimal(&c["itemTotalValue"]).is_some()
                && decimal(&c["itemTotalWeight"]).is_some()
                && c["countryofOrigin"].is_string()
        };
        if contents.is_empty() || !contents.iter().all(complete) {
            return Err(bad(
                "160010",
                "every item needs a description, quantity, value, weight and origin",
                "customsForm.contents",
            ));
        }
    }
    Ok(LabelAsk {
        class,
        price_class,
        extras,
        image_type,
        package,
        mailing,
        from,
        to,
    })
}

async fn domestic_label(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    label(app, headers, body, false).await
}

async fn international_label(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    label(app, headers, body, true).await
}

async fn return_label(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    label_of(app, headers, body, false, true).await
}

async fn label(app: App, headers: HeaderMap, body: Bytes, international: bool) -> Response {
    label_of(app, headers, body, international, false).await
}

async fn label_of(
    app: App,
    headers: HeaderMap,
    body: Bytes,
    international: bool,
    returns: bool,
) -> Response {
    let (api, path) = if international {
        (
            "/international-labels/v3",
            "/international-labels/v3/international-label",
        )
    } else if returns {
        ("/labels/v3", "/labels/v3/return-label")
    } else {
        ("/labels/v3", "/labels/v3/label")
    };
    if let Some(r) = guard(&app, api, path, &headers).await {
        return r;
    }
    let mid = match payer(&app, api, &headers) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if accept != Some(LABELS_JSON) {
        return usps_error(
            api,
            StatusCode::NOT_ACCEPTABLE,
            "406",
            "The simulator answers labels as application/vnd.usps.labels+json only",
        );
    }
    let body = match parse_json(api, &body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let ask = match read_label(api, &body, international, returns) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let zone = match (&ask.from.zip, &ask.to.zip) {
        (Some(o), Some(d)) if !international => zone(o, d),
        _ => price_group(&ask.to.country),
    };
    let Some((postage, days)) = price(&ask.price_class, ask.package.billable(), zone) else {
        return bad_request(
            api,
            "160011",
            "this mail class does not carry a package of this weight",
            "packageDescription.weight",
        );
    };
    let serial = app.first + app.usps.next.fetch_add(1, Ordering::Relaxed);
    let number = if international {
        s10(&ask.class, serial)
    } else {
        impb(&ask.price_class, &mid, serial)
    };
    let label_image = image(&ask.image_type, &ask.class, &number);
    let extra_services: Vec<Value> = ask
        .extras
        .iter()
        .map(|(name, code, p)| json!({"name": name, "price": num(*p), "SKU": format!("DXSIM{code}XXXCX0000")}))
        .collect();
    let response = if international {
        json!({
            "labelAddress": body["toAddress"], "internationalTrackingNumber": number,
            "constructCode": "I01", "SKU": "IPXX0XXXXB01020", "postage": num(postage),
            "extraServices": extra_services, "internationalPriceGroup": format!("{zone:02}"),
            "weightUOM": "lb", "weight": num(ask.package.weight()),
            "dimensionalWeight": num(ask.package.dim_weight()),
            "mailingDate": iso_date(ask.mailing), "fees": [], "labelImage": label_image
        })
    } else {
        let fees: Vec<Value> = ask
            .package
            .fees()
            .into_iter()
            .map(|(name, sku, p)| json!({"name": name, "SKU": sku, "price": num(p)}))
            .collect();
        let routing = format!("420{}", ask.to.zip.clone().unwrap_or_default());
        let extra_services = if ask.extras.is_empty() {
            json!([{"name": "USPS Tracking", "SKU": "DXTX0EXXXCX0000", "price": 0}])
        } else {
            Value::Array(extra_services)
        };
        let mut response = json!({
            "labelAddress": body["toAddress"], "routingInformation": routing,
            "trackingNumber": number, "constructCode": "C01",
            "SKU": format!("DSIMSP{zone:02}"), "postage": num(postage),
            "extraServices": extra_services,
            "zone": format!("{zone:02}"),
            "commitment": {"name": format!("{days} Days"),
                           "expectedDeliveryDate": iso_date(ask.mailing + time::Duration::days(days.into()))},
            "weightUOM": "lb", "weight": num(ask.package.weight()),
            "dimensionalWeight": num(ask.package.dim_weight()), "fees": fees,
            "bannerText": "USPS TRACKING # USPS Ship", "retailDistributionCode": "01",
            "serviceTypeCode": service_type_code(&ask.price_class), "labelImage": label_image
        });
        if returns {
            // `ReturnLabelMetadata`: no commitment; the image is `returnLabelImage`.
            let o = response.as_object_mut().expect("an object");
            o.remove("commitment");
            o.remove("constructCode");
            let image = o.remove("labelImage").unwrap_or(Value::Null);
            o.insert("returnLabelImage".into(), image);
        }
        response
    };
    app.usps.labels.lock().unwrap().insert(
        number,
        Label {
            at: OffsetDateTime::now_utc(),
            mail_class: ask.class,
            international,
            from: ask.from,
            to: ask.to,
            cancel: Cancel::Open,
            mailing: ask.mailing,
            scan_form: None,
        },
    );
    let mut r = axum::Json(response).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(LABELS_JSON),
    );
    r
}

// ---------------------------------------------------------------------------------------------
// Cancel

async fn cancel_domestic(
    State(app): State<App>,
    Path(number): Path<String>,
    headers: HeaderMap,
) -> Response {
    cancel(app, number, headers, false).await
}

async fn cancel_international(
    State(app): State<App>,
    Path(number): Path<String>,
    headers: HeaderMap,
) -> Response {
    cancel(app, number, headers, true).await
}

async fn cancel(app: App, number: String, headers: HeaderMap, international: bool) -> Response {
    let (api, path) = if international {
        (
            "/international-labels/v3",
            format!("/international-labels/v3/international-label/{number}"),
        )
    } else {
        ("/labels/v3", format!("/labels/v3/label/{number}"))
    };
    if let Some(r) = guard(&app, api, &path, &headers).await {
        return r;
    }
    if let Err(r) = payer(&app, api, &headers) {
        return *r;
    }
    let mut labels = app.usps.labels.lock().unwrap();
    let found = labels
        .get_mut(&number)
        .filter(|l| l.international == international && l.cancel != Cancel::Canceled);
    let Some(label) = found else {
        return bad_request(api, "00000XX", "Order not found", "trackingNumber");
    };
    if label.cancel == Cancel::Disputed {
        return bad_request(
            api,
            "00000XX",
            "A refund request for this order has already been submitted today",
            "trackingNumber",
        );
    }
    let manifested =
        label.scan_form.is_some() || OffsetDateTime::now_utc() - label.at >= app.manifest_after;
    let answer = if manifested {
        label.cancel = Cancel::Disputed;
        let id = 100_000 + app.usps.next.fetch_add(1, Ordering::Relaxed);
        json!({"trackingNumber": number, "status": "DISPUTED", "disputeId": id.to_string()})
    } else {
        label.cancel = Cancel::Canceled;
        json!({"trackingNumber": number, "status": "CANCELED"})
    };
    axum::Json(answer).into_response()
}

// ---------------------------------------------------------------------------------------------
// Addresses

/// The `state` pattern of `addresses.yaml` `get-address`.
const STATES: &str = "AA|AE|AL|AK|AP|AS|AZ|AR|CA|CO|CT|DE|DC|FM|FL|GA|GU|HI|ID|IL|IN|IA|KS|KY|LA|ME|MH|MD|MA|MI|MN|MS|MO|MP|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PW|PA|PR|RI|SC|SD|TN|TX|UT|VT|VI|VA|WA|WV|WI|WY";

/// USPS Publication 28 street suffixes the simulator abbreviates.
const SUFFIXES: [(&str, &str); 10] = [
    ("STREET", "ST"),
    ("AVENUE", "AVE"),
    ("ROAD", "RD"),
    ("BOULEVARD", "BLVD"),
    ("DRIVE", "DR"),
    ("LANE", "LN"),
    ("COURT", "CT"),
    ("PLACE", "PL"),
    ("SUITE", "STE"),
    ("APARTMENT", "APT"),
];

fn standard(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let w = w.trim_end_matches(['.', ',']).to_ascii_uppercase();
            SUFFIXES
                .iter()
                .find(|(long, _)| *long == w)
                .map_or(w.clone(), |(_, short)| short.to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn address_not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(
            json!({"apiVersion": "v3", "error": {"code": "404", "message": message, "errors": []}}),
        ),
    )
        .into_response()
}

async fn address(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    const API: &str = "/addresses/v3";
    if let Some(r) = guard(&app, API, "/addresses/v3/address", &headers).await {
        return r;
    }
    let q: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let Some(street) = q.get("streetAddress").filter(|s| !s.trim().is_empty()) else {
        return bad_request(API, "400", "streetAddress is required", "streetAddress");
    };
    let state = q.get("state").map(|s| s.to_ascii_uppercase());
    let Some(state) = state.filter(|s| STATES.split('|').any(|x| x == s)) else {
        return address_not_found("The state code in the request is missing or invalid.");
    };
    let zip = q.get("ZIPCode");
    if zip.is_some_and(|z| z.len() != 5 || !z.bytes().all(|b| b.is_ascii_digit())) {
        return bad_request(API, "400", "must be 5 digits", "ZIPCode");
    }
    let city = q.get("city").filter(|c| !c.trim().is_empty());
    let (Some(zip), Some(city)) = (zip, city) else {
        return address_not_found(
            "The address information in the request is insufficient to match.",
        );
    };
    let street = standard(street);
    if street.starts_with("0 ") || !street.starts_with(|c: char| c.is_ascii_digit()) {
        return address_not_found("There is no match for the address requested.");
    }
    let secondary = q
        .get("secondaryAddress")
        .map(|s| standard(s))
        .filter(|s| !s.is_empty());
    let needs_unit = street.contains("TOWER") && secondary.is_none();
    // A ZIP+4 from the street, stable across calls.
    let plus4 = street
        .bytes()
        .fold(7u32, |h, b| (h * 31 + u32::from(b)) % 10_000);
    let business = q.contains_key("firm");
    let mut answer = json!({
        "address": {"streetAddress": street, "streetAddressAbbreviation": street,
            "city": standard(city), "state": state, "ZIPCode": zip,
            "ZIPPlus4": format!("{plus4:04}")},
        "additionalInfo": {"deliveryPoint": format!("{:02}", plus4 % 100), "carrierRoute": "C012",
            "DPVConfirmation": if needs_unit { "D" } else { "Y" }, "DPVCMRA": "N",
            "business": if business { "Y" } else { "N" }, "centralDeliveryPoint": "N", "vacant": "N"},
        "corrections": [], "matches": [], "warnings": []
    });
    if let Some(f) = q.get("firm") {
        answer["firm"] = json!(f.to_ascii_uppercase());
    }
    if let Some(s) = secondary {
        answer["address"]["secondaryAddress"] = json!(s);
    }
    if needs_unit {
        answer["corrections"] = json!([{"code": "32", "text": "Default address: The address you entered was found but more information is needed (such as an apartment, suite, or box number) to match to a specific address."}]);
    } else {
        answer["matches"] = json!([{"code": "31", "text": "Single Response - exact match"}]);
    }
    axum::Json(answer).into_response()
}

// ---------------------------------------------------------------------------------------------
// Carrier Pickup

fn pickup_error(code: &str, detail: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"apiVersion": "v3", "error": {"code": "400", "message": "BAD_REQUEST",
            "errors": [{"status": "400", "code": code, "title": "BAD_REQUEST", "detail": detail}]}})),
    )
        .into_response()
}

fn with_etag(mut r: Response, etag: &str) -> Response {
    if let Ok(v) = header::HeaderValue::from_str(&format!("\"{etag}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

async fn schedule_pickup(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    const API: &str = "/pickup/v3";
    let body = match guarded_json(&app, API, "/pickup/v3/carrier-pickup", &headers, &body).await {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let date = body["pickupDate"].as_str().and_then(|d| {
        Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
    });
    let Some(date) = date else {
        return bad_request(API, "400", "must be a date", "pickupDate");
    };
    let today = OffsetDateTime::now_utc().date();
    if date < today {
        return pickup_error("020016", "Pickup date is in the past.");
    }
    if date > today + time::Duration::days(365) {
        return pickup_error(
            "020017",
            "Pickups can only be scheduled one year in the future.",
        );
    }
    if date.weekday() == time::Weekday::Sunday {
        return pickup_error(
            "020018",
            "Pickup Request cannot be scheduled on requested day.",
        );
    }
    let a = &body["pickupAddress"];
    if !a["firstName"].is_string() || !a["lastName"].is_string() {
        return bad_request(API, "400", "is required", "pickupAddress.firstName");
    }
    let street = a["address"]["streetAddress"].as_str().unwrap_or_default();
    let zip = digits(&a["address"]["ZIPCode"], &[5]);
    if street.is_empty() || zip.is_none() {
        return bad_request(
            API,
            "400",
            "streetAddress and ZIPCode are required",
            "pickupAddress.address",
        );
    }
    let contacts = a["contact"].as_array().cloned().unwrap_or_default();
    if contacts.is_empty() || contacts.len() > 2 {
        return bad_request(
            API,
            "400",
            "one or two contact methods",
            "pickupAddress.contact",
        );
    }
    for c in &contacts {
        if let Some(e) = c.get("email") {
            if !e.as_str().is_some_and(|e| e.contains('@') && e.len() <= 50) {
                return pickup_error("020021", "Email address is invalid.");
            }
        } else if digits(&c["cellNumber"], &[10]).is_none() {
            return pickup_error("020006", "Phone number is invalid.");
        }
    }
    let packages = body["packages"].as_array().cloned().unwrap_or_default();
    const TYPES: [&str; 7] = [
        "FIRST-CLASS_PACKAGE_SERVICE",
        "PRIORITY_MAIL_EXPRESS",
        "PRIORITY_MAIL",
        "RETURNS",
        "USPS_GROUND_ADVANTAGE",
        "INTERNATIONAL",
        "OTHER",
    ];
    let valid = |p: &Value| {
        p["packageType"]
            .as_str()
            .is_some_and(|t| TYPES.contains(&t))
            && p["packageCount"].as_u64().is_some_and(|n| n > 0)
    };
    if packages.is_empty() || !packages.iter().all(valid) {
        return pickup_error("020003", "Invalid pickup details.");
    }
    if decimal(&body["estimatedWeight"]).is_none_or(|w| w <= Decimal::ZERO) {
        return bad_request(API, "400", "must be a number above zero", "estimatedWeight");
    }
    let location = &body["pickupLocation"];
    const LOCATIONS: [&str; 10] = [
        "FRONT_DOOR",
        "BACK_DOOR",
        "SIDE_DOOR",
        "KNOCK_ON_DOOR",
        "MAIL_ROOM",
        "OFFICE",
        "PORCH",
        "RECEPTION",
        "MAILBOX",
        "OTHER",
    ];
    let Some(place) = location["packageLocation"]
        .as_str()
        .filter(|l| LOCATIONS.contains(l))
    else {
        return pickup_error("020004", "Invalid pickup location.");
    };
    let instructions = location["specialInstructions"].as_str().unwrap_or_default();
    if place == "OTHER" && instructions.trim().is_empty() {
        return pickup_error(
            "020020",
            "Pickup location of Other requires additional information in comments.",
        );
    }
    if instructions.chars().count() > 255 {
        return pickup_error("020019", "Comment length exceeds 255 characters.");
    }
    let key = (
        format!("{street}|{}", zip.unwrap_or_default()).to_ascii_uppercase(),
        iso_date(date),
    );
    let mut pickups = app.usps.pickups.lock().unwrap();
    if pickups.values().any(|p| !p.cancelled && p.key == key) {
        return pickup_error("020001", "Pickup already exists for this address.");
    }
    let serial = app.first + app.usps.next.fetch_add(1, Ordering::Relaxed);
    let confirmation = format!("WTC{:09}", serial % 1_000_000_000);
    let etag = format!("{:040x}", u128::from(serial) * 0x9e37_79b9);
    let answer = json!({"confirmationNumber": confirmation, "pickupDate": iso_date(date),
        "carrierPickupRequest": body});
    pickups.insert(
        confirmation,
        Pickup {
            etag: etag.clone(),
            answer: answer.clone(),
            key,
            cancelled: false,
        },
    );
    with_etag(axum::Json(answer).into_response(), &etag)
}

async fn get_pickup(
    State(app): State<App>,
    Path(confirmation): Path<String>,
    headers: HeaderMap,
) -> Response {
    const API: &str = "/pickup/v3";
    let path = format!("/pickup/v3/carrier-pickup/{confirmation}");
    if let Some(r) = guard(&app, API, &path, &headers).await {
        return r;
    }
    let mut pickups = app.usps.pickups.lock().unwrap();
    let Some(p) = pickups.get_mut(&confirmation).filter(|p| !p.cancelled) else {
        return pickup_error("020015", "Case number not found.");
    };
    // A fresh ETag per GET: "good for one hour or until it is used".
    let serial = app.usps.next.fetch_add(1, Ordering::Relaxed);
    p.etag = format!("{:040x}", u128::from(serial + 1) * 0x85eb_ca6b);
    with_etag(axum::Json(json!([p.answer])).into_response(), &p.etag)
}

async fn cancel_pickup(
    State(app): State<App>,
    Path(confirmation): Path<String>,
    headers: HeaderMap,
) -> Response {
    const API: &str = "/pickup/v3";
    let path = format!("/pickup/v3/carrier-pickup/{confirmation}");
    if let Some(r) = guard(&app, API, &path, &headers).await {
        return r;
    }
    let given = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_string());
    let mut pickups = app.usps.pickups.lock().unwrap();
    let Some(p) = pickups.get_mut(&confirmation).filter(|p| !p.cancelled) else {
        return pickup_error("020015", "Case number not found.");
    };
    if given.as_deref() != Some(p.etag.as_str()) {
        return bad_request(
            API,
            "400",
            "must be the ETag of the pickup's last GET",
            "If-Match",
        );
    }
    p.cancelled = true;
    StatusCode::OK.into_response()
}

// ---------------------------------------------------------------------------------------------
// SCAN forms

/// A one-page PS Form 5630 listing the numbers.
fn scan_form_pdf(manifest: &str, numbers: &[String], mailing: &str) -> Vec<u8> {
    let mut stream = format!(
        "BT /F1 14 Tf 20 400 Td (PS Form 5630 SCAN Form) Tj 0 -20 Td ({manifest}) Tj 0 -20 Td (Mailing date {mailing}) Tj"
    );
    for n in numbers.iter().take(15) {
        stream.push_str(&format!(" 0 -18 Td ({n}) Tj"));
    }
    stream.push_str(" ET");
    super::one_page_pdf(432, "Helvetica", &stream)
}

async fn scan_form(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    const API: &str = "/scan-forms/v3";
    let body = match guarded_json(&app, API, "/scan-forms/v3/scan-form", &headers, &body).await {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let mailing = body["mailingDate"].as_str().and_then(|d| {
        Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
    });
    let Some(mailing) = mailing else {
        return bad_request(API, "400", "must be a date", "mailingDate");
    };
    let Some(entry_zip) = digits(&body["entryFacilityZIPCode"], &[5]) else {
        return bad_request(
            API,
            "400",
            "must be a 5-digit ZIP Code",
            "entryFacilityZIPCode",
        );
    };
    if body["destinationEntryFacilityType"] != "NONE" {
        return bad_request(
            API,
            "160162",
            "the simulator's labels are entered at NONE",
            "destinationEntryFacilityType",
        );
    }
    let from = &body["fromAddress"];
    if let Err(prm) = domestic_place(from, "fromAddress") {
        return bad_request(API, "400", "is missing or invalid", &prm);
    }
    let numbers: Vec<String> = body["shipment"]["trackingNumbers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if numbers.is_empty() {
        return bad_request(
            API,
            "160037",
            "The SCAN Form could not be created because no labels met the given criteria",
            "mailingDate,entryFacilityZIPCode,destinationEntryFacilityType,shipment",
        );
    }
    let overwrite = body["overwriteMailingDate"] == true;
    let serial = app.first + app.usps.next.fetch_add(1, Ordering::Relaxed);
    // The form's own IMpb: `94`, service type code 750 (SCAN form), a MID, serial, MOD 10.
    let body22 = format!("94750{:06}{:010}", 382345, serial % 10_000_000_000);
    let manifest = format!("{body22}{}", impb_check_digit(&body22));
    {
        let mut labels = app.usps.labels.lock().unwrap();
        for n in &numbers {
            let Some(l) = labels.get(n) else {
                return bad_request(
                    API,
                    "160160",
                    &format!("barcode {n} is not eligible for SCAN Form"),
                    "status",
                );
            };
            if l.cancel == Cancel::Canceled {
                return bad_request(
                    API,
                    "160397",
                    &format!(
                        "barcode {n} has been canceled and is not eligible to be added to a SCAN Form"
                    ),
                    "barcode",
                );
            }
            if let Some(efn) = &l.scan_form {
                return bad_request(
                    API,
                    "160040",
                    &format!("barcode {n} is already part of another SCAN Form with efn {efn}"),
                    "scanFormEfn",
                );
            }
            if l.from.zip.as_deref() != Some(entry_zip.as_str()) {
                return bad_request(
                    API,
                    "160161",
                    &format!(
                        "barcode {n} with zip {} does not match SCAN Form request zip {entry_zip}",
                        l.from.zip.clone().unwrap_or_default()
                    ),
                    "entryFacilityZipCode",
                );
            }
            if l.mailing != mailing && !overwrite {
                return bad_request(
                    API,
                    "160006",
                    &format!(
                        "barcode {n} with mailing date {} does not match SCAN Form request mailing date {}",
                        iso_date(l.mailing),
                        iso_date(mailing)
                    ),
                    "mailingDate",
                );
            }
        }
        for n in &numbers {
            if let Some(l) = labels.get_mut(n) {
                l.scan_form = Some(manifest.clone());
                if overwrite {
                    l.mailing = mailing;
                }
            }
        }
    }
    let pdf = scan_form_pdf(&manifest, &numbers, &iso_date(mailing));
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let mut meta = json!({
        "imageInfo": {"imageType": "PDF", "labelType": "8.5X11LABEL"},
        "mailingDate": iso_date(mailing), "overwriteMailingDate": overwrite,
        "entryFacilityZIPCode": entry_zip, "destinationEntryFacilityType": "NONE",
        "shipment": {"trackingNumbers": numbers}, "fromAddress": from,
        "manifestNumber": manifest, "trackingNumbers": numbers
    });
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if accept == Some(LABELS_JSON) {
        meta["SCANFormImage"] = json!(b64);
        let mut r = axum::Json(meta).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(LABELS_JSON),
        );
        return r;
    }
    // The default: multipart, as `api-examples/SCANForm-LabelShipment-response.json`.
    let boundary = format!("sim{manifest}");
    let text = format!(
        "--{boundary}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"SCANFormMetaData\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Type: application/pdf\r\nContent-Disposition: form-data; filename=\"scanform.pdf\"; name=\"SCANFormImage\"\r\n\r\n{b64}\r\n--{boundary}--\r\n",
        serde_json::to_string_pretty(&meta).unwrap_or_default()
    );
    let mut r = text.into_response();
    if let Ok(v) =
        header::HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
    {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Tracking

/// The scans reached so far, newest first; local times at Eastern Standard Time.
fn events(label: &Label) -> Vec<Value> {
    let est = UtcOffset::from_hms(-5, 0, 0).expect("a valid offset");
    let elapsed = (OffsetDateTime::now_utc() - label.at).whole_seconds();
    let reached = if label.cancel == Cancel::Canceled {
        1
    } else {
        SCRIPT.len()
    };
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    let gmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let mut out: Vec<Value> = SCRIPT
        .iter()
        .take(reached)
        .enumerate()
        .filter(|(i, _)| *i as i64 * STEP_SECS <= elapsed)
        .map(|(i, (code, text, _, at_destination))| {
            let t = label.at + time::Duration::seconds(i as i64 * STEP_SECS);
            let place = if *at_destination {
                &label.to
            } else {
                &label.from
            };
            json!({"eventType": text,
                   "eventTimestamp": t.to_offset(est).format(&fmt).unwrap_or_default(),
                   "GMTTimestamp": t.format(&gmt).unwrap_or_default(), "GMTOffset": "-05:00",
                   "eventCity": place.city, "eventState": place.state, "eventZIP": place.zip,
                   "eventCountry": (place.country != "US").then_some(&place.country),
                   "authorizedAgent": false, "eventCode": code})
        })
        .collect();
    out.reverse();
    out
}

async fn track(
    State(app): State<App>,
    Path(number): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    const API: &str = "/tracking/v3";
    if let Some(r) = guard(
        &app,
        API,
        &format!("/tracking/v3/tracking/{number}"),
        &headers,
    )
    .await
    {
        return r;
    }
    let label = app.usps.labels.lock().unwrap().get(&number).cloned();
    let Some(label) = label else {
        return usps_error(API, StatusCode::NOT_FOUND, "404", "Resource Not Found");
    };
    let events = events(&label);
    let newest = SCRIPT
        .iter()
        .find(|s| events.first().is_some_and(|e| e["eventCode"] == s.0));
    let (status, category) = newest.map(|s| (s.1, s.2)).unwrap_or_default();
    let mut answer = json!({
        "trackingNumber": number, "mailClass": label.mail_class,
        "destinationCity": label.to.city, "destinationState": label.to.state,
        "destinationZIP": label.to.zip, "originCity": label.from.city,
        "originState": label.from.state, "originZIP": label.from.zip,
        "mailType": if label.international { "INTERNATIONAL_OUTBOUND" } else { "DOMESTIC_MAIL" },
        "status": status, "statusCategory": category,
        "statusSummary": format!("{status}, {}", label.from.city)
    });
    if super::query_value(&q, "expand").as_deref() == Some("DETAIL") {
        answer["trackingEvents"] = Value::Array(events);
    }
    axum::Json(answer).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_the_spec_examples() {
        // `domestic-labels.yaml`'s cancel example and the adapter's fixture number.
        for n in ["9205590006662202169556", "9400111899223855201011"] {
            assert_eq!(
                impb_check_digit(&n[..21]),
                u32::from(n.as_bytes()[21] - b'0'),
                "{n}"
            );
        }
        // `international-labels.yaml`'s S10 example.
        assert_eq!(s10_check_digit("00001216"), 2);
        assert_eq!(
            s10("PRIORITY_MAIL_EXPRESS_INTERNATIONAL", 1216),
            "EZ000012162US"
        );
    }

    #[test]
    fn impb_numbers_are_22_digits_with_the_owner_mid() {
        for mid in ["123456", "901234567"] {
            let n = impb("PRIORITY_MAIL", mid, 987_654_321_012);
            assert_eq!(n.len(), 22, "{n}");
            assert!(n.starts_with(&format!("94001{mid}")), "{n}");
            assert_eq!(
                impb_check_digit(&n[..21]),
                u32::from(n.as_bytes()[21] - b'0')
            );
        }
    }

    #[test]
    fn prices_are_whole_cents_and_grow_with_weight_and_zone() {
        for class in DOMESTIC_CLASSES[..5].iter().chain(&INTERNATIONAL_CLASSES) {
            let (light, _) = price(class, dec!(1), 1).unwrap();
            let (heavy, _) = price(class, dec!(3), 5).unwrap();
            assert_eq!(light.round_dp(2), light);
            assert!(heavy > light, "{class}");
        }
        assert!(price("FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE", dec!(5), 1).is_none());
        let big = Package {
            lb: dec!(2),
            inches: [dec!(24), dec!(12), dec!(12)],
        };
        assert_eq!(big.dim_weight(), dec!(21), "3456 cu in / 166, rounded up");
        assert_eq!(big.fees().len(), 1, "over 22 in, not over 2 cu ft");
    }

    async fn start(manifest_after: time::Duration) -> String {
        let router = with_manifest_delay(Sim::default(), manifest_after);
        let addr = super::super::serve(router, ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        format!("http://{addr}")
    }

    /// Bearer and payment tokens from the simulator at `base`.
    async fn tokens(http: &reqwest::Client, base: &str) -> (String, String) {
        let t: Value = http
            .post(format!("{base}/oauth2/v3/token"))
            .json(&json!({"client_id": "c", "client_secret": "s", "grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let bearer = t["access_token"].as_str().unwrap().to_string();
        let role = |name: &str| {
            json!({"roleName": name, "CRID": "12345678", "MID": "123456",
            "manifestMID": "123456", "accountType": "EPS", "accountNumber": "1000000000"})
        };
        let p: Value = http
            .post(format!("{base}/payments/v3/payment-authorization"))
            .bearer_auth(&bearer)
            .json(&json!({"roles": [role("PAYER"), role("LABEL_OWNER")]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            bearer,
            p["paymentAuthorizationToken"].as_str().unwrap().to_string(),
        )
    }

    fn label_request() -> Value {
        let address = |zip: &str| {
            json!({"firstName": "Sam", "lastName": "Wilson",
            "streetAddress": "45 L St SW", "city": "Washington", "state": "DC", "ZIPCode": zip})
        };
        json!({"imageInfo": {"imageType": "PDF", "labelType": "4X6LABEL", "receiptOption": "NONE"},
               "toAddress": address("63104"), "fromAddress": address("20024"),
               "packageDescription": {"mailClass": "PRIORITY_MAIL", "rateIndicator": "SP",
                   "weightUOM": "lb", "weight": 1.99, "dimensionsUOM": "in", "length": 11.82,
                   "height": 3.94, "width": 9.06, "processingCategory": "MACHINABLE",
                   "mailingDate": iso_date(OffsetDateTime::now_utc().date()),
                   "destinationEntryFacilityType": "NONE"}})
    }

    async fn buy(http: &reqwest::Client, base: &str, bearer: &str, payment: &str) -> Value {
        let r = http
            .post(format!("{base}/labels/v3/label"))
            .bearer_auth(bearer)
            .header("X-Payment-Authorization-Token", payment)
            .header("Accept", LABELS_JSON)
            .json(&label_request())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    #[tokio::test]
    async fn labels_need_both_tokens_and_cost_what_the_search_quoted() {
        let http = reqwest::Client::new();
        let base = start(time::Duration::seconds(MANIFEST_SECS)).await;
        let (bearer, payment) = tokens(&http, &base).await;
        let no_payment = http
            .post(format!("{base}/labels/v3/label"))
            .bearer_auth(&bearer)
            .header("Accept", LABELS_JSON)
            .json(&label_request())
            .send()
            .await
            .unwrap();
        assert_eq!(no_payment.status(), 401);
        let search = json!({"pricingOptions": [{"priceType": "COMMERCIAL"}],
            "originZIPCode": "20024", "destinationZIPCode": "63104",
            "destinationEntryFacilityType": "NONE",
            "packageDescription": label_request()["packageDescription"].clone()});
        let mut search = search;
        search["packageDescription"]["mailClass"] = json!("ALL_OUTBOUND");
        let options: Value = http
            .post(format!("{base}/shipments/v3/options/search"))
            .bearer_auth(&bearer)
            .json(&search)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let priority = options["pricingOptions"][0]["shippingOptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["mailClass"] == "PRIORITY_MAIL")
            .unwrap()["rateOptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["rates"][0]["rateIndicator"] == "SP")
            .unwrap()["totalBasePrice"]
            .clone();
        let label = buy(&http, &base, &bearer, &payment).await;
        assert_eq!(label["postage"], priority);
        let number = label["trackingNumber"].as_str().unwrap();
        assert!(number.starts_with("94001123456"), "{number}");
        let image = base64::engine::general_purpose::STANDARD
            .decode(label["labelImage"].as_str().unwrap())
            .unwrap();
        assert!(image.starts_with(b"%PDF") && String::from_utf8_lossy(&image).contains(number));
    }

    #[tokio::test]
    async fn cancel_is_canceled_before_the_manifest_and_disputed_after() {
        let http = reqwest::Client::new();
        for (delay, want) in [
            (time::Duration::seconds(MANIFEST_SECS), "CANCELED"),
            (time::Duration::ZERO, "DISPUTED"),
        ] {
            let base = start(delay).await;
            let (bearer, payment) = tokens(&http, &base).await;
            let label = buy(&http, &base, &bearer, &payment).await;
            let number = label["trackingNumber"].as_str().unwrap();
            let cancel = || {
                http.delete(format!("{base}/labels/v3/label/{number}"))
                    .bearer_auth(&bearer)
                    .header("X-Payment-Authorization-Token", &payment)
                    .send()
            };
            let first: Value = cancel().await.unwrap().json().await.unwrap();
            assert_eq!(first["status"], want, "{first}");
            assert_eq!(first["disputeId"].is_string(), want == "DISPUTED");
            let again = cancel().await.unwrap();
            assert_eq!(again.status(), 400, "a label is cancelled once");
        }
    }

    #[tokio::test]
    async fn tracking_lists_scans_newest_first_with_detail_only() {
        let http = reqwest::Client::new();
        let base = start(time::Duration::seconds(MANIFEST_SECS)).await;
        let (bearer, payment) = tokens(&http, &base).await;
        let label = buy(&http, &base, &bearer, &payment).await;
        let number = label["trackingNumber"].as_str().unwrap();
        let get = |q: &'static str| {
            http.get(format!("{base}/tracking/v3/tracking/{number}{q}"))
                .bearer_auth(&bearer)
                .send()
        };
        let detail: Value = get("?expand=DETAIL").await.unwrap().json().await.unwrap();
        assert_eq!(detail["trackingEvents"][0]["eventCode"], "GX", "{detail}");
        assert_eq!(detail["statusCategory"], "Pre-Shipment");
        let summary: Value = get("").await.unwrap().json().await.unwrap();
        assert!(summary["trackingEvents"].is_null());
        let unknown = http
            .get(format!(
                "{base}/tracking/v3/tracking/9400111899223855201011"
            ))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 404);
    }

    /// The USPS adapter (`shiphub-carriers`) through a shipper's day against the simulator:
    /// options priced and bought, a return label, address checks, a pickup booked and
    /// cancelled with its ETag, a SCAN form closing the day (then a cancel is a refund
    /// request), and the faults the simulator plays.
    #[tokio::test]
    async fn the_usps_adapter_runs_a_shippers_day_against_the_simulator() {
        use shiphub_carriers::model::{
            AddressVerdict, ManifestRequest, PickupRef, PickupRequest, RateRequest, ShipRequest,
            WaybillRef,
        };
        use shiphub_carriers::{CarrierError, CarrierHttp, VoidOutcome};

        let sim = Sim::default();
        let router = with_manifest_delay(sim.clone(), time::Duration::hours(1));
        let addr = super::super::serve(router, ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let entry = shiphub_carriers::registry::lookup(shiphub_carriers::CARRIERS, "usps").unwrap();
        let http = CarrierHttp::new(
            reqwest::Client::new(),
            Some(format!("http://{addr}").parse().unwrap()),
        );
        let usps = (entry.build)(
            json!({"client_id": "sim-day", "client_secret": "s", "crid": "12345678",
                   "mid": "123456", "account_number": "1000000000"}),
            http,
        )
        .unwrap();
        let today = OffsetDateTime::now_utc().date();
        let shop = json!({"name": "Sam Wilson", "company": "Wilson Outfitters",
            "street": ["45 L Street SW"], "city": "Washington", "state": "DC",
            "postal_code": "20024", "country": "US", "phone": "+1 202 555 0142",
            "email": "ship@wilson.example"});
        let customer = json!({"name": "Nick Fury", "street": ["2700 S Jefferson Avenue"],
            "city": "St. Louis", "state": "MO", "postal_code": "63104", "country": "US"});
        let parcel = json!({"weight": {"value": "0.9", "unit": "kg"},
            "dimensions": {"length": "30", "width": "23", "height": "10", "unit": "cm"}});
        let options = json!({"signature": "direct",
            "declared_value": {"amount": "300.00", "currency": "USD"}});
        let rate: RateRequest = serde_json::from_value(json!({"from": shop, "to": customer,
            "parcels": [parcel], "ship_date": iso_date(today), "options": options}))
        .unwrap();

        // Options priced (insurance on $300: 2.45 + 2 × 1.25): signature and insurance are
        // surcharges; Priority Mail Express is quoted on its own signature code (981, not 921).
        let quotes = usps.rate(&rate).await.unwrap();
        let classes: Vec<&str> = quotes.iter().map(|q| q.service.code.as_str()).collect();
        assert!(classes.contains(&"PRIORITY_MAIL"), "{classes:?}");
        assert!(classes.contains(&"PRIORITY_MAIL_EXPRESS"), "{classes:?}");
        let priority = quotes
            .iter()
            .find(|q| q.service.code == "PRIORITY_MAIL")
            .unwrap();
        let extra: Vec<(Option<&str>, String)> = priority
            .breakdown
            .iter()
            .filter(|c| matches!(c.code.as_deref(), Some("921" | "930")))
            .map(|c| (c.code.as_deref(), c.amount.amount().to_string()))
            .collect();
        assert_eq!(
            extra,
            [(Some("921"), "3.85".into()), (Some("930"), "4.95".into())]
        );

        // Bought with the same options, at the quoted total.
        let mut ship = serde_json::to_value(&rate).unwrap();
        ship["service"] = json!("PRIORITY_MAIL");
        ship["label_format"] = json!("pdf");
        let ship: ShipRequest = serde_json::from_value(ship).unwrap();
        let wb = usps.ship(&ship).await.unwrap();
        assert_eq!(wb.total, Some(priority.total));

        // A return label, pay on use, from the customer back to the shop.
        let mut ret = serde_json::to_value(&ship).unwrap();
        ret["from"] = customer.clone();
        ret["to"] = shop.clone();
        ret["is_return"] = json!(true);
        ret["options"] = json!({});
        let ret: ShipRequest = serde_json::from_value(ret).unwrap();
        let back = usps.ship(&ret).await.unwrap();
        assert!(back.label.unwrap().content.starts_with(b"%PDF-"));
        assert!(back.warnings.iter().any(|w| w.contains("pay on use")));

        // Address checks.
        let check = usps.verify_address(&rate.to).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::DeliverableWithCorrections);
        assert_eq!(check.address.unwrap().street, ["2700 S JEFFERSON AVE"]);
        let mut nowhere = rate.to.clone();
        nowhere.street = vec!["0 Nowhere Rd".into()];
        let check = usps.verify_address(&nowhere).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::Undeliverable);

        // A pickup tomorrow (Monday if that is Sunday), cancelled with a fresh ETag.
        let mut day = today.next_day().unwrap();
        if day.weekday() == time::Weekday::Sunday {
            day = day.next_day().unwrap();
        }
        let pickup: PickupRequest = serde_json::from_value(json!({"address": shop,
            "date": iso_date(day), "ready_time": "09:00:00.0", "close_time": "17:00:00.0",
            "parcel_count": 1, "total_weight": {"value": "0.9", "unit": "kg"},
            "shipments": [], "instructions": null}))
        .unwrap();
        let booked = usps.schedule_pickup(&pickup).await.unwrap();
        let again = usps.schedule_pickup(&pickup).await.unwrap_err();
        assert!(matches!(again, CarrierError::Rejected { .. }), "{again:?}");
        let r = PickupRef {
            confirmation: booked.confirmation.clone(),
            location: None,
            date: day,
            address: pickup.address.clone(),
        };
        usps.cancel_pickup(&r).await.unwrap();
        let twice = usps.cancel_pickup(&r).await.unwrap_err();
        assert!(matches!(twice, CarrierError::Rejected { .. }), "{twice:?}");

        // The day closed: a SCAN form with the PDF; the label is then manifested.
        let waybill = WaybillRef {
            tracking_number: wb.tracking_number.clone(),
            carrier_shipment_id: wb.carrier_shipment_id.clone(),
            pieces: wb.pieces.clone(),
        };
        let close: ManifestRequest = serde_json::from_value(json!({"ship_date": iso_date(today),
            "from": shop, "shipments": [waybill]}))
        .unwrap();
        let m = usps.manifest(&close).await.unwrap();
        assert_eq!(m.carrier_manifest_id.len(), 22);
        assert!(m.document.unwrap().content.starts_with(b"%PDF-"));
        assert_eq!(
            m.tracking_numbers,
            std::slice::from_ref(&wb.tracking_number)
        );
        let twice = usps.manifest(&close).await.unwrap_err();
        assert!(matches!(twice, CarrierError::Rejected { .. }), "{twice:?}");
        assert!(matches!(
            usps.void_outcome(&waybill).await.unwrap(),
            VoidOutcome::Requested { .. }
        ));

        // Faults: throttled pickup, failing address service.
        sim.push(super::super::Fault {
            kind: super::super::FaultKind::RateLimited {
                retry_after_secs: Some(7),
            },
            path: Some("/pickup/v3/carrier-pickup".into()),
        });
        let limited = usps.schedule_pickup(&pickup).await.unwrap_err();
        assert!(
            matches!(limited, CarrierError::RateLimited { .. }),
            "{limited:?}"
        );
        sim.push(super::super::Fault {
            kind: super::super::FaultKind::ServerError,
            path: Some("/addresses/v3/address".into()),
        });
        let down = usps.verify_address(&rate.to).await.unwrap_err();
        assert!(
            matches!(
                down,
                CarrierError::Transient {
                    maybe_processed: false,
                    ..
                }
            ),
            "{down:?}"
        );
    }
}
