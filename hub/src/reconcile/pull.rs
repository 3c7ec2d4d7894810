//! Reconciliation from a carrier's billing API, without an invoice file (SF Express's billed
//! freight per waybill, `Capability::BilledFreight`): the tenant's shipments bought on the
//! account in a period (or the tracking numbers asked for) are asked about in batches through
//! the call layer, each billed waybill is read into the `InvoicePackage` a file importer would
//! have produced (`InvoicePackage::from_billed`), and the packages go through the same
//! pipeline, record and reports as a file (`import::begin`).
//!
//! The carrier is asked while the request waits, so a carrier failure answers as a carrier
//! error with its retry class and nothing is recorded; the audit then runs on a task of its own
//! like a file import. The packages' SHA-256 stands for the file's: the same bills pulled again
//! are the earlier import's (409), changed bills are a new import.

use std::collections::HashSet;

use sha2::{Digest, Sha256};
use shiphub_carriers::model::TrackingNumber;
use shiphub_carriers::{Capability, CarrierCode, CarrierError, RawBody};
use shiphub_rating::invoice::{InvoiceCarrier, InvoicePackage};
use time::{Date, OffsetDateTime};

use super::import::{Spooled, begin, contract_card};
use super::{Plan, load_settings};
use crate::error::Error;
use crate::ids::{AccountId, TenantId};
use crate::state::AppState;
use crate::store::{IdemCompletion, ReconciliationRecord};

/// Waybills per billed-freight call: SF's `EXP_RECE_QUERY_SFWAYBILL` answers for one waybill,
/// so each waybill is one call, paced by the account's quota in the call layer.
const BILLED_BATCH: usize = 1;

/// Most tracking numbers one pull asks about by name.
pub const MAX_NUMBERS: usize = 1_000;

/// What the caller asked to reconcile (errors point at these fields by name).
#[derive(Clone, Copy, Debug, Default)]
pub struct PullAsked<'a> {
    /// The carrier account (`car_…`) whose bills to pull.
    pub carrier_account: &'a str,
    /// First day of the period the shipments were bought in (ISO date, UTC).
    pub from: Option<&'a str>,
    /// Last day of the period, included.
    pub to: Option<&'a str>,
    /// The waybills to ask about, instead of a period.
    pub tracking_numbers: Option<&'a [String]>,
    /// The contract card, instead of the one the audit settings name.
    pub rate_card: Option<&'a str>,
}

/// A pull whose bills are in, ready to be recorded and audited.
pub struct Pulled {
    pub record: ReconciliationRecord,
    plan: Plan,
    packages: Vec<InvoicePackage>,
}

impl Pulled {
    /// Records the import (`running`, with its key's answer) and audits it on a task of its own.
    pub async fn start(
        self,
        app: &AppState,
        tenant: &TenantId,
        idem: Option<&IdemCompletion>,
    ) -> Result<(), Error> {
        begin(
            &app.store,
            tenant,
            &self.record,
            idem,
            self.plan,
            Spooled::Packages(self.packages),
        )
        .await
    }
}

fn date(field: &str, v: Option<&str>) -> Result<Date, Error> {
    let v = v.ok_or_else(|| {
        Error::field(
            field,
            "required (an ISO date), unless `tracking_numbers` are given",
        )
    })?;
    crate::tracking::parse_date(v).ok_or_else(|| Error::field(field, "an ISO date: YYYY-MM-DD"))
}

