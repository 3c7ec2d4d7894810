//! Shipment options and returns on FedEx's wire, the same in Rate and Ship so a quote prices
//! what the label buys, and the check against FedEx's Special Service Options API
//! (`POST /availability/v1/specialserviceoptions`) before a label with options is bought.
//! Pure: no HTTP.
//!
//! Where each option goes (rate-api.json and ship-api.json, type names from the "Shipment/
//! Package Level Special Service Types" tables of `fedex/reference/fedex-reference-tables.csv`):
//! - signature: every package, `packageSpecialServices.specialServiceTypes: SIGNATURE_OPTION`
//!   with `signatureOptionType` `ADULT` / `DIRECT` / `INDIRECT`;
//! - Saturday delivery: `shipmentSpecialServices.specialServiceTypes: SATURDAY_DELIVERY`;
//! - declared value: each package's `declaredValue` (Money), the shipment's value split evenly
//!   in whole cents, the odd cents on the first package;
//! - dry ice: `DRY_ICE` on every package with `dryIceWeight` in KG (both specs: "For Dry Ice the
//!   unit of measure is KG"), and on the shipment with `shipmentDryIceDetail` (total weight,
//!   package count). The specs do not say which level FedEx reads for which service (the
//!   Ground/Express split is in FedEx's guides, not here), so both are sent;
//! - lithium batteries: `BATTERY` on every package with `IATA_SECTION_II`, the material
//!   (`LITHIUM_ION` / `LITHIUM_METAL`) and the packing (`CONTAINED_IN_EQUIPMENT` /
//!   `PACKED_WITH_EQUIPMENT`, the only packings either spec lists: batteries alone are refused
//!   on their field). Rate names them `material`/`packing`/`regulatorySubType`
//!   (`BatteryClassificationDetail`), Ship `batteryMaterialType`/`batteryPackingType`/
//!   `batteryRegulatoryType` (`BatteryDetail`); the availability check matches FedEx's
//!   `batteryOptionList` on material and packing;
//! - returns (Ship only): `RETURN_SHIPMENT` with `returnShipmentDetail.returnType:
//!   PRINT_RETURN_LABEL`.
//!
//! Delivery confirmation is not declared: FedEx has no such option apart from its signature
//! options (every FedEx parcel is delivered with a proof of delivery).

use rust_decimal::Decimal;

use crate::error::CarrierError;
use crate::model::{
    LithiumBatteries, LithiumMaterial, LithiumPacking, Money, RateRequest, ShipRequest,
    ShipmentOption, ShipmentOptions, SignatureConfirmation, WeightUnit,
};

use super::account::Account;
use super::{rate, wire};

/// The options FedEx sells (`Capabilities.options`).
pub(super) const OFFERED: &[ShipmentOption] = &[
    ShipmentOption::SignatureAdult,
    ShipmentOption::SignatureDirect,
    ShipmentOption::SignatureIndirect,
    ShipmentOption::SaturdayDelivery,
    ShipmentOption::DeclaredValue,
    ShipmentOption::DryIce,
    ShipmentOption::LithiumBatteries,
];

/// Which API the pieces are for: the battery fields are named differently in each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Api {
    Rate,
    Ship,
}

fn rejected(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

fn signature_code(s: SignatureConfirmation) -> &'static str {
    match s {
        SignatureConfirmation::Adult => "ADULT",
        SignatureConfirmation::Direct => "DIRECT",
        SignatureConfirmation::Indirect => "INDIRECT",
    }
}

/// The battery's material and packing on FedEx's wire (both specs' enums).
fn battery_codes(b: LithiumBatteries) -> Result<(&'static str, &'static str), CarrierError> {
    let material = match b.material {
        LithiumMaterial::Ion => "LITHIUM_ION",
        LithiumMaterial::Metal => "LITHIUM_METAL",
    };
    match b.packing {
        LithiumPacking::ContainedInEquipment => Ok((material, "CONTAINED_IN_EQUIPMENT")),
        LithiumPacking::PackedWithEquipment => Ok((material, "PACKED_WITH_EQUIPMENT")),
        LithiumPacking::Alone => Err(rejected(
            ShipmentOption::LithiumBatteries.pointer(),
            "FedEx takes lithium batteries under IATA section II only contained in or packed \
             with equipment (`batteryPackingType`); batteries alone need a dangerous-goods \
             shipment",
        )),
    }
}

