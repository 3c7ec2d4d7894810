//! Users and sessions: creating users (the CLI's first admin), invitations, password resets,
//! login with its throttle, the session behind a cookie, logout. Passwords are hashed off the
//! async threads, two at a time at most.

use std::time::Duration;

use time::OffsetDateTime;

use super::secrets::{self, check_password, hash_token, new_token};
use super::{Principal, Via};
use crate::error::Error;
use crate::ids::{TenantId, UserId};
use crate::roles::Role;
use crate::state::AppState;
use crate::store::{IdemCompletion, NewToken, TokenPurpose, UserChange, UserRecord, UserStatus};

/// Prefixes of the tokens this module hands out: session ids, invitations, resets.
pub const SESSION_PREFIX: &str = "ses";
pub const INVITATION_PREFIX: &str = "inv";
pub const RESET_PREFIX: &str = "rst";

/// Session ids are written back (`last_seen_at`) at most this often, not on every request.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// An e-mail as stored: trimmed and lower-cased (one account per address, however typed).
/// Checked only for shape (`local@domain`); whether it receives mail is the inviter's call.
pub fn normalize_email(pointer: &str, email: &str) -> Result<String, Error> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if !ok {
        return Err(Error::field(pointer, "must be an e-mail address"));
    }
    Ok(e)
}

async fn hash(app: &AppState, password: String) -> Result<String, Error> {
    let _permit = app.auth.hashing.acquire().await.expect("never closed");
    tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(|e| Error::Internal(format!("hashing: {e}")))?
}

async fn verify(app: &AppState, password: String, hash: Option<String>) -> Result<bool, Error> {
    let _permit = app.auth.hashing.acquire().await.expect("never closed");
    tokio::task::spawn_blocking(move || secrets::verify_password(&password, hash.as_deref()))
        .await
        .map_err(|e| Error::Internal(format!("hashing: {e}")))
}

fn later(now: OffsetDateTime, d: Duration) -> OffsetDateTime {
    now + time::Duration::try_from(d).unwrap_or(time::Duration::DAY)
}

fn new_user(tenant: &TenantId, email: String, role: Role, status: UserStatus) -> UserRecord {
    let now = OffsetDateTime::now_utc();
    UserRecord {
        id: UserId::generate(),
        tenant: tenant.clone(),
        email,
        role,
        status,
        created_at: now,
        updated_at: now,
    }
}

/// An active user with a password (the CLI's `user create`).
pub async fn create(
    app: &AppState,
    tenant: &TenantId,
    email: &str,
    role: Role,
    password: &str,
) -> Result<UserRecord, Error> {
    let email = normalize_email("/email", email)?;
    check_password("/password", password)?;
    let user = new_user(tenant, email, role, UserStatus::Active);
    let hashed = hash(app, password.to_string()).await?;
    if !app
        .store
        .insert_user(&user, Some(&hashed), None, None)
        .await?
    {
        return Err(Error::Conflict(format!(
            "a user with e-mail {} exists",
            user.email
        )));
    }
    Ok(user)
}

/// An invitation about to be stored: the invited user and the token to hand them (once).
pub struct Invitation {
    pub user: UserRecord,
    pub token: String,
    pub token_hash: String,
    pub expires_at: OffsetDateTime,
}

pub fn invitation(
    app: &AppState,
    tenant: &TenantId,
    email: &str,
    role: Role,
) -> Result<Invitation, Error> {
    let email = normalize_email("/email", email)?;
    let user = new_user(tenant, email, role, UserStatus::Invited);
    let (token, token_hash) = new_token(INVITATION_PREFIX);
    let expires_at = later(user.created_at, app.auth.settings.invitation_ttl);
    Ok(Invitation {
        user,
        token,
        token_hash,
        expires_at,
    })
}

pub async fn invite(
    app: &AppState,
    inv: &Invitation,
    idem: Option<&IdemCompletion>,
) -> Result<(), Error> {
    let token = NewToken {
        hash: &inv.token_hash,
        purpose: TokenPurpose::Invitation,
        expires_at: inv.expires_at,
    };
    if !app
        .store
        .insert_user(&inv.user, None, Some(&token), idem)
        .await?
    {
        return Err(Error::Conflict(format!(
            "a user with e-mail {} exists",
            inv.user.email
        )));
    }
    Ok(())
}

