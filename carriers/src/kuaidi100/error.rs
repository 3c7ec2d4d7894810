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
    /// The request's data: the field in our vocabulary.
    Field(&'static str),
}

/// The query's `returnCode`s.
static QUERY: &[(&str, Meaning)] = &[
    ("400", Meaning::Field("/network")), // 找不到对应公司 / 提交的数据不完整 (unknown company code, incomplete data)
    ("408", Meaning::Field("/phone")), // 快递公司参数异常：验证码错误 (the phone SF numbers need: missing or wrong)
    ("500", Meaning::Fine),            // 查询无结果，请隔段时间再查 (no result yet, ask later)
    ("501", Meaning::Transient),       // 服务器错误
    ("502", Meaning::Transient),       // 服务器繁忙
    ("503", Meaning::Auth),            // 验证签名失败 (bad sign)
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

/// The e-waybill's `code`s. The demos confirm only 200 = success ("其他-失败", java-demo
/// `labelV2.Result`); the others are the query's codes carried over (`SOURCES.md`, not
/// confirmed for `label/order`). The network's own refusals (no e-waybill balance at the
/// outlet, an address it does not serve) come back with the network's words in `message`
/// under a code not listed here, hence refused as the request's (fix input, never retried).
static LABEL: &[(&str, Meaning)] = &[
    ("200", Meaning::Fine),
    ("400", Meaning::Field("")), // 提交的数据不完整 / 参数错误
    ("500", Meaning::Transient), // 服务器错误
    ("501", Meaning::Transient),
    ("502", Meaning::Transient), // 服务器繁忙
    ("503", Meaning::Auth),      // 验证签名失败 (key or secret wrong)
    ("601", Meaning::Auth),      // key expired / Kuaidi100 balance used up: fix the account
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
