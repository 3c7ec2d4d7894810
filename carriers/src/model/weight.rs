use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// A weight or a side as a decimal string: greater than zero, below 10000 in its unit, at most 4
/// decimals. The schema attributes of [`Weight`] and [`super::Dimensions`] spell it out (they
/// take literals only); the hub's schema test checks they agree with this constant.
pub const POSITIVE_MEASURE_PATTERN: &str = "^([1-9][0-9]{0,3}(\\.[0-9]{1,4})?|0?\\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$";

/// A unit of mass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WeightUnit {
    /// Kilogram.
    Kg,
    /// Gram.
    G,
    /// Avoirdupois pound, exactly 0.45359237 kg.
    Lb,
    /// Avoirdupois ounce, exactly 1/16 lb.
    Oz,
}

impl WeightUnit {
    /// Grams in one unit; every factor is exact (international yard and pound agreement, 1959).
    fn grams(self) -> Decimal {
        match self {
            WeightUnit::Kg => Decimal::from(1000),
            WeightUnit::G => Decimal::ONE,
            WeightUnit::Lb => Decimal::new(45_359_237, 5),
            WeightUnit::Oz => Decimal::new(28_349_523_125, 9),
        }
    }
}

/// A non-negative mass with its unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawWeight")]
pub struct Weight {
    /// Decimal string, greater than zero and below 10000 in `unit`, at most 4 decimals.
    #[schema(value_type = String, example = "2.5", pattern = "^([1-9][0-9]{0,3}(\\.[0-9]{1,4})?|0?\\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$")]
    value: Decimal,
    unit: WeightUnit,
}

#[derive(Deserialize)]
struct RawWeight {
    value: Decimal,
    unit: WeightUnit,
}

impl TryFrom<RawWeight> for Weight {
    type Error = InvalidValue;
    fn try_from(r: RawWeight) -> Result<Self, Self::Error> {
        Weight::new(r.value, r.unit)
    }
}

impl Weight {
    /// A weight; negative values are rejected.
    pub fn new(value: Decimal, unit: WeightUnit) -> Result<Self, InvalidValue> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(InvalidValue::new("/value", "weight must not be negative"));
        }
        Ok(Self {
            value: value.normalize(),
            unit,
        })
    }
    /// The number, in [`Weight::unit`].
    pub fn value(&self) -> Decimal {
        self.value
    }
    /// The unit.
    pub fn unit(&self) -> WeightUnit {
        self.unit
    }
    /// True when the weight is zero.
    pub fn is_zero(&self) -> bool {
        self.value.is_zero()
    }
    /// The same mass in `unit`. Exact where the quotient terminates within 28 significant
    /// digits (every conversion to g or kg); otherwise correct to 28 significant digits.
    pub fn to(self, unit: WeightUnit) -> Weight {
        if unit == self.unit {
            return self;
        }
        let value = (self.value * self.unit.grams()) / unit.grams();
        Weight {
            value: value.normalize(),
            unit,
        }
    }
    /// Rounded up to the next multiple of `step` in `unit`: the explicit billable rounding
    /// carriers apply (UPS: next whole lb; DHL: next 0.5 kg).
    pub fn ceil_to(self, step: Decimal, unit: WeightUnit) -> Weight {
        let v = self.to(unit).value;
        if step <= Decimal::ZERO {
            return Weight { value: v, unit };
        }
        let steps = (v / step).round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity);
        Weight {
            value: (steps * step).normalize(),
            unit,
        }
    }
    /// Sum of weights, expressed in `unit`.
    pub fn sum(unit: WeightUnit, items: impl IntoIterator<Item = Weight>) -> Weight {
        let value = items.into_iter().map(|w| w.to(unit).value).sum::<Decimal>();
        Weight {
            value: value.normalize(),
            unit,
        }
    }
    /// The heavier of two weights (compared in grams), in the unit of the heavier one.
    pub fn max(self, other: Weight) -> Weight {
        if other.grams() > self.grams() {
            other
        } else {
            self
        }
    }
    fn grams(&self) -> Decimal {
        self.value * self.unit.grams()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn one_pound_is_exactly_0_45359237_kg() {
        let lb = Weight::new(dec!(1), WeightUnit::Lb).unwrap();
        assert_eq!(lb.to(WeightUnit::Kg).value(), dec!(0.45359237));
        assert_eq!(
            Weight::new(dec!(16), WeightUnit::Oz)
                .unwrap()
                .to(WeightUnit::Lb)
                .value(),
            dec!(1)
        );
    }

    #[test]
    fn billable_rounding_is_explicit() {
        let w = Weight::new(dec!(2.5), WeightUnit::Kg).unwrap();
        // 2.5 kg = 5.51155655... lb → 6 lb
        assert_eq!(w.ceil_to(dec!(1), WeightUnit::Lb).value(), dec!(6));
        assert_eq!(w.ceil_to(dec!(0.5), WeightUnit::Kg).value(), dec!(2.5));
        let w = Weight::new(dec!(2.51), WeightUnit::Kg).unwrap();
        assert_eq!(w.ceil_to(dec!(0.5), WeightUnit::Kg).value(), dec!(3));
    }

    #[test]
    fn negative_weight_is_rejected_with_field() {
        let e = Weight::new(dec!(-1), WeightUnit::Kg).unwrap_err();
        assert_eq!(e.field, "/value");
        assert!(serde_json::from_str::<Weight>(r#"{"value":"-2","unit":"kg"}"#).is_err());
        assert!(serde_json::from_str::<Weight>(r#"{"value":"2","unit":"stone"}"#).is_err());
    }

    fn unit() -> impl Strategy<Value = WeightUnit> {
        prop_oneof![
            Just(WeightUnit::Kg),
            Just(WeightUnit::G),
            Just(WeightUnit::Lb),
            Just(WeightUnit::Oz)
        ]
    }

    proptest! {
        /// Round trips agree to 1e-15 of the unit: 28-digit decimal division loses at most
        /// the last digits of non-terminating quotients (g → lb).
        #[test]
        fn unit_round_trip(milli in 0i64..100_000_000, from in unit(), via in unit()) {
            let w = Weight::new(Decimal::new(milli, 3), from).unwrap();
            let back = w.to(via).to(from);
            prop_assert_eq!(back.unit(), from);
            prop_assert!((back.value() - w.value()).abs() < dec!(0.000000000000001),
                "{:?} -> {:?} -> {:?}", w, via, back);
        }

        #[test]
        fn conversion_to_grams_is_exact(milli in 0i64..100_000_000, from in unit()) {
            let w = Weight::new(Decimal::new(milli, 3), from).unwrap();
            prop_assert_eq!(w.to(WeightUnit::G).value(), (w.value() * from.grams()).normalize());
        }

        #[test]
        fn ceil_never_goes_below(milli in 1i64..100_000_000, from in unit()) {
            let w = Weight::new(Decimal::new(milli, 3), from).unwrap();
            let c = w.ceil_to(dec!(0.5), WeightUnit::Kg);
            prop_assert!(c.to(WeightUnit::G).value() >= w.to(WeightUnit::G).value());
            prop_assert!(c.to(WeightUnit::G).value() - w.to(WeightUnit::G).value() < dec!(500));
        }
    }
}