/// Refusals that need no call: options FedEx does not sell, batteries alone.
pub(super) fn validate(o: &ShipmentOptions) -> Result<(), CarrierError> {
    o.unoffered("FedEx", OFFERED)
        .map_err(|e| rejected(&e.field, e.message))?;
    if let Some(b) = o.lithium_batteries {
        battery_codes(b)?;
    }
    Ok(())
}

/// `amount` split into `n` parts in the currency's minor units, the odd ones on the first.
fn split(amount: Money, n: usize) -> Vec<Money> {
    let n = n.max(1);
    let scale = amount.currency().minor_units();
    let unit = Decimal::new(1, scale);
    let each = (amount.amount() / Decimal::from(n as u64))
        .round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::ToZero);
    let first = amount.amount() - each * Decimal::from((n - 1) as u64);
    debug_assert!(first >= each && first - each < unit * Decimal::from(n as u64));
    let mut out = vec![Money::new(each, amount.currency()); n];
    out[0] = Money::new(first, amount.currency());
    out
}

/// Puts the options (and, for Ship, the return) on `items` and returns the shipment's
/// special services, `None` when nothing is asked.
pub(super) fn apply(
    o: &ShipmentOptions,
    is_return: bool,
    items: &mut [wire::PackageLineItem],
    api: Api,
) -> Result<Option<wire::ShipmentSpecialServices>, CarrierError> {
    validate(o)?;
    let dry_ice = o
        .dry_ice
        .map(|w| w.ceil_to(Decimal::new(1, 2), WeightUnit::Kg).value());
    if let Some(v) = o.declared_value {
        let parts = split(v, items.len());
        for (item, part) in items.iter_mut().zip(parts) {
            item.declared_value = Some(rate::money(part));
        }
    }
    let battery = o.lithium_batteries.map(battery_codes).transpose()?;
    for item in items.iter_mut() {
        let mut types = Vec::new();
        if o.signature.is_some() {
            types.push("SIGNATURE_OPTION");
        }
        if dry_ice.is_some() {
            types.push("DRY_ICE");
        }
        if battery.is_some() {
            types.push("BATTERY");
        }
        if types.is_empty() {
            continue;
        }
        item.package_special_services = Some(wire::PackageSpecialServices {
            special_service_types: types,
            signature_option_type: o.signature.map(signature_code),
            dry_ice_weight: dry_ice.map(|v| wire::Weight {
                units: "KG",
                value: wire::Num(v),
            }),
            battery_details: battery
                .map(|(material, packing)| match api {
                    Api::Rate => wire::BatteryDetail::Rate {
                        material,
                        packing,
                        regulatory_sub_type: "IATA_SECTION_II",
                    },
                    Api::Ship => wire::BatteryDetail::Ship {
                        battery_material_type: material,
                        battery_packing_type: packing,
                        battery_regulatory_type: "IATA_SECTION_II",
                    },
                })
                .into_iter()
                .collect(),
        });
    }
    let mut types = Vec::new();
    if o.saturday_delivery {
        types.push("SATURDAY_DELIVERY");
    }
    if dry_ice.is_some() {
        types.push("DRY_ICE");
    }
    if is_return {
        types.push("RETURN_SHIPMENT");
    }
    if types.is_empty() {
        return Ok(None);
    }
    Ok(Some(wire::ShipmentSpecialServices {
        special_service_types: types,
        return_shipment_detail: is_return.then_some(wire::ReturnShipmentDetail {
            return_type: "PRINT_RETURN_LABEL",
        }),
        shipment_dry_ice_detail: dry_ice.map(|v| wire::ShipmentDryIceDetail {
            total_weight: wire::Weight {
                units: "KG",
                value: wire::Num(v * Decimal::from(items.len() as u64)),
            },
            package_count: items.len() as u32,
        }),
    }))
}

/// Whether a ship request needs FedEx's word on its service first: a return or a special
/// service (a declared value is not one, and FedEx takes it on every service).
pub(super) fn needs_check(req: &ShipRequest) -> bool {
    req.is_return
        || req
            .shipment
            .options
            .asked()
            .into_iter()
            .any(|o| o != ShipmentOption::DeclaredValue)
}

