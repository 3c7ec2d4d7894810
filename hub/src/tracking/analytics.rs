//! Timeliness: per carrier, service or lane — shipments, delivered, on-time %, p50/p90
//! transit days, exceptions %. Computed over the trackers of shipments bought in a period.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use shiphub_carriers::model::TrackingStatus;
use time::{Date, OffsetDateTime, Time};

use super::parse_date;
use crate::error::Error;
use crate::store::TimelinessRow;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Carrier,
    Service,
    Lane,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Carrier => "carrier",
            GroupBy::Service => "service",
            GroupBy::Lane => "lane",
        }
    }
}

impl std::str::FromStr for GroupBy {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        [GroupBy::Carrier, GroupBy::Service, GroupBy::Lane]
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or(())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelinessLine {
    /// The carrier, `carrier/service`, or `FROM-TO` countries.
    pub key: String,
    pub shipments: u64,
    pub delivered: u64,
    /// Delivered on or before the promised (else estimated) date, of those delivered with a date.
    #[schema(value_type = Option<String>)]
    pub on_time_pct: Option<Decimal>,
    /// Days from purchase to delivery.
    #[schema(value_type = Option<String>)]
    pub p50_transit_days: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub p90_transit_days: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub p95_transit_days: Option<Decimal>,
    /// Shipments that had an exception (failed attempt, hold, return, …).
    #[schema(value_type = String)]
    pub exceptions_pct: Decimal,
}

fn key(row: &TimelinessRow, by: GroupBy) -> String {
    match by {
        GroupBy::Carrier => row.carrier.clone(),
        GroupBy::Service => format!("{}/{}", row.carrier, row.service_code),
        GroupBy::Lane => format!(
            "{}-{}",
            row.from_country.as_deref().unwrap_or("??"),
            row.to_country.as_deref().unwrap_or("??")
        ),
    }
}

fn pct(part: u64, whole: u64) -> Decimal {
    if whole == 0 {
        return Decimal::ZERO;
    }
    let mut p = (Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole)).round_dp(1);
    p.rescale(1);
    p
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Decimal], p: u32) -> Option<Decimal> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// A period of purchase days (`from` and `to`, YYYY-MM-DD, both inclusive) as instants: `from`
/// 00:00 UTC to the day after `to`. Errors name the days as the query parameters they are
/// (`/query/from`, `/query/to`; the CLI says `--from`, `--to`).
pub fn period(from: &str, to: &str) -> Result<(OffsetDateTime, OffsetDateTime), Error> {
    let day = |s: &str, field: &str| {
        parse_date(s).ok_or_else(|| Error::field(field, "must be a date, YYYY-MM-DD"))
    };
    let (f, t): (Date, Date) = (day(from, "/query/from")?, day(to, "/query/to")?);
    if t < f {
        return Err(Error::field("/query/to", "must not be before `from`"));
    }
    Ok((
        f.with_time(Time::MIDNIGHT).assume_utc(),
        t.next_day()
            .unwrap_or(t)
            .with_time(Time::MIDNIGHT)
            .assume_utc(),
    ))
}

pub fn timeliness(rows: &[TimelinessRow], by: GroupBy) -> Vec<TimelinessLine> {
    let mut groups: BTreeMap<String, Vec<&TimelinessRow>> = BTreeMap::new();
    for r in rows {
        groups.entry(key(r, by)).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(key, rs)| {
            let shipments = rs.len() as u64;
            let delivered: Vec<_> = rs
                .iter()
                .filter(|r| r.status == TrackingStatus::Delivered && r.delivered_at.is_some())
                .collect();
            let mut with_date = 0;
            let mut on_time = 0;
            let mut transit: Vec<Decimal> = vec![];
            for r in &delivered {
                let at = r.delivered_at.expect("filtered");
                let secs = (at - r.shipped_at).whole_seconds().max(0);
                transit.push((Decimal::from(secs) / Decimal::from(86_400)).round_dp(1));
                let due = r
                    .promised_date
                    .as_deref()
                    .or(r.estimated_delivery.as_deref())
                    .and_then(parse_date);
                if let Some(d) = due {
                    with_date += 1;
                    if at.date() <= d {
                        on_time += 1;
                    }
                }
            }
            transit.sort();
            TimelinessLine {
                key,
                shipments,
                delivered: delivered.len() as u64,
                on_time_pct: (with_date > 0).then(|| pct(on_time, with_date)),
                p50_transit_days: percentile(&transit, 50),
                p90_transit_days: percentile(&transit, 90),
                p95_transit_days: percentile(&transit, 95),
                exceptions_pct: pct(
                    rs.iter().filter(|r| r.had_exception).count() as u64,
                    shipments,
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use time::macros::datetime;

    fn row(carrier: &str, days: Option<i64>, promised: &str, exception: bool) -> TimelinessRow {
        let shipped = datetime!(2026-11-02 10:00 UTC);
        TimelinessRow {
            carrier: carrier.into(),
            service_code: "ground".into(),
            from_country: Some("US".into()),
            to_country: Some("CA".into()),
            status: if days.is_some() {
                TrackingStatus::Delivered
            } else {
                TrackingStatus::InTransit
            },
            shipped_at: shipped,
            delivered_at: days.map(|d| shipped + time::Duration::days(d)),
            promised_date: Some(promised.into()),
            estimated_delivery: None,
            had_exception: exception,
        }
    }

    #[test]
    fn on_time_percentiles_and_exceptions_per_group() {
        let rows = vec![
            row("ups", Some(2), "2026-11-04", false), // on time
            row("ups", Some(3), "2026-11-04", true),  // a day late, had an exception
            row("ups", Some(5), "2026-11-09", false), // on time
            row("ups", None, "2026-11-04", false),    // not delivered
            row("fedex", Some(1), "2026-11-03", false),
        ];
        let by_carrier = timeliness(&rows, GroupBy::Carrier);
        assert_eq!(by_carrier[0].key, "fedex");
        let ups = &by_carrier[1];
        assert_eq!((ups.shipments, ups.delivered), (4, 3));
        assert_eq!(ups.on_time_pct, Some(dec!(66.7)));
        assert_eq!(ups.p50_transit_days, Some(dec!(3)));
        assert_eq!(ups.p90_transit_days, Some(dec!(5)));
        assert_eq!(ups.p95_transit_days, Some(dec!(5)));
        assert_eq!(ups.exceptions_pct, dec!(25));
        let lanes = timeliness(&rows, GroupBy::Lane);
        assert_eq!(lanes.len(), 1);
        assert_eq!(lanes[0].key, "US-CA");
        assert_eq!(timeliness(&rows, GroupBy::Service)[1].key, "ups/ground");
    }
}
