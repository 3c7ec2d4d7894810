//! Scripted tracking: each scenario is a fixed list of status codes, replayed from what the
//! number holds (`number.rs`). Pure: the caller passes `now`.
//!
//! **Journey numbers** (the 22-character layout every purchase gets) are delivered on the day
//! their quote promised, so the transit a shipper measures depends on lane and service:
//!
//! - The *due day* is `add_business_days(ship date, quoted days)`, the quote's
//!   `estimated_delivery` (`rate::TRANSIT_DAYS[service][zone]`), or `LATE_DAYS` (10) business
//!   days later when the reference asked for `LATE`. The hub counts the business days from the
//!   ship date to that day: exactly the quoted days (plus 10 when late).
//! - The *journey* runs from the ship day to the due day, both at the time of day the label
//!   was bought; its steps are evenly spaced so that `DL` falls on the due day (scripts without
//!   a delivery use the plain script's spacing). A journey whose due day is in the future
//!   starts no earlier than the purchase.
//! - Each scan is reported at the earlier of its journey time and `i × step_seconds` after the
//!   purchase (the account's pace, as for the first layout: with a small step the whole
//!   script plays in seconds), and is dated when it is reported, except the delivery scan,
//!   which is always dated on the due day: with a fast pace it may be dated ahead of the
//!   clock; a parcel bought with a ship date far enough back to be due already is told whole
//!   at once, every scan dated on its journey.
//! - `estimated_delivery` is the quoted day (a `LATE` parcel misses it).
//!
//! **First-layout numbers** (18 characters, issued before journeys) keep the fixed timing:
//! step `i` happens and is dated `i × step_seconds` after the issue time.

use time::{Duration, OffsetDateTime};

use super::codes::{self, StatusCode};
use super::number::{self, Journey, Scenario};
use super::rate::add_business_days;
use super::{CAPS, rejected};
use crate::error::{CarrierError, FieldError};
use crate::model::{TrackingEvent, TrackingNumber, TrackingResult, TrackingStatus};

/// The status codes a scenario passes through, in order. The first step (label created)
/// happens at ship time.
pub(super) fn script(scenario: Scenario) -> &'static [&'static str] {
    match scenario {
        Scenario::Deliver => &["LC", "PU", "AR", "OD", "DL"],
        // Held for the address, then released and delivered: a problem that resolves itself,
        // so the hub's tests see both the exception webhook and the recovery.
        Scenario::Exception => &["LC", "PU", "AR", "EX", "DP", "OD", "DL"],
        Scenario::AttemptFail => &["LC", "PU", "AR", "OD", "AF", "OD", "DL"],
        Scenario::Return => &["LC", "PU", "AR", "OD", "AF", "RS"],
        // Picked up, then never scanned again: what the hub's stalled-parcel detection is for.
        Scenario::Stall => &["LC", "PU"],
    }
}

