//! Prices and promised times (`EXP_RECE_QUERY_DELIVERTM`, 时效标准及价格查询): origin and
//! destination as province/city/district/address, the total weight in kg (2 decimals),
//! `searchPrice` 1 for prices, and the monthly card so SF prices the account's own tariff.
//! Without `businessType` SF answers every product it offers for the lane
//! (`deliverTmDto[]`: `businessType`, `businessTypeDesc`, `deliverTime` "from,to", `fee`).
//! Prices are CNY; a product we do not sell or one SF gives no `fee` for is left out.
//! The query's addresses have no country: a cross-border lane is `Unsupported` with the
//! reason ([`INTERNATIONAL_UNPRICED`]).

use rust_decimal::Decimal;
use time::macros::format_description;

use crate::error::CarrierError;
use crate::http::lenient::Num;
use crate::model::{
    Address, Charge, ChargeKind, Currency, Money, Quote, RateRequest, ServiceLevel, Weight,
    WeightUnit,
};

use super::account::Account;
use super::wire;

fn address(a: &Address) -> wire::PriceAddress {
    wire::PriceAddress {
        province: a.state.clone().unwrap_or_default(),
        city: a.city.clone(),
        district: a.district.clone(),
        address: Some(a.street.concat()),
    }
}

/// Why a cross-border lane gets no SF quote: the price query's addresses have no country
/// (SOURCES.md), and SF's order answer names no price either.
pub(super) const INTERNATIONAL_UNPRICED: &str = "SF's price and time query \
    (EXP_RECE_QUERY_DELIVERTM) prices mainland China lanes only; SF International (100 \
    顺丰国际标快, 24 顺丰国际特惠) can be bought here, priced from the shipper's SF tariff on a \
    table_rate account (rating/examples/sf_international_cn_export.toml)";

/// The total weight in kg, at SF's two decimals (rounded up: SF prices by weight bands, so
/// a hair over a band boundary must not quote the band below).
pub(super) fn total_kg(req: &RateRequest) -> Decimal {
    let sum: Decimal = req
        .parcels
        .iter()
        .map(|p| p.weight.to(WeightUnit::Kg).value())
        .sum();
    sum.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero)
}

/// The query.
pub(super) fn build(
    req: &RateRequest,
    account: &Account,
) -> Result<wire::QueryDeliverTm, CarrierError> {
    if req.is_international() || req.from.country.as_str() != "CN" {
        return Err(CarrierError::unsupported_because(
            super::CODE,
            crate::carrier::Capability::Rate,
            INTERNATIONAL_UNPRICED,
        ));
    }
    for (who, a) in [("/from", &req.from), ("/to", &req.to)] {
        if a.state.is_none() {
            return Err(CarrierError::rejected(
                super::CODE,
                &format!("{who}/state"),
                None,
                "SF needs the province (省) of every address",
            ));
        }
    }
    let day = format_description!("[year]-[month]-[day]");
    Ok(wire::QueryDeliverTm {
        business_type: None,
        weight: Num(total_kg(req)),
        consigned_time: req
            .ship_date
            .and_then(|d| d.format(day).ok())
            .map(|d| format!("{d} 09:00:00")),
        search_price: "1",
        src_address: address(&req.from),
        dest_address: address(&req.to),
        monthly_card: account.monthly_card.clone(),
    })
}

/// One quote per product we sell that SF priced.
pub(super) fn parse(
    resp: wire::DeliverTmResponse,
    req: &RateRequest,
) -> Result<Vec<Quote>, CarrierError> {
    let cny: Currency = "CNY".parse().expect("CNY is a currency");
    let billable = Weight::new(total_kg(req), WeightUnit::Kg)
        .map_err(|_| super::error::DIALECT.protocol(200, b"", "the shipment weighs nothing"))?;
    let day = format_description!("[year]-[month]-[day]");
    let mut quotes = Vec::new();
    for p in resp.deliver_tm_dto {
        let (Some(code), Some(fee)) = (p.business_type.as_deref(), p.fee) else {
            continue;
        };
        let Some(info) = super::CAPS.service(code.trim()) else {
            continue;
        };
        // CNY in its two minor units (SF writes `119` for 119.00).
        let mut fee = Money::new(fee, cny).round().amount();
        fee.rescale(cny.minor_units());
        let amount = Money::new(fee, cny);
        // `deliverTime` is "earliest,latest" (China time); the latest is the promise.
        let estimated_delivery = p
            .deliver_time
            .as_deref()
            .and_then(|t| t.split(',').next_back())
            .and_then(|t| time::Date::parse(t.trim().get(..10)?, day).ok());
        quotes.push(Quote {
            service: ServiceLevel {
                carrier: super::CODE.to_string(),
                code: info.code.into(),
                name: p
                    .business_type_desc
                    .clone()
                    .unwrap_or_else(|| info.name.into()),
                class: info.class,
            },
            total: amount,
            breakdown: vec![Charge {
                kind: ChargeKind::Base,
                code: None,
                description: "运费".into(),
                amount,
            }],
            billable_weight: billable,
            transit_days: None,
            estimated_delivery,
            guaranteed: false,
            notes: Vec::new(),
        });
    }
    Ok(quotes)
}
