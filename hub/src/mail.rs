//! Mail for people (issue 20): an invitation's or a password reset's one-time link, sent over
//! SMTP where the operator configured it (`serve --smtp-url`). Without SMTP the link is handed
//! over by whoever made it (the API answer, the console, the CLI): mail is a convenience, never
//! the only way in, so a mail that fails is reported (`mailed: false`) and nothing is undone.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use url::Url;

/// The configured sender: the SMTP relay, the From address, and the hub's public address the
/// links in the mails point at.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: Url,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may carry a password: never printed.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url.as_str())
            .finish()
    }
}

/// What a mail is for.
pub enum Mail<'a> {
    Invitation {
        organisation: &'a str,
        role: &'a str,
        token: &'a str,
        days: u64,
    },
    Reset {
        organisation: &'a str,
        token: &'a str,
        minutes: u64,
    },
}

impl Mailer {
    /// `smtp_url`: `smtp://user:pass@host:587` (STARTTLS required), `smtps://…:465` (TLS from
    /// the start), or `smtp://host:25?tls=none` for a relay on the same host or network only.
    pub fn new(smtp_url: &str, from: &str, public_url: &str) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(smtp_url)?)
            .map_err(|e| format!("--smtp-url: {e}"))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("--mail-from {from:?}: {e}"))?;
        let public_url =
            Url::parse(public_url).map_err(|e| format!("--public-url {public_url:?}: {e}"))?;
        if !matches!(public_url.scheme(), "https" | "http") {
            return Err("--public-url must be an http(s) address".into());
        }
        Ok(Mailer {
            transport,
            from,
            public_url,
        })
    }

    /// The console page a token opens, on the hub's public address. The token rides in the
    /// fragment, which browsers never send: no proxy or access log ever sees it.
    pub fn link(&self, page: &str, token: &str) -> String {
        let mut u = self.public_url.clone();
        let base = u.path().trim_end_matches('/').to_string();
        u.set_path(&format!("{base}/console/{page}"));
        u.set_query(None);
        let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
        u.set_fragment(Some(&format!("token={token}")));
        u.to_string()
    }

    /// The subject and plain-text body of `mail`.
    pub fn compose(&self, mail: &Mail) -> (String, String) {
        match mail {
            Mail::Invitation {
                organisation,
                role,
                token,
                days,
            } => (
                format!("You are invited to {organisation} on shiphub"),
                format!(
                    "You have been invited to the organisation \"{organisation}\" on shiphub, \
                     as {role}.\n\nChoose your password here (the link works once, for {days} \
                     days):\n\n{}\n\nThen log in at {} with the organisation name \
                     \"{organisation}\" and this e-mail address.\n\nIf you did not expect this \
                     invitation, ignore this mail.\n",
                    self.link("welcome", token),
                    self.link_login(),
                ),
            ),
            Mail::Reset {
                organisation,
                token,
                minutes,
            } => (
                format!("Set a new shiphub password for {organisation}"),
                format!(
                    "Someone (an administrator of \"{organisation}\", or you) asked for a new \
                     password for this address on shiphub.\n\nSet it here (the link works \
                     once, for {minutes} minutes):\n\n{}\n\nIf you did not ask for this, ignore \
                     this mail: your password stays as it is.\n",
                    self.link("reset-password", token),
                ),
            ),
        }
    }

    fn link_login(&self) -> String {
        let mut u = self.public_url.clone();
        let base = u.path().trim_end_matches('/').to_string();
        u.set_path(&format!("{base}/console/login"));
        u.set_query(None);
        u.to_string()
    }

    /// Sends `mail` to `to`. Errors are for the log and for the answer's `mailed: false`.
    pub async fn send(&self, to: &str, mail: &Mail<'_>) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?;
        let (subject, body) = self.compose(mail);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Our `--smtp-url` in lettre's terms. lettre sends a bare `smtp://` in clear; here a bare
/// `smtp://` requires STARTTLS, and clear text must be asked for by name (`?tls=none`).
fn lettre_url(smtp_url: &str) -> Result<String, String> {
    let mut u = Url::parse(smtp_url).map_err(|e| format!("--smtp-url: {e}"))?;
    let tls = u
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let others: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != "tls")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let tls = match (u.scheme(), tls.as_deref()) {
        ("smtps", None) => None,
        ("smtp", None | Some("required")) => Some("required"),
        ("smtp", Some("opportunistic")) => Some("opportunistic"),
        ("smtp", Some("none")) => None,
        (scheme, tls) => {
            return Err(format!(
                "--smtp-url: smtp:// (STARTTLS; ?tls=none for clear text) or smtps://, not \
                 {scheme}:// with tls={tls:?}"
            ));
        }
    };
    u.set_query(None);
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in &others {
            q.append_pair(k, v);
        }
        if let Some(t) = tls {
            q.append_pair("tls", t);
        }
    }
    let mut out = u.to_string();
    if out.ends_with('?') {
        out.pop();
    }
    Ok(out)
}

