//! Webhook endpoints: create, read, update, rotate the secret, delete.

use time::OffsetDateTime;

use super::{ENDPOINT_COLUMNS, EndpointRecord, endpoint_from_row, events_column};
use crate::ids::{TenantId, WebhookId};
use crate::store::{IdemCompletion, Result, Store, complete_idem, millis};

impl Store {
    pub async fn insert_endpoint(
        &self,
        tenant: &TenantId,
        e: &EndpointRecord,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, enabled, secret_nonce, secret, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.id.as_str())
        .bind(tenant.as_str())
        .bind(&e.url)
        .bind(e.description.as_deref())
        .bind(events_column(&e.events))
        .bind(i64::from(e.enabled))
        .bind(&e.secret.0)
        .bind(&e.secret.1)
        .bind(millis(e.created_at))
        .bind(millis(e.updated_at))
        .execute(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_endpoint(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
    ) -> Result<Option<EndpointRecord>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(endpoint_from_row).transpose()
    }

    pub async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<EndpointRecord>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// Writes the endpoint's editable fields (url, description, events, enabled state).
    pub async fn update_endpoint(&self, tenant: &TenantId, e: &EndpointRecord) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE webhook_endpoints SET url = $1, description = $2, events = $3, enabled = $4, \
             disabled_reason = $5, failing_since = $6, updated_at = $7 \
             WHERE tenant_id = $8 AND id = $9 AND deleted_at IS NULL",
        )
        .bind(&e.url)
        .bind(e.description.as_deref())
        .bind(events_column(&e.events))
        .bind(i64::from(e.enabled))
        .bind(e.disabled_reason.as_deref())
        .bind(e.failing_since.map(millis))
        .bind(millis(e.updated_at))
        .bind(tenant.as_str())
        .bind(e.id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Installs a new secret; the current one keeps signing until `old_expires_at`.
    pub async fn rotate_endpoint_secret(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        new_secret: &(Vec<u8>, Vec<u8>),
        old_expires_at: OffsetDateTime,
        now: OffsetDateTime,
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE webhook_endpoints SET old_secret_nonce = secret_nonce, old_secret = secret, \
             old_secret_expires_at = $1, secret_nonce = $2, secret = $3, updated_at = $4 \
             WHERE tenant_id = $5 AND id = $6 AND deleted_at IS NULL",
        )
        .bind(millis(old_expires_at))
        .bind(&new_secret.0)
        .bind(&new_secret.1)
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Soft delete; its pending deliveries are cancelled (their history stays listable).
    pub async fn delete_endpoint(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE webhook_endpoints SET deleted_at = $1, enabled = 0, updated_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND deleted_at IS NULL",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_token = NULL, \
             last_error = 'endpoint deleted', updated_at = $1 WHERE endpoint_id = $2 AND status = 'pending'",
        )
        .bind(millis(now))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
