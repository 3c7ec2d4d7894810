//! When an endpoint is disabled: at once when it answers 410 Gone, or when every attempt has
//! failed for `disable_after`. The store records each endpoint's failure run and asks this rule,
//! in the same transaction, whether the endpoint must go.

use std::time::Duration;

use crate::store::{EndpointHealth, millis};

/// The reason given when an endpoint answered 410 Gone.
pub const GONE: &str = "the endpoint answered 410 Gone";

/// The disable rule for `disable_after`: the reason to disable an endpoint in the given health,
/// or `None` to keep it.
pub fn disable_rule(disable_after: Duration) -> impl Fn(&EndpointHealth) -> Option<String> {
    move |h: &EndpointHealth| {
        if h.gone {
            return Some(GONE.to_string());
        }
        let since = h.failing_since?;
        let last = h.last_failure?;
        // Compared in whole milliseconds, as the store keeps times.
        (millis(since) <= millis(last) - disable_after.as_millis() as i64).then(|| {
            format!(
                "every attempt failed since {}",
                since
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            )
        })
    }
}
