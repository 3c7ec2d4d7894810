//! Carrier push intake: `POST /v1/carrier-events/{carrier}/{account}` takes a carrier's
//! tracking webhook (UPS Track Alert), authenticated per account, and hands its scans to
//! `tracking::push`, the same path as polled ones (dedup, status, events for subscribers).
//!
//! UPS authenticates Track Alert deliveries as an OAuth client of a token URL the receiver
//! provides: register `…/{account}/token` with UPS ("Manage Webhook Credentials") with the
//! account id as client id and the account's `push_secret` (in its credentials) as client
//! secret; UPS then sends that token as `Authorization: Bearer` on each delivery.
//!
//! A carrier that signs nothing (SF Express route push, as public receivers read it) is
//! registered with `…/{account}/k/{push_secret}`: the URL is the credential (HTTPS only).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::Path;
use super::problem::Problem;
use super::responses::*;
use crate::error::Error;
use crate::state::AppState;
use crate::tracking::push;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(intake))
        .routes(routes!(keyed_intake))
        .routes(routes!(token))
}

/// Receives a carrier's tracking push (UPS Track Alert: one event, or an array). 202 with
/// how many scans were taken; numbers nobody follows are counted and dropped. A carrier whose
/// push protocol prescribes its own answer gets that instead (200).
#[utoipa::path(post, path = "/v1/carrier-events/{carrier}/{account}", tag = "tracking",
    params(("carrier" = String, Path, description = "ups"), ("account" = String, Path)),
    request_body(content = Object, description = "The carrier's own webhook body"),
    security(()),
    responses((status = 202, body = PushOut, description = "accepted"),
        (status = 200, description = "accepted, answered in the carrier's own acknowledgement format"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "unreadable body"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "the carrier's signature or token does not verify"),
        Missing, (status = 413, body = Problem, content_type = "application/problem+json", description = "larger than the body limit")))]
async fn intake(
    State(app): State<AppState>,
    Path((carrier, account)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    let account = push::account(&app, &carrier, &account).await?;
    if !(account.intake.verify)(&headers, &body, &account.secret) {
        return Err(Error::Unauthorized(
            "the carrier's token or signature does not verify",
        ));
    }
    accept(&app, &account, &body).await
}

/// The same intake for a carrier that signs nothing (SF Express route push): the account's
/// `push_secret` is the URL's last segment, registered with the carrier as its push URL, and
/// the body is taken as the carrier sends it. A wrong or empty key is a 401.
#[utoipa::path(post, path = "/v1/carrier-events/{carrier}/{account}/k/{key}", tag = "tracking",
    params(("carrier" = String, Path, description = "sf_express"), ("account" = String, Path),
        ("key" = String, Path, description = "the account's push_secret")),
    request_body(content = Object, description = "The carrier's own webhook body"),
    security(()),
    responses((status = 202, body = PushOut, description = "accepted"),
        (status = 200, description = "accepted, answered in the carrier's own acknowledgement format"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "unreadable body"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "the key is not the account's push secret"),
        Missing, (status = 413, body = Problem, content_type = "application/problem+json", description = "larger than the body limit")))]
async fn keyed_intake(
    State(app): State<AppState>,
    Path((carrier, account, key)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    let account = push::account(&app, &carrier, &account).await?;
    if account.secret.is_empty() || !same(key.as_bytes(), account.secret.as_bytes()) {
        return Err(Error::Unauthorized(
            "the URL's key is not the account's push secret",
        ));
    }
    accept(&app, &account, &body).await
}

/// Equal bytes, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Takes a verified delivery's scans and answers as the carrier expects.
async fn accept(
    app: &AppState,
    account: &push::PushAccount,
    body: &[u8],
) -> Result<Response, Error> {
    let taken = account.take(app, body).await?;
    if let Some(ack) = account.intake.ack {
        // The carrier's own protocol decides what "received, do not resend" looks like.
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, ack.content_type)],
            ack.body,
        )
            .into_response());
    }
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(PushOut {
            accepted: taken.accepted,
            unknown_numbers: taken.unknown_numbers,
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
    let account = push::account(&app, &carrier, &account).await?;
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
    if !given.is_some_and(|g| account.client_matches(&g)) {
        return Err(Error::Unauthorized("client credentials refused"));
    }
    Ok(axum::Json(TokenOut {
        access_token: account.secret,
        token_type: "Bearer",
        expires_in: 86_400,
    })
    .into_response())
}
