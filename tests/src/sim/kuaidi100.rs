//! Kuaidi100 (快递100) simulator: the real-time query (`POST /poll/query.do`), the push
//! subscription (`POST /poll`) and the auto-number service (`GET /autonumber/auto`) on one
//! loopback port, answering in Kuaidi100's shapes (the adapter's `fixtures/SOURCES.md`).
//! Point a Kuaidi100 account's `base_url` at `http://<addr>` with `customer` = [`CUSTOMER`]
//! and `key` = [`KEY`].
//!
//! - The query's `sign` is checked exactly as Kuaidi100 does (upper-case MD5 of
//!   `param + key + customer`); a wrong one answers `503 验证签名失败`. The subscription's
//!   `param.key` must be the key (else `600`); auto-number's `key` too (else `503`, this
//!   simulator's choice: Kuaidi100 does not document that refusal).
//! - Scripted scans per number: a ZTO number (`7531…`, network `zhongtong`) is in transit
//!   (103 → 1002 → 1001); a YTO number (`YT…`, `yuantong`) is delivered (1 → 5 → 301); both
//!   with times hours before now in China Standard Time, newest first, `resultv2=4` shape.
//!   `POST /_sim/kuaidi100/scans` scripts any number. A number in another network, or
//!   unscripted, answers `500 查询无结果` (no result yet).
//! - An SF number (`SF…`, `shunfeng`) is in transit (0 → 1002 → 1001), shown only with the
//!   receiver's phone [`SF_PHONE`] or its last four digits in `phone`, as Kuaidi100 requires
//!   for SF: a query without it (or with another) answers `408 快递公司参数异常：验证码错误`,
//!   a subscription without it `700` (this simulator's choice: Kuaidi100 documents the field
//!   as required for SF numbers, not the refusal's code).
//! - Auto-number knows `7531…` → `zhongtong`, `YT…` → `yuantong` and `SF…` → `shunfeng`, and
//!   `[]` otherwise.
//! - Subscriptions are kept: the first answers `200 提交成功`, a repeat `501 重复订阅`.
//! - `POST /_sim/kuaidi100/push` (`{"number", "url"?, "salt"?, "status"?}`) POSTs a signed
//!   callback for a number (to its subscription's callback URL and salt unless given) and
//!   answers what the receiver said (`{"status", "body"}`); [`callback_form`] builds one.
//! - Kuaidi100's own faults: `POST /_sim/kuaidi100/faults` (`{"return_code": "503" | "601" |
//!   "500" | …}`) makes the next query, subscription or auto-number answer that `returnCode`
//!   (bad sign, key expired / volume used up, no result yet). The shared faults
//!   ([`Sim::take_fault`]) apply too: `Unauthorized` answers 503 in Kuaidi100's envelope,
//!   `RateLimited` HTTP 429, `ServerError` HTTP 500 with `501 服务器错误`, `Slow`, `Malformed`.
//! - E-waybills (电子面单 V2): `POST /label/order`, a form of `method` (`order` | `cancel`),
//!   `key`, `t`, `sign` and `param`, the sign checked exactly (upper-case MD5 of
//!   `param + t + key + secret`, with [`KEY`] and [`SECRET`]); a wrong one answers
//!   `{"code": 30002, "message": "验证签名失败"}` (a key it does not know: 30003), the codes
//!   of Kuaidi100's documentation of this API. Answers are the demos'
//!   `labelV2.Result` `{code, message, time, data}`; an order's `data` is `OrderResult`
//!   (`kuaidinum`, `childNum` comma-separated with `needChild` 1 and `count` > 1, `taskId`,
//!   `kdComOrderNum`, `bulkpen`, `label` empty: `printType` NON). Numbers per network
//!   (`zhongtong` `7531…`, which the query then shows in transit; `yuantong` `YT…`; `shentong`
//!   `77…`; `yunda` `43…`; `jtexpress` `JT…`; `jd` `JDV…`; `ems` `11…`). A missing name,
//!   address or phone, or another network, is refused `30001` (参数错误) with what is missing;
//!   the same `orderId` again answers the same numbers. `cancel` cancels a number it issued
//!   once: an unknown number is `30009` (查无此单), a second cancel the network's refusal
//!   `30005` (the simulator's choice of code for it). The queued faults apply too, answered as
//!   `{code, message}`: `-1`, `30002`, `30003`, `30004` (Kuaidi100's volume used up) and
//!   `30005` (the network's refusal; its words are ours).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use md5::{Digest, Md5};
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, UtcOffset};

