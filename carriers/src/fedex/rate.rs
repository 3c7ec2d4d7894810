//! Rate and Transit Times: our `RateRequest` to FedEx's `POST /rate/v1/rates/quotes` body and
//! its `rateReplyDetails` back to quotes. Also owns the shipment pieces Ship reuses (parties,
//! packages, customs), so both calls describe a shipment the same way. Pure: no HTTP.
//!
//! Decisions:
//! - `serviceType` is left out, so FedEx quotes every service on the lane, and
//!   `returnTransitTimes` is on, for transit days and delivery dates.
//! - We ask for `ACCOUNT`, `LIST` and `PREFERRED` rates, with `preferredCurrency` the
//!   shipper's local currency (`preferred_currency`), and quote the account (negotiated) rate
//!   in the currency FedEx bills it in: a `PREFERRED_*` figure is FedEx's conversion, never what
//!   is billed, so it only ever shows up as a note beside the billed amount. Services may come
//!   back in different currencies (some in the account's, some in the shipper's); each quote
//!   keeps its own, and the hub's rate shopping never compares across them.
//! - The breakdown is FedEx's own lines: base charge, minus discounts, each surcharge under its
//!   FedEx type (`FUEL` as fuel), each tax; the total is FedEx's `totalNetCharge`. When the
//!   lines do not add up to it, the difference becomes one explicit "not itemised" line and a
//!   note, so a quote's total always equals its breakdown without hiding FedEx's figure.

use rust_decimal::{Decimal, RoundingStrategy};
use time::Date;

use crate::error::CarrierError;
use crate::model::{
    Address, Charge, ChargeKind, ContentType, CustomsDeclaration, Incoterm, LengthUnit, Money,
    Parcel, Quote, RateRequest, ServiceLevel, Weight, WeightUnit,
};

use super::account::Account;
use super::error;
use super::{codes, wire};

/// Imperial (LB/IN) or metric (KG/CM): FedEx wants one system per shipment, so we take the
/// first parcel's and convert the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Units {
    pub weight: WeightUnit,
    pub length: LengthUnit,
}

impl Units {
    pub(super) fn of(req: &RateRequest) -> Units {
        match req.parcels.first().map(|p| p.weight.unit()) {
            Some(WeightUnit::Lb | WeightUnit::Oz) => Units {
                weight: WeightUnit::Lb,
                length: LengthUnit::In,
            },
            _ => Units {
                weight: WeightUnit::Kg,
                length: LengthUnit::Cm,
            },
        }
    }
    fn weight_code(self) -> &'static str {
        if self.weight == WeightUnit::Lb {
            "LB"
        } else {
            "KG"
        }
    }
    fn length_code(self) -> &'static str {
        if self.length == LengthUnit::In {
            "IN"
        } else {
            "CM"
        }
    }
}

/// FedEx takes weights to two decimals; we round up, so a parcel is never under-declared
/// (FedEx bills the scale weight it measures, and an under-declared one costs an adjustment).
fn wire_weight(w: Weight, units: Units) -> (Decimal, wire::Weight) {
    let value = w.ceil_to(Decimal::new(1, 2), units.weight).value();
    (
        value,
        wire::Weight {
            units: units.weight_code(),
            value: wire::Num(value),
        },
    )
}

/// Whole inches or centimetres, rounded up for the same reason as weights.
fn whole(v: Decimal) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    v.round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity)
        .to_u32()
        .unwrap_or(u32::MAX)
}

pub(super) fn address(a: &Address) -> wire::Address {
    wire::Address {
        street_lines: a.street.clone(),
        city: a.city.clone(),
        state_or_province_code: a.state.clone(),
        postal_code: a.postal_code.clone(),
        country_code: a.country.as_str().to_string(),
        residential: a.residential,
    }
}

/// Package lines in parcel order, and the shipment's total weight (sum of the rounded lines).
pub(super) fn packages(parcels: &[Parcel], units: Units) -> (Vec<wire::PackageLineItem>, Decimal) {
    let mut total = Decimal::ZERO;
    let items = parcels
        .iter()
        .map(|p| {
            let (value, weight) = wire_weight(p.weight, units);
            total += value;
            wire::PackageLineItem {
                sequence_number: None,
                group_package_count: None,
                weight,
                dimensions: p.dimensions.map(|d| {
                    let d = d.to(units.length);
                    wire::Dimensions {
                        length: whole(d.length()),
                        width: whole(d.width()),
                        height: whole(d.height()),
                        units: units.length_code(),
                    }
                }),
                item_description: p.description.clone(),
                customer_references: Vec::new(),
                declared_value: None,
                package_special_services: None,
            }
        })
        .collect();
    (items, total)
}

