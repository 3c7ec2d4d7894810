//! Rate: our `RateRequest` to the price trial (费用试算, `GET /v1/price-trial/get`) and its
//! answer back to quotes. Pure: no HTTP, no clock.
//!
//! Decisions:
//! - One parcel per waybill: YunExpress's registered lines carry one parcel per order (the
//!   spec's multi-`packages` orders are cartons of one FBA shipment), so a request with more
//!   parcels is refused at `/parcels` rather than quoted for something `ship` cannot buy.
//! - The trial is asked in KG and CM (`weight_unit`, `size_unit`), the weight rounded up to
//!   the gram (the spec's "max 3 decimal places"), dimensions up to the whole centimetre.
//! - No `product_group_code`: every product the account may use is priced; the ones outside
//!   `codes::SERVICES` are left out (ship would refuse to buy them).
//! - YunExpress answers one line per fee (`fee_name` E1 freight, E2 registration fee, …)
//!   per product: a product's quote is the sum of its lines, each kept as a charge, in the
//!   currency YunExpress answers (`RMB`, read as ISO 4217 `CNY`). No conversion.
//! - `interval_day` ("3-8") is a range of days; the quote's `transit_days` is its upper end
//!   and the range itself a note.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::CarrierError;
use crate::model::{
    Charge, ChargeKind, Currency, LengthUnit, Money, Quote, RateRequest, ServiceLevel, Weight,
    WeightUnit,
};

use super::account::Account;
use super::{codes, error, wire};

/// The price trial's path.
pub(super) const PATH: &str = "v1/price-trial/get";

fn rejected(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

/// Checks shared by rate and ship before anything is sent.
pub(super) fn validate(req: &RateRequest) -> Result<(), CarrierError> {
    req.validate().map_err(|e| rejected(&e.field, e.message))?;
    if req.parcels.len() != 1 {
        return Err(rejected(
            "/parcels",
            "YunExpress carries one parcel per waybill: buy one waybill per parcel",
        ));
    }
    req.unsold_packaging("YunExpress", |_| false)
        .map_err(|e| rejected(&e.field, e.message))?;
    if !req.is_international() {
        return Err(rejected(
            "/to/country",
            "YunExpress carries cross-border parcels only; origin and destination are in one country",
        ));
    }
    Ok(())
}

/// Kilograms, rounded up to the gram.
pub(super) fn kilograms(w: Weight) -> Decimal {
    w.ceil_to(Decimal::new(1, 3), WeightUnit::Kg)
        .value()
        .normalize()
}

/// Centimetres, rounded up to the whole centimetre.
pub(super) fn centimetres(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity)
}

/// The price trial's query for `req`.
pub(super) fn build(
    req: &RateRequest,
    account: &Account,
) -> Result<Vec<(&'static str, String)>, CarrierError> {
    validate(req)?;
    let parcel = &req.parcels[0];
    let mut q = vec![
        ("country_code", req.to.country.as_str().to_string()),
        ("weight", kilograms(parcel.weight).to_string()),
        ("weight_unit", "KG".to_string()),
    ];
    if let Some(p) = &req.to.postal_code {
        q.push(("postal_code", p.clone()));
    }
    q.push(("pieces", "1".to_string()));
    if let Some(d) = parcel.dimensions {
        let d = d.to(LengthUnit::Cm);
        q.push(("length", centimetres(d.length()).to_string()));
        q.push(("width", centimetres(d.width()).to_string()));
        q.push(("height", centimetres(d.height()).to_string()));
        q.push(("size_unit", "CM".to_string()));
    }
    if let Some(o) = &account.origin {
        q.push(("origin", o.clone()));
    }
    Ok(q)
}

/// ISO 4217 for YunExpress's currency names (`RMB` is its name for the yuan).
pub(super) fn currency(code: &str) -> Option<Currency> {
    match code.trim().to_ascii_uppercase().as_str() {
        "RMB" => "CNY".parse().ok(),
        other => other.parse().ok(),
    }
}

/// The upper end of `interval_day` ("3-8" → 8, "5" → 5).
fn days(interval: &str) -> Option<u32> {
    interval
        .split(['-', '~', '–'])
        .filter_map(|p| p.trim().parse::<u32>().ok())
        .max()
}

