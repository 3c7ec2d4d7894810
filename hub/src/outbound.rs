//! Where the hub may connect: one target policy for every outbound call (carrier APIs and
//! webhooks, DESIGN.md). Tenants name the URLs (a webhook receiver, a carrier account's
//! `base_url`), so an unchecked URL would let a tenant make the hub call into its own network
//! (SSRF) and read the answer back.
//!
//! - Addresses: every range of the IANA IPv4 and IPv6 Special-Purpose Address Registries
//!   (plus multicast, site-local and what lies outside IPv6 global unicast) is refused unless
//!   the operator allows it (`--webhook-allow`, `--carrier-allow` CIDRs); loopback and plain
//!   `http` only with the development switch (`--dev-loopback`).
//! - Names: webhooks may name any host; carrier accounts only the carrier's official hosts
//!   (declared by its `CarrierEntry`) or hosts the operator lists in `--carrier-allow`.
//! - When: a URL is checked when it is saved, and again on every connection: the clients'
//!   DNS resolver (`GuardedResolver`) drops refused addresses and unlisted names, so a name
//!   that later resolves to 10.0.0.1 (DNS rebinding) is not reached. IP literals never reach a
//!   resolver, so carrier adapters re-check their URLs when they are built (once per process).
//! - Answers: a carrier account on a host outside the carrier's official list gets its
//!   errors through `Withheld`: no carrier text reaches the client, and every failure to
//!   connect reads the same ("could not reach the carrier"), so ports cannot be probed.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use shiphub_carriers::carrier::{
    Capabilities, Carrier, CarrierCode, CarrierLimits, RequestQuota, VoidOutcome,
};
use shiphub_carriers::model::{
    Address, AddressCheck, BilledWaybill, Manifest, ManifestRequest, NetworkGuess,
    PickupConfirmation, PickupRef, PickupRequest, Quote, RateRequest, ShipRequest, TrackQuery,
    TrackingNumber, TrackingResult, Waybill, WaybillRef,
};
use shiphub_carriers::{CarrierEntry, CarrierError, FieldError, RawBody};
use url::Url;

/// The operator's switches for outbound calls (`serve`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OutboundArgs {
    /// Development only: allow `http://` and loopback addresses for webhooks and carrier
    /// accounts (the carrier simulators). Private ranges stay refused.
    #[arg(
        long = "dev-loopback",
        visible_alias = "webhook-dev-loopback",
        env = "SHIPHUB_DEV_LOOPBACK"
    )]
    pub dev_loopback: bool,
    /// The switch's name before it covered carriers, kept for existing deployments.
    #[arg(
        long = "webhook-dev-loopback-env",
        env = "SHIPHUB_WEBHOOK_DEV_LOOPBACK",
        hide = true
    )]
    pub webhook_dev_loopback: bool,
    /// Hosts carrier accounts may point at besides each carrier's official hosts: host
    /// names, addresses or address ranges (an internal gateway: `gw.corp.example`,
    /// `10.20.0.0/16`); comma-separated or repeated. Still https unless --dev-loopback.
    #[arg(long, env = "SHIPHUB_CARRIER_ALLOW", value_delimiter = ',')]
    pub carrier_allow: Vec<String>,
}

impl OutboundArgs {
    /// Whether the development loopback switch is on (under either name).
    pub fn dev_loopback(&self) -> bool {
        self.dev_loopback || self.webhook_dev_loopback
    }

    pub fn carrier_policy(&self) -> Result<CarrierPolicy, String> {
        CarrierPolicy::parse(self.dev_loopback(), &self.carrier_allow)
    }
}

/// What the operator permits beyond public https targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Dev/test only: `http://` and loopback addresses (127.0.0.0/8, ::1) are allowed.
    pub dev_loopback: bool,
    /// Address ranges the operator allows although they are special-purpose (an internal
    /// receiver or carrier gateway); still https unless `dev_loopback`. Set once at start-up.
    pub allow: &'static [Cidr],
}

