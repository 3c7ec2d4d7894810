//! Sandbox service and tracking status codes. The sandbox is its own carrier, so this table
//! is the published list: two-letter codes in the style of real carriers' activity codes.

use crate::carrier::ServiceInfo;
use crate::model::{ServiceClass, TrackingStatus};

/// Services, cheapest first (`rate` quotes them in this order).
pub(super) static SERVICES: [ServiceInfo; 3] = [
    ServiceInfo {
        code: "economy",
        name: "Sandbox Economy",
        class: ServiceClass::Economy,
    },
    ServiceInfo {
        code: "standard",
        name: "Sandbox Standard",
        class: ServiceClass::Standard,
    },
    ServiceInfo {
        code: "express",
        name: "Sandbox Express",
        class: ServiceClass::Express,
    },
];

/// One tracking status code.
#[derive(Debug)]
pub(super) struct StatusCode {
    pub code: &'static str,
    pub status: TrackingStatus,
    /// The finer reason, for codes that are a kind of problem.
    pub sub_status: Option<&'static str>,
    pub description: &'static str,
}

const fn code(
    code: &'static str,
    status: TrackingStatus,
    sub_status: Option<&'static str>,
    description: &'static str,
) -> StatusCode {
    StatusCode {
        code,
        status,
        sub_status,
        description,
    }
}

/// Every status code the sandbox emits, with its meaning.
pub(super) static STATUS_CODES: &[StatusCode] = &[
    // The label exists; nothing has been handed over yet.
    code("LC", TrackingStatus::PreTransit, None, "Label created"),
    code("PU", TrackingStatus::InTransit, None, "Picked up"),
    code(
        "AR",
        TrackingStatus::InTransit,
        None,
        "Arrived at sandbox facility",
    ),
    code(
        "DP",
        TrackingStatus::InTransit,
        None,
        "Departed sandbox facility",
    ),
    code(
        "OD",
        TrackingStatus::OutForDelivery,
        None,
        "Out for delivery",
    ),
    code("DL", TrackingStatus::Delivered, None, "Delivered"),
    // The parcel is held, not merely delayed: nobody can deliver to an address that does not
    // resolve until the shipper or receiver acts, so this is `exception`, not `attempt_fail`.
    code(
        "EX",
        TrackingStatus::Exception,
        Some("address_problem"),
        "Held: the address could not be resolved",
    ),
    // The driver was at the door: the carrier retries by itself, hence `attempt_fail`.
    code(
        "AF",
        TrackingStatus::AttemptFail,
        Some("receiver_unavailable"),
        "Delivery attempted, receiver not available",
    ),
    code(
        "RS",
        TrackingStatus::ReturnToSender,
        Some("undeliverable"),
        "Returning to sender",
    ),
];

/// The entry for `code`.
pub(super) fn status(code: &str) -> Option<&'static StatusCode> {
    STATUS_CODES.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn status_codes_are_unique_two_letter_codes() {
        let mut seen = HashSet::new();
        for c in STATUS_CODES {
            assert!(seen.insert(c.code), "{} listed twice", c.code);
            assert!(c.code.len() == 2 && c.code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(!c.description.is_empty());
            // Problems say why; ordinary progress has no reason to give.
            assert_eq!(c.status.is_problem(), c.sub_status.is_some(), "{}", c.code);
        }
    }

    #[test]
    fn services_are_unique_and_ordered_by_class() {
        let codes: HashSet<_> = SERVICES.iter().map(|s| s.code).collect();
        assert_eq!(codes.len(), SERVICES.len());
        assert!(SERVICES.windows(2).all(|w| w[0].class < w[1].class));
    }
}
