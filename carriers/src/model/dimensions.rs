use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{InvalidValue, Weight, WeightUnit};

/// A unit of length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LengthUnit {
    /// Centimetre.
    Cm,
    /// Inch, exactly 2.54 cm.
    In,
}

impl LengthUnit {
    fn cm(self) -> Decimal {
        match self {
            LengthUnit::Cm => Decimal::ONE,
            LengthUnit::In => Decimal::new(254, 2),
        }
    }
}

/// Outer dimensions of a parcel; each side strictly positive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawDimensions")]
pub struct Dimensions {
    /// Decimal string, greater than zero and below 10000 in `unit`, at most 4 decimals.
    #[schema(value_type = String, example = "30", pattern = "^([1-9][0-9]{0,3}(\\.[0-9]{1,4})?|0?\\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$")]
    length: Decimal,
    /// Decimal string, greater than zero and below 10000 in `unit`, at most 4 decimals.
    #[schema(value_type = String, example = "20", pattern = "^([1-9][0-9]{0,3}(\\.[0-9]{1,4})?|0?\\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$")]
    width: Decimal,
    /// Decimal string, greater than zero and below 10000 in `unit`, at most 4 decimals.
    #[schema(value_type = String, example = "10", pattern = "^([1-9][0-9]{0,3}(\\.[0-9]{1,4})?|0?\\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$")]
    height: Decimal,
    unit: LengthUnit,
}

#[derive(Deserialize)]
struct RawDimensions {
    length: Decimal,
    width: Decimal,
    height: Decimal,
    unit: LengthUnit,
}

impl TryFrom<RawDimensions> for Dimensions {
    type Error = InvalidValue;
    fn try_from(r: RawDimensions) -> Result<Self, Self::Error> {
        Dimensions::new(r.length, r.width, r.height, r.unit)
    }
}

/// A dimensional-weight divisor: `volume (length³) / value = weight`. UPS/FedEx US use
/// 139 in³/lb, most international services 5000 cm³/kg.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DimDivisor {
    /// The divisor.
    pub value: Decimal,
    /// Unit the volume is measured in (cubed).
    pub length: LengthUnit,
    /// Unit of the resulting weight.
    pub weight: WeightUnit,
}

impl DimDivisor {
    /// 5000 cm³ per kg.
    pub const CM3_5000_KG: DimDivisor = DimDivisor {
        value: Decimal::from_parts(5000, 0, 0, false, 0),
        length: LengthUnit::Cm,
        weight: WeightUnit::Kg,
    };
    /// 139 in³ per lb.
    pub const IN3_139_LB: DimDivisor = DimDivisor {
        value: Decimal::from_parts(139, 0, 0, false, 0),
        length: LengthUnit::In,
        weight: WeightUnit::Lb,
    };
}

impl Dimensions {
    /// Dimensions; every side must be greater than zero.
    pub fn new(
        length: Decimal,
        width: Decimal,
        height: Decimal,
        unit: LengthUnit,
    ) -> Result<Self, InvalidValue> {
        for (name, v) in [("length", length), ("width", width), ("height", height)] {
            if v <= Decimal::ZERO {
                return Err(InvalidValue::new(
                    format!("/{name}"),
                    "must be greater than zero",
                ));
            }
        }
        Ok(Self {
            length: length.normalize(),
            width: width.normalize(),
            height: height.normalize(),
            unit,
        })
    }
    /// Length.
    pub fn length(&self) -> Decimal {
        self.length
    }
    /// Width.
    pub fn width(&self) -> Decimal {
        self.width
    }
    /// Height.
    pub fn height(&self) -> Decimal {
        self.height
    }
    /// Unit of the three sides.
    pub fn unit(&self) -> LengthUnit {
        self.unit
    }
    /// The same box in `unit` (exact: 1 in = 2.54 cm).
    pub fn to(self, unit: LengthUnit) -> Dimensions {
        if unit == self.unit {
            return self;
        }
        let f = |v: Decimal| ((v * self.unit.cm()) / unit.cm()).normalize();
        Dimensions {
            length: f(self.length),
            width: f(self.width),
            height: f(self.height),
            unit,
        }
    }
    /// Volume in `unit`³.
    pub fn volume(&self, unit: LengthUnit) -> Decimal {
        let d = self.to(unit);
        d.length * d.width * d.height
    }
    /// Dimensional weight by `divisor`, unrounded: the caller applies the carrier's billable
    /// rounding explicitly with [`Weight::ceil_to`].
    pub fn dim_weight(&self, divisor: DimDivisor) -> Weight {
        let value = self.volume(divisor.length) / divisor.value;
        Weight::new(value, divisor.weight).expect("positive volume over positive divisor")
    }
    /// Length plus girth (2 × width + 2 × height) with sides sorted longest first, in `unit`.
    pub fn length_plus_girth(&self, unit: LengthUnit) -> Decimal {
        let d = self.to(unit);
        let mut s = [d.length, d.width, d.height];
        s.sort_by(|a, b| b.cmp(a));
        s[0] + Decimal::TWO * (s[1] + s[2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn dim_weight_by_divisor() {
        let d = Dimensions::new(dec!(30), dec!(20), dec!(10), LengthUnit::Cm).unwrap();
        assert_eq!(d.dim_weight(DimDivisor::CM3_5000_KG).value(), dec!(1.2));
        let d = Dimensions::new(dec!(12), dec!(12), dec!(12), LengthUnit::In).unwrap();
        // 1728 / 139 = 12.43..., ceiled by the caller to 13 lb
        let w = d.dim_weight(DimDivisor::IN3_139_LB);
        assert_eq!(w.ceil_to(dec!(1), WeightUnit::Lb).value(), dec!(13));
    }

    #[test]
    fn zero_side_is_rejected_naming_the_side() {
        let e = Dimensions::new(dec!(1), dec!(0), dec!(1), LengthUnit::Cm).unwrap_err();
        assert_eq!(e.field, "/width");
    }

    #[test]
    fn inch_is_exactly_2_54_cm() {
        let d = Dimensions::new(dec!(10), dec!(1), dec!(1), LengthUnit::In).unwrap();
        assert_eq!(d.to(LengthUnit::Cm).length(), dec!(25.4));
        assert_eq!(d.length_plus_girth(LengthUnit::In), dec!(14));
    }

    proptest! {
        #[test]
        fn length_round_trip(milli in 1i64..10_000_000) {
            let d = Dimensions::new(Decimal::new(milli, 3), dec!(1), dec!(1), LengthUnit::Cm).unwrap();
            let back = d.to(LengthUnit::In).to(LengthUnit::Cm);
            prop_assert!((back.length() - d.length()).abs() < dec!(0.000000000000001));
        }
    }
}
