//! `POST /v1/rates`: rate-shop every eligible carrier account at once. Each account answers
//! within the deadline or is listed in `errors`; the others still answer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{Address, CustomsDeclaration, Parcel, Quote, RateRequest};
use shiphub_carriers::{Capabilities, Capability, CarrierError};
use time::Date;
use tokio::task::JoinSet;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{JsonBody, Tenant};
use super::responses::*;
use crate::error::{Error, FieldProblem};
use crate::ids::AccountId;
use crate::state::AppState;

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
    /// `transient`, `rate_limited`, `auth`, `rejected`, `unsupported`, `protocol` or `deadline`.
    #[serde(rename = "type")]
    kind: String,
    detail: String,
    retryable: bool,
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
    };
    shipment
        .validate()
        .map_err(|e| Error::field(e.field, e.message))?;
    let deadline = Duration::from_millis(options.deadline_ms.unwrap_or(3000).clamp(1, 30_000));

    let mut accounts = app
        .account_cache
        .list(&app.store, &tenant)
        .await?
        .as_ref()
        .clone();
    if let Some(wanted) = &options.carrier_accounts {
        for (i, id) in wanted.iter().enumerate() {
            if !AccountId::parse(id).is_some_and(|id| accounts.iter().any(|a| a.id == id)) {
                return Err(Error::field(
                    format!("/carrier_accounts/{i}"),
                    format!("no carrier account `{id}`"),
                ));
            }
        }
        accounts.retain(|a| wanted.iter().any(|w| w == a.id.as_str()));
    }
    accounts.retain(|a| {
        app.carriers
            .entry(&a.carrier)
            .is_some_and(|e| e.capabilities.supports(Capability::Rate))
    });
    if accounts.is_empty() {
        return Err(Error::field(
            "/carrier_accounts",
            "no carrier account that can rate; add one with POST /v1/carrier-accounts",
        ));
    }

    let request = Arc::new(shipment);
    let mut tasks = JoinSet::new();
    let mut errors = Vec::new();
    for account in accounts {
        // A parcel the carrier does not accept is refused here, without a call.
        if let Some(entry) = app.carriers.entry(&account.carrier) {
            let fields =
                parcel_weight_problems(entry.capabilities, entry.code.as_str(), &request.parcels);
            if !fields.is_empty() {
                errors.push(RateErrorOut {
                    carrier_account: account.id.to_string(),
                    carrier: account.carrier.clone(),
                    kind: "rejected".into(),
                    detail: fields
                        .iter()
                        .map(|f| format!("{}: {}", f.pointer, f.detail))
                        .collect::<Vec<_>>()
                        .join("; "),
                    retryable: false,
                    errors: fields,
                });
                continue;
            }
        }
        let adapter = match app
            .carriers
            .adapter(&app.store, &tenant, &account, &app.master_key)
            .await
        {
            Ok(a) => a,
            Err(e) => {
                errors.push(RateErrorOut {
                    carrier_account: account.id.to_string(),
                    carrier: account.carrier.clone(),
                    kind: "account".into(),
                    detail: e.to_string(),
                    retryable: false,
                    errors: vec![],
                });
                continue;
            }
        };
        let (calls, request) = (app.calls.clone(), request.clone());
        tasks.spawn(async move {
            let (a, r) = (&adapter, &request);
            let answer =
                tokio::time::timeout(deadline, calls.rate(&account.id, a.as_ref(), r)).await;
            (account, answer)
        });
    }

    let mut quotes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (account, answer) = joined.map_err(|e| Error::Internal(format!("rate task: {e}")))?;
        let err =
            |kind: &str, detail: String, retryable: bool, errors: Vec<FieldProblem>| RateErrorOut {
                carrier_account: account.id.to_string(),
                carrier: account.carrier.clone(),
                kind: kind.to_string(),
                detail,
                retryable,
                errors,
            };
        match answer {
            Err(_) => errors.push(err(
                "deadline",
                format!("no answer within {} ms", deadline.as_millis()),
                true,
                vec![],
            )),
            Ok(Err(e)) => {
                let fields = match &e {
                    CarrierError::Rejected { errors, .. } => {
                        errors.iter().map(FieldProblem::from).collect()
                    }
                    _ => vec![],
                };
                errors.push(err(e.kind(), e.to_string(), e.is_retryable(), fields));
            }
            Ok(Ok(list)) => quotes.extend(
                list.into_iter()
                    .filter(|q| {
                        options
                            .services
                            .as_ref()
                            .is_none_or(|s| s.contains(&q.service.code))
                    })
                    .map(|quote| QuoteOut {
                        carrier_account: account.id.to_string(),
                        carrier: account.carrier.clone(),
                        quote,
                    }),
            ),
        }
    }
    sort_quotes(&mut quotes, options.strategy);
    errors.sort_by(|a, b| a.carrier_account.cmp(&b.carrier_account));
    Ok(axum::Json(RatesOut { quotes, errors }))
}

