use serde::{Deserialize, Serialize};

use super::{Dimensions, InvalidValue, Weight};

/// One physical package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawParcel")]
pub struct Parcel {
    /// Actual (scale) weight; greater than zero.
    pub weight: Weight,
    /// Outer dimensions, when known (needed for dimensional weight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Dimensions>,
    /// What is inside, for the label and customs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Carrier-supplied packaging priced by its own table (flat rate, envelope, pak); absent
    /// for the shipper's own box. Only quoted and bought when named here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packaging: Option<Packaging>,
}

/// Packaging a carrier supplies and prices apart from the shipper's own boxes. Each carrier
/// maps the ones it sells to its wire code and refuses the others on `/parcels/N/packaging`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Packaging {
    /// USPS Flat Rate Envelope (Priority Mail, Priority Mail Express, international).
    FlatRateEnvelope,
    /// USPS Legal Flat Rate Envelope.
    FlatRateLegalEnvelope,
    /// USPS Padded Flat Rate Envelope.
    FlatRatePaddedEnvelope,
    /// USPS Small Flat Rate Box.
    FlatRateSmallBox,
    /// USPS Medium Flat Rate Box.
    FlatRateMediumBox,
    /// USPS Large Flat Rate Box.
    FlatRateLargeBox,
    /// The carrier's document envelope: FedEx Envelope, UPS Letter.
    Envelope,
    /// The carrier's pak: FedEx Pak, UPS PAK.
    Pak,
}

impl Packaging {
    /// The name used on the wire of our API (`flat_rate_envelope`), for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Packaging::FlatRateEnvelope => "flat_rate_envelope",
            Packaging::FlatRateLegalEnvelope => "flat_rate_legal_envelope",
            Packaging::FlatRatePaddedEnvelope => "flat_rate_padded_envelope",
            Packaging::FlatRateSmallBox => "flat_rate_small_box",
            Packaging::FlatRateMediumBox => "flat_rate_medium_box",
            Packaging::FlatRateLargeBox => "flat_rate_large_box",
            Packaging::Envelope => "envelope",
            Packaging::Pak => "pak",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParcel {
    weight: Weight,
    #[serde(default)]
    dimensions: Option<Dimensions>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    packaging: Option<Packaging>,
}

impl TryFrom<RawParcel> for Parcel {
    type Error = InvalidValue;
    fn try_from(r: RawParcel) -> Result<Self, Self::Error> {
        if r.weight.is_zero() {
            return Err(InvalidValue::new(
                "/weight/value",
                "must be greater than zero",
            ));
        }
        Ok(Parcel {
            weight: r.weight,
            dimensions: r.dimensions,
            description: r.description,
            packaging: r.packaging,
        })
    }
}
