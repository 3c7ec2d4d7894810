//! Every background task of a running hub, started from one place once its state is complete:
//! the print job sweep, the abandoned-import sweep, the resumption of pulls whose instance
//! died, the idempotency key sweep, the tracking scheduler, the webhook dispatcher and housekeeping. Each task ends when the state's shutdown flag flips
//! (or with the runtime); none is restarted.

use std::time::Duration;

use crate::state::AppState;

/// What the tasks need beyond the state itself.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// How long the tracking scheduler sleeps when no tracker is due; `None` when this instance
    /// polls no trackers (other instances do).
    pub tracking_tick: Option<Duration>,
}

/// Starts every background task on `app`. Called once its settings are all in place: each
/// task keeps the state as it is now (set-up changes after this are not seen).
pub fn start(app: &AppState, settings: Settings) {
    tokio::spawn(crate::print::sweep(app.clone()));
    tokio::spawn(crate::reconcile::sweep_abandoned(
        app.store.clone(),
        app.shutdown.subscribe(),
    ));
    // Billing API pulls left by an instance that died (their lease ran out) go on here.
    tokio::spawn(crate::reconcile::resume_pulls(app.clone()));
    // The one loop of the API edge: it finishes requests whose process died and keeps their
    // answers for the retry (`api::idempotency`), so it writes HTTP answers.
    tokio::spawn(crate::api::idempotency::sweep(app.clone()));
    if let Some(tick) = settings.tracking_tick {
        let scheduler = crate::tracking::scheduler::Scheduler::new(
            app.clone(),
            app.tracking,
            crate::ids::instance().to_string(),
        );
        tokio::spawn(scheduler.run(tick));
    }
    tokio::spawn(crate::webhooks::dispatcher::run(app.clone()));
    tokio::spawn(housekeeping(app.clone()));
}

/// How often ended sessions, spent tokens and old transit days are deleted.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3600);
/// Transit history older than the longest report window (730 days) is read by nothing.
const TRANSIT_KEPT_DAYS: i64 = 731;

/// Deletes what nothing reads any more: ended sessions and expired one-time tokens (issue 20),
/// and transit day buckets older than the longest report window (issue 21). Hourly, the first
/// time a minute after start; every instance may run it (the deletes are idempotent).
async fn housekeeping(app: AppState) {
    let mut shutdown = app.shutdown.subscribe();
    let mut takeovers = app.instances.takeovers();
    let mut every = Duration::from_secs(60);
    loop {
        if crate::instances::nap(&mut takeovers, &mut shutdown, every).await {
            return;
        }
        every = HOUSEKEEPING_EVERY;
        if app.instances.fenced() {
            continue;
        }
        let now = time::OffsetDateTime::now_utc();
        let idle = time::Duration::try_from(app.auth.settings.idle_timeout)
            .unwrap_or(time::Duration::MINUTE * 30);
        match app.store.prune_sessions(now, now - idle).await {
            Ok((s, t)) if s + t > 0 => {
                tracing::debug!(
                    sessions = s,
                    tokens = t,
                    "ended sessions and expired tokens deleted"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session housekeeping failed"),
        }
        let cut = now.date() - time::Duration::days(TRANSIT_KEPT_DAYS);
        if let Err(e) = app.store.prune_transit_everywhere(cut).await {
            tracing::warn!(error = %e, "transit history housekeeping failed");
        }
    }
}

/// Starts the event stream relay (`shiphub serve --events-to …`) with its connected sinks.
pub fn start_streams(
    app: &AppState,
    settings: std::sync::Arc<crate::streams::StreamSettings>,
    sinks: Vec<(String, crate::streams::sink::Sink)>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(crate::streams::relay::run(app.clone(), settings, sinks))
}

/// Starts taking commands from the queues of `--commands-from`, each run by `handler` (the
/// API's own router, `api::commands`, given by `serve`: the queue is one more face of the API).
pub async fn start_commands(
    app: &AppState,
    settings: crate::streams::commands::CommandSettings,
    handler: crate::streams::commands::Handler,
) -> Result<(), String> {
    crate::streams::commands::start(app.clone(), settings, handler).await
}
