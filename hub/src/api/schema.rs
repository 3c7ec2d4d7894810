//! The request half of the published contract: tightens the OpenAPI document generated from the
//! request types (closed objects, no control characters, the US and CN address rules) and checks
//! every JSON body against the schema its operation publishes, reporting every error at once.
//!
//! The document is the one rule book: `/openapi.json`, `contracts/openapi.json` and the
//! validator all come from [`harden`]ed output of the same types the handlers deserialize, so
//! the schema cannot promise what the server refuses (or the reverse) for structure, lengths,
//! patterns and enums. What only code can check (a carrier account exists, a customs total)
//! still answers 422 from the handler.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use axum::http::Method;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

use crate::error::{Error, FieldProblem};

/// Characters refused in every request string: the C0 controls (U+0000 breaks PostgreSQL
/// text; no carrier takes any of them on a label or in XML), DEL and the C1 controls.
/// `char::is_control` is exactly this set (Unicode general category Cc).
pub const NO_CONTROL_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// The `detail` for a string with a control character.
pub const CONTROL_DETAIL: &str =
    "must not contain control characters (U+0000 to U+001F, U+007F to U+009F)";

/// The problem for a string with a control character, if it has one.
pub fn control_problem(pointer: &str, s: &str) -> Option<FieldProblem> {
    has_control(s).then(|| FieldProblem {
        pointer: pointer.to_string(),
        detail: CONTROL_DETAIL.to_string(),
        code: Some("pattern".into()),
    })
}

/// Tightens the generated document: every object a request body or parameter can reach is
/// closed (`additionalProperties: false`, as serde's `deny_unknown_fields` would make it),
/// every free string a request can carry refuses control characters, and a US address must
/// name a USPS state and a ZIP code.
pub fn harden(doc: &mut OpenApi) {
    let mut reachable = BTreeSet::new();
    let mut pending: Vec<String> = vec![];
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            if let Some(RefOr::T(body)) = op.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(s) = content.schema.as_mut()
                    {
                        tighten(s, &mut pending);
                    }
                }
            }
            for p in op.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = p
                    && let Some(s) = p.schema.as_mut()
                {
                    tighten(s, &mut pending);
                }
            }
        }
    }
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    while let Some(name) = pending.pop() {
        if !reachable.insert(name.clone()) {
            continue;
        }
        if let Some(s) = components.schemas.get_mut(&name) {
            tighten(s, &mut pending);
        }
    }
    if let Some(RefOr::T(Schema::Object(address))) = components.schemas.get_mut("Address") {
        use shiphub_carriers::model::{POSTAL_CODE_REQUIRED, US_STATES, US_ZIP_PATTERN};
        let country_is = |codes: Value| json!({"properties": {"country": {"enum": codes}}, "required": ["country"]});
        let rules = json!([
            {
                "if": country_is(json!(["US"])),
                "then": {
                    "required": ["state", "postal_code"],
                    "properties": {
                        "state": {"enum": US_STATES},
                        "postal_code": {"type": "string", "pattern": US_ZIP_PATTERN},
                    },
                },
            },
            {
                "if": country_is(json!(POSTAL_CODE_REQUIRED)),
                "then": {"required": ["postal_code"], "properties": {"postal_code": {"type": "string"}}},
            },
            china_address_rule(country_is(json!(["CN"]))),
        ]);
        address
            .extensions
            .get_or_insert_with(Default::default)
            .insert("allOf".into(), rules);
    }
    // Only assigned codes: a generated `XX` is not a valid request.
    if let Some(RefOr::T(Schema::Object(country))) = components.schemas.get_mut("CountryCode") {
        country.enum_values = Some(
            shiphub_carriers::model::CountryCode::assigned()
                .map(Value::from)
                .collect(),
        );
        country.pattern = None;
    }
}

