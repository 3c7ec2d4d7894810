//! SF Express simulator: SF's one endpoint `POST /std/service` on loopback, checking every
//! call's `msgDigest` as SF does (Base64 of the MD5 of the form-encoded `msgData + timestamp +
//! checkword`, computed here on its own, not by the adapter) and answering in SF's envelope:
//! the platform's `apiResultCode`, and the service's answer as a JSON string in
//! `apiResultData`. Point an SF account's `base_url` at `http://<addr>` with
//! `partner_id` [`PARTNER_ID`], `checkword` [`CHECKWORD`] and any monthly card.
//!
//! - An unknown `partnerID` is `A1004` (no permission), a wrong digest `A1006`.
//! - It keeps the orders it took, so the service-area check, the order (a repeated `orderId`
//!   is `8016` 重复下单), its piece numbers (`SF` + 13 digits), cancel (`dealType` 2), routes
//!   and billed freight answer consistently. A receiver in 三沙市 is outside the service area
//!   (`filterResult` 3).
//! - Routes walk an order through 50, 30, 36, 31 (picked up … arrived at the destination
//!   city), one scan every two seconds; delivery comes by push ([`route_push`]). A cancelled
//!   order has no routes.
//! - Prices (`EXP_RECE_QUERY_DELIVERTM`) and billed freight (`EXP_RECE_QUERY_SFWAYBILL`) come
//!   from one CNY table, so reconciliation against a quote agrees. The price query knows
//!   mainland products only, as SF's does.
//! - Cross-border orders (100/24, also 99/23) must go abroad and carry a complete declaration
//!   (`customsInfo` value and currency; `cargoDetails` with count, unit, weight, amount,
//!   currency, sourceArea): otherwise `S0002` naming the field. A mainland product to an
//!   address abroad is refused (`8119`, a code of ours: SF's is not public).
//! - Cloud print answers a file URL on the simulator with a token, and serves the PDF there.
//!
//! Faults ([`Sim::take_fault`] by path `/std/service/<serviceCode>`): `Unauthorized` → A1006
//! (bad digest), `RateLimited` → A1005 (flow control), `ServerError` → A1009, `Slow`,
//! `Malformed`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use md5::{Digest, Md5};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{FaultKind, Sim};

/// The partner the simulator knows.
pub const PARTNER_ID: &str = "SHIPHUB_SIM";
/// Its checkword.
pub const CHECKWORD: &str = "sim-checkword-5f2c9a";
/// The token cloud-print files are fetched with.
const FILE_TOKEN: &str = "AUTH_tkv12_sim";
const STEP_SECS: i64 = 2;

/// (opCode, remark) of the scripted scans.
const SCRIPT: [(&str, &str); 4] = [
    ("50", "顺丰速运 已收取快件"),
    ("30", "快件在【始发营业点】完成分拣，准备发往下一站"),
    ("36", "快件离开【始发中转场】，已在发往目的地的路上"),
    ("31", "快件到达【目的地中转场】"),
];

struct Order {
    waybills: Vec<String>,
    express_type: String,
    weight: Decimal,
    from_city: String,
    to_city: String,
    created: OffsetDateTime,
    cancelled: bool,
}

#[derive(Default)]
struct SfState {
    orders: Mutex<HashMap<String, Order>>,
    next: AtomicU64,
}

#[derive(Clone)]
struct App {
    sim: Sim,
    state: Arc<SfState>,
}

/// The router.
pub fn router(sim: Sim) -> Router {
    let app = App {
        sim: sim.clone(),
        state: Arc::new(SfState::default()),
    };
    Router::new()
        .route("/std/service", post(service))
        .route("/print/{file}", get(print_file))
        .with_state(app)
        .merge(super::control(sim))
}

/// SF's digest, computed independently of the adapter.
pub fn digest(msg_data: &str, timestamp: &str, checkword: &str) -> String {
    let plain = format!("{msg_data}{timestamp}{checkword}");
    let encoded: String = url::form_urlencoded::byte_serialize(plain.as_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(encoded.as_bytes()))
}

