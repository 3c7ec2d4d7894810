//! The `shiphub` command line: `serve`, `migrate`, `tenant create`, `openapi`, `rate`,
//! `analytics`, `audit`, `reconcile-pull`, `master-key`, `healthcheck`, `user`, `key`; opening the store (fail fast, key first)
//! and the first start's `default` tenant.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use time::OffsetDateTime;

use crate::call_layer::{CallLayer, CallPolicy};
use crate::crypto::{MasterKey, aad, new_api_key};
use crate::ids::{AccountId, TenantId};
use crate::state::{AccountCache, AppState, CarrierSet, KeyCache};
use crate::store::{AccountRecord, Backend, Store};

pub mod audit;
pub mod rate;
pub mod reconcile_pull;
pub mod routing;
pub mod users;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://shiphub.db?mode=rwc";

#[derive(Parser, Debug)]
#[command(
    name = "shiphub",
    version,
    about = "Carrier integration and shipment tracking hub"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub telemetry: crate::telemetry::TelemetryArgs,
}

#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// sqlite://FILE?mode=rwc (embedded default) or postgres://USER@HOST/DB
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Seconds a request waits for a PostgreSQL connection (new connections' attempts
    /// included) before it answers 503 `database-unavailable` with Retry-After.
    #[arg(long, env = "SHIPHUB_DB_ACQUIRE_TIMEOUT", default_value_t = 2.0)]
    pub db_acquire_timeout: f64,
}

