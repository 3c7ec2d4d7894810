//! `GET /v1/analytics/timeliness`: how carriers, services or lanes deliver;
//! `GET /v1/analytics/transit`: the transit percentiles the routing history measured on a
//! lane; `GET /v1/analytics/cost`: spend and what the routing choices saved.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Query, Tenant};
use super::responses::*;
use crate::error::Error;
use crate::routing::cost::{CostGroup, CostLine};
use crate::routing::transit::{Lookup, TransitStats, lane_end, lane_name, lookup};
use crate::state::AppState;
use crate::tracking::analytics::{GroupBy, TimelinessLine, period, timeliness};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_timeliness))
        .routes(routes!(get_transit))
        .routes(routes!(get_cost))
}

#[derive(Deserialize, IntoParams)]
pub struct TimelinessParams {
    /// First purchase day (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    from: String,
    /// Last purchase day (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    to: String,
    /// `carrier` (default), `service` or `lane`.
    #[param(inline)]
    group_by: Option<GroupBy>,
}

#[derive(Serialize, ToSchema)]
pub struct TimelinessOut {
    from: String,
    to: String,
    #[schema(value_type = String)]
    group_by: GroupBy,
    rows: Vec<TimelinessLine>,
}

/// Per carrier, service or lane: shipments, delivered, on-time %, p50/p90 transit days and
/// exceptions %, for shipments bought in the period.
#[utoipa::path(get, path = "/v1/analytics/timeliness", tag = "tracking", params(TimelinessParams),
    responses((status = 200, body = TimelinessOut), Auth, BadQuery))]
async fn get_timeliness(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(p): Query<TimelinessParams>,
) -> Result<axum::Json<TimelinessOut>, Error> {
    let (from, to) = period(&p.from, &p.to)?;
    let by = p.group_by.unwrap_or(GroupBy::Carrier);
    let rows = app.store.timeliness_rows(&tenant, from, to).await?;
    Ok(axum::Json(TimelinessOut {
        from: p.from,
        to: p.to,
        group_by: by,
        rows: timeliness(&rows, by),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct TransitParams {
    /// Only this carrier.
    carrier: Option<String>,
    /// Only this service code.
    service: Option<String>,
    /// Origin postal code (its first `lane_prefix` characters make the lane).
    from_postal: Option<String>,
    /// Destination postal code.
    to_postal: Option<String>,
    /// Origin country (ISO 3166-1 alpha-2; default US).
    #[param(pattern = "^[A-Z]{2}$")]
    from_country: Option<String>,
    /// Destination country (default: the origin's).
    #[param(pattern = "^[A-Z]{2}$")]
    to_country: Option<String>,
    /// Postal prefix length of the lane, 0 to 5 (default: the tenant's setting).
    #[param(minimum = 0, maximum = 5)]
    lane_prefix: Option<u8>,
    /// Days of deliveries counted (default: the tenant's setting, 90).
    #[param(minimum = 1, maximum = 730)]
    window_days: Option<u32>,
    /// The window ends this day (default today).
    #[param(format = Date)]
    as_of: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TransitOut {
    /// The lane at the granularity asked (`US:100>US:941`).
    lane: String,
    window_days: u32,
    /// Deliveries under this are a thin history (quotes then use the carrier's estimate).
    min_samples: u32,
    /// First and last delivery day of the window.
    since: String,
    as_of: String,
    /// One line per carrier service with deliveries on the lane.
    services: Vec<TransitStats>,
}

/// Transit-day percentiles (p50 … p99, business days) and on-time rate per carrier service on
/// a lane, from the tenant's own deliveries in the sliding window.
#[utoipa::path(get, path = "/v1/analytics/transit", tag = "routing", params(TransitParams),
    responses((status = 200, body = TransitOut), Auth, BadQuery))]
async fn get_transit(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(p): Query<TransitParams>,
) -> Result<axum::Json<TransitOut>, Error> {
    let settings = crate::routing::rules::load(&app.store, &tenant)
        .await?
        .settings;
    let prefix = p.lane_prefix.unwrap_or(settings.lane_prefix);
    if prefix > 5 {
        return Err(Error::field("/query/lane_prefix", "must be 0 to 5"));
    }
    let window = p.window_days.unwrap_or(settings.window_days);
    if !(1..=730).contains(&window) {
        return Err(Error::field("/query/window_days", "must be 1 to 730"));
    }
    let today = match &p.as_of {
        Some(d) => crate::tracking::parse_date(d)
            .ok_or_else(|| Error::field("/query/as_of", "must be a date, YYYY-MM-DD"))?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let country = |c: Option<&String>, field: &str, default: &str| {
        let c = c.map_or(default.to_string(), |c| c.clone());
        match c.len() == 2 && c.chars().all(|x| x.is_ascii_uppercase()) {
            true => Ok(c),
            false => Err(Error::field(field, "must be an ISO 3166-1 alpha-2 code")),
        }
    };
    let from_country = country(p.from_country.as_ref(), "/query/from_country", "US")?;
    let to_country = country(p.to_country.as_ref(), "/query/to_country", &from_country)?;
    let from = lane_end(&from_country, p.from_postal.as_deref(), prefix);
    let to = lane_end(&to_country, p.to_postal.as_deref(), prefix);
    let lane = lane_name(&from, &to);
    let services = lookup(
        &app.store,
        &tenant,
        Lookup {
            carrier: p.carrier.as_deref(),
            service: p.service.as_deref(),
            from,
            to,
            today,
            window_days: window,
        },
    )
    .await?;
    Ok(axum::Json(TransitOut {
        lane,
        window_days: window,
        min_samples: settings.min_samples,
        since: (today - time::Duration::days(i64::from(window) - 1)).to_string(),
        as_of: today.to_string(),
        services,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct CostParams {
    /// First purchase day (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    from: String,
    /// Last purchase day (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    to: String,
    /// `carrier` (default), `service`, `lane` or `month`.
    #[param(inline)]
    group_by: Option<CostGroup>,
}

#[derive(Serialize, ToSchema)]
pub struct CostOut {
    from: String,
    to: String,
    #[schema(value_type = String)]
    group_by: CostGroup,
    rows: Vec<CostLine>,
}

/// Spend, parcels, cost per parcel and per kg, and savings: the chosen quotes against the
/// cheapest and the fastest alternative quoted with them, and the invoice audit's recovered
/// amounts; for shipments bought in the period (voided ones left out).
#[utoipa::path(get, path = "/v1/analytics/cost", tag = "routing", params(CostParams),
    responses((status = 200, body = CostOut), Auth, BadQuery))]
async fn get_cost(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(p): Query<CostParams>,
) -> Result<axum::Json<CostOut>, Error> {
    let (from, to) = period(&p.from, &p.to)?;
    let by = p.group_by.unwrap_or(CostGroup::Carrier);
    let rows = crate::routing::cost::report(&app.store, &tenant, from, to, by).await?;
    Ok(axum::Json(CostOut {
        from: p.from,
        to: p.to,
        group_by: by,
        rows,
    }))
}
