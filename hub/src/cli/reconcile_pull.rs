//! `shiphub reconcile-pull --carrier-account car_… --from 2026-11-01 --to 2026-11-30 --out
//! report.pdf`: reconciles what a carrier billed through its billing API (SF Express billed
//! freight), as `POST /v1/invoices/pull` does: the bills are pulled through the call layer,
//! audited and recorded as a reconciliation (the same bills are not recorded twice), and the
//! chosen report is written once it is completed.

use std::path::PathBuf;
use std::time::Duration;

use super::audit::{OutKind, copy_stored, create, tenant_of};
use super::{DbArgs, master_key, open_store, problem_text};
use crate::reconcile::{self, PullAsked};
use crate::state::CarrierSet;
use crate::store::ReconciliationStatus;

#[derive(clap::Args, Debug)]
pub struct PullArgs {
    /// The carrier account (`car_…`) whose bills to pull; its carrier must report billed
    /// freight (SF Express).
    #[arg(long)]
    pub carrier_account: String,
    /// First day the shipments were bought, YYYY-MM-DD, in the carrier's local days (China
    /// Standard Time for SF Express).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day the shipments were bought, included.
    #[arg(long)]
    pub to: Option<String>,
    /// A waybill to ask about, instead of a period (repeat for several).
    #[arg(long = "tracking-number")]
    pub tracking_numbers: Vec<String>,
    /// The report; its extension picks the format: .csv, .json or .pdf.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the dispute file here.
    #[arg(long)]
    pub dispute: Option<PathBuf>,
    /// Contract rate card (stored name) that re-rates changed packages.
    #[arg(long)]
    pub rate_card: Option<String>,
    /// The tenant (by name); may be left out when the store has one tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub outbound: crate::outbound::OutboundArgs,
}

pub async fn run(a: PullArgs) -> Result<(), String> {
    let kind = OutKind::of(&a.out)?;
    let url = a.db.database_url.as_str();
    let key = master_key(url)?;
    let store = open_store(url).await?;
    let tenant = tenant_of(&store, a.tenant.as_deref()).await?;
    let mut app = super::build_state(store.clone(), key);
    app.carriers = std::sync::Arc::new(CarrierSet::with_policy(
        super::carrier_entries(),
        a.outbound.carrier_policy()?,
    ));
    let asked = PullAsked {
        carrier_account: &a.carrier_account,
        from: a.from.as_deref(),
        to: a.to.as_deref(),
        tracking_numbers: (!a.tracking_numbers.is_empty()).then_some(a.tracking_numbers.as_slice()),
        rate_card: a.rate_card.as_deref(),
    };
    let plan = reconcile::pull(&app, &tenant, &asked)
        .await
        .map_err(|e| problem_text(&e))?;
    let id = plan.record.id.clone();
    plan.start(&app, &tenant, None)
        .await
        .map_err(|e| problem_text(&e))?;
    let rec = loop {
        let rec = store
            .get_reconciliation(&tenant, &id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("reconciliation {id} is gone"))?;
        if !matches!(
            rec.status,
            ReconciliationStatus::Pulling | ReconciliationStatus::Running
        ) {
            break rec;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if rec.status != ReconciliationStatus::Completed {
        return Err(format!(
            "reconciliation {id} failed: {}",
            rec.failure.unwrap_or_default()
        ));
    }
    let mut out = create(&a.out)?;
    copy_stored(&store, &tenant, &id, kind.stored_name(), &mut out).await?;
    if let Some(d) = &a.dispute {
        let mut w = create(d)?;
        copy_stored(&store, &tenant, &id, "dispute.csv", &mut w).await?;
    }
    eprintln!(
        "{} billed waybills reconciled as {id}; report in {}",
        rec.packages,
        a.out.display()
    );
    Ok(())
}
