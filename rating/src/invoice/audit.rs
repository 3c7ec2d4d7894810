//! The audit: each billed package against what the hub knows about the shipment
//! ([`ExpectedShipment`]: declared parcel, quote at purchase, void, delivery) and, where the
//! carrier changed what is billable, the contract re-rated with the rate card engine.
//! Matching is the hub's: [`lookup_keys`] says what to fetch for a batch, [`ShipmentIndex`]
//! matches by tracking number, then by reference.
//!
//! Rules, one [`Reason`] each. A package that is unknown, billed after its void or billed a
//! second time is disputed whole and not audited further (the other rules would only restate
//! the same money). Otherwise every rule that fires adds a [`Finding`]; the amounts do not
//! overlap: a supported weight/dimension dispute claims the freight and fuel difference, so
//! the base-rate rule then stays quiet for that package.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use shiphub_carriers::model::{
    Charge, ChargeKind, Currency, DimDivisor, Dimensions, Parcel, Quote, Weight, WeightUnit,
};
use time::{Date, Duration, OffsetDateTime};

use super::import::FxBuild;
use super::{ChargeCategory, InvoiceCarrier, InvoicePackage};
use crate::{LaneEnd, QuoteOptions, RateCards, lane_request};

/// Per-tenant tolerances: differences at or under them are not findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tolerances {
    /// Absolute amount, in the invoice currency (default 0.05).
    pub amount: Decimal,
    /// Percent of the expected amount (default 0.5); the larger of the two applies.
    pub percent: Decimal,
    /// Billed weight over our billable weight, in kg (default 0.1 kg).
    pub weight_kg: Decimal,
    /// Dimension difference per side, in cm (default 1 cm), before the carrier's dims count
    /// as a different measurement from ours.
    pub side_cm: Decimal,
    /// Fuel percentage points (default 0.1).
    pub fuel_points: Decimal,
    /// Grace after the promised time before a guaranteed delivery counts as late.
    pub late_grace: Duration,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            amount: Decimal::new(5, 2),
            percent: Decimal::new(5, 1),
            weight_kg: Decimal::new(1, 1),
            side_cm: Decimal::ONE,
            fuel_points: Decimal::new(1, 1),
            late_grace: Duration::ZERO,
        }
    }
}

/// How a carrier computes billable weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CarrierRules {
    /// Carrier.
    pub carrier: InvoiceCarrier,
    /// Dimensional weight divisor.
    pub dim_divisor: DimDivisor,
    /// Billable weight is ceiled to this step in `dim_divisor.weight` (UPS/FedEx 1 lb, DHL
    /// Express 0.5 kg).
    pub weight_step: Decimal,
}

/// A row of a carrier's published fuel table: `percent` from `from` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuelRate {
    /// Carrier.
    pub carrier: InvoiceCarrier,
    /// First ship date it applies to.
    pub from: Date,
    /// Percentage.
    pub percent: Decimal,
}

/// A tenant's audit settings.
#[derive(Clone, Debug)]
pub struct AuditSettings {
    /// Tolerances.
    pub tolerances: Tolerances,
    /// Billable weight rules per carrier.
    pub rules: Vec<CarrierRules>,
    /// Published fuel tables (any order). No row for a carrier: fuel is not checked.
    pub fuel: Vec<FuelRate>,
}

impl Default for AuditSettings {
    /// Daily-rates divisors: UPS and FedEx 139 in³/lb, whole lb; DHL Express and others
    /// 5000 cm³/kg, 0.5 kg.
    fn default() -> Self {
        let rules = |carrier, dim_divisor, weight_step| CarrierRules {
            carrier,
            dim_divisor,
            weight_step,
        };
        Self {
            tolerances: Tolerances::default(),
            rules: vec![
                rules(InvoiceCarrier::Ups, DimDivisor::IN3_139_LB, Decimal::ONE),
                rules(InvoiceCarrier::Fedex, DimDivisor::IN3_139_LB, Decimal::ONE),
                rules(
                    InvoiceCarrier::DhlExpress,
                    DimDivisor::CM3_5000_KG,
                    Decimal::new(5, 1),
                ),
                rules(
                    InvoiceCarrier::Other,
                    DimDivisor::CM3_5000_KG,
                    Decimal::new(5, 1),
                ),
            ],
            fuel: Vec::new(),
        }
    }
}

