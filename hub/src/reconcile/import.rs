//! Starting and keeping an import: what a file is read as (layout, currency, mapping), the
//! contract card that re-rates it, the record of a new import (never the same file twice),
//! running it to its end on a task of its own, and failing imports whose instance died. Also
//! the tenant's documents an import reads: audit settings and column mappings.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use shiphub_carriers::model::Currency;
use shiphub_rating::RateCards;
use shiphub_rating::invoice::{
    ColumnMapping, InvoiceCarrier, InvoiceFormat, InvoicePackage, LAYOUT_CODES,
};
use time::OffsetDateTime;

use super::{
    AuditSettingsDoc, Input, Plan, Progress, ReconcileError, Record, Sinks, finish, load_settings,
    run,
};
use crate::error::Error;
use crate::ids::{ReconciliationId, TenantId};
use crate::store::{IdemCompletion, ReconciliationRecord, Store};

/// An import that has not written for this long is taken for abandoned (its instance died).
const ABANDONED_AFTER: Duration = Duration::from_secs(600);

/// What a file is to be read as, as the caller asked (the API's query parameters; errors
/// point at them as `/query/<name>`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Asked<'a> {
    /// The layout: `ups`, `fedex`, `dhl_express` or `generic`.
    pub carrier: Option<&'a str>,
    /// FedEx only: the billing currency.
    pub currency: Option<&'a str>,
    /// `generic` only: a stored mapping's name.
    pub mapping: Option<&'a str>,
    /// The contract card, instead of the one the audit settings name.
    pub rate_card: Option<&'a str>,
}

/// An import as planned before its file is read.
pub struct Import {
    /// The layout code asked for (kept with the import; the same file is refused again under it).
    pub code: String,
    pub format: InvoiceFormat,
    pub settings: AuditSettingsDoc,
    /// The contract card's name and versions, when one re-rates the file.
    pub card_name: Option<String>,
    pub cards: Option<RateCards>,
}

impl Import {
    /// Plans an import as asked: the layout, the tenant's audit settings, the contract card.
    /// Checked before the file is read, so a wrong parameter fails at once.
    pub async fn plan(store: &Store, tenant: &TenantId, asked: &Asked<'_>) -> Result<Self, Error> {
        let (code, format) = format_for(store, tenant, asked).await?;
        let settings = load_settings(store, tenant).await?;
        let (card_name, cards) =
            contract_card(store, tenant, format.carrier(), asked.rate_card, &settings).await?;
        Ok(Import {
            code,
            format,
            settings,
            card_name,
            cards,
        })
    }

    /// The record (`running`) of importing the file with this SHA-256, unless the same file was
    /// imported already under this layout (a conflict naming the earlier import).
    pub async fn new_record(
        &self,
        store: &Store,
        tenant: &TenantId,
        sha: String,
        bytes: u64,
    ) -> Result<ReconciliationRecord, Error> {
        if let Some(earlier) = store
            .reconciliation_of_file(tenant, &self.code, &sha)
            .await?
        {
            return Err(Error::Conflict(format!(
                "this file was already imported as {} ({})",
                earlier.id, earlier.status
            )));
        }
        Ok(ReconciliationRecord::running(
            &self.code,
            sha,
            bytes,
            self.card_name.clone(),
            OffsetDateTime::now_utc(),
        ))
    }

    /// The pipeline's plan, with the PDF's title, and the layout the file is read in.
    pub fn into_plan(self, tenant: TenantId, title: String) -> (Plan, InvoiceFormat) {
        let plan = Plan {
            tenant,
            carrier: self.format.carrier(),
            hub_carrier: Plan::hub_carrier_of(&self.format),
            settings: self.settings.to_settings(),
            cards: self.cards,
            title,
        };
        (plan, self.format)
    }
}

/// What a started import reads: its spooled file, or the packages a billing API reported.
pub(super) enum Spooled {
    File(InvoiceFormat, tempfile::NamedTempFile),
    Packages(Vec<InvoicePackage>),
}

/// Stores a new import (`running`, with the answer kept for its idempotency key in the same
/// transaction) and runs it on a task of its own; it settles as completed or failed.
pub async fn start(
    store: &Store,
    tenant: &TenantId,
    rec: &ReconciliationRecord,
    idem: Option<&IdemCompletion>,
    import: Import,
    file: tempfile::NamedTempFile,
) -> Result<(), Error> {
    let code = import.code.clone();
    let (plan, format) = import.into_plan(
        tenant.clone(),
        format!("Freight reconciliation {} ({code})", rec.id),
    );
    begin(store, tenant, rec, idem, plan, Spooled::File(format, file)).await
}

/// Stores a new import (`running`, with its key's answer) and runs it on a task of its own.
pub(super) async fn begin(
    store: &Store,
    tenant: &TenantId,
    rec: &ReconciliationRecord,
    idem: Option<&IdemCompletion>,
    plan: Plan,
    input: Spooled,
) -> Result<(), Error> {
    store.begin_reconciliation(tenant, rec, idem).await?;
    tokio::spawn(run_spooled(
        store.clone(),
        plan,
        rec.id.clone(),
        rec.carrier.clone(),
        input,
    ));
    Ok(())
}

