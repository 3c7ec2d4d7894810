//! The store: one interface over SQLite (embedded default, one WAL file) and PostgreSQL.
//! Both speak the same SQL through sqlx's `Any` driver with `$n` placeholders; only the DDL
//! differs (two migration folders). Every method that reads or writes tenant data takes the
//! tenant first and puts it in the `WHERE` clause: no query crosses tenants.
//! Types are kept to what `Any` carries: TEXT ids, BIGINT unix-millisecond times, decimal
//! strings for money, BLOBs for documents and ciphertext.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use time::OffsetDateTime;
use tokio::sync::Notify;

mod accounts;
mod addresses;
mod batches;
mod console;
mod console_ops;
pub mod console_shipments;
mod events;
mod failover;
mod gauges;
mod group;
mod holds;
mod idempotency;
mod instances;
mod invoices;
mod manifests;
mod pickups;
mod print;
mod rate_cards;
mod renditions;
pub mod routing;
mod shipments;
mod streams;
mod tenants;
#[cfg(test)]
mod tests;
mod tracker_batch;
mod trackers;
mod users;
mod webhooks;

pub use accounts::AccountRecord;
pub use addresses::CachedAddressCheck;
pub use batches::{BatchItemRecord, BatchRecord, ItemOutcome};
pub use console_ops::{AttentionCounts, AttentionRow, FailedJob};
pub use events::{EventRecord, NewEvent};
pub(crate) use events::{insert_event_rows, insert_events, named};
pub use failover::{PgHosts, TargetSession, db_unavailable, redacted, split_hosts};
pub use gauges::{GaugeLimits, GaugeSample};
pub use holds::HoldConflict;
pub(crate) use idempotency::complete_idem;
pub use idempotency::{IdemBegin, IdemClaim, IdemCompletion, IdemStuck, IdempotencySettings};
pub use instances::{Beat, Reaped, Released};
pub use invoices::{
    Billing, ClaimedPull, FileChunk, InvoicePackageRow, NewPull, PullProgress, PullSettled,
    ReconciliationDone, ReconciliationRecord, ReconciliationStatus, ShipmentFacts,
};
pub use manifests::{ManifestConflict, ManifestRecord};
pub use pickups::{PickupRecord, PickupStatus};
pub use print::{
    AckOutcome, AckStatus, JobAck, JobStatus, JobSubject, PrintJobRecord, PrinterLanguage,
    PrinterState, StationRecord,
};
pub use rate_cards::RateCardVersion;
pub use renditions::RenditionKey;
pub use shipments::{
    DocumentRecord, NewShipment, ReturnLink, ShipmentExtras, ShipmentRecord, ShipmentStatus,
    ShipmentWaybill, StoredRequest,
};
pub use streams::{SinkBacklog, StreamBacklog, StreamEvent};
pub use tenants::{KeyLimit, Tenant};
pub use trackers::{ClaimedTracker, TimelinessRow, TrackerRecord, status_name};
pub use users::{
    ApiKeyRecord, KeyPrincipal, NewToken, SessionRecord, TokenPurpose, UserChange, UserRecord,
    UserStatus,
};
pub use webhooks::{
    AfterAttempt, AttemptOutcome, AttemptRecord, AttemptResult, ClaimedDelivery, DeliveryRecord,
    DeliveryStatus, EndpointHealth, EndpointRecord, RecoverFrom,
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
    /// The shared transaction of a group commit failed (its `COMMIT`, or SQLite rolled it
    /// back): this member's writes are not kept either.
    #[error("group commit failed: {0}")]
    Group(String),
}

impl StoreError {
    /// Whether the database could not be reached (down, restarting, failing over): the same
    /// request may succeed once it is back.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Db(e) => db_unavailable(e),
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => db_unavailable(e),
            _ => false,
        }
    }
}

/// How the store's pools wait for PostgreSQL.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    /// Longest wait for a pooled connection, a new connection's attempts included: past
    /// it a request fails as "database unavailable" instead of hanging.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            acquire_timeout: Duration::from_secs(2),
        }
    }
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
    readiness: Arc<failover::Readiness>,
    /// SQLite's group commit on `writer` (none on PostgreSQL, which commits concurrently).
    group: Option<Arc<group::Group>>,
    /// New trackers of concurrent requests written together (SQLite, like `group`).
    trackers: Option<Arc<tracker_batch::TrackerBatch>>,
}

