//! UPS simulator: the OAuth token endpoint and the Rating, Shipping (ship, void) and Track APIs
//! on loopback, with bodies in UPS's shapes (`../shared/carriers/ups/openapi`, the fixtures in
//! `carriers/src/ups/fixtures`). Tokens are really issued and checked: an API call with an
//! unknown token answers 401 like UPS, so a queued `Unauthorized` fault on an API path shows
//! the adapter's single refresh end to end. Faults come from [`Sim::take_fault`].
//!
//! Every label sold and voided is kept in a ledger (`GET /_sim/ledger`), so a test can compare
//! what the carrier sold with what the hub recorded.
//!
//! Deterministic enough for tests: tracking numbers are sequential 1Z numbers with valid check
//! digits; a shipped parcel's tracking advances one scan every two seconds after shipping
//! (label created, origin scan, departure, out for delivery, delivered).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use super::{FaultWords, Sim};

/// A 1×1 GIF: what the simulator returns when a GIF label is asked for.
const GIF_1X1: &str = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

#[derive(Default)]
struct UpsState {
    tokens: Mutex<HashSet<String>>,
    shipped: Mutex<HashMap<String, Instant>>,
    next: AtomicU64,
    /// Every sale in order: what a carrier bills for.
    ledger: Mutex<Vec<Sale>>,
}

/// One shipment sold: its identification number, the first reference it carried, its
/// package tracking numbers, and whether it was voided since.
#[derive(Clone, Debug, serde::Serialize)]
struct Sale {
    shipment_id: String,
    reference: Option<String>,
    pieces: Vec<String>,
    voided: bool,
}

/// The first reference number of a ship request (shipment level, or the first package's).
fn reference_of(shipment: &Value) -> Option<String> {
    let first = |v: &Value| match v {
        Value::Array(a) => a.first().cloned(),
        Value::Null => None,
        one => Some(one.clone()),
    };
    first(&shipment["ReferenceNumber"])
        .or_else(|| first(&shipment["Package"]).and_then(|p| first(&p["ReferenceNumber"])))
        .and_then(|r| r["Value"].as_str().map(str::to_string))
}

#[derive(Clone)]
struct App {
    sim: Sim,
    ups: Arc<UpsState>,
}

pub fn router(sim: Sim) -> Router {
    let app = App {
        sim: sim.clone(),
        ups: Arc::default(),
    };
    Router::new()
        .route("/security/v1/oauth/token", post(token))
        .route("/api/rating/{version}/{option}", post(rate))
        .route("/api/shipments/{version}/ship", post(ship))
        .route("/api/shipments/{version}/void/cancel/{id}", delete(void))
        .route("/api/track/v1/details/{number}", get(track))
        .route(
            "/_sim/ledger",
            get(|State(app): State<App>| async move {
                axum::Json(app.ups.ledger.lock().unwrap().clone())
            }),
        )
        .with_state(app)
        .merge(super::control(sim))
}

fn ups_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"response": {"errors": [{"code": code, "message": message}]}})),
    )
        .into_response()
}

/// UPS's error codes for the simulated faults.
const FAULT_WORDS: FaultWords = FaultWords {
    unauthorized: ("250002", "Invalid Authentication Information."),
    rate_limited: ("10429", "Rate Limit Exceeded"),
    server_error: ("9999", "General system error"),
    truncated_body: r#"{"RateResponse": {"Response": {"ResponseStatus": {"Code": "1""#,
};

/// The next queued fault for `path`, in UPS's words (see [`Sim::fault`]).
async fn fault(app: &App, path: &str) -> Option<Response> {
    app.sim.fault(path, &FAULT_WORDS, ups_error).await
}

/// `None` when the request carries a token this simulator issued.
fn unauthorized(app: &App, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token {
        Some(t) if app.ups.tokens.lock().unwrap().contains(t) => None,
        _ => Some(ups_error(
            StatusCode::UNAUTHORIZED,
            "250002",
            "Invalid Authentication Information.",
        )),
    }
}

/// A fault queued for `path`, else the 401 of a request without a token this simulator issued.
async fn guard(app: &App, path: &str, headers: &HeaderMap) -> Option<Response> {
    fault(app, path)
        .await
        .or_else(|| unauthorized(app, headers))
}