/// An address range, `10.20.0.0/16` or `fd00::/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not an address range like 10.0.0.0/8 or fd00::/8");
        let (ip, prefix) = s.trim().split_once('/').ok_or_else(bad)?;
        let net: IpAddr = ip.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { net, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

impl Cidr {
    /// The single address `ip` (/32 or /128).
    pub fn host(ip: IpAddr) -> Self {
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        Cidr { net: ip, prefix }
    }

    /// Whether `ip` is in the range; an IPv4-mapped IPv6 address counts as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.net, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => return false,
            },
            _ => ip,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }

    /// The first and last address of the range.
    #[cfg(test)]
    fn bounds(&self) -> (IpAddr, IpAddr) {
        match self.net {
            IpAddr::V4(n) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                let lo = u32::from(n) & mask;
                (IpAddr::V4(lo.into()), IpAddr::V4((lo | !mask).into()))
            }
            IpAddr::V6(n) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                let lo = u128::from(n) & mask;
                (IpAddr::V6(lo.into()), IpAddr::V6((lo | !mask).into()))
            }
        }
    }
}

/// One refused range: `name` says why in error messages.
struct Special {
    range: Cidr,
    name: &'static str,
}

/// Refused IPv4 ranges, most specific first (the first match names the reason). Every entry
/// of the IANA IPv4 Special-Purpose Address Registry
/// (https://www.iana.org/assignments/iana-ipv4-special-registry/, RFC 6890, as of 2025),
/// including the ones it marks globally reachable (no carrier or webhook receiver lives on
/// an AS112 or anycast relay address), plus multicast (IANA IPv4 Multicast Address Space
/// Registry, RFC 5771).
const V4: &[(&str, &str)] = &[
    ("0.0.0.0/32", "unspecified (this host, RFC 1122)"),
    ("0.0.0.0/8", "unspecified (\"this network\", RFC 791)"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared (CGNAT, RFC 6598)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    // Holds DS-Lite 192.0.0.0/29, 192.0.0.8/32, PCP and TURN anycast, NAT64 discovery.
    ("192.0.0.0/24", "IETF protocol assignment (RFC 6890)"),
    ("192.0.2.0/24", "documentation (TEST-NET-1, RFC 5737)"),
    ("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
    ("192.52.193.0/24", "AMT (RFC 7450)"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("192.175.48.0/24", "AS112 direct delegation (RFC 7534)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation (TEST-NET-2, RFC 5737)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3, RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("255.255.255.255/32", "limited broadcast (RFC 919)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
];

/// Refused IPv6 ranges, most specific first. Every entry of the IANA IPv6 Special-Purpose
/// Address Registry (https://www.iana.org/assignments/iana-ipv6-special-registry/, RFC 6890,
/// as of 2025), plus the deprecated IPv4-compatible (RFC 4291 §2.5.5.1) and site-local
/// (RFC 3879) forms, multicast, and everything outside global unicast 2000::/3 (IANA IPv6
/// Address Space: unassigned or reserved). IPv4-mapped `::ffff:0:0/96` is not here: such an
/// address is judged as the IPv4 address it carries (`classify`).
const V6: &[(&str, &str)] = &[
    ("::/128", "unspecified (RFC 4291)"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible (deprecated, RFC 4291)"),
    ("64:ff9b::/96", "NAT64 (RFC 6052)"),
    ("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("100:0:0:1::/64", "dummy IPv6 prefix (RFC 9780)"),
    ("2001::/32", "Teredo (RFC 4380)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    // Holds PCP/TURN/DNS-SD anycast, benchmarking 2001:2::/48, AMT, AS112, ORCHID(v2), DRIP.
    ("2001::/23", "IETF protocol assignment (RFC 2928)"),
    ("2002::/16", "6to4 (RFC 3056)"),
    ("2620:4f:8000::/48", "AS112 direct delegation (RFC 7534)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "segment routing SID (RFC 9602)"),
    ("fc00::/7", "private (unique local, RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291)"),
    ("fec0::/10", "site-local (deprecated, RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291)"),
];

/// The parsed tables.
static SPECIAL: LazyLock<(Vec<Special>, Vec<Special>)> = LazyLock::new(|| {
    let parse = |rows: &[(&str, &'static str)]| {
        rows.iter()
            .map(|(r, name)| Special {
                range: r.parse().expect("table ranges parse"),
                name,
            })
            .collect()
    };
    (parse(V4), parse(V6))
});

/// IPv6 global unicast (RFC 4291); anything outside it is unassigned or special.
const GLOBAL_UNICAST: Cidr = Cidr {
    net: IpAddr::V6(std::net::Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0)),
    prefix: 3,
};
const OUTSIDE_GLOBAL: &str = "reserved (outside global unicast 2000::/3, RFC 4291)";

/// The special-purpose range `ip` falls in, or `None` for an ordinary public address.
fn classify(ip: IpAddr) -> Option<&'static str> {
    let (v4, v6) = &*SPECIAL;
    match ip {
        IpAddr::V4(a) => v4
            .iter()
            .find(|s| s.range.contains(IpAddr::V4(a)))
            .map(|s| s.name),
        IpAddr::V6(a) => {
            if let Some(mapped) = a.to_ipv4_mapped() {
                return classify(IpAddr::V4(mapped));
            }
            match v6.iter().find(|s| s.range.contains(ip)) {
                Some(s) => Some(s.name),
                None if !GLOBAL_UNICAST.contains(ip) => Some(OUTSIDE_GLOBAL),
                None => None,
            }
        }
    }
}

/// Why `ip` may not be connected to under `policy`, or `None` when it may.
pub fn refused(ip: IpAddr, policy: TargetPolicy) -> Option<&'static str> {
    match classify(ip) {
        Some("loopback") if policy.dev_loopback => None,
        Some(_) if policy.allow.iter().any(|c| c.contains(ip)) => None,
        other => other,
    }
}

fn check_ip(ip: IpAddr, policy: TargetPolicy) -> Result<(), String> {
    match refused(ip, policy) {
        Some(why) => Err(format!("points at a {why} address ({ip})")),
        None => Ok(()),
    }
}

/// Scheme and credentials: https (http only in dev mode), no user or password.
fn check_scheme(url: &Url, policy: TargetPolicy) -> Result<(), String> {
    match url.scheme() {
        "https" => {}
        "http" if policy.dev_loopback => {}
        "http" => return Err("must use https".into()),
        other => return Err(format!("scheme `{other}` is not allowed; use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".into());
    }
    Ok(())
}

/// Checks a webhook URL's form: absolute, https (http only in dev mode), no credentials,
/// and an IP literal host must be allowed. Names are checked when resolved (`check_resolved`).
pub fn check_syntax(raw: &str, policy: TargetPolicy) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("not an absolute URL: {e}"))?;
    check_scheme(&url, policy).map_err(|e| {
        if e.contains("credentials") {
            format!("{e}; the signature authenticates the hub")
        } else {
            e
        }
    })?;
    if raw.len() > 2048 {
        return Err("must be at most 2048 characters".into());
    }
    match url.host() {
        None => return Err("has no host".into()),
        Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), policy)?,
        Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), policy)?,
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if (d == "localhost" || d.ends_with(".localhost")) && !policy.dev_loopback {
                return Err("points at loopback".into());
            }
        }
    }
    Ok(url)
}

