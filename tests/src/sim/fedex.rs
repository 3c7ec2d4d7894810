//! FedEx simulator: the OAuth token endpoint and the Rate, Ship, Cancel and Track APIs on
//! loopback, answering in FedEx's shapes (`../shared/carriers/fedex/openapi`, the samples
//! there, and the fixtures in `carriers/src/fedex/fixtures`). It owns realistic answers and
//! scripted faults; it does not try to be FedEx's pricing or network.
//!
//! - Tokens are really issued (`POST /oauth/token`, form-encoded client credentials) and
//!   checked: an API call with a token the simulator did not issue answers 401
//!   `NOT.AUTHORIZED.ERROR`. A queued `Unauthorized` fault also revokes the token it was
//!   presented with, as an expiry would, so an adapter's single refresh shows end to end.
//! - Rate quotes ground/home delivery, 2Day, Standard and Priority Overnight inside a country,
//!   International Economy and Priority across borders, with ACCOUNT and LIST rates whose
//!   lines add up exactly (whole cents).
//! - Ship issues unique 12-digit tracking numbers (master first), one label per piece in the
//!   asked image type: a small valid 4x6 PDF, ZPL II, or a 1x1 PNG.
//! - Cancel answers `cancelledShipment: true` once per shipment, `false` after that, and 400
//!   `TRACKINGNUMBER.ENTERED.INVALID` for numbers it never issued.
//! - Track (up to 30 numbers) walks a shipped parcel through OC, PU, AR, OD, DL, one scan every
//!   two seconds after shipping; cancelled parcels show CA; unknown numbers answer FedEx's
//!   per-number `TRACKING.TRACKINGNUMBER.NOTFOUND`.
//!
//! Faults come from [`Sim::take_fault`] by request path: `Unauthorized` → 401, `RateLimited`
//! → 429 (with `Retry-After` when given), `ServerError` → 500, `Slow` → the normal answer
//! late, `Malformed` → 200 with truncated JSON.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use base64::Engine;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Weekday};

use super::{FaultWords, Sim};

/// A 1×1 PNG, for `imageType: PNG`.
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";

/// Seconds between two scripted scans.
const STEP_SECS: i64 = 2;

const SCRIPT: [(&str, &str, &str); 5] = [
    ("OC", "Shipment information sent to FedEx", "IN"),
    ("PU", "Picked up", "PU"),
    ("AR", "Arrived at FedEx location", "IT"),
    ("OD", "On FedEx vehicle for delivery", "OD"),
    ("DL", "Delivered", "DL"),
];

struct Shipped {
    at: OffsetDateTime,
    cancelled: bool,
    city: String,
    country: String,
}

#[derive(Default)]
struct FedexState {
    tokens: Mutex<HashSet<String>>,
    shipped: Mutex<HashMap<String, Shipped>>,
    next: AtomicU64,
}

#[derive(Clone)]
struct App {
    sim: Sim,
    fedex: Arc<FedexState>,
    /// First tracking number this instance issues: time-seeded, so numbers stay unique across
    /// simulator restarts against a persistent hub database.
    first_number: u64,
}

pub fn router(sim: Sim) -> Router {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let app = App {
        sim: sim.clone(),
        fedex: Arc::default(),
        first_number: 700_000_000_000 + (secs % 90_000_000) * 1000,
    };
    Router::new()
        .route("/oauth/token", post(token))
        .route("/rate/v1/rates/quotes", post(rate))
        .route("/ship/v1/shipments", post(ship))
        .route("/ship/v1/shipments/cancel", put(cancel))
        .route("/track/v1/trackingnumbers", post(track))
        .with_state(app)
        .merge(super::control(sim))
}

fn transaction_id(app: &App) -> String {
    format!("sim-{:012}", app.fedex.next.fetch_add(1, Ordering::Relaxed))
}

fn fedex_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "transactionId": "sim-error",
            "errors": [{"code": code, "message": message}]
        })),
    )
        .into_response()
}

