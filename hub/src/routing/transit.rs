//! Transit statistics from the histograms: exact nearest-rank percentiles of whole business
//! days and the on-time rate against the carrier's promise, per carrier service on a lane.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use time::Date;

use crate::error::Error;
use crate::ids::TenantId;
use crate::store::Store;
use crate::store::routing::{LaneEnd, TransitBar, TransitFilter, normalize_postal};

/// The percentiles every answer carries.
pub const PERCENTILES: [u32; 5] = [50, 75, 90, 95, 99];

/// What the history says about one carrier service on one lane.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TransitStats {
    pub carrier: String,
    pub service: String,
    /// Deliveries in the window.
    pub samples: u64,
    /// Business days in transit at the 50th … 99th percentile (nearest rank: the smallest
    /// number of days that at least that share of deliveries took no more than).
    pub p50: u32,
    pub p75: u32,
    pub p90: u32,
    pub p95: u32,
    pub p99: u32,
    /// Deliveries on or before the carrier's promised (else estimated) date, of those that
    /// had one; null when none had.
    #[schema(value_type = Option<String>)]
    pub on_time_rate: Option<Decimal>,
    /// Deliveries that had a promise.
    pub promised: u64,
    /// Transit days (as JSON object keys, strings) → deliveries.
    #[schema(value_type = std::collections::HashMap<String, u64>)]
    pub histogram: BTreeMap<u32, u64>,
}

impl TransitStats {
    /// The transit days at `quantile` (0 < q ≤ 1), nearest rank.
    pub fn at(&self, quantile: Decimal) -> u32 {
        percentile(&self.histogram, self.samples, quantile)
    }
}

/// Nearest-rank percentile of a histogram of `total` samples: the smallest value whose
/// cumulative count reaches ⌈q·total⌉ (at least 1).
pub fn percentile(hist: &BTreeMap<u32, u64>, total: u64, q: Decimal) -> u32 {
    let rank = (q * Decimal::from(total)).ceil();
    let rank = u64::try_from(rank).unwrap_or(total).clamp(1, total.max(1));
    let mut seen = 0;
    for (&days, &n) in hist {
        seen += n;
        if seen >= rank {
            return days;
        }
    }
    hist.keys().next_back().copied().unwrap_or(0)
}

/// Bars summed under one key: a histogram of transit days and the promise counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub samples: u64,
    pub promised: u64,
    pub on_time: u64,
    pub histogram: BTreeMap<u32, u64>,
}

impl Summary {
    fn add(&mut self, b: &TransitBar) {
        let days = u32::try_from(b.transit_days.max(0)).unwrap_or(u32::MAX);
        let n = b.deliveries.max(0) as u64;
        *self.histogram.entry(days).or_default() += n;
        self.samples += n;
        self.promised += b.promised.max(0) as u64;
        self.on_time += b.on_time.max(0) as u64;
    }

    /// The transit days at the `pct`th percentile, nearest rank.
    pub fn at(&self, pct: u32) -> u32 {
        percentile(
            &self.histogram,
            self.samples,
            Decimal::new(i64::from(pct), 2),
        )
    }

    /// On time of those promised, as a fraction to 4 places; `None` when none was promised.
    pub fn on_time_rate(&self) -> Option<Decimal> {
        (self.promised > 0)
            .then(|| (Decimal::from(self.on_time) / Decimal::from(self.promised)).round_dp(4))
    }
}

/// Sums bars under the key each is given (a carrier service, a lane, …), keys in order.
pub fn summarize<'a, K: Ord>(
    bars: impl IntoIterator<Item = (K, &'a TransitBar)>,
) -> BTreeMap<K, Summary> {
    let mut by: BTreeMap<K, Summary> = BTreeMap::new();
    for (k, b) in bars {
        by.entry(k).or_default().add(b);
    }
    by
}

