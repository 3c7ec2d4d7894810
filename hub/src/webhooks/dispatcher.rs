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
use tokio::sync::mpsc;

use super::schedule::Outcome;
use super::sign::{WebhookSecret, signature_header};
use super::{WebhookSettings, secret_aad};
use crate::ids::WebhookId;
use crate::outbound as target;
use crate::state::AppState;
use crate::store::{AfterAttempt, AttemptOutcome, AttemptResult, ClaimedDelivery};

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

/// How long the dispatcher waits, after this instance commits events, for more to come.
const EVENT_GATHER: Duration = Duration::from_millis(20);

/// Runs until the server shuts down.
pub async fn run(app: AppState) {
    let settings = app.webhooks.settings.clone();
    let client = http_client(&settings);
    let (results, rx) = mpsc::channel::<AttemptResult>(4 * settings.concurrency.max(1));
    let recorder = tokio::spawn(record(app.clone(), rx));
    let lanes = Lanes::new(settings.concurrency);
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
        // Endpoints with a backlog in hand are left in the store; so is everything once this
        // instance holds enough (the lanes wake the loop as they drain).
        let (skip, limit) = lanes.claim_room();
        // A fenced instance may be declared dead any moment: it claims nothing new.
        if limit > 0 && !app.instances.fenced() {
            match app
                .store
                .claim_deliveries_except(
                    OffsetDateTime::now_utc(),
                    settings.lease,
                    limit as u32,
                    &skip,
                )
                .await
            {
                Ok(batch) => {
                    // A full claim suggests more is due: claim again at once.
                    busy |= batch.len() == limit;
                    // Held back past this, an attempt might outlive its lease.
                    let usable_until =
                        Instant::now() + settings.lease.saturating_sub(settings.timeout);
                    let (start, stale) = lanes.offer(batch, usable_until, Instant::now());
                    hand_back(&app, &stale).await;
                    for d in start {
                        let (app, client, results, lanes) =
                            (app.clone(), client.clone(), results.clone(), lanes.clone());
                        tokio::spawn(async move {
                            let mut next = Some(d);
                            while let Some(d) = next {
                                let endpoint = d.endpoint_id.clone();
                                let _ = results.send(attempt(&app, &client, d).await).await;
                                let step = lanes.finish(&endpoint, Instant::now());
                                if step.wake {
                                    app.webhooks.wake.notify_one();
                                }
                                hand_back(&app, &step.stale).await;
                                next = step.next;
                            }
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming webhook deliveries failed"),
            }
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = app.webhooks.wake.notified() => {}
                // Events committed here: gather the burst they may be part of, so that a
                // stream of purchases is fanned out in a few writer transactions, not one each.
                _ = app.store.events_committed() => tokio::time::sleep(EVENT_GATHER).await,
                _ = shutdown.changed() => {}
            }
        }
    }
    drop(results);
    let _ = recorder.await;
}

/// Deliveries held too long to finish within their lease go back to the store, due now.
async fn hand_back(app: &AppState, stale: &[ClaimedDelivery]) {
    if stale.is_empty() {
        return;
    }
    if let Err(e) = app
        .store
        .defer_deliveries(stale, OffsetDateTime::now_utc())
        .await
    {
        tracing::warn!(error = %e, "handing back webhook deliveries failed");
    }
}

/// The claimed deliveries this instance holds, one lane per endpoint, and the attempt slots.
///
/// A slot is a task sending one attempt after another. An endpoint has at most `cap` of them,
/// so a slow endpoint holds only its share and the others keep flowing; what is claimed beyond
/// that waits in its lane. When a slot's attempt ends it goes to the next lane in line that has
/// deliveries waiting and room to run (its own lane queues behind the others), so under
/// contention slots rotate round-robin between endpoints. Claims pass over endpoints whose lane
/// already holds `low_water` deliveries, and stop while `max_in_hand` are held; the loop is
/// woken as lanes drain below that, before their slots run dry.
#[derive(Clone)]
struct Lanes(Arc<LanesShared>);

struct LanesShared {
    state: Mutex<LaneState>,
    /// Slots per endpoint.
    cap: usize,
    /// A lane holding this many waiting deliveries is passed over by claims.
    low_water: usize,
    /// Most deliveries held (running and waiting) across all lanes.
    max_in_hand: usize,
    /// Most deliveries per claim.
    max_claim: usize,
}

struct LaneState {
    lanes: HashMap<WebhookId, Lane>,
    /// Lanes that may have deliveries waiting and room for another slot, in arrival order.
    ready: VecDeque<WebhookId>,
    /// Slots not running.
    idle: usize,
    /// Deliveries held: running or waiting.
    in_hand: usize,
    /// The last claim was held back for room: wake the loop once a full claim fits.
    starved: bool,
}

#[derive(Default)]
struct Lane {
    running: usize,
    waiting: VecDeque<(ClaimedDelivery, Instant)>,
    /// Listed in `ready`.
    queued: bool,
}

impl Lane {
    fn can_start(&self, cap: usize) -> bool {
        self.running < cap && !self.waiting.is_empty()
    }
}

/// What a slot does after an attempt.
struct Step {
    /// The next delivery to send (possibly another endpoint's), or none: the slot is idle.
    next: Option<ClaimedDelivery>,
    /// Waiting deliveries too old to send within their lease: hand them back.
    stale: Vec<ClaimedDelivery>,
    /// The dispatcher loop should claim again.
    wake: bool,
}

impl Lanes {
    fn new(concurrency: usize) -> Self {
        let slots = concurrency.max(1);
        // A quarter of the slots per endpoint; below 8 slots a share would serialize everything.
        let cap = if slots < 8 { slots } else { slots / 4 };
        Lanes(Arc::new(LanesShared {
            state: Mutex::new(LaneState {
                lanes: HashMap::new(),
                ready: VecDeque::new(),
                idle: slots,
                in_hand: 0,
                starved: false,
            }),
            cap,
            low_water: 2 * cap,
            max_in_hand: 3 * slots,
            max_claim: slots.min(BATCH as usize),
        }))
    }

    /// The endpoints the next claim passes over, and how many deliveries it may take.
    fn claim_room(&self) -> (Vec<WebhookId>, usize) {
        let mut s = self.0.state.lock().expect("lanes lock");
        let skip = s
            .lanes
            .iter()
            .filter(|(_, l)| l.waiting.len() >= self.0.low_water)
            .map(|(id, _)| id.clone())
            .collect();
        let room = self.0.max_in_hand.saturating_sub(s.in_hand);
        s.starved = room < self.0.max_claim;
        (skip, room.min(self.0.max_claim))
    }

    /// Takes in claimed deliveries; returns those to start now, one new slot each (and any too
    /// late to send within their lease, to hand back).
    fn offer(
        &self,
        batch: Vec<ClaimedDelivery>,
        usable_until: Instant,
        now: Instant,
    ) -> (Vec<ClaimedDelivery>, Vec<ClaimedDelivery>) {
        let cap = self.0.cap;
        let mut s = self.0.state.lock().expect("lanes lock");
        let s = &mut *s;
        s.in_hand += batch.len();
        for d in batch {
            let id = d.endpoint_id.clone();
            let lane = s.lanes.entry(id.clone()).or_default();
            lane.waiting.push_back((d, usable_until));
            if !lane.queued && lane.can_start(cap) {
                lane.queued = true;
                s.ready.push_back(id);
            }
        }
        let mut start = vec![];
        let mut stale = vec![];
        while s.idle > 0 {
            let Some(d) = s.take_ready(cap, now, &mut stale) else {
                break;
            };
            s.idle -= 1;
            start.push(d);
        }
        (start, stale)
    }

    /// A slot's attempt for `endpoint` ended: its next delivery, if any.
    fn finish(&self, endpoint: &WebhookId, now: Instant) -> Step {
        let sh = &*self.0;
        let mut s = sh.state.lock().expect("lanes lock");
        let s = &mut *s;
        s.in_hand -= 1;
        let mut stale = vec![];
        let lane = s
            .lanes
            .get_mut(endpoint)
            .expect("a running attempt has a lane");
        lane.running -= 1;
        let waiting = lane.waiting.len();
        if !lane.queued && lane.can_start(sh.cap) {
            lane.queued = true;
            s.ready.push_back(endpoint.clone());
        }
        if lane.running == 0 && lane.waiting.is_empty() && !lane.queued {
            s.lanes.remove(endpoint);
        }
        // The own lane queues behind the others: under contention slots rotate.
        let next = s.take_ready(sh.cap, now, &mut stale);
        if next.is_none() {
            s.idle += 1;
        }
        let left = s.lanes.get(endpoint).map_or(0, |l| l.waiting.len());
        // Wake the loop when this lane is no longer passed over (so it is refilled while its
        // slots still have work), or when a claim held back for room can now be a full one.
        let refill = waiting >= sh.low_water && left < sh.low_water;
        let room = s.starved && s.in_hand + sh.max_claim <= sh.max_in_hand;
        if room {
            s.starved = false;
        }
        Step {
            next,
            stale,
            wake: refill || room,
        }
    }
}

impl LaneState {
    /// The next delivery of the first ready lane, counted as running there. Deliveries that
    /// waited past their lease's margin are moved to `stale` instead.
    fn take_ready(
        &mut self,
        cap: usize,
        now: Instant,
        stale: &mut Vec<ClaimedDelivery>,
    ) -> Option<ClaimedDelivery> {
        while let Some(id) = self.ready.pop_front() {
            let Some(lane) = self.lanes.get_mut(&id) else {
                continue;
            };
            lane.queued = false;
            while lane.running < cap && lane.waiting.front().is_some_and(|(_, until)| *until <= now)
            {
                stale.push(lane.waiting.pop_front().expect("front exists").0);
                self.in_hand -= 1;
            }
            if !lane.can_start(cap) {
                if lane.running == 0 && lane.waiting.is_empty() {
                    self.lanes.remove(&id);
                }
                continue;
            }
            let (d, _) = lane.waiting.pop_front().expect("can_start: not empty");
            lane.running += 1;
            if lane.can_start(cap) {
                lane.queued = true;
                self.ready.push_back(id);
            }
            return Some(d);
        }
        None
    }
}

/// Writes attempt results in batches of whatever has arrived.
async fn record(app: AppState, mut rx: mpsc::Receiver<AttemptResult>) {
    let disable = super::disable::disable_rule(app.webhooks.settings.disable_after);
    let mut buf = Vec::with_capacity(512);
    while rx.recv_many(&mut buf, 512).await > 0 {
        for n in 1..=5 {
            match app.store.record_attempts(&buf, &disable).await {
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
    envelope_of(&d.event_id, d.event_type, d.event_at, &d.event_payload)
}

/// The envelope of one event from its parts (the event streams send the same body).
pub fn envelope_of(
    id: &crate::ids::EventId,
    kind: crate::events::EventType,
    at: OffsetDateTime,
    payload: &str,
) -> String {
    let ts = at
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a valid time formats");
    let s = |v: &str| serde_json::to_string(v).expect("strings serialize");
    // The payload is stored JSON; splicing it avoids parsing it again for every attempt.
    format!(
        r#"{{"id":{},"type":{},"timestamp":{},"data":{}}}"#,
        s(id.as_str()),
        s(kind.as_str()),
        s(&ts),
        payload
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
            outcome: AttemptOutcome::Skipped,
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
        (Err(e), _) => Err((
            AttemptOutcome::Error,
            format!("signing secret unusable: {e}"),
        )),
        (_, Err(e)) => Err((AttemptOutcome::Error, format!("target refused: {e}"))),
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
                            AttemptOutcome::Timeout,
                            format!("no answer within {:?}", settings.timeout),
                        )
                    } else {
                        (AttemptOutcome::Error, error_chain(&e))
                    }
                })
        }
    };
    let (outcome, status, response, error, wait) = match sent {
        Ok(res) => {
            let status = res.status().as_u16();
            let wait = retry_after(&res);
            let text = snippet(res).await;
            let outcome = match status {
                200..=299 => AttemptOutcome::Succeeded,
                410 => AttemptOutcome::Gone,
                429 => AttemptOutcome::Throttled,
                _ => AttemptOutcome::Failed,
            };
            let error = (outcome != AttemptOutcome::Succeeded).then(|| format!("HTTP {status}"));
            (outcome, Some(status), Some(text), error, wait)
        }
        Err((outcome, e)) => (outcome, None, None, Some(e), None),
    };
    let latency = started.elapsed();
    metrics::counter!("shiphub_webhook_attempts_total", "outcome" => outcome.as_str()).increment(1);
    metrics::histogram!("shiphub_webhook_attempt_seconds").record(latency.as_secs_f64());
    let after = match outcome {
        AttemptOutcome::Succeeded => AfterAttempt::Succeeded,
        AttemptOutcome::Gone => AfterAttempt::Gone,
        _ if d.one_shot => AfterAttempt::GiveUp,
        _ => {
            // A 429 or no answer in time: the receiver is overwhelmed, back off harder.
            let kind = match outcome {
                AttemptOutcome::Throttled | AttemptOutcome::Timeout => Outcome::Throttled,
                _ => Outcome::Failed,
            };
            match settings.schedule.next_delay(
                d.attempts as usize + 1,
                kind,
                wait,
                &mut rand::rng(),
            ) {
                Some(delay) => AfterAttempt::RetryAt(OffsetDateTime::now_utc() + delay),
                None => AfterAttempt::GiveUp,
            }
        }
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
    use std::collections::{HashMap, HashSet};
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use time::OffsetDateTime;

    use super::{Lanes, parse_retry_after};
    use crate::ids::{DeliveryId, EventId, TenantId, WebhookId};
    use crate::store::ClaimedDelivery;

    fn delivery(endpoint: &str, n: usize) -> ClaimedDelivery {
        ClaimedDelivery {
            id: DeliveryId::from_db(format!("{endpoint}-{n}")),
            tenant: TenantId::from_db("t".into()),
            endpoint_id: WebhookId::from_db(endpoint.into()),
            event_id: EventId::from_db(format!("ev-{n}")),
            event_type: crate::events::EventType::ShipmentCreated,
            event_payload: "{}".into(),
            event_at: OffsetDateTime::UNIX_EPOCH,
            attempts: 0,
            one_shot: false,
            lease_token: "token".into(),
            url: format!("http://{endpoint}.test/"),
            enabled: true,
            secret: (vec![], vec![]),
            old_secret: None,
            old_secret_expires_at: None,
        }
    }

    fn batch(endpoint: &str, range: std::ops::Range<usize>) -> Vec<ClaimedDelivery> {
        range.map(|n| delivery(endpoint, n)).collect()
    }

    fn ids(ds: &[ClaimedDelivery]) -> Vec<String> {
        ds.iter().map(|d| d.id.to_string()).collect()
    }

    /// Runs every slot until the lanes are empty, as the slot tasks would, in a round-robin
    /// over the running slots. Returns each delivery sent, in order, and checks no endpoint
    /// ever has more than `cap` attempts at once.
    fn drain(lanes: &Lanes, mut running: Vec<ClaimedDelivery>, cap: usize) -> Vec<String> {
        let mut sent = vec![];
        let later = Instant::now();
        while !running.is_empty() {
            let mut per_endpoint: HashMap<String, usize> = HashMap::new();
            for d in &running {
                *per_endpoint.entry(d.endpoint_id.to_string()).or_default() += 1;
            }
            assert!(per_endpoint.values().all(|n| *n <= cap), "{per_endpoint:?}");
            let d = running.remove(0);
            sent.push(d.id.to_string());
            let step = lanes.finish(&d.endpoint_id, later);
            assert!(step.stale.is_empty());
            running.extend(step.next);
        }
        sent
    }

    #[test]
    fn a_full_lane_does_not_block_other_endpoints_and_each_delivery_goes_once() {
        // 8 slots: 2 per endpoint, lanes holding 4 waiting are passed over by claims.
        let lanes = Lanes::new(8);
        let until = Instant::now() + Duration::from_secs(60);
        let (start, stale) = lanes.offer(batch("slow", 0..10), until, Instant::now());
        assert!(stale.is_empty());
        assert_eq!(ids(&start), ["slow-0", "slow-1"], "only its share of slots");
        let (skip, limit) = lanes.claim_room();
        assert_eq!(skip, [WebhookId::from_db("slow".into())]);
        assert!(limit > 0, "the other endpoints are still claimed");
        // Another endpoint starts at once on the free slots, though `slow` has a backlog.
        let (more, _) = lanes.offer(
            [batch("fast", 0..3), batch("slow", 10..12)].concat(),
            until,
            Instant::now(),
        );
        assert_eq!(ids(&more), ["fast-0", "fast-1"]);

        let sent = drain(&lanes, [start, more].concat(), 2);
        let unique: HashSet<&String> = sent.iter().collect();
        assert_eq!(sent.len(), 15, "{sent:?}");
        assert_eq!(unique.len(), 15, "each delivery sent once: {sent:?}");
        // Each lane keeps its own order.
        let slow: Vec<&String> = sent.iter().filter(|s| s.starts_with("slow")).collect();
        let mut sorted = slow.clone();
        sorted.sort_by_key(|s| s[5..].parse::<usize>().unwrap());
        assert_eq!(slow, sorted);
        let (skip, limit) = lanes.claim_room();
        assert!(skip.is_empty());
        assert_eq!(limit, 8, "nothing held any more");
    }

    #[test]
    fn busy_slots_rotate_to_a_waiting_endpoint() {
        // 2 slots, both taken by `a`: `b` gets the first one that frees up, not the one after
        // all of `a`'s backlog.
        let lanes = Lanes::new(2);
        let until = Instant::now() + Duration::from_secs(60);
        let now = Instant::now();
        let (start, _) = lanes.offer(batch("a", 0..6), until, now);
        assert_eq!(ids(&start), ["a-0", "a-1"]);
        let (start, _) = lanes.offer(batch("b", 0..2), until, now);
        assert!(start.is_empty(), "no slot free");
        let next = lanes.finish(&WebhookId::from_db("a".into()), now).next;
        assert_eq!(next.map(|d| d.id.to_string()).as_deref(), Some("b-0"));
        let next = lanes.finish(&WebhookId::from_db("a".into()), now).next;
        assert_eq!(next.map(|d| d.id.to_string()).as_deref(), Some("a-2"));
        let next = lanes.finish(&WebhookId::from_db("b".into()), now).next;
        assert_eq!(next.map(|d| d.id.to_string()).as_deref(), Some("b-1"));
    }

    #[test]
    fn deliveries_held_past_their_lease_margin_are_handed_back_not_sent() {
        let lanes = Lanes::new(1);
        let now = Instant::now();
        let (start, _) = lanes.offer(batch("a", 0..3), now + Duration::from_secs(5), now);
        assert_eq!(ids(&start), ["a-0"]);
        let late = now + Duration::from_secs(6);
        let step = lanes.finish(&WebhookId::from_db("a".into()), late);
        assert!(step.next.is_none());
        assert_eq!(ids(&step.stale), ["a-1", "a-2"]);
        assert!(step.wake, "the loop may claim again");
        assert_eq!(lanes.claim_room().1, 1, "nothing held any more");
        // Already stale when claimed (a lease no longer than the timeout): handed back at once.
        let (start, stale) = lanes.offer(batch("a", 3..5), now, now);
        assert!(start.is_empty());
        assert_eq!(ids(&stale), ["a-3", "a-4"]);
        assert_eq!(lanes.claim_room().1, 1);
    }

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
