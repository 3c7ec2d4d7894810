//! The operator console (issue 20): web pages for the shipping desk, the warehouse, operations
//! and finance, served by the hub itself under `/console`. Pages are rendered on the server
//! (maud) from the same domain modules and store the API uses; what a page changes it changes
//! through the `/v1` API from the browser (`assets/app.js`), so every permission check,
//! `Idempotency-Key` and problem document is the API's own. No asset comes from a CDN: the
//! stylesheet and scripts are compiled into the binary.
//!
//! A page needs a logged-in session (the `shiphub_session` cookie `POST /v1/session` or the
//! login form sets); API keys are for programs and do not open the console. A page shows only
//! the actions the user's role grants; the API refuses the rest anyway.

pub mod analytics;
pub mod assets;
pub mod carriers;
pub mod charts;
pub mod exceptions;
pub mod fmt;
pub mod layout;
pub mod login;
pub mod overview;
pub mod print;
pub mod reconcile;
pub mod shipments;
pub mod team;
pub mod webhooks;

use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::api::guard::{SESSION_COOKIE, cookie};
use crate::auth::{Principal, Via};
use crate::error::Error;
use crate::roles::Permission;
use crate::state::AppState;

/// Every console route. Each page module owns its routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .merge(login::router())
        .merge(assets::router())
        .merge(overview::router())
        .merge(shipments::router())
        .merge(exceptions::router())
        .merge(print::router())
        .merge(webhooks::router())
        .merge(carriers::router())
        .merge(reconcile::router())
        .merge(analytics::router())
        .merge(team::router())
}

/// The person using a page: a live session's principal. Without one, the page answers a
/// redirect to the login form (which comes back to the page after logging in).
#[derive(Clone, Debug)]
pub struct Operator(pub Principal);

impl Operator {
    pub fn can(&self, p: Permission) -> bool {
        self.0.role.grants(p)
    }

    /// A 403 page unless the role grants `p` (for pages that only change things).
    pub fn require(&self, p: Permission) -> Result<(), PageError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(PageError(Error::Forbidden(format!(
                "this page needs the `{p}` permission, which the role `{}` does not grant",
                self.0.role
            ))))
        }
    }

    pub fn email(&self) -> &str {
        match &self.0.via {
            Via::Session { email, .. } => email,
            Via::Key(_) => "",
        }
    }

    /// The session's CSRF token, which the page's scripts send as `X-CSRF-Token`.
    pub fn csrf(&self) -> &str {
        match &self.0.via {
            Via::Session { csrf, .. } => csrf,
            Via::Key(_) => "",
        }
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let here = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |u| u.0.clone());
        let login = || {
            let next = here.path_and_query().map_or("/console", |p| p.as_str());
            Redirect::to(&format!("/console/login?next={}", fmt::url_encode(next))).into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(login());
        };
        match crate::auth::users::session(app, token).await {
            Ok(Some(p)) => Ok(Operator(p)),
            Ok(None) => Err(login()),
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// An error shown as a page (not problem+json): the status, the API's title and detail.
#[derive(Debug)]
pub struct PageError(pub Error);

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError(e)
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        PageError(Error::Store(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, problem, _) = self.0.problem();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "console page failed");
        }
        let body = layout::bare(
            &problem.title,
            maud::html! {
                main id="main" class="narrow" {
                    h1 { (problem.title) }
                    @if let Some(d) = &problem.detail { p { (d) } }
                    @for e in &problem.errors { p { code { (e.pointer) } " " (e.detail) } }
                    p { a href="/console" { "Back to the overview" } }
                }
            },
        );
        let mut res = (status, body).into_response();
        layout::secure_headers(res.headers_mut());
        res
    }
}

/// What every page handler returns.
pub type Page = Result<Response, PageError>;

/// A 404 page for a record that is not the tenant's (or does not exist).
pub fn not_found(what: &'static str) -> PageError {
    PageError(Error::NotFound(what))
}

/// `Location` for a redirect after a form post.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}
