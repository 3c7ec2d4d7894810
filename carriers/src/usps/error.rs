//! USPS answers to `CarrierError`: the HTTP status first (the v3 APIs share one status table:
//! `api-examples/API-Error-Consolidated-List.csv`, sheet "General Errors"), then the
//! `ErrorMessage` body's `error.errors[].code` through the table below. Pure: never sees a
//! socket, never panics. A 401 reaching here has already been retried once with a fresh token.

use std::time::Duration;

use crate::error::{CarrierError, FieldError};
use crate::http::Dialect;

use super::wire;

/// Which call the answer belongs to: decides `maybe_processed` and where field errors point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Token,
    Payment,
    Rate,
    Ship,
    Void,
    Track,
    /// Addresses API (`GET /addresses/v3/address`).
    Address,
    /// Carrier Pickup schedule.
    Pickup,
    /// Carrier Pickup lookup and cancel.
    PickupCancel,
    /// SCAN form.
    Manifest,
}

impl Op {
    /// Whether USPS may have acted on a request whose answer was lost (a 5xx or a timeout):
    /// a label bought, a pickup booked, a SCAN form made.
    pub(super) fn changes(self) -> bool {
        matches!(self, Op::Ship | Op::Pickup | Op::Manifest)
    }
}

/// How the USPS APIs' answers read (see `crate::http::Dialect`).
pub(super) static DIALECT: Dialect<Op> = Dialect {
    carrier: super::CODE,
    redacted: REDACTED,
    classify,
};

/// Payment-authorization codes (sheet "Payment") that mean the account's payment identities
/// are wrong or unusable: fix the account, never retry. `100005` ("having trouble validating
/// your credit card, please try again later") is USPS's own trouble and is retried.
const PAYMENT_ACCOUNT_CODES: &[&str] = &[
    "100001", "100002", "100003", "100004", "100006", "100007", "160215", "160218", "160219",
    "160220", "160221", "160222", "160223", "160224", "160225", "160226", "160227", "160228",
    "160229", "160254", "160289", "160290", "160372", "160390",
];
const RETRY_LATER_CODES: &[&str] = &["100005"];

/// Tracking codes (sheet "Tracking") that mean "USPS has nothing (yet) for this number": the
/// answer is a not-found result, not a failed call.
pub(super) const TRACKING_NOT_FOUND: &[&str] = &[
    "150001", "150002", "150003", "150004", "150009", "150010", "150011",
];

