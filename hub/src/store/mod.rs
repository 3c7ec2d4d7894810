//! The store: one interface over SQLite (embedded default, one WAL file) and PostgreSQL.
//! Both speak the same SQL through sqlx's `Any` driver with `$n` placeholders; only the DDL
//! differs (two migration folders). Every method that reads or writes tenant data takes the
//! tenant first and puts it in the `WHERE` clause: no query crosses tenants.
//! Types are kept to what `Any` carries: TEXT ids, BIGINT unix-millisecond times, decimal
//! strings for money, BLOBs for documents and ciphertext.

use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;
use shiphub_carriers::model::{Currency, Money};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::ids::{AccountId, ApiKeyId, DocumentId, EventId, ShipmentId, TenantId};

mod idempotency;
mod invoices;
mod print;
mod rate_cards;
#[cfg(test)]
mod tests;
mod trackers;
mod webhooks;

pub(crate) use idempotency::complete_idem;
pub use idempotency::{IdemBegin, IdemClaim, IdemCompletion, IdemStuck};
pub use invoices::{
    Billing, FileChunk, InvoicePackageRow, ReconciliationDone, ReconciliationRecord, ShipmentFacts,
};
pub use print::{AckOutcome, JobAck, PrintJobRecord, ShipmentExtras, StationRecord};
pub use rate_cards::RateCardVersion;
pub use trackers::{ClaimedTracker, TimelinessRow, TrackerRecord, status_name};
pub use webhooks::{
    AfterAttempt, AttemptRecord, AttemptResult, ClaimedDelivery, DeliveryRecord, EndpointRecord,
    RecoverFrom,
};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("src/store/migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}` (use sqlite:// or postgres://)")]
    Url(String),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The request's idempotency key is no longer this instance's (its lease ran out and
    /// another instance resolved it): the transaction must not commit.
    #[error("idempotency key `{0}` was taken over after its lease ran out")]
    LeaseLost(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
pub struct Store {
    /// Reads (and, on PostgreSQL, everything).
    pool: AnyPool,
    /// Writes. On SQLite a single connection: SQLite admits one writer at a time, and queueing
    /// in the pool is far cheaper than writers sleeping in SQLite's busy handler.
    writer: AnyPool,
    backend: Backend,
    /// Rung after a commit that wrote events, so this instance's webhook dispatcher need not
    /// wait for its next poll (other instances still find them by polling).
    events: Arc<Notify>,
}

/// A key's own request limit; `None` fields fall back to the server's defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyLimit {
    pub rate: Option<u32>,
    pub burst: Option<u32>,
}

pub fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_at: OffsetDateTime,
}

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

#[derive(Clone, Debug)]
pub struct ShipmentRecord {
    pub id: ShipmentId,
    pub carrier_account_id: AccountId,
    pub carrier: String,
    pub service_code: String,
    pub status: String,
    pub tracking_number: String,
    pub reference: Option<String>,
    pub total: Money,
    pub label_format: String,
    /// The validated ship request, as JSON.
    pub request: String,
    /// The carrier's waybill (without label bytes), as JSON.
    pub waybill: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub voided_at: Option<OffsetDateTime>,
    /// What the freight audit reads (JSON, `reconcile::AuditFacts`); written with the
    /// shipment, not read back with it.
    pub audit_facts: Option<String>,
}

#[derive(Clone, Debug)]
pub struct DocumentRecord {
    pub id: DocumentId,
    pub shipment_id: ShipmentId,
    pub kind: String,
    pub format: String,
    pub content: Vec<u8>,
}

/// An event for subscribers, written with the change that caused it.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// `shipment.created`, `shipment.voided`, …
    pub kind: &'static str,
    /// The object the event is about (`shp_…`).
    pub subject_id: String,
    /// The event's `data`.
    pub data: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct EventRecord {
    pub id: EventId,
    pub kind: String,
    pub subject_id: String,
    pub data: serde_json::Value,
    pub created_at: OffsetDateTime,
}

const SHIPMENT_COLUMNS: &str = "id, carrier_account_id, carrier, service_code, status, tracking_number, reference, \
     total_amount, total_currency, label_format, request, waybill, created_at, updated_at, voided_at";