/// Asks the account's carrier what it billed for the shipments asked about, and plans their
/// audit. Checked in order: the account (the tenant's, of a carrier that reports billed freight:
/// 422 naming `/carrier_account`), the period or numbers, then the carrier.
pub async fn pull(
    app: &AppState,
    tenant: &TenantId,
    asked: &PullAsked<'_>,
) -> Result<Pulled, Error> {
    let no_account = || Error::field("/carrier_account", "no such carrier account");
    let id = AccountId::parse(asked.carrier_account).ok_or_else(no_account)?;
    let account = app
        .store
        .get_account(tenant, &id)
        .await?
        .ok_or_else(no_account)?;
    let bills = app
        .carriers
        .entry(&account.carrier)
        .is_some_and(|e| e.capabilities.supports(Capability::BilledFreight));
    if !bills {
        return Err(Error::field(
            "/carrier_account",
            format!(
                "{} reports no billed freight through its API; import its invoice file with POST /v1/invoices",
                account.carrier
            ),
        ));
    }
    let (numbers, period) = match asked.tracking_numbers {
        Some(_) if asked.from.is_some() || asked.to.is_some() => {
            return Err(Error::field(
                "/tracking_numbers",
                "give either `tracking_numbers` or the period `from` and `to`, not both",
            ));
        }
        Some(list) => {
            if list.is_empty() || list.len() > MAX_NUMBERS {
                return Err(Error::field(
                    "/tracking_numbers",
                    format!("1 to {MAX_NUMBERS} tracking numbers"),
                ));
            }
            let mut seen = HashSet::new();
            let mut numbers = Vec::with_capacity(list.len());
            for (i, n) in list.iter().enumerate() {
                let n: TrackingNumber =
                    n.parse()
                        .map_err(|e: shiphub_carriers::model::InvalidValue| {
                            Error::field(format!("/tracking_numbers/{i}"), e.message)
                        })?;
                if seen.insert(n.clone()) {
                    numbers.push(n);
                }
            }
            let named = format!("{} waybills", numbers.len());
            (numbers, named)
        }
        None => {
            let from = date("/from", asked.from)?;
            let to = date("/to", asked.to)?;
            if to < from {
                return Err(Error::field("/to", "before `from`"));
            }
            let end = to.next_day().unwrap_or(to).midnight().assume_utc();
            let stored = app
                .store
                .shipment_numbers_of_account(tenant, &id, from.midnight().assume_utc(), end)
                .await?;
            if stored.is_empty() {
                return Err(Error::field(
                    "/from",
                    format!("no shipment was bought on {id} from {from} to {to}"),
                ));
            }
            let numbers = stored
                .iter()
                .map(|n| {
                    n.parse()
                        .map_err(|_| Error::Internal(format!("stored tracking number `{n}`")))
                })
                .collect::<Result<Vec<TrackingNumber>, Error>>()?;
            (numbers, format!("{from} to {to}"))
        }
    };
    let adapter = app
        .carriers
        .adapter(&app.store, tenant, &account, &app.master_key)
        .await?;
    let mut billed = Vec::new();
    for batch in numbers.chunks(BILLED_BATCH) {
        billed.extend(
            app.calls
                .billed_freight(&id, adapter.as_ref(), batch)
                .await?,
        );
    }
    // One "invoice" per account: the billing API reports each waybill's bill once, so pulls of
    // overlapping periods never call a waybill billed twice (the same bills pulled again are
    // refused whole, below).
    let invoice_number = format!("{}-api-{id}", account.carrier);
    let mut packages = Vec::with_capacity(billed.len());
    for b in &billed {
        let package = InvoicePackage::from_billed(InvoiceCarrier::Other, &invoice_number, b)
            .map_err(|message| {
                Error::Carrier(CarrierError::Protocol {
                    carrier: CarrierCode::parse(&account.carrier)
                        .unwrap_or(CarrierCode::from_static("carrier")),
                    status: 200,
                    body: RawBody(Vec::new()),
                    message,
                })
            })?;
        packages.extend(package);
    }
    if packages.is_empty() {
        return Err(Error::field(
            "/carrier_account",
            format!(
                "{} has billed none of the {} waybills asked about ({period}) yet",
                account.carrier,
                numbers.len()
            ),
        ));
    }
    let canonical = serde_json::to_vec(&packages).expect("packages serialize");
    let sha = hex::encode(Sha256::digest(&canonical));
    let code = account.carrier.clone();
    if let Some(earlier) = app
        .store
        .reconciliation_of_file(tenant, &code, &sha)
        .await?
    {
        return Err(Error::Conflict(format!(
            "these bills were already imported as {} ({})",
            earlier.id, earlier.status
        )));
    }
    let settings = load_settings(&app.store, tenant).await?;
    let (card_name, cards) = contract_card(
        &app.store,
        tenant,
        InvoiceCarrier::Other,
        asked.rate_card,
        &settings,
    )
    .await
    .map_err(|e| match e {
        // Named as this request's body names it (the file import takes it as a query).
        Error::Validation(mut v) => {
            for p in &mut v {
                p.pointer = p.pointer.replace("/query/rate_card", "/rate_card");
            }
            Error::Validation(v)
        }
        e => e,
    })?;
    let record = ReconciliationRecord::running(
        &code,
        sha,
        canonical.len() as u64,
        card_name,
        OffsetDateTime::now_utc(),
    );
    let plan = Plan {
        tenant: tenant.clone(),
        carrier: InvoiceCarrier::Other,
        hub_carrier: Some(code.clone()),
        settings: settings.to_settings(),
        cards,
        title: format!(
            "Freight reconciliation {} ({code} billing API, {period})",
            record.id
        ),
    };
    Ok(Pulled {
        record,
        plan,
        packages,
    })
}
