//! The console's shipments pages: the search (`/console/shipments`, a GET form so a search is
//! a URL to share, keyset-paged over migration 0036's indexes), a shipment's page (facts,
//! label preview and downloads, customs documents, reprint, void, tracking, its events and
//! the webhook deliveries they made) and the buy form with live rates
//! (`/console/shipments/new`, driven by `assets/shipments.js`). Every change goes through the
//! `/v1` API from the browser.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use shiphub_carriers::model::{Address, LabelFormat, Parcel};
use time::{Date, OffsetDateTime};

use super::{Operator, Page, fmt, layout, not_found};
use crate::error::{Error, FieldProblem};
use crate::roles::Permission;
use crate::state::AppState;
use crate::store::console_shipments::{SearchCursor, ShipmentSearch};
use crate::store::{ShipmentRecord, ShipmentStatus, StationRecord, millis};

/// Rows per page of results.
const PAGE: u32 = 25;

/// The newest events (and webhook deliveries) a shipment's page lists.
const EVENTS: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/shipments", get(search))
        .route("/console/shipments/new", get(new))
        .route("/console/shipments/{id}", get(detail))
}

/// The search form's fields, as typed (an empty field is no filter).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct SearchParams {
    tracking_number: String,
    reference: String,
    recipient: String,
    from: String,
    to: String,
    carrier: String,
    status: String,
    cursor: String,
}

fn given(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A `YYYY-MM-DD` field as the instant its day starts (UTC).
fn day(s: &str, field: &str) -> Result<Option<OffsetDateTime>, Error> {
    let Some(s) = given(s) else {
        return Ok(None);
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(&s, format)
        .map(|d| Some(d.midnight().assume_utc()))
        .map_err(|_| Error::field(field, "a date as YYYY-MM-DD"))
}

impl SearchParams {
    /// The store's search and the cursor, or the field that is wrong. `to` is inclusive (the
    /// whole day); the recipient is folded as the index keeps it (A-Z lower-cased).
    fn search(&self) -> Result<(ShipmentSearch, Option<SearchCursor>), Error> {
        // Every wrong field at once, as the API's problems list them.
        fn keep<T>(problems: &mut Vec<FieldProblem>, r: Result<Option<T>, Error>) -> Option<T> {
            match r {
                Ok(v) => v,
                Err(Error::Validation(mut p)) => {
                    problems.append(&mut p);
                    None
                }
                Err(_) => None,
            }
        }
        let mut problems = Vec::new();
        let since = keep(&mut problems, day(&self.from, "/query/from"));
        let until =
            keep(&mut problems, day(&self.to, "/query/to")).map(|d| d + time::Duration::DAY);
        if let (Some(a), Some(b)) = (since, until)
            && a >= b
        {
            keep(
                &mut problems,
                Err::<Option<()>, _>(Error::field("/query/to", "must not be before `from`")),
            );
        }
        let status = keep(
            &mut problems,
            given(&self.status)
                .map(|s| {
                    s.parse::<ShipmentStatus>().map_err(|_| {
                        Error::field("/query/status", "purchased, voided or void_requested")
                    })
                })
                .transpose(),
        );
        let cursor = keep(
            &mut problems,
            given(&self.cursor)
                .map(|c| {
                    SearchCursor::decode(&c)
                        .ok_or_else(|| Error::field("/query/cursor", "not a cursor of this search"))
                })
                .transpose(),
        );
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        let q = ShipmentSearch {
            tracking_number: given(&self.tracking_number),
            reference: given(&self.reference),
            recipient: given(&self.recipient).map(|r| r.to_ascii_lowercase()),
            carrier: given(&self.carrier),
            status,
            since: since.map(millis),
            until: until.map(millis),
        };
        Ok((q, cursor))
    }

    /// This search's filters as a query string (no cursor).
    fn query(&self) -> String {
        [
            ("tracking_number", &self.tracking_number),
            ("reference", &self.reference),
            ("recipient", &self.recipient),
            ("from", &self.from),
            ("to", &self.to),
            ("carrier", &self.carrier),
            ("status", &self.status),
        ]
        .into_iter()
        .filter_map(|(k, v)| given(v).map(|v| format!("{k}={}", fmt::url_encode(&v))))
        .collect::<Vec<_>>()
        .join("&")
    }

    /// This search's URL with `cursor` for its next page.
    fn next_href(&self, cursor: &SearchCursor) -> String {
        let q = self.query();
        let and = if q.is_empty() { "" } else { "&" };
        format!("/console/shipments?{q}{and}cursor={}", cursor.encode())
    }
}

fn status_badge(s: ShipmentStatus) -> Markup {
    let class = match s {
        ShipmentStatus::Purchased => "badge ok",
        ShipmentStatus::Voided => "badge bad",
        ShipmentStatus::VoidRequested => "badge warn",
    };
    html! { span class=(class) { (s.as_str()) } }
}

/// The service's name as its carrier calls it (its code when the carrier is unknown).
fn service_name(app: &AppState, s: &ShipmentRecord) -> String {
    app.carriers
        .entry(s.carrier.as_str())
        .and_then(|e| e.capabilities.service(&s.service_code))
        .map_or_else(|| s.service_code.clone(), |x| x.name.to_string())
}

/// A unit or status as the API spells it.
fn wire<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn recipient(s: &ShipmentRecord) -> String {
    s.request
        .options_and_destination()
        .ok()
        .and_then(|(_, to)| to)
        .map(|a| a.name)
        .unwrap_or_default()
}

/// The detail of the problem at `/query/{name}`, if any.
fn problem_at<'a>(problems: &'a [FieldProblem], name: &str) -> Option<&'a str> {
    problems
        .iter()
        .find(|p| p.pointer.strip_prefix("/query/") == Some(name))
        .map(|p| p.detail.as_str())
}

