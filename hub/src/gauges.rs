//! The hub's Prometheus metrics: the HELP text of every metric it emits (`describe`), and the
//! sampler that sets the operator gauges from the store every few seconds (`sample`).
//!
//! Every instance samples the shared database, so the store gauges are the same on all of
//! them: dashboards and alerts take `max` across instances, never `sum`. The pool gauges are
//! per instance.

use std::collections::BTreeSet;
use std::time::Duration;

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram, gauge};
use time::OffsetDateTime;

use crate::state::AppState;
use crate::store::{GaugeLimits, GaugeSample};

/// How often, and with which thresholds, the gauges are sampled (`shiphub serve` flags).
#[derive(Clone, Copy, Debug)]
pub struct SamplerSettings {
    pub every: Duration,
    pub limits: GaugeLimits,
}

impl Default for SamplerSettings {
    fn default() -> Self {
        SamplerSettings {
            every: Duration::from_secs(5),
            limits: GaugeLimits {
                station_offline_after: Duration::from_secs(120),
                tracker_overdue_after: Duration::from_secs(900),
            },
        }
    }
}

/// HELP texts of every metric the hub emits; a metric without one here is a bug (the
/// `/metrics` test checks every `# TYPE` has its `# HELP`).
pub fn describe() {
    // HTTP edge
    describe_counter!(
        "shiphub_http_requests_total",
        "HTTP requests answered, by method, route and status."
    );
    describe_histogram!(
        "shiphub_http_request_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by method and route."
    );
    describe_gauge!("shiphub_http_connections", "HTTP connections open now.");
    describe_counter!(
        "shiphub_http_connections_timed_out_total",
        "HTTP connections closed by the header or idle timeout, by reason."
    );
    describe_counter!(
        "shiphub_http_deadline_exceeded_total",
        "Requests answered 503 because they ran past the request deadline."
    );
    describe_counter!(
        "shiphub_http_rate_limited_total",
        "Requests refused 429 by a rate limit, by policy."
    );
    // carriers
    describe_counter!(
        "shiphub_carrier_calls_total",
        "Calls to carrier APIs, by carrier, operation and outcome."
    );
    describe_histogram!(
        "shiphub_carrier_call_seconds",
        Unit::Seconds,
        "Duration of a carrier API call with its retries, by carrier and operation."
    );
    describe_counter!(
        "shiphub_carrier_retries_total",
        "Carrier API calls retried, by carrier and reason."
    );
    describe_counter!(
        "shiphub_circuit_opened_total",
        "Times a carrier account's circuit breaker opened."
    );
    describe_counter!(
        "shiphub_carrier_token_fetches_total",
        "OAuth tokens fetched from carriers."
    );
    describe_counter!(
        "shiphub_carrier_token_refreshes_total",
        "OAuth tokens refreshed after a carrier refused one."
    );
    describe_counter!(
        "shiphub_address_checks_total",
        "Address checks, by carrier and source (cache or carrier)."
    );
    // purchases and idempotency
    describe_counter!(
        "shiphub_shipments_purchased_total",
        "Labels bought, by carrier."
    );
    describe_counter!(
        "shiphub_unrecorded_purchases_total",
        "Labels bought whose record could not be written (money spent, to be reconciled)."
    );
    describe_counter!(
        "shiphub_idempotent_replays_total",
        "Requests answered from a stored Idempotency-Key answer."
    );
    describe_counter!(
        "shiphub_idempotency_recoveries_total",
        "Idempotency keys of a dead process resolved by the sweep or a retry."
    );
    describe_gauge!(
        "shiphub_idempotency_keys_in_flight",
        "Idempotency keys claimed by a request not finished yet (all instances)."
    );
    describe_counter!("shiphub_batches_completed_total", "Batches finished.");
    // printing
    describe_counter!(
        "shiphub_print_jobs_total",
        "Print jobs reaching a state (queued, printed, failed, expired)."
    );
    describe_counter!(
        "shiphub_print_jobs_delivered_total",
        "Print jobs handed to print agents."
    );
    describe_gauge!(
        "shiphub_print_queue_depth",
        "Print jobs queued and not yet taken by the agent, by station."
    );
    describe_gauge!(
        "shiphub_print_stations_offline",
        "Print stations whose printer is offline or whose agent has been silent past the threshold."
    );
    // tracking
    describe_counter!(
        "shiphub_tracking_polls_total",
        "Tracking polls of carriers, by carrier and success."
    );
    describe_counter!(
        "shiphub_tracking_pushed_events_total",
        "Tracking events carriers pushed, by carrier."
    );
    describe_counter!(
        "shiphub_tracking_unmapped_codes_total",
        "Carrier tracking codes the hub does not map to a status, by carrier and code."
    );
    describe_gauge!(
        "shiphub_trackers_overdue",
        "Trackers due for a check for longer than the threshold, by carrier and carrier account."
    );
    // webhooks
    describe_counter!(
        "shiphub_webhook_attempts_total",
        "Webhook delivery attempts, by outcome."
    );
    describe_histogram!(
        "shiphub_webhook_attempt_seconds",
        Unit::Seconds,
        "Duration of a webhook delivery attempt."
    );
    describe_gauge!(
        "shiphub_webhook_backlog",
        "Webhook deliveries pending (due, waiting to retry or in flight)."
    );
    describe_gauge!(
        "shiphub_webhook_oldest_due_seconds",
        Unit::Seconds,
        "How long the oldest due webhook delivery has waited (0 when none is due)."
    );
    // store
    describe_gauge!(
        "shiphub_db_pool_connections",
        "Database connections of this instance, by pool and state (in_use, idle)."
    );
    describe_gauge!(
        "shiphub_gauge_sample_failures",
        "1 when the last sample of the store gauges failed (the store gauges are stale)."
    );
    // instances (several on one database)
    describe_gauge!(
        "shiphub_instances_live",
        "Instances heartbeating within the dead-after interval, this one included."
    );
    describe_gauge!(
        "shiphub_instance_info",
        "Always 1; the label is this process's instance id (the one reapers' log lines name)."
    );
    describe_gauge!(
        "shiphub_instance_fenced",
        "1 while this instance takes no new work: its heartbeat has not reached the database."
    );
    describe_counter!(
        "shiphub_instances_reaped_total",
        "Instances this one declared dead (their work released to the live ones)."
    );
    describe_counter!(
        "shiphub_instance_claims_released_total",
        "Claims of dead instances this one released, by kind."
    );
    // The unlabelled counters start at 0, so `increase()` sees their first event and alert
    // rules on them have a series to evaluate from the start.
    for name in [
        "shiphub_http_deadline_exceeded_total",
        "shiphub_circuit_opened_total",
        "shiphub_unrecorded_purchases_total",
        "shiphub_idempotent_replays_total",
        "shiphub_idempotency_recoveries_total",
        "shiphub_batches_completed_total",
        "shiphub_print_jobs_delivered_total",
        "shiphub_instances_reaped_total",
    ] {
        metrics::counter!(name).absolute(0);
    }
}

