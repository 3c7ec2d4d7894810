//! The relay loop: takes the relay's lease, publishes the oldest unstreamed events to every
//! sink that is up, marks them under the lease, and again. Only the lease holder publishes, so
//! instances never relay the same range at once; one that lost its lease (a pause longer than
//! the lease) publishes at most its current batch again, with the same ids, and marks nothing.
//!
//! Each sink has its own progress, so a broker that is down holds no other. A sink that fails
//! a batch falls behind: the batch is marked all the same, with its ids parked for that sink
//! in the same transaction (`store::streams`), and so is every later batch while the sink is
//! behind. The sink's catch-up task publishes its parked events oldest first (with backoff
//! while the broker is away) and deletes them once confirmed; when none is left the sink is
//! up again and gets the relay's batches directly. So every sink sees every event at least
//! once, in commit order per shipment, and a broker restart only delays its own stream; each
//! sink's backlog shows in `/metrics`. When every sink is behind the relay takes nothing new
//! (the catch-ups go first, and no event is parked needlessly).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::sync::{Mutex, Notify};

use super::StreamSettings;
use super::sink::{Confirms, Outgoing, Sink, confirmed};
use crate::events::Subscription;
use crate::ids::{EventId, TenantId};
use crate::state::AppState;
use crate::store::StreamEvent;

/// How often the tenants' filters are read again.
const FILTER_REFRESH: Duration = Duration::from_secs(2);
/// How often the backlog gauges are sampled.
const GAUGE_EVERY: Duration = Duration::from_secs(1);
/// Batches sent and not yet confirmed, at most (the relay's pipeline).
const IN_FLIGHT: usize = 4;
/// The longest wait between two tries of a sink that fails.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Connects every sink (creating or checking streams and exchanges); the error names the
/// sink and what is wrong. Called by `serve` before it starts, so a wrong URL stops it.
pub async fn open_sinks(settings: &StreamSettings) -> Result<Vec<(String, Sink)>, String> {
    let mut sinks = Vec::with_capacity(settings.sinks.len());
    for url in &settings.sinks {
        let sink = Sink::open(url)
            .await
            .map_err(|e| format!("--events-to {}: {e}", url.label()))?;
        sinks.push((url.label(), sink));
    }
    Ok(sinks)
}

/// One sink and where it stands.
struct Slot {
    /// The sink's label: its name in the store and in `/metrics`.
    label: String,
    sink: Mutex<Sink>,
    lag: Mutex<Lag>,
    /// Wakes the sink's catch-up task.
    wake: Notify,
}

#[derive(Default)]
struct Lag {
    /// The sink has parked events: the relay parks its batches for it too, the catch-up
    /// publishes them.
    behind: bool,
    /// Batches the relay is parking for this sink and has not committed yet: the catch-up
    /// declares the sink up only when none is.
    parking: u32,
}

impl Slot {
    /// Decides whether the relay's next batch is parked for this sink (`true`) or published.
    async fn route(&self) -> bool {
        let mut lag = self.lag.lock().await;
        if lag.behind {
            lag.parking += 1;
        }
        lag.behind
    }

    /// The sink failed a batch: it and every later batch is parked until it catches up.
    async fn fall_behind(&self) {
        let mut lag = self.lag.lock().await;
        lag.behind = true;
        lag.parking += 1;
    }

    /// A parked batch was committed (or given up).
    async fn parked(&self) {
        let mut lag = self.lag.lock().await;
        lag.parking = lag.parking.saturating_sub(1);
        drop(lag);
        self.wake.notify_one();
    }
}

