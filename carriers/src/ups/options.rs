//! Shipment options on UPS's wire, the same in Rating and Shipping (both specs name the same
//! containers): `ShipmentServiceOptions.SaturdayDeliveryIndicator` and
//! `.DeliveryConfirmation.DCISType` at shipment level; `PackageServiceOptions.DeclaredValue`,
//! `.DryIce` and `.DeliveryConfirmation.DCISType` per package. Pure; no I/O.
//!
//! Not offered, on purpose:
//! - plain delivery confirmation (no signature): `PackageServiceOptions_DeliveryConfirmation`
//!   lists `DCISType` 1 as "Unsupported" in both Rating.yaml and Shipping.yaml, and the
//!   shipment-level container has no such type;
//! - indirect signature: UPS has no such delivery confirmation type;
//! - lithium batteries: neither Rating.yaml nor Shipping.yaml has a lithium-battery indicator
//!   or section II declaration; the only way in is a dangerous-goods chemical record
//!   (Shipping's `PackageServiceOptions.HazMat`, Rating's `HazMat.HazMatChemicalRecord[]`)
//!   with `IDNumber`, `ProperShippingName`, `RegulationSet`, `TransportationMode` and a
//!   `CommodityRegulatedLevelCode`. Which level section II cells are declared under (`LR`
//!   "Lightly Regulated" is not defined further), which regulation set and mode per service,
//!   and the 24-hour `EmergencyPhone` are not in the specs, and UPS takes such records only
//!   on a dangerous-goods agreement: refused on the field rather than misdeclared, even now
//!   that our option says ion or metal.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::CarrierError;
use crate::model::{
    Address, Money, Parcel, RateRequest, ShipmentOption, ShipmentOptions, SignatureConfirmation,
    WeightUnit,
};

use super::rate::{Units, money_out, rejected, weight_string};
use super::wire;

/// What UPS carries (declared in `Capabilities.options`).
pub(super) const OFFERED: &[ShipmentOption] = &[
    ShipmentOption::SignatureAdult,
    ShipmentOption::SignatureDirect,
    ShipmentOption::SaturdayDelivery,
    ShipmentOption::DeclaredValue,
    ShipmentOption::DryIce,
];

/// Both ends in the US (50 states) or Puerto Rico: UPS's "US50/PR to US50/PR" lane.
pub(super) fn us_domestic(from: &Address, to: &Address) -> bool {
    let us = |a: &Address| matches!(a.country.as_str(), "US" | "PR");
    us(from) && us(to)
}

/// The options' wire parts: the shipment-level ones (without `InternationalForms`, which
/// `ship` adds) and one `PackageServiceOptions` per parcel (`None` when empty).
pub(super) struct Wired {
    pub(super) shipment: wire::ShipmentServiceOptions,
    pub(super) packages: Vec<Option<wire::PackageServiceOptions>>,
}

/// The EU's member states, for dry ice's ADR regulation set ("EU-domestic").
const EU: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

/// UPS Standard, the ground service ADR applies to.
const STANDARD: &str = "11";

