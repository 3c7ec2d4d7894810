//! UPS simulator: the OAuth token endpoint and the Rating, Shipping (ship, void, return
//! labels), Track, Address Validation (XAV) and Pickup (create, cancel by PRN) APIs on loopback, with bodies in UPS's shapes (`../shared/carriers/ups/openapi`, the fixtures in
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
    /// Booked pickups by PRN: `true` once cancelled.
    pickups: Mutex<HashMap<String, bool>>,
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
        .route("/api/addressvalidation/{version}/{option}", post(xav))
        .route("/api/pickupcreation/{version}/pickup", post(pickup_create))
        .route(
            "/api/shipments/{version}/pickup/{cancel_by}",
            delete(pickup_cancel),
        )
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

fn rated(service: &str, weight: Decimal, days: u32, options: &[(&'static str, Decimal)]) -> Value {
    let (base, fuel, total) = charges(service, weight);
    let extra: Decimal = options.iter().map(|(_, a)| *a).sum();
    let total = total + extra;
    let mut itemized =
        vec![json!({"Code": "375", "CurrencyCode": "USD", "MonetaryValue": format!("{fuel:.2}")})];
    itemized.extend(options.iter().map(|(code, amount)| {
        json!({"Code": code, "CurrencyCode": "USD", "MonetaryValue": format!("{amount:.2}")})
    }));
    json!({
        "Service": {"Code": service, "Description": "UPS"},
        "BillingWeight": {"UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"}, "Weight": format!("{:.1}", weight.ceil())},
        "TransportationCharges": money(total),
        "BaseServiceCharge": money(base),
        "ItemizedCharges": itemized,
        "ServiceOptionsCharges": money(Decimal::ZERO),
        "TotalCharges": money(total),
        "RatedPackage": [{"Weight": format!("{weight:.1}")}],
        "TimeInTransit": {"PickupDate": "20250314", "ServiceSummary": {
            "Service": {"Description": "UPS"},
            "EstimatedArrival": {"Arrival": {"Date": "20250320"}, "BusinessDaysInTransit": days.to_string(),
                                  "Pickup": {"Date": "20250314"}, "DayOfWeek": "THU"},
            "SaturdayDelivery": if saturday_service(service) { "1" } else { "0" }}}
    })
}

/// The simulator's Saturday services: the air ones (UPS's Saturday delivery is an air
/// accessorial; Ground and Standard have none).
fn saturday_service(service: &str) -> bool {
    matches!(service, "01" | "02" | "07" | "65")
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    }
}

fn decimal(v: &Value) -> Option<Decimal> {
    v.as_str()?.trim().parse().ok()
}

/// The option surcharges for `service` (itemized codes from UPS's accessorial list: 120/121
/// delivery confirmation, 200 dry ice, 300 Saturday delivery, 400 declared value), checking
/// the options as UPS does: delivery confirmation never on a return and at package level
/// only inside the US; dry ice no heavier than its package; Saturday delivery refused at
/// purchase on a service without it (`rating`: left out of the price instead).
/// UPS's refusal of a request: code and message, answered as HTTP 400.
struct Refusal(&'static str, &'static str);

impl Refusal {
    fn answer(self) -> Response {
        ups_error(StatusCode::BAD_REQUEST, self.0, self.1)
    }
}

