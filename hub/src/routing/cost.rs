//! The cost report: spend, parcels, cost per parcel and per kg, per carrier, service, lane or
//! month; and what the choices saved: the chosen quotes against the cheapest and the fastest
//! alternative quoted with them (kept with each purchase a strategy made), and what the
//! invoice audit found recoverable. Amounts in different currencies are never added: a group
//! is also split by currency.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{Weight, WeightUnit};

use super::transit::{lane_end, lane_name};
use crate::error::Error;
use crate::ids::TenantId;
use crate::store::Store;
use crate::store::routing::CostRow;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CostGroup {
    Carrier,
    Service,
    Lane,
    Month,
}

impl CostGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            CostGroup::Carrier => "carrier",
            CostGroup::Service => "service",
            CostGroup::Lane => "lane",
            CostGroup::Month => "month",
        }
    }
}

impl FromStr for CostGroup {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        [
            CostGroup::Carrier,
            CostGroup::Service,
            CostGroup::Lane,
            CostGroup::Month,
        ]
        .into_iter()
        .find(|g| g.as_str() == s)
        .ok_or(())
    }
}

/// One group's line. Money as decimal strings in `currency`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CostLine {
    /// The carrier, `carrier/service`, the lane (`US:100>US:941`) or the month (`2026-11`).
    pub key: String,
    pub currency: String,
    pub parcels: u64,
    #[schema(value_type = String)]
    pub spend: Decimal,
    #[schema(value_type = String)]
    pub cost_per_parcel: Decimal,
    /// Total declared weight, kg.
    #[schema(value_type = String)]
    pub weight_kg: Decimal,
    #[schema(value_type = Option<String>)]
    pub cost_per_kg: Option<Decimal>,
    /// Purchases a strategy made, whose alternatives were kept.
    pub compared: u64,
    /// Σ (chosen − cheapest quoted): the premium paid over the cheapest (0 when the cheapest
    /// was bought every time).
    #[schema(value_type = String)]
    pub over_cheapest: Decimal,
    /// Σ (fastest quoted − chosen): saved against always buying the fastest.
    #[schema(value_type = String)]
    pub saved_vs_fastest: Decimal,
    /// Σ of the invoice audit's recoverable amounts on these shipments.
    #[schema(value_type = String)]
    pub recovered: Decimal,
}

fn money(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or(Decimal::ZERO)
}

fn kg(request: &serde_json::Value) -> Decimal {
    request
        .pointer("/parcels")
        .or_else(|| request.pointer("/shipment/parcels"))
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| serde_json::from_value::<Weight>(p.get("weight")?.clone()).ok())
        .map(|w| w.to(WeightUnit::Kg).value())
        .sum()
}

fn key(r: &CostRow, request: &serde_json::Value, by: CostGroup, lane_prefix: u8) -> String {
    match by {
        CostGroup::Carrier => r.carrier.clone(),
        CostGroup::Service => format!("{}/{}", r.carrier, r.service_code),
        CostGroup::Month => format!(
            "{:04}-{:02}",
            r.created_at.year(),
            u8::from(r.created_at.month())
        ),
        CostGroup::Lane => {
            let end = |e: &str| {
                let f = |n: &str| {
                    request
                        .pointer(&format!("/{e}/{n}"))
                        .or_else(|| request.pointer(&format!("/shipment/{e}/{n}")))
                        .and_then(|v| v.as_str())
                };
                lane_end(f("country").unwrap_or("??"), f("postal_code"), lane_prefix)
            };
            lane_name(&end("from"), &end("to"))
        }
    }
}

/// Folds purchases into lines, sorted by key then currency.
pub fn fold(rows: &[CostRow], by: CostGroup, lane_prefix: u8) -> Vec<CostLine> {
    let mut lines: BTreeMap<(String, String), CostLine> = BTreeMap::new();
    for r in rows {
        let request: serde_json::Value = serde_json::from_str(&r.request).unwrap_or_default();
        let k = key(r, &request, by, lane_prefix);
        let l = lines
            .entry((k.clone(), r.currency.clone()))
            .or_insert_with(|| CostLine {
                key: k,
                currency: r.currency.clone(),
                parcels: 0,
                spend: Decimal::ZERO,
                cost_per_parcel: Decimal::ZERO,
                weight_kg: Decimal::ZERO,
                cost_per_kg: None,
                compared: 0,
                over_cheapest: Decimal::ZERO,
                saved_vs_fastest: Decimal::ZERO,
                recovered: Decimal::ZERO,
            });
        let paid = money(&r.amount);
        l.parcels += 1;
        l.spend += paid;
        l.weight_kg += kg(&request);
        if let Some((cheapest, fastest)) = &r.alternatives {
            l.compared += 1;
            l.over_cheapest += paid - money(cheapest);
            l.saved_vs_fastest += money(fastest) - paid;
        }
        l.recovered += r.recovered.iter().map(|s| money(s)).sum::<Decimal>();
    }
    lines
        .into_values()
        .map(|mut l| {
            // Half away from zero, as carriers bill (`Money::round`).
            let cents = |d: Decimal| {
                let mut d = d.round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                d.rescale(2);
                d
            };
            l.cost_per_parcel = cents(l.spend / Decimal::from(l.parcels.max(1)));
            l.cost_per_kg = (l.weight_kg > Decimal::ZERO).then(|| cents(l.spend / l.weight_kg));
            l.weight_kg = l.weight_kg.normalize();
            l
        })
        .collect()
}

/// The cost report of purchases in [from, to).
pub async fn report(
    store: &Store,
    tenant: &TenantId,
    from: time::OffsetDateTime,
    to: time::OffsetDateTime,
    by: CostGroup,
) -> Result<Vec<CostLine>, Error> {
    let settings = super::rules::load(store, tenant).await?.settings;
    let rows = store.cost_rows(tenant, from, to).await?;
    Ok(fold(&rows, by, settings.lane_prefix))
}