/// Runs until the server shuts down.
pub async fn run(app: AppState, settings: Arc<StreamSettings>, sinks: Vec<(String, Sink)>) {
    super::describe();
    let slots: Vec<Arc<Slot>> = sinks
        .into_iter()
        .map(|(label, sink)| {
            Arc::new(Slot {
                label,
                sink: Mutex::new(sink),
                lag: Mutex::new(Lag::default()),
                wake: Notify::new(),
            })
        })
        .collect();
    let labels: Vec<String> = slots.iter().map(|s| s.label.clone()).collect();
    tokio::spawn(sample_backlog(app.clone(), labels));
    let held_flag = Arc::new(AtomicBool::new(false));
    for slot in &slots {
        tokio::spawn(catch_up(
            app.clone(),
            settings.clone(),
            slot.clone(),
            held_flag.clone(),
        ));
    }
    let me = crate::ids::instance();
    let mut shutdown = app.shutdown.subscribe();
    let mut filters = Filters::default();
    // Until when the lease, as last renewed, needs no renewal: an idle holder polls with reads
    // and renews a third of a lease ahead, not a write every poll (SQLite has one writer).
    let mut fresh_until: Option<Instant> = None;
    let mut was_held = false;
    while !*shutdown.borrow() {
        let mut held = if app.instances.fenced() {
            fresh_until = None;
            false
        } else if fresh_until.is_some_and(|t| Instant::now() < t) {
            true
        } else {
            let renewed = Instant::now();
            let held = lease(&app, me, &settings).await;
            fresh_until = held.then(|| renewed + settings.lease / 3);
            held
        };
        if held && !was_held {
            // Another instance may have parked or caught up meanwhile: the store says which
            // sinks are behind.
            if let Err(e) = reload(&app, &slots).await {
                tracing::warn!(error = %e, "event stream relay: reading the sinks' backlogs");
                fresh_until = None;
                held = false;
            }
        }
        was_held = held;
        held_flag.store(held, Ordering::SeqCst);
        metrics::gauge!("shiphub_event_stream_relay_held").set(if held { 1.0 } else { 0.0 });
        if held {
            match relay_while_held(&app, &settings, &slots, &mut filters, &mut shutdown).await {
                Ok(()) => {}
                Err(e) => {
                    fresh_until = None;
                    tracing::warn!(error = %e, "event stream relay");
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(if held { settings.poll } else { settings.lease / 4 }) => {}
            _ = shutdown.changed() => {}
        }
    }
    held_flag.store(false, Ordering::SeqCst);
    if let Err(e) = app.store.release_stream_relay(me).await {
        tracing::warn!(error = %e, "releasing the event stream relay");
    }
}

async fn lease(app: &AppState, me: &str, settings: &StreamSettings) -> bool {
    let now = OffsetDateTime::now_utc();
    match app
        .store
        .lease_stream_relay(me, now, now + settings.lease)
        .await
    {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!(error = %e, "event stream relay lease");
            false
        }
    }
}

/// Sets which sinks are behind from the store (just after the lease was taken).
async fn reload(app: &AppState, slots: &[Arc<Slot>]) -> Result<(), String> {
    for slot in slots {
        let behind = app
            .store
            .has_parked(&slot.label)
            .await
            .map_err(|e| e.to_string())?;
        slot.lag.lock().await.behind = behind;
        if behind {
            slot.wake.notify_one();
        }
    }
    Ok(())
}

/// A batch the relay read and has not marked yet.
struct InFlight {
    /// Every id read (all are marked).
    ids: Vec<EventId>,
    /// The ids the tenants' filters let through (what is published, or parked).
    included: Vec<EventId>,
    /// Per sink: parked, or sent and awaiting its confirmations (`None`: nothing to await,
    /// the filters took the whole batch or it is confirmed).
    routes: Vec<Route>,
    /// Whether the read filled a batch (there may be more).
    full: bool,
}

enum Route {
    Park,
    Sent(Option<Confirms>),
}

impl InFlight {
    /// Per sink, whether the batch is parked for it.
    fn parks(&self) -> Vec<bool> {
        self.routes
            .iter()
            .map(|r| matches!(r, Route::Park))
            .collect()
    }
}

/// The lowest and highest ids in flight, and how many.
fn window(flight: &VecDeque<InFlight>) -> Option<(EventId, EventId, usize)> {
    let ids = flight.iter().flat_map(|b| b.ids.iter());
    let lo = ids.clone().min()?.clone();
    let hi = ids.clone().max()?.clone();
    Some((lo, hi, ids.count()))
}

/// Relays batches until the backlog is empty, the lease is lost or the server stops. Up to
/// `IN_FLIGHT` batches are sent before the oldest one's confirmations are awaited, so a
/// broker's confirm round trip overlaps the next batches' reads and sends; batches are marked
/// in order as their confirmations complete.
async fn relay_while_held(
    app: &AppState,
    settings: &StreamSettings,
    slots: &[Arc<Slot>],
    filters: &mut Filters,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    let mut flight: VecDeque<InFlight> = VecDeque::new();
    let r = relay_batches(app, settings, slots, filters, shutdown, &mut flight).await;
    // Batches not marked are read again; their parking ends here.
    let parking: Vec<bool> = flight.drain(..).flat_map(|b| b.parks()).collect::<Vec<_>>();
    for (i, park) in parking.into_iter().enumerate() {
        if park {
            slots[i % slots.len()].parked().await;
        }
    }
    r
}

async fn relay_batches(
    app: &AppState,
    settings: &StreamSettings,
    slots: &[Arc<Slot>],
    filters: &mut Filters,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
    flight: &mut VecDeque<InFlight>,
) -> Result<(), String> {
    let me = crate::ids::instance();
    let mut more = true;
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        // Read and send while the window has room.
        while more && flight.len() < IN_FLIGHT {
            let batch = match window(flight) {
                None => Some(app.store.unstreamed_events(settings.batch).await),
                Some((lo, hi, n)) => app
                    .store
                    .unstreamed_events_outside(&lo, &hi, n, settings.batch)
                    .await
                    .transpose(),
            };
            let Some(batch) = batch else {
                // An event committed inside the window: settle what is in flight first.
                break;
            };
            let batch = batch.map_err(|e| e.to_string())?;
            if batch.is_empty() {
                more = false;
                break;
            }
            match send_batch(app, settings, slots, filters, batch).await {
                Some(b) => {
                    more = b.full;
                    flight.push_back(b);
                }
                None => {
                    // Every sink is behind: nothing is taken until one has caught up.
                    more = false;
                }
            }
        }
        let Some(mut front) = flight.pop_front() else {
            return Ok(());
        };
        // Its confirmations, sink by sink; a sink that fails falls behind from this batch on.
        for (i, slot) in slots.iter().enumerate() {
            let route = std::mem::replace(&mut front.routes[i], Route::Park);
            let Route::Sent(confirms) = route else {
                continue;
            };
            // `None`: nothing of this batch was for the sinks (the filters took it all).
            let r = match confirms {
                Some(c) => confirmed(c).await,
                None => Ok(()),
            };
            match r {
                Ok(()) => {
                    published(&slot.label, front.included.len());
                    front.routes[i] = Route::Sent(None);
                }
                Err(e) => {
                    failed(&slot.label);
                    tracing::warn!(sink = %slot.label, error = %e,
                        "event stream batch not confirmed; the sink falls behind and catches up");
                    slot.fall_behind().await;
                    // The later batches sent to it are parked too: it gets them again, in order.
                    let mut converted = 0;
                    for later in flight.iter_mut() {
                        if matches!(later.routes[i], Route::Sent(_)) {
                            later.routes[i] = Route::Park;
                            converted += 1;
                        }
                    }
                    slot.lag.lock().await.parking += converted;
                }
            }
        }
        let parked: Vec<(&str, &[EventId])> = slots
            .iter()
            .zip(&front.routes)
            .filter(|(_, r)| matches!(r, Route::Park))
            .map(|(slot, _)| (slot.label.as_str(), front.included.as_slice()))
            .collect();
        let now = OffsetDateTime::now_utc();
        let marked = app
            .store
            .mark_streamed(me, &front.ids, &parked, now, now + settings.lease)
            .await;
        for (slot, park) in slots.iter().zip(front.parks()) {
            if park {
                slot.parked().await;
            }
        }
        if !marked.map_err(|e| e.to_string())? {
            return Err("lost the relay lease; another instance relays".into());
        }
    }
}

