//! OAuth2 client-credentials token cache shared by the carriers that use it (UPS, FedEx).
//! Tokens are keyed by (base URL, client id), never by the secret, and reused until shortly
//! before they expire. Fetching is the adapter's job (each carrier's token call differs); the
//! cache only decides when a fetch is needed and makes concurrent callers share one fetch.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use crate::carrier::CarrierCode;
use crate::error::CarrierError;
use crate::http;

/// The error code of an OAuth2 token endpoint's refusal (RFC 6749 §5.2:
/// `{"error": "invalid_client", "error_description": …}`), which UPS, FedEx and USPS send
/// beside or instead of their own error lists. `None` when the body has no such string.
pub fn error_code(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("error")?
        .as_str()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

/// A bearer token and how long it lives.
#[derive(Clone, Debug)]
pub struct Token {
    /// The `access_token`.
    pub access_token: String,
    /// `expires_in` from the token response.
    pub expires_in: Duration,
}

/// A token answer (RFC 6749 §5.1); carriers write `expires_in` as a number or a string.
#[derive(serde::Deserialize)]
struct TokenResponse {
    #[serde(default, deserialize_with = "crate::http::lenient::text")]
    access_token: Option<String>,
    #[serde(default, deserialize_with = "crate::http::lenient::count")]
    expires_in: Option<u64>,
}

/// The life of a token whose answer states none (FedEx, USPS).
pub const ONE_MINUTE: Duration = Duration::from_secs(60);

/// The token in a 2xx token answer for `carrier` (a non-2xx one is the carrier's error table's
/// to classify). One without `expires_in` lives `fallback`, so a misbehaving host cannot pin a
/// token forever; one without a token is `Protocol`, its body kept through
/// `http::redact` with `keys`.
pub fn read_token(
    carrier: CarrierCode,
    status: u16,
    body: &[u8],
    keys: &[&str],
    fallback: Duration,
) -> Result<Token, CarrierError> {
    let protocol = |m: String| http::protocol(carrier.clone(), status, body, keys, m);
    let parsed: TokenResponse =
        serde_json::from_slice(body).map_err(|e| protocol(format!("token response: {e}")))?;
    let access_token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| protocol("token response without access_token".into()))?;
    Ok(Token {
        access_token,
        expires_in: parsed
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(fallback),
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    base_url: String,
    client_id: String,
}

struct Entry {
    token: String,
    refresh_at: Instant,
}

/// Refresh this long before the carrier's expiry, so a token never expires in flight.
const EARLY: Duration = Duration::from_secs(60);

/// The cache. One per process is enough: keys carry the host and client id.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<Key, Entry>>,
    /// One lock per key, so concurrent callers wait for a single fetch.
    fetching: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

/// The process-wide cache the adapters use.
pub static TOKENS: LazyLock<TokenCache> = LazyLock::new(TokenCache::default);

impl TokenCache {
    /// A valid token for (base_url, client_id), fetched with `fetch` when missing or near expiry.
    pub async fn get<F, Fut>(
        &self,
        base_url: &str,
        client_id: &str,
        fetch: F,
    ) -> Result<String, CarrierError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token, CarrierError>>,
    {
        let key = Key {
            base_url: base_url.to_string(),
            client_id: client_id.to_string(),
        };
        if let Some(t) = self.cached(&key) {
            return Ok(t);
        }
        let lock = self
            .fetching
            .lock()
            .expect("token lock")
            .entry(key.clone())
            .or_default()
            .clone();
        let _guard = lock.lock().await;
        if let Some(t) = self.cached(&key) {
            return Ok(t);
        }
        let token = fetch().await?;
        metrics::counter!("shiphub_carrier_token_fetches_total", "host" => host(base_url))
            .increment(1);
        let lifetime = token
            .expires_in
            .saturating_sub(EARLY)
            .max(Duration::from_secs(1));
        self.entries.lock().expect("token lock").insert(
            key,
            Entry {
                token: token.access_token.clone(),
                refresh_at: Instant::now() + lifetime,
            },
        );
        Ok(token.access_token)
    }

    /// Drops the token after the carrier answered 401 with it, so the next `get` fetches anew
    /// (counted as a refresh in `shiphub_carrier_token_refreshes_total`).
    pub fn invalidate(&self, base_url: &str, client_id: &str) {
        let key = Key {
            base_url: base_url.to_string(),
            client_id: client_id.to_string(),
        };
        if self
            .entries
            .lock()
            .expect("token lock")
            .remove(&key)
            .is_some()
        {
            metrics::counter!("shiphub_carrier_token_refreshes_total", "host" => host(base_url))
                .increment(1);
        }
    }

    fn cached(&self, key: &Key) -> Option<String> {
        let map = self.entries.lock().expect("token lock");
        map.get(key)
            .filter(|e| Instant::now() < e.refresh_at)
            .map(|e| e.token.clone())
    }
}

/// The host of a base URL, as a metric label (paths and credentials stay out of metrics).
fn host(base_url: &str) -> String {
    url::Url::parse(base_url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn tokens_are_reused_per_host_and_client_and_refetched_after_invalidate() {
        let cache = TokenCache::default();
        let fetches = AtomicU32::new(0);
        let fetch = || async {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            Ok(Token {
                access_token: format!("t{n}"),
                expires_in: Duration::from_secs(3600),
            })
        };
        assert_eq!(cache.get("https://a", "id", fetch).await.unwrap(), "t0");
        assert_eq!(cache.get("https://a", "id", fetch).await.unwrap(), "t0");
        assert_eq!(cache.get("https://b", "id", fetch).await.unwrap(), "t1");
        assert_eq!(cache.get("https://a", "other", fetch).await.unwrap(), "t2");
        cache.invalidate("https://a", "id");
        assert_eq!(cache.get("https://a", "id", fetch).await.unwrap(), "t3");
    }

    #[tokio::test]
    async fn a_token_near_expiry_is_refreshed() {
        let cache = TokenCache::default();
        let fetches = AtomicU32::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(Token {
                access_token: "t".into(),
                expires_in: Duration::from_secs(30),
            })
        };
        cache.get("h", "c", fetch).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        cache.get("h", "c", fetch).await.unwrap();
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            2,
            "a 30 s token is inside the 60 s margin"
        );
    }
}
