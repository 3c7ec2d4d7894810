//! Commands from a queue (`--commands-from`): a purchase, a void, a tracker or a print job asked
//! for by a message instead of an HTTP call.
//!
//! A message carries the command in its `shiphub-command` header (`purchase`, `void`,
//! `tracker`, `print_job`), the tenant's API key in `authorization` (`Bearer sh_…`, checked
//! with its scopes like any API call), the endpoint's JSON body as its payload, and its message
//! id (`Nats-Msg-Id` header, AMQP `message_id`) as the idempotency key: a message delivered
//! twice buys once and is answered the same. What runs a command is the `Handler` the hub gives
//! (the API's own router, so validation, scopes, idempotency and problems are the HTTP ones).
//!
//! The answer (the shipment or tracker as the API returns it, or the problem document) goes to
//! the message's reply-to (`shiphub-status` header = the HTTP status); the change itself emits
//! its usual event. A message that fails: a permanent failure (malformed, refused, a purchase
//! answered with a problem) is answered and parked in the dead-letter queue (`<queue>.dead`,
//! subject `<subject>.dead`) at once; a transient one (5xx, a key still in progress) is
//! redelivered (RabbitMQ: requeued; NATS: the requester's retry) and parked after
//! `max_failures`. A parked command also emits `command.failed` (the problem document and the
//! message id; once per message id, however often it is redelivered) for the tenant its credential names, so the tenant's event consumers see the
//! failure as they see a success; a credential that names no tenant (unknown or revoked key,
//! none at all) has no tenant to tell, and gets the answer and the dead-letter queue only.
//!
//! NATS commands use core request-reply with the queue group `shiphub` (several instances share
//! a subject); a requester that gets no answer retries with the same id. The subject must not be
//! one a JetStream stream takes (such as the events' `shiphub.>`): the stream would answer the
//! request with its publish ack before the hub does. RabbitMQ commands are
//! consumed from a durable queue with manual acks: a message is acknowledged only after its
//! answer was sent, so a hub crash redelivers it (and the idempotency key answers it again).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection};
use tokio::sync::Semaphore;

use super::redact;
use crate::events::EventType;
use crate::state::AppState;
use crate::store::NewEvent;

/// A command as it came off the queue, not yet checked.
#[derive(Clone, Debug, Default)]
pub struct Command {
    pub command: Option<String>,
    /// The message id: the idempotency key.
    pub id: Option<String>,
    /// The `authorization` header.
    pub credential: Option<String>,
    pub body: Vec<u8>,
}

/// The answer to a command: an HTTP status and its JSON body.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    /// Worth another delivery: the hub failed, or the key is still being answered; not a
    /// problem that says it is final (`"retryable": false`, such as `purchase-outcome-unknown`
    /// after a hub died mid-purchase: its key answers the same however often it is asked).
    pub fn transient(&self) -> bool {
        (self.status >= 500 || self.status == 409 || self.status == 429)
            && !serde_json::from_slice::<serde_json::Value>(&self.body)
                .is_ok_and(|v| v["retryable"] == false)
    }

    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Runs a command (the API router, given by `background`).
pub type Handler =
    Arc<dyn Fn(Command) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// Where commands come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandSource {
    /// `nats://host:port/<subject>`: core request-reply.
    Nats { server: String, subject: String },
    /// `nats://host:port/<subject>?stream=<NAME>`: a JetStream stream (made or checked at the
    /// start) that keeps the commands until the hub acknowledges them.
    JetStream {
        server: String,
        subject: String,
        stream: String,
    },
    /// `amqp://user:pass@host:port/<vhost>/<queue>`
    Amqp { uri: String, queue: String },
}

