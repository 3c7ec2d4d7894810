//! Ship: our `ShipRequest` to MyDHL's `POST /shipments` body, and its answer back to a
//! `Waybill`. Pure: no HTTP, no clock.
//!
//! Decisions:
//! - No courier pickup is booked (`pickup.isRequested: false`): pickups are their own booking.
//! - Labels: `encodingFormat` pdf (300 dpi) or zpl (200 dpi, DHL's value for 203-dpi
//!   printers) with DHL's default transport label template; PNG is asked as ZPL (MyDHL has no
//!   PNG encoding) and the hub converts. Every piece's label comes back and all go into one
//!   document (`crate::join`: ZPL streams concatenated, PDFs merged page after page).
//! - `getRateEstimates: true`, so the answer carries `shipmentCharges` and the waybill its
//!   price.
//! - Pieces: DHL gives the shipment one waybill number (AWB, `shipmentTrackingNumber`) and
//!   each piece its own licence plate (`packages[].trackingNumber`, `JD…`). The waybill's
//!   first piece number is the AWB (the hub and conformance treat the master as piece one,
//!   and DHL tracks the whole shipment by it); pieces 2..n are their licence plates, in our
//!   parcel order (`referenceNumber` is DHL's echo of that order).
//! - Customs (`exportDeclaration`) only when the shipment is customs-declarable: one line per
//!   item with its unit price, PCS quantity, outbound HS code, origin and net/gross weight;
//!   the incoterm as DHL's `incoterm` (DHL has no DDU: refused with a pointer to DAP); DDP
//!   adds value-added service `DD` (duties and taxes paid by the shipper) and bills duties to
//!   the shipper's account; an account with Paperless Trade adds service `WY`.
//! - Registration numbers: EORI as `EOR`, VAT as `VAT`, IOSS as `SDT` (DHL's code for "Import
//!   One-Stop-Shop"), each on its own party with that party's country as issuer.
//! - MyDHL requires a phone number and a company name for both parties; a private person's
//!   name stands in for the company (`typeCode: private`), a missing phone is refused before
//!   sending.

use base64::Engine;
use rust_decimal::Decimal;
use time::Date;

use crate::error::CarrierError;
use crate::model::{
    Address, ContentType, Incoterm, LabelDocument, LabelFormat, ShipRequest, TaxIds,
    TrackingNumber, Waybill, Weight,
};

use super::account::Account;
use super::rate::{self, Units};
use super::{codes, error, options, wire};

fn rejected(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

/// Truncated to DHL's maximum length, on a character boundary.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub(super) fn party(
    a: &Address,
    ids: Option<&TaxIds>,
    field: &str,
) -> Result<wire::Party, CarrierError> {
    let phone = a.phone.clone().ok_or_else(|| {
        rejected(
            &format!("{field}/phone"),
            "DHL Express requires a phone number for shipper and receiver",
        )
    })?;
    let country = a.country.as_str().to_string();
    let mut registration_numbers = Vec::new();
    if let Some(ids) = ids {
        for (type_code, number) in [("EOR", &ids.eori), ("VAT", &ids.vat), ("SDT", &ids.ioss)] {
            if let Some(n) = number {
                registration_numbers.push(wire::RegistrationNumber {
                    type_code,
                    number: n.clone(),
                    issuer_country_code: country.clone(),
                });
            }
        }
    }
    let line = |i: usize| a.street.get(i).map(|s| cut(s, 45));
    Ok(wire::Party {
        postal_address: wire::PostalAddress {
            postal_code: a.postal_code.clone().unwrap_or_default(),
            city_name: cut(&a.city, 45),
            country_code: country,
            province_code: a.state.clone(),
            address_line1: line(0).unwrap_or_default(),
            address_line2: line(1),
            address_line3: line(2),
        },
        contact_information: wire::Contact {
            email: a.email.clone(),
            phone,
            company_name: cut(a.company.as_deref().unwrap_or(&a.name), 100),
            full_name: cut(&a.name, 255),
        },
        registration_numbers,
        type_code: if a.company.is_some() {
            "business"
        } else {
            "private"
        },
    })
}

fn incoterm(i: Incoterm) -> Result<&'static str, CarrierError> {
    Ok(match i {
        Incoterm::EXW => "EXW",
        Incoterm::FCA => "FCA",
        Incoterm::CPT => "CPT",
        Incoterm::CIP => "CIP",
        Incoterm::DAP => "DAP",
        Incoterm::DPU => "DPU",
        Incoterm::DDP => "DDP",
        Incoterm::FAS => "FAS",
        Incoterm::FOB => "FOB",
        Incoterm::CFR => "CFR",
        Incoterm::CIF => "CIF",
        Incoterm::DDU => {
            return Err(rejected(
                "/customs/incoterm",
                "MyDHL does not accept DDU (withdrawn from Incoterms in 2010); use DAP",
            ));
        }
    })
}

