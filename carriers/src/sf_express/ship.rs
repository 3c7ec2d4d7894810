//! Buying a waybill: the service-area check (`EXP_RECE_FILTER_ORDER_BSP`), the order
//! (`EXP_RECE_CREATE_ORDER`), extra piece numbers when SF returned too few
//! (`EXP_RECE_GET_SUB_MAILNO`), and the cloud-print request. Pure builders and parsers.
//!
//! - `orderId` is ours and SF refuses a second order with the same one (`8016` 重复下单), so
//!   it is derived from the request itself ([`order_id`]): a retry of the same purchase
//!   sends the same id and cannot buy twice; the adapter then reads the existing order back
//!   (`EXP_RECE_SEARCH_ORDER_RESP`). The ship date (today in China when the request has none)
//!   is part of it, so the same parcel shipped again another day is a new order.
//! - Addresses: `province` = `state`, `city`, `county` = `district`, `address` = the street
//!   lines joined, `mobile` = `phone`, `contact` = name.
//! - `parcelQty` = the parcels; SF answers the master number (`waybillType` 1) and one
//!   sub-number (子单号, `waybillType` 2) per further piece.
//! - Weights in kg (`totalWeight`, `cargoDetails[].weight`).
//! - Cross-border (products 100 and 24): each party's `country`, one `cargoDetails` line per
//!   customs item (unit price, currency, origin `sourceArea`, `hsCode`) and `customsInfo`
//!   (declared value and currency, who pays duties). SF refuses such an order without them.

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::Date;

use crate::error::CarrierError;
use crate::http::lenient::Num;
use crate::model::{Address, Incoterm, ShipRequest, TrackingNumber, Waybill, WeightUnit};

use super::account::Account;
use super::codes;
use super::error::OUT_OF_AREA;
use super::wire;

/// `contactType` of the sender and the receiver.
const SENDER: u8 = 1;
const RECEIVER: u8 = 2;

/// The stable `orderId` of a purchase: `SH` and 30 hex digits of the SHA-256 of the request
/// and its ship date. Equal requests, equal ids.
pub(super) fn order_id(req: &ShipRequest, today: Date) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(req).expect("requests serialize"));
    h.update(
        req.shipment
            .ship_date
            .unwrap_or(today)
            .to_string()
            .as_bytes(),
    );
    let hex = hex::encode(h.finalize());
    format!("SH{}", &hex[..30])
}

/// Checks what SF needs beyond our own validation: a Chinese address has a province
/// (`state`), every address a phone; a cross-border product goes abroad with a customs
/// declaration, a mainland product stays in mainland China.
pub(super) fn check(req: &ShipRequest) -> Result<u32, CarrierError> {
    let express_type: u32 = super::CAPS
        .service(&req.service)
        .and_then(|s| s.code.parse().ok())
        .ok_or_else(|| {
            CarrierError::rejected(
                super::CODE,
                "/service",
                None,
                format!(
                    "`{}` is not an SF Express product (1 顺丰特快, 2 顺丰标快, 5 顺丰次晨, \
                     6 顺丰即日; abroad 100 顺丰国际标快, 24 顺丰国际特惠)",
                    req.service
                ),
            )
        })?;
    let abroad = req.shipment.is_international();
    match (codes::is_international(&req.service), abroad) {
        (true, false) => {
            return Err(CarrierError::rejected(
                super::CODE,
                "/service",
                None,
                format!(
                    "SF product {} is cross-border; within mainland China use 1, 2, 5 or 6",
                    req.service
                ),
            ));
        }
        (false, true) => {
            return Err(CarrierError::rejected(
                super::CODE,
                "/service",
                None,
                format!(
                    "SF product {} serves mainland China only; across a border use 100 \
                     (顺丰国际标快) or 24 (顺丰国际特惠)",
                    req.service
                ),
            ));
        }
        _ => {}
    }
    if abroad && req.shipment.customs.is_none() {
        return Err(CarrierError::rejected(
            super::CODE,
            "/customs",
            None,
            "SF needs a customs declaration (customsInfo, per-item cargoDetails) for a \
             cross-border order",
        ));
    }
    for (who, a) in [("/from", &req.shipment.from), ("/to", &req.shipment.to)] {
        if a.state.is_none() && a.country.as_str() == "CN" {
            return Err(CarrierError::rejected(
                super::CODE,
                &format!("{who}/state"),
                None,
                "SF needs the province (省) of every address in China",
            ));
        }
        if a.phone.is_none() {
            return Err(CarrierError::rejected(
                super::CODE,
                &format!("{who}/phone"),
                None,
                "SF needs a phone (mobile) number for every address",
            ));
        }
    }
    Ok(express_type)
}

