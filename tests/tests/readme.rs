//! A newcomer's first ten minutes, through the real binary: the README's walk-through and its
//! offline command-line examples run as written (the blocks marked `<!-- readme-test: … -->`,
//! in `sh -eu`, given only what a reader has: the key `serve` printed and the hub's address),
//! the first start on PostgreSQL, the master-key check before any migration, a refused
//! database connection reported at once, the CLI showing the API's error detail, the
//! container health check, and what the Dockerfile builds and runs.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// Runs a command to its end, killing it after `limit`; returns its output.
fn run_bounded(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = vec![];
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let err = pipe(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{cmd:?} did not finish within {limit:?}; stderr so far: {}",
                String::from_utf8_lossy(&err.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `shiphub ARGS` in `dir`, with no database or key from the caller's environment.
fn shiphub(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(common::binary());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("SHIPHUB_MASTER_KEY")
        .env_remove("SHIPHUB_LISTEN")
        .env("SHIPHUB_LOG", "warn");
    cmd
}

/// A running `shiphub serve`, killed on drop.
struct Serve {
    child: Child,
    base: String,
    /// What it printed on stdout before it listened (the bootstrap JSON line, if any).
    stdout: Vec<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// The first start's `{"tenant":"default","api_key":…,"carrier_account":…}` line.
    fn bootstrap(&self) -> Value {
        let line = self
            .stdout
            .iter()
            .find(|l| l.contains("api_key"))
            .unwrap_or_else(|| panic!("serve printed no API key; stdout: {:?}", self.stdout));
        serde_json::from_str(line).expect("the bootstrap line is JSON")
    }

    fn port(&self) -> u16 {
        self.base.rsplit(':').next().unwrap().parse().unwrap()
    }
}

/// Starts `cmd` (a `serve`) on a free port (SHIPHUB_LISTEN, as a reader moves the port) and
/// waits for its listening line.
fn serve(mut cmd: Command) -> Serve {
    let mut child = cmd
        .env("SHIPHUB_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shiphub serve");
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("shiphub listening on ") {
                let base = rest.split_whitespace().next().unwrap_or_default();
                let _ = tx2.send(Err(base.to_string()));
            }
            eprintln!("[hub] {line}");
        }
        let _ = tx2.send(Err(String::new()));
    });
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(Ok(line));
        }
    });
    let mut lines = vec![];
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(line)) => lines.push(line),
            Ok(Err(base)) if base.is_empty() => panic!("shiphub serve exited before listening"),
            Ok(Err(base)) => {
                return Serve {
                    child,
                    base,
                    stdout: lines,
                };
            }
            Err(e) => panic!("shiphub serve did not start listening: {e}"),
        }
    }
}

/// GET `url` with the API key; status and JSON body.
fn get(url: &str, key: &str) -> (u16, Value) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let res = reqwest::Client::new()
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .expect("GET");
            let status = res.status().as_u16();
            (status, res.json().await.unwrap_or(Value::Null))
        })
}

