//! The one road every carrier call takes: circuit breaker, per-account governor quota,
//! per-attempt timeout, retries with backoff for transient and rate-limited errors (honouring
//! Retry-After), a tracing span and metrics. Adapters stay pure translators.
//!
//! Purchases (`ship`) are retried only when the carrier certainly did not act on the request
//! (rate limited, or a failure before the request was sent): retrying after a timeout could
//! buy a second label.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use governor::Quota;
use shiphub_carriers::model::{
    Address, AddressCheck, BilledWaybill, Manifest, ManifestRequest, NetworkGuess,
    PickupConfirmation, PickupRef, PickupRequest, Quote, RateRequest, ShipRequest, TrackQuery,
    TrackingNumber, TrackingResult, Waybill, WaybillRef,
};
use shiphub_carriers::{
    Capability, Carrier, CarrierCode, CarrierError, CarrierLimits, RequestQuota, VoidOutcome,
};
use tokio::time::Instant;
use tracing::Instrument;

use crate::ids::AccountId;

#[derive(Clone, Debug)]
pub struct CallPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// A Retry-After longer than this is not waited for: the error goes back to the caller.
    pub max_retry_after: Duration,
    /// Consecutive carrier-side failures that open the breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker fails fast before letting one trial call through.
    pub breaker_cooldown: Duration,
    /// The longest a purchase (`ship_within`) waits for its account's quota: a purchase the
    /// quota would admit later is answered `Throttled` at once (issue 19: purchases queued
    /// without bound, p99 9.2 s at 32 clients on a 10/s account).
    pub purchase_quota_wait: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            purchase_quota_wait: Duration::from_secs(2),
        }
    }
}

/// The governor quota for a carrier's declared quota, paced inside it so that no window of
/// the quota's period (one second for a per-second quota) holds more than the declared
/// number of calls (issue 15), while 98 % of the quota stays usable:
/// - one call every `per / requests × 1.02`: calls released late by scheduling jitter leave
///   the carrier's bucket a margin to catch up on;
/// - a burst of at most what the period has room for beside that steady pace: a GCRA lets
///   `burst + floor(per / interval)` calls into any window of `per`, so the burst is
///   `requests - floor(requests / 1.02)` (1 below 51 a period, 2 at 100, 20 at 1,000), and
///   never above half the declared burst.
///
/// Half the declared burst alone (the earlier pacing) let a 5/s carrier see 7 calls in the
/// first second and about 101 % of its quota over 40 s: a carrier that meters a token bucket
/// of one second's worth answered 429.
fn governor_quota(q: RequestQuota) -> Quota {
    let interval = q.replenish_interval().mul_f64(1.02);
    let steady = u64::from(q.requests) * 100 / 102;
    let room = u64::from(q.requests).saturating_sub(steady);
    // No declared burst means the request count, as before.
    let declared = if q.burst == 0 { q.requests } else { q.burst };
    let burst = u32::try_from(u64::from(declared.div_ceil(2)).min(room)).unwrap_or(1);
    Quota::with_period(interval)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// One instance's share of a quota that `shares` live instances spend together: the same
/// number of calls over `shares` times the period (a 10/s account is 10 per 3 s on each of
/// three instances), and the burst divided (at least one).
fn share(q: RequestQuota, shares: u32) -> RequestQuota {
    if shares <= 1 {
        return q;
    }
    RequestQuota {
        requests: q.requests,
        per: q.per * shares,
        burst: (q.burst / shares).max(1),
    }
}

/// The account's pacer: the GCRA `governor_quota` describes, on tokio's clock (a test with
/// paused time checks it without waiting), that hands out slots by reservation.
///
/// Governor's `check` only says when the *next* call would be admitted, without holding that
/// slot: 32 callers waiting on a 1/s account each see "in 0.9 s", all sleep, one wins and the
/// rest see another second, so a caller cannot know whether it fits its deadline (issue 19:
/// answers empty at the rate deadline, purchases queued without bound). Here each caller
/// takes its own slot, `interval` after the one before, and knows its wait before it sleeps:
/// a caller whose slot is beyond its bound takes none and is told when to come back.
/// Admission is governor's GCRA (`burst` calls at once, then one every `interval`): the
/// slot of a caller that gives up after reserving stays spent, which only errs on the
/// carrier's side.
struct Pacer {
    interval: Duration,
    /// How far ahead of now the theoretical arrival time may run: `(burst - 1) × interval`.
    tolerance: Duration,
    /// When the next call would be admitted with no burst left (GCRA's TAT); `None` before
    /// the first call.
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    fn new(quota: Quota) -> Self {
        let interval = quota.replenish_interval();
        Self {
            interval,
            tolerance: interval * (quota.burst_size().get() - 1),
            next: Mutex::new(None),
        }
    }

    /// Reserves the earliest slot at or after `now` and says how long to wait for it; when
    /// that wait is longer than `bound`, reserves nothing and says how long it would be.
    fn reserve(&self, now: Instant, bound: Option<Duration>) -> Result<Duration, Duration> {
        let mut next = self.next.lock().expect("pacer lock");
        let tat = next.unwrap_or(now).max(now);
        // Conforming from `tat - tolerance` (written without subtracting from an Instant).
        let at = if tat > now + self.tolerance {
            tat - self.tolerance
        } else {
            now
        };
        let wait = at - now;
        if bound.is_some_and(|b| wait > b) {
            return Err(wait);
        }
        *next = Some(tat.max(at) + self.interval);
        Ok(wait)
    }

    /// Waits for a slot; with `by`, only if the slot comes by then (else `Err(wait)`).
    async fn acquire(&self, by: Option<Instant>) -> Result<(), Duration> {
        let now = Instant::now();
        let wait = self.reserve(now, by.map(|b| b.saturating_duration_since(now)))?;
        if !wait.is_zero() {
            tokio::time::sleep_until(now + wait).await;
        }
        Ok(())
    }
}

/// How long a bounded call may wait for its account's quota.
#[derive(Clone, Copy, Debug)]
enum Bound {
    /// The slot must come by then (a purchase's quota wait).
    SlotBy(Instant),
    /// The answer is needed by then (a rate's deadline): the slot must leave room for the
    /// call, as long as the account's calls take.
    AnswerBy(Instant),
}

/// A call the hub did not make: the account's quota would not admit it within the caller's
/// bound (a rate's deadline, a purchase's quota wait). The carrier was not asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Throttled {
    pub carrier: CarrierCode,
    /// When the account's quota would admit a call, from now.
    pub retry_after: Duration,
}

