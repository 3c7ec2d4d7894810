//! Shipments and their documents: a purchase is written in one transaction with its documents,
//! events, the rows that come with it (print job, tracker) and the idempotency answer. A row is
//! parsed into its types here, once: an unknown status, carrier code, label format or an
//! unreadable waybill is a `Corrupt` row, not a string every reader re-checks.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shiphub_carriers::CarrierCode;
use shiphub_carriers::model::{
    Charge, Currency, InvalidValue, LabelFormat, Money, ShipRequest, TrackingNumber,
};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{
    Backend, IdemCompletion, NewEvent, PrintJobRecord, Result, Store, StoreError, TrackerRecord,
    complete_idem, from_millis, insert_events, millis,
};
use crate::ids::{AccountId, DocumentId, ShipmentId, TenantId};
use crate::named::named_enum;

#[derive(Clone, Debug)]
pub struct ShipmentRecord {
    pub id: ShipmentId,
    pub carrier_account_id: AccountId,
    pub carrier: CarrierCode,
    pub service_code: String,
    pub status: ShipmentStatus,
    pub tracking_number: TrackingNumber,
    pub reference: Option<String>,
    pub total: Money,
    /// The format the label was bought in (what `GET …/label` serves by default).
    pub label_format: LabelFormat,
    pub request: StoredRequest,
    pub waybill: ShipmentWaybill,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub voided_at: Option<OffsetDateTime>,
    /// What the freight audit reads (JSON, `reconcile::AuditFacts`); written with the
    /// shipment, not read back with it.
    pub audit_facts: Option<String>,
    /// Return label or not, and the shipment it is linked with.
    pub link: ReturnLink,
}

/// A shipment's place in an outbound/return pair (migration 0020).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReturnLink {
    /// A return label (the customer sends the parcel back with it).
    pub is_return: bool,
    /// On a return bought with its outbound shipment: the outbound's id.
    pub return_for: Option<ShipmentId>,
    /// On an outbound shipment bought with its return: the return's id (read, never written:
    /// it is the return's `return_for`).
    pub return_id: Option<ShipmentId>,
}

named_enum! {
    /// Where a shipment stands.
    pub enum ShipmentStatus {
        Purchased = "purchased",
        Voided = "voided",
        /// The carrier could not confirm a void (no cancel API, a refund under review).
        VoidRequested = "void_requested",
    }
}

/// What the hub keeps of a waybill: everything but the label bytes (stored as a document).
/// Stored as JSON in these field names and this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentWaybill {
    pub pieces: Vec<TrackingNumber>,
    pub carrier_shipment_id: String,
    pub breakdown: Vec<Charge>,
    pub warnings: Vec<String>,
    /// The carrier made the label (only that format exists), or the hub renders it.
    pub carrier_label: Option<LabelFormat>,
}

/// The ship request a shipment was bought with, as stored (JSON). Decoded where it is read:
/// whole ([`StoredRequest::decode`]) by the label and customs documents, only the customs
/// items by a listing, so a page of shipments does not parse every request whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRequest(String);

impl StoredRequest {
    pub fn new(request: &ShipRequest) -> Self {
        StoredRequest(serde_json::to_string(request).expect("ship requests serialize"))
    }

    /// The stored JSON as it is (tests and rows of old formats).
    pub fn from_json(json: impl Into<String>) -> Self {
        StoredRequest(json.into())
    }

    pub fn decode(&self) -> Result<ShipRequest> {
        serde_json::from_str(&self.0).map_err(|e| StoreError::Corrupt(format!("ship request: {e}")))
    }

    /// The options it was bought with and its destination (as bought: after a `verify`, the
    /// carrier's standardized address), for showing; the destination `None` when it no longer
    /// reads as an address (rows of older formats).
    pub fn options_and_destination(
        &self,
    ) -> Result<(
        shiphub_carriers::model::ShipmentOptions,
        Option<shiphub_carriers::model::Address>,
    )> {
        #[derive(Deserialize)]
        struct Shown {
            #[serde(default)]
            options: shiphub_carriers::model::ShipmentOptions,
            #[serde(default)]
            to: Option<serde_json::Value>,
        }
        let s: Shown = serde_json::from_str(&self.0)
            .map_err(|e| StoreError::Corrupt(format!("ship request: {e}")))?;
        Ok((s.options, s.to.and_then(|v| serde_json::from_value(v).ok())))
    }

