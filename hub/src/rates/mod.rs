//! Rate shopping: every eligible carrier account of a tenant asked at once, each within the
//! deadline or listed with why it gave no quotes, and the quotes ordered by a strategy. The
//! tenant's rate cards for the table-rate carrier live beside it (`cards`).

pub mod cards;

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use shiphub_carriers::model::{Parcel, Quote, RateRequest};
use shiphub_carriers::{Capabilities, Capability, CarrierError};
use tokio::task::JoinSet;

use crate::call_layer::CallError;
use crate::error::{Error, FieldProblem};
use crate::ids::{AccountId, TenantId};
use crate::state::AppState;

/// How long carriers are waited for when the caller does not say.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(3);
/// The longest wait a caller may ask for.
const MAX_DEADLINE: Duration = Duration::from_secs(30);

/// How quotes are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Lowest total first; ties by transit days.
    #[default]
    Cheapest,
    /// Fewest transit days first (unknown last); ties by price.
    Fastest,
    /// Price plus 10% of the cheapest price for every day slower than the fastest quote.
    BestValue,
}

/// A shipment to price and how to shop for it.
pub struct Shop<'a> {
    pub shipment: RateRequest,
    /// Only these accounts (by id as given; errors point at `/carrier_accounts/N`).
    pub carrier_accounts: Option<&'a [String]>,
    /// Only quotes of these service codes.
    pub services: Option<&'a [String]>,
    pub strategy: Strategy,
    /// How long to wait for carriers (default 3 s, between 1 ms and 30 s).
    pub deadline: Option<Duration>,
}

/// One quote and the account that gave it.
pub struct AccountQuote {
    pub account: AccountId,
    pub carrier: String,
    pub quote: Quote,
}

/// An account that gave no quotes, and why.
pub struct Failure {
    pub account: AccountId,
    pub carrier: String,
    /// A carrier error's kind (`transient`, `rejected`, …), `account` (its adapter cannot be
    /// built), `throttled` (the account's quota had no slot before the deadline: not asked)
    /// or `deadline`.
    pub kind: &'static str,
    pub detail: String,
    pub retryable: bool,
    pub errors: Vec<FieldProblem>,
    /// When asking again may succeed (`throttled`: the account's quota has a slot then).
    pub retry_after: Option<Duration>,
}

/// What a round of rate shopping found: quotes best first, failures by account.
pub struct Shopped {
    pub quotes: Vec<AccountQuote>,
    pub failures: Vec<Failure>,
}

/// Rate-shops across the tenant's carrier accounts that can rate (or the ones asked for).
pub async fn shop(app: &AppState, tenant: &TenantId, asked: Shop<'_>) -> Result<Shopped, Error> {
    asked
        .shipment
        .validate()
        .map_err(|e| Error::field(e.field, e.message))?;
    let deadline = asked
        .deadline
        .unwrap_or(DEFAULT_DEADLINE)
        .clamp(Duration::from_millis(1), MAX_DEADLINE);

    let mut accounts = app
        .account_cache
        .list(&app.store, tenant)
        .await?
        .as_ref()
        .clone();
    if let Some(wanted) = asked.carrier_accounts {
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

    let request = Arc::new(asked.shipment);
    let answer_by = tokio::time::Instant::now() + deadline;
    let mut tasks = JoinSet::new();
    let mut failures = Vec::new();
    for account in accounts {
        // A parcel the carrier does not accept, or an option it does not offer, is refused
        // here, without a call.
        if let Some(entry) = app.carriers.entry(&account.carrier) {
            let mut fields =
                parcel_weight_problems(entry.capabilities, entry.code.as_str(), &request.parcels);
            fields.extend(option_problem(
                entry.capabilities,
                entry.code.as_str(),
                &request,
            ));
            if !fields.is_empty() {
                failures.push(Failure {
                    account: account.id.clone(),
                    carrier: account.carrier.clone(),
                    kind: "rejected",
                    detail: fields
                        .iter()
                        .map(|f| format!("{}: {}", f.pointer, f.detail))
                        .collect::<Vec<_>>()
                        .join("; "),
                    retryable: false,
                    errors: fields,
                    retry_after: None,
                });
                continue;
            }
        }
        let adapter = match app
            .carriers
            .adapter(&app.store, tenant, &account, &app.master_key)
            .await
        {
            Ok(a) => a,
            Err(e) => {
                failures.push(Failure {
                    account: account.id.clone(),
                    carrier: account.carrier.clone(),
                    kind: "account",
                    detail: e.to_string(),
                    retryable: false,
                    errors: vec![],
                    retry_after: None,
                });
                continue;
            }
        };
        let (calls, request) = (app.calls.clone(), request.clone());
        tasks.spawn(async move {
            let (a, r) = (&adapter, &request);
            // The quota is not waited for past the deadline (issue 19): an account it would
            // admit later is answered `throttled` at once rather than empty at the deadline.
            let answer = tokio::time::timeout_at(
                answer_by,
                calls.rate_within(&account.id, a.as_ref(), r, answer_by),
            )
            .await;
            (account, answer)
        });
    }

    let mut quotes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (account, answer) = joined.map_err(|e| Error::Internal(format!("rate task: {e}")))?;
        let failure =
            |kind: &'static str, detail: String, retryable: bool, errors: Vec<FieldProblem>| {
                Failure {
                    account: account.id.clone(),
                    carrier: account.carrier.clone(),
                    kind,
                    detail,
                    retryable,
                    errors,
                    retry_after: None,
                }
            };
        match answer {
            Err(_) => failures.push(failure(
                "deadline",
                format!("no answer within {} ms", deadline.as_millis()),
                true,
                vec![],
            )),
            Ok(Err(CallError::Throttled(t))) => failures.push(Failure {
                retry_after: Some(t.retry_after),
                ..failure("throttled", t.to_string(), true, vec![])
            }),
            Ok(Err(CallError::Carrier(e))) => {
                let fields = match &e {
                    CarrierError::Rejected { errors, .. } => {
                        errors.iter().map(FieldProblem::from).collect()
                    }
                    _ => vec![],
                };
                let retry_after = match &e {
                    CarrierError::RateLimited { retry_after, .. } => *retry_after,
                    _ => None,
                };
                failures.push(Failure {
                    retry_after,
                    ..failure(e.kind(), e.to_string(), e.is_retryable(), fields)
                });
            }
            Ok(Ok(list)) => quotes.extend(
                list.into_iter()
                    .filter(|q| asked.services.is_none_or(|s| s.contains(&q.service.code)))
                    .map(|quote| AccountQuote {
                        account: account.id.clone(),
                        carrier: account.carrier.clone(),
                        quote,
                    }),
            ),
        }
    }
    sort_quotes(&mut quotes, asked.strategy);
    failures.sort_by(|a, b| a.account.as_str().cmp(b.account.as_str()));
    Ok(Shopped { quotes, failures })
}

