//! `shiphub-print-agent`: pulls a print station's jobs from the hub and prints them on one
//! printer, keeping a local journal so that jobs it holds print while the hub is down and
//! every outcome reaches the hub once it is back.
//!
//! Three loops share the journal: the fetcher (long poll → journal), the printer (journal →
//! printer, in order, retrying until the printer takes the job) and the acknowledger
//! (journal → hub). A fourth reports printer state changes. Each waits with capped,
//! jittered exponential backoff when its side is unavailable; none blocks another.

mod cups;
mod hub;
mod journal;
mod printer;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use clap::Parser;
use rand::Rng;
use tokio::sync::Notify;

use hub::{Acked, Hub, HubError, PrinterSpec};
use journal::{Job, Journal, Received};
use printer::{PrintError, Printer};

#[derive(Parser, Debug)]
#[command(
    name = "shiphub-print-agent",
    version,
    about = "Prints a shiphub print station's jobs on a local printer"
)]
struct Args {
    /// The hub's base URL, e.g. https://hub.example.com
    #[arg(long, env = "SHIPHUB_HUB")]
    hub: url::Url,
    /// The station token (from POST /v1/print-stations). Prefer the environment variable:
    /// a command line is visible to every user through `ps`.
    #[arg(long, env = "SHIPHUB_STATION_TOKEN", hide_env_values = true)]
    token: String,
    /// tcp://HOST:9100 (raw, ZPL status via ~HS; add ?status=none for printers without it),
    /// cups:QUEUE, or dir:PATH.
    #[arg(long, value_parser = |s: &str| s.parse::<Printer>())]
    printer: Printer,
    /// The printer's language, reported to the hub so that every job comes in it: `zpl` or
    /// `pdf`. Default: `zpl` for tcp:// printers with status (Zebras); for others the
    /// station's declaration.
    #[arg(long, value_parser = ["zpl", "pdf"])]
    printer_language: Option<String>,
    /// The printer's resolution in dpi (203 or 300), reported to the hub so that ZPL jobs are
    /// drawn in its dots. Default: the station's declaration.
    #[arg(long, value_parser = parse_dpi)]
    dpi: Option<u16>,
    /// Directory of the job journal.
    #[arg(
        long,
        env = "SHIPHUB_AGENT_JOURNAL",
        default_value = ".shiphub-print-agent"
    )]
    journal: PathBuf,
    /// Fetch once, print what is held, acknowledge, and exit (0: all done; 1: jobs left to
    /// print; 3: acknowledgements left for the hub).
    #[arg(long)]
    once: bool,
    /// Long-poll wait in seconds.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u64).range(0..=60))]
    wait: u64,
    /// Longest pause between retries, in seconds.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    max_backoff: u64,
}

/// Capped exponential backoff with ±20 % jitter, starting at 500 ms.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    fn new(max: Duration) -> Self {
        Backoff {
            next: Duration::from_millis(500).min(max),
            max,
        }
    }
    fn reset(&mut self) {
        self.next = Duration::from_millis(500).min(self.max);
    }
    async fn wait(&mut self) {
        let jitter = rand::rng().random_range(0.8..1.2);
        tokio::time::sleep(self.next.mul_f64(jitter)).await;
        self.next = (self.next * 2).min(self.max);
    }
}

struct Agent {
    hub: Hub,
    printer: Printer,
    journal: Mutex<Journal>,
    max_backoff: Duration,
    wait: u64,
    print_wake: Notify,
    ack_wake: Notify,
    state_wake: Notify,
    /// The printer's state and whether the hub has it yet.
    printer_state: Mutex<(&'static str, Option<String>, bool)>,
    /// The CUPS job being followed and since when (to tell a slow job from a stuck one).
    following: Mutex<Option<(String, Instant)>>,
}

/// A CUPS job still processing this long while CUPS has a message about the printer (the
/// socket backend's "The printer may not exist or is unavailable at this time.", retried
/// without end) is reported as the printer being offline. A label job takes a second or two.
const CUPS_STALL: Duration = Duration::from_secs(10);
/// How often a CUPS job is looked at while it prints.
const CUPS_POLL: Duration = Duration::from_millis(300);

enum Step {
    Printed,
    Failed,
    /// Not printed; the printer is not ready (or the journal failed).
    Held,
}

impl Agent {
    fn journal(&self) -> std::sync::MutexGuard<'_, Journal> {
        self.journal.lock().expect("journal lock")
    }

    fn set_printer_state(&self, state: &'static str, detail: Option<String>) {
        let mut s = self.printer_state.lock().expect("state lock");
        if s.0 != state || s.1 != detail {
            *s = (state, detail, false);
            self.state_wake.notify_one();
        }
    }

