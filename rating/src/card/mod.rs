//! Rate cards: the file format (TOML, documented in `rating/README.md`), its validation, and
//! the compiled card the quote engine reads. Loading does every lookup-structure build once
//! (zones by destination country, prices by zone column, fuel rows and accessorials per
//! service) so that quoting is a few comparisons and decimal operations.
//!
//! A card that does not load is rejected with a [`CardError`] naming the line, column and
//! field (a TOML path such as `service[0].breaks[3]`) at fault.

pub(crate) mod postal;
mod raw;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Serialize;
use shiphub_carriers::model::{CountryCode, Currency, LengthUnit, ServiceClass, WeightUnit};
use time::{Date, Month};
use toml::Spanned;

use crate::explain::BillableRule;
use crate::quote::exact_inverse;
use postal::PostalSet;
use raw::*;

/// A card that could not be loaded: where and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}, column {column}: {field}: {message}")]
pub struct CardError {
    /// 1-based line in the card's text.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// TOML path of the field at fault (`service[0].breaks[3]`); empty for the whole file.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// A place a zone or remote area covers.
#[derive(Clone, Debug)]
pub(crate) struct Place {
    pub country: CountryCode,
    pub postal: PostalSet,
    /// `"DE postal 01000-19999"`, for explanations.
    pub describe: Arc<str>,
}

#[derive(Clone, Debug)]
pub(crate) struct Zone {
    pub id: Arc<str>,
    pub from: Option<Vec<Place>>,
    pub to: Vec<Place>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum When {
    Always,
    Residential,
    RemoteArea,
    Threshold,
    Signature,
    Saturday,
    DutiesPaid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Basis {
    Flat(Decimal),
    Percent(Decimal),
}

#[derive(Clone, Debug)]
pub(crate) struct Accessorial {
    pub code: Arc<str>,
    pub name: Arc<str>,
    pub when: When,
    pub basis: Basis,
    pub per_package: bool,
    pub fuel: bool,
    /// Bits of the accessorials whose match cancels this one (same package or shipment).
    pub unless: u64,
    pub areas: Vec<Place>,
    pub longest_side_over: Option<Decimal>,
    pub second_side_over: Option<Decimal>,
    pub length_plus_girth_over: Option<Decimal>,
    pub weight_over: Option<Decimal>,
}

/// Above the last break: `prices[column]` per started `per`.
#[derive(Clone, Debug)]
pub(crate) struct Additional {
    pub per: Decimal,
    pub prices: Vec<Decimal>,
}

#[derive(Clone, Debug)]
pub(crate) struct Service {
    pub code: Arc<str>,
    pub name: Arc<str>,
    pub class: ServiceClass,
    /// Per column.
    pub transit_days: Option<Vec<u32>>,
    pub dim_divisor: Option<Decimal>,
    /// `1 / dim_divisor` when exact (5000 → 0.0002), to multiply instead of dividing.
    pub dim_inverse: Option<Decimal>,
    pub rounding: Decimal,
    /// `1 / rounding` when exact.
    pub rounding_inverse: Option<Decimal>,
    pub billable: BillableRule,
    pub minimum: Option<Decimal>,
    pub max_package_weight: Option<Decimal>,
    pub discount: Option<Decimal>,
    /// For each card zone, this service's price column (None: not served there).
    pub column_of_zone: Vec<Option<usize>>,
    /// Break upper bounds, strictly increasing.
    pub breaks: Vec<Decimal>,
    /// The same in thousandths, when every break has at most 3 decimal places.
    pub breaks_milli: Option<Vec<i128>>,
    /// `prices[column][break]`, each column non-decreasing.
    pub prices: Vec<Vec<Decimal>>,
    pub additional: Option<Additional>,
    /// `(effective from, percent)`, ascending by date, only the rows for this service.
    pub fuel: Vec<(Date, Decimal)>,
    /// Indexes into the card's accessorials that apply to this service.
    pub accessorials: Vec<usize>,
}

/// A validated, compiled rate card. Build one with [`RateCard::from_toml`].
#[derive(Clone, Debug)]
pub struct RateCard {
    pub(crate) name: Arc<str>,
    pub(crate) carrier: String,
    pub(crate) currency: Currency,
    pub(crate) currency_dp: u32,
    pub(crate) valid_from: Date,
    pub(crate) valid_to: Option<Date>,
    pub(crate) weight_unit: WeightUnit,
    pub(crate) length_unit: LengthUnit,
    pub(crate) origins: Vec<CountryCode>,
    /// The currency quotes are shown in, with `1 card currency = rate` of it, and its minor
    /// units; `None` when quotes are in the card's currency.
    pub(crate) quote_currency: Option<(Currency, Decimal, u32)>,
    /// Every conversion rate the card states.
    pub(crate) rates: Vec<(Currency, Decimal)>,
    pub(crate) zones: Vec<Zone>,
    /// Destination country → `(zone, place)` candidates in file order; sorted by country.
    pub(crate) by_destination: Vec<(CountryCode, Vec<(usize, usize)>)>,
    pub(crate) services: Vec<Service>,
    pub(crate) accessorials: Vec<Accessorial>,
}

/// What one service of a card is, for listings (`GET /v1/rate-cards/{name}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceSummary {
    /// Card code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Normalized class.
    pub class: ServiceClass,
}

impl RateCard {
    /// Parses and validates a card. Every complaint names its line and field.
    pub fn from_toml(text: &str) -> Result<RateCard, CardError> {
        let de =
            toml::Deserializer::parse(text).map_err(|e| toml_error(text, &e, String::new()))?;
        let raw: RawCard = serde_path_to_error::deserialize(de).map_err(|e| {
            // `Spanned` values show up as a private key in the path; drop it.
            let path = e
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "");
            let field = if path == "." { String::new() } else { path };
            toml_error(text, e.inner(), field)
        })?;
        Loader { text }.compile(raw)
    }

