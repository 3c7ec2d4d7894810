//! Rate cards for the table-rate carrier: `PUT /v1/rate-cards/{name}` with the card's TOML
//! (format: `rating/README.md`) stores one version of the card, validated first; a bad card
//! is a 422 whose errors name the line, column and field. Accounts use a card by name:
//! `POST /v1/carrier-accounts {"carrier":"table_rate","name":…,"rate_card":"<name>"}`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shiphub_rating::ServiceSummary;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{Path, Tenant};
use super::problem::Problem;
use super::responses::*;
use crate::error::Error;
use crate::rates::cards::{self, Version};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_card, get_card))
        .routes(routes!(list_cards))
}

#[derive(Serialize, ToSchema)]
pub struct CardVersionOut {
    /// First day in force (the version's key).
    valid_from: String,
    /// Last day in force, when the card says.
    valid_to: Option<String>,
    carrier: String,
    currency: String,
    #[schema(value_type = Vec<Object>)]
    services: Vec<ServiceSummary>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
}

#[derive(Serialize, ToSchema)]
pub struct CardOut {
    name: String,
    /// Oldest first; the one in force on a shipment's ship date prices it.
    versions: Vec<CardVersionOut>,
}

fn card_out(name: &str, versions: &[Version]) -> CardOut {
    CardOut {
        name: name.to_string(),
        versions: versions
            .iter()
            .map(|Version { stored, card }| CardVersionOut {
                valid_from: stored.valid_from.clone(),
                valid_to: card.valid_to().map(|d| d.to_string()),
                carrier: card.carrier().to_string(),
                currency: card.currency().code().to_string(),
                services: card.services(),
                updated_at: stored.updated_at,
            })
            .collect(),
    }
}

/// Stores one version of a rate card (the TOML text is the body). The card must carry
/// `name = "<name>"`; a version with the same `valid_from` is replaced. 201 for a new
/// version, 200 for a replaced one. PUT is idempotent by itself: the same body gives the
/// same card.
#[utoipa::path(put, path = "/v1/rate-cards/{name}", tag = "rate cards", params(("name" = String, Path)),
    request_body(content = String, content_type = "application/toml", description = "The card, TOML (rating/README.md)"),
    responses((status = 201, body = CardOut, description = "created"), (status = 200, body = CardOut, description = "replaced"), Auth,
        (status = 400, body = Problem, content_type = "application/problem+json", description = "the body is not UTF-8"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "larger than the body limit"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "the card or its name is invalid: errors name line, column and field")))]
async fn put_card(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(name): Path<String>,
    body: String,
) -> Result<Response, Error> {
    let created = cards::put(&app, &tenant, &name, &body).await?;
    let stored = cards::versions(&app.store, &tenant, &name).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(card_out(&name, &stored))).into_response())
}

/// One rate card with its versions.
#[utoipa::path(get, path = "/v1/rate-cards/{name}", tag = "rate cards", params(("name" = String, Path)),
    responses((status = 200, body = CardOut), Auth, Missing))]
async fn get_card(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(name): Path<String>,
) -> Result<axum::Json<CardOut>, Error> {
    let versions = cards::versions(&app.store, &tenant, &name).await?;
    if versions.is_empty() {
        return Err(Error::NotFound("rate card"));
    }
    Ok(axum::Json(card_out(&name, &versions)))
}

/// The tenant's rate cards.
#[utoipa::path(get, path = "/v1/rate-cards", tag = "rate cards",
    responses((status = 200, body = inline(List<CardOut>)), Auth))]
async fn list_cards(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<List<CardOut>>, Error> {
    let all = cards::all(&app.store, &tenant).await?;
    let data = all
        .chunk_by(|a, b| a.stored.name == b.stored.name)
        .map(|card| card_out(&card[0].stored.name, card))
        .collect();
    Ok(axum::Json(List {
        data,
        next_cursor: None,
    }))
}
