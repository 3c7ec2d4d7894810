//! A private PostgreSQL cluster a test may stop, kill and fail over (the machine's shared
//! cluster on 5432 is never touched): `initdb` into a temporary directory, a free loopback
//! port, run as the `postgres` user (`runuser` when the test runs as root). Standbys stream
//! from a primary (`pg_basebackup -R`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The directory of the newest installed PostgreSQL server binaries; `None` (and a note)
/// outside CI when there are none; under `CI=true` a panic.
pub fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Some(bin);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)");
    }
    eprintln!("skipped: no PostgreSQL server binaries for a private cluster");
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

pub struct PgCluster {
    bin: PathBuf,
    /// Holds the data directory (removed with it).
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub port: u16,
    log: PathBuf,
}

impl PgCluster {
    /// A fresh primary (trust authentication, replication allowed on loopback), started.
    pub fn primary(bin: &Path) -> PgCluster {
        let c = PgCluster::empty(bin);
        c.run(
            "initdb",
            &[
                "-D",
                c.data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        c.append_conf(&format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nwal_level = replica\nmax_wal_senders = 5\nwal_keep_size = '64MB'\n",
            c.port,
            c.socket_dir().display()
        ));
        c.start();
        c
    }

    /// A streaming standby of `primary` (`pg_basebackup -R`), started. Its connection
    /// says `application_name=standby`, the name `synchronous_standby_names` may give.
    pub fn standby_of(primary: &PgCluster) -> PgCluster {
        let c = PgCluster::empty(&primary.bin);
        c.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-D",
                c.data.to_str().unwrap(),
                "-R",
                "-X",
                "stream",
                "-d",
                &format!(
                    "host=127.0.0.1 port={} user=postgres application_name=standby",
                    primary.port
                ),
            ],
        );
        c.append_conf(&format!(
            "port = {}\nunix_socket_directories = '{}'\n",
            c.port,
            c.socket_dir().display()
        ));
        c.start();
        c
    }

    fn empty(bin: &Path) -> PgCluster {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::create_dir(dir.path().join("sock")).unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown the cluster directory to postgres");
        }
        let mut perms = std::fs::metadata(&data).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
        std::fs::set_permissions(&data, perms).unwrap();
        let log = dir.path().join("postgres.log");
        PgCluster {
            bin: bin.to_path_buf(),
            port: free_port(),
            data,
            log,
            _dir: dir,
        }
    }

    fn socket_dir(&self) -> PathBuf {
        self.data.parent().unwrap().join("sock")
    }

    fn append_conf(&self, text: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.data.join("postgresql.conf"))
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    /// Runs one of the server's programs as `postgres`; panics with its output on failure.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let out = self.try_run(program, args);
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}\nlog: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
        out
    }

    fn try_run(&self, program: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).output().expect("run a PostgreSQL program")
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn start(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-l",
                self.log.to_str().unwrap(),
                "-w",
                "-t",
                "30",
                "start",
            ],
        );
    }

    /// `pg_ctl stop -m <mode>` (`fast`: sessions ended, clean shutdown; `immediate`: the
    /// processes quit at once, as a crash would).
    pub fn stop(&self, mode: &str) {
        self.run(
            "pg_ctl",
            &["-D", self.data.to_str().unwrap(), "-m", mode, "-w", "stop"],
        );
    }

    pub fn promote(&self) {
        self.run(
            "pg_ctl",
            &["-D", self.data.to_str().unwrap(), "-w", "promote"],
        );
    }

    /// Runs SQL with psql on this cluster; its unaligned output.
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args([self.url().as_str(), "-v", "ON_ERROR_STOP=1", "-qtAc", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until `sql` answers `want` (replication catching up, a promotion finishing).
    pub fn wait_for(&self, sql: &str, want: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let out = Command::new("psql")
                .args([self.url().as_str(), "-qtAc", sql])
                .output()
                .expect("run psql");
            let got = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{sql}` on port {} answered `{got}`, not `{want}`, within {within:?}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.try_run(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}