pub(super) fn money(m: Money) -> wire::Money {
    wire::Money {
        amount: wire::Num(m.amount()),
        currency: codes::fedex_currency(m.currency()),
    }
}

/// FedEx `shipmentPurpose` for our content type. Documents travel as `NOT_SOLD` with
/// `isDocumentOnly`; returns as `REPAIR_AND_RETURN`, the only return purpose Ship accepts.
fn purpose(c: ContentType) -> &'static str {
    match c {
        ContentType::Merchandise => "SOLD",
        ContentType::Gift => "GIFT",
        ContentType::Sample => "SAMPLE",
        ContentType::ReturnedGoods => "REPAIR_AND_RETURN",
        ContentType::Documents | ContentType::Other => "NOT_SOLD",
    }
}

/// Incoterm as FedEx's `termsOfSale` (the Incoterms code itself).
fn terms_of_sale(i: Incoterm) -> &'static str {
    match i {
        Incoterm::EXW => "EXW",
        Incoterm::FCA => "FCA",
        Incoterm::CPT => "CPT",
        Incoterm::CIP => "CIP",
        Incoterm::DAP => "DAP",
        Incoterm::DPU => "DPU",
        Incoterm::DDP => "DDP",
        Incoterm::DDU => "DDU",
        Incoterm::FAS => "FAS",
        Incoterm::FOB => "FOB",
        Incoterm::CFR => "CFR",
        Incoterm::CIF => "CIF",
    }
}

/// Customs for an international shipment. Duties: the shipper's account pays under DDP (the
/// shipper promised delivered-duty-paid), the recipient under every other term.
/// `for_ship` adds what only Ship's schema declares: the incoterm as `termsOfSale`, a
/// recipient duties payer (Rate knows only `SENDER`), `isDocumentOnly` and
/// `totalCustomsValue`.
pub(super) fn customs(
    c: &CustomsDeclaration,
    account: &Account,
    units: Units,
    for_ship: bool,
) -> wire::CustomsClearanceDetail {
    let duties = if c.incoterm == Incoterm::DDP {
        Some(wire::Payment {
            payment_type: "SENDER",
            payor: Some(payor(account)),
        })
    } else if for_ship {
        Some(wire::Payment {
            payment_type: "RECIPIENT",
            payor: None,
        })
    } else {
        None
    };
    let commodities = c
        .items
        .iter()
        .map(|item| {
            let unit_weight = item.unit_weight.to(units.weight).value();
            let line_weight = Weight::new(unit_weight * Decimal::from(item.quantity), units.weight)
                .expect("a non-negative weight times a count is non-negative");
            wire::Commodity {
                description: item.description.clone(),
                country_of_manufacture: item.origin_country.as_str().to_string(),
                harmonized_code: item.hs_code.as_str().to_string(),
                quantity: item.quantity,
                quantity_units: "PCS",
                number_of_pieces: 1,
                unit_price: money(item.unit_value),
                customs_value: money(item.unit_value.times(item.quantity.into())),
                weight: wire_weight(line_weight, units).1,
                part_number: item.sku.clone(),
            }
        })
        .collect();
    wire::CustomsClearanceDetail {
        duties_payment: duties,
        is_document_only: for_ship.then_some(c.content_type == ContentType::Documents),
        commercial_invoice: Some(wire::CommercialInvoice {
            shipment_purpose: purpose(c.content_type),
            terms_of_sale: for_ship.then(|| terms_of_sale(c.incoterm)),
        }),
        commodities,
        total_customs_value: for_ship.then(|| money(c.total_value())),
    }
}

pub(super) fn payor(account: &Account) -> wire::Payor {
    wire::Payor {
        responsible_party: wire::ResponsibleParty {
            account_number: wire::AccountNumber {
                value: account.account_number.clone(),
            },
        },
    }
}

