//! Reconciliation from a carrier's billing API, without an invoice file (SF Express's billed
//! freight per waybill, `Capability::BilledFreight`): the tenant's shipments bought on the
//! account in a period (or the tracking numbers asked for) are asked about through the call
//! layer, each billed waybill is read into the `InvoicePackage` a file importer would have
//! produced (`InvoicePackage::from_billed`), and the packages go through the same pipeline,
//! record and reports as a file (`import`).
//!
//! A pull runs in the background. `pull` checks what was asked (the account, the period or
//! waybills, the contract card) and `PullPlan::start` records it `pulling` with the caller's
//! answer, then asks the carrier on a task of its own (`run_pull`): one waybill per call
//! (SF's query answers for one), each answer kept with the pull's progress in one transaction
//! under a lease this instance renews. An instance that dies stops renewing; `resume_pulls`
//! (a background task of every hub) claims a pull whose lease ran out and goes on from the
//! first waybill not yet kept. Once every bill is in, one transaction turns the pull into a
//! `running` import of those bills, audited like a file. A failure (a carrier error after the
//! call layer's retries, bills already imported, an account gone) marks it `failed` with the
//! RFC 9457 problem an API caller would have got (type, retry class, detail) and drops the
//! bills kept so far: nothing half-recorded.
//!
//! The period is in the carrier's local days (`local_offset`: China Standard Time for SF
//! Express, whose bills and customers count Beijing days). The bills' SHA-256 stands for a
//! file's: the same bills pulled again fail as a conflict naming the earlier import, changed
//! bills are a new import. While pulling, a record's `file_sha256` is `pull:` and the hash of
//! what it asks, so the same waybills asked again while a pull of them runs are a 409 at once.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shiphub_carriers::model::{BilledWaybill, CHINA_STANDARD_TIME, TrackingNumber};
use shiphub_carriers::{Capability, CarrierCode, CarrierError, RawBody};
use shiphub_rating::invoice::{InvoiceCarrier, InvoicePackage};
use time::{Date, OffsetDateTime, UtcOffset};

use super::import::{Spooled, contract_card, run_spooled};
use super::{Plan, load_settings};
use crate::error::Error;
use crate::ids::instance;
use crate::ids::{AccountId, ReconciliationId, TenantId};
use crate::state::AppState;
use crate::store::{
    ClaimedPull, IdemCompletion, NewPull, PullProgress, PullSettled, ReconciliationRecord,
    ReconciliationStatus,
};

/// Waybills per billed-freight call: SF's `EXP_RECE_QUERY_SFWAYBILL` answers for one waybill,
/// so each waybill is one call, paced by the account's quota in the call layer.
const BILLED_BATCH: usize = 1;

/// Most tracking numbers one pull asks about by name.
pub const MAX_NUMBERS: usize = 1_000;

/// Pulls claimed per look for stale ones.
const RESUME_BATCH: u32 = 100;

/// The offset of a carrier's local days, the days its bills count in and a period is asked
/// in: China Standard Time for SF Express (a shipment bought 2026-03-31T20:00Z was bought
/// on 2026-04-01 in Shenzhen), UTC for any other carrier.
pub fn local_offset(carrier: &str) -> UtcOffset {
    match carrier {
        "sf_express" => CHINA_STANDARD_TIME,
        _ => UtcOffset::UTC,
    }
}

/// The instants [start, end) of the local days `from` to `to` (both included) at `offset`.
pub fn period_bounds(offset: UtcOffset, from: Date, to: Date) -> (OffsetDateTime, OffsetDateTime) {
    let start = from.midnight().assume_offset(offset);
    let end = to.midnight().assume_offset(offset) + time::Duration::days(1);
    (start, end)
}

/// `UTC+08:00`, as a period is named.
fn offset_name(offset: UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    format!(
        "UTC{}{:02}:{:02}",
        if h < 0 || m < 0 { '-' } else { '+' },
        h.abs(),
        m.abs()
    )
}