impl AuditSettings {
    fn rules_for(&self, carrier: InvoiceCarrier) -> CarrierRules {
        self.rules
            .iter()
            .find(|r| r.carrier == carrier)
            .copied()
            .unwrap_or(CarrierRules {
                carrier,
                dim_divisor: DimDivisor::CM3_5000_KG,
                weight_step: Decimal::new(5, 1),
            })
    }

    fn fuel_percent(&self, carrier: InvoiceCarrier, on: Date) -> Option<Decimal> {
        self.fuel
            .iter()
            .filter(|r| r.carrier == carrier && r.from <= on)
            .max_by_key(|r| r.from)
            .map(|r| r.percent)
    }
}

/// One expected charge (from the quote stored at purchase).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedCharge {
    /// Category, in the invoice's terms.
    pub category: ChargeCategory,
    /// Amount, negative for discounts.
    pub amount: Decimal,
}

impl ExpectedCharge {
    /// The breakdown of a stored `Quote`; surcharges are told apart by their code (`RES`,
    /// `DAS`, `AHS`...) or description.
    pub fn from_quote(quote: &Quote) -> Vec<ExpectedCharge> {
        Self::from_charges(&quote.breakdown)
    }

    /// The same, from the charge lines kept with a purchase (the waybill's breakdown).
    pub fn from_charges(charges: &[Charge]) -> Vec<ExpectedCharge> {
        charges
            .iter()
            .map(|c| ExpectedCharge {
                category: match c.kind {
                    ChargeKind::Base => ChargeCategory::Base,
                    ChargeKind::Fuel => ChargeCategory::Fuel,
                    ChargeKind::Discount => ChargeCategory::Discount,
                    ChargeKind::DutiesTaxes => ChargeCategory::Tax,
                    ChargeKind::Surcharge => match c.code.as_deref() {
                        Some("RES") => ChargeCategory::Residential,
                        Some("DAS" | "EDAS" | "RAS") => ChargeCategory::DeliveryArea,
                        Some("AHS" | "OVERSIZE" | "LPS") => ChargeCategory::AdditionalHandling,
                        // The carriers' own quote codes (see each adapter's `codes.rs`), so a
                        // quote stored before its line was named still matches the invoice:
                        // UPS accessorials 270/376/190/100/377, FedEx surcharge types, DHL
                        // service codes TK (residential) and OO (remote area).
                        Some("270" | "RESIDENTIAL_DELIVERY" | "TK") => ChargeCategory::Residential,
                        Some("376" | "190" | "DELIVERY_AREA" | "OUT_OF_DELIVERY_AREA" | "OO") => {
                            ChargeCategory::DeliveryArea
                        }
                        Some("100" | "377" | "ADDITIONAL_HANDLING") => {
                            ChargeCategory::AdditionalHandling
                        }
                        _ => match ChargeCategory::from_description(&c.description) {
                            ChargeCategory::Base | ChargeCategory::Fuel => {
                                ChargeCategory::Surcharge
                            }
                            other => other,
                        },
                    },
                },
                amount: c.amount.amount(),
            })
            .collect()
    }
}

/// What the hub knows about a shipment it bought.
#[derive(Clone, Debug, Default)]
pub struct ExpectedShipment {
    /// Tracking number (of the package).
    pub tracking_number: String,
    /// Shipper's reference.
    pub reference: Option<String>,
    /// Service code as bought (the carrier's code, e.g. UPS `003`; the rate card's code
    /// when re-rating).
    pub service: Option<String>,
    /// Zone quoted, when known.
    pub zone: Option<String>,
    /// Declared (scale) weight.
    pub declared_weight: Option<Weight>,
    /// Declared dimensions.
    pub declared_dimensions: Option<Dimensions>,
    /// Delivery address is residential, when known.
    pub residential: Option<bool>,
    /// The address was validated by the carrier's address API at purchase (an address
    /// correction fee is then disputable).
    pub address_validated: bool,
    /// Quoted total at purchase, and its currency.
    pub quoted_total: Option<Decimal>,
    /// Currency of the quote.
    pub currency: Option<Currency>,
    /// Quoted breakdown (see [`ExpectedCharge::from_quote`]).
    pub quoted: Vec<ExpectedCharge>,
    /// Label voided at.
    pub voided_at: Option<OffsetDateTime>,
    /// Delivered at (from tracking).
    pub delivered_at: Option<OffsetDateTime>,
    /// Promised delivery time.
    pub promised_by: Option<OffsetDateTime>,
    /// The service carries a money-back guarantee.
    pub guaranteed: bool,
    /// Origin and destination, for re-rating with the contract card.
    pub lane: Option<(LaneEnd, LaneEnd)>,
    /// Invoices this package was already billed on (earlier imports).
    pub previously_billed: Vec<String>,
}