impl CommandSource {
    pub fn parse(s: &str) -> Result<Self, String> {
        let url = url::Url::parse(s).map_err(|e| format!("`{}`: {e}", redact(s)))?;
        let mut segments: Vec<String> = url
            .path_segments()
            .map(|p| p.filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        let mut bare = url.clone();
        match url.scheme() {
            "nats" => {
                let subject = segments.join(".");
                if subject.is_empty() || subject.contains(['*', '>', ' ']) {
                    return Err(format!(
                        "`{}`: name the subject commands come on (nats://host:4222/shiphub.commands)",
                        redact(s)
                    ));
                }
                bare.set_path("");
                let stream = url
                    .query_pairs()
                    .find(|(k, _)| k == "stream")
                    .map(|(_, v)| v.into_owned());
                bare.set_query(None);
                let server = bare.to_string();
                match stream {
                    Some(stream) if stream.is_empty() || stream.contains(['.', '*', '>', ' ']) => {
                        Err(format!(
                            "`{}`: `stream=` names a JetStream stream (letters, digits, `-`, `_`)",
                            redact(s)
                        ))
                    }
                    Some(stream) => Ok(CommandSource::JetStream {
                        server,
                        subject,
                        stream,
                    }),
                    None => Ok(CommandSource::Nats { server, subject }),
                }
            }
            "amqp" => {
                let Some(queue) = segments.pop() else {
                    return Err(format!(
                        "`{}`: name the queue (amqp://host:5672/%2f/shiphub.commands)",
                        redact(s)
                    ));
                };
                let queue = percent_decode(&queue);
                let vhost = segments.pop().unwrap_or_else(|| "%2f".into());
                bare.set_path(&format!("/{vhost}"));
                Ok(CommandSource::Amqp {
                    uri: bare.to_string(),
                    queue,
                })
            }
            other => Err(format!(
                "`{}`: commands come from nats:// or amqp://, not {other}://",
                redact(s)
            )),
        }
    }

    /// Where failed commands are parked.
    pub fn dead_letter(&self) -> String {
        match self {
            CommandSource::Nats { subject, .. } | CommandSource::JetStream { subject, .. } => {
                format!("{subject}.dead")
            }
            CommandSource::Amqp { queue, .. } => format!("{queue}.dead"),
        }
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[derive(Clone, Debug)]
pub struct CommandSettings {
    pub sources: Vec<CommandSource>,
    /// Transient failures of one message before it is parked.
    pub max_failures: u32,
    /// Commands run at once per source.
    pub concurrency: usize,
}

/// HELP texts.
pub fn describe() {
    metrics::describe_counter!(
        "shiphub_commands_total",
        "Commands taken from a queue, by source and outcome (succeeded, failed, retried, dead_lettered)."
    );
}

/// Failures per message id (transient ones, counted toward parking).
#[derive(Clone, Default)]
struct Failures(Arc<Mutex<HashMap<String, u32>>>);

impl Failures {
    fn bump(&self, id: &str) -> u32 {
        let mut m = self.0.lock().expect("failures lock");
        if m.len() > 100_000 {
            m.clear();
        }
        let n = m.entry(id.to_string()).or_default();
        *n += 1;
        *n
    }
    fn forget(&self, id: &str) {
        self.0.lock().expect("failures lock").remove(id);
    }
}

/// What to do with a message after its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Done,
    Retry,
    Park,
}

fn verdict(reply: &Reply, id: Option<&str>, failures: &Failures, max: u32) -> Verdict {
    let id = id.unwrap_or_default();
    if reply.succeeded() {
        failures.forget(id);
        return Verdict::Done;
    }
    if reply.transient() && !id.is_empty() && failures.bump(id) < max {
        return Verdict::Retry;
    }
    failures.forget(id);
    Verdict::Park
}

/// `verdict` for a JetStream message, whose deliveries the stream counts (so a hub restart
/// does not reset them).
fn verdict_by_deliveries(reply: &Reply, delivered: i64, max: u32) -> Verdict {
    if reply.succeeded() {
        Verdict::Done
    } else if reply.transient() && delivered < i64::from(max) {
        Verdict::Retry
    } else {
        Verdict::Park
    }
}

/// `command.failed` for the tenant `credential` names (none when it names no tenant).
async fn emit_failure(app: &AppState, source: &str, cmd: &Command, reply: &Reply) {
    let Some(token) = cmd.credential.as_deref().and_then(|c| {
        c.split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
    }) else {
        return;
    };
    let tenant = match crate::auth::keys::principal(app, token).await {
        Ok(Some(key)) => key.tenant,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "command.failed: resolving the credential");
            return;
        }
    };
    let problem: serde_json::Value = serde_json::from_slice(&reply.body)
        .unwrap_or_else(|_| serde_json::json!({ "status": reply.status }));
    let event = NewEvent {
        kind: EventType::CommandFailed,
        subject_id: cmd.id.clone().unwrap_or_default(),
        data: serde_json::json!({
            "message_id": cmd.id,
            "command": cmd.command,
            "source": source,
            "status": reply.status,
            "problem": problem,
        }),
    };
    // Without a message id each failure is its own; with one, a redelivery is the same failure.
    let recorded = if cmd.id.is_some() {
        app.store
            .insert_event_once(&tenant, &event, time::OffsetDateTime::now_utc())
            .await
            .map(|_| ())
    } else {
        app.store
            .insert_event(&tenant, &event, time::OffsetDateTime::now_utc())
            .await
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "recording command.failed");
    }
}

