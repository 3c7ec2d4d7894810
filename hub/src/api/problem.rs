//! RFC 9457 problem details. Every error the API returns is `application/problem+json` with a
//! stable `type` slug, and field-level `errors` (`pointer`, `detail`, `code`): JSON pointers into
//! the request body, or `/query/<name>`, `/path/<name>`, `/headers/<name>` for the other parts
//! of a request (see `extract`). The same three fields describe a carrier's field errors, in a
//! problem and in a rate answer's `errors[]`.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shiphub_carriers::CarrierError;

use crate::error::{Error, FieldProblem};

/// RFC 9457 problem document.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// Whether the same request may succeed later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    /// Seconds to wait before retrying, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The carrier that answered, for carrier errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
}

/// What a client told the database is unavailable waits before retrying: about one failover
/// or restart probe of the pool.
const DB_RETRY: Duration = Duration::from_secs(2);

impl Error {
    pub fn problem(&self) -> (StatusCode, Problem, Option<Duration>) {
        let p = |status: StatusCode, slug: &str, title: &str, detail: Option<String>| Problem {
            type_: format!("https://shiphub.dev/problems/{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail,
            errors: vec![],
            retryable: None,
            retry_after: None,
            carrier: None,
        };
        match self {
            Error::Malformed(m) => (StatusCode::BAD_REQUEST, p(StatusCode::BAD_REQUEST, "malformed-request", "Malformed request body", Some(m.clone())), None),
            Error::Validation(errors) => {
                let mut pr = p(StatusCode::UNPROCESSABLE_ENTITY, "validation", "The request is not valid", None);
                pr.detail = errors.first().map(|e| match errors.len() {
                    1 => format!("{}: {}", e.pointer, e.detail),
                    n => format!("{n} problems; the first: {}: {}", e.pointer, e.detail),
                });
                pr.errors = errors.clone();
                (StatusCode::UNPROCESSABLE_ENTITY, pr, None)
            }
            Error::Unauthorized(why) => (StatusCode::UNAUTHORIZED, p(StatusCode::UNAUTHORIZED, "unauthorized", "Missing or invalid API key", Some(why.to_string())), None),
            Error::Forbidden(why) => (StatusCode::FORBIDDEN, p(StatusCode::FORBIDDEN, "forbidden", "Forbidden", Some(why.clone())), None),
            Error::LoginThrottled(secs) => {
                let mut pr = p(StatusCode::TOO_MANY_REQUESTS, "login-throttled", "Too many failed logins",
                  Some(format!("too many failed logins for this e-mail; try again in {secs} s")));
                pr.retryable = Some(true);
                pr.retry_after = Some(*secs);
                (StatusCode::TOO_MANY_REQUESTS, pr, Some(Duration::from_secs(*secs)))
            }
            Error::NotFound(what) => (StatusCode::NOT_FOUND, p(StatusCode::NOT_FOUND, "not-found", "Not found", Some(format!("no such {what}"))), None),
            Error::Conflict(m) => (StatusCode::CONFLICT, p(StatusCode::CONFLICT, "conflict", "Conflict", Some(m.clone())), None),
            Error::IdempotencyMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                p(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused", "Idempotency-Key reused with a different request",
                  Some("this Idempotency-Key was first used with a different body; use a new key for a new request".into())),
                None,
            ),
            Error::IdempotencyKeyElsewhere(scope) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                p(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused", "Idempotency-Key reused for another request",
                  Some(format!("this Idempotency-Key was used for {scope}; use a new key for a new request"))),
                None,
            ),
            Error::IdempotencyInProgress => {
                let mut pr = p(StatusCode::CONFLICT, "idempotency-in-progress", "A request with this Idempotency-Key is still in progress", None);
                pr.retryable = Some(true);
                pr.retry_after = Some(1);
                (StatusCode::CONFLICT, pr, Some(Duration::from_secs(1)))
            }
            Error::TooLarge(limit) => (StatusCode::PAYLOAD_TOO_LARGE, too_large(*limit), None),
            Error::BodyTimeout => {
                let mut pr = p(StatusCode::REQUEST_TIMEOUT, "body-timeout", "The request body stopped arriving",
                  Some("no part of the body arrived within the body timeout; nothing was done: send the request again".into()));
                pr.retryable = Some(true);
                (StatusCode::REQUEST_TIMEOUT, pr, None)
            }
            Error::UnsupportedMedia => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                p(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Expected Content-Type: application/json",
                  Some("send the body as `Content-Type: application/json` (optionally `; charset=utf-8`; JSON has no other charset)".into())),
                None,
            ),
            Error::Carrier(e) => carrier_problem(e),
            Error::Throttled { account, throttled } => {
                let mut pr = p(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "account-throttled",
                    "The carrier account's request quota is spent",
                    Some(format!(
                        "carrier account {account}: {throttled}; nothing was sent to the carrier, so the same request (and Idempotency-Key) may be sent again after Retry-After"
                    )),
                );
                pr.retryable = Some(true);
                pr.retry_after = Some(whole_seconds(throttled.retry_after));
                pr.carrier = Some(throttled.carrier.to_string());
                (StatusCode::SERVICE_UNAVAILABLE, pr, Some(throttled.retry_after))
            }
            Error::PurchaseUnrecorded(tracking) => {
                let mut pr = p(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "purchase-unrecorded",
                    "The label was bought but could not be recorded",
                    Some(format!("tracking number {tracking}; do not retry with a new Idempotency-Key: the operator has been alerted")),
                );
                pr.retryable = Some(false);
                (StatusCode::INTERNAL_SERVER_ERROR, pr, None)
            }
            Error::PurchaseOutcomeUnknown(detail) => {
                let mut pr = p(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "purchase-outcome-unknown",
                    "The purchase reached the carrier but the hub stopped before its answer",
                    Some(detail.clone()),
                );
                pr.retryable = Some(false);
                (StatusCode::INTERNAL_SERVER_ERROR, pr, None)
            }
            Error::CarrierOutcomeUnknown(detail) => {
                let mut pr = p(
                    StatusCode::CONFLICT,
                    "carrier-outcome-unknown",
                    "The request reached the carrier but the hub stopped before its answer",
                    Some(detail.clone()),
                );
                pr.retryable = Some(false);
                (StatusCode::CONFLICT, pr, None)
            }
            Error::Store(e) if e.is_unavailable() => {
                let mut pr = p(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database-unavailable",
                    "The database cannot be reached",
                    Some("the hub's database is down, restarting or failing over; nothing was changed unless a purchase says otherwise: send the same request (and Idempotency-Key) again after Retry-After".into()),
                );
                pr.retryable = Some(true);
                pr.retry_after = Some(DB_RETRY.as_secs());
                (StatusCode::SERVICE_UNAVAILABLE, pr, Some(DB_RETRY))
            }
            Error::PurchaseKept(tracking) => {
                let mut pr = p(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database-unavailable",
                    "The label was bought; its record waits for the database",
                    Some(format!("the carrier sold tracking number {tracking} while the hub's database went away; the sale is kept on this Idempotency-Key and recorded once the database is back: retry with the same key (a new key would buy again)")),
                );
                pr.retryable = Some(true);
                pr.retry_after = Some(DB_RETRY.as_secs());
                (StatusCode::SERVICE_UNAVAILABLE, pr, Some(DB_RETRY))
            }
            Error::Store(_) | Error::Internal(_) => {
                let mut pr = p(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", Some("the error was logged".into()));
                pr.retryable = Some(true);
                (StatusCode::INTERNAL_SERVER_ERROR, pr, None)
            }
        }
    }
}

