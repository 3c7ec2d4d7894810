//! Print stations: each station's card (online or offline from its agent's last call, the
//! printer state its agent reports, its queue, its recent failed jobs with Retry), and
//! registering a station (its token shown once) for roles with `print_stations`.
//!
//! The cards update live: `/console/print/stream` is a server-sent event stream whose
//! `replace` events carry a station's re-rendered card (`id="station-…"`). Each open stream
//! renders the tenant's cards when this hub queues a job for one of its stations
//! (`print_wakeups`) and otherwise once a second — a printer report and a station going
//! offline wake nothing — and sends only the cards that changed. Streams are bounded
//! (`MAX_STREAMS` per hub), end at shutdown, and end when their session does.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;
use maud::{Markup, html};
use time::OffsetDateTime;

use super::{Operator, Page, PageError, fmt, layout};
use crate::api::guard::{SESSION_COOKIE, cookie};
use crate::ids::{StationId, TenantId};
use crate::print::{self, PrinterState};
use crate::roles::Permission;
use crate::state::AppState;
use crate::store::{JobStatus, StationRecord};

/// Failed jobs shown per station.
const FAILED_SHOWN: u32 = 5;
/// Open streams per hub; one more is refused (503) rather than slowing every page.
const MAX_STREAMS: usize = 64;
/// How often a stream looks for changes nothing wakes it for.
const TICK: Duration = Duration::from_secs(1);
/// A stream checks its session every this many ticks (a logout ends it).
const SESSION_EVERY: u32 = 30;

static STREAMS: AtomicUsize = AtomicUsize::new(0);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/print", get(page))
        .route("/console/print/stream", get(stream))
}

fn card_id(s: &StationId) -> String {
    format!("station-{s}")
}

fn printer_badge(state: Option<PrinterState>) -> Markup {
    html! {
        @match state {
            Some(PrinterState::Ready) => span class="badge ok" { "ready" },
            Some(s) => span class="badge bad" { (s.as_str().replace('_', " ")) },
            None => span class="badge" { "not reported" },
        }
    }
}

/// A station's card, as the page shows it and the stream replaces it.
async fn card(
    app: &AppState,
    tenant: &TenantId,
    s: &StationRecord,
    retry: bool,
    now: OffsetDateTime,
) -> Result<Markup, PageError> {
    let online = print::station_online(&app.print, s, now);
    let (queued, delivered) = app.store.station_queue(tenant, &s.id).await?;
    let failed = app
        .store
        .failed_print_jobs(tenant, &s.id, FAILED_SHOWN)
        .await?;
    let printer = print::station_printer(s);
    let heading = format!("{}-name", card_id(&s.id));
    Ok(html! {
        article class="card" id=(card_id(&s.id)) aria-labelledby=(heading) {
            h2 id=(heading) { (s.name) }
            dl class="facts" {
                dt { "Agent" }
                dd {
                    @if online { span class="badge ok" { "online" } } @else { span class="badge bad" { "offline" } }
                    " "
                    @match s.last_seen_at {
                        Some(t) => span class="muted" { "last call " time datetime=(fmt::iso(t)) { (fmt::when(t)) } },
                        None => span class="muted" { "never called" },
                    }
                }
                dt { "Printer" }
                dd {
                    (printer_badge(s.printer_state))
                    @if let Some(d) = &s.printer_detail { " " span class="muted" { (d) } }
                }
                dt { "Prints" }
                dd { (printer.language.as_str()) ", " (printer.options.stock.as_str()) ", " (printer.options.dpi.dpi()) " dpi" }
                dt { "Queue" }
                dd { (queued) " queued, " (delivered) " handed out" }
            }
            @if !failed.is_empty() {
                h3 { "Failed and expired jobs" }
                ul class="timeline" {
                    @for f in &failed {
                        li data-region {
                            code { (f.job.id) } " "
                            @if f.job.status == JobStatus::Expired {
                                span class="badge warn" { "expired unprinted" } " "
                            }
                            @if let Some(d) = &f.job.detail { (d) " " }
                            @if let Some(t) = f.job.completed_at {
                                span class="muted" { time datetime=(fmt::iso(t)) { (fmt::when(t)) } } " "
                            }
                            @match &f.retried_by {
                                Some(by) => span class="badge ok" { "retried as " (by) },
                                None if retry => {
                                    button type="button" class="secondary"
                                        data-api=(format!("/v1/print-jobs/{}/retry", f.job.id))
                                        data-done="Queued again as {id}."
                                        aria-label=(format!("Retry job {}", f.job.id)) { "Retry" }
                                    " " span data-result role="status" {}
                                    p class="form-error" {}
                                },
                                None => {},
                            }
                        }
                    }
                }
            }
        }
    })
}

async fn cards(
    app: &AppState,
    tenant: &TenantId,
    retry: bool,
) -> Result<Vec<(StationId, String)>, PageError> {
    let now = OffsetDateTime::now_utc();
    let stations = app.store.list_stations(tenant).await?;
    let mut out = Vec::with_capacity(stations.len());
    for s in &stations {
        out.push((
            s.id.clone(),
            card(app, tenant, s, retry, now).await?.into_string(),
        ));
    }
    Ok(out)
}

