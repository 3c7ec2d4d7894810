//! Pickups: our `PickupRequest` to FedEx's `POST /pickup/v1/pickups` body
//! (pickup-api.json `Full_Schema_Create_Pickup`) and `PickupRef` to `PUT
//! /pickup/v1/pickups/cancel` (`Full_Schema_Cancel_Pickup`), and their answers back. Pure.
//!
//! Decisions:
//! - `carrierCode`: FedEx books Express (`FDXE`) and Ground (`FDXG`) couriers separately. The
//!   shipments' services decide (Ground, Home Delivery, Ground Economy and International
//!   Ground Distribution are FedEx Ground's); a pickup mixing both is refused on `/shipments`;
//!   without shipments it is Express, FedEx's own default on cancel.
//! - Cancelling needs the operating company and, for Express, the `location` Create answered
//!   (pickup-api.json: "required to cancel a FedEx Express dispatch"). A `PickupRef` keeps only
//!   the location, so it carries both as `<carrierCode>:<location>` (`FDXE:COSA`, or `FDXG`
//!   alone when Ground names none); the confirmation number stays FedEx's own.
//! - `readyDateTimestamp` is `YYYY-MM-DDTHH:MM:SS` and `customerCloseTime` `HH:MM:SS`, local to
//!   the pickup and without a zone designator ("Do not include a TZD … it will be ignored").
//! - `totalWeight` in LB ("Unit of measure is LB"), rounded up to 0.01 lb; `pickupType`
//!   `ON_CALL` (a one-off courier call); `packageLocation` `NONE` ("mandatory for Ground
//!   Pickup", and we do not know which side of the building); `pickupAddressType` `OTHER`
//!   (the address is given, FedEx's default).
//! - `remarks` takes at most 60 characters: longer instructions are refused on their field
//!   rather than cut.

use rust_decimal::Decimal;
use time::{Date, Time};

use crate::error::CarrierError;
use crate::model::{PickupConfirmation, PickupRef, PickupRequest, WeightUnit};

use super::account::Account;
use super::{error, rate, wire};

/// Services that travel with FedEx Ground, whose courier is booked under `FDXG`.
const GROUND: &[&str] = &[
    "FEDEX_GROUND",
    "GROUND_HOME_DELIVERY",
    "SMART_POST",
    "INTL_GROUND_DISTRIBUTION",
];

/// The operating company that carries `service`.
pub(super) fn carrier_code(service: &str) -> &'static str {
    if GROUND.contains(&service) {
        "FDXG"
    } else {
        "FDXE"
    }
}

