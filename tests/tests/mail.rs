//! Invitation and password-reset links by mail (issue 20), through the real binary and a
//! minimal SMTP receiver of the test's own: the invitee gets a mail whose link (on the hub's
//! `--public-url`) accepts the invitation; an admin's reset link arrives the same way; with the
//! relay down the invitation is still made and the answer says `invitation_mailed: false`.

mod common;

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use common::Api;

/// A mail as the relay got it: envelope recipient and the DATA.
#[derive(Clone, Debug)]
struct Received {
    rcpt: String,
    data: String,
}

/// An SMTP relay that accepts everything (no TLS: the hub is told `?tls=none`).
async fn relay() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(vec![]));
    let keep = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut rcpt = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        rcpt = line[8..].trim().trim_matches(['<', '>']).to_string();
                        b"250 ok\r\n"
                    } else if upper.starts_with("DATA") {
                        w.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        keep.lock().unwrap().push(Received {
                            rcpt: rcpt.clone(),
                            data,
                        });
                        b"250 queued\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, got)
}

/// The body with quoted-printable soft breaks and `=3D` undone (lettre wraps long lines).
fn unwrapped(data: &str) -> String {
    data.replace("=\n", "").replace("=3D", "=")
}

fn link_in(data: &str, page: &str) -> String {
    let body = unwrapped(data);
    let start = body
        .find(&format!("https://ship.example.com/console/{page}#token="))
        .unwrap_or_else(|| panic!("no {page} link in:\n{body}"));
    body[start..].split_whitespace().next().unwrap().to_string()
}

fn mail_args(port: u16) -> Vec<String> {
    vec![
        "--smtp-url".into(),
        format!("smtp://127.0.0.1:{port}?tls=none"),
        "--mail-from".into(),
        "shiphub <hub@example.com>".into(),
        "--public-url".into(),
        "https://ship.example.com".into(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_and_resets_are_mailed_with_a_link_that_works() {
    let (port, got) = relay().await;
    let args = mail_args(port);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let hub = common::start_with(tempfile::tempdir().unwrap(), &args);
    let admin = Api::of(&hub);

    let invited = admin
        .created(
            "/v1/users",
            json!({"email": "ann@example.com", "role": "finance"}),
        )
        .await;
    assert_eq!(invited["invitation_mailed"], true, "{invited}");
    let mails = got.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt, "ann@example.com");
    let data = unwrapped(&mails[0].data);
    assert!(
        data.contains("Subject: You are invited to default on shiphub"),
        "{data}"
    );
    assert!(data.contains("From: shiphub <hub@example.com>"), "{data}");
    let link = link_in(&mails[0].data, "welcome");
    let token = link.split("token=").nth(1).unwrap();
    assert_eq!(token, invited["invitation_token"].as_str().unwrap());

    // The link's token accepts the invitation; the invitee logs in.
    let (status, body) = admin
        .post(
            "/v1/invitations/accept",
            json!({"token": token, "password": "a long enough secret"}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (status, _) = admin
        .post(
            "/v1/session",
            json!({"tenant": "default", "email": "ann@example.com", "password": "a long enough secret"}),
        )
        .await;
    assert_eq!(status, 200);

    // A reset link goes to the same address.
    let id = invited["id"].as_str().unwrap();
    let reset = admin
        .created(&format!("/v1/users/{id}/reset-link"), json!({}))
        .await;
    assert_eq!(reset["mailed"], true, "{reset}");
    let mails = got.lock().unwrap().clone();
    assert_eq!(mails.len(), 2);
    let link = link_in(&mails[1].data, "reset-password");
    assert!(
        link.ends_with(reset["reset_token"].as_str().unwrap()),
        "{link}"
    );
    let (status, body) = admin
        .post(
            "/v1/password-reset",
            json!({"token": link.split("token=").nth(1).unwrap(), "password": "another long secret"}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_is_made_when_the_relay_is_down_and_says_it_was_not_mailed() {
    // A port nothing listens on.
    let port = common::free_port();
    let args = mail_args(port);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let hub = common::start_with(tempfile::tempdir().unwrap(), &args);
    let admin = Api::of(&hub);
    let invited = admin
        .created(
            "/v1/users",
            json!({"email": "bo@example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(invited["invitation_mailed"], false, "{invited}");
    assert!(
        invited["invitation_token"].is_string(),
        "the link is still handed over"
    );
    let users: Value = admin.get_ok("/v1/users").await;
    assert!(users.to_string().contains("bo@example.com"));
}

#[test]
fn without_smtp_the_answers_say_nothing_of_mail() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let hub = common::start(tempfile::tempdir().unwrap());
        let admin = Api::of(&hub);
        let invited = admin
            .created(
                "/v1/users",
                json!({"email": "cy@example.com", "role": "viewer"}),
            )
            .await;
        assert!(invited.get("invitation_mailed").is_none(), "{invited}");
    });
}

#[test]
fn smtp_needs_a_sender_and_a_public_address() {
    let out = std::process::Command::new(common::binary())
        .args(["serve", "--smtp-url", "smtp://127.0.0.1:25?tls=none"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--mail-from") && err.contains("--public-url"),
        "{err}"
    );
}
