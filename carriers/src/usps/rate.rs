//! Rates: our `RateRequest` to one `POST /shipments/v3/options/search` (Shipping Options
//! 3.1.29) and its `pricingOptions[].shippingOptions[]` back to quotes. Also owns the pieces
//! Ship reuses (domestic test, ZIP Codes, pounds and inches). Pure: no HTTP, no clock.
//!
//! Decisions:
//! - One call prices every mail class (`mailClass: ALL_OUTBOUND` domestic, `ALL`
//!   international) instead of one Domestic/International Prices call per class: USPS allows
//!   new apps about 60 requests an hour, and a rate-shop must not spend ten of them.
//! - One parcel per request: USPS prices and labels one piece at a time; a multi-parcel
//!   shipment is refused on `/parcels` rather than half-priced.
//! - Weights go in pounds rounded up to 0.01 lb, dimensions in inches rounded up to 0.01 in
//!   (1 lb = 0.45359237 kg, 1 in = 2.54 cm, exactly): never under-declared.
//! - Per mail class USPS answers several rate options, one per rate indicator (single piece,
//!   each flat-rate envelope and box, dimensional, cubic tiers …). We quote only the option
//!   that fits the parcel as the request describes it, and that Ship will buy with: the rate
//!   indicator of the parcel's named packaging (`rate_indicator`), else single piece (`PA` for
//!   Priority Mail Express, `SP` otherwise); domestically also the processing category Ship
//!   will declare (`processing_category`). A class with no such option is not quoted: the
//!   cheapest option is never a stand-in (a 55 lb box is not a flat-rate envelope). Ship
//!   re-derives both from the same parcel, so the quote needs to carry nothing back.
//! - Media Mail, Library Mail and Bound Printed Matter are never quoted (content rules); the
//!   return-service classes and Global Express Guaranteed (no labels) neither.
//! - The quote's total is USPS's `totalPrice` (with extra services) or `totalBasePrice`; the
//!   breakdown is the rate prices, their fees and the extra services, and anything USPS did not
//!   itemise is shown as its own line with a note, so the breakdown always sums to the total.

use rust_decimal::Decimal;
use time::Date;

use crate::error::CarrierError;
use crate::model::{
    Address, Charge, ChargeKind, Currency, LengthUnit, Money, Packaging, Parcel, Quote,
    RateRequest, ServiceLevel, Weight, WeightUnit,
};

use super::account::{Account, Payment};
use super::{codes, error, options, wire};

/// Countries and territories USPS serves with ZIP Codes as domestic mail.
const DOMESTIC: [&str; 6] = ["US", "PR", "VI", "GU", "AS", "MP"];

pub(super) fn is_domestic(a: &Address) -> bool {
    DOMESTIC.contains(&a.country.as_str())
}

