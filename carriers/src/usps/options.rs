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
//! Lithium cells' material (ion or metal) changes no USPS code: the spec's hazmat codes
//! (816/818/820) name the marking and the route, not the chemistry.
//!
//! Rate-shopping every domestic class at once ([`Lane::AnyDomestic`]) with a direct
//! signature asks for both 921 and 981: the class is not known yet, and Priority Mail Express
//! takes 981 where the other classes take 921. Each class is then held to its own code
//! ([`class_codes`]); sending 921 alone made USPS price no signature on Priority Mail Express,
//! which then dropped out of every rate-shop with a signature.
//!
//! Internationally USPS takes only 820, 930/931 (`InternationalExtraService`): signature,
//! delivery confirmation, dry ice and lithium cells not in equipment are refused on their field.
//! `signature: indirect` and `saturday_delivery` have no USPS code (USPS delivers Saturdays
//! as a matter of course, with no option to ask for it) and are not declared.

use rust_decimal::Decimal;

use crate::error::CarrierError;
use crate::model::{
    Currency, LithiumPacking, ShipmentOption, ShipmentOptions, SignatureConfirmation,
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
    let express = class.is_some_and(is_express);
    let mut out = Vec::new();
    if let Some(s) = o.signature {
        if international {
            return Err(refuse(
                ShipmentOption::SignatureDirect,
                "on international mail",
            ));
        }
        match s {
            SignatureConfirmation::Adult => out.push(922),
            // Every class at once: each class's code, told apart by `class_codes`.
            SignatureConfirmation::Direct if lane == Lane::AnyDomestic => {
                out.extend([921, 981]);
            }
            SignatureConfirmation::Direct if express => out.push(981),
            SignatureConfirmation::Direct => out.push(921),
            SignatureConfirmation::Indirect => {
                return Err(refuse(
                    ShipmentOption::SignatureIndirect,
                    "(no such extra service)",
                ));
            }
        }
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
        out.push(match (l.packing, international) {
            (LithiumPacking::ContainedInEquipment, _) => 820,
            (_, true) => {
                return Err(refuse(
                    ShipmentOption::LithiumBatteries,
                    "internationally except cells contained in equipment (820)",
                ));
            }
            (LithiumPacking::PackedWithEquipment, false) => 818,
            (LithiumPacking::Alone, false) => match class {
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

/// Priority Mail Express and its return service: the classes that take 981, "Signature
/// Requested (PRIORITY_MAIL_EXPRESS only)".
fn is_express(class: &str) -> bool {
    class.starts_with("PRIORITY_MAIL_EXPRESS")
}

/// The codes one domestic class of a rate-shop must have priced to be quoted with `o`:
/// the codes its label would carry. `None` when the class cannot carry the options at all
/// (cells alone by air).
pub(super) fn class_codes(o: &ShipmentOptions, class: &str) -> Option<Vec<u16>> {
    codes(o, Lane::Domestic(class)).ok().map(|(c, _)| c)
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
            "lithium_batteries": {"material": "ion", "packing": "packed_with_equipment"}}),
        );
        let (codes, value) = codes(&o, Lane::Domestic("PRIORITY_MAIL")).unwrap();
        assert_eq!(codes, [922, 930, 819, 818]);
        assert_eq!(value, Some("750.00".parse().unwrap()));
        assert!(needs_signature_field(&codes, value));

        let direct = opts(json!({"signature": "direct"}));
        assert_eq!(
            super::codes(&direct, Lane::AnyDomestic).unwrap().0,
            [921, 981]
        );
        assert_eq!(
            class_codes(&direct, "PRIORITY_MAIL_EXPRESS").unwrap(),
            [981]
        );
        assert_eq!(class_codes(&direct, "PRIORITY_MAIL").unwrap(), [921]);
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
                json!({"lithium_batteries": {"material": "metal", "packing": "alone"}}),
                Lane::Domestic("PRIORITY_MAIL"),
                "/options/lithium_batteries",
            ),
            (
                json!({"lithium_batteries": {"material": "ion", "packing": "packed_with_equipment"}}),
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
        let alone = opts(json!({"lithium_batteries": {"material": "metal", "packing": "alone"}}));
        assert_eq!(
            codes(&alone, Lane::Domestic("USPS_GROUND_ADVANTAGE"))
                .unwrap()
                .0,
            [816]
        );
        assert_eq!(class_codes(&alone, "USPS_GROUND_ADVANTAGE").unwrap(), [816]);
        assert_eq!(class_codes(&alone, "PRIORITY_MAIL"), None);
        let insured = opts(
            json!({"declared_value": {"amount": "100", "currency": "USD"},
            "lithium_batteries": {"material": "metal", "packing": "contained_in_equipment"}}),
        );
        assert_eq!(codes(&insured, Lane::International).unwrap().0, [930, 820]);
    }
}
