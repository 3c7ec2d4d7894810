//! Seen from outside, through the real binary: the `/metrics` scrape (HELP on every metric,
//! the operator gauges counting a scripted set-up), the Prometheus rules and Grafana dashboard
//! in `docker/` naming only metrics the hub emits, OTLP traces of a purchase received by a
//! collector stand-in, and the log format on a redirected stderr.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use common::*;
use prost::Message;
use serde_json::{Value, json};

/// A `/metrics` scrape: every sample by its series (`name{labels}` as rendered), and the
/// `# TYPE` and `# HELP` lines by metric name.
struct Scrape {
    samples: BTreeMap<String, f64>,
    types: BTreeMap<String, String>,
    helps: BTreeMap<String, String>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut s = Scrape {
            samples: BTreeMap::new(),
            types: BTreeMap::new(),
            helps: BTreeMap::new(),
        };
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, ty) = rest.split_once(' ').expect("# TYPE name type");
                s.types.insert(name.into(), ty.into());
            } else if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
                s.helps.insert(name.into(), help.into());
            } else if !line.is_empty() && !line.starts_with('#') {
                let (series, value) = line.rsplit_once(' ').expect("series value");
                s.samples
                    .insert(series.into(), value.parse().expect("a number"));
            }
        }
        s
    }

    /// The value of the one series of `name` whose labels include every `label="value"`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<f64> = self
            .samples
            .iter()
            .filter(|(series, _)| {
                let (n, rest) = series.split_once('{').unwrap_or((series, ""));
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
            })
            .map(|(_, v)| *v)
            .collect();
        assert!(found.len() <= 1, "{name} {labels:?}: {found:?}");
        found.first().copied()
    }
}

async fn scrape(api: &Api) -> Scrape {
    let res = api.fetch("/metrics").await;
    assert_eq!(res.status(), 200);
    Scrape::parse(&res.text().await.unwrap())
}