use super::{FaultWords, Sim};

/// The simulator's account: its `customer`.
pub const CUSTOMER: &str = "SIMCUSTOMER0123456789ABCDEF01234";
/// The simulator's account: its authorization `key`.
pub const KEY: &str = "simkey0123456789";
/// The simulator's account: its API `secret` (signs e-waybill calls).
pub const SECRET: &str = "simsecret0123456789";

/// The receiver's phone of the built-in SF parcels: Kuaidi100 shows an SF number's scans only
/// with this phone (or its last four digits).
pub const SF_PHONE: &str = "18963828829";

/// One scripted scan: advanced state, its name, the words, the place, how long ago.
#[derive(Clone, Debug, Deserialize)]
pub struct ScriptedScan {
    pub status_code: String,
    pub status: String,
    pub context: String,
    #[serde(default)]
    pub area_name: Option<String>,
    /// Minutes before now.
    pub minutes_ago: i64,
}

/// A number's script: its network and scans, oldest first.
#[derive(Clone, Debug, Deserialize)]
pub struct Script {
    pub number: String,
    pub com: String,
    pub scans: Vec<ScriptedScan>,
}

#[derive(Clone, Debug)]
struct Subscription {
    callback: String,
    salt: String,
}

/// An e-waybill the simulator issued.
#[derive(Clone, Debug)]
struct Issued {
    network: String,
    numbers: Vec<String>,
    kd_order: String,
    cancelled: bool,
}

#[derive(Default)]
struct K100 {
    scripts: Mutex<HashMap<String, Script>>,
    subscriptions: Mutex<HashMap<String, Subscription>>,
    faults: Mutex<VecDeque<String>>,
    /// By `orderId`.
    orders: Mutex<HashMap<String, Issued>>,
    serial: Mutex<u64>,
}

#[derive(Clone)]
struct App {
    sim: Sim,
    k: Arc<K100>,
}

pub fn router(sim: Sim) -> Router {
    let app = App {
        sim: sim.clone(),
        k: Arc::default(),
    };
    Router::new()
        .route("/poll/query.do", post(query))
        .route("/poll", post(subscribe))
        .route("/autonumber/auto", get(autonumber))
        .route("/label/order", post(label_order))
        .route("/_sim/kuaidi100/faults", post(queue_fault))
        .route("/_sim/kuaidi100/scans", post(script))
        .route("/_sim/kuaidi100/push", post(push))
        .with_state(app)
        .merge(super::control(sim))
}

/// Upper-case hex MD5 of the parts, Kuaidi100's sign.
pub fn sign(parts: &[&str]) -> String {
    let mut md5 = Md5::new();
    for p in parts {
        md5.update(p.as_bytes());
    }
    hex::encode_upper(md5.finalize())
}

fn envelope(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"result": false, "returnCode": code, "message": message})),
    )
        .into_response()
}

fn message_of(code: &str) -> &'static str {
    match code {
        "400" => "找不到对应公司",
        "500" => "查询无结果，请隔段时间再查",
        "501" => "服务器错误",
        "502" => "服务器繁忙",
        "503" => "验证签名失败",
        "600" => "您不是合法的订阅者",
        "601" => "POLL:KEY已过期",
        "-1" => "服务器错误",
        "30001" => "参数错误",
        "30002" => "验证签名失败",
        "30003" => "账号信息不正确",
        "30004" => "账号单量不足，需要充值",
        "30005" => "快递公司返回异常：网点电子面单余额不足，请联系网点充值",
        "30009" => "查无此单",
        _ => "错误",
    }
}

