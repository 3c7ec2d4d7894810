//! `contracts/openapi.json` is the API's published contract: it must equal what the code
//! generates. Run with `BLESS=1` to rewrite it after an intended change, and review the diff.
//! The document itself is checked too: every operation documents each error it can answer
//! (as problem+json), carries real examples, and every example is valid against its schema.

use serde_json::{Value, json};

fn document() -> Value {
    serde_json::from_str(&shiphub::api::openapi().to_json().unwrap()).unwrap()
}

/// Every operation: (`METHOD /path`, operation object).
fn operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                out.push((format!("{} {path}", method.to_uppercase()), op));
            }
        }
    }
    assert!(out.len() > 40, "only {} operations documented", out.len());
    out
}

fn params_in<'a>(op: &'a Value, place: &str) -> Vec<&'a Value> {
    op["parameters"]
        .as_array()
        .map(|ps| ps.iter().filter(|p| p["in"] == place).collect())
        .unwrap_or_default()
}

fn json_body(op: &Value) -> Option<&Value> {
    op["requestBody"]["content"]
        .get("application/json")
        .filter(|m| m.is_object())
}

#[test]
fn openapi_document_matches_contract() {
    let generated = shiphub::api::openapi().to_pretty_json().unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/openapi.json");
    if std::env::var("BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "contracts/openapi.json is out of date with the code; run `BLESS=1 cargo test -p shiphub --test openapi` and review the diff"
    );
}

/// Every `$ref` in `v`, with where it stands.
fn refs<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push((at.clone(), r.as_str())),
                    _ => refs(v, format!("{at}/{k}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A schema referenced only from a query parameter is not collected into the components by
/// utoipa (Schemathesis found `PrinterLanguage` unresolvable): every reference must resolve.
#[test]
fn every_reference_resolves() {
    let doc = document();
    let mut found = vec![];
    refs(&doc, String::new(), &mut found);
    assert!(found.len() > 50, "only {} references", found.len());
    let dangling: Vec<String> = found
        .into_iter()
        .filter(|(_, r)| {
            r.strip_prefix('#')
                .is_none_or(|pointer| doc.pointer(pointer).is_none())
        })
        .map(|(at, r)| format!("{at}: {r}"))
        .collect();
    assert!(
        dangling.is_empty(),
        "unresolvable references: {dangling:#?}"
    );
}

#[test]
fn every_operation_documents_every_error_it_can_answer() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    let mut missing = vec![];
    for (name, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        let mut need = vec!["401"];
        // Carrier pushes authenticate with the carrier's own scheme, are not rate limited per
        // key, and take the carrier's body as it comes (any type; unreadable is a 400).
        let push = name.contains("/v1/carrier-events/");
        if !push {
            need.push("429");
        }
        // A PUT to a name creates it: no 404.
        if !params_in(op, "path").is_empty() && !name.starts_with("PUT ") {
            need.push("404");
        }
        if json_body(op).is_some() && !push {
            need.extend(["400", "413", "415", "422"]);
        }
        if !params_in(op, "query").is_empty() {
            need.push("422");
        }
        if params_in(op, "header")
            .iter()
            .any(|p| p["name"] == "Idempotency-Key")
        {
            need.extend(["409", "422"]);
        }
        for status in need {
            if !responses.contains_key(status) {
                missing.push(format!("{name}: {status}"));
            }
        }
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{name} documents no success answer"
        );
        for (status, response) in responses {
            if status.as_str() >= "400" {
                let problem = &response["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    problem, "#/components/schemas/Problem",
                    "{name} {status} is not an application/problem+json Problem"
                );
                assert!(
                    response["content"].as_object().unwrap().len() == 1,
                    "{name} {status} documents another content type than problem+json"
                );
            }
        }
    }
    assert!(missing.is_empty(), "undocumented answers: {missing:#?}");
}

#[test]
fn downloads_document_their_real_content_types() {
    let doc = document();
    let content = |path: &str| -> Vec<String> {
        let mut types: Vec<String> = doc["paths"][path]["get"]["responses"]["200"]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{path} documents no 200 content"))
            .keys()
            .cloned()
            .collect();
        types.sort();
        types
    };
    assert_eq!(
        content("/v1/shipments/{id}/label"),
        ["application/pdf", "application/x-zpl", "image/png"]
    );
    assert_eq!(
        content("/v1/shipments/{id}/documents/{kind}"),
        ["application/pdf"]
    );
    assert_eq!(
        content("/v1/reconciliations/{id}/{file}"),
        ["application/json", "application/pdf", "text/csv"]
    );
}

