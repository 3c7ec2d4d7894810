//! Carrier invoice reconciliation: streaming import of invoice files ([`import`]), the audit
//! of each billed package against what the hub knows ([`audit`]) and the reports for finance
//! ([`report`], [`pdf`]). Pure library: no store, no I/O beyond the reader/writer it is given.
//!
//! The hub's loop, in batches so neither the file nor the shipments sit whole in memory:
//! `InvoiceReader::next_batch` → `lookup_keys` → (store query) → `ShipmentIndex::new` →
//! `Auditor::audit_batch` → `CsvReport::write` / `ReportSummary::add` / `DisputeExport::write`.

pub mod audit;
pub mod import;
pub mod pdf;
pub mod report;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{BilledWaybill, Currency, Dimensions, Weight};
use time::Date;

/// Which layout an invoice file follows (and whose rules audit it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceCarrier {
    /// UPS Billing Data (250 columns).
    Ups,
    /// FedEx Billing Online CSV.
    Fedex,
    /// DHL Express e-billing CSV.
    DhlExpress,
    /// Any other carrier, through a column mapping file.
    Other,
}

/// The invoice layouts `?carrier=` and `--carrier` accept, for their error messages.
pub const LAYOUT_CODES: &str = "ups, fedex, dhl_express or generic";

impl InvoiceCarrier {
    /// The carrier an invoice code names (the audit settings, fuel tables, contract cards):
    /// `ups`, `fedex`, `dhl_express`, and `other` or `generic` for any other carrier.
    pub fn from_code(code: &str) -> Option<InvoiceCarrier> {
        Some(match code {
            "ups" => InvoiceCarrier::Ups,
            "fedex" => InvoiceCarrier::Fedex,
            "dhl_express" => InvoiceCarrier::DhlExpress,
            "other" | "generic" => InvoiceCarrier::Other,
            _ => return None,
        })
    }

    /// The carrier whose file layout an import names (`?carrier=`, `--carrier`): as
    /// `from_code`, but a file read through a column mapping is named `generic` only.
    pub fn from_layout(code: &str) -> Option<InvoiceCarrier> {
        match code {
            "other" => None,
            code => InvoiceCarrier::from_code(code),
        }
    }

    /// Stable code used in reports and the API (`?carrier=ups`).
    pub fn code(self) -> &'static str {
        match self {
            InvoiceCarrier::Ups => "ups",
            InvoiceCarrier::Fedex => "fedex",
            InvoiceCarrier::DhlExpress => "dhl_express",
            InvoiceCarrier::Other => "other",
        }
    }
}

/// What a billed charge is for, normalized across carriers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeCategory {
    /// Transportation (freight) charge, including weight/dimension corrections of it.
    Base,
    /// Fuel surcharge.
    Fuel,
    /// Residential delivery surcharge.
    Residential,
    /// Address correction fee.
    AddressCorrection,
    /// Delivery (remote) area surcharge.
    DeliveryArea,
    /// Additional handling / large package / oversize / overweight.
    AdditionalHandling,
    /// Any other surcharge or accessorial.
    Surcharge,
    /// Discount or incentive (negative).
    Discount,
    /// Duties and taxes (not audited against the freight quote).
    Tax,
}

