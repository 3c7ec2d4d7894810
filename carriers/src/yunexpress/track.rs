//! Tracking: `GET /v1/track-service/info/get?order_number=` (查询运单轨迹) for one number,
//! and the waybill detail (`GET /v1/order/info/get`) for a number the tracking service does
//! not know yet. Pure: queries and parsing; no HTTP.
//!
//! Decisions:
//! - One number per call (`track_batch_max = 1`): `order_number` takes one.
//! - The answer (SOURCES.md, "Tracking") is a list of `{order_number, package_status,
//!   track_Info: {waybill_number, tracking_number, track_events[]}}`. The parcel's status is
//!   its `package_status` (N F T D E R C, every one mapped); while it is in transit (T) or
//!   pre-advised (F) the latest event's finer status (an attempt, an exception) wins.
//! - Event times: `process_utc_time` read as UTC (with or without its `Z`); without it,
//!   `process_time` with its own offset, or China Standard Time when it has none.
//! - A number the tracking service has not seen (`N`, or no item) is asked of the waybill
//!   detail: an order YunExpress holds but has not scanned is `pre_transit` (status A), a
//!   cancelled one `cancelled` (E). A number neither knows is `unknown`, code `N`.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::error::CarrierError;
use crate::model::{
    CHINA_STANDARD_TIME, Location, TrackingEvent, TrackingNumber, TrackingResult, TrackingStatus,
};

use super::{codes, wire};

pub(super) const PATH: &str = "v1/track-service/info/get";
pub(super) const DETAIL_PATH: &str = "v1/order/info/get";
pub(super) const BATCH_MAX: usize = 1;

/// The `package_status` of a number YunExpress does not know.
pub(super) const NOT_FOUND: &str = "N";

pub(super) fn check(numbers: &[TrackingNumber]) -> Result<&TrackingNumber, CarrierError> {
    match numbers {
        [one] => Ok(one),
        _ => Err(CarrierError::rejected(
            super::CODE,
            "/tracking_numbers",
            None,
            format!(
                "YunExpress tracks {BATCH_MAX} number per request, got {}",
                numbers.len()
            ),
        )),
    }
}

/// The query of both calls.
pub(super) fn query(n: &TrackingNumber) -> Vec<(&'static str, String)> {
    vec![("order_number", n.as_str().to_string())]
}

/// `2022-11-01T11:33:26.562Z`, `2026-05-30T08:00:00` or `2026-05-30 08:00:00`; without an
/// offset, `assumed`.
pub(super) fn instant(s: &str, assumed: UtcOffset) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let head = s.get(..19)?.replacen(' ', "T", 1);
    PrimitiveDateTime::parse(&head, f)
        .ok()
        .map(|p| p.assume_offset(assumed))
}

fn event(e: &wire::TrackEvent) -> Option<TrackingEvent> {
    let occurred_at = match e.process_utc_time.as_deref() {
        Some(u) => instant(u, UtcOffset::UTC)?,
        None => instant(e.process_time.as_deref()?, CHINA_STANDARD_TIME)?,
    };
    let code = e.track_node_code.clone().unwrap_or_default();
    let entry = codes::lookup(codes::TRACK_NODES, &code);
    let status = entry.map_or(TrackingStatus::Unknown, |c| c.status);
    let location = Location {
        city: e.process_city.clone().or(e.process_location.clone()),
        state: e.process_province.clone(),
        postal_code: None,
        country: e.process_country.as_deref().and_then(|c| c.parse().ok()),
    };
    Some(TrackingEvent {
        occurred_at,
        status,
        sub_status: status
            .is_problem()
            .then(|| code.clone())
            .filter(|c| !c.is_empty()),
        description: e
            .process_content
            .clone()
            .or(e.track_node_description.clone())
            .or_else(|| entry.map(|c| c.description.to_string()))
            .unwrap_or_default(),
        carrier_code: code,
        location: (location != Location::default()).then_some(location),
    })
}

/// Tracking for `number` from a tracking answer; `None` when it does not know the number
/// (no item for it, or `package_status` N).
pub(super) fn parse(items: &wire::TrackItems, number: &TrackingNumber) -> Option<TrackingResult> {
    let same = |s: &Option<String>| {
        s.as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(number.as_str()))
    };
    let item = items
        .0
        .iter()
        .find(|i| {
            same(&i.order_number)
                || i.track_info
                    .as_ref()
                    .is_some_and(|t| same(&t.waybill_number) || same(&t.tracking_number))
        })
        .or_else(|| (items.0.len() == 1).then(|| &items.0[0]))?;
    let package = item.package_status.clone().unwrap_or_default();
    if package.is_empty() || package.eq_ignore_ascii_case(NOT_FOUND) {
        return None;
    }
    let mut events: Vec<TrackingEvent> = item
        .track_info
        .iter()
        .flat_map(|t| t.track_events.iter())
        .filter_map(event)
        .collect();
    events.sort_by_key(|e| e.occurred_at);
    let overall = codes::lookup(codes::PACKAGE_STATUS, &package);
    let latest = events.last();
    let (status, carrier_code) = match (overall, latest) {
        // In transit or pre-advised: the latest scan says more (an attempt, an exception).
        (Some(o), Some(e))
            if matches!(o.code, "T" | "F") && e.status != TrackingStatus::Unknown =>
        {
            (e.status, e.carrier_code.clone())
        }
        (Some(o), _) => (o.status, o.code.to_string()),
        (None, Some(e)) => (e.status, e.carrier_code.clone()),
        (None, None) => (TrackingStatus::Unknown, package.clone()),
    };
    let mut warnings = Vec::new();
    if let Some(t) = item.track_info.as_ref()
        && let Some(last_mile) = t
            .tracking_number
            .as_deref()
            .filter(|n| !same(&Some(n.to_string())))
    {
        warnings.push(match t.last_mile_name.as_deref() {
            Some(name) => format!("last-mile tracking number {last_mile} ({name})"),
            None => format!("last-mile tracking number {last_mile}"),
        });
    }
    Some(TrackingResult {
        tracking_number: number.clone(),
        status,
        carrier_code,
        events,
        estimated_delivery: None,
        signed_by: None,
        warnings,
        other_shipments: Vec::new(),
    })
}

/// Tracking for `number` from its waybill detail (an order without scans yet); `None` when
/// the detail has no status we know.
pub(super) fn from_detail(
    d: &wire::WaybillDetail,
    number: &TrackingNumber,
) -> Option<TrackingResult> {
    let entry = codes::lookup(codes::ORDER_STATUS, d.status.as_deref()?)?;
    Some(TrackingResult {
        tracking_number: number.clone(),
        status: entry.status,
        carrier_code: entry.code.to_string(),
        events: Vec::new(),
        estimated_delivery: None,
        signed_by: None,
        warnings: vec![format!(
            "YunExpress order status {}: {}",
            entry.code, entry.description
        )],
        other_shipments: Vec::new(),
    })
}

/// `unknown`, no events: a number YunExpress does not (yet) know.
pub(super) fn not_found(number: &TrackingNumber) -> TrackingResult {
    TrackingResult {
        tracking_number: number.clone(),
        status: TrackingStatus::Unknown,
        carrier_code: NOT_FOUND.to_string(),
        events: Vec::new(),
        estimated_delivery: None,
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}