fn platform(code: &str, message: &str) -> Response {
    let body = json!({"apiResultCode": code, "apiErrorMsg": message,
        "apiResponseID": "0001SIM", "apiResultData": null});
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn result(success: bool, code: &str, message: Option<&str>, data: Value) -> Response {
    let inner = json!({"success": success, "errorCode": code, "errorMsg": message,
        "msgData": if success { data } else { Value::Null }});
    let body = json!({"apiResultCode": "A1000", "apiErrorMsg": "", "apiResponseID": "0001SIM",
        "apiResultData": inner.to_string()});
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn ok(data: Value) -> Response {
    result(true, "S0000", None, data)
}

fn refused(code: &str, message: &str) -> Response {
    result(false, code, Some(message), Value::Null)
}

/// Now in China, as SF writes times.
fn cst(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// CNY for `kg` of product `express_type` (1 特快, 2 标快, 5 次晨, 6 即日): a first kg and
/// each further started kg.
fn price(express_type: &str, kg: Decimal) -> Option<Decimal> {
    let (first, more) = match express_type {
        "1" => (dec!(23), dec!(13)),
        "2" => (dec!(13), dec!(2)),
        "5" => (dec!(28), dec!(15)),
        // Cross-border products are billed, never quoted (SF has no price query for them).
        "100" => (dec!(186), dec!(62)),
        "24" => (dec!(142), dec!(48)),
        _ => return None,
    };
    let extra = (kg.ceil() - Decimal::ONE).max(Decimal::ZERO);
    Some(first + more * extra)
}

async fn service(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (partner, service, timestamp, msg_data, got) = (
        field("partnerID"),
        field("serviceCode"),
        field("timestamp"),
        field("msgData"),
        field("msgDigest"),
    );
    if partner.is_empty() || service.is_empty() || timestamp.is_empty() || msg_data.is_empty() {
        return platform("A1001", "必传参数不可为空");
    }
    let path = format!("/std/service/{service}");
    match app.sim.take_fault(&path) {
        Some(FaultKind::Unauthorized) => return platform("A1006", "数字签名无效"),
        Some(FaultKind::RateLimited { .. }) => return platform("A1005", "流量受控"),
        Some(FaultKind::ServerError) => return platform("A1009", "目标服务异常或不可达"),
        Some(FaultKind::Malformed) => {
            return (
                StatusCode::OK,
                r#"{"apiResultCode":"A1000","apiResultData":"{\"succ"#,
            )
                .into_response();
        }
        Some(FaultKind::Slow { millis }) => {
            tokio::time::sleep(std::time::Duration::from_millis(millis)).await
        }
        None => {}
    }
    if partner != PARTNER_ID {
        return platform("A1004", "无对应服务权限");
    }
    if digest(&msg_data, &timestamp, CHECKWORD) != got {
        return platform("A1006", "数字签名无效");
    }
    let Ok(msg) = serde_json::from_str::<Value>(&msg_data) else {
        return refused("S0001", "非法的JSON格式");
    };
    match service.as_str() {
        "EXP_RECE_FILTER_ORDER_BSP" => filter(&msg),
        "EXP_RECE_CREATE_ORDER" => create(&app, &msg),
        "EXP_RECE_SEARCH_ORDER_RESP" => search(&app, &msg),
        "EXP_RECE_GET_SUB_MAILNO" => sub_numbers(&app, &msg),
        "EXP_RECE_UPDATE_ORDER" => update(&app, &msg),
        "EXP_RECE_SEARCH_ROUTES" => routes(&app, &msg),
        "EXP_RECE_QUERY_SFWAYBILL" => fee(&app, &msg),
        "EXP_RECE_QUERY_DELIVERTM" => deliver_tm(&msg),
        "COM_RECE_CLOUD_PRINT_WAYBILLS" => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            cloud_print(&app, &msg, host)
        }
        _ => platform("A1004", "无对应服务权限"),
    }
}

fn out_of_area(city: &str) -> bool {
    city.contains("三沙")
}

fn filter(msg: &Value) -> Response {
    let results: Vec<Value> = msg
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let to = o["contactInfos"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["contactType"] == 2))
                .cloned()
                .unwrap_or(Value::Null);
            let served = !out_of_area(to["city"].as_str().unwrap_or(""));
            json!({"orderId": o["orderId"], "filterResult": if served { 2 } else { 3 },
                "originCode": "719", "destCode": if served { "710" } else { "" },
                "remark": if served { "" } else { "1" }})
        })
        .collect();
    ok(Value::Array(results))
}

fn numbers_json(waybills: &[String]) -> Value {
    Value::Array(
        waybills
            .iter()
            .enumerate()
            .map(|(i, w)| json!({"waybillType": if i == 0 { 1 } else { 2 }, "waybillNo": w}))
            .collect(),
    )
}

