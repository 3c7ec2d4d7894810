//! The relay loop: takes the relay's lease, publishes the oldest unstreamed events to every
//! sink, marks them under the lease, and again. Only the lease holder publishes, so instances
//! never relay the same range at once; one that lost its lease (a pause longer than the lease)
//! publishes at most its current batch again, with the same ids, and marks nothing.
//!
//! A batch counts as relayed when every sink confirmed it. A sink that fails keeps the batch
//! (it is retried, to the failed sinks only, with backoff, renewing the lease meanwhile), so
//! a broker restart only delays the stream; the backlog shows in `/metrics`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::StreamSettings;
use super::sink::{Outgoing, Sink};
use crate::events::Subscription;
use crate::ids::TenantId;
use crate::state::AppState;
use crate::store::StreamEvent;

/// How often the tenants' filters are read again.
const FILTER_REFRESH: Duration = Duration::from_secs(2);
/// How often the backlog gauges are sampled.
const GAUGE_EVERY: Duration = Duration::from_secs(1);

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

/// Runs until the server shuts down.
pub async fn run(app: AppState, settings: Arc<StreamSettings>, mut sinks: Vec<(String, Sink)>) {
    super::describe();
    tokio::spawn(sample_backlog(app.clone()));
    let me = crate::ids::instance();
    let mut shutdown = app.shutdown.subscribe();
    let mut filters = Filters::default();
    // Until when the lease, as last renewed, needs no renewal: an idle holder polls with reads
    // and renews a third of a lease ahead, not a write every poll (SQLite has one writer).
    let mut fresh_until: Option<Instant> = None;
    while !*shutdown.borrow() {
        let held = if app.instances.fenced() {
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
        metrics::gauge!("shiphub_event_stream_relay_held").set(if held { 1.0 } else { 0.0 });
        if held {
            match relay_while_held(&app, &settings, &mut sinks, &mut filters, &mut shutdown).await {
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

/// Relays batches until the backlog is empty, the lease is lost or the server stops.
async fn relay_while_held(
    app: &AppState,
    settings: &StreamSettings,
    sinks: &mut [(String, Sink)],
    filters: &mut Filters,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    let me = crate::ids::instance();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let batch = app
            .store
            .unstreamed_events(settings.batch)
            .await
            .map_err(|e| e.to_string())?;
        if batch.is_empty() {
            return Ok(());
        }
        filters.refresh(app).await;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let out: Vec<Outgoing> = batch
            .iter()
            .filter(|e| filters.includes(e))
            .map(|e| Outgoing::of(e, &settings.secret, now))
            .collect();
        let mut pending: Vec<usize> = (0..sinks.len()).collect();
        let mut backoff = Duration::from_millis(200);
        let mut renewed = Instant::now();
        while !out.is_empty() && !pending.is_empty() {
            let mut failed = vec![];
            for &i in &pending {
                let (label, sink) = &mut sinks[i];
                match sink.publish(&out).await {
                    Ok(()) => {
                        metrics::counter!("shiphub_event_stream_published_total", "sink" => label.clone())
                            .increment(out.len() as u64);
                    }
                    Err(e) => {
                        metrics::counter!("shiphub_event_stream_publish_failures_total", "sink" => label.clone())
                            .increment(1);
                        tracing::warn!(sink = %label, error = %e, "event stream batch not confirmed; retrying");
                        failed.push(i);
                    }
                }
            }
            pending = failed;
            if pending.is_empty() {
                break;
            }
            if *shutdown.borrow() {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return Ok(()),
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
            // Keep the lease while a broker is away; give up the batch if it is gone.
            if renewed.elapsed() > settings.lease / 3 {
                if !lease(app, me, settings).await {
                    return Err("lost the relay lease while a sink was failing".into());
                }
                renewed = Instant::now();
            }
        }
        let ids: Vec<_> = batch.iter().map(|e| e.id.clone()).collect();
        let now = OffsetDateTime::now_utc();
        let marked = app
            .store
            .mark_streamed(me, &ids, now, now + settings.lease)
            .await
            .map_err(|e| e.to_string())?;
        if !marked {
            return Err("lost the relay lease; another instance relays".into());
        }
        if batch.len() < settings.batch as usize {
            return Ok(());
        }
    }
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

/// Sets the backlog gauges every second (every instance: take `max` across instances).
async fn sample_backlog(app: AppState) {
    let mut shutdown = app.shutdown.subscribe();
    while !*shutdown.borrow() {
        match app.store.stream_backlog().await {
            Ok(b) => {
                metrics::gauge!("shiphub_event_stream_backlog").set(b.events as f64);
                let age = b.oldest.map_or(0.0, |t| {
                    (OffsetDateTime::now_utc() - t).as_seconds_f64().max(0.0)
                });
                metrics::gauge!("shiphub_event_stream_oldest_seconds").set(age);
            }
            Err(e) => tracing::debug!(error = %e, "event stream backlog"),
        }
        tokio::select! {
            _ = tokio::time::sleep(GAUGE_EVERY) => {}
            _ = shutdown.changed() => {}
        }
    }
}
