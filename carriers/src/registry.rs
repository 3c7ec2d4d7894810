//! The registry: one entry per carrier. Each entry builds an adapter from the account's
//! stored JSON config, so the hub never learns a carrier's credential shape.

use crate::carrier::{Capabilities, Carrier, CarrierCode};
use crate::detect::Detection;
use crate::error::CarrierError;
use crate::http::CarrierHttp;
use crate::model::PushedEvent;

/// The account config did not fit the carrier's account shape.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{field}: {message}")]
pub struct AccountError {
    /// JSON pointer into the account's credentials/config.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Readers for an account's stored config, with the same answers for every carrier.
pub mod config {
    use serde_json::Value;

    use super::AccountError;

    /// `message` about the setting at `field` (a JSON pointer into the credentials).
    pub fn err(field: &str, message: &str) -> AccountError {
        AccountError {
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    /// A non-empty string, trimmed.
    pub fn text(name: &str, v: &Value) -> Result<String, AccountError> {
        v.as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| err(&format!("/{name}"), "must be a non-empty string"))
    }

    /// A whole number above zero (quotas, bursts).
    pub fn count(name: &str, v: &Value) -> Result<u32, AccountError> {
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| err(&format!("/{name}"), "must be a whole number above zero"))
    }

    /// A setting that must be given.
    pub fn required<T>(v: Option<T>, name: &str) -> Result<T, AccountError> {
        v.ok_or_else(|| err(&format!("/{name}"), "is required"))
    }
}

/// How to build one carrier's adapter.
pub struct CarrierEntry {
    /// Code used in the API and stored on accounts.
    pub code: CarrierCode,
    /// Display name.
    pub name: &'static str,
    /// Declared capabilities.
    pub capabilities: &'static Capabilities,
    /// Whether accounts need a `base_url` (real carriers) or not (sandbox, table rate).
    pub needs_base_url: bool,
    /// The carrier's official API hosts (production and sandbox, from its published
    /// OpenAPI `servers`): the hub calls these over https without the operator's say-so.
    /// Any other host needs `--carrier-allow`.
    pub hosts: &'static [&'static str],
    /// JSON pointers into the credentials of settings that hold a URL the adapter calls
    /// (DHL's `/tracking_base_url`); checked against the same target policy as `base_url`.
    pub url_settings: &'static [&'static str],
    /// Builds an adapter from the account's credentials JSON.
    pub build: fn(serde_json::Value, CarrierHttp) -> Result<Box<dyn Carrier>, AccountError>,
    /// The tracking-number formats the carrier issues, for `detect`.
    pub numbers: &'static [NumberFormat],
    /// How the carrier pushes tracking events to us, when it does.
    pub push: Option<PushIntake>,
}

/// One tracking-number format a carrier issues.
#[derive(Debug)]
pub struct NumberFormat {
    /// The carrier's name for the format (`1Z`, `Express`, `IMpb`, `SmartPost`…).
    pub name: &'static str,
    /// `CheckDigit` when `read` verifies one, `FormatOnly` when the format has none.
    pub detection: Detection,
    /// The format is another carrier's that this one also issues (FedEx SmartPost numbers are
    /// USPS IMpb numbers): on a tie the owner's candidate comes first.
    pub shared: bool,
    /// The number to track when `number` is in this format (without any routing prefix).
    pub read: fn(&str) -> Option<&str>,
}

/// A carrier's tracking push (webhook): how a delivery is authenticated and read. The hub
/// owns the endpoint (`/v1/carrier-events/{carrier}/{account}`), the account's push secret
/// and deduplication.
#[derive(Clone, Copy, Debug)]
pub struct PushIntake {
    /// Whether a delivery (its headers and raw body) carries the credential or signature the
    /// carrier sends for an account whose push secret is the last argument. Carriers that
    /// sign the body (SF Express `msgDigest`, Kuaidi100 `sign`) read it here.
    pub verify: fn(&reqwest::header::HeaderMap, &[u8], &str) -> bool,
    /// The events a delivery body carries.
    pub parse: fn(&[u8]) -> Result<Vec<PushedEvent>, CarrierError>,
    /// The answer the carrier expects for a delivery it must not send again; `None` for the
    /// hub's own `202` JSON count.
    pub ack: Option<PushAck>,
    /// The account tells the carrier its push secret (Kuaidi100 signs callbacks with the
    /// `salt` each subscription sends), so the adapter is built with `push_secret`; other
    /// adapters never see it.
    pub secret_to_carrier: bool,
}

/// The body a carrier's push protocol wants back on success (status 200).
#[derive(Clone, Copy, Debug)]
pub struct PushAck {
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static str,
}

impl std::fmt::Debug for CarrierEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarrierEntry")
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

/// Finds an entry by code in any list of entries (the hub adds its own to `CARRIERS`).
pub fn lookup<'a>(entries: &[&'a CarrierEntry], code: &str) -> Option<&'a CarrierEntry> {
    entries.iter().copied().find(|e| e.code.as_str() == code)
}
