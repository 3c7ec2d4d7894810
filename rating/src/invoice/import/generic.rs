//! A generic CSV described by a TOML mapping file: which header names hold which field, and
//! how charges are laid out: one charge per row (`charge_amount` + `charge_description`/
//! `charge_code`, classified by `[codes]` then by the description) and/or one column per
//! charge (`[charge_columns]`: header name → category).
//!
//! ```toml
//! carrier = "other"           # ups | fedex | dhl_express | other: whose audit rules apply
//! currency = "EUR"            # when no currency column
//! delimiter = ";"             # default ","
//! weight_unit = "kg"          # of weight columns; length_unit = "cm" of dimension columns
//! [columns]
//! tracking_number = "Tracking"
//! invoice_number = "Invoice No"
//! invoice_date = "Invoice Date"     # YYYY-MM-DD, YYYYMMDD or DD/MM/YYYY
//! charge_description = "Charge"
//! charge_amount = "Amount"
//! [codes]
//! FSC = "fuel"
//! [charge_columns]
//! "Freight" = "base"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use shiphub_carriers::model::{Currency, LengthUnit, WeightUnit};

use super::{Parsed, Rec, Row, Scratch, amount, date, dimensions, dims3, opt, weight, weight_unit};
use crate::invoice::{ChargeCategory, InvoiceCarrier, InvoiceCharge};

/// A mapping file, parsed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    /// Whose audit rules apply.
    #[serde(default = "other")]
    pub carrier: InvoiceCarrier,
    /// Currency of amounts when there is no currency column.
    pub currency: Currency,
    /// Field delimiter, one ASCII character.
    #[serde(default = "comma")]
    pub delimiter: char,
    /// The first row names the columns (required to map by name; default true).
    #[serde(default = "yes")]
    pub header: bool,
    /// Unit of weight columns without a unit column.
    #[serde(default = "kg")]
    pub weight_unit: WeightUnit,
    /// Unit of dimension columns.
    #[serde(default = "cm")]
    pub length_unit: LengthUnit,
    /// Field → header name.
    pub columns: Columns,
    /// Charge code or description → category, for one-charge-per-row files.
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
    /// Header name of a charge column → category, for one-column-per-charge files.
    #[serde(default)]
    pub charge_columns: BTreeMap<String, String>,
}

/// Header names of the fields; only `tracking_number` and `invoice_number` are required.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Columns {
    pub tracking_number: String,
    pub invoice_number: String,
    pub invoice_date: Option<String>,
    pub ship_date: Option<String>,
    pub delivered_on: Option<String>,
    pub reference: Option<String>,
    pub service: Option<String>,
    pub currency: Option<String>,
    pub billed_weight: Option<String>,
    pub weight_unit: Option<String>,
    pub entered_weight: Option<String>,
    /// One column `L x W x H`, or the three below.
    pub dimensions: Option<String>,
    pub length: Option<String>,
    pub width: Option<String>,
    pub height: Option<String>,
    pub zone: Option<String>,
    pub charge_code: Option<String>,
    pub charge_description: Option<String>,
    pub charge_amount: Option<String>,
}

fn other() -> InvoiceCarrier {
    InvoiceCarrier::Other
}
fn comma() -> char {
    ','
}
fn yes() -> bool {
    true
}
fn kg() -> WeightUnit {
    WeightUnit::Kg
}
fn cm() -> LengthUnit {
    LengthUnit::Cm
}

/// A mapping file that does not load.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// Not valid TOML or not the expected shape.
    #[error("mapping file: {0}")]
    Toml(#[from] toml::de::Error),
    /// Consistent TOML, inconsistent mapping.
    #[error("mapping file: {0}")]
    Invalid(String),
}

impl ColumnMapping {
    /// Parses and checks a mapping file.
    pub fn from_toml(text: &str) -> Result<Self, MappingError> {
        let m: ColumnMapping = toml::from_str(text)?;
        if !m.delimiter.is_ascii() {
            return Err(MappingError::Invalid(
                "delimiter must be one ASCII character".into(),
            ));
        }
        if !m.header {
            return Err(MappingError::Invalid(
                "columns are mapped by header name: header = false is not supported".into(),
            ));
        }
        for (k, v) in m.codes.iter().chain(&m.charge_columns) {
            if ChargeCategory::parse(v).is_none() {
                return Err(MappingError::Invalid(format!(
                    "{k}: unknown category {v:?}"
                )));
            }
        }
        if m.columns.charge_amount.is_none() && m.charge_columns.is_empty() {
            return Err(MappingError::Invalid(
                "map charges: columns.charge_amount or [charge_columns]".into(),
            ));
        }
        Ok(m)
    }

    pub(super) fn delimiter_byte(&self) -> u8 {
        self.delimiter as u8
    }
}

/// The mapping with header names resolved to positions (1-based).
#[derive(Debug)]
pub(super) struct Resolved {
    mapping: ColumnMapping,
    pos: BTreeMap<&'static str, usize>,
    charge_columns: Vec<(usize, String, ChargeCategory)>,
}

