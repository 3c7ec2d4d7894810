//! What every request passes through before its handler: a `Request-Id` (the client's, when it
//! is a sane token, or a new one) on the answer and on every log line of the request; a
//! per-request deadline with a between-chunks body timeout; per-key and per-tenant token
//! buckets with the IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11); and
//! the draining flag `/readyz` answers from.

use std::collections::HashMap;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use http_body::{Body as HttpBody, Frame};
use tokio::sync::oneshot;
use tower_http::timeout::TimeoutBody;
use tracing::Instrument;

use super::problem::{Problem, problem_response};
use crate::crypto::hash_api_key;
use crate::state::AppState;
use crate::store::KeyLimit;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// The print agents' long poll: its deadline is the request deadline plus the `wait` it asked for.
const LONG_POLL: &str = "/v1/print-stations/self/jobs";

/// A token bucket: `rate` requests a second on average, `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub rate: u32,
    pub burst: u32,
}

/// The edge's settings and shared state (one per server).
#[derive(Debug)]
pub struct Edge {
    /// Set on SIGTERM: `/readyz` answers 503 from then on.
    pub draining: AtomicBool,
    /// Time a handler has to answer, counted from the end of the request body.
    pub request_timeout: Duration,
    /// Longest pause between two chunks of a request body.
    pub body_timeout: Duration,
    /// Per API key; `None` = unlimited.
    pub per_key: Option<Bucket>,
    /// Per tenant, all its keys together; `None` = unlimited.
    pub per_tenant: Option<Bucket>,
    /// Whether requests are rate limited at all (off for the in-process API tests).
    limits: bool,
    limiters: Mutex<HashMap<String, (Bucket, Arc<Limiter>)>>,
    /// Each key's own limit as last read from the store, and when.
    overrides: Mutex<HashMap<String, (KeyLimit, Instant)>>,
}

/// How long a key's own limit is trusted before it is read again (a change made with
/// `shiphub key limit` takes effect within this).
const OVERRIDE_TTL: Duration = Duration::from_secs(30);

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

impl Edge {
    pub fn new(
        request_timeout: Duration,
        body_timeout: Duration,
        per_key: Option<Bucket>,
        per_tenant: Option<Bucket>,
    ) -> Self {
        Edge {
            draining: AtomicBool::new(false),
            request_timeout,
            body_timeout,
            per_key,
            per_tenant,
            limits: true,
            limiters: Mutex::new(HashMap::new()),
            overrides: Mutex::new(HashMap::new()),
        }
    }

    /// The defaults without rate limits (the in-process API tests).
    pub fn unlimited() -> Self {
        Edge {
            limits: false,
            ..Edge::new(Duration::from_secs(60), Duration::from_secs(30), None, None)
        }
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// The bucket of `id` (`key:<hash>` or `tenant:<id>`), made on first use and made anew
    /// when its limit changed. Keys and tenants are rows of the store, so the map stays as
    /// small as they are.
    fn limiter(&self, id: String, b: Bucket) -> Arc<Limiter> {
        let mut map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(id).or_insert_with(|| (b, new_limiter(b)));
        if entry.0 != b {
            *entry = (b, new_limiter(b));
        }
        entry.1.clone()
    }

    /// The bucket of one API key: its own limit from the store (read again after
    /// `OVERRIDE_TTL`) over the server's default; `None` = unlimited.
    async fn key_bucket(&self, hash: &str, store: &crate::store::Store) -> Option<Bucket> {
        let cached = {
            let map = self.overrides.lock().unwrap_or_else(|p| p.into_inner());
            map.get(hash)
                .filter(|(_, at)| at.elapsed() < OVERRIDE_TTL)
                .map(|(l, _)| *l)
        };
        let own = match cached {
            Some(l) => l,
            None => {
                // A store error keeps the server's default rather than failing the request.
                let l = match store.key_limit(hash).await {
                    Ok(l) => l.unwrap_or_default(),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read an API key's own limit");
                        KeyLimit::default()
                    }
                };
                let mut map = self.overrides.lock().unwrap_or_else(|p| p.into_inner());
                map.insert(hash.to_string(), (l, Instant::now()));
                l
            }
        };
        let rate = own.rate.or(self.per_key.map(|b| b.rate))?;
        let burst = own.burst.or(self.per_key.map(|b| b.burst)).unwrap_or(rate);
        (rate > 0).then_some(Bucket {
            rate,
            burst: burst.max(1),
        })
    }
}

