//! Freight reconciliation over HTTP: `POST /v1/invoices?carrier=ups` takes a carrier invoice
//! file as the raw body (streamed to a spool file, never held in memory) and starts a
//! reconciliation; `GET /v1/reconciliations/{id}` tells its status and totals; its reports
//! download as CSV, JSON, PDF and a dispute file. Tolerances, fuel tables and contract rate
//! cards are per tenant (`/v1/audit-settings`); layouts without a built-in reader are
//! described by a mapping (`PUT /v1/invoice-mappings/{name}`). A carrier whose API reports
//! what it billed (SF Express) is reconciled without a file: `POST /v1/invoices/pull`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{IdempotencyKey, JsonBody, Path, Query, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::problem::Problem;
use super::responses::*;
use super::{List, page_cursor, page_limit, split_page};
use crate::error::Error;
use crate::ids::{ReconciliationId, TenantId};
use crate::reconcile::{self, Asked, AuditSettingsDoc, Import};
use crate::state::AppState;
use crate::store::{ReconciliationRecord, ReconciliationStatus};

/// Largest invoice file accepted (UPS Billing Data runs about 470 bytes a line: ~9 M lines).
pub const INVOICE_LIMIT: u64 = 4 << 30;

/// Report files of a completed reconciliation, with their media types.
const FILES: [(&str, &str); 4] = [
    ("report.csv", "text/csv; charset=utf-8"),
    ("report.json", "application/json"),
    ("report.pdf", "application/pdf"),
    ("dispute.csv", "text/csv; charset=utf-8"),
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_invoice))
        .routes(routes!(pull_invoices))
        .routes(routes!(list_reconciliations))
        .routes(routes!(get_reconciliation))
        .routes(routes!(download))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(put_mapping))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// Whose layout the file follows: `ups` (Billing Data, 250 columns), `fedex` (Billing
    /// Online CSV), `dhl_express` (e-billing CSV) or `generic` (with `mapping`).
    carrier: Option<String>,
    /// FedEx only: the account's billing currency (the layout has no currency column).
    currency: Option<String>,
    /// `generic` only: the mapping stored with `PUT /v1/invoice-mappings/{name}`.
    mapping: Option<String>,
    /// Contract rate card that re-rates changed packages; default: the one the audit
    /// settings name for this carrier.
    rate_card: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReconciliationOut {
    id: String,
    /// `pulling` (a pull still asking the carrier's billing API), `running` (being audited),
    /// `completed` or `failed`.
    status: String,
    carrier: String,
    /// SHA-256 of the file, or of a pull's bills (the same file or bills are not imported
    /// twice); while pulling, `pull:` and the hash of the waybills asked.
    file_sha256: String,
    file_bytes: i64,
    rate_card: Option<String>,
    lines: i64,
    packages: i64,
    /// Rows that could not be read (each listed with its line in `summary.import.errors`).
    error_count: i64,
    /// Totals by carrier, reason and week, top lines to dispute, import errors; once completed.
    #[schema(value_type = Option<Object>)]
    summary: Option<serde_json::Value>,
    /// Why a failed import failed (nothing of it was kept).
    failure: Option<String>,
    /// A pull's progress (`null` for a file's import): waybills asked of the carrier so far,
    /// and in all.
    pull: Option<PullProgressOut>,
    /// Why a failed pull failed, as the problem the request would have answered had it waited:
    /// a carrier error's `type`, `retryable` (its retry class), `retry_after` and `detail`; a
    /// conflict naming the import that has the same bills; a validation problem naming the
    /// field.
    #[schema(value_type = Option<Problem>)]
    problem: Option<serde_json::Value>,
    /// Download links, once completed.
    #[schema(value_type = Option<Object>)]
    files: Option<serde_json::Value>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    completed_at: Option<OffsetDateTime>,
}

/// How far a pull is.
#[derive(Serialize, ToSchema)]
pub struct PullProgressOut {
    /// Waybills asked of the carrier so far.
    asked: i64,
    /// Waybills the pull asks about.
    total: i64,
}

