//! Track by tracking number: `POST /track/v1/trackingnumbers`, up to 30 numbers a request
//! (FedEx's documented batch size; the hub splits larger lists by `track_batch_max`), and the
//! `completeTrackResults` back to one `TrackingResult` per number asked, in the order asked.
//! Pure: no HTTP. Codes map through `codes::STATUS_CODES`; the raw code is always kept.
//!
//! Decisions:
//! - A number FedEx reports an error for (not found yet, wrong carrier) answers `unknown`
//!   with FedEx's error code as its code and no events, rather than failing the batch: one bad
//!   number must not hide 29 good answers, and a label created minutes ago is often
//!   "not found" until its first scan.
//! - Numbers are reused. When the parcel's ship date is known (a label bought here), the
//!   request asks FedEx for that window only (`shipDateBegin` a day before, `shipDateEnd` a
//!   week after: the label's date and FedEx's `SHIP` date may differ by a time zone or a late
//!   hand-over), and of what comes back the shipment shipped closest to that date is the
//!   parcel's. When none shipped in the window, the parcel is `unknown` (not scanned yet)
//!   and every shipment FedEx did report is listed apart: a label bought minutes ago must
//!   never show the delivery of the number's previous parcel.
//! - Otherwise the result is the most recent shipment without an error: latest ship date
//!   (`SHIP`, else `ACTUAL_PICKUP`, else the first scan), then latest scan; FedEx's order is no
//!   guide. So an older parcel still in transit is never reported over a newer one delivered.
//! - Either way the other shipments stay visible in `other_shipments`, never merged.
//! - The account cannot narrow the answer: Track by tracking number neither takes nor returns
//!   the shipper's account (only Track by reference and SPOD do). The poll already runs on
//!   the tracker's own account.
//! - Events are sorted oldest first (FedEx lists newest first); a scan time without an offset
//!   is read as UTC.

use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime};

use crate::error::CarrierError;
use crate::model::{
    Location, OtherShipment, TrackQuery, TrackingEvent, TrackingNumber, TrackingResult,
    TrackingStatus,
};

use super::{codes, error, rate, wire};

/// FedEx's batch limit for Track by tracking number.
pub(super) const BATCH_MAX: usize = 30;

/// The days around a known ship date FedEx is asked about (see the module's decisions).
const BEFORE_SHIP_DATE: Duration = Duration::days(1);
const AFTER_SHIP_DATE: Duration = Duration::days(7);

fn window(ship_date: Date) -> (Date, Date) {
    (
        ship_date.checked_sub(BEFORE_SHIP_DATE).unwrap_or(ship_date),
        ship_date.checked_add(AFTER_SHIP_DATE).unwrap_or(ship_date),
    )
}

/// The Track body for `parcels`.
pub(super) fn build(parcels: &[TrackQuery]) -> Result<wire::TrackRequest, CarrierError> {
    if parcels.is_empty() || parcels.len() > BATCH_MAX {
        return Err(CarrierError::rejected(
            super::CODE,
            "/tracking_numbers",
            None,
            format!(
                "FedEx tracks 1 to {BATCH_MAX} numbers per request, got {}",
                parcels.len()
            ),
        ));
    }
    Ok(wire::TrackRequest {
        include_detailed_scans: true,
        tracking_info: parcels
            .iter()
            .map(|p| {
                let window = p.ship_date.map(window);
                wire::TrackingInfo {
                    ship_date_begin: window.map(|w| w.0.to_string()),
                    ship_date_end: window.map(|w| w.1.to_string()),
                    tracking_number_info: wire::TrackingNumberInfo {
                        tracking_number: p.number.as_str().to_string(),
                    },
                }
            })
            .collect(),
    })
}

/// `2018-02-02T12:01:00-07:00`, or without offset as UTC.
pub(super) fn timestamp(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        PrimitiveDateTime::parse(s.get(..19)?, f)
            .ok()
            .map(|p| p.assume_utc())
    })
}

