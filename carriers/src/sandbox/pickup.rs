//! The sandbox's courier pickups and end-of-day manifests: stateless and deterministic, like
//! the rest of the sandbox.
//!
//! - **Pickup**: the confirmation number is derived from the request (`SBXP`, the pickup day
//!   as `YYYYMMDD`, then eight hex digits of a SHA-256 of the request), so the same booking
//!   always gets the same number. Refused: a day before the sandbox's today (`/date`), a close
//!   time not after the ready time (`/close_time`), no parcels (`/parcel_count`). The tokens
//!   `CARRIER_DOWN` / `REJECT` in `instructions` or the pickup address's name or company fail
//!   the booking as in `ship` (an outage before anything was booked, a refusal of that field).
//! - **Cancel**: any confirmation of this shape whose day is the booked day, not yet past.
//!   Stateless: cancelling twice is accepted twice (the hub refuses a second cancel itself).
//! - **Manifest**: every waybill must be a sandbox number; the id looks like a USPS SCAN form
//!   (`9475` and 18 digits), derived from the ship date and the numbers. No document: the
//!   hub draws the manifest page, as it draws the sandbox's labels. `CARRIER_DOWN` / `REJECT`
//!   in the origin's name or company script failures (`/from/name`, `/from/company`).

use sha2::{Digest, Sha256};
use time::Date;
use time::macros::format_description;

use super::{check_tokens, number, rejected};
use crate::error::CarrierError;
use crate::model::{
    Address, Manifest, ManifestRequest, PickupConfirmation, PickupRef, PickupRequest,
    TrackingNumber,
};

const CONFIRMATION_PREFIX: &str = "SBXP";
const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]");

/// Books a pickup as of `today`.
pub(super) fn schedule(
    req: &PickupRequest,
    today: Date,
) -> Result<PickupConfirmation, CarrierError> {
    if let Some(text) = &req.instructions {
        check_tokens(text, "/instructions")?;
    }
    check_place(&req.address, "/address")?;
    if req.date < today {
        return Err(rejected(
            "/date",
            "PICKUP_DATE",
            format!("the pickup day {} has passed (today is {today})", req.date),
        ));
    }
    if req.close_time <= req.ready_time {
        return Err(rejected(
            "/close_time",
            "PICKUP_WINDOW",
            "the close time must be after the ready time",
        ));
    }
    if req.parcel_count == 0 {
        return Err(rejected(
            "/parcel_count",
            "PICKUP_COUNT",
            "a pickup needs at least one parcel",
        ));
    }
    let canonical = serde_json::to_vec(req).expect("pickup requests serialize");
    let digest = Sha256::digest(&canonical);
    Ok(PickupConfirmation {
        confirmation: format!(
            "{CONFIRMATION_PREFIX}{}{}",
            day_text(req.date),
            hex::encode_upper(&digest[..4])
        ),
        location: None,
        charge: None,
        warnings: Vec::new(),
    })
}

/// Cancels a booked pickup as of `today`.
pub(super) fn cancel(pickup: &PickupRef, today: Date) -> Result<(), CarrierError> {
    let booked_day = pickup
        .confirmation
        .strip_prefix(CONFIRMATION_PREFIX)
        .filter(|rest| rest.len() == 16 && rest[8..].bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|rest| Date::parse(&rest[..8], DAY).ok());
    let Some(booked_day) = booked_day else {
        return Err(rejected(
            "/confirmation",
            "PICKUP_NOT_FOUND",
            format!("`{}` is not a sandbox pickup", pickup.confirmation),
        ));
    };
    if booked_day != pickup.date {
        return Err(rejected(
            "/date",
            "PICKUP_NOT_FOUND",
            format!(
                "pickup {} is booked for {booked_day}, not {}",
                pickup.confirmation, pickup.date
            ),
        ));
    }
    if booked_day < today {
        return Err(rejected(
            "/date",
            "PICKUP_PAST",
            format!(
                "pickup {} was on {booked_day}: too late to cancel",
                pickup.confirmation
            ),
        ));
    }
    Ok(())
}

/// Closes a ship date.
pub(super) fn manifest(req: &ManifestRequest) -> Result<Manifest, CarrierError> {
    check_place(&req.from, "/from")?;
    if req.shipments.is_empty() {
        return Err(rejected(
            "/shipments",
            "MANIFEST_EMPTY",
            "a manifest needs at least one shipment",
        ));
    }
    let mut numbers: Vec<TrackingNumber> = Vec::new();
    for (i, w) in req.shipments.iter().enumerate() {
        for n in std::iter::once(&w.tracking_number).chain(&w.pieces) {
            if number::decode(n).is_none() {
                return Err(rejected(
                    &format!("/shipments/{i}"),
                    "MANIFEST_NUMBER",
                    format!("{n} is not a sandbox tracking number"),
                ));
            }
            if !numbers.contains(n) {
                numbers.push(n.clone());
            }
        }
    }
    let mut hash = Sha256::new();
    hash.update(day_text(req.ship_date));
    let mut sorted: Vec<&str> = numbers.iter().map(TrackingNumber::as_str).collect();
    sorted.sort_unstable();
    for n in sorted {
        hash.update(b"\n");
        hash.update(n);
    }
    let digest = hash.finalize();
    let mut value = u128::from_be_bytes(digest[..16].try_into().expect("16 bytes"));
    value %= 10u128.pow(18);
    Ok(Manifest {
        carrier_manifest_id: format!("9475{value:018}"),
        document: None,
        tracking_numbers: numbers,
        warnings: Vec::new(),
    })
}

fn day_text(d: Date) -> String {
    d.format(DAY).expect("dates format")
}