    /// The card's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Display name of the carrier the card belongs to.
    pub fn carrier(&self) -> &str {
        &self.carrier
    }
    /// Currency the card prices in.
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// Currency its quotes are shown in.
    pub fn quote_currency(&self) -> Currency {
        self.quote_currency.map_or(self.currency, |(c, _, _)| c)
    }
    /// First day the card is valid.
    pub fn valid_from(&self) -> Date {
        self.valid_from
    }
    /// Last day the card is valid, if it ends.
    pub fn valid_to(&self) -> Option<Date> {
        self.valid_to
    }
    /// Whether the card is in force on `date`.
    pub fn is_valid_on(&self, date: Date) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }
    /// Its services, in file order.
    pub fn services(&self) -> Vec<ServiceSummary> {
        (self.services.iter())
            .map(|s| ServiceSummary {
                code: s.code.to_string(),
                name: s.name.to_string(),
                class: s.class,
            })
            .collect()
    }
}

fn toml_error(text: &str, e: &toml::de::Error, field: String) -> CardError {
    let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
    CardError {
        line,
        column,
        field,
        message: e.message().trim().to_string(),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

struct Loader<'a> {
    text: &'a str,
}

type Res<T> = Result<T, CardError>;
/// Fuel rows as read: effective date, percent, the services they are limited to.
type FuelRows = Vec<(Date, Decimal, Option<Vec<usize>>)>;

impl Loader<'_> {
    fn err(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> CardError {
        let (line, column) = line_col(self.text, span.start);
        CardError {
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }

    fn date(&self, d: &Spanned<toml::value::Datetime>, field: &str) -> Res<Date> {
        let v = d.get_ref();
        let bad = || {
            self.err(
                d.span(),
                field,
                "must be a date such as 2026-01-01, without a time",
            )
        };
        let (Some(date), None, None) = (v.date, v.time, v.offset) else {
            return Err(bad());
        };
        let month = Month::try_from(date.month).map_err(|_| bad())?;
        Date::from_calendar_date(i32::from(date.year), month, date.day).map_err(|_| bad())
    }

    fn compile(&self, raw: RawCard) -> Res<RateCard> {
        let valid_from = self.date(&raw.valid_from, "valid_from")?;
        let valid_to = match &raw.valid_to {
            Some(d) => {
                let to = self.date(d, "valid_to")?;
                if to < valid_from {
                    return Err(self.err(d.span(), "valid_to", "is before valid_from"));
                }
                Some(to)
            }
            None => None,
        };
        if raw.origins.get_ref().is_empty() {
            return Err(self.err(
                raw.origins.span(),
                "origins",
                "needs at least one origin country",
            ));
        }
        let (quote_currency, rates) = self.conversion(&raw)?;
        let zones = self.zones(&raw)?;
        let mut by_destination: BTreeMap<CountryCode, Vec<(usize, usize)>> = BTreeMap::new();
        for (zi, z) in zones.iter().enumerate() {
            for (pi, p) in z.to.iter().enumerate() {
                by_destination.entry(p.country).or_default().push((zi, pi));
            }
        }
        let by_destination: Vec<_> = by_destination.into_iter().collect();
        let service_codes: Vec<&str> = raw
            .services
            .iter()
            .map(|s| s.code.get_ref().as_str())
            .collect();
        let accessorials = self.accessorials(&raw, &service_codes)?;
        let fuel = self.fuel(&raw, &service_codes)?;
        let services = self.services(&raw, &zones, &accessorials, &fuel)?;
        Ok(RateCard {
            name: raw.name.into(),
            carrier: raw.carrier,
            currency: raw.currency,
            currency_dp: raw.currency.minor_units(),
            valid_from,
            valid_to,
            weight_unit: match raw.weight_unit {
                RawWeightUnit::Kg => WeightUnit::Kg,
                RawWeightUnit::Lb => WeightUnit::Lb,
            },
            length_unit: match raw.length_unit {
                RawLengthUnit::Cm => LengthUnit::Cm,
                RawLengthUnit::In => LengthUnit::In,
            },
            origins: raw.origins.into_inner(),
            quote_currency,
            rates,
            zones,
            by_destination,
            services,
            accessorials: accessorials.into_iter().map(|(a, _)| a).collect(),
        })
    }

    #[allow(clippy::type_complexity)]
    fn conversion(
        &self,
        raw: &RawCard,
    ) -> Res<(Option<(Currency, Decimal, u32)>, Vec<(Currency, Decimal)>)> {
        let Some(conv) = &raw.currency_conversion else {
            return Ok((None, Vec::new()));
        };
        let mut rates = Vec::new();
        for (key, rate) in &conv.rates {
            let field = format!("currency_conversion.rates.{}", key.get_ref());
            let cur: Currency =
                key.get_ref()
                    .parse()
                    .map_err(|e: shiphub_carriers::model::InvalidValue| {
                        self.err(key.span(), field.clone(), e.message)
                    })?;
            if cur == raw.currency {
                return Err(self.err(key.span(), field, "is the card's own currency"));
            }
            rates.push((cur, rate.0));
        }
        let q = *conv.quote_currency.get_ref();
        if q == raw.currency {
            return Ok((None, rates));
        }
        let Some(&(_, rate)) = rates.iter().find(|(c, _)| *c == q) else {
            return Err(self.err(
                conv.quote_currency.span(),
                "currency_conversion.quote_currency",
                format!(
                    "no rate from {} to {q} in currency_conversion.rates",
                    raw.currency
                ),
            ));
        };
        Ok((Some((q, rate, q.minor_units())), rates))
    }

    fn place(&self, p: &RawPlace, field: &str) -> Res<Place> {
        let norm = |s: &Spanned<String>, f: String| -> Res<String> {
            let n = postal::normalize(s.get_ref());
            if n.is_empty() || n.len() > 12 {
                return Err(self.err(
                    s.span(),
                    f,
                    "is not a postal code (1 to 12 letters and digits)",
                ));
            }
            Ok(n)
        };
        let mut prefixes = Vec::new();
        for (i, s) in p.postal_prefixes.iter().enumerate() {
            prefixes.push(norm(s, format!("{field}.postal_prefixes[{i}]"))?);
        }
        let mut codes = Vec::new();
        for (i, s) in p.postal_codes.iter().enumerate() {
            codes.push(norm(s, format!("{field}.postal_codes[{i}]"))?);
        }
        let mut ranges = Vec::new();
        for (i, r) in p.postal_ranges.iter().enumerate() {
            let f = format!("{field}.postal_ranges[{i}]");
            let [lo, hi] = r.get_ref();
            let (lo, hi) = (postal::normalize(lo), postal::normalize(hi));
            if lo.is_empty() || lo.len() > 12 || lo.len() != hi.len() {
                return Err(self.err(
                    r.span(),
                    f,
                    "bounds must be postal codes of the same length",
                ));
            }
            if lo > hi {
                return Err(self.err(r.span(), f, "the first bound is above the second"));
            }
            ranges.push((lo, hi));
        }
        let postal = PostalSet::new(codes, prefixes, ranges);
        let describe = if postal.is_any() {
            p.country.to_string()
        } else {
            format!("{} {}", p.country, postal.describe())
        };
        Ok(Place {
            country: p.country,
            postal,
            describe: describe.into(),
        })
    }

    fn zones(&self, raw: &RawCard) -> Res<Vec<Zone>> {
        if raw.zones.is_empty() {
            return Err(self.err(0..0, "zone", "a card needs at least one [[zone]]"));
        }
        let mut zones: Vec<Zone> = Vec::new();
        for (zi, z) in raw.zones.iter().enumerate() {
            let id = z.id.get_ref().trim();
            if id.is_empty() || zones.iter().any(|o| &*o.id == id) {
                return Err(self.err(
                    z.id.span(),
                    format!("zone[{zi}].id"),
                    "zone ids must be unique and not empty",
                ));
            }
            if z.to.is_empty() {
                return Err(self.err(
                    z.id.span(),
                    format!("zone[{zi}].to"),
                    "a zone needs at least one destination",
                ));
            }
            let from = match &z.from {
                Some(from) => {
                    let mut v = Vec::new();
                    for (i, p) in from.iter().enumerate() {
                        let f = format!("zone[{zi}].from[{i}]");
                        if !raw.origins.get_ref().contains(&p.country) {
                            return Err(self.err(
                                z.id.span(),
                                f,
                                format!("{} is not among the card's origins", p.country),
                            ));
                        }
                        v.push(self.place(p, &f)?);
                    }
                    Some(v)
                }
                None => None,
            };
            let mut to = Vec::new();
            for (i, p) in z.to.iter().enumerate() {
                to.push(self.place(p, &format!("zone[{zi}].to[{i}]"))?);
            }
            zones.push(Zone {
                id: id.into(),
                from,
                to,
            });
        }
        Ok(zones)
    }

    fn service_refs(
        &self,
        list: &[Spanned<String>],
        codes: &[&str],
        field: &str,
    ) -> Res<Vec<usize>> {
        let mut out = Vec::new();
        for (i, s) in list.iter().enumerate() {
            match codes.iter().position(|c| c == s.get_ref()) {
                Some(p) => out.push(p),
                None => {
                    return Err(self.err(
                        s.span(),
                        format!("{field}[{i}]"),
                        format!("no service `{}` in this card", s.get_ref()),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Accessorials with the services they apply to (`None`: all).
    fn accessorials(
        &self,
        raw: &RawCard,
        codes: &[&str],
    ) -> Res<Vec<(Accessorial, Option<Vec<usize>>)>> {
        if raw.accessorials.len() > 64 {
            return Err(self.err(
                raw.accessorials[64].span(),
                "accessorial[64]",
                "a card has at most 64 accessorials",
            ));
        }
        let names: Vec<&str> = raw
            .accessorials
            .iter()
            .map(|a| a.get_ref().code.get_ref().as_str())
            .collect();
        let mut out = Vec::new();
        for (ai, sa) in raw.accessorials.iter().enumerate() {
            let a = sa.get_ref();
            let f = |s: &str| format!("accessorial[{ai}].{s}");
            let code = a.code.get_ref().trim();
            if code.is_empty() || names[..ai].contains(&code) {
                return Err(self.err(
                    a.code.span(),
                    f("code"),
                    "accessorial codes must be unique and not empty",
                ));
            }
            if ["BASE", "MIN", "DISCOUNT", "FUEL"].contains(&code) {
                return Err(self.err(
                    a.code.span(),
                    f("code"),
                    "BASE, MIN, DISCOUNT and FUEL are the card's own line codes",
                ));
            }
            let basis = match (a.amount, a.percent) {
                (Some(x), None) => Basis::Flat(x.0),
                (None, Some(p)) => Basis::Percent(p.0),
                _ => {
                    return Err(self.err(
                        sa.span(),
                        f("amount"),
                        "give exactly one of `amount` or `percent`",
                    ));
                }
            };
            let when = match a.when {
                RawWhen::Always => When::Always,
                RawWhen::Residential => When::Residential,
                RawWhen::RemoteArea => When::RemoteArea,
                RawWhen::AdditionalHandling | RawWhen::Oversize => When::Threshold,
                RawWhen::Signature => When::Signature,
                RawWhen::Saturday => When::Saturday,
                RawWhen::DutiesPaid => When::DutiesPaid,
            };
            let thresholds = [
                a.longest_side_over,
                a.second_side_over,
                a.length_plus_girth_over,
                a.weight_over,
            ];
            let has_threshold = thresholds.iter().any(Option::is_some);
            if (when == When::Threshold) != has_threshold {
                return Err(self.err(sa.span(), f("when"), "additional_handling and oversize need a threshold (longest_side_over, second_side_over, length_plus_girth_over, weight_over); other accessorials take none"));
            }
            if (when == When::RemoteArea) == a.areas.is_empty() {
                return Err(self.err(
                    sa.span(),
                    f("areas"),
                    "remote_area needs `areas`; other accessorials take none",
                ));
            }
            let per_package = match a.per {
                Some(RawPer::Package) => true,
                Some(RawPer::Shipment) => false,
                None => when == When::Threshold,
            };
            if per_package && !matches!(when, When::Threshold | When::Always) {
                return Err(self.err(
                    sa.span(),
                    f("per"),
                    "only package-measure accessorials (and `always`) can be charged per package",
                ));
            }
            if per_package && matches!(basis, Basis::Percent(_)) {
                return Err(self.err(
                    sa.span(),
                    f("percent"),
                    "a percentage is of the shipment's transportation charge: charge it per shipment",
                ));
            }
            let mut areas = Vec::new();
            for (i, p) in a.areas.iter().enumerate() {
                areas.push(self.place(p, &f(&format!("areas[{i}]")))?);
            }
            let mut unless = 0u64;
            for (i, u) in a.unless.iter().enumerate() {
                match names.iter().position(|n| n == u.get_ref()) {
                    Some(p) if p != ai => unless |= 1 << p,
                    _ => {
                        return Err(self.err(
                            u.span(),
                            f(&format!("unless[{i}]")),
                            format!("no other accessorial `{}` in this card", u.get_ref()),
                        ));
                    }
                }
            }
            let services = match &a.services {
                Some(list) => Some(self.service_refs(list, codes, &f("services"))?),
                None => None,
            };
            out.push((
                Accessorial {
                    code: code.into(),
                    name: a.name.as_str().into(),
                    when,
                    basis,
                    per_package,
                    fuel: a.fuel,
                    unless,
                    areas,
                    longest_side_over: a.longest_side_over.map(|x| x.0),
                    second_side_over: a.second_side_over.map(|x| x.0),
                    length_plus_girth_over: a.length_plus_girth_over.map(|x| x.0),
                    weight_over: a.weight_over.map(|x| x.0),
                },
                services,
            ));
        }
        Ok(out)
    }

    /// Fuel rows with the services they apply to (`None`: all).
    fn fuel(&self, raw: &RawCard, codes: &[&str]) -> Res<FuelRows> {
        let mut rows = Vec::new();
        for (i, r) in raw.fuel.iter().enumerate() {
            let from = self.date(&r.from, &format!("fuel[{i}].from"))?;
            let services = match &r.services {
                Some(list) => {
                    Some(self.service_refs(list, codes, &format!("fuel[{i}].services"))?)
                }
                None => None,
            };
            let clash = rows
                .iter()
                .any(|(d, _, s): &(Date, Decimal, Option<Vec<usize>>)| {
                    *d == from
                        && match (s, &services) {
                            (Some(a), Some(b)) => a.iter().any(|x| b.contains(x)),
                            _ => true,
                        }
                });
            if clash {
                return Err(self.err(
                    r.from.span(),
                    format!("fuel[{i}].from"),
                    "two fuel rows for the same service start on the same date",
                ));
            }
            rows.push((from, r.percent.0, services));
        }
        Ok(rows)
    }

    fn services(
        &self,
        raw: &RawCard,
        zones: &[Zone],
        accessorials: &[(Accessorial, Option<Vec<usize>>)],
        fuel: &[(Date, Decimal, Option<Vec<usize>>)],
    ) -> Res<Vec<Service>> {
        if raw.services.is_empty() {
            return Err(self.err(0..0, "service", "a card needs at least one [[service]]"));
        }
        let mut discounts: BTreeMap<&str, Decimal> = BTreeMap::new();
        for (code, pct) in &raw.discounts {
            if !raw
                .services
                .iter()
                .any(|s| s.code.get_ref() == code.get_ref())
            {
                return Err(self.err(
                    code.span(),
                    format!("discounts.{}", code.get_ref()),
                    "no such service in this card",
                ));
            }
            discounts.insert(code.get_ref(), pct.0);
        }
        let mut out: Vec<Service> = Vec::new();
        for (si, s) in raw.services.iter().enumerate() {
            let f = |x: &str| format!("service[{si}].{x}");
            let code = s.code.get_ref().trim();
            if code.is_empty() || out.iter().any(|o| &*o.code == code) {
                return Err(self.err(
                    s.code.span(),
                    f("code"),
                    "service codes must be unique and not empty",
                ));
            }
            let mut column_of_zone = vec![None; zones.len()];
            for (col, z) in s.zones.iter().enumerate() {
                let Some(zi) = zones.iter().position(|x| &*x.id == z.get_ref()) else {
                    return Err(self.err(
                        z.span(),
                        f(&format!("zones[{col}]")),
                        format!("no zone `{}` in this card", z.get_ref()),
                    ));
                };
                if column_of_zone[zi].is_some() {
                    return Err(self.err(
                        z.span(),
                        f(&format!("zones[{col}]")),
                        "zone listed twice",
                    ));
                }
                column_of_zone[zi] = Some(col);
            }
            let ncol = s.zones.len();
            if ncol == 0 {
                return Err(self.err(
                    s.code.span(),
                    f("zones"),
                    "a service needs at least one zone",
                ));
            }
            if let Some(t) = &s.transit_days
                && t.get_ref().len() != ncol
            {
                return Err(self.err(
                    t.span(),
                    f("transit_days"),
                    format!("needs one value per zone ({ncol})"),
                ));
            }
            let rows = s.breaks.get_ref();
            if rows.is_empty() {
                return Err(self.err(
                    s.breaks.span(),
                    f("breaks"),
                    "needs at least one weight break",
                ));
            }
            let mut breaks = Vec::with_capacity(rows.len());
            let mut prices = vec![Vec::with_capacity(rows.len()); ncol];
            for (bi, row) in rows.iter().enumerate() {
                let fb = f(&format!("breaks[{bi}]"));
                let r = row.get_ref();
                if r.len() != ncol + 1 {
                    return Err(self.err(
                        row.span(),
                        fb,
                        format!(
                            "needs the break weight then one price per zone ({} values), has {}",
                            ncol + 1,
                            r.len()
                        ),
                    ));
                }
                let up_to = r[0].0;
                if up_to <= Decimal::ZERO || breaks.last().is_some_and(|last| up_to <= *last) {
                    return Err(self.err(
                        row.span(),
                        fb,
                        "break weights must be above zero and increasing",
                    ));
                }
                for (col, p) in r[1..].iter().enumerate() {
                    if bi > 0 && p.0 < prices[col][bi - 1] {
                        return Err(self.err(row.span(), fb, format!("the price for zone {} is below the previous break's: a heavier parcel must not cost less", s.zones[col].get_ref())));
                    }
                    prices[col].push(p.0);
                }
                breaks.push(up_to);
            }
            let additional = match &s.additional {
                Some(a) => {
                    let p = a.prices.get_ref();
                    if p.len() != ncol {
                        return Err(self.err(
                            a.prices.span(),
                            f("additional.prices"),
                            format!("needs one price per zone ({ncol})"),
                        ));
                    }
                    Some(Additional {
                        per: a.per.0,
                        prices: p.iter().map(|x| x.0).collect(),
                    })
                }
                None => None,
            };
            let mut fuel_rows: Vec<(Date, Decimal)> = fuel
                .iter()
                .filter(|(_, _, only)| only.as_ref().is_none_or(|o| o.contains(&si)))
                .map(|(d, p, _)| (*d, *p))
                .collect();
            fuel_rows.sort_by_key(|(d, _)| *d);
            out.push(Service {
                code: code.into(),
                name: s.name.as_str().into(),
                class: s.class,
                transit_days: s.transit_days.as_ref().map(|t| t.get_ref().clone()),
                dim_divisor: s.dim_divisor.map(|d| d.0),
                dim_inverse: s.dim_divisor.and_then(|d| exact_inverse(d.0)),
                rounding: s.rounding.0,
                rounding_inverse: exact_inverse(s.rounding.0),
                billable: match s.billable {
                    RawBillable::PerPackage => BillableRule::PerPackage,
                    RawBillable::SumOfPackages => BillableRule::SumOfPackages,
                    RawBillable::Shipment => BillableRule::Shipment,
                },
                minimum: s.minimum.map(|m| m.0),
                max_package_weight: s.max_package_weight.map(|m| m.0),
                discount: discounts.get(code).copied(),
                column_of_zone,
                breaks_milli: (breaks.iter())
                    .map(|b| (b.scale() <= 3).then(|| b.mantissa() * 10i128.pow(3 - b.scale())))
                    .collect(),
                breaks,
                prices,
                additional,
                fuel: fuel_rows,
                accessorials: (accessorials.iter().enumerate())
                    .filter(|(_, (_, only))| only.as_ref().is_none_or(|o| o.contains(&si)))
                    .map(|(i, _)| i)
                    .collect(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod tests;
