//! Address validation: the carrier's verdict on an address (standardized form,
//! residential/commercial, candidates, reason codes), asked through the call layer of one
//! account and kept per tenant for a configurable time, because addresses repeat (the same
//! customers, the same warehouses).
//!
//! Which account validates: the one named (`carrier_account`), which must be the tenant's and
//! of a carrier that declares `address_validation`; else the tenant's oldest account (by
//! creation, then id) whose carrier declares it. Without one, a 422 on `/carrier_account`.
//!
//! The cache key is a SHA-256 of the validating account and the normalized address: street
//! lines, city, district, state, postal code (each trimmed, inner spaces collapsed, upper
//! case), country, and whether a company is given (carriers classify on it). The name, phone,
//! e-mail and `residential` flag are not in it: a hit answers the same verdict with the asker's
//! own name, company, phone and e-mail put back into the standardized address and candidates.

use serde::Serialize;
use sha2::{Digest, Sha256};
use shiphub_carriers::model::{Address, AddressCheck};
use shiphub_carriers::{Capability, CarrierError};
use time::OffsetDateTime;

use crate::error::Error;
use crate::ids::{AccountId, TenantId};
use crate::state::AppState;
use crate::store::AccountRecord;

pub mod settings;
pub use settings::{DEFAULT_CACHE_TTL, Settings};

/// A verdict and where it came from.
pub struct Verified {
    pub check: AddressCheck,
    pub account: AccountId,
    pub carrier: String,
    /// Answered from the tenant's cache rather than by the carrier just now.
    pub cached: bool,
    /// When the carrier gave the verdict.
    pub checked_at: OffsetDateTime,
}

/// The verdict on `address` from the account named (`account`, as given; errors point at
/// `account_field`) or, when none is, the tenant's first account that validates addresses.
pub async fn verify(
    app: &AppState,
    tenant: &TenantId,
    address: &Address,
    account: Option<&str>,
    account_field: &str,
) -> Result<Verified, Error> {
    let account = validating_account(app, tenant, account, account_field).await?;
    let key = cache_key(&account.id, address);
    let ttl = app.addresses.cache_ttl;
    // In whole milliseconds, as the store keeps it: a cached answer shows the same time.
    let now = OffsetDateTime::now_utc();
    let now = now
        .replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .expect("a whole millisecond is a valid nanosecond");
    if !ttl.is_zero()
        && let Some(kept) = app.store.get_address_check(tenant, &key, now - ttl).await?
    {
        match serde_json::from_str::<AddressCheck>(&kept.answer) {
            Ok(check) => {
                metrics::counter!("shiphub_address_checks_total", "carrier" => account.carrier.clone(), "source" => "cache")
                    .increment(1);
                return Ok(Verified {
                    check: as_asked(check, address),
                    account: account.id,
                    carrier: account.carrier,
                    cached: true,
                    checked_at: kept.checked_at,
                });
            }
            // A row of an older format: asked again and replaced below.
            Err(e) => tracing::warn!(error = %e, "unreadable cached address check"),
        }
    }
    let adapter = app
        .carriers
        .adapter(&app.store, tenant, &account, &app.master_key)
        .await?;
    let check = app
        .calls
        .verify_address(&account.id, adapter.as_ref(), address)
        .await
        .map_err(|e| at_field(e, account_field))?;
    metrics::counter!("shiphub_address_checks_total", "carrier" => account.carrier.clone(), "source" => "carrier")
        .increment(1);
    if !ttl.is_zero() {
        let answer = serde_json::to_string(&check).expect("address checks serialize");
        app.store
            .put_address_check(tenant, &key, account.id.as_str(), &answer, now)
            .await?;
    }
    Ok(Verified {
        check,
        account: account.id,
        carrier: account.carrier,
        cached: false,
        checked_at: now,
    })
}

/// An `Unsupported` from the carrier is about the account chosen, not the address.
fn at_field(e: CarrierError, account_field: &str) -> Error {
    match e {
        CarrierError::Unsupported { .. } => Error::field(account_field, e.to_string()),
        other => other.into(),
    }
}

