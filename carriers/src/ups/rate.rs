//! Rating: `POST /api/rating/{version}/Shoptimeintransit` (every service, with time in
//! transit). Pure `build`/`parse`, plus the wire formatting helpers ship shares (units,
//! number strings, addresses). No I/O here.

use rust_decimal::{Decimal, RoundingStrategy};
use time::Date;

use crate::error::CarrierError;
use crate::model::{
    Address, Charge, ChargeKind, ContentType, Currency, Dimensions, LengthUnit, Money, Quote,
    RateRequest, ServiceLevel, Weight, WeightUnit,
};

use super::ENTRY;
use super::account::Account;
use super::codes;
use super::error;
use super::options;
use super::wire;

/// The Rating API version (`Rating.yaml`: `version` path default).
pub(super) const VERSION: &str = "v2409";

/// `Shop` prices every service; `Shoptimeintransit` adds transit days and delivery dates
/// (`Rating.yaml` example 10). We always want both.
pub(super) fn path() -> String {
    format!("/api/rating/{VERSION}/{REQUEST_OPTION}")
}

const REQUEST_OPTION: &str = "Shoptimeintransit";

/// The Rating request for `req`.
pub(super) fn build(
    req: &RateRequest,
    account: &Account,
) -> Result<wire::RateRequestWrapper, CarrierError> {
    req.unsold_packaging("UPS", |p| codes::packaging_code(Some(p)).is_some())
        .map_err(|e| rejected(&e.field, &e.message))?;
    let units = Units::for_origin(&req.from);
    let mut options = options::wire(req, units, None, false)?;
    let packages = req
        .parcels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(wire::RatePackage {
                packaging_type: wire::CodeDesc::code(
                    codes::packaging_code(p.packaging).unwrap_or(codes::CUSTOMER_PACKAGING),
                ),
                dimensions: p.dimensions.map(|d| units.dimensions(d, i)).transpose()?,
                package_weight: units.weight(p.weight),
                package_service_options: options.packages.get_mut(i).and_then(Option::take),
            })
        })
        .collect::<Result<Vec<_>, CarrierError>>()?;
    let total = req
        .parcels
        .iter()
        .map(|p| p.weight.to(units.weight))
        .fold(Decimal::ZERO, |a, w| a + w.value());
    let international = req.is_international();
    let invoice_line_total = match (&req.customs, international) {
        (Some(c), true) => Some(money_out(c.total_value())),
        (None, true) => {
            return Err(rejected(
                "/customs",
                "UPS needs the declared value of an international shipment to quote time in transit",
            ));
        }
        _ => None,
    };
    let documents = req
        .customs
        .as_ref()
        .is_some_and(|c| c.content_type == ContentType::Documents);
    Ok(wire::RateRequestWrapper {
        rate_request: wire::RateRequest {
            request: wire::RateRequestHeader {
                request_option: REQUEST_OPTION.into(),
                transaction_reference: wire::TransactionReference {
                    customer_context: "shiphub rate".into(),
                },
            },
            shipment: wire::RateShipment {
                shipper: party(
                    &req.from,
                    Some(&account.account_number),
                    AddressLimits::RATE,
                    false,
                ),
                ship_to: party(&req.to, None, AddressLimits::RATE, true),
                ship_from: party(&req.from, None, AddressLimits::RATE, false),
                payment_details: bill_shipper(account, false),
                shipment_rating_options: wire::RatingOptions {
                    negotiated_rates_indicator: "Y".into(),
                },
                num_of_pieces: req.parcels.len().to_string(),
                shipment_total_weight: wire::Weight {
                    unit_of_measurement: units.weight_uom(),
                    weight: weight_string(total),
                },
                invoice_line_total,
                // PackageBillType: 02 document only, 03 non-document (Rating.yaml).
                delivery_time_information: wire::DeliveryTimeInformation {
                    package_bill_type: if documents { "02" } else { "03" }.into(),
                    pickup: req
                        .ship_date
                        .map(|d| wire::PickupDate { date: yyyymmdd(d) }),
                },
                shipment_service_options: (!options.shipment.is_empty())
                    .then_some(options.shipment),
                package: packages,
            },
        },
    })
}