impl Resolved {
    pub(super) fn from_header(m: &ColumnMapping, header: &Rec<'_>) -> Result<Self, String> {
        let header = header.lossy();
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
                .map(|i| i + 1)
                .ok_or_else(|| format!("mapped column {name:?} is not in the header"))
        };
        let c = &m.columns;
        let mut pos = BTreeMap::new();
        let fields: [(&'static str, Option<&String>); 19] = [
            ("tracking_number", Some(&c.tracking_number)),
            ("invoice_number", Some(&c.invoice_number)),
            ("invoice_date", c.invoice_date.as_ref()),
            ("ship_date", c.ship_date.as_ref()),
            ("delivered_on", c.delivered_on.as_ref()),
            ("reference", c.reference.as_ref()),
            ("service", c.service.as_ref()),
            ("currency", c.currency.as_ref()),
            ("billed_weight", c.billed_weight.as_ref()),
            ("weight_unit", c.weight_unit.as_ref()),
            ("entered_weight", c.entered_weight.as_ref()),
            ("dimensions", c.dimensions.as_ref()),
            ("length", c.length.as_ref()),
            ("width", c.width.as_ref()),
            ("height", c.height.as_ref()),
            ("zone", c.zone.as_ref()),
            ("charge_code", c.charge_code.as_ref()),
            ("charge_description", c.charge_description.as_ref()),
            ("charge_amount", c.charge_amount.as_ref()),
        ];
        for (field, name) in fields {
            if let Some(name) = name {
                pos.insert(field, find(name)?);
            }
        }
        let mut charge_columns = Vec::new();
        for (name, cat) in &m.charge_columns {
            let cat = ChargeCategory::parse(cat).expect("checked in from_toml");
            charge_columns.push((find(name)?, name.clone(), cat));
        }
        Ok(Self {
            mapping: m.clone(),
            pos,
            charge_columns,
        })
    }

    pub(super) fn parse<'a>(
        &self,
        rec: &Rec<'a>,
        line: u64,
        scratch: &mut Scratch,
    ) -> Result<Parsed<'a>, String> {
        let f = |field: &str| self.pos.get(field).map_or(Ok(""), |&p| rec.col(p));
        let m = &self.mapping;
        let tracking = f("tracking_number")?;
        if tracking.is_empty() {
            return Err(format!("{} is empty", m.columns.tracking_number));
        }
        let invoice_number = f("invoice_number")?;
        if invoice_number.is_empty() {
            return Err(format!("{} is empty", m.columns.invoice_number));
        }
        let charges = &mut scratch.charges;
        let charge = |category, code: Option<String>, description: String, amount| InvoiceCharge {
            category,
            code,
            description,
            amount,
            basis: None,
            adjustment: false,
            line,
        };
        if self.pos.contains_key("charge_amount") {
            let code = opt(f("charge_code")?).map(str::to_owned);
            let desc = f("charge_description")?.to_owned();
            let amt = amount(f("charge_amount")?, "charge_amount")?;
            let mapped = code
                .as_deref()
                .and_then(|k| m.codes.get(k))
                .or_else(|| m.codes.get(&desc))
                .and_then(|v| ChargeCategory::parse(v));
            let category = mapped.unwrap_or_else(|| ChargeCategory::from_description(&desc));
            charges.push(charge(category, code, desc, amt));
        }
        for (p, name, cat) in &self.charge_columns {
            let amt = amount(rec.col(*p)?, name)?;
            if !amt.is_zero() {
                charges.push(charge(*cat, None, name.clone(), amt));
            }
        }
        let wunit = match f("weight_unit")? {
            "" => Some(m.weight_unit),
            u => Some(weight_unit(u).ok_or_else(|| format!("weight unit {u:?} is unknown"))?),
        };
        let dims = match self.pos.contains_key("dimensions") {
            true => dimensions(f("dimensions")?, m.length_unit, "dimensions")?,
            false => dims3(
                f("length")?,
                f("width")?,
                f("height")?,
                m.length_unit,
                "dimensions",
            )?,
        };
        let service = opt(f("service")?);
        Ok(Parsed::Package(Row {
            account: None,
            tracking_number: tracking,
            invoice_number,
            invoice_date: date(f("invoice_date")?, "invoice_date")?,
            ship_date: date(f("ship_date")?, "ship_date")?,
            delivered_on: date(f("delivered_on")?, "delivered_on")?,
            reference: opt(f("reference")?),
            service_name: service,
            service,
            currency: scratch
                .currency(f("currency")?, "currency")?
                .or(Some(m.currency)),
            entered_weight: weight(f("entered_weight")?, wunit, "entered_weight")?,
            billed_weight: weight(f("billed_weight")?, wunit, "billed_weight")?,
            billed_dimensions: dims,
            zone: opt(f("zone")?),
        }))
    }
}
