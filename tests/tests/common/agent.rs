//! The print agent as the printing tests run it: the real `shiphub-print-agent` binary as a
//! child process whose log lines the test can read, and the waiting those tests do.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The agent for `printer` on `hub`, journaling in `journal`, logging at `info` on a piped
/// stderr; the test adds its token, `--wait` and backoff.
pub fn agent_command(hub: &str, printer: &str, journal: &Path) -> Command {
    let mut cmd = Command::new(super::workspace_binary(
        "shiphub-print-agent",
        "shiphub-print-agent",
    ));
    cmd.args(["--hub", hub, "--printer", printer])
        .arg("--journal")
        .arg(journal)
        .env("SHIPHUB_AGENT_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// A running agent and the lines it logged; killed when dropped.
pub struct AgentProc {
    pub child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl AgentProc {
    /// Spawns `cmd` (an `agent_command`) and keeps its stderr lines as they come.
    pub fn spawn(mut cmd: Command) -> AgentProc {
        let mut child = cmd.spawn().expect("spawn shiphub-print-agent");
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[agent] {line}");
                kept.lock().unwrap().push(line);
            }
        });
        AgentProc { child, lines }
    }

    /// How many lines the agent logged containing `what`.
    pub fn count(&self, what: &str) -> usize {
        let lines = self.lines.lock().unwrap();
        lines.iter().filter(|l| l.contains(what)).count()
    }

    /// How many lines the agent logged that `matches`.
    pub fn count_where(&self, matches: impl Fn(&str) -> bool) -> usize {
        let lines = self.lines.lock().unwrap();
        lines.iter().filter(|l| matches(l)).count()
    }

    pub fn logged(&self, what: &str) -> bool {
        self.count(what) > 0
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `check` until it holds; fails the test naming `what` after `secs` seconds.
pub async fn eventually<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
