//! The REST API under `/v1`, its OpenAPI document (`/openapi.json`, generated from the
//! handlers), a docs page (`/docs`), and the operational endpoints `/healthz`, `/readyz`,
//! `/metrics`.

pub mod addresses;
pub mod analytics;
pub mod api_keys;
pub mod batches;
pub mod carrier_events;
pub mod carriers;
pub mod commands;
pub mod edge;
pub mod event_streams;
pub mod events;
pub mod examples;
pub mod extract;
pub mod guard;
pub mod idempotency;
pub mod invoices;
pub mod label_options;
pub mod manifests;
pub mod pickups;
pub mod print;
pub mod problem;
pub mod rate_cards;
pub mod rates;
pub mod responses;
pub mod routing;
pub mod schema;
pub mod session;
pub mod shipments;
pub mod trackers;
pub mod users;
pub mod webhooks;

// The HTTP edge's settings, in one place for whoever starts the server (the CLI).
pub use edge::{Bucket, Edge};
pub use idempotency::Settings as IdempotencySettings;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::Error;
use crate::state::AppState;

/// Largest request body accepted; larger bodies get a 413 problem.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Routes that set their own body limit (`DefaultBodyLimit` on the route), as `(method,
/// route, limit)`: a 413 there names the limit that refused, not [`BODY_LIMIT`]. axum keeps
/// a route's limit to itself, so it is listed here beside the route's own constant.
const ROUTE_BODY_LIMITS: &[(&str, &str, usize)] =
    &[("POST", "/v1/batches", batches::BATCH_BODY_LIMIT)];

/// The body limit of `method route` (the matched route's pattern): its own where it sets
/// one, else [`BODY_LIMIT`].
pub fn body_limit(method: &str, route: Option<&str>) -> usize {
    ROUTE_BODY_LIMITS
        .iter()
        .find(|(m, r, _)| *m == method && Some(*r) == route)
        .map_or(BODY_LIMIT, |(_, _, limit)| *limit)
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct List<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The page size asked for (`?limit=`), 1 to 100; `default` when not given.
pub fn page_limit(limit: Option<u32>, default: u32) -> Result<u32, Error> {
    let limit = limit.unwrap_or(default);
    if !(1..=100).contains(&limit) {
        return Err(Error::field("/query/limit", "must be between 1 and 100"));
    }
    Ok(limit)
}

/// A `?cursor=` read back into the id type it came from.
pub fn page_cursor<T>(
    cursor: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, Error> {
    cursor
        .map(|c| {
            parse(c).ok_or_else(|| Error::field("/query/cursor", "not a cursor from this API"))
        })
        .transpose()
}

/// Rows fetched as `limit + 1`: the page, and the cursor after its last row when more follow.
pub fn split_page<R>(
    mut rows: Vec<R>,
    limit: u32,
    id: impl Fn(&R) -> String,
) -> (Vec<R>, Option<String>) {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(id) } else { None };
    (rows, next)
}

/// The docs page's introduction: what a newcomer needs before the first call.
const API_DESCRIPTION: &str = "Carrier integration and shipment tracking hub: rate-shop \
carriers, buy labels, track parcels, audit invoices.

## Authentication

Every `/v1` call sends an API key as a Bearer token: `Authorization: Bearer <api key>`. A key \
belongs to one tenant and sees only that tenant's data. To get one:

* `shiphub serve` on a fresh embedded (SQLite) database creates the `default` tenant with a \
sandbox carrier account and prints its API key once, as a JSON line on standard output;
* `shiphub tenant create NAME` (also on PostgreSQL) creates a tenant and prints its key.

Keys are stored hashed: a lost key cannot be shown again; an admin rotates it \
(`POST /v1/api-keys/{id}/rotate`) or makes another (`POST /v1/api-keys`).

Each key, and each user, has a role: `admin` (everything), `shipping` (rate, buy, void, \
reprint, trackers), `warehouse` (print stations and jobs, reprint), `finance` (reconciliation, \
rate cards), `viewer` (read only). An operation the role does not allow is a 403 naming the \
permission it needs. People log in with `POST /v1/session` and send the `shiphub_session` cookie \
instead of a key; a request made with the cookie that changes something also sends the \
session's `X-CSRF-Token`.

Print agents do not use an API key: each print station has its own **station token** \
(`POST /v1/print-stations` answers it once; `POST /v1/print-stations/{id}/token` rotates it), \
sent the same way (`Authorization: Bearer <station token>`) to the `/v1/print-stations/self/…` \
and `/v1/print-jobs/{id}/ack` operations only. Carrier push endpoints (`/v1/carrier-events/…`) \
authenticate the carrier by its own signature or token instead.

## Errors and retries

Every error is RFC 9457 `application/problem+json` with a stable `type`, and `errors[]` naming \
each invalid field by JSON pointer. Purchases, voids and other creating calls honour an \
`Idempotency-Key` header: a retry with the same key and body gets the first answer and never \
buys twice.";

#[derive(OpenApi)]
#[openapi(
    info(title = "shiphub", description = API_DESCRIPTION),
    modifiers(&BearerAuth),
    security(("api_key" = []), ("session" = [])),
    components(schemas(problem::Problem, crate::error::FieldProblem)),
    // Tag order is the docs page's order: the everyday calls first.
    tags(
        (name = "rates", description = "Rate-shop every carrier account at once"),
        (name = "shipments", description = "Buy, read, void labels; fetch labels and customs documents"),
        (name = "addresses", description = "Carriers' verdicts on addresses: standardized, classified, kept for a while"),
        (name = "pickups", description = "Courier pickups and end-of-day manifests"),
        (name = "tracking", description = "Follow parcels, carrier push events, delivery analytics"),
        (name = "carriers", description = "Carriers offered and the tenant's carrier accounts"),
        (name = "printing", description = "Print stations, print jobs, and the print agent's calls"),
        (name = "webhooks", description = "Signed event deliveries to your endpoints"),
        (name = "events", description = "The tenant's event log"),
        (name = "rate cards", description = "Contract rate cards the audit prices against"),
        (name = "reconciliation", description = "Carrier invoice audit"),
        (name = "users", description = "Who may do what: sessions, users, roles and API keys"),
        (name = "routing", description = "Smart routing: transit history, routing rules, cost and savings"),
    )
)]
struct ApiDoc;