/// WAL lets readers proceed while the writer commits; busy_timeout covers the moments a
/// reader checkpoints. `synchronous = NORMAL` is durable across process crashes in WAL mode.
/// Reads go through `mmap` (up to SQLite's 2 GiB cap): large scans such as an invoice audit's
/// lookups otherwise spend a third of their time copying pages out of the kernel's cache.
fn sqlite_options() -> AnyPoolOptions {
    AnyPoolOptions::new().after_connect(|conn, _| {
        Box::pin(async move {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&mut *conn)
                .await?;
            sqlx::query("PRAGMA busy_timeout = 5000")
                .execute(&mut *conn)
                .await?;
            sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await?;
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await?;
            sqlx::query("PRAGMA mmap_size = 2147418112")
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
    })
}

impl Store {
    /// Connects, creating the SQLite file when the URL says `mode=rwc`.
    pub async fn connect(url: &str) -> Result<Store> {
        Self::connect_with(url, None).await
    }

    /// Connects with every PostgreSQL session confined to `schema` (tests isolate runs so).
    pub async fn connect_with(url: &str, pg_schema: Option<String>) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Url(url.to_string()));
        };
        let opts = match backend {
            Backend::Sqlite => sqlite_options().max_connections(8),
            Backend::Postgres => {
                let opts = AnyPoolOptions::new().max_connections(16);
                match pg_schema {
                    Some(schema) => opts.after_connect(move |conn, _| {
                        let set = format!("SET search_path TO {schema}");
                        Box::pin(async move {
                            sqlx::query(sqlx::AssertSqlSafe(set))
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    }),
                    None => opts,
                }
            }
        };
        let pool = opts.connect(url).await?;
        let writer = match backend {
            Backend::Sqlite => sqlite_options().max_connections(1).connect(url).await?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Store {
            pool,
            writer,
            backend,
            events: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction on the writer. The `BEGIN` runs on a task of its own so that it finishes
    /// even when the caller is dropped (a client hangs up, a task is aborted): sqlx's
    /// PostgreSQL driver forgets a transaction whose `begin` is dropped after BEGIN went out,
    /// and the pooled connection would then run every later statement inside it, uncommitted
    /// and holding its locks. A finished start dropped unused rolls back as usual.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let writer = self.writer.clone();
        crate::outliving_caller(async move { writer.begin().await })
            .await
            .unwrap_or(Err(sqlx::Error::PoolClosed))
            .map_err(StoreError::Db)
    }

    /// Commits a transaction that wrote events and says so to `events_committed`.
    pub(crate) async fn commit_events(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
    ) -> Result<()> {
        tx.commit().await?;
        self.events.notify_one();
        Ok(())
    }

    /// Resolves once events have been committed by this instance since the last call (a
    /// commit while nobody waited is kept for the next call).
    pub async fn events_committed(&self) {
        self.events.notified().await;
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.writer).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Runs one statement as given (test and admin harnesses: schemas).
    pub async fn execute_raw(&self, sql: &str) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // --- tenants and API keys -------------------------------------------------------------

    pub async fn create_tenant(&self, name: &str, now: OffsetDateTime) -> Result<Tenant> {
        let id = TenantId::generate();
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(name)
            .bind(millis(now))
            .execute(&self.writer)
            .await?;
        Ok(Tenant {
            id,
            name: name.to_string(),
            created_at: now,
        })
    }

    pub async fn tenant_by_name(&self, name: &str) -> Result<Option<Tenant>> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Tenant {
                id: TenantId::from_db(r.try_get("id")?),
                name: r.try_get("name")?,
                created_at: from_millis(r.try_get("created_at")?),
            })
        })
        .transpose()
    }

    /// The tenant, when the store has exactly one (CLI defaults).
    pub async fn only_tenant(&self) -> Result<Option<TenantId>> {
        let rows = sqlx::query("SELECT id FROM tenants ORDER BY id LIMIT 2")
            .fetch_all(&self.pool)
            .await?;
        Ok(match rows.as_slice() {
            [one] => Some(TenantId::from_db(one.try_get("id")?)),
            _ => None,
        })
    }

    pub async fn tenant_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM tenants")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    pub async fn insert_api_key(
        &self,
        tenant: &TenantId,
        key_hash: &str,
        prefix: &str,
        now: OffsetDateTime,
    ) -> Result<ApiKeyId> {
        let id = ApiKeyId::generate();
        sqlx::query("INSERT INTO api_keys (id, tenant_id, key_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.as_str())
            .bind(tenant.as_str())
            .bind(key_hash)
            .bind(prefix)
            .bind(millis(now))
            .execute(&self.writer)
            .await?;
        Ok(id)
    }

    /// The tenant an unrevoked key belongs to. The lookup is by the key's SHA-256, never the key.
    pub async fn tenant_for_key(&self, key_hash: &str) -> Result<Option<TenantId>> {
        let row = sqlx::query(
            "SELECT tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get("tenant_id"))
            .transpose()?
            .map(TenantId::from_db))
    }

    /// A key's own request limit (`rate`, `burst`), when one was set for it; `None` when the
    /// key is unknown or revoked.
    pub async fn key_limit(&self, key_hash: &str) -> Result<Option<KeyLimit>> {
        let row = sqlx::query(
            "SELECT rate_limit, rate_burst FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let get = |c: &str| -> Result<Option<u32>> {
            Ok(r.try_get::<Option<i64>, _>(c)?
                .map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX)))
        };
        Ok(Some(KeyLimit {
            rate: get("rate_limit")?,
            burst: get("rate_burst")?,
        }))
    }

    /// Sets (or with `None`s, clears) the request limit of the unrevoked keys starting with
    /// `prefix`; returns how many keys it applied to.
    pub async fn set_key_limit(&self, prefix: &str, limit: KeyLimit) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE api_keys SET rate_limit = $1, rate_burst = $2 WHERE prefix = $3 AND revoked_at IS NULL",
        )
        .bind(limit.rate.map(i64::from))
        .bind(limit.burst.map(i64::from))
        .bind(prefix)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    // --- carrier accounts -------------------------------------------------------------------

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

    // --- shipments and documents ------------------------------------------------------------

    /// Writes a bought shipment, its documents and the idempotency answer in one transaction:
    /// either the purchase is recorded and replayable, or nothing is.
    pub async fn insert_shipment(
        &self,
        tenant: &TenantId,
        s: &ShipmentRecord,
        docs: &[DocumentRecord],
        events: &[NewEvent],
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        self.insert_shipment_with(tenant, s, docs, events, ShipmentExtras::default(), idem)
            .await
    }

    pub async fn get_shipment(
        &self,
        tenant: &TenantId,
        id: &ShipmentId,
    ) -> Result<Option<ShipmentRecord>> {
        let sql =
            format!("SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(shipment_from_row).transpose()
    }

    /// Newest first; `before` is the cursor (the last id of the previous page).
    pub async fn list_shipments(
        &self,
        tenant: &TenantId,
        before: Option<&ShipmentId>,
        limit: u32,
    ) -> Result<Vec<ShipmentRecord>> {
        let rows = match before {
            Some(cursor) => {
                let sql = format!(
                    "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.as_str())
                    .bind(cursor.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = format!(
                    "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(shipment_from_row).collect()
    }

    /// Marks a shipment voided; false when it was already voided (or is not the tenant's).
    pub async fn void_shipment(
        &self,
        tenant: &TenantId,
        id: &ShipmentId,
        now: OffsetDateTime,
        events: &[NewEvent],
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE shipments SET status = 'voided', voided_at = $1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4 AND voided_at IS NULL",
        )
        .bind(millis(now))
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        let voided = r.rows_affected() == 1;
        if voided {
            insert_events(&mut tx, tenant, events, now).await?;
        }
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        self.commit_events(tx).await?;
        Ok(voided)
    }

    /// Marks a shipment `void_requested` (the carrier could not confirm a void); false when it
    /// is voided already or a void was requested before.
    pub async fn request_void(
        &self,
        tenant: &TenantId,
        id: &ShipmentId,
        now: OffsetDateTime,
        events: &[NewEvent],
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE shipments SET status = 'void_requested', updated_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND voided_at IS NULL AND status <> 'void_requested'",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        let changed = r.rows_affected() == 1;
        if changed {
            insert_events(&mut tx, tenant, events, now).await?;
        }
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        self.commit_events(tx).await?;
        Ok(changed)
    }

    /// Events oldest first; `after` is the cursor (the last id of the previous page).
    pub async fn list_events(
        &self,
        tenant: &TenantId,
        after: Option<&EventId>,
        limit: u32,
    ) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query(
            "SELECT id, type, subject_id, payload, created_at FROM events \
             WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(after.map_or("", EventId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(EventRecord {
                    id: EventId::from_db(r.try_get("id")?),
                    kind: r.try_get("type")?,
                    subject_id: r.try_get("subject_id")?,
                    data: serde_json::from_str(&payload)
                        .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?,
                    created_at: from_millis(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    pub async fn get_document(
        &self,
        tenant: &TenantId,
        shipment: &ShipmentId,
        kind: &str,
        format: &str,
    ) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query(
            "SELECT content FROM documents WHERE tenant_id = $1 AND shipment_id = $2 AND kind = $3 AND format = $4",
        )
        .bind(tenant.as_str())
        .bind(shipment.as_str())
        .bind(kind)
        .bind(format)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("content")).transpose()?)
    }
}

async fn insert_shipment_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    s: &ShipmentRecord,
    docs: &[DocumentRecord],
    events: &[NewEvent],
) -> Result<()> {
    sqlx::query(
            "INSERT INTO shipments (id, tenant_id, carrier_account_id, carrier, service_code, status, tracking_number, \
             reference, total_amount, total_currency, label_format, request, waybill, created_at, updated_at, voided_at, \
             audit_facts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(s.id.as_str())
        .bind(tenant.as_str())
        .bind(s.carrier_account_id.as_str())
        .bind(&s.carrier)
        .bind(&s.service_code)
        .bind(&s.status)
        .bind(&s.tracking_number)
        .bind(s.reference.as_deref())
        .bind(s.total.amount().to_string())
        .bind(s.total.currency().code())
        .bind(&s.label_format)
        .bind(&s.request)
        .bind(&s.waybill)
        .bind(millis(s.created_at))
        .bind(millis(s.updated_at))
        .bind(s.voided_at.map(millis))
        .bind(s.audit_facts.as_deref())
        .execute(&mut **tx)
        .await?;
    for d in docs {
        sqlx::query(
            "INSERT INTO documents (id, tenant_id, shipment_id, kind, format, content, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(d.id.as_str())
        .bind(tenant.as_str())
        .bind(d.shipment_id.as_str())
        .bind(&d.kind)
        .bind(&d.format)
        .bind(&d.content)
        .bind(millis(s.created_at))
        .execute(&mut **tx)
        .await?;
    }
    insert_events(tx, tenant, events, s.created_at).await
}

async fn insert_events(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    events: &[NewEvent],
    at: OffsetDateTime,
) -> Result<()> {
    for e in events {
        sqlx::query("INSERT INTO events (id, tenant_id, type, subject_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(EventId::generate().as_str())
            .bind(tenant.as_str())
            .bind(e.kind)
            .bind(&e.subject_id)
            .bind(e.data.to_string())
            .bind(millis(at))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
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

fn shipment_from_row(r: &AnyRow) -> Result<ShipmentRecord> {
    let amount: String = r.try_get("total_amount")?;
    let currency: String = r.try_get("total_currency")?;
    let total = Money::new(
        Decimal::from_str(&amount)
            .map_err(|e| StoreError::Corrupt(format!("amount {amount}: {e}")))?,
        Currency::from_str(&currency).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    );
    Ok(ShipmentRecord {
        id: ShipmentId::from_db(r.try_get("id")?),
        carrier_account_id: AccountId::from_db(r.try_get("carrier_account_id")?),
        carrier: r.try_get("carrier")?,
        service_code: r.try_get("service_code")?,
        status: r.try_get("status")?,
        tracking_number: r.try_get("tracking_number")?,
        reference: r.try_get("reference")?,
        total,
        label_format: r.try_get("label_format")?,
        request: r.try_get("request")?,
        waybill: r.try_get("waybill")?,
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
        voided_at: r.try_get::<Option<i64>, _>("voided_at")?.map(from_millis),
        audit_facts: None,
    })
}

pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `placeholders` for the long multi-row statements, whose binds come in the order their
/// markers appear and each once: on SQLite anonymous `?`. A numbered marker costs SQLite a walk
/// of every marker before it, when it parses the statement and again when each value is bound
/// (`sqlite3_bind_parameter_name`), so a statement with P numbered markers costs O(P²): with
/// thousands of binds that was most of the writer's time.
pub(crate) fn markers(backend: Backend, from: usize, n: usize) -> String {
    match backend {
        Backend::Postgres => placeholders(from, n),
        Backend::Sqlite => vec!["?"; n].join(", "),
    }
}
