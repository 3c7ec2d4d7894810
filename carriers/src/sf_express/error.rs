//! SF's two-layer answers to `CarrierError`. Pure: status, Retry-After and body in.
//!
//! Layer 1, the platform (`apiResultCode`): `A1000` means the platform checked the call and
//! the service answered; any other `A…` code is the platform refusing it (digest, permission,
//! flow control …) and says nothing about the business. Layer 2, the service
//! (`apiResultData`, a JSON *string*): `success`, `errorCode`, `errorMsg`, `msgData`. A
//! business refusal (address outside the service area, duplicate `orderId`) is fix-input.
//! HTTP itself is 200 for both layers; another status is the gateway's (5xx, 429).

use std::time::Duration;

use serde_json::Value;

use crate::error::{CarrierError, FieldError};
use crate::http::{Answer, Dialect};

use super::wire;

/// Which call the answer belongs to: decides `maybe_processed` and where a field points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Rate,
    Filter,
    Ship,
    SubNumbers,
    Print,
    Void,
    Track,
    Billed,
}

/// How SF's answers read (see `crate::http::Dialect`).
pub(super) static DIALECT: Dialect<Op> = Dialect {
    carrier: super::CODE,
    redacted: REDACTED,
    classify,
};

/// Keys whose string values never stay in a kept body: the file token of a cloud-print
/// answer, and SF's echo of our `msgDigest` should a gateway page repeat the form.
pub(super) const REDACTED: &[&str] = &["\"token\"", "\"msgDigest\""];

/// The platform's `apiResultCode`s other than `A1000` (SF's error table as transcribed in
/// SOURCES.md) and what each means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Platform {
    /// Credentials, permission or IP: fix the account.
    Auth,
    /// Flow control: wait and retry.
    Throttle,
    /// The platform or the service behind it failed: retry.
    Server,
    /// Our call was malformed: a bug here, not the shipper's input.
    Malformed,
}

pub(super) static PLATFORM_CODES: &[(&str, Platform, &str)] = &[
    (
        "A1001",
        Platform::Malformed,
        "a required public parameter is empty",
    ),
    (
        "A1002",
        Platform::Server,
        "the request has expired (timestamp)",
    ),
    ("A1003", Platform::Auth, "the calling IP is not allowed"),
    ("A1004", Platform::Auth, "no permission for this service"),
    ("A1005", Platform::Throttle, "flow control: too many calls"),
    (
        "A1006",
        Platform::Auth,
        "the digital signature (msgDigest) is invalid",
    ),
    ("A1007", Platform::Server, "duplicate request"),
    (
        "A1008",
        Platform::Malformed,
        "the message could not be decrypted",
    ),
    (
        "A1009",
        Platform::Server,
        "the target service failed or is unreachable",
    ),
    (
        "A1010",
        Platform::Auth,
        "the account is still in sandbox test status",
    ),
    ("A1099", Platform::Server, "system error"),
];

/// Business `errorCode`s we can place in our request (SOURCES.md says where each comes
/// from); any other is a rejection naming no field, its code and SF's words kept. SF's full
/// business code table is on its portal, which we could not reach: only codes confirmed in
/// public material are placed.
pub(super) static BUSINESS_CODES: &[(&str, &str)] = &[
    // 重复下单: the orderId was used before (SF's SDK guide: orderId must not repeat).
    ("8016", "/reference"),
    // Our own code for a service-area refusal (filterResult 3), see `ship::check_filter`.
    (OUT_OF_AREA, "/to"),
];

/// The code we give a service-area refusal, which SF reports as data, not as an error.
pub(super) const OUT_OF_AREA: &str = "FILTER_3";

/// Duplicate `orderId`.
pub(super) const DUPLICATE_ORDER: &str = "8016";

