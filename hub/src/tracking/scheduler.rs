//! The poll scheduler. Each round it leases due trackers (urgent first; several instances
//! never hold the same tracker, and a dead instance's leases run out), groups them by
//! carrier account, batches them as the carrier allows, and spends each account's quota —
//! the carrier's declared quota divided among the live instances — without ever waiting
//! inside a lease: a tracker the budget cannot cover now goes back, due when the budget
//! will have room. Retry-After pauses the account; failures back off per tracker with
//! jitter, so an outage never turns into a retry storm.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use shiphub_carriers::model::{TrackingNumber, TrackingResult};
use shiphub_carriers::{Capability, Carrier, CarrierError, RequestQuota};
use time::OffsetDateTime;

use super::{PollPolicy, decide};
use crate::ids::AccountId;
use crate::state::AppState;
use crate::store::{ClaimedTracker, StoreError};

/// Leased per round.
const CLAIM: u32 = 200;

struct Budget {
    limiter: DefaultDirectRateLimiter,
    /// Instances the quota was divided by.
    shares: u32,
    paused_until: Option<OffsetDateTime>,
}

pub struct Scheduler {
    app: AppState,
    policy: PollPolicy,
    /// This instance's id (lease owner).
    pub instance: String,
    budgets: Mutex<HashMap<AccountId, Budget>>,
    live: Mutex<u32>,
}

