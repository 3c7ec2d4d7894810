//! `shiphub audit FILE --carrier ups --out report.pdf|csv|json`: audits a carrier invoice
//! against the shipments in the store and writes the report, with a progress bar (lines/s,
//! ETA) on long files. By default nothing is written to the store; `--record` imports the
//! file as a reconciliation exactly as `POST /v1/invoices` does.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use shiphub_carriers::model::Currency;
use shiphub_rating::invoice::{ColumnMapping, InvoiceCarrier, InvoiceFormat, LAYOUT_CODES};

use super::{DbArgs, open_store, problem_text};
use crate::error::Error;
use crate::ids::{ReconciliationId, TenantId};
use crate::reconcile::{self, Import, Outcome, Progress, Record, Sinks};
use crate::store::Store;

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// The invoice file, as the carrier delivers it.
    pub file: PathBuf,
    /// Its layout: ups (Billing Data, 250 columns), fedex (Billing Online CSV), dhl_express
    /// (e-billing CSV) or generic (with --mapping).
    #[arg(long)]
    pub carrier: String,
    /// The report; its extension picks the format: .csv (one row per invoice line with reason
    /// codes), .json, .pdf (summary for finance).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the carrier's dispute file here.
    #[arg(long)]
    pub dispute: Option<PathBuf>,
    /// generic only: the column mapping file (TOML).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// fedex only: the account's billing currency.
    #[arg(long)]
    pub currency: Option<String>,
    /// The tenant (by name); may be left out when the store has one tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Contract rate card (stored name) that re-rates changed packages; default: the one the
    /// tenant's audit settings name for this carrier.
    #[arg(long)]
    pub rate_card: Option<String>,
    /// Import the file as a reconciliation (kept, with its reports and event), as
    /// `POST /v1/invoices` does; later invoices billing the same packages are then duplicates.
    #[arg(long)]
    pub record: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum OutKind {
    Csv,
    Json,
    Pdf,
}

impl OutKind {
    pub(super) fn of(path: &std::path::Path) -> Result<Self, String> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Ok(OutKind::Csv),
            Some("json") => Ok(OutKind::Json),
            Some("pdf") => Ok(OutKind::Pdf),
            _ => Err(format!(
                "--out {}: the extension must be .csv, .json or .pdf",
                path.display()
            )),
        }
    }
    pub(super) fn stored_name(self) -> &'static str {
        match self {
            OutKind::Csv => "report.csv",
            OutKind::Json => "report.json",
            OutKind::Pdf => "report.pdf",
        }
    }
}

fn format_of(a: &AuditArgs) -> Result<InvoiceFormat, String> {
    let carrier = InvoiceCarrier::from_layout(&a.carrier);
    if a.currency.is_some() && carrier != Some(InvoiceCarrier::Fedex) {
        return Err("--currency is for FedEx files only".into());
    }
    if a.mapping.is_some() && carrier != Some(InvoiceCarrier::Other) {
        return Err("--mapping is for --carrier generic only".into());
    }
    Ok(match carrier {
        Some(InvoiceCarrier::Ups) => InvoiceFormat::Ups,
        Some(InvoiceCarrier::Fedex) => InvoiceFormat::Fedex {
            currency: Currency::from_str(a.currency.as_deref().unwrap_or("USD"))
                .map_err(|e| format!("--currency: {e}"))?,
        },
        Some(InvoiceCarrier::DhlExpress) => InvoiceFormat::DhlExpress,
        Some(InvoiceCarrier::Other) => {
            let path = a
                .mapping
                .as_ref()
                .ok_or("--carrier generic needs --mapping FILE")?;
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            InvoiceFormat::Generic(Box::new(
                ColumnMapping::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?,
            ))
        }
        None => {
            return Err(format!("--carrier {}: must be {LAYOUT_CODES}", a.carrier));
        }
    })
}

pub(super) async fn tenant_of(store: &Store, name: Option<&str>) -> Result<TenantId, String> {
    if let Some(name) = name {
        return Ok(store
            .tenant_by_name(name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no tenant named {name}"))?
            .id);
    }
    store
        .only_tenant()
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the store has several tenants (or none): give --tenant NAME".to_string())
}

pub(super) fn create(path: &std::path::Path) -> Result<Box<dyn Write + Send>, String> {
    let f = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Box::new(BufWriter::with_capacity(1 << 20, f)))
}

/// Draws the bar from the parser's counters until `done`.
fn progress_bar(
    progress: Arc<Progress>,
    total: u64,
    quiet: bool,
) -> Option<tokio::task::JoinHandle<()>> {
    if quiet {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {percent:>3}% {binary_bytes}/{binary_total_bytes} {msg} ETA {eta}",
        )
        .expect("template is valid"),
    );
    let started = Instant::now();
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tick.tick().await;
            let bytes = progress.bytes.load(Ordering::Relaxed);
            let lines = progress.lines.load(Ordering::Relaxed);
            let secs = started.elapsed().as_secs_f64().max(0.001);
            bar.set_position(bytes);
            bar.set_message(format!("{lines} lines, {:.0} lines/s", lines as f64 / secs));
            if bytes >= total {
                bar.finish_and_clear();
                return;
            }
        }
    }))
}

