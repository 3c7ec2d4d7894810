//! The expiry sweep: queued jobs no agent took within their TTL expire, each with an event.

use time::OffsetDateTime;

use super::job_event;
use crate::state::AppState;

/// Expires queued jobs past their TTL, each with a `print_job.expired` event, until stopped.
pub async fn sweep(app: AppState) {
    let mut shutdown = app.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(app.print.sweep_every) => {}
            _ = shutdown.changed() => return,
        }
        loop {
            match app
                .store
                .expire_print_jobs(OffsetDateTime::now_utc(), 500, job_event)
                .await
            {
                Ok(0) => break,
                Ok(n) => {
                    metrics::counter!("shiphub_print_jobs_total", "status" => "expired")
                        .increment(n as u64);
                    tracing::info!(expired = n, "print jobs expired unclaimed");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "print job expiry sweep failed");
                    break;
                }
            }
        }
    }
}
