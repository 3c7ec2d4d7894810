//! Shared application state: the store, the carrier registry with its per-account adapter
//! cache, the call layer, the master key. Cheap to clone (one `Arc`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use shiphub_carriers::{Carrier, CarrierEntry, CarrierError, CarrierHttp};

use crate::call_layer::CallLayer;
use crate::crypto::MasterKey;
use crate::error::Error;
use crate::ids::{AccountId, TenantId};
use crate::outbound::{self, CarrierPolicy};
use crate::store::{AccountRecord, KeyPrincipal, Store};

/// The state every handler and middleware takes, behind one `Arc`: axum clones it for each
/// request several times over (each route's handler, `State` extractors, the rate-limit layer),
/// and a clone of the bare struct was a dozen reference-count updates that both cores contend
/// for, a few percent of a rate request. Fields read through `Deref`; set-up code changes them
/// through `DerefMut` before the state is shared (copy-on-write after).
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(app: App) -> Self {
        AppState(Arc::new(app))
    }
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut App {
        Arc::make_mut(&mut self.0)
    }
}

/// What [`AppState`] holds.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub carriers: Arc<CarrierSet>,
    pub calls: Arc<CallLayer>,
    pub master_key: MasterKey,
    pub key_cache: Arc<KeyCache>,
    pub account_cache: Arc<AccountCache>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub print: crate::print::PrintSettings,
    pub print_wakeups: Arc<crate::print::Wakeups>,
    /// When trackers are looked at.
    pub tracking: crate::tracking::PollPolicy,
    /// Flips to true when the server starts shutting down: long polls return at once.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
    /// Webhook delivery settings and the dispatcher's wake-up.
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    /// The lease on claimed idempotency keys.
    pub idempotency: crate::store::IdempotencySettings,
    /// Address validation: how long verdicts are kept.
    pub addresses: crate::addresses::settings::Settings,
    /// The instance registry: live instances, self-fencing, takeovers.
    pub instances: Arc<crate::instances::Registry>,
    /// Sessions' settings, the login throttle, API keys' last-used bookkeeping.
    pub auth: Arc<crate::auth::Auth>,
    /// Routing rules and lane transit statistics, kept briefly for rate requests.
    pub routing: Arc<crate::routing::Cache>,
}

/// Positive API-key lookups (tenant, key id, scope), kept briefly so a busy client does not
/// cost a query per request. A key revoked or rotated through this process stops working at
/// once (`forget`); through another instance, within `ttl`.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (KeyPrincipal, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }
    pub fn get(&self, hash: &str) -> Option<KeyPrincipal> {
        let map = self.entries.lock().expect("key cache lock");
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(t, _)| t.clone())
    }
    pub fn put(&self, hash: String, key: KeyPrincipal) {
        let mut map = self.entries.lock().expect("key cache lock");
        if map.len() > 10_000 {
            let ttl = self.ttl;
            map.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        map.insert(hash, (key, Instant::now()));
    }
    pub fn forget(&self, hash: &str) {
        self.entries.lock().expect("key cache lock").remove(hash);
    }
}

/// Each tenant's carrier accounts, kept briefly for rate shopping (the hottest read). This
/// instance drops a tenant's entry when it adds or removes an account; other instances see
/// the change within `ttl`. Purchases and voids read the account from the store, never from
/// here, so a removed account can at most be quoted for `ttl`, never bought on.
pub struct AccountCache {
    ttl: Duration,
    entries: Mutex<HashMap<TenantId, CachedAccounts>>,
}

/// A tenant's accounts and when they were read.
type CachedAccounts = (Arc<Vec<AccountRecord>>, Instant);

impl AccountCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub async fn list(
        &self,
        store: &Store,
        tenant: &TenantId,
    ) -> Result<Arc<Vec<AccountRecord>>, crate::store::StoreError> {
        if let Some((accounts, at)) = self.entries.lock().expect("account cache lock").get(tenant)
            && at.elapsed() < self.ttl
        {
            return Ok(accounts.clone());
        }
        let accounts = Arc::new(store.list_accounts(tenant).await?);
        let mut map = self.entries.lock().expect("account cache lock");
        if map.len() > 10_000 {
            let ttl = self.ttl;
            map.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        map.insert(tenant.clone(), (accounts.clone(), Instant::now()));
        Ok(accounts)
    }

    pub fn invalidate(&self, tenant: &TenantId) {
        self.entries
            .lock()
            .expect("account cache lock")
            .remove(tenant);
    }
}

/// The registry plus live adapters, one per carrier account, built on first use from the
/// account's decrypted credentials. Every carrier call goes through one HTTP client whose
/// resolver enforces the carriers' target policy (`outbound`).
pub struct CarrierSet {
    pub entries: Vec<&'static CarrierEntry>,
    /// Which hosts carrier accounts may point at.
    pub policy: CarrierPolicy,
    http: reqwest::Client,
    adapters: Mutex<HashMap<AccountId, Arc<dyn Carrier>>>,
}

impl CarrierSet {
    /// Official carrier hosts only: no loopback, no operator additions.
    pub fn new(entries: Vec<&'static CarrierEntry>) -> Self {
        Self::with_policy(entries, CarrierPolicy::default())
    }

