//! Freight reconciliation: the imports (newest first, a page at a time), an invoice upload with
//! its progress that lands on the report, and the report: totals, what can be recovered by
//! reason, week and carrier as charts, the lines most worth disputing, import errors with
//! their line, and the files the API serves (dispute file, CSV, JSON, the finance PDF).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::charts::{self, Bar};
use super::{Operator, Page, fmt, layout, not_found};
use crate::ids::ReconciliationId;
use crate::roles::Permission;
use crate::state::AppState;
use crate::store::{ReconciliationRecord, ReconciliationStatus};

const PAGE: u32 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/reconciliation", get(list))
        .route("/console/reconciliation/{id}", get(report))
}

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

fn status_badge(s: ReconciliationStatus) -> Markup {
    let class = match s {
        ReconciliationStatus::Completed => "ok",
        ReconciliationStatus::Failed => "bad",
        _ => "warn",
    };
    html! { span class={ "badge " (class) } { (s.as_str()) } }
}

/// An amount of the report's JSON (a decimal string; a number from older summaries).
fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap_or_default(),
        Value::Number(n) => n.to_string().parse().unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

fn currency(r: &ReconciliationRecord) -> String {
    r.summary
        .as_ref()
        .and_then(|s| s.pointer("/report/currency"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn recoverable(r: &ReconciliationRecord) -> Option<Decimal> {
    r.summary
        .as_ref()
        .and_then(|s| s.pointer("/report/total/recoverable"))
        .map(dec)
}

async fn list(State(app): State<AppState>, op: Operator, Query(q): Query<ListQuery>) -> Page {
    let cursor = q.cursor.as_deref().and_then(ReconciliationId::parse);
    let mut rows = app
        .store
        .list_reconciliations(&op.0.tenant, cursor.as_ref(), PAGE + 1)
        .await?;
    let next = (rows.len() > PAGE as usize).then(|| {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| r.id.to_string()).unwrap_or_default()
    });
    let body = html! {
        @if op.can(Permission::Reconcile) {
            section aria-labelledby="upload-h" {
                h2 id="upload-h" { "Upload an invoice" }
                form id="invoice-upload" class="stack" data-upload="/v1/invoices" data-type="text/csv"
                    data-then="/console/reconciliation/{id}" data-done="Uploaded: reconciling…" {
                    label { "Layout" span class="hint" { "Whose invoice file this is." }
                        select name="carrier" required {
                            option value="ups" { "UPS Billing Data (250 columns)" }
                            option value="fedex" { "FedEx Billing Online CSV" }
                            option value="dhl_express" { "DHL Express e-billing CSV" }
                            option value="generic" { "Another layout, with a stored mapping" }
                        }
                    }
                    label { "Billing currency" span class="hint" { "FedEx files only (the layout has none), e.g. USD." }
                        input name="currency" maxlength="3" pattern="[A-Z]{3}";
                    }
                    label { "Mapping" span class="hint" { "Another layout only: the mapping's name." }
                        input name="mapping" maxlength="100";
                    }
                    label { "Contract rate card" span class="hint" { "Default: the one the audit settings name." }
                        input name="rate_card" maxlength="100";
                    }
                    label { "Invoice file"
                        input name="file" type="file" accept=".csv,text/csv" required;
                    }
                    label { "Upload progress" progress id="invoice-progress" value="0" max="1" {} }
                    button type="submit" { "Upload and reconcile" }
                    p class="notice" role="status" data-result {}
                    div class="form-error" role="alert" {}
                }
            }
        }
        @if rows.is_empty() {
            p class="muted" { "No reconciliations yet." }
        } @else {
            (layout::table("Reconciliations, newest first",
                &["Started", "Carrier", "Status", "Lines", "Packages", "Recoverable", "Errors"],
                html! {
                    @for r in &rows {
                        tr {
                            td { a href=(format!("/console/reconciliation/{}", r.id)) {
                                time datetime=(fmt::iso(r.created_at)) { (fmt::when(r.created_at)) } } }
                            td { (r.carrier) }
                            td { (status_badge(r.status)) }
                            td class="num" { (r.lines) }
                            td class="num" { (r.packages) }
                            td class="num" { @if let Some(v) = recoverable(r) { (fmt::money(v, &currency(r))) } }
                            td class="num" { (r.error_count) }
                        }
                    }
                }))
            @if let Some(n) = next {
                nav class="pager" aria-label="Pages" {
                    a href="/console/reconciliation" { "Newest" }
                    a href=(format!("/console/reconciliation?cursor={}", fmt::url_encode(&n))) { "Older" }
                }
            }
        }
    };
    Ok(layout::page(
        &op,
        "Reconciliation",
        "/console/reconciliation",
        &["finance.js"],
        body,
    ))
}

/// Bars of `{key: amount}` pairs, largest first unless `keep_order`.
fn bars_of(
    map: Option<&Value>,
    cur: &str,
    label: impl Fn(&str) -> String,
    keep_order: bool,
) -> Vec<Bar> {
    let mut out: Vec<Bar> = map
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let value = if v.is_object() {
                dec(&v["recoverable"])
            } else {
                dec(v)
            };
            Bar {
                label: label(k),
                value,
                shown: fmt::money(value, cur),
            }
        })
        .collect();
    if !keep_order {
        out.sort_by_key(|b| std::cmp::Reverse(b.value));
    }
    out
}

fn reason_label(code: &str) -> String {
    code.replace('_', " ")
}