fn count(source: &str, outcome: &'static str) {
    metrics::counter!("shiphub_commands_total", "source" => source.to_string(), "outcome" => outcome)
        .increment(1);
}

/// Connects every source (declaring queues) and runs them until shutdown.
pub async fn start(
    app: AppState,
    settings: CommandSettings,
    handler: Handler,
) -> Result<(), String> {
    describe();
    for source in settings.sources.clone() {
        match &source {
            CommandSource::Nats { server, subject } => {
                let client = async_nats::ConnectOptions::new()
                    .connection_timeout(Duration::from_secs(10))
                    .max_reconnects(None)
                    .connect(server.as_str())
                    .await
                    .map_err(|e| {
                        format!(
                            "--commands-from: cannot connect to NATS at {}: {e}",
                            redact(server)
                        )
                    })?;
                let sub = client
                    .queue_subscribe(subject.clone(), "shiphub".into())
                    .await
                    .map_err(|e| format!("--commands-from: subscribe to `{subject}`: {e}"))?;
                tokio::spawn(run_nats(
                    app.clone(),
                    client,
                    sub,
                    source.clone(),
                    settings.clone(),
                    handler.clone(),
                ));
            }
            CommandSource::JetStream {
                server,
                subject,
                stream,
            } => {
                let messages = jetstream_open(server, subject, stream, settings.concurrency)
                    .await
                    .map_err(|e| format!("--commands-from: {e}"))?;
                tokio::spawn(run_jetstream(
                    app.clone(),
                    messages,
                    source.clone(),
                    settings.clone(),
                    handler.clone(),
                ));
            }
            CommandSource::Amqp { uri, queue } => {
                // Checked now, so a wrong URL stops the start; the loop reconnects by itself.
                let (conn, _) = amqp_open(uri, queue, settings.concurrency).await?;
                let _ = conn.close(0, "checked".into()).await;
                tokio::spawn(run_amqp(
                    app.clone(),
                    source.clone(),
                    settings.clone(),
                    handler.clone(),
                ));
            }
        }
    }
    Ok(())
}

async fn run_nats(
    app: AppState,
    client: async_nats::Client,
    mut sub: async_nats::Subscriber,
    source: CommandSource,
    settings: CommandSettings,
    handler: Handler,
) {
    let CommandSource::Nats { subject, .. } = &source else {
        return;
    };
    let label = format!("nats:{subject}");
    let dead = source.dead_letter();
    let failures = Failures::default();
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut shutdown = app.shutdown.subscribe();
    loop {
        let msg = tokio::select! {
            m = sub.next() => m,
            _ = shutdown.changed() => None,
        };
        let Some(msg) = msg else { break };
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let (app, client, handler, failures, dead, label) = (
            app.clone(),
            client.clone(),
            handler.clone(),
            failures.clone(),
            dead.clone(),
            label.clone(),
        );
        let max = settings.max_failures;
        tokio::spawn(async move {
            let _permit = permit;
            let cmd = nats_command(msg.headers.as_ref(), &msg.payload);
            let id = cmd.id.clone();
            let reply = handler(cmd.clone()).await;
            let verdict = verdict(&reply, id.as_deref(), &failures, max);
            if verdict == Verdict::Park {
                emit_failure(&app, &label, &cmd, &reply).await;
            }
            if let Some(to) = &msg.reply {
                nats_answer(&client, to.clone(), &reply, id.as_deref()).await;
            }
            if verdict == Verdict::Park {
                let mut h = msg.headers.clone().unwrap_or_default();
                h.insert("shiphub-status", reply.status.to_string().as_str());
                h.insert(
                    "shiphub-problem",
                    String::from_utf8_lossy(&reply.body).as_ref(),
                );
                if let Err(e) = client
                    .publish_with_headers(dead, h, msg.payload.clone())
                    .await
                {
                    tracing::warn!(error = %e, "parking a command");
                }
            }
            count(&label, outcome(verdict, &reply));
        });
    }
}