/// FedEx's error codes for the simulated faults.
const FAULT_WORDS: FaultWords = FaultWords {
    unauthorized: (
        "NOT.AUTHORIZED.ERROR",
        "Access token expired. Please modify your request and try again.",
    ),
    rate_limited: ("TOO.MANY.REQUESTS", "Too many requests"),
    server_error: (
        "INTERNAL.SERVER.ERROR",
        "We encountered an unexpected error and are working to resolve the issue.",
    ),
    truncated_body: r#"{"transactionId":"sim","output":{"rateReplyDetails":[{"serviceType":"FEDEX_GR"#,
};

/// The next queued fault for `path`, in FedEx's words (see [`Sim::fault`]). A simulated
/// expiry revokes the caller's token, so the adapter must fetch a new one.
async fn fault(app: &App, path: &str, headers: &HeaderMap) -> Option<Response> {
    let r = app.sim.fault(path, &FAULT_WORDS, fedex_error).await?;
    if r.status() == StatusCode::UNAUTHORIZED
        && let Some(t) = bearer(headers)
    {
        app.fedex.tokens.lock().unwrap().remove(t);
    }
    Some(r)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// Fault first, then the token check every FedEx API does.
async fn guard(app: &App, path: &str, headers: &HeaderMap) -> Option<Response> {
    if let Some(r) = fault(app, path, headers).await {
        return Some(r);
    }
    let known = bearer(headers).is_some_and(|t| app.fedex.tokens.lock().unwrap().contains(t));
    (!known).then(|| {
        fedex_error(
            StatusCode::UNAUTHORIZED,
            "NOT.AUTHORIZED.ERROR",
            "Access token expired. Please modify your request and try again.",
        )
    })
}

async fn token(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = fault(&app, "/oauth/token", &headers).await {
        return r;
    }
    let given = |k: &str| form.get(k).is_some_and(|v| !v.is_empty());
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || !given("client_id")
        || !given("client_secret")
    {
        return fedex_error(
            StatusCode::UNAUTHORIZED,
            "NOT.AUTHORIZED.ERROR",
            "The given client credentials were not valid. Please modify your request and try again.",
        );
    }
    let n = app.fedex.next.fetch_add(1, Ordering::Relaxed);
    let t = format!("sim-fedex-token-{n}-{}", app.first_number);
    app.fedex.tokens.lock().unwrap().insert(t.clone());
    axum::Json(
        json!({"access_token": t, "token_type": "bearer", "expires_in": 3599, "scope": "CXS"}),
    )
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Pricing, in whole cents so every breakdown adds up exactly.

struct Service {
    code: &'static str,
    name: &'static str,
    base_cents: i64,
    per_lb_cents: i64,
    days: i64,
}

const DOMESTIC: [Service; 5] = [
    Service {
        code: "FEDEX_GROUND",
        name: "FedEx Ground®",
        base_cents: 950,
        per_lb_cents: 110,
        days: 4,
    },
    Service {
        code: "GROUND_HOME_DELIVERY",
        name: "FedEx Home Delivery®",
        base_cents: 990,
        per_lb_cents: 115,
        days: 4,
    },
    Service {
        code: "FEDEX_2_DAY",
        name: "FedEx 2Day®",
        base_cents: 2100,
        per_lb_cents: 290,
        days: 2,
    },
    Service {
        code: "STANDARD_OVERNIGHT",
        name: "FedEx Standard Overnight®",
        base_cents: 3800,
        per_lb_cents: 420,
        days: 1,
    },
    Service {
        code: "PRIORITY_OVERNIGHT",
        name: "FedEx Priority Overnight®",
        base_cents: 4500,
        per_lb_cents: 480,
        days: 1,
    },
];
const INTERNATIONAL: [Service; 2] = [
    Service {
        code: "INTERNATIONAL_ECONOMY",
        name: "FedEx International Economy®",
        base_cents: 5500,
        per_lb_cents: 600,
        days: 5,
    },
    Service {
        code: "FEDEX_INTERNATIONAL_PRIORITY",
        name: "FedEx International Priority®",
        base_cents: 7000,
        per_lb_cents: 800,
        days: 3,
    },
];

/// FedEx's schema types amounts as JSON numbers: whole cents written as a decimal number.
fn money(cents: i64) -> Value {
    serde_json::from_str(&Decimal::new(cents, 2).to_string()).expect("a decimal is a JSON number")
}

/// Whole pounds billed for a request's packages (KG converted, rounded up).
fn billable_lb(shipment: &Value) -> i64 {
    let items = shipment["requestedPackageLineItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // FedEx sends weights as JSON numbers; read their decimal text, never through a float.
    let lb: Decimal = items
        .iter()
        .map(|i| {
            let v = i["weight"]["value"]
                .to_string()
                .parse::<Decimal>()
                .unwrap_or(Decimal::ONE);
            if i["weight"]["units"] == "KG" {
                v / dec!(0.45359237)
            } else {
                v
            }
        })
        .sum();
    i64::try_from(lb.ceil()).unwrap_or(i64::MAX).max(1)
}

/// (net, lines) for one rate type: base, discount (account only), fuel 15% of the discounted
/// base, residential delivery when the recipient is residential.
fn price(
    s: &Service,
    lb: i64,
    residential: bool,
    account: bool,
    surcharge_key: &str,
) -> (i64, i64, i64, Vec<Value>) {
    let base = s.base_cents + s.per_lb_cents * lb;
    let discount = if account { base * 8 / 100 } else { 0 };
    let fuel = (base - discount) * 15 / 100;
    let mut lines = vec![
        json!({surcharge_key: "FUEL", "description": "Fuel Surcharge", "level": "PACKAGE", "amount": money(fuel)}),
    ];
    let mut net = base - discount + fuel;
    if residential {
        lines.push(json!({surcharge_key: "RESIDENTIAL_DELIVERY", "description": "Residential delivery surcharge", "level": "PACKAGE", "amount": money(495)}));
        net += 495;
    }
    (net, base, discount, lines)
}

fn ship_date(shipment: &Value, key: &str) -> Date {
    shipment[key]
        .as_str()
        .and_then(|s| {
            Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
        })
        .unwrap_or_else(|| OffsetDateTime::now_utc().date())
}

fn add_business_days(mut d: Date, days: i64) -> Date {
    let mut left = days;
    while left > 0 {
        d = d.next_day().unwrap_or(d);
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    d
}

fn services_for(shipment: &Value, recipient: &Value) -> Vec<&'static Service> {
    let domestic =
        shipment["shipper"]["address"]["countryCode"] == recipient["address"]["countryCode"];
    let residential = recipient["address"]["residential"] == true;
    let wanted = shipment["serviceType"].as_str();
    let list: Vec<&'static Service> = if domestic {
        DOMESTIC
            .iter()
            .filter(|s| match s.code {
                "FEDEX_GROUND" => !residential,
                "GROUND_HOME_DELIVERY" => residential,
                _ => true,
            })
            .collect()
    } else {
        INTERNATIONAL.iter().collect()
    };
    list.into_iter()
        .filter(|s| wanted.is_none_or(|w| w == s.code))
        .collect()
}

async fn rate(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/rate/v1/rates/quotes", &headers).await {
        return r;
    }
    let shipment = &body["requestedShipment"];
    if body["accountNumber"]["value"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "ACCOUNT.NUMBER.MISMATCH",
            "Please provide a valid account number.",
        );
    }
    let recipient = &shipment["recipient"];
    if recipient["address"]["postalCode"] == "00000" {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "RECIPIENT.POSTALCODE.INVALID",
            "Recipient postal code is invalid.",
        );
    }
    let lb = billable_lb(shipment);
    let residential = recipient["address"]["residential"] == true;
    let date = ship_date(shipment, "shipDateStamp");
    let details: Vec<Value> = services_for(shipment, recipient)
        .into_iter()
        .map(|s| {
            let rated = |account: bool| {
                let (net, base, discount, lines) = price(s, lb, residential, account, "type");
                json!({
                    "rateType": if account { "ACCOUNT" } else { "LIST" },
                    "ratedWeightMethod": "ACTUAL",
                    "totalDiscounts": money(discount),
                    "totalBaseCharge": money(base),
                    "totalNetCharge": money(net),
                    "totalNetFedExCharge": money(net),
                    "shipmentRateDetail": {
                        "rateZone": "5", "dimDivisor": 139, "fuelSurchargePercent": 15,
                        "totalSurcharges": money(net - base + discount),
                        "surCharges": lines,
                        "totalBillingWeight": {"units": "LB", "value": lb},
                        "currency": "USD"
                    },
                    "currency": "USD"
                })
            };
            let delivery = add_business_days(date, s.days);
            let days_in_transit = [
                "ONE_DAY",
                "TWO_DAYS",
                "THREE_DAYS",
                "FOUR_DAYS",
                "FIVE_DAYS",
            ][(s.days - 1) as usize];
            json!({
                "serviceType": s.code,
                "serviceName": s.name,
                "packagingType": "YOUR_PACKAGING",
                "ratedShipmentDetails": [rated(true), rated(false)],
                "commit": {
                    "daysInTransit": days_in_transit,
                    "dateDetail": {"dayFormat": format!("{delivery}T20:00:00")},
                    "saturdayDelivery": false
                }
            })
        })
        .collect();
    axum::Json(json!({
        "transactionId": transaction_id(&app),
        "output": {
            "alerts": [{"code": "VIRTUAL.RESPONSE", "message": "This is a simulated response.", "alertType": "NOTE"}],
            "rateReplyDetails": details
        }
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Labels

/// A one-page 4x6 in PDF naming `number`, with a correct cross-reference table.
fn pdf_label(number: &str) -> Vec<u8> {
    let text = format!("BT /F1 28 Tf 20 380 Td (FedEx {number}) Tj ET");
    super::one_page_pdf(432, "Helvetica", &text)
}

fn label(image_type: &str, number: &str) -> (String, &'static str) {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match image_type {
        "ZPLII" | "EPL2" => (
            b64(format!("^XA^PW812^LL1218^FO50,50^A0N,50,50^FDFedEx^FS^FO50,150^BCN,120,Y,N,N^FD{number}^FS^XZ\n").as_bytes()),
            "ZPLII",
        ),
        "PNG" => (PNG_1X1.to_string(), "PNG"),
        _ => (b64(&pdf_label(number)), "PDF"),
    }
}

async fn ship(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/ship/v1/shipments", &headers).await {
        return r;
    }
    let shipment = &body["requestedShipment"];
    let recipient = &shipment["recipients"][0];
    let items = shipment["requestedPackageLineItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if shipment["serviceType"].as_str().is_none() || items.is_empty() || recipient.is_null() {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "INVALID.INPUT.EXCEPTION",
            "Invalid field value in the input",
        );
    }
    if recipient["address"]["postalCode"] == "00000" {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "RECIPIENT.POSTALCODE.INVALID",
            "Recipient postal code is invalid.",
        );
    }
    let Some(service) = services_for(shipment, recipient).into_iter().next() else {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "SERVICE.TYPE.INVALID",
            "The service type is not available for this origin and destination.",
        );
    };
    let image_type = shipment["labelSpecification"]["imageType"]
        .as_str()
        .unwrap_or("PDF");
    let mut numbers: Vec<String> = items
        .iter()
        .map(|_| (app.first_number + app.fedex.next.fetch_add(1, Ordering::Relaxed)).to_string())
        .collect();
    if let Some(reused) = app.sim.take_reissued() {
        numbers[0] = reused;
    }
    let master = numbers[0].clone();
    let now = OffsetDateTime::now_utc();
    {
        let mut shipped = app.fedex.shipped.lock().unwrap();
        for n in &numbers {
            shipped.insert(
                n.clone(),
                Shipped {
                    at: now,
                    cancelled: false,
                    city: recipient["address"]["city"]
                        .as_str()
                        .unwrap_or("MEMPHIS")
                        .to_uppercase(),
                    country: recipient["address"]["countryCode"]
                        .as_str()
                        .unwrap_or("US")
                        .to_string(),
                },
            );
        }
    }
    let pieces: Vec<Value> = numbers
        .iter()
        .zip(&items)
        .enumerate()
        .map(|(i, (n, item))| {
            let (encoded, doc_type) = label(image_type, n);
            json!({
                "masterTrackingNumber": master,
                "trackingNumber": n,
                "packageSequenceNumber": i + 1,
                "customerReferences": item["customerReferences"].clone(),
                "packageDocuments": [{"contentType": "LABEL", "copiesToPrint": 1, "docType": doc_type, "encodedLabel": encoded}]
            })
        })
        .collect();
    let lb = billable_lb(shipment);
    let residential = recipient["address"]["residential"] == true;
    let rating = |account: bool| {
        let (net, base, discount, lines) =
            price(service, lb, residential, account, "surchargeType");
        json!({
            "rateType": if account { "PAYOR_ACCOUNT_PACKAGE" } else { "PAYOR_LIST_PACKAGE" },
            "ratedWeightMethod": "ACTUAL",
            "totalBillingWeight": {"units": "LB", "value": lb},
            "totalBaseCharge": money(base),
            "totalFreightDiscounts": money(discount),
            "totalNetFreight": money(base - discount),
            "totalSurcharges": money(net - base + discount),
            "totalNetFedExCharge": money(net),
            "totalTaxes": 0,
            "totalNetCharge": money(net),
            "surcharges": lines,
            "taxes": [],
            "currency": "USD"
        })
    };
    axum::Json(json!({
        "transactionId": transaction_id(&app),
        "customerTransactionId": headers.get("x-customer-transaction-id").and_then(|v| v.to_str().ok()),
        "output": {"transactionShipments": [{
            "masterTrackingNumber": master,
            "serviceType": service.code,
            "serviceName": service.name,
            "shipDatestamp": ship_date(shipment, "shipDatestamp").to_string(),
            "pieceResponses": pieces,
            "completedShipmentDetail": {
                "usDomestic": shipment["shipper"]["address"]["countryCode"] == "US" && recipient["address"]["countryCode"] == "US",
                "carrierCode": "FDXE",
                "masterTrackingId": {"trackingIdType": "FEDEX", "formId": "0201", "trackingNumber": master},
                "shipmentRating": {"actualRateType": "PAYOR_ACCOUNT_PACKAGE", "shipmentRateDetails": [rating(true), rating(false)]}
            },
            "alerts": []
        }]}
    }))
    .into_response()
}

