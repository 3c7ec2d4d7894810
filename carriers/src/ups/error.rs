//! UPS errors → `CarrierError`, by a table of UPS error codes and HTTP statuses. Pure: takes a
//! status, the `Retry-After` the response carried and the body; never panics on any body.
//! Owns no retry logic (the hub's call layer retries what this marks retryable) and no
//! token handling (the one refresh on 401 is `mod.rs`'s).

use std::time::Duration;

use crate::error::{CarrierError, FieldError};
use crate::http::Dialect;

use super::ENTRY;
use super::wire;

/// Which call failed: decides `maybe_processed` and where field errors point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Token,
    Rate,
    Ship,
    Void,
    Track,
    Address,
    Pickup,
    PickupCancel,
}

/// What a UPS error code means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meaning {
    /// Credentials or licence refused.
    Auth,
    /// UPS-side trouble; try later.
    Transient,
    /// Bad request data; the field in our request vocabulary.
    Field(&'static str),
    /// Bad request data; the field is guessed from UPS's message (see [`field_from_message`]).
    Guess,
}

/// UPS error codes with a known meaning. Codes are UPS's (`response.errors[].code`); the
/// sample `../shared/carriers/ups/samples/error_response.json` shows 250003. The others are
/// from UPS's published error-code appendix (*ext*). Anything else is classified by HTTP
/// status, and a 4xx code we do not know becomes `Rejected` with the field guessed from the
/// message: refusing to buy on unknown input is the safe default.
static CODES: &[(&str, Meaning)] = &[
    ("250001", Meaning::Auth),      // Invalid Access License for the tool
    ("250002", Meaning::Auth),      // Invalid Authentication Information
    ("250003", Meaning::Auth),      // Invalid Access License number
    ("250004", Meaning::Auth),      // Incorrect UserId or Password
    ("250009", Meaning::Auth),      // License Number not found in the UPS database
    ("250050", Meaning::Transient), // License system not available
    ("190001", Meaning::Field("/carrier_shipment_id")), // Cancel Shipment Error
    ("190100", Meaning::Field("/carrier_shipment_id")), // No shipment found within the allowed void period
    ("190101", Meaning::Field("/carrier_shipment_id")), // Void period has expired
    ("151018", Meaning::Field("/tracking_number")),     // Invalid tracking number
    ("111210", Meaning::Field("/service")), // The requested service is unavailable between the selected locations
    ("111100", Meaning::Field("/service")), // The requested service is invalid from the selected origin
    ("120802", Meaning::Field("/to")),      // Address validation error on ShipTo address
    ("111285", Meaning::Guess),             // The postal code is invalid for the state/country
    ("9999", Meaning::Transient),           // General system error
];

/// The `CarrierError` for an unsuccessful UPS answer. 401 here is final (`Auth`): the one
/// refresh-and-retry happens before this is called.
pub(super) fn classify(
    op: Op,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> CarrierError {
    let carrier = ENTRY.code.clone();
    let errors = error_items(body);
    let first_code = errors
        .first()
        .and_then(|e| e.code.clone())
        .or_else(|| crate::oauth::error_code(body));
    match status {
        401 | 403 => {
            return CarrierError::Auth {
                carrier,
                code: first_code,
            };
        }
        429 => {
            return CarrierError::RateLimited {
                carrier,
                retry_after,
            };
        }
        // A ship request that reached UPS may have bought a label before the server failed:
        // the hub must not blindly buy again.
        500..=599 => {
            return CarrierError::Transient {
                carrier,
                message: format!("UPS answered HTTP {status}{}", describe(&errors)),
                maybe_processed: op == Op::Ship,
            };
        }
        // The token endpoint refusing in OAuth's own words (`invalid_client`, …): the
        // credentials, never retried.
        400..=499 if op == Op::Token && errors.is_empty() && first_code.is_some() => {
            return CarrierError::Auth {
                carrier,
                code: first_code,
            };
        }
        _ => {}
    }
    classify_items(op, status, errors, body)
}

fn classify_items(op: Op, status: u16, errors: Vec<wire::ErrorItem>, body: &[u8]) -> CarrierError {
    let carrier = ENTRY.code.clone();
    if errors.is_empty() {
        return protocol(
            status,
            body,
            format!("HTTP {status} without a UPS error list"),
        );
    }
    let meaning_of = |e: &wire::ErrorItem| {
        let code = e.code.as_deref().unwrap_or("");
        CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, m)| *m)
            .unwrap_or(Meaning::Guess)
    };
    if let Some(e) = errors.iter().find(|e| meaning_of(e) == Meaning::Auth) {
        return CarrierError::Auth {
            carrier,
            code: e.code.clone(),
        };
    }
    if errors.iter().all(|e| meaning_of(e) == Meaning::Transient) {
        return CarrierError::Transient {
            carrier,
            message: format!("UPS answered HTTP {status}{}", describe(&errors)),
            maybe_processed: op == Op::Ship,
        };
    }
    let fields = errors
        .iter()
        .map(|e| {
            let message = e.message.clone().unwrap_or_default();
            let field = match meaning_of(e) {
                Meaning::Field(f) => f.to_string(),
                _ => field_from_message(&message),
            };
            FieldError {
                field,
                carrier_code: e.code.clone(),
                message,
            }
        })
        .collect();
    CarrierError::Rejected {
        carrier,
        errors: fields,
    }
}