/// What the hub must fetch for a batch: shipments with these tracking numbers, and (for
/// packages not found by tracking number) these references.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LookupKeys {
    /// Distinct tracking numbers.
    pub tracking_numbers: Vec<String>,
    /// Distinct references.
    pub references: Vec<String>,
}

/// The keys to look up for a batch of packages.
pub fn lookup_keys(packages: &[InvoicePackage]) -> LookupKeys {
    let mut t = HashSet::with_capacity_and_hasher(packages.len(), FxBuild::default());
    let mut r = HashSet::with_hasher(FxBuild::default());
    let mut keys = LookupKeys::default();
    for p in packages {
        if t.insert(p.tracking_number.as_str()) {
            keys.tracking_numbers.push(p.tracking_number.clone());
        }
        if let Some(reference) = &p.reference
            && r.insert(reference.as_str())
        {
            keys.references.push(reference.clone());
        }
    }
    keys
}

/// How a package found its shipment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// Same tracking number.
    TrackingNumber,
    /// Same reference (tracking number unknown to the hub).
    Reference,
}

/// The shipments the hub looked up for a batch, indexed for matching.
#[derive(Debug, Default)]
pub struct ShipmentIndex {
    shipments: Vec<ExpectedShipment>,
    by_tracking: HashMap<String, usize, FxBuild>,
    by_reference: HashMap<String, usize, FxBuild>,
}

impl ShipmentIndex {
    /// Indexes `shipments` (a reference shared by several shipments matches none of them:
    /// it does not say which one was billed).
    pub fn new(shipments: Vec<ExpectedShipment>) -> Self {
        let mut by_tracking =
            HashMap::with_capacity_and_hasher(shipments.len(), FxBuild::default());
        let mut by_reference: HashMap<String, usize, FxBuild> =
            HashMap::with_capacity_and_hasher(shipments.len(), FxBuild::default());
        let mut ambiguous = HashSet::new();
        for (i, s) in shipments.iter().enumerate() {
            by_tracking.insert(s.tracking_number.clone(), i);
            if let Some(r) = &s.reference
                && by_reference.insert(r.clone(), i).is_some()
            {
                ambiguous.insert(r.clone());
            }
        }
        for r in ambiguous {
            by_reference.remove(&r);
        }
        Self {
            shipments,
            by_tracking,
            by_reference,
        }
    }

    /// The shipment a package was billed for: tracking number first, then reference.
    pub fn find(&self, p: &InvoicePackage) -> Option<(&ExpectedShipment, MatchedBy)> {
        if let Some(&i) = self.by_tracking.get(p.tracking_number.as_str()) {
            return Some((&self.shipments[i], MatchedBy::TrackingNumber));
        }
        let r = p.reference.as_ref()?;
        self.by_reference
            .get(r.as_str())
            .map(|&i| (&self.shipments[i], MatchedBy::Reference))
    }
}

/// Why a line is disputed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Billed weight above our billable weight, no new dimensions.
    WeightAdjustment,
    /// Billed weight above ours, from dimensions the carrier measured.
    DimensionAdjustment,
    /// A surcharge not in the quote (or above it).
    UnexpectedSurcharge,
    /// Residential surcharge on a commercial address.
    ResidentialFee,
    /// Address correction on an address that was validated.
    AddressCorrectionFee,
    /// Fuel percentage other than the published table's.
    FuelOffTable,
    /// Transportation charge other than the contract's.
    BaseRateOffContract,
    /// The same package billed again.
    DuplicateBilling,
    /// A voided label billed.
    BilledAfterVoid,
    /// No shipment bought through shiphub matches.
    UnknownShipment,
    /// Guaranteed service delivered late: money-back claim.
    LateDelivery,
}

