//! Kuaidi100's e-waybill (电子面单 V2): `POST https://api.kuaidi100.com/label/order`, a form of
//! `method` (`order` to buy, `cancel` to cancel), `key`, `t` (milliseconds), `sign`
//! (upper-case MD5 of `param + t + key + secret`) and `param` (JSON). Kuaidi100 passes the
//! order to the network's own e-waybill account (`partnerId`/`partnerKey`/… as the network's
//! outlet issued them) and answers `{code, message, time, data}`: `code` 200 and
//! `data.kuaidinum` (the network's waybill number), `childNum` (the further pieces' numbers,
//! comma-separated), `kdComOrderNum` (the network's order number, which a cancel needs).
//! Pure builders and parsers; sources in `fixtures/SOURCES.md`.
//!
//! - The network is the service: its Kuaidi100 company code (`zhongtong`, `yuantong` …).
//! - Addresses: `recMan`/`sendMan` with `name`, `mobile` (an 11-digit mainland mobile) or
//!   `tel` (a landline), `company`, `province` = `state`, `city`, `district`, `addr` = the street
//!   lines, and `printAddr`, the whole address in one line (the demos send only it).
//! - `printType` `NON` (order only, the demos' default): Kuaidi100's own label is a short link
//!   to an image or HTML page made from a template registered in its console (`tempId`), not a
//!   document the hub could store; the hub draws its 76×130 mm e-waybill with the number.
//! - Several parcels: `count` and `needChild` `1`, one child number per further parcel.
//! - `orderId` is ours, derived from the request (equal requests, equal ids), so Kuaidi100
//!   and the network see the same order id on a retried purchase.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::CarrierError;
use crate::http::lenient;
use crate::model::{
    Address, Currency, Money, ShipRequest, TrackingNumber, Waybill, WaybillRef, WeightUnit,
};

use super::CODE;
use super::account::Network;

/// The `method` of a purchase.
pub(super) const ORDER: &str = "order";
/// The `method` of a cancellation.
pub(super) const CANCEL: &str = "cancel";

/// A person on the e-waybill (the demos' `ManInfo`).
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(super) struct ManInfo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tel: Option<String>,
    pub print_addr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    pub province: String,
    pub city: String,
    pub district: String,
    pub addr: String,
}

/// The network's e-waybill account fields, as `param` carries them (only those given).
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(super) struct Partner<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_man: Option<&'a str>,
}

impl<'a> Partner<'a> {
    fn of(n: &'a Network) -> Self {
        Partner {
            partner_id: n.partner_id.as_deref(),
            partner_key: n.partner_key.as_ref().map(|s| s.expose()),
            partner_secret: n.partner_secret.as_ref().map(|s| s.expose()),
            partner_name: n.partner_name.as_deref(),
            net: n.net.as_deref(),
            code: n.code.as_deref(),
            check_man: n.check_man.as_deref(),
        }
    }
}

/// `param` of `method=order` (the demos' `labelV2.OrderReq`, the fields the hub fills).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrderParam<'a> {
    pub kuaidicom: &'a str,
    #[serde(flatten)]
    pub partner: Partner<'a>,
    pub rec_man: ManInfo,
    pub send_man: ManInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cargo: Option<String>,
    /// Total weight in kg (a JSON number: the demo's `double`).
    pub weight: serde_json::Number,
    pub count: usize,
    /// `1` when several parcels need child numbers.
    pub need_child: &'static str,
    pub pay_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp_type: Option<&'a str>,
    pub order_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    pub print_type: &'static str,
}

/// `param` of `method=cancel` (the demos' `LabelCancelParam`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CancelParam<'a> {
    pub kuaidicom: &'a str,
    pub kuaidinum: &'a str,
    #[serde(flatten)]
    pub partner: Partner<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp_type: Option<&'a str>,
    pub reason: &'static str,
}

/// The answer of both methods (the demos' `labelV2.Result`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct LabelAnswer {
    /// 200 on success; anything else is a refusal (`message` says why).
    #[serde(default, deserialize_with = "lenient::text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub data: Option<OrderResult>,
}

/// `data` of a purchase (the demos' `labelV2.OrderResult`, the fields the hub reads).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrderResult {
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub kuaidinum: Option<String>,
    /// The further pieces' numbers, comma-separated.
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub child_num: Option<String>,
    /// The network's order number (a cancel sends it as `orderId`).
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub kd_com_order_num: Option<String>,
    /// The label's short link (only with `printType` `IMAGE`/`HTML`).
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub label: Option<String>,
}

fn rejected(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(CODE, field, None, message)
}

/// A mainland mobile (`+86`/`86` dropped) goes as `mobile`, anything else as `tel`.
fn phone(p: &str) -> (Option<String>, Option<String>) {
    let digits: String = p.chars().filter(|c| c.is_ascii_digit()).collect();
    let national = digits
        .strip_prefix("86")
        .filter(|d| d.len() == 11)
        .unwrap_or(&digits);
    if national.len() == 11 && national.starts_with('1') {
        (Some(national.to_string()), None)
    } else {
        (None, Some(p.trim().to_string()))
    }
}

