//! `GET /v1/analytics/timeliness`: how carriers, services or lanes deliver.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Query, Tenant};
use super::responses::*;
use crate::error::Error;
use crate::state::AppState;
use crate::tracking::analytics::{GroupBy, TimelinessLine, period, timeliness};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_timeliness))
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
