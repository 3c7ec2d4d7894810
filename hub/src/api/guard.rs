//! The one place permissions are enforced. Every route of the API is in [`ROUTES`] with what
//! it needs; the guard (a route layer, so it sees the matched route) authenticates the caller
//! (an API key, or the session cookie), checks the CSRF token of a cookie-authenticated
//! change, checks the role, and hands the [`Principal`] to the handler (the `Tenant`
//! extractor reads it). A route missing from the table is refused at run time, and a test
//! walks the OpenAPI document so that a new route fails CI until it is listed here.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{self, Principal, Via};
use crate::error::Error;
use crate::roles::Permission;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "shiphub_session";
/// The header a cookie-authenticated change carries its session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Nobody needs to be logged in (login, redeeming a one-time token).
    Public,
    /// The route checks its own credential: a print station's token, a carrier's signature.
    OwnCredential,
    /// Any key or session of the tenant (who am I, logout).
    Authenticated,
    Needs(Permission),
}

use Access::{Authenticated, Needs, OwnCredential, Public};
use Permission as P;

/// Every route (method, axum route pattern) and what it needs.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("POST", "/v1/rates", Needs(P::Rate)),
    ("GET", "/v1/shipments", Needs(P::Read)),
    ("POST", "/v1/shipments", Needs(P::Buy)),
    ("GET", "/v1/shipments/{id}", Needs(P::Read)),
    ("POST", "/v1/shipments/{id}/void", Needs(P::Void)),
    ("GET", "/v1/shipments/{id}/label", Needs(P::Read)),
    ("GET", "/v1/shipments/{id}/tracking", Needs(P::Read)),
    ("GET", "/v1/shipments/{id}/documents/{kind}", Needs(P::Read)),
    ("POST", "/v1/addresses/verify", Needs(P::Rate)),
    ("GET", "/v1/pickups", Needs(P::Read)),
    ("POST", "/v1/pickups", Needs(P::Buy)),
    ("GET", "/v1/pickups/{id}", Needs(P::Read)),
    ("POST", "/v1/pickups/{id}/cancel", Needs(P::Void)),
    ("GET", "/v1/manifests", Needs(P::Read)),
    ("POST", "/v1/manifests", Needs(P::Buy)),
    ("GET", "/v1/manifests/{id}", Needs(P::Read)),
    ("GET", "/v1/manifests/{id}/document", Needs(P::Read)),
    ("POST", "/v1/batches", Needs(P::Buy)),
    ("GET", "/v1/batches/{id}", Needs(P::Read)),
    ("GET", "/v1/batches/{id}/labels", Needs(P::Read)),
    ("POST", "/v1/batches/{id}/print", Needs(P::Reprint)),
    ("GET", "/v1/trackers", Needs(P::Read)),
    ("POST", "/v1/trackers", Needs(P::Trackers)),
    ("GET", "/v1/trackers/{id}", Needs(P::Read)),
    (
        "POST",
        "/v1/carrier-events/{carrier}/{account}",
        OwnCredential,
    ),
    (
        "POST",
        "/v1/carrier-events/{carrier}/{account}/k/{key}",
        OwnCredential,
    ),
    (
        "POST",
        "/v1/carrier-events/{carrier}/{account}/token",
        OwnCredential,
    ),
    ("GET", "/v1/analytics/timeliness", Needs(P::Read)),
    ("GET", "/v1/analytics/transit", Needs(P::Read)),
    ("GET", "/v1/analytics/cost", Needs(P::Read)),
    ("GET", "/v1/shipments/{id}/quotes", Needs(P::Read)),
    // Routing rules choose among the tenant's carriers, as its carrier accounts do: admin.
    ("GET", "/v1/routing-rules", Needs(P::Read)),
    ("PUT", "/v1/routing-rules", Needs(P::CarrierAccounts)),
    ("GET", "/v1/carriers", Needs(P::Read)),
    ("GET", "/v1/carrier-accounts", Needs(P::Read)),
    ("POST", "/v1/carrier-accounts", Needs(P::CarrierAccounts)),
    ("GET", "/v1/carrier-accounts/{id}", Needs(P::Read)),
    (
        "POST",
        "/v1/carrier-accounts/{id}/test",
        Needs(P::CarrierAccounts),
    ),
    (
        "DELETE",
        "/v1/carrier-accounts/{id}",
        Needs(P::CarrierAccounts),
    ),
    ("GET", "/v1/print-stations", Needs(P::Read)),
    ("POST", "/v1/print-stations", Needs(P::PrintStations)),
    ("GET", "/v1/print-stations/{id}", Needs(P::Read)),
    (
        "POST",
        "/v1/print-stations/{id}/token",
        Needs(P::PrintStations),
    ),
    ("GET", "/v1/print-jobs", Needs(P::Read)),
    ("POST", "/v1/print-jobs", Needs(P::Reprint)),
    ("GET", "/v1/print-jobs/{id}", Needs(P::Read)),
    ("POST", "/v1/print-jobs/{id}/retry", Needs(P::Reprint)),
    ("GET", "/v1/print-stations/self/jobs", OwnCredential),
    ("POST", "/v1/print-stations/self/status", OwnCredential),
    ("POST", "/v1/print-jobs/{id}/ack", OwnCredential),
    ("GET", "/v1/webhooks", Needs(P::Read)),
    ("POST", "/v1/webhooks", Needs(P::Webhooks)),
    ("GET", "/v1/webhooks/{id}", Needs(P::Read)),
    ("DELETE", "/v1/webhooks/{id}", Needs(P::Webhooks)),
    ("PATCH", "/v1/webhooks/{id}", Needs(P::Webhooks)),
    (
        "POST",
        "/v1/webhooks/{id}/rotate-secret",
        Needs(P::Webhooks),
    ),
    ("POST", "/v1/webhooks/{id}/test", Needs(P::Webhooks)),
    ("GET", "/v1/webhooks/{id}/deliveries", Needs(P::Read)),
    (
        "GET",
        "/v1/webhooks/{id}/deliveries/{delivery_id}",
        Needs(P::Read),
    ),
    (
        "POST",
        "/v1/webhooks/{id}/deliveries/{delivery_id}/resend",
        Needs(P::Webhooks),
    ),
    ("POST", "/v1/webhooks/{id}/recover", Needs(P::Webhooks)),
    ("GET", "/v1/events", Needs(P::Read)),
    ("GET", "/v1/event-streams/subscription", Needs(P::Read)),
    // Which events leave for the operator's brokers: the webhooks' permission.
    ("PUT", "/v1/event-streams/subscription", Needs(P::Webhooks)),
    ("GET", "/v1/rate-cards/{name}", Needs(P::Read)),
    ("PUT", "/v1/rate-cards/{name}", Needs(P::Reconcile)),
    ("GET", "/v1/rate-cards", Needs(P::Read)),
    ("POST", "/v1/invoices", Needs(P::Reconcile)),
    ("POST", "/v1/invoices/pull", Needs(P::Reconcile)),
    ("GET", "/v1/reconciliations", Needs(P::Read)),
    ("GET", "/v1/reconciliations/{id}", Needs(P::Read)),
    ("GET", "/v1/reconciliations/{id}/{file}", Needs(P::Read)),
    ("GET", "/v1/audit-settings", Needs(P::Read)),
    ("PUT", "/v1/audit-settings", Needs(P::Reconcile)),
    ("PUT", "/v1/invoice-mappings/{name}", Needs(P::Reconcile)),
    // Who may do what (issue 20).
    ("POST", "/v1/session", Public),
    ("GET", "/v1/session", Authenticated),
    ("DELETE", "/v1/session", Authenticated),
    ("GET", "/v1/users", Needs(P::Users)),
    ("POST", "/v1/users", Needs(P::Users)),
    ("GET", "/v1/users/{id}", Needs(P::Users)),
    ("PATCH", "/v1/users/{id}", Needs(P::Users)),
    ("POST", "/v1/users/{id}/reset-link", Needs(P::Users)),
    ("POST", "/v1/invitations/accept", Public),
    ("POST", "/v1/password-reset", Public),
    ("GET", "/v1/api-keys", Needs(P::ApiKeys)),
    ("POST", "/v1/api-keys", Needs(P::ApiKeys)),
    ("GET", "/v1/api-keys/{id}", Needs(P::ApiKeys)),
    ("DELETE", "/v1/api-keys/{id}", Needs(P::ApiKeys)),
    ("POST", "/v1/api-keys/{id}/rotate", Needs(P::ApiKeys)),
];