fn reject(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

/// The 5-digit ZIP Code and the ZIP+4, from `12345` or `12345-6789`.
pub(super) fn zip(a: &Address, side: &str) -> Result<(String, Option<String>), CarrierError> {
    let digits: String = a
        .postal_code
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect();
    match digits.len() {
        5 | 9 if digits.bytes().all(|b| b.is_ascii_digit()) => Ok((
            digits[..5].to_string(),
            (digits.len() == 9).then(|| digits[5..].to_string()),
        )),
        _ => Err(reject(
            &format!("/{side}/postal_code"),
            "USPS needs a 5-digit ZIP Code (or ZIP+4)",
        )),
    }
}

/// The one parcel of the request, its pounds and its inches (length, width, height).
pub(super) fn single_parcel(req: &RateRequest) -> Result<&Parcel, CarrierError> {
    match req.parcels.as_slice() {
        [p] => Ok(p),
        _ => Err(reject(
            "/parcels",
            "USPS labels and prices one piece at a time: send one parcel per shipment",
        )),
    }
}

pub(super) fn pounds(w: Weight) -> Decimal {
    w.ceil_to(Decimal::new(1, 2), WeightUnit::Lb).value()
}

pub(super) fn inches(p: &Parcel) -> Result<[Decimal; 3], CarrierError> {
    let d = p.dimensions.as_ref().ok_or_else(|| {
        reject(
            "/parcels/0/dimensions",
            "USPS prices by size: length, width and height are required",
        )
    })?;
    let d = (*d).to(LengthUnit::In);
    let up = |x: Decimal| (x * Decimal::ONE_HUNDRED).ceil() / Decimal::ONE_HUNDRED;
    Ok([up(d.length()), up(d.width()), up(d.height())])
}

pub(super) fn mailing_date(req: &RateRequest, today: Date) -> String {
    let d = req.ship_date.unwrap_or(today);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The options-search body for `req`.
pub(super) fn build(
    req: &RateRequest,
    account: &Account,
    today: Date,
) -> Result<wire::OptionsRequest, CarrierError> {
    if !is_domestic(&req.from) {
        return Err(reject("/from/country", "USPS ships from US ZIP Codes only"));
    }
    let parcel = single_parcel(req)?;
    let [length, width, height] = inches(parcel)?;
    let (origin, _) = zip(&req.from, "from")?;
    let domestic = is_domestic(&req.to);
    let (extra_services, package_value) = options::codes(
        &req.options,
        if domestic {
            options::Lane::AnyDomestic
        } else {
            options::Lane::International
        },
    )?;
    let (destination_zip_code, foreign_postal_code, destination_country_code) = if domestic {
        (Some(zip(&req.to, "to")?.0), None, None)
    } else {
        (
            None,
            req.to.postal_code.clone().filter(|p| !p.trim().is_empty()),
            Some(req.to.country.as_str().to_string()),
        )
    };
    // `paymentAccount` is "required" with `CONTRACT` prices and not needed otherwise.
    let payment_account = (account.price_type == "CONTRACT").then(|| match &account.payment {
        Payment::Eps { account_number } => wire::PaymentAccount {
            account_type: "EPS",
            account_number: account_number.clone(),
        },
        Payment::Permit { number, .. } => wire::PaymentAccount {
            account_type: "PERMIT",
            account_number: number.clone(),
        },
    });
    Ok(wire::OptionsRequest {
        pricing_options: vec![wire::PricingOptionRequest {
            price_type: account.price_type,
            payment_account,
        }],
        origin_zip_code: origin,
        destination_zip_code,
        destination_entry_facility_type: domestic.then_some("NONE"),
        foreign_postal_code,
        destination_country_code,
        package_description: wire::OptionsPackage {
            weight: wire::Num(pounds(parcel.weight)),
            length: wire::Num(length),
            height: wire::Num(height),
            width: wire::Num(width),
            mail_class: if domestic { "ALL_OUTBOUND" } else { "ALL" },
            mailing_date: mailing_date(req, today),
            extra_services,
            package_value: package_value.map(wire::Num),
        },
    })
}

/// USD at cents: USPS sends JSON numbers, so `48.30` arrives as `48.3`.
pub(super) fn usd(amount: Decimal) -> Money {
    let mut a = amount.round_dp(2);
    a.rescale(2);
    Money::new(a, Currency::USD)
}

/// Quotes for every mail class we sell that USPS priced, cheapest first.
pub(super) fn parse(
    resp: wire::OptionsResponse,
    req: &RateRequest,
) -> Result<Vec<Quote>, CarrierError> {
    let parcel = single_parcel(req)?;
    let domestic = is_domestic(&req.to);
    let lane = if domestic {
        options::Lane::AnyDomestic
    } else {
        options::Lane::International
    };
    let (asked, _) = options::codes(&req.options, lane)?;
    let mut quotes = Vec::new();
    let mut left_out = 0;
    for option in resp
        .pricing_options
        .iter()
        .flat_map(|p| &p.shipping_options)
    {
        let Some(class) = option.mail_class.as_deref() else {
            continue;
        };
        let Some(info) = codes::SERVICES.iter().find(|s| s.code == class) else {
            continue;
        };
        if codes::CONTENT_RESTRICTED.contains(&class) {
            continue;
        }
        let Some(chosen) = fitting_option(class, &option.rate_options, parcel, domestic)? else {
            continue;
        };
        // A class USPS did not price every extra service its label would carry for does not
        // carry them: quoted without one, the price would be wrong. Domestically each class
        // is held to its own codes (a direct signature is 981 on Priority Mail Express, 921
        // elsewhere; cells alone only by ground), not to everything the search asked.
        let needed = if domestic {
            options::class_codes(&req.options, class)
        } else {
            Some(asked.clone())
        };
        let carries = needed.as_ref().is_some_and(|needed| {
            needed.iter().all(|code| {
                chosen.extra_services.iter().any(|x| {
                    x.extra_service
                        .as_deref()
                        .is_some_and(|a| options::priced(*code, a))
                })
            })
        });
        if !carries {
            left_out += 1;
            continue;
        }
        // What the search asked and this class's label will not carry (the other class's
        // signature code), should USPS have priced it anyway: not part of this quote.
        let unwanted: Vec<u16> = match &needed {
            Some(n) => asked.iter().copied().filter(|c| !n.contains(c)).collect(),
            None => Vec::new(),
        };
        quotes.push(quote(info, chosen, req, &unwanted)?);
    }
    if quotes.is_empty() && left_out > 0 {
        let first = req.options.asked()[0];
        return Err(CarrierError::rejected(
            super::CODE,
            first.pointer(),
            None,
            "USPS offers none of its mail classes with these options on this lane",
        ));
    }
    quotes.sort_by_key(|q| q.total.amount());
    Ok(quotes)
}

/// The rate indicator USPS prices `mail_class` under for a parcel in `packaging` (`None`: the
/// shipper's own packaging), from the indicator lists of `domestic-prices.yaml` and
/// `international-prices.yaml`; `None` when USPS sells no such packaging in that class.
/// Priority Mail Express prices its flat-rate envelopes under its own `E4`/`E6`.
pub(super) fn rate_indicator(
    mail_class: &str,
    packaging: Option<Packaging>,
) -> Option<&'static str> {
    let express = mail_class.starts_with("PRIORITY_MAIL_EXPRESS");
    let priority = mail_class.starts_with("PRIORITY_MAIL") && !express;
    match packaging {
        None if express => Some("PA"),
        None => Some("SP"),
        Some(p) if express => match p {
            Packaging::FlatRateEnvelope => Some("E4"),
            Packaging::FlatRateLegalEnvelope => Some("E6"),
            Packaging::FlatRatePaddedEnvelope => Some("FP"),
            _ => None,
        },
        Some(p) if priority => match p {
            Packaging::FlatRateEnvelope => Some("FE"),
            Packaging::FlatRateLegalEnvelope => Some("FA"),
            Packaging::FlatRatePaddedEnvelope => Some("FP"),
            Packaging::FlatRateSmallBox => Some("FS"),
            Packaging::FlatRateMediumBox => Some("FB"),
            Packaging::FlatRateLargeBox => Some("PL"),
            Packaging::Envelope | Packaging::Pak => None,
        },
        Some(_) => None,
    }
}

/// The parcel's packaging, when USPS sells it at all (its flat-rate range); FedEx/UPS
/// envelopes and paks are refused on the field.
pub(super) fn usps_packaging(parcel: &Parcel) -> Result<Option<Packaging>, CarrierError> {
    match parcel.packaging {
        Some(p @ (Packaging::Envelope | Packaging::Pak)) => Err(reject(
            "/parcels/0/packaging",
            format!(
                "USPS sells no `{}` packaging: use a USPS flat-rate envelope or box, or none",
                p.as_str()
            ),
        )),
        p => Ok(p),
    }
}

/// `MACHINABLE` or `NONSTANDARD` from the parcel's pounds and inches (USPS DMM 201.7):
/// machinable up to 25 lb and within 22 × 18 × 15 in, at least 6 × 3 × 0.25 in. Flat-rate
/// envelopes are `FLATS`.
pub(super) fn processing_category(
    lb: Decimal,
    dims: [Decimal; 3],
    packaging: Option<Packaging>,
) -> &'static str {
    if matches!(
        packaging,
        Some(
            Packaging::FlatRateEnvelope
                | Packaging::FlatRateLegalEnvelope
                | Packaging::FlatRatePaddedEnvelope
        )
    ) {
        return "FLATS";
    }
    let mut d = dims;
    d.sort_by(|a, b| b.cmp(a));
    let within = |max: [i64; 3]| d.iter().zip(max).all(|(x, m)| *x <= Decimal::from(m));
    let min = [Decimal::from(6), Decimal::from(3), Decimal::new(25, 2)];
    if lb <= Decimal::from(25) && within([22, 18, 15]) && d.iter().zip(min).all(|(x, m)| *x >= m) {
        "MACHINABLE"
    } else {
        "NONSTANDARD"
    }
}

