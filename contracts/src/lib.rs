//! Helpers for the contract tests in `contracts/tests/`: find the carriers' published specs in
//! `../shared/carriers/`, load an OpenAPI document (JSON or YAML), and validate a JSON value
//! against one of its component schemas. The tests validate the golden wire requests our
//! adapters are checked against (`carriers/src/<carrier>/fixtures/`), so what we send is
//! proven against the carrier's own schema, not against our reading of it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// `../shared/carriers` beside the workspace (or `SHIPHUB_SHARED_CARRIERS`, e.g. from a git
/// worktree elsewhere). Absent: under `CI=true` a failure, otherwise `None`, reported as
/// skipped (see `report_skip`).
pub fn shared_carriers_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SHIPHUB_SHARED_CARRIERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/carriers"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but {} is missing: the carrier contract tests cannot run",
            dir.display()
        );
    }
    report_skip(&format!(
        "{} not found, the carrier contract test did not run",
        dir.display()
    ));
    None
}

/// Says on the process's own stderr, which `cargo test` shows, that the current test was
/// skipped and why: libtest captures `eprintln!` and prints it only for failing tests, so a
/// skipped test would otherwise read just `ok`. libtest names each test's thread after it.
pub fn report_skip(why: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(std::io::stderr().lock(), "skipped: {test}: {why}");
}

/// The workspace root (for reading fixtures).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A JSON or YAML file as JSON.
pub fn load(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => serde_norway::from_str(&text)
            .unwrap_or_else(|e| panic!("parse {}: {e}", path.display())),
        _ => {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
        }
    }
}

/// OpenAPI 3.0 schemas are JSON Schema draft 4 plus `nullable`; fold `nullable: true` into
/// the type so a draft-4 validator understands it.
fn draft4(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(t)) = map.get("type").cloned()
            {
                map.insert("type".into(), serde_json::json!([t, "null"]));
            }
            map.values_mut().for_each(draft4);
        }
        Value::Array(items) => items.iter_mut().for_each(draft4),
        _ => {}
    }
}

/// A validator for `#/components/schemas/<component>` of an OpenAPI document, with every
/// local `$ref` resolving inside that document.
pub fn component_validator(spec: &Value, component: &str) -> jsonschema::Validator {
    assert!(
        spec.pointer(&format!("/components/schemas/{component}"))
            .is_some(),
        "no component schema `{component}` in the spec"
    );
    let mut root = spec.clone();
    draft4(&mut root);
    let is_31 = spec["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1"));
    let root = serde_json::json!({
        "$ref": format!("#/components/schemas/{component}"),
        "components": root["components"].clone(),
    });
    let options = if is_31 {
        jsonschema::options()
    } else {
        jsonschema::draft4::options()
    };
    options
        .build(&root)
        .unwrap_or_else(|e| panic!("schema {component} does not compile: {e}"))
}

/// Panics with every schema violation of `instance`, naming `what` was checked.
pub fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} violates the carrier schema:\n{}",
        errors.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        serde_json::json!({
            "openapi": "3.0.1",
            "components": {"schemas": {
                "Req": {"type": "object", "required": ["weight"], "properties": {
                    "weight": {"$ref": "#/components/schemas/Weight"},
                    "note": {"type": "string", "nullable": true}}},
                "Weight": {"type": "object", "required": ["units"], "properties": {"units": {"type": "string", "enum": ["LB", "KG"]}}}
            }}
        })
    }

    #[test]
    fn validates_through_local_refs_and_nullable() {
        let v = component_validator(&spec(), "Req");
        assert!(v.is_valid(&serde_json::json!({"weight": {"units": "KG"}, "note": null})));
        assert!(!v.is_valid(&serde_json::json!({"weight": {"units": "STONE"}})));
        assert!(!v.is_valid(&serde_json::json!({})));
    }
}
