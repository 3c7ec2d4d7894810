//! The FedEx account config: the credentials of one FedEx developer project plus the account
//! number that pays. Parsed by hand (not serde) so that every complaint names its field as a
//! JSON pointer, and so that secrets never reach a `Debug` or error message. The base URL is
//! not part of it: it comes from `CarrierHttp.base_url`, which the hub stores beside the
//! credentials.
//!
//! ```json
//! {"api_key": "l7…", "secret_key": "…", "account_number": "740561073",
//!  "track_api_key": "…", "track_secret_key": "…",          // optional, both or neither
//!  "pickup_type": "DROPOFF_AT_FEDEX_LOCATION",               // optional
//!  "requests_per_second": 140, "burst": 1400}                // optional quota
//! ```

use serde_json::Value;

use crate::http::Secret;
use crate::registry::AccountError;
use crate::registry::config::{count, err, required, text};

/// One OAuth client of a FedEx project: the API key is FedEx's `client_id`, the secret key its
/// `client_secret`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// `client_id`; also the token cache key (with the base URL), so it is not secret.
    pub api_key: String,
    /// `client_secret`.
    pub secret_key: Secret,
}

/// Pickup types the Ship and Rate APIs accept (`Pickup Types` table, rows marked "Ship API",
/// in `../shared/carriers/fedex/reference/fedex-reference-tables.csv`).
const PICKUP_TYPES: &[&str] = &[
    "CONTACT_FEDEX_TO_SCHEDULE",
    "DROPOFF_AT_FEDEX_LOCATION",
    "USE_SCHEDULED_PICKUP",
];

/// FedEx's published project limit is 1,400 transactions per 10 seconds
/// (developer.fedex.com rate-limit guide): 140 per second sustained, the whole 1,400 as burst.
const DEFAULT_REQUESTS_PER_SECOND: u32 = 140;
const DEFAULT_BURST: u32 = 1400;

/// A FedEx account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Credentials for rate, ship and cancel.
    pub main: Credentials,
    /// Credentials for Track when it lives in a separate FedEx project (FedEx grants Track
    /// to its own project more often than not; Karrio keeps a separate track key for this).
    pub track: Option<Credentials>,
    /// The 9-digit account billed for shipments and used for account rates.
    pub account_number: String,
    /// How parcels reach FedEx; `DROPOFF_AT_FEDEX_LOCATION` unless the account says.
    pub pickup_type: String,
    /// Quota for the hub's governor.
    pub requests_per_second: u32,
    /// Burst above the sustained rate.
    pub burst: u32,
    /// The project's daily request quota, when the account says (FedEx sets it per project).
    pub requests_per_day: Option<u32>,
}

impl Account {
    /// The credentials Track calls use.
    pub fn track_credentials(&self) -> &Credentials {
        self.track.as_ref().unwrap_or(&self.main)
    }