/// Runs README blocks in `sh -eu` (any failing command fails the script: `curl -f`, a missing
/// variable) in `dir` with the given environment; panics with the transcript on failure.
fn run_blocks(blocks: &[String], dir: &Path, env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-eux")
        .arg("-c")
        .arg(blocks.join("\n"))
        .current_dir(dir)
        .env_remove("KEY")
        .env_remove("HUB")
        .env_remove("DATABASE_URL")
        .env_remove("SHIPHUB_MASTER_KEY")
        .env_remove("SHIPHUB_LISTEN")
        .env("SHIPHUB_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run_bounded(cmd, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "README block failed ({}):\n--- stdout\n{}\n--- stderr (trace)\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

#[test]
fn readme_walkthrough_runs_as_written_against_the_built_binary() {
    let dir = tempfile::tempdir().unwrap();
    // The README's first command, in an empty directory: the embedded database and its key
    // file appear there.
    let two = read("README.md");
    assert!(
        two.contains("cargo run --release -p shiphub -- serve\n"),
        "the README starts the hub with `… -- serve`"
    );
    let hub = serve(shiphub(dir.path(), &["serve"]));
    let boot = hub.bootstrap();
    let key = boot["api_key"].as_str().unwrap().to_string();
    assert!(
        dir.path().join("shiphub-master.key").exists(),
        "the README says the key file is beside the database"
    );

    let out = run_blocks(
        &common::readme_blocks("walkthrough"),
        dir.path(),
        &[("KEY", key.clone()), ("HUB", hub.base.clone())],
    );
    let stdout = text(&out.stdout);

    let zpl = std::fs::read_to_string(dir.path().join("label-4x8.zpl"))
        .expect("step 3 wrote label-4x8.zpl");
    assert!(
        zpl.contains("^PW1200") && zpl.contains("^LL2400"),
        "4x8 in at 300 dpi: {zpl}"
    );
    let label = std::fs::read(dir.path().join("label.pdf")).expect("step 3 wrote label.pdf");
    assert!(
        label.starts_with(b"%PDF"),
        "label.pdf is not a PDF: {:?}",
        text(&label[..label.len().min(200)])
    );
    // Exactly one shipment was bought, with the account serve created, and step 4 voided it.
    let (status, list) = get(&format!("{}/v1/shipments", hub.base), &key);
    assert_eq!(status, 200);
    let shipments = list["data"].as_array().expect("a shipment list");
    assert_eq!(shipments.len(), 1, "{list}");
    let id = shipments[0]["id"].as_str().unwrap();
    let (_, shipment) = get(&format!("{}/v1/shipments/{id}", hub.base), &key);
    assert_eq!(shipment["status"], "voided", "{shipment}");
    assert_eq!(shipment["carrier_account"], boot["carrier_account"]);
    assert!(
        stdout.contains(id) && stdout.contains("\"voided\""),
        "the void's answer is shown: {stdout}"
    );
}

#[test]
fn readme_observability_block_runs_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let hub = serve(shiphub(dir.path(), &["serve"]));
    let out = run_blocks(
        &common::readme_blocks("observability"),
        dir.path(),
        &[("HUB", hub.base.clone())],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("# HELP shiphub_unrecorded_purchases_total ")
            && stdout.contains("shiphub_unrecorded_purchases_total 0"),
        "{stdout}"
    );
}

#[test]
fn readme_printing_section_runs_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let hub = serve(shiphub(dir.path(), &["serve"]));
    let key = hub.bootstrap()["api_key"].as_str().unwrap().to_string();
    // The section says: the agent on the PATH, after the walk-through's first block.
    let agent = common::workspace_binary("shiphub-print-agent", "shiphub-print-agent");
    let path = format!(
        "{}:{}",
        agent.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut blocks = common::readme_blocks("walkthrough")[..1].to_vec();
    blocks.extend(common::readme_blocks("printing"));
    let out = run_blocks(
        &blocks,
        dir.path(),
        &[("KEY", key), ("HUB", hub.base.clone()), ("PATH", path)],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\"status\":422") && stdout.contains("\"pointer\":\"/stock\""),
        "the sheet for a Zebra is refused naming /stock: {stdout}"
    );
    let printed: Vec<_> = std::fs::read_dir(dir.path().join("printed"))
        .expect("the agent printed into printed/")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(printed.len(), 1, "{printed:?}");
    let zpl = std::fs::read_to_string(&printed[0]).unwrap();
    assert!(
        printed[0].extension().is_some_and(|e| e == "zpl")
            && zpl.contains("^PW1200")
            && zpl.contains("^LL2400"),
        "4x8 in at 300 dpi: {zpl}"
    );
}

