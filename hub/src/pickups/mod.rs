//! Courier pickups: booking one at the carrier (its parcels counted and weighed from the
//! shipments it covers when they are named), cancelling it, reading. Knows nothing of HTTP:
//! the caller's answer is drawn from the record and written with it, as for shipments.

use shiphub_carriers::model::{
    Address, PickupRef, PickupRequest, PickupShipment, ShipRequest, Weight,
};
use shiphub_carriers::{Capability, CarrierError};
use time::{Date, OffsetDateTime, Time};

use crate::error::{Error, FieldProblem};
use crate::events::EventType;
use crate::ids::{PickupId, ShipmentId, TenantId};
use crate::shipments::{Answer, Key};
use crate::state::AppState;
use crate::store::{
    AccountRecord, IdemCompletion, NewEvent, PickupRecord, PickupStatus, ShipmentRecord,
    ShipmentStatus,
};

/// At most this many shipments in one pickup or manifest request.
pub const MAX_SHIPMENTS: usize = 500;

/// A pickup to book, as asked.
pub struct Booking {
    pub carrier_account: String,
    /// Where; the first shipment's origin when not given.
    pub address: Option<Address>,
    pub date: Date,
    pub ready_time: Time,
    pub close_time: Time,
    /// Counted from the shipments when not given.
    pub parcel_count: Option<u32>,
    /// Summed from the shipments' parcels when not given.
    pub total_weight: Option<Weight>,
    /// Ids of shipments bought here on the same account.
    pub shipments: Vec<String>,
    pub instructions: Option<String>,
}

/// Draws the answer to a change from the changed pickup.
pub type Present<A> = fn(&AppState, &PickupRecord, Change) -> Result<A, Error>;

/// How a pickup was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Booked,
    Cancelled,
}

fn completion(answer: &impl Answer, key: Option<Key<'_>>) -> Option<IdemCompletion> {
    key.map(|k| answer.completion(k))
}

/// The tenant's carrier account named in a request at `pointer`, whose carrier offers `cap`.
pub(crate) async fn account_for(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
    cap: Capability,
) -> Result<AccountRecord, Error> {
    let (account, entry) = crate::accounts::named(app, tenant, id, "/carrier_account").await?;
    if !entry.capabilities.supports(cap) {
        return Err(CarrierError::unsupported(entry.code.clone(), cap).into());
    }
    Ok(account)
}