/// The e-waybill API's words for the shared faults (a throttle keeps its HTTP 429).
const LABEL_FAULT_WORDS: FaultWords = FaultWords {
    unauthorized: ("30002", "验证签名失败"),
    rate_limited: ("-1", "服务器错误"),
    server_error: ("-1", "服务器错误"),
    truncated_body: r#"{"code":200,"message":"success","data":{"kuaidinum":"#,
};

const FAULT_WORDS: FaultWords = FaultWords {
    unauthorized: ("503", "验证签名失败"),
    rate_limited: ("502", "服务器繁忙"),
    server_error: ("501", "服务器错误"),
    truncated_body: r#"{"message":"ok","nu":"7531","state":"0","data":[{"time":"#,
};

/// A shared fault, or else a Kuaidi100 one queued for the next call.
async fn fault(app: &App, path: &str) -> Option<Response> {
    if let Some(r) = app
        .sim
        .fault(path, &FAULT_WORDS, |status, code, message| {
            // Kuaidi100 refuses in a 200; a shared fault keeps its HTTP status.
            let status = if status == StatusCode::UNAUTHORIZED {
                StatusCode::OK
            } else {
                status
            };
            envelope(status, code, message)
        })
        .await
    {
        return Some(r);
    }
    let code = app.k.faults.lock().unwrap().pop_front()?;
    Some(envelope(StatusCode::OK, &code, message_of(&code)))
}

/// The built-in script for ZTO `7531…` and YTO `YT…` numbers.
fn default_script(number: &str) -> Option<Script> {
    let scan = |code: &str, name: &str, context: &str, area: &str, minutes_ago: i64| ScriptedScan {
        status_code: code.into(),
        status: name.into(),
        context: context.into(),
        area_name: Some(area.into()),
        minutes_ago,
    };
    if number.starts_with("7531") {
        Some(Script {
            number: number.into(),
            com: "zhongtong".into(),
            scans: vec![
                scan(
                    "103",
                    "揽收",
                    "【武汉市】 【武汉洪山】 的小王 已揽收",
                    "湖北,武汉市,洪山区",
                    30 * 60,
                ),
                scan(
                    "1002",
                    "干线",
                    "【武汉市】 快件离开 【武汉转运中心】 已发往 【襄阳中转部】",
                    "湖北,武汉市",
                    20 * 60,
                ),
                scan(
                    "1001",
                    "到达派件城市",
                    "【襄阳市】 快件已到达 【襄阳中转部】",
                    "湖北,襄阳市",
                    3 * 60,
                ),
            ],
        })
    } else if number.starts_with("YT") {
        Some(Script {
            number: number.into(),
            com: "yuantong".into(),
            scans: vec![
                scan(
                    "1",
                    "揽收",
                    "【湖北省武汉市公司】 已收件 取件人: 张师傅",
                    "湖北,武汉市",
                    40 * 60,
                ),
                scan(
                    "5",
                    "派件",
                    "【湖北省襄阳市樊城区公司】 派件中 派件人: 李师傅",
                    "湖北,襄阳市,樊城区",
                    6 * 60,
                ),
                scan(
                    "301",
                    "签收",
                    "客户签收人: 本人签收 已签收 感谢使用圆通速递",
                    "湖北,襄阳市",
                    60,
                ),
            ],
        })
    } else if number.starts_with("SF") {
        Some(Script {
            number: number.into(),
            com: "shunfeng".into(),
            scans: vec![
                scan(
                    "0",
                    "在途",
                    "【深圳市】 顺丰速运 已收取快件",
                    "广东,深圳市",
                    26 * 60,
                ),
                scan(
                    "1002",
                    "干线",
                    "【深圳市】 快件离开 【深圳宝安中转场】，已发往 【武汉】",
                    "广东,深圳市",
                    20 * 60,
                ),
                scan(
                    "1001",
                    "到达派件城市",
                    "【襄阳市】 快件到达 【襄阳襄城营业点】",
                    "湖北,襄阳市",
                    2 * 60,
                ),
            ],
        })
    } else {
        None
    }
}

/// Whether `phone` opens an SF number's scans: the receiver's phone or its last four digits.
fn sf_phone_ok(phone: &str) -> bool {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    digits.len() >= 4 && SF_PHONE.ends_with(&digits)
}

