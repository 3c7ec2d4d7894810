//! Quotes that show their work. Every charge line carries the [`Step`]s that produced it, as
//! data (serialized with a `step` tag) and as words ([`RatedCharge::explanation`]). Steps
//! are built on the hot path without formatting any text (words are made only when asked)
//! and borrow the card's names rather than counting references to them.

use std::fmt;

use rust_decimal::Decimal;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use shiphub_carriers::model::{
    Charge, ChargeKind, CountryCode, Money, Quote, ServiceClass, ServiceLevel, Weight,
};
use time::Date;

use crate::card::postal::PostalKey;

impl Serialize for PostalKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

/// How a card combines the weights of several packages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillableRule {
    /// Each package is priced on its own billable weight; the base is the sum of the prices.
    PerPackage,
    /// The per-package billable weights are added and the total is priced once (DHL Express).
    SumOfPackages,
    /// The greater of total actual and total dimensional weight is priced once.
    Shipment,
}

/// Why an accessorial applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum SurchargeRule<'c> {
    /// Charged on every shipment.
    Always,
    /// The receiver's address is residential.
    Residential,
    /// The destination is in one of the card's remote areas.
    RemoteArea {
        /// Which area of the card matched.
        area: &'c str,
    },
    /// A package measure exceeded the accessorial's threshold.
    Threshold {
        /// Which measure.
        measure: Measure,
        /// The package's value, in the card's units.
        value: Decimal,
        /// The card's threshold.
        over: Decimal,
        /// Unit of both.
        unit: Unit,
    },
    /// Signature on delivery was asked for.
    Signature,
    /// Saturday delivery was asked for.
    Saturday,
    /// The shipment travels DDP: the carrier bills the shipper for duties.
    DutiesPaid,
}

/// A package measure an accessorial's threshold applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The longest side.
    LongestSide,
    /// The second-longest side.
    SecondSide,
    /// Longest side plus twice the other two.
    LengthPlusGirth,
    /// Scale weight.
    ActualWeight,
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Measure::LongestSide => "longest side",
            Measure::SecondSide => "second side",
            Measure::LengthPlusGirth => "length plus girth",
            Measure::ActualWeight => "actual weight",
        })
    }
}

/// The unit of a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Centimetre.
    Cm,
    /// Inch.
    In,
    /// Kilogram.
    Kg,
    /// Pound.
    Lb,
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::Cm => "cm",
            Unit::In => "in",
            Unit::Kg => "kg",
            Unit::Lb => "lb",
        })
    }
}

/// Pricing above the last weight break.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Increments {
    /// The package priced, for per-package cards.
    pub package: Option<usize>,
    /// Weight priced.
    pub weight: Weight,
    /// The last break.
    pub last_break: Weight,
    /// Its price.
    pub last_break_price: Money,
    /// The increment size.
    pub per: Weight,
    /// Started increments above the last break.
    pub count: Decimal,
    /// Price per increment.
    pub each: Money,
    /// `last_break_price + count × each`.
    pub amount: Money,
}

/// How an amount was derived from the card.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum AmountBasis {
    /// A flat amount from the card.
    Flat {
        /// The card's amount.
        amount: Money,
    },
    /// A percentage of the net transportation charge.
    Percent {
        /// The card's percentage.
        percent: Decimal,
        /// What it was applied to.
        of: Money,
    },
}

