//! YunExpress simulator: the open platform's token call (`/openapi/oauth2/token`), price
//! trial (`/v1/price-trial/get`), order creation (`/v1/order/package/create`), label
//! (`/v1/order/label/get`), cancel (`/v1/order/cancel`), waybill detail
//! (`/v1/order/info/get`) and tracking (`/v1/track-service/info/get`) on loopback, answering
//! in YunExpress's envelope `{t, success, code, msg, result}` in the shapes the adapter's
//! `fixtures/SOURCES.md` confirms. Point a YunExpress account's `base_url` at
//! `http://<addr>`.
//!
//! - Auth as YunExpress documents it: a token for any non-empty `appId`, `appSecret` and
//!   `sourceKey` with `grantType: client_credentials`; every other call needs that `token`, a
//!   `date` (milliseconds, within five minutes of now) and `sign` =
//!   Base64(HMAC-SHA256(appSecret, `body=<body>&date=<date>&method=<METHOD>&uri=<path>`,
//!   `body=` left out without a body)), else 401 with the envelope.
//! - Price trial: BKZXR (标快), THPHR (特惠普货) and THZXR (特惠), one line per fee (E1
//!   freight, E2 registration) in RMB, exact to the fen.
//! - Orders: a product enabled for the account (BKZXR, BKPHR, THPHR), a Chinese name (`name_local`)
//!   and an English one on every declaration line, a `customer_order_number` not seen
//!   before; else a business refusal (HTTP 200, `success: false`). A waybill `YT` + 16
//!   digits; its label is a PDF behind the answer's `url` (`/_sim/labels/<waybill>.pdf`).
//! - Tracking walks an order through ORDER_CREATION, FIRST_MILE_ARRIVE, FIRST_MILE_DEPART,
//!   MAIN_LINE_DEPART, MAIN_LINE_ARRIVE, CUSTOMS_COMPLETE, DELIVERED, one node every two
//!   seconds (`package_status` F, then T, then D); a cancelled order is C; an unknown number
//!   N. Cancel works until the parcel reaches the first-mile facility.
//!
//! Faults ([`Sim::take_fault`], by path): `Unauthorized` → 401, `RateLimited` → 429 (+
//! Retry-After), `ServerError` → 500, `Slow`, `Malformed`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use sha2::Sha256;
use time::OffsetDateTime;

use super::{FaultWords, Sim};

const STEP_SECS: i64 = 2;

/// The products the simulated account may ship (THZXR, which YunExpress sells, is not
/// enabled for it: a purchase of it is YunExpress's own business refusal).
const PRODUCTS: [&str; 3] = ["BKZXR", "BKPHR", "THPHR"];

/// (node code, description) of the scripted scans.
const SCRIPT: [(&str, &str); 7] = [
    ("ORDER_CREATION", "已收到货物信息"),
    ("FIRST_MILE_ARRIVE", "已抵达始发地设施"),
    ("FIRST_MILE_DEPART", "已离开始发地设施"),
    ("MAIN_LINE_DEPART", "干线已起飞"),
    ("MAIN_LINE_ARRIVE", "已抵达目的国"),
    ("CUSTOMS_COMPLETE", "清关完成"),
    ("DELIVERED", "已送达"),
];

struct Order {
    created: OffsetDateTime,
    cancelled: bool,
}

#[derive(Default)]
struct YunState {
    /// Issued tokens and the secret each signs with.
    tokens: Mutex<HashMap<String, String>>,
    orders: Mutex<HashMap<String, Order>>,
    customer_orders: Mutex<HashSet<String>>,
    next: AtomicU64,
}

#[derive(Clone)]
struct App {
    sim: Sim,
    yun: Arc<YunState>,
    /// Time-seeded first waybill digits, so numbers stay unique across restarts.
    first: u64,
}

pub fn router(sim: Sim) -> Router {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let app = App {
        sim: sim.clone(),
        yun: Arc::default(),
        first: 2_000_000_000_000_000 + (secs % 100_000_000) * 10_000,
    };
    Router::new()
        .route("/openapi/oauth2/token", post(token))
        .route("/v1/price-trial/get", get(price_trial))
        .route("/v1/order/package/create", post(create))
        .route("/v1/order/label/get", get(label))
        .route("/v1/order/cancel", post(cancel))
        .route("/v1/order/info/get", get(detail))
        .route("/v1/track-service/info/get", get(track))
        .route("/_sim/labels/{file}", get(label_file))
        .with_state(app)
        .merge(super::control(sim))
}

