//! The quote engine: prices a `RateRequest` from one compiled card. Pure (no clock, no I/O),
//! allocation-light, and every line is explained by the [`Step`]s that produced it.
//!
//! Order of work for each service: zone (once per request) → billable weight → base from the
//! weight breaks (plus increments above the last break) → contract discount → minimum charge →
//! accessorials → fuel on the net transportation charge and the fuel-bearing accessorials →
//! conversion to the quote currency. Each line is rounded half away from zero to the
//! currency's minor unit as it is made; the total is the sum of the rounded lines, so a quote
//! always adds up exactly. Conversion converts each rounded line and rounds again.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use shiphub_carriers::model::{
    ChargeKind, Currency, Incoterm, LengthUnit, Money, RateRequest, Weight, WeightUnit,
};
use time::{Date, Duration, Weekday};

use crate::card::postal::PostalKey;
use crate::card::{Accessorial, Basis, RateCard, Service, When};
use crate::explain::{
    AmountBasis, BillableRule, Increments, Measure, RatedCharge, RatedQuote, Step, SurchargeRule,
    Unit,
};

/// What a request can ask for beyond `RateRequest` (which has no field for these yet).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuoteOptions {
    /// Signature on delivery (the card's `signature` accessorial).
    pub signature: bool,
    /// Saturday delivery (the card's `saturday` accessorial).
    pub saturday_delivery: bool,
    /// Show amounts in this currency; the card must state a rate to it. Default: the card's
    /// `quote_currency`, else its own currency.
    pub currency: Option<Currency>,
}

/// Why a shipment could not be priced: a field of the request (JSON pointer, as in the API),
/// a stable code and a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RateError {
    /// JSON pointer into the request (`/to/postal_code`).
    pub field: String,
    /// Stable code: `NO_CARD`, `ORIGIN_NOT_SERVED`, `NO_ZONE`, `UNKNOWN_SERVICE`,
    /// `SERVICE_NOT_IN_ZONE`, `TOO_HEAVY`, `NO_RATE_FOR_CURRENCY`, `INVALID_SHIPMENT`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

