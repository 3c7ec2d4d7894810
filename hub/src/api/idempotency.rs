//! `Idempotency-Key` for every POST that buys or changes something. The first request with a
//! key claims it; its answer is stored (in the same transaction as its effect, by the
//! handler) and replayed verbatim to any retry with the same key and body. The same key with
//! a different body, or on another endpoint, is a 422. A failure worth retrying (carrier down)
//! or a 404 (nothing there to change) releases the key.
//!
//! Crashes: a claimed key is leased to this process (`owner`, `lease_until`) and the lease is
//! renewed while the work runs. A process that dies (SIGKILL, or exiting with buying work still
//! in flight at the end of a graceful shutdown) stops renewing; once the lease has run out any
//! instance resolves the key — the sweep started by `serve`, or at once the retry that meets
//! it. Recovery is claimed by one conditional UPDATE, so of several instances sharing one
//! database exactly one acts. What it does depends on how far the request got (see
//! `shipments::recover_purchase` for purchases): never reached the carrier → the key is
//! released and the retry runs the request; every other endpoint writes its effect and its
//! answer in one transaction, so an unanswered key there changed nothing and is released too.
//! Hence within one lease after a crash every retry gets a final answer.

use std::future::Future;
use std::time::Duration;

use axum::extract::{FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use serde::de::DeserializeOwned;

use super::extract::{IdempotencyKey, JsonBody};
use crate::error::Error;
use crate::ids::TenantId;
use crate::state::AppState;
use crate::store::{IdemBegin, IdemClaim, IdemCompletion, StoreError};

pub use crate::store::IdempotencySettings as Settings;

pub use crate::ids::instance;

/// A key this request owns.
#[derive(Clone, Debug)]
pub struct Claim {
    pub key: String,
    pub owner: String,
}

/// The key this request owns, to be completed in the handler's own transaction.
pub type OwnedKey = Option<Claim>;

/// A JSON answer an idempotent handler produced, ready to store and send.
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
}

impl Answer {
    pub fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Self {
        Answer {
            status,
            body: serde_json::to_string(value).expect("response serializes"),
        }
    }
    /// The body as JSON (for an event carrying the same representation).
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("answers are JSON")
    }
    pub fn completion(&self, key: &OwnedKey) -> Option<IdemCompletion> {
        key.as_ref().map(|k| IdemCompletion {
            key: k.key.clone(),
            owner: k.owner.clone(),
            status: self.status.as_u16(),
            body: self.body.clone(),
        })
    }

    /// Keeps this answer on the key on its own, for an answer that wrote nothing else (a
    /// handler's writes otherwise complete the key in their own transaction).
    pub async fn kept(
        self,
        app: &AppState,
        tenant: &TenantId,
        key: &OwnedKey,
    ) -> Result<Answer, Error> {
        if let Some(c) = self.completion(key) {
            app.store.idem_complete(tenant, &c).await?;
        }
        Ok(self)
    }
}

/// An idempotent request as its handler needs it: the key (when sent), the scope (method and
/// path, the path's parameters filled in, so one key cannot be replayed against another
/// endpoint or another resource), the body parsed once (checked against its schema like
/// [`JsonBody`]) and its canonical hash (only computed when a key was sent: nothing else reads
/// it). Operations without a body take `Idempotent` (= `Idempotent<NoBody>`).
///
/// A handler extracts it, then hands the work to [`Idempotent::run`]:
/// `req.run(app, tenant, create_thing).await`, with
/// `async fn create_thing(app, tenant, body, owned) -> Result<Answer, Error>`.
pub struct Idempotent<T = NoBody> {
    key: Option<String>,
    scope: String,
    hash: String,
    pub body: T,
}

/// The body of an operation that takes none (anything sent is ignored, as before).
pub struct NoBody;

impl<T> Idempotent<T> {
    /// The scope on the key (`POST /v1/shipments/shp_…/void`).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Narrows the scope with what else identifies the request (query parameters that
    /// change what it does): `?since=…`.
    pub fn scoped(mut self, extra: &str) -> Self {
        self.scope.push_str(extra);
        self
    }

