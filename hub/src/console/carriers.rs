//! Carrier accounts and rate cards: the tenant's accounts (carrier, name, where it calls, the
//! quota its calls are paced to, created), an "Add account" form per carrier built from the
//! settings `GET /v1/carriers` describes, a connection test and deletion per account; the
//! rate cards with an upload whose errors name the card's line and field.
//!
//! Only the `carrier_accounts` permission (admins) sees the add, test and delete controls, and
//! only `reconcile` the rate card upload; the API refuses both to the others anyway.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};
use shiphub_carriers::CarrierEntry;

use super::{Operator, Page, fmt, layout};
use crate::api::carriers::credential_fields;
use crate::outbound::CarrierPolicy;
use crate::roles::Permission;
use crate::state::AppState;
use crate::store::AccountRecord;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/carriers", get(page))
}

/// Where an account's calls go: offline (no host), a carrier's official host, or a host the
/// operator allowed (a gateway, a simulator), whose answers are withheld from clients.
fn mode(entry: Option<&CarrierEntry>, a: &AccountRecord) -> (String, &'static str) {
    let Some(url) = a.base_url.as_deref().and_then(|u| url::Url::parse(u).ok()) else {
        return ("offline".into(), "");
    };
    let host = url.host_str().unwrap_or("").to_string();
    match entry {
        Some(e) if CarrierPolicy::is_official(e, &url) => (format!("official · {host}"), "ok"),
        _ => (format!("operator-allowed · {host}"), "warn"),
    }
}

/// The quota the account's calls are paced to, as its adapter reads it from the settings (the
/// carrier's default unless the account set one).
async fn quota(app: &AppState, op: &Operator, a: &AccountRecord) -> String {
    match app
        .carriers
        .adapter(&app.store, &op.0.tenant, a, &app.master_key)
        .await
    {
        Ok(c) => {
            let q = c.quota();
            if q.requests >= shiphub_carriers::offline::LIMITS.requests_per_second {
                return "unlimited (offline)".into();
            }
            let per = if q.per.as_secs() >= 3600 { "h" } else { "s" };
            let mut s = format!("{}/{per}, burst {}", q.requests, q.burst);
            if let Some(d) = c.daily_quota() {
                s.push_str(&format!(", {d}/day"));
            }
            s
        }
        Err(_) => "— (settings refused)".into(),
    }
}

