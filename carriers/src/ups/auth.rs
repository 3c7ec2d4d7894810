//! UPS OAuth client credentials, exactly per `openapi/OAuthClientCredentials.yaml`:
//! `POST {host}/security/v1/oauth/token`, HTTP Basic `client_id:client_secret`, form body
//! `grant_type=client_credentials`, optional `x-merchant-id` (the shipper number). The
//! response's `expires_in` is a string of seconds.
//!
//! Pure build/parse only: `mod.rs` sends the request and caches the token in
//! `crate::oauth::TOKENS`, keyed by (base URL, client id), never by the secret.

use std::time::Duration;

use crate::error::CarrierError;
use crate::oauth::Token;

use super::ENTRY;
use super::account::Account;
use super::error::{self, Op};

/// The token path, outside `/api`.
pub(super) const TOKEN_PATH: &str = "/security/v1/oauth/token";

/// The form body.
pub(super) const FORM: [(&str, &str); 1] = [("grant_type", "client_credentials")];

/// The `Authorization: Basic …` header value.
pub(super) fn basic_auth(account: &Account) -> String {
    use base64::Engine;
    let raw = format!("{}:{}", account.client_id, account.client_secret.expose());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// When UPS omits or garbles `expires_in`, assume a short life so a bad guess costs one
/// extra token call, not a stream of 401s. (UPS tokens live about four hours.)
const FALLBACK_LIFETIME: Duration = Duration::from_secs(300);

/// The token from a token-endpoint answer. Non-2xx answers are classified like any UPS error
/// (a 401 or 403 here is final: the credentials themselves are wrong).
pub(super) fn parse(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<Token, CarrierError> {
    if !(200..300).contains(&status) {
        return Err(error::classify(Op::Token, status, retry_after, body));
    }
    crate::oauth::read_token(
        ENTRY.code.clone(),
        status,
        body,
        error::REDACTED,
        FALLBACK_LIFETIME,
    )
}
