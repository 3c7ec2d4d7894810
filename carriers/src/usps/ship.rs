//! Labels: our `ShipRequest` to `POST /labels/v3/label` (domestic, Labels 3.9.13) or
//! `POST /international-labels/v3/international-label` (International Labels 3.3.7), and the
//! `application/vnd.usps.labels+json` answer (metadata and the base64 label in one JSON
//! document, instead of the default multipart body) back to a waybill. Pure: no HTTP, no
//! clock. The bearer and payment authorization tokens are added by `mod.rs`.
//!
//! Decisions:
//! - One piece per label (see `rate.rs`); `rateIndicator` and `processingCategory` are the
//!   ones Rate quoted this parcel under, re-derived from the same parcel (`rate.rs`
//!   `rate_indicator`, `processing_category`): single piece (`PA` for Priority Mail Express)
//!   unless the parcel names a flat-rate packaging.
//! - Labels are 4×6. PDF is `PDF`, ZPL is `ZPL203DPI` (203 dpi, like every other carrier
//!   here), PNG is `PNG` domestically; international labels offer no PNG, so a PDF comes
//!   back with a warning.
//! - No receipt (`receiptOption: NONE`): a 4×6 thermal label has no room for one.
//! - International: customs values must be in USD (USPS's `itemTotalValue` is USD); goods up
//!   to 2,500 USD per shipment travel under the AES exemption `NO EEI 30.37(a)`; above that
//!   USPS needs an ITN from an AES filing, which shiphub does not make: refused on `/customs`.
//! - `postage` "does not include insurance or other extra service fees": the waybill total is
//!   postage plus the extra services plus the fees, itemised.
//! - Options (`options.rs`) go on `packageDescription.extraServices`, insurance with
//!   `packageOptions.packageValue`, as on the Shipping Options search that priced them.
//! - Returns (`is_return`): `POST /labels/v3/return-label` (`ReturnLabelRequest`), pay on use
//!   (the spec's words for USPS return labels): USPS charges the `postage` it quotes only
//!   when the label is scanned, so the waybill carries it with a warning saying so. The mail
//!   class is the return service of the class bought (`PRIORITY_MAIL` →
//!   `PRIORITY_MAIL_RETURN_SERVICE`, `PRIORITY_MAIL_EXPRESS` →
//!   `PRIORITY_MAIL_EXPRESS_RETURN_SERVICE`, `USPS_GROUND_ADVANTAGE` →
//!   `USPS_GROUND_ADVANTAGE_RETURN_SERVICE`, the `mailClass` enum of
//!   `BaseReturnsPackageDescription`); no other class has a return service. Domestic only:
//!   the API has no international return label. `mailingDate` and
//!   `destinationEntryFacilityType` are not in the returns package description and are left
//!   out.
//! - The tracking number must pass its IMpb or S10 check digit (`impb.rs`), or the answer is
//!   a `Protocol` error: a label we cannot track is not a waybill.

use base64::Engine;
use rust_decimal::Decimal;
use time::Date;

use crate::error::CarrierError;
use crate::model::{
    Address, Charge, ChargeKind, ContentType, Currency, LabelDocument, LabelFormat, ShipRequest,
    TrackingNumber, Waybill, Weight,
};

use super::rate::{
    inches, is_domestic, mailing_date, pounds, processing_category, rate_indicator, single_parcel,
    usd, usps_packaging, zip,
};
use super::{codes, error, impb, options, wire};

fn reject(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

/// Whether the request goes to the international labels API.
pub(super) fn is_international(req: &ShipRequest) -> bool {
    !is_domestic(&req.shipment.to)
}

/// `+1 212-555-0100` → `+12125550100`; dropped when it cannot fit USPS's `Phone` pattern.
fn phone(p: Option<&str>) -> Option<String> {
    let p = p?;
    let plus = p.trim_start().starts_with('+');
    let digits: String = p.chars().filter(char::is_ascii_digit).collect();
    let ok = if plus {
        (8..=15).contains(&digits.len()) && !digits.starts_with('0')
    } else {
        (6..=15).contains(&digits.len())
    };
    ok.then(|| if plus { format!("+{digits}") } else { digits })
}

/// First and last name from `name`, the company as `firm`; a one-word name with no company
/// becomes the firm ("First and Last Name or Firm Name are always required").
fn addressee(a: &Address) -> (Option<String>, Option<String>, Option<String>) {
    let name = a.name.trim();
    let firm = a.company.clone().filter(|c| !c.trim().is_empty());
    match name.rsplit_once(' ') {
        Some((first, last)) => (Some(first.trim().to_string()), Some(last.to_string()), firm),
        None if firm.is_none() => (None, None, Some(name.to_string())),
        None => (Some(name.to_string()), None, firm),
    }
}

fn street(a: &Address, side: &str) -> Result<(String, Option<String>), CarrierError> {
    let first = a
        .street
        .first()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| reject(&format!("/{side}/street"), "a street line is required"))?;
    let rest = a.street[1..].join(" ");
    Ok((first.clone(), (!rest.trim().is_empty()).then_some(rest)))
}

