//! A HAProxy in front of several `shiphub serve` instances, as an operator would run one:
//! health checks on `/readyz`, a failed connection retried on another instance (requests are
//! never replayed after they reached an instance: the client retries with its Idempotency-Key).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `haproxy` is installed; under `CI=true` its absence fails the test (`.ci/run` installs it).
pub fn haproxy_present() -> bool {
    let found = Command::new("haproxy")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but haproxy is not installed (apt-get install haproxy)");
        }
        eprintln!("skipped: haproxy not installed");
    }
    found
}

/// A running HAProxy; killed when dropped.
pub struct Haproxy {
    child: Child,
    _dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT` of each frontend, in the order given to `start`.
    pub bases: Vec<String>,
}

/// One frontend: its backends' base URLs (`http://127.0.0.1:PORT`); with `prefer_first`,
/// all traffic goes to the first while it is up and the others are backups (what a print
/// station's long polls use in the takeover test, so that it is known which instance serves it).
pub struct Frontend<'a> {
    pub backends: &'a [&'a str],
    pub prefer_first: bool,
}

impl Haproxy {
    pub fn start(frontends: &[Frontend]) -> Haproxy {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = String::from(
            "global\n  maxconn 2000\n\
             defaults\n  mode http\n  timeout connect 1s\n  timeout client 90s\n  \
             timeout server 90s\n  timeout http-keep-alive 5s\n  retries 3\n  \
             option redispatch\n  retry-on conn-failure\n",
        );
        let mut bases = vec![];
        for (f, front) in frontends.iter().enumerate() {
            let port = super::free_port();
            bases.push(format!("http://127.0.0.1:{port}"));
            cfg.push_str(&format!(
                "frontend f{f}\n  bind 127.0.0.1:{port}\n  default_backend b{f}\n\
                 backend b{f}\n  balance roundrobin\n  option httpchk GET /readyz\n  \
                 http-check expect status 200\n  default-server inter 250ms fall 2 rise 2\n"
            ));
            for (i, b) in front.backends.iter().enumerate() {
                let addr = b.trim_start_matches("http://");
                let backup = if front.prefer_first && i > 0 {
                    " backup"
                } else {
                    ""
                };
                cfg.push_str(&format!("  server s{i} {addr} check{backup}\n"));
            }
        }
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, &cfg).unwrap();
        let mut child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn haproxy");
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[haproxy] {line}");
            }
        });
        // Listening, and every backend seen healthy at least once.
        let deadline = Instant::now() + Duration::from_secs(10);
        for base in &bases {
            let addr = base.trim_start_matches("http://");
            while std::net::TcpStream::connect(addr).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "haproxy did not listen on {addr}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Haproxy {
            child,
            _dir: dir,
            bases,
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
