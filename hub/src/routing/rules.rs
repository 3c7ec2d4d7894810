//! A tenant's routing rules: a small JSON document a person can read. Each rule matches a
//! shipment (destination country, region or postal prefix, weight, longest side, declared
//! value, order tags) and then excludes or prefers carriers and services, caps the price, or
//! requires a signature. Rules apply before the strategy, in document order; every quote says
//! which rules touched it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{LengthUnit, Money, RateRequest, SignatureConfirmation, WeightUnit};

use super::Settings;
use crate::error::{Error, FieldProblem};
use crate::ids::TenantId;
use crate::store::Store;

/// The document `PUT /v1/routing-rules` takes and `GET` returns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesDocument {
    /// Window, lane granularity and thin-history threshold of the transit history.
    #[serde(default)]
    pub settings: Settings,
    /// Applied in this order.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique in the document; quotes name the rules that touched them by it.
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// Every condition given must hold (none given: every shipment).
    #[serde(default)]
    pub when: Match,
    pub then: Action,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// Destination country among these (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_country: Option<Vec<String>>,
    /// Destination state or province among these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_region: Option<Vec<String>>,
    /// Destination postal code starting with one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_postal_prefix: Option<Vec<String>>,
    /// Total weight in kg at least / at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub min_weight_kg: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub max_weight_kg: Option<Decimal>,
    /// Some parcel's longest side in cm at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub min_longest_side_cm: Option<Decimal>,
    /// Declared value at least / at most (in the declared value's currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub min_declared_value: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub max_declared_value: Option<Decimal>,
    /// The order carries at least one of these tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_any: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Quotes of these carriers (or carrier services) are dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<Target>,
    /// Quotes of these rank before the others the strategy accepts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefer: Vec<Target>,
    /// Quotes dearer than this are dropped (quotes in another currency are left alone, and
    /// say so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<Money>,
    /// Rate (and buy) with a signature on delivery.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_signature: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub carrier: String,
    /// One service of the carrier (absent: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

impl Target {
    pub fn matches(&self, carrier: &str, service: &str) -> bool {
        self.carrier == carrier && self.service.as_deref().is_none_or(|s| s == service)
    }

    pub fn describe(&self) -> String {
        match &self.service {
            Some(s) => format!("{}/{s}", self.carrier),
            None => self.carrier.clone(),
        }
    }
}

/// Checks what the schema cannot: unique names, known carriers, sensible bounds, a rule that
/// does something. Every problem names its field.
pub fn validate(doc: &RulesDocument, known_carrier: impl Fn(&str) -> bool) -> Result<(), Error> {
    let mut problems = vec![];
    let mut p = |pointer: String, detail: String| {
        problems.push(FieldProblem {
            pointer,
            detail,
            code: None,
        })
    };
    let s = &doc.settings;
    if !(1..=730).contains(&s.window_days) {
        p(
            "/settings/window_days".into(),
            "must be 1 to 730 days".into(),
        );
    }
    if s.lane_prefix > 5 {
        p(
            "/settings/lane_prefix".into(),
            "must be 0 to 5 characters".into(),
        );
    }
    if s.min_samples == 0 {
        p("/settings/min_samples".into(), "must be at least 1".into());
    }
    for (i, r) in doc.rules.iter().enumerate() {
        let at = |f: &str| format!("/rules/{i}/{f}");
        if r.name.trim().is_empty() {
            p(at("name"), "must not be empty".into());
        } else if doc.rules[..i].iter().any(|o| o.name == r.name) {
            p(
                at("name"),
                format!("`{}` names an earlier rule too", r.name),
            );
        }
        for (j, c) in r.when.to_country.iter().flatten().enumerate() {
            if c.len() != 2 || !c.chars().all(|c| c.is_ascii_uppercase()) {
                p(
                    at(&format!("when/to_country/{j}")),
                    format!("`{c}` is not an ISO 3166-1 alpha-2 code"),
                );
            }
        }
        let w = &r.when;
        for (lo, hi, f) in [
            (w.min_weight_kg, w.max_weight_kg, "max_weight_kg"),
            (
                w.min_declared_value,
                w.max_declared_value,
                "max_declared_value",
            ),
        ] {
            if let (Some(lo), Some(hi)) = (lo, hi)
                && hi < lo
            {
                p(
                    at(&format!("when/{f}")),
                    format!("{hi} is below the minimum {lo}"),
                );
            }
        }
        for (f, v) in [
            ("min_weight_kg", w.min_weight_kg),
            ("max_weight_kg", w.max_weight_kg),
            ("min_longest_side_cm", w.min_longest_side_cm),
            ("min_declared_value", w.min_declared_value),
            ("max_declared_value", w.max_declared_value),
        ] {
            if v.is_some_and(|v| v.is_sign_negative()) {
                p(at(&format!("when/{f}")), "must not be negative".into());
            }
        }
        let t = &r.then;
        if t.exclude.is_empty()
            && t.prefer.is_empty()
            && t.max_price.is_none()
            && !t.require_signature
        {
            p(
                at("then"),
                "does nothing: give exclude, prefer, max_price or require_signature".into(),
            );
        }
        for (list, name) in [(&t.exclude, "exclude"), (&t.prefer, "prefer")] {
            for (j, target) in list.iter().enumerate() {
                if !known_carrier(&target.carrier) {
                    p(
                        at(&format!("then/{name}/{j}/carrier")),
                        format!("no carrier `{}`", target.carrier),
                    );
                }
            }
        }
        if t.max_price.is_some_and(|m| m.amount() <= Decimal::ZERO) {
            p(at("then/max_price/amount"), "must be above zero".into());
        }
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(Error::Validation(problems)),
    }
}

