//! What the console's operations pages read (issue 20): the exceptions board's parcels in
//! trouble, a print station's queue and failed jobs, and a failed job's retry (migrations 0037
//! and 0042).

use shiphub_carriers::model::TrackingStatus;
use sqlx::Row;
use time::OffsetDateTime;

use super::idempotency::complete_idem;
use super::print::{JOB_COLUMNS, insert_job, job_from_row};
use super::trackers::parse_status;
use super::{Backend, IdemCompletion, PrintJobRecord, Result, Store, from_millis};
use crate::ids::{PrintJobId, ShipmentId, StationId, TenantId, TrackerId};

/// The partial index `trackers_attention`'s predicate, repeated word for word so that SQLite
/// uses the index (it matches a partial index's terms literally).
pub(super) const ATTENTION: &str = "superseded_by IS NULL \
      AND status NOT IN ('delivered', 'cancelled', 'expired') \
      AND (status IN ('exception', 'attempt_fail', 'return_to_sender') \
           OR late_notified = 1 OR stalled_notified = 1)";

/// `attention_counts`' query (tenant `$1`, bound `$2`): it names only columns the index
/// `trackers_attention` holds (migration 0042), so the count never visits `trackers`.
pub(super) fn counts_sql() -> String {
    format!(
        "SELECT COUNT(*) AS total, \
         COALESCE(SUM(CASE WHEN status IN ('exception', 'attempt_fail', 'return_to_sender') THEN 1 ELSE 0 END), 0) AS exceptions, \
         COALESCE(SUM(CASE WHEN late_notified = 1 THEN 1 ELSE 0 END), 0) AS late, \
         COALESCE(SUM(CASE WHEN stalled_notified = 1 THEN 1 ELSE 0 END), 0) AS stalled \
         FROM (SELECT status, late_notified, stalled_notified FROM trackers \
               WHERE tenant_id = $1 AND {ATTENTION} LIMIT $2) x"
    )
}

/// A parcel in trouble: what the board groups it by and lists (not the whole tracker: the
/// board reads 500 of them per page view).
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionRow {
    pub id: TrackerId,
    pub tracking_number: String,
    pub carrier: String,
    pub shipment_id: Option<ShipmentId>,
    pub status: TrackingStatus,
    pub sub_status: Option<String>,
    pub carrier_status_code: Option<String>,
    pub estimated_delivery: Option<String>,
    pub promised_date: Option<String>,
    pub last_event_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
    pub late_notified: bool,
    pub stalled_notified: bool,
    /// The latest scan's description (what an exception's reason is read from).
    pub last_description: Option<String>,
    /// Origin and destination country of the shipment's stored ship request, when the parcel
    /// is a shipment of ours and its request names both.
    pub lane: Option<(String, String)>,
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
        // The lane's countries are read from the ship request by the database (2 short strings
        // per row) rather than sending 500 requests through the driver to be parsed here.
        // Columns filled at purchase would be cheaper still, but would mean rewriting every
        // stored shipment to backfill them.
        let country = |end: &str| match self.backend() {
            Backend::Postgres => format!("(s.request::jsonb) -> '{end}' ->> 'country'"),
            Backend::Sqlite => format!("json_extract(s.request, '$.{end}.country')"),
        };
        // The window comes in the index's order (only its rows are read); then, for those rows
        // only, the latest scan's description (a correlated look-up by primary key) and the
        // shipment's lane.
        let sql = format!(
            "SELECT t.*, \
             (SELECT e.description FROM tracking_events e WHERE e.tracker_id = t.id \
              AND e.occurred_at = t.last_event_at ORDER BY e.dedupe_key LIMIT 1) AS last_description, \
             {} AS from_country, {} AS to_country \
             FROM (SELECT id, tenant_id, tracking_number, carrier, shipment_id, status, sub_status, \
                   carrier_status_code, estimated_delivery, promised_date, last_event_at, updated_at, \
                   late_notified, stalled_notified FROM trackers \
                   WHERE tenant_id = $1 AND {ATTENTION} \
                   ORDER BY updated_at DESC, id DESC LIMIT $2) t \
             LEFT JOIN shipments s ON s.id = t.shipment_id AND s.tenant_id = t.tenant_id \
             ORDER BY t.updated_at DESC, t.id DESC",
            country("from"),
            country("to"),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let country = |c: &str| r.try_get::<Option<String>, _>(c);
                Ok(AttentionRow {
                    id: TrackerId::from_db(r.try_get("id")?),
                    tracking_number: r.try_get("tracking_number")?,
                    carrier: r.try_get("carrier")?,
                    shipment_id: r
                        .try_get::<Option<String>, _>("shipment_id")?
                        .map(ShipmentId::from_db),
                    status: parse_status(&r.try_get::<String, _>("status")?),
                    sub_status: r.try_get("sub_status")?,
                    carrier_status_code: r.try_get("carrier_status_code")?,
                    estimated_delivery: r.try_get("estimated_delivery")?,
                    promised_date: r.try_get("promised_date")?,
                    last_event_at: r
                        .try_get::<Option<i64>, _>("last_event_at")?
                        .map(from_millis),
                    updated_at: from_millis(r.try_get("updated_at")?),
                    late_notified: r.try_get::<i64, _>("late_notified")? != 0,
                    stalled_notified: r.try_get::<i64, _>("stalled_notified")? != 0,
                    last_description: r.try_get("last_description")?,
                    lane: country("from_country")?.zip(country("to_country")?),
                })
            })
            .collect()
    }

    /// Counts of the tenant's parcels in trouble, reading at most `bound` index entries (a
    /// count at the bound means "at least").
    pub async fn attention_counts(&self, tenant: &TenantId, bound: u32) -> Result<AttentionCounts> {
        let r = sqlx::query(sqlx::AssertSqlSafe(counts_sql()))
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
