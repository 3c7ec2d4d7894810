//! Courier pickups: `POST /pickups` (`supermodelIoLogisticsExpressPickupRequest`) and
//! `DELETE /pickups/{dispatchConfirmationNumber}?requestorName=…&reason=…`, per
//! `mydhl-express-api-3.1.1.yaml`. Pure: no HTTP, no clock.
//!
//! Decisions where the spec leaves room:
//! - `plannedPickupDateAndTime` is the ready time, local at the pickup address ("the local
//!   time of the shipment based on the shipper's time zone"), with the GMT offset DHL's own
//!   `GET /address-validate?type=pickup` gives for the place (`serviceArea.GMTOffset`); the
//!   adapter asks it first. Without an offset from DHL, `GMT+00:00` and a warning.
//! - The date: not in the past, at most 10 days ahead (the field's description); refused on
//!   `/date` before sending.
//! - `shipmentDetails` (required, at least one; `productCode`, `isCustomsDeclarable`,
//!   `unitOfMeasurement`, `packages` required): one per shipment the pickup covers, with its
//!   AWB, product and declarability by lane (goods crossing a customs border; a document
//!   shipment is declared as goods, which DHL only uses for capacity). The request's total
//!   weight is split evenly over its parcels. With no shipment named, one entry for all the
//!   parcels under Express Worldwide (`P`), not declarable: DHL plans courier capacity from
//!   it, and the spec offers no product-less pickup.
//! - `locationType`: `business` when the address has a company, else `residence`.
//! - Instructions go in `specialInstructions[].value` (80 characters each, at most 4).
//! - Cancel: `requestorName` is the pickup address's contact name, `reason` a fixed text (the
//!   spec's example is free text, "Unplanned leave").

use rust_decimal::Decimal;
use time::{Date, Time};

use crate::error::CarrierError;
use crate::model::{PickupConfirmation, PickupRequest, Weight, WeightUnit};

use super::account::Account;
use super::{codes, error, ship, wire};

/// The `reason` sent with a cancellation.
pub(super) const CANCEL_REASON: &str = "Pickup no longer required";

fn rejected(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The `POST /pickups` body; `offset` is `GMT+01:00` or the like.
pub(super) fn build(
    req: &PickupRequest,
    account: &Account,
    offset: &str,
    today: Date,
) -> Result<wire::PickupRequest, CarrierError> {
    if req.date < today {
        return Err(rejected("/date", "a pickup cannot be booked in the past"));
    }
    if req.date > today + time::Duration::days(10) {
        return Err(rejected(
            "/date",
            "DHL Express books pickups at most 10 days ahead",
        ));
    }
    if req.close_time <= req.ready_time {
        return Err(rejected(
            "/close_time",
            "the place must close after the parcels are ready",
        ));
    }
    if req.parcel_count == 0 {
        return Err(rejected(
            "/parcel_count",
            "a pickup needs at least one parcel",
        ));
    }
    let party = ship::party(&req.address, None, "/address")?;
    let (unit, uom) = match req.total_weight.unit() {
        WeightUnit::Lb | WeightUnit::Oz => (WeightUnit::Lb, "imperial"),
        WeightUnit::Kg | WeightUnit::G => (WeightUnit::Kg, "metric"),
    };
    let total = req.total_weight.to(unit).value();
    let each = Weight::new(total / Decimal::from(req.parcel_count), unit)
        .map_err(|e| rejected("/total_weight", e.message))?
        .ceil_to(Decimal::new(1, 3), unit)
        .value();
    if each <= Decimal::ZERO {
        return Err(rejected(
            "/total_weight",
            "the parcels must weigh something",
        ));
    }
    let packages = |n: u32| {
        (0..n.max(1))
            .map(|_| wire::RatePackage {
                weight: wire::Num(each),
                dimensions: None,
            })
            .collect::<Vec<_>>()
    };
    let from = req.address.country.as_str();
    let shipment_details = if req.shipments.is_empty() {
        vec![wire::PickupShipmentDetails {
            product_code: "P".into(),
            is_customs_declarable: false,
            unit_of_measurement: uom,
            shipment_tracking_number: None,
            packages: packages(req.parcel_count),
        }]
    } else {
        req.shipments
            .iter()
            .map(|s| wire::PickupShipmentDetails {
                product_code: s.service.chars().take(6).collect(),
                is_customs_declarable: !codes::same_customs_territory(from, &s.destination_country),
                unit_of_measurement: uom,
                shipment_tracking_number: Some(s.tracking_number.as_str().to_string()),
                packages: packages(s.parcels),
            })
            .collect()
    };
    let special_instructions = req
        .instructions
        .as_deref()
        .map(|t| {
            let chars: Vec<char> = t.trim().chars().collect();
            chars
                .chunks(80)
                .take(4)
                .map(|c| wire::SpecialInstruction {
                    value: c.iter().collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    let d = req.date;
    Ok(wire::PickupRequest {
        planned_pickup_date_and_time: format!(
            "{:04}-{:02}-{:02}T{}:{:02} {offset}",
            d.year(),
            u8::from(d.month()),
            d.day(),
            hhmm(req.ready_time),
            req.ready_time.second(),
        ),
        close_time: hhmm(req.close_time),
        location: None,
        location_type: if req.address.company.is_some() {
            "business"
        } else {
            "residence"
        },
        accounts: vec![wire::Account {
            type_code: "shipper",
            number: account.account_number.clone(),
        }],
        special_instructions,
        customer_details: wire::PickupCustomerDetails {
            shipper_details: wire::PickupParty {
                postal_address: party.postal_address,
                contact_information: party.contact_information,
            },
        },
        shipment_details,
    })
}

/// The confirmation from a `POST /pickups` answer.
pub(super) fn parse(
    resp: wire::PickupResponse,
    req: &PickupRequest,
    mut warnings: Vec<String>,
) -> Result<PickupConfirmation, CarrierError> {
    let mut numbers = resp
        .dispatch_confirmation_numbers
        .into_iter()
        .filter(|n| !n.trim().is_empty());
    let confirmation = numbers.next().ok_or_else(|| {
        error::protocol(
            200,
            b"",
            "pickup response without dispatchConfirmationNumbers",
        )
    })?;
    let rest: Vec<String> = numbers.collect();
    if !rest.is_empty() {
        warnings.push(format!(
            "DHL also confirmed {} (cancel them with DHL separately)",
            rest.join(", ")
        ));
    }
    warnings.extend(resp.warnings);
    if let Some(next) = super::rate::date_prefix(resp.next_pickup_date.as_deref())
        && next != req.date
    {
        warnings.push(format!("DHL's next pickup date is {next}"));
    }
    if let Some(t) = resp.ready_by_time.filter(|t| *t != hhmm(req.ready_time)) {
        warnings.push(format!("DHL expects the parcels ready by {t}"));
    }
    Ok(PickupConfirmation {
        confirmation,
        location: None,
        charge: None,
        warnings,
    })
}
