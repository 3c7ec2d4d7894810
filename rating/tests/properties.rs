//! Properties over random shipments on the two example cards: price is monotonic in weight
//! within a zone, billable weight is never below actual weight, every line of a quote is in
//! one currency (the card's, or the one asked for) and the lines add up to the total.

mod common;

use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;
use shiphub_carriers::model::{Currency, WeightUnit};
use shiphub_rating::{QuoteOptions, RateCards, Step};
use time::macros::date;

const TODAY: time::Date = date!(2026 - 03 - 01);

/// Decimal strings with up to 3 places from `lo` to `hi` thousandths.
fn dec(lo: i64, hi: i64) -> impl Strategy<Value = Decimal> {
    (lo..=hi).prop_map(|m| Decimal::new(m, 3))
}

/// Parcel sides in cm, up to 150 × 90 × 90 (up to 243 kg dimensional).
fn dims() -> impl Strategy<Value = Option<[Decimal; 3]>> {
    proptest::option::of([dec(1_000, 150_000), dec(1_000, 90_000), dec(1_000, 90_000)])
}

/// Parcel sides in inches within the ground card's 150 lb (at most 135 lb dimensional).
fn ground_dims() -> impl Strategy<Value = Option<[Decimal; 3]>> {
    proptest::option::of([dec(1_000, 30_000), dec(1_000, 25_000), dec(1_000, 25_000)])
}

fn parcel_json(w: Decimal, unit: &str, d: Option<[Decimal; 3]>, lunit: &str) -> Value {
    let s = |x: Decimal| x.to_string();
    let d = d.map(|[a, b, c]| [s(a), s(b), s(c)]);
    parcel(
        &s(w),
        unit,
        d.as_ref()
            .map(|[a, b, c]| ([a.as_str(), b.as_str(), c.as_str()], lunit)),
    )
}

/// A ground request from Atlanta to a random US ZIP (every ZIP has a zone).
fn ground_req(
    zip: u32,
    parcels: Vec<Value>,
    residential: bool,
) -> shiphub_carriers::model::RateRequest {
    request(
        addr("US", "30301", false),
        addr("US", &format!("{zip:05}"), residential),
        parcels,
        "2026-03-10",
    )
}

const EXPRESS_DESTS: &[(&str, &str)] = &[
    ("AT", "1010"),
    ("FR", "75001"),
    ("IT", "00100"),
    ("GB", "HS1 2AB"),
    ("GB", "SW1A 1AA"),
    ("NO", "9010"),
    ("US", "99501"),
    ("US", "10001"),
    ("JP", "100-0001"),
    ("CH", "8001"),
];

fn express_req(dest: usize, parcels: Vec<Value>) -> shiphub_carriers::model::RateRequest {
    let (c, z) = EXPRESS_DESTS[dest];
    request(
        addr("DE", "10115", false),
        addr(c, z, false),
        parcels,
        "2026-02-20",
    )
}