#[test]
fn rates_and_shipments_come_first_and_authentication_is_described() {
    let doc = document();
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .expect("tags are listed")
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags[..2], ["rates", "shipments"]);
    // The document's own text keeps the path order (a `serde_json::Value` would sort it).
    let text = shiphub::api::openapi().to_json().unwrap();
    let at = |path: &str| text.find(&format!("\"{path}\":")).unwrap();
    assert!(at("/v1/rates") < at("/v1/shipments"));
    for later in [
        "/v1/analytics/timeliness",
        "/v1/audit-settings",
        "/v1/carrier-accounts",
        "/v1/webhooks",
    ] {
        assert!(
            at("/v1/shipments/{id}/label") < at(later),
            "{later} comes before shipments"
        );
    }
    let about = doc["info"]["description"].as_str().unwrap();
    for needle in [
        "Authorization: Bearer <api key>",
        "shiphub tenant create",
        "shiphub serve",
        "station token",
    ] {
        assert!(
            about.contains(needle),
            "the docs page does not say `{needle}`"
        );
    }
}

/// A validator for `schema`, a schema of `doc` whose `$ref`s point into its components.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = json!({ "allOf": [schema], "components": doc["components"] });
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema:#}"))
}

fn check(doc: &Value, what: &str, schema: &Value, example: &Value, bad: &mut Vec<String>) {
    let v = validator(doc, schema);
    let errors: Vec<String> = v
        .iter_errors(example)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if !errors.is_empty() {
        bad.push(format!("{what}: {}", errors.join("; ")));
    }
}

/// The examples of a media type object (`example` or each of `examples`).
fn examples_of(media: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = media.get("example").into_iter().collect();
    if let Some(map) = media["examples"].as_object() {
        out.extend(map.values().filter_map(|e| e.get("value")));
    }
    out
}

#[test]
fn every_operation_has_examples_valid_against_their_schemas() {
    let doc = document();
    let mut missing = vec![];
    let mut bad = vec![];
    for (name, op) in operations(&doc) {
        if let Some(media) = json_body(op) {
            let examples = examples_of(media);
            if examples.is_empty() {
                missing.push(format!("{name}: request body"));
            }
            for ex in examples {
                check(
                    &doc,
                    &format!("{name} request"),
                    &media["schema"],
                    ex,
                    &mut bad,
                );
            }
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            let Some(content) = response["content"].as_object() else {
                continue;
            };
            for (media_type, media) in content {
                if !media_type.contains("json") || !media["schema"].is_object() {
                    continue;
                }
                let examples = examples_of(media);
                if examples.is_empty() {
                    missing.push(format!("{name}: {status} {media_type}"));
                }
                for ex in examples {
                    check(
                        &doc,
                        &format!("{name} {status}"),
                        &media["schema"],
                        ex,
                        &mut bad,
                    );
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations without examples: {missing:#?}"
    );
    assert!(bad.is_empty(), "examples off their schema: {bad:#?}");
}

#[test]
fn schema_examples_are_valid_against_their_schemas() {
    // Property-level `example`s (`base_url`'s host, say) are what the docs page prefills.
    let doc = document();
    let mut bad = vec![];
    fn walk(doc: &Value, at: &str, v: &Value, bad: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for key in ["example", "examples"] {
                    let Some(ex) = map.get(key) else { continue };
                    // `examples` of a schema is an array of instances; a property literally
                    // named `example` is an object schema, skipped.
                    let instances: Vec<&Value> = match (key, ex) {
                        ("examples", Value::Array(xs)) => xs.iter().collect(),
                        ("example", x) if !map.contains_key("properties") || !x.is_object() => {
                            vec![x]
                        }
                        _ => vec![],
                    };
                    let mut schema = v.clone();
                    schema.as_object_mut().unwrap().remove("example");
                    schema.as_object_mut().unwrap().remove("examples");
                    for x in instances {
                        check(doc, at, &schema, x, bad);
                    }
                }
                for (k, child) in map {
                    if k != "example" && k != "examples" {
                        walk(doc, &format!("{at}/{k}"), child, bad);
                    }
                }
            }
            Value::Array(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    walk(doc, &format!("{at}/{i}"), x, bad);
                }
            }
            _ => {}
        }
    }
    walk(
        &doc,
        "#/components/schemas",
        &doc["components"]["schemas"],
        &mut bad,
    );
    assert!(bad.is_empty(), "schema examples off their schema: {bad:#?}");
}

#[test]
fn the_example_checker_catches_an_example_off_its_schema() {
    // The checks above pass only if `check` can fail: an example missing a required field and
    // one with a wrong type must be reported.
    let doc = document();
    let schema = json!({ "$ref": "#/components/schemas/Problem" });
    let mut bad = vec![];
    check(
        &doc,
        "ok",
        &schema,
        &json!({"type": "t", "title": "x", "status": 404}),
        &mut bad,
    );
    assert!(bad.is_empty(), "{bad:?}");
    check(
        &doc,
        "no title",
        &schema,
        &json!({"type": "t", "status": 404}),
        &mut bad,
    );
    check(
        &doc,
        "status as text",
        &schema,
        &json!({"type": "t", "title": "x", "status": "404"}),
        &mut bad,
    );
    assert_eq!(bad.len(), 2, "{bad:?}");
}
