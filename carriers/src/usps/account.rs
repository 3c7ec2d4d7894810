//! The USPS account config: one USPS developer app (OAuth client) plus the enterprise
//! identities the payments API needs to authorize label purchases (CRID, MIDs and the EPS or
//! permit account that pays). Parsed by hand so that every complaint names its field as a
//! JSON pointer, and so that the secret never reaches a `Debug` or error message. The host
//! (`https://apis.usps.com`, `https://apis-tem.usps.com` or a simulator) comes from
//! `CarrierHttp.base_url`.
//!
//! ```json
//! {"client_id": "…", "client_secret": "…",
//!  "crid": "12345678", "mid": "123456", "manifest_mid": "123456",   // manifest_mid optional
//!  "account_type": "EPS", "account_number": "1000000000",           // or PERMIT + permit_number/permit_zip
//!  "price_type": "COMMERCIAL",                                       // optional: RETAIL, COMMERCIAL, CONTRACT
//!  "requests_per_hour": 56, "burst": 4}                              // optional quota
//! ```

use serde_json::Value;

use crate::http::Secret;
use crate::registry::AccountError;
use crate::registry::config::{count, err, required, text};

/// USPS grants new apps about 60 requests per hour. 56 per hour with a burst of 4 never
/// sends more than 60 in any 60-minute window (a GCRA limiter allows at most
/// `burst + rate × t`), while a rate-shop followed by a purchase still goes at once. USPS
/// raises quotas on request; the account can then say so.
pub(super) const DEFAULT_REQUESTS_PER_HOUR: u32 = 56;
pub(super) const DEFAULT_BURST: u32 = 4;

/// How postage is paid (`payments.yaml` `PaymentAccount`); METER (PC Postage providers only)
/// and OMAS (federal agencies) are not offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Payment {
    /// Enterprise Payment System account.
    Eps { account_number: String },
    /// Permit imprint with its ZIP Code.
    Permit { number: String, zip: String },
}

/// One USPS account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// OAuth `client_id` (the app's Consumer Key); also the token cache key, so not secret.
    pub(super) client_id: String,
    /// OAuth `client_secret`.
    pub(super) client_secret: Secret,
    /// Customer Registration ID of the business (payer, label owner).
    pub(super) crid: String,
    /// Mailer ID whose range numbers the labels.
    pub(super) mid: String,
    /// Mailer ID of the manifest; the label MID unless the account says.
    pub(super) manifest_mid: String,
    pub(super) payment: Payment,
    /// `RETAIL`, `COMMERCIAL` or `CONTRACT` (`PriceTypeRequest`).
    pub(super) price_type: &'static str,
    pub(super) requests_per_hour: u32,
    pub(super) burst: u32,
}

const PRICE_TYPES: [&str; 3] = ["RETAIL", "COMMERCIAL", "CONTRACT"];