fn rejected(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

fn date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn time(t: Time) -> String {
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

/// The Create Pickup body and the operating company it books.
pub(super) fn build(
    req: &PickupRequest,
    account: &Account,
) -> Result<wire::CreatePickupRequest, CarrierError> {
    let a = &req.address;
    let phone = a.phone.clone().ok_or_else(|| {
        rejected(
            "/address/phone",
            "FedEx requires the pickup contact's phone number",
        )
    })?;
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
    if let Some(i) = &req.instructions
        && i.chars().count() > 60
    {
        return Err(rejected(
            "/instructions",
            "FedEx takes at most 60 characters of courier instructions (`remarks`)",
        ));
    }
    let mut codes = req.shipments.iter().map(|s| carrier_code(&s.service));
    let carrier = match codes.next() {
        None => "FDXE",
        Some(first) => {
            if codes.any(|c| c != first) {
                return Err(rejected(
                    "/shipments",
                    "FedEx books Express and Ground pickups separately: schedule one pickup \
                     for the Express shipments and one for the Ground shipments",
                ));
            }
            first
        }
    };
    let relationship = (!req.shipments.is_empty()).then(|| {
        if req
            .shipments
            .iter()
            .all(|s| s.destination_country == a.country.as_str())
        {
            "DOMESTIC"
        } else {
            "INTERNATIONAL"
        }
    });
    let weight = req
        .total_weight
        .ceil_to(Decimal::new(1, 2), WeightUnit::Lb)
        .value();
    Ok(wire::CreatePickupRequest {
        associated_account_number: wire::AccountNumber {
            value: account.account_number.clone(),
        },
        origin_detail: wire::PickupOriginDetail {
            pickup_address_type: "OTHER",
            pickup_location: wire::PickupLocation {
                contact: wire::PickupContact {
                    company_name: a.company.clone(),
                    person_name: a.name.clone(),
                    phone_number: phone,
                },
                address: wire::PickupAddress {
                    street_lines: a.street.clone(),
                    city: a.city.clone(),
                    state_or_province_code: a.state.clone(),
                    postal_code: a.postal_code.clone(),
                    country_code: a.country.as_str().to_string(),
                },
            },
            ready_date_timestamp: format!("{}T{}", date(req.date), time(req.ready_time)),
            customer_close_time: time(req.close_time),
            package_location: "NONE",
        },
        total_weight: wire::Weight {
            units: "LB",
            value: wire::Num(weight),
        },
        package_count: req.parcel_count,
        carrier_code: carrier,
        remarks: req.instructions.clone(),
        country_relationships: relationship,
        pickup_type: "ON_CALL",
    })
}

/// The confirmation from a Create Pickup answer; `carrier` is the code the request booked.
pub(super) fn parse(
    resp: wire::CreatePickupResponse,
    carrier: &str,
) -> Result<PickupConfirmation, CarrierError> {
    let output = resp
        .output
        .ok_or_else(|| error::protocol(200, b"", "create pickup without output"))?;
    let confirmation = output
        .pickup_confirmation_code
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| error::protocol(200, b"", "create pickup without pickupConfirmationCode"))?;
    let location = match output.location.filter(|l| !l.trim().is_empty()) {
        Some(l) => format!("{carrier}:{l}"),
        None => carrier.to_string(),
    };
    let mut warnings = rate::alert_notes(&output.alerts);
    warnings.extend(output.message.filter(|m| !m.trim().is_empty()));
    Ok(PickupConfirmation {
        confirmation,
        location: Some(location),
        charge: None,
        warnings,
    })
}

/// The operating company and FedEx location a `PickupRef.location` carries (see the module
/// notes); a bare location from elsewhere is an Express one.
fn split_location(location: Option<&str>) -> (&'static str, Option<String>) {
    let Some(l) = location.map(str::trim).filter(|l| !l.is_empty()) else {
        return ("FDXE", None);
    };
    let (head, tail) = match l.split_once(':') {
        Some((h, t)) => (h, Some(t)),
        None => (l, None),
    };
    let tail = tail
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    match head {
        "FDXG" => ("FDXG", tail),
        "FDXE" => ("FDXE", tail),
        _ => ("FDXE", Some(l.to_string())),
    }
}

/// The Cancel Pickup body.
pub(super) fn build_cancel(
    p: &PickupRef,
    account: &Account,
) -> Result<wire::CancelPickupRequest, CarrierError> {
    let (carrier, location) = split_location(p.location.as_deref());
    if carrier == "FDXE" && location.is_none() {
        return Err(rejected(
            "/location",
            "cancelling a FedEx Express pickup needs the location its booking answered",
        ));
    }
    Ok(wire::CancelPickupRequest {
        associated_account_number: wire::AccountNumber {
            value: account.account_number.clone(),
        },
        pickup_confirmation_code: p.confirmation.clone(),
        carrier_code: carrier,
        scheduled_date: date(p.date),
        location,
    })
}

/// A Cancel Pickup answer: any output is FedEx's confirmation.
pub(super) fn parse_cancel(resp: wire::CancelPickupResponse) -> Result<(), CarrierError> {
    resp.output
        .map(|_| ())
        .ok_or_else(|| error::protocol(200, b"", "cancel pickup without output"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_carry_the_operating_company() {
        assert_eq!(
            split_location(Some("FDXE:COSA")),
            ("FDXE", Some("COSA".into()))
        );
        assert_eq!(split_location(Some("FDXG")), ("FDXG", None));
        assert_eq!(split_location(Some("LOSA")), ("FDXE", Some("LOSA".into())));
        assert_eq!(split_location(None), ("FDXE", None));
        assert_eq!(carrier_code("FEDEX_GROUND"), "FDXG");
        assert_eq!(carrier_code("PRIORITY_OVERNIGHT"), "FDXE");
    }
}
