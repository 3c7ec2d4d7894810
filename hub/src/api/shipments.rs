//! Shipments: buy (`POST /v1/shipments`, idempotent), read, list (cursor), void, and fetch
//! the label. Carriers that return no label document (sandbox, table rate) get one rendered
//! by `shiphub-labels` from the stored shipment, in whichever format is asked for; labels a
//! carrier returned are stored as bytes and served in that format only.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{
    Address, Charge, CustomsDeclaration, LabelFormat, Money, Parcel, RateRequest, ServiceClass,
    ShipRequest, TrackQuery, TrackingNumber, Waybill, WaybillRef,
};
use shiphub_carriers::{Capability, CarrierError};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::label_options::{LabelOptions, Resolution, StockName};
use super::problem::Problem;
use super::responses::*;
use crate::error::Error;
use crate::ids::{AccountId, DocumentId, ShipmentId, TenantId};
use crate::state::AppState;
use crate::store::{DocumentRecord, NewEvent, ShipmentRecord, StoreError};

/// Formats the hub renders itself for carriers that return no label document.
const RENDERED_FORMATS: &[LabelFormat] = &[LabelFormat::Pdf, LabelFormat::Zpl, LabelFormat::Png];

/// The format to ask the carrier for so that `wanted` can be served: `None` when the hub renders
/// labels itself (the carrier makes none), `Some(wanted)` when the carrier makes it, or a
/// format `labels` converts from locally (ZPL → PDF/PNG for ordinary printers, PNG → ZPL for
/// thermal ones). The outer `None`: no way to serve `wanted`.
///
/// Several pieces wanted as PDF/PNG are asked for as ZPL when the carrier offers it: carriers
/// return one document per piece, ZPL streams concatenate, and the conversion then yields one
/// PDF with every piece (carrier PDFs cannot be joined byte-wise).
fn carrier_format(
    offered: &[LabelFormat],
    wanted: LabelFormat,
    pieces: usize,
) -> Option<Option<LabelFormat>> {
    if offered.is_empty() {
        return RENDERED_FORMATS.contains(&wanted).then_some(None);
    }
    let joinable = wanted == LabelFormat::Zpl || pieces < 2 || !offered.contains(&LabelFormat::Zpl);
    if offered.contains(&wanted) && joinable {
        return Some(Some(wanted));
    }
    [LabelFormat::Zpl, LabelFormat::Png, LabelFormat::Pdf]
        .into_iter()
        .find(|from| offered.contains(from) && converted_formats(*from).contains(&wanted))
        .map(Some)
}

/// Formats a carrier label in `from` can be served in.
fn converted_formats(from: LabelFormat) -> &'static [LabelFormat] {
    match from {
        LabelFormat::Zpl => &[LabelFormat::Zpl, LabelFormat::Pdf, LabelFormat::Png],
        LabelFormat::Png => &[LabelFormat::Png, LabelFormat::Zpl],
        LabelFormat::Pdf => &[LabelFormat::Pdf, LabelFormat::Zpl],
    }
}

/// A stored carrier label in `to`, converted locally when the carrier's format differs.
///
/// Carrier labels are taken to be 4×6 at 203 dpi (what the adapters ask for). On those
/// options a label is served as issued (or converted as before); on any other stock or
/// resolution it is first redrawn as ZPL on the asked label stock at the asked resolution
/// (rasterized, fitted, centred: `convert`), then turned into the asked format. Sheets take
/// 4×6 labels, so a sheet's ZPL is drawn on 4×6 and placed two to a page by `zpl_to_pdf`.
fn convert_label(
    bytes: Vec<u8>,
    from: LabelFormat,
    to: LabelFormat,
    options: LabelOptions,
) -> Result<Vec<u8>, Error> {
    use shiphub_labels::convert;
    let failed = |e: shiphub_labels::LabelError| {
        Error::Internal(format!("label conversion {from:?} -> {to:?}: {e}"))
    };
    let native = shiphub_labels::RenderOptions::default();
    if options != LabelOptions::default() {
        let asked = options.render();
        // An image is turned and fitted straight onto a label stock (no ZPL round trip).
        if (from, to) == (LabelFormat::Png, LabelFormat::Png) && !asked.stock.is_sheet() {
            return convert::image_to_png(&bytes, &asked).map_err(failed);
        }
        let label_stock = shiphub_labels::RenderOptions {
            stock: if asked.stock.is_sheet() {
                shiphub_labels::Stock::In4x6
            } else {
                asked.stock
            },
            ..asked
        };
        let zpl = match from {
            LabelFormat::Zpl => {
                let mut out = Vec::new();
                for png in convert::zpl_to_png(&bytes, &native).map_err(failed)? {
                    out.extend(convert::image_to_zpl(&png, &label_stock).map_err(failed)?);
                }
                out
            }
            LabelFormat::Png => convert::image_to_zpl(&bytes, &label_stock).map_err(failed)?,
            LabelFormat::Pdf => convert::pdf_to_zpl(&bytes, &label_stock).map_err(failed)?,
        };
        return match to {
            LabelFormat::Zpl => Ok(zpl),
            LabelFormat::Pdf => convert::zpl_to_pdf(&zpl, &asked).map_err(failed),
            LabelFormat::Png => convert::zpl_to_png(&zpl, &asked)
                .map(|pages| pages.into_iter().next().unwrap_or_default())
                .map_err(failed),
        };
    }
    let converted = match (from, to) {
        // A carrier's PNG/GIF (UPS: 1400 × 800 landscape) is turned and fitted to the stock.
        (LabelFormat::Png, LabelFormat::Png) => convert::image_to_png(&bytes, &native),
        (f, t) if f == t => Ok(bytes),
        (LabelFormat::Zpl, LabelFormat::Pdf) => convert::zpl_to_pdf(&bytes, &native),
        (LabelFormat::Zpl, LabelFormat::Png) => convert::zpl_to_png(&bytes, &native)
            .map(|pages| pages.into_iter().next().unwrap_or_default()),
        (LabelFormat::Png, LabelFormat::Zpl) => convert::image_to_zpl(&bytes, &native),
        (LabelFormat::Pdf, LabelFormat::Zpl) => convert::pdf_to_zpl(&bytes, &native),
        _ => {
            return Err(Error::field(
                "/format",
                format!(
                    "the carrier issued this label as {} only",
                    format_name(from)
                ),
            ));
        }
    };
    converted.map_err(failed)
}

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
    /// The carrier account to buy on (from a quote).
    carrier_account: String,
    /// Service code (from a quote).
    service: String,
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
}

