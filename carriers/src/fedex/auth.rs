//! FedEx OAuth2 client credentials, exactly as `fedex/openapi/authorization-api.json` says:
//! `POST {base}/oauth/token`, form-encoded `grant_type=client_credentials&client_id=<API key>
//! &client_secret=<secret key>`, answering `{access_token, token_type, expires_in (seconds),
//! scope}`. Tokens live in the shared [`crate::oauth::TOKENS`] cache keyed by (base URL, API
//! key), never by the secret, and are reused until shortly before expiry. This module fetches
//! and forgets tokens; it never retries (a 401 on an API call is retried once by `mod.rs`).

use url::Url;

use crate::error::CarrierError;
use crate::http::CarrierHttp;
use crate::oauth::{ONE_MINUTE, TOKENS, Token, read_token};

use super::account::Credentials;
use super::error::{self, Op};

/// The token endpoint under `base`.
pub(super) fn token_url(base: &Url) -> Url {
    crate::http::endpoint(base, "oauth/token")
}

/// The form body, in the order FedEx documents it.
pub(super) fn token_form(creds: &Credentials) -> [(&'static str, &str); 3] {
    [
        ("grant_type", "client_credentials"),
        ("client_id", &creds.api_key),
        ("client_secret", creds.secret_key.expose()),
    ]
}

/// Reads a token answer. FedEx documents 3600 s; an answer without `expires_in` is trusted
/// for a minute, so a misbehaving host cannot pin a token forever.
pub(super) fn parse_token(status: u16, body: &[u8]) -> Result<Token, CarrierError> {
    if !(200..300).contains(&status) {
        return Err(error::classify(Op::Token, status, None, body));
    }
    read_token(super::CODE, status, body, error::REDACTED, ONE_MINUTE)
}

/// A bearer token for `creds` on `base`, from the cache or freshly fetched.
pub(super) async fn bearer(
    http: &CarrierHttp,
    base: &Url,
    creds: &Credentials,
) -> Result<String, CarrierError> {
    TOKENS
        .get(base.as_str(), &creds.api_key, || fetch(http, base, creds))
        .await
}

/// Drops the cached token after FedEx refused it.
pub(super) fn forget(base: &Url, creds: &Credentials) {
    TOKENS.invalidate(base.as_str(), &creds.api_key);
}

async fn fetch(http: &CarrierHttp, base: &Url, creds: &Credentials) -> Result<Token, CarrierError> {
    let request = http
        .client
        .post(token_url(base))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&token_form(creds));
    let a = http.send(request, super::CODE, false).await?;
    if a.status == 429 {
        return Err(error::classify(Op::Token, a.status, a.retry_after, &a.body));
    }
    parse_token(a.status, &a.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn token_answer_is_read_with_its_lifetime() {
        let t = parse_token(
            200,
            br#"{"access_token":"eyJ.abc","token_type":"bearer","expires_in":3599,"scope":"CXS"}"#,
        )
        .unwrap();
        assert_eq!(t.access_token, "eyJ.abc");
        assert_eq!(t.expires_in, Duration::from_secs(3599));
    }

    #[test]
    fn refused_credentials_are_auth_and_garbage_is_protocol() {
        let refused = br#"{"transactionId":"x","errors":[{"code":"NOT.AUTHORIZED.ERROR","message":"The given client credentials were not valid."}]}"#;
        assert!(matches!(
            parse_token(401, refused),
            Err(CarrierError::Auth { .. })
        ));
        assert!(matches!(
            parse_token(200, b"{\"access_tok"),
            Err(CarrierError::Protocol { .. })
        ));
        assert!(matches!(
            parse_token(200, b"{\"token_type\":\"bearer\"}"),
            Err(CarrierError::Protocol { .. })
        ));
        assert!(matches!(
            parse_token(503, b""),
            Err(CarrierError::Transient {
                maybe_processed: false,
                ..
            })
        ));
    }

    #[test]
    fn oauth_refusals_keep_the_oauth_error_code() {
        // RFC 6749 §5.2, as FedEx's OAuth server answers a wrong secret or grant.
        for (status, code) in [(401, "invalid_client"), (400, "invalid_grant")] {
            let body = format!(r#"{{"error":"{code}","error_description":"refused"}}"#);
            match parse_token(status, body.as_bytes()) {
                Err(CarrierError::Auth { code: Some(c), .. }) => assert_eq!(c, code),
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn protocol_errors_never_carry_the_token() {
        let Err(CarrierError::Protocol { body, .. }) =
            parse_token(200, br#"{"access_token":"SECRET-TOKEN","expires_in":"#)
        else {
            panic!("expected protocol")
        };
        assert!(!format!("{body:?}").contains("SECRET-TOKEN"));
    }
}