/// The one rate option of a mail class that Ship would buy for `parcel`: its rate indicator
/// and, for the shipper's own packaging, the processing category Ship declares. Domestic
/// answers must match that category when USPS names one; international answers file the same
/// single piece under varying categories (`FLATS` in `international-prices.yaml`), so there
/// the matching one is preferred, else the indicator alone decides. `None` when USPS priced
/// no such option.
fn fitting_option<'a>(
    class: &str,
    options: &'a [wire::RateOption],
    parcel: &Parcel,
    domestic: bool,
) -> Result<Option<&'a wire::RateOption>, CarrierError> {
    let packaging = usps_packaging(parcel)?;
    let Some(indicator) = rate_indicator(class, packaging) else {
        return Ok(None);
    };
    // USPS files flat-rate products under varying categories: the indicator names them.
    let category = match packaging {
        None => Some(processing_category(
            pounds(parcel.weight),
            inches(parcel)?,
            None,
        )),
        Some(_) => None,
    };
    fn rate(o: &wire::RateOption) -> Option<(Option<&str>, Option<&str>)> {
        let r = o.rates.first()?;
        Some((
            r.rate_indicator.as_deref(),
            r.processing_category.as_deref(),
        ))
    }
    let fitting = || {
        options
            .iter()
            .filter(move |o| rate(o).is_some_and(|(i, _)| i == Some(indicator)))
    };
    let exact = fitting()
        .find(|o| rate(o).is_some_and(|(_, c)| category.is_none() || c.is_none() || c == category));
    Ok(if domestic {
        exact
    } else {
        exact.or_else(|| fitting().next())
    })
}

