//! The poll scheduler. Each round it leases due trackers (urgent first; several instances
//! never hold the same tracker, and a dead instance's leases run out), groups them by
//! carrier account, batches them as the carrier allows, and spends each account's quota —
//! the carrier's declared quota divided among the live instances — without ever waiting
//! inside a lease: a tracker the budget cannot cover now goes back, due when the budget
//! will have room. Retry-After pauses the account; failures back off per tracker with
//! jitter, so an outage never turns into a retry storm.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shiphub_carriers::model::{TrackQuery, TrackingNumber, TrackingResult};
use shiphub_carriers::{Carrier, CarrierError, RequestQuota};
use time::OffsetDateTime;
use tokio::time::Instant;

use super::{PollPolicy, decide};
use crate::ids::{AccountId, TenantId};
use crate::state::AppState;
use crate::store::{ClaimedTracker, StoreError};

/// Accounts looked at per round.
const ACCOUNTS_PER_ROUND: u32 = 100;
/// Most trackers leased for one account per round.
const MAX_CLAIM: u32 = 500;
/// A round leases what the budget covers now plus what it will cover this much later, so
/// calls keep flowing while the next round is prepared.
const LOOKAHEAD: Duration = Duration::from_millis(500);
/// Carrier calls of one account in flight at once.
const POLLS_IN_FLIGHT: usize = 16;
/// Parcels whose answers are recorded in one transaction at most, when the carrier answers
/// fewer per call (`check_account`).
const RECORD_TOGETHER: usize = 16;

/// An account's share of its carrier quota: a token bucket refilled at `rate` per second up
/// to `burst`. The scheduler leases only as many trackers as it has tokens for, so it never
/// waits on the carrier inside a lease and never asks beyond the quota.
struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    /// The daily cap, when the carrier has one: (tokens, per second, capacity). Capacity is
    /// this instance's share of a day's quota, spent evenly (no day-start burst).
    daily: Option<(f64, f64, f64)>,
    at: Instant,
    shares: u32,
    paused_until: Option<Instant>,
}

impl Bucket {
    fn new(q: RequestQuota, daily: Option<u32>, shares: u32) -> Self {
        let per = q.replenish_interval().as_secs_f64().max(1e-9);
        let shares = f64::from(shares.max(1));
        let burst = (f64::from(q.burst.max(1)) / shares).max(1.0);
        let daily = daily.map(|d| {
            let share = f64::from(d) / shares;
            // A day's share spent evenly: an hour's worth at most at once.
            let cap = (share / 24.0).clamp(1.0, share.max(1.0));
            (cap, share / 86_400.0, cap)
        });
        Bucket {
            tokens: burst,
            rate: 1.0 / per / shares,
            burst,
            daily,
            at: Instant::now(),
            shares: shares as u32,
            paused_until: None,
        }
    }
    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        if let Some((tokens, rate, cap)) = &mut self.daily {
            *tokens = (*tokens + dt * *rate).min(*cap);
        }
        self.at = self.at.max(now);
    }
    /// Whole tokens available now under both caps (0 while paused).
    fn available(&mut self, now: Instant) -> u32 {
        if self.paused_until.is_some_and(|p| p > now) {
            return 0;
        }
        self.refill(now);
        let day = self.daily.map_or(f64::MAX, |(t, _, _)| t);
        self.tokens.min(day).floor() as u32
    }
    fn take(&mut self, now: Instant) -> bool {
        if self.available(now) == 0 {
            return false;
        }
        self.tokens -= 1.0;
        if let Some((tokens, _, _)) = &mut self.daily {
            *tokens -= 1.0;
        }
        true
    }
    /// When the next token will be there under both caps.
    fn next_token(&self, now: Instant) -> Instant {
        if let Some(p) = self.paused_until.filter(|p| *p > now) {
            return p;
        }
        let wait = |tokens: f64, rate: f64| (1.0 - tokens).max(0.0) / rate;
        let mut secs = wait(self.tokens, self.rate);
        if let Some((tokens, rate, _)) = self.daily {
            secs = secs.max(wait(tokens, rate));
        }
        now + Duration::from_secs_f64(secs)
    }
}

