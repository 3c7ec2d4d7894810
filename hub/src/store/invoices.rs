//! Freight reconciliation: imported invoices, the packages they billed, their reports, and
//! the lookups the audit makes (shipments by tracking number or reference, earlier billings).
//! An import is written while `status = 'running'` and counts only once one transaction
//! marks it `completed`; a failed or abandoned import is deleted whole.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{Backend, IdemCompletion, NewEvent, Result, Store, complete_idem, from_millis};
use super::{insert_events, millis};
use crate::ids::{ReconciliationId, TenantId};
use crate::named::named_enum;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconciliationRecord {
    pub id: ReconciliationId,
    pub carrier: String,
    pub status: ReconciliationStatus,
    pub file_sha256: String,
    pub file_bytes: i64,
    pub rate_card: Option<String>,
    pub lines: i64,
    pub packages: i64,
    pub error_count: i64,
    /// Totals and import errors, once completed.
    pub summary: Option<serde_json::Value>,
    pub failure: Option<String>,
    /// A pull's progress: waybills asked so far and in all (`None` for a file's import).
    pub pull: Option<PullProgress>,
    /// Why a failed pull failed, as an RFC 9457 problem (JSON): the carrier error's type,
    /// retry class and detail.
    pub problem: Option<serde_json::Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
}

named_enum! {
    /// Where an import is: only a `completed` one counts (and serves its reports); a `failed`
    /// one kept nothing but its failure.
    pub enum ReconciliationStatus {
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        /// A pull still asking the carrier's billing API (then `running`, like a file).
        Pulling = "pulling",
    }
}

/// How far a pull is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PullProgress {
    pub done: i64,
    pub total: i64,
}

/// A pull to start: what it asks (JSON, kept to resume it) and how many waybills.
#[derive(Clone, Debug)]
pub struct NewPull<'a> {
    pub job: &'a str,
    pub total: i64,
    pub owner: &'a str,
    pub lease_until: OffsetDateTime,
}

/// A pull claimed by this instance: its tenant, what it asks, and how far it got.
#[derive(Clone, Debug)]
pub struct ClaimedPull {
    pub tenant: TenantId,
    pub id: ReconciliationId,
    pub job: String,
    pub done: i64,
}

/// How a pull with all its bills in was settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullSettled {
    /// Now `running`: its bills are audited like a file.
    Running,
    /// The same bills were imported already (as this one): left `pulling` for the caller to fail.
    Duplicate(Box<ReconciliationRecord>),
    /// Another instance holds it now (this one's lease ran out).
    LeaseLost,
}

impl ReconciliationRecord {
    /// A new import, `running` from `now`.
    pub fn running(
        carrier: &str,
        file_sha256: String,
        file_bytes: u64,
        rate_card: Option<String>,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: ReconciliationId::generate(),
            carrier: carrier.to_string(),
            status: ReconciliationStatus::Running,
            file_sha256,
            file_bytes: file_bytes as i64,
            rate_card,
            lines: 0,
            packages: 0,
            error_count: 0,
            summary: None,
            failure: None,
            pull: None,
            problem: None,
            created_at: now,
            updated_at: now,
            completed_at: None,
        }
    }
}

/// What the audit needs of a stored shipment: `F` is the caller's view of `audit_facts`
/// (what was bought, kept at purchase; for shipments bought before that column, the same
/// fields with `request` and `waybill` in place of the lane, parcels and charges), then what
/// changes later.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct ShipmentFacts<F> {
    pub shipment: F,
    #[serde(deserialize_with = "opt_millis")]
    pub voided_at: Option<OffsetDateTime>,
    /// From the shipment's tracker.
    #[serde(deserialize_with = "opt_millis")]
    pub delivered_at: Option<OffsetDateTime>,
    pub promised_date: Option<String>,
    pub service_class: Option<String>,
}

fn opt_millis<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<OffsetDateTime>, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.map(from_millis))
}

