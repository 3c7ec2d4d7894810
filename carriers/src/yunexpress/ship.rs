//! Ship: our `ShipRequest` to `POST /v1/order/package/create` (单票寄件) with its customs
//! declaration, the answer back to a `Waybill`; the label answer (`GET /v1/order/label/get`)
//! to a document; the cancel body. Pure: no HTTP, no clock.
//!
//! Decisions:
//! - Numbers: YunExpress answers a waybill number (`waybill_number`, `YT` + 16 digits) and,
//!   now or later (`track_type` W), a last-mile tracking number (`tracking_number`, the
//!   destination carrier's, such as a postal `LE…CN`). The hub follows the waybill number:
//!   it exists at once, YunExpress's own tracking answers for it from the first scan in
//!   Shenzhen to delivery, and the last-mile number may change on the way
//!   (`CHANGE_WAYBILL_INFO`). The waybill number is also what cancel takes, so it is the
//!   `carrier_shipment_id` too; the last-mile number travels as a warning.
//! - Customs: every item needs its Chinese name (`name_local`, YunExpress's declaration name
//!   for China's export customs) besides the English one (`name_en`): a missing one is
//!   refused at `/customs/items/{i}/local_description` before anything is sent. The
//!   declaration's currency is sent as it is (`currency` per item, "USD, EUR, CNY" in the
//!   spec; YunExpress's default is USD): no conversion, no refusal. The item's origin country
//!   has no field in YunExpress's declaration and is not sent (SOURCES.md).
//! - Parties: the whole name is `first_name` (the spec's own examples put a full name there
//!   and leave `last_name` empty); a Chinese address's district leads its first street line
//!   (YunExpress's `ContactParty` has province, city and address lines only).
//! - Labels: always asked as PDF (`label_type`), the only format declared; a ZPL or PNG
//!   request is answered with the PDF and a warning (the hub converts).

use base64::Engine;

use crate::error::CarrierError;
use crate::model::{
    Address, ContentType, LabelDocument, LabelFormat, LengthUnit, ShipRequest, TrackingNumber,
    Waybill,
};

use super::rate::{centimetres, kilograms, validate};
use super::{codes, error, wire};

/// Paths under the base URL.
pub(super) const CREATE_PATH: &str = "v1/order/package/create";
pub(super) const LABEL_PATH: &str = "v1/order/label/get";
pub(super) const CANCEL_PATH: &str = "v1/order/cancel";

fn rejected(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

/// Truncated to `max` characters, on a character boundary.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn party(a: &Address) -> wire::Party {
    let mut lines: Vec<String> = a.street.clone();
    if let (Some(d), Some(first)) = (a.district.as_deref(), lines.first_mut())
        && !first.starts_with(d)
    {
        *first = format!("{d}{first}");
    }
    wire::Party {
        first_name: a.name.clone(),
        last_name: None,
        company: a.company.clone(),
        country_code: a.country.as_str().to_string(),
        province: a.state.clone(),
        city: a.city.clone(),
        address_lines: lines,
        postal_code: a.postal_code.clone(),
        phone_number: a.phone.clone(),
        email: a.email.clone(),
    }
}