/// A search field, with its problem beside it (as `app.js` shows an API's).
fn field(
    label: &str,
    hint: Option<&str>,
    name: &str,
    kind: &str,
    value: &str,
    problems: &[FieldProblem],
) -> Markup {
    let err = problem_at(problems, name);
    let err_id = format!("{name}-error");
    html! {
        label {
            (label)
            @if let Some(h) = hint { span class="hint" { (h) } }
            input type=(kind) name=(name) value=(value) autocomplete="off"
                aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| &err_id)];
        }
        @if let Some(e) = err { p class="field-error" id=(err_id) { (e) } }
    }
}

async fn search(State(app): State<AppState>, op: Operator, Query(p): Query<SearchParams>) -> Page {
    let tenant = &op.0.tenant;
    // A wrong field is shown on the form beside the field, with no results.
    let (parsed, problems) = match p.search() {
        Ok(v) => (Some(v), Vec::new()),
        Err(Error::Validation(problems)) => (None, problems),
        Err(e) => return Err(e.into()),
    };
    let (rows, next, cursor) = match parsed {
        Some((q, cursor)) => {
            let (rows, next) = app
                .store
                .search_shipments(tenant, &q, cursor.as_ref(), PAGE)
                .await?;
            (rows, next, cursor)
        }
        None => (Vec::new(), None, None),
    };
    let mut carriers: Vec<String> = app
        .store
        .list_accounts(tenant)
        .await?
        .into_iter()
        .map(|a| a.carrier)
        .collect();
    carriers.sort();
    carriers.dedup();
    let shown = ["tracking_number", "reference", "recipient", "from", "to"];
    let elsewhere: Vec<&FieldProblem> = problems
        .iter()
        .filter(|pr| {
            !shown
                .iter()
                .any(|n| pr.pointer.strip_prefix("/query/") == Some(n))
        })
        .collect();
    let body = html! {
        @if op.can(Permission::Buy) {
            p class="actions" { a class="button" href="/console/shipments/new" { "Buy a shipment" } }
        }
        form class="stack" method="get" action="/console/shipments" role="search" aria-label="Search shipments" {
            @if !elsewhere.is_empty() {
                p class="form-error" role="alert" {
                    @for pr in &elsewhere { code { (pr.pointer) } " " (pr.detail) " " }
                }
            }
            div class="grid" {
                (field("Tracking number", Some("exact"), "tracking_number", "text", &p.tracking_number, &problems))
                (field("Reference", Some("exact"), "reference", "text", &p.reference, &problems))
                (field("Recipient name", Some("starts with (A–Z ignore case); listed by name, newest first within a name"),
                    "recipient", "text", &p.recipient, &problems))
                (field("Created from", None, "from", "date", &p.from, &problems))
                (field("Created to", Some("inclusive"), "to", "date", &p.to, &problems))
                label { "Carrier"
                    select name="carrier" {
                        option value="" { "Any" }
                        @for c in &carriers {
                            option value=(c) selected[p.carrier == *c] { (c) }
                        }
                    }
                }
                label { "Status"
                    select name="status" {
                        option value="" { "Any" }
                        @for s in ShipmentStatus::ALL {
                            option value=(s.as_str()) selected[p.status == s.as_str()] { (s.as_str()) }
                        }
                    }
                }
            }
            div class="actions" {
                button type="submit" { "Search" }
                a class="button secondary" href="/console/shipments" { "Clear" }
            }
        }
        @if !problems.is_empty() {
            p { "Correct the search to see shipments." }
        } @else if rows.is_empty() {
            p { @if cursor.is_some() { "No more shipments match." } @else { "No shipment matches." } }
        } @else {
            (layout::table(
                if cursor.is_some() { "Shipments (continued), newest first" } else { "Shipments, newest first" },
                &["Created", "Tracking number", "Reference", "Recipient", "Carrier", "Service", "Status", "Total"],
                html! {
                    @for s in &rows {
                        tr {
                            td { time datetime=(fmt::iso(s.created_at)) { (fmt::when(s.created_at)) } }
                            td { a href={ "/console/shipments/" (s.id) } { (s.tracking_number) } }
                            td { (s.reference.as_deref().unwrap_or("")) }
                            td { (recipient(s)) }
                            td { (s.carrier) }
                            td { (service_name(&app, s)) }
                            td { (status_badge(s.status)) }
                            td class="num" { (fmt::money(s.total.amount(), s.total.currency().as_str())) }
                        }
                    }
                },
            ))
        }
        nav class="pager" aria-label="Pages" {
            @if cursor.is_some() {
                a href={ "/console/shipments?" (p.query()) } { "First page" }
            }
            @if let Some(n) = &next {
                a href=(p.next_href(n)) rel="next" { "Next page" }
            }
        }
    };
    let mut res = layout::page(&op, "Shipments", "/console/shipments", &[], body);
    if !problems.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

fn address(a: &Address) -> Markup {
    html! {
        address {
            (a.name) br;
            @if let Some(c) = &a.company { (c) br; }
            @for l in &a.street { (l) br; }
            (a.city)
            @if let Some(s) = &a.state { ", " (s) }
            @if let Some(p) = &a.postal_code { " " (p) }
            br;
            (a.country.as_str())
        }
    }
}

fn parcel(p: &Parcel) -> String {
    let w = &p.weight;
    let mut s = format!("{} {}", w.value(), wire(&w.unit()));
    if let Some(d) = &p.dimensions {
        s.push_str(&format!(
            ", {} × {} × {} {}",
            d.length(),
            d.width(),
            d.height(),
            wire(&d.unit())
        ));
    }
    s
}

fn stations_select(stations: &[StationRecord]) -> Markup {
    html! {
        @for st in stations {
            option value=(st.id) { (st.name) " (" (st.format.as_str()) ")" }
        }
    }
}

async fn detail(State(app): State<AppState>, op: Operator, Path(id): Path<String>) -> Page {
    let tenant = &op.0.tenant;
    let s = match crate::shipments::load(&app, tenant, &id).await {
        Ok(s) => s,
        Err(Error::NotFound(_)) => return Err(not_found("shipment")),
        Err(e) => return Err(e.into()),
    };
    // A request stored in an older format that no longer reads whole still shows the rest
    // of the page (as `GET /v1/shipments/{id}` does).
    let request = s.request.decode().ok().map(|r| r.shipment);
    let to = s
        .request
        .options_and_destination()
        .ok()
        .and_then(|(_, to)| to)
        .or_else(|| request.as_ref().map(|r| r.to.clone()));
    let formats = crate::labels::served_formats(s.waybill.carrier_label);
    let documents = crate::labels::customs_documents(&s)?;
    let tracker = app.store.tracker_for_shipment(tenant, &s.id).await?;
    let scans = match &tracker {
        Some(t) => app.store.tracking_events(&t.id).await?,
        None => Vec::new(),
    };
    let tracker_id = tracker.as_ref().map(|t| t.id.as_str());
    let events = app
        .store
        .events_about(tenant, s.id.as_str(), tracker_id, EVENTS)
        .await?;
    let deliveries = app
        .store
        .deliveries_about(tenant, s.id.as_str(), tracker_id, EVENTS)
        .await?;
    let stations = if op.can(Permission::Reprint) {
        app.store.list_stations(tenant).await?
    } else {
        Vec::new()
    };
    let label = |f: LabelFormat| format!("/v1/shipments/{}/label?format={}", s.id, f.as_str());
    let title = format!("Shipment {}", s.tracking_number);
    let body = html! {
        p { a href="/console/shipments" { "← All shipments" } }
        div class="grid" {
            section aria-labelledby="facts" {
                h2 id="facts" { "Facts" }
                dl class="facts" {
                    dt { "Status" } dd id="status" { (status_badge(s.status)) }
                    dt { "Tracking number" } dd { (s.tracking_number) }
                    @if s.waybill.pieces.len() > 1 {
                        dt { "Pieces" } dd { @for p in &s.waybill.pieces { (p) " " } }
                    }
                    dt { "Reference" } dd { (s.reference.as_deref().unwrap_or("—")) }
                    dt { "Carrier" } dd { (s.carrier) }
                    dt { "Service" } dd { (service_name(&app, &s)) }
                    dt { "Price" } dd { (fmt::money(s.total.amount(), s.total.currency().as_str())) }
                    dt { "Bought" } dd { time datetime=(fmt::iso(s.created_at)) { (fmt::when(s.created_at)) } }
                    @if let Some(v) = s.voided_at {
                        dt { "Voided" } dd { time datetime=(fmt::iso(v)) { (fmt::when(v)) } }
                    }
                    @if s.link.is_return { dt { "Kind" } dd { "Return label" } }
                    @if let Some(r) = &request {
                        dt { "From" } dd { (address(&r.from)) }
                    }
                    @if let Some(to) = &to {
                        dt { "To" } dd { (address(to)) }
                    }
                    @if let Some(r) = &request {
                        dt { "Parcels" }
                        dd { ol { @for p in &r.parcels { li { (parcel(p)) } } } }
                    }
                    @if !s.waybill.breakdown.is_empty() {
                        dt { "Charges" }
                        dd { ul { @for c in &s.waybill.breakdown {
                            li { (c.description) ": " (fmt::money(c.amount.amount(), c.amount.currency().as_str())) }
                        } } }
                    }
                }
            }
            section aria-labelledby="label" {
                h2 id="label" { "Label" }
                @if formats.contains(&LabelFormat::Png) {
                    img class="label-preview" id="label-preview" src=(label(LabelFormat::Png))
                        alt={ "Shipping label for " (s.tracking_number) } width="400";
                } @else {
                    p class="muted" { "This carrier's label has no PNG rendition to preview." }
                }
                p class="actions" {
                    @for f in formats {
                        a class="button secondary" href=(label(*f)) download data-format=(f.as_str()) {
                            "Download " (f.as_str().to_uppercase())
                        }
                    }
                }
                @if !documents.is_empty() {
                    h3 { "Customs documents" }
                    ul {
                        @for d in &documents {
                            li { a href={ "/v1/shipments/" (s.id) "/documents/" (d.as_str()) } download {
                                (d.as_str().replace('_', " ")) " (PDF)"
                            } }
                        }
                    }
                }
                @if op.can(Permission::Reprint) {
                    h3 { "Reprint" }
                    @if stations.is_empty() {
                        p class="muted" { "No print station is registered." }
                    } @else {
                        form class="inline" id="reprint" data-api="/v1/print-jobs" data-done="Queued as print job {id}." {
                            input type="hidden" name="shipment_id" value=(s.id);
                            label { "Print station"
                                select name="station_id" { (stations_select(&stations)) }
                            }
                            button type="submit" { "Reprint" }
                            p class="notice" role="status" data-result {}
                        }
                    }
                }
                @if op.can(Permission::Void) && s.status == ShipmentStatus::Purchased {
                    h3 { "Void" }
                    div data-region {
                        button type="button" class="danger" id="void"
                            data-api={ "/v1/shipments/" (s.id) "/void" }
                            data-confirm={ "Void " (s.tracking_number) "? The carrier cancels the label." }
                            data-then="reload" { "Void this label" }
                    }
                }
            }
        }
        section aria-labelledby="tracking" {
            h2 id="tracking" { "Tracking" }
            @match &tracker {
                None => p class="muted" { "No tracker follows this shipment." },
                Some(t) => {
                    p { "Status: " strong { (wire(&t.status)) }
                        @if let Some(d) = &t.estimated_delivery { " · estimated delivery " (d) }
                        @if let Some(c) = t.last_checked_at { " · last checked " (fmt::when(c)) } }
                    @if scans.is_empty() {
                        p class="muted" { "No scan yet." }
                    } @else {
                        ol class="timeline" aria-label="Tracking timeline, newest first" {
                            @for e in scans.iter().rev() {
                                li {
                                    time datetime=(fmt::iso(e.occurred_at)) { (fmt::when(e.occurred_at)) }
                                    " · " strong { (wire(&e.status)) } " · " (e.description)
                                    @if let Some(l) = &e.location { @if let Some(c) = &l.city { " · " (c) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="events" {
            h2 id="events" { "Events" }
            @if events.is_empty() {
                p class="muted" { "No event recorded." }
            } @else {
                (layout::table("Events of this shipment and its tracker (the latest 100), oldest first", &["When", "Type", "Event"], html! {
                    @for e in &events {
                        tr {
                            td { time datetime=(fmt::iso(e.created_at)) { (fmt::when(e.created_at)) } }
                            td { (e.kind.as_str()) }
                            td { code { (e.id) } }
                        }
                    }
                }))
            }
            h3 { "Webhook deliveries" }
            @if deliveries.is_empty() {
                p class="muted" { "These events made no webhook delivery." }
            } @else {
                (layout::table("Webhook deliveries of these events (the latest 100), newest event first", &["Event", "Endpoint", "Status", "Attempts", "Last answer", "Updated"], html! {
                    @for d in &deliveries {
                        tr {
                            td { (d.event_type.as_str()) }
                            td { (d.endpoint_url) }
                            td { (d.status) }
                            td class="num" { (d.attempts) }
                            td { @if let Some(c) = d.last_status_code { (c) } @else if let Some(e) = &d.last_error { (e) } @else { "—" } }
                            td { (fmt::when(d.updated_at)) }
                        }
                    }
                }))
            }
        }
    };
    Ok(layout::page(&op, &title, "/console/shipments", &[], body))
}

fn address_fields(prefix: &str, legend: &str, us_default: bool) -> Markup {
    let n = |f: &str| format!("{prefix}.{f}");
    html! {
        fieldset {
            legend { (legend) }
            label { "Name" input name=(n("name")) required maxlength="35" autocomplete="off"; }
            label { "Company" span class="hint" { "optional" } input name=(n("company")) maxlength="35"; }
            label { "Street" input name=(n("street.0")) required maxlength="35"; }
            label { "City" input name=(n("city")) required maxlength="30"; }
            label { "State or province" span class="hint" { "where the country has them" } input name=(n("state")) maxlength="12"; }
            label { "Postal code" input name=(n("postal_code")) maxlength="10"; }
            label { "Country" span class="hint" { "two letters, e.g. US" }
                input name=(n("country")) required maxlength="2" size="2" value=[us_default.then_some("US")]; }
            label { "Phone" span class="hint" { "optional; required for China" } input name=(n("phone")) type="tel"; }
        }
    }
}

async fn new(State(app): State<AppState>, op: Operator) -> Page {
    op.require(Permission::Buy)?;
    let stations = app.store.list_stations(&op.0.tenant).await?;
    let idem = uuid::Uuid::now_v7().to_string();
    let body = html! {
        p { "Fill in the parcel: rates appear as you type. Pick one and buy; the label is bought at once." }
        form id="buy" class="stack" data-idem=(idem) novalidate {
            (address_fields("from", "Ship from", true))
            (address_fields("to", "Ship to", true))
            fieldset {
                legend { "Parcel" }
                div class="grid" {
                    label { "Weight" input name="parcels.0.weight.value" required inputmode="decimal"; }
                    label { "Weight unit"
                        select name="parcels.0.weight.unit" { option value="kg" { "kg" } option value="lb" { "lb" } } }
                    label { "Length" span class="hint" { "optional" } input name="parcels.0.dimensions.length" inputmode="decimal"; }
                    label { "Width" span class="hint" { "optional" } input name="parcels.0.dimensions.width" inputmode="decimal"; }
                    label { "Height" span class="hint" { "optional" } input name="parcels.0.dimensions.height" inputmode="decimal"; }
                    label { "Dimension unit"
                        select name="parcels.0.dimensions.unit" { option value="cm" { "cm" } option value="in" { "in" } } }
                }
            }
            fieldset {
                legend { "Order" }
                label { "Reference" span class="hint" { "your order number, printed on the label (at most 35 characters)" }
                    input name="reference" maxlength="35" data-buy-only; }
                label { "Label format"
                    select name="label_format" data-buy-only {
                        option value="pdf" { "PDF" } option value="zpl" { "ZPL" } option value="png" { "PNG" }
                    }
                }
                label { "Print on" span class="hint" { "optional: a print station prints the label once bought" }
                    select name="print_station" data-buy-only {
                        option value="" { "Do not print" }
                        (stations_select(&stations))
                    }
                }
            }
            fieldset {
                legend { "Rates" }
                label { "Rank by"
                    select name="strategy" data-rate-only {
                        option value="cheapest" { "Cheapest" }
                        option value="fastest" { "Fastest" }
                        option value="best_value" { "Best value (price and speed)" }
                        option value="deliver_by" { "Deliver by a date" }
                        option value="on_time" { "On-time record" }
                    }
                }
                // `hidden` on a wrapper: the grid's own `display` would override it.
                div data-strategy="deliver_by" hidden { div class="grid" {
                    label { "Deliver by" input type="date" name="deliver_by.date" data-rate-only; }
                    label { "Confidence" span class="hint" { "share of parcels on time, 0 to 1" }
                        input name="deliver_by.confidence" value="0.9" data-kind="number" data-rate-only inputmode="decimal"; }
                } }
                div data-strategy="on_time" hidden { div class="grid" {
                    label { "Lowest on-time rate" span class="hint" { "0 to 1" }
                        input name="on_time.threshold" value="0.95" data-kind="number" data-rate-only inputmode="decimal"; }
                } }
                div id="rates" aria-live="polite" {
                    p class="muted" id="rates-state" { "Rates appear once both addresses and the weight are filled in." }
                }
            }
            p class="form-error" role="alert" {}
            div class="actions" { button type="submit" id="buy-submit" { "Buy label" } }
        }
    };
    Ok(layout::page(
        &op,
        "Buy a shipment",
        "/console/shipments",
        &["shipments.js"],
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_reads_its_fields() {
        let p = SearchParams {
            tracking_number: " 1Z999 ".into(),
            recipient: "Jane Ö".into(),
            from: "2026-12-01".into(),
            to: "2026-12-01".into(),
            status: "voided".into(),
            ..Default::default()
        };
        let (q, cursor) = p.search().unwrap();
        assert_eq!(cursor, None);
        assert_eq!(q.tracking_number.as_deref(), Some("1Z999"));
        assert_eq!(q.reference, None);
        assert_eq!(q.recipient.as_deref(), Some("jane Ö"));
        assert_eq!(q.status, Some(ShipmentStatus::Voided));
        // `to` is the whole day.
        assert_eq!(q.until.unwrap() - q.since.unwrap(), 86_400_000);
    }

    #[test]
    fn a_wrong_field_is_named() {
        let wrong = |p: SearchParams, field: &str| {
            let Err(Error::Validation(problems)) = p.search() else {
                panic!("{field} accepted");
            };
            assert_eq!(problems[0].pointer, field);
        };
        wrong(
            SearchParams {
                from: "1.12.2026".into(),
                ..Default::default()
            },
            "/query/from",
        );
        wrong(
            SearchParams {
                from: "2026-12-02".into(),
                to: "2026-12-01".into(),
                ..Default::default()
            },
            "/query/to",
        );
        wrong(
            SearchParams {
                status: "lost".into(),
                ..Default::default()
            },
            "/query/status",
        );
        wrong(
            SearchParams {
                cursor: "page-2".into(),
                ..Default::default()
            },
            "/query/cursor",
        );
    }

    #[test]
    fn every_wrong_field_is_named_at_once() {
        let p = SearchParams {
            from: "x".into(),
            status: "lost".into(),
            cursor: "y".into(),
            ..Default::default()
        };
        let Err(Error::Validation(problems)) = p.search() else {
            panic!("accepted");
        };
        let at: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(at, ["/query/from", "/query/status", "/query/cursor"]);
    }

    #[test]
    fn the_next_page_keeps_the_search() {
        let p = SearchParams {
            reference: "A&B".into(),
            carrier: "ups".into(),
            cursor: "old".into(),
            ..Default::default()
        };
        let c = SearchCursor {
            name: None,
            created_at: 7,
            id: "shp_0123456789abcdef0123456789abcdef".into(),
        };
        assert_eq!(
            p.next_href(&c),
            "/console/shipments?reference=A%26B&carrier=ups&cursor=7.shp_0123456789abcdef0123456789abcdef"
        );
        assert_eq!(p.query(), "reference=A%26B&carrier=ups");
    }
}