fn new_limiter(b: Bucket) -> Arc<Limiter> {
    let quota = Quota::per_second(nonzero(b.rate)).allow_burst(nonzero(b.burst));
    Arc::new(RateLimiter::direct(quota).with_middleware::<StateInformationMiddleware>())
}

fn nonzero(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n.max(1)).expect("at least 1")
}

/// The request's span, for extractors that learn what it should name (the tenant) after the
/// span has begun; `Span::current()` there may be a finer span.
#[derive(Clone)]
pub struct RequestSpan(pub tracing::Span);

/// Outermost layer: the request's id, its tracing span, and the id on the answer. The span is
/// the root of the request's trace (OTLP export): it carries the route, the answer's status,
/// the tenant (set by the guard, `api::guard`) and the Idempotency-Key (a client's retry token,
/// not a secret).
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let value = HeaderValue::from_str(&id).expect("a valid id is a valid header value");
    req.headers_mut().insert(REQUEST_ID, value.clone());
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string());
    // What the extractor accepts (1 to 255 visible ASCII); anything else is not traced.
    let idempotency_key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string);
    // The trace's name for it (OpenTelemetry's `{method} {route}`).
    let span_name = format!(
        "{} {}",
        req.method(),
        route.as_deref().unwrap_or("unmatched")
    );
    // ERROR level so the span is on whenever any logging is: a `warn` line of the request
    // still names it.
    let span = tracing::error_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %loggable_path(req.uri().path()),
        otel.name = %span_name,
        otel.kind = "server",
        http.request.method = %req.method(),
        http.route = route.as_deref().unwrap_or("unmatched"),
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
        tenant = tracing::field::Empty,
        idempotency_key = idempotency_key.as_deref(),
    );
    req.extensions_mut().insert(RequestSpan(span.clone()));
    let mut res = next.run(req).instrument(span.clone()).await;
    span.record("http.response.status_code", res.status().as_u16());
    if res.status().is_server_error() {
        span.record("otel.status_code", "error");
    }
    res.headers_mut().insert(REQUEST_ID, value);
    res
}

/// The path as logs show it: the key of a keyed carrier-events URL
/// (`/v1/carrier-events/{carrier}/{account}/k/{push_secret}`) is a credential and is masked.
pub(crate) fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.find("/k/") {
        Some(i) if path.starts_with("/v1/carrier-events/") => {
            std::borrow::Cow::Owned(format!("{}/k/***", &path[..i]))
        }
        _ => std::borrow::Cow::Borrowed(path),
    }
}