/// Samples the gauges every `settings.every` until shutdown.
pub async fn sample(app: AppState, settings: SamplerSettings) {
    let mut stopping = app.shutdown.subscribe();
    let mut seen = Seen::default();
    let mut tick = tokio::time::interval(settings.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        for (pool, open, idle) in app.store.pool_use() {
            gauge!("shiphub_db_pool_connections", "pool" => pool, "state" => "in_use")
                .set(f64::from(open.saturating_sub(idle)));
            gauge!("shiphub_db_pool_connections", "pool" => pool, "state" => "idle")
                .set(f64::from(idle));
        }
        match app
            .store
            .sample_gauges(OffsetDateTime::now_utc(), settings.limits)
            .await
        {
            Ok(s) => {
                seen.publish(&s);
                gauge!("shiphub_gauge_sample_failures").set(0.0);
            }
            Err(e) => {
                tracing::warn!(error = %e, "sampling the operator gauges failed");
                gauge!("shiphub_gauge_sample_failures").set(1.0);
            }
        }
    }
}

/// The labelled series set before, so one that disappeared from a sample goes to 0 instead
/// of keeping its last value.
#[derive(Default)]
struct Seen {
    stations: BTreeSet<String>,
    accounts: BTreeSet<(String, String)>,
}

impl Seen {
    fn publish(&mut self, s: &GaugeSample) {
        gauge!("shiphub_webhook_backlog").set(s.webhook_backlog as f64);
        gauge!("shiphub_webhook_oldest_due_seconds").set(s.webhook_oldest_due_seconds);
        gauge!("shiphub_print_stations_offline").set(s.stations_offline as f64);
        gauge!("shiphub_idempotency_keys_in_flight").set(s.idempotency_in_flight as f64);
        let stations: BTreeSet<String> = s.print_queue.iter().map(|(st, _)| st.clone()).collect();
        for gone in self.stations.difference(&stations) {
            gauge!("shiphub_print_queue_depth", "station" => gone.clone()).set(0.0);
        }
        for (station, n) in &s.print_queue {
            gauge!("shiphub_print_queue_depth", "station" => station.clone()).set(*n as f64);
        }
        self.stations = stations;
        let accounts: BTreeSet<(String, String)> = s
            .trackers_overdue
            .iter()
            .map(|(c, a, _)| (c.clone(), a.clone()))
            .collect();
        for (carrier, account) in self.accounts.difference(&accounts) {
            gauge!("shiphub_trackers_overdue", "carrier" => carrier.clone(), "carrier_account" => account.clone())
                .set(0.0);
        }
        for (carrier, account, n) in &s.trackers_overdue {
            gauge!("shiphub_trackers_overdue", "carrier" => carrier.clone(), "carrier_account" => account.clone())
                .set(*n as f64);
        }
        self.accounts = accounts;
    }
}

/// `shiphub serve` flags of the sampler.
#[derive(clap::Args, Debug, Clone)]
pub struct GaugeArgs {
    /// Seconds between samples of the operator gauges (webhook backlog, print queues, overdue
    /// trackers, idempotency keys in flight, database pools).
    #[arg(long, env = "SHIPHUB_GAUGE_INTERVAL", default_value_t = 5.0)]
    pub gauge_interval: f64,
    /// Seconds a print station's agent may stay silent before it counts as offline.
    #[arg(long, env = "SHIPHUB_STATION_OFFLINE_AFTER", default_value_t = 120.0)]
    pub station_offline_after: f64,
    /// Seconds a tracker may stay due without a check before it counts as overdue.
    #[arg(long, env = "SHIPHUB_TRACKER_OVERDUE_AFTER", default_value_t = 900.0)]
    pub tracker_overdue_after: f64,
}

impl GaugeArgs {
    pub fn settings(&self) -> Result<SamplerSettings, String> {
        let secs = |v: f64, name: &str, zero_ok: bool| {
            Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| zero_ok || !d.is_zero())
                .ok_or_else(|| format!("--{name} must be a number of seconds ≥ 0"))
        };
        Ok(SamplerSettings {
            every: secs(self.gauge_interval, "gauge-interval", false)?,
            limits: GaugeLimits {
                station_offline_after: secs(
                    self.station_offline_after,
                    "station-offline-after",
                    true,
                )?,
                tracker_overdue_after: secs(
                    self.tracker_overdue_after,
                    "tracker-overdue-after",
                    true,
                )?,
            },
        })
    }
}