impl ChargeCategory {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeCategory::Base => "base",
            ChargeCategory::Fuel => "fuel",
            ChargeCategory::Residential => "residential",
            ChargeCategory::AddressCorrection => "address_correction",
            ChargeCategory::DeliveryArea => "delivery_area",
            ChargeCategory::AdditionalHandling => "additional_handling",
            ChargeCategory::Surcharge => "surcharge",
            ChargeCategory::Discount => "discount",
            ChargeCategory::Tax => "tax",
        }
    }

    /// Parses [`ChargeCategory::as_str`] (used by the generic mapping file).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "base" => ChargeCategory::Base,
            "fuel" => ChargeCategory::Fuel,
            "residential" => ChargeCategory::Residential,
            "address_correction" => ChargeCategory::AddressCorrection,
            "delivery_area" => ChargeCategory::DeliveryArea,
            "additional_handling" => ChargeCategory::AdditionalHandling,
            "surcharge" => ChargeCategory::Surcharge,
            "discount" => ChargeCategory::Discount,
            "tax" => ChargeCategory::Tax,
            _ => return None,
        })
    }

    /// Classifies a charge from its description (FedEx, DHL and generic files name charges in
    /// words, Chinese carriers' billing APIs in Chinese). Order matters: "Address Correction
    /// Fuel Surcharge" is fuel, and so is 燃油附加费 (fuel surcharge).
    pub fn from_description(desc: &str) -> Self {
        let has = |w: &str| contains_ci(desc, w);
        let zh = |words: &[&str]| words.iter().any(|w| desc.contains(w));
        if has("fuel") || zh(&["燃油"]) {
            ChargeCategory::Fuel
        } else if has("address correction") || zh(&["改址", "更改地址"]) {
            ChargeCategory::AddressCorrection
        } else if has("residential") {
            ChargeCategory::Residential
        } else if has("discount")
            || has("incentive")
            || has("rebate")
            || zh(&["优惠", "折扣", "减免", "返利"])
        {
            ChargeCategory::Discount
        } else if has("delivery area")
            || has("remote area")
            || has("extended area")
            || zh(&["偏远", "超区"])
        {
            ChargeCategory::DeliveryArea
        } else if has("additional handling")
            || has("large package")
            || has("oversize")
            || has("overweight")
            || zh(&["超长", "超重", "超大"])
        {
            ChargeCategory::AdditionalHandling
        } else if has("tax") || has("duty") || has("vat") || has("gst") || zh(&["税"]) {
            ChargeCategory::Tax
        } else if has("transportation")
            || has("freight")
            || has("weight charge")
            || zh(&["运费", "快递费"])
        {
            ChargeCategory::Base
        } else {
            ChargeCategory::Surcharge
        }
    }
}

/// `hay.to_ascii_lowercase().contains(needle)` for a lowercase ASCII `needle`, without the
/// allocation.
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// One billed charge line of a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceCharge {
    /// Normalized category.
    pub category: ChargeCategory,
    /// The carrier's code for the charge (UPS Charge Description Code, DHL XC code), if any.
    pub code: Option<String>,
    /// The carrier's description.
    pub description: String,
    /// Amount billed (net of incentives), negative for credits.
    pub amount: Decimal,
    /// What the fuel percentage applies to, when the carrier states it (UPS Basis Value),
    /// with the published (pre-incentive) amount; otherwise `None`.
    pub basis: Option<FuelBasis>,
    /// An adjustment line (UPS charge category `ADJ`: shipping charge correction, address
    /// correction) rather than the original shipment charge.
    pub adjustment: bool,
    /// 1-based line number in the file.
    pub line: u64,
}

/// UPS states the base of a fuel charge and its published amount: percent = published / basis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuelBasis {
    /// Published charges the percentage applies to.
    pub basis: Decimal,
    /// The fuel charge before incentives.
    pub published: Decimal,
}

/// One billed package: its charge lines grouped, with what the carrier says it carried.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoicePackage {
    /// The carrier account billed (UPS Account Number, FedEx Bill to Account Number, DHL
    /// Billing Account), when the layout says. Only the reports' headers read it.
    #[serde(skip)]
    pub account: Option<String>,
    /// Which layout it came from.
    pub carrier: InvoiceCarrier,
    /// Tracking number (UPS Tracking Number, FedEx Tracking ID, DHL waybill number).
    pub tracking_number: String,
    /// The shipper's reference, when the carrier repeats it.
    pub reference: Option<String>,
    /// Service as billed: the carrier's code where it has one, else its name.
    pub service: Option<String>,
    /// Service name as billed.
    pub service_name: Option<String>,
    /// Invoice number.
    pub invoice_number: String,
    /// Invoice date.
    pub invoice_date: Option<Date>,
    /// Ship (pickup/transaction) date.
    pub ship_date: Option<Date>,
    /// Delivery date the carrier reports on the invoice (FedEx POD date, UPS delivery date).
    pub delivered_on: Option<Date>,
    /// Invoice currency.
    pub currency: Currency,
    /// Weight the shipper entered, as the carrier recorded it.
    pub entered_weight: Option<Weight>,
    /// Weight billed (after any correction).
    pub billed_weight: Option<Weight>,
    /// Dimensions billed (after any correction).
    pub billed_dimensions: Option<Dimensions>,
    /// Zone billed.
    pub zone: Option<String>,
    /// Charge lines, in file order.
    pub charges: Vec<InvoiceCharge>,
}

