//! Buying: the checks before the carrier is asked, the sale (its progress kept on the
//! idempotency key), the record, and voiding a sale that could not be recorded.

use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{
    LabelDocument, LabelFormat, RateRequest, ShipRequest, Waybill, WaybillRef,
};
use shiphub_carriers::{Capability, Carrier, CarrierEntry, CarrierError};
use time::OffsetDateTime;

use super::{Answer, Change, Key, Present, completion, keep_progress};
use crate::call_layer::CallError;
use crate::error::Error;
use crate::events::EventType;
use crate::ids::{AccountId, DocumentId, ShipmentId, TenantId};
use crate::labels;
use crate::print::StationPrinter;
use crate::state::AppState;
use crate::store::{
    DocumentRecord, NewEvent, ShipmentRecord, ShipmentStatus, ShipmentWaybill, StationRecord,
    StoreError, StoredRequest,
};

/// A purchase: the shipment as it was rated plus the choice made from its quotes.
pub struct Order {
    pub shipment: RateRequest,
    /// The carrier account to buy on, as given.
    pub carrier_account: String,
    pub service: String,
    pub label_format: LabelFormat,
    pub reference: Option<String>,
    /// The print station to print the label on once bought, as given.
    pub print_station: Option<String>,
    /// Have the destination checked first (`crate::addresses`): refuse an undeliverable one
    /// before anything is bought, buy with the carrier's standardized address when it is
    /// deliverable (with or without corrections), as given when the carrier cannot tell.
    pub verify: bool,
    /// Buy a return label (`from` the customer, `to` the shipper).
    pub is_return: bool,
    /// Buy the outbound label and its return label in one request.
    pub return_label: bool,
}

/// Buys `order` under `key`: checks, the carrier's sale (its progress kept on the key), the
/// record, answered by `present`. Waits for the account's quota as long as it takes: for
/// background buyers (batches), whose client is not waiting on the answer.
pub async fn buy<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    order: Order,
    key: Option<Key<'_>>,
    present: Present<A>,
) -> Result<A, Error> {
    buy_with(app, tenant, order, key, present, false).await
}

/// `buy` for a client waiting on the answer (`POST /v1/shipments`): waits for the account's
/// quota at most the call layer's purchase wait, else `Error::Throttled` (503 with
/// Retry-After) before anything is sent or kept (issue 19).
pub async fn buy_now<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    order: Order,
    key: Option<Key<'_>>,
    present: Present<A>,
) -> Result<A, Error> {
    buy_with(app, tenant, order, key, present, true).await
}