/// The shipments `ids` (at `/shipments/i`), each bought here on `account` and neither voided
/// nor with a void requested; every bad one is named.
pub(crate) async fn shipments_on(
    app: &AppState,
    tenant: &TenantId,
    account: &AccountRecord,
    ids: &[String],
) -> Result<Vec<ShipmentRecord>, Error> {
    if ids.len() > MAX_SHIPMENTS {
        return Err(Error::field(
            "/shipments",
            format!("at most {MAX_SHIPMENTS} shipments"),
        ));
    }
    let mut out: Vec<ShipmentRecord> = Vec::with_capacity(ids.len());
    let mut bad = Vec::new();
    let mut problem = |i: usize, detail: String| {
        bad.push(FieldProblem {
            pointer: format!("/shipments/{i}"),
            detail,
            code: None,
        })
    };
    for (i, raw) in ids.iter().enumerate() {
        let Some(id) = ShipmentId::parse(raw) else {
            problem(i, "not a shipment id".into());
            continue;
        };
        if out.iter().any(|s| s.id == id) {
            problem(i, format!("{id} is listed twice"));
            continue;
        }
        let Some(s) = app.store.get_shipment(tenant, &id).await? else {
            problem(i, format!("no shipment {id}"));
            continue;
        };
        if s.carrier_account_id != account.id {
            problem(
                i,
                format!(
                    "{id} was bought on carrier account {}, not {}",
                    s.carrier_account_id, account.id
                ),
            );
        } else if s.status != ShipmentStatus::Purchased {
            problem(i, format!("{id} is {}", s.status.as_str()));
        } else {
            out.push(s);
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        Err(Error::Validation(bad))
    }
}

/// A shipment's request as bought.
pub(crate) fn request_of(s: &ShipmentRecord) -> Result<ShipRequest, Error> {
    Ok(s.request.decode()?)
}

/// Books a pickup under `key`, answered by `present`.
pub async fn book<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    b: Booking,
    key: Option<Key<'_>>,
    present: Present<A>,
) -> Result<A, Error> {
    let account = account_for(app, tenant, &b.carrier_account, Capability::Pickup).await?;
    if b.close_time <= b.ready_time {
        return Err(Error::field("/close_time", "must be after ready_time"));
    }
    let shipments = shipments_on(app, tenant, &account, &b.shipments).await?;
    let mut covered = Vec::with_capacity(shipments.len());
    let mut weights = Vec::new();
    let mut origin = None;
    for s in &shipments {
        let r = request_of(s)?;
        covered.push(PickupShipment {
            tracking_number: s.tracking_number.clone(),
            service: s.service_code.clone(),
            destination_country: r.shipment.to.country.as_str().to_string(),
            parcels: s.waybill.pieces.len().max(1) as u32,
        });
        weights.extend(r.shipment.parcels.iter().map(|p| p.weight));
        origin.get_or_insert(r.shipment.from);
    }
    let address = b
        .address
        .or(origin)
        .ok_or_else(|| Error::field("/address", "required unless shipments are given"))?;
    let parcel_count = match b.parcel_count {
        Some(n) => n,
        None if !covered.is_empty() => covered.iter().map(|c| c.parcels).sum(),
        None => {
            return Err(Error::field(
                "/parcel_count",
                "required unless shipments are given",
            ));
        }
    };
    if parcel_count == 0 {
        return Err(Error::field("/parcel_count", "must be at least 1"));
    }
    let total_weight = match (b.total_weight, weights.first()) {
        (Some(w), _) => w,
        (None, Some(first)) => {
            // Summed in the first parcel's unit, else in kg; a total no weight can hold
            // (10000 units or more) is for the caller to state, not a row that reads back corrupt.
            let sum = Weight::sum(first.unit(), weights.iter().copied());
            Weight::new(sum.value(), sum.unit())
                .or_else(|_| {
                    let kg = sum.ceil_to(
                        rust_decimal::Decimal::new(1, 4),
                        shiphub_carriers::model::WeightUnit::Kg,
                    );
                    Weight::new(kg.value(), kg.unit())
                })
                .map_err(|_| {
                    Error::field(
                        "/total_weight",
                        "the shipments weigh more than a pickup weight can say; give total_weight",
                    )
                })?
        }
        (None, None) => {
            return Err(Error::field(
                "/total_weight",
                "required unless shipments are given",
            ));
        }
    };
    let request = PickupRequest {
        address,
        date: b.date,
        ready_time: b.ready_time,
        close_time: b.close_time,
        parcel_count,
        total_weight,
        shipments: covered,
        instructions: b.instructions,
    };
    let adapter = app
        .carriers
        .adapter(&app.store, tenant, &account, &app.master_key)
        .await?;
    // The key records that the carrier is about to be asked (past the rate limiter): a
    // process dying before the answer is recorded leaves a key that recovery answers with
    // "outcome unknown", never one whose retry books a second courier.
    let sent = Sent {
        account: account.id.to_string(),
        check: format!(
            "a pickup on {} ({}-{}) at {}, {} was sent to carrier account {}",
            request.date,
            hh_mm(request.ready_time),
            hh_mm(request.close_time),
            request.address.street.first().map_or("", String::as_str),
            request.address.city,
            account.id
        ),
    }
    .to_json();
    let confirmation = app
        .calls
        .schedule_pickup(&account.id, adapter.as_ref(), &request, || {
            crate::shipments::keep_progress(app, tenant, key, SENT, &sent)
        })
        .await??;
    let now = now_ms();
    let record = PickupRecord {
        id: PickupId::generate(),
        carrier_account_id: account.id.clone(),
        carrier: adapter.code(),
        status: PickupStatus::Scheduled,
        request,
        confirmation,
        shipment_ids: shipments.into_iter().map(|s| s.id).collect(),
        created_at: now,
        updated_at: now,
        cancelled_at: None,
    };
    let answer = present(app, &record, Change::Booked)?;
    let booked = [NewEvent {
        kind: EventType::PickupBooked,
        subject_id: record.id.to_string(),
        data: answer.value(),
    }];
    app.store
        .insert_pickup(tenant, &record, &booked, completion(&answer, key).as_ref())
        .await?;
    Ok(answer)
}

