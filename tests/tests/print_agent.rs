//! The warehouse print agent (`shiphub-print-agent`) against the real hub binary and a fake
//! Zebra printer: a TCP listener that answers `~HS` like a Zebra and captures every job it
//! receives. Covers the four fault cases plus `--once`, print on purchase and the
//! job TTL.

mod common;

use common::{AgentProc, Api, eventually, free_port};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// --- a fake Zebra printer ------------------------------------------------------------------

#[derive(Default)]
struct PrinterState {
    /// Every job received, as text, in arrival order.
    prints: Vec<String>,
    /// `~HS` queries answered so far.
    queries: usize,
    /// Hold the connection that makes this (1-based) query until `release`.
    hold_at: Option<usize>,
    holding: bool,
    paper_out: bool,
}

struct FakePrinter {
    port: u16,
    state: Arc<(Mutex<PrinterState>, Condvar)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakePrinter {
    fn start(port: u16, state: Arc<(Mutex<PrinterState>, Condvar)>) -> FakePrinter {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind fake printer");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (st, halt) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !halt.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((sock, _)) => serve(sock, &st),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakePrinter {
            port,
            state,
            stop,
            thread: Some(thread),
        }
    }

    fn new() -> FakePrinter {
        Self::start(0, Arc::default())
    }

    /// Stops listening: connections are refused until a printer starts on the port again.
    fn stop(mut self) -> Arc<(Mutex<PrinterState>, Condvar)> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.state.clone()
    }

    fn with<T>(&self, f: impl FnOnce(&mut PrinterState) -> T) -> T {
        let mut s = self.state.0.lock().unwrap();
        let out = f(&mut s);
        self.state.1.notify_all();
        out
    }

    fn prints(&self) -> Vec<String> {
        self.with(|s| s.prints.clone())
    }

    fn release(&self) {
        self.with(|s| {
            s.hold_at = None;
            s.holding = false;
        });
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.release();
    }
}

/// One connection: answer `~HS` (holding it when asked to), then capture the rest until EOF.
fn serve(mut sock: TcpStream, state: &Arc<(Mutex<PrinterState>, Condvar)>) {
    sock.set_nonblocking(false).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let (lock, cv) = &**state;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match sock.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if buf.starts_with(b"~HS") {
            buf.drain(..3);
            let paper_out = {
                let mut s = lock.lock().unwrap();
                s.queries += 1;
                if s.hold_at == Some(s.queries) {
                    s.holding = true;
                    cv.notify_all();
                    while s.holding {
                        s = cv.wait(s).unwrap();
                    }
                }
                s.paper_out
            };
            let reply = format!(
                "\u{2}030,{},0,1218,000,0,0,0,000,0,0,0\u{3}\r\n\u{2}001,0,0,0,0,2,4,0,00000000,1,000\u{3}\r\n\u{2}1234,0\u{3}\r\n",
                u8::from(paper_out)
            );
            let _ = sock.write_all(reply.as_bytes());
        }
    }
    if !buf.is_empty() {
        lock.lock()
            .unwrap()
            .prints
            .push(String::from_utf8_lossy(&buf).into_owned());
        cv.notify_all();
    }
}

// --- the agent process ----------------------------------------------------------------------

fn agent_command(hub: &str, token: &str, printer: &str, journal: &std::path::Path) -> Command {
    let mut cmd = common::agent_command(hub, printer, journal);
    cmd.args(["--token", token, "--wait", "5", "--max-backoff", "1"]);
    cmd
}

fn agent(hub: &str, token: &str, port: u16, journal: &std::path::Path) -> AgentProc {
    AgentProc::spawn(agent_command(
        hub,
        token,
        &format!("tcp://127.0.0.1:{port}"),
        journal,
    ))
}

// --- the hub's API ----------------------------------------------------------------------------

/// A ZPL station: (id, token).
async fn station(api: &Api) -> (String, String) {
    let s = api
        .created(
            "/v1/print-stations",
            json!({"name": "Dock 1 Zebra", "format": "zpl"}),
        )
        .await;
    (
        s["id"].as_str().unwrap().into(),
        s["token"].as_str().unwrap().into(),
    )
}

