//! Trackers, their deduplicated scans, leases for the poll scheduler, and instance
//! heartbeats (migration 0006).

use sha2::{Digest, Sha256};
use shiphub_carriers::model::{Location, TrackingEvent, TrackingStatus};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::{OffsetDateTime, UtcOffset};

use super::{
    Backend, NewEvent, Result, Store, StoreError, claim_sql, from_millis, insert_event_rows,
    insert_events, millis,
};
use crate::ids::{AccountId, ShipmentId, TenantId, TrackerId};

#[derive(Clone, Debug, PartialEq)]
pub struct TrackerRecord {
    pub id: TrackerId,
    pub tracking_number: String,
    pub carrier: String,
    pub carrier_account_id: Option<AccountId>,
    pub shipment_id: Option<ShipmentId>,
    /// The bought service's class (`express`, `standard`, …): sets the normal scan gap.
    pub service_class: Option<String>,
    pub status: TrackingStatus,
    pub sub_status: Option<String>,
    /// The carrier's own code of the latest scan (kept even when we cannot map it).
    pub carrier_status_code: Option<String>,
    /// ISO dates.
    pub estimated_delivery: Option<String>,
    pub promised_date: Option<String>,
    pub signed_by: Option<String>,
    /// `no_carrier_account` while no account of the carrier exists.
    pub waiting_reason: Option<String>,
    /// 0 = urgent (out for delivery, exception, past its date): polled first when quota is short.
    pub urgency: i64,
    /// Consecutive failed checks (backoff).
    pub failures: u32,
    pub last_event_at: Option<OffsetDateTime>,
    pub last_checked_at: Option<OffsetDateTime>,
    /// `None`: not polled any more.
    pub next_check_at: Option<OffsetDateTime>,
    pub delivered_at: Option<OffsetDateTime>,
    pub had_exception: bool,
    pub stalled_notified: bool,
    pub late_notified: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// ISO date the parcel shipped, when known (a purchase here): picks the tracker's own
    /// shipment when the carrier answers several for a reused number.
    pub ship_date: Option<String>,
    /// Closed: a newer shipment reuses the number and this tracker follows it instead.
    pub superseded_by: Option<TrackerId>,
    /// The network an aggregator tracks the number in (Kuaidi100 `zhongtong`), when named.
    pub network: Option<String>,
    /// When the carrier accepted a push subscription for this parcel (`None`: not yet).
    pub subscribed_at: Option<OffsetDateTime>,
    /// The last four digits of the sender's or receiver's phone, for networks that show
    /// scans only with it (Kuaidi100 for SF numbers).
    pub phone: Option<String>,
}

/// A tracker the scheduler holds a lease on.
#[derive(Clone, Debug)]
pub struct ClaimedTracker {
    pub tenant: TenantId,
    pub tracker: TrackerRecord,
}

/// One row for the timeliness report.
#[derive(Clone, Debug)]
pub struct TimelinessRow {
    pub carrier: String,
    pub service_code: String,
    /// The lane's ends, read from the stored ship request by the database (a page of a
    /// million shipments' analytics never parses their JSON in Rust).
    pub from_country: Option<String>,
    pub to_country: Option<String>,
    pub status: TrackingStatus,
    pub shipped_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
    pub promised_date: Option<String>,
    pub estimated_delivery: Option<String>,
    pub had_exception: bool,
}

pub(super) const COLUMNS: &str = "id, tracking_number, carrier, carrier_account_id, shipment_id, service_class, status, \
     sub_status, carrier_status_code, estimated_delivery, promised_date, signed_by, waiting_reason, urgency, \
     failures, last_event_at, last_checked_at, next_check_at, delivered_at, had_exception, stalled_notified, \
     late_notified, created_at, updated_at, ship_date, superseded_by, network, subscribed_at, phone";

/// The same open parcel: the network compared with NULL as a value of its own (as the unique
/// index `trackers_open_number` of migration 0017 does).
const SAME_NETWORK: &str = "COALESCE(network, '') = COALESCE($4, '')";

pub fn status_name(s: TrackingStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| "unknown".into())
}

pub(super) fn parse_status(s: &str) -> TrackingStatus {
    serde_json::from_value(serde_json::Value::String(s.into())).unwrap_or(TrackingStatus::Unknown)
}

