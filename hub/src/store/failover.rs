//! Reaching PostgreSQL through an outage and a primary failover: which errors mean "the
//! database cannot be reached", the readiness check `/readyz` answers from, and libpq's
//! multi-host URLs (`postgres://h1:5432,h2:5432/db?target_session_attrs=read-write`), which
//! sqlx does not parse. Each host becomes a URL of its own; the pool connects to the one
//! chosen, and a watcher moves it to the first host (in the URL's order, as libpq tries them)
//! that accepts the session asked for when the chosen one stops answering or turns read-only.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::{AnyConnection, AnyPool, Connection};

use super::StoreError;

/// Whether a database error says the database cannot be reached right now (down,
/// restarting, shutting down, out of connection slots, or a standby that cannot take
/// writes), rather than something about the statement.
pub fn db_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot
            // connect now (starting, in recovery); 53300: too many connections; 25006: a
            // write on a read-only session (a demoted primary, a standby).
            c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03" | "53300" | "25006")
        }),
        _ => false,
    }
}

/// The session a multi-host URL asks for (`target_session_attrs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetSession {
    /// The first host that answers.
    Any,
    /// The first host whose sessions can write (`read-write`, or `primary`).
    ReadWrite,
}

/// A PostgreSQL URL split into one URL per host, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgHosts {
    pub urls: Vec<String>,
    pub target: TargetSession,
}

impl PgHosts {
    /// Whether the URL needs more than one plain pool connection (several hosts, or a
    /// session check on connect).
    pub fn needs_failover(&self) -> bool {
        self.urls.len() > 1 || self.target == TargetSession::ReadWrite
    }
}

/// Splits `postgres://[userinfo@]h1[:p1],h2[:p2]/db?params` as libpq reads it;
/// `target_session_attrs` is taken out of the query (sqlx would ignore it with a warning).
pub fn split_hosts(url: &str) -> Result<PgHosts, StoreError> {
    let bad = |why: &str| StoreError::Url(format!("{}: {why}", redacted(url)));
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("expected postgres://"))?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hosts) = match authority.rfind('@') {
        Some(at) => (&authority[..=at], &authority[at + 1..]),
        None => ("", authority),
    };
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let mut target = TargetSession::Any;
    let mut kept = vec![];
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        match pair.split_once('=') {
            Some(("target_session_attrs", v)) => {
                target = match v {
                    "any" => TargetSession::Any,
                    "read-write" | "primary" => TargetSession::ReadWrite,
                    other => {
                        return Err(bad(&format!(
                            "target_session_attrs={other} is not supported (use read-write or any)"
                        )));
                    }
                }
            }
            _ if pair.is_empty() => {}
            _ => kept.push(pair),
        }
    }
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    let urls = hosts
        .split(',')
        .map(|host| {
            if host.is_empty() {
                return Err(bad("an empty host in the host list"));
            }
            Ok(format!("{scheme}://{userinfo}{host}{path}{query}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PgHosts { urls, target })
}

/// The URL with its password hidden, for messages.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => match (url.find("://"), url.rfind('@')) {
            // Not a parseable URL (a host list): hide everything between scheme and `@`.
            (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
            _ => url.to_string(),
        },
    }
}

/// The host part of a one-host URL, for logs.
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or("?"),
                u.port().unwrap_or(5432)
            )
        })
        .unwrap_or_else(|| "?".into())
}

/// Whether a session on `conn` is of the kind asked for.
async fn session_fits(
    conn: &mut AnyConnection,
    target: TargetSession,
) -> Result<bool, sqlx::Error> {
    if target == TargetSession::Any {
        return Ok(true);
    }
    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only")
        .fetch_one(&mut *conn)
        .await?;
    Ok(read_only != "on")
}

/// The hosts of a multi-host URL and which of them the pool connects to.
#[derive(Debug)]
pub struct Failover {
    hosts: Vec<AnyConnectOptions>,
    names: Vec<String>,
    target: TargetSession,
    /// How long one probe of one host may take.
    probe_timeout: Duration,
    current: Mutex<usize>,
    /// When the pool last moved to another host: connections made before are closed on
    /// their next acquire (they are on the old host).
    switched_at: Mutex<Option<Instant>>,
    pool: OnceLock<AnyPool>,
    /// One reselection at a time.
    probing: tokio::sync::Mutex<()>,
}

