//! The brokers events are published to. A sink sends a batch in order (`send`) and hands back
//! what resolves once the broker confirmed all of it (JetStream's publish acks, RabbitMQ's
//! publisher confirms), so the relay may send the next batch meanwhile; any failure fails the
//! batch, which the relay publishes again (same ids).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::header::{HeaderMap, HeaderName, HeaderValue, IntoHeaderValue, NATS_MESSAGE_ID};
use bytes::Bytes;
use futures_util::future::join_all;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ExchangeKind};

use super::{SUBJECT_PREFIX, SinkUrl, redact};
use crate::store::StreamEvent;
use crate::webhooks::dispatcher::envelope_of;
use crate::webhooks::sign::{Signer, WebhookSecret};

/// How long a broker has to confirm a batch, and to accept a connection.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolves once the broker confirmed every message of a sent batch (or failed).
pub type Confirms = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// One event, ready for any broker.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub id: String,
    /// `shiphub.<tenant>.<event type>`: the NATS subject; after `shiphub.`, the routing key.
    pub subject: String,
    /// Shared by every sink the batch goes to (a clone is a reference count).
    pub body: Bytes,
    pub timestamp: i64,
    pub signature: String,
}

impl Outgoing {
    /// The webhook bodies and headers of `events`, signed now: the secret is keyed and the
    /// timestamp written once for the whole batch.
    pub fn batch<'a>(
        events: impl IntoIterator<Item = &'a StreamEvent>,
        secret: &WebhookSecret,
        now: i64,
    ) -> Vec<Outgoing> {
        let signer = secret.signer();
        let ts = now.to_string();
        events
            .into_iter()
            .map(|e| Outgoing::signed(e, &signer, now, &ts))
            .collect()
    }

    fn signed(e: &StreamEvent, signer: &Signer, now: i64, ts: &str) -> Self {
        let body = envelope_of(&e.id, e.kind, e.created_at, &e.payload).into_bytes();
        let signature = signer.sign(e.id.as_str(), ts, &body);
        Outgoing {
            id: e.id.as_str().to_string(),
            subject: format!("{SUBJECT_PREFIX}.{}.{}", e.tenant.as_str(), e.kind.as_str()),
            body: Bytes::from(body),
            timestamp: now,
            signature,
        }
    }

    /// `<tenant>.<event type>`: the routing key.
    pub fn key(&self) -> &str {
        &self.subject[SUBJECT_PREFIX.len() + 1..]
    }
}

/// A connected broker.
pub enum Sink {
    Nats(NatsSink),
    Amqp(AmqpSink),
}

impl Sink {
    /// Connects and creates or checks the stream or exchange; the error says what is wrong.
    pub async fn open(url: &SinkUrl) -> Result<Sink, String> {
        match url {
            SinkUrl::Nats { server, stream } => {
                Ok(Sink::Nats(NatsSink::open(server, stream).await?))
            }
            SinkUrl::Amqp { uri, exchange } => {
                let mut s = AmqpSink {
                    uri: uri.clone(),
                    exchange: exchange.clone(),
                    channel: None,
                    broken: Arc::new(AtomicBool::new(false)),
                };
                s.channel().await?;
                Ok(Sink::Amqp(s))
            }
        }
    }

    /// Publishes `batch` in order; `Ok` once the broker confirmed every message.
    pub async fn publish(&mut self, batch: &[Outgoing]) -> Result<(), String> {
        let confirms = self.send(batch).await?;
        confirmed(confirms).await
    }

    /// Sends `batch` in order (within `CONFIRM_TIMEOUT`); the confirmations are awaited with
    /// `confirmed`. Batches sent one after another reach the broker in that order.
    pub async fn send(&mut self, batch: &[Outgoing]) -> Result<Confirms, String> {
        let sent = match self {
            Sink::Nats(s) => tokio::time::timeout(CONFIRM_TIMEOUT, s.send(batch)).await,
            Sink::Amqp(s) => tokio::time::timeout(CONFIRM_TIMEOUT, s.send(batch)).await,
        };
        let sent = sent.unwrap_or_else(|_| Err("the broker took no more messages in time".into()));
        if sent.is_err()
            && let Sink::Amqp(s) = self
        {
            s.drop_channel().await;
        }
        sent
    }
}

