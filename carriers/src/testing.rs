//! Test support shared by the carrier folders' tests: their fixture files and golden
//! comparisons, the published reference folder `../shared/carriers/<carrier>/`, wiremock
//! set-up, and the assertions every adapter's tests make about errors. A carrier's
//! `tests.rs` keeps only its own cases, accounts and wire paths.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::error::CarrierError;
use crate::model::Waybill;

/// One carrier's fixtures (`src/<carrier>/fixtures/`) and published reference folder.
pub(crate) struct Fixtures {
    carrier: &'static str,
}

impl Fixtures {
    pub(crate) const fn new(carrier: &'static str) -> Self {
        Self { carrier }
    }

    /// The fixtures folder.
    pub(crate) fn dir(&self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(self.carrier)
            .join("fixtures")
    }

    /// `<name>.json` in the fixtures folder.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir().join(format!("{name}.json"))
    }

    /// The fixture file `rel` (with its extension) as JSON.
    pub(crate) fn read(&self, rel: &str) -> Value {
        let p = self.dir().join(rel);
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// The fixture `<name>.json`.
    pub(crate) fn load(&self, name: &str) -> Value {
        self.read(&format!("{name}.json"))
    }

    /// The fixture `<name>.json` as `T`.
    pub(crate) fn typed<T: serde::de::DeserializeOwned>(&self, name: &str) -> T {
        serde_json::from_value(self.load(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Compares with the fixture `<name>.json`; `BLESS=1` rewrites request fixtures
    /// (`*.wire_request`), never expected results.
    pub(crate) fn assert_json(&self, name: &str, actual: &impl serde::Serialize) {
        let actual = serde_json::to_value(actual).unwrap();
        if name.ends_with(".wire_request") && std::env::var("BLESS").as_deref() == Ok("1") {
            let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
            std::fs::write(self.path(name), text).unwrap();
            return;
        }
        let expected = self.load(name);
        assert!(
            actual == expected,
            "{name} differs\n--- expected\n{}\n--- actual\n{}",
            serde_json::to_string_pretty(&expected).unwrap(),
            serde_json::to_string_pretty(&actual).unwrap()
        );
    }

    /// The error cases in `fixtures/error/`, by name.
    pub(crate) fn error_cases(&self) -> Vec<(String, Value)> {
        let mut cases = Vec::new();
        for entry in std::fs::read_dir(self.dir().join("error")).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_stem().unwrap().to_str().unwrap().to_string();
            let case = self.load(&format!("error/{name}"));
            cases.push((name, case));
        }
        cases
    }

    /// `../shared/carriers/<carrier>/<rel>`; absent: a failure under `CI=true`, a skip
    /// otherwise.
    pub(crate) fn shared(&self, rel: &str) -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/carriers")
            .join(self.carrier)
            .join(rel);
        if p.exists() {
            return Some(p);
        }
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but {} is missing",
            p.display()
        );
        crate::report_skip(&format!("{} not found", p.display()));
        None
    }

    /// The published JSON file `rel` under [`shared`](Self::shared), when the folder is there.
    pub(crate) fn sample(&self, rel: &str) -> Option<Value> {
        let p = self.shared(rel)?;
        Some(serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
    }
}

/// An error case's answer: status, Retry-After and body.
pub(crate) fn case_answer(case: &Value) -> crate::http::Answer {
    crate::http::Answer {
        status: case["status"].as_u64().unwrap() as u16,
        retry_after: case["retry_after_secs"].as_u64().map(Duration::from_secs),
        body: serde_json::to_vec(&case["body"]).unwrap(),
    }
}

/// Checks `e` against an error case's `expected`: its kind, then what that kind carries
/// (field pointers, the carrier's code, `maybe_processed`, the Retry-After).
pub(crate) fn assert_error_case(name: &str, e: &CarrierError, expected: &Value) {
    assert_eq!(
        e.kind(),
        expected["kind"].as_str().unwrap(),
        "{name}: {e:?}"
    );
    match e {
        CarrierError::Rejected { .. } => {
            let want: Vec<&str> = expected["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            assert_eq!(fields(e), want, "{name}");
        }
        CarrierError::Auth { code, .. } => {
            assert_eq!(code.as_deref(), expected["code"].as_str(), "{name}")
        }
        CarrierError::Transient {
            maybe_processed, ..
        } => assert_eq!(
            Some(*maybe_processed),
            expected["maybe_processed"].as_bool(),
            "{name}"
        ),
        CarrierError::RateLimited { retry_after, .. } => assert_eq!(
            retry_after.map(|d| d.as_secs()),
            expected["retry_after_secs"].as_u64(),
            "{name}"
        ),
        other => panic!("{name}: unexpected {other:?}"),
    }
}

/// The field pointers of a rejection.
pub(crate) fn fields(e: &CarrierError) -> Vec<&str> {
    match e {
        CarrierError::Rejected { errors, .. } => errors.iter().map(|f| f.field.as_str()).collect(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Asserts `e` is `Transient` with this `maybe_processed`.
pub(crate) fn assert_transient(e: &CarrierError, maybe_processed: bool) {
    assert!(
        matches!(e, CarrierError::Transient { maybe_processed: m, .. } if *m == maybe_processed),
        "{e:?}"
    );
}

/// A waybill as JSON with its label bytes as base64 (fixtures stay readable).
pub(crate) fn waybill_json(wb: &Waybill) -> Value {
    let mut v = serde_json::to_value(wb).unwrap();
    if let Some(label) = &wb.label {
        v["label"] = json!({
            "format": label.format,
            "content_base64": base64::engine::general_purpose::STANDARD.encode(&label.content),
        });
    }
    v
}

/// Answers `verb` on `at` with `answer`, every time.
pub(crate) async fn mount(server: &MockServer, verb: &str, at: &str, answer: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// An answer with `status` and `body` and no Retry-After.
pub(crate) fn answer(status: u16, body: &[u8]) -> crate::http::Answer {
    crate::http::Answer {
        status,
        retry_after: None,
        body: body.to_vec(),
    }
}

/// Every cut of the 2xx body `full` short of the whole (empty, 1 and 10 bytes, half, all but
/// the last byte) is, through `decode`, a `Protocol` error on status 200, never a panic.
pub(crate) fn assert_cuts_are_protocol(full: &[u8], decode: impl Fn(&[u8]) -> CarrierError) {
    for cut in [0, 1, 10, full.len() / 2, full.len() - 1] {
        let e = decode(&full[..cut]);
        assert!(
            matches!(e, CarrierError::Protocol { status: 200, .. }),
            "cut at {cut}: {e:?}"
        );
    }
}