fn option_charges(
    shipment: &Value,
    service: &str,
    rating: bool,
) -> Result<Vec<(&'static str, Decimal)>, Refusal> {
    let mut out = Vec::new();
    let so = &shipment["ShipmentServiceOptions"];
    let us = |party: &str| {
        matches!(
            shipment[party]["Address"]["CountryCode"].as_str(),
            Some("US" | "PR")
        )
    };
    let domestic = us("ShipTo") && us("ShipFrom");
    let is_return = !shipment["ReturnService"].is_null();
    if so.get("SaturdayDeliveryIndicator").is_some() {
        if saturday_service(service) {
            out.push(("300", dec!(16.00)));
        } else if !rating {
            return Err(Refusal(
                "120511",
                "Saturday Delivery is not available for the requested service.",
            ));
        }
    }
    if let Some(t) = so["DeliveryConfirmation"]["DCISType"].as_str() {
        if is_return || domestic || !matches!(t, "1" | "2") {
            return Err(Refusal(
                "120540",
                "Shipment level Delivery Confirmation is not valid for this shipment.",
            ));
        }
        out.push(("121", if t == "2" { dec!(8.40) } else { dec!(6.95) }));
    }
    for p in as_list(&shipment["Package"]) {
        let po = &p["PackageServiceOptions"];
        if let Some(t) = po["DeliveryConfirmation"]["DCISType"].as_str() {
            if is_return || !domestic || !matches!(t, "2" | "3") {
                return Err(Refusal(
                    "120541",
                    "Package level Delivery Confirmation is not valid for this shipment.",
                ));
            }
            out.push(("120", if t == "3" { dec!(8.40) } else { dec!(6.95) }));
        }
        if let Some(v) = decimal(&po["DeclaredValue"]["MonetaryValue"]) {
            // 1.45 per 100 or part of it, the first 100 included.
            let hundreds = ((v - dec!(100)) / dec!(100)).ceil().max(Decimal::ZERO);
            out.push(("400", hundreds * dec!(1.45)));
        }
        if !po["DryIce"].is_null() {
            let ice = decimal(&po["DryIce"]["DryIceWeight"]["Weight"]).unwrap_or_default();
            let weight = decimal(&p["PackageWeight"]["Weight"]).unwrap_or_default();
            let regulation = po["DryIce"]["RegulationSet"].as_str().unwrap_or("");
            if ice <= Decimal::ZERO || ice > weight || !matches!(regulation, "CFR" | "IATA" | "ADR")
            {
                return Err(Refusal(
                    "120560",
                    "Dry Ice weight must be above zero and no more than the package weight.",
                ));
            }
            out.push(("200", dec!(6.50)));
        }
    }
    Ok(out)
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
    let mut rated_shipments = Vec::new();
    for (s, d) in services {
        match option_charges(shipment, s, true) {
            Ok(extra) => rated_shipments.push(rated(s, weight, *d, &extra)),
            Err(r) => return r.answer(),
        }
    }
    axum::Json(json!({"RateResponse": {
        "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
        "RatedShipment": rated_shipments
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
    let extra = match option_charges(shipment, service, false) {
        Ok(e) => e,
        Err(r) => return r.answer(),
    };
    if !shipment["ReturnService"].is_null() {
        // Shipping.yaml: ShipFrom "Required for return shipment"; Package.Description
        // "Required for shipment with return service".
        let described = as_list(&shipment["Package"])
            .iter()
            .all(|p| p["Description"].as_str().is_some_and(|d| !d.is_empty()));
        if shipment["ShipFrom"].is_null() || !described {
            return ups_error(
                StatusCode::BAD_REQUEST,
                "120124",
                "A return shipment needs ShipFrom and a description of each package.",
            );
        }
    }
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
    let total = total + extra.iter().map(|(_, a)| *a).sum::<Decimal>();
    let mut itemized =
        vec![json!({"Code": "375", "CurrencyCode": "USD", "MonetaryValue": format!("{fuel:.2}")})];
    itemized.extend(extra.iter().map(|(code, amount)| {
        json!({"Code": code, "CurrencyCode": "USD", "MonetaryValue": format!("{amount:.2}")})
    }));
    axum::Json(json!({"ShipmentResponse": {
        "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
        "ShipmentResults": {
            "ShipmentCharges": {
                "BaseServiceCharge": money(base),
                "TransportationCharges": money(total),
                "ItemizedCharges": itemized,
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

/// XAV: request option 1–3, US/PR only (the USPS database). A ZIP of 00000 or no street
/// finds nothing; a street without a house number is ambiguous (two candidates on it);
/// otherwise the address comes back in capitals with a ZIP+4, residential unless it names a
/// suite.
async fn xav(
    State(app): State<App>,
    Path((_version, option)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match guarded_json(&app, "/api/addressvalidation", &headers, &body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if !matches!(option.as_str(), "1" | "2" | "3") {
        return bad_request("Invalid request option");
    }
    let k = &body["XAVRequest"]["AddressKeyFormat"];
    let country = k["CountryCode"].as_str().unwrap_or("");
    if !matches!(country, "US" | "PR") {
        return ups_error(
            StatusCode::BAD_REQUEST,
            "264005",
            "Country Code is invalid or not supported for street level validation.",
        );
    }
    let lines: Vec<String> = as_list(&k["AddressLine"])
        .iter()
        .filter_map(|l| l.as_str().map(str::to_uppercase))
        .collect();
    let city = k["PoliticalDivision2"]
        .as_str()
        .unwrap_or("")
        .to_uppercase();
    let state = k["PoliticalDivision1"]
        .as_str()
        .unwrap_or("")
        .to_uppercase();
    let zip = k["PostcodePrimaryLow"].as_str().unwrap_or("");
    let ok = json!({"ResponseStatus": {"Code": "1", "Description": "Success"}});
    if lines.is_empty() || zip == "00000" {
        return axum::Json(json!({"XAVResponse": {"Response": ok, "NoCandidatesIndicator": ""}}))
            .into_response();
    }
    let commercial = lines
        .iter()
        .any(|l| l.contains("STE") || l.contains("SUITE"));
    let class = |commercial: bool| {
        if commercial {
            json!({"Code": "1", "Description": "Commercial"})
        } else {
            json!({"Code": "2", "Description": "Residential"})
        }
    };
    let candidate = |lines: &[String], plus4: &str, commercial: bool| {
        json!({"AddressClassification": class(commercial), "AddressKeyFormat": {
            "AddressLine": lines, "PoliticalDivision2": city, "PoliticalDivision1": state,
            "PostcodePrimaryLow": zip, "PostcodeExtendedLow": plus4,
            "Region": format!("{city} {state} {zip}-{plus4}"), "CountryCode": country}})
    };
    let numbered = lines[0]
        .split_whitespace()
        .next()
        .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()));
    if !numbered {
        let at = |n: &str| vec![format!("{n} {}", lines[0])];
        return axum::Json(json!({"XAVResponse": {"Response": ok,
            "AmbiguousAddressIndicator": "", "AddressClassification": class(commercial),
            "Candidate": [candidate(&at("100"), "0100", commercial), candidate(&at("200"), "0200", !commercial)]}}))
        .into_response();
    }
    axum::Json(
        json!({"XAVResponse": {"Response": ok, "ValidAddressIndicator": "",
        "AddressClassification": class(commercial),
        "Candidate": [candidate(&lines, "0001", commercial)]}}),
    )
    .into_response()
}

/// Pickup creation, checked as Pickup.yaml requires: the `Request`, date (yyyyMMdd), ready and
/// close times (HHmm, close after ready), an address with a phone, at least one piece, a
/// payment method. Answers a new 11-character PRN, rated when asked.
async fn pickup_create(
    State(app): State<App>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match guarded_json(&app, "/api/pickupcreation", &headers, &body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let p = &body["PickupCreationRequest"];
    let info = &p["PickupDateInfo"];
    let digits = |v: &Value, n: usize| {
        v.as_str()
            .filter(|s| s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string)
    };
    let (Some(_date), Some(ready), Some(close)) = (
        digits(&info["PickupDate"], 8),
        digits(&info["ReadyTime"], 4),
        digits(&info["CloseTime"], 4),
    ) else {
        return bad_request(
            "PickupDateInfo needs PickupDate yyyyMMdd, ReadyTime and CloseTime HHmm",
        );
    };
    if close <= ready {
        return ups_error(
            StatusCode::BAD_REQUEST,
            "9500530",
            "The pickup close time must be later than the ready time.",
        );
    }
    let address = &p["PickupAddress"];
    for field in [
        "CompanyName",
        "ContactName",
        "City",
        "CountryCode",
        "ResidentialIndicator",
    ] {
        if address[field].as_str().is_none_or(str::is_empty) {
            return bad_request(&format!("Missing or invalid PickupAddress {field}"));
        }
    }
    if address["Phone"]["Number"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return bad_request("Missing or invalid pickup phone number");
    }
    if address["PostalCode"].as_str() == Some("00000") {
        return ups_error(
            StatusCode::BAD_REQUEST,
            "9500519",
            "The pickup postal code is invalid.",
        );
    }
    let pieces = as_list(&p["PickupPiece"]);
    if pieces.is_empty()
        || p["Request"].is_null()
        || p["PaymentMethod"].as_str().is_none()
        || p["RatePickupIndicator"].as_str().is_none()
        || p["AlternateAddressIndicator"].as_str().is_none()
    {
        return bad_request("Missing required pickup element");
    }
    let n = app.ups.next.fetch_add(1, Ordering::Relaxed);
    let prn = format!("29SIM{n:06}");
    app.ups.pickups.lock().unwrap().insert(prn.clone(), false);
    let rated = p["RatePickupIndicator"].as_str() == Some("Y");
    let mut answer = json!({"PickupCreationResponse": {
        "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
        "PRN": prn,
        "RateStatus": if rated { json!({"Code": "01", "Description": "Rate available"}) }
                      else { json!({"Code": "04", "Description": "Rate not requested"}) }
    }});
    if rated {
        answer["PickupCreationResponse"]["RateResult"] = json!({
            "RateType": "FD", "CurrencyCode": "USD",
            "ChargeDetail": [
                {"ChargeCode": "B", "ChargeDescription": "BASE CHARGE", "ChargeAmount": "5.80", "TaxAmount": "0.00"},
                {"ChargeCode": "S", "ChargeDescription": "FUEL SURCHARGE", "ChargeAmount": "0.71", "TaxAmount": "0.00"}
            ],
            "GrandTotalOfAllCharge": "6.51"
        });
    }
    axum::Json(answer).into_response()
}

/// Pickup cancel by PRN (`CancelBy` 02, PRN in the `Prn` header): an unknown or cancelled PRN
/// is refused.
async fn pickup_cancel(
    State(app): State<App>,
    Path((_version, cancel_by)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = guard(&app, "/api/shipments/pickup", &headers).await {
        return r;
    }
    if cancel_by != "02" {
        return bad_request("Only cancel by PRN (02) is simulated");
    }
    let prn = headers
        .get("prn")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut pickups = app.ups.pickups.lock().unwrap();
    match pickups.get_mut(&prn) {
        Some(cancelled) if !*cancelled => {
            *cancelled = true;
            axum::Json(json!({"PickupCancelResponse": {
                "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
                "PickupType": "01"
            }}))
            .into_response()
        }
        _ => ups_error(
            StatusCode::BAD_REQUEST,
            "9510151",
            "The pickup request number is not found or the pickup was already cancelled.",
        ),
    }
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
    use crate::sim::{Fault, FaultKind};
    use shiphub_carriers::model::{
        Address, AddressVerdict, PickupRef, PickupRequest, RateRequest, ShipRequest,
    };
    use shiphub_carriers::{Carrier, CarrierError, CarrierHttp};

    /// The simulator on a free port and a UPS adapter on it.
    async fn ups_on_sim() -> (Sim, Box<dyn Carrier>) {
        let sim = Sim::default();
        let addr = crate::sim::serve(router(sim.clone()), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let entry = shiphub_carriers::registry::lookup(shiphub_carriers::CARRIERS, "ups").unwrap();
        let http = CarrierHttp::new(
            reqwest::Client::new(),
            Some(format!("http://{addr}").parse().unwrap()),
        );
        // A client id per simulator: the adapter's token cache is process-wide.
        let client = format!("sim-{}", addr.port());
        let ups = (entry.build)(
            json!({"client_id": client, "client_secret": "s", "account_number": "A1B2C3"}),
            http,
        )
        .unwrap();
        (sim, ups)
    }

    fn address(v: Value) -> Address {
        serde_json::from_value(v).unwrap()
    }

    fn fields(e: &CarrierError) -> Vec<String> {
        match e {
            CarrierError::Rejected { errors, .. } => {
                errors.iter().map(|f| f.field.clone()).collect()
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
    }

    fn shipment(options: Value) -> Value {
        json!({
            "from": {"name": "Shipper", "street": ["1 Peachtree St"], "city": "Atlanta",
                     "state": "GA", "postal_code": "30301", "country": "US", "phone": "4045550100"},
            "to": {"name": "Receiver", "street": ["1 Market St"], "city": "San Francisco",
                   "state": "CA", "postal_code": "94105", "country": "US", "residential": true},
            "parcels": [{"weight": {"value": "2.5", "unit": "kg"}}],
            "ship_date": "2025-03-14",
            "options": options
        })
    }

    #[tokio::test]
    async fn addresses_are_verified_with_verdicts_and_candidates() {
        let (_sim, ups) = ups_on_sim().await;
        let base = json!({"name": "R", "street": ["1 Market St"], "city": "San Francisco",
                          "state": "CA", "postal_code": "94105", "country": "US", "phone": "1"});
        let check = ups.verify_address(&address(base.clone())).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::Deliverable);
        let a = check.address.unwrap();
        assert_eq!(a.postal_code.as_deref(), Some("94105-0001"));
        assert_eq!(a.phone.as_deref(), Some("1"));
        assert!(a.residential);

        let mut none = base.clone();
        none["postal_code"] = json!("00000");
        let check = ups.verify_address(&address(none)).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::Undeliverable);
        assert!(check.candidates.is_empty());

        let mut ambiguous = base.clone();
        ambiguous["street"] = json!(["Market St"]);
        let check = ups.verify_address(&address(ambiguous)).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::Undeliverable);
        assert_eq!(check.candidates.len(), 2);
        assert_eq!(check.candidates[1].street, ["200 MARKET ST"]);
    }

    #[tokio::test]
    async fn address_and_pickup_faults_are_retry_or_refresh() {
        let (sim, ups) = ups_on_sim().await;
        let a = address(
            json!({"name": "R", "street": ["1 Market St"], "city": "San Francisco",
                                "state": "CA", "postal_code": "94105", "country": "US"}),
        );
        sim.push(Fault {
            kind: FaultKind::RateLimited {
                retry_after_secs: Some(2),
            },
            path: Some("/api/addressvalidation".into()),
        });
        let e = ups.verify_address(&a).await.unwrap_err();
        assert!(matches!(e, CarrierError::RateLimited { .. }), "{e:?}");
        sim.push(Fault {
            kind: FaultKind::ServerError,
            path: Some("/api/pickupcreation".into()),
        });
        let req = pickup_request();
        let e = ups.schedule_pickup(&req).await.unwrap_err();
        assert!(matches!(e, CarrierError::Transient { .. }), "{e:?}");
        // An expired token: one refresh, then the booking goes through.
        sim.push(Fault {
            kind: FaultKind::Unauthorized,
            path: Some("/api/pickupcreation".into()),
        });
        assert!(
            !ups.schedule_pickup(&req)
                .await
                .unwrap()
                .confirmation
                .is_empty()
        );
    }

    fn pickup_request() -> PickupRequest {
        serde_json::from_value(json!({
            "address": {"name": "Dock", "company": "Peach Supply Co", "street": ["1 Peachtree St"],
                        "city": "Atlanta", "state": "GA", "postal_code": "30301", "country": "US",
                        "phone": "+1 404 555 0100"},
            "date": "2025-03-17", "ready_time": "09:00:00.0", "close_time": "17:00:00.0",
            "parcel_count": 2, "total_weight": {"value": "6", "unit": "kg"},
            "shipments": [], "instructions": null
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn pickups_are_booked_charged_and_cancelled_once() {
        let (_sim, ups) = ups_on_sim().await;
        let req = pickup_request();
        let c = ups.schedule_pickup(&req).await.unwrap();
        assert_eq!(c.confirmation.len(), 11);
        assert_eq!(c.charge.unwrap().amount(), dec!(6.51));
        let booked = PickupRef {
            confirmation: c.confirmation,
            location: c.location,
            date: req.date,
            address: req.address.clone(),
        };
        ups.cancel_pickup(&booked).await.unwrap();
        let e = ups.cancel_pickup(&booked).await.unwrap_err();
        assert!(matches!(e, CarrierError::Rejected { .. }), "{e:?}");
        let mut bad = req.clone();
        bad.address.postal_code = Some("00000".into());
        let e = ups.schedule_pickup(&bad).await.unwrap_err();
        assert_eq!(fields(&e), ["/address/postal_code"]);
    }

    #[tokio::test]
    async fn options_are_priced_and_refused_where_the_service_lacks_them() {
        let (_sim, ups) = ups_on_sim().await;
        let rate: RateRequest = serde_json::from_value(shipment(
            json!({"saturday_delivery": true, "declared_value": {"amount": "450", "currency": "USD"}}),
        ))
        .unwrap();
        let quotes = ups.rate(&rate).await.unwrap();
        let codes: Vec<_> = quotes.iter().map(|q| q.service.code.as_str()).collect();
        assert_eq!(codes, ["02", "01"], "Ground has no Saturday delivery");
        for q in &quotes {
            let amount = |code: &str| {
                q.breakdown
                    .iter()
                    .find(|c| c.code.as_deref() == Some(code))
                    .map(|c| c.amount.amount())
            };
            assert_eq!(amount("300"), Some(dec!(16.00)));
            assert_eq!(amount("400"), Some(dec!(5.80)));
        }
        let mut ship: Value = shipment(json!({"saturday_delivery": true}));
        ship["service"] = json!("03");
        ship["label_format"] = json!("zpl");
        let ship: ShipRequest = serde_json::from_value(ship).unwrap();
        let e = ups.ship(&ship).await.unwrap_err();
        assert_eq!(fields(&e), ["/options/saturday_delivery"]);
        let mut air = ship.clone();
        air.service = "02".into();
        let wb = ups.ship(&air).await.unwrap();
        assert!(
            wb.breakdown
                .iter()
                .any(|c| c.code.as_deref() == Some("300"))
        );
    }

    #[tokio::test]
    async fn return_labels_are_sold_like_outbound_ones() {
        let (_sim, ups) = ups_on_sim().await;
        let mut v = shipment(json!({}));
        let from = v["from"].take();
        v["from"] = v["to"].take();
        v["from"]["phone"] = json!("4155550100");
        v["to"] = from;
        v["service"] = json!("03");
        v["label_format"] = json!("zpl");
        v["is_return"] = json!(true);
        let ret: ShipRequest = serde_json::from_value(v).unwrap();
        let wb = ups.ship(&ret).await.unwrap();
        assert_eq!(wb.pieces.len(), 1);
        assert!(!wb.label.unwrap().content.is_empty());
    }

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
