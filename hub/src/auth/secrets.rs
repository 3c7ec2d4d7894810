//! The secrets of authentication: Argon2id password hashes (PHC strings), random tokens
//! stored as SHA-256 (session ids, invitation and reset tokens: high-entropy, so a plain
//! digest suffices and allows an indexed lookup), and the per-session CSRF token.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// Passwords shorter than this are refused (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD: usize = 10;
/// Longer passwords are refused: Argon2 hashes any length, but nobody types more.
pub const MAX_PASSWORD: usize = 256;

/// Argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's first choice).
pub fn hash_password(password: &str) -> Result<String, Error> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the PHC string `hash`; `None` verifies against a fixed hash so
/// that an unknown e-mail costs the same time as a known one.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash_password("not anybody's password").expect("argon2 hashes"));
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), hash.unwrap_or(&DUMMY))
        .is_ok();
    ok && hash.is_some()
}

/// A password a user chose, checked for length (counted in characters).
pub fn check_password(pointer: &str, password: &str) -> Result<(), Error> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(Error::field(
            pointer,
            format!("must be at least {MIN_PASSWORD} characters"),
        ));
    }
    if n > MAX_PASSWORD {
        return Err(Error::field(
            pointer,
            format!("must be at most {MAX_PASSWORD} characters"),
        ));
    }
    Ok(())
}

/// A random token `prefix_` + 32 bytes in hex, and its SHA-256 (what is stored).
pub fn new_token(prefix: &str) -> (String, String) {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = format!("{prefix}_{}", hex::encode(raw));
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A generated password for `user create` without one on stdin: 20 characters of a
/// 57-letter alphabet without look-alikes (~117 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut raw = [0u8; 20];
    rand::rng().fill_bytes(&mut raw);
    raw.iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// The CSRF token of a session: HMAC-SHA256 keyed by the session id. Nothing to store: the
/// server recomputes it from the cookie, and a page of another site can neither read the
/// cookie nor this token.
pub fn csrf_token(session: &str) -> String {
    hex::encode(csrf_mac(session).finalize().into_bytes())
}

/// Whether `sent` is the session's CSRF token (compared in constant time).
pub fn csrf_matches(session: &str, sent: &str) -> bool {
    let Ok(bytes) = hex::decode(sent.trim()) else {
        return false;
    };
    csrf_mac(session).verify_slice(&bytes).is_ok()
}

fn csrf_mac(session: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(session.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(b"shiphub csrf v1");
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&h)));
        assert!(!verify_password("correct horse batterz", Some(&h)));
        assert!(!verify_password("not anybody's password", None));
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let (a, _) = new_token("ses");
        let (b, _) = new_token("ses");
        let t = csrf_token(&a);
        assert!(csrf_matches(&a, &t));
        assert!(!csrf_matches(&b, &t));
        assert!(!csrf_matches(&a, ""));
        assert!(!csrf_matches(&a, "zz"));
    }

    #[test]
    fn generated_passwords_pass_the_length_check() {
        let p = generate_password();
        assert_eq!(p.len(), 20);
        check_password("/password", &p).unwrap();
        assert!(check_password("/password", "short").is_err());
    }
}
