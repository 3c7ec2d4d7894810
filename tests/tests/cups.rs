//! The print agent against a real CUPS scheduler (Debian's `cups`, `cups-client`, `cups-pdf`):
//! each test starts its own `cupsd` on a private config, spool and loopback port, so neither
//! the machine's scheduler nor another test is involved, and creates real queues on it: a raw
//! socket queue to a TCP listener of the test (the "printer"), or a cups-pdf queue. The agent
//! talks to it through `lp` and IPP exactly as it would to a warehouse's CUPS.
//!
//! Under CI=true a missing CUPS fails these tests; elsewhere they skip and say so.

mod common;

use common::{AgentProc, Api, eventually, free_port};

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// --- a private CUPS scheduler ---------------------------------------------------------------

const TOOLS: &[&str] = &[
    "cupsd",
    "lpadmin",
    "lp",
    "lpstat",
    "cancel",
    "cupsdisable",
    "cupsenable",
    "ipptool",
];

/// A CUPS program: on PATH, or in the sbin directories a non-login root shell may lack.
fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// True when CUPS is installed; under CI=true its absence fails the test.
fn cups_present() -> bool {
    let missing: Vec<_> = TOOLS.iter().filter(|t| tool(t).is_none()).collect();
    let pdf = Path::new(CUPS_PDF_PPD).exists();
    if missing.is_empty() && pdf {
        return true;
    }
    let what = format!("CUPS tools {missing:?} missing or cups-pdf's PPD absent: {pdf}");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {what} (apt-get install cups cups-client cups-pdf cups-ipp-utils)");
    }
    eprintln!("skipped: {what}");
    false
}

const CUPS_PDF_PPD: &str = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd";

