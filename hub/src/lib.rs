//! shiphub: the hub server (REST API, store, call layer) and its CLI.

pub mod accounts;
pub mod addresses;
pub mod api;
pub mod auth;
pub mod background;
pub mod batches;
pub mod call_layer;
pub mod cli;
pub mod console;
pub mod crypto;
pub mod error;
pub mod events;
pub mod gauges;
pub mod ids;
pub mod instances;
pub mod labels;
pub(crate) mod live_keys;
pub mod mail;
pub mod manifests;
pub mod named;
pub mod outbound;
pub mod pickups;
pub mod print;
pub mod rates;
pub mod reconcile;
pub mod roles;
pub mod routing;
pub mod server;
pub mod shipments;
pub mod state;
pub mod store;
pub mod streams;
pub mod telemetry;
pub mod tracking;
pub mod webhooks;

/// Runs `work` on a task of its own, so that it finishes even when the caller is dropped (a
/// client hangs up, a task is aborted). `None` only when the runtime is shutting down; a panic
/// in `work` goes on in the caller.
pub(crate) async fn outliving_caller<F>(work: F) -> Option<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    // The request's span (its Request-Id) follows the work onto its task.
    match tokio::spawn(tracing::Instrument::in_current_span(work)).await {
        Ok(done) => Some(done),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => None,
    }
}
