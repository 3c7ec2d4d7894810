//! Who may do what (issue 20), through the real binary: one hub, one API key per role and one
//! browser session per role, each trying every kind of action (allowed → done, forbidden → 403
//! naming the permission); a user or key never sees another tenant (404); a cookie-authenticated
//! change without its CSRF token is refused; logout ends the session; a rotated or revoked key is
//! 401; the key `serve` printed keeps working as `admin`; invitations and password resets work
//! once; failed logins never say whether the e-mail exists and are slowed.

mod common;

use std::process::Command;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use common::{Api, answer, sandbox_pdf_purchase};

const ROLES: [&str; 5] = ["admin", "shipping", "warehouse", "finance", "viewer"];
const PASSWORD: &str = "correct horse battery staple";

/// An API key or a browser session (cookie + CSRF token).
#[derive(Clone, Debug)]
enum Cred {
    Key(String),
    Session { cookie: String, csrf: String },
}

#[derive(Clone, Debug)]
struct Caller {
    http: reqwest::Client,
    base: String,
    cred: Cred,
}

impl Caller {
    fn key(hub: &common::Hub, key: &str) -> Caller {
        Caller {
            http: reqwest::Client::new(),
            base: hub.base.clone(),
            cred: Cred::Key(key.into()),
        }
    }

