//! Trackers: one per parcel followed. Created with every purchase (carriers that track) and
//! by `POST /v1/trackers` for parcels shipped elsewhere, the carrier detected from the
//! number when not given. The scheduler keeps them fresh; these endpoints read them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shiphub_carriers::Capability;
use shiphub_carriers::detect::{Detection, detect};
use shiphub_carriers::model::{TrackingNumber, TrackingStatus};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::responses::*;
use crate::error::Error;
use crate::ids::{AccountId, TenantId, TrackerId};
use crate::state::AppState;
use crate::store::{AccountRecord, TrackerRecord};
use crate::tracking::{TrackerOut, new_tracker};

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
}

/// A tracker with its scans, as answered.
pub async fn tracker_view(app: &AppState, t: &TrackerRecord) -> Result<TrackerOut, Error> {
    let events = app.store.tracking_events(&t.id).await?;
    Ok(TrackerOut {
        events: Some(events.clone()),
        ..TrackerOut::new(t, events.last())
    })
}

/// The carrier for a number: the one asked for, or the only likely one.
fn carrier_for(
    app: &AppState,
    number: &TrackingNumber,
    asked: Option<&str>,
) -> Result<(String, TrackingNumber), Error> {
    if let Some(code) = asked {
        let entry = app
            .carriers
            .entry(code)
            .ok_or_else(|| Error::field("/carrier", format!("unknown carrier `{code}`")))?;
        if !entry.capabilities.supports(Capability::Track) {
            return Err(Error::field(
                "/carrier",
                format!("{code} offers no tracking"),
            ));
        }
        return Ok((code.to_string(), number.clone()));
    }
    let found = detect(&app.carriers.entries, number);
    let Some(best) = found.first() else {
        return Err(Error::field(
            "/tracking_number",
            "no carrier issues numbers of this format; give `carrier`",
        ));
    };
    let tied: Vec<_> = found
        .iter()
        .filter(|c| c.detection == best.detection)
        .collect();
    if tied.len() > 1 || best.detection == Detection::FormatOnly && found.len() > 1 {
        let names: Vec<String> = found
            .iter()
            .map(|c| format!("{} ({})", c.carrier, c.format))
            .collect();
        return Err(Error::field(
            "/carrier",
            format!(
                "the number fits several carriers: {}; give `carrier`",
                names.join(", ")
            ),
        ));
    }
    Ok((best.carrier.to_string(), best.number.clone()))
}