fn script_of(app: &App, number: &str) -> Option<Script> {
    let scripted = app.k.scripts.lock().unwrap().get(number).cloned();
    scripted.or_else(|| default_script(number))
}

/// A query answer (and a callback's `lastResult`) for a script: newest first, CST times.
fn answer(s: &Script) -> Value {
    let cst = UtcOffset::from_hms(8, 0, 0).expect("an offset");
    let now = OffsetDateTime::now_utc().to_offset(cst);
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let data: Vec<Value> = s
        .scans
        .iter()
        .rev()
        .map(|sc| {
            let at = (now - Duration::minutes(sc.minutes_ago))
                .format(fmt)
                .unwrap_or_default();
            json!({"time": at, "ftime": at, "context": sc.context, "areaName": sc.area_name,
                   "status": sc.status, "statusCode": sc.status_code})
        })
        .collect();
    let state = s.scans.last().map_or("0", |sc| sc.status_code.as_str());
    let signed = matches!(state, "3" | "301" | "302" | "303" | "304");
    json!({"message": "ok", "nu": s.number, "ischeck": if signed { "1" } else { "0" },
           "condition": if signed { "F00" } else { "00" }, "com": s.com, "status": "200",
           "state": state, "data": data})
}

async fn query(State(app): State<App>, Form(form): Form<HashMap<String, String>>) -> Response {
    if let Some(r) = fault(&app, "/poll/query.do").await {
        return r;
    }
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let (param, given) = (field("param"), field("sign"));
    if field("customer") != CUSTOMER || given != sign(&[param, KEY, CUSTOMER]) {
        return envelope(StatusCode::OK, "503", "验证签名失败");
    }
    let Ok(p) = serde_json::from_str::<Value>(param) else {
        return envelope(StatusCode::OK, "400", "提交的数据不完整");
    };
    let (com, num) = (
        p["com"].as_str().unwrap_or(""),
        p["num"].as_str().unwrap_or(""),
    );
    if com.is_empty() || num.is_empty() {
        return envelope(StatusCode::OK, "400", "提交的数据不完整");
    }
    if com == "shunfeng" && !sf_phone_ok(p["phone"].as_str().unwrap_or("")) {
        return envelope(StatusCode::OK, "408", "快递公司参数异常：验证码错误");
    }
    match script_of(&app, num) {
        Some(s) if s.com == com => Json(answer(&s)).into_response(),
        _ => envelope(StatusCode::OK, "500", message_of("500")),
    }
}

async fn subscribe(State(app): State<App>, Form(form): Form<HashMap<String, String>>) -> Response {
    if let Some(r) = fault(&app, "/poll").await {
        return r;
    }
    let Some(p) = form
        .get("param")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
    else {
        return envelope(StatusCode::OK, "700", "订阅方的订阅数据存在错误");
    };
    if p["key"].as_str() != Some(KEY) {
        return envelope(StatusCode::OK, "600", message_of("600"));
    }
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let (com, number) = (text(&p["company"]), text(&p["number"]));
    let callback = text(&p["parameters"]["callbackurl"]);
    if com.is_empty() || number.is_empty() || !callback.starts_with("http") {
        return envelope(StatusCode::OK, "700", "订阅方的订阅数据存在错误");
    }
    if com == "shunfeng" && !sf_phone_ok(p["parameters"]["phone"].as_str().unwrap_or("")) {
        return envelope(
            StatusCode::OK,
            "700",
            "订阅方的订阅数据存在错误：顺丰单号需提供手机号",
        );
    }
    let sub = Subscription {
        callback,
        salt: text(&p["parameters"]["salt"]),
    };
    if app
        .k
        .subscriptions
        .lock()
        .unwrap()
        .insert(number, sub)
        .is_some()
    {
        return envelope(StatusCode::OK, "501", "重复订阅");
    }
    Json(json!({"result": true, "returnCode": "200", "message": "提交成功"})).into_response()
}