/// The error for a non-2xx HTTP answer (the gateway in front of the platform).
pub(super) fn classify(
    op: Op,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> CarrierError {
    match status {
        429 => CarrierError::RateLimited {
            carrier: super::CODE,
            retry_after,
        },
        401 | 403 => CarrierError::Auth {
            carrier: super::CODE,
            code: Some(status.to_string()),
        },
        500..=599 => CarrierError::Transient {
            carrier: super::CODE,
            message: format!("HTTP {status}"),
            maybe_processed: buys(op),
        },
        404 => DIALECT.protocol(
            status,
            body,
            "SF does not serve this path (check the account's base URL: /std/service is added)",
        ),
        _ => DIALECT.protocol(status, body, format!("unexpected HTTP {status}")),
    }
}

fn buys(op: Op) -> bool {
    matches!(op, Op::Ship | Op::SubNumbers)
}

/// The platform's error for a code other than `A1000`.
pub(super) fn platform(op: Op, code: &str, message: &str, body: &[u8]) -> CarrierError {
    let kind = PLATFORM_CODES
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, k, _)| *k);
    match kind {
        Some(Platform::Auth) => CarrierError::Auth {
            carrier: super::CODE,
            code: Some(code.to_string()),
        },
        Some(Platform::Throttle) => CarrierError::RateLimited {
            carrier: super::CODE,
            retry_after: None,
        },
        // A1002/A1007/A1009/A1099 and any code we do not know: the platform did not serve
        // the call as far as we can tell, but after a timeout-like failure a purchase may
        // have gone through.
        Some(Platform::Server) | None => CarrierError::Transient {
            carrier: super::CODE,
            message: format!("{code}: {message}"),
            maybe_processed: buys(op) && code != "A1002",
        },
        Some(Platform::Malformed) => DIALECT.protocol(
            200,
            body,
            format!("platform refused the call: {code}: {message}"),
        ),
    }
}

/// A business refusal (`success: false`).
pub(super) fn business(op: Op, code: Option<&str>, message: &str) -> CarrierError {
    let field = match (op, code) {
        (Op::Track | Op::Billed, _) => "/tracking_numbers".to_string(),
        (Op::Void, _) => String::new(),
        (_, Some(c)) => BUSINESS_CODES
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, f)| f.to_string())
            .unwrap_or_default(),
        (_, None) => String::new(),
    };
    CarrierError::Rejected {
        carrier: super::CODE,
        errors: vec![FieldError {
            field,
            carrier_code: code.map(str::to_string),
            message: if message.is_empty() {
                "SF refused the request".into()
            } else {
                message.to_string()
            },
        }],
    }
}