/// `exportReasonType` and `shipmentType` for our content type.
fn export_reason(c: ContentType) -> (&'static str, &'static str) {
    match c {
        ContentType::Merchandise => ("commercial_purpose_or_sale", "commercial"),
        ContentType::Gift => ("gift", "personal"),
        ContentType::Sample => ("sample", "commercial"),
        ContentType::ReturnedGoods => ("return", "commercial"),
        ContentType::Documents | ContentType::Other => ("permanent", "commercial"),
    }
}

fn date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The `POST /shipments` body for `req`.
pub(super) fn build(
    req: &ShipRequest,
    account: &Account,
    today: Date,
) -> Result<wire::ShipmentRequest, CarrierError> {
    let shipment = &req.shipment;
    rate::validate(shipment)?;
    let service = codes::service_info(&req.service).ok_or_else(|| {
        rejected(
            "/service",
            format!(
                "`{}` is not a DHL Express product code we can ship (see GET /v1/carriers)",
                req.service
            ),
        )
    })?;
    let customs = shipment.customs.as_ref();
    let declarable = rate::customs_declarable(shipment);
    let shipper = party(&shipment.from, customs.map(|c| &c.exporter), "/from")?;
    let receiver = party(&shipment.to, customs.map(|c| &c.importer), "/to")?;
    let units = Units::of(shipment);
    let references: Vec<wire::Reference> = req
        .reference
        .iter()
        .map(|r| wire::Reference {
            value: cut(r, 35),
            type_code: "CU",
        })
        .collect();
    let packages = shipment
        .parcels
        .iter()
        .map(|p| wire::Package {
            weight: wire::Num(rate::weight(p.weight, units)),
            dimensions: rate::dimensions(p, units),
            customer_references: references.clone(),
            description: p.description.as_deref().map(|d| cut(d, 70)),
        })
        .collect();

    let mut accounts = vec![wire::Account {
        type_code: "shipper",
        number: account.account_number.clone(),
    }];
    // The shipment's options first, then the duties and paperless services.
    let mut services = options::services(shipment)?;
    let term = match customs {
        Some(c) => incoterm(c.incoterm)?,
        // Domestic and intra-EU shipments still need an incoterm; DAP is "delivered", which is
        // what a non-customs shipment is.
        None => "DAP",
    };
    let export_declaration = match customs.filter(|_| declarable) {
        Some(c) => {
            if c.incoterm == Incoterm::DDP {
                services.push(wire::ValueAddedService::code("DD"));
                accounts.push(wire::Account {
                    type_code: "duties-taxes",
                    number: account.account_number.clone(),
                });
            }
            if account.paperless_trade {
                services.push(wire::ValueAddedService::code("WY"));
            }
            let (reason, kind) = export_reason(c.content_type);
            Some(wire::ExportDeclaration {
                line_items: c
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let unit = item.unit_weight.to(units.weight).value();
                        let line = Weight::new(unit * Decimal::from(item.quantity), units.weight)
                            .expect("a non-negative weight times a count");
                        let w = wire::Num(rate::weight(line, units));
                        wire::LineItem {
                            number: i as u32 + 1,
                            description: cut(&item.description, 512),
                            price: wire::Num(item.unit_value.amount()),
                            quantity: wire::Quantity {
                                value: item.quantity,
                                unit_of_measurement: "PCS",
                            },
                            commodity_codes: vec![wire::CommodityCode {
                                type_code: "outbound",
                                value: item.hs_code.as_str().to_string(),
                            }],
                            manufacturer_country: item.origin_country.as_str().to_string(),
                            weight: wire::LineWeight {
                                net_value: w,
                                gross_value: w,
                            },
                        }
                    })
                    .collect(),
                // DHL prints the invoice number on the commercial invoice it generates; our
                // reference (order number) is the shipper's invoice reference when given.
                invoice: req.reference.as_ref().map(|r| wire::Invoice {
                    number: cut(r, 35),
                    date: date(shipment.ship_date.unwrap_or(today)),
                }),
                export_reason_type: reason,
                shipment_type: kind,
            })
        }
        None => None,
    };
    let declared = customs.filter(|_| declarable).map(|c| c.total_value());
    let description = shipment
        .parcels
        .iter()
        .find_map(|p| p.description.clone())
        .or_else(|| customs.map(|c| c.items[0].description.clone()))
        .unwrap_or_else(|| {
            if customs.is_some_and(|c| c.content_type == ContentType::Documents) {
                "Documents".into()
            } else {
                "Goods".into()
            }
        });
    let (encoding_format, printer_dpi) = codes::encoding(req.label_format);
    Ok(wire::ShipmentRequest {
        planned_shipping_date_and_time: rate::planned(shipment, today),
        pickup: wire::Pickup {
            is_requested: false,
        },
        product_code: service.code.to_string(),
        get_rate_estimates: true,
        accounts,
        value_added_services: services,
        output_image_properties: wire::OutputImageProperties {
            printer_dpi,
            encoding_format,
            image_options: vec![wire::ImageOption {
                type_code: "label",
                template_name: codes::LABEL_TEMPLATE,
                is_requested: true,
            }],
        },
        customer_references: references,
        customer_details: wire::ShipCustomerDetails {
            shipper_details: shipper,
            receiver_details: receiver,
        },
        content: wire::Content {
            packages,
            is_customs_declarable: declarable,
            declared_value: declared.map(|m| wire::Num(m.amount())),
            declared_value_currency: declared.map(|m| m.currency().to_string()),
            export_declaration,
            description: cut(description.trim_start(), 70),
            incoterm: term,
            unit_of_measurement: units.wire,
        },
    })
}

