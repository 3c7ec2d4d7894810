//! Several `serve` processes on one database (issue 19). Each registers its instance id
//! (`ids::instance()`) and heartbeats; each also reaps: an instance silent for longer than
//! the dead-after interval is declared dead, and every claim it held — trackers, webhook
//! deliveries, idempotency keys, pulls, batches, print jobs it handed out — is released at once
//! for the live ones to take over (`Store::reap_instances`). The per-item leases stay as the
//! safety net (an instance that never registered, a database without the registry).
//!
//! Self-fencing: an instance that could not write its heartbeat for nearly dead-after may
//! already be declared dead by the others, so it takes no new work until a heartbeat lands
//! (`Registry::fenced`); writes under claims it still holds check ownership as before, and fail
//! once its claims were released.
//!
//! The live count divides every carrier account's quota among the instances (the call
//! layer's pacer and the tracking scheduler's budgets).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::store::{Reaped, Store};

/// How often an instance heartbeats and how long silence makes it dead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub heartbeat: Duration,
    pub dead_after: Duration,
}

impl Default for Settings {
    /// Detection within `dead_after + heartbeat` = 2.5 s of a death.
    fn default() -> Self {
        Settings {
            heartbeat: Duration::from_millis(500),
            dead_after: Duration::from_secs(2),
        }
    }
}

/// This process's view of the registry, shared by the loops that take work.
pub struct Registry {
    pub settings: Settings,
    live: Arc<AtomicU32>,
    /// When the last heartbeat that landed was started.
    last_beat: Mutex<Instant>,
    /// Heartbeats that landed (a later one that finds no row was declared dead meanwhile).
    beats: AtomicU64,
    /// Fencing applies once the heartbeat loop runs (a hub in a unit test runs none).
    running: AtomicBool,
    /// Fencing is for PostgreSQL (several processes); an embedded SQLite hub is one process.
    fences: AtomicBool,
    /// Bumped when this instance reaped another: the loops that resume expired work (keys,
    /// pulls, batches) look at once instead of at their next tick.
    takeover: tokio::sync::watch::Sender<u64>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new(Settings::default())
    }
}

impl Registry {
    pub fn new(settings: Settings) -> Self {
        Registry {
            settings,
            live: Arc::new(AtomicU32::new(1)),
            last_beat: Mutex::new(Instant::now()),
            beats: AtomicU64::new(0),
            running: AtomicBool::new(false),
            fences: AtomicBool::new(false),
            takeover: tokio::sync::watch::Sender::new(0),
        }
    }

    /// The same registry (and live count: the call layer reads it) with other timing.
    pub fn with_settings(&self, settings: Settings) -> Self {
        Registry {
            settings,
            live: self.live.clone(),
            ..Registry::default()
        }
    }

    /// Live instances sharing the database, this one included (1 until the first heartbeat).
    pub fn live(&self) -> u32 {
        self.live.load(Ordering::Relaxed).max(1)
    }

    /// The live count as the call layer reads it.
    pub fn live_counter(&self) -> Arc<AtomicU32> {
        self.live.clone()
    }

    /// True while this instance must take no new work: its last heartbeat that landed is so
    /// old that the others may be about to declare it dead (one heartbeat before they can).
    pub fn fenced(&self) -> bool {
        if !self.running.load(Ordering::Relaxed) || !self.fences.load(Ordering::Relaxed) {
            return false;
        }
        let fence_after = self
            .settings
            .dead_after
            .saturating_sub(self.settings.heartbeat);
        self.last_beat.lock().expect("beat lock").elapsed() > fence_after
    }

    /// Resolves when this instance has reaped another since the receiver last looked.
    pub fn takeovers(&self) -> tokio::sync::watch::Receiver<u64> {
        self.takeover.subscribe()
    }
}

/// One heartbeat of this instance through `store`; true when it landed.
pub async fn beat(reg: &Registry, store: &Store) -> bool {
    let me = crate::ids::instance();
    let dead_after = reg.settings.dead_after;
    let started = Instant::now();
    // Bounded: a heartbeat stuck on a dead connection must not hold the loop (the fence
    // needs the next attempt to land).
    match tokio::time::timeout(
        dead_after,
        store.instance_heartbeat(me, OffsetDateTime::now_utc(), dead_after),
    )
    .await
    {
        Ok(Ok(beat)) => {
            *reg.last_beat.lock().expect("beat lock") = started;
            reg.live.store(beat.live, Ordering::Relaxed);
            metrics::gauge!("shiphub_instances_live").set(f64::from(beat.live));
            if beat.registered {
                if reg.beats.fetch_add(1, Ordering::Relaxed) > 0 {
                    tracing::error!(
                        instance = me,
                        "this instance was declared dead by another (no heartbeat for the \
                         dead-after interval); its claims were released, it registers anew"
                    );
                } else {
                    tracing::info!(instance = me, live = beat.live, "instance registered");
                }
            } else {
                reg.beats.fetch_add(1, Ordering::Relaxed);
            }
            true
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "instance heartbeat failed");
            false
        }
        Err(_) => {
            tracing::warn!("instance heartbeat timed out");
            false
        }
    }
}

