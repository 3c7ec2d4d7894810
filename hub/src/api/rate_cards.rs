//! Rate cards for the table-rate carrier: `PUT /v1/rate-cards/{name}` with the card's TOML
//! (format: `rating/README.md`) stores one version of the card, validated first; a bad card
//! is a 422 whose errors name the line, column and field. Accounts use a card by name:
//! `POST /v1/carrier-accounts {"carrier":"table_rate","name":…,"rate_card":"<name>"}`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shiphub_rating::{CardError, RateCard, RateCards, ServiceSummary};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{Path, Tenant};
use super::problem::Problem;
use super::responses::*;
use crate::error::{Error, FieldProblem};
use crate::state::AppState;
use crate::store::RateCardVersion;

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

/// A TOML path (`service[0].breaks[3]`) as a JSON pointer (`/service/0/breaks/3`).
fn pointer(field: &str) -> String {
    if field.is_empty() {
        return "/".into();
    }
    let mut out = String::new();
    for part in field.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        out.push('/');
        out.push_str(&key.replace('~', "~0").replace('/', "~1"));
        for idx in rest.split('[') {
            let idx = idx.trim_end_matches(']');
            if !idx.is_empty() {
                out.push('/');
                out.push_str(idx);
            }
        }
    }
    out
}

fn card_problem(e: &CardError) -> FieldProblem {
    FieldProblem {
        pointer: pointer(&e.field),
        detail: format!("line {}, column {}: {}", e.line, e.column, e.message),
        code: None,
    }
}

fn parse(text: &str) -> Result<RateCard, Error> {
    RateCard::from_toml(text).map_err(|e| Error::Validation(vec![card_problem(&e)]))
}

fn card_out(name: &str, versions: &[RateCardVersion]) -> Result<CardOut, Error> {
    let versions = versions
        .iter()
        .map(|v| {
            let card = RateCard::from_toml(&v.body)
                .map_err(|e| Error::Internal(format!("stored rate card {name}: {e}")))?;
            Ok(CardVersionOut {
                valid_from: v.valid_from.clone(),
                valid_to: card.valid_to().map(|d| d.to_string()),
                carrier: card.carrier().to_string(),
                currency: card.currency().code().to_string(),
                services: card.services(),
                updated_at: v.updated_at,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(CardOut {
        name: name.to_string(),
        versions,
    })
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
    let card = parse(&body)?;
    if card.name() != name {
        return Err(Error::field(
            "/name",
            format!(
                "the card is named `{}`; PUT it at /v1/rate-cards/{}",
                card.name(),
                card.name()
            ),
        ));
    }
    let valid_from = card.valid_from().to_string();
    // The versions must still make one consistent card with this one in place.
    let mut versions = app.store.rate_card_versions(&tenant, &name).await?;
    versions.retain(|v| v.valid_from != valid_from);
    let mut texts: Vec<&str> = versions.iter().map(|v| v.body.as_str()).collect();
    texts.push(&body);
    RateCards::from_toml(&texts).map_err(|e| Error::Validation(vec![card_problem(&e.error)]))?;
    let created = app
        .store
        .put_rate_card(
            &tenant,
            &name,
            &valid_from,
            &body,
            OffsetDateTime::now_utc(),
        )
        .await?;
    // Accounts pricing with this card rebuild from the new text on their next use.
    app.carriers
        .forget_carrier(shiphub_rating::table_rate::ENTRY.code.as_str());
    let stored = app.store.rate_card_versions(&tenant, &name).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(card_out(&name, &stored)?)).into_response())
}

/// One rate card with its versions.
#[utoipa::path(get, path = "/v1/rate-cards/{name}", tag = "rate cards", params(("name" = String, Path)),
    responses((status = 200, body = CardOut), Auth, Missing))]
async fn get_card(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(name): Path<String>,
) -> Result<axum::Json<CardOut>, Error> {
    let versions = app.store.rate_card_versions(&tenant, &name).await?;
    if versions.is_empty() {
        return Err(Error::NotFound("rate card"));
    }
    Ok(axum::Json(card_out(&name, &versions)?))
}

/// The tenant's rate cards.
#[utoipa::path(get, path = "/v1/rate-cards", tag = "rate cards",
    responses((status = 200, body = inline(List<CardOut>)), Auth))]
async fn list_cards(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<List<CardOut>>, Error> {
    let all = app.store.list_rate_cards(&tenant).await?;
    let mut data = vec![];
    for chunk in all.chunk_by(|a, b| a.name == b.name) {
        data.push(card_out(&chunk[0].name, chunk)?);
    }
    Ok(axum::Json(List {
        data,
        next_cursor: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::pointer;

    #[test]
    fn toml_paths_become_json_pointers() {
        assert_eq!(pointer("service[0].breaks[3][1]"), "/service/0/breaks/3/1");
        assert_eq!(pointer("currency"), "/currency");
        assert_eq!(pointer(""), "/");
    }
}
