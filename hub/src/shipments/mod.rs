//! Shipments: buying a waybill and label (rate checks, the carrier's sale through the call
//! layer, the record with its documents, tracker and print job, voiding a sale that could not
//! be recorded), finishing a purchase its process died in, voiding, live tracking, and
//! reading. Knows nothing of HTTP: a change is answered by the caller's representation of
//! the shipment ([`Answer`]), which the domain records with the change.

mod purchase;
mod recover;
mod track;
mod void;

pub use purchase::{Order, buy, buy_now};
pub use recover::recover_purchase;
pub use track::track;
pub use void::{HOLD, void};

use crate::error::Error;
use crate::ids::{ShipmentId, TenantId};
use crate::state::AppState;
use crate::store::{IdemCompletion, PrintJobRecord, ShipmentRecord, StoreError};

/// The idempotency key a change runs under, as the caller claimed it: a purchase keeps its
/// progress on it, and every change completes it with its answer in its own transaction.
#[derive(Clone, Copy, Debug)]
pub struct Key<'a> {
    pub key: &'a str,
    pub owner: &'a str,
}

/// How a change was made, for the caller to answer it.
pub enum Change<'a> {
    /// Bought, with the print job the purchase queued, and the return label bought with it
    /// or why it could not be.
    Bought {
        job: Option<&'a PrintJobRecord>,
        returned: Option<&'a ShipmentRecord>,
        return_error: Option<&'a Error>,
    },
    /// The carrier could not confirm the void; its words.
    VoidRequested {
        detail: String,
    },
    Voided,
}

/// The caller's answer to a change, drawn from the changed record before it is written: the
/// key keeps it (so a retry replays it) and the change's event carries its body.
pub trait Answer {
    /// The body, as the event's data.
    fn value(&self) -> serde_json::Value;
    /// What the key keeps.
    fn completion(&self, key: Key<'_>) -> IdemCompletion;
}

/// Draws the answer to a change from the changed shipment.
pub type Present<A> = fn(&AppState, &ShipmentRecord, Change<'_>) -> Result<A, Error>;

fn completion(answer: &impl Answer, key: Option<Key<'_>>) -> Option<IdemCompletion> {
    key.map(|k| answer.completion(k))
}

/// Records how far a purchase got on its key (nothing without a key). An error when the key
/// is no longer this instance's: the purchase must stop (or undo what it did).
pub(crate) async fn keep_progress(
    app: &AppState,
    tenant: &TenantId,
    key: Option<Key<'_>>,
    stage: &str,
    progress: &str,
) -> Result<(), Error> {
    let Some(k) = key else { return Ok(()) };
    if app
        .store
        .idem_progress(tenant, k.key, k.owner, stage, progress)
        .await?
    {
        Ok(())
    } else {
        Err(StoreError::LeaseLost(k.key.to_string()).into())
    }
}

/// The tenant's shipment `id` (as given: an id of another shape is not found).
pub async fn load(app: &AppState, tenant: &TenantId, id: &str) -> Result<ShipmentRecord, Error> {
    let id = ShipmentId::parse(id).ok_or(Error::NotFound("shipment"))?;
    app.store
        .get_shipment(tenant, &id)
        .await?
        .ok_or(Error::NotFound("shipment"))
}

/// Up to `limit` of the tenant's shipments, newest first, older than `before` (the cursor).
pub async fn list(
    app: &AppState,
    tenant: &TenantId,
    before: Option<&ShipmentId>,
    limit: u32,
) -> Result<Vec<ShipmentRecord>, Error> {
    Ok(app.store.list_shipments(tenant, before, limit).await?)
}

/// The account a shipment was bought on, for a call to its carrier.
async fn account_of(
    app: &AppState,
    tenant: &TenantId,
    s: &ShipmentRecord,
) -> Result<crate::store::AccountRecord, Error> {
    app.store
        .get_account(tenant, &s.carrier_account_id)
        .await?
        .ok_or_else(|| {
            Error::Conflict(
                "the carrier account this shipment was bought on has been removed".into(),
            )
        })
}
