//! Warehouse printing: print stations (one per agent and printer) and their tokens, print jobs
//! queued for them, the agents' side (long poll, acknowledgements, printer reports) and the
//! sweep that expires jobs no agent took within their TTL. Knows nothing of HTTP: `api::print`
//! extracts and answers.
//!
//! Delivery is at least once: a job handed to an agent that never acknowledges it is handed
//! out again after the redelivery interval. Agents journal jobs by id, so a second delivery
//! never prints a second time.
//!
//! The print vocabulary (`PrinterLanguage`, `JobStatus`, …) is defined in `store::print`, where
//! rows are read into it, and re-exported here. Label documents and stock names still come from
//! `api::shipments` and `api::label_options` until those move out of `api/` (issue 16).

mod agent;
mod jobs;
mod stations;
mod sweep;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::error::Error;
use crate::ids::StationId;
pub use crate::store::{AckStatus, JobStatus, PrinterLanguage, PrinterState};
pub use agent::{Agent, Delivery, Poll, authenticate};
pub use jobs::{
    DEFAULT_TTL, JobRequest, batch_job, check_copies, get_job, job_event, job_json, list_jobs,
    new_job, prepare_job, prepare_retry, queue_job, queue_retry, station_for_job,
};
pub use stations::{
    NewStation, StationPrinter, StationToken, add_station, list_stations, load_station,
    new_station, replace_token, station_printer,
};
pub use sweep::sweep;

/// Timing of the print queue (configurable so tests need not wait a minute).
#[derive(Clone, Copy, Debug)]
pub struct PrintSettings {
    /// A delivered job not acknowledged for this long is handed out again.
    pub redeliver_after: Duration,
    /// How often queued jobs past their TTL are expired.
    pub sweep_every: Duration,
    /// A station whose agent has not called for this long is offline. Agents call at least
    /// once per long poll (at most 60 s), so the default leaves them half a poll to spare.
    pub offline_after: Duration,
}

impl Default for PrintSettings {
    fn default() -> Self {
        Self {
            redeliver_after: Duration::from_secs(60),
            sweep_every: Duration::from_secs(5),
            offline_after: Duration::from_secs(90),
        }
    }
}

/// Wakes a station's long poll when this instance queues a job for it. Other instances'
/// jobs are found by the poll's periodic re-check.
#[derive(Default)]
pub struct Wakeups(Mutex<HashMap<StationId, Arc<Notify>>>);

impl Wakeups {
    pub(crate) fn get(&self, station: &StationId) -> Arc<Notify> {
        self.0
            .lock()
            .expect("wakeups lock")
            .entry(station.clone())
            .or_default()
            .clone()
    }
    pub fn wake(&self, station: &StationId) {
        if let Some(n) = self.0.lock().expect("wakeups lock").get(station) {
            n.notify_waiters();
        }
    }
}

/// Whether the station's agent called within `offline_after` of `now` (the API's `online`).
pub fn station_online(
    settings: &PrintSettings,
    station: &crate::store::StationRecord,
    now: time::OffsetDateTime,
) -> bool {
    station
        .last_seen_at
        .is_some_and(|seen| now - seen <= settings.offline_after)
}

/// A printer language named in a request's `format`.
pub fn parse_language(f: &str) -> Result<PrinterLanguage, Error> {
    PrinterLanguage::parse(f).ok_or_else(not_a_language)
}

fn not_a_language() -> Error {
    Error::field("/format", "must be `zpl` or `pdf`")
}

/// An agent's free-text detail (on an acknowledgement or a printer report) is kept to 2000
/// characters.
fn check_detail(detail: Option<&str>) -> Result<(), Error> {
    if detail.is_some_and(|d| d.len() > 2000) {
        return Err(Error::field("/detail", "must be at most 2000 characters"));
    }
    Ok(())
}
