//! The HTTP server loop: accepts connections up to a limit, serves each with hyper (HTTP/1.1,
//! and HTTP/2 with prior knowledge) under a header-read and an idle timeout, and shuts down in
//! phases: on the signal the caller is told at once (`/readyz` turns 503), the listener keeps
//! accepting for a drain window, then every connection is asked to close (idle ones at once,
//! busy ones after their current answer) and whatever is left at the shutdown deadline is
//! dropped.
//!
//! `axum::serve` has none of this: no header or idle timeout, no connection limit, and its
//! graceful shutdown waits for ever on one stalled client.

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Connection-level limits and the shutdown timing (`shiphub serve` flags).
#[derive(Clone, Copy, Debug)]
pub struct ServerSettings {
    /// A request head must arrive complete within this, counted from its first byte (from the
    /// accept for a connection's first request).
    pub header_timeout: Duration,
    /// A keep-alive connection with no request for this long is closed.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// After the signal, how long the listener still accepts (load balancers need a moment to
    /// stop sending).
    pub drain: Duration,
    /// After the drain, how long in-flight requests have to finish before they are dropped.
    pub shutdown_timeout: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            max_connections: 10_000,
            drain: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(20),
        }
    }
}

/// What the loop tells its caller about the shutdown phases.
pub trait Phases: Send + 'static {
    /// The signal arrived: stop looking ready.
    fn draining(&mut self);
    /// The drain window is over: background work and long polls should end.
    fn closing(&mut self);
}

/// Serves `app` on `listener` until `signal` resolves, then drains and closes (see the module
/// docs). Returns once every connection has closed or the shutdown deadline has passed.
pub async fn run(
    listener: TcpListener,
    app: Router,
    settings: ServerSettings,
    signal: impl Future<Output = ()>,
    mut phases: impl Phases,
) {
    let slots = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let (close_tx, close_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    {
        let mut stop_accepting = pin!(async {
            signal.await;
            tracing::info!(drain = ?settings.drain, "shutting down: draining");
            phases.draining();
            tokio::time::sleep(settings.drain).await;
        });
        loop {
            let permit = tokio::select! {
                _ = &mut stop_accepting => break,
                p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            };
            let (stream, peer) = tokio::select! {
                _ = &mut stop_accepting => break,
                r = listener.accept() => match r {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let (app, close) = (app.clone(), close_rx.clone());
            conns.spawn(async move {
                serve_connection(stream, app, settings, close).await;
                tracing::debug!(%peer, "connection closed");
                drop(permit);
            });
            while conns.try_join_next().is_some() {}
        }
    }
    drop(listener);
    phases.closing();
    close_tx.send_replace(true);
    let open = conns.len();
    let all_closed = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(settings.shutdown_timeout, all_closed)
        .await
        .is_err()
    {
        tracing::warn!(
            left = conns.len(),
            "shutdown deadline passed: dropping the connections still open"
        );
        conns.abort_all();
    } else {
        tracing::info!(open, "all connections closed");
    }
}

/// What a connection is doing, for the header and idle timeouts.
struct Activity {
    /// Requests whose handler has not answered yet.
    in_flight: usize,
    /// When the connection last became idle: accepted, or an answer finished.
    idle_since: Instant,
    /// First byte read since then: a request head is on its way.
    head_started: Option<Instant>,
    /// Whether a request was served on this connection already (the first request's header
    /// timeout counts from the accept, like Go's and hyper's).
    served: bool,
}

#[derive(Clone)]
struct Tracker(Arc<Mutex<Activity>>);

impl Tracker {
    fn new() -> Self {
        Tracker(Arc::new(Mutex::new(Activity {
            in_flight: 0,
            idle_since: Instant::now(),
            head_started: None,
            served: false,
        })))
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, Activity> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn read_bytes(&self) {
        let mut a = self.lock();
        if a.in_flight == 0 && a.head_started.is_none() {
            a.head_started = Some(Instant::now());
        }
    }
    fn wrote_bytes(&self) {
        // Writing an answer is activity: a long download is not an idle connection.
        let mut a = self.lock();
        if a.in_flight == 0 {
            a.idle_since = Instant::now();
        }
    }
    fn begin(&self) -> InFlight {
        let mut a = self.lock();
        a.in_flight += 1;
        a.head_started = None;
        a.served = true;
        InFlight(self.clone())
    }
    fn idle(&self) -> bool {
        self.lock().in_flight == 0
    }
    /// Why the connection should be closed now, if it should.
    fn expired(&self, s: &ServerSettings) -> Option<&'static str> {
        let a = self.lock();
        if a.in_flight > 0 {
            return None;
        }
        let now = Instant::now();
        match (a.served, a.head_started) {
            (false, _) if now - a.idle_since > s.header_timeout => Some("header timeout"),
            (true, Some(t)) if now - t > s.header_timeout => Some("header timeout"),
            (true, None) if now - a.idle_since > s.idle_timeout => Some("idle timeout"),
            _ => None,
        }
    }
}

/// A request being handled; dropped when its handler answered (or was cancelled).
struct InFlight(Tracker);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut a = self.0.lock();
        a.in_flight -= 1;
        if a.in_flight == 0 {
            a.idle_since = Instant::now();
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    settings: ServerSettings,
    mut close: watch::Receiver<bool>,
) {
    metrics::gauge!("shiphub_http_connections").increment(1.0);
    let tracker = Tracker::new();
    let io = TokioIo::new(Watched {
        inner: stream,
        tracker: tracker.clone(),
    });
    let service = {
        let tracker = tracker.clone();
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let in_flight = tracker.begin();
            let mut app = app.clone();
            async move {
                let res = tower::Service::call(&mut app, req.map(axum::body::Body::new)).await;
                drop(in_flight);
                res
            }
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Header and idle timeouts are kept by the watchdog below: hyper's own header timeout also
    // runs while a keep-alive connection idles, so it cannot tell the two apart.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection_with_upgrades(io, service);
    let mut conn = pin!(conn);
    let tick = (settings.header_timeout.min(settings.idle_timeout) / 4)
        .clamp(Duration::from_millis(20), Duration::from_millis(500));
    let mut watchdog = tokio::time::interval(tick);
    watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut closing = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = close.changed(), if !closing => {
                closing = true;
                if tracker.idle() {
                    break;
                }
                // Finish the request in flight, answer it with `Connection: close`, then close.
                conn.as_mut().graceful_shutdown();
            }
            _ = watchdog.tick() => {
                if let Some(why) = tracker.expired(&settings) {
                    tracing::debug!(why, "closing connection");
                    metrics::counter!("shiphub_http_connections_timed_out_total", "why" => why)
                        .increment(1);
                    break;
                }
            }
        }
    }
    metrics::gauge!("shiphub_http_connections").decrement(1.0);
}

/// A socket that reports its reads and writes to the connection's tracker.
struct Watched {
    inner: TcpStream,
    tracker: Tracker,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.tracker.read_bytes();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.tracker.wrote_bytes();
        }
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.tracker.wrote_bytes();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
