//! The rate card file as written (TOML), before validation. Field names here are the file
//! format documented in `rating/README.md`. Amounts are [`Amount`]s: strings or integers,
//! never TOML floats, so "2.10" stays exactly 2.10. Values that a later check may reject
//! are wrapped in [`Spanned`] so the complaint can name their line.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use shiphub_carriers::model::{CountryCode, Currency, ServiceClass};
use toml::Spanned;
use toml::value::Datetime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCard {
    pub name: String,
    pub carrier: String,
    pub currency: Currency,
    pub valid_from: Spanned<Datetime>,
    #[serde(default)]
    pub valid_to: Option<Spanned<Datetime>>,
    pub weight_unit: RawWeightUnit,
    pub length_unit: RawLengthUnit,
    pub origins: Spanned<Vec<CountryCode>>,
    #[serde(default)]
    pub currency_conversion: Option<RawConversion>,
    #[serde(rename = "zone")]
    pub zones: Vec<RawZone>,
    #[serde(rename = "service")]
    pub services: Vec<RawService>,
    #[serde(default)]
    pub fuel: Vec<RawFuel>,
    #[serde(default)]
    pub discounts: BTreeMap<Spanned<String>, Percent>,
    #[serde(default, rename = "accessorial")]
    pub accessorials: Vec<Spanned<RawAccessorial>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawWeightUnit {
    Kg,
    Lb,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawLengthUnit {
    Cm,
    In,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConversion {
    pub quote_currency: Spanned<Currency>,
    /// `1 <card currency> = rate <other currency>`, keyed by ISO 4217 code.
    pub rates: BTreeMap<Spanned<String>, PositiveAmount>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawZone {
    pub id: Spanned<String>,
    /// Origins this zone applies to; absent means any of the card's `origins`.
    #[serde(default)]
    pub from: Option<Vec<RawPlace>>,
    pub to: Vec<RawPlace>,
}

/// A country, optionally narrowed to postal codes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlace {
    pub country: CountryCode,
    #[serde(default)]
    pub postal_prefixes: Vec<Spanned<String>>,
    #[serde(default)]
    pub postal_ranges: Vec<Spanned<[String; 2]>>,
    #[serde(default)]
    pub postal_codes: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawBillable {
    PerPackage,
    SumOfPackages,
    Shipment,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    pub code: Spanned<String>,
    pub name: String,
    pub class: ServiceClass,
    #[serde(default)]
    pub transit_days: Option<Spanned<Vec<u32>>>,
    #[serde(default)]
    pub dim_divisor: Option<PositiveAmount>,
    pub rounding: PositiveAmount,
    pub billable: RawBillable,
    #[serde(default)]
    pub minimum: Option<Amount>,
    #[serde(default)]
    pub max_package_weight: Option<PositiveAmount>,
    pub zones: Vec<Spanned<String>>,
    pub breaks: Spanned<Vec<Spanned<Vec<Amount>>>>,
    #[serde(default)]
    pub additional: Option<RawAdditional>,
}

/// Pricing above the last break: `prices[zone]` per started `per` of weight.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdditional {
    pub per: PositiveAmount,
    pub prices: Spanned<Vec<Amount>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFuel {
    pub from: Spanned<Datetime>,
    pub percent: Percent,
    #[serde(default)]
    pub services: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawWhen {
    Always,
    Residential,
    RemoteArea,
    AdditionalHandling,
    Oversize,
    Signature,
    Saturday,
    DutiesPaid,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawPer {
    Shipment,
    Package,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccessorial {
    pub code: Spanned<String>,
    pub name: String,
    pub when: RawWhen,
    #[serde(default)]
    pub amount: Option<Amount>,
    #[serde(default)]
    pub percent: Option<Percent>,
    #[serde(default)]
    pub per: Option<RawPer>,
    #[serde(default = "yes")]
    pub fuel: bool,
    #[serde(default)]
    pub services: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub unless: Vec<Spanned<String>>,
    #[serde(default)]
    pub areas: Vec<RawPlace>,
    #[serde(default)]
    pub longest_side_over: Option<PositiveAmount>,
    #[serde(default)]
    pub second_side_over: Option<PositiveAmount>,
    #[serde(default)]
    pub length_plus_girth_over: Option<PositiveAmount>,
    #[serde(default)]
    pub weight_over: Option<PositiveAmount>,
}

fn yes() -> bool {
    true
}

/// A non-negative exact decimal written as a string (`"2.10"`) or an integer (`2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Amount(pub Decimal);

/// An [`Amount`] greater than zero (divisors, steps, rates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PositiveAmount(pub Decimal);

/// A percentage from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Percent(pub Decimal);

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal number as a string (\"2.10\") or an integer")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        v.trim()
            .parse::<Decimal>()
            .map_err(|_| E::custom(format!("`{v}` is not a decimal number")))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    /// TOML floats are binary: `2.10` may not survive exactly, so amounts are strings.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        Err(E::custom(format!(
            "write decimal amounts as strings (\"{v}\") so they stay exact; TOML floats are binary"
        )))
    }
}

fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

/// Card values are bounded so that no quote's arithmetic can overflow a `Decimal` (7.9e28):
/// with requests bounded at 1,000,000 units per parcel side or weight, the largest chain
/// (1e6 / 1e-6 increments × 1e7 × 50 parcels × a 1e7 rate) stays below 1e28.
const MAX_VALUE: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);
const MIN_POSITIVE: Decimal = Decimal::from_parts(1, 0, 0, false, 6);

fn bounded<E: de::Error>(v: Decimal) -> Result<Decimal, E> {
    if v > MAX_VALUE {
        return Err(E::custom(format!(
            "{v} is above the largest value a card may state (10,000,000)"
        )));
    }
    Ok(v)
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = decimal(d)?;
        if v.is_sign_negative() && !v.is_zero() {
            return Err(de::Error::custom(format!("{v} must not be negative")));
        }
        Ok(Amount(bounded(v)?))
    }
}

impl<'de> Deserialize<'de> for PositiveAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = decimal(d)?;
        if v < MIN_POSITIVE {
            return Err(de::Error::custom(format!(
                "{v} must be at least 0.000001 (greater than zero)"
            )));
        }
        Ok(PositiveAmount(bounded(v)?))
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = decimal(d)?;
        if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
            return Err(de::Error::custom(format!(
                "{v} is not a percentage from 0 to 100"
            )));
        }
        Ok(Percent(v))
    }
}
