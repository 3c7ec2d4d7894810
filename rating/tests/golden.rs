//! Golden cases worked by hand from the example cards, whose structure follows two published
//! price lists (prices made up, see each card's header):
//! - `ground_us_from_atlanta.toml`: the UPS Ground Daily Rates list with its zone chart for
//!   origin ZIP 303 (per-pound prices per zone, divisor 139, per-package rating, residential,
//!   DAS/extended DAS, additional handling replaced by large package, weekly fuel);
//! - `express_worldwide_de_export.toml`: the DHL Express Rate & Service Guide for Germany
//!   export (0.5 kg steps to 30 kg, then per additional 0.5 kg, divisor 5000, per-piece
//!   rounding to 0.5 kg summed, monthly fuel, remote area, duties & taxes paid).
//!
//! The arithmetic is in the comments; the card rows used are quoted there.

mod common;

use common::*;
use rust_decimal_macros::dec;
use serde_json::json;
use shiphub_carriers::model::{ChargeKind, Currency, WeightUnit};
use shiphub_rating::{QuoteOptions, RatedQuote, Step};
use time::macros::date;

const TODAY: time::Date = date!(2026 - 03 - 01);

fn lines<'a>(q: &'a RatedQuote<'a>) -> Vec<(&'a str, rust_decimal::Decimal)> {
    q.charges
        .iter()
        .map(|c| (c.code, c.amount.amount()))
        .collect()
}

#[test]
fn ground_atlanta_to_san_francisco_residential() {
    // Atlanta 30301 → San Francisco 94105, residential, 2.5 kg, 30×20×10 cm, Fri 2026-03-13.
    // Zone: ZIP 941 is in 900-999 → zone 8.
    // Actual 2.5 kg / 0.45359237 = 5.5116 lb; dimensional 6000 cm³ / 16.387064 = 366.14 in³,
    // / 139 = 2.63 lb; billable = ceil(max) = 6 lb.
    // Row ["6", …, "20.45"] (zone 8) → base 20.45.
    // Discount 20 % = 4.09 → net 16.36 (above the 9.90 minimum).
    // RES 5.95. Fuel row from 2026-03-09: 19.00 % of (16.36 + 5.95 = 22.31) = 4.2389 → 4.24.
    // Total 20.45 − 4.09 + 5.95 + 4.24 = 26.55.
    let req = request(
        addr("US", "30301", false),
        addr("US", "94105", true),
        vec![parcel("2.5", "kg", Some((["30", "20", "10"], "cm")))],
        "2026-03-13",
    );
    let q = cards(GROUND)
        .quote(&req, &QuoteOptions::default(), TODAY)
        .unwrap();
    assert_eq!(q.len(), 1);
    let q = &q[0];
    assert_eq!(
        lines(q),
        [
            ("BASE", dec!(20.45)),
            ("DISCOUNT", dec!(-4.09)),
            ("RES", dec!(5.95)),
            ("FUEL", dec!(4.24))
        ]
    );
    assert_eq!(q.total.amount(), dec!(26.55));
    assert_eq!(q.total.currency(), Currency::USD);
    assert_eq!(q.billable_weight.value(), dec!(6));
    assert_eq!(q.billable_weight.unit(), WeightUnit::Lb);
    // Zone 8 takes 5 business days: Fri 13 → Fri 20 March.
    assert_eq!(
        (q.transit_days, q.estimated_delivery),
        (Some(5), Some(date!(2026 - 03 - 20)))
    );
    let base = q.charges[0].explanation();
    for part in [
        "zone 8",
        "US 941",
        "billable 6 lb",
        "break up to 6 lb: 20.45 USD",
    ] {
        assert!(base.contains(part), "`{part}` missing from: {base}");
    }
    assert!(
        q.charges[3]
            .explanation()
            .contains("19.00% (table from 2026-03-09) of 22.31 USD")
    );
}

#[test]
fn ground_light_parcel_pays_the_minimum() {
    // 30301 → 30303: zone 2. 1 lb, no dimensions, commercial, Mon 2026-03-02.
    // Row ["1", "10.20", …] → base 10.20; discount 20 % = 2.04 → net 8.16 < minimum 9.90:
    // MIN adjustment 9.90 − 8.16 = 1.74. Fuel row 2026-03-02: 18.75 % of 9.90 = 1.85625 → 1.86.
    // Total 10.20 − 2.04 + 1.74 + 1.86 = 11.76.
    let req = request(
        addr("US", "30301", false),
        addr("US", "30303", false),
        vec![parcel("1", "lb", None)],
        "2026-03-02",
    );
    let q = cards(GROUND)
        .quote_service(&req, "ground", &QuoteOptions::default(), TODAY)
        .unwrap();
    assert_eq!(
        lines(&q),
        [
            ("BASE", dec!(10.20)),
            ("DISCOUNT", dec!(-2.04)),
            ("MIN", dec!(1.74)),
            ("FUEL", dec!(1.86))
        ]
    );
    assert_eq!(q.total.amount(), dec!(11.76));
    assert!(matches!(q.charges[2].steps[0], Step::Minimum { .. }));
}

