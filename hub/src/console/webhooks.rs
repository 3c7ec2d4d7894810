//! Webhooks: the tenant's endpoints (URL, events, enabled or disabled after failures), a new
//! endpoint (its secret shown once), an endpoint's deliveries newest first, and a delivery's
//! attempt log. Resend, Recover, Rotate secret, Send test and re-enabling go through the
//! `/v1/webhooks…` API from the browser; they are shown only to roles with `webhooks`.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{Operator, Page, fmt, layout};
use crate::ids::DeliveryId;
use crate::roles::Permission;
use crate::state::AppState;
use crate::store::{DeliveryRecord, DeliveryStatus, EndpointRecord};
use crate::webhooks::{deliveries, endpoints};

/// Deliveries per page.
const PAGE: u32 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/webhooks", get(list))
        .route("/console/webhooks/{id}", get(endpoint))
        .route(
            "/console/webhooks/{id}/deliveries/{delivery}",
            get(delivery),
        )
}

fn state_badge(e: &EndpointRecord) -> Markup {
    html! {
        @if e.enabled {
            @if e.failing_since.is_some() {
                span class="badge warn" { "enabled, failing" }
            } @else {
                span class="badge ok" { "enabled" }
            }
        } @else {
            span class="badge bad" { "disabled" }
        }
    }
}

fn delivery_badge(s: DeliveryStatus) -> Markup {
    let class = match s {
        DeliveryStatus::Succeeded => "badge ok",
        DeliveryStatus::Failed => "badge bad",
        DeliveryStatus::Pending => "badge warn",
        DeliveryStatus::Cancelled => "badge",
    };
    html! { span class=(class) { (s.as_str()) } }
}

fn time_or(t: Option<OffsetDateTime>, none: &str) -> Markup {
    html! {
        @match t {
            Some(t) => time datetime=(fmt::iso(t)) { (fmt::when(t)) },
            None => span class="muted" { (none) },
        }
    }
}

async fn list(op: Operator, State(app): State<AppState>) -> Page {
    let list = endpoints::list(&app, &op.0.tenant).await?;
    let manage = op.can(Permission::Webhooks);
    let body = html! {
        @if list.is_empty() {
            p { "No webhook endpoint yet." }
        } @else {
            (layout::table("Endpoints", &["URL", "Events", "State", "Failing since"], html! {
                @for e in &list {
                    tr {
                        td { a href=(format!("/console/webhooks/{}", e.id)) { (e.url) } }
                        td { (e.events.names().join(", ")) }
                        td {
                            (state_badge(e))
                            @if let Some(r) = &e.disabled_reason { " " span class="muted" { (r) } }
                        }
                        td { (time_or(e.failing_since, "—")) }
                    }
                }
            }))
        }
        @if manage {
            section aria-labelledby="new-endpoint" {
                h2 id="new-endpoint" { "New endpoint" }
                form class="stack" data-api="/v1/webhooks" data-method="POST"
                    data-done="Endpoint {id} created. Its signing secret, shown only now: {secret}" {
                    label { "URL" input name="url" type="url" required placeholder="https://example.com/hooks/shiphub"; }
                    label {
                        "Events"
                        span class="hint" { "Comma-separated event types, or * for all (e.g. shipment.delivered, shipment.exception)" }
                        input name="events" data-kind="list" required value="*";
                    }
                    label { "Description" input name="description"; }
                    p class="form-error" {}
                    div { button type="submit" { "Create endpoint" } }
                    p class="notice secret" data-result role="status" aria-live="polite" {}
                }
            }
        }
    };
    Ok(layout::page(
        &op,
        "Webhooks",
        "/console/webhooks",
        &[],
        body,
    ))
}

#[derive(Deserialize)]
struct Cursor {
    cursor: Option<String>,
}