static TABLE: LazyLock<HashMap<(&'static str, &'static str), Access>> =
    LazyLock::new(|| ROUTES.iter().map(|(m, r, a)| ((*m, *r), *a)).collect());

/// What `method route` needs; `None` for a route missing from the table.
pub fn access(method: &Method, route: &str) -> Option<Access> {
    // HEAD is answered by the GET route.
    let m = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    TABLE.get(&(m, route)).copied()
}

/// Whether the API has a handler for `method route`: every handler is published in the
/// OpenAPI document (the router and the document are made by the same `routes!`).
fn handled(method: &Method, route: &str) -> bool {
    static HANDLED: LazyLock<std::collections::HashSet<(String, String)>> = LazyLock::new(|| {
        published(&super::openapi())
            .into_iter()
            .map(|(m, p)| (m.to_string(), p))
            .collect()
    });
    let m = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    HANDLED.contains(&(m.to_string(), route.to_string()))
}

/// Every (method, path) of an OpenAPI document.
fn published(doc: &utoipa::openapi::OpenApi) -> Vec<(&'static str, String)> {
    let mut out = vec![];
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
            ("HEAD", item.head.is_some()),
            ("OPTIONS", item.options.is_some()),
            ("TRACE", item.trace.is_some()),
        ];
        for (m, present) in ops {
            if present {
                out.push((m, path.clone()));
            }
        }
    }
    out
}

