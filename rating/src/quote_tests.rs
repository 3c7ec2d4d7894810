//! The engine on small cards: one behaviour per test.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use shiphub_carriers::model::{Currency, RateRequest, Weight, WeightUnit};
use time::macros::date;

use crate::card::tests::SMALL;
use crate::{QuoteOptions, RateCard, RateCards, RatedQuote, Step};

const TODAY: time::Date = date!(2026 - 03 - 02);

fn card(extra: &str) -> RateCard {
    RateCard::from_toml(&format!("{SMALL}{extra}")).unwrap()
}

/// DE 10115 → `country` `postal`, parcels of `(kg, [l, w, h] cm)`.
fn req(country: &str, postal: &str, parcels: &[(&str, Option<[&str; 3]>)]) -> RateRequest {
    let parcels: Vec<_> = parcels
        .iter()
        .map(|(w, d)| {
            let mut p = json!({"weight": {"value": w, "unit": "kg"}});
            if let Some([l, w, h]) = d {
                p["dimensions"] = json!({"length": l, "width": w, "height": h, "unit": "cm"});
            }
            p
        })
        .collect();
    serde_json::from_value(json!({
        "from": {"name": "A", "street": ["x"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "to": {"name": "B", "street": ["y"], "city": "Town", "postal_code": postal, "country": country},
        "parcels": parcels,
    }))
    .unwrap()
}

fn one(
    c: &RateCard,
    r: &RateRequest,
    opts: &QuoteOptions,
) -> Result<RatedQuote<'static>, crate::RateError> {
    // Tests leak their card so quotes can outlive the helper.
    let c: &'static RateCard = Box::leak(Box::new(c.clone()));
    c.quote_one(r, "road", opts, r.ship_date.unwrap_or(TODAY))
}

fn codes(q: &RatedQuote) -> Vec<(String, Decimal)> {
    q.charges
        .iter()
        .map(|c| (c.code.to_string(), c.amount.amount()))
        .collect()
}

fn zone_of(q: &RatedQuote) -> String {
    match &q.charges[0].steps[0] {
        Step::Zone { zone, .. } => zone.to_string(),
        other => panic!("first base step is not the zone: {other:?}"),
    }
}

#[test]
fn a_postal_prefix_zone_wins_over_the_whole_country_by_file_order() {
    let c = card("");
    let o = QuoteOptions::default();
    assert_eq!(
        zone_of(&one(&c, &req("DE", "10115", &[("1", None)]), &o).unwrap()),
        "A"
    );
    assert_eq!(
        zone_of(&one(&c, &req("DE", "80331", &[("1", None)]), &o).unwrap()),
        "B"
    );
    // Zone A 5 kg break 10.00, zone B 12.00.
    assert_eq!(
        one(&c, &req("DE", "80331", &[("1", None)]), &o)
            .unwrap()
            .total
            .amount(),
        dec!(12.00)
    );
}

#[test]
fn unserved_origins_and_destinations_name_their_field() {
    let c = card("");
    let o = QuoteOptions::default();
    let e = one(&c, &req("FR", "75001", &[("1", None)]), &o).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("/to/country", "NO_ZONE"));
    let mut r = req("DE", "10115", &[("1", None)]);
    r.from.country = "AT".parse().unwrap();
    let e = one(&c, &r, &o).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.code),
        ("/from/country", "ORIGIN_NOT_SERVED")
    );
    let e = c
        .quote_one(&req("DE", "10115", &[("1", None)]), "air", &o, TODAY)
        .unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("/service", "UNKNOWN_SERVICE"));
}

#[test]
fn heavier_than_the_last_break_without_additional_pricing_is_too_heavy() {
    let c = card("");
    let e = one(
        &c,
        &req("DE", "10115", &[("10.01", None)]),
        &QuoteOptions::default(),
    )
    .unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("/parcels", "TOO_HEAVY"));
    let c = card("").clone();
    let mut text = SMALL.replace("breaks = [", "max_package_weight = \"8\"\nbreaks = [");
    text.push('\n');
    let capped = RateCard::from_toml(&text).unwrap();
    let e = one(
        &capped,
        &req("DE", "10115", &[("1", None), ("8.5", None)]),
        &QuoteOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.code),
        ("/parcels/1/weight", "TOO_HEAVY")
    );
    assert!(
        one(
            &c,
            &req("DE", "10115", &[("10", None)]),
            &QuoteOptions::default()
        )
        .is_ok()
    );
}