/// Tracking for each number, in the order asked.
pub(super) fn track(
    numbers: &[TrackingNumber],
    now: OffsetDateTime,
    step_seconds: u32,
) -> Result<Vec<TrackingResult>, CarrierError> {
    if numbers.len() > CAPS.track_batch_max {
        return Err(rejected(
            "/tracking_numbers",
            "BATCH_TOO_LARGE",
            format!("at most {} tracking numbers per call", CAPS.track_batch_max),
        ));
    }
    let mut results = Vec::with_capacity(numbers.len());
    let mut errors = Vec::new();
    for (i, n) in numbers.iter().enumerate() {
        match number::decode(n) {
            Some(d) => results.push(match d.journey {
                Some(j) => journey(n, d.scenario, d.shipped_at, j, now, step_seconds),
                None => progress(n, d.scenario, d.shipped_at, now, step_seconds),
            }),
            None => errors.push(FieldError {
                field: format!("/tracking_numbers/{i}"),
                carrier_code: Some("INVALID_TRACKING_NUMBER".to_string()),
                message: format!("`{n}` is not a sandbox tracking number"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(results)
    } else {
        Err(CarrierError::Rejected {
            carrier: super::ENTRY.code.clone(),
            errors,
        })
    }
}

fn progress(
    number: &TrackingNumber,
    scenario: Scenario,
    shipped_at: OffsetDateTime,
    now: OffsetDateTime,
    step_seconds: u32,
) -> TrackingResult {
    let step = Duration::seconds(step_seconds.into());
    let at = |i: usize| shipped_at + step * i as i32;
    let steps = script(scenario);
    // The label-created scan is always there, even if `now` lags the ship time a little.
    let elapsed = (now - shipped_at).whole_seconds().max(0);
    let done = usize::try_from(elapsed / i64::from(step_seconds) + 1)
        .unwrap_or(usize::MAX)
        .min(steps.len());
    let events: Vec<TrackingEvent> = steps[..done]
        .iter()
        .enumerate()
        .map(|(i, code)| event(at(i), status_code(code)))
        .collect();
    let current = status_code(steps[done - 1]);
    // The promise is when the delivery step happens, or would have on the plain path (a
    // stalled parcel keeps its promise so the hub can see it is late); none once returning.
    let delivery_step = steps
        .iter()
        .position(|c| *c == "DL")
        .unwrap_or(script(Scenario::Deliver).len() - 1);
    let estimated_delivery =
        (current.status != TrackingStatus::ReturnToSender).then(|| at(delivery_step).date());
    TrackingResult {
        tracking_number: number.clone(),
        status: current.status,
        carrier_code: current.code.to_string(),
        events,
        estimated_delivery,
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}

/// When the journey's steps happen, are reported and are dated (see the module docs).
pub(super) struct Schedule {
    /// When each step of the script is reported.
    pub reported: Vec<OffsetDateTime>,
    /// The time each step is dated with.
    pub dated: Vec<OffsetDateTime>,
    /// The quoted delivery day.
    pub quoted: time::Date,
}

pub(super) fn schedule(
    scenario: Scenario,
    issued: OffsetDateTime,
    j: Journey,
    step_seconds: u32,
) -> Schedule {
    let issue_day = issued.date();
    let ship_day = j.ship_date(issue_day);
    let at = |d: time::Date| issued + Duration::days((d - issue_day).whole_days());
    let due = at(add_business_days(ship_day, j.scripted_days()));
    let start = match due < issued {
        true => at(ship_day),
        false => at(ship_day).max(issued),
    };
    let steps = script(scenario);
    let delivery_step = steps.iter().position(|c| *c == "DL");
    let k = delivery_step.unwrap_or(script(Scenario::Deliver).len() - 1) as i64;
    let span = (due - start).whole_seconds();
    let step = Duration::seconds(step_seconds.into());
    let reported: Vec<OffsetDateTime> = (0..steps.len())
        .map(|i| {
            let on_journey = start + Duration::seconds(span * i as i64 / k);
            on_journey.min(issued + step * i as i32)
        })
        .collect();
    let dated = reported
        .iter()
        .enumerate()
        .map(|(i, r)| if Some(i) == delivery_step { due } else { *r })
        .collect();
    Schedule {
        reported,
        dated,
        quoted: add_business_days(ship_day, j.quoted_days.into()),
    }
}

fn journey(
    number: &TrackingNumber,
    scenario: Scenario,
    issued: OffsetDateTime,
    j: Journey,
    now: OffsetDateTime,
    step_seconds: u32,
) -> TrackingResult {
    let s = schedule(scenario, issued, j, step_seconds);
    let steps = script(scenario);
    // The label-created scan is always there, even if `now` lags the purchase a little.
    let done = s.reported.iter().filter(|at| **at <= now).count().max(1);
    let events: Vec<TrackingEvent> = steps[..done]
        .iter()
        .zip(&s.dated)
        .map(|(code, at)| event(*at, status_code(code)))
        .collect();
    let current = status_code(steps[done - 1]);
    TrackingResult {
        tracking_number: number.clone(),
        status: current.status,
        carrier_code: current.code.to_string(),
        events,
        estimated_delivery: (current.status != TrackingStatus::ReturnToSender).then_some(s.quoted),
        signed_by: None,
        warnings: Vec::new(),
        other_shipments: Vec::new(),
    }
}

fn status_code(code: &str) -> &'static StatusCode {
    codes::status(code).expect("scripts use listed codes (tested)")
}

fn event(occurred_at: OffsetDateTime, code: &StatusCode) -> TrackingEvent {
    TrackingEvent {
        occurred_at,
        status: code.status,
        carrier_code: code.code.to_string(),
        sub_status: code.sub_status.map(str::to_string),
        description: code.description.to_string(),
        location: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use time::macros::{date, datetime};

    const SHIPPED: OffsetDateTime = datetime!(2025-03-14 12:00:00 UTC);

    /// The codes seen `minutes` after shipping, with a 60-second step.
    fn codes_at(scenario: Scenario, minutes: i64) -> Vec<String> {
        let n = number::issue_v0(scenario, SHIPPED);
        let now = SHIPPED + Duration::minutes(minutes);
        let r = track(&[n], now, 60).unwrap().remove(0);
        assert_eq!(r.carrier_code, r.events.last().unwrap().carrier_code);
        r.events.into_iter().map(|e| e.carrier_code).collect()
    }

    #[test]
    fn every_scripted_code_is_listed_and_every_listed_code_is_scripted() {
        let scripted: HashSet<&str> = Scenario::ALL
            .into_iter()
            .flat_map(|s| script(s).iter().copied())
            .collect();
        let listed: HashSet<&str> = codes::STATUS_CODES.iter().map(|c| c.code).collect();
        assert_eq!(scripted, listed);
        for s in Scenario::ALL {
            assert_eq!(script(s)[0], "LC", "{s:?} starts with the label");
        }
    }

    #[test]
    fn delivered_path_advances_one_step_per_interval() {
        let s = Scenario::Deliver;
        assert_eq!(codes_at(s, 0), ["LC"]);
        assert_eq!(codes_at(s, 1), ["LC", "PU"]);
        assert_eq!(codes_at(s, 2), ["LC", "PU", "AR"]);
        assert_eq!(codes_at(s, 3), ["LC", "PU", "AR", "OD"]);
        assert_eq!(codes_at(s, 4), ["LC", "PU", "AR", "OD", "DL"]);
        assert_eq!(codes_at(s, 500), ["LC", "PU", "AR", "OD", "DL"]);
    }

    #[test]
    fn exception_path_is_held_then_delivered() {
        let s = Scenario::Exception;
        assert_eq!(codes_at(s, 3), ["LC", "PU", "AR", "EX"]);
        assert_eq!(codes_at(s, 5), ["LC", "PU", "AR", "EX", "DP", "OD"]);
        assert_eq!(codes_at(s, 60).last().unwrap(), "DL");
    }

    #[test]
    fn attempt_fail_path_retries_then_delivers() {
        let s = Scenario::AttemptFail;
        assert_eq!(codes_at(s, 4), ["LC", "PU", "AR", "OD", "AF"]);
        assert_eq!(codes_at(s, 5), ["LC", "PU", "AR", "OD", "AF", "OD"]);
        assert_eq!(codes_at(s, 6), ["LC", "PU", "AR", "OD", "AF", "OD", "DL"]);
    }

    #[test]
    fn return_path_ends_returning_to_sender_without_an_estimate() {
        let n = number::issue_v0(Scenario::Return, SHIPPED);
        let at = |m| track(std::slice::from_ref(&n), SHIPPED + Duration::minutes(m), 60).unwrap();
        let before = at(4).remove(0);
        assert_eq!(before.status, TrackingStatus::AttemptFail);
        assert_eq!(before.estimated_delivery, Some(date!(2025 - 03 - 14)));
        let after = at(5).remove(0);
        assert_eq!(after.status, TrackingStatus::ReturnToSender);
        assert_eq!(after.carrier_code, "RS");
        assert_eq!(
            after.events.last().unwrap().sub_status.as_deref(),
            Some("undeliverable")
        );
        assert_eq!(after.estimated_delivery, None);
    }

    #[test]
    fn stalled_path_never_scans_again_but_keeps_its_promise() {
        assert_eq!(codes_at(Scenario::Stall, 1), ["LC", "PU"]);
        assert_eq!(codes_at(Scenario::Stall, 100_000), ["LC", "PU"]);
        // Step 4 of the plain path, with one-day steps: Friday noon + 4 days = Tuesday.
        let n = number::issue_v0(Scenario::Stall, SHIPPED);
        let r = track(&[n], SHIPPED + Duration::days(30), 86_400).unwrap();
        assert_eq!(r[0].status, TrackingStatus::InTransit);
        assert_eq!(r[0].estimated_delivery, Some(date!(2025 - 03 - 18)));
    }

    #[test]
    fn events_are_oldest_first_and_step_seconds_apart() {
        let n = number::issue_v0(Scenario::Deliver, SHIPPED);
        let r = track(&[n], SHIPPED + Duration::hours(1), 90)
            .unwrap()
            .remove(0);
        let times: Vec<_> = r.events.iter().map(|e| e.occurred_at).collect();
        assert_eq!(times[0], SHIPPED);
        assert_eq!(times[4], datetime!(2025-03-14 12:06:00 UTC));
        assert!(
            times
                .windows(2)
                .all(|w| w[1] - w[0] == Duration::seconds(90))
        );
        assert_eq!(r.status, TrackingStatus::Delivered);
        let json = serde_json::to_value(&r.events[0]).unwrap();
        assert_eq!(json["occurred_at"], "2025-03-14T12:00:00Z");
    }

    #[test]
    fn a_clock_behind_the_ship_time_still_shows_the_label() {
        let n = number::issue_v0(Scenario::Deliver, SHIPPED);
        let r = track(&[n], SHIPPED - Duration::seconds(5), 60).unwrap();
        assert_eq!(r[0].status, TrackingStatus::PreTransit);
        assert_eq!(r[0].events.len(), 1);
    }

    #[test]
    fn bad_numbers_are_rejected_by_index() {
        let good = number::issue_v0(Scenario::Deliver, SHIPPED);
        let numbers = [
            good.clone(),
            "SB0170000000000427".parse().unwrap(),
            good,
            "1Z999AA10123456784".parse().unwrap(),
        ];
        let Err(CarrierError::Rejected { errors, .. }) = track(&numbers, SHIPPED, 60) else {
            panic!("expected a rejection")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/tracking_numbers/1", "/tracking_numbers/3"]);
    }

    /// A journey number of `scenario` bought at `SHIPPED` for a ship date `offset` days away,
    /// quoted `days` business days.
    fn journey_number(scenario: Scenario, offset: i64, days: u32, late: bool) -> TrackingNumber {
        let ship = SHIPPED.date() + Duration::days(offset);
        number::issue(
            scenario,
            SHIPPED,
            Journey::new(SHIPPED.date(), ship, days, late),
        )
    }

    fn track_one(n: &TrackingNumber, now: OffsetDateTime, step: u32) -> TrackingResult {
        track(std::slice::from_ref(n), now, step).unwrap().remove(0)
    }

    #[test]
    fn a_journey_plays_at_the_pace_and_delivers_dated_on_the_quoted_day() {
        // Friday noon, 5 business days quoted: due Friday 2025-03-21 at noon.
        let n = journey_number(Scenario::Deliver, 0, 5, false);
        let at = |m| track_one(&n, SHIPPED + Duration::minutes(m), 60);
        assert_eq!(at(0).carrier_code, "LC");
        assert_eq!(at(3).carrier_code, "OD");
        let r = at(4);
        assert_eq!(r.status, TrackingStatus::Delivered);
        assert_eq!(r.estimated_delivery, Some(date!(2025 - 03 - 21)));
        let times: Vec<_> = r.events.iter().map(|e| e.occurred_at).collect();
        assert_eq!(
            times,
            [
                SHIPPED,
                SHIPPED + Duration::minutes(1),
                SHIPPED + Duration::minutes(2),
                SHIPPED + Duration::minutes(3),
                datetime!(2025-03-21 12:00:00 UTC),
            ]
        );
    }

    #[test]
    fn a_slow_pace_reports_each_scan_when_the_journey_reaches_it() {
        // A week a step: the journey (7 days, steps 42 h apart) is quicker than the pace.
        let n = journey_number(Scenario::Deliver, 0, 5, false);
        let week = 7 * 24 * 3600;
        let r = track_one(&n, SHIPPED + Duration::hours(42), week);
        assert_eq!(r.carrier_code, "PU");
        assert_eq!(r.events[1].occurred_at, SHIPPED + Duration::hours(42));
        assert_eq!(
            track_one(&n, SHIPPED + Duration::hours(167), week).carrier_code,
            "OD"
        );
        let r = track_one(&n, SHIPPED + Duration::hours(168), week);
        assert_eq!(r.status, TrackingStatus::Delivered);
        assert_eq!(
            r.events.last().unwrap().occurred_at,
            datetime!(2025-03-21 12:00:00 UTC)
        );
    }

    #[test]
    fn a_journey_already_due_is_told_whole_on_its_own_days() {
        // Shipped Monday 2025-03-03 (11 days before the purchase), 3 days quoted: due Thursday
        // 03-06; the steps 18 h apart from Monday noon.
        let n = journey_number(Scenario::Deliver, -11, 3, false);
        let r = track_one(&n, SHIPPED, 60);
        assert_eq!(r.status, TrackingStatus::Delivered);
        let times: Vec<_> = r.events.iter().map(|e| e.occurred_at).collect();
        let monday = datetime!(2025-03-03 12:00:00 UTC);
        assert_eq!(
            times,
            (0..5)
                .map(|i| monday + Duration::hours(18 * i))
                .collect::<Vec<_>>()
        );
        assert_eq!(r.estimated_delivery, Some(date!(2025 - 03 - 06)));
    }

    #[test]
    fn a_late_parcel_arrives_ten_business_days_after_its_quote() {
        let n = journey_number(Scenario::Deliver, -28, 2, true);
        let r = track_one(&n, SHIPPED, 60);
        // Shipped Friday 2025-02-14, quoted Tuesday 02-18, delivered two weeks later.
        assert_eq!(r.estimated_delivery, Some(date!(2025 - 02 - 18)));
        assert_eq!(r.status, TrackingStatus::Delivered);
        assert_eq!(
            r.events.last().unwrap().occurred_at.date(),
            date!(2025 - 03 - 04)
        );
        // Shipped a fortnight back and late: still on its way at the purchase, so the hub
        // sees it late before it is delivered at the pace.
        let n = journey_number(Scenario::Deliver, -14, 2, true);
        let r = track_one(&n, SHIPPED, 60);
        assert_eq!(r.status, TrackingStatus::PreTransit);
        assert_eq!(r.events[0].occurred_at, SHIPPED);
        assert_eq!(r.estimated_delivery, Some(date!(2025 - 03 - 04)));
    }

    #[test]
    fn other_scripts_follow_the_journey_and_keep_their_endings() {
        let n = journey_number(Scenario::Exception, 0, 5, false);
        let r = track_one(&n, SHIPPED + Duration::minutes(6), 60);
        assert_eq!(r.status, TrackingStatus::Delivered);
        assert_eq!(r.events.len(), 7);
        assert_eq!(
            r.events.last().unwrap().occurred_at,
            datetime!(2025-03-21 12:00:00 UTC)
        );
        let n = journey_number(Scenario::Stall, 0, 5, false);
        let r = track_one(&n, SHIPPED + Duration::days(60), 60);
        assert_eq!(r.carrier_code, "PU");
        assert_eq!(r.events[1].occurred_at, SHIPPED + Duration::minutes(1));
        assert_eq!(r.estimated_delivery, Some(date!(2025 - 03 - 21)));
        let n = journey_number(Scenario::Return, 0, 5, false);
        let r = track_one(&n, SHIPPED + Duration::minutes(5), 60);
        assert_eq!(r.status, TrackingStatus::ReturnToSender);
        assert_eq!(r.estimated_delivery, None);
        // Every script's dates only move forward, whatever the pace and ship day.
        for s in Scenario::ALL {
            for (offset, step) in [(0, 1), (-20, 60), (3, 86_400), (-2, 604_800)] {
                let n = journey_number(s, offset, 4, false);
                let r = track_one(&n, SHIPPED + Duration::days(90), step);
                assert!(
                    r.events
                        .windows(2)
                        .all(|w| w[0].occurred_at <= w[1].occurred_at),
                    "{s:?} {offset} {step}"
                );
            }
        }
    }

    #[test]
    fn batches_above_the_declared_maximum_are_rejected() {
        let n = number::issue_v0(Scenario::Deliver, SHIPPED);
        assert_eq!(track(&vec![n.clone(); 50], SHIPPED, 60).unwrap().len(), 50);
        let e = track(&vec![n; 51], SHIPPED, 60).unwrap_err();
        assert!(
            matches!(e, CarrierError::Rejected { errors, .. } if errors[0].field == "/tracking_numbers")
        );
    }
}