/// Waits for a sent batch's confirmations, at most `CONFIRM_TIMEOUT`.
pub async fn confirmed(confirms: Confirms) -> Result<(), String> {
    tokio::time::timeout(CONFIRM_TIMEOUT, confirms)
        .await
        .unwrap_or_else(|_| Err("no confirmation in time".into()))
}

pub struct NatsSink {
    js: async_nats::jetstream::Context,
}

impl NatsSink {
    async fn open(server: &str, stream: &str) -> Result<Self, String> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(CONFIRM_TIMEOUT)
            // Reconnects forever once connected: a broker restart only delays the relay.
            .max_reconnects(None)
            .connect(server)
            .await
            .map_err(|e| format!("cannot connect to NATS at {}: {e}", redact(server)))?;
        let mut js = async_nats::jetstream::new(client);
        js.set_timeout(CONFIRM_TIMEOUT);
        let subjects = format!("{SUBJECT_PREFIX}.>");
        let config = async_nats::jetstream::stream::Config {
            name: stream.to_string(),
            subjects: vec![subjects.clone()],
            storage: async_nats::jetstream::stream::StorageType::File,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        let mut st = js.get_or_create_stream(config).await.map_err(|e| {
            format!(
                "NATS at {}: cannot create or find JetStream stream `{stream}` for `{subjects}` \
                 (is JetStream enabled, `nats-server -js`? does another stream take these \
                 subjects?): {e}",
                redact(server)
            )
        })?;
        let info = st
            .info()
            .await
            .map_err(|e| format!("NATS stream `{stream}`: {e}"))?;
        if !info
            .config
            .subjects
            .iter()
            .any(|s| s == &subjects || s == ">")
        {
            return Err(format!(
                "NATS stream `{stream}` exists but takes {:?}, not `{subjects}`: add the subject \
                 to it or name another stream (`?stream=`)",
                info.config.subjects
            ));
        }
        Ok(NatsSink { js })
    }

    async fn send(&mut self, batch: &[Outgoing]) -> Result<Confirms, String> {
        // Header names parsed once; values moved in (a `String` is taken as is).
        const CONTENT_TYPE: HeaderName = HeaderName::from_static("content-type");
        const WEBHOOK_ID: HeaderName = HeaderName::from_static("webhook-id");
        const WEBHOOK_TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
        const WEBHOOK_SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");
        let json = "application/json".into_header_value();
        let mut ts: Option<(i64, HeaderValue)> = None;
        let mut acks = Vec::with_capacity(batch.len());
        for m in batch {
            let stamp = match &ts {
                Some((t, v)) if *t == m.timestamp => v.clone(),
                _ => {
                    let v = HeaderValue::from(m.timestamp);
                    ts = Some((m.timestamp, v.clone()));
                    v
                }
            };
            let mut headers = HeaderMap::new();
            headers.insert(NATS_MESSAGE_ID, m.id.clone());
            headers.insert(CONTENT_TYPE, json.clone());
            headers.insert(WEBHOOK_ID, m.id.clone());
            headers.insert(WEBHOOK_TIMESTAMP, stamp);
            headers.insert(WEBHOOK_SIGNATURE, m.signature.clone());
            let msg = async_nats::jetstream::message::PublishMessage::build()
                .payload(m.body.clone())
                .headers(headers);
            let ack = self
                .js
                .send_publish(m.subject.clone(), msg)
                .await
                .map_err(|e| format!("publish: {e}"))?;
            acks.push(ack.into_future());
        }
        Ok(Box::pin(async move {
            for r in join_all(acks).await {
                r.map_err(|e| format!("not confirmed: {e}"))?;
            }
            Ok(())
        }))
    }
}