impl Failover {
    pub fn new(hosts: &PgHosts, probe_timeout: Duration) -> Result<Arc<Failover>, StoreError> {
        let opts = hosts
            .urls
            .iter()
            .map(|u| u.parse::<AnyConnectOptions>())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Failover {
            hosts: opts,
            names: hosts.urls.iter().map(|u| host_of(u)).collect(),
            target: hosts.target,
            probe_timeout,
            current: Mutex::new(0),
            switched_at: Mutex::new(None),
            pool: OnceLock::new(),
            probing: tokio::sync::Mutex::new(()),
        }))
    }

    pub fn first(&self) -> AnyConnectOptions {
        self.hosts[0].clone()
    }

    /// Refuses a new connection whose session is not the kind asked for (the chosen host
    /// was demoted), and starts looking for the host that is.
    pub async fn check_session(
        self: &Arc<Self>,
        conn: &mut AnyConnection,
    ) -> Result<(), sqlx::Error> {
        if session_fits(conn, self.target).await? {
            return Ok(());
        }
        let f = self.clone();
        tokio::spawn(async move { f.reselect().await });
        Err(sqlx::Error::Protocol(
            "the database host is read-only (target_session_attrs=read-write)".into(),
        ))
    }

    /// Whether a pooled connection was made before the pool last moved to another host.
    pub fn is_stale(&self, meta: &PoolConnectionMetadata) -> bool {
        self.switched_at
            .lock()
            .expect("failover lock")
            .is_some_and(|at| meta.age > at.elapsed())
    }

    /// Hands the pool over once it exists and starts watching the chosen host.
    pub fn watch(self: &Arc<Self>, pool: AnyPool) {
        let _ = self.pool.set(pool.clone());
        let f = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if pool.is_closed() {
                    return;
                }
                let healthy = tokio::time::timeout(f.probe_timeout, async {
                    let mut conn = pool.acquire().await?;
                    session_fits(&mut conn, f.target).await
                })
                .await;
                if !matches!(healthy, Ok(Ok(true))) {
                    f.reselect().await;
                }
            }
        });
    }

    /// Moves the pool to the first host that gives the session asked for, if any does.
    pub async fn reselect(&self) {
        let Ok(_one) = self.probing.try_lock() else {
            return;
        };
        let Some(pool) = self.pool.get() else {
            return;
        };
        for (i, opts) in self.hosts.iter().enumerate() {
            let fits = tokio::time::timeout(self.probe_timeout, async {
                let mut conn = AnyConnection::connect_with(opts).await?;
                let fits = session_fits(&mut conn, self.target).await;
                let _ = conn.close().await;
                fits
            })
            .await;
            if !matches!(fits, Ok(Ok(true))) {
                continue;
            }
            let mut current = self.current.lock().expect("failover lock");
            if *current != i {
                tracing::warn!(
                    from = %self.names[*current],
                    to = %self.names[i],
                    "database host switched"
                );
                *current = i;
                pool.set_connect_options(opts.clone());
                *self.switched_at.lock().expect("failover lock") = Some(Instant::now());
            }
            return;
        }
        tracing::warn!(hosts = ?self.names, "no database host accepts a session yet");
    }
}

/// The readiness check `/readyz` answers from: one query with a short timeout, its verdict
/// kept briefly so that a balancer's probes (several a second from several balancers) cost
/// one query, not one each.
#[derive(Debug)]
pub struct Readiness {
    timeout: Duration,
    keep: Duration,
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Readiness {
    pub fn new(timeout: Duration) -> Readiness {
        Readiness {
            timeout,
            keep: Duration::from_millis(500),
            last: tokio::sync::Mutex::new(None),
        }
    }

    pub async fn check(&self, pool: &AnyPool) -> Result<(), String> {
        // Callers arriving during a check wait for its verdict instead of checking again.
        let mut last = self.last.lock().await;
        if let Some((at, verdict)) = &*last
            && at.elapsed() < self.keep
        {
            return verdict.clone();
        }
        let verdict =
            match tokio::time::timeout(self.timeout, sqlx::query("SELECT 1").execute(pool)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("database unavailable: {e}")),
                Err(_) => Err(format!(
                    "database unavailable: no answer within {} ms",
                    self.timeout.as_millis()
                )),
            };
        *last = Some((Instant::now(), verdict.clone()));
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_list_becomes_one_url_per_host_in_order() {
        let h = split_hosts(
            "postgres://app:s%40cret@db1:5432,db2:5433,[::1]:5434/hub?sslmode=disable&target_session_attrs=read-write",
        )
        .unwrap();
        assert_eq!(h.target, TargetSession::ReadWrite);
        assert_eq!(
            h.urls,
            [
                "postgres://app:s%40cret@db1:5432/hub?sslmode=disable",
                "postgres://app:s%40cret@db2:5433/hub?sslmode=disable",
                "postgres://app:s%40cret@[::1]:5434/hub?sslmode=disable",
            ]
        );
        assert!(h.needs_failover());
    }

    #[test]
    fn one_host_without_session_attrs_is_left_alone() {
        let h = split_hosts("postgresql://postgres@127.0.0.1:5432/test").unwrap();
        assert_eq!(h.urls, ["postgresql://postgres@127.0.0.1:5432/test"]);
        assert_eq!(h.target, TargetSession::Any);
        assert!(!h.needs_failover());
        let any = split_hosts("postgres://a,b/db?target_session_attrs=any").unwrap();
        assert_eq!(any.urls, ["postgres://a/db", "postgres://b/db"]);
        assert_eq!(any.target, TargetSession::Any);
    }

    #[test]
    fn unsupported_session_attrs_and_empty_hosts_are_refused() {
        let e = split_hosts("postgres://u:pw@a,b/db?target_session_attrs=standby").unwrap_err();
        assert!(e.to_string().contains("standby"), "{e}");
        assert!(!e.to_string().contains("pw"), "{e}");
        assert!(split_hosts("postgres://a,,b/db").is_err());
    }
}
