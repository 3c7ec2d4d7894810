//! Shipment options as MyDHL value-added services (`valueAddedServices[]`), the same codes on
//! `POST /rates` (so DHL prices them: the charge comes back as a `detailedPriceBreakdown` line
//! under the service's code) and on `POST /shipments`. Pure.
//!
//! Codes, all from `mydhl-express-api-3.1.1.yaml` (the `GET /products` example's
//! `valueAddedServices[]` names each code; `supermodelIoLogisticsExpressValueAddedServices`
//! documents `value`/`currency` and `dangerousGoods`). `karrio-services-mydhl.csv` lists
//! products only, no value-added services.
//! - `II` SHIPMENT INSURANCE, with `value` and `currency` (the schema's own example code).
//! - `AA` SATURDAY DELIVERY.
//! - `SF` DIRECT SIGNATURE. The spec has no adult-signature code and no indirect one (`SX`
//!   SIGNATURE RELEASE is the opposite: leave without a signature), so neither is offered.
//! - `HC` DRY ICE UN1845, `dangerousGoods[{contentId: "901", dryIceTotalNetWeight}]` (the
//!   schema's scenario A), the weight the shipment's total in its `unitOfMeasurement`.
//! - Lithium batteries, by material and packing (scenario B: "'HD', 'HM', 'HV' or 'HW'" with
//!   content ids "'966', '969', '967', '970' respectively"): `HV` LITHIUM ION PI967 SECTION II
//!   (ion contained in equipment), `HD` LITHIUM ION PI966 SECTION II (ion packed with),
//!   `HW` LITHIUM METAL PI970 SECTION II (metal contained in), `HM` LITHIUM METAL PI969
//!   SECTION II (metal packed with). The schema's `dangerousGoods` wants exactly one of
//!   `dryIceTotalNetWeight` and `unCodes`: the UN number of the packing instruction, `3481`
//!   for ion, `3091` for metal, in or with equipment (IATA DGR; the numbers are not in the
//!   spec). Cells alone (PI 965/968) have no code in the spec: refused.
//! - Delivery confirmation: DHL Express has no such service (every delivery is scanned).
//!
//! Whether a service is available on the product and lane is DHL's to say: it answers `7008`
//! "The requested Special Service Code … is not available between this origin and
//! destination", which `error` maps back to the option's field through [`pointer_of`].
//! MyDHL's availability list (`GET /products`, or `/rates` with
//! `requestAllValueAddedServices`) is not called per request: the rate or shipment call that
//! carries the services already gets DHL's verdict on them, and a second call would spend the
//! account's quota on every quote for an answer DHL gives anyway.

use rust_decimal::Decimal;

use crate::error::CarrierError;
use crate::model::{
    LithiumMaterial, LithiumPacking, RateRequest, ShipmentOption, SignatureConfirmation, Weight,
};

use super::rate::{self, Units};
use super::wire::{DangerousGoods, Num, ValueAddedService};

/// What DHL Express can carry, declared in `Capabilities.options`.
pub(super) static OFFERED: &[ShipmentOption] = &[
    ShipmentOption::SignatureDirect,
    ShipmentOption::SaturdayDelivery,
    ShipmentOption::DeclaredValue,
    ShipmentOption::DryIce,
    ShipmentOption::LithiumBatteries,
];

/// The option a value-added service code stands for, as its field in our request.
pub(super) fn pointer_of(service_code: &str) -> Option<&'static str> {
    let o = match service_code {
        "II" => ShipmentOption::DeclaredValue,
        "AA" => ShipmentOption::SaturdayDelivery,
        "SF" => ShipmentOption::SignatureDirect,
        "HC" => ShipmentOption::DryIce,
        "HD" | "HV" | "HM" | "HW" => ShipmentOption::LithiumBatteries,
        _ => return None,
    };
    Some(o.pointer())
}

fn rejected(o: ShipmentOption, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, o.pointer(), None, message)
}

/// The value-added services for `req.options`, in our option order.
pub(super) fn services(req: &RateRequest) -> Result<Vec<ValueAddedService>, CarrierError> {
    let o = &req.options;
    o.unoffered("DHL Express", OFFERED)
        .map_err(|e| CarrierError::rejected(super::CODE, &e.field, None, e.message))?;
    let mut out = Vec::new();
    if let Some(s) = o.signature {
        debug_assert_eq!(s, SignatureConfirmation::Direct, "refused by unoffered");
        out.push(ValueAddedService::code("SF"));
    }
    if o.saturday_delivery {
        out.push(ValueAddedService::code("AA"));
    }
    if let Some(v) = &o.declared_value {
        if v.amount() <= Decimal::ZERO {
            return Err(rejected(
                ShipmentOption::DeclaredValue,
                "the insured value must be above zero",
            ));
        }
        out.push(ValueAddedService {
            value: Some(Num(v.amount())),
            currency: Some(v.currency().to_string()),
            ..ValueAddedService::code("II")
        });
    }
    if let Some(per_parcel) = o.dry_ice {
        let units = Units::of(req);
        let each = per_parcel.to(units.weight).value();
        let total = Weight::new(each * Decimal::from(req.parcels.len() as u64), units.weight)
            .map_err(|e| rejected(ShipmentOption::DryIce, e.message))?;
        let total = rate::weight(total, units);
        if total <= Decimal::ZERO {
            return Err(rejected(
                ShipmentOption::DryIce,
                "the dry ice weight must be above zero",
            ));
        }
        out.push(ValueAddedService {
            dangerous_goods: vec![DangerousGoods {
                content_id: "901",
                dry_ice_total_net_weight: Some(Num(total)),
                un_codes: Vec::new(),
            }],
            ..ValueAddedService::code("HC")
        });
    }
    if let Some(l) = o.lithium_batteries {
        let (code, content_id, un) = match (l.material, l.packing) {
            (LithiumMaterial::Ion, LithiumPacking::ContainedInEquipment) => ("HV", "967", "3481"),
            (LithiumMaterial::Ion, LithiumPacking::PackedWithEquipment) => ("HD", "966", "3481"),
            (LithiumMaterial::Metal, LithiumPacking::ContainedInEquipment) => ("HW", "970", "3091"),
            (LithiumMaterial::Metal, LithiumPacking::PackedWithEquipment) => ("HM", "969", "3091"),
            (_, LithiumPacking::Alone) => {
                return Err(rejected(
                    ShipmentOption::LithiumBatteries,
                    "DHL Express carries lithium cells only in or with equipment (PI 966/967, \
                     section II); cells alone have no MyDHL service",
                ));
            }
        };
        out.push(ValueAddedService {
            dangerous_goods: vec![DangerousGoods {
                content_id,
                dry_ice_total_net_weight: None,
                // Digits only, as the schema's example (`1234`).
                un_codes: vec![un],
            }],
            ..ValueAddedService::code(code)
        });
    }
    Ok(out)
}
