//! `POST /v1/rates`: rate-shop every eligible carrier account at once (`crate::rates`). Each
//! account answers within the deadline or is listed in `errors`; the others still answer.

use std::time::Duration;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{
    Address, CustomsDeclaration, Parcel, Quote, RateRequest, ShipmentOptions,
};
use time::Date;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{JsonBody, Tenant};
use super::responses::*;
use crate::error::{Error, FieldProblem};
use crate::rates;
use crate::state::AppState;

// Purchases refuse the same parcels a rate request lists as rejected.

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(rate))
}

/// How quotes are ordered.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Lowest total first; ties by transit days.
    #[default]
    Cheapest,
    /// Fewest transit days first (unknown last); ties by price.
    Fastest,
    /// Price plus 10% of the cheapest price for every day slower than the fastest quote.
    BestValue,
}

// The wire's names and docs for the domain's strategies.
impl From<Strategy> for rates::Strategy {
    fn from(s: Strategy) -> Self {
        match s {
            Strategy::Cheapest => rates::Strategy::Cheapest,
            Strategy::Fastest => rates::Strategy::Fastest,
            Strategy::BestValue => rates::Strategy::BestValue,
        }
    }
}

/// The shipment to price plus rate-shopping options. Every field is spelled out (no
/// `flatten`), so the body is closed at every level: an unknown field is a 422 naming it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesIn {
    /// Origin.
    from: Address,
    /// Destination.
    to: Address,
    /// One to 50 packages.
    #[schema(min_items = 1, max_items = 50)]
    parcels: Vec<Parcel>,
    /// Required when origin and destination are in different customs territories.
    #[serde(default)]
    customs: Option<CustomsDeclaration>,
    /// Planned ship date; today when absent.
    #[serde(default)]
    ship_date: Option<Date>,
    /// Signature, Saturday delivery, declared value and the other options to price.
    #[serde(default)]
    options: ShipmentOptions,
    /// Only these accounts (default: every account whose carrier can rate).
    #[serde(default)]
    carrier_accounts: Option<Vec<String>>,
    /// Only these service codes.
    #[serde(default)]
    services: Option<Vec<String>>,
    #[serde(default)]
    strategy: Strategy,
    /// How long to wait for carriers, in milliseconds (default 3000).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 30000)]
    deadline_ms: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct QuoteOut {
    carrier_account: String,
    carrier: String,
    #[serde(flatten)]
    quote: Quote,
}

/// One account that gave no quotes, in the problem-details vocabulary: `detail`, `retryable`,
/// and field `errors` with `pointer`, `detail`, `code` (as in a 422 problem).
#[derive(Serialize, ToSchema)]
pub struct RateErrorOut {
    carrier_account: String,
    carrier: String,
    /// `transient`, `rate_limited` (the carrier answered 429), `throttled` (the account's
    /// request quota had no slot before the deadline, so the carrier was not asked: see
    /// `retry_after`), `auth`, `rejected`, `unsupported`, `protocol` or `deadline`.
    #[serde(rename = "type")]
    kind: String,
    detail: String,
    retryable: bool,
    /// Seconds (rounded up) after which asking this account again may succeed, when known:
    /// for `throttled`, when its quota has a slot; for `rate_limited`, the carrier's
    /// `Retry-After`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    retry_after: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
}

#[derive(Serialize, ToSchema)]
pub struct RatesOut {
    quotes: Vec<QuoteOut>,
    errors: Vec<RateErrorOut>,
}

/// Rate-shops across the tenant's carrier accounts.
#[utoipa::path(post, path = "/v1/rates", tag = "rates", request_body = RatesIn,
    responses((status = 200, body = RatesOut, description = "quotes, best first by `strategy`; accounts that failed or missed the deadline are listed in `errors`"), Auth, BadBody))]
async fn rate(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    JsonBody { value: options, .. }: JsonBody<RatesIn>,
) -> Result<axum::Json<RatesOut>, Error> {
    let shipment = RateRequest {
        from: options.from,
        to: options.to,
        parcels: options.parcels,
        customs: options.customs,
        ship_date: options.ship_date,
        options: options.options,
    };
    let asked = rates::Shop {
        shipment,
        carrier_accounts: options.carrier_accounts.as_deref(),
        services: options.services.as_deref(),
        strategy: options.strategy.into(),
        deadline: options.deadline_ms.map(Duration::from_millis),
    };
    let shopped = rates::shop(&app, &tenant, asked).await?;
    Ok(axum::Json(RatesOut {
        quotes: shopped
            .quotes
            .into_iter()
            .map(|q| QuoteOut {
                carrier_account: q.account.to_string(),
                carrier: q.carrier,
                quote: q.quote,
            })
            .collect(),
        errors: shopped
            .failures
            .into_iter()
            .map(|f| RateErrorOut {
                carrier_account: f.account.to_string(),
                carrier: f.carrier,
                kind: f.kind.to_string(),
                detail: f.detail,
                retryable: f.retryable,
                retry_after: f.retry_after.map(crate::api::problem::whole_seconds),
                errors: f.errors,
            })
            .collect(),
    }))
}
