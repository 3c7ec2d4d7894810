//! Where webhooks may be sent. A tenant names the URL, so an unchecked URL would let it make
//! the hub call into its own network (SSRF). Targets must be `https` on public addresses;
//! loopback (and plain `http`) only when the operator starts the hub with the dev switch
//! (`--webhook-dev-loopback`), which the tests use. Private, link-local, CGNAT, multicast and
//! unspecified addresses are always refused. The check runs when the URL is saved and again
//! on every connection: the dispatcher's DNS resolver drops refused addresses, so a name that
//! later resolves to 10.0.0.1 (DNS rebinding) is not reached.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

/// What the operator permits beyond public https targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Dev/test only: `http://` and loopback addresses (127.0.0.0/8, ::1) are allowed.
    pub dev_loopback: bool,
    /// Address ranges the operator allows although they are private or loopback (an
    /// internal receiver); still https unless `dev_loopback`. Set once at start-up.
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

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> (u128, u32) {
            match ip {
                IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
                IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let ip = match (self.net, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => return false,
            },
            _ => ip,
        };
        let ((net, width), (addr, w2)) = (bits(self.net), bits(ip));
        if width != w2 {
            return false;
        }
        let shift = width - u32::from(self.prefix);
        let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
        let keep = if width == 32 {
            mask & u128::from(u32::MAX)
        } else {
            mask
        };
        net & keep == addr & keep
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if o[0] == 100 && (64..128).contains(&o[1]) {
        Some("shared (CGNAT)")
    } else if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified")
    } else if ip.is_multicast() || ip.is_broadcast() || o[0] >= 240 {
        Some("multicast or reserved")
    } else {
        None
    }
}

/// Why `ip` may not be a webhook target under `policy`, or `None` when it may.
pub fn refused(ip: IpAddr, policy: TargetPolicy) -> Option<&'static str> {
    let why = match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                refused_v4(v4)
            } else if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_unique_local() {
                Some("private")
            } else if v6.is_unicast_link_local() {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("multicast or reserved")
            } else {
                None
            }
        }
    };
    match why {
        Some("loopback") if policy.dev_loopback => None,
        Some(_) if policy.allow.iter().any(|c| c.contains(ip)) => None,
        other => other,
    }
}

/// Checks a URL's form: absolute, https (http only in dev mode), no credentials, and an IP
/// literal host must be allowed. Names are checked when resolved (`check_resolved`).
pub fn check_syntax(raw: &str, policy: TargetPolicy) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("not an absolute URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.dev_loopback => {}
        "http" => return Err("must use https".into()),
        other => return Err(format!("scheme `{other}` is not allowed; use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; the signature authenticates the hub".into());
    }
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

fn check_ip(ip: IpAddr, policy: TargetPolicy) -> Result<(), String> {
    match refused(ip, policy) {
        Some(why) => Err(format!("points at a {why} address ({ip})")),
        None => Ok(()),
    }
}

/// `check_syntax`, then resolves the host: every address it resolves to must be allowed.
pub async fn check_resolved(raw: &str, policy: TargetPolicy) -> Result<Url, String> {
    let url = check_syntax(raw, policy)?;
    if let Some(url::Host::Domain(d)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((d, port))
            .await
            .map_err(|e| format!("host `{d}` does not resolve: {e}"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("host `{d}` does not resolve"));
        }
        for a in addrs {
            check_ip(a.ip(), policy).map_err(|e| format!("host `{d}` {e}"))?;
        }
    }
    Ok(url)
}

/// The dispatcher's resolver: system DNS, minus the addresses `policy` refuses.
#[derive(Clone, Debug)]
pub struct GuardedResolver(pub TargetPolicy);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| refused(a.ip(), policy).is_none())
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves to no address webhooks may reach").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