/// Filters, signs and sends a batch to every sink that is up (parking it for the others);
/// `None` when every sink is behind (nothing is sent, nothing parked).
async fn send_batch(
    app: &AppState,
    settings: &StreamSettings,
    slots: &[Arc<Slot>],
    filters: &mut Filters,
    batch: Vec<StreamEvent>,
) -> Option<InFlight> {
    filters.refresh(app).await;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let included: Vec<&StreamEvent> = batch.iter().filter(|e| filters.includes(e)).collect();
    let mut routes = Vec::with_capacity(slots.len());
    if included.is_empty() {
        routes.extend(slots.iter().map(|_| Route::Sent(None)));
    } else {
        for slot in slots {
            routes.push(if slot.route().await {
                Route::Park
            } else {
                Route::Sent(None)
            });
        }
        if routes.iter().all(|r| matches!(r, Route::Park)) {
            for slot in slots {
                slot.parked().await;
            }
            return None;
        }
        let out = Outgoing::batch(included.iter().copied(), &settings.secret, now);
        for (slot, route) in slots.iter().zip(routes.iter_mut()) {
            if matches!(route, Route::Sent(_)) {
                match slot.sink.lock().await.send(&out).await {
                    Ok(c) => *route = Route::Sent(Some(c)),
                    Err(e) => {
                        tracing::debug!(sink = %slot.label, error = %e, "event stream batch not sent");
                        *route = Route::Sent(Some(Box::pin(async move { Err(e) })));
                    }
                }
            }
        }
    }
    Some(InFlight {
        full: batch.len() >= settings.batch as usize,
        included: included.iter().map(|e| e.id.clone()).collect(),
        ids: batch.into_iter().map(|e| e.id).collect(),
        routes,
    })
}

