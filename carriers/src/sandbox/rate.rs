//! Sandbox pricing: a zone from origin and destination, a billable weight, and a weight-break
//! table per service and zone, plus fuel and residential surcharges. Pure: no clock, no I/O.
//! The numbers are made up but shaped like a real carrier's tariff, so that demos and the
//! hub's tests see believable, exactly predictable prices.

use rust_decimal::Decimal;
use time::{Date, Weekday};

use super::codes::SERVICES;
use super::rejected;
use crate::carrier::ServiceInfo;
use crate::error::CarrierError;
use crate::model::{
    Address, Charge, ChargeKind, CountryCode, Currency, DimDivisor, LithiumBatteries,
    LithiumPacking, Money, Quote, RateRequest, ServiceLevel, ShipmentOption, ShipmentOptions,
    SignatureConfirmation, Weight, WeightUnit,
};

/// Upper bounds of the weight breaks, in kg; heavier shipments pay the 30 kg price plus a
/// per-kg rate for the excess.
const BREAKS_KG: [i64; 6] = [1, 2, 5, 10, 20, 30];

/// Base price in US cents: `[service][zone - 1]` = prices up to 1, 2, 5, 10, 20, 30 kg,
/// then cents per kg above 30 kg. Services in `SERVICES` order; zones 1-4 domestic, 5-8
/// international.
#[rustfmt::skip]
const BASE_CENTS: [[[i64; 7]; 8]; 3] = [
    // economy
    [
        [ 680,  780,  990, 1340,  2050,  2750,  70],
        [ 740,  850, 1100, 1530,  2380,  3220,  90],
        [ 810,  950, 1280, 1780,  2860,  3930, 110],
        [ 900, 1070, 1430, 2090,  3400,  4710, 130],
        [1920, 2360, 3360, 5040,  8400, 11760, 340],
        [2560, 3120, 4480, 6800, 11440, 16080, 460],
        [3040, 3760, 5440, 8320, 14080, 19840, 580],
        [3600, 4480, 6560, 10080, 17120, 24160, 700],
    ],
    // standard
    [
        [ 850,  975, 1240, 1680,  2560,  3440,  90],
        [ 920, 1060, 1380, 1910,  2970,  4030, 110],
        [1010, 1190, 1560, 2230,  3570,  4910, 135],
        [1120, 1340, 1790, 2610,  4250,  5890, 165],
        [2400, 2950, 4200, 6300, 10500, 14700, 420],
        [3200, 3900, 5600, 8500, 14300, 20100, 580],
        [3800, 4700, 6800, 10400, 17600, 24800, 720],
        [4500, 5600, 8200, 12600, 21400, 30200, 880],
    ],
    // express
    [
        [1700, 1950, 2480, 3360,  5120,  6880,  180],
        [1840, 2120, 2760, 3820,  5940,  8060,  220],
        [2020, 2380, 3120, 4460,  7140,  9820,  270],
        [2240, 2680, 3580, 5220,  8500, 11780,  330],
        [4800, 5900, 8400, 12600, 21000, 29400,  840],
        [6400, 7800, 11200, 17000, 28600, 40200, 1160],
        [7600, 9400, 13600, 20800, 35200, 49600, 1440],
        [9000, 11200, 16400, 25200, 42800, 60400, 1760],
    ],
];

/// Business days in transit, `[service][zone - 1]`: the quotes' `transit_days` and
/// `estimated_delivery`, and the day tracking delivers the parcel on (see `track.rs`).
const TRANSIT_DAYS: [[u32; 8]; 3] = [
    [3, 4, 5, 6, 8, 9, 10, 12],
    [2, 3, 4, 5, 5, 6, 7, 8],
    [1, 2, 2, 2, 3, 3, 4, 4],
];

/// Fuel surcharge: 12.5 % of the base price. Fixed: the sandbox has no fuel index.
const FUEL_PERCENT: Decimal = Decimal::from_parts(125, 0, 0, false, 1);
/// Flat residential delivery surcharge, in cents, per shipment. Fuel is not applied to it.
const RESIDENTIAL_CENTS: i64 = 495;
/// Heaviest parcel the sandbox accepts, like a parcel carrier's 70 kg limit.
pub(super) const MAX_PARCEL_KG: i64 = 70;

