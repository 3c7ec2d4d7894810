//! Webhook endpoints as a tenant manages them: subscribe a URL (checked against the target
//! policy) to event types, edit, enable or disable, delete, and issue or rotate the signing
//! secret (stored encrypted; after a rotation the previous one signs on for the overlap).
//!
//! A change made under an idempotency key stores its answer in the change's own transaction;
//! the caller shapes that answer, so each change takes `stored`, which builds it from the
//! result (`None` without a key).

use time::OffsetDateTime;

use super::secret_aad;
use super::sign::WebhookSecret;
use crate::error::Error;
use crate::events::{ALL_EVENTS, EventType, Subscription};
use crate::ids::{TenantId, WebhookId};
use crate::outbound as target;
use crate::state::AppState;
use crate::store::{EndpointRecord, IdemCompletion};

/// A new endpoint, as asked for.
pub struct NewEndpoint {
    pub url: String,
    /// Event type names, or `["*"]`.
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// Changes to an endpoint; `None` leaves a field as it is.
pub struct EndpointPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// `true` re-enables a disabled endpoint and clears its failure run.
    pub enabled: Option<bool>,
}

/// An endpoint and the secret it was just given: the one time the secret is seen in clear.
pub struct WithSecret {
    pub endpoint: EndpointRecord,
    pub secret: WebhookSecret,
}

/// Subscribes a URL to events under a new secret.
pub async fn create(
    app: &AppState,
    tenant: &TenantId,
    new: NewEndpoint,
    stored: impl FnOnce(&EndpointRecord) -> Option<IdemCompletion>,
) -> Result<WithSecret, Error> {
    let events = check_events(&new.events)?;
    let description = check_description(new.description)?;
    let url = check_url(app, &new.url).await?;
    let id = WebhookId::generate();
    let secret = WebhookSecret::generate();
    let now = OffsetDateTime::now_utc();
    let endpoint = EndpointRecord {
        secret: seal(app, tenant, &id, &secret),
        id,
        url,
        description,
        events,
        enabled: true,
        disabled_reason: None,
        old_secret: None,
        old_secret_expires_at: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    };
    app.store
        .insert_endpoint(tenant, &endpoint, stored(&endpoint).as_ref())
        .await?;
    Ok(WithSecret { endpoint, secret })
}

pub async fn list(app: &AppState, tenant: &TenantId) -> Result<Vec<EndpointRecord>, Error> {
    Ok(app.store.list_endpoints(tenant).await?)
}

/// The endpoint `id` names (as given: anything but a webhook id is not found).
pub async fn get(app: &AppState, tenant: &TenantId, id: &str) -> Result<EndpointRecord, Error> {
    let id = WebhookId::parse(id).ok_or(Error::NotFound("webhook"))?;
    app.store
        .get_endpoint(tenant, &id)
        .await?
        .ok_or(Error::NotFound("webhook"))
}

/// The endpoint, which must be enabled: what is sent to a disabled one would only fail.
pub async fn get_enabled(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
) -> Result<EndpointRecord, Error> {
    let e = get(app, tenant, id).await?;
    if !e.enabled {
        return Err(Error::Conflict(format!(
            "webhook {} is disabled; enable it first",
            e.id
        )));
    }
    Ok(e)
}

/// Applies a patch. Re-enabling clears the failure run; deliveries that failed meanwhile are
/// replayed with a recovery (`deliveries::recover`).
pub async fn update(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
    patch: EndpointPatch,
) -> Result<EndpointRecord, Error> {
    let mut e = get(app, tenant, id).await?;
    if let Some(url) = patch.url {
        e.url = check_url(app, &url).await?;
    }
    if let Some(events) = patch.events {
        e.events = check_events(&events)?;
    }
    if patch.description.is_some() {
        e.description = check_description(patch.description)?;
    }
    match patch.enabled {
        Some(true) if !e.enabled => {
            e.enabled = true;
            e.disabled_reason = None;
            e.failing_since = None;
        }
        Some(false) if e.enabled => {
            e.enabled = false;
            e.disabled_reason = Some("disabled through the API".into());
        }
        _ => {}
    }
    e.updated_at = OffsetDateTime::now_utc();
    if !app.store.update_endpoint(tenant, &e).await? {
        return Err(Error::NotFound("webhook"));
    }
    Ok(e)
}