/// The 413 problem: says the limit, so a client knows what to split or shrink.
/// Whether a body read failed because the body timeout (`tower_http`'s, set by the edge layer)
/// ran out, somewhere down the error's source chain.
pub fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

pub fn too_large(limit: u64) -> Problem {
    Problem {
        type_: "https://shiphub.dev/problems/body-too-large".into(),
        title: "Request body too large".into(),
        status: StatusCode::PAYLOAD_TOO_LARGE.as_u16(),
        detail: Some(format!("the body limit is {limit} bytes")),
        errors: vec![],
        retryable: Some(false),
        retry_after: None,
        carrier: None,
    }
}

/// The 405 problem for a request with `method` (axum adds the `Allow` header listing the
/// methods the resource answers).
pub fn method_not_allowed(method: &str) -> Problem {
    Problem {
        type_: "https://shiphub.dev/problems/method-not-allowed".into(),
        title: "Method not allowed".into(),
        status: StatusCode::METHOD_NOT_ALLOWED.as_u16(),
        detail: Some(format!(
            "this resource does not answer {method}; the Allow header lists the methods it does"
        )),
        errors: vec![],
        retryable: Some(false),
        retry_after: None,
        carrier: None,
    }
}

fn carrier_problem(e: &CarrierError) -> (StatusCode, Problem, Option<Duration>) {
    let (status, slug, title, retry): (StatusCode, &str, &str, Option<Duration>) = match e {
        CarrierError::Transient { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "carrier-unavailable",
            "The carrier is unavailable",
            Some(Duration::from_secs(5)),
        ),
        CarrierError::RateLimited { retry_after, .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "carrier-rate-limited",
            "The carrier is throttling requests",
            Some(retry_after.unwrap_or(Duration::from_secs(5))),
        ),
        CarrierError::Auth { .. } => (
            StatusCode::BAD_GATEWAY,
            "carrier-auth",
            "The carrier rejected the account's credentials",
            None,
        ),
        CarrierError::Rejected { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "carrier-rejected",
            "The carrier rejected the request",
            None,
        ),
        CarrierError::Unsupported { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "carrier-unsupported",
            "The carrier does not support this operation",
            None,
        ),
        CarrierError::Protocol { .. } => (
            StatusCode::BAD_GATEWAY,
            "carrier-protocol",
            "The carrier's answer could not be understood",
            None,
        ),
    };
    let errors = match e {
        CarrierError::Rejected { errors, .. } => errors.iter().map(FieldProblem::from).collect(),
        _ => vec![],
    };
    let problem = Problem {
        type_: format!("https://shiphub.dev/problems/{slug}"),
        title: title.to_string(),
        status: status.as_u16(),
        detail: Some(e.to_string()),
        errors,
        retryable: Some(e.is_retryable()),
        retry_after: retry.map(whole_seconds),
        carrier: Some(e.carrier().to_string()),
    };
    (status, problem, retry)
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Store(e) = &self
            && e.is_unavailable()
        {
            tracing::warn!(error = %self, "request failed: database unavailable");
        } else if matches!(
            self,
            Error::Store(_)
                | Error::Internal(_)
                | Error::PurchaseUnrecorded(_)
                | Error::PurchaseKept(_)
                | Error::PurchaseOutcomeUnknown(_)
                | Error::CarrierOutcomeUnknown(_)
        ) {
            tracing::error!(error = %self, "request failed");
        }
        let (status, problem, retry) = self.problem();
        problem_response(status, &problem, retry)
    }
}

