//! When an endpoint is disabled: at once when it answers 410 Gone, or when every attempt has
//! failed for `disable_after`. The store records each endpoint's failure run and asks this rule,
//! in the same transaction, whether the endpoint must go. No SQL here: the store disables.

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

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const FIVE_DAYS: Duration = Duration::from_secs(5 * 24 * 3600);

    fn health(since: Option<time::OffsetDateTime>, last: time::OffsetDateTime) -> EndpointHealth {
        EndpointHealth {
            gone: false,
            failing_since: since,
            last_failure: Some(last),
        }
    }

    #[test]
    fn gone_disables_at_once() {
        let h = EndpointHealth {
            gone: true,
            failing_since: None,
            last_failure: None,
        };
        assert_eq!(disable_rule(FIVE_DAYS)(&h).as_deref(), Some(GONE));
    }

    #[test]
    fn failing_for_the_whole_period_disables_and_not_a_millisecond_before() {
        let since = datetime!(2026-11-01 12:00 UTC);
        let rule = disable_rule(FIVE_DAYS);
        assert_eq!(
            rule(&health(Some(since), since + FIVE_DAYS)).as_deref(),
            Some("every attempt failed since 2026-11-01T12:00:00Z")
        );
        let just_short = since + FIVE_DAYS - time::Duration::milliseconds(1);
        assert_eq!(rule(&health(Some(since), just_short)), None);
        // No open failure run (the endpoint is gone from the store): nothing to disable.
        assert_eq!(rule(&health(None, since + FIVE_DAYS)), None);
    }
}
