//! Group commit on SQLite's single writer connection.
//!
//! Each short write transaction (a purchase, a tracker) is a *member*: it runs inside a
//! `SAVEPOINT` of one SQLite transaction that several members share, and its commit returns
//! once that transaction's `COMMIT` has. A member that fails or is dropped is rolled back to
//! its savepoint, so the others keep their writes. SQLite's cost per commit (the WAL frames of
//! every page touched, the locks, the statement pair) is then paid once per group instead of
//! once per member. Members run one after another on the connection, as before; a member that
//! releases its savepoint while another is queued hands the open transaction on, and the last
//! in line (or the `MAX_MEMBERS`th) commits for all. Only store functions whose transaction
//! awaits nothing but its own statements may be members: a member's commit waits for the
//! members after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::{Result, StoreError};

/// Enough to amortise the commit; few enough that one group's latency stays a few ms.
const MAX_MEMBERS: usize = 64;
/// A member that handed its commit on checks after this long that somebody did commit (the
/// member it handed to may have been dropped before it reached the connection).
const HANDOFF_CHECK: Duration = Duration::from_millis(50);

type Outcome = Option<Result<(), Arc<str>>>;

#[derive(Debug, Default)]
struct Open {
    /// The writer connection, out of its pool while a group's transaction is open.
    conn: Option<PoolConnection<Any>>,
    /// Tells this group's members how its `COMMIT` ended.
    outcome: Option<watch::Sender<Outcome>>,
    /// Which group is open (a handed-off member's check compares it).
    id: u64,
    /// Members whose savepoint was released into the open transaction.
    members: usize,
    /// A member holds (or dropped without settling) the savepoint.
    savepoint: bool,
}

#[derive(Debug)]
pub(crate) struct Group {
    writer: AnyPool,
    open: Arc<Mutex<Open>>,
    queued: AtomicUsize,
    next_id: AtomicU64,
    /// Committed groups and their members (tests and the bench's statement counts).
    pub(crate) commits: AtomicU64,
    pub(crate) committed_members: AtomicU64,
}

/// A member's transaction: derefs to the writer connection, inside the member's savepoint.
pub(crate) struct Member {
    group: Arc<Group>,
    open: Option<OwnedMutexGuard<Open>>,
    outcome: watch::Receiver<Outcome>,
    id: u64,
}

impl std::ops::Deref for Member {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        self.open
            .as_ref()
            .and_then(|o| o.conn.as_deref())
            .expect("a member holds the open connection until it settles")
    }
}

impl std::ops::DerefMut for Member {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.open
            .as_mut()
            .and_then(|o| o.conn.as_deref_mut())
            .expect("a member holds the open connection until it settles")
    }
}

/// The group's own statements, prepared once per connection (sqlx's statement cache).
async fn run(conn: &mut AnyConnection, sql: &'static str) -> Result<()> {
    sqlx::query(sql).execute(conn).await?;
    Ok(())
}

fn failed(e: &StoreError) -> Arc<str> {
    Arc::from(e.to_string())
}

impl Group {
    pub(crate) fn new(writer: AnyPool) -> Arc<Group> {
        Arc::new(Group {
            writer,
            open: Arc::default(),
            queued: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            commits: AtomicU64::new(0),
            committed_members: AtomicU64::new(0),
        })
    }