fn rec_out(r: &ReconciliationRecord) -> ReconciliationOut {
    let files = (r.status == ReconciliationStatus::Completed).then(|| {
        let mut m = serde_json::Map::new();
        for (name, _) in FILES {
            m.insert(
                name.to_string(),
                format!("/v1/reconciliations/{}/{name}", r.id).into(),
            );
        }
        serde_json::Value::Object(m)
    });
    ReconciliationOut {
        id: r.id.to_string(),
        status: r.status.as_str().to_string(),
        carrier: r.carrier.clone(),
        file_sha256: r.file_sha256.clone(),
        file_bytes: r.file_bytes,
        rate_card: r.rate_card.clone(),
        lines: r.lines,
        packages: r.packages,
        error_count: r.error_count,
        summary: r.summary.clone(),
        failure: r.failure.clone(),
        pull: r.pull.map(|p| PullProgressOut {
            asked: p.done,
            total: p.total,
        }),
        problem: r.problem.clone(),
        files,
        created_at: r.created_at,
        completed_at: r.completed_at,
    }
}

/// Spools the body to a temporary file, hashing it on the way.
async fn spool(body: Body) -> Result<(tempfile::NamedTempFile, String, u64), Error> {
    let file =
        tempfile::NamedTempFile::new().map_err(|e| Error::Internal(format!("spool file: {e}")))?;
    let mut out = tokio::fs::File::from_std(
        file.reopen()
            .map_err(|e| Error::Internal(format!("spool file: {e}")))?,
    );
    let mut hash = Sha256::new();
    let mut n: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            if super::problem::is_body_timeout(&e) {
                Error::BodyTimeout
            } else {
                Error::Malformed(format!("reading the body: {e}"))
            }
        })?;
        n += chunk.len() as u64;
        if n > INVOICE_LIMIT {
            return Err(Error::TooLarge(INVOICE_LIMIT));
        }
        hash.update(&chunk);
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
            .await
            .map_err(|e| Error::Internal(format!("spool file: {e}")))?;
    }
    tokio::io::AsyncWriteExt::flush(&mut out)
        .await
        .map_err(|e| Error::Internal(format!("spool file: {e}")))?;
    if n == 0 {
        return Err(Error::field("/", "the invoice file is empty"));
    }
    Ok((file, hex::encode(hash.finalize()), n))
}

/// Starts reconciling a carrier invoice file (the raw body). Answers 202 with the
/// reconciliation (`status: running`); poll `GET /v1/reconciliations/{id}` until it is
/// `completed` (reports ready, `reconciliation.completed` event sent) or `failed` (nothing
/// kept). Rows that cannot be read are reported with their line number and skipped. The same
/// file is not imported twice (409 naming the earlier import). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/invoices", tag = "reconciliation", params(InvoiceQuery,
        IdempotencyKey),
    request_body(content = String, content_type = "text/csv", description = "The invoice file as the carrier delivers it"),
    responses((status = 202, body = ReconciliationOut), Auth, Idempotent,
        (status = 400, body = Problem, content_type = "application/problem+json", description = "the upload broke off"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "this file was already imported, or a request with this key is in progress"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "larger than 4 GiB"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "unknown carrier, mapping or rate card, an empty file, or an invalid parameter")))]
async fn post_invoice(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent,
    Query(q): Query<InvoiceQuery>,
    body: Body,
) -> Result<Response, Error> {
    let asked = Asked {
        carrier: q.carrier.as_deref(),
        currency: q.currency.as_deref(),
        mapping: q.mapping.as_deref(),
        rate_card: q.rate_card.as_deref(),
    };
    let import = Import::plan(&app.store, &tenant, &asked).await?;
    let (file, sha, bytes) = spool(body).await?;
    // The parameters choose what the file is read as: part of the request's identity.
    let req = req
        .scoped(&format!(
            "?carrier={}&currency={}&mapping={}&rate_card={}",
            import.code,
            q.currency.as_deref().unwrap_or(""),
            q.mapping.as_deref().unwrap_or(""),
            q.rate_card.as_deref().unwrap_or("")
        ))
        .hashed(sha.clone());
    Ok(req
        .run(app, tenant, |app, tenant, _, owned| {
            start_import(app, tenant, import, (file, sha, bytes), owned)
        })
        .await)
}

/// Records the reconciliation (running) with its answer, under its key, and starts the import.
async fn start_import(
    app: AppState,
    tenant: TenantId,
    import: Import,
    (file, sha, bytes): (tempfile::NamedTempFile, String, u64),
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let rec = import.new_record(&app.store, &tenant, sha, bytes).await?;
    let answer = Answer::json(StatusCode::ACCEPTED, &rec_out(&rec));
    reconcile::start(
        &app.store,
        &tenant,
        &rec,
        answer.completion(&owned).as_ref(),
        import,
        file,
    )
    .await?;
    Ok(answer)
}