fn totals(cards: &RateCards, req: &shiphub_carriers::model::RateRequest) -> Vec<(String, Decimal)> {
    let quotes = cards.quote(req, &QuoteOptions::default(), TODAY).unwrap();
    quotes
        .iter()
        .map(|q| (q.service.to_string(), q.total.amount()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Heavier never costs less, zone, dimensions and accessorials held fixed.
    #[test]
    fn ground_price_is_monotonic_in_weight(zip in 0u32..100_000, a in dec(100, 150_000),
                                           b in dec(100, 150_000), d in ground_dims(), res: bool) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let c = cards(GROUND);
        let light = totals(c, &ground_req(zip, vec![parcel_json(lo, "lb", d, "in")], res));
        let heavy = totals(c, &ground_req(zip, vec![parcel_json(hi, "lb", d, "in")], res));
        for ((s, l), (_, h)) in light.iter().zip(&heavy) {
            prop_assert!(l <= h, "{s}: {lo} lb costs {l}, {hi} lb costs {h}");
        }
    }

    #[test]
    fn express_price_is_monotonic_in_weight(dest in 0..EXPRESS_DESTS.len(), a in dec(100, 69_000),
                                            b in dec(100, 69_000), d in dims()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let c = cards(EXPRESS);
        let light = totals(c, &express_req(dest, vec![parcel_json(lo, "kg", d, "cm")]));
        let heavy = totals(c, &express_req(dest, vec![parcel_json(hi, "kg", d, "cm")]));
        // A service may stop at a weight (Express 12:00 at 30 kg); where it prices both, the
        // heavier costs no less, and whatever prices the heavier prices the lighter.
        prop_assert!(heavy.len() <= light.len());
        for (s, h) in &heavy {
            let l = light.iter().find(|(x, _)| x == s).map(|(_, l)| l);
            prop_assert!(l.is_some_and(|l| l <= h), "{s}: {lo} kg costs {l:?}, {hi} kg costs {h}");
        }
    }

    /// Dimensional weight can raise the billable weight, never lower it below the scale.
    #[test]
    fn billable_weight_is_never_below_actual(
        dest in 0..EXPRESS_DESTS.len(),
        parcels in proptest::collection::vec((dec(100, 60_000), dims(), prop_oneof![Just("kg"), Just("lb"), Just("g")]), 1..4),
    ) {
        let c = cards(EXPRESS);
        let json: Vec<Value> = parcels.iter().map(|(w, d, u)| {
            let w = if *u == "g" { *w * Decimal::ONE_THOUSAND } else { *w };
            parcel_json(w, u, *d, "cm")
        }).collect();
        let req = express_req(dest, json);
        let actual_kg: Decimal = req.parcels.iter().map(|p| p.weight.to(WeightUnit::Kg).value()).sum();
        for q in c.quote(&req, &QuoteOptions::default(), TODAY).unwrap() {
            prop_assert!(q.billable_weight.to(WeightUnit::Kg).value() >= actual_kg,
                "{}: billable {:?} below actual {actual_kg} kg", q.service, q.billable_weight);
            for step in &q.charges[0].steps {
                if let Step::PackageWeight { actual, dimensional, billable, .. } = step {
                    prop_assert!(billable.value() >= actual.value());
                    if let Some(d) = dimensional {
                        prop_assert!(billable.value() >= d.value());
                    }
                }
            }
        }
    }

    /// One currency per quote, whichever is asked for; the lines add up to the total.
    #[test]
    fn currency_is_never_mixed(dest in 0..EXPRESS_DESTS.len(), w in dec(100, 80_000), d in dims(),
                               ask in prop_oneof![Just(None), Just(Some(Currency::EUR)), Just(Some(Currency::USD)), Just(Some(Currency::GBP))],
                               signature: bool, saturday: bool) {
        let c = cards(EXPRESS);
        let mut req = express_req(dest, vec![parcel_json(w, "kg", d, "cm")]);
        if EXPRESS_DESTS[dest].0 != "DE" {
            req.customs = Some(serde_json::from_value(ddp()).unwrap());
        }
        let opts = QuoteOptions { signature, saturday_delivery: saturday, currency: ask };
        let want = ask.unwrap_or(Currency::EUR);
        for q in c.quote(&req, &opts, TODAY).unwrap() {
            prop_assert_eq!(q.total.currency(), want);
            let mut sum = Decimal::ZERO;
            for ch in &q.charges {
                prop_assert_eq!(ch.amount.currency(), want, "{} in {:?}", ch.code, ch.amount);
                prop_assert!(ch.amount.amount().scale() <= 2, "{} not rounded: {}", ch.code, ch.amount.amount());
                sum += ch.amount.amount();
            }
            prop_assert_eq!(sum, q.total.amount());
            let quote = q.to_quote("table_rate");
            prop_assert!(quote.breakdown.iter().all(|b| b.amount.currency() == want));
        }
    }
}