impl std::fmt::Display for Throttled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the account's {} quota admits no call for {} ms; retry after that",
            self.carrier,
            self.retry_after.as_millis()
        )
    }
}

/// What a bounded call (`rate_within`, `ship_within`) fails with.
#[derive(Debug)]
pub enum CallError {
    /// Refused here before asking the carrier.
    Throttled(Throttled),
    /// The carrier's (or the call's) own failure.
    Carrier(CarrierError),
}

impl From<CarrierError> for CallError {
    fn from(e: CarrierError) -> Self {
        CallError::Carrier(e)
    }
}

impl CallError {
    fn kind(&self) -> &'static str {
        match self {
            CallError::Throttled(_) => "throttled",
            CallError::Carrier(e) => e.kind(),
        }
    }

    /// The error of an unbounded call, which never throttles (read as the carrier's 429 all
    /// the same, should it ever).
    fn into_carrier(self) -> CarrierError {
        match self {
            CallError::Carrier(e) => e,
            CallError::Throttled(t) => CarrierError::RateLimited {
                carrier: t.carrier,
                retry_after: Some(t.retry_after),
            },
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Throttled(t) => t.fmt(f),
            CallError::Carrier(e) => e.fmt(f),
        }
    }
}

#[derive(Debug, Default)]
struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

struct AccountGuard {
    /// The pacer for this instance's share of the account's quota, and the number of live
    /// instances it was made for (a change of that count makes a new one).
    pacer: Mutex<(u32, Arc<Pacer>)>,
    /// How long this account's calls take, a moving average (`None` before the first): a
    /// caller that needs the answer by a deadline takes only a slot that leaves this much
    /// room, else a slot at 2.9 s of a 3 s deadline is spent on an answer that comes too late
    /// (measured: a third of the quotes at 32 clients on a 10/s UPS account).
    call_time: Mutex<Option<Duration>>,
    breaker: Mutex<BreakerState>,
}

impl AccountGuard {
    /// Makes the pacer the one for `quota` shared among `shares` instances.
    fn reshare(&self, quota: RequestQuota, shares: u32) {
        let mut p = self.pacer.lock().expect("pacer lock");
        if p.0 != shares {
            *p = (
                shares,
                Arc::new(Pacer::new(governor_quota(share(quota, shares)))),
            );
        }
    }

    /// Adds one call's duration to the moving average (7/8 the old, 1/8 the new).
    fn observe(&self, took: Duration) {
        let mut t = self.call_time.lock().expect("call time lock");
        *t = Some(t.map_or(took, |old| (old * 7 + took) / 8));
    }

    /// When a call must get its slot to answer by `deadline`, as far as the account's
    /// calls so far tell.
    fn slot_by(&self, deadline: Instant) -> Instant {
        let took = self
            .call_time
            .lock()
            .expect("call time lock")
            .unwrap_or_default();
        deadline.checked_sub(took).unwrap_or(deadline)
    }
}

/// Adds the call's duration to its account's average when dropped (answered or cut off).
struct Timed<'a> {
    guard: &'a AccountGuard,
    sent: Instant,
}

impl Drop for Timed<'_> {
    fn drop(&mut self) {
        self.guard.observe(self.sent.elapsed());
    }
}

pub struct CallLayer {
    policy: CallPolicy,
    /// Live instances sharing every account's quota (the instance registry's count).
    live: Arc<AtomicU32>,
    accounts: Mutex<HashMap<AccountId, Arc<AccountGuard>>>,
    /// Carriers that declare `PushTracking` but answered `Unsupported` to a per-parcel
    /// subscription (UPS: its pushes are set up once, outside the API): never asked again.
    no_subscribe: Mutex<HashSet<CarrierCode>>,
}

impl CallLayer {
    pub fn new(policy: CallPolicy) -> Self {
        Self {
            policy,
            live: Arc::new(AtomicU32::new(1)),
            accounts: Mutex::new(HashMap::new()),
            no_subscribe: Mutex::new(HashSet::new()),
        }
    }

    /// Divides every account's quota by `live` (the instance registry keeps it current), as
    /// the carrier sees all instances' calls together.
    pub fn shared_by(mut self, live: Arc<AtomicU32>) -> Self {
        self.live = live;
        self
    }

    fn guard(&self, account: &AccountId, quota: RequestQuota) -> Arc<AccountGuard> {
        let mut map = self.accounts.lock().expect("call layer lock");
        map.entry(account.clone())
            .or_insert_with(|| {
                Arc::new(AccountGuard {
                    pacer: Mutex::new((1, Arc::new(Pacer::new(governor_quota(quota))))),
                    call_time: Mutex::new(None),
                    breaker: Mutex::new(BreakerState::default()),
                })
            })
            .clone()
    }

    /// Forgets an account's quota and breaker (the account was deleted or changed).
    pub fn forget(&self, account: &AccountId) {
        self.accounts
            .lock()
            .expect("call layer lock")
            .remove(account);
    }

    /// Quotes for a shipment; retried on any transient failure (asking again buys nothing).
    pub async fn rate(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        req: &RateRequest,
    ) -> Result<Vec<Quote>, CarrierError> {
        self.call(account, carrier, Capability::Rate, || carrier.rate(req))
            .await
    }

    /// `rate`, for a caller that needs the answer by `deadline` (rate shopping): when the
    /// account's quota would admit the call only after `deadline`, it is not waited for and
    /// comes back `Throttled` at once (the carrier is not asked), and a retry that would start
    /// after it is not made.
    pub async fn rate_within(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        req: &RateRequest,
        deadline: Instant,
    ) -> Result<Vec<Quote>, CallError> {
        self.call_bounded(
            account,
            carrier,
            Capability::Rate,
            false,
            Some(Bound::AnswerBy(deadline)),
            || carrier.rate(req),
        )
        .await
    }

    /// `ship`, waiting for the account's quota at most the policy's `purchase_quota_wait`
    /// (from the call; retries included): a purchase the quota would admit later comes back
    /// `Throttled` at once, before `before_send` runs, so nothing is bought or recorded.
    pub async fn ship_within<E, B, BFut>(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        req: &ShipRequest,
        before_send: B,
    ) -> Result<Result<Waybill, E>, CallError>
    where
        B: Fn() -> BFut,
        BFut: std::future::Future<Output = Result<(), E>>,
    {
        let by = Bound::SlotBy(Instant::now() + self.policy.purchase_quota_wait);
        self.ship_bounded(account, carrier, req, Some(by), before_send)
            .await
    }

