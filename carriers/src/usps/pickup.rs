//! Carrier Pickup (`carrier-pickup.yaml`): `POST /pickup/v3/carrier-pickup`
//! (`SchedulePickupRequest` → `PickupConfirmation.confirmationNumber`) and the cancel,
//! `DELETE /pickup/v3/carrier-pickup/{confirmationNumber}`, which needs `If-Match` with the
//! pickup's ETag: "All DELETE and PUT operations require an ETag … The ETag is returned in
//! the GET operation and is good for one hour", so a cancel first GETs the pickup for a fresh
//! ETag (`mod.rs`). Pure.
//!
//! Decisions:
//! - `packages[]`: one entry per `packageType` (the mail classes the pickup's shipments were
//!   bought with: `PRIORITY_MAIL_EXPRESS`, `PRIORITY_MAIL`, `USPS_GROUND_ADVANTAGE`, any
//!   international class as `INTERNATIONAL`, return services as `RETURNS`, the rest `OTHER`);
//!   without shipments, all parcels as `OTHER`.
//! - `estimatedWeight` in pounds, rounded up to 0.01 lb.
//! - `pickupLocation`: `OTHER` with the instructions as `specialInstructions` when given
//!   (the spec requires them for `OTHER`), else `FRONT_DOOR`.
//! - `contact`: the address's e-mail (required: USPS notifies by e-mail; `cellNumber` is "for
//!   future use", added when the phone is a 10-digit US number).
//! - `Addressee` needs `firstName` and `lastName`: a one-word name is refused on
//!   `/address/name`.
//! - USPS pickups have no time window (the carrier comes on the regular route): the ready and
//!   close times cannot be sent, which the confirmation's warnings say. `nextAvailablePickup`
//!   is left false so USPS never silently moves the day; if it answers another day anyway, a
//!   warning says so.

use time::Date;

use crate::error::CarrierError;
use crate::model::{PickupConfirmation, PickupRequest, WeightUnit};

use super::rate::{is_domestic, parse_date, zip};
use super::{codes, error, wire};

fn reject(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn package_type(service: &str) -> &'static str {
    match service {
        "PRIORITY_MAIL_EXPRESS" => "PRIORITY_MAIL_EXPRESS",
        "PRIORITY_MAIL" => "PRIORITY_MAIL",
        "USPS_GROUND_ADVANTAGE" => "USPS_GROUND_ADVANTAGE",
        s if s.ends_with("_RETURN_SERVICE") => "RETURNS",
        s if codes::INTERNATIONAL.contains(&s) => "INTERNATIONAL",
        _ => "OTHER",
    }
}

/// The schedule body for `req`.
pub(super) fn build(req: &PickupRequest) -> Result<wire::SchedulePickupRequest, CarrierError> {
    let a = &req.address;
    if !is_domestic(a) {
        return Err(reject(
            "/address/country",
            "USPS picks up at US addresses only",
        ));
    }
    let (first_name, last_name) = a
        .name
        .trim()
        .rsplit_once(' ')
        .map(|(f, l)| (f.trim().to_string(), l.to_string()))
        .ok_or_else(|| {
            reject(
                "/address/name",
                "USPS pickups need the contact's first and last name",
            )
        })?;
    let street = a
        .street
        .first()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| reject("/address/street", "a street line is required"))?;
    let rest = a.street[1..].join(" ");
    let state = a
        .state
        .clone()
        .filter(|s| s.len() == 2)
        .ok_or_else(|| reject("/address/state", "a 2-letter state is required"))?;
    let (zip5, plus4) = zip(a, "address")?;
    let mut contact = Vec::new();
    match a.email.as_deref().filter(|e| e.contains('@')) {
        Some(e) => contact.push(wire::Contact::Email {
            email: e.to_string(),
        }),
        None => {
            return Err(reject(
                "/address/email",
                "USPS confirms pickups by e-mail: the pickup address needs one",
            ));
        }
    }
    let digits: String = a
        .phone
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let cell = match digits.len() {
        10 => Some(digits),
        11 if digits.starts_with('1') => Some(digits[1..].to_string()),
        _ => None,
    };
    if let Some(cell_number) = cell {
        contact.push(wire::Contact::Sms { cell_number });
    }
    let mut packages: Vec<wire::PickupPackages> = Vec::new();
    for s in &req.shipments {
        let t = package_type(&s.service);
        match packages.iter_mut().find(|p| p.package_type == t) {
            Some(p) => p.package_count += s.parcels,
            None => packages.push(wire::PickupPackages {
                package_type: t,
                package_count: s.parcels,
            }),
        }
    }
    let counted: u32 = packages.iter().map(|p| p.package_count).sum();
    if counted < req.parcel_count {
        let more = req.parcel_count - counted;
        match packages.iter_mut().find(|p| p.package_type == "OTHER") {
            Some(p) => p.package_count += more,
            None => packages.push(wire::PickupPackages {
                package_type: "OTHER",
                package_count: more,
            }),
        }
    }
    if packages.is_empty() {
        return Err(reject(
            "/parcel_count",
            "a pickup needs at least one parcel",
        ));
    }
    let instructions = req
        .instructions
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty());
    if instructions.is_some_and(|i| i.chars().count() > 255) {
        return Err(reject(
            "/instructions",
            "USPS takes at most 255 characters of instructions (error 020019)",
        ));
    }
    Ok(wire::SchedulePickupRequest {
        pickup_date: iso(req.date),
        pickup_address: wire::PickupAddress {
            first_name,
            last_name,
            firm: a.company.clone().filter(|c| !c.trim().is_empty()),
            address: wire::PickupDomesticAddress {
                street_address: street.clone(),
                secondary_address: (!rest.trim().is_empty()).then_some(rest),
                city: a.city.clone(),
                state: state.to_ascii_uppercase(),
                zip_code: zip5,
                zip_plus4: plus4,
            },
            contact,
        },
        packages,
        estimated_weight: wire::Num(
            req.total_weight
                .ceil_to(rust_decimal::Decimal::new(1, 2), WeightUnit::Lb)
                .value(),
        ),
        pickup_location: wire::PickupLocation {
            package_location: if instructions.is_some() {
                "OTHER"
            } else {
                "FRONT_DOOR"
            },
            special_instructions: instructions.map(str::to_string),
        },
    })
}

/// The confirmation from USPS's answer to `req`.
pub(super) fn parse(
    resp: wire::PickupConfirmation,
    req: &PickupRequest,
) -> Result<PickupConfirmation, CarrierError> {
    let confirmation = resp
        .confirmation_number
        .ok_or_else(|| error::protocol(200, b"", "pickup answer without a confirmationNumber"))?;
    let mut warnings = vec![
        "USPS Carrier Pickup has no time window: the carrier collects during the regular delivery round"
            .to_string(),
    ];
    if let Some(day) = resp.pickup_date.as_deref().and_then(parse_date)
        && day != req.date
    {
        warnings.push(format!(
            "USPS scheduled the pickup on {} instead of {}",
            iso(day),
            iso(req.date)
        ));
    }
    Ok(PickupConfirmation {
        confirmation,
        location: None,
        charge: None,
        warnings,
    })
}

/// The pickup's path for GET and DELETE; a confirmation number is USPS's, never a path.
pub(super) fn path(confirmation: &str) -> Result<String, CarrierError> {
    let c = confirmation.trim();
    if c.is_empty() || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(reject(
            "/confirmation",
            "not a USPS Carrier Pickup confirmation number",
        ));
    }
    Ok(format!("pickup/v3/carrier-pickup/{c}"))
}
