//! `shiphub rate --card FILE --from US:30301 --to US:94105 --weight 2.5kg`: prices a lane
//! from rate card files on the command line, every charge with the steps behind it.

use std::path::PathBuf;
use std::str::FromStr;

use rust_decimal::Decimal;
use shiphub_carriers::model::{CountryCode, Dimensions, LengthUnit, Parcel, Weight, WeightUnit};
use shiphub_rating::{LaneEnd, QuoteOptions, RateCards, lane_request};
use time::{Date, OffsetDateTime};

#[derive(clap::Args, Debug)]
pub struct RateArgs {
    /// A rate card file (TOML, see rating/README.md); repeat for several versions.
    #[arg(long, required = true)]
    pub card: Vec<PathBuf>,
    /// Origin as COUNTRY:POSTAL, e.g. US:30301.
    #[arg(long)]
    pub from: String,
    /// Destination as COUNTRY:POSTAL, e.g. US:94105.
    #[arg(long)]
    pub to: String,
    /// Package weight with unit (2.5kg, 11lb); repeat for several packages.
    #[arg(long, required = true)]
    pub weight: Vec<String>,
    /// Package dimensions LxWxH with unit (30x20x10cm, 12x8x4in), in --weight order.
    #[arg(long)]
    pub dims: Vec<String>,
    /// The destination is a residence.
    #[arg(long)]
    pub residential: bool,
    /// Signature on delivery.
    #[arg(long)]
    pub signature: bool,
    /// Saturday delivery.
    #[arg(long)]
    pub saturday: bool,
    /// Ship date (YYYY-MM-DD); default today.
    #[arg(long)]
    pub date: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn lane_end(s: &str, flag: &str, residential: bool) -> Result<LaneEnd, String> {
    let (country, postal) = s.split_once(':').unwrap_or((s, ""));
    let country = CountryCode::from_str(country).map_err(|e| format!("--{flag} {s}: {e}"))?;
    Ok(LaneEnd {
        country,
        postal_code: (!postal.is_empty()).then(|| postal.to_string()),
        residential,
    })
}

/// `2.5kg` → (2.5, "kg").
fn amount_unit(s: &str) -> Option<(Decimal, String)> {
    let at = s.find(|c: char| c.is_ascii_alphabetic())?;
    let value = Decimal::from_str(s[..at].trim()).ok()?;
    Some((value, s[at..].trim().to_ascii_lowercase()))
}

fn weight(s: &str) -> Result<Weight, String> {
    let bad = || format!("--weight {s}: expected a number and kg, g, lb or oz (2.5kg)");
    let (value, unit) = amount_unit(s).ok_or_else(bad)?;
    let unit: WeightUnit =
        serde_json::from_value(serde_json::Value::String(unit)).map_err(|_| bad())?;
    Weight::new(value, unit).map_err(|e| format!("--weight {s}: {}", e.message))
}

fn dims(s: &str) -> Result<Dimensions, String> {
    let bad = || format!("--dims {s}: expected LxWxH and cm or in (30x20x10cm)");
    let at = s
        .find(|c: char| c.is_ascii_alphabetic() && c != 'x')
        .ok_or_else(bad)?;
    let unit: LengthUnit =
        serde_json::from_value(serde_json::Value::String(s[at..].to_ascii_lowercase()))
            .map_err(|_| bad())?;
    let sides: Vec<Decimal> = s[..at]
        .split('x')
        .map(|v| Decimal::from_str(v.trim()))
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let [l, w, h] = sides[..] else {
        return Err(bad());
    };
    Dimensions::new(l, w, h, unit).map_err(|e| format!("--dims {s}: {}", e.message))
}

fn weight_text(w: &Weight) -> String {
    let unit = serde_json::to_value(w.unit())
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    format!("{} {unit}", w.value())
}

pub fn run(args: RateArgs) -> Result<(), String> {
    let mut texts = vec![];
    for path in &args.card {
        texts.push(std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let cards = RateCards::from_toml(&texts)
        .map_err(|e| format!("{}: {}", args.card[e.index].display(), e.error))?;
    if args.dims.len() > args.weight.len() {
        return Err("more --dims than --weight: give one --weight per package".into());
    }
    let parcels = args
        .weight
        .iter()
        .enumerate()
        .map(|(i, w)| {
            Ok(Parcel {
                weight: weight(w)?,
                dimensions: args.dims.get(i).map(|d| dims(d)).transpose()?,
                description: None,
                packaging: None,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let date = args
        .date
        .as_deref()
        .map(|d| {
            Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|e| format!("--date {d}: {e}"))
        })
        .transpose()?;
    let today = OffsetDateTime::now_utc().date();
    let request = lane_request(
        lane_end(&args.from, "from", false)?,
        lane_end(&args.to, "to", args.residential)?,
        parcels,
        date,
    );
    let options = QuoteOptions {
        signature: args.signature,
        saturday_delivery: args.saturday,
        currency: None,
    };
    let quotes = cards
        .quote(&request, &options, today)
        .map_err(|e| format!("cannot price this shipment: {} ({})", e, e.code))?;
    if args.json {
        let out: Vec<_> = quotes.iter().map(|q| q.to_quote("table_rate")).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    for q in &quotes {
        let transit = q
            .transit_days
            .map_or(String::new(), |d| format!(", {d} business days"));
        println!(
            "{} ({}): {}{transit} — billable {}",
            q.service_name,
            q.service,
            q.total,
            weight_text(&q.billable_weight)
        );
        for c in &q.charges {
            println!(
                "  {:>12}  {}: {}",
                c.amount.to_string(),
                c.name,
                c.explanation()
            );
        }
        println!("  card: {}", q.card);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_dimensions_parse_with_their_units_and_say_what_is_wrong() {
        assert_eq!(
            weight("2.5kg").unwrap(),
            Weight::new(Decimal::new(25, 1), WeightUnit::Kg).unwrap()
        );
        assert_eq!(weight("11 lb").unwrap().unit(), WeightUnit::Lb);
        assert!(weight("2.5").unwrap_err().contains("--weight 2.5"));
        assert!(weight("2.5stone").is_err());
        let d = dims("30x20x10cm").unwrap();
        assert_eq!(d.unit(), LengthUnit::Cm);
        assert!(dims("30x20cm").unwrap_err().contains("LxWxH"));
        assert_eq!(
            lane_end("US:30301", "from", false)
                .unwrap()
                .postal_code
                .as_deref(),
            Some("30301")
        );
        assert!(lane_end("XX:1", "to", false).unwrap_err().contains("--to"));
    }
}
