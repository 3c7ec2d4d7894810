//! Spawns the real `shiphub` binary on a free loopback port with a temporary SQLite file (or
//! on a PostgreSQL schema of its own, `PgSchema`).

#![allow(dead_code)]

mod agent;
mod api;
mod balancer;
pub mod pgcluster;
mod readme;
mod sink;

// Not every test file uses both.
#[allow(unused_imports)]
pub use agent::*;
#[allow(unused_imports)]
pub use api::*;
#[allow(unused_imports)]
pub use balancer::*;
#[allow(unused_imports)]
pub use readme::{readme_blocks, run_readme, run_readme_with_cli};
#[allow(unused_imports)]
pub use sink::*;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// The `shiphub` binary next to this test's own executable (target/<profile>/). The README's
/// test command (`cargo test --workspace`) builds it with the hub's own tests; a test run of
/// this package alone builds it when it is missing. (Always rebuilding from here is no option:
/// `cargo build -p shiphub` unifies features differently from the workspace test build and
/// would recompile half the graph inside a test.)
pub fn binary() -> PathBuf {
    workspace_binary("shiphub", "shiphub")
}

/// A binary of the workspace next to this test's executable, built when missing (see `binary`).
pub fn workspace_binary(name: &str, package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", package, "--bin", name])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building {name} failed");
    }
    // A binary older than its sources would test old code and pass or fail for the wrong
    // reason (`cargo test -p shiphub-e2e` does not rebuild it): refuse, and say what to run.
    // The sources are the ones cargo's dep-info next to the binary lists (test-only files and
    // fixtures are not among them).
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .expect("binary mtime");
    let dep_info = std::fs::read_to_string(bin.with_extension("d")).unwrap_or_default();
    let newer = sources(&dep_info).find(|src| {
        std::fs::metadata(src)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t > built)
    });
    if let Some(src) = newer {
        panic!(
            "{} is older than its source {}: run `cargo build -p {package} --bin {name}` (or the \
             README's `cargo test --workspace`, which builds it) before this test",
            bin.display(),
            src.display()
        );
    }
    bin
}

/// The sources a Makefile-style dep-info line (`target: a.rs b\ c.rs …`) names.
fn sources(dep_info: &str) -> impl Iterator<Item = PathBuf> + '_ {
    let deps = dep_info
        .lines()
        .next()
        .and_then(|l| l.split_once(": "))
        .map_or("", |(_, deps)| deps);
    let mut paths = vec![];
    let mut cur = String::new();
    let mut chars = deps.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.extend(chars.next()),
            ' ' => {
                if !cur.is_empty() {
                    paths.push(PathBuf::from(std::mem::take(&mut cur)));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        paths.push(PathBuf::from(cur));
    }
    paths.into_iter()
}

pub struct Hub {
    pub child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub db_url: String,
    /// Lines the server printed on stdout (the bootstrap JSON, when there was one).
    pub stdout: Vec<String>,
    /// Extra `serve` arguments, kept for `restart`.
    pub args: Vec<String>,
    /// Lines the server logged on stderr so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Hub {
    /// Kills the server (SIGKILL: no graceful anything), as an outage would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the server to shut down gracefully (SIGTERM), as an orchestrator would.
    pub fn terminate(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// The server's exit status once it has exited, or `None` if it is still running after
    /// `within`.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for shiphub") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same address and database.
    pub fn restart(&mut self) {
        self.kill();
        let addr = self.base.trim_start_matches("http://").to_string();
        let (child, base, _, log) = spawn(&self.db_url, &addr, &self.args);
        self.child = child;
        self.base = base;
        self.log = log;
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn db_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("hub.db").display())
}

/// Runs a CLI subcommand against `db_url` and returns its stdout.
pub fn cli(db_url: &str, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(args)
        .env("DATABASE_URL", db_url)
        .env_remove("SHIPHUB_MASTER_KEY")
        .output()
        .expect("run shiphub");
    assert!(
        out.status.success(),
        "shiphub {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Starts `shiphub serve` on 127.0.0.1:0 in `dir` and waits for its listening line.
pub fn start(dir: tempfile::TempDir) -> Hub {
    start_with(dir, &[])
}

/// `start` with extra `serve` arguments. The carrier simulators and webhook receivers of
/// the tests listen on 127.0.0.1, so the hub runs with the development loopback switch.
pub fn start_with(dir: tempfile::TempDir, args: &[&str]) -> Hub {
    start_strict(dir, &with_dev_loopback(args))
}

fn with_dev_loopback<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = args.to_vec();
    if !args
        .iter()
        .any(|a| *a == "--dev-loopback" || *a == "--webhook-dev-loopback")
    {
        args.insert(0, "--dev-loopback");
    }
    args
}

/// `start_with` without adding the development loopback switch: the production target
/// policy (no loopback, no `http://` carriers or webhooks).
pub fn start_strict(dir: tempfile::TempDir, args: &[&str]) -> Hub {
    let db_url = db_url(dir.path());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (child, base, stdout, log) = spawn(&db_url, "127.0.0.1:0", &args);
    Hub {
        child,
        base,
        dir,
        db_url,
        stdout,
        args,
        log,
    }
}

/// `start_with` on another database (PostgreSQL: see `PgSchema`), in a fresh temporary dir.
pub fn start_on(db_url: &str, args: &[&str]) -> Hub {
    let args = with_dev_loopback(args);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (child, base, stdout, log) = spawn(db_url, "127.0.0.1:0", &args);
    Hub {
        child,
        base,
        dir: tempfile::tempdir().unwrap(),
        db_url: db_url.to_string(),
        stdout,
        args,
        log,
    }
}

/// `start_on` a freshly migrated database with one tenant `name` made by the CLI (a database
/// that is not embedded bootstraps none): the hub and the tenant's API key.
pub fn start_tenant_on(db_url: &str, name: &str, args: &[&str]) -> (Hub, String) {
    cli(db_url, &["migrate", "--database-url", db_url]);
    let tenant: serde_json::Value = serde_json::from_str(
        cli(
            db_url,
            &["tenant", "create", name, "--database-url", db_url],
        )
        .trim(),
    )
    .unwrap();
    let hub = start_on(db_url, args);
    (hub, tenant["api_key"].as_str().unwrap().to_string())
}

/// The master key of hubs on PostgreSQL (an embedded database keeps its own key file).
pub const PG_MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// What `spawn` returns: the child, its base URL, what it printed on stdout before listening,
/// and its stderr lines as they come.
type Spawned = (Child, String, Vec<String>, Arc<Mutex<Vec<String>>>);

/// Spawns `shiphub serve` and waits for its listening line.
fn spawn(db_url: &str, listen: &str, args: &[String]) -> Spawned {
    let mut command = Command::new(binary());
    if db_url.starts_with("postgres") {
        command.env("SHIPHUB_MASTER_KEY", PG_MASTER_KEY);
    } else {
        command.env_remove("SHIPHUB_MASTER_KEY");
    }
    let mut child = command
        .args(["serve", "--listen", listen, "--database-url", db_url])
        .args(args)
        .env_remove("DATABASE_URL")
        .env("SHIPHUB_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shiphub serve");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    let tx2 = tx.clone();
    let log = Arc::new(Mutex::new(vec![]));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            log2.lock().unwrap().push(line.clone());
            if let Some(rest) = line.strip_prefix("shiphub listening on ") {
                let base = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let _ = tx2.send(Err(base));
            }
            eprintln!("[hub] {line}");
        }
    });
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(Ok(line));
        }
    });
    let mut lines = vec![];
    loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(line)) => lines.push(line),
            Ok(Err(base)) => return (child, base, lines, log),
            Err(e) => panic!("shiphub did not start listening: {e}"),
        }
    }
}

