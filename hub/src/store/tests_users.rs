//! Migration 0033 on both backends: users, one-time tokens, sessions and scoped API keys.
//! Keys made before it keep working as `admin`; every read and change names its tenant; a
//! token works once and not after it expired.

use time::Duration;

use super::{NOW, on_postgres, sqlite_store, tenant};
use crate::ids::{ApiKeyId, UserId};
use crate::roles::Role;
use crate::store::{
    ApiKeyRecord, NewToken, Store, TokenPurpose, UserChange, UserRecord, UserStatus,
};

macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let (store, _dir) = super::sqlite_store().await;
                super::$name(store).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::on_postgres(super::$name).await;
            }
        }
    )*};
}

both!(
    users_are_per_tenant_and_tokens_work_once_before_they_expire,
    sessions_end_with_their_user_and_scoped_keys_rotate_and_revoke,
    the_last_active_admin_can_be_neither_demoted_nor_disabled,
    housekeeping_deletes_ended_sessions_and_expired_tokens_only,
);

fn user(tenant: &crate::ids::TenantId, email: &str, role: Role, status: UserStatus) -> UserRecord {
    UserRecord {
        id: UserId::generate(),
        tenant: tenant.clone(),
        email: email.into(),
        role,
        status,
        created_at: NOW,
        updated_at: NOW,
    }
}