pub(super) fn domestic_address(
    a: &Address,
    side: &str,
) -> Result<wire::LabelAddress, CarrierError> {
    let (first_name, last_name, firm) = addressee(a);
    let (street_address, secondary_address) = street(a, side)?;
    let (zip5, plus4) = zip(a, side)?;
    let state = a
        .state
        .clone()
        .filter(|s| s.len() == 2)
        .ok_or_else(|| reject(&format!("/{side}/state"), "a 2-letter state is required"))?;
    Ok(wire::LabelAddress {
        first_name,
        last_name,
        firm,
        street_address,
        secondary_address,
        city: a.city.clone(),
        state: Some(state.to_ascii_uppercase()),
        zip_code: Some(zip5),
        zip_plus4: plus4,
        phone: phone(a.phone.as_deref()),
        email: a.email.clone(),
        ..Default::default()
    })
}

/// `InternationalLabelAddress`. USPS wants `country` (a name) and `countryISOAlpha2Code`; we
/// hold only the ISO code, which is sent in both (recorded in `contracts/README.md`).
fn international_address(a: &Address) -> Result<wire::LabelAddress, CarrierError> {
    let (first_name, last_name, firm) = addressee(a);
    let (street_address, secondary_address) = street(a, "to")?;
    Ok(wire::LabelAddress {
        first_name,
        last_name,
        firm,
        street_address,
        secondary_address,
        city: a.city.clone(),
        postal_code: a.postal_code.clone(),
        province: a.state.clone(),
        country: Some(a.country.as_str().to_string()),
        country_iso_alpha2_code: Some(a.country.as_str().to_string()),
        phone: phone(a.phone.as_deref()),
        ..Default::default()
    })
}

fn customs_form(req: &ShipRequest) -> Result<wire::CustomsForm, CarrierError> {
    let customs = req
        .shipment
        .customs
        .as_ref()
        .ok_or_else(|| reject("/customs", "international USPS labels carry a customs form"))?;
    let mut contents = Vec::new();
    let mut total = Decimal::ZERO;
    for (i, item) in customs.items.iter().enumerate() {
        if item.unit_value.currency() != Currency::USD {
            return Err(reject(
                &format!("/customs/items/{i}/unit_value/currency"),
                "USPS customs values are in USD",
            ));
        }
        let qty = Decimal::from(item.quantity);
        let value = item.unit_value.amount() * qty;
        total += value;
        contents.push(wire::CustomsContent {
            item_description: item.description.chars().take(30).collect(),
            item_quantity: item.quantity,
            item_total_value: wire::Num(value),
            weight_uom: "lb",
            item_total_weight: wire::Num(pounds(
                Weight::new(item.unit_weight.value() * qty, item.unit_weight.unit())
                    .map_err(|e| reject(&format!("/customs/items/{i}/unit_weight"), e.message))?,
            )),
            hs_tariff_number: item.hs_code.as_str().to_string(),
            countryof_origin: item.origin_country.as_str().to_string(),
        });
    }
    if total > Decimal::from(2500) {
        return Err(reject(
            "/customs",
            "goods over 2,500 USD need an AES ITN; shiphub files no AES declarations",
        ));
    }
    Ok(wire::CustomsForm {
        aesitn: "NO EEI 30.37(a)".into(),
        customs_content_type: match customs.content_type {
            ContentType::Merchandise => "MERCHANDISE",
            ContentType::Documents => "DOCUMENT",
            ContentType::Gift => "GIFT",
            ContentType::Sample => "COMMERCIAL_SAMPLE",
            ContentType::ReturnedGoods => "RETURNED_GOODS",
            ContentType::Other => "OTHER",
        },
        contents,
    })
}

/// The return service of an outbound mail class (`BaseReturnsPackageDescription.mailClass`).
pub(super) fn return_class(service: &str) -> Option<&'static str> {
    match service {
        "PRIORITY_MAIL_EXPRESS" => Some("PRIORITY_MAIL_EXPRESS_RETURN_SERVICE"),
        "PRIORITY_MAIL" => Some("PRIORITY_MAIL_RETURN_SERVICE"),
        "USPS_GROUND_ADVANTAGE" => Some("USPS_GROUND_ADVANTAGE_RETURN_SERVICE"),
        _ => None,
    }
}

/// The path a label for `req` is bought at.
pub(super) fn path(req: &ShipRequest) -> &'static str {
    if req.is_return {
        "labels/v3/return-label"
    } else if is_international(req) {
        "international-labels/v3/international-label"
    } else {
        "labels/v3/label"
    }
}

