//! The DHL Express (MyDHL API) account config. Parsed by hand so every complaint names its
//! field as a JSON pointer, and so the secret never reaches a `Debug` or error message. The
//! MyDHL host comes from `CarrierHttp.base_url` (`https://express.api.dhl.com/mydhlapi`,
//! `.../mydhlapi/test`, `https://api-mock.dhl.com/mydhlapi` or a simulator).
//!
//! ```json
//! {"api_key": "demo-key", "api_secret": "…", "account_number": "123456789",
//!  "paperless_trade": true,                                       // optional, default false
//!  "tracking_api_key": "…",                                       // optional: Unified Tracking
//!  "tracking_base_url": "https://api-eu.dhl.com/track",           // optional
//!  "requests_per_second": 5, "burst": 10}                          // optional quota
//! ```

use serde_json::Value;
use url::Url;

use crate::http::Secret;
use crate::registry::AccountError;
use crate::registry::config::{count, err, required, text};

/// The MyDHL API spec states no request quota (shared README: "None are given in the spec");
/// 5/s with a burst of 10 is a conservative default an account can raise.
const DEFAULT_REQUESTS_PER_SECOND: u32 = 5;
const DEFAULT_BURST: u32 = 10;

/// The production server of the DHL Shipment Tracking – Unified API
/// (`unified-tracking/dhl-shipment-tracking-unified-1.4.1.yaml`, `servers`).
pub(super) const UNIFIED_TRACKING_PRODUCTION: &str = "https://api-eu.dhl.com/track";

/// Unified Shipment Tracking access: a separate DHL developer-portal app with its own key,
/// on its own host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct UnifiedTracking {
    pub(super) api_key: Secret,
    pub(super) base_url: Url,
}

/// One MyDHL API account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// MyDHL API key: the Basic-auth username.
    pub(super) api_key: String,
    /// MyDHL API secret: the Basic-auth password.
    pub(super) api_secret: Secret,
    /// The DHL Express account billed (`accounts[].typeCode = shipper`).
    pub(super) account_number: String,
    /// The account is enabled for Paperless Trade (value-added service `WY`): customs data
    /// travels electronically and no printed invoice is needed.
    pub(super) paperless_trade: bool,
    /// For numbers MyDHL does not know (not created with this account).
    pub(super) unified: Option<UnifiedTracking>,
    pub(super) requests_per_second: u32,
    pub(super) burst: u32,
}

impl Account {
    /// Parses the stored config; unknown and missing fields are named.
    pub(super) fn from_json(config: &Value) -> Result<Self, AccountError> {
        let Value::Object(fields) = config else {
            return Err(err(
                "",
                "the DHL Express account config must be a JSON object",
            ));
        };
        let (mut api_key, mut api_secret, mut account_number) = (None, None, None);
        let (mut tracking_key, mut tracking_base) = (None, None);
        let mut paperless_trade = false;
        let mut requests_per_second = DEFAULT_REQUESTS_PER_SECOND;
        let mut burst = DEFAULT_BURST;
        for (name, value) in fields {
            match name.as_str() {
                "api_key" => api_key = Some(text(name, value)?),
                "api_secret" => api_secret = Some(text(name, value)?),
                "account_number" => {
                    let n = text(name, value)?;
                    // `accounts[].number`: maxLength 12 in the MyDHL schema.
                    if n.len() > 12 || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        return Err(err(
                            "/account_number",
                            "must be a DHL Express account number (up to 12 letters and digits)",
                        ));
                    }
                    account_number = Some(n);
                }
                "paperless_trade" => {
                    paperless_trade = value
                        .as_bool()
                        .ok_or_else(|| err("/paperless_trade", "must be true or false"))?
                }
                "tracking_api_key" => tracking_key = Some(text(name, value)?),
                "tracking_base_url" => {
                    let u: Url = text(name, value)?
                        .parse()
                        .map_err(|_| err("/tracking_base_url", "must be an http(s) URL"))?;
                    if !matches!(u.scheme(), "http" | "https") || u.cannot_be_a_base() {
                        return Err(err("/tracking_base_url", "must be an http(s) URL"));
                    }
                    tracking_base = Some(u);
                }
                "requests_per_second" => requests_per_second = count(name, value)?,
                "burst" => burst = count(name, value)?,
                other => {
                    return Err(err(
                        &format!("/{other}"),
                        "unknown field; a DHL Express account takes api_key, api_secret, \
                         account_number, paperless_trade, tracking_api_key, tracking_base_url, \
                         requests_per_second, burst",
                    ));
                }
            }
        }
        let unified = match (tracking_key, tracking_base) {
            (Some(key), base) => Some(UnifiedTracking {
                api_key: Secret::new(key),
                base_url: base.unwrap_or_else(|| {
                    UNIFIED_TRACKING_PRODUCTION
                        .parse()
                        .expect("static URL parses")
                }),
            }),
            (None, Some(_)) => {
                return Err(err(
                    "/tracking_api_key",
                    "is required with tracking_base_url",
                ));
            }
            (None, None) => None,
        };
        Ok(Account {
            api_key: required(api_key, "api_key")?,
            api_secret: Secret::new(required(api_secret, "api_secret")?),
            account_number: required(account_number, "account_number")?,
            paperless_trade,
            unified,
            requests_per_second,
            burst,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({"api_key": "demo-key", "api_secret": "s3cr3t-value", "account_number": "123456789"})
    }

    #[test]
    fn minimal_account_uses_defaults() {
        let a = Account::from_json(&minimal()).unwrap();
        assert_eq!(a.api_key, "demo-key");
        assert_eq!(a.api_secret.expose(), "s3cr3t-value");
        assert!(!a.paperless_trade);
        assert!(a.unified.is_none());
        assert_eq!((a.requests_per_second, a.burst), (5, 10));
    }

    #[test]
    fn unified_tracking_defaults_to_the_production_host() {
        let mut v = minimal();
        v["tracking_api_key"] = json!("track-key");
        let a = Account::from_json(&v).unwrap();
        assert_eq!(
            a.unified.unwrap().base_url.as_str(),
            "https://api-eu.dhl.com/track"
        );
        let mut v = minimal();
        v["tracking_base_url"] = json!("http://127.0.0.1:1/track");
        assert_eq!(
            Account::from_json(&v).unwrap_err().field,
            "/tracking_api_key"
        );
    }

    #[test]
    fn missing_unknown_and_invalid_fields_are_named() {
        for missing in ["api_key", "api_secret", "account_number"] {
            let mut v = minimal();
            v.as_object_mut().unwrap().remove(missing);
            assert_eq!(
                Account::from_json(&v).unwrap_err().field,
                format!("/{missing}")
            );
        }
        let mut v = minimal();
        v["password"] = json!("x");
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/password");
        let mut v = minimal();
        v["account_number"] = json!("1234567890123");
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/account_number");
        let mut v = minimal();
        v["paperless_trade"] = json!("yes");
        assert_eq!(
            Account::from_json(&v).unwrap_err().field,
            "/paperless_trade"
        );
        assert_eq!(Account::from_json(&json!([])).unwrap_err().field, "");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut v = minimal();
        v["tracking_api_key"] = json!("tracking-secret-key");
        let shown = format!("{:?}", Account::from_json(&v).unwrap());
        assert!(
            !shown.contains("s3cr3t-value") && !shown.contains("tracking-secret-key"),
            "{shown}"
        );
    }
}