/// The failure tokens in a place's name or company, at `at` + `/name` or `/company`.
fn check_place(a: &Address, at: &str) -> Result<(), CarrierError> {
    check_tokens(&a.name, &format!("{at}/name"))?;
    match &a.company {
        Some(c) => check_tokens(c, &format!("{at}/company")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, WaybillRef, Weight};
    use serde_json::json;
    use time::macros::{date, time};

    fn address(name: &str) -> Address {
        serde_json::from_value(
            json!({"name": name, "street": ["100 Main St"], "city": "Atlanta",
            "state": "GA", "postal_code": "30301", "country": "US"}),
        )
        .unwrap()
    }

    fn request() -> PickupRequest {
        PickupRequest {
            address: address("Dock 3"),
            date: date!(2026 - 12 - 08),
            ready_time: time!(09:00),
            close_time: time!(17:00),
            parcel_count: 2,
            total_weight: serde_json::from_value::<Weight>(json!({"value": "3", "unit": "kg"}))
                .unwrap(),
            shipments: Vec::new(),
            instructions: Some("Back door".into()),
        }
    }

    const TODAY: Date = date!(2026 - 12 - 07);

    #[test]
    fn the_confirmation_is_derived_from_the_request() {
        let a = schedule(&request(), TODAY).unwrap();
        let b = schedule(&request(), TODAY).unwrap();
        assert_eq!(a, b);
        assert!(
            a.confirmation.starts_with("SBXP20261208"),
            "{}",
            a.confirmation
        );
        assert_eq!(a.confirmation.len(), 20);
        let mut other = request();
        other.parcel_count = 3;
        assert_ne!(
            schedule(&other, TODAY).unwrap().confirmation,
            a.confirmation
        );
    }

    #[test]
    fn bad_bookings_are_refused_naming_the_field() {
        let field = |r: Result<PickupConfirmation, CarrierError>| match r {
            Err(CarrierError::Rejected { errors, .. }) => errors[0].field.clone(),
            other => panic!("expected a rejection, got {other:?}"),
        };
        let mut past = request();
        past.date = date!(2026 - 12 - 06);
        assert_eq!(field(schedule(&past, TODAY)), "/date");
        let mut window = request();
        window.close_time = time!(09:00);
        assert_eq!(field(schedule(&window, TODAY)), "/close_time");
        let mut none = request();
        none.parcel_count = 0;
        assert_eq!(field(schedule(&none, TODAY)), "/parcel_count");
        let mut reject = request();
        reject.instructions = Some("please REJECT".into());
        assert_eq!(field(schedule(&reject, TODAY)), "/instructions");
        let mut down = request();
        down.address = address("CARRIER_DOWN dock");
        assert!(matches!(
            schedule(&down, TODAY),
            Err(CarrierError::Transient {
                maybe_processed: false,
                ..
            })
        ));
    }

    #[test]
    fn a_booked_pickup_cancels_until_its_day_has_passed() {
        let c = schedule(&request(), TODAY).unwrap();
        let booked = PickupRef {
            confirmation: c.confirmation.clone(),
            location: None,
            date: request().date,
            address: request().address,
        };
        cancel(&booked, TODAY).unwrap();
        assert!(cancel(&booked, date!(2026 - 12 - 09)).is_err());
        let wrong_day = PickupRef {
            date: date!(2026 - 12 - 10),
            ..booked.clone()
        };
        assert!(cancel(&wrong_day, TODAY).is_err());
        let unknown = PickupRef {
            confirmation: "PRN123".into(),
            ..booked
        };
        assert!(cancel(&unknown, TODAY).is_err());
    }

    fn waybill(n: &TrackingNumber) -> WaybillRef {
        WaybillRef {
            tracking_number: n.clone(),
            carrier_shipment_id: format!("sbx_{n}"),
            pieces: vec![n.clone()],
        }
    }

    #[test]
    fn a_manifest_takes_every_number_once_under_a_scan_form_like_id() {
        let at = time::macros::datetime!(2026-12-07 10:00 UTC);
        let j = number::Journey::new(at.date(), at.date(), 2, false);
        let a = number::issue(number::Scenario::Deliver, at, j);
        let b = number::issue(number::Scenario::Deliver, at, j);
        let req = ManifestRequest {
            ship_date: TODAY,
            from: address("Shipper"),
            shipments: vec![waybill(&a), waybill(&b)],
        };
        let m = manifest(&req).unwrap();
        assert_eq!(m.tracking_numbers, vec![a.clone(), b.clone()]);
        assert_eq!(m.carrier_manifest_id.len(), 22);
        assert!(m.carrier_manifest_id.starts_with("9475"));
        assert!(m.carrier_manifest_id.bytes().all(|c| c.is_ascii_digit()));
        // Order does not change the id; another day does.
        let swapped = ManifestRequest {
            shipments: vec![waybill(&b), waybill(&a)],
            ..req.clone()
        };
        assert_eq!(
            manifest(&swapped).unwrap().carrier_manifest_id,
            m.carrier_manifest_id
        );
        let later = ManifestRequest {
            ship_date: date!(2026 - 12 - 08),
            ..req.clone()
        };
        assert_ne!(
            manifest(&later).unwrap().carrier_manifest_id,
            m.carrier_manifest_id
        );
        let foreign = ManifestRequest {
            shipments: vec![waybill(&"1Z999AA10123456784".parse().unwrap())],
            ..req
        };
        match manifest(&foreign) {
            Err(CarrierError::Rejected { errors, .. }) => {
                assert_eq!(errors[0].field, "/shipments/0")
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
}