/// A webhook receiver that answers its first delivery and never the others: one attempt is
/// counted, then the hub's one delivery slot stays busy and the deliveries behind it stay due.
async fn stalling_receiver() -> String {
    let answered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let first = !answered.swap(true, std::sync::atomic::Ordering::SeqCst);
            async move {
                if !first {
                    std::future::pending::<()>().await;
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

/// The metric names a rule expression or dashboard query names (histogram series by their
/// metric's name).
fn named_metrics(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("shiphub_") {
        let start = i + at;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        let name = &text[start..end];
        let name = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        out.insert(name.to_string());
        i = end;
    }
    out
}

fn docker_file(rel: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docker")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scrape_describes_every_metric_and_the_gauges_count_what_operators_page_on() {
    let hub = start_with(
        tempfile::tempdir().unwrap(),
        &[
            "--no-scheduler",
            // Trackers are due at once (first check right after the label) and overdue as
            // soon as they are due, since no scheduler checks them.
            "--tracking-speedup",
            "1000000",
            "--tracker-overdue-after",
            "0",
            "--gauge-interval",
            "0.1",
            "--webhook-concurrency",
            "1",
            "--webhook-timeout",
            "600",
            "--webhook-lease",
            "1200",
        ],
    );
    let api = Api::of(&hub);
    let hook = stalling_receiver().await;
    api.created(
        "/v1/webhooks",
        json!({"url": hook, "events": ["shipment.created"]}),
    )
    .await;
    // Two stations: the one whose agent reported in is online, the silent one is offline.
    let online = api
        .created(
            "/v1/print-stations",
            json!({"name": "Dock 1", "format": "zpl"}),
        )
        .await;
    api.created(
        "/v1/print-stations",
        json!({"name": "Dock 2", "format": "zpl"}),
    )
    .await;
    let station = online["id"].as_str().unwrap().to_string();
    let agent = Api::with_key(&hub, online["token"].as_str().unwrap());
    let (status, body) = agent
        .post(
            "/v1/print-stations/self/status",
            json!({"printer": "ready"}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    const BOUGHT: usize = 6;
    for _ in 0..BOUGHT {
        api.buy_sandbox(Some(&station)).await;
    }

    // The sampler runs every 0.1 s; the hub is scraped until a sample shows the whole set-up.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let s = scrape(&api).await;
        let seen = (
            s.value("shiphub_print_queue_depth", &[("station", &station)]),
            s.value("shiphub_print_stations_offline", &[]),
            s.value(
                "shiphub_trackers_overdue",
                &[("carrier_account", &api.account)],
            ),
            s.value("shiphub_webhook_backlog", &[]),
            s.value("shiphub_webhook_oldest_due_seconds", &[]),
            s.value("shiphub_idempotency_keys_in_flight", &[]),
        );
        let n = Some(BOUGHT as f64);
        if seen.0 == n
            && seen.1 == Some(1.0)
            && seen.2 == n
            && seen.3 == Some(BOUGHT as f64 - 1.0)
            && seen.4.is_some_and(|v| v > 0.0)
            && seen.5 == Some(0.0)
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "(queue depth, offline stations, overdue trackers, webhook backlog, oldest due, \
             keys in flight) = {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let s = scrape(&api).await;
    // Every metric has its HELP, and a real one (not the exporter's empty placeholder).
    for (name, ty) in &s.types {
        let help = s.helps.get(name);
        assert!(
            help.is_some_and(|h| !h.trim().is_empty()),
            "{name} ({ty}) has no HELP"
        );
    }
    for gauge in [
        "shiphub_print_queue_depth",
        "shiphub_print_stations_offline",
        "shiphub_trackers_overdue",
        "shiphub_webhook_backlog",
        "shiphub_webhook_oldest_due_seconds",
        "shiphub_idempotency_keys_in_flight",
        "shiphub_db_pool_connections",
    ] {
        assert_eq!(
            s.types.get(gauge).map(String::as_str),
            Some("gauge"),
            "{gauge}"
        );
    }
    let pool_open: f64 = ["in_use", "idle"]
        .iter()
        .map(|state| {
            s.value(
                "shiphub_db_pool_connections",
                &[("pool", "main"), ("state", state)],
            )
            .unwrap_or_else(|| panic!("pool gauge {state}"))
        })
        .sum();
    assert!(pool_open >= 1.0, "the main pool has connections open");

    // The shipped rules and dashboard name only metrics this hub emits.
    let emitted: BTreeSet<String> = s.types.keys().cloned().collect();
    let rules_text = docker_file("prometheus/alerts.yml");
    let rules: serde_norway::Value = serde_norway::from_str(&rules_text).expect("alerts.yml");
    let mut exprs = vec![];
    for group in rules["groups"].as_sequence().expect("groups") {
        for rule in group["rules"].as_sequence().expect("rules") {
            assert!(rule["alert"].as_str().is_some(), "{rule:?}");
            exprs.push(rule["expr"].as_str().expect("expr").to_string());
        }
    }
    let dashboard: Value =
        serde_json::from_str(&docker_file("grafana/dashboards/shiphub.json")).expect("dashboard");
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            exprs.push(target["expr"].as_str().expect("expr").to_string());
        }
    }
    assert!(exprs.len() >= 10, "{exprs:?}");
    for expr in &exprs {
        let names = named_metrics(expr);
        assert!(!names.is_empty(), "{expr} names no shiphub metric");
        for name in names {
            assert!(
                emitted.contains(&name),
                "`{expr}` names {name}, which the hub does not emit"
            );
        }
    }
    // The operator gauges are all on the dashboard and in a rule.
    let all = exprs.join("\n");
    for gauge in [
        "shiphub_webhook_backlog",
        "shiphub_webhook_oldest_due_seconds",
        "shiphub_print_queue_depth",
        "shiphub_print_stations_offline",
        "shiphub_trackers_overdue",
        "shiphub_idempotency_keys_in_flight",
        "shiphub_db_pool_connections",
    ] {
        assert!(rules_text.contains(gauge), "no rule on {gauge}");
        assert!(
            all.matches(gauge).count() >= 2,
            "{gauge} not on the dashboard"
        );
    }
}

/// What the collector stand-in received: content type and body of each export.
type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

async fn otlp_receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                let ct = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                store.lock().unwrap().push((ct, body));
                // An empty ExportTraceServiceResponse: full success.
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

fn attr(span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
    let v = span
        .attributes
        .iter()
        .find(|a| a.key == key)?
        .value
        .as_ref()?;
    match v.value.as_ref()? {
        V::StringValue(s) => Some(s.clone()),
        V::IntValue(i) => Some(i.to_string()),
        V::BoolValue(b) => Some(b.to_string()),
        V::DoubleValue(d) => Some(d.to_string()),
        other => Some(format!("{other:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_is_traced_over_otlp_from_the_request_through_the_carrier_and_the_store() {
    let (collector, received) = otlp_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    // Traces carry the spans the log filter enables (`info`, the default, has them all).
    let mut hub = serve_logging(
        dir.path(),
        &["--otlp-endpoint", &collector, "--drain", "0"],
        "info",
    );
    let account = hub.bootstrap["carrier_account"]
        .as_str()
        .unwrap()
        .to_string();
    let res = reqwest::Client::new()
        .post(format!("{}/v1/shipments", hub.base))
        .bearer_auth(hub.bootstrap["api_key"].as_str().unwrap())
        .header("idempotency-key", "obs-trace-key-1")
        .json(&sandbox_pdf_purchase(&account, None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // A graceful stop flushes the spans not exported yet.
    let status = Command::new("kill")
        .args(["-TERM", &hub.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = hub.child.wait().expect("the hub exits");
    assert!(exit.success(), "{exit:?}");

    let exports = received.lock().unwrap().clone();
    assert!(!exports.is_empty(), "no export reached the collector");
    let mut spans = vec![];
    for (ct, body) in &exports {
        assert_eq!(ct, "application/x-protobuf");
        assert!(!body.is_empty());
        let req =
            opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(
                body.as_ref(),
            )
            .expect("an ExportTraceServiceRequest");
        for rs in req.resource_spans {
            let service = rs
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                .and_then(|a| a.value.as_ref())
                .map(|v| format!("{:?}", v.value));
            assert!(
                service.is_some_and(|s| s.contains("shiphub")),
                "service.name"
            );
            for ss in rs.scope_spans {
                spans.extend(ss.spans);
            }
        }
    }
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    let request = spans
        .iter()
        .find(|s| s.name == "POST /v1/shipments")
        .unwrap_or_else(|| panic!("no request span in {names:?}"));
    assert_eq!(
        attr(request, "http.route").as_deref(),
        Some("/v1/shipments")
    );
    assert_eq!(
        attr(request, "http.response.status_code").as_deref(),
        Some("201")
    );
    assert_eq!(
        attr(request, "idempotency_key").as_deref(),
        Some("obs-trace-key-1")
    );
    let tenant = attr(request, "tenant").expect("tenant attribute");
    assert!(tenant.starts_with("ten_"), "{tenant}");
    assert!(attr(request, "request_id").is_some());
    // The carrier call and the store writes are in the request's trace, under it.
    let in_trace = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name && s.trace_id == request.trace_id)
            .unwrap_or_else(|| panic!("no {name} span in the request's trace: {names:?}"))
    };
    let carrier = in_trace("carrier_call");
    assert!(attr(carrier, "carrier").is_some());
    assert_eq!(attr(carrier, "account").as_deref(), Some(account.as_str()));
    let store = in_trace("store.insert_shipments");
    assert_eq!(attr(store, "tenant").as_deref(), Some(tenant.as_str()));
    assert_eq!(attr(store, "db.system").as_deref(), Some("sqlite"));
    let claim = in_trace("store.idem_begin");
    assert_eq!(
        attr(claim, "idempotency_key").as_deref(),
        Some("obs-trace-key-1")
    );
    // Every span of the trace descends from the request span.
    let by_id: BTreeMap<&[u8], &opentelemetry_proto::tonic::trace::v1::Span> = spans
        .iter()
        .filter(|s| s.trace_id == request.trace_id)
        .map(|s| (s.span_id.as_slice(), s))
        .collect();
    for s in by_id.values() {
        let mut at = *s;
        while at.span_id != request.span_id {
            at = by_id
                .get(at.parent_span_id.as_slice())
                .unwrap_or_else(|| panic!("{} is not under the request span", s.name));
        }
    }
}

/// `shiphub serve` with stderr redirected (a pipe) and `SHIPHUB_LOG` = `filter`: the child,
/// its base URL, its stderr lines as they come, and the bootstrap line (key and account).
struct Logging {
    child: std::process::Child,
    base: String,
    lines: mpsc::Receiver<String>,
    bootstrap: Value,
}

fn serve_logging(dir: &std::path::Path, args: &[&str], filter: &str) -> Logging {
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db_url(dir),
        ])
        .args(args)
        .env_remove("SHIPHUB_MASTER_KEY")
        .env_remove("SHIPHUB_LOG_FORMAT")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env("SHIPHUB_LOG", filter)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shiphub serve");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("piped stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[hub] {line}");
            let _ = tx.send(line);
        }
    });
    let (out_tx, out_rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = out_tx.send(line);
        }
    });
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("shiphub did not start listening");
        };
        if let Some(rest) = line.strip_prefix("shiphub listening on ") {
            let base = rest.split_whitespace().next().unwrap().to_string();
            let Ok(boot) = out_rx.recv_timeout(Duration::from_secs(30)) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("shiphub printed no bootstrap line");
            };
            return Logging {
                child,
                base,
                lines: rx,
                bootstrap: serde_json::from_str(&boot).expect("bootstrap JSON"),
            };
        }
    }
}

