//! Shipment options beyond carrying the parcel: signature, Saturday delivery, declared value
//! (carrier insurance), delivery confirmation, dangerous goods. Each carrier maps the ones it
//! sells to its wire (and prices them in rates) and declares them in
//! [`crate::Capabilities::options`]; the hub refuses an undeclared one on its field before any
//! carrier is asked.

use serde::{Deserialize, Serialize};

use super::{Money, Weight};

/// Who must sign for the parcel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureConfirmation {
    /// An adult (21 or older in the US) must sign, with proof of age.
    Adult,
    /// Someone at the delivery address must sign.
    Direct,
    /// Anyone at the address, a neighbour or the building manager may sign.
    Indirect,
}

/// What the lithium cells are made of: the carriers' codes and the UN numbers differ
/// (ion: UN3481 in or with equipment, UN3480 alone; metal: UN3091 / UN3090).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LithiumMaterial {
    /// Lithium ion (rechargeable, lithium polymer included).
    Ion,
    /// Lithium metal (primary cells, lithium alloy included).
    Metal,
}

impl LithiumMaterial {
    /// The name in the API (`ion`, `metal`).
    pub fn as_str(self) -> &'static str {
        match self {
            LithiumMaterial::Ion => "ion",
            LithiumMaterial::Metal => "metal",
        }
    }
}

/// How the lithium cells travel with respect to the equipment they power (IATA packing
/// instructions, section II).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LithiumPacking {
    /// Installed in the equipment they power (PI 967 ion, PI 970 metal).
    ContainedInEquipment,
    /// Packed beside the equipment in the same box (PI 966 ion, PI 969 metal).
    PackedWithEquipment,
    /// Cells alone, without equipment (PI 965 ion, PI 968 metal); most carriers refuse
    /// these by air.
    Alone,
}

impl LithiumPacking {
    /// The name in the API (`contained_in_equipment`).
    pub fn as_str(self) -> &'static str {
        match self {
            LithiumPacking::ContainedInEquipment => "contained_in_equipment",
            LithiumPacking::PackedWithEquipment => "packed_with_equipment",
            LithiumPacking::Alone => "alone",
        }
    }
}

/// Lithium batteries in the parcel (IATA section II), which carriers must be told of, by
/// material and packing, and may surcharge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"material": "ion", "packing": "contained_in_equipment"}))]
pub struct LithiumBatteries {
    /// Ion or metal cells.
    pub material: LithiumMaterial,
    /// In, with or without the equipment.
    pub packing: LithiumPacking,
    /// Read from a request stored before the material was asked (a bare packing string):
    /// such a request is shown, never bought again; [`ShipmentOptions::validate`] refuses it
    /// in a new one rather than guess the material.
    #[serde(skip)]
    #[schema(ignore)]
    legacy: bool,
}

impl LithiumBatteries {
    /// Cells of `material` travelling as `packing`.
    pub fn new(material: LithiumMaterial, packing: LithiumPacking) -> Self {
        LithiumBatteries {
            material,
            packing,
            legacy: false,
        }
    }
}

impl<'de> Deserialize<'de> for LithiumBatteries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Declared {
            material: LithiumMaterial,
            packing: LithiumPacking,
        }
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = LithiumBatteries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object with `material` and `packing`")
            }
            // Stored rows of the older shape: the packing alone, the material unknown (read
            // as ion, what DHL was told then; `legacy` keeps it from being bought again).
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let packing =
                    LithiumPacking::deserialize(serde::de::value::StrDeserializer::<E>::new(v))?;
                Ok(LithiumBatteries {
                    material: LithiumMaterial::Ion,
                    packing,
                    legacy: true,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let d = Declared::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(LithiumBatteries::new(d.material, d.packing))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The options a shipment asks for; all off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentOptions {
    /// Signature required at delivery, and whose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureConfirmation>,
    /// Deliver on Saturday (services and areas that offer it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub saturday_delivery: bool,
    /// Declared value for the carrier's liability (its insurance) above what the service
    /// includes, for the whole shipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_value: Option<Money>,
    /// Proof of delivery without a signature (USPS and UPS delivery confirmation).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delivery_confirmation: bool,
    /// Dry ice in each parcel, by weight (UN1845).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_ice: Option<Weight>,
    /// Lithium batteries in the parcels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lithium_batteries: Option<LithiumBatteries>,
    /// A note for the courier (SF Express's 备注, `remark` of its order), printed on the
    /// e-waybill; at most [`REMARK_MAX`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100, example = "易碎品，轻拿轻放")]
    pub remark: Option<String>,
}

/// Longest remark taken: the hub's own bound, so that the remark fits the e-waybill's
/// remark line legibly (SF's own limit for `remark` is not confirmed: SOURCES.md).
pub const REMARK_MAX: usize = 100;

/// One option, as a carrier declares it can carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentOption {
    /// Adult signature.
    SignatureAdult,
    /// Direct signature.
    SignatureDirect,
    /// Indirect signature.
    SignatureIndirect,
    /// Saturday delivery.
    SaturdayDelivery,
    /// Declared value / insurance.
    DeclaredValue,
    /// Delivery confirmation.
    DeliveryConfirmation,
    /// Dry ice.
    DryIce,
    /// Lithium batteries (any material and packing the carrier does not refuse itself).
    LithiumBatteries,
    /// A remark for the courier on the waybill (SF Express 备注).
    Remark,
}

impl ShipmentOption {
    /// The option's field in a request (`/options/signature`), for field errors.
    pub fn pointer(self) -> &'static str {
        match self {
            ShipmentOption::SignatureAdult
            | ShipmentOption::SignatureDirect
            | ShipmentOption::SignatureIndirect => "/options/signature",
            ShipmentOption::SaturdayDelivery => "/options/saturday_delivery",
            ShipmentOption::DeclaredValue => "/options/declared_value",
            ShipmentOption::DeliveryConfirmation => "/options/delivery_confirmation",
            ShipmentOption::DryIce => "/options/dry_ice",
            ShipmentOption::LithiumBatteries => "/options/lithium_batteries",
            ShipmentOption::Remark => "/options/remark",
        }
    }

    /// The option's name in the API (`signature_adult`).
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentOption::SignatureAdult => "signature_adult",
            ShipmentOption::SignatureDirect => "signature_direct",
            ShipmentOption::SignatureIndirect => "signature_indirect",
            ShipmentOption::SaturdayDelivery => "saturday_delivery",
            ShipmentOption::DeclaredValue => "declared_value",
            ShipmentOption::DeliveryConfirmation => "delivery_confirmation",
            ShipmentOption::DryIce => "dry_ice",
            ShipmentOption::LithiumBatteries => "lithium_batteries",
            ShipmentOption::Remark => "remark",
        }
    }
}