impl DbArgs {
    pub fn pool_settings(&self) -> anyhow_like::Result<crate::store::PoolSettings> {
        let acquire_timeout = Duration::try_from_secs_f64(self.db_acquire_timeout)
            .ok()
            .filter(|d| *d >= Duration::from_millis(100))
            .ok_or("--db-acquire-timeout: a number of seconds, at least 0.1")?;
        Ok(crate::store::PoolSettings { acquire_timeout })
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct PrintArgs {
    /// Seconds after which a print job handed to an agent and not acknowledged is handed out again.
    #[arg(long, env = "SHIPHUB_PRINT_REDELIVER_AFTER", default_value_t = 60)]
    pub print_redeliver_after: u64,
    /// Seconds between sweeps that expire print jobs no agent took within their TTL.
    #[arg(long, env = "SHIPHUB_PRINT_SWEEP_INTERVAL", default_value_t = 5)]
    pub print_sweep_interval: u64,
    /// Seconds without a call from a station's agent after which the station shows offline
    /// (keep it above the agents' long-poll wait).
    #[arg(long, env = "SHIPHUB_PRINT_OFFLINE_AFTER", default_value_t = 90)]
    pub print_offline_after: u64,
}

#[derive(clap::Args, Debug, Clone)]
pub struct IdempotencyArgs {
    /// Seconds a request's Idempotency-Key stays claimed without renewal (renewed every third
    /// of it while the request runs). A key whose hub died is resolved once this has passed, so
    /// it bounds how long a retry after a crash waits for its final answer.
    #[arg(long, env = "SHIPHUB_IDEMPOTENCY_LEASE", default_value_t = 30.0)]
    pub idempotency_lease: f64,
}

/// Several instances on one database: the registry's timing (README "Several instances").
#[derive(clap::Args, Debug, Clone)]
pub struct InstanceArgs {
    /// Seconds between this instance's heartbeats (each also looks for dead instances).
    #[arg(long, env = "SHIPHUB_INSTANCE_HEARTBEAT", default_value_t = 0.5)]
    pub instance_heartbeat: f64,
    /// Seconds without a heartbeat after which an instance is declared dead and its work
    /// released to the others (at least two heartbeats). An instance that cannot write its
    /// own heartbeat for this long less one heartbeat takes no new work.
    #[arg(long, env = "SHIPHUB_INSTANCE_DEAD_AFTER", default_value_t = 2.0)]
    pub instance_dead_after: f64,
}

impl InstanceArgs {
    pub fn settings(&self) -> anyhow_like::Result<crate::instances::Settings> {
        let heartbeat = Duration::try_from_secs_f64(self.instance_heartbeat)
            .ok()
            .filter(|d| *d >= Duration::from_millis(50))
            .ok_or("--instance-heartbeat: a number of seconds, at least 0.05")?;
        let dead_after = Duration::try_from_secs_f64(self.instance_dead_after)
            .ok()
            .filter(|d| *d >= heartbeat * 2)
            .ok_or("--instance-dead-after: a number of seconds, at least two heartbeats")?;
        Ok(crate::instances::Settings {
            heartbeat,
            dead_after,
        })
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct AddressArgs {
    /// Seconds a carrier's verdict on an address is answered from the tenant's cache
    /// (`POST /v1/addresses/verify`, `verify: true` purchases); 0 asks the carrier every time.
    #[arg(long, env = "SHIPHUB_ADDRESS_CACHE_TTL", default_value_t = 86_400)]
    pub address_cache_ttl: u64,
}

impl AddressArgs {
    pub fn settings(&self) -> crate::addresses::settings::Settings {
        crate::addresses::settings::Settings {
            cache_ttl: Duration::from_secs(self.address_cache_ttl),
        }
    }
}

impl IdempotencyArgs {
    pub fn settings(&self) -> anyhow_like::Result<crate::api::IdempotencySettings> {
        let lease = Duration::try_from_secs_f64(self.idempotency_lease)
            .ok()
            .filter(|d| *d >= Duration::from_millis(300))
            .ok_or("--idempotency-lease: a number of seconds, at least 0.3")?;
        Ok(crate::api::IdempotencySettings { lease })
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct StreamArgs {
    /// Relays every event to a message broker: `nats://host:4222[?stream=SHIPHUB]` (JetStream,
    /// subject `shiphub.<tenant>.<event>`) or `amqp://user:pass@host:5672/%2f[?exchange=shiphub]`
    /// (durable topic exchange, routing key `<tenant>.<event>`); repeat for several.
    #[arg(long, env = "SHIPHUB_EVENTS_TO", value_delimiter = ',')]
    pub events_to: Vec<String>,
    /// Signs the relayed events as a webhook endpoint secret would (`whsec_…`, Standard
    /// Webhooks); required with --events-to.
    #[arg(long, env = "SHIPHUB_EVENTS_SECRET", hide_env_values = true)]
    pub events_secret: Option<String>,
    /// Seconds the relay's lease lasts: another instance takes over this long after a crash.
    #[arg(long, env = "SHIPHUB_EVENTS_LEASE", default_value_t = 10.0)]
    pub events_lease: f64,
    /// Events published per batch (confirmed as a whole before they are marked relayed).
    #[arg(long, env = "SHIPHUB_EVENTS_BATCH", default_value_t = 1000)]
    pub events_batch: u32,
    /// Takes commands (purchase, void, tracker, print_job) from a queue:
    /// `nats://host:4222/<subject>` (core request-reply), `nats://host:4222/<subject>?stream=NAME`
    /// (a JetStream stream keeps them until answered) or
    /// `amqp://user:pass@host:5672/<vhost>/<queue>`; repeat for several.
    #[arg(long, env = "SHIPHUB_COMMANDS_FROM", value_delimiter = ',')]
    pub commands_from: Vec<String>,
    /// Transient failures of one command message before it is parked in the dead-letter queue.
    #[arg(long, env = "SHIPHUB_COMMANDS_MAX_FAILURES", default_value_t = 5)]
    pub commands_max_failures: u32,
    /// Commands run at once per source.
    #[arg(long, env = "SHIPHUB_COMMANDS_CONCURRENCY", default_value_t = 64)]
    pub commands_concurrency: usize,
}

impl StreamArgs {
    fn commands(&self) -> anyhow_like::Result<Option<crate::streams::commands::CommandSettings>> {
        if self.commands_from.is_empty() {
            return Ok(None);
        }
        let sources = self
            .commands_from
            .iter()
            .map(|u| {
                crate::streams::commands::CommandSource::parse(u)
                    .map_err(|e| format!("--commands-from {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(crate::streams::commands::CommandSettings {
            sources,
            max_failures: self.commands_max_failures.max(1),
            concurrency: self.commands_concurrency.max(1),
        }))
    }

    fn settings(&self) -> anyhow_like::Result<Option<crate::streams::StreamSettings>> {
        if self.events_to.is_empty() {
            return Ok(None);
        }
        let sinks = self
            .events_to
            .iter()
            .map(|u| crate::streams::SinkUrl::parse(u).map_err(|e| format!("--events-to {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let secret = self
            .events_secret
            .as_deref()
            .ok_or("--events-to needs --events-secret (whsec_…): relayed events are signed")?;
        let secret = crate::webhooks::sign::WebhookSecret::parse(secret)
            .map_err(|e| format!("--events-secret: {e}"))?;
        let mut s = crate::streams::StreamSettings::new(sinks, secret);
        s.lease = Duration::try_from_secs_f64(self.events_lease)
            .ok()
            .filter(|d| *d >= Duration::from_millis(500))
            .ok_or("--events-lease: a number of seconds, at least 0.5")?;
        s.batch = self.events_batch.clamp(1, 10_000);
        Ok(Some(s))
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct WebhookArgs {
    /// Private or loopback address ranges webhooks may be sent to anyway (an internal
    /// receiver), e.g. 10.20.0.0/16; comma-separated or repeated.
    #[arg(long, env = "SHIPHUB_WEBHOOK_ALLOW", value_delimiter = ',')]
    pub webhook_allow: Vec<String>,
    /// Retry delays in seconds after each failed attempt, comma-separated
    /// (default 0,5,300,1800,7200,18000,36000,36000).
    #[arg(long, env = "SHIPHUB_WEBHOOK_SCHEDULE")]
    pub webhook_schedule: Option<String>,
    /// Seconds a receiver has to answer one attempt.
    #[arg(long, env = "SHIPHUB_WEBHOOK_TIMEOUT", default_value_t = 15.0)]
    pub webhook_timeout: f64,
    /// Seconds a claimed delivery is held before another instance may take it over (> timeout).
    #[arg(long, env = "SHIPHUB_WEBHOOK_LEASE", default_value_t = 60.0)]
    pub webhook_lease: f64,
    /// Seconds of continuous failure after which an endpoint is disabled (default 5 days).
    #[arg(
        long,
        env = "SHIPHUB_WEBHOOK_DISABLE_AFTER",
        default_value_t = 432_000.0
    )]
    pub webhook_disable_after: f64,
    /// Seconds the previous secret keeps signing after a rotation.
    #[arg(
        long,
        env = "SHIPHUB_WEBHOOK_ROTATION_OVERLAP",
        default_value_t = 86_400.0
    )]
    pub webhook_rotation_overlap: f64,
    /// Webhook attempts in flight at once on this instance.
    #[arg(long, env = "SHIPHUB_WEBHOOK_CONCURRENCY", default_value_t = 256)]
    pub webhook_concurrency: usize,
    /// Seconds between an idle dispatcher's looks for due retries and for events other
    /// instances wrote (events written by this instance wake it at once).
    #[arg(long, env = "SHIPHUB_WEBHOOK_POLL", default_value_t = 0.1)]
    pub webhook_poll: f64,
}

impl WebhookArgs {
    fn settings(
        &self,
        dev_loopback: bool,
    ) -> anyhow_like::Result<crate::webhooks::WebhookSettings> {
        let secs = |v: f64, name: &str| {
            Duration::try_from_secs_f64(v)
                .map_err(|_| format!("--{name} must be a number of seconds ≥ 0"))
        };
        let mut s = crate::webhooks::WebhookSettings {
            timeout: secs(self.webhook_timeout, "webhook-timeout")?,
            lease: secs(self.webhook_lease, "webhook-lease")?,
            disable_after: secs(self.webhook_disable_after, "webhook-disable-after")?,
            rotation_overlap: secs(self.webhook_rotation_overlap, "webhook-rotation-overlap")?,
            target: crate::outbound::TargetPolicy {
                dev_loopback,
                // Parsed once per process; leaked so the policy stays `Copy`.
                allow: Box::leak(
                    self.webhook_allow
                        .iter()
                        .map(|c| c.parse().map_err(|e| format!("--webhook-allow: {e}")))
                        .collect::<Result<Vec<crate::outbound::Cidr>, String>>()?
                        .into_boxed_slice(),
                ),
            },
            concurrency: self.webhook_concurrency.max(1),
            poll: secs(self.webhook_poll, "webhook-poll")?,
            ..Default::default()
        };
        if let Some(list) = &self.webhook_schedule {
            s.schedule.delays = list
                .split(',')
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(|f| Duration::try_from_secs_f64(f).ok())
                        .ok_or_else(|| {
                            format!("--webhook-schedule: `{v}` is not a number of seconds")
                        })
                })
                .collect::<Result<_, _>>()?;
        }
        if s.lease <= s.timeout {
            return Err("--webhook-lease must be longer than --webhook-timeout".into());
        }
        Ok(s)
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct TrackingArgs {
    /// Divide every tracking poll interval by this (demos and tests run a day in seconds).
    #[arg(long, env = "SHIPHUB_TRACKING_SPEEDUP", default_value_t = 1)]
    pub tracking_speedup: u32,
    /// Milliseconds the scheduler sleeps when no tracker is due.
    #[arg(long, env = "SHIPHUB_TRACKING_TICK_MS", default_value_t = 1000)]
    pub tracking_tick_ms: u64,
    /// Do not poll trackers from this instance (other instances do).
    #[arg(long, env = "SHIPHUB_NO_SCHEDULER")]
    pub no_scheduler: bool,
}

/// Timeouts, limits and shutdown timing of the HTTP server (seconds may be fractional).
#[derive(clap::Args, Debug, Clone)]
pub struct EdgeArgs {
    /// Seconds a client has to send a complete request head (slow-header clients are cut off).
    #[arg(long, env = "SHIPHUB_HEADER_TIMEOUT", default_value_t = 10.0)]
    pub header_timeout: f64,
    /// Seconds a request body may pause between two chunks (not in total: uploads of GiBs work).
    #[arg(long, env = "SHIPHUB_BODY_TIMEOUT", default_value_t = 30.0)]
    pub body_timeout: f64,
    /// Seconds a keep-alive connection may sit idle between requests.
    #[arg(long, env = "SHIPHUB_IDLE_TIMEOUT", default_value_t = 75.0)]
    pub idle_timeout: f64,
    /// Seconds a handler has to answer once the body is in (a long poll gets its `wait` on
    /// top); then a 503 problem with Retry-After. Buying work still completes for the retry.
    #[arg(long, env = "SHIPHUB_REQUEST_TIMEOUT", default_value_t = 60.0)]
    pub request_timeout: f64,
    /// Connections served at once; more wait in the listen backlog.
    #[arg(long, env = "SHIPHUB_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Requests a second per API key (token bucket); 0 for no limit. Generous: the webhook
    /// benchmark buys at 200/s from one key.
    #[arg(long, env = "SHIPHUB_KEY_RATE", default_value_t = 300)]
    pub key_rate: u32,
    /// Requests an API key may send at once before its rate applies.
    #[arg(long, env = "SHIPHUB_KEY_BURST", default_value_t = 600)]
    pub key_burst: u32,
    /// Requests a second per tenant, all its keys together; 0 for no limit.
    #[arg(long, env = "SHIPHUB_TENANT_RATE", default_value_t = 600)]
    pub tenant_rate: u32,
    /// Requests a tenant may send at once before its rate applies.
    #[arg(long, env = "SHIPHUB_TENANT_BURST", default_value_t = 1200)]
    pub tenant_burst: u32,
    /// Seconds after SIGTERM during which /readyz answers 503 and requests are still accepted.
    #[arg(long, env = "SHIPHUB_DRAIN", default_value_t = 5.0)]
    pub drain: f64,
    /// Seconds in-flight requests have to finish after the drain; then the process exits.
    #[arg(long, env = "SHIPHUB_SHUTDOWN_TIMEOUT", default_value_t = 20.0)]
    pub shutdown_timeout: f64,
}

impl EdgeArgs {
    fn settings(&self) -> anyhow_like::Result<(crate::server::ServerSettings, crate::api::Edge)> {
        let secs = |v: f64, name: &str| {
            Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("--{name} must be a number of seconds > 0"))
        };
        let bucket = |rate: u32, burst: u32| {
            (rate > 0).then_some(crate::api::Bucket {
                rate,
                burst: burst.max(1),
            })
        };
        let server = crate::server::ServerSettings {
            header_timeout: secs(self.header_timeout, "header-timeout")?,
            idle_timeout: secs(self.idle_timeout, "idle-timeout")?,
            max_connections: self.max_connections.max(1),
            drain: Duration::try_from_secs_f64(self.drain)
                .map_err(|_| "--drain must be a number of seconds ≥ 0")?,
            shutdown_timeout: secs(self.shutdown_timeout, "shutdown-timeout")?,
        };
        let edge = crate::api::Edge::new(
            secs(self.request_timeout, "request-timeout")?,
            secs(self.body_timeout, "body-timeout")?,
            bucket(self.key_rate, self.key_burst),
            bucket(self.tenant_rate, self.tenant_burst),
        );
        Ok((server, edge))
    }
}

/// What `serve` is started with.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, env = "SHIPHUB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub print: PrintArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
    #[command(flatten)]
    pub outbound: crate::outbound::OutboundArgs,
    #[command(flatten)]
    pub tracking: TrackingArgs,
    #[command(flatten)]
    pub edge: EdgeArgs,
    #[command(flatten)]
    pub idempotency: IdempotencyArgs,
    #[command(flatten)]
    pub addresses: AddressArgs,
    #[command(flatten)]
    pub gauges: crate::gauges::GaugeArgs,
    #[command(flatten)]
    pub instances: InstanceArgs,
    #[command(flatten)]
    pub auth: users::AuthArgs,
    #[command(flatten)]
    pub streams: StreamArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Manage users: the first admin, password-reset links.
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Delivery performance reports.
    Analytics {
        #[command(subcommand)]
        command: AnalyticsCommand,
    },
    /// Price a lane from rate card files, every charge explained.
    Rate(rate::RateArgs),
    /// Audit a carrier invoice against the shipments in the store and write the report.
    Audit(audit::AuditArgs),
    /// Reconcile what a carrier billed through its billing API (SF Express billed freight),
    /// without an invoice file, as `POST /v1/invoices/pull` does, and write the report.
    ReconcilePull(reconcile_pull::PullArgs),
    /// Smart routing: seed the transit history, print transit percentiles and the cost report.
    Routing {
        #[command(subcommand)]
        command: routing::RoutingCommand,
    },
    /// Print a fresh SHIPHUB_MASTER_KEY (32 random bytes, base64).
    MasterKey,
    /// GET the hub's /readyz and exit 0 when it is ready, 1 otherwise (container probes: the
    /// runtime image has no curl).
    Healthcheck {
        /// The URL to probe; default: /readyz at the serve address (SHIPHUB_LISTEN), with an
        /// unspecified address (0.0.0.0, [::]) probed on loopback.
        #[arg(long)]
        url: Option<String>,
        #[arg(long, env = "SHIPHUB_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3.0)]
        timeout: f64,
    },
}

#[derive(Subcommand, Debug)]
pub enum AnalyticsCommand {
    /// On-time %, transit-day percentiles and exceptions % for shipments bought in a period.
    Timeliness {
        /// First purchase day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last purchase day, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// carrier, service or lane.
        #[arg(long, default_value = "carrier")]
        group_by: String,
        /// The tenant (by name).
        #[arg(long, default_value = "default")]
        tenant: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    #[command(flatten)]
    Manage(users::KeyManage),
    /// Give one API key its own request limit instead of the server's `--key-rate` and
    /// `--key-burst` (running servers pick it up within 30 s).
    Limit {
        /// The key's first 11 characters (`sh_` and 8 more), as the key list shows them.
        prefix: String,
        /// Requests a second; 0 for no limit.
        #[arg(long, required_unless_present = "default")]
        rate: Option<u32>,
        /// Requests at once before the rate applies (default: the server's `--key-burst`).
        #[arg(long, conflicts_with = "default")]
        burst: Option<u32>,
        /// Back to the server's defaults.
        #[arg(long, conflicts_with = "rate")]
        default: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Create a tenant and print its API key (shown once, stored hashed) as one JSON line.
    Create {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cli: Cli) -> anyhow_like::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Migrate { db } => {
            open_store(&db.database_url).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Tenant {
            command: TenantCommand::Create { name, db },
        } => {
            let store = open_store(&db.database_url).await?;
            let (tenant, key) = create_tenant(&store, &name).await?;
            println!(
                "{}",
                serde_json::json!({ "tenant": name, "id": tenant.to_string(), "api_key": key })
            );
            Ok(())
        }
        Command::Key {
            command:
                KeyCommand::Limit {
                    prefix,
                    rate,
                    burst,
                    default,
                    db,
                },
        } => {
            let store = open_store(&db.database_url).await?;
            let limit = crate::store::KeyLimit {
                rate: rate.filter(|_| !default),
                burst: burst.filter(|_| !default),
            };
            let n = store
                .set_key_limit(&prefix, limit)
                .await
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err(format!("no active API key starts with `{prefix}`"));
            }
            eprintln!("limit set on {n} key(s) starting with {prefix}");
            Ok(())
        }
        Command::Key {
            command: KeyCommand::Manage(cmd),
        } => users::run_key(cmd).await,
        Command::User { command } => users::run_user(command).await,
        Command::Rate(args) => rate::run(args),
        Command::MasterKey => {
            println!("{}", MasterKey::generate_base64());
            Ok(())
        }
        Command::Healthcheck {
            url,
            listen,
            timeout,
        } => healthcheck(url, listen, timeout).await,
        Command::Audit(args) => audit::run(args).await,
        Command::ReconcilePull(args) => reconcile_pull::run(args).await,
        Command::Routing { command } => routing::run(command).await,
        Command::Analytics {
            command:
                AnalyticsCommand::Timeliness {
                    from,
                    to,
                    group_by,
                    tenant,
                    db,
                },
        } => {
            use crate::tracking::analytics::{GroupBy, period, timeliness};
            let by: GroupBy = group_by
                .parse()
                .map_err(|()| format!("--group-by {group_by}: carrier, service or lane"))?;
            let (start, end) = period(&from, &to).map_err(|e| problem_text(&e))?;
            let store = open_store(&db.database_url).await?;
            let t = store
                .tenant_by_name(&tenant)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no tenant named {tenant}"))?;
            let rows = store
                .timeliness_rows(&t.id, start, end)
                .await
                .map_err(|e| e.to_string())?;
            let opt =
                |d: Option<rust_decimal::Decimal>| d.map_or("-".to_string(), |d| d.to_string());
            println!(
                "{:<28} {:>9} {:>9} {:>8} {:>8} {:>8} {:>11}",
                group_by,
                "shipments",
                "delivered",
                "on-time%",
                "p50 days",
                "p90 days",
                "exceptions%"
            );
            for l in timeliness(&rows, by) {
                println!(
                    "{:<28} {:>9} {:>9} {:>8} {:>8} {:>8} {:>11}",
                    l.key,
                    l.shipments,
                    l.delivered,
                    opt(l.on_time_pct),
                    opt(l.p50_transit_days),
                    opt(l.p90_transit_days),
                    l.exceptions_pct
                );
            }
            Ok(())
        }
        Command::Openapi => {
            println!(
                "{}",
                crate::api::openapi()
                    .to_pretty_json()
                    .map_err(|e| e.to_string())?
            );
            Ok(())
        }
    }
}

/// Errors at the CLI boundary are reported as text; there is nothing to recover.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, String>;
}

/// An API error as the CLI prints it: the problem's title, then its detail or every field
/// error (`Display` alone says only "invalid request"). A one-segment pointer names a query
/// parameter, which the CLI spells as its `--flag`.
pub fn problem_text(e: &crate::error::Error) -> String {
    use crate::error::Error;
    if let Error::Store(_) | Error::Internal(_) = e {
        // The API hides these from clients; the operator at the command line sees them.
        return e.to_string();
    }
    let (_, p, _) = e.problem();
    let mut out = p.title;
    if p.errors.is_empty()
        && let Some(d) = p.detail
    {
        out = format!("{out}: {d}");
    }
    for f in &p.errors {
        // A query parameter (`/query/to`) is the command's flag of the same name.
        let name = match f.pointer.strip_prefix("/query/") {
            Some(param) if !param.is_empty() && !param.contains('/') => {
                format!("--{}", param.replace('_', "-"))
            }
            _ => f.pointer.clone(),
        };
        out = format!("{out}\n  {name}: {}", f.detail);
    }
    out
}

/// Which store a database URL names; anything else is refused before any work.
fn backend_of(url: &str) -> anyhow_like::Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        Err(format!(
            "unsupported database URL {}: use sqlite://FILE?mode=rwc or postgres://USER@HOST/DB",
            redact(url)
        ))
    }
}

/// How long start-up waits for PostgreSQL to answer one connection attempt.
const CONNECT_PROBE: Duration = Duration::from_secs(10);

/// One plain connection to PostgreSQL before the pool exists: the pool retries a refused or
/// unresolvable host until its acquire timeout and then says only "pool timed out", while
/// this reports the cause (connection refused, unknown host, bad password) at once. With
/// several hosts, one that answers is enough (which of them takes writes is the pool's
/// choice); when none does, each one's cause is said.
async fn probe_postgres(url: &str) -> anyhow_like::Result<()> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let hosts = crate::store::split_hosts(url).map_err(|e| e.to_string())?;
    let mut failures = vec![];
    for host in &hosts.urls {
        match tokio::time::timeout(CONNECT_PROBE, sqlx::AnyConnection::connect(host)).await {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                return Ok(());
            }
            Ok(Err(e)) => failures.push(format!(
                "cannot connect to {}: {}",
                redact(host),
                causes(&e)
            )),
            Err(_) => failures.push(format!(
                "cannot connect to {}: no answer within {} s",
                redact(host),
                CONNECT_PROBE.as_secs()
            )),
        }
    }
    Err(failures.join("; "))
}

/// An error and its sources on one line (wrappers such as reqwest's "error sending request"
/// keep the useful part, e.g. "Connection refused", in a source).
fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        let text = s.to_string();
        if !out.contains(&text) {
            out = format!("{out}: {text}");
        }
        next = s.source();
    }
    out
}

