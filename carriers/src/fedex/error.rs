//! FedEx answers to `CarrierError`: HTTP status first, then FedEx's `errors[].code` through a
//! table, including the "200 with an `errors` array" answer. Pure: takes the status, the
//! Retry-After the response carried and the body bytes; never sees a socket, never panics.
//! A 401 reaching this module has already been retried once with a fresh token (`mod.rs`).

use std::time::Duration;

use crate::error::{CarrierError, FieldError};
use crate::http::Dialect;

use super::wire;

/// Which call the answer belongs to: decides `maybe_processed` and where field errors point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Token,
    Rate,
    Ship,
    Void,
    Track,
    /// Address validation: field errors point into the address itself (`/postal_code`).
    Address,
    /// Create pickup: like Ship, a 5xx may have booked the courier.
    Pickup,
    CancelPickup,
    /// Ground End of Day Close: like Ship, a 5xx may have closed the day.
    Close,
    /// Special Service Options, asked before a label with options is bought.
    Availability,
}

/// What a FedEx error code means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Credentials or account configuration: fix the account, never retry.
    Auth,
    /// FedEx is having trouble: retry later.
    Transient,
    /// Our request reached a path FedEx does not serve: a base URL or adapter bug.
    Protocol,
    /// The shipment data: fix the input. `&str` is the field in our request, when the code
    /// names one the table knows better than the token heuristic in [`field_for`].
    Rejected(Option<&'static str>),
}

/// FedEx error codes with a meaning beyond "the input was wrong". Codes from the error
/// examples in `fedex/openapi/{authorization,rate,ship,track}-api.json` and
/// `fedex/samples/error_response.json`.
static CODES: &[(&str, Action)] = &[
    // "The given client credentials were not valid" / "Access token expired".
    ("NOT.AUTHORIZED.ERROR", Action::Auth),
    ("LOGIN.REAUTHENTICATE.ERROR", Action::Auth),
    // "We could not authorize your credentials. Please check your permissions": the project
    // lacks this API; only the account owner can fix it.
    ("FORBIDDEN.ERROR", Action::Auth),
    ("UNAUTHORIZED.USAGE", Action::Auth),
    ("SHIPMENT.USER.UNAUTHORIZED", Action::Auth),
    // The configured account number is not registered to the project or does not match the
    // payor: account configuration, not shipment data, so no field of the request is wrong.
    ("ACCOUNTNUMBER.REGISTRATION.REQUIRED", Action::Auth),
    ("ACCOUNT.NUMBER.MISMATCH", Action::Auth),
    ("INTERNAL.SERVER.ERROR", Action::Transient),
    ("SERVICE.UNAVAILABLE.ERROR", Action::Transient),
    // "The resource you requested is no longer available": the path, i.e. the base URL.
    ("NOT.FOUND.ERROR", Action::Protocol),
    ("INVALID.INPUT.EXCEPTION", Action::Rejected(None)),
    (
        "TRACKING.TRACKINGNUMBER.EMPTY",
        Action::Rejected(Some("/tracking_numbers")),
    ),
    (
        "TRACKING.TRACKINGNUMBER.INVALID",
        Action::Rejected(Some("/tracking_numbers")),
    ),
    (
        "TRACKINGNUMBER.ENTERED.INVALID",
        Action::Rejected(Some("/tracking_number")),
    ),
    // pickup-api.json 400 examples of Create and Cancel.
    (
        "PICKUP.REQUESTED.PREVIOUS.DAY",
        Action::Rejected(Some("/date")),
    ),
    (
        "PICKUP.NUMBER.EXPIRED",
        Action::Rejected(Some("/confirmation")),
    ),
];

fn action(code: &str) -> Option<Action> {
    CODES.iter().find(|(c, _)| *c == code).map(|(_, a)| *a)
}

/// How FedEx's answers read (see `crate::http::Dialect`); a 2xx that carries errors is
/// `mod.rs`'s `decode`.
pub(super) static DIALECT: Dialect<Op> = Dialect {
    carrier: super::CODE,
    redacted: REDACTED,
    classify,
};