impl ShipmentIn {
    /// The shipment part, as carriers rate and ship it.
    fn shipment(&mut self) -> RateRequest {
        RateRequest {
            from: self.from.clone(),
            to: self.to.clone(),
            parcels: std::mem::take(&mut self.parcels),
            customs: self.customs.take(),
            ship_date: self.ship_date,
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

impl DocumentKind {
    fn name(self) -> &'static str {
        match self {
            DocumentKind::CommercialInvoice => "commercial_invoice",
            DocumentKind::Cn23 => "cn23",
            DocumentKind::Cn22 => "cn22",
        }
    }
}

/// The part of a stored ship request that says which customs documents exist: parsed
/// apart so listing shipments does not parse every stored request whole.
#[derive(Deserialize)]
struct StoredCustoms {
    #[serde(default)]
    customs: Option<StoredCustomsItems>,
}

#[derive(Deserialize)]
struct StoredCustomsItems {
    items: Vec<serde::de::IgnoredAny>,
}

/// Links to the documents `get_customs_document` serves for this shipment.
fn document_links(s: &ShipmentRecord) -> Result<Vec<DocumentLink>, Error> {
    let stored: StoredCustoms = serde_json::from_str(&s.request)
        .map_err(|e| Error::Internal(format!("stored request {}: {e}", s.id)))?;
    let Some(customs) = stored.customs else {
        return Ok(Vec::new());
    };
    let fits_cn22 = customs.items.len() <= shiphub_labels::customs_docs::CN22_MAX_ITEMS;
    Ok([
        DocumentKind::CommercialInvoice,
        DocumentKind::Cn23,
        DocumentKind::Cn22,
    ]
    .into_iter()
    .filter(|k| *k != DocumentKind::Cn22 || fits_cn22)
    .map(|kind| DocumentLink {
        kind,
        url: format!("/v1/shipments/{}/documents/{}", s.id, kind.name()),
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

/// What the hub keeps of a waybill: everything but the label bytes (stored as a document).
#[derive(Serialize, Deserialize)]
struct StoredWaybill {
    pieces: Vec<TrackingNumber>,
    carrier_shipment_id: String,
    breakdown: Vec<Charge>,
    warnings: Vec<String>,
    /// The carrier made the label (only that format exists), or the hub renders it.
    carrier_label: Option<LabelFormat>,
}

fn shipment_out(app: &AppState, s: &ShipmentRecord) -> Result<ShipmentOut, Error> {
    let wb: StoredWaybill = serde_json::from_str(&s.waybill)
        .map_err(|e| Error::Internal(format!("stored waybill {}: {e}", s.id)))?;
    let bought: LabelFormat =
        serde_json::from_value(serde_json::Value::String(s.label_format.clone()))
            .map_err(|e| Error::Internal(format!("stored label format {}: {e}", s.id)))?;
    let url = |f: LabelFormat| format!("/v1/shipments/{}/label?format={}", s.id, format_name(f));
    let formats = match wb.carrier_label {
        Some(f) => converted_formats(f).to_vec(),
        None => RENDERED_FORMATS.to_vec(),
    };
    let service = app
        .carriers
        .entry(&s.carrier)
        .and_then(|e| e.capabilities.service(&s.service_code));
    Ok(ShipmentOut {
        id: s.id.to_string(),
        carrier_account: s.carrier_account_id.to_string(),
        carrier: s.carrier.clone(),
        service: ServiceOut {
            code: s.service_code.clone(),
            name: service.map_or_else(|| s.service_code.clone(), |x| x.name.to_string()),
            class: service.map(|x| x.class),
        },
        status: s.status.clone(),
        tracking_number: s.tracking_number.clone(),
        pieces: wb.pieces,
        reference: s.reference.clone(),
        total: s.total,
        breakdown: wb.breakdown,
        label: LabelLinks {
            format: bought,
            url: url(bought),
            formats: formats
                .into_iter()
                .map(|f| {
                    (
                        format_name(f).to_string(),
                        serde_json::Value::String(url(f)),
                    )
                })
                .collect(),
        },
        created_at: s.created_at,
        voided_at: s.voided_at,
        print_job: None,
        void: None,
        documents: document_links(s)?,
    })
}

pub(crate) fn format_name(f: LabelFormat) -> &'static str {
    match f {
        LabelFormat::Pdf => "pdf",
        LabelFormat::Zpl => "zpl",
        LabelFormat::Png => "png",
    }
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
    req.run(app, tenant, buy).await
}

/// A purchase, under its key: checks, the carrier's sale (its progress kept on the key), the
/// record.
async fn buy(
    app: AppState,
    tenant: TenantId,
    mut options: ShipmentIn,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let shipment = options.shipment();
    shipment
        .validate()
        .map_err(|e| Error::field(e.field, e.message))?;
    let account_id = AccountId::parse(&options.carrier_account)
        .ok_or_else(|| Error::field("/carrier_account", "not a carrier account id"))?;
    let account = app
        .store
        .get_account(&tenant, &account_id)
        .await?
        .ok_or_else(|| Error::field("/carrier_account", "no such carrier account"))?;
    let entry = app
        .carriers
        .entry(&account.carrier)
        .ok_or_else(|| Error::Internal(format!("unknown carrier {}", account.carrier)))?;
    if !entry.capabilities.supports(Capability::Ship) {
        return Err(CarrierError::unsupported(entry.code.clone(), Capability::Ship).into());
    }
    if !entry.capabilities.services.is_empty()
        && entry.capabilities.service(&options.service).is_none()
    {
        let known: Vec<_> = entry.capabilities.services.iter().map(|s| s.code).collect();
        return Err(Error::field(
            "/service",
            format!(
                "{} has no service `{}`; known: {}",
                entry.code,
                options.service,
                known.join(", ")
            ),
        ));
    }
    let heavy = super::rates::parcel_weight_problems(
        entry.capabilities,
        entry.code.as_str(),
        &shipment.parcels,
    );
    if !heavy.is_empty() {
        return Err(Error::Validation(heavy));
    }
    let wanted = options.label_format;
    let asked = carrier_format(
        entry.capabilities.label_formats,
        wanted,
        shipment.parcels.len(),
    )
    .ok_or_else(|| {
        Error::field(
            "/label_format",
            format!(
                "{} labels are not available from {}",
                format_name(wanted),
                entry.code
            ),
        )
    })?;
    let printer = match &options.print_station {
        Some(id) => {
            let station =
                super::print::station_for_job(&app, &tenant, id, "/print_station").await?;
            let printer = super::print::station_printer(&station)?;
            let format = printer.format;
            let printable = match asked {
                None => RENDERED_FORMATS.contains(&format),
                Some(from) => converted_formats(from).contains(&format),
            };
            if !printable {
                return Err(Error::field(
                    "/print_station",
                    format!(
                        "{} labels cannot be made as {} for this station",
                        entry.code,
                        format_name(format)
                    ),
                ));
            }
            // Checked before buying: the job is made after the carrier sold the label.
            if let Some(why) = printer.options.stock.refuses(format) {
                return Err(Error::field(
                    "/print_station",
                    format!(
                        "the station's stock {} on its {} printer: {why}",
                        printer.options.stock.as_str(),
                        format_name(format)
                    ),
                ));
            }
            Some((station, printer))
        }
        None => None,
    };
    let request = ShipRequest {
        shipment,
        service: options.service,
        label_format: asked.unwrap_or(wanted),
        reference: options.reference,
    };
    let adapter = app
        .carriers
        .adapter(&app.store, &tenant, &account, &app.master_key)
        .await?;
    // The key records that the carrier is about to be asked, then its whole answer the
    // moment it comes: a crash at any point leaves the key in a state recovery resolves.
    // `sent` is written inside the call, past the account's rate limiter, so a purchase
    // still queued there when its process dies is released, not left "outcome unknown".
    let mut kept = PurchaseProgress {
        account: account.id.to_string(),
        request,
        wanted,
        waybill: None,
    };
    let sent = serde_json::to_string(&kept).expect("progress serializes");
    let waybill = app
        .calls
        .ship(&account.id, adapter.as_ref(), &kept.request, || {
            idempotency::progress(&app, &tenant, &owned, "sent", &sent)
        })
        .await??;
    let reference = WaybillRef {
        tracking_number: waybill.tracking_number.clone(),
        carrier_shipment_id: waybill.carrier_shipment_id.clone(),
        pieces: waybill.pieces.clone(),
    };
    kept.waybill = Some(KeptWaybill::from(&waybill));
    let answered = match idempotency::progress(
        &app,
        &tenant,
        &owned,
        "answered",
        &serde_json::to_string(&kept).expect("progress serializes"),
    )
    .await
    {
        Ok(()) => true,
        // Lost the key while the carrier answered: whoever recovered it did not see this
        // sale, so it must not stand.
        Err(cause @ Error::Store(StoreError::LeaseLost(_))) => {
            return Err(unrecorded_purchase(
                &app,
                &account.id,
                adapter.as_ref(),
                &reference,
                cause,
            )
            .await);
        }
        // Not kept (the store failed): recording below is tried all the same.
        Err(e) => {
            tracing::warn!(
                error = %e,
                "could not keep the carrier's answer on the idempotency key"
            );
            false
        }
    };
    match record_purchase(
        &app,
        &tenant,
        &account.id,
        entry,
        &kept.request,
        wanted,
        printer.as_ref(),
        waybill,
        &owned,
    )
    .await
    {
        Ok(answer) => Ok(answer),
        // Another instance took the key over after the answer was kept: it records (or
        // recorded) this very sale from the kept answer, so voiding it here would undo it.
        Err(cause @ Error::Store(StoreError::LeaseLost(_))) if answered => Err(cause),
        Err(cause) => {
            Err(unrecorded_purchase(&app, &account.id, adapter.as_ref(), &reference, cause).await)
        }
    }
}

/// The scope of a purchase on its idempotency key.
pub(crate) const BUY_SCOPE: &str = "POST /v1/shipments";

/// What a purchase keeps on its idempotency key: what it asks the carrier (`sent`) and, once
/// it answers, the whole answer (`answered`), so recovery can finish recording it.
#[derive(Serialize, Deserialize)]
struct PurchaseProgress {
    account: String,
    request: ShipRequest,
    wanted: LabelFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waybill: Option<KeptWaybill>,
}

/// A carrier's answer as kept on a key: the waybill, its label bytes in base64.
#[derive(Serialize, Deserialize)]
struct KeptWaybill {
    waybill: Waybill,
    label: Option<(LabelFormat, String)>,
}

impl From<&Waybill> for KeptWaybill {
    fn from(w: &Waybill) -> Self {
        use base64::Engine;
        KeptWaybill {
            waybill: Waybill {
                label: None,
                ..w.clone()
            },
            label: w.label.as_ref().map(|l| {
                (
                    l.format,
                    base64::engine::general_purpose::STANDARD.encode(&l.content),
                )
            }),
        }
    }
}

impl KeptWaybill {
    fn into_waybill(self) -> Result<Waybill, Error> {
        use base64::Engine;
        let label = match self.label {
            Some((format, b64)) => Some(shiphub_carriers::model::LabelDocument {
                format,
                content: base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| Error::Internal(format!("kept label: {e}")))?,
            }),
            None => None,
        };
        Ok(Waybill {
            label,
            ..self.waybill
        })
    }
}

/// Records a bought waybill: the shipment, its documents, event, tracker and print job, with
/// the key's answer, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn record_purchase(
    app: &AppState,
    tenant: &TenantId,
    account: &AccountId,
    entry: &'static shiphub_carriers::CarrierEntry,
    request: &ShipRequest,
    wanted: LabelFormat,
    printer: Option<&(crate::store::StationRecord, super::print::StationPrinter)>,
    waybill: Waybill,
    owned: &idempotency::OwnedKey,
) -> Result<Answer, Error> {
    let (record, docs) = record(account, entry.code.as_str(), request, wanted, waybill)?;
    let job = printer
        .map(|(station, p)| {
            super::print::new_job(
                &record,
                station,
                p.format,
                p.options,
                1,
                super::print::DEFAULT_TTL,
            )
        })
        .transpose()?;
    let out = ShipmentOut {
        print_job: job.as_ref().map(|j| j.id.to_string()),
        ..shipment_out(app, &record)?
    };
    let answer = Answer::json(StatusCode::CREATED, &out);
    let created = NewEvent {
        kind: "shipment.created",
        subject_id: record.id.to_string(),
        data: answer.value(),
    };
    let tracker = entry.capabilities.supports(Capability::Track).then(|| {
        let class = entry
            .capabilities
            .service(&record.service_code)
            .map(|s| s.class);
        let shipped = request
            .shipment
            .ship_date
            .unwrap_or(record.created_at.date());
        let mut t = crate::tracking::new_tracker(
            &app.tracking,
            record.created_at,
            &record.tracking_number,
            entry.code.as_str(),
            Some(account.clone()),
            Some(record.id.clone()),
            class,
            crate::tracking::promised_date(shipped, class),
        );
        t.ship_date = Some(shipped.to_string());
        t
    });
    let extras = crate::store::ShipmentExtras {
        job: job.as_ref(),
        tracker: tracker.as_ref(),
    };
    app.store
        .insert_shipment_with(
            tenant,
            &record,
            &docs,
            &[created],
            extras,
            answer.completion(owned).as_ref(),
        )
        .await?;
    if let Some(job) = &job {
        app.print_wakeups.wake(&job.station_id);
    }
    metrics::counter!("shiphub_shipments_purchased_total", "carrier" => record.carrier.clone())
        .increment(1);
    Ok(answer)
}

/// Resolves the key of a purchase whose process died after reaching the carrier (called by
/// key recovery, which holds the key). `answered`: the carrier's kept answer is recorded as
/// the shipment (no print job: the station's moment has passed), so the retry replays it.
/// `sent`: the request went out and no answer was kept, and no carrier here can be asked
/// what it sold under a reference, so the key gets a final answer naming what to check;
/// never a second purchase.
pub(crate) async fn recover_purchase(
    app: &AppState,
    tenant: &TenantId,
    claim: &idempotency::Claim,
    stage: &str,
    progress: Option<&str>,
) -> Result<(), Error> {
    let kept: PurchaseProgress = progress
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| Error::PurchaseOutcomeUnknown(format!(
            "the purchase under this key reached the carrier and its record is unreadable; check the tenant's carrier accounts (key `{}`)", claim.key)))?;
    let reference = kept
        .request
        .reference
        .as_deref()
        .map_or_else(String::new, |r| format!(" with reference `{r}`"));
    let unknown = || {
        Error::PurchaseOutcomeUnknown(format!(
            "the purchase was sent to carrier account {} and the hub stopped before its answer; check that account for a {} label{reference}          bought around this request's time and void it if you do not want it; this key will not buy again",
            kept.account, kept.request.service
        ))
    };
    let (Some(kept_waybill), "answered") = (kept.waybill, stage) else {
        return Err(unknown());
    };
    let account_id = AccountId::parse(&kept.account).ok_or_else(unknown)?;
    let account = app
        .store
        .get_account(tenant, &account_id)
        .await?
        .ok_or_else(unknown)?;
    let entry = app.carriers.entry(&account.carrier).ok_or_else(unknown)?;
    let waybill = kept_waybill.into_waybill()?;
    let reference = WaybillRef {
        tracking_number: waybill.tracking_number.clone(),
        carrier_shipment_id: waybill.carrier_shipment_id.clone(),
        pieces: waybill.pieces.clone(),
    };
    let owned = Some(claim.clone());
    match record_purchase(
        app,
        tenant,
        &account.id,
        entry,
        &kept.request,
        kept.wanted,
        None,
        waybill,
        &owned,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(cause @ Error::Store(StoreError::LeaseLost(_))) => Err(cause),
        Err(cause) => {
            let adapter = app
                .carriers
                .adapter(&app.store, tenant, &account, &app.master_key)
                .await?;
            Err(unrecorded_purchase(app, &account.id, adapter.as_ref(), &reference, cause).await)
        }
    }
}

/// The carrier sold a label that the hub could not record. Void it at the carrier, so that a
/// retry with the same key cannot leave two bought labels; when even the void fails, keep the
/// idempotency key claimed (a retry gets 409, never a second purchase) and log the waybill for
/// an operator.
async fn unrecorded_purchase(
    app: &AppState,
    account: &AccountId,
    adapter: &dyn shiphub_carriers::Carrier,
    waybill: &WaybillRef,
    cause: Error,
) -> Error {
    tracing::error!(error = %cause, tracking_number = %waybill.tracking_number, "purchase could not be recorded; voiding it");
    metrics::counter!("shiphub_unrecorded_purchases_total").increment(1);
    match app.calls.void(account, adapter, waybill).await {
        // `void` and `void_outcome` are one request to every carrier: either outcome means
        // the carrier took the cancel.
        Ok(_) => cause,
        Err(void_error) => {
            tracing::error!(
                error = %void_error,
                tracking_number = %waybill.tracking_number,
                carrier_shipment_id = %waybill.carrier_shipment_id,
                "UNRECORDED PURCHASE: the label was bought, not recorded, and could not be voided"
            );
            Error::PurchaseUnrecorded(waybill.tracking_number.to_string())
        }
    }
}

fn record(
    account: &AccountId,
    carrier: &str,
    request: &ShipRequest,
    wanted: LabelFormat,
    waybill: Waybill,
) -> Result<(ShipmentRecord, Vec<DocumentRecord>), Error> {
    let now = OffsetDateTime::now_utc();
    let id = ShipmentId::generate();
    let total = waybill
        .total
        .ok_or_else(|| Error::Internal("carrier returned no total for the shipment".into()))?;
    let mut docs = vec![];
    let carrier_label = waybill.label.map(|l| {
        docs.push(DocumentRecord {
            id: DocumentId::generate(),
            shipment_id: id.clone(),
            kind: "label".into(),
            format: format_name(l.format).into(),
            content: l.content,
        });
        l.format
    });
    let stored = StoredWaybill {
        pieces: waybill.pieces,
        carrier_shipment_id: waybill.carrier_shipment_id,
        breakdown: waybill.breakdown,
        warnings: waybill.warnings,
        carrier_label,
    };
    let mut record = ShipmentRecord {
        id,
        carrier_account_id: account.clone(),
        carrier: carrier.to_string(),
        service_code: request.service.clone(),
        status: "purchased".into(),
        tracking_number: waybill.tracking_number.to_string(),
        reference: request.reference.clone(),
        total,
        label_format: format_name(wanted).into(),
        request: serde_json::to_string(request).expect("request serializes"),
        waybill: serde_json::to_string(&stored).expect("waybill serializes"),
        created_at: now,
        updated_at: now,
        voided_at: None,
        audit_facts: None,
    };
    let facts = crate::reconcile::audit_facts_json(&record, &request.shipment, &stored.breakdown);
    record.audit_facts = Some(facts);
    Ok((record, docs))
}

async fn load(app: &AppState, tenant: &TenantId, id: &str) -> Result<ShipmentRecord, Error> {
    let id = ShipmentId::parse(id).ok_or(Error::NotFound("shipment"))?;
    app.store
        .get_shipment(tenant, &id)
        .await?
        .ok_or(Error::NotFound("shipment"))
}

/// One shipment.
#[utoipa::path(get, path = "/v1/shipments/{id}", tag = "shipments", params(("id" = String, Path)),
    responses((status = 200, body = ShipmentOut), Auth, Missing))]