    /// Buys a waybill; retried only when the carrier certainly did not act on the request.
    /// `before_send` runs inside each attempt, past the account's quota and just before the
    /// carrier is asked (a purchase records there that it is about to buy); its error stops
    /// the purchase unasked and comes back as the inner `Err`.
    pub async fn ship<E, B, BFut>(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        req: &ShipRequest,
        before_send: B,
    ) -> Result<Result<Waybill, E>, CarrierError>
    where
        B: Fn() -> BFut,
        BFut: std::future::Future<Output = Result<(), E>>,
    {
        self.ship_bounded(account, carrier, req, None, before_send)
            .await
            .map_err(CallError::into_carrier)
    }

    async fn ship_bounded<E, B, BFut>(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        req: &ShipRequest,
        bound: Option<Bound>,
        before_send: B,
    ) -> Result<Result<Waybill, E>, CallError>
    where
        B: Fn() -> BFut,
        BFut: std::future::Future<Output = Result<(), E>>,
    {
        self.call_bounded(account, carrier, Capability::Ship, true, bound, || {
            let ready = before_send();
            async move {
                if let Err(e) = ready.await {
                    return Ok(Err(e));
                }
                carrier.ship(req).await.map(Ok)
            }
        })
        .await
    }

    /// Cancels a waybill, saying how far the carrier went; retried on any transient failure
    /// (a void asked twice voids once).
    pub async fn void(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        waybill: &WaybillRef,
    ) -> Result<VoidOutcome, CarrierError> {
        self.call(account, carrier, Capability::Void, || {
            carrier.void_outcome(waybill)
        })
        .await
    }

    /// Tracking for a batch of parcels; retried on any transient failure.
    pub async fn track(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        parcels: &[TrackQuery],
    ) -> Result<Vec<TrackingResult>, CarrierError> {
        self.call(account, carrier, Capability::Track, || {
            carrier.track_parcels(parcels)
        })
        .await
    }

    /// The networks a number may be in (an aggregator's detection); retried on any transient
    /// failure (asking again changes nothing).
    pub async fn identify(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        number: &TrackingNumber,
    ) -> Result<Vec<NetworkGuess>, CarrierError> {
        self.call(account, carrier, Capability::Identify, || {
            carrier.identify(number)
        })
        .await
    }

    /// Whether a per-parcel push subscription is worth asking `carrier` for: it declares
    /// `PushTracking` and has not answered `Unsupported` to one.
    pub fn may_subscribe(&self, carrier: &dyn Carrier) -> bool {
        carrier.capabilities().supports(Capability::PushTracking)
            && !self
                .no_subscribe
                .lock()
                .expect("call layer lock")
                .contains(&carrier.code())
    }

    /// Asks the carrier to push one parcel's scans; retried on any transient failure (a
    /// subscription asked twice subscribes once). A carrier that answers `Unsupported` is
    /// remembered and never asked again (`may_subscribe`).
    pub async fn subscribe(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        parcel: &TrackQuery,
    ) -> Result<(), CarrierError> {
        let r = self
            .call(account, carrier, Capability::PushTracking, || {
                carrier.subscribe(parcel)
            })
            .await;
        if let Err(CarrierError::Unsupported { .. }) = &r {
            self.no_subscribe
                .lock()
                .expect("call layer lock")
                .insert(carrier.code());
        }
        r
    }

    /// What the carrier billed for a batch of waybills; retried on any transient failure.
    pub async fn billed_freight(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        numbers: &[TrackingNumber],
    ) -> Result<Vec<BilledWaybill>, CarrierError> {
        self.call(account, carrier, Capability::BilledFreight, || {
            carrier.billed_freight(numbers)
        })
        .await
    }

    /// The carrier's verdict on an address; retried on any transient failure.
    pub async fn verify_address(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        address: &Address,
    ) -> Result<AddressCheck, CarrierError> {
        self.call(account, carrier, Capability::AddressValidation, || {
            carrier.verify_address(address)
        })
        .await
    }

    /// Books a pickup; retried only when the carrier certainly did not act on the request
    /// (a booking asked twice may book two couriers).
    /// `before_send` runs past the rate limiter, just before each attempt goes out (as for
    /// `ship`): an error from it stops the call unsent.
    pub async fn schedule_pickup<E, B, BFut>(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        req: &PickupRequest,
        before_send: B,
    ) -> Result<Result<PickupConfirmation, E>, CarrierError>
    where
        B: Fn() -> BFut,
        BFut: std::future::Future<Output = Result<(), E>>,
    {
        self.call_with(account, carrier, Capability::Pickup, true, || {
            let ready = before_send();
            async move {
                if let Err(e) = ready.await {
                    return Ok(Err(e));
                }
                carrier.schedule_pickup(req).await.map(Ok)
            }
        })
        .await
    }

    /// Cancels a pickup; retried on any transient failure (cancelling twice cancels once).
    pub async fn cancel_pickup(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        pickup: &PickupRef,
    ) -> Result<(), CarrierError> {
        self.call(account, carrier, Capability::Pickup, || {
            carrier.cancel_pickup(pickup)
        })
        .await
    }

    /// Closes a ship date; retried only when the carrier certainly did not act on the request
    /// (a second SCAN form for the same parcels is refused or duplicates them).
    /// `before_send` as for `schedule_pickup`.
    pub async fn manifest<E, B, BFut>(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        req: &ManifestRequest,
        before_send: B,
    ) -> Result<Result<Manifest, E>, CarrierError>
    where
        B: Fn() -> BFut,
        BFut: std::future::Future<Output = Result<(), E>>,
    {
        self.call_with(account, carrier, Capability::Manifest, true, || {
            let ready = before_send();
            async move {
                if let Err(e) = ready.await {
                    return Ok(Err(e));
                }
                carrier.manifest(req).await.map(Ok)
            }
        })
        .await
    }

    /// Runs `op` against `carrier` for `account` under the policy for `cap`. Private: each
    /// operation has its verb above, so an operation cannot be run under another's retry rule
    /// (a purchase retried like a quote could buy twice).
    async fn call<T, F, Fut>(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        cap: Capability,
        op: F,
    ) -> Result<T, CarrierError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CarrierError>>,
    {
        self.call_with(account, carrier, cap, cap == Capability::Ship, op)
            .await
    }

