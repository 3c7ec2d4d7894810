//! Shipments over HTTP: buy (`POST /v1/shipments`, idempotent), read, list (cursor), void,
//! track live, and fetch the label and customs documents. The work is the domain's
//! (`crate::shipments`, `crate::labels`); here the wire types, and the answers drawn from
//! the records.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{
    Address, Charge, CustomsDeclaration, LabelFormat, Money, Parcel, ServiceClass, ShipmentOptions,
    TrackingNumber,
};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::label_options::{Resolution, StockName};
use super::problem::Problem;
use super::responses::*;
use crate::error::Error;
use crate::ids::ShipmentId;
use crate::labels::{self, CustomsDocument};
use crate::shipments::{self, Change, Key};
use crate::state::AppState;
use crate::store::{IdemCompletion, ShipmentRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_shipment, list_shipments))
        .routes(routes!(get_shipment))
        .routes(routes!(void_shipment))
        .routes(routes!(get_label))
        .routes(routes!(get_tracking))
        .routes(routes!(get_customs_document))
}

/// A purchase: the shipment as it was rated plus the choice made from its quotes. Every
/// field is spelled out (no `flatten`), so the body is closed at every level: an unknown field
/// anywhere is a 422 that names it, never silently a plain outbound label.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentIn {
    /// Origin.
    from: Address,
    /// Destination.
    to: Address,
    /// One to 50 packages.
    #[schema(min_items = 1, max_items = 50)]
    parcels: Vec<Parcel>,
    /// Required when origin and destination are in different customs territories.
    #[serde(default)]
    customs: Option<CustomsDeclaration>,
    /// Planned ship date; today when absent.
    #[serde(default)]
    ship_date: Option<Date>,
    /// Signature, Saturday delivery, declared value and the other options to buy.
    #[serde(default)]
    options: ShipmentOptions,
    /// The carrier account to buy on (from a quote). Required unless `strategy` is given.
    #[serde(default)]
    carrier_account: Option<String>,
    /// Service code (from a quote). Required unless `strategy` is given.
    #[serde(default)]
    service: Option<String>,
    /// Rate and buy in one call: rate-shop under the tenant's routing rules and buy the quote
    /// this strategy ranks first (instead of `carrier_account` and `service`). The quotes
    /// shown are kept with the purchase (`GET /v1/shipments/{id}/quotes`).
    #[serde(default)]
    strategy: Option<super::rates::Strategy>,
    /// Required by the `deliver_by` strategy.
    #[serde(default)]
    deliver_by: Option<super::rates::DeliverByIn>,
    /// Required by the `on_time` strategy.
    #[serde(default)]
    on_time: Option<super::rates::OnTimeIn>,
    /// The order's tags, for routing rules that match on them.
    #[serde(default)]
    #[schema(max_items = 50)]
    tags: Vec<String>,
    #[serde(default)]
    label_format: LabelFormat,
    /// Your reference (order number); printed on the label. At most 35 characters (UPS
    /// `ReferenceNumber.Value`).
    #[serde(default)]
    #[schema(max_length = 35)]
    reference: Option<String>,
    /// Print the label on this print station once bought, in the station's printer language,
    /// on its stock at its resolution.
    #[serde(default)]
    print_station: Option<String>,
    /// Check `to` with a carrier first (as `POST /v1/addresses/verify`; the purchase's account
    /// when its carrier validates addresses, else the tenant's default validating account):
    /// `undeliverable` is a 422 on `/to` and nothing is bought; `deliverable` and
    /// `deliverable_with_corrections` buy with the carrier's standardized address (shown in
    /// `to`); `unknown` buys with the address as given.
    #[serde(default)]
    verify: bool,
    /// A return label: `from` is the customer sending the parcel back, `to` the shipper's
    /// return address. Carriers that bill returns when used (scan-based, as the sandbox)
    /// answer a total of 0.
    #[serde(default)]
    is_return: bool,
    /// Also buy the return label (from `to` back to `from`, same parcels and service, no
    /// options), recorded with the outbound shipment and answered in `return_shipment`. If the
    /// return cannot be bought, the outbound stays bought and `return_error` says why (buy the
    /// return later with `is_return`). One `Idempotency-Key` covers both.
    #[serde(default)]
    return_label: bool,
}

