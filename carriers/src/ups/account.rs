//! The UPS account config: `{"client_id", "client_secret", "account_number"}` plus an optional
//! `requests_per_second` quota; the host comes from the account's `base_url`. Parsed by hand
//! (as the sandbox does) so that every complaint names its field as a JSON pointer. Owns no
//! network access and never prints the secret.

use serde_json::Value;
use url::Url;

use crate::http::Secret;
use crate::registry::AccountError;
use crate::registry::config::err;

/// UPS publishes no request quotas in its specs (README: "No numbers are published"); 10/s is
/// the conservative default the governor applies until the account says otherwise.
pub(super) const DEFAULT_REQUESTS_PER_SECOND: u32 = 10;

/// One UPS shipper account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// OAuth client id (the app's "Client ID" on developer.ups.com).
    pub(super) client_id: String,
    pub(super) client_secret: Secret,
    /// The 6-character UPS shipper number (`ShipperNumber`, `x-merchant-id`).
    pub(super) account_number: String,
    /// Quota for the hub's governor.
    pub(super) requests_per_second: u32,
    /// The UPS host (`https://onlinetools.ups.com`, `https://wwwcie.ups.com` or a simulator),
    /// without the `/api` suffix: the token endpoint lives outside `/api`.
    pub(super) base_url: Url,
}

impl Account {
    /// Parses the stored config; `base_url` is the account's, from `CarrierHttp`.
    pub(super) fn from_json(config: &Value, base_url: Option<&Url>) -> Result<Self, AccountError> {
        let Value::Object(fields) = config else {
            return Err(err("", "the UPS account config must be a JSON object"));
        };
        let text = |name: &str| -> Result<String, AccountError> {
            match fields.get(name) {
                None => Err(err(&format!("/{name}"), "is required")),
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                Some(_) => Err(err(&format!("/{name}"), "must be a non-empty string")),
            }
        };
        for name in fields.keys() {
            if !matches!(
                name.as_str(),
                "client_id" | "client_secret" | "account_number" | "requests_per_second"
            ) {
                return Err(err(
                    &format!("/{name}"),
                    "unknown field; a UPS account has client_id, client_secret, account_number and requests_per_second",
                ));
            }
        }
        let client_id = text("client_id")?;
        let client_secret = Secret::new(text("client_secret")?);
        let account_number = text("account_number")?.to_ascii_uppercase();
        if account_number.len() != 6 || !account_number.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err(
                "/account_number",
                "a UPS shipper number is 6 letters and digits",
            ));
        }
        let requests_per_second = match fields.get("requests_per_second") {
            None => DEFAULT_REQUESTS_PER_SECOND,
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                // No ceiling of ours: UPS publishes none, and an account UPS allows more must
                // not be held below it (issue 19: the former 1,000/s cap).
                .filter(|n| *n > 0)
                .ok_or_else(|| err("/requests_per_second", "must be a whole number above zero"))?,
        };
        let base_url = base_url
            .ok_or_else(|| {
                err(
                    "/base_url",
                    "UPS accounts need a base URL (https://onlinetools.ups.com, https://wwwcie.ups.com or a simulator)",
                )
            })
            .map(host_root)?;
        Ok(Account {
            client_id,
            client_secret,
            account_number,
            requests_per_second,
            base_url,
        })
    }

    /// `{host}{path}`, where `path` starts with `/`.
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.as_str().trim_end_matches('/'))
    }
}

/// The README gives API base URLs with `/api` and the token URL without it; accept either
/// form and keep the host root, so the same account works for both.
fn host_root(url: &Url) -> Url {
    let mut url = url.clone();
    let path = url.path().trim_end_matches('/').to_string();
    let root = path.strip_suffix("/api").unwrap_or(&path).to_string();
    url.set_path(&root);
    url.set_query(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn host() -> Url {
        "https://wwwcie.ups.com/api/".parse().unwrap()
    }

    fn ok() -> Value {
        json!({"client_id": "cid", "client_secret": "s3cret", "account_number": "a1b2c3"})
    }

    #[test]
    fn parses_and_strips_the_api_suffix() {
        let a = Account::from_json(&ok(), Some(&host())).unwrap();
        assert_eq!(a.account_number, "A1B2C3");
        assert_eq!(a.requests_per_second, DEFAULT_REQUESTS_PER_SECOND);
        assert_eq!(
            a.url("/security/v1/oauth/token"),
            "https://wwwcie.ups.com/security/v1/oauth/token"
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let a = Account::from_json(&ok(), Some(&host())).unwrap();
        let shown = format!("{a:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("Secret(***)"));
    }

    #[test]
    fn missing_unknown_and_bad_fields_are_named() {
        let mut missing = ok();
        missing.as_object_mut().unwrap().remove("client_secret");
        assert_eq!(
            Account::from_json(&missing, Some(&host()))
                .unwrap_err()
                .field,
            "/client_secret"
        );
        let mut unknown = ok();
        unknown["api_key"] = json!("x");
        assert_eq!(
            Account::from_json(&unknown, Some(&host()))
                .unwrap_err()
                .field,
            "/api_key"
        );
        let mut short = ok();
        short["account_number"] = json!("123");
        assert_eq!(
            Account::from_json(&short, Some(&host())).unwrap_err().field,
            "/account_number"
        );
        // No ceiling below what UPS allows an account (issue 19: 1,000/s was one).
        let mut quota = ok();
        quota["requests_per_second"] = json!(5000);
        let a = Account::from_json(&quota, Some(&host())).unwrap();
        assert_eq!(a.requests_per_second, 5000);
        quota["requests_per_second"] = json!(0);
        assert_eq!(
            Account::from_json(&quota, Some(&host())).unwrap_err().field,
            "/requests_per_second"
        );
        assert_eq!(
            Account::from_json(&ok(), None).unwrap_err().field,
            "/base_url"
        );
    }
}