async fn cancel(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/ship/v1/shipments/cancel", &headers).await {
        return r;
    }
    let number = body["trackingNumber"].as_str().unwrap_or_default();
    let mut shipped = app.fedex.shipped.lock().unwrap();
    let Some(s) = shipped.get_mut(number) else {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "TRACKINGNUMBER.ENTERED.INVALID",
            "Invalid tracking number was entered. Please update and try again.",
        );
    };
    let output = if s.cancelled {
        json!({"cancelledShipment": false, "cancelledHistory": false,
               "alerts": [{"code": "SHIPMENT.ALREADY.CANCELLED", "alertType": "WARNING", "message": "This shipment has already been cancelled."}]})
    } else {
        s.cancelled = true;
        json!({"cancelledShipment": true, "cancelledHistory": true, "successMessage": "Success"})
    };
    axum::Json(json!({"transactionId": transaction_id(&app), "output": output})).into_response()
}

fn scan(
    at: OffsetDateTime,
    code: &str,
    description: &str,
    derived: &str,
    city: &str,
    country: &str,
) -> Value {
    json!({
        "date": at.format(&Rfc3339).unwrap_or_default(),
        "eventType": code,
        "eventDescription": description,
        "derivedStatusCode": derived,
        "exceptionCode": "",
        "scanLocation": {"city": city, "countryCode": country, "residential": false}
    })
}