/// How long JetStream waits for a command's acknowledgement before it delivers it again (a
/// purchase answers within its carrier deadline, far less).
const JS_ACK_WAIT: Duration = Duration::from_secs(60);

/// The durable consumer every instance pulls from (JetStream hands each message to one).
const JS_CONSUMER: &str = "shiphub-commands";

/// Connects, makes or checks the stream (it must take the subject and its dead-letter
/// subject) and the durable consumer, and opens its message stream.
async fn jetstream_open(
    server: &str,
    subject: &str,
    stream: &str,
    concurrency: usize,
) -> Result<
    (
        async_nats::jetstream::Context,
        async_nats::jetstream::consumer::pull::Stream,
    ),
    String,
> {
    use async_nats::jetstream::{consumer, stream as js};
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(10))
        .max_reconnects(None)
        .connect(server)
        .await
        .map_err(|e| format!("cannot connect to NATS at {}: {e}", redact(server)))?;
    let ctx = async_nats::jetstream::new(client);
    let dead = format!("{subject}.dead");
    let config = js::Config {
        name: stream.to_string(),
        subjects: vec![subject.to_string(), dead.clone()],
        storage: js::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    };
    let st = ctx.get_or_create_stream(config).await.map_err(|e| {
        format!(
            "NATS at {}: cannot create or find JetStream stream `{stream}` for `{subject}` and \
             `{dead}` (is JetStream enabled? does another stream take these subjects?): {e}",
            redact(server)
        )
    })?;
    let taken = &st.cached_info().config.subjects;
    let covers = |want: &str| {
        taken.iter().any(|s| {
            s == want
                || s == ">"
                || s.strip_suffix(".>")
                    .is_some_and(|p| want.starts_with(&format!("{p}.")))
        })
    };
    if !covers(subject) || !covers(&dead) {
        return Err(format!(
            "NATS stream `{stream}` exists but takes {taken:?}: add `{subject}` and `{dead}` to it or \
             name another stream (`?stream=`)"
        ));
    }
    let consumer: consumer::PullConsumer = st
        .get_or_create_consumer(
            JS_CONSUMER,
            consumer::pull::Config {
                durable_name: Some(JS_CONSUMER.into()),
                filter_subject: subject.to_string(),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: JS_ACK_WAIT,
                max_ack_pending: (concurrency.max(1) * 4) as i64,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("NATS stream `{stream}`: consumer `{JS_CONSUMER}`: {e}"))?;
    let messages = consumer
        .messages()
        .await
        .map_err(|e| format!("NATS stream `{stream}`: pulling commands: {e}"))?;
    Ok((ctx, messages))
}