impl ShipmentIn {
    /// The purchase, as the domain buys it.
    fn order(self) -> shipments::Order {
        shipments::Order {
            shipment: shiphub_carriers::model::RateRequest {
                from: self.from,
                to: self.to,
                parcels: self.parcels,
                customs: self.customs,
                ship_date: self.ship_date,
                options: self.options,
            },
            carrier_account: self.carrier_account.unwrap_or_default(),
            service: self.service.unwrap_or_default(),
            label_format: self.label_format,
            reference: self.reference,
            print_station: self.print_station,
            verify: self.verify,
            is_return: self.is_return,
            return_label: self.return_label,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ServiceOut {
    code: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    class: Option<ServiceClass>,
}

#[derive(Serialize, ToSchema)]
pub struct LabelLinks {
    /// The format bought; always available.
    format: LabelFormat,
    /// Where to fetch the label in the bought format.
    url: String,
    /// Every format this label can be fetched in.
    #[schema(value_type = Object)]
    formats: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct ShipmentOut {
    id: String,
    carrier_account: String,
    carrier: String,
    service: ServiceOut,
    /// `purchased`, `voided`, or `void_requested` (the carrier could not confirm a void).
    status: String,
    tracking_number: String,
    /// Per-piece tracking numbers.
    #[schema(value_type = Vec<String>)]
    pieces: Vec<TrackingNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    total: Money,
    breakdown: Vec<Charge>,
    label: LabelLinks,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    voided_at: Option<OffsetDateTime>,
    /// The print job queued with the purchase (`print_station`), in the purchase's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    print_job: Option<String>,
    /// In a `202` void answer: the carrier has not confirmed the void (yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    void: Option<VoidOut>,
    /// The customs documents drawn from the shipment's customs declaration (absent when
    /// it has none): `commercial_invoice`, `cn23`, and `cn22` when the items fit one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    documents: Vec<DocumentLink>,
    /// The options bought (absent: none).
    #[serde(skip_serializing_if = "ShipmentOptions::is_empty")]
    options: ShipmentOptions,
    /// The destination as bought (after `verify`, the carrier's standardized address).
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<Address>,
    /// A return label.
    is_return: bool,
    /// On an outbound shipment bought with its return label: the return's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    return_shipment_id: Option<String>,
    /// On a return label bought with its outbound shipment: the outbound's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    outbound_shipment_id: Option<String>,
    /// In the answer to a purchase with `return_label`: the return shipment bought with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    return_shipment: Option<Box<ShipmentOut>>,
    /// In the answer to a purchase with `return_label`: why the return label could not be
    /// bought (the outbound label was bought and is kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    return_error: Option<Problem>,
}

/// A document of the shipment other than its label.
#[derive(Serialize, ToSchema)]
pub struct DocumentLink {
    #[serde(rename = "type")]
    kind: DocumentKind,
    /// Where to fetch it (PDF).
    url: String,
}

/// The customs documents `GET /v1/shipments/{id}/documents/{kind}` draws.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    CommercialInvoice,
    Cn23,
    Cn22,
}

impl From<CustomsDocument> for DocumentKind {
    fn from(d: CustomsDocument) -> Self {
        match d {
            CustomsDocument::CommercialInvoice => DocumentKind::CommercialInvoice,
            CustomsDocument::Cn23 => DocumentKind::Cn23,
            CustomsDocument::Cn22 => DocumentKind::Cn22,
        }
    }
}

/// Links to the documents `get_customs_document` serves for this shipment.
fn document_links(s: &ShipmentRecord) -> Result<Vec<DocumentLink>, Error> {
    Ok(labels::customs_documents(s)?
        .into_iter()
        .map(|d| DocumentLink {
            kind: d.into(),
            url: format!("/v1/shipments/{}/documents/{}", s.id, d.as_str()),
        })
        .collect())
}

#[derive(Serialize, ToSchema)]
pub struct VoidOut {
    /// Always false: a confirmed void answers `200` with status `voided`.
    confirmed: bool,
    /// The carrier's words (a refund under review, no cancel API).
    detail: String,
}

/// The carrier's live tracking answer, and the shipment's tracker after recording it.
#[derive(Serialize, ToSchema)]
pub struct ShipmentTrackingOut {
    #[serde(flatten)]
    result: shiphub_carriers::model::TrackingResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracker: Option<crate::tracking::TrackerOut>,
}

fn shipment_out(app: &AppState, s: &ShipmentRecord) -> Result<ShipmentOut, Error> {
    let bought = s.label_format;
    let (options, to) = s.request.options_and_destination()?;
    let url = |f: LabelFormat| format!("/v1/shipments/{}/label?format={}", s.id, f.as_str());
    let service = app
        .carriers
        .entry(s.carrier.as_str())
        .and_then(|e| e.capabilities.service(&s.service_code));
    Ok(ShipmentOut {
        id: s.id.to_string(),
        carrier_account: s.carrier_account_id.to_string(),
        carrier: s.carrier.to_string(),
        service: ServiceOut {
            code: s.service_code.clone(),
            name: service.map_or_else(|| s.service_code.clone(), |x| x.name.to_string()),
            class: service.map(|x| x.class),
        },
        status: s.status.as_str().to_string(),
        tracking_number: s.tracking_number.to_string(),
        pieces: s.waybill.pieces.clone(),
        reference: s.reference.clone(),
        total: s.total,
        breakdown: s.waybill.breakdown.clone(),
        label: LabelLinks {
            format: bought,
            url: url(bought),
            formats: labels::served_formats(s.waybill.carrier_label)
                .iter()
                .map(|f| (f.as_str().to_string(), serde_json::Value::String(url(*f))))
                .collect(),
        },
        created_at: s.created_at,
        voided_at: s.voided_at,
        print_job: None,
        void: None,
        documents: document_links(s)?,
        options,
        to,
        is_return: s.link.is_return,
        return_shipment_id: s.link.return_id.as_ref().map(|i| i.to_string()),
        outbound_shipment_id: s.link.return_for.as_ref().map(|i| i.to_string()),
        return_shipment: None,
        return_error: None,
    })
}

/// The answer to a change of a shipment (stored on its key, carried by its event): the
/// shipment as `GET` shows it, with what the change adds.
pub(crate) fn answer(
    app: &AppState,
    s: &ShipmentRecord,
    change: Change<'_>,
) -> Result<Answer, Error> {
    let out = shipment_out(app, s)?;
    Ok(match change {
        Change::Bought {
            job,
            returned,
            return_error,
        } => Answer::json(
            StatusCode::CREATED,
            &ShipmentOut {
                print_job: job.map(|j| j.id.to_string()),
                return_shipment: returned
                    .map(|r| shipment_out(app, r).map(Box::new))
                    .transpose()?,
                return_error: return_error.map(|e| e.problem().1),
                ..out
            },
        ),
        Change::VoidRequested { detail } => Answer::json(
            StatusCode::ACCEPTED,
            &ShipmentOut {
                void: Some(VoidOut {
                    confirmed: false,
                    detail,
                }),
                ..out
            },
        ),
        Change::Voided => Answer::json(StatusCode::OK, &out),
    })
}

impl shipments::Answer for Answer {
    fn value(&self) -> serde_json::Value {
        Answer::value(self)
    }
    fn completion(&self, key: Key<'_>) -> IdemCompletion {
        IdemCompletion {
            key: key.key.to_string(),
            owner: key.owner.to_string(),
            status: self.status.as_u16(),
            body: self.body.clone(),
        }
    }
}

/// The key a request owns, as the domain takes it.
fn key(owned: &OwnedKey) -> Option<Key<'_>> {
    owned.as_ref().map(|c| Key {
        key: &c.key,
        owner: &c.owner,
    })
}

/// Buys a waybill and label. Honours `Idempotency-Key`: a retry with the same key and body
/// returns the same shipment without buying again; the same key with another body is a 422.
#[utoipa::path(post, path = "/v1/shipments", tag = "shipments", request_body = ShipmentIn,
    params(IdempotencyKey),
    responses(
        (status = 201, body = ShipmentOut, description = "bought (or, for a retried key, the first purchase's answer)"),
        Auth, Idempotent, BadBody, CarrierFailure,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid input, the carrier rejected it, or the Idempotency-Key was used for another request"),
        (status = 500, body = Problem, content_type = "application/problem+json", description = "`purchase-unrecorded`: the label was bought but could not be recorded; do not retry with a new key"),
    ))]
