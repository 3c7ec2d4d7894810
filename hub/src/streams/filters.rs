//! Which of a tenant's events go out on the event streams: its subscription, the same list of
//! event names a webhook endpoint takes (`["*"]`, the default, for every subscribable type).
//! The relay reads every tenant's list every few seconds.

use time::OffsetDateTime;

use crate::error::Error;
use crate::events::Subscription;
use crate::ids::TenantId;
use crate::state::AppState;

/// The tenant's stream subscription (every type unless it chose).
pub async fn get(app: &AppState, tenant: &TenantId) -> Result<Subscription, Error> {
    Ok(app
        .store
        .stream_filter(tenant)
        .await?
        .unwrap_or(Subscription::All))
}

/// Sets the tenant's stream subscription; `events` is checked as a webhook endpoint's is.
pub async fn set(
    app: &AppState,
    tenant: &TenantId,
    events: &[String],
) -> Result<Subscription, Error> {
    let sub = crate::webhooks::endpoints::check_events(events)?;
    app.store
        .set_stream_filter(tenant, &sub, OffsetDateTime::now_utc())
        .await?;
    Ok(sub)
}
