//! DHL Express simulator: the MyDHL API (`/mydhlapi/rates`, `/mydhlapi/shipments`,
//! `/mydhlapi/shipments/{awb}/tracking`, `/mydhlapi/tracking`) and the Unified Shipment
//! Tracking API (`/track/shipments`) on loopback, answering in the shapes of
//! `../shared/carriers/dhl_express/openapi` and the adapter's fixtures. Point a DHL account's
//! `base_url` at `http://<addr>/mydhlapi` and its `tracking_base_url` at `http://<addr>/track`.
//!
//! - MyDHL has no tokens: every call needs HTTP Basic credentials (any) and the `x-version`
//!   header, else 401 / 400 as DHL answers.
//! - Rates quote Express Worldwide (`P`) and Express 12:00 (`Y`) across borders, Express
//!   Domestic (`N`) inside a country, billed in EUR (CNY for a shipper in China, as a Chinese
//!   account is billed), with base + fuel (`FF`) lines that add up exactly (`rust_decimal`,
//!   whole cents).
//! - Shipments get a 10-digit AWB and a `JD…` licence plate per piece, a PDF or ZPL label
//!   naming the AWB, and `shipmentCharges`.
//! - Tracking walks a shipped AWB through PU, PL, DF, AR, WC, OK, one checkpoint every two
//!   seconds; an AWB it never issued answers 404 "No data found". The Unified API answers for
//!   AWBs it issued and 404 otherwise, and needs a `DHL-API-Key`.
//!
//! - Value-added services (`valueAddedServices[]`, the shipment options) are priced on rates
//!   and shipments as their own lines under their service code (`II` insurance 1 % of the
//!   insured value, at least 7.50; `AA` Saturday delivery 20.00; `SF` direct signature 3.50;
//!   `HC` dry ice 15.00; `HD`/`HV`/`HM`/`HW` lithium 10.00, in the billing currency). A code it does not
//!   sell, or Saturday delivery into China (scripted: no Saturday network there), answers DHL's
//!   `7008` "not available between this origin and destination"; a dangerous-goods service on
//!   a shipment without its `dangerousGoods[].contentId` (and dry ice without
//!   `dryIceTotalNetWeight`) is a 422 as DHL's schema check answers.
//! - `GET /mydhlapi/address-validate` checks `type` (pickup/delivery) and `countryCode`, and
//!   `cityName`'s 45 characters, as DHL does; a place with postal code `00000` or city
//!   `Nowhere` is not served (`address: []`), any other answers one match in DHL's upper case
//!   with a service area and its `GMTOffset` by country.
//! - `POST /mydhlapi/pickups` checks the required fields and formats
//!   (`plannedPickupDateAndTime` with its `GMT±hh:mm`, `closeTime` HH:MM, `shipmentDetails`
//!   with product and packages) and answers a dispatch confirmation number; account
//!   `999999999` is "8003: Account not allowed for this service".
//!   `DELETE /mydhlapi/pickups/{n}` needs `requestorName` and `reason`; an unknown number is
//!   404 "Requested Pickup was not found", a cancelled one 400.
//!
//! Faults ([`Sim::take_fault`], by path): `Unauthorized` → 401, `RateLimited` → 429 (+
//! Retry-After), `ServerError` → 500 `999: Process failure occurred`, `Slow`, `Malformed`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{FaultWords, Sim};

const STEP_SECS: i64 = 2;

/// (code, description) of the scripted checkpoints, from DHL's express code list.
const SCRIPT: [(&str, &str); 6] = [
    ("PU", "Shipment picked up"),
    ("PL", "Processed at location"),
    ("DF", "Departed facility"),
    ("AR", "Arrived at delivery facility"),
    ("WC", "With delivering courier"),
    ("OK", "Delivered"),
];

#[derive(Default)]
struct DhlState {
    shipped: Mutex<HashMap<String, OffsetDateTime>>,
    next: AtomicU64,
    /// Booked pickups by dispatch confirmation number: still booked (true) or cancelled.
    pickups: Mutex<HashMap<String, bool>>,
}

#[derive(Clone)]
struct App {
    sim: Sim,
    dhl: Arc<DhlState>,
    /// Time-seeded first AWB, so numbers stay unique across simulator restarts.
    first: u64,
}