#[test]
fn readme_offline_cli_examples_run_as_written() {
    let dir = tempfile::tempdir().unwrap();
    // From the repository root, as the README says: the examples' files are where it names
    // them. (Linked, so the outputs land in the temp directory, not in the checkout.)
    std::os::unix::fs::symlink(repo().join("rating"), dir.path().join("rating")).unwrap();
    let bin_dir = common::binary().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = run_blocks(&common::readme_blocks("cli"), dir.path(), &[("PATH", path)]);
    let stdout = text(&out.stdout);

    assert!(stdout.contains("\"tenant\":\"acme\"") && stdout.contains("sh_"));
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("openapi.json")).unwrap()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/v1/shipments"].is_object());
    assert!(stdout.contains("USD"), "the rate example prices: {stdout}");
    assert!(stdout.contains("on-time%"), "analytics prints its table");

    // The audit read every package of the sample (column 21 holds the tracking numbers).
    let sample = read("rating/examples/ups-invoice-sample.csv");
    let mut tracking: Vec<&str> = sample
        .lines()
        .filter_map(|l| l.split(',').nth(20))
        .filter(|t| !t.is_empty())
        .collect();
    tracking.dedup();
    assert_eq!(tracking.len(), 3, "the sample has three packages");
    let report = std::fs::read_to_string(dir.path().join("audit.csv")).expect("audit.csv");
    for t in tracking {
        assert!(report.contains(t), "{t} missing from the audit report");
    }
    assert!(
        text(&out.stderr).contains("0 unreadable rows"),
        "every row of the sample is readable: {}",
        text(&out.stderr)
    );
}

#[test]
fn readme_states_the_guarantees_and_where_the_key_lives() {
    let readme = read("README.md");
    let section = readme
        .split("\n## Guarantees\n")
        .nth(1)
        .expect("README has a Guarantees section")
        .split("\n## ")
        .next()
        .unwrap();
    for needle in [
        "Idempotency-Key",
        "Retry-After",
        "retryable",
        "lease",
        "--carrier-allow",
        "--webhook-allow",
        "https",
    ] {
        assert!(section.contains(needle), "Guarantees must mention {needle}");
    }
    assert!(readme.contains("`shiphub-master.key`, beside the database file"));
    let ignored = read(".gitignore");
    assert!(
        ignored.lines().any(|l| l.trim() == "shiphub-master.key"),
        ".gitignore keeps the master key out of git"
    );
}

#[test]
fn cli_errors_show_the_problem_detail_and_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| run_bounded(shiphub(dir.path(), args), Duration::from_secs(30));
    let out = cli(&[
        "analytics",
        "timeliness",
        "--from",
        "2026-11-30",
        "--to",
        "2026-11-01",
    ]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--to: must not be before `from`"),
        "the reason and the flag: {err}"
    );

    let out = cli(&[
        "analytics",
        "timeliness",
        "--from",
        "2026-13-01",
        "--to",
        "x",
    ]);
    let err = text(&out.stderr);
    assert!(err.contains("--from: must be a date, YYYY-MM-DD"), "{err}");

    // A problem from the store-backed path of `audit`: an unknown contract card.
    let out = shiphub(dir.path(), &["tenant", "create", "acme"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sample = repo().join("rating/examples/ups-invoice-sample.csv");
    let out = cli(&[
        "audit",
        sample.to_str().unwrap(),
        "--carrier",
        "ups",
        "--rate-card",
        "nope",
        "--out",
        "r.csv",
    ]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--rate-card: no rate card named `nope`"),
        "{err}"
    );
}

#[test]
fn a_refused_database_connection_is_reported_at_once_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let url = "postgres://postgres:hunter2@127.0.0.1:1/shiphub";
    for args in [
        vec!["migrate", "--database-url", url],
        vec!["tenant", "create", "acme", "--database-url", url],
    ] {
        let started = Instant::now();
        let out = run_bounded(shiphub(dir.path(), &args), Duration::from_secs(25));
        let err = text(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.to_lowercase().contains("connection refused"),
            "says why: {err}"
        );
        assert!(err.contains("127.0.0.1:1"), "names the target: {err}");
        assert!(!err.contains("hunter2"), "the password is redacted: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn master_key_prints_a_fresh_key_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let key = |_| {
        let out = shiphub(dir.path(), &["master-key"]).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let k = text(&out.stdout).trim().to_string();
        use base64::Engine;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&k)
            .expect("base64");
        assert_eq!(raw.len(), 32);
        k
    };
    let (a, b): (String, String) = (key(0), key(1));
    assert_ne!(a, b);
}