async fn create_shipment(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<ShipmentIn>,
) -> Response {
    debug_assert_eq!(
        req.scope(),
        BUY_SCOPE,
        "recovery finds purchases by this scope"
    );
    req.run(
        app,
        tenant,
        |app, tenant, body: ShipmentIn, owned| async move {
            let Some(strategy) = body.strategy else {
                if body.carrier_account.is_none() {
                    return Err(Error::field(
                        "/carrier_account",
                        "required unless `strategy` chooses the quote",
                    ));
                }
                if body.service.is_none() {
                    return Err(Error::field(
                        "/service",
                        "required unless `strategy` chooses the quote",
                    ));
                }
                return shipments::buy_now(&app, &tenant, body.order(), key(&owned), answer).await;
            };
            buy_by_strategy(&app, &tenant, strategy, body, &owned).await
        },
    )
    .await
}

/// Rate-and-buy: routes the shipment, buys the quote ranked first (when it qualifies), and
/// keeps the quotes shown with the purchase. Runs under the purchase's idempotency key, so a
/// retry replays the first answer and never rates or buys again.
async fn buy_by_strategy(
    app: &AppState,
    tenant: &crate::ids::TenantId,
    strategy: super::rates::Strategy,
    mut body: ShipmentIn,
    owned: &OwnedKey,
) -> Result<Answer, Error> {
    for (given, field) in [
        (body.carrier_account.is_some(), "/carrier_account"),
        (body.service.is_some(), "/service"),
    ] {
        if given {
            return Err(Error::field(
                field,
                "not allowed with `strategy`: the strategy chooses the quote",
            ));
        }
    }
    let choice = super::rates::choice(strategy, body.deliver_by, body.on_time)?;
    let shipment = shiphub_carriers::model::RateRequest {
        from: body.from.clone(),
        to: body.to.clone(),
        parcels: body.parcels.clone(),
        customs: body.customs.clone(),
        ship_date: body.ship_date,
        options: body.options.clone(),
    };
    let asked = crate::rates::Shop {
        shipment,
        carrier_accounts: None,
        services: None,
        strategy: strategy.into(),
        deadline: None,
    };
    let now = OffsetDateTime::now_utc();
    let routed = crate::routing::choose::route(app, tenant, asked, choice, &body.tags, now).await?;
    let Some(chosen) = routed.chosen() else {
        let why = routed
            .quotes
            .first()
            .map_or("no carrier quoted".to_string(), |q| q.reason.clone());
        return Err(Error::field(
            "/strategy",
            format!("no quote qualifies: {why}"),
        ));
    };
    body.carrier_account = Some(chosen.quote.account.to_string());
    body.service = Some(chosen.quote.quote.service.code.clone());
    // A rule may have required a signature: buy what was rated.
    if routed.request_rules.iter().any(|r| r.effect == "signature")
        && body.options.signature.is_none()
    {
        body.options.signature = Some(shiphub_carriers::model::SignatureConfirmation::Direct);
    }
    let kept = crate::routing::choose::kept_quotes(&routed, choice);
    let shown = serde_json::to_string(&super::rates::rates_out(routed).quotes_json())
        .map_err(|e| Error::Internal(e.to_string()))?;
    let bought = shipments::buy_now(app, tenant, body.order(), key(owned), answer).await?;
    if let (Some(id), Some(kept)) = (
        shipments::Answer::value(&bought)
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        kept,
    ) {
        // After the purchase: a crash between the two loses only the kept quotes (the cost
        // report then counts this parcel without a comparison), never the purchase.
        app.store
            .insert_purchase_quotes(
                tenant,
                &crate::store::routing::PurchaseQuotes {
                    shipment_id: id,
                    strategy: choice.name().to_string(),
                    chosen: kept.chosen.to_string(),
                    cheapest: kept.cheapest.to_string(),
                    fastest: kept.fastest.to_string(),
                    currency: kept.currency,
                    quotes: shown,
                    created_at: now,
                },
            )
            .await?;
    }
    Ok(bought)
}

