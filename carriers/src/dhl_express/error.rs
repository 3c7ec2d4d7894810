//! MyDHL (and Unified Tracking) answers to `CarrierError`: the HTTP status first, then DHL's
//! numbered `detail` codes through a table, then DHL's JSON pointers (`#/customerDetails/
//! receiverDetails/postalAddress/postalCode: …`) translated into pointers into our request.
//! Pure: status, Retry-After and body in; never panics.
//!
//! The error body is `supermodelIoLogisticsExpressErrorResponse`: `{instance, detail, title,
//! message, status, additionalDetails[]}`; `detail` reads `"<code>: <text>"` when DHL numbers
//! the problem (`7008: The requested Special Service Code …`).

use std::time::Duration;

use crate::error::{CarrierError, FieldError};
use crate::http::Dialect;

use super::wire;

/// Which call the answer belongs to: decides `maybe_processed` and the meaning of 404.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Rate,
    Ship,
    Track,
    /// `GET /address-validate`.
    Address,
    /// `POST /pickups`.
    Pickup,
    /// `DELETE /pickups/{dispatchConfirmationNumber}`.
    CancelPickup,
}

impl Op {
    /// Whether a call whose answer was lost may have bought or booked something.
    pub(super) fn books(self) -> bool {
        matches!(self, Op::Ship | Op::Pickup)
    }
}

/// How MyDHL's answers read (see `crate::http::Dialect`).
pub(super) static DIALECT: Dialect<Op> = Dialect {
    carrier: super::CODE,
    redacted: REDACTED,
    classify,
};

/// What a DHL detail means beyond "the input was wrong".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Account or entitlement: fix the account, never retry.
    Auth,
    /// The data, at this field of our request.
    Field(&'static str),
}

/// Numbered details from the error examples of `mydhl-express-api-3.1.1.yaml`, matched on the
/// code before the colon; `ACCOUNT_TEXT` has no number in DHL's examples and is matched on its
/// words.
static CODES: &[(&str, Action)] = &[
    // "Request Identifier is not allowed for your username" (GET /identifiers).
    ("3501", Action::Auth),
    // "Not authorized to use this service" (403 on /reference-data).
    ("5032", Action::Auth),
    // "Account not allowed for this service" (POST /pickups).
    ("8003", Action::Auth),
    // "The Shipper Account is invalid" (POST /early-shipment-screening).
    ("8007", Action::Auth),
    // "ShipTimeStamp is not well formatted" (POST /shipments).
    ("998", Action::Field("/ship_date")),
    // "The requested Special Service Code … is not available between this origin and
    // destination" (POST /shipments): the product/service combination we asked for.
    ("7008", Action::Field("/service")),
];

/// "The account number is not found or invalid" (400 on /rates, /products, /landed-cost).
const ACCOUNT_TEXT: &str = "account number is not found or invalid";