/// A fresh PostgreSQL database for one test, dropped afterwards (`TEST_DATABASE_URL`'s server;
/// absent: skipped, or a failure under CI=true).
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(tag: &str) -> Option<PgDatabase> {
        let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL start-up test must run"
            );
            eprintln!("skipped: TEST_DATABASE_URL not set");
            return None;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("e_readme_{tag}_{}_{nanos}", std::process::id());
        psql(&admin, &format!("CREATE DATABASE {name}"));
        let (server, _) = admin.rsplit_once('/').expect("a database URL");
        let url = format!("{server}/{name}");
        Some(PgDatabase { admin, name, url })
    }

    fn query(&self, sql: &str) -> String {
        psql(&self.url, sql)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.admin.as_str(),
                "-qtAc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qtAc", sql])
        .output()
        .expect("psql (Debian postgresql-client) must be installed");
    assert!(out.status.success(), "psql {sql}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

#[test]
fn serve_on_postgres_checks_the_master_key_first_then_bootstraps_a_default_tenant() {
    let Some(db) = PgDatabase::create("boot") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'";

    // No key: refused with how to make one, before anything is written.
    let out = run_bounded(
        shiphub(
            dir.path(),
            &[
                "serve",
                "--database-url",
                &db.url,
                "--listen",
                "127.0.0.1:0",
            ],
        ),
        Duration::from_secs(30),
    );
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("SHIPHUB_MASTER_KEY") && err.contains("shiphub master-key"),
        "says how to make a key: {err}"
    );
    assert_eq!(db.query(tables), "0", "nothing was migrated");

    // With a key from `shiphub master-key`: a default tenant and a sandbox account, printed.
    let key = text(
        &shiphub(dir.path(), &["master-key"])
            .output()
            .unwrap()
            .stdout,
    )
    .trim()
    .to_string();
    let start = || {
        let mut cmd = shiphub(dir.path(), &["serve", "--database-url", &db.url]);
        cmd.env("SHIPHUB_MASTER_KEY", &key);
        serve(cmd)
    };
    let hub = start();
    let boot = hub.bootstrap();
    assert_eq!(boot["tenant"], "default");
    let api_key = boot["api_key"].as_str().unwrap();
    let (status, accounts) = get(&format!("{}/v1/carrier-accounts", hub.base), api_key);
    assert_eq!(status, 200, "{accounts}");
    assert_eq!(accounts["data"][0]["id"], boot["carrier_account"]);
    assert_eq!(accounts["data"][0]["carrier"], "sandbox");
    drop(hub);

    // A second start finds the tenant and prints no new key.
    let hub = start();
    assert!(
        hub.stdout.iter().all(|l| !l.contains("api_key")),
        "{:?}",
        hub.stdout
    );
    assert_eq!(db.query("SELECT count(*) FROM tenants"), "1");
}