/// Resolves `host`; every address must be allowed. `Ok(false)` when it does not resolve.
async fn check_addresses(host: &str, port: u16, policy: TargetPolicy) -> Result<bool, String> {
    let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((host, port)).await {
        Ok(a) => a.collect(),
        Err(_) => return Ok(false),
    };
    for a in &addrs {
        if let Some(why) = refused(a.ip(), policy) {
            return Err(format!(
                "host `{host}` resolves to a {why} address ({})",
                a.ip()
            ));
        }
    }
    Ok(!addrs.is_empty())
}

/// `check_syntax`, then resolves the host: every address it resolves to must be allowed.
pub async fn check_resolved(raw: &str, policy: TargetPolicy) -> Result<Url, String> {
    let url = check_syntax(raw, policy)?;
    if let Some(url::Host::Domain(d)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        if !check_addresses(d, port, policy).await? {
            return Err(format!("host `{d}` does not resolve"));
        }
    }
    Ok(url)
}

/// The carriers' target policy: the address policy, plus the host names the operator
/// allows beyond each carrier's official hosts (`--carrier-allow`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CarrierPolicy {
    pub target: TargetPolicy,
    /// Lower-case host names.
    pub hosts: &'static [String],
}

/// How the operator widens the carriers' target policy, in error messages.
const HOW_TO_ALLOW: &str = "the operator can allow other hosts with --carrier-allow HOST|CIDR,… \
    (SHIPHUB_CARRIER_ALLOW), and simulators on this machine with --dev-loopback";

