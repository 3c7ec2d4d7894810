//! The hub's one error type. Every domain module (shipments, labels, print, tracking, webhooks,
//! reconciliation) returns it; it says what went wrong in the caller's terms (bad input and which
//! field, not found, conflict, a carrier's failure and whether to retry) and knows nothing of
//! HTTP. `api::problem` renders it as an RFC 9457 problem; the CLI as a line of text.

use serde::Serialize;
use shiphub_carriers::CarrierError;

use crate::store::StoreError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// JSON pointer into the request body (`/to/postal_code`), or `/query/<name>`,
    /// `/path/<name>`, `/headers/<name>`.
    pub pointer: String,
    pub detail: String,
    /// Machine-readable reason: the JSON Schema keyword that failed (`required`,
    /// `additionalProperties`, `maxLength`, `pattern`, …), or the carrier's own error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl From<&shiphub_carriers::FieldError> for FieldProblem {
    fn from(f: &shiphub_carriers::FieldError) -> Self {
        FieldProblem {
            pointer: f.field.clone(),
            detail: f.message.clone(),
            code: f.carrier_code.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("invalid request")]
    Validation(Vec<FieldProblem>),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Authenticated, but the role does not allow it (the detail names the permission), or a
    /// cookie-authenticated change without its CSRF token.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Too many failed logins for one e-mail: wait this many seconds.
    #[error("too many failed logins")]
    LoginThrottled(u64),
    #[error("not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// The key was first used on another endpoint (method and path, named).
    #[error("idempotency key used for {0}")]
    IdempotencyKeyElsewhere(String),
    #[error("request still in progress")]
    IdempotencyInProgress,
    /// The body is larger than the limit (bytes).
    #[error("body too large")]
    TooLarge(u64),
    #[error("unsupported media type")]
    UnsupportedMedia,
    /// The body stopped arriving for longer than the body timeout (seconds, when known).
    #[error("request body timed out")]
    BodyTimeout,
    #[error(transparent)]
    Carrier(#[from] CarrierError),
    /// The account's request quota would admit the call only after the caller's bound (a
    /// purchase's quota wait): not sent to the carrier (503 with `Retry-After`).
    #[error("carrier account {account} throttled: {throttled}")]
    Throttled {
        account: String,
        throttled: crate::call_layer::Throttled,
    },
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
    /// Bought at the carrier while the database went away: the carrier's answer is kept on
    /// the Idempotency-Key (not voided), and is recorded once the database is back, by the
    /// key's recovery; a retry with the same key gets the shipment (tracking number named).
    #[error("purchase {0} was made; its record waits for the database")]
    PurchaseKept(String),
    /// Bought at the carrier, not recorded, not voided: retrying could buy twice.
    #[error("purchase {0} was made but could not be recorded")]
    PurchaseUnrecorded(String),
    /// A purchase reached the carrier and its process died before any answer was kept: the
    /// carrier may have sold a label. Final for its key; the detail says what to check.
    #[error("purchase outcome unknown: {0}")]
    PurchaseOutcomeUnknown(String),
    /// A pickup booking or an end-of-day close reached the carrier and its process died before
    /// the answer was recorded: the carrier may have acted. Final for its key (a retry never
    /// books or closes a second time); the detail says what to check.
    #[error("carrier outcome unknown: {0}")]
    CarrierOutcomeUnknown(String),
}

impl Error {
    pub fn field(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Validation(vec![FieldProblem {
            pointer: pointer.into(),
            detail: detail.into(),
            code: None,
        }])
    }

    /// Whether an idempotent request that failed this way may be retried with the same key.
    pub fn releases_idempotency_key(&self) -> bool {
        match self {
            Error::Carrier(e) => e.is_retryable(),
            Error::Throttled { .. } | Error::Store(_) | Error::Internal(_) => true,
            // The key holds the sale until it is recorded: never released.
            Error::PurchaseKept(_) => false,
            _ => false,
        }
    }
}
