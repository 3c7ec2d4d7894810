//! A CUPS queue as the agent sees it: jobs go in through `lp` (CUPS's own client, so its
//! options, server choice and authentication apply), and the agent then follows each job
//! and the queue over IPP (Get-Job-Attributes, Get-Printer-Attributes, RFC 8011) until CUPS
//! says the job completed, was cancelled or was aborted.
//!
//! `lpstat` cannot tell a completed job from a cancelled or aborted one (CUPS 2.4 lists all
//! three under `-W completed` with the same "Alerts"), hence IPP. Only two read-only
//! operations and a handful of attributes are needed, so the encoding is written here
//! (RFC 8010 §3) rather than taken from the `ipp` crate, whose client cannot reach CUPS's
//! local domain socket and would add its own HTTP stack to the agent.

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::printer::PrintError;

const IPP_TIMEOUT: Duration = Duration::from_secs(10);
const GET_PRINTER_ATTRIBUTES: u16 = 0x000B;
const GET_JOB_ATTRIBUTES: u16 = 0x0009;

/// Where the CUPS scheduler listens, chosen as `lp` chooses it: `CUPS_SERVER`, then
/// `ServerName` in client.conf, then the local domain socket, then localhost:631.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Server {
    Tcp(String),
    Unix(std::path::PathBuf),
}

impl Server {
    pub fn from_env() -> Server {
        let configured = std::env::var("CUPS_SERVER")
            .ok()
            .filter(|s| !s.is_empty())
            .or_else(|| {
                let conf = std::env::var("CUPS_SERVERROOT").unwrap_or("/etc/cups".into());
                let text = std::fs::read_to_string(format!("{conf}/client.conf")).ok()?;
                text.lines().find_map(|l| {
                    let mut w = l.split_whitespace();
                    (w.next()? == "ServerName").then(|| w.next().map(String::from))?
                })
            });
        match configured {
            Some(s) => Server::parse(&s),
            None if std::path::Path::new("/run/cups/cups.sock").exists() => {
                Server::Unix("/run/cups/cups.sock".into())
            }
            None => Server::Tcp("localhost:631".into()),
        }
    }

    /// `host`, `host:port` or `/path/to/socket`, optionally followed by `/version=…`.
    pub fn parse(s: &str) -> Server {
        let s = s.split("/version=").next().unwrap_or(s);
        if s.starts_with('/') {
            return Server::Unix(s.into());
        }
        let has_port = s
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.ends_with(':') && p.parse::<u16>().is_ok());
        if has_port {
            Server::Tcp(s.into())
        } else {
            let port = std::env::var("IPP_PORT").unwrap_or("631".into());
            Server::Tcp(format!("{s}:{port}"))
        }
    }
}

impl std::fmt::Display for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Server::Tcp(a) => f.write_str(a),
            Server::Unix(p) => write!(f, "{}", p.display()),
        }
    }
}

/// One attribute value, as far as the agent reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(i32),
    Bool(bool),
    Text(String),
    Other,
}

/// An IPP response: status code and the attributes of its object group (printer or job).
#[derive(Debug, Default)]
pub struct Response {
    pub status: u16,
    pub attrs: HashMap<String, Vec<Value>>,
}