async fn validating_account(
    app: &AppState,
    tenant: &TenantId,
    named: Option<&str>,
    field: &str,
) -> Result<AccountRecord, Error> {
    let validates = |a: &AccountRecord| {
        app.carriers
            .entry(&a.carrier)
            .is_some_and(|e| e.capabilities.supports(Capability::AddressValidation))
    };
    if let Some(named) = named {
        let (account, _) = crate::accounts::named(app, tenant, named, field).await?;
        if !validates(&account) {
            return Err(Error::field(
                field,
                format!("{} does not validate addresses", account.carrier),
            ));
        }
        return Ok(account);
    }
    let mut accounts = app.store.list_accounts(tenant).await?;
    accounts.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
    accounts.into_iter().find(validates).ok_or_else(|| {
        Error::field(
            field,
            "no carrier account that validates addresses; name one or add one whose carrier does",
        )
    })
}

/// What an address is keyed by: the validating account and the normalized location.
pub fn cache_key(account: &AccountId, a: &Address) -> String {
    #[derive(Serialize)]
    struct Normal<'a> {
        account: &'a str,
        street: Vec<String>,
        city: String,
        district: Option<String>,
        state: Option<String>,
        postal_code: Option<String>,
        country: &'a str,
        company: bool,
    }
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase()
    };
    let normal = Normal {
        account: account.as_str(),
        street: a.street.iter().map(|l| norm(l)).collect(),
        city: norm(&a.city),
        district: a.district.as_deref().map(norm),
        state: a.state.as_deref().map(norm),
        postal_code: a.postal_code.as_deref().map(norm),
        country: a.country.as_str(),
        company: a.company.is_some(),
    };
    let json = serde_json::to_vec(&normal).expect("a normal address serializes");
    hex::encode(Sha256::digest(json))
}

/// A kept verdict with the asker's own contact fields in its addresses.
fn as_asked(mut check: AddressCheck, asked: &Address) -> AddressCheck {
    let put_back = |a: &mut Address| {
        a.name = asked.name.clone();
        a.company = asked.company.clone();
        a.phone = asked.phone.clone();
        a.email = asked.email.clone();
    };
    if let Some(a) = check.address.as_mut() {
        put_back(a);
    }
    check.candidates.iter_mut().for_each(put_back);
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn addr(v: serde_json::Value) -> Address {
        let mut base = json!({"name": "Receiver", "street": ["1 Market St"],
            "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US"});
        for (k, val) in v.as_object().unwrap() {
            base[k] = val.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn the_key_ignores_case_spacing_and_contact_but_not_place_company_or_account() {
        let acc = AccountId::generate();
        let k = cache_key(&acc, &addr(json!({})));
        let same = addr(
            json!({"name": "Someone Else", "street": ["  1  market st "],
            "city": "san francisco", "phone": "+14155550100", "residential": true}),
        );
        assert_eq!(cache_key(&acc, &same), k);
        assert_ne!(
            cache_key(&acc, &addr(json!({"street": ["2 Market St"]}))),
            k
        );
        assert_ne!(cache_key(&acc, &addr(json!({"postal_code": "94107"}))), k);
        assert_ne!(cache_key(&acc, &addr(json!({"company": "Acme"}))), k);
        assert_ne!(cache_key(&AccountId::generate(), &addr(json!({}))), k);
    }

    #[test]
    fn a_kept_verdict_answers_with_the_askers_contact_fields() {
        let kept: AddressCheck = serde_json::from_value(json!({
            "verdict": "deliverable", "classification": "residential",
            "address": {"name": "First Asker", "street": ["1 MARKET ST"], "city": "SAN FRANCISCO",
                "state": "CA", "postal_code": "94105", "country": "US", "phone": "+14155550100"},
            "candidates": [{"name": "First Asker", "street": ["1 MARKET ST N"],
                "city": "SAN FRANCISCO", "state": "CA", "postal_code": "94105", "country": "US"}]
        }))
        .unwrap();
        let asked = addr(json!({"name": "Second", "email": "s@example.com"}));
        let c = as_asked(kept, &asked);
        let a = c.address.unwrap();
        assert_eq!((a.name.as_str(), a.phone.as_deref()), ("Second", None));
        assert_eq!(a.email.as_deref(), Some("s@example.com"));
        assert_eq!(a.street, ["1 MARKET ST"]);
        assert_eq!(c.candidates[0].name, "Second");
    }
}
