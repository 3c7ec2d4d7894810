//! Courier pickups over HTTP: book (`POST /v1/pickups`, idempotent), read, list (cursor),
//! cancel (idempotent; a cancelled pickup is not cancelled twice: 409). The work is the
//! domain's (`crate::pickups`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{Address, Money, Weight};
use time::{Date, OffsetDateTime, Time};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::problem::Problem;
use super::responses::*;
use crate::error::Error;
use crate::ids::PickupId;
use crate::pickups::{self, Change};
use crate::shipments::Key;
use crate::state::AppState;
use crate::store::PickupRecord;

/// The idempotency scope of the request that sends to the carrier (see key recovery).
pub(crate) const BOOK_SCOPE: &str = "POST /v1/pickups";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_pickup, list_pickups))
        .routes(routes!(get_pickup))
        .routes(routes!(cancel_pickup))
}

/// A pickup to book: where, when, and either the parcels' count and weight or the
/// shipments it covers (their parcels are counted and weighed when count or weight is absent).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PickupIn {
    /// The carrier account to book with.
    carrier_account: String,
    /// Where the courier collects; the first shipment's origin when absent.
    #[serde(default)]
    address: Option<Address>,
    /// The day of the pickup.
    #[schema(value_type = String, format = Date)]
    date: Date,
    /// When the parcels are ready, `HH:MM` local time at the address.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    ready_time: String,
    /// When the place closes, `HH:MM` local time; after `ready_time`.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "17:00")]
    close_time: String,
    /// How many parcels (counted from `shipments` when absent).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 9999)]
    parcel_count: Option<u32>,
    /// Their total weight (summed from `shipments` when absent).
    #[serde(default)]
    total_weight: Option<Weight>,
    /// Ids of shipments bought here on the same carrier account that the courier collects.
    #[serde(default)]
    #[schema(max_items = 500, value_type = Vec<String>)]
    shipments: Vec<String>,
    /// For the courier (where to find the parcels).
    #[serde(default)]
    #[schema(max_length = 200)]
    instructions: Option<String>,
}

/// `HH:MM` (24-hour, local time at the pickup address), read at `/field`.
fn clock(field: &str, text: &str) -> Result<Time, Error> {
    let bad = || Error::field(format!("/{field}"), "`HH:MM`, 24-hour");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Time::from_hms(h, m, 0).map_err(|_| bad())
}

impl PickupIn {
    fn booking(self) -> Result<pickups::Booking, Error> {
        Ok(pickups::Booking {
            ready_time: clock("ready_time", &self.ready_time)?,
            close_time: clock("close_time", &self.close_time)?,
            carrier_account: self.carrier_account,
            address: self.address,
            date: self.date,
            parcel_count: self.parcel_count,
            total_weight: self.total_weight,
            shipments: self.shipments,
            instructions: self.instructions,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct PickupOut {
    id: String,
    carrier_account: String,
    carrier: String,
    /// `scheduled` or `cancelled`.
    status: String,
    /// The carrier's confirmation number (UPS PRN, FedEx confirmation code, USPS
    /// confirmation number, DHL dispatch confirmation number).
    confirmation: String,
    /// The carrier's location or station the pickup is booked with, where it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    /// What the carrier charges, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    charge: Option<Money>,
    warnings: Vec<String>,
    address: Address,
    #[schema(value_type = String, format = Date)]
    date: Date,
    /// `HH:MM`.
    ready_time: String,
    /// `HH:MM`.
    close_time: String,
    parcel_count: u32,
    total_weight: Weight,
    /// The shipments it covers.
    shipments: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructions: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    cancelled_at: Option<OffsetDateTime>,
}

fn hh_mm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn pickup_out(p: &PickupRecord) -> PickupOut {
    PickupOut {
        id: p.id.to_string(),
        carrier_account: p.carrier_account_id.to_string(),
        carrier: p.carrier.to_string(),
        status: p.status.as_str().to_string(),
        confirmation: p.confirmation.confirmation.clone(),
        location: p.confirmation.location.clone(),
        charge: p.confirmation.charge,
        warnings: p.confirmation.warnings.clone(),
        address: p.request.address.clone(),
        date: p.request.date,
        ready_time: hh_mm(p.request.ready_time),
        close_time: hh_mm(p.request.close_time),
        parcel_count: p.request.parcel_count,
        total_weight: p.request.total_weight,
        shipments: p.shipment_ids.iter().map(ToString::to_string).collect(),
        instructions: p.request.instructions.clone(),
        created_at: p.created_at,
        cancelled_at: p.cancelled_at,
    }
}

fn answer(_: &AppState, p: &PickupRecord, change: Change) -> Result<Answer, Error> {
    let status = match change {
        Change::Booked => StatusCode::CREATED,
        Change::Cancelled => StatusCode::OK,
    };
    Ok(Answer::json(status, &pickup_out(p)))
}

fn key(owned: &OwnedKey) -> Option<Key<'_>> {
    owned.as_ref().map(|c| Key {
        key: &c.key,
        owner: &c.owner,
    })
}

/// Books a courier pickup. Honours `Idempotency-Key`: a retry with the same key and body
/// returns the same pickup without booking again.
#[utoipa::path(post, path = "/v1/pickups", tag = "pickups", request_body = PickupIn,
    params(IdempotencyKey),
    responses(
        (status = 201, body = PickupOut, description = "booked (or, for a retried key, the first booking's answer)"),
        Auth, Idempotent, BadBody, CarrierFailure,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "a request with this key is in progress, or (`carrier-outcome-unknown`, final for the key) it was sent to the carrier when the hub stopped: the detail says what to check; the key never books again"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid input (a shipment of another account, a close time before the ready time), the carrier cannot book pickups or refused this one, or the Idempotency-Key was used for another request"),
    ))]
async fn create_pickup(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<PickupIn>,
) -> Response {
    req.run(
        app,
        tenant,
        |app, tenant, body: PickupIn, owned| async move {
            pickups::book(&app, &tenant, body.booking()?, key(&owned), answer).await
        },
    )
    .await
}

/// One pickup.
#[utoipa::path(get, path = "/v1/pickups/{id}", tag = "pickups", params(("id" = String, Path)),
    responses((status = 200, body = PickupOut), Auth, Missing))]