impl Response {
    fn int(&self, name: &str) -> Option<i32> {
        match self.attrs.get(name)?.first()? {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
    fn texts(&self, name: &str) -> Vec<&str> {
        self.attrs
            .get(name)
            .map(|v| {
                v.iter()
                    .filter_map(|v| match v {
                        Value::Text(t) => Some(t.as_str()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    fn text(&self, name: &str) -> &str {
        self.texts(name).first().copied().unwrap_or("")
    }
}

/// Encodes a request (RFC 8010 §3.1): version 2.0, the operation attributes, end tag.
pub fn encode_request(op: u16, request_id: u32, target: (&str, &str), wanted: &[&str]) -> Vec<u8> {
    let mut out = vec![2, 0];
    out.extend(op.to_be_bytes());
    out.extend(request_id.to_be_bytes());
    out.push(0x01); // operation-attributes-tag
    let mut attr = |tag: u8, name: &str, value: &str| {
        out.push(tag);
        out.extend((name.len() as u16).to_be_bytes());
        out.extend(name.as_bytes());
        out.extend((value.len() as u16).to_be_bytes());
        out.extend(value.as_bytes());
    };
    attr(0x47, "attributes-charset", "utf-8");
    attr(0x48, "attributes-natural-language", "en");
    attr(0x45, target.0, target.1);
    attr(0x42, "requesting-user-name", "shiphub-print-agent");
    for (i, w) in wanted.iter().enumerate() {
        attr(0x44, if i == 0 { "requested-attributes" } else { "" }, w);
    }
    out.push(0x03); // end-of-attributes-tag
    out
}

/// Decodes a response (RFC 8010 §3.1), keeping the attributes after the operation group.
pub fn decode_response(b: &[u8]) -> Result<Response, String> {
    let bad = || "truncated IPP response".to_string();
    if b.len() < 8 {
        return Err(bad());
    }
    let mut r = Response {
        status: u16::from_be_bytes([b[2], b[3]]),
        ..Response::default()
    };
    let mut i = 8;
    let mut group = 0u8;
    let mut last = String::new();
    let take = |i: &mut usize, n: usize| -> Result<&[u8], String> {
        let s = b.get(*i..*i + n).ok_or_else(bad)?;
        *i += n;
        Ok(s)
    };
    loop {
        let tag = *take(&mut i, 1)?.first().ok_or_else(bad)?;
        if tag == 0x03 {
            break;
        }
        if tag < 0x10 {
            group = tag;
            continue;
        }
        let len = take(&mut i, 2)?;
        let name_len = u16::from_be_bytes([len[0], len[1]]) as usize;
        let name = String::from_utf8_lossy(take(&mut i, name_len)?).into_owned();
        let len = take(&mut i, 2)?;
        let value_len = u16::from_be_bytes([len[0], len[1]]) as usize;
        let raw = take(&mut i, value_len)?;
        let value = match tag {
            0x21 | 0x23 if raw.len() == 4 => {
                Value::Int(i32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]))
            }
            0x22 if raw.len() == 1 => Value::Bool(raw[0] != 0),
            0x30..=0x4F => Value::Text(String::from_utf8_lossy(raw).into_owned()),
            _ => Value::Other,
        };
        // The operation group (charset, language, status-message) is not the object's.
        if group == 0x01 {
            continue;
        }
        if !name.is_empty() {
            last = name;
        }
        r.attrs.entry(last.clone()).or_default().push(value);
    }
    Ok(r)
}

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for T {}

/// The scheduler could not be reached at all.
#[derive(Debug)]
pub struct Down(pub String);

/// POSTs one IPP request. HTTP/1.0, so the answer is never chunked and ends at EOF.
async fn call(server: &Server, path: &str, body: Vec<u8>) -> Result<Response, Down> {
    let exchange = async {
        let mut stream: Box<dyn Stream> = match server {
            Server::Tcp(addr) => Box::new(tokio::net::TcpStream::connect(addr).await?),
            #[cfg(unix)]
            Server::Unix(p) => Box::new(tokio::net::UnixStream::connect(p).await?),
            #[cfg(not(unix))]
            Server::Unix(_) => return Err(io::Error::other("no domain sockets here")),
        };
        let head = format!(
            "POST {path} HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/ipp\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.flush().await?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await?;
        Ok::<_, io::Error>(reply)
    };
    let reply = tokio::time::timeout(IPP_TIMEOUT, exchange)
        .await
        .map_err(|_| Down(format!("no answer from {server}")))?
        .map_err(|e| Down(format!("{server}: {e}")))?;
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| Down(format!("{server}: not an HTTP answer")))?;
    let status_line = String::from_utf8_lossy(&reply[..split]);
    let code = status_line.split_whitespace().nth(1).unwrap_or("");
    if code != "200" {
        let first = status_line.lines().next().unwrap_or("").to_string();
        return Err(Down(format!("{server}: {first}")));
    }
    decode_response(&reply[split + 4..]).map_err(|e| Down(format!("{server}: {e}")))
}

fn scheduler_down(server: &Server, e: Down) -> PrintError {
    PrintError::NotReady {
        state: "offline",
        detail: format!("CUPS scheduler not running ({server}: {})", e.0),
    }
}

/// The queue's state, checked before a job goes in and while one is followed: `Ok` when
/// CUPS would print on it now.
pub async fn queue_state(server: &Server, queue: &str) -> Result<(), PrintError> {
    let req = encode_request(
        GET_PRINTER_ATTRIBUTES,
        1,
        ("printer-uri", &format!("ipp://localhost/printers/{queue}")),
        &[
            "printer-state",
            "printer-state-reasons",
            "printer-state-message",
            "printer-is-accepting-jobs",
        ],
    );
    let r = call(server, &format!("/printers/{queue}"), req)
        .await
        .map_err(|e| scheduler_down(server, e))?;
    if r.status == 0x0406 {
        return Err(PrintError::NotReady {
            state: "error",
            detail: format!("no such CUPS queue `{queue}` on {server} (lpstat -p lists them)"),
        });
    }
    if r.status > 0x00FF {
        return Err(PrintError::NotReady {
            state: "error",
            detail: format!("CUPS answered {:#06x} about queue `{queue}`", r.status),
        });
    }
    printer_verdict(queue, &r)
}

/// Maps a queue's attributes to the agent's printer states (the hub's vocabulary).
pub fn printer_verdict(queue: &str, r: &Response) -> Result<(), PrintError> {
    let reasons: Vec<&str> = r
        .texts("printer-state-reasons")
        .into_iter()
        .filter(|x| *x != "none")
        .collect();
    let message = r.text("printer-state-message");
    let detail = |what: String| {
        let mut d = what;
        if !reasons.is_empty() {
            d += &format!(" [{}]", reasons.join(", "));
        }
        if !message.is_empty() {
            d += &format!(": {message}");
        }
        d
    };
    let not_ready = |state: &'static str, what: String| {
        Err(PrintError::NotReady {
            state,
            detail: detail(what),
        })
    };
    // Reasons ending in -report are informational (RFC 8011 §5.4.12), except offline-report.
    let has = |p: &str| {
        reasons
            .iter()
            .any(|x| x.starts_with(p) && (!x.ends_with("-report") || *x == "offline-report"))
    };
    if r.int("printer-state") == Some(5) {
        let state = if has("paused") { "paused" } else { "error" };
        return not_ready(
            state,
            format!("CUPS queue `{queue}` is stopped (cupsenable {queue} resumes it)"),
        );
    }
    if matches!(
        r.attrs
            .get("printer-is-accepting-jobs")
            .and_then(|v| v.first()),
        Some(Value::Bool(false))
    ) {
        return not_ready(
            "paused",
            format!("CUPS queue `{queue}` rejects jobs (cupsaccept {queue})"),
        );
    }
    if has("media-empty") || has("media-needed") {
        return not_ready("paper_out", format!("CUPS queue `{queue}`: paper out"));
    }
    if has("cover-open") || has("door-open") {
        return not_ready("head_open", format!("CUPS queue `{queue}`: printer open"));
    }
    if has("marker-supply-empty") {
        return not_ready("ribbon_out", format!("CUPS queue `{queue}`: supply out"));
    }
    if has("offline") || has("connecting-to-device") || has("timed-out") || has("shutdown") {
        return not_ready(
            "offline",
            format!("CUPS queue `{queue}`: device unreachable"),
        );
    }
    if reasons.iter().any(|x| x.ends_with("-error")) {
        return not_ready("error", format!("CUPS queue `{queue}` reports an error"));
    }
    Ok(())
}

/// Where a submitted CUPS job stands.
#[derive(Debug, PartialEq, Eq)]
pub enum JobState {
    Completed,
    /// Cancelled or aborted: the job will not print. The detail says which and why.
    Ended(String),
    /// Still in CUPS: pending, held, processing or stopped. `message` is CUPS's word on
    /// what the printer is doing (empty when nothing is said).
    Open {
        state: i32,
        message: String,
        reasons: Vec<String>,
    },
    /// CUPS no longer knows the job (history purged, or a scheduler without history).
    Unknown,
}

pub async fn job_state(server: &Server, job: &str) -> Result<JobState, PrintError> {
    let Some(number) = job
        .rsplit_once('-')
        .and_then(|(_, n)| n.parse::<u32>().ok())
    else {
        return Ok(JobState::Unknown);
    };
    let req = encode_request(
        GET_JOB_ATTRIBUTES,
        2,
        ("job-uri", &format!("ipp://localhost/jobs/{number}")),
        &[
            "job-state",
            "job-state-reasons",
            "job-printer-state-message",
        ],
    );
    let r = call(server, "/jobs/", req)
        .await
        .map_err(|e| scheduler_down(server, e))?;
    if r.status == 0x0406 {
        return Ok(JobState::Unknown);
    }
    Ok(job_verdict(job, &r))
}

/// Maps a job's attributes (RFC 8011 §5.3.7 job-state) to what the agent does with it.
pub fn job_verdict(job: &str, r: &Response) -> JobState {
    let message = r.text("job-printer-state-message").to_string();
    let reasons: Vec<String> = r
        .texts("job-state-reasons")
        .into_iter()
        .filter(|x| *x != "none")
        .map(String::from)
        .collect();
    let why = |what: &str| {
        let mut d = format!("{what} (CUPS job {job}");
        if !reasons.is_empty() {
            d += &format!(", {}", reasons.join(", "));
        }
        d += ")";
        if !message.is_empty() {
            d += &format!(": {message}");
        }
        d
    };
    match r.int("job-state") {
        Some(9) => JobState::Completed,
        Some(7) => JobState::Ended(why("cancelled in CUPS")),
        Some(8) => JobState::Ended(why("aborted by CUPS")),
        Some(state) => JobState::Open {
            state,
            message,
            reasons,
        },
        None => JobState::Unknown,
    }
}

/// `lp` arguments. ZPL goes raw (the queue passes it to the printer untouched); a PDF carries
/// its own page size as the media and asks for no scaling, so a 4×6 label is not fitted onto
/// the queue's default A4 or Letter.
pub fn lp_args(queue: &str, copies: u32, title: &str, zpl: bool, doc: &[u8]) -> Vec<String> {
    let mut args: Vec<String> = ["-d", queue, "-n", &copies.to_string(), "-t", title]
        .map(String::from)
        .into();
    let mut opt = |o: String| args.extend(["-o".to_string(), o]);
    if zpl {
        opt("raw".into());
    } else {
        if let Some(media) = pdf_media(doc) {
            opt(format!("media={media}"));
        }
        // fit-to-page is the CUPS 1.x name, print-scaling the IPP one; both, for every filter.
        opt("fit-to-page=false".into());
        opt("print-scaling=none".into());
    }
    args.push("-".into());
    args
}

/// The CUPS custom media name of a PDF's first page (portrait): `Custom.4x6in` when the page
/// is whole hundredths of an inch, else millimetres (`Custom.105x148mm` for A6).
pub fn pdf_media(doc: &[u8]) -> Option<String> {
    let pdf = lopdf::Document::load_mem(doc).ok()?;
    let page = *pdf.get_pages().values().next()?;
    // MediaBox and Rotate are inheritable from the page tree (ISO 32000-1 §7.7.3.4).
    let inherited = |key: &[u8]| {
        let mut id = page;
        for _ in 0..32 {
            let dict = pdf.get_dictionary(id).ok()?;
            if let Ok(v) = dict.get_deref(key, &pdf) {
                return Some(v.clone());
            }
            id = dict.get(b"Parent").ok()?.as_reference().ok()?;
        }
        None
    };
    let mbox = inherited(b"MediaBox")?;
    let n: Vec<Decimal> = mbox
        .as_array()
        .ok()?
        .iter()
        .map(|o| match o {
            lopdf::Object::Integer(i) => Some(Decimal::from(*i)),
            lopdf::Object::Real(f) => Decimal::from_f32_retain(*f).map(|d| d.round_dp(3)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    if n.len() != 4 {
        return None;
    }
    let (w, h) = ((n[2] - n[0]).abs(), (n[3] - n[1]).abs());
    if w.is_zero() || h.is_zero() {
        return None;
    }
    // Media names are portrait; CUPS turns a landscape page onto it (and so does /Rotate).
    let (w, h) = (w.min(h), w.max(h));
    let inch = Decimal::from(72);
    let (wi, hi) = ((w / inch).round_dp(4), (h / inch).round_dp(4));
    if wi == wi.round_dp(2) && hi == hi.round_dp(2) {
        return Some(format!("Custom.{}x{}in", wi.normalize(), hi.normalize()));
    }
    let mm = |pt: Decimal| (pt * Decimal::new(254, 1) / inch).round_dp(1).normalize();
    Some(format!("Custom.{}x{}mm", mm(w), mm(h)))
}

/// The CUPS job id in `lp`'s answer, "request id is Dock-42 (1 file(s))".
pub fn request_id(lp_stdout: &str) -> Option<String> {
    lp_stdout
        .split("request id is ")
        .nth(1)?
        .split_whitespace()
        .next()
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lp_reports_the_cups_job_id() {
        assert_eq!(
            request_id("request id is Dock_3-42 (1 file(s))\n").as_deref(),
            Some("Dock_3-42")
        );
        assert_eq!(request_id("lp: Error - no default destination"), None);
    }

    #[test]
    fn cups_server_is_found_like_lp_finds_it() {
        assert_eq!(
            Server::parse("127.0.0.1:8631"),
            Server::Tcp("127.0.0.1:8631".into())
        );
        assert_eq!(
            Server::parse("/run/cups/cups.sock"),
            Server::Unix("/run/cups/cups.sock".into())
        );
        assert_eq!(
            Server::parse("print.example:631/version=1.1"),
            Server::Tcp("print.example:631".into())
        );
    }

    /// A Get-Job-Attributes answer as CUPS sends it (RFC 8010 §3.1.1 layout, written by hand).
    fn job_answer(state: u8, reason: &str) -> Vec<u8> {
        let mut b = vec![2, 0, 0, 0, 0, 0, 0, 2, 0x01];
        let attr = |b: &mut Vec<u8>, tag: u8, name: &str, value: &[u8]| {
            b.push(tag);
            b.extend((name.len() as u16).to_be_bytes());
            b.extend(name.as_bytes());
            b.extend((value.len() as u16).to_be_bytes());
            b.extend(value);
        };
        attr(&mut b, 0x47, "attributes-charset", b"utf-8");
        attr(&mut b, 0x48, "attributes-natural-language", b"en");
        b.push(0x02); // job-attributes-tag
        attr(&mut b, 0x23, "job-state", &[0, 0, 0, state]);
        attr(&mut b, 0x44, "job-state-reasons", reason.as_bytes());
        attr(&mut b, 0x44, "", b"job-printing");
        attr(&mut b, 0x41, "job-printer-state-message", b"Filter failed");
        b.push(0x03);
        b
    }

    #[test]
    fn job_states_decode_to_what_the_agent_reports() {
        let r = decode_response(&job_answer(9, "job-completed-successfully")).unwrap();
        assert_eq!(r.status, 0);
        assert_eq!(
            r.texts("job-state-reasons"),
            ["job-completed-successfully", "job-printing"]
        );
        assert_eq!(job_verdict("Q-1", &r), JobState::Completed);
        let cancelled = job_verdict(
            "Q-2",
            &decode_response(&job_answer(7, "job-canceled-by-user")).unwrap(),
        );
        assert!(
            matches!(&cancelled, JobState::Ended(d) if d.starts_with("cancelled in CUPS (CUPS job Q-2, job-canceled-by-user")),
            "{cancelled:?}"
        );
        let aborted = job_verdict(
            "Q-3",
            &decode_response(&job_answer(8, "aborted-by-system")).unwrap(),
        );
        assert!(
            matches!(&aborted, JobState::Ended(d) if d.starts_with("aborted by CUPS") && d.ends_with("Filter failed"))
        );
        assert!(matches!(
            job_verdict("Q-4", &decode_response(&job_answer(5, "none")).unwrap()),
            JobState::Open { state: 5, .. }
        ));
        assert!(decode_response(&job_answer(9, "x")[..20]).is_err());
    }

    #[test]
    fn requests_carry_the_target_and_wanted_attributes() {
        let req = encode_request(
            GET_JOB_ATTRIBUTES,
            7,
            ("job-uri", "ipp://localhost/jobs/3"),
            &["job-state", "job-name"],
        );
        assert_eq!(&req[..8], &[2, 0, 0, 9, 0, 0, 0, 7]);
        let text = String::from_utf8_lossy(&req);
        assert!(text.contains("job-uri") && text.contains("ipp://localhost/jobs/3"));
        // the second keyword is an additional value: empty name
        assert!(req.windows(4).any(|w| w == [0x44, 0, 0, 0]));
        assert_eq!(req.last(), Some(&0x03));
    }

    #[test]
    fn a_stopped_or_unreachable_queue_is_not_ready() {
        let mut r = Response::default();
        let set = |r: &mut Response, k: &str, v: Vec<Value>| {
            r.attrs.insert(k.into(), v);
        };
        set(&mut r, "printer-state", vec![Value::Int(3)]);
        set(
            &mut r,
            "printer-state-reasons",
            vec![Value::Text("none".into())],
        );
        set(&mut r, "printer-is-accepting-jobs", vec![Value::Bool(true)]);
        assert_eq!(printer_verdict("Q", &r), Ok(()));
        set(&mut r, "printer-state", vec![Value::Int(5)]);
        set(
            &mut r,
            "printer-state-reasons",
            vec![Value::Text("paused".into())],
        );
        assert!(matches!(
            printer_verdict("Q", &r),
            Err(PrintError::NotReady {
                state: "paused",
                ..
            })
        ));
        set(&mut r, "printer-state", vec![Value::Int(4)]);
        set(
            &mut r,
            "printer-state-reasons",
            vec![Value::Text("offline-report".into())],
        );
        assert!(matches!(
            printer_verdict("Q", &r),
            Err(PrintError::NotReady {
                state: "offline",
                ..
            })
        ));
        set(
            &mut r,
            "printer-state-reasons",
            vec![Value::Text("media-empty-error".into())],
        );
        assert!(matches!(
            printer_verdict("Q", &r),
            Err(PrintError::NotReady {
                state: "paper_out",
                ..
            })
        ));
        set(
            &mut r,
            "printer-state-reasons",
            vec![Value::Text("toner-low-report".into())],
        );
        assert_eq!(printer_verdict("Q", &r), Ok(()));
    }

    #[test]
    fn pdf_labels_carry_their_page_size_as_media() {
        let pdf = |mbox: &str, rotate: &str| {
            // Minimal PDF (ISO 32000-1 §7.5), MediaBox on the page tree node (inherited).
            let objs = [
                "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
                format!("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [{mbox}] >>"),
                format!("<< /Type /Page /Parent 2 0 R {rotate} >>"),
            ];
            let mut out = b"%PDF-1.4\n".to_vec();
            let mut offsets = vec![];
            for (i, o) in objs.iter().enumerate() {
                offsets.push(out.len());
                out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
            }
            let xref = out.len();
            out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
            for off in offsets {
                out.extend(format!("{off:010} 00000 n \n").as_bytes());
            }
            out.extend(
                format!(
                    "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                    objs.len() + 1
                )
                .as_bytes(),
            );
            out
        };
        assert_eq!(
            pdf_media(&pdf("0 0 288 432", "")).as_deref(),
            Some("Custom.4x6in")
        );
        assert_eq!(
            pdf_media(&pdf("0 0 432 288", "/Rotate 90")).as_deref(),
            Some("Custom.4x6in")
        );
        assert_eq!(
            pdf_media(&pdf("0 0 288 576", "")).as_deref(),
            Some("Custom.4x8in")
        );
        assert_eq!(
            pdf_media(&pdf("0 0 297.64 419.53", "")).as_deref(),
            Some("Custom.105x148mm")
        );
        assert_eq!(pdf_media(b"^XA^XZ"), None);
        let args = lp_args("Dock", 1, "1Z999 ref-7", false, &pdf("0 0 288 432", ""));
        assert_eq!(
            args,
            [
                "-d",
                "Dock",
                "-n",
                "1",
                "-t",
                "1Z999 ref-7",
                "-o",
                "media=Custom.4x6in",
                "-o",
                "fit-to-page=false",
                "-o",
                "print-scaling=none",
                "-"
            ]
        );
        assert_eq!(
            lp_args("Dock", 2, "t", true, b"^XA^XZ"),
            ["-d", "Dock", "-n", "2", "-t", "t", "-o", "raw", "-"]
        );
    }
}
