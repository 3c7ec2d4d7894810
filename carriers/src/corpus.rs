//! The corpus of real carrier answers (issue 15): one table-driven test per carrier walks
//! `src/<carrier>/fixtures/corpus/`, serves each hand-written answer from a wiremock server and
//! runs the adapter's real HTTP path (token, status, headers, body) against it, then compares
//! the outcome with the fixture's hand-written `*.expected.json`.
//!
//! A case is two files, `<op>.<name>.json` (the answer) and `<op>.<name>.expected.json` (what
//! it must become). The answer file:
//!
//! ```json
//! { "input": "rate/us_domestic_ground",      // rate/ship: an `*.input.json` of the carrier's fixtures
//!   "numbers": ["1Z…"], "waybill": {…},      // track: numbers asked; void: the `WaybillRef`
//!   "status": 200, "headers": {"Retry-After": "30"},
//!   "body": {…} | "body_text": "<html>…",    // JSON, or any text (HTML, truncated JSON, "")
//!   "also": [{"method": "POST", "path": "/oauth/token", "status": 401, "body": {…}}] }
//! ```
//!
//! `op` is one of `rate`, `ship`, `void`, `track`, `auth` (an `auth` case is the rate or ship
//! call its input is for, with the token or payment-authorization answer replaced through
//! `also`). The expected file is matched as a subset: every key
//! it names must be there with that value, arrays must have the same length and match element by
//! element, keys it leaves out are not checked. Its shape is `{"ok": <result>}` (quotes, the
//! waybill with the label's bytes replaced by `content_len`, tracking results, or the void
//! outcome) or `{"error": {"kind", "action", "codes", "fields", "retry_after_secs",
//! "maybe_processed"}}` where `action` is what the hub must do: `retry`, `fix_input` or
//! `give_up`. The expected files are written by hand from the carriers' documents, never
//! produced by this code: there is deliberately no bless mode. `CORPUS_DEBUG=1` prints the
//! requests each case's simulator received.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::carrier::{Carrier, VoidOutcome};
use crate::error::CarrierError;
use crate::http::CarrierHttp;
use crate::model::{RateRequest, ShipRequest, TrackingNumber, WaybillRef};
use crate::registry::CarrierEntry;

/// What the runner needs to know about one carrier.
pub(crate) struct CorpusCarrier {
    pub(crate) entry: &'static CarrierEntry,
    /// The carrier's folder under `src/` (`ups`).
    pub(crate) folder: &'static str,
    /// Path prefix of the account's base URL on the mock server (`/mydhlapi` for MyDHL).
    pub(crate) base_path: &'static str,
    /// The account JSON; `unique` goes into the client id so that cached tokens never leak
    /// from one case into the next (the token cache is keyed by base URL and client id, and
    /// wiremock reuses ports).
    pub(crate) account: fn(unique: &str) -> Value,
    /// Answers every case gets unless it overrides the same method and path through `also`
    /// (the token, USPS's payment authorization).
    pub(crate) defaults: fn() -> Vec<(&'static str, &'static str, Value)>,
}

