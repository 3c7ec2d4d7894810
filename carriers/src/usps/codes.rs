//! USPS code tables: mail classes (the services we sell) and tracking status mapping, each
//! citing its source in `../shared/carriers/usps/`. Data only.
//!
//! USPS publishes its scan event codes in Pub 199 Appendix G-4, which is not in the shared
//! folder as data (see its README, "Not found"). Tracking is therefore mapped from what the
//! v3 answer itself says: the package's `statusCategory` for the current status, and for each
//! event its `eventCode` where the code appears in USPS's published tracking sample
//! (`samples/domestic/tracking_responses.json`), otherwise its `eventType` words. The carrier's
//! code is always kept beside the mapped status.

use crate::carrier::ServiceInfo;
use crate::model::{ServiceClass, TrackingStatus};

const fn service(code: &'static str, name: &'static str, class: ServiceClass) -> ServiceInfo {
    ServiceInfo { code, name, class }
}

/// Mail classes a label can be bought for: `BaseDomesticPackageDescription.mailClass`
/// (`domestic-labels.yaml`) and `InternationalPackageDescription.mailClass`
/// (`international-labels.yaml`), without the deprecated aliases (`PARCEL_SELECT_LIGHTWEIGHT`,
/// `FIRST-CLASS_PACKAGE_SERVICE`) and without `GLOBAL_EXPRESS_GUARANTEED` (priced by Shipping
/// Options but "not supported by labels", suspended since 2024-09-29).
///
/// Classes: Priority Mail Express (overnight to 2-day, guaranteed) and USPS Connect Local
/// (next-day local) are overnight; Priority Mail (1–3 days) and Priority Mail Express
/// International are express; Ground Advantage, Connect Regional and Priority Mail
/// International are standard; the rest is economy.
pub(super) static SERVICES: [ServiceInfo; 13] = [
    service(
        "PRIORITY_MAIL_EXPRESS",
        "Priority Mail Express",
        ServiceClass::Overnight,
    ),
    service("PRIORITY_MAIL", "Priority Mail", ServiceClass::Express),
    service(
        "USPS_GROUND_ADVANTAGE",
        "USPS Ground Advantage",
        ServiceClass::Standard,
    ),
    service("PARCEL_SELECT", "Parcel Select", ServiceClass::Economy),
    service(
        "USPS_CONNECT_LOCAL",
        "USPS Connect Local",
        ServiceClass::Overnight,
    ),
    service(
        "USPS_CONNECT_REGIONAL",
        "USPS Connect Regional",
        ServiceClass::Standard,
    ),
    service(
        "USPS_CONNECT_MAIL",
        "USPS Connect Mail",
        ServiceClass::Economy,
    ),
    service("MEDIA_MAIL", "Media Mail", ServiceClass::Economy),
    service("LIBRARY_MAIL", "Library Mail", ServiceClass::Economy),
    service(
        "BOUND_PRINTED_MATTER",
        "Bound Printed Matter",
        ServiceClass::Economy,
    ),
    service(
        "PRIORITY_MAIL_EXPRESS_INTERNATIONAL",
        "Priority Mail Express International",
        ServiceClass::Express,
    ),
    service(
        "PRIORITY_MAIL_INTERNATIONAL",
        "Priority Mail International",
        ServiceClass::Standard,
    ),
    service(
        "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE",
        "First-Class Package International Service",
        ServiceClass::Economy,
    ),
];

/// International mail classes (the label goes to `international-labels`).
pub(super) const INTERNATIONAL: [&str; 3] = [
    "PRIORITY_MAIL_EXPRESS_INTERNATIONAL",
    "PRIORITY_MAIL_INTERNATIONAL",
    "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE",
];

/// Classes with content rules ("Certain mail classes, such as `MEDIA_MAIL`,
/// `BOUND_PRINTED_MATTER`, and `LIBRARY_MAIL`, have eligibility rules on what can be mailed",
/// `shipping-options.yaml`): shippable when asked for by name, never offered in a rate-shop,
/// where the cheapest quote would win for goods that may not use them.
pub(super) const CONTENT_RESTRICTED: [&str; 3] =
    ["MEDIA_MAIL", "LIBRARY_MAIL", "BOUND_PRINTED_MATTER"];

/// Whether a label can be bought for this mail class.
pub(super) fn purchasable(code: &str) -> bool {
    SERVICES.iter().any(|s| s.code == code)
}