/// Quotes from a price-trial answer, in YunExpress's order of products.
pub(super) fn parse(
    lines: wire::PriceLines,
    req: &RateRequest,
) -> Result<Vec<Quote>, CarrierError> {
    let billable = req.parcels[0].weight;
    let mut order: Vec<&'static str> = Vec::new();
    for l in &lines.0 {
        if let Some(info) = l.product_code.as_deref().and_then(codes::service_info)
            && !order.contains(&info.code)
        {
            order.push(info.code);
        }
    }
    let mut quotes = Vec::new();
    for code in order {
        let info = codes::service_info(code).expect("from the table");
        let mine: Vec<&wire::PriceLine> = lines
            .0
            .iter()
            .filter(|l| l.product_code.as_deref() == Some(code))
            .collect();
        let bad = |m: String| error::DIALECT.protocol(200, b"", format!("product {code}: {m}"));
        let mut cur: Option<Currency> = None;
        let mut breakdown = Vec::new();
        for l in &mine {
            let name = l.currency.as_deref().unwrap_or_default();
            let c = currency(name).ok_or_else(|| bad(format!("`{name}` is not a currency")))?;
            if cur.is_some_and(|x| x != c) {
                return Err(bad("its fee lines are in different currencies".into()));
            }
            cur = Some(c);
            let amount = l
                .calculate_amount
                .ok_or_else(|| bad("a fee line without calculate_amount".into()))?;
            let fee = l.fee_name.clone();
            let (kind, description) = match fee.as_deref() {
                Some("E1") => (
                    ChargeKind::Base,
                    codes::fee_name("E1").unwrap_or_default().to_string(),
                ),
                Some(f) => (
                    ChargeKind::Surcharge,
                    codes::fee_name(f)
                        .map_or_else(|| format!("YunExpress fee {f}"), str::to_string),
                ),
                None => (ChargeKind::Base, "Freight".to_string()),
            };
            breakdown.push(Charge {
                kind,
                code: fee,
                description,
                amount: Money::new(amount, c),
            });
        }
        let Some(c) = cur else { continue };
        let total = Money::sum(c, breakdown.iter().map(|ch| &ch.amount))
            .map_err(|_| bad("fee lines do not add up in one currency".into()))?;
        // A product YunExpress could not price for this parcel: no offer.
        if total.amount() <= Decimal::ZERO {
            continue;
        }
        let interval = mine.iter().find_map(|l| l.interval_day.clone());
        let mut notes = Vec::new();
        if let Some(i) = interval.as_deref().filter(|i| !i.trim().is_empty()) {
            notes.push(format!("YunExpress estimates {i} days in transit"));
        }
        notes.push("Price trial: reference only; YunExpress bills on the weighed parcel".into());
        quotes.push(Quote {
            service: ServiceLevel {
                carrier: super::CODE.as_str().to_string(),
                code: info.code.into(),
                name: mine
                    .iter()
                    .find_map(|l| l.product_name.clone())
                    .unwrap_or_else(|| info.name.to_string()),
                class: info.class,
            },
            total,
            breakdown,
            billable_weight: billable,
            transit_days: interval.as_deref().and_then(days),
            estimated_delivery: None,
            guaranteed: false,
            notes,
        });
    }
    Ok(quotes)
}

/// The CPU one rate request costs this adapter without the network: build the query, sign
/// it, then deserialize and parse a price-trial answer. For benchmarks.
#[doc(hidden)]
pub fn bench_cycle(req: &RateRequest, response: &[u8]) -> Result<(usize, usize), CarrierError> {
    use std::sync::LazyLock;
    static ACCOUNT: LazyLock<Account> = LazyLock::new(|| {
        let config = serde_json::json!({"app_id": "bench", "app_secret": "bench-secret", "source_key": "bench"});
        Account::from_json(&config).expect("static account")
    });
    let query = build(req, &ACCOUNT)?;
    let content = super::auth::content("1678415735000", "GET", &format!("/{PATH}"), None);
    let sign = super::auth::sign(ACCOUNT.app_secret.expose(), &content);
    let env: wire::Envelope<wire::PriceLines> = serde_json::from_slice(response)
        .map_err(|e| error::DIALECT.protocol(200, response, e.to_string()))?;
    let quotes = parse(error::result(error::Op::Rate, env)?, req)?;
    Ok((query.len() + sign.len(), quotes.len()))
}
