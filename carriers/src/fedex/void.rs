//! Void: FedEx's cancel, `PUT /ship/v1/shipments/cancel`, for the whole shipment
//! (`deletionControl: DELETE_ALL_PACKAGES`: FedEx cancels every piece of the master).
//! Pure: no HTTP.
//!
//! `senderCountryCode` comes from the `carrier_shipment_id` that `ship.rs` wrote
//! (`<master>:<country>`); for a waybill we did not issue it is left out, which the schema
//! allows. `cancelledShipment: false` is FedEx refusing (the parcel was already tendered,
//! delivered or cancelled): a `Rejected` on `/tracking_number`, never retried.

use crate::error::CarrierError;
use crate::model::{CountryCode, WaybillRef};

use super::account::Account;
use super::{error, rate, wire};

/// The cancel body for `waybill`.
pub(super) fn build(waybill: &WaybillRef, account: &Account) -> wire::CancelRequest {
    let sender_country_code = waybill
        .carrier_shipment_id
        .rsplit_once(':')
        .and_then(|(_, c)| c.parse::<CountryCode>().ok())
        .map(|c| c.as_str().to_string());
    wire::CancelRequest {
        account_number: wire::AccountNumber {
            value: account.account_number.clone(),
        },
        email_shipment: false,
        sender_country_code,
        deletion_control: "DELETE_ALL_PACKAGES",
        tracking_number: waybill.tracking_number.as_str().to_string(),
    }
}

/// Whether FedEx cancelled it.
pub(super) fn parse(resp: wire::CancelResponse) -> Result<(), CarrierError> {
    let output = resp
        .output
        .ok_or_else(|| error::protocol(200, b"", "cancel response without output"))?;
    match output.cancelled_shipment {
        Some(true) => Ok(()),
        Some(false) => {
            let code = output.alerts.iter().find_map(|a| a.code.clone());
            let message = output
                .message
                .or_else(|| rate::alert_notes(&output.alerts).into_iter().next())
                .unwrap_or_else(|| {
                    "FedEx did not cancel the shipment (already tendered, delivered or cancelled)"
                        .into()
                });
            Err(CarrierError::rejected(
                super::CODE,
                "/tracking_number",
                code.as_deref(),
                message,
            ))
        }
        None => Err(error::protocol(
            200,
            b"",
            "cancel response without cancelledShipment",
        )),
    }
}
