//! The exceptions board: open parcels in trouble — in a problem status (exception, failed
//! attempt, returning), late (past the promised date) or stalled (no scan for the tracking
//! module's stall gap) — grouped by reason, by carrier and by lane, each group linking to the
//! parcels in it.
//!
//! Late and stalled are the tracking module's own verdicts (`tracking::decide` flags them at
//! a check), so the board and the `shipment.late` / `shipment.stalled` events agree. The
//! board reads the partial index `trackers_attention` (migrations 0037 and 0042), which holds
//! only parcels in trouble: the newest `WINDOW` of them are grouped (the store reads the lane's
//! countries out of the ship request), and the counts above are bounded by `COUNT_BOUND` and
//! read from the index alone.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use shiphub_carriers::model::{TrackingEvent, TrackingStatus};

use super::{Operator, Page, fmt, layout};
use crate::state::AppState;
use crate::store::AttentionRow;

/// Parcels in trouble read (newest change first) and grouped.
const WINDOW: u32 = 500;
/// Parcels listed below the groups.
const LISTED: usize = 200;
/// Index entries the counts read at most.
const COUNT_BOUND: u32 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/exceptions", get(page))
}

#[derive(Deserialize, Default)]
struct Filter {
    reason: Option<String>,
    carrier: Option<String>,
    lane: Option<String>,
}

/// One parcel as the board shows it.
struct Parcel {
    row: AttentionRow,
    /// Why it is here, the first being the reason it is grouped under.
    reasons: Vec<&'static str>,
    /// `US → CN`, or `None` when the parcel was not bought here.
    lane: Option<String>,
}

fn parcel(row: AttentionRow) -> Parcel {
    let mut reasons = vec![];
    if row.status.is_problem() {
        let latest = row.last_description.as_ref().map(|d| TrackingEvent {
            occurred_at: row.last_event_at.unwrap_or(row.updated_at),
            status: row.status,
            carrier_code: row.carrier_status_code.clone().unwrap_or_default(),
            sub_status: row.sub_status.clone(),
            description: d.clone(),
            location: None,
        });
        reasons.push(crate::tracking::exception_reason(
            row.status,
            latest.as_ref(),
        ));
    }
    if row.late_notified {
        reasons.push("late");
    }
    if row.stalled_notified {
        reasons.push("stalled");
    }
    let lane = row.lane.as_ref().map(|(from, to)| format!("{from} → {to}"));
    Parcel { row, reasons, lane }
}

/// What a reason is called on the board.
fn reason_label(r: &str) -> &'static str {
    match r {
        "attempt_failed" => "Delivery attempt failed",
        "refused" => "Refused",
        "customs_hold" => "Customs hold",
        "damaged" => "Damaged",
        "lost" => "Lost",
        "address_problem" => "Address problem",
        "returned" => "Returning to sender",
        "late" => "Late (past the promised date)",
        "stalled" => "Stalled (no scan)",
        _ => "Other exception",
    }
}

fn status_label(s: TrackingStatus) -> String {
    crate::store::status_name(s).replace('_', " ")
}

/// Counts per key, largest first (ties by key).
fn groups<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for k in keys {
        *m.entry(k).or_default() += 1;
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}

const NO_LANE: &str = "not bought here";