struct Cups {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl Cups {
    /// A scheduler listening on 127.0.0.1:`port` only, with everything under a temporary
    /// directory, no authentication (the tests administer it) and job names public (the
    /// tests read them with `ipptool`).
    fn start_on(port: u16) -> Cups {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["spool", "state", "cache", "log", "tmp", "ppd"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        // Filters run as the unprivileged `lp` user: it must reach the temporary files.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777))
            .unwrap();
        std::fs::write(
            root.join("cupsd.conf"),
            format!(
                "Listen 127.0.0.1:{port}\nLogLevel info\nWebInterface No\nBrowsing No\n\
                 DefaultAuthType None\n<Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
                 <Policy default>\n  JobPrivateValues none\n  <Limit All>\n    Order deny,allow\n  \
                 </Limit>\n</Policy>\n"
            ),
        )
        .unwrap();
        let r = root.display();
        std::fs::write(
            root.join("cups-files.conf"),
            format!(
                "ServerRoot {r}\nRequestRoot {r}/spool\nStateDir {r}/state\nCacheDir {r}/cache\n\
                 TempDir {r}/tmp\nErrorLog {r}/log/error_log\nAccessLog {r}/log/access_log\n\
                 PageLog {r}/log/page_log\n"
            ),
        )
        .unwrap();
        let mut cups = Cups {
            dir,
            port,
            child: None,
        };
        cups.run();
        cups
    }

    fn start() -> Cups {
        Self::start_on(free_port())
    }

    fn run(&mut self) {
        let root = self.dir.path();
        let child = Command::new(tool("cupsd").unwrap())
            .arg("-f")
            .arg("-c")
            .arg(root.join("cupsd.conf"))
            .arg("-s")
            .arg(root.join("cups-files.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start cupsd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.out("lpstat", &["-r"]).contains("scheduler is running") {
            assert!(Instant::now() < deadline, "cupsd did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn cmd(&self, name: &str) -> Command {
        let mut c = Command::new(tool(name).unwrap_or_else(|| name.into()));
        c.env("CUPS_SERVER", self.server()).env("LC_ALL", "C");
        c
    }

    /// Runs a CUPS command; its stdout.
    fn out(&self, name: &str, args: &[&str]) -> String {
        let o = self.cmd(name).args(args).output().expect(name);
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn ok(&self, name: &str, args: &[&str]) {
        let o = self.cmd(name).args(args).output().expect(name);
        assert!(
            o.status.success(),
            "{name} {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// A raw queue (no driver) sending jobs to socket://127.0.0.1:`port`.
    fn raw_queue(&self, name: &str, port: u16) {
        self.ok(
            "lpadmin",
            &[
                "-p",
                name,
                "-v",
                &format!("socket://127.0.0.1:{port}"),
                "-m",
                "raw",
                "-E",
            ],
        );
    }

    /// A cups-pdf queue with cups-pdf's own PPD (default page size: Letter or A4).
    fn pdf_queue(&self, name: &str) {
        self.ok(
            "lpadmin",
            &["-p", name, "-v", "cups-pdf:/", "-P", CUPS_PDF_PPD, "-E"],
        );
    }

    /// The job's attributes as `ipptool` prints them (`name (type) = value` lines).
    fn job_attributes(&self, job: u32) -> String {
        self.out(
            "ipptool",
            &[
                "-tv",
                &format!("ipp://127.0.0.1:{}/jobs/{job}", self.port),
                "get-job-attributes.test",
            ],
        )
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Cups {
    /// A raw queue `Dock` to a fresh printer: the printer.
    fn dock(&self) -> Listener {
        let printer = Listener::start_on(0);
        self.raw_queue("Dock", printer.port);
        printer
    }
}

impl Drop for Cups {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The printer behind a raw queue: captures each connection's bytes.
struct Listener {
    port: u16,
    got: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Listener {
    fn start_on(port: u16) -> Listener {
        let l = TcpListener::bind(("127.0.0.1", port)).expect("bind printer");
        let port = l.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(vec![]));
        let kept = got.clone();
        std::thread::spawn(move || {
            for mut sock in l.incoming().map_while(Result::ok) {
                let mut buf = vec![];
                let _ = sock.read_to_end(&mut buf);
                kept.lock().unwrap().push(buf);
            }
        });
        Listener { port, got }
    }

    fn text(&self) -> String {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }
}

// --- the hub and the agent --------------------------------------------------------------------

/// What every test here starts from: a hub with its bootstrap tenant, and a journal for the
/// agent (one per test, kept across the agent's runs).
struct Rig {
    hub: common::Hub,
    api: Api,
    journal: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let hub = common::start(tempfile::tempdir().unwrap());
        let api = Api::of(&hub);
        Rig {
            hub,
            api,
            journal: tempfile::tempdir().unwrap(),
        }
    }

    /// The agent for `cups:QUEUE` on the scheduler at `server`; the token comes from the
    /// environment, as the README documents.
    fn agent_command(&self, token: &str, server: &str, queue: &str) -> Command {
        let mut cmd = common::agent_command(
            &self.hub.base,
            &format!("cups:{queue}"),
            self.journal.path(),
        );
        cmd.args(["--wait", "2", "--max-backoff", "1"])
            .env("SHIPHUB_STATION_TOKEN", token)
            .env("CUPS_SERVER", server);
        cmd
    }

    /// The agent running in the background.
    fn agent(&self, token: &str, server: &str, queue: &str) -> AgentProc {
        AgentProc::spawn(self.agent_command(token, server, queue))
    }

    /// The agent's `--once` run; its exit code.
    fn once(&self, token: &str, server: &str, queue: &str) -> i32 {
        self.agent_command(token, server, queue)
            .arg("--once")
            .stderr(Stdio::inherit())
            .status()
            .unwrap()
            .code()
            .unwrap()
    }

    /// A station (`zpl` or `pdf`) and one queued job for a fresh shipment with `reference`:
    /// (station id, token, job id, tracking number).
    async fn station_with_job(
        &self,
        format: &str,
        reference: &str,
    ) -> (String, String, String, String) {
        let api = &self.api;
        let s = api
            .post_ok(
                "/v1/print-stations",
                json!({"name": "Dock CUPS", "format": format}),
            )
            .await;
        let mut purchase = common::sandbox_pdf_purchase(&api.account, None);
        purchase["reference"] = json!(reference);
        let shipment = api.post_ok("/v1/shipments", purchase).await;
        let job = api
            .post_ok(
                "/v1/print-jobs",
                json!({"shipment_id": shipment["id"], "station_id": s["id"]}),
            )
            .await;
        (
            s["id"].as_str().unwrap().into(),
            s["token"].as_str().unwrap().into(),
            job["id"].as_str().unwrap().into(),
            shipment["tracking_number"].as_str().unwrap().into(),
        )
    }

    async fn job(&self, id: &str) -> Value {
        self.api.json(&format!("/v1/print-jobs/{id}")).await
    }

    async fn station(&self, id: &str) -> Value {
        self.api.json(&format!("/v1/print-stations/{id}")).await
    }
}

/// A string field of an answer.
fn text<'a>(answer: &'a Value, field: &str) -> &'a str {
    answer[field].as_str().unwrap()
}

// --- the tests --------------------------------------------------------------------------------

#[tokio::test]
async fn a_job_is_printed_once_cups_completed_it_and_is_titled_with_the_parcel() {
    if !cups_present() {
        return;
    }
    let rig = Rig::new();
    let cups = Cups::start();
    let printer = cups.dock();
    let (station, token, job, number) = rig.station_with_job("zpl", "ORDER-CUPS-1").await;
    let _agent = rig.agent(&token, &cups.server(), "Dock");
    eventually("the job is printed", 60, || async {
        rig.job(&job).await["status"] == "printed"
    })
    .await;
    // The printer had every byte by then: CUPS completes a socket job once the device took it.
    let got = printer.text();
    assert!(got.contains("^XA") && got.contains(&number), "{got}");
    let attrs = cups.job_attributes(1);
    assert!(attrs.contains("job-state (enum) = completed"), "{attrs}");
    assert!(
        attrs.contains(&format!(
            "job-name (nameWithoutLanguage) = {number} ORDER-CUPS-1"
        )),
        "{attrs}"
    );
    assert_eq!(rig.station(&station).await["printer_state"], "ready");
}

#[tokio::test]
async fn a_disabled_queue_holds_the_job_and_the_station_says_so() {
    if !cups_present() {
        return;
    }
    let rig = Rig::new();
    let cups = Cups::start();
    let printer = cups.dock();
    cups.ok("cupsdisable", &["Dock"]);
    let (station, token, job, number) = rig.station_with_job("zpl", "ORDER-CUPS-2").await;
    let agent = rig.agent(&token, &cups.server(), "Dock");
    eventually("the station shows the queue stopped", 30, || async {
        rig.station(&station).await["printer_state"] == "paused"
    })
    .await;
    eventually("the agent has tried the job", 30, || async {
        agent.logged("printer not ready; job held")
    })
    .await;
    let s = rig.station(&station).await;
    assert!(
        text(&s, "printer_detail").contains("CUPS queue `Dock` is stopped"),
        "{s}"
    );
    assert_ne!(rig.job(&job).await["status"], "printed");
    assert!(printer.text().is_empty());

    cups.ok("cupsenable", &["Dock"]);
    eventually("the job prints once the queue is enabled", 60, || async {
        rig.job(&job).await["status"] == "printed"
    })
    .await;
    assert!(printer.text().contains(&number));
    eventually("the station is ready again", 10, || async {
        rig.station(&station).await["printer_state"] == "ready"
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_device_keeps_the_job_unprinted_until_it_answers() {
    if !cups_present() {
        return;
    }
    let rig = Rig::new();
    let cups = Cups::start();
    // Nothing listens on the queue's device yet: CUPS's socket backend keeps retrying.
    let port = free_port();
    cups.raw_queue("Dock", port);
    let (station, token, job, number) = rig.station_with_job("zpl", "ORDER-CUPS-3").await;
    let _agent = rig.agent(&token, &cups.server(), "Dock");
    eventually("the station shows the device offline", 60, || async {
        rig.station(&station).await["printer_state"] == "offline"
    })
    .await;
    let s = rig.station(&station).await;
    assert!(
        text(&s, "printer_detail").contains("CUPS job Dock-1"),
        "{s}"
    );
    assert_eq!(rig.job(&job).await["status"], "delivered");

    let printer = Listener::start_on(port);
    eventually("the job prints once the device answers", 90, || async {
        rig.job(&job).await["status"] == "printed"
    })
    .await;
    assert!(printer.text().contains(&number));
}

#[tokio::test]
async fn a_job_cancelled_in_cups_is_reported_cancelled() {
    if !cups_present() {
        return;
    }
    let rig = Rig::new();
    let cups = Cups::start();
    cups.raw_queue("Dock", free_port());
    let (_station, token, job, _) = rig.station_with_job("zpl", "ORDER-CUPS-4").await;
    let agent = rig.agent(&token, &cups.server(), "Dock");
    eventually("CUPS holds the job", 30, || async {
        agent.logged("CUPS took the job")
    })
    .await;
    cups.ok("cancel", &["Dock-1"]);
    eventually("the cancellation reaches the hub", 30, || async {
        rig.job(&job).await["status"] == "failed"
    })
    .await;
    let j = rig.job(&job).await;
    assert!(
        text(&j, "detail").starts_with("cancelled in CUPS (CUPS job Dock-1"),
        "{j}"
    );
}

#[tokio::test]
async fn scheduler_down_and_a_mistyped_queue_are_told_apart_and_a_failed_lp_leaves_no_copy_note() {
    if !cups_present() {
        return;
    }
    let rig = Rig::new();
    let (station, token, job, number) = rig.station_with_job("zpl", "ORDER-CUPS-5").await;
    let port = free_port();
    let server = format!("127.0.0.1:{port}");

    // No scheduler: the job stays in the journal, the station says why.
    let code = rig.once(&token, &server, "Dock");
    assert_eq!(code, 1, "jobs left to print");
    let s = rig.station(&station).await;
    assert_eq!(s["printer_state"], "offline", "{s}");
    assert!(
        text(&s, "printer_detail").starts_with("CUPS scheduler not running"),
        "{s}"
    );

    // The scheduler is up, but the agent names a queue it does not have.
    let cups = Cups::start_on(port);
    let printer = cups.dock();
    let code = rig.once(&token, &server, "Dokc");
    assert_eq!(code, 1);
    let s = rig.station(&station).await;
    assert_eq!(s["printer_state"], "error", "{s}");
    assert!(
        text(&s, "printer_detail").starts_with("no such CUPS queue `Dokc`"),
        "{s}"
    );

    // Restarted on the right queue: printed once, and not as a possible second copy.
    let code = rig.once(&token, &server, "Dock");
    assert_eq!(code, 0);
    let j = rig.job(&job).await;
    assert_eq!(j["status"], "printed", "{j}");
    assert_eq!(j["detail"], Value::Null, "{j}");
    assert_eq!(printer.text().matches(&number as &str).count(), 1);
    assert_eq!(rig.station(&station).await["printer_state"], "ready");
}

#[tokio::test]
async fn a_pdf_label_goes_to_cups_at_its_own_size_unscaled() {
    if !cups_present() || !common::tools_present(&["pdfinfo"]) {
        return;
    }
    let rig = Rig::new();
    let cups = Cups::start();
    cups.pdf_queue("Pdf");
    // cups-pdf's PPD defaults to a full sheet: without the job's media the label comes out
    // fitted onto it.
    let ppd = std::fs::read_to_string(cups.dir.path().join("ppd/Pdf.ppd")).unwrap();
    assert!(
        ppd.contains("*DefaultPageSize: A4") || ppd.contains("*DefaultPageSize: Letter"),
        "{ppd}"
    );
    let reference = format!("CUPSPDF-{}", std::process::id());
    let (_station, token, job, number) = rig.station_with_job("pdf", &reference).await;
    let code = rig.once(&token, &cups.server(), "Pdf");
    assert_eq!(code, 0);
    assert_eq!(rig.job(&job).await["status"], "printed");

    let attrs = cups.job_attributes(1);
    for want in [
        "media (keyword) = Custom.4x6in",
        "print-scaling (keyword) = none",
        "fit-to-page (boolean) = false",
        &format!("job-name (nameWithoutLanguage) = {number} {reference}"),
    ] {
        assert!(attrs.contains(want), "{want} in {attrs}");
    }
    // What came out of cups-pdf (in the job owner's ~/PDF per Debian's cups-pdf.conf, or its
    // anonymous spool): one 4×6 page, not A4 or Letter.
    let dirs = [
        PathBuf::from(std::env::var("HOME").unwrap_or("/root".into())).join("PDF"),
        PathBuf::from("/root/PDF"),
        PathBuf::from("/var/spool/cups-pdf/ANONYMOUS"),
    ];
    let out = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(&reference))
        .unwrap_or_else(|| panic!("no cups-pdf output for {reference} in {dirs:?}"));
    let info = Command::new("pdfinfo").arg(&out).output().unwrap();
    let _ = std::fs::remove_file(&out);
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Page size:       288 x 432 pts"), "{info}");
    assert!(info.contains("Pages:           1"), "{info}");
}