/// `guard`, then the request's JSON (a 400 when it is none).
async fn guarded_json(
    app: &App,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Response> {
    if let Some(r) = guard(app, path, headers).await {
        return Err(r);
    }
    serde_json::from_slice(body).map_err(|_| bad_request("The request is not valid JSON"))
}

async fn token(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(r) = fault(&app, "/security/v1/oauth/token").await {
        return r;
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic "));
    if !basic {
        return ups_error(StatusCode::UNAUTHORIZED, "10401", "ClientId is Invalid");
    }
    let n = app.ups.next.fetch_add(1, Ordering::Relaxed);
    let token = format!("sim-ups-token-{n}");
    app.ups.tokens.lock().unwrap().insert(token.clone());
    axum::Json(json!({
        "token_type": "Bearer",
        "issued_at": "1741950000000",
        "client_id": "simulator",
        "access_token": token,
        "expires_in": "14399",
        "refresh_count": "0",
        "status": "approved"
    }))
    .into_response()
}

fn money(v: Decimal) -> Value {
    json!({"CurrencyCode": "USD", "MonetaryValue": format!("{:.2}", v.round_dp(2))})
}

/// Total package weight in the request's unit, from `Package[].PackageWeight.Weight`.
fn weight_of(shipment: &Value) -> Decimal {
    let packages = match &shipment["Package"] {
        Value::Array(p) => p.clone(),
        one => vec![one.clone()],
    };
    packages
        .iter()
        .filter_map(|p| {
            p["PackageWeight"]["Weight"]
                .as_str()?
                .parse::<Decimal>()
                .ok()
        })
        .sum::<Decimal>()
        .max(Decimal::ONE)
}

/// Base, fuel (code 375, 15 % of base) and total for a service, each rounded to the cent.
fn charges(service: &str, weight: Decimal) -> (Decimal, Decimal, Decimal) {
    let per_lb = match service {
        "01" | "07" => dec!(6.5),
        "02" | "65" => dec!(4.0),
        _ => dec!(1.6),
    };
    let base = (dec!(12) + per_lb * weight.ceil()).round_dp(2);
    let fuel = (base * dec!(0.15)).round_dp(2);
    (base, fuel, base + fuel)
}

fn rated(service: &str, weight: Decimal, days: u32) -> Value {
    let (base, fuel, total) = charges(service, weight);
    json!({
        "Service": {"Code": service, "Description": "UPS"},
        "BillingWeight": {"UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"}, "Weight": format!("{:.1}", weight.ceil())},
        "TransportationCharges": money(total),
        "BaseServiceCharge": money(base),
        "ItemizedCharges": [{"Code": "375", "CurrencyCode": "USD", "MonetaryValue": format!("{fuel:.2}")}],
        "ServiceOptionsCharges": money(Decimal::ZERO),
        "TotalCharges": money(total),
        "RatedPackage": [{"Weight": format!("{weight:.1}")}],
        "TimeInTransit": {"PickupDate": "20250314", "ServiceSummary": {
            "Service": {"Description": "UPS"},
            "EstimatedArrival": {"Arrival": {"Date": "20250320"}, "BusinessDaysInTransit": days.to_string(),
                                  "Pickup": {"Date": "20250314"}, "DayOfWeek": "THU"}}}
    })
}

fn bad_request(message: &str) -> Response {
    ups_error(StatusCode::BAD_REQUEST, "10002", message)
}

async fn rate(
    State(app): State<App>,
    Path((_version, _option)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match guarded_json(&app, "/api/rating", &headers, &body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let shipment = &body["RateRequest"]["Shipment"];
    let from = shipment["Shipper"]["Address"]["CountryCode"].as_str();
    let to = shipment["ShipTo"]["Address"]["CountryCode"].as_str();
    let weight = weight_of(shipment);
    let services: &[(&str, u32)] = if from == to {
        &[("03", 4), ("02", 2), ("01", 1)]
    } else {
        &[("11", 5), ("65", 3), ("07", 2)]
    };
    axum::Json(json!({"RateResponse": {
        "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
        "RatedShipment": services.iter().map(|(s, d)| rated(s, weight, *d)).collect::<Vec<_>>()
    }}))
    .into_response()
}

/// A 1Z number for shipper `SIM001`, service `svc`, with UPS's check digit.
fn one_z(service: &str, serial: u64) -> String {
    let body = format!("SIM001{service:0>2}{:07}", serial % 10_000_000);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let v = c.to_digit(10).unwrap_or_else(|| (c as u32 - 63) % 10);
            if i % 2 == 1 { v * 2 } else { v }
        })
        .sum();
    format!("1Z{body}{}", (10 - sum % 10) % 10)
}

async fn ship(
    State(app): State<App>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match guarded_json(&app, "/api/shipments", &headers, &body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let req = &body["ShipmentRequest"];
    let shipment = &req["Shipment"];
    let service = shipment["Service"]["Code"].as_str().unwrap_or("03");
    let count = match &shipment["Package"] {
        Value::Array(p) => p.len().max(1),
        _ => 1,
    };
    let zpl = req["LabelSpecification"]["LabelImageFormat"]["Code"].as_str() == Some("ZPL");
    let numbers: Vec<String> = (0..count)
        .map(|_| one_z(service, app.ups.next.fetch_add(1, Ordering::Relaxed)))
        .collect();
    {
        let mut shipped = app.ups.shipped.lock().unwrap();
        for n in &numbers {
            shipped.insert(n.clone(), Instant::now());
        }
    }
    app.ups.ledger.lock().unwrap().push(Sale {
        shipment_id: numbers[0].clone(),
        reference: reference_of(shipment),
        pieces: numbers.clone(),
        voided: false,
    });
    // Sold: a slow answer now leaves a hub killed meanwhile with a sale it never heard of.
    app.sim.lag().await;
    let packages: Vec<Value> = numbers
        .iter()
        .map(|n| {
            let (code, image) = if zpl {
                let zpl = format!(
                    "^XA^PW812^LL1218^FO40,40^A0N,40,40^FDUPS SIMULATOR^FS^FO40,120^BCN,120,Y,N,N^FD{n}^FS^XZ"
                );
                ("ZPL", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, zpl))
            } else {
                ("GIF", GIF_1X1.to_string())
            };
            json!({"TrackingNumber": n,
                   "ShippingLabel": {"ImageFormat": {"Code": code, "Description": code}, "GraphicImage": image}})
        })
        .collect();
    let (base, fuel, total) = charges(service, weight_of(shipment));
    axum::Json(json!({"ShipmentResponse": {
        "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
        "ShipmentResults": {
            "ShipmentCharges": {
                "BaseServiceCharge": money(base),
                "TransportationCharges": money(total),
                "ItemizedCharges": [{"Code": "375", "CurrencyCode": "USD", "MonetaryValue": format!("{fuel:.2}")}],
                "ServiceOptionsCharges": money(Decimal::ZERO),
                "TotalCharges": money(total)
            },
            "BillingWeight": {"UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"}, "Weight": "1.0"},
            "ShipmentIdentificationNumber": numbers[0],
            "PackageResults": packages
        }
    }}))
    .into_response()
}