pub async fn open_store(url: &str) -> anyhow_like::Result<Store> {
    open_store_with(url, crate::store::PoolSettings::default()).await
}

/// `open_store` with the pool's waits given (`serve`).
pub async fn open_store_with(
    url: &str,
    settings: crate::store::PoolSettings,
) -> anyhow_like::Result<Store> {
    if backend_of(url)? == Backend::Postgres {
        probe_postgres(url).await?;
    }
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let store = Store::connect_opts(url, None, settings)
        .await
        .map_err(|e| format!("cannot open {}: {e}", redact(url)))?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(store)
}

async fn create_tenant(store: &Store, name: &str) -> anyhow_like::Result<(TenantId, String)> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err("a tenant name is 1 to 100 characters".into());
    }
    if store
        .tenant_by_name(name)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err(format!("tenant `{name}` exists already"));
    }
    let now = OffsetDateTime::now_utc();
    let tenant = store
        .create_tenant(name, now)
        .await
        .map_err(|e| e.to_string())?;
    let (key, hash, prefix) = new_api_key();
    store
        .insert_api_key(&tenant.id, &hash, &prefix, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok((tenant.id, key))
}

fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn redact(url: &str) -> String {
    crate::store::redacted(url)
}

/// `SHIPHUB_MASTER_KEY` when set; otherwise, for the embedded database only, a key file next
/// to it, created on first use. A shared PostgreSQL must not rely on a key on one host's disk.
/// Called before the store is opened, so a missing key leaves no migrated database behind.
pub(crate) fn master_key(url: &str) -> anyhow_like::Result<MasterKey> {
    if let Ok(k) = std::env::var("SHIPHUB_MASTER_KEY") {
        return MasterKey::from_base64(&k).map_err(|e| {
            format!("{e}; make one with `shiphub master-key` (or `openssl rand -base64 32`)")
        });
    }
    match (backend_of(url)?, sqlite_path(url)) {
        (Backend::Sqlite, Some(db)) => {
            let dir = db
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            // Before `open_store`, which would otherwise create the directory.
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            MasterKey::load_or_create(&dir.join("shiphub-master.key")).map_err(|e| e.to_string())
        }
        _ => Err(
            "SHIPHUB_MASTER_KEY is not set. It encrypts carrier credentials and \
             PostgreSQL needs it (32 random bytes, base64): make one with `shiphub master-key` \
             (or `openssl rand -base64 32`), keep it in your secret store, and start again with \
             SHIPHUB_MASTER_KEY set. Nothing was written to the database."
                .into(),
        ),
    }
}

