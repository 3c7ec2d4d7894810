//! The dispatcher: a background loop in `shiphub serve` that fans outbox events out to
//! endpoint deliveries, claims due deliveries under a lease (see `store::webhooks`), sends
//! each one signed, and records every attempt.
//!
//! Each attempt runs in its own task (up to `concurrency` at once), so a slow receiver holds
//! only its own attempts, never the loop. Results go to one recorder task that writes them
//! in batches: on SQLite's single writer a transaction per attempt would cap throughput.
//! Delivery is at least once: a result lost in a crash leaves its lease to expire and the
//! delivery is sent again with the same `webhook-id`, which receivers dedupe on.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc};

use super::schedule::Outcome;
use super::sign::{WebhookSecret, signature_header};
use super::{WebhookSettings, secret_aad, target};
use crate::ids::WebhookId;
use crate::state::AppState;
use crate::store::{AfterAttempt, AttemptResult, ClaimedDelivery};

/// Most of a receiver's answer kept with an attempt.
const SNIPPET: usize = 1024;
/// Largest batch claimed or fanned out per query.
const BATCH: u32 = 500;

pub fn http_client(s: &WebhookSettings) -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("shiphub-webhooks/", env!("CARGO_PKG_VERSION")))
        .timeout(s.timeout)
        .connect_timeout(s.timeout.min(Duration::from_secs(10)))
        // A redirect could lead anywhere, including inside our network: it counts as a failure.
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve names itself, past the target checks.
        .no_proxy()
        .dns_resolver(target::resolver(s.target))
        .pool_max_idle_per_host(64)
        .build()
        .expect("HTTP client builds")
}