#[test]
fn billable_rules_combine_packages_as_the_card_says() {
    // Two parcels to zone B: 3 kg of 40×40×40 cm (dimensional 64000/5000 = 12.8 kg) and 4 kg
    // without dimensions. Breaks 5 kg 12.00, 10 kg 18.00, then 2.00 per additional 1 kg.
    let parcels = [("3", Some(["40", "40", "40"])), ("4", None)];
    let r = req("DE", "80331", &parcels);
    let with = |rule: &str| {
        let text = SMALL
            .replace("billable = \"shipment\"", &format!("billable = \"{rule}\"\ndim_divisor = \"5000\""))
            .replace("  [\"10\", \"15.00\", \"18.00\"],\n]", "  [\"10\", \"15.00\", \"18.00\"],\n]\nadditional = { per = \"1\", prices = [\"1.50\", \"2.00\"] }");
        let c = RateCard::from_toml(&text).unwrap();
        let q = one(&c, &r, &QuoteOptions::default()).unwrap();
        (q.billable_weight.value(), q.total.amount())
    };
    // per package: ceil(12.8) = 13 kg → 18.00 + 3 × 2.00 = 24.00; 4 kg → 12.00; total 36.00.
    assert_eq!(with("per_package"), (dec!(17), dec!(36.00)));
    // sum of packages: 13 + 4 = 17 kg → 18.00 + 7 × 2.00 = 32.00.
    assert_eq!(with("sum_of_packages"), (dec!(17), dec!(32.00)));
    // shipment: max(actual 7, dimensional 12.8 + 4 = 16.8) → 17 kg → 32.00.
    assert_eq!(with("shipment"), (dec!(17), dec!(32.00)));
}

#[test]
fn options_and_customs_switch_their_accessorials_on() {
    let c = card(
        "\n[[accessorial]]\ncode = \"SIG\"\nname = \"Signature\"\nwhen = \"signature\"\namount = \"2.00\"\n\
         [[accessorial]]\ncode = \"SAT\"\nname = \"Saturday\"\nwhen = \"saturday\"\namount = \"9.00\"\n\
         [[accessorial]]\ncode = \"TOLL\"\nname = \"Toll\"\nwhen = \"always\"\npercent = \"2.5\"\n",
    );
    let r = req("DE", "10115", &[("1", None)]);
    let q = one(&c, &r, &QuoteOptions::default()).unwrap();
    // 2.5 % of 10.00 = 0.25.
    assert_eq!(
        codes(&q),
        [("BASE".into(), dec!(10.00)), ("TOLL".into(), dec!(0.25))]
    );
    let both = QuoteOptions {
        signature: true,
        saturday_delivery: true,
        currency: None,
    };
    let q = one(&c, &r, &both).unwrap();
    assert_eq!(
        codes(&q),
        [
            ("BASE".into(), dec!(10.00)),
            ("SIG".into(), dec!(2.00)),
            ("SAT".into(), dec!(9.00)),
            ("TOLL".into(), dec!(0.25))
        ]
    );
}

#[test]
fn the_fuel_row_in_force_on_the_ship_date_is_used() {
    let c = card(
        "\n[[fuel]]\nfrom = 2026-02-01\npercent = \"10\"\n[[fuel]]\nfrom = 2026-03-01\npercent = \"20\"\n",
    );
    let at = |d: &str| {
        let mut r = req("DE", "10115", &[("1", None)]);
        r.ship_date = Some(
            time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE).unwrap(),
        );
        one(&c, &r, &QuoteOptions::default())
            .unwrap()
            .total
            .amount()
    };
    assert_eq!(at("2026-01-20"), dec!(10.00), "no fuel row yet");
    assert_eq!(at("2026-02-28"), dec!(11.00));
    assert_eq!(at("2026-03-01"), dec!(12.00));
}

#[test]
fn a_currency_without_a_stated_rate_is_refused() {
    let c = card("");
    let o = QuoteOptions {
        currency: Some(Currency::USD),
        ..Default::default()
    };
    let e = one(&c, &req("DE", "10115", &[("1", None)]), &o).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.code),
        ("/currency", "NO_RATE_FOR_CURRENCY")
    );
    let o = QuoteOptions {
        currency: Some(Currency::EUR),
        ..Default::default()
    };
    assert_eq!(
        one(&c, &req("DE", "10115", &[("1", None)]), &o)
            .unwrap()
            .total
            .currency(),
        Currency::EUR
    );
}

#[test]
fn the_version_in_force_on_the_ship_date_prices() {
    let v2026 = card("");
    let v2027 = RateCard::from_toml(
        &SMALL
            .replace("valid_from = 2026-01-01", "valid_from = 2027-01-01")
            .replace("\"10.00\"", "\"11.00\""),
    )
    .unwrap();
    let cards = RateCards::new(vec![v2027, v2026]).unwrap();
    let mut r = req("DE", "10115", &[("1", None)]);
    let o = QuoteOptions::default();
    r.ship_date = Some(date!(2026 - 12 - 31));
    assert_eq!(
        cards
            .quote_service(&r, "road", &o, TODAY)
            .unwrap()
            .total
            .amount(),
        dec!(10.00)
    );
    r.ship_date = Some(date!(2027 - 01 - 01));
    assert_eq!(
        cards
            .quote_service(&r, "road", &o, TODAY)
            .unwrap()
            .total
            .amount(),
        dec!(11.00)
    );
    r.ship_date = Some(date!(2025 - 12 - 31));
    let e = cards.quote_service(&r, "road", &o, TODAY).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("/ship_date", "NO_CARD"));
    r.ship_date = None;
    assert_eq!(
        cards.quote(&r, &o, TODAY).unwrap()[0].total.amount(),
        dec!(10.00),
        "today's card"
    );
}