/// A CN address (`model::china`): a mainland phone, required; a 6-digit postcode when given;
/// in Chinese script, the province by name, short name or code and the city one of that
/// province's (a nested `if` per province, so a wrong city is reported at `/city`). A romanized
/// CN address and every other country keep the 5-character `state`.
fn china_address_rule(country_is_cn: Value) -> Value {
    use shiphub_carriers::model::{MAX_STATE, china};
    let provinces = china::province_forms();
    let all: Vec<&str> = provinces
        .iter()
        .flat_map(|(_, f)| f.iter().copied())
        .collect();
    let cities: Vec<Value> = provinces
        .iter()
        .map(|(p, forms)| {
            json!({
                "if": {"properties": {"state": {"enum": forms}}, "required": ["state"]},
                "then": {"properties": {"city": {"enum": china::city_forms(p.code)}}},
            })
        })
        .collect();
    let short_state = json!({"properties": {"state": {"maxLength": MAX_STATE}}});
    json!({
        "if": country_is_cn,
        "then": {
            "required": ["phone"],
            "properties": {
                "phone": {"type": "string", "pattern": china::PHONE_PATTERN},
                "postal_code": {"type": "string", "pattern": china::POSTCODE_PATTERN},
            },
            // A romanized address (no Han character in the city) keeps the free `state`.
            "if": {"properties": {"city": {"pattern": china::NOT_CHINESE_SCRIPT_PATTERN}}},
            "then": short_state,
            "else": {"required": ["state"], "properties": {"state": {"enum": all}}, "allOf": cities},
        },
        "else": short_state,
    })
}

/// The detail for a CN province or city the schema's enum refused, as the address parser
/// words it; `None` for any other enum.
fn china_enum_detail(value: &Value, options: &Value) -> Option<String> {
    use shiphub_carriers::model::china;
    let (value, first) = (value.as_str()?, options.get(0)?.as_str()?);
    let provinces = china::province_forms();
    if first == provinces.first()?.0.name && options.as_array()?.len() > 100 {
        return china::province(value)
            .err()
            .map(|e| e.into_invalid().message);
    }
    let (province, _) = provinces
        .iter()
        .find(|(p, _)| china::city_forms(p.code).first() == Some(&first))?;
    china::resolve(province.name, value, None)
        .err()
        .map(|e| e.into_invalid().message)
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Closes objects and fences strings in one schema; queues the components it refers to.
fn tighten(s: &mut RefOr<Schema>, pending: &mut Vec<String>) {
    let schema = match s {
        RefOr::Ref(r) => {
            if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
                pending.push(name.to_string());
            }
            return;
        }
        RefOr::T(schema) => schema,
    };
    match schema {
        Schema::Object(o) => {
            let is = |t: Type| match &o.schema_type {
                SchemaType::Type(x) => *x == t,
                SchemaType::Array(xs) => xs.contains(&t),
                SchemaType::AnyValue => false,
            };
            if is(Type::Object) && !o.properties.is_empty() && o.additional_properties.is_none() {
                o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
            if is(Type::String)
                && o.pattern.is_none()
                && o.enum_values.is_none()
                && o.format.is_none()
            {
                o.pattern = Some(NO_CONTROL_PATTERN.to_string());
            }
            for p in o.properties.values_mut() {
                tighten(p, pending);
            }
            if let Some(ap) = o.additional_properties.as_mut()
                && let AdditionalProperties::RefOr(r) = ap.as_mut()
            {
                tighten(r, pending);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                tighten(items, pending);
            }
        }
        Schema::OneOf(x) => x.items.iter_mut().for_each(|i| tighten(i, pending)),
        Schema::AllOf(x) => x.items.iter_mut().for_each(|i| tighten(i, pending)),
        Schema::AnyOf(x) => x.items.iter_mut().for_each(|i| tighten(i, pending)),
        _ => {}
    }
}

/// One operation's compiled request-body schema.
struct BodySchema {
    validator: jsonschema::Validator,
    /// The schema as compiled (components included), for naming the known fields.
    root: Value,
}

/// Compiled request-body schemas by route (as axum matched it), then method. Keyed by the
/// route alone so a request looks its schema up by `&str`, without building a key.
struct Validators {
    by_route: HashMap<String, Vec<(Method, BodySchema)>>,
}

fn validators() -> &'static Validators {
    static V: OnceLock<Validators> = OnceLock::new();
    V.get_or_init(|| {
        let doc = serde_json::to_value(super::openapi()).expect("the document serializes");
        let mut by_route: HashMap<String, Vec<(Method, BodySchema)>> = HashMap::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                    continue;
                };
                let Some(schema) = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .and_then(Value::as_object)
                else {
                    continue;
                };
                let mut root = schema.clone();
                root.insert("components".into(), doc["components"].clone());
                let root = Value::Object(root);
                let validator = jsonschema::draft202012::new(&root)
                    .unwrap_or_else(|e| panic!("request schema of {method} {path}: {e}"));
                by_route
                    .entry(path.clone())
                    .or_default()
                    .push((method, BodySchema { validator, root }));
            }
        }
        Validators { by_route }
    })
}