struct BearerAuth;
impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        // People in a browser: the cookie `POST /v1/session` sets (changes also send the
        // session's `X-CSRF-Token`).
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                guard::SESSION_COOKIE,
                "The session cookie set by `POST /v1/session`; requests that change something \
                 also send the session's CSRF token in `X-CSRF-Token`.",
            ))),
        );
        // Print agents authenticate with their station's token, not an API key.
        components.add_security_scheme(
            "station_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI document the server serves (also written to `contracts/openapi.json`), with the
/// request rules [`schema::harden`] adds; bodies are validated against this very document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api_router().split_for_parts().1;
    schema::harden(&mut doc);
    examples::add(&mut doc);
    doc
}

fn api_router() -> OpenApiRouter<AppState> {
    // Merge order is the document's path order (utoipa `preserve_path_order`), tags' order.
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(rates::router())
        .merge(shipments::router())
        .merge(addresses::router())
        .merge(pickups::router())
        .merge(manifests::router())
        .merge(batches::router())
        .merge(trackers::router())
        .merge(carrier_events::router())
        .merge(analytics::router())
        .merge(carriers::router())
        .merge(print::router())
        .merge(webhooks::router())
        .merge(events::router())
        .merge(event_streams::router())
        .merge(rate_cards::router())
        .merge(invoices::router())
        .merge(session::router())
        .merge(users::router())
        .merge(api_keys::router())
        .merge(routing::router())
}

/// The process-wide Prometheus recorder (metrics' recorder is global; install it once).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .expect("static buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only when another recorder is installed already, e.g. by a test harness.
            let _ = metrics::set_global_recorder(recorder);
            crate::gauges::describe();
            let upkeep = handle.clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
            handle
        })
        .clone()
}

/// The API with the edge's defaults and no rate limits (in-process tests).
pub fn router(state: AppState) -> Router {
    router_with(state, Arc::new(edge::Edge::unlimited()))
}

/// The API behind the edge layers (outermost first): request id, panic catcher, trace span,
/// rate limits, deadline and body timeout, body limit, metrics.
pub fn router_with(state: AppState, edge: Arc<edge::Edge>) -> Router {
    let (api, mut doc) = api_router().split_for_parts();
    schema::harden(&mut doc);
    examples::add(&mut doc);
    let ready = edge.clone();
    let limits = edge::LimitState {
        app: state.clone(),
        edge: edge.clone(),
    };
    // The one place permissions are checked: every API route, none of the operational ones.
    let api = api.route_layer(middleware::from_fn_with_state(state.clone(), guard::guard));
    api.merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move |app: State<AppState>| readyz(app, ready.clone())),
        )
        .route("/metrics", get(metrics))
        // The operator console's pages (their own session check; actions go through the API).
        .merge(crate::console::router())
        .fallback(|| async { Error::NotFound("route") })
        .layer(middleware::from_fn(track_http))
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(edge, edge::deadline))
        .layer(middleware::from_fn_with_state(limits, edge::rate_limit))
        // The default span minus the query and a push key in the path (`edge::loggable_path`).
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            tracing::debug_span!("http", method = %req.method(),
                path = %edge::loggable_path(req.uri().path()), version = ?req.version())
        }))
        .layer(CatchPanicLayer::custom(|_| {
            Error::Internal("handler panicked".into()).into_response()
        }))
        .layer(middleware::from_fn(edge::request_id))
        .with_state(state)
}

/// 503 from the moment shutdown begins (so a load balancer stops sending), or when the store
/// does not answer.
async fn readyz(State(app): State<AppState>, edge: Arc<edge::Edge>) -> Response {
    if edge.is_draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    // A short, cached check: the balancer's probes must neither hang nor take the pool.
    match app.store.ready().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

async fn metrics(State(app): State<AppState>) -> Response {
    match &app.metrics {
        Some(h) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4",
            )],
            h.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics disabled").into_response(),
    }
}

/// Gives the answers axum makes itself a problem body: 405 (keeping its `Allow` header) and a
/// 413 from the body limit on routes that read the raw body.
async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let limit = body_limit(
        method.as_str(),
        req.extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return res;
    }
    let problem = match res.status() {
        StatusCode::METHOD_NOT_ALLOWED => problem::method_not_allowed(method.as_str()),
        StatusCode::PAYLOAD_TOO_LARGE => problem::too_large(limit as u64),
        _ => return res,
    };
    let (parts, _) = res.into_parts();
    let mut out = problem::problem_response(parts.status, &problem, None);
    // Keep what axum said besides the body (`Allow` on a 405).
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

async fn track_http(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("shiphub_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("shiphub_http_request_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}