impl InvoicePackage {
    /// The package a carrier's billing API reports for one waybill (SF Express billed
    /// freight), as the file importers would have read it: each charge categorised from its
    /// description, in the currency it was billed in, its position as its line. `None` when
    /// nothing was billed; an error when the charges are in more than one currency.
    pub fn from_billed(
        carrier: InvoiceCarrier,
        invoice_number: &str,
        billed: &BilledWaybill,
    ) -> Result<Option<InvoicePackage>, String> {
        let Some(first) = billed.charges.first() else {
            return Ok(None);
        };
        let currency = first.amount.currency();
        if let Some(other) = billed
            .charges
            .iter()
            .find(|c| c.amount.currency() != currency)
        {
            return Err(format!(
                "waybill {} is billed in {} and {}",
                billed.tracking_number.as_str(),
                currency.code(),
                other.amount.currency().code()
            ));
        }
        let charges = billed
            .charges
            .iter()
            .enumerate()
            .map(|(i, c)| InvoiceCharge {
                category: ChargeCategory::from_description(&c.description),
                code: c.code.clone(),
                description: c.description.clone(),
                amount: c.amount.amount(),
                basis: None,
                adjustment: false,
                line: i as u64 + 1,
            })
            .collect();
        Ok(Some(InvoicePackage {
            account: None,
            carrier,
            tracking_number: billed.tracking_number.as_str().to_string(),
            reference: billed.reference.clone(),
            service: billed.service.clone(),
            service_name: None,
            invoice_number: invoice_number.to_string(),
            invoice_date: None,
            ship_date: billed.ship_date,
            delivered_on: None,
            currency,
            entered_weight: None,
            billed_weight: billed.billed_weight,
            billed_dimensions: None,
            zone: None,
            charges,
        }))
    }

    /// Sum of every charge.
    pub fn billed_total(&self) -> Decimal {
        self.charges.iter().map(|c| c.amount).sum()
    }

    /// Sum of the charges of one category.
    pub fn total_of(&self, category: ChargeCategory) -> Decimal {
        self.charges
            .iter()
            .filter(|c| c.category == category)
            .map(|c| c.amount)
            .sum()
    }

    /// First line number of the package in the file.
    pub fn first_line(&self) -> u64 {
        self.charges.iter().map(|c| c.line).min().unwrap_or(0)
    }

    /// Line numbers of its charges.
    pub fn lines(&self) -> Vec<u64> {
        self.charges.iter().map(|c| c.line).collect()
    }

    /// Fuel percentage billed and the base it applies to. UPS states both (published fuel /
    /// Basis Value); elsewhere the base is the net of every non-fuel, non-tax charge, which
    /// is how FedEx and DHL apply fuel (to transportation and surcharges after discounts).
    pub fn fuel_percent(&self) -> Option<(Decimal, Decimal)> {
        let fuel = || {
            self.charges
                .iter()
                .filter(|c| c.category == ChargeCategory::Fuel)
        };
        fuel().next()?;
        let mut stated = fuel().filter_map(|c| c.basis).peekable();
        if stated.peek().is_some() {
            let (mut basis, mut published) = (Decimal::ZERO, Decimal::ZERO);
            for b in stated {
                basis += b.basis;
                published += b.published;
            }
            if basis.is_zero() {
                return None;
            }
            return Some((published * Decimal::ONE_HUNDRED / basis, basis));
        }
        let amount: Decimal = fuel().map(|c| c.amount).sum();
        let basis: Decimal = self
            .charges
            .iter()
            .filter(|c| !matches!(c.category, ChargeCategory::Fuel | ChargeCategory::Tax))
            .map(|c| c.amount)
            .sum();
        if basis <= Decimal::ZERO {
            return None;
        }
        Some((amount * Decimal::ONE_HUNDRED / basis, basis))
    }
}

pub use audit::{
    AuditSettings, AuditedPackage, Auditor, CarrierRules, Evidence, ExpectedCharge,
    ExpectedShipment, Finding, FuelRate, LookupKeys, Reason, ShipmentIndex, Tolerances,
    lookup_keys,
};
pub use import::{
    ColumnMapping, ImportError, ImportSummary, InvoiceFormat, InvoiceReader, RowError,
};
pub use pdf::render_pdf;