fn millis_now() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// YunExpress's envelope for a refusal, with `status`.
fn refusal(status: StatusCode, code: &str, msg: &str) -> Response {
    (
        status,
        axum::Json(
            json!({"t": millis_now(), "success": false, "code": code, "msg": msg,
            "request_id": format!("sim-{}", millis_now())}),
        ),
    )
        .into_response()
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"t": millis_now(), "success": true, "code": "00000000", "msg": "处理成功", "result": result}))
        .into_response()
}

const FAULT_WORDS: FaultWords = FaultWords {
    unauthorized: ("401", "token is invalid or expired"),
    rate_limited: ("429", "Too many requests, please try again later"),
    server_error: ("500", "System busy, please try again later"),
    truncated_body: r#"{"t": 1678415735, "success": true, "result": [{"product_code": "BKZXR""#,
};

async fn fault(app: &App, path: &str) -> Option<Response> {
    app.sim.fault(path, &FAULT_WORDS, refusal).await
}

async fn token(State(app): State<App>, body: Bytes) -> Response {
    if let Some(r) = fault(&app, "/openapi/oauth2/token").await {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let field = |k: &str| v[k].as_str().filter(|s| !s.trim().is_empty());
    let (Some("client_credentials"), Some(app_id), Some(secret), Some(_)) = (
        field("grantType"),
        field("appId"),
        field("appSecret"),
        field("sourceKey"),
    ) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "40001",
            "appId, appSecret, sourceKey and grantType client_credentials are required",
        );
    };
    let n = app.yun.next.fetch_add(1, Ordering::Relaxed);
    let token = format!("sim-{app_id}-{}-{n}", millis_now());
    app.yun
        .tokens
        .lock()
        .unwrap()
        .insert(token.clone(), secret.to_string());
    axum::Json(json!({"accessToken": token, "expiresIn": 7200})).into_response()
}

