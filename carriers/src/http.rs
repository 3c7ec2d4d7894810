//! `CarrierHttp`: a shared HTTP client plus the account's base URL. No retries here: the
//! hub's call layer retries, so an adapter's request is sent exactly once per call. The hub's
//! client enforces its target policy (`shiphub::outbound`: official or operator-listed hosts,
//! checked on every connection, no redirects), so adapters build every URL from `base_url` or
//! a setting their entry declares in `url_settings`.

use std::time::Duration;

use url::Url;

/// HTTP access for one carrier account.
#[derive(Clone, Debug)]
pub struct CarrierHttp {
    /// Shared connection pool.
    pub client: reqwest::Client,
    /// The carrier host for this account (production, sandbox or a simulator).
    pub base_url: Option<Url>,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl CarrierHttp {
    /// A client with the hub's defaults (connection pooling, gzip, 30 s timeout).
    pub fn new(client: reqwest::Client, base_url: Option<Url>) -> Self {
        Self {
            client,
            base_url,
            timeout: Duration::from_secs(30),
        }
    }
    /// A client for tests and offline carriers.
    pub fn offline() -> Self {
        Self::new(reqwest::Client::new(), None)
    }
}