impl CarrierPolicy {
    /// From `--carrier-allow` entries: a CIDR, a bare IP address (that one address) or a
    /// host name. Leaked once per process so the policy stays `Copy`.
    pub fn parse(dev_loopback: bool, entries: &[String]) -> Result<Self, String> {
        let (mut cidrs, mut hosts) = (Vec::new(), Vec::new());
        for e in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if e.contains('/') {
                cidrs.push(
                    e.parse::<Cidr>()
                        .map_err(|m| format!("--carrier-allow: {m}"))?,
                );
            } else if let Ok(ip) = e.trim_matches(['[', ']']).parse::<IpAddr>() {
                cidrs.push(Cidr::host(ip));
            } else {
                match url::Host::parse(e) {
                    Ok(url::Host::Domain(d)) => {
                        hosts.push(d.trim_end_matches('.').to_ascii_lowercase())
                    }
                    _ => {
                        return Err(format!(
                            "--carrier-allow: `{e}` is neither a host name nor an address range"
                        ));
                    }
                }
            }
        }
        Ok(CarrierPolicy {
            target: TargetPolicy {
                dev_loopback,
                allow: Box::leak(cidrs.into_boxed_slice()),
            },
            hosts: Box::leak(hosts.into_boxed_slice()),
        })
    }

    /// Whether `url` is one of the carrier's official endpoints: https on the standard port
    /// at a host the carrier's entry declares. Only their answers reach clients verbatim.
    pub fn is_official(entry: &CarrierEntry, url: &Url) -> bool {
        url.scheme() == "https"
            && url.port().is_none()
            && matches!(url.host(), Some(url::Host::Domain(d))
                if entry.hosts.iter().any(|h| h.eq_ignore_ascii_case(d.trim_end_matches('.'))))
    }

    /// Checks a carrier URL without resolving it: scheme, no credentials, and a host that is
    /// official, listed by the operator, an IP in an allowed range, or loopback under the
    /// dev switch. The message says which hosts are allowed and how to allow more.
    pub fn check_url(&self, entry: &CarrierEntry, url: &Url) -> Result<(), String> {
        check_scheme(url, self.target)?;
        let official = if entry.hosts.is_empty() {
            format!("{} has no official hosts", entry.name)
        } else {
            format!("{}'s hosts are {}", entry.name, entry.hosts.join(", "))
        };
        let not_allowed =
            |host: &str| format!("host `{host}` is not allowed: {official}; {HOW_TO_ALLOW}");
        let ip = match url.host() {
            None => return Err("has no host".into()),
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                if entry.hosts.iter().any(|h| h.eq_ignore_ascii_case(&d)) || self.hosts.contains(&d)
                {
                    return Ok(());
                }
                return Err(not_allowed(&d));
            }
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        };
        // An address literal is never official: it must be in an allowed range, or be
        // loopback under the dev switch.
        let listed = self.target.allow.iter().any(|c| c.contains(ip));
        let dev = self.target.dev_loopback && classify(ip) == Some("loopback");
        match refused(ip, self.target) {
            Some(why) => Err(format!(
                "points at a {why} address ({ip}): {official}; {HOW_TO_ALLOW}"
            )),
            None if listed || dev => Ok(()),
            None => Err(not_allowed(&ip.to_string())),
        }
    }

    /// `check_url`, then resolves a host name: every address must be allowed. An official
    /// host that does not resolve right now is accepted (the connection is checked again);
    /// any other host must resolve.
    pub async fn check_resolved(&self, entry: &CarrierEntry, url: &Url) -> Result<(), String> {
        self.check_url(entry, url)?;
        if let Some(url::Host::Domain(d)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(443);
            let resolved = check_addresses(d, port, self.target)
                .await
                .map_err(|e| format!("{e}; {HOW_TO_ALLOW}"))?;
            if !resolved && !Self::is_official(entry, url) {
                return Err(format!("host `{d}` does not resolve"));
            }
        }
        Ok(())
    }

    /// The URLs an account makes its adapter call: `base_url` and the credentials' URL
    /// settings the entry declares, each with its JSON pointer in the account request.
    pub fn account_urls(
        entry: &CarrierEntry,
        base_url: Option<&Url>,
        credentials: &serde_json::Value,
    ) -> Vec<(String, Result<Url, String>)> {
        let mut urls: Vec<(String, Result<Url, String>)> = base_url
            .map(|u| ("/base_url".to_string(), Ok(u.clone())))
            .into_iter()
            .collect();
        for pointer in entry.url_settings {
            if let Some(raw) = credentials.pointer(pointer).and_then(|v| v.as_str()) {
                let parsed = Url::parse(raw).map_err(|e| format!("not an absolute URL: {e}"));
                urls.push((format!("/credentials{pointer}"), parsed));
            }
        }
        urls
    }

    /// The resolver for the carriers' HTTP client: only official or listed names, only
    /// allowed addresses.
    pub fn resolver(&self, entries: &[&CarrierEntry]) -> Arc<GuardedResolver> {
        let mut names: Vec<String> = entries
            .iter()
            .flat_map(|e| e.hosts.iter().map(|h| h.to_ascii_lowercase()))
            .chain(self.hosts.iter().cloned())
            .collect();
        names.sort();
        names.dedup();
        Arc::new(GuardedResolver {
            policy: self.target,
            names: Some(Arc::new(names)),
        })
    }
}

