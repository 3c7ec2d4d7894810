//! Ship: our `ShipRequest` to FedEx's `POST /ship/v1/shipments` body, and its
//! `transactionShipments` back to a `Waybill`. Pure: no HTTP.
//!
//! Decisions:
//! - Labels come back inline (`labelResponseOptions: LABEL`), 4x6: `PAPER_4X6` for PDF and
//!   PNG, `STOCK_4X6` for ZPL II (`codes::label_spec`).
//! - One request per shipment, however many parcels: FedEx's single-shot multi-piece
//!   shipment, packages numbered from 1 in parcel order, so piece numbers come back in our
//!   parcel order with the master first.
//! - FedEx returns one label per piece. A waybill carries one document, so every piece goes
//!   into it in piece order (`crate::join`): ZPL streams concatenated (a stream of several
//!   `^XA…^XZ` formats prints them all), PDFs merged page after page, PNGs stacked.
//! - FedEx has no shipment id apart from the master tracking number; `carrier_shipment_id`
//!   is `<master>:<origin country>` because cancelling needs the sender's country and a
//!   `WaybillRef` carries nothing else (`void.rs` reads it back).
//! - Phone numbers are required by FedEx for shipper and recipient; we refuse to send without
//!   them rather than let FedEx refuse the purchase.
//! - A return (`is_return`) is the same request with `from` (the customer) as shipper, `to`
//!   (the merchant) as recipient, and `RETURN_SHIPMENT` / `returnShipmentDetail.returnType:
//!   PRINT_RETURN_LABEL` (`options.rs`); the label comes back inline as for outbound and the
//!   account pays (`SENDER` with the account as payor, the one account the adapter has). The
//!   spec does not say when a printed return label is billed (FedEx bills Ground returns when
//!   used, per its service guide, not the spec).

use base64::Engine;

use crate::error::CarrierError;
use crate::model::{Address, LabelDocument, ShipRequest, TaxIds, TrackingNumber, Waybill};

use super::account::Account;
use super::rate::{self, Units};
use super::{codes, error, wire};

