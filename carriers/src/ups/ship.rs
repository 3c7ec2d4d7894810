//! Shipping: `POST /api/shipments/{version}/ship`. Pure `build`/`parse`, plus the label
//! conversion UPS makes necessary. No I/O.
//!
//! Labels: UPS produces GIF, ZPL, EPL and SPL (`LabelImageFormat.Code`), never PDF or PNG.
//! ZPL is asked for and returned as is (4×6 stock). For PNG *and* PDF we ask for GIF and
//! re-encode it as PNG: `carriers` may not depend on `labels` (where the PDF writer lives),
//! so a PDF request gets a PNG label plus a warning, and the declared label formats are
//! `[Zpl, Png]`. The hub can wrap the PNG into a PDF page with `labels` if a station insists.

use base64::Engine;
use time::Date;

use crate::error::CarrierError;
use crate::model::{
    ContentType, Incoterm, LabelDocument, LabelFormat, ShipRequest, TrackingNumber, Waybill,
};

use super::account::Account;
use super::codes;
use super::options;
use super::rate::{self, AddressLimits, Units, bad, cut, rejected};
use super::wire;

/// The Shipping API version (`Shipping.yaml`: `version` path default).
pub(super) const VERSION: &str = "v2409";

/// `ReturnService.Code` 9, UPS Print Return Label (Shipping.yaml `Shipment_ReturnService`):
/// the one return service whose label comes back in the answer like an outbound one (8,
/// Electronic Return Label, is e-mailed by UPS; 2/3/5 have UPS print, mail or collect). The
/// spec says nothing of when UPS bills it; UPS's returns terms bill a return label when it
/// is used (*ext*, unconfirmed here).
pub(super) const RETURN_SERVICE: &str = "9";

pub(super) fn path() -> String {
    format!("/api/shipments/{VERSION}/ship")
}