/// The label body for `req` (domestic, international or return).
pub(super) fn build(req: &ShipRequest, today: Date) -> Result<wire::LabelRequest, CarrierError> {
    let shipment = &req.shipment;
    if req.is_return {
        return build_return(req);
    }
    if !is_domestic(&shipment.from) {
        return Err(reject("/from/country", "USPS ships from US ZIP Codes only"));
    }
    let international = is_international(req);
    if !codes::purchasable(&req.service)
        || codes::INTERNATIONAL.contains(&req.service.as_str()) != international
    {
        return Err(reject(
            "/service",
            format!(
                "`{}` is not a USPS {} mail class",
                req.service,
                if international {
                    "international"
                } else {
                    "domestic"
                }
            ),
        ));
    }
    let parcel = single_parcel(shipment)?;
    let packaging = usps_packaging(parcel)?;
    // The indicator and category Rate quoted this parcel under (see `rate.rs`).
    let indicator = rate_indicator(&req.service, packaging).ok_or_else(|| {
        reject(
            "/parcels/0/packaging",
            format!(
                "USPS sells no `{}` for {}",
                packaging.map_or("", |p| p.as_str()),
                req.service
            ),
        )
    })?;
    let lb = pounds(parcel.weight);
    let [length, width, height] = inches(parcel)?;
    let lane = if international {
        options::Lane::International
    } else {
        options::Lane::Domestic(&req.service)
    };
    let (extra_services, value) = options::codes(&shipment.options, lane)?;
    let image_type = match (req.label_format, international) {
        (LabelFormat::Zpl, _) => "ZPL203DPI",
        (LabelFormat::Png, false) => "PNG",
        _ => "PDF",
    };
    let reference = req
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| wire::CustomerReference {
            reference_number: r.chars().take(30).collect(),
            print_reference_number: (!international).then_some(true),
        });
    Ok(wire::LabelRequest {
        image_info: wire::ImageInfo {
            image_type,
            label_type: "4X6LABEL",
            receipt_option: (!international).then_some("NONE"),
        },
        to_address: if international {
            international_address(&shipment.to)?
        } else {
            domestic_address(&shipment.to, "to")?
        },
        from_address: domestic_address(&shipment.from, "from")?,
        package_description: wire::LabelPackage {
            mail_class: req.service.clone(),
            rate_indicator: indicator,
            weight_uom: "lb",
            weight: wire::Num(lb),
            dimensions_uom: "in",
            length: wire::Num(length),
            height: wire::Num(height),
            width: wire::Num(width),
            processing_category: processing_category(lb, [length, width, height], packaging),
            mailing_date: Some(mailing_date(shipment, today)),
            destination_entry_facility_type: Some("NONE"),
            customer_reference: reference.into_iter().collect(),
            // A domestic field (`BaseDomesticPackageDescription`).
            physical_signature_required: (!international
                && options::needs_signature_field(&extra_services, value))
            .then_some(false),
            extra_services,
            package_options: value.map(|v| wire::PackageOptions {
                package_value: wire::Num(v),
            }),
        },
        customs_form: if international {
            Some(customs_form(req)?)
        } else {
            None
        },
    })
}

/// `ReturnLabelRequest`: from the customer (`fromAddress`) to the shipper's return address
/// (`toAddress`), in the return service of the class bought.
fn build_return(req: &ShipRequest) -> Result<wire::LabelRequest, CarrierError> {
    let shipment = &req.shipment;
    if !is_domestic(&shipment.from) || !is_domestic(&shipment.to) {
        let side = if is_domestic(&shipment.from) {
            "/to/country"
        } else {
            "/from/country"
        };
        return Err(reject(
            side,
            "USPS return labels are domestic only (Domestic Labels `return-label`)",
        ));
    }
    let class = return_class(&req.service).ok_or_else(|| {
        reject(
            "/service",
            format!(
                "`{}` has no USPS return service: use PRIORITY_MAIL_EXPRESS, PRIORITY_MAIL or USPS_GROUND_ADVANTAGE",
                req.service
            ),
        )
    })?;
    let parcel = single_parcel(shipment)?;
    let packaging = usps_packaging(parcel)?;
    let indicator = rate_indicator(&req.service, packaging).ok_or_else(|| {
        reject(
            "/parcels/0/packaging",
            format!(
                "USPS sells no `{}` for {}",
                packaging.map_or("", |p| p.as_str()),
                req.service
            ),
        )
    })?;
    let lb = pounds(parcel.weight);
    let [length, width, height] = inches(parcel)?;
    let (extra_services, value) =
        options::codes(&shipment.options, options::Lane::Domestic(class))?;
    let reference = req
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| wire::CustomerReference {
            reference_number: r.chars().take(30).collect(),
            print_reference_number: Some(true),
        });
    Ok(wire::LabelRequest {
        image_info: wire::ImageInfo {
            image_type: match req.label_format {
                LabelFormat::Zpl => "ZPL203DPI",
                LabelFormat::Png => "PNG",
                LabelFormat::Pdf => "PDF",
            },
            label_type: "4X6LABEL",
            receipt_option: Some("NONE"),
        },
        to_address: domestic_address(&shipment.to, "to")?,
        from_address: domestic_address(&shipment.from, "from")?,
        package_description: wire::LabelPackage {
            mail_class: class.to_string(),
            rate_indicator: indicator,
            weight_uom: "lb",
            weight: wire::Num(lb),
            dimensions_uom: "in",
            length: wire::Num(length),
            height: wire::Num(height),
            width: wire::Num(width),
            processing_category: processing_category(lb, [length, width, height], packaging),
            mailing_date: None,
            destination_entry_facility_type: None,
            customer_reference: reference.into_iter().collect(),
            physical_signature_required: options::needs_signature_field(&extra_services, value)
                .then_some(false),
            extra_services,
            package_options: value.map(|v| wire::PackageOptions {
                package_value: wire::Num(v),
            }),
        },
        customs_form: None,
    })
}