async fn report(State(app): State<AppState>, op: Operator, Path(id): Path<String>) -> Page {
    let id = ReconciliationId::parse(&id).ok_or_else(|| not_found("reconciliation"))?;
    let r = app
        .store
        .get_reconciliation(&op.0.tenant, &id)
        .await?
        .ok_or_else(|| not_found("reconciliation"))?;
    let cur = currency(&r);
    let rep = r.summary.as_ref().and_then(|s| s.get("report"));
    let import = r.summary.as_ref().and_then(|s| s.get("import"));
    let total = |k: &str| {
        rep.and_then(|x| x.pointer(&format!("/total/{k}")))
            .map(dec)
            .unwrap_or_default()
    };
    let done = r.status == ReconciliationStatus::Completed;
    let top: Vec<&Value> = rep
        .and_then(|x| x.get("top"))
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let errors: Vec<&Value> = import
        .and_then(|x| x.get("errors"))
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let running = matches!(
        r.status,
        ReconciliationStatus::Running | ReconciliationStatus::Pulling
    );
    let body = html! {
        p { a href="/console/reconciliation" { "All reconciliations" } }
        section aria-labelledby="facts-h" id="reconciliation-facts" data-refresh-while=(if running { "running" } else { "" }) {
            h2 id="facts-h" { "Import" }
            dl class="facts" {
                dt { "Reconciliation" } dd { code class="id" { (r.id) } }
                dt { "Status" } dd { (status_badge(r.status)) }
                dt { "Carrier" } dd { (r.carrier) }
                dt { "File" } dd { (r.file_bytes) " bytes, " (r.lines) " lines, " (r.packages) " packages" }
                @if let Some(rep) = rep {
                    @let names = |k: &str| rep.get(k).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default();
                    dt { "Invoices" } dd { (names("invoices")) @if rep["more_invoices"] == true { " and more" } }
                    dt { "Accounts" } dd { @let a = names("accounts"); @if a.is_empty() { "not stated in the file" } @else { (a) } }
                    dt { "Period" } dd { (rep["first_day"].as_str().unwrap_or("—")) " to " (rep["last_day"].as_str().unwrap_or("—")) }
                }
                dt { "Rate card" } dd { (r.rate_card.as_deref().unwrap_or("—")) }
                dt { "Started" } dd { (fmt::when(r.created_at)) }
                @if let Some(t) = r.completed_at { dt { "Completed" } dd { (fmt::when(t)) } }
                @if let Some(f) = &r.failure { dt { "Failure" } dd class="field-error" { (f) } }
                @if let Some(p) = &r.pull { dt { "Pulled" } dd { (p.done) " of " (p.total) " waybills" } }
            }
            @if running { p class="muted" role="status" { "Reconciling… this page refreshes until the report is ready." } }
        }
        @if done {
            div class="stats" {
                (layout::stat("Billed", fmt::money(total("billed"), &cur), None, false))
                (layout::stat("Expected", fmt::money(total("expected"), &cur), None, false))
                (layout::stat("Disputed", fmt::money(total("disputed"), &cur), None, false))
                (layout::stat("Recoverable", fmt::money(total("recoverable"), &cur), None, total("recoverable") > Decimal::ZERO))
            }
            section aria-labelledby="files-h" {
                h2 id="files-h" { "Files" }
                div class="actions" id="report-files" {
                    a class="button" id="dispute-file" download href=(format!("/v1/reconciliations/{}/dispute.csv", r.id)) { "Dispute file (CSV)" }
                    a class="button secondary" id="report-pdf" download href=(format!("/v1/reconciliations/{}/report.pdf", r.id)) { "Finance report (PDF)" }
                    a class="button secondary" download href=(format!("/v1/reconciliations/{}/report.csv", r.id)) { "Every line (CSV)" }
                    a class="button secondary" download href=(format!("/v1/reconciliations/{}/report.json", r.id)) { "Every line (JSON)" }
                }
            }
            section aria-labelledby="charts-h" {
                h2 id="charts-h" { "Recoverable" }
                div class="grid" {
                    (charts::bars("by-reason", "Recoverable by reason",
                        &bars_of(rep.and_then(|x| x.get("by_reason")), &cur, reason_label, false)))
                    (charts::bars("by-week", "Recoverable by week (from Monday)",
                        &bars_of(rep.and_then(|x| x.get("by_week")), &cur, |d| format!("week of {d}"), true)))
                    (charts::bars("by-carrier", "Recoverable by carrier",
                        &bars_of(rep.and_then(|x| x.get("by_carrier")), &cur, str::to_string, false)))
                }
            }
            section aria-labelledby="top-h" {
                h2 id="top-h" { "Top lines to dispute" }
                @if top.is_empty() {
                    p class="muted" { "Nothing to dispute." }
                } @else {
                    div id="top-lines" { (layout::table("Largest recoverable first",
                        &["Recoverable", "Tracking number", "Invoice", "Line", "Reasons"],
                        html! {
                            @for t in &top {
                                tr {
                                    td class="num" { (fmt::money(dec(&t["recoverable"]), &cur)) }
                                    td { code { (t["tracking_number"].as_str().unwrap_or("")) } }
                                    td { (t["invoice_number"].as_str().unwrap_or("")) }
                                    td class="num" { (t["line"]) }
                                    td { @for (i, why) in t["reasons"].as_array().into_iter().flatten().enumerate() {
                                        @if i > 0 { ", " } (reason_label(why.as_str().unwrap_or(""))) } }
                                }
                            }
                        })) }
                }
            }
        }
        @if !errors.is_empty() {
            section aria-labelledby="errors-h" {
                h2 id="errors-h" { "Rows that could not be read (" (r.error_count) ")" }
                ul { @for e in &errors { li { "line " (e["line"]) ": " (e["message"].as_str().unwrap_or("")) } } }
            }
        }
    };
    Ok(layout::page(
        &op,
        "Reconciliation report",
        "/console/reconciliation",
        &["finance.js"],
        body,
    ))
}