async fn get_shipment(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<ShipmentOut>, Error> {
    let s = load(&app, &tenant, &id).await?;
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
    let rows = app
        .store
        .list_shipments(&tenant, cursor.as_ref(), limit + 1)
        .await?;
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
    req.run(app, tenant, |app, tenant, _, owned| {
        void(app, tenant, id, owned)
    })
    .await
}

/// A void, under its key.
async fn void(
    app: AppState,
    tenant: TenantId,
    id: String,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let s = load(&app, &tenant, &id).await?;
    if s.voided_at.is_some() {
        return Err(Error::Conflict(format!(
            "shipment {} is already voided",
            s.id
        )));
    }
    let account = app
        .store
        .get_account(&tenant, &s.carrier_account_id)
        .await?
        .ok_or_else(|| {
            Error::Conflict(
                "the carrier account this shipment was bought on has been removed".into(),
            )
        })?;
    let wb: StoredWaybill =
        serde_json::from_str(&s.waybill).map_err(|e| Error::Internal(e.to_string()))?;
    let waybill = WaybillRef {
        tracking_number: s
            .tracking_number
            .parse()
            .map_err(|e: shiphub_carriers::model::InvalidValue| Error::Internal(e.to_string()))?,
        carrier_shipment_id: wb.carrier_shipment_id,
        pieces: wb.pieces,
    };
    let adapter = app
        .carriers
        .adapter(&app.store, &tenant, &account, &app.master_key)
        .await?;
    let outcome = app
        .calls
        .void(&account.id, adapter.as_ref(), &waybill)
        .await;
    // A carrier that cannot confirm a void (MyDHL has no cancel; USPS reviews refund
    // requests): the shipment is marked `void_requested`, never `voided`.
    let unconfirmed = match outcome {
        Ok(shiphub_carriers::VoidOutcome::Voided) => None,
        Ok(shiphub_carriers::VoidOutcome::Requested { detail }) => Some(detail),
        Err(CarrierError::Unsupported {
            capability: Capability::Void,
            reason,
            carrier,
        }) => Some(reason.map_or_else(
            || format!("{carrier} cannot cancel shipments"),
            str::to_string,
        )),
        Err(e) => return Err(e.into()),
    };
    if let Some(detail) = unconfirmed {
        let now = OffsetDateTime::now_utc();
        let requested = ShipmentRecord {
            status: "void_requested".into(),
            updated_at: now,
            ..s
        };
        let out = ShipmentOut {
            void: Some(VoidOut {
                confirmed: false,
                detail,
            }),
            ..shipment_out(&app, &requested)?
        };
        let answer = Answer::json(StatusCode::ACCEPTED, &out);
        let event = NewEvent {
            kind: "shipment.void_requested",
            subject_id: requested.id.to_string(),
            data: answer.value(),
        };
        if !app
            .store
            .request_void(
                &tenant,
                &requested.id,
                now,
                &[event],
                answer.completion(&owned).as_ref(),
            )
            .await?
        {
            return Err(Error::Conflict(format!(
                "shipment {} is already voided or its void was requested",
                requested.id
            )));
        }
        return Ok(answer);
    }
    let now = OffsetDateTime::now_utc();
    let voided = ShipmentRecord {
        status: "voided".into(),
        voided_at: Some(now),
        updated_at: now,
        ..s
    };
    let answer = Answer::json(StatusCode::OK, &shipment_out(&app, &voided)?);
    if !app
        .store
        .void_shipment(
            &tenant,
            &voided.id,
            now,
            &[NewEvent {
                kind: "shipment.voided",
                subject_id: voided.id.to_string(),
                data: answer.value(),
            }],
            answer.completion(&owned).as_ref(),
        )
        .await?
    {
        return Err(Error::Conflict(format!(
            "shipment {} is already voided",
            voided.id
        )));
    }
    Ok(answer)
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
    let s = load(&app, &tenant, &id).await?;
    let account = app
        .store
        .get_account(&tenant, &s.carrier_account_id)
        .await?
        .ok_or_else(|| {
            Error::Conflict(
                "the carrier account this shipment was bought on has been removed".into(),
            )
        })?;
    let number: TrackingNumber = s
        .tracking_number
        .parse()
        .map_err(|e: shiphub_carriers::model::InvalidValue| Error::Internal(e.to_string()))?;
    let adapter = app
        .carriers
        .adapter(&app.store, &tenant, &account, &app.master_key)
        .await?;
    let own = app.store.tracker_for_shipment(&tenant, &s.id).await?;
    // The tracker's ship date picks this shipment when the carrier reused the number.
    let shipped = own
        .as_ref()
        .and_then(|t| t.ship_date.as_deref())
        .and_then(crate::tracking::parse_date);
    let parcels = [TrackQuery::new(number, shipped)];
    let mut results = app
        .calls
        .track(&account.id, adapter.as_ref(), &parcels)
        .await?;
    if results.is_empty() {
        return Err(Error::Internal(format!(
            "{} answered no tracking for {}",
            s.carrier, s.tracking_number
        )));
    }
    let result = results.swap_remove(0);
    let mut tracker = None;
    // What was asked live goes through the tracker like a poll (dedup, status, events).
    if let Some(t) = own {
        let policy = app.tracking;
        let recorded = app
            .store
            .record_tracking(&tenant, &t.id, None, &result.events, |old, fresh| {
                crate::tracking::decide(
                    &policy,
                    OffsetDateTime::now_utc(),
                    old,
                    fresh,
                    Some(&result),
                )
            })
            .await?;
        tracker = recorded.map(|t| crate::tracking::TrackerOut::new(&t, result.events.last()));
    }
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
    let s = load(&app, &tenant, &id).await?;
    let request: ShipRequest =
        serde_json::from_str(&s.request).map_err(|e| Error::Internal(e.to_string()))?;
    let declaration = request
        .shipment
        .customs
        .ok_or_else(|| Error::field("/customs", "this shipment has no customs declaration"))?;
    let input = shiphub_labels::customs_docs::CustomsInput {
        declaration,
        sender: request.shipment.from,
        receiver: request.shipment.to,
        tracking_number: s.tracking_number.parse().ok(),
        invoice_number: request.reference.unwrap_or_else(|| s.id.to_string()),
        date: request.shipment.ship_date.unwrap_or(s.created_at.date()),
        parcel_weights: request.shipment.parcels.iter().map(|p| p.weight).collect(),
    };
    let draw = match kind.as_str() {
        "cn22" => shiphub_labels::customs_docs::cn22,
        "cn23" => shiphub_labels::customs_docs::cn23,
        "commercial_invoice" => shiphub_labels::customs_docs::commercial_invoice,
        _ => {
            return Err(Error::NotFound(
                "document kind (cn22, cn23, commercial_invoice)",
            ));
        }
    };
    let pdf = tokio::task::spawn_blocking(move || draw(&input))
        .await
        .map_err(|e| Error::Internal(format!("document task: {e}")))?
        .map_err(|e| Error::field("/customs/items", e.to_string()))?;
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
    /// The medium (default `4x6`); `letter-2up` and `a4-2up` are PDF only.
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
    let s = load(&app, &tenant, &id).await?;
    let format = match p.format {
        Some(f) => f,
        None => bought_format(&s)?,
    };
    let options = LabelOptions {
        stock: p.stock.unwrap_or_default(),
        dpi: p.dpi.unwrap_or_default(),
    };
    if let Some(r) = label_refusal(&s, format, options)? {
        return Err(r.at("/query/"));
    }
    let bytes = label_document(&app, &tenant, &s, format, options).await?;
    let mut res = bytes.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    let name = format!(
        "attachment; filename=\"{}.{}\"",
        s.tracking_number,
        format_name(format)
    );
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&name).expect("tracking numbers are ASCII"),
    );
    Ok(res)
}