/// Every card; the stream replaces it whole when a station is registered or removed.
fn grid(cards: &[(StationId, String)]) -> Markup {
    html! {
        div class="grid" id="station-cards" {
            @if cards.is_empty() {
                p { "No print station yet." }
            }
            @for (_, c) in cards { (maud::PreEscaped(c)) }
        }
    }
}

async fn page(op: Operator, State(app): State<AppState>) -> Page {
    let retry = op.can(Permission::Reprint);
    let cards = cards(&app, &op.0.tenant, retry).await?;
    let body = html! {
        section data-live="/console/print/stream" aria-labelledby="stations" {
            h2 id="stations" { "Stations" }
            p class="muted" id="live-status" role="status" { "Live updates start once the page has loaded." }
            (grid(&cards))
        }
        @if op.can(Permission::PrintStations) {
            section aria-labelledby="new-station" {
                h2 id="new-station" { "Register a station" }
                form class="stack" data-api="/v1/print-stations" data-method="POST"
                    data-done="Station {name} registered ({id}). Its agent's token, shown only now: {token}" {
                    label { "Name" span class="hint" { "e.g. Dock 3 Zebra" } input name="name" required maxlength="100"; }
                    label {
                        "Printer language"
                        select name="format" {
                            option value="pdf" { "PDF (CUPS or a folder)" }
                            option value="zpl" { "ZPL (thermal printer)" }
                        }
                    }
                    p class="form-error" {}
                    div { button type="submit" { "Register station" } }
                    p class="notice secret" data-result role="status" aria-live="polite" {}
                }
            }
        }
    };
    Ok(layout::page(
        &op,
        "Print stations",
        "/console/print",
        &["print.js"],
        body,
    ))
}

/// Releases a stream's slot when the stream ends (however it ends).
struct Slot;

impl Drop for Slot {
    fn drop(&mut self) {
        STREAMS.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Watch {
    app: AppState,
    tenant: TenantId,
    retry: bool,
    session: String,
    sent: HashMap<StationId, String>,
    pending: Vec<Event>,
    ticks: u32,
    shutdown: tokio::sync::watch::Receiver<bool>,
    _slot: Slot,
}

impl Watch {
    /// Waits for a wakeup of one of the tenant's stations, the tick, or shutdown (`false`).
    async fn wait(&mut self) -> bool {
        if *self.shutdown.borrow() {
            return false;
        }
        let notifies: Vec<_> = self
            .sent
            .keys()
            .map(|s| self.app.print_wakeups.get(s))
            .collect();
        let mut futures: Vec<std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>>> = notifies
            .iter()
            .map(|n| Box::pin(n.notified()) as _)
            .collect();
        futures.push(Box::pin(std::future::pending()));
        let woken = futures_util::future::select_all(futures);
        tokio::select! {
            _ = woken => true,
            _ = tokio::time::sleep(TICK) => true,
            _ = self.shutdown.changed() => false,
        }
    }

    /// The next event to send; `None` ends the stream.
    async fn next(mut self) -> Option<(Event, Watch)> {
        loop {
            if let Some(e) = self.pending.pop() {
                return Some((e, self));
            }
            // The first render goes out at once: the page may have been rendered before a
            // change the stream would otherwise never see.
            if self.ticks > 0 && !self.wait().await {
                return None;
            }
            self.ticks += 1;
            if self.ticks.is_multiple_of(SESSION_EVERY)
                && !matches!(
                    crate::auth::users::session(&self.app, &self.session).await,
                    Ok(Some(_))
                )
            {
                return None;
            }
            // A failed render (the database away a moment) is tried again at the next tick.
            let Ok(now) = cards(&self.app, &self.tenant, self.retry).await else {
                continue;
            };
            let same_stations = now.len() == self.sent.len()
                && now.iter().all(|(id, _)| self.sent.contains_key(id));
            if !same_stations {
                self.pending.push(
                    Event::default()
                        .event("replace")
                        .data(grid(&now).into_string()),
                );
                self.sent = now.into_iter().collect();
                continue;
            }
            for (id, html) in now {
                if self.sent.get(&id) != Some(&html) {
                    self.pending
                        .push(Event::default().event("replace").data(html.clone()));
                    self.sent.insert(id, html);
                }
            }
        }
    }
}

async fn stream(op: Operator, State(app): State<AppState>, headers: HeaderMap) -> Response {
    if STREAMS.fetch_add(1, Ordering::SeqCst) >= MAX_STREAMS {
        STREAMS.fetch_sub(1, Ordering::SeqCst);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many live pages are open; reload later",
        )
            .into_response();
    }
    let slot = Slot;
    let retry = op.can(Permission::Reprint);
    let tenant = op.0.tenant.clone();
    let watch = Watch {
        shutdown: app.shutdown.subscribe(),
        app,
        tenant,
        retry,
        session: cookie(&headers, SESSION_COOKIE)
            .unwrap_or_default()
            .to_string(),
        sent: HashMap::new(),
        pending: vec![],
        ticks: 0,
        _slot: slot,
    };
    let events = futures_util::stream::unfold(watch, Watch::next);
    sse(events).into_response()
}

fn sse(
    events: impl Stream<Item = Event> + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    use futures_util::StreamExt;
    Sse::new(events.map(Ok)).keep_alive(KeepAlive::default())
}
