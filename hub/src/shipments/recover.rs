//! Finishing a purchase whose process died after reaching the carrier.

use super::purchase::{
    Bought, PurchaseProgress, ReturnOutcome, record_purchase, unrecorded_purchase,
};
use super::{Answer, Key, Present};
use crate::error::Error;
use crate::ids::{AccountId, TenantId};
use crate::state::AppState;
use crate::store::StoreError;

/// Resolves the key of a purchase whose process died after reaching the carrier (called by
/// key recovery, which holds the key). `answered`: the carrier's kept answer is recorded as
/// the shipment (no print job: the station's moment has passed), so the retry replays it.
/// `sent`: the request went out and no answer was kept, and no carrier here can be asked
/// what it sold under a reference, so the key gets a final answer naming what to check;
/// never a second purchase.
pub async fn recover_purchase<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    key: Key<'_>,
    stage: &str,
    progress: Option<&str>,
    present: Present<A>,
) -> Result<(), Error> {
    let kept: PurchaseProgress = progress
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| Error::PurchaseOutcomeUnknown(format!(
            "the purchase under this key reached the carrier and its record is unreadable; check the tenant's carrier accounts (key `{}`)", key.key)))?;
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
    // Without the database the kept answer stays on the key (released, it would be lost).
    let tracking = kept_waybill.tracking_number();
    let account = app
        .store
        .get_account(tenant, &account_id)
        .await
        .map_err(|e| match e {
            e if e.is_unavailable() => Error::PurchaseKept(tracking.clone()),
            e => Error::Store(e),
        })?
        .ok_or_else(unknown)?;
    let entry = app.carriers.entry(&account.carrier).ok_or_else(unknown)?;
    let waybill = kept_waybill.into_waybill()?;
    let reference = super::purchase::waybill_ref(&waybill);
    let bought = Bought {
        account: &account.id,
        entry,
        request: &kept.request,
        wanted: kept.wanted,
        waybill,
    };
    // The return label of a pair asked for before the process died: whether the carrier sold
    // it is unknown here (its answer is never kept apart), so the outbound is recorded and
    // the answer says what to check; never a second purchase.
    let returned = kept.return_sent.then(|| {
        ReturnOutcome::Failed(Error::PurchaseOutcomeUnknown(format!(
            "the return label was sent to carrier account {} and the hub stopped before its answer; check that account for it, or buy one with `is_return`",
            kept.account
        )))
    });
    // Its print job too, unless the station can no longer take it (deleted or changed since
    // the purchase checked it): the label is kept, and printable by hand.
    let printer = match &kept.print_station {
        Some(id) => {
            match super::purchase::printer(app, tenant, id, entry, Some(kept.request.label_format))
                .await
            {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::warn!(error = %e, station = %id, "a recovered purchase is not printed");
                    None
                }
            }
        }
        None => None,
    };
    match record_purchase(
        app,
        tenant,
        bought,
        returned,
        printer.as_ref(),
        Some(key),
        present,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(cause @ Error::Store(StoreError::LeaseLost(_))) => Err(cause),
        // Still no database: the kept answer stays on the key for the next recovery.
        Err(Error::Store(e)) if e.is_unavailable() => {
            Err(Error::PurchaseKept(reference.tracking_number.to_string()))
        }
        Err(cause) => {
            let adapter = app
                .carriers
                .adapter(&app.store, tenant, &account, &app.master_key)
                .await?;
            Err(unrecorded_purchase(app, &account.id, adapter.as_ref(), &reference, cause).await)
        }
    }
}