/// One audited package, as kept for later imports and listings.
#[derive(Clone, Debug)]
pub struct InvoicePackageRow {
    pub invoice_number: String,
    /// ISO date, when the file gave one.
    pub invoice_date: Option<String>,
    pub tracking_number: String,
    pub shipment_id: Option<String>,
    pub bills_shipment: bool,
    pub billed: String,
    pub recoverable: String,
    /// Reason codes, comma-separated.
    pub reasons: String,
}

/// A kept billing of a shipment charge: tracking number, invoice number, invoice date (ISO).
pub type Billing = (String, String, Option<String>);

/// One chunk of a rendered report.
#[derive(Clone, Debug)]
pub struct FileChunk {
    pub kind: &'static str,
    pub seq: i64,
    pub content: Vec<u8>,
}

/// Final counts and totals of an import.
#[derive(Clone, Debug)]
pub struct ReconciliationDone {
    pub lines: i64,
    pub packages: i64,
    pub error_count: i64,
    pub summary: String,
}

/// A shipment's audit facts, or for one bought before they were kept, the same fields with
/// its request and waybill (COALESCE evaluates the second only when the first is NULL).
const SQLITE_FACTS: &str = "coalesce(s.audit_facts, '{\"shipment_id\":' || json_quote(s.id) || \
     ',\"carrier\":' || json_quote(s.carrier) || ',\"service_code\":' || json_quote(s.service_code) || \
     ',\"tracking_number\":' || json_quote(s.tracking_number) || ',\"reference\":' || json_quote(s.reference) || \
     ',\"total_amount\":' || json_quote(s.total_amount) || ',\"total_currency\":' || json_quote(s.total_currency) || \
     ',\"request\":' || s.request || ',\"waybill\":' || s.waybill || '}')";
const POSTGRES_FACTS: &str = "coalesce(s.audit_facts, CAST(json_build_object('shipment_id', s.id, \
     'carrier', s.carrier, 'service_code', s.service_code, 'tracking_number', s.tracking_number, \
     'reference', s.reference, 'total_amount', s.total_amount, 'total_currency', s.total_currency, \
     'request', CAST(s.request AS json), 'waybill', CAST(s.waybill AS json)) AS TEXT))";

const REC_COLUMNS: &str = "id, carrier, status, file_sha256, file_bytes, rate_card, lines, packages, \
     error_count, summary, failure, pull_done, pull_total, problem, created_at, updated_at, completed_at";

/// Rows per multi-row INSERT: 11 binds each, well under both backends' parameter limits.
const INSERT_ROWS: usize = 400;

