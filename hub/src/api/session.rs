//! `/v1/session`: log in (the session id goes in a `Secure`, `HttpOnly`, `SameSite=Strict`
//! cookie; the answer carries the CSRF token cookie-authenticated changes must send in
//! `X-CSRF-Token`), who am I, log out. The work is `crate::auth::users`'.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, JsonBody};
use super::guard::SESSION_COOKIE;
use super::responses::*;
use super::users::RoleName;
use crate::auth::{self, Principal, Via};
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login, whoami, logout))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    /// The tenant's name (as `shiphub tenant create` named it).
    #[schema(min_length = 1, max_length = 100)]
    tenant: String,
    #[schema(min_length = 3, max_length = 254)]
    email: String,
    #[schema(min_length = 1, max_length = 256)]
    password: String,
}

/// Who is calling.
#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    tenant_id: String,
    role: RoleName,
    /// What the role grants (`read`, `rate`, `buy`, …): what the console may offer.
    permissions: Vec<String>,
    /// `session` (the cookie) or `api_key`.
    via: String,
    /// Sessions: the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// Sessions: send it as `X-CSRF-Token` on every request that changes something.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    expires_at: Option<OffsetDateTime>,
    /// API keys: the key's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key_id: Option<String>,
}

fn session_out(p: &Principal) -> SessionOut {
    let mut out = SessionOut {
        tenant_id: p.tenant.to_string(),
        role: p.role.into(),
        permissions: p.role.permissions().iter().map(|x| x.to_string()).collect(),
        via: "api_key".into(),
        user_id: None,
        email: None,
        csrf_token: None,
        expires_at: None,
        api_key_id: None,
    };
    match &p.via {
        Via::Key(id) => out.api_key_id = Some(id.to_string()),
        Via::Session {
            user,
            email,
            csrf,
            expires_at,
            ..
        } => {
            out.via = "session".into();
            out.user_id = Some(user.to_string());
            out.email = Some(email.clone());
            out.csrf_token = Some(csrf.clone());
            out.expires_at = Some(*expires_at);
        }
    }
    out
}

/// The `Set-Cookie` value: `Secure` unless the hub was told it serves plain HTTP on loopback.
pub(crate) fn set_cookie(app: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if app.auth.settings.insecure_cookie {
        ""
    } else {
        "; Secure"
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("cookie is ASCII")
}

/// Logs in with e-mail and password. Sets the session cookie and answers the CSRF token.
/// Every failure is the same 401, whether the tenant or the e-mail exists or not; repeated
/// failures for one e-mail are slowed (429 with `Retry-After`).
#[utoipa::path(post, path = "/v1/session", tag = "users", request_body = LoginIn, security(()),
    responses((status = 200, body = SessionOut, headers(("Set-Cookie" = String,
        description = "`shiphub_session=…; Path=/; HttpOnly; SameSite=Strict; Secure`"))),
        (status = 401, description = "Wrong tenant, e-mail or password", body = super::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins for this e-mail", body = super::problem::Problem, content_type = "application/problem+json"),
        BadBody))]
async fn login(State(app): State<AppState>, body: JsonBody<LoginIn>) -> Result<Response, Error> {
    let input = body.value;
    let s = auth::users::login(&app, &input.tenant, &input.email, &input.password).await?;
    let principal = Principal {
        tenant: s.user.tenant.clone(),
        role: s.user.role,
        via: Via::Session {
            user: s.user.id.clone(),
            email: s.user.email.clone(),
            session_hash: String::new(),
            csrf: s.csrf.clone(),
            expires_at: s.expires_at,
        },
    };
    let max_age = app.auth.settings.session_ttl.as_secs() as i64;
    let mut res = axum::Json(session_out(&principal)).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&app, &s.token, max_age));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Who am I: the tenant, role and permissions of the key or session; for a session, the user
/// and the CSRF token.
#[utoipa::path(get, path = "/v1/session", tag = "users",
    responses((status = 200, body = SessionOut), Auth))]
async fn whoami(Caller(p): Caller) -> Response {
    let mut res = axum::Json(session_out(&p)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Logs out: the session ends at once and the cookie is cleared. With an API key, nothing to
/// end (204 all the same).
#[utoipa::path(delete, path = "/v1/session", tag = "users",
    responses((status = 204, description = "logged out"), Auth))]
async fn logout(State(app): State<AppState>, Caller(p): Caller) -> Result<Response, Error> {
    auth::users::logout(&app, &p).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if matches!(p.via, Via::Session { .. }) {
        res.headers_mut()
            .insert(header::SET_COOKIE, set_cookie(&app, "", 0));
    }
    Ok(res)
}