    pub fn with_policy(entries: Vec<&'static CarrierEntry>, policy: CarrierPolicy) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(concat!("shiphub/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect could lead anywhere, past the host checks; carriers do not redirect.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve names itself, past the resolver's checks.
            .no_proxy()
            .dns_resolver(policy.resolver(&entries))
            .build()
            .expect("HTTP client builds");
        Self {
            entries,
            policy,
            http,
            adapters: Mutex::new(HashMap::new()),
        }
    }

    pub fn entry(&self, code: &str) -> Option<&'static CarrierEntry> {
        shiphub_carriers::registry::lookup(&self.entries, code)
    }

    /// Builds (or reuses) the adapter for an account. A build failure is an input error on
    /// the account's credentials, reported against `credentials`.
    pub async fn adapter(
        &self,
        store: &Store,
        tenant: &TenantId,
        account: &AccountRecord,
        key: &MasterKey,
    ) -> Result<Arc<dyn Carrier>, Error> {
        if let Some(a) = self.adapters.lock().expect("adapter lock").get(&account.id) {
            return Ok(a.clone());
        }
        let entry = self.entry(&account.carrier).ok_or_else(|| {
            Error::Internal(format!(
                "account {} names unknown carrier {}",
                account.id, account.carrier
            ))
        })?;
        let credentials = key.account_credentials(tenant, account)?;
        let base_url = account
            .base_url
            .as_deref()
            .map(url::Url::parse)
            .transpose()
            .map_err(|e| Error::Internal(e.to_string()))?;
        // Checked again under this process's policy (an account saved under a wider one, or
        // an IP literal, which no resolver sees); refused like a connection: one generic answer.
        let mut official = true;
        for (pointer, url) in CarrierPolicy::account_urls(entry, base_url.as_ref(), &credentials) {
            let Ok(url) = url else { continue };
            if let Err(why) = self.policy.check_url(entry, &url) {
                tracing::warn!(account = %account.id, pointer, %why, "carrier account host refused by the target policy");
                return Err(Error::Carrier(CarrierError::Transient {
                    carrier: entry.code.clone(),
                    message: outbound::UNREACHABLE.into(),
                    maybe_processed: false,
                }));
            }
            official &= CarrierPolicy::is_official(entry, &url);
        }
        let credentials = self.resolve(store, tenant, entry, credentials).await?;
        let built: Arc<dyn Carrier> =
            (entry.build)(credentials, CarrierHttp::new(self.http.clone(), base_url))
                .map_err(|e| Error::field(format!("/credentials{}", e.field), e.message))?
                .into();
        // Answers from hosts outside the carrier's official list never reach the client.
        let adapter: Arc<dyn Carrier> = if official {
            built
        } else {
            Arc::new(outbound::Withheld(built))
        };
        self.adapters
            .lock()
            .expect("adapter lock")
            .insert(account.id.clone(), adapter.clone());
        Ok(adapter)
    }

    /// The credentials the carrier's adapter is built from: without the hub's own
    /// `push_secret` (unless the carrier's push intake shares it with the carrier), and for table-rate accounts with the named rate cards' texts.
    async fn resolve(
        &self,
        store: &Store,
        tenant: &TenantId,
        entry: &CarrierEntry,
        mut credentials: serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        // The hub's own setting (carrier push authentication), not the carrier's, unless the
        // carrier signs its pushes with it (Kuaidi100's salt).
        if let Some(map) = credentials.as_object_mut()
            && !entry.push.is_some_and(|p| p.secret_to_carrier)
        {
            map.remove("push_secret");
        }
        if entry.code != shiphub_rating::table_rate::ENTRY.code {
            return Ok(credentials);
        }
        let mut cards: HashMap<String, Vec<String>> = HashMap::new();
        for v in store.list_rate_cards(tenant).await? {
            cards.entry(v.name).or_default().push(v.body);
        }
        shiphub_rating::table_rate::resolve_card_names(&credentials, |name| {
            cards.get(name).cloned()
        })
        .map_err(|e| Error::field(format!("/credentials{}", e.field), e.message))
    }

    /// Validates a new account: every URL it would make the hub call passes the target
    /// policy (resolved now, and checked again on each connection), and an adapter builds.
    pub async fn check(
        &self,
        store: &Store,
        tenant: &TenantId,
        entry: &CarrierEntry,
        credentials: serde_json::Value,
        base_url: Option<url::Url>,
    ) -> Result<(), Error> {
        let mut refused = Vec::new();
        for (pointer, url) in CarrierPolicy::account_urls(entry, base_url.as_ref(), &credentials) {
            // An unparsable setting is the adapter's to report, in its own words.
            let Ok(url) = url else { continue };
            if let Err(detail) = self.policy.check_resolved(entry, &url).await {
                refused.push(crate::error::FieldProblem {
                    pointer,
                    detail,
                    code: None,
                });
            }
        }
        if !refused.is_empty() {
            return Err(Error::Validation(refused));
        }
        let credentials = self.resolve(store, tenant, entry, credentials).await?;
        (entry.build)(credentials, CarrierHttp::new(self.http.clone(), base_url))
            .map(|_| ())
            .map_err(|e| Error::field(format!("/credentials{}", e.field), e.message))
    }

    /// Drops every cached adapter of one carrier (their configuration changed).
    pub fn forget_carrier(&self, code: &str) {
        self.adapters
            .lock()
            .expect("adapter lock")
            .retain(|_, a| a.code().as_str() != code);
    }

    pub fn forget(&self, account: &AccountId) {
        self.adapters.lock().expect("adapter lock").remove(account);
    }
}