impl ShipmentOptions {
    /// True when no option is asked for.
    pub fn is_empty(&self) -> bool {
        self == &ShipmentOptions::default()
    }

    /// Every option asked for, in field order.
    pub fn asked(&self) -> Vec<ShipmentOption> {
        let mut out = Vec::new();
        if let Some(s) = self.signature {
            out.push(match s {
                SignatureConfirmation::Adult => ShipmentOption::SignatureAdult,
                SignatureConfirmation::Direct => ShipmentOption::SignatureDirect,
                SignatureConfirmation::Indirect => ShipmentOption::SignatureIndirect,
            });
        }
        if self.saturday_delivery {
            out.push(ShipmentOption::SaturdayDelivery);
        }
        if self.declared_value.is_some() {
            out.push(ShipmentOption::DeclaredValue);
        }
        if self.delivery_confirmation {
            out.push(ShipmentOption::DeliveryConfirmation);
        }
        if self.dry_ice.is_some() {
            out.push(ShipmentOption::DryIce);
        }
        if self.lithium_batteries.is_some() {
            out.push(ShipmentOption::LithiumBatteries);
        }
        if self.remark.is_some() {
            out.push(ShipmentOption::Remark);
        }
        out
    }

    /// Checks what serde cannot: lithium batteries must say their material (a bare packing
    /// string is read only from requests stored before it was asked).
    pub fn validate(&self) -> Result<(), super::InvalidValue> {
        if self.lithium_batteries.is_some_and(|l| l.legacy) {
            return Err(super::InvalidValue::new(
                "/options/lithium_batteries",
                "say the cells' material and packing: \
                 {\"material\": \"ion\" or \"metal\", \"packing\": \"contained_in_equipment\", \
                 \"packed_with_equipment\" or \"alone\"}",
            ));
        }
        Ok(())
    }

    /// The first option asked for that `offered` lacks, as a complaint on its field naming
    /// the carrier.
    pub fn unoffered(
        &self,
        carrier: &str,
        offered: &[ShipmentOption],
    ) -> Result<(), super::InvalidValue> {
        match self.asked().into_iter().find(|o| !offered.contains(o)) {
            None => Ok(()),
            Some(o) => Err(super::InvalidValue::new(
                o.pointer(),
                format!("{carrier} does not offer `{}`", o.as_str()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_list_what_is_asked_and_name_the_first_unoffered_field() {
        let o: ShipmentOptions = serde_json::from_value(serde_json::json!({
            "signature": "adult", "saturday_delivery": true
        }))
        .unwrap();
        assert_eq!(
            o.asked(),
            [
                ShipmentOption::SignatureAdult,
                ShipmentOption::SaturdayDelivery
            ]
        );
        assert!(o.unoffered("ups", &o.asked()).is_ok());
        let e = o
            .unoffered("usps", &[ShipmentOption::SignatureAdult])
            .unwrap_err();
        assert_eq!(e.field, "/options/saturday_delivery");
        assert!(e.message.contains("usps"), "{}", e.message);
        assert!(ShipmentOptions::default().is_empty());
        assert!(
            serde_json::from_value::<ShipmentOptions>(serde_json::json!({"sig": "adult"})).is_err()
        );
    }

    #[test]
    fn lithium_batteries_say_material_and_packing_and_old_rows_still_read() {
        let o: ShipmentOptions = serde_json::from_value(serde_json::json!({
            "lithium_batteries": {"material": "metal", "packing": "packed_with_equipment"}
        }))
        .unwrap();
        let l = o.lithium_batteries.unwrap();
        assert_eq!(
            (l.material, l.packing),
            (LithiumMaterial::Metal, LithiumPacking::PackedWithEquipment)
        );
        assert!(o.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            serde_json::json!({"lithium_batteries": {"material": "metal", "packing": "packed_with_equipment"}})
        );
        for bad in [
            serde_json::json!({"material": "ion"}),
            serde_json::json!({"material": "lead", "packing": "alone"}),
            serde_json::json!({"material": "ion", "packing": "alone", "wh": 5}),
            serde_json::json!("loose"),
        ] {
            assert!(
                serde_json::from_value::<LithiumBatteries>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        // A request stored before the material was asked reads (to be shown), but is not
        // taken as a new one.
        let old: ShipmentOptions = serde_json::from_value(serde_json::json!({
            "lithium_batteries": "contained_in_equipment"
        }))
        .unwrap();
        assert_eq!(
            old.lithium_batteries.unwrap().packing,
            LithiumPacking::ContainedInEquipment
        );
        assert_eq!(
            old.validate().unwrap_err().field,
            "/options/lithium_batteries"
        );
    }
}
