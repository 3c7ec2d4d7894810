//! Tracking: `GET /api/track/v1/details/{inquiryNumber}`, one number per call (UPS's Track
//! API takes one inquiry number; the adapter declares `track_batch_max = 1` and lets the hub's
//! scheduler batch and pace calls under the account's quota, instead of looping here where a
//! 429 half-way would lose the answers already fetched). Pure build/parse.

use time::{OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::CarrierError;
use crate::model::{
    CountryCode, Location, TrackingEvent, TrackingNumber, TrackingResult, TrackingStatus,
};

use super::codes;
use super::rate::parse_date;
use super::wire;

pub(super) fn path(number: &TrackingNumber) -> String {
    format!("/api/track/v1/details/{number}")
}

pub(super) fn query() -> [(&'static str, &'static str); 2] {
    [("locale", "en_US"), ("returnSignature", "false")]
}

/// The normalized status of one UPS status triple.
///
/// `statusCode` ("Status/Description Codes") is UPS's own normalization and wins. When it is
/// absent or unknown, the activity `code` is looked up in the table its `type` selects (an
/// `X` activity's code is a package exception, a `D` activity's a delivery code, `M`/`MV`
/// manifest codes, `I` movement scans, `U` updates), then the `type` itself. When
/// `statusCode` says only the generic "Exception" (13, 29), the exception table's more
/// specific answer (attempt failed, returning to sender) is taken; and a `statusCode` saying
/// "not yet handed over" loses to an activity type that says the parcel moved.
pub(super) fn status_of(
    kind: Option<&str>,
    code: Option<&str>,
    status_code: Option<&str>,
) -> TrackingStatus {
    let by_status = status_code
        .map(|s| {
            let trimmed = s.trim().trim_start_matches('0');
            if trimmed.is_empty() { "0" } else { trimmed }
        })
        .and_then(|s| codes::table("Status/Description Codes").status(s));
    let by_code = match (kind, code) {
        (Some(k), Some(c)) => {
            let table = match k {
                "X" => Some("Package Exceptions"),
                "D" => Some("Delivery Codes"),
                "M" | "MV" => Some("Manifest Codes"),
                "I" => Some("Movement Scans"),
                "U" => Some("Updates"),
                "DO" | "DD" | "W" => Some("Freight Activity"),
                _ => None,
            };
            table.and_then(|t| codes::table(t).status(c.trim()))
        }
        _ => None,
    };
    let by_type = kind.and_then(|k| codes::table("Package Activity Types").status(k.trim()));
    let moved = matches!(kind.map(str::trim), Some("D" | "I" | "X"));
    match (by_status, by_code) {
        (Some(TrackingStatus::Exception), Some(specific)) if specific.is_problem() => specific,
        // A "not yet handed over" statusCode beside an activity type that says the parcel
        // moved is stale (UPS's own sample has one): the activity wins.
        (Some(TrackingStatus::PreTransit), c) if moved => {
            c.or(by_type).unwrap_or(TrackingStatus::Unknown)
        }
        (Some(s), _) if s != TrackingStatus::Unknown => s,
        (_, Some(c)) => c,
        _ => by_type.unwrap_or(TrackingStatus::Unknown),
    }
}

/// The tracking result for `number` from a Track answer. A number UPS knows nothing about
/// yet (no package in the answer) is `Unknown` with no events rather than an error: a label
/// created a minute ago is not a failure.
pub(super) fn parse(
    resp: wire::TrackApiResponse,
    number: &TrackingNumber,
) -> Result<TrackingResult, CarrierError> {
    let packages: Vec<&wire::TrackPackage> = resp
        .track_response
        .iter()
        .flat_map(|r| r.shipment.iter())
        .flat_map(|s| s.package.iter())
        .collect();
    let package = packages
        .iter()
        .find(|p| p.tracking_number.as_deref() == Some(number.as_str()))
        .or(packages.first());
    // Warnings come beside data or instead of it (`TW0001`: no information for the number);
    // each keeps UPS's code.
    let warnings: Vec<String> = resp
        .track_response
        .iter()
        .flat_map(|r| r.shipment.iter())
        .flat_map(|s| s.warnings.iter())
        .map(|w| note(w.code.as_deref(), w.message.as_deref()))
        .collect();
    let Some(package) = package else {
        let mut r = unknown(number);
        r.carrier_code = resp
            .track_response
            .iter()
            .flat_map(|r| r.shipment.iter())
            .flat_map(|s| s.warnings.iter())
            .find_map(|w| w.code.clone())
            .unwrap_or_default();
        r.warnings = warnings;
        return Ok(r);
    };
    let mut events: Vec<TrackingEvent> = package.activity.iter().filter_map(event).collect();
    // UPS lists newest first; equal times keep UPS's relative order, reversed.
    events.reverse();
    events.sort_by_key(|e| e.occurred_at);
    let (status, carrier_code) = match &package.current_status {
        Some(s) if s.kind.is_some() || s.status_code.is_some() => (
            status_of(
                s.kind.as_deref(),
                s.code.as_deref(),
                s.status_code.as_deref(),
            ),
            s.status_code
                .clone()
                .or_else(|| s.kind.clone())
                .unwrap_or_default(),
        ),
        _ => events
            .last()
            .map(|e| (e.status, e.carrier_code.clone()))
            .unwrap_or((TrackingStatus::Unknown, String::new())),
    };
    // A rescheduled date (RDD) supersedes the scheduled one (SDD); DEL is the actual delivery.
    let estimated_delivery = ["RDD", "SDD"].iter().find_map(|kind| {
        package
            .delivery_date
            .iter()
            .find(|d| d.kind.as_deref() == Some(kind))
            .and_then(|d| d.date.as_deref())
            .and_then(parse_date)
    });
    Ok(TrackingResult {
        tracking_number: number.clone(),
        status,
        carrier_code,
        events,
        estimated_delivery,
        signed_by: package
            .delivery_information
            .as_ref()
            .and_then(|d| d.received_by.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        warnings,
        other_shipments: Vec::new(),
    })
}

/// `CODE: message`, or whichever of the two UPS gave.
pub(super) fn note(code: Option<&str>, message: Option<&str>) -> String {
    match (
        code.filter(|c| !c.is_empty()),
        message.map(str::trim).filter(|m| !m.is_empty()),
    ) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => "UPS warning without code or message".into(),
    }
}

/// UPS error codes meaning "no tracking information yet" (151044, UPS Tracking appendix,
/// *ext*): a label created minutes ago has none, which is not a failure of the request.
pub(super) const NOT_FOUND: &[&str] = &["151044"];

/// A number UPS has nothing on yet.
pub(super) fn unknown(number: &TrackingNumber) -> TrackingResult {
    TrackingResult {
        tracking_number: number.clone(),
        status: TrackingStatus::Unknown,
        carrier_code: String::new(),
        events: Vec::new(),
        estimated_delivery: None,
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}

/// One activity as an event; activities without a readable date are dropped (they cannot be
/// ordered or deduplicated).
fn event(a: &wire::Activity) -> Option<TrackingEvent> {
    let date = parse_date(a.date.as_deref()?)?;
    let time = a
        .time
        .as_deref()
        .and_then(parse_time)
        .unwrap_or(Time::MIDNIGHT);
    let offset = a
        .gmt_offset
        .as_deref()
        .and_then(parse_offset)
        .unwrap_or(UtcOffset::UTC);
    let occurred_at: OffsetDateTime = PrimitiveDateTime::new(date, time).assume_offset(offset);
    let s = a.status.as_ref();
    let kind = s.and_then(|s| s.kind.as_deref());
    let code = s.and_then(|s| s.code.as_deref());
    let status_code = s.and_then(|s| s.status_code.as_deref());
    let location = a
        .location
        .as_ref()
        .and_then(|l| l.address.as_ref())
        .map(|ad| {
            let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
            Location {
                city: text(&ad.city),
                state: text(&ad.state_province),
                postal_code: text(&ad.postal_code),
                country: ad
                    .country_code
                    .as_deref()
                    .and_then(|c| c.parse::<CountryCode>().ok()),
            }
        });
    Some(TrackingEvent {
        occurred_at,
        status: status_of(kind, code, status_code),
        carrier_code: status_code.or(kind).unwrap_or_default().to_string(),
        sub_status: code.filter(|c| !c.is_empty()).map(str::to_string),
        description: s
            .and_then(|s| s.description.as_deref())
            .unwrap_or_default()
            .trim()
            .to_string(),
        location: location.filter(|l| *l != Location::default()),
    })
}

/// `HHMMSS` (or `HHMM`).
fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim();
    if !(s.len() == 6 || s.len() == 4) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: u8 = s[0..2].parse().ok()?;
    let m: u8 = s[2..4].parse().ok()?;
    let sec: u8 = if s.len() == 6 {
        s[4..6].parse().ok()?
    } else {
        0
    };
    Time::from_hms(h, m, sec).ok()
}

/// `-05:00` / `+0100`.
fn parse_offset(s: &str) -> Option<UtcOffset> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i8 = digits[0..2].parse().ok()?;
    let m: i8 = digits[2..4].parse().ok()?;
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

#[cfg(test)]
mod signed_by_tests {
    use super::*;

    #[test]
    fn received_by_is_the_signer() {
        // `deliveryInformation` as in ../shared/carriers/ups/samples/tracking_response.json.
        let body = r#"{"trackResponse": {"shipment": [{"package": [{
            "trackingNumber": "1Z1442YY7229014688",
            "deliveryInformation": {"location": "DEL", "receivedBy": "163000",
                                    "signature": {"image": "encoding Base64"}}}]}]}}"#;
        let n: TrackingNumber = "1Z1442YY7229014688".parse().unwrap();
        let r = parse(serde_json::from_str(body).unwrap(), &n).unwrap();
        assert_eq!(r.signed_by.as_deref(), Some("163000"));
        let body = r#"{"trackResponse": {"shipment": [{"package": [{
            "trackingNumber": "1Z1442YY7229014688", "deliveryInformation": {"receivedBy": ""}}]}]}}"#;
        assert_eq!(
            parse(serde_json::from_str(body).unwrap(), &n)
                .unwrap()
                .signed_by,
            None
        );
    }
}