    /// The hash of a body the handler read itself (a streamed upload).
    pub fn hashed(mut self, hash: String) -> Self {
        self.hash = hash;
        self
    }

    /// Runs `work` at most once per (tenant, key) (see [`run`]); `work` gets the state, the
    /// tenant, the body and the key it owns, to complete in its own transaction.
    pub async fn run<W, Fut>(self, app: AppState, tenant: TenantId, work: W) -> Response
    where
        W: FnOnce(AppState, TenantId, T, OwnedKey) -> Fut,
        Fut: Future<Output = Result<Answer, Error>> + Send + 'static,
    {
        let Idempotent {
            key,
            scope,
            hash,
            body,
        } = self;
        let (a, t) = (app.clone(), tenant.clone());
        run(&a, &t, key, &scope, &hash, move |owned| {
            work(app, tenant, body, owned)
        })
        .await
    }
}

/// `method path`, each `{name}` segment of the matched route replaced by its (decoded) value:
/// what the handlers once wrote out with `format!`.
async fn request_scope<S: Send + Sync>(parts: &mut Parts, state: &S) -> String {
    let Some(route) = parts.extensions.get::<MatchedPath>().cloned() else {
        return format!("{} {}", parts.method, parts.uri.path());
    };
    let params = RawPathParams::from_request_parts(parts, state).await.ok();
    let value = |name: &str| {
        params
            .as_ref()
            .and_then(|p| p.iter().find(|(k, _)| *k == name).map(|(_, v)| v))
    };
    let path = route
        .as_str()
        .split('/')
        .map(|segment| {
            segment
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .and_then(value)
                .unwrap_or(segment)
        })
        .collect::<Vec<_>>()
        .join("/");
    format!("{} {path}", parts.method)
}

impl<S: Send + Sync> FromRequestParts<S> for Idempotent<NoBody> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let IdempotencyKey(key) = IdempotencyKey::from_request_parts(parts, state).await?;
        Ok(Idempotent {
            key,
            scope: request_scope(parts, state).await,
            hash: String::new(),
            body: NoBody,
        })
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Idempotent<T> {
    type Rejection = Error;
    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let (mut parts, body) = req.into_parts();
        // The key is checked before the body, as when it was an extractor of its own.
        let IdempotencyKey(key) = IdempotencyKey::from_request_parts(&mut parts, state).await?;
        let scope = request_scope(&mut parts, state).await;
        let body = JsonBody::<T>::from_request(Request::from_parts(parts, body), state).await?;
        let hash = key.as_ref().map(|_| body.hash()).unwrap_or_default();
        Ok(Idempotent {
            key,
            scope,
            hash,
            body: body.value,
        })
    }
}