/// The error for a non-2xx answer.
pub(super) fn classify(
    op: Op,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> CarrierError {
    let parsed: Option<wire::ErrorResponse> = serde_json::from_slice(body).ok();
    let mut errors = parsed.map(|p| p.errors).unwrap_or_default();
    // Some FedEx gateways answer in a flat shape instead of `errors[]` (the 404 example of
    // `ship-api.json`: `{"error": "NOT.FOUND.ERROR", "error_detail": "…"}`): the same code,
    // read into the same table. The token endpoint's OAuth words stay its own case below.
    if errors.is_empty()
        && op != Op::Token
        && (400..500).contains(&status)
        && let Some(code) = crate::oauth::error_code(body)
    {
        let detail = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error_detail")?.as_str().map(str::to_string));
        errors.push(wire::ApiError {
            code: Some(code),
            message: detail,
            ..Default::default()
        });
    }
    let first_code = errors
        .iter()
        .find_map(|e| e.code.clone())
        .or_else(|| crate::oauth::error_code(body));
    match status {
        429 => CarrierError::RateLimited {
            carrier: super::CODE,
            retry_after,
        },
        401 | 403 => CarrierError::Auth {
            carrier: super::CODE,
            code: first_code,
        },
        // Ship is the one call that buys: after a 5xx FedEx may have created the shipment,
        // so the hub must not blindly buy again.
        500..=599 => transient(op, status, first_code.as_deref()),
        // The token endpoint refusing in OAuth's own words (`invalid_client`, …): the
        // credentials, never retried.
        400..=499 if op == Op::Token && errors.is_empty() && first_code.is_some() => {
            CarrierError::Auth {
                carrier: super::CODE,
                code: first_code,
            }
        }
        _ if errors.is_empty() => protocol(
            status,
            body,
            if status < 300 {
                "no output and no errors"
            } else {
                "an error status without FedEx errors"
            },
        ),
        _ => from_errors(op, status, body, &errors),
    }
}

/// The error for FedEx's error list on a 2xx or 4xx answer.
pub(super) fn from_errors(
    op: Op,
    status: u16,
    body: &[u8],
    errors: &[wire::ApiError],
) -> CarrierError {
    let actions: Vec<Option<Action>> = errors
        .iter()
        .map(|e| e.code.as_deref().and_then(action))
        .collect();
    let code_of = |a: Action| {
        errors
            .iter()
            .zip(&actions)
            .find(|(_, x)| **x == Some(a))
            .and_then(|(e, _)| e.code.clone())
    };
    if actions.contains(&Some(Action::Auth)) {
        return CarrierError::Auth {
            carrier: super::CODE,
            code: code_of(Action::Auth),
        };
    }
    if actions.contains(&Some(Action::Transient)) {
        // A 4xx saying "unavailable" was refused before anything happened.
        let mut e = transient(op, status, code_of(Action::Transient).as_deref());
        if let CarrierError::Transient {
            maybe_processed, ..
        } = &mut e
        {
            *maybe_processed = false;
        }
        return e;
    }
    if actions.contains(&Some(Action::Protocol)) {
        return protocol(
            status,
            body,
            format!(
                "FedEx does not serve this path (check the account's base URL): {}",
                code_of(Action::Protocol).unwrap_or_default()
            ),
        );
    }
    CarrierError::Rejected {
        carrier: super::CODE,
        errors: errors
            .iter()
            .zip(&actions)
            .map(|(e, a)| {
                let code = e.code.clone().unwrap_or_default();
                let field = match a {
                    Some(Action::Rejected(Some(f))) => f.to_string(),
                    _ => field_for(op, &code),
                };
                FieldError {
                    field,
                    carrier_code: e.code.clone(),
                    message: e.message.clone().unwrap_or_else(|| code.clone()),
                }
            })
            .collect(),
    }
}

fn transient(op: Op, status: u16, code: Option<&str>) -> CarrierError {
    CarrierError::Transient {
        carrier: super::CODE,
        message: format!(
            "HTTP {status}{}",
            code.map(|c| format!(" {c}")).unwrap_or_default()
        ),
        maybe_processed: matches!(op, Op::Ship | Op::Pickup | Op::Close),
    }
}

/// A response we could not read, with its body kept redacted and truncated.
pub(super) fn protocol(status: u16, body: &[u8], message: impl Into<String>) -> CarrierError {
    DIALECT.protocol(status, body, message)
}

/// Keys whose string values never stay in a kept body: the token, the secret, label images.
pub(super) const REDACTED: &[&str] = &["\"access_token\"", "\"client_secret\"", "\"encodedLabel\""];

/// Where a FedEx error code points in our request, from the words of the code: FedEx codes
/// read `<OBJECT>.<ATTRIBUTE>.<PROBLEM>` (`RECIPIENT.POSTALCODE.INVALID`,
/// `SHIPPER.POSTALSTATE.MISMATCH`). Party words pick `/from` or `/to`, attribute words the
/// field; a code that names neither points at the whole request (empty pointer). A heuristic,
/// kept conservative: it never invents an array index it cannot know.
pub(super) fn field_for(op: Op, code: &str) -> String {
    let words: Vec<&str> = code.split('.').collect();
    let has = |w: &[&str]| words.iter().any(|x| w.iter().any(|y| x.starts_with(y)));
    let party = if has(&["SHIPPER", "ORIGIN", "SENDER"]) {
        Some("/from")
    } else if has(&["RECIPIENT", "DESTINATION"]) {
        Some("/to")
    } else {
        None
    };
    let attribute = if has(&["POSTAL", "ZIP"]) {
        Some("/postal_code")
    } else if has(&["STATE", "PROVINCE"]) {
        Some("/state")
    } else if has(&["CITY"]) {
        Some("/city")
    } else if has(&["COUNTRY"]) {
        Some("/country")
    } else if has(&["STREET", "ADDRESS"]) {
        Some("/street")
    } else if has(&["PHONE"]) {
        Some("/phone")
    } else if has(&["EMAIL"]) {
        Some("/email")
    } else if has(&["PERSONNAME", "CONTACT", "COMPANY"]) {
        Some("/name")
    } else {
        None
    };
    if let Some(p) = party {
        return format!("{p}{}", attribute.unwrap_or(""));
    }
    // Address validation and pickups have one address: attribute words point into it.
    match (op, attribute) {
        (Op::Address, Some(a)) => return a.to_string(),
        (Op::Pickup, Some(a)) => return format!("/address{a}"),
        _ => {}
    }
    let pointer = if has(&["TRACKINGNUMBER", "TRACKING"]) {
        match op {
            Op::Track => "/tracking_numbers",
            _ => "/tracking_number",
        }
    } else if has(&["SERVICETYPE", "SERVICE"]) && op == Op::Ship {
        "/service"
    } else if has(&[
        "COMMODIT",
        "HARMONIZED",
        "CUSTOMS",
        "COMMERCIALINVOICE",
        "DUTIES",
    ]) {
        "/customs"
    } else if has(&["WEIGHT", "DIMENSION", "PACKAGE", "LENGTH", "GIRTH"]) {
        "/parcels"
    } else if has(&["SHIPDATE", "SHIPTIMESTAMP", "SHIPDATESTAMP"]) {
        "/ship_date"
    } else if has(&["LABEL", "IMAGETYPE"]) && op == Op::Ship {
        "/label_format"
    } else if has(&["REFERENCE"]) && op == Op::Ship {
        "/reference"
    } else {
        ""
    };
    pointer.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(body: &[u8]) -> crate::error::RawBody {
        crate::http::redact(body, REDACTED)
    }
    use serde_json::json;

    fn body(codes: &[&str]) -> Vec<u8> {
        let errors: Vec<_> = codes
            .iter()
            .map(|c| json!({"code": c, "message": format!("{c} message")}))
            .collect();
        serde_json::to_vec(&json!({"transactionId": "t", "errors": errors})).unwrap()
    }

    #[test]
    fn status_table() {
        assert!(matches!(
            classify(Op::Rate, 429, Some(Duration::from_secs(3)), b""),
            CarrierError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            classify(Op::Rate, 429, None, b"<html>"),
            CarrierError::RateLimited {
                retry_after: None,
                ..
            }
        ));
        assert!(matches!(
            classify(Op::Rate, 401, None, &body(&["NOT.AUTHORIZED.ERROR"])),
            CarrierError::Auth { code: Some(c), .. } if c == "NOT.AUTHORIZED.ERROR"
        ));
        assert!(matches!(
            classify(Op::Track, 403, None, &body(&["FORBIDDEN.ERROR"])),
            CarrierError::Auth { .. }
        ));
        assert!(matches!(
            classify(Op::Ship, 500, None, &body(&["INTERNAL.SERVER.ERROR"])),
            CarrierError::Transient {
                maybe_processed: true,
                ..
            }
        ));
        assert!(matches!(
            classify(Op::Rate, 503, None, b"<html>down</html>"),
            CarrierError::Transient {
                maybe_processed: false,
                ..
            }
        ));
        assert!(matches!(
            classify(Op::Rate, 404, None, &body(&["NOT.FOUND.ERROR"])),
            CarrierError::Protocol { status: 404, .. }
        ));
        assert!(matches!(
            classify(Op::Rate, 400, None, b"{\"errors\":"),
            CarrierError::Protocol { status: 400, .. }
        ));
    }

    #[test]
    fn account_codes_on_400_are_auth_not_rejections() {
        for code in [
            "ACCOUNT.NUMBER.MISMATCH",
            "ACCOUNTNUMBER.REGISTRATION.REQUIRED",
        ] {
            assert!(
                matches!(
                    classify(Op::Ship, 400, None, &body(&[code])),
                    CarrierError::Auth { .. }
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn a_400_saying_unavailable_is_transient_and_safe_to_retry() {
        let e = classify(Op::Ship, 400, None, &body(&["SERVICE.UNAVAILABLE.ERROR"]));
        assert!(e.is_retryable_purchase(), "{e:?}");
    }

    #[test]
    fn rejections_point_into_our_request() {
        let e = classify(
            Op::Ship,
            422,
            None,
            &body(&[
                "RECIPIENT.POSTALCODE.INVALID",
                "SHIPPER.POSTALSTATE.MISMATCH",
                "INVALID.INPUT.EXCEPTION",
            ]),
        );
        let CarrierError::Rejected { errors, .. } = e else {
            panic!("{e:?}")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/to/postal_code", "/from/postal_code", ""]);
        assert_eq!(
            errors[0].carrier_code.as_deref(),
            Some("RECIPIENT.POSTALCODE.INVALID")
        );
        assert_eq!(errors[0].message, "RECIPIENT.POSTALCODE.INVALID message");
    }

    #[test]
    fn field_words() {
        assert_eq!(field_for(Op::Ship, "SERVICE.TYPE.INVALID"), "/service");
        assert_eq!(field_for(Op::Rate, "PACKAGE.WEIGHT.EXCEEDED"), "/parcels");
        assert_eq!(
            field_for(Op::Ship, "COMMODITY.HARMONIZEDCODE.INVALID"),
            "/customs"
        );
        assert_eq!(
            field_for(Op::Track, "TRACKING.TRACKINGNUMBER.EMPTY"),
            "/tracking_numbers"
        );
        assert_eq!(
            field_for(Op::Void, "TRACKINGNUMBER.ENTERED.INVALID"),
            "/tracking_number"
        );
        assert_eq!(
            field_for(Op::Rate, "DESTINATION.COUNTRY.INVALID"),
            "/to/country"
        );
        assert_eq!(field_for(Op::Rate, "RATE.LOCATION.NOSERVICE"), "");
    }

    #[test]
    fn kept_bodies_are_redacted_and_truncated() {
        let b = br#"{"access_token" : "eyJsecret","token_type":"bearer","x":{"encodedLabel":"JVBERi0"}}"#;
        let kept = String::from_utf8(redact(b).0).unwrap();
        assert!(
            !kept.contains("eyJsecret") && !kept.contains("JVBERi0"),
            "{kept}"
        );
        assert!(kept.contains(r#""token_type":"bearer""#));
        let big = vec![b'a'; 100_000];
        assert_eq!(redact(&big).0.len(), 8192);
        // Truncation inside a value and non-UTF-8 never panic.
        let _ = redact(br#"{"access_token": "abc"#);
        let _ = redact(&[0xff, 0xfe, b'"']);
    }
}