/// Runs every case of `carrier`'s corpus; panics with every mismatch at once.
pub(crate) async fn run(carrier: &CorpusCarrier) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(carrier.folder)
        .join("fixtures/corpus");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".json") && !name.ends_with(".expected.json")
        })
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "{}: no corpus cases", dir.display());
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case.file_stem().unwrap().to_str().unwrap().to_string();
        let expected_path = dir.join(format!("{name}.expected.json"));
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!("{name}: no {name}.expected.json"));
            continue;
        };
        let expected: Value = serde_json::from_str(&expected)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let answer = read_json(case);
        let actual = run_case(carrier, &name, &answer, i).await;
        let mut diffs = Vec::new();
        subset(&expected, &actual, "", &mut diffs);
        if !diffs.is_empty() {
            failures.push(format!(
                "{name}:\n  {}\n  actual: {}",
                diffs.join("\n  "),
                serde_json::to_string(&actual).unwrap()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {} corpus cases differ:\n{}",
        failures.len(),
        cases.len(),
        carrier.folder,
        failures.join("\n")
    );
}

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn template(spec: &Value) -> ResponseTemplate {
    let status = spec["status"].as_u64().unwrap_or(200) as u16;
    let mut t = ResponseTemplate::new(status);
    if let Some(headers) = spec["headers"].as_object() {
        for (k, v) in headers {
            t = t.insert_header(k.as_str(), v.as_str().expect("header values are strings"));
        }
    }
    if let Some(text) = spec["body_text"].as_str() {
        let ctype = spec["headers"]["Content-Type"]
            .as_str()
            .unwrap_or("application/json");
        t = t.set_body_raw(text.as_bytes().to_vec(), ctype);
    } else if !spec["body"].is_null() {
        t = t.set_body_json(&spec["body"]);
    }
    t
}

async fn run_case(carrier: &CorpusCarrier, name: &str, answer: &Value, i: usize) -> Value {
    let op = name.split('.').next().unwrap_or("");
    let server = MockServer::start().await;
    let overrides: Vec<Value> = answer["also"].as_array().cloned().unwrap_or_default();
    for o in &overrides {
        let verb = o["method"].as_str().unwrap_or("POST").to_string();
        let at = format!(
            "{}{}",
            carrier.base_path,
            o["path"].as_str().expect("also.path")
        );
        Mock::given(method(verb.as_str()))
            .and(path(at))
            .respond_with(template(o))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    for (verb, at, body) in (carrier.defaults)() {
        Mock::given(method(verb))
            .and(path(format!("{}{at}", carrier.base_path)))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .with_priority(2)
            .mount(&server)
            .await;
    }
    // Everything else is the operation's own endpoint: it gets the case's answer.
    let main = template(answer);
    Mock::given(move |_: &Request| true)
        .respond_with(main)
        .with_priority(10)
        .mount(&server)
        .await;
    let base = format!("{}{}", server.uri(), carrier.base_path);
    let http = CarrierHttp::new(reqwest::Client::new(), Some(base.parse().unwrap()));
    let unique = format!("corpus-{}-{i}", carrier.folder);
    let adapter: Box<dyn Carrier> = (carrier.entry.build)((carrier.account)(&unique), http)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(carrier.folder)
        .join("fixtures");
    let input = |kind: &str| -> Value {
        let rel = answer["input"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: a {kind} case names its input"));
        read_json(&fixtures.join(format!("{rel}.input.json")))
    };
    // An `auth` case runs the call its input is for: a rate, or a ship (USPS's payment token).
    let op = match op {
        "auth"
            if answer["input"]
                .as_str()
                .is_some_and(|i| i.starts_with("ship/")) =>
        {
            "ship"
        }
        "auth" => "rate",
        other => other,
    };
    let outcome: Result<Value, CarrierError> = match op {
        "rate" => {
            let req: RateRequest = serde_json::from_value(input("rate")).expect("rate input");
            adapter
                .rate(&req)
                .await
                .map(|q| serde_json::to_value(q).unwrap())
        }
        "ship" => {
            let req: ShipRequest = serde_json::from_value(input("ship")).expect("ship input");
            adapter.ship(&req).await.map(|w| {
                let mut v = serde_json::to_value(&w).unwrap();
                if let (Some(label), Some(doc)) = (v.get_mut("label"), w.label.as_ref()) {
                    label["content"] = json!(null);
                    label["content_len"] = json!(doc.content.len());
                }
                v
            })
        }
        "void" => {
            let wb: WaybillRef =
                serde_json::from_value(answer["waybill"].clone()).expect("void case: waybill");
            adapter.void_outcome(&wb).await.map(|o| match o {
                VoidOutcome::Voided => json!("voided"),
                VoidOutcome::Requested { detail } => json!({"requested": detail}),
            })
        }
        "track" => {
            let numbers: Vec<TrackingNumber> =
                serde_json::from_value(answer["numbers"].clone()).expect("track case: numbers");
            adapter
                .track(&numbers)
                .await
                .map(|r| serde_json::to_value(r).unwrap())
        }
        other => panic!("{name}: unknown operation {other:?}"),
    };
    if std::env::var("CORPUS_DEBUG").is_ok() {
        for r in server.received_requests().await.unwrap_or_default() {
            eprintln!("{name}: {} {}", r.method, r.url.path());
        }
    }
    match outcome {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({ "error": describe(&e) }),
    }
}

/// An error as the hub acts on it: the variant, what to do, the carrier's codes, the fields.
pub(crate) fn describe(e: &CarrierError) -> Value {
    let action = match e {
        CarrierError::Transient { .. } | CarrierError::RateLimited { .. } => "retry",
        CarrierError::Rejected { .. } => "fix_input",
        CarrierError::Auth { .. }
        | CarrierError::Unsupported { .. }
        | CarrierError::Protocol { .. } => "give_up",
    };
    let mut out = json!({ "kind": e.kind(), "action": action, "message": e.to_string() });
    match e {
        CarrierError::Transient {
            maybe_processed, ..
        } => out["maybe_processed"] = json!(maybe_processed),
        CarrierError::RateLimited { retry_after, .. } => {
            out["retry_after_secs"] = json!(retry_after.map(|d| d.as_secs()))
        }
        CarrierError::Auth { code, .. } => out["codes"] = json!(code.iter().collect::<Vec<_>>()),
        CarrierError::Rejected { errors, .. } => {
            out["codes"] = json!(
                errors
                    .iter()
                    .map(|f| f.carrier_code.clone())
                    .collect::<Vec<_>>()
            );
            out["fields"] = json!(errors.iter().map(|f| f.field.clone()).collect::<Vec<_>>());
        }
        CarrierError::Protocol { status, .. } => out["status"] = json!(status),
        CarrierError::Unsupported { .. } => {}
    }
    out
}

/// `expected` ⊆ `actual`: objects by the keys `expected` names, arrays element by element
/// with equal lengths, strings starting with `~` as "contains the rest".
fn subset(expected: &Value, actual: &Value, at: &str, diffs: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let here = format!("{at}/{k}");
                match a.get(k) {
                    Some(av) => subset(ev, av, &here, diffs),
                    None if ev.is_null() => {}
                    None => diffs.push(format!("{here}: missing, expected {ev}")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                diffs.push(format!("{at}: {} elements, expected {}", a.len(), e.len()));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                subset(ev, av, &format!("{at}/{i}"), diffs);
            }
        }
        (Value::String(e), Value::String(a)) if e.starts_with('~') => {
            if !a.contains(&e[1..]) {
                diffs.push(format!("{at}: {a:?} does not contain {:?}", &e[1..]));
            }
        }
        // Amounts and weights compare as numbers: "84.1" is "84.10".
        (Value::String(e), Value::String(a))
            if e.parse::<rust_decimal::Decimal>()
                .is_ok_and(|d| a.parse() == Ok(d)) => {}
        (e, a) if e == a => {}
        (e, a) => diffs.push(format!("{at}: {a}, expected {e}")),
    }
}

#[test]
fn subset_matching_names_every_difference() {
    let mut d = Vec::new();
    subset(
        &json!({"a": 1, "b": [1, {"c": "~ell"}], "n": null}),
        &json!({"a": 2, "b": [1, {"c": "hello"}, 3], "x": 0}),
        "",
        &mut d,
    );
    assert_eq!(d, ["/a: 2, expected 1", "/b: 3 elements, expected 2"]);
}

// ------------------------------------------------------------------------------ the carriers

#[tokio::test]
async fn ups_corpus_answers_parse_into_results_or_coded_errors() {
    run(&CorpusCarrier {
        entry: &crate::ups::ENTRY,
        folder: "ups",
        base_path: "",
        account: |u| json!({"client_id": u, "client_secret": "s", "account_number": "A1B2C3"}),
        defaults: || {
            vec![(
                "POST",
                "/security/v1/oauth/token",
                json!({"token_type": "Bearer", "access_token": "tok", "expires_in": "14399",
                       "status": "approved"}),
            )]
        },
    })
    .await;
}

#[tokio::test]
async fn fedex_corpus_answers_parse_into_results_or_coded_errors() {
    run(&CorpusCarrier {
        entry: &crate::fedex::ENTRY,
        folder: "fedex",
        base_path: "",
        account: |u| json!({"api_key": u, "secret_key": "s", "account_number": "740561073"}),
        defaults: || {
            vec![(
                "POST",
                "/oauth/token",
                json!({"access_token": "tok", "token_type": "bearer", "expires_in": 3599,
                       "scope": "CXS"}),
            )]
        },
    })
    .await;
}

#[tokio::test]
async fn dhl_express_corpus_answers_parse_into_results_or_coded_errors() {
    run(&CorpusCarrier {
        entry: &crate::dhl_express::ENTRY,
        folder: "dhl_express",
        base_path: "/mydhlapi",
        account: |_| json!({"api_key": "k", "api_secret": "s", "account_number": "123456789"}),
        defaults: Vec::new,
    })
    .await;
}

#[tokio::test]
async fn usps_corpus_answers_parse_into_results_or_coded_errors() {
    run(&CorpusCarrier {
        entry: &crate::usps::ENTRY,
        folder: "usps",
        base_path: "",
        account: |u| {
            json!({"client_id": u, "client_secret": "s", "crid": "12345678", "mid": "123456",
                   "manifest_mid": "654321", "account_number": "1000000000"})
        },
        defaults: || {
            vec![
                (
                    "POST",
                    "/oauth2/v3/token",
                    json!({"access_token": "tok", "expires_in": "3600"}),
                ),
                (
                    "POST",
                    "/payments/v3/payment-authorization",
                    json!({"paymentAuthorizationToken": "pay"}),
                ),
            ]
        },
    })
    .await;
}
