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
    b.screenshot("overview").await;

    b.click(Locator::Css("form[action='/console/logout'] button"))
        .await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
    b.goto("/console").await;
    b.wait_path(|p| p.starts_with("/console/login")).await;
    b.close().await;
}
