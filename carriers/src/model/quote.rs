use serde::{Deserialize, Serialize};
use time::Date;

use super::{Money, Weight};

/// A normalized class of service, for comparing across carriers.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceClass {
    /// Cheapest, slowest (ground economy, postal).
    Economy,
    /// Day-definite ground or deferred.
    Standard,
    /// Two- or three-day air, international express.
    Express,
    /// Next day.
    Overnight,
    /// Palletised or less-than-truckload.
    Freight,
}

/// A carrier's service: its own code plus our normalized class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceLevel {
    /// Carrier code (`ups`, `sandbox`).
    pub carrier: String,
    /// The carrier's own service code (`03` for UPS Ground).
    pub code: String,
    /// Human name.
    pub name: String,
    /// Normalized class.
    pub class: ServiceClass,
}

/// What a line of a quote or invoice charges for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// Transportation.
    Base,
    /// Fuel surcharge.
    Fuel,
    /// Any other surcharge or accessorial (residential, remote area, oversize...).
    Surcharge,
    /// Duties and taxes.
    DutiesTaxes,
    /// Contract or promotional discount (negative amount).
    Discount,
}

/// One line of a charge breakdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Charge {
    /// What kind of charge.
    pub kind: ChargeKind,
    /// The carrier's code for it, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human description.
    pub description: String,
    /// Amount (negative for discounts).
    pub amount: Money,
}

/// A priced offer from one carrier for one service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Quote {
    /// The service offered.
    pub service: ServiceLevel,
    /// What the shipper pays: the sum of the breakdown.
    pub total: Money,
    /// Charge lines.
    pub breakdown: Vec<Charge>,
    /// The weight the carrier bills (greater of actual and dimensional, rounded).
    pub billable_weight: Weight,
    /// Business days in transit, when the carrier says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_days: Option<u32>,
    /// Expected delivery date, when the carrier says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_delivery: Option<Date>,
    /// Money-back guaranteed delivery date.
    #[serde(default)]
    pub guaranteed: bool,
    /// Warnings the carrier attached to an otherwise good answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
