//! Void: USPS's label cancel, `DELETE /labels/v3/label/{trackingNumber}` (domestic) or
//! `DELETE /international-labels/v3/international-label/{trackingNumber}`, chosen by the
//! number's shape (IMpb digits or S10). Pure: no HTTP.
//!
//! USPS answers `CANCELED` (no Shipping Services File yet: the label is void and never
//! charged) or `DISPUTED` (the label was already manifested: an unused-label refund request
//! was submitted, with a `disputeId`, which USPS reviews). Both mean USPS accepted the
//! cancellation and the label must not be used; `void` succeeds for both and the dispute id
//! is returned for the record. A refusal (already used, refunded the same day, not found)
//! comes as a 400 and is a `Rejected` on `/tracking_number` (see `error.rs`).

use crate::error::CarrierError;
use crate::model::WaybillRef;

use super::{error, impb, wire};

/// The cancel path for `waybill`, or a refusal for a number that is not USPS's.
pub(super) fn path(waybill: &WaybillRef) -> Result<String, CarrierError> {
    let n = waybill.tracking_number.as_str();
    match impb::check(n) {
        Some((impb::Kind::Impb, number)) => Ok(format!("labels/v3/label/{number}")),
        Some((impb::Kind::S10, number)) => Ok(format!(
            "international-labels/v3/international-label/{number}"
        )),
        None => Err(CarrierError::rejected(
            super::CODE,
            "/tracking_number",
            None,
            format!("`{n}` is not a USPS IMpb or S10 number"),
        )),
    }
}

/// How USPS took the cancellation: `Ok(None)` cancelled, `Ok(Some(dispute id))` refund
/// requested.
pub(super) fn parse(resp: wire::CancelResponse) -> Result<Option<String>, CarrierError> {
    match resp.status.as_deref() {
        Some("CANCELED") => Ok(None),
        Some("DISPUTED") => Ok(Some(resp.dispute_id.unwrap_or_default())),
        other => Err(error::protocol(
            200,
            b"",
            format!("cancel answer with status {other:?}"),
        )),
    }
}