/// The scope of a purchase on its idempotency key.
pub(crate) const BUY_SCOPE: &str = "POST /v1/shipments";

/// One shipment.
#[utoipa::path(get, path = "/v1/shipments/{id}", tag = "shipments", params(("id" = String, Path)),
    responses((status = 200, body = ShipmentOut), Auth, Missing))]
async fn get_shipment(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<ShipmentOut>, Error> {
    let s = shipments::load(&app, &tenant, &id).await?;
    Ok(axum::Json(shipment_out(&app, &s)?))
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// `next_cursor` from the previous page.
    #[param(pattern = "^shp_[0-9a-f]{32}$")]
    cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// Shipments, newest first.
#[utoipa::path(get, path = "/v1/shipments", tag = "shipments", params(ListParams),
    responses((status = 200, body = inline(List<ShipmentOut>)), Auth, BadQuery))]
async fn list_shipments(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<List<ShipmentOut>>, Error> {
    let limit = super::page_limit(p.limit, 20)?;
    let cursor = super::page_cursor(p.cursor.as_deref(), ShipmentId::parse)?;
    let rows = shipments::list(&app, &tenant, cursor.as_ref(), limit + 1).await?;
    let (rows, next_cursor) = super::split_page(rows, limit, |s| s.id.to_string());
    let data = rows
        .iter()
        .map(|s| shipment_out(&app, s))
        .collect::<Result<_, _>>()?;
    Ok(axum::Json(List { data, next_cursor }))
}

/// Cancels an unused waybill at the carrier. Honours `Idempotency-Key`. Where the carrier
/// cannot confirm the void the shipment becomes `void_requested` (202), not `voided`.
#[utoipa::path(post, path = "/v1/shipments/{id}/void", tag = "shipments", params(("id" = String, Path),
        IdempotencyKey),
    responses((status = 200, body = ShipmentOut, description = "voided"),
        (status = 202, body = ShipmentOut, description = "the carrier cannot confirm a void (no cancel API, or a refund under review): marked `void_requested`, with `void.detail`"),
        Auth, Missing, Idempotent, CarrierFailure,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already voided, its carrier account was removed, or a request with this key is in progress"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "the carrier refused the void, or the Idempotency-Key is invalid or was used for another request")))]
async fn void_shipment(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Path(id): Path<String>,
) -> Response {
    req.run(app, tenant, |app, tenant, _, owned| async move {
        shipments::void(&app, &tenant, &id, key(&owned), answer).await
    })
    .await
}

/// The carrier's current tracking for the shipment, asked live through the call layer and
/// recorded on the shipment's tracker (in `tracker`), exactly as a scheduled poll would be.
#[utoipa::path(get, path = "/v1/shipments/{id}/tracking", tag = "shipments", params(("id" = String, Path)),
    responses((status = 200, body = ShipmentTrackingOut), Auth, Missing, CarrierFailure,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the carrier account this shipment was bought on has been removed"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "the carrier cannot track it")))]
async fn get_tracking(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<ShipmentTrackingOut>, Error> {
    let (result, tracker) = shipments::track(&app, &tenant, &id).await?;
    Ok(axum::Json(ShipmentTrackingOut { result, tracker }))
}

/// A customs document for an international shipment, drawn from its customs declaration:
/// `cn22` (small parcels, up to 5 items), `cn23`, or `commercial_invoice` (PDF).
#[utoipa::path(get, path = "/v1/shipments/{id}/documents/{kind}", tag = "shipments",
    params(("id" = String, Path), ("kind" = String, Path, description = "cn22 | cn23 | commercial_invoice")),
    responses((status = 200, description = "the document", content(("application/pdf"))),
        Auth, Missing,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "no customs declaration, or too many items for a CN 22")))]
