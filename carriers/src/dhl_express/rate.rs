//! Rates: our `RateRequest` to MyDHL's `POST /rates` body, and its `products[]` back to
//! quotes. Also owns the pieces Ship reuses (units, packages, planned time, customs checks).
//! Pure: no HTTP, no clock (today's date comes from the caller).
//!
//! Decisions:
//! - No `productCode`: DHL answers every product it can carry on the lane.
//! - Metric or imperial by the first parcel's unit; weights rounded up to DHL's 0.001 step,
//!   dimensions up to whole units, so a parcel is never under-declared.
//! - `plannedShippingDateAndTime` is the ship date (or today) at 12:00 `GMT+00:00`: we do not
//!   know the origin's offset, and midday keeps same-day products on offer for most origins.
//! - The quoted total is `totalPrice` in DHL's billing currency (`BILLC`: what the account is
//!   billed), itemised from `detailedPriceBreakdown` in the same currency: the product's own
//!   line is the base charge, `FF` the fuel surcharge, any other service code a surcharge
//!   under its code, and taxes inside a line (`priceType: TAX`) duties/taxes lines. Without a
//!   detailed breakdown, `totalPriceBreakdown` is used (`SPRQT` base, `STTXA` tax, `STDIS`
//!   discount). When DHL's lines do not add up to its total, the difference becomes one
//!   explicit "not itemised" line and a note.
//! - Billable weight: the greater of DHL's `provided` and `volumetric` weights.

use rust_decimal::{Decimal, RoundingStrategy};
use time::Date;

use crate::error::CarrierError;
use crate::model::{
    Address, Charge, ChargeKind, ContentType, Currency, LengthUnit, Parcel, Quote, RateRequest,
    ServiceLevel, Weight, WeightUnit,
};

use super::account::Account;
use super::{codes, error, options, wire};

/// One measurement system per shipment, as DHL wants (`unitOfMeasurement`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Units {
    pub weight: WeightUnit,
    pub length: LengthUnit,
    pub wire: &'static str,
}

impl Units {
    pub(super) fn of(req: &RateRequest) -> Units {
        match req.parcels.first().map(|p| p.weight.unit()) {
            Some(WeightUnit::Lb | WeightUnit::Oz) => Units {
                weight: WeightUnit::Lb,
                length: LengthUnit::In,
                wire: "imperial",
            },
            _ => Units {
                weight: WeightUnit::Kg,
                length: LengthUnit::Cm,
                wire: "metric",
            },
        }
    }
}

pub(super) fn weight(w: Weight, units: Units) -> Decimal {
    w.ceil_to(Decimal::new(1, 3), units.weight).value()
}

fn whole(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity)
}

pub(super) fn dimensions(p: &Parcel, units: Units) -> Option<wire::Dimensions> {
    p.dimensions.map(|d| {
        let d = d.to(units.length);
        wire::Dimensions {
            length: wire::Num(whole(d.length())),
            width: wire::Num(whole(d.width())),
            height: wire::Num(whole(d.height())),
        }
    })
}