#[test]
fn ground_two_packages_with_handling_large_package_and_extended_area() {
    // 30301 → 31327 (zone 2; 31327 is on both the DAS and the extended DAS list), Mon 2026-03-16.
    // Package 1: 55 lb, 20×20×20 in: dim 8000/139 = 57.55 → billable 58 lb.
    //   Row ["58", "34.14", …] → 34.14. Weight 55 > 50 → AHS 28.00.
    // Package 2: 30 lb, 52×30×12 in: dim 18720/139 = 134.68 → billable 135 lb.
    //   Row ["135", "66.48", …] → 66.48. Length + girth 52 + 2×(30+12) = 136 > 130 → LPS 175.00;
    //   its longest side 52 > 48 would be AHS, but LPS replaces AHS (`unless = ["LPS"]`).
    // Base 34.14 + 66.48 = 100.62; discount 20 % = 20.124 → 20.12; net 80.50.
    // EDAS 5.90 (DAS is dropped: `unless = ["EDAS"]`).
    // Fuel row 2026-03-16: 19.25 % of (80.50 + 5.90 + 28.00 + 175.00 = 289.40) = 55.7095 → 55.71.
    // Total 100.62 − 20.12 + 5.90 + 28.00 + 175.00 + 55.71 = 345.11.
    let req = request(
        addr("US", "30301", false),
        addr("US", "31327", false),
        vec![
            parcel("55", "lb", Some((["20", "20", "20"], "in"))),
            parcel("30", "lb", Some((["52", "30", "12"], "in"))),
        ],
        "2026-03-16",
    );
    let q = cards(GROUND)
        .quote_service(&req, "ground", &QuoteOptions::default(), TODAY)
        .unwrap();
    assert_eq!(
        lines(&q),
        [
            ("BASE", dec!(100.62)),
            ("DISCOUNT", dec!(-20.12)),
            ("EDAS", dec!(5.90)),
            ("AHS", dec!(28.00)),
            ("LPS", dec!(175.00)),
            ("FUEL", dec!(55.71)),
        ]
    );
    assert_eq!(q.total.amount(), dec!(345.11));
    assert_eq!(q.billable_weight.value(), dec!(193));
    let ahs = q.charges[3].explanation();
    assert!(
        ahs.contains("package 1: AHS applies: actual weight 55 lb is over 50 lb"),
        "{ahs}"
    );
    let lps = q.charges[4].explanation();
    assert!(
        lps.contains("package 2: LPS applies: length plus girth 136 in is over 130 in"),
        "{lps}"
    );
}