async fn get_customs_document(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, Error> {
    let s = shipments::load(&app, &tenant, &id).await?;
    let pdf = labels::customs_document(&s, &kind).await?;
    let mut res = pdf.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    Ok(res)
}

#[derive(Deserialize, IntoParams)]
pub struct LabelParams {
    /// `pdf`, `zpl` or `png` (default: the format bought).
    format: Option<LabelFormat>,
    /// The medium (default `4x6`; `cn_100x150` for a label the hub draws for a shipment within
    /// China); `letter-2up` and `a4-2up` are PDF only.
    stock: Option<StockName>,
    /// Printhead resolution for ZPL and PNG, 203 (default) or 300.
    dpi: Option<Resolution>,
}

/// The shipping label document, on the asked stock at the asked resolution: a PDF page is the
/// stock's size, ZPL sets `^PW`/`^LL` in the resolution's dots, a PNG is that many pixels.
#[utoipa::path(get, path = "/v1/shipments/{id}/label", tag = "shipments", params(("id" = String, Path), LabelParams),
    responses((status = 200, description = "the label, as an attachment", content(("application/pdf"), ("application/x-zpl"), ("image/png"))),
        Auth, Missing,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "the format is not available for this label or on this stock, or a parameter is invalid")))]
async fn get_label(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    Query(p): Query<LabelParams>,
) -> Result<Response, Error> {
    let s = shipments::load(&app, &tenant, &id).await?;
    let format = p.format.unwrap_or(s.label_format);
    let options = shiphub_labels::RenderOptions {
        stock: p.stock.map_or_else(|| labels::default_stock(&s), |n| n.0),
        dpi: p.dpi.unwrap_or_default().0,
        ..Default::default()
    };
    if let Some(r) = labels::refusal(&s, format, options) {
        return Err(r.at("/query/"));
    }
    let bytes = labels::document(&app, &tenant, &s, format, options).await?;
    let mut res = bytes.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    let name = format!(
        "attachment; filename=\"{}.{}\"",
        s.tracking_number,
        format.as_str()
    );
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&name).expect("tracking numbers are ASCII"),
    );
    Ok(res)
}