    /// Joins the open transaction (or opens one) and starts the member's savepoint. Runs on a
    /// task of its own: a caller dropped half-way would leave the connection's state unknown.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<Member> {
        let group = self.clone();
        crate::outliving_caller(async move {
            group.queued.fetch_add(1, Ordering::SeqCst);
            let mut open = group.open.clone().lock_owned().await;
            group.queued.fetch_sub(1, Ordering::SeqCst);
            group.settle_dropped(&mut open).await;
            if open.conn.is_none() {
                let mut conn = group.writer.acquire().await?;
                run(&mut conn, "BEGIN IMMEDIATE").await?;
                open.conn = Some(conn);
                open.outcome = Some(watch::channel(None).0);
                open.id = group.next_id.fetch_add(1, Ordering::Relaxed);
                open.members = 0;
            }
            if let Err(e) = run(open.conn.as_deref_mut().expect("open"), "SAVEPOINT member").await {
                group.fail(&mut open, failed(&e)).await;
                return Err(e);
            }
            open.savepoint = true;
            let outcome = open.outcome.as_ref().expect("open").subscribe();
            let id = open.id;
            Ok(Member {
                group,
                open: Some(open),
                outcome,
                id,
            })
        })
        .await
        .unwrap_or(Err(StoreError::Db(sqlx::Error::PoolClosed)))
    }

    /// A member that was dropped holding its savepoint: undo its writes only. When that fails
    /// SQLite has rolled the whole transaction back (a full disk, an I/O error): the group
    /// fails.
    async fn settle_dropped(&self, open: &mut Open) {
        if !open.savepoint {
            return;
        }
        open.savepoint = false;
        let conn = open
            .conn
            .as_deref_mut()
            .expect("a savepoint is in an open group");
        let undone = match run(conn, "ROLLBACK TO member").await {
            Ok(()) => run(conn, "RELEASE member").await,
            Err(e) => Err(e),
        };
        if let Err(e) = undone {
            self.fail(open, failed(&e)).await;
        }
    }

    /// Ends the open transaction without keeping anything and tells its members.
    async fn fail(&self, open: &mut Open, why: Arc<str>) {
        if let Some(mut conn) = open.conn.take() {
            // Nothing to keep; when SQLite already rolled back this fails, harmlessly.
            let _ = run(&mut conn, "ROLLBACK").await;
        }
        if let Some(tx) = open.outcome.take() {
            tx.send_replace(Some(Err(why)));
        }
        open.savepoint = false;
        open.members = 0;
    }

    async fn commit_open(&self, open: &mut Open) {
        let Some(mut conn) = open.conn.take() else {
            return;
        };
        let result = run(&mut conn, "COMMIT").await;
        if result.is_err() {
            let _ = run(&mut conn, "ROLLBACK").await;
        }
        drop(conn);
        if result.is_ok() {
            self.commits.fetch_add(1, Ordering::Relaxed);
            self.committed_members
                .fetch_add(open.members as u64, Ordering::Relaxed);
        }
        if let Some(tx) = open.outcome.take() {
            tx.send_replace(Some(result.map_err(|e| failed(&e))));
        }
        open.members = 0;
    }

    /// Commits group `id` if it is still open and nobody holds it (a handed-off member found
    /// that its successor never came).
    async fn flush(&self, id: u64) {
        let mut open = self.open.lock().await;
        self.settle_dropped(&mut open).await;
        if open.conn.is_some() && open.id == id {
            self.commit_open(&mut open).await;
        }
    }
}

impl Member {
    /// Keeps the member's writes: returns once the transaction holding them has committed.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let open = self.open.take().expect("a member settles once");
        let group = self.group.clone();
        let mut outcome = self.outcome.clone();
        let id = self.id;
        // Released and handed on (or committed) on a task of its own, so that a caller
        // dropped now cannot strand the members before it.
        tokio::spawn(async move {
            let mut open = open;
            open.savepoint = false;
            let conn = open
                .conn
                .as_deref_mut()
                .expect("a member holds the open connection");
            if let Err(e) = run(conn, "RELEASE member").await {
                group.fail(&mut open, failed(&e)).await;
                return;
            }
            open.members += 1;
            if group.queued.load(Ordering::SeqCst) == 0 || open.members >= MAX_MEMBERS {
                group.commit_open(&mut open).await;
            }
        });
        loop {
            let waited = tokio::time::timeout(HANDOFF_CHECK, outcome.wait_for(Option::is_some))
                .await
                .map(|r| r.map(|v| v.clone().expect("waited for")));
            match waited {
                Ok(Ok(v)) => return v.map_err(|e| StoreError::Group(e.to_string())),
                Ok(Err(_)) => return Err(StoreError::Group("the group was abandoned".into())),
                Err(_) => {
                    let group = self.group.clone();
                    let _ = tokio::spawn(async move { group.flush(id).await }).await;
                }
            }
        }
    }

    /// Undoes the member's writes (the others' stay).
    pub(crate) async fn rollback(mut self) -> Result<()> {
        if let Some(open) = self.open.take() {
            let group = self.group.clone();
            let _ = tokio::spawn(async move { group.abandon(open).await }).await;
        }
        Ok(())
    }
}

impl Group {
    /// After a member rolled back or was dropped: its savepoint undone, the group committed
    /// when nobody else is coming (its earlier members are waiting for that).
    async fn abandon(&self, mut open: OwnedMutexGuard<Open>) {
        self.settle_dropped(&mut open).await;
        if open.conn.is_some() && self.queued.load(Ordering::SeqCst) == 0 {
            self.commit_open(&mut open).await;
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    let group = self.group.clone();
                    rt.spawn(async move { group.abandon(open).await });
                }
                // The next member to take the connection undoes the savepoint.
                Err(_) => drop(open),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use sqlx::Row;

    use crate::store::{Store, WriteTx};

    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/g.db?mode=rwc", dir.path().display());
        let store = Store::connect(&url).await.unwrap();
        store
            .execute_raw("CREATE TABLE t (v TEXT PRIMARY KEY)")
            .await
            .unwrap();
        (store, dir)
    }