/// The Shipping request for `req`; `today` dates the commercial invoice when the request has
/// no ship date (passed in, so `build` stays pure).
pub(super) fn build(
    req: &ShipRequest,
    account: &Account,
    today: Date,
) -> Result<wire::ShipRequestWrapper, CarrierError> {
    let s = &req.shipment;
    if codes::service(&req.service).is_none() {
        return Err(rejected(
            "/service",
            &format!("`{}` is not a UPS service code", req.service),
        ));
    }
    s.unsold_packaging("UPS", |p| codes::packaging_code(Some(p)).is_some())
        .map_err(|e| rejected(&e.field, &e.message))?;
    let units = Units::for_origin(&s.from);
    let mut options = options::wire(s, units, Some(&req.service), req.is_return)?;
    let international = s.is_international();
    // Reference numbers: Shipping.yaml allows shipment-level references only when origin and
    // destination are not both US (or both PR), and package-level ones only when they are.
    let domestic_us = !international && matches!(s.from.country.as_str(), "US" | "PR");
    let reference: Vec<wire::ReferenceNumber> = req
        .reference
        .iter()
        .map(|r| wire::ReferenceNumber { value: cut(r, 35) })
        .collect();
    let packages = s
        .parcels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // Shipping.yaml `Package.Description`: "Required for shipment with return
            // service"; without the parcel's own, the first customs item's, else "Return".
            let description = p.description.clone().or_else(|| {
                req.is_return.then(|| {
                    s.customs
                        .as_ref()
                        .and_then(|c| c.items.first())
                        .map(|item| item.description.clone())
                        .unwrap_or_else(|| "Return".into())
                })
            });
            Ok(wire::ShipPackage {
                description: description.as_ref().map(|d| cut(d, 35)),
                packaging: wire::CodeDesc::code(
                    codes::packaging_code(p.packaging).unwrap_or(codes::CUSTOMER_PACKAGING),
                ),
                dimensions: p.dimensions.map(|d| units.dimensions(d, i)).transpose()?,
                package_weight: units.weight(p.weight),
                reference_number: if domestic_us {
                    reference
                        .iter()
                        .map(|r| wire::ReferenceNumber {
                            value: r.value.clone(),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                package_service_options: options.packages.get_mut(i).and_then(Option::take),
            })
        })
        .collect::<Result<Vec<_>, CarrierError>>()?;

    // A return is bought by the account holder for the parcel coming back: the shipper (whose
    // account pays) is the return address, `to`; the customer sending it is `ShipFrom`
    // ("Required for return shipment", Shipping.yaml `Shipment_ShipFrom`).
    let mut shipper = rate::party(
        if req.is_return { &s.to } else { &s.from },
        Some(&account.account_number),
        AddressLimits::SHIP,
        false,
    );
    let mut ship_to = rate::party(&s.to, None, AddressLimits::SHIP, true);
    let mut ship_from = rate::party(&s.from, None, AddressLimits::SHIP, false);
    let (forms, invoice_line_total, duties_paid_by_shipper, description) =
        match (&s.customs, international) {
            (None, true) => {
                return Err(rejected(
                    "/customs",
                    "an international UPS shipment needs a customs declaration",
                ));
            }
            (Some(c), true) => {
                let tax = |ids: &crate::model::TaxIds| {
                    ids.eori
                        .clone()
                        .or_else(|| ids.vat.clone())
                        .map(|t| cut(&t, 15))
                };
                shipper.tax_identification_number = tax(&c.exporter);
                ship_to.tax_identification_number = tax(&c.importer);
                // IOSS goes in ShipFrom.VendorInfo; 0356 is UPS's IOSS type code (*ext*).
                ship_from.vendor_info = c.importer.ioss.as_ref().map(|ioss| wire::VendorInfo {
                    vendor_collect_id_type_code: "0356".into(),
                    vendor_collect_id_number: ioss.clone(),
                });
                let forms = (c.content_type != ContentType::Documents)
                    .then(|| international_forms(req, c, units, today))
                    .transpose()?;
                (
                    forms,
                    Some(rate::money_out(c.total_value())),
                    c.incoterm == Incoterm::DDP,
                    Some(cut(&c.items[0].description, 50)),
                )
            }
            _ => (None, None, false, None),
        };

    Ok(wire::ShipRequestWrapper {
        shipment_request: wire::ShipmentRequest {
            request: wire::ShipRequestHeader {
                // No street-level validation, but UPS still checks postal code and state.
                request_option: "nonvalidate".into(),
                transaction_reference: wire::TransactionReference {
                    customer_context: cut(req.reference.as_deref().unwrap_or("shiphub ship"), 512),
                },
            },
            shipment: wire::Shipment {
                description,
                shipper,
                ship_to,
                ship_from,
                payment_information: rate::bill_shipper(account, duties_paid_by_shipper),
                return_service: req.is_return.then(|| wire::CodeDesc {
                    code: RETURN_SERVICE.into(),
                    description: Some("UPS Print Return Label".into()),
                }),
                service: wire::CodeDesc::code(&req.service),
                shipment_rating_options: wire::RatingOptions {
                    negotiated_rates_indicator: "Y".into(),
                },
                reference_number: if domestic_us { Vec::new() } else { reference },
                invoice_line_total,
                shipment_service_options: {
                    options.shipment.international_forms = forms;
                    (!options.shipment.is_empty()).then_some(options.shipment)
                },
                package: packages,
            },
            label_specification: wire::LabelSpecification {
                label_image_format: wire::CodeDesc::code(match req.label_format {
                    LabelFormat::Zpl => "ZPL",
                    LabelFormat::Png | LabelFormat::Pdf => "GIF",
                }),
                // 4×6 stock (Shipping.yaml: Width 4, Height 6 or 8).
                label_stock_size: wire::LabelStockSize {
                    height: "6".into(),
                    width: "4".into(),
                },
            },
        },
    })
}

/// The commercial invoice (`FormType` 01) from the customs declaration. Duties: with DDP the
/// shipper's account also pays duties and taxes (`ShipmentCharge` type 02); otherwise UPS's
/// default applies, which is the receiver.
fn international_forms(
    req: &ShipRequest,
    c: &crate::model::CustomsDeclaration,
    units: Units,
    today: Date,
) -> Result<wire::InternationalForms, CarrierError> {
    let to = &req.shipment.to;
    let products = c
        .items
        .iter()
        .map(|item| wire::Product {
            description: vec![cut(&item.description, 35)],
            unit: wire::ProductUnit {
                number: item.quantity.to_string(),
                unit_of_measurement: wire::CodeDesc::code("PCS"),
                value: item.unit_value.round().amount().to_string(),
            },
            commodity_code: item.hs_code.as_str().to_string(),
            part_number: item.sku.as_ref().map(|s| cut(s, 35)),
            origin_country_code: item.origin_country.as_str().to_string(),
            product_weight: units.weight(item.unit_weight),
        })
        .collect();
    Ok(wire::InternationalForms {
        form_type: vec!["01".into()],
        invoice_number: req.reference.as_ref().map(|r| cut(r, 35)),
        invoice_date: rate::yyyymmdd(req.shipment.ship_date.unwrap_or(today)),
        reason_for_export: match c.content_type {
            ContentType::Gift => "GIFT",
            ContentType::Sample => "SAMPLE",
            ContentType::ReturnedGoods => "RETURN",
            ContentType::Merchandise | ContentType::Documents | ContentType::Other => "SALE",
        }
        .into(),
        currency_code: c.items[0].unit_value.currency().code().to_string(),
        terms_of_shipment: terms_of_shipment(c.incoterm)?.into(),
        contacts: wire::FormContacts {
            sold_to: wire::SoldTo {
                name: cut(to.company.as_deref().unwrap_or(&to.name), 35),
                attention_name: cut(&to.name, 35),
                tax_identification_number: c
                    .importer
                    .vat
                    .clone()
                    .or_else(|| c.importer.eori.clone())
                    .map(|t| cut(&t, 15)),
                phone: to.phone.as_deref().map(rate::phone),
                address: rate::address(to, AddressLimits::SHIP, false),
            },
        },
        product: products,
    })
}

/// `InternationalForms.TermsOfShipment` takes UPS's list (Shipping.yaml: CFR CIF CIP CPT DAF
/// DDP DAP DEQ DES EXW FAS FCA FOB). DDU is the pre-2010 name for what Incoterms 2010 calls
/// DAP, so it is sent as DAP; DPU has no UPS equivalent and is refused rather than misstated
/// on a legal document.
fn terms_of_shipment(i: Incoterm) -> Result<&'static str, CarrierError> {
    Ok(match i {
        Incoterm::EXW => "EXW",
        Incoterm::FCA => "FCA",
        Incoterm::CPT => "CPT",
        Incoterm::CIP => "CIP",
        Incoterm::DAP | Incoterm::DDU => "DAP",
        Incoterm::DDP => "DDP",
        Incoterm::FAS => "FAS",
        Incoterm::FOB => "FOB",
        Incoterm::CFR => "CFR",
        Incoterm::CIF => "CIF",
        Incoterm::DPU => {
            return Err(rejected(
                "/customs/incoterm",
                "UPS's commercial invoice has no DPU term",
            ));
        }
    })
}

