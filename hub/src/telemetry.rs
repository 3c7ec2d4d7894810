//! Logs and traces: the `tracing` subscriber of the binary.
//!
//! Logs go to stderr, as text on a terminal and as one JSON object a line otherwise (a log
//! collector reads them), with the request's id as a top-level `request_id` field. Colour codes
//! only on a terminal. Traces are exported over OTLP/HTTP (protobuf) when an endpoint is given;
//! off by default, so a hub without a collector pays nothing for them.

use std::fmt;
use std::io::IsTerminal;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{Format, Json, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, Layered, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// How logs are written (`--log-format`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (colour on a terminal only).
    Text,
    /// One JSON object a line.
    Json,
}

/// The global telemetry flags (every subcommand takes them).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TelemetryArgs {
    /// Log format on stderr; default: text on a terminal, json otherwise.
    #[arg(long, env = "SHIPHUB_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Export traces over OTLP/HTTP (protobuf) to this collector, e.g. http://127.0.0.1:4318
    /// (`/v1/traces` is appended unless the URL ends with it). Off when unset.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,
}

/// Keeps the trace exporter alive; dropping it flushes the spans not sent yet.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take()
            && let Err(e) = p.shutdown()
        {
            eprintln!("shiphub: flushing traces failed: {e}");
        }
    }
}

/// The OTLP/HTTP traces URL for an endpoint: a base endpoint gets the signal path appended,
/// as the specification says for OTEL_EXPORTER_OTLP_ENDPOINT (a full `/v1/traces` URL is kept).
fn traces_url(endpoint: &str) -> String {
    let trimmed = endpoint.trim_end_matches('/');
    if trimmed.ends_with("/v1/traces") {
        trimmed.to_string()
    } else {
        format!("{trimmed}/v1/traces")
    }
}

/// Installs the global subscriber. Call before the tokio runtime exists: the exporter's
/// blocking HTTP client runs a runtime of its own.
pub fn init(args: &TelemetryArgs) -> Result<Telemetry, String> {
    let on_terminal = std::io::stderr().is_terminal();
    let format = args.log_format.unwrap_or(if on_terminal {
        LogFormat::Text
    } else {
        LogFormat::Json
    });
    let filter = EnvFilter::try_from_env("SHIPHUB_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(on_terminal);
    // One global filter for logs and traces alike. With a per-layer filter on the
    // OpenTelemetry layer (tracing-subscriber 0.3.23) the carrier and store spans came out as
    // traces of their own, cut off from their request (not diagnosed further). So the
    // exported spans are the ones the log filter enables: `info`, the default, has the
    // request, carrier call and store spans; `SHIPHUB_LOG=warn` leaves only the request's.
    let logs: Box<dyn Layer<Layered<EnvFilter, Registry>> + Send + Sync> = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt
            .json()
            .event_format(WithRequestId(
                tracing_subscriber::fmt::format()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            ))
            .boxed(),
    };
    let mut provider = None;
    let traces = match args.otlp_endpoint.as_deref().filter(|e| !e.is_empty()) {
        None => None,
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(traces_url(endpoint))
                .build()
                .map_err(|e| format!("--otlp-endpoint {endpoint}: {e}"))?;
            let resource = opentelemetry_sdk::Resource::builder()
                .with_service_name("shiphub")
                .build();
            let p = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource)
                .build();
            let tracer = p.tracer("shiphub");
            provider = Some(p);
            Some(tracing_opentelemetry::layer().with_tracer(tracer))
        }
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(RequestIds)
        .with(traces)
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(Telemetry { provider })
}

/// The `request_id` of a `request` span, kept in the span's extensions by `RequestIds`.
struct RequestId(String);

/// Keeps each `request` span's id where the JSON formatter finds it.
struct RequestIds;

impl<S> Layer<S> for RequestIds
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "request" {
            return;
        }
        let mut found = FindRequestId(None);
        attrs.record(&mut found);
        if let (Some(rid), Some(span)) = (found.0, ctx.span(id)) {
            span.extensions_mut().insert(RequestId(rid));
        }
    }
}

struct FindRequestId(Option<String>);

impl Visit for FindRequestId {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "request_id" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "request_id" {
            // `%id` records a Display value, whose Debug is its Display.
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// tracing-subscriber's JSON lines with the request's id (from the enclosing `request` span,
/// see `api::edge::request_id`) lifted to a top-level `request_id` field, where log queries
/// look for it whatever span the line was written in.
struct WithRequestId(Format<Json>);

impl<S, N> FormatEvent<S, N> for WithRequestId
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let request_id = ctx.event_scope().and_then(|scope| {
            scope
                .from_root()
                .find_map(|span| span.extensions().get::<RequestId>().map(|r| r.0.clone()))
        });
        let Some(id) = request_id else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line.trim_end()) {
            Ok(mut obj) => {
                obj.insert("request_id".into(), id.into());
                let out = serde_json::to_string(&obj).map_err(|_| fmt::Error)?;
                writeln!(writer, "{out}")
            }
            Err(_) => writer.write_str(&line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::traces_url;

    #[test]
    fn the_base_endpoint_gets_the_traces_path() {
        assert_eq!(
            traces_url("http://127.0.0.1:4318"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/otlp"),
            "http://collector:4318/otlp/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/v1/traces"),
            "http://collector:4318/v1/traces"
        );
    }
}
