//! Delivery analytics: on-time % and transit-day percentiles (p50, p90, p95) by carrier, by
//! service and by lane, for the shipments bought in a period, as charts with their numbers.
//! The same domain function as `GET /v1/analytics/timeliness` (read once, grouped three ways).

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::charts::{self, Bar};
use super::{Operator, Page, PageError, layout};
use crate::error::Error;
use crate::state::AppState;
use crate::tracking::analytics::{GroupBy, TimelinessLine, period, timeliness};

/// The longest period a page reads (its rows are grouped in memory).
const MAX_DAYS: i64 = 366;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/analytics", get(page))
}

#[derive(Deserialize)]
pub struct Range {
    from: Option<String>,
    to: Option<String>,
}

fn days(d: Decimal) -> String {
    format!("{} d", d.normalize())
}

fn group(id: &str, what: &str, heading: &str, lines: &[TimelinessLine]) -> Markup {
    let on_time: Vec<Bar> = lines
        .iter()
        .filter_map(|l| {
            l.on_time_pct.map(|p| Bar {
                label: l.key.clone(),
                value: p,
                shown: format!("{p} %"),
            })
        })
        .collect();
    let transit: Vec<Bar> = lines
        .iter()
        .flat_map(|l| {
            [
                ("p50", l.p50_transit_days),
                ("p90", l.p90_transit_days),
                ("p95", l.p95_transit_days),
            ]
            .into_iter()
            .filter_map(|(p, v)| {
                v.map(|v| Bar {
                    label: format!("{} · {p}", l.key),
                    value: v,
                    shown: days(v),
                })
            })
        })
        .collect();
    let opt = |v: Option<Decimal>, unit: &str| {
        v.map_or("—".to_string(), |v| format!("{} {unit}", v.normalize()))
    };
    html! {
        section aria-labelledby=(format!("{id}-h")) {
            h2 id=(format!("{id}-h")) { "By " (what) }
            div class="grid" {
                (charts::bars(&format!("{id}-on-time"), &format!("On-time % by {what}"), &on_time))
                (charts::bars(&format!("{id}-transit"), &format!("Transit days (p50, p90, p95) by {what}"), &transit))
            }
            (layout::table(&format!("Delivery by {what}"),
                &[heading, "Shipments", "Delivered", "On time", "p50", "p90", "p95", "Exceptions"],
                html! {
                    @for l in lines {
                        tr {
                            th scope="row" { (l.key) }
                            td class="num" { (l.shipments) }
                            td class="num" { (l.delivered) }
                            td class="num" { (opt(l.on_time_pct, "%")) }
                            td class="num" { (opt(l.p50_transit_days, "d")) }
                            td class="num" { (opt(l.p90_transit_days, "d")) }
                            td class="num" { (opt(l.p95_transit_days, "d")) }
                            td class="num" { (l.exceptions_pct) " %" }
                        }
                    }
                }))
        }
    }
}

async fn page(State(app): State<AppState>, op: Operator, Query(q): Query<Range>) -> Page {
    let today = OffsetDateTime::now_utc().date();
    let to =
        q.to.filter(|s| !s.is_empty())
            .unwrap_or_else(|| today.to_string());
    let from = q
        .from
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| (today - Duration::days(29)).to_string());
    let (start, end) = period(&from, &to)?;
    if end - start > Duration::days(MAX_DAYS) {
        return Err(PageError(Error::field(
            "/query/from",
            format!("a period of at most {MAX_DAYS} days"),
        )));
    }
    let rows = app.store.timeliness_rows(&op.0.tenant, start, end).await?;
    let by_carrier = timeliness(&rows, GroupBy::Carrier);
    let by_service = timeliness(&rows, GroupBy::Service);
    let by_lane = timeliness(&rows, GroupBy::Lane);
    let body = html! {
        form class="inline card" method="get" action="/console/analytics" aria-label="Period" {
            label { "From" input type="date" name="from" value=(from) required; }
            label { "To" input type="date" name="to" value=(to) required; }
            button type="submit" { "Show" }
        }
        p class="muted" {
            "Shipments bought from " (from) " to " (to) " (UTC), " (rows.len()) " in all. "
            "On time: delivered on or before the promised (else estimated) day. Transit: days from purchase to delivery."
        }
        (group("carrier", "carrier", "Carrier", &by_carrier))
        (group("service", "service", "Carrier/service", &by_service))
        (group("lane", "lane", "Lane (countries)", &by_lane))
    };
    Ok(layout::page(
        &op,
        "Analytics",
        "/console/analytics",
        &[],
        body,
    ))
}