/// `2025-03-14T12:00:00 GMT+00:00`, the format of DHL's examples.
pub(super) fn planned(req: &RateRequest, today: Date) -> String {
    let d = req.ship_date.unwrap_or(today);
    format!(
        "{:04}-{:02}-{:02}T12:00:00 GMT+00:00",
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

/// Goods crossing a customs border need an export declaration; documents and shipments inside
/// one customs territory (a country, or the EU) do not.
pub(super) fn customs_declarable(req: &RateRequest) -> bool {
    !codes::same_customs_territory(req.from.country.as_str(), req.to.country.as_str())
        && req
            .customs
            .as_ref()
            .is_none_or(|c| c.content_type != ContentType::Documents)
}

/// Checks shared by rate and ship before anything is sent.
pub(super) fn validate(req: &RateRequest) -> Result<(), CarrierError> {
    req.validate()
        .map_err(|e| CarrierError::rejected(super::CODE, &e.field, None, e.message))?;
    // DHL Express prices its flyers like any package: no packaging of ours changes a price.
    req.unsold_packaging("DHL Express", |_| false)
        .map_err(|e| CarrierError::rejected(super::CODE, &e.field, None, e.message))?;
    if customs_declarable(req) && req.customs.is_none() {
        return Err(CarrierError::rejected(
            super::CODE,
            "/customs",
            None,
            "DHL Express needs a customs declaration for goods crossing a customs border",
        ));
    }
    Ok(())
}

/// A DHL postal code: `""` where the country has none (the field is required, minLength 0).
fn postal(a: &Address) -> String {
    a.postal_code.clone().unwrap_or_default()
}

fn rate_address(a: &Address) -> wire::RateAddress {
    let line = |i: usize| a.street.get(i).cloned();
    wire::RateAddress {
        postal_code: postal(a),
        city_name: a.city.clone(),
        country_code: a.country.as_str().to_string(),
        province_code: a.state.clone(),
        address_line1: line(0),
        address_line2: line(1),
        address_line3: line(2),
    }
}

/// The `POST /rates` body for `req`.
pub(super) fn build(
    req: &RateRequest,
    account: &Account,
    today: Date,
) -> Result<wire::RateRequest, CarrierError> {
    validate(req)?;
    let services = options::services(req)?;
    let units = Units::of(req);
    let declarable = customs_declarable(req);
    let monetary_amount = match (&req.customs, declarable) {
        (Some(c), true) => {
            let total = c.total_value();
            vec![wire::MonetaryAmount {
                type_code: "declaredValue",
                value: wire::Num(total.amount()),
                currency: total.currency().to_string(),
            }]
        }
        _ => Vec::new(),
    };
    Ok(wire::RateRequest {
        customer_details: wire::RateCustomerDetails {
            shipper_details: rate_address(&req.from),
            receiver_details: rate_address(&req.to),
        },
        accounts: vec![wire::Account {
            type_code: "shipper",
            number: account.account_number.clone(),
        }],
        planned_shipping_date_and_time: planned(req, today),
        unit_of_measurement: units.wire,
        is_customs_declarable: declarable,
        monetary_amount,
        estimated_delivery_date: wire::EstimatedDeliveryDate {
            is_requested: true,
            type_code: "QDDC",
        },
        value_added_services: services.iter().map(Into::into).collect(),
        packages: req
            .parcels
            .iter()
            .map(|p| wire::RatePackage {
                weight: wire::Num(weight(p.weight, units)),
                dimensions: dimensions(p, units),
            })
            .collect(),
    })
}

/// Charge lines and total, with any unitemised remainder made explicit.
pub(super) struct Priced {
    pub total: crate::model::Money,
    pub breakdown: Vec<Charge>,
    pub notes: Vec<String>,
}

/// Adds the balancing line when `breakdown` does not sum to `total`; one base line when DHL
/// itemised nothing.
pub(super) fn balance(
    currency: Currency,
    total: Decimal,
    mut breakdown: Vec<Charge>,
    base_name: &str,
) -> Priced {
    let money = |a| crate::model::Money::new(a, currency);
    let mut notes = Vec::new();
    if breakdown.is_empty() {
        breakdown.push(Charge {
            kind: ChargeKind::Base,
            code: None,
            description: base_name.to_string(),
            amount: money(total),
        });
    }
    let itemised: Decimal = breakdown.iter().map(|c| c.amount.amount()).sum();
    if itemised != total {
        let rest = total - itemised;
        notes.push(format!(
            "DHL's total {total} {currency} includes {rest} not itemised"
        ));
        breakdown.push(Charge {
            kind: ChargeKind::Surcharge,
            code: None,
            description: "Charges DHL did not itemise".into(),
            amount: money(rest),
        });
    }
    Priced {
        total: money(total),
        breakdown,
        notes,
    }
}

fn detailed_lines(items: &[wire::DetailedItem], currency: Currency) -> Vec<Charge> {
    let money = |a| crate::model::Money::new(a, currency);
    let mut out = Vec::new();
    for item in items {
        let name = item.name.clone().unwrap_or_default();
        if let Some(price) = item.price.filter(|p| !p.is_zero()) {
            let (kind, code) = match item.service_code.as_deref() {
                None | Some("") => (ChargeKind::Base, None),
                Some("FF") => (ChargeKind::Fuel, Some("FF".to_string())),
                Some(c) => (ChargeKind::Surcharge, Some(c.to_string())),
            };
            // DHL's own name for the line; without one, the spec's name for its service code.
            let description = match (name.is_empty(), code.as_deref()) {
                (false, _) => name.clone(),
                (true, Some(c)) => codes::service_charge_name(c)
                    .map_or_else(|| format!("DHL service {c}"), str::to_string),
                (true, None) => "Transportation".into(),
            };
            out.push(Charge {
                kind,
                code,
                description,
                amount: money(price),
            });
        }
        for t in &item.price_breakdown {
            let Some(price) = t.price.filter(|p| !p.is_zero()) else {
                continue;
            };
            let code = t.type_code.clone();
            match t.price_type.as_deref() {
                Some("TAX") => out.push(Charge {
                    kind: ChargeKind::DutiesTaxes,
                    description: format!(
                        "{} on {name}",
                        code.clone().unwrap_or_else(|| "Tax".into())
                    ),
                    code,
                    amount: money(price),
                }),
                Some("DISCOUNT") => out.push(Charge {
                    kind: ChargeKind::Discount,
                    description: format!("Discount on {name}"),
                    code,
                    amount: money(-price.abs()),
                }),
                _ => {}
            }
        }
    }
    out
}

fn summary_lines(items: &[wire::TypedPrice], currency: Currency) -> Vec<Charge> {
    items
        .iter()
        .filter_map(|t| {
            let price = t.price.filter(|p| !p.is_zero())?;
            let code = t.type_code.clone().unwrap_or_default();
            let (kind, amount) = match code.as_str() {
                "SPRQT" => (ChargeKind::Base, price),
                "STTXA" => (ChargeKind::DutiesTaxes, price),
                "STDIS" | "SPRQD" => (ChargeKind::Discount, -price.abs()),
                "FUEL" | "FF" => (ChargeKind::Fuel, price),
                _ => (ChargeKind::Surcharge, price),
            };
            // The spec's meaning of a summary type code, else of a service code, else the code.
            let description = codes::PRICE_TYPES
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, n)| *n)
                .or_else(|| codes::service_charge_name(&code))
                .map_or_else(|| format!("DHL charge {code}"), str::to_string);
            Some(Charge {
                kind,
                code: Some(code),
                description,
                amount: crate::model::Money::new(amount, currency),
            })
        })
        .collect()
}

