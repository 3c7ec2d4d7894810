use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use super::{CountryCode, InvalidValue, Money, Weight};

/// Incoterms 2020, plus DDU which carriers still accept as "duties unpaid".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
#[allow(clippy::upper_case_acronyms)]
pub enum Incoterm {
    /// Ex works.
    EXW,
    /// Free carrier.
    FCA,
    /// Carriage paid to.
    CPT,
    /// Carriage and insurance paid to.
    CIP,
    /// Delivered at place.
    DAP,
    /// Delivered at place unloaded.
    DPU,
    /// Delivered duty paid.
    DDP,
    /// Delivered duty unpaid (pre-2010 term, still used by carriers).
    DDU,
    /// Free alongside ship.
    FAS,
    /// Free on board.
    FOB,
    /// Cost and freight.
    CFR,
    /// Cost, insurance and freight.
    CIF,
}

/// What the shipment contains, for customs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    /// Goods sold.
    Merchandise,
    /// Documents of no commercial value.
    Documents,
    /// A gift.
    Gift,
    /// A commercial sample.
    Sample,
    /// Goods being returned.
    ReturnedGoods,
    /// Anything else.
    Other,
}

/// A Harmonized System code: 6 to 10 digits (6 international, more national).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HsCode(String);

impl HsCode {
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl FromStr for HsCode {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s.chars().filter(|c| *c != '.' && *c != ' ').collect();
        if (6..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(HsCode(digits))
        } else {
            Err(InvalidValue::new(
                "",
                format!("`{s}` is not an HS code (6 to 10 digits)"),
            ))
        }
    }
}
impl fmt::Debug for HsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HsCode({})", self.0)
    }
}
super::string_newtype!(HsCode, "Harmonized System code, 6 to 10 digits", "610910");

/// One line of a customs declaration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CustomsItem {
    /// Plain description of the goods.
    pub description: String,
    /// The same in the origin country's language, where a carrier or customs wants both
    /// (YunExpress: item names in English and Chinese).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_description: Option<String>,
    /// Number of units; at least one.
    pub quantity: u32,
    /// Value of one unit.
    pub unit_value: Money,
    /// Weight of one unit.
    pub unit_weight: Weight,
    /// HS tariff code.
    pub hs_code: HsCode,
    /// Country of origin (manufacture).
    pub origin_country: CountryCode,
    /// The shipper's SKU, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

/// Tax and customs registration numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaxIds {
    /// EU Economic Operators Registration and Identification number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eori: Option<String>,
    /// EU Import One-Stop Shop number (`IM` + 10 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ioss: Option<String>,
    /// VAT registration number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat: Option<String>,
}

/// What customs needs to clear an international shipment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawCustoms")]
pub struct CustomsDeclaration {
    /// Who pays duties and where risk passes.
    pub incoterm: Incoterm,
    /// Nature of the goods.
    pub content_type: ContentType,
    /// At least one item.
    pub items: Vec<CustomsItem>,
    /// Exporter (shipper) registrations.
    #[serde(default)]
    pub exporter: TaxIds,
    /// Importer (receiver) registrations.
    #[serde(default)]
    pub importer: TaxIds,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustoms {
    incoterm: Incoterm,
    content_type: ContentType,
    items: Vec<CustomsItem>,
    #[serde(default)]
    exporter: TaxIds,
    #[serde(default)]
    importer: TaxIds,
}

impl TryFrom<RawCustoms> for CustomsDeclaration {
    type Error = InvalidValue;
    fn try_from(r: RawCustoms) -> Result<Self, Self::Error> {
        if r.items.is_empty() {
            return Err(InvalidValue::new("/items", "needs at least one item"));
        }
        let currency = r.items[0].unit_value.currency();
        for (i, item) in r.items.iter().enumerate() {
            if item.quantity == 0 {
                return Err(InvalidValue::new(
                    format!("/items/{i}/quantity"),
                    "must be at least 1",
                ));
            }
            if item.description.trim().is_empty() {
                return Err(InvalidValue::new(
                    format!("/items/{i}/description"),
                    "must not be empty",
                ));
            }
            if item.unit_value.currency() != currency {
                return Err(InvalidValue::new(
                    format!("/items/{i}/unit_value/currency"),
                    "all items must be valued in one currency",
                ));
            }
        }
        if let Some(ioss) = &r.importer.ioss
            && !(ioss.len() == 12
                && ioss.starts_with("IM")
                && ioss[2..].bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(InvalidValue::new(
                "/importer/ioss",
                "an IOSS number is IM followed by 10 digits",
            ));
        }
        Ok(CustomsDeclaration {
            incoterm: r.incoterm,
            content_type: r.content_type,
            items: r.items,
            exporter: r.exporter,
            importer: r.importer,
        })
    }
}

impl CustomsDeclaration {
    /// Total declared value (quantity × unit value over all items).
    pub fn total_value(&self) -> Money {
        let currency = self.items[0].unit_value.currency();
        self.items
            .iter()
            .map(|i| i.unit_value.times(i.quantity.into()))
            .try_fold(Money::zero(currency), |a, m| a.checked_add(m))
            .expect("one currency, checked at construction")
    }
}
