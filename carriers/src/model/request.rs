use serde::{Deserialize, Serialize};
use time::Date;

use super::{
    Address, CustomsDeclaration, InvalidValue, Packaging, Parcel, ShipmentOptions, TrackingNumber,
};

/// Label document formats.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum LabelFormat {
    /// PDF, 4×6 in.
    #[default]
    Pdf,
    /// ZPL II for Zebra thermal printers, 4×6 in at 203 dpi.
    Zpl,
    /// PNG image.
    Png,
}

impl LabelFormat {
    /// MIME type of the document.
    pub fn media_type(self) -> &'static str {
        match self {
            LabelFormat::Pdf => "application/pdf",
            LabelFormat::Zpl => "application/x-zpl",
            LabelFormat::Png => "image/png",
        }
    }

    /// The format's name, as the API and the store spell it (`pdf`, `zpl`, `png`).
    pub fn as_str(self) -> &'static str {
        match self {
            LabelFormat::Pdf => "pdf",
            LabelFormat::Zpl => "zpl",
            LabelFormat::Png => "png",
        }
    }
}

impl std::str::FromStr for LabelFormat {
    type Err = InvalidValue;

    /// The name [`LabelFormat::as_str`] gives, exactly (lower case, as serde spells it).
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        [LabelFormat::Pdf, LabelFormat::Zpl, LabelFormat::Png]
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| InvalidValue::new("", format!("unknown label format `{s}`")))
    }
}

/// What to price: who ships what to whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RateRequest {
    /// Origin.
    pub from: Address,
    /// Destination.
    pub to: Address,
    /// One or more packages.
    pub parcels: Vec<Parcel>,
    /// Required when origin and destination are in different customs territories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs: Option<CustomsDeclaration>,
    /// Planned ship date; today when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<Date>,
    /// Signature, Saturday delivery, declared value and the other options asked for.
    #[serde(default, skip_serializing_if = "ShipmentOptions::is_empty")]
    pub options: ShipmentOptions,
}

impl RateRequest {
    /// Checks what serde cannot: at least one parcel, at most 50; options complete; a remark
    /// of 1 to [`super::REMARK_MAX`] characters.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        self.options.validate()?;
        if let Some(r) = &self.options.remark {
            let n = r.chars().count();
            if r.trim().is_empty() || n > super::REMARK_MAX {
                return Err(InvalidValue::new(
                    "/options/remark",
                    format!("1 to {} characters", super::REMARK_MAX),
                ));
            }
        }
        if self.parcels.is_empty() {
            return Err(InvalidValue::new("/parcels", "needs at least one parcel"));
        }
        if self.parcels.len() > 50 {
            return Err(InvalidValue::new(
                "/parcels",
                "at most 50 parcels per shipment",
            ));
        }
        Ok(())
    }
    /// The first parcel whose packaging `sold` refuses, as a complaint on its field
    /// (`/parcels/N/packaging`) naming the carrier: carriers quote and buy only the packaging
    /// they sell.
    pub fn unsold_packaging(
        &self,
        carrier: &str,
        sold: impl Fn(Packaging) -> bool,
    ) -> Result<(), InvalidValue> {
        for (i, p) in self.parcels.iter().enumerate() {
            if let Some(k) = p.packaging.filter(|k| !sold(*k)) {
                return Err(InvalidValue::new(
                    format!("/parcels/{i}/packaging"),
                    format!("{carrier} sells no `{}` packaging", k.as_str()),
                ));
            }
        }
        Ok(())
    }
    /// True when origin and destination are in different countries.
    pub fn is_international(&self) -> bool {
        !self.from.is_domestic_to(&self.to)
    }
}

/// What to buy: a rated shipment plus the chosen service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShipRequest {
    /// The shipment.
    #[serde(flatten)]
    pub shipment: RateRequest,
    /// The carrier's service code, from a quote.
    pub service: String,
    /// Label format wanted.
    #[serde(default)]
    pub label_format: LabelFormat,
    /// The shipper's reference (order number), printed on the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A return label: `from` is whoever sends the parcel back (the customer), `to` the
    /// shipper's return address, and the account holder pays, where the carrier can only
    /// when the label is used (scan-based returns).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_return: bool,
}

/// Enough to point at a waybill the carrier issued (for void).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaybillRef {
    /// Master tracking number.
    pub tracking_number: TrackingNumber,
    /// The carrier's shipment id, when different from the tracking number.
    pub carrier_shipment_id: String,
    /// Per-piece tracking numbers.
    #[serde(default)]
    pub pieces: Vec<TrackingNumber>,
}

#[cfg(test)]
mod tests {
    use super::LabelFormat;

    #[test]
    fn label_format_names_are_serdes_and_parse_back() {
        for f in [LabelFormat::Pdf, LabelFormat::Zpl, LabelFormat::Png] {
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
            assert_eq!(f.as_str().parse::<LabelFormat>().unwrap(), f);
        }
        assert!("PDF".parse::<LabelFormat>().is_err());
    }
}