impl Reason {
    /// Every reason, in report order.
    pub const ALL: [Reason; 11] = [
        Reason::WeightAdjustment,
        Reason::DimensionAdjustment,
        Reason::UnexpectedSurcharge,
        Reason::ResidentialFee,
        Reason::AddressCorrectionFee,
        Reason::FuelOffTable,
        Reason::BaseRateOffContract,
        Reason::DuplicateBilling,
        Reason::BilledAfterVoid,
        Reason::UnknownShipment,
        Reason::LateDelivery,
    ];

    /// What the difference class means, for a report's terms.
    pub fn definition(self) -> &'static str {
        match self {
            Reason::WeightAdjustment => {
                "the carrier billed a weight above the billable weight of the shipment as bought, without new dimensions"
            }
            Reason::DimensionAdjustment => {
                "the carrier billed a weight above ours from dimensions it measured"
            }
            Reason::UnexpectedSurcharge => {
                "a surcharge the quote did not have, or above the quote's"
            }
            Reason::ResidentialFee => "a residential surcharge on an address that is commercial",
            Reason::AddressCorrectionFee => {
                "an address correction fee on an address that was validated"
            }
            Reason::FuelOffTable => {
                "a fuel surcharge percentage other than the published table's for the week"
            }
            Reason::BaseRateOffContract => {
                "a transportation charge other than the contract rate card's"
            }
            Reason::DuplicateBilling => "the same package billed again",
            Reason::BilledAfterVoid => "a label that was voided, billed",
            Reason::UnknownShipment => "a package no shipment bought through shiphub matches",
            Reason::LateDelivery => "a guaranteed service delivered late: a money-back claim",
        }
    }

    /// Stable reason code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::WeightAdjustment => "weight_adjustment",
            Reason::DimensionAdjustment => "dimension_adjustment",
            Reason::UnexpectedSurcharge => "unexpected_surcharge",
            Reason::ResidentialFee => "residential_fee",
            Reason::AddressCorrectionFee => "address_correction_fee",
            Reason::FuelOffTable => "fuel_off_table",
            Reason::BaseRateOffContract => "base_rate_off_contract",
            Reason::DuplicateBilling => "duplicate_billing",
            Reason::BilledAfterVoid => "billed_after_void",
            Reason::UnknownShipment => "unknown_shipment",
            Reason::LateDelivery => "late_delivery",
        }
    }
}

/// One value that differs: what was billed, what we expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// What is compared (`billed_weight`, `fuel_percent`, `surcharge:delivery_area`...).
    pub field: String,
    /// As billed.
    pub billed: String,
    /// As expected.
    pub expected: String,
}

/// One discrepancy of a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Reason code.
    pub reason: Reason,
    /// Amount to claim back (zero when the dispute is not supported).
    pub recoverable: Decimal,
    /// Our records support a dispute (e.g. our declared dimensions against the carrier's
    /// weight correction); when false the finding is information only.
    pub dispute_supported: bool,
    /// The values that differ.
    pub evidence: Vec<Evidence>,
    /// One sentence for finance.
    pub note: String,
}

/// A package with its audit outcome.
#[derive(Clone, Debug, Serialize)]
pub struct AuditedPackage {
    /// The billed package.
    pub package: InvoicePackage,
    /// How it was matched, if it was.
    pub matched_by: Option<MatchedBy>,
    /// Billed total.
    pub billed: Decimal,
    /// Expected total (quote at purchase, or re-rated), when known.
    pub expected: Option<Decimal>,
    /// Findings, empty when the package is clean.
    pub findings: Vec<Finding>,
}

impl AuditedPackage {
    /// Sum recoverable over the findings.
    pub fn recoverable(&self) -> Decimal {
        self.findings.iter().map(|f| f.recoverable).sum()
    }

    /// At least one finding is to be disputed.
    pub fn disputed(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.dispute_supported && f.recoverable > Decimal::ZERO)
    }
}

/// Audits packages batch after batch. Keeps one 8-byte hash per package already billed in
/// this import (duplicate billing across batches): ~16 MB of set per million packages, the
/// only state that grows with the file.
pub struct Auditor<'a> {
    settings: &'a AuditSettings,
    cards: Option<&'a RateCards>,
    /// Already a hash: stored as is.
    seen: HashSet<u64, FxBuild>,
    /// The weight tolerance in the units asked so far.
    weight_tolerance: Vec<(WeightUnit, Decimal)>,
}

