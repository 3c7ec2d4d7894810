//! End of day: closing an account's ship date (or a list of its shipments) with the carrier's
//! manifest, keeping the document the driver scans, and reading them back.
//!
//! Which shipments a ship date covers: the account's shipments that are purchased (neither
//! voided nor with a void requested) and in no manifest yet, whose ship date is that date,
//! or, for a shipment bought without a ship date, whose purchase falls on that date in UTC.
//! The ship date a shipment was bought with is the shipper's own calendar day, taken as
//! given; the hub keeps no time zone per address, so a purchase without one is dated by the
//! UTC clock (documented in the README: send `ship_date` with every purchase to close by
//! local days). Only purchases of the 31 days up to the date are looked at: carriers take
//! ship dates at most a couple of weeks ahead.

use shiphub_carriers::Capability;
use shiphub_carriers::model::{LabelDocument, LabelFormat, ManifestRequest, WaybillRef};
use time::{Date, Duration, OffsetDateTime};

use crate::error::Error;
use crate::events::EventType;
use crate::ids::{ManifestId, ShipmentId, TenantId};
use crate::pickups::{account_for, request_of, shipments_on};
use crate::shipments::{Answer, Key};
use crate::state::AppState;
use crate::store::{HoldConflict, ManifestConflict, ManifestRecord, NewEvent, ShipmentRecord};

/// A close, as asked: a ship date, or a list of shipments (then dated `ship_date`, or today).
pub struct Close {
    pub carrier_account: String,
    pub ship_date: Option<Date>,
    pub shipments: Option<Vec<String>>,
}

/// Draws the answer from the new manifest.
pub type Present<A> = fn(&AppState, &ManifestRecord) -> Result<A, Error>;

/// How far back a close looks for purchases dated the closed day.
const LOOK_BACK_DAYS: i64 = 31;

/// The shipments a ship date covers (see the module's doc), oldest first.
pub async fn due(
    app: &AppState,
    tenant: &TenantId,
    account: &crate::store::AccountRecord,
    date: Date,
) -> Result<Vec<ShipmentRecord>, Error> {
    // Saturating at the calendar's ends: a date of year 9999 is odd input, not a panic.
    let day_start = date.midnight().assume_utc();
    let from = day_start
        .checked_sub(Duration::days(LOOK_BACK_DAYS))
        .unwrap_or(day_start);
    let to = day_start
        .checked_add(Duration::days(1))
        .unwrap_or(day_start);
    let candidates = app
        .store
        .unmanifested_shipments(tenant, &account.id, from, to, OffsetDateTime::now_utc())
        .await?;
    let mut out = Vec::new();
    for s in candidates {
        if ship_day(&s)? == date {
            out.push(s);
        }
    }
    Ok(out)
}

/// The day a shipment ships: its ship date as bought, else its purchase's UTC day.
pub fn ship_day(s: &ShipmentRecord) -> Result<Date, Error> {
    Ok(request_of(s)?
        .shipment
        .ship_date
        .unwrap_or_else(|| s.created_at.to_offset(time::UtcOffset::UTC).date()))
}

/// Closes a day (or a list) under `key`, answered by `present`.
pub async fn close<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    c: Close,
    key: Option<Key<'_>>,
    present: Present<A>,
) -> Result<A, Error> {
    let account = account_for(app, tenant, &c.carrier_account, Capability::Manifest).await?;
    let (ship_date, shipments) = match (c.ship_date, c.shipments) {
        (_, Some(ids)) => {
            if ids.is_empty() {
                return Err(Error::field("/shipments", "lists no shipment to manifest"));
            }
            let list = shipments_on(app, tenant, &account, &ids).await?;
            let mut taken = Vec::new();
            for (i, s) in list.iter().enumerate() {
                if let Some(m) = app.store.manifest_of(tenant, &s.id).await? {
                    taken.push(crate::error::FieldProblem {
                        pointer: format!("/shipments/{i}"),
                        detail: format!("{} is in manifest {m} already", s.id),
                        code: None,
                    });
                }
            }
            if !taken.is_empty() {
                return Err(Error::Validation(taken));
            }
            let date = c
                .ship_date
                .unwrap_or_else(|| OffsetDateTime::now_utc().date());
            (date, list)
        }
        (Some(date), None) => {
            let list = due(app, tenant, &account, date).await?;
            if list.is_empty() {
                return Err(Error::field(
                    "/ship_date",
                    format!(
                        "no shipment of {} to manifest on {date}: none purchased for that day is \
                         unvoided and outside a manifest",
                        account.id
                    ),
                ));
            }
            (date, list)
        }
        (None, None) => {
            return Err(Error::field(
                "/ship_date",
                "give ship_date (close that day) or shipments (close those)",
            ));
        }
    };
    // Held before the carrier hears of the close, so no void cancels a label it lists
    // (`store::holds`); the write below drops the holds, a failure lets go of them.
    let holder = format!("manifest:{}", uuid::Uuid::now_v7().simple());
    let ids: Vec<ShipmentId> = shipments.iter().map(|s| s.id.clone()).collect();
    let now = OffsetDateTime::now_utc();
    if let Err(conflict) = app
        .store
        .hold_shipments(tenant, &ids, &holder, now, now + crate::shipments::HOLD)
        .await?
    {
        return Err(match conflict {
            HoldConflict::Held(s, by) => Error::Conflict(format!(
                "shipment {s} is held by {by}: a void or another close of it is under way; \
                 leave it out or close again once it is done"
            )),
            HoldConflict::Manifested(s) => {
                Error::Conflict(format!("shipment {s} was manifested meanwhile"))
            }
            HoldConflict::NotPurchased(s) => {
                Error::Conflict(format!("shipment {s} was voided meanwhile"))
            }
        });
    }
    let result = close_held(app, tenant, &account, ship_date, shipments, key, present).await;
    if result.is_err() {
        let _ = app.store.release_shipments(tenant, &ids, &holder).await;
    }
    result
}

