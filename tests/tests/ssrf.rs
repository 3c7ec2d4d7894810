//! No server-side request forgery, through the real binary: a tenant cannot point a carrier
//! account (or a webhook) at the hub's own network, the check holds after DNS resolution on
//! every connection, and answers from hosts outside a carrier's official list (and failures to
//! connect) reach the client as one generic answer, with no carrier text and no port state.

mod common;

use common::Api;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Sim};
use tokio::io::AsyncWriteExt;

/// Creates a UPS account at `base_url`.
async fn ups_account(api: &Api, base_url: &str) -> (StatusCode, Value) {
    api.post(
        "/v1/carrier-accounts",
        json!({"carrier": "ups", "name": "UPS", "base_url": base_url,
               "credentials": {"client_id": "c", "client_secret": "s", "account_number": "A1B2C3"}}),
    )
    .await
}

/// Rates one account; returns its error entry (or panics when it quoted).
async fn rate_error(api: &Api, account: &str) -> Value {
    let (s, rates) = rate(api, account).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    let errors = rates["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{rates}");
    errors[0].clone()
}

async fn rate(api: &Api, account: &str) -> (StatusCode, Value) {
    let mut body = shipment();
    body["carrier_accounts"] = json!([account]);
    api.post("/v1/rates", body).await
}

fn shipment() -> Value {
    json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},
           "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","phone":"+14155550100"},
           "parcels":[{"weight":{"value":"2.5","unit":"kg"}}]})
}