/// Orders quotes by `strategy` without ever comparing amounts in different currencies: the
/// hub holds no exchange rates, so each currency is ranked apart (the currency most quotes are
/// in first, ties by code) and, when there are several, every quote says so in its notes.
/// One problem per parcel whose weight is outside what the carrier accepts
/// (`/parcels/N/weight`, the range with its unit), for a 422 or a rate error.
pub(crate) fn parcel_weight_problems(
    caps: &Capabilities,
    carrier: &str,
    parcels: &[Parcel],
) -> Vec<FieldProblem> {
    parcels
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            caps.parcel_weight
                .refusal(carrier, p.weight)
                .map(|detail| FieldProblem {
                    pointer: format!("/parcels/{i}/weight"),
                    detail,
                    // The JSON Schema keyword the weight breaks, as for schema errors.
                    code: Some(if caps.parcel_weight.is_below(p.weight) {
                        "minimum".into()
                    } else {
                        "maximum".into()
                    }),
                })
        })
        .collect()
}

fn sort_quotes(quotes: &mut [QuoteOut], strategy: Strategy) {
    let currency = |q: &QuoteOut| q.quote.total.currency().as_str().to_string();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for q in quotes.iter() {
        *counts.entry(currency(q)).or_default() += 1;
    }
    if counts.len() > 1 {
        let all: Vec<&str> = counts.keys().map(String::as_str).collect();
        for q in quotes.iter_mut() {
            q.quote.notes.push(format!(
                "ranked among the {} quotes only: quotes came in {} and amounts in different currencies are not compared",
                q.quote.total.currency().as_str(),
                all.join(", ")
            ));
        }
    }
    quotes.sort_by(|a, b| {
        let (ca, cb) = (currency(a), currency(b));
        counts[&cb].cmp(&counts[&ca]).then(ca.cmp(&cb))
    });
    let mut start = 0;
    while start < quotes.len() {
        let c = currency(&quotes[start]);
        let len = quotes[start..]
            .iter()
            .take_while(|q| currency(q) == c)
            .count();
        sort_same_currency(&mut quotes[start..start + len], strategy);
        start += len;
    }
}

