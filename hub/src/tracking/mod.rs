//! Tracking: when to look at a parcel next, and what a check found — the tracker's next
//! state and the events subscribers hear (`tracker.updated`, `shipment.delivered`,
//! `shipment.exception`, `shipment.stalled`, `shipment.late`). Pure functions here; the
//! scheduler (`scheduler.rs`) and the push intake feed them; `trackers.rs` starts following a
//! parcel shipped elsewhere, `analytics.rs` reports how carriers deliver.

pub mod analytics;
pub mod push;
pub mod scheduler;
pub mod trackers;

use std::time::Duration;

use serde::Serialize;
use shiphub_carriers::model::{ServiceClass, TrackingEvent, TrackingResult, TrackingStatus};
use time::{Date, OffsetDateTime, Weekday};

use crate::events::EventType;
use crate::store::{NewEvent, TrackerRecord};

/// How often to look, by the parcel's state. Every interval divides by `speedup` (tests and
/// demos run a day in seconds).
#[derive(Clone, Copy, Debug)]
pub struct PollPolicy {
    /// First look after the label is created.
    pub after_label: Duration,
    /// Label created, not yet scanned.
    pub pre_transit: Duration,
    /// Long-haul transit.
    pub in_transit: Duration,
    /// In transit and due today or tomorrow.
    pub near_delivery: Duration,
    pub out_for_delivery: Duration,
    /// Exception, failed attempt, held for pickup.
    pub problem: Duration,
    /// No news for this long: the tracker expires and stops.
    pub expire_after: Duration,
    /// A scan gap longer than this is a stall (express / other services).
    pub stall_gap_express: Duration,
    pub stall_gap_standard: Duration,
    /// Backoff after failed checks: first step, cap.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// How long a claimed tracker is leased to one instance.
    pub lease: Duration,
    /// A parcel the carrier pushes (subscribed) is still polled, as a safety net against a
    /// lost push, this many times less often than its state asks.
    pub subscribed_slowdown: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        let h = |n: u64| Duration::from_secs(n * 3600);
        Self {
            after_label: Duration::from_secs(15 * 60),
            pre_transit: h(2),
            in_transit: h(4),
            near_delivery: h(1),
            out_for_delivery: Duration::from_secs(30 * 60),
            problem: h(1),
            expire_after: h(30 * 24),
            stall_gap_express: h(36),
            stall_gap_standard: h(96),
            backoff: Duration::from_secs(5 * 60),
            max_backoff: h(6),
            lease: Duration::from_secs(30),
            subscribed_slowdown: 4,
        }
    }
}

impl PollPolicy {
    /// Every interval divided by `speedup` (the lease too, but never under a second).
    pub fn scaled(self, speedup: u32) -> Self {
        let s = speedup.max(1);
        let d = |x: Duration| x / s;
        Self {
            after_label: d(self.after_label),
            pre_transit: d(self.pre_transit),
            in_transit: d(self.in_transit),
            near_delivery: d(self.near_delivery),
            out_for_delivery: d(self.out_for_delivery),
            problem: d(self.problem),
            expire_after: d(self.expire_after),
            stall_gap_express: d(self.stall_gap_express),
            stall_gap_standard: d(self.stall_gap_standard),
            backoff: d(self.backoff),
            max_backoff: d(self.max_backoff),
            lease: self.lease,
            subscribed_slowdown: self.subscribed_slowdown,
        }
    }

    fn stall_gap(&self, class: Option<&str>) -> Duration {
        match class {
            Some("express" | "overnight") => self.stall_gap_express,
            _ => self.stall_gap_standard,
        }
    }

    /// The wait before the next look at a parcel in this state; `None` = stop. A subscribed
    /// parcel (the carrier pushes its scans) waits `subscribed_slowdown` times longer.
    pub fn interval(&self, t: &TrackerRecord, today: Date) -> Option<Duration> {
        let wait = self.state_interval(t, today)?;
        Some(match t.subscribed_at {
            Some(_) => wait.saturating_mul(self.subscribed_slowdown.max(1)),
            None => wait,
        })
    }

