//! The YunExpress open-platform account config. Parsed by hand so every complaint names its
//! field as a JSON pointer, and so the secret never reaches a `Debug` or error message. The
//! host comes from `CarrierHttp.base_url` (`https://openapi.yunexpress.cn`,
//! `https://openapi-sbx.yunexpress.cn` or a simulator).
//!
//! The credentials are the three the platform's token call takes (`fixtures/SOURCES.md`,
//! "Auth"): the application's `appId` and `appSecret` (the secret also keys every request's
//! HMAC `sign`) and the customer's `sourceKey` (user centre → user information).
//!
//! ```json
//! {"app_id": "7ddf7d20ed8d", "app_secret": "…", "source_key": "lcb1nvgi",
//!  "origin": "YT-SZ",                         // optional: price-trial billing location
//!  "requests_per_second": 5, "burst": 10}     // optional quota
//! ```

use serde_json::Value;

use crate::http::Secret;
use crate::registry::AccountError;
use crate::registry::config::{count, err, required, text};

/// The unofficial spec states no quota; 5/s with a burst of 10 is a conservative default an
/// account can raise (the same as the other carriers without a published one).
const DEFAULT_REQUESTS_PER_SECOND: u32 = 5;
const DEFAULT_BURST: u32 = 10;

/// One YunExpress open-platform application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// `appId`: the application.
    pub(super) app_id: String,
    /// `appSecret`: exchanged for a token and the key of every request's signature.
    pub(super) app_secret: Secret,
    /// `sourceKey`: the customer the application acts for.
    pub(super) source_key: Secret,
    /// The price trial's `origin` (billing location; YunExpress's default is `YT-SZ`).
    pub(super) origin: Option<String>,
    pub(super) requests_per_second: u32,
    pub(super) burst: u32,
}

impl Account {
    /// Parses the stored config; unknown and missing fields are named.
    pub(super) fn from_json(config: &Value) -> Result<Self, AccountError> {
        let Value::Object(fields) = config else {
            return Err(err(
                "",
                "the YunExpress account config must be a JSON object",
            ));
        };
        let (mut app_id, mut app_secret, mut source_key, mut origin) = (None, None, None, None);
        let mut requests_per_second = DEFAULT_REQUESTS_PER_SECOND;
        let mut burst = DEFAULT_BURST;
        for (name, value) in fields {
            match name.as_str() {
                "app_id" => app_id = Some(text(name, value)?),
                "app_secret" => app_secret = Some(text(name, value)?),
                "source_key" => source_key = Some(text(name, value)?),
                "origin" => {
                    let o = text(name, value)?;
                    // Price trial `origin`: "Length: 1-20".
                    if o.chars().count() > 20 {
                        return Err(err("/origin", "must be at most 20 characters (e.g. YT-SZ)"));
                    }
                    origin = Some(o);
                }
                "requests_per_second" => requests_per_second = count(name, value)?,
                "burst" => burst = count(name, value)?,
                other => {
                    return Err(err(
                        &format!("/{other}"),
                        "unknown field; a YunExpress account takes app_id, app_secret, \
                         source_key, origin, requests_per_second, burst",
                    ));
                }
            }
        }
        Ok(Account {
            app_id: required(app_id, "app_id")?,
            app_secret: Secret::new(required(app_secret, "app_secret")?),
            source_key: Secret::new(required(source_key, "source_key")?),
            origin,
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
        json!({"app_id": "app-1", "app_secret": "s3cr3t-value", "source_key": "src-key-9"})
    }

    #[test]
    fn minimal_account_uses_defaults() {
        let a = Account::from_json(&minimal()).unwrap();
        assert_eq!(a.app_id, "app-1");
        assert_eq!(a.app_secret.expose(), "s3cr3t-value");
        assert_eq!(a.source_key.expose(), "src-key-9");
        assert_eq!(a.origin, None);
        assert_eq!((a.requests_per_second, a.burst), (5, 10));
    }

    #[test]
    fn missing_unknown_and_invalid_fields_are_named() {
        for missing in ["app_id", "app_secret", "source_key"] {
            let mut v = minimal();
            v.as_object_mut().unwrap().remove(missing);
            assert_eq!(
                Account::from_json(&v).unwrap_err().field,
                format!("/{missing}")
            );
        }
        let mut v = minimal();
        v["customer_code"] = json!("C1");
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/customer_code");
        let mut v = minimal();
        v["app_secret"] = json!(" ");
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/app_secret");
        let mut v = minimal();
        v["origin"] = json!("X".repeat(21));
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/origin");
        let mut v = minimal();
        v["burst"] = json!(0);
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/burst");
        assert_eq!(Account::from_json(&json!("x")).unwrap_err().field, "");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let shown = format!("{:?}", Account::from_json(&minimal()).unwrap());
        assert!(
            !shown.contains("s3cr3t-value") && !shown.contains("src-key-9"),
            "{shown}"
        );
    }
}
