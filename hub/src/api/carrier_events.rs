//! Carrier push intake: `POST /v1/carrier-events/{carrier}/{account}` takes a carrier's
//! tracking webhook (UPS Track Alert), authenticated per account, and feeds its scans
//! through the same path as polled ones (dedup, status, events for subscribers).
//!
//! UPS authenticates Track Alert deliveries as an OAuth client of a token URL the receiver
//! provides: register `…/{account}/token` with UPS ("Manage Webhook Credentials") with the
//! account id as client id and the account's `push_secret` (in its credentials) as client
//! secret; UPS then sends that token as `Authorization: Bearer` on each delivery.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use shiphub_carriers::model::TrackingResult;
use shiphub_carriers::registry::PushIntake;
use time::OffsetDateTime;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::Path;
use super::problem::Problem;
use super::responses::*;
use crate::error::Error;
use crate::ids::{AccountId, TenantId};
use crate::state::{AppState, aad};
use crate::store::AccountRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(intake))
        .routes(routes!(token))
}

/// The account a push names, and its push secret.
async fn push_account(
    app: &AppState,
    carrier: &str,
    account: &str,
) -> Result<(TenantId, AccountRecord, String, PushIntake), Error> {
    // The carrier's registry entry says whether and how it pushes.
    let intake = app
        .carriers
        .entry(carrier)
        .and_then(|e| e.push)
        .ok_or(Error::NotFound("push intake for this carrier"))?;
    let id = AccountId::parse(account).ok_or(Error::NotFound("carrier account"))?;
    let (tenant, record) = app
        .store
        .account_by_id(&id)
        .await?
        .filter(|(_, r)| r.carrier == carrier)
        .ok_or(Error::NotFound("carrier account"))?;
    let plain = app
        .master_key
        .decrypt(
            &aad(&tenant, &record.id),
            &record.secret_nonce,
            &record.secret,
        )
        .map_err(|e| Error::Internal(e.to_string()))?;
    let creds: serde_json::Value =
        serde_json::from_slice(&plain).map_err(|e| Error::Internal(e.to_string()))?;
    let secret = creds["push_secret"]
        .as_str()
        .filter(|s| s.len() >= 16)
        .ok_or(Error::Unauthorized(
            "this account has no push_secret (16+ characters) in its credentials",
        ))?
        .to_string();
    Ok((tenant, record, secret, intake))
}

/// Receives a carrier's tracking push (UPS Track Alert: one event, or an array). 202 with
/// how many scans were taken; numbers nobody follows are counted and dropped.
#[utoipa::path(post, path = "/v1/carrier-events/{carrier}/{account}", tag = "tracking",
    params(("carrier" = String, Path, description = "ups"), ("account" = String, Path)),
    request_body(content = Object, description = "The carrier's own webhook body"),
    security(()),
    responses((status = 202, body = PushOut, description = "accepted"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "unreadable body"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "the carrier's signature or token does not verify"),
        Missing, (status = 413, body = Problem, content_type = "application/problem+json", description = "larger than the body limit")))]
async fn intake(
    State(app): State<AppState>,
    Path((carrier, account)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    let (tenant, _, secret, intake) = push_account(&app, &carrier, &account).await?;
    if !(intake.verify)(&headers, &secret) {
        return Err(Error::Unauthorized("bad or missing bearer token"));
    }
    let pushed = (intake.parse)(&body).map_err(|e| Error::Malformed(e.to_string()))?;
    let (mut taken, mut unknown) = (0u64, 0u64);
    for p in pushed {
        let Some(t) = app
            .store
            .find_tracker(&tenant, &carrier, p.tracking_number.as_str())
            .await?
        else {
            unknown += 1;
            continue;
        };
        let result = TrackingResult {
            tracking_number: p.tracking_number.clone(),
            status: p.event.status,
            carrier_code: p.event.carrier_code.clone(),
            events: vec![p.event],
            estimated_delivery: p.estimated_delivery,
            signed_by: p.signed_by,
            warnings: Vec::new(),
            other_shipments: Vec::new(),
        };
        let policy = app.tracking;
        app.store
            .record_tracking(&tenant, &t.id, None, &result.events, |old, fresh| {
                crate::tracking::decide(
                    &policy,
                    OffsetDateTime::now_utc(),
                    old,
                    fresh,
                    Some(&result),
                )
            })
            .await?;
        taken += 1;
    }
    metrics::counter!("shiphub_tracking_pushed_events_total", "carrier" => carrier)
        .increment(taken);
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(PushOut {
            accepted: taken,
            unknown_numbers: unknown,
        }),
    )
        .into_response())
}

/// What a push delivered.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PushOut {
    /// Events recorded on a tracker.
    accepted: u64,
    /// Events for numbers no tracker follows (ignored).
    unknown_numbers: u64,
}

/// An OAuth client-credentials answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds.
    expires_in: u64,
}

/// The OAuth token URL for the carrier's webhook client (client credentials, HTTP Basic:
/// the account id and its `push_secret`).
#[utoipa::path(post, path = "/v1/carrier-events/{carrier}/{account}/token", tag = "tracking",
    params(("carrier" = String, Path), ("account" = String, Path)), security(()),
    responses((status = 200, body = TokenOut, description = "an access token"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "the carrier's client credentials do not verify"),
        Missing))]
async fn token(
    State(app): State<AppState>,
    Path((carrier, account)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (_, record, secret, _) = push_account(&app, &carrier, &account).await?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let expected = format!("{}:{}", record.id, secret);
    let ok = given.is_some_and(|g| {
        use sha2::{Digest, Sha256};
        // Digests compared, so the comparison takes the same time wherever they differ.
        Sha256::digest(g.as_bytes()) == Sha256::digest(expected.as_bytes())
    });
    if !ok {
        return Err(Error::Unauthorized("client credentials refused"));
    }
    Ok(axum::Json(TokenOut {
        access_token: secret,
        token_type: "Bearer",
        expires_in: 86_400,
    })
    .into_response())
}
