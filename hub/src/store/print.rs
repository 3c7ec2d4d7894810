//! Print stations and print jobs (see migration 0003 for the job life cycle). The closed sets
//! a row holds (printer language, stock, resolution, job status, printer state) are read into
//! their types here, once; a value outside them is a corrupt row.

use shiphub_carriers::model::LabelFormat;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{
    IdemCompletion, NewEvent, Result, Store, StoreError, claim_sql, complete_idem, from_millis,
    insert_events, millis,
};
// The API's stock and resolution names are the stored ones.
use crate::ids::{BatchId, PrintJobId, ShipmentId, StationId, TenantId};
use crate::named::named_enum;
use shiphub_labels::{Dpi, PrinterFont, Stock};

named_enum! {
    /// A printer's language: what its agent can send it, and so what its jobs are rendered in.
    pub enum PrinterLanguage {
        /// ZPL II, to a thermal printer.
        Zpl = "zpl",
        /// PDF, through CUPS or into a folder.
        Pdf = "pdf",
    }
}

impl PrinterLanguage {
    pub fn format(self) -> LabelFormat {
        match self {
            PrinterLanguage::Zpl => LabelFormat::Zpl,
            PrinterLanguage::Pdf => LabelFormat::Pdf,
        }
    }

    /// `None` for a format no printer speaks (PNG).
    pub fn of(format: LabelFormat) -> Option<Self> {
        match format {
            LabelFormat::Zpl => Some(PrinterLanguage::Zpl),
            LabelFormat::Pdf => Some(PrinterLanguage::Pdf),
            LabelFormat::Png => None,
        }
    }
}

named_enum! {
    /// Where a print job is in its life: `queued` until an agent is handed it (`delivered`),
    /// then `printed` or `failed` as the agent says; `expired` if no agent took it in time.
    pub enum JobStatus {
        Queued = "queued",
        Delivered = "delivered",
        Printed = "printed",
        Failed = "failed",
        Expired = "expired",
    }
}

named_enum! {
    /// What an agent says of a job it was handed.
    pub enum AckStatus {
        Printed = "printed",
        Failed = "failed",
    }
}

impl AckStatus {
    pub fn status(self) -> JobStatus {
        match self {
            AckStatus::Printed => JobStatus::Printed,
            AckStatus::Failed => JobStatus::Failed,
        }
    }
}

named_enum! {
    /// A printer's state as its agent last reported it.
    pub enum PrinterState {
        Ready = "ready",
        Offline = "offline",
        PaperOut = "paper_out",
        Paused = "paused",
        HeadOpen = "head_open",
        RibbonOut = "ribbon_out",
        Error = "error",
    }
}

#[derive(Clone, Debug)]
pub struct StationRecord {
    pub id: StationId,
    pub name: String,
    /// The printer's language, stock loaded and printhead resolution, as declared.
    pub format: PrinterLanguage,
    pub stock: Stock,
    pub dpi: Dpi,
    /// The language and resolution the agent reported for its printer; they win.
    pub agent_format: Option<PrinterLanguage>,
    pub agent_dpi: Option<Dpi>,
    /// The printer-resident font for Chinese (`E:SIMSUN.TTF`), as declared; `None`: ZPL
    /// draws Chinese as graphics.
    pub printer_font: Option<PrinterFont>,
    pub printer_state: Option<PrinterState>,
    pub printer_detail: Option<String>,
    pub last_seen_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// What a print job prints: one shipment's label, or every bought label of a batch merged
/// into one document (migration 0024: exactly one of the two is stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobSubject {
    Shipment(ShipmentId),
    Batch {
        id: BatchId,
        /// The labels' order (`crate::batches::Sort`'s name).
        sort: String,
        /// How many labels the merged document holds (counted when the job was queued).
        labels: u32,
    },
}

impl JobSubject {
    pub fn shipment(&self) -> Option<&ShipmentId> {
        match self {
            JobSubject::Shipment(s) => Some(s),
            JobSubject::Batch { .. } => None,
        }
    }

    pub fn batch(&self) -> Option<&BatchId> {
        match self {
            JobSubject::Batch { id, .. } => Some(id),
            JobSubject::Shipment(_) => None,
        }
    }

    /// Labels the job's document holds: a shipment's one, or the batch's count.
    pub fn labels(&self) -> u32 {
        match self {
            JobSubject::Shipment(_) => 1,
            JobSubject::Batch { labels, .. } => *labels,
        }
    }
}