/// Follows a parcel. Without `carrier` the carrier is detected from the number (or taken from
/// `carrier_account`); an ambiguous number is a 422 listing the candidates. `carrier_account`
/// must be the tenant's and of that carrier (422 naming `/carrier_account`); without it the
/// tracker goes to the carrier's account with the most quota to spare. A carrier the tenant
/// has no account with yet is accepted and waits (`waiting_reason: no_carrier_account`). The
/// first look is at once (within the account's quota). Following a number already followed
/// answers the open tracker (200). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/trackers", tag = "tracking", request_body = TrackerIn,
    params(IdempotencyKey),
    responses((status = 201, body = TrackerOut, description = "tracker created"), (status = 200, body = TrackerOut, description = "already followed"),
        Auth, Idempotent, BadBody))]
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
    let number: TrackingNumber =
        input
            .tracking_number
            .parse()
            .map_err(|e: shiphub_carriers::model::InvalidValue| {
                Error::field("/tracking_number", e.message)
            })?;
    let accounts = app.store.list_accounts(&tenant).await?;
    let asked = match input.carrier_account.as_deref() {
        Some(id) => Some(
            AccountId::parse(id)
                .and_then(|id| accounts.iter().find(|a| a.id == id))
                .ok_or_else(|| Error::field("/carrier_account", "no such carrier account"))?,
        ),
        None => None,
    };
    // An account without `carrier` names the carrier, unless the number's format
    // says it is another carrier's.
    let from_account = match (input.carrier.as_deref(), asked) {
        (None, Some(a)) => {
            let found = detect(&app.carriers.entries, &number);
            if !found.is_empty() && found.iter().all(|c| c.carrier.as_str() != a.carrier) {
                return Err(Error::field(
                    "/carrier_account",
                    format!(
                        "the account is of {}, the number is {}'s",
                        a.carrier, found[0].carrier
                    ),
                ));
            }
            Some(a.carrier.as_str())
        }
        _ => None,
    };
    let (carrier, number) = carrier_for(&app, &number, input.carrier.as_deref().or(from_account))?;
    let account = match asked {
        Some(a) if a.carrier != carrier => {
            return Err(Error::field(
                "/carrier_account",
                format!("the account is of {}, the tracker of {carrier}", a.carrier),
            ));
        }
        Some(a) => Some(a.id.clone()),
        None => most_spare(&app, &tenant, &carrier, &accounts).await?,
    };
    let now = OffsetDateTime::now_utc();
    let mut t = new_tracker(
        &app.tracking,
        now,
        number.as_str(),
        &carrier,
        account,
        None,
        None,
        None,
    );
    // Followed from elsewhere, the parcel may be moving already: first look at once
    // (the scheduler keeps it inside the account's quota). The post-label delay is
    // for labels bought here, which no carrier has scanned yet.
    t.next_check_at = t.next_check_at.map(|_| now);
    let existing = app
        .store
        .find_tracker(&tenant, &carrier, number.as_str())
        .await?;
    if let Some(found) = existing {
        return Ok(Answer::json(
            StatusCode::OK,
            &tracker_view(&app, &found).await?,
        ));
    }
    let answer = Answer::json(StatusCode::CREATED, &tracker_view(&app, &t).await?);
    let (stored, created) = app
        .store
        .insert_tracker(&tenant, &t, answer.completion(&owned).as_ref())
        .await?;
    if created {
        Ok(answer)
    } else {
        Ok(Answer::json(
            StatusCode::OK,
            &tracker_view(&app, &stored).await?,
        ))
    }
}

/// The tenant's account of `carrier` with the most quota to spare: the fewest trackers it
/// polls per request its quota allows in a day (the declared rate, or the daily cap when that
/// is lower). Ties go to the oldest account. `None` when the tenant has no such account.
async fn most_spare(
    app: &AppState,
    tenant: &TenantId,
    carrier: &str,
    accounts: &[AccountRecord],
) -> Result<Option<AccountId>, Error> {
    let load = app
        .store
        .polled_trackers_by_account(tenant, carrier)
        .await?;
    let mut best: Option<(&AccountRecord, u128, u128)> = None;
    for a in accounts.iter().filter(|a| a.carrier == carrier) {
        // An account whose adapter cannot be built (credentials it cannot read) polls
        // nothing: it is passed over, and chosen only when no other account is left.
        let adapter = match app
            .carriers
            .adapter(&app.store, tenant, a, &app.master_key)
            .await
        {
            Ok(adapter) => adapter,
            Err(e) => {
                tracing::warn!(account = %a.id, error = ?e, "cannot weigh the account's quota");
                continue;
            }
        };
        let q = adapter.quota();
        let per_day = u128::from(q.requests.max(1)) * 86_400_000 / q.per.as_millis().max(1);
        let per_day = adapter
            .daily_quota()
            .map_or(per_day, |d| per_day.min(u128::from(d)))
            .max(1);
        let trackers = u128::from(load.get(&a.id).copied().unwrap_or(0));
        // trackers / per_day smaller than the best's, compared without division.
        if best.is_none_or(|(_, t, d)| trackers * d < t * per_day) {
            best = Some((a, trackers, per_day));
        }
    }
    Ok(best
        .map(|(a, _, _)| a)
        .or_else(|| accounts.iter().find(|a| a.carrier == carrier))
        .map(|a| a.id.clone()))
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
    Ok(axum::Json(tracker_view(&app, &t).await?))
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
