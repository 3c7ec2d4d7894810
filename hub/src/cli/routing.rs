//! `shiphub routing …`: smart routing at the command line. `import-deliveries` seeds a
//! tenant's transit history from past deliveries (a CSV of shipments delivered before the hub
//! tracked them); `transit` and `cost` print the tables `GET /v1/analytics/transit` and
//! `GET /v1/analytics/cost` answer.

use std::path::PathBuf;

use super::{DbArgs, open_store, problem_text};
use crate::routing::cost::{self, CostGroup};
use crate::routing::transit::{self, Lookup};
use crate::store::routing::{Delivery, parse_day};

#[derive(clap::Subcommand, Debug)]
pub enum RoutingCommand {
    /// Count past deliveries in the transit history. CSV with a header line:
    /// `carrier,service,from_country,from_postal,to_country,to_postal,shipped,delivered,promised`
    /// (days as YYYY-MM-DD; `promised` may be empty).
    ImportDeliveries {
        file: PathBuf,
        #[arg(long, default_value = "default")]
        tenant: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Transit-day percentiles and on-time rate per carrier service on a lane.
    Transit {
        #[arg(long, default_value = "US")]
        from_country: String,
        #[arg(long)]
        from_postal: Option<String>,
        /// Default: the origin country.
        #[arg(long)]
        to_country: Option<String>,
        #[arg(long)]
        to_postal: Option<String>,
        /// The window ends this day (default today).
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, default_value = "default")]
        tenant: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Spend, cost per parcel and per kg, and savings for shipments bought in a period.
    Cost {
        /// First purchase day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last purchase day, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// carrier, service, lane or month.
        #[arg(long, default_value = "carrier")]
        group_by: String,
        #[arg(long, default_value = "default")]
        tenant: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// One CSV line as a delivery; the error names the line and the column.
pub fn parse_delivery(line_no: usize, line: &str) -> Result<Delivery, String> {
    let cols: Vec<&str> = line.split(',').map(str::trim).collect();
    if cols.len() != 9 {
        return Err(format!(
            "line {line_no}: {} columns, 9 expected",
            cols.len()
        ));
    }
    let day = |i: usize, name: &str| {
        parse_day(cols[i])
            .ok_or_else(|| format!("line {line_no}: {name} `{}` is not YYYY-MM-DD", cols[i]))
    };
    let d = Delivery {
        carrier: cols[0].to_string(),
        service_code: cols[1].to_string(),
        from_country: cols[2].to_ascii_uppercase(),
        from_postal: cols[3].to_string(),
        to_country: cols[4].to_ascii_uppercase(),
        to_postal: cols[5].to_string(),
        shipped: day(6, "shipped")?,
        delivered: day(7, "delivered")?,
        promise: match cols[8] {
            "" => None,
            _ => Some(day(8, "promised")?),
        },
    };
    if d.delivered < d.shipped {
        return Err(format!("line {line_no}: delivered before it was shipped"));
    }
    Ok(d)
}

pub async fn run(command: RoutingCommand) -> Result<(), String> {
    match command {
        RoutingCommand::ImportDeliveries { file, tenant, db } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            // All lines are checked before any is counted: a bad file counts nothing.
            let deliveries = text
                .lines()
                .enumerate()
                .skip(1)
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| parse_delivery(i + 1, l))
                .collect::<Result<Vec<_>, _>>()?;
            let store = open_store(&db.database_url).await?;
            let t = tenant_id(&store, &tenant).await?;
            store
                .record_deliveries(&t, &deliveries)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!("{} deliveries counted", deliveries.len());
            Ok(())
        }
        RoutingCommand::Transit {
            from_country,
            from_postal,
            to_country,
            to_postal,
            as_of,
            tenant,
            db,
        } => {
            let store = open_store(&db.database_url).await?;
            let t = tenant_id(&store, &tenant).await?;
            let settings = crate::routing::rules::load(&store, &t)
                .await
                .map_err(|e| problem_text(&e))?
                .settings;
            let today = match as_of {
                Some(d) => parse_day(&d).ok_or("--as-of: YYYY-MM-DD")?,
                None => time::OffsetDateTime::now_utc().date(),
            };
            let to_country = to_country.unwrap_or_else(|| from_country.clone());
            let from =
                transit::lane_end(&from_country, from_postal.as_deref(), settings.lane_prefix);
            let to = transit::lane_end(&to_country, to_postal.as_deref(), settings.lane_prefix);
            println!(
                "lane {}, {} days to {today}",
                transit::lane_name(&from, &to),
                settings.window_days
            );
            let stats = transit::lookup(
                &store,
                &t,
                Lookup {
                    carrier: None,
                    service: None,
                    from,
                    to,
                    today,
                    window_days: settings.window_days,
                },
            )
            .await
            .map_err(|e| problem_text(&e))?;
            println!(
                "{:<24} {:>8} {:>4} {:>4} {:>4} {:>4} {:>4} {:>8}",
                "service", "samples", "p50", "p75", "p90", "p95", "p99", "on-time"
            );
            for s in stats {
                println!(
                    "{:<24} {:>8} {:>4} {:>4} {:>4} {:>4} {:>4} {:>8}",
                    format!("{}/{}", s.carrier, s.service),
                    s.samples,
                    s.p50,
                    s.p75,
                    s.p90,
                    s.p95,
                    s.p99,
                    s.on_time_rate.map_or("-".into(), |r| r.to_string())
                );
            }
            Ok(())
        }
        RoutingCommand::Cost {
            from,
            to,
            group_by,
            tenant,
            db,
        } => {
            let by: CostGroup = group_by
                .parse()
                .map_err(|()| format!("--group-by {group_by}: carrier, service, lane or month"))?;
            let (start, end) =
                crate::tracking::analytics::period(&from, &to).map_err(|e| problem_text(&e))?;
            let store = open_store(&db.database_url).await?;
            let t = tenant_id(&store, &tenant).await?;
            let lines = cost::report(&store, &t, start, end, by)
                .await
                .map_err(|e| problem_text(&e))?;
            println!(
                "{:<24} {:>4} {:>7} {:>10} {:>9} {:>9} {:>9} {:>8} {:>13} {:>16} {:>10}",
                group_by,
                "cur",
                "parcels",
                "spend",
                "/parcel",
                "kg",
                "/kg",
                "compared",
                "over cheapest",
                "saved vs fastest",
                "recovered"
            );
            for l in lines {
                println!(
                    "{:<24} {:>4} {:>7} {:>10} {:>9} {:>9} {:>9} {:>8} {:>13} {:>16} {:>10}",
                    l.key,
                    l.currency,
                    l.parcels,
                    l.spend,
                    l.cost_per_parcel,
                    l.weight_kg,
                    l.cost_per_kg.map_or("-".into(), |d| d.to_string()),
                    l.compared,
                    l.over_cheapest,
                    l.saved_vs_fastest,
                    l.recovered
                );
            }
            Ok(())
        }
    }
}

async fn tenant_id(
    store: &crate::store::Store,
    name: &str,
) -> Result<crate::ids::TenantId, String> {
    Ok(store
        .tenant_by_name(name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no tenant named {name}"))?
        .id)
}
