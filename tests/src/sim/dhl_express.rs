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
    let products: &[(&str, u32)] = if from == to {
        &[("N", 1)]
    } else {
        &[("P", 3), ("Y", 2)]
    };
    let list: Vec<Value> = products
        .iter()
        .map(|(p, days)| {
            let (base, fuel, total) = charges(p, w);
            json!({
                "productName": name(p), "productCode": p, "localProductCode": p,
                "networkTypeCode": "TD", "isCustomerAgreement": false,
                "weight": {"volumetric": 0, "provided": num(w), "unitOfMeasurement": "metric"},
                "totalPrice": [{"currencyType": "BILLC", "priceCurrency": billed, "price": num(total)}],
                "detailedPriceBreakdown": [{"currencyType": "BILLC", "priceCurrency": billed, "breakdown": [
                    {"name": name(p), "price": num(base)},
                    {"name": "FUEL SURCHARGE", "serviceCode": "FF", "localServiceCode": "FF", "serviceTypeCode": "SCH", "price": num(fuel)}
                ]}],
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
                "serviceBreakdown": [{"name": name(&product), "price": num(base)},
                                     {"name": "FUEL SURCHARGE", "price": num(fuel), "typeCode": "FF"}]}]
        })),
    )
        .into_response()
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
