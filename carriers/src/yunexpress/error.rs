//! YunExpress answers to `CarrierError`. Two layers: the HTTP status (401 for a token or
//! signature YunExpress refuses, 429 when throttled, 5xx), then — on any status — the
//! envelope `{success, code, msg}`: `success: false` is a refusal whose `code` and `msg` are
//! YunExpress's. Pure: status, Retry-After and body in; never panics.
//!
//! YunExpress publishes no error-code table we could confirm (SOURCES.md, "Errors"): a
//! refusal is read by its words. A message about the token, the signature or the account is
//! `Auth`; a message naming a product, a declaration field or an address field points at our
//! request's field; anything else is a rejection of the request as a whole, YunExpress's
//! code and words kept.

use std::time::Duration;

use crate::error::{CarrierError, FieldError};
use crate::http::Dialect;

use super::wire;

/// Which call the answer belongs to: decides `maybe_processed` and where fields point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Token,
    Rate,
    Ship,
    Label,
    Void,
    Track,
}

/// How YunExpress's answers read (see `crate::http::Dialect`).
pub(super) static DIALECT: Dialect<Op> = Dialect {
    carrier: super::CODE,
    redacted: REDACTED,
    classify,
};

/// Keys whose string values never stay in a kept body: the token and the label's base64.
pub(super) const REDACTED: &[&str] = &["\"accessToken\"", "\"label_string\"", "\"appSecret\""];

/// Words of a refusal about the credentials rather than the request (lower case).
const AUTH_WORDS: &[&str] = &[
    "token",
    "sign",
    "签名",
    "授权",
    "unauthorized",
    "appid",
    "app id",
    "sourcekey",
    "source key",
    "令牌",
];

/// Words that place a refusal on a field of our request, first match wins (lower case).
fn field_for(op: Op, text: &str) -> String {
    let t = text.to_lowercase();
    let has = |ws: &[&str]| ws.iter().any(|w| t.contains(w));
    match op {
        Op::Track => return "/tracking_numbers".into(),
        Op::Void | Op::Label => return String::new(),
        _ => {}
    }
    if has(&[
        "customer_order_number",
        "customer order",
        "客户订单号",
        "客户单号",
    ]) {
        return "/reference".into();
    }
    if has(&["product", "产品"]) {
        return "/service".into();
    }
    if has(&["name_local", "中文品名", "中文名", "申报中文"]) {
        return "/customs/items".into();
    }
    if has(&["hs_code", "海关编码"]) {
        return "/customs/items".into();
    }
    if has(&["declar", "申报"]) {
        return "/customs".into();
    }
    let party = if has(&["sender", "发件"]) {
        "/from"
    } else {
        "/to"
    };
    let attribute = if has(&["postal", "邮编"]) {
        "/postal_code"
    } else if has(&["phone", "电话"]) {
        "/phone"
    } else if has(&["country", "国家"]) {
        "/country"
    } else if has(&["province", "省"]) {
        "/state"
    } else if has(&["city", "城市"]) {
        "/city"
    } else if has(&["address", "地址"]) {
        "/street"
    } else {
        ""
    };
    if !attribute.is_empty() {
        return format!("{party}{attribute}");
    }
    if has(&["weight", "重量"]) {
        return "/parcels/0/weight".into();
    }
    String::new()
}

/// The error for an answer YunExpress marked as failed (`success: false`) or sent with a
/// non-2xx status.
pub(super) fn refused(op: Op, code: Option<&str>, msg: Option<&str>) -> CarrierError {
    let message = msg.unwrap_or("YunExpress refused the request").to_string();
    let lower = message.to_lowercase();
    if AUTH_WORDS.iter().any(|w| lower.contains(w)) {
        return CarrierError::Auth {
            carrier: super::CODE,
            code: code.map(str::to_string),
        };
    }
    CarrierError::Rejected {
        carrier: super::CODE,
        errors: vec![FieldError {
            field: field_for(op, &message),
            carrier_code: code.map(str::to_string),
            message,
        }],
    }
}

/// The error for a non-2xx answer.
pub(super) fn classify(
    op: Op,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> CarrierError {
    let parsed: Option<wire::Bare> = serde_json::from_slice(body).ok();
    let code = parsed.as_ref().and_then(|p| p.code.clone());
    let msg = parsed.as_ref().and_then(|p| p.msg.clone());
    match status {
        429 => CarrierError::RateLimited {
            carrier: super::CODE,
            retry_after,
        },
        401 | 403 => CarrierError::Auth {
            carrier: super::CODE,
            code: code.or_else(|| Some(status.to_string())),
        },
        // A 5xx after we sent an order may have created it.
        500..=599 => CarrierError::Transient {
            carrier: super::CODE,
            message: format!(
                "HTTP {status}{}",
                msg.map(|m| format!(": {m}")).unwrap_or_default()
            ),
            maybe_processed: op == Op::Ship,
        },
        400 | 422 if msg.is_some() => refused(op, code.as_deref(), msg.as_deref()),
        404 => DIALECT.protocol(
            status,
            body,
            "YunExpress does not serve this path (check the account's base URL)",
        ),
        _ => DIALECT.protocol(status, body, format!("unexpected HTTP {status}")),
    }
}

/// The `result` of a 2xx envelope; `success: false` through [`refused`], a success without
/// a result (where one is needed) `Protocol`.
pub(super) fn result<T>(op: Op, env: wire::Envelope<T>) -> Result<T, CarrierError> {
    if env.success != Some(true) {
        return Err(refused(op, env.code.as_deref(), env.msg.as_deref()));
    }
    env.result.ok_or_else(|| {
        DIALECT.protocol(200, b"", "a successful answer without a readable `result`")
    })
}

/// A 2xx envelope that carries no result (cancel): its `success`.
pub(super) fn done(op: Op, env: wire::Bare) -> Result<(), CarrierError> {
    if env.success != Some(true) {
        return Err(refused(op, env.code.as_deref(), env.msg.as_deref()));
    }
    Ok(())
}