/// A reqwest resolver: system DNS, minus the addresses the policy refuses, and (for
/// carriers) refusing names that are not on the list.
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    policy: TargetPolicy,
    /// `None`: any name (webhooks).
    names: Option<Arc<Vec<String>>>,
}

impl GuardedResolver {
    /// The addresses of `addrs` that `host` may be reached at.
    fn admit(&self, host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, String> {
        let allowed: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| refused(a.ip(), self.policy).is_none())
            .collect();
        if allowed.is_empty() {
            return Err(format!("{host} resolves to no address the hub may reach"));
        }
        Ok(allowed)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
            if let Some(names) = &this.names
                && names.binary_search(&host).is_err()
            {
                return Err(format!("{host} is not a host the hub may call").into());
            }
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = this.admit(&host, addrs)?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The webhook dispatcher's resolver: any name, allowed addresses only.
pub fn resolver(policy: TargetPolicy) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver {
        policy,
        names: None,
    })
}

/// What a client sees instead of a carrier's message when the account's host is not one of
/// the carrier's official hosts.
const WITHHELD: &str = "the carrier's message is withheld: this account's host is not one of \
    the carrier's official hosts";
/// The one answer for every connection failure on such an account (open, closed or
/// filtered port, timeout, refused address read the same).
pub const UNREACHABLE: &str = "could not reach the carrier";