async fn users_are_per_tenant_and_tokens_work_once_before_they_expire(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    let ann = user(&a, "ann@x.test", Role::Admin, UserStatus::Active);
    assert!(
        store
            .insert_user(&ann, Some("$argon2id$h"), None, None)
            .await
            .unwrap()
    );
    // The same e-mail in another tenant is another user; twice in one tenant is refused.
    let ann_b = user(&b, "ann@x.test", Role::Viewer, UserStatus::Active);
    assert!(
        store
            .insert_user(&ann_b, Some("$argon2id$h"), None, None)
            .await
            .unwrap()
    );
    let again = user(&a, "ann@x.test", Role::Viewer, UserStatus::Active);
    assert!(!store.insert_user(&again, None, None, None).await.unwrap());

    let (found, hash) = store
        .user_by_email(&a, "ann@x.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id, found.role, hash.as_deref()),
        (ann.id.clone(), Role::Admin, Some("$argon2id$h"))
    );
    assert!(
        store.get_user(&b, &ann.id).await.unwrap().is_none(),
        "never across tenants"
    );
    assert_eq!(store.list_users(&a).await.unwrap().len(), 1);
    assert!(
        matches!(
            store
                .update_user(&b, &ann.id, Some(Role::Viewer), None, NOW, None)
                .await
                .unwrap(),
            UserChange::NotFound
        ),
        "another tenant cannot change the user"
    );

    // An invitation: spent once, sets the password and activates the invitee.
    let ben = user(&a, "ben@x.test", Role::Shipping, UserStatus::Invited);
    let token = NewToken {
        hash: "inv-hash",
        purpose: TokenPurpose::Invitation,
        expires_at: NOW + Duration::days(7),
    };
    assert!(
        store
            .insert_user(&ben, None, Some(&token), None)
            .await
            .unwrap()
    );
    // Not as a reset: purposes do not mix.
    assert!(
        store
            .use_user_token("inv-hash", TokenPurpose::Reset, "p", NOW)
            .await
            .unwrap()
            .is_none()
    );
    let used = store
        .use_user_token("inv-hash", TokenPurpose::Invitation, "$argon2id$ben", NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (used.id.clone(), used.status),
        (ben.id.clone(), UserStatus::Active)
    );
    assert!(
        store
            .use_user_token("inv-hash", TokenPurpose::Invitation, "x", NOW)
            .await
            .unwrap()
            .is_none()
    );
    let (_, hash) = store
        .user_by_email(&a, "ben@x.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash.as_deref(), Some("$argon2id$ben"));

    // Resets: a newer token replaces the older; an expired one does nothing.
    let first = NewToken {
        hash: "r1",
        purpose: TokenPurpose::Reset,
        expires_at: NOW + Duration::hours(1),
    };
    store
        .insert_user_token(&a, &ben.id, &first, NOW, None)
        .await
        .unwrap();
    let second = NewToken {
        hash: "r2",
        purpose: TokenPurpose::Reset,
        expires_at: NOW + Duration::hours(1),
    };
    store
        .insert_user_token(&a, &ben.id, &second, NOW, None)
        .await
        .unwrap();
    assert!(
        store
            .use_user_token("r1", TokenPurpose::Reset, "x", NOW)
            .await
            .unwrap()
            .is_none()
    );
    let late = NOW + Duration::hours(2);
    assert!(
        store
            .use_user_token("r2", TokenPurpose::Reset, "x", late)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .use_user_token("r2", TokenPurpose::Reset, "$new", NOW)
            .await
            .unwrap()
            .is_some()
    );
}

async fn sessions_end_with_their_user_and_scoped_keys_rotate_and_revoke(store: Store) {
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    let ann = user(&a, "ann@x.test", Role::Finance, UserStatus::Active);
    store
        .insert_user(&ann, Some("h"), None, None)
        .await
        .unwrap();
    store
        .insert_session(&a, &ann.id, "s1", NOW, NOW + Duration::hours(12))
        .await
        .unwrap();
    let s = store.session("s1").await.unwrap().unwrap();
    assert_eq!(
        (s.user.id.clone(), s.user.role, s.last_seen_at),
        (ann.id.clone(), Role::Finance, NOW)
    );
    store
        .touch_session(&a, "s1", NOW + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        store.session("s1").await.unwrap().unwrap().last_seen_at,
        NOW + Duration::minutes(5)
    );
    // Another tenant cannot end it; disabling the user does.
    store.delete_session(&b, "s1").await.unwrap();
    assert!(store.session("s1").await.unwrap().is_some());
    let UserChange::Changed(off) = store
        .update_user(&a, &ann.id, None, Some(UserStatus::Disabled), NOW, None)
        .await
        .unwrap()
    else {
        panic!("a finance user can be disabled")
    };
    assert_eq!(off.status, UserStatus::Disabled);
    assert!(store.session("s1").await.unwrap().is_none());

    // A key from before roles is an admin key named `default`.
    store
        .insert_api_key(&a, "old-hash", "sh_old0000", NOW)
        .await
        .unwrap();
    let old = store.key_principal("old-hash").await.unwrap().unwrap();
    assert_eq!((old.tenant.clone(), old.role), (a.clone(), Role::Admin));
    let scanner = ApiKeyRecord {
        id: ApiKeyId::generate(),
        name: "scanner".into(),
        role: Role::Warehouse,
        prefix: "sh_scan0000".into(),
        created_at: NOW,
        last_used_at: None,
        revoked_at: None,
    };
    store
        .insert_scoped_api_key(&a, &scanner, "scan-hash", None)
        .await
        .unwrap();
    assert_eq!(
        store
            .key_principal("scan-hash")
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Warehouse
    );
    store
        .touch_api_key(&a, &scanner.id, NOW + Duration::minutes(1))
        .await
        .unwrap();
    let listed = store.list_api_keys(&a).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].name, "default");
    assert_eq!(listed[1].last_used_at, Some(NOW + Duration::minutes(1)));
    assert!(store.list_api_keys(&b).await.unwrap().is_empty());
    assert!(store.get_api_key(&b, &scanner.id).await.unwrap().is_none());

    // Rotation: the old hash stops resolving, the new one keeps id and role.
    assert!(
        store
            .rotate_api_key(&b, &scanner.id, "x", "sh_x", None)
            .await
            .unwrap()
            .is_none()
    );
    let (rotated, was) = store
        .rotate_api_key(&a, &scanner.id, "scan-2", "sh_scan2222", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (was.as_str(), rotated.role, rotated.prefix.as_str()),
        ("scan-hash", Role::Warehouse, "sh_scan2222")
    );
    assert!(store.key_principal("scan-hash").await.unwrap().is_none());
    assert_eq!(
        store.key_principal("scan-2").await.unwrap().unwrap().key,
        scanner.id
    );
    // Revocation: once, by its own tenant only.
    assert!(
        store
            .revoke_api_key(&b, &scanner.id, NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .revoke_api_key(&a, &scanner.id, NOW)
            .await
            .unwrap()
            .as_deref(),
        Some("scan-2")
    );
    assert!(
        store
            .revoke_api_key(&a, &scanner.id, NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.key_principal("scan-2").await.unwrap().is_none());
    assert!(
        store
            .rotate_api_key(&a, &scanner.id, "y", "sh_y", None)
            .await
            .unwrap()
            .is_none()
    );
}

async fn the_last_active_admin_can_be_neither_demoted_nor_disabled(store: Store) {
    let a = tenant(&store, "a").await;
    let ann = user(&a, "ann@x.test", Role::Admin, UserStatus::Active);
    let ben = user(&a, "ben@x.test", Role::Admin, UserStatus::Invited);
    for u in [&ann, &ben] {
        store.insert_user(u, Some("h"), None, None).await.unwrap();
    }
    // An invited admin is no admin yet: Ann is the last active one.
    for (role, status) in [
        (Some(Role::Viewer), None),
        (None, Some(UserStatus::Disabled)),
    ] {
        assert!(matches!(
            store
                .update_user(&a, &ann.id, role, status, NOW, None)
                .await
                .unwrap(),
            UserChange::LastAdmin
        ));
    }
    let still = store.get_user(&a, &ann.id).await.unwrap().unwrap();
    assert_eq!(
        (still.role, still.status),
        (Role::Admin, UserStatus::Active)
    );
    // Making her admin again changes nothing that matters, and is allowed.
    assert!(matches!(
        store
            .update_user(&a, &ann.id, Some(Role::Admin), None, NOW, None)
            .await
            .unwrap(),
        UserChange::Changed(_)
    ));
    // With a second active admin, either may step down, but not both.
    let cy = user(&a, "cy@x.test", Role::Shipping, UserStatus::Active);
    store.insert_user(&cy, Some("h"), None, None).await.unwrap();
    assert!(matches!(
        store
            .update_user(&a, &cy.id, Some(Role::Admin), None, NOW, None)
            .await
            .unwrap(),
        UserChange::Changed(_)
    ));
    assert!(matches!(
        store
            .update_user(&a, &ann.id, Some(Role::Finance), None, NOW, None)
            .await
            .unwrap(),
        UserChange::Changed(_)
    ));
    assert!(matches!(
        store
            .update_user(&a, &cy.id, None, Some(UserStatus::Disabled), NOW, None)
            .await
            .unwrap(),
        UserChange::LastAdmin
    ));
}

async fn housekeeping_deletes_ended_sessions_and_expired_tokens_only(store: Store) {
    let a = tenant(&store, "a").await;
    let ann = user(&a, "ann@x.test", Role::Finance, UserStatus::Active);
    store
        .insert_user(&ann, Some("h"), None, None)
        .await
        .unwrap();
    // Live; expired; idle (last seen 2 h ago).
    for (id, expires) in [("live", 12), ("expired", -1), ("idle", 12)] {
        store
            .insert_session(
                &a,
                &ann.id,
                id,
                NOW - Duration::hours(2),
                NOW + Duration::hours(expires),
            )
            .await
            .unwrap();
    }
    store.touch_session(&a, "live", NOW).await.unwrap();
    store.touch_session(&a, "expired", NOW).await.unwrap();
    for (hash, hours) in [("tok-live", 1), ("tok-old", -1)] {
        let t = NewToken {
            hash,
            purpose: TokenPurpose::Reset,
            expires_at: NOW + Duration::hours(hours),
        };
        let ben = user(
            &a,
            &format!("{hash}@x.test"),
            Role::Viewer,
            UserStatus::Active,
        );
        store
            .insert_user(&ben, Some("h"), None, None)
            .await
            .unwrap();
        store
            .insert_user_token(&a, &ben.id, &t, NOW, None)
            .await
            .unwrap();
    }
    let (sessions, tokens) = store
        .prune_sessions(NOW, NOW - Duration::minutes(30))
        .await
        .unwrap();
    assert_eq!((sessions, tokens), (2, 1));
    assert!(store.session("live").await.unwrap().is_some());
    assert!(store.session("expired").await.unwrap().is_none());
    assert!(store.session("idle").await.unwrap().is_none());
    assert_eq!(
        store
            .prune_sessions(NOW, NOW - Duration::minutes(30))
            .await
            .unwrap(),
        (0, 0)
    );
}