/// What to reconcile from a carrier's billing API: the shipments bought on the account from
/// `from` to `to` (both days included, in the carrier's local time: China Standard Time,
/// UTC+08:00, for SF Express), or the waybills named in `tracking_numbers`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PullIn {
    /// The carrier account (`car_…`) whose bills to pull; its carrier must report billed
    /// freight (`billed_freight` in its capabilities, such as SF Express).
    #[schema(pattern = "^car_[0-9a-f]{32}$")]
    carrier_account: String,
    /// First day the shipments were bought (ISO date), a day in the carrier's local time:
    /// China Standard Time (UTC+08:00) for SF Express, UTC for others. A shipment bought
    /// 2026-03-31T20:00Z on an SF Express account was bought on 2026-04-01.
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-01")]
    from: Option<String>,
    /// Last day the shipments were bought, included (ISO date, in the same time zone as `from`).
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-30")]
    to: Option<String>,
    /// The waybills to ask about, instead of a period (any of them unknown to the hub is
    /// reported as such).
    #[serde(default)]
    #[schema(min_items = 1, max_items = 1000)]
    tracking_numbers: Option<Vec<String>>,
    /// Contract rate card that re-rates changed packages; default: the one the audit
    /// settings name for `other`.
    #[serde(default)]
    rate_card: Option<String>,
}

/// Reconciles what a carrier billed through its billing API, without an invoice file (SF
/// Express's billed freight per waybill), in the background. Answers 202 at once with the
/// reconciliation `pulling`: the hub then asks the carrier, one waybill per call within the
/// account's quota, about the shipments bought on `carrier_account` from `from` to `to` (the
/// carrier's local days) or the `tracking_numbers`; `GET /v1/reconciliations/{id}` shows
/// `pull.asked` of `pull.total`. A pull whose hub stops is resumed by another instance, or by
/// the restarted one, once its lease runs out. Then the bills are audited exactly as an
/// imported file (`running`, then `completed` with its reports and
/// `reconciliation.completed`), each bill in the currency it was billed in. A carrier failure
/// (after the call layer's retries) marks it `failed` with nothing kept and the carrier
/// error's `problem` (type, retry class, detail); bills that were imported already fail it
/// with a 409 `problem` naming the earlier import. Refused at once: a carrier that reports no
/// billed freight (422 naming `/carrier_account`), a period without shipments (422 naming
/// `/from`), and the same waybills while a pull of them runs (409). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/invoices/pull", tag = "reconciliation", request_body = PullIn,
    params(IdempotencyKey),
    responses((status = 202, body = ReconciliationOut), Auth, Idempotent, BadBody,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "these waybills are being pulled already, or a request with this key is in progress")))]
async fn pull_invoices(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<PullIn>,
) -> Response {
    req.run(app, tenant, start_pull).await
}

/// Records the pull (`pulling`) with its answer under its key, and starts asking the carrier.
async fn start_pull(
    app: AppState,
    tenant: TenantId,
    input: PullIn,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let asked = reconcile::PullAsked {
        carrier_account: &input.carrier_account,
        from: input.from.as_deref(),
        to: input.to.as_deref(),
        tracking_numbers: input.tracking_numbers.as_deref(),
        rate_card: input.rate_card.as_deref(),
    };
    let plan = reconcile::pull(&app, &tenant, &asked).await?;
    let answer = Answer::json(StatusCode::ACCEPTED, &rec_out(&plan.record));
    plan.start(&app, &tenant, answer.completion(&owned).as_ref())
        .await?;
    Ok(answer)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^rec_[0-9a-f]{32}$")]
    cursor: Option<String>,
}

/// Reconciliations, newest first.
#[utoipa::path(get, path = "/v1/reconciliations", tag = "reconciliation", params(ListQuery),
    responses((status = 200, body = List<ReconciliationOut>), Auth, BadQuery))]
async fn list_reconciliations(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<List<ReconciliationOut>>, Error> {
    let limit = page_limit(q.limit, 20)?;
    let cursor = page_cursor(q.cursor.as_deref(), ReconciliationId::parse)?;
    let rows = app
        .store
        .list_reconciliations(&tenant, cursor.as_ref(), limit + 1)
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |r| r.id.to_string());
    Ok(axum::Json(List {
        data: rows.iter().map(rec_out).collect(),
        next_cursor,
    }))
}

async fn load(app: &AppState, tenant: &TenantId, id: &str) -> Result<ReconciliationRecord, Error> {
    let id = ReconciliationId::parse(id).ok_or(Error::NotFound("reconciliation"))?;
    app.store
        .get_reconciliation(tenant, &id)
        .await?
        .ok_or(Error::NotFound("reconciliation"))
}

