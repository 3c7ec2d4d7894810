//! Request extractors: the tenant behind a Bearer key, JSON bodies checked against their
//! operation's published schema (every error at once, each naming its field), query strings
//! and path segments whose errors are problem+json too, and the `Idempotency-Key` header.
//!
//! Pointers: a body field is a JSON pointer into the body (`/to/postal_code`); the other
//! inputs are prefixed with where they came from: `/query/limit`, `/path/id`,
//! `/headers/Idempotency-Key`. Every string anywhere in a request is refused with a 422 when it
//! holds a control character (see [`super::schema::NO_CONTROL_PATTERN`]), before any work.

use axum::extract::{FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::http::{HeaderMap, Method, header, request::Parts};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::schema::control_problem;
use crate::error::{Error, FieldProblem};
use crate::ids::TenantId;
use crate::state::AppState;

/// The authenticated tenant, as the guard (`api::guard`, the one place permissions are
/// checked) found it: every route that takes a `Tenant` is in the guard's table.
#[derive(Clone, Debug)]
pub struct Tenant(pub TenantId);

impl FromRequestParts<AppState> for Tenant {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Error> {
        parts
            .extensions
            .get::<crate::auth::Principal>()
            .map(|p| Tenant(p.tenant.clone()))
            .ok_or(Error::Unauthorized(
                "send `Authorization: Bearer <api key>`",
            ))
    }
}

/// Who is calling (key or session, tenant, role), as the guard found it.
pub struct Caller(pub crate::auth::Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Error> {
        parts
            .extensions
            .get::<crate::auth::Principal>()
            .cloned()
            .map(Caller)
            .ok_or(Error::Unauthorized(
                "send `Authorization: Bearer <api key>`",
            ))
    }
}

/// The token of an `Authorization: Bearer …` header (the scheme is case-insensitive).
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// `Idempotency-Key` header, when sent. The operations that honour one list this type in
/// their `params`: what is published is what is parsed here, 1 to 255 visible ASCII characters.
#[derive(Clone, Debug, utoipa::IntoParams)]
#[into_params(names("Idempotency-Key"), parameter_in = Header)]
pub struct IdempotencyKey(
    /// Makes a retried request safe: a retry with the same key and body gets the first
    /// answer, and never buys or creates twice. Use a new key for a new request.
    #[param(min_length = 1, max_length = 255, pattern = "^[!-~]([ -~]*[!-~])?$")]
    pub Option<String>,
);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let Some(v) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = v
            .to_str()
            .ok()
            .filter(|k| !k.chars().any(char::is_control))
            .ok_or_else(|| Error::field("/headers/Idempotency-Key", "must be visible ASCII"))?
            .trim();
        if key.is_empty() || key.len() > 255 {
            return Err(Error::field(
                "/headers/Idempotency-Key",
                "must be 1 to 255 characters",
            ));
        }
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}

/// A JSON body checked against the schema its operation publishes (every misfit at once, a
/// 422 naming each field), then parsed into `T` (what only code checks: a 422 naming the
/// field). Malformed JSON is a 400; another media type a 415; too large a body a 413.
pub struct JsonBody<T> {
    pub value: T,
    /// The body as sent, for the idempotency hash.
    pub raw: serde_json::Value,
}

impl<T> JsonBody<T> {
    /// The body's canonical hash (see [`canonical_hash`]).
    pub fn hash(&self) -> String {
        canonical_hash(&self.raw)
    }
}

/// A hash of a body's canonical form (keys sorted, whitespace dropped), so that an idempotent
/// retry matches however the client re-serialized it. Only idempotent handlers pay for it.
pub fn canonical_hash(value: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(value).expect("a Value serializes"),
    ))
}

/// Whether the request says `application/json`, in UTF-8 (the only charset JSON has, RFC 8259
/// section 8.1): `application/json` or `application/json; charset=utf-8`, case-insensitive.
pub fn is_json_utf8(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = ct.split(';');
    if !parts
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    {
        return false;
    }
    parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            let v = value.trim().trim_matches('"');
            v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")
        }
        // Other parameters mean nothing to JSON; an empty one is a stray `;`.
        Some(_) => true,
        None => param.trim().is_empty(),
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;
    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        if !is_json_utf8(req.headers()) {
            return Err(Error::UnsupportedMedia);
        }
        // The matched route is an `Arc<str>`: cloning it allocates nothing.
        let route = req.extensions().get::<MatchedPath>().cloned();
        let method = req.method().clone();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    Error::TooLarge(super::body_limit(
                        method.as_str(),
                        route.as_ref().map(MatchedPath::as_str),
                    ) as u64)
                } else if super::problem::is_body_timeout(&e) {
                    Error::BodyTimeout
                } else {
                    Error::Malformed(e.body_text())
                }
            })?;
        parse_checked(&method, route.as_ref().map(MatchedPath::as_str), &bytes)
    }
}