/// Maps `req.options` for `service` (`None` when rating every service); `is_return` refuses
/// what UPS allows on forward shipments only.
pub(super) fn wire(
    req: &RateRequest,
    units: Units,
    service: Option<&str>,
    is_return: bool,
) -> Result<Wired, CarrierError> {
    let o: &ShipmentOptions = &req.options;
    o.unoffered("UPS", OFFERED)
        .map_err(|e| rejected(&e.field, &e.message))?;
    let n = req.parcels.len();
    let mut shipment = wire::ShipmentServiceOptions::default();
    let mut packages: Vec<wire::PackageServiceOptions> = (0..n)
        .map(|_| wire::PackageServiceOptions::default())
        .collect();
    let domestic = us_domestic(&req.from, &req.to);

    if let Some(sig) = o.signature {
        if is_return {
            return Err(rejected(
                "/options/signature",
                "UPS delivery confirmation is valid for forward shipments only",
            ));
        }
        // Package level inside US50/PR (DCISType 2 signature, 3 adult), shipment level on
        // every other lane (1 signature, 2 adult): the two containers' DCISType lists in
        // Shipping.yaml/Rating.yaml; which lane takes which is UPS's Delivery Confirmation
        // origin-destination appendix (*ext*).
        let adult = sig == SignatureConfirmation::Adult;
        if domestic {
            let t = if adult { "3" } else { "2" };
            for p in &mut packages {
                p.delivery_confirmation = Some(wire::DeliveryConfirmation {
                    dcis_type: t.into(),
                });
            }
        } else {
            shipment.delivery_confirmation = Some(wire::DeliveryConfirmation {
                dcis_type: if adult { "2" } else { "1" }.into(),
            });
        }
    }
    if o.saturday_delivery {
        // Empty tag: presence is the request.
        shipment.saturday_delivery_indicator = Some(String::new());
    }
    if let Some(value) = o.declared_value {
        for (p, share) in packages.iter_mut().zip(split(value, n)?) {
            p.declared_value = Some(money_out(share));
        }
    }
    if let Some(ice) = o.dry_ice {
        // `DryIce.RegulationSet` (both specs): CFR within the US (DOT); ADR for EU-domestic
        // UPS Standard ("must be ADR", Shipping.yaml); IATA for air and the rest. Rating
        // every service at once cannot tell Standard from air, so it sends IATA there.
        let eu = |a: &Address| EU.contains(&a.country.as_str());
        let regulation = if domestic {
            "CFR"
        } else if eu(&req.from) && eu(&req.to) && service == Some(STANDARD) {
            "ADR"
        } else {
            "IATA"
        };
        let (code, name) = match units.weight {
            WeightUnit::Lb => ("01", "LBS"),
            _ => ("00", "KGS"),
        };
        for (p, parcel) in packages.iter_mut().zip(&req.parcels) {
            check_dry_ice(ice, parcel)?;
            p.dry_ice = Some(wire::DryIce {
                regulation_set: regulation.into(),
                dry_ice_weight: wire::DryIceWeight {
                    unit_of_measurement: wire::CodeDesc {
                        code: code.into(),
                        description: Some(name.into()),
                    },
                    weight: weight_string(ice.to(units.weight).value()),
                },
            });
        }
    }
    Ok(Wired {
        shipment,
        packages: packages
            .into_iter()
            .map(|p| (!p.is_empty()).then_some(p))
            .collect(),
    })
}

/// "Cannot be more than package weight" (`DryIceWeight.Weight`, both specs).
fn check_dry_ice(ice: crate::model::Weight, parcel: &Parcel) -> Result<(), CarrierError> {
    let g = |w: crate::model::Weight| w.to(WeightUnit::G).value();
    if ice.is_zero() {
        return Err(rejected(
            "/options/dry_ice",
            "UPS needs a dry ice weight above zero",
        ));
    }
    if g(ice) > g(parcel.weight) {
        return Err(rejected(
            "/options/dry_ice",
            "UPS refuses more dry ice than the parcel weighs",
        ));
    }
    Ok(())
}

/// The shipment's declared value split over `n` packages (UPS declares per package), in whole
/// minor units, the first package taking the remainder, so the shares add up exactly.
pub(super) fn split(value: Money, n: usize) -> Result<Vec<Money>, CarrierError> {
    let total = value.round();
    if total.amount() <= Decimal::ZERO {
        return Err(rejected(
            "/options/declared_value",
            "a declared value must be above zero",
        ));
    }
    let n = n.max(1);
    let minor = total.currency().minor_units();
    let share = (total.amount() / Decimal::from(n as u64))
        .round_dp_with_strategy(minor, RoundingStrategy::ToZero);
    let first = total.amount() - share * Decimal::from(n as u64 - 1);
    Ok(std::iter::once(first)
        .chain(std::iter::repeat_n(share, n - 1))
        .map(|a| Money::new(a, total.currency()))
        .collect())
}

/// Whether a quoted service delivers on Saturday as asked: UPS says `SaturdayDelivery` 1
/// (available, charged) in its time-in-transit summary, or its arrival date is a Saturday
/// anyway (`0`: "not available or no additional charge, please check Delivery Date",
/// Rating.yaml `TimeInTransit_ServiceSummary`). A quote without a summary cannot be judged
/// and is kept.
pub(super) fn delivers_saturday(rs: &wire::RatedShipment, arrival: Option<time::Date>) -> bool {
    let Some(summary) = rs
        .time_in_transit
        .as_ref()
        .and_then(|t| t.service_summary.as_ref())
    else {
        return true;
    };
    summary.saturday_delivery.as_deref().map(str::trim) == Some("1")
        || arrival.is_some_and(|d| d.weekday() == time::Weekday::Saturday)
}