#[derive(Clone, Debug)]
pub struct PrintJobRecord {
    pub id: PrintJobId,
    pub station_id: StationId,
    pub subject: JobSubject,
    pub format: PrinterLanguage,
    /// Rendered on this stock at this resolution when delivered.
    pub stock: Stock,
    pub dpi: Dpi,
    pub copies: u32,
    pub status: JobStatus,
    pub detail: Option<String>,
    /// How many times an agent was handed the job.
    pub deliveries: u32,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
}

/// An agent's acknowledgement, with its detail.
#[derive(Clone, Copy, Debug)]
pub struct JobAck<'a> {
    pub status: AckStatus,
    pub detail: Option<&'a str>,
    pub at: OffsetDateTime,
}

/// What an agent's acknowledgement did.
#[derive(Clone, Debug)]
pub enum AckOutcome {
    /// The job moved to the acknowledged state.
    Updated(PrintJobRecord),
    /// The job was already in that state (a replayed acknowledgement).
    Unchanged(PrintJobRecord),
    /// The job is in another final state.
    Conflict(PrintJobRecord),
    NotFound,
}

const STATION_COLUMNS: &str = "id, name, format, stock, dpi, agent_format, agent_dpi, \
     printer_font, printer_state, printer_detail, last_seen_at, created_at";
pub(super) const JOB_COLUMNS: &str = "id, station_id, shipment_id, batch_id, batch_sort, labels, format, stock, \
     dpi, copies, status, detail, deliveries, created_at, expires_at, delivered_at, completed_at";
/// Stocks that are office sheets (PDF only).
const SHEETS: &str = "('letter-2up', 'a4-2up')";

/// Jobs an agent may be handed now: queued and not expired, or delivered so long ago without
/// an acknowledgement that the agent probably never received them. `$1` is now, `$4` the
/// redelivery cutoff. A row another instance claimed meanwhile is re-checked against it and
/// skipped (`store::claim_sql`).
const CLAIMABLE: &str =
    "((status = 'queued' AND expires_at > $1) OR (status = 'delivered' AND delivered_at <= $4))";