/// Quotes from a Rating answer, one per `RatedShipment`. With Saturday delivery asked, a
/// service UPS says does not deliver on Saturday is left out (Shop prices every service and
/// ignores the indicator where it does not apply); none left is a refusal on the option.
pub(super) fn parse(
    resp: wire::RateResponseWrapper,
    req: &RateRequest,
) -> Result<Vec<Quote>, CarrierError> {
    let resp = resp.rate_response;
    check_status(&resp.response)?;
    let quotes: Vec<Quote> = resp
        .rated_shipment
        .iter()
        .filter(|rs| {
            !req.options.saturday_delivery || {
                let arrival = rs
                    .time_in_transit
                    .as_ref()
                    .and_then(|t| t.service_summary.as_ref())
                    .and_then(|s| s.estimated_arrival.as_ref())
                    .and_then(|a| a.arrival.as_ref())
                    .and_then(|a| a.date.as_deref())
                    .and_then(parse_date);
                options::delivers_saturday(rs, arrival)
            }
        })
        .map(|rs| {
            let code = rs
                .service
                .as_ref()
                .and_then(|s| s.code.as_deref())
                .ok_or_else(|| bad("RatedShipment without Service.Code"))?;
            let service = service_level(code)?;
            let (total, breakdown, mut notes) =
                charges(&rs.charges, rs.negotiated_rate_charges.as_ref())?;
            let billable_weight = rs
                .billing_weight
                .as_ref()
                .map(weight_in)
                .transpose()?
                .ok_or_else(|| bad("RatedShipment without BillingWeight"))?;
            let summary = rs
                .time_in_transit
                .as_ref()
                .and_then(|t| t.service_summary.as_ref());
            let arrival = summary.and_then(|s| s.estimated_arrival.as_ref());
            let transit_days = arrival
                .and_then(|a| a.business_days_in_transit.as_deref())
                .or_else(|| {
                    rs.guaranteed_delivery
                        .as_ref()
                        .and_then(|g| g.business_days_in_transit.as_deref())
                })
                .and_then(|d| d.trim().parse::<u32>().ok());
            let estimated_delivery = arrival
                .and_then(|a| a.arrival.as_ref())
                .and_then(|a| a.date.as_deref())
                .and_then(parse_date);
            // Each alert keeps UPS's code (`110971: Your invoice may vary…`).
            notes.extend(
                rs.rated_shipment_alert
                    .iter()
                    .map(|a| super::track::note(a.code.as_deref(), a.description.as_deref())),
            );
            Ok(Quote {
                service,
                total,
                breakdown,
                billable_weight,
                transit_days,
                estimated_delivery,
                // UPS's GuaranteedIndicator is an empty-tag indicator: present means guaranteed.
                guaranteed: summary.is_some_and(|s| s.guaranteed_indicator.is_some()),
                notes,
            })
        })
        .collect::<Result<_, CarrierError>>()?;
    if quotes.is_empty() && !resp.rated_shipment.is_empty() {
        return Err(rejected(
            "/options/saturday_delivery",
            "no UPS service delivers this shipment on a Saturday",
        ));
    }
    Ok(quotes)
}

/// The service level for a UPS code; an undeclared code is a `Protocol` error rather than a
/// quote nobody can ship.
pub(super) fn service_level(code: &str) -> Result<ServiceLevel, CarrierError> {
    let info = codes::service(code).ok_or_else(|| {
        bad(format!(
            "UPS quoted service `{code}`, which is not in codes::SERVICES"
        ))
    })?;
    Ok(ServiceLevel {
        carrier: ENTRY.code.as_str().to_string(),
        code: info.code.to_string(),
        name: info.name.to_string(),
        class: info.class,
    })
}

/// A failed `ResponseStatus` (code `0`) in an otherwise well-formed answer.
pub(super) fn check_status(r: &wire::Response) -> Result<(), CarrierError> {
    match r.response_status.as_ref().and_then(|s| s.code.as_deref()) {
        Some("0") => Err(CarrierError::Rejected {
            carrier: ENTRY.code.clone(),
            errors: r
                .alert
                .iter()
                .map(|a| {
                    let message = a.description.clone().unwrap_or_default();
                    crate::error::FieldError {
                        field: error::field_from_message(&message),
                        carrier_code: a.code.clone(),
                        message,
                    }
                })
                .collect(),
        }),
        _ => Ok(()),
    }
}

/// A charge line's words: UPS's own description when it gives one, else our name for the code
/// with UPS's `SubType` beside it ("Delivery area surcharge (Urban)"), else the sub-type alone,
/// else the bare code.
fn charge_description(
    code: &str,
    name: Option<&str>,
    description: Option<&str>,
    sub_type: Option<&str>,
) -> String {
    fn given(t: Option<&str>) -> Option<&str> {
        t.map(str::trim).filter(|t| !t.is_empty())
    }
    match (given(description), name, given(sub_type)) {
        (Some(d), _, _) => d.to_string(),
        (None, Some(n), Some(s)) => format!("{n} ({s})"),
        (None, Some(n), None) => n.to_string(),
        (None, None, Some(s)) => s.to_string(),
        (None, None, None) => format!("UPS charge {code}"),
    }
}

