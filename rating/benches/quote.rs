//! Quotes per second from a card of 10 zones × 60 weight breaks × 10 accessorials (issue 7:
//! target ≥ 1,000,000 quotes/s on one core). One quote = one service priced for one
//! request, explanation steps included (their words are made only when asked for).
//!
//! `cargo bench -p shiphub-rating --bench quote`

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use shiphub_carriers::model::RateRequest;
use shiphub_rating::{QuoteOptions, RateCard, RateCards};
use time::macros::date;

/// The card: zones 1-10 by German postal prefix (first digit), 60 breaks of 0.5 kg with
/// additional pricing above, dimensional weight, fuel rows, and 10 accessorials of every
/// kind (residential, remote areas by postal list, thresholds, options, DDP, always).
fn card() -> String {
    let mut s = String::from(
        "name = \"bench\"\ncarrier = \"Bench\"\ncurrency = \"EUR\"\nvalid_from = 2026-01-01\n\
         weight_unit = \"kg\"\nlength_unit = \"cm\"\norigins = [\"DE\"]\n\
         [currency_conversion]\nquote_currency = \"EUR\"\nrates = { USD = \"1.0842\" }\n",
    );
    for z in 0..10 {
        writeln!(
            s,
            "[[zone]]\nid = \"{z}\"\nto = [{{ country = \"DE\", postal_prefixes = [\"{z}\"] }}]"
        )
        .unwrap();
    }
    s.push_str("[[service]]\ncode = \"road\"\nname = \"Road\"\nclass = \"standard\"\ndim_divisor = \"5000\"\n\
                rounding = \"0.5\"\nbillable = \"sum_of_packages\"\nminimum = \"6.00\"\n\
                zones = [\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]\nbreaks = [\n");
    for b in 1..=60 {
        write!(s, "[\"{}.{}\"", b / 2, if b % 2 == 1 { 5 } else { 0 }).unwrap();
        for z in 0..10 {
            write!(s, ", \"{}.{:02}\"", 5 + z + b, (b * 7 + z) % 100 / 10 * 10).unwrap();
        }
        s.push_str("],\n");
    }
    s.push_str("]\nadditional = { per = \"0.5\", prices = [\"1.10\",\"1.20\",\"1.30\",\"1.40\",\"1.50\",\"1.60\",\"1.70\",\"1.80\",\"1.90\",\"2.00\"] }\n");
    s.push_str("[discounts]\nroad = \"12.5\"\n");
    for (m, p) in [(1, "14.25"), (2, "14.50"), (3, "15.00"), (4, "15.25")] {
        writeln!(s, "[[fuel]]\nfrom = 2026-0{m}-01\npercent = \"{p}\"").unwrap();
    }
    let remote: Vec<String> = (0..200)
        .map(|i| format!("\"{}\"", 10000 + i * 37))
        .collect();
    s.push_str(&format!(
        r#"[[accessorial]]
code = "RES"
name = "Residential"
when = "residential"
amount = "3.10"
[[accessorial]]
code = "RAS"
name = "Remote area"
when = "remote_area"
amount = "12.00"
areas = [{{ country = "DE", postal_codes = [{}] }}, {{ country = "DE", postal_prefixes = ["18", "25"] }}]
[[accessorial]]
code = "EXT"
name = "Island delivery"
when = "remote_area"
percent = "10"
areas = [{{ country = "DE", postal_ranges = [["26400", "26599"]] }}]
[[accessorial]]
code = "AHS"
name = "Additional handling"
when = "additional_handling"
amount = "18.00"
longest_side_over = "120"
second_side_over = "76"
weight_over = "31.5"
unless = ["OVS"]
[[accessorial]]
code = "OVS"
name = "Oversize"
when = "oversize"
amount = "95.00"
length_plus_girth_over = "300"
[[accessorial]]
code = "SIG"
name = "Signature"
when = "signature"
amount = "2.50"
[[accessorial]]
code = "SAT"
name = "Saturday"
when = "saturday"
amount = "15.00"
[[accessorial]]
code = "DTP"
name = "Duties paid"
when = "duties_paid"
amount = "9.90"
fuel = false
[[accessorial]]
code = "TOLL"
name = "Road toll"
when = "always"
amount = "0.45"
[[accessorial]]
code = "ENV"
name = "Environmental"
when = "always"
percent = "1.5"
"#,
        remote.join(", ")
    ));
    s
}

fn request() -> RateRequest {
    serde_json::from_value(json!({
        "from": {"name": "A", "street": ["x"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "to": {"name": "B", "street": ["y"], "city": "Husum", "postal_code": "25813", "country": "DE", "residential": true},
        "parcels": [{"weight": {"value": "7.3", "unit": "kg"},
                     "dimensions": {"length": "60", "width": "40", "height": "30", "unit": "cm"}}],
        "ship_date": "2026-03-18"
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let text = card();
    let cards = RateCards::from(RateCard::from_toml(&text).expect("bench card loads"));
    let req = request();
    let opts = QuoteOptions {
        signature: true,
        ..Default::default()
    };
    let today = date!(2026 - 03 - 18);
    let q = cards.quote_service(&req, "road", &opts, today).unwrap();
    assert_eq!(q.charges.len(), 8, "{:#?}", q.charges);

    let mut g = c.benchmark_group("rate_card");
    g.throughput(Throughput::Elements(1));
    g.bench_function("quote_10z_60b_10s", |b| {
        b.iter(|| {
            black_box(
                cards
                    .quote_service(black_box(&req), "road", &opts, today)
                    .unwrap(),
            )
        })
    });
    g.bench_function("quote_and_explain_in_words", |b| {
        b.iter(|| {
            let q = cards
                .quote_service(black_box(&req), "road", &opts, today)
                .unwrap();
            black_box(q.to_quote("table_rate"))
        })
    });
    g.bench_function("load_card", |b| {
        b.iter(|| black_box(RateCard::from_toml(black_box(&text)).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