async fn buy_with<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    order: Order,
    key: Option<Key<'_>>,
    present: Present<A>,
    bounded: bool,
) -> Result<A, Error> {
    let mut shipment = order.shipment;
    shipment
        .validate()
        .map_err(|e| Error::field(e.field, e.message))?;
    let (account, entry) =
        crate::accounts::named(app, tenant, &order.carrier_account, "/carrier_account").await?;
    if !entry.capabilities.supports(Capability::Ship) {
        return Err(CarrierError::unsupported(entry.code.clone(), Capability::Ship).into());
    }
    if !entry.capabilities.services.is_empty()
        && entry.capabilities.service(&order.service).is_none()
    {
        let known: Vec<_> = entry.capabilities.services.iter().map(|s| s.code).collect();
        return Err(Error::field(
            "/service",
            format!(
                "{} has no service `{}`; known: {}",
                entry.code,
                order.service,
                known.join(", ")
            ),
        ));
    }
    if let Some(p) =
        crate::rates::option_problem(entry.capabilities, entry.code.as_str(), &shipment)
    {
        return Err(Error::Validation(vec![p]));
    }
    if order.is_return && order.return_label {
        return Err(Error::field(
            "/return_label",
            "a return label has no return label of its own; drop `return_label` or `is_return`",
        ));
    }
    if (order.is_return || order.return_label) && !entry.capabilities.supports(Capability::Return) {
        let field = if order.is_return {
            "/is_return"
        } else {
            "/return_label"
        };
        return Err(Error::field(
            field,
            format!("{} does not sell return labels", entry.code),
        ));
    }
    let heavy = crate::rates::parcel_weight_problems(
        entry.capabilities,
        entry.code.as_str(),
        &shipment.parcels,
    );
    if !heavy.is_empty() {
        return Err(Error::Validation(heavy));
    }
    let wanted = order.label_format;
    let asked = labels::carrier_format(
        entry.capabilities.label_formats,
        wanted,
        shipment.parcels.len(),
    )
    .ok_or_else(|| {
        Error::field(
            "/label_format",
            format!(
                "{} labels are not available from {}",
                wanted.as_str(),
                entry.code
            ),
        )
    })?;
    let printer = match &order.print_station {
        Some(id) => Some(printer(app, tenant, id, entry, asked).await?),
        None => None,
    };
    if order.verify {
        shipment.to = verified_destination(app, tenant, &account, entry, shipment.to).await?;
    }
    let request = ShipRequest {
        shipment,
        service: order.service,
        label_format: asked.unwrap_or(wanted),
        reference: order.reference,
        is_return: order.is_return,
    };
    let adapter = app
        .carriers
        .adapter(&app.store, tenant, &account, &app.master_key)
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
        return_sent: false,
        print_station: printer.as_ref().map(|(s, _)| s.id.to_string()),
    };
    let sent = serde_json::to_string(&kept).expect("progress serializes");
    let before_send = || keep_progress(app, tenant, key, "sent", &sent);
    let waybill = if bounded {
        // Waits for the account's quota at most the call layer's purchase wait: past it, a
        // 503 with Retry-After, before anything is sent or kept (issue 19).
        app.calls
            .ship_within(&account.id, adapter.as_ref(), &kept.request, before_send)
            .await
            .map_err(|e| throttled(&account.id, e))??
    } else {
        app.calls
            .ship(&account.id, adapter.as_ref(), &kept.request, before_send)
            .await??
    };
    let reference = waybill_ref(&waybill);
    kept.waybill = Some(KeptWaybill::from(&waybill));
    let answered = match keep_progress(
        app,
        tenant,
        key,
        "answered",
        &serde_json::to_string(&kept).expect("progress serializes"),
    )
    .await
    {
        Ok(()) => true,
        // Lost the key while the carrier answered: whoever recovered it did not see this
        // sale, so it must not stand.
        Err(cause @ Error::Store(StoreError::LeaseLost(_))) => {
            return Err(
                unrecorded_purchase(app, &account.id, adapter.as_ref(), &reference, cause).await,
            );
        }
        // The database went away while the carrier answered: voiding would cost the client
        // the label its retry should get. The answer is kept here until the database is
        // back (then written to the key, whose recovery records it); the client is told so.
        // A return label is asked for only once the outbound is safe, so a pair is not kept.
        Err(Error::Store(e)) if e.is_unavailable() && !order.return_label && key.is_some() => {
            let k = key.expect("checked");
            keep_when_back(
                app.clone(),
                tenant.clone(),
                k.key.to_string(),
                k.owner.to_string(),
                serde_json::to_string(&kept).expect("progress serializes"),
            );
            return Err(Error::PurchaseKept(reference.tracking_number.to_string()));
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
    // The return label, bought once the outbound one is. Its failure does not undo the
    // outbound label (bought and usable): the answer carries the outbound shipment with the
    // return's problem, and a return can be bought on its own later (`is_return`).
    let return_request = order.return_label.then(|| return_of(&kept.request));
    let returned = match &return_request {
        None => None,
        Some(rreq) => {
            kept.return_sent = true;
            if answered
                && let Err(e) = keep_progress(
                    app,
                    tenant,
                    key,
                    "answered",
                    &serde_json::to_string(&kept).expect("progress serializes"),
                )
                .await
            {
                tracing::warn!(error = %e, "could not keep that the return label was asked for");
            }
            let none = || async { Ok::<(), Error>(()) };
            let asked = if bounded {
                app.calls
                    .ship_within(&account.id, adapter.as_ref(), rreq, none)
                    .await
            } else {
                app.calls
                    .ship(&account.id, adapter.as_ref(), rreq, none)
                    .await
                    .map_err(CallError::Carrier)
            };
            Some(match asked {
                Ok(Ok(wb)) => ReturnOutcome::Bought(rreq, wb),
                Ok(Err(e)) => ReturnOutcome::Failed(e),
                Err(CallError::Carrier(e)) => ReturnOutcome::Failed(return_error(e)),
                Err(e) => ReturnOutcome::Failed(throttled(&account.id, e)),
            })
        }
    };
    let return_ref = match &returned {
        Some(ReturnOutcome::Bought(_, wb)) => Some(waybill_ref(wb)),
        _ => None,
    };
    let has_key = key.is_some();
    let bought = Bought {
        account: &account.id,
        entry,
        request: &kept.request,
        wanted,
        waybill,
    };
    match record_purchase(
        app,
        tenant,
        bought,
        returned,
        printer.as_ref(),
        key,
        present,
    )
    .await
    {
        Ok(answer) => Ok(answer),
        // Another instance took the key over after the answer was kept: it records (or
        // recorded) this very sale from the kept answer, so voiding it here would undo it.
        Err(cause @ Error::Store(StoreError::LeaseLost(_))) if answered => Err(cause),
        // The database went away after the carrier's answer was kept on the key: the sale
        // stands and the key's recovery records it once the database is back (voiding it
        // would lose a label the retry should get). A return label's answer is not kept, so
        // a pair is voided as before.
        Err(Error::Store(e))
            if e.is_unavailable() && answered && has_key && return_ref.is_none() =>
        {
            tracing::warn!(error = %e, tracking_number = %reference.tracking_number, "purchase kept for recording once the database is back");
            Err(Error::PurchaseKept(reference.tracking_number.to_string()))
        }
        Err(cause) => {
            if let Some(r) = &return_ref {
                let why = Error::Internal(format!("{cause}"));
                let e = unrecorded_purchase(app, &account.id, adapter.as_ref(), r, why).await;
                if matches!(e, Error::PurchaseUnrecorded(_)) {
                    return Err(e);
                }
            }
            Err(unrecorded_purchase(app, &account.id, adapter.as_ref(), &reference, cause).await)
        }
    }
}

/// Writes a purchase's kept answer to its key once the database is back, renewing the key's
/// lease meanwhile and marking it live (this process's key recovery leaves it alone), for up
/// to ten minutes; the key's recovery then records the shipment and the retry gets it. A
/// process that dies first leaves the key at `sent`: answered "outcome unknown" (the sale
/// stands, its tracking number logged here), never bought twice.
fn keep_when_back(app: AppState, tenant: TenantId, key: String, owner: String, progress: String) {
    let live = crate::live_keys::Live::enter(&tenant, &key);
    tokio::spawn(async move {
        let _live = live;
        let started = std::time::Instant::now();
        let mut wait = std::time::Duration::from_millis(250);
        loop {
            tokio::time::sleep(wait).await;
            let until = OffsetDateTime::now_utc() + app.idempotency.lease;
            let renewed = app.store.idem_renew(&tenant, &key, &owner, until).await;
            let kept = match renewed {
                Ok(true) => {
                    app.store
                        .idem_progress(&tenant, &key, &owner, "answered", &progress)
                        .await
                }
                Ok(false) => Ok(false),
                Err(e) => Err(e),
            };
            match kept {
                Ok(true) => {
                    tracing::info!(key, "purchase answer kept once the database was back");
                    return;
                }
                Ok(false) => {
                    tracing::error!(
                        key,
                        "PURCHASE KEY LOST while the database was away: another instance resolved it; the sale stands at the carrier"
                    );
                    return;
                }
                Err(e)
                    if e.is_unavailable()
                        && started.elapsed() < std::time::Duration::from_secs(600) =>
                {
                    wait = (wait * 2).min(std::time::Duration::from_secs(2));
                }
                Err(e) => {
                    tracing::error!(error = %e, key, "UNRECORDED PURCHASE: the carrier's answer could not be kept on its key");
                    return;
                }
            }
        }
    });
}

/// The return label of an outbound shipment: the same parcels, service and reference from
/// its receiver back to its sender, without the outbound's options (signature, Saturday
/// delivery and the like are asked of a delivery to a customer, not of a return to the
/// shipper's dock).
fn return_of(outbound: &ShipRequest) -> ShipRequest {
    let mut r = outbound.clone();
    std::mem::swap(&mut r.shipment.from, &mut r.shipment.to);
    r.shipment.options = Default::default();
    r.is_return = true;
    r
}

/// A carrier error of the return label, with its fields under `/return_label`.
/// A bounded purchase's failure as the API's: a throttled one names the account.
fn throttled(account: &AccountId, e: CallError) -> Error {
    match e {
        CallError::Throttled(throttled) => Error::Throttled {
            account: account.to_string(),
            throttled,
        },
        CallError::Carrier(e) => e.into(),
    }
}

fn return_error(e: shiphub_carriers::CarrierError) -> Error {
    match e {
        shiphub_carriers::CarrierError::Rejected { errors, .. } => Error::Validation(
            errors
                .iter()
                .map(|f| {
                    let mut p = crate::error::FieldProblem::from(f);
                    p.pointer = format!("/return_label{}", p.pointer);
                    p
                })
                .collect(),
        ),
        other => other.into(),
    }
}

/// The destination to buy with, once a carrier has checked it: refused (422 on `/to`) when
/// undeliverable, the carrier's standardized address when deliverable with or without
/// corrections (as EasyPost's `verify` and ShipEngine's `validate_and_clean` buy with the
/// corrected address), as given when the carrier cannot tell (`unknown`). The purchase's own
/// account validates when its carrier can; otherwise the tenant's default validating account.
async fn verified_destination(
    app: &AppState,
    tenant: &TenantId,
    account: &crate::store::AccountRecord,
    entry: &CarrierEntry,
    to: shiphub_carriers::model::Address,
) -> Result<shiphub_carriers::model::Address, Error> {
    use shiphub_carriers::model::AddressVerdict;
    let own = entry
        .capabilities
        .supports(Capability::AddressValidation)
        .then(|| account.id.to_string());
    let v = crate::addresses::verify(app, tenant, &to, own.as_deref(), "/verify").await?;
    match v.check.verdict {
        AddressVerdict::Deliverable | AddressVerdict::DeliverableWithCorrections => {
            Ok(v.check.address.unwrap_or(to))
        }
        AddressVerdict::Unknown => Ok(to),
        AddressVerdict::Undeliverable => {
            let reasons: Vec<String> = v
                .check
                .reasons
                .iter()
                .map(|r| format!("{} ({})", r.code, r.message))
                .collect();
            let candidates: Vec<String> = v
                .check
                .candidates
                .iter()
                .map(|c| format!("{}, {}", c.street.join(" "), c.city))
                .collect();
            let mut detail = format!(
                "{} finds the address undeliverable: {}; nothing was bought",
                v.carrier,
                reasons.join(", ")
            );
            if !candidates.is_empty() {
                detail.push_str(&format!("; candidates: {}", candidates.join(" | ")));
            }
            Err(Error::Validation(vec![crate::error::FieldProblem {
                pointer: "/to".into(),
                detail,
                code: Some("undeliverable".into()),
            }]))
        }
    }
}

/// The station `id` and its printer, checked before buying (the job is made after the carrier
/// sold the label): the label it will be sold as (`asked`) can be made in the printer's
/// language on its stock.
pub(super) async fn printer(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
    entry: &CarrierEntry,
    asked: Option<LabelFormat>,
) -> Result<(StationRecord, StationPrinter), Error> {
    let station = crate::print::station_for_job(app, tenant, id, "/print_station").await?;
    let printer = crate::print::station_printer(&station);
    let format = printer.format;
    if !labels::served_formats(asked).contains(&format) {
        return Err(Error::field(
            "/print_station",
            format!(
                "{} labels cannot be made as {} for this station",
                entry.code,
                format.as_str()
            ),
        ));
    }
    if let Some(why) = printer.options.stock.refuses(format) {
        return Err(Error::field(
            "/print_station",
            format!(
                "the station's stock {} on its {} printer: {why}",
                printer.options.stock.as_str(),
                format.as_str()
            ),
        ));
    }
    Ok((station, printer))
}

pub(super) fn waybill_ref(w: &Waybill) -> WaybillRef {
    WaybillRef {
        tracking_number: w.tracking_number.clone(),
        carrier_shipment_id: w.carrier_shipment_id.clone(),
        pieces: w.pieces.clone(),
    }
}

/// What a purchase keeps on its idempotency key: what it asks the carrier (`sent`) and, once
/// it answers, the whole answer (`answered`), so recovery can finish recording it.
#[derive(Serialize, Deserialize)]
pub(super) struct PurchaseProgress {
    pub(super) account: String,
    pub(super) request: ShipRequest,
    pub(super) wanted: LabelFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) waybill: Option<KeptWaybill>,
    /// The return label of the pair was asked for (after the outbound was answered).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) return_sent: bool,
    /// The station the label was to print on: a purchase recovered after its instance died
    /// is printed like any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) print_station: Option<String>,
}