/// A client's id is echoed when it is 1 to 128 characters of `A-Z a-z 0-9 - _ . : /`; anything
/// else (which could forge log lines or carry secrets) is replaced by a fresh one.
fn valid_request_id(v: &str) -> bool {
    (1..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
}

/// The per-request deadline. It starts once the request body has been read (a multi-GiB
/// invoice upload is bounded by the body timeout between chunks instead), and the long poll
/// gets its `wait` on top. A purchase past the deadline is not cut short: buying work runs
/// detached (see `idempotency::detached`), finishes, and settles its key for the retry.
pub async fn deadline(State(edge): State<Arc<Edge>>, req: Request, next: Next) -> Response {
    let mut limit = edge.request_timeout;
    // HTTP/2 has no `Connection` header (its GOAWAY comes with the close that follows the drain).
    let http1 = req.version() <= axum::http::Version::HTTP_11;
    if req.method() == Method::GET && req.uri().path() == LONG_POLL {
        limit += long_poll_wait(req.uri().query().unwrap_or_default());
    }
    let (ended, body_done) = oneshot::channel::<()>();
    let req = req.map(|body| {
        let ended = (!body.is_end_stream()).then_some(ended);
        Body::new(BodyEnd {
            inner: Box::pin(TimeoutBody::new(edge.body_timeout, body)),
            ended,
        })
    });
    let timer = async {
        // Err: the body ended before it was wrapped, or was dropped unread.
        let _ = body_done.await;
        tokio::time::sleep(limit).await;
    };
    let run = pin!(next.run(req));
    let mut res = tokio::select! {
        res = run => res,
        _ = timer => {
            metrics::counter!("shiphub_http_deadline_exceeded_total").increment(1);
            tracing::warn!(?limit, "request deadline exceeded");
            let retry = Duration::from_secs(2);
            let problem = Problem {
                type_: "https://shiphub.dev/problems/request-deadline".into(),
                title: "The request took too long".into(),
                status: 503,
                detail: Some(format!(
                    "no answer within {} s; work that buys or changes something still completes: \
                     retry with the same Idempotency-Key to get its answer",
                    limit.as_secs()
                )),
                errors: vec![],
                retryable: Some(true),
                retry_after: Some(retry.as_secs()),
                carrier: None,
            };
            problem_response(StatusCode::SERVICE_UNAVAILABLE, &problem, Some(retry))
        }
    };
    // Draining: every answer tells a keep-alive client to go, so that pooled connections move
    // to another instance before this one closes them (rather than racing its close).
    if http1 && edge.is_draining() {
        res.headers_mut().insert(
            axum::http::header::CONNECTION,
            HeaderValue::from_static("close"),
        );
    }
    res
}

/// The `wait` of a long poll, capped like the handler caps it (a bad value is the handler's
/// 422 to give, not ours).
fn long_poll_wait(query: &str) -> Duration {
    let secs = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "wait")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .unwrap_or(0)
        .min(60);
    Duration::from_secs(secs)
}

/// A request body that says when it has been read to the end.
struct BodyEnd {
    inner: Pin<Box<TimeoutBody<Body>>>,
    ended: Option<oneshot::Sender<()>>,
}

impl HttpBody for BodyEnd {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = self.inner.as_mut().poll_frame(cx);
        if let Poll::Ready(None) = polled
            && let Some(tx) = self.ended.take()
        {
            let _ = tx.send(());
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// State of the rate-limit layer: the store (to find a key's tenant) and the buckets.
#[derive(Clone)]
pub struct LimitState {
    pub app: AppState,
    pub edge: Arc<Edge>,
}

/// One bucket's verdict, for the RateLimit fields.
struct Verdict {
    policy: &'static str,
    bucket: Bucket,
    remaining: u32,
    /// Seconds until the bucket is full again (allowed) or holds a token (refused).
    reset: u64,
    refused: bool,
}

impl Verdict {
    fn check(name: &'static str, limiter: &Limiter, bucket: Bucket) -> Verdict {
        match limiter.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let missing = u64::from(bucket.burst.saturating_sub(remaining));
                Verdict {
                    policy: name,
                    bucket,
                    remaining,
                    reset: missing.div_ceil(u64::from(bucket.rate.max(1))),
                    refused: false,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.clock().now());
                Verdict {
                    policy: name,
                    bucket,
                    remaining: 0,
                    reset: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                    refused: true,
                }
            }
        }
    }
}

