//! Tracking: MyDHL `GET /shipments/{shipmentTrackingNumber}/tracking` for a waybill number,
//! `GET /tracking?pieceTrackingNumber=` for a piece licence plate, and the Unified Shipment
//! Tracking API (`GET /shipments?trackingNumber=&service=express`) for numbers MyDHL does not
//! know (created outside this account). Pure: paths, queries and parsing; no HTTP.
//!
//! Decisions:
//! - One number per call (`track_batch_max = 1`): MyDHL's per-waybill path is the one the
//!   spec names for a single shipment, and a number MyDHL does not know falls back to the
//!   Unified API, which takes one number per call and allows about one call per second. A
//!   batch would hide that second call from the hub's governor.
//! - A DHL Express waybill number is 10 digits; anything else we are asked is a piece
//!   licence plate (`JD…`).
//! - `trackingView=all-checkpoints&levelOfDetail=all`: every checkpoint, shipment and piece.
//! - Events come newest first; we sort oldest first. `date` + `time` + `GMTOffset` make the
//!   instant; without an offset it is read as UTC. The checkpoint code maps through
//!   `codes::EVENT_CODES`, the raw code always kept.
//! - A number neither API knows answers `unknown` with code `NOT_FOUND` and no events (a
//!   label minutes old is often unknown until its first scan), never an error.

use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::error::CarrierError;
use crate::model::{Location, TrackingEvent, TrackingNumber, TrackingResult, TrackingStatus};

use super::{codes, rate, wire};

pub(super) const BATCH_MAX: usize = 1;

/// What `parse` reports for a number DHL does not know.
pub(super) const NOT_FOUND: &str = "NOT_FOUND";

pub(super) fn check(numbers: &[TrackingNumber]) -> Result<&TrackingNumber, CarrierError> {
    match numbers {
        [one] => Ok(one),
        _ => Err(CarrierError::rejected(
            super::CODE,
            "/tracking_numbers",
            None,
            format!(
                "DHL Express tracks {BATCH_MAX} number per request, got {}",
                numbers.len()
            ),
        )),
    }
}

pub(super) fn is_waybill(n: &TrackingNumber) -> bool {
    n.as_str().len() == 10 && n.as_str().bytes().all(|b| b.is_ascii_digit())
}

