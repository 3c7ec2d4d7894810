//! Printers: raw TCP (Zebra-style, port 9100), a CUPS queue (`lp`, then followed: `cups.rs`),
//! or a directory.
//!
//! Before sending a ZPL job over TCP the agent asks the printer for its host status (`~HS`)
//! and holds the job while the printer reports paper out, pause, head open or ribbon out.
//! Zebra firmware does not answer `~HS` at all in some of those states (media out, ribbon
//! out, head open), so silence counts as "not ready" too.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cups;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);
const SEND_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Printer {
    /// `tcp://HOST:PORT`; `status` = ask `~HS` before ZPL jobs.
    Tcp { addr: String, status: bool },
    /// `cups:QUEUE`
    Cups { queue: String },
    /// `dir:PATH` — each copy written as a file (drop folders, tests, archiving).
    Dir { path: PathBuf },
}

impl std::str::FromStr for Printer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(rest) = s.strip_prefix("tcp://") {
            let (addr, query) = rest.split_once('?').unwrap_or((rest, ""));
            let addr = if addr.contains(':') {
                addr.to_string()
            } else {
                format!("{addr}:9100")
            };
            if addr.starts_with(':') {
                return Err(format!("`{s}`: a host is required (tcp://HOST:9100)"));
            }
            let status = match query {
                "" => true,
                "status=none" => false,
                other => return Err(format!("`{s}`: unknown option `{other}` (status=none)")),
            };
            return Ok(Printer::Tcp { addr, status });
        }
        if let Some(queue) = s.strip_prefix("cups:") {
            if queue.is_empty() || queue.contains(char::is_whitespace) {
                return Err(format!("`{s}`: a CUPS queue name is required"));
            }
            return Ok(Printer::Cups {
                queue: queue.into(),
            });
        }
        if let Some(path) = s.strip_prefix("dir:") {
            if path.is_empty() {
                return Err(format!("`{s}`: a directory is required"));
            }
            return Ok(Printer::Dir { path: path.into() });
        }
        Err(format!(
            "`{s}`: expected tcp://HOST:PORT, cups:QUEUE or dir:PATH"
        ))
    }
}

/// Why a job did not print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintError {
    /// Worth waiting for: the job stays queued. `state` is reported to the hub.
    NotReady { state: &'static str, detail: String },
    /// This printer cannot print this job; retrying will not help.
    Rejected(String),
}

impl std::fmt::Display for PrintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrintError::NotReady { state, detail } => write!(f, "printer {state}: {detail}"),
            PrintError::Rejected(d) => write!(f, "rejected: {d}"),
        }
    }
}

fn offline(what: &str, e: impl std::fmt::Display) -> PrintError {
    PrintError::NotReady {
        state: "offline",
        detail: format!("{what}: {e}"),
    }
}

/// The three `~HS` strings, parsed for the flags that stop printing.
pub fn parse_host_status(reply: &[u8]) -> Result<(), PrintError> {
    let text = String::from_utf8_lossy(reply);
    let strings: Vec<Vec<&str>> = text
        .split('\u{2}')
        .filter_map(|s| s.split('\u{3}').next())
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.split(',').map(str::trim).collect())
        .collect();
    let flag = |string: usize, field: usize| {
        strings
            .get(string)
            .and_then(|s| s.get(field))
            .is_some_and(|v| *v == "1")
    };
    if strings.len() < 2 || strings[0].len() < 12 || strings[1].len() < 11 {
        return Err(PrintError::NotReady {
            state: "error",
            detail: format!("unreadable ~HS reply {text:?}"),
        });
    }
    let not_ready = |state, detail: &str| {
        Err(PrintError::NotReady {
            state,
            detail: detail.into(),
        })
    };
    // String 1: aaa,b(paper out),c(pause),...; string 2: mmm,n,o(head up),p(ribbon out),...
    if flag(0, 1) {
        return not_ready("paper_out", "the printer reports paper out");
    }
    if flag(1, 2) {
        return not_ready("head_open", "the printer reports its head open");
    }
    if flag(1, 3) {
        return not_ready("ribbon_out", "the printer reports ribbon out");
    }
    if flag(0, 2) {
        return not_ready("paused", "the printer is paused");
    }
    Ok(())
}

