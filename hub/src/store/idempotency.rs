//! Idempotency keys in the store: claiming a key under a lease, renewing it, recording how far
//! a buying request got, completing it with its answer (in the effect's own transaction),
//! releasing it, and claiming keys whose lease ran out so that some instance resolves them.
//! Every change to a started key is conditional on the instance that holds it (`owner`), so two
//! instances sharing one database never both act on a key: a recovery claim is one conditional
//! `UPDATE` (the database serialises it per row on SQLite and PostgreSQL alike).

use std::time::Duration;

use sqlx::Row;
use time::OffsetDateTime;

use super::{Result, Store, StoreError, millis};
use crate::ids::TenantId;

/// How long a claimed key stays this instance's without a renewal.
#[derive(Clone, Copy, Debug)]
pub struct IdempotencySettings {
    pub lease: Duration,
}

impl Default for IdempotencySettings {
    /// 30 s: renewed every 10 s, so a slow carrier call never loses its key, and a retry after
    /// a crash waits at most half a minute for its answer.
    fn default() -> Self {
        IdempotencySettings {
            lease: Duration::from_secs(30),
        }
    }
}

/// A finished idempotent request, written in the same transaction as its effect.
#[derive(Clone, Debug)]
pub struct IdemCompletion {
    pub key: String,
    /// The instance holding the key: the completion fails (and its transaction with it) when
    /// the key was taken over meanwhile.
    pub owner: String,
    pub status: u16,
    pub body: String,
}

/// A request claiming a key.
#[derive(Clone, Debug)]
pub struct IdemClaim<'a> {
    pub key: &'a str,
    /// Method and path, e.g. `POST /v1/shipments`.
    pub scope: &'a str,
    /// The request's canonical form, hashed.
    pub request_hash: &'a str,
    /// This instance.
    pub owner: &'a str,
    pub lease_until: OffsetDateTime,
}

/// What `idem_begin` found for a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdemBegin {
    /// The key is new; this request owns it.
    Started,
    /// The same request finished before: replay its answer.
    Replay { status: u16, body: String },
    /// The key was used on the same endpoint with a different body.
    Mismatch,
    /// The key was used on another endpoint (method and path).
    OtherScope { scope: String },
    /// The same request is still running; `expired` when its lease has run out (its instance
    /// died), so it may be recovered.
    InProgress { expired: bool },
}

/// A started key whose lease ran out, now claimed by this instance for recovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdemStuck {
    pub scope: Option<String>,
    /// `None` (the request reached no carrier), `sent` or `answered`.
    pub stage: Option<String>,
    pub progress: Option<String>,
}

