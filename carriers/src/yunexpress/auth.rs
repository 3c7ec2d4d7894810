//! YunExpress's request authentication (`fixtures/SOURCES.md`, "Auth"): an access token from
//! `POST /openapi/oauth2/token` (OAuth2 client credentials with the account's `appId`,
//! `appSecret` and `sourceKey`; answered `{"accessToken", "expiresIn"}`), then on every call
//! the headers `token`, `date` (milliseconds since the epoch) and `sign`:
//!
//! ```text
//! sign = Base64(HMAC-SHA256(key = appSecret,
//!               "body=<the JSON sent>&date=<date>&method=<METHOD>&uri=<path>"))
//! ```
//!
//! The fields are joined in name order; a call without a body (every GET) leaves `body=` out,
//! and `uri` is the path without the query string. Pure: the caller supplies the clock.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The token call's path.
pub(super) const TOKEN_PATH: &str = "openapi/oauth2/token";

/// The text YunExpress signs for one request.
pub(super) fn content(date_ms: &str, method: &str, uri: &str, body: Option<&str>) -> String {
    match body {
        Some(b) => format!("body={b}&date={date_ms}&method={method}&uri={uri}"),
        None => format!("date={date_ms}&method={method}&uri={uri}"),
    }
}

/// The `sign` header for `content` under `secret`.
pub(super) fn sign(secret: &str, content: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(content.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The token call's body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenRequest<'a> {
    pub grant_type: &'static str,
    pub app_id: &'a str,
    pub app_secret: &'a str,
    pub source_key: &'a str,
}

/// The token answer (camelCase, unlike RFC 6749's `access_token`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenResponse {
    #[serde(default, deserialize_with = "crate::http::lenient::nonblank_text")]
    pub access_token: Option<String>,
    #[serde(default, deserialize_with = "crate::http::lenient::count")]
    pub expires_in: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_joins_the_fields_in_name_order_and_leaves_out_an_absent_body() {
        assert_eq!(
            content(
                "1654060801140",
                "POST",
                "/v1/order/cancel",
                Some(r#"{"waybill_number":"YT1"}"#)
            ),
            r#"body={"waybill_number":"YT1"}&date=1654060801140&method=POST&uri=/v1/order/cancel"#
        );
        assert_eq!(
            content("1654060801140", "GET", "/v1/price-trial/get", None),
            "date=1654060801140&method=GET&uri=/v1/price-trial/get"
        );
    }

    #[test]
    fn sign_is_base64_hmac_sha256_keyed_by_the_secret() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?",
        // HMAC-SHA256 = 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843.
        assert_eq!(
            sign("Jefe", "what do ya want for nothing?"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
        );
    }
}
