//! Who may do what (issue 20): users with Argon2id passwords, invitations and password resets
//! by one-time tokens, browser sessions with their CSRF token, and named, scoped API keys.
//! Knows nothing of HTTP: `api::guard` maps each route to a permission (`crate::roles`) and
//! asks here who is calling. This file holds what the shared state keeps (settings, the login
//! throttle, the last-used bookkeeping) and does not import the state back.

pub mod keys;
pub mod secrets;
pub mod users;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ids::{ApiKeyId, TenantId, UserId};
use crate::roles::Role;

/// How long sessions and one-time tokens live, and whether the session cookie may go over
/// plain HTTP.
#[derive(Clone, Debug)]
pub struct Settings {
    /// A session ends this long after login, however busy.
    pub session_ttl: Duration,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    pub invitation_ttl: Duration,
    pub reset_ttl: Duration,
    /// Leave `Secure` off the session cookie: only for a hub served over plain HTTP on
    /// loopback (`serve --insecure-cookie`, refused on any other listen address).
    pub insecure_cookie: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_ttl: Duration::from_secs(12 * 3600),
            idle_timeout: Duration::from_secs(30 * 60),
            invitation_ttl: Duration::from_secs(7 * 24 * 3600),
            reset_ttl: Duration::from_secs(3600),
            insecure_cookie: false,
        }
    }
}

/// What a running hub keeps for authentication besides the store.
pub struct Auth {
    pub settings: Settings,
    pub throttle: LoginThrottle,
    /// When each key's `last_used_at` was last written by this process.
    key_touches: Mutex<HashMap<ApiKeyId, Instant>>,
    /// Password hashing is CPU-bound (~20 ms and 19 MiB each): at most two at once, so a
    /// flood of logins cannot take every core from purchases.
    pub hashing: tokio::sync::Semaphore,
    /// Invitation and reset links by mail, where SMTP is configured.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
}

impl Default for Auth {
    fn default() -> Self {
        Auth::new(Settings::default())
    }
}

impl Auth {
    pub fn new(settings: Settings) -> Self {
        Auth {
            settings,
            throttle: LoginThrottle::default(),
            key_touches: Mutex::default(),
            hashing: tokio::sync::Semaphore::new(2),
            mailer: None,
        }
    }

    /// Whether this request should write the key's `last_used_at`: once a minute per key
    /// at most (purchases run at thousands a second; a write each would be the bottleneck).
    pub fn key_touch_due(&self, key: &ApiKeyId) -> bool {
        const EVERY: Duration = Duration::from_secs(60);
        let mut map = self.key_touches.lock().expect("key touches lock");
        match map.get(key) {
            Some(at) if at.elapsed() < EVERY => false,
            _ => {
                if map.len() > 10_000 {
                    map.retain(|_, at| at.elapsed() < EVERY);
                }
                map.insert(key.clone(), Instant::now());
                true
            }
        }
    }
}

/// Who is calling, as the guard found out.
#[derive(Clone, Debug)]
pub struct Principal {
    pub tenant: TenantId,
    pub role: Role,
    pub via: Via,
}

#[derive(Clone, Debug)]
pub enum Via {
    /// `Authorization: Bearer <key>`.
    Key(ApiKeyId),
    /// The session cookie.
    Session {
        user: UserId,
        email: String,
        /// The session's id hash (to end it).
        session_hash: String,
        /// The token state-changing requests must echo in `X-CSRF-Token`.
        csrf: String,
        expires_at: time::OffsetDateTime,
    },
}

/// Slows password guessing per (tenant, e-mail): five failures are free, then each further
/// attempt waits twice as long as the one before (2 s, 4 s … up to 15 min), forgotten 15 min
/// after the last failure. Keyed by what was typed, so an unknown e-mail is throttled exactly
/// like a known one (the answer never tells them apart). Per process: with several instances
/// behind a balancer an attacker gets each instance's allowance, still Argon2id-bound.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

const FREE_FAILURES: u32 = 5;
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

impl LoginThrottle {
    /// `Err(seconds to wait)` while `who` must wait before another attempt.
    pub fn check(&self, who: &str) -> Result<(), u64> {
        let map = self.failures.lock().expect("throttle lock");
        let Some((n, last)) = map.get(who) else {
            return Ok(());
        };
        if *n < FREE_FAILURES || last.elapsed() >= FORGET_AFTER {
            return Ok(());
        }
        let wait = Duration::from_secs(1u64 << (n - FREE_FAILURES + 1).min(10)).min(FORGET_AFTER);
        match wait.checked_sub(last.elapsed()) {
            Some(left) if !left.is_zero() => Err(left.as_secs().max(1)),
            _ => Ok(()),
        }
    }

    pub fn failed(&self, who: &str) {
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() > 100_000 {
            map.retain(|_, (_, last)| last.elapsed() < FORGET_AFTER);
        }
        let entry = map.entry(who.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= FORGET_AFTER {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = Instant::now();
    }

    pub fn succeeded(&self, who: &str) {
        self.failures.lock().expect("throttle lock").remove(who);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_are_free_then_attempts_wait() {
        let t = LoginThrottle::default();
        for _ in 0..FREE_FAILURES {
            assert_eq!(t.check("a\nx@y"), Ok(()));
            t.failed("a\nx@y");
        }
        let wait = t.check("a\nx@y").unwrap_err();
        assert!((1..=2).contains(&wait), "{wait}");
        assert_eq!(t.check("a\nother@y"), Ok(()), "per e-mail");
        t.succeeded("a\nx@y");
        assert_eq!(t.check("a\nx@y"), Ok(()));
    }

    #[test]
    fn last_used_is_written_once_a_minute_per_key() {
        let auth = Auth::default();
        let (a, b) = (ApiKeyId::generate(), ApiKeyId::generate());
        assert!(auth.key_touch_due(&a));
        assert!(!auth.key_touch_due(&a));
        assert!(auth.key_touch_due(&b));
    }
}
