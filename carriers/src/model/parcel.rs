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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParcel {
    weight: Weight,
    #[serde(default)]
    dimensions: Option<Dimensions>,
    #[serde(default)]
    description: Option<String>,
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
        })
    }
}