impl Store {
    /// Tracking numbers of the shipments bought on a carrier account in [from, to), voided
    /// ones included (a voided label billed is a finding), oldest first: what a pull from the
    /// carrier's billing API asks about.
    pub async fn shipment_numbers_of_account(
        &self,
        tenant: &TenantId,
        account: &crate::ids::AccountId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT tracking_number FROM shipments WHERE tenant_id = $1 AND carrier_account_id = $2 \
             AND created_at >= $3 AND created_at < $4 ORDER BY created_at, id",
        )
        .bind(tenant.as_str())
        .bind(account.as_str())
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get("tracking_number")?))
            .collect()
    }

    /// `IN (…)` over one JSON array parameter: one cached statement whatever the batch size.
    fn json_list(&self, n: usize) -> String {
        match self.backend {
            Backend::Sqlite => format!("(SELECT value FROM json_each(${n}))"),
            Backend::Postgres => format!("(SELECT jsonb_array_elements_text(${n}::jsonb))"),
        }
    }

    /// Starts an import (status `running`), with the idempotent answer in the same transaction.
    pub async fn begin_reconciliation(
        &self,
        tenant: &TenantId,
        r: &ReconciliationRecord,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO reconciliations (id, tenant_id, carrier, status, file_sha256, file_bytes, rate_card, \
             created_at, updated_at) VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $7)",
        )
        .bind(r.id.as_str())
        .bind(tenant.as_str())
        .bind(&r.carrier)
        .bind(&r.file_sha256)
        .bind(r.file_bytes)
        .bind(r.rate_card.as_deref())
        .bind(millis(r.created_at))
        .execute(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A running or completed import of the same file (same SHA-256) for this carrier, or a
    /// pull still asking for the same waybills (its `file_sha256` is the hash of what it asks).
    pub async fn reconciliation_of_file(
        &self,
        tenant: &TenantId,
        carrier: &str,
        sha256: &str,
    ) -> Result<Option<ReconciliationRecord>> {
        let sql = format!(
            "SELECT {REC_COLUMNS} FROM reconciliations WHERE tenant_id = $1 AND file_sha256 = $2 \
             AND carrier = $3 AND status IN ('pulling', 'running', 'completed') ORDER BY id LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(sha256)
            .bind(carrier)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rec_from_row).transpose()
    }

    pub async fn get_reconciliation(
        &self,
        tenant: &TenantId,
        id: &ReconciliationId,
    ) -> Result<Option<ReconciliationRecord>> {
        let sql =
            format!("SELECT {REC_COLUMNS} FROM reconciliations WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rec_from_row).transpose()
    }

    /// Newest first, after `before` (an id) when given.
    pub async fn list_reconciliations(
        &self,
        tenant: &TenantId,
        before: Option<&ReconciliationId>,
        limit: u32,
    ) -> Result<Vec<ReconciliationRecord>> {
        let sql = format!(
            "SELECT {REC_COLUMNS} FROM reconciliations WHERE tenant_id = $1 AND ($2 = '' OR id < $2) \
             ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(before.map_or("", |b| b.as_str()))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rec_from_row).collect()
    }

    /// Shipments with these tracking numbers (of `carrier`, when given), with their trackers.
    pub async fn shipment_facts_by_tracking<F: DeserializeOwned>(
        &self,
        tenant: &TenantId,
        carrier: Option<&str>,
        numbers: &[String],
    ) -> Result<Vec<ShipmentFacts<F>>> {
        self.shipment_facts("tracking_number", tenant, carrier, numbers)
            .await
    }

    /// Shipments with these references (of `carrier`, when given), with their trackers.
    pub async fn shipment_facts_by_reference<F: DeserializeOwned>(
        &self,
        tenant: &TenantId,
        carrier: Option<&str>,
        references: &[String],
    ) -> Result<Vec<ShipmentFacts<F>>> {
        self.shipment_facts("reference", tenant, carrier, references)
            .await
    }

    async fn shipment_facts<F: DeserializeOwned>(
        &self,
        column: &str,
        tenant: &TenantId,
        carrier: Option<&str>,
        keys: &[String],
    ) -> Result<Vec<ShipmentFacts<F>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // The whole answer as one JSON document of rows (each in `ShipmentFacts` field order),
        // decoded in one pass: sqlx hands each row of a result from its SQLite thread to ours
        // separately (a wake-up each) and copies every value, which dominated a large
        // invoice's audit. SQLite writes the document by concatenation, the kept facts
        // verbatim (JSON the hub wrote); the values around them are numbers, ISO dates and
        // service-class words, which need no escaping.
        let doc = match self.backend {
            // `printf` writes each row once; a chain of `||` copies the row at every step.
            Backend::Sqlite => format!(
                "'[' || ifnull(group_concat(printf('[%s,%s,%s,%s,%s]', {SQLITE_FACTS}, ifnull(s.voided_at, 'null'), \
                 ifnull(t.delivered_at, 'null'), ifnull('\"' || t.promised_date || '\"', 'null'), \
                 ifnull('\"' || t.service_class || '\"', 'null')), ','), '') || ']'"
            ),
            Backend::Postgres => format!(
                "CAST(json_agg(json_build_array(CAST({POSTGRES_FACTS} AS json), s.voided_at, t.delivered_at, \
                 t.promised_date, t.service_class)) AS TEXT)"
            ),
        };
        let sql = format!(
            "SELECT {doc} AS f FROM shipments s LEFT JOIN trackers t ON t.shipment_id = s.id \
             WHERE s.tenant_id = $1 AND ($2 = '' OR s.carrier = $2) AND s.{column} IN {}",
            self.json_list(3)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(carrier.unwrap_or(""))
            .bind(serde_json::to_string(keys).expect("strings serialize"))
            .fetch_one(&self.pool)
            .await?;
        // No rows: SQLite answers `[]`, PostgreSQL NULL.
        let Some(text) = row.try_get::<Option<String>, _>("f")? else {
            return Ok(Vec::new());
        };
        serde_json::from_str(&text)
            .map_err(|e| super::StoreError::Corrupt(format!("shipment facts: {e}")))
    }

    /// (tracking number, invoice number) of every completed import that billed the shipment
    /// charge of one of these packages.
    pub async fn earlier_billings(
        &self,
        tenant: &TenantId,
        numbers: &[String],
    ) -> Result<Vec<Billing>> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        // One JSON document for the whole answer (see `shipment_facts`).
        let pair = match self.backend {
            Backend::Sqlite => {
                "json_group_array(json_array(p.tracking_number, p.invoice_number, p.invoice_date))"
            }
            Backend::Postgres => {
                "json_agg(json_build_array(p.tracking_number, p.invoice_number, p.invoice_date))"
            }
        };
        let sql = format!(
            "SELECT CAST({pair} AS TEXT) AS f FROM invoice_packages p \
             JOIN reconciliations r ON r.id = p.reconciliation_id \
             WHERE p.tenant_id = $1 AND p.bills_shipment = 1 AND r.status = 'completed' \
             AND p.tracking_number IN {}",
            self.json_list(2)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(serde_json::to_string(numbers).expect("strings serialize"))
            .fetch_one(&self.pool)
            .await?;
        let Some(text) = row.try_get::<Option<String>, _>("f")? else {
            return Ok(Vec::new());
        };
        serde_json::from_str(&text)
            .map_err(|e| super::StoreError::Corrupt(format!("earlier billings: {e}")))
    }

    /// Adds a batch of audited packages and report chunks to a running import (one
    /// transaction; `first_seq` numbers the packages).
    pub async fn add_to_reconciliation(
        &self,
        tenant: &TenantId,
        id: &ReconciliationId,
        first_seq: i64,
        packages: &[InvoicePackageRow],
        chunks: &[FileChunk],
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let updated = sqlx::query(
            "UPDATE reconciliations SET updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND status = 'running'",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(super::StoreError::Corrupt(format!(
                "reconciliation {id} is no longer running"
            )));
        }
        let mut seq = first_seq;
        for rows in packages.chunks(INSERT_ROWS) {
            let values: Vec<String> = (0..rows.len())
                .map(|i| format!("({})", super::markers(self.backend, 1 + i * 11, 11)))
                .collect();
            let sql = format!(
                "INSERT INTO invoice_packages (reconciliation_id, seq, tenant_id, invoice_number, \
                 tracking_number, shipment_id, bills_shipment, billed, recoverable, reasons, invoice_date) VALUES {}",
                values.join(",")
            );
            // A full chunk always has the same text (cached); the last one of an import not.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(rows.len() == INSERT_ROWS);
            for p in rows {
                q = q
                    .bind(id.as_str())
                    .bind(seq)
                    .bind(tenant.as_str())
                    .bind(&p.invoice_number)
                    .bind(&p.tracking_number)
                    .bind(p.shipment_id.as_deref())
                    .bind(i64::from(p.bills_shipment))
                    .bind(&p.billed)
                    .bind(&p.recoverable)
                    .bind(&p.reasons)
                    .bind(p.invoice_date.as_deref());
                seq += 1;
            }
            q.execute(&mut *tx).await?;
        }
        for c in chunks {
            sqlx::query(
                "INSERT INTO reconciliation_files (reconciliation_id, kind, seq, content) VALUES ($1, $2, $3, $4)",
            )
            .bind(id.as_str())
            .bind(c.kind)
            .bind(c.seq)
            .bind(&c.content)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Makes a running import count, with its event, in one transaction. False when it was
    /// no longer running (swept as abandoned).
    pub async fn complete_reconciliation(
        &self,
        tenant: &TenantId,
        id: &ReconciliationId,
        done: &ReconciliationDone,
        event: &NewEvent,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE reconciliations SET status = 'completed', lines = $1, packages = $2, error_count = $3, \
             summary = $4, updated_at = $5, completed_at = $5 WHERE tenant_id = $6 AND id = $7 AND status = 'running'",
        )
        .bind(done.lines)
        .bind(done.packages)
        .bind(done.error_count)
        .bind(&done.summary)
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        insert_events(&mut tx, tenant, std::slice::from_ref(event), now).await?;
        self.commit_events(tx).await?;
        Ok(true)
    }

    /// Ends an import that could not finish: what it wrote is deleted, the reason kept.
    pub async fn fail_reconciliation(
        &self,
        tenant: &TenantId,
        id: &ReconciliationId,
        failure: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        delete_parts(&mut tx, id).await?;
        sqlx::query(
            "UPDATE reconciliations SET status = 'failed', failure = $1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4 AND status = 'running'",
        )
        .bind(failure)
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Fails imports whose instance stopped writing before `stale_before` (it died): their
    /// parts are deleted. Returns how many.
    pub async fn sweep_abandoned_reconciliations(
        &self,
        stale_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let rows = sqlx::query(
            "SELECT id FROM reconciliations WHERE status = 'running' AND updated_at < $1",
        )
        .bind(millis(stale_before))
        .fetch_all(&self.pool)
        .await?;
        let mut n = 0;
        for r in rows {
            let id = ReconciliationId::from_db(r.try_get("id")?);
            let mut tx = self.begin().await?;
            let u = sqlx::query(
                "UPDATE reconciliations SET status = 'failed', failure = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'running' AND updated_at < $4",
            )
            .bind("abandoned: the instance importing it stopped before it finished")
            .bind(millis(now))
            .bind(id.as_str())
            .bind(millis(stale_before))
            .execute(&mut *tx)
            .await?;
            if u.rows_affected() == 1 {
                delete_parts(&mut tx, &id).await?;
                n += 1;
            }
            tx.commit().await?;
        }
        Ok(n)
    }

    /// Starts a pull (status `pulling`, leased to `pull.owner`), with the idempotent answer in
    /// the same transaction.
    pub async fn begin_pull(
        &self,
        tenant: &TenantId,
        r: &ReconciliationRecord,
        pull: &NewPull<'_>,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO reconciliations (id, tenant_id, carrier, status, file_sha256, file_bytes, rate_card, \
             created_at, updated_at, pull, pull_total, pull_done, pull_owner, pull_lease_until) \
             VALUES ($1, $2, $3, 'pulling', $4, 0, $5, $6, $6, $7, $8, 0, $9, $10)",
        )
        .bind(r.id.as_str())
        .bind(tenant.as_str())
        .bind(&r.carrier)
        .bind(&r.file_sha256)
        .bind(r.rate_card.as_deref())
        .bind(millis(r.created_at))
        .bind(pull.job)
        .bind(pull.total)
        .bind(pull.owner)
        .bind(millis(pull.lease_until))
        .execute(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pulls whose lease ran out before `now` (their instance died or shut down), oldest first.
    pub async fn stale_pulls(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<ReconciliationId>> {
        let rows = sqlx::query(
            "SELECT id FROM reconciliations WHERE status = 'pulling' AND pull_lease_until < $1 \
             ORDER BY id LIMIT $2",
        )
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(ReconciliationId::from_db(r.try_get("id")?)))
            .collect()
    }

    /// Takes over a pull whose lease ran out (one conditional UPDATE: of several instances,
    /// one wins). `None` when it is not pulling or another instance holds it.
    pub async fn claim_pull(
        &self,
        id: &ReconciliationId,
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<ClaimedPull>> {
        let u = sqlx::query(
            "UPDATE reconciliations SET pull_owner = $1, pull_lease_until = $2 \
             WHERE id = $3 AND status = 'pulling' AND pull_lease_until < $4",
        )
        .bind(owner)
        .bind(millis(lease_until))
        .bind(id.as_str())
        .bind(millis(now))
        .execute(&self.writer)
        .await?;
        if u.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT tenant_id, pull, pull_done FROM reconciliations WHERE id = $1 AND pull_owner = $2",
        )
        .bind(id.as_str())
        .bind(owner)
        .fetch_optional(&self.writer)
        .await?;
        row.map(|r| {
            Ok(ClaimedPull {
                tenant: TenantId::from_db(r.try_get("tenant_id")?),
                id: id.clone(),
                job: r.try_get("pull")?,
                done: r.try_get("pull_done")?,
            })
        })
        .transpose()
    }

    /// Renews a pull's lease; false when this owner no longer holds it.
    pub async fn renew_pull(
        &self,
        id: &ReconciliationId,
        owner: &str,
        lease_until: OffsetDateTime,
    ) -> Result<bool> {
        let u = sqlx::query(
            "UPDATE reconciliations SET pull_lease_until = $1 \
             WHERE id = $2 AND status = 'pulling' AND pull_owner = $3",
        )
        .bind(millis(lease_until))
        .bind(id.as_str())
        .bind(owner)
        .execute(&self.writer)
        .await?;
        Ok(u.rows_affected() == 1)
    }

    /// Keeps the bills answered for the batch of waybills starting at `seq` (JSON) and moves
    /// the pull's progress to `done`, renewing its lease, in one transaction. False (nothing
    /// kept) when this owner no longer holds the pull.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_pulled(
        &self,
        tenant: &TenantId,
        id: &ReconciliationId,
        owner: &str,
        seq: i64,
        bills: &str,
        done: i64,
        lease_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let u = sqlx::query(
            "UPDATE reconciliations SET pull_done = $1, pull_lease_until = $2, updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5 AND status = 'pulling' AND pull_owner = $6",
        )
        .bind(done)
        .bind(millis(lease_until))
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if u.rows_affected() == 0 {
            return Ok(false);
        }
        // A batch asked again after a takeover replaces what its first asking kept.
        sqlx::query("DELETE FROM reconciliation_bills WHERE reconciliation_id = $1 AND seq = $2")
            .bind(id.as_str())
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO reconciliation_bills (reconciliation_id, seq, bills) VALUES ($1, $2, $3)",
        )
        .bind(id.as_str())
        .bind(seq)
        .bind(bills)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The bills a pull kept, batch by batch in the order asked (JSON each).
    pub async fn pulled_bills(&self, id: &ReconciliationId) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT bills FROM reconciliation_bills WHERE reconciliation_id = $1 ORDER BY seq",
        )
        .bind(id.as_str())
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("bills")?)).collect()
    }

    /// Turns a pull with every bill in into a running import of those bills (their SHA-256 and
    /// size in place of a file's), its kept bills dropped, in one transaction; unless the same
    /// bills were imported already for this carrier, or the lease was lost.
    pub async fn settle_pull(
        &self,
        tenant: &TenantId,
        id: &ReconciliationId,
        owner: &str,
        sha256: &str,
        bytes: u64,
        now: OffsetDateTime,
    ) -> Result<PullSettled> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "SELECT {REC_COLUMNS} FROM reconciliations r WHERE tenant_id = $1 AND file_sha256 = $2 \
             AND status IN ('running', 'completed') AND id <> $3 \
             AND carrier = (SELECT carrier FROM reconciliations WHERE id = $3) ORDER BY id LIMIT 1"
        );
        let earlier = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(sha256)
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = earlier {
            return Ok(PullSettled::Duplicate(Box::new(rec_from_row(&row)?)));
        }
        let u = sqlx::query(
            "UPDATE reconciliations SET status = 'running', file_sha256 = $1, file_bytes = $2, \
             pull_owner = NULL, pull_lease_until = NULL, updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5 AND status = 'pulling' AND pull_owner = $6",
        )
        .bind(sha256)
        .bind(bytes as i64)
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if u.rows_affected() == 0 {
            return Ok(PullSettled::LeaseLost);
        }
        sqlx::query("DELETE FROM reconciliation_bills WHERE reconciliation_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(PullSettled::Running)
    }

    /// Ends a pull that could not finish: its kept bills are deleted, the failure and its
    /// problem (JSON) kept. False when this owner no longer holds it.
    pub async fn fail_pull(
        &self,
        tenant: &TenantId,
        id: &ReconciliationId,
        owner: &str,
        failure: &str,
        problem: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let u = sqlx::query(
            "UPDATE reconciliations SET status = 'failed', failure = $1, problem = $2, updated_at = $3, \
             pull_owner = NULL, pull_lease_until = NULL \
             WHERE tenant_id = $4 AND id = $5 AND status = 'pulling' AND pull_owner = $6",
        )
        .bind(failure)
        .bind(problem)
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if u.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM reconciliation_bills WHERE reconciliation_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// One chunk of a report of a completed import; `None` past the last one.
    pub async fn reconciliation_file_chunk(
        &self,
        tenant: &TenantId,
        id: &ReconciliationId,
        kind: &str,
        seq: i64,
    ) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query(
            "SELECT f.content FROM reconciliation_files f JOIN reconciliations r ON r.id = f.reconciliation_id \
             WHERE r.tenant_id = $1 AND r.id = $2 AND r.status = 'completed' AND f.kind = $3 AND f.seq = $4",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(kind)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("content").map_err(Into::into))
            .transpose()
    }

    /// The tenant's audit settings (JSON), if it stored any.
    pub async fn audit_settings(&self, tenant: &TenantId) -> Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM audit_settings WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("body").map_err(Into::into))
            .transpose()
    }

    pub async fn put_audit_settings(
        &self,
        tenant: &TenantId,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_settings (tenant_id, body, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(body)
        .bind(millis(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn invoice_mapping(&self, tenant: &TenantId, name: &str) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT body FROM invoice_mappings WHERE tenant_id = $1 AND name = $2")
                .bind(tenant.as_str())
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| r.try_get("body").map_err(Into::into))
            .transpose()
    }

    /// Stores a column mapping; true when it is new.
    pub async fn put_invoice_mapping(
        &self,
        tenant: &TenantId,
        name: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let existed = self.invoice_mapping(tenant, name).await?.is_some();
        sqlx::query(
            "INSERT INTO invoice_mappings (tenant_id, name, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(name)
        .bind(body)
        .bind(millis(now))
        .execute(&self.writer)
        .await?;
        Ok(!existed)
    }
}

async fn delete_parts(tx: &mut sqlx::AnyConnection, id: &ReconciliationId) -> Result<()> {
    sqlx::query("DELETE FROM invoice_packages WHERE reconciliation_id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM reconciliation_files WHERE reconciliation_id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

fn rec_from_row(r: &AnyRow) -> Result<ReconciliationRecord> {
    Ok(ReconciliationRecord {
        id: ReconciliationId::from_db(r.try_get("id")?),
        carrier: r.try_get("carrier")?,
        status: super::named(r, "status")?,
        file_sha256: r.try_get("file_sha256")?,
        file_bytes: r.try_get("file_bytes")?,
        rate_card: r.try_get("rate_card")?,
        lines: r.try_get("lines")?,
        packages: r.try_get("packages")?,
        error_count: r.try_get("error_count")?,
        summary: r
            .try_get::<Option<String>, _>("summary")?
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| super::StoreError::Corrupt(format!("reconciliation summary: {e}")))?,
        failure: r.try_get("failure")?,
        pull: r
            .try_get::<Option<i64>, _>("pull_total")?
            .map(|total| -> Result<PullProgress> {
                Ok(PullProgress {
                    done: r.try_get("pull_done")?,
                    total,
                })
            })
            .transpose()?,
        problem: r
            .try_get::<Option<String>, _>("problem")?
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| super::StoreError::Corrupt(format!("reconciliation problem: {e}")))?,
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
        completed_at: r
            .try_get::<Option<i64>, _>("completed_at")?
            .map(from_millis),
    })
}
