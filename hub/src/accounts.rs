//! A tenant's carrier accounts: a new account is checked (known carrier, host under the target
//! policy, an adapter that builds from its credentials), its credentials encrypted, and trackers
//! waiting for an account of its carrier attached to it; a removed account leaves the caches.

use time::OffsetDateTime;

use crate::crypto::aad;
use crate::error::Error;
use crate::ids::{AccountId, TenantId};
use crate::state::AppState;
use crate::store::{AccountRecord, IdemCompletion};

/// An account as asked for (errors point at these fields by name).
pub struct NewAccount {
    pub carrier: String,
    pub name: String,
    pub base_url: Option<url::Url>,
    pub credentials: Option<serde_json::Value>,
    /// `table_rate` accounts: the card name(s), kept as `credentials.rate_card`.
    pub rate_card: Option<serde_json::Value>,
}

/// The record of a new account, checked and with its credentials encrypted; not stored yet.
pub async fn prepare(
    app: &AppState,
    tenant: &TenantId,
    new: NewAccount,
) -> Result<AccountRecord, Error> {
    let entry = app.carriers.entry(&new.carrier).ok_or_else(|| {
        let known: Vec<_> = app
            .carriers
            .entries
            .iter()
            .map(|e| e.code.to_string())
            .collect();
        Error::field(
            "/carrier",
            format!(
                "unknown carrier `{}`; known: {}",
                new.carrier,
                known.join(", ")
            ),
        )
    })?;
    if new.name.trim().is_empty() {
        return Err(Error::field("/name", "must not be empty"));
    }
    if entry.needs_base_url && new.base_url.is_none() {
        return Err(Error::field(
            "/base_url",
            format!("{} accounts need the carrier host", entry.code),
        ));
    }
    let mut credentials = new.credentials.unwrap_or_else(|| serde_json::json!({}));
    if let Some(card) = new.rate_card {
        match credentials.as_object_mut() {
            Some(map) => {
                map.insert("rate_card".into(), card);
            }
            None => return Err(Error::field("/credentials", "must be an object")),
        }
    }
    app.carriers
        .check(
            &app.store,
            tenant,
            entry,
            credentials.clone(),
            new.base_url.clone(),
        )
        .await?;
    let id = AccountId::generate();
    let (nonce, secret) = app.master_key.encrypt(
        &aad(tenant, &id),
        &serde_json::to_vec(&credentials).expect("JSON serializes"),
    );
    Ok(AccountRecord {
        id,
        carrier: entry.code.to_string(),
        name: new.name.trim().to_string(),
        base_url: new.base_url.map(|u| u.to_string()),
        secret_nonce: nonce,
        secret,
        created_at: OffsetDateTime::now_utc(),
    })
}

/// Stores a prepared account (with the answer kept for its idempotency key in the same
/// transaction); trackers that waited for an account of its carrier start being polled.
pub async fn add(
    app: &AppState,
    tenant: &TenantId,
    record: &AccountRecord,
    idem: Option<&IdemCompletion>,
) -> Result<(), Error> {
    app.store.insert_account(tenant, record, idem).await?;
    app.account_cache.invalidate(tenant);
    let attached = app
        .store
        .attach_waiting_trackers(
            tenant,
            &record.carrier,
            &record.id,
            OffsetDateTime::now_utc(),
        )
        .await?;
    if attached > 0 {
        tracing::info!(
            attached,
            carrier = %record.carrier,
            "waiting trackers attached to the new account"
        );
    }
    Ok(())
}

/// Removes an account (its shipments stay readable) and forgets its adapter and call limits.
pub async fn remove(app: &AppState, tenant: &TenantId, id: &str) -> Result<(), Error> {
    let id = AccountId::parse(id).ok_or(Error::NotFound("carrier account"))?;
    if !app
        .store
        .delete_account(tenant, &id, OffsetDateTime::now_utc())
        .await?
    {
        return Err(Error::NotFound("carrier account"));
    }
    app.account_cache.invalidate(tenant);
    app.carriers.forget(&id);
    app.calls.forget(&id);
    Ok(())
}

/// The tenant's account a request names at `field` (`/carrier_account`), with its carrier's
/// registry entry: a 422 on `field` when the id is malformed or not the tenant's.
pub async fn named(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
    field: &str,
) -> Result<(AccountRecord, &'static shiphub_carriers::CarrierEntry), Error> {
    let account_id =
        AccountId::parse(id).ok_or_else(|| Error::field(field, "not a carrier account id"))?;
    let account = app
        .store
        .get_account(tenant, &account_id)
        .await?
        .ok_or_else(|| Error::field(field, "no such carrier account"))?;
    let entry = app
        .carriers
        .entry(&account.carrier)
        .ok_or_else(|| Error::Internal(format!("unknown carrier {}", account.carrier)))?;
    Ok((account, entry))
}

/// Tests an account's credentials with the cheapest call that needs them: a rate for a sample
/// parcel where the carrier rates (an adapter fetches its token first), else the networks of a
/// sample number, else tracking it. Goes through the call layer like every call (the
/// account's quota, retries, breaker). The carrier and the call made, or the carrier's error.
pub async fn test(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
) -> Result<(String, &'static str), Error> {
    use shiphub_carriers::Capability;
    let account_id = AccountId::parse(id).ok_or(Error::NotFound("carrier account"))?;
    let account = app
        .store
        .get_account(tenant, &account_id)
        .await?
        .ok_or(Error::NotFound("carrier account"))?;
    let carrier = app
        .carriers
        .adapter(&app.store, tenant, &account, &app.master_key)
        .await?;
    let caps = carrier.capabilities();
    let number = |n: &str| -> Result<shiphub_carriers::model::TrackingNumber, Error> {
        n.parse()
            .map_err(|_| Error::Internal("sample tracking number".into()))
    };
    let call = if caps.supports(Capability::Rate) {
        let req = serde_json::from_value(sample_rate(&account.carrier))
            .map_err(|e| Error::Internal(format!("sample rate request: {e}")))?;
        app.calls.rate(&account.id, carrier.as_ref(), &req).await?;
        "rate"
    } else if caps.supports(Capability::Identify) {
        app.calls
            .identify(&account.id, carrier.as_ref(), &number("SF1234567890123")?)
            .await?;
        "identify"
    } else {
        let q = shiphub_carriers::model::TrackQuery::new(number("1Z999AA10123456784")?, None);
        app.calls
            .track(&account.id, carrier.as_ref(), std::slice::from_ref(&q))
            .await?;
        "track"
    };
    Ok((account.carrier, call))
}

/// A parcel on a lane the carrier serves: within China for the Chinese carriers, within the US
/// for the others (the carrier's answer, not its price, is what a test needs).
fn sample_rate(carrier: &str) -> serde_json::Value {
    let (from, to) = match carrier {
        "sf_express" | "yunexpress" | "kuaidi100" => (
            serde_json::json!({"name":"Shipper","street":["1 Keji Rd"],"city":"Shenzhen","state":"GD","postal_code":"518057","country":"CN","phone":"+8613800000000"}),
            serde_json::json!({"name":"Receiver","street":["1 Nanjing Rd"],"city":"Shanghai","state":"SH","postal_code":"200001","country":"CN","phone":"+8613900000000"}),
        ),
        _ => (
            serde_json::json!({"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"}),
            serde_json::json!({"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","phone":"+14155550100"}),
        ),
    };
    serde_json::json!({"from": from, "to": to,
        "parcels":[{"weight":{"value":"1","unit":"kg"},"dimensions":{"length":"20","width":"15","height":"10","unit":"cm"}}]})
}