async fn page(op: Operator, State(app): State<AppState>, Query(f): Query<Filter>) -> Page {
    let tenant = &op.0.tenant;
    // Two connections at once: the page waits for the slower query, not for both.
    let (counts, rows) = tokio::try_join!(
        app.store.attention_counts(tenant, COUNT_BOUND),
        app.store.attention_trackers(tenant, WINDOW),
    )?;
    let parcels: Vec<Parcel> = rows.into_iter().map(parcel).collect();
    let at_least = |n: u64| {
        if counts.total >= u64::from(COUNT_BOUND) {
            format!("{n}+")
        } else {
            n.to_string()
        }
    };
    let by_reason = groups(parcels.iter().map(|p| p.reasons[0]));
    let by_carrier = groups(parcels.iter().map(|p| p.row.carrier.as_str()));
    let by_lane = groups(parcels.iter().map(|p| p.lane.as_deref().unwrap_or(NO_LANE)));
    let shown: Vec<&Parcel> = parcels
        .iter()
        .filter(|p| f.reason.as_deref().is_none_or(|r| p.reasons[0] == r))
        .filter(|p| f.carrier.as_deref().is_none_or(|c| p.row.carrier == c))
        .filter(|p| {
            f.lane
                .as_deref()
                .is_none_or(|l| p.lane.as_deref().unwrap_or(NO_LANE) == l)
        })
        .collect();
    let filtered = f.reason.is_some() || f.carrier.is_some() || f.lane.is_some();
    let body = html! {
        div class="stats" {
            (layout::stat("Parcels in trouble", at_least(counts.total), None, counts.total > 0))
            (layout::stat("Exceptions", at_least(counts.exceptions), Some("#by-reason"), counts.exceptions > 0))
            (layout::stat("Late", at_least(counts.late), Some("/console/exceptions?reason=late"), false))
            (layout::stat("Stalled", at_least(counts.stalled), Some("/console/exceptions?reason=stalled"), false))
        }
        @if parcels.is_empty() {
            p { "No parcel is in exception, late or stalled." }
        } @else {
            @if counts.total > u64::from(WINDOW) {
                p class="muted" { "The groups count the " (WINDOW) " parcels whose tracking changed most recently." }
            }
            p class="muted" { "A parcel is grouped under its first reason: an exception before late, late before stalled." }
            div class="grid" {
                (group_table("by-reason", "By reason", "Reason", "reason", &by_reason, reason_label))
                (group_table("by-carrier", "By carrier", "Carrier", "carrier", &by_carrier, |c| c))
                (group_table("by-lane", "By lane", "Lane", "lane", &by_lane, |l| l))
            }
            h2 id="parcels" {
                "Parcels"
                @if filtered { " (filtered)" }
            }
            @if filtered {
                p { a href="/console/exceptions" { "Show every parcel" } }
            }
            (layout::table(
                &format!("{} parcels{}", shown.len(), if shown.len() > LISTED { format!(", the first {LISTED} shown") } else { String::new() }),
                &["Tracking number", "Carrier", "Lane", "Status", "Why", "Last scan", "Promised"],
                html! {
                    @for p in shown.iter().take(LISTED) { (parcel_row(p)) }
                },
            ))
        }
    };
    Ok(layout::page(
        &op,
        "Exceptions",
        "/console/exceptions",
        &[],
        body,
    ))
}

fn group_table<'a>(
    id: &str,
    caption: &str,
    head: &str,
    param: &str,
    groups: &[(&'a str, usize)],
    label: impl Fn(&'a str) -> &'a str,
) -> Markup {
    html! {
        div id=(id) class="table-wrap" {
            table {
                caption { (caption) }
                thead { tr { th scope="col" { (head) } th scope="col" class="num" { "Parcels" } } }
                tbody {
                    @for (key, n) in groups {
                        tr {
                            th scope="row" {
                                a href=(format!("/console/exceptions?{param}={}#parcels", fmt::url_encode(key))) { (label(key)) }
                            }
                            td class="num" { (n) }
                        }
                    }
                }
            }
        }
    }
}

fn parcel_row(p: &Parcel) -> Markup {
    let t = &p.row;
    html! {
        tr {
            td {
                @if let Some(s) = &t.shipment_id {
                    a href=(format!("/console/shipments/{s}")) { code { (t.tracking_number) } }
                } @else {
                    code { (t.tracking_number) }
                }
            }
            td { (t.carrier) }
            td { (p.lane.as_deref().unwrap_or("—")) }
            td { (status_label(t.status)) }
            td {
                @for (i, r) in p.reasons.iter().enumerate() {
                    @if i > 0 { " " }
                    span class={ "badge " @if i == 0 { "bad" } @else { "warn" } } { (reason_label(r)) }
                }
            }
            td {
                @if let Some(at) = t.last_event_at {
                    time datetime=(fmt::iso(at)) { (fmt::when(at)) }
                } @else {
                    span class="muted" { "none yet" }
                }
            }
            td { (t.promised_date.as_deref().or(t.estimated_delivery.as_deref()).unwrap_or("—")) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_largest_first() {
        let g = groups(["b", "a", "b", "c", "a", "b"].into_iter());
        assert_eq!(g, vec![("b", 3), ("a", 2), ("c", 1)]);
    }
}
