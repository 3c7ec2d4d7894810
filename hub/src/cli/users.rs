//! `shiphub user …` (the first admin, reset links) and `shiphub key create|list|rotate|revoke`,
//! over the store as the API's `/v1/users` and `/v1/api-keys` do; and `serve`'s session
//! cookie setting.

use std::io::Read;
use std::net::SocketAddr;

use clap::Subcommand;
use time::OffsetDateTime;

use super::{DbArgs, anyhow_like, open_store};
use crate::auth::{self, secrets};
use crate::crypto::new_api_key;
use crate::ids::{ApiKeyId, TenantId, UserId};
use crate::roles::Role;
use crate::store::{NewToken, Store, TokenPurpose, UserRecord, UserStatus};

/// `serve`'s session settings.
#[derive(clap::Args, Debug, Clone)]
pub struct AuthArgs {
    /// Leave `Secure` off the session cookie, for a hub served over plain HTTP on loopback
    /// (development, or behind a TLS proxy on the same host). Refused unless `--listen` is a
    /// loopback address: anywhere else the cookie must only travel over HTTPS.
    #[arg(long, env = "SHIPHUB_INSECURE_COOKIE")]
    pub insecure_cookie: bool,
    /// Minutes a session lives after login.
    #[arg(long, env = "SHIPHUB_SESSION_MINUTES", default_value_t = 720)]
    pub session_minutes: u64,
    /// Minutes without a request after which a session ends.
    #[arg(long, env = "SHIPHUB_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u64,
    /// Mail invitation and password-reset links through this SMTP relay:
    /// `smtp://user:pass@host:587` (STARTTLS), `smtps://user:pass@host:465`, or
    /// `smtp://host:25?tls=none` for a relay on a trusted network. Without it the links are
    /// only shown to whoever made them (API answer, console, CLI).
    #[arg(long, env = "SHIPHUB_SMTP_URL", requires_all = ["mail_from", "public_url"])]
    pub smtp_url: Option<String>,
    /// The From of those mails: `shiphub <shiphub@example.com>`.
    #[arg(long, env = "SHIPHUB_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// The hub's address as people reach it (`https://ship.example.com`): the links in mails
    /// point there.
    #[arg(long, env = "SHIPHUB_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl AuthArgs {
    /// The mailer, when `--smtp-url` is given (clap requires the other two with it).
    pub fn mailer(&self) -> anyhow_like::Result<Option<crate::mail::Mailer>> {
        match (&self.smtp_url, &self.mail_from, &self.public_url) {
            (Some(smtp), Some(from), Some(public)) => {
                crate::mail::Mailer::new(smtp, from, public).map(Some)
            }
            _ => Ok(None),
        }
    }

