//! `/v1/api-keys` (admins): several keys per tenant, each named and scoped by a role; the
//! secret is in the answer that created or rotated it, once. The work is `crate::auth::keys`'.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, Path, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::responses::*;
use super::users::RoleName;
use crate::auth::keys as domain;
use crate::crypto::new_api_key;
use crate::error::Error;
use crate::ids::TenantId;
use crate::state::AppState;
use crate::store::ApiKeyRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_key, list_keys))
        .routes(routes!(get_key, revoke_key))
        .routes(routes!(rotate_key))
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyOut {
    id: String,
    name: String,
    /// The key's scope: what a user of this role may do.
    role: RoleName,
    /// The key's first 11 characters, to recognize it.
    prefix: String,
    /// The key itself: only in the answer that created or rotated it (a replay carries
    /// `null`). Stored hashed; it cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<Option<String>>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    /// To the minute: written at most once a minute per key.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    revoked_at: Option<OffsetDateTime>,
}

fn key_out(k: &ApiKeyRecord, key: Option<Option<String>>) -> ApiKeyOut {
    ApiKeyOut {
        id: k.id.to_string(),
        name: k.name.clone(),
        role: k.role.into(),
        prefix: k.prefix.clone(),
        key,
        created_at: k.created_at,
        last_used_at: k.last_used_at,
        revoked_at: k.revoked_at,
    }
}

/// The answer with the secret, and the one stored for replays without it.
fn answers(status: StatusCode, k: &ApiKeyRecord, secret: &str) -> (Answer, Answer) {
    (
        Answer::json(status, &key_out(k, Some(Some(secret.to_string())))),
        Answer::json(status, &key_out(k, Some(None))),
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    #[schema(min_length = 1, max_length = 100, example = "warehouse-scanner")]
    name: String,
    role: RoleName,
}

/// Creates an API key; the answer carries the key, once. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/api-keys", tag = "users", request_body = ApiKeyIn,
    params(IdempotencyKey),
    responses((status = 201, body = ApiKeyOut), Auth, Idempotent, BadBody))]
async fn create_key(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<ApiKeyIn>,
) -> Response {
    req.run(app, tenant, add_key).await
}

async fn add_key(
    app: AppState,
    tenant: TenantId,
    input: ApiKeyIn,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let name = domain::check_name(&input.name)?;
    let (record, secret, hash) = domain::issue(name, input.role.into());
    let (live, stored) = answers(StatusCode::CREATED, &record, &secret);
    domain::create(
        &app,
        &tenant,
        &record,
        &hash,
        stored.completion(&owned).as_ref(),
    )
    .await?;
    Ok(live)
}

/// The tenant's API keys, revoked ones included (never their secrets).
#[utoipa::path(get, path = "/v1/api-keys", tag = "users",
    responses((status = 200, body = inline(List<ApiKeyOut>)), Auth))]
async fn list_keys(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<List<ApiKeyOut>>, Error> {
    let data = domain::list(&app, &tenant)
        .await?
        .iter()
        .map(|k| key_out(k, None))
        .collect();
    Ok(axum::Json(List {
        data,
        next_cursor: None,
    }))
}

/// One API key (never its secret).
#[utoipa::path(get, path = "/v1/api-keys/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = ApiKeyOut), Auth, Missing))]
async fn get_key(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<ApiKeyOut>, Error> {
    Ok(axum::Json(key_out(
        &domain::get(&app, &tenant, &id).await?,
        None,
    )))
}

/// Revokes an API key: it stops working at once (other hub instances: within a minute).
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204, description = "revoked"), Auth, Missing))]
async fn revoke_key(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    domain::revoke(&app, &tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives an API key a new secret (same id, name and scope); the old secret stops working at
/// once. The answer carries the new key, once. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/api-keys/{id}/rotate", tag = "users",
    params(("id" = String, Path), IdempotencyKey),
    responses((status = 200, body = ApiKeyOut), Auth, Missing, Idempotent))]
async fn rotate_key(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path(id): Path<String>,
) -> Response {
    req.run(app, tenant, |app, tenant, _, owned| {
        replace_key(app, tenant, id, owned)
    })
    .await
}

async fn replace_key(
    app: AppState,
    tenant: TenantId,
    id: String,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let current = domain::get(&app, &tenant, &id).await?;
    if current.revoked_at.is_some() {
        return Err(Error::NotFound("API key"));
    }
    let (secret, hash, prefix) = new_api_key();
    let mut next = current.clone();
    next.prefix = prefix.clone();
    let (live, stored) = answers(StatusCode::OK, &next, &secret);
    domain::rotate(
        &app,
        &tenant,
        &current.id,
        &hash,
        &prefix,
        stored.completion(&owned).as_ref(),
    )
    .await?;
    Ok(live)
}