/// The tenant's pickup `id` (as given: an id of another shape is not found).
pub async fn load(app: &AppState, tenant: &TenantId, id: &str) -> Result<PickupRecord, Error> {
    let id = PickupId::parse(id).ok_or(Error::NotFound("pickup"))?;
    app.store
        .get_pickup(tenant, &id)
        .await?
        .ok_or(Error::NotFound("pickup"))
}

/// Up to `limit` of the tenant's pickups, newest first, older than `before` (the cursor).
pub async fn list(
    app: &AppState,
    tenant: &TenantId,
    before: Option<&PickupId>,
    limit: u32,
) -> Result<Vec<PickupRecord>, Error> {
    Ok(app.store.list_pickups(tenant, before, limit).await?)
}

/// Cancels pickup `id` at the carrier under `key`. A cancelled pickup is not cancelled again:
/// a 409 (a retry with the first request's key replays its answer instead).
pub async fn cancel<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
    key: Option<Key<'_>>,
    present: Present<A>,
) -> Result<A, Error> {
    let p = load(app, tenant, id).await?;
    let already = || Error::Conflict(format!("pickup {} is already cancelled", p.id));
    if p.status == PickupStatus::Cancelled {
        return Err(already());
    }
    let account = app
        .store
        .get_account(tenant, &p.carrier_account_id)
        .await?
        .ok_or_else(|| {
            Error::Conflict("the carrier account this pickup was booked on has been removed".into())
        })?;
    let adapter = app
        .carriers
        .adapter(&app.store, tenant, &account, &app.master_key)
        .await?;
    let booked = PickupRef {
        confirmation: p.confirmation.confirmation.clone(),
        location: p.confirmation.location.clone(),
        date: p.request.date,
        address: p.request.address.clone(),
    };
    app.calls
        .cancel_pickup(&account.id, adapter.as_ref(), &booked)
        .await?;
    let now = now_ms();
    let cancelled = PickupRecord {
        status: PickupStatus::Cancelled,
        cancelled_at: Some(now),
        updated_at: now,
        ..p
    };
    let answer = present(app, &cancelled, Change::Cancelled)?;
    if !app
        .store
        .cancel_pickup(
            tenant,
            &cancelled.id,
            now,
            &[NewEvent {
                kind: EventType::PickupCancelled,
                subject_id: cancelled.id.to_string(),
                data: answer.value(),
            }],
            completion(&answer, key).as_ref(),
        )
        .await?
    {
        return Err(Error::Conflict(format!(
            "pickup {} is already cancelled",
            cancelled.id
        )));
    }
    Ok(answer)
}

/// The stage a pickup booking or a close keeps on its key just before the carrier is asked.
pub const SENT: &str = "sent";

/// What a booking or a close keeps on its key when it is sent: enough for recovery to say
/// what to check.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Sent {
    pub account: String,
    /// What was sent, in words.
    pub check: String,
}

impl Sent {
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("progress serializes")
    }
}

/// The final answer for the key of a booking or a close whose process died after sending it
/// (`progress` as kept): the carrier may have acted, and no carrier here can be asked what it
/// did under our request, so the answer names what to check and the key never acts again.
pub fn outcome_unknown(scope: &str, progress: Option<&str>, key: &str) -> Error {
    let (what, todo) = if scope.starts_with("POST /v1/manifests") {
        (
            "close",
            "check the carrier's manifests (SCAN forms, close documents) of that account for that \
             day; the shipments are not recorded as manifested here, so they stay voidable and \
             a close under a new key may be refused or duplicate them",
        )
    } else {
        (
            "booking",
            "check that account's pickups with the carrier and cancel a booking you do not want; \
             book again under a new key only if there is none",
        )
    };
    let sent = progress
        .and_then(|p| serde_json::from_str::<Sent>(p).ok())
        .map_or_else(
            || "this request was sent to the carrier".to_string(),
            |s| s.check,
        );
    Error::CarrierOutcomeUnknown(format!(
        "{sent} and the hub stopped before its answer: {todo}; this key (`{key}`) will not \
         send the {what} again"
    ))
}

fn hh_mm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Now, as the store keeps it (milliseconds): a change's answer is what a read shows later.
fn now_ms() -> OffsetDateTime {
    crate::store::from_millis(crate::store::millis(OffsetDateTime::now_utc()))
}