/// One step in deriving a charge.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step<'c> {
    /// The card version in force on the ship date.
    Card {
        /// Card name.
        card: &'c str,
        /// First day it is valid.
        valid_from: Date,
        /// Last day it is valid, if it ends.
        valid_to: Option<Date>,
        /// The ship date it was chosen for.
        ship_date: Date,
    },
    /// The zone the origin and destination fall in.
    Zone {
        /// The card's zone id.
        zone: &'c str,
        /// Origin country.
        origin: CountryCode,
        /// Destination country.
        destination: CountryCode,
        /// Destination postal code, normalized.
        postal_code: PostalKey,
        /// The zone's destination rule that matched.
        rule: &'c str,
    },
    /// One package's billable weight.
    PackageWeight {
        /// Index of the parcel in the request.
        package: usize,
        /// Scale weight in the card's unit.
        actual: Weight,
        /// Dimensional weight, when the service has a divisor and the parcel dimensions.
        dimensional: Option<Weight>,
        /// The service's divisor (length unit³ per weight unit).
        divisor: Option<Decimal>,
        /// The card's rounding step (the greater weight is ceiled to a multiple of it).
        rounded_to: Decimal,
        /// The result.
        billable: Weight,
    },
    /// The shipment's billable weight from its packages.
    ShipmentWeight {
        /// The card's rule.
        rule: BillableRule,
        /// Total scale weight.
        actual: Weight,
        /// Total dimensional weight, when any package had one.
        dimensional: Option<Weight>,
        /// The weight priced.
        billable: Weight,
    },
    /// The weight break that priced a weight.
    Break {
        /// The package priced, for per-package cards.
        package: Option<usize>,
        /// Weight priced.
        weight: Weight,
        /// The break: prices weights up to and including this.
        up_to: Weight,
        /// The card's price for the break in the zone.
        price: Money,
    },
    /// Pricing above the last break (boxed: rare, and the largest step).
    Increments(Box<Increments>),
    /// The service's minimum charge raised the net transportation charge.
    Minimum {
        /// Base less discount.
        computed: Money,
        /// The card's minimum.
        minimum: Money,
    },
    /// The contract discount on the base rate.
    Discount {
        /// Percent off.
        percent: Decimal,
        /// The base it was taken from.
        of: Money,
    },
    /// An accessorial's rule matched.
    Surcharge {
        /// The accessorial's code.
        code: &'c str,
        /// The package it matched, for per-package accessorials.
        package: Option<usize>,
        /// Why it applied.
        rule: SurchargeRule<'c>,
        /// How much.
        amount: AmountBasis,
    },
    /// The fuel surcharge in force on the ship date.
    Fuel {
        /// Date of the fuel table row used.
        effective_from: Date,
        /// Its percentage.
        percent: Decimal,
        /// Charges it applied to (net transportation plus fuel-bearing accessorials).
        of: Money,
    },
    /// Converted from the card's currency at the card's rate.
    Converted {
        /// Amount in the card's currency.
        from: Money,
        /// `1 from-currency = rate to-currency`.
        rate: Decimal,
        /// Amount shown.
        to: Money,
    },
}

/// A weight in words: exact up to 3 decimal places, else rounded to 3 and marked `~` (the
/// structured step keeps every digit).
fn w(w: &Weight) -> String {
    let v = w.value();
    if v.scale() <= 3 {
        format!("{v} {}", unit(w))
    } else {
        format!("~{} {}", v.round_dp(3).normalize(), unit(w))
    }
}

fn unit(w: &Weight) -> &'static str {
    use shiphub_carriers::model::WeightUnit::*;
    match w.unit() {
        Kg => "kg",
        G => "g",
        Lb => "lb",
        Oz => "oz",
    }
}

fn pkg(p: Option<usize>) -> String {
    p.map(|p| format!("package {}: ", p + 1))
        .unwrap_or_default()
}

impl fmt::Display for Step<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Card {
                card,
                valid_from,
                valid_to,
                ship_date,
            } => {
                write!(f, "card {card} valid from {valid_from}")?;
                if let Some(to) = valid_to {
                    write!(f, " to {to}")?;
                }
                write!(f, " for ship date {ship_date}")
            }
            Step::Zone {
                zone,
                origin,
                destination,
                postal_code,
                rule,
            } => write!(
                f,
                "zone {zone}: {origin} to {destination} {postal_code:?} matches {rule}"
            ),
            Step::PackageWeight {
                package,
                actual,
                dimensional,
                divisor,
                rounded_to,
                billable,
            } => {
                write!(f, "package {}: actual {}", package + 1, w(actual))?;
                if let (Some(d), Some(div)) = (dimensional, divisor) {
                    write!(f, ", dimensional {} (divisor {div})", w(d))?;
                }
                write!(
                    f,
                    ", billable {} (greater, ceiled to {rounded_to} {})",
                    w(billable),
                    unit(billable)
                )
            }
            Step::ShipmentWeight {
                rule,
                actual,
                dimensional,
                billable,
            } => {
                let how = match rule {
                    BillableRule::PerPackage => "each package priced on its own",
                    BillableRule::SumOfPackages => "sum of package billable weights",
                    BillableRule::Shipment => "greater of total actual and total dimensional",
                };
                write!(f, "shipment: actual {}", w(actual))?;
                if let Some(d) = dimensional {
                    write!(f, ", dimensional {}", w(d))?;
                }
                write!(f, ", billable {} ({how})", w(billable))
            }
            Step::Break {
                package,
                weight,
                up_to,
                price,
            } => write!(
                f,
                "{}{} priced at the break up to {}: {price}",
                pkg(*package),
                w(weight),
                w(up_to)
            ),
            Step::Increments(i) => write!(
                f,
                "{}{} is above the last break {} ({last_break_price}): {count} × {each} per additional {} = {amount}",
                pkg(i.package),
                w(&i.weight),
                w(&i.last_break),
                w(&i.per),
                last_break_price = i.last_break_price,
                count = i.count,
                each = i.each,
                amount = i.amount,
            ),
            Step::Minimum { computed, minimum } => {
                write!(f, "{computed} is below the minimum charge {minimum}")
            }
            Step::Discount { percent, of } => write!(f, "contract discount {percent}% of {of}"),
            Step::Surcharge {
                code,
                package,
                rule,
                amount,
            } => {
                write!(f, "{}{code} applies: ", pkg(*package))?;
                match rule {
                    SurchargeRule::Always => write!(f, "charged on every shipment")?,
                    SurchargeRule::Residential => write!(f, "residential delivery address")?,
                    SurchargeRule::RemoteArea { area } => write!(f, "destination in {area}")?,
                    SurchargeRule::Threshold {
                        measure,
                        value,
                        over,
                        unit,
                    } => write!(f, "{measure} {value} {unit} is over {over} {unit}")?,
                    SurchargeRule::Signature => write!(f, "signature requested")?,
                    SurchargeRule::Saturday => write!(f, "Saturday delivery requested")?,
                    SurchargeRule::DutiesPaid => {
                        write!(f, "duties and taxes paid by the shipper (DDP)")?
                    }
                }
                match amount {
                    AmountBasis::Flat { amount } => write!(f, ", {amount}"),
                    AmountBasis::Percent { percent, of } => write!(f, ", {percent}% of {of}"),
                }
            }
            Step::Fuel {
                effective_from,
                percent,
                of,
            } => write!(f, "fuel {percent}% (table from {effective_from}) of {of}"),
            Step::Converted { from, rate, to } => write!(
                f,
                "converted {from} at 1 {} = {rate} {} to {to}",
                from.currency(),
                to.currency()
            ),
        }
    }
}