/// The first option asked for that the carrier does not declare, as a field problem (the
/// rest of the request is the carrier's to judge once that one is dropped).
pub fn option_problem(
    caps: &Capabilities,
    carrier: &str,
    shipment: &RateRequest,
) -> Option<FieldProblem> {
    shipment
        .options
        .unoffered(carrier, caps.options)
        .err()
        .map(|e| FieldProblem {
            pointer: e.field,
            detail: e.message,
            code: Some("unoffered".into()),
        })
}

/// One problem per parcel whose weight is outside what the carrier accepts
/// (`/parcels/N/weight`, the range with its unit), for a 422 or a rate error.
pub fn parcel_weight_problems(
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

/// Orders quotes by `strategy` without ever comparing amounts in different currencies: the
/// hub holds no exchange rates, so each currency is ranked apart (the currency most quotes are
/// in first, ties by code) and, when there are several, every quote says so in its notes.
fn sort_quotes(quotes: &mut [AccountQuote], strategy: Strategy) {
    let currency = |q: &AccountQuote| q.quote.total.currency().as_str().to_string();
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
fn sort_same_currency(quotes: &mut [AccountQuote], strategy: Strategy) {
    let amount = |q: &AccountQuote| q.quote.total.amount();
    let days = |q: &AccountQuote| q.quote.transit_days.unwrap_or(u32::MAX);
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
            let score = |q: &AccountQuote| {
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

    fn q(code: &str, amount: Decimal, days: Option<u32>) -> AccountQuote {
        in_currency(code, amount, days, Currency::USD)
    }

    fn in_currency(
        code: &str,
        amount: Decimal,
        days: Option<u32>,
        currency: Currency,
    ) -> AccountQuote {
        AccountQuote {
            account: AccountId::generate(),
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
    fn an_undeclared_option_is_a_problem_on_its_field() {
        let caps = shiphub_rating::table_rate::ENTRY.capabilities;
        let req = |options: serde_json::Value| -> RateRequest {
            serde_json::from_value(serde_json::json!({
                "from": {"name": "S", "street": ["1 A St"], "city": "Atlanta", "state": "GA",
                         "postal_code": "30301", "country": "US"},
                "to": {"name": "R", "street": ["1 B St"], "city": "Austin", "state": "TX",
                       "postal_code": "78701", "country": "US"},
                "parcels": [{"weight": {"value": "1", "unit": "kg"}}],
                "options": options
            }))
            .unwrap()
        };
        assert!(
            option_problem(
                caps,
                "table_rate",
                &req(serde_json::json!({"signature": "adult"}))
            )
            .is_none()
        );
        let p = option_problem(
            caps,
            "table_rate",
            &req(serde_json::json!({"dry_ice": {"value": "1", "unit": "kg"}})),
        )
        .expect("dry ice is not on a card");
        assert_eq!(p.pointer, "/options/dry_ice");
        assert!(p.detail.contains("table_rate"), "{}", p.detail);
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

    #[test]
    fn a_domestic_chinese_shop_ranks_in_yuan_and_keeps_usd_quotes_apart() {
        // SF and YunExpress answer in CNY, DHL Express in USD: CNY has most quotes, so it
        // comes first, ranked in yuan; 200 CNY is never compared with 30 USD.
        let cny: Currency = "CNY".parse().unwrap();
        let mut v = vec![
            q("dhl_express", dec!(30.00), Some(2)),
            in_currency("sf_standard", dec!(23.01), Some(1), cny),
            in_currency("yun_line", dec!(200.50), Some(7), cny),
            in_currency("sf_economy", dec!(18.00), Some(2), cny),
        ];
        sort_quotes(&mut v, Strategy::Cheapest);
        let codes: Vec<&str> = v.iter().map(|q| q.quote.service.code.as_str()).collect();
        assert_eq!(
            codes,
            ["sf_economy", "sf_standard", "yun_line", "dhl_express"]
        );
        assert_eq!(v[0].quote.total.amount(), dec!(18.00));
        assert_eq!(v[0].quote.total.currency().minor_units(), 2);
        assert!(
            v.iter()
                .all(|q| q.quote.notes.iter().any(|n| n.contains("CNY, USD")))
        );
    }
}