/// The product's total in its billing currency and the lines that explain it.
fn price(p: &wire::Product, name: &str) -> Result<Priced, String> {
    let chosen = p
        .total_price
        .iter()
        .filter(|t| t.price.is_some() && t.price_currency.is_some())
        .min_by_key(|t| match t.currency_type.as_deref() {
            Some("BILLC") => 0,
            Some("PULCL") => 1,
            _ => 2,
        })
        .ok_or("no totalPrice with a price and currency")?;
    let code = chosen.price_currency.as_deref().unwrap_or_default();
    let currency: Currency = code
        .parse()
        .map_err(|_| format!("`{code}` is not a currency"))?;
    let total = chosen.price.unwrap_or_default();
    let same = |ct: &Option<String>, pc: &Option<String>| {
        ct == &chosen.currency_type || pc.as_deref() == Some(code)
    };
    let breakdown = match p
        .detailed_price_breakdown
        .iter()
        .find(|d| same(&d.currency_type, &d.price_currency))
    {
        Some(d) => detailed_lines(&d.breakdown, currency),
        None => p
            .total_price_breakdown
            .iter()
            .find(|d| same(&d.currency_type, &d.price_currency))
            .map(|d| summary_lines(&d.price_breakdown, currency))
            .unwrap_or_default(),
    };
    Ok(balance(currency, total, breakdown, name))
}

/// `YYYY-MM-DD…` → date.
pub(super) fn date_prefix(s: Option<&str>) -> Option<Date> {
    let s = s?.get(..10)?;
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// Quotes from a rates answer, in DHL's order. Products outside our table are left out (ship
/// would refuse to buy them), and so are products priced at 0 (DHL could not price them); a
/// product without a usable total is a `Protocol` error.
pub(super) fn parse(
    resp: wire::RateResponse,
    req: &RateRequest,
) -> Result<Vec<Quote>, CarrierError> {
    use rust_decimal::prelude::ToPrimitive;
    let actual = Weight::sum(Units::of(req).weight, req.parcels.iter().map(|p| p.weight));
    let mut quotes = Vec::new();
    for p in &resp.products {
        let Some(info) = p.product_code.as_deref().and_then(codes::service_info) else {
            continue;
        };
        let priced = price(p, info.name)
            .map_err(|m| error::protocol(200, b"", format!("product {}: {m}", info.code)))?;
        // A product DHL could not price comes with a total of 0 (and the answer's warning
        // "can't return prices", `mydhl-express-api-3.1.1.yaml`): no offer, and a free quote
        // would win every cheapest-first ranking.
        if priced.total.amount() <= rust_decimal::Decimal::ZERO {
            continue;
        }
        let billable = p
            .weight
            .as_ref()
            .and_then(|w| {
                let unit = match w.unit_of_measurement.as_deref() {
                    Some("imperial") => WeightUnit::Lb,
                    _ => WeightUnit::Kg,
                };
                let v = w
                    .provided
                    .unwrap_or_default()
                    .max(w.volumetric.unwrap_or_default());
                (!v.is_zero()).then(|| Weight::new(v, unit).ok()).flatten()
            })
            .unwrap_or(actual);
        let delivery = p.delivery_capabilities.as_ref();
        let mut notes = priced.notes;
        notes.extend(resp.warnings.iter().cloned());
        quotes.push(Quote {
            service: ServiceLevel {
                carrier: "dhl_express".into(),
                code: info.code.into(),
                name: info.name.into(),
                class: info.class,
            },
            total: priced.total,
            breakdown: priced.breakdown,
            billable_weight: billable,
            transit_days: delivery
                .and_then(|d| d.total_transit_days)
                .and_then(|d| d.to_u32()),
            estimated_delivery: date_prefix(
                delivery.and_then(|d| d.estimated_delivery_date_and_time.as_deref()),
            ),
            guaranteed: false,
            notes,
        });
    }
    Ok(quotes)
}

/// The CPU one rate request costs this adapter without the network: build and serialize the
/// request, deserialize and parse a response body. For benchmarks.
#[doc(hidden)]
pub fn bench_cycle(req: &RateRequest, response: &[u8]) -> Result<(usize, usize), CarrierError> {
    use std::sync::LazyLock;
    static ACCOUNT: LazyLock<Account> = LazyLock::new(|| {
        let config = serde_json::json!({"api_key": "bench", "api_secret": "bench", "account_number": "123456789"});
        Account::from_json(&config).expect("static account")
    });
    let today = time::macros::date!(2025 - 03 - 14);
    error::DIALECT.cycle(
        build(req, &ACCOUNT, today)?,
        response,
        |resp: wire::RateResponse| parse(resp, req),
    )
}