/// The route layer: authenticate, check CSRF and the role, pass the principal on.
pub async fn guard(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    // `MatchedPath` is an `Arc<str>`: cloning it allocates nothing.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let Some(access) = route
        .as_ref()
        .and_then(|r| access(req.method(), r.as_str()))
    else {
        // A method the path has no handler for reaches no handler: axum answers its 405.
        if route.is_some_and(|r| !handled(req.method(), r.as_str())) {
            return next.run(req).await;
        }
        // Fail closed: a route nobody listed is nobody's.
        return Error::Forbidden(
            "this operation is not in the permission table (api::guard::ROUTES)".into(),
        )
        .into_response();
    };
    if matches!(access, Public | OwnCredential) {
        return next.run(req).await;
    }
    let principal = match authenticate(&app, req.headers()).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = check(&principal, access, req.method(), req.headers()) {
        return e.into_response();
    }
    if let Some(span) = req.extensions().get::<super::edge::RequestSpan>() {
        span.0
            .record("tenant", tracing::field::display(&principal.tenant));
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

/// The caller: a Bearer key when the request has an `Authorization` header (the cookie is
/// then ignored), else the session cookie.
pub async fn authenticate(app: &AppState, headers: &HeaderMap) -> Result<Principal, Error> {
    if headers.contains_key(header::AUTHORIZATION) {
        let token = super::extract::bearer(headers).ok_or(Error::Unauthorized(
            "the Authorization header must be `Bearer <api key>`",
        ))?;
        let key = auth::keys::principal(app, token)
            .await?
            .ok_or(Error::Unauthorized("unknown or revoked API key"))?;
        auth::keys::touch(app, &key);
        return Ok(Principal {
            tenant: key.tenant,
            role: key.role,
            via: Via::Key(key.key),
        });
    }
    let Some(session) = cookie(headers, SESSION_COOKIE) else {
        return Err(Error::Unauthorized(
            "send `Authorization: Bearer <api key>`",
        ));
    };
    auth::users::session(app, session)
        .await?
        .ok_or(Error::Unauthorized(
            "the session has ended (logged out, expired or idle): log in again",
        ))
}

/// CSRF (cookie-authenticated changes only) and the role.
fn check(p: &Principal, access: Access, method: &Method, headers: &HeaderMap) -> Result<(), Error> {
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if matches!(p.via, Via::Session { .. }) && !safe {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        // The session's own token, checked as its MAC (constant time).
        let ok = cookie(headers, SESSION_COOKIE)
            .zip(sent)
            .is_some_and(|(session, sent)| auth::secrets::csrf_matches(session, sent));
        if !ok {
            return Err(Error::Forbidden(
                "a change made with the session cookie needs the session's CSRF token in the \
                 `X-CSRF-Token` header (from the login answer or GET /v1/session)"
                    .into(),
            ));
        }
    }
    if let Needs(perm) = access
        && !p.role.grants(perm)
    {
        return Err(Error::Forbidden(format!(
            "this needs the `{perm}` permission, which the role `{}` does not grant",
            p.role
        )));
    }
    Ok(())
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation the API publishes is in the table, and the table lists nothing the API
    /// does not have: a new route cannot slip through unguarded (the guard would refuse it
    /// with a 403 anyway; this says so at test time).
    #[test]
    fn every_route_has_a_permission() {
        let published = published(&super::super::openapi());
        let missing: Vec<_> = published
            .iter()
            .filter(|(m, p)| access(&m.parse().unwrap(), p).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "routes without a permission: {missing:?}"
        );
        let stale: Vec<_> = ROUTES
            .iter()
            .filter(|(m, r, _)| !published.iter().any(|(pm, pr)| pm == m && pr == r))
            .collect();
        assert!(stale.is_empty(), "table rows for no route: {stale:?}");
        assert!(handled(&Method::POST, "/v1/shipments"));
        assert!(handled(&Method::HEAD, "/v1/shipments"));
        assert!(!handled(&Method::TRACE, "/v1/session"));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            "a=1; shiphub_session=ses_x ; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("ses_x"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
