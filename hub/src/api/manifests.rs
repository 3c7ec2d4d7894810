//! End of day over HTTP: close a ship date or a list of shipments (`POST /v1/manifests`,
//! idempotent), read, list (cursor), and fetch the document the driver scans. The work is the
//! domain's (`crate::manifests`).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{LabelFormat, TrackingNumber};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::problem::Problem;
use super::responses::*;
use crate::error::Error;
use crate::ids::ManifestId;
use crate::manifests;
use crate::shipments::Key;
use crate::state::AppState;
use crate::store::ManifestRecord;

/// The idempotency scope of the request that sends to the carrier (see key recovery).
pub(crate) const CLOSE_SCOPE: &str = "POST /v1/manifests";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_manifest, list_manifests))
        .routes(routes!(get_manifest))
        .routes(routes!(get_manifest_document))
}

/// An end-of-day close: a ship date (every purchased, unvoided, not yet manifested shipment
/// of the account for that day), or the shipments to close (dated `ship_date`, or today in UTC).
/// A shipment's day is the `ship_date` it was bought with, else its purchase day in UTC.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestIn {
    /// The carrier account to close.
    carrier_account: String,
    /// The ship date to close.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    ship_date: Option<Date>,
    /// Ids of shipments bought on the account to close, instead of a whole day.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 500, value_type = Option<Vec<String>>)]
    shipments: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct ManifestDocumentLink {
    /// `pdf` (the USPS SCAN form as USPS gives it, or the page the hub draws), or the
    /// carrier's own format.
    format: LabelFormat,
    /// `carrier` (the carrier's document) or `hub` (drawn by the hub: the carrier's close
    /// gives none).
    source: String,
    /// Where to fetch it.
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ManifestOut {
    id: String,
    carrier_account: String,
    carrier: String,
    #[schema(value_type = String, format = Date)]
    ship_date: Date,
    /// The carrier's id of the manifest (the USPS SCAN form's number).
    carrier_manifest_id: String,
    /// The shipments it covers; none of them can be voided any more.
    shipments: Vec<String>,
    /// The parcels' numbers the carrier took in.
    #[schema(value_type = Vec<String>)]
    tracking_numbers: Vec<TrackingNumber>,
    warnings: Vec<String>,
    document: ManifestDocumentLink,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
}

fn manifest_out(m: &ManifestRecord) -> ManifestOut {
    ManifestOut {
        id: m.id.to_string(),
        carrier_account: m.carrier_account_id.to_string(),
        carrier: m.carrier.to_string(),
        ship_date: m.ship_date,
        carrier_manifest_id: m.carrier_manifest_id.clone(),
        shipments: m.shipment_ids.iter().map(ToString::to_string).collect(),
        tracking_numbers: m.tracking_numbers.clone(),
        warnings: m.warnings.clone(),
        document: ManifestDocumentLink {
            format: m.document_format,
            source: m.document_source.clone(),
            url: format!("/v1/manifests/{}/document", m.id),
        },
        created_at: m.created_at,
    }
}

fn answer(_: &AppState, m: &ManifestRecord) -> Result<Answer, Error> {
    Ok(Answer::json(StatusCode::CREATED, &manifest_out(m)))
}

fn key(owned: &OwnedKey) -> Option<Key<'_>> {
    owned.as_ref().map(|c| Key {
        key: &c.key,
        owner: &c.owner,
    })
}

/// Closes a ship date (or a list of shipments) with the carrier's manifest. Honours
/// `Idempotency-Key`. A manifested shipment can no longer be voided.
#[utoipa::path(post, path = "/v1/manifests", tag = "pickups", request_body = ManifestIn,
    params(IdempotencyKey),
    responses(
        (status = 201, body = ManifestOut, description = "closed (or, for a retried key, the first close's answer)"),
        Auth, Idempotent, BadBody, CarrierFailure,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "a shipment was manifested by another close or voided meanwhile, a request with this key is in progress, or (`carrier-outcome-unknown`, final for the key) it was sent to the carrier when the hub stopped: the detail says what to check; the key never closes again"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "no shipment to manifest for that date, a listed shipment is of another account, voided or manifested already, the carrier has no manifest or refused it, or the Idempotency-Key was used for another request"),
    ))]
async fn create_manifest(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<ManifestIn>,
) -> Response {
    req.run(
        app,
        tenant,
        |app, tenant, body: ManifestIn, owned| async move {
            let close = manifests::Close {
                carrier_account: body.carrier_account,
                ship_date: body.ship_date,
                shipments: body.shipments,
            };
            manifests::close(&app, &tenant, close, key(&owned), answer).await
        },
    )
    .await
}

/// One manifest.
#[utoipa::path(get, path = "/v1/manifests/{id}", tag = "pickups", params(("id" = String, Path)),
    responses((status = 200, body = ManifestOut), Auth, Missing))]
async fn get_manifest(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<ManifestOut>, Error> {
    let m = manifests::load(&app, &tenant, &id).await?;
    Ok(axum::Json(manifest_out(&m)))
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// `next_cursor` from the previous page.
    #[param(pattern = "^mnf_[0-9a-f]{32}$")]
    cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// Manifests, newest first.
#[utoipa::path(get, path = "/v1/manifests", tag = "pickups", params(ListParams),
    responses((status = 200, body = inline(List<ManifestOut>)), Auth, BadQuery))]
async fn list_manifests(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<List<ManifestOut>>, Error> {
    let limit = super::page_limit(p.limit, 20)?;
    let cursor = super::page_cursor(p.cursor.as_deref(), ManifestId::parse)?;
    let rows = manifests::list(&app, &tenant, cursor.as_ref(), limit + 1).await?;
    let (rows, next_cursor) = super::split_page(rows, limit, |m| m.id.to_string());
    Ok(axum::Json(List {
        data: rows.iter().map(manifest_out).collect(),
        next_cursor,
    }))
}

/// The manifest's document for the driver: the USPS SCAN form (PS Form 5630/3152) as USPS
/// returns it, the carrier's own close document, or the page the hub draws (PDF).
#[utoipa::path(get, path = "/v1/manifests/{id}/document", tag = "pickups", params(("id" = String, Path)),
    responses((status = 200, description = "the document, as an attachment", content(("application/pdf"), ("application/x-zpl"), ("image/png"))),
        Auth, Missing))]
async fn get_manifest_document(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let (format, bytes) = manifests::document(&app, &tenant, &id).await?;
    let mut res = bytes.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    let name = format!("attachment; filename=\"manifest-{id}.{}\"", format.as_str());
    if let Ok(v) = HeaderValue::from_str(&name) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
