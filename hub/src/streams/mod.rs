//! Event streams (issue 22): the outbox relayed to the operator's message brokers, and
//! commands taken from them.
//!
//! - `relay`: one leased loop (per database) that publishes every event, oldest first, to each
//!   sink named by `--events-to`. Each sink has its own progress: a sink that fails a batch
//!   falls behind (its events are parked for it in the store) and catches up on its own, so a
//!   broker that is down holds no other. At least once: a crash between the broker's
//!   confirmation and the mark publishes the batch again, with the same ids (JetStream drops
//!   those within its duplicate window, consumers dedupe on `message_id` / `webhook-id`).
//! - `sink`: NATS JetStream (subject `shiphub.<tenant>.<event>`, `Nats-Msg-Id` = event id) and
//!   RabbitMQ (durable topic exchange, routing key `<tenant>.<event>`, persistent, publisher
//!   confirms, `message_id` = event id). The body is the webhook body, with the Standard
//!   Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`, signed with the
//!   operator's `--events-secret`), so one consumer library serves webhooks and streams.
//!
//! Which of a tenant's events go out is its stream filter (`store::streams`), the same list of
//! event names as a webhook subscription; no filter means every subscribable event.
//! No HTTP here; rows live in `store::streams`.

pub mod commands;
pub mod filters;
pub mod relay;
pub mod sink;

use std::time::Duration;

use crate::webhooks::sign::WebhookSecret;

/// A broker to publish to, as named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SinkUrl {
    /// `nats://host:port[?stream=NAME]`; the stream (default `SHIPHUB`) takes `shiphub.>`.
    Nats { server: String, stream: String },
    /// `amqp://user:pass@host:port/vhost[?exchange=NAME]`; a durable topic exchange (default
    /// `shiphub`).
    Amqp { uri: String, exchange: String },
}

/// The stream that holds `shiphub.>` when the URL names none.
pub const DEFAULT_STREAM: &str = "SHIPHUB";
/// The exchange events go to when the URL names none.
pub const DEFAULT_EXCHANGE: &str = "shiphub";
/// Every subject starts with this.
pub const SUBJECT_PREFIX: &str = "shiphub";

impl SinkUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let url = url::Url::parse(s).map_err(|e| format!("`{}`: {e}", redact(s)))?;
        let mut picked = None;
        let rest: Vec<(String, String)> = url
            .query_pairs()
            .filter_map(|(k, v)| {
                if k == "stream" || k == "exchange" {
                    picked = Some((k.into_owned(), v.into_owned()));
                    None
                } else {
                    Some((k.into_owned(), v.into_owned()))
                }
            })
            .collect();
        let mut bare = url.clone();
        bare.set_query(None);
        if !rest.is_empty() {
            bare.query_pairs_mut().extend_pairs(rest);
        }
        match url.scheme() {
            "nats" => {
                let stream = match picked {
                    Some((k, v)) if k == "stream" => v,
                    Some((k, _)) => {
                        return Err(format!("a nats:// sink takes `stream=`, not `{k}=`"));
                    }
                    None => DEFAULT_STREAM.into(),
                };
                if stream.is_empty() || stream.contains(['.', '*', '>', ' ']) {
                    return Err(format!("`{stream}` is not a JetStream stream name"));
                }
                Ok(SinkUrl::Nats {
                    server: bare.to_string(),
                    stream,
                })
            }
            "amqp" => {
                let exchange = match picked {
                    Some((k, v)) if k == "exchange" => v,
                    Some((k, _)) => {
                        return Err(format!("an amqp:// sink takes `exchange=`, not `{k}=`"));
                    }
                    None => DEFAULT_EXCHANGE.into(),
                };
                if exchange.is_empty() || exchange.starts_with("amq.") {
                    return Err(format!("`{exchange}` cannot be the events exchange"));
                }
                Ok(SinkUrl::Amqp {
                    uri: bare.to_string(),
                    exchange,
                })
            }
            other => Err(format!(
                "`{}`: the scheme must be nats:// or amqp:// (not {other}://; amqps:// is not built in)",
                redact(s)
            )),
        }
    }

    /// The broker without credentials, for logs and metric labels.
    pub fn label(&self) -> String {
        match self {
            SinkUrl::Nats { server, stream } => format!("{}#{stream}", redact(server)),
            SinkUrl::Amqp { uri, exchange } => format!("{}#{exchange}", redact(uri)),
        }
    }
}

/// A URL with its password replaced.
pub fn redact(s: &str) -> String {
    match url::Url::parse(s) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "<unparsable url>".into(),
    }
}