/// Runs until the server shuts down.
pub async fn run(app: AppState) {
    let settings = app.webhooks.settings.clone();
    let client = http_client(&settings);
    let (results, rx) = mpsc::channel::<AttemptResult>(4 * settings.concurrency.max(1));
    let recorder = tokio::spawn(record(app.clone(), rx));
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let lanes: Lanes = Default::default();
    // A quarter of the slots per endpoint; below 8 slots a share would serialize everything.
    let per_endpoint = match settings.concurrency.max(1) {
        c if c < 8 => c,
        c => c / 4,
    };
    let mut shutdown = app.shutdown.subscribe();
    while !*shutdown.borrow() {
        let mut busy = false;
        match app
            .store
            .fan_out_events(OffsetDateTime::now_utc(), BATCH)
            .await
        {
            Ok(n) => busy |= n > 0,
            Err(e) => tracing::warn!(error = %e, "webhook fan-out failed"),
        }
        let free = slots.available_permits() as u32;
        if free > 0 {
            // Endpoints with a backlog in hand (or all their slots busy) are left in the store.
            let skip = lanes.full(per_endpoint);
            match app
                .store
                .claim_deliveries_except(
                    OffsetDateTime::now_utc(),
                    settings.lease,
                    free.min(BATCH),
                    &skip,
                )
                .await
            {
                Ok(batch) => {
                    busy |= !batch.is_empty();
                    // Held back past this, an attempt might outlive its lease.
                    let usable_until =
                        Instant::now() + settings.lease.saturating_sub(settings.timeout);
                    for d in batch {
                        // A slow endpoint gets only its share of the slots; the rest of its
                        // claim waits in its lane, so other endpoints keep flowing.
                        if !lanes.admit(&d, usable_until, per_endpoint) {
                            continue;
                        }
                        let permit = slots.clone().acquire_owned().await.expect("never closed");
                        let (app, client, results, lanes) =
                            (app.clone(), client.clone(), results.clone(), lanes.clone());
                        tokio::spawn(async move {
                            let mut next = Some(d);
                            while let Some(d) = next {
                                let endpoint = d.endpoint_id.clone();
                                let _ = results.send(attempt(&app, &client, d).await).await;
                                next = lanes.next(&app, &endpoint).await;
                            }
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming webhook deliveries failed"),
            }
        } else {
            // Every slot busy: wait for one rather than spin.
            tokio::select! {
                p = slots.acquire() => drop(p),
                _ = shutdown.changed() => {}
            }
            continue;
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = app.webhooks.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
    }
    drop(results);
    let _ = recorder.await;
}

/// Per endpoint: attempts running on this instance, and claimed deliveries waiting for one
/// of them to finish. Each running attempt, when done, takes the next waiting delivery.
#[derive(Clone, Default)]
struct Lanes(Arc<Mutex<HashMap<WebhookId, Lane>>>);

#[derive(Default)]
struct Lane {
    running: usize,
    waiting: VecDeque<(ClaimedDelivery, Instant)>,
}

impl Lanes {
    /// True when `d` may start now; otherwise it waits in its endpoint's lane.
    fn admit(&self, d: &ClaimedDelivery, usable_until: Instant, cap: usize) -> bool {
        let mut m = self.0.lock().expect("lanes lock");
        let lane = m.entry(d.endpoint_id.clone()).or_default();
        if lane.running < cap {
            lane.running += 1;
            true
        } else {
            lane.waiting.push_back((d.clone(), usable_until));
            false
        }
    }

    /// Endpoints the next claim should pass over.
    fn full(&self, cap: usize) -> Vec<WebhookId> {
        let m = self.0.lock().expect("lanes lock");
        m.iter()
            .filter(|(_, l)| l.running >= cap || !l.waiting.is_empty())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The endpoint's next waiting delivery, or none (the caller's attempt slot is freed).
    /// Deliveries held too long to finish within their lease go back to the store, due now.
    async fn next(&self, app: &AppState, endpoint: &WebhookId) -> Option<ClaimedDelivery> {
        let mut stale = vec![];
        let next = {
            let mut m = self.0.lock().expect("lanes lock");
            let lane = m.get_mut(endpoint).expect("a running attempt has a lane");
            let now = Instant::now();
            let had_waiting = !lane.waiting.is_empty();
            let mut next = None;
            while let Some((d, until)) = lane.waiting.pop_front() {
                if until > now {
                    next = Some(d);
                    break;
                }
                stale.push(d);
            }
            if had_waiting && lane.waiting.is_empty() {
                // The lane is no longer skipped: let the loop claim more for it.
                app.webhooks.wake.notify_one();
            }
            if next.is_none() {
                lane.running -= 1;
                if lane.running == 0 {
                    m.remove(endpoint);
                }
            }
            next
        };
        if !stale.is_empty()
            && let Err(e) = app
                .store
                .defer_deliveries(&stale, OffsetDateTime::now_utc())
                .await
        {
            tracing::warn!(error = %e, "handing back webhook deliveries failed");
        }
        next
    }
}

/// Writes attempt results in batches of whatever has arrived.
async fn record(app: AppState, mut rx: mpsc::Receiver<AttemptResult>) {
    let disable_after = app.webhooks.settings.disable_after;
    let mut buf = Vec::with_capacity(512);
    while rx.recv_many(&mut buf, 512).await > 0 {
        for n in 1..=5 {
            match app.store.record_attempts(&buf, disable_after).await {
                Ok(disabled) => {
                    for id in disabled {
                        tracing::warn!(endpoint = %id, "webhook endpoint disabled");
                    }
                    break;
                }
                // Unrecorded results are not lost work: their leases expire and the
                // deliveries are sent again.
                Err(e) if n == 5 => {
                    tracing::error!(error = %e, "dropping {} webhook results", buf.len())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "recording webhook results failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * n)).await;
                }
            }
        }
        buf.clear();
    }
}

/// The body every endpoint receives: the `GET /v1/events` envelope.
pub fn envelope(d: &ClaimedDelivery) -> String {
    let ts = d
        .event_at
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a valid time formats");
    let s = |v: &str| serde_json::to_string(v).expect("strings serialize");
    // The payload is stored JSON; splicing it avoids parsing it again for every attempt.
    format!(
        r#"{{"id":{},"type":{},"timestamp":{},"data":{}}}"#,
        s(d.event_id.as_str()),
        s(&d.event_type),
        s(&ts),
        d.event_payload
    )
}

/// The secrets that sign now: the current one, and the previous one during its overlap.
fn secrets(
    app: &AppState,
    d: &ClaimedDelivery,
    now: OffsetDateTime,
) -> Result<Vec<WebhookSecret>, String> {
    let aad = secret_aad(&d.tenant, &d.endpoint_id);
    let open = |(nonce, ct): &(Vec<u8>, Vec<u8>)| -> Result<WebhookSecret, String> {
        let plain = app
            .master_key
            .decrypt(&aad, nonce, ct)
            .map_err(|e| e.to_string())?;
        WebhookSecret::parse(&String::from_utf8_lossy(&plain)).map_err(|e| e.to_string())
    };
    let mut out = vec![open(&d.secret)?];
    if let (Some(old), Some(until)) = (&d.old_secret, d.old_secret_expires_at)
        && until > now
    {
        out.push(open(old)?);
    }
    Ok(out)
}

fn retry_after(res: &reqwest::Response) -> Option<Duration> {
    let v = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    parse_retry_after(v, std::time::SystemTime::now())
}

/// RFC 9110 §10.2.3: delay-seconds, or an HTTP-date (a date already past means now).
fn parse_retry_after(v: &str, now: std::time::SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

async fn snippet(mut res: reqwest::Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < SNIPPET {
        match res.chunk().await {
            Ok(Some(c)) => buf.extend_from_slice(&c),
            _ => break,
        }
    }
    buf.truncate(SNIPPET);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Sends one delivery (or skips it: its endpoint was disabled after the claim).
async fn attempt(app: &AppState, client: &reqwest::Client, d: ClaimedDelivery) -> AttemptResult {
    let at = OffsetDateTime::now_utc();
    if !d.enabled {
        return AttemptResult {
            delivery: d,
            outcome: "skipped",
            status_code: None,
            latency_ms: 0,
            response: None,
            error: Some("endpoint disabled".into()),
            at,
            after: AfterAttempt::GiveUp,
        };
    }
    let started = Instant::now();
    let settings = &app.webhooks.settings;
    let body = envelope(&d);
    let ts = at.unix_timestamp();
    let sent = match (
        secrets(app, &d, at),
        target::check_syntax(&d.url, settings.target),
    ) {
        (Err(e), _) => Err(("error", format!("signing secret unusable: {e}"))),
        (_, Err(e)) => Err(("error", format!("target refused: {e}"))),
        (Ok(keys), Ok(url)) => {
            let refs: Vec<&WebhookSecret> = keys.iter().collect();
            let signature = signature_header(&refs, d.event_id.as_str(), ts, body.as_bytes());
            client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("webhook-id", d.event_id.as_str())
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await
                .map_err(|e| {
                    if e.is_timeout() {
                        (
                            "timeout",
                            format!("no answer within {:?}", settings.timeout),
                        )
                    } else {
                        ("error", error_chain(&e))
                    }
                })
        }
    };
    let (outcome, status, response, error, kind, wait) = match sent {
        Ok(res) => {
            let status = res.status().as_u16();
            let wait = retry_after(&res);
            let text = snippet(res).await;
            let (outcome, kind) = match status {
                200..=299 => ("succeeded", None),
                410 => ("gone", None),
                429 => ("throttled", Some(Outcome::Throttled)),
                _ => ("failed", Some(Outcome::Failed)),
            };
            let error = (outcome != "succeeded").then(|| format!("HTTP {status}"));
            (outcome, Some(status), Some(text), error, kind, wait)
        }
        Err((outcome, e)) => {
            let kind = if outcome == "timeout" {
                Outcome::Throttled
            } else {
                Outcome::Failed
            };
            (outcome, None, None, Some(e), Some(kind), None)
        }
    };
    let latency = started.elapsed();
    metrics::counter!("shiphub_webhook_attempts_total", "outcome" => outcome).increment(1);
    metrics::histogram!("shiphub_webhook_attempt_seconds").record(latency.as_secs_f64());
    let after = match (outcome, kind) {
        ("succeeded", _) => AfterAttempt::Succeeded,
        ("gone", _) => AfterAttempt::Gone,
        _ if d.one_shot => AfterAttempt::GiveUp,
        (_, kind) => match settings.schedule.next_delay(
            d.attempts as usize + 1,
            kind.unwrap_or(Outcome::Failed),
            wait,
            &mut rand::rng(),
        ) {
            Some(delay) => AfterAttempt::RetryAt(OffsetDateTime::now_utc() + delay),
            None => AfterAttempt::GiveUp,
        },
    };
    AttemptResult {
        delivery: d,
        outcome,
        status_code: status,
        latency_ms: latency.as_millis() as u64,
        response,
        error,
        at,
        after,
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::parse_retry_after;

    // Sun, 06 Nov 1994 08:49:37 GMT, the example of RFC 9110.
    const AT: u64 = 784_111_777;

    #[test]
    fn retry_after_in_seconds_is_a_delay() {
        let now = UNIX_EPOCH + Duration::from_secs(AT);
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn retry_after_as_an_http_date_is_the_time_until_then() {
        let now = UNIX_EPOCH + Duration::from_secs(AT - 90);
        for v in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            // The obsolete forms recipients must still accept.
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(v, now),
                Some(Duration::from_secs(90)),
                "{v}"
            );
        }
    }

    #[test]
    fn retry_after_a_past_date_means_now_and_garbage_means_absent() {
        let later = UNIX_EPOCH + Duration::from_secs(AT + 60);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", SystemTime::now()), None);
        assert_eq!(parse_retry_after("-5", SystemTime::now()), None);
    }
}