/// A TCP listener on loopback that counts connections and, when `banner` is given, writes it
/// and hangs up (an SSH server, a database): the kind of port a tenant would probe.
async fn listener(banner: Option<&'static [u8]>) -> (u16, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            if let Some(b) = banner {
                let _ = s.write_all(b).await;
            }
            drop(s);
        }
    });
    (port, seen)
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_cannot_point_carrier_accounts_at_internal_hosts() {
    // Production policy; the operator lists `localhost` by name (a name resolving to loopback).
    let hub = common::start_strict(
        tempfile::tempdir().unwrap(),
        &["--carrier-allow", "localhost"],
    );
    let api = Api::of(&hub);
    let (sim_port, seen) = listener(None).await;
    for (base_url, why) in [
        (format!("http://127.0.0.1:{sim_port}"), "https"),
        (format!("https://127.0.0.1:{sim_port}"), "loopback"),
        (
            "https://169.254.169.254/latest/meta-data".into(),
            "link-local",
        ),
        ("https://[::1]/".into(), "loopback"),
        ("https://[::ffff:127.0.0.1]/".into(), "loopback"),
        ("https://[::127.0.0.1]/".into(), "IPv4-compatible"),
        ("https://10.1.2.3/".into(), "private"),
        ("https://192.168.0.1/".into(), "private"),
        ("https://100.64.0.1/".into(), "CGNAT"),
        (
            format!("https://localhost:{sim_port}/"),
            "resolves to a loopback address",
        ),
        (
            "https://evil.example.com/".into(),
            "onlinetools.ups.com, wwwcie.ups.com",
        ),
        (
            "https://93.184.216.34/".into(),
            "onlinetools.ups.com, wwwcie.ups.com",
        ),
    ] {
        let (s, p) = ups_account(&api, &base_url).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{base_url}: {p}");
        assert_eq!(p["errors"][0]["pointer"], "/base_url", "{base_url}: {p}");
        let detail = p["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(why), "{base_url}: {detail}");
        if why != "https" {
            assert!(detail.contains("--carrier-allow"), "{base_url}: {detail}");
        }
    }
    // DHL's tracking URL in the credentials is held to the same policy.
    let (s, p) = api
        .post(
            "/v1/carrier-accounts",
            json!({"carrier": "dhl_express", "name": "DHL", "base_url": "https://express.api.dhl.com/mydhlapi/test",
                   "credentials": {"username": "u", "password": "p", "account_number": "123456789",
                                   "tracking_api_key": "k", "tracking_base_url": "https://169.254.169.254/track"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        p["errors"][0]["pointer"], "/credentials/tracking_base_url",
        "{p}"
    );
    // The official hosts are allowed as they are.
    for official in ["https://wwwcie.ups.com", "https://onlinetools.ups.com/"] {
        let (s, p) = ups_account(&api, official).await;
        assert_eq!(s, StatusCode::CREATED, "{official}: {p}");
    }
    assert_eq!(
        seen.load(Ordering::SeqCst),
        0,
        "the hub connected to loopback"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_the_operator_lists_is_reachable_and_an_unlisted_one_is_not() {
    let ups = Sim::default();
    let addr = sim::serve(
        sim::ups::router(ups.clone()),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let by_name = format!("http://localhost:{}", addr.port());

    // The dev switch admits loopback addresses, not any name that resolves there.
    let hub = common::start_with(tempfile::tempdir().unwrap(), &[]);
    let api = Api::of(&hub);
    let (s, p) = ups_account(&api, &by_name).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(
        p["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("host `localhost` is not allowed"),
        "{p}"
    );
    drop(hub);

    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--carrier-allow", "localhost"],
    );
    let api = Api::of(&hub);
    let (s, account) = ups_account(&api, &by_name).await;
    assert_eq!(s, StatusCode::CREATED, "{account}");
    let (s, rates) = rate(&api, account["id"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    assert!(rates["errors"].as_array().unwrap().is_empty(), "{rates}");
    assert!(!rates["quotes"].as_array().unwrap().is_empty(), "{rates}");
    assert!(ups.hits("/api/rating") > 0);
}

/// DNS rebinding, and a policy narrowed after an account was saved: the check runs again on
/// every connection, after resolution, so the hub never opens the socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_allowed_at_creation_is_refused_on_connection_once_it_resolves_to_loopback() {
    let (port, seen) = listener(None).await;
    let mut hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--carrier-allow", "localhost"],
    );
    let api = Api::of(&hub);
    // Allowed at creation: a listed name resolving to loopback under the dev switch.
    let (s, account) = ups_account(&api, &format!("https://localhost:{port}")).await;
    assert_eq!(s, StatusCode::CREATED, "{account}");
    let id = account["id"].as_str().unwrap().to_string();
    // The hub reaches it now (the listener is no TLS server: the call fails after connecting).
    let before = rate_error(&api, &id).await;
    assert!(seen.load(Ordering::SeqCst) > 0, "{before}");

    // The same account, the same name, loopback no longer allowed: resolved and refused on
    // connection, the socket never opened, the same generic answer.
    hub.args.retain(|a| a != "--dev-loopback");
    hub.restart();
    let api = api.at(&hub);
    seen.store(0, Ordering::SeqCst);
    let after = rate_error(&api, &id).await;
    assert_eq!(after["type"], "transient", "{after}");
    assert_eq!(
        after["detail"],
        "ups unavailable: could not reach the carrier"
    );
    assert_eq!(before["detail"], after["detail"]);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        0,
        "the hub connected to loopback"
    );
}

/// Connecting to an open port, a closed one or a banner-speaking one reads the same; what a
/// non-official host answers never reaches the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_connection_errors_of_non_official_hosts_reveal_nothing() {
    // A service that answers every request with an error naming internal secrets, in UPS's
    // error shape and as plain text.
    const SECRET: &str = "internal-secret-7f3a";
    let app = axum::Router::new()
        .route(
            "/security/v1/oauth/token",
            axum::routing::post(|| async {
                axum::Json(json!({"access_token": "t", "token_type": "Bearer", "expires_in": "3600"}))
            }),
        )
        .route(
            "/api/rating/{version}/{op}",
            axum::routing::post(|| async {
                (
                    axum::http::StatusCode::BAD_REQUEST,
                    axum::Json(json!({"response": {"errors": [
                        {"code": "INTERNAL-42", "message": format!("postal code {SECRET} invalid")}]}})),
                )
            }),
        )
        .fallback(|| async { format!("aws metadata: {SECRET}") });
    let addr = sim::serve(app, std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let leaky = format!("http://127.0.0.1:{}", addr.port());
    let (banner_port, _) = listener(Some(b"SSH-2.0-OpenSSH_9.6 internal-secret-7f3a\r\n")).await;

    let hub = common::start_with(tempfile::tempdir().unwrap(), &[]);
    let api = Api::of(&hub);
    let mut details = vec![];
    for base_url in [
        format!("http://127.0.0.1:{}", closed_port()),
        format!("http://127.0.0.1:{banner_port}"),
        format!("http://127.0.0.1:{}", closed_port()),
    ] {
        let (s, account) = ups_account(&api, &base_url).await;
        assert_eq!(s, StatusCode::CREATED, "{account}");
        let e = rate_error(&api, account["id"].as_str().unwrap()).await;
        assert!(!e.to_string().contains(SECRET), "{e}");
        details.push(e["detail"].clone());
    }
    assert!(
        details
            .iter()
            .all(|d| d == "ups unavailable: could not reach the carrier"),
        "{details:?}"
    );

    let (s, account) = ups_account(&api, &leaky).await;
    assert_eq!(s, StatusCode::CREATED, "{account}");
    let id = account["id"].as_str().unwrap().to_string();
    let e = rate_error(&api, &id).await;
    assert_eq!(e["type"], "rejected", "{e}");
    assert!(!e.to_string().contains(SECRET), "{e}");
    assert!(!e.to_string().contains("INTERNAL-42"), "{e}");
    // Purchases answer with problem details: no carrier text there either.
    let mut body = shipment();
    body["carrier_account"] = json!(id);
    body["service"] = json!("03");
    let res = api
        .http
        .post(format!("{}/v1/shipments", api.base))
        .bearer_auth(&api.key)
        .header("Idempotency-Key", "ssrf-leak-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(
        status.is_client_error() || status.is_server_error(),
        "{status} {text}"
    );
    assert!(!text.contains(SECRET), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_refuse_ipv6_transition_and_special_purpose_forms() {
    let hub = common::start_strict(tempfile::tempdir().unwrap(), &[]);
    let api = Api::of(&hub);
    for (url, why) in [
        ("https://[::127.0.0.1]/hook", "IPv4-compatible"),
        ("https://[::a9fe:a9fe]/hook", "IPv4-compatible"),
        ("https://[64:ff9b::a9fe:a9fe]/hook", "NAT64"),
        ("https://[64:ff9b:1::a00:1]/hook", "NAT64"),
        ("https://[2002:a9fe:a9fe::1]/hook", "6to4"),
        (
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
            "Teredo",
        ),
        ("https://[fec0::1]/hook", "site-local"),
        ("https://[::ffff:a9fe:a9fe]/hook", "link-local"),
        ("https://192.0.0.8/hook", "IETF"),
        ("https://198.18.0.1/hook", "benchmarking"),
        ("https://203.0.113.5/hook", "documentation"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://255.255.255.255/hook", "broadcast"),
        ("https://[ff02::1]/hook", "multicast"),
    ] {
        let (s, p) = api
            .post("/v1/webhooks", json!({"url": url, "events": ["*"]}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {p}");
        assert_eq!(p["errors"][0]["pointer"], "/url", "{url}: {p}");
        let detail = p["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(why), "{url}: {detail}");
    }
}

/// A carrier host that answers with a redirect cannot send the hub elsewhere (where the
/// target checks of the account's URL never looked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carrier_redirects_are_not_followed() {
    let (elsewhere, seen) = listener(None).await;
    let target = format!("http://127.0.0.1:{elsewhere}/security/v1/oauth/token");
    let app = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, target)],
            )
        }
    });
    let addr = sim::serve(app, std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let hub = common::start_with(tempfile::tempdir().unwrap(), &[]);
    let api = Api::of(&hub);
    let (s, account) = ups_account(&api, &format!("http://127.0.0.1:{}", addr.port())).await;
    assert_eq!(s, StatusCode::CREATED, "{account}");
    let e = rate_error(&api, account["id"].as_str().unwrap()).await;
    assert!(!e.to_string().contains(&elsewhere.to_string()), "{e}");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        0,
        "the hub followed the redirect: {e}"
    );
}
