//! Pickup (Pickup.yaml): creation `POST /api/pickupcreation/{version}/pickup`, cancel
//! `DELETE /api/shipments/{version}/pickup/02` with the PRN in the `Prn` header (`CancelBy`
//! 02 = PRN). Pure `build`/`parse`; no I/O.

use rust_decimal::Decimal;
use time::Time;

use crate::error::CarrierError;
use crate::model::{Money, PickupConfirmation, PickupRequest, WeightUnit};

use super::account::Account;
use super::rate::{self, bad, cut, rejected, weight_string};
use super::wire;

/// `version` default in Pickup.yaml.
pub(super) const VERSION: &str = "v2409";

pub(super) fn create_path() -> String {
    format!("/api/pickupcreation/{VERSION}/pickup")
}

/// `CancelBy` 02: by PRN, given in the `Prn` header.
pub(super) fn cancel_path() -> String {
    format!("/api/shipments/{VERSION}/pickup/02")
}

/// `HHmm`, Pickup.yaml's time format.
fn hhmm(t: Time) -> String {
    format!("{:02}{:02}", t.hour(), t.minute())
}

/// The creation request. Decisions where the spec leaves a choice:
/// - `RatePickupIndicator` Y, paid by the shipper's account (`PaymentMethod` 01, with
///   `Shipper.Account`), so the confirmation carries UPS's charge;
/// - `AlternateAddressIndicator` Y: the address given is where to collect, whatever the
///   account's profile says;
/// - `PickupPiece` per (service, destination) of the shipments covered; the service is the
///   shipping code as the three-digit pickup service code ("001" for "01", as in the spec's
///   example and UPS's pickup service appendix, *ext*). Without shipments, one piece of
///   UPS Ground ("003") inside the US/PR or UPS Standard ("011") elsewhere, to the pickup's
///   own country;
/// - `OverweightIndicator` Y when the parcels average over 70 lb (then at least one is).
pub(super) fn build(
    req: &PickupRequest,
    account: &Account,
) -> Result<wire::PickupCreationRequestWrapper, CarrierError> {
    let a = &req.address;
    if req.close_time <= req.ready_time {
        return Err(rejected(
            "/close_time",
            "the close time must be after the ready time",
        ));
    }
    if req.parcel_count == 0 {
        return Err(rejected(
            "/parcel_count",
            "a pickup needs at least one parcel",
        ));
    }
    let phone = a
        .phone
        .as_deref()
        .filter(|p| p.chars().any(|c| c.is_ascii_digit()))
        .ok_or_else(|| rejected("/address/phone", "UPS needs a phone number for a pickup"))?;
    let us = matches!(a.country.as_str(), "US" | "PR");
    let mut pieces: Vec<wire::PickupPiece> = Vec::new();
    for s in &req.shipments {
        let code = format!("{:0>3}", s.service);
        match pieces
            .iter_mut()
            .find(|p| p.service_code == code && p.destination_country_code == s.destination_country)
        {
            Some(p) => {
                let n: u32 = p.quantity.parse().unwrap_or(0) + s.parcels;
                p.quantity = n.to_string();
            }
            None => pieces.push(wire::PickupPiece {
                service_code: code,
                quantity: s.parcels.to_string(),
                destination_country_code: s.destination_country.clone(),
                container_code: "01".into(),
            }),
        }
    }
    if pieces.is_empty() {
        pieces.push(wire::PickupPiece {
            service_code: if us { "003" } else { "011" }.into(),
            quantity: req.parcel_count.to_string(),
            destination_country_code: a.country.as_str().to_string(),
            container_code: "01".into(),
        });
    }
    // "Max per service: 999" (PickupPiece.Quantity).
    if pieces
        .iter()
        .any(|p| p.quantity.parse::<u32>().unwrap_or(0) > 999)
    {
        return Err(rejected(
            "/parcel_count",
            "UPS picks up at most 999 parcels per service",
        ));
    }
    let unit = if us { WeightUnit::Lb } else { WeightUnit::Kg };
    let total = req.total_weight.to(unit).value();
    let weight = weight_string(total);
    if weight.len() > 6 {
        return Err(rejected(
            "/total_weight",
            "UPS takes a total weight of at most 6 characters",
        ));
    }
    let average_lb = req.total_weight.to(WeightUnit::Lb).value() / Decimal::from(req.parcel_count);
    let postal_code = a.postal_code.as_deref().map(|p| {
        if p.len() > 8 {
            // A US ZIP+4 does not fit the 8 characters: the 5-digit ZIP does.
            p.split(['-', ' '])
                .next()
                .unwrap_or(p)
                .chars()
                .take(8)
                .collect()
        } else {
            p.to_string()
        }
    });
    Ok(wire::PickupCreationRequestWrapper {
        pickup_creation_request: wire::PickupCreationRequest {
            request: wire::PickupRequestHeader {
                transaction_reference: wire::TransactionReference {
                    customer_context: "shiphub pickup".into(),
                },
            },
            rate_pickup_indicator: "Y".into(),
            shipper: wire::PickupShipper {
                account: wire::PickupAccount {
                    account_number: account.account_number.clone(),
                    account_country_code: a.country.as_str().to_string(),
                },
            },
            pickup_date_info: wire::PickupDateInfo {
                close_time: hhmm(req.close_time),
                ready_time: hhmm(req.ready_time),
                pickup_date: rate::yyyymmdd(req.date),
            },
            pickup_address: wire::PickupAddress {
                company_name: cut(a.company.as_deref().unwrap_or(&a.name), 27),
                contact_name: cut(&a.name, 22),
                // "only one AddressLine is allowed" (Pickup.yaml), up to 73 characters.
                address_line: vec![cut(&a.street.join(", "), 73)],
                city: cut(&a.city, 50),
                state_province: a.state.as_ref().map(|s| cut(s, 50)),
                postal_code,
                country_code: a.country.as_str().to_string(),
                residential_indicator: if a.residential { "Y" } else { "N" }.into(),
                phone: wire::Phone {
                    number: cut(&rate::phone(phone).number, 25),
                },
            },
            alternate_address_indicator: "Y".into(),
            pickup_piece: pieces,
            total_weight: wire::PickupWeight {
                weight,
                unit_of_measurement: if us { "LBS" } else { "KGS" }.into(),
            },
            overweight_indicator: if average_lb > Decimal::from(70) {
                "Y"
            } else {
                "N"
            }
            .into(),
            payment_method: "01".into(),
            special_instruction: req
                .instructions
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(|i| cut(i, 57)),
        },
    })
}

