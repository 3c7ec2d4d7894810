//! Label stock and printhead resolution as the API spells them (`stock=4x8`, `dpi=300`), and
//! how they map onto `shiphub_labels`. The stock names are the README's; a name or resolution
//! outside these lists is refused by the schema (bodies) or by serde (query strings), so every
//! handler sees only values the renderer supports.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use shiphub_carriers::model::LabelFormat;
use shiphub_labels::{Dpi, RenderOptions, Stock};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, SchemaFormat, schema::KnownFormat};

/// The medium a label is printed on: `4x6` (default), `4x8`, `a6` (thermal labels), or
/// `letter-2up` / `a4-2up` (two 4×6 labels per office sheet, PDF only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum StockName {
    #[default]
    #[serde(rename = "4x6")]
    In4x6,
    #[serde(rename = "4x8")]
    In4x8,
    #[serde(rename = "a6")]
    A6,
    #[serde(rename = "letter-2up")]
    Letter2Up,
    #[serde(rename = "a4-2up")]
    A42Up,
}

impl StockName {
    pub fn as_str(self) -> &'static str {
        match self {
            StockName::In4x6 => "4x6",
            StockName::In4x8 => "4x8",
            StockName::A6 => "a6",
            StockName::Letter2Up => "letter-2up",
            StockName::A42Up => "a4-2up",
        }
    }

    const ALL: [StockName; 5] = [
        StockName::In4x6,
        StockName::In4x8,
        StockName::A6,
        StockName::Letter2Up,
        StockName::A42Up,
    ];

    /// A stored name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == s)
    }

    pub fn stock(self) -> Stock {
        match self {
            StockName::In4x6 => Stock::In4x6,
            StockName::In4x8 => Stock::In4x8,
            StockName::A6 => Stock::A6,
            StockName::Letter2Up => Stock::Letter2Up,
            StockName::A42Up => Stock::A42Up,
        }
    }

    /// Why `format` cannot be produced on this stock, for a 422 on the stock field.
    pub fn refuses(self, format: LabelFormat) -> Option<&'static str> {
        if !self.stock().is_sheet() {
            return None;
        }
        match format {
            LabelFormat::Pdf => None,
            LabelFormat::Zpl => {
                Some("sheets (letter-2up, a4-2up) are for office printers: PDF only, not ZPL")
            }
            LabelFormat::Png => Some("a PNG holds one label: use a label stock (4x6, 4x8, a6)"),
        }
    }
}

/// Printhead resolution in dots per inch: 203 (default) or 300. ZPL and PNG are drawn at it;
/// PDF is resolution-free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Resolution {
    #[default]
    D203,
    D300,
}

impl Resolution {
    pub fn dpi(self) -> u16 {
        match self {
            Resolution::D203 => 203,
            Resolution::D300 => 300,
        }
    }

    pub fn from_dpi(dpi: i64) -> Option<Self> {
        match dpi {
            203 => Some(Resolution::D203),
            300 => Some(Resolution::D300),
            _ => None,
        }
    }

    fn labels(self) -> Dpi {
        match self {
            Resolution::D203 => Dpi::D203,
            Resolution::D300 => Dpi::D300,
        }
    }
}

impl Serialize for Resolution {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.dpi())
    }
}

impl<'de> Deserialize<'de> for Resolution {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through u16, so that a query string's "300" parses as a JSON body's 300 does.
        let dpi = u16::deserialize(d)?;
        Resolution::from_dpi(i64::from(dpi))
            .ok_or_else(|| serde::de::Error::custom(format!("{dpi} dpi: must be 203 or 300")))
    }
}

impl utoipa::PartialSchema for Resolution {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .enum_values(Some([203, 300]))
            .description(Some(
                "Printhead resolution in dots per inch: 203 or 300 (ZPL and PNG; PDF is resolution-free).",
            ))
            .into()
    }
}

impl ToSchema for Resolution {}

/// What to render: stock and resolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LabelOptions {
    pub stock: StockName,
    pub dpi: Resolution,
}

impl LabelOptions {
    pub fn render(self) -> RenderOptions {
        RenderOptions {
            stock: self.stock.stock(),
            dpi: self.dpi.labels(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for s in [
            StockName::In4x6,
            StockName::In4x8,
            StockName::A6,
            StockName::Letter2Up,
            StockName::A42Up,
        ] {
            assert_eq!(StockName::parse(s.as_str()), Some(s));
            // The stored name is the API's (serde) name.
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(StockName::parse("4X6"), None);
        let q: Result<Resolution, _> = serde_json::from_str("600");
        assert!(q.unwrap_err().to_string().contains("203 or 300"));
        assert_eq!(serde_json::to_string(&Resolution::D300).unwrap(), "300");
    }
}