fn quote(
    info: &crate::carrier::ServiceInfo,
    o: &wire::RateOption,
    req: &RateRequest,
    unwanted: &[u16],
) -> Result<Quote, CarrierError> {
    let mut total = o.total_price.or(o.total_base_price).ok_or_else(|| {
        error::protocol(
            200,
            b"",
            format!(
                "{}: a rate option without totalPrice or totalBasePrice",
                info.code
            ),
        )
    })?;
    let mut breakdown = Vec::new();
    for r in &o.rates {
        if let Some(price) = r.price {
            breakdown.push(Charge {
                kind: ChargeKind::Base,
                code: r.sku.clone(),
                description: r.description.clone().unwrap_or_else(|| info.name.into()),
                amount: usd(price),
            });
        }
        for fee in &r.fees {
            if let Some(price) = fee.price.filter(|p| !p.is_zero()) {
                breakdown.push(Charge {
                    kind: ChargeKind::Surcharge,
                    code: fee.sku.clone(),
                    description: fee.name.clone().unwrap_or_else(|| "Fee".into()),
                    amount: usd(price),
                });
            }
        }
    }
    // `totalPrice` "is only returned when extraServices are passed in the request": extra
    // services are part of the total only then.
    if o.total_price.is_some() {
        for x in &o.extra_services {
            // `totalPrice` includes "all extra service prices": one the label will not carry
            // comes off it.
            if x.extra_service
                .as_deref()
                .is_some_and(|a| unwanted.iter().any(|u| options::priced(*u, a)))
            {
                total -= x.price.unwrap_or_default();
                continue;
            }
            if let Some(price) = x.price.filter(|p| !p.is_zero()) {
                breakdown.push(Charge {
                    kind: ChargeKind::Surcharge,
                    code: x.extra_service.clone(),
                    description: x.name.clone().unwrap_or_else(|| "Extra service".into()),
                    amount: usd(price),
                });
            }
        }
    }
    let mut notes = Vec::new();
    let itemised: Decimal = breakdown.iter().map(|c| c.amount.amount()).sum();
    let rest = total - itemised;
    if !rest.is_zero() {
        breakdown.push(Charge {
            kind: if rest.is_sign_negative() {
                ChargeKind::Discount
            } else {
                ChargeKind::Surcharge
            },
            code: None,
            description: "Charges USPS did not itemise".into(),
            amount: usd(rest),
        });
        notes.push(format!(
            "USPS's total {} includes {} not itemised",
            usd(total),
            usd(rest).amount()
        ));
    }
    let rate = o.rates.first();
    let usps_weight = rate
        .and_then(|r| r.weight)
        .max(rate.and_then(|r| r.dim_weight))
        .filter(|w| !w.is_zero());
    let billable =
        match usps_weight {
            Some(lb) => Weight::new(lb, WeightUnit::Lb).map_err(|e| {
                error::protocol(
                    200,
                    b"",
                    format!("{}: weight {lb}: {}", info.code, e.message),
                )
            })?,
            None => Weight::new(
                pounds(req.parcels.iter().map(|p| p.weight).next().unwrap_or(
                    Weight::new(Decimal::ZERO, WeightUnit::Lb).expect("zero is a weight"),
                )),
                WeightUnit::Lb,
            )
            .expect("a parcel weight is not negative"),
        };
    let commitment = o.commitment.as_ref();
    let estimated_delivery = commitment
        .and_then(|c| {
            c.expected_delivery_date
                .as_deref()
                .or(c.schedule_delivery_date.as_deref())
        })
        .and_then(parse_date);
    Ok(Quote {
        service: ServiceLevel {
            carrier: "usps".into(),
            code: info.code.into(),
            name: info.name.into(),
            class: info.class,
        },
        total: usd(total),
        breakdown,
        billable_weight: billable,
        transit_days: commitment
            .and_then(|c| c.name.as_deref())
            .and_then(leading_number),
        estimated_delivery,
        guaranteed: commitment
            .and_then(|c| c.guaranteed_delivery)
            .unwrap_or(false),
        notes,
    })
}

/// `2 Days` → 2; `1-Day` → 1; `Military` → none.
fn leading_number(s: &str) -> Option<u32> {
    let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `YYYY-MM-DD`, possibly followed by a time.
pub(super) fn parse_date(s: &str) -> Option<Date> {
    let d = s.get(..10)?;
    Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// Benchmark entry: build + serialize the request, deserialize + parse the fixture answer.
#[doc(hidden)]
pub fn bench_cycle(req: &RateRequest, response: &[u8]) -> Result<(usize, usize), CarrierError> {
    use std::sync::LazyLock;
    static ACCOUNT: LazyLock<Account> = LazyLock::new(|| {
        let config = serde_json::json!({"client_id": "bench", "client_secret": "bench",
            "crid": "12345678", "mid": "123456", "account_number": "1000000000"});
        Account::from_json(&config).expect("static account")
    });
    let today = time::macros::date!(2025 - 03 - 14);
    error::DIALECT.cycle(
        build(req, &ACCOUNT, today)?,
        response,
        |resp: wire::OptionsResponse| parse(resp, req),
    )
}