pub fn resolver(policy: TargetPolicy) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver(policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROD: TargetPolicy = TargetPolicy {
        dev_loopback: false,
        allow: &[],
    };
    const DEV: TargetPolicy = TargetPolicy {
        dev_loopback: true,
        allow: &[],
    };

    #[test]
    fn an_allowlisted_range_admits_its_addresses_and_nothing_else() {
        let ranges: &'static [Cidr] = Box::leak(
            vec!["10.20.0.0/16".parse().unwrap(), "fd00::/8".parse().unwrap()].into_boxed_slice(),
        );
        let policy = TargetPolicy {
            dev_loopback: false,
            allow: ranges,
        };
        assert!(check_syntax("https://10.20.3.4/hooks", policy).is_ok());
        assert!(check_syntax("https://[fd12::1]/hooks", policy).is_ok());
        // Outside the ranges: still refused, and still https only.
        assert!(
            check_syntax("https://10.21.0.1/hooks", policy)
                .unwrap_err()
                .contains("private")
        );
        assert!(
            check_syntax("https://127.0.0.1/", policy)
                .unwrap_err()
                .contains("loopback")
        );
        assert!(check_syntax("http://10.20.3.4/hooks", policy).is_err());
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("10.0.0.0".parse::<Cidr>().is_err());
        let mapped: IpAddr = "::ffff:10.20.0.9".parse().unwrap();
        assert!(ranges[0].contains(mapped));
    }

    #[test]
    fn production_requires_https_on_public_addresses() {
        assert!(check_syntax("https://hooks.example.com/in", PROD).is_ok());
        assert!(check_syntax("https://93.184.216.34/in", PROD).is_ok());
        for (url, why) in [
            ("http://hooks.example.com/in", "https"),
            ("ftp://hooks.example.com/in", "scheme"),
            ("https://user:pw@hooks.example.com/", "credentials"),
            ("https://127.0.0.1/", "loopback"),
            ("https://localhost:8443/", "loopback"),
            ("https://[::1]/", "loopback"),
            ("https://10.1.2.3/", "private"),
            ("https://192.168.0.10/", "private"),
            ("https://172.16.5.5/", "private"),
            ("https://169.254.169.254/latest/meta-data", "link-local"),
            ("https://100.64.0.1/", "CGNAT"),
            ("https://0.0.0.0/", "unspecified"),
            ("https://[fd00::1]/", "private"),
            ("https://[fe80::1]/", "link-local"),
            ("https://[::ffff:10.0.0.1]/", "private"),
            ("not a url", "absolute"),
        ] {
            let err = check_syntax(url, PROD).expect_err(url);
            assert!(err.contains(why), "{url}: {err}");
        }
    }

    #[test]
    fn the_dev_switch_admits_loopback_and_http_but_never_private_ranges() {
        assert!(check_syntax("http://127.0.0.1:9000/hook", DEV).is_ok());
        assert!(check_syntax("http://localhost:9000/hook", DEV).is_ok());
        assert!(check_syntax("http://[::1]:9000/hook", DEV).is_ok());
        assert!(check_syntax("http://10.0.0.1/hook", DEV).is_err());
        assert!(check_syntax("http://169.254.169.254/", DEV).is_err());
    }

    #[tokio::test]
    async fn names_are_refused_when_they_resolve_to_a_refused_address() {
        // The resolver is what every dispatch connects through: `localhost` resolves to
        // loopback, which production refuses and the dev switch admits.
        let name = |s: &str| s.parse::<Name>().unwrap();
        assert!(
            GuardedResolver(PROD)
                .resolve(name("localhost"))
                .await
                .is_err()
        );
        let addrs: Vec<_> = GuardedResolver(DEV)
            .resolve(name("localhost"))
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
        // Saving a URL resolves it too.
        assert!(check_resolved("http://localhost:9/", DEV).await.is_ok());
        let err = check_resolved("https://no-such-host.invalid/", PROD)
            .await
            .unwrap_err();
        assert!(err.contains("does not resolve"), "{err}");
    }
}