/// A write transaction of `Store::begin_grouped`: a member of a group commit on SQLite, a
/// transaction of its own on PostgreSQL. Derefs to the connection it runs on.
pub(crate) enum WriteTx {
    Own(sqlx::Transaction<'static, sqlx::Any>),
    Member(group::Member),
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        match self {
            WriteTx::Own(tx) => tx,
            WriteTx::Member(m) => m,
        }
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        match self {
            WriteTx::Own(tx) => tx,
            WriteTx::Member(m) => m,
        }
    }
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            WriteTx::Own(tx) => Ok(tx.commit().await?),
            WriteTx::Member(m) => m.commit().await,
        }
    }

    #[allow(dead_code)]
    pub(crate) async fn rollback(self) -> Result<()> {
        match self {
            WriteTx::Own(tx) => Ok(tx.rollback().await?),
            WriteTx::Member(m) => m.rollback().await,
        }
    }
}

pub fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

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

/// The PostgreSQL pool: bounded waits, every session confined to `schema` when given, and
/// with a multi-host URL (or `target_session_attrs=read-write`) the host chosen by `failover`.
async fn connect_postgres(
    url: &str,
    schema: Option<String>,
    settings: PoolSettings,
) -> Result<AnyPool> {
    let hosts = split_hosts(url)?;
    let failover = match hosts.needs_failover() {
        true => Some(failover::Failover::new(&hosts, settings.acquire_timeout)?),
        false => None,
    };
    // SQLite keeps sqlx's 30 s: its one writer is queued for, not unreachable.
    let mut opts = AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(settings.acquire_timeout);
    if schema.is_some() || failover.is_some() {
        let on_connect = failover.clone();
        opts = opts.after_connect(move |conn, _| {
            let set = schema
                .as_ref()
                .map(|schema| format!("SET search_path TO {schema}"));
            let failover = on_connect.clone();
            Box::pin(async move {
                if let Some(set) = set {
                    sqlx::query(sqlx::AssertSqlSafe(set))
                        .execute(&mut *conn)
                        .await?;
                }
                if let Some(f) = failover {
                    f.check_session(conn).await?;
                }
                Ok(())
            })
        });
    }
    let Some(failover) = failover else {
        return Ok(opts.connect(url).await?);
    };
    let on_acquire = failover.clone();
    let pool = opts
        .before_acquire(move |_, meta| {
            let stale = on_acquire.is_stale(&meta);
            Box::pin(async move { Ok(!stale) })
        })
        .connect_lazy_with(failover.first());
    failover.watch(pool.clone());
    failover.reselect().await;
    sqlx::query("SELECT 1").execute(&pool).await?;
    Ok(pool)
}

impl Store {
    /// Connects, creating the SQLite file when the URL says `mode=rwc`.
    pub async fn connect(url: &str) -> Result<Store> {
        Self::connect_with(url, None).await
    }

    /// Connects with every PostgreSQL session confined to `schema` (tests isolate runs so).
    pub async fn connect_with(url: &str, pg_schema: Option<String>) -> Result<Store> {
        Self::connect_opts(url, pg_schema, PoolSettings::default()).await
    }