fn body_schema(method: &Method, route: &str) -> Option<&'static BodySchema> {
    validators()
        .by_route
        .get(route)?
        .iter()
        .find_map(|(m, s)| (m == method).then_some(s))
}

/// Checks a JSON body against the schema `method route` publishes; every error, with pointers.
///
/// A valid body (nearly every request) costs one `is_valid` pass and one scan for control
/// characters; the error-collecting pass, which builds every error with its paths, runs only
/// for a body that fails either, and finds exactly what it would have found alone.
pub fn check_body(method: &Method, route: &str, body: &Value) -> Result<(), Error> {
    let schema = body_schema(method, route);
    if schema.is_none_or(|s| s.validator.is_valid(body)) && !has_controls(body) {
        return Ok(());
    }
    let mut out = vec![];
    if let Some(s) = schema {
        for e in s.validator.iter_errors(body) {
            problems(&e, &s.root, &mut out);
        }
    }
    // Free-form parts (carrier credentials and settings) have no string schema to carry the
    // rule; every string and key of every body is checked here as well.
    let mut raw = vec![];
    controls(body, &mut String::new(), &mut raw);
    raw.retain(|c| !out.iter().any(|p| p.pointer == c.pointer));
    out.extend(raw);
    if out.is_empty() {
        return Ok(());
    }
    // One answer per place and reason: composite schemas can report the same miss twice.
    let mut seen = BTreeSet::new();
    out.retain(|p| seen.insert((p.pointer.clone(), p.detail.clone())));
    Err(Error::Validation(out))
}

/// Whether the operation has a JSON body schema (for the test that every body is checked).
#[cfg(test)]
pub fn has_body_schema(method: &Method, route: &str) -> bool {
    body_schema(method, route).is_some()
}