pub fn router(sim: Sim) -> Router {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let app = App {
        sim: sim.clone(),
        dhl: Arc::default(),
        first: 1_000_000_000 + (secs % 800_000) * 10_000,
    };
    Router::new()
        .route("/mydhlapi/rates", post(rates))
        .route("/mydhlapi/shipments", post(shipments))
        .route("/mydhlapi/shipments/{awb}/tracking", get(track_awb))
        .route("/mydhlapi/tracking", get(track_query))
        .route("/track/shipments", get(unified))
        .route("/mydhlapi/address-validate", get(address_validate))
        .route("/mydhlapi/pickups", post(book_pickup))
        .route(
            "/mydhlapi/pickups/{number}",
            axum::routing::delete(cancel_pickup),
        )
        .with_state(app)
        .merge(super::control(sim))
}

fn dhl_error(status: StatusCode, code: &str, message: &str) -> Response {
    let detail = if code.is_empty() {
        message.to_string()
    } else {
        format!("{code}: {message}")
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        axum::Json(json!({"instance": "/expressapi", "detail": detail,
            "title": status.canonical_reason().unwrap_or("Error"), "message": message,
            "status": status.as_u16().to_string()})),
    )
        .into_response()
}

const FAULT_WORDS: FaultWords = FaultWords {
    unauthorized: ("", "Invalid credentials"),
    rate_limited: ("", "Too many requests"),
    server_error: (
        "999",
        "Process failure occurred. Process ID associated for that transaction (1234567890)",
    ),
    truncated_body: r#"{"products": [{"productName": "EXPRESS WORLDWIDE", "productCode": "P""#,
};

async fn fault(app: &App, path: &str) -> Option<Response> {
    app.sim.fault(path, &FAULT_WORDS, dhl_error).await
}

/// MyDHL's checks on every call: Basic credentials and `x-version`.
fn refused(headers: &HeaderMap) -> Option<Response> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic "));
    if !basic {
        return Some(dhl_error(
            StatusCode::UNAUTHORIZED,
            "",
            "Invalid credentials",
        ));
    }
    if headers.get("x-version").is_none() {
        return Some(dhl_error(
            StatusCode::BAD_REQUEST,
            "",
            "Missing mandatory parameters: x-version",
        ));
    }
    None
}

/// Sum of `packages[].weight` (read from the JSON number's text, never a float), at least 1.
fn weight(packages: &Value) -> Decimal {
    packages
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["weight"].as_number().map(|w| w.to_string()))
                .filter_map(|w| w.parse::<Decimal>().ok())
                .sum::<Decimal>()
        })
        .unwrap_or_default()
        .max(Decimal::ONE)
}

/// (base, fuel, total) for a product, whole cents; fuel is 27.5 % of base.
fn charges(product: &str, weight: Decimal) -> (Decimal, Decimal, Decimal) {
    let (start, per_kg) = match product {
        "Y" => (dec!(48), dec!(14)),
        "N" => (dec!(12), dec!(2.5)),
        _ => (dec!(38), dec!(11)),
    };
    let base = (start + per_kg * weight.ceil()).round_dp(2);
    let fuel = (base * dec!(0.275)).round_dp(2);
    (base, fuel, base + fuel)
}

fn name(product: &str) -> &'static str {
    match product {
        "Y" => "EXPRESS 12:00",
        "N" => "EXPRESS DOMESTIC",
        _ => "EXPRESS WORLDWIDE",
    }
}

fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

async fn rates(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = fault(&app, "/mydhlapi/rates").await {
        return r;
    }
    if let Some(r) = refused(&headers) {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return dhl_error(StatusCode::BAD_REQUEST, "", "The request is not valid JSON");
    };
    let from = body["customerDetails"]["shipperDetails"]["countryCode"].as_str();
    let to = body["customerDetails"]["receiverDetails"]["countryCode"].as_str();
    let w = weight(&body["packages"]);
    let billed = billing_currency(from);
    let vas = match services(&body["valueAddedServices"], to, false) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let products: &[(&str, u32)] = if from == to {
        &[("N", 1)]
    } else {
        &[("P", 3), ("Y", 2)]
    };
    let list: Vec<Value> = products
        .iter()
        .map(|(p, days)| {
            let (base, fuel, total) = charges(p, w);
            let extra: Decimal = vas.iter().map(|(_, _, price)| *price).sum();
            let total = total + extra;
            let mut lines = vec![
                json!({"name": name(p), "price": num(base)}),
                json!({"name": "FUEL SURCHARGE", "serviceCode": "FF", "localServiceCode": "FF", "serviceTypeCode": "SCH", "price": num(fuel)}),
            ];
            lines.extend(vas.iter().map(|(code, n, price)| {
                json!({"name": n, "serviceCode": code, "localServiceCode": code, "serviceTypeCode": "XCH", "price": num(*price)})
            }));
            json!({
                "productName": name(p), "productCode": p, "localProductCode": p,
                "networkTypeCode": "TD", "isCustomerAgreement": false,
                "weight": {"volumetric": 0, "provided": num(w), "unitOfMeasurement": "metric"},
                "totalPrice": [{"currencyType": "BILLC", "priceCurrency": billed, "price": num(total)}],
                "detailedPriceBreakdown": [{"currencyType": "BILLC", "priceCurrency": billed, "breakdown": lines}],
                "deliveryCapabilities": {"deliveryTypeCode": "QDDC", "totalTransitDays": days}
            })
        })
        .collect();
    axum::Json(json!({"products": list})).into_response()
}