/// Buys a sandbox shipment (printing it on `station` when given): (shipment id,
/// tracking number, print job id).
async fn buy(api: &Api, station: Option<&str>) -> (String, String, Option<String>) {
    let s = api.buy_sandbox(station).await;
    (
        s["id"].as_str().unwrap().into(),
        s["tracking_number"].as_str().unwrap().into(),
        s["print_job"].as_str().map(String::from),
    )
}

async fn job(api: &Api, shipment: &str, station: &str, copies: u32) -> String {
    let j = api
        .created(
            "/v1/print-jobs",
            json!({"shipment_id": shipment, "station_id": station, "copies": copies}),
        )
        .await;
    assert_eq!(j["status"], "queued");
    assert_eq!(j["format"], "zpl", "the station's format is the default");
    j["id"].as_str().unwrap().into()
}

/// Buys `n` shipments and queues a job for each: (job ids, tracking numbers) in order.
async fn queue_jobs(api: &Api, station: &str, n: usize) -> (Vec<String>, Vec<String>) {
    let mut ids = vec![];
    let mut numbers = vec![];
    for _ in 0..n {
        let (shipment, number, _) = buy(api, None).await;
        ids.push(job(api, &shipment, station, 1).await);
        numbers.push(number);
    }
    (ids, numbers)
}

async fn job_status(api: &Api, id: &str) -> String {
    api.json(&format!("/v1/print-jobs/{id}")).await["status"]
        .as_str()
        .unwrap()
        .into()
}

/// Every job handed to the agent (delivered, or already printed).
async fn all_taken(api: &Api, ids: &[String]) -> bool {
    for id in ids {
        if job_status(api, id).await == "queued" {
            return false;
        }
    }
    true
}

async fn all_in(api: &Api, ids: &[String], status: &str) -> bool {
    for id in ids {
        if job_status(api, id).await != status {
            return false;
        }
    }
    true
}

/// The tracking numbers in printed jobs, one per label (`^XA` … `^XZ`), in print order.
fn printed_numbers(prints: &[String], known: &[String]) -> Vec<String> {
    let mut known = known.to_vec();
    known.dedup();
    let mut out = vec![];
    for p in prints {
        for label in p.split("^XZ").filter(|l| l.contains("^XA")) {
            let found: Vec<_> = known
                .iter()
                .filter(|n| label.contains(n.as_str()))
                .collect();
            assert_eq!(found.len(), 1, "a label names exactly one parcel: {label}");
            out.push(found[0].clone());
        }
    }
    out
}

// --- the tests --------------------------------------------------------------------------------

#[tokio::test]
async fn jobs_created_while_the_agent_runs_print_once_each_in_order() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (station, token) = station(&api).await;
    let printer = FakePrinter::new();
    let journal = tempfile::tempdir().unwrap();
    let _agent = agent(&hub.base, &token, printer.port, journal.path());

    // Two printed on purchase, two queued afterwards (one of them twice), one more on purchase.
    let mut expected = vec![];
    let mut jobs = vec![];
    for _ in 0..2 {
        let (_, number, job) = buy(&api, Some(&station)).await;
        jobs.push(job.expect("print on purchase queues a job"));
        expected.push(number);
    }
    let (shipment, number, _) = buy(&api, None).await;
    jobs.push(job(&api, &shipment, &station, 2).await);
    expected.extend([number.clone(), number]);
    let (more, numbers) = queue_jobs(&api, &station, 1).await;
    jobs.extend(more);
    expected.extend(numbers);
    let (_, number, job) = buy(&api, Some(&station)).await;
    jobs.push(job.unwrap());
    expected.push(number);

    let known: Vec<String> = expected.clone();
    eventually("every job printed at the hub", 30, || {
        all_in(&api, &jobs, "printed")
    })
    .await;
    // Nothing more arrives: each job printed once (the copies job twice, as asked).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(printed_numbers(&printer.prints(), &known), expected);

    let events = api.json("/v1/events?limit=100").await;
    let printed: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "print_job.printed")
        .map(|e| e["data"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(printed, jobs.iter().map(String::as_str).collect::<Vec<_>>());
    let listed = api
        .json(&format!("/v1/print-jobs?station={station}&status=printed"))
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), jobs.len());
    let st = api.json(&format!("/v1/print-stations/{station}")).await;
    assert!(st["last_seen_at"].is_string(), "{st}");
    assert!(st.get("token").is_none(), "the token is never shown again");
}