/// A PostgreSQL schema of its own for one test, dropped afterwards (psql does the admin).
pub struct PgSchema {
    admin_url: String,
    pub name: String,
}

impl PgSchema {
    /// `None` (and a note) outside CI without `TEST_DATABASE_URL`; under `CI=true` a panic.
    pub fn create(prefix: &str) -> Option<PgSchema> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL test must run");
            }
            eprintln!("skipped: TEST_DATABASE_URL not set, the PostgreSQL half not tested");
            return None;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let schema = PgSchema {
            admin_url,
            name: format!("{prefix}_{}_{nanos}", std::process::id()),
        };
        schema.psql(&format!("CREATE SCHEMA {}", schema.name));
        Some(schema)
    }

    fn psql(&self, sql: &str) {
        let out = Command::new("psql")
            .args([self.admin_url.as_str(), "-v", "ON_ERROR_STOP=1", "-qc", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// What psql prints for `sql` run in this schema (unaligned, tuples only: `a|b` lines).
    pub fn query(&self, sql: &str) -> String {
        let sql = format!("SET search_path TO {}; {sql}", self.name);
        let out = Command::new("psql")
            .args([
                self.admin_url.as_str(),
                "-v",
                "ON_ERROR_STOP=1",
                "-qtAc",
                &sql,
            ])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// The database URL with every session confined to this schema.
    pub fn url(&self) -> String {
        let sep = if self.admin_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}options[search_path]={}", self.admin_url, self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        self.psql(&format!("DROP SCHEMA {} CASCADE", self.name));
    }
}

/// External tools the label checks use: under CI=true their absence fails the test.
pub fn tools_present(tools: &[&str]) -> bool {
    let missing: Vec<_> = tools
        .iter()
        .filter(|t| {
            Command::new(t)
                .arg("-h")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err()
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {missing:?} not installed (apt-get install poppler-utils zbar-tools)");
    }
    eprintln!("skipped barcode check: {missing:?} not installed");
    false
}

/// A command run to its end that must succeed (its stderr tells why not).
pub trait Succeeds {
    fn succeed(&mut self) -> Output;
}

impl Succeeds for Command {
    fn succeed(&mut self) -> Output {
        let out = self.output().expect("run the command");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

/// The text pdftotext reads from a PDF (which it must be able to read).
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Rasterizes a PDF at 300 dpi and returns what zbarimg decodes.
pub fn decode_pdf_barcodes(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("label.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftoppm")
        .args(["-r", "300", "-png"])
        .arg(&path)
        .arg(dir.path().join("page"))
        .status()
        .unwrap();
    assert!(out.success(), "pdftoppm failed");
    let pngs: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert!(!pngs.is_empty(), "pdftoppm produced no page");
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .args(&pngs)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// `shiphub user create` with `password` on standard input: the JSON line it printed.
pub fn cli_user_create(
    hub: &Hub,
    tenant: &str,
    email: &str,
    role: &str,
    password: &str,
) -> serde_json::Value {
    use std::io::Write;
    let mut child = Command::new(binary())
        .args([
            "user", "create", "--tenant", tenant, "--email", email, "--role", role,
        ])
        .args(["--password-stdin", "--database-url", &hub.db_url])
        .env_remove("SHIPHUB_MASTER_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
