//! Label stock and printhead resolution as the API spells them (`stock=4x8`, `dpi=300`): thin
//! wrappers over `shiphub_labels::Stock` and `Dpi`, which own the names, adding only the wire
//! shape (serde, OpenAPI schema). A name or resolution outside labels' lists is refused by the
//! schema (bodies) or by serde (query strings), so every handler sees only values the renderer
//! supports.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use shiphub_labels::{Dpi, Stock};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, SchemaFormat, schema::KnownFormat};

/// The medium a label is printed on: `4x6` (default), `4x8`, `a6` (thermal labels), or
/// `letter-2up` / `a4-2up` (two 4×6 labels per office sheet, PDF only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StockName(pub Stock);

impl StockName {
    pub fn as_str(self) -> &'static str {
        self.0.as_str()
    }

    /// A name of labels' list; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok().map(StockName)
    }

    /// Labels' names in a `'static` list, as serde's "expected one of" wants them.
    const NAMES: [&'static str; Stock::ALL.len()] = {
        let mut names = [""; Stock::ALL.len()];
        let mut i = 0;
        while i < names.len() {
            names[i] = Stock::ALL[i].as_str();
            i += 1;
        }
        names
    };
}

impl Serialize for StockName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StockName {
    /// With the errors a derived unit-variant enum `StockName` gives (`unknown variant …,
    /// expected one of …`, `expected enum StockName`): query strings show them.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = StockName;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("enum StockName")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StockName, E> {
                StockName::parse(v).ok_or_else(|| E::unknown_variant(v, &StockName::NAMES))
            }
        }
        d.deserialize_str(Name)
    }
}

impl utoipa::PartialSchema for StockName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "The medium a label is printed on: `4x6` (default), `4x8`, `a6` (thermal labels), or\n`letter-2up` / `a4-2up` (two 4×6 labels per office sheet, PDF only).",
            ))
            .enum_values(Some(Self::NAMES))
            .into()
    }
}

impl ToSchema for StockName {}

/// Printhead resolution in dots per inch: 203 (default) or 300. ZPL and PNG are drawn at it;
/// PDF is resolution-free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resolution(pub Dpi);

impl Resolution {
    pub fn dpi(self) -> u16 {
        // 203 or 300: always fits.
        self.0.dpi() as u16
    }

    pub fn from_dpi(dpi: i64) -> Option<Self> {
        u32::try_from(dpi)
            .ok()
            .and_then(Dpi::from_dpi)
            .map(Resolution)
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
            .enum_values(Some(Dpi::ALL.map(Dpi::dpi)))
            .description(Some(
                "Printhead resolution in dots per inch: 203 or 300 (ZPL and PNG; PDF is resolution-free).",
            ))
            .into()
    }
}

impl ToSchema for Resolution {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for s in [
            StockName(Stock::In4x6),
            StockName(Stock::In4x8),
            StockName(Stock::A6),
            StockName(Stock::Letter2Up),
            StockName(Stock::A42Up),
            StockName(Stock::Cn100x150),
            StockName(Stock::Cn76x130),
        ] {
            assert_eq!(StockName::parse(s.as_str()), Some(s));
            // The stored name is the API's (serde) name.
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(StockName::parse("4X6"), None);
        let q: Result<Resolution, _> = serde_json::from_str("600");
        assert!(q.unwrap_err().to_string().contains("203 or 300"));
        assert_eq!(
            serde_json::to_string(&Resolution(Dpi::D300)).unwrap(),
            "300"
        );
    }
}