impl<'a> Auditor<'a> {
    /// An auditor with a tenant's settings and, optionally, its contract rate cards (used to
    /// re-rate a package whose billable weight, dimensions or zone changed).
    pub fn new(settings: &'a AuditSettings, cards: Option<&'a RateCards>) -> Self {
        Self {
            settings,
            cards,
            seen: HashSet::default(),
            weight_tolerance: Vec::new(),
        }
    }

    /// Audits a batch against the shipments looked up for it.
    pub fn audit_batch(
        &mut self,
        packages: Vec<InvoicePackage>,
        shipments: &ShipmentIndex,
    ) -> Vec<AuditedPackage> {
        let mut out = Vec::with_capacity(packages.len());
        out.extend(packages.into_iter().map(|p| {
            let found = shipments.find(&p);
            self.audit(p, found)
        }));
        out
    }

    fn weight_tolerance(&mut self, unit: WeightUnit) -> Decimal {
        if let Some((_, t)) = self.weight_tolerance.iter().find(|(u, _)| *u == unit) {
            return *t;
        }
        let t = Weight::new(self.settings.tolerances.weight_kg, WeightUnit::Kg)
            .expect("non-negative tolerance")
            .to(unit)
            .value();
        self.weight_tolerance.push((unit, t));
        t
    }

    /// Audits one package against its shipment, if one matched.
    pub fn audit(
        &mut self,
        p: InvoicePackage,
        found: Option<(&ExpectedShipment, MatchedBy)>,
    ) -> AuditedPackage {
        let billed = p.billed_total();
        let mut out = AuditedPackage {
            matched_by: found.map(|f| f.1),
            billed,
            expected: found.and_then(|f| f.0.quoted_total),
            findings: Vec::new(),
            package: p,
        };
        let bills_shipment = out
            .package
            .charges
            .iter()
            .any(|c| c.category == ChargeCategory::Base && !c.adjustment);
        let first_billing = !bills_shipment || self.seen.insert(key_hash(&out.package));
        let Some((exp, _)) = found else {
            out.findings.push(whole(
                Reason::UnknownShipment,
                billed,
                "no shipment bought through shiphub has this tracking number or reference",
                vec![ev("tracking_number", &out.package.tracking_number, "-")],
            ));
            return out;
        };
        if let Some(voided) = exp.voided_at {
            out.findings.push(whole(
                Reason::BilledAfterVoid,
                billed,
                "the label was voided; a voided label is not billable",
                vec![ev("voided_at", "billed", &voided.date().to_string())],
            ));
            return out;
        }
        let elsewhere = exp
            .previously_billed
            .iter()
            .find(|inv| **inv != out.package.invoice_number);
        if bills_shipment && (!first_billing || elsewhere.is_some()) {
            let earlier = elsewhere.map_or("earlier in this file", String::as_str);
            out.findings.push(whole(
                Reason::DuplicateBilling,
                billed,
                "the shipment charge of this package was already billed",
                vec![ev("invoice_number", &out.package.invoice_number, earlier)],
            ));
            return out;
        }
        let rules = self.settings.rules_for(out.package.carrier);
        let weight_tol = self.weight_tolerance(rules.dim_divisor.weight);
        let mut ctx = Ctx {
            s: self.settings,
            t: &self.settings.tolerances,
            rules,
            weight_tol,
            p: &out.package,
            e: exp,
            findings: Vec::new(),
        };
        let expected_base = ctx.weight_and_base(self.cards);
        ctx.surcharges();
        ctx.fuel();
        ctx.late();
        if let Some(base) = expected_base
            && out.expected.is_none()
        {
            out.expected = Some(base);
        }
        out.findings = ctx.findings;
        out
    }
}

fn key_hash(p: &InvoicePackage) -> u64 {
    let mut h = DefaultHasher::new();
    (p.carrier, &p.tracking_number).hash(&mut h);
    h.finish()
}

fn ev(field: &str, billed: &str, expected: &str) -> Evidence {
    Evidence {
        field: field.into(),
        billed: billed.into(),
        expected: expected.into(),
    }
}

fn whole(reason: Reason, billed: Decimal, note: &str, evidence: Vec<Evidence>) -> Finding {
    Finding {
        reason,
        recoverable: billed.max(Decimal::ZERO),
        dispute_supported: true,
        evidence,
        note: note.into(),
    }
}

