//! Void: `DELETE /api/shipments/{version}/void/cancel/{shipmentidentificationnumber}`, with
//! `?trackingnumber=` to void one package of a multi-package shipment. Pure build/parse.

use crate::error::CarrierError;
use crate::model::WaybillRef;

use super::rate::{bad, rejected};
use super::ship::VERSION;
use super::wire;

/// Query parameters of a void call.
pub(super) type Query = Vec<(&'static str, String)>;

/// Path and query for voiding `waybill`. The whole shipment is voided when the waybill's
/// number is the shipment's master (UPS's `ShipmentIdentificationNumber` is the first
/// package's 1Z number); a `WaybillRef` naming another package of that shipment voids just
/// that package.
pub(super) fn build(waybill: &WaybillRef) -> Result<(String, Query), CarrierError> {
    let id = waybill.carrier_shipment_id.trim();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(rejected(
            "/carrier_shipment_id",
            "a UPS shipment identification number is letters and digits",
        ));
    }
    let path = format!("/api/shipments/{VERSION}/void/cancel/{id}");
    let query = if waybill.tracking_number.as_str() == id {
        Vec::new()
    } else {
        vec![("trackingnumber", waybill.tracking_number.to_string())]
    };
    Ok((path, query))
}

/// `Ok` when UPS says the shipment (or package) is voided: `SummaryResult.Status.Code` 1.
pub(super) fn parse(
    resp: wire::VoidResponseWrapper,
    waybill: &WaybillRef,
) -> Result<(), CarrierError> {
    let resp = resp.void_shipment_response;
    super::rate::check_status(&resp.response)?;
    let summary = resp
        .summary_result
        .as_ref()
        .and_then(|s| s.status.as_ref())
        .ok_or_else(|| bad("VoidShipmentResponse without SummaryResult.Status"))?;
    if summary.code.as_deref() != Some("1") {
        return Err(rejected(
            "/carrier_shipment_id",
            &format!(
                "UPS did not void the shipment: {}",
                summary.description.as_deref().unwrap_or("no reason given")
            ),
        ));
    }
    let failed = resp.package_level_results.iter().find(|p| {
        p.tracking_number.as_deref() == Some(waybill.tracking_number.as_str())
            && p.status.as_ref().and_then(|s| s.code.as_deref()) != Some("1")
    });
    if let Some(p) = failed {
        return Err(rejected(
            "/tracking_number",
            &format!(
                "UPS did not void package {}: {}",
                waybill.tracking_number,
                p.status
                    .as_ref()
                    .and_then(|s| s.description.as_deref())
                    .unwrap_or("no reason given")
            ),
        ));
    }
    Ok(())
}
