//! The one road every carrier call takes: circuit breaker, per-account governor quota,
//! per-attempt timeout, retries with backoff for transient and rate-limited errors (honouring
//! Retry-After), a tracing span and metrics. Adapters stay pure translators.
//!
//! Purchases (`ship`) are retried only when the carrier certainly did not act on the request
//! (rate limited, or a failure before the request was sent): retrying after a timeout could
//! buy a second label.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use shiphub_carriers::{
    Capability, Carrier, CarrierCode, CarrierError, CarrierLimits, RequestQuota,
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
        }
    }
}

/// The governor quota for a carrier's declared quota, paced inside it: 2 % slower than
/// declared (one request every `per / requests × 1.02`) with half the burst (rounded up). A
/// carrier that meters as a token bucket of the declared size sees calls late by scheduling
/// jitter; with equal parameters a call released on time behind a late one trips its 429. The
/// margin absorbs up to `burst / 2` calls' worth of delay (50 ms at 100/s, burst 10), so no
/// window the carrier measures exceeds its quota, while 98 % of it stays usable (issue 15).
fn governor_quota(q: RequestQuota) -> Quota {
    let interval = q.replenish_interval().mul_f64(1.02);
    // No declared burst means the request count, as before.
    let declared = if q.burst == 0 { q.requests } else { q.burst };
    let burst = NonZeroU32::new(declared.div_ceil(2)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(interval)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

#[derive(Debug, Default)]
struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

struct AccountGuard {
    limiter: DefaultDirectRateLimiter,
    breaker: Mutex<BreakerState>,
}

pub struct CallLayer {
    policy: CallPolicy,
    accounts: Mutex<HashMap<AccountId, Arc<AccountGuard>>>,
}

impl CallLayer {
    pub fn new(policy: CallPolicy) -> Self {
        Self {
            policy,
            accounts: Mutex::new(HashMap::new()),
        }
    }

    fn guard(&self, account: &AccountId, quota: RequestQuota) -> Arc<AccountGuard> {
        let mut map = self.accounts.lock().expect("call layer lock");
        map.entry(account.clone())
            .or_insert_with(|| {
                Arc::new(AccountGuard {
                    limiter: RateLimiter::direct(governor_quota(quota)),
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

    /// Runs `op` against `carrier` for `account` under the policy.
    pub async fn call<T, F, Fut>(
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
        let code = carrier.code();
        let limits = carrier.limits();
        let guard = self.guard(account, carrier.quota());
        let span = tracing::info_span!("carrier_call", carrier = %code, account = %account, operation = ?cap);
        let started = std::time::Instant::now();
        let result = self
            .run(&guard, &code, limits, cap, op)
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
        cap: Capability,
        mut op: F,
    ) -> Result<T, CarrierError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CarrierError>>,
    {
        if let Some(until) = self.breaker_open(guard) {
            return Err(CarrierError::Transient {
                carrier: code.clone(),
                message: format!(
                    "circuit open for {} ms after repeated failures",
                    until.duration_since(Instant::now()).as_millis()
                ),
                maybe_processed: false,
            });
        }
        let purchase = cap == Capability::Ship;
        let attempt = || {
            let fut = op();
            let code = code.clone();
            async move {
                guard.limiter.until_ready().await;
                match tokio::time::timeout(limits.timeout, fut).await {
                    Ok(r) => r,
                    Err(_) => Err(CarrierError::Transient {
                        carrier: code,
                        message: format!("no answer within {} ms", limits.timeout.as_millis()),
                        maybe_processed: true,
                    }),
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
            .when(|e: &CarrierError| if purchase { e.is_retryable_purchase() } else { e.is_retryable() })
            .adjust(move |e, planned| match e {
                CarrierError::RateLimited { retry_after: Some(wait), .. } => (*wait <= max_wait).then_some(*wait),
                _ => planned,
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

    fn record<T>(&self, guard: &AccountGuard, result: &Result<T, CarrierError>) {
        let mut b = guard.breaker.lock().expect("breaker lock");
        // Only the carrier's own failures count; bad input or credentials say nothing about its health.
        let carrier_failed = matches!(
            result,
            Err(CarrierError::Transient { .. } | CarrierError::Protocol { .. })
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use async_trait::async_trait;
    use shiphub_carriers::{Capabilities, CarrierLimits};

    use super::*;

    static CAPS: Capabilities = Capabilities {
        supports: &[],
        track_batch_max: 0,
        label_formats: &[],
        services: &[],
        parcel_weight: shiphub_carriers::WeightRange::new(
            rust_decimal::Decimal::ZERO,
            rust_decimal::Decimal::ONE_THOUSAND,
            shiphub_carriers::model::WeightUnit::Kg,
        ),
    };

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
            CarrierLimits {
                requests_per_second: 1000,
                burst: 1000,
                timeout: self.0,
            }
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
    fn per_second_limits_are_paced_two_percent_inside_with_half_the_burst() {
        for (rps, burst, paced_burst) in
            [(5, 10, 5), (140, 1400, 700), (1000, 1000, 500), (1, 1, 1)]
        {
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

    #[test]
    fn a_60_per_hour_carrier_gets_one_call_a_minute_and_a_bit_after_its_burst() {
        use governor::clock::{Clock, DefaultClock};
        let clock = DefaultClock::default();
        let limiter = RateLimiter::direct_with_clock(
            governor_quota(RequestQuota::per_hour(60, 3)),
            clock.clone(),
        );
        // Half the declared burst of 3, rounded up; then one call every 61.2 s (2 % inside).
        for i in 0..2 {
            assert!(limiter.check().is_ok(), "call {i} of the burst");
        }
        let wait = limiter
            .check()
            .expect_err("the burst is spent")
            .wait_time_from(clock.now());
        assert!(
            wait > Duration::from_secs(61) && wait <= Duration::from_millis(61_200),
            "next call in {wait:?}"
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
