//! The SF Express (丰桥 std/service) account config. Parsed by hand so every complaint names
//! its field as a JSON pointer and the checkword never reaches a `Debug` or error message. The
//! host comes from `CarrierHttp.base_url` (`https://sfapi-sbox.sf-express.com` sandbox,
//! `https://sfapi.sf-express.com` production, or a simulator).
//!
//! ```json
//! {"partner_id": "SHIPHUB_TEST",        // 顾客编码 (partnerID / clientCode)
//!  "checkword": "…",                     // 校验码: the msgDigest secret
//!  "monthly_card": "7551234567",         // 月结卡号: the account billed
//!  "template_code": "fm_150_standard_SHIPHUB",   // optional: cloud-print template
//!  "push_secret": "…",                   // optional: the key route pushes are signed with
//!  "requests_per_second": 30, "burst": 30}       // optional quota
//! ```

use serde_json::Value;

use crate::http::Secret;
use crate::registry::AccountError;
use crate::registry::config::{count, err, required, text};

/// SF's platform limits each API to 30 calls a second and 3000 a day per account (`A1005`
/// "flow controlled" above that: SOURCES.md); an account can lower the rate.
const DEFAULT_REQUESTS_PER_SECOND: u32 = 30;
const DEFAULT_BURST: u32 = 30;
/// Calls a day per API: the tracking scheduler spends it on routes.
pub(super) const DAILY_CALLS_PER_API: u32 = 3000;

/// One SF Express API account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// 顾客编码: `partnerID` of every call.
    pub(super) partner_id: String,
    /// 校验码: the key of `msgDigest`.
    pub(super) checkword: Secret,
    /// 月结卡号: `monthlyCard`, the account SF bills.
    pub(super) monthly_card: String,
    /// The cloud-print template (`templateCode`); without one SF prints no label for us and
    /// the hub renders its own e-waybill.
    pub(super) template_code: Option<String>,
    pub(super) requests_per_second: u32,
    pub(super) burst: u32,
}

impl Account {
    /// Parses the stored config; unknown and missing fields are named.
    pub(super) fn from_json(config: &Value) -> Result<Self, AccountError> {
        let Value::Object(fields) = config else {
            return Err(err(
                "",
                "the SF Express account config must be a JSON object",
            ));
        };
        let (mut partner_id, mut checkword, mut monthly_card) = (None, None, None);
        let mut template_code = None;
        let mut requests_per_second = DEFAULT_REQUESTS_PER_SECOND;
        let mut burst = DEFAULT_BURST;
        for (name, value) in fields {
            match name.as_str() {
                "partner_id" => {
                    let p = text(name, value)?;
                    // partnerID: String(64) in SF's public-parameter table.
                    if p.len() > 64 {
                        return Err(err("/partner_id", "must be at most 64 characters"));
                    }
                    partner_id = Some(p);
                }
                "checkword" => checkword = Some(Secret::new(text(name, value)?)),
                "monthly_card" => {
                    let c = text(name, value)?;
                    if c.len() > 20 || !c.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(err(
                            "/monthly_card",
                            "must be an SF monthly account number (月结卡号, digits only)",
                        ));
                    }
                    monthly_card = Some(c);
                }
                "template_code" => template_code = Some(text(name, value)?),
                // Read by the hub's push endpoint, not by the adapter.
                "push_secret" => {
                    text(name, value)?;
                }
                "requests_per_second" => requests_per_second = count(name, value)?,
                "burst" => burst = count(name, value)?,
                other => {
                    return Err(err(
                        &format!("/{other}"),
                        "is not an SF Express account setting (partner_id, checkword, monthly_card, template_code, push_secret, requests_per_second, burst)",
                    ));
                }
            }
        }
        Ok(Account {
            partner_id: required(partner_id, "partner_id")?,
            checkword: required(checkword, "checkword")?,
            monthly_card: required(monthly_card, "monthly_card")?,
            template_code,
            requests_per_second,
            burst,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(v: Value) -> String {
        Account::from_json(&v).unwrap_err().field
    }

    #[test]
    fn a_full_config_reads_and_bad_ones_name_their_field() {
        let a = Account::from_json(&json!({"partner_id": "P1", "checkword": "cw",
            "monthly_card": "7551234567", "template_code": "fm_150_standard_X",
            "push_secret": "0123456789abcdef", "requests_per_second": 3, "burst": 4}))
        .unwrap();
        assert_eq!(a.monthly_card, "7551234567");
        assert_eq!(a.template_code.as_deref(), Some("fm_150_standard_X"));
        assert_eq!((a.requests_per_second, a.burst), (3, 4));
        assert!(!format!("{a:?}").contains("\"cw\""));
        let base = json!({"partner_id": "P1", "checkword": "cw", "monthly_card": "7551234567"});
        for (k, bad, want) in [
            ("partner_id", json!(""), "/partner_id"),
            ("checkword", json!(5), "/checkword"),
            ("monthly_card", json!("75-51"), "/monthly_card"),
            ("template_code", json!(" "), "/template_code"),
            ("burst", json!(0), "/burst"),
            ("colour", json!("red"), "/colour"),
        ] {
            let mut v = base.clone();
            v[k] = bad;
            assert_eq!(field(v), want, "{k}");
        }
        for k in ["partner_id", "checkword", "monthly_card"] {
            let mut v = base.clone();
            v.as_object_mut().unwrap().remove(k);
            assert_eq!(field(v), format!("/{k}"));
        }
        assert_eq!(field(json!([])), "");
    }
}
