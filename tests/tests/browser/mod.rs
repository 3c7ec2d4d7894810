//! A real browser for the console's journeys: Debian's Chromium, headless, driven over
//! WebDriver (chromedriver) with fantoccini. Each test gets its own chromedriver on a free port
//! and its own browser profile. Under `CI=true` a missing chromium, chromedriver or axe-core
//! fails the test (`.ci/run` installs them); outside CI the test skips and says so.
//!
//! Also here: users per role made with the CLI, logging in through the form, the axe-core
//! accessibility check, and screenshots for `docs/console/` (written when
//! `SHIPHUB_SCREENSHOTS` names a directory).

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::common;

pub const PASSWORD: &str = "correct horse battery staple";

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

fn missing(what: &str) -> Option<Browser> {
    if in_ci() {
        panic!("CI=true but {what} (.ci/run installs it)");
    }
    eprintln!("skipped: {what}");
    None
}

/// axe-core's script, installed by `npm ci` in `tests/console` (a test tool, never served).
fn axe_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("console/node_modules/axe-core/axe.min.js")
}

pub struct Browser {
    driver: Child,
    pub c: Client,
    /// The hub's base URL.
    pub base: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The console journeys' hub: `--insecure-cookie`, as the README says for plain HTTP on
/// loopback.
pub fn hub() -> common::Hub {
    common::start_with(tempfile::tempdir().unwrap(), &["--insecure-cookie"])
}

/// `shiphub user create` (password on stdin) for `tenant`; the user's e-mail.
pub fn user(hub: &common::Hub, tenant: &str, role: &str) -> String {
    let email = format!("{role}@{tenant}.example");
    common::cli_user_create(hub, tenant, &email, role, PASSWORD);
    email
}

/// Logs `email` (made by `user`) in over the API: the `shiphub_session=…` cookie, for plain
/// HTTP requests a page would make.
pub async fn session_cookie(hub: &common::Hub, tenant: &str, email: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{}/v1/session", hub.base))
        .json(&serde_json::json!({"tenant": tenant, "email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "login of {email}");
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

impl Browser {
    /// Chromium and chromedriver for `hub`; `None` (skipped) outside CI when they are missing.
    pub async fn start(hub: &common::Hub) -> Option<Browser> {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let Some(chromium) = chromium else {
            return missing("chromium is not installed (apt-get install chromium)");
        };
        if Command::new("chromedriver")
            .arg("--version")
            .output()
            .is_err()
        {
            return missing("chromedriver is not installed (apt-get install chromium-driver)");
        }
        if !axe_path().exists() {
            return missing("axe-core is not installed (cd tests/console && npm ci)");
        }
        let port = common::free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        // A confirm() ("Void this label?") is answered yes, as the person in the journey would.
        caps.insert("unhandledPromptBehavior".into(), json!("accept"));
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a WebDriver session with chromium");
        Some(Browser {
            driver,
            c,
            base: hub.base.clone(),
            _profile: profile,
        })
    }

    pub async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// The current path (and query).
    pub async fn path(&self) -> String {
        let u = self.c.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// Logs in through the form, as a person would.
    pub async fn login(&self, tenant: &str, email: &str) {
        self.goto("/console/login").await;
        self.fill("tenant", tenant).await;
        self.fill("email", email).await;
        self.fill("password", PASSWORD).await;
        self.click(Locator::Css(
            "form[action='/console/login'] button[type=submit]",
        ))
        .await;
        self.wait_path(|p| !p.starts_with("/console/login")).await;
    }

    pub async fn fill(&self, name: &str, value: &str) {
        let el = self
            .c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(&format!("[name='{name}']")))
            .await
            .unwrap_or_else(|e| panic!("no field {name}: {e}"));
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    pub async fn click(&self, at: Locator<'_>) {
        self.c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(at)
            .await
            .unwrap_or_else(|e| panic!("nothing to click at {at:?}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// The page's text (what a person reads).
    pub async fn text(&self) -> String {
        // By script, not an element handle: a page that reloads meanwhile is no stale element.
        loop {
            match self
                .c
                .execute(
                    "return document.body ? document.body.innerText : ''",
                    vec![],
                )
                .await
            {
                Ok(v) => return v.as_str().unwrap_or_default().to_string(),
                // Navigating: the script had no document to run in; ask again.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Waits (up to 15 s) until the page's text contains `needle`.
    pub async fn wait_text(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let t = self.text().await;
            if t.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the page never said {needle:?}; it says:\n{t}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_path(&self, done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let p = self.path().await;
            if done(&p) {
                return;
            }
            assert!(Instant::now() < deadline, "still at {p}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs axe-core on the page: the violations of impact `serious` or `critical`, as
    /// (rule id, help, the first offending element).
    pub async fn axe(&self) -> Vec<(String, String, String)> {
        let script = std::fs::read_to_string(axe_path()).expect("read axe.min.js");
        self.c
            .execute(&script, vec![])
            .await
            .expect("inject axe-core");
        let res = self
            .c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                        node: (v.nodes[0] && v.nodes[0].html) || '' }))))
                    .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), node: '' }]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        res.as_array()
            .expect("axe answers a list")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                (
                    v["id"].as_str().unwrap_or("").to_string(),
                    v["help"].as_str().unwrap_or("").to_string(),
                    v["node"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// Asserts axe-core finds no serious or critical violation on the page at `path`.
    pub async fn assert_accessible(&self, path: &str) {
        let found = self.axe().await;
        assert!(
            found.is_empty(),
            "accessibility violations on {path}: {found:#?}"
        );
    }

    /// A screenshot of the page as `name.png` in `$SHIPHUB_SCREENSHOTS`, when that is set
    /// (`scripts/console-screenshots.sh` sets it to `docs/console`).
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("SHIPHUB_SCREENSHOTS") else {
            return;
        };
        let png = self.c.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
    }

    /// The `Value` a script returns.
    pub async fn js(&self, script: &str) -> Value {
        self.c.execute(script, vec![]).await.unwrap()
    }

    /// Sets the window to a phone's size (or back).
    pub async fn phone(&self, yes: bool) {
        let (w, h) = if yes { (390, 844) } else { (1280, 900) };
        self.c.set_window_size(w, h).await.unwrap();
    }

    pub async fn close(self) {
        let c = self.c.clone();
        let _ = c.close().await;
    }
}