/// The account's billing currency (`BILLC`): the sim's accounts are German, except that a
/// shipper in China ships on a Chinese account, billed in CNY.
fn billing_currency(shipper_country: Option<&str>) -> &'static str {
    match shipper_country {
        Some("CN") => "CNY",
        _ => "EUR",
    }
}

/// A one-page PDF naming `awb`, with a correct cross-reference table.
fn pdf(awb: &str) -> Vec<u8> {
    let stream = format!("BT /F1 24 Tf 24 400 Td (DHL EXPRESS WAYBILL {awb}) Tj ET");
    super::one_page_pdf(576, "Courier", &stream)
}

async fn shipments(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = fault(&app, "/mydhlapi/shipments").await {
        return r;
    }
    if let Some(r) = refused(&headers) {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return dhl_error(StatusCode::BAD_REQUEST, "", "The request is not valid JSON");
    };
    let Some(product) = body["productCode"].as_str().map(str::to_string) else {
        return dhl_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
            "#/productCode: required key [productCode] not found",
        );
    };
    let packages = body["content"]["packages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if packages.is_empty() {
        return dhl_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
            "#/content/packages: expected minimum item count: 1, found: 0",
        );
    }
    let to = body["customerDetails"]["receiverDetails"]["postalAddress"]["countryCode"].as_str();
    let vas = match services(&body["valueAddedServices"], to, true) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let n = app.dhl.next.fetch_add(1, Ordering::Relaxed);
    let awb = format!("{}", app.first + n);
    app.dhl
        .shipped
        .lock()
        .unwrap()
        .insert(awb.clone(), OffsetDateTime::now_utc());
    let zpl = body["outputImageProperties"]["encodingFormat"].as_str() == Some("zpl");
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let (content, format) = if zpl {
        (
            b64(format!("^XA^PW812^LL1624^FO50,50^A0N,50,50^FDDHL EXPRESS^FS^FO50,150^BCN,120,Y,N,N^FD{awb}^FS^XZ\n").as_bytes()),
            "ZPL",
        )
    } else {
        (b64(&pdf(&awb)), "PDF")
    };
    let pieces: Vec<Value> = (1..=packages.len())
        .map(|i| json!({"referenceNumber": i, "trackingNumber": format!("JD0146{awb}{i:04}")}))
        .collect();
    let (base, fuel, total) = charges(&product, weight(&body["content"]["packages"]));
    let total = total + vas.iter().map(|(_, _, p)| *p).sum::<Decimal>();
    let mut breakdown = vec![
        json!({"name": name(&product), "price": num(base)}),
        json!({"name": "FUEL SURCHARGE", "price": num(fuel), "typeCode": "FF"}),
    ];
    breakdown.extend(
        vas.iter()
            .map(|(code, n, p)| json!({"name": n, "price": num(*p), "typeCode": code})),
    );
    let billed = billing_currency(
        body["customerDetails"]["shipperDetails"]["postalAddress"]["countryCode"].as_str(),
    );
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "shipmentTrackingNumber": awb,
            "trackingUrl": format!("/mydhlapi/shipments/{awb}/tracking"),
            "packages": pieces,
            "documents": [{"imageFormat": format, "content": content, "typeCode": "label"}],
            "shipmentCharges": [{"currencyType": "BILLC", "priceCurrency": billed, "price": num(total),
                "serviceBreakdown": breakdown}]
        })),
    )
        .into_response()
}

/// A JSON number's exact decimal value.
fn dec_of(v: &Value) -> Option<Decimal> {
    v.as_number().and_then(|n| n.to_string().parse().ok())
}

