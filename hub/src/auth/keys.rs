//! API keys: several per tenant, each named and scoped by a role, shown once, rotated (same
//! id, name and scope, a new secret) and revoked. A key's `last_used_at` is written at most
//! once a minute per key by each process, never once per request.

use time::OffsetDateTime;

use crate::crypto::{hash_api_key, new_api_key};
use crate::error::Error;
use crate::ids::{ApiKeyId, TenantId};
use crate::roles::Role;
use crate::state::AppState;
use crate::store::{ApiKeyRecord, IdemCompletion, KeyPrincipal};

/// Names are shown in lists; 1 to 100 characters.
pub fn check_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::field("/name", "must be 1 to 100 characters"));
    }
    Ok(name.to_string())
}

/// The key behind a Bearer token (cached briefly), `None` when unknown or revoked.
pub async fn principal(app: &AppState, token: &str) -> Result<Option<KeyPrincipal>, Error> {
    let hash = hash_api_key(token);
    if let Some(p) = app.key_cache.get(&hash) {
        return Ok(Some(p));
    }
    let Some(p) = app.store.key_principal(&hash).await? else {
        return Ok(None);
    };
    app.key_cache.put(hash, p.clone());
    Ok(Some(p))
}

/// Notes that `key` was used now, when its last note is a minute old (in the background: the
/// request does not wait for the write, and a failed write only leaves an older time).
pub fn touch(app: &AppState, key: &KeyPrincipal) {
    if !app.auth.key_touch_due(&key.key) {
        return;
    }
    let (store, key) = (app.store.clone(), key.clone());
    tokio::spawn(async move {
        if let Err(e) = store
            .touch_api_key(&key.tenant, &key.key, OffsetDateTime::now_utc())
            .await
        {
            tracing::warn!(key = %key.key, error = %e, "could not record the key's last use");
        }
    });
}

/// A new key's record and its secret (to show once).
pub fn issue(name: String, role: Role) -> (ApiKeyRecord, String, String) {
    let (secret, hash, prefix) = new_api_key();
    let record = ApiKeyRecord {
        id: ApiKeyId::generate(),
        name,
        role,
        prefix,
        created_at: OffsetDateTime::now_utc(),
        last_used_at: None,
        revoked_at: None,
    };
    (record, secret, hash)
}

pub async fn create(
    app: &AppState,
    tenant: &TenantId,
    record: &ApiKeyRecord,
    hash: &str,
    idem: Option<&IdemCompletion>,
) -> Result<(), Error> {
    app.store
        .insert_scoped_api_key(tenant, record, hash, idem)
        .await?;
    Ok(())
}

pub fn parse_id(id: &str) -> Result<ApiKeyId, Error> {
    ApiKeyId::parse(id).ok_or(Error::NotFound("API key"))
}

pub async fn get(app: &AppState, tenant: &TenantId, id: &str) -> Result<ApiKeyRecord, Error> {
    app.store
        .get_api_key(tenant, &parse_id(id)?)
        .await?
        .ok_or(Error::NotFound("API key"))
}

pub async fn list(app: &AppState, tenant: &TenantId) -> Result<Vec<ApiKeyRecord>, Error> {
    Ok(app.store.list_api_keys(tenant).await?)
}

/// A new secret for an unrevoked key; the old secret stops working at once (in this
/// process; other instances within their key cache's minute).
pub async fn rotate(
    app: &AppState,
    tenant: &TenantId,
    id: &ApiKeyId,
    hash: &str,
    prefix: &str,
    idem: Option<&IdemCompletion>,
) -> Result<ApiKeyRecord, Error> {
    let (record, old) = app
        .store
        .rotate_api_key(tenant, id, hash, prefix, idem)
        .await?
        .ok_or(Error::NotFound("API key"))?;
    app.key_cache.forget(&old);
    Ok(record)
}

pub async fn revoke(app: &AppState, tenant: &TenantId, id: &str) -> Result<(), Error> {
    let old = app
        .store
        .revoke_api_key(tenant, &parse_id(id)?, OffsetDateTime::now_utc())
        .await?
        .ok_or(Error::NotFound("API key"))?;
    app.key_cache.forget(&old);
    Ok(())
}