    /// Takes delivered jobs into the journal; true when any was new.
    fn take(&self, jobs: Vec<Job>) -> bool {
        let mut new = false;
        for job in jobs {
            let id = job.id.clone();
            match self.journal().receive(job) {
                Ok(Received::New) => {
                    tracing::info!(job = %id, "job received");
                    new = true;
                }
                Ok(Received::Held) => {
                    tracing::debug!(job = %id, "job delivered again; already held")
                }
                Ok(Received::AckAgain) => {
                    tracing::info!(job = %id, "job delivered again after it was acknowledged; acknowledging again");
                    self.ack_wake.notify_one();
                }
                // Not journaled, so not acknowledged either: the hub delivers it again.
                Err(e) => tracing::error!(job = %id, error = %e, "cannot journal job"),
            }
        }
        if new {
            self.print_wake.notify_one();
        }
        new
    }

    async fn fetch_loop(self: Arc<Self>) {
        let mut backoff = Backoff::new(self.max_backoff);
        loop {
            match self.hub.poll(self.wait).await {
                Ok(jobs) => {
                    backoff.reset();
                    self.take(jobs);
                }
                Err(e) => {
                    let held = self.journal().unprinted();
                    match &e {
                        HubError::Unauthorized(_) | HubError::Unexpected(_) => {
                            tracing::error!(error = %e, held, "cannot fetch jobs")
                        }
                        HubError::Unreachable(_) => {
                            tracing::warn!(error = %e, held, "cannot fetch jobs; printing what is held")
                        }
                    }
                    backoff.wait().await;
                }
            }
        }
    }

    /// Checks the printer and records its state for the hub (start-up and `--once`): only a
    /// CUPS queue can be asked without printing.
    async fn check_printer(&self) {
        if let Printer::Cups { queue } = &self.printer {
            let (state, detail) = match cups::queue_state(&cups::Server::from_env(), queue).await {
                Ok(()) => ("ready", None),
                Err(PrintError::NotReady { state, detail }) => {
                    tracing::error!(printer = state, %detail, "the CUPS queue is not ready");
                    (state, Some(detail))
                }
                Err(PrintError::Rejected(detail)) => ("error", Some(detail)),
            };
            let mut s = self.printer_state.lock().expect("state lock");
            *s = (state, detail, false);
            self.state_wake.notify_one();
        }
    }

    /// Prints the next held job once; `None` when nothing is held.
    async fn print_next(&self) -> Option<Step> {
        let (job, reprint, cups_job) = self.journal().next_to_print()?;
        if let Some(cups_job) = cups_job {
            return Some(self.follow(&job, &cups_job, reprint).await);
        }
        let zpl = match job.format.as_str() {
            "zpl" => true,
            "pdf" => false,
            other => return Some(self.fail(&job, format!("unsupported job format `{other}`"))),
        };
        let doc = match base64::engine::general_purpose::STANDARD.decode(&job.content) {
            Ok(d) => d,
            Err(e) => return Some(self.fail(&job, format!("document is not base64: {e}"))),
        };
        // The title an operator sees in the CUPS queue: the parcel and the shipper's reference.
        let title = match job.reference.as_deref().filter(|r| !r.is_empty()) {
            Some(r) => format!("{} {r}", job.tracking_number),
            None => job.tracking_number.clone(),
        };
        let title = if title.trim().is_empty() {
            job.id.clone()
        } else {
            title
        };
        let mut start = || self.journal().start(&job.id);
        let mut not_sent = || self.journal().unsent(&job.id);
        match self
            .printer
            .print(
                &doc,
                zpl,
                job.copies,
                &title,
                &job.id,
                &mut start,
                &mut not_sent,
            )
            .await
        {
            Ok(None) => Some(self.printed(&job, reprint, None)),
            Ok(Some(cups_job)) => {
                tracing::info!(job = %job.id, %cups_job, "CUPS took the job; following it");
                if let Err(e) = self.journal().submitted(&job.id, &cups_job) {
                    // Not followable after a restart: it is sent again then, with the note.
                    tracing::error!(job = %job.id, error = %e, "cannot journal the CUPS job");
                    return Some(Step::Held);
                }
                Some(self.follow(&job, &cups_job, reprint).await)
            }
            Err(PrintError::Rejected(detail)) => Some(self.fail(&job, detail)),
            Err(PrintError::NotReady { state, detail }) => {
                tracing::warn!(job = %job.id, printer = state, %detail, "printer not ready; job held");
                self.set_printer_state(state, Some(detail));
                Some(Step::Held)
            }
        }
    }