/// What the caller asked to reconcile (errors point at these fields by name).
#[derive(Clone, Copy, Debug, Default)]
pub struct PullAsked<'a> {
    /// The carrier account (`car_…`) whose bills to pull.
    pub carrier_account: &'a str,
    /// First day of the period the shipments were bought in (ISO date, the carrier's local
    /// day: see `local_offset`).
    pub from: Option<&'a str>,
    /// Last day of the period, included.
    pub to: Option<&'a str>,
    /// The waybills to ask about, instead of a period.
    pub tracking_numbers: Option<&'a [String]>,
    /// The contract card, instead of the one the audit settings name.
    pub rate_card: Option<&'a str>,
}

/// What a pull asks, kept with its record so that any instance can resume it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Job {
    account: String,
    numbers: Vec<String>,
    /// How the pull names what it asks, in the PDF's title and errors.
    period: String,
    /// The contract card's name (resolved when the pull was asked).
    rate_card: Option<String>,
}

/// A pull checked and ready to start.
pub struct PullPlan {
    /// Its record, `pulling` with nothing asked yet.
    pub record: ReconciliationRecord,
    job: Job,
}

impl PullPlan {
    /// Records the pull (`pulling`, leased to this instance, with its key's answer) and asks
    /// the carrier on a task of its own.
    pub async fn start(
        self,
        app: &AppState,
        tenant: &TenantId,
        idem: Option<&IdemCompletion>,
    ) -> Result<(), Error> {
        let job = serde_json::to_string(&self.job).expect("pull job serializes");
        let owner = instance();
        let pull = NewPull {
            job: &job,
            total: self.job.numbers.len() as i64,
            owner,
            lease_until: OffsetDateTime::now_utc() + app.idempotency.lease,
        };
        app.store
            .begin_pull(tenant, &self.record, &pull, idem)
            .await?;
        tokio::spawn(run_pull(
            app.clone(),
            ClaimedPull {
                tenant: tenant.clone(),
                id: self.record.id.clone(),
                job,
                done: 0,
            },
        ));
        Ok(())
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

/// Checks a pull as asked and plans it; nothing is asked of the carrier yet. Checked in
/// order: the account (the tenant's, of a carrier that reports billed freight: 422 naming
/// `/carrier_account`), the period or numbers, the contract card, then a pull of the same
/// waybills still running (409).
pub async fn pull(
    app: &AppState,
    tenant: &TenantId,
    asked: &PullAsked<'_>,
) -> Result<PullPlan, Error> {
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
                    numbers.push(n.to_string());
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
            let offset = local_offset(&account.carrier);
            let (start, end) = period_bounds(offset, from, to);
            let numbers = app
                .store
                .shipment_numbers_of_account(tenant, &id, start, end)
                .await?;
            let period = format!("{from} to {to}, {}", offset_name(offset));
            if numbers.is_empty() {
                return Err(Error::field(
                    "/from",
                    format!("no shipment was bought on {id} from {period}"),
                ));
            }
            (numbers, period)
        }
    };
    let settings = load_settings(&app.store, tenant).await?;
    let (card_name, _) = contract_card(
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
    let asking = hex::encode(Sha256::digest(format!("{id}\n{}", numbers.join("\n"))));
    let asking = format!("pull:{asking}");
    if let Some(earlier) = app
        .store
        .reconciliation_of_file(tenant, &account.carrier, &asking)
        .await?
    {
        return Err(Error::Conflict(format!(
            "these waybills are being pulled already as {}",
            earlier.id
        )));
    }
    let mut record = ReconciliationRecord::running(
        &account.carrier,
        asking,
        0,
        card_name.clone(),
        OffsetDateTime::now_utc(),
    );
    record.status = ReconciliationStatus::Pulling;
    record.pull = Some(PullProgress {
        done: 0,
        total: numbers.len() as i64,
    });
    Ok(PullPlan {
        record,
        job: Job {
            account: id.to_string(),
            numbers,
            period,
            rate_card: card_name,
        },
    })
}

/// How a pull's asking ended short of failing.
enum Stopped {
    /// Every bill is in and the import runs (or ran) to its end.
    Imported,
    /// Shut down, or another instance took the pull over: whoever holds it goes on.
    Left,
}

/// Pulls this process is running: a lease renewed late (a stalled process) must not make
/// the resume loop start the same pull a second time here.
static RUNNING: LazyLock<Mutex<HashSet<ReconciliationId>>> = LazyLock::new(Default::default);

/// Takes a pull off [`RUNNING`] when its run ends, however it ends.
struct Running(ReconciliationId);

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.lock().expect("running pulls").remove(&self.0);
    }
}