async fn void(
    State(app): State<App>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = guard(&app, "/api/shipments", &headers).await {
        return r;
    }
    if !app.ups.shipped.lock().unwrap().contains_key(&id) {
        return ups_error(
            StatusCode::BAD_REQUEST,
            "190100",
            "No shipment found within the allowed void period",
        );
    }
    for sale in app.ups.ledger.lock().unwrap().iter_mut() {
        if sale.shipment_id == id {
            sale.voided = true;
        }
    }
    axum::Json(json!({"VoidShipmentResponse": {
        "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
        "SummaryResult": {"Status": {"Code": "1", "Description": "Voided"}}
    }}))
    .into_response()
}

/// The scripted scans: (seconds after shipping, activity type, code, statusCode, description).
const SCRIPT: &[(u64, &str, &str, &str, &str)] = &[
    (
        0,
        "M",
        "MP",
        "003",
        "Shipper created a label, UPS has not received the package yet.",
    ),
    (2, "I", "OR", "038", "Pickup Scan"),
    (4, "I", "DP", "005", "Departed from Facility"),
    (6, "I", "OT", "072", "Out For Delivery Today"),
    (8, "D", "KB", "011", "DELIVERED"),
];

async fn track(State(app): State<App>, Path(number): Path<String>, headers: HeaderMap) -> Response {
    if let Some(r) = guard(&app, "/api/track", &headers).await {
        return r;
    }
    let shipped_at = app.ups.shipped.lock().unwrap().get(&number).copied();
    let Some(shipped_at) = shipped_at else {
        return ups_error(
            StatusCode::NOT_FOUND,
            "151044",
            "No tracking information available for this tracking number",
        );
    };
    let elapsed = shipped_at.elapsed().as_secs();
    let base = time::OffsetDateTime::now_utc() - time::Duration::seconds(elapsed as i64);
    let mut activity: Vec<Value> = SCRIPT
        .iter()
        .filter(|(at, ..)| *at <= elapsed)
        .map(|(at, kind, code, status, text)| {
            let t = base + time::Duration::seconds(*at as i64);
            json!({
                "location": {"address": {"city": "Atlanta", "stateProvince": "GA", "countryCode": "US", "country": "US"}},
                "status": {"type": kind, "code": code, "statusCode": status, "description": text},
                "date": format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day()),
                "time": format!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second()),
                "gmtOffset": "+00:00"
            })
        })
        .collect();
    activity.reverse();
    let current = activity[0]["status"].clone();
    axum::Json(json!({"trackResponse": {"shipment": [{
        "inquiryNumber": number,
        "package": [{"trackingNumber": number, "activity": activity, "currentStatus": current}]
    }]}}))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_z_numbers_carry_ups_check_digits() {
        // 1Z999AA10123456784 is UPS's published example.
        let body = "999AA1012345678";
        let sum: u32 = body
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let v = c.to_digit(10).unwrap_or_else(|| (c as u32 - 63) % 10);
                if i % 2 == 1 { v * 2 } else { v }
            })
            .sum();
        assert_eq!((10 - sum % 10) % 10, 4);
        let n = one_z("03", 1);
        assert_eq!(n.len(), 18);
        assert_ne!(one_z("03", 1), one_z("03", 2));
    }
}
