//! Webhooks per the Standard Webhooks spec: endpoints and their secrets (`endpoints`), what a
//! tenant sees and steers of deliveries (`deliveries`: test events, resends, recovery),
//! signing (`sign`), the retry schedule (`schedule`) and the dispatcher that fans outbox events
//! out to endpoints and delivers them (`dispatcher`). Which URLs may receive them is the
//! hub-wide target policy (`crate::outbound`); when an endpoint is disabled is `disable`'s
//! rule; which events exist is `crate::events`. No HTTP here: `api::webhooks` is the face,
//! rows live in `store::webhooks`.

pub mod deliveries;
pub mod disable;
pub mod dispatcher;
pub mod endpoints;
pub mod schedule;
pub mod sign;

use std::time::Duration;

use tokio::sync::Notify;

use crate::ids::{TenantId, WebhookId};
use crate::outbound::TargetPolicy;
use schedule::RetrySchedule;

/// Delivery policy, from the `serve` flags.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    pub schedule: RetrySchedule,
    /// Per attempt: connect, send and the receiver's answer.
    pub timeout: Duration,
    /// How long a claimed delivery is held before another instance may take it over. Longer
    /// than `timeout`, so a live instance never loses a delivery it is still sending.
    pub lease: Duration,
    /// How often an idle dispatcher looks for new events and due retries.
    pub poll: Duration,
    /// An endpoint whose every attempt failed for this long is disabled.
    pub disable_after: Duration,
    /// How long the previous secret keeps signing after a rotation.
    pub rotation_overlap: Duration,
    pub target: TargetPolicy,
    /// Attempts in flight at once (per instance).
    pub concurrency: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            schedule: RetrySchedule::default(),
            timeout: Duration::from_secs(15),
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(100),
            disable_after: Duration::from_secs(5 * 24 * 3600),
            rotation_overlap: Duration::from_secs(24 * 3600),
            target: TargetPolicy::default(),
            concurrency: 256,
        }
    }
}

/// The webhook settings and the dispatcher's wake-up (rung when this instance queues work).
#[derive(Debug, Default)]
pub struct Webhooks {
    pub settings: WebhookSettings,
    pub wake: Notify,
}

impl Webhooks {
    pub fn new(settings: WebhookSettings) -> Self {
        Self {
            settings,
            wake: Notify::new(),
        }
    }
}

/// Associated data binding an endpoint's encrypted secret to its tenant and endpoint.
pub fn secret_aad(tenant: &TenantId, endpoint: &WebhookId) -> String {
    format!("{tenant}/{endpoint}")
}
