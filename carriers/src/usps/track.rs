//! Tracking: `GET /tracking/v3/tracking/{trackingNumber}?expand=DETAIL` (Tracking 3.2.6), one
//! number per call (the v3 spec has no batch endpoint), and `TrackingDetails` back to a
//! result. Pure: no HTTP.
//!
//! - A number that is not a valid IMpb or S10 number is refused before a request (of the
//!   hourly quota) is spent on it.
//! - USPS lists events newest first; we return them oldest first.
//! - Event time: `GMTTimestamp` shown at `GMTOffset` (the local offset of the scan); without
//!   `GMTTimestamp`, the local `eventTimestamp` at `GMTOffset`; without an offset, UTC.
//! - The current status comes from `statusCategory`, else from the newest event.
//! - "No record" answers (404, or the 1500xx codes of USPS's Tracking error sheet meaning "no
//!   status yet / not found") are an `unknown` result with code `NOT_FOUND`, not an error.

use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::error::CarrierError;
use crate::model::{
    CountryCode, Location, TrackingEvent, TrackingNumber, TrackingResult, TrackingStatus,
};

use super::{codes, error, impb, rate, wire};

pub(super) const BATCH_MAX: usize = 1;

/// The one number of the call, checked; its path.
pub(super) fn request(
    numbers: &[TrackingNumber],
) -> Result<(&TrackingNumber, String), CarrierError> {
    let [n] = numbers else {
        return Err(CarrierError::rejected(
            super::CODE,
            "/tracking_numbers",
            None,
            "USPS tracks one number per call",
        ));
    };
    let (_, number) = impb::check(n.as_str()).ok_or_else(|| {
        CarrierError::rejected(
            super::CODE,
            "/tracking_numbers/0",
            None,
            format!("`{n}` is not a USPS tracking number (IMpb or S10 check digit)"),
        )
    })?;
    Ok((n, format!("tracking/v3/tracking/{number}")))
}

pub(super) fn not_found(n: &TrackingNumber) -> TrackingResult {
    TrackingResult {
        tracking_number: n.clone(),
        status: TrackingStatus::Unknown,
        carrier_code: "NOT_FOUND".into(),
        events: Vec::new(),
        estimated_delivery: None,
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}

/// `-05:00`, `-7:00`, `+05:30` as an offset.
fn offset(s: &str) -> Option<UtcOffset> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

fn event_time(e: &wire::TrackingEvent) -> Option<OffsetDateTime> {
    let off = e.gmt_offset.as_deref().and_then(offset);
    if let Some(gmt) = e.gmt_timestamp.as_deref()
        && let Ok(t) = OffsetDateTime::parse(gmt, &time::format_description::well_known::Rfc3339)
    {
        return Some(off.map_or(t, |o| t.to_offset(o)));
    }
    let local = e.event_timestamp.as_deref()?;
    let local = local.get(..19).unwrap_or(local);
    let t = PrimitiveDateTime::parse(
        local,
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
    )
    .ok()?;
    Some(t.assume_offset(off.unwrap_or(UtcOffset::UTC)))
}

/// The result for `n` from USPS's details.
pub(super) fn parse(
    resp: &wire::TrackingDetails,
    n: &TrackingNumber,
) -> Result<TrackingResult, CarrierError> {
    let mut events = Vec::new();
    for e in &resp.tracking_events {
        let occurred_at = event_time(e).ok_or_else(|| {
            error::protocol(200, b"", "tracking event without a readable timestamp")
        })?;
        let location = Location {
            city: e.event_city.clone(),
            state: e.event_state.clone(),
            postal_code: e.event_zip.clone(),
            country: e
                .event_country
                .as_deref()
                .and_then(|c| c.parse::<CountryCode>().ok()),
        };
        let has_location = location != Location::default();
        events.push(TrackingEvent {
            occurred_at,
            status: codes::event_status(e.event_code.as_deref(), e.event_type.as_deref()),
            carrier_code: e.event_code.clone().unwrap_or_default(),
            sub_status: None,
            description: e.event_type.clone().unwrap_or_default(),
            location: has_location.then_some(location),
        });
    }
    events.sort_by_key(|e| e.occurred_at);
    let newest = events.last();
    let status = resp
        .status_category
        .as_deref()
        .map(codes::status_from_text)
        .filter(|s| *s != TrackingStatus::Unknown)
        .or_else(|| newest.map(|e| e.status))
        .unwrap_or(TrackingStatus::Unknown);
    let carrier_code = newest
        .map(|e| e.carrier_code.clone())
        .filter(|c| !c.is_empty())
        .or_else(|| resp.status_category.clone())
        .unwrap_or_default();
    Ok(TrackingResult {
        tracking_number: n.clone(),
        status,
        carrier_code,
        events,
        estimated_delivery: resp
            .expected_delivery_time_stamp
            .as_deref()
            .or(resp.predicted_delivery_date.as_deref())
            .and_then(rate::parse_date),
        // Tracking v3 names no signer: USPS sends proof of delivery as a separate letter.
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    })
}