pub struct Scheduler {
    app: AppState,
    policy: PollPolicy,
    /// This instance's id (lease owner).
    pub instance: String,
    budgets: Mutex<HashMap<AccountId, Bucket>>,
    live: Mutex<u32>,
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

    /// Learns how many instances share the quotas (the instance registry's live count).
    pub fn heartbeat(&self) -> u32 {
        let n = self.app.instances.live();
        *self.live.lock().expect("live lock") = n;
        n
    }

    /// Runs until the server shuts down.
    pub async fn run(self: Arc<Self>, tick: Duration) {
        let mut shutdown = self.app.shutdown.subscribe();
        loop {
            self.heartbeat();
            // A fenced instance may be declared dead any moment: it leases nothing new.
            let wake = match if self.app.instances.fenced() {
                Ok(None)
            } else {
                self.round().await
            } {
                Ok(next) => next,
                Err(e) => {
                    tracing::warn!(error = %e, "scheduler round failed");
                    None
                }
            };
            if *shutdown.borrow() {
                return;
            }
            let sleep = wake
                .map(|w| w.saturating_duration_since(Instant::now()))
                .unwrap_or(tick)
                .min(tick);
            if !sleep.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(sleep) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    }

    /// One round: for each account with due trackers, lease as many as its budget covers and
    /// check them. Returns when the next token of a waiting account arrives (`None`: no
    /// account is waiting for budget).
    pub async fn round(self: &Arc<Self>) -> Result<Option<Instant>, StoreError> {
        let now = OffsetDateTime::now_utc();
        let due = self.app.store.due_accounts(now, ACCOUNTS_PER_ROUND).await?;
        let mut wake: Option<Instant> = None;
        let mut tasks = tokio::task::JoinSet::new();
        for (tenant, account) in due {
            let Some((adapter, record)) = self.adapter(&tenant, &account).await else {
                continue;
            };
            let batch = adapter.capabilities().track_batch_max.max(1) as u32;
            let tokens = self.tokens(&account, adapter.quota(), adapter.daily_quota());
            if tokens == 0 {
                let next = self.next_token(&account);
                wake = Some(wake.map_or(next, |w| w.min(next)));
                continue;
            }
            let claimed = self
                .app
                .store
                .claim_due_trackers(
                    &record.id,
                    &self.instance,
                    now,
                    self.policy.lease,
                    (self.lookahead(&account, tokens).saturating_mul(batch)).min(MAX_CLAIM),
                )
                .await?;
            if claimed.is_empty() {
                continue;
            }
            let me = self.clone();
            let acc = account.clone();
            tasks.spawn(async move { me.check_account(acc, adapter, claimed).await });
            // Come back when this account has budget again.
            let next = self.next_token(&account);
            wake = Some(wake.map_or(next, |w| w.min(next)));
        }
        while tasks.join_next().await.is_some() {}
        Ok(wake)
    }

    async fn adapter(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Option<(Arc<dyn Carrier>, crate::store::AccountRecord)> {
        let record = match self.app.store.get_account(tenant, account).await {
            Ok(Some(r)) => r,
            _ => return None,
        };
        match self
            .app
            .carriers
            .adapter(&self.app.store, tenant, &record, &self.app.master_key)
            .await
        {
            Ok(a) => Some((a, record)),
            Err(e) => {
                tracing::warn!(account = %account, error = %e, "cannot build adapter for tracking");
                None
            }
        }
    }

    fn bucket<T>(
        &self,
        account: &AccountId,
        quota: Option<(RequestQuota, Option<u32>)>,
        f: impl FnOnce(&mut Bucket) -> T,
    ) -> Option<T> {
        let shares = *self.live.lock().expect("live lock");
        let mut budgets = self.budgets.lock().expect("budget lock");
        if let Some((q, daily)) = quota {
            let b = budgets
                .entry(account.clone())
                .or_insert_with(|| Bucket::new(q, daily, shares));
            if b.shares != shares {
                let paused = b.paused_until;
                *b = Bucket::new(q, daily, shares);
                b.paused_until = paused;
            }
        }
        budgets.get_mut(account).map(f)
    }

    fn tokens(&self, account: &AccountId, quota: RequestQuota, daily: Option<u32>) -> u32 {
        self.bucket(account, Some((quota, daily)), |b| {
            b.available(Instant::now())
        })
        .unwrap_or(0)
    }

    /// Tokens now plus those `LOOKAHEAD` will bring.
    fn lookahead(&self, account: &AccountId, tokens: u32) -> u32 {
        let more = self
            .bucket(account, None, |b| {
                (b.rate * LOOKAHEAD.as_secs_f64()).floor() as u32
            })
            .unwrap_or(0);
        tokens.saturating_add(more)
    }

    fn next_token(&self, account: &AccountId) -> Instant {
        self.bucket(account, None, |b| b.next_token(Instant::now()))
            .unwrap_or_else(Instant::now)
    }

    fn take(&self, account: &AccountId) -> bool {
        self.bucket(account, None, |b| b.take(Instant::now()))
            .unwrap_or(false)
    }

    fn pause(&self, account: &AccountId, wait: Duration) {
        self.bucket(account, None, |b| {
            b.paused_until = Some(Instant::now() + wait);
            // Shrink what is left: the carrier said the pace was too high.
            b.tokens = 0.0;
        });
    }

    /// Takes a token of the account's budget, waiting for one that is moments away (the
    /// round leased a little ahead of the budget, well inside the lease). False when the
    /// budget is gone (a pause, or a share shrank).
    async fn spend(&self, account: &AccountId) -> bool {
        if self.take(account) {
            return true;
        }
        let next = self.next_token(account);
        if next.saturating_duration_since(Instant::now()) > LOOKAHEAD {
            return false;
        }
        tokio::time::sleep_until(next).await;
        self.take(account)
    }

    async fn check_account(
        self: Arc<Self>,
        account: AccountId,
        adapter: Arc<dyn Carrier>,
        trackers: Vec<ClaimedTracker>,
    ) {
        let batch = adapter.capabilities().track_batch_max.max(1);
        // A one-number carrier's (UPS) answers are recorded several calls at a time: a parcel
        // written alone pays its scans', events' and delivery's statements alone. Each call
        // still goes out as soon as the budget covers it.
        let calls_per_record = (RECORD_TOGETHER / batch).max(1);
        // Calls of one account run side by side, and their answers are written concurrently,
        // both bounded (so one account cannot take every store connection).
        let slots = Arc::new(tokio::sync::Semaphore::new(POLLS_IN_FLIGHT));
        let writers = Arc::new(tokio::sync::Semaphore::new(POLLS_IN_FLIGHT));
        let mut groups = tokio::task::JoinSet::new();
        let mut left = trackers.into_iter();
        let mut more = true;
        while more {
            let mut calls = tokio::task::JoinSet::new();
            for _ in 0..calls_per_record {
                let chunk: Vec<ClaimedTracker> = left.by_ref().take(batch).collect();
                if chunk.is_empty() {
                    more = false;
                    break;
                }
                if !self.spend(&account).await {
                    // Everything left goes back, due when the budget has room again.
                    let at = OffsetDateTime::now_utc()
                        + self
                            .next_token(&account)
                            .saturating_duration_since(Instant::now());
                    let ids: Vec<_> = chunk
                        .iter()
                        .chain(left.as_slice())
                        .map(|c| c.tracker.id.clone())
                        .collect();
                    if let Err(e) = self
                        .app
                        .store
                        .release_trackers(&ids, &self.instance, at)
                        .await
                    {
                        tracing::warn!(error = %e, "cannot release trackers");
                    }
                    more = false;
                    break;
                }
                let permit = slots.clone().acquire_owned().await.expect("semaphore open");
                let (me, account, adapter) = (self.clone(), account.clone(), adapter.clone());
                calls.spawn(async move {
                    let answered = me.ask(&account, adapter.as_ref(), chunk).await;
                    drop(permit);
                    answered
                });
            }
            if calls.is_empty() {
                break;
            }
            let (me, account, adapter) = (self.clone(), account.clone(), adapter.clone());
            let writers = writers.clone();
            groups.spawn(async move {
                let mut answered = vec![];
                while let Some(call) = calls.join_next().await {
                    answered.extend(call.unwrap_or_default());
                }
                let _writing = writers.acquire_owned().await.expect("semaphore open");
                me.settle(&account, adapter.as_ref(), &answered).await;
            });
        }
        while groups.join_next().await.is_some() {}
    }

    /// One carrier call for `chunk`: the trackers it answered, with their answers. A tracker
    /// left unanswered, or a failed call, backs off here.
    async fn ask(
        &self,
        account: &AccountId,
        adapter: &dyn Carrier,
        chunk: Vec<ClaimedTracker>,
    ) -> Vec<(ClaimedTracker, TrackingResult)> {
        // The ship date a purchase here recorded picks the parcel's own shipment when the
        // carrier reused the number; an aggregator is told the network it tracks it in.
        let (asked, parcels): (Vec<&ClaimedTracker>, Vec<TrackQuery>) = chunk
            .iter()
            .filter_map(|c| {
                let number: TrackingNumber = c.tracker.tracking_number.parse().ok()?;
                let shipped = c.tracker.ship_date.as_deref().and_then(super::parse_date);
                Some((
                    c,
                    TrackQuery::new(number, shipped)
                        .in_network(c.tracker.network.clone())
                        .with_phone(c.tracker.phone.clone()),
                ))
            })
            .unzip();
        let answer = self.app.calls.track(account, adapter, &parcels).await;
        metrics::counter!("shiphub_tracking_polls_total", "carrier" => adapter.code().to_string(), "ok" => answer.is_ok().to_string())
            .increment(1);
        match answer {
            Ok(results) => {
                // One result per parcel in the order asked; by number only when the carrier
                // answered otherwise (the same number in two networks is two parcels, told
                // apart by position alone).
                let in_order = results.len() == parcels.len()
                    && results
                        .iter()
                        .zip(&parcels)
                        .all(|(r, p)| r.tracking_number == p.number);
                let by_number: HashMap<&str, &TrackingResult> = results
                    .iter()
                    .map(|r| (r.tracking_number.as_str(), r))
                    .collect();
                let position: HashMap<&crate::ids::TrackerId, usize> = asked
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (&c.tracker.id, i))
                    .collect();
                let mut answered = vec![];
                let mut unanswered = vec![];
                for c in &chunk {
                    let found = match position.get(&c.tracker.id) {
                        Some(&i) if in_order => Some(&results[i]),
                        _ => by_number.get(c.tracker.tracking_number.as_str()).copied(),
                    };
                    match found {
                        Some(result) => answered.push((c.clone(), result.clone())),
                        None => unanswered.push(c.clone()),
                    }
                }
                self.back_off(&unanswered, None).await;
                answered
            }
            Err(CarrierError::RateLimited { retry_after, .. }) => {
                let wait = retry_after.unwrap_or(Duration::from_secs(60));
                let until = OffsetDateTime::now_utc() + wait;
                tracing::warn!(account = %account, %until, "carrier rate limited tracking; pausing the account");
                self.pause(account, wait);
                self.back_off(&chunk, Some(until)).await;
                vec![]
            }
            Err(e) => {
                tracing::debug!(account = %account, error = %e, "tracking check failed");
                self.back_off(&chunk, None).await;
                vec![]
            }
        }
    }

    /// Records the answers of one or several calls together, and subscribes the parcels the
    /// carrier can push.
    async fn settle(
        &self,
        account: &AccountId,
        adapter: &dyn Carrier,
        answered: &[(ClaimedTracker, TrackingResult)],
    ) {
        let refs: Vec<(&ClaimedTracker, &TrackingResult)> =
            answered.iter().map(|(c, r)| (c, r)).collect();
        for (c, recorded) in self.record(&refs).await {
            match recorded {
                Ok(Some(t)) => self.subscribe(account, adapter, &c.tenant, &t).await,
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(tracker = %c.tracker.id, error = %e, "cannot record tracking")
                }
            }
        }
    }