    fn printed(&self, job: &Job, reprint: bool, note: Option<String>) -> Step {
        let note = match (reprint, note) {
            (true, n) => Some(
                "printed again after the agent restarted mid-print; an earlier copy may exist"
                    .to_string()
                    + &n.map(|n| format!("; {n}")).unwrap_or_default(),
            ),
            (false, n) => n,
        };
        if let Err(e) = self.journal().printed(&job.id, note) {
            tracing::error!(job = %job.id, error = %e, "printed, but cannot journal it");
            return Step::Held;
        }
        tracing::info!(job = %job.id, tracking_number = %job.tracking_number, copies = job.copies, "printed");
        self.set_printer_state("ready", None);
        self.ack_wake.notify_one();
        Step::Printed
    }

    /// Follows a job a CUPS queue holds until CUPS completes, cancels or aborts it; `Held`
    /// (with the printer's state reported) while the queue or its device keeps it waiting.
    async fn follow(&self, job: &Job, cups_job: &str, reprint: bool) -> Step {
        let Printer::Cups { queue } = &self.printer else {
            // The journal says CUPS holds it, but the agent now prints elsewhere.
            return self.fail(
                job,
                format!("CUPS job {cups_job} was left behind when the agent's printer changed"),
            );
        };
        let server = cups::Server::from_env();
        let since = {
            let mut f = self.following.lock().expect("following lock");
            match &*f {
                Some((id, at)) if id == cups_job => *at,
                _ => {
                    let now = Instant::now();
                    *f = Some((cups_job.to_string(), now));
                    now
                }
            }
        };
        let hold = |state: &'static str, detail: String| {
            tracing::warn!(job = %job.id, %cups_job, printer = state, %detail, "CUPS holds the job");
            self.set_printer_state(state, Some(detail));
            Step::Held
        };
        loop {
            let open = match cups::job_state(&server, cups_job).await {
                Err(PrintError::NotReady { state, detail }) => return hold(state, detail),
                Err(PrintError::Rejected(detail)) => return hold("error", detail),
                Ok(cups::JobState::Completed) => return self.printed(job, reprint, None),
                Ok(cups::JobState::Ended(detail)) => return self.fail(job, detail),
                Ok(cups::JobState::Unknown) => {
                    return self.printed(
                        job,
                        reprint,
                        Some(format!(
                            "CUPS no longer knows job {cups_job} (history purged or scheduler                              restarted); assumed printed"
                        )),
                    );
                }
                Ok(cups::JobState::Open {
                    state,
                    message,
                    reasons,
                }) => (state, message, reasons),
            };
            if let Err(PrintError::NotReady { state, detail }) =
                cups::queue_state(&server, queue).await
            {
                return hold(state, format!("{detail} (CUPS job {cups_job} waits)"));
            }
            let (state, message, reasons) = open;
            // RFC 8011 job-state 4: pending-held; 6: processing-stopped.
            if state == 4 {
                return hold(
                    "paused",
                    format!("CUPS job {cups_job} is held [{}]", reasons.join(", ")),
                );
            }
            if state == 6 {
                return hold("error", format!("CUPS job {cups_job} stopped: {message}"));
            }
            if since.elapsed() >= CUPS_STALL && !message.is_empty() {
                return hold(
                    "offline",
                    format!(
                        "CUPS job {cups_job} not printed after {} s: {message}",
                        CUPS_STALL.as_secs()
                    ),
                );
            }
            tokio::time::sleep(CUPS_POLL).await;
        }
    }

    fn fail(&self, job: &Job, detail: String) -> Step {
        tracing::error!(job = %job.id, %detail, "job cannot be printed");
        match self.journal().failed(&job.id, detail) {
            Ok(()) => {
                self.ack_wake.notify_one();
                Step::Failed
            }
            Err(e) => {
                tracing::error!(job = %job.id, error = %e, "cannot journal the failure");
                Step::Held
            }
        }
    }

    async fn print_loop(self: Arc<Self>) {
        let mut backoff = Backoff::new(self.max_backoff);
        loop {
            let woken = self.print_wake.notified();
            match self.print_next().await {
                None => woken.await,
                Some(Step::Held) => backoff.wait().await,
                Some(Step::Printed | Step::Failed) => backoff.reset(),
            }
        }
    }

    /// Sends every owed acknowledgement once, in order; false when the hub could not be
    /// reached (the rest wait for the next round).
    async fn ack_pending(&self) -> bool {
        let pending = self.journal().to_ack();
        for p in pending {
            match self.hub.ack(&p.id, p.status, p.detail.as_deref()).await {
                Ok(outcome) => {
                    if let Acked::Refused(why) = outcome {
                        tracing::warn!(job = %p.id, %why, "the hub refused the acknowledgement; dropping it");
                    } else {
                        tracing::info!(job = %p.id, status = p.status, "acknowledged");
                    }
                    if let Err(e) = self.journal().acked(&p.id) {
                        tracing::error!(job = %p.id, error = %e, "cannot journal the acknowledgement");
                        return false;
                    }
                }
                Err(e) => {
                    tracing::warn!(job = %p.id, error = %e, "acknowledgement kept for later");
                    return false;
                }
            }
        }
        true
    }

    async fn ack_loop(self: Arc<Self>) {
        let mut backoff = Backoff::new(self.max_backoff);
        loop {
            let woken = self.ack_wake.notified();
            if self.ack_pending().await {
                backoff.reset();
                if self.journal().to_ack().is_empty() {
                    woken.await;
                }
            } else {
                backoff.wait().await;
            }
        }
    }

    async fn report_loop(self: Arc<Self>) {
        let mut backoff = Backoff::new(self.max_backoff);
        loop {
            let woken = self.state_wake.notified();
            let (state, detail, sent) = self.printer_state.lock().expect("state lock").clone();
            if sent {
                woken.await;
                continue;
            }
            match self.hub.report(state, detail.as_deref()).await {
                Ok(()) => {
                    backoff.reset();
                    let mut s = self.printer_state.lock().expect("state lock");
                    if s.0 == state && s.1 == detail {
                        s.2 = true;
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "printer state not reported yet");
                    backoff.wait().await;
                }
            }
        }
    }

    /// `--once`: one fetch, every held job printed (a few tries each), one round of acks,
    /// and the printer's state reported.
    async fn once(&self) -> ExitCode {
        self.check_printer().await;
        match self.hub.poll(0).await {
            Ok(jobs) => {
                self.take(jobs);
            }
            Err(e) => tracing::warn!(error = %e, "cannot fetch jobs; printing what is held"),
        }
        let mut backoff = Backoff::new(self.max_backoff);
        let mut held_tries = 0;
        while let Some(step) = self.print_next().await {
            match step {
                Step::Held if held_tries >= 3 => break,
                Step::Held => {
                    held_tries += 1;
                    backoff.wait().await;
                }
                _ => held_tries = 0,
            }
        }
        let left = self.journal().unprinted();
        let acked = self.ack_pending().await;
        let (state, detail, sent) = self.printer_state.lock().expect("state lock").clone();
        if !sent && let Err(e) = self.hub.report(state, detail.as_deref()).await {
            tracing::warn!(error = %e, "cannot report the printer state");
        }
        if left > 0 {
            tracing::error!(jobs = left, "jobs left unprinted in the journal");
            ExitCode::from(1)
        } else if !acked {
            tracing::error!("acknowledgements left for the hub in the journal");
            ExitCode::from(3)
        } else {
            ExitCode::SUCCESS
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHIPHUB_AGENT_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let journal = match Journal::open(&args.journal) {
        Ok(j) => j,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the journal in {}", args.journal.display());
            return ExitCode::from(2);
        }
    };
    let held = journal.unprinted();
    let owed = journal.to_ack().len();
    let spec = printer_spec(&args);
    let agent = Arc::new(Agent {
        hub: Hub::new(args.hub, args.token, spec),
        printer: args.printer,
        journal: Mutex::new(journal),
        max_backoff: Duration::from_secs(args.max_backoff),
        wait: args.wait,
        print_wake: Notify::new(),
        ack_wake: Notify::new(),
        state_wake: Notify::new(),
        printer_state: Mutex::new(("ready", None, true)),
        following: Mutex::new(None),
    });
    tracing::info!(held, owed, printer = ?agent.printer, "agent started");
    if args.once {
        return agent.once().await;
    }
    agent.check_printer().await;
    tokio::spawn(agent.clone().fetch_loop());
    tokio::spawn(agent.clone().print_loop());
    tokio::spawn(agent.clone().ack_loop());
    tokio::spawn(agent.clone().report_loop());
    shutdown().await;
    tracing::info!("stopping; the journal holds what is left");
    ExitCode::SUCCESS
}

fn parse_dpi(s: &str) -> Result<u16, String> {
    match s {
        "203" => Ok(203),
        "300" => Ok(300),
        _ => Err("203 or 300".into()),
    }
}

/// The printer as reported to the hub: the flags, with a Zebra on raw TCP taken to speak ZPL.
fn printer_spec(args: &Args) -> PrinterSpec {
    let language = match args.printer_language.as_deref() {
        Some("zpl") => Some("zpl"),
        Some(_) => Some("pdf"),
        // A raw printer answering `~HS` is a Zebra; one without status may take PDF.
        None => matches!(args.printer, Printer::Tcp { status: true, .. }).then_some("zpl"),
    };
    PrinterSpec {
        language,
        dpi: args.dpi,
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