/// YunExpress's checks on every business call: a token it issued, a fresh `date`, and the
/// `sign` over date, method, path and body with the token's secret.
fn refused(
    app: &App,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let unauthorized = |msg| Some(refusal(StatusCode::UNAUTHORIZED, "401", msg));
    let Some(secret) = h("token").and_then(|t| app.yun.tokens.lock().unwrap().get(t).cloned())
    else {
        return unauthorized("token is invalid or expired");
    };
    let Some(date) = h("date").filter(|d| {
        d.parse::<i64>()
            .is_ok_and(|ms| (millis_now() - ms).abs() <= 5 * 60 * 1000)
    }) else {
        return unauthorized("date header missing or outside five minutes");
    };
    let mut content = String::new();
    if !body.is_empty() {
        content.push_str("body=");
        content.push_str(&String::from_utf8_lossy(body));
        content.push('&');
    }
    content.push_str(&format!("date={date}&method={method}&uri={}", uri.path()));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(content.as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    if h("sign") != Some(want.as_str()) {
        return unauthorized("sign verification failed (签名校验失败)");
    }
    None
}

/// A decimal read from a JSON number's or query value's text, never a float.
fn dec_of(s: &str) -> Option<Decimal> {
    s.parse().ok()
}

fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

async fn price_trial(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(r) = fault(&app, "/v1/price-trial/get").await {
        return r;
    }
    if let Some(r) = refused(&app, &method, &uri, &headers, b"") {
        return r;
    }
    let country = super::query_value(&q, "country_code").unwrap_or_default();
    let weight = super::query_value(&q, "weight").and_then(|w| dec_of(&w));
    let (true, Some(w)) = (country.len() == 2, weight.filter(|w| *w > Decimal::ZERO)) else {
        return refusal(
            StatusCode::OK,
            "20001",
            "country_code and weight are required",
        );
    };
    if country == "CN" {
        return ok(json!([]));
    }
    let line = |code: &str, name: &str, fee: &str, amount: Decimal, days: &str| {
        json!({"product_code": code, "product_name": name, "fee_name": fee,
               "calculate_amount": num(amount), "currency": "RMB", "interval_day": days,
               "price_name": format!("{name}A价"), "price_type": "MK",
               "convert_currency": "RMB", "rate": 1, "convert_amount": num(amount)})
    };
    let bk = (w * dec!(72)).round_dp(2);
    let th = (w * dec!(52)).round_dp(2);
    let tz = (w * dec!(56)).round_dp(2);
    ok(json!([
        line("BKZXR", "云途全球专线挂号（标快）", "E1", bk, "5-8"),
        line("BKZXR", "云途全球专线挂号（标快）", "E2", dec!(18), "5-8"),
        line("THPHR", "云途全球专线挂号（特惠普货）", "E1", th, "7-12"),
        line(
            "THPHR",
            "云途全球专线挂号（特惠普货）",
            "E2",
            dec!(15),
            "7-12"
        ),
        line("THZXR", "云途全球专线挂号（特惠）", "E1", tz, "7-12"),
        line("THZXR", "云途全球专线挂号（特惠）", "E2", dec!(15), "7-12"),
    ]))
}

async fn create(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = fault(&app, "/v1/order/package/create").await {
        return r;
    }
    if let Some(r) = refused(&app, &method, &uri, &headers, &body) {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "10000",
            "the request body is not JSON",
        );
    };
    let product = v["product_code"].as_str().unwrap_or_default();
    if !PRODUCTS.contains(&product) {
        return refusal(
            StatusCode::OK,
            "10001",
            &format!("product_code {product} does not exist or is not enabled (产品不存在)"),
        );
    }
    let lines = v["declaration_info"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if lines.is_empty() {
        return refusal(
            StatusCode::OK,
            "10002",
            "declaration_info is required (申报信息不能为空)",
        );
    }
    for (i, l) in lines.iter().enumerate() {
        if l["name_local"].as_str().is_none_or(|s| s.trim().is_empty()) {
            return refusal(
                StatusCode::OK,
                "10003",
                &format!("declaration_info[{i}].name_local is required (申报中文品名不能为空)"),
            );
        }
        if l["name_en"].as_str().is_none_or(|s| s.trim().is_empty()) {
            return refusal(
                StatusCode::OK,
                "10004",
                &format!("declaration_info[{i}].name_en is required (申报英文品名不能为空)"),
            );
        }
    }
    if v["packages"].as_array().is_none_or(|p| p.is_empty()) {
        return refusal(
            StatusCode::OK,
            "10005",
            "packages is required (包裹信息不能为空)",
        );
    }
    let customer = v["customer_order_number"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if customer.is_empty()
        || !app
            .yun
            .customer_orders
            .lock()
            .unwrap()
            .insert(customer.clone())
    {
        return refusal(
            StatusCode::OK,
            "10006",
            &format!("customer_order_number {customer} already exists (客户订单号已存在)"),
        );
    }
    let n = app.yun.next.fetch_add(1, Ordering::Relaxed);
    let waybill = format!("YT{:016}", app.first + n);
    app.yun.orders.lock().unwrap().insert(
        waybill.clone(),
        Order {
            created: OffsetDateTime::now_utc(),
            cancelled: false,
        },
    );
    app.sim.lag().await;
    ok(
        json!({"customer_order_number": customer, "waybill_number": waybill,
              "tracking_number": "", "bar_codes": [waybill], "remote_area": false,
              "track_type": "W", "shipper_boxs": []}),
    )
}

/// A one-page label naming the waybill.
fn pdf(waybill: &str) -> Vec<u8> {
    let stream = format!("BT /F1 20 Tf 24 360 Td (YUNEXPRESS {waybill}) Tj ET");
    super::one_page_pdf(432, "Helvetica", &stream)
}

async fn label(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(r) = fault(&app, "/v1/order/label/get").await {
        return r;
    }
    if let Some(r) = refused(&app, &method, &uri, &headers, b"") {
        return r;
    }
    let number = super::query_value(&q, "order_number").unwrap_or_default();
    if !app.yun.orders.lock().unwrap().contains_key(&number) {
        return refusal(
            StatusCode::OK,
            "30001",
            &format!("order {number} not found (订单不存在)"),
        );
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    ok(
        json!({"order_number": number, "url": format!("http://{host}/_sim/labels/{number}.pdf"),
              "label_type": "PDF", "label_string": ""}),
    )
}

async fn label_file(State(app): State<App>, Path(file): Path<String>) -> Response {
    if let Some(r) = fault(&app, &format!("/_sim/labels/{file}")).await {
        return r;
    }
    let number = file.trim_end_matches(".pdf");
    if !app.yun.orders.lock().unwrap().contains_key(number) {
        return StatusCode::NOT_FOUND.into_response();
    }
    ([(header::CONTENT_TYPE, "application/pdf")], pdf(number)).into_response()
}

async fn cancel(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = fault(&app, "/v1/order/cancel").await {
        return r;
    }
    if let Some(r) = refused(&app, &method, &uri, &headers, &body) {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let number = v["waybill_number"].as_str().unwrap_or_default();
    let mut orders = app.yun.orders.lock().unwrap();
    let Some(order) = orders.get_mut(number) else {
        return refusal(
            StatusCode::OK,
            "30001",
            &format!("waybill {number} not found (运单不存在)"),
        );
    };
    if order.cancelled {
        return refusal(
            StatusCode::OK,
            "30002",
            "the waybill is already cancelled (运单已撤销)",
        );
    }
    if (OffsetDateTime::now_utc() - order.created).whole_seconds() >= STEP_SECS {
        return refusal(
            StatusCode::OK,
            "30003",
            "the waybill has been received at the warehouse and cannot be cancelled (已入仓，不能撤销)",
        );
    }
    order.cancelled = true;
    (
        StatusCode::OK,
        axum::Json(
            json!({"t": millis_now(), "success": true, "code": "00000000", "msg": "处理成功"}),
        ),
    )
        .into_response()
}

async fn detail(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(r) = fault(&app, "/v1/order/info/get").await {
        return r;
    }
    if let Some(r) = refused(&app, &method, &uri, &headers, b"") {
        return r;
    }
    let number = super::query_value(&q, "order_number").unwrap_or_default();
    let orders = app.yun.orders.lock().unwrap();
    let Some(order) = orders.get(&number) else {
        return refusal(
            StatusCode::OK,
            "30001",
            &format!("order {number} not found (订单不存在)"),
        );
    };
    let status = if order.cancelled { "E" } else { "A" };
    ok(json!({"waybill_number": number, "status": status, "weight_unit": "KG", "size_unit": "CM"}))
}

fn stamp(t: OffsetDateTime) -> (String, String) {
    let f = |t: OffsetDateTime| {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    let cst = t.to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("+08:00"));
    (f(cst), format!("{}Z", f(t)))
}

async fn track(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(r) = fault(&app, "/v1/track-service/info/get").await {
        return r;
    }
    if let Some(r) = refused(&app, &method, &uri, &headers, b"") {
        return r;
    }
    let number = super::query_value(&q, "order_number").unwrap_or_default();
    let orders = app.yun.orders.lock().unwrap();
    let Some(order) = orders.get(&number) else {
        return ok(json!([{"order_number": number, "package_status": "N"}]));
    };
    let elapsed = (OffsetDateTime::now_utc() - order.created).whole_seconds();
    let reached = if order.cancelled {
        1
    } else {
        (elapsed / STEP_SECS + 1).clamp(1, SCRIPT.len() as i64) as usize
    };
    let events: Vec<Value> = SCRIPT[..reached]
        .iter()
        .enumerate()
        .map(|(i, (code, text))| {
            let (local, utc) = stamp(order.created + time::Duration::seconds(i as i64 * STEP_SECS));
            let (country, city) = if i < 3 {
                ("CN", "深圳")
            } else {
                ("DE", "Berlin")
            };
            json!({"process_time": local, "process_utc_time": utc, "process_content": text,
                   "process_country": if i == 0 { "" } else { country },
                   "process_city": if i == 0 { "" } else { city },
                   "track_node_code": code, "track_node_description": text})
        })
        .collect();
    let status = match (order.cancelled, reached) {
        (true, _) => "C",
        (_, 1) => "F",
        (_, n) if n == SCRIPT.len() => "D",
        _ => "T",
    };
    ok(json!([{"order_number": number, "package_status": status,
        "track_Info": {"waybill_number": number, "tracking_number": "", "product_code": "BKZXR",
                        "track_events": events}}]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_pdfs_and_cst_stamps_are_eight_hours_ahead() {
        let p = pdf("YT2000000000000001");
        assert!(p.starts_with(b"%PDF-1.4") && p.ends_with(b"%%EOF\n"));
        let t = time::macros::datetime!(2026-12-06 20:00:00 UTC);
        assert_eq!(
            stamp(t),
            (
                "2026-12-07T04:00:00".to_string(),
                "2026-12-06T20:00:00Z".to_string()
            )
        );
    }
}