async fn autonumber(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Some(r) = fault(&app, "/autonumber/auto").await {
        return r;
    }
    if q.get("key").map(String::as_str) != Some(KEY) {
        return envelope(StatusCode::OK, "503", message_of("503"));
    }
    let num = q.get("num").map(String::as_str).unwrap_or("");
    let guesses = match script_of(&app, num) {
        Some(s) if s.com == "zhongtong" => {
            json!([{"lengthPre": num.len(), "comCode": "zhongtong", "name": "中通快递", "noPre": "7531", "noCount": 1200}])
        }
        Some(s) if s.com == "yuantong" => {
            json!([{"lengthPre": num.len(), "comCode": "yuantong", "name": "圆通速递", "noPre": "YT", "noCount": 900}])
        }
        Some(s) => json!([{"comCode": s.com, "name": s.com}]),
        None => json!([]),
    };
    Json(guesses).into_response()
}

#[derive(Deserialize)]
struct FaultIn {
    return_code: String,
}

async fn queue_fault(State(app): State<App>, Json(f): Json<FaultIn>) -> StatusCode {
    app.k.faults.lock().unwrap().push_back(f.return_code);
    StatusCode::NO_CONTENT
}

async fn script(State(app): State<App>, Json(s): Json<Script>) -> StatusCode {
    app.k.scripts.lock().unwrap().insert(s.number.clone(), s);
    StatusCode::NO_CONTENT
}

/// The form body of a callback for `number`'s script, signed with `salt`: `param` =
/// `{status, message, lastResult}`, `sign` = upper-case MD5(`param + salt`).
pub fn callback_form(script: &Script, status: &str, salt: &str) -> String {
    let param = json!({"status": status, "billstatus": "got", "message": "", "autoCheck": "0",
                       "comOld": "", "comNew": "", "lastResult": answer(script)})
    .to_string();
    let sign = sign(&[&param, salt]);
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!("param={}&sign={}", enc(&param), enc(&sign))
}