/// The value-added services asked for, each as (code, DHL's name, price); DHL's refusal for
/// one it does not sell on the lane. On shipments, dangerous goods must carry their content.
#[allow(clippy::result_large_err)]
fn services(
    list: &Value,
    to: Option<&str>,
    shipment: bool,
) -> Result<Vec<(String, &'static str, Decimal)>, Response> {
    let mut out = Vec::new();
    for (i, v) in list.as_array().into_iter().flatten().enumerate() {
        let code = v["serviceCode"].as_str().unwrap_or_default();
        let unavailable = || {
            dhl_error(
                StatusCode::BAD_REQUEST,
                "7008",
                &format!(
                    "The requested Special Service Code  #/valueAddedServices/{i}/serviceCode '{code}' is not available between this origin and destination."
                ),
            )
        };
        let (name, price) = match code {
            "II" => {
                let value = dec_of(&v["value"]).unwrap_or_default();
                if value <= Decimal::ZERO || v["currency"].as_str().is_none_or(|c| c.len() != 3) {
                    return Err(dhl_error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "",
                        &format!("#/valueAddedServices/{i}: insurance needs value and currency"),
                    ));
                }
                (
                    "SHIPMENT INSURANCE",
                    (value / dec!(100)).round_dp(2).max(dec!(7.50)),
                )
            }
            "AA" if to == Some("CN") => return Err(unavailable()),
            "AA" => ("SATURDAY DELIVERY", dec!(20)),
            "SF" => ("DIRECT SIGNATURE", dec!(3.50)),
            "HC" => ("DRY ICE UN1845", dec!(15)),
            "HD" => ("LITHIUM ION PI966 SECTION II", dec!(10)),
            "HV" => ("LITHIUM ION PI967-SECTION II", dec!(10)),
            "HM" => ("LITHIUM METAL", dec!(10)),
            "HW" => ("LITHIUM METAL PI970-SECTION II", dec!(10)),
            "DD" => ("DUTY TAX PAID", Decimal::ZERO),
            "WY" => ("PAPERLESS TRADE", Decimal::ZERO),
            _ => return Err(unavailable()),
        };
        // `/rates` takes `supermodelIoLogisticsExpressValueAddedServicesRates`: no
        // `dangerousGoods` (additionalProperties: false).
        if !shipment && v.get("dangerousGoods").is_some() {
            return Err(dhl_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
                &format!(
                    "#/valueAddedServices/{i}: extraneous key [dangerousGoods] is not permitted"
                ),
            ));
        }
        if shipment && matches!(code, "HC" | "HD" | "HV" | "HM" | "HW") {
            let dg = &v["dangerousGoods"][0];
            let ok = dg["contentId"].is_string()
                && (code != "HC" || dec_of(&dg["dryIceTotalNetWeight"]).is_some());
            if !ok {
                return Err(dhl_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "",
                    &format!(
                        "#/valueAddedServices/{i}/dangerousGoods: required key [contentId] not found"
                    ),
                ));
            }
        }
        if !price.is_zero() {
            out.push((code.to_string(), name, price));
        }
    }
    Ok(out)
}

/// The service area's GMT offset by country (standard time).
fn gmt_offset(country: &str) -> &'static str {
    match country {
        "GB" | "PT" | "IE" => "+00:00",
        "US" => "-05:00",
        "CA" => "-05:00",
        "CN" | "HK" | "SG" => "+08:00",
        "JP" | "KR" => "+09:00",
        "AU" => "+10:00",
        _ => "+01:00",
    }
}