fn money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

struct Ctx<'x> {
    s: &'x AuditSettings,
    t: &'x Tolerances,
    /// The carrier's billable weight rules.
    rules: CarrierRules,
    /// `t.weight_kg` in `rules.dim_divisor.weight`.
    weight_tol: Decimal,
    p: &'x InvoicePackage,
    e: &'x ExpectedShipment,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    fn exceeds(&self, diff: Decimal, expected: Decimal) -> bool {
        // diff > max(amount, pct) is diff > amount and diff > pct: the percentage (a
        // division) only for a difference over the absolute tolerance.
        if diff <= self.t.amount {
            return false;
        }
        let pct = expected.abs() * self.t.percent / Decimal::ONE_HUNDRED;
        diff > pct
    }

    fn expected_of(&self, cats: &[ChargeCategory]) -> Option<Decimal> {
        if self.e.quoted.is_empty() {
            return None;
        }
        Some(
            self.e
                .quoted
                .iter()
                .filter(|c| cats.contains(&c.category))
                .map(|c| c.amount)
                .sum(),
        )
    }

    fn billed_of(&self, cats: &[ChargeCategory]) -> Decimal {
        cats.iter().map(|&c| self.p.total_of(c)).sum()
    }

    /// Weight/dimension adjustment and base rate; returns the expected total when re-rated.
    fn weight_and_base(&mut self, cards: Option<&RateCards>) -> Option<Decimal> {
        const FREIGHT: [ChargeCategory; 2] = [ChargeCategory::Base, ChargeCategory::Discount];
        const FREIGHT_FUEL: [ChargeCategory; 3] = [
            ChargeCategory::Base,
            ChargeCategory::Discount,
            ChargeCategory::Fuel,
        ];
        let rules = self.rules;
        let unit = rules.dim_divisor.weight;
        let ours = self.e.declared_weight.map(|w| {
            let dim = self
                .e
                .declared_dimensions
                .map(|d| d.dim_weight(rules.dim_divisor));
            let w = dim.map_or(w, |d| w.max(d));
            w.ceil_to(rules.weight_step, unit)
        });
        let tol = self.weight_tol;
        let mut weight_changed = false;
        let mut claimed = false;
        if let (Some(ours), Some(billed)) = (ours, self.p.billed_weight) {
            let billed_v = billed.to(unit).value();
            if billed_v > ours.value() + tol {
                weight_changed = true;
                let carrier_dims_weight = self.p.billed_dimensions.map(|d| {
                    d.dim_weight(rules.dim_divisor)
                        .ceil_to(rules.weight_step, unit)
                        .value()
                });
                let dims_differ = match (self.p.billed_dimensions, self.e.declared_dimensions) {
                    (Some(b), Some(d)) => !same_dims(b, d, self.t.side_cm),
                    (Some(_), None) => true,
                    _ => false,
                };
                // The carrier's own measurement justifies its weight: our declared values
                // do not support a dispute.
                let justified =
                    dims_differ && carrier_dims_weight.is_some_and(|w| w > ours.value() + tol);
                let reason = if dims_differ {
                    Reason::DimensionAdjustment
                } else {
                    Reason::WeightAdjustment
                };
                let supported = !justified && self.e.declared_weight.is_some();
                let recoverable = if supported {
                    match self.expected_of(&FREIGHT_FUEL) {
                        Some(exp) => (self.billed_of(&FREIGHT_FUEL) - exp).max(Decimal::ZERO),
                        // No breakdown: the correction lines themselves.
                        None => self
                            .p
                            .charges
                            .iter()
                            .filter(|c| c.adjustment && FREIGHT_FUEL.contains(&c.category))
                            .map(|c| c.amount)
                            .sum::<Decimal>()
                            .max(Decimal::ZERO),
                    }
                } else {
                    Decimal::ZERO
                };
                claimed = supported;
                let mut evidence = vec![ev(
                    "billable_weight",
                    &format!("{} {unit:?}", billed_v.normalize()),
                    &format!("{} {unit:?}", ours.value().normalize()),
                )];
                if let Some(b) = self.p.billed_dimensions {
                    evidence.push(ev(
                        "dimensions",
                        &dims_text(b),
                        &self.e.declared_dimensions.map_or("-".into(), dims_text),
                    ));
                }
                self.findings.push(Finding {
                    reason,
                    recoverable: money(recoverable),
                    dispute_supported: supported,
                    evidence,
                    note: if supported {
                        "billed weight exceeds the billable weight of our declared weight and dimensions".into()
                    } else {
                        "the carrier measured larger dimensions than we declared".into()
                    },
                });
            }
        }
        if claimed {
            return None;
        }
        let zone_changed = match (&self.p.zone, &self.e.zone) {
            (Some(b), Some(q)) => b.trim_start_matches('0') != q.trim_start_matches('0'),
            _ => false,
        };
        let service_changed = match (&self.p.service, &self.e.service) {
            (Some(b), Some(q)) => b != q,
            _ => false,
        };
        let mut rerated = None;
        let expected_base = if weight_changed || zone_changed || service_changed {
            // The quote no longer applies: price what was billed with the contract card.
            rerated = self.rerate(cards);
            rerated.as_ref().map(|r| r.1)
        } else {
            self.expected_of(&FREIGHT)
        };
        if let Some(exp) = expected_base {
            let billed = self.billed_of(&FREIGHT);
            if self.exceeds(billed - exp, exp) {
                let mut evidence = vec![ev("freight", &billed.to_string(), &exp.to_string())];
                if zone_changed {
                    evidence.push(ev(
                        "zone",
                        self.p.zone.as_deref().unwrap_or("-"),
                        self.e.zone.as_deref().unwrap_or("-"),
                    ));
                }
                self.findings.push(Finding {
                    reason: Reason::BaseRateOffContract,
                    recoverable: money(billed - exp),
                    dispute_supported: true,
                    evidence,
                    note: if rerated.is_some() {
                        "freight above the contract rate for what was billed (re-rated)".into()
                    } else {
                        "freight above the contract rate quoted at purchase".into()
                    },
                });
            }
        }
        rerated.map(|r| r.0)
    }

    /// The contract price of the billed weight/dimensions: (total, freight net of discount).
    fn rerate(&self, cards: Option<&RateCards>) -> Option<(Decimal, Decimal)> {
        let cards = cards?;
        let (from, to) = self.e.lane.clone()?;
        let weight = self.p.billed_weight.or(self.e.declared_weight)?;
        let parcel = Parcel {
            weight,
            dimensions: self.p.billed_dimensions.or(self.e.declared_dimensions),
            description: None,
            packaging: None,
        };
        let day = self.p.ship_date.or(self.p.invoice_date)?;
        let req = lane_request(from, to, vec![parcel], Some(day));
        let service = self.e.service.as_deref()?;
        let q = cards
            .quote_service(&req, service, &QuoteOptions::default(), day)
            .ok()?;
        let freight = q
            .charges
            .iter()
            .filter(|c| matches!(c.kind, ChargeKind::Base | ChargeKind::Discount))
            .map(|c| c.amount.amount())
            .sum();
        Some((q.total.amount(), freight))
    }

    fn surcharges(&mut self) {
        use ChargeCategory as C;
        for cat in [
            C::Residential,
            C::AddressCorrection,
            C::DeliveryArea,
            C::AdditionalHandling,
            C::Surcharge,
        ] {
            let billed = self.p.total_of(cat);
            let expected = self.expected_of(&[cat]).unwrap_or_default();
            let diff = billed - expected;
            if !self.exceeds(diff, expected) {
                continue;
            }
            let (reason, supported, note) = match cat {
                C::Residential => (
                    Reason::ResidentialFee,
                    self.e.residential != Some(true),
                    "residential surcharge on an address we shipped to as commercial",
                ),
                C::AddressCorrection => (
                    Reason::AddressCorrectionFee,
                    self.e.address_validated,
                    if self.e.address_validated {
                        "address correction on an address the carrier validated at purchase"
                    } else {
                        "address correction; the address was not validated at purchase"
                    },
                ),
                _ => (
                    Reason::UnexpectedSurcharge,
                    true,
                    "surcharge not in the quote at purchase",
                ),
            };
            let names: Vec<&str> = self
                .p
                .charges
                .iter()
                .filter(|c| c.category == cat)
                .map(|c| c.description.as_str())
                .collect();
            self.findings.push(Finding {
                reason,
                recoverable: if supported {
                    money(diff)
                } else {
                    Decimal::ZERO
                },
                dispute_supported: supported,
                evidence: vec![ev(
                    &format!("surcharge:{}", cat.as_str()),
                    &format!("{billed} ({})", names.join("; ")),
                    &expected.to_string(),
                )],
                note: note.into(),
            });
        }
    }

    fn fuel(&mut self) {
        let Some((billed_pct, basis)) = self.p.fuel_percent() else {
            return;
        };
        let Some(day) = self.p.ship_date.or(self.p.invoice_date) else {
            return;
        };
        let Some(table) = self.s.fuel_percent(self.p.carrier, day) else {
            return;
        };
        let diff = billed_pct - table;
        if diff.abs() <= self.t.fuel_points {
            return;
        }
        let over = money(diff * basis / Decimal::ONE_HUNDRED);
        self.findings.push(Finding {
            reason: Reason::FuelOffTable,
            recoverable: over.max(Decimal::ZERO),
            dispute_supported: over > Decimal::ZERO,
            evidence: vec![ev(
                "fuel_percent",
                &billed_pct.round_dp(2).to_string(),
                &table.to_string(),
            )],
            note: format!(
                "fuel {}% of {basis}; the published table says {table}%",
                billed_pct.round_dp(2)
            ),
        });
    }

    fn late(&mut self) {
        if !self.e.guaranteed {
            return;
        }
        let Some(promised) = self.e.promised_by else {
            return;
        };
        let deadline = promised + self.t.late_grace;
        let (late, shown) = match (self.e.delivered_at, self.p.delivered_on) {
            (Some(at), _) => (at > deadline, at.to_string()),
            // The invoice gives a date only: late when delivered a day after the deadline.
            (None, Some(on)) => (on > deadline.date(), on.to_string()),
            (None, None) => return,
        };
        if !late {
            return;
        }
        // Money-back guarantee: the transportation charges are refunded, not duties/taxes.
        let refundable = self.p.billed_total() - self.p.total_of(ChargeCategory::Tax);
        self.findings.push(Finding {
            reason: Reason::LateDelivery,
            recoverable: money(refundable.max(Decimal::ZERO)),
            dispute_supported: true,
            evidence: vec![ev("delivered", &shown, &promised.to_string())],
            note: "guaranteed service delivered after the promised time: money-back claim".into(),
        });
    }
}