/// Every carrier the hub offers: the API carriers, and the table-rate carrier for carriers
/// that publish a price list instead.
pub fn carrier_entries() -> Vec<&'static shiphub_carriers::CarrierEntry> {
    let mut entries = shiphub_carriers::CARRIERS.to_vec();
    entries.push(&shiphub_rating::table_rate::ENTRY);
    entries
}

pub fn build_state(store: Store, master_key: MasterKey) -> AppState {
    let instances = Arc::new(crate::instances::Registry::default());
    AppState::new(crate::state::App {
        store,
        carriers: Arc::new(CarrierSet::new(carrier_entries())),
        calls: Arc::new(CallLayer::new(CallPolicy::default()).shared_by(instances.live_counter())),
        master_key,
        key_cache: Arc::new(KeyCache::new(Duration::from_secs(60))),
        account_cache: Arc::new(AccountCache::new(Duration::from_secs(5))),
        metrics: Some(crate::api::metrics_handle()),
        print: Default::default(),
        print_wakeups: Default::default(),
        tracking: Default::default(),
        shutdown: Arc::new(tokio::sync::watch::Sender::new(false)),
        webhooks: Default::default(),
        idempotency: Default::default(),
        addresses: Default::default(),
        instances,
        auth: Default::default(),
        routing: Default::default(),
    })
}

