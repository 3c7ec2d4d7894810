//! The shipping vocabulary every crate speaks: exact money, unit-carrying weights and
//! dimensions, validated addresses and codes. Constructors validate; fields stay private
//! where an invariant depends on them. No floats anywhere: amounts are `rust_decimal`.
#![warn(missing_docs)]

mod address;
mod codes;
mod customs;
mod dimensions;
mod money;
mod parcel;
mod quote;
mod request;
mod tracking;
mod waybill;
mod weight;

pub use address::{Address, CountryCode};
pub use codes::InvalidValue;
pub use customs::{ContentType, CustomsDeclaration, CustomsItem, HsCode, Incoterm, TaxIds};
pub use dimensions::{DimDivisor, Dimensions, LengthUnit};
pub use money::{Currency, CurrencyMismatch, Money};
pub use parcel::Parcel;
pub use quote::{Charge, ChargeKind, Quote, ServiceClass, ServiceLevel};
pub use request::{LabelFormat, RateRequest, ShipRequest, WaybillRef};
pub use tracking::{Location, TrackingEvent, TrackingNumber, TrackingResult, TrackingStatus};
pub use waybill::{LabelDocument, Waybill};
pub use weight::{Weight, WeightUnit};

/// Implements `utoipa` schema traits for a string newtype.
macro_rules! string_schema {
    ($ty:ty, $desc:expr, $example:expr) => {
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
pub(crate) use string_schema;