/// What [`JsonBody`] does with a request's bytes: JSON syntax first (a malformed body is a 400,
/// never a field error), then the schema `method route` publishes, then `T`, read from the very
/// value that was checked (borrowed: no copy of the document).
pub fn parse_checked<T: DeserializeOwned>(
    method: &Method,
    route: Option<&str>,
    bytes: &[u8],
) -> Result<JsonBody<T>, Error> {
    let raw: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
    if let Some(route) = route {
        super::schema::check_body(method, route, &raw)?;
    }
    Ok(JsonBody {
        value: parse_ref(&raw)?,
        raw,
    })
}

/// Query parameters parsed into `T`: a parameter that is missing, malformed, out of range or
/// holds a control character is a 422 pointing at `/query/<name>`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = url::form_urlencoded::parse(query.as_bytes());
        let controls: Vec<FieldProblem> = pairs
            .filter_map(|(k, v)| {
                let pointer = format!("/query/{}", escape(&k));
                control_problem(&pointer, &k).or_else(|| control_problem(&pointer, &v))
            })
            .collect();
        if !controls.is_empty() {
            return Err(Error::Validation(controls));
        }
        serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(Query)
            .map_err(|e| {
                let path = format!("/query{}", pointer(e.path()));
                let mut problem = field_problem(path, &e.inner().to_string());
                // serde_urlencoded names no field for a value that is not a number.
                if problem.pointer == "/query" {
                    problem.pointer = "/query/".into();
                }
                Error::Validation(vec![problem])
            })
    }
}

/// Path parameters parsed into `T`; a segment with a control character (`%00`) or that does not
/// fit is a 422 pointing at `/path/<name>`, before any handler looks it up.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| Error::field("/path", e.body_text()))?;
        let controls: Vec<FieldProblem> = raw
            .iter()
            .filter_map(|(k, v)| control_problem(&format!("/path/{}", escape(k)), v))
            .collect();
        if !controls.is_empty() {
            return Err(Error::Validation(controls));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| Error::field("/path", e.body_text()))
    }
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Parses a JSON document into `T` without a schema (bodies of the CLI and of tests).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<JsonBody<T>, Error> {
    let raw: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
    // Every body is an object; serde would read a struct from an array (`[null, null]`) too.
    if !raw.is_object() {
        return Err(Error::field("/", "must be a JSON object"));
    }
    Ok(JsonBody {
        value: parse_ref(&raw)?,
        raw,
    })
}

/// Deserializes an already-parsed body from a borrow, naming the failing field.
pub fn parse_ref<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = pointer(e.path());
        Error::Validation(vec![field_problem(path, &e.inner().to_string())])
    })
}

fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1")))
            }
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    out
}