/// The Special Service Options body for the lane, packages and service of `req`.
pub(super) fn availability_request(
    req: &ShipRequest,
    account: &Account,
) -> wire::SpecialServiceOptionsRequest {
    let s: &RateRequest = &req.shipment;
    let party = |a: &crate::model::Address| wire::OptionsParty {
        address: wire::OptionsAddress {
            postal_code: a.postal_code.clone(),
            country_code: a.country.as_str().to_string(),
            state_or_province_code: a.state.clone(),
        },
    };
    let units = rate::Units::of(s);
    let (items, _) = rate::packages(&s.parcels, units);
    wire::SpecialServiceOptionsRequest {
        requested_shipment: wire::OptionsShipment {
            shipper: party(&s.from),
            recipient: party(&s.to),
            service_type: req.service.clone(),
            packaging_type: rate::packaging_type(s),
            ship_date_stamp: rate::ship_date(s),
            requested_package_line_items: items
                .into_iter()
                .map(|i| wire::OptionsPackage { weight: i.weight })
                .collect(),
        },
        account_number: wire::AccountNumber {
            value: account.account_number.clone(),
        },
        carrier_codes: vec![super::pickup::carrier_code(&req.service)],
    }
}

/// Refuses, on its field, the first option (or the return) FedEx does not list for the
/// service on this lane. A service missing from FedEx's list offers none of them.
pub(super) fn check_available(
    resp: wire::SpecialServiceOptionsResponse,
    req: &ShipRequest,
) -> Result<(), CarrierError> {
    let output = resp.output.ok_or_else(|| {
        super::error::protocol(200, b"", "special service options without output")
    })?;
    let entry = output
        .service_options_list
        .iter()
        .find(|e| e.service_type.as_deref() == Some(req.service.as_str()));
    let lane = format!(
        "{} from {} to {}",
        req.service, req.shipment.from.country, req.shipment.to.country
    );
    let has = |list: &[wire::SpecialServiceOption], t: &str| {
        list.iter()
            .any(|s| s.special_service_type.as_deref() == Some(t))
    };
    let o = &req.shipment.options;
    for asked in o.asked() {
        // Not a special service: FedEx takes a declared value on every service (up to the
        // service's own limit, which FedEx enforces itself).
        if asked == ShipmentOption::DeclaredValue {
            continue;
        }
        let ok = entry.is_some_and(|e| match asked {
            ShipmentOption::SignatureAdult
            | ShipmentOption::SignatureDirect
            | ShipmentOption::SignatureIndirect => {
                let code = o.signature.map(signature_code).unwrap_or_default();
                e.signature_options_list
                    .iter()
                    .any(|c| c.code.as_deref() == Some(code))
            }
            ShipmentOption::SaturdayDelivery => {
                has(&e.shipment_special_services_list, "SATURDAY_DELIVERY")
                    || has(&e.package_special_services_list, "SATURDAY_DELIVERY")
            }
            ShipmentOption::DryIce => {
                has(&e.shipment_special_services_list, "DRY_ICE")
                    || has(&e.package_special_services_list, "DRY_ICE")
            }
            ShipmentOption::LithiumBatteries => {
                let (material, packing) = o
                    .lithium_batteries
                    .and_then(|b| battery_codes(b).ok())
                    .unwrap_or_default();
                // FedEx's list names each material and packing it takes; an entry without a
                // material takes either. Without a list, `BATTERY` among the package special
                // services stands for all of them.
                if e.battery_option_list.is_empty() {
                    has(&e.package_special_services_list, "BATTERY")
                } else {
                    e.battery_option_list.iter().any(|b| {
                        b.battery_packing_type.as_deref() == Some(packing)
                            && b.battery_material_type
                                .as_deref()
                                .is_none_or(|m| m == material)
                    })
                }
            }
            // A remark is SF Express's alone (FedEx declares no such option).
            ShipmentOption::DeclaredValue
            | ShipmentOption::DeliveryConfirmation
            | ShipmentOption::Remark => false,
        });
        if !ok {
            return Err(rejected(
                asked.pointer(),
                format!(
                    "FedEx does not offer `{}` on {lane} (Special Service Options)",
                    asked.as_str()
                ),
            ));
        }
    }
    if req.is_return
        && !entry.is_some_and(|e| {
            e.return_shipment_list
                .iter()
                .any(|r| r == "PRINT_RETURN_LABEL")
        })
    {
        return Err(rejected(
            "/is_return",
            format!("FedEx does not offer printed return labels on {lane}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn declared_value_splits_in_cents_with_the_odd_ones_first() {
        let usd = "USD".parse().unwrap();
        let parts = split(Money::new(dec!(100.00), usd), 3);
        let amounts: Vec<Decimal> = parts.iter().map(|m| m.amount()).collect();
        assert_eq!(amounts, [dec!(33.34), dec!(33.33), dec!(33.33)]);
        let jpy = "JPY".parse().unwrap();
        let parts = split(Money::new(dec!(1001), jpy), 2);
        assert_eq!(parts[0].amount() + parts[1].amount(), dec!(1001));
        assert_eq!(parts[1].amount(), dec!(500));
    }
}
