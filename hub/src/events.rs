//! The event vocabulary: the kinds of event the hub records (`EventType`) and which of them a
//! webhook endpoint receives (`Subscription`). A leaf (no store, no HTTP): the store parses its
//! rows into these, every domain module emits with them, and adding an event is one line in
//! `EventType` below.

use std::str::FromStr;

use crate::named::{UnknownName, named_enum};

named_enum! {
    /// What an event says happened. The name is the event's `type`, stored as is.
    pub enum EventType {
        ShipmentCreated = "shipment.created",
        ShipmentVoided = "shipment.voided",
        ShipmentVoidRequested = "shipment.void_requested",
        TrackerUpdated = "tracker.updated",
        ShipmentDelivered = "shipment.delivered",
        ShipmentException = "shipment.exception",
        ShipmentStalled = "shipment.stalled",
        ShipmentLate = "shipment.late",
        PrintJobPrinted = "print_job.printed",
        PrintJobFailed = "print_job.failed",
        PrintJobExpired = "print_job.expired",
        ReconciliationCompleted = "reconciliation.completed",
        BatchCompleted = "batch.completed",
        PickupBooked = "pickup.booked",
        PickupCancelled = "pickup.cancelled",
        ManifestCreated = "manifest.created",
        WebhookDisabled = "webhook.disabled",
        /// A command from a queue (`--commands-from`) that failed for good: the problem
        /// document and the message id, for the tenant its credential names.
        CommandFailed = "command.failed",
        /// Sent to one endpoint on request (`POST /v1/webhooks/{id}/test`): never subscribed
        /// to, never fanned out, never replayed.
        WebhookTest = "webhook.test",
    }
}

impl EventType {
    /// Whether an endpoint may name it in its subscription.
    pub fn subscribable(self) -> bool {
        self != EventType::WebhookTest
    }

    /// The types an endpoint may subscribe to, in declaration order.
    pub fn subscribable_all() -> impl Iterator<Item = EventType> {
        EventType::ALL.iter().copied().filter(|t| t.subscribable())
    }
}

/// The event types an endpoint receives. Stored and shown as a list of names, `["*"]` for all
/// (present and future).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subscription {
    All,
    /// Listed types, without repeats, in the order given.
    Only(Vec<EventType>),
}

/// What `*` stands for in a subscription.
pub const ALL_EVENTS: &str = "*";

impl Subscription {
    pub fn includes(&self, kind: EventType) -> bool {
        match self {
            Subscription::All => kind.subscribable(),
            Subscription::Only(kinds) => kinds.contains(&kind),
        }
    }

    /// The names, as stored and shown.
    pub fn names(&self) -> Vec<&'static str> {
        match self {
            Subscription::All => vec![ALL_EVENTS],
            Subscription::Only(kinds) => kinds.iter().map(|k| k.as_str()).collect(),
        }
    }

    /// A stored list read back: `*` anywhere means all.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self, UnknownName> {
        if names.iter().any(|n| n.as_ref() == ALL_EVENTS) {
            return Ok(Subscription::All);
        }
        let mut kinds = Vec::with_capacity(names.len());
        for n in names {
            let kind = EventType::from_str(n.as_ref())?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        Ok(Subscription::Only(kinds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_parses_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(*t));
        }
        let err = "shipment.lost".parse::<EventType>().unwrap_err();
        assert_eq!(err.to_string(), "unknown EventType `shipment.lost`");
    }

    #[test]
    fn all_includes_every_subscribable_type_and_not_the_test_event() {
        assert!(Subscription::All.includes(EventType::ShipmentLate));
        assert!(!Subscription::All.includes(EventType::WebhookTest));
        let only = Subscription::from_names(&["tracker.updated", "tracker.updated"]).unwrap();
        assert_eq!(only, Subscription::Only(vec![EventType::TrackerUpdated]));
        assert!(!only.includes(EventType::ShipmentCreated));
        assert_eq!(Subscription::from_names(&["*"]).unwrap().names(), ["*"]);
    }
}