    async fn insert(tx: &mut WriteTx, v: &str) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO t (v) VALUES ($1)")
            .bind(v.to_string())
            .execute(&mut **tx)
            .await
            .map(|_| ())
    }

    /// Through a reader connection: what is committed, in order.
    async fn committed(store: &Store) -> Vec<String> {
        sqlx::query("SELECT v FROM t ORDER BY rowid")
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("v"))
            .collect()
    }

    /// Waits until `n` members are queued behind the connection.
    async fn queued(store: &Store, n: usize) {
        let g = store.group.as_ref().unwrap();
        while g.queued.load(Ordering::SeqCst) < n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_member_keeps_the_others_writes_and_they_commit_together() {
        let (store, _dir) = store().await;
        let mut a = store.begin_grouped().await.unwrap();
        insert(&mut a, "a").await.unwrap();
        let s = store.clone();
        let failing = tokio::spawn(async move {
            let mut b = s.begin_grouped().await.unwrap();
            insert(&mut b, "b").await.unwrap();
            // A duplicate key: the member's statement fails and the member is dropped.
            assert!(insert(&mut b, "a").await.is_err());
        });
        queued(&store, 1).await;
        let s = store.clone();
        let c = tokio::spawn(async move {
            let mut c = s.begin_grouped().await.unwrap();
            insert(&mut c, "c").await.unwrap();
            c.commit().await
        });
        queued(&store, 2).await;
        // `a` hands the open transaction on: nothing is visible until the group commits.
        let a = tokio::spawn(a.commit());
        failing.await.unwrap();
        c.await.unwrap().unwrap();
        a.await.unwrap().unwrap();
        assert_eq!(committed(&store).await, ["a", "c"]);
        // One COMMIT for both kept members.
        assert_eq!(store.group_commits(), (1, 2));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_member_commit_returns_only_once_its_group_committed() {
        let (store, _dir) = store().await;
        let mut a = store.begin_grouped().await.unwrap();
        insert(&mut a, "a").await.unwrap();
        let s = store.clone();
        let (started, mut go) = tokio::sync::oneshot::channel::<()>();
        let (hold, release) = tokio::sync::oneshot::channel::<()>();
        let b = tokio::spawn(async move {
            let mut b = s.begin_grouped().await.unwrap();
            insert(&mut b, "b").await.unwrap();
            started.send(()).unwrap();
            release.await.unwrap();
            b.commit().await
        });
        queued(&store, 1).await;
        let a = tokio::spawn(a.commit());
        (&mut go).await.unwrap();
        // `a` released its savepoint into the group `b` holds: not committed, not answered.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!a.is_finished());
        assert!(committed(&store).await.is_empty());
        hold.send(()).unwrap();
        b.await.unwrap().unwrap();
        a.await.unwrap().unwrap();
        assert_eq!(committed(&store).await, ["a", "b"]);
        assert_eq!(store.group_commits(), (1, 2));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn when_sqlite_rolls_the_transaction_back_every_member_fails() {
        let (store, _dir) = store().await;
        let mut a = store.begin_grouped().await.unwrap();
        insert(&mut a, "a").await.unwrap();
        let s = store.clone();
        let b = tokio::spawn(async move {
            let mut b = s.begin_grouped().await.unwrap();
            insert(&mut b, "b").await.unwrap();
            // What SQLite does itself on a full disk or an I/O error.
            sqlx::raw_sql("ROLLBACK").execute(&mut *b).await.unwrap();
        });
        queued(&store, 1).await;
        let a = a.commit().await;
        b.await.unwrap();
        assert!(a.is_err(), "{a:?}");
        assert!(committed(&store).await.is_empty());
        // The next member starts a fresh group.
        let mut c = store.begin_grouped().await.unwrap();
        insert(&mut c, "c").await.unwrap();
        c.commit().await.unwrap();
        assert_eq!(committed(&store).await, ["c"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_member_alone_commits_at_once_and_a_dropped_one_leaves_nothing() {
        let (store, _dir) = store().await;
        let mut a = store.begin_grouped().await.unwrap();
        insert(&mut a, "a").await.unwrap();
        a.commit().await.unwrap();
        assert_eq!(committed(&store).await, ["a"]);
        let mut b = store.begin_grouped().await.unwrap();
        insert(&mut b, "b").await.unwrap();
        drop(b);
        // The writer is free again: a plain transaction gets it.
        let mut c = store.begin().await.unwrap();
        insert(&mut c, "c").await.unwrap();
        c.commit().await.unwrap();
        assert_eq!(committed(&store).await, ["a", "c"]);
    }
}
