//! Routes (`EXP_RECE_SEARCH_ROUTES`, `trackingType` 1 = waybill numbers, several per call)
//! and the scans of a route push, read the same way: `opCode` through `codes::OP_CODES`
//! (raw code kept as the event's `carrier_code`), `acceptTime` as China Standard Time (SF
//! writes `2024-05-01 08:01:44` with no offset), `acceptAddress` as the city.

use time::PrimitiveDateTime;
use time::macros::format_description;

use crate::error::CarrierError;
use crate::model::{
    CHINA_STANDARD_TIME, Location, TrackingEvent, TrackingNumber, TrackingResult, TrackingStatus,
};

use super::codes;
use super::wire;

/// Numbers per routes call (SF: up to 10 `trackingNumber`s).
pub(super) const BATCH_MAX: usize = 10;

/// Refuses an empty batch or one above [`BATCH_MAX`].
pub(super) fn check(numbers: &[TrackingNumber]) -> Result<(), CarrierError> {
    if numbers.is_empty() || numbers.len() > BATCH_MAX {
        return Err(CarrierError::rejected(
            super::CODE,
            "/tracking_numbers",
            None,
            format!(
                "SF Express tracks 1 to {BATCH_MAX} numbers per request, got {}",
                numbers.len()
            ),
        ));
    }
    Ok(())
}

/// The routes request for waybill numbers.
pub(super) fn build(numbers: &[TrackingNumber]) -> wire::SearchRoutes {
    wire::SearchRoutes {
        // 0: Chinese remarks.
        language: "0",
        tracking_type: "1",
        tracking_number: numbers.iter().map(|n| n.to_string()).collect(),
        method_type: "1",
    }
}

/// `acceptTime` at +08:00.
pub(super) fn accept_time(s: &str) -> Option<time::OffsetDateTime> {
    let f = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(s.trim(), f)
        .ok()
        .map(|t| t.assume_offset(CHINA_STANDARD_TIME))
}

/// One scan as our event; `None` when it has no readable time.
pub(super) fn event(
    time: Option<&str>,
    op_code: Option<&str>,
    remark: Option<&str>,
    address: Option<&str>,
) -> Option<TrackingEvent> {
    let occurred_at = accept_time(time?)?;
    let code = op_code.unwrap_or("").trim().to_string();
    let known = codes::status_of(&code);
    let status = known.map_or(TrackingStatus::InTransit, |o| o.status);
    let description = remark
        .map(str::to_string)
        .or_else(|| known.map(|o| o.meaning.to_string()))
        .unwrap_or_else(|| format!("SF route scan {code}"));
    Some(TrackingEvent {
        occurred_at,
        status,
        carrier_code: if code.is_empty() {
            "unknown".into()
        } else {
            code.clone()
        },
        // An unmapped code says so, so it can be added to the table.
        sub_status: match known {
            Some(_) if status.is_problem() => Some(description.clone()),
            Some(_) => None,
            None => Some(format!("unmapped SF opCode {code}")),
        },
        description,
        location: address.map(|a| Location {
            city: Some(a.to_string()),
            state: None,
            postal_code: None,
            country: None,
        }),
    })
}

/// The result for `number` from its events (sorted oldest first; the status is the latest
/// event's).
pub(super) fn result(number: &TrackingNumber, mut events: Vec<TrackingEvent>) -> TrackingResult {
    events.sort_by_key(|e| e.occurred_at);
    TrackingResult {
        tracking_number: number.clone(),
        status: events.last().map_or(TrackingStatus::Unknown, |e| e.status),
        carrier_code: events
            .last()
            .map_or_else(|| "unknown".into(), |e| e.carrier_code.clone()),
        events,
        estimated_delivery: None,
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}

/// One result per number asked, in the order asked; a number SF does not mention is
/// `unknown` with no events.
pub(super) fn parse(resp: wire::RoutesResponse, numbers: &[TrackingNumber]) -> Vec<TrackingResult> {
    numbers
        .iter()
        .map(|n| {
            let events = resp
                .route_resps
                .iter()
                .filter(|r| {
                    r.mail_no
                        .as_deref()
                        .is_some_and(|m| m.trim().eq_ignore_ascii_case(n.as_str()))
                })
                .flat_map(|r| r.routes.iter())
                .filter_map(|r| {
                    event(
                        r.accept_time.as_deref(),
                        r.op_code.as_deref(),
                        r.remark.as_deref(),
                        r.accept_address.as_deref(),
                    )
                })
                .collect();
            result(n, events)
        })
        .collect()
}
