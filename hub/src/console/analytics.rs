//! Delivery analytics: on-time % and transit percentiles (p50, p90, p95 business days) by
//! carrier, by service and by country lane, for the parcels delivered in a period, as charts
//! with their numbers. Read from the day buckets every delivery is counted in
//! (`transit_by_country`, fed with the routing's histograms), so a page costs the same on a
//! million shipments as on a hundred, and its figures are the ones smart routing decides by.

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
use crate::routing::transit::{Summary, summarize};
use crate::state::AppState;
use crate::store::routing::CountryBar;
use crate::tracking::analytics::period;

/// The longest period a page reads.
const MAX_DAYS: i64 = 366;
/// The percentiles drawn and listed.
const SHOWN: [u32; 3] = [50, 90, 95];

pub fn router() -> Router<AppState> {
    Router::new().route("/console/analytics", get(page))
}

#[derive(Deserialize)]
pub struct Range {
    from: Option<String>,
    to: Option<String>,
}

/// On time of those promised, as a percentage to one place.
fn on_time_pct(s: &Summary) -> Option<Decimal> {
    s.on_time_rate().map(|r| {
        let mut p = (r * Decimal::ONE_HUNDRED).round_dp(1);
        p.rescale(1);
        p
    })
}

/// The three groupings of one period's bars: by carrier, by `carrier/service`, by
/// `FROM>TO` countries (the routing's lane notation).
fn groups(bars: &[CountryBar]) -> [Vec<(String, Summary)>; 3] {
    let by = |key: fn(&CountryBar) -> String| {
        summarize(bars.iter().map(|b| (key(b), &b.bar)))
            .into_iter()
            .collect::<Vec<_>>()
    };
    [
        by(|b| b.bar.carrier.clone()),
        by(|b| format!("{}/{}", b.bar.carrier, b.bar.service_code)),
        by(|b| format!("{}>{}", b.from_country, b.to_country)),
    ]
}

fn group(id: &str, what: &str, heading: &str, lines: &[(String, Summary)]) -> Markup {
    let on_time: Vec<Bar> = lines
        .iter()
        .filter_map(|(key, s)| {
            on_time_pct(s).map(|p| Bar {
                label: key.clone(),
                value: p,
                shown: format!("{p} %"),
            })
        })
        .collect();
    let transit: Vec<Bar> = lines
        .iter()
        .flat_map(|(key, s)| {
            SHOWN.map(|p| Bar {
                label: format!("{key} · p{p}"),
                value: Decimal::from(s.at(p)),
                shown: format!("{} d", s.at(p)),
            })
        })
        .collect();
    html! {
        section aria-labelledby=(format!("{id}-h")) {
            h2 id=(format!("{id}-h")) { "By " (what) }
            div class="grid" {
                (charts::bars(&format!("{id}-on-time"), &format!("On-time % by {what}"), &on_time))
                (charts::bars(&format!("{id}-transit"), &format!("Transit business days (p50, p90, p95) by {what}"), &transit))
            }
            (layout::table(&format!("Delivery by {what}"),
                &[heading, "Delivered", "Promised", "On time", "p50", "p90", "p95"],
                html! {
                    @for (key, s) in lines {
                        tr {
                            th scope="row" { (key) }
                            td class="num" { (s.samples) }
                            td class="num" { (s.promised) }
                            td class="num" { (on_time_pct(s).map_or("—".to_string(), |p| format!("{p} %"))) }
                            @for p in SHOWN {
                                td class="num" { (s.at(p)) " d" }
                            }
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
    let bars = app
        .store
        .transit_by_country(&op.0.tenant, start.date(), (end - Duration::days(1)).date())
        .await?;
    let [by_carrier, by_service, by_lane] = groups(&bars);
    let delivered: u64 = by_carrier.iter().map(|(_, s)| s.samples).sum();
    let body = html! {
        form class="inline card" method="get" action="/console/analytics" aria-label="Period" {
            label { "From" input type="date" name="from" value=(from) required; }
            label { "To" input type="date" name="to" value=(to) required; }
            button type="submit" { "Show" }
        }
        p class="muted" {
            "Parcels delivered from " (from) " to " (to) " (UTC): " (delivered) ". "
            "On time: delivered on or before the carrier's promised (else estimated) day, of those that had one. "
            "Transit: business days from the ship day to delivery, the figures smart routing chooses by."
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::routing::TransitBar;

    fn bar(service: &str, to: &str, days: i64, n: i64, promised: i64, on_time: i64) -> CountryBar {
        CountryBar {
            from_country: "CN".into(),
            to_country: to.into(),
            bar: TransitBar {
                carrier: "sf".into(),
                service_code: service.into(),
                transit_days: days,
                deliveries: n,
                promised,
                on_time,
            },
        }
    }

    #[test]
    fn one_periods_bars_grouped_three_ways() {
        let bars = [
            bar("standard", "US", 3, 6, 6, 5),
            bar("standard", "DE", 5, 3, 0, 0),
            bar("express", "US", 1, 1, 1, 1),
        ];
        let [carrier, service, lane] = groups(&bars);
        // Ten deliveries: 1×1 d, 6×3 d, 3×5 d; nearest rank p50 = 5th → 3 d, p90 = 9th → 5 d.
        assert_eq!(carrier.len(), 1);
        let (key, s) = &carrier[0];
        assert_eq!(
            (key.as_str(), s.samples, s.at(50), s.at(90)),
            ("sf", 10, 3, 5)
        );
        // Six of seven promised were on time; the three without a promise do not count.
        assert_eq!(on_time_pct(s), Some(Decimal::new(857, 1)));
        let keys: Vec<&str> = service.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["sf/express", "sf/standard"]);
        let de = lane.iter().find(|(k, _)| k == "CN>DE").unwrap();
        assert_eq!((de.1.samples, on_time_pct(&de.1)), (3, None));
    }
}