/// Strips carrier-supplied text from an error (see `Withheld`). The full error is logged.
pub fn withhold(e: CarrierError) -> CarrierError {
    tracing::warn!(error = %e, "carrier call failed on a non-official host; details withheld from the client");
    match e {
        CarrierError::Transient {
            carrier,
            maybe_processed,
            ..
        } => CarrierError::Transient {
            carrier,
            message: UNREACHABLE.into(),
            maybe_processed,
        },
        CarrierError::Auth { carrier, .. } => CarrierError::Auth {
            carrier,
            code: None,
        },
        CarrierError::Rejected { carrier, errors } => CarrierError::Rejected {
            carrier,
            errors: errors
                .into_iter()
                .map(|f| FieldError {
                    field: f.field,
                    carrier_code: None,
                    message: WITHHELD.into(),
                })
                .collect(),
        },
        CarrierError::Protocol {
            carrier, status, ..
        } => CarrierError::Protocol {
            carrier,
            status,
            body: RawBody(Vec::new()),
            message: WITHHELD.into(),
        },
        // No carrier text: the throttle signal and the adapter's own static reasons.
        other @ (CarrierError::RateLimited { .. } | CarrierError::Unsupported { .. }) => other,
    }
}

/// An adapter whose errors go through `withhold`: used for accounts whose host is not one of
/// the carrier's official hosts (an operator-allowed gateway, a simulator).
pub struct Withheld(pub Arc<dyn Carrier>);

#[async_trait]
impl Carrier for Withheld {
    fn code(&self) -> CarrierCode {
        self.0.code()
    }
    fn capabilities(&self) -> &'static Capabilities {
        self.0.capabilities()
    }
    fn limits(&self) -> CarrierLimits {
        self.0.limits()
    }
    fn daily_quota(&self) -> Option<u32> {
        self.0.daily_quota()
    }
    fn quota(&self) -> RequestQuota {
        self.0.quota()
    }
    async fn rate(&self, req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        self.0.rate(req).await.map_err(withhold)
    }
    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        self.0.ship(req).await.map_err(withhold)
    }
    async fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        self.0.void(waybill).await.map_err(withhold)
    }
    async fn void_outcome(&self, waybill: &WaybillRef) -> Result<VoidOutcome, CarrierError> {
        self.0.void_outcome(waybill).await.map_err(withhold)
    }
    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        self.0.track(numbers).await.map_err(withhold)
    }
    async fn track_parcels(
        &self,
        parcels: &[TrackQuery],
    ) -> Result<Vec<TrackingResult>, CarrierError> {
        self.0.track_parcels(parcels).await.map_err(withhold)
    }
    // Every verb must be forwarded: a default method here would answer `Unsupported` for an
    // adapter that has it (the China end-to-end tests run through this wrapper).
    async fn subscribe(&self, parcel: &TrackQuery) -> Result<(), CarrierError> {
        self.0.subscribe(parcel).await.map_err(withhold)
    }
    async fn identify(&self, number: &TrackingNumber) -> Result<Vec<NetworkGuess>, CarrierError> {
        self.0.identify(number).await.map_err(withhold)
    }
    async fn billed_freight(
        &self,
        numbers: &[TrackingNumber],
    ) -> Result<Vec<BilledWaybill>, CarrierError> {
        self.0.billed_freight(numbers).await.map_err(withhold)
    }
    async fn verify_address(&self, address: &Address) -> Result<AddressCheck, CarrierError> {
        self.0.verify_address(address).await.map_err(withhold)
    }
    async fn schedule_pickup(
        &self,
        req: &PickupRequest,
    ) -> Result<PickupConfirmation, CarrierError> {
        self.0.schedule_pickup(req).await.map_err(withhold)
    }
    async fn cancel_pickup(&self, pickup: &PickupRef) -> Result<(), CarrierError> {
        self.0.cancel_pickup(pickup).await.map_err(withhold)
    }
    async fn manifest(&self, req: &ManifestRequest) -> Result<Manifest, CarrierError> {
        self.0.manifest(req).await.map_err(withhold)
    }
}

#[cfg(test)]
mod tests;