/// Sends `mail` when a mailer is configured: `None` without one, else whether it went (a
/// failure is logged, never raised).
pub async fn try_send(mailer: Option<&Mailer>, to: &str, mail: Mail<'_>) -> Option<bool> {
    let mailer = mailer?;
    match mailer.send(to, &mail).await {
        Ok(()) => {
            metrics::counter!("shiphub_mails_total", "outcome" => "sent").increment(1);
            Some(true)
        }
        Err(e) => {
            metrics::counter!("shiphub_mails_total", "outcome" => "failed").increment(1);
            tracing::warn!(error = %e, "mail not sent");
            Some(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer(public: &str) -> Mailer {
        Mailer::new(
            "smtp://127.0.0.1:2525?tls=none",
            "shiphub <hub@example.com>",
            public,
        )
        .unwrap()
    }

    #[tokio::test]
    async fn links_point_at_the_public_address_with_the_token_escaped() {
        let m = mailer("https://ship.example.com/hub/");
        assert_eq!(
            m.link("welcome", "inv_a+b/c"),
            "https://ship.example.com/hub/console/welcome#token=inv_a%2Bb%2Fc"
        );
        let (subject, body) = m.compose(&Mail::Invitation {
            organisation: "acme",
            role: "finance",
            token: "inv_x",
            days: 7,
        });
        assert_eq!(subject, "You are invited to acme on shiphub");
        assert!(body.contains("https://ship.example.com/hub/console/welcome#token=inv_x"));
        assert!(body.contains("https://ship.example.com/hub/console/login"));
        assert!(body.contains("as finance"));
    }

    #[test]
    fn a_bare_smtp_url_requires_starttls_and_clear_text_is_asked_for_by_name() {
        assert_eq!(
            lettre_url("smtp://u:p@mail.example.com:587").unwrap(),
            "smtp://u:p@mail.example.com:587?tls=required"
        );
        assert_eq!(
            lettre_url("smtp://relay:25?tls=none").unwrap(),
            "smtp://relay:25"
        );
        assert_eq!(
            lettre_url("smtps://u:p@mail.example.com").unwrap(),
            "smtps://u:p@mail.example.com"
        );
        assert!(lettre_url("smtps://x?tls=none").is_err());
    }

    #[test]
    fn bad_settings_name_the_flag() {
        let e = Mailer::new("ftp://x", "a@b.c", "https://x").unwrap_err();
        assert!(e.starts_with("--smtp-url"), "{e}");
        let e = Mailer::new("smtp://x", "not an address", "https://x").unwrap_err();
        assert!(e.starts_with("--mail-from"), "{e}");
        let e = Mailer::new("smtp://x", "a@b.c", "ftp://x").unwrap_err();
        assert!(e.starts_with("--public-url"), "{e}");
    }
}