/// Total and breakdown from UPS's charge blocks. Negotiated (account) rates win over published
/// ones when UPS returns them. The breakdown keeps every line with UPS's code: the base
/// service charge, each `ItemizedCharges` line (fuel and surcharges), non-zero service
/// options, and taxes. The total is UPS's own (with taxes when UPS states them); if the lines
/// do not add up to it (UPS does not itemize everything, e.g. contract modifiers), one more
/// line carries the difference, so the breakdown always sums to the total.
pub(super) fn charges(
    published: &wire::Charges,
    negotiated: Option<&wire::Charges>,
) -> Result<(Money, Vec<Charge>, Vec<String>), CarrierError> {
    let negotiated = negotiated.filter(|n| n.total_charges.is_some());
    let block = negotiated.unwrap_or(published);
    let mut notes = Vec::new();
    if negotiated.is_some() {
        notes.push("negotiated rates".to_string());
    }
    let stated = match (&block.total_charges_with_taxes, &block.total_charges) {
        (Some(t), _) => money_in(t, None)?,
        (None, Some(t)) => money_in(t, None)?,
        (None, None) => return Err(bad("charges without TotalCharges")),
    };
    let currency = stated.currency();
    let mut lines = Vec::new();
    let itemized: Vec<Charge> = block
        .itemized_charges
        .iter()
        .map(|c| {
            let amount = money_parts(
                c.monetary_value.as_deref(),
                c.currency_code.as_deref(),
                currency,
            )?;
            let code = c.code.clone().unwrap_or_default();
            let (kind, name) =
                codes::charge_kind(&code, c.description.as_deref().or(c.sub_type.as_deref()));
            Ok(Charge {
                kind,
                description: charge_description(
                    &code,
                    name,
                    c.description.as_deref(),
                    c.sub_type.as_deref(),
                ),
                code: Some(code),
                amount,
            })
        })
        .collect::<Result<_, CarrierError>>()?;
    let itemized_sum =
        Money::sum(currency, itemized.iter().map(|c| &c.amount)).map_err(|e| bad(e.to_string()))?;
    let base = match block.base_service_charge.first() {
        Some(b) => Some(money_in(b, Some(currency))?),
        None => block
            .transportation_charges
            .as_ref()
            .map(|t| money_in(t, Some(currency)))
            .transpose()?
            .map(|t| Money::new(t.amount() - itemized_sum.amount(), currency)),
    };
    if let Some(base) = base {
        lines.push(Charge {
            kind: ChargeKind::Base,
            code: None,
            description: "Base service charge".into(),
            amount: base,
        });
    }
    lines.extend(itemized);
    if let Some(options) = &block.service_options_charges {
        let amount = money_in(options, Some(currency))?;
        if !amount.amount().is_zero() {
            lines.push(Charge {
                kind: ChargeKind::Surcharge,
                code: None,
                description: "Service options".into(),
                amount,
            });
        }
    }
    if block.total_charges_with_taxes.is_some() {
        for t in &block.tax_charges {
            lines.push(Charge {
                kind: ChargeKind::DutiesTaxes,
                code: t.kind.clone(),
                description: format!("Tax {}", t.kind.as_deref().unwrap_or(""))
                    .trim()
                    .to_string(),
                amount: money_parts(t.monetary_value.as_deref(), None, currency)?,
            });
        }
    }
    let sum =
        Money::sum(currency, lines.iter().map(|c| &c.amount)).map_err(|e| bad(e.to_string()))?;
    let diff = stated.amount() - sum.amount();
    if base.is_none() {
        // Shipping's negotiated block itemizes surcharges but states no base charge: the
        // base is what the total leaves after them.
        lines.insert(
            0,
            Charge {
                kind: ChargeKind::Base,
                code: None,
                description: "Base service charge (total less itemized charges)".into(),
                amount: Money::new(diff, currency),
            },
        );
    } else if !diff.is_zero() {
        lines.push(Charge {
            kind: if diff.is_sign_negative() {
                ChargeKind::Discount
            } else {
                ChargeKind::Surcharge
            },
            code: None,
            description: "Not itemized by UPS".into(),
            amount: Money::new(diff, currency),
        });
    }
    Ok((stated, lines, notes))
}

fn money_in(m: &wire::MoneyIn, expect: Option<Currency>) -> Result<Money, CarrierError> {
    let currency = match m.currency_code.as_deref() {
        Some(c) => c
            .parse::<Currency>()
            .map_err(|e| bad(format!("currency: {}", e.message)))?,
        None => expect.ok_or_else(|| bad("amount without CurrencyCode"))?,
    };
    let money = money_parts(m.monetary_value.as_deref(), None, currency)?;
    if let Some(expected) = expect
        && expected != currency
    {
        return Err(bad(format!("mixed currencies {expected} and {currency}")));
    }
    Ok(money)
}

