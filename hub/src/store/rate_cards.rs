//! Rate card versions (TOML text, validated by the API before it gets here).

use sqlx::Row;
use time::OffsetDateTime;

use super::{Result, Store, from_millis, millis};
use crate::ids::TenantId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateCardVersion {
    pub name: String,
    /// ISO date the version takes effect (the key of a version within a card).
    pub valid_from: String,
    pub body: String,
    pub updated_at: OffsetDateTime,
}

impl Store {
    /// Stores a version of a card, replacing the version with the same `valid_from`.
    /// Returns true when the version is new.
    pub async fn put_rate_card(
        &self,
        tenant: &TenantId,
        name: &str,
        valid_from: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let existed = sqlx::query(
            "SELECT 1 AS x FROM rate_cards WHERE tenant_id = $1 AND name = $2 AND valid_from = $3",
        )
        .bind(tenant.as_str())
        .bind(name)
        .bind(valid_from)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        sqlx::query(
            "INSERT INTO rate_cards (tenant_id, name, valid_from, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, name, valid_from) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(name)
        .bind(valid_from)
        .bind(body)
        .bind(millis(now))
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(!existed)
    }

    /// Every version of one card, oldest first.
    pub async fn rate_card_versions(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Vec<RateCardVersion>> {
        let rows = sqlx::query(
            "SELECT name, valid_from, body, updated_at FROM rate_cards \
             WHERE tenant_id = $1 AND name = $2 ORDER BY valid_from",
        )
        .bind(tenant.as_str())
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Every version of every card of the tenant, by name then date.
    pub async fn list_rate_cards(&self, tenant: &TenantId) -> Result<Vec<RateCardVersion>> {
        let rows = sqlx::query(
            "SELECT name, valid_from, body, updated_at FROM rate_cards \
             WHERE tenant_id = $1 ORDER BY name, valid_from",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from_row).collect()
    }
}

fn version_from_row(r: &sqlx::any::AnyRow) -> Result<RateCardVersion> {
    Ok(RateCardVersion {
        name: r.try_get("name")?,
        valid_from: r.try_get("valid_from")?,
        body: r.try_get("body")?,
        updated_at: from_millis(r.try_get("updated_at")?),
    })
}
