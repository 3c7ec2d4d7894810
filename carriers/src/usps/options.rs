//! Shipment options as USPS extra service codes (`extraServices`), the same codes on the
//! Shipping Options search (`shipping-options.yaml` `DomesticPackageDescription.extraServices`
//! / `InternationalPackageDescription.extraServices`, priced back per class in
//! `rateOptions[].extraServices[]`) and on the label (`domestic-labels.yaml`
//! `BaseDomesticPackageDescription.extraServices`, `BaseReturnsPackageDescription`). Pure.
//!
//! | option | code (domestic) | source |
//! |---|---|---|
//! | `signature: direct` | 921 Signature Confirmation; 981 Signature Requested on Priority Mail Express ("PRIORITY_MAIL_EXPRESS only") | `ExtraService` list |
//! | `signature: adult` | 922 Adult Signature Required 21 or Over | `ExtraService` list |
//! | `declared_value` | 930 Insurance with `packageValue` (USD); USPS turns it into 931 above $500 | `ExtraService` note, `PackageOptions.packageValue` |
//! | `delivery_confirmation` | 920 USPS Tracking (sent only without a signature code, which already confirms delivery) | `ExtraService` list |
//! | `dry_ice` | 819 HAZMAT Class 9 - Dry Ice Package | `ExtraService` list |
//! | `lithium_batteries` | contained in equipment: 820 (unmarked package); packed with equipment: 818 (marked package); alone: 816 (marked, ground only: USPS Ground Advantage / Parcel Select) | `ExtraService` list; Pub 52 (only cells in equipment travel unmarked) |
//!
//! Internationally USPS takes only 820, 930/931 (`InternationalExtraService`): signature,
//! delivery confirmation, dry ice and lithium cells not in equipment are refused on their field.
//! `signature: indirect` and `saturday_delivery` have no USPS code (USPS delivers Saturdays
//! as a matter of course, with no option to ask for it) and are not declared.

use rust_decimal::Decimal;

use crate::error::CarrierError;
use crate::model::{
    Currency, LithiumBatteries, ShipmentOption, ShipmentOptions, SignatureConfirmation,
};

/// What `Capabilities.options` declares.
pub(super) const OFFERED: &[ShipmentOption] = &[
    ShipmentOption::SignatureAdult,
    ShipmentOption::SignatureDirect,
    ShipmentOption::DeclaredValue,
    ShipmentOption::DeliveryConfirmation,
    ShipmentOption::DryIce,
    ShipmentOption::LithiumBatteries,
];

/// Mail classes that travel by ground only (lithium cells alone may go there only).
const GROUND: &[&str] = &[
    "USPS_GROUND_ADVANTAGE",
    "PARCEL_SELECT",
    "USPS_GROUND_ADVANTAGE_RETURN_SERVICE",
];

/// The lane a set of codes is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lane<'a> {
    /// Rate-shopping every domestic class at once: the class is not known yet.
    AnyDomestic,
    /// One domestic (or domestic return) mail class.
    Domestic(&'a str),
    International,
}

/// The extra service codes and the package value (USD) for `o` on `lane`; an option USPS
/// does not carry there is refused on its field.
pub(super) fn codes(
    o: &ShipmentOptions,
    lane: Lane<'_>,
) -> Result<(Vec<u16>, Option<Decimal>), CarrierError> {
    let refuse = |opt: ShipmentOption, why: &str| {
        CarrierError::rejected(
            super::CODE,
            opt.pointer(),
            None,
            format!("USPS does not offer `{}` {why}", opt.as_str()),
        )
    };
    if let Some(asked) = o.unoffered("USPS", OFFERED).err() {
        return Err(CarrierError::rejected(
            super::CODE,
            &asked.field,
            None,
            asked.message,
        ));
    }
    let international = lane == Lane::International;
    let class = match lane {
        Lane::Domestic(c) => Some(c),
        _ => None,
    };
    let express = class.is_some_and(|c| c.starts_with("PRIORITY_MAIL_EXPRESS"));
    let mut out = Vec::new();
    if let Some(s) = o.signature {
        if international {
            return Err(refuse(
                ShipmentOption::SignatureDirect,
                "on international mail",
            ));
        }
        out.push(match s {
            SignatureConfirmation::Adult => 922,
            SignatureConfirmation::Direct if express => 981,
            SignatureConfirmation::Direct => 921,
            SignatureConfirmation::Indirect => {
                return Err(refuse(
                    ShipmentOption::SignatureIndirect,
                    "(no such extra service)",
                ));
            }
        });
    }
    let mut value = None;
    if let Some(v) = o.declared_value {
        if v.currency() != Currency::USD {
            return Err(CarrierError::rejected(
                super::CODE,
                "/options/declared_value/currency",
                None,
                "USPS insures in USD (`packageValue` is in US dollars)",
            ));
        }
        out.push(930);
        value = Some(v.amount());
    }
    if o.delivery_confirmation {
        if international {
            return Err(refuse(
                ShipmentOption::DeliveryConfirmation,
                "on international mail",
            ));
        }
        if o.signature.is_none() {
            out.push(920);
        }
    }
    if o.dry_ice.is_some() {
        if international {
            return Err(refuse(ShipmentOption::DryIce, "on international mail"));
        }
        out.push(819);
    }
    if let Some(l) = o.lithium_batteries {
        out.push(match (l, international) {
            (LithiumBatteries::ContainedInEquipment, _) => 820,
            (_, true) => {
                return Err(refuse(
                    ShipmentOption::LithiumBatteries,
                    "internationally except cells contained in equipment (820)",
                ));
            }
            (LithiumBatteries::PackedWithEquipment, false) => 818,
            (LithiumBatteries::Alone, false) => match class {
                Some(c) if !GROUND.contains(&c) => {
                    return Err(refuse(
                        ShipmentOption::LithiumBatteries,
                        "for cells alone by air: only USPS Ground Advantage or Parcel Select (816, ground only)",
                    ));
                }
                _ => 816,
            },
        });
    }
    Ok((out, value))
}