fn next_number(app: &App) -> String {
    let n = app.state.next.fetch_add(1, Ordering::Relaxed);
    format!("SF{:013}", 1_440_000_000_000u64 + n * 7)
}

fn create(app: &App, msg: &Value) -> Response {
    let Some(order_id) = msg["orderId"].as_str().filter(|s| !s.is_empty()) else {
        return refused("S0002", "必填参数orderId为空");
    };
    let contacts = msg["contactInfoList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let party = |t: i64| contacts.iter().find(|c| c["contactType"] == t).cloned();
    let (Some(from), Some(to)) = (party(1), party(2)) else {
        return refused("S0002", "必填参数contactInfoList为空");
    };
    if out_of_area(to["city"].as_str().unwrap_or("")) {
        return refused("8114", "到件地址超出顺丰服务范围");
    }
    let express_type = msg["expressTypeId"]
        .to_string()
        .trim_matches('"')
        .to_string();
    if let Some(refusal) = cross_border(&express_type, &to, msg) {
        return refusal;
    }
    let mut orders = app.state.orders.lock().unwrap();
    if orders.contains_key(order_id) {
        return refused("8016", "重复下单");
    }
    let qty = msg["parcelQty"].as_u64().unwrap_or(1).max(1);
    let waybills: Vec<String> = (0..qty).map(|_| next_number(app)).collect();
    let weight = msg["totalWeight"]
        .as_f64()
        .and_then(|w| Decimal::try_from(w).ok())
        .unwrap_or(Decimal::ONE);
    orders.insert(
        order_id.to_string(),
        Order {
            waybills: waybills.clone(),
            express_type,
            weight,
            from_city: from["city"].as_str().unwrap_or("").to_string(),
            to_city: to["city"].as_str().unwrap_or("").to_string(),
            created: OffsetDateTime::now_utc(),
            cancelled: false,
        },
    );
    ok(
        json!({"orderId": order_id, "originCode": "719", "destCode": "710", "filterResult": 2,
        "remark": "", "waybillNoInfoList": numbers_json(&waybills)}),
    )
}

/// SF's cross-border products (国际标快 99/100, 国际特惠 23/24).
fn is_cross_border(express_type: &str) -> bool {
    matches!(express_type, "23" | "24" | "99" | "100")
}

/// What SF checks on a cross-border order: it goes abroad, and its declaration is complete
/// (`customsInfo` value and currency; per cargo line the fields SF's reference marks
/// "跨境件报关需要填写"). A refusal names the missing field in SF's "必填参数%s为空" words.
fn cross_border(express_type: &str, to: &Value, msg: &Value) -> Option<Response> {
    let abroad = to["country"]
        .as_str()
        .is_some_and(|c| !c.is_empty() && c != "CN");
    if !is_cross_border(express_type) {
        return abroad.then(|| refused("8119", "该产品不支持寄往目的地国家"));
    }
    if !abroad {
        return Some(refused("8119", "国际产品的到件方须在境外"));
    }
    let missing = |v: &Value| v.is_null() || v.as_str() == Some("");
    for f in ["declaredValue", "declaredValueCurrency"] {
        if missing(&msg["customsInfo"][f]) {
            return Some(refused("S0002", &format!("必填参数customsInfo.{f}为空")));
        }
    }
    let cargo = msg["cargoDetails"].as_array().cloned().unwrap_or_default();
    if cargo.is_empty() {
        return Some(refused("S0002", "必填参数cargoDetails为空"));
    }
    for (i, c) in cargo.iter().enumerate() {
        for f in [
            "name",
            "count",
            "unit",
            "weight",
            "amount",
            "currency",
            "sourceArea",
        ] {
            if missing(&c[f]) {
                return Some(refused(
                    "S0002",
                    &format!("必填参数cargoDetails[{i}].{f}为空"),
                ));
            }
        }
    }
    None
}

fn search(app: &App, msg: &Value) -> Response {
    let id = msg["orderId"].as_str().unwrap_or("");
    match app.state.orders.lock().unwrap().get(id) {
        Some(o) => ok(json!({"orderId": id, "waybillNoInfoList": numbers_json(&o.waybills)})),
        None => refused("20037", "订单不存在"),
    }
}

fn sub_numbers(app: &App, msg: &Value) -> Response {
    let id = msg["orderId"].as_str().unwrap_or("");
    let qty = msg["parcelQty"].as_u64().unwrap_or(1).max(1);
    let mut orders = app.state.orders.lock().unwrap();
    let Some(o) = orders.get_mut(id) else {
        return refused("20037", "订单不存在");
    };
    let more: Vec<String> = (0..qty).map(|_| next_number(app)).collect();
    o.waybills.extend(more.iter().cloned());
    let list: Vec<Value> = more
        .iter()
        .map(|w| json!({"waybillType": 2, "waybillNo": w}))
        .collect();
    ok(json!({"orderId": id, "waybillNoInfoList": list}))
}

fn update(app: &App, msg: &Value) -> Response {
    let id = msg["orderId"].as_str().unwrap_or("");
    let mut orders = app.state.orders.lock().unwrap();
    let Some(o) = orders.get_mut(id) else {
        return refused("8037", "订单不存在或已取消");
    };
    if msg["dealType"] == 2 {
        o.cancelled = true;
    }
    ok(json!({"orderId": id, "waybillNoInfoList": numbers_json(&o.waybills), "resStatus": 2}))
}

fn find<'a>(orders: &'a HashMap<String, Order>, waybill: &str) -> Option<(&'a String, &'a Order)> {
    orders
        .iter()
        .find(|(_, o)| o.waybills.iter().any(|w| w == waybill))
}