/// Mails an invitation's link where SMTP is configured: `None` without SMTP, else whether
/// it went.
pub async fn mail_invitation(app: &AppState, inv: &Invitation) -> Option<bool> {
    let mailer = app.auth.mailer.as_deref()?;
    let organisation = app
        .store
        .tenant_name(&inv.user.tenant)
        .await
        .ok()
        .flatten()?;
    crate::mail::try_send(
        Some(mailer),
        &inv.user.email,
        crate::mail::Mail::Invitation {
            organisation: &organisation,
            role: inv.user.role.as_str(),
            token: &inv.token,
            days: app.auth.settings.invitation_ttl.as_secs() / 86_400,
        },
    )
    .await
}

/// Mails a reset link where SMTP is configured: `None` without SMTP, else whether it went.
pub async fn mail_reset(app: &AppState, user: &UserRecord, token: &str) -> Option<bool> {
    let mailer = app.auth.mailer.as_deref()?;
    let organisation = app.store.tenant_name(&user.tenant).await.ok().flatten()?;
    crate::mail::try_send(
        Some(mailer),
        &user.email,
        crate::mail::Mail::Reset {
            organisation: &organisation,
            token,
            minutes: app.auth.settings.reset_ttl.as_secs() / 60,
        },
    )
    .await
}

/// A password-reset token for a user (their earlier unused ones stop working): the one-time
/// link the CLI prints and an admin may ask for.
pub async fn reset_token(
    app: &AppState,
    tenant: &TenantId,
    user: &UserId,
    token: &(String, String),
    idem: Option<&IdemCompletion>,
) -> Result<OffsetDateTime, Error> {
    let now = OffsetDateTime::now_utc();
    let expires_at = later(now, app.auth.settings.reset_ttl);
    app.store
        .insert_user_token(
            tenant,
            user,
            &NewToken {
                hash: &token.1,
                purpose: TokenPurpose::Reset,
                expires_at,
            },
            now,
            idem,
        )
        .await?;
    Ok(expires_at)
}

pub fn new_reset_token() -> (String, String) {
    new_token(RESET_PREFIX)
}

/// Spends an invitation or reset token: sets the password, activates an invitee, ends the
/// user's sessions. A wrong, spent or expired token is one 404, whichever it was.
pub async fn redeem(
    app: &AppState,
    token: &str,
    purpose: TokenPurpose,
    password: &str,
) -> Result<UserRecord, Error> {
    check_password("/password", password)?;
    let what = match purpose {
        TokenPurpose::Invitation => "invitation (unknown, used or expired)",
        TokenPurpose::Reset => "password reset (unknown, used or expired)",
    };
    let expected = match purpose {
        TokenPurpose::Invitation => INVITATION_PREFIX,
        TokenPurpose::Reset => RESET_PREFIX,
    };
    if !token.starts_with(expected) {
        return Err(Error::NotFound(what));
    }
    let hashed = hash(app, password.to_string()).await?;
    app.store
        .use_user_token(
            &hash_token(token),
            purpose,
            &hashed,
            OffsetDateTime::now_utc(),
        )
        .await?
        .ok_or(Error::NotFound(what))
}

pub fn parse_id(id: &str) -> Result<UserId, Error> {
    UserId::parse(id).ok_or(Error::NotFound("user"))
}

pub async fn get(app: &AppState, tenant: &TenantId, id: &str) -> Result<UserRecord, Error> {
    app.store
        .get_user(tenant, &parse_id(id)?)
        .await?
        .ok_or(Error::NotFound("user"))
}

pub async fn list(app: &AppState, tenant: &TenantId) -> Result<Vec<UserRecord>, Error> {
    Ok(app.store.list_users(tenant).await?)
}