/// Scans are the same scan when time, carrier code and text agree.
fn dedupe_key(e: &TrackingEvent) -> String {
    let mut h = Sha256::new();
    h.update(millis(e.occurred_at).to_le_bytes());
    h.update(e.carrier_code.as_bytes());
    h.update([0]);
    h.update(e.description.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// The columns a new tracker is inserted with, `INSERT_BINDS` of them, bound by `bind_insert`.
pub(super) const INSERT_COLUMNS: &str = "id, tenant_id, tracking_number, carrier, carrier_account_id, shipment_id, service_class, \
     status, promised_date, estimated_delivery, waiting_reason, urgency, next_check_at, created_at, updated_at, \
     ship_date, network, phone";
pub(super) const INSERT_BINDS: usize = 18;

pub(super) fn bind_insert<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    tenant: &TenantId,
    t: &TrackerRecord,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(t.id.as_str())
        .bind(tenant.as_str())
        .bind(&t.tracking_number)
        .bind(&t.carrier)
        .bind(t.carrier_account_id.as_ref().map(AccountId::as_str))
        .bind(t.shipment_id.as_ref().map(ShipmentId::as_str))
        .bind(t.service_class.as_deref())
        .bind(status_name(t.status))
        .bind(t.promised_date.as_deref())
        .bind(t.estimated_delivery.as_deref())
        .bind(t.waiting_reason.as_deref())
        .bind(t.urgency)
        .bind(t.next_check_at.map(millis))
        .bind(millis(t.created_at))
        .bind(millis(t.updated_at))
        .bind(t.ship_date.as_deref())
        .bind(t.network.as_deref())
        .bind(t.phone.as_deref())
}

/// The tenant's open tracker of `t`'s carrier, number and network (the one an insert of `t`
/// collided with).
pub(super) async fn open_tracker_row(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    t: &TrackerRecord,
) -> Result<AnyRow> {
    let sql = format!(
        "SELECT {COLUMNS} FROM trackers WHERE tenant_id = $1 AND carrier = $2 AND tracking_number = $3 \
         AND superseded_by IS NULL AND {SAME_NETWORK}"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.as_str())
        .bind(&t.carrier)
        .bind(&t.tracking_number)
        .bind(t.network.as_deref())
        .fetch_one(&mut *tx)
        .await?)
}