#[tokio::test]
async fn jobs_held_by_the_agent_print_during_a_hub_outage_and_acks_arrive_after() {
    let mut hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (station, token) = station(&api).await;
    let printer = FakePrinter::new();
    // The printer holds the first job, so the agent is still holding all of them when the
    // hub goes down.
    printer.with(|s| s.hold_at = Some(1));
    let journal = tempfile::tempdir().unwrap();
    let agent = agent(&hub.base, &token, printer.port, journal.path());
    let (jobs, numbers) = queue_jobs(&api, &station, 4).await;
    eventually("the agent took every job", 30, || {
        all_in(&api, &jobs, "delivered")
    })
    .await;
    eventually("the agent received every job", 30, || async {
        agent.count("job received") == 4
    })
    .await;
    eventually("the printer holds the first job", 30, || async {
        printer.with(|s| s.holding)
    })
    .await;

    hub.kill();
    printer.release();
    let deadline = Instant::now() + Duration::from_secs(30);
    while printer.prints().len() < 4 {
        assert!(
            Instant::now() < deadline,
            "jobs did not print during the outage"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(printed_numbers(&printer.prints(), &numbers), numbers);
    // Let acknowledgements fail against the dead hub for a while.
    tokio::time::sleep(Duration::from_secs(2)).await;

    hub.restart();
    eventually("the acknowledgements reached the hub", 30, || {
        all_in(&api, &jobs, "printed")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(printer.prints().len(), 4, "nothing printed twice");
}

#[tokio::test]
async fn a_killed_agent_loses_no_job_and_prints_none_twice() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (station, token) = station(&api).await;
    let printer = FakePrinter::new();
    printer.with(|s| s.hold_at = Some(3));
    let journal = tempfile::tempdir().unwrap();
    let mut first = agent(&hub.base, &token, printer.port, journal.path());
    let (jobs, numbers) = queue_jobs(&api, &station, 6).await;
    eventually("the agent took every job", 30, || all_taken(&api, &jobs)).await;
    eventually("the agent received every job", 30, || async {
        first.count("job received") == 6
    })
    .await;
    eventually("the printer holds the third job", 30, || async {
        printer.with(|s| s.holding)
    })
    .await;
    assert_eq!(printer.prints().len(), 2);

    // SIGKILL mid-queue: two printed, one at the printer's status check, three held.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    printer.release();
    // Jobs delivered to the dead agent are not redelivered for a minute: whatever prints
    // now comes from the journal.
    let _second = agent(&hub.base, &token, printer.port, journal.path());
    eventually("every job printed at the hub", 30, || {
        all_in(&api, &jobs, "printed")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(printed_numbers(&printer.prints(), &numbers), numbers);
}

#[tokio::test]
async fn a_printer_that_refuses_connections_or_is_out_of_paper_holds_jobs_until_it_is_back() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (station, token) = station(&api).await;
    let port = free_port();
    let journal = tempfile::tempdir().unwrap();
    let _agent = agent(&hub.base, &token, port, journal.path());
    let (jobs, numbers) = queue_jobs(&api, &station, 3).await;
    let printer_state = |want: &'static str| {
        let api = &api;
        let station = station.clone();
        async move { api.json(&format!("/v1/print-stations/{station}")).await["printer_state"] == want }
    };
    eventually("the agent reported the printer offline", 30, || {
        printer_state("offline")
    })
    .await;
    // The agent reports the printer at start-up, possibly before it has fetched the jobs.
    eventually("every job delivered to the agent", 30, || {
        all_in(&api, &jobs, "delivered")
    })
    .await;

    // The printer comes up out of paper: still nothing prints.
    let state: Arc<(Mutex<PrinterState>, Condvar)> = Arc::default();
    state.0.lock().unwrap().paper_out = true;
    let printer = FakePrinter::start(port, state);
    eventually("the agent reported paper out", 30, || {
        printer_state("paper_out")
    })
    .await;
    assert!(printer.prints().is_empty());

    printer.with(|s| s.paper_out = false);
    eventually("every job printed at the hub", 30, || {
        all_in(&api, &jobs, "printed")
    })
    .await;
    assert_eq!(printed_numbers(&printer.prints(), &numbers), numbers);
    eventually("the agent reported the printer ready", 30, || {
        printer_state("ready")
    })
    .await;
    // Stop it once more mid-life: the next job waits and prints when it is back.
    let state = printer.stop();
    let (more, more_numbers) = queue_jobs(&api, &station, 1).await;
    eventually("the agent reported the printer offline", 30, || {
        printer_state("offline")
    })
    .await;
    let printer = FakePrinter::start(port, state);
    eventually("the late job printed", 30, || {
        all_in(&api, &more, "printed")
    })
    .await;
    let all: Vec<String> = numbers.iter().chain(&more_numbers).cloned().collect();
    assert_eq!(printed_numbers(&printer.prints(), &all), all);
}

#[tokio::test]
async fn once_mode_prints_what_is_queued_and_exits() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (station, token) = station(&api).await;
    let (jobs, numbers) = queue_jobs(&api, &station, 2).await;
    let out = tempfile::tempdir().unwrap();
    let journal = tempfile::tempdir().unwrap();
    let status = agent_command(
        &hub.base,
        &token,
        &format!("dir:{}", out.path().display()),
        journal.path(),
    )
    .arg("--once")
    .stderr(Stdio::inherit())
    .status()
    .unwrap();
    assert!(status.success(), "{status}");
    for (job, number) in jobs.iter().zip(&numbers) {
        let zpl = std::fs::read_to_string(out.path().join(format!("{job}.zpl"))).unwrap();
        assert!(zpl.contains(number.as_str()) && zpl.contains("^XA"));
    }
    assert!(all_in(&api, &jobs, "printed").await);

    // A wrong token: nothing to print, the journal is empty, exit 0 is still honest.
    let bad = agent_command(&hub.base, "shps_nope", "dir:/nonexistent", journal.path())
        .arg("--once")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(bad.success());
}

#[tokio::test]
async fn the_queue_expires_untaken_jobs_and_refuses_what_cannot_print() {
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--print-sweep-interval", "1"],
    );
    let api = Api::of(&hub);
    let (station, token) = station(&api).await;
    let (shipment, _, _) = buy(&api, None).await;
    let (status, job) = api
        .post(
            "/v1/print-jobs",
            json!({"shipment_id": shipment, "station_id": station, "ttl_seconds": 1}),
        )
        .await;
    assert_eq!(status, 201);
    let id = job["id"].as_str().unwrap().to_string();
    eventually("the untaken job expired", 15, || async {
        job_status(&api, &id).await == "expired"
    })
    .await;
    let events = api.json("/v1/events?limit=100").await;
    assert!(
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "print_job.expired" && e["data"]["id"] == id.as_str())
    );
    // An expired job is never handed to an agent.
    let polled: Value = reqwest::Client::new()
        .get(format!("{}/v1/print-stations/self/jobs", hub.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(polled["jobs"], json!([]));

    // Bad input names the field; a voided shipment's label is not printed.
    let (status, p) = api
        .post(
            "/v1/print-jobs",
            json!({"shipment_id": shipment, "station_id": station, "format": "png"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["pointer"], "/format", "{p}");
    let (status, p) = api
        .post(
            "/v1/print-jobs",
            json!({"shipment_id": shipment, "station_id": station, "copies": 0}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["pointer"], "/copies", "{p}");
    let (status, p) = api
        .post(
            "/v1/shipments",
            json!({"from":{"name":"S","street":["1 A St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
                   "to":{"name":"R","street":["1 B St"],"city":"Austin","state":"TX","postal_code":"73301","country":"US"},
                   "parcels":[{"weight":{"value":"1","unit":"kg"}}],
                   "carrier_account": api.account, "service": "standard", "print_station": "pst_nope"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["pointer"], "/print_station", "{p}");
    let (status, _) = api
        .post(&format!("/v1/shipments/{shipment}/void"), json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .post(
            "/v1/print-jobs",
            json!({"shipment_id": shipment, "station_id": station}),
        )
        .await;
    assert_eq!(status, 409);
    // The agent's endpoints refuse API keys, and the tenant's endpoints refuse station tokens.
    let res = reqwest::Client::new()
        .get(format!("{}/v1/print-stations/self/jobs", hub.base))
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = reqwest::Client::new()
        .get(format!("{}/v1/print-jobs", hub.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_agent_reports_its_printer_and_jobs_come_in_its_language_and_resolution() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    // Declared as an office printer at 203 dpi; the agent really drives a 300 dpi Zebra.
    let s = api
        .created(
            "/v1/print-stations",
            json!({"name": "Dock 4", "format": "pdf"}),
        )
        .await;
    let station = s["id"].as_str().unwrap().to_string();
    let token = s["token"].as_str().unwrap().to_string();
    let (shipment, number, _) = buy(&api, None).await;
    let mut queued = vec![];
    for stock in ["4x6", "letter-2up"] {
        let j = api
            .created(
                "/v1/print-jobs",
                json!({"shipment_id": shipment, "station_id": station, "stock": stock}),
            )
            .await;
        assert_eq!(j["format"], "pdf");
        queued.push(j["id"].as_str().unwrap().to_string());
    }

    let out = tempfile::tempdir().unwrap();
    let journal = tempfile::tempdir().unwrap();
    let status = agent_command(
        &hub.base,
        &token,
        &format!("dir:{}", out.path().display()),
        journal.path(),
    )
    .args(["--printer-language", "zpl", "--dpi", "300", "--once"])
    .stderr(Stdio::inherit())
    .status()
    .unwrap();
    assert!(status.success(), "{status}");

    // The queued 4×6 job came as ZPL at 300 dpi (4 × 6 in = 1200 × 1800 dots) and printed.
    let zpl = std::fs::read_to_string(out.path().join(format!("{}.zpl", queued[0]))).unwrap();
    assert!(zpl.contains(number.as_str()), "{zpl}");
    assert!(zpl.contains("^PW1200") && zpl.contains("^LL1800"), "{zpl}");
    assert!(!out.path().join(format!("{}.pdf", queued[0])).exists());
    let first = api.json(&format!("/v1/print-jobs/{}", queued[0])).await;
    assert_eq!(
        (&first["status"], &first["format"], &first["dpi"]),
        (&json!("printed"), &json!("zpl"), &json!(300))
    );
    // A sheet cannot go to a Zebra: the hub failed it, saying why; nothing reached the printer.
    let sheet = api.json(&format!("/v1/print-jobs/{}", queued[1])).await;
    assert_eq!(sheet["status"], "failed", "{sheet}");
    assert!(sheet["detail"].as_str().unwrap().contains("ZPL"), "{sheet}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
    let events = api.json("/v1/events?limit=100").await;
    assert!(
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "print_job.failed" && e["data"]["id"] == queued[1].as_str())
    );

    // The station now shows what the agent reported, and new jobs follow it.
    let s = api.json(&format!("/v1/print-stations/{station}")).await;
    assert_eq!(
        (&s["format"], &s["dpi"], &s["printer_reported"]),
        (&json!("zpl"), &json!(300), &json!(true))
    );
    for (extra, at) in [
        (json!({"format": "pdf"}), "/format"),
        (json!({"stock": "a4-2up"}), "/stock"),
        (json!({"dpi": 203}), "/dpi"),
    ] {
        let mut body = json!({"shipment_id": shipment, "station_id": station});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, p) = api.post("/v1/print-jobs", body.clone()).await;
        assert_eq!(status, 422, "{body}: {p}");
        assert_eq!(p["errors"][0]["pointer"], at, "{body}: {p}");
    }
    let j = api
        .created(
            "/v1/print-jobs",
            json!({"shipment_id": shipment, "station_id": station}),
        )
        .await;
    assert_eq!((&j["format"], &j["dpi"]), (&json!("zpl"), &json!(300)));

    // Flags outside what the hub takes are refused by the agent before it starts.
    let bad = agent_command(&hub.base, &token, "dir:/nonexistent", journal.path())
        .args(["--dpi", "600", "--once"])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!bad.success());
}