    fn state_interval(&self, t: &TrackerRecord, today: Date) -> Option<Duration> {
        use TrackingStatus::*;
        Some(match t.status {
            Delivered | Cancelled | Expired | ReturnToSender => return None,
            OutForDelivery => self.out_for_delivery,
            Exception | AttemptFail | AvailableForPickup => self.problem,
            PreTransit | Unknown if t.last_event_at.is_none() && t.last_checked_at.is_none() => {
                self.after_label
            }
            PreTransit | Unknown => self.pre_transit,
            InTransit => {
                let due = t
                    .estimated_delivery
                    .as_deref()
                    .and_then(parse_date)
                    .is_some_and(|d| d <= today.next_day().unwrap_or(today));
                if due {
                    self.near_delivery
                } else {
                    self.in_transit
                }
            }
        })
    }

    /// After `failures` failed checks in a row: exponential, capped, ±20 % jitter.
    pub fn backoff(&self, failures: u32) -> Duration {
        let base = self
            .backoff
            .saturating_mul(1 << failures.min(16))
            .min(self.max_backoff);
        base.mul_f64(rand::random_range(0.8..1.2))
    }
}

pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// `days` business days after `from` (Saturdays and Sundays skipped).
pub fn add_business_days(from: Date, days: u32) -> Date {
    let mut d = from;
    let mut left = days;
    while left > 0 {
        d = d.next_day().unwrap_or(d);
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    d
}

/// The delivery a service class commits to, from the ship date.
pub fn promised_date(ship_date: Date, class: Option<ServiceClass>) -> Option<Date> {
    let days = match class? {
        ServiceClass::Overnight => 1,
        ServiceClass::Express => 2,
        ServiceClass::Standard => 5,
        ServiceClass::Economy => 8,
        _ => return None,
    };
    Some(add_business_days(ship_date, days))
}

/// A new tracker, first looked at `policy.after_label` from now (or waiting for an account).
#[allow(clippy::too_many_arguments)]
pub fn new_tracker(
    policy: &PollPolicy,
    now: OffsetDateTime,
    number: &str,
    carrier: &str,
    account: Option<crate::ids::AccountId>,
    shipment: Option<crate::ids::ShipmentId>,
    class: Option<ServiceClass>,
    promised: Option<Date>,
) -> TrackerRecord {
    let waiting = account.is_none();
    TrackerRecord {
        id: crate::ids::TrackerId::generate(),
        tracking_number: number.to_string(),
        carrier: carrier.to_string(),
        carrier_account_id: account,
        shipment_id: shipment,
        service_class: class.and_then(|c| {
            serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
        }),
        status: TrackingStatus::PreTransit,
        sub_status: None,
        carrier_status_code: None,
        estimated_delivery: None,
        promised_date: promised.map(|d| d.to_string()),
        signed_by: None,
        waiting_reason: waiting.then(|| "no_carrier_account".to_string()),
        urgency: 1,
        failures: 0,
        last_event_at: None,
        last_checked_at: None,
        next_check_at: (!waiting).then(|| now + policy.after_label),
        delivered_at: None,
        had_exception: false,
        stalled_notified: false,
        late_notified: false,
        created_at: now,
        updated_at: now,
        ship_date: None,
        superseded_by: None,
        network: None,
        subscribed_at: None,
        phone: None,
    }
}

/// Why a parcel is in trouble, from the status and the carrier's words.
pub fn exception_reason(status: TrackingStatus, e: Option<&TrackingEvent>) -> &'static str {
    match status {
        TrackingStatus::AttemptFail => return "attempt_failed",
        TrackingStatus::ReturnToSender => return "returned",
        _ => {}
    }
    let text = e
        .map(|e| {
            format!(
                "{} {}",
                e.sub_status.as_deref().unwrap_or(""),
                e.description
            )
            .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["refus"]) {
        "refused"
    } else if has(&["customs", "clearance", "duties"]) {
        "customs_hold"
    } else if has(&["damage"]) {
        "damaged"
    } else if has(&["lost", "missing", "cannot be located"]) {
        "lost"
    } else if has(&["address", "incorrect", "undeliverable"]) {
        "address_problem"
    } else if has(&["return"]) {
        "returned"
    } else {
        "exception"
    }
}

/// The tracker as API answers and event payloads show it.
pub fn tracker_json(t: &TrackerRecord, latest: Option<&TrackingEvent>) -> serde_json::Value {
    serde_json::to_value(TrackerOut::new(t, latest)).expect("a tracker serializes")
}

/// A tracker as the API answers it and events carry it; the type `/openapi.json` documents.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TrackerOut {
    pub id: String,
    pub tracking_number: String,
    pub carrier: String,
    /// The network the carrier (an aggregator such as Kuaidi100) tracks the number in
    /// (`zhongtong`, `yuantong` …), when named or found by the aggregator's detection.
    pub network: Option<String>,
    /// The last four digits of the phone hint the tracker was given (`phone` of
    /// POST /v1/trackers), sent to networks that want it.
    pub phone_hint: Option<String>,
    pub carrier_account: Option<String>,
    pub shipment_id: Option<String>,
    pub status: TrackingStatus,
    pub sub_status: Option<String>,
    /// The carrier's own code of the latest scan.
    pub carrier_status_code: Option<String>,
    /// ISO date.
    pub estimated_delivery: Option<String>,
    /// ISO date the service promised.
    pub promised_date: Option<String>,
    pub signed_by: Option<String>,
    /// `no_carrier_account` while no account of the carrier exists.
    pub waiting_reason: Option<String>,
    /// Closed: the carrier reused the number for a newer shipment bought here, which the
    /// tracker with this id follows. A closed tracker keeps its scans and is not polled.
    pub superseded_by: Option<String>,
    pub last_event: Option<TrackingEvent>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_event_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_checked_at: Option<OffsetDateTime>,
    /// Null once the tracker is not polled any more.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_check_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<OffsetDateTime>,
    /// When the carrier accepted to push this parcel's scans (a per-parcel subscription such
    /// as Kuaidi100's); the hub then polls it less often, as a safety net. Null otherwise.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub subscribed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Every scan, oldest first (single-tracker answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<TrackingEvent>>,
}