/// `strategy` over quotes that all share one currency.
fn sort_same_currency(quotes: &mut [QuoteOut], strategy: Strategy) {
    let amount = |q: &QuoteOut| q.quote.total.amount();
    let days = |q: &QuoteOut| q.quote.transit_days.unwrap_or(u32::MAX);
    match strategy {
        Strategy::Cheapest => {
            quotes.sort_by(|a, b| amount(a).cmp(&amount(b)).then(days(a).cmp(&days(b))))
        }
        Strategy::Fastest => {
            quotes.sort_by(|a, b| days(a).cmp(&days(b)).then(amount(a).cmp(&amount(b))))
        }
        Strategy::BestValue => {
            let cheapest = quotes.iter().map(amount).min().unwrap_or_default();
            let fastest = quotes
                .iter()
                .filter_map(|q| q.quote.transit_days)
                .min()
                .unwrap_or(0);
            // Unknown transit counts as 10 days slower than the fastest.
            let score = |q: &QuoteOut| {
                let slower = q
                    .quote
                    .transit_days
                    .map_or(10, |d| d.saturating_sub(fastest));
                amount(q) + cheapest * Decimal::new(1, 1) * Decimal::from(slower)
            };
            quotes.sort_by(|a, b| score(a).cmp(&score(b)).then(days(a).cmp(&days(b))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use shiphub_carriers::model::{
        Currency, Money, ServiceClass, ServiceLevel, Weight, WeightUnit,
    };

    fn q(code: &str, amount: Decimal, days: Option<u32>) -> QuoteOut {
        in_currency(code, amount, days, Currency::USD)
    }

    fn in_currency(code: &str, amount: Decimal, days: Option<u32>, currency: Currency) -> QuoteOut {
        QuoteOut {
            carrier_account: "car_x".into(),
            carrier: "x".into(),
            quote: Quote {
                service: ServiceLevel {
                    carrier: "x".into(),
                    code: code.into(),
                    name: code.into(),
                    class: ServiceClass::Standard,
                },
                total: Money::new(amount, currency),
                breakdown: vec![],
                billable_weight: Weight::new(dec!(1), WeightUnit::Kg).unwrap(),
                transit_days: days,
                estimated_delivery: None,
                guaranteed: false,
                notes: vec![],
            },
        }
    }

    fn order(strategy: Strategy) -> Vec<String> {
        let mut v = vec![
            q("slow", dec!(10), Some(6)),
            q("mid", dec!(12), Some(3)),
            q("fast", dec!(30), Some(1)),
            q("unknown", dec!(11), None),
        ];
        sort_quotes(&mut v, strategy);
        v.into_iter().map(|q| q.quote.service.code).collect()
    }

    #[test]
    fn strategies_order_quotes() {
        assert_eq!(
            order(Strategy::Cheapest),
            ["slow", "unknown", "mid", "fast"]
        );
        assert_eq!(order(Strategy::Fastest), ["fast", "mid", "slow", "unknown"]);
        // scores: slow 10+1*5=15, mid 12+1*2=14, fast 30, unknown 11+1*10=21
        assert_eq!(
            order(Strategy::BestValue),
            ["mid", "slow", "unknown", "fast"]
        );
    }

    #[test]
    fn quotes_in_different_currencies_are_ranked_apart_and_say_why() {
        let cad: Currency = "CAD".parse().unwrap();
        for strategy in [Strategy::Cheapest, Strategy::Fastest, Strategy::BestValue] {
            let mut v = vec![
                q("usd_slow", dec!(10), Some(5)),
                in_currency("cad_fast", dec!(8), Some(1), cad),
                q("usd_fast", dec!(12), Some(1)),
            ];
            sort_quotes(&mut v, strategy);
            let codes: Vec<&str> = v.iter().map(|q| q.quote.service.code.as_str()).collect();
            // USD (two quotes) first, ranked among themselves; CAD 8 is never "cheaper" than USD 10.
            let usd: Vec<&str> = match strategy {
                Strategy::Cheapest => vec!["usd_slow", "usd_fast"],
                _ => vec!["usd_fast", "usd_slow"],
            };
            assert_eq!(codes, [usd[0], usd[1], "cad_fast"], "{strategy:?}");
            assert!(
                v.iter()
                    .all(|q| q.quote.notes.iter().any(|n| n.contains("CAD, USD")))
            );
        }
        // One currency: no note.
        let mut v = vec![q("a", dec!(2), None), q("b", dec!(1), None)];
        sort_quotes(&mut v, Strategy::Cheapest);
        assert!(v.iter().all(|q| q.quote.notes.is_empty()));
    }
}