async fn endpoint(
    op: Operator,
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Cursor>,
) -> Page {
    let tenant = &op.0.tenant;
    let e = endpoints::get(&app, tenant, &id).await?;
    let before = q.cursor.as_deref().and_then(DeliveryId::parse);
    let list = deliveries::list(&app, tenant, &id, None, before.as_ref(), PAGE + 1).await?;
    let more = list.len() > PAGE as usize;
    let list = &list[..list.len().min(PAGE as usize)];
    let manage = op.can(Permission::Webhooks);
    let base = format!("/v1/webhooks/{}", e.id);
    // What Recover replays: from when the endpoint started failing, else the last day.
    let since = e
        .failing_since
        .unwrap_or_else(|| OffsetDateTime::now_utc() - time::Duration::days(1));
    let body = html! {
        p { a href="/console/webhooks" { "All endpoints" } }
        dl class="facts" {
            dt { "URL" } dd { code { (e.url) } }
            dt { "Events" } dd { (e.events.names().join(", ")) }
            dt { "State" } dd {
                (state_badge(&e))
                @if let Some(r) = &e.disabled_reason { " " (r) }
            }
            dt { "Failing since" } dd { (time_or(e.failing_since, "—")) }
            @if let Some(d) = &e.description { dt { "Description" } dd { (d) } }
            dt { "Created" } dd { (time_or(Some(e.created_at), "")) }
        }
        @if manage {
            div class="actions" data-region {
                button type="button" class="secondary" data-api=(format!("{base}/test"))
                    data-done="Test event sent: delivery {delivery_id}." { "Send test" }
                button type="button" class="secondary" data-api=(format!("{base}/rotate-secret"))
                    data-confirm="Rotate the signing secret? The old one keeps signing for a while."
                    data-done="New signing secret, shown only now: {secret}" { "Rotate secret" }
                @if e.enabled {
                    button type="button" class="secondary"
                        data-api=(format!("{base}/recover?since={}", fmt::url_encode(&fmt::iso(since))))
                        data-done="Recovering: {queued} deliveries queued." {
                        "Recover since " (fmt::when(since))
                    }
                } @else {
                    button type="button" data-api=(base.clone()) data-method="PATCH" data-body=r#"{"enabled":true}"#
                        data-then="reload" { "Enable again" }
                }
                p class="form-error" {}
                p class="notice secret" data-result role="status" aria-live="polite" {}
            }
        }
        h2 { "Deliveries" }
        @if list.is_empty() {
            p { "No delivery yet." }
        } @else {
            (layout::table("Deliveries, newest first", &["Delivery", "Event", "Status", "Attempts", "Next attempt", "Last answer", "Created", ""], html! {
                @for d in list { (delivery_row(&e, d, manage)) }
            }))
            @if more {
                @if let Some(last) = list.last() {
                    nav class="pager" aria-label="Deliveries" {
                        a href=(format!("/console/webhooks/{}?cursor={}", e.id, last.id)) { "Older deliveries" }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &op,
        "Webhook endpoint",
        "/console/webhooks",
        &[],
        body,
    ))
}

fn resend_button(e: &EndpointRecord, d: &DeliveryRecord) -> Markup {
    html! {
        button type="button" class="secondary"
            data-api=(format!("/v1/webhooks/{}/deliveries/{}/resend", e.id, d.id))
            data-done="Resent." aria-label=(format!("Resend delivery {}", d.id)) { "Resend" }
    }
}

fn delivery_row(e: &EndpointRecord, d: &DeliveryRecord, manage: bool) -> Markup {
    html! {
        tr data-region {
            td { a href=(format!("/console/webhooks/{}/deliveries/{}", e.id, d.id)) { code { (d.id) } } }
            td { (d.event_type.as_str()) }
            td { (delivery_badge(d.status)) }
            td class="num" { (d.attempts) }
            td { (time_or(d.next_attempt_at, "—")) }
            td {
                @if let Some(c) = d.last_status_code { (c) }
                @if let Some(err) = &d.last_error { " " span class="muted" { (err) } }
            }
            td { (time_or(Some(d.created_at), "")) }
            td {
                @if manage && e.enabled {
                    (resend_button(e, d))
                    " " span data-result role="status" {}
                    p class="form-error" {}
                }
            }
        }
    }
}

async fn delivery(
    op: Operator,
    State(app): State<AppState>,
    Path((id, delivery)): Path<(String, String)>,
) -> Page {
    let tenant = &op.0.tenant;
    let e = endpoints::get(&app, tenant, &id).await?;
    let (d, attempts) = deliveries::get(&app, tenant, &id, &delivery).await?;
    let manage = op.can(Permission::Webhooks);
    let body = html! {
        p { a href=(format!("/console/webhooks/{}", e.id)) { "Back to " (e.url) } }
        dl class="facts" {
            dt { "Event" } dd { (d.event_type.as_str()) " " code { (d.event_id) } }
            dt { "Status" } dd { (delivery_badge(d.status)) }
            dt { "Attempts" } dd { (d.attempts) }
            dt { "Next attempt" } dd { (time_or(d.next_attempt_at, "none")) }
            dt { "Created" } dd { (time_or(Some(d.created_at), "")) }
        }
        @if manage && e.enabled {
            div class="actions" data-region {
                (resend_button(&e, &d))
                span data-result role="status" {}
                p class="form-error" {}
            }
        }
        (layout::table("Attempt log", &["#", "When", "Outcome", "Status", "Latency", "Answer or error"], html! {
            @for a in &attempts {
                tr {
                    td class="num" { (a.attempt) }
                    td { (time_or(Some(a.created_at), "")) }
                    td { (a.outcome.as_str()) }
                    td class="num" { @if let Some(c) = a.status_code { (c) } @else { "—" } }
                    td class="num" { (a.latency_ms) " ms" }
                    td {
                        @if let Some(r) = &a.response { code { (r) } " " }
                        @if let Some(err) = &a.error { span class="muted" { (err) } }
                    }
                }
            }
        }))
        @if attempts.is_empty() { p class="muted" { "Not attempted yet." } }
    };
    Ok(layout::page(
        &op,
        &format!("Delivery {}", d.id),
        "/console/webhooks",
        &[],
        body,
    ))
}