/// One line of a rated quote with the steps behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct RatedCharge<'c> {
    /// What it charges for.
    pub kind: ChargeKind,
    /// Card code: `BASE`, `MIN`, `DISCOUNT`, `FUEL` or the accessorial's code.
    pub code: &'c str,
    /// Human name (the accessorial's name from the card).
    pub name: &'c str,
    /// Amount, negative for discounts.
    pub amount: Money,
    /// How it was derived, in order.
    pub steps: Vec<Step<'c>>,
}

impl RatedCharge<'_> {
    /// The steps in words, `; `-separated.
    pub fn explanation(&self) -> String {
        let parts: Vec<String> = self.steps.iter().map(Step::to_string).collect();
        parts.join("; ")
    }

    /// The workspace's `Charge`, whose description carries the explanation in words.
    pub fn to_charge(&self) -> Charge {
        Charge {
            kind: self.kind,
            code: Some(self.code.to_string()),
            description: format!("{}: {}", self.name, self.explanation()),
            amount: self.amount,
        }
    }
}

/// Serialized with its `explanation` in words beside the structured `steps`.
impl Serialize for RatedCharge<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("RatedCharge", 6)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("code", self.code)?;
        st.serialize_field("description", self.name)?;
        st.serialize_field("amount", &self.amount)?;
        st.serialize_field("explanation", &self.explanation())?;
        st.serialize_field("steps", &self.steps)?;
        st.end()
    }
}

/// A quote for one service of a rate card, every line explained.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RatedQuote<'c> {
    /// Service code from the card.
    pub service: &'c str,
    /// Service name.
    pub service_name: &'c str,
    /// Normalized class.
    pub class: ServiceClass,
    /// Sum of the charges.
    pub total: Money,
    /// Charge lines: base, minimum adjustment, discount, accessorials, fuel.
    pub charges: Vec<RatedCharge<'c>>,
    /// The weight priced (the sum of package billable weights for per-package cards).
    pub billable_weight: Weight,
    /// Transit time from the card, in business days.
    pub transit_days: Option<u32>,
    /// Ship date plus transit days, skipping Saturdays and Sundays.
    pub estimated_delivery: Option<Date>,
    /// The card version that priced it ([`Step::Card`]).
    pub card: Step<'c>,
}

impl RatedQuote<'_> {
    /// The workspace's `Quote` for carrier `carrier`: each charge's description carries its
    /// explanation in words, and the notes say which card version priced it.
    pub fn to_quote(&self, carrier: &str) -> Quote {
        Quote {
            service: ServiceLevel {
                carrier: carrier.to_string(),
                code: self.service.to_string(),
                name: self.service_name.to_string(),
                class: self.class,
            },
            total: self.total,
            breakdown: self.charges.iter().map(RatedCharge::to_charge).collect(),
            billable_weight: self.billable_weight,
            transit_days: self.transit_days,
            estimated_delivery: self.estimated_delivery,
            guaranteed: false,
            notes: vec![self.card.to_string()],
        }
    }
}