async fn page(State(app): State<AppState>, op: Operator) -> Page {
    let tenant = &op.0.tenant;
    let accounts = app.store.list_accounts(tenant).await?;
    let mut rows = Vec::with_capacity(accounts.len());
    for a in &accounts {
        let entry = app.carriers.entry(&a.carrier);
        rows.push((a, entry, mode(entry, a), quota(&app, &op, a).await));
    }
    let cards = crate::rates::cards::all(&app.store, tenant).await?;
    let admin = op.can(Permission::CarrierAccounts);
    let body = html! {
        section aria-labelledby="accounts-h" {
            h2 id="accounts-h" { "Accounts" }
            @if accounts.is_empty() {
                p class="muted" { "No carrier accounts yet." }
            } @else {
                (layout::table("The organisation's carrier accounts",
                    &["Carrier", "Name", "Mode", "Quota", "Created", if admin { "Actions" } else { "" }],
                    html! {
                        @for (a, entry, (mode, badge), quota) in &rows {
                            tr id=(format!("account-{}", a.id)) {
                                td { (entry.map_or(a.carrier.as_str(), |e| e.name)) br; code { (a.carrier) } }
                                td { (a.name) }
                                td { span class={ "badge " (badge) } { (mode) } }
                                td { (quota) }
                                td { time datetime=(fmt::iso(a.created_at)) { (fmt::when(a.created_at)) } }
                                td data-region data-done="Connection OK: the carrier answered a {call}." {
                                    @if admin {
                                        div class="actions" {
                                            button type="button" class="secondary"
                                                data-api=(format!("/v1/carrier-accounts/{}/test", a.id)) {
                                                "Test connection" }
                                            button type="button" class="danger"
                                                data-api=(format!("/v1/carrier-accounts/{}", a.id)) data-method="DELETE"
                                                data-confirm=(format!("Delete the account {}? Its shipments stay readable.", a.name))
                                                data-then="reload" { "Delete" }
                                        }
                                        p class="notice" role="status" data-result {}
                                    }
                                }
                            }
                        }
                    }))
            }
        }
        @if admin {
            section aria-labelledby="add-h" {
                h2 id="add-h" { "Add account" }
                p class="muted" { "Choose a carrier. Secret settings are stored encrypted and never shown again." }
                @for e in &app.carriers.entries {
                    (add_form(e))
                }
            }
        }
        section aria-labelledby="cards-h" {
            h2 id="cards-h" { "Rate cards" }
            @if cards.is_empty() {
                p class="muted" { "No rate cards yet." }
            } @else {
                (layout::table("Rate card versions", &["Name", "Carrier", "Currency", "In force", "Services", "Updated"], html! {
                    @for v in &cards {
                        tr {
                            td { (v.stored.name) }
                            td { (v.card.carrier()) }
                            td { (v.card.currency().code()) }
                            td { (v.stored.valid_from) " – " (v.card.valid_to().map(|d| d.to_string()).unwrap_or_default()) }
                            td { (v.card.services().len()) }
                            td { (fmt::when(v.stored.updated_at)) }
                        }
                    }
                }))
            }
            @if op.can(Permission::Reconcile) {
                form id="rate-card-upload" class="stack card" data-card-upload="/v1/rate-cards/" {
                    h3 { "Upload a rate card" }
                    label { "Card name" span class="hint" { "The card's own " code { "name = …" } "; a version with the same valid_from is replaced." }
                        input name="card_name" required maxlength="100" pattern="[A-Za-z0-9._-]+";
                    }
                    label { "Card file (TOML)"
                        input name="card_file" type="file" accept=".toml,text/plain,application/toml" required;
                    }
                    button type="submit" { "Upload card" }
                    p class="notice" role="status" data-result {}
                    div class="form-error" role="alert" {}
                    ul class="card-errors field-error" aria-label="Problems in the card" {}
                }
            }
        }
    };
    Ok(layout::page(
        &op,
        "Carrier accounts",
        "/console/carriers",
        &["finance.js"],
        body,
    ))
}

/// The form that adds an account of carrier `e`: name, host where the carrier needs one, and
/// the credential settings the API describes for it.
fn add_form(e: &CarrierEntry) -> Markup {
    let code = e.code.as_str();
    let id = |f: &str| format!("add-{code}-{f}");
    html! {
        details class="card" {
            summary { (e.name) " " code { (code) } }
            form class="stack" data-api="/v1/carrier-accounts" data-then="reload" id=(format!("add-{code}")) {
                input type="hidden" name="carrier" value=(code);
                label for=(id("name")) { "Account name" }
                input id=(id("name")) name="name" required maxlength="100";
                @if e.needs_base_url {
                    label for=(id("base_url")) { "Carrier host"
                        span class="hint" { "Official: " (e.hosts.join(", ")) "; another host only when the operator allows it." } }
                    input id=(id("base_url")) name="base_url" type="url" required
                        value=(e.hosts.first().map(|h| format!("https://{h}")).unwrap_or_default());
                }
                @for f in credential_fields(code) {
                    @let name = format!("credentials.{}", f.name);
                    @let fid = id(f.name);
                    label for=(fid) {
                        (f.label) @if f.required { " (required)" }
                        @if let Some(h) = f.hint { span class="hint" { (h) } }
                    }
                    @match f.kind {
                        "number" => input id=(fid) name=(name) type="number" min="1" step="1" data-kind="number";,
                        "bool" => input id=(fid) name=(name) type="checkbox" data-kind="bool";,
                        _ => input id=(fid) name=(name) type=(if f.secret { "password" } else { "text" })
                                autocomplete=(if f.secret { "new-password" } else { "off" }) required[f.required];,
                    }
                }
                button type="submit" { "Add " (e.name) " account" }
                div class="form-error" role="alert" {}
            }
        }
    }
}
