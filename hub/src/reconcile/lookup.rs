//! Matching a batch of invoice packages to the hub's shipments: by tracking number, then by
//! reference, with the invoices that billed them before.

use std::collections::HashMap;

use shiphub_rating::invoice::{ChargeCategory, InvoicePackage, ShipmentIndex, lookup_keys};

use super::ReconcileError;
use super::facts::{Facts, expected};
use crate::ids::TenantId;
use crate::store::Store;

pub(super) struct Matched {
    pub(super) batch: Vec<InvoicePackage>,
    pub(super) index: ShipmentIndex,
    /// Hub shipment id by tracking number, for the rows kept with an import.
    pub(super) ids: HashMap<String, String>,
}

/// The package carries the shipment charge itself (not only corrections of it).
pub(super) fn bills_shipment(p: &InvoicePackage) -> bool {
    p.charges
        .iter()
        .any(|c| c.category == ChargeCategory::Base && !c.adjustment)
}

/// The shipments a batch bills: by tracking number, then by reference for the packages not
/// found so, with the invoices that billed them before.
pub(super) async fn lookup(
    store: &Store,
    tenant: &TenantId,
    carrier: Option<&str>,
    batch: &[InvoicePackage],
    recording: bool,
) -> Result<(ShipmentIndex, HashMap<String, String>), ReconcileError> {
    let keys = lookup_keys(batch);
    let mut facts: Vec<Facts> = store
        .shipment_facts_by_tracking(tenant, carrier, &keys.tracking_numbers)
        .await?;
    let found: std::collections::HashSet<&str> = facts
        .iter()
        .map(|f| f.shipment.tracking_number.as_str())
        .collect();
    let mut refs: Vec<String> = batch
        .iter()
        .filter(|p| !found.contains(p.tracking_number.as_str()))
        .filter_map(|p| p.reference.clone())
        .collect();
    drop(found);
    refs.sort_unstable();
    refs.dedup();
    if !refs.is_empty() {
        let known: std::collections::HashSet<String> = facts
            .iter()
            .map(|f| f.shipment.shipment_id.clone())
            .collect();
        let by_ref: Vec<Facts> = store
            .shipment_facts_by_reference(tenant, carrier, &refs)
            .await?;
        facts.extend(
            by_ref
                .into_iter()
                .filter(|f| !known.contains(&f.shipment.shipment_id)),
        );
    }
    let numbers: Vec<String> = facts
        .iter()
        .map(|f| f.shipment.tracking_number.clone())
        .collect();
    let billings = store.earlier_billings(tenant, &numbers).await?;
    let mut earlier: HashMap<String, Vec<String>> = HashMap::new();
    if !billings.is_empty() {
        let ours = billed_on(batch);
        for (tn, inv, date) in billings {
            let later = match (date, ours.get(tn.as_str())) {
                (Some(date), Some((our_date, our_inv))) => {
                    (date.as_str(), inv.as_str()) > (our_date.as_str(), *our_inv)
                }
                // Without dates to compare it counts as earlier.
                _ => false,
            };
            if !later {
                earlier.entry(tn).or_default().push(inv);
            }
        }
    }
    let mut ids = HashMap::with_capacity(facts.len());
    let mut shipments = Vec::with_capacity(facts.len());
    for f in facts {
        if recording {
            ids.insert(
                f.shipment.tracking_number.clone(),
                f.shipment.shipment_id.clone(),
            );
        }
        let mut e = expected(f)?;
        e.previously_billed = earlier.remove(&e.tracking_number).unwrap_or_default();
        shipments.push(e);
    }
    Ok((ShipmentIndex::new(shipments), ids))
}

/// When this batch bills each package's shipment charge: (invoice date, invoice number), the
/// earliest when it does so twice. A kept billing after that (by date, then invoice number,
/// which carriers count up per account) is a later invoice's: re-auditing an older invoice must
/// not call its line the duplicate of a later one.
pub(super) fn billed_on(batch: &[InvoicePackage]) -> HashMap<&str, (String, &str)> {
    let mut on: HashMap<&str, (String, &str)> = HashMap::new();
    for p in batch.iter().filter(|p| bills_shipment(p)) {
        let Some(date) = p.invoice_date else { continue };
        let this = (date.to_string(), p.invoice_number.as_str());
        on.entry(p.tracking_number.as_str())
            .and_modify(|e| {
                if this < *e {
                    *e = this.clone();
                }
            })
            .or_insert(this);
    }
    on
}
