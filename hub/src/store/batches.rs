//! Batches of purchases and their items (see migration 0021 for their life cycle). A batch is
//! created with all its items and its key's answer in one transaction; items are then settled
//! one by one, and the batch completed (with its event) once none is queued.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::PrintJobRecord;
use super::{
    IdemCompletion, NewEvent, Result, Store, StoreError, complete_idem, from_millis, insert_events,
    millis,
};
use crate::ids::{BatchId, PrintJobId, ShipmentId, TenantId};

/// A batch as stored, with its items counted by status.
#[derive(Clone, Debug)]
pub struct BatchRecord {
    pub id: BatchId,
    pub tenant_id: TenantId,
    /// `running` or `completed`.
    pub status: String,
    /// The label format its items are bought in, as given (`pdf`, `zpl`, …).
    pub label_format: String,
    pub item_count: u32,
    pub queued: u32,
    pub bought: u32,
    pub failed: u32,
    pub created_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
    /// The print asked for with the batch (JSON, `crate::batches::PrintRequest`): queued
    /// when it completes.
    pub print_request: Option<String>,
    /// Its latest print job (migration 0024).
    pub print_job_id: Option<PrintJobId>,
}

/// One item's state.
#[derive(Clone, Debug)]
pub struct BatchItemRecord {
    pub index: u32,
    /// `queued`, `bought` or `failed`.
    pub status: String,
    /// The purchase as given (JSON).
    pub body: String,
    pub shipment_id: Option<ShipmentId>,
    /// The RFC 9457 problem (JSON) of a failed item.
    pub problem: Option<String>,
}