    /// How many customs items were declared; `None` without a customs declaration.
    pub fn customs_items(&self) -> Result<Option<usize>> {
        #[derive(Deserialize)]
        struct Customs {
            #[serde(default)]
            customs: Option<Items>,
        }
        #[derive(Deserialize)]
        struct Items {
            items: Vec<serde::de::IgnoredAny>,
        }
        let c: Customs = serde_json::from_str(&self.0)
            .map_err(|e| StoreError::Corrupt(format!("ship request: {e}")))?;
        Ok(c.customs.map(|c| c.items.len()))
    }
}

#[derive(Clone, Debug)]
pub struct DocumentRecord {
    pub id: DocumentId,
    pub shipment_id: ShipmentId,
    pub kind: String,
    pub format: String,
    pub content: Vec<u8>,
}

/// One shipment of [`Store::insert_shipments`], with its rows.
#[derive(Clone, Copy, Debug)]
pub struct NewShipment<'a> {
    pub record: &'a ShipmentRecord,
    pub docs: &'a [DocumentRecord],
    pub events: &'a [NewEvent],
    pub extras: ShipmentExtras<'a>,
}

/// Rows written with a purchase.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShipmentExtras<'a> {
    pub job: Option<&'a PrintJobRecord>,
    pub tracker: Option<&'a TrackerRecord>,
}

pub(super) const SHIPMENT_COLUMNS: &str = "id, carrier_account_id, carrier, service_code, status, tracking_number, reference, \
     total_amount, total_currency, label_format, request, waybill, created_at, updated_at, voided_at, \
     is_return, return_for, (SELECT r.id FROM shipments r WHERE r.tenant_id = shipments.tenant_id \
     AND r.return_for = shipments.id LIMIT 1) AS return_id";

/// The condition a void's UPDATE carries: the shipment is in no manifest.
const UNMANIFESTED: &str =
    "NOT EXISTS (SELECT 1 FROM manifest_shipments m WHERE m.shipment_id = shipments.id)";

impl Store {
    /// Writes a bought shipment, its documents and the idempotency answer in one transaction:
    /// either the purchase is recorded and replayable, or nothing is.
    pub async fn insert_shipment(
        &self,
        tenant: &TenantId,
        s: &ShipmentRecord,
        docs: &[DocumentRecord],
        events: &[NewEvent],
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        self.insert_shipment_with(tenant, s, docs, events, ShipmentExtras::default(), idem)
            .await
    }

