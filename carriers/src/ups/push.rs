//! UPS Track Alert deliveries (`webhooks.TrackingEvent` in
//! `../shared/carriers/ups/openapi/UPSTrackAlert.yaml`): UPS POSTs one JSON
//! `TrackingEventRequest` per event to the URL given at subscription. Pure parsing; the hub
//! owns the endpoint, the subscription and deduplication.
//!
//! Statuses map exactly as polled ones do (`track::status_of`): the payload's
//! `activityStatus.type`/`code` are the Track API's `status.type`/`code`, and its
//! `descriptionCode` (present in the spec's examples, e.g. `011`) is the Track API's
//! `statusCode`. Times are local (`localActivityDate`/`Time`) with the offset from `gmtOffset`
//! (`-04.00`), or else from the difference to `gmtActivityDate`/`Time`; UTC when neither
//! is given.
//!
//! Authentication, per the spec: the webhook's security scheme is `clientOauth2`, "OAuth token
//! generator provided by the customer". UPS acts as an OAuth client of *our* token URL
//! (client credentials, `client_secret_basic`), registered through UPS's "Manage Webhook
//! Credentials" (v2; v1 carried `credential`/`credentialType` in the subscription), and sends
//! the token it got as `Authorization: Bearer …`, with `x-api-key: <client id>` (optional for
//! non-OAuth clients) and `User-Agent: UPSPubSubTrackingService`. There is no body signature.
//! So the hub serves a token URL that hands out the account's per-account secret as the access
//! token, and [`verify_track_alert`] checks that bearer token on each delivery.

use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::CarrierError;
use crate::model::{CountryCode, Location, PushedEvent, TrackingEvent, TrackingNumber};

use super::error::protocol;
use super::rate::parse_date;
use super::track::status_of;

/// The events in a Track Alert delivery: the spec's single `TrackingEventRequest` object, or
/// an array of them. Anything unreadable is a `Protocol` error (HTTP status 0: it is a
/// request to us, not a response), never a panic.
pub fn parse_track_alert(body: &[u8]) -> Result<Vec<PushedEvent>, CarrierError> {
    let wire: OneOrMany = serde_json::from_slice(body)
        .map_err(|e| protocol(0, body, format!("Track Alert body: {e}")))?;
    let items = match wire {
        OneOrMany::One(e) => vec![*e],
        OneOrMany::Many(v) => v,
    };
    items
        .into_iter()
        .map(|e| pushed(e).map_err(|m| protocol(0, body, m)))
        .collect()
}

