//! Users and API keys (admins): invite a user (the one-time link is shown once), change a
//! role, disable or enable, hand out a password-reset link; create, rotate and revoke API keys
//! (each key shown once). Also the two public pages a link leads to: accepting an invitation
//! and setting a new password. Every change goes through `/v1/users`, `/v1/api-keys`,
//! `/v1/invitations/accept` and `/v1/password-reset`.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};

use super::{Operator, Page, fmt, layout};
use crate::auth;
use crate::roles::{Permission, Role};
use crate::state::AppState;
use crate::store::UserStatus;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/team", get(page))
        .route("/console/welcome", get(welcome))
        .route("/console/reset-password", get(reset))
}

fn role_select(name: &str, id: &str, current: Option<Role>) -> Markup {
    html! {
        select name=(name) id=(id) {
            @for r in Role::ALL {
                option value=(r.as_str()) selected[current == Some(*r)] { (r.as_str()) }
            }
        }
    }
}

async fn page(State(app): State<AppState>, op: Operator) -> Page {
    op.require(Permission::Users)?;
    let tenant = &op.0.tenant;
    let users = auth::users::list(&app, tenant).await?;
    let keys = if op.can(Permission::ApiKeys) {
        auth::keys::list(&app, tenant).await?
    } else {
        vec![]
    };
    let me = match &op.0.via {
        auth::Via::Session { user, .. } => Some(user.to_string()),
        auth::Via::Key(_) => None,
    };
    let body = html! {
        section aria-labelledby="users-h" {
            h2 id="users-h" { "Users" }
            p class="muted" { "Roles: admin (everything), shipping (rate, buy, void, reprint, trackers), \
                warehouse (print stations and jobs, reprint), finance (reconciliation, rate cards), viewer (read only)." }
            (layout::table("The organisation's users", &["E-mail", "Role", "Status", "Since", "Actions"], html! {
                @for u in &users {
                    @let id = u.id.to_string();
                    @let mine = me.as_deref() == Some(id.as_str());
                    tr data-region {
                        td { (u.email) @if mine { " " span class="badge" { "you" } } }
                        td {
                            form class="inline" data-api=(format!("/v1/users/{id}")) data-method="PATCH" data-then="reload" {
                                label class="visually-hidden" for=(format!("role-{id}")) { "Role of " (u.email) }
                                (role_select("role", &format!("role-{id}"), Some(u.role)))
                                button type="submit" class="secondary" disabled[mine] { "Change" }
                                p class="form-error" {}
                            }
                        }
                        td { span class={ "badge" @if u.status == UserStatus::Active { " ok" } @else if u.status == UserStatus::Disabled { " bad" } } { (u.status) } }
                        td { time datetime=(fmt::iso(u.created_at)) { (fmt::when(u.created_at)) } }
                        td {
                            div class="actions" data-result-in=(format!("#reset-{id}")) data-done="Password reset link (valid 1 hour, shown once): {origin}/console/reset-password#token={reset_token}" {
                                @if !mine {
                                    @if u.status == UserStatus::Disabled {
                                        button type="button" class="secondary" data-api=(format!("/v1/users/{id}")) data-method="PATCH"
                                            data-body=r#"{"disabled":false}"# data-then="reload" { "Enable" }
                                    } @else {
                                        button type="button" class="danger" data-api=(format!("/v1/users/{id}")) data-method="PATCH"
                                            data-body=r#"{"disabled":true}"# data-confirm=(format!("Disable {}? Their sessions end at once.", u.email))
                                            data-then="reload" { "Disable" }
                                    }
                                }
                                @if u.status != UserStatus::Invited {
                                    button type="button" class="secondary" data-api=(format!("/v1/users/{id}/reset-link")) { "Reset link" }
                                }
                            }
                            p class="secret" id=(format!("reset-{id}")) aria-live="polite" {}
                        }
                    }
                }
            }))
            h3 { "Invite someone" }
            form class="inline" data-api="/v1/users" data-done="Invitation link for {email} (valid 7 days, shown once): {origin}/console/welcome#token={invitation_token}" {
                label { "E-mail" input name="email" type="email" required maxlength="254"; }
                label { "Role" (role_select("role", "invite-role", Some(Role::Viewer))) }
                button type="submit" { "Invite" }
                p class="form-error" {}
                p class="secret" data-result aria-live="polite" {}
            }
        }
        @if op.can(Permission::ApiKeys) {
            section aria-labelledby="keys-h" {
                h2 id="keys-h" { "API keys" }
                p class="muted" { "Programs call the API with a key; each key has a role like a user. \
                    A key is shown once, when it is made or rotated: keep it in your secret store." }
                (layout::table("The organisation's API keys", &["Name", "Role", "Key starts", "Created", "Last used", "State", "Actions"], html! {
                    @for k in &keys {
                        @let id = k.id.to_string();
                        tr data-region {
                            td { (k.name) }
                            td { (k.role) }
                            td { code { (k.prefix) "…" } }
                            td { time datetime=(fmt::iso(k.created_at)) { (fmt::when(k.created_at)) } }
                            td { @match k.last_used_at { Some(t) => time datetime=(fmt::iso(t)) { (fmt::when(t)) }, None => span class="muted" { "never" } } }
                            td { @if k.revoked_at.is_some() { span class="badge bad" { "revoked" } } @else { span class="badge ok" { "active" } } }
                            td {
                                @if k.revoked_at.is_none() {
                                    div class="actions" data-result-in=(format!("#key-{id}")) data-done="New key for {name} (shown once; the old one stops working now): {key}" {
                                        button type="button" class="secondary" data-api=(format!("/v1/api-keys/{id}/rotate"))
                                            data-confirm=(format!("Rotate {}? Programs using the old key stop working at once.", k.name)) { "Rotate" }
                                        button type="button" class="danger" data-api=(format!("/v1/api-keys/{id}")) data-method="DELETE"
                                            data-confirm=(format!("Revoke {}? Programs using it stop working at once.", k.name)) data-then="reload" { "Revoke" }
                                    }
                                    p class="secret" id=(format!("key-{id}")) aria-live="polite" {}
                                }
                            }
                        }
                    }
                }))
                h3 { "Make a key" }
                form class="inline" data-api="/v1/api-keys" data-done="The key {name} (shown once): {key}" {
                    label { "Name" input name="name" required maxlength="100" placeholder="warehouse-scanner"; }
                    label { "Role" (role_select("role", "key-role", Some(Role::Viewer))) }
                    button type="submit" { "Make key" }
                    p class="form-error" {}
                    p class="secret" data-result aria-live="polite" {}
                }
            }
        }
    };
    Ok(layout::page(
        &op,
        "Users & keys",
        "/console/team",
        &[],
        body,
    ))
}

/// The page an invitation link opens, or a reset link (`api` says which call redeems it). The
/// token is in the link's fragment (`#token=…`, never sent to a server); `app.js` puts it in the
/// form.
fn redeem_page(title: &str, intro: &str, api: &str) -> Response {
    let body = layout::bare(
        title,
        html! {
            main id="main" class="narrow" {
                h1 { (title) }
                p { (intro) }
                form class="stack card" data-api=(api) data-then="/console/login" {
                    input type="hidden" name="token" data-from-hash="token";
                    label { "New password" span class="hint" { "10 characters or more" }
                        input name="password" type="password" required minlength="10" maxlength="256" autocomplete="new-password";
                    }
                    button type="submit" { "Set password" }
                    p class="form-error" {}
                }
            }
        },
    );
    let mut res = body.into_response();
    layout::secure_headers(res.headers_mut());
    res
}

async fn welcome() -> Response {
    redeem_page(
        "Welcome to shiphub",
        "Choose your password to accept the invitation; then log in with your e-mail.",
        "/v1/invitations/accept",
    )
}

async fn reset() -> Response {
    redeem_page(
        "Set a new password",
        "Choose a new password; then log in with it. The link works once.",
        "/v1/password-reset",
    )
}