/// A carrier's answer as kept on a key: the waybill, its label bytes in base64.
#[derive(Serialize, Deserialize)]
pub(super) struct KeptWaybill {
    waybill: Waybill,
    label: Option<(LabelFormat, String)>,
}

impl KeptWaybill {
    pub(super) fn tracking_number(&self) -> String {
        self.waybill.tracking_number.to_string()
    }
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
    pub(super) fn into_waybill(self) -> Result<Waybill, Error> {
        use base64::Engine;
        let label = match self.label {
            Some((format, b64)) => Some(LabelDocument {
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

/// A sale the carrier made, to record.
pub(super) struct Bought<'a> {
    pub(super) account: &'a AccountId,
    pub(super) entry: &'static CarrierEntry,
    pub(super) request: &'a ShipRequest,
    pub(super) wanted: LabelFormat,
    pub(super) waybill: Waybill,
}

/// How the return label of a pair went.
pub(super) enum ReturnOutcome<'a> {
    Bought(&'a ShipRequest, Waybill),
    Failed(Error),
}

/// Records a bought waybill: the shipment, its documents, event, tracker and print job, with
/// the key's answer, in one transaction; with the return label of a pair when one was
/// asked for (recorded in the same transaction, linked to the outbound).
pub(super) async fn record_purchase<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    bought: Bought<'_>,
    returned: Option<ReturnOutcome<'_>>,
    printer: Option<&(StationRecord, StationPrinter)>,
    key: Option<Key<'_>>,
    present: Present<A>,
) -> Result<A, Error> {
    let Bought {
        account,
        entry,
        request,
        wanted,
        waybill,
    } = bought;
    let (mut record, docs) = record(account, entry, request, wanted, waybill)?;
    let (ret, return_error) = match returned {
        None => (None, None),
        Some(ReturnOutcome::Failed(e)) => (None, Some(e)),
        Some(ReturnOutcome::Bought(rreq, wb)) => {
            let (mut r, rdocs) = self::record(account, entry, rreq, wanted, wb)?;
            r.link.return_for = Some(record.id.clone());
            record.link.return_id = Some(r.id.clone());
            (Some((r, rdocs, rreq)), None)
        }
    };
    let job = printer
        .map(|(station, p)| {
            crate::print::new_job(
                &record,
                station,
                p.format,
                p.options,
                1,
                crate::print::DEFAULT_TTL,
            )
        })
        .transpose()?;
    let answer = present(
        app,
        &record,
        Change::Bought {
            job: job.as_ref(),
            returned: ret.as_ref().map(|(r, _, _)| r),
            return_error: return_error.as_ref(),
        },
    )?;
    let created = [NewEvent {
        kind: EventType::ShipmentCreated,
        subject_id: record.id.to_string(),
        data: answer.value(),
    }];
    let tracker = tracker_for(app, entry, account, &record, request);
    let extras = crate::store::ShipmentExtras {
        job: job.as_ref(),
        tracker: tracker.as_ref(),
    };
    let mut rows = vec![crate::store::NewShipment {
        record: &record,
        docs: &docs,
        events: &created,
        extras,
    }];
    let return_rows = match &ret {
        Some((r, _, rreq)) => {
            let answer = present(
                app,
                r,
                Change::Bought {
                    job: None,
                    returned: None,
                    return_error: None,
                },
            )?;
            let created = [NewEvent {
                kind: EventType::ShipmentCreated,
                subject_id: r.id.to_string(),
                data: answer.value(),
            }];
            Some((created, tracker_for(app, entry, account, r, rreq)))
        }
        None => None,
    };
    if let (Some((r, rdocs, _)), Some((created, tracker))) = (&ret, &return_rows) {
        rows.push(crate::store::NewShipment {
            record: r,
            docs: rdocs,
            events: created,
            extras: crate::store::ShipmentExtras {
                job: None,
                tracker: tracker.as_ref(),
            },
        });
    }
    app.store
        .insert_shipments(tenant, &rows, completion(&answer, key).as_ref())
        .await?;
    if let Some(job) = &job {
        app.print_wakeups.wake(&job.station_id);
    }
    for r in [Some(&record), ret.as_ref().map(|(r, _, _)| r)]
        .into_iter()
        .flatten()
    {
        metrics::counter!("shiphub_shipments_purchased_total", "carrier" => r.carrier.to_string())
            .increment(1);
    }
    Ok(answer)
}

/// The tracker a purchase starts for its shipment, when its carrier tracks.
fn tracker_for(
    app: &AppState,
    entry: &CarrierEntry,
    account: &AccountId,
    record: &ShipmentRecord,
    request: &ShipRequest,
) -> Option<crate::store::TrackerRecord> {
    entry.capabilities.supports(Capability::Track).then(|| {
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
            record.tracking_number.as_str(),
            entry.code.as_str(),
            Some(account.clone()),
            Some(record.id.clone()),
            class,
            crate::tracking::promised_date(shipped, class),
        );
        t.ship_date = Some(shipped.to_string());
        t
    })
}

/// The carrier sold a label that the hub could not record. Void it at the carrier, so that a
/// retry with the same key cannot leave two bought labels; when even the void fails, keep the
/// idempotency key claimed (a retry gets 409, never a second purchase) and log the waybill for
/// an operator.
pub(super) async fn unrecorded_purchase(
    app: &AppState,
    account: &AccountId,
    adapter: &dyn Carrier,
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

/// The record of a sale, and its label document when the carrier issued one.
fn record(
    account: &AccountId,
    entry: &CarrierEntry,
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
            format: l.format.as_str().into(),
            content: l.content,
        });
        l.format
    });
    let mut record = ShipmentRecord {
        id,
        carrier_account_id: account.clone(),
        carrier: entry.code.clone(),
        service_code: request.service.clone(),
        status: ShipmentStatus::Purchased,
        tracking_number: waybill.tracking_number.clone(),
        reference: request.reference.clone(),
        total,
        label_format: wanted,
        request: StoredRequest::new(request),
        waybill: ShipmentWaybill {
            pieces: waybill.pieces,
            carrier_shipment_id: waybill.carrier_shipment_id,
            breakdown: waybill.breakdown,
            warnings: waybill.warnings,
            carrier_label,
        },
        created_at: now,
        updated_at: now,
        voided_at: None,
        audit_facts: None,
        link: crate::store::ReturnLink {
            is_return: request.is_return,
            ..Default::default()
        },
    };
    let facts =
        crate::reconcile::audit_facts_json(&record, &request.shipment, &record.waybill.breakdown);
    record.audit_facts = Some(facts);
    Ok((record, docs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_return_goes_back_without_the_outbound_options() {
        let outbound: ShipRequest = serde_json::from_value(json!({
            "from": {"name": "Shipper", "street": ["100 Main St"], "city": "Atlanta",
                     "state": "GA", "postal_code": "30301", "country": "US"},
            "to": {"name": "Receiver", "street": ["1 Market St"], "city": "San Francisco",
                   "state": "CA", "postal_code": "94105", "country": "US"},
            "parcels": [{"weight": {"value": "2.5", "unit": "kg"}}],
            "options": {"signature": "adult"},
            "service": "standard", "reference": "ORDER-7"
        }))
        .unwrap();
        let r = return_of(&outbound);
        assert!(r.is_return && !outbound.is_return);
        assert_eq!(r.shipment.from, outbound.shipment.to);
        assert_eq!(r.shipment.to, outbound.shipment.from);
        assert!(r.shipment.options.is_empty());
        assert_eq!(
            (r.service.as_str(), r.reference.as_deref()),
            ("standard", Some("ORDER-7"))
        );
        assert_eq!(r.shipment.parcels, outbound.shipment.parcels);
    }

    #[test]
    fn the_returns_carrier_rejection_points_under_return_label() {
        let e = shiphub_carriers::CarrierError::rejected(
            shiphub_carriers::CarrierCode::from_static("sandbox"),
            "/to/name",
            Some("REJECTED"),
            "no",
        );
        let Error::Validation(problems) = return_error(e) else {
            panic!("a validation problem")
        };
        assert_eq!(problems[0].pointer, "/return_label/to/name");
    }
}