/// Changes a user's role or (dis)ables them; disabling ends their sessions at once.
pub async fn update(
    app: &AppState,
    tenant: &TenantId,
    id: &UserId,
    role: Option<Role>,
    disabled: Option<bool>,
    idem: Option<&IdemCompletion>,
) -> Result<UserRecord, Error> {
    let current = app
        .store
        .get_user(tenant, id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    // Enabling gives back what the user had: active with a password, else still invited.
    let status = disabled.map(|d| match (d, current.status) {
        (true, _) => UserStatus::Disabled,
        (false, UserStatus::Invited) => UserStatus::Invited,
        (false, _) => UserStatus::Active,
    });
    match app
        .store
        .update_user(tenant, id, role, status, OffsetDateTime::now_utc(), idem)
        .await?
    {
        UserChange::Changed(u) => Ok(u),
        UserChange::NotFound => Err(Error::NotFound("user")),
        UserChange::LastAdmin => Err(Error::Conflict(
            "this is the organisation's last active admin: make another user admin first".into(),
        )),
    }
}

/// A new session: its id (the cookie's value, shown once), CSRF token and expiry.
pub struct NewSession {
    pub user: UserRecord,
    pub token: String,
    pub csrf: String,
    pub expires_at: OffsetDateTime,
}

const WRONG: &str = "the tenant, e-mail or password is wrong";

/// Logs in. Every failure says the same thing ([`WRONG`]) after the same work (an Argon2id
/// verification, against a fixed hash when there is no such user), whether the tenant or the
/// e-mail exists or not, and counts against the (tenant, e-mail) throttle.
pub async fn login(
    app: &AppState,
    tenant_name: &str,
    email: &str,
    password: &str,
) -> Result<NewSession, Error> {
    let email = email.trim().to_lowercase();
    let who = format!("{}\n{email}", tenant_name.trim());
    app.auth
        .throttle
        .check(&who)
        .map_err(Error::LoginThrottled)?;
    let tenant = app.store.tenant_by_name(tenant_name.trim()).await?;
    let found = match &tenant {
        Some(t) => app.store.user_by_email(&t.id, &email).await?,
        None => None,
    };
    let (user, stored) = match found {
        Some((u, h)) => (Some(u), h),
        None => (None, None),
    };
    let ok = verify(app, password.to_string(), stored).await?;
    let user = match user {
        Some(u) if ok && u.status == UserStatus::Active => u,
        _ => {
            app.auth.throttle.failed(&who);
            return Err(Error::Unauthorized(WRONG));
        }
    };
    app.auth.throttle.succeeded(&who);
    let (token, token_hash) = new_token(SESSION_PREFIX);
    let now = OffsetDateTime::now_utc();
    let expires_at = later(now, app.auth.settings.session_ttl);
    app.store
        .insert_session(&user.tenant, &user.id, &token_hash, now, expires_at)
        .await?;
    Ok(NewSession {
        csrf: secrets::csrf_token(&token),
        user,
        token,
        expires_at,
    })
}

/// Who a session cookie belongs to; `None` when unknown, expired, idle too long, or its user
/// is no longer active.
pub async fn session(app: &AppState, token: &str) -> Result<Option<Principal>, Error> {
    if !token.starts_with(SESSION_PREFIX) {
        return Ok(None);
    }
    let hash = hash_token(token);
    let Some(s) = app.store.session(&hash).await? else {
        return Ok(None);
    };
    let now = OffsetDateTime::now_utc();
    let idle =
        time::Duration::try_from(app.auth.settings.idle_timeout).unwrap_or(time::Duration::HOUR);
    if now >= s.expires_at || now - s.last_seen_at >= idle || s.user.status != UserStatus::Active {
        return Ok(None);
    }
    if now - s.last_seen_at >= TOUCH_EVERY {
        app.store.touch_session(&s.user.tenant, &hash, now).await?;
    }
    Ok(Some(Principal {
        tenant: s.user.tenant.clone(),
        role: s.user.role,
        via: Via::Session {
            user: s.user.id,
            email: s.user.email,
            csrf: secrets::csrf_token(token),
            session_hash: hash,
            expires_at: s.expires_at,
        },
    }))
}

/// Ends the session the request came with.
pub async fn logout(app: &AppState, p: &Principal) -> Result<(), Error> {
    if let Via::Session { session_hash, .. } = &p.via {
        app.store.delete_session(&p.tenant, session_hash).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_need_an_at() {
        assert_eq!(
            normalize_email("/email", " Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in ["", "ann", "@x", "ann@", "a b@x", "a@b@c"] {
            assert!(normalize_email("/email", bad).is_err(), "{bad}");
        }
    }
}