/// Opens both layers of an answer: the service's `msgData` (cloud print: `obj`) on success,
/// else the error.
pub(super) fn open(op: Op, a: &Answer) -> Result<Value, CarrierError> {
    let env: wire::ApiResponse = DIALECT.decode(op, a)?;
    let code = env.api_result_code.as_deref().unwrap_or("");
    if code != "A1000" {
        if code.is_empty() {
            return Err(DIALECT.protocol(a.status, &a.body, "no apiResultCode"));
        }
        return Err(platform(
            op,
            code,
            env.api_error_msg.as_deref().unwrap_or(""),
            &a.body,
        ));
    }
    let Some(data) = env.api_result_data.filter(|d| !d.trim().is_empty()) else {
        return Err(DIALECT.protocol(a.status, &a.body, "A1000 without apiResultData"));
    };
    let result: wire::ResultData = serde_json::from_str(&data)
        .map_err(|e| DIALECT.protocol(a.status, &a.body, format!("apiResultData: {e}")))?;
    if result.success != Some(true) {
        return Err(business(
            op,
            result.error_code.as_deref(),
            result.error_msg.as_deref().unwrap_or(""),
        ));
    }
    // Cloud print answers in `obj`, every other service in `msgData`.
    Ok(result
        .msg_data
        .filter(|v| !v.is_null())
        .or(result.obj)
        .unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, body: Value) -> Answer {
        Answer {
            status,
            retry_after: None,
            body: serde_json::to_vec(&body).unwrap(),
        }
    }

    fn envelope(code: &str, data: Option<Value>) -> Answer {
        answer(
            200,
            json!({"apiResultCode": code, "apiErrorMsg": if code == "A1000" {""} else {"refused"},
                "apiResponseID": "0001", "apiResultData": data.map(|d| d.to_string())}),
        )
    }

    #[test]
    fn platform_codes_say_what_to_do() {
        for (code, want) in [
            ("A1006", "auth"),
            ("A1004", "auth"),
            ("A1003", "auth"),
            ("A1005", "rate_limited"),
            ("A1009", "transient"),
            ("A1099", "transient"),
            ("A1002", "transient"),
            ("A1001", "protocol"),
            ("A1777", "transient"),
        ] {
            let e = open(Op::Track, &envelope(code, None)).unwrap_err();
            assert_eq!(e.kind(), want, "{code}");
        }
        assert!(matches!(
            open(Op::Ship, &envelope("A1009", None)).unwrap_err(),
            CarrierError::Transient {
                maybe_processed: true,
                ..
            }
        ));
        assert!(matches!(
            open(Op::Ship, &envelope("A1002", None)).unwrap_err(),
            CarrierError::Transient {
                maybe_processed: false,
                ..
            }
        ));
        assert!(matches!(
            open(Op::Track, &envelope("A1006", None)).unwrap_err(),
            CarrierError::Auth { code: Some(c), .. } if c == "A1006"
        ));
    }

    #[test]
    fn business_refusals_name_the_field() {
        let a = envelope(
            "A1000",
            Some(
                json!({"success": false, "errorCode": "8016", "errorMsg": "重复下单", "msgData": null}),
            ),
        );
        let CarrierError::Rejected { errors, .. } = open(Op::Ship, &a).unwrap_err() else {
            panic!()
        };
        assert_eq!(errors[0].field, "/reference");
        assert_eq!(errors[0].carrier_code.as_deref(), Some("8016"));
        assert_eq!(errors[0].message, "重复下单");
        let a = envelope(
            "A1000",
            Some(json!({"success": false, "errorCode": "9999", "errorMsg": "其他"})),
        );
        let CarrierError::Rejected { errors, .. } = open(Op::Ship, &a).unwrap_err() else {
            panic!()
        };
        assert_eq!(errors[0].field, "");
        let a = envelope(
            "A1000",
            Some(json!({"success": false, "errorCode": "8152"})),
        );
        let CarrierError::Rejected { errors, .. } = open(Op::Track, &a).unwrap_err() else {
            panic!()
        };
        assert_eq!(errors[0].field, "/tracking_numbers");
    }

    #[test]
    fn success_opens_msg_data_and_garbage_is_protocol() {
        let a = envelope(
            "A1000",
            Some(
                json!({"success": true, "errorCode": "S0000", "errorMsg": null, "msgData": {"x": 1}}),
            ),
        );
        assert_eq!(open(Op::Track, &a).unwrap(), json!({"x": 1}));
        let a = answer(
            200,
            json!({"apiResultCode": "A1000", "apiResultData": "{not json"}),
        );
        assert_eq!(open(Op::Track, &a).unwrap_err().kind(), "protocol");
        let a = answer(200, json!({"apiResultCode": "A1000"}));
        assert_eq!(open(Op::Track, &a).unwrap_err().kind(), "protocol");
        let a = Answer {
            status: 200,
            retry_after: None,
            body: b"<html>".to_vec(),
        };
        assert_eq!(open(Op::Track, &a).unwrap_err().kind(), "protocol");
    }

    #[test]
    fn gateway_statuses() {
        assert_eq!(classify(Op::Track, 429, None, b"").kind(), "rate_limited");
        assert!(matches!(
            classify(Op::Ship, 502, None, b""),
            CarrierError::Transient {
                maybe_processed: true,
                ..
            }
        ));
        assert!(matches!(
            classify(Op::Track, 503, None, b""),
            CarrierError::Transient {
                maybe_processed: false,
                ..
            }
        ));
        assert_eq!(classify(Op::Track, 404, None, b"").kind(), "protocol");
        assert_eq!(classify(Op::Track, 403, None, b"").kind(), "auth");
    }
}
