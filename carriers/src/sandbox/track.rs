//! Scripted tracking: each scenario is a fixed list of status codes; step `i` happens
//! `i × step_seconds` after the ship time encoded in the number. Pure: the caller passes `now`.

use time::{Duration, OffsetDateTime};

use super::codes::{self, StatusCode};
use super::number::{self, Scenario};
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
            Some(d) => results.push(progress(n, d.scenario, d.shipped_at, now, step_seconds)),
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
        let n = number::issue(scenario, SHIPPED);
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
        let n = number::issue(Scenario::Return, SHIPPED);
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
        let n = number::issue(Scenario::Stall, SHIPPED);
        let r = track(&[n], SHIPPED + Duration::days(30), 86_400).unwrap();
        assert_eq!(r[0].status, TrackingStatus::InTransit);
        assert_eq!(r[0].estimated_delivery, Some(date!(2025 - 03 - 18)));
    }

    #[test]
    fn events_are_oldest_first_and_step_seconds_apart() {
        let n = number::issue(Scenario::Deliver, SHIPPED);
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
        let n = number::issue(Scenario::Deliver, SHIPPED);
        let r = track(&[n], SHIPPED - Duration::seconds(5), 60).unwrap();
        assert_eq!(r[0].status, TrackingStatus::PreTransit);
        assert_eq!(r[0].events.len(), 1);
    }

    #[test]
    fn bad_numbers_are_rejected_by_index() {
        let good = number::issue(Scenario::Deliver, SHIPPED);
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

    #[test]
    fn batches_above_the_declared_maximum_are_rejected() {
        let n = number::issue(Scenario::Deliver, SHIPPED);
        assert_eq!(track(&vec![n.clone(); 50], SHIPPED, 60).unwrap().len(), 50);
        let e = track(&vec![n; 51], SHIPPED, 60).unwrap_err();
        assert!(
            matches!(e, CarrierError::Rejected { errors, .. } if errors[0].field == "/tracking_numbers")
        );
    }
}