impl Store {
    pub async fn insert_station(
        &self,
        tenant: &TenantId,
        s: &StationRecord,
        token_hash: &str,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO print_stations (id, tenant_id, name, format, stock, dpi, token_hash, created_at, \
             printer_font) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(s.id.as_str())
        .bind(tenant.as_str())
        .bind(&s.name)
        .bind(s.format.as_str())
        .bind(s.stock.as_str())
        .bind(i64::from(s.dpi.dpi()))
        .bind(token_hash)
        .bind(millis(s.created_at))
        .bind(s.printer_font.as_ref().map(PrinterFont::as_str))
        .execute(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a station's token; false when there is no such station.
    pub async fn rotate_station_token(
        &self,
        tenant: &TenantId,
        id: &StationId,
        token_hash: &str,
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE print_stations SET token_hash = $1 WHERE tenant_id = $2 AND id = $3",
        )
        .bind(token_hash)
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn list_stations(&self, tenant: &TenantId) -> Result<Vec<StationRecord>> {
        let sql = format!(
            "SELECT {STATION_COLUMNS} FROM print_stations WHERE tenant_id = $1 ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(station_from_row).collect()
    }

    pub async fn get_station(
        &self,
        tenant: &TenantId,
        id: &StationId,
    ) -> Result<Option<StationRecord>> {
        let sql = format!(
            "SELECT {STATION_COLUMNS} FROM print_stations WHERE tenant_id = $1 AND id = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(station_from_row).transpose()
    }

    /// The station (and its tenant) a token belongs to.
    pub async fn station_for_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(TenantId, StationRecord)>> {
        let sql = format!(
            "SELECT tenant_id, {STATION_COLUMNS} FROM print_stations WHERE token_hash = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok((
                TenantId::from_db(r.try_get("tenant_id")?),
                station_from_row(&r)?,
            ))
        })
        .transpose()
    }

    /// Records that the station's agent was heard from, and the printer state it reported.
    pub async fn station_seen(
        &self,
        station: &StationId,
        now: OffsetDateTime,
        printer: Option<(PrinterState, Option<&str>)>,
    ) -> Result<()> {
        match printer {
            Some((state, detail)) => {
                sqlx::query(
                    "UPDATE print_stations SET last_seen_at = $1, printer_state = $2, printer_detail = $3 WHERE id = $4",
                )
                .bind(millis(now))
                .bind(state.as_str())
                .bind(detail)
                .bind(station.as_str())
                .execute(&self.writer)
                .await?
            }
            None => {
                sqlx::query("UPDATE print_stations SET last_seen_at = $1 WHERE id = $2")
                    .bind(millis(now))
                    .bind(station.as_str())
                    .execute(&self.writer)
                    .await?
            }
        };
        Ok(())
    }

    /// Records the language and resolution the station's agent reports for its printer. Jobs
    /// not acknowledged yet follow it (they are rendered when delivered), except jobs on an
    /// office sheet when the printer is a ZPL one: those cannot print there and fail, each
    /// with `event(job)`. Returns the failed jobs.
    pub async fn station_printer_reported(
        &self,
        tenant: &TenantId,
        station: &StationId,
        format: PrinterLanguage,
        dpi: Dpi,
        now: OffsetDateTime,
        event: impl Fn(&PrintJobRecord) -> NewEvent,
    ) -> Result<Vec<PrintJobRecord>> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE print_stations SET agent_format = $1, agent_dpi = $2 WHERE tenant_id = $3 AND id = $4")
            .bind(format.as_str())
            .bind(i64::from(dpi.dpi()))
            .bind(tenant.as_str())
            .bind(station.as_str())
            .execute(&mut *tx)
            .await?;
        let mut failed = Vec::new();
        if format == PrinterLanguage::Zpl {
            let sql = format!(
                "UPDATE print_jobs SET status = 'failed', completed_at = $1, \
                 detail = 'the station''s printer reported ZPL; a sheet stock prints on PDF printers only' \
                 WHERE tenant_id = $2 AND station_id = $3 AND status IN ('queued', 'delivered') \
                 AND stock IN {SHEETS} RETURNING {JOB_COLUMNS}"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(millis(now))
                .bind(tenant.as_str())
                .bind(station.as_str())
                .fetch_all(&mut *tx)
                .await?;
            failed = rows.iter().map(job_from_row).collect::<Result<Vec<_>>>()?;
            let events: Vec<NewEvent> = failed.iter().map(&event).collect();
            if !events.is_empty() {
                insert_events(&mut tx, tenant, &events, now).await?;
            }
        }
        sqlx::query(
            "UPDATE print_jobs SET format = $1, dpi = $2 WHERE tenant_id = $3 AND station_id = $4 \
             AND status IN ('queued', 'delivered') AND (format <> $1 OR dpi <> $2)",
        )
        .bind(format.as_str())
        .bind(i64::from(dpi.dpi()))
        .bind(tenant.as_str())
        .bind(station.as_str())
        .execute(&mut *tx)
        .await?;
        if failed.is_empty() {
            tx.commit().await?;
        } else {
            self.commit_events(tx).await?;
        }
        Ok(failed)
    }

    pub async fn insert_print_job(
        &self,
        tenant: &TenantId,
        job: &PrintJobRecord,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_job(&mut tx, tenant, job).await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_print_job(
        &self,
        tenant: &TenantId,
        id: &PrintJobId,
    ) -> Result<Option<PrintJobRecord>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM print_jobs WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Newest first; `before` is the cursor. Filters are optional.
    pub async fn list_print_jobs(
        &self,
        tenant: &TenantId,
        station: Option<&StationId>,
        status: Option<JobStatus>,
        before: Option<&PrintJobId>,
        limit: u32,
    ) -> Result<Vec<PrintJobRecord>> {
        // Empty strings stand for "no filter" so one statement serves every combination.
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM print_jobs WHERE tenant_id = $1 \
             AND ($2 = '' OR station_id = $2) AND ($3 = '' OR status = $3) AND ($4 = '' OR id < $4) \
             ORDER BY id DESC LIMIT $5"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(station.map_or("", StationId::as_str))
            .bind(status.map_or("", JobStatus::as_str))
            .bind(before.map_or("", PrintJobId::as_str))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Hands up to `limit` jobs to the station's agent, oldest first, marking them delivered.
    /// Jobs delivered before `redeliver_before` and never acknowledged are handed out again
    /// (the agent journals by job id, so a second delivery never prints twice).
    pub async fn claim_print_jobs(
        &self,
        tenant: &TenantId,
        station: &StationId,
        now: OffsetDateTime,
        redeliver_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<PrintJobRecord>> {
        let sql = claim_sql(
            self.backend,
            "print_jobs",
            "status = 'delivered', delivered_at = $1, deliveries = deliveries + 1, delivered_by = $6",
            &format!(
                "SELECT id FROM print_jobs WHERE tenant_id = $2 AND station_id = $3 AND {CLAIMABLE} \
                 ORDER BY id LIMIT $5"
            ),
            CLAIMABLE,
            JOB_COLUMNS,
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(millis(now))
            .bind(tenant.as_str())
            .bind(station.as_str())
            .bind(millis(redeliver_before))
            .bind(i64::from(limit))
            // Handed out through this instance: its reaper makes them redeliverable at once.
            .bind(crate::ids::instance())
            .fetch_all(&self.writer)
            .await?;
        let mut jobs = rows.iter().map(job_from_row).collect::<Result<Vec<_>>>()?;
        jobs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(jobs)
    }

    /// A batch job's label count as its document was built for delivery: a shipment voided
    /// between queueing and delivery leaves the merged document, so the count queued is stale.
    pub async fn set_batch_job_labels(
        &self,
        tenant: &TenantId,
        id: &PrintJobId,
        labels: u32,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE print_jobs SET labels = $1 \
             WHERE tenant_id = $2 AND id = $3 AND batch_id IS NOT NULL AND labels <> $1",
        )
        .bind(i64::from(labels))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The agent's word on a job. Writes `event(job)` with the change.
    pub async fn ack_print_job(
        &self,
        tenant: &TenantId,
        station: &StationId,
        id: &PrintJobId,
        ack: &JobAck<'_>,
        event: impl Fn(&PrintJobRecord) -> NewEvent,
    ) -> Result<AckOutcome> {
        let JobAck {
            status,
            detail,
            at: now,
        } = *ack;
        let mut tx = self.begin().await?;
        let sql = format!(
            "UPDATE print_jobs SET status = $1, detail = $2, completed_at = $3 \
             WHERE tenant_id = $4 AND station_id = $5 AND id = $6 AND status IN ('queued', 'delivered') \
             RETURNING {JOB_COLUMNS}"
        );
        let updated = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status.as_str())
            .bind(detail)
            .bind(millis(now))
            .bind(tenant.as_str())
            .bind(station.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = updated {
            let job = job_from_row(&row)?;
            insert_events(&mut tx, tenant, &[event(&job)], now).await?;
            self.commit_events(tx).await?;
            return Ok(AckOutcome::Updated(job));
        }
        tx.rollback().await?;
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM print_jobs WHERE tenant_id = $1 AND station_id = $2 AND id = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(station.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.writer)
            .await?;
        Ok(match row.as_ref().map(job_from_row).transpose()? {
            None => AckOutcome::NotFound,
            Some(job) if job.status == status.status() => AckOutcome::Unchanged(job),
            Some(job) => AckOutcome::Conflict(job),
        })
    }

    /// Expires up to `limit` queued jobs whose TTL has passed, each with its event, in one
    /// transaction. Returns the expired jobs' count.
    pub async fn expire_print_jobs(
        &self,
        now: OffsetDateTime,
        limit: u32,
        event: impl Fn(&PrintJobRecord) -> NewEvent,
    ) -> Result<usize> {
        let mut tx = self.begin().await?;
        let sql = claim_sql(
            self.backend,
            "print_jobs",
            "status = 'expired', completed_at = $1",
            "SELECT id FROM print_jobs WHERE status = 'queued' AND expires_at <= $1 ORDER BY id LIMIT $2",
            "status = 'queued'",
            &format!("tenant_id, {JOB_COLUMNS}"),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(millis(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        for row in &rows {
            let tenant = TenantId::from_db(row.try_get("tenant_id")?);
            let job = job_from_row(row)?;
            insert_events(&mut tx, &tenant, &[event(&job)], now).await?;
        }
        if rows.is_empty() {
            tx.commit().await?;
        } else {
            self.commit_events(tx).await?;
        }
        Ok(rows.len())
    }
}

pub(super) async fn insert_job(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    j: &PrintJobRecord,
) -> Result<()> {
    let (batch, sort, labels) = match &j.subject {
        JobSubject::Shipment(_) => (None, None, None),
        JobSubject::Batch { id, sort, labels } => (
            Some(id.as_str()),
            Some(sort.as_str()),
            Some(i64::from(*labels)),
        ),
    };
    sqlx::query(
        "INSERT INTO print_jobs (id, tenant_id, station_id, shipment_id, format, stock, dpi, copies, \
         status, created_at, expires_at, batch_id, batch_sort, labels) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(j.id.as_str())
    .bind(tenant.as_str())
    .bind(j.station_id.as_str())
    .bind(j.subject.shipment().map(ShipmentId::as_str))
    .bind(j.format.as_str())
    .bind(j.stock.as_str())
    .bind(i64::from(j.dpi.dpi()))
    .bind(i64::from(j.copies))
    .bind(j.status.as_str())
    .bind(millis(j.created_at))
    .bind(millis(j.expires_at))
    .bind(batch)
    .bind(sort)
    .bind(labels)
    .execute(&mut *tx)
    .await?;
    if let Some(b) = batch {
        // The batch shows its latest print job.
        sqlx::query("UPDATE batches SET print_job_id = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(j.id.as_str())
            .bind(tenant.as_str())
            .bind(b)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// A stored name of a closed set, read into its type; anything else is a corrupt row.
fn named<T>(r: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    name_in(col, r.try_get(col)?, parse)
}

fn named_opt<T>(r: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
    r.try_get::<Option<String>, _>(col)?
        .map(|v| name_in(col, v, parse))
        .transpose()
}

fn name_in<T>(col: &str, v: String, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(&v).ok_or_else(|| StoreError::Corrupt(format!("print {col} `{v}`")))
}

fn dpi(v: i64) -> Result<Dpi> {
    u32::try_from(v)
        .ok()
        .and_then(Dpi::from_dpi)
        .ok_or_else(|| StoreError::Corrupt(format!("print dpi {v}")))
}

fn station_from_row(r: &AnyRow) -> Result<StationRecord> {
    Ok(StationRecord {
        id: StationId::from_db(r.try_get("id")?),
        name: r.try_get("name")?,
        format: named(r, "format", PrinterLanguage::parse)?,
        stock: named(r, "stock", |s| s.parse::<Stock>().ok())?,
        dpi: dpi(r.try_get("dpi")?)?,
        agent_format: named_opt(r, "agent_format", PrinterLanguage::parse)?,
        agent_dpi: r
            .try_get::<Option<i64>, _>("agent_dpi")?
            .map(dpi)
            .transpose()?,
        printer_font: named_opt(r, "printer_font", |s| s.parse::<PrinterFont>().ok())?,
        printer_state: named_opt(r, "printer_state", PrinterState::parse)?,
        printer_detail: r.try_get("printer_detail")?,
        last_seen_at: r
            .try_get::<Option<i64>, _>("last_seen_at")?
            .map(from_millis),
        created_at: from_millis(r.try_get("created_at")?),
    })
}

fn job_subject(r: &AnyRow) -> Result<JobSubject> {
    let shipment: Option<String> = r.try_get("shipment_id")?;
    let batch: Option<String> = r.try_get("batch_id")?;
    match (shipment, batch) {
        (Some(s), None) => Ok(JobSubject::Shipment(ShipmentId::from_db(s))),
        (None, Some(b)) => {
            let labels: Option<i64> = r.try_get("labels")?;
            Ok(JobSubject::Batch {
                id: BatchId::from_db(b),
                sort: r
                    .try_get::<Option<String>, _>("batch_sort")?
                    .unwrap_or_else(|| "index".into()),
                labels: labels
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| StoreError::Corrupt("batch print job labels".into()))?,
            })
        }
        _ => Err(StoreError::Corrupt(
            "print job with neither or both of shipment and batch".into(),
        )),
    }
}

pub(super) fn job_from_row(r: &AnyRow) -> Result<PrintJobRecord> {
    let count = |col: &str| -> Result<u32> {
        let v: i64 = r.try_get(col)?;
        u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("print job {col} {v}")))
    };
    Ok(PrintJobRecord {
        id: PrintJobId::from_db(r.try_get("id")?),
        station_id: StationId::from_db(r.try_get("station_id")?),
        subject: job_subject(r)?,
        format: named(r, "format", PrinterLanguage::parse)?,
        stock: named(r, "stock", |s| s.parse::<Stock>().ok())?,
        dpi: dpi(r.try_get("dpi")?)?,
        copies: count("copies")?,
        status: named(r, "status", JobStatus::parse)?,
        detail: r.try_get("detail")?,
        deliveries: count("deliveries")?,
        created_at: from_millis(r.try_get("created_at")?),
        expires_at: from_millis(r.try_get("expires_at")?),
        delivered_at: r
            .try_get::<Option<i64>, _>("delivered_at")?
            .map(from_millis),
        completed_at: r
            .try_get::<Option<i64>, _>("completed_at")?
            .map(from_millis),
    })
}