fn money_parts(
    value: Option<&str>,
    currency: Option<&str>,
    default: Currency,
) -> Result<Money, CarrierError> {
    let currency = match currency {
        Some(c) if !c.is_empty() => c
            .parse::<Currency>()
            .map_err(|e| bad(format!("currency: {}", e.message)))?,
        _ => default,
    };
    if currency != default {
        return Err(bad(format!("mixed currencies {default} and {currency}")));
    }
    let value = value.ok_or_else(|| bad("MonetaryValue missing"))?;
    let amount: Decimal = value
        .trim()
        .parse()
        .map_err(|_| bad(format!("MonetaryValue `{value}` is not a number")))?;
    Ok(Money::new(amount, currency))
}

/// A UPS weight (`LBS` or `KGS`).
pub(super) fn weight_in(w: &wire::WeightIn) -> Result<Weight, CarrierError> {
    let unit = match w
        .unit_of_measurement
        .as_ref()
        .and_then(|u| u.code.as_deref())
    {
        Some("LBS") => WeightUnit::Lb,
        Some("KGS") => WeightUnit::Kg,
        other => return Err(bad(format!("weight unit {other:?}"))),
    };
    let value: Decimal = w
        .weight
        .as_deref()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| bad("weight is not a number"))?;
    Weight::new(value, unit).map_err(|e| bad(e.message))
}

/// `yyyyMMdd`, UPS's date format.
pub(super) fn yyyymmdd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A UPS `yyyyMMdd` date.
pub(super) fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = s[0..4].parse().ok()?;
    let month: u8 = s[4..6].parse().ok()?;
    let day: u8 = s[6..8].parse().ok()?;
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

/// The unit system UPS expects: LBS/IN from the US and Puerto Rico, KGS/CM elsewhere
/// (UPS rejects mismatched units for the origin country).
#[derive(Clone, Copy)]
pub(super) struct Units {
    pub(super) weight: WeightUnit,
    length: LengthUnit,
}

impl Units {
    pub(super) fn for_origin(from: &Address) -> Units {
        if matches!(from.country.as_str(), "US" | "PR") {
            Units {
                weight: WeightUnit::Lb,
                length: LengthUnit::In,
            }
        } else {
            Units {
                weight: WeightUnit::Kg,
                length: LengthUnit::Cm,
            }
        }
    }

    /// `UnitOfMeasurement` for weights; Rating requires the description too.
    pub(super) fn weight_uom(self) -> wire::CodeDesc {
        let (code, name) = match self.weight {
            WeightUnit::Lb => ("LBS", "Pounds"),
            _ => ("KGS", "Kilograms"),
        };
        wire::CodeDesc {
            code: code.into(),
            description: Some(name.into()),
        }
    }

    /// Package weight, ceiled to 0.1 of the unit: UPS takes at most one decimal (and five
    /// characters), and a rounded-down weight is a billing adjustment later, so never under-declare.
    pub(super) fn weight(self, w: Weight) -> wire::Weight {
        wire::Weight {
            unit_of_measurement: self.weight_uom(),
            weight: weight_string(w.to(self.weight).value()),
        }
    }

    /// Dimensions, ceiled to whole units: the schema allows three characters per side, and
    /// UPS computes dimensional weight from whole inches/centimetres anyway.
    pub(super) fn dimensions(
        self,
        d: Dimensions,
        index: usize,
    ) -> Result<wire::Dimensions, CarrierError> {
        let d = d.to(self.length);
        let side = |v: Decimal| -> Result<String, CarrierError> {
            let v = v
                .round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity)
                .max(Decimal::ONE);
            if v > Decimal::from(999) {
                return Err(rejected(
                    &format!("/parcels/{index}/dimensions"),
                    "UPS accepts at most 999 per side",
                ));
            }
            Ok(v.normalize().to_string())
        };
        Ok(wire::Dimensions {
            unit_of_measurement: match self.length {
                LengthUnit::In => wire::CodeDesc {
                    code: "IN".into(),
                    description: Some("Inches".into()),
                },
                LengthUnit::Cm => wire::CodeDesc {
                    code: "CM".into(),
                    description: Some("Centimeters".into()),
                },
            },
            length: side(d.length())?,
            width: side(d.width())?,
            height: side(d.height())?,
        })
    }
}