/// The tenant's rules (the defaults when it set none).
pub async fn load(store: &Store, tenant: &TenantId) -> Result<RulesDocument, Error> {
    match store.routing_rules(tenant).await? {
        Some(doc) => serde_json::from_str(&doc)
            .map_err(|e| Error::Internal(format!("stored routing rules: {e}"))),
        None => Ok(RulesDocument::default()),
    }
}

/// Validates and stores the tenant's rules.
pub async fn save(
    store: &Store,
    tenant: &TenantId,
    doc: &RulesDocument,
    known_carrier: impl Fn(&str) -> bool,
    now: time::OffsetDateTime,
) -> Result<(), Error> {
    validate(doc, known_carrier)?;
    let json = serde_json::to_string(doc).map_err(|e| Error::Internal(e.to_string()))?;
    store.put_routing_rules(tenant, &json, now).await?;
    Ok(())
}

/// Whether `rule` matches the shipment (and the order's `tags`).
pub fn matches(m: &Match, s: &RateRequest, tags: &[String]) -> bool {
    let to = &s.to;
    if let Some(cs) = &m.to_country
        && !cs
            .iter()
            .any(|c| c.eq_ignore_ascii_case(to.country.as_str()))
    {
        return false;
    }
    if let Some(rs) = &m.to_region
        && !to
            .state
            .as_deref()
            .is_some_and(|st| rs.iter().any(|r| r.eq_ignore_ascii_case(st)))
    {
        return false;
    }
    if let Some(ps) = &m.to_postal_prefix {
        // Whole code, normalized as lanes are (upper case, letters and digits), so a prefix
        // longer than the five characters a lane keeps still matches.
        let full: String = to
            .postal_code
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let wanted = |p: &str| -> String {
            p.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_uppercase())
                .collect()
        };
        if !ps.iter().any(|p| full.starts_with(&wanted(p))) {
            return false;
        }
    }
    let kg: Decimal = s
        .parcels
        .iter()
        .map(|p| p.weight.to(WeightUnit::Kg).value())
        .sum();
    if m.min_weight_kg.is_some_and(|w| kg < w) || m.max_weight_kg.is_some_and(|w| kg > w) {
        return false;
    }
    if let Some(side) = m.min_longest_side_cm {
        let longest = s
            .parcels
            .iter()
            .filter_map(|p| p.dimensions)
            .map(|d| {
                let d = d.to(LengthUnit::Cm);
                d.length().max(d.width()).max(d.height())
            })
            .max()
            .unwrap_or(Decimal::ZERO);
        if longest < side {
            return false;
        }
    }
    if m.min_declared_value.is_some() || m.max_declared_value.is_some() {
        let Some(v) = s.options.declared_value.map(|v| v.amount()) else {
            return false;
        };
        if m.min_declared_value.is_some_and(|lo| v < lo)
            || m.max_declared_value.is_some_and(|hi| v > hi)
        {
            return false;
        }
    }
    if let Some(want) = &m.tags_any
        && !want.iter().any(|t| tags.contains(t))
    {
        return false;
    }
    true
}

/// The rules that match, in document order.
pub fn matching<'a>(doc: &'a RulesDocument, s: &RateRequest, tags: &[String]) -> Vec<&'a Rule> {
    doc.rules
        .iter()
        .filter(|r| matches(&r.when, s, tags))
        .collect()
}

/// Applies the matched rules' request changes (a signature) before rating; returns a note per
/// rule that changed it.
pub fn adjust_request(rules: &[&Rule], s: &mut RateRequest) -> Vec<(String, String)> {
    let mut notes = vec![];
    for r in rules {
        if r.then.require_signature {
            if s.options.signature.is_none() {
                s.options.signature = Some(SignatureConfirmation::Direct);
            }
            notes.push((
                r.name.clone(),
                "requires a signature on delivery".to_string(),
            ));
        }
    }
    notes
}
