//! The operator console in a real browser (issue 20): logging in through the form, the
//! overview, logging out; the login form's errors; a page without a session goes to the login
//! form and back. axe-core finds no serious violation on any page visited.

mod browser;
mod common;

use browser::{Browser, user};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_logs_in_sees_the_overview_and_logs_out() {
    let hub = browser::hub();
    let email = user(&hub, "default", "shipping");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    // A page without a session goes to the login form, then back to itself.
    b.goto("/console?since=today").await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
    b.assert_accessible("/console/login").await;
    b.screenshot("login").await;

    // A wrong password: the form says so and keeps what was typed, but not the password.
    b.fill("tenant", "default").await;
    b.fill("email", &email).await;
    b.fill("password", "wrong").await;
    b.click(Locator::Css(
        "form[action='/console/login'] button[type=submit]",
    ))
    .await;
    b.wait_text("Wrong organisation, e-mail or password").await;
    let typed = b
        .js("return [document.querySelector('[name=email]').value, document.querySelector('[name=password]').value]")
        .await;
    assert_eq!(typed, serde_json::json!([email, ""]));

    b.fill("password", browser::PASSWORD).await;
    b.click(Locator::Css(
        "form[action='/console/login'] button[type=submit]",
    ))
    .await;
    b.wait_path(|p| p == "/console?since=today").await;

    b.goto("/console").await;
    b.wait_text("Overview").await;
    let text = b.text().await;
    assert!(text.contains(&email), "{text}");
    assert!(text.contains("shipping"), "{text}");
    // The shipping desk does not manage users.
    assert!(!text.contains("Users & keys"), "{text}");
    b.assert_accessible("/console").await;

    b.click(Locator::Css("form[action='/console/logout'] button"))
        .await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
    b.goto("/console").await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
    b.close().await;
}

/// The overview counts today's purchases and sums their spend by carrier; a voided label is
/// counted apart and not spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_counts_todays_labels_and_spend() {
    let hub = browser::hub();
    let api = common::Api::of(&hub);
    let a = api.buy_sandbox(None).await;
    let b = api.buy_sandbox(None).await;
    let voided = api.buy_sandbox(None).await;
    let (status, v) = api
        .post(
            &format!("/v1/shipments/{}/void", voided["id"].as_str().unwrap()),
            serde_json::json!({}),
        )
        .await;
    assert!(status.is_success(), "{v}");
    let email = user(&hub, "default", "viewer");
    let Some(br) = Browser::start(&hub).await else {
        return;
    };
    br.login("default", &email).await;
    br.goto("/console").await;
    let bought = br
        .js("return [...document.querySelectorAll('.stat')].map(s => s.innerText.replace(/\\s+/g, ' ').trim())")
        .await;
    let tiles: Vec<String> = serde_json::from_value(bought).unwrap();
    assert!(
        tiles.contains(&"2 labels bought today".to_string()),
        "{tiles:?}"
    );
    assert!(tiles.contains(&"1 voided today".to_string()), "{tiles:?}");
    // The sandbox prices each label; the two kept ones are the day's spend.
    let price = |s: &serde_json::Value| -> rust_decimal::Decimal {
        s["rate"]["total"]["amount"]
            .as_str()
            .or(s["total"]["amount"].as_str())
            .unwrap_or_else(|| panic!("no price in {s}"))
            .parse()
            .unwrap()
    };
    let spent = price(&a) + price(&b);
    let currency = a["rate"]["total"]["currency"]
        .as_str()
        .or(a["total"]["currency"].as_str())
        .unwrap();
    let text = br.text().await;
    let shown = format!("{spent:.2} {currency}");
    assert!(text.contains(&shown), "{shown} not in {text}");
    br.assert_accessible("/console").await;
    br.screenshot("overview").await;
    br.close().await;
}

