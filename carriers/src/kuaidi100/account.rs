//! The Kuaidi100 account config: `{"customer", "key"}` (the company id and authorization key
//! from the Kuaidi100 enterprise console), the hub's `push_secret` (the `salt` Kuaidi100 signs
//! callbacks with, given at each subscription), `callback_url` (the hub's public push URL for
//! this account, `https://…/v1/carrier-events/kuaidi100/{account}`, needed to subscribe) and
//! optional quotas. The host is the account's `base_url` (`https://poll.kuaidi100.com` or a
//! simulator); the auto-number service lives on `www.kuaidi100.com` in production and under
//! the same base URL anywhere else (a simulator serves both on one port).
//!
//! Tracking only: Kuaidi100's e-waybill (电子面单) credentials (`secret`) are refused by name
//! rather than silently ignored, so nobody believes they enabled label buying.

use serde_json::Value;
use url::Url;

use crate::http::{Secret, endpoint};
use crate::registry::AccountError;
use crate::registry::config::err;

/// Kuaidi100 publishes no request rate for the query API that we could find (`SOURCES.md`);
/// 5/s is a conservative default until the account says otherwise.
pub(super) const DEFAULT_REQUESTS_PER_SECOND: u32 = 5;

/// The production query host: the auto-number service is on `www.kuaidi100.com` beside it.
const PRODUCTION_HOST: &str = "poll.kuaidi100.com";
const AUTONUMBER_PRODUCTION: &str = "https://www.kuaidi100.com/autonumber/auto";

/// One Kuaidi100 enterprise account.
#[derive(Clone, Debug)]
pub struct Account {
    /// The company id (`customer`).
    pub(super) customer: String,
    /// The authorization key (`key`).
    pub(super) key: Secret,
    /// The callback `salt` (the hub's `push_secret` for this account), when given.
    pub(super) salt: Option<Secret>,
    /// Where Kuaidi100 posts this account's callbacks.
    pub(super) callback_url: Option<Url>,
    pub(super) requests_per_second: u32,
    /// The account's paid daily volume, when the operator gives it.
    pub(super) daily_quota: Option<u32>,
    /// `poll/query.do` and `poll` live under it.
    pub(super) base_url: Url,
    /// The auto-number service.
    pub(super) autonumber_url: Url,
}

impl Account {
    /// Parses the stored config; `base_url` is the account's, from `CarrierHttp`.
    pub(super) fn from_json(config: &Value, base_url: Option<&Url>) -> Result<Self, AccountError> {
        let Value::Object(fields) = config else {
            return Err(err(
                "",
                "the Kuaidi100 account config must be a JSON object",
            ));
        };
        for name in fields.keys() {
            match name.as_str() {
                "customer"
                | "key"
                | "push_secret"
                | "callback_url"
                | "requests_per_second"
                | "daily_quota" => {}
                "secret" => {
                    return Err(err(
                        "/secret",
                        "Kuaidi100 e-waybill (电子面单) credentials are not supported: this adapter tracks only",
                    ));
                }
                _ => {
                    return Err(err(
                        &format!("/{name}"),
                        "unknown field; a Kuaidi100 account has customer, key, push_secret, callback_url, requests_per_second and daily_quota",
                    ));
                }
            }
        }
        let text = |name: &str| -> Result<Option<String>, AccountError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
                Some(_) => Err(err(&format!("/{name}"), "must be a non-empty string")),
            }
        };
        let required =
            |name: &str| text(name)?.ok_or_else(|| err(&format!("/{name}"), "is required"));
        let count = |name: &str, max: u64| -> Result<Option<u32>, AccountError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .filter(|n| (1..=max).contains(n))
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| {
                        err(
                            &format!("/{name}"),
                            &format!("must be a whole number from 1 to {max}"),
                        )
                    }),
            }
        };
        let customer = required("customer")?;
        let key = Secret::new(required("key")?);
        let salt = text("push_secret")?.map(Secret::new);
        let callback_url = match text("callback_url")? {
            None => None,
            Some(s) => Some(
                Url::parse(&s)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .ok_or_else(|| err("/callback_url", "must be an http(s) URL (the hub's /v1/carrier-events/kuaidi100/{account})"))?,
            ),
        };
        let requests_per_second =
            // No ceiling of ours below the account's own (Kuaidi100 publishes none).
            count("requests_per_second", u64::from(u32::MAX))?.unwrap_or(DEFAULT_REQUESTS_PER_SECOND);
        let daily_quota = count("daily_quota", 100_000_000)?;
        let base_url = base_url
            .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
            .cloned()
            .ok_or_else(|| {
                err(
                    "/base_url",
                    "Kuaidi100 accounts need a base URL (https://poll.kuaidi100.com or a simulator)",
                )
            })?;
        let autonumber_url = if base_url.host_str() == Some(PRODUCTION_HOST) {
            Url::parse(AUTONUMBER_PRODUCTION).expect("a URL")
        } else {
            endpoint(&base_url, "autonumber/auto")
        };
        Ok(Account {
            customer,
            key,
            salt,
            callback_url,
            requests_per_second,
            daily_quota,
            base_url,
            autonumber_url,
        })
    }

    /// `path` under the base URL.
    pub(super) fn url(&self, path: &str) -> Url {
        endpoint(&self.base_url, path)
    }
}