/// Per-key and per-tenant token buckets for requests with an API key. Requests without one
/// (probes, print agents with station tokens) and unknown keys pass on to their own 401.
pub async fn rate_limit(State(s): State<LimitState>, req: Request, next: Next) -> Response {
    if !s.edge.limits {
        return next.run(req).await;
    }
    let Some(token) = super::extract::bearer(req.headers()) else {
        return next.run(req).await;
    };
    let hash = hash_api_key(token);
    let tenant = match crate::auth::keys::principal(&s.app, token).await {
        Ok(Some(key)) => key.tenant,
        // Unknown key or store trouble: the guard answers it.
        _ => return next.run(req).await,
    };
    let mut verdicts = vec![];
    if let Some(b) = s.edge.key_bucket(&hash, &s.app.store).await {
        let limiter = s.edge.limiter(format!("key:{hash}"), b);
        verdicts.push(Verdict::check("key", &limiter, b));
    }
    if let Some(b) = s.edge.per_tenant
        && !verdicts.iter().any(|v| v.refused)
    {
        let limiter = s.edge.limiter(format!("tenant:{tenant}"), b);
        verdicts.push(Verdict::check("tenant", &limiter, b));
    }
    let mut res = match verdicts.iter().find(|v| v.refused) {
        Some(v) => {
            metrics::counter!("shiphub_http_rate_limited_total", "policy" => v.policy).increment(1);
            let retry = Duration::from_secs(v.reset.max(1));
            let problem = Problem {
                type_: "https://shiphub.dev/problems/rate-limited".into(),
                title: "Too many requests".into(),
                status: 429,
                detail: Some(format!(
                    "the {} limit is {} requests a second (bursts of {}); retry in {} s",
                    v.policy,
                    v.bucket.rate,
                    v.bucket.burst,
                    retry.as_secs()
                )),
                errors: vec![],
                retryable: Some(true),
                retry_after: Some(retry.as_secs()),
                carrier: None,
            };
            problem_response(StatusCode::TOO_MANY_REQUESTS, &problem, Some(retry))
        }
        None => next.run(req).await,
    };
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&policy_field(&verdicts)) {
        headers.insert(RATELIMIT_POLICY, v);
    }
    if let Ok(v) = HeaderValue::from_str(&ratelimit_field(&verdicts)) {
        headers.insert(RATELIMIT, v);
    }
    res
}

/// `RateLimit-Policy: "key";q=200;w=2, "tenant";q=400;w=2` — a bucket of `burst` refilling at
/// `rate`/s is a quota of `burst` requests per `burst / rate` seconds.
fn policy_field(verdicts: &[Verdict]) -> String {
    verdicts
        .iter()
        .map(|v| {
            let w = u64::from(v.bucket.burst).div_ceil(u64::from(v.bucket.rate.max(1)));
            format!("\"{}\";q={};w={}", v.policy, v.bucket.burst, w.max(1))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `RateLimit: "key";r=57;t=1, "tenant";r=120;t=1`.
fn ratelimit_field(verdicts: &[Verdict]) -> String {
    verdicts
        .iter()
        .map(|v| format!("\"{}\";r={};t={}", v.policy, v.remaining, v.reset))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_key_in_the_path_is_not_logged() {
        assert_eq!(
            loggable_path("/v1/carrier-events/sf_express/car_1/k/s3cret"),
            "/v1/carrier-events/sf_express/car_1/k/***"
        );
        assert_eq!(loggable_path("/v1/trackers/k/x"), "/v1/trackers/k/x");
    }

    #[test]
    fn request_ids_echo_only_sane_tokens() {
        assert!(valid_request_id("abc-123_x.y:z/1"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("a b"));
        assert!(!valid_request_id("x\ny"));
        assert!(!valid_request_id(&"a".repeat(129)));
    }

    #[test]
    fn long_poll_wait_reads_the_query() {
        assert_eq!(long_poll_wait("wait=25"), Duration::from_secs(25));
        assert_eq!(long_poll_wait("limit=1&wait=5"), Duration::from_secs(5));
        assert_eq!(long_poll_wait("wait=9999"), Duration::from_secs(60));
        assert_eq!(long_poll_wait("wait=x"), Duration::ZERO);
    }

    #[test]
    fn ratelimit_fields_follow_the_draft_syntax() {
        let b = Bucket {
            rate: 10,
            burst: 20,
        };
        let limiter = Edge::unlimited().limiter("key:x".into(), b);
        let v = Verdict::check("key", &limiter, b);
        assert!(!v.refused);
        assert_eq!(v.remaining, 19);
        assert_eq!(policy_field(&[v]), "\"key\";q=20;w=2");
        for _ in 0..19 {
            assert!(!Verdict::check("key", &limiter, b).refused);
        }
        let refused = Verdict::check("key", &limiter, b);
        assert!(refused.refused);
        assert_eq!(ratelimit_field(&[refused]), "\"key\";r=0;t=1");
    }
}