impl TrackerOut {
    pub fn new(t: &TrackerRecord, latest: Option<&TrackingEvent>) -> TrackerOut {
        TrackerOut {
            id: t.id.to_string(),
            tracking_number: t.tracking_number.clone(),
            carrier: t.carrier.clone(),
            network: t.network.clone(),
            phone_hint: t.phone.clone(),
            carrier_account: t.carrier_account_id.as_ref().map(|a| a.to_string()),
            shipment_id: t.shipment_id.as_ref().map(|s| s.to_string()),
            status: t.status,
            sub_status: t.sub_status.clone(),
            carrier_status_code: t.carrier_status_code.clone(),
            estimated_delivery: t.estimated_delivery.clone(),
            promised_date: t.promised_date.clone(),
            signed_by: t.signed_by.clone(),
            waiting_reason: t.waiting_reason.clone(),
            superseded_by: t.superseded_by.as_ref().map(|s| s.to_string()),
            last_event: latest.cloned(),
            last_event_at: t.last_event_at,
            last_checked_at: t.last_checked_at,
            next_check_at: t.next_check_at,
            delivered_at: t.delivered_at,
            subscribed_at: t.subscribed_at,
            created_at: t.created_at,
            events: None,
        }
    }
}

fn event(kind: EventType, t: &TrackerRecord, data: serde_json::Value) -> NewEvent {
    NewEvent {
        kind,
        subject_id: t
            .shipment_id
            .as_ref()
            .map_or_else(|| t.id.to_string(), |s| s.to_string()),
        data,
    }
}