/// Heartbeats this instance through `store` and reaps dead ones. Runs for the life of the
/// process: on a graceful shutdown it keeps beating while requests drain (the work they hold
/// is this instance's), and its row goes stale once the process exits, which releases
/// whatever was left to the others. `webhooks` is woken when a reap released deliveries.
pub async fn run(reg: Arc<Registry>, webhooks: Arc<crate::webhooks::Webhooks>, store: Store) {
    reg.fences.store(
        store.backend() == crate::store::Backend::Postgres,
        Ordering::Relaxed,
    );
    reg.running.store(true, Ordering::Relaxed);
    let me = crate::ids::instance();
    // Which process is which instance (the id the reapers' log lines name).
    metrics::gauge!("shiphub_instance_info", "instance" => me).set(1.0);
    let Settings {
        heartbeat,
        dead_after,
    } = reg.settings;
    let mut was_fenced = false;
    let mut tick = tokio::time::interval(heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        beat(&reg, &store).await;
        let fenced = reg.fenced();
        metrics::gauge!("shiphub_instance_fenced").set(if fenced { 1.0 } else { 0.0 });
        if fenced != was_fenced {
            if fenced {
                tracing::error!(
                    instance = me,
                    "no heartbeat has reached the database for the fence interval: taking no \
                     new work until one does"
                );
            } else {
                tracing::warn!(
                    instance = me,
                    "heartbeat reaches the database again: taking work"
                );
            }
            was_fenced = fenced;
        }
        if fenced {
            continue;
        }
        let now = OffsetDateTime::now_utc();
        match store.reap_instances(now, dead_after).await {
            Ok(reaped) => {
                for r in &reaped {
                    report(me, now, r);
                }
                if !reaped.is_empty() {
                    reg.takeover.send_modify(|n| *n += 1);
                    // Released webhook deliveries are due now.
                    webhooks.wake.notify_one();
                }
            }
            Err(e) => tracing::warn!(error = %e, "reaping dead instances failed"),
        }
    }
}

/// The log line and counters of one reaped instance.
fn report(me: &str, now: OffsetDateTime, r: &Reaped) {
    let c = &r.released;
    tracing::warn!(
        dead = %r.instance,
        by = me,
        silent_ms = (now - r.seen_at).whole_milliseconds() as i64,
        trackers = c.trackers,
        webhook_deliveries = c.webhook_deliveries,
        idempotency_keys = c.idempotency_keys,
        pulls = c.pulls,
        batches = c.batches,
        print_jobs = c.print_jobs,
        stream_relay = c.stream_relay,
        "instance declared dead; its claims were released for the live instances"
    );
    metrics::counter!("shiphub_instances_reaped_total").increment(1);
    for (kind, n) in [
        ("trackers", c.trackers),
        ("webhook_deliveries", c.webhook_deliveries),
        ("idempotency_keys", c.idempotency_keys),
        ("pulls", c.pulls),
        ("batches", c.batches),
        ("print_jobs", c.print_jobs),
        ("stream_relay", c.stream_relay),
    ] {
        metrics::counter!("shiphub_instance_claims_released_total", "kind" => kind).increment(n);
    }
}

/// Sleeps `every`, or less: until this instance reaps another (its expired work is there to
/// take now) or the server stops. True when it stops.
pub async fn nap(
    takeovers: &mut tokio::sync::watch::Receiver<u64>,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
    every: Duration,
) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(every) => false,
        r = takeovers.changed() => r.is_err(),
        _ = shutdown.changed() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fenced only once the loop runs on PostgreSQL and the last heartbeat that landed is
    /// older than dead-after less one heartbeat (before the others can declare it dead).
    #[test]
    fn an_instance_fences_itself_before_the_others_may_declare_it_dead() {
        let reg = Registry::new(Settings {
            heartbeat: Duration::from_millis(500),
            dead_after: Duration::from_secs(2),
        });
        let set_beat = |ago_ms: u64| {
            *reg.last_beat.lock().unwrap() = Instant::now() - Duration::from_millis(ago_ms);
        };
        set_beat(1_600);
        assert!(!reg.fenced(), "no heartbeat loop: never fenced");
        reg.running.store(true, Ordering::Relaxed);
        assert!(!reg.fenced(), "SQLite: one process, never fenced");
        reg.fences.store(true, Ordering::Relaxed);
        assert!(
            reg.fenced(),
            "1.6 s without a heartbeat: 0.4 s before it may be declared dead"
        );
        set_beat(1_400);
        assert!(!reg.fenced());
    }
}