/// An admin invites a user, who accepts through the link and logs in with the role given; the
/// admin makes an API key (shown once) that works, then revokes it and it stops working. The
/// shipping desk cannot open the page, and a user or key made here never sees another tenant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_invites_a_user_and_makes_and_revokes_a_key() {
    let hub = browser::hub();
    let admin = user(&hub, "default", "admin");
    let desk = user(&hub, "default", "shipping");
    let Some(b) = Browser::start(&hub).await else {
        return;
    };
    b.login("default", &admin).await;
    b.goto("/console/team").await;
    b.wait_text("Invite someone").await;
    b.assert_accessible("/console/team").await;

    // A bad e-mail is shown next to the field.
    b.fill("email", "not-an-address").await;
    b.js("document.querySelector('form[data-api=\"/v1/users\"]').noValidate = true")
        .await;
    b.click(Locator::Css(
        "form[data-api='/v1/users'] button[type=submit]",
    ))
    .await;
    b.wait_text("e-mail").await;
    let invalid = b
        .js("return document.querySelector('form[data-api=\"/v1/users\"] [name=email]').getAttribute('aria-invalid')")
        .await;
    assert_eq!(invalid, serde_json::json!("true"));

    b.fill("email", "ann@default.example").await;
    b.js("document.querySelector('#invite-role').value = 'finance'")
        .await;
    b.click(Locator::Css(
        "form[data-api='/v1/users'] button[type=submit]",
    ))
    .await;
    b.wait_text("/console/welcome#token=").await;
    let shown = b
        .js("return document.querySelector('form[data-api=\"/v1/users\"] [data-result]').textContent")
        .await;
    let link = shown
        .as_str()
        .unwrap()
        .split_whitespace()
        .find(|w| w.contains("/console/welcome#token="))
        .unwrap()
        .to_string();
    b.screenshot("users-and-keys").await;

    // A key for a program: shown once, works, then revoked.
    b.fill("name", "scanner").await;
    b.js("document.querySelector('#key-role').value = 'viewer'")
        .await;
    b.click(Locator::Css(
        "form[data-api='/v1/api-keys'] button[type=submit]",
    ))
    .await;
    b.wait_text("The key scanner (shown once)").await;
    let shown = b
        .js("return document.querySelector('form[data-api=\"/v1/api-keys\"] [data-result]').textContent")
        .await;
    let key = shown
        .as_str()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    let program = common::Api::with_key(&hub, &key);
    let (status, _) = program.get("/v1/shipments").await;
    assert_eq!(status, 200);
    let (status, _) = program
        .post(
            "/v1/api-keys",
            serde_json::json!({"name":"x","role":"admin"}),
        )
        .await;
    assert_eq!(status, 403, "a viewer key makes no keys");
    b.goto("/console/team").await;
    b.wait_text("scanner").await;
    b.click(Locator::XPath(
        "//tr[td[1][text()='scanner']]//button[text()='Revoke']",
    ))
    .await;
    b.wait_text("revoked").await;
    let (status, _) = program.get("/v1/shipments").await;
    assert_eq!(status, 401, "a revoked key stops working");

    // The invitee opens the link (no session needed), chooses a password, and logs in.
    b.click(Locator::Css("form[action='/console/logout'] button"))
        .await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
    b.c.goto(&link).await.unwrap();
    b.wait_text("Welcome to shiphub").await;
    b.assert_accessible("/console/welcome").await;
    // The reset page is the same form; checked too (every page is).
    b.goto("/console/reset-password").await;
    b.wait_text("Set a new password").await;
    b.assert_accessible("/console/reset-password").await;
    b.c.goto(&link).await.unwrap();
    b.wait_text("Welcome to shiphub").await;
    b.fill("password", browser::PASSWORD).await;
    b.click(Locator::Css(
        "form[data-api='/v1/invitations/accept'] button",
    ))
    .await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
    b.login("default", "ann@default.example").await;
    b.goto("/console").await;
    b.wait_text("ann@default.example").await;
    assert!(b.text().await.contains("Finance"));
    // Finance does not manage users: no link, and the page itself is a 403.
    assert!(!b.text().await.contains("Users & keys"));
    b.goto("/console/team").await;
    b.wait_text("needs the `users` permission").await;

    // Nor does the shipping desk.
    b.goto("/console").await;
    b.click(Locator::Css("form[action='/console/logout'] button"))
        .await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
    b.login("default", &desk).await;
    b.goto("/console/team").await;
    b.wait_text("needs the `users` permission").await;

    // The other tenant's admin sees none of this tenant's users.
    let other: serde_json::Value =
        serde_json::from_str(common::cli(&hub.db_url, &["tenant", "create", "other"]).trim())
            .unwrap();
    assert!(other["api_key"].is_string());
    let other_admin = user(&hub, "other", "admin");
    b.goto("/console").await;
    b.click(Locator::Css("form[action='/console/logout'] button"))
        .await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
    b.login("other", &other_admin).await;
    b.goto("/console/team").await;
    b.wait_text("Invite someone").await;
    let text = b.text().await;
    assert!(
        !text.contains("ann@default.example") && !text.contains("scanner"),
        "{text}"
    );
    b.close().await;
}

/// The README's console block runs as written: the first admin by the CLI, the login form by
/// curl, the overview behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_console_example_runs_as_written() {
    let hub = browser::hub();
    let api = common::Api::of(&hub);
    let stdout = common::run_readme_with_cli(&["console"], &hub, &api.key).await;
    assert!(
        stdout.contains(&format!("303 {}/console", hub.base)),
        "{stdout}"
    );
    assert!(stdout.contains("<h1>Overview</h1>"), "{stdout}");
}