/// The format a shipment's label was bought in.
pub(crate) fn bought_format(s: &ShipmentRecord) -> Result<LabelFormat, Error> {
    serde_json::from_value(serde_json::Value::String(s.label_format.clone()))
        .map_err(|e| Error::Internal(format!("stored label format {}: {e}", s.id)))
}

/// Why a label cannot be made as asked, naming the input at fault (`format`, `stock`).
pub(crate) struct Refusal {
    field: &'static str,
    message: String,
}

impl Refusal {
    /// The 422, with the field under `prefix` (`/query/` for a query string, `/` for a body).
    pub(crate) fn at(self, prefix: &str) -> Error {
        Error::field(format!("{prefix}{}", self.field), self.message)
    }
}

/// Whether a shipment's label can be produced in `format` on `options` (stored, converted or
/// rendered); `Some` says why not.
pub(crate) fn label_refusal(
    s: &ShipmentRecord,
    format: LabelFormat,
    options: LabelOptions,
) -> Result<Option<Refusal>, Error> {
    if let Some(why) = options.stock.refuses(format) {
        return Ok(Some(Refusal {
            field: "stock",
            message: format!("{}: {why}", options.stock.as_str()),
        }));
    }
    let wb: StoredWaybill =
        serde_json::from_str(&s.waybill).map_err(|e| Error::Internal(e.to_string()))?;
    let available = match wb.carrier_label {
        Some(f) => converted_formats(f),
        None => RENDERED_FORMATS,
    };
    if available.contains(&format) {
        return Ok(None);
    }
    let list: Vec<_> = available.iter().map(|x| format_name(*x)).collect();
    Ok(Some(Refusal {
        field: "format",
        message: match wb.carrier_label {
            Some(f) => format!(
                "the carrier issued this label as {}; it converts to {}",
                format_name(f),
                list.join(", ")
            ),
            None => format!(
                "{} labels cannot be rendered; ask for {}",
                format_name(format),
                list.join(", ")
            ),
        },
    }))
}

