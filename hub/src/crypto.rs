//! Carrier credentials at rest: AES-256-GCM under a master key, a fresh nonce per blob, and
//! the account id as associated data so a ciphertext cannot be moved to another account.
//! API keys: random, shown once, stored as SHA-256 (high-entropy keys need no slow KDF, and
//! a plain digest allows the indexed lookup every request needs).

use std::path::Path;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::ids::{AccountId, TenantId};
use crate::store::AccountRecord;

/// Associated data binding a credentials ciphertext to its tenant and account.
pub fn aad(tenant: &TenantId, account: &AccountId) -> String {
    format!("{tenant}/{account}")
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("SHIPHUB_MASTER_KEY must be 32 bytes in base64: {0}")]
    BadKey(String),
    #[error("cannot read or write the master key file {path}: {cause}")]
    KeyFile { path: String, cause: std::io::Error },
    #[error("credentials could not be decrypted (wrong master key?)")]
    Decrypt,
}

#[derive(Clone)]
pub struct MasterKey(Aes256Gcm);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn from_base64(s: &str) -> Result<Self, CryptoError> {
        let bytes = B64
            .decode(s.trim())
            .map_err(|e| CryptoError::BadKey(e.to_string()))?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey(format!("got {} bytes", bytes.len())));
        }
        let key = Key::<Aes256Gcm>::try_from(bytes.as_slice())
            .map_err(|e| CryptoError::BadKey(e.to_string()))?;
        Ok(MasterKey(Aes256Gcm::new(&key)))
    }

    /// A fresh key, base64 (what `SHIPHUB_MASTER_KEY` and the key file hold).
    pub fn generate_base64() -> String {
        B64.encode(Key::<Aes256Gcm>::generate().as_slice())
    }

    /// Reads the key file in the data directory, creating it (mode 0600) on first use.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let io = |cause| CryptoError::KeyFile {
            path: path.display().to_string(),
            cause,
        };
        match std::fs::read_to_string(path) {
            Ok(s) => Self::from_base64(&s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let encoded = Self::generate_base64();
                write_private(path, encoded.as_bytes()).map_err(io)?;
                Self::from_base64(&encoded)
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn encrypt(&self, aad: &str, plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let nonce = Nonce::generate();
        let ct = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        (nonce.to_vec(), ct)
    }

    /// A carrier account's credentials, decrypted: the JSON its adapter is built from. A
    /// ciphertext that does not open under this key, or opens to something else than JSON, is
    /// the operator's problem (a wrong `SHIPHUB_MASTER_KEY`), not the caller's.
    pub fn account_credentials(
        &self,
        tenant: &TenantId,
        account: &AccountRecord,
    ) -> Result<serde_json::Value, Error> {
        let plain = self
            .decrypt(
                &aad(tenant, &account.id),
                &account.secret_nonce,
                &account.secret,
            )
            .map_err(|e| Error::Internal(format!("credentials of account {}: {e}", account.id)))?;
        serde_json::from_slice(&plain)
            .map_err(|e| Error::Internal(format!("credentials of account {}: {e}", account.id)))
    }

    pub fn decrypt(
        &self,
        aad: &str,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let nonce = Nonce::try_from(nonce).map_err(|_| CryptoError::Decrypt)?;
        self.0
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(bytes)
}

/// A new API key: `sh_` + 32 random bytes in hex. Returns (key, its hash, display prefix).
pub fn new_api_key() -> (String, String, String) {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let key = format!("sh_{}", hex::encode(raw));
    let prefix = key[..11].to_string();
    (key.clone(), hash_api_key(&key), prefix)
}

pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_and_are_bound_to_their_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let k = MasterKey::load_or_create(&path).unwrap();
        let (nonce, ct) = k.encrypt("car_1", br#"{"client_secret":"s3cret"}"#);
        assert!(!ct.windows(6).any(|w| w == b"s3cret"));
        // the same key file gives the same key
        let again = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(
            again.decrypt("car_1", &nonce, &ct).unwrap(),
            br#"{"client_secret":"s3cret"}"#
        );
        assert!(matches!(
            again.decrypt("car_2", &nonce, &ct),
            Err(CryptoError::Decrypt)
        ));
        let other = MasterKey::from_base64(&B64.encode([7u8; 32])).unwrap();
        assert!(other.decrypt("car_1", &nonce, &ct).is_err());
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn api_keys_are_random_and_hashed() {
        let (k1, h1, p1) = new_api_key();
        let (k2, _, _) = new_api_key();
        assert_ne!(k1, k2);
        assert_eq!(k1.len(), 67);
        assert_eq!(h1, hash_api_key(&k1));
        assert!(k1.starts_with(&p1));
    }
}