/// The error for a non-2xx answer.
pub(super) fn classify(
    op: Op,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> CarrierError {
    let parsed: wire::ErrorMessage = serde_json::from_slice(body).unwrap_or_default();
    let error = parsed.error.unwrap_or_default();
    let first_code = error
        .errors
        .iter()
        .find_map(|e| e.code.clone())
        .or_else(|| error.code.clone())
        .or_else(|| crate::oauth::error_code(body));
    let codes: Vec<&str> = error
        .errors
        .iter()
        .filter_map(|e| e.code.as_deref())
        .collect();
    match status {
        429 => CarrierError::RateLimited {
            carrier: super::CODE,
            retry_after,
        },
        // 403: the app lacks the API product (scope) or the CRID is not enrolled.
        401 | 403 => CarrierError::Auth {
            carrier: super::CODE,
            code: first_code,
        },
        // Only a label purchase can have happened behind a 5xx.
        500..=599 => transient(op.changes(), status, first_code.as_deref()),
        _ if codes.iter().any(|c| RETRY_LATER_CODES.contains(c)) => {
            transient(false, status, first_code.as_deref())
        }
        _ if codes.iter().any(|c| PAYMENT_ACCOUNT_CODES.contains(c)) => CarrierError::Auth {
            carrier: super::CODE,
            code: codes
                .iter()
                .find(|c| PAYMENT_ACCOUNT_CODES.contains(c))
                .map(|c| c.to_string()),
        },
        // The payment token is the account's: whatever USPS refuses there is account setup.
        400..=499 if op == Op::Payment || op == Op::Token => CarrierError::Auth {
            carrier: super::CODE,
            code: first_code,
        },
        404 | 405 => protocol(
            status,
            body,
            "USPS does not serve this path (check the account's base URL)",
        ),
        400..=499 if !error.errors.is_empty() || error.message.is_some() => rejected(op, &error),
        _ => protocol(status, body, "an unexpected answer without a USPS error"),
    }
}

fn rejected(op: Op, error: &wire::ErrorBody) -> CarrierError {
    let mut errors: Vec<FieldError> = error
        .errors
        .iter()
        .map(|e| FieldError {
            field: match field_for(op, e.source.as_ref().and_then(|s| s.parameter.as_deref())) {
                f if f.is_empty() => field_for_code(op, e.code.as_deref()),
                f => f,
            },
            carrier_code: e.code.clone(),
            message: e
                .detail
                .clone()
                .or_else(|| e.title.clone())
                .unwrap_or_else(|| "refused by USPS".into()),
        })
        .collect();
    if errors.is_empty() {
        errors.push(FieldError {
            field: String::new(),
            carrier_code: error.code.clone(),
            message: error.message.clone().unwrap_or_default(),
        });
    }
    CarrierError::Rejected {
        carrier: super::CODE,
        errors,
    }
}

/// Where a Carrier Pickup or SCAN form error without a `parameter` points, by its code
/// (`API-Error-Consolidated-List.csv`, sheets "Carrier Pickup" and "Scan Form").
fn field_for_code(op: Op, code: Option<&str>) -> String {
    let Some(code) = code else {
        return String::new();
    };
    match (op, code) {
        (Op::Pickup, "020009" | "020010" | "020011" | "020016" | "020017" | "020018") => "/date",
        (Op::Pickup, "020001") => "/address",
        (Op::Pickup, "020004" | "020005" | "020012" | "020013" | "020019" | "020020") => {
            "/instructions"
        }
        (Op::Pickup, "020014" | "020021") => "/address/email",
        (Op::Pickup, "020006") => "/address/phone",
        (Op::PickupCancel, "020015") => "/confirmation",
        (Op::Manifest, "160037" | "160040" | "160160" | "160165" | "160397" | "160398") => {
            "/shipments"
        }
        (Op::Manifest, "160006") => "/ship_date",
        (Op::Manifest, "160161") => "/from/postal_code",
        _ => "",
    }
    .into()
}

/// USPS's `source.parameter` (a path in its request) as a pointer into ours.
fn field_for(op: Op, parameter: Option<&str>) -> String {
    if let Some(p) = parameter.map(str::trim).filter(|p| !p.is_empty()) {
        match (op, p) {
            (Op::Address, "streetAddress" | "secondaryAddress") => return "/street".into(),
            (Op::Address, "city") => return "/city".into(),
            (Op::Address, "state") => return "/state".into(),
            (Op::Address, "ZIPCode" | "ZIPPlus4") => return "/postal_code".into(),
            (Op::Address, "firm") => return "/company".into(),
            (Op::Pickup, "pickupDate") => return "/date".into(),
            (Op::Pickup, "estimatedWeight") => return "/total_weight".into(),
            (Op::Pickup, "packages") => return "/parcel_count".into(),
            (Op::Pickup, p) if p.starts_with("pickupLocation") => return "/instructions".into(),
            (Op::Pickup, p) if p.starts_with("pickupAddress") => {
                let tail = p.rsplit('.').next().unwrap_or("");
                return match tail {
                    "firstName" | "lastName" => "/address/name".into(),
                    "firm" => "/address/company".into(),
                    "email" | "contact" => "/address/email".into(),
                    "cellNumber" => "/address/phone".into(),
                    "streetAddress" | "secondaryAddress" => "/address/street".into(),
                    "city" => "/address/city".into(),
                    "state" => "/address/state".into(),
                    "ZIPCode" | "ZIPPlus4" => "/address/postal_code".into(),
                    _ => "/address".into(),
                };
            }
            (Op::PickupCancel, "confirmationNumber") => return "/confirmation".into(),
            (Op::Manifest, "mailingDate") => return "/ship_date".into(),
            (Op::Manifest, "entryFacilityZIPCode" | "entryFacilityZipCode") => {
                return "/from/postal_code".into();
            }
            (Op::Manifest, p) if p.starts_with("shipment") || p == "barcode" => {
                return "/shipments".into();
            }
            _ => {}
        }
    }
    let Some(p) = parameter.map(str::trim).filter(|p| !p.is_empty()) else {
        return if op == Op::Track || op == Op::Void {
            "/tracking_number".into()
        } else {
            String::new()
        };
    };
    let (head, tail) = p.split_once('.').unwrap_or((p, ""));
    let address = |side: &str| match tail {
        "ZIPCode" | "ZIPPlus4" | "postalCode" => format!("/{side}/postal_code"),
        "streetAddress" | "secondaryAddress" => format!("/{side}/street"),
        "city" => format!("/{side}/city"),
        "state" | "province" => format!("/{side}/state"),
        "phone" => format!("/{side}/phone"),
        "email" => format!("/{side}/email"),
        "firstName" | "lastName" | "firm" => format!("/{side}/name"),
        _ => format!("/{side}"),
    };
    match head {
        "toAddress" => address("to"),
        "fromAddress" | "senderAddress" | "returnAddress" => address("from"),
        "originZIPCode" => "/from/postal_code".into(),
        "destinationZIPCode" | "foreignPostalCode" => "/to/postal_code".into(),
        "destinationCountryCode" => "/to/country".into(),
        "customsForm" => "/customs".into(),
        "trackingNumber" => "/tracking_number".into(),
        "packageDescription" => match tail {
            "mailClass" | "rateIndicator" | "processingCategory" => "/service".into(),
            "mailingDate" => "/ship_date".into(),
            "weight" => "/parcels/0/weight".into(),
            "length" | "width" | "height" | "girth" => "/parcels/0/dimensions".into(),
            "extraServices" | "physicalSignatureRequired" => "/options".into(),
            t if t.starts_with("packageOptions.packageValue") => "/options/declared_value".into(),
            _ => "/parcels/0".into(),
        },
        _ => String::new(),
    }
}

fn transient(maybe_processed: bool, status: u16, code: Option<&str>) -> CarrierError {
    CarrierError::Transient {
        carrier: super::CODE,
        message: format!(
            "HTTP {status}{}",
            code.map(|c| format!(" {c}")).unwrap_or_default()
        ),
        maybe_processed,
    }
}

/// A response we could not read, with its body kept redacted and truncated.
pub(super) fn protocol(status: u16, body: &[u8], message: impl Into<String>) -> CarrierError {
    DIALECT.protocol(status, body, message)
}

/// Keys whose string values never stay in a kept body: tokens and label/receipt images.
pub(super) const REDACTED: &[&str] = &[
    "\"access_token\"",
    "\"paymentAuthorizationToken\"",
    "\"labelImage\"",
    "\"receiptImage\"",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(body: &[u8]) -> crate::error::RawBody {
        crate::http::redact(body, REDACTED)
    }

    #[test]
    fn redaction_blanks_tokens_and_label_images() {
        let body = br#"{"access_token": "SECRET", "paymentAuthorizationToken":"PAY", "labelImage":"JVBER"}"#;
        let shown = String::from_utf8(redact(body).0).unwrap();
        assert!(
            !shown.contains("SECRET") && !shown.contains("PAY\"") && !shown.contains("JVBER"),
            "{shown}"
        );
    }

    #[test]
    fn usps_parameters_point_into_our_request() {
        assert_eq!(
            field_for(Op::Ship, Some("toAddress.ZIPCode")),
            "/to/postal_code"
        );
        assert_eq!(
            field_for(Op::Ship, Some("fromAddress.state")),
            "/from/state"
        );
        assert_eq!(
            field_for(Op::Ship, Some("packageDescription.mailingDate")),
            "/ship_date"
        );
        assert_eq!(
            field_for(Op::Rate, Some("originZIPCode")),
            "/from/postal_code"
        );
        assert_eq!(field_for(Op::Track, None), "/tracking_number");
        assert_eq!(
            field_for(Op::Rate, Some("length, height, width ,mailClass")),
            ""
        );
    }
}
