//! Route push (`RoutePushService`): SF POSTs the scans of waybills ordered through the API
//! to the URL the shipper registered, up to 10 `WaybillRoute`s per delivery, and wants
//! `{"return_code":"0000","return_msg":"成功"}` back (`1000` would ask it to send again).
//!
//! The scans are `{"Body":{"WaybillRoute":[{mailno, orderid, acceptTime, acceptAddress,
//! remark, opCode, id, reasonCode, reasonName}]}}`. Public receivers read that JSON as SF
//! POSTs it, with no signature we could find documented; the hub accepts no unsigned push, so
//! verification asks for SF's one signature scheme on it: the delivery as a std/service
//! message (form fields `partnerID`, `requestID`, `serviceCode`, `timestamp`, `msgDigest`,
//! `msgData` = that JSON), `msgDigest` = Base64(MD5(urlencode(msgData + timestamp + key)))
//! with the account's `push_secret` as the key. SOURCES.md says what of this is unconfirmed.
//! `parse` reads both bodies; `verify` passes only a signed one. An unsigned push is taken at
//! the hub's keyed URL (`…/sf_express/{account}/k/{push_secret}`), which checks the key
//! instead of calling `verify`.

use reqwest::header::HeaderMap;

use crate::error::CarrierError;
use crate::model::{PushedEvent, TrackingNumber};
use crate::registry::PushAck;

use super::sign;
use super::track;
use super::wire;

/// The answer SF expects for a delivery it need not repeat.
pub(super) const ACK: PushAck = PushAck {
    content_type: "application/json;charset=UTF-8",
    body: r#"{"return_code":"0000","return_msg":"成功"}"#,
};

struct Form {
    timestamp: String,
    msg_data: String,
    digest: String,
}

fn form(body: &[u8]) -> Option<Form> {
    let (mut timestamp, mut msg_data, mut digest) = (None, None, None);
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "timestamp" => timestamp = Some(v.into_owned()),
            "msgData" => msg_data = Some(v.into_owned()),
            "msgDigest" => digest = Some(v.into_owned()),
            _ => {}
        }
    }
    Some(Form {
        timestamp: timestamp?,
        msg_data: msg_data?,
        digest: digest?,
    })
}

/// Whether the delivery's `msgDigest` is SF's signature of its `msgData` and `timestamp`
/// under `secret`.
pub(super) fn verify(_headers: &HeaderMap, body: &[u8], secret: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    form(body).is_some_and(|f| sign::verify(&f.msg_data, &f.timestamp, secret, &f.digest))
}

/// The scans a delivery carries. Anything unreadable is a `Protocol` error (status 0: it is
/// a request to us), never a panic; a scan without a number or a readable time is skipped.
/// Reads SF's JSON push as it is (`{"Body":{"WaybillRoute":[…]}}`) or inside the signed form.
pub(super) fn parse(body: &[u8]) -> Result<Vec<PushedEvent>, CarrierError> {
    let bad = |m: String| super::error::DIALECT.protocol(0, body, m);
    let push: wire::RoutePush = if body.trim_ascii_start().starts_with(b"{") {
        serde_json::from_slice(body).map_err(|e| bad(format!("route push: {e}")))?
    } else {
        let f = form(body).ok_or_else(|| {
            bad("not an SF push (JSON, or a form with msgData, timestamp, msgDigest)".into())
        })?;
        serde_json::from_str(&f.msg_data).map_err(|e| bad(format!("msgData: {e}")))?
    };
    let mut out = Vec::new();
    for r in push.body.waybill_route {
        let Some(number) = r
            .mailno
            .as_deref()
            .and_then(|m| m.parse::<TrackingNumber>().ok())
        else {
            continue;
        };
        if let Some(event) = track::event(
            r.accept_time.as_deref(),
            r.op_code.as_deref(),
            r.remark.as_deref(),
            r.accept_address.as_deref(),
        ) {
            out.push(PushedEvent {
                tracking_number: number,
                event,
                estimated_delivery: None,
                signed_by: None,
            });
        }
    }
    Ok(out)
}
