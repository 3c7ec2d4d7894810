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
