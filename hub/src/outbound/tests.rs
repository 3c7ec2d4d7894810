//! The address tables row by row, the webhook and carrier URL checks, and the resolver.

use super::*;

const PROD: TargetPolicy = TargetPolicy {
    dev_loopback: false,
    allow: &[],
};
const DEV: TargetPolicy = TargetPolicy {
    dev_loopback: true,
    allow: &[],
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn step(a: IpAddr, up: bool) -> Option<IpAddr> {
    match a {
        IpAddr::V4(v) => {
            let n = u32::from(v);
            let n = if up {
                n.checked_add(1)
            } else {
                n.checked_sub(1)
            }?;
            Some(IpAddr::V4(n.into()))
        }
        IpAddr::V6(v) => {
            let n = u128::from(v);
            let n = if up {
                n.checked_add(1)
            } else {
                n.checked_sub(1)
            }?;
            Some(IpAddr::V6(n.into()))
        }
    }
}

/// The first row of `table` containing `ip` (the one `classify` names).
fn first_match(table: &[Special], ip: IpAddr) -> Option<usize> {
    table.iter().position(|s| s.range.contains(ip))
}

/// One row per registry range: its first and last address are refused by this row (or by a
/// more specific row nested in it), and the addresses just outside it are not this row's.
#[test]
fn every_special_purpose_range_is_refused_up_to_its_boundaries() {
    let (v4, v6) = &*SPECIAL;
    assert_eq!(v4.len(), V4.len());
    assert_eq!(v6.len(), V6.len());
    for table in [v4, v6] {
        for (i, row) in table.iter().enumerate() {
            let (first, last) = row.range.bounds();
            for inside in [first, last] {
                let j = first_match(table, inside).unwrap();
                let (a, b) = table[j].range.bounds();
                assert!(
                    j == i || (row.range.contains(a) && row.range.contains(b)),
                    "{inside} in {} matched {}",
                    row.range,
                    table[j].range
                );
                assert_eq!(classify(inside), Some(table[j].name), "{inside}");
                assert!(refused(inside, PROD).is_some(), "{inside}");
            }
            for outside in [step(first, false), step(last, true)].into_iter().flatten() {
                assert_ne!(
                    first_match(table, outside),
                    Some(i),
                    "{outside} outside {}",
                    row.range
                );
            }
        }
    }
}

/// Concrete addresses, one per range and transition form, with the reason they are refused.
#[test]
fn the_forms_the_issue_names_are_refused() {
    for (addr, why) in [
        // IPv4
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("10.255.255.255", "private"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.255", "CGNAT"),
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("169.254.169.254", "link-local"),
        ("172.31.255.255", "private"),
        ("192.0.0.8", "IETF"),
        ("192.0.0.170", "IETF"),
        ("192.0.2.1", "documentation"),
        ("192.88.99.1", "6to4"),
        ("192.168.1.1", "private"),
        ("198.18.0.1", "benchmarking"),
        ("198.19.255.255", "benchmarking"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.9", "documentation"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        // IPv6 and its transition forms
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("::8.8.8.8", "IPv4-compatible"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::7f00:1", "NAT64"),
        ("64:ff9b::808:808", "NAT64"),
        ("64:ff9b:1::1", "NAT64"),
        ("100::1", "discard"),
        ("2001::1", "Teredo"),
        ("2001:0:4136:e378::1", "Teredo"),
        ("2001:2::1", "IETF"),
        ("2001:db8::1", "documentation"),
        ("2002:7f00:1::1", "6to4"),
        ("2002:a9fe:a9fe::1", "6to4"),
        ("3fff::1", "documentation"),
        ("5f00::1", "segment routing"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("fe80::1", "link-local"),
        ("febf::1", "link-local"),
        ("fec0::1", "site-local"),
        ("feff::1", "site-local"),
        ("ff02::1", "multicast"),
        ("4000::1", "outside global unicast"),
    ] {
        let got = refused(ip(addr), PROD).unwrap_or_else(|| panic!("{addr} allowed"));
        assert!(got.contains(why), "{addr}: {got}, expected {why}");
    }
    for public in [
        "8.8.8.8",
        "93.184.216.34",
        "1.1.1.1",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "172.32.0.0",
        "192.0.1.0",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "::ffff:8.8.8.8",
        "2606:4700::1111",
        "2001:4860:4860::8888",
        "2001:200::1",
        "2003::1",
    ] {
        assert_eq!(refused(ip(public), PROD), None, "{public}");
    }
}

#[test]
fn the_dev_switch_lifts_loopback_only_and_allowed_ranges_lift_their_addresses() {
    for lo in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
        assert_eq!(refused(ip(lo), DEV), None, "{lo}");
    }
    for other in [
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "10.0.0.1",
        "169.254.169.254",
    ] {
        assert!(refused(ip(other), DEV).is_some(), "{other}");
    }
    let allow: &'static [Cidr] = Box::leak(
        vec!["10.20.0.0/16".parse().unwrap(), "fd00::/8".parse().unwrap()].into_boxed_slice(),
    );
    let p = TargetPolicy {
        dev_loopback: false,
        allow,
    };
    assert_eq!(refused(ip("10.20.3.4"), p), None);
    assert_eq!(refused(ip("::ffff:10.20.3.4"), p), None);
    assert_eq!(refused(ip("fd12::1"), p), None);
    assert!(refused(ip("10.21.0.1"), p).is_some());
    assert!(refused(ip("127.0.0.1"), p).is_some());
}

#[test]
fn address_ranges_parse_and_match_at_their_edges() {
    let c: Cidr = "10.20.0.0/16".parse().unwrap();
    assert!(c.contains(ip("10.20.0.0")) && c.contains(ip("10.20.255.255")));
    assert!(!c.contains(ip("10.19.255.255")) && !c.contains(ip("10.21.0.0")));
    assert!(c.contains(ip("::ffff:10.20.0.9")));
    assert!(!c.contains(ip("::10.20.0.9")));
    let all: Cidr = "0.0.0.0/0".parse().unwrap();
    assert!(all.contains(ip("255.255.255.255")));
    let one: Cidr = "::1/128".parse().unwrap();
    assert!(one.contains(ip("::1")) && !one.contains(ip("::2")));
    assert!("10.0.0.0/33".parse::<Cidr>().is_err());
    assert!("::/129".parse::<Cidr>().is_err());
    assert!("10.0.0.0".parse::<Cidr>().is_err());
}

#[test]
fn webhooks_require_https_on_public_addresses() {
    assert!(check_syntax("https://hooks.example.com/in", PROD).is_ok());
    assert!(check_syntax("https://93.184.216.34/in", PROD).is_ok());
    assert!(check_syntax("https://[2606:4700::1111]/in", PROD).is_ok());
    for (url, why) in [
        ("http://hooks.example.com/in", "https"),
        ("ftp://hooks.example.com/in", "scheme"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("https://127.0.0.1/", "loopback"),
        ("https://localhost:8443/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://10.1.2.3/", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://100.64.0.1/", "CGNAT"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://[::127.0.0.1]/", "IPv4-compatible"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://[64:ff9b::a9fe:a9fe]/", "NAT64"),
        ("https://[2002:a9fe:a9fe::1]/", "6to4"),
        ("https://[fec0::1]/", "site-local"),
        ("https://198.18.0.1/", "benchmarking"),
        ("not a url", "absolute"),
    ] {
        let err = check_syntax(url, PROD).expect_err(url);
        assert!(err.contains(why), "{url}: {err}");
    }
    assert!(check_syntax("http://127.0.0.1:9000/hook", DEV).is_ok());
    assert!(check_syntax("http://localhost:9000/hook", DEV).is_ok());
    assert!(check_syntax("http://10.0.0.1/hook", DEV).is_err());
}

fn entry() -> &'static CarrierEntry {
    shiphub_carriers::registry::lookup(shiphub_carriers::CARRIERS, "ups").unwrap()
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

#[test]
fn carrier_accounts_reach_official_hosts_and_what_the_operator_allows() {
    let prod = CarrierPolicy::default();
    assert!(
        prod.check_url(entry(), &url("https://wwwcie.ups.com"))
            .is_ok()
    );
    assert!(
        prod.check_url(entry(), &url("https://ONLINETOOLS.ups.com/"))
            .is_ok()
    );
    for (u, why) in [
        ("http://wwwcie.ups.com", "https"),
        (
            "https://evil.example.com",
            "onlinetools.ups.com, wwwcie.ups.com",
        ),
        ("https://93.184.216.34", "is not allowed"),
        ("https://127.0.0.1:8080", "loopback"),
        ("https://169.254.169.254", "link-local"),
        ("https://[::1]", "loopback"),
        ("https://[::ffff:127.0.0.1]", "loopback"),
        ("https://10.0.0.5", "private"),
        ("https://localhost", "is not allowed"),
        ("https://u:p@wwwcie.ups.com", "credentials"),
    ] {
        let err = prod.check_url(entry(), &url(u)).expect_err(u);
        assert!(err.contains(why), "{u}: {err}");
        if !why.contains("https") && !why.contains("credentials") {
            assert!(err.contains("--carrier-allow"), "{u}: {err}");
        }
    }
    let ops = CarrierPolicy::parse(
        false,
        &[
            "ups-gw.corp.example".into(),
            "10.20.0.0/16".into(),
            "203.0.113.7".into(),
        ],
    )
    .unwrap();
    assert!(
        ops.check_url(entry(), &url("https://UPS-GW.corp.example:8443/x"))
            .is_ok()
    );
    assert!(ops.check_url(entry(), &url("https://10.20.1.1")).is_ok());
    assert!(ops.check_url(entry(), &url("https://203.0.113.7")).is_ok());
    assert!(ops.check_url(entry(), &url("https://203.0.113.8")).is_err());
    assert!(
        ops.check_url(entry(), &url("http://ups-gw.corp.example"))
            .is_err()
    );
    assert!(
        ops.check_url(entry(), &url("https://other.corp.example"))
            .is_err()
    );
    let dev = CarrierPolicy::parse(true, &[]).unwrap();
    assert!(
        dev.check_url(entry(), &url("http://127.0.0.1:9000"))
            .is_ok()
    );
    assert!(dev.check_url(entry(), &url("http://[::1]:9000")).is_ok());
    assert!(
        dev.check_url(entry(), &url("http://10.0.0.1:9000"))
            .is_err()
    );
    assert!(
        dev.check_url(entry(), &url("http://localhost:9000"))
            .is_err()
    );
    assert!(CarrierPolicy::parse(false, &["10.0.0.0/40".into()]).is_err());
    assert!(CarrierPolicy::parse(false, &["bad host!".into()]).is_err());
}

#[test]
fn only_https_on_an_official_host_and_port_is_official() {
    assert!(CarrierPolicy::is_official(
        entry(),
        &url("https://wwwcie.ups.com/api")
    ));
    assert!(CarrierPolicy::is_official(
        entry(),
        &url("https://wwwcie.ups.com:443/")
    ));
    assert!(!CarrierPolicy::is_official(
        entry(),
        &url("https://wwwcie.ups.com:8443/")
    ));
    assert!(!CarrierPolicy::is_official(
        entry(),
        &url("http://wwwcie.ups.com/")
    ));
    assert!(!CarrierPolicy::is_official(
        entry(),
        &url("https://apis.fedex.com/")
    ));
}

#[tokio::test]
async fn names_are_refused_when_they_resolve_to_a_refused_address() {
    let name = |s: &str| s.parse::<Name>().unwrap();
    assert!(resolver(PROD).resolve(name("localhost")).await.is_err());
    let addrs: Vec<_> = resolver(DEV)
        .resolve(name("localhost"))
        .await
        .unwrap()
        .collect();
    assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    assert!(check_resolved("http://localhost:9/", DEV).await.is_ok());
    let err = check_resolved("https://no-such-host.invalid/", PROD)
        .await
        .unwrap_err();
    assert!(err.contains("does not resolve"), "{err}");

    // Carriers: a listed name resolving to loopback is refused without the dev switch, at
    // creation and on connection; unlisted names never resolve.
    let listed = CarrierPolicy::parse(false, &["localhost".into()]).unwrap();
    let err = listed
        .check_resolved(entry(), &url("https://localhost/"))
        .await
        .unwrap_err();
    assert!(err.contains("loopback"), "{err}");
    let r = listed.resolver(&[entry()]);
    assert!(r.resolve(name("localhost")).await.is_err());
    let dev = CarrierPolicy::parse(true, &["localhost".into()]).unwrap();
    assert!(
        dev.check_resolved(entry(), &url("http://localhost:9/"))
            .await
            .is_ok()
    );
    assert!(
        dev.resolver(&[entry()])
            .resolve(name("localhost"))
            .await
            .is_ok()
    );
    let unlisted = CarrierPolicy::parse(true, &[])
        .unwrap()
        .resolver(&[entry()]);
    let err = unlisted.resolve(name("localhost")).await.err().unwrap();
    assert!(err.to_string().contains("not a host"), "{err}");
}

/// A name that resolved to a public address yesterday and resolves to a private one today
/// (DNS rebinding) is not connected to: the resolver judges every answer.
#[test]
fn every_resolution_is_judged_again() {
    let r = CarrierPolicy::default().resolver(&[entry()]);
    let at = |s: &str| vec![SocketAddr::new(ip(s), 443)];
    assert!(r.admit("wwwcie.ups.com", at("93.184.216.34")).is_ok());
    assert!(r.admit("wwwcie.ups.com", at("10.0.0.1")).is_err());
    assert!(
        r.admit("wwwcie.ups.com", at("::ffff:169.254.169.254"))
            .is_err()
    );
    // Mixed answers keep only the allowed addresses.
    let mixed = [at("127.0.0.1"), at("93.184.216.34")].concat();
    assert_eq!(
        r.admit("wwwcie.ups.com", mixed).unwrap(),
        at("93.184.216.34")
    );
}

#[test]
fn withheld_errors_carry_no_carrier_text() {
    let carrier = CarrierCode::from_static("ups");
    let e = withhold(CarrierError::Transient {
        carrier: carrier.clone(),
        message: "transport error: connection refused (127.0.0.1:22)".into(),
        maybe_processed: true,
    });
    assert_eq!(e.to_string(), format!("ups unavailable: {UNREACHABLE}"));
    assert!(matches!(
        e,
        CarrierError::Transient {
            maybe_processed: true,
            ..
        }
    ));
    let e = withhold(CarrierError::rejected(
        carrier.clone(),
        "/to/postal_code",
        Some("SECRET-CODE"),
        "ssh banner SSH-2.0",
    ));
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("SECRET") && !text.contains("SSH-2.0"),
        "{text}"
    );
    let CarrierError::Rejected { errors, .. } = e else {
        panic!()
    };
    assert_eq!(errors[0].field, "/to/postal_code");
    let e = withhold(CarrierError::Protocol {
        carrier,
        status: 200,
        body: RawBody(b"ami-id: secret".to_vec()),
        message: "expected JSON, got `ami-id: secret`".into(),
    });
    let text = format!("{e} {e:?}");
    assert!(!text.contains("secret"), "{text}");
}
