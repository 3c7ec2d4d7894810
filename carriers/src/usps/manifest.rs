//! End of day: a PS Form 5630 SCAN form, `POST /scan-forms/v3/scan-form` (`scan-forms.yaml`)
//! with a `LabelShipment` (the day's tracking numbers), asked as
//! `application/vnd.usps.labels+json` (`SCANFormVendorResponse`: metadata and the base64
//! `SCANFormImage` in one document). The default answer is multipart (the published samples
//! `api-examples/SCANForm-*-response.json`: a JSON part, then the form as a base64 PDF part);
//! `parse_multipart` reads that too, so either shape gives the real PDF bytes. Pure.
//!
//! Decisions:
//! - `entryFacilityZIPCode` is the origin's 5-digit ZIP and `destinationEntryFacilityType`
//!   `NONE`: our labels are bought with `destinationEntryFacilityType: NONE`, entered at the
//!   origin Post Office ("local time will be based on … `fromAddress.ZIPCode`"), and every
//!   label of a form must share both (errors 160161/160162).
//! - `mailingDate` is the closed ship date; `overwriteMailingDate` stays `false` (the spec
//!   default): a label bought for another day is USPS's to refuse (error 160006), not ours to
//!   redate.
//! - `imageInfo`: `PDF`, `8.5X11LABEL` (form 5630; `4X6LABEL` would be the 5630-S).
//! - The manifest id is the form's `manifestNumber` (its Electronic File Number, the form's
//!   own IMpb number); the numbers taken are the answer's `trackingNumbers`, and any asked
//!   number missing from it is a warning.
//! - International (S10) numbers go on the same form: USPS's `trackingNumbers` take any label.

use base64::Engine;

use crate::error::CarrierError;
use crate::model::{LabelDocument, LabelFormat, Manifest, ManifestRequest, TrackingNumber};

use super::rate::{is_domestic, zip};
use super::{error, wire};

fn reject(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

/// The SCAN form request for `req`.
pub(super) fn build(req: &ManifestRequest) -> Result<wire::ScanFormRequest, CarrierError> {
    if !is_domestic(&req.from) {
        return Err(reject(
            "/from/country",
            "USPS SCAN forms are for US origins",
        ));
    }
    if req.shipments.is_empty() {
        return Err(reject(
            "/shipments",
            "a SCAN form lists at least one label (USPS error 160037 otherwise)",
        ));
    }
    let (zip5, _) = zip(&req.from, "from")?;
    let mut from_address = super::ship::domestic_address(&req.from, "from")?;
    from_address.phone = None;
    from_address.email = None;
    let mut numbers: Vec<String> = Vec::new();
    for s in &req.shipments {
        let pieces = if s.pieces.is_empty() {
            std::slice::from_ref(&s.tracking_number)
        } else {
            s.pieces.as_slice()
        };
        for n in pieces {
            if !numbers.iter().any(|x| x == n.as_str()) {
                numbers.push(n.as_str().to_string());
            }
        }
    }
    let d = req.ship_date;
    Ok(wire::ScanFormRequest {
        image_info: wire::ScanFormImageInfo {
            image_type: "PDF",
            label_type: "8.5X11LABEL",
        },
        mailing_date: format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        overwrite_mailing_date: false,
        entry_facility_zip_code: zip5,
        destination_entry_facility_type: "NONE",
        shipment: wire::LabelShipment {
            tracking_numbers: numbers,
        },
        from_address,
    })
}

/// The manifest from the vendor JSON answer.
pub(super) fn parse(
    resp: wire::ScanFormResponse,
    asked: &wire::ScanFormRequest,
) -> Result<Manifest, CarrierError> {
    let image = resp.scan_form_image.clone();
    let pdf = match image.as_deref() {
        Some(b64) => Some(decode(b64)?),
        None => None,
    };
    manifest(resp, pdf, asked)
}

fn decode(b64: &str) -> Result<Vec<u8>, CarrierError> {
    let compact: String = b64.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| error::protocol(200, b"", format!("SCANFormImage is not base64: {e}")))
}

fn manifest(
    resp: wire::ScanFormResponse,
    pdf: Option<Vec<u8>>,
    asked: &wire::ScanFormRequest,
) -> Result<Manifest, CarrierError> {
    let id = resp
        .manifest_number
        .ok_or_else(|| error::protocol(200, b"", "SCAN form answer without a manifestNumber"))?;
    let document = match pdf {
        Some(content) if content.starts_with(b"%PDF-") => Some(LabelDocument {
            format: LabelFormat::Pdf,
            content,
        }),
        Some(_) => {
            return Err(error::protocol(
                200,
                b"",
                "the SCAN form image asked as PDF is not a PDF",
            ));
        }
        None => None,
    };
    let mut warnings = Vec::new();
    let mut tracking_numbers = Vec::new();
    for n in &resp.tracking_numbers {
        match n.parse::<TrackingNumber>() {
            Ok(t) => tracking_numbers.push(t),
            Err(_) => warnings.push(format!("USPS listed `{n}`, which is not a tracking number")),
        }
    }
    for n in &asked.shipment.tracking_numbers {
        if !resp.tracking_numbers.iter().any(|t| t == n) {
            warnings.push(format!("USPS left {n} off the SCAN form"));
        }
    }
    if document.is_none() {
        warnings.push("USPS sent no SCAN form image".into());
    }
    Ok(Manifest {
        carrier_manifest_id: id,
        document,
        tracking_numbers,
        warnings,
    })
}

/// The manifest from the default multipart answer (`Content-Type: multipart/form-data;
/// boundary=…`): the first part is the metadata JSON, the next the form, base64 ("Ignore the
/// Content-Transfer-Encoding header … The contents of this part are always Base64 encoded").
pub(super) fn parse_multipart(
    content_type: &str,
    body: &[u8],
    asked: &wire::ScanFormRequest,
) -> Result<Manifest, CarrierError> {
    let bad = |m: &str| error::protocol(200, body, m.to_string());
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
        .ok_or_else(|| bad("multipart SCAN form answer without a boundary"))?;
    let text =
        std::str::from_utf8(body).map_err(|_| bad("multipart SCAN form answer is not text"))?;
    let delimiter = format!("--{boundary}");
    let parts: Vec<&str> = text
        .split(delimiter.as_str())
        .map(|p| p.trim_start_matches("\r\n").trim_start_matches('\n'))
        .filter(|p| !p.trim().is_empty() && !p.starts_with("--"))
        .collect();
    let body_of = |part: &str| -> Option<String> {
        let at = part
            .find("\r\n\r\n")
            .map(|i| i + 4)
            .or_else(|| part.find("\n\n").map(|i| i + 2))?;
        Some(part[at..].trim().to_string())
    };
    let meta_part = parts
        .first()
        .and_then(|p| body_of(p))
        .ok_or_else(|| bad("multipart SCAN form answer without its metadata part"))?;
    let meta: wire::ScanFormResponse =
        serde_json::from_str(&meta_part).map_err(|e| bad(&format!("SCAN form metadata: {e}")))?;
    let pdf = match parts.get(1).and_then(|p| body_of(p)) {
        Some(b64) => Some(decode(&b64)?),
        None => None,
    };
    manifest(meta, pdf, asked)
}

/// Whether an answer's `Content-Type` is multipart.
pub(super) fn is_multipart(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| {
        c.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/")
    })
}