async fn serve(
    ServeArgs {
        listen,
        db,
        print,
        webhooks,
        outbound,
        tracking,
        edge,
        idempotency,
        addresses,
        gauges,
        instances,
        auth,
        streams,
    }: ServeArgs,
) -> anyhow_like::Result<()> {
    let url = db.database_url.as_str();
    let webhook_settings = webhooks.settings(outbound.dev_loopback())?;
    let carrier_policy = outbound.carrier_policy()?;
    let (server_settings, edge) = edge.settings()?;
    let edge = Arc::new(edge);
    let idempotency = idempotency.settings()?;
    let gauges = gauges.settings()?;
    let instances = instances.settings()?;
    let mailer = auth.mailer()?;
    let auth = auth.settings(listen)?;
    let commands = streams.commands()?;
    let streams = streams.settings()?;
    let key = master_key(url)?;
    let store = open_store_with(url, db.pool_settings()?).await?;
    if store.tenant_count().await.map_err(|e| e.to_string())? == 0 {
        bootstrap(&store, &key).await?;
    }
    let mut state = build_state(store, key);
    state.carriers = Arc::new(CarrierSet::with_policy(carrier_entries(), carrier_policy));
    state.print = crate::print::PrintSettings {
        redeliver_after: Duration::from_secs(print.print_redeliver_after.max(1)),
        sweep_every: Duration::from_secs(print.print_sweep_interval.max(1)),
        offline_after: Duration::from_secs(print.print_offline_after.max(1)),
    };
    state.idempotency = idempotency;
    let mut auth = crate::auth::Auth::new(auth);
    auth.mailer = mailer.map(Arc::new);
    state.auth = Arc::new(auth);
    state.addresses = addresses.settings();
    state.tracking = crate::tracking::PollPolicy::default().scaled(tracking.tracking_speedup);
    state.webhooks = Arc::new(crate::webhooks::Webhooks::new(webhook_settings));
    state.instances = Arc::new(state.instances.with_settings(instances));
    // On PostgreSQL the heartbeat has a connection of its own: queued behind a busy pool it
    // would make a loaded instance look dead.
    let beats = match state.store.backend() {
        Backend::Postgres => Store::connect(url)
            .await
            .map_err(|e| format!("cannot open {}: {e}", redact(url)))?,
        Backend::Sqlite => state.store.clone(),
    };
    // Registered before any work is taken, so no other instance takes this one's for an
    // orphan.
    crate::instances::beat(&state.instances, &beats).await;
    tokio::spawn(crate::instances::run(
        state.instances.clone(),
        state.webhooks.clone(),
        beats,
    ));
    crate::background::start(
        &state,
        crate::background::Settings {
            tracking_tick: (!tracking.no_scheduler)
                .then(|| Duration::from_millis(tracking.tracking_tick_ms.max(10))),
        },
    );
    tokio::spawn(crate::gauges::sample(state.clone(), gauges));
    let mut relay = None;
    if let Some(streams) = streams {
        // Streams and exchanges are created or checked now: a wrong URL stops the start.
        let sinks = crate::streams::relay::open_sinks(&streams).await?;
        relay = Some(crate::background::start_streams(
            &state,
            Arc::new(streams),
            sinks,
        ));
    }
    if let Some(commands) = commands {
        let handler = crate::api::commands::handler(state.clone());
        crate::background::start_commands(&state, commands, handler).await?;
    }
    // Batches a previous process left running (its in-flight items' keys are resolved like any
    // purchase's: by the idempotency sweep, or by the item's next claim).
    tokio::spawn(crate::api::batches::resume(state.clone()));
    let phases = ShutdownPhases {
        edge: edge.clone(),
        stopping: state.shutdown.clone(),
    };
    let app = crate::api::router_with(state, edge);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("shiphub listening on http://{addr} (docs at http://{addr}/docs)");
    tracing::info!(%addr, "listening");
    crate::server::run(listener, app, server_settings, shutdown(), phases).await;
    // The relay gives its lease back as it ends, so the next instance relays at once rather
    // than when the lease runs out; a stuck broker call does not hold the exit long.
    if let Some(relay) = relay {
        let _ = tokio::time::timeout(Duration::from_secs(2), relay).await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Shutdown phases as the rest of the hub sees them.
struct ShutdownPhases {
    edge: Arc<crate::api::Edge>,
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

impl crate::server::Phases for ShutdownPhases {
    fn draining(&mut self) {
        self.edge
            .draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    fn closing(&mut self) {
        // Long polls and background loops end now, so the drain does not wait for them.
        self.stopping.send_replace(true);
    }
}

/// A fresh database (embedded or PostgreSQL) gets a `default` tenant with a sandbox account,
/// and its API key is printed once, so the first command is all a newcomer needs.
async fn bootstrap(store: &Store, key: &MasterKey) -> anyhow_like::Result<()> {
    let (tenant, api_key) = match create_tenant(store, "default").await {
        Ok(created) => created,
        // Instances starting together on one empty PostgreSQL: one of them creates it.
        Err(_)
            if store
                .tenant_by_name("default")
                .await
                .is_ok_and(|t| t.is_some()) =>
        {
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let id = AccountId::generate();
    let (nonce, secret) = key.encrypt(&aad(&tenant, &id), b"{}");
    let account = AccountRecord {
        id: id.clone(),
        carrier: "sandbox".into(),
        name: "sandbox".into(),
        base_url: None,
        secret_nonce: nonce,
        secret,
        created_at: OffsetDateTime::now_utc(),
    };
    store
        .insert_account(&tenant, &account, None)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{}",
        serde_json::json!({ "tenant": "default", "api_key": api_key, "carrier_account": id.to_string() })
    );
    eprintln!(
        "Created tenant `default` with a sandbox carrier account. Its API key is shown above, once: keep it."
    );
    Ok(())
}

/// `shiphub healthcheck`: the container probe (see `Command::Healthcheck`).
async fn healthcheck(
    url: Option<String>,
    listen: SocketAddr,
    timeout: f64,
) -> anyhow_like::Result<()> {
    let url = url.unwrap_or_else(|| {
        let mut addr = listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}/readyz")
    });
    let timeout = Duration::try_from_secs_f64(timeout)
        .map_err(|_| "--timeout must be a number of seconds".to_string())?;
    let client = reqwest::Client::builder()
        .timeout(timeout)
        // A container's HTTP(S)_PROXY must not take the probe of its own loopback elsewhere.
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            Err(format!("{url}: {status} {}", body.trim()))
        }
        Err(e) => Err(format!("{url}: {}", causes(&e))),
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