#[derive(Deserialize)]
struct PushIn {
    number: String,
    url: Option<String>,
    salt: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

async fn push(State(app): State<App>, Json(p): Json<PushIn>) -> Response {
    let Some(script) = script_of(&app, &p.number) else {
        return (StatusCode::NOT_FOUND, "no script for that number").into_response();
    };
    let sub = app.k.subscriptions.lock().unwrap().get(&p.number).cloned();
    let Some(url) = p.url.or_else(|| sub.as_ref().map(|s| s.callback.clone())) else {
        return (StatusCode::BAD_REQUEST, "neither a url nor a subscription").into_response();
    };
    let salt = p.salt.or_else(|| sub.map(|s| s.salt)).unwrap_or_default();
    let status = p.status.as_deref().unwrap_or("polling");
    let sent = reqwest::Client::new()
        .post(&url)
        .header(
            header::CONTENT_TYPE.as_str(),
            "application/x-www-form-urlencoded",
        )
        .body(callback_form(&script, status, &salt))
        .send()
        .await;
    match sent {
        Ok(r) => {
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            Json(json!({"status": status, "body": body})).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

fn label_answer(code: i64, message: &str, data: Value) -> Response {
    Json(json!({"code": code, "message": message, "time": 37, "data": data})).into_response()
}

/// A number of `network`'s shape, the `n`-th the simulator issues.
fn number_for(network: &str, n: u64) -> Option<String> {
    Some(match network {
        "zhongtong" => format!("7531{:010}", 4_000_000_000 + n),
        "yuantong" => format!("YT{:013}", 6_186_000_000_000 + n),
        "shentong" => format!("77{:013}", 3_300_000_000_000 + n),
        "yunda" => format!("43{:013}", 1_200_000_000_000 + n),
        "jtexpress" => format!("JT{:013}", 5_000_000_000_000 + n),
        "jd" => format!("JDV{:012}", 20_000_000_000 + n),
        "ems" => format!("11{:011}", 80_000_000_000 + n),
        _ => return None,
    })
}

/// What a person on the e-waybill lacks, if anything.
fn man_missing(who: &str, m: &Value) -> Option<String> {
    let has = |k: &str| m[k].as_str().is_some_and(|s| !s.trim().is_empty());
    if !has("name") {
        return Some(format!("{who}.name 不能为空"));
    }
    let split = has("province") && has("city") && has("addr");
    if !(has("printAddr") || split) {
        return Some(format!("{who}.printAddr 不能为空"));
    }
    if !has("mobile") && !has("tel") {
        return Some(format!("{who}.mobile 和 tel 不能同时为空"));
    }
    None
}

async fn label_order(
    State(app): State<App>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = app
        .sim
        .fault(
            "/label/order",
            &LABEL_FAULT_WORDS,
            |status, code, message| {
                let status = if status == StatusCode::UNAUTHORIZED {
                    StatusCode::OK
                } else {
                    status
                };
                (
                    status,
                    Json(
                        json!({"code": code.parse::<i64>().unwrap_or(-1), "message": message,
                            "time": 1, "data": null}),
                    ),
                )
                    .into_response()
            },
        )
        .await
    {
        return r;
    }
    if let Some(code) = app.k.faults.lock().unwrap().pop_front() {
        return label_answer(code.parse().unwrap_or(-1), message_of(&code), Value::Null);
    }
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let (param, t) = (field("param"), field("t"));
    if field("key") != KEY {
        return label_answer(30003, message_of("30003"), Value::Null);
    }
    if t.is_empty()
        || !t.bytes().all(|b| b.is_ascii_digit())
        || field("sign") != sign(&[param, t, KEY, SECRET])
    {
        return label_answer(30002, message_of("30002"), Value::Null);
    }
    let Ok(p) = serde_json::from_str::<Value>(param) else {
        return label_answer(30001, "参数错误：param 不是 JSON", Value::Null);
    };
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    match field("method") {
        "order" => {
            let network = text(&p["kuaidicom"]);
            if number_for(&network, 0).is_none() {
                return label_answer(
                    30001,
                    "参数错误：不支持的快递公司编码 kuaidicom",
                    Value::Null,
                );
            }
            for (who, m) in [("recMan", &p["recMan"]), ("sendMan", &p["sendMan"])] {
                if let Some(why) = man_missing(who, m) {
                    return label_answer(30001, &format!("参数错误：{why}"), Value::Null);
                }
            }
            let order_id = text(&p["orderId"]);
            let existing = (!order_id.is_empty())
                .then(|| app.k.orders.lock().unwrap().get(&order_id).cloned())
                .flatten();
            let issued = match existing {
                Some(i) => i,
                None => {
                    let count = p["count"].as_u64().unwrap_or(1).max(1);
                    let pieces = if text(&p["needChild"]) == "1" {
                        count
                    } else {
                        1
                    };
                    let mut serial = app.k.serial.lock().unwrap();
                    let numbers: Vec<String> = (0..pieces)
                        .map(|_| {
                            *serial += 1;
                            number_for(&network, *serial).expect("a network")
                        })
                        .collect();
                    let i = Issued {
                        network: network.clone(),
                        kd_order: format!("KD{:012}", *serial),
                        numbers,
                        cancelled: false,
                    };
                    let key = if order_id.is_empty() {
                        i.numbers[0].clone()
                    } else {
                        order_id
                    };
                    app.k.orders.lock().unwrap().insert(key, i.clone());
                    i
                }
            };
            label_answer(
                200,
                "success",
                json!({"taskId": format!("TASK{}", issued.kd_order), "kuaidinum": issued.numbers[0],
                       "childNum": issued.numbers[1..].join(","), "returnNum": "", "label": "",
                       "kdComOrderNum": issued.kd_order, "bulkpen": "襄阳 襄城 A12"}),
            )
        }
        "cancel" => {
            let (network, number) = (text(&p["kuaidicom"]), text(&p["kuaidinum"]));
            let mut orders = app.k.orders.lock().unwrap();
            let Some(i) = orders
                .values_mut()
                .find(|i| i.network == network && i.numbers.first() == Some(&number))
            else {
                return label_answer(30009, message_of("30009"), Value::Null);
            };
            if i.cancelled {
                return label_answer(30005, "快递公司返回异常：该单号已取消", Value::Null);
            }
            i.cancelled = true;
            label_answer(200, "success", Value::Null)
        }
        _ => label_answer(30001, "参数错误：method 不支持", Value::Null),
    }
}
