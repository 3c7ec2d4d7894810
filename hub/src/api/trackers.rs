//! Trackers: one per parcel followed. Created with every purchase (carriers that track) and
//! by `POST /v1/trackers` for parcels shipped elsewhere, the carrier detected from the
//! number when not given (`tracking::trackers` chooses the carrier and account). The
//! scheduler keeps them fresh; these endpoints read them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shiphub_carriers::model::TrackingStatus;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::responses::*;
use crate::error::Error;
use crate::ids::{TenantId, TrackerId};
use crate::state::AppState;
use crate::store::TrackerRecord;
use crate::tracking::TrackerOut;
use crate::tracking::trackers::{self, Follow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tracker, list_trackers))
        .routes(routes!(get_tracker))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackerIn {
    tracking_number: String,
    /// Carrier code; detected from the number's format and check digit when left out (or
    /// taken from `carrier_account`).
    #[serde(default)]
    carrier: Option<String>,
    /// The carrier account (`car_…`) to poll with; it must be the tenant's and of the
    /// tracker's carrier. When left out, the account of that carrier with the most quota to
    /// spare.
    #[serde(default)]
    #[schema(pattern = "^car_[0-9a-f]{32}$")]
    carrier_account: Option<String>,
    /// The network an aggregator carrier tracks the number in (Kuaidi100's company code:
    /// `zhongtong`, `yuantong`, `shentong`, `yunda`, `jd`, `ems` …). Left out with an
    /// aggregator, its number detection names it. The same number in two networks is two
    /// trackers.
    #[serde(default)]
    #[schema(pattern = "^[a-z0-9_]{1,32}$", example = "zhongtong")]
    network: Option<String>,
    /// The sender's or receiver's phone, or its last four digits: some networks show scans
    /// only with it (Kuaidi100 for SF numbers). The hub keeps the last four digits and sends
    /// them with every poll and push subscription; following an open tracker again with a
    /// phone gives it that phone.
    #[serde(default)]
    #[schema(max_length = 32, example = "18963828829")]
    phone: Option<String>,
}

/// Follows a parcel. Without `carrier` the carrier is detected from the number (or taken from
/// `carrier_account`); an ambiguous number is a 422 listing the candidates. A number of no
/// format the hub knows is given to the tenant's aggregator accounts (carriers that identify
/// numbers, such as Kuaidi100): the first that recognises it follows it, in the network it
/// names (`carrier` and `network` in the answer); none (or no such account) is a 422 naming
/// `/tracking_number`, and an aggregator that fails answers as a carrier error. `carrier_account`
/// must be the tenant's and of that carrier (422 naming `/carrier_account`); without it the
/// tracker goes to the carrier's account with the most quota to spare. A carrier the tenant
/// has no account with yet is accepted and waits (`waiting_reason: no_carrier_account`). The
/// first look is at once (within the account's quota). Following a number already followed
/// answers the open tracker (200). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/trackers", tag = "tracking", request_body = TrackerIn,
    params(IdempotencyKey),
    responses((status = 201, body = TrackerOut, description = "tracker created"), (status = 200, body = TrackerOut, description = "already followed"),
        Auth, Idempotent, BadBody, CarrierFailure))]
async fn create_tracker(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<TrackerIn>,
) -> Response {
    req.run(app, tenant, add_tracker).await
}

/// A new tracker, under its key.
async fn add_tracker(
    app: AppState,
    tenant: TenantId,
    input: TrackerIn,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let asked = Follow {
        tracking_number: &input.tracking_number,
        carrier: input.carrier.as_deref(),
        carrier_account: input.carrier_account.as_deref(),
        network: input.network.as_deref(),
        phone: input.phone.as_deref(),
    };
    let t = trackers::follow(&app, &tenant, asked).await?;
    let answer = Answer::json(StatusCode::CREATED, &trackers::unscanned(&t));
    let (stored, created) = app
        .store
        .insert_tracker(&tenant, &t, answer.completion(&owned).as_ref())
        .await?;
    if created {
        return Ok(answer);
    }
    // Followed already: the open tracker, as it is, under the key.
    let found = trackers::again(&app, &tenant, &t, stored).await?;
    Answer::json(
        StatusCode::OK,
        &trackers::with_events(&app.store, &found).await?,
    )
    .kept(&app, &tenant, &owned)
    .await
}

async fn load(app: &AppState, tenant: &TenantId, id: &str) -> Result<TrackerRecord, Error> {
    let id = TrackerId::parse(id).ok_or(Error::NotFound("tracker"))?;
    app.store
        .get_tracker(tenant, &id)
        .await?
        .ok_or(Error::NotFound("tracker"))
}

/// A tracker: status, sub-status, the carrier's raw code, scans (time with offset, place,
/// text), estimated delivery, signed by, last and next check.
#[utoipa::path(get, path = "/v1/trackers/{id}", tag = "tracking", params(("id" = String, Path)),
    responses((status = 200, body = TrackerOut), Auth, Missing))]
async fn get_tracker(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<TrackerOut>, Error> {
    let t = load(&app, &tenant, &id).await?;
    Ok(axum::Json(trackers::with_events(&app.store, &t).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct TrackerListParams {
    /// Only trackers in this status.
    #[param(inline)]
    status: Option<TrackingStatus>,
    #[param(pattern = "^trk_[0-9a-f]{32}$")]
    cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// Trackers, newest first.
#[utoipa::path(get, path = "/v1/trackers", tag = "tracking", params(TrackerListParams),
    responses((status = 200, body = inline(List<TrackerOut>)), Auth, BadQuery))]
async fn list_trackers(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(p): Query<TrackerListParams>,
) -> Result<axum::Json<List<TrackerOut>>, Error> {
    let limit = super::page_limit(p.limit, 20)?;
    let cursor = super::page_cursor(p.cursor.as_deref(), TrackerId::parse)?;
    let rows = app
        .store
        .list_trackers(
            &tenant,
            p.status.map(crate::store::status_name).as_deref(),
            cursor.as_ref(),
            limit + 1,
        )
        .await?;
    let (rows, next_cursor) = super::split_page(rows, limit, |t| t.id.to_string());
    Ok(axum::Json(List {
        data: rows.iter().map(|t| TrackerOut::new(t, None)).collect(),
        next_cursor,
    }))
}
