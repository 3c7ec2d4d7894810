//! Users, their one-time tokens (invitations, password resets), browser sessions, and the
//! named, scoped API keys (issue 20). Secrets are kept as SHA-256 only (session ids, tokens,
//! keys) or as Argon2id PHC strings (passwords, hashed by `crate::auth` before they get here).
//! Lookups by a secret's hash are the one kind of query that names no tenant: the secret is
//! what says which tenant it belongs to.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::events::named;
use super::{Backend, IdemCompletion, Result, Store, complete_idem, from_millis, millis};
use crate::ids::{ApiKeyId, TenantId, UserId};
use crate::named::named_enum;
use crate::roles::Role;

named_enum! {
    /// Where a user stands.
    pub enum UserStatus {
        /// Invited, no password set yet: cannot log in.
        Invited = "invited",
        Active = "active",
        /// Cannot log in; their sessions were ended when they were disabled.
        Disabled = "disabled",
    }
}

named_enum! {
    /// What a one-time token is for.
    pub enum TokenPurpose {
        Invitation = "invitation",
        Reset = "reset",
    }
}

#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: UserId,
    pub tenant: TenantId,
    pub email: String,
    pub role: Role,
    pub status: UserStatus,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What a change of role or status came to.
#[derive(Debug)]
pub enum UserChange {
    Changed(UserRecord),
    /// No such user in the tenant.
    NotFound,
    /// Refused: it would leave the tenant with no active admin (nobody could manage users).
    LastAdmin,
}

/// A one-time token to store: its hash, purpose and expiry.
#[derive(Clone, Debug)]
pub struct NewToken<'a> {
    pub hash: &'a str,
    pub purpose: TokenPurpose,
    pub expires_at: OffsetDateTime,
}

/// Who a live session is: read on every cookie-authenticated request.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    pub user: UserRecord,
    pub expires_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

/// An API key as its owner sees it (never its secret).
#[derive(Clone, Debug)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// The key behind a request: its tenant, its id and its scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPrincipal {
    pub tenant: TenantId,
    pub key: ApiKeyId,
    pub role: Role,
}

const USER_COLUMNS: &str =
    "u.id, u.tenant_id, u.email, u.role, u.status, u.created_at, u.updated_at";
const USER_RETURNING: &str = "id, tenant_id, email, role, status, created_at, updated_at";
const KEY_COLUMNS: &str = "id, name, role, prefix, created_at, last_used_at, revoked_at";

fn user_row(r: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: UserId::from_db(r.try_get("id")?),
        tenant: TenantId::from_db(r.try_get("tenant_id")?),
        email: r.try_get("email")?,
        role: named(r, "role")?,
        status: named(r, "status")?,
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
    })
}

fn key_row(r: &AnyRow) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: ApiKeyId::from_db(r.try_get("id")?),
        name: r.try_get("name")?,
        role: named(r, "role")?,
        prefix: r.try_get("prefix")?,
        created_at: from_millis(r.try_get("created_at")?),
        last_used_at: r
            .try_get::<Option<i64>, _>("last_used_at")?
            .map(from_millis),
        revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(from_millis),
    })
}