/// Runs a started import to its end: completed with its event, or failed with nothing kept.
pub(super) async fn run_spooled(
    store: Store,
    plan: Plan,
    id: ReconciliationId,
    carrier: String,
    spooled: Spooled,
) {
    let tenant = plan.tenant.clone();
    let result = async {
        // The spool file lives until the import has read it.
        let (input, _file) = match spooled {
            Spooled::File(format, file) => {
                let input = file
                    .reopen()
                    .map_err(|e| ReconcileError::Internal(format!("spool file: {e}")))?;
                (Input::File(format, Box::new(input)), Some(file))
            }
            Spooled::Packages(packages) => (Input::Packages(packages), None),
        };
        run(
            &store,
            plan,
            input,
            Sinks::default(),
            Some(&Record { id: id.clone() }),
            Arc::new(Progress::default()),
        )
        .await
    }
    .await;
    finish(&store, &tenant, &id, &carrier, result).await;
}

/// Fails imports whose instance died mid-way (their parts are deleted), every minute, until
/// shutdown.
pub async fn sweep_abandoned(store: Store, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = OffsetDateTime::now_utc();
        match store
            .sweep_abandoned_reconciliations(now - ABANDONED_AFTER, now)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::warn!(count = n, "abandoned reconciliations failed and removed"),
            Err(e) => tracing::warn!(error = %e, "reconciliation sweep failed"),
        }
    }
}

/// The file layout asked for, with its code as asked.
async fn format_for(
    store: &Store,
    tenant: &TenantId,
    asked: &Asked<'_>,
) -> Result<(String, InvoiceFormat), Error> {
    let code = asked
        .carrier
        .ok_or_else(|| Error::field("/query/carrier", format!("required: {LAYOUT_CODES}")))?;
    let carrier = InvoiceCarrier::from_layout(code);
    let format = match carrier {
        Some(InvoiceCarrier::Ups) => InvoiceFormat::Ups,
        Some(InvoiceCarrier::Fedex) => InvoiceFormat::Fedex {
            currency: Currency::from_str(asked.currency.unwrap_or("USD"))
                .map_err(|e| Error::field("/query/currency", e.to_string()))?,
        },
        Some(InvoiceCarrier::DhlExpress) => InvoiceFormat::DhlExpress,
        Some(InvoiceCarrier::Other) => {
            let name = asked.mapping.ok_or_else(|| {
                Error::field(
                    "/query/mapping",
                    "required with carrier=generic: a stored mapping's name",
                )
            })?;
            let body = store.invoice_mapping(tenant, name).await?.ok_or_else(|| {
                Error::field("/query/mapping", format!("no mapping named `{name}`"))
            })?;
            let m = ColumnMapping::from_toml(&body)
                .map_err(|e| Error::Internal(format!("stored mapping {name}: {e}")))?;
            InvoiceFormat::Generic(Box::new(m))
        }
        None => {
            return Err(Error::field(
                "/query/carrier",
                format!("`{code}`: must be {LAYOUT_CODES}"),
            ));
        }
    };
    if asked.currency.is_some() && carrier != Some(InvoiceCarrier::Fedex) {
        return Err(Error::field(
            "/query/currency",
            "only FedEx files need a currency",
        ));
    }
    Ok((code.to_string(), format))
}

/// The contract card for re-rating: asked for, or named in the settings for this carrier.
pub async fn contract_card(
    store: &Store,
    tenant: &TenantId,
    carrier: InvoiceCarrier,
    asked: Option<&str>,
    settings: &AuditSettingsDoc,
) -> Result<(Option<String>, Option<RateCards>), Error> {
    let name = asked.or_else(|| {
        settings
            .contract_cards
            .get(carrier.code())
            .map(String::as_str)
    });
    let Some(name) = name else {
        return Ok((None, None));
    };
    let versions = store.rate_card_versions(tenant, name).await?;
    if versions.is_empty() {
        return Err(Error::field(
            "/query/rate_card",
            format!("no rate card named `{name}` (PUT /v1/rate-cards/{name})"),
        ));
    }
    let cards = RateCards::from_toml(&versions.iter().map(|v| v.body.as_str()).collect::<Vec<_>>())
        .map_err(|e| Error::Internal(format!("stored rate card {name}: {e}")))?;
    Ok((Some(name.to_string()), Some(cards)))
}

/// Replaces the tenant's audit settings once they are valid and every contract card they name
/// exists.
pub async fn save_settings(
    store: &Store,
    tenant: &TenantId,
    doc: &AuditSettingsDoc,
) -> Result<(), Error> {
    doc.validate()
        .map_err(|(pointer, detail)| Error::field(pointer, detail))?;
    for (carrier, name) in &doc.contract_cards {
        if store.rate_card_versions(tenant, name).await?.is_empty() {
            return Err(Error::field(
                format!("/contract_cards/{carrier}"),
                format!("no rate card named `{name}`"),
            ));
        }
    }
    let text = serde_json::to_string(doc).expect("settings serialize");
    store
        .put_audit_settings(tenant, &text, OffsetDateTime::now_utc())
        .await?;
    Ok(())
}

/// Stores a column mapping (TOML) under `name` once both are valid; `true` when it is new.
pub async fn save_mapping(
    store: &Store,
    tenant: &TenantId,
    name: &str,
    body: &str,
) -> Result<bool, Error> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::field("/name", "1 to 64 letters, digits, - or _"));
    }
    ColumnMapping::from_toml(body).map_err(|e| Error::field("/", e.to_string()))?;
    Ok(store
        .put_invoice_mapping(tenant, name, body, OffsetDateTime::now_utc())
        .await?)
}