/// Every option: the sandbox sells them all (on the services `refusal` allows).
pub(super) const OPTIONS: [ShipmentOption; 8] = [
    ShipmentOption::SignatureAdult,
    ShipmentOption::SignatureDirect,
    ShipmentOption::SignatureIndirect,
    ShipmentOption::SaturdayDelivery,
    ShipmentOption::DeclaredValue,
    ShipmentOption::DeliveryConfirmation,
    ShipmentOption::DryIce,
    ShipmentOption::LithiumBatteries,
];

/// Option surcharges in US cents, per shipment; fuel is not applied to them.
const SIGNATURE_INDIRECT_CENTS: i64 = 250;
const SIGNATURE_DIRECT_CENTS: i64 = 475;
const SIGNATURE_ADULT_CENTS: i64 = 625;
const SATURDAY_CENTS: i64 = 1500;
const DELIVERY_CONFIRMATION_CENTS: i64 = 125;
const DRY_ICE_CENTS: i64 = 500;
const LITHIUM_CENTS: i64 = 350;
/// Declared value: the first USD 100 is included; USD 1.00 per started USD 100 above it.
const DECLARED_INCLUDED_USD: i64 = 100;
const DECLARED_CENTS_PER_100: i64 = 100;

/// Quotes for every service that can carry the request's options, in `SERVICES` order
/// (cheapest first). `today` is the ship date when the request gives none.
pub(super) fn quotes(req: &RateRequest, today: Date) -> Result<Vec<Quote>, CarrierError> {
    validate(req)?;
    let zone = zone(&req.from, &req.to);
    let billable = billable_weight(req);
    let ship_date = req.ship_date.unwrap_or(today);
    let extras = option_charges(&req.options)?;
    Ok(SERVICES
        .iter()
        .enumerate()
        .filter(|(_, service)| refusal(service.code, &req.options).is_none())
        .map(|(i, service)| {
            let mut q = quote(i, service, zone, billable, req.to.residential, ship_date);
            if !extras.is_empty() {
                q.breakdown.extend(extras.iter().cloned());
                q.total = Money::sum(Currency::USD, q.breakdown.iter().map(|c| &c.amount))
                    .expect("every sandbox charge is in USD");
            }
            q
        })
        .collect())
}

/// Why `service` cannot carry `options`, as a rejection on the option's field: economy moves
/// by ground on weekdays only, so it has no Saturday delivery.
pub(super) fn refusal(service: &str, options: &ShipmentOptions) -> Option<CarrierError> {
    (service == "economy" && options.saturday_delivery).then(|| {
        rejected(
            "/options/saturday_delivery",
            "OPTION_UNAVAILABLE",
            "sandbox economy does not deliver on Saturday; use standard or express",
        )
    })
}

/// One surcharge line per option asked for, or a rejection of an option the sandbox refuses
/// whatever the service (lithium cells alone, a declared value not in USD).
fn option_charges(o: &ShipmentOptions) -> Result<Vec<Charge>, CarrierError> {
    let usd = |cents: i64| Money::from_minor_units(cents, Currency::USD);
    let mut out = Vec::new();
    if let Some(s) = o.signature {
        let (code, cents, what) = match s {
            SignatureConfirmation::Indirect => ("SIG_I", SIGNATURE_INDIRECT_CENTS, "Indirect"),
            SignatureConfirmation::Direct => ("SIG_D", SIGNATURE_DIRECT_CENTS, "Direct"),
            SignatureConfirmation::Adult => ("SIG_A", SIGNATURE_ADULT_CENTS, "Adult"),
        };
        out.push(charge(
            ChargeKind::Surcharge,
            code,
            &format!("{what} signature"),
            usd(cents),
        ));
    }
    if o.saturday_delivery {
        out.push(charge(
            ChargeKind::Surcharge,
            "SAT",
            "Saturday delivery",
            usd(SATURDAY_CENTS),
        ));
    }
    if let Some(value) = o.declared_value {
        if value.currency() != Currency::USD {
            return Err(rejected(
                "/options/declared_value/currency",
                "INVALID_CURRENCY",
                "the sandbox takes declared values in USD",
            ));
        }
        let above = value.amount() - Decimal::from(DECLARED_INCLUDED_USD);
        if above > Decimal::ZERO {
            let steps = (above / Decimal::ONE_HUNDRED).ceil();
            out.push(charge(
                ChargeKind::Surcharge,
                "DV",
                "Declared value",
                usd(DECLARED_CENTS_PER_100).times(steps),
            ));
        }
    }
    if o.delivery_confirmation {
        out.push(charge(
            ChargeKind::Surcharge,
            "DC",
            "Delivery confirmation",
            usd(DELIVERY_CONFIRMATION_CENTS),
        ));
    }
    if o.dry_ice.is_some() {
        out.push(charge(
            ChargeKind::Surcharge,
            "DI",
            "Dry ice (UN1845)",
            usd(DRY_ICE_CENTS),
        ));
    }
    match o.lithium_batteries {
        None => {}
        Some(LithiumBatteries {
            packing: LithiumPacking::Alone,
            ..
        }) => {
            return Err(rejected(
                "/options/lithium_batteries",
                "DANGEROUS_GOODS",
                "the sandbox does not carry lithium cells without equipment",
            ));
        }
        Some(_) => out.push(charge(
            ChargeKind::Surcharge,
            "LI",
            "Lithium batteries (section II)",
            usd(LITHIUM_CENTS),
        )),
    }
    Ok(out)
}