const LOG_FILTER: &str = "info,tower_http=debug,shiphub::api=debug";

/// Lines until one satisfies `done` (or the hub goes quiet for 30 s).
fn lines_until(rx: &mpsc::Receiver<String>, done: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = vec![];
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no such line in {out:#?}"));
        let stop = done(&line);
        out.push(line);
        if stop {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirected_logs_are_json_lines_naming_the_request_id_without_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    // The route's span on too: tower-http's lines are written in it (their explicit parent).
    let Logging {
        mut child,
        base,
        lines: rx,
        ..
    } = serve_logging(dir.path(), &[], LOG_FILTER);
    let res = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .header("request-id", "obs-log-req-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let lines = lines_until(&rx, |l| {
        l.contains("obs-log-req-1") && l.contains("finished")
    });
    let _ = child.kill();
    let _ = child.wait();
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "colour codes in {line:?}");
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
    }
    let finished: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(finished["request_id"], "obs-log-req-1", "{finished}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_format_text_is_plain_text_without_colour_codes_when_redirected() {
    let dir = tempfile::tempdir().unwrap();
    let Logging {
        mut child,
        base,
        lines: rx,
        ..
    } = serve_logging(dir.path(), &["--log-format", "text"], LOG_FILTER);
    reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .header("request-id", "obs-log-req-2")
        .send()
        .await
        .unwrap();
    let lines = lines_until(&rx, |l| {
        l.contains("obs-log-req-2") && l.contains("finished")
    });
    let _ = child.kill();
    let _ = child.wait();
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "colour codes in {line:?}");
        assert!(
            serde_json::from_str::<Value>(line).is_err(),
            "JSON in text mode: {line}"
        );
    }
    assert!(
        lines.last().unwrap().contains("request_id=obs-log-req-2"),
        "{lines:#?}"
    );
}