async fn track(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/track/v1/trackingnumbers", &headers).await {
        return r;
    }
    let asked: Vec<String> = body["trackingInfo"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| {
                    i["trackingNumberInfo"]["trackingNumber"]
                        .as_str()
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    if asked.is_empty() {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "TRACKING.TRACKINGNUMBER.EMPTY",
            "Please provide tracking number.",
        );
    }
    if asked.len() > 30 {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "INVALID.INPUT.EXCEPTION",
            "At most 30 tracking numbers per request.",
        );
    }
    let now = OffsetDateTime::now_utc();
    let shipped = app.fedex.shipped.lock().unwrap();
    let results: Vec<Value> = asked
        .iter()
        .map(|n| {
            let result = match shipped.get(n) {
                None => json!({
                    "trackingNumberInfo": {"trackingNumber": n},
                    "error": {"code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                              "message": "Tracking number cannot be found. Please correct the tracking number and try again."}
                }),
                Some(s) => {
                    let mut events = vec![scan(s.at, SCRIPT[0].0, SCRIPT[0].1, SCRIPT[0].2, "MEMPHIS", "US")];
                    let latest = if s.cancelled {
                        events.push(scan(s.at, "CA", "Shipment cancelled by sender", "CA", "MEMPHIS", "US"));
                        ("CA", "Shipment cancelled")
                    } else {
                        let steps = ((now - s.at).whole_seconds() / STEP_SECS).clamp(0, 4) as usize;
                        for (i, (code, description, derived)) in SCRIPT.iter().enumerate().take(steps + 1).skip(1) {
                            let at = s.at + time::Duration::seconds(STEP_SECS * i as i64);
                            let city = if i >= 2 { s.city.as_str() } else { "MEMPHIS" };
                            let country = if i >= 2 { s.country.as_str() } else { "US" };
                            events.push(scan(at, code, description, derived, city, country));
                        }
                        (SCRIPT[steps].0, SCRIPT[steps].1)
                    };
                    events.reverse();
                    let mut r = json!({
                        "trackingNumberInfo": {"trackingNumber": n, "carrierCode": "FDXE"},
                        "latestStatusDetail": {"code": latest.0, "derivedCode": latest.0, "statusByLocale": latest.1, "description": latest.1},
                        "scanEvents": events
                    });
                    if !matches!(latest.0, "DL" | "CA") {
                        let eta = add_business_days(s.at.date(), 2);
                        r["dateAndTimes"] = json!([{"type": "ESTIMATED_DELIVERY", "dateTime": format!("{eta}T20:00:00")}]);
                    }
                    r
                }
            };
            json!({"trackingNumber": n, "trackResults": [result]})
        })
        .collect();
    axum::Json(
        json!({"transactionId": transaction_id(&app), "output": {"completeTrackResults": results}}),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::sim::{Fault, FaultKind};

    #[test]
    fn pdf_labels_have_a_correct_cross_reference_table() {
        let pdf = pdf_label("700000000001");
        let text = String::from_utf8(pdf.clone()).unwrap();
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[startxref..].starts_with("xref"));
        for (i, line) in text[startxref..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(
                text[offset..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
    }

    #[test]
    fn breakdowns_add_up_in_cents() {
        let (net, base, discount, lines) = price(&DOMESTIC[2], 6, true, true, "type");
        let surcharges: i64 = lines
            .iter()
            .map(|l| (l["amount"].as_f64().unwrap() * 100.0).round() as i64)
            .sum();
        assert_eq!(net, base - discount + surcharges);
    }

    async fn start() -> (Sim, String) {
        let sim = Sim::default();
        let addr = super::super::serve(router(sim.clone()), ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        (sim, format!("http://{addr}"))
    }

    async fn get_token(c: &reqwest::Client, base: &str) -> String {
        let r = c
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "k"),
                ("client_secret", "s"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn shipment(image_type: &str, pieces: usize) -> Value {
        json!({
            "labelResponseOptions": "LABEL",
            "accountNumber": {"value": "740561073"},
            "requestedShipment": {
                "shipper": {"address": {"streetLines": ["1 Peachtree St"], "city": "Atlanta", "postalCode": "30303", "countryCode": "US"},
                            "contact": {"personName": "S", "phoneNumber": "1"}},
                "recipients": [{"address": {"streetLines": ["1 Market St"], "city": "San Francisco", "postalCode": "94105",
                                            "countryCode": "US", "residential": true},
                                "contact": {"personName": "R", "phoneNumber": "2"}}],
                "serviceType": "FEDEX_2_DAY",
                "labelSpecification": {"imageType": image_type, "labelStockType": "PAPER_4X6"},
                "requestedPackageLineItems": vec![json!({"weight": {"units": "LB", "value": 5.5}}); pieces]
            }
        })
    }

    #[tokio::test]
    async fn token_rate_ship_track_cancel_round_trip() {
        let (_sim, base) = start().await;
        let c = reqwest::Client::new();
        let t = get_token(&c, &base).await;

        let mut rate_shipment = shipment("PDF", 1)["requestedShipment"].clone();
        rate_shipment["recipient"] = rate_shipment["recipients"][0].clone();
        let rate = c
            .post(format!("{base}/rate/v1/rates/quotes"))
            .bearer_auth(&t)
            .json(&json!({"accountNumber": {"value": "1"}, "requestedShipment": rate_shipment}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let details = rate["output"]["rateReplyDetails"].as_array().unwrap();
        assert!(details.iter().any(|d| d["serviceType"] == "FEDEX_2_DAY"));

        let ship = c
            .post(format!("{base}/ship/v1/shipments"))
            .bearer_auth(&t)
            .json(&shipment("ZPLII", 2))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let ts = &ship["output"]["transactionShipments"][0];
        let master = ts["masterTrackingNumber"].as_str().unwrap().to_string();
        assert_eq!(master.len(), 12);
        assert_eq!(ts["pieceResponses"][0]["trackingNumber"], master.as_str());
        assert_ne!(ts["pieceResponses"][1]["trackingNumber"], master.as_str());
        let zpl = base64::engine::general_purpose::STANDARD
            .decode(
                ts["pieceResponses"][0]["packageDocuments"][0]["encodedLabel"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        assert!(zpl.starts_with(b"^XA"));

        let track = c.post(format!("{base}/track/v1/trackingnumbers")).bearer_auth(&t)
            .json(&json!({"includeDetailedScans": true, "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": master}},
                                                                        {"trackingNumberInfo": {"trackingNumber": "123456789012"}}]}))
            .send().await.unwrap().json::<Value>().await.unwrap();
        let results = &track["output"]["completeTrackResults"];
        assert_eq!(
            results[0]["trackResults"][0]["latestStatusDetail"]["code"],
            "OC"
        );
        assert_eq!(
            results[1]["trackResults"][0]["error"]["code"],
            "TRACKING.TRACKINGNUMBER.NOTFOUND"
        );

        let cancel = |n: String| {
            c.put(format!("{base}/ship/v1/shipments/cancel")).bearer_auth(&t)
            .json(&json!({"accountNumber": {"value": "1"}, "trackingNumber": n, "deletionControl": "DELETE_ALL_PACKAGES"})).send()
        };
        let first = cancel(master.clone())
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(first["output"]["cancelledShipment"], true);
        let again = cancel(master.clone())
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(again["output"]["cancelledShipment"], false);
        assert_eq!(cancel("999999999999".into()).await.unwrap().status(), 400);
    }

    #[tokio::test]
    async fn unknown_tokens_and_queued_faults_answer_like_fedex() {
        let (sim, base) = start().await;
        let c = reqwest::Client::new();
        let path = "/track/v1/trackingnumbers";
        let call = |t: String| {
            c.post(format!("{base}{path}")).bearer_auth(t)
            .json(&json!({"trackingInfo": [{"trackingNumberInfo": {"trackingNumber": "123456789012"}}]})).send()
        };

        assert_eq!(call("made-up".into()).await.unwrap().status(), 401);
        let t = get_token(&c, &base).await;
        assert_eq!(call(t.clone()).await.unwrap().status(), 200);

        sim.push(Fault {
            kind: FaultKind::Unauthorized,
            path: Some(path.into()),
        });
        assert_eq!(call(t.clone()).await.unwrap().status(), 401);
        assert_eq!(
            call(t).await.unwrap().status(),
            401,
            "the faulted token stays revoked"
        );
        let t = get_token(&c, &base).await;

        sim.push(Fault {
            kind: FaultKind::RateLimited {
                retry_after_secs: Some(3),
            },
            path: Some(path.into()),
        });
        let r = call(t.clone()).await.unwrap();
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers()["retry-after"].to_str().unwrap()
            ),
            (429, "3")
        );

        sim.push(Fault {
            kind: FaultKind::ServerError,
            path: None,
        });
        assert_eq!(call(t.clone()).await.unwrap().status(), 500);

        sim.push(Fault {
            kind: FaultKind::Malformed,
            path: Some(path.into()),
        });
        let body = call(t.clone()).await.unwrap().text().await.unwrap();
        assert!(serde_json::from_str::<Value>(&body).is_err());

        sim.push(Fault {
            kind: FaultKind::Slow { millis: 300 },
            path: Some(path.into()),
        });
        let started = std::time::Instant::now();
        assert_eq!(call(t).await.unwrap().status(), 200);
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(sim.hits(path) >= 8);
    }
}