/// Deletes an endpoint; its pending deliveries are cancelled.
pub async fn delete(app: &AppState, tenant: &TenantId, id: &str) -> Result<(), Error> {
    let id = WebhookId::parse(id).ok_or(Error::NotFound("webhook"))?;
    if !app
        .store
        .delete_endpoint(tenant, &id, OffsetDateTime::now_utc())
        .await?
    {
        return Err(Error::NotFound("webhook"));
    }
    Ok(())
}

/// Issues a new secret. The previous one keeps signing (both signatures are sent) for the
/// rotation overlap, so receivers can switch without losing events.
pub async fn rotate_secret(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
    stored: impl FnOnce(&EndpointRecord) -> Option<IdemCompletion>,
) -> Result<WithSecret, Error> {
    let mut e = get(app, tenant, id).await?;
    let secret = WebhookSecret::generate();
    let now = OffsetDateTime::now_utc();
    let until = now + app.webhooks.settings.rotation_overlap;
    let sealed = seal(app, tenant, &e.id, &secret);
    e.old_secret = Some(e.secret.clone());
    e.old_secret_expires_at = Some(until);
    e.secret = sealed.clone();
    e.updated_at = now;
    if !app
        .store
        .rotate_endpoint_secret(tenant, &e.id, &sealed, until, now, stored(&e).as_ref())
        .await?
    {
        return Err(Error::NotFound("webhook"));
    }
    Ok(WithSecret {
        endpoint: e,
        secret,
    })
}

/// The subscription named by `events`: at least one type, each known and subscribable, or
/// `"*"` alone. Repeats are dropped.
pub fn check_events(events: &[String]) -> Result<Subscription, Error> {
    if events.is_empty() {
        return Err(Error::field(
            "/events",
            "name at least one event type, or \"*\"",
        ));
    }
    let mut kinds: Vec<EventType> = vec![];
    for (i, e) in events.iter().enumerate() {
        if e == ALL_EVENTS {
            if events.len() > 1 {
                return Err(Error::field(format!("/events/{i}"), "\"*\" stands alone"));
            }
            return Ok(Subscription::All);
        }
        let kind = e
            .parse::<EventType>()
            .ok()
            .filter(|k| k.subscribable())
            .ok_or_else(|| {
                let known: Vec<&str> = EventType::subscribable_all().map(|k| k.as_str()).collect();
                Error::field(
                    format!("/events/{i}"),
                    format!("unknown event type `{e}`; known: {}", known.join(", ")),
                )
            })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(Subscription::Only(kinds))
}

fn check_description(d: Option<String>) -> Result<Option<String>, Error> {
    match d.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()) {
        Some(d) if d.len() > 500 => Err(Error::field("/description", "at most 500 characters")),
        other => Ok(other),
    }
}

async fn check_url(app: &AppState, url: &str) -> Result<String, Error> {
    target::check_resolved(url, app.webhooks.settings.target)
        .await
        .map(|u| u.to_string())
        .map_err(|e| Error::field("/url", e))
}

/// The secret encrypted for this endpoint (bound to it and its tenant).
fn seal(
    app: &AppState,
    tenant: &TenantId,
    id: &WebhookId,
    secret: &WebhookSecret,
) -> (Vec<u8>, Vec<u8>) {
    app.master_key
        .encrypt(&secret_aad(tenant, id), secret.expose().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn pointer(e: Error) -> (String, String) {
        match e {
            Error::Validation(mut v) => {
                let p = v.remove(0);
                (p.pointer, p.detail)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn events_are_known_subscribable_types_without_repeats_or_a_lone_star() {
        assert_eq!(
            check_events(&names(&[
                "tracker.updated",
                "shipment.late",
                "tracker.updated"
            ]))
            .unwrap(),
            Subscription::Only(vec![EventType::TrackerUpdated, EventType::ShipmentLate])
        );
        assert_eq!(check_events(&names(&["*"])).unwrap(), Subscription::All);
        assert_eq!(
            pointer(check_events(&names(&["tracker.updated", "*"])).unwrap_err()),
            ("/events/1".into(), "\"*\" stands alone".into())
        );
        let (at, detail) = pointer(check_events(&names(&["webhook.test"])).unwrap_err());
        assert_eq!(at, "/events/0");
        assert!(
            detail.starts_with("unknown event type `webhook.test`; known: shipment.created, "),
            "{detail}"
        );
        assert!(
            detail.ends_with(", webhook.disabled, command.failed"),
            "{detail}"
        );
        assert_eq!(pointer(check_events(&[]).unwrap_err()).0, "/events");
    }
}
