//! Carrier simulators: axum apps that serve a carrier's OAuth, rate, ship, void and track
//! endpoints on loopback with realistic bodies. Faults are queued through a control endpoint
//! (`POST /_sim/faults`) or [`Sim::push`] and consumed by the next matching request, so a test
//! can script "the next rate call answers 429 with Retry-After: 1". A standing latency
//! (`POST /_sim/latency`, [`Sim::set_latency`]) delays the answers a simulator chooses to
//! delay (UPS purchases, after the sale), so that a test can kill the hub while its calls are
//! in flight.

pub mod dhl_express;
pub mod fedex;
pub mod kuaidi100;
pub mod sf_express;
pub mod ups;
pub mod usps;
pub mod yunexpress;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// A misbehaviour to inject into the next request whose path starts with `path` (any path when
/// `None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 401 as the carrier sends for an expired or unknown token.
    Unauthorized,
    /// 429, with `Retry-After` when given.
    RateLimited { retry_after_secs: Option<u64> },
    /// 500 with the carrier's error body.
    ServerError,
    /// Answers normally, after a delay.
    Slow { millis: u64 },
    /// 200 with a truncated JSON body.
    Malformed,
}

/// Shared simulator state: the fault queue and per-endpoint hit counters.
#[derive(Clone, Default)]
pub struct Sim {
    faults: Arc<Mutex<VecDeque<Fault>>>,
    hits: Arc<Mutex<HashMap<String, u64>>>,
    latency_ms: Arc<AtomicU64>,
    reissued: Arc<Mutex<VecDeque<String>>>,
}

impl Sim {
    /// Sets the standing latency [`Sim::lag`] waits.
    pub fn set_latency(&self, millis: u64) {
        self.latency_ms.store(millis, Ordering::Relaxed);
    }

    /// Waits the standing latency: a simulator calls it after doing the work and before
    /// answering, as a slow carrier that sold a label still answers late.
    pub async fn lag(&self) {
        let latency = self.latency_ms.load(Ordering::Relaxed);
        if latency > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
        }
    }

    /// The next label sold gets `number` as its (master) tracking number again: carriers
    /// reuse numbers, and a purchase here may get one the hub already follows.
    pub fn reissue(&self, number: &str) {
        self.reissued.lock().unwrap().push_back(number.to_string());
    }

    /// The number queued by [`Sim::reissue`], if any.
    pub fn take_reissued(&self) -> Option<String> {
        self.reissued.lock().unwrap().pop_front()
    }

    pub fn push(&self, fault: Fault) {
        self.faults.lock().unwrap().push_back(fault);
    }

    /// Takes the first queued fault that applies to `path`, counting the hit.
    pub fn take_fault(&self, path: &str) -> Option<FaultKind> {
        *self
            .hits
            .lock()
            .unwrap()
            .entry(path.to_string())
            .or_default() += 1;
        let mut q = self.faults.lock().unwrap();
        let i = q
            .iter()
            .position(|f| f.path.as_deref().is_none_or(|p| path.starts_with(p)))?;
        q.remove(i).map(|f| f.kind)
    }

    /// Requests seen on paths starting with `prefix`.
    pub fn hits(&self, prefix: &str) -> u64 {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
            .sum()
    }
}

/// What a carrier says for each fault: its error codes and messages, and the start of a body
/// it would send (cut short for `Malformed`).
pub struct FaultWords {
    pub unauthorized: (&'static str, &'static str),
    pub rate_limited: (&'static str, &'static str),
    pub server_error: (&'static str, &'static str),
    pub truncated_body: &'static str,
}

impl Sim {
    /// Applies the next queued fault for `path`: `Some(response)` to answer with instead, or
    /// `None` to answer normally (after sleeping for a `Slow` fault). `error` renders the
    /// carrier's error body for a status, code and message.
    pub async fn fault(
        &self,
        path: &str,
        words: &FaultWords,
        error: impl Fn(StatusCode, &str, &str) -> Response,
    ) -> Option<Response> {
        let reply = |status, (code, message): (&str, &str)| error(status, code, message);
        match self.take_fault(path)? {
            FaultKind::Unauthorized => Some(reply(StatusCode::UNAUTHORIZED, words.unauthorized)),
            FaultKind::RateLimited { retry_after_secs } => {
                let mut r = reply(StatusCode::TOO_MANY_REQUESTS, words.rate_limited);
                if let Some(s) = retry_after_secs {
                    r.headers_mut().insert(header::RETRY_AFTER, s.into());
                }
                Some(r)
            }
            FaultKind::ServerError => {
                Some(reply(StatusCode::INTERNAL_SERVER_ERROR, words.server_error))
            }
            FaultKind::Slow { millis } => {
                tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
                None
            }
            FaultKind::Malformed => Some(
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    words.truncated_body,
                )
                    .into_response(),
            ),
        }
    }
}

/// `POST /_sim/faults` queues a fault; `GET /_sim/hits` returns the counters;
/// `POST /_sim/latency` (`{"millis": n}`) sets the standing latency.
pub fn control(sim: Sim) -> Router {
    Router::new()
        .route(
            "/_sim/faults",
            post(|State(sim): State<Sim>, Json(f): Json<Fault>| async move {
                sim.push(f);
                axum::http::StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sim/latency",
            post(
                |State(sim): State<Sim>, Json(v): Json<serde_json::Value>| async move {
                    sim.set_latency(v["millis"].as_u64().unwrap_or(0));
                    axum::http::StatusCode::NO_CONTENT
                },
            ),
        )
        .route(
            "/_sim/hits",
            get(|State(sim): State<Sim>| async move { Json(sim.hits.lock().unwrap().clone()) }),
        )
        .with_state(sim)
}

/// Serves `router` on `addr` (port 0 for a free one) in the background; returns the address.
pub async fn serve(router: Router, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(local)
}

/// A one-page PDF, 4 in wide and `height` points high, that shows `text` (a content stream) in
/// the standard `font`, with a correct cross-reference table: the carriers' own labels.
pub(crate) fn one_page_pdf(height: u32, font: &str, text: &str) -> Vec<u8> {
    let objects = [
        "<</Type/Catalog/Pages 2 0 R>>".to_string(),
        "<</Type/Pages/Kids[3 0 R]/Count 1>>".to_string(),
        format!(
            "<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 {height}]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>"
        ),
        format!("<</Length {}>>\nstream\n{text}\nendstream", text.len()),
        format!("<</Type/Font/Subtype/Type1/BaseFont/{font}>>"),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut at = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        at.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).into_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for o in at {
        out.extend(format!("{o:010} 00000 n \n").into_bytes());
    }
    out.extend(
        format!(
            "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    out
}

/// The value of `key` in a raw query string.
pub(crate) fn query_value(query: &Option<String>, key: &str) -> Option<String> {
    query.as_deref()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.to_string())
    })
}
