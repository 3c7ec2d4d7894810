//! Smart routing (issue 21): transit-time percentiles and on-time rates learnt from the
//! tenant's own deliveries (`transit`), the tenant's routing rules (`rules`), the strategies
//! that choose among quotes with them (`choose`), and the cost report (`cost`). Knows nothing
//! of HTTP; the histograms live in `store::routing`, fed by the tracking path.

pub mod choose;
pub mod cost;
pub mod rules;
pub mod transit;

use serde::{Deserialize, Serialize};

/// A tenant's routing settings (the `settings` of its rules document).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Deliveries of the last this many days count (the sliding window).
    #[schema(minimum = 1, maximum = 730)]
    pub window_days: u32,
    /// Lane granularity: how many leading characters of the origin and destination postal
    /// codes make a lane (0: country to country; at most 5).
    #[schema(minimum = 0, maximum = 5)]
    pub lane_prefix: u8,
    /// Fewer deliveries than this on a lane is a thin history: quotes use the carrier's own
    /// estimate instead.
    #[schema(minimum = 1, maximum = 100000)]
    pub min_samples: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            window_days: 90,
            lane_prefix: 3,
            min_samples: 20,
        }
    }
}

/// Rules and lane statistics, kept briefly per tenant so a rate request does not pay two
/// queries (the hottest read: see BENCHMARKS.md). This instance drops a tenant's rules when
/// it stores new ones; other instances, and deliveries counted since, show within `ttl`.
pub struct Cache {
    ttl: std::time::Duration,
    rules: std::sync::Mutex<Entries<crate::ids::TenantId, rules::RulesDocument>>,
    lanes: std::sync::Mutex<Entries<LaneKey, Vec<transit::TransitStats>>>,
}

type Entries<K, V> = std::collections::HashMap<K, (std::time::Instant, std::sync::Arc<V>)>;

/// A tenant's lane (its name at the tenant's granularity), window and last day.
pub type LaneKey = (crate::ids::TenantId, String, u32, time::Date);

impl Default for Cache {
    fn default() -> Self {
        Cache::new(std::time::Duration::from_secs(5))
    }
}

impl Cache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Cache {
            ttl,
            rules: Default::default(),
            lanes: Default::default(),
        }
    }

    fn get<K: std::hash::Hash + Eq, V>(
        &self,
        map: &std::sync::Mutex<Entries<K, V>>,
        k: &K,
    ) -> Option<std::sync::Arc<V>> {
        let map = map.lock().expect("routing cache lock");
        map.get(k)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    fn put<K: std::hash::Hash + Eq, V>(
        &self,
        map: &std::sync::Mutex<Entries<K, V>>,
        k: K,
        v: std::sync::Arc<V>,
    ) {
        let mut map = map.lock().expect("routing cache lock");
        if map.len() > 10_000 {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        map.insert(k, (std::time::Instant::now(), v));
    }

    pub fn rules(&self, t: &crate::ids::TenantId) -> Option<std::sync::Arc<rules::RulesDocument>> {
        self.get(&self.rules, t)
    }

    pub fn put_rules(&self, t: crate::ids::TenantId, doc: std::sync::Arc<rules::RulesDocument>) {
        self.put(&self.rules, t, doc)
    }

    /// Forgets a tenant's rules (it stored new ones).
    pub fn drop_rules(&self, t: &crate::ids::TenantId) {
        self.rules.lock().expect("routing cache lock").remove(t);
    }

    pub fn lane(&self, k: &LaneKey) -> Option<std::sync::Arc<Vec<transit::TransitStats>>> {
        self.get(&self.lanes, k)
    }

    pub fn put_lane(&self, k: LaneKey, v: std::sync::Arc<Vec<transit::TransitStats>>) {
        self.put(&self.lanes, k, v)
    }
}
