//! The sandbox account config: `{}`, `{"step_seconds": N}` and/or `{"requests_per_second": N}`. Parsed by hand rather than with
//! serde so that every complaint names its field as a JSON pointer (`/step_seconds`).

use serde_json::Value;

use crate::registry::AccountError;

/// Seconds between two scripted tracking steps when the account does not say.
const DEFAULT_STEP_SECONDS: u32 = 60;
/// One week: a longer step would leave a demo parcel without scans for longer than any
/// tracker is expected to wait.
const MAX_STEP_SECONDS: u32 = 7 * 24 * 3600;

/// A sandbox account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Seconds between two scripted tracking steps at most (1 to 604800): the pace at which
    /// a journey is played back; a step the journey reaches sooner is reported then
    /// (`track.rs`).
    pub step_seconds: u32,
    /// A request quota to try the hub's quota handling with, as if the sandbox were a real
    /// carrier's API (burst 1); `None`: only the runaway guard (`offline::LIMITS`).
    pub requests_per_second: Option<u32>,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            step_seconds: DEFAULT_STEP_SECONDS,
            requests_per_second: None,
        }
    }
}

impl Account {
    /// Parses the stored config. `null` counts as `{}`: a sandbox account has no credentials,
    /// and a hub that stores none should not have to invent an empty object.
    pub fn from_json(config: &Value) -> Result<Self, AccountError> {
        let err = |field: &str, message: &str| AccountError {
            field: field.to_string(),
            message: message.to_string(),
        };
        let fields = match config {
            Value::Null => return Ok(Self::default()),
            Value::Object(fields) => fields,
            _ => return Err(err("", "the sandbox account config must be a JSON object")),
        };
        let mut account = Self::default();
        for (name, value) in fields {
            match name.as_str() {
                "step_seconds" => {
                    account.step_seconds = value
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| (1..=MAX_STEP_SECONDS).contains(n))
                        .ok_or_else(|| {
                            err(
                                "/step_seconds",
                                "must be a whole number of seconds from 1 to 604800",
                            )
                        })?;
                }
                "requests_per_second" => {
                    account.requests_per_second = Some(
                        value
                            .as_u64()
                            .and_then(|n| u32::try_from(n).ok())
                            .filter(|n| *n > 0)
                            .ok_or_else(|| {
                                err("/requests_per_second", "must be a whole number above zero")
                            })?,
                    );
                }
                other => {
                    return Err(err(
                        &format!("/{other}"),
                        "unknown field; the sandbox account accepts only `step_seconds` and `requests_per_second`",
                    ));
                }
            }
        }
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_quota_is_optional_and_above_zero() {
        assert_eq!(Account::default().requests_per_second, None);
        let a = Account::from_json(&json!({"requests_per_second": 1})).unwrap();
        assert_eq!(a.requests_per_second, Some(1));
        let e = Account::from_json(&json!({"requests_per_second": 0})).unwrap_err();
        assert_eq!(e.field, "/requests_per_second");
    }

    #[test]
    fn empty_and_null_configs_use_a_60_second_step() {
        assert_eq!(Account::from_json(&json!({})).unwrap().step_seconds, 60);
        assert_eq!(Account::from_json(&Value::Null).unwrap().step_seconds, 60);
    }

    #[test]
    fn step_seconds_is_read() {
        let a = Account::from_json(&json!({"step_seconds": 5})).unwrap();
        assert_eq!(a.step_seconds, 5);
    }

    #[test]
    fn unknown_field_is_rejected_by_name() {
        let e = Account::from_json(&json!({"api_key": "x"})).unwrap_err();
        assert_eq!(e.field, "/api_key");
    }

    #[test]
    fn invalid_step_seconds_is_rejected_by_name() {
        for bad in [
            json!(0),
            json!(-5),
            json!(1.5),
            json!("60"),
            json!(null),
            json!(604801),
        ] {
            let e = Account::from_json(&json!({ "step_seconds": bad })).unwrap_err();
            assert_eq!(e.field, "/step_seconds", "{bad}");
        }
    }

    #[test]
    fn non_object_config_is_rejected() {
        assert_eq!(Account::from_json(&json!([1])).unwrap_err().field, "");
    }
}