fn same_dims(a: Dimensions, b: Dimensions, side_cm: Decimal) -> bool {
    use shiphub_carriers::model::LengthUnit;
    let sorted = |d: Dimensions| {
        let d = d.to(LengthUnit::Cm);
        let mut v = [d.length(), d.width(), d.height()];
        v.sort();
        v
    };
    let (a, b) = (sorted(a), sorted(b));
    a.iter().zip(&b).all(|(x, y)| (*x - *y).abs() <= side_cm)
}

fn dims_text(d: Dimensions) -> String {
    format!(
        "{}x{}x{} {:?}",
        d.length().normalize(),
        d.width().normalize(),
        d.height().normalize(),
        d.unit()
    )
}

#[cfg(test)]
mod tests {
    use shiphub_carriers::model::{Charge, ChargeKind, Currency, Money};

    use super::*;

    fn line(code: &str, description: &str) -> Charge {
        Charge {
            kind: ChargeKind::Surcharge,
            code: Some(code.to_string()),
            description: description.to_string(),
            amount: Money::new(Decimal::ONE, Currency::USD),
        }
    }

    #[test]
    fn carrier_surcharge_codes_categorize_without_words() {
        let got: Vec<ChargeCategory> = ExpectedCharge::from_charges(&[
            line("270", "UPS charge 270"),
            line("376", "Urban"),
            line("DELIVERY_AREA", "DELIVERY_AREA"),
            line("OO", "DHL service OO"),
            line("ADDITIONAL_HANDLING", "ADDITIONAL_HANDLING"),
        ])
        .into_iter()
        .map(|e| e.category)
        .collect();
        assert_eq!(
            got,
            [
                ChargeCategory::Residential,
                ChargeCategory::DeliveryArea,
                ChargeCategory::DeliveryArea,
                ChargeCategory::DeliveryArea,
                ChargeCategory::AdditionalHandling,
            ]
        );
    }
}