fn rejected(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

fn party(a: &Address, ids: Option<&TaxIds>, field: &str) -> Result<wire::Party, CarrierError> {
    let phone = a.phone.clone().ok_or_else(|| {
        rejected(
            &format!("{field}/phone"),
            "FedEx requires a phone number for shipper and recipient",
        )
    })?;
    let mut tins = Vec::new();
    if let Some(ids) = ids {
        // EORI is an EU-wide (union) registration, VAT a national one; IOSS is a union
        // registration FedEx tells apart by its usage.
        if let Some(n) = &ids.eori {
            tins.push(wire::Tin {
                number: n.clone(),
                tin_type: "BUSINESS_UNION",
                usage: None,
            });
        }
        if let Some(n) = &ids.vat {
            tins.push(wire::Tin {
                number: n.clone(),
                tin_type: "BUSINESS_NATIONAL",
                usage: None,
            });
        }
        if let Some(n) = &ids.ioss {
            tins.push(wire::Tin {
                number: n.clone(),
                tin_type: "BUSINESS_UNION",
                usage: Some("IOSS"),
            });
        }
    }
    Ok(wire::Party {
        address: rate::address(a),
        contact: Some(wire::Contact {
            person_name: a.name.clone(),
            company_name: a.company.clone(),
            phone_number: phone,
            email_address: a.email.clone(),
        }),
        tins,
    })
}

/// The Ship API body for `req`.
pub(super) fn build(
    req: &ShipRequest,
    account: &Account,
) -> Result<wire::ShipRequest, CarrierError> {
    let shipment = &req.shipment;
    rate::validate(shipment)?;
    let service = codes::service_info(&req.service).ok_or_else(|| {
        rejected(
            "/service",
            format!(
                "`{}` is not a FedEx service type we can ship (see GET /v1/carriers)",
                req.service
            ),
        )
    })?;
    let customs = shipment.customs.as_ref();
    let shipper = party(&shipment.from, customs.map(|c| &c.exporter), "/from")?;
    let recipient = party(&shipment.to, customs.map(|c| &c.importer), "/to")?;
    let units = Units::of(shipment);
    let (mut items, total) = rate::packages(&shipment.parcels, units);
    for (i, item) in items.iter_mut().enumerate() {
        item.sequence_number = Some(i as u32 + 1);
        if let Some(reference) = &req.reference {
            item.customer_references = vec![wire::CustomerReference {
                customer_reference_type: "CUSTOMER_REFERENCE",
                value: reference.clone(),
            }];
        }
    }
    let special = super::options::apply(
        &shipment.options,
        req.is_return,
        &mut items,
        super::options::Api::Ship,
    )?;
    let (image_type, label_stock_type) = codes::label_spec(req.label_format);
    Ok(wire::ShipRequest {
        label_response_options: "LABEL",
        account_number: wire::AccountNumber {
            value: account.account_number.clone(),
        },
        requested_shipment: wire::ShipShipment {
            ship_datestamp: rate::ship_date(shipment),
            shipper,
            recipients: vec![recipient],
            pickup_type: account.pickup_type.clone(),
            service_type: service.code.to_string(),
            packaging_type: rate::packaging_type(shipment),
            total_weight: wire::Num(total),
            total_package_count: shipment.parcels.len() as u32,
            shipping_charges_payment: wire::Payment {
                payment_type: "SENDER",
                payor: Some(rate::payor(account)),
            },
            shipment_special_services: special,
            label_specification: wire::LabelSpecification {
                label_format_type: "COMMON2D",
                image_type,
                label_stock_type,
            },
            rate_request_type: vec!["ACCOUNT", "LIST"],
            customs_clearance_detail: customs.map(|c| rate::customs(c, account, units, true)),
            requested_package_line_items: items,
        },
    })
}

fn number(s: Option<&str>, what: &str) -> Result<TrackingNumber, CarrierError> {
    s.and_then(|s| s.parse().ok()).ok_or_else(|| {
        error::protocol(
            200,
            b"",
            format!("ship response: {what} missing or not a tracking number ({s:?})"),
        )
    })
}

/// The waybill from a Ship answer.
pub(super) fn parse(resp: wire::ShipResponse, req: &ShipRequest) -> Result<Waybill, CarrierError> {
    let output = resp
        .output
        .ok_or_else(|| error::protocol(200, b"", "ship response without output"))?;
    let mut warnings = rate::alert_notes(&output.alerts);
    let shipment = output
        .transaction_shipments
        .into_iter()
        .next()
        .ok_or_else(|| error::protocol(200, b"", "ship response without transactionShipments"))?;
    warnings.extend(rate::alert_notes(&shipment.alerts));

    let mut pieces_wire = shipment.piece_responses;
    pieces_wire.sort_by_key(|p| p.package_sequence_number.unwrap_or(u64::MAX));
    let master = number(
        shipment.master_tracking_number.as_deref().or(pieces_wire
            .first()
            .and_then(|p| p.tracking_number.as_deref())),
        "masterTrackingNumber",
    )?;
    let mut pieces = pieces_wire
        .iter()
        .map(|p| {
            number(
                p.tracking_number.as_deref(),
                "pieceResponses[].trackingNumber",
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    if pieces.is_empty() {
        pieces.push(master.clone());
    }
    if pieces.len() != req.shipment.parcels.len() {
        warnings.push(format!(
            "FedEx returned {} piece numbers for {} parcels",
            pieces.len(),
            req.shipment.parcels.len()
        ));
    }

    let labels = pieces_wire
        .iter()
        .flat_map(|p| &p.package_documents)
        .filter(|d| d.content_type.as_deref().is_none_or(|t| t == "LABEL"))
        .filter_map(|d| Some((d.encoded_label.as_deref()?, d.doc_type.as_deref())))
        .map(|(b64, doc_type)| {
            let clean: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let content = base64::engine::general_purpose::STANDARD
                .decode(clean)
                .map_err(|e| error::protocol(200, b"", format!("label is not base64: {e}")))?;
            let format = doc_type
                .and_then(codes::label_format)
                .unwrap_or(req.label_format);
            Ok(LabelDocument { format, content })
        })
        .collect::<Result<Vec<_>, CarrierError>>()?;
    let label = join_labels(labels, &mut warnings);

    let rating = shipment
        .completed_shipment_detail
        .and_then(|d| d.shipment_rating);
    let (total, breakdown) = match rating {
        Some(r) => {
            let actual = r.actual_rate_type.clone();
            let chosen = r
                .shipment_rate_details
                .iter()
                .find(|d| d.rate_type.is_some() && d.rate_type == actual)
                .or_else(|| {
                    r.shipment_rate_details
                        .iter()
                        .min_by_key(|d| rate::rate_rank(d.rate_type.as_deref()))
                });
            match chosen {
                Some(d) => {
                    let priced = rate::price(
                        d.currency.as_deref(),
                        d.total_base_charge,
                        d.total_freight_discounts,
                        &d.surcharges,
                        &d.taxes,
                        d.total_net_charge,
                    )
                    .map_err(|m| error::protocol(200, b"", format!("ship rating: {m}")))?;
                    warnings.extend(priced.notes);
                    (Some(priced.total), priced.breakdown)
                }
                None => (None, Vec::new()),
            }
        }
        None => (None, Vec::new()),
    };

    Ok(Waybill {
        carrier_shipment_id: format!("{master}:{}", req.shipment.from.country),
        tracking_number: master,
        pieces,
        label,
        total,
        breakdown,
        warnings,
    })
}
/// Every piece's label in one document (`crate::join`): FedEx answers one label per piece.
fn join_labels(labels: Vec<LabelDocument>, warnings: &mut Vec<String>) -> Option<LabelDocument> {
    if labels.is_empty() {
        warnings.push("FedEx returned no inline label".into());
    }
    crate::join::pieces(labels, "FedEx", warnings)
}