fn validate(req: &RateRequest) -> Result<(), CarrierError> {
    req.validate()
        .map_err(|e| rejected(&e.field, "INVALID_SHIPMENT", e.message))?;
    if req.is_international() && req.customs.is_none() {
        return Err(rejected(
            "/customs",
            "CUSTOMS_REQUIRED",
            "international shipments need a customs declaration",
        ));
    }
    for (i, parcel) in req.parcels.iter().enumerate() {
        if parcel.weight.to(WeightUnit::Kg).value() > Decimal::from(MAX_PARCEL_KG) {
            return Err(rejected(
                &format!("/parcels/{i}/weight"),
                "TOO_HEAVY",
                format!("a sandbox parcel weighs at most {MAX_PARCEL_KG} kg"),
            ));
        }
    }
    Ok(())
}

/// Zone 1: same state or same first postal digit. Zones 2-4: domestic, by the distance
/// between the first postal digits (in the US they run east to west, so the distance is a
/// rough stand-in for miles). Zones 5-8: international, by region (see `region`).
pub(super) fn zone(from: &Address, to: &Address) -> usize {
    if from.country != to.country {
        return match (region(from.country), region(to.country)) {
            (Region::Other, _) | (_, Region::Other) => 8,
            (a, b) if a == b => 5,
            (Region::AsiaPacific, _) | (_, Region::AsiaPacific) => 7,
            _ => 6,
        };
    }
    if from.state.is_some() && from.state == to.state {
        return 1;
    }
    let first_digit = |a: &Address| {
        a.postal_code
            .as_deref()
            .and_then(|p| p.chars().next())
            .and_then(|c| c.to_digit(10))
    };
    match (first_digit(from), first_digit(to)) {
        (Some(a), Some(b)) => match a.abs_diff(b) {
            0 => 1,
            1..=3 => 2,
            4..=6 => 3,
            _ => 4,
        },
        // Postal codes that do not start with a digit (GB, CA): no distance to measure.
        _ => 2,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Region {
    NorthAmerica,
    Europe,
    AsiaPacific,
    Other,
}

fn region(country: CountryCode) -> Region {
    const NORTH_AMERICA: &str = "US CA MX PR";
    const EUROPE: &str = "AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV \
                          MT NL NO PL PT RO SE SI SK";
    const ASIA_PACIFIC: &str = "AU CN HK ID IN JP KR MY NZ PH SG TH TW VN";
    let c = country.as_str();
    let is_in = |list: &str| list.split_whitespace().any(|x| x == c);
    if is_in(NORTH_AMERICA) {
        Region::NorthAmerica
    } else if is_in(EUROPE) {
        Region::Europe
    } else if is_in(ASIA_PACIFIC) {
        Region::AsiaPacific
    } else {
        Region::Other
    }
}

/// The greater of the total actual weight and the total dimensional weight (5000 cm³/kg;
/// parcels without dimensions add none), rounded up to the next 0.5 kg.
pub(super) fn billable_weight(req: &RateRequest) -> Weight {
    let actual = Weight::sum(WeightUnit::Kg, req.parcels.iter().map(|p| p.weight));
    let dimensional = Weight::sum(
        WeightUnit::Kg,
        req.parcels
            .iter()
            .filter_map(|p| p.dimensions)
            .map(|d| d.dim_weight(DimDivisor::CM3_5000_KG)),
    );
    actual
        .max(dimensional)
        .ceil_to(Decimal::new(5, 1), WeightUnit::Kg)
}

fn quote(
    service_index: usize,
    service: &ServiceInfo,
    zone: usize,
    billable: Weight,
    residential: bool,
    ship_date: Date,
) -> Quote {
    let usd = |cents: i64| Money::from_minor_units(cents, Currency::USD);
    let row = &BASE_CENTS[service_index][zone - 1];
    let kg = billable.to(WeightUnit::Kg).value();
    let base = match BREAKS_KG.iter().position(|b| kg <= Decimal::from(*b)) {
        Some(i) => usd(row[i]),
        None => usd(row[5])
            .checked_add(usd(row[6]).times(kg - Decimal::from(BREAKS_KG[5])))
            .expect("both USD")
            .round(),
    };
    let mut breakdown = vec![
        charge(ChargeKind::Base, "BASE", "Transportation", base),
        charge(
            ChargeKind::Fuel,
            "FUEL",
            "Fuel surcharge 12.5%",
            base.times(FUEL_PERCENT / Decimal::ONE_HUNDRED).round(),
        ),
    ];
    if residential {
        breakdown.push(charge(
            ChargeKind::Surcharge,
            "RESI",
            "Residential delivery",
            usd(RESIDENTIAL_CENTS),
        ));
    }
    let total = Money::sum(Currency::USD, breakdown.iter().map(|c| &c.amount))
        .expect("every sandbox charge is in USD");
    let transit_days = TRANSIT_DAYS[service_index][zone - 1];
    Quote {
        service: ServiceLevel {
            carrier: "sandbox".to_string(),
            code: service.code.to_string(),
            name: service.name.to_string(),
            class: service.class,
        },
        total,
        breakdown,
        billable_weight: billable,
        transit_days: Some(transit_days),
        estimated_delivery: Some(add_business_days(ship_date, transit_days)),
        guaranteed: service.code == "express",
        notes: Vec::new(),
    }
}

fn charge(kind: ChargeKind, code: &str, description: &str, amount: Money) -> Charge {
    Charge {
        kind,
        code: Some(code.to_string()),
        description: description.to_string(),
        amount,
    }
}

/// `date` plus `days` working days (Monday to Friday; the sandbox knows no holidays).
pub(super) fn add_business_days(mut date: Date, days: u32) -> Date {
    let mut left = days;
    while left > 0 {
        date = date.next_day().unwrap_or(date);
        if !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    date
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;
    use time::macros::date;

    use crate::sandbox::fixtures::canonical;

    fn request(v: serde_json::Value) -> RateRequest {
        serde_json::from_value(v).unwrap()
    }

    fn totals(quotes: &[Quote]) -> Vec<(&str, Decimal)> {
        quotes
            .iter()
            .map(|q| (q.service.code.as_str(), q.total.amount()))
            .collect()
    }

    #[test]
    fn canonical_request_quotes_three_services_with_hand_computed_totals() {
        // Zone: GA/CA differ; first postal digits 3 and 9 are 6 apart → zone 3.
        // Billable: actual 2.5 kg; dimensional 30×20×10/5000 = 1.2 kg → 2.5 kg → the 5 kg break.
        // economy : base 12.80 + fuel 12.80×0.125 = 1.60 + residential 4.95 = 19.35
        // standard: base 15.60 + fuel 15.60×0.125 = 1.95 + residential 4.95 = 22.50
        // express : base 31.20 + fuel 31.20×0.125 = 3.90 + residential 4.95 = 40.05
        let quotes = quotes(&request(canonical()), date!(2000 - 01 - 01)).unwrap();
        assert_eq!(
            totals(&quotes),
            [
                ("economy", dec!(19.35)),
                ("standard", dec!(22.50)),
                ("express", dec!(40.05))
            ]
        );
        let standard = &quotes[1];
        let lines: Vec<_> = standard
            .breakdown
            .iter()
            .map(|c| (c.kind, c.amount.amount()))
            .collect();
        assert_eq!(
            lines,
            [
                (ChargeKind::Base, dec!(15.60)),
                (ChargeKind::Fuel, dec!(1.95)),
                (ChargeKind::Surcharge, dec!(4.95))
            ]
        );
        for q in &quotes {
            assert_eq!(q.total.currency(), Currency::USD);
            assert_eq!(q.billable_weight.value(), dec!(2.5));
            assert_eq!(q.billable_weight.unit(), WeightUnit::Kg);
            assert_eq!(q.guaranteed, q.service.code == "express");
        }
        // Friday 2025-03-14 + 5 / 4 / 2 business days (zone 3).
        let eta: Vec<_> = quotes
            .iter()
            .map(|q| (q.transit_days, q.estimated_delivery))
            .collect();
        assert_eq!(
            eta,
            [
                (Some(5), Some(date!(2025 - 03 - 21))),
                (Some(4), Some(date!(2025 - 03 - 20))),
                (Some(2), Some(date!(2025 - 03 - 18)))
            ]
        );
    }

    #[test]
    fn quotes_are_cheapest_first_with_rising_classes() {
        let quotes = quotes(&request(canonical()), date!(2025 - 03 - 14)).unwrap();
        assert!(
            quotes
                .windows(2)
                .all(|w| w[0].total.amount() < w[1].total.amount()
                    && w[0].service.class < w[1].service.class)
        );
    }

    #[test]
    fn ship_date_defaults_to_today() {
        let mut v = canonical();
        v.as_object_mut().unwrap().remove("ship_date");
        // Monday 2025-03-17 + 2 business days.
        let quotes = quotes(&request(v), date!(2025 - 03 - 17)).unwrap();
        assert_eq!(quotes[2].estimated_delivery, Some(date!(2025 - 03 - 19)));
    }

    #[test]
    fn dimensional_weight_wins_when_larger() {
        // 50×40×30 cm / 5000 = 12 kg > 1 kg actual → 12 kg → the 10-20 kg break.
        // Not residential; zone 3; standard 35.70 + fuel 4.4625 → 4.46 = 40.16.
        let mut v = canonical();
        v["to"]["residential"] = json!(false);
        v["parcels"][0] = json!({"weight": {"value": "1", "unit": "kg"},
            "dimensions": {"length": "50", "width": "40", "height": "30", "unit": "cm"}});
        let quotes = quotes(&request(v), date!(2025 - 03 - 14)).unwrap();
        assert_eq!(quotes[1].billable_weight.value(), dec!(12));
        assert_eq!(quotes[1].total.amount(), dec!(40.16));
        assert_eq!(quotes[1].breakdown.len(), 2);
    }

    #[test]
    fn weight_above_the_last_break_pays_per_kg() {
        // Two parcels, 20 kg + 11.2 kg = 31.2 kg → 31.5 kg; same state (GA → GA) → zone 1.
        // standard: 34.40 + 1.5 × 0.90 = 35.75; fuel 35.75 × 0.125 = 4.46875 → 4.47; total 40.22.
        let mut v = canonical();
        v["to"] = json!({"name": "R", "street": ["x"], "city": "Savannah", "state": "GA",
                         "postal_code": "31401", "country": "US"});
        v["parcels"] = json!([{"weight": {"value": "20", "unit": "kg"}},
                              {"weight": {"value": "11.2", "unit": "kg"}}]);
        let quotes = quotes(&request(v), date!(2025 - 03 - 14)).unwrap();
        assert_eq!(quotes[1].billable_weight.value(), dec!(31.5));
        assert_eq!(quotes[1].breakdown[0].amount.amount(), dec!(35.75));
        assert_eq!(quotes[1].total.amount(), dec!(40.22));
    }

    #[test]
    fn zones_follow_state_postal_distance_and_region() {
        let addr = |country: &str, state: Option<&str>, postal: Option<&str>| {
            let mut a = json!({"name": "A", "street": ["x"], "city": "c", "country": country});
            if let Some(s) = state {
                a["state"] = json!(s);
            }
            if let Some(p) = postal {
                a["postal_code"] = json!(p);
            }
            serde_json::from_value::<Address>(a).unwrap()
        };
        let atlanta = addr("US", Some("GA"), Some("30301"));
        let cases = [
            (addr("US", Some("GA"), Some("31401")), 1), // same state
            (addr("US", Some("FL"), Some("32801")), 1), // same first digit
            (addr("US", Some("NY"), Some("10001")), 2), // 3 − 1 = 2
            (addr("US", Some("CA"), Some("94105")), 3), // 9 − 3 = 6
            (addr("CA", None, Some("M5V 2T6")), 5),     // North America
            (addr("DE", None, Some("10115")), 6),       // North America ↔ Europe
            (addr("JP", None, Some("100-0001")), 7),    // with Asia-Pacific
            (addr("BR", None, Some("01001-000")), 8),   // rest of world
        ];
        for (to, expected) in cases {
            assert_eq!(zone(&atlanta, &to), expected, "{to:?}");
        }
        let seattle = addr("US", Some("WA"), Some("98101"));
        let bangor = addr("US", Some("ME"), Some("04401"));
        assert_eq!(zone(&seattle, &bangor), 4); // 9 − 0 = 9
        let london = addr("GB", None, Some("SW1A 1AA"));
        let leeds = addr("GB", None, Some("LS1 1UR"));
        assert_eq!(zone(&london, &leeds), 2); // letters: no distance to measure
    }

    #[test]
    fn international_without_customs_is_rejected_on_customs() {
        let mut v = canonical();
        v["to"] = json!({"name": "R", "street": ["x"], "city": "Berlin",
                         "postal_code": "10115", "country": "DE"});
        let e = quotes(&request(v.clone()), date!(2025 - 03 - 14)).unwrap_err();
        let CarrierError::Rejected { errors, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!(errors[0].field, "/customs");

        // With a declaration: zone 6, 2.5 kg, not residential; standard 56.00 + 7.00 = 63.00.
        v["customs"] = json!({"incoterm": "DAP", "content_type": "merchandise", "items": [{
            "description": "T-shirt", "quantity": 2,
            "unit_value": {"amount": "15.00", "currency": "USD"},
            "unit_weight": {"value": "0.2", "unit": "kg"},
            "hs_code": "610910", "origin_country": "US"}]});
        let quotes = quotes(&request(v), date!(2025 - 03 - 14)).unwrap();
        assert_eq!(quotes[1].total.amount(), dec!(63.00));
    }

    #[test]
    fn parcels_over_70_kg_and_empty_shipments_are_rejected() {
        let mut v = canonical();
        v["parcels"] = json!([{"weight": {"value": "1", "unit": "kg"}},
                              {"weight": {"value": "71", "unit": "kg"}}]);
        let e = quotes(&request(v.clone()), date!(2025 - 03 - 14)).unwrap_err();
        assert!(
            matches!(&e, CarrierError::Rejected { errors, .. } if errors[0].field == "/parcels/1/weight")
        );
        v["parcels"] = json!([]);
        let e = quotes(&request(v), date!(2025 - 03 - 14)).unwrap_err();
        assert!(
            matches!(&e, CarrierError::Rejected { errors, .. } if errors[0].field == "/parcels")
        );
    }

    #[test]
    fn options_add_documented_surcharges_and_saturday_drops_economy() {
        // Canonical standard 22.50 + adult signature 6.25 + Saturday 15.00 + declared value
        // 250.00 (two started hundreds above the first: 2.00) = 45.75; fuel is not applied.
        let mut v = canonical();
        v["options"] = json!({"signature": "adult", "saturday_delivery": true,
            "declared_value": {"amount": "250.00", "currency": "USD"}});
        let quotes = quotes(&request(v), date!(2025 - 03 - 14)).unwrap();
        let codes: Vec<_> = quotes.iter().map(|q| q.service.code.as_str()).collect();
        assert_eq!(codes, ["standard", "express"]);
        assert_eq!(quotes[0].total.amount(), dec!(45.75));
        let lines: Vec<_> = quotes[0].breakdown[3..]
            .iter()
            .map(|c| (c.code.as_deref().unwrap(), c.amount.amount()))
            .collect();
        assert_eq!(
            lines,
            [
                ("SIG_A", dec!(6.25)),
                ("SAT", dec!(15.00)),
                ("DV", dec!(2.00))
            ]
        );
    }

    #[test]
    fn refused_options_name_their_field() {
        for (options, field) in [
            (
                json!({"lithium_batteries": {"material": "ion", "packing": "alone"}}),
                "/options/lithium_batteries",
            ),
            (
                json!({"declared_value": {"amount": "50", "currency": "EUR"}}),
                "/options/declared_value/currency",
            ),
        ] {
            let mut v = canonical();
            v["options"] = options;
            let e = quotes(&request(v), date!(2025 - 03 - 14)).unwrap_err();
            assert!(
                matches!(&e, CarrierError::Rejected { errors, .. } if errors[0].field == field),
                "{e:?}"
            );
        }
        let sat: ShipmentOptions =
            serde_json::from_value(json!({"saturday_delivery": true})).unwrap();
        assert!(refusal("economy", &sat).is_some());
        assert!(refusal("standard", &sat).is_none());
    }

    #[test]
    fn business_days_skip_weekends() {
        assert_eq!(
            add_business_days(date!(2025 - 03 - 14), 1),
            date!(2025 - 03 - 17)
        ); // Fri → Mon
        assert_eq!(
            add_business_days(date!(2025 - 03 - 15), 1),
            date!(2025 - 03 - 17)
        ); // Sat → Mon
        assert_eq!(
            add_business_days(date!(2025 - 03 - 17), 0),
            date!(2025 - 03 - 17)
        );
    }
}