fn respond(status: StatusCode, body: String, replayed: bool) -> Response {
    let ct = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    if replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

fn lease_until(app: &AppState, now: OffsetDateTime) -> OffsetDateTime {
    now + app.idempotency.lease
}

/// Runs `work` at most once per (tenant, key). `scope` (method and path) is part of the
/// request's identity, so one key cannot be replayed against another endpoint.
async fn run<F, Fut>(
    app: &AppState,
    tenant: &TenantId,
    key: Option<String>,
    scope: &str,
    body_hash: &str,
    work: F,
) -> Response
where
    F: FnOnce(OwnedKey) -> Fut,
    Fut: Future<Output = Result<Answer, Error>> + Send + 'static,
{
    let Some(key) = key else {
        return match detached(work(None)).await {
            Ok(a) => respond(a.status, a.body, false),
            Err(e) => e.into_response(),
        };
    };
    let hash = hex::encode(Sha256::digest(format!("{scope}\n{body_hash}")));
    let mut recovered = false;
    loop {
        let now = OffsetDateTime::now_utc();
        let claim = IdemClaim {
            key: &key,
            scope,
            request_hash: &hash,
            owner: instance(),
            lease_until: lease_until(app, now),
        };
        match app.store.idem_begin(tenant, &claim, now).await {
            Err(e) => return Error::from(e).into_response(),
            Ok(IdemBegin::Replay { status, body }) => {
                metrics::counter!("shiphub_idempotent_replays_total").increment(1);
                return respond(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                    body,
                    true,
                );
            }
            Ok(IdemBegin::Mismatch) => return Error::IdempotencyMismatch.into_response(),
            Ok(IdemBegin::OtherScope { scope }) => {
                return Error::IdempotencyKeyElsewhere(scope).into_response();
            }
            // Its process died: resolve the key now rather than make the client wait for the
            // sweep, then look again (a replay, or the key is free).
            Ok(IdemBegin::InProgress { expired: true }) if !recovered => {
                recovered = true;
                let (a, t, k) = (app.clone(), tenant.clone(), key.clone());
                if crate::outliving_caller(async move { recover(&a, &t, &k).await })
                    .await
                    .is_none()
                {
                    return Error::IdempotencyInProgress.into_response();
                }
            }
            Ok(IdemBegin::InProgress { .. }) => {
                return Error::IdempotencyInProgress.into_response();
            }
            Ok(IdemBegin::Started) => break,
        }
    }
    let claim = Claim {
        key,
        owner: instance().to_string(),
    };
    let work = work(Some(claim.clone()));
    let (app, tenant) = (app.clone(), tenant.clone());
    let settled = detached(async move {
        let _live = crate::live_keys::Live::enter(&tenant, &claim.key);
        let _heartbeat = AbortOnDrop(tokio::spawn(heartbeat(
            app.clone(),
            tenant.clone(),
            claim.clone(),
        )));
        let e = match work.await {
            Ok(a) => return Ok(a),
            Err(e) => e,
        };
        settle_failure(&app, &tenant, &claim, &e).await;
        Err(e)
    });
    match settled.await {
        Ok(a) => respond(a.status, a.body, false),
        Err(e) => e.into_response(),
    }
}

/// What a failed request leaves on its key.
enum Settlement {
    /// Released for the retry.
    Abandon,
    /// The failure is the key's final answer.
    Complete { status: u16, body: String },
    /// Left claimed: a sale waits on it to be recorded by the key's recovery.
    Keep,
}

impl Settlement {
    fn of(e: &Error) -> Settlement {
        if matches!(e, Error::PurchaseKept(_)) {
            Settlement::Keep
        } else if e.releases_idempotency_key() || matches!(e, Error::NotFound(_)) {
            Settlement::Abandon
        } else {
            let (status, problem, _) = e.problem();
            Settlement::Complete {
                status: status.as_u16(),
                body: serde_json::to_string(&problem).expect("problem serializes"),
            }
        }
    }

    async fn apply(
        &self,
        app: &AppState,
        tenant: &TenantId,
        claim: &Claim,
    ) -> Result<(), StoreError> {
        match self {
            Settlement::Keep => Ok(()),
            Settlement::Abandon => {
                app.store
                    .idem_abandon(tenant, &claim.key, &claim.owner)
                    .await
            }
            Settlement::Complete { status, body } => {
                app.store
                    .idem_complete(
                        tenant,
                        &IdemCompletion {
                            key: claim.key.clone(),
                            owner: claim.owner.clone(),
                            status: *status,
                            body: body.clone(),
                        },
                    )
                    .await
            }
        }
    }
}

/// Leaves a failed request's key for its retry: released when the failure is worth retrying
/// (or a 404: a wrong id or path consumed nothing), kept when a sale waits on it, otherwise
/// completed with the problem. When the database cannot be reached, settling goes on in the
/// background (with the key's lease renewed meanwhile, so no recovery mistakes the request
/// for one whose process died) until it is back.
pub(crate) async fn settle_failure(app: &AppState, tenant: &TenantId, claim: &Claim, e: &Error) {
    let settlement = Settlement::of(e);
    match settlement.apply(app, tenant, claim).await {
        Ok(()) => {}
        Err(StoreError::LeaseLost(_)) => {
            tracing::warn!(key = %claim.key, "idempotency key was recovered by another instance meanwhile")
        }
        Err(store_err) if store_err.is_unavailable() => {
            let (app, tenant, claim) = (app.clone(), tenant.clone(), claim.clone());
            // Live before this request's own mark goes: no moment for a sweep to take it.
            let live = crate::live_keys::Live::enter(&tenant, &claim.key);
            tokio::spawn(async move {
                let _live = live;
                let _heartbeat = AbortOnDrop(tokio::spawn(heartbeat(
                    app.clone(),
                    tenant.clone(),
                    claim.clone(),
                )));
                settle_when_back(&app, &tenant, &claim, settlement).await
            });
        }
        Err(store_err) => {
            tracing::error!(error = %store_err, "could not settle idempotency key {}", claim.key)
        }
    }
}

/// Retries a settlement the database was not there for, backing off to 5 s between tries,
/// for at most ten minutes (the key's recovery resolves it after that).
async fn settle_when_back(
    app: &AppState,
    tenant: &TenantId,
    claim: &Claim,
    settlement: Settlement,
) {
    let started = std::time::Instant::now();
    let mut wait = Duration::from_millis(250);
    loop {
        tokio::time::sleep(wait).await;
        match settlement.apply(app, tenant, claim).await {
            Err(e) if e.is_unavailable() && started.elapsed() < Duration::from_secs(600) => {
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, key = %claim.key, "could not settle idempotency key after the database came back");
                return;
            }
        }
    }
}