    /// A request as this caller; a session sends its CSRF token on changes unless `csrf` is
    /// false.
    fn request_with(&self, method: Method, path: &str, csrf: bool) -> RequestBuilder {
        let safe = method == Method::GET;
        let req = self.http.request(method, format!("{}{path}", self.base));
        match &self.cred {
            Cred::Key(k) => req.bearer_auth(k),
            Cred::Session {
                cookie,
                csrf: token,
            } => {
                let req = req.header("Cookie", format!("shiphub_session={cookie}"));
                if csrf && !safe {
                    req.header("X-CSRF-Token", token)
                } else {
                    req
                }
            }
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        let mut req = self.request_with(method.clone(), path, true);
        if let Some(b) = body {
            req = req.json(b);
        }
        if method == Method::POST {
            req = req.header("Idempotency-Key", uuid_like());
        }
        answer(req.send().await.unwrap()).await
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "auth-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Logs in; the session cookie (checked for its attributes) and the CSRF token, or the
/// failure.
async fn login(
    hub: &common::Hub,
    tenant: &str,
    email: &str,
    password: &str,
) -> Result<Caller, (StatusCode, Value)> {
    let res = reqwest::Client::new()
        .post(format!("{}/v1/session", hub.base))
        .json(&json!({"tenant": tenant, "email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, body) = answer(res).await;
    if status != StatusCode::OK {
        assert!(set_cookie.is_none(), "a failed login sets no cookie");
        return Err((status, body));
    }
    let set_cookie = set_cookie.expect("login sets the session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attr), "{attr} in {set_cookie}");
    }
    // Secure unless the hub was told it serves plain HTTP on loopback.
    let insecure = hub.args.iter().any(|a| a == "--insecure-cookie");
    assert_eq!(set_cookie.contains("; Secure"), !insecure, "{set_cookie}");
    let cookie = set_cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("shiphub_session=")
        .unwrap()
        .to_string();
    assert_eq!(body["via"], "session", "{body}");
    Ok(Caller {
        http: reqwest::Client::new(),
        base: hub.base.clone(),
        cred: Cred::Session {
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
        },
    })
}

/// `shiphub user create` with the password on stdin: the JSON line it printed.
fn cli_user_create(hub: &common::Hub, tenant: &str, email: &str, role: &str) -> Value {
    common::cli_user_create(hub, tenant, email, role, PASSWORD)
}

/// One action of the matrix: what it needs and how to try it (`{shipment}` in the path or
/// body is this caller's own shipment).
struct Action {
    permission: &'static str,
    method: Method,
    path: &'static str,
    body: Value,
}

fn actions(account: &str, station: &str) -> Vec<Action> {
    let a = |permission, method, path, body| Action {
        permission,
        method,
        path,
        body,
    };
    let mut rate = sandbox_pdf_purchase(account, None);
    rate.as_object_mut()
        .unwrap()
        .retain(|k, _| ["from", "to", "parcels"].contains(&k.as_str()));
    vec![
        a("read", Method::GET, "/v1/shipments", Value::Null),
        a("read", Method::GET, "/v1/shipments/{shipment}", Value::Null),
        a("read", Method::GET, "/v1/print-stations", Value::Null),
        a("read", Method::GET, "/v1/reconciliations", Value::Null),
        a(
            "read",
            Method::GET,
            "/v1/analytics/timeliness?from=2026-01-01&to=2026-12-31",
            Value::Null,
        ),
        a("rate", Method::POST, "/v1/rates", rate),
        a(
            "buy",
            Method::POST,
            "/v1/shipments",
            sandbox_pdf_purchase(account, None),
        ),
        a(
            "reprint",
            Method::POST,
            "/v1/print-jobs",
            json!({"shipment_id": "{shipment}", "station_id": station}),
        ),
        a(
            "trackers",
            Method::POST,
            "/v1/trackers",
            json!({"tracking_number": "{tracking}", "carrier_account": account}),
        ),
        a(
            "print_stations",
            Method::POST,
            "/v1/print-stations",
            json!({"name": "Dock", "format": "pdf"}),
        ),
        a(
            "carrier_accounts",
            Method::POST,
            "/v1/carrier-accounts",
            json!({"carrier": "sandbox", "name": "another sandbox"}),
        ),
        a(
            "webhooks",
            Method::POST,
            "/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]}),
        ),
        a(
            "reconcile",
            Method::PUT,
            "/v1/audit-settings",
            json!({"fuel": [{"carrier": "ups", "from": "2026-01-01", "percent": "15"}]}),
        ),
        a("users", Method::GET, "/v1/users", Value::Null),
        a(
            "api_keys",
            Method::POST,
            "/v1/api-keys",
            json!({"name": "made in the matrix", "role": "viewer"}),
        ),
        // Last: a voided shipment's label is printed no more.
        a(
            "void",
            Method::POST,
            "/v1/shipments/{shipment}/void",
            json!({}),
        ),
    ]
}

fn grants(role: &str, permission: &str) -> bool {
    match role {
        "admin" => true,
        "shipping" => ["read", "rate", "buy", "void", "reprint", "trackers"].contains(&permission),
        "warehouse" => ["read", "print_stations", "reprint"].contains(&permission),
        "finance" => ["read", "reconcile"].contains(&permission),
        "viewer" => permission == "read",
        _ => unreachable!(),
    }
}

fn fill(s: &str, shipment: &Value) -> String {
    s.replace("{shipment}", shipment["id"].as_str().unwrap())
        .replace("{tracking}", shipment["tracking_number"].as_str().unwrap())
}

#[tokio::test]
async fn every_role_may_do_what_it_grants_and_nothing_else_by_key_and_by_session() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let admin = Api::of(&hub);
    let boot = Caller::key(&hub, &admin.key);

    // The key `serve` printed (made before roles existed) is an admin key.
    let (s, me) = boot.send(Method::GET, "/v1/session", None).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["via"], "api_key");

    let (s, station) = boot
        .send(
            Method::POST,
            "/v1/print-stations",
            Some(&json!({"name": "Dock 1", "format": "pdf"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{station}");
    let station = station["id"].as_str().unwrap().to_string();

    // The first admin user from the command line; the other roles invited by that admin (over
    // a session) and accepted with a password.
    let created = cli_user_create(&hub, "default", "Boss@Example.com", "admin");
    assert_eq!(created["email"], "boss@example.com");
    assert!(
        created.get("password").is_none(),
        "a password from stdin is not printed"
    );
    let boss = login(&hub, "default", "boss@example.com", PASSWORD)
        .await
        .unwrap();
    let mut callers: Vec<(String, &str, Caller)> = vec![];
    for role in ROLES {
        let (s, key) = boot
            .send(
                Method::POST,
                "/v1/api-keys",
                Some(&json!({"name": format!("{role} key"), "role": role})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{key}");
        assert_eq!(key["role"], role);
        callers.push((
            format!("{role} key"),
            role,
            Caller::key(&hub, key["key"].as_str().unwrap()),
        ));
        let session = if role == "admin" {
            boss.clone()
        } else {
            let email = format!("{role}@example.com");
            let (s, invited) = boss
                .send(
                    Method::POST,
                    "/v1/users",
                    Some(&json!({"email": email, "role": role})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{invited}");
            assert_eq!(invited["status"], "invited");
            // Invited, no password yet: cannot log in.
            assert_eq!(
                login(&hub, "default", &email, PASSWORD)
                    .await
                    .unwrap_err()
                    .0,
                401
            );
            let token = invited["invitation_token"].as_str().unwrap();
            let (s, accepted) = boot
                .send(
                    Method::POST,
                    "/v1/invitations/accept",
                    Some(&json!({"token": token, "password": PASSWORD})),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{accepted}");
            assert_eq!(accepted["status"], "active");
            login(&hub, "default", &email, PASSWORD).await.unwrap()
        };
        let (s, me) = session.send(Method::GET, "/v1/session", None).await;
        assert_eq!(
            (s, me["role"].as_str()),
            (StatusCode::OK, Some(role)),
            "{me}"
        );
        callers.push((format!("{role} session"), role, session));
    }

    let actions = actions(&admin.account, &station);
    for (who, role, caller) in &callers {
        // Each caller's own shipment, so a void or reprint is its own.
        let shipment = admin.buy_sandbox(None).await;
        for action in &actions {
            let path = fill(action.path, &shipment);
            let body = (!action.body.is_null()).then(|| {
                serde_json::from_str::<Value>(&fill(&action.body.to_string(), &shipment)).unwrap()
            });
            let (status, answer) = caller
                .send(action.method.clone(), &path, body.as_ref())
                .await;
            let what = format!("{who}: {} {path} ({})", action.method, action.permission);
            if grants(role, action.permission) {
                assert!(status.is_success(), "{what} is allowed: {status} {answer}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{what} is forbidden: {answer}"
                );
                assert_eq!(answer["type"], "https://shiphub.dev/problems/forbidden");
                let detail = answer["detail"].as_str().unwrap();
                assert!(
                    detail.contains(&format!("`{}`", action.permission)) && detail.contains(role),
                    "{what}: the 403 names the permission and the role: {detail}"
                );
            }
        }
    }
}

#[tokio::test]
async fn tenants_are_sealed_sessions_need_csrf_and_end_and_keys_rotate_and_revoke() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let admin = Api::of(&hub);
    let boot = Caller::key(&hub, &admin.key);
    let shipment = admin.buy_sandbox(None).await;
    let shipment_id = shipment["id"].as_str().unwrap();
    cli_user_create(&hub, "default", "ann@example.com", "admin");

    // Another tenant, its admin key and its admin user.
    let other: Value =
        serde_json::from_str(common::cli(&hub.db_url, &["tenant", "create", "other"]).trim())
            .unwrap();
    let other_key = Caller::key(&hub, other["api_key"].as_str().unwrap());
    cli_user_create(&hub, "other", "ann@example.com", "admin");
    let other_session = login(&hub, "other", "ann@example.com", PASSWORD)
        .await
        .unwrap();

    let (_, keys) = boot.send(Method::GET, "/v1/api-keys", None).await;
    let boot_key_id = keys["data"][0]["id"].as_str().unwrap().to_string();
    let (_, users) = boot.send(Method::GET, "/v1/users", None).await;
    let ann = users["data"][0]["id"].as_str().unwrap().to_string();
    for caller in [&other_key, &other_session] {
        for path in [
            format!("/v1/shipments/{shipment_id}"),
            format!("/v1/api-keys/{boot_key_id}"),
            format!("/v1/users/{ann}"),
        ] {
            let (s, v) = caller.send(Method::GET, &path, None).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
        }
        let (s, _) = caller
            .send(Method::DELETE, &format!("/v1/api-keys/{boot_key_id}"), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = caller
            .send(
                Method::PATCH,
                &format!("/v1/users/{ann}"),
                Some(&json!({"disabled": true})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, list) = caller.send(Method::GET, "/v1/users", None).await;
        assert_eq!(
            list["data"].as_array().unwrap().len(),
            1,
            "only its own user: {list}"
        );
    }
    let (s, _) = boot.send(Method::GET, "/v1/session", None).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the other tenant's DELETE did not revoke this key"
    );

    // A method a path has no handler for is axum's 405, before any authentication.
    for (method, path) in [("TRACE", "/v1/session"), ("PUT", "/v1/shipments")] {
        let req = boot.request_with(Method::from_bytes(method.as_bytes()).unwrap(), path, true);
        assert_eq!(
            req.send().await.unwrap().status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
    }

    // CSRF: a cookie-authenticated change without the token, or with another session's, is
    // refused; reads need none.
    let ann_session = login(&hub, "default", "ann@example.com", PASSWORD)
        .await
        .unwrap();
    let Cred::Session {
        csrf: other_csrf, ..
    } = other_session.cred.clone()
    else {
        unreachable!()
    };
    for token in [None, Some(other_csrf.as_str()), Some("")] {
        let mut req = ann_session
            .request_with(Method::POST, "/v1/api-keys", false)
            .header("Idempotency-Key", uuid_like())
            .json(&json!({"name": "csrf", "role": "viewer"}));
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        let (s, v) = answer(req.send().await.unwrap()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(
            v["detail"].as_str().unwrap().contains("X-CSRF-Token"),
            "{v}"
        );
    }
    let (s, _) = ann_session.send(Method::GET, "/v1/api-keys", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = ann_session
        .send(
            Method::POST,
            "/v1/api-keys",
            Some(&json!({"name": "with csrf", "role": "viewer"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // Logout ends the session at once; logging out without the token is refused too.
    let (s, _) = answer(
        ann_session
            .request_with(Method::DELETE, "/v1/session", false)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let res = ann_session
        .request_with(Method::DELETE, "/v1/session", true)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (s, v) = ann_session.send(Method::GET, "/v1/session", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");

    // Rotation: the old secret is 401 at once, the new one works with the same id and role.
    let (_, made) = boot
        .send(
            Method::POST,
            "/v1/api-keys",
            Some(&json!({"name": "scanner", "role": "warehouse"})),
        )
        .await;
    let id = made["id"].as_str().unwrap();
    let old = Caller::key(&hub, made["key"].as_str().unwrap());
    assert_eq!(
        old.send(Method::GET, "/v1/print-stations", None).await.0,
        StatusCode::OK
    );
    let (s, rotated) = boot
        .send(Method::POST, &format!("/v1/api-keys/{id}/rotate"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{rotated}");
    assert_eq!(
        (rotated["id"].as_str(), rotated["role"].as_str()),
        (Some(id), Some("warehouse"))
    );
    let new = Caller::key(&hub, rotated["key"].as_str().unwrap());
    assert_eq!(
        old.send(Method::GET, "/v1/print-stations", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        new.send(Method::GET, "/v1/print-stations", None).await.0,
        StatusCode::OK
    );
    // Revocation: 401 at once; the list keeps the key, revoked, with its last use.
    let (s, _) = boot
        .send(Method::DELETE, &format!("/v1/api-keys/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = new.send(Method::GET, "/v1/print-stations", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (_, listed) = boot
        .send(Method::GET, &format!("/v1/api-keys/{id}"), None)
        .await;
    assert!(listed["revoked_at"].is_string(), "{listed}");
    assert!(listed["last_used_at"].is_string(), "{listed}");
    assert!(
        listed.get("key").is_none(),
        "the secret is never listed: {listed}"
    );
}

#[tokio::test]
async fn logins_never_tell_which_e_mails_exist_are_slowed_and_resets_work_once() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let admin = Api::of(&hub);
    let boot = Caller::key(&hub, &admin.key);
    cli_user_create(&hub, "default", "ann@example.com", "viewer");

    // A wrong password, an unknown e-mail and an unknown tenant: the same answer.
    let wrong = login(&hub, "default", "ann@example.com", "wrong password!")
        .await
        .unwrap_err();
    let unknown = login(&hub, "default", "nobody@example.com", "wrong password!")
        .await
        .unwrap_err();
    let no_tenant = login(&hub, "nowhere", "ann@example.com", "wrong password!")
        .await
        .unwrap_err();
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, no_tenant);

    // Five failures are free (one made above), then the e-mail waits, known or not.
    for _ in 0..4 {
        login(&hub, "default", "ann@example.com", "wrong password!")
            .await
            .unwrap_err();
    }
    let (s, v) = login(&hub, "default", "ann@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(v["retry_after"].as_u64().unwrap() >= 1, "{v}");
    for _ in 0..5 {
        login(&hub, "default", "nobody@example.com", "wrong password!")
            .await
            .unwrap_err();
    }
    assert_eq!(
        login(&hub, "default", "nobody@example.com", "x")
            .await
            .unwrap_err()
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let session = login(&hub, "default", "ann@example.com", PASSWORD)
        .await
        .unwrap();

    // A reset link from the command line: once, and it ends the user's sessions.
    let link: Value = serde_json::from_str(
        common::cli(
            &hub.db_url,
            &[
                "user",
                "reset-link",
                "--tenant",
                "default",
                "--email",
                "ann@example.com",
                "--base-url",
                &hub.base,
            ],
        )
        .trim(),
    )
    .unwrap();
    let token = link["reset_token"].as_str().unwrap();
    assert!(
        link["reset_link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#token={token}")),
        "{link}"
    );
    let new_password = "a brand new passphrase";
    let body = json!({"token": token, "password": new_password});
    let (s, v) = boot
        .send(Method::POST, "/v1/password-reset", Some(&body))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = boot
        .send(Method::POST, "/v1/password-reset", Some(&body))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a reset token works once");
    assert_eq!(
        session.send(Method::GET, "/v1/session", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&hub, "default", "ann@example.com", PASSWORD)
            .await
            .unwrap_err()
            .0,
        401
    );
    login(&hub, "default", "ann@example.com", new_password)
        .await
        .unwrap();

    // A disabled user's session ends, and they cannot log in.
    let (_, users) = boot.send(Method::GET, "/v1/users", None).await;
    let ann = users["data"][0]["id"].as_str().unwrap();
    let session = login(&hub, "default", "ann@example.com", new_password)
        .await
        .unwrap();
    let (s, v) = boot
        .send(
            Method::PATCH,
            &format!("/v1/users/{ann}"),
            Some(&json!({"disabled": true})),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("disabled")),
        "{v}"
    );
    assert_eq!(
        session.send(Method::GET, "/v1/session", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&hub, "default", "ann@example.com", new_password)
            .await
            .unwrap_err()
            .0,
        401
    );
}

#[tokio::test]
async fn the_readme_users_example_runs_as_written() {
    // Plain HTTP on loopback: the README says to run such a hub with --insecure-cookie.
    let hub = common::start_with(tempfile::tempdir().unwrap(), &["--insecure-cookie"]);
    let api = Api::of(&hub);
    let stdout = common::run_readme_with_cli(&["users"], &hub, &api.key).await;
    // The answers are printed back to back (curl adds no newline).
    let answers: Vec<Value> = stdout
        .lines()
        .flat_map(|l| serde_json::Deserializer::from_str(l).into_iter::<Value>())
        .filter_map(Result::ok)
        .collect();
    let find = |pred: &dyn Fn(&Value) -> bool| {
        answers
            .iter()
            .find(|v| pred(v))
            .unwrap_or_else(|| panic!("not in {stdout}"))
            .clone()
    };
    let ben = find(&|v| v["email"] == "ben@example.com");
    assert_eq!(
        (ben["status"].as_str(), ben["role"].as_str()),
        (Some("active"), Some("shipping"))
    );
    let csrf =
        find(&|v| v["status"] == 403 && v["detail"].as_str().unwrap().contains("X-CSRF-Token"));
    assert_eq!(csrf["type"], "https://shiphub.dev/problems/forbidden");
    find(&|v| v["status"] == 403 && v["detail"].as_str().unwrap().contains("`buy` permission"));
    find(&|v| v["status"] == 401);
    let link = find(&|v| v["reset_link"].is_string());
    assert!(
        link["reset_token"].as_str().unwrap().starts_with("rst_"),
        "{link}"
    );
    // Ben can log in; nobody made Eve.
    login(&hub, "default", "ben@example.com", "ben's long passphrase")
        .await
        .unwrap();
    let (_, users) = Caller::key(&hub, &api.key)
        .send(Method::GET, "/v1/users", None)
        .await;
    assert_eq!(users["data"].as_array().unwrap().len(), 2, "{users}");
}

#[test]
fn an_insecure_cookie_is_refused_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::binary())
        .args(["serve", "--listen", "0.0.0.0:0", "--insecure-cookie"])
        .args(["--database-url", &common::db_url(dir.path())])
        .env_remove("SHIPHUB_MASTER_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--insecure-cookie only with a loopback"),
        "{err}"
    );
}

/// The organisation's last active admin can be neither demoted nor disabled (409), so someone
/// can always manage users; with a second admin, the first may step down.
#[tokio::test]
async fn the_last_active_admin_stays_admin() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let ann = cli_user_create(&hub, "default", "ann@example.com", "admin");
    let id = ann["user_id"].as_str().unwrap();
    for body in [json!({"role": "viewer"}), json!({"disabled": true})] {
        let (status, p) = api
            .send(Method::PATCH, &format!("/v1/users/{id}"), Some(&body), None)
            .await;
        assert_eq!(status, 409, "{p}");
        assert!(
            p["detail"].as_str().unwrap().contains("last active admin"),
            "{p}"
        );
    }
    let bo = cli_user_create(&hub, "default", "bo@example.com", "admin");
    assert!(bo["user_id"].is_string());
    let (status, p) = api
        .send(
            Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(&json!({"role": "viewer"})),
            None,
        )
        .await;
    assert_eq!(status, 200, "{p}");
}