/// Checks shared by rate and ship before anything is sent.
pub(super) fn validate(req: &RateRequest) -> Result<(), CarrierError> {
    req.validate()
        .map_err(|e| CarrierError::rejected(super::CODE, &e.field, None, e.message))?;
    req.unsold_packaging("FedEx", |p| codes::packaging_code(Some(p)).is_some())
        .map_err(|e| CarrierError::rejected(super::CODE, &e.field, None, e.message))?;
    if req
        .parcels
        .iter()
        .any(|p| p.packaging != req.parcels[0].packaging)
    {
        return Err(CarrierError::rejected(
            super::CODE,
            "/parcels",
            None,
            "FedEx takes one packaging type per shipment: every parcel must name the same packaging",
        ));
    }
    if req.is_international() && req.customs.is_none() {
        return Err(CarrierError::rejected(
            super::CODE,
            "/customs",
            None,
            "FedEx needs a customs declaration for an international shipment",
        ));
    }
    Ok(())
}

fn date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub(super) fn ship_date(req: &RateRequest) -> Option<String> {
    req.ship_date.map(date)
}

/// `packagingType` for a validated request: one per shipment, the parcels' own.
pub(super) fn packaging_type(req: &RateRequest) -> &'static str {
    codes::packaging_code(req.parcels.first().and_then(|p| p.packaging)).unwrap_or(codes::PACKAGING)
}

/// The Rate API body for `req`.
pub(super) fn build(
    req: &RateRequest,
    account: &Account,
) -> Result<wire::RateRequest, CarrierError> {
    validate(req)?;
    let units = Units::of(req);
    let (mut items, total) = packages(&req.parcels, units);
    for item in &mut items {
        item.group_package_count = Some(1);
    }
    let special =
        super::options::apply(&req.options, false, &mut items, super::options::Api::Rate)?;
    let party = |a: &Address| wire::Party {
        address: wire::Address {
            street_lines: Vec::new(),
            ..address(a)
        },
        contact: None,
        tins: Vec::new(),
    };
    Ok(wire::RateRequest {
        account_number: wire::AccountNumber {
            value: account.account_number.clone(),
        },
        rate_request_control_parameters: wire::RateRequestControlParameters {
            return_transit_times: true,
        },
        requested_shipment: wire::RateShipment {
            shipper: party(&req.from),
            recipient: party(&req.to),
            service_type: None,
            pickup_type: account.pickup_type.clone(),
            packaging_type: packaging_type(req),
            rate_request_type: vec!["ACCOUNT", "LIST", "PREFERRED"],
            preferred_currency: preferred_currency(&req.from),
            ship_date_stamp: ship_date(req),
            total_package_count: req.parcels.len() as u32,
            total_weight: wire::Num(total),
            requested_package_line_items: items,
            customs_clearance_detail: req
                .customs
                .as_ref()
                .map(|c| customs(c, account, units, false)),
            shipment_special_services: special,
        },
    })
}

/// The currency of the shipper's country, for `preferredCurrency`; `None` (no preferred
/// rates asked) for a country outside this short list of FedEx's main markets.
fn preferred_currency(from: &Address) -> Option<&'static str> {
    const EURO: [&str; 20] = [
        "AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV",
        "MT", "NL", "PT", "SI", "SK",
    ];
    let country = from.country.as_str();
    if EURO.contains(&country) {
        return Some("EUR");
    }
    Some(match country {
        "US" | "PR" => "USD",
        "CA" => "CAD",
        "MX" => "MXN",
        "GB" => "GBP",
        "AU" => "AUD",
        "JP" => "JPY",
        "CN" => "CNY",
        "HK" => "HKD",
        "SG" => "SGD",
        "CH" => "CHF",
        "SE" => "SEK",
        "DK" => "DKK",
        "NO" => "NOK",
        "PL" => "PLN",
        "IN" => "INR",
        "BR" => "BRL",
        _ => return None,
    })
}

/// Which of FedEx's `ratedShipmentDetails` is billed: account (negotiated, incentive, payor
/// account) rates first, list rates next; the `PREFERRED_*` conversions after both, since
/// FedEx bills in the account's currency, not the preferred one; anything else last.
pub(super) fn rate_rank(rate_type: Option<&str>) -> u8 {
    let t = rate_type.unwrap_or_default();
    let preferred = t.starts_with("PREFERRED");
    let base = match t {
        // `PREFERRED_CURRENCY` (and bare `PREFERRED`) is the account rate converted to the
        // preferred currency, as FedEx's own rating samples pair it with `ACCOUNT`.
        "PREFERRED" | "PREFERRED_CURRENCY" => 0,
        t if t.contains("ACCOUNT") || t.contains("NEGOTIATED") || t.contains("INCENTIVE") => 0,
        t if t.contains("LIST") => 1,
        _ => 4,
    };
    if preferred && base < 4 {
        base + 2
    } else {
        base
    }
}