impl Store {
    /// Claims `key` for a request, or reports what an earlier request with the same key left.
    #[tracing::instrument(name = "store.idem_begin", skip_all, fields(db.system = self.db_system(), tenant = %tenant, idempotency_key = claim.key))]
    pub async fn idem_begin(
        &self,
        tenant: &TenantId,
        claim: &IdemClaim<'_>,
        now: OffsetDateTime,
    ) -> Result<IdemBegin> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (tenant_id, key, request_hash, state, created_at, scope, owner, lease_until) \
             VALUES ($1, $2, $3, 'started', $4, $5, $6, $7) ON CONFLICT (tenant_id, key) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(claim.key)
        .bind(claim.request_hash)
        .bind(millis(now))
        .bind(claim.scope)
        .bind(claim.owner)
        .bind(millis(claim.lease_until));
        let inserted = self.write_one(inserted).await?;
        if inserted.rows_affected() == 1 {
            return Ok(IdemBegin::Started);
        }
        let row = sqlx::query(
            "SELECT request_hash, state, response_status, response_body, scope, lease_until \
             FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
        )
        .bind(tenant.as_str())
        .bind(claim.key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            // Released between our insert and select: the caller may try again.
            return Ok(IdemBegin::InProgress { expired: false });
        };
        let scope: Option<String> = row.try_get("scope")?;
        if let Some(scope) = scope.filter(|s| s != claim.scope) {
            return Ok(IdemBegin::OtherScope { scope });
        }
        let hash: String = row.try_get("request_hash")?;
        if hash != claim.request_hash {
            return Ok(IdemBegin::Mismatch);
        }
        let state: String = row.try_get("state")?;
        if state != "completed" {
            // Keys claimed before leases existed have none: treated as expired.
            let lease: Option<i64> = row.try_get("lease_until")?;
            return Ok(IdemBegin::InProgress {
                expired: lease.is_none_or(|l| l < millis(now)),
            });
        }
        let status: i64 = row.try_get("response_status")?;
        Ok(IdemBegin::Replay {
            status: u16::try_from(status)
                .map_err(|_| StoreError::Corrupt(format!("status {status}")))?,
            body: row.try_get("response_body")?,
        })
    }

    /// Extends the lease of a key this instance holds; false when it holds it no more.
    pub async fn idem_renew(
        &self,
        tenant: &TenantId,
        key: &str,
        owner: &str,
        lease_until: OffsetDateTime,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE idempotency_keys SET lease_until = $1 \
             WHERE tenant_id = $2 AND key = $3 AND state = 'started' AND owner = $4",
        )
        .bind(millis(lease_until))
        .bind(tenant.as_str())
        .bind(key)
        .bind(owner)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records how far a buying request got (`sent`, `answered`) with what recovery needs;
    /// false when this instance no longer holds the key.
    pub async fn idem_progress(
        &self,
        tenant: &TenantId,
        key: &str,
        owner: &str,
        stage: &str,
        progress: &str,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE idempotency_keys SET stage = $1, progress = $2 \
             WHERE tenant_id = $3 AND key = $4 AND state = 'started' AND owner = $5",
        )
        .bind(stage)
        .bind(progress)
        .bind(tenant.as_str())
        .bind(key)
        .bind(owner);
        let r = self.write_one(r).await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records the answer for a request that changed nothing in the store (a rejection).
    pub async fn idem_complete(&self, tenant: &TenantId, c: &IdemCompletion) -> Result<()> {
        let mut tx = self.begin_grouped().await?;
        complete_idem(&mut tx, tenant, c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Releases a key this instance holds (a failure worth retrying, or a recovery that found
    /// the carrier unreached), so a retry can run. Completed keys stay.
    pub async fn idem_abandon(&self, tenant: &TenantId, key: &str, owner: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys \
             WHERE tenant_id = $1 AND key = $2 AND state = 'started' AND owner = $3",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(owner)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Started keys whose lease ran out before `now`, oldest lease first (for the sweep).
    pub async fn idem_expired(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<(TenantId, String)>> {
        let rows = sqlx::query(
            "SELECT tenant_id, key FROM idempotency_keys \
             WHERE state = 'started' AND (lease_until IS NULL OR lease_until < $1) \
             ORDER BY lease_until LIMIT $2",
        )
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    TenantId::from_db(r.try_get("tenant_id")?),
                    r.try_get("key")?,
                ))
            })
            .collect()
    }

    /// Takes over a started key whose lease ran out, for `owner` until `lease_until`, and
    /// returns what its request left; `None` when it is not expired (or not started), e.g.
    /// because another instance claimed it first.
    pub async fn idem_claim_expired(
        &self,
        tenant: &TenantId,
        key: &str,
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<IdemStuck>> {
        let claimed = sqlx::query(
            "UPDATE idempotency_keys SET owner = $1, lease_until = $2 \
             WHERE tenant_id = $3 AND key = $4 AND state = 'started' \
             AND (lease_until IS NULL OR lease_until < $5)",
        )
        .bind(owner)
        .bind(millis(lease_until))
        .bind(tenant.as_str())
        .bind(key)
        .bind(millis(now))
        .execute(&self.writer)
        .await?;
        if claimed.rows_affected() != 1 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT scope, stage, progress FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
        )
        .bind(tenant.as_str())
        .bind(key)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(IdemStuck {
            scope: row.try_get("scope")?,
            stage: row.try_get("stage")?,
            progress: row.try_get("progress")?,
        }))
    }
}

/// Completes a key in the caller's transaction, provided `c.owner` still holds it; otherwise
/// `LeaseLost`, so the effect written with it is rolled back.
pub(crate) async fn complete_idem(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    c: &IdemCompletion,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE idempotency_keys SET state = 'completed', response_status = $1, response_body = $2, \
         progress = NULL WHERE tenant_id = $3 AND key = $4 AND state = 'started' AND owner = $5",
    )
    .bind(i64::from(c.status))
    .bind(&c.body)
    .bind(tenant.as_str())
    .bind(&c.key)
    .bind(&c.owner)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        return Err(StoreError::LeaseLost(c.key.clone()));
    }
    Ok(())
}
