//! Batches: many purchases accepted at once and bought in the background, each item exactly
//! like `POST /v1/shipments` (the same checks, the same record, its own `shipment.created`
//! event), then every label of the batch as one merged document.
//!
//! Decisions:
//! * An item is a purchase body (carrier account and service chosen), without
//!   `print_station` and `label_format`: the batch has one label format, so that its labels
//!   merge into one document. An item without `carrier_account` and `service` is
//!   rate-and-buy: it is rate-shopped like `POST /v1/rates` (its `strategy`, optionally only
//!   `carrier_accounts` / `services`) once its key is claimed, and the first quote is bought.
//!   A retry after a crash before the sale shops again (nothing was bought).
//! * Item `i` of batch `B` is bought under the idempotency key `batch:B:i` with the scope of
//!   a purchase, through the purchase idempotency machinery: its progress is kept on the key,
//!   a key whose process died is resolved by `api::idempotency::recover` (recorded from the
//!   carrier's kept answer, or answered "outcome unknown", never bought again), and the
//!   item's outcome is read back from the key's answer. The batch id itself is fixed by the
//!   batch request's own `Idempotency-Key` (a retry replays the same batch), so the derived
//!   keys are too.
//! * A batch runs on a task of its own (`api::batches::start`: buying an item writes the
//!   answer its key replays, an HTTP answer like the idempotency sweep's), started when it
//!   is accepted and, for batches still running, when a hub starts. At most [`IN_FLIGHT`] items are in flight per
//!   batch; the call layer holds each one to its carrier account's quota and retries
//!   transient failures; an item that still fails is `failed` with its problem and never
//!   holds up the others.

use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{
    Address, CustomsDeclaration, LabelFormat, Parcel, RateRequest, ShipmentOptions,
};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

mod print;

pub use print::{PrintRequest, print_batch};

use crate::error::Error;
use crate::events::EventType;
use crate::ids::{BatchId, TenantId};
use crate::shipments::Order;
use crate::state::AppState;
use crate::store::{BatchRecord, NewEvent, ShipmentRecord};

/// The most items a batch takes.
pub const MAX_ITEMS: usize = 10_000;
/// Items of one batch bought at the same time. The call layer paces each carrier account to
/// its quota; this bounds what waits there (and the store's writer queue) per batch.
pub const IN_FLIGHT: usize = 32;

/// One purchase of a batch: the body of `POST /v1/shipments` without `label_format` (the
/// batch's) and `print_station`.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Origin.
    pub from: Address,
    /// Destination.
    pub to: Address,
    /// One to 50 packages.
    #[schema(min_items = 1, max_items = 50)]
    pub parcels: Vec<Parcel>,
    /// Required when origin and destination are in different customs territories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs: Option<CustomsDeclaration>,
    /// Planned ship date; today when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<Date>,
    /// Signature, Saturday delivery, declared value and the other options to buy.
    #[serde(default, skip_serializing_if = "ShipmentOptions::is_empty")]
    pub options: ShipmentOptions,
    /// The carrier account to buy on (from a quote), with `service`. Leave both out to
    /// rate-shop the item and buy its best quote by `strategy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_account: Option<String>,
    /// Service code (from a quote), with `carrier_account`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Rate-and-buy only: which quote to buy (default `cheapest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<ItemStrategy>,
    /// Rate-and-buy only: shop these accounts (default: every account whose carrier rates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_accounts: Option<Vec<String>>,
    /// Rate-and-buy only: only these service codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    /// Your reference (order number); printed on the label. At most 35 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35)]
    pub reference: Option<String>,
    /// As `POST /v1/shipments`' `verify`: check `to` with a carrier first; an undeliverable
    /// address fails the item on `/to`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verify: bool,
    /// As `POST /v1/shipments`' `is_return`: a return label (`from` the customer, `to` the
    /// shipper).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_return: bool,
    /// As `POST /v1/shipments`' `return_label`: also buy the return label (shown on the
    /// item's shipment; the merged document holds the outbound labels).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub return_label: bool,
}