/// Errors UPS put in a 200 body (`response.errors`), or `None` when the body is not an error
/// body. Used by `mod.rs` for "200 with errors".
pub(super) fn errors_in_success(op: Op, body: &[u8]) -> Option<CarrierError> {
    let errors = error_items(body);
    (!errors.is_empty()).then(|| classify_items(op, 200, errors, body))
}

/// `Protocol` for a body we could not read: the body is kept for diagnosis (`RawBody`
/// truncates it for `Debug`) with anything that looks like a token redacted.
pub(super) fn protocol(status: u16, body: &[u8], message: impl Into<String>) -> CarrierError {
    DIALECT.protocol(status, body, message)
}

/// How UPS's answers read (see `crate::http::Dialect`); a 2xx that carries errors is
/// `mod.rs`'s `call`.
pub(super) static DIALECT: Dialect<Op> = Dialect {
    carrier: super::CODE,
    redacted: REDACTED,
    classify,
};

/// Keys whose string values never stay in a kept body: the OAuth token.
pub(super) const REDACTED: &[&str] = &["\"access_token\""];

fn error_items(body: &[u8]) -> Vec<wire::ErrorItem> {
    serde_json::from_slice::<wire::ErrorResponse>(body)
        .ok()
        .and_then(|r| r.response)
        .map(|r| r.errors)
        .unwrap_or_default()
}

fn describe(errors: &[wire::ErrorItem]) -> String {
    errors
        .iter()
        .map(|e| {
            format!(
                ": {} {}",
                e.code.as_deref().unwrap_or("?"),
                e.message.as_deref().unwrap_or("")
            )
        })
        .collect()
}

/// Points a UPS message at the field of *our* request it complains about. UPS names its own
/// containers (`ShipTo`, `Shipper`, `ShipFrom`); we map them to `/to` and `/from` (the shipper
/// and ship-from are both our `from`). Unknown → empty pointer, never a wrong one.
pub(super) fn field_from_message(message: &str) -> String {
    let m = message.to_ascii_lowercase();
    // An option UPS refuses on the service or lane ("Saturday Delivery is not available for
    // the requested service") is the option's field, before any party or service it names.
    if let Some(option) = option_in(&m) {
        return option.pointer().to_string();
    }
    let party = if m.contains("shipto") || m.contains("ship to") || m.contains("consignee") {
        Some("/to")
    } else if m.contains("shipper") || m.contains("shipfrom") || m.contains("ship from") {
        Some("/from")
    } else {
        None
    };
    let part = if m.contains("postal") || m.contains("zip") {
        Some("/postal_code")
    } else if m.contains("state") || m.contains("province") {
        Some("/state")
    } else if m.contains("country") {
        Some("/country")
    } else if m.contains("city") {
        Some("/city")
    } else if m.contains("phone") {
        Some("/phone")
    } else if m.contains("address") {
        Some("/street")
    } else {
        None
    };
    match (party, part) {
        (Some(p), Some(f)) => format!("{p}{f}"),
        (None, Some(f)) if f == "/postal_code" || f == "/state" => format!("/to{f}"),
        (Some(p), None) => p.to_string(),
        _ if m.contains("tracking number") || m.contains("inquiry number") => {
            "/tracking_number".into()
        }
        _ if m.contains("void") || m.contains("shipment identification") => {
            "/carrier_shipment_id".into()
        }
        _ if m.contains("service") => "/service".into(),
        _ if m.contains("weight") || m.contains("dimension") || m.contains("package") => {
            "/parcels".into()
        }
        _ if m.contains("commodity") || m.contains("invoice") || m.contains("customs") => {
            "/customs".into()
        }
        _ => String::new(),
    }
}

/// The shipment option a UPS message is about, by the words UPS's option containers use.
fn option_in(m: &str) -> Option<crate::model::ShipmentOption> {
    use crate::model::ShipmentOption as O;
    if m.contains("saturday delivery") {
        Some(O::SaturdayDelivery)
    } else if m.contains("declared value") {
        Some(O::DeclaredValue)
    } else if m.contains("dry ice") || m.contains("dryice") {
        Some(O::DryIce)
    } else if m.contains("delivery confirmation") || m.contains("signature") {
        Some(O::SignatureDirect)
    } else {
        None
    }
}