#[test]
fn absurd_weights_are_refused_instead_of_overflowing() {
    let text = SMALL.replace(
        "  [\"10\", \"15.00\", \"18.00\"],\n]",
        "  [\"10\", \"15.00\", \"18.00\"],\n]\nadditional = { per = \"0.001\", prices = [\"99999\", \"99999\"] }",
    );
    let c = RateCard::from_toml(&text).unwrap();
    let e = one(
        &c,
        &req("DE", "10115", &[("1", None), ("9999999999999999", None)]),
        &QuoteOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.code),
        ("/parcels/1", "INVALID_SHIPMENT")
    );
    // Just below the bound the arithmetic still fits: 999,990 kg in 0.001 kg increments.
    assert!(
        one(
            &c,
            &req("DE", "10115", &[("1000000", None)]),
            &QuoteOptions::default()
        )
        .is_ok()
    );
}

#[test]
fn breaks_with_more_than_three_places_are_searched_as_decimals() {
    // 8 oz = 0.226796185 kg; a card may state such breaks to the gram's thousandth.
    let text = SMALL
        .replace("rounding = \"1\"", "rounding = \"0.000001\"")
        .replace(
            "[\"5\", \"10.00\", \"12.00\"]",
            "[\"0.226797\", \"4.00\", \"5.00\"],\n  [\"5\", \"10.00\", \"12.00\"]",
        );
    let c = RateCard::from_toml(&text).unwrap();
    let at = |w: &str| {
        one(
            &c,
            &req("DE", "10115", &[(w, None)]),
            &QuoteOptions::default(),
        )
        .unwrap()
        .total
        .amount()
    };
    assert_eq!(at("0.226797"), dec!(4.00), "exactly on the break");
    assert_eq!(at("0.226798"), dec!(10.00), "just above it");
    assert_eq!(at("0.2"), dec!(4.00));
}

#[test]
fn a_lane_request_prices_like_a_full_one() {
    use crate::{LaneEnd, lane_request};
    let full = req("DE", "80331", &[("1", None)]);
    let end = |c: &str, p: &str| LaneEnd {
        country: c.parse().unwrap(),
        postal_code: Some(p.into()),
        residential: false,
    };
    let lane = lane_request(
        end("DE", "10115"),
        end("DE", "80331"),
        full.parcels.clone(),
        None,
    );
    let c = card("");
    let o = QuoteOptions::default();
    assert_eq!(
        one(&c, &lane, &o).unwrap().total,
        one(&c, &full, &o).unwrap().total
    );
}

#[test]
fn words_round_long_weights_and_data_keeps_them_exact() {
    let c = card("");
    let mut r = req("DE", "10115", &[("1", None)]);
    r.parcels[0].weight = Weight::new(dec!(3), WeightUnit::Lb).unwrap();
    let q = one(&c, &r, &QuoteOptions::default()).unwrap();
    // 3 lb = 1.36077711 kg.
    assert!(
        q.charges[0].explanation().contains("actual ~1.361 kg"),
        "{}",
        q.charges[0].explanation()
    );
    match &q.charges[0].steps[1] {
        Step::ShipmentWeight { actual, .. } => assert_eq!(actual.value(), dec!(1.36077711)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_threshold_charged_per_shipment_is_charged_once_naming_the_package() {
    let c = card(
        "\n[[accessorial]]\ncode = \"HVY\"\nname = \"Heavy shipment\"\nwhen = \"additional_handling\"\n\
         amount = \"7.00\"\nper = \"shipment\"\nweight_over = \"3\"\n\
         [[accessorial]]\ncode = \"HND\"\nname = \"Handling\"\nwhen = \"always\"\namount = \"1.00\"\nunless = [\"BIG\"]\n\
         [[accessorial]]\ncode = \"BIG\"\nname = \"Big piece\"\nwhen = \"oversize\"\namount = \"20.00\"\nlongest_side_over = \"100\"\n",
    );
    let q = one(
        &c,
        &req("DE", "10115", &[("1", None), ("4", None), ("5", None)]),
        &QuoteOptions::default(),
    )
    .unwrap();
    // Base: shipment 10 kg → 15.00. HVY once (packages 2 and 3 are over 3 kg); HND applies.
    assert_eq!(
        codes(&q),
        [
            ("BASE".into(), dec!(15.00)),
            ("HVY".into(), dec!(7.00)),
            ("HND".into(), dec!(1.00))
        ]
    );
    assert!(
        q.charges[1]
            .explanation()
            .starts_with("package 2: HVY applies: actual weight 4 kg is over 3 kg")
    );
    // A big piece anywhere cancels the shipment-level handling fee.
    let q = one(
        &c,
        &req(
            "DE",
            "10115",
            &[("1", None), ("1", Some(["120", "10", "10"]))],
        ),
        &QuoteOptions::default(),
    )
    .unwrap();
    assert_eq!(
        codes(&q),
        [("BASE".into(), dec!(10.00)), ("BIG".into(), dec!(20.00))]
    );
}
