//! `/v1/users` (admins: list, invite, change role, disable, reset links) and the two
//! one-time-token redemptions anyone holding a token may make: accepting an invitation and
//! resetting a password. The work is `crate::auth::users`'.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, JsonBody, Path, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::responses::*;
use crate::auth::users as domain;
use crate::error::Error;
use crate::ids::TenantId;
use crate::roles::Role;
use crate::state::AppState;
use crate::store::{TokenPurpose, UserRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invite_user, list_users))
        .routes(routes!(get_user, update_user))
        .routes(routes!(reset_link))
        .routes(routes!(accept_invitation))
        .routes(routes!(reset_password))
}

/// A role: `admin` (everything), `shipping` (rate, buy, void, reprint, trackers),
/// `warehouse` (print stations and jobs, reprint), `finance` (reconciliation, rate cards,
/// reports), `viewer` (read only). API keys take the same names as their scope.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Admin,
    Shipping,
    Warehouse,
    Finance,
    Viewer,
}

impl From<Role> for RoleName {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => RoleName::Admin,
            Role::Shipping => RoleName::Shipping,
            Role::Warehouse => RoleName::Warehouse,
            Role::Finance => RoleName::Finance,
            Role::Viewer => RoleName::Viewer,
        }
    }
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Self {
        match r {
            RoleName::Admin => Role::Admin,
            RoleName::Shipping => Role::Shipping,
            RoleName::Warehouse => Role::Warehouse,
            RoleName::Finance => Role::Finance,
            RoleName::Viewer => Role::Viewer,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    id: String,
    email: String,
    role: RoleName,
    /// `invited` (no password yet), `active` or `disabled`.
    status: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
    /// An invitation's one-time token: only in the answer that created it (a replay carries
    /// `null`). The invitee sends it with a password to `POST /v1/invitations/accept`.
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_token: Option<Option<String>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    invitation_expires_at: Option<OffsetDateTime>,
    /// Whether the invitation link was mailed to the user: only in the answer that created
    /// it, and only where the hub has SMTP configured (`serve --smtp-url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_mailed: Option<bool>,
}

fn user_out(u: &UserRecord) -> UserOut {
    UserOut {
        id: u.id.to_string(),
        email: u.email.clone(),
        role: u.role.into(),
        status: u.status.to_string(),
        created_at: u.created_at,
        updated_at: u.updated_at,
        invitation_token: None,
        invitation_expires_at: None,
        invitation_mailed: None,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteIn {
    #[schema(min_length = 3, max_length = 254, example = "ann@example.com")]
    email: String,
    role: RoleName,
}

/// Invites a user: they get the role once they accept with a password. The answer carries the
/// one-time invitation token (valid 7 days) to hand to them. Honours `Idempotency-Key`; a
/// replay carries `"invitation_token": null`. 409 when the e-mail has a user already.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = InviteIn,
    params(IdempotencyKey),
    responses((status = 201, body = UserOut), Auth, Idempotent, BadBody,
        (status = 409, description = "The tenant has a user with this e-mail", body = super::problem::Problem, content_type = "application/problem+json")))]
async fn invite_user(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<InviteIn>,
) -> Response {
    req.run(app, tenant, add_invitation).await
}

async fn add_invitation(
    app: AppState,
    tenant: TenantId,
    input: InviteIn,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let inv = domain::invitation(&app, &tenant, &input.email, input.role.into())?;
    let mut out = user_out(&inv.user);
    out.invitation_expires_at = Some(inv.expires_at);
    out.invitation_token = Some(None);
    let stored = Answer::json(StatusCode::CREATED, &out);
    domain::invite(&app, &inv, stored.completion(&owned).as_ref()).await?;
    out.invitation_token = Some(Some(inv.token.clone()));
    out.invitation_mailed = domain::mail_invitation(&app, &inv).await;
    Ok(Answer::json(StatusCode::CREATED, &out))
}

/// The tenant's users, oldest first.
#[utoipa::path(get, path = "/v1/users", tag = "users",
    responses((status = 200, body = inline(List<UserOut>)), Auth))]