/// Event codes seen in USPS's tracking sample, with the sample's words for them.
pub(super) static EVENT_CODES: &[(&str, TrackingStatus, &str)] = &[
    (
        "GX",
        TrackingStatus::PreTransit,
        "Shipping Label Created, USPS Awaiting Item",
    ),
    (
        "03",
        TrackingStatus::InTransit,
        "USPS in possession of item",
    ),
    ("SF", TrackingStatus::InTransit, "Departed Post Office"),
    (
        "10",
        TrackingStatus::InTransit,
        "Arrived at USPS Regional Origin Facility",
    ),
    (
        "T1",
        TrackingStatus::InTransit,
        "Departed USPS Regional Facility",
    ),
    (
        "TL",
        TrackingStatus::InTransit,
        "In Transit to Next Facility",
    ),
    (
        "A1",
        TrackingStatus::InTransit,
        "Arrived at USPS Regional Facility",
    ),
    ("07", TrackingStatus::InTransit, "Arrived at Post Office"),
    ("OF", TrackingStatus::OutForDelivery, "Out for Delivery"),
    ("01", TrackingStatus::Delivered, "Delivered, Parcel Locker"),
];

/// The status for a USPS text (`statusCategory` or an `eventType`). Order matters: "Delivery
/// Attempt" and "Out for Delivery" are checked before "Delivered"/"Delivery".
pub(super) fn status_from_text(text: &str) -> TrackingStatus {
    let t = text.to_ascii_lowercase();
    let has = |w: &str| t.contains(w);
    if has("return to sender") || has("returned to sender") {
        TrackingStatus::ReturnToSender
    } else if has("notice left") || has("delivery attempt") || has("attempted") {
        TrackingStatus::AttemptFail
    } else if has("out for delivery") {
        TrackingStatus::OutForDelivery
    } else if has("available for pickup") || has("held at post office") {
        TrackingStatus::AvailableForPickup
    } else if has("delivered") {
        TrackingStatus::Delivered
    } else if has("alert") || has("exception") || has("undeliverable") || has("refused") {
        TrackingStatus::Exception
    } else if has("label created") || has("pre-shipment") || has("awaiting item") {
        TrackingStatus::PreTransit
    } else if has("in transit")
        || has("accepted")
        || has("arrived")
        || has("departed")
        || has("in possession")
        || has("processed")
    {
        TrackingStatus::InTransit
    } else {
        TrackingStatus::Unknown
    }
}

/// An event's status: its code when the table knows it, else its words.
pub(super) fn event_status(code: Option<&str>, event_type: Option<&str>) -> TrackingStatus {
    code.and_then(|c| EVENT_CODES.iter().find(|(k, ..)| *k == c))
        .map(|(_, s, _)| *s)
        .unwrap_or_else(|| {
            event_type
                .map(status_from_text)
                .unwrap_or(TrackingStatus::Unknown)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_table_agrees_with_the_words_usps_uses_for_each_code() {
        for (code, status, words) in EVENT_CODES {
            assert_eq!(status_from_text(words), *status, "{code} {words}");
        }
    }

    #[test]
    fn status_categories_map_and_attempts_are_not_deliveries() {
        use TrackingStatus::*;
        for (text, want) in [
            ("Delivered", Delivered),
            ("Out for Delivery", OutForDelivery),
            ("Delivery Attempt", AttemptFail),
            (
                "Notice Left (No Authorized Recipient Available)",
                AttemptFail,
            ),
            ("Available for Pickup", AvailableForPickup),
            ("Alert", Exception),
            ("Pre-Shipment", PreTransit),
            ("Accepted", InTransit),
            ("In Transit", InTransit),
            ("Return to Sender", ReturnToSender),
            ("Something new", Unknown),
        ] {
            assert_eq!(status_from_text(text), want, "{text}");
        }
        assert_eq!(event_status(Some("OF"), Some("whatever")), OutForDelivery);
        assert_eq!(event_status(Some("ZZ"), Some("Arrived at Hub")), InTransit);
        assert_eq!(event_status(None, None), Unknown);
    }

    #[test]
    fn every_purchasable_class_is_a_label_mail_class_of_the_specs() {
        let Some(dom) = super::super::tests::FX.shared("openapi/domestic-labels.yaml") else {
            return;
        };
        let intl = super::super::tests::FX
            .shared("openapi/international-labels.yaml")
            .unwrap();
        let text = std::fs::read_to_string(dom).unwrap() + &std::fs::read_to_string(intl).unwrap();
        for s in SERVICES.iter().filter(|s| purchasable(s.code)) {
            assert!(
                text.contains(&format!("- {}\n", s.code)),
                "{} is not a label mailClass",
                s.code
            );
        }
    }
}
