//! Deliveries as a tenant sees and steers them: list them with their attempts, send a test
//! event to one endpoint, resend one delivery, and recover an endpoint after an outage (replay
//! what it missed). Each queued delivery wakes this instance's dispatcher. Changes take
//! `stored`, as in `endpoints`.

use time::OffsetDateTime;

use super::endpoints;
use crate::error::Error;
use crate::events::EventType;
use crate::ids::{DeliveryId, EventId, TenantId};
use crate::state::AppState;
use crate::store::{
    AttemptRecord, DeliveryRecord, DeliveryStatus, IdemCompletion, NewEvent, RecoverFrom,
};

/// A queued `webhook.test` event and its one delivery.
pub struct TestQueued {
    pub event_id: EventId,
    pub delivery_id: DeliveryId,
}

/// Sends a `webhook.test` event to this (enabled) endpoint only.
pub async fn send_test(
    app: &AppState,
    tenant: &TenantId,
    endpoint: &str,
    stored: impl FnOnce(&TestQueued) -> Option<IdemCompletion>,
) -> Result<TestQueued, Error> {
    let e = endpoints::get_enabled(app, tenant, endpoint).await?;
    let event = NewEvent {
        kind: EventType::WebhookTest,
        subject_id: e.id.to_string(),
        data: serde_json::json!({
            "webhook_id": e.id.as_str(),
            "message": "a test event from shiphub",
        }),
    };
    let queued = TestQueued {
        event_id: EventId::generate(),
        delivery_id: DeliveryId::generate(),
    };
    app.store
        .insert_test_event(
            tenant,
            &e.id,
            &queued.event_id,
            &queued.delivery_id,
            &event,
            OffsetDateTime::now_utc(),
            stored(&queued).as_ref(),
        )
        .await?;
    app.webhooks.wake.notify_one();
    Ok(queued)
}

/// The endpoint's deliveries, newest first; `before` is the cursor.
pub async fn list(
    app: &AppState,
    tenant: &TenantId,
    endpoint: &str,
    status: Option<DeliveryStatus>,
    before: Option<&DeliveryId>,
    limit: u32,
) -> Result<Vec<DeliveryRecord>, Error> {
    let e = endpoints::get(app, tenant, endpoint).await?;
    Ok(app
        .store
        .list_deliveries(tenant, &e.id, status, before, limit)
        .await?)
}

/// One delivery of the endpoint, with every attempt, oldest first.
pub async fn get(
    app: &AppState,
    tenant: &TenantId,
    endpoint: &str,
    id: &str,
) -> Result<(DeliveryRecord, Vec<AttemptRecord>), Error> {
    let e = endpoints::get(app, tenant, endpoint).await?;
    let d = load(app, tenant, &e.id, id).await?;
    let attempts = app.store.list_attempts(tenant, &d.id).await?;
    Ok((d, attempts))
}

/// Sends a delivery once more now, whatever its state: tried once, a failure is not
/// rescheduled. Returns the delivery as it now stands.
pub async fn resend(
    app: &AppState,
    tenant: &TenantId,
    endpoint: &str,
    id: &str,
    stored: impl FnOnce(&DeliveryRecord) -> Option<IdemCompletion>,
) -> Result<DeliveryRecord, Error> {
    let e = endpoints::get_enabled(app, tenant, endpoint).await?;
    let now = OffsetDateTime::now_utc();
    let d = DeliveryRecord {
        status: DeliveryStatus::Pending,
        next_attempt_at: Some(now),
        updated_at: now,
        ..load(app, tenant, &e.id, id).await?
    };
    if !app
        .store
        .resend_delivery(tenant, &e.id, &d.id, now, stored(&d).as_ref())
        .await?
    {
        return Err(Error::NotFound("delivery"));
    }
    app.webhooks.wake.notify_one();
    Ok(d)
}

/// Replays to an (enabled) endpoint every subscribed event since `from` that it did not get:
/// failed deliveries and events that arrived while it was disabled, each tried once. Returns
/// how many were queued; that count is known only inside the transaction that also stores the
/// answer, so `stored` builds it from the count.
pub async fn recover(
    app: &AppState,
    tenant: &TenantId,
    endpoint: &str,
    from: RecoverFrom,
    stored: impl Fn(u64) -> Option<IdemCompletion> + Sync,
) -> Result<u64, Error> {
    let e = endpoints::get_enabled(app, tenant, endpoint).await?;
    let queued = app
        .store
        .recover_endpoint(tenant, &e, from, OffsetDateTime::now_utc(), &stored)
        .await?;
    app.webhooks.wake.notify_one();
    Ok(queued)
}

async fn load(
    app: &AppState,
    tenant: &TenantId,
    endpoint: &crate::ids::WebhookId,
    id: &str,
) -> Result<DeliveryRecord, Error> {
    let id = DeliveryId::parse(id).ok_or(Error::NotFound("delivery"))?;
    app.store
        .get_delivery(tenant, endpoint, &id)
        .await?
        .ok_or(Error::NotFound("delivery"))
}