#[test]
fn express_to_a_remote_gb_postcode_duties_paid_in_eur_and_usd() {
    // Berlin 10115 → GB "HS1 2AB" (zone 3; prefix HS is a remote area), DDP, Tue 2026-02-10.
    // Piece 1: 3.2 kg, 40×30×20 cm: volumetric 24000/5000 = 4.8 kg → 5 kg (0.5 kg steps).
    // Piece 2: 1.1 kg, 20×15×10 cm: volumetric 0.6 kg; actual 1.1 → 1.5 kg.
    // Sum of pieces 6.5 kg; row ["6.5", …, zone 3 "115.70"] → base 115.70.
    // RAS 24.90 (bears fuel); DTP 19.90 (no fuel).
    // Fuel row 2026-02-01: 25.75 % of (115.70 + 24.90 = 140.60) = 36.2045 → 36.20.
    // Total 115.70 + 24.90 + 19.90 + 36.20 = 196.70 EUR.
    // In USD at 1 EUR = 1.0842 USD, line by line: 115.70 → 125.44194 → 125.44; 24.90 → 26.99658
    // → 27.00; 19.90 → 21.57558 → 21.58; 36.20 → 39.24804 → 39.25; total 213.27 USD.
    let mut req = request(
        addr("DE", "10115", false),
        addr("GB", "HS1 2AB", false),
        vec![
            parcel("3.2", "kg", Some((["40", "30", "20"], "cm"))),
            parcel("1.1", "kg", Some((["20", "15", "10"], "cm"))),
        ],
        "2026-02-10",
    );
    req.customs = Some(serde_json::from_value(ddp()).unwrap());
    let c = cards(EXPRESS);
    let q = c
        .quote_service(&req, "express_worldwide", &QuoteOptions::default(), TODAY)
        .unwrap();
    assert_eq!(
        lines(&q),
        [
            ("BASE", dec!(115.70)),
            ("RAS", dec!(24.90)),
            ("DTP", dec!(19.90)),
            ("FUEL", dec!(36.20))
        ]
    );
    assert_eq!(
        (q.total.amount(), q.total.currency()),
        (dec!(196.70), Currency::EUR)
    );
    assert_eq!(q.billable_weight.value(), dec!(6.5));
    assert!(
        q.charges[1]
            .explanation()
            .contains("destination in GB postal prefix")
    );

    let usd = QuoteOptions {
        currency: Some(Currency::USD),
        ..Default::default()
    };
    let q = c
        .quote_service(&req, "express_worldwide", &usd, TODAY)
        .unwrap();
    assert_eq!(
        lines(&q),
        [
            ("BASE", dec!(125.44)),
            ("RAS", dec!(27.00)),
            ("DTP", dec!(21.58)),
            ("FUEL", dec!(39.25))
        ]
    );
    assert_eq!(
        (q.total.amount(), q.total.currency()),
        (dec!(213.27), Currency::USD)
    );
    assert!(
        q.charges[0]
            .explanation()
            .ends_with("converted 115.70 EUR at 1 EUR = 1.0842 USD to 125.44 USD")
    );
}

#[test]
fn express_above_the_last_break_prices_additional_half_kilos() {
    // Berlin → New York 10001: zone 4, 41.3 kg, no dimensions, Thu 2026-01-15.
    // Billable ceil(41.3 to 0.5) = 41.5 kg, above the last break (30 kg).
    // Row ["30", …, zone 4 "497.90"]; (41.5 − 30) / 0.5 = 23 additional half kilos × 6.70 =
    // 154.10; base 497.90 + 154.10 = 652.00.
    // Fuel row 2026-01-01: 24.50 % of 652.00 = 159.74. Total 811.74.
    // Express 12:00 serves zones 1-3 only, so one quote.
    let req = request(
        addr("DE", "10115", false),
        addr("US", "10001", false),
        vec![parcel("41.3", "kg", None)],
        "2026-01-15",
    );
    let q = cards(EXPRESS)
        .quote(&req, &QuoteOptions::default(), TODAY)
        .unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].service, "express_worldwide");
    assert_eq!(
        lines(&q[0]),
        [("BASE", dec!(652.00)), ("FUEL", dec!(159.74))]
    );
    assert_eq!(q[0].total.amount(), dec!(811.74));
    let base = q[0].charges[0].explanation();
    assert!(base.contains("41.5 kg is above the last break 30 kg (497.90 EUR): 23 × 6.70 EUR per additional 0.5 kg = 652.00 EUR"), "{base}");
}

#[test]
fn the_quote_serializes_its_steps_as_data_and_words() {
    let req = request(
        addr("US", "30301", false),
        addr("US", "94105", true),
        vec![parcel("2.5", "kg", Some((["30", "20", "10"], "cm")))],
        "2026-03-13",
    );
    let q = cards(GROUND)
        .quote(&req, &QuoteOptions::default(), TODAY)
        .unwrap();
    let v = serde_json::to_value(&q[0]).unwrap();
    assert_eq!(v["charges"][0]["steps"][0]["step"], json!("zone"));
    assert_eq!(v["charges"][0]["steps"][0]["zone"], json!("8"));
    assert_eq!(v["charges"][0]["steps"][1]["step"], json!("package_weight"));
    assert_eq!(
        v["charges"][0]["steps"][1]["billable"],
        json!({"value": "6", "unit": "lb"})
    );
    assert_eq!(
        v["charges"][2]["steps"][0]["rule"]["rule"],
        json!("residential")
    );
    assert!(
        v["charges"][0]["explanation"]
            .as_str()
            .unwrap()
            .starts_with("zone 8")
    );
    assert_eq!(v["card"]["step"], json!("card"));

    let quote = q[0].to_quote("table_rate");
    assert_eq!(quote.total, q[0].total);
    assert_eq!(quote.breakdown[0].kind, ChargeKind::Base);
    assert!(
        quote.breakdown[0]
            .description
            .starts_with("Transportation: zone 8")
    );
    assert!(quote.notes[0].contains("card ground-us-from-atlanta valid from 2026-01-05"));
}