fn problems(e: &jsonschema::ValidationError<'_>, doc: &Value, out: &mut Vec<FieldProblem>) {
    let at = e.instance_path().as_str().to_string();
    let keyword = e.kind().keyword().to_string();
    let push = |out: &mut Vec<FieldProblem>, pointer: String, detail: String| {
        out.push(FieldProblem {
            pointer: if pointer.is_empty() {
                "/".into()
            } else {
                pointer
            },
            detail,
            code: Some(keyword.clone()),
        })
    };
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known = known_fields(doc, e.schema_path().as_str());
            for name in unexpected {
                let detail = if known.is_empty() {
                    "unknown field".to_string()
                } else {
                    format!("unknown field; known fields: {}", known.join(", "))
                };
                push(out, format!("{at}/{}", escape(name)), detail);
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            push(out, format!("{at}/{}", escape(name)), "is required".into());
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            // `Option<T>` is `oneOf: [null, T]`: report why the value is not a T, not that it
            // is not null either.
            let real: Vec<_> = context
                .iter()
                .filter(|branch| {
                    !(branch.len() == 1
                        && matches!(branch[0].kind(), ValidationErrorKind::Type { .. })
                        && branch[0].instance_path().as_str() == at)
                })
                .collect();
            if let [branch] = real.as_slice() {
                for sub in branch.iter() {
                    problems(sub, doc, out);
                }
            } else {
                push(out, at, "does not match any allowed form".into());
            }
        }
        ValidationErrorKind::Pattern { pattern } if pattern == NO_CONTROL_PATTERN => {
            push(out, at, CONTROL_DETAIL.into())
        }
        ValidationErrorKind::Pattern { pattern } => {
            let detail = match pattern.as_str() {
                shiphub_carriers::model::US_ZIP_PATTERN => {
                    "a US ZIP code is 12345 or 12345-6789".to_string()
                }
                shiphub_carriers::model::POSITIVE_MEASURE_PATTERN => {
                    "must be a decimal string greater than 0 and below 10000, at most 4 decimals"
                        .to_string()
                }
                shiphub_carriers::model::TEXT_PATTERN => {
                    "must not be blank nor hold control characters".to_string()
                }
                shiphub_carriers::model::china::PHONE_PATTERN => {
                    shiphub_carriers::model::china::phone(e.instance().as_str().unwrap_or(""))
                        .err()
                        .map_or_else(
                            || format!("must match the pattern `{pattern}`"),
                            |e| e.message,
                        )
                }
                shiphub_carriers::model::china::POSTCODE_PATTERN => {
                    "a Chinese postcode is 6 digits".to_string()
                }
                _ => format!("must match the pattern `{pattern}`"),
            };
            push(out, at, detail)
        }
        ValidationErrorKind::MaxLength { limit } => {
            push(out, at, format!("must be at most {limit} characters"))
        }
        ValidationErrorKind::MinLength { limit } => {
            push(out, at, format!("must be at least {limit} characters"))
        }
        ValidationErrorKind::MaxItems { limit } => {
            push(out, at, format!("must have at most {limit} items"))
        }
        ValidationErrorKind::MinItems { limit } => {
            push(out, at, format!("must have at least {limit} items"))
        }
        ValidationErrorKind::Maximum { limit } => push(out, at, format!("must be at most {limit}")),
        ValidationErrorKind::Minimum { limit } => {
            push(out, at, format!("must be at least {limit}"))
        }
        ValidationErrorKind::Enum { options }
            if let Some(detail) = china_enum_detail(e.instance(), options) =>
        {
            push(out, at, detail)
        }
        ValidationErrorKind::Enum { options } => {
            let list: Vec<String> = options
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_string))
                .collect();
            push(out, at, format!("must be one of: {}", list.join(", ")))
        }
        ValidationErrorKind::Type { kind } => {
            push(out, at, format!("must be of type {}", type_name(kind)))
        }
        _ => push(out, at, e.to_string()),
    }
}

/// Whether a string holds a control character. Every control character is below U+00A0:
/// in UTF-8 a byte below 0x20, 0x7F, or a two-byte sequence led by 0xC2 (U+0080 to U+00BF),
/// so a byte scan clears nearly every string before any `char` is decoded.
fn has_control(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2) && s.chars().any(char::is_control)
}

/// Whether a control character is anywhere in a JSON value (keys too).
fn has_controls(v: &Value) -> bool {
    match v {
        Value::String(s) => has_control(s),
        Value::Array(items) => items.iter().any(has_controls),
        Value::Object(map) => map.iter().any(|(k, v)| has_control(k) || has_controls(v)),
        _ => false,
    }
}