fn routes(app: &App, msg: &Value) -> Response {
    let now = OffsetDateTime::now_utc();
    let orders = app.state.orders.lock().unwrap();
    let asked: Vec<&str> = msg["trackingNumber"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let resps: Vec<Value> = asked
        .iter()
        .filter_map(|n| {
            let (_, o) = find(&orders, n).filter(|(_, o)| !o.cancelled)?;
            let shown = ((now - o.created).whole_seconds() / STEP_SECS + 1).min(SCRIPT.len() as i64);
            let routes: Vec<Value> = SCRIPT[..shown as usize]
                .iter()
                .enumerate()
                .map(|(i, (code, remark))| {
                    let at = o.created + time::Duration::seconds(i as i64 * STEP_SECS);
                    let city = if i < 3 { &o.from_city } else { &o.to_city };
                    json!({"acceptTime": cst(at), "acceptAddress": city, "remark": remark, "opCode": code})
                })
                .collect();
            Some(json!({"mailNo": n, "routes": routes}))
        })
        .collect();
    ok(json!({"routeResps": resps}))
}

fn fee(app: &App, msg: &Value) -> Response {
    let n = msg["trackingNum"].as_str().unwrap_or("");
    let orders = app.state.orders.lock().unwrap();
    let by_waybill = msg["trackingType"] == "2";
    let found = if by_waybill {
        find(&orders, n)
    } else {
        orders.get_key_value(n)
    };
    let Some((id, o)) = found else {
        return refused("20037", "运单不存在");
    };
    let list = match price(&o.express_type, o.weight) {
        Some(p) if !o.cancelled => vec![json!({"type": "1", "name": "运费", "value": p,
            "paymentTypeCode": "1", "settlementTypeCode": "2", "customerAcctCode": "7551234567"})],
        _ => Vec::new(),
    };
    ok(json!({"waybillInfo": {"waybillNo": o.waybills[0], "orderId": id}, "waybillFeeList": list}))
}

fn deliver_tm(msg: &Value) -> Response {
    let kg = msg["weight"]
        .as_f64()
        .and_then(|w| Decimal::try_from(w).ok())
        .unwrap_or(Decimal::ONE);
    if out_of_area(msg["destAddress"]["city"].as_str().unwrap_or("")) {
        return ok(json!({"deliverTmDto": []}));
    }
    let tomorrow = OffsetDateTime::now_utc() + time::Duration::days(1);
    let products: Vec<Value> = [("1", "顺丰特快"), ("2", "顺丰标快")]
        .iter()
        .map(|(code, name)| {
            json!({"businessType": code, "businessTypeDesc": name,
                "deliverTime": format!("{t},{t}", t = cst(tomorrow)),
                "fee": price(code, kg), "searchPrice": "1", "closeTime": null})
        })
        .collect();
    ok(json!({"deliverTmDto": products}))
}

fn cloud_print(app: &App, msg: &Value, host: &str) -> Response {
    let Some(master) = msg["documents"][0]["masterWaybillNo"].as_str() else {
        return refused("S0002", "必填参数documents为空");
    };
    if find(&app.state.orders.lock().unwrap(), master).is_none() {
        return refused("20037", "运单不存在");
    }
    // Cloud print answers in `obj`, not `msgData`.
    let inner = json!({"success": true, "requestId": "sim", "obj": {"templateCode": msg["templateCode"],
        "files": [{"url": format!("http://{host}/print/{master}.pdf"), "token": FILE_TOKEN,
            "waybillNo": master, "seqNo": 1, "areaNo": 1, "pageNo": 1}]}});
    let body = json!({"apiResultCode": "A1000", "apiErrorMsg": "", "apiResponseID": "0001SIM",
        "apiResultData": inner.to_string()});
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn print_file(Path(file): Path<String>, headers: HeaderMap) -> Response {
    if headers.get("X-Auth-token").and_then(|v| v.to_str().ok()) != Some(FILE_TOKEN) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let waybill = file.trim_end_matches(".pdf");
    let pdf = super::one_page_pdf(
        425,
        "Helvetica",
        &format!("BT /F1 14 Tf 20 380 Td (SF {waybill}) Tj ET"),
    );
    ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response()
}

/// A route push as the adapter verifies it: SF's `{"Body":{"WaybillRoute":[…]}}` in a
/// std/service form signed with `key` (the account's `push_secret`).
pub fn route_push(key: &str, waybill: &str, op_code: &str, remark: &str, city: &str) -> Vec<u8> {
    let now = OffsetDateTime::now_utc();
    let msg_data =
        json!({"Body": {"WaybillRoute": [{"mailno": waybill, "orderid": "", "acceptTime": cst(now),
        "acceptAddress": city, "remark": remark, "opCode": op_code,
        "id": now.unix_timestamp_nanos().to_string(), "reasonCode": "", "reasonName": ""}]}})
        .to_string();
    let timestamp = now.unix_timestamp().to_string();
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("partnerID", PARTNER_ID)
        .append_pair("requestID", &format!("push-{timestamp}"))
        .append_pair("serviceCode", "RoutePushService")
        .append_pair("timestamp", &timestamp)
        .append_pair("msgData", &msg_data)
        .append_pair("msgDigest", &digest(&msg_data, &timestamp, key))
        .finish()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same vector the adapter's `sign.rs` pins, computed with Python's standard library.
    #[test]
    fn digest_is_sf_s() {
        let m = r#"{"contact":"郭襄阳","address":"环城东路 122号"}"#;
        assert_eq!(
            digest(m, "1700000000", "fc34c561a34f"),
            "dhxpPHdYYD+QOxCB25e9GA=="
        );
    }

    #[test]
    fn prices_are_a_first_kg_and_each_started_kg() {
        assert_eq!(price("1", dec!(1)), Some(dec!(23)));
        assert_eq!(price("1", dec!(7.1)), Some(dec!(114)), "23 + 7 × 13");
        assert_eq!(price("2", dec!(0.5)), Some(dec!(13)));
        assert_eq!(price("6", dec!(1)), None);
    }

    #[test]
    fn cross_border_orders_need_a_destination_abroad_and_a_declaration() {
        let de = json!({"country": "DE"});
        let item = json!({"name": "Cotton T-shirt", "count": 2, "unit": "件", "weight": 0.3,
            "amount": 12.5, "currency": "USD", "sourceArea": "CN", "hsCode": "610910"});
        let full = json!({"customsInfo": {"declaredValue": 25, "declaredValueCurrency": "USD"},
            "cargoDetails": [item]});
        assert!(cross_border("100", &de, &full).is_none());
        assert!(cross_border("1", &json!({"country": "CN"}), &json!({})).is_none());
        assert!(
            cross_border("1", &de, &full).is_some(),
            "a mainland product abroad"
        );
        assert!(cross_border("24", &json!({"country": "CN"}), &full).is_some());
        assert!(
            cross_border(
                "100",
                &de,
                &json!({"customsInfo": {}, "cargoDetails": [item]})
            )
            .is_some()
        );
        let mut no_origin = full.clone();
        no_origin["cargoDetails"][0]
            .as_object_mut()
            .unwrap()
            .remove("sourceArea");
        assert!(cross_border("100", &de, &no_origin).is_some());
    }
}