/// A reconciliation: status, counts, totals (billed, expected, disputed, recoverable by
/// carrier and reason, recoverable by week), the top lines to dispute, import errors with
/// their line numbers, and download links once completed.
#[utoipa::path(get, path = "/v1/reconciliations/{id}", tag = "reconciliation", params(("id" = String, Path)),
    responses((status = 200, body = ReconciliationOut), Auth, Missing))]
async fn get_reconciliation(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<ReconciliationOut>, Error> {
    Ok(axum::Json(rec_out(&load(&app, &tenant, &id).await?)))
}

/// A report of a completed reconciliation: `report.csv` (one row per invoice line with its
/// reason codes), `report.json`, `report.pdf` (summary for finance) or `dispute.csv` (the
/// carrier's dispute layout). 409 while it is still running or when it failed.
#[utoipa::path(get, path = "/v1/reconciliations/{id}/{file}", tag = "reconciliation",
    params(("id" = String, Path), ("file" = String, Path, description = "report.csv, report.json, report.pdf or dispute.csv")),
    responses((status = 200, description = "the file, streamed, as an attachment", content(
            ("text/csv"), ("application/json"), ("application/pdf"))),
        Auth, Missing,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "not completed")))]
async fn download(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, Error> {
    let (kind, media) = FILES
        .iter()
        .find(|(name, _)| *name == file)
        .copied()
        .ok_or(Error::NotFound("report file"))?;
    let rec = load(&app, &tenant, &id).await?;
    if rec.status != ReconciliationStatus::Completed {
        return Err(Error::Conflict(format!(
            "reconciliation {} is {}; its reports exist once it is completed",
            rec.id, rec.status
        )));
    }
    let store = app.store.clone();
    let rid = rec.id.clone();
    let stream = futures_util::stream::unfold(0i64, move |seq| {
        let store = store.clone();
        let tenant = tenant.clone();
        let rid = rid.clone();
        async move {
            match store
                .reconciliation_file_chunk(&tenant, &rid, kind, seq)
                .await
            {
                Ok(Some(bytes)) => Some((Ok::<_, std::io::Error>(bytes), seq + 1)),
                Ok(None) => None,
                // An error item aborts the response (the client sees a broken transfer, not
                // a short file); the next poll ends the stream.
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), i64::MAX)),
            }
        }
    });
    let mut res = Body::from_stream(stream).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}-{file}\"", rec.id)) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The tenant's audit settings (defaults until set).
#[utoipa::path(get, path = "/v1/audit-settings", tag = "reconciliation",
    responses((status = 200, body = AuditSettingsDoc), Auth))]
async fn get_settings(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<AuditSettingsDoc>, Error> {
    Ok(axum::Json(
        reconcile::load_settings(&app.store, &tenant).await?,
    ))
}

/// Replaces the tenant's audit settings: tolerances, published fuel tables and the contract
/// rate card per carrier. Applies to reconciliations started afterwards.
#[utoipa::path(put, path = "/v1/audit-settings", tag = "reconciliation", request_body = AuditSettingsDoc,
    responses((status = 200, body = AuditSettingsDoc), Auth, BadBody))]
async fn put_settings(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    body: JsonBody<AuditSettingsDoc>,
) -> Result<axum::Json<AuditSettingsDoc>, Error> {
    let doc = body.value;
    reconcile::save_settings(&app.store, &tenant, &doc).await?;
    Ok(axum::Json(doc))
}

/// A stored column mapping.
#[derive(Serialize, ToSchema)]
struct MappingOut {
    name: String,
}

/// Stores a column mapping for invoices without a built-in layout (TOML; see
/// `rating/src/invoice/import/generic.rs`). 201 when new, 200 when replaced.
#[utoipa::path(put, path = "/v1/invoice-mappings/{name}", tag = "reconciliation", params(("name" = String, Path)),
    request_body(content = String, content_type = "application/toml"),
    responses((status = 201, body = MappingOut, description = "created"), (status = 200, body = MappingOut, description = "replaced"), Auth,
        (status = 400, body = Problem, content_type = "application/problem+json", description = "the body is not UTF-8"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "the mapping or its name is invalid")))]
async fn put_mapping(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(name): Path<String>,
    body: String,
) -> Result<Response, Error> {
    let new = reconcile::save_mapping(&app.store, &tenant, &name, &body).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(MappingOut { name })).into_response())
}
