//! `Idempotency-Key` for every POST that buys or changes something. The first request with a
//! key claims it; its answer is stored (in the same transaction as its effect, by the
//! handler) and replayed verbatim to any retry with the same key and body. The same key with
//! a different body is a 422. A failure worth retrying (carrier down) releases the key.

use std::future::Future;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::problem::ApiError;
use crate::ids::TenantId;
use crate::state::AppState;
use crate::store::{IdemBegin, IdemCompletion};

/// The key this request owns, to be completed in the handler's own transaction.
pub type OwnedKey = Option<String>;

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
            key: k.clone(),
            status: self.status.as_u16(),
            body: self.body.clone(),
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

/// Runs `work` at most once per (tenant, key). `scope` (method and path) is part of the
/// request's identity, so one key cannot be replayed against another endpoint.
pub async fn run<F, Fut>(
    app: &AppState,
    tenant: &TenantId,
    key: Option<String>,
    scope: &str,
    body_hash: &str,
    work: F,
) -> Response
where
    F: FnOnce(OwnedKey) -> Fut,
    Fut: Future<Output = Result<Answer, ApiError>> + Send + 'static,
{
    let Some(key) = key else {
        return match detached(work(None)).await {
            Ok(a) => respond(a.status, a.body, false),
            Err(e) => e.into_response(),
        };
    };
    let hash = hex::encode(Sha256::digest(format!("{scope}\n{body_hash}")));
    match app
        .store
        .idem_begin(tenant, &key, &hash, OffsetDateTime::now_utc())
        .await
    {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(IdemBegin::Replay { status, body }) => {
            metrics::counter!("shiphub_idempotent_replays_total").increment(1);
            return respond(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                body,
                true,
            );
        }
        Ok(IdemBegin::Mismatch) => return ApiError::IdempotencyMismatch.into_response(),
        Ok(IdemBegin::InProgress) => return ApiError::IdempotencyInProgress.into_response(),
        Ok(IdemBegin::Started) => {}
    }
    let work = work(Some(key.clone()));
    let (app, tenant) = (app.clone(), tenant.clone());
    let settled = detached(async move {
        let e = match work.await {
            Ok(a) => return Ok(a),
            Err(e) => e,
        };
        let outcome = if e.releases_idempotency_key() {
            app.store.idem_abandon(&tenant, &key).await
        } else {
            let (status, problem, _) = e.problem();
            let body = serde_json::to_string(&problem).expect("problem serializes");
            app.store
                .idem_complete(
                    &tenant,
                    &IdemCompletion {
                        key: key.clone(),
                        status: status.as_u16(),
                        body,
                    },
                )
                .await
        };
        if let Err(store_err) = outcome {
            tracing::error!(error = %store_err, "could not settle idempotency key {key}");
        }
        Err(e)
    });
    match settled.await {
        Ok(a) => respond(a.status, a.body, false),
        Err(e) => e.into_response(),
    }
}

/// Runs a request's work on a task of its own. The server drops a handler whose client hangs
/// up; a purchase dropped between the carrier's sale and our record of it would be paid for
/// and lost, and its key left claimed. Detached, it finishes, and its answer is kept for the
/// retry.
async fn detached<Fut>(work: Fut) -> Result<Answer, ApiError>
where
    Fut: Future<Output = Result<Answer, ApiError>> + Send + 'static,
{
    crate::outliving_caller(work)
        .await
        .unwrap_or_else(|| Err(ApiError::Internal("the server is shutting down".into())))
}