async fn close_held<A: Answer>(
    app: &AppState,
    tenant: &TenantId,
    account: &crate::store::AccountRecord,
    ship_date: Date,
    shipments: Vec<ShipmentRecord>,
    key: Option<Key<'_>>,
    present: Present<A>,
) -> Result<A, Error> {
    let from = request_of(&shipments[0])?.shipment.from;
    let request = ManifestRequest {
        ship_date,
        from: from.clone(),
        shipments: shipments
            .iter()
            .map(|s| WaybillRef {
                tracking_number: s.tracking_number.clone(),
                carrier_shipment_id: s.waybill.carrier_shipment_id.clone(),
                pieces: s.waybill.pieces.clone(),
            })
            .collect(),
    };
    let adapter = app
        .carriers
        .adapter(&app.store, tenant, account, &app.master_key)
        .await?;
    // As a pickup booking: the key says the close is going out before it does.
    let sent = crate::pickups::Sent {
        account: account.id.to_string(),
        check: format!(
            "a close of {} shipment(s) dated {ship_date} ({}) was sent to carrier account {}",
            request.shipments.len(),
            request
                .shipments
                .iter()
                .take(3)
                .map(|w| w.tracking_number.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            account.id
        ),
    }
    .to_json();
    let manifest = app
        .calls
        .manifest(&account.id, adapter.as_ref(), &request, || {
            crate::shipments::keep_progress(app, tenant, key, crate::pickups::SENT, &sent)
        })
        .await??;
    let numbers = if manifest.tracking_numbers.is_empty() {
        request
            .shipments
            .iter()
            .flat_map(|w| w.pieces.iter().cloned())
            .collect()
    } else {
        manifest.tracking_numbers.clone()
    };
    let (source, document) = match manifest.document {
        Some(doc) => ("carrier", doc),
        None => {
            let carrier_name = app
                .carriers
                .entry(&account.carrier)
                .map_or_else(|| account.carrier.clone(), |e| e.name.to_string());
            let input = shiphub_labels::manifest_doc::ManifestInput {
                carrier: carrier_name,
                manifest_id: manifest.carrier_manifest_id.clone(),
                ship_date,
                from,
                shipments: shipments.len(),
                tracking_numbers: numbers.clone(),
            };
            let pdf =
                tokio::task::spawn_blocking(move || shiphub_labels::manifest_doc::manifest(&input))
                    .await
                    .map_err(|e| Error::Internal(format!("manifest document task: {e}")))?
                    .map_err(|e| {
                        Error::field(
                            "/shipments",
                            format!("the manifest page cannot be drawn: {e}"),
                        )
                    })?;
            (
                "hub",
                LabelDocument {
                    format: LabelFormat::Pdf,
                    content: pdf,
                },
            )
        }
    };
    let record = ManifestRecord {
        id: ManifestId::generate(),
        carrier_account_id: account.id.clone(),
        carrier: adapter.code(),
        ship_date,
        carrier_manifest_id: manifest.carrier_manifest_id,
        shipment_ids: shipments.iter().map(|s| s.id.clone()).collect(),
        tracking_numbers: numbers,
        warnings: manifest.warnings,
        document_source: source.to_string(),
        document_format: document.format,
        created_at: now_ms(),
    };
    let answer = present(app, &record)?;
    let completion = key.map(|k| answer.completion(k));
    let created = [NewEvent {
        kind: EventType::ManifestCreated,
        subject_id: record.id.to_string(),
        data: answer.value(),
    }];
    if let Err(conflict) = app
        .store
        .insert_manifest(
            tenant,
            &record,
            &document.content,
            &created,
            completion.as_ref(),
        )
        .await?
    {
        // Another close or a void took a shipment between our check and now; the carrier's
        // manifest made here is named so it can be reconciled.
        let why = match conflict {
            ManifestConflict::Manifested(s, other) => {
                format!("shipment {s} was manifested in {other}")
            }
            ManifestConflict::NotPurchased(s) => format!("shipment {s} was voided"),
        };
        return Err(Error::Conflict(format!(
            "{why} meanwhile; carrier manifest {} was made for this request and is not recorded",
            record.carrier_manifest_id
        )));
    }
    Ok(answer)
}

/// The tenant's manifest `id` (as given: an id of another shape is not found).
pub async fn load(app: &AppState, tenant: &TenantId, id: &str) -> Result<ManifestRecord, Error> {
    let id = ManifestId::parse(id).ok_or(Error::NotFound("manifest"))?;
    app.store
        .get_manifest(tenant, &id)
        .await?
        .ok_or(Error::NotFound("manifest"))
}

/// Up to `limit` of the tenant's manifests, newest first, older than `before` (the cursor).
pub async fn list(
    app: &AppState,
    tenant: &TenantId,
    before: Option<&ManifestId>,
    limit: u32,
) -> Result<Vec<ManifestRecord>, Error> {
    Ok(app.store.list_manifests(tenant, before, limit).await?)
}

/// A manifest's document: its format and bytes.
pub async fn document(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
) -> Result<(LabelFormat, Vec<u8>), Error> {
    let id = ManifestId::parse(id).ok_or(Error::NotFound("manifest"))?;
    app.store
        .manifest_document(tenant, &id)
        .await?
        .ok_or(Error::NotFound("manifest"))
}

/// Now, as the store keeps it (milliseconds): a change's answer is what a read shows later.
fn now_ms() -> OffsetDateTime {
    crate::store::from_millis(crate::store::millis(OffsetDateTime::now_utc()))
}
