//! Kuaidi100 errors → `CarrierError`. Kuaidi100 answers HTTP 200 with
//! `{"result": false, "returnCode": "…", "message": "…"}` when it refuses, so the table is
//! its `returnCode`s per operation (the same number means different things to the query and
//! to the subscription: 501 is a server error to one and "already subscribed" to the other).
//! A status other than 2xx is the transport's (a gateway's 502, a throttle's 429). Pure;
//! never panics on any body. Sources: `fixtures/SOURCES.md`.

use std::time::Duration;

use crate::error::CarrierError;
use crate::http::Dialect;

use super::CODE;
use super::wire::Envelope;

/// Which call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    /// `poll/query.do`.
    Query,
    /// `poll`.
    Subscribe,
    /// `autonumber/auto`.
    AutoNumber,
    /// `label/order` `method=order` (an e-waybill purchase).
    LabelOrder,
    /// `label/order` `method=cancel`.
    LabelCancel,
}

/// What a refusal means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meaning {
    /// Not an error: the query has no scans yet (an empty result), the subscription exists.
    Fine,
    /// The key, sign or customer refused, or the paid volume used up: fix the account.
    Auth,
    /// Kuaidi100-side trouble: try later.
    Transient,
    /// Asked too often: try again after this many seconds.
    Throttled(u64),
    /// The request's data: the field in our vocabulary.
    Field(&'static str),
}

/// The query's `returnCode`s.
static QUERY: &[(&str, Meaning)] = &[
    ("400", Meaning::Field("/network")), // 找不到对应公司 / 提交的数据不完整 (unknown company code, incomplete data)
    ("401", Meaning::Field("/network")), // 暂不支持该快递公司 (a company the query does not cover)
    ("408", Meaning::Field("/phone")), // 需要填写收寄件人手机号 (the phone SF numbers need: missing or wrong)
    ("500", Meaning::Fine),            // 查询无结果，请隔段时间再查 (no result yet, ask later)
    ("501", Meaning::Transient),       // 服务器错误
    ("502", Meaning::Transient),       // 服务器繁忙
    ("503", Meaning::Auth),            // 验证签名失败 (bad sign)
    ("504", Meaning::Throttled(1800)), // 查询过于频繁: the same number asked too often, 30 minutes
    ("601", Meaning::Auth), // POLL:KEY已过期 / 账户余额不足 (key expired, volume used up)
];

/// The subscription's `returnCode`s.
static SUBSCRIBE: &[(&str, Meaning)] = &[
    ("200", Meaning::Fine),              // 提交成功
    ("501", Meaning::Fine),              // 重复订阅: already subscribed and still polling
    ("500", Meaning::Transient),         // 服务器错误
    ("600", Meaning::Auth),              // 您不是合法的订阅者 (the key is wrong)
    ("601", Meaning::Auth),              // POLL:KEY已过期
    ("700", Meaning::Field("")),         // 订阅方的订阅数据存在错误 / 错误的回调地址
    ("701", Meaning::Field("/network")), // 拒绝订阅的快递公司
    ("702", Meaning::Field("/network")), // POLL:识别不到该单号对应的快递公司
];

/// The e-waybill's `code`s (`label/order`, both methods), from Kuaidi100's own API documentation
/// of that endpoint (its 返回信息代码含义 table; `SOURCES.md`). 30005 carries the network's own
/// refusal in its words (no e-waybill balance at the outlet, an address it does not serve).
static LABEL: &[(&str, Meaning)] = &[
    ("200", Meaning::Fine),        // 提交成功
    ("-1", Meaning::Transient),    // 服务器错误: Kuaidi100's servers, intermittent
    ("30001", Meaning::Field("")), // 参数错误: `message` names the field
    ("30002", Meaning::Auth),      // 验证签名失败 (the secret)
    ("30003", Meaning::Auth),      // 账号信息不正确 (the key)
    ("30004", Meaning::Auth),      // 账号单量不足: Kuaidi100's paid volume used up
    ("30005", Meaning::Field("")), // 快递公司返回异常: the network refused, in its words
    ("30009", Meaning::Field("")), // 查无此单: no such order (a cancel of an unknown number)
];

fn meaning(op: Op, code: &str) -> Option<Meaning> {
    let table = match op {
        Op::Subscribe => SUBSCRIBE,
        Op::Query | Op::AutoNumber => QUERY,
        Op::LabelOrder | Op::LabelCancel => LABEL,
    };
    table.iter().find(|(c, _)| *c == code).map(|(_, m)| *m)
}

/// Whether a refusal with `code` is no error at all for `op` (query 500, subscribe 200/501).
pub(super) fn is_fine(op: Op, code: &str) -> bool {
    meaning(op, code) == Some(Meaning::Fine)
}

/// The error a refusal (`returnCode` other than a fine one) means. An unknown code is a
/// refusal of the request's data (`Rejected`, never retried): refusing is the safe default.
pub(super) fn refusal(op: Op, code: &str, message: Option<&str>) -> CarrierError {
    let message = message.unwrap_or("").trim().to_string();
    match meaning(op, code) {
        Some(Meaning::Auth) => CarrierError::Auth {
            carrier: CODE,
            code: Some(code.to_string()),
        },
        Some(Meaning::Transient) => CarrierError::Transient {
            carrier: CODE,
            message: format!("Kuaidi100 returnCode {code}: {message}"),
            // A purchase Kuaidi100 failed on its side may still have reached the network.
            maybe_processed: op == Op::LabelOrder,
        },
        Some(Meaning::Throttled(secs)) => CarrierError::RateLimited {
            carrier: CODE,
            retry_after: Some(Duration::from_secs(secs)),
        },
        Some(Meaning::Field(field)) => CarrierError::rejected(CODE, field, Some(code), message),
        Some(Meaning::Fine) | None => CarrierError::rejected(CODE, "", Some(code), message),
    }
}

/// A non-2xx answer: the transport's or a gateway's, since Kuaidi100 itself refuses in a 200.
fn classify(op: Op, status: u16, retry_after: Option<Duration>, body: &[u8]) -> CarrierError {
    if matches!(op, Op::LabelOrder | Op::LabelCancel)
        && let Ok(a) = serde_json::from_slice::<super::ewaybill::LabelAnswer>(body)
        && let Some(code) = a.code.as_deref()
        && !is_fine(op, code)
    {
        return refusal(op, code, a.message.as_deref());
    }
    if let Ok(e) = serde_json::from_slice::<Envelope>(body)
        && let Some(code) = e.return_code.as_deref()
        && !is_fine(op, code)
    {
        return refusal(op, code, e.message.as_deref());
    }
    match status {
        401 | 403 => CarrierError::Auth {
            carrier: CODE,
            code: Some(status.to_string()),
        },
        429 => CarrierError::RateLimited {
            carrier: CODE,
            retry_after,
        },
        500..=599 => CarrierError::Transient {
            carrier: CODE,
            message: format!("Kuaidi100 answered HTTP {status}"),
            maybe_processed: false,
        },
        _ => DIALECT.protocol(status, body, format!("HTTP {status} from Kuaidi100")),
    }
}

/// How Kuaidi100's answers read (see `crate::http::Dialect`).
pub(super) static DIALECT: Dialect<Op> = Dialect {
    carrier: CODE,
    redacted: REDACTED,
    classify,
};

/// Keys whose values never stay in a kept body: the authorization key (the subscription's
/// `param` carries it) and the callback salt.
pub(super) const REDACTED: &[&str] =
    &["\"key\"", "\"salt\"", "\"partnerKey\"", "\"partnerSecret\""];
