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

/// Lithium batteries in the parcel (IATA packing instructions, section II), which carriers
/// must be told of and may surcharge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LithiumBatteries {
    /// Ion or metal cells installed in the equipment they power (UN3481/UN3091, PI 967/970).
    ContainedInEquipment,
    /// Cells packed beside the equipment in the same box (UN3481/UN3091, PI 966/969).
    PackedWithEquipment,
    /// Cells alone, without equipment (UN3480/UN3090, PI 965/968); most carriers refuse
    /// these by air.
    Alone,
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
    /// Lithium batteries (any of [`LithiumBatteries`] the carrier does not refuse itself).
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
}