fn status_of(code: Option<&str>) -> (TrackingStatus, Option<&'static codes::StatusCode>) {
    match code.and_then(codes::status) {
        Some(c) => (c.status, Some(c)),
        None => (TrackingStatus::Unknown, None),
    }
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn event(e: &wire::ScanEvent) -> Option<TrackingEvent> {
    let occurred_at = timestamp(e.date.as_deref()?)?;
    // The scan's own type is the finer code; the derived code is FedEx's summary of it.
    let raw = nonempty(&e.event_type)
        .or(nonempty(&e.derived_status_code))
        .unwrap_or_default();
    let (mut status, mut entry) = status_of(Some(raw));
    if entry.is_none() {
        (status, entry) = status_of(nonempty(&e.derived_status_code));
    }
    let location = e.scan_location.as_ref().map(|l| Location {
        city: nonempty(&l.city).map(str::to_string),
        state: nonempty(&l.state_or_province_code).map(str::to_string),
        postal_code: nonempty(&l.postal_code).map(str::to_string),
        country: nonempty(&l.country_code).and_then(|c| c.parse().ok()),
    });
    Some(TrackingEvent {
        occurred_at,
        status,
        carrier_code: raw.to_string(),
        sub_status: nonempty(&e.exception_code)
            .map(str::to_string)
            .or_else(|| entry.and_then(|c| c.sub_status).map(str::to_string)),
        description: nonempty(&e.event_description)
            .or(nonempty(&e.exception_description))
            .map(str::to_string)
            .or_else(|| entry.map(|c| c.description.to_string()))
            .unwrap_or_default(),
        location: location.filter(|l| *l != Location::default()),
    })
}

fn result(number: &TrackingNumber, r: &wire::TrackResult) -> TrackingResult {
    if let Some(err) = &r.error {
        return TrackingResult {
            tracking_number: number.clone(),
            status: TrackingStatus::Unknown,
            carrier_code: err.code.clone().unwrap_or_else(|| "ERROR".into()),
            events: Vec::new(),
            estimated_delivery: None,
            signed_by: None,
            warnings: Vec::new(),
            other_shipments: Vec::new(),
        };
    }
    let mut events: Vec<TrackingEvent> = r.scan_events.iter().filter_map(event).collect();
    events.sort_by_key(|e| e.occurred_at);
    let latest = r.latest_status_detail.as_ref();
    let latest_code = latest
        .and_then(|l| nonempty(&l.code).or(nonempty(&l.derived_code)))
        .map(str::to_string);
    let (status, carrier_code) = match latest_code {
        Some(code) => {
            let (mut status, entry) = status_of(Some(&code));
            if entry.is_none() {
                status = status_of(latest.and_then(|l| nonempty(&l.derived_code))).0;
            }
            (status, code)
        }
        None => match events.last() {
            Some(e) => (e.status, e.carrier_code.clone()),
            None => (TrackingStatus::Unknown, String::new()),
        },
    };
    let estimated_delivery = if status == TrackingStatus::Delivered {
        None
    } else {
        r.date_and_times
            .iter()
            .find(|d| d.kind.as_deref() == Some("ESTIMATED_DELIVERY"))
            .and_then(|d| rate::date_prefix(d.date_time.as_deref()))
            .or_else(|| {
                let w = r.estimated_delivery_time_window.as_ref()?.window.as_ref()?;
                rate::date_prefix(w.ends.as_deref())
                    .or_else(|| rate::date_prefix(w.begins.as_deref()))
            })
    };
    TrackingResult {
        tracking_number: number.clone(),
        status,
        carrier_code,
        events,
        estimated_delivery,
        // `signedByName` is who signed; `receivedByName` who took it when nobody signed.
        signed_by: r
            .delivery_details
            .as_ref()
            .and_then(|d| nonempty(&d.signed_by_name).or(nonempty(&d.received_by_name)))
            .map(str::to_string),
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}

fn unique_id(r: &wire::TrackResult) -> Option<String> {
    r.tracking_number_info
        .as_ref()
        .and_then(|i| nonempty(&i.tracking_number_unique_id))
        .map(str::to_string)
}

/// How recent a shipment is: when it shipped (`SHIP`, else `ACTUAL_PICKUP`, else its first
/// scan), then its latest scan. Compared as instants, so offsets do not mislead.
fn recency(r: &wire::TrackResult) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    let at = |kind: &str| {
        r.date_and_times
            .iter()
            .find(|d| d.kind.as_deref() == Some(kind))
            .and_then(|d| d.date_time.as_deref())
            .and_then(timestamp)
    };
    let scans: Vec<OffsetDateTime> = r
        .scan_events
        .iter()
        .filter_map(|e| e.date.as_deref().and_then(timestamp))
        .collect();
    let shipped = at("SHIP")
        .or_else(|| at("ACTUAL_PICKUP"))
        .or_else(|| scans.iter().min().copied());
    (shipped, scans.iter().max().copied())
}

fn other(n: &TrackingNumber, r: &wire::TrackResult) -> OtherShipment {
    let other = result(n, r);
    OtherShipment {
        carrier_id: unique_id(r),
        ship_date: recency(r).0.map(|t| t.date()),
        status: other.status,
        carrier_code: other.carrier_code,
        last_event_at: other.events.last().map(|e| e.occurred_at),
    }
}

/// The parcel's own shipment among those FedEx found: shipped closest to its known ship date
/// within the asked window (then the most recent), or with no ship date known the most recent.
/// `None` when a ship date is known and no shipment fits it.
fn choose<'a>(
    found: &[&'a wire::TrackResult],
    ship_date: Option<Date>,
) -> Option<&'a wire::TrackResult> {
    let Some(day) = ship_date else {
        return found.iter().copied().max_by_key(|r| recency(r));
    };
    let (begin, end) = window(day);
    found
        .iter()
        .copied()
        .filter_map(|r| {
            // FedEx's own date of the day it shipped, in its own offset.
            let shipped = recency(r).0?.date();
            (begin <= shipped && shipped <= end).then(|| (r, (shipped - day).abs()))
        })
        .max_by(|(a, da), (b, db)| db.cmp(da).then_with(|| recency(a).cmp(&recency(b))))
        .map(|(r, _)| r)
}