async fn host_status(stream: &mut TcpStream) -> Result<(), PrintError> {
    stream
        .write_all(b"~HS")
        .await
        .map_err(|e| offline("sending ~HS", e))?;
    let mut reply = Vec::with_capacity(128);
    let read = async {
        let mut buf = [0u8; 256];
        // Three strings, each ending in ETX.
        while reply.iter().filter(|b| **b == 3).count() < 3 {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "closed the connection",
                ));
            }
            reply.extend_from_slice(&buf[..n]);
        }
        Ok::<_, io::Error>(())
    };
    match tokio::time::timeout(STATUS_TIMEOUT, read).await {
        Err(_) => Err(PrintError::NotReady {
            state: "error",
            detail: "no answer to ~HS (media out, ribbon out or head open?)".into(),
        }),
        Ok(Err(e)) => Err(offline("reading ~HS", e)),
        Ok(Ok(())) => parse_host_status(&reply),
    }
}

impl Printer {
    /// Prints `copies` of `doc`. `before_send` runs once the printer is known ready, right
    /// before the first byte of the document leaves (the journal's `start`); when it fails
    /// nothing is sent. `not_sent` runs when, after `before_send`, the printer refused the job
    /// before taking any of it (a failed `lp`). `Ok(Some(id))`: a CUPS queue holds the job
    /// as `id`, to be followed until CUPS has printed it; `Ok(None)`: the printer took it.
    /// `title` names the job where the printer shows one (CUPS), `file` where it is a file.
    #[allow(clippy::too_many_arguments)]
    pub async fn print(
        &self,
        doc: &[u8],
        zpl: bool,
        copies: u32,
        title: &str,
        file: &str,
        before_send: &mut (dyn FnMut() -> io::Result<()> + Send),
        not_sent: &mut (dyn FnMut() -> io::Result<()> + Send),
    ) -> Result<Option<String>, PrintError> {
        let journal_error = |e: io::Error| PrintError::NotReady {
            state: "error",
            detail: format!("journal: {e}"),
        };
        match self {
            Printer::Tcp { status: true, .. } if !zpl => Err(PrintError::Rejected(
                "a ZPL printer cannot print a PDF job: queue it as zpl, or use \
                 tcp://HOST:PORT?status=none for a printer that takes PDF over raw TCP"
                    .into(),
            )),
            Printer::Tcp { addr, status } => {
                let mut stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
                    .await
                    .map_err(|_| offline(addr, "connection timed out"))?
                    .map_err(|e| offline(addr, e))?;
                if *status && zpl {
                    host_status(&mut stream).await?;
                }
                before_send().map_err(journal_error)?;
                let send = async {
                    for _ in 0..copies {
                        stream.write_all(doc).await?;
                    }
                    stream.flush().await?;
                    stream.shutdown().await
                };
                tokio::time::timeout(SEND_TIMEOUT, send)
                    .await
                    .map_err(|_| offline(addr, "sending timed out"))?
                    .map_err(|e| offline(addr, e))
                    .map(|()| None)
            }
            Printer::Cups { queue } => {
                // Scheduler down, no such queue, queue stopped: said so, and the job stays
                // here rather than waiting unseen in CUPS.
                let server = cups::Server::from_env();
                cups::queue_state(&server, queue).await?;
                let mut cmd = tokio::process::Command::new("lp");
                cmd.args(cups::lp_args(queue, copies, title, zpl, doc))
                    // lp's "request id is …" is parsed: untranslated.
                    .env("LC_ALL", "C")
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = cmd.spawn().map_err(|e| PrintError::NotReady {
                    state: "error",
                    detail: format!("cannot run lp: {e}"),
                })?;
                if let Err(e) = before_send() {
                    let _ = child.kill().await;
                    return Err(journal_error(e));
                }
                let mut stdin = child.stdin.take().expect("piped stdin");
                // A write error shows as lp's own failure (it submits nothing then).
                let _ = stdin.write_all(doc).await;
                drop(stdin);
                let out = child.wait_with_output().await;
                let mut lp_failed = |detail: String| {
                    // lp submits nothing unless it succeeds: the start does not stand.
                    match not_sent() {
                        Ok(()) => PrintError::NotReady {
                            state: "error",
                            detail,
                        },
                        Err(e) => journal_error(e),
                    }
                };
                let out = out.map_err(|e| lp_failed(format!("lp: {e}")))?;
                if !out.status.success() {
                    return Err(lp_failed(format!(
                        "lp: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                let stdout = String::from_utf8_lossy(&out.stdout);
                match cups::request_id(&stdout) {
                    Some(id) => Ok(Some(id)),
                    // Submitted, but not followable: the start stands (a copy may exist).
                    None => Err(PrintError::NotReady {
                        state: "error",
                        detail: format!("lp gave no request id: {}", stdout.trim()),
                    }),
                }
            }
            Printer::Dir { path } => {
                if !path.is_dir() {
                    return Err(offline(&path.display().to_string(), "no such directory"));
                }
                before_send().map_err(journal_error)?;
                let ext = if zpl { "zpl" } else { "pdf" };
                for copy in 1..=copies {
                    let name = if copies == 1 {
                        format!("{file}.{ext}")
                    } else {
                        format!("{file}-{copy}.{ext}")
                    };
                    write_atomically(&path.join(name), doc)
                        .map_err(|e| offline(&path.display().to_string(), e))?;
                }
                Ok(None)
            }
        }
    }
}

fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("part");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(paper_out: u8, pause: u8, head_up: u8, ribbon_out: u8) -> Vec<u8> {
        format!(
            "\u{2}030,{paper_out},{pause},1218,000,0,0,0,000,0,0,0\u{3}\r\n\
             \u{2}001,0,{head_up},{ribbon_out},0,2,4,0,00000000,1,000\u{3}\r\n\
             \u{2}1234,0\u{3}\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn host_status_flags_hold_the_job() {
        assert_eq!(parse_host_status(&hs(0, 0, 0, 0)), Ok(()));
        let state = |r: Result<(), PrintError>| match r {
            Err(PrintError::NotReady { state, .. }) => state,
            other => panic!("{other:?}"),
        };
        assert_eq!(state(parse_host_status(&hs(1, 0, 0, 0))), "paper_out");
        assert_eq!(state(parse_host_status(&hs(0, 1, 0, 0))), "paused");
        assert_eq!(state(parse_host_status(&hs(0, 0, 1, 0))), "head_open");
        assert_eq!(state(parse_host_status(&hs(0, 0, 0, 1))), "ribbon_out");
        assert_eq!(state(parse_host_status(b"\x02garbage\x03")), "error");
    }

    #[test]
    fn printer_specs_parse_and_bad_ones_say_why() {
        assert_eq!(
            "tcp://10.0.0.5".parse(),
            Ok(Printer::Tcp {
                addr: "10.0.0.5:9100".into(),
                status: true
            })
        );
        assert_eq!(
            "tcp://zebra:6101?status=none".parse(),
            Ok(Printer::Tcp {
                addr: "zebra:6101".into(),
                status: false
            })
        );
        assert_eq!(
            "cups:Dock_3".parse(),
            Ok(Printer::Cups {
                queue: "Dock_3".into()
            })
        );
        assert!("lpt1".parse::<Printer>().unwrap_err().contains("expected"));
        assert!("cups:".parse::<Printer>().is_err());
        assert!("tcp://:9100".parse::<Printer>().is_err());
    }

    #[tokio::test]
    async fn a_directory_printer_writes_every_copy_after_the_journal_start() {
        let dir = tempfile::tempdir().unwrap();
        let p = Printer::Dir {
            path: dir.path().to_path_buf(),
        };
        let mut started = 0;
        p.print(
            b"^XA^XZ",
            true,
            2,
            "T1",
            "pjb_1",
            &mut || {
                started += 1;
                Ok(())
            },
            &mut || Ok(()),
        )
        .await
        .unwrap();
        assert_eq!(started, 1);
        assert_eq!(
            std::fs::read(dir.path().join("pjb_1-2.zpl")).unwrap(),
            b"^XA^XZ"
        );
        // a journal that cannot record the start stops the print
        let err = p
            .print(
                b"x",
                false,
                1,
                "T2",
                "pjb_2",
                &mut || Err(io::Error::other("disk full")),
                &mut || Ok(()),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, PrintError::NotReady { .. }));
        assert!(!dir.path().join("pjb_2.pdf").exists());
        let gone = Printer::Dir {
            path: dir.path().join("missing"),
        };
        assert!(matches!(
            gone.print(b"x", false, 1, "t", "j", &mut || Ok(()), &mut || Ok(()))
                .await,
            Err(PrintError::NotReady {
                state: "offline",
                ..
            })
        ));
    }
}
