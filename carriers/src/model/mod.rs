//! The shipping vocabulary every crate speaks: exact money, unit-carrying weights and
//! dimensions, validated addresses and codes. Constructors validate; fields stay private
//! where an invariant depends on them. No floats anywhere: amounts are `rust_decimal`.
#![warn(missing_docs)]

mod address;
mod address_check;
mod billing;
pub mod china;
mod codes;
mod customs;
mod dimensions;
mod money;
mod options;
mod parcel;
mod pickup;
mod quote;
mod request;
mod tracking;
mod waybill;
mod weight;

pub use address::{
    Address, CountryCode, MAX_CITY, MAX_NAME, MAX_STATE, MAX_STATE_CN, POSTAL_CODE_REQUIRED,
    TEXT_PATTERN, US_STATES, US_ZIP_PATTERN,
};
pub use address_check::{AddressCheck, AddressClassification, AddressReason, AddressVerdict};
pub use billing::{BilledCharge, BilledWaybill};
pub use codes::InvalidValue;
pub use customs::{ContentType, CustomsDeclaration, CustomsItem, HsCode, Incoterm, TaxIds};
pub use dimensions::{DimDivisor, Dimensions, LengthUnit};
pub use money::{Currency, CurrencyMismatch, Money};
pub use options::{
    LithiumBatteries, LithiumMaterial, LithiumPacking, REMARK_MAX, ShipmentOption, ShipmentOptions,
    SignatureConfirmation,
};
pub use parcel::{Packaging, Parcel};
pub use pickup::{
    Manifest, ManifestRequest, PickupConfirmation, PickupRef, PickupRequest, PickupShipment,
};
pub use quote::{Charge, ChargeKind, Quote, ServiceClass, ServiceLevel};
pub use request::{LabelFormat, RateRequest, ShipRequest, WaybillRef};
pub use tracking::{
    CHINA_STANDARD_TIME, Location, NetworkGuess, OtherShipment, PushedEvent, TrackQuery,
    TrackingEvent, TrackingNumber, TrackingResult, TrackingStatus,
};
pub use waybill::{LabelDocument, Waybill};
pub use weight::{POSITIVE_MEASURE_PATTERN, Weight, WeightUnit};

/// For a validated string newtype with `as_str()` and `FromStr<Err = InvalidValue>`:
/// `Display`, serde as a plain string (parsed, so JSON input is validated), and its
/// OpenAPI schema.
macro_rules! string_newtype {
    ($ty:ty, $desc:expr, $example:expr) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse()
                    .map_err(|e: $crate::model::InvalidValue| serde::de::Error::custom(e.message))
            }
        }
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($desc))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}
pub(crate) use string_newtype;
