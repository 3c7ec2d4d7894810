//! A webhook receiver that answers every delivery 200 (after a delay, to keep deliveries in
//! flight) and remembers each one's `webhook-id` and arrival.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;

/// Deliveries so far: (`webhook-id`, when it arrived).
type Log = Arc<Mutex<Vec<(String, Instant)>>>;

#[derive(Clone)]
pub struct WebhookSink {
    pub url: String,
    received: Log,
}

impl WebhookSink {
    /// Listens on loopback; each delivery is answered after `delay`.
    pub async fn start(delay: Duration) -> WebhookSink {
        let received: Log = Arc::default();
        let app = Router::new()
            .route(
                "/in",
                post(move |State(r): State<Log>, headers: HeaderMap| async move {
                    tokio::time::sleep(delay).await;
                    let id = headers
                        .get("webhook-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    r.lock().unwrap().push((id, Instant::now()));
                    "ok"
                }),
            )
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/in", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        WebhookSink { url, received }
    }

    /// Every delivery so far: (`webhook-id`, when it arrived), in arrival order.
    pub fn received(&self) -> Vec<(String, Instant)> {
        self.received.lock().unwrap().clone()
    }
}