    /// Parses the stored config; unknown and missing fields are named.
    pub fn from_json(config: &Value) -> Result<Self, AccountError> {
        let Value::Object(fields) = config else {
            return Err(err("", "the FedEx account config must be a JSON object"));
        };
        let mut api_key = None;
        let mut secret_key = None;
        let mut account_number = None;
        let mut track_api_key = None;
        let mut track_secret_key = None;
        let mut pickup_type = "DROPOFF_AT_FEDEX_LOCATION".to_string();
        let mut requests_per_second = DEFAULT_REQUESTS_PER_SECOND;
        let mut burst = DEFAULT_BURST;
        let mut requests_per_day = None;
        for (name, value) in fields {
            match name.as_str() {
                "api_key" => api_key = Some(text(name, value)?),
                "secret_key" => secret_key = Some(text(name, value)?),
                "account_number" => {
                    let n = text(name, value)?;
                    if !n.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(err(
                            "/account_number",
                            "must be the digits of a FedEx account number",
                        ));
                    }
                    account_number = Some(n);
                }
                "track_api_key" => track_api_key = Some(text(name, value)?),
                "track_secret_key" => track_secret_key = Some(text(name, value)?),
                "pickup_type" => {
                    let p = text(name, value)?;
                    if !PICKUP_TYPES.contains(&p.as_str()) {
                        return Err(err(
                            "/pickup_type",
                            "must be CONTACT_FEDEX_TO_SCHEDULE, DROPOFF_AT_FEDEX_LOCATION or USE_SCHEDULED_PICKUP",
                        ));
                    }
                    pickup_type = p;
                }
                "requests_per_second" => requests_per_second = count(name, value)?,
                "burst" => burst = count(name, value)?,
                "requests_per_day" => requests_per_day = Some(count(name, value)?),
                other => {
                    return Err(err(
                        &format!("/{other}"),
                        "unknown field; a FedEx account takes api_key, secret_key, account_number, \
                         track_api_key, track_secret_key, pickup_type, requests_per_second, burst, requests_per_day",
                    ));
                }
            }
        }
        let track = match (track_api_key, track_secret_key) {
            (Some(api_key), Some(secret)) => Some(Credentials {
                api_key,
                secret_key: Secret::new(secret),
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(err("/track_secret_key", "is required with track_api_key"));
            }
            (None, Some(_)) => {
                return Err(err("/track_api_key", "is required with track_secret_key"));
            }
        };
        Ok(Account {
            main: Credentials {
                api_key: required(api_key, "api_key")?,
                secret_key: Secret::new(required(secret_key, "secret_key")?),
            },
            track,
            account_number: required(account_number, "account_number")?,
            pickup_type,
            requests_per_second,
            burst,
            requests_per_day,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({"api_key": "key-1", "secret_key": "s3cr3t-value", "account_number": "740561073"})
    }

    #[test]
    fn minimal_account_uses_fedex_defaults() {
        let a = Account::from_json(&minimal()).unwrap();
        assert_eq!(a.main.api_key, "key-1");
        assert_eq!(a.main.secret_key.expose(), "s3cr3t-value");
        assert_eq!(a.account_number, "740561073");
        assert_eq!(a.pickup_type, "DROPOFF_AT_FEDEX_LOCATION");
        assert_eq!((a.requests_per_second, a.burst), (140, 1400));
        assert_eq!(a.requests_per_day, None);
        assert_eq!(a.track_credentials().api_key, "key-1");
        let mut daily = minimal();
        daily["requests_per_day"] = json!(100_000);
        assert_eq!(
            Account::from_json(&daily).unwrap().requests_per_day,
            Some(100_000)
        );
        daily["requests_per_day"] = json!(0);
        assert_eq!(
            Account::from_json(&daily).unwrap_err().field,
            "/requests_per_day"
        );
    }

    #[test]
    fn separate_track_credentials_are_used_for_track() {
        let mut v = minimal();
        v["track_api_key"] = json!("track-key");
        v["track_secret_key"] = json!("track-secret");
        let a = Account::from_json(&v).unwrap();
        assert_eq!(a.track_credentials().api_key, "track-key");
        v.as_object_mut().unwrap().remove("track_secret_key");
        assert_eq!(
            Account::from_json(&v).unwrap_err().field,
            "/track_secret_key"
        );
    }

    #[test]
    fn missing_unknown_and_invalid_fields_are_named() {
        for (missing, field) in [
            ("api_key", "/api_key"),
            ("secret_key", "/secret_key"),
            ("account_number", "/account_number"),
        ] {
            let mut v = minimal();
            v.as_object_mut().unwrap().remove(missing);
            assert_eq!(Account::from_json(&v).unwrap_err().field, field);
        }
        let mut v = minimal();
        v["client_id"] = json!("x");
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/client_id");
        let mut v = minimal();
        v["account_number"] = json!("ABC");
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/account_number");
        let mut v = minimal();
        v["pickup_type"] = json!("TELEPORT");
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/pickup_type");
        let mut v = minimal();
        v["burst"] = json!(0);
        assert_eq!(Account::from_json(&v).unwrap_err().field, "/burst");
        assert_eq!(Account::from_json(&json!("x")).unwrap_err().field, "");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut v = minimal();
        v["track_api_key"] = json!("track-key");
        v["track_secret_key"] = json!("track-secret-value");
        let shown = format!("{:?}", Account::from_json(&v).unwrap());
        assert!(
            !shown.contains("s3cr3t-value") && !shown.contains("track-secret-value"),
            "{shown}"
        );
        assert!(shown.contains("Secret(***)"));
    }
}
