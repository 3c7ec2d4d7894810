//! What operators page on, counted for the gauge sampler (`crate::gauges`). Each query reads
//! one partial or leading index (`webhook_deliveries_due`, `print_jobs_expiry`,
//! `trackers_due`, `idempotency_keys_started`), so a sample stays cheap however much history
//! the tables hold.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Result, Store, millis};

/// One sample of the store's operator gauges.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GaugeSample {
    /// Webhook deliveries still to be made (pending, due or not, in flight included).
    pub webhook_backlog: i64,
    /// How long the oldest due webhook delivery has been waiting, in seconds (0 when none).
    pub webhook_oldest_due_seconds: f64,
    /// Queued print jobs per station id.
    pub print_queue: Vec<(String, i64)>,
    /// Stations whose printer reports `offline` or whose agent has not been heard from.
    pub stations_offline: i64,
    /// Trackers due for a check for longer than the grace, per (carrier, carrier account).
    pub trackers_overdue: Vec<(String, String, i64)>,
    /// Idempotency keys claimed by a request still running (or by a process that died).
    pub idempotency_in_flight: i64,
}

/// Thresholds of a sample.
#[derive(Clone, Copy, Debug)]
pub struct GaugeLimits {
    /// A station silent this long is offline.
    pub station_offline_after: std::time::Duration,
    /// A tracker due this long ago and not checked is overdue.
    pub tracker_overdue_after: std::time::Duration,
}

impl Store {
    /// Counts what operators page on, across all tenants.
    pub async fn sample_gauges(
        &self,
        now: OffsetDateTime,
        limits: GaugeLimits,
    ) -> Result<GaugeSample> {
        let now_ms = millis(now);
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(CASE WHEN next_attempt_at <= $1 THEN next_attempt_at END) AS oldest \
             FROM webhook_deliveries WHERE status = 'pending'",
        )
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?;
        let webhook_backlog: i64 = row.try_get("n")?;
        let oldest: Option<i64> = row.try_get("oldest")?;
        let webhook_oldest_due_seconds =
            oldest.map_or(0.0, |t| (now_ms - t).max(0) as f64 / 1000.0);

        let print_queue = sqlx::query(
            "SELECT station_id, COUNT(*) AS n FROM print_jobs WHERE status = 'queued' \
             GROUP BY station_id ORDER BY station_id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("station_id")?, r.try_get("n")?)))
        .collect::<Result<Vec<(String, i64)>>>()?;

        let silent_since = millis(now - limits.station_offline_after);
        let stations_offline: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM print_stations \
             WHERE printer_state = 'offline' OR last_seen_at IS NULL OR last_seen_at < $1",
        )
        .bind(silent_since)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;

        let due_before = millis(now - limits.tracker_overdue_after);
        let trackers_overdue = sqlx::query(
            "SELECT carrier, COALESCE(carrier_account_id, '') AS account, COUNT(*) AS n FROM trackers \
             WHERE next_check_at < $1 GROUP BY carrier, carrier_account_id ORDER BY carrier, account",
        )
        .bind(due_before)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("carrier")?, r.try_get("account")?, r.try_get("n")?)))
        .collect::<Result<Vec<(String, String, i64)>>>()?;

        let idempotency_in_flight: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM idempotency_keys WHERE state = 'started'")
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;

        Ok(GaugeSample {
            webhook_backlog,
            webhook_oldest_due_seconds,
            print_queue,
            stations_offline,
            trackers_overdue,
            idempotency_in_flight,
        })
    }

    /// Connections of the store's pools: (pool, open, idle). On SQLite the writer is a pool
    /// of its own (one connection); on PostgreSQL reads and writes share one.
    pub fn pool_use(&self) -> Vec<(&'static str, u32, u32)> {
        let mut out = vec![("main", self.pool.size(), self.pool.num_idle() as u32)];
        if self.backend == super::Backend::Sqlite {
            out.push(("writer", self.writer.size(), self.writer.num_idle() as u32));
        }
        out
    }
}
