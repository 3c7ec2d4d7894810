//! The overview: what needs attention today — today's purchases and spend by carrier, open
//! exceptions, late and stalled parcels, failing webhook endpoints, printers that cannot print.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::html;
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::charts::{self, Bar};
use super::{Operator, Page, fmt, layout};
use crate::state::AppState;
use crate::store::{PrinterState, StationRecord};

pub fn router() -> Router<AppState> {
    Router::new().route("/console", get(page))
}

/// Purchases counted on the overview at most (a day beyond it says "at least").
const DAY_CAP: u32 = 100_000;
/// Parcels in trouble counted at most (index entries of `trackers_attention`).
const TROUBLE_CAP: u32 = 10_000;

async fn page(State(app): State<AppState>, op: Operator) -> Page {
    let tenant = &op.0.tenant;
    let now = OffsetDateTime::now_utc();
    let midnight = now.replace_time(time::Time::MIDNIGHT);
    let (purchases, endpoints, stations, trouble) = tokio::try_join!(
        app.store.purchases_since(tenant, midnight, DAY_CAP),
        app.store.list_endpoints(tenant),
        app.store.list_stations(tenant),
        app.store.attention_counts(tenant, TROUBLE_CAP),
    )?;
    let bought = purchases.iter().filter(|p| !p.voided).count();
    let voided = purchases.len() - bought;
    // Spend per (carrier, currency): amounts in different currencies are never added.
    let mut spend: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for p in purchases.iter().filter(|p| !p.voided) {
        *spend
            .entry((p.carrier.clone(), p.currency.clone()))
            .or_default() += p.amount;
    }
    let mut totals: BTreeMap<&str, Decimal> = BTreeMap::new();
    for ((_, cur), v) in &spend {
        *totals.entry(cur.as_str()).or_default() += *v;
    }
    let bars: Vec<Bar> = spend
        .iter()
        .map(|((carrier, cur), v)| Bar {
            label: if totals.len() > 1 {
                format!("{carrier} ({cur})")
            } else {
                carrier.clone()
            },
            value: *v,
            shown: fmt::money(*v, cur),
        })
        .collect();
    let failing: Vec<_> = endpoints
        .iter()
        .filter(|e| !e.enabled || e.failing_since.is_some())
        .collect();
    let printers = attention(&app.print, &stations, now);
    let counted = |n: u64| {
        if trouble.total >= u64::from(TROUBLE_CAP) {
            format!("{n}+")
        } else {
            n.to_string()
        }
    };
    let at_least = if purchases.len() as u32 >= DAY_CAP {
        "at least "
    } else {
        ""
    };
    let body = html! {
        div class="stats" {
            (layout::stat("labels bought today", format!("{at_least}{bought}"), Some("/console/shipments"), false))
            (layout::stat("voided today", voided, None, false))
            @for (cur, total) in &totals {
                (layout::stat(&format!("spent today ({cur})"), fmt::money(*total, cur), None, false))
            }
            (layout::stat("open exceptions", counted(trouble.exceptions), Some("/console/exceptions"), trouble.exceptions > 0))
            (layout::stat("late parcels", counted(trouble.late), Some("/console/exceptions"), trouble.late > 0))
            (layout::stat("stalled parcels", counted(trouble.stalled), Some("/console/exceptions"), trouble.stalled > 0))
            (layout::stat("failing webhook endpoints", failing.len(), Some("/console/webhooks"), !failing.is_empty()))
            (layout::stat("printers needing attention", printers.len(), Some("/console/print"), !printers.is_empty()))
        }
        div class="grid" {
            section aria-labelledby="spend-h" {
                h2 id="spend-h" { "Spend by carrier today" }
                (charts::bars("spend", "Spend by carrier since midnight UTC", &bars))
            }
            section aria-labelledby="att-h" {
                h2 id="att-h" { "Needs attention" }
                @if failing.is_empty() && printers.is_empty() {
                    p { "Nothing: every webhook endpoint delivers and every printer can print." }
                }
                ul {
                    @for e in &failing {
                        li {
                            a href=(format!("/console/webhooks/{}", e.id)) { (e.url) } " — "
                            @if !e.enabled {
                                span class="badge bad" { "disabled" }
                                @if let Some(r) = &e.disabled_reason { " " (r) }
                            } @else if let Some(t) = e.failing_since {
                                span class="badge warn" { "failing since " (fmt::when(t)) }
                            }
                        }
                    }
                    @for (s, why) in &printers {
                        li { a href="/console/print" { (s.name) } " — " span class="badge bad" { (why) } }
                    }
                }
            }
        }
    };
    Ok(layout::page(&op, "Overview", "/console", &[], body))
}

/// Stations that cannot print now, with why: never connected, offline (the print station
/// page's rule), or a printer state other than ready.
fn attention<'a>(
    settings: &crate::print::PrintSettings,
    stations: &'a [StationRecord],
    now: OffsetDateTime,
) -> Vec<(&'a StationRecord, String)> {
    stations
        .iter()
        .filter_map(|s| match (&s.last_seen_at, &s.printer_state) {
            (None, _) => Some((s, "never connected".to_string())),
            _ if !crate::print::station_online(settings, s, now) => {
                Some((s, "offline".to_string()))
            }
            (_, Some(state)) if *state != PrinterState::Ready => {
                Some((s, state.to_string().replace('_', " ")))
            }
            _ => None,
        })
        .collect()
}
