//! `GET /v1/events`: the tenant's events, oldest first, in the envelope webhooks deliver
//! (`{"id","type","timestamp","data"}`). The same rows are the webhook outbox.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{Query, Tenant};
use super::responses::*;
use crate::error::Error;
use crate::ids::EventId;
use crate::state::AppState;
use crate::store::EventRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events))
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    /// Stable event id (the `webhook-id` of its deliveries).
    id: String,
    /// What happened; `data` is the subject as the API shows it at that moment (the
    /// answer of the request that caused it). `shipment.created`, `shipment.voided`,
    /// `shipment.void_requested` (data: the shipment); `tracker.updated`,
    /// `shipment.delivered`, `shipment.exception`, `shipment.stalled`, `shipment.late` (the
    /// tracker); `print_job.printed`, `print_job.failed`, `print_job.expired` (the print job);
    /// `reconciliation.completed`; `batch.completed` (the batch); `pickup.booked`,
    /// `pickup.cancelled` (the pickup, as `GET /v1/pickups/{id}`); `manifest.created` (the
    /// manifest, as `GET /v1/manifests/{id}`); `webhook.disabled`; `command.failed` (a
    /// command from a queue answered with a problem: `message_id`, `command`, `source`,
    /// `status` and the `problem` document); `webhook.test`.
    #[serde(rename = "type")]
    #[schema(example = "pickup.booked")]
    kind: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    timestamp: OffsetDateTime,
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

impl From<EventRecord> for EventOut {
    fn from(e: EventRecord) -> Self {
        EventOut {
            id: e.id.to_string(),
            kind: e.kind.as_str().to_string(),
            timestamp: e.created_at,
            data: e.data,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct EventParams {
    /// `next_cursor` from the previous page.
    #[param(pattern = "^evt_[0-9a-f]{32}$")]
    cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// Events, oldest first.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventParams), responses((status = 200, body = inline(List<EventOut>)), Auth, BadQuery))]
async fn list_events(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(p): Query<EventParams>,
) -> Result<axum::Json<List<EventOut>>, Error> {
    let limit = super::page_limit(p.limit, 50)?;
    let after = p
        .cursor
        .as_deref()
        .map(|c| {
            EventId::parse(c)
                .ok_or_else(|| Error::field("/query/cursor", "not a cursor from this API"))
        })
        .transpose()?;
    let events = app
        .store
        .list_events(&tenant, after.as_ref(), limit)
        .await?;
    let next_cursor = (events.len() == limit as usize)
        .then(|| events.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(axum::Json(List {
        data: events.into_iter().map(EventOut::from).collect(),
        next_cursor,
    }))
}