/// Which quote a rate-and-buy item buys (as `POST /v1/rates` orders them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStrategy {
    /// Lowest total; ties by transit days.
    Cheapest,
    /// Fewest transit days; ties by price.
    Fastest,
    /// Price plus 10% of the cheapest price for every day slower than the fastest quote.
    BestValue,
}

impl From<ItemStrategy> for crate::rates::Strategy {
    fn from(s: ItemStrategy) -> Self {
        match s {
            ItemStrategy::Cheapest => crate::rates::Strategy::Cheapest,
            ItemStrategy::Fastest => crate::rates::Strategy::Fastest,
            ItemStrategy::BestValue => crate::rates::Strategy::BestValue,
        }
    }
}

impl Item {
    /// Whether the item says what to buy one way only: an account and a service, or the
    /// rate-and-buy fields; errors point into item `index`.
    pub fn check(&self, index: usize) -> Result<(), Error> {
        let at = |f: &str| format!("/items/{index}/{f}");
        match (&self.carrier_account, &self.service) {
            (Some(_), None) => Err(Error::field(
                at("service"),
                "required with `carrier_account`",
            )),
            (None, Some(_)) => Err(Error::field(
                at("carrier_account"),
                "required with `service`",
            )),
            (Some(_), Some(_)) => {
                let shop = [
                    ("strategy", self.strategy.is_some()),
                    ("carrier_accounts", self.carrier_accounts.is_some()),
                    ("services", self.services.is_some()),
                ];
                match shop.iter().find(|(_, given)| *given) {
                    Some((f, _)) => Err(Error::field(
                        at(f),
                        "only for rate-and-buy (an item without `carrier_account` and `service`)",
                    )),
                    None => Ok(()),
                }
            }
            (None, None) => Ok(()),
        }
    }

    /// The purchase: as given, or the best quote of a rate shop for a rate-and-buy item (a 422
    /// on `/carrier_account` when no account quoted, naming why each failed).
    pub async fn order(
        self,
        app: &AppState,
        tenant: &TenantId,
        label_format: LabelFormat,
    ) -> Result<Order, Error> {
        let shipment = RateRequest {
            from: self.from,
            to: self.to,
            parcels: self.parcels,
            customs: self.customs,
            ship_date: self.ship_date,
            options: self.options,
        };
        let (carrier_account, service, shipment) = match (self.carrier_account, self.service) {
            (Some(a), Some(s)) => (a, s, shipment),
            _ => {
                let shopped = crate::rates::shop(
                    app,
                    tenant,
                    crate::rates::Shop {
                        shipment: shipment.clone(),
                        carrier_accounts: self.carrier_accounts.as_deref(),
                        services: self.services.as_deref(),
                        strategy: self.strategy.unwrap_or(ItemStrategy::Cheapest).into(),
                        deadline: None,
                    },
                )
                .await?;
                let Some(best) = shopped.quotes.into_iter().next() else {
                    let why: Vec<String> = shopped
                        .failures
                        .iter()
                        .map(|f| format!("{} ({}): {}", f.account, f.carrier, f.detail))
                        .collect();
                    return Err(Error::field(
                        "/carrier_account",
                        if why.is_empty() {
                            "no carrier account quoted this item".to_string()
                        } else {
                            format!("no carrier account quoted this item: {}", why.join("; "))
                        },
                    ));
                };
                (best.account.to_string(), best.quote.service.code, shipment)
            }
        };
        Ok(Order {
            shipment,
            carrier_account,
            service,
            label_format,
            reference: self.reference,
            print_station: None,
            // Checked and bought by `shipments::buy` exactly as a single purchase's (its
            // problems, e.g. `/return_label` with `is_return`, fail the item).
            verify: self.verify,
            is_return: self.is_return,
            return_label: self.return_label,
        })
    }
}

/// A batch to accept.
pub struct NewBatch {
    pub items: Vec<Item>,
    pub label_format: LabelFormat,
    /// Print every label as one job when the batch completes (checked by the caller).
    pub print: Option<PrintRequest>,
}

/// The idempotency key item `index` of `batch` is bought under.
pub fn item_key(batch: &BatchId, index: u32) -> String {
    format!("batch:{batch}:{index}")
}