/// A RabbitMQ URI as lapin reads it, with the host as written: `amq-protocol-uri` takes the
/// host from `Url::domain`, which is empty for an IP address, and then falls back to
/// `localhost` (so `amqp://10.0.0.5` would reach the local broker instead).
pub(crate) fn amqp_uri(s: &str) -> Result<lapin::uri::AMQPUri, String> {
    let mut uri: lapin::uri::AMQPUri = s.parse()?;
    if let Ok(u) = url::Url::parse(s)
        && let Some(host) = u.host()
    {
        uri.authority.host = match host {
            url::Host::Domain(d) => d.to_string(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
    }
    Ok(uri)
}

/// Connects to RabbitMQ at `s` (an `amqp://` URI), its host as written (`amqp_uri`).
pub(crate) async fn amqp_connect(s: &str) -> Result<lapin::Connection, String> {
    let uri = amqp_uri(s)?;
    lapin::Connection::connect_uri(uri, lapin::ConnectionProperties::default())
        .await
        .map_err(|e| e.to_string())
}

/// How the relay runs, from the `serve` flags.
#[derive(Clone, Debug)]
pub struct StreamSettings {
    pub sinks: Vec<SinkUrl>,
    /// Signs every message as a webhook endpoint secret would.
    pub secret: WebhookSecret,
    /// How long the relay's lease lasts unless renewed (each batch renews it).
    pub lease: Duration,
    /// Events read and published per batch.
    pub batch: u32,
    /// How often an idle relay looks for new events (and an instance without the lease for it).
    pub poll: Duration,
}

impl StreamSettings {
    pub fn new(sinks: Vec<SinkUrl>, secret: WebhookSecret) -> Self {
        StreamSettings {
            sinks,
            secret,
            lease: Duration::from_secs(10),
            batch: 1000,
            poll: Duration::from_millis(50),
        }
    }
}

/// HELP texts of the streams' metrics.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_gauge!(
        "shiphub_event_stream_backlog",
        "Events not yet relayed to the event stream sink furthest behind (the largest \
         shiphub_event_stream_sink_backlog)."
    );
    describe_gauge!(
        "shiphub_event_stream_oldest_seconds",
        "Age of the oldest event not yet relayed to some event stream sink (0 when none)."
    );
    describe_gauge!(
        "shiphub_event_stream_sink_backlog",
        "Events recorded and not yet confirmed by this event stream sink, by sink."
    );
    describe_gauge!(
        "shiphub_event_stream_sink_oldest_seconds",
        "Age of the oldest event this event stream sink has not confirmed (0 when none), by sink."
    );
    describe_gauge!(
        "shiphub_event_stream_unconfigured_sink_backlog",
        "Events parked for an event stream sink this instance's --events-to no longer names, by \
         sink: kept for an instance that may still relay to it; delete its stream_sink_backlog \
         rows once no instance does."
    );
    describe_gauge!(
        "shiphub_event_stream_relay_held",
        "1 while this instance holds the event stream relay's lease."
    );
    describe_counter!(
        "shiphub_event_stream_published_total",
        "Events a broker confirmed, by sink (a replay after a crash counts again)."
    );
    describe_counter!(
        "shiphub_event_stream_publish_failures_total",
        "Batches a sink failed to confirm (retried), by sink."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rabbitmq_uri_keeps_an_ip_host() {
        for (uri, host) in [
            ("amqp://guest:guest@10.0.0.5:5672/%2f", "10.0.0.5"),
            ("amqp://[::1]:5672", "::1"),
            ("amqp://broker.internal/%2f?heartbeat=10", "broker.internal"),
            ("amqp://127.0.0.1", "127.0.0.1"),
        ] {
            let parsed = amqp_uri(uri).unwrap();
            assert_eq!(parsed.authority.host, host, "{uri}");
        }
        let parsed = amqp_uri("amqp://u:p@10.0.0.5:5673/v?heartbeat=10").unwrap();
        assert_eq!(parsed.authority.port, 5673);
        assert_eq!(parsed.authority.userinfo.username, "u");
        assert_eq!(parsed.vhost, "v");
        assert_eq!(parsed.query.heartbeat, Some(10));
    }

    #[test]
    fn sink_urls_parse_with_their_defaults_and_options() {
        assert_eq!(
            SinkUrl::parse("nats://127.0.0.1:4222").unwrap(),
            SinkUrl::Nats {
                server: "nats://127.0.0.1:4222".into(),
                stream: "SHIPHUB".into()
            }
        );
        assert_eq!(
            SinkUrl::parse("nats://127.0.0.1:4222?stream=EV").unwrap(),
            SinkUrl::Nats {
                server: "nats://127.0.0.1:4222".into(),
                stream: "EV".into()
            }
        );
        let amqp = SinkUrl::parse("amqp://guest:guest@127.0.0.1:5672/%2f?exchange=ev&heartbeat=10")
            .unwrap();
        assert_eq!(
            amqp,
            SinkUrl::Amqp {
                uri: "amqp://guest:guest@127.0.0.1:5672/%2f?heartbeat=10".into(),
                exchange: "ev".into()
            }
        );
        assert_eq!(amqp.label(), "amqp://guest:***@127.0.0.1:5672/%2f#ev");
        assert!(
            SinkUrl::parse("kafka://x:9092")
                .unwrap_err()
                .contains("nats:// or amqp://")
        );
        assert!(SinkUrl::parse("nats://x?stream=a.b").is_err());
        assert!(SinkUrl::parse("amqp://x?exchange=amq.topic").is_err());
    }
}