    /// `connect_with` and how long to wait for PostgreSQL. A URL with several hosts (libpq's
    /// `h1:p1,h2:p2` and `target_session_attrs`) is served by the first host that gives the
    /// session asked for, and moved to another when that one goes (see `failover`).
    pub async fn connect_opts(
        url: &str,
        pg_schema: Option<String>,
        settings: PoolSettings,
    ) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Url(url.to_string()));
        };
        let pool = match backend {
            Backend::Sqlite => sqlite_options().max_connections(8).connect(url).await?,
            Backend::Postgres => connect_postgres(url, pg_schema, settings).await?,
        };
        let writer = match backend {
            Backend::Sqlite => sqlite_options().max_connections(1).connect(url).await?,
            Backend::Postgres => pool.clone(),
        };
        let group = (backend == Backend::Sqlite).then(|| group::Group::new(writer.clone()));
        let trackers = group.as_ref().map(|_| Arc::default());
        Ok(Store {
            pool,
            writer,
            backend,
            events: Arc::default(),
            readiness: Arc::new(failover::Readiness::new(
                settings.acquire_timeout.min(Duration::from_secs(1)),
            )),
            group,
            trackers,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The `db.system` attribute of the store's trace spans (OpenTelemetry's names).
    pub(crate) fn db_system(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }

    /// A transaction on the writer. The `BEGIN` runs on a task of its own so that it finishes
    /// even when the caller is dropped (a client hangs up, a task is aborted): sqlx's
    /// PostgreSQL driver forgets a transaction whose `begin` is dropped after BEGIN went out,
    /// and the pooled connection would then run every later statement inside it, uncommitted
    /// and holding its locks. A finished start dropped unused rolls back as usual.
    pub(crate) async fn begin(&self) -> Result<WriteTx> {
        let writer = self.writer.clone();
        crate::outliving_caller(async move { writer.begin().await })
            .await
            .unwrap_or(Err(sqlx::Error::PoolClosed))
            .map(WriteTx::Own)
            .map_err(StoreError::Db)
    }

    /// A short write transaction that may share its commit with others (see `group`): for
    /// store functions whose transaction awaits nothing but its own statements.
    pub(crate) async fn begin_grouped(&self) -> Result<WriteTx> {
        match &self.group {
            Some(g) => Ok(WriteTx::Member(g.begin().await?)),
            None => self.begin().await,
        }
    }

    /// One write statement in a commit of its own: on SQLite a member of the group commit
    /// (a statement alone pays a whole commit), on PostgreSQL a plain autocommit statement.
    pub(crate) async fn write_one(
        &self,
        q: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<sqlx::any::AnyQueryResult> {
        match &self.group {
            Some(g) => {
                let mut m = g.begin().await?;
                let r = q.execute(&mut *m).await?;
                m.commit().await?;
                Ok(r)
            }
            None => Ok(q.execute(&self.writer).await?),
        }
    }

    /// Commits a transaction that wrote events and says so to `events_committed`.
    pub(crate) async fn commit_events(&self, tx: WriteTx) -> Result<()> {
        tx.commit().await?;
        self.events.notify_one();
        Ok(())
    }

    /// Group commits so far and the members they committed (SQLite; zeros on PostgreSQL).
    pub fn group_commits(&self) -> (u64, u64) {
        self.group.as_ref().map_or((0, 0), |g| {
            (
                g.commits.load(std::sync::atomic::Ordering::Relaxed),
                g.committed_members
                    .load(std::sync::atomic::Ordering::Relaxed),
            )
        })
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

    /// Applies migrations up to `version` only (migration tests start from an older schema).
    #[cfg(test)]
    pub(crate) async fn migrate_to(&self, version: i64) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run_to(version, &self.writer).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run_to(version, &self.pool).await?,
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

    /// Whether the database answers: checked with a short timeout and the verdict kept for
    /// half a second (`/readyz`), `Err` with the reason.
    pub async fn ready(&self) -> std::result::Result<(), String> {
        self.readiness.check(&self.pool).await
    }
}

/// An `UPDATE` of the rows `pick` (a `SELECT id …` with its order and `LIMIT`) chooses that
/// still match `recheck` (the pick's own conditions) when they are updated.
///
/// On PostgreSQL the pick locks its rows (`FOR UPDATE SKIP LOCKED`: a concurrent claim passes
/// over them, and a row another claim changed meanwhile is re-checked against the pick's
/// conditions as it is locked), in a materialized CTE joined by id alone. Written as
/// `WHERE id IN (pick) AND recheck`, a plan made while the table was empty ran the pick again
/// per row (quadratic, and past its `LIMIT`: it took every due row); joined with the recheck
/// beside it, the planner walked every due row for each picked one.
pub(crate) fn claim_sql(
    backend: Backend,
    table: &str,
    set: &str,
    pick: &str,
    recheck: &str,
    returning: &str,
) -> String {
    match backend {
        Backend::Postgres => format!(
            "WITH picked(picked_id) AS MATERIALIZED ({pick} FOR UPDATE SKIP LOCKED) \
             UPDATE {table} SET {set} FROM picked WHERE {table}.id = picked.picked_id \
             RETURNING {returning}"
        ),
        Backend::Sqlite => format!(
            "UPDATE {table} SET {set} WHERE id IN ({pick}) AND {recheck} RETURNING {returning}"
        ),
    }
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
impl Backend {
    /// The backend a connection talks to (helpers that get a connection but not the store).
    pub(crate) fn of(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

pub(crate) fn markers(backend: Backend, from: usize, n: usize) -> String {
    match backend {
        Backend::Postgres => placeholders(from, n),
        Backend::Sqlite => vec!["?"; n].join(", "),
    }
}