/// Stores a new batch (with `completion`, the caller's answer drawn from the stored batch by
/// `present`); the caller starts buying it. Its id, with the answer.
pub async fn accept<A>(
    app: &AppState,
    tenant: &TenantId,
    batch: NewBatch,
    present: impl FnOnce(&BatchId, &[String]) -> A,
    completion: impl FnOnce(&A) -> Option<crate::store::IdemCompletion>,
) -> Result<(BatchId, A), Error> {
    if batch.items.is_empty() || batch.items.len() > MAX_ITEMS {
        return Err(Error::field(
            "/items",
            format!("a batch holds 1 to {MAX_ITEMS} items"),
        ));
    }
    let id = BatchId::generate();
    let bodies: Vec<String> = batch
        .items
        .iter()
        .map(|i| serde_json::to_string(i).expect("items serialize"))
        .collect();
    let answer = present(&id, &bodies);
    app.store
        .create_batch(
            tenant,
            &id,
            batch.label_format.as_str(),
            &bodies,
            batch
                .print
                .as_ref()
                .map(|p| serde_json::to_string(p).expect("print requests serialize"))
                .as_deref(),
            completion(&answer).as_ref(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok((id, answer))
}

/// The tenant's batch `id` (as given: an id of another shape is not found).
pub async fn load(app: &AppState, tenant: &TenantId, id: &str) -> Result<BatchRecord, Error> {
    let id = BatchId::parse(id).ok_or(Error::NotFound("batch"))?;
    app.store
        .get_batch(tenant, &id)
        .await?
        .ok_or(Error::NotFound("batch"))
}

/// The `batch.completed` event, once no item is queued, with the print job asked with the
/// batch (queued in the same transaction).
pub async fn complete(app: &AppState, tenant: &TenantId, batch: &BatchId) -> Result<(), Error> {
    let Some(b) = app.store.get_batch(tenant, batch).await? else {
        return Ok(());
    };
    let (job, print_error) = match print::on_completion(app, tenant, &b).await {
        Ok(job) => (job, None),
        Err(e) => {
            tracing::warn!(error = %e, %batch, "the print asked with the batch cannot be queued");
            (None, Some(e.problem().1))
        }
    };
    let now = OffsetDateTime::now_utc();
    let mut data = serde_json::json!({
        "id": batch.to_string(),
        "status": "completed",
        "label_format": b.label_format,
        "counts": {"total": b.item_count, "queued": 0, "bought": b.bought, "failed": b.failed},
        "created_at": b.created_at.format(&time::format_description::well_known::Rfc3339).ok(),
        "completed_at": now.format(&time::format_description::well_known::Rfc3339).ok(),
    });
    if let Some(j) = &job {
        data["print_job"] = serde_json::json!({"id": j.id, "labels": j.subject.labels()});
    }
    if let Some(p) = print_error {
        data["print_error"] = serde_json::to_value(p).expect("problems serialize");
    }
    let event = NewEvent {
        kind: EventType::BatchCompleted,
        subject_id: batch.to_string(),
        data,
    };
    if app
        .store
        .complete_batch(tenant, batch, &event, job.as_ref(), now)
        .await?
    {
        metrics::counter!("shiphub_batches_completed_total").increment(1);
        tracing::info!(%batch, bought = b.bought, failed = b.failed, "batch completed");
        if let Some(j) = &job {
            app.print_wakeups.wake(&j.station_id);
            metrics::counter!("shiphub_print_jobs_total", "status" => "queued").increment(1);
            tracing::info!(%batch, job = %j.id, labels = j.subject.labels(), "batch labels queued for printing");
        }
    }
    Ok(())
}

/// How the labels of a merged document are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// The order the items were given in.
    #[default]
    Index,
    /// By reference (items without one last), then index.
    Reference,
    /// By carrier, then service, then index: one pile per carrier.
    Carrier,
    /// By service code, then index.
    Service,
    /// By destination country and postal code, then index.
    Destination,
    /// By tracking number.
    TrackingNumber,
}

impl Sort {
    /// Its name, as the API spells it (kept on a batch's print job).
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Index => "index",
            Sort::Reference => "reference",
            Sort::Carrier => "carrier",
            Sort::Service => "service",
            Sort::Destination => "destination",
            Sort::TrackingNumber => "tracking_number",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// Every bought label of the batch (voided ones left out) in `format`, ordered by `sort`,
/// as one document; the number of labels in it. Each label on `options` when given (a print
/// job's stock and resolution), else on its shipment's default stock.
pub async fn merged_labels(
    app: &AppState,
    tenant: &TenantId,
    batch: &BatchRecord,
    format: LabelFormat,
    sort: Sort,
    options: Option<shiphub_labels::RenderOptions>,
) -> Result<(Vec<u8>, usize), Error> {
    if !matches!(format, LabelFormat::Pdf | LabelFormat::Zpl) {
        return Err(Error::field(
            "/query/format",
            "a merged document is pdf or zpl",
        ));
    }
    let shipments = labelled(app, tenant, batch, sort).await?;
    let mut docs = Vec::with_capacity(shipments.len());
    for s in &shipments {
        let options = options.unwrap_or_else(|| shiphub_labels::RenderOptions {
            stock: crate::labels::default_stock(s),
            ..Default::default()
        });
        docs.push(crate::labels::document(app, tenant, s, format, options).await?);
    }
    let n = docs.len();
    let merged = match format {
        LabelFormat::Zpl => shiphub_labels::merge::merge_zpl(&docs),
        _ => tokio::task::spawn_blocking(move || shiphub_labels::merge::merge_pdfs(&docs))
            .await
            .map_err(|e| Error::Internal(format!("merging labels: {e}")))?
            .map_err(|e| Error::Internal(format!("merging labels: {e}")))?,
    };
    Ok((merged, n))
}

/// The shipments whose labels a merged document holds, in its order: every bought item's
/// shipment still purchased (failed items and voided shipments left out).
pub async fn labelled(
    app: &AppState,
    tenant: &TenantId,
    batch: &BatchRecord,
    sort: Sort,
) -> Result<Vec<ShipmentRecord>, Error> {
    let items = app
        .store
        .batch_items(tenant, &batch.id, Some("bought"), 0, MAX_ITEMS as u32)
        .await?;
    let mut shipments: Vec<(u32, ShipmentRecord)> = Vec::with_capacity(items.len());
    for item in items {
        let Some(id) = item.shipment_id else { continue };
        if let Some(s) = app.store.get_shipment(tenant, &id).await?
            && s.status == crate::store::ShipmentStatus::Purchased
        {
            shipments.push((item.index, s));
        }
    }
    sort_labels(&mut shipments, sort);
    Ok(shipments.into_iter().map(|(_, s)| s).collect())
}

fn sort_labels(shipments: &mut [(u32, ShipmentRecord)], sort: Sort) {
    fn destination(s: &ShipmentRecord) -> (String, String) {
        s.request
            .decode()
            .map(|r| {
                (
                    r.shipment.to.country.as_str().to_string(),
                    r.shipment.to.postal_code.clone().unwrap_or_default(),
                )
            })
            .unwrap_or_default()
    }
    match sort {
        Sort::Index => shipments.sort_by_key(|(i, _)| *i),
        Sort::Reference => shipments.sort_by(|(i, a), (j, b)| {
            (a.reference.is_none(), &a.reference, i).cmp(&(b.reference.is_none(), &b.reference, j))
        }),
        Sort::Carrier => shipments.sort_by(|(i, a), (j, b)| {
            (a.carrier.as_str(), &a.service_code, i).cmp(&(b.carrier.as_str(), &b.service_code, j))
        }),
        Sort::Service => {
            shipments.sort_by(|(i, a), (j, b)| (&a.service_code, i).cmp(&(&b.service_code, j)))
        }
        Sort::Destination => shipments.sort_by_cached_key(|(i, s)| (destination(s), *i)),
        Sort::TrackingNumber => shipments.sort_by(|(i, a), (j, b)| {
            (a.tracking_number.as_str(), i).cmp(&(b.tracking_number.as_str(), j))
        }),
    }
}
