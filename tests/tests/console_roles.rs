//! Every role × every console page (issue 20): a page offers only the actions the role's
//! permissions allow. Each action a page renders (`data-api`, `data-upload`: method and API
//! path) is looked up in the API's own permission table (`api::guard::ROUTES`) and checked
//! against the role; a page the role may not open at all answers 403. The admin, who may do
//! everything, is offered the main actions of each page, so the check cannot pass by a page
//! offering nothing. (The API refuses what a role may not do in any case: tests/tests/auth.rs.)

mod common;

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::json;
use shiphub::api::guard::{Access, ROUTES};
use shiphub::roles::Role;

const PASSWORD: &str = "correct horse battery staple";

/// The attribute `name`'s value in one tag's text, HTML entities of URLs undone.
fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[at..].find('"')?;
    Some(tag[at..at + end].replace("&amp;", "&"))
}

/// The API actions a page offers: (method, path without its query).
fn actions(html: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for tag in html.split('<').map(|t| t.split('>').next().unwrap_or("")) {
        for kind in ["data-api", "data-upload"] {
            if let Some(url) = attr(tag, kind) {
                let method = attr(tag, "data-method").unwrap_or_else(|| "POST".into());
                let path = url.split('?').next().unwrap().to_string();
                out.insert((method.to_uppercase(), path));
            }
        }
    }
    out
}

/// What the API's permission table says `method path` needs.
fn needs(method: &str, path: &str) -> Access {
    let segs: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .find(|(m, route, _)| {
            let r: Vec<&str> = route.split('/').collect();
            *m == method
                && r.len() == segs.len()
                && r.iter()
                    .zip(&segs)
                    .all(|(a, b)| a == b || (a.starts_with('{') && !b.is_empty()))
        })
        .map(|(_, _, a)| *a)
        .unwrap_or_else(|| panic!("a page offers {method} {path}, which is no API route"))
}

fn allowed(role: Role, a: Access) -> bool {
    match a {
        Access::Needs(p) => role.grants(p),
        Access::Public | Access::Authenticated | Access::OwnCredential => true,
    }
}

/// Logs in through the form; the session cookie.
async fn login(http: &reqwest::Client, base: &str, email: &str) -> String {
    let res = http
        .post(format!("{base}/console/login"))
        .form(&[
            ("tenant", "default"),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_is_offered_only_what_it_may_do_on_every_page() {
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--insecure-cookie"]);
    let api = common::Api::of(&hub);
    // Something on every page: a shipment, a print station with a job, a webhook endpoint.
    let station = api
        .created(
            "/v1/print-stations",
            json!({"name": "Dock 1", "format": "pdf"}),
        )
        .await;
    let station = station["id"].as_str().unwrap().to_string();
    let shipment = api.buy_sandbox(Some(&station)).await;
    let shipment = shipment["id"].as_str().unwrap().to_string();
    let hook = api
        .created(
            "/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/x", "events": ["shipment.created"]}),
        )
        .await;
    let hook = hook["id"].as_str().unwrap().to_string();
    let pages = [
        "/console".to_string(),
        "/console/shipments".into(),
        format!("/console/shipments/{shipment}"),
        "/console/shipments/new".into(),
        "/console/exceptions".into(),
        "/console/print".into(),
        "/console/webhooks".into(),
        format!("/console/webhooks/{hook}"),
        "/console/carriers".into(),
        "/console/reconciliation".into(),
        "/console/analytics".into(),
        "/console/team".into(),
    ];
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut admin_offers = BTreeSet::new();
    for role in Role::ALL {
        let email = format!("{role}@default.example");
        common::cli_user_create(&hub, "default", &email, role.as_str(), PASSWORD);
        let cookie = login(&http, &hub.base, &email).await;
        for page in &pages {
            let res = http
                .get(format!("{}{page}", hub.base))
                .header("Cookie", &cookie)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let html = res.text().await.unwrap();
            assert!(
                status == StatusCode::OK || status == StatusCode::FORBIDDEN,
                "{role} {page}: {status}"
            );
            for (method, path) in actions(&html) {
                let a = needs(&method, &path);
                assert!(
                    allowed(*role, a),
                    "{page} offers {method} {path} ({a:?}) to {role}, who may not"
                );
                if *role == Role::Admin {
                    admin_offers.insert((method, path));
                }
            }
        }
    }
    // The admin is offered each page's main actions (so the check above saw real actions).
    let offered = |m: &str, p: &str| admin_offers.contains(&(m.to_string(), p.to_string()));
    for (m, p) in [
        ("POST", format!("/v1/shipments/{shipment}/void")),
        ("POST", "/v1/print-jobs".to_string()),
        ("POST", "/v1/print-stations".into()),
        ("POST", "/v1/webhooks".into()),
        ("POST", format!("/v1/webhooks/{hook}/rotate-secret")),
        ("POST", format!("/v1/webhooks/{hook}/test")),
        ("POST", "/v1/carrier-accounts".into()),
        ("POST", "/v1/invoices".into()),
        ("POST", "/v1/users".into()),
        ("POST", "/v1/api-keys".into()),
    ] {
        assert!(
            offered(m, &p),
            "the admin is not offered {m} {p}: {admin_offers:#?}"
        );
    }
}
