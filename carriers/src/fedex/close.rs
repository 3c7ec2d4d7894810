//! End of day: FedEx Ground End of Day Close, `PUT /ship/v1/endofday/` (FedEx's "Ship
//! EndofDayClose API" v1, `FullSchema_GEOD_PUT` → `SHPCResponseVO`; the facts and their
//! sources are in fixtures/SOURCES.md). Pure.
//!
//! Decisions:
//! - The close is FedEx's per account and date: `closeDate` is the closed ship date and
//!   `groundServiceCategory` `GROUND`, with no list of shipments (FedEx closes every Ground
//!   shipment of the day). The hub records the shipments it was asked to close; a warning says
//!   that FedEx closed the account's whole Ground day.
//! - Only the Ground manifest is asked (`closeDocumentTypes: ["MANIFEST"]`); `OP_950` is the
//!   hazmat report, and the hub sells no Ground hazmat.
//! - The manifest id is the MANIFEST document's `shippingCycle` ("the shipping cycle covered
//!   by the content of this document"), else FedEx's `transactionId` (a close may answer no
//!   document: a day without Ground shipments).
//! - The document: the MANIFEST's `parts[].image`, base64, in `documentPartSequenceNumber`
//!   order, kept when it is a PDF or a PNG. FedEx documents the Ground manifest as text
//!   (.txt), which no label format holds: then no document is returned and the hub draws its
//!   own page (a warning says so).
//! - Express shipments need no close; the request carries no service per waybill, so a list
//!   of Express shipments is sent all the same and FedEx answers for the Ground day.

use base64::Engine;

use crate::error::CarrierError;
use crate::model::{LabelDocument, LabelFormat, Manifest, ManifestRequest};

use super::account::Account;
use super::{error, rate, wire};

/// The close request for `req`.
pub(super) fn build(
    req: &ManifestRequest,
    account: &Account,
) -> Result<wire::EndOfDayCloseRequest, CarrierError> {
    if req.shipments.is_empty() {
        return Err(CarrierError::rejected(
            super::CODE,
            "/shipments",
            None,
            "a close covers at least one shipment",
        ));
    }
    let d = req.ship_date;
    Ok(wire::EndOfDayCloseRequest {
        close_req_type: "GCDR",
        ground_service_category: "GROUND",
        account_number: wire::AccountNumber {
            value: account.account_number.clone(),
        },
        close_date: format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        close_document_specification: wire::CloseDocumentSpecification {
            close_document_types: vec!["MANIFEST"],
        },
    })
}

/// The manifest FedEx's close answer describes.
pub(super) fn parse(resp: wire::EndOfDayCloseResponse) -> Result<Manifest, CarrierError> {
    let output = resp
        .output
        .ok_or_else(|| error::protocol(200, b"", "end of day close without output"))?;
    let mut warnings = rate::alert_notes(&output.alerts);
    warnings.push(
        "FedEx closed the account's whole Ground day (every Ground shipment of that date), \
         not only the listed shipments"
            .to_string(),
    );
    let manifest = output
        .close_documents
        .into_iter()
        .find(|d| d.kind.as_deref() == Some("MANIFEST"));
    let id = manifest
        .as_ref()
        .and_then(|d| d.shipping_cycle.clone())
        .or(resp.transaction_id)
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            error::protocol(
                200,
                b"",
                "end of day close without a shipping cycle or transaction id",
            )
        })?;
    let mut document = None;
    if let Some(mut doc) = manifest {
        doc.parts
            .sort_by_key(|p| p.document_part_sequence_number.unwrap_or(u64::MAX));
        let mut bytes = Vec::new();
        for part in &doc.parts {
            let Some(image) = part.image.as_deref() else {
                continue;
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(image.trim())
                .map_err(|e| error::protocol(200, b"", format!("close document part: {e}")))?;
            bytes.extend(decoded);
        }
        let format = if bytes.starts_with(b"%PDF") {
            Some(LabelFormat::Pdf)
        } else if bytes.starts_with(b"\x89PNG") {
            Some(LabelFormat::Png)
        } else {
            None
        };
        match format {
            // One image is one document; parts of a PDF do not concatenate into one.
            Some(format) if doc.parts.iter().filter(|p| p.image.is_some()).count() == 1 => {
                document = Some(LabelDocument {
                    format,
                    content: bytes,
                })
            }
            _ if bytes.is_empty() => {}
            _ => warnings.push(
                "FedEx's Ground manifest came as text, which the hub does not keep as a \
                 document: the hub's page lists the shipments; reprint FedEx's own with \
                 its reprint (RGCDR) within 3 days"
                    .to_string(),
            ),
        }
    }
    Ok(Manifest {
        carrier_manifest_id: id,
        document,
        tracking_numbers: Vec::new(),
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::fedex::tests::FX;

    fn account() -> Account {
        Account::from_json(&json!({
            "api_key": "l7xx-test-key", "secret_key": "test-secret", "account_number": "740561073"
        }))
        .unwrap()
    }

    fn answer(v: serde_json::Value) -> Result<Manifest, CarrierError> {
        parse(serde_json::from_value(v).unwrap())
    }

    #[test]
    fn a_close_asks_the_ground_manifest_of_the_account_for_the_ship_date() {
        let req: ManifestRequest = FX.typed("close/ground.input");
        let body = build(&req, &account()).unwrap();
        FX.assert_json("close/ground.wire_request", &body);
        let empty = ManifestRequest {
            shipments: vec![],
            ..req
        };
        assert!(matches!(
            build(&empty, &account()),
            Err(CarrierError::Rejected { .. })
        ));
    }

    #[test]
    fn a_text_manifest_names_its_cycle_and_leaves_the_page_to_the_hub() {
        let m = answer(FX.load("close/ground.wire_response")).unwrap();
        assert_eq!(m.carrier_manifest_id, "1003234523333204");
        assert_eq!(m.document, None);
        assert!(m.tracking_numbers.is_empty());
        assert_eq!(m.warnings[0], "CLOSE.NOTE: Close processed.");
        assert!(m.warnings.iter().any(|w| w.contains("whole Ground day")));
        assert!(m.warnings.iter().any(|w| w.contains("came as text")));
    }

    #[test]
    fn a_pdf_manifest_is_kept_and_a_close_without_documents_is_named_by_its_transaction() {
        let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 manifest");
        let m = answer(
            json!({"transactionId": "t-1", "output": {"closeDocuments": [
            {"type": "OP_950", "shippingCycle": "9", "parts": [{"image": "AAAA"}]},
            {"type": "MANIFEST", "shippingCycle": "1003", "parts": [
                {"documentPartSequenceNumber": "1", "image": pdf}]}]}}),
        )
        .unwrap();
        assert_eq!(m.carrier_manifest_id, "1003");
        assert_eq!(
            m.document,
            Some(LabelDocument {
                format: LabelFormat::Pdf,
                content: b"%PDF-1.4 manifest".to_vec()
            })
        );
        let m = answer(json!({"transactionId": "t-2", "output": {"alerts": []}})).unwrap();
        assert_eq!((m.carrier_manifest_id.as_str(), m.document), ("t-2", None));
        for bad in [
            json!({"transactionId": "t-3"}),
            json!({"output": {}}),
            json!({"output": {"closeDocuments": [{"type": "MANIFEST", "shippingCycle": "1",
                "parts": [{"image": "not base64!"}]}]}}),
        ] {
            assert!(
                matches!(answer(bad.clone()), Err(CarrierError::Protocol { .. })),
                "{bad}"
            );
        }
    }
}