fn man(who: &str, a: &Address) -> Result<ManInfo, CarrierError> {
    if a.country.as_str() != "CN" {
        return Err(rejected(
            &format!("{who}/country"),
            "Kuaidi100 e-waybills are for parcels within mainland China (CN to CN)",
        ));
    }
    let province = a
        .state
        .clone()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            rejected(
                &format!("{who}/state"),
                "a Kuaidi100 e-waybill needs the province (省) of both addresses",
            )
        })?;
    let district = a.district.clone().unwrap_or_default();
    let p = a
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| {
            rejected(
                &format!("{who}/phone"),
                "a Kuaidi100 e-waybill needs a mobile or landline for both addresses",
            )
        })?;
    let (mobile, tel) = phone(p);
    let addr = a.street.join("");
    Ok(ManInfo {
        name: a.name.clone(),
        mobile,
        tel,
        print_addr: format!("{province}{}{district}{addr}", a.city),
        company: a.company.clone(),
        province,
        city: a.city.clone(),
        district,
        addr,
    })
}

/// The stable `orderId` of a purchase: `SH` and 30 hex digits of the SHA-256 of the request.
pub(super) fn order_id(req: &ShipRequest) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(req).expect("requests serialize"));
    format!("SH{}", &hex::encode(h.finalize())[..30])
}

/// The `param` of a purchase on `network` (the request's service), checked first.
pub(super) fn order_param<'a>(
    req: &'a ShipRequest,
    network: &'a Network,
    pay_type: &'a str,
) -> Result<OrderParam<'a>, CarrierError> {
    let s = &req.shipment;
    let kg: Decimal = s
        .parcels
        .iter()
        .map(|p| p.weight.to(WeightUnit::Kg).value())
        .sum::<Decimal>()
        .round_dp(3)
        .normalize();
    let weight = kg
        .to_string()
        .parse::<serde_json::Number>()
        .map_err(|e| rejected("/parcels", format!("weight {kg} kg: {e}")))?;
    let cargo = s
        .parcels
        .iter()
        .find_map(|p| p.description.clone())
        .filter(|d| !d.trim().is_empty());
    let count = s.parcels.len();
    Ok(OrderParam {
        kuaidicom: &req.service,
        partner: Partner::of(network),
        rec_man: man("/to", &s.to)?,
        send_man: man("/from", &s.from)?,
        cargo,
        weight,
        count,
        need_child: if count > 1 { "1" } else { "0" },
        pay_type,
        exp_type: network.exp_type.as_deref(),
        order_id: order_id(req),
        remark: req.reference.clone(),
        print_type: "NON",
    })
}

/// What the hub keeps to cancel: the network and, when the network gave one, its order
/// number (`zhongtong` or `zhongtong:7100…`). A `WaybillRef` has no service, so the network
/// travels in the shipment id.
pub(super) fn shipment_id(network: &str, kd_order: Option<&str>) -> String {
    match kd_order {
        Some(o) => format!("{network}:{o}"),
        None => network.to_string(),
    }
}

/// The network and the network's order number back from [`shipment_id`].
pub(super) fn parse_shipment_id(id: &str) -> Result<(&str, Option<&str>), CarrierError> {
    let (network, order) = match id.split_once(':') {
        Some((n, o)) => (n, Some(o).filter(|o| !o.is_empty())),
        None => (id, None),
    };
    if network.is_empty() {
        return Err(rejected(
            "/carrier_shipment_id",
            "not a Kuaidi100 e-waybill bought through this hub (no network in the shipment id)",
        ));
    }
    Ok((network, order))
}

/// The `param` of a cancellation.
pub(super) fn cancel_param<'a>(
    w: &'a WaybillRef,
    network: &'a str,
    kd_order: Option<&'a str>,
    account: &'a Network,
) -> CancelParam<'a> {
    CancelParam {
        kuaidicom: network,
        kuaidinum: w.tracking_number.as_str(),
        partner: Partner::of(account),
        order_id: kd_order,
        exp_type: account.exp_type.as_deref(),
        reason: "寄件人取消",
    }
}

/// The waybill of a `code` 200 purchase answer on `network` for `parcels` parcels.
pub(super) fn parse_order(
    a: LabelAnswer,
    network: &str,
    parcels: usize,
) -> Result<Waybill, CarrierError> {
    let protocol = |m: &str| super::error::DIALECT.protocol(200, &[], m.to_string());
    let data = a.data.unwrap_or_default();
    let master: TrackingNumber = data
        .kuaidinum
        .as_deref()
        .ok_or_else(|| protocol("code 200 without data.kuaidinum"))?
        .parse()
        .map_err(|_| protocol("data.kuaidinum is not a tracking number"))?;
    let mut pieces = vec![master.clone()];
    for child in data.child_num.iter().flat_map(|c| c.split(',')) {
        let child = child.trim();
        if child.is_empty() {
            continue;
        }
        pieces.push(
            child
                .parse()
                .map_err(|_| protocol("data.childNum holds a bad number"))?,
        );
    }
    let mut warnings = Vec::new();
    if pieces.len() != parcels {
        // The hub labels each piece with its own number: too few is not a purchase we can
        // print. Too many cannot be matched to parcels either.
        return Err(protocol(&format!(
            "{} waybill numbers for {parcels} parcels",
            pieces.len()
        )));
    }
    if let Some(label) = &data.label {
        warnings.push(format!("Kuaidi100 label link (not stored): {label}"));
    }
    // The answer carries no price: the network bills the outlet account (月结) itself, so the
    // hub records 0.00 CNY and says so; its invoice is reconciled as any other.
    warnings.push(
        "Kuaidi100 e-waybills carry no price: the network bills its e-waybill account directly; \
         the total is recorded as 0.00 CNY"
            .to_string(),
    );
    let cny: Currency = "CNY".parse().expect("CNY is a currency");
    Ok(Waybill {
        tracking_number: master,
        pieces,
        carrier_shipment_id: shipment_id(network, data.kd_com_order_num.as_deref()),
        label: None,
        total: Some(Money::new(Decimal::new(0, 2), cny)),
        breakdown: Vec::new(),
        warnings,
    })
}