/// A weight value ceiled to one decimal, at least 0.1.
pub(super) fn weight_string(v: Decimal) -> String {
    v.round_dp_with_strategy(1, RoundingStrategy::ToPositiveInfinity)
        .max(Decimal::new(1, 1))
        .normalize()
        .to_string()
}

/// An amount as UPS wants it: two decimals (or the currency's minor units).
pub(super) fn money_out(m: Money) -> wire::MoneyOut {
    let r = m.round();
    wire::MoneyOut {
        currency_code: m.currency().code().to_string(),
        monetary_value: format!("{:.*}", m.currency().minor_units() as usize, r.amount()),
    }
}

/// Field length limits: Rating and Shipping disagree (Rating's `StateProvinceCode` is exactly
/// two characters, Shipping's up to five).
#[derive(Clone, Copy)]
pub(super) struct AddressLimits {
    state: usize,
}

impl AddressLimits {
    pub(super) const RATE: AddressLimits = AddressLimits { state: 2 };
    pub(super) const SHIP: AddressLimits = AddressLimits { state: 5 };
}

/// Text cut to UPS's field length (names 35, cities 30): UPS rejects longer values, and a
/// truncated name on a label is what every shipping tool prints.
pub(super) fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// An address in UPS's shape. Postal codes longer than UPS's nine characters (ZIP+4 with a
/// dash) lose their separators.
pub(super) fn address(a: &Address, limits: AddressLimits, residential: bool) -> wire::Address {
    wire::Address {
        address_line: a.street.iter().map(|l| cut(l, 35)).collect(),
        city: cut(&a.city, 30),
        state_province_code: a.state.clone().filter(|s| s.len() <= limits.state),
        postal_code: a.postal_code.as_ref().map(|p| {
            if p.len() > 9 {
                p.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
            } else {
                p.clone()
            }
        }),
        country_code: a.country.as_str().to_string(),
        residential_address_indicator: (residential && a.residential).then(String::new),
    }
}

/// A party: the company (or the person) as `Name`, the person as `AttentionName`.
pub(super) fn party(
    a: &Address,
    shipper_number: Option<&str>,
    limits: AddressLimits,
    residential: bool,
) -> wire::Party {
    wire::Party {
        name: cut(a.company.as_deref().unwrap_or(&a.name), 35),
        attention_name: Some(cut(&a.name, 35)),
        shipper_number: shipper_number.map(str::to_string),
        tax_identification_number: None,
        phone: a.phone.as_deref().map(phone),
        email_address: a.email.as_ref().map(|e| cut(e, 50)),
        address: address(a, limits, residential),
        vendor_info: None,
    }
}

/// A phone number as UPS takes it: digits and `+` only, at most 15 characters.
pub(super) fn phone(p: &str) -> wire::Phone {
    wire::Phone {
        number: cut(
            &p.chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect::<String>(),
            15,
        ),
    }
}

/// Transportation billed to the shipper's account; with `duties`, duties and taxes too
/// (`ShipmentCharge.Type` 01 transportation, 02 duties and taxes).
pub(super) fn bill_shipper(account: &Account, duties: bool) -> wire::Payment {
    let charge = |kind: &str| wire::ShipmentCharge {
        kind: kind.into(),
        bill_shipper: wire::BillShipper {
            account_number: account.account_number.clone(),
        },
    };
    let mut shipment_charge = vec![charge("01")];
    if duties {
        shipment_charge.push(charge("02"));
    }
    wire::Payment { shipment_charge }
}

pub(super) fn rejected(field: &str, message: &str) -> CarrierError {
    CarrierError::rejected(ENTRY.code.clone(), field, None, message)
}

/// A `Protocol` error from `parse`; `mod.rs` attaches the real status and body.
pub(super) fn bad(message: impl Into<String>) -> CarrierError {
    error::protocol(200, b"", message)
}

/// The CPU one rate request costs this adapter, without the network: build the request and
/// serialize it, then deserialize a response body and parse it into quotes. For benchmarks.
#[doc(hidden)]
pub fn bench_cycle(req: &RateRequest, response: &[u8]) -> Result<(usize, usize), CarrierError> {
    use std::sync::LazyLock;
    static ACCOUNT: LazyLock<Account> = LazyLock::new(|| {
        let config = serde_json::json!({"client_id": "bench", "client_secret": "bench", "account_number": "A1B2C3"});
        Account::from_json(
            &config,
            Some(&"https://wwwcie.ups.com".parse().expect("static URL")),
        )
        .expect("static account")
    });
    error::DIALECT.cycle(
        build(req, &ACCOUNT)?,
        response,
        |resp: wire::RateResponseWrapper| parse(resp, req),
    )
}
