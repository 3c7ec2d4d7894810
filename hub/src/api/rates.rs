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
use crate::routing::{
    self,
    choose::{QuoteTransit, RuleNote},
};
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
    /// The cheapest quote whose transit at `deliver_by.confidence` (measured on this lane, or
    /// the carrier's estimate when the history is thin) arrives by `deliver_by.date`.
    DeliverBy,
    /// The cheapest quote whose measured on-time rate on this lane is at least
    /// `on_time.threshold` (a thin history never qualifies).
    OnTime,
}

/// `deliver_by`'s target.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverByIn {
    /// Latest acceptable delivery day.
    pub date: Date,
    /// Share of deliveries that must arrive by then, e.g. 0.9 (the 90th percentile).
    #[schema(exclusive_minimum = 0, maximum = 1)]
    pub confidence: f64,
}

/// `on_time`'s threshold.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnTimeIn {
    /// Lowest acceptable on-time rate, e.g. 0.95.
    #[schema(minimum = 0, maximum = 1)]
    pub threshold: f64,
}

/// The routing choice the strategy and its parameters make; a field problem when a parameter
/// the strategy needs is missing or out of range.
pub(crate) fn choice(
    strategy: Strategy,
    deliver_by: Option<DeliverByIn>,
    on_time: Option<OnTimeIn>,
) -> Result<routing::choose::Choice, Error> {
    use routing::choose::Choice;
    let share = |v: f64, field: &str| {
        rust_decimal::Decimal::try_from(v)
            .map(|d| d.round_dp(4))
            .ok()
            .filter(|d| *d >= rust_decimal::Decimal::ZERO && *d <= rust_decimal::Decimal::ONE)
            .ok_or_else(|| Error::field(field, "must be between 0 and 1"))
    };
    Ok(match strategy {
        Strategy::DeliverBy => {
            let d = deliver_by.ok_or_else(|| {
                Error::field("/deliver_by", "required by the `deliver_by` strategy")
            })?;
            let confidence = share(d.confidence, "/deliver_by/confidence")?;
            if confidence.is_zero() {
                return Err(Error::field("/deliver_by/confidence", "must be above 0"));
            }
            Choice::DeliverBy {
                date: d.date,
                confidence,
            }
        }
        Strategy::OnTime => {
            let o = on_time
                .ok_or_else(|| Error::field("/on_time", "required by the `on_time` strategy"))?;
            Choice::OnTime {
                threshold: share(o.threshold, "/on_time/threshold")?,
            }
        }
        Strategy::Cheapest => Choice::Plain(rates::Strategy::Cheapest),
        Strategy::Fastest => Choice::Plain(rates::Strategy::Fastest),
        Strategy::BestValue => Choice::Plain(rates::Strategy::BestValue),
    })
}

// The wire's names and docs for the domain's strategies.
impl From<Strategy> for rates::Strategy {
    fn from(s: Strategy) -> Self {
        match s {
            Strategy::Cheapest => rates::Strategy::Cheapest,
            Strategy::Fastest => rates::Strategy::Fastest,
            Strategy::BestValue => rates::Strategy::BestValue,
            // Ranked by `routing` over the cheapest-first order.
            Strategy::DeliverBy | Strategy::OnTime => rates::Strategy::Cheapest,
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
    /// Required by the `deliver_by` strategy.
    #[serde(default)]
    deliver_by: Option<DeliverByIn>,
    /// Required by the `on_time` strategy.
    #[serde(default)]
    on_time: Option<OnTimeIn>,
    /// The order's tags, for routing rules that match on them.
    #[serde(default)]
    #[schema(max_items = 50)]
    tags: Vec<String>,
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
    /// What the tenant's delivery history says about this service on this lane, or that it
    /// is too thin and the carrier's estimate was used.
    transit: QuoteTransit,
    /// The routing rules that touched this quote.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rules: Vec<RuleNote>,
    /// Why it ranked where it did.
    rank_reason: String,
    /// Whether the strategy's condition holds (`deliver_by`, `on_time`; always true for the
    /// others). Quotes that do not qualify come after those that do.
    qualifies: bool,
}

/// A quote a routing rule dropped, and which rule.
#[derive(Serialize, ToSchema)]
pub struct ExcludedOut {
    carrier_account: String,
    carrier: String,
    service: String,
    total: shiphub_carriers::model::Money,
    rules: Vec<RuleNote>,
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
    /// Quotes the tenant's routing rules dropped, each with the rule that did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    excluded: Vec<ExcludedOut>,
    /// Rules that changed the request itself (a required signature).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    request_rules: Vec<RuleNote>,
}

/// Rate-shops across the tenant's carrier accounts, under the tenant's routing rules; every
/// quote carries its lane's transit percentiles (or says the carrier's estimate was used) and
/// why it ranked where it did.
#[utoipa::path(post, path = "/v1/rates", tag = "rates", request_body = RatesIn,
    responses((status = 200, body = RatesOut, description = "quotes, best first by `strategy`; accounts that failed or missed the deadline are listed in `errors`, quotes a routing rule dropped in `excluded`"), Auth, BadBody))]
async fn rate(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    JsonBody { value: options, .. }: JsonBody<RatesIn>,
) -> Result<axum::Json<RatesOut>, Error> {
    let choice = choice(options.strategy, options.deliver_by, options.on_time)?;
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
    let routed = routing::choose::route(
        &app,
        &tenant,
        asked,
        choice,
        &options.tags,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(axum::Json(rates_out(routed)))
}

impl RatesOut {
    /// The quotes as JSON (kept with a strategy purchase).
    pub(crate) fn quotes_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.quotes).unwrap_or_default()
    }
}

/// The answer to a rate request, from what routing made of it.
pub(crate) fn rates_out(routed: routing::choose::Outcome) -> RatesOut {
    RatesOut {
        quotes: routed.quotes.into_iter().map(quote_out).collect(),
        errors: routed
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
        excluded: routed
            .excluded
            .into_iter()
            .map(|d| ExcludedOut {
                carrier_account: d.quote.account.to_string(),
                carrier: d.quote.carrier,
                service: d.quote.quote.service.code.clone(),
                total: d.quote.quote.total,
                rules: d.rules,
            })
            .collect(),
        request_rules: routed.request_rules,
    }
}

pub(crate) fn quote_out(q: routing::choose::Routed) -> QuoteOut {
    QuoteOut {
        carrier_account: q.quote.account.to_string(),
        carrier: q.quote.carrier,
        quote: q.quote.quote,
        transit: q.transit,
        rules: q.rules,
        rank_reason: q.reason,
        qualifies: q.qualifies,
    }
}