    /// Records answers in one transaction (`Store::record_polls`); when that fails
    /// (one tracker's write failing undoes them all), each tracker is recorded on its own so
    /// the others still are.
    async fn record<'c>(
        &self,
        answered: &[(&'c ClaimedTracker, &TrackingResult)],
    ) -> Vec<(
        &'c ClaimedTracker,
        Result<Option<crate::store::TrackerRecord>, StoreError>,
    )> {
        let policy = self.policy;
        let decide_one = |old: &crate::store::TrackerRecord,
                          fresh: &[shiphub_carriers::model::TrackingEvent],
                          result: &TrackingResult| {
            decide(&policy, OffsetDateTime::now_utc(), old, fresh, Some(result))
        };
        if answered.len() > 1 {
            let polls: Vec<_> = answered
                .iter()
                .map(|(c, r)| (&c.tenant, &c.tracker.id, r.events.as_slice()))
                .collect();
            match self
                .app
                .store
                .record_polls(&self.instance, &polls, |i, old, fresh| {
                    decide_one(old, fresh, answered[i].1)
                })
                .await
            {
                Ok(recorded) => {
                    return answered
                        .iter()
                        .zip(recorded)
                        .map(|((c, _), t)| (*c, Ok(t)))
                        .collect();
                }
                Err(e) => {
                    tracing::debug!(error = %e, "recording a poll's answers together failed; one by one");
                }
            }
        }
        let mut out = Vec::with_capacity(answered.len());
        for (c, result) in answered {
            let recorded = self
                .app
                .store
                .record_tracking(
                    &c.tenant,
                    &c.tracker.id,
                    Some(&self.instance),
                    &result.events,
                    |old, fresh| decide_one(old, fresh, result),
                )
                .await;
            out.push((*c, recorded));
        }
        out
    }

    /// Subscribes a polled parcel to the carrier's push once, when the carrier offers
    /// per-parcel subscriptions (Kuaidi100 `poll`) and the parcel is still moving; a failed
    /// subscription is asked again after the next poll. A subscribed parcel is polled
    /// `subscribed_slowdown` times less often from its next poll on (a safety net). Carriers
    /// that push without a per-parcel subscription (UPS) answer `Unsupported` once and are
    /// never asked again.
    async fn subscribe(
        &self,
        account: &AccountId,
        adapter: &dyn Carrier,
        tenant: &TenantId,
        t: &crate::store::TrackerRecord,
    ) {
        if t.subscribed_at.is_some()
            || t.next_check_at.is_none()
            || !self.app.calls.may_subscribe(adapter)
        {
            return;
        }
        let Ok(number) = t.tracking_number.parse::<TrackingNumber>() else {
            return;
        };
        let ship_date = t.ship_date.as_deref().and_then(super::parse_date);
        let parcel = TrackQuery::new(number, ship_date)
            .in_network(t.network.clone())
            .with_phone(t.phone.clone());
        match self.app.calls.subscribe(account, adapter, &parcel).await {
            Ok(()) => {
                let now = OffsetDateTime::now_utc();
                // The next poll at the subscribed pace, counted from this poll.
                let subscribed = crate::store::TrackerRecord {
                    subscribed_at: Some(now),
                    ..t.clone()
                };
                let next = self
                    .policy
                    .interval(&subscribed, now.date())
                    .map_or(now, |wait| t.last_checked_at.unwrap_or(now) + wait);
                if let Err(e) = self
                    .app
                    .store
                    .mark_tracker_subscribed(tenant, &t.id, now, next)
                    .await
                {
                    tracing::warn!(tracker = %t.id, error = %e, "cannot record the push subscription");
                }
            }
            Err(CarrierError::Unsupported { .. }) => {}
            Err(e) => {
                tracing::info!(tracker = %t.id, error = %e, "push subscription failed; asked again at the next poll");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_daily_cap_is_spent_evenly_and_shared_between_instances() {
        let now = Instant::now();
        // 1,400 per 10 s (FedEx's rate) but 2,400 a day: the day decides.
        let q = RequestQuota {
            requests: 1_400,
            per: Duration::from_secs(10),
            burst: 1_400,
        };
        let mut b = Bucket::new(q, Some(2_400), 1);
        // A day's share evenly: 100 an hour, so at most an hour's worth at once.
        assert_eq!(b.available(now), 100);
        for _ in 0..100 {
            assert!(b.take(now));
        }
        assert!(!b.take(now), "the daily budget is spent");
        let next = b.next_token(now).duration_since(now).as_secs_f64();
        assert!(
            (35.0..=37.0).contains(&next),
            "a token every 36 s, got {next}"
        );
        // Two live instances: each gets half of the day and half of the rate.
        let mut half = Bucket::new(q, Some(2_400), 2);
        assert_eq!(half.available(now), 50);
        // Without a daily cap only the rate limits.
        let mut free = Bucket::new(q, None, 1);
        assert_eq!(free.available(now), 1_400);
    }
}
