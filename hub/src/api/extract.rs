//! Request extractors: the tenant behind a Bearer key, JSON bodies whose errors name the field
//! (JSON pointer), and the `Idempotency-Key` header.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::problem::{ApiError, FieldProblem};
use crate::crypto::hash_api_key;
use crate::ids::TenantId;
use crate::state::AppState;

/// The authenticated tenant.
#[derive(Clone, Debug)]
pub struct Tenant(pub TenantId);

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Err(ApiError::Unauthorized(
                "send `Authorization: Bearer <api key>`",
            ));
        }
        let key = bearer(&parts.headers).ok_or(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <api key>`",
        ))?;
        let hash = hash_api_key(key);
        if let Some(t) = app.key_cache.get(&hash) {
            return Ok(Tenant(t));
        }
        let tenant = app
            .store
            .tenant_for_key(&hash)
            .await?
            .ok_or(ApiError::Unauthorized("unknown or revoked API key"))?;
        app.key_cache.put(hash, tenant.clone());
        Ok(Tenant(tenant))
    }
}

/// The token of an `Authorization: Bearer …` header (the scheme is case-insensitive).
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Query parameters parsed into `T`; a misfit is a 422 problem naming the parameter
/// (`/limit`), where axum's own `Query` answers a `text/plain` 400.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let path = pointer(e.path());
                ApiError::Validation(vec![field_problem(path, &e.inner().to_string())])
            })
    }
}

/// `Idempotency-Key` header, when sent.
#[derive(Clone, Debug)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(v) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = v
            .to_str()
            .map_err(|_| ApiError::field("/headers/Idempotency-Key", "must be visible ASCII"))?
            .trim();
        if key.is_empty() || key.len() > 255 {
            return Err(ApiError::field(
                "/headers/Idempotency-Key",
                "must be 1 to 255 characters",
            ));
        }
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}

/// A JSON body parsed into `T`; a malformed body is a 400, a misfit a 422 naming the field.
pub struct JsonBody<T> {
    pub value: T,
}

/// A hash of a body's canonical form (keys sorted, whitespace dropped), so that an idempotent
/// retry matches however the client re-serialized it. Only idempotent handlers pay for it.
pub fn canonical_hash(value: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(value).expect("a Value serializes"),
    ))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.starts_with("application/json")
                    || (ct.starts_with("application/") && ct.contains("+json"))
            });
        if !json {
            return Err(ApiError::UnsupportedMedia);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge
                } else {
                    ApiError::Malformed(e.body_text())
                }
            })?;
        parse_json(&bytes)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<JsonBody<T>, ApiError> {
    // Syntax first, so a malformed body is a 400 and never a field error.
    let raw: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::Malformed(e.to_string()))?;
    // Every body is an object; serde would read a struct from an array (`[null, null]`) too.
    if !raw.is_object() {
        return Err(ApiError::field("/", "must be a JSON object"));
    }
    Ok(JsonBody {
        value: parse_value(raw)?,
    })
}

/// Deserializes part of an already-parsed body, naming the failing field.
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = pointer(e.path());
        ApiError::Validation(vec![field_problem(path, &e.inner().to_string())])
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
            Err(ApiError::Validation(v)) => v,
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
            Err(ApiError::Malformed(_))
        ));
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