/// The confirmation: UPS's PRN, its charge when it rated the pickup (`RateStatus` 01 with
/// `RateResult.GrandTotalOfAllCharge`), its alerts as warnings.
pub(super) fn parse(
    resp: wire::PickupCreationResponseWrapper,
) -> Result<PickupConfirmation, CarrierError> {
    let r = resp.pickup_creation_response;
    rate::check_status(&r.response)?;
    let prn = r
        .prn
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| bad("PickupCreationResponse without PRN"))?
        .to_string();
    let rated = r.rate_status.as_ref().and_then(|s| s.code.as_deref()) == Some("01");
    let charge = match (rated, &r.rate_result) {
        (true, Some(rr)) => {
            let currency = rr
                .currency_code
                .as_deref()
                .ok_or_else(|| bad("RateResult without CurrencyCode"))?
                .parse()
                .map_err(|e: crate::model::InvalidValue| bad(format!("currency: {}", e.message)))?;
            let amount: Decimal = rr
                .grand_total_of_all_charge
                .as_deref()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| bad("RateResult without a numeric GrandTotalOfAllCharge"))?;
            Some(Money::new(amount, currency))
        }
        _ => None,
    };
    Ok(PickupConfirmation {
        confirmation: prn,
        location: None,
        charge,
        warnings: r
            .response
            .alert
            .iter()
            .map(|a| super::track::note(a.code.as_deref(), a.description.as_deref()))
            .collect(),
    })
}

/// A cancel answer: success unless `ResponseStatus` says failure.
pub(super) fn parse_cancel(resp: wire::PickupCancelResponseWrapper) -> Result<(), CarrierError> {
    rate::check_status(&resp.pickup_cancel_response.response)
}

/// The PRN as UPS's `Prn` header wants it.
pub(super) fn prn(confirmation: &str) -> Result<String, CarrierError> {
    let p = confirmation.trim();
    if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(rejected(
            "/confirmation",
            "a UPS pickup request number (PRN) is letters and digits",
        ));
    }
    Ok(p.to_string())
}
