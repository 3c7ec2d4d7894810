//! USPS OAuth2 client credentials and the payment authorization token, both cached in the
//! shared [`crate::oauth::TOKENS`] cache and never keyed by a secret.
//!
//! - Bearer: `POST {base}/oauth2/v3/token` with a JSON body `{client_id, client_secret,
//!   grant_type: "client_credentials"}` (USPS publishes no OAuth spec; this is the form of
//!   `api-examples/README.md`). `expires_in` comes as a string of seconds.
//! - Payment: `POST {base}/payments/v3/payment-authorization` with the account's roles
//!   (`PAYER` with the EPS or permit account, `LABEL_OWNER` with CRID, MID and manifest MID),
//!   answering `paymentAuthorizationToken`, "valid for eight hours after issuance". It is sent
//!   as `X-Payment-Authorization-Token` on label and cancel calls, and cached like a bearer
//!   token under (base URL + `payments`, client id + CRID).

use std::time::Duration;

use url::Url;

use crate::error::CarrierError;
use crate::oauth::{ONE_MINUTE, TOKENS, Token, read_token};

use super::account::{Account, Payment};
use super::error::{self, Op};
use super::wire;

/// Payment authorization tokens live eight hours (`payments.yaml`).
const PAYMENT_TOKEN_LIFETIME: Duration = Duration::from_secs(8 * 3600);

pub(super) fn token_body(account: &Account) -> wire::TokenRequest<'_> {
    wire::TokenRequest {
        client_id: &account.client_id,
        client_secret: account.client_secret.expose(),
        grant_type: "client_credentials",
    }
}

/// Reads a token answer; one without `expires_in` is trusted for a minute.
pub(super) fn parse_token(status: u16, body: &[u8]) -> Result<Token, CarrierError> {
    if !(200..300).contains(&status) {
        return Err(error::classify(Op::Token, status, None, body));
    }
    read_token(super::CODE, status, body, error::REDACTED, ONE_MINUTE)
}

/// The payment authorization body: the account pays and owns the label range.
pub(super) fn payment_body(account: &Account) -> wire::PaymentAuthorizationRequest {
    let role = |role_name| wire::Role {
        role_name,
        crid: account.crid.clone(),
        mid: account.mid.clone(),
        manifest_mid: account.manifest_mid.clone(),
        account_type: None,
        account_number: None,
        permit_number: None,
        permit_zip: None,
    };
    let mut payer = role("PAYER");
    match &account.payment {
        Payment::Eps { account_number } => {
            payer.account_type = Some("EPS");
            payer.account_number = Some(account_number.clone());
        }
        Payment::Permit { number, zip } => {
            payer.account_type = Some("PERMIT");
            payer.permit_number = Some(number.clone());
            payer.permit_zip = Some(zip.clone());
        }
    }
    wire::PaymentAuthorizationRequest {
        roles: vec![payer, role("LABEL_OWNER")],
    }
}

pub(super) fn parse_payment(status: u16, body: &[u8]) -> Result<Token, CarrierError> {
    if !(200..300).contains(&status) {
        return Err(error::classify(Op::Payment, status, None, body));
    }
    let parsed: wire::PaymentAuthorizationResponse = serde_json::from_slice(body)
        .map_err(|e| error::protocol(status, body, format!("payment authorization: {e}")))?;
    let access_token = parsed
        .payment_authorization_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| error::protocol(status, body, "payment authorization without a token"))?;
    Ok(Token {
        access_token,
        expires_in: PAYMENT_TOKEN_LIFETIME,
    })
}

fn payment_key(base: &Url) -> String {
    format!("{base}#payments")
}

fn payment_client(account: &Account) -> String {
    format!("{}/{}", account.client_id, account.crid)
}

/// A bearer token, from the cache or fetched.
pub(super) async fn bearer(usps: &super::Usps) -> Result<String, CarrierError> {
    TOKENS
        .get(usps.base.as_str(), &usps.account.client_id, || async {
            let a = usps
                .send_raw(
                    Op::Token,
                    reqwest::Method::POST,
                    "oauth2/v3/token",
                    None,
                    &[],
                    Some(&token_body(&usps.account)),
                )
                .await?;
            if a.status == 429 {
                return Err(error::classify(Op::Token, 429, a.retry_after, &a.body));
            }
            parse_token(a.status, &a.body)
        })
        .await
}

/// A payment authorization token, from the cache or fetched with `bearer`.
pub(super) async fn payment(usps: &super::Usps, bearer: &str) -> Result<String, CarrierError> {
    TOKENS
        .get(
            &payment_key(&usps.base),
            &payment_client(&usps.account),
            || async {
                let a = usps
                    .send_raw(
                        Op::Payment,
                        reqwest::Method::POST,
                        "payments/v3/payment-authorization",
                        Some(bearer),
                        &[],
                        Some(&payment_body(&usps.account)),
                    )
                    .await?;
                if a.status == 429 {
                    return Err(error::classify(Op::Payment, 429, a.retry_after, &a.body));
                }
                parse_payment(a.status, &a.body)
            },
        )
        .await
}

/// Drops both tokens after USPS refused a call made with them.
pub(super) fn forget(usps: &super::Usps) {
    TOKENS.invalidate(usps.base.as_str(), &usps.account.client_id);
    TOKENS.invalidate(&payment_key(&usps.base), &payment_client(&usps.account));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_refusals_keep_the_oauth_error_code() {
        // RFC 6749 §5.2, as the USPS OAuth server answers a wrong client secret.
        let body =
            br#"{"error":"invalid_client","error_description":"Client authentication failed"}"#;
        for status in [400, 401] {
            match parse_token(status, body) {
                Err(CarrierError::Auth { code: Some(c), .. }) => assert_eq!(c, "invalid_client"),
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn token_answers_read_expires_in_as_the_string_usps_sends() {
        let t = parse_token(
            200,
            br#"{"access_token":"eyJ.a","token_type":"Bearer","issued_at":"1","expires_in":"28799","status":"approved"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, Duration::from_secs(28799));
        let t = parse_token(200, br#"{"access_token":"x","expires_in":3600}"#).unwrap();
        assert_eq!(t.expires_in, Duration::from_secs(3600));
        assert!(matches!(
            parse_token(401, br#"{"error":{"code":"401","message":"Unauthorized"}}"#),
            Err(CarrierError::Auth { .. })
        ));
        assert!(matches!(
            parse_token(200, br#"{"token_type":"Bearer"}"#),
            Err(CarrierError::Protocol { .. })
        ));
    }

    #[test]
    fn payment_refusals_about_the_account_are_auth() {
        let body = br#"{"apiVersion":"/payments/v3","error":{"code":"400","message":"Bad Request","errors":[{"code":"100007","title":"Bad Request","detail":"Your Trust balance has insufficient funds.","source":{"parameter":"roles"}}]}}"#;
        assert!(matches!(
            parse_payment(400, body),
            Err(CarrierError::Auth { code: Some(c), .. }) if c == "100007"
        ));
        let t = parse_payment(
            200,
            br#"{"paymentAuthorizationToken":"header.body.signature","roles":[]}"#,
        )
        .unwrap();
        assert_eq!(t.access_token, "header.body.signature");
        assert_eq!(t.expires_in, PAYMENT_TOKEN_LIFETIME);
    }
}