    pub async fn get_shipment(
        &self,
        tenant: &TenantId,
        id: &ShipmentId,
    ) -> Result<Option<ShipmentRecord>> {
        let sql =
            format!("SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(shipment_from_row).transpose()
    }

    /// Newest first; `before` is the cursor (the last id of the previous page).
    pub async fn list_shipments(
        &self,
        tenant: &TenantId,
        before: Option<&ShipmentId>,
        limit: u32,
    ) -> Result<Vec<ShipmentRecord>> {
        let rows = match before {
            Some(cursor) => {
                let sql = format!(
                    "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.as_str())
                    .bind(cursor.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = format!(
                    "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(shipment_from_row).collect()
    }

    /// Marks a shipment voided; false when it was already voided, is in a manifest (checked in
    /// the same statement: a close that won the race keeps its shipment), or is not the
    /// tenant's.
    pub async fn void_shipment(
        &self,
        tenant: &TenantId,
        id: &ShipmentId,
        now: OffsetDateTime,
        events: &[NewEvent],
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let sql = format!(
            "UPDATE shipments SET status = 'voided', voided_at = $1, updated_at = $2, hold = NULL, hold_until = NULL \
             WHERE tenant_id = $3 AND id = $4 AND voided_at IS NULL AND {UNMANIFESTED}"
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(millis(now))
            .bind(millis(now))
            .bind(tenant.as_str())
            .bind(id.as_str());
        self.change_shipment(r, tenant, id, now, events, idem).await
    }

    /// Marks a shipment `void_requested` (the carrier could not confirm a void); false when it
    /// is voided already, a void was requested before, or it is in a manifest.
    pub async fn request_void(
        &self,
        tenant: &TenantId,
        id: &ShipmentId,
        now: OffsetDateTime,
        events: &[NewEvent],
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let sql = format!(
            "UPDATE shipments SET status = 'void_requested', updated_at = $1, hold = NULL, hold_until = NULL \
             WHERE tenant_id = $2 AND id = $3 AND voided_at IS NULL AND status <> 'void_requested' \
             AND {UNMANIFESTED}"
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(millis(now))
            .bind(tenant.as_str())
            .bind(id.as_str());
        self.change_shipment(r, tenant, id, now, events, idem).await
    }

    /// Runs one conditional UPDATE of a shipment and, only when it changed the row, writes its
    /// events; the idempotent answer either way, all in one transaction. True when it changed.
    async fn change_shipment(
        &self,
        update: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
        tenant: &TenantId,
        id: &ShipmentId,
        now: OffsetDateTime,
        events: &[NewEvent],
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        // PostgreSQL: take the shipment's row lock first, as a close does before it records
        // its shipments, so the UPDATE's `NOT EXISTS` (a new statement, a new snapshot under
        // READ COMMITTED) sees a close that committed while we waited. (An UPDATE alone would
        // re-check only the row's own columns after the wait, not the subquery.) SQLite runs
        // one write transaction at a time, so the statement alone is atomic there.
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM shipments WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
                .bind(tenant.as_str())
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        }
        let changed = update.execute(&mut *tx).await?.rows_affected() == 1;
        if changed {
            insert_events(&mut tx, tenant, events, now).await?;
        }
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        self.commit_events(tx).await?;
        Ok(changed)
    }

    /// A bought shipment with what comes with it — the job printing its label (print on
    /// purchase) and its tracker — in one transaction: they exist if and only if the
    /// purchase was recorded.
    pub async fn insert_shipment_with(
        &self,
        tenant: &TenantId,
        s: &ShipmentRecord,
        docs: &[DocumentRecord],
        events: &[NewEvent],
        extras: ShipmentExtras<'_>,
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        self.insert_shipments(
            tenant,
            &[NewShipment {
                record: s,
                docs,
                events,
                extras,
            }],
            idem,
        )
        .await
    }

    /// Several bought shipments (an outbound and its return label) with what comes with each,
    /// and the one idempotency answer, in one transaction.
    #[tracing::instrument(name = "store.insert_shipments", skip_all, fields(db.system = self.db_system(), tenant = %tenant, rows = shipments.len()))]
    pub async fn insert_shipments(
        &self,
        tenant: &TenantId,
        shipments: &[NewShipment<'_>],
        idem: Option<&IdemCompletion>,
    ) -> Result<()> {
        if let [one] = shipments
            && self.backend == Backend::Postgres
            && one.extras.job.is_none()
            && self.insert_purchase_in_one(tenant, one, idem).await?
        {
            self.events.notify_one();
            return Ok(());
        }
        let mut tx = self.begin_grouped().await?;
        for n in shipments {
            insert_shipment_tx(&mut tx, tenant, n.record, n.docs, n.events).await?;
            if let Some(job) = n.extras.job {
                super::print::insert_job(&mut tx, tenant, job).await?;
            }
            if let Some(tracker) = n.extras.tracker {
                super::trackers::insert_purchase_tracker_in(&mut tx, tenant, tracker).await?;
            }
        }
        if let Some(c) = idem {
            complete_idem(&mut tx, tenant, c).await?;
        }
        self.commit_events(tx).await?;
        Ok(())
    }

    /// PostgreSQL: a purchase (one shipment, no print job) in one statement, so one round trip
    /// and no `BEGIN`/`COMMIT`: data-modifying CTEs write the shipment, its documents, events,
    /// tracker and idempotency answer, atomically as any statement. When the tracker's number
    /// is still open (the carrier reused it: the old one must be superseded first) or the
    /// idempotency lease was lost, the final division by zero undoes the whole statement and
    /// this answers `false`: the transaction path handles both.
    async fn insert_purchase_in_one(
        &self,
        tenant: &TenantId,
        n: &NewShipment<'_>,
        idem: Option<&IdemCompletion>,
    ) -> Result<bool> {
        let mut next = 0;
        let mut marks = |k: usize| {
            let m = super::placeholders(next + 1, k);
            next += k;
            m
        };
        let mut sql = format!(
            "WITH s AS (INSERT INTO shipments ({INSERT_COLUMNS}) VALUES ({}))",
            marks(INSERT_BINDS)
        );
        let mut rows = |count: usize, width: usize| {
            (0..count)
                .map(|_| format!("({})", marks(width)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !n.docs.is_empty() {
            sql += &format!(
                ", d AS (INSERT INTO documents (id, tenant_id, shipment_id, kind, format, content, created_at) \
                 VALUES {})",
                rows(n.docs.len(), 7)
            );
        }
        if !n.events.is_empty() {
            sql += &format!(
                ", e AS (INSERT INTO events (id, tenant_id, type, subject_id, payload, created_at) VALUES {})",
                rows(n.events.len(), 6)
            );
        }
        let mut checks = vec![];
        if n.extras.tracker.is_some() {
            sql += &format!(
                ", t AS (INSERT INTO trackers ({}) VALUES {} ON CONFLICT DO NOTHING RETURNING 1)",
                super::trackers::INSERT_COLUMNS,
                rows(1, super::trackers::INSERT_BINDS)
            );
            checks.push("(SELECT count(*) FROM t)");
        }
        if idem.is_some() {
            sql += &format!(
                ", i AS (UPDATE idempotency_keys SET state = 'completed', response_status = {}, \
                 response_body = {}, progress = NULL WHERE tenant_id = {} AND key = {} AND state = 'started' \
                 AND owner = {} RETURNING 1)",
                marks(1),
                marks(1),
                marks(1),
                marks(1),
                marks(1)
            );
            checks.push("(SELECT count(*) FROM i)");
        }
        let product = if checks.is_empty() {
            "1".to_string()
        } else {
            checks.join(" * ")
        };
        sql += &format!(" SELECT 1 / ({product})::int AS ok");
        let s = n.record;
        let mut q = bind_insert(sqlx::query(sqlx::AssertSqlSafe(sql)), tenant, s);
        for d in n.docs {
            q = q
                .bind(d.id.as_str())
                .bind(tenant.as_str())
                .bind(d.shipment_id.as_str())
                .bind(&d.kind)
                .bind(&d.format)
                .bind(&d.content)
                .bind(millis(s.created_at));
        }
        for e in n.events {
            q = q
                .bind(crate::ids::EventId::generate().as_str())
                .bind(tenant.as_str())
                .bind(e.kind.as_str())
                .bind(&e.subject_id)
                .bind(e.data.to_string())
                .bind(millis(s.created_at));
        }
        if let Some(t) = n.extras.tracker {
            q = super::trackers::bind_insert(q, tenant, t);
        }
        if let Some(c) = idem {
            q = q
                .bind(i64::from(c.status))
                .bind(&c.body)
                .bind(tenant.as_str())
                .bind(&c.key)
                .bind(&c.owner);
        }
        match q.execute(&self.writer).await {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("22012") => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_document(
        &self,
        tenant: &TenantId,
        shipment: &ShipmentId,
        kind: &str,
        format: &str,
    ) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query(
            "SELECT content FROM documents WHERE tenant_id = $1 AND shipment_id = $2 AND kind = $3 AND format = $4",
        )
        .bind(tenant.as_str())
        .bind(shipment.as_str())
        .bind(kind)
        .bind(format)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("content")).transpose()?)
    }
}

/// The columns a bought shipment is inserted with, `INSERT_BINDS` of them (`bind_insert`).
const INSERT_COLUMNS: &str = "id, tenant_id, carrier_account_id, carrier, service_code, status, tracking_number, \
     reference, total_amount, total_currency, label_format, request, waybill, created_at, updated_at, voided_at, \
     audit_facts, is_return, return_for";
const INSERT_BINDS: usize = 19;

fn bind_insert<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    tenant: &TenantId,
    s: &ShipmentRecord,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(s.id.as_str())
        .bind(tenant.as_str())
        .bind(s.carrier_account_id.as_str())
        .bind(s.carrier.as_str())
        .bind(&s.service_code)
        .bind(s.status.as_str())
        .bind(s.tracking_number.as_str())
        .bind(s.reference.as_deref())
        .bind(s.total.amount().to_string())
        .bind(s.total.currency().code())
        .bind(s.label_format.as_str())
        .bind(&s.request.0)
        .bind(serde_json::to_string(&s.waybill).expect("waybills serialize"))
        .bind(millis(s.created_at))
        .bind(millis(s.updated_at))
        .bind(s.voided_at.map(millis))
        .bind(s.audit_facts.as_deref())
        .bind(i64::from(s.link.is_return))
        .bind(s.link.return_for.as_ref().map(|i| i.as_str()))
}

async fn insert_shipment_tx(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    s: &ShipmentRecord,
    docs: &[DocumentRecord],
    events: &[NewEvent],
) -> Result<()> {
    let sql = format!(
        "INSERT INTO shipments ({INSERT_COLUMNS}) VALUES ({})",
        super::placeholders(1, INSERT_BINDS)
    );
    bind_insert(sqlx::query(sqlx::AssertSqlSafe(sql)), tenant, s)
        .execute(&mut *tx)
        .await?;
    for d in docs {
        sqlx::query(
            "INSERT INTO documents (id, tenant_id, shipment_id, kind, format, content, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(d.id.as_str())
        .bind(tenant.as_str())
        .bind(d.shipment_id.as_str())
        .bind(&d.kind)
        .bind(&d.format)
        .bind(&d.content)
        .bind(millis(s.created_at))
        .execute(&mut *tx)
        .await?;
    }
    insert_events(tx, tenant, events, s.created_at).await
}

pub(super) fn shipment_from_row(r: &AnyRow) -> Result<ShipmentRecord> {
    let id = ShipmentId::from_db(r.try_get("id")?);
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("shipment {id} {what}: {e}"))
    };
    let amount: String = r.try_get("total_amount")?;
    let currency: String = r.try_get("total_currency")?;
    let total = Money::new(
        Decimal::from_str(&amount).map_err(|e| corrupt("amount", &e))?,
        Currency::from_str(&currency).map_err(|e| corrupt("currency", &e))?,
    );
    let carrier: String = r.try_get("carrier")?;
    let status: String = r.try_get("status")?;
    let label_format: String = r.try_get("label_format")?;
    let waybill: String = r.try_get("waybill")?;
    Ok(ShipmentRecord {
        carrier_account_id: AccountId::from_db(r.try_get("carrier_account_id")?),
        carrier: CarrierCode::parse(&carrier).ok_or_else(|| corrupt("carrier", &carrier))?,
        service_code: r.try_get("service_code")?,
        status: ShipmentStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        tracking_number: r
            .try_get::<String, _>("tracking_number")?
            .parse()
            .map_err(|e: InvalidValue| corrupt("tracking number", &e.message))?,
        reference: r.try_get("reference")?,
        total,
        label_format: label_format.parse().map_err(
            |e: shiphub_carriers::model::InvalidValue| corrupt("label format", &e.message),
        )?,
        request: StoredRequest(r.try_get("request")?),
        waybill: serde_json::from_str(&waybill).map_err(|e| corrupt("waybill", &e))?,
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
        voided_at: r.try_get::<Option<i64>, _>("voided_at")?.map(from_millis),
        audit_facts: None,
        link: ReturnLink {
            is_return: r.try_get::<i64, _>("is_return")? != 0,
            return_for: r
                .try_get::<Option<String>, _>("return_for")?
                .map(ShipmentId::from_db),
            return_id: r
                .try_get::<Option<String>, _>("return_id")?
                .map(ShipmentId::from_db),
        },
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_waybill_reads_and_writes_back_byte_for_byte() {
        // As purchases have written it: the field order and names are the stored format.
        let stored = r#"{"pieces":["1Z999AA10123456784","1Z999AA10123456793"],"carrier_shipment_id":"1Z999AA10123456784","breakdown":[{"kind":"base","description":"Base","amount":{"amount":"21.60","currency":"USD"}}],"warnings":["w"],"carrier_label":"zpl"}"#;
        let w: ShipmentWaybill = serde_json::from_str(stored).unwrap();
        assert_eq!(serde_json::to_string(&w).unwrap(), stored);
        let rendered = r#"{"pieces":[],"carrier_shipment_id":"SB1","breakdown":[],"warnings":[],"carrier_label":null}"#;
        let w: ShipmentWaybill = serde_json::from_str(rendered).unwrap();
        assert_eq!(serde_json::to_string(&w).unwrap(), rendered);
    }

    #[test]
    fn statuses_are_stored_by_name() {
        for s in ShipmentStatus::ALL {
            assert_eq!(ShipmentStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ShipmentStatus::parse("cancelled"), None);
    }
}
