//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 over
//! "{id}.{timestamp}.{body}">`, keyed by the endpoint secret (`whsec_` + base64 of 32 random
//! bytes). During a secret rotation both secrets sign, space-separated, as the spec allows, so
//! receivers on either secret keep verifying.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// An endpoint's signing secret.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("a webhook secret is `whsec_` followed by base64")]
    Format,
    #[error("a webhook secret must decode to 24 to 64 bytes")]
    Length,
}

impl WebhookSecret {
    /// 32 random bytes.
    pub fn generate() -> Self {
        let mut key = vec![0u8; 32];
        rand::rng().fill_bytes(&mut key);
        WebhookSecret(key)
    }

    pub fn parse(s: &str) -> Result<Self, SecretError> {
        let b64 = s.strip_prefix(PREFIX).ok_or(SecretError::Format)?;
        let key = B64.decode(b64).map_err(|_| SecretError::Format)?;
        if !(24..=64).contains(&key.len()) {
            return Err(SecretError::Length);
        }
        Ok(WebhookSecret(key))
    }

    /// The `whsec_…` form, shown to the subscriber once.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", B64.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// `v1,<base64 signature>` for one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!(
            "v1,{}",
            B64.encode(self.mac(id, timestamp, body).finalize().into_bytes())
        )
    }

    /// This secret's HMAC, keyed once, for signing many messages (the event stream relay).
    pub fn signer(&self) -> Signer {
        Signer(Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length"))
    }
}

/// A secret's HMAC-SHA256 with the key schedule done (two SHA-256 blocks): each message
/// starts from a copy of that state instead of keying again.
#[derive(Clone)]
pub struct Signer(Hmac<Sha256>);

impl Signer {
    /// `v1,<base64 signature>` for one message, as `WebhookSecret::sign` gives it;
    /// `timestamp` is the decimal seconds as they go in the `webhook-timestamp` header.
    pub fn sign(&self, id: &str, timestamp: &str, body: &[u8]) -> String {
        let mut mac = self.0.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        let mut out = String::with_capacity(3 + 44);
        out.push_str("v1,");
        B64.encode_string(mac.finalize().into_bytes(), &mut out);
        out
    }
}

/// The `webhook-signature` header value: one `v1,…` entry per active secret.
pub fn signature_header(
    secrets: &[&WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether any `v1` entry of `header` is a valid signature by `secret` (constant-time compare),
/// and `timestamp` is within `tolerance_secs` of `now` (replay protection).
pub fn verify(
    secret: &WebhookSecret,
    id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
    now: i64,
    tolerance_secs: i64,
) -> bool {
    if (now - timestamp).abs() > tolerance_secs {
        return false;
    }
    header
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|sig| B64.decode(sig).ok())
        .any(|sig| secret.mac(id, timestamp, body).verify_slice(&sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks spec's own test vector.
    #[test]
    fn signs_the_spec_test_vector() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            secret.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        // The relay's signer, keyed once, signs the same, message after message.
        let signer = secret.signer();
        for _ in 0..2 {
            assert_eq!(
                signer.sign(
                    "msg_p5jXN8AQM9LWM0D4loKWxJek",
                    "1614265330",
                    br#"{"test": 2432232314}"#
                ),
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
            );
        }
    }

    #[test]
    fn verification_accepts_any_active_secret_and_rejects_tampering_and_replays() {
        let (old, new) = (WebhookSecret::generate(), WebhookSecret::generate());
        let header = signature_header(&[&old, &new], "msg_1", 1_700_000_000, b"{}");
        assert!(verify(
            &old,
            "msg_1",
            1_700_000_000,
            b"{}",
            &header,
            1_700_000_010,
            300
        ));
        assert!(verify(
            &new,
            "msg_1",
            1_700_000_000,
            b"{}",
            &header,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            &new,
            "msg_1",
            1_700_000_000,
            b"{ }",
            &header,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            &new,
            "msg_2",
            1_700_000_000,
            b"{}",
            &header,
            1_700_000_010,
            300
        ));
        assert!(
            !verify(
                &new,
                "msg_1",
                1_700_000_000,
                b"{}",
                &header,
                1_700_001_000,
                300
            ),
            "too old"
        );
        assert!(!verify(
            &WebhookSecret::generate(),
            "msg_1",
            1_700_000_000,
            b"{}",
            &header,
            1_700_000_010,
            300
        ));
    }

    #[test]
    fn secrets_round_trip_and_bad_ones_are_refused() {
        let s = WebhookSecret::generate();
        assert_eq!(WebhookSecret::parse(&s.expose()).unwrap(), s);
        assert_eq!(
            WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Err(SecretError::Format)
        );
        assert_eq!(
            WebhookSecret::parse("whsec_c2hvcnQ="),
            Err(SecretError::Length)
        );
        assert!(!format!("{s:?}").contains(&s.expose()[6..]));
    }

    /// Our signatures verify with the official `standardwebhooks` package, not only our code.
    #[test]
    fn the_official_python_verifier_accepts_our_signature() {
        let check = std::process::Command::new("python3")
            .args(["-c", "import standardwebhooks"])
            .output();
        if !check.as_ref().is_ok_and(|o| o.status.success()) {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "CI=true but python3 with the `standardwebhooks` package is missing (pip install standardwebhooks)"
                );
            }
            eprintln!("skipped: python3 `standardwebhooks` not installed");
            return;
        }
        let secret = WebhookSecret::generate();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let body = r#"{"type":"shipment.exception","timestamp":"2026-11-22T10:00:00Z","data":{"id":"shp_1"}}"#;
        let header = signature_header(
            &[&WebhookSecret::generate(), &secret],
            "msg_42",
            now,
            body.as_bytes(),
        );
        let script = "import sys\nfrom standardwebhooks.webhooks import Webhook\n\
                      Webhook(sys.argv[1]).verify(sys.argv[2], {'webhook-id': 'msg_42', 'webhook-timestamp': sys.argv[3], 'webhook-signature': sys.argv[4]})\n";
        let run = |body: &str| {
            std::process::Command::new("python3")
                .args([
                    "-c",
                    script,
                    &secret.expose(),
                    body,
                    &now.to_string(),
                    &header,
                ])
                .output()
                .unwrap()
        };
        let ok = run(body);
        assert!(
            ok.status.success(),
            "standardwebhooks refused our signature: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
        assert!(
            !run(&body.replace("shp_1", "shp_2")).status.success(),
            "a tampered body must fail"
        );
    }
}
