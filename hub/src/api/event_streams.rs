//! `GET`/`PUT /v1/event-streams/subscription`: which of the tenant's events the hub relays to
//! the operator's message brokers (`--events-to`). The brokers themselves are the operator's
//! (command line), never shown to tenants.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{JsonBody, Tenant};
use super::responses::*;
use crate::error::Error;
use crate::events::Subscription;
use crate::state::AppState;
use crate::streams::filters;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_subscription, put_subscription))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamSubscriptionIn {
    /// Event types to relay, or `["*"]` for all (the default).
    #[schema(example = json!(["shipment.created", "shipment.delivered"]))]
    events: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StreamSubscriptionOut {
    /// Event types relayed, `["*"]` for all.
    events: Vec<String>,
}

fn out(s: Subscription) -> axum::Json<StreamSubscriptionOut> {
    axum::Json(StreamSubscriptionOut {
        events: s.names().into_iter().map(String::from).collect(),
    })
}

/// The event types relayed to the event streams.
#[utoipa::path(get, path = "/v1/event-streams/subscription", tag = "events",
    responses((status = 200, body = StreamSubscriptionOut), Auth))]
async fn get_subscription(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<StreamSubscriptionOut>, Error> {
    Ok(out(filters::get(&app, &tenant).await?))
}

/// Chooses the event types relayed to the event streams (applies within seconds).
#[utoipa::path(put, path = "/v1/event-streams/subscription", tag = "events",
    request_body = StreamSubscriptionIn,
    responses((status = 200, body = StreamSubscriptionOut), Auth, BadBody))]
async fn put_subscription(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    body: JsonBody<StreamSubscriptionIn>,
) -> Result<axum::Json<StreamSubscriptionOut>, Error> {
    Ok(out(filters::set(&app, &tenant, &body.value.events).await?))
}
