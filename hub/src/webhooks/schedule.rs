//! When to retry a webhook delivery (and, later, a tracking poll): a schedule of delays with
//! ±20 % jitter, as Svix does. A receiver's Retry-After is honoured but clamped to
//! [planned, 2 × planned], so a receiver can slow us down, never stall or speed us up; a 429 or a
//! timeout waits twice the planned delay.

use std::time::Duration;

use rand::Rng;

/// How an attempt ended, as far as the next delay cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 5xx, connection refused, other 4xx.
    Failed,
    /// 429, or no answer in time: back off harder.
    Throttled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    /// Delay before attempt n+1 after attempt n failed; its length is the number of retries.
    pub delays: Vec<Duration>,
}

impl Default for RetrySchedule {
    /// Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    fn default() -> Self {
        let s = Duration::from_secs;
        RetrySchedule {
            delays: vec![
                s(0),
                s(5),
                s(300),
                s(1800),
                s(7200),
                s(18_000),
                s(36_000),
                s(36_000),
            ],
        }
    }
}

impl RetrySchedule {
    /// The delay before the next attempt after `failed_attempts` attempts have failed, or
    /// `None` when the schedule is exhausted.
    pub fn next_delay(
        &self,
        failed_attempts: usize,
        outcome: Outcome,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        let planned = *self.delays.get(failed_attempts.checked_sub(1)?)?;
        let base = match outcome {
            Outcome::Failed => planned,
            Outcome::Throttled => planned * 2,
        };
        let base = match retry_after {
            Some(asked) => asked.clamp(base, base.max(planned * 2)),
            None => base,
        };
        if base.is_zero() {
            return Some(base);
        }
        let jitter = rng.random_range(0.8..=1.2);
        Some(base.mul_f64(jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> rand::rngs::StdRng {
        rand::SeedableRng::seed_from_u64(7)
    }

    #[test]
    fn follows_the_schedule_with_bounded_jitter_and_stops_at_its_end() {
        let s = RetrySchedule::default();
        let mut r = rng();
        assert_eq!(
            s.next_delay(1, Outcome::Failed, None, &mut r),
            Some(Duration::ZERO)
        );
        for _ in 0..100 {
            let d = s.next_delay(3, Outcome::Failed, None, &mut r).unwrap();
            assert!(
                d >= Duration::from_secs(240) && d <= Duration::from_secs(360),
                "{d:?}"
            );
        }
        assert!(s.next_delay(8, Outcome::Failed, None, &mut r).is_some());
        assert_eq!(s.next_delay(9, Outcome::Failed, None, &mut r), None);
        assert_eq!(s.next_delay(0, Outcome::Failed, None, &mut r), None);
    }

    #[test]
    fn throttling_doubles_and_retry_after_is_clamped() {
        let s = RetrySchedule::default();
        let mut r = rng();
        let d = s.next_delay(2, Outcome::Throttled, None, &mut r).unwrap();
        assert!(
            d >= Duration::from_secs(8) && d <= Duration::from_secs(12),
            "{d:?}"
        );
        // asks for an hour after a 5 s step: at most 2 × 5 s (+20 %)
        let d = s
            .next_delay(2, Outcome::Failed, Some(Duration::from_secs(3600)), &mut r)
            .unwrap();
        assert!(d <= Duration::from_secs(12), "{d:?}");
        // asks for 1 s after a 5 min step: never sooner than planned (-20 %)
        let d = s
            .next_delay(3, Outcome::Failed, Some(Duration::from_secs(1)), &mut r)
            .unwrap();
        assert!(d >= Duration::from_secs(240), "{d:?}");
    }
}