/// Seconds for a `Retry-After` or a `retry_after` field: rounded up (a client that waits
/// what it is told must not come back early), at least 1.
pub fn whole_seconds(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

pub fn problem_response(
    status: StatusCode,
    problem: &Problem,
    retry: Option<Duration>,
) -> Response {
    let body = serde_json::to_vec(problem).expect("problem serializes");
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(r) = retry {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(whole_seconds(r)));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn an_unreachable_database_is_a_503_with_retry_after_and_other_database_errors_stay_500() {
        let down = Error::Store(StoreError::Db(sqlx::Error::PoolTimedOut));
        let (status, p, retry) = down.problem();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(p.type_, "https://shiphub.dev/problems/database-unavailable");
        assert_eq!((p.retryable, p.retry_after), (Some(true), Some(2)));
        assert_eq!(retry, Some(Duration::from_secs(2)));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let (status, ..) = Error::Store(StoreError::Db(sqlx::Error::Io(refused))).problem();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

        let bad = Error::Store(StoreError::Db(sqlx::Error::RowNotFound));
        let (status, p, retry) = bad.problem();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(p.type_, "https://shiphub.dev/problems/internal");
        assert_eq!(retry, None);
        let (status, ..) = Error::Store(StoreError::Corrupt("x".into())).problem();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_kept_purchase_names_its_tracking_number_and_keeps_its_key() {
        let kept = Error::PurchaseKept("1Z999AA10123456784".into());
        let (status, p, retry) = kept.problem();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(p.detail.unwrap().contains("1Z999AA10123456784"));
        assert!(retry.is_some());
        assert!(!kept.releases_idempotency_key());
    }
}