async fn run_jetstream(
    app: AppState,
    (ctx, mut messages): (
        async_nats::jetstream::Context,
        async_nats::jetstream::consumer::pull::Stream,
    ),
    source: CommandSource,
    settings: CommandSettings,
    handler: Handler,
) {
    use async_nats::jetstream::AckKind;
    let CommandSource::JetStream { subject, .. } = &source else {
        return;
    };
    let label = format!("jetstream:{subject}");
    let dead = source.dead_letter();
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut shutdown = app.shutdown.subscribe();
    loop {
        let msg = tokio::select! {
            m = messages.next() => m,
            _ = shutdown.changed() => None,
        };
        let Some(msg) = msg else { break };
        let msg = match msg {
            Ok(m) => m,
            // Heartbeats missed, the server restarting: the pull stream carries on by itself.
            Err(e) => {
                tracing::warn!(source = %label, error = %e, "command stream");
                continue;
            }
        };
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let (app, ctx, handler, dead, label) = (
            app.clone(),
            ctx.clone(),
            handler.clone(),
            dead.clone(),
            label.clone(),
        );
        let max = settings.max_failures;
        tokio::spawn(async move {
            let _permit = permit;
            let header = |k: &str| nats_header(msg.headers.as_ref(), k);
            let cmd = nats_command(msg.headers.as_ref(), &msg.payload);
            let id = cmd.id.clone();
            let delivered = msg.info().map_or(1, |i| i.delivered);
            let reply = handler(cmd.clone()).await;
            let verdict = verdict_by_deliveries(&reply, delivered, max);
            if verdict == Verdict::Park {
                emit_failure(&app, &label, &cmd, &reply).await;
            }
            // A stored message has no reply subject of its requester: the answer goes to the
            // subject its `shiphub-reply-to` header names.
            if verdict != Verdict::Retry
                && let Some(to) = header("shiphub-reply-to")
            {
                nats_answer(&ctx.client(), to.into(), &reply, id.as_deref()).await;
            }
            let settled = match verdict {
                Verdict::Done => msg.ack().await,
                Verdict::Retry => {
                    // Backs off with the deliveries: 1 s, 2 s, 4 s … at most 16 s.
                    let wait = Duration::from_secs(1 << delivered.clamp(1, 5) as u32 >> 1);
                    msg.ack_with(AckKind::Nak(Some(wait))).await
                }
                Verdict::Park => {
                    let mut h = msg.headers.clone().unwrap_or_default();
                    h.insert("shiphub-status", reply.status.to_string().as_str());
                    h.insert(
                        "shiphub-problem",
                        String::from_utf8_lossy(&reply.body).as_ref(),
                    );
                    // The stream would drop a copy under the command's own id as a duplicate;
                    // under `<id>.dead` a command parked twice (redelivered before its ack)
                    // is kept once.
                    if let Some(id) = &id {
                        h.insert("shiphub-command-id", id.as_str());
                        h.insert("Nats-Msg-Id", format!("{id}.dead").as_str());
                    }
                    // Parked in the stream (acknowledged by it) before the command is let go;
                    // otherwise it stays on the stream and comes again.
                    let parked = match ctx.publish_with_headers(dead, h, msg.payload.clone()).await
                    {
                        Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    match parked {
                        Ok(()) => msg.ack().await,
                        Err(e) => {
                            tracing::warn!(error = %e, "parking a command");
                            msg.ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                                .await
                        }
                    }
                }
            };
            if let Err(e) = settled {
                tracing::warn!(error = %e, "settling a command");
            }
            count(&label, outcome(verdict, &reply));
        });
    }
}

fn nats_header(headers: Option<&async_nats::HeaderMap>, k: &str) -> Option<String> {
    headers
        .and_then(|h| h.get(k))
        .map(|v| v.as_str().to_string())
}

/// A NATS message's command: its headers and payload.
fn nats_command(headers: Option<&async_nats::HeaderMap>, payload: &[u8]) -> Command {
    let header = |k: &str| nats_header(headers, k);
    Command {
        command: header("shiphub-command"),
        id: header("Nats-Msg-Id").or_else(|| header("idempotency-key")),
        credential: header("authorization"),
        body: payload.to_vec(),
    }
}

/// Publishes a command's answer to `to`, with its status and the command's id as headers.
async fn nats_answer(
    client: &async_nats::Client,
    to: async_nats::Subject,
    reply: &Reply,
    id: Option<&str>,
) {
    let mut h = async_nats::HeaderMap::new();
    h.insert("shiphub-status", reply.status.to_string().as_str());
    if let Some(id) = id {
        h.insert("shiphub-command-id", id);
    }
    if let Err(e) = client
        .publish_with_headers(to, h, reply.body.clone().into())
        .await
    {
        tracing::warn!(error = %e, "answering a command");
    }
}

fn outcome(verdict: Verdict, reply: &Reply) -> &'static str {
    match verdict {
        Verdict::Done => "succeeded",
        Verdict::Retry => "retried",
        Verdict::Park if reply.transient() => "dead_lettered",
        Verdict::Park => "failed",
    }
}

async fn amqp_open(
    uri: &str,
    queue: &str,
    prefetch: usize,
) -> Result<(Connection, Channel), String> {
    let open = async {
        let conn = super::amqp_connect(uri)
            .await
            .map_err(|e| format!("cannot connect to RabbitMQ at {}: {e}", redact(uri)))?;
        let ch = conn
            .create_channel()
            .await
            .map_err(|e| format!("RabbitMQ channel: {e}"))?;
        for q in [queue.to_string(), format!("{queue}.dead")] {
            ch.queue_declare(
                ShortString::from(q.as_str()),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| format!("RabbitMQ: cannot declare the durable queue `{q}`: {e}"))?;
        }
        ch.basic_qos(
            prefetch.min(u16::MAX as usize) as u16,
            BasicQosOptions::default(),
        )
        .await
        .map_err(|e| format!("RabbitMQ prefetch: {e}"))?;
        Ok::<_, String>((conn, ch))
    };
    tokio::time::timeout(Duration::from_secs(10), open)
        .await
        .map_err(|_| format!("RabbitMQ at {}: no answer", redact(uri)))?
        .map_err(|e| format!("--commands-from: {e}"))
}

