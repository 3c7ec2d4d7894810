//! Voiding: cancelling an unused waybill at the carrier, or recording that it was asked to.

use shiphub_carriers::model::WaybillRef;
use shiphub_carriers::{Capability, CarrierError, VoidOutcome};
use time::OffsetDateTime;

use super::{Answer, Change, Key, Present, account_of, completion, load};
use crate::error::Error;
use crate::events::EventType;
use crate::ids::{ShipmentId, TenantId};
use crate::state::AppState;
use crate::store::{HoldConflict, NewEvent, ShipmentRecord, ShipmentStatus};

/// Voids shipment `id` under `key`, answered by `present`. Where the carrier cannot confirm
/// the void the shipment becomes `void_requested`, not `voided`.
pub async fn void<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
    key: Option<Key<'_>>,
    present: Present<A>,
) -> Result<A, Error> {
    let s = load(app, tenant, id).await?;
    if s.voided_at.is_some() {
        return Err(Error::Conflict(format!(
            "shipment {} is already voided",
            s.id
        )));
    }
    // Handed over on a manifest (the USPS SCAN form): the carrier has it, no void any more.
    if let Some(m) = app.store.manifest_of(tenant, &s.id).await? {
        return Err(Error::Conflict(format!(
            "shipment {} is in manifest {m}: a manifested shipment cannot be voided",
            s.id
        )));
    }
    // Held before the carrier hears of it, so a close cannot list the shipment while the
    // carrier cancels it (`store::holds`).
    let holder = format!("void:{}", s.id);
    let now = OffsetDateTime::now_utc();
    match app
        .store
        .hold_shipments(
            tenant,
            std::slice::from_ref(&s.id),
            &holder,
            now,
            now + HOLD,
        )
        .await?
    {
        Ok(()) => {}
        Err(HoldConflict::Held(id, by)) => {
            return Err(Error::Conflict(format!(
                "shipment {id} is being closed in an end-of-day manifest ({by}): it cannot be \
                 voided while the carrier takes the close; a manifested shipment cannot be voided"
            )));
        }
        Err(_) => {
            return Err(refused(app, tenant, &s.id, "voided or its void was requested").await);
        }
    }
    let sid = s.id.clone();
    let result = void_held(app, tenant, s, key, present).await;
    if result.is_err() {
        // The carrier did not cancel it (or what it did is recorded as `void_requested`): let
        // go, so that a close may take it. A void that finished dropped its hold already.
        let _ = app
            .store
            .release_shipments(tenant, std::slice::from_ref(&sid), &holder)
            .await;
    }
    result
}

/// How long a void or a close holds its shipments at most (a process that died mid-call).
pub const HOLD: time::Duration = time::Duration::minutes(5);

async fn void_held<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    s: ShipmentRecord,
    key: Option<Key<'_>>,
    present: Present<A>,
) -> Result<A, Error> {
    let account = account_of(app, tenant, &s).await?;
    let waybill = WaybillRef {
        tracking_number: s.tracking_number.clone(),
        carrier_shipment_id: s.waybill.carrier_shipment_id.clone(),
        pieces: s.waybill.pieces.clone(),
    };
    let adapter = app
        .carriers
        .adapter(&app.store, tenant, &account, &app.master_key)
        .await?;
    let outcome = app
        .calls
        .void(&account.id, adapter.as_ref(), &waybill)
        .await;
    // A carrier that cannot confirm a void (MyDHL has no cancel; USPS reviews refund
    // requests): the shipment is marked `void_requested`, never `voided`.
    let unconfirmed = match outcome {
        Ok(VoidOutcome::Voided) => None,
        Ok(VoidOutcome::Requested { detail }) => Some(detail),
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
    let now = OffsetDateTime::now_utc();
    if let Some(detail) = unconfirmed {
        let requested = ShipmentRecord {
            status: ShipmentStatus::VoidRequested,
            updated_at: now,
            ..s
        };
        let answer = present(app, &requested, Change::VoidRequested { detail })?;
        let event = NewEvent {
            kind: EventType::ShipmentVoidRequested,
            subject_id: requested.id.to_string(),
            data: answer.value(),
        };
        if !app
            .store
            .request_void(
                tenant,
                &requested.id,
                now,
                &[event],
                completion(&answer, key).as_ref(),
            )
            .await?
        {
            return Err(refused(
                app,
                tenant,
                &requested.id,
                "already voided or its void was requested",
            )
            .await);
        }
        return Ok(answer);
    }
    let voided = ShipmentRecord {
        status: ShipmentStatus::Voided,
        voided_at: Some(now),
        updated_at: now,
        ..s
    };
    let answer = present(app, &voided, Change::Voided)?;
    if !app
        .store
        .void_shipment(
            tenant,
            &voided.id,
            now,
            &[NewEvent {
                kind: EventType::ShipmentVoided,
                subject_id: voided.id.to_string(),
                data: answer.value(),
            }],
            completion(&answer, key).as_ref(),
        )
        .await?
    {
        return Err(refused(app, tenant, &voided.id, "already voided").await);
    }
    Ok(answer)
}

/// Why the store refused a void: a close that took the shipment between our look and the
/// UPDATE (which re-checks in the same statement), or another void.
async fn refused(app: &AppState, tenant: &TenantId, id: &ShipmentId, otherwise: &str) -> Error {
    match app.store.manifest_of(tenant, id).await {
        Ok(Some(m)) => Error::Conflict(format!(
            "shipment {id} was manifested in {m} while its void was under way: a manifested \
             shipment cannot be voided (the carrier was asked to cancel it; check the label \
             with the carrier before handing it over)"
        )),
        Ok(None) => Error::Conflict(format!("shipment {id} is {otherwise}")),
        Err(e) => e.into(),
    }
}