/// Asks the carrier about a claimed pull's waybills from where it stopped, then audits the
/// bills; a failure marks the pull failed with its problem.
pub async fn run_pull(app: AppState, claimed: ClaimedPull) {
    if !RUNNING
        .lock()
        .expect("running pulls")
        .insert(claimed.id.clone())
    {
        return;
    }
    let _running = Running(claimed.id.clone());
    let owner = instance();
    let beat = tokio::spawn(renew(app.clone(), claimed.id.clone()));
    let result = ask(&app, &claimed, owner).await;
    beat.abort();
    let e = match result {
        Ok(_) => return,
        Err(e) => e,
    };
    let (_, problem, _) = e.problem();
    let failure = problem
        .detail
        .clone()
        .unwrap_or_else(|| problem.title.clone());
    tracing::warn!(reconciliation = %claimed.id, error = %failure, "pull failed");
    let problem = serde_json::to_string(&problem).expect("problems serialize");
    match app
        .store
        .fail_pull(
            &claimed.tenant,
            &claimed.id,
            owner,
            &failure,
            &problem,
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(reconciliation = %claimed.id, "pull taken over before it failed")
        }
        Err(e) => {
            tracing::error!(reconciliation = %claimed.id, error = %e, "could not mark the pull failed; it resumes once its lease runs out")
        }
    }
}

/// Renews this instance's lease on a pull while it is asked (a call may wait on the account's
/// quota for longer than a lease).
async fn renew(app: AppState, id: ReconciliationId) {
    let every = app.idempotency.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        let until = OffsetDateTime::now_utc() + app.idempotency.lease;
        match app.store.renew_pull(&id, instance(), until).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(error = %e, reconciliation = %id, "pull lease renewal failed"),
        }
    }
}