/// Folds histogram bars (any number per carrier service, e.g. one per prefix) into stats.
pub fn fold(bars: &[TransitBar]) -> Vec<TransitStats> {
    summarize(
        bars.iter()
            .map(|b| ((b.carrier.clone(), b.service_code.clone()), b)),
    )
    .into_iter()
    .map(|((carrier, service), s)| TransitStats {
        carrier,
        service,
        samples: s.samples,
        p50: s.at(50),
        p75: s.at(75),
        p90: s.at(90),
        p95: s.at(95),
        p99: s.at(99),
        on_time_rate: s.on_time_rate(),
        promised: s.promised,
        histogram: s.histogram,
    })
    .collect()
}

/// A lane end at `prefix` characters of its postal code.
pub fn lane_end(country: &str, postal: Option<&str>, prefix: u8) -> LaneEnd {
    LaneEnd {
        country: country.to_ascii_uppercase(),
        prefix: normalize_postal(postal.unwrap_or(""))
            .chars()
            .take(usize::from(prefix))
            .collect(),
    }
}

/// How a lane is written in answers: `US:100>US:941` (`US>DE` at country granularity).
pub fn lane_name(from: &LaneEnd, to: &LaneEnd) -> String {
    let end = |e: &LaneEnd| match e.prefix.is_empty() {
        true => e.country.clone(),
        false => format!("{}:{}", e.country, e.prefix),
    };
    format!("{}>{}", end(from), end(to))
}

/// A query for the transit history.
pub struct Lookup<'a> {
    pub carrier: Option<&'a str>,
    pub service: Option<&'a str>,
    pub from: LaneEnd,
    pub to: LaneEnd,
    pub today: Date,
    pub window_days: u32,
}

/// The stats of every carrier service (or the one asked for) on a lane, over the window.
pub async fn lookup(
    store: &Store,
    tenant: &TenantId,
    l: Lookup<'_>,
) -> Result<Vec<TransitStats>, Error> {
    let f = TransitFilter {
        carrier: l.carrier.map(str::to_string),
        service_code: l.service.map(str::to_string),
        from: l.from,
        to: l.to,
        since: l.today - time::Duration::days(i64::from(l.window_days.max(1)) - 1),
        until: l.today,
    };
    Ok(fold(&store.transit_bars(tenant, &f).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute(mut xs: Vec<u32>, q: Decimal) -> u32 {
        xs.sort_unstable();
        let rank = (q * Decimal::from(xs.len())).ceil();
        let rank = usize::try_from(rank).unwrap().clamp(1, xs.len());
        xs[rank - 1]
    }

    #[test]
    fn nearest_rank_of_a_small_histogram() {
        // 1,1,2,2,2,3,3,4,6,9 → p50 = 5th = 2, p90 = 9th = 6, p99 = 10th = 9.
        let xs = vec![1, 1, 2, 2, 2, 3, 3, 4, 6, 9];
        let bars: Vec<TransitBar> = xs
            .iter()
            .map(|&d| TransitBar {
                carrier: "ups".into(),
                service_code: "03".into(),
                transit_days: i64::from(d),
                deliveries: 1,
                promised: 1,
                on_time: i64::from(d <= 3),
            })
            .collect();
        let s = &fold(&bars)[0];
        assert_eq!(
            (s.samples, s.p50, s.p75, s.p90, s.p95, s.p99),
            (10, 2, 4, 6, 9, 9)
        );
        assert_eq!(s.on_time_rate, Some(Decimal::new(7, 1)));
    }

    proptest! {
        #[test]
        fn histogram_percentiles_equal_sorting_every_sample(
            xs in proptest::collection::vec(0u32..40, 1..300),
            q in 1u32..=100,
        ) {
            let mut hist = BTreeMap::new();
            for &x in &xs {
                *hist.entry(x).or_insert(0u64) += 1;
            }
            let q = Decimal::new(i64::from(q), 2);
            prop_assert_eq!(percentile(&hist, xs.len() as u64, q), brute(xs, q));
        }
    }
}