async fn insert_token(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    user: &UserId,
    t: &NewToken<'_>,
    now: OffsetDateTime,
) -> Result<()> {
    // A new token of a purpose replaces the user's earlier unused ones: only the latest
    // link works.
    sqlx::query(
        "UPDATE user_tokens SET used_at = $1 WHERE tenant_id = $2 AND user_id = $3 \
         AND purpose = $4 AND used_at IS NULL",
    )
    .bind(millis(now))
    .bind(tenant.as_str())
    .bind(user.as_str())
    .bind(t.purpose.as_str())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO user_tokens (token_hash, tenant_id, user_id, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(t.hash)
    .bind(tenant.as_str())
    .bind(user.as_str())
    .bind(t.purpose.as_str())
    .bind(millis(now))
    .bind(millis(t.expires_at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    // ---- users ----

    /// Adds a user (with a password, or invited with a token); `Ok(false)` when the tenant
    /// has a user with this e-mail already.
    pub async fn insert_user(
        &self,
        u: &UserRecord,
        password_hash: Option<&str>,
        token: Option<&NewToken<'_>>,
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "INSERT INTO users (id, tenant_id, email, role, password_hash, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, email) DO NOTHING",
        )
        .bind(u.id.as_str())
        .bind(u.tenant.as_str())
        .bind(&u.email)
        .bind(u.role.as_str())
        .bind(password_hash)
        .bind(u.status.as_str())
        .bind(millis(u.created_at))
        .bind(millis(u.updated_at))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(t) = token {
            insert_token(&mut tx, &u.tenant, &u.id, t, u.created_at).await?;
        }
        if let Some(c) = idem {
            complete_idem(&mut tx, &u.tenant, c).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// A user and their password hash (login), by e-mail as stored (lower case).
    pub async fn user_by_email(
        &self,
        tenant: &TenantId,
        email: &str,
    ) -> Result<Option<(UserRecord, Option<String>)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.tenant_id = $1 AND u.email = $2"
        )))
        .bind(tenant.as_str())
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((user_row(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    pub async fn get_user(&self, tenant: &TenantId, id: &UserId) -> Result<Option<UserRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 AND u.id = $2"
        )))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// The tenant's users, oldest first.
    pub async fn list_users(&self, tenant: &TenantId) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 ORDER BY u.id"
        )))
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_row).collect()
    }

    /// Changes a user's role and/or status; disabling ends their sessions in the same
    /// transaction. `None` when there is no such user.
    pub async fn update_user(
        &self,
        tenant: &TenantId,
        id: &UserId,
        role: Option<Role>,
        status: Option<UserStatus>,
        now: OffsetDateTime,
        idem: Option<&IdemCompletion>,
    ) -> Result<UserChange> {
        let mut tx = self.begin().await?;
        // The tenant's active admins, locked on PostgreSQL so that two admins demoting each
        // other at once are one after the other (SQLite's writes are serial already).
        let lock = if self.backend() == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let admins: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM users WHERE tenant_id = $1 AND role = 'admin' AND status = 'active'{lock}"
        )))
        .bind(tenant.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET role = COALESCE($1, role), status = COALESCE($2, status), updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5 RETURNING {USER_RETURNING}"
        )))
        .bind(role.map(Role::as_str))
        .bind(status.map(UserStatus::as_str))
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(UserChange::NotFound);
        };
        let user = user_row(&row)?;
        let was_admin = admins.iter().any(|a| a == id.as_str());
        let still_admin = user.role == Role::Admin && user.status == UserStatus::Active;
        if was_admin && !still_admin && admins.len() == 1 {
            tx.rollback().await?;
            return Ok(UserChange::LastAdmin);
        }
        if user.status == UserStatus::Disabled {
            sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
                .bind(tenant.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(UserChange::Changed(user))
    }

    /// Deletes sessions that ended (expired, or idle since `idle_before`) and one-time tokens
    /// past their expiry, in every tenant: housekeeping, so the tables hold live ones only.
    /// The counts deleted.
    pub async fn prune_sessions(
        &self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
    ) -> Result<(u64, u64)> {
        let sessions = self
            .write_one(
                sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
                    .bind(millis(now))
                    .bind(millis(idle_before)),
            )
            .await?
            .rows_affected();
        let tokens = self
            .write_one(
                sqlx::query("DELETE FROM user_tokens WHERE expires_at <= $1").bind(millis(now)),
            )
            .await?
            .rows_affected();
        Ok((sessions, tokens))
    }

    /// Stores a one-time token for a user (replacing their earlier unused ones of its kind).
    pub async fn insert_user_token(
        &self,
        tenant: &TenantId,
        user: &UserId,
        token: &NewToken<'_>,
        now: OffsetDateTime,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_token(&mut tx, tenant, user, token, now).await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Spends a one-time token: sets the user's password (an invitee becomes active, a
    /// disabled user stays disabled) and ends their sessions, all in one transaction. `None`
    /// when the token is unknown, spent, expired or of another purpose. Used once only: the
    /// conditional UPDATE lets exactly one of two racing requests through.
    pub async fn use_user_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserRecord>> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE user_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
             AND used_at IS NULL AND expires_at > $1 RETURNING tenant_id, user_id",
        )
        .bind(millis(now))
        .bind(token_hash)
        .bind(purpose.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let tenant: String = row.try_get("tenant_id")?;
        let user: String = row.try_get("user_id")?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET password_hash = $1, updated_at = $2, \
             status = CASE WHEN status = 'invited' THEN 'active' ELSE status END \
             WHERE tenant_id = $3 AND id = $4 RETURNING {USER_RETURNING}"
        )))
        .bind(password_hash)
        .bind(millis(now))
        .bind(&tenant)
        .bind(&user)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
            .bind(&tenant)
            .bind(&user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(user_row(&row)?))
    }

    // ---- sessions ----

    pub async fn insert_session(
        &self,
        tenant: &TenantId,
        user: &UserId,
        token_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, tenant_id, user_id, created_at, expires_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $4)",
        )
        .bind(token_hash)
        .bind(tenant.as_str())
        .bind(user.as_str())
        .bind(millis(now))
        .bind(millis(expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The session and its user, whatever their state (the caller checks expiry, idle time
    /// and the user's status).
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, s.expires_at, s.last_seen_at FROM sessions s \
             JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id WHERE s.token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRecord {
                user: user_row(&r)?,
                expires_at: from_millis(r.try_get("expires_at")?),
                last_seen_at: from_millis(r.try_get("last_seen_at")?),
            })
        })
        .transpose()
    }

    pub async fn touch_session(
        &self,
        tenant: &TenantId,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE tenant_id = $2 AND token_hash = $3",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(token_hash)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn delete_session(&self, tenant: &TenantId, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND token_hash = $2")
            .bind(tenant.as_str())
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    // ---- API keys ----

    /// A named key with a role.
    pub async fn insert_scoped_api_key(
        &self,
        tenant: &TenantId,
        key: &ApiKeyRecord,
        key_hash: &str,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, key_hash, prefix, created_at, name, role) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(key.id.as_str())
        .bind(tenant.as_str())
        .bind(key_hash)
        .bind(&key.prefix)
        .bind(millis(key.created_at))
        .bind(&key.name)
        .bind(key.role.as_str())
        .execute(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The tenant, id and scope of an unrevoked key, by its SHA-256.
    #[tracing::instrument(name = "store.key_principal", skip_all, fields(db.system = self.db_system()))]
    pub async fn key_principal(&self, key_hash: &str) -> Result<Option<KeyPrincipal>> {
        let row = sqlx::query(
            "SELECT tenant_id, id, role FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(KeyPrincipal {
                tenant: TenantId::from_db(r.try_get("tenant_id")?),
                key: ApiKeyId::from_db(r.try_get("id")?),
                role: named(&r, "role")?,
            })
        })
        .transpose()
    }

    /// Records that a key was used (called at most once a minute per key, not per request).
    pub async fn touch_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(millis(now))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The tenant's keys, revoked ones included, oldest first.
    pub async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY id"
        )))
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_row).collect()
    }

    pub async fn get_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
    ) -> Result<Option<ApiKeyRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2"
        )))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(key_row).transpose()
    }

    /// Gives an unrevoked key a new secret (same id, name and scope); the old secret stops
    /// working. Returns the key and the old secret's hash (to drop from caches), `None` when
    /// there is no such unrevoked key.
    pub async fn rotate_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        new_hash: &str,
        new_prefix: &str,
        idem: Option<&IdemCompletion>,
    ) -> Result<Option<(ApiKeyRecord, String)>> {
        let mut tx = self.begin().await?;
        let old: Option<String> = sqlx::query(
            "SELECT key_hash FROM api_keys WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("key_hash"))
        .transpose()?;
        let Some(old) = old else { return Ok(None) };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE api_keys SET key_hash = $1, prefix = $2 WHERE tenant_id = $3 AND id = $4 \
             RETURNING {KEY_COLUMNS}"
        )))
        .bind(new_hash)
        .bind(new_prefix)
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(Some((key_row(&row)?, old)))
    }

    /// Revokes a key; returns its hash (to drop from caches), `None` when there is no such
    /// unrevoked key.
    pub async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 \
             AND revoked_at IS NULL RETURNING key_hash",
        )
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(|r| r.try_get("key_hash")).transpose()?)
    }
}