fn published(label: &str, n: usize) {
    metrics::counter!("shiphub_event_stream_published_total", "sink" => label.to_string())
        .increment(n as u64);
}

fn failed(label: &str) {
    metrics::counter!("shiphub_event_stream_publish_failures_total", "sink" => label.to_string())
        .increment(1);
}

/// Publishes a sink's parked events, oldest first, while it is behind and this instance holds
/// the relay's lease; declares it up once none is left.
async fn catch_up(
    app: AppState,
    settings: Arc<StreamSettings>,
    slot: Arc<Slot>,
    held: Arc<AtomicBool>,
) {
    let me = crate::ids::instance();
    let mut shutdown = app.shutdown.subscribe();
    let mut backoff = Duration::from_millis(200);
    let mut failing = false;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let mut pause = None;
        if !slot.lag.lock().await.behind || !held.load(Ordering::SeqCst) {
            pause = Some(settings.poll.max(Duration::from_millis(100)));
        } else {
            match catch_up_once(&app, &settings, &slot, me).await {
                Ok(true) => {
                    if failing {
                        tracing::info!(sink = %slot.label, "event stream sink is back; catching up");
                        failing = false;
                    }
                    backoff = Duration::from_millis(200);
                }
                Ok(false) => pause = Some(settings.poll),
                Err(e) => {
                    if !failing {
                        tracing::warn!(sink = %slot.label, error = %e,
                            "event stream sink still failing; retrying with backoff");
                    } else {
                        tracing::debug!(sink = %slot.label, error = %e, "event stream sink still failing");
                    }
                    failing = true;
                    pause = Some(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        if let Some(pause) = pause {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = slot.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// One batch of a sink's parked events; `Ok(false)` when there was none to publish (the sink
/// is declared up when no batch is being parked for it either) or the lease is gone.
async fn catch_up_once(
    app: &AppState,
    settings: &StreamSettings,
    slot: &Slot,
    me: &str,
) -> Result<bool, String> {
    let events = app
        .store
        .parked_events(&slot.label, settings.batch)
        .await
        .map_err(|e| e.to_string())?;
    if events.is_empty() {
        let mut lag = slot.lag.lock().await;
        if lag.parking == 0
            && !app
                .store
                .has_parked(&slot.label)
                .await
                .map_err(|e| e.to_string())?
        {
            lag.behind = false;
            tracing::info!(sink = %slot.label, "event stream sink caught up");
        }
        return Ok(false);
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let out = Outgoing::batch(&events, &settings.secret, now);
    if let Err(e) = slot.sink.lock().await.publish(&out).await {
        failed(&slot.label);
        return Err(e);
    }
    published(&slot.label, out.len());
    let ids: Vec<EventId> = events.into_iter().map(|e| e.id).collect();
    let unparked = app
        .store
        .unpark(me, &slot.label, &ids)
        .await
        .map_err(|e| e.to_string())?;
    Ok(unparked)
}

/// The tenants' filters, read every few seconds.
#[derive(Default)]
struct Filters {
    by_tenant: HashMap<TenantId, Subscription>,
    read_at: Option<Instant>,
}

impl Filters {
    async fn refresh(&mut self, app: &AppState) {
        if self.read_at.is_some_and(|t| t.elapsed() < FILTER_REFRESH) {
            return;
        }
        match app.store.stream_filters().await {
            Ok(list) => {
                self.by_tenant = list.into_iter().collect();
                self.read_at = Some(Instant::now());
            }
            // The previous filters stay; a corrupt row is reported and retried.
            Err(e) => tracing::warn!(error = %e, "reading event stream filters"),
        }
    }

    fn includes(&self, e: &StreamEvent) -> bool {
        self.by_tenant
            .get(&e.tenant)
            .unwrap_or(&Subscription::All)
            .includes(e.kind)
    }
}

/// Sets the backlog gauges every second (every instance: take `max` across instances): per
/// sink, the events not yet taken by the relay plus the sink's parked ones; unlabelled, the
/// largest of those.
async fn sample_backlog(app: AppState, labels: Vec<String>) {
    let mut shutdown = app.shutdown.subscribe();
    let mut orphans: HashSet<String> = HashSet::new();
    let age = |t: Option<OffsetDateTime>| {
        t.map_or(0.0, |t| {
            (OffsetDateTime::now_utc() - t).as_seconds_f64().max(0.0)
        })
    };
    while !*shutdown.borrow() {
        let sampled = async {
            let head = app.store.stream_backlog().await?;
            let parked = app.store.sink_backlogs().await?;
            Ok::<_, crate::store::StoreError>((head, parked))
        };
        match sampled.await {
            Ok((head, parked)) => {
                let (mut most, mut oldest) = (head.events, age(head.oldest));
                for label in &labels {
                    let mine = parked.iter().find(|p| &p.sink == label);
                    let events = head.events + mine.map_or(0, |p| p.events);
                    let seconds = age(head.oldest).max(age(mine.and_then(|p| p.oldest)));
                    metrics::gauge!("shiphub_event_stream_sink_backlog", "sink" => label.clone())
                        .set(events as f64);
                    metrics::gauge!("shiphub_event_stream_sink_oldest_seconds", "sink" => label.clone())
                        .set(seconds);
                    most = most.max(events);
                    oldest = oldest.max(seconds);
                }
                metrics::gauge!("shiphub_event_stream_backlog").set(most as f64);
                metrics::gauge!("shiphub_event_stream_oldest_seconds").set(oldest);
                // Sinks parked for and no longer in `--events-to` here: their own gauge (not
                // the backlog above, which this instance works off), back to 0 once cleared.
                let now: HashSet<String> = parked
                    .iter()
                    .filter(|p| !labels.contains(&p.sink))
                    .map(|p| p.sink.clone())
                    .collect();
                for gone in orphans.difference(&now) {
                    metrics::gauge!("shiphub_event_stream_unconfigured_sink_backlog", "sink" => gone.clone())
                        .set(0.0);
                }
                for p in parked.iter().filter(|p| now.contains(&p.sink)) {
                    metrics::gauge!("shiphub_event_stream_unconfigured_sink_backlog", "sink" => p.sink.clone())
                        .set(p.events as f64);
                }
                orphans = now;
            }
            Err(e) => tracing::debug!(error = %e, "event stream backlog"),
        }
        tokio::select! {
            _ = tokio::time::sleep(GAUGE_EVERY) => {}
            _ = shutdown.changed() => {}
        }
    }
}