/// The waybill from USPS's return label answer: as an outbound label, charged on use.
pub(super) fn parse_return(
    resp: wire::ReturnLabelResponse,
    req: &ShipRequest,
) -> Result<Waybill, CarrierError> {
    let mut wb = parse(
        wire::LabelResponse {
            tracking_number: resp.tracking_number,
            international_tracking_number: None,
            postage: resp.postage,
            extra_services: resp.extra_services,
            fees: resp.fees,
            label_image: resp.return_label_image,
        },
        req,
    )?;
    wb.warnings.push(
        "USPS return labels are pay on use: the postage is charged only when USPS scans the parcel"
            .into(),
    );
    Ok(wb)
}

/// The waybill from USPS's label answer.
pub(super) fn parse(resp: wire::LabelResponse, req: &ShipRequest) -> Result<Waybill, CarrierError> {
    let raw = resp
        .international_tracking_number
        .as_deref()
        .or(resp.tracking_number.as_deref())
        .ok_or_else(|| error::protocol(200, b"", "label answer without a tracking number"))?;
    let (_, number) = impb::check(raw).ok_or_else(|| {
        error::protocol(
            200,
            b"",
            format!("label answer with `{raw}`, which fails its IMpb/S10 check digit"),
        )
    })?;
    let tracking: TrackingNumber = number
        .parse()
        .map_err(|_| error::protocol(200, b"", format!("`{number}` is not a tracking number")))?;
    let image = resp
        .label_image
        .as_deref()
        .ok_or_else(|| error::protocol(200, b"", "label answer without labelImage"))?;
    let content = base64::engine::general_purpose::STANDARD
        .decode(image.trim())
        .map_err(|e| error::protocol(200, b"", format!("labelImage is not base64: {e}")))?;
    let mut warnings = Vec::new();
    let format = match (req.label_format, is_international(req) && !req.is_return) {
        (LabelFormat::Png, true) => {
            warnings.push(
                "USPS international labels come as PDF, TIFF or ZPL: a PDF was issued instead of PNG"
                    .to_string(),
            );
            LabelFormat::Pdf
        }
        (f, _) => f,
    };
    let postage = resp
        .postage
        .ok_or_else(|| error::protocol(200, b"", "label answer without postage"))?;
    let mut breakdown = vec![Charge {
        kind: ChargeKind::Base,
        code: None,
        description: "Postage".into(),
        amount: usd(postage),
    }];
    for x in &resp.extra_services {
        if let Some(price) = x.price.filter(|p| !p.is_zero()) {
            breakdown.push(Charge {
                kind: ChargeKind::Surcharge,
                code: x.service_id.clone(),
                description: x
                    .name
                    .clone()
                    .or_else(|| x.service_name.clone())
                    .unwrap_or_else(|| "Extra service".into()),
                amount: usd(price),
            });
        }
    }
    for fee in &resp.fees {
        if let Some(price) = fee.price.filter(|p| !p.is_zero()) {
            breakdown.push(Charge {
                kind: ChargeKind::Surcharge,
                code: fee.sku.clone(),
                description: fee.name.clone().unwrap_or_else(|| "Fee".into()),
                amount: usd(price),
            });
        }
    }
    let total = usd(breakdown.iter().map(|c| c.amount.amount()).sum());
    Ok(Waybill {
        pieces: vec![tracking.clone()],
        carrier_shipment_id: tracking.as_str().to_string(),
        tracking_number: tracking,
        label: Some(LabelDocument { format, content }),
        total: Some(total),
        breakdown,
        warnings,
    })
}
