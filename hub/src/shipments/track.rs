//! A shipment's live tracking, asked of its carrier and recorded on its tracker.

use shiphub_carriers::model::{TrackQuery, TrackingResult};

use super::{account_of, load};
use crate::error::Error;
use crate::ids::TenantId;
use crate::state::AppState;
use crate::tracking::TrackerOut;

/// The carrier's current tracking for shipment `id`, asked live through the call layer and
/// recorded on the shipment's tracker (returned as it stands after), exactly as a scheduled
/// poll would be.
pub async fn track(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
) -> Result<(TrackingResult, Option<TrackerOut>), Error> {
    let s = load(app, tenant, id).await?;
    let account = account_of(app, tenant, &s).await?;
    let number = s.tracking_number.clone();
    let adapter = app
        .carriers
        .adapter(&app.store, tenant, &account, &app.master_key)
        .await?;
    let own = app.store.tracker_for_shipment(tenant, &s.id).await?;
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
        let recorded =
            crate::tracking::trackers::record_result(app, tenant, &t.id, &result).await?;
        tracker = recorded.map(|t| TrackerOut::new(&t, result.events.last()));
    }
    Ok((result, tracker))
}