/// One result per parcel asked, in the order asked.
pub(super) fn parse(
    resp: wire::TrackResponse,
    parcels: &[TrackQuery],
) -> Result<Vec<TrackingResult>, CarrierError> {
    let output = resp
        .output
        .ok_or_else(|| error::protocol(200, b"", "track response without output"))?;
    parcels
        .iter()
        .map(|p| {
            let n = &p.number;
            let complete = output
                .complete_track_results
                .iter()
                .find(|c| {
                    c.tracking_number
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case(n.as_str()))
                })
                .ok_or_else(|| {
                    error::protocol(200, b"", format!("track response has no result for {n}"))
                })?;
            if complete.track_results.is_empty() {
                return Err(error::protocol(
                    200,
                    b"",
                    format!("track response has an empty result for {n}"),
                ));
            }
            let found: Vec<&wire::TrackResult> = complete
                .track_results
                .iter()
                .filter(|r| r.error.is_none())
                .collect();
            if found.is_empty() {
                return Ok(result(n, &complete.track_results[0]));
            }
            let chosen = choose(&found, p.ship_date);
            let mut out = match chosen {
                Some(r) => result(n, r),
                None => TrackingResult {
                    tracking_number: n.clone(),
                    status: TrackingStatus::Unknown,
                    carrier_code: String::new(),
                    events: Vec::new(),
                    estimated_delivery: None,
                    signed_by: None,
                    warnings: vec![format!(
                        "FedEx reports {n} only for shipments of other dates than {}",
                        p.ship_date.map(|d| d.to_string()).unwrap_or_default()
                    )],
                    other_shipments: Vec::new(),
                },
            };
            out.other_shipments = found
                .iter()
                .filter(|r| chosen.is_none_or(|c| !std::ptr::eq(**r, c)))
                .map(|r| other(n, r))
                .collect();
            Ok(out)
        })
        .collect()
}

#[cfg(test)]
mod signed_by_tests {
    use super::*;

    fn signed_by(details: &str) -> Option<String> {
        let body = format!(
            r#"{{"output": {{"completeTrackResults": [{{"trackingNumber": "128667043726",
                "trackResults": [{{"deliveryDetails": {details}}}]}}]}}}}"#
        );
        let n: TrackingNumber = "128667043726".parse().unwrap();
        let r = parse(serde_json::from_str(&body).unwrap(), &[n.into()]).unwrap();
        r[0].signed_by.clone()
    }

    #[test]
    fn signed_by_name_wins_over_received_by_name() {
        // Both "Reciever" in ../shared/carriers/fedex/samples/tracking_response.json.
        assert_eq!(
            signed_by(r#"{"receivedByName": "Front desk", "signedByName": "Reciever"}"#).as_deref(),
            Some("Reciever")
        );
        assert_eq!(
            signed_by(r#"{"receivedByName": "Reciever", "signedByName": ""}"#).as_deref(),
            Some("Reciever")
        );
        assert_eq!(signed_by("{}"), None);
    }
}
