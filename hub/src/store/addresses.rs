//! The per-tenant cache of carriers' address verdicts (`POST /v1/addresses/verify`): one row
//! per validating account and normalized address, replaced when checked again.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Result, Store, from_millis, millis};
use crate::ids::TenantId;

/// A kept verdict: the carrier's answer as JSON and when it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedAddressCheck {
    pub answer: String,
    pub checked_at: OffsetDateTime,
}

impl Store {
    /// The verdict kept under `key` if it was given at or after `not_before`.
    pub async fn get_address_check(
        &self,
        tenant: &TenantId,
        key: &str,
        not_before: OffsetDateTime,
    ) -> Result<Option<CachedAddressCheck>> {
        let row = sqlx::query(
            "SELECT answer, checked_at FROM address_checks \
             WHERE tenant_id = $1 AND cache_key = $2 AND checked_at >= $3",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(millis(not_before))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(CachedAddressCheck {
                answer: r.try_get("answer")?,
                checked_at: from_millis(r.try_get("checked_at")?),
            })
        })
        .transpose()
    }

    /// Keeps a verdict under `key`, replacing an older one.
    pub async fn put_address_check(
        &self,
        tenant: &TenantId,
        key: &str,
        account: &str,
        answer: &str,
        checked_at: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO address_checks (tenant_id, cache_key, account_id, answer, checked_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, cache_key) \
             DO UPDATE SET account_id = excluded.account_id, answer = excluded.answer, \
             checked_at = excluded.checked_at",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(account)
        .bind(answer)
        .bind(millis(checked_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
