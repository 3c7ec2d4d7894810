//! Routing rules over HTTP (`GET`/`PUT /v1/routing-rules`) and the quotes the hub kept with
//! a purchase a strategy chose (`GET /v1/shipments/{id}/quotes`). The work is `crate::routing`'s.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{JsonBody, Path, Tenant};
use super::responses::*;
use crate::error::Error;
use crate::routing::rules::{self, RulesDocument};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rules, put_rules))
        .routes(routes!(get_purchase_quotes))
}

/// The tenant's routing rules and transit-history settings (the defaults until set).
#[utoipa::path(get, path = "/v1/routing-rules", tag = "routing",
    responses((status = 200, body = RulesDocument), Auth))]
async fn get_rules(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<RulesDocument>, Error> {
    Ok(axum::Json(rules::load(&app.store, &tenant).await?))
}

/// Replaces the tenant's routing rules. Rules apply, in order, to every rate request and
/// strategy purchase made afterwards: before the strategy ranks, matching rules exclude or
/// prefer carriers and services, cap the price or require a signature.
#[utoipa::path(put, path = "/v1/routing-rules", tag = "routing", request_body = RulesDocument,
    responses((status = 200, body = RulesDocument), Auth, BadBody))]
async fn put_rules(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    body: JsonBody<RulesDocument>,
) -> Result<axum::Json<RulesDocument>, Error> {
    let doc = body.value;
    let carriers = app.carriers.clone();
    rules::save(
        &app.store,
        &tenant,
        &doc,
        |c| carriers.entry(c).is_some(),
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    app.routing.drop_rules(&tenant);
    Ok(axum::Json(doc))
}

/// The quotes shown when a strategy bought a shipment.
#[derive(Serialize, ToSchema)]
pub struct PurchaseQuotesOut {
    shipment_id: String,
    strategy: String,
    currency: String,
    /// What was paid (decimal string).
    chosen: String,
    /// The cheapest and the fastest quote shown at the time (decimal strings).
    cheapest: String,
    fastest: String,
    /// Every quote shown, as `POST /v1/rates` answered them.
    #[schema(value_type = Vec<Object>)]
    quotes: serde_json::Value,
}

/// The quotes the hub showed when it bought this shipment by a strategy.
#[utoipa::path(get, path = "/v1/shipments/{id}/quotes", tag = "routing", params(("id" = String, Path)),
    responses((status = 200, body = PurchaseQuotesOut), Auth, Missing))]
async fn get_purchase_quotes(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<PurchaseQuotesOut>, Error> {
    let kept = app
        .store
        .purchase_quotes(&tenant, &id)
        .await?
        .ok_or(Error::NotFound("quotes kept with a strategy purchase"))?;
    Ok(axum::Json(PurchaseQuotesOut {
        shipment_id: kept.shipment_id,
        strategy: kept.strategy,
        currency: kept.currency,
        chosen: kept.chosen,
        cheapest: kept.cheapest,
        fastest: kept.fastest,
        quotes: serde_json::from_str(&kept.quotes).unwrap_or_default(),
    }))
}