async fn ask(app: &AppState, c: &ClaimedPull, owner: &str) -> Result<Stopped, Error> {
    let tenant = &c.tenant;
    let job: Job = serde_json::from_str(&c.job)
        .map_err(|e| Error::Internal(format!("stored pull {}: {e}", c.id)))?;
    let no_account = || Error::field("/carrier_account", "the carrier account is gone");
    let id = AccountId::parse(&job.account).ok_or_else(no_account)?;
    let account = app
        .store
        .get_account(tenant, &id)
        .await?
        .ok_or_else(no_account)?;
    let adapter = app
        .carriers
        .adapter(&app.store, tenant, &account, &app.master_key)
        .await?;
    let numbers = job
        .numbers
        .iter()
        .map(|n| {
            n.parse()
                .map_err(|_| Error::Internal(format!("stored tracking number `{n}`")))
        })
        .collect::<Result<Vec<TrackingNumber>, Error>>()?;
    let shutdown = app.shutdown.subscribe();
    let mut done = usize::try_from(c.done).unwrap_or(0).min(numbers.len());
    while done < numbers.len() {
        if *shutdown.borrow() {
            return Ok(Stopped::Left);
        }
        let batch = &numbers[done..(done + BILLED_BATCH).min(numbers.len())];
        let billed = app
            .calls
            .billed_freight(&id, adapter.as_ref(), batch)
            .await?;
        let bills = serde_json::to_string(&billed).expect("bills serialize");
        let now = OffsetDateTime::now_utc();
        let kept = app
            .store
            .add_pulled(
                tenant,
                &c.id,
                owner,
                done as i64,
                &bills,
                (done + batch.len()) as i64,
                now + app.idempotency.lease,
                now,
            )
            .await?;
        if !kept {
            return Ok(Stopped::Left);
        }
        done += batch.len();
    }

    // One "invoice" per account: the billing API reports each waybill's bill once, so pulls of
    // overlapping periods never call a waybill billed twice (the same bills pulled again are
    // refused whole, below).
    let invoice_number = format!("{}-api-{id}", account.carrier);
    let carrier =
        || CarrierCode::parse(&account.carrier).unwrap_or(CarrierCode::from_static("carrier"));
    let mut packages = Vec::new();
    for kept in app.store.pulled_bills(&c.id).await? {
        let billed: Vec<BilledWaybill> = serde_json::from_str(&kept)
            .map_err(|e| Error::Internal(format!("kept bills of {}: {e}", c.id)))?;
        for b in &billed {
            let package = InvoicePackage::from_billed(InvoiceCarrier::Other, &invoice_number, b)
                .map_err(|message| {
                    Error::Carrier(CarrierError::Protocol {
                        carrier: carrier(),
                        status: 200,
                        body: RawBody(Vec::new()),
                        message,
                    })
                })?;
            packages.extend(package);
        }
    }
    if packages.is_empty() {
        return Err(Error::field(
            "/carrier_account",
            format!(
                "{} has billed none of the {} waybills asked about ({}) yet",
                account.carrier,
                numbers.len(),
                job.period
            ),
        ));
    }
    let canonical = serde_json::to_vec(&packages).expect("packages serialize");
    let sha = hex::encode(Sha256::digest(&canonical));
    let settings = load_settings(&app.store, tenant).await?;
    let cards = match job.rate_card.as_deref() {
        Some(name) => {
            contract_card(
                &app.store,
                tenant,
                InvoiceCarrier::Other,
                Some(name),
                &settings,
            )
            .await
            .map_err(|e| match e {
                Error::Validation(mut v) => {
                    for p in &mut v {
                        p.pointer = p.pointer.replace("/query/rate_card", "/rate_card");
                    }
                    Error::Validation(v)
                }
                e => e,
            })?
            .1
        }
        None => None,
    };
    let code = account.carrier.clone();
    match app
        .store
        .settle_pull(
            tenant,
            &c.id,
            owner,
            &sha,
            canonical.len() as u64,
            OffsetDateTime::now_utc(),
        )
        .await?
    {
        PullSettled::Running => {}
        PullSettled::LeaseLost => return Ok(Stopped::Left),
        PullSettled::Duplicate(earlier) => {
            return Err(Error::Conflict(format!(
                "these bills were already imported as {} ({})",
                earlier.id, earlier.status
            )));
        }
    }
    let plan = Plan {
        tenant: tenant.clone(),
        carrier: InvoiceCarrier::Other,
        hub_carrier: Some(code.clone()),
        settings: settings.to_settings(),
        cards,
        title: format!(
            "Freight reconciliation {} ({code} billing API, {})",
            c.id, job.period
        ),
    };
    run_spooled(
        app.store.clone(),
        plan,
        c.id.clone(),
        code,
        Spooled::Packages(packages),
    )
    .await;
    Ok(Stopped::Imported)
}

/// Resumes pulls whose instance died or shut down (their lease ran out), every half lease,
/// until shutdown: each is claimed by one conditional UPDATE, so of several instances one
/// goes on with it.
/// A pull of an instance declared dead is resumed at once (the reaper expires its lease).
pub async fn resume_pulls(app: AppState) {
    let mut shutdown = app.shutdown.subscribe();
    let mut takeovers = app.instances.takeovers();
    let every = (app.idempotency.lease / 2).max(Duration::from_millis(100));
    loop {
        if crate::instances::nap(&mut takeovers, &mut shutdown, every).await {
            return;
        }
        if app.instances.fenced() {
            continue;
        }
        let now = OffsetDateTime::now_utc();
        let stale = match app.store.stale_pulls(now, RESUME_BATCH).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "could not list stale pulls");
                continue;
            }
        };
        for id in stale {
            if RUNNING.lock().expect("running pulls").contains(&id) {
                continue;
            }
            match app
                .store
                .claim_pull(&id, instance(), now, now + app.idempotency.lease)
                .await
            {
                Ok(Some(claimed)) => {
                    tracing::info!(reconciliation = %id, asked = claimed.done, "resuming a pull");
                    tokio::spawn(run_pull(app.clone(), claimed));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, reconciliation = %id, "could not claim a pull")
                }
            }
        }
    }
}