    /// `call`, retried like a purchase (only when the carrier certainly did not act) when
    /// `acts` says the operation changes something at the carrier that asking twice repeats.
    async fn call_with<T, F, Fut>(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        cap: Capability,
        acts: bool,
        op: F,
    ) -> Result<T, CarrierError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CarrierError>>,
    {
        self.call_bounded(account, carrier, cap, acts, None, op)
            .await
            .map_err(CallError::into_carrier)
    }

    /// `call_with`, waiting for the account's quota only until `by` (when given): a call
    /// the quota would admit later, or whose retry would start later, is not waited for.
    async fn call_bounded<T, F, Fut>(
        &self,
        account: &AccountId,
        carrier: &dyn Carrier,
        cap: Capability,
        acts: bool,
        bound: Option<Bound>,
        op: F,
    ) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CarrierError>>,
    {
        let code = carrier.code();
        let limits = carrier.limits();
        let quota = carrier.quota();
        let guard = self.guard(account, quota);
        // This instance's share, as many instances as are live now.
        guard.reshare(quota, self.live.load(Ordering::Relaxed).max(1));
        let by = bound.map(|b| match b {
            Bound::SlotBy(by) => by,
            Bound::AnswerBy(deadline) => guard.slot_by(deadline),
        });
        let span = tracing::info_span!("carrier_call", carrier = %code, account = %account, operation = ?cap, otel.kind = "client");
        let started = std::time::Instant::now();
        let result = self
            .run(&guard, &code, limits, acts, by, op)
            .instrument(span.clone())
            .await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        let op_name = format!("{cap:?}").to_lowercase();
        metrics::counter!("shiphub_carrier_calls_total", "carrier" => code.to_string(), "operation" => op_name.clone(), "outcome" => outcome).increment(1);
        metrics::histogram!("shiphub_carrier_call_seconds", "carrier" => code.to_string(), "operation" => op_name)
            .record(started.elapsed().as_secs_f64());
        if let Err(e) = &result {
            span.in_scope(|| tracing::warn!(error = %e, kind = e.kind(), "carrier call failed"));
        }
        result
    }

    async fn run<T, F, Fut>(
        &self,
        guard: &AccountGuard,
        code: &CarrierCode,
        limits: CarrierLimits,
        purchase: bool,
        by: Option<Instant>,
        mut op: F,
    ) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CarrierError>>,
    {
        if let Some(until) = self.breaker_open(guard) {
            return Err(CallError::Carrier(CarrierError::Transient {
                carrier: code.clone(),
                message: format!(
                    "circuit open for {} ms after repeated failures",
                    until.duration_since(Instant::now()).as_millis()
                ),
                maybe_processed: false,
            }));
        }
        let pacer = guard.pacer.lock().expect("pacer lock").1.clone();
        let pacer = &pacer;
        let attempt = || {
            let fut = op();
            let code = code.clone();
            async move {
                if let Err(retry_after) = pacer.acquire(by).await {
                    return Err(CallError::Throttled(Throttled {
                        carrier: code,
                        retry_after,
                    }));
                }
                // Timed on drop as well: a rate cut off at its deadline counts (at least) the
                // time it had, or the average would never see the calls that come too late.
                let _timed = Timed {
                    guard,
                    sent: Instant::now(),
                };
                match tokio::time::timeout(limits.timeout, fut).await {
                    Ok(r) => r.map_err(CallError::Carrier),
                    Err(_) => Err(CallError::Carrier(CarrierError::Transient {
                        carrier: code,
                        message: format!("no answer within {} ms", limits.timeout.as_millis()),
                        maybe_processed: true,
                    })),
                }
            }
        };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.policy.min_backoff)
            .with_max_delay(self.policy.max_backoff)
            .with_max_times(self.policy.max_retries)
            .with_jitter();
        let max_wait = self.policy.max_retry_after;
        let result = attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|e: &CallError| match e {
                // The quota's answer does not change by asking again within the bound.
                CallError::Throttled(_) => false,
                CallError::Carrier(e) => if purchase { e.is_retryable_purchase() } else { e.is_retryable() },
            })
            .adjust(move |e, planned| {
                let wait = match e {
                    CallError::Carrier(CarrierError::RateLimited { retry_after: Some(wait), .. }) => (*wait <= max_wait).then_some(*wait),
                    _ => planned,
                }?;
                // A bounded caller gets the error now rather than a retry that ends past its bound.
                by.is_none_or(|by| Instant::now() + wait <= by).then_some(wait)
            })
            .notify(|e, wait| {
                metrics::counter!("shiphub_carrier_retries_total", "carrier" => code.to_string(), "reason" => e.kind()).increment(1);
                tracing::info!(error = %e, wait_ms = wait.as_millis() as u64, "retrying carrier call");
            })
            .await;
        self.record(guard, &result);
        result
    }

    fn breaker_open(&self, guard: &AccountGuard) -> Option<Instant> {
        let mut b = guard.breaker.lock().expect("breaker lock");
        match b.open_until {
            Some(until) if Instant::now() < until => Some(until),
            Some(_) => {
                // Half-open: let this call through as the trial; a failure re-opens at once.
                b.open_until = None;
                b.consecutive_failures = self.policy.breaker_threshold.saturating_sub(1);
                None
            }
            None => None,
        }
    }

    fn record<T>(&self, guard: &AccountGuard, result: &Result<T, CallError>) {
        if matches!(result, Err(CallError::Throttled(_))) {
            return; // the carrier was not asked: its health is unknown
        }
        let mut b = guard.breaker.lock().expect("breaker lock");
        // Only the carrier's own failures count; bad input or credentials say nothing about its health.
        let carrier_failed = matches!(
            result,
            Err(CallError::Carrier(
                CarrierError::Transient { .. } | CarrierError::Protocol { .. }
            ))
        );
        if carrier_failed {
            b.consecutive_failures += 1;
            if b.consecutive_failures >= self.policy.breaker_threshold {
                b.open_until = Some(Instant::now() + self.policy.breaker_cooldown);
                metrics::counter!("shiphub_circuit_opened_total").increment(1);
            }
        } else {
            b.consecutive_failures = 0;
        }
    }
}