fn number(s: Option<&str>, what: &str) -> Result<TrackingNumber, CarrierError> {
    s.and_then(|s| s.parse().ok()).ok_or_else(|| {
        error::protocol(
            200,
            b"",
            format!("shipment response: {what} missing or not a tracking number ({s:?})"),
        )
    })
}

fn decode(d: &wire::Document, fallback: LabelFormat) -> Result<LabelDocument, CarrierError> {
    let b64: String = d
        .content
        .as_deref()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let content = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| error::protocol(200, b"", format!("label is not base64: {e}")))?;
    let format = d
        .image_format
        .as_deref()
        .and_then(codes::label_format)
        .unwrap_or(fallback);
    Ok(LabelDocument { format, content })
}

/// The waybill from a `POST /shipments` answer.
pub(super) fn parse(
    resp: wire::ShipmentResponse,
    req: &ShipRequest,
) -> Result<Waybill, CarrierError> {
    let awb = number(
        resp.shipment_tracking_number.as_deref(),
        "shipmentTrackingNumber",
    )?;
    let mut warnings = resp.warnings.clone();
    let mut packages = resp.packages.clone();
    packages.sort_by_key(|p| p.reference_number.unwrap_or(Decimal::MAX));
    let mut pieces = vec![awb.clone()];
    for p in packages.iter().skip(1) {
        pieces.push(number(
            p.tracking_number.as_deref(),
            "packages[].trackingNumber",
        )?);
    }
    if packages.len() != req.shipment.parcels.len() {
        warnings.push(format!(
            "DHL returned {} packages for {} parcels",
            packages.len(),
            req.shipment.parcels.len()
        ));
    }

    // Labels arrive at shipment level, or per package when DHL splits them.
    let wanted = if req.label_format == LabelFormat::Pdf {
        LabelFormat::Pdf
    } else {
        LabelFormat::Zpl
    };
    let labels = resp
        .documents
        .iter()
        .chain(packages.iter().flat_map(|p| &p.documents))
        .filter(|d| d.type_code.as_deref() == Some("label"))
        .map(|d| decode(d, wanted))
        .collect::<Result<Vec<_>, _>>()?;
    if labels.is_empty() {
        warnings.push("DHL returned no label document".into());
    }
    // Every piece's label in one document (`crate::join`).
    let label = crate::join::pieces(labels, "DHL", &mut warnings);
    if req.label_format == LabelFormat::Png {
        warnings.push("MyDHL has no PNG labels; the label is ZPL".into());
    }

    let (total, breakdown) = match resp
        .shipment_charges
        .iter()
        .filter(|c| c.price.is_some() && c.price_currency.is_some())
        .min_by_key(|c| match c.currency_type.as_deref() {
            Some("BILLC") => 0,
            Some("PULCL") => 1,
            _ => 2,
        }) {
        Some(c) => {
            let code = c.price_currency.as_deref().unwrap_or_default();
            let currency: crate::model::Currency = code.parse().map_err(|_| {
                error::protocol(
                    200,
                    b"",
                    format!("shipmentCharges: `{code}` is not a currency"),
                )
            })?;
            let lines = c
                .service_breakdown
                .iter()
                .filter_map(|s| {
                    let price = s.price.filter(|p| !p.is_zero())?;
                    let name = s.name.clone().unwrap_or_else(|| "Charge".into());
                    let kind = match (s.type_code.as_deref(), name.to_ascii_uppercase()) {
                        (Some("FF"), _) => crate::model::ChargeKind::Fuel,
                        (_, n) if n.contains("FUEL") => crate::model::ChargeKind::Fuel,
                        (None, _) => crate::model::ChargeKind::Base,
                        _ => crate::model::ChargeKind::Surcharge,
                    };
                    Some(crate::model::Charge {
                        kind,
                        code: s.type_code.clone(),
                        description: name,
                        amount: crate::model::Money::new(price, currency),
                    })
                })
                .collect();
            let priced = rate::balance(
                currency,
                c.price.unwrap_or_default(),
                lines,
                "Shipment charge",
            );
            warnings.extend(priced.notes);
            (Some(priced.total), priced.breakdown)
        }
        None => (None, Vec::new()),
    };

    Ok(Waybill {
        carrier_shipment_id: awb.as_str().to_string(),
        tracking_number: awb,
        pieces,
        label,
        total,
        breakdown,
        warnings,
    })
}