/// The MyDHL path (under the base URL) and query for `n`.
pub(super) fn request(n: &TrackingNumber) -> (String, Vec<(&'static str, String)>) {
    let mut query = vec![
        ("trackingView", "all-checkpoints".to_string()),
        ("levelOfDetail", "all".to_string()),
    ];
    if is_waybill(n) {
        (format!("shipments/{}/tracking", n.as_str()), query)
    } else {
        query.insert(0, ("pieceTrackingNumber", n.as_str().to_string()));
        ("tracking".to_string(), query)
    }
}

/// The Unified API query for `n` (path `shipments` under the tracking base URL).
pub(super) fn unified_query(n: &TrackingNumber) -> Vec<(&'static str, String)> {
    vec![
        ("trackingNumber", n.as_str().to_string()),
        ("service", "express".to_string()),
    ]
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `2024-11-05` + `10:00:00` + `+01:00`.
fn instant(date: &str, time: &str, offset: Option<&str>) -> Option<OffsetDateTime> {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let local =
        PrimitiveDateTime::parse(&format!("{}T{}", date.get(..10)?, time.get(..8)?), f).ok()?;
    let offset = match offset {
        Some(o) => UtcOffset::parse(
            o.trim(),
            time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]"),
        )
        .ok()?,
        None => UtcOffset::UTC,
    };
    Some(local.assume_offset(offset))
}

fn event(e: &wire::Event) -> Option<TrackingEvent> {
    let occurred_at = instant(
        e.date.as_deref()?,
        e.time.as_deref()?,
        nonempty(&e.gmt_offset),
    )?;
    let code = nonempty(&e.type_code).unwrap_or_default().to_string();
    let entry = codes::event(&code);
    let area = e.service_area.first();
    let location = area
        .and_then(|a| nonempty(&a.description).or(nonempty(&a.code)))
        .map(|d| Location {
            city: Some(d.to_string()),
            ..Location::default()
        });
    Some(TrackingEvent {
        occurred_at,
        status: entry.map(|c| c.status).unwrap_or(TrackingStatus::Unknown),
        sub_status: entry.and_then(|c| c.sub_status).map(str::to_string),
        description: nonempty(&e.description)
            .map(str::to_string)
            .or_else(|| entry.map(|c| c.description.to_string()))
            .unwrap_or_default(),
        carrier_code: code,
        location,
    })
}

fn result(
    number: &TrackingNumber,
    mut events: Vec<TrackingEvent>,
    fallback_code: Option<&str>,
    estimated: Option<&str>,
    signed_by: Option<String>,
) -> TrackingResult {
    events.sort_by_key(|e| e.occurred_at);
    let (status, carrier_code) = match events.last() {
        Some(e) => (e.status, e.carrier_code.clone()),
        None => (
            TrackingStatus::Unknown,
            fallback_code.unwrap_or(NOT_FOUND).to_string(),
        ),
    };
    TrackingResult {
        tracking_number: number.clone(),
        status,
        carrier_code,
        events,
        estimated_delivery: if status == TrackingStatus::Delivered {
            None
        } else {
            rate::date_prefix(estimated)
        },
        signed_by,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}

/// Tracking for `number` from a MyDHL answer; `None` when the answer does not mention it.
pub(super) fn parse(
    resp: &wire::TrackingResponse,
    number: &TrackingNumber,
) -> Option<TrackingResult> {
    let same =
        |s: &Option<String>| nonempty(s).is_some_and(|t| t.eq_ignore_ascii_case(number.as_str()));
    let (shipment, piece) = resp.shipments.iter().find_map(|s| {
        if same(&s.shipment_tracking_number) {
            return Some((s, None));
        }
        s.pieces
            .iter()
            .find(|p| same(&p.tracking_number))
            .map(|p| (s, Some(p)))
    })?;
    // A piece's own checkpoints when DHL lists them, the shipment's otherwise.
    let wire_events = match piece {
        Some(p) if !p.events.is_empty() => &p.events,
        _ => &shipment.events,
    };
    // The signer on the latest checkpoint that names one (the delivery).
    let signed_by = wire_events
        .iter()
        .filter_map(|w| Some((event(w)?.occurred_at, nonempty(&w.signed_by)?)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, s)| s.to_string());
    Some(result(
        number,
        wire_events.iter().filter_map(event).collect(),
        nonempty(&shipment.status),
        nonempty(&shipment.estimated_delivery_date),
        signed_by,
    ))
}

/// `unknown`, no events: a number DHL does not (yet) know.
pub(super) fn not_found(number: &TrackingNumber) -> TrackingResult {
    result(number, Vec::new(), None, None, None)
}

fn unified_event(e: &wire::UnifiedEvent) -> Option<TrackingEvent> {
    let occurred_at = unified_instant(e.timestamp.as_deref()?)?;
    let code = nonempty(&e.status_code).unwrap_or("unknown").to_string();
    let address = e.location.as_ref().and_then(|l| l.address.as_ref());
    let location = address.map(|a| Location {
        city: nonempty(&a.address_locality).map(str::to_string),
        state: None,
        postal_code: nonempty(&a.postal_code).map(str::to_string),
        country: nonempty(&a.country_code).and_then(|c| c.parse().ok()),
    });
    let status = codes::unified_status(&code);
    Some(TrackingEvent {
        occurred_at,
        status,
        sub_status: if status.is_problem() {
            nonempty(&e.status)
                .map(str::to_string)
                .or(Some(code.clone()))
        } else {
            None
        },
        description: nonempty(&e.description)
            .or(nonempty(&e.status))
            .unwrap_or_default()
            .to_string(),
        carrier_code: code,
        location: location.filter(|l| *l != Location::default()),
    })
}

/// `2018-03-02T07:53:47Z`, or without an offset (as in the published sample) as UTC.
fn unified_instant(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        PrimitiveDateTime::parse(s.get(..19)?, f)
            .ok()
            .map(|p| p.assume_utc())
    })
}

/// Tracking for `number` from a Unified API answer; `None` when it does not mention it.
pub(super) fn parse_unified(
    resp: &wire::UnifiedResponse,
    number: &TrackingNumber,
) -> Option<TrackingResult> {
    let s = resp
        .shipments
        .iter()
        .find(|s| nonempty(&s.id).is_some_and(|id| id.eq_ignore_ascii_case(number.as_str())))?;
    let mut events: Vec<TrackingEvent> = s.events.iter().filter_map(unified_event).collect();
    if events.is_empty()
        && let Some(e) = s.status.as_ref().and_then(unified_event)
    {
        events.push(e);
    }
    Some(result(
        number,
        events,
        s.status.as_ref().and_then(|st| nonempty(&st.status_code)),
        nonempty(&s.estimated_time_of_delivery),
        s.details
            .as_ref()
            .and_then(|d| d.proof_of_delivery.as_ref()?.signed.as_ref())
            .and_then(|p| nonempty(&p.name))
            .map(str::to_string),
    ))
}