/// Charge lines and total from FedEx's figures, with any unitemised remainder made explicit.
pub(super) struct Priced {
    pub total: Money,
    pub breakdown: Vec<Charge>,
    pub notes: Vec<String>,
}

pub(super) fn price(
    currency: Option<&str>,
    base: Option<Decimal>,
    discounts: Option<Decimal>,
    surcharges: &[wire::Surcharge],
    taxes: &[wire::Surcharge],
    net: Option<Decimal>,
) -> Result<Priced, String> {
    let currency = currency
        .and_then(codes::iso_currency)
        .ok_or_else(|| format!("no usable currency ({currency:?})"))?;
    let net = net.ok_or("no totalNetCharge")?;
    let line = |kind, code: Option<&str>, description: String, amount: Decimal| Charge {
        kind,
        code: code.map(str::to_string),
        description,
        amount: Money::new(amount, currency),
    };
    let mut breakdown = Vec::new();
    if let Some(base) = base {
        breakdown.push(line(ChargeKind::Base, None, "Base charge".into(), base));
    }
    if let Some(d) = discounts.filter(|d| !d.is_zero()) {
        breakdown.push(line(
            ChargeKind::Discount,
            None,
            "FedEx discount".into(),
            -d.abs(),
        ));
    }
    for s in surcharges {
        let Some(amount) = s.amount else { continue };
        let kind = if s.kind.as_deref() == Some("FUEL") {
            ChargeKind::Fuel
        } else {
            ChargeKind::Surcharge
        };
        // FedEx's own words when it sends them, else our name for its surcharge type.
        let description = s
            .description
            .clone()
            .filter(|d| !d.trim().is_empty())
            .or_else(|| {
                let kind = s.kind.as_deref()?;
                Some(codes::surcharge_name(kind).map_or_else(|| kind.to_string(), str::to_string))
            })
            .unwrap_or_else(|| "Surcharge".into());
        breakdown.push(line(kind, s.kind.as_deref(), description, amount));
    }
    for t in taxes {
        let Some(amount) = t.amount else { continue };
        let description = t
            .description
            .clone()
            .or_else(|| t.kind.clone())
            .unwrap_or_else(|| "Tax".into());
        breakdown.push(line(
            ChargeKind::DutiesTaxes,
            t.kind.as_deref(),
            description,
            amount,
        ));
    }
    let itemised: Decimal = breakdown.iter().map(|c| c.amount.amount()).sum();
    let mut notes = Vec::new();
    if itemised != net {
        let rest = net - itemised;
        notes.push(format!(
            "FedEx's net charge {net} {currency} includes {rest} not itemised"
        ));
        breakdown.push(line(
            ChargeKind::Surcharge,
            None,
            "Charges FedEx did not itemise".into(),
            rest,
        ));
    }
    Ok(Priced {
        total: Money::new(net, currency),
        breakdown,
        notes,
    })
}

