//! Address validation settings, apart from the domain so that the application state can hold
//! them without importing what imports the state.

use std::time::Duration;

/// How long a verdict is kept when `serve` is not told (`--address-cache-ttl`).
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(24 * 3600);

/// Address validation settings.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// How long a carrier's verdict is answered from the cache; zero: never cached.
    pub cache_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cache_ttl: DEFAULT_CACHE_TTL,
        }
    }
}