/// Whether a delivery carries `Authorization: Bearer <secret>` (the token the hub's token URL
/// issued for this account). Compared in constant time over SHA-256 digests.
pub fn verify_track_alert(headers: &HeaderMap, _body: &[u8], secret: &str) -> bool {
    let Some(token) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    if secret.is_empty() {
        return false;
    }
    let (a, b) = (Sha256::digest(token.trim()), Sha256::digest(secret));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Box<Event>),
    Many(Vec<Event>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    tracking_number: String,
    local_activity_date: Option<String>,
    local_activity_time: Option<String>,
    gmt_activity_date: Option<String>,
    gmt_activity_time: Option<String>,
    gmt_offset: Option<String>,
    activity_location: Option<ActivityLocation>,
    activity_status: ActivityStatus,
    scheduled_delivery_date: Option<String>,
    received_by: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActivityLocation {
    city: Option<String>,
    state_province: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActivityStatus {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    description: Option<String>,
    /// A string in JSON; the spec's YAML examples write it as a bare `011`.
    description_code: Option<serde_json::Value>,
}

fn pushed(e: Event) -> Result<PushedEvent, String> {
    let tracking_number: TrackingNumber = e
        .tracking_number
        .parse()
        .map_err(|_| format!("trackingNumber `{}`", e.tracking_number))?;
    let text = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let local = datetime(&e.local_activity_date, &e.local_activity_time);
    let gmt = datetime(&e.gmt_activity_date, &e.gmt_activity_time);
    let offset = e.gmt_offset.as_deref().and_then(parse_offset).or_else(|| {
        let secs = (local? - gmt?).whole_seconds();
        // Real offsets are whole quarter hours within ±18 h; anything else is not an offset.
        let offset = UtcOffset::from_whole_seconds(i32::try_from(secs).ok()?).ok()?;
        (secs % 900 == 0).then_some(offset)
    });
    let occurred_at: OffsetDateTime = match (local, gmt, offset) {
        (Some(l), _, Some(o)) => l.assume_offset(o),
        (_, Some(g), _) => g.assume_utc(),
        (Some(l), None, None) => l.assume_utc(),
        (None, None, _) => return Err("an event without a readable date".into()),
    };
    let s = e.activity_status;
    let status_code = match s.description_code {
        Some(serde_json::Value::String(c)) => Some(c),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
    .filter(|c| !c.trim().is_empty());
    let kind = text(s.kind);
    let code = text(s.code);
    let status = status_of(kind.as_deref(), code.as_deref(), status_code.as_deref());
    let location = e.activity_location.map(|l| Location {
        city: text(l.city),
        state: text(l.state_province),
        postal_code: text(l.postal_code),
        country: l.country.and_then(|c| c.trim().parse::<CountryCode>().ok()),
    });
    Ok(PushedEvent {
        tracking_number,
        event: TrackingEvent {
            occurred_at,
            status,
            carrier_code: status_code.or(kind).unwrap_or_default(),
            sub_status: code,
            description: text(s.description).unwrap_or_default(),
            location: location.filter(|l| *l != Location::default()),
        },
        estimated_delivery: e.scheduled_delivery_date.as_deref().and_then(parse_date),
        signed_by: text(e.received_by),
    })
}

/// `YYYYMMDD` + `HHMMSS`; midnight when the time is missing.
fn datetime(date: &Option<String>, time: &Option<String>) -> Option<PrimitiveDateTime> {
    let date: Date = parse_date(date.as_deref()?)?;
    let t = match time.as_deref().map(str::trim) {
        Some(t) if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) => {
            let n = |r: std::ops::Range<usize>| t[r].parse::<u8>().ok();
            Time::from_hms(n(0..2)?, n(2..4)?, n(4..6)?).ok()?
        }
        _ => Time::MIDNIGHT,
    };
    Some(PrimitiveDateTime::new(date, t))
}

/// `gmtOffset`: `(-/+)HH.MM`, e.g. `-04.00`.
fn parse_offset(s: &str) -> Option<UtcOffset> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once('.')?;
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;
    use time::macros::{date, datetime};

    use super::*;
    use crate::model::TrackingStatus;

    /// Example '1' of `webhooks.TrackingEvent` ("Out for delivery message"), as JSON.
    const OUT_FOR_DELIVERY: &str = r#"{
        "trackingNumber": "1Z204W4R0308071865",
        "localActivityDate": "20240423",
        "localActivityTime": "091519",
        "activityLocation": {"city": "Charlotte", "stateProvince": "NC", "postalCode": "30004", "country": "US"},
        "activityStatus": {"type": "I", "code": "OT", "description": "Out for Delivery", "descriptionCode": "021"},
        "scheduledDeliveryDate": "20240423",
        "gmtActivityDate": "20240423",
        "gmtActivityTime": "131519",
        "deliveryTimeDescription": "end of day"
    }"#;

    /// Example '2' ("Delivery message"), with `descriptionCode` as the YAML's bare number.
    const DELIVERED: &str = r#"{
        "trackingNumber": "1Z204W4R0308071865",
        "localActivityDate": "20240423",
        "localActivityTime": "095004",
        "activityLocation": {"city": "CHARLOTTE", "stateProvince": "NC", "postalCode": "28209", "country": "US"},
        "activityStatus": {"type": "D", "code": "FS", "description": "Delivered", "descriptionCode": 11},
        "scheduledDeliveryDate": "20191014",
        "gmtActivityDate": "20240423",
        "gmtActivityTime": "135004",
        "actualDeliveryDate": "20240423",
        "actualDeliveryTime": "095004",
        "receivedBy": "John"
    }"#;

    fn one(body: &str) -> PushedEvent {
        let mut v = parse_track_alert(body.as_bytes()).unwrap();
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    #[test]
    fn the_spec_out_for_delivery_example_maps_with_its_local_offset() {
        let p = one(OUT_FOR_DELIVERY);
        assert_eq!(p.tracking_number.as_str(), "1Z204W4R0308071865");
        assert_eq!(p.event.occurred_at, datetime!(2024-04-23 09:15:19 -04:00));
        assert_eq!(
            p.event.occurred_at.offset(),
            UtcOffset::from_hms(-4, 0, 0).unwrap()
        );
        assert_eq!(p.event.status, TrackingStatus::OutForDelivery);
        assert_eq!(p.event.carrier_code, "021");
        assert_eq!(p.event.sub_status.as_deref(), Some("OT"));
        assert_eq!(p.event.description, "Out for Delivery");
        let loc = p.event.location.unwrap();
        assert_eq!(loc.city.as_deref(), Some("Charlotte"));
        assert_eq!(loc.state.as_deref(), Some("NC"));
        assert_eq!(loc.postal_code.as_deref(), Some("30004"));
        assert_eq!(loc.country.unwrap().as_str(), "US");
        assert_eq!(p.estimated_delivery, Some(date!(2024 - 04 - 23)));
        assert_eq!(p.signed_by, None);
    }

    #[test]
    fn the_spec_delivered_example_carries_the_signer() {
        let p = one(DELIVERED);
        assert_eq!(p.event.occurred_at, datetime!(2024-04-23 09:50:04 -04:00));
        assert_eq!(p.event.status, TrackingStatus::Delivered);
        assert_eq!(p.event.carrier_code, "11");
        assert_eq!(p.signed_by.as_deref(), Some("John"));
        assert_eq!(p.estimated_delivery, Some(date!(2019 - 10 - 14)));
    }

    #[test]
    fn statuses_match_the_track_adapter_mapping() {
        for (kind, code, desc) in [("I", "OT", "021"), ("D", "FS", "011"), ("X", "", "")] {
            let body = format!(
                r#"{{"trackingNumber":"1ZCIETST0111111114","gmtActivityDate":"20240423",
                "activityStatus":{{"type":"{kind}","code":"{code}","descriptionCode":"{desc}"}}}}"#
            );
            let p = one(&body);
            let nz = |s: &'static str| Some(s).filter(|s| !s.is_empty());
            assert_eq!(
                p.event.status,
                status_of(Some(kind), nz(code), nz(desc)),
                "{kind}"
            );
            assert_eq!(p.event.occurred_at, datetime!(2024-04-23 00:00 UTC));
        }
    }

    #[test]
    fn an_explicit_gmt_offset_wins_and_an_array_of_events_is_accepted() {
        let body = r#"[
            {"trackingNumber":"1ZCIETST0111111114","localActivityDate":"20240423","localActivityTime":"181500",
             "gmtOffset":"+05.30","activityStatus":{"type":"M","code":"MP"}},
            {"trackingNumber":"1ZCIETST0422222228","gmtActivityDate":"20240423","gmtActivityTime":"131519",
             "activityStatus":{"type":"I","code":"DP"}}
        ]"#;
        let v = parse_track_alert(body.as_bytes()).unwrap();
        assert_eq!(
            v[0].event.occurred_at,
            datetime!(2024-04-23 18:15:00 +05:30)
        );
        assert_eq!(v[0].event.status, TrackingStatus::PreTransit);
        assert_eq!(v[1].event.occurred_at, datetime!(2024-04-23 13:15:19 UTC));
        assert_eq!(v[1].tracking_number.as_str(), "1ZCIETST0422222228");
    }

    #[test]
    fn malformed_bodies_are_protocol_errors() {
        for body in [
            &b""[..],
            b"not json",
            b"{}",
            b"[1, 2]",
            b"\xff\xfe",
            br#"{"trackingNumber":"1Z$","activityStatus":{},"gmtActivityDate":"20240423"}"#,
            br#"{"trackingNumber":"1ZCIETST0111111114","activityStatus":{}}"#,
            br#"{"trackingNumber":"1ZCIETST0111111114","activityStatus":{},"gmtActivityDate":"20241340"}"#,
            br#"{"trackingNumber":"1ZCIETST0111111114","gmtActivityDate":"20240423"}"#,
            br#"{"trackingNumber":42,"activityStatus":{},"gmtActivityDate":"20240423"}"#,
        ] {
            let e = parse_track_alert(body).unwrap_err();
            assert!(
                matches!(e, CarrierError::Protocol { status: 0, .. }),
                "{body:?}: {e:?}"
            );
        }
    }

    #[test]
    fn deliveries_are_verified_by_their_bearer_token() {
        let mut h = HeaderMap::new();
        assert!(!verify_track_alert(&h, b"", "s3cret"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer s3cret"));
        h.insert("x-api-key", HeaderValue::from_static("client-id"));
        assert!(verify_track_alert(&h, b"", "s3cret"));
        assert!(!verify_track_alert(&h, b"", "s3cre"));
        assert!(!verify_track_alert(&h, b"", ""));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic s3cret"));
        assert!(!verify_track_alert(&h, b"", "s3cret"));
    }
}