#[test]
fn healthcheck_probes_readyz_at_the_serve_address() {
    let dir = tempfile::tempdir().unwrap();
    let hub = serve(shiphub(dir.path(), &["serve"]));
    let port = hub.port();
    let check = |args: &[&str], listen: Option<String>| {
        let mut cmd = shiphub(dir.path(), args);
        if let Some(l) = listen {
            cmd.env("SHIPHUB_LISTEN", l);
        }
        run_bounded(cmd, Duration::from_secs(20))
    };
    let url = format!("{}/readyz", hub.base);
    assert!(
        check(&["healthcheck", "--url", &url], None)
            .status
            .success()
    );
    // As in the image: no flags, SHIPHUB_LISTEN on every interface, probed on loopback.
    let out = check(&["healthcheck"], Some(format!("0.0.0.0:{port}")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    drop(hub);
    let out = check(&["healthcheck"], Some(format!("0.0.0.0:{port}")));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .to_lowercase()
            .contains("connection refused"),
        "{}",
        text(&out.stderr)
    );
}

/// `["a", "b"]` after `CMD` in a Dockerfile instruction (the exec form).
fn exec_form(line: &str, after: &str) -> Vec<String> {
    let json = line
        .split_once(after)
        .unwrap_or_else(|| panic!("no {after} in {line}"))
        .1
        .trim();
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{line}: not the exec form: {e}"))
}

#[test]
fn dockerfile_builds_and_runs_what_exists() {
    let dockerfile = read("docker/Dockerfile");
    let lines: Vec<&str> = dockerfile.lines().collect();
    let runtime_from = lines
        .iter()
        .position(|l| l.starts_with("FROM ") && l.contains(" AS runtime"))
        .expect("a runtime stage");

    // Binaries in the runtime image: copied from the build stage into /usr/local/bin, each
    // one the build stage builds, each one a real binary of the workspace.
    let built: Vec<&str> = dockerfile
        .split("--bin ")
        .skip(1)
        .map(|s| s.split_whitespace().next().unwrap())
        .collect();
    let mut shipped = vec![];
    for l in &lines[runtime_from..] {
        if let Some(rest) = l.strip_prefix("COPY --from=build /src/target/release/") {
            let (name, dest) = rest.split_once(' ').unwrap();
            assert_eq!(dest.trim(), format!("/usr/local/bin/{name}"));
            assert!(built.contains(&name), "{name} is not built: {built:?}");
            shipped.push(name.to_string());
        }
    }
    assert!(shipped.contains(&"shiphub".to_string()));
    assert!(shipped.contains(&"shiphub-print-agent".to_string()));
    let binary = |name: &str| match name {
        "shiphub" => common::binary(),
        "shiphub-print-agent" => common::workspace_binary(name, "shiphub-print-agent"),
        other => panic!("unknown binary {other}"),
    };
    for name in &shipped {
        let out = Command::new(binary(name)).arg("--help").output().unwrap();
        assert!(out.status.success(), "{name} --help");
    }

    // ENTRYPOINT + CMD is a command the binary accepts.
    let find = |prefix: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}"))
    };
    let mut argv = exec_form(find("ENTRYPOINT "), "ENTRYPOINT");
    argv.extend(exec_form(find("CMD "), "CMD"));
    assert!(shipped.contains(&argv[0]), "{argv:?}");
    let out = Command::new(binary(&argv[0]))
        .args(&argv[1..])
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{argv:?} is not a command");

    // The HEALTHCHECK passes against a ready hub when run as the image runs it: its argv,
    // with the image's SHIPHUB_LISTEN (on this test's port).
    let probe = exec_form(find("HEALTHCHECK "), " CMD ");
    assert!(
        shipped.contains(&probe[0]),
        "{probe:?} uses a shipped binary"
    );
    let listen = dockerfile
        .split("SHIPHUB_LISTEN=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("the image sets SHIPHUB_LISTEN");
    let (host, _) = listen.rsplit_once(':').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hub = serve(shiphub(dir.path(), &["serve"]));
    let mut cmd = Command::new(binary(&probe[0]));
    cmd.args(&probe[1..])
        .env("SHIPHUB_LISTEN", format!("{host}:{}", hub.port()));
    let out = run_bounded(cmd, Duration::from_secs(20));
    assert!(out.status.success(), "HEALTHCHECK: {}", text(&out.stderr));
    drop(hub);

    // Every file the build copies from the context exists.
    for l in &lines {
        if let Some(rest) = l.strip_prefix("COPY ")
            && !rest.starts_with("--from")
        {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            for src in &parts[..parts.len() - 1] {
                assert!(repo().join(src).exists(), "COPY {src}: no such file");
            }
        }
    }

    // The dependency layer: the manifests copied before the sources, with the stub script the
    // Dockerfile runs, make a workspace that resolves against Cargo.lock as it stands.
    let sources_at = lines
        .iter()
        .position(|l| l.trim() == "COPY . .")
        .expect("the sources are copied after the dependency layer");
    let stub = tempfile::tempdir().unwrap();
    for l in &lines[..sources_at] {
        if let Some(rest) = l.strip_prefix("COPY ") {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            for src in &parts[..parts.len() - 1] {
                let to = stub.path().join(src);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(repo().join(src), &to).unwrap();
            }
        }
    }
    // The RUN instruction before the sources (continuation lines joined): its first command.
    let run_at = lines[..sources_at]
        .iter()
        .position(|l| l.starts_with("RUN "))
        .expect("a RUN before the sources");
    let mut stub_run = String::new();
    for l in &lines[run_at..] {
        stub_run.push_str(l.trim_end().trim_end_matches('\\'));
        stub_run.push(' ');
        if !l.trim_end().ends_with('\\') {
            break;
        }
    }
    let script = stub_run["RUN ".len()..].split("&&").next().unwrap().trim();
    let out = Command::new("sh")
        .args(["-euc", script])
        .current_dir(stub.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}: {}", text(&out.stderr));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--locked",
            "--offline",
            "-e",
            "normal",
            "--depth",
            "0",
            "-p",
            "shiphub",
            "-p",
            "shiphub-print-agent",
        ])
        .current_dir(stub.path())
        .env("CARGO_TARGET_DIR", stub.path().join("target"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the stubbed workspace does not resolve: {}",
        text(&out.stderr)
    );
}