/// The create-package body for `req`, under the shipper's order number
/// `customer_order_number` (1–50 characters, unique per customer).
pub(super) fn build(
    req: &ShipRequest,
    customer_order_number: &str,
) -> Result<wire::CreatePackage, CarrierError> {
    let shipment = &req.shipment;
    validate(shipment)?;
    let service = codes::service_info(&req.service).ok_or_else(|| {
        rejected(
            "/service",
            format!(
                "`{}` is not a YunExpress product we can ship (see GET /v1/carriers)",
                req.service
            ),
        )
    })?;
    let customs = shipment.customs.as_ref().ok_or_else(|| {
        rejected(
            "/customs",
            "YunExpress needs a customs declaration (HS code, value, English and Chinese names)",
        )
    })?;
    let mut declaration_info = Vec::new();
    for (i, item) in customs.items.iter().enumerate() {
        let local = item
            .local_description
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                rejected(
                    &format!("/customs/items/{i}/local_description"),
                    "YunExpress declares every item in Chinese as well (name_local): give its Chinese name",
                )
            })?;
        declaration_info.push(wire::Declaration {
            sku_code: item.sku.clone(),
            name_local: cut(local, 200),
            name_en: cut(item.description.trim(), 200),
            quantity: item.quantity,
            unit_price: wire::Num(item.unit_value.amount()),
            unit_weight: wire::Num(kilograms(item.unit_weight)),
            currency: item.unit_value.currency().to_string(),
            hs_code: item.hs_code.as_str().to_string(),
        });
    }
    let ids = &customs.importer;
    let customs_number =
        (ids.ioss.is_some() || ids.vat.is_some() || ids.eori.is_some()).then(|| {
            wire::CustomsNumber {
                ioss_code: ids.ioss.clone(),
                vat_code: ids.vat.clone(),
                eori_number: ids.eori.clone(),
            }
        });
    let parcel = &shipment.parcels[0];
    let dims = parcel.dimensions.map(|d| d.to(LengthUnit::Cm));
    Ok(wire::CreatePackage {
        product_code: service.code.to_string(),
        customer_order_number: cut(customer_order_number, 50),
        weight_unit: "KG",
        size_unit: "CM",
        packages: vec![wire::Package {
            weight: wire::Num(kilograms(parcel.weight)),
            length: dims.map(|d| wire::Num(centimetres(d.length()))),
            width: dims.map(|d| wire::Num(centimetres(d.width()))),
            height: dims.map(|d| wire::Num(centimetres(d.height()))),
        }],
        receiver: party(&shipment.to),
        sender: party(&shipment.from),
        declaration_info,
        customs_number,
        // `sensitive_type`: W parcel, D documents (F split order, L envelope).
        sensitive_type: if customs.content_type == ContentType::Documents {
            "D"
        } else {
            "W"
        },
        label_type: "PDF",
    })
}

/// The waybill from a create-package `result`, without its label yet.
pub(super) fn parse(created: wire::Created, req: &ShipRequest) -> Result<Waybill, CarrierError> {
    let raw = created.waybill_number.as_deref();
    let waybill: TrackingNumber = raw.and_then(|s| s.parse().ok()).ok_or_else(|| {
        error::DIALECT.protocol(
            200,
            b"",
            format!("create answer: waybill_number missing or not a number ({raw:?})"),
        )
    })?;
    let mut warnings = Vec::new();
    match (
        created.tracking_number.as_deref(),
        created.track_type.as_deref(),
    ) {
        (Some(t), _) if t != waybill.as_str() => warnings.push(format!(
            "YunExpress last-mile tracking number {t} (the hub tracks waybill {waybill})"
        )),
        (None, Some("W")) => warnings
            .push("YunExpress assigns the last-mile tracking number later (track_type W)".into()),
        _ => {}
    }
    let remote = match &created.remote_area {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("Y") || s == "true",
        Some(serde_json::Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    };
    if remote {
        warnings
            .push("YunExpress marks the address remote (偏远): a remote-area fee applies".into());
    }
    if req.label_format != LabelFormat::Pdf {
        warnings.push("YunExpress labels are PDF; the hub converts it".into());
    }
    Ok(Waybill {
        tracking_number: waybill.clone(),
        pieces: vec![waybill.clone()],
        carrier_shipment_id: waybill.as_str().to_string(),
        label: None,
        total: None,
        breakdown: Vec::new(),
        warnings,
    })
}

/// Where the label of a label answer is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum LabelSource {
    /// In the answer (`label_string`, base64).
    Inline(LabelDocument),
    /// To download (`url`).
    Url(String),
}

/// The label of a label `result`: its base64 `label_string` when present, else its `url`.
pub(super) fn label(l: wire::Label) -> Result<LabelSource, CarrierError> {
    if let Some(kind) = l.label_type.as_deref()
        && !kind.eq_ignore_ascii_case("PDF")
    {
        return Err(error::DIALECT.protocol(
            200,
            b"",
            format!("label answer: `{kind}` where PDF was asked"),
        ));
    }
    if let Some(b64) = l.label_string {
        let clean: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let content = base64::engine::general_purpose::STANDARD
            .decode(clean)
            .map_err(|e| error::DIALECT.protocol(200, b"", format!("label is not base64: {e}")))?;
        return Ok(LabelSource::Inline(pdf(content)?));
    }
    l.url.map(LabelSource::Url).ok_or_else(|| {
        error::DIALECT.protocol(200, b"", "label answer without url or label_string")
    })
}

/// A downloaded or decoded label, checked to be a PDF.
pub(super) fn pdf(content: Vec<u8>) -> Result<LabelDocument, CarrierError> {
    if !content.starts_with(b"%PDF") {
        return Err(error::DIALECT.protocol(200, b"", "the label is not a PDF"));
    }
    Ok(LabelDocument {
        format: LabelFormat::Pdf,
        content,
    })
}