fn street(a: &Address) -> String {
    a.street.concat()
}

fn contact(kind: u8, a: &Address, abroad: bool) -> wire::ContactInfo {
    wire::ContactInfo {
        contact_type: kind,
        contact: a.name.clone(),
        company: a.company.clone(),
        country: abroad.then(|| a.country.to_string()),
        mobile: a.phone.clone(),
        province: a.state.clone().unwrap_or_default(),
        city: a.city.clone(),
        county: a.district.clone().unwrap_or_default(),
        address: street(a),
        post_code: a.postal_code.clone(),
    }
}

fn filter_contact(kind: u8, a: &Address) -> wire::FilterContact {
    wire::FilterContact {
        contact_type: kind,
        // The sample writes the country in Chinese; other countries by their ISO code.
        country: if a.country.as_str() == "CN" {
            "中国".to_string()
        } else {
            a.country.to_string()
        },
        province: a.state.clone().unwrap_or_default(),
        city: a.city.clone(),
        county: a.district.clone().unwrap_or_default(),
        address: street(a),
        tel: a.phone.clone(),
    }
}

/// The service-area check for this purchase (a list of one, as SF takes it).
pub(super) fn build_filter(req: &ShipRequest, order_id: &str) -> Vec<wire::FilterOrder> {
    vec![wire::FilterOrder {
        filter_type: 1,
        order_id: order_id.to_string(),
        contact_infos: vec![
            filter_contact(SENDER, &req.shipment.from),
            filter_contact(RECEIVER, &req.shipment.to),
        ],
    }]
}