/// `YYYY-MM-DD…` → date; FedEx sends `""` for "none".
pub(super) fn date_prefix(s: Option<&str>) -> Option<Date> {
    let s = s?.get(..10)?;
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

pub(super) fn alert_notes(alerts: &[wire::Alert]) -> Vec<String> {
    alerts
        .iter()
        .filter_map(|a| match (a.code.as_deref(), a.message.as_deref()) {
            (Some(c), Some(m)) if c != m => Some(format!("{c}: {m}")),
            (Some(c), _) => Some(c.to_string()),
            (None, Some(m)) => Some(m.to_string()),
            (None, None) => None,
        })
        .collect()
}

/// Quotes from a Rate answer, in FedEx's order. Services outside our table are left out
/// (we could not buy them); a service whose rate has no total or currency is a `Protocol`
/// error, not a silent gap.
pub(super) fn parse(
    resp: wire::RateResponse,
    req: &RateRequest,
) -> Result<Vec<Quote>, CarrierError> {
    let Some(output) = resp.output else {
        return Err(error::protocol(200, b"", "rate response without output"));
    };
    let shared_notes = alert_notes(&output.alerts);
    let actual = Weight::sum(Units::of(req).weight, req.parcels.iter().map(|p| p.weight));
    let mut quotes = Vec::new();
    for detail in output.rate_reply_details {
        let Some(info) = detail.service_type.as_deref().and_then(codes::service_info) else {
            continue;
        };
        let Some(rated) = detail
            .rated_shipment_details
            .iter()
            .min_by_key(|r| rate_rank(r.rate_type.as_deref()))
        else {
            continue;
        };
        let srd = rated.shipment_rate_detail.as_ref();
        let currency = rated
            .currency
            .as_deref()
            .or(srd.and_then(|s| s.currency.as_deref()));
        let priced = price(
            currency,
            rated.total_base_charge,
            rated.total_discounts,
            srd.map(|s| s.surcharges.as_slice()).unwrap_or_default(),
            srd.map(|s| s.taxes.as_slice()).unwrap_or_default(),
            rated.total_net_charge,
        )
        .map_err(|m| error::protocol(200, b"", format!("{}: {m}", info.code)))?;
        let billable = srd
            .and_then(|s| s.total_billing_weight.as_ref())
            .and_then(|w| {
                let unit = match w.units.as_deref()? {
                    "LB" => WeightUnit::Lb,
                    "KG" => WeightUnit::Kg,
                    _ => return None,
                };
                Weight::new(w.value?, unit).ok()
            })
            .unwrap_or(actual);
        let commit = detail.commit.as_ref();
        let ops = detail.operational_detail.as_ref();
        let transit_days = commit
            .and_then(|c| c.days_in_transit.as_deref())
            .or(ops.and_then(|o| o.transit_time.as_deref()))
            .and_then(codes::transit_days);
        let estimated_delivery = date_prefix(
            commit
                .and_then(|c| c.date_detail.as_ref())
                .and_then(|d| d.day_format.as_deref()),
        )
        .or_else(|| date_prefix(ops.and_then(|o| o.delivery_date.as_deref())));
        let mut notes = priced.notes;
        // The same rate in another currency (FedEx's `PREFERRED_*` conversion): shown, not billed.
        for other in &detail.rated_shipment_details {
            let other_currency = other.currency.as_deref().or(other
                .shipment_rate_detail
                .as_ref()
                .and_then(|s| s.currency.as_deref()));
            if rate_rank(other.rate_type.as_deref()) == rate_rank(rated.rate_type.as_deref()) + 2
                && other_currency.is_some_and(|c| Some(c) != currency)
                && let (Some(net), Some(c)) = (other.total_net_charge, other_currency)
            {
                notes.push(format!(
                    "billed in {}; FedEx's {} figure is {} {c}",
                    priced.total.currency().as_str(),
                    other.rate_type.as_deref().unwrap_or("preferred"),
                    net.round_dp(2)
                ));
            }
        }
        notes.extend(alert_notes(&detail.customer_messages));
        notes.extend(shared_notes.iter().cloned());
        quotes.push(Quote {
            service: ServiceLevel {
                carrier: "fedex".into(),
                code: info.code.into(),
                name: info.name.into(),
                class: info.class,
            },
            total: priced.total,
            breakdown: priced.breakdown,
            billable_weight: billable,
            transit_days,
            estimated_delivery,
            guaranteed: commit.is_some_and(|c| c.guaranteed_type.is_some()),
            notes,
        });
    }
    Ok(quotes)
}

/// The CPU one rate request costs this adapter, without the network: build the request and
/// serialize it, then deserialize a response body and parse it into quotes. For benchmarks.
#[doc(hidden)]
pub fn bench_cycle(req: &RateRequest, response: &[u8]) -> Result<(usize, usize), CarrierError> {
    use std::sync::LazyLock;
    static ACCOUNT: LazyLock<Account> = LazyLock::new(|| {
        let config = serde_json::json!({"api_key": "bench", "secret_key": "bench", "account_number": "740561073"});
        Account::from_json(&config).expect("static account")
    });
    error::DIALECT.cycle(
        build(req, &ACCOUNT)?,
        response,
        |resp: wire::RateResponse| parse(resp, req),
    )
}