// The hub parses on one thread and audits on another: readers and batches must move.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<InvoiceReader<std::fs::File>>();
    send::<InvoiceReader<std::io::BufReader<std::fs::File>>>();
    send::<InvoicePackage>();
    send::<ExpectedShipment>();
    send::<AuditedPackage>();
};
pub use report::{
    CHARGE_KINDS, ChargeTotal, CsvReport, DisputeExport, JsonReport, OTHER_CHARGES, ReportSummary,
    TopCharge,
};

#[cfg(test)]
mod carrier_code_tests {
    use super::InvoiceCarrier;

    #[test]
    fn codes_name_carriers_and_layouts_name_only_files() {
        for c in [
            InvoiceCarrier::Ups,
            InvoiceCarrier::Fedex,
            InvoiceCarrier::DhlExpress,
            InvoiceCarrier::Other,
        ] {
            assert_eq!(InvoiceCarrier::from_code(c.code()), Some(c));
        }
        assert_eq!(
            InvoiceCarrier::from_code("generic"),
            Some(InvoiceCarrier::Other)
        );
        assert_eq!(InvoiceCarrier::from_code("usps"), None);
        // A mapped file's layout is `generic`; `other` names the carrier, not a layout.
        assert_eq!(
            InvoiceCarrier::from_layout("generic"),
            Some(InvoiceCarrier::Other)
        );
        assert_eq!(InvoiceCarrier::from_layout("other"), None);
        assert_eq!(
            InvoiceCarrier::from_layout("fedex"),
            Some(InvoiceCarrier::Fedex)
        );
    }
}

#[cfg(test)]
mod billed_tests {
    use rust_decimal_macros::dec;
    use shiphub_carriers::model::{BilledCharge, Money};

    use super::*;

    fn cny() -> Currency {
        "CNY".parse().unwrap()
    }

    fn charge(description: &str, amount: Decimal, currency: Currency) -> BilledCharge {
        BilledCharge {
            code: None,
            description: description.to_string(),
            amount: Money::new(amount, currency),
        }
    }

    #[test]
    fn a_billed_waybill_reads_as_a_package_in_its_own_currency_with_chinese_charges_categorised() {
        let billed = BilledWaybill {
            tracking_number: "SF1234567890123".parse().unwrap(),
            reference: Some("ORDER-1".into()),
            service: Some("2".into()),
            billed_weight: None,
            ship_date: None,
            charges: vec![
                charge("运费", dec!(23.00), cny()),
                charge("燃油附加费", dec!(1.20), cny()),
                charge("偏远地区附加费", dec!(5), cny()),
                charge("保价费", dec!(2), cny()),
                charge("优惠", dec!(-3), cny()),
            ],
        };
        let p = InvoicePackage::from_billed(InvoiceCarrier::Other, "INV", &billed)
            .unwrap()
            .unwrap();
        assert_eq!(p.currency, cny());
        assert_eq!(p.tracking_number, "SF1234567890123");
        assert_eq!(p.reference.as_deref(), Some("ORDER-1"));
        let cats: Vec<ChargeCategory> = p.charges.iter().map(|c| c.category).collect();
        assert_eq!(
            cats,
            [
                ChargeCategory::Base,
                ChargeCategory::Fuel,
                ChargeCategory::DeliveryArea,
                ChargeCategory::Surcharge,
                ChargeCategory::Discount,
            ]
        );
        assert_eq!(p.billed_total(), dec!(28.20));
        // Nothing billed: no package. Two currencies: an error, never a sum of both.
        let none = BilledWaybill {
            charges: vec![],
            ..billed.clone()
        };
        assert_eq!(
            InvoicePackage::from_billed(InvoiceCarrier::Other, "INV", &none).unwrap(),
            None
        );
        let mixed = BilledWaybill {
            charges: vec![
                charge("运费", dec!(23), cny()),
                charge("Fuel", dec!(1), Currency::USD),
            ],
            ..billed
        };
        assert!(InvoicePackage::from_billed(InvoiceCarrier::Other, "INV", &mixed).is_err());
    }
}