pub struct AmqpSink {
    uri: String,
    exchange: String,
    /// Dropped after a failure: the next batch reconnects.
    channel: Option<(Connection, Channel)>,
    /// Set when a batch sent on the channel was not confirmed: the channel is dropped before
    /// the next batch (it may be half broken).
    broken: Arc<AtomicBool>,
}

impl AmqpSink {
    async fn drop_channel(&mut self) {
        if let Some((conn, _)) = self.channel.take() {
            let _ = conn.close(0, "replaying".into()).await;
        }
    }

    async fn channel(&mut self) -> Result<&Channel, String> {
        if self.broken.swap(false, Ordering::SeqCst) {
            self.drop_channel().await;
        }
        if self
            .channel
            .as_ref()
            .is_some_and(|(_, ch)| !ch.status().connected())
        {
            self.channel = None;
        }
        if self.channel.is_none() {
            let open = async {
                let conn = super::amqp_connect(&self.uri).await.map_err(|e| {
                    format!("cannot connect to RabbitMQ at {}: {e}", redact(&self.uri))
                })?;
                let ch = conn
                    .create_channel()
                    .await
                    .map_err(|e| format!("RabbitMQ channel: {e}"))?;
                ch.exchange_declare(
                    ShortString::from(self.exchange.as_str()),
                    ExchangeKind::Topic,
                    ExchangeDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .map_err(|e| {
                    format!(
                        "RabbitMQ at {}: cannot declare the durable topic exchange `{}` (does \
                         one of that name exist with another type?): {e}",
                        redact(&self.uri),
                        self.exchange
                    )
                })?;
                ch.confirm_select(ConfirmSelectOptions::default())
                    .await
                    .map_err(|e| format!("RabbitMQ publisher confirms: {e}"))?;
                Ok::<_, String>((conn, ch))
            };
            let opened = tokio::time::timeout(CONFIRM_TIMEOUT, open)
                .await
                .map_err(|_| format!("RabbitMQ at {}: no answer", redact(&self.uri)))??;
            self.channel = Some(opened);
        }
        Ok(&self.channel.as_ref().expect("just opened").1)
    }

    async fn send(&mut self, batch: &[Outgoing]) -> Result<Confirms, String> {
        let exchange = self.exchange.clone();
        let ch = self.channel().await?;
        let mut confirms = Vec::with_capacity(batch.len());
        for m in batch {
            let mut headers = FieldTable::default();
            let mut put = |k: &str, v: &str| {
                headers.insert(
                    ShortString::from(k),
                    AMQPValue::LongString(LongString::from(v.to_string())),
                );
            };
            put("webhook-id", &m.id);
            put("webhook-timestamp", &m.timestamp.to_string());
            put("webhook-signature", &m.signature);
            let props = BasicProperties::default()
                .with_message_id(ShortString::from(m.id.as_str()))
                .with_content_type(ShortString::from("application/json"))
                .with_timestamp(m.timestamp.max(0) as u64)
                // 2 = persistent.
                .with_delivery_mode(2)
                .with_headers(headers);
            let c = ch
                .basic_publish(
                    ShortString::from(exchange.as_str()),
                    ShortString::from(m.key()),
                    BasicPublishOptions::default(),
                    &m.body,
                    props,
                )
                .await
                .map_err(|e| format!("publish: {e}"))?;
            confirms.push(c);
        }
        let broken = self.broken.clone();
        Ok(Box::pin(async move {
            let all = async {
                for c in join_all(confirms).await {
                    let c = c.map_err(|e| format!("not confirmed: {e}"))?;
                    if !c.is_ack() {
                        return Err("the broker refused (nack) a message".to_string());
                    }
                }
                Ok(())
            };
            let r = tokio::time::timeout(CONFIRM_TIMEOUT, all)
                .await
                .unwrap_or_else(|_| Err("no confirmation in time".into()));
            if r.is_err() {
                broken.store(true, Ordering::SeqCst);
            }
            r
        }))
    }
}