#[test]
fn readme_gives_the_agent_its_token_through_the_environment() {
    let readme = read("README.md");
    let agent_lines: Vec<&str> = readme
        .lines()
        .filter(|l| l.contains("shiphub-print-agent --"))
        .collect();
    assert!(
        !agent_lines.is_empty(),
        "the README shows how to run the agent"
    );
    for l in agent_lines {
        // `ps` shows a command line to every user; the environment stays with the process.
        assert!(!l.contains("--token"), "token on the command line: {l}");
        assert!(l.contains("SHIPHUB_STATION_TOKEN="), "{l}");
    }
    // and it is the variable the agent really reads
    let help = Command::new(common::workspace_binary(
        "shiphub-print-agent",
        "shiphub-print-agent",
    ))
    .arg("--help")
    .output()
    .unwrap();
    assert!(text(&help.stdout).contains("SHIPHUB_STATION_TOKEN"));
}

#[test]
fn readme_pickups_section_runs_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let hub = serve(shiphub(dir.path(), &["serve"]));
    let key = hub.bootstrap()["api_key"].as_str().unwrap().to_string();
    let mut blocks = common::readme_blocks("walkthrough")[..1].to_vec();
    blocks.extend(common::readme_blocks("pickups"));
    let out = run_blocks(
        &blocks,
        dir.path(),
        &[("KEY", key.clone()), ("HUB", hub.base.clone())],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\"status\":\"scheduled\"") && stdout.contains("\"status\":\"cancelled\""),
        "the pickup is booked, then cancelled: {stdout}"
    );
    assert!(
        stdout.contains("\"status\":409") && stdout.contains("is in manifest mnf_"),
        "the manifested shipment's void is refused: {stdout}"
    );
    let pdf = std::fs::read(dir.path().join("manifest.pdf")).expect("the block wrote manifest.pdf");
    assert!(pdf.starts_with(b"%PDF"));
    let (status, list) = get(&format!("{}/v1/manifests", hub.base), &key);
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
}

#[test]
fn readme_quotas_section_runs_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let hub = serve(shiphub(dir.path(), &["serve"]));
    let key = hub.bootstrap()["api_key"].as_str().unwrap().to_string();
    let mut blocks = common::readme_blocks("walkthrough")[..1].to_vec();
    blocks.extend(common::readme_blocks("quotas"));
    let out = run_blocks(
        &blocks,
        dir.path(),
        &[("KEY", key.clone()), ("HUB", hub.base.clone())],
    );
    let stdout = text(&out.stdout);
    // Three at once on a 1/s account with a 500 ms deadline: one quoted, the others
    // throttled (two, unless a curl started a second late).
    let throttled = stdout.matches("\"type\":\"throttled\"").count();
    assert!((1..=2).contains(&throttled), "{stdout}");
    // Two orders fit the purchase wait; the others were told to come back, then bought.
    assert!(
        stdout.contains("problems/account-throttled"),
        "a purchase over the quota answers 503: {stdout}"
    );
    for i in 1..=4 {
        assert!(
            stdout.contains(&format!("quota-order-{i}: 201")),
            "order {i} bought: {stdout}"
        );
    }
    let (status, list) = get(&format!("{}/v1/shipments?limit=100", hub.base), &key);
    assert_eq!(status, 200);
    assert_eq!(
        list["data"].as_array().map(Vec::len),
        Some(4),
        "each order bought once: {list}"
    );
}