/// The waybill from a Shipping answer: one tracking number per package in request order,
/// the first being the master, `ShipmentIdentificationNumber` as the carrier shipment id,
/// and every package's label joined into one document (`crate::join`).
pub(super) fn parse(
    resp: wire::ShipResponseWrapper,
    req: &ShipRequest,
) -> Result<Waybill, CarrierError> {
    let resp = resp.shipment_response;
    rate::check_status(&resp.response)?;
    let results = resp
        .shipment_results
        .ok_or_else(|| bad("ShipmentResponse without ShipmentResults"))?;
    let pieces = results
        .package_results
        .iter()
        .map(|p| {
            p.tracking_number
                .as_deref()
                .ok_or_else(|| bad("PackageResults without TrackingNumber"))?
                .parse::<TrackingNumber>()
                .map_err(|e| bad(format!("tracking number: {}", e.message)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if pieces.len() != req.shipment.parcels.len() {
        return Err(bad(format!(
            "{} tracking numbers for {} packages",
            pieces.len(),
            req.shipment.parcels.len()
        )));
    }
    let master = pieces[0].clone();
    let shipment_id = results
        .shipment_identification_number
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| master.to_string());
    // Each alert keeps UPS's code (`129001: Additional Handling has automatically been set…`).
    let mut warnings: Vec<String> = resp
        .response
        .alert
        .iter()
        .map(|a| super::track::note(a.code.as_deref(), a.description.as_deref()))
        .collect();
    // UPS returns one label per package: every one goes into the document, in package order.
    let labels = results
        .package_results
        .iter()
        .filter_map(|p| p.shipping_label.as_ref())
        .map(|l| label(l, req.label_format, &mut warnings))
        .collect::<Result<Vec<_>, _>>()?;
    warnings.dedup();
    let label = crate::join::pieces(labels, "UPS", &mut warnings);
    let (total, breakdown) = match &results.shipment_charges {
        Some(published) => {
            let (total, breakdown, _) =
                rate::charges(published, results.negotiated_rate_charges.as_ref())?;
            (Some(total), breakdown)
        }
        None => (None, Vec::new()),
    };
    Ok(Waybill {
        tracking_number: master,
        pieces,
        carrier_shipment_id: shipment_id,
        label,
        total,
        breakdown,
        warnings,
    })
}

fn label(
    l: &wire::ShippingLabel,
    wanted: LabelFormat,
    warnings: &mut Vec<String>,
) -> Result<LabelDocument, CarrierError> {
    let data = l
        .graphic_image
        .as_deref()
        .ok_or_else(|| bad("ShippingLabel without GraphicImage"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| bad(format!("label is not base64: {e}")))?;
    let format = l
        .image_format
        .as_ref()
        .and_then(|f| f.code.as_deref())
        .unwrap_or("");
    match format.to_ascii_uppercase().as_str() {
        "ZPL" => Ok(LabelDocument {
            format: LabelFormat::Zpl,
            content: bytes,
        }),
        "GIF" => {
            if wanted == LabelFormat::Pdf {
                warnings.push(
                    "UPS does not produce PDF labels; the label is PNG (converted from UPS's GIF)"
                        .into(),
                );
            }
            Ok(LabelDocument {
                format: LabelFormat::Png,
                content: gif_to_png(&bytes)?,
            })
        }
        other => Err(bad(format!("label format `{other}` was not asked for"))),
    }
}

/// Re-encodes a GIF label (its first frame) as an 8-bit greyscale-or-RGBA PNG.
pub(super) fn gif_to_png(gif_bytes: &[u8]) -> Result<Vec<u8>, CarrierError> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(gif_bytes)
        .map_err(|e| bad(format!("label GIF: {e}")))?;
    let (width, height) = (u32::from(decoder.width()), u32::from(decoder.height()));
    // Compose the first frame onto a white canvas of the logical screen size.
    let mut canvas = vec![255u8; width as usize * height as usize * 4];
    let frame = decoder
        .read_next_frame()
        .map_err(|e| bad(format!("label GIF: {e}")))?
        .ok_or_else(|| bad("label GIF has no image"))?;
    for y in 0..usize::from(frame.height) {
        for x in 0..usize::from(frame.width) {
            let (cx, cy) = (x + usize::from(frame.left), y + usize::from(frame.top));
            if cx >= width as usize || cy >= height as usize {
                continue;
            }
            let src = &frame.buffer[(y * usize::from(frame.width) + x) * 4..][..4];
            if src[3] == 0 {
                continue;
            }
            canvas[(cy * width as usize + cx) * 4..][..4].copy_from_slice(src);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| bad(format!("PNG: {e}")))?;
        writer
            .write_image_data(&canvas)
            .map_err(|e| bad(format!("PNG: {e}")))?;
    }
    Ok(out)
}
