//! Logging in and out with a plain HTML form (works without JavaScript): the same
//! `auth::users::login` as `POST /v1/session`, the same cookie.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::html;
use serde::Deserialize;

use super::{Operator, layout, see_other};
use crate::api::guard::{SESSION_COOKIE, cookie};
use crate::api::session::set_cookie;
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(form).post(submit))
        .route("/console/logout", post(logout))
}

#[derive(Deserialize, Default)]
pub struct Next {
    next: Option<String>,
}

/// Only a console path of this hub: never another host (`//evil`, `/\evil`, `https://…`).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/console")
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/console/logout") =>
        {
            n
        }
        _ => "/console",
    }
}

fn render(
    status: StatusCode,
    next: &str,
    tenant: &str,
    email: &str,
    error: Option<&str>,
) -> Response {
    let body = layout::bare(
        "Log in",
        html! {
            main id="main" class="narrow" {
                h1 { "Log in to shiphub" }
                @if let Some(e) = error { p class="form-error" role="alert" id="login-error" { (e) } }
                form class="stack card" method="post" action="/console/login" {
                    input type="hidden" name="next" value=(next);
                    label { "Organisation" span class="hint" { "The tenant's name, e.g. default" }
                        input name="tenant" value=(tenant) required autocomplete="organization" maxlength="100";
                    }
                    label { "E-mail"
                        input name="email" type="email" value=(email) required autocomplete="username" maxlength="254";
                    }
                    label { "Password"
                        input name="password" type="password" required autocomplete="current-password" maxlength="256";
                    }
                    button type="submit" { "Log in" }
                }
                p class="muted" { "No account yet? An admin invites you, or creates the first admin with "
                    code { "shiphub user create" } "." }
            }
        },
    );
    let mut res = (status, body).into_response();
    layout::secure_headers(res.headers_mut());
    res
}

async fn form(Query(q): Query<Next>) -> Response {
    render(StatusCode::OK, safe_next(q.next.as_deref()), "", "", None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    tenant: String,
    email: String,
    password: String,
    next: Option<String>,
}

async fn submit(State(app): State<AppState>, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(f.next.as_deref());
    match crate::auth::users::login(&app, &f.tenant, &f.email, &f.password).await {
        Ok(s) => {
            let max_age = app.auth.settings.session_ttl.as_secs() as i64;
            let mut res = see_other(next);
            res.headers_mut()
                .insert(header::SET_COOKIE, set_cookie(&app, &s.token, max_age));
            layout::secure_headers(res.headers_mut());
            res
        }
        Err(Error::LoginThrottled(secs)) => render(
            StatusCode::TOO_MANY_REQUESTS,
            next,
            &f.tenant,
            &f.email,
            Some(&format!("Too many failed attempts: try again in {secs} s.")),
        ),
        Err(Error::Unauthorized(_)) => render(
            StatusCode::UNAUTHORIZED,
            next,
            &f.tenant,
            &f.email,
            Some("Wrong organisation, e-mail or password."),
        ),
        Err(e) => super::PageError(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// Ends the session. The form carries the session's CSRF token, so another site cannot log
/// the user out (the cookie is `SameSite=Strict` as well).
async fn logout(
    State(app): State<AppState>,
    op: Operator,
    headers: axum::http::HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Response {
    let ok = cookie(&headers, SESSION_COOKIE)
        .is_some_and(|s| crate::auth::secrets::csrf_matches(s, &f.csrf));
    if !ok {
        return super::PageError(Error::Forbidden(
            "the form's CSRF token is not this session's".into(),
        ))
        .into_response();
    }
    if let Err(e) = crate::auth::users::logout(&app, &op.0).await {
        return super::PageError(e).into_response();
    }
    let mut res = see_other("/console/login");
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&app, "", 0));
    res
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_the_console() {
        assert_eq!(
            safe_next(Some("/console/shipments?q=1")),
            "/console/shipments?q=1"
        );
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/console\\..",
            "/v1/session",
        ] {
            assert_eq!(safe_next(Some(evil)), "/console", "{evil}");
        }
        assert_eq!(safe_next(None), "/console");
    }
}