/// Whether USPS may quote `class` with these codes (a rate-shop asks every class at once):
/// cells alone go by ground only.
pub(super) fn class_carries(class: &str, codes: &[u16]) -> bool {
    !codes.contains(&816) || GROUND.contains(&class)
}

/// Codes that need `physicalSignatureRequired` ("required to include signature extra service
/// code values such as 910 … 981 or an extraServiceCode value of 930 with a packageValue
/// greater than 500").
pub(super) fn needs_signature_field(codes: &[u16], value: Option<Decimal>) -> bool {
    codes.iter().any(|c| matches!(c, 921 | 922 | 981))
        || (codes.contains(&930) && value.is_some_and(|v| v > Decimal::from(500)))
}

/// The codes USPS prices a class's option back under: 930 may come back as 931 above $500.
pub(super) fn priced(asked: u16, answered: &str) -> bool {
    answered == asked.to_string() || (asked == 930 && answered == "931")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fields;
    use serde_json::json;

    fn opts(v: serde_json::Value) -> ShipmentOptions {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn options_map_to_the_spec_extra_service_codes() {
        let o = opts(
            json!({"signature": "adult", "declared_value": {"amount": "750.00", "currency": "USD"},
            "delivery_confirmation": true, "dry_ice": {"value": "2", "unit": "lb"},
            "lithium_batteries": "packed_with_equipment"}),
        );
        let (codes, value) = codes(&o, Lane::Domestic("PRIORITY_MAIL")).unwrap();
        assert_eq!(codes, [922, 930, 819, 818]);
        assert_eq!(value, Some("750.00".parse().unwrap()));
        assert!(needs_signature_field(&codes, value));

        let direct = opts(json!({"signature": "direct"}));
        assert_eq!(
            super::codes(&direct, Lane::Domestic("PRIORITY_MAIL_EXPRESS"))
                .unwrap()
                .0,
            [981]
        );
        assert_eq!(
            super::codes(&direct, Lane::Domestic("USPS_GROUND_ADVANTAGE"))
                .unwrap()
                .0,
            [921]
        );
        let tracking = opts(json!({"delivery_confirmation": true}));
        assert_eq!(super::codes(&tracking, Lane::AnyDomestic).unwrap().0, [920]);
        assert!(!needs_signature_field(&[920], None));
        assert!(priced(930, "931") && priced(921, "921") && !priced(921, "922"));
    }

    #[test]
    fn options_usps_does_not_carry_on_the_lane_are_refused_on_their_field() {
        let cases = [
            (
                json!({"signature": "direct"}),
                Lane::International,
                "/options/signature",
            ),
            (
                json!({"dry_ice": {"value": "1", "unit": "kg"}}),
                Lane::International,
                "/options/dry_ice",
            ),
            (
                json!({"delivery_confirmation": true}),
                Lane::International,
                "/options/delivery_confirmation",
            ),
            (
                json!({"lithium_batteries": "alone"}),
                Lane::Domestic("PRIORITY_MAIL"),
                "/options/lithium_batteries",
            ),
            (
                json!({"lithium_batteries": "packed_with_equipment"}),
                Lane::International,
                "/options/lithium_batteries",
            ),
            (
                json!({"saturday_delivery": true}),
                Lane::AnyDomestic,
                "/options/saturday_delivery",
            ),
            (
                json!({"signature": "indirect"}),
                Lane::AnyDomestic,
                "/options/signature",
            ),
            (
                json!({"declared_value": {"amount": "10", "currency": "EUR"}}),
                Lane::AnyDomestic,
                "/options/declared_value/currency",
            ),
        ];
        for (o, lane, field) in cases {
            let e = codes(&opts(o.clone()), lane).unwrap_err();
            assert_eq!(fields(&e), [field], "{o}");
        }
        let alone = opts(json!({"lithium_batteries": "alone"}));
        assert_eq!(
            codes(&alone, Lane::Domestic("USPS_GROUND_ADVANTAGE"))
                .unwrap()
                .0,
            [816]
        );
        assert!(
            class_carries("USPS_GROUND_ADVANTAGE", &[816])
                && !class_carries("PRIORITY_MAIL", &[816])
        );
        let insured = opts(
            json!({"declared_value": {"amount": "100", "currency": "USD"},
            "lithium_batteries": "contained_in_equipment"}),
        );
        assert_eq!(codes(&insured, Lane::International).unwrap().0, [930, 820]);
    }
}
