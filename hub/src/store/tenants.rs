//! Tenants and their API keys (stored by SHA-256, never in clear).

use sqlx::Row;
use time::OffsetDateTime;

use super::{Result, Store, from_millis, millis};
use crate::ids::{ApiKeyId, TenantId};

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_at: OffsetDateTime,
}

/// A key's own request limit; `None` fields fall back to the server's defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyLimit {
    pub rate: Option<u32>,
    pub burst: Option<u32>,
}

impl Store {
    pub async fn create_tenant(&self, name: &str, now: OffsetDateTime) -> Result<Tenant> {
        let id = TenantId::generate();
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(name)
            .bind(millis(now))
            .execute(&self.writer)
            .await?;
        Ok(Tenant {
            id,
            name: name.to_string(),
            created_at: now,
        })
    }

    pub async fn tenant_by_name(&self, name: &str) -> Result<Option<Tenant>> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Tenant {
                id: TenantId::from_db(r.try_get("id")?),
                name: r.try_get("name")?,
                created_at: from_millis(r.try_get("created_at")?),
            })
        })
        .transpose()
    }

    /// A tenant's name (what its people log in with).
    pub async fn tenant_name(&self, id: &TenantId) -> Result<Option<String>> {
        let row = sqlx::query("SELECT name FROM tenants WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get("name")?)).transpose()
    }

    /// The tenant, when the store has exactly one (CLI defaults).
    pub async fn only_tenant(&self) -> Result<Option<TenantId>> {
        let rows = sqlx::query("SELECT id FROM tenants ORDER BY id LIMIT 2")
            .fetch_all(&self.pool)
            .await?;
        Ok(match rows.as_slice() {
            [one] => Some(TenantId::from_db(one.try_get("id")?)),
            _ => None,
        })
    }

    pub async fn tenant_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM tenants")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    pub async fn insert_api_key(
        &self,
        tenant: &TenantId,
        key_hash: &str,
        prefix: &str,
        now: OffsetDateTime,
    ) -> Result<ApiKeyId> {
        let id = ApiKeyId::generate();
        sqlx::query("INSERT INTO api_keys (id, tenant_id, key_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.as_str())
            .bind(tenant.as_str())
            .bind(key_hash)
            .bind(prefix)
            .bind(millis(now))
            .execute(&self.writer)
            .await?;
        Ok(id)
    }

    /// The tenant an unrevoked key belongs to. The lookup is by the key's SHA-256, never the key.
    #[tracing::instrument(name = "store.tenant_for_key", skip_all, fields(db.system = self.db_system()))]
    pub async fn tenant_for_key(&self, key_hash: &str) -> Result<Option<TenantId>> {
        let row = sqlx::query(
            "SELECT tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get("tenant_id"))
            .transpose()?
            .map(TenantId::from_db))
    }

    /// A key's own request limit (`rate`, `burst`), when one was set for it; `None` when the
    /// key is unknown or revoked.
    pub async fn key_limit(&self, key_hash: &str) -> Result<Option<KeyLimit>> {
        let row = sqlx::query(
            "SELECT rate_limit, rate_burst FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let get = |c: &str| -> Result<Option<u32>> {
            Ok(r.try_get::<Option<i64>, _>(c)?
                .map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX)))
        };
        Ok(Some(KeyLimit {
            rate: get("rate_limit")?,
            burst: get("rate_burst")?,
        }))
    }

    /// Sets (or with `None`s, clears) the request limit of the unrevoked keys starting with
    /// `prefix`; returns how many keys it applied to.
    pub async fn set_key_limit(&self, prefix: &str, limit: KeyLimit) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE api_keys SET rate_limit = $1, rate_burst = $2 WHERE prefix = $3 AND revoked_at IS NULL",
        )
        .bind(limit.rate.map(i64::from))
        .bind(limit.burst.map(i64::from))
        .bind(prefix)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}
