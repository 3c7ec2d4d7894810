//! What the carriers without a system of their own share (the sandbox, and rating's table
//! rate): numbers they issue themselves, so a waybill is assembled here with no label (the hub
//! renders one) and a shipment id derived from the master number, a void is checked against
//! the numbers alone, and the limits only guard against a runaway client.

use std::time::Duration;

use crate::carrier::{CarrierCode, CarrierLimits};
use crate::error::CarrierError;
use crate::model::{Charge, Money, TrackingNumber, Waybill, WaybillRef};

/// No remote quota to respect: the limit only guards against a runaway client, and sits far
/// above what one hub instance can serve so it never shapes a benchmark.
pub const LIMITS: CarrierLimits = CarrierLimits {
    requests_per_second: 1_000_000,
    burst: 1_000_000,
    timeout: Duration::from_secs(5),
};

/// One ledgerless carrier's waybills.
pub struct Waybills {
    /// The carrier's code, for its errors.
    pub carrier: CarrierCode,
    /// How messages name its numbers (`sandbox`, `table-rate`).
    pub noun: &'static str,
    /// The shipment id is this prefix and the master number (`sbx_`, `tr_`).
    pub shipment_prefix: &'static str,
    /// Whether a number is one the carrier issued (shape and check digit).
    pub issued: fn(&TrackingNumber) -> bool,
}

impl Waybills {
    /// The shipment id of the shipment whose master number is `master`: derived, so void can
    /// check it without remembering anything.
    pub fn shipment_id(&self, master: &TrackingNumber) -> String {
        format!("{}{master}", self.shipment_prefix)
    }

    /// The waybill of `pieces` (one issued number per parcel, in parcel order; the first is
    /// the master), billed `total`, without a label document.
    pub fn waybill(
        &self,
        pieces: Vec<TrackingNumber>,
        total: Money,
        breakdown: Vec<Charge>,
        warnings: Vec<String>,
    ) -> Waybill {
        let master = pieces[0].clone();
        Waybill {
            carrier_shipment_id: self.shipment_id(&master),
            tracking_number: master,
            pieces,
            label: None,
            total: Some(total),
            breakdown,
            warnings,
        }
    }

    /// Accepts a waybill whose every number the carrier issued and whose shipment id is the
    /// master's; nothing was booked anywhere, so there is nothing else to cancel.
    pub fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        let invalid = |field: &str, n: &TrackingNumber| {
            CarrierError::rejected(
                self.carrier.clone(),
                field,
                Some("INVALID_TRACKING_NUMBER"),
                format!("`{n}` is not a {} tracking number", self.noun),
            )
        };
        if !(self.issued)(&waybill.tracking_number) {
            return Err(invalid("/tracking_number", &waybill.tracking_number));
        }
        if let Some((i, n)) = (waybill.pieces.iter().enumerate()).find(|(_, n)| !(self.issued)(n)) {
            return Err(invalid(&format!("/pieces/{i}"), n));
        }
        if waybill.carrier_shipment_id != self.shipment_id(&waybill.tracking_number) {
            return Err(CarrierError::rejected(
                self.carrier.clone(),
                "/carrier_shipment_id",
                Some("SHIPMENT_NOT_FOUND"),
                "the shipment id does not belong to this tracking number",
            ));
        }
        Ok(())
    }
}