async fn insert_tracker_tx(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    t: &TrackerRecord,
) -> Result<bool> {
    let sql = format!(
        "INSERT INTO trackers ({INSERT_COLUMNS}) VALUES ({}) ON CONFLICT DO NOTHING",
        super::placeholders(1, INSERT_BINDS)
    );
    let r = bind_insert(sqlx::query(sqlx::AssertSqlSafe(sql)), tenant, t)
        .execute(&mut *tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A purchase's tracker: the shipment is new, so a tracker still open for its number follows
/// an older parcel the carrier issued the number to before. That one is closed (no longer
/// polled, its scans kept, `superseded_by` pointing here) and never merged with the new one.
pub(super) async fn insert_purchase_tracker_in(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    t: &TrackerRecord,
) -> Result<()> {
    // Numbers are rarely reused: the insert goes first and the open tracker it collides with
    // (`trackers_open_number`, the same condition as the update's) is closed only then.
    if insert_tracker_tx(tx, tenant, t).await? {
        return Ok(());
    }
    sqlx::query(
        "UPDATE trackers SET superseded_by = $1, next_check_at = NULL, lease_owner = NULL, lease_until = NULL, \
         updated_at = $2 WHERE tenant_id = $3 AND carrier = $4 AND tracking_number = $5 AND superseded_by IS NULL \
         AND COALESCE(network, '') = COALESCE($6, '')",
    )
    .bind(t.id.as_str())
    .bind(millis(t.created_at))
    .bind(tenant.as_str())
    .bind(&t.carrier)
    .bind(&t.tracking_number)
    .bind(t.network.as_deref())
    .execute(&mut *tx)
    .await?;
    insert_tracker_tx(tx, tenant, t).await.map(|_| ())
}

impl Store {
    /// Creates a tracker; when the tenant already follows that number with that carrier (in
    /// that network), returns the existing one instead (`false`). `idem` completes the key with
    /// the new tracker's answer, so only when one is created: the caller answers an existing
    /// tracker otherwise and completes the key with that.
    pub async fn insert_tracker(
        &self,
        tenant: &TenantId,
        t: &TrackerRecord,
        idem: Option<&super::IdemCompletion>,
    ) -> Result<(TrackerRecord, bool)> {
        match &self.trackers {
            Some(batch) => self.insert_tracker_batched(batch, tenant, t, idem).await,
            None => self.insert_tracker_alone(tenant, t, idem).await,
        }
    }

    /// `insert_tracker` in a transaction of its own.
    pub(super) async fn insert_tracker_alone(
        &self,
        tenant: &TenantId,
        t: &TrackerRecord,
        idem: Option<&super::IdemCompletion>,
    ) -> Result<(TrackerRecord, bool)> {
        let mut tx = self.begin_grouped().await?;
        // A new tracker comes back from its insert; an existing one is read.
        let sql = format!(
            "INSERT INTO trackers ({INSERT_COLUMNS}) VALUES ({}) ON CONFLICT DO NOTHING RETURNING {COLUMNS}",
            super::placeholders(1, INSERT_BINDS)
        );
        let inserted = bind_insert(sqlx::query(sqlx::AssertSqlSafe(sql)), tenant, t)
            .fetch_optional(&mut *tx)
            .await?;
        let created = inserted.is_some();
        let row = match inserted {
            Some(row) => row,
            None => open_tracker_row(&mut tx, tenant, t).await?,
        };
        if let Some(c) = idem.filter(|_| created) {
            super::complete_idem(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok((tracker_from_row(&row)?, created))
    }

    /// Gives an open tracker the phone hint it was followed again with (the network may have
    /// refused it without one), due at once when still polled.
    pub async fn set_tracker_phone(
        &self,
        tenant: &TenantId,
        id: &TrackerId,
        phone: &str,
    ) -> Result<()> {
        // Still polled: due at once, its failures (the network refusing without the phone)
        // forgotten.
        sqlx::query(
            "UPDATE trackers SET phone = $1, updated_at = $2, failures = 0, \
             next_check_at = CASE WHEN next_check_at IS NULL THEN NULL ELSE $2 END \
             WHERE tenant_id = $3 AND id = $4",
        )
        .bind(phone)
        .bind(millis(OffsetDateTime::now_utc()))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn get_tracker(
        &self,
        tenant: &TenantId,
        id: &TrackerId,
    ) -> Result<Option<TrackerRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM trackers WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(tracker_from_row).transpose()
    }

    pub async fn tracker_for_shipment(
        &self,
        tenant: &TenantId,
        shipment: &ShipmentId,
    ) -> Result<Option<TrackerRecord>> {
        let sql =
            format!("SELECT {COLUMNS} FROM trackers WHERE tenant_id = $1 AND shipment_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(shipment.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(tracker_from_row).transpose()
    }

    /// The tenant's open tracker for a number of a carrier in a network (none: the number
    /// followed without one), not one a newer shipment of the number superseded.
    pub async fn find_tracker(
        &self,
        tenant: &TenantId,
        carrier: &str,
        number: &str,
        network: Option<&str>,
    ) -> Result<Option<TrackerRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM trackers WHERE tenant_id = $1 AND carrier = $2 AND tracking_number = $3 \
             AND superseded_by IS NULL AND {SAME_NETWORK}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(carrier)
            .bind(number)
            .bind(network)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(tracker_from_row).transpose()
    }

    /// Every open tracker of a number of a carrier, in any network, oldest first (a push that
    /// does not say the network is about each of them).
    pub async fn open_trackers_of_number(
        &self,
        tenant: &TenantId,
        carrier: &str,
        number: &str,
    ) -> Result<Vec<TrackerRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM trackers WHERE tenant_id = $1 AND carrier = $2 AND tracking_number = $3 \
             AND superseded_by IS NULL ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(carrier)
            .bind(number)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tracker_from_row).collect()
    }

    /// Records that the carrier accepted a push subscription for the tracker's parcel, and
    /// moves its next poll to `next_check_at` (the slower safety-net pace) unless it is no
    /// longer polled.
    pub async fn mark_tracker_subscribed(
        &self,
        tenant: &TenantId,
        id: &TrackerId,
        at: OffsetDateTime,
        next_check_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE trackers SET subscribed_at = $1, updated_at = $1, \
             next_check_at = CASE WHEN next_check_at IS NULL THEN NULL ELSE $2 END \
             WHERE tenant_id = $3 AND id = $4",
        )
        .bind(millis(at))
        .bind(millis(next_check_at))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// How many trackers of `carrier` each of the tenant's accounts polls (open, not
    /// finished): the load that decides which account a new tracker goes to.
    pub async fn polled_trackers_by_account(
        &self,
        tenant: &TenantId,
        carrier: &str,
    ) -> Result<std::collections::HashMap<AccountId, u64>> {
        let rows = sqlx::query(
            "SELECT carrier_account_id, COUNT(*) AS n FROM trackers WHERE tenant_id = $1 AND carrier = $2 \
             AND carrier_account_id IS NOT NULL AND next_check_at IS NOT NULL GROUP BY carrier_account_id",
        )
        .bind(tenant.as_str())
        .bind(carrier)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("n")?;
                Ok((
                    AccountId::from_db(r.try_get("carrier_account_id")?),
                    u64::try_from(n).unwrap_or(0),
                ))
            })
            .collect()
    }

    /// Newest first, optionally by status; `before` is the cursor.
    pub async fn list_trackers(
        &self,
        tenant: &TenantId,
        status: Option<&str>,
        before: Option<&TrackerId>,
        limit: u32,
    ) -> Result<Vec<TrackerRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM trackers WHERE tenant_id = $1 AND ($2 = '' OR status = $2) \
             AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(status.unwrap_or(""))
            .bind(before.map_or("", TrackerId::as_str))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tracker_from_row).collect()
    }

    /// Scans of a tracker, oldest first.
    pub async fn tracking_events(&self, tracker: &TrackerId) -> Result<Vec<TrackingEvent>> {
        let rows = sqlx::query(
            "SELECT occurred_at, offset_seconds, status, carrier_code, sub_status, description, location \
             FROM tracking_events WHERE tracker_id = $1 ORDER BY occurred_at, dedupe_key",
        )
        .bind(tracker.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let offset: i64 = r.try_get("offset_seconds")?;
                let offset = UtcOffset::from_whole_seconds(offset as i32).unwrap_or(UtcOffset::UTC);
                let location: Option<String> = r.try_get("location")?;
                Ok(TrackingEvent {
                    occurred_at: from_millis(r.try_get("occurred_at")?).to_offset(offset),
                    status: parse_status(&r.try_get::<String, _>("status")?),
                    carrier_code: r.try_get("carrier_code")?,
                    sub_status: r.try_get("sub_status")?,
                    description: r.try_get("description")?,
                    location: location
                        .map(|l| serde_json::from_str::<Location>(&l))
                        .transpose()
                        .map_err(|e| StoreError::Corrupt(format!("event location: {e}")))?,
                })
            })
            .collect()
    }

    /// Trackers that waited for an account of `carrier` start being polled with `account`.
    pub async fn attach_waiting_trackers(
        &self,
        tenant: &TenantId,
        carrier: &str,
        account: &AccountId,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE trackers SET carrier_account_id = $1, waiting_reason = NULL, next_check_at = $2, updated_at = $2 \
             WHERE tenant_id = $3 AND carrier = $4 AND carrier_account_id IS NULL",
        )
        .bind(account.as_str())
        .bind(millis(now))
        .bind(tenant.as_str())
        .bind(carrier)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected())
    }

    /// Accounts with trackers due now and not leased (at most `limit`).
    pub async fn due_accounts(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<(TenantId, AccountId)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT tenant_id, carrier_account_id FROM trackers WHERE next_check_at <= $1              AND carrier_account_id IS NOT NULL AND (lease_until IS NULL OR lease_until < $1) LIMIT $2",
        )
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    TenantId::from_db(r.try_get("tenant_id")?),
                    AccountId::from_db(r.try_get("carrier_account_id")?),
                ))
            })
            .collect()
    }

    /// Leases up to `limit` of an account's due trackers to `owner` until `now + lease`,
    /// urgent first, then the longest overdue. A tracker leased by a live instance is never
    /// handed out twice (a concurrent claim's rows are skipped or re-checked:
    /// `store::claim_sql`); an expired lease (its instance died) is taken over.
    pub async fn claim_due_trackers(
        &self,
        account: &AccountId,
        owner: &str,
        now: OffsetDateTime,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedTracker>> {
        let sql = claim_sql(
            self.backend,
            "trackers",
            "lease_owner = $1, lease_until = $2",
            "SELECT id FROM trackers WHERE carrier_account_id = $3 AND next_check_at <= $4 \
             AND (lease_until IS NULL OR lease_until < $4) ORDER BY urgency, next_check_at LIMIT $5",
            "next_check_at <= $4 AND (lease_until IS NULL OR lease_until < $4)",
            &format!("tenant_id, {COLUMNS}"),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(millis(now + lease))
            .bind(account.as_str())
            .bind(millis(now))
            .bind(i64::from(limit))
            .fetch_all(&self.writer)
            .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(ClaimedTracker {
                    tenant: TenantId::from_db(r.try_get("tenant_id")?),
                    tracker: tracker_from_row(r)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| {
            (a.tracker.urgency, a.tracker.next_check_at)
                .cmp(&(b.tracker.urgency, b.tracker.next_check_at))
        });
        Ok(out)
    }

    /// Many trackers in one transaction (imports, tests, benchmarks); existing ones are kept.
    pub async fn insert_trackers(&self, tenant: &TenantId, ts: &[TrackerRecord]) -> Result<u64> {
        let mut tx = self.begin_grouped().await?;
        let mut n = 0;
        for t in ts {
            n += u64::from(insert_tracker_tx(&mut tx, tenant, t).await?);
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Records what a check (poll or push) found: new scans are stored (duplicates dropped),
    /// then `decide` turns the tracker as it is now and the scans that were new into the
    /// tracker's next state and the outbox events it emits — all in one transaction, and the
    /// lease (when `owner` holds one) is released.
    pub async fn record_tracking(
        &self,
        tenant: &TenantId,
        id: &TrackerId,
        owner: Option<&str>,
        scans: &[TrackingEvent],
        decide: impl FnOnce(&TrackerRecord, &[TrackingEvent]) -> (TrackerRecord, Vec<NewEvent>),
    ) -> Result<Option<TrackerRecord>> {
        let mut tx = self.begin_grouped().await?;
        let Some(next) =
            record_tracking_in(&mut tx, self.backend, tenant, id, owner, scans, decide).await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        self.commit_events(tx).await?;
        Ok(Some(next))
    }

    /// `record_tracking` for the trackers one poll (one carrier call) answered, in one
    /// transaction: the scheduler's first look at a burst of new trackers pays one commit and
    /// one group member per call instead of one per tracker. `decide(i, …)` decides the `i`th.
    /// `None` for a tracker that is gone. When a statement fails the whole call is undone and
    /// the error returned (the caller records the trackers one by one instead).
    pub async fn record_polls(
        &self,
        owner: &str,
        polls: &[(&TenantId, &TrackerId, &[TrackingEvent])],
        mut decide: impl FnMut(
            usize,
            &TrackerRecord,
            &[TrackingEvent],
        ) -> (TrackerRecord, Vec<NewEvent>),
    ) -> Result<Vec<Option<TrackerRecord>>> {
        let mut tx = self.begin_grouped().await?;
        // The call's trackers in one read, their scans in one insert, their new states in one
        // update (a statement each for fifty parcels instead of several per parcel).
        let mut current = std::collections::HashMap::new();
        for chunk in polls.chunks(TRACKERS_PER_READ) {
            let sql = format!(
                "SELECT tenant_id, {COLUMNS} FROM trackers WHERE id IN ({})",
                super::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (_, id, _) in chunk {
                q = q.bind(id.as_str());
            }
            for row in q.fetch_all(&mut *tx).await? {
                let tenant: String = row.try_get("tenant_id")?;
                let t = tracker_from_row(&row)?;
                current.insert((tenant, t.id.clone()), t);
            }
        }
        let found = |tenant: &TenantId, id: &TrackerId| {
            current.contains_key(&(tenant.as_str().to_string(), id.clone()))
        };
        let scans: Vec<(&TrackerId, &TrackingEvent)> = polls
            .iter()
            .filter(|(tenant, id, _)| found(tenant, id))
            .flat_map(|(_, id, scans)| scans.iter().map(move |e| (*id, e)))
            .collect();
        let stored = insert_scans(&mut tx, self.backend, &scans).await?;
        let mut out = Vec::with_capacity(polls.len());
        let mut events = vec![];
        // The polls whose check found the delivery.
        let mut delivered = vec![];
        for (i, (tenant, id, scans)) in polls.iter().enumerate() {
            let Some(old) = current.remove(&(tenant.as_str().to_string(), (*id).clone())) else {
                out.push(None);
                continue;
            };
            let fresh = fresh_scans(id, scans, &stored);
            let (next, emitted) = next_state(&old, |o| decide(i, o, &fresh));
            events.extend(emitted.into_iter().map(|e| (*tenant, e, next.updated_at)));
            if newly_delivered(&old, &next) {
                delivered.push(i);
            }
            out.push(Some(next));
        }
        // Their new states in one update, their deliveries counted together: one read of
        // their shipments, one upsert.
        let checked: Vec<_> = polls
            .iter()
            .zip(&out)
            .filter_map(|((tenant, ..), t)| Some((*tenant, t.as_ref()?)))
            .collect();
        update_checked(&mut tx, Some(owner), &checked).await?;
        let counted: Vec<_> = delivered
            .iter()
            .filter_map(|&i| Some((polls[i].0, out[i].as_ref()?)))
            .collect();
        super::routing::count_deliveries_tx(&mut tx, &counted).await?;
        let rows: Vec<_> = events.iter().map(|(t, e, at)| (*t, e, *at)).collect();
        insert_event_rows(&mut tx, &rows).await?;
        self.commit_events(tx).await?;
        Ok(out)
    }

    /// A failed check: the tracker is retried at `next_check_at`, and the lease released.
    pub async fn tracker_check_failed(
        &self,
        id: &TrackerId,
        owner: &str,
        failures: u32,
        next_check_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE trackers SET failures = $1, next_check_at = $2, lease_owner = NULL, lease_until = NULL \
             WHERE id = $3 AND lease_owner = $4",
        )
        .bind(i64::from(failures))
        .bind(millis(next_check_at))
        .bind(id.as_str())
        .bind(owner)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Tracking numbers of the trackers `owner` holds a live lease on (operations: what a
    /// stopped instance left behind).
    pub async fn leased_by(&self, owner: &str, now: OffsetDateTime) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT tracking_number FROM trackers WHERE lease_owner = $1 AND lease_until >= $2",
        )
        .bind(owner)
        .bind(millis(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get("tracking_number")?))
            .collect()
    }

    /// Gives leased trackers back, due at `at`, in one statement.
    pub async fn release_trackers(
        &self,
        ids: &[TrackerId],
        owner: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "UPDATE trackers SET next_check_at = $1, lease_owner = NULL, lease_until = NULL \
             WHERE lease_owner = $2 AND id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(millis(at))
            .bind(owner);
        for id in ids {
            q = q.bind(id.as_str());
        }
        q.execute(&self.writer).await?;
        Ok(())
    }

    /// Trackers of shipments bought in [from, to), for the timeliness report.
    pub async fn timeliness_rows(
        &self,
        tenant: &TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<TimelinessRow>> {
        // The stored request carries the shipment flattened; older test rows nest it.
        let country = |end: &str| match self.backend() {
            Backend::Postgres => format!(
                "COALESCE((s.request::jsonb) #>> '{{{end},country}}', \
                 (s.request::jsonb) #>> '{{shipment,{end},country}}')"
            ),
            Backend::Sqlite => format!(
                "COALESCE(json_extract(s.request, '$.{end}.country'), \
                 json_extract(s.request, '$.shipment.{end}.country'))"
            ),
        };
        let sql = format!(
            "SELECT t.carrier, s.service_code, {} AS from_country, {} AS to_country, t.status, \
             s.created_at, t.delivered_at, t.promised_date, t.estimated_delivery, t.had_exception \
             FROM shipments s JOIN trackers t ON t.shipment_id = s.id \
             WHERE s.tenant_id = $1 AND s.created_at >= $2 AND s.created_at < $3 AND t.tenant_id = $1",
            country("from"),
            country("to"),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(millis(from))
            .bind(millis(to))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TimelinessRow {
                    carrier: r.try_get("carrier")?,
                    service_code: r.try_get("service_code")?,
                    from_country: r.try_get("from_country")?,
                    to_country: r.try_get("to_country")?,
                    status: parse_status(&r.try_get::<String, _>("status")?),
                    shipped_at: from_millis(r.try_get("created_at")?),
                    delivered_at: r
                        .try_get::<Option<i64>, _>("delivered_at")?
                        .map(from_millis),
                    promised_date: r.try_get("promised_date")?,
                    estimated_delivery: r.try_get("estimated_delivery")?,
                    had_exception: r.try_get::<i64, _>("had_exception")? != 0,
                })
            })
            .collect()
    }
}

/// Scan rows per `INSERT` (9 binds each).
const SCANS_PER_INSERT: usize = 32;
/// Trackers per read of a poll's trackers.
const TRACKERS_PER_READ: usize = 100;

/// Stores scans (of one or several trackers) in multi-row inserts that return the rows they
/// stored: (tracker, dedupe key) of each scan not stored before.
async fn insert_scans(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    scans: &[(&TrackerId, &TrackingEvent)],
) -> Result<std::collections::HashSet<(String, String)>> {
    let mut stored = std::collections::HashSet::new();
    for chunk in scans.chunks(SCANS_PER_INSERT) {
        // Anonymous markers on SQLite (`store::markers`): numbered ones cost O(binds²).
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", super::markers(backend, r * 9 + 1, 9)))
            .collect();
        let sql = format!(
            "INSERT INTO tracking_events (tracker_id, dedupe_key, occurred_at, offset_seconds, status, carrier_code, \
             sub_status, description, location) VALUES {} \
             ON CONFLICT (tracker_id, dedupe_key) DO NOTHING RETURNING tracker_id, dedupe_key",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, e) in chunk {
            q = q
                .bind(id.as_str())
                .bind(dedupe_key(e))
                .bind(millis(e.occurred_at))
                .bind(i64::from(e.occurred_at.offset().whole_seconds()))
                .bind(status_name(e.status))
                .bind(&e.carrier_code)
                .bind(e.sub_status.as_deref())
                .bind(&e.description)
                .bind(
                    e.location
                        .as_ref()
                        .map(|l| serde_json::to_string(l).expect("location serializes")),
                );
        }
        for r in q.fetch_all(&mut *tx).await? {
            stored.insert((r.try_get("tracker_id")?, r.try_get("dedupe_key")?));
        }
    }
    Ok(stored)
}

/// A tracker's scans that `insert_scans` stored, in the order the carrier gave them: a scan
/// stored before, or repeated in the answer, is not fresh (it counts once).
fn fresh_scans(
    id: &TrackerId,
    scans: &[TrackingEvent],
    stored: &std::collections::HashSet<(String, String)>,
) -> Vec<TrackingEvent> {
    let mut seen = std::collections::HashSet::new();
    scans
        .iter()
        .filter(|e| {
            let key = dedupe_key(e);
            stored.contains(&(id.as_str().to_string(), key.clone())) && seen.insert(key)
        })
        .cloned()
        .collect()
}

/// What `record_tracking` writes, inside the caller's transaction: `None`, writing nothing,
/// when the tracker is gone.
async fn record_tracking_in(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    tenant: &TenantId,
    id: &TrackerId,
    owner: Option<&str>,
    scans: &[TrackingEvent],
    decide: impl FnOnce(&TrackerRecord, &[TrackingEvent]) -> (TrackerRecord, Vec<NewEvent>),
) -> Result<Option<TrackerRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM trackers WHERE tenant_id = $1 AND id = $2");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(None);
    };
    let current = tracker_from_row(&row)?;
    let with_id: Vec<_> = scans.iter().map(|e| (id, e)).collect();
    let stored = insert_scans(tx, backend, &with_id).await?;
    let fresh = fresh_scans(id, scans, &stored);
    let (next, events) = apply_check(tx, tenant, owner, &current, |o| decide(o, &fresh)).await?;
    if newly_delivered(&current, &next) {
        super::routing::count_deliveries_tx(tx, &[(tenant, &next)]).await?;
    }
    insert_events(tx, tenant, &events, next.updated_at).await?;
    Ok(Some(next))
}

/// The tracker's next state as `decide` has it, written (the lease `owner` holds released);
/// returns it and the events to emit.
async fn apply_check(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    owner: Option<&str>,
    current: &TrackerRecord,
    decide: impl FnOnce(&TrackerRecord) -> (TrackerRecord, Vec<NewEvent>),
) -> Result<(TrackerRecord, Vec<NewEvent>)> {
    let (next, events) = next_state(current, decide);
    update_checked(tx, owner, &[(tenant, &next)]).await?;
    Ok((next, events))
}

/// What `decide` makes of `current`: a tracker closed while its check was in flight keeps what
/// the check found and is never polled again.
fn next_state(
    current: &TrackerRecord,
    decide: impl FnOnce(&TrackerRecord) -> (TrackerRecord, Vec<NewEvent>),
) -> (TrackerRecord, Vec<NewEvent>) {
    let (mut next, events) = decide(current);
    if current.superseded_by.is_some() {
        next.next_check_at = None;
    }
    (next, events)
}

/// A checked tracker's columns, in `update_checked`'s order after its id and tenant.
const CHECKED: [&str; 15] = [
    "status",
    "sub_status",
    "carrier_status_code",
    "estimated_delivery",
    "signed_by",
    "urgency",
    "failures",
    "last_event_at",
    "last_checked_at",
    "next_check_at",
    "delivered_at",
    "had_exception",
    "stalled_notified",
    "late_notified",
    "updated_at",
];
/// PostgreSQL's types for the id, tenant, lease owner and them (a `VALUES` list's parameters
/// carry none of their own).
const CHECKED_PG_TYPES: [&str; 18] = [
    "text", "text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint",
    "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint",
];
/// Trackers per multi-row update (18 binds each).
const CHECKED_PER_UPDATE: usize = 50;

/// Writes checked trackers' new state, releasing the leases `owner` holds on them: one
/// statement for one tracker, else multi-row updates (one per `CHECKED_PER_UPDATE`; a
/// statement's round trip through the driver costs more than its work).
async fn update_checked(
    tx: &mut sqlx::AnyConnection,
    owner: Option<&str>,
    checked: &[(&TenantId, &TrackerRecord)],
) -> Result<()> {
    let backend = Backend::of(tx);
    for chunk in checked.chunks(CHECKED_PER_UPDATE) {
        let sql = if chunk.len() == 1 {
            "UPDATE trackers SET status = $1, sub_status = $2, carrier_status_code = $3, estimated_delivery = $4, \
             signed_by = $5, urgency = $6, failures = $7, last_event_at = $8, last_checked_at = $9, next_check_at = $10, \
             delivered_at = $11, had_exception = $12, stalled_notified = $13, late_notified = $14, updated_at = $15, \
             lease_owner = CASE WHEN lease_owner = $16 THEN NULL ELSE lease_owner END, \
             lease_until = CASE WHEN lease_owner = $16 THEN NULL ELSE lease_until END \
             WHERE tenant_id = $17 AND id = $18"
                .to_string()
        } else {
            // `WITH v(…) AS (VALUES …) UPDATE … FROM v`: both backends name the rows' columns
            // this way (SQLite takes no column list after a `FROM (VALUES …) AS v`). The lease
            // owner rides in every row, so that SQLite's markers can all be anonymous.
            let width = CHECKED_PG_TYPES.len();
            let rows: Vec<String> = (0..chunk.len())
                .map(|r| match backend {
                    Backend::Sqlite => format!("({})", super::markers(backend, 0, width)),
                    Backend::Postgres => {
                        let marks: Vec<String> = CHECKED_PG_TYPES
                            .iter()
                            .enumerate()
                            .map(|(c, ty)| format!("CAST(${} AS {ty})", 1 + r * width + c))
                            .collect();
                        format!("({})", marks.join(", "))
                    }
                })
                .collect();
            let sets: Vec<String> = CHECKED.iter().map(|c| format!("{c} = v.{c}")).collect();
            format!(
                "WITH v(id, tenant_id, owner, {}) AS (VALUES {}) UPDATE trackers SET {}, \
                 lease_owner = CASE WHEN trackers.lease_owner = v.owner THEN NULL ELSE trackers.lease_owner END, \
                 lease_until = CASE WHEN trackers.lease_owner = v.owner THEN NULL ELSE trackers.lease_until END \
                 FROM v WHERE trackers.id = v.id AND trackers.tenant_id = v.tenant_id",
                CHECKED.join(", "),
                rows.join(", "),
                sets.join(", "),
            )
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == 1);
        for (tenant, next) in chunk {
            if chunk.len() > 1 {
                q = q
                    .bind(next.id.as_str())
                    .bind(tenant.as_str())
                    .bind(owner.unwrap_or(""));
            }
            q = q
                .bind(status_name(next.status))
                .bind(next.sub_status.as_deref())
                .bind(next.carrier_status_code.as_deref())
                .bind(next.estimated_delivery.as_deref())
                .bind(next.signed_by.as_deref())
                .bind(next.urgency)
                .bind(i64::from(next.failures))
                .bind(next.last_event_at.map(millis))
                .bind(next.last_checked_at.map(millis))
                .bind(next.next_check_at.map(millis))
                .bind(next.delivered_at.map(millis))
                .bind(i64::from(next.had_exception))
                .bind(i64::from(next.stalled_notified))
                .bind(i64::from(next.late_notified))
                .bind(millis(next.updated_at));
            if chunk.len() == 1 {
                q = q
                    .bind(owner.unwrap_or(""))
                    .bind(tenant.as_str())
                    .bind(next.id.as_str());
            }
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// A check that found the delivery: the transit history counts it in the transaction that
/// records it (issue 21), once (a later check of a delivered parcel is not a new delivery).
fn newly_delivered(current: &TrackerRecord, next: &TrackerRecord) -> bool {
    next.status == TrackingStatus::Delivered && current.status != TrackingStatus::Delivered
}

pub(super) fn tracker_from_row(r: &AnyRow) -> Result<TrackerRecord> {
    let flag = |c: &str| -> Result<bool> { Ok(r.try_get::<i64, _>(c)? != 0) };
    let time = |c: &str| -> Result<Option<OffsetDateTime>> {
        Ok(r.try_get::<Option<i64>, _>(c)?.map(from_millis))
    };
    let failures: i64 = r.try_get("failures")?;
    Ok(TrackerRecord {
        id: TrackerId::from_db(r.try_get("id")?),
        tracking_number: r.try_get("tracking_number")?,
        carrier: r.try_get("carrier")?,
        carrier_account_id: r
            .try_get::<Option<String>, _>("carrier_account_id")?
            .map(AccountId::from_db),
        shipment_id: r
            .try_get::<Option<String>, _>("shipment_id")?
            .map(ShipmentId::from_db),
        service_class: r.try_get("service_class")?,
        status: parse_status(&r.try_get::<String, _>("status")?),
        sub_status: r.try_get("sub_status")?,
        carrier_status_code: r.try_get("carrier_status_code")?,
        estimated_delivery: r.try_get("estimated_delivery")?,
        promised_date: r.try_get("promised_date")?,
        signed_by: r.try_get("signed_by")?,
        waiting_reason: r.try_get("waiting_reason")?,
        urgency: r.try_get("urgency")?,
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        last_event_at: time("last_event_at")?,
        last_checked_at: time("last_checked_at")?,
        next_check_at: time("next_check_at")?,
        delivered_at: time("delivered_at")?,
        had_exception: flag("had_exception")?,
        stalled_notified: flag("stalled_notified")?,
        late_notified: flag("late_notified")?,
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
        ship_date: r.try_get("ship_date")?,
        superseded_by: r
            .try_get::<Option<String>, _>("superseded_by")?
            .map(TrackerId::from_db),
        network: r.try_get("network")?,
        subscribed_at: time("subscribed_at")?,
        phone: r.try_get("phone")?,
    })
}
