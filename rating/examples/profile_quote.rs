use std::fmt::Write;
use std::hint::black_box;
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


fn main() {
    let text = card();
    let cards = RateCards::from(RateCard::from_toml(&text).unwrap());
    let req = request();
    let opts = QuoteOptions { signature: true, ..Default::default() };
    let today = date!(2026 - 03 - 18);
    let n: usize = std::env::args().nth(1).map(|a| a.parse().unwrap()).unwrap_or(100000);
    let t = std::time::Instant::now();
    for _ in 0..n {
        black_box(cards.quote_service(black_box(&req), "road", &opts, today).unwrap());
    }
    let e = t.elapsed();
    println!("{n} quotes in {e:?}: {:.0} quotes/s", n as f64 / e.as_secs_f64());
}
