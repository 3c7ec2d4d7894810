//! The Kuaidi100 account config: `{"customer", "key"}` (the company id and authorization key
//! from the Kuaidi100 enterprise console), the hub's `push_secret` (the `salt` Kuaidi100 signs
//! callbacks with, given at each subscription), `callback_url` (the hub's public push URL for
//! this account, `https://…/v1/carrier-events/kuaidi100/{account}`, needed to subscribe) and
//! optional quotas. The host is the account's `base_url` (`https://poll.kuaidi100.com` or a
//! simulator); the auto-number service lives on `www.kuaidi100.com` in production and under
//! the same base URL anywhere else (a simulator serves both on one port).
//!
//! E-waybills (电子面单): `secret` (the Kuaidi100 API secret that signs `label/order`) and
//! `networks`, one entry per network the account buys waybills on, keyed by its Kuaidi100
//! company code, each with the fields that network's outlet issued (`partner_id`,
//! `partner_key`, `partner_secret`, `partner_name`, `net`, `code`, `check_man`; which ones a
//! network needs is Kuaidi100's parameter dictionary's, so all are optional) and the
//! product (`exp_type`, e.g. 标准快递), plus `pay_type` (`MONTHLY` by default, the demos').
//! An account without them tracks only and a purchase on it is refused naming the field.

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
/// The e-waybill endpoint in production (on `api.kuaidi100.com`, beside the query host).
const LABEL_PRODUCTION: &str = "https://api.kuaidi100.com/label/order";

/// The pay types Kuaidi100's `payType` takes (java-demo `OrderReq`).
const PAY_TYPES: &[&str] = &["SHIPPER", "CONSIGNEE", "MONTHLY", "THIRDPARTY"];

/// One network's e-waybill account (the fields its outlet issued).
#[derive(Clone, Debug, Default)]
pub(crate) struct Network {
    pub(super) partner_id: Option<String>,
    pub(super) partner_key: Option<Secret>,
    pub(super) partner_secret: Option<Secret>,
    pub(super) partner_name: Option<String>,
    pub(super) net: Option<String>,
    pub(super) code: Option<String>,
    pub(super) check_man: Option<String>,
    pub(super) exp_type: Option<String>,
}

/// The e-waybill side of an account.
#[derive(Clone, Debug)]
pub(super) struct Ewaybill {
    /// The API `secret` (signs `label/order`).
    pub(super) secret: Secret,
    /// Per network (company code).
    pub(super) networks: std::collections::BTreeMap<String, Network>,
    pub(super) pay_type: String,
    /// `label/order`.
    pub(super) url: Url,
}

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
    /// E-waybill credentials, when the account has them.
    pub(super) ewaybill: Option<Ewaybill>,
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
                | "daily_quota"
                | "secret"
                | "networks"
                | "pay_type" => {}
                _ => {
                    return Err(err(
                        &format!("/{name}"),
                        "unknown field; a Kuaidi100 account has customer, key, push_secret, callback_url, requests_per_second, daily_quota and, for e-waybills, secret, networks and pay_type",
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
        let label_url = if base_url.host_str() == Some(PRODUCTION_HOST) {
            Url::parse(LABEL_PRODUCTION).expect("a URL")
        } else {
            endpoint(&base_url, "label/order")
        };
        let ewaybill = ewaybill(
            text("secret")?,
            fields.get("networks"),
            text("pay_type")?,
            label_url,
        )?;
        Ok(Account {
            customer,
            key,
            salt,
            callback_url,
            requests_per_second,
            daily_quota,
            base_url,
            autonumber_url,
            ewaybill,
        })
    }

    /// `path` under the base URL.
    pub(super) fn url(&self, path: &str) -> Url {
        endpoint(&self.base_url, path)
    }
}

/// The e-waybill credentials: none, or `secret` with `networks` (each a declared network).
fn ewaybill(
    secret: Option<String>,
    networks: Option<&Value>,
    pay_type: Option<String>,
    url: Url,
) -> Result<Option<Ewaybill>, AccountError> {
    let networks = match networks {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) if !m.is_empty() => Some(m),
        Some(_) => {
            return Err(err(
                "/networks",
                "must be an object of the networks this account buys e-waybills on, keyed by Kuaidi100 company code ({\"zhongtong\": {\"partner_id\": …}})",
            ));
        }
    };
    let (secret, networks) = match (secret, networks) {
        (None, None) => {
            if pay_type.is_some() {
                return Err(err(
                    "/pay_type",
                    "is for e-waybills: give secret and networks too",
                ));
            }
            return Ok(None);
        }
        (Some(_), None) => {
            return Err(err(
                "/networks",
                "is required with secret: the networks this account buys e-waybills on, each with its outlet's partner account",
            ));
        }
        (None, Some(_)) => {
            return Err(err(
                "/secret",
                "is required with networks: the Kuaidi100 API secret that signs e-waybill orders",
            ));
        }
        (Some(s), Some(n)) => (Secret::new(s), n),
    };
    let mut out = std::collections::BTreeMap::new();
    for (code, v) in networks {
        let at = |f: &str| format!("/networks/{code}{f}");
        if super::CAPS.service(code).is_none() {
            return Err(err(
                &at(""),
                &format!(
                    "not a network this adapter sells; one of {}",
                    super::CAPS
                        .services
                        .iter()
                        .map(|s| s.code)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let Value::Object(f) = v else {
            return Err(err(
                &at(""),
                "must be an object of the network's partner account fields",
            ));
        };
        let mut n = Network::default();
        for (k, v) in f {
            let s = match v {
                Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
                _ => return Err(err(&at(&format!("/{k}")), "must be a non-empty string")),
            };
            match k.as_str() {
                "partner_id" => n.partner_id = Some(s),
                "partner_key" => n.partner_key = Some(Secret::new(s)),
                "partner_secret" => n.partner_secret = Some(Secret::new(s)),
                "partner_name" => n.partner_name = Some(s),
                "net" => n.net = Some(s),
                "code" => n.code = Some(s),
                "check_man" => n.check_man = Some(s),
                "exp_type" => n.exp_type = Some(s),
                _ => {
                    return Err(err(
                        &at(&format!("/{k}")),
                        "unknown field; a network has partner_id, partner_key, partner_secret, partner_name, net, code, check_man and exp_type",
                    ));
                }
            }
        }
        out.insert(code.clone(), n);
    }
    let pay_type = pay_type.unwrap_or_else(|| "MONTHLY".into());
    if !PAY_TYPES.contains(&pay_type.as_str()) {
        return Err(err(
            "/pay_type",
            "must be SHIPPER, CONSIGNEE, MONTHLY or THIRDPARTY",
        ));
    }
    Ok(Some(Ewaybill {
        secret,
        networks: out,
        pay_type,
        url,
    }))
}