impl RateError {
    pub(crate) fn new(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        RateError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// One parcel in the card's units.
struct Pkg {
    actual: Decimal,
    /// Sides, longest first, in the card's length unit.
    sides: Option<[Decimal; 3]>,
}

/// What every service of one request shares.
pub(crate) struct Prepared<'c> {
    zone: usize,
    zone_step: Step<'c>,
    pkgs: Vec<Pkg>,
    postal: PostalKey,
    ship_date: Date,
    target: Option<(Currency, Decimal, u32)>,
    /// International and DDP: the shipper pays duties through the carrier.
    ddp: bool,
}

/// Half away from zero to `dp` places, as carriers bill; a no-op (and cheap) when `d` has no
/// more places than that.
fn round(d: Decimal, dp: u32) -> Decimal {
    if d.scale() <= dp {
        d
    } else {
        d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
    }
}

/// `pct` % of `x`, exactly: the product with its scale raised by two (a division by 100
/// that costs nothing), falling back to a multiplication by 0.01 at the 28-digit limit.
fn percent_of(x: Decimal, pct: Decimal) -> Decimal {
    let mut r = x * pct;
    if r.set_scale(r.scale() + 2).is_ok() {
        r
    } else {
        x * pct * Decimal::new(1, 2)
    }
}

/// `v` rounded up to a multiple of `step`; `inverse` is `1 / step` when that is exact (0.5 →
/// 2), which turns the division into a multiplication.
fn ceil_to(v: Decimal, step: Decimal, inverse: Option<Decimal>) -> Decimal {
    match inverse {
        Some(inv) if inv == Decimal::ONE => v.ceil(),
        Some(inv) => (v * inv).ceil() * step,
        None => (v / step).ceil() * step,
    }
}

/// `1 / d` when it is exact in 28 digits.
pub(crate) fn exact_inverse(d: Decimal) -> Option<Decimal> {
    let inv = Decimal::ONE.checked_div(d)?;
    (inv * d == Decimal::ONE).then_some(inv)
}

/// Ship date plus `days` business days (Monday to Friday).
fn add_business_days(mut d: Date, days: u32) -> Date {
    let mut left = days;
    while left > 0 {
        d += Duration::days(1);
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    d
}

impl RateCard {
    fn w(&self, v: Decimal) -> Weight {
        Weight::new(v, self.weight_unit).expect("weights here are never negative")
    }
    fn money(&self, v: Decimal) -> Money {
        Money::new(v, self.currency)
    }
    fn weight_name(&self) -> &'static str {
        match self.weight_unit {
            WeightUnit::Lb => "lb",
            _ => "kg",
        }
    }

    /// Everything about `req` that does not depend on the service: validation, the zone,
    /// parcels in the card's units, the quote currency.
    pub(crate) fn prepare<'c>(
        &'c self,
        req: &RateRequest,
        opts: &QuoteOptions,
        ship_date: Date,
    ) -> Result<Prepared<'c>, RateError> {
        req.validate()
            .map_err(|e| RateError::new(e.field, "INVALID_SHIPMENT", e.message))?;
        if !self.is_valid_on(ship_date) {
            return Err(RateError::new(
                "/ship_date",
                "NO_CARD",
                format!("card {} is not valid on {ship_date}", self.name),
            ));
        }
        if !self.origins.contains(&req.from.country) {
            return Err(RateError::new(
                "/from/country",
                "ORIGIN_NOT_SERVED",
                format!("card {} does not ship from {}", self.name, req.from.country),
            ));
        }
        let from_key = PostalKey::new(req.from.postal_code.as_deref().unwrap_or_default());
        let postal = PostalKey::new(req.to.postal_code.as_deref().unwrap_or_default());
        let candidates = (self.by_destination)
            .binary_search_by_key(&req.to.country, |(c, _)| *c)
            .map(|i| &self.by_destination[i].1)
            .map_err(|_| {
                RateError::new(
                    "/to/country",
                    "NO_ZONE",
                    format!("card {} has no zone for {}", self.name, req.to.country),
                )
            })?;
        let (zone, place) = candidates
            .iter()
            .copied()
            .find(|&(zi, pi)| {
                let z = &self.zones[zi];
                z.to[pi].postal.matches(&postal)
                    && z.from.as_ref().is_none_or(|from| {
                        from.iter()
                            .any(|p| p.country == req.from.country && p.postal.matches(&from_key))
                    })
            })
            .ok_or_else(|| {
                RateError::new(
                    "/to/postal_code",
                    "NO_ZONE",
                    format!(
                        "card {} has no zone for {} {postal:?} from {}",
                        self.name, req.to.country, req.from.country
                    ),
                )
            })?;
        let zone_step = Step::Zone {
            zone: &self.zones[zone].id,
            origin: req.from.country,
            destination: req.to.country,
            postal_code: postal,
            rule: &self.zones[zone].to[place].describe,
        };
        // Decimal arithmetic panics on overflow (past 7.9e28): bound what a request may carry
        // far above any parcel, so no input can reach that (card values are bounded too).
        let limit = Decimal::from(1_000_000);
        let mut pkgs = Vec::with_capacity(req.parcels.len());
        for (i, p) in req.parcels.iter().enumerate() {
            let actual = p.weight.to(self.weight_unit).value();
            let sides = p.dimensions.map(|d| {
                let d = d.to(self.length_unit);
                let mut s = [d.length(), d.width(), d.height()];
                s.sort_unstable_by(|a, b| b.cmp(a));
                s
            });
            if actual > limit || sides.is_some_and(|s| s[0] > limit) {
                return Err(RateError::new(
                    format!("/parcels/{i}"),
                    "INVALID_SHIPMENT",
                    "weight and sides must be below 1,000,000 of the card's units",
                ));
            }
            pkgs.push(Pkg { actual, sides });
        }
        let target = match opts.currency {
            None => self.quote_currency,
            Some(c) if c == self.currency => None,
            Some(c) => {
                let (_, rate) = self.rates.iter().find(|(x, _)| *x == c).ok_or_else(|| {
                    RateError::new(
                        "/currency",
                        "NO_RATE_FOR_CURRENCY",
                        format!(
                            "card {} states no rate from {} to {c}",
                            self.name, self.currency
                        ),
                    )
                })?;
                Some((c, *rate, c.minor_units()))
            }
        };
        Ok(Prepared {
            zone,
            zone_step,
            pkgs,
            postal,
            ship_date,
            target,
            ddp: req.is_international()
                && req
                    .customs
                    .as_ref()
                    .is_some_and(|c| c.incoterm == Incoterm::DDP),
        })
    }

    /// Quotes of every service that serves the request's zone and can carry the shipment, in
    /// card order. A service that cannot (too heavy for it) is left out; when none can, the
    /// first service's refusal is the answer.
    pub(crate) fn quote_all(
        &self,
        req: &RateRequest,
        opts: &QuoteOptions,
        ship_date: Date,
    ) -> Result<Vec<RatedQuote<'_>>, RateError> {
        let p = self.prepare(req, opts, ship_date)?;
        let mut out = Vec::with_capacity(self.services.len());
        let mut refused = None;
        for s in &self.services {
            if s.column_of_zone[p.zone].is_some() {
                match self.price(s, &p, req, opts) {
                    Ok(q) => out.push(q),
                    Err(e) => {
                        refused.get_or_insert(e);
                    }
                }
            }
        }
        match refused {
            Some(e) if out.is_empty() => Err(e),
            _ => Ok(out),
        }
    }

    /// The quote of service `code`.
    pub(crate) fn quote_one(
        &self,
        req: &RateRequest,
        code: &str,
        opts: &QuoteOptions,
        ship_date: Date,
    ) -> Result<RatedQuote<'_>, RateError> {
        let s = self
            .services
            .iter()
            .find(|s| &*s.code == code)
            .ok_or_else(|| {
                RateError::new(
                    "/service",
                    "UNKNOWN_SERVICE",
                    format!("card {} has no service `{code}`", self.name),
                )
            })?;
        let p = self.prepare(req, opts, ship_date)?;
        self.price(s, &p, req, opts)
    }

    /// The price of `w` in column `col`, with the step that explains it.
    fn lookup<'c>(
        &'c self,
        s: &'c Service,
        col: usize,
        w: Decimal,
        package: Option<usize>,
    ) -> Result<(Decimal, Step<'c>), RateError> {
        let prices = &s.prices[col];
        // Integer comparisons where the card's breaks and the weight have at most 3 places.
        let i = match &s.breaks_milli {
            Some(milli) if w.scale() <= 3 => {
                let m = w.mantissa() * 10i128.pow(3 - w.scale());
                milli.partition_point(|b| *b < m)
            }
            _ => s.breaks.partition_point(|b| *b < w),
        };
        if i < s.breaks.len() {
            let price = prices[i];
            return Ok((
                price,
                Step::Break {
                    package,
                    weight: self.w(w),
                    up_to: self.w(s.breaks[i]),
                    price: self.money(price),
                },
            ));
        }
        let last = s.breaks.len() - 1;
        let Some(add) = &s.additional else {
            return Err(RateError::new(
                package.map_or("/parcels".to_string(), |p| format!("/parcels/{p}/weight")),
                "TOO_HEAVY",
                format!(
                    "{} {} is above the heaviest break of {} ({} {}), and the card prices nothing heavier",
                    w,
                    self.weight_name(),
                    s.code,
                    s.breaks[last],
                    self.weight_name()
                ),
            ));
        };
        let count = ((w - s.breaks[last]) / add.per).ceil();
        let each = add.prices[col];
        let amount = prices[last] + count * each;
        Ok((
            amount,
            Step::Increments(Box::new(Increments {
                package,
                weight: self.w(w),
                last_break: self.w(s.breaks[last]),
                last_break_price: self.money(prices[last]),
                per: self.w(add.per),
                count,
                each: self.money(each),
                amount: self.money(amount),
            })),
        ))
    }

    fn price<'c>(
        &'c self,
        s: &'c Service,
        p: &Prepared<'c>,
        req: &RateRequest,
        opts: &QuoteOptions,
    ) -> Result<RatedQuote<'c>, RateError> {
        let col = s.column_of_zone[p.zone].ok_or_else(|| {
            RateError::new(
                "/to",
                "SERVICE_NOT_IN_ZONE",
                format!("{} does not serve zone {}", s.code, self.zones[p.zone].id),
            )
        })?;
        let dp = self.currency_dp;
        let per_package = s.billable == BillableRule::PerPackage;
        let mut base_steps = Vec::with_capacity(2 + 2 * p.pkgs.len() + 1);
        base_steps.push(p.zone_step.clone());

        // Billable weight. A package without dimensions counts its actual weight as its
        // dimensional weight: nothing is known to make it bill heavier. Per-package cards
        // price each package as its weight is known.
        let (mut total_actual, mut total_dim, mut any_dim) = (Decimal::ZERO, Decimal::ZERO, false);
        let (mut billable, mut base) = (Decimal::ZERO, Decimal::ZERO);
        for (i, k) in p.pkgs.iter().enumerate() {
            if let Some(max) = s.max_package_weight
                && k.actual > max
            {
                return Err(RateError::new(
                    format!("/parcels/{i}/weight"),
                    "TOO_HEAVY",
                    format!(
                        "{} takes packages up to {max} {}",
                        s.code,
                        self.weight_name()
                    ),
                ));
            }
            let dim = match (s.dim_divisor, s.dim_inverse, k.sides) {
                (_, Some(inv), Some([a, b, c])) => Some(a * b * c * inv),
                (Some(div), None, Some([a, b, c])) => Some(a * b * c / div),
                _ => None,
            };
            total_actual += k.actual;
            total_dim += dim.unwrap_or(k.actual);
            any_dim |= dim.is_some();
            if s.billable != BillableRule::Shipment {
                let w = ceil_to(
                    dim.map_or(k.actual, |d| d.max(k.actual)),
                    s.rounding,
                    s.rounding_inverse,
                );
                billable += w;
                base_steps.push(Step::PackageWeight {
                    package: i,
                    actual: self.w(k.actual),
                    dimensional: dim.map(|d| self.w(d)),
                    divisor: dim.and(s.dim_divisor),
                    rounded_to: s.rounding,
                    billable: self.w(w),
                });
                if per_package {
                    let (price, step) = self.lookup(s, col, w, Some(i))?;
                    base += price;
                    base_steps.push(step);
                }
            }
        }
        if s.billable == BillableRule::Shipment {
            billable = ceil_to(total_actual.max(total_dim), s.rounding, s.rounding_inverse);
        }
        base_steps.push(Step::ShipmentWeight {
            rule: s.billable,
            actual: self.w(total_actual),
            dimensional: any_dim.then(|| self.w(total_dim)),
            billable: self.w(billable),
        });
        if !per_package {
            let (price, step) = self.lookup(s, col, billable, None)?;
            base = price;
            base_steps.push(step);
        }

        let mut charges = Vec::with_capacity(4 + s.accessorials.len());
        charges.push(line(
            ChargeKind::Base,
            BASE,
            BASE_NAME,
            self.money(base),
            base_steps,
        ));
        let mut net = base;
        if let Some(pct) = s.discount {
            let d = round(percent_of(base, pct), dp);
            net -= d;
            charges.push(line(
                ChargeKind::Discount,
                DISCOUNT,
                DISCOUNT_NAME,
                self.money(-d),
                vec![Step::Discount {
                    percent: pct,
                    of: self.money(base),
                }],
            ));
        }
        if let Some(min) = s.minimum
            && net < min
        {
            charges.push(line(
                ChargeKind::Base,
                MIN,
                MIN_NAME,
                self.money(min - net),
                vec![Step::Minimum {
                    computed: self.money(net),
                    minimum: self.money(min),
                }],
            ));
            net = min;
        }

        let fuel_of = self.accessorials(s, p, req, opts, net, &mut charges) + net;

        let fuel_row = s.fuel.iter().rev().find(|(from, _)| *from <= p.ship_date);
        if let Some(&(from, pct)) = fuel_row {
            let amount = round(percent_of(fuel_of, pct), dp);
            charges.push(line(
                ChargeKind::Fuel,
                FUEL,
                FUEL_NAME,
                self.money(amount),
                vec![Step::Fuel {
                    effective_from: from,
                    percent: pct,
                    of: self.money(fuel_of),
                }],
            ));
        }

        let currency = match p.target {
            Some((to, rate, to_dp)) => {
                for c in &mut charges {
                    let converted = Money::new(round(c.amount.amount() * rate, to_dp), to);
                    c.steps.push(Step::Converted {
                        from: c.amount,
                        rate,
                        to: converted,
                    });
                    c.amount = converted;
                }
                to
            }
            None => self.currency,
        };
        let total = Money::new(charges.iter().map(|c| c.amount.amount()).sum(), currency);
        let transit_days = s.transit_days.as_ref().map(|t| t[col]);
        Ok(RatedQuote {
            service: &s.code,
            service_name: &s.name,
            class: s.class,
            total,
            charges,
            billable_weight: self.w(billable),
            transit_days,
            estimated_delivery: transit_days.map(|d| add_business_days(p.ship_date, d)),
            card: Step::Card {
                card: &self.name,
                valid_from: self.valid_from,
                valid_to: self.valid_to,
                ship_date: p.ship_date,
            },
        })
    }

    /// Whether accessorial `a` applies to the shipment as a whole, without building its
    /// explanation: `Some(area index)` (0 unless a remote area matched). Thresholds are per
    /// package: `None`.
    fn shipment_match(
        &self,
        a: &Accessorial,
        p: &Prepared<'_>,
        req: &RateRequest,
        opts: &QuoteOptions,
    ) -> Option<usize> {
        let yes = |b: bool| b.then_some(0);
        match a.when {
            When::Always => Some(0),
            When::Residential => yes(req.to.residential),
            When::RemoteArea => a
                .areas
                .iter()
                .position(|x| x.country == req.to.country && x.postal.matches(&p.postal)),
            When::Signature => yes(opts.signature),
            When::Saturday => yes(opts.saturday_delivery),
            When::DutiesPaid => yes(p.ddp),
            When::Threshold => None,
        }
    }

    /// The explanation of a shipment-level match found by `shipment_match`.
    fn shipment_rule(a: &Accessorial, area: usize) -> SurchargeRule<'_> {
        match a.when {
            When::Always | When::Threshold => SurchargeRule::Always,
            When::Residential => SurchargeRule::Residential,
            When::RemoteArea => SurchargeRule::RemoteArea {
                area: &a.areas[area].describe,
            },
            When::Signature => SurchargeRule::Signature,
            When::Saturday => SurchargeRule::Saturday,
            When::DutiesPaid => SurchargeRule::DutiesPaid,
        }
    }

    /// Adds a line per matching accessorial (one per code, package matches summed into it) and
    /// returns the part of their amounts that bears fuel. Two passes, so that `unless` sees
    /// every match, without collecting the matches.
    fn accessorials<'c>(
        &'c self,
        s: &'c Service,
        p: &Prepared<'c>,
        req: &RateRequest,
        opts: &QuoteOptions,
        net: Decimal,
        charges: &mut Vec<RatedCharge<'c>>,
    ) -> Decimal {
        // Pass 1: which accessorials match the shipment, and each package. `detail` keeps the
        // remote area that matched, or for a per-shipment threshold the package that did.
        let mut shipment_mask = 0u64;
        let mut detail = [0usize; 64];
        // `RateRequest::validate` allows at most 50 parcels.
        let mut package_masks = [0u64; 50];
        for &ai in &s.accessorials {
            let a = &self.accessorials[ai];
            let hit = match a.when {
                When::Threshold if !a.per_package => {
                    p.pkgs.iter().position(|k| self.threshold(a, k).is_some())
                }
                _ => self.shipment_match(a, p, req, opts),
            };
            if let Some(d) = hit {
                detail[ai] = d;
            }
            if a.per_package {
                for (i, k) in p.pkgs.iter().enumerate() {
                    let matched = match a.when {
                        When::Threshold => self.threshold(a, k).is_some(),
                        _ => hit.is_some(),
                    };
                    if matched {
                        package_masks[i] |= 1 << ai;
                    }
                }
            } else if hit.is_some() {
                shipment_mask |= 1 << ai;
            }
        }
        // A shipment-level `unless` sees the matches of every package too.
        let any_package = package_masks[..p.pkgs.len()].iter().fold(0, |m, x| m | x);
        // Pass 2: lines for the matches no other match cancels.
        let mut fuel_bearing = Decimal::ZERO;
        for &ai in &s.accessorials {
            let a = &self.accessorials[ai];
            let bit = 1u64 << ai;
            let mut line_index = None;
            let mut add = |package: Option<usize>,
                           rule: SurchargeRule<'c>,
                           charges: &mut Vec<RatedCharge<'c>>| {
                let (amount, basis) = match a.basis {
                    Basis::Flat(x) => (
                        x,
                        AmountBasis::Flat {
                            amount: self.money(x),
                        },
                    ),
                    Basis::Percent(pct) => (
                        round(percent_of(net, pct), self.currency_dp),
                        AmountBasis::Percent {
                            percent: pct,
                            of: self.money(net),
                        },
                    ),
                };
                if a.fuel {
                    fuel_bearing += amount;
                }
                let step = Step::Surcharge {
                    code: &a.code,
                    package,
                    rule,
                    amount: basis,
                };
                match line_index {
                    Some(li) => {
                        let c: &mut RatedCharge<'c> = &mut charges[li];
                        c.amount = self.money(c.amount.amount() + amount);
                        c.steps.push(step);
                    }
                    None => {
                        line_index = Some(charges.len());
                        charges.push(line(
                            ChargeKind::Surcharge,
                            &a.code,
                            &a.name,
                            self.money(amount),
                            vec![step],
                        ));
                    }
                }
            };
            if a.per_package {
                for (i, k) in p.pkgs.iter().enumerate() {
                    let mask = shipment_mask | package_masks[i];
                    if mask & bit == 0 || a.unless & mask != 0 {
                        continue;
                    }
                    let rule = match a.when {
                        When::Threshold => self.threshold(a, k).expect("matched in pass 1"),
                        _ => Self::shipment_rule(a, detail[ai]),
                    };
                    add(Some(i), rule, charges);
                }
            } else if shipment_mask & bit != 0 && a.unless & (shipment_mask | any_package) == 0 {
                match a.when {
                    When::Threshold => {
                        let i = detail[ai];
                        let rule = self.threshold(a, &p.pkgs[i]).expect("matched in pass 1");
                        add(Some(i), rule, charges);
                    }
                    _ => add(None, Self::shipment_rule(a, detail[ai]), charges),
                }
            }
        }
        fuel_bearing
    }

    /// The first threshold of `a` the package exceeds.
    fn threshold(&self, a: &Accessorial, k: &Pkg) -> Option<SurchargeRule<'static>> {
        let len = match self.length_unit {
            LengthUnit::Cm => Unit::Cm,
            LengthUnit::In => Unit::In,
        };
        let wt = match self.weight_unit {
            WeightUnit::Lb => Unit::Lb,
            _ => Unit::Kg,
        };
        let over = |measure: Measure, value: Decimal, limit: Option<Decimal>, unit: Unit| {
            limit
                .filter(|l| value > *l)
                .map(|over| SurchargeRule::Threshold {
                    measure,
                    value,
                    over,
                    unit,
                })
        };
        if let Some([l, w, h]) = k.sides {
            let r = over(Measure::LongestSide, l, a.longest_side_over, len)
                .or_else(|| over(Measure::SecondSide, w, a.second_side_over, len))
                .or_else(|| {
                    over(
                        Measure::LengthPlusGirth,
                        l + Decimal::TWO * (w + h),
                        a.length_plus_girth_over,
                        len,
                    )
                });
            if r.is_some() {
                return r;
            }
        }
        over(Measure::ActualWeight, k.actual, a.weight_over, wt)
    }
}

const BASE: &str = "BASE";
const BASE_NAME: &str = "Transportation";
const MIN: &str = "MIN";
const MIN_NAME: &str = "Minimum charge adjustment";
const DISCOUNT: &str = "DISCOUNT";
const DISCOUNT_NAME: &str = "Contract discount";
const FUEL: &str = "FUEL";
const FUEL_NAME: &str = "Fuel surcharge";

fn line<'c>(
    kind: ChargeKind,
    code: &'c str,
    name: &'c str,
    amount: Money,
    steps: Vec<Step<'c>>,
) -> RatedCharge<'c> {
    RatedCharge {
        kind,
        code,
        name,
        amount,
        steps,
    }
}