/// Aborts a background task when the work it accompanies ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews the key's lease every third of the lease while its work runs.
async fn heartbeat(app: AppState, tenant: TenantId, claim: Claim) {
    let every = app.idempotency.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        let until = lease_until(&app, OffsetDateTime::now_utc());
        match app
            .store
            .idem_renew(&tenant, &claim.key, &claim.owner, until)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(key = %claim.key, "idempotency key lease lost before its work ended");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, key = %claim.key, "idempotency lease renewal failed")
            }
        }
    }
}

/// Resolves `key` when its lease has run out (a no-op when it has not, or another instance
/// got there first).
pub async fn recover(app: &AppState, tenant: &TenantId, key: &str) {
    if crate::live_keys::Live::is_live(tenant, key) {
        return;
    }
    let now = OffsetDateTime::now_utc();
    let owner = instance();
    let stuck = match app
        .store
        .idem_claim_expired(tenant, key, owner, now, lease_until(app, now))
        .await
    {
        Ok(Some(stuck)) => stuck,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, key, "could not claim an expired idempotency key");
            return;
        }
    };
    let claim = Claim {
        key: key.to_string(),
        owner: owner.to_string(),
    };
    metrics::counter!("shiphub_idempotency_recoveries_total").increment(1);
    tracing::warn!(key, scope = ?stuck.scope, stage = ?stuck.stage, "recovering an idempotency key whose process died");
    let failure = match (stuck.scope.as_deref(), stuck.stage.as_deref()) {
        // The carrier was reached by a purchase: finish recording it, or answer finally.
        (Some(super::shipments::BUY_SCOPE), Some(stage)) => crate::shipments::recover_purchase(
            app,
            tenant,
            crate::shipments::Key {
                key: &claim.key,
                owner: &claim.owner,
            },
            stage,
            stuck.progress.as_deref(),
            super::shipments::answer,
        )
        .await
        .err(),
        // A pickup booking or a close sent to the carrier: it may have acted, and asking
        // again could book a second courier or close twice; final answer, what to check.
        (
            Some(scope @ (super::pickups::BOOK_SCOPE | super::manifests::CLOSE_SCOPE)),
            Some(crate::pickups::SENT),
        ) => Some(crate::pickups::outcome_unknown(
            scope,
            stuck.progress.as_deref(),
            key,
        )),
        // Nothing left the hub, or the effect commits with its answer (so none happened):
        // the retry runs the request. (A void re-run is safe: voiding is idempotent.)
        (Some(_), _) => {
            if let Err(e) = app.store.idem_abandon(tenant, key, owner).await {
                tracing::warn!(error = %e, key, "could not release a recovered idempotency key");
            }
            None
        }
        // Claimed by a hub that kept no scope or progress: it may have bought.
        (None, _) => Some(Error::PurchaseOutcomeUnknown(format!(
            "this key was claimed by an earlier hub version that recorded no progress; check \
             the tenant's carrier accounts for a purchase made near its first use (key `{key}`)"
        ))),
    };
    if let Some(e) = failure {
        settle_failure(app, tenant, &claim, &e).await;
    }
}

