//! New trackers of concurrent requests inserted together (SQLite). `POST /v1/trackers` is a
//! short write: alone, each paid a savepoint, an insert and a release on the single writer,
//! every statement a round trip through the driver's SQLite thread, which costs far more than
//! the insert itself (BENCHMARKS.md, new trackers). Requests that arrive while a batch is being
//! written queue, and the next batch takes them all in one multi-row insert inside one
//! group-commit member. The answer is the same as alone: the new tracker, or the open one of
//! the same number; a request's `Idempotency-Key` completes in the same transaction, only when
//! its tracker was created.

use std::sync::Mutex;

use tokio::sync::oneshot;

use super::trackers::{COLUMNS, INSERT_BINDS, INSERT_COLUMNS, bind_insert, tracker_from_row};
use super::{IdemCompletion, Result, Store, StoreError, TrackerRecord};
use crate::ids::TenantId;

/// Trackers per multi-row insert (18 binds each).
const PER_INSERT: usize = 32;

type Answer = Result<(TrackerRecord, bool)>;

struct Pending {
    tenant: TenantId,
    tracker: TrackerRecord,
    idem: Option<IdemCompletion>,
    done: oneshot::Sender<Answer>,
}

#[derive(Default)]
struct Queue {
    items: Vec<Pending>,
    /// A task is writing batches: it takes what is queued before it stops.
    draining: bool,
}

#[derive(Default)]
pub(crate) struct TrackerBatch {
    queue: Mutex<Queue>,
}

impl std::fmt::Debug for TrackerBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrackerBatch")
    }
}

impl Store {
    /// `insert_tracker` through the batch: queued, and written by the task draining the queue
    /// (started by the first request that finds none running). The task runs on its own, so a
    /// request dropped half-way cannot strand the others.
    pub(super) async fn insert_tracker_batched(
        &self,
        batch: &TrackerBatch,
        tenant: &TenantId,
        t: &TrackerRecord,
        idem: Option<&IdemCompletion>,
    ) -> Answer {
        let (done, answer) = oneshot::channel();
        let lead = {
            let mut q = batch.queue.lock().expect("tracker queue");
            q.items.push(Pending {
                tenant: tenant.clone(),
                tracker: t.clone(),
                idem: idem.cloned(),
                done,
            });
            !std::mem::replace(&mut q.draining, true)
        };
        if lead {
            let store = self.clone();
            tokio::spawn(async move { store.drain_trackers().await });
        }
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::Group("the tracker batch was abandoned".into())))
    }

    async fn drain_trackers(&self) {
        let Some(batch) = self.trackers.clone() else {
            return;
        };
        loop {
            let items: Vec<Pending> = {
                let mut q = batch.queue.lock().expect("tracker queue");
                if q.items.is_empty() {
                    q.draining = false;
                    return;
                }
                let n = q.items.len().min(PER_INSERT);
                q.items.drain(..n).collect()
            };
            match self.insert_trackers_together(&items).await {
                Ok(answers) => {
                    for (p, a) in items.into_iter().zip(answers) {
                        let _ = p.done.send(Ok(a));
                    }
                }
                // One request's failure (its key taken over meanwhile) undoes the batch: each
                // is written alone then, so only that one fails.
                Err(_) => {
                    for p in items {
                        let a = self
                            .insert_tracker_alone(&p.tenant, &p.tracker, p.idem.as_ref())
                            .await;
                        let _ = p.done.send(a);
                    }
                }
            }
        }
    }

    /// One member: the batch's trackers in one insert; each one the insert skipped (its number
    /// already followed, by an older tracker or by one earlier in the batch) answered with the
    /// open tracker; the keys of the created ones completed.
    async fn insert_trackers_together(
        &self,
        items: &[Pending],
    ) -> Result<Vec<(TrackerRecord, bool)>> {
        let mut tx = self.begin_grouped().await?;
        let rows: Vec<String> = (0..items.len())
            .map(|r| {
                format!(
                    "({})",
                    super::markers(self.backend, 1 + r * INSERT_BINDS, INSERT_BINDS)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO trackers ({INSERT_COLUMNS}) VALUES {} ON CONFLICT DO NOTHING RETURNING {COLUMNS}",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in items {
            q = bind_insert(q, &p.tenant, &p.tracker);
        }
        let mut created = std::collections::HashMap::new();
        for row in q.fetch_all(&mut *tx).await? {
            let t = tracker_from_row(&row)?;
            created.insert(t.id.clone(), t);
        }
        let mut out = Vec::with_capacity(items.len());
        for p in items {
            match created.remove(&p.tracker.id) {
                Some(t) => {
                    if let Some(c) = &p.idem {
                        super::complete_idem(&mut tx, &p.tenant, c).await?;
                    }
                    out.push((t, true));
                }
                None => {
                    let row =
                        super::trackers::open_tracker_row(&mut tx, &p.tenant, &p.tracker).await?;
                    out.push((tracker_from_row(&row)?, false));
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}