fn query_map(q: Option<String>) -> HashMap<String, String> {
    url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

async fn address_validate(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(r) = fault(&app, "/mydhlapi/address-validate").await {
        return r;
    }
    if let Some(r) = refused(&headers) {
        return r;
    }
    let q = query_map(q);
    let kind = q.get("type").map(String::as_str);
    let country = q.get("countryCode").map(String::as_str).unwrap_or_default();
    if kind.is_none() || country.is_empty() {
        return dhl_error(
            StatusCode::BAD_REQUEST,
            "",
            "Missing mandatory parameters: type, countryCode",
        );
    }
    if !matches!(kind, Some("pickup" | "delivery")) || country.len() != 2 {
        return dhl_error(
            StatusCode::BAD_REQUEST,
            "",
            "Parameters not having correct format: type (pickup|delivery), countryCode (length=2)",
        );
    }
    let city = q.get("cityName").cloned().unwrap_or_default();
    if city.chars().count() > 45 {
        return dhl_error(
            StatusCode::BAD_REQUEST,
            "",
            "Parameters not having correct format: cityName (maxLength=45)",
        );
    }
    let postal = q.get("postalCode").cloned().unwrap_or_default();
    if postal == "00000" || city.eq_ignore_ascii_case("nowhere") {
        return axum::Json(json!({"warnings": [], "address": []})).into_response();
    }
    let upper = city.to_uppercase();
    let area: String = upper
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(3)
        .collect();
    axum::Json(json!({"address": [{
        "countryCode": country, "postalCode": postal, "cityName": upper,
        "serviceArea": {"code": area, "description": format!("{upper}-{country}"),
                        "GMTOffset": gmt_offset(country)}}]}))
    .into_response()
}

fn well_formed_planned(s: &str) -> bool {
    // 2025-03-17T10:30:00 GMT+01:00 (DHL's examples write the space, or none).
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let tail = s.get(19..).map(str::trim_start).unwrap_or_default();
    b.len() >= 28
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && tail.len() == 9
        && tail.starts_with("GMT")
        && matches!(tail.as_bytes()[3], b'+' | b'-')
}

async fn book_pickup(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = fault(&app, "/mydhlapi/pickups").await {
        return r;
    }
    if let Some(r) = refused(&headers) {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return dhl_error(StatusCode::BAD_REQUEST, "", "The request is not valid JSON");
    };
    let invalid = |m: &str| dhl_error(StatusCode::UNPROCESSABLE_ENTITY, "", m);
    let planned = body["plannedPickupDateAndTime"]
        .as_str()
        .unwrap_or_default();
    if !well_formed_planned(planned) {
        return invalid("#/plannedPickupDateAndTime: string does not match the date-time format");
    }
    let close = body["closeTime"].as_str().unwrap_or("18:00");
    let close_ok = close.len() == 5
        && close.as_bytes()[2] == b':'
        && close[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && close[3..].parse::<u8>().is_ok_and(|m| m < 60);
    if !close_ok {
        return invalid(
            "#/closeTime: string does not match pattern ([0-1][0-9]|2[0-3]):([0-5][0-9])",
        );
    }
    let Some(account) = body["accounts"][0]["number"].as_str() else {
        return invalid("#: required key [accounts] not found");
    };
    if account == "999999999" {
        return dhl_error(
            StatusCode::BAD_REQUEST,
            "8003",
            "Account not allowed for this service. Please contact your DHL Express representative.",
        );
    }
    let shipper = &body["customerDetails"]["shipperDetails"];
    if !shipper["postalAddress"]["countryCode"].is_string()
        || !shipper["contactInformation"]["phone"].is_string()
    {
        return invalid(
            "#/customerDetails/shipperDetails: required key [postalAddress, contactInformation] not found",
        );
    }
    let details = body["shipmentDetails"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if details.is_empty() {
        return invalid("#/shipmentDetails: expected minimum item count: 1, found: 0");
    }
    for (i, d) in details.iter().enumerate() {
        if !d["productCode"].is_string()
            || !d["isCustomsDeclarable"].is_boolean()
            || d["packages"].as_array().is_none_or(Vec::is_empty)
        {
            return invalid(&format!(
                "#/shipmentDetails/{i}: required key [productCode, isCustomsDeclarable, packages] not found"
            ));
        }
    }
    let origin = shipper["postalAddress"]["cityName"]
        .as_str()
        .unwrap_or("DHL")
        .to_uppercase();
    let prefix: String = origin
        .chars()
        .filter(char::is_ascii_alphabetic)
        .chain("XXX".chars())
        .take(3)
        .collect();
    let n = app.dhl.next.fetch_add(1, Ordering::Relaxed);
    let number = format!(
        "{prefix}{}{:06}",
        &planned[2..4],
        (app.first + n) % 1_000_000
    );
    app.dhl.pickups.lock().unwrap().insert(number.clone(), true);
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "dispatchConfirmationNumbers": [number],
            "readyByTime": &planned[11..16],
            "nextPickupDate": &planned[..10],
        })),
    )
        .into_response()
}

async fn cancel_pickup(
    State(app): State<App>,
    Path(number): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(r) = fault(&app, "/mydhlapi/pickups").await {
        return r;
    }
    if let Some(r) = refused(&headers) {
        return r;
    }
    let q = query_map(q);
    for p in ["requestorName", "reason"] {
        if q.get(p).is_none_or(|v| v.trim().is_empty()) {
            return dhl_error(
                StatusCode::BAD_REQUEST,
                "",
                &format!("Missing mandatory parameters: {p}"),
            );
        }
    }
    let mut booked = app.dhl.pickups.lock().unwrap();
    match booked.get(&number).copied() {
        None => dhl_error(
            StatusCode::NOT_FOUND,
            "",
            "Cancellation of booking was not successful. Requested Pickup was not found",
        ),
        Some(false) => dhl_error(
            StatusCode::BAD_REQUEST,
            "",
            "Cancellation of booking was not successful. Pickup already cancelled or completed",
        ),
        Some(true) => {
            booked.insert(number.clone(), false);
            axum::Json(json!({"dispatchConfirmationNumber": number, "status": "cancelled"}))
                .into_response()
        }
    }
}

