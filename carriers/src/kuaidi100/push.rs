//! Kuaidi100's callback: a form POST (`param` = the JSON below, `sign` = upper-case
//! `MD5(param + salt)`, the salt given at subscription = the account's `push_secret`), answered
//! with `{"result":true,"returnCode":"200","message":"提交成功"}` or Kuaidi100 sends it again.
//! `param` is `{status, message, lastResult: {nu, com, state, data[]}}`; `lastResult` is the
//! parcel's whole tracking, read exactly as a query answer (`track::events`).
//!
//! The subscription's `status`: `polling` and `updateall` (a re-send) carry scans.
//! `shutdown` (tracking ended because the parcel was signed for) carries the final scans,
//! taken like any others. `abort` (Kuaidi100 gave up: "3天查询无记录", "60天无变化") carries
//! no new fact with a time of its own, so it adds no event: its scans, if any, are taken, and
//! the parcel stays as it was (the hub's own polling, and a new subscription after the half
//! hour Kuaidi100 asks for, are the hub's to decide). It is still acknowledged, or Kuaidi100
//! would send it again.

use reqwest::header::HeaderMap;

use crate::error::CarrierError;
use crate::model::{PushedEvent, TrackingNumber};
use crate::registry::PushAck;

use super::error::DIALECT;
use super::wire::Callback;
use super::{sign, track};

/// What the hub answers a callback it took (Kuaidi100's published example of the answer it
/// requires; anything else is retried).
pub(super) const ACK: PushAck = PushAck {
    content_type: "application/json;charset=utf-8",
    body: r#"{"result":true,"returnCode":"200","message":"提交成功"}"#,
};

/// The `param` and `sign` fields of a form body.
fn fields(body: &[u8]) -> (Option<String>, Option<String>) {
    let (mut param, mut sign) = (None, None);
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "param" => param = Some(v.into_owned()),
            "sign" => sign = Some(v.into_owned()),
            _ => {}
        }
    }
    (param, sign)
}

/// Whether the callback's `sign` is `MD5(param + secret)`; false without either, or with an
/// empty secret (an unsigned callback would be anybody's).
pub fn verify(_headers: &HeaderMap, body: &[u8], secret: &str) -> bool {
    let (Some(param), Some(given)) = fields(body) else {
        return false;
    };
    !secret.is_empty() && sign::matches(&given, &sign::callback(&param, secret))
}

/// The scans a callback carries. An unreadable body is `Protocol` (HTTP status 0: a request
/// to us), never a panic.
pub fn parse(body: &[u8]) -> Result<Vec<PushedEvent>, CarrierError> {
    let (Some(param), _) = fields(body) else {
        return Err(DIALECT.protocol(0, body, "a callback without `param`"));
    };
    let callback: Callback = serde_json::from_str(&param)
        .map_err(|e| DIALECT.protocol(0, body, format!("callback param: {e}")))?;
    let Some(last) = callback.last_result else {
        return Ok(Vec::new());
    };
    let Some(nu) = last.nu.as_deref().map(str::trim).filter(|n| !n.is_empty()) else {
        if last.data.is_empty() {
            return Ok(Vec::new());
        }
        return Err(DIALECT.protocol(0, body, "lastResult has scans but no `nu`"));
    };
    let number: TrackingNumber = nu
        .parse()
        .map_err(|_| DIALECT.protocol(0, body, format!("lastResult.nu `{nu}` is not a number")))?;
    let events = track::events(&last.data, last.state.as_deref())
        .map_err(|e| crate::http::with_body(e, body, super::error::REDACTED))?;
    Ok(events
        .into_iter()
        .map(|event| PushedEvent {
            tracking_number: number.clone(),
            event,
            estimated_delivery: None,
            signed_by: None,
        })
        .collect())
}