async fn get_pickup(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<PickupOut>, Error> {
    let p = pickups::load(&app, &tenant, &id).await?;
    Ok(axum::Json(pickup_out(&p)))
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// `next_cursor` from the previous page.
    #[param(pattern = "^pku_[0-9a-f]{32}$")]
    cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// Pickups, newest first.
#[utoipa::path(get, path = "/v1/pickups", tag = "pickups", params(ListParams),
    responses((status = 200, body = inline(List<PickupOut>)), Auth, BadQuery))]
async fn list_pickups(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<List<PickupOut>>, Error> {
    let limit = super::page_limit(p.limit, 20)?;
    let cursor = super::page_cursor(p.cursor.as_deref(), PickupId::parse)?;
    let rows = pickups::list(&app, &tenant, cursor.as_ref(), limit + 1).await?;
    let (rows, next_cursor) = super::split_page(rows, limit, |p| p.id.to_string());
    Ok(axum::Json(List {
        data: rows.iter().map(pickup_out).collect(),
        next_cursor,
    }))
}

/// Cancels a booked pickup at the carrier. Honours `Idempotency-Key`. A cancelled pickup
/// cannot be cancelled again (409); a retry with the first cancel's key replays its answer.
#[utoipa::path(post, path = "/v1/pickups/{id}/cancel", tag = "pickups", params(("id" = String, Path),
        IdempotencyKey),
    responses((status = 200, body = PickupOut, description = "cancelled"),
        Auth, Missing, Idempotent, CarrierFailure,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already cancelled, its carrier account was removed, or a request with this key is in progress"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "the carrier refused the cancel (its day has passed), or the Idempotency-Key is invalid or was used for another request")))]
async fn cancel_pickup(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path(id): Path<String>,
) -> Response {
    req.run(app, tenant, |app, tenant, _, owned| async move {
        pickups::cancel(&app, &tenant, &id, key(&owned), answer).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_are_hh_mm_and_name_their_field() {
        assert_eq!(
            clock("ready_time", "09:30").unwrap(),
            Time::from_hms(9, 30, 0).unwrap()
        );
        assert_eq!(hh_mm(clock("close_time", "23:59").unwrap()), "23:59");
        for bad in ["9:30", "24:00", "12:60", "noon", "12:3a", "12:300"] {
            match clock("close_time", bad) {
                Err(Error::Validation(p)) => assert_eq!(p[0].pointer, "/close_time", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