    pub fn settings(&self, listen: SocketAddr) -> anyhow_like::Result<auth::Settings> {
        if self.insecure_cookie && !listen.ip().is_loopback() {
            return Err(format!(
                "--insecure-cookie only with a loopback --listen address (got {listen}): \
                 elsewhere the session cookie must be Secure (HTTPS)"
            ));
        }
        Ok(auth::Settings {
            insecure_cookie: self.insecure_cookie,
            session_ttl: std::time::Duration::from_secs(self.session_minutes.max(1) * 60),
            idle_timeout: std::time::Duration::from_secs(self.session_idle_minutes.max(1) * 60),
            ..auth::Settings::default()
        })
    }
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an active user (the tenant's first admin): the password is read from standard
    /// input with `--password-stdin`, or generated and printed once.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        /// admin, shipping, warehouse, finance or viewer.
        #[arg(long, default_value = "admin")]
        role: String,
        /// Read the password from standard input (its first line).
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print a one-time password-reset link for a user (valid one hour; earlier links stop
    /// working). No e-mail is sent: hand the link over yourself.
    ResetLink {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        /// Where the console is served; the link is `<base-url>/console/reset-password#token=…`.
        #[arg(
            long,
            env = "SHIPHUB_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        base_url: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The key subcommands besides `limit`.
#[derive(Subcommand, Debug)]
pub enum KeyManage {
    /// Create a named API key with a role as its scope; prints it once, as a JSON line.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// admin, shipping, warehouse, finance or viewer.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List a tenant's API keys (never their secrets), one JSON line each.
    List {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give a key a new secret (same id, name and role); prints it once. The old secret stops
    /// working (running servers: within a minute).
    Rotate {
        #[arg(long)]
        tenant: String,
        /// The key's id (`key_…`).
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a key (running servers: within a minute).
    Revoke {
        #[arg(long)]
        tenant: String,
        /// The key's id (`key_…`).
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn role(s: &str) -> anyhow_like::Result<Role> {
    Role::parse(s)
        .ok_or_else(|| format!("--role {s}: one of admin, shipping, warehouse, finance, viewer"))
}

async fn tenant(store: &Store, name: &str) -> anyhow_like::Result<TenantId> {
    Ok(store
        .tenant_by_name(name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no tenant named {name}"))?
        .id)
}

fn text(e: crate::error::Error) -> String {
    super::problem_text(&e)
}

pub async fn run_user(cmd: UserCommand) -> anyhow_like::Result<()> {
    match cmd {
        UserCommand::Create {
            tenant: name,
            email,
            role: r,
            password_stdin,
            db,
        } => {
            let role = role(&r)?;
            let email = auth::users::normalize_email("--email", &email).map_err(text)?;
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| format!("reading the password from stdin: {e}"))?;
                (s.lines().next().unwrap_or_default().to_string(), false)
            } else {
                (secrets::generate_password(), true)
            };
            secrets::check_password("password", &password).map_err(text)?;
            let store = open_store(&db.database_url).await?;
            let tenant = tenant(&store, &name).await?;
            let now = OffsetDateTime::now_utc();
            let user = UserRecord {
                id: UserId::generate(),
                tenant,
                email,
                role,
                status: UserStatus::Active,
                created_at: now,
                updated_at: now,
            };
            let hash = secrets::hash_password(&password).map_err(text)?;
            if !store
                .insert_user(&user, Some(&hash), None, None)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("tenant {name} has a user {} already", user.email));
            }
            let mut out = serde_json::json!({"tenant": name, "user_id": user.id.to_string(),
                "email": user.email, "role": role.as_str()});
            if generated {
                out["password"] = password.into();
                eprintln!("The password is shown above, once: keep it.");
            }
            println!("{out}");
            Ok(())
        }
        UserCommand::ResetLink {
            tenant: name,
            email,
            base_url,
            db,
        } => {
            let store = open_store(&db.database_url).await?;
            let tenant = tenant(&store, &name).await?;
            let email = auth::users::normalize_email("--email", &email).map_err(text)?;
            let (user, _) = store
                .user_by_email(&tenant, &email)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("tenant {name} has no user {email}"))?;
            let (token, hash) = auth::users::new_reset_token();
            let now = OffsetDateTime::now_utc();
            let expires_at = now
                + time::Duration::try_from(auth::Settings::default().reset_ttl)
                    .unwrap_or(time::Duration::HOUR);
            store
                .insert_user_token(
                    &tenant,
                    &user.id,
                    &NewToken {
                        hash: &hash,
                        purpose: TokenPurpose::Reset,
                        expires_at,
                    },
                    now,
                    None,
                )
                .await
                .map_err(|e| e.to_string())?;
            // The token after `#`: a fragment never reaches server logs or a Referer.
            let link = format!(
                "{}/console/reset-password#token={token}",
                base_url.trim_end_matches('/')
            );
            println!(
                "{}",
                serde_json::json!({"email": email, "reset_link": link, "reset_token": token,
                    "expires_at": expires_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()})
            );
            Ok(())
        }
    }
}

pub async fn run_key(cmd: KeyManage) -> anyhow_like::Result<()> {
    match cmd {
        KeyManage::Create {
            tenant: name,
            name: key_name,
            role: r,
            db,
        } => {
            let role = role(&r)?;
            let key_name = auth::keys::check_name(&key_name).map_err(text)?;
            let store = open_store(&db.database_url).await?;
            let tenant = tenant(&store, &name).await?;
            let (record, secret, hash) = auth::keys::issue(key_name, role);
            store
                .insert_scoped_api_key(&tenant, &record, &hash, None)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::json!({"tenant": name, "id": record.id.to_string(), "name": record.name,
                    "role": role.as_str(), "api_key": secret})
            );
            Ok(())
        }
        KeyManage::List { tenant: name, db } => {
            let store = open_store(&db.database_url).await?;
            let tenant = tenant(&store, &name).await?;
            let rfc = |t: Option<OffsetDateTime>| {
                t.and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
            };
            for k in store
                .list_api_keys(&tenant)
                .await
                .map_err(|e| e.to_string())?
            {
                println!(
                    "{}",
                    serde_json::json!({"id": k.id.to_string(), "name": k.name, "role": k.role.as_str(),
                        "prefix": k.prefix, "created_at": rfc(Some(k.created_at)),
                        "last_used_at": rfc(k.last_used_at), "revoked_at": rfc(k.revoked_at)})
                );
            }
            Ok(())
        }
        KeyManage::Rotate {
            tenant: name,
            id,
            db,
        } => {
            let store = open_store(&db.database_url).await?;
            let tenant = tenant(&store, &name).await?;
            let id = ApiKeyId::parse(&id).ok_or_else(|| format!("{id} is not a key id (key_…)"))?;
            let (secret, hash, prefix) = new_api_key();
            let (record, _) = store
                .rotate_api_key(&tenant, &id, &hash, &prefix, None)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("tenant {name} has no active key {id}"))?;
            println!(
                "{}",
                serde_json::json!({"tenant": name, "id": record.id.to_string(), "name": record.name,
                    "role": record.role.as_str(), "api_key": secret})
            );
            Ok(())
        }
        KeyManage::Revoke {
            tenant: name,
            id,
            db,
        } => {
            let store = open_store(&db.database_url).await?;
            let tenant = tenant(&store, &name).await?;
            let id = ApiKeyId::parse(&id).ok_or_else(|| format!("{id} is not a key id (key_…)"))?;
            store
                .revoke_api_key(&tenant, &id, OffsetDateTime::now_utc())
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("tenant {name} has no active key {id}"))?;
            eprintln!("revoked {id}");
            Ok(())
        }
    }
}