/// Folds the finer field a value type named (`/postal_code: is required`) or serde's
/// `missing field `x`` into the pointer.
fn field_problem(mut pointer: String, message: &str) -> FieldProblem {
    let mut detail = message.to_string();
    if let Some(rest) = message.strip_prefix('/')
        && let Some((field, msg)) = rest.split_once(": ")
    {
        pointer = format!("{pointer}/{field}");
        detail = msg.to_string();
    } else if let Some(rest) = message.strip_prefix("missing field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        pointer = format!("{pointer}/{field}");
        detail = "is required".to_string();
    }
    // serde appends " at line N column M" to some messages; the pointer already says where.
    if let Some(idx) = detail.find(" at line ") {
        detail.truncate(idx);
    }
    FieldProblem {
        pointer: if pointer.is_empty() {
            "/".into()
        } else {
            pointer
        },
        detail,
        code: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiphub_carriers::model::RateRequest;

    fn field_errors(body: &str) -> Vec<FieldProblem> {
        match parse_json::<RateRequest>(body.as_bytes()) {
            Err(Error::Validation(v)) => v,
            Err(e) => panic!("expected a validation error, got {e:?}"),
            Ok(_) => panic!("expected a validation error"),
        }
    }

    const FROM: &str = r#"{"name":"S","street":["1 A St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"}"#;

    #[test]
    fn nested_value_errors_name_the_field() {
        let body = format!(
            r#"{{"from":{FROM},"to":{{"name":"R","street":["x"],"city":"SF","state":"CA","country":"US"}},"parcels":[]}}"#
        );
        let e = field_errors(&body);
        assert_eq!(e[0].pointer, "/to/postal_code");
        let body = format!(
            r#"{{"from":{FROM},"to":{FROM},"parcels":[{{"weight":{{"value":"-1","unit":"kg"}}}}]}}"#
        );
        assert_eq!(field_errors(&body)[0].pointer, "/parcels/0/weight/value");
        let body = format!(
            r#"{{"from":{FROM},"to":{FROM},"parcels":[{{"weight":{{"value":"1","unit":"kg"}},"dimensions":{{"length":"1","width":"0","height":"1","unit":"cm"}}}}]}}"#
        );
        assert_eq!(
            field_errors(&body)[0].pointer,
            "/parcels/0/dimensions/width"
        );
        let body = format!(r#"{{"from":{FROM},"parcels":[]}}"#);
        assert_eq!(field_errors(&body)[0].pointer, "/to");
        let body = format!(
            r#"{{"from":{FROM},"to":{{"name":"R","street":["x"],"city":"SF","postal_code":"1","country":"ZZ"}},"parcels":[]}}"#
        );
        let e = field_errors(&body);
        assert_eq!(e[0].pointer, "/to/country");
        assert!(e[0].detail.contains("ISO 3166"), "{}", e[0].detail);
    }

    #[test]
    fn malformed_json_is_not_a_field_error() {
        assert!(matches!(
            parse_json::<RateRequest>(b"{\"from\":"),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn only_json_in_utf8_is_json() {
        let ok = |ct: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            is_json_utf8(&h)
        };
        for yes in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "application/json; charset=utf8",
            "application/json;",
        ] {
            assert!(ok(yes), "{yes}");
        }
        for no in [
            "application/json; charset=latin1",
            "application/json; charset=utf-16",
            "application/jsonx",
            "application/merge-patch+json",
            "text/json",
            "text/plain",
            "",
        ] {
            assert!(!ok(no), "{no}");
        }
        assert!(!is_json_utf8(&HeaderMap::new()));
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Params {
        to: String,
        limit: Option<u32>,
        format: Option<shiphub_carriers::model::LabelFormat>,
    }

    async fn query(uri: &str) -> Result<Params, Vec<FieldProblem>> {
        let (mut parts, _) = axum::http::Request::builder()
            .uri(uri)
            .body(())
            .unwrap()
            .into_parts();
        match Query::<Params>::from_request_parts(&mut parts, &()).await {
            Ok(Query(p)) => Ok(p),
            Err(Error::Validation(v)) => Err(v),
            Err(e) => panic!("{e:?}"),
        }
    }

    #[tokio::test]
    async fn query_errors_point_at_the_parameter() {
        let at = |r: Result<Params, Vec<FieldProblem>>| r.unwrap_err()[0].pointer.clone();
        assert_eq!(at(query("/x?limit=1").await), "/query/to");
        assert_eq!(at(query("/x?to=a&limit=-1").await), "/query/limit");
        let e = query("/x?to=a&format=ZPL").await.unwrap_err();
        assert_eq!(e[0].pointer, "/query/format");
        assert!(e[0].detail.contains("zpl"), "{e:?}");
        assert_eq!(at(query("/x?to=a%00b").await), "/query/to");
        assert_eq!(at(query("/x?to=a&x%01=1").await), "/query/x\u{1}");
        let p = query("/x?to=caf%C3%A9&limit=5").await.unwrap();
        assert_eq!((p.to.as_str(), p.limit), ("café", Some(5)));
    }

    #[test]
    fn canonical_hash_ignores_key_order_and_whitespace() {
        let hash =
            |body: &[u8]| canonical_hash(&parse_json::<serde_json::Value>(body).unwrap().value);
        let a = hash(br#"{"a":1,"b":[1,2]}"#);
        assert_eq!(a, hash(b"{ \"b\": [1, 2],\n \"a\": 1 }"));
        assert_ne!(a, hash(br#"{"a":2,"b":[1,2]}"#));
    }
}