async fn list_users(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<List<UserOut>>, Error> {
    let data = domain::list(&app, &tenant)
        .await?
        .iter()
        .map(user_out)
        .collect();
    Ok(axum::Json(List {
        data,
        next_cursor: None,
    }))
}

/// One user.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserOut), Auth, Missing))]
async fn get_user(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<UserOut>, Error> {
    Ok(axum::Json(user_out(
        &domain::get(&app, &tenant, &id).await?,
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    role: Option<RoleName>,
    /// `true` disables the user (their sessions end at once); `false` enables them again.
    #[serde(default)]
    disabled: Option<bool>,
}

/// Changes a user's role, or disables (enables) them. A role change applies to their open
/// sessions from their next request.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", request_body = UserPatch,
    params(("id" = String, Path)),
    responses((status = 200, body = UserOut), Auth, Missing, BadBody))]
async fn update_user(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    body: JsonBody<UserPatch>,
) -> Result<axum::Json<UserOut>, Error> {
    let id = domain::parse_id(&id)?;
    let p = body.value;
    let u = domain::update(&app, &tenant, &id, p.role.map(Into::into), p.disabled, None).await?;
    Ok(axum::Json(user_out(&u)))
}

/// A one-time password-reset token.
#[derive(Serialize, ToSchema)]
pub struct ResetLinkOut {
    user_id: String,
    /// Send it with a new password to `POST /v1/password-reset`; only in the answer that
    /// made it (a replay carries `null`). Earlier unused tokens of the user stop working.
    reset_token: Option<String>,
    /// Whether the link was mailed to the user: only in the answer that made it, and only
    /// where the hub has SMTP configured (`serve --smtp-url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    mailed: Option<bool>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    expires_at: OffsetDateTime,
}

/// Makes a one-time password-reset token for a user (valid 1 hour), for an admin to hand
/// over (no e-mail is sent). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/users/{id}/reset-link", tag = "users",
    params(("id" = String, Path), IdempotencyKey),
    responses((status = 201, body = ResetLinkOut), Auth, Missing, Idempotent))]
async fn reset_link(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path(id): Path<String>,
) -> Response {
    req.run(app, tenant, |app, tenant, _, owned| {
        add_reset_link(app, tenant, id, owned)
    })
    .await
}

async fn add_reset_link(
    app: AppState,
    tenant: TenantId,
    id: String,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let user = domain::get(&app, &tenant, &id).await?;
    let token = domain::new_reset_token();
    let expires_at = OffsetDateTime::now_utc()
        + time::Duration::try_from(app.auth.settings.reset_ttl).unwrap_or(time::Duration::HOUR);
    let mut out = ResetLinkOut {
        user_id: user.id.to_string(),
        reset_token: None,
        mailed: None,
        expires_at,
    };
    let stored = Answer::json(StatusCode::CREATED, &out);
    domain::reset_token(
        &app,
        &tenant,
        &user.id,
        &token,
        stored.completion(&owned).as_ref(),
    )
    .await?;
    out.reset_token = Some(token.0.clone());
    out.mailed = domain::mail_reset(&app, &user, &token.0).await;
    Ok(Answer::json(StatusCode::CREATED, &out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemIn {
    /// The one-time token (`inv_…` or `rst_…`).
    #[schema(min_length = 1, max_length = 200)]
    token: String,
    /// The new password: 10 to 256 characters.
    #[schema(min_length = 10, max_length = 256)]
    password: String,
}

/// Accepts an invitation: sets the invitee's password; they can log in from now on. The
/// token works once; unknown, used and expired tokens are one 404.
#[utoipa::path(post, path = "/v1/invitations/accept", tag = "users", request_body = RedeemIn,
    security(()),
    responses((status = 200, body = UserOut),
        (status = 404, description = "Unknown, used or expired token", body = super::problem::Problem, content_type = "application/problem+json"),
        Auth, BadBody))]
async fn accept_invitation(
    State(app): State<AppState>,
    body: JsonBody<RedeemIn>,
) -> Result<axum::Json<UserOut>, Error> {
    let b = body.value;
    let u = domain::redeem(&app, &b.token, TokenPurpose::Invitation, &b.password).await?;
    Ok(axum::Json(user_out(&u)))
}

/// Sets a new password with a one-time reset token (from `shiphub user reset-link` or an
/// admin); every session of the user ends. The token works once.
#[utoipa::path(post, path = "/v1/password-reset", tag = "users", request_body = RedeemIn,
    security(()),
    responses((status = 200, body = UserOut),
        (status = 404, description = "Unknown, used or expired token", body = super::problem::Problem, content_type = "application/problem+json"),
        Auth, BadBody))]
async fn reset_password(
    State(app): State<AppState>,
    body: JsonBody<RedeemIn>,
) -> Result<axum::Json<UserOut>, Error> {
    let b = body.value;
    let u = domain::redeem(&app, &b.token, TokenPurpose::Reset, &b.password).await?;
    Ok(axum::Json(user_out(&u)))
}
