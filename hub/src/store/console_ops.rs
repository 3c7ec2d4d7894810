//! What the console's operations pages read (issue 20): the exceptions board's parcels in
//! trouble, a print station's queue and failed jobs, and a failed job's retry (migration 0037).

use sqlx::Row;

use super::idempotency::complete_idem;
use super::print::{JOB_COLUMNS, insert_job, job_from_row};
use super::trackers::{COLUMNS, tracker_from_row};
use super::{IdemCompletion, PrintJobRecord, Result, Store, TrackerRecord};
use crate::ids::{PrintJobId, StationId, TenantId};

/// The partial index `trackers_attention`'s predicate, repeated word for word so that SQLite
/// uses the index (it matches a partial index's terms literally).
pub(super) const ATTENTION: &str = "superseded_by IS NULL \
      AND status NOT IN ('delivered', 'cancelled', 'expired') \
      AND (status IN ('exception', 'attempt_fail', 'return_to_sender') \
           OR late_notified = 1 OR stalled_notified = 1)";

/// A parcel in trouble, with what the board groups it by.
#[derive(Clone, Debug)]
pub struct AttentionRow {
    pub tracker: TrackerRecord,
    /// The latest scan's description (what an exception's reason is read from).
    pub last_description: Option<String>,
    /// The shipment's stored ship request (its lane), when the parcel is a shipment of ours.
    pub request: Option<String>,
}

/// How many parcels are in trouble, counted up to a bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttentionCounts {
    pub total: u64,
    pub exceptions: u64,
    pub late: u64,
    pub stalled: u64,
}

/// A failed print job and the job that printed it again, if it was retried.
#[derive(Clone, Debug)]
pub struct FailedJob {
    pub job: PrintJobRecord,
    pub retried_by: Option<PrintJobId>,
}

impl Store {
    /// The tenant's open parcels in trouble, most recently changed first (index
    /// `trackers_attention`: only such parcels are read).
    pub async fn attention_trackers(
        &self,
        tenant: &TenantId,
        limit: u32,
    ) -> Result<Vec<AttentionRow>> {
        // Correlated look-ups by primary key for the rows returned only (the limit bounds them).
        let sql = format!(
            "SELECT {COLUMNS}, \
             (SELECT e.description FROM tracking_events e WHERE e.tracker_id = trackers.id \
              AND e.occurred_at = trackers.last_event_at ORDER BY e.dedupe_key LIMIT 1) AS last_description, \
             (SELECT s.request FROM shipments s WHERE s.id = trackers.shipment_id \
              AND s.tenant_id = trackers.tenant_id) AS ship_request \
             FROM trackers WHERE tenant_id = $1 AND {ATTENTION} \
             ORDER BY updated_at DESC, id DESC LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AttentionRow {
                    tracker: tracker_from_row(r)?,
                    last_description: r.try_get("last_description")?,
                    request: r.try_get("ship_request")?,
                })
            })
            .collect()
    }

    /// Counts of the tenant's parcels in trouble, reading at most `bound` index entries (a
    /// count at the bound means "at least").
    pub async fn attention_counts(&self, tenant: &TenantId, bound: u32) -> Result<AttentionCounts> {
        let sql = format!(
            "SELECT COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN status IN ('exception', 'attempt_fail', 'return_to_sender') THEN 1 ELSE 0 END), 0) AS exceptions, \
             COALESCE(SUM(CASE WHEN late_notified = 1 THEN 1 ELSE 0 END), 0) AS late, \
             COALESCE(SUM(CASE WHEN stalled_notified = 1 THEN 1 ELSE 0 END), 0) AS stalled \
             FROM (SELECT status, late_notified, stalled_notified FROM trackers \
                   WHERE tenant_id = $1 AND {ATTENTION} LIMIT $2) x"
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(i64::from(bound))
            .fetch_one(&self.pool)
            .await?;
        let n =
            |c: &str| -> Result<u64> { Ok(u64::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0)) };
        Ok(AttentionCounts {
            total: n("total")?,
            exceptions: n("exceptions")?,
            late: n("late")?,
            stalled: n("stalled")?,
        })
    }

    /// A station's jobs waiting for its agent: (queued, handed out and not acknowledged).
    pub async fn station_queue(
        &self,
        tenant: &TenantId,
        station: &StationId,
    ) -> Result<(u64, u64)> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM print_jobs WHERE station_id = $1 AND tenant_id = $2 \
             AND status IN ('queued', 'delivered') GROUP BY status",
        )
        .bind(station.as_str())
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await?;
        let (mut queued, mut delivered) = (0, 0);
        for r in &rows {
            let n = u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0);
            match r.try_get::<String, _>("status")?.as_str() {
                "queued" => queued = n,
                _ => delivered = n,
            }
        }
        Ok((queued, delivered))
    }

    /// A station's most recent failed and expired jobs (index `print_jobs_station`): the
    /// ones a retry prints again.
    pub async fn failed_print_jobs(
        &self,
        tenant: &TenantId,
        station: &StationId,
        limit: u32,
    ) -> Result<Vec<FailedJob>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS}, retried_by FROM print_jobs WHERE station_id = $1 AND tenant_id = $2 \
             AND status IN ('failed', 'expired') ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(station.as_str())
            .bind(tenant.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(FailedJob {
                    job: job_from_row(r)?,
                    retried_by: r
                        .try_get::<Option<String>, _>("retried_by")?
                        .map(PrintJobId::from_db),
                })
            })
            .collect()
    }

    /// The job that retried `job`, if one did.
    pub async fn print_job_retried_by(
        &self,
        tenant: &TenantId,
        job: &PrintJobId,
    ) -> Result<Option<PrintJobId>> {
        let row = sqlx::query("SELECT retried_by FROM print_jobs WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str())
            .bind(job.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("retried_by"))
            .transpose()?
            .flatten()
            .map(PrintJobId::from_db))
    }

    /// Queues `new` in place of the failed or expired job `old`, which from then on names it:
    /// `false` (and nothing written) when `old` is not failed or expired, or was retried
    /// already. `idem` completes in the same transaction.
    pub async fn retry_print_job(
        &self,
        tenant: &TenantId,
        old: &PrintJobId,
        new: &PrintJobRecord,
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let marked = sqlx::query(
            "UPDATE print_jobs SET retried_by = $1 WHERE tenant_id = $2 AND id = $3 \
             AND status IN ('failed', 'expired') AND retried_by IS NULL",
        )
        .bind(new.id.as_str())
        .bind(tenant.as_str())
        .bind(old.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked != 1 {
            return Ok(false);
        }
        insert_job(&mut tx, tenant, new).await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
