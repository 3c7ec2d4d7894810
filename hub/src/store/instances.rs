//! The instance registry: each `serve` process heartbeats its row; a row whose heartbeat is
//! older than the dead-after interval is a dead instance, and whoever reaps it releases every
//! claim it held in the same transaction that deletes the row. Of several reapers only the
//! one whose `DELETE` took the row releases anything (on PostgreSQL the others wait for its
//! row lock and then find nothing), and every release is conditional on the dead owner, so a
//! second run changes nothing.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Result, Store, millis};

/// What a dead instance held, by kind, as released by its reaper.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Released {
    pub trackers: u64,
    pub webhook_deliveries: u64,
    pub idempotency_keys: u64,
    pub pulls: u64,
    pub batches: u64,
    pub print_jobs: u64,
    /// The event stream relay's lease (0 or 1): free at once instead of when it runs out.
    pub stream_relay: u64,
}

impl Released {
    pub fn total(&self) -> u64 {
        self.trackers
            + self.webhook_deliveries
            + self.idempotency_keys
            + self.pulls
            + self.batches
            + self.print_jobs
            + self.stream_relay
    }
}

/// A dead instance, reaped: its id, when it last heartbeat, and what was released.
#[derive(Clone, Debug)]
pub struct Reaped {
    pub instance: String,
    pub seen_at: OffsetDateTime,
    pub released: Released,
}

/// What a heartbeat learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beat {
    /// Live instances (heartbeat within dead-after), this one included.
    pub live: u32,
    /// This instance had no row: it is new, or it was declared dead and its claims released.
    pub registered: bool,
}

impl Store {
    /// Records that `instance` is alive at `now`, and counts the instances seen within
    /// `dead_after`.
    pub async fn instance_heartbeat(
        &self,
        instance: &str,
        now: OffsetDateTime,
        dead_after: std::time::Duration,
    ) -> Result<Beat> {
        let updated = sqlx::query("UPDATE instances SET seen_at = $1 WHERE id = $2")
            .bind(millis(now))
            .bind(instance)
            .execute(&self.writer)
            .await?
            .rows_affected();
        let registered = updated == 0;
        if registered {
            sqlx::query(
                "INSERT INTO instances (id, started_at, seen_at) VALUES ($1, $2, $2) \
                 ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
            )
            .bind(instance)
            .bind(millis(now))
            .execute(&self.writer)
            .await?;
        }
        let row = sqlx::query("SELECT COUNT(*) AS n FROM instances WHERE seen_at >= $1")
            .bind(millis(now - dead_after))
            .fetch_one(&self.writer)
            .await?;
        let n: i64 = row.try_get("n")?;
        Ok(Beat {
            live: u32::try_from(n).unwrap_or(1).max(1),
            registered,
        })
    }

    /// Live instances (heartbeat within `dead_after` of `now`).
    pub async fn live_instances(
        &self,
        now: OffsetDateTime,
        dead_after: std::time::Duration,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM instances WHERE seen_at >= $1 ORDER BY id")
            .bind(millis(now - dead_after))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Declares every instance whose heartbeat is older than `dead_after` dead, releases its
    /// claims of every kind (due at `now`) and removes it. Returns the ones this call reaped.
    pub async fn reap_instances(
        &self,
        now: OffsetDateTime,
        dead_after: std::time::Duration,
    ) -> Result<Vec<Reaped>> {
        let cutoff = millis(now - dead_after);
        let rows = sqlx::query("SELECT id FROM instances WHERE seen_at < $1 ORDER BY id")
            .bind(cutoff)
            .fetch_all(&self.pool)
            .await?;
        let mut reaped = vec![];
        for r in &rows {
            let id: String = r.try_get("id")?;
            if let Some(one) = self.reap(&id, cutoff, now).await? {
                reaped.push(one);
            }
        }
        Ok(reaped)
    }

    /// Reaps `id` if it is still dead (seen before `cutoff`): one transaction.
    async fn reap(&self, id: &str, cutoff: i64, now: OffsetDateTime) -> Result<Option<Reaped>> {
        let mut tx = self.begin().await?;
        // The row goes first: it is the lock that makes one reaper of many act, and a
        // heartbeat racing it either lands before (the instance is alive: nothing happens) or
        // finds no row and registers anew (it learns it was declared dead).
        let Some(row) =
            sqlx::query("DELETE FROM instances WHERE id = $1 AND seen_at < $2 RETURNING seen_at")
                .bind(id)
                .bind(cutoff)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(None);
        };
        let seen_at = super::from_millis(row.try_get("seen_at")?);
        let now = millis(now);
        // `$1` is the dead instance; `$2`, where a statement has it, now.
        let mut run = async |sql: &str| -> Result<u64> {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(id);
            if sql.contains("$2") {
                q = q.bind(now);
            }
            Ok(q.execute(&mut *tx).await?.rows_affected())
        };
        // Each release makes the work claimable at once by the loops that already take over
        // expired leases; the dead owner's late writes fail their owner checks.
        let released = Released {
            trackers: run("UPDATE trackers SET lease_owner = NULL, lease_until = NULL \
                 WHERE lease_owner = $1")
            .await?,
            webhook_deliveries: run(
                "UPDATE webhook_deliveries SET next_attempt_at = $2, lease_token = NULL, lease_owner = NULL \
                 WHERE lease_owner = $1 AND lease_token IS NOT NULL AND status = 'pending'",
            )
            .await?,
            idempotency_keys: run("UPDATE idempotency_keys SET lease_until = 0 \
                 WHERE owner = $1 AND state = 'started'")
            .await?,
            pulls: run("UPDATE reconciliations SET pull_lease_until = 0 \
                 WHERE pull_owner = $1 AND status = 'pulling'")
            .await?,
            batches: run("UPDATE batches SET owner = NULL \
                 WHERE owner = $1 AND status = 'running'")
            .await?,
            print_jobs: run("UPDATE print_jobs SET delivered_at = 0, delivered_by = NULL \
                 WHERE delivered_by = $1 AND status = 'delivered'")
            .await?,
            stream_relay: run("UPDATE stream_relay SET owner = NULL, lease_until = 0 WHERE owner = $1")
                .await?,
        };
        tx.commit().await?;
        Ok(Some(Reaped {
            instance: id.to_string(),
            seen_at,
            released,
        }))
    }
}