fn share(q: RequestQuota, shares: u32) -> Quota {
    // Each instance gets 1/shares of the rate and of the burst.
    let period = q.replenish_interval() * shares.max(1);
    let burst = NonZeroU32::new((q.burst.max(1) / shares.max(1)).max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Scheduler {
    pub fn new(app: AppState, policy: PollPolicy, instance: String) -> Arc<Self> {
        Arc::new(Self {
            app,
            policy,
            instance,
            budgets: Mutex::new(HashMap::new()),
            live: Mutex::new(1),
        })
    }

    /// Runs until the server shuts down.
    pub async fn run(self: Arc<Self>, tick: Duration) {
        let mut shutdown = self.app.shutdown.subscribe();
        let mut last_beat = None::<tokio::time::Instant>;
        loop {
            if last_beat.is_none_or(|t| t.elapsed() > Duration::from_secs(2)) {
                match self
                    .app
                    .store
                    .scheduler_heartbeat(
                        &self.instance,
                        OffsetDateTime::now_utc(),
                        Duration::from_secs(10),
                    )
                    .await
                {
                    Ok(n) => *self.live.lock().expect("live lock") = n,
                    Err(e) => tracing::warn!(error = %e, "scheduler heartbeat failed"),
                }
                last_beat = Some(tokio::time::Instant::now());
            }
            let worked = match self.round().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "scheduler round failed");
                    0
                }
            };
            if *shutdown.borrow() {
                return;
            }
            if worked < CLAIM as usize {
                tokio::select! {
                    _ = tokio::time::sleep(tick) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    }

    /// One round: lease due trackers and check them. Returns how many were leased.
    pub async fn round(self: &Arc<Self>) -> Result<usize, StoreError> {
        let now = OffsetDateTime::now_utc();
        let claimed = self
            .app
            .store
            .claim_due_trackers(&self.instance, now, self.policy.lease, CLAIM)
            .await?;
        let n = claimed.len();
        let mut by_account: HashMap<AccountId, Vec<ClaimedTracker>> = HashMap::new();
        for c in claimed {
            if let Some(a) = c.tracker.carrier_account_id.clone() {
                by_account.entry(a).or_default().push(c);
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (account, trackers) in by_account {
            let me = self.clone();
            tasks.spawn(async move { me.check_account(account, trackers).await });
        }
        while tasks.join_next().await.is_some() {}
        Ok(n)
    }

    /// Whether the account's budget covers one more call now; when not, the time it will.
    fn spend(&self, account: &AccountId, quota: RequestQuota) -> Result<(), OffsetDateTime> {
        let shares = *self.live.lock().expect("live lock");
        let mut budgets = self.budgets.lock().expect("budget lock");
        let b = budgets.entry(account.clone()).or_insert_with(|| Budget {
            limiter: RateLimiter::direct(share(quota, shares)),
            shares,
            paused_until: None,
        });
        if b.shares != shares {
            *b = Budget {
                limiter: RateLimiter::direct(share(quota, shares)),
                shares,
                paused_until: b.paused_until,
            };
        }
        let now = OffsetDateTime::now_utc();
        if let Some(until) = b.paused_until {
            if until > now {
                return Err(until);
            }
            b.paused_until = None;
        }
        b.limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            now + wait
        })
    }

    fn pause(&self, account: &AccountId, until: OffsetDateTime) {
        if let Some(b) = self.budgets.lock().expect("budget lock").get_mut(account) {
            b.paused_until = Some(until);
        }
    }

    async fn check_account(self: Arc<Self>, account: AccountId, trackers: Vec<ClaimedTracker>) {
        let tenant = trackers[0].tenant.clone();
        let store = &self.app.store;
        let record = match store.get_account(&tenant, &account).await {
            Ok(Some(r)) => r,
            Ok(None) | Err(_) => {
                let later = OffsetDateTime::now_utc() + self.policy.max_backoff;
                for c in &trackers {
                    let _ = store
                        .tracker_check_failed(
                            &c.tracker.id,
                            &self.instance,
                            c.tracker.failures + 1,
                            later,
                        )
                        .await;
                }
                return;
            }
        };
        let adapter = match self
            .app
            .carriers
            .adapter(store, &tenant, &record, &self.app.master_key)
            .await
        {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(account = %account, error = %e, "cannot build adapter for tracking");
                self.back_off(&trackers, None).await;
                return;
            }
        };
        let batch = adapter.capabilities().track_batch_max.max(1);
        let quota = adapter.quota();
        let mut rest = trackers.as_slice();
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(batch.min(rest.len()));
            rest = tail;
            if let Err(when) = self.spend(&account, quota) {
                // Out of budget: everything left goes back, due when there is room.
                for c in chunk.iter().chain(rest) {
                    let _ = store
                        .tracker_check_failed(
                            &c.tracker.id,
                            &self.instance,
                            c.tracker.failures,
                            when,
                        )
                        .await;
                }
                return;
            }
            self.poll(&account, adapter.as_ref(), chunk).await;
        }
    }

    async fn poll(&self, account: &AccountId, adapter: &dyn Carrier, chunk: &[ClaimedTracker]) {
        let numbers: Vec<TrackingNumber> = chunk
            .iter()
            .filter_map(|c| c.tracker.tracking_number.parse().ok())
            .collect();
        let answer = self
            .app
            .calls
            .call(account, adapter, Capability::Track, || {
                adapter.track(&numbers)
            })
            .await;
        metrics::counter!("shiphub_tracking_polls_total", "carrier" => adapter.code().to_string(), "ok" => answer.is_ok().to_string())
            .increment(1);
        match answer {
            Ok(results) => {
                let by_number: HashMap<&str, &TrackingResult> = results
                    .iter()
                    .map(|r| (r.tracking_number.as_str(), r))
                    .collect();
                for c in chunk {
                    let Some(result) = by_number.get(c.tracker.tracking_number.as_str()) else {
                        self.back_off(std::slice::from_ref(c), None).await;
                        continue;
                    };
                    let policy = self.policy;
                    let recorded = self
                        .app
                        .store
                        .record_tracking(
                            &c.tenant,
                            &c.tracker.id,
                            Some(&self.instance),
                            &result.events,
                            |old, fresh| {
                                decide(&policy, OffsetDateTime::now_utc(), old, fresh, Some(result))
                            },
                        )
                        .await;
                    if let Err(e) = recorded {
                        tracing::warn!(tracker = %c.tracker.id, error = %e, "cannot record tracking");
                    }
                }
            }
            Err(CarrierError::RateLimited { retry_after, .. }) => {
                let until =
                    OffsetDateTime::now_utc() + retry_after.unwrap_or(Duration::from_secs(60));
                tracing::warn!(account = %account, %until, "carrier rate limited tracking; pausing the account");
                self.pause(account, until);
                self.back_off(chunk, Some(until)).await;
            }
            Err(e) => {
                tracing::debug!(account = %account, error = %e, "tracking check failed");
                self.back_off(chunk, None).await;
            }
        }
    }

    /// Releases trackers after a failed check: due at `until`, or after their backoff.
    async fn back_off(&self, trackers: &[ClaimedTracker], until: Option<OffsetDateTime>) {
        for c in trackers {
            let failures = c.tracker.failures + 1;
            let at =
                until.unwrap_or_else(|| OffsetDateTime::now_utc() + self.policy.backoff(failures));
            if let Err(e) = self
                .app
                .store
                .tracker_check_failed(&c.tracker.id, &self.instance, failures, at)
                .await
            {
                tracing::warn!(tracker = %c.tracker.id, error = %e, "cannot release tracker");
            }
        }
    }
}