async fn run_amqp(
    app: AppState,
    source: CommandSource,
    settings: CommandSettings,
    handler: Handler,
) {
    let CommandSource::Amqp { uri, queue } = &source else {
        return;
    };
    let label = format!("amqp:{queue}");
    let failures = Failures::default();
    let mut shutdown = app.shutdown.subscribe();
    while !*shutdown.borrow() {
        match amqp_consume(&app, uri, queue, &label, &settings, &handler, &failures).await {
            Ok(()) => {}
            Err(e) => tracing::warn!(source = %label, error = %e, "command queue; reconnecting"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn amqp_consume(
    app: &AppState,
    uri: &str,
    queue: &str,
    label: &str,
    settings: &CommandSettings,
    handler: &Handler,
    failures: &Failures,
) -> Result<(), String> {
    let (conn, ch) = amqp_open(uri, queue, settings.concurrency).await?;
    let mut consumer = ch
        .basic_consume(
            ShortString::from(queue),
            ShortString::from(format!("shiphub-{}", crate::ids::instance()).as_str()),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| format!("consume `{queue}`: {e}"))?;
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut shutdown = app.shutdown.subscribe();
    let dead = format!("{queue}.dead");
    loop {
        let delivery = tokio::select! {
            d = consumer.next() => d,
            _ = shutdown.changed() => None,
        };
        let Some(delivery) = delivery else { break };
        let delivery = delivery.map_err(|e| format!("delivery: {e}"))?;
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let (app, ch, handler, failures, dead, label) = (
            app.clone(),
            ch.clone(),
            handler.clone(),
            failures.clone(),
            dead.clone(),
            label.to_string(),
        );
        let max = settings.max_failures;
        tokio::spawn(async move {
            let _permit = permit;
            let props = &delivery.properties;
            let headers = props.headers().clone().unwrap_or_default();
            let header = |k: &str| match headers.inner().get(k) {
                Some(AMQPValue::LongString(s)) => Some(s.to_string()),
                Some(AMQPValue::ShortString(s)) => Some(s.to_string()),
                _ => None,
            };
            let id = props
                .message_id()
                .as_ref()
                .map(|s| s.to_string())
                .or_else(|| header("idempotency-key"));
            let cmd = Command {
                command: header("shiphub-command"),
                id: id.clone(),
                credential: header("authorization"),
                body: delivery.data.clone(),
            };
            let reply = handler(cmd.clone()).await;
            let verdict = verdict(&reply, id.as_deref(), &failures, max);
            if verdict == Verdict::Park {
                emit_failure(&app, &label, &cmd, &reply).await;
            }
            let status_header = |mut t: FieldTable| {
                t.insert(
                    "shiphub-status".into(),
                    AMQPValue::LongString(LongString::from(reply.status.to_string())),
                );
                t
            };
            if let Some(to) = props.reply_to() {
                let mut p = BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_headers(status_header(FieldTable::default()));
                if let Some(c) = props
                    .correlation_id()
                    .clone()
                    .or_else(|| id.clone().map(ShortString::from))
                {
                    p = p.with_correlation_id(c);
                }
                if let Err(e) = ch
                    .basic_publish(
                        "".into(),
                        to.clone(),
                        BasicPublishOptions::default(),
                        &reply.body,
                        p,
                    )
                    .await
                {
                    tracing::warn!(error = %e, "answering a command");
                }
            }
            let settled = match verdict {
                Verdict::Done => delivery.acker.ack(BasicAckOptions::default()).await,
                Verdict::Retry => {
                    delivery
                        .acker
                        .nack(BasicNackOptions {
                            requeue: true,
                            ..Default::default()
                        })
                        .await
                }
                Verdict::Park => {
                    let mut h = status_header(headers.clone());
                    h.insert(
                        "shiphub-problem".into(),
                        AMQPValue::LongString(LongString::from(
                            String::from_utf8_lossy(&reply.body).into_owned(),
                        )),
                    );
                    let p = props.clone().with_headers(h).with_delivery_mode(2);
                    match ch
                        .basic_publish(
                            "".into(),
                            dead.as_str().into(),
                            BasicPublishOptions::default(),
                            &delivery.data,
                            p,
                        )
                        .await
                    {
                        Ok(_) => delivery.acker.ack(BasicAckOptions::default()).await,
                        // Not parked: back on the queue rather than lost.
                        Err(_) => {
                            delivery
                                .acker
                                .nack(BasicNackOptions {
                                    requeue: true,
                                    ..Default::default()
                                })
                                .await
                        }
                    }
                }
            };
            if let Err(e) = settled {
                tracing::warn!(error = %e, "settling a command");
            }
            count(&label, outcome(verdict, &reply));
        });
    }
    let _ = conn.close(0, "stopping".into()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_sources_name_their_subject_or_queue() {
        assert_eq!(
            CommandSource::parse("nats://127.0.0.1:4222/shiphub/commands").unwrap(),
            CommandSource::Nats {
                server: "nats://127.0.0.1:4222".into(),
                subject: "shiphub.commands".into()
            }
        );
        let amqp = CommandSource::parse("amqp://guest:guest@127.0.0.1:5672/%2f/labels").unwrap();
        assert_eq!(
            amqp,
            CommandSource::Amqp {
                uri: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
                queue: "labels".into()
            }
        );
        assert_eq!(amqp.dead_letter(), "labels.dead");
        let js = CommandSource::parse("nats://127.0.0.1:4222/labels/buy?stream=COMMANDS").unwrap();
        assert_eq!(
            js,
            CommandSource::JetStream {
                server: "nats://127.0.0.1:4222".into(),
                subject: "labels.buy".into(),
                stream: "COMMANDS".into()
            }
        );
        assert_eq!(js.dead_letter(), "labels.buy.dead");
        assert!(CommandSource::parse("nats://127.0.0.1:4222/labels?stream=").is_err());
        assert!(CommandSource::parse("nats://127.0.0.1:4222/labels?stream=a.b").is_err());
        assert!(CommandSource::parse("nats://127.0.0.1:4222").is_err());
        assert!(CommandSource::parse("amqp://127.0.0.1:5672").is_err());
    }

    #[test]
    fn transient_failures_are_retried_until_parked_and_refusals_are_parked_at_once() {
        let f = Failures::default();
        let busy = Reply {
            status: 503,
            body: vec![],
        };
        assert_eq!(verdict(&busy, Some("m1"), &f, 3), Verdict::Retry);
        assert_eq!(verdict(&busy, Some("m1"), &f, 3), Verdict::Retry);
        assert_eq!(verdict(&busy, Some("m1"), &f, 3), Verdict::Park);
        let bad = Reply {
            status: 422,
            body: vec![],
        };
        assert_eq!(verdict(&bad, Some("m2"), &f, 3), Verdict::Park);
        let ok = Reply {
            status: 201,
            body: vec![],
        };
        assert_eq!(verdict(&ok, Some("m1"), &f, 3), Verdict::Done);
        // JetStream counts the deliveries itself.
        assert_eq!(verdict_by_deliveries(&busy, 1, 3), Verdict::Retry);
        assert_eq!(verdict_by_deliveries(&busy, 2, 3), Verdict::Retry);
        assert_eq!(verdict_by_deliveries(&busy, 3, 3), Verdict::Park);
        assert_eq!(verdict_by_deliveries(&bad, 1, 3), Verdict::Park);
        assert_eq!(verdict_by_deliveries(&ok, 3, 3), Verdict::Done);
        // A 5xx whose problem says it is final is parked at once, not redelivered.
        let unknown = Reply {
            status: 500,
            body: br#"{"type":"https://shiphub.dev/problems/purchase-outcome-unknown","status":500,"retryable":false}"#.to_vec(),
        };
        assert!(!unknown.transient());
        assert_eq!(verdict_by_deliveries(&unknown, 1, 3), Verdict::Park);
        assert_eq!(verdict(&unknown, Some("m3"), &f, 3), Verdict::Park);
        let retry = Reply {
            status: 503,
            body: br#"{"status":503,"retryable":true}"#.to_vec(),
        };
        assert!(retry.transient());
    }
}