/// A shipment's label in `format` on `options`: the carrier's document (converted locally when
/// the carrier issued another format or for another stock) or, for carriers that issue none,
/// every piece rendered by the hub. Callers check [`label_refusal`] first.
pub(crate) async fn label_document(
    app: &AppState,
    tenant: &TenantId,
    s: &ShipmentRecord,
    format: LabelFormat,
    options: LabelOptions,
) -> Result<Vec<u8>, Error> {
    if let Some(r) = label_refusal(s, format, options)? {
        return Err(r.at("/"));
    }
    let wb: StoredWaybill =
        serde_json::from_str(&s.waybill).map_err(|e| Error::Internal(e.to_string()))?;
    let bytes = match wb.carrier_label {
        Some(f) => {
            let stored = app
                .store
                .get_document(tenant, &s.id, "label", format_name(f))
                .await?
                .ok_or_else(|| Error::Internal(format!("label document of {} missing", s.id)))?;
            // Conversions rasterize (tens of ms): keep them off the async workers.
            tokio::task::spawn_blocking(move || convert_label(stored, f, format, options))
                .await
                .map_err(|e| Error::Internal(format!("label conversion task: {e}")))??
        }
        None => render(app, s, &wb, format, options).await?,
    };
    Ok(bytes)
}

/// Every piece's label in one document (one PDF page or one ZPL block per piece; a PNG is
/// one image, so it shows the first piece), rendered off the async workers.
async fn render(
    app: &AppState,
    s: &ShipmentRecord,
    wb: &StoredWaybill,
    format: LabelFormat,
    options: LabelOptions,
) -> Result<Vec<u8>, Error> {
    let request: ShipRequest =
        serde_json::from_str(&s.request).map_err(|e| Error::Internal(e.to_string()))?;
    let entry = app.carriers.entry(&s.carrier);
    let service_name = entry
        .and_then(|e| e.capabilities.service(&s.service_code))
        .map_or(s.service_code.as_str(), |x| x.name);
    let master: TrackingNumber = s
        .tracking_number
        .parse()
        .map_err(|e: shiphub_carriers::model::InvalidValue| Error::Internal(e.to_string()))?;
    let pieces = if wb.pieces.is_empty() {
        vec![master]
    } else {
        wb.pieces.clone()
    };
    let count = u16::try_from(pieces.len()).unwrap_or(u16::MAX);
    let parcels = &request.shipment.parcels;
    let labels: Vec<shiphub_labels::Label> = pieces
        .into_iter()
        .take(if format == LabelFormat::Png {
            1
        } else {
            usize::MAX
        })
        .enumerate()
        .map(|(i, tracking_number)| {
            shiphub_labels::LabelSpec {
                carrier: entry.map_or(s.carrier.clone(), |e| e.name.to_string()),
                service_name: service_name.to_string(),
                service_code: s.service_code.clone(),
                tracking_number,
                from: request.shipment.from.clone(),
                to: request.shipment.to.clone(),
                weight: parcels.get(i).unwrap_or(&parcels[0]).weight,
                reference: request.reference.clone(),
                ship_date: request.shipment.ship_date.unwrap_or(s.created_at.date()),
                piece_number: u16::try_from(i + 1).unwrap_or(u16::MAX),
                piece_count: count,
            }
            .into()
        })
        .collect();
    tokio::task::spawn_blocking(move || {
        shiphub_labels::render_with(&labels, format, &options.render())
    })
    .await
    .map_err(|e| Error::Internal(format!("label render task: {e}")))?
    .map_err(|e| Error::Internal(format!("label render: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use LabelFormat::{Pdf, Png, Zpl};

    /// Width and height from a PNG's IHDR chunk.
    fn png_size(png: &[u8]) -> (u32, u32) {
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
        (be(&png[16..20]), be(&png[20..24]))
    }

    #[test]
    fn a_carrier_png_label_is_served_as_the_4x6_portrait_label() {
        // UPS's 1400 × 800 landscape label image (labels/tests/fixtures/SOURCES.md).
        let ups = include_bytes!("../../../labels/tests/fixtures/ups_landscape_label.png");
        assert_eq!(png_size(ups), (1400, 800));
        let png = convert_label(ups.to_vec(), Png, Png, LabelOptions::default()).unwrap();
        assert_eq!(png_size(&png), (812, 1218), "4×6 in at 203 dpi, portrait");
        let tall = LabelOptions {
            stock: StockName(shiphub_labels::Stock::In4x8),
            dpi: Resolution(shiphub_labels::Dpi::D300),
        };
        let png = convert_label(ups.to_vec(), Png, Png, tall).unwrap();
        let (w, h) = png_size(&png);
        assert!(
            w < h && w.abs_diff(1200) <= 24 && h.abs_diff(2400) <= 48,
            "4×8 in at 300 dpi, portrait: {w}×{h}"
        );
    }

    #[test]
    fn carrier_labels_are_served_as_issued_on_4x6_at_203_and_redrawn_for_other_stocks() {
        // A 4×6 label at 203 dpi as carriers send it: a frame and a line of text.
        let zpl =
            b"^XA^PW812^LL1218^FO20,20^GB772,1178,4^FS^FO60,80^A0N,40,40^FDSHIPHUB^FS^XZ".to_vec();
        let as_issued = convert_label(zpl.clone(), Zpl, Zpl, LabelOptions::default()).unwrap();
        assert_eq!(as_issued, zpl);
        let tall = LabelOptions {
            stock: StockName(shiphub_labels::Stock::In4x8),
            dpi: Resolution(shiphub_labels::Dpi::D300),
        };
        let redrawn =
            String::from_utf8(convert_label(zpl.clone(), Zpl, Zpl, tall).unwrap()).unwrap();
        assert!(
            redrawn.contains("^PW1200") && redrawn.contains("^LL2400"),
            "{redrawn}"
        );
        assert!(
            redrawn.contains("^GFA"),
            "a graphic of the carrier's label: {redrawn}"
        );
        let a4 = LabelOptions {
            stock: StockName(shiphub_labels::Stock::A42Up),
            ..Default::default()
        };
        let pdf = String::from_utf8_lossy(&convert_label(zpl, Zpl, Pdf, a4).unwrap()).into_owned();
        assert!(pdf.contains("595.2") && pdf.contains("841.8"), "an A4 page");
    }

    #[test]
    fn the_carrier_is_asked_for_a_format_the_hub_can_serve_the_wanted_one_from() {
        // the hub renders for carriers without labels
        assert_eq!(carrier_format(&[], Pdf, 1), Some(None));
        // native formats are asked for as they are
        assert_eq!(carrier_format(&[Pdf, Zpl], Pdf, 1), Some(Some(Pdf)));
        // UPS-like: no PDF, so ZPL converted locally; PNG-only carriers convert to ZPL
        assert_eq!(carrier_format(&[Zpl, Png], Pdf, 1), Some(Some(Zpl)));
        assert_eq!(carrier_format(&[Png], Zpl, 1), Some(Some(Png)));
        // several pieces: ZPL joins, so one PDF can hold every piece
        assert_eq!(carrier_format(&[Pdf, Zpl, Png], Pdf, 3), Some(Some(Zpl)));
        assert_eq!(carrier_format(&[Pdf], Pdf, 3), Some(Some(Pdf)));
        // PDF-only carriers are rasterized for thermal printers
        assert_eq!(carrier_format(&[Pdf], Zpl, 1), Some(Some(Pdf)));
        assert_eq!(carrier_format(&[Pdf], Png, 1), None);
    }
}