/// What a check found, applied to the tracker: its next state and the events it emits.
/// `fresh` are the scans not seen before (deduplicated by the store); `result` is the
/// carrier's answer when the check was a poll (a push brings scans only).
pub fn decide(
    policy: &PollPolicy,
    now: OffsetDateTime,
    old: &TrackerRecord,
    fresh: &[TrackingEvent],
    result: Option<&TrackingResult>,
) -> (TrackerRecord, Vec<NewEvent>) {
    let mut t = old.clone();
    t.updated_at = now;
    t.failures = 0;
    if result.is_some() {
        t.last_checked_at = Some(now);
    }
    let latest = fresh.iter().max_by_key(|e| e.occurred_at);
    if let Some(e) = latest
        && old.last_event_at.is_none_or(|at| e.occurred_at >= at)
    {
        // Delivered is final, unless the carrier says the parcel goes back.
        if old.status != TrackingStatus::Delivered || e.status == TrackingStatus::ReturnToSender {
            t.status = e.status;
            t.sub_status = e.sub_status.clone();
        }
        t.carrier_status_code = Some(e.carrier_code.clone());
        t.last_event_at = Some(e.occurred_at);
        if e.status == TrackingStatus::Unknown {
            metrics::counter!("shiphub_tracking_unmapped_codes_total", "carrier" => t.carrier.clone(), "code" => e.carrier_code.clone())
                .increment(1);
        }
    } else if let Some(r) = result
        && old.last_event_at.is_none()
        && r.events.is_empty()
    {
        t.status = r.status;
    }
    if let Some(r) = result {
        if let Some(d) = r.estimated_delivery {
            t.estimated_delivery = Some(d.to_string());
        }
        if let Some(s) = &r.signed_by {
            t.signed_by = Some(s.clone());
        }
    }
    let mut events = vec![];
    let changed = t.status != old.status;
    if t.status == TrackingStatus::Delivered && changed {
        t.delivered_at = Some(latest.map_or(now, |e| e.occurred_at));
    }
    if !fresh.is_empty() {
        t.stalled_notified = false;
    }
    // Stalled: no scan for longer than the service's normal gap.
    let quiet_since = t.last_event_at.unwrap_or(t.created_at);
    if !t.status.is_terminal()
        && t.status != TrackingStatus::ReturnToSender
        && !t.stalled_notified
        && now - quiet_since > policy.stall_gap(t.service_class.as_deref())
    {
        t.stalled_notified = true;
    }
    // Late: the promised (or else estimated) date passed without delivery.
    let today = now.date();
    let due = t
        .promised_date
        .as_deref()
        .or(t.estimated_delivery.as_deref())
        .and_then(parse_date);
    let late = t.status != TrackingStatus::Delivered
        && !t.status.is_terminal()
        && due.is_some_and(|d| d < today);
    if late && !t.late_notified {
        t.late_notified = true;
    }
    // Expired: no news at all for too long.
    if !t.status.is_terminal() && now - quiet_since > policy.expire_after {
        t.status = TrackingStatus::Expired;
    }
    t.urgency = i64::from(
        !(late
            || matches!(
                t.status,
                TrackingStatus::OutForDelivery
                    | TrackingStatus::Exception
                    | TrackingStatus::AttemptFail
            )),
    );
    if t.status.is_problem() && changed {
        t.had_exception = true;
    }
    t.next_check_at = policy.interval(&t, today).map(|d| now + d);

    let json = tracker_json(&t, latest);
    if changed || !fresh.is_empty() {
        events.push(event(EventType::TrackerUpdated, &t, json.clone()));
    }
    if changed && t.status == TrackingStatus::Delivered {
        events.push(event(EventType::ShipmentDelivered, &t, json.clone()));
    }
    if changed && t.status.is_problem() {
        let mut data = json.clone();
        data["reason"] = exception_reason(t.status, latest).into();
        events.push(event(EventType::ShipmentException, &t, data));
    }
    if t.stalled_notified && !old.stalled_notified {
        let mut data = json.clone();
        data["quiet_since"] = serde_json::json!(
            quiet_since
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        );
        events.push(event(EventType::ShipmentStalled, &t, data));
    }
    if t.late_notified && !old.late_notified {
        let mut data = json;
        data["due"] = serde_json::json!(due.map(|d| d.to_string()));
        events.push(event(EventType::ShipmentLate, &t, data));
    }
    (t, events)
}

#[cfg(test)]
mod tests;