/// How an item ended.
pub enum ItemOutcome<'a> {
    Bought(&'a ShipmentId),
    /// The problem, as JSON.
    Failed(&'a str),
}

/// Items per multi-row `INSERT` (7 binds each: well under either database's bind limit).
const INSERT_CHUNK: usize = 500;

impl Store {
    /// Stores a new batch, its items (`bodies`, in order) and, under a key, the request's
    /// answer, in one transaction.
    #[allow(clippy::too_many_arguments)] // one row's columns plus the key's answer
    pub async fn create_batch(
        &self,
        tenant: &TenantId,
        id: &BatchId,
        label_format: &str,
        bodies: &[String],
        print_request: Option<&str>,
        completion: Option<&IdemCompletion>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO batches (id, tenant_id, status, label_format, item_count, created_at, \
             print_request, owner) VALUES ($1, $2, 'running', $3, $4, $5, $6, $7)",
        )
        .bind(id.as_str())
        .bind(tenant.as_str())
        .bind(label_format)
        .bind(bodies.len() as i64)
        .bind(millis(now))
        .bind(print_request)
        // Run by the instance that took it; a reaper gives it up when that one dies.
        .bind(crate::ids::instance())
        .execute(&mut *tx)
        .await?;
        for (c, chunk) in bodies.chunks(INSERT_CHUNK).enumerate() {
            let rows = (0..chunk.len())
                .map(|i| format!("({})", super::markers(self.backend, 1 + i * 5, 5)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO batch_items (tenant_id, batch_id, idx, status, body) VALUES {rows}"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (i, body) in chunk.iter().enumerate() {
                q = q
                    .bind(tenant.as_str())
                    .bind(id.as_str())
                    .bind((c * INSERT_CHUNK + i) as i64)
                    .bind("queued")
                    .bind(body.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        if let Some(c) = completion {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's batch `id`, with its counts.
    pub async fn get_batch(&self, tenant: &TenantId, id: &BatchId) -> Result<Option<BatchRecord>> {
        let row = sqlx::query(
            "SELECT id, tenant_id, status, label_format, item_count, created_at, completed_at, \
             print_request, print_job_id, \
             (SELECT COUNT(*) FROM batch_items i WHERE i.batch_id = b.id AND i.status = 'queued') AS queued, \
             (SELECT COUNT(*) FROM batch_items i WHERE i.batch_id = b.id AND i.status = 'bought') AS bought, \
             (SELECT COUNT(*) FROM batch_items i WHERE i.batch_id = b.id AND i.status = 'failed') AS failed \
             FROM batches b WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| batch_row(&r)).transpose()
    }

    /// Up to `limit` items of the batch from index `from` on, in index order; only those in
    /// `status` when given.
    pub async fn batch_items(
        &self,
        tenant: &TenantId,
        batch: &BatchId,
        status: Option<&str>,
        from: u32,
        limit: u32,
    ) -> Result<Vec<BatchItemRecord>> {
        let rows = sqlx::query(
            "SELECT idx, status, body, shipment_id, problem FROM batch_items \
             WHERE tenant_id = $1 AND batch_id = $2 AND idx >= $3 AND ($4 = '' OR status = $4) \
             ORDER BY idx LIMIT $5",
        )
        .bind(tenant.as_str())
        .bind(batch.as_str())
        .bind(i64::from(from))
        .bind(status.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(item_row).collect()
    }

    /// Records how item `index` ended; false when it had ended already (left as it was).
    pub async fn settle_batch_item(
        &self,
        tenant: &TenantId,
        batch: &BatchId,
        index: u32,
        outcome: ItemOutcome<'_>,
    ) -> Result<bool> {
        let (status, shipment, problem) = match outcome {
            ItemOutcome::Bought(s) => ("bought", Some(s.as_str()), None),
            ItemOutcome::Failed(p) => ("failed", None, Some(p)),
        };
        let r = sqlx::query(
            "UPDATE batch_items SET status = $1, shipment_id = $2, problem = $3 \
             WHERE tenant_id = $4 AND batch_id = $5 AND idx = $6 AND status = 'queued'",
        )
        .bind(status)
        .bind(shipment)
        .bind(problem)
        .bind(tenant.as_str())
        .bind(batch.as_str())
        .bind(i64::from(index))
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Marks a batch with no queued item completed and records `event` with it, and `job`
    /// (the print asked for with it) in the same transaction; false when it is not running
    /// (completed already) or still has queued items.
    pub async fn complete_batch(
        &self,
        tenant: &TenantId,
        batch: &BatchId,
        event: &NewEvent,
        job: Option<&PrintJobRecord>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE batches SET status = 'completed', completed_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND status = 'running' AND NOT EXISTS \
             (SELECT 1 FROM batch_items i WHERE i.batch_id = $3 AND i.status = 'queued')",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(batch.as_str())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(j) = job {
            super::print::insert_job(&mut tx, tenant, j).await?;
        }
        insert_events(&mut tx, tenant, std::slice::from_ref(event), now).await?;
        self.commit_events(tx).await?;
        Ok(true)
    }

    /// Takes every running batch that no live instance runs (its owner was reaped, or it was
    /// never registered: batches from before the registry, or a process that died before its
    /// first heartbeat reached the database) for `owner`, oldest first.
    pub async fn claim_orphaned_batches(
        &self,
        owner: &str,
        now: OffsetDateTime,
        dead_after: std::time::Duration,
    ) -> Result<Vec<(TenantId, BatchId)>> {
        let rows = sqlx::query(
            "UPDATE batches SET owner = $1 WHERE status = 'running' AND (owner IS NULL OR \
             NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = batches.owner AND i.seen_at >= $2)) \
             RETURNING tenant_id, id",
        )
        .bind(owner)
        .bind(millis(now - dead_after))
        .fetch_all(&self.writer)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                let tenant: String = r.try_get("tenant_id")?;
                let id: String = r.try_get("id")?;
                Ok((TenantId::from_db(tenant), BatchId::from_db(id)))
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }

    /// Whether `owner` still runs the batch (a batch taken over after its instance was
    /// declared dead is the new owner's: the old one stops).
    pub async fn batch_owned_by(
        &self,
        tenant: &TenantId,
        batch: &BatchId,
        owner: &str,
    ) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM batches WHERE tenant_id = $1 AND id = $2 AND owner = $3",
        )
        .bind(tenant.as_str())
        .bind(batch.as_str())
        .bind(owner)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.is_some())
    }

    /// Every running batch of every tenant, oldest first: what a starting hub resumes.
    pub async fn running_batches(&self) -> Result<Vec<(TenantId, BatchId)>> {
        let rows =
            sqlx::query("SELECT tenant_id, id FROM batches WHERE status = 'running' ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let tenant: String = r.try_get("tenant_id")?;
                let id: String = r.try_get("id")?;
                Ok((
                    TenantId::parse(&tenant)
                        .ok_or_else(|| StoreError::Corrupt(format!("tenant id {tenant}")))?,
                    BatchId::parse(&id)
                        .ok_or_else(|| StoreError::Corrupt(format!("batch id {id}")))?,
                ))
            })
            .collect()
    }
}

fn count(r: &AnyRow, col: &str) -> Result<u32> {
    let n: i64 = r.try_get(col)?;
    Ok(n as u32)
}

fn batch_row(r: &AnyRow) -> Result<BatchRecord> {
    let id: String = r.try_get("id")?;
    let tenant: String = r.try_get("tenant_id")?;
    let completed: Option<i64> = r.try_get("completed_at")?;
    Ok(BatchRecord {
        id: BatchId::parse(&id).ok_or_else(|| StoreError::Corrupt(format!("batch id {id}")))?,
        tenant_id: TenantId::parse(&tenant)
            .ok_or_else(|| StoreError::Corrupt(format!("tenant id {tenant}")))?,
        status: r.try_get("status")?,
        label_format: r.try_get("label_format")?,
        item_count: count(r, "item_count")?,
        queued: count(r, "queued")?,
        bought: count(r, "bought")?,
        failed: count(r, "failed")?,
        created_at: from_millis(r.try_get("created_at")?),
        completed_at: completed.map(from_millis),
        print_request: r.try_get("print_request")?,
        print_job_id: r
            .try_get::<Option<String>, _>("print_job_id")?
            .map(PrintJobId::from_db),
    })
}

fn item_row(r: &AnyRow) -> Result<BatchItemRecord> {
    let shipment: Option<String> = r.try_get("shipment_id")?;
    let idx: i64 = r.try_get("idx")?;
    Ok(BatchItemRecord {
        index: idx as u32,
        status: r.try_get("status")?,
        body: r.try_get("body")?,
        shipment_id: shipment
            .map(|s| {
                ShipmentId::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("shipment id {s}")))
            })
            .transpose()?,
        problem: r.try_get("problem")?,
    })
}