// The integration tests' test-carrier parts, included rather than exported: the hub keeps no
// test-only public API.
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod test_carriers;

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use async_trait::async_trait;
    use shiphub_carriers::{Capabilities, CarrierLimits};

    use super::*;

    use super::test_carriers as common;

    static CAPS: Capabilities = common::capabilities(&[], 0, &[]);

    struct Fake(Duration);
    #[async_trait]
    impl Carrier for Fake {
        fn code(&self) -> CarrierCode {
            CarrierCode::from_static("fake")
        }
        fn capabilities(&self) -> &'static Capabilities {
            &CAPS
        }
        fn limits(&self) -> CarrierLimits {
            common::limits(1000, 1000, self.0)
        }
    }

    fn transient(maybe_processed: bool) -> CarrierError {
        CarrierError::Transient {
            carrier: CarrierCode::from_static("fake"),
            message: "down".into(),
            maybe_processed,
        }
    }

    fn layer() -> CallLayer {
        CallLayer::new(CallPolicy {
            min_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            ..Default::default()
        })
    }

    #[test]
    fn per_second_limits_are_paced_two_percent_inside_with_the_burst_the_second_has_room_for() {
        for (rps, burst, paced_burst) in [
            (5, 10, 1),
            (100, 10, 2),
            (140, 1400, 3),
            (1000, 1000, 20),
            (1000, 10, 5),
            (1, 1, 1),
        ] {
            let q = RequestQuota::from(CarrierLimits {
                requests_per_second: rps,
                burst,
                timeout: Duration::from_secs(1),
            });
            let quota = governor_quota(q);
            assert_eq!(
                quota.burst_size().get(),
                paced_burst,
                "{rps}/s burst {burst}"
            );
            let expected = Duration::from_secs(1).mul_f64(1.02) / rps;
            let got = quota.replenish_interval();
            assert!(
                got.abs_diff(expected) <= Duration::from_nanos(1),
                "{rps}/s: one every {got:?}, expected {expected:?}"
            );
        }
    }

    /// A carrier that meters its declared rate as a token bucket holding exactly one second's
    /// worth (burst = rate) on tokio's clock, and answers 429 beyond it.
    struct OneSecondBucket {
        rate: u32,
        /// (tokens, refilled at)
        bucket: Mutex<(f64, Instant)>,
        ok: AtomicU32,
        limited: AtomicU32,
        /// When the call layer released each call.
        released: Mutex<Vec<Instant>>,
    }

    #[async_trait]
    impl Carrier for OneSecondBucket {
        fn code(&self) -> CarrierCode {
            CarrierCode::from_static("bucket")
        }
        fn capabilities(&self) -> &'static Capabilities {
            &CAPS
        }
        fn limits(&self) -> CarrierLimits {
            common::limits(self.rate, self.rate, Duration::from_secs(5))
        }
    }

    impl OneSecondBucket {
        /// One call: on the wire for `transit` (the network reorders calls), then metered.
        async fn call(&self, transit: Duration) -> Result<(), CarrierError> {
            self.released.lock().unwrap().push(Instant::now());
            tokio::time::sleep(transit).await;
            let now = Instant::now();
            let allowed = {
                let mut b = self.bucket.lock().unwrap();
                let rate = f64::from(self.rate);
                b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * rate).min(rate);
                b.1 = now;
                let ok = b.0 >= 1.0;
                if ok {
                    b.0 -= 1.0;
                }
                ok
            };
            if allowed {
                self.ok.fetch_add(1, Ordering::SeqCst);
                Ok(())
            } else {
                self.limited.fetch_add(1, Ordering::SeqCst);
                Err(CarrierError::RateLimited {
                    carrier: CarrierCode::from_static("bucket"),
                    retry_after: Some(Duration::from_secs(1)),
                })
            }
        }
    }

    /// Issue 15: at 5/s the pacer sent about 101 % of the quota over 40 s. With 32 callers
    /// always waiting (the scheduler's backlog) for 40 s of tokio's paused clock, against a
    /// one-second bucket: no 429, at least 95 % of the quota used, and no one-second window
    /// (closed at both ends) holds more calls than the declared rate. Deterministic: the
    /// clock only moves when every task waits, and the transit delays are a fixed sequence.
    #[tokio::test(start_paused = true)]
    async fn no_second_exceeds_the_declared_rate_and_a_one_second_bucket_never_answers_429() {
        const SECONDS: u64 = 40;
        for rate in [5u32, 20, 100, 140] {
            let carrier = Arc::new(OneSecondBucket {
                rate,
                bucket: Mutex::new((f64::from(rate), Instant::now())),
                ok: AtomicU32::new(0),
                limited: AtomicU32::new(0),
                released: Mutex::new(Vec::new()),
            });
            let layer = Arc::new(CallLayer::new(CallPolicy {
                max_retries: 0,
                ..Default::default()
            }));
            let account = AccountId::generate();
            let start = Instant::now();
            let end = start + Duration::from_secs(SECONDS);
            let mut callers = tokio::task::JoinSet::new();
            for caller in 0..32u64 {
                let (carrier, layer, account) = (carrier.clone(), layer.clone(), account.clone());
                callers.spawn(async move {
                    let mut i = caller;
                    while Instant::now() < end {
                        // 0 to 30 ms on the wire, a fixed scramble per call.
                        i = (i * 7919 + 104_729) % 31;
                        let transit = Duration::from_millis(i);
                        let c = carrier.clone();
                        let _ = layer
                            .call(&account, carrier.as_ref(), Capability::Track, || {
                                let c = c.clone();
                                async move { c.call(transit).await }
                            })
                            .await;
                    }
                });
            }
            while callers.join_next().await.is_some() {}
            let limited = carrier.limited.load(Ordering::SeqCst);
            assert_eq!(
                limited, 0,
                "{rate}/s: the carrier answered 429 {limited} times"
            );
            let mut released = carrier.released.lock().unwrap().clone();
            released.retain(|t| *t < end);
            released.sort();
            let used = released.len() as f64 / (f64::from(rate) * SECONDS as f64);
            assert!(
                used >= 0.95,
                "{rate}/s: used {:.1} % of the quota",
                used * 100.0
            );
            for (i, from) in released.iter().enumerate() {
                let within = released[i..]
                    .iter()
                    .take_while(|t| t.duration_since(*from) <= Duration::from_secs(1))
                    .count();
                assert!(
                    within <= rate as usize,
                    "{rate}/s: {within} calls in the second from {:?}",
                    from.duration_since(start)
                );
            }
        }
    }

    #[test]
    fn a_60_per_hour_carrier_gets_one_call_a_minute_and_a_bit_after_its_burst() {
        let pacer = Pacer::new(governor_quota(RequestQuota::per_hour(60, 3)));
        let now = Instant::now();
        // Half the declared burst of 3, rounded up; then one call every 61.2 s (2 % inside).
        for i in 0..2 {
            assert_eq!(
                pacer.reserve(now, Some(Duration::ZERO)),
                Ok(Duration::ZERO),
                "call {i} of the burst"
            );
        }
        let wait = pacer
            .reserve(now, Some(Duration::ZERO))
            .expect_err("the burst is spent");
        assert!(
            wait.abs_diff(Duration::from_millis(61_200)) < Duration::from_micros(1),
            "next call in {wait:?}"
        );
        // Refused reservations take nothing: a caller that can wait gets that same slot, and
        // the one after it is an interval later.
        assert_eq!(pacer.reserve(now, None), Ok(wait));
        let after = pacer.reserve(now, None).unwrap();
        assert!(
            after.abs_diff(wait * 2) < Duration::from_micros(1),
            "{after:?}"
        );
    }

    /// A 1/s carrier (burst 1) that counts the calls that reached it.
    #[derive(Default)]
    struct OnePerSecond {
        rated: AtomicU32,
        bought: AtomicU32,
    }
    #[async_trait]
    impl Carrier for OnePerSecond {
        fn code(&self) -> CarrierCode {
            CarrierCode::from_static("slow")
        }
        fn capabilities(&self) -> &'static Capabilities {
            &CAPS
        }
        fn limits(&self) -> CarrierLimits {
            common::limits(1, 1, Duration::from_secs(5))
        }
        async fn rate(&self, _: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
            self.rated.fetch_add(1, Ordering::SeqCst);
            Ok(vec![])
        }
        async fn ship(&self, _: &ShipRequest) -> Result<Waybill, CarrierError> {
            self.bought.fetch_add(1, Ordering::SeqCst);
            Err(CarrierError::rejected(
                CarrierCode::from_static("slow"),
                "/to",
                None,
                "bad",
            ))
        }
    }

    fn ship_request() -> ShipRequest {
        let address = serde_json::json!({"name": "S", "street": ["1 A St"], "city": "Atlanta",
            "state": "GA", "postal_code": "30301", "country": "US"});
        serde_json::from_value(serde_json::json!({
            "from": address, "to": address, "service": "ground",
            "parcels": [{"weight": {"value": "1", "unit": "kg"}}]}))
        .unwrap()
    }

    /// Issue 19: a rate the quota admits only past its deadline answers `Throttled` at once,
    /// with when to come back, and the carrier is not asked; one that fits waits its turn.
    /// Paused clock: `now` moves only when a task sleeps, so "at once" is exact.
    #[tokio::test(start_paused = true)]
    async fn a_rate_the_quota_admits_only_past_its_deadline_is_throttled_without_waiting() {
        let (layer, carrier, account) = (layer(), OnePerSecond::default(), AccountId::generate());
        let req = ship_request().shipment;
        let start = Instant::now();
        let deadline = start + Duration::from_millis(500);
        layer
            .rate_within(&account, &carrier, &req, deadline)
            .await
            .unwrap();
        let r = layer.rate_within(&account, &carrier, &req, deadline).await;
        let Err(CallError::Throttled(t)) = r else {
            panic!("expected throttled, got {r:?}");
        };
        assert_eq!(
            Instant::now(),
            start,
            "no waiting for a slot past the deadline"
        );
        assert!(
            t.retry_after > Duration::from_millis(500)
                && t.retry_after <= Duration::from_millis(1020),
            "retry after {:?}",
            t.retry_after
        );
        assert_eq!(
            carrier.rated.load(Ordering::SeqCst),
            1,
            "the carrier was not asked"
        );
        // A deadline the next slot fits: waited for, exactly until the slot.
        layer
            .rate_within(&account, &carrier, &req, start + Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(Instant::now() - start, t.retry_after);
        assert_eq!(carrier.rated.load(Ordering::SeqCst), 2);
        // Background callers (`rate`, tracking) still wait as long as it takes.
        layer.rate(&account, &carrier, &req).await.unwrap();
        assert!(Instant::now() - start >= Duration::from_millis(2040));
    }

    /// A 1/s carrier whose quotes take 400 ms.
    struct SlowQuotes;
    #[async_trait]
    impl Carrier for SlowQuotes {
        fn code(&self) -> CarrierCode {
            CarrierCode::from_static("slow_quotes")
        }
        fn capabilities(&self) -> &'static Capabilities {
            &CAPS
        }
        fn limits(&self) -> CarrierLimits {
            common::limits(1, 1, Duration::from_secs(5))
        }
        async fn rate(&self, _: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
            tokio::time::sleep(Duration::from_millis(400)).await;
            Ok(vec![])
        }
    }

    /// A slot that comes before the deadline but leaves less room than the account's calls
    /// take is not taken: the answer would come too late (it used to come back empty).
    #[tokio::test(start_paused = true)]
    async fn a_rate_takes_only_a_slot_that_leaves_room_for_the_call() {
        let (layer, account, req) = (layer(), AccountId::generate(), ship_request().shipment);
        let start = Instant::now();
        let second = Duration::from_secs(1);
        layer
            .rate_within(&account, &SlowQuotes, &req, start + second)
            .await
            .unwrap();
        // At 0.4 s, deadline 1.4 s: the next slot (1.02 s) is before the deadline, but a
        // 400 ms call from there would end at 1.42 s.
        let at = Instant::now();
        assert_eq!(at - start, Duration::from_millis(400));
        let r = layer
            .rate_within(&account, &SlowQuotes, &req, at + second)
            .await;
        assert!(matches!(r, Err(CallError::Throttled(_))), "{r:?}");
        assert_eq!(Instant::now(), at, "answered at once");
        // With room for the call, the same slot is taken.
        layer
            .rate_within(&account, &SlowQuotes, &req, at + second * 2)
            .await
            .unwrap();
    }

    /// Ten concurrent rates on a 1/s account with a 3 s deadline: the slots that fit go to
    /// three of them (0 s, 1.02 s, 2.04 s), the other seven are throttled at once, each told
    /// a later slot than the ones taken (reservations, not a race for the next slot).
    #[tokio::test(start_paused = true)]
    async fn concurrent_rates_take_distinct_slots_and_the_rest_are_throttled_at_once() {
        let layer = Arc::new(layer());
        let carrier = Arc::new(OnePerSecond::default());
        let account = AccountId::generate();
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (layer, carrier, account) = (layer.clone(), carrier.clone(), account.clone());
            tasks.spawn(async move {
                let req = ship_request().shipment;
                let r = layer
                    .rate_within(
                        &account,
                        carrier.as_ref(),
                        &req,
                        start + Duration::from_secs(3),
                    )
                    .await;
                (r, Instant::now() - start)
            });
        }
        let (mut ok, mut throttled) = (vec![], vec![]);
        while let Some(j) = tasks.join_next().await {
            match j.unwrap() {
                (Ok(_), at) => ok.push(at),
                (Err(CallError::Throttled(t)), at) => {
                    assert_eq!(at, Duration::ZERO, "throttled without waiting");
                    assert!(
                        t.retry_after > Duration::from_secs(3),
                        "{:?}",
                        t.retry_after
                    );
                    throttled.push(t);
                }
                (Err(e), _) => panic!("{e}"),
            }
        }
        ok.sort();
        assert_eq!(ok.len(), 3, "{ok:?}");
        assert_eq!(throttled.len(), 7);
        assert_eq!(carrier.rated.load(Ordering::SeqCst), 3);
        assert!(ok[2] <= Duration::from_secs(3));
    }

    /// Three live instances share an account's 1/s quota: this one takes a slot every ~3 s
    /// (the same calls over three times the period), and its full share again once alone.
    #[tokio::test(start_paused = true)]
    async fn an_accounts_quota_is_divided_among_the_live_instances() {
        let live = Arc::new(AtomicU32::new(3));
        let layer = Arc::new(layer().shared_by(live.clone()));
        let carrier = Arc::new(OnePerSecond::default());
        let account = AccountId::generate();
        let wave = |secs: u64| {
            let (layer, carrier, account) = (layer.clone(), carrier.clone(), account.clone());
            async move {
                let start = Instant::now();
                let mut ok = vec![];
                for _ in 0..10 {
                    let req = ship_request().shipment;
                    let deadline = start + Duration::from_secs(secs);
                    if layer
                        .rate_within(&account, carrier.as_ref(), &req, deadline)
                        .await
                        .is_ok()
                    {
                        ok.push(Instant::now() - start);
                    }
                }
                ok
            }
        };
        let shared = wave(7).await;
        assert_eq!(shared.len(), 3, "{shared:?}");
        assert!(shared[1] >= Duration::from_secs(3), "{shared:?}");
        tokio::time::sleep(Duration::from_secs(10)).await;
        live.store(1, Ordering::SeqCst);
        let alone = wave(7).await;
        assert!(alone.len() >= 7, "{alone:?}");
    }

    /// A purchase the quota admits only past the purchase wait comes back `Throttled` at
    /// once, before `before_send` (nothing recorded as sent, nothing bought); one that fits
    /// waits at most the budget.
    #[tokio::test(start_paused = true)]
    async fn a_purchase_past_its_quota_wait_is_throttled_before_anything_is_sent() {
        let layer = CallLayer::new(CallPolicy {
            purchase_quota_wait: Duration::from_millis(1500),
            ..Default::default()
        });
        let (carrier, account, req) = (
            OnePerSecond::default(),
            AccountId::generate(),
            ship_request(),
        );
        let sent = AtomicU32::new(0);
        let before = || async {
            sent.fetch_add(1, Ordering::SeqCst);
            Ok::<(), ()>(())
        };
        let start = Instant::now();
        // The first two fit the 1.5 s budget (0 s, 1.02 s); the third would wait 2.04 s.
        let (a, b, c) = tokio::join!(
            layer.ship_within(&account, &carrier, &req, before),
            layer.ship_within(&account, &carrier, &req, before),
            layer.ship_within(&account, &carrier, &req, before),
        );
        assert!(matches!(
            a,
            Err(CallError::Carrier(CarrierError::Rejected { .. }))
        ));
        assert!(matches!(
            b,
            Err(CallError::Carrier(CarrierError::Rejected { .. }))
        ));
        let Err(CallError::Throttled(t)) = c else {
            panic!("expected throttled, got {c:?}");
        };
        assert!(t.retry_after.abs_diff(Duration::from_millis(2040)) < Duration::from_millis(1));
        assert_eq!(
            (
                sent.load(Ordering::SeqCst),
                carrier.bought.load(Ordering::SeqCst)
            ),
            (2, 2)
        );
        assert!(
            Instant::now() - start <= Duration::from_millis(1500),
            "held past the budget"
        );
    }

    #[tokio::test]
    async fn transient_errors_are_retried_then_succeed() {
        let calls = AtomicU32::new(0);
        let r = layer()
            .call(
                &AccountId::generate(),
                &Fake(Duration::from_secs(1)),
                Capability::Rate,
                || async {
                    if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                        Err(transient(false))
                    } else {
                        Ok(7)
                    }
                },
            )
            .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn rejections_are_never_retried() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = layer()
            .call(
                &AccountId::generate(),
                &Fake(Duration::from_secs(1)),
                Capability::Rate,
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(CarrierError::rejected(
                        CarrierCode::from_static("fake"),
                        "/to",
                        None,
                        "bad",
                    ))
                },
            )
            .await;
        assert!(matches!(r, Err(CarrierError::Rejected { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_purchase_that_may_have_reached_the_carrier_is_not_retried() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = layer()
            .call(
                &AccountId::generate(),
                &Fake(Duration::from_millis(20)),
                Capability::Ship,
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Ok(())
                },
            )
            .await;
        assert!(matches!(
            r,
            Err(CarrierError::Transient {
                maybe_processed: true,
                ..
            })
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // a rate-limited purchase is safe to retry
        let calls = AtomicU32::new(0);
        let r = layer()
            .call(
                &AccountId::generate(),
                &Fake(Duration::from_secs(1)),
                Capability::Ship,
                || async {
                    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        Err(CarrierError::RateLimited {
                            carrier: CarrierCode::from_static("fake"),
                            retry_after: Some(Duration::from_millis(30)),
                        })
                    } else {
                        Ok(1)
                    }
                },
            )
            .await;
        assert_eq!(r.unwrap(), 1);
    }

    /// A carrier whose every operation fails once as if it timed out after sending.
    #[derive(Default)]
    struct FailsOnce(AtomicU32);
    impl FailsOnce {
        fn once<T>(&self, ok: T) -> Result<T, CarrierError> {
            match self.0.fetch_add(1, Ordering::SeqCst) {
                0 => Err(transient(true)),
                _ => Ok(ok),
            }
        }
    }
    #[async_trait]
    impl Carrier for FailsOnce {
        fn code(&self) -> CarrierCode {
            CarrierCode::from_static("fake")
        }
        fn capabilities(&self) -> &'static Capabilities {
            &CAPS
        }
        fn limits(&self) -> CarrierLimits {
            Fake(Duration::from_secs(1)).limits()
        }
        async fn rate(&self, _: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
            self.once(vec![])
        }
        async fn ship(&self, _: &ShipRequest) -> Result<Waybill, CarrierError> {
            self.once(())?;
            unreachable!("a purchase is never retried here")
        }
        async fn void(&self, _: &WaybillRef) -> Result<(), CarrierError> {
            self.once(())
        }
        async fn track_parcels(
            &self,
            _: &[TrackQuery],
        ) -> Result<Vec<TrackingResult>, CarrierError> {
            self.once(vec![])
        }
    }

    #[tokio::test]
    async fn each_verb_carries_its_operations_retry_rule() {
        let address = serde_json::json!({"name": "S", "street": ["1 A St"], "city": "Atlanta",
            "state": "GA", "postal_code": "30301", "country": "US"});
        let ship: ShipRequest = serde_json::from_value(serde_json::json!({
            "from": address, "to": address, "service": "ground",
            "parcels": [{"weight": {"value": "1", "unit": "kg"}}]}))
        .unwrap();
        let waybill = WaybillRef {
            tracking_number: "1Z999AA10123456784".parse().unwrap(),
            carrier_shipment_id: "1Z999AA10123456784".into(),
            pieces: vec![],
        };
        let account = AccountId::generate();
        // Asking again buys nothing: quotes, voids and tracking are retried after a timeout.
        let c = FailsOnce::default();
        layer().rate(&account, &c, &ship.shipment).await.unwrap();
        assert_eq!(c.0.load(Ordering::SeqCst), 2);
        let c = FailsOnce::default();
        let outcome = layer().void(&account, &c, &waybill).await.unwrap();
        assert!(matches!(outcome, VoidOutcome::Voided));
        assert_eq!(c.0.load(Ordering::SeqCst), 2);
        let c = FailsOnce::default();
        layer().track(&account, &c, &[]).await.unwrap();
        assert_eq!(c.0.load(Ordering::SeqCst), 2);
        // A purchase that may have reached the carrier is not.
        let (c, asked) = (FailsOnce::default(), AtomicU32::new(0));
        let r = layer()
            .ship(&account, &c, &ship, || async {
                asked.fetch_add(1, Ordering::SeqCst);
                Ok::<(), ()>(())
            })
            .await;
        assert!(matches!(
            r,
            Err(CarrierError::Transient {
                maybe_processed: true,
                ..
            })
        ));
        assert_eq!(
            (c.0.load(Ordering::SeqCst), asked.load(Ordering::SeqCst)),
            (1, 1)
        );
        // What runs before sending can stop the purchase: the carrier is never asked.
        let c = FailsOnce::default();
        let r = layer()
            .ship(&account, &c, &ship, || async { Err("lease lost") })
            .await;
        assert!(matches!(r, Ok(Err("lease lost"))));
        assert_eq!(c.0.load(Ordering::SeqCst), 0);
    }

    static PUSH_CAPS: Capabilities =
        common::capabilities(&[Capability::Track, Capability::PushTracking], 1, &[]);

    /// Declares push tracking; its per-parcel subscription is the trait's `Unsupported` (UPS).
    struct PushesUnasked;
    #[async_trait]
    impl Carrier for PushesUnasked {
        fn code(&self) -> CarrierCode {
            CarrierCode::from_static("pushes_unasked")
        }
        fn capabilities(&self) -> &'static Capabilities {
            &PUSH_CAPS
        }
        fn limits(&self) -> CarrierLimits {
            Fake(Duration::from_secs(1)).limits()
        }
    }

    #[tokio::test]
    async fn a_carrier_without_per_parcel_subscriptions_is_asked_once_and_never_again() {
        let layer = layer();
        let account = AccountId::generate();
        let parcel = TrackQuery::from("1Z999AA10123456784".parse::<TrackingNumber>().unwrap());
        assert!(
            !layer.may_subscribe(&Fake(Duration::from_secs(1))),
            "no push declared"
        );
        assert!(layer.may_subscribe(&PushesUnasked));
        let r = layer.subscribe(&account, &PushesUnasked, &parcel).await;
        assert!(matches!(r, Err(CarrierError::Unsupported { .. })));
        assert!(!layer.may_subscribe(&PushesUnasked));
    }

    #[tokio::test]
    async fn retry_after_is_honoured_and_too_long_a_wait_is_returned() {
        let started = std::time::Instant::now();
        let calls = AtomicU32::new(0);
        let r = layer()
            .call(
                &AccountId::generate(),
                &Fake(Duration::from_secs(1)),
                Capability::Track,
                || async {
                    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        Err(CarrierError::RateLimited {
                            carrier: CarrierCode::from_static("fake"),
                            retry_after: Some(Duration::from_millis(300)),
                        })
                    } else {
                        Ok(())
                    }
                },
            )
            .await;
        assert!(r.is_ok());
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "waited {:?}",
            started.elapsed()
        );

        let calls = AtomicU32::new(0);
        let r: Result<(), _> = layer()
            .call(
                &AccountId::generate(),
                &Fake(Duration::from_secs(1)),
                Capability::Track,
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(CarrierError::RateLimited {
                        carrier: CarrierCode::from_static("fake"),
                        retry_after: Some(Duration::from_secs(3600)),
                    })
                },
            )
            .await;
        assert!(matches!(r, Err(CarrierError::RateLimited { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn breaker_opens_after_repeated_failures_and_fails_fast() {
        let layer = CallLayer::new(CallPolicy {
            max_retries: 0,
            breaker_threshold: 3,
            breaker_cooldown: Duration::from_millis(200),
            ..Default::default()
        });
        let account = AccountId::generate();
        let calls = AtomicU32::new(0);
        let fake = Fake(Duration::from_secs(1));
        for _ in 0..3 {
            let _: Result<(), _> = layer
                .call(&account, &fake, Capability::Rate, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(transient(false))
                })
                .await;
        }
        let r: Result<(), _> = layer
            .call(&account, &fake, Capability::Rate, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .await;
        assert!(
            matches!(&r, Err(CarrierError::Transient { message, .. }) if message.contains("circuit open"))
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "an open breaker does not call the carrier"
        );
        // other accounts are unaffected
        assert!(
            layer
                .call(&AccountId::generate(), &fake, Capability::Rate, || async {
                    Ok(())
                })
                .await
                .is_ok()
        );
        // after the cooldown one trial goes through and closes it
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(
            layer
                .call(&account, &fake, Capability::Rate, || async { Ok(()) })
                .await
                .is_ok()
        );
        assert!(
            layer
                .call(&account, &fake, Capability::Rate, || async { Ok(()) })
                .await
                .is_ok()
        );
    }
}