/// SF's verdict: `filterResult` 3 is a refusal on `/to` (the receiver is outside the area
/// SF serves); 1 (manual confirmation) goes ahead with a warning.
pub(super) fn check_filter(msg_data: &Value) -> Result<Option<String>, CarrierError> {
    let first = match msg_data {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let r: wire::FilterResult = serde_json::from_value(first).map_err(|e| {
        super::error::DIALECT.protocol(200, msg_data.to_string().as_bytes(), e.to_string())
    })?;
    match r.filter_result {
        Some(2) => Ok(None),
        Some(1) => Ok(Some(format!(
            "SF will confirm by hand that it serves this address{}",
            r.remark.map(|m| format!(" ({m})")).unwrap_or_default()
        ))),
        Some(3) => Err(CarrierError::rejected(
            super::CODE,
            "/to",
            Some(OUT_OF_AREA),
            format!(
                "the address is outside the area SF Express serves{}",
                r.remark
                    .map(|m| format!(" (remark {m})"))
                    .unwrap_or_default()
            ),
        )),
        other => Err(super::error::DIALECT.protocol(
            200,
            msg_data.to_string().as_bytes(),
            format!("filterResult {other:?}"),
        )),
    }
}

/// The order. A cross-border order declares its goods: one `cargoDetails` line per customs
/// item and the order's declared value in `customsInfo`; a domestic one lists its parcels
/// and sends `customsInfo` empty, as SF's sample does.
pub(super) fn build_order(
    req: &ShipRequest,
    account: &Account,
    express_type: u32,
    order_id: &str,
) -> wire::CreateOrder {
    let kg = |w: crate::model::Weight| w.to(WeightUnit::Kg).value().round_dp(3).normalize();
    let parcels = &req.shipment.parcels;
    let total: rust_decimal::Decimal = parcels.iter().map(|p| kg(p.weight)).sum();
    let abroad = req.shipment.is_international();
    let declaration = req.shipment.customs.as_ref().filter(|_| abroad);
    let (cargo, customs_info) = match declaration {
        Some(customs) => {
            let cargo = customs
                .items
                .iter()
                .map(|i| wire::CargoDetail {
                    // The plain description is what the destination's customs read.
                    name: i.description.clone(),
                    count: Num(i.quantity.into()),
                    unit: "件",
                    weight: Num(kg(i.unit_weight)),
                    amount: Some(Num(i.unit_value.amount().round_dp(3).normalize())),
                    currency: Some(i.unit_value.currency().to_string()),
                    source_area: Some(i.origin_country.to_string()),
                    hs_code: Some(i.hs_code.as_str().to_string()),
                })
                .collect();
            let value = customs.total_value();
            let info = wire::CustomsInfo {
                declared_value: Num(value.amount().round_dp(3).normalize()),
                declared_value_currency: value.currency().to_string(),
                // Duties paid by the shipper only under DDP; otherwise the receiver pays.
                tax_pay_method: if customs.incoterm == Incoterm::DDP {
                    1
                } else {
                    2
                },
            };
            (
                cargo,
                serde_json::to_value(info).expect("customsInfo serializes"),
            )
        }
        None => (
            parcels
                .iter()
                .map(|p| wire::CargoDetail {
                    name: p
                        .description
                        .clone()
                        .or_else(|| req.reference.clone())
                        .unwrap_or_else(|| "货物".to_string()),
                    count: Num(rust_decimal::Decimal::ONE),
                    unit: "件",
                    weight: Num(kg(p.weight)),
                    amount: None,
                    currency: None,
                    source_area: None,
                    hs_code: None,
                })
                .collect(),
            Value::Object(Default::default()),
        ),
    };
    wire::CreateOrder {
        language: "zh-CN",
        order_id: order_id.to_string(),
        monthly_card: account.monthly_card.clone(),
        express_type_id: express_type,
        // 1: the sender pays, on the monthly account.
        pay_method: 1,
        parcel_qty: parcels.len(),
        total_weight: Num(total),
        is_oneself_pickup: 0,
        contact_info_list: vec![
            contact(SENDER, &req.shipment.from, abroad),
            contact(RECEIVER, &req.shipment.to, abroad),
        ],
        cargo_details: cargo,
        customs_info,
        extra_info_list: Vec::new(),
        // The shipper's remark (备注) when asked for; otherwise the reference, as before
        // remarks were asked (SF prints `remark` on its own e-waybill).
        remark: req
            .shipment
            .options
            .remark
            .clone()
            .or_else(|| req.reference.clone()),
    }
}

/// The numbers of an order answer: master first, then the sub-numbers in SF's order.
pub(super) fn numbers(resp: &wire::OrderResponse) -> Result<Vec<TrackingNumber>, CarrierError> {
    let parse = |s: &str| {
        s.parse::<TrackingNumber>().map_err(|_| {
            super::error::DIALECT.protocol(200, s.as_bytes(), format!("waybillNo `{s}`"))
        })
    };
    let mut master = None;
    let mut subs = Vec::new();
    for w in &resp.waybill_no_info_list {
        let Some(n) = &w.waybill_no else { continue };
        match w.waybill_type {
            Some(1) | None if master.is_none() => master = Some(parse(n)?),
            Some(2) => subs.push(parse(n)?),
            _ => {}
        }
    }
    let master = master.ok_or_else(|| {
        super::error::DIALECT.protocol(200, b"", "the order answer has no master waybill number")
    })?;
    let mut all = vec![master.clone()];
    all.extend(subs.into_iter().filter(|s| *s != master));
    Ok(all)
}

/// The waybill once the numbers are known (no label yet).
pub(super) fn waybill(
    pieces: Vec<TrackingNumber>,
    order_id: &str,
    warnings: Vec<String>,
) -> Waybill {
    Waybill {
        tracking_number: pieces[0].clone(),
        pieces,
        carrier_shipment_id: order_id.to_string(),
        label: None,
        // SF's order answer carries no price: the adapter fills in the price it asked for.
        total: None,
        breakdown: Vec::new(),
        warnings,
    }
}

/// The cloud-print request for a waybill's labels (all pieces of the master).
pub(super) fn build_print(template: &str, master: &TrackingNumber) -> wire::CloudPrint {
    wire::CloudPrint {
        template_code: template.to_string(),
        version: "2.0",
        file_type: "pdf",
        sync: true,
        documents: vec![wire::PrintDocument {
            master_waybill_no: master.to_string(),
        }],
    }
}