/// Control characters anywhere in a JSON value (keys too), by pointer.
fn controls(v: &Value, at: &mut String, out: &mut Vec<FieldProblem>) {
    match v {
        Value::String(s) => out.extend(control_problem(at, s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                controls(item, at, out);
                at.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&escape(k));
                out.extend(control_problem(at, k));
                controls(item, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

fn type_name(kind: &jsonschema::error::TypeKind) -> String {
    match kind {
        jsonschema::error::TypeKind::Single(t) => t.to_string(),
        jsonschema::error::TypeKind::Multiple(ts) => {
            let names: Vec<String> = ts.iter().map(|t| t.to_string()).collect();
            names.join(" or ")
        }
    }
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The property names of the object schema whose `additionalProperties` failed, found by
/// walking the keyword location through the document (following `$ref`s).
fn known_fields(doc: &Value, keyword_location: &str) -> Vec<String> {
    let Some(parent) = keyword_location.strip_suffix("/additionalProperties") else {
        return vec![];
    };
    let mut node = doc;
    for seg in parent.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg == "$ref" {
            let Some(target) = node
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| doc.pointer(p))
            else {
                return vec![];
            };
            node = target;
            continue;
        }
        let next = match node {
            Value::Object(m) => m.get(&seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        let Some(next) = next else {
            return vec![];
        };
        node = next;
    }
    node.get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(method: Method, route: &str, body: Value) -> Vec<FieldProblem> {
        match check_body(&method, route, &body) {
            Ok(()) => vec![],
            Err(Error::Validation(v)) => v,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn purchase() -> Value {
        json!({"from":{"name":"S","street":["1 A St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
               "to":{"name":"R","street":["1 Market St"],"city":"SF","state":"CA","postal_code":"94105","country":"US"},
               "parcels":[{"weight":{"value":"2.5","unit":"kg"}}],
               "carrier_account":"car_1","service":"standard"})
    }

    /// Every object a JSON body can hold, by JSON path, with its schema resolved.
    fn objects<'a>(doc: &'a Value, s: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
        if out.len() > 5000 {
            return;
        }
        let s = match s.get("$ref").and_then(Value::as_str) {
            Some(r) => doc
                .pointer(r.trim_start_matches('#'))
                .expect("ref resolves"),
            None => s,
        };
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            out.push((at.clone(), s));
            for (k, v) in props {
                objects(doc, v, format!("{at}/{k}"), out);
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for v in s.get(key).and_then(Value::as_array).into_iter().flatten() {
                objects(doc, v, at.clone(), out);
            }
        }
        if let Some(items) = s.get("items") {
            objects(doc, items, format!("{at}/0"), out);
        }
    }

    #[test]
    fn every_json_body_is_checked_and_closed_at_every_level() {
        let doc = serde_json::to_value(crate::api::openapi()).unwrap();
        let mut bodies = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let Some(schema) = op.pointer("/requestBody/content/application~1json/schema")
                else {
                    continue;
                };
                bodies += 1;
                let m: Method = method.to_ascii_uppercase().parse().unwrap();
                assert!(has_body_schema(&m, path), "{method} {path}");
                let mut found = vec![];
                objects(&doc, schema, String::new(), &mut found);
                for (at, o) in found {
                    assert_eq!(
                        o.get("additionalProperties"),
                        Some(&json!(false)),
                        "{method} {path} at `{at}` is open: {o}"
                    );
                }
            }
        }
        assert!(bodies >= 10, "{bodies} JSON bodies");
    }

    #[test]
    fn a_purchase_reports_every_error_at_once_and_names_the_known_fields() {
        assert_eq!(
            problems_of(Method::POST, "/v1/shipments", purchase()),
            vec![]
        );
        let mut body = purchase();
        body["gift_wrap"] = json!(true);
        body["insurance"] = json!({"amount": "10"});
        body["to"]["apartment"] = json!("4B");
        body["to"]["postal_code"] = json!("9410");
        body["from"]["state"] = json!("XX");
        body["from"]["name"] = json!("N".repeat(36));
        body["parcels"][0]["weight"]["value"] = json!("0");
        body["reference"] = json!("ok\u{0}");
        let got = problems_of(Method::POST, "/v1/shipments", body);
        let at = |p: &str| {
            got.iter()
                .find(|x| x.pointer == p)
                .unwrap_or_else(|| panic!("nothing at {p}: {got:?}"))
        };
        assert!(at("/gift_wrap").detail.contains("carrier_account"));
        assert_eq!(
            at("/gift_wrap").code.as_deref(),
            Some("additionalProperties")
        );
        assert!(at("/insurance").detail.starts_with("unknown field"));
        assert!(at("/to/apartment").detail.contains("postal_code"));
        assert_eq!(
            at("/to/postal_code").detail,
            "a US ZIP code is 12345 or 12345-6789"
        );
        assert!(
            at("/parcels/0/weight/value")
                .detail
                .contains("greater than 0")
        );
        assert!(at("/from/state").detail.contains("GA"));
        assert_eq!(at("/from/name").detail, "must be at most 35 characters");
        at("/parcels/0/weight/value");
        assert_eq!(at("/reference").detail, CONTROL_DETAIL);
        assert_eq!(got.len(), 8, "{got:?}");
    }

    #[test]
    fn a_nested_optional_object_reports_its_own_fields() {
        let mut body = purchase();
        body["customs"] =
            json!({"incoterm": "DAP", "content_type": "gift", "items": [], "colour": 1});
        let got = problems_of(Method::POST, "/v1/shipments", body);
        assert!(
            got.iter().any(|p| p.pointer == "/customs/colour"),
            "{got:?}"
        );
    }

    #[test]
    fn control_characters_are_refused_in_free_form_parts_and_keys() {
        let body =
            json!({"carrier": "sandbox", "name": "n", "credentials": {"a\u{1}": ["x\u{9f}"]}});
        let got = problems_of(Method::POST, "/v1/carrier-accounts", body);
        let pointers: Vec<&str> = got.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/credentials/a\u{1}", "/credentials/a\u{1}/0"],
            "{got:?}"
        );
        assert!(control_problem("/x", "tab\there").is_some());
        assert!(control_problem("/x", "Zoë 東京 ✓").is_none());
    }

    #[test]
    fn the_byte_scan_finds_exactly_the_control_characters() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            assert_eq!(has_control(&s), c.is_control(), "U+{:04X}", c as u32);
        }
        assert!(has_controls(&json!({"a": [{"b\u{85}": 1}]})));
        assert!(!has_controls(&json!({"Zoë": ["東京", "\u{a0}"]})));
    }

    #[test]
    fn the_weight_pattern_accepts_exactly_the_positive_weights_below_ten_thousand() {
        use rust_decimal::Decimal;
        let doc = serde_json::to_value(crate::api::openapi()).unwrap();
        let pattern = doc["components"]["schemas"]["Weight"]["properties"]["value"]["pattern"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(pattern, shiphub_carriers::model::POSITIVE_MEASURE_PATTERN);
        let address = &doc["components"]["schemas"]["Address"]["properties"];
        for field in ["name", "city"] {
            assert_eq!(
                address[field]["pattern"],
                shiphub_carriers::model::TEXT_PATTERN
            );
        }
        for side in ["length", "width", "height"] {
            assert_eq!(
                doc["components"]["schemas"]["Dimensions"]["properties"][side]["pattern"],
                pattern
            );
        }
        let v =
            jsonschema::draft202012::new(&json!({"type": "string", "pattern": pattern})).unwrap();
        let accepted = [
            "1",
            "2.5",
            "0.25",
            ".5",
            "0.0625",
            "9999.9999",
            "0.0001",
            "10",
            "100.1",
        ];
        let refused = [
            "0", "0.0", "-1", "1e3", "10000", "1.23456", "", ".", "1.", " 1", "0.00001", "01",
            "abc",
        ];
        for s in accepted {
            assert!(v.is_valid(&json!(s)), "{s}");
            // What the schema lets through, the type takes: a positive weight.
            let w: shiphub_carriers::model::Weight =
                serde_json::from_value(json!({"value": s, "unit": "kg"})).unwrap();
            assert!(w.value() > Decimal::ZERO, "{s}");
        }
        for s in refused {
            assert!(!v.is_valid(&json!(s)), "{s}");
        }
    }

    fn china_purchase() -> Value {
        let mut body = purchase();
        body["to"] = json!({"name":"郭襄阳","street":["湖北省襄阳市襄城区环城东路122号"],"city":"襄阳市",
            "district":"襄城区","state":"湖北省","country":"CN","phone":"18963828829"});
        body
    }

    #[test]
    fn a_chinese_address_is_checked_against_gb2260_with_the_parsers_words() {
        assert_eq!(
            problems_of(Method::POST, "/v1/shipments", china_purchase()),
            vec![]
        );
        let at = |field: &str, value: Value| {
            let mut body = china_purchase();
            body["to"][field] = value;
            let got = problems_of(Method::POST, "/v1/shipments", body);
            assert_eq!(got.len(), 1, "{got:?}");
            assert_eq!(got[0].pointer, format!("/to/{field}"), "{got:?}");
            got[0].detail.clone()
        };
        let d = at("state", json!("湖某省"));
        assert!(
            d.starts_with("`湖某省` is not a province of China (GB/T 2260)"),
            "{d}"
        );
        assert!(at("state", json!("香港")).contains("country `HK`"));
        assert!(at("city", json!("长沙市")).starts_with("`长沙市` is not a city of 湖北省"));
        assert!(at("phone", json!("1896382882")).contains("a mobile in China is 11 digits"));
        assert!(at("phone", Value::Null).contains("string"));
        assert_eq!(
            at("postal_code", json!("4410")),
            "a Chinese postcode is 6 digits"
        );
        // Outside China the state keeps its 5 characters; inside, the long names pass.
        let mut body = purchase();
        body["to"]["country"] = json!("DE");
        body["to"]["state"] = json!("湖北省湖北省");
        let got = problems_of(Method::POST, "/v1/shipments", body);
        assert_eq!(got[0].pointer, "/to/state", "{got:?}");
        let mut body = china_purchase();
        body["to"]["state"] = json!("新疆维吾尔自治区");
        body["to"]["city"] = json!("乌鲁木齐");
        assert_eq!(problems_of(Method::POST, "/v1/shipments", body), vec![]);
        // Romanized for an international carrier: free 5-character state, still the mobile.
        let mut body = china_purchase();
        body["to"]["city"] = json!("Xiangyang");
        body["to"]["state"] = json!("HB");
        assert_eq!(
            problems_of(Method::POST, "/v1/shipments", body.clone()),
            vec![]
        );
        body["to"]["state"] = json!("Hubei Prov");
        body["to"]["phone"] = json!("555-0100");
        let got = problems_of(Method::POST, "/v1/shipments", body);
        let pointers: Vec<&str> = got.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/to/phone", "/to/state"], "{got:?}");
    }

    #[test]
    fn the_script_pattern_says_what_the_parser_does() {
        use shiphub_carriers::model::china::{NOT_CHINESE_SCRIPT_PATTERN, chinese_script};
        let v = jsonschema::draft202012::new(
            &json!({"type": "string", "pattern": NOT_CHINESE_SCRIPT_PATTERN}),
        )
        .unwrap();
        for s in [
            "Xiangyang",
            "襄阳市",
            "Shenzhen 深圳",
            "㐀",
            "鿿",
            "ＡＢＣ",
            "Zoë",
            "東京",
            "서울",
            "",
        ] {
            assert_eq!(v.is_valid(&json!(s)), !chinese_script(s), "`{s}`");
        }
    }

    #[test]
    fn every_chinese_province_and_city_the_schema_allows_parses() {
        use shiphub_carriers::model::{Address, china};
        let mut pairs = 0;
        for (p, forms) in china::province_forms() {
            for state in forms {
                for city in china::city_forms(p.code) {
                    let a: Address =
                        serde_json::from_value(json!({"name":"收件人","street":["某路1号"],
                        "city":city,"state":state,"country":"CN","phone":"13000000000"}))
                        .unwrap_or_else(|e| panic!("{state} {city}: {e}"));
                    assert_eq!(a.state.as_deref(), Some(p.name));
                    pairs += 1;
                }
            }
        }
        assert!(pairs > 2000, "{pairs}");
    }

    #[test]
    fn the_china_phone_pattern_says_what_the_parser_does() {
        use shiphub_carriers::model::china::{PHONE_PATTERN, phone};
        let v = jsonschema::draft202012::new(&json!({"type": "string", "pattern": PHONE_PATTERN}))
            .unwrap();
        for s in [
            "18963828829",
            "+86 189 6382 8829",
            "0086-18963828829",
            "86 18963828829",
            "8618963828829",
            " 189-6382-8829 ",
            "010-12345678",
            "0755 88888888",
            "07108888888",
            "4001118851",
            "800-123-4567",
            "1896382882",
            "189638288290",
            "12963828829",
            "+1 415 555 0100",
            "010-123456",
            "abc18963828829",
            "+010-12345678",
            "1896382882+9",
            "00-12345678",
            "010-12345678-",
            "-18963828829",
            "+8618963828829",
            "+86-18963828829",
            "",
            "0086 18963828829",
            "14155550100",
        ] {
            assert_eq!(v.is_valid(&json!(s)), phone(s).is_ok(), "`{s}`");
        }
    }
}
