//! `CarrierError`: the variant tells the caller what to do (retry, wait, fix input, give up).
#![warn(missing_docs)]

use std::{fmt, time::Duration};

use serde::Serialize;

use crate::carrier::{Capability, CarrierCode};

/// A field-level complaint, in our request's vocabulary where we could map it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer into the request we were given (`/to/postal_code`); empty when unknown.
    pub field: String,
    /// The carrier's own error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_code: Option<String>,
    /// The carrier's message.
    pub message: String,
}

/// A response body kept for diagnosis: truncated to 2 KiB for `Debug`, never logged whole.
#[derive(Clone, PartialEq, Eq)]
pub struct RawBody(pub Vec<u8>);

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = String::from_utf8_lossy(&self.0[..self.0.len().min(2048)]);
        write!(f, "{text:?}")?;
        if self.0.len() > 2048 {
            write!(f, "... ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

/// Why a carrier call failed, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CarrierError {
    /// Timeouts, connection failures, 5xx: try again later.
    #[error("{carrier} unavailable: {message}")]
    Transient {
        /// Which carrier.
        carrier: CarrierCode,
        /// What happened.
        message: String,
        /// The request may have reached the carrier (a timeout after sending): retrying a
        /// purchase could buy twice.
        maybe_processed: bool,
    },
    /// The carrier throttled us; wait `retry_after` when given.
    #[error("{carrier} rate limited")]
    RateLimited {
        /// Which carrier.
        carrier: CarrierCode,
        /// The carrier's Retry-After.
        retry_after: Option<Duration>,
    },
    /// Credentials were refused: fix the account, do not retry.
    #[error("{carrier} rejected the credentials")]
    Auth {
        /// Which carrier.
        carrier: CarrierCode,
        /// The carrier's error code.
        code: Option<String>,
    },
    /// The shipment data was refused: fix the input, never retried.
    #[error("{carrier} rejected the request: {}", errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Rejected {
        /// Which carrier.
        carrier: CarrierCode,
        /// What was wrong.
        errors: Vec<FieldError>,
    },
    /// The carrier does not offer this.
    #[error("{carrier} does not support {capability:?}{}", reason.map(|r| format!(": {r}")).unwrap_or_default())]
    Unsupported {
        /// Which carrier.
        carrier: CarrierCode,
        /// The operation asked for.
        capability: Capability,
        /// Why, and what that means for the shipper, when the carrier's API explains it.
        reason: Option<&'static str>,
    },
    /// A response we could not understand: logged with its body, never a panic.
    #[error("unreadable {carrier} response (HTTP {status}): {message}")]
    Protocol {
        /// Which carrier.
        carrier: CarrierCode,
        /// HTTP status of the response.
        status: u16,
        /// The body, for diagnosis.
        body: RawBody,
        /// What did not parse.
        message: String,
    },
}

impl CarrierError {
    /// `Unsupported` for `capability`.
    pub fn unsupported(carrier: CarrierCode, capability: Capability) -> Self {
        CarrierError::Unsupported {
            carrier,
            capability,
            reason: None,
        }
    }
    /// `Unsupported` for `capability`, saying why.
    pub fn unsupported_because(
        carrier: CarrierCode,
        capability: Capability,
        reason: &'static str,
    ) -> Self {
        CarrierError::Unsupported {
            carrier,
            capability,
            reason: Some(reason),
        }
    }
    /// `Rejected` with a single field error.
    pub fn rejected(
        carrier: CarrierCode,
        field: &str,
        code: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        CarrierError::Rejected {
            carrier,
            errors: vec![FieldError {
                field: field.to_string(),
                carrier_code: code.map(str::to_string),
                message: message.into(),
            }],
        }
    }
    /// Worth retrying after a pause.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient { .. } | Self::RateLimited { .. })
    }
    /// Safe to retry an operation that buys something: the carrier certainly did not act.
    pub fn is_retryable_purchase(&self) -> bool {
        match self {
            Self::RateLimited { .. } => true,
            Self::Transient {
                maybe_processed, ..
            } => !maybe_processed,
            _ => false,
        }
    }
    /// The carrier this error came from.
    pub fn carrier(&self) -> &CarrierCode {
        match self {
            Self::Transient { carrier, .. }
            | Self::RateLimited { carrier, .. }
            | Self::Auth { carrier, .. }
            | Self::Rejected { carrier, .. }
            | Self::Unsupported { carrier, .. }
            | Self::Protocol { carrier, .. } => carrier,
        }
    }
    /// Stable short name of the variant, for metrics and problem types.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Transient { .. } => "transient",
            Self::RateLimited { .. } => "rate_limited",
            Self::Auth { .. } => "auth",
            Self::Rejected { .. } => "rejected",
            Self::Unsupported { .. } => "unsupported",
            Self::Protocol { .. } => "protocol",
        }
    }
}