impl Account {
    /// Parses the stored config; unknown, missing and malformed fields are named.
    pub(super) fn from_json(config: &Value) -> Result<Self, AccountError> {
        let Value::Object(fields) = config else {
            return Err(err("", "the USPS account config must be a JSON object"));
        };
        let digits = |name: &str, v: &Value, lens: &[usize], what: &str| {
            let s = text(name, v)?;
            if s.bytes().all(|b| b.is_ascii_digit()) && lens.contains(&s.len()) {
                Ok(s)
            } else {
                Err(err(&format!("/{name}"), what))
            }
        };
        let (mut client_id, mut client_secret, mut crid, mut mid, mut manifest_mid) =
            (None, None, None, None, None);
        let (mut account_type, mut account_number, mut permit_number, mut permit_zip) =
            (None, None, None, None);
        let mut price_type = "COMMERCIAL";
        let mut requests_per_hour = DEFAULT_REQUESTS_PER_HOUR;
        let mut burst = DEFAULT_BURST;
        const MID: &str = "must be a 6- or 9-digit Mailer ID";
        for (name, value) in fields {
            match name.as_str() {
                "client_id" => client_id = Some(text(name, value)?),
                "client_secret" => client_secret = Some(Secret::new(text(name, value)?)),
                "crid" => {
                    let lens: Vec<usize> = (2..=18).collect();
                    crid = Some(digits(name, value, &lens, "must be the digits of a CRID")?)
                }
                "mid" => mid = Some(digits(name, value, &[6, 9], MID)?),
                "manifest_mid" => manifest_mid = Some(digits(name, value, &[6, 9], MID)?),
                "account_type" => {
                    account_type = Some(match text(name, value)?.as_str() {
                        "EPS" => "EPS",
                        "PERMIT" => "PERMIT",
                        _ => return Err(err("/account_type", "must be EPS or PERMIT")),
                    })
                }
                "account_number" => account_number = Some(text(name, value)?),
                "permit_number" => permit_number = Some(text(name, value)?),
                "permit_zip" => {
                    permit_zip = Some(digits(name, value, &[5], "must be a 5-digit ZIP Code")?)
                }
                "price_type" => {
                    let p = text(name, value)?;
                    price_type = PRICE_TYPES.into_iter().find(|t| *t == p).ok_or_else(|| {
                        err("/price_type", "must be RETAIL, COMMERCIAL or CONTRACT")
                    })?;
                }
                "requests_per_hour" => requests_per_hour = count(name, value)?,
                "burst" => burst = count(name, value)?,
                other => {
                    return Err(err(
                        &format!("/{other}"),
                        "unknown field; a USPS account takes client_id, client_secret, crid, mid, \
                         manifest_mid, account_type, account_number, permit_number, permit_zip, \
                         price_type, requests_per_hour, burst",
                    ));
                }
            }
        }
        let payment = match account_type.unwrap_or("EPS") {
            "PERMIT" => Payment::Permit {
                number: required(permit_number, "permit_number")?,
                zip: required(permit_zip, "permit_zip")?,
            },
            _ => Payment::Eps {
                account_number: required(account_number, "account_number")?,
            },
        };
        let mid = required(mid, "mid")?;
        Ok(Account {
            client_id: required(client_id, "client_id")?,
            client_secret: client_secret.ok_or_else(|| err("/client_secret", "is required"))?,
            crid: required(crid, "crid")?,
            manifest_mid: manifest_mid.unwrap_or_else(|| mid.clone()),
            mid,
            payment,
            price_type,
            requests_per_hour,
            burst,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({"client_id": "app-1", "client_secret": "s3cr3t-value", "crid": "12345678",
               "mid": "123456", "account_number": "1000000000"})
    }

    #[test]
    fn minimal_account_pays_by_eps_at_commercial_prices_within_the_hourly_quota() {
        let a = Account::from_json(&minimal()).unwrap();
        assert_eq!(a.manifest_mid, "123456");
        assert_eq!(
            a.payment,
            Payment::Eps {
                account_number: "1000000000".into()
            }
        );
        assert_eq!(a.price_type, "COMMERCIAL");
        assert!(a.requests_per_hour + a.burst <= 60);
    }

    #[test]
    fn permit_accounts_need_number_and_zip() {
        let mut v = minimal();
        v["account_type"] = json!("PERMIT");
        v["permit_number"] = json!("123456789");
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/permit_zip");
        v["permit_zip"] = json!("12345");
        assert!(matches!(
            Account::from_json(&v).unwrap().payment,
            Payment::Permit { .. }
        ));
    }

    #[test]
    fn missing_unknown_and_invalid_fields_are_named() {
        for missing in [
            "client_id",
            "client_secret",
            "crid",
            "mid",
            "account_number",
        ] {
            let mut v = minimal();
            v.as_object_mut().unwrap().remove(missing);
            assert_eq!(
                Account::from_json(&v).unwrap_err().field,
                format!("/{missing}")
            );
        }
        for (field, bad) in [
            ("mid", json!("12345")),
            ("manifest_mid", json!("ABCDEF")),
            ("crid", json!("X1")),
            ("price_type", json!("CHEAP")),
            ("account_type", json!("METER")),
            ("requests_per_hour", json!(0)),
            ("api_key", json!("x")),
        ] {
            let mut v = minimal();
            v[field] = bad;
            assert_eq!(
                Account::from_json(&v).unwrap_err().field,
                format!("/{field}")
            );
        }
        assert_eq!(Account::from_json(&json!([])).unwrap_err().field, "");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let shown = format!("{:?}", Account::from_json(&minimal()).unwrap());
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("Secret(***)"));
    }
}