pub async fn run(a: AuditArgs) -> Result<(), String> {
    let kind = OutKind::of(&a.out)?;
    let format = format_of(&a)?;
    let store = open_store(&a.db.database_url).await?;
    let tenant = tenant_of(&store, a.tenant.as_deref()).await?;
    let settings = reconcile::load_settings(&store, &tenant)
        .await
        .map_err(|e| e.to_string())?;
    let (card_name, cards) = reconcile::contract_card(
        &store,
        &tenant,
        format.carrier(),
        a.rate_card.as_deref(),
        &settings,
    )
    .await
    .map_err(|e| problem_text(&e))?;
    let total = std::fs::metadata(&a.file)
        .map_err(|e| format!("{}: {e}", a.file.display()))?
        .len();
    let input = File::open(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
    let import = Import {
        code: a.carrier.clone(),
        format,
        settings,
        card_name,
        cards,
    };
    let title = format!(
        "Freight reconciliation: {}",
        a.file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    let progress = Arc::new(Progress::default());
    let bar = progress_bar(progress.clone(), total, a.quiet);
    let started = Instant::now();
    let outcome = if a.record {
        record(
            &store, &a, &tenant, import, title, input, total, progress, kind,
        )
        .await?
    } else {
        let mut sinks = Sinks::default();
        let out = create(&a.out)?;
        match kind {
            OutKind::Csv => sinks.csv = Some(out),
            OutKind::Json => sinks.json = Some(out),
            OutKind::Pdf => sinks.pdf = Some(out),
        }
        if let Some(d) = &a.dispute {
            sinks.dispute = Some(create(d)?);
        }
        let (plan, format) = import.into_plan(tenant, title);
        let input = reconcile::Input::File(format, Box::new(input));
        reconcile::run(&store, plan, input, sinks, None, progress)
            .await
            .map_err(|e| e.to_string())?
    };
    if let Some(bar) = bar {
        let _ = bar.await;
    }
    let secs = started.elapsed().as_secs_f64();
    let t = &outcome.report.total;
    eprintln!(
        "{} lines, {} packages in {secs:.2} s ({:.0} lines/s); billed {} expected {} disputed {} recoverable {} {}; {} unreadable rows",
        outcome.import.lines,
        outcome.import.packages,
        outcome.import.lines as f64 / secs.max(0.001),
        t.billed,
        t.expected,
        t.disputed,
        t.recoverable,
        outcome.report.currency.as_deref().unwrap_or(""),
        outcome.import.error_count
    );
    for e in outcome.import.errors.iter().take(20) {
        eprintln!("  line {}: {}", e.line, e.message);
    }
    Ok(())
}

/// `--record`: the API's import, then the chosen report read back from the store.
#[allow(clippy::too_many_arguments)]
async fn record(
    store: &Store,
    a: &AuditArgs,
    tenant: &TenantId,
    import: Import,
    title: String,
    mut input: File,
    total: u64,
    progress: Arc<Progress>,
    kind: OutKind,
) -> Result<Outcome, String> {
    let sha = {
        let mut f = input.try_clone().map_err(|e| e.to_string())?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut f, &mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        std::io::Seek::rewind(&mut input).map_err(|e| e.to_string())?;
        hex::encode(h.finalize())
    };
    let rec = import
        .new_record(store, tenant, sha, total)
        .await
        .map_err(|e| match e {
            // Said as the API's problem detail says it.
            Error::Conflict(why) => why,
            e => problem_text(&e),
        })?;
    store
        .begin_reconciliation(tenant, &rec, None)
        .await
        .map_err(|e| e.to_string())?;
    let (plan, format) = import.into_plan(tenant.clone(), title);
    let result = reconcile::run(
        store,
        plan,
        reconcile::Input::File(format, Box::new(input)),
        Sinks::default(),
        Some(&Record { id: rec.id.clone() }),
        progress,
    )
    .await;
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            let why = e.to_string();
            reconcile::finish(store, tenant, &rec.id, &a.carrier, Err(e)).await;
            return Err(why);
        }
    };
    let summary_copy = Outcome {
        import: outcome.import.clone(),
        report: outcome.report.clone(),
    };
    if let Some(why) = reconcile::finish(store, tenant, &rec.id, &a.carrier, Ok(outcome)).await {
        return Err(why);
    }
    let mut out = create(&a.out)?;
    copy_stored(store, tenant, &rec.id, kind.stored_name(), &mut out).await?;
    if let Some(d) = &a.dispute {
        let mut w = create(d)?;
        copy_stored(store, tenant, &rec.id, "dispute.csv", &mut w).await?;
    }
    eprintln!("recorded as reconciliation {}", rec.id);
    Ok(summary_copy)
}

pub(super) async fn copy_stored(
    store: &Store,
    tenant: &TenantId,
    id: &ReconciliationId,
    kind: &str,
    out: &mut Box<dyn Write + Send>,
) -> Result<(), String> {
    let mut seq = 0;
    while let Some(chunk) = store
        .reconciliation_file_chunk(tenant, id, kind, seq)
        .await
        .map_err(|e| e.to_string())?
    {
        out.write_all(&chunk).map_err(|e| e.to_string())?;
        seq += 1;
    }
    out.flush().map_err(|e| e.to_string())
}