/// Resolves expired keys every half lease, for as long as the server runs.
/// A key of an instance declared dead is resolved at once (the reaper expires its lease).
pub async fn sweep(app: AppState) {
    let mut shutdown = app.shutdown.subscribe();
    let mut takeovers = app.instances.takeovers();
    let every = (app.idempotency.lease / 2).max(Duration::from_millis(100));
    loop {
        if crate::instances::nap(&mut takeovers, &mut shutdown, every).await {
            return;
        }
        if app.instances.fenced() {
            continue;
        }
        match app.store.idem_expired(OffsetDateTime::now_utc(), 100).await {
            Ok(keys) => {
                for (tenant, key) in keys {
                    recover(&app, &tenant, &key).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "idempotency key sweep failed"),
        }
    }
}

/// Runs a request's work on a task of its own. The server drops a handler whose client hangs
/// up; a purchase dropped between the carrier's sale and our record of it would be paid for
/// and lost, and its key left claimed. Detached, it finishes, and its answer is kept for the
/// retry.
async fn detached<Fut>(work: Fut) -> Result<Answer, Error>
where
    Fut: Future<Output = Result<Answer, Error>> + Send + 'static,
{
    crate::outliving_caller(work)
        .await
        .unwrap_or_else(|| Err(Error::Internal("the server is shutting down".into())))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;
    use crate::api::extract::canonical_hash;

    /// What the extractor made of a request: scope, key and hash, or the problem's status.
    async fn extracted(uri: &str, key: Option<&str>, body: Option<&str>) -> String {
        async fn bodiless(req: Idempotent) -> String {
            format!("{}|{:?}|{}", req.scope, req.key, req.hash)
        }
        async fn json(req: Idempotent<serde_json::Value>) -> String {
            format!("{}|{:?}|{}", req.scope, req.key, req.hash)
        }
        let app = Router::new().route("/v1/things", post(json)).route(
            "/v1/webhooks/{id}/deliveries/{delivery_id}/resend",
            post(bodiless),
        );
        let mut req = axum::http::Request::post(uri).header("content-type", "application/json");
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        let text = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        if status.is_success() {
            String::from_utf8(text.to_vec()).unwrap()
        } else {
            status.as_u16().to_string()
        }
    }

    #[tokio::test]
    async fn scope_is_the_method_and_the_path_with_its_parameters() {
        // As the handlers once wrote it with `format!`, the decoded path values filled in, so a key cannot be replayed on another delivery.
        assert_eq!(
            extracted(
                "/v1/webhooks/wh_1/deliveries/dl%7Bx%7D/resend",
                Some("k"),
                None
            )
            .await,
            "POST /v1/webhooks/wh_1/deliveries/dl{x}/resend|Some(\"k\")|"
        );
    }

    #[tokio::test]
    async fn the_body_is_hashed_only_when_a_key_was_sent() {
        let body = r#"{"b": [1, 2], "a": 1}"#;
        let hash = canonical_hash(&serde_json::from_str(body).unwrap());
        assert_eq!(
            extracted("/v1/things", Some("k"), Some(body)).await,
            format!("POST /v1/things|Some(\"k\")|{hash}")
        );
        assert_eq!(
            extracted("/v1/things", None, Some(body)).await,
            "POST /v1/things|None|"
        );
    }

    #[tokio::test]
    async fn the_key_is_checked_before_the_body() {
        // A bad key with a malformed body: the key's 422, not the body's 400.
        assert_eq!(extracted("/v1/things", Some(" "), Some("{")).await, "422");
        assert_eq!(extracted("/v1/things", Some("k"), Some("{")).await, "400");
    }
}