/// DHL's leading `NNNN:` code of a detail.
fn detail_code(detail: &str) -> Option<&str> {
    let (code, _) = detail.split_once(':')?;
    let code = code.trim();
    (!code.is_empty() && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// The error for a non-2xx answer.
pub(super) fn classify(
    op: Op,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> CarrierError {
    let parsed: Option<wire::ErrorResponse> = serde_json::from_slice(body).ok();
    let detail = parsed
        .as_ref()
        .and_then(|p| p.detail.clone().or(p.message.clone()).or(p.title.clone()));
    let code = detail.as_deref().and_then(detail_code).map(str::to_string);
    match status {
        429 => CarrierError::RateLimited {
            carrier: super::CODE,
            retry_after,
        },
        401 | 403 => CarrierError::Auth {
            carrier: super::CODE,
            code: code.or_else(|| Some(status.to_string())),
        },
        // A 5xx after we sent a shipment may have created it ("999: Process failure occurred"
        // says nothing about whether the AWB was allocated).
        500..=599 => CarrierError::Transient {
            carrier: super::CODE,
            message: format!(
                "HTTP {status}{}",
                detail.map(|d| format!(": {d}")).unwrap_or_default()
            ),
            maybe_processed: op.books(),
        },
        // `DELETE /pickups/{…}` 404 "Requested Pickup was not found".
        404 if op == Op::CancelPickup => {
            let message = detail.unwrap_or_else(|| "DHL does not know this pickup".into());
            CarrierError::rejected(super::CODE, "/confirmation", code.as_deref(), message)
        }
        404 => protocol(
            status,
            body,
            "MyDHL does not serve this path (check the account's base URL)",
        ),
        400 | 422 => match parsed {
            Some(p) if detail.is_some() => rejected(op, &p),
            _ => protocol(status, body, "an error status without a DHL error body"),
        },
        _ => protocol(status, body, format!("unexpected HTTP {status}")),
    }
}

fn rejected(op: Op, p: &wire::ErrorResponse) -> CarrierError {
    let detail = p
        .detail
        .clone()
        .or(p.message.clone())
        .or(p.title.clone())
        .unwrap_or_default();
    let code = detail_code(&detail).map(str::to_string);
    let action = code
        .as_deref()
        .and_then(|c| CODES.iter().find(|(k, _)| *k == c).map(|(_, a)| *a));
    if action == Some(Action::Auth) || detail.to_ascii_lowercase().contains(ACCOUNT_TEXT) {
        return CarrierError::Auth {
            carrier: super::CODE,
            code: code.or_else(|| Some("ACCOUNT".into())),
        };
    }
    // "Multiple problems found, see Additional Details": one field error per detail line.
    let lines: Vec<&str> = if p.additional_details.is_empty() {
        vec![detail.as_str()]
    } else {
        p.additional_details.iter().map(String::as_str).collect()
    };
    let errors = lines
        .into_iter()
        .map(|line| FieldError {
            field: match action {
                // An unavailable special service is the option that asked for it.
                Some(Action::Field(f)) => option_field(line).unwrap_or(f).to_string(),
                _ => field_for(op, line),
            },
            carrier_code: detail_code(line).map(str::to_string).or(code.clone()),
            message: line.trim().to_string(),
        })
        .collect();
    CarrierError::Rejected {
        carrier: super::CODE,
        errors,
    }
}

/// The option field of the first quoted value-added service code in a `7008` detail
/// (`… #/valueAddedServices/0/serviceCode 'AA' is not available …`).
fn option_field(line: &str) -> Option<&'static str> {
    line.split('\'')
        .skip(1)
        .step_by(2)
        .find_map(|c| super::options::pointer_of(c.trim()))
}

/// `GET /address-validate` names a bad query parameter in words ("Parameters not having
/// correct format: cityName (maxLength=45)").
fn address_param(text: &str) -> String {
    [
        ("cityName", "/city"),
        ("postalCode", "/postal_code"),
        ("countryCode", "/country"),
        ("countyName", "/district"),
    ]
    .iter()
    .find(|(p, _)| text.contains(p))
    .map_or_else(String::new, |(_, f)| f.to_string())
}

/// Our request's pointer for the first DHL JSON pointer (`#/…`) in `text`; empty when DHL
/// names no field we can place. Party and attribute words map one to one; package indexes
/// carry over (`#/content/packages/1/weight` → `/parcels/1/weight`).
pub(super) fn field_for(op: Op, text: &str) -> String {
    if op == Op::Track {
        return "/tracking_numbers".into();
    }
    if op == Op::Address {
        return address_param(text);
    }
    if op == Op::CancelPickup {
        return "/confirmation".into();
    }
    let Some(at) = text.find("#/") else {
        return String::new();
    };
    let pointer: &str = text[at + 1..]
        .split(|c: char| c == ':' || c.is_whitespace() || c == '\'')
        .next()
        .unwrap_or_default();
    let parts: Vec<&str> = pointer.split('/').filter(|s| !s.is_empty()).collect();
    let has = |w: &str| parts.contains(&w);
    let party = if has("shipperDetails") {
        Some("/from")
    } else if has("receiverDetails") {
        Some("/to")
    } else {
        None
    };
    let attribute = parts.iter().rev().find_map(|p| match *p {
        "postalCode" => Some("/postal_code"),
        "cityName" => Some("/city"),
        "countryCode" => Some("/country"),
        "provinceCode" | "provinceName" => Some("/state"),
        "addressLine1" | "addressLine2" | "addressLine3" => Some("/street"),
        "phone" | "mobilePhone" => Some("/phone"),
        "email" => Some("/email"),
        "fullName" => Some("/name"),
        "companyName" => Some("/company"),
        _ => None,
    });
    if let Some(p) = party {
        // A pickup has one party, the place the courier calls at.
        let p = if op == Op::Pickup { "/address" } else { p };
        return format!("{p}{}", attribute.unwrap_or(""));
    }
    if op == Op::Pickup {
        if has("plannedPickupDateAndTime") {
            return "/date".into();
        }
        if has("closeTime") {
            return "/close_time".into();
        }
        if has("shipmentDetails") {
            return "/shipments".into();
        }
        if has("specialInstructions") {
            return "/instructions".into();
        }
    }
    if let Some(i) = parts.iter().position(|p| *p == "packages") {
        let mut out = "/parcels".to_string();
        if let Some(n) = parts.get(i + 1).filter(|n| n.parse::<u32>().is_ok()) {
            out.push('/');
            out.push_str(n);
            match parts.get(i + 2).copied() {
                Some("weight") => out.push_str("/weight"),
                Some("dimensions") => out.push_str("/dimensions"),
                _ => {}
            }
        }
        return out;
    }
    if has("exportDeclaration") || has("incoterm") || has("declaredValue") {
        return "/customs".into();
    }
    if has("productCode") || has("valueAddedServices") {
        return "/service".into();
    }
    if has("plannedShippingDateAndTime") {
        return "/ship_date".into();
    }
    if has("customerReferences") && op == Op::Ship {
        return "/reference".into();
    }
    if has("outputImageProperties") && op == Op::Ship {
        return "/label_format".into();
    }
    String::new()
}

/// A response we could not read, its body kept redacted and truncated.
pub(super) fn protocol(status: u16, body: &[u8], message: impl Into<String>) -> CarrierError {
    DIALECT.protocol(status, body, message)
}

/// Keys whose string values never stay in a kept body: `content` holds base64 documents.
pub(super) const REDACTED: &[&str] = &["\"content\""];

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(body: &[u8]) -> crate::error::RawBody {
        crate::http::redact(body, REDACTED)
    }
    use serde_json::json;

    fn body(detail: &str, additional: &[&str]) -> Vec<u8> {
        serde_json::to_vec(
            &json!({"instance": "/expressapi/shipments", "detail": detail,
            "title": "Bad request", "message": "Bad request", "status": "400",
            "additionalDetails": additional}),
        )
        .unwrap()
    }

    fn fields(e: &CarrierError) -> Vec<&str> {
        match e {
            CarrierError::Rejected { errors, .. } => {
                errors.iter().map(|f| f.field.as_str()).collect()
            }
            other => panic!("expected rejected, got {other:?}"),
        }
    }

    #[test]
    fn status_table() {
        assert!(matches!(
            classify(Op::Rate, 429, Some(Duration::from_secs(2)), b""),
            CarrierError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(2)
        ));
        assert!(matches!(
            classify(Op::Rate, 401, None, b"{}"),
            CarrierError::Auth { .. }
        ));
        assert!(matches!(
            classify(Op::Rate, 403, None, &body("5032: Not authorized to use  this service.", &[])),
            CarrierError::Auth { code: Some(c), .. } if c == "5032"
        ));
        assert!(matches!(
            classify(
                Op::Ship,
                500,
                None,
                &body("999: Process failure occurred.", &[])
            ),
            CarrierError::Transient {
                maybe_processed: true,
                ..
            }
        ));
        assert!(matches!(
            classify(Op::Rate, 503, None, b"<html>"),
            CarrierError::Transient {
                maybe_processed: false,
                ..
            }
        ));
        assert!(matches!(
            classify(Op::Rate, 404, None, b""),
            CarrierError::Protocol { status: 404, .. }
        ));
        assert!(matches!(
            classify(Op::Rate, 400, None, b"<html>"),
            CarrierError::Protocol { status: 400, .. }
        ));
        assert!(matches!(
            classify(Op::Rate, 302, None, b""),
            CarrierError::Protocol { .. }
        ));
    }

    #[test]
    fn an_unknown_account_is_auth_not_a_rejection() {
        let b = body(
            "The account number is not found or invalid. Please check the account number and retry.",
            &[],
        );
        assert!(matches!(
            classify(Op::Rate, 400, None, &b),
            CarrierError::Auth { .. }
        ));
        let b = body("8007: The Shipper Account is invalid.", &[]);
        assert!(matches!(
            classify(Op::Ship, 400, None, &b),
            CarrierError::Auth { code: Some(c), .. } if c == "8007"
        ));
    }

    #[test]
    fn validation_details_point_into_our_request() {
        let b = body(
            "Multiple problems found, see Additional Details",
            &[
                "#/customerDetails/receiverDetails/postalAddress/postalCode: expected maxLength: 12, actual: 14",
                "#/customerDetails/shipperDetails/contactInformation/fullName: expected minLength: 1, actual: 0",
                "#/content/packages/1/weight: 0.0 is not higher or equal to 0.001",
                "#/content/exportDeclaration/lineItems/0: required key [weight] not found",
                "something DHL says without a pointer",
            ],
        );
        let e = classify(Op::Ship, 422, None, &b);
        assert_eq!(
            fields(&e),
            [
                "/to/postal_code",
                "/from/name",
                "/parcels/1/weight",
                "/customs",
                ""
            ]
        );
    }

    #[test]
    fn numbered_details_keep_their_code_and_known_codes_name_the_field() {
        let b = body(
            "7008: The requested Special Service Code  #/valueAddedServices/0/serviceCode 'xx' is not available between this origin and destination.",
            &[],
        );
        let CarrierError::Rejected { errors, .. } = classify(Op::Ship, 400, None, &b) else {
            panic!()
        };
        assert_eq!(errors[0].field, "/service");
        assert_eq!(errors[0].carrier_code.as_deref(), Some("7008"));
        let b = body("998: ShipTimeStamp is not well formatted.", &[]);
        assert_eq!(fields(&classify(Op::Ship, 400, None, &b)), ["/ship_date"]);
    }

    #[test]
    fn kept_bodies_are_redacted_and_truncated() {
        let b = br#"{"documents":[{"imageFormat":"PDF","content" : "JVBERi0xLjQ","typeCode":"label"}]}"#;
        let kept = String::from_utf8(redact(b).0).unwrap();
        assert!(!kept.contains("JVBERi0xLjQ"), "{kept}");
        assert!(kept.contains("\"typeCode\":\"label\""));
        assert_eq!(redact(&vec![b'a'; 100_000]).0.len(), 8192);
        let _ = redact(br#"{"content": "abc"#);
        let _ = redact(&[0xff, b'"']);
    }
}