/// The checkpoints reached so far, newest first (as DHL lists them).
fn events(shipped: OffsetDateTime) -> Vec<Value> {
    let elapsed = (OffsetDateTime::now_utc() - shipped).whole_seconds();
    let mut out: Vec<Value> = SCRIPT
        .iter()
        .enumerate()
        .filter(|(i, _)| *i as i64 * STEP_SECS <= elapsed)
        .map(|(i, (code, text))| {
            let t = shipped + time::Duration::seconds(i as i64 * STEP_SECS);
            json!({"date": format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
                   "time": format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
                   "GMTOffset": "+00:00", "typeCode": code, "description": text,
                   "serviceArea": [{"code": "CGN", "description": "Cologne-DE"}]})
        })
        .collect();
    out.reverse();
    out
}

fn tracking_answer(app: &App, awb: &str) -> Response {
    let shipped = app.dhl.shipped.lock().unwrap().get(awb).copied();
    let Some(at) = shipped else {
        return dhl_error(StatusCode::NOT_FOUND, "", "No data found");
    };
    axum::Json(
        json!({"shipments": [{"shipmentTrackingNumber": awb, "status": "Success",
        "productCode": "P", "events": events(at), "pieces": []}]}),
    )
    .into_response()
}

async fn track_awb(
    State(app): State<App>,
    Path(awb): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = fault(&app, "/mydhlapi/shipments").await {
        return r;
    }
    if let Some(r) = refused(&headers) {
        return r;
    }
    tracking_answer(&app, &awb)
}

/// `GET /tracking?pieceTrackingNumber=JD0146<awb><nnnn>`: the piece's shipment.
async fn track_query(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(r) = fault(&app, "/mydhlapi/tracking").await {
        return r;
    }
    if let Some(r) = refused(&headers) {
        return r;
    }
    let awb = super::query_value(&q, "shipmentTrackingNumber").or_else(|| {
        super::query_value(&q, "pieceTrackingNumber").and_then(|p| {
            p.strip_prefix("JD0146")
                .map(|s| s[..s.len().saturating_sub(4)].to_string())
        })
    });
    match awb {
        Some(awb) => tracking_answer(&app, &awb),
        None => dhl_error(
            StatusCode::BAD_REQUEST,
            "",
            "Missing mandatory parameters: shipmentTrackingNumber",
        ),
    }
}

