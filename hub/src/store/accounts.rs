//! Carrier accounts: a tenant's credentials for one carrier, encrypted at rest.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{IdemCompletion, Result, Store, complete_idem, from_millis, millis};
use crate::ids::{AccountId, TenantId};

#[derive(Clone, Debug)]
pub struct AccountRecord {
    pub id: AccountId,
    pub carrier: String,
    pub name: String,
    pub base_url: Option<String>,
    /// AES-GCM nonce and ciphertext of the credentials JSON.
    pub secret_nonce: Vec<u8>,
    pub secret: Vec<u8>,
    pub created_at: OffsetDateTime,
}

impl Store {
    pub async fn insert_account(
        &self,
        tenant: &TenantId,
        a: &AccountRecord,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO carrier_accounts (id, tenant_id, carrier, name, base_url, secret_nonce, secret, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.id.as_str())
        .bind(tenant.as_str())
        .bind(&a.carrier)
        .bind(&a.name)
        .bind(a.base_url.as_deref())
        .bind(&a.secret_nonce)
        .bind(&a.secret)
        .bind(millis(a.created_at))
        .execute(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_accounts(&self, tenant: &TenantId) -> Result<Vec<AccountRecord>> {
        let rows = sqlx::query(
            "SELECT id, carrier, name, base_url, secret_nonce, secret, created_at FROM carrier_accounts \
             WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(account_from_row).collect()
    }

    pub async fn get_account(
        &self,
        tenant: &TenantId,
        id: &AccountId,
    ) -> Result<Option<AccountRecord>> {
        let row = sqlx::query(
            "SELECT id, carrier, name, base_url, secret_nonce, secret, created_at FROM carrier_accounts \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// An account by id alone, with its tenant: for carrier pushes, which name the account in
    /// their URL and prove themselves with the account's secret.
    pub async fn account_by_id(&self, id: &AccountId) -> Result<Option<(TenantId, AccountRecord)>> {
        let row = sqlx::query(
            "SELECT tenant_id, id, carrier, name, base_url, secret_nonce, secret, created_at FROM carrier_accounts \
             WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                TenantId::from_db(r.try_get("tenant_id")?),
                account_from_row(&r)?,
            ))
        })
        .transpose()
    }

    /// Soft delete: shipments keep pointing at the account they were bought on.
    pub async fn delete_account(
        &self,
        tenant: &TenantId,
        id: &AccountId,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE carrier_accounts SET deleted_at = $1 WHERE tenant_id = $2 AND id = $3 AND deleted_at IS NULL",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}

fn account_from_row(r: &AnyRow) -> Result<AccountRecord> {
    Ok(AccountRecord {
        id: AccountId::from_db(r.try_get("id")?),
        carrier: r.try_get("carrier")?,
        name: r.try_get("name")?,
        base_url: r.try_get("base_url")?,
        secret_nonce: r.try_get("secret_nonce")?,
        secret: r.try_get("secret")?,
        created_at: from_millis(r.try_get("created_at")?),
    })
}