/// The Unified API: `GET /track/shipments?trackingNumber=&service=express`.
async fn unified(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    if let Some(r) = fault(&app, "/track/shipments").await {
        return r;
    }
    if headers.get("DHL-API-Key").is_none() {
        return dhl_error(StatusCode::UNAUTHORIZED, "", "Unauthorized");
    }
    let number = super::query_value(&q, "trackingNumber").unwrap_or_default();
    let shipped = app.dhl.shipped.lock().unwrap().get(&number).copied();
    let Some(at) = shipped else {
        return dhl_error(
            StatusCode::NOT_FOUND,
            "",
            "No shipment with given tracking number found.",
        );
    };
    let events: Vec<Value> = events(at)
        .into_iter()
        .map(|e| {
            let code = e["typeCode"].as_str().unwrap_or_default();
            let status = if code == "OK" { "delivered" } else { "transit" };
            json!({"timestamp": format!("{}T{}Z", e["date"].as_str().unwrap_or_default(), e["time"].as_str().unwrap_or_default()),
                   "statusCode": status, "status": e["description"], "description": e["description"],
                   "location": {"address": {"countryCode": "DE", "addressLocality": "Cologne"}}})
        })
        .collect();
    axum::Json(json!({"shipments": [{"id": number, "service": "express",
        "status": events.first().cloned().unwrap_or(Value::Null), "events": events}]}))
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

    /// The real adapter against this simulator on a free loopback port.
    async fn adapter(sim: &Sim, account: &str) -> Box<dyn Carrier> {
        let addr = crate::sim::serve(router(sim.clone()), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let entry = shiphub_carriers::registry::lookup(shiphub_carriers::CARRIERS, "dhl_express")
            .expect("dhl_express is registered");
        let http = CarrierHttp::new(
            reqwest::Client::new(),
            Some(format!("http://{addr}/mydhlapi").parse().unwrap()),
        );
        (entry.build)(
            json!({"api_key": "k", "api_secret": "s", "account_number": account}),
            http,
        )
        .unwrap()
    }

    fn bonn() -> Value {
        json!({"name": "Anna Becker", "company": "Becker Labor GmbH", "street": ["Charles-de-Gaulle-Str. 20"],
               "city": "Bonn", "postal_code": "53113", "country": "DE", "phone": "+49 228 1820"})
    }

    fn shipment(to: Value, options: Value) -> Value {
        json!({"from": bonn(), "to": to,
               "parcels": [{"weight": {"value": "3", "unit": "kg"}}, {"weight": {"value": "2", "unit": "kg"}}],
               "options": options})
    }

    fn berlin() -> Value {
        json!({"name": "Jonas Weber", "street": ["Unter den Linden 77"], "city": "Berlin",
               "postal_code": "10117", "country": "DE", "phone": "+49 30 2266 0"})
    }

    fn pickup(date: time::Date) -> PickupRequest {
        PickupRequest {
            address: serde_json::from_value(bonn()).unwrap(),
            date,
            ready_time: time::macros::time!(10:00),
            close_time: time::macros::time!(17:30),
            parcel_count: 2,
            total_weight: serde_json::from_value(json!({"value": "5", "unit": "kg"})).unwrap(),
            shipments: Vec::new(),
            instructions: Some("Reception, ground floor".into()),
        }
    }

    fn fields(e: &CarrierError) -> Vec<String> {
        match e {
            CarrierError::Rejected { errors, .. } => {
                errors.iter().map(|f| f.field.clone()).collect()
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn options_are_priced_and_bought_as_value_added_services() {
        let sim = Sim::default();
        let dhl = adapter(&sim, "123456789").await;
        let options = json!({"signature": "direct", "saturday_delivery": true,
            "declared_value": {"amount": "2000.00", "currency": "EUR"},
            "dry_ice": {"value": "1.5", "unit": "kg"}, "lithium_batteries": {"material": "ion", "packing": "contained_in_equipment"}});
        let req: RateRequest = serde_json::from_value(shipment(berlin(), options.clone())).unwrap();
        let plain: RateRequest = serde_json::from_value(shipment(berlin(), json!({}))).unwrap();

        let q = dhl.rate(&req).await.unwrap().remove(0);
        let base = dhl.rate(&plain).await.unwrap().remove(0);

        // 20 Saturday + 3.50 signature + 20 insurance (1 % of 2000) + 15 dry ice + 10 lithium.
        assert_eq!(q.total.amount() - base.total.amount(), dec!(68.50));
        let codes: Vec<&str> = q
            .breakdown
            .iter()
            .filter_map(|c| c.code.as_deref())
            .collect();
        assert_eq!(codes, ["FF", "SF", "AA", "II", "HC", "HV"]);
        assert_eq!(
            q.breakdown
                .iter()
                .map(|c| c.amount.amount())
                .sum::<Decimal>(),
            q.total.amount()
        );

        let mut ship = shipment(berlin(), options);
        ship["service"] = json!("N");
        ship["label_format"] = json!("pdf");
        let ship: ShipRequest = serde_json::from_value(ship).unwrap();
        let wb = dhl.ship(&ship).await.unwrap();
        assert_eq!(wb.total, Some(q.total));
        assert!(wb.breakdown.iter().any(|c| c.code.as_deref() == Some("HC")));
    }

    #[test]
    fn value_added_services_are_checked_as_dhl_checks_them() {
        let status = |list: Value, shipment: bool| {
            services(&list, Some("DE"), shipment)
                .err()
                .map(|r| r.status().as_u16())
        };
        assert_eq!(status(json!([{"serviceCode": "ZZ"}]), false), Some(400));
        assert_eq!(
            status(
                json!([{"serviceCode": "HC", "dangerousGoods": [{"contentId": "901"}]}]),
                false
            ),
            Some(422)
        );
        assert_eq!(status(json!([{"serviceCode": "HC"}]), true), Some(422));
        assert_eq!(
            status(
                json!([{"serviceCode": "HC", "dangerousGoods": [{"contentId": "901"}]}]),
                true
            ),
            Some(422)
        );
        assert_eq!(
            status(
                json!([{"serviceCode": "HC", "dangerousGoods": [{"contentId": "901", "dryIceTotalNetWeight": 2.5}]}]),
                true
            ),
            None
        );
        assert_eq!(
            status(json!([{"serviceCode": "II", "value": 100}]), true),
            Some(422)
        );
        let priced = services(
            &json!([{"serviceCode": "II", "value": 100, "currency": "EUR"}, {"serviceCode": "DD"}]),
            Some("US"),
            true,
        )
        .unwrap();
        assert_eq!(
            priced,
            [("II".to_string(), "SHIPMENT INSURANCE", dec!(7.50))]
        );
    }

    #[tokio::test]
    async fn an_option_dhl_does_not_sell_on_the_lane_is_refused_on_its_field() {
        let sim = Sim::default();
        let dhl = adapter(&sim, "123456789").await;
        let shanghai = json!({"name": "Li Wei", "street": ["1 Century Avenue"], "city": "Shanghai",
            "postal_code": "200120", "country": "CN", "phone": "13800138000"});
        let mut v = shipment(shanghai, json!({"saturday_delivery": true}));
        v["customs"] = json!({"incoterm": "DAP", "content_type": "merchandise",
            "items": [{"description": "Lab glassware", "quantity": 1,
                "unit_value": {"amount": "80.00", "currency": "EUR"},
                "unit_weight": {"value": "5", "unit": "kg"}, "hs_code": "701790", "origin_country": "DE"}]});
        let req: RateRequest = serde_json::from_value(v).unwrap();
        let e = dhl.rate(&req).await.unwrap_err();
        assert_eq!(fields(&e), ["/options/saturday_delivery"]);
    }

    #[tokio::test]
    async fn addresses_are_served_or_not_and_dhl_input_checks_name_the_field() {
        let sim = Sim::default();
        let dhl = adapter(&sim, "123456789").await;
        let served: Address = serde_json::from_value(berlin()).unwrap();
        let check = dhl.verify_address(&served).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::Deliverable);
        assert_eq!(check.address.as_ref(), Some(&served));
        assert_eq!(check.reasons[0].code, "BER");

        let mut nowhere = berlin();
        nowhere["city"] = json!("Nowhere");
        let nowhere: Address = serde_json::from_value(nowhere).unwrap();
        let check = dhl.verify_address(&nowhere).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::Undeliverable);

        sim.push(Fault {
            kind: FaultKind::RateLimited {
                retry_after_secs: Some(1),
            },
            path: Some("/mydhlapi/address-validate".into()),
        });
        let e = dhl.verify_address(&served).await.unwrap_err();
        assert!(matches!(e, CarrierError::RateLimited { .. }), "{e:?}");
    }

    #[tokio::test]
    async fn a_pickup_is_booked_with_the_areas_offset_cancelled_once_and_faults_map() {
        let sim = Sim::default();
        let dhl = adapter(&sim, "123456789").await;
        let date = OffsetDateTime::now_utc().date().next_day().unwrap();
        let req = pickup(date);

        let c = dhl.schedule_pickup(&req).await.unwrap();
        assert!(c.confirmation.starts_with("BON"), "{c:?}");
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let booked = PickupRef {
            confirmation: c.confirmation.clone(),
            location: None,
            date,
            address: req.address.clone(),
        };
        dhl.cancel_pickup(&booked).await.unwrap();
        assert_eq!(
            fields(&dhl.cancel_pickup(&booked).await.unwrap_err()),
            ["/confirmation"]
        );
        let unknown = PickupRef {
            confirmation: "PRG211126000382".into(),
            ..booked.clone()
        };
        assert_eq!(
            fields(&dhl.cancel_pickup(&unknown).await.unwrap_err()),
            ["/confirmation"]
        );

        sim.push(Fault {
            kind: FaultKind::ServerError,
            path: Some("/mydhlapi/pickups".into()),
        });
        let e = dhl.schedule_pickup(&req).await.unwrap_err();
        assert!(
            matches!(
                e,
                CarrierError::Transient {
                    maybe_processed: true,
                    ..
                }
            ),
            "{e:?}"
        );

        let mut nowhere = req.clone();
        nowhere.address.postal_code = Some("00000".into());
        assert_eq!(
            fields(&dhl.schedule_pickup(&nowhere).await.unwrap_err()),
            ["/address"]
        );

        let refused = adapter(&sim, "999999999").await;
        let e = refused.schedule_pickup(&req).await.unwrap_err();
        assert!(matches!(e, CarrierError::Auth { .. }), "{e:?}");
    }

    #[test]
    fn charges_add_up_to_the_cent() {
        for p in ["P", "Y", "N"] {
            for w in [dec!(0.5), dec!(2.5), dec!(31)] {
                let (base, fuel, total) = charges(p, w);
                assert_eq!(base + fuel, total);
                assert_eq!(total.round_dp(2), total);
            }
        }
    }

    #[test]
    fn pdf_labels_start_and_end_like_pdfs() {
        let p = pdf("1000000001");
        assert!(p.starts_with(b"%PDF-1.4") && p.ends_with(b"%%EOF\n"));
    }
}
