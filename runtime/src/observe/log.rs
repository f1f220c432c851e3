//! JSON log lines, through `tracing`.
//!
//! Code logs with `tracing`'s macros (re-exported as
//! `sagac_runtime::tracing`): `tracing::info!(retry_count, "step succeeded")`.
//! The Lambda glue runs each invocation inside a [`step_span`] that carries
//! `saga_id`, `step`, `dd.trace_id` and `dd.span_id`; [`init`], called once
//! when a Lambda starts, installs tracing-subscriber's registry with
//! [`DatadogLayer`], which writes each event as one JSON object per line:
//! timestamp, level, message, the fields of every span around the event
//! (outermost first, so lambda_runtime's `requestId` too), `dd.service` /
//! `dd.env` / `dd.version`, then the event's own fields. That is what
//! Datadog needs to join logs to traces. The minimum level comes from
//! `SAGAC_LOG_LEVEL` or `DD_LOG_LEVEL` (default `info`). Where no
//! subscriber is installed (local runs, tests) nothing is written; a failed
//! write to stdout is ignored.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

use super::{Identity, identity};

/// The span of one step invocation: every line logged inside it carries
/// the saga id, the step, and the Datadog trace and span ids (decimal
/// strings, as Datadog's log-trace correlation expects).
pub fn step_span(saga_id: &str, step: &str, trace_id: Option<u64>, span_id: u64) -> tracing::Span {
    let span = tracing::info_span!(
        "saga.step",
        saga_id,
        step,
        "dd.trace_id" = tracing::field::Empty,
        "dd.span_id" = tracing::field::Empty,
    );
    // Recorded in this order, so lines list them in this order.
    if let Some(trace_id) = trace_id {
        span.record("dd.trace_id", tracing::field::display(trace_id));
    }
    span.record("dd.span_id", tracing::field::display(span_id));
    span
}

/// Where lines go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// Standard output (Lambda ships it to CloudWatch / Datadog).
    Stdout,
    /// Collected in memory (tests).
    Memory(Arc<Mutex<Vec<String>>>),
    /// Dropped.
    Off,
}

fn sink_cell() -> &'static Mutex<Sink> {
    static SINK: OnceLock<Mutex<Sink>> = OnceLock::new();
    SINK.get_or_init(|| Mutex::new(Sink::Stdout))
}

/// Redirects all log lines of the process (tests use `Sink::Memory` or
/// `Sink::Off`).
pub fn set_sink(sink: Sink) {
    *sink_cell().lock().unwrap_or_else(|p| p.into_inner()) = sink;
}

fn write_line(sink: Option<&Sink>, line: &str) {
    let sink = match sink {
        Some(sink) => sink.clone(),
        None => sink_cell()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
    };
    match sink {
        Sink::Stdout => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
        Sink::Memory(lines) => lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line.to_owned()),
        Sink::Off => {}
    }
}

/// The minimum level: `SAGAC_LOG_LEVEL`, else `DD_LOG_LEVEL`, else info.
pub fn min_level() -> LevelFilter {
    ["SAGAC_LOG_LEVEL", "DD_LOG_LEVEL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().and_then(|v| parse_level(&v)))
        .unwrap_or(LevelFilter::INFO)
}

fn parse_level(text: &str) -> Option<LevelFilter> {
    match text.trim().to_ascii_lowercase().as_str() {
        "trace" => Some(LevelFilter::TRACE),
        "debug" => Some(LevelFilter::DEBUG),
        "info" => Some(LevelFilter::INFO),
        "warn" | "warning" => Some(LevelFilter::WARN),
        "error" => Some(LevelFilter::ERROR),
        "off" => Some(LevelFilter::OFF),
        _ => None,
    }
}

/// Installs the process's subscriber: the registry with [`DatadogLayer`]
/// at [`min_level`]. Once per process; a second call (or a subscriber
/// installed by someone else) leaves the first in place.
pub fn init() {
    let subscriber =
        tracing_subscriber::registry().with(DatadogLayer::default().with_filter(min_level()));
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The layer that writes Datadog JSON lines (see the module docs), to the
/// process's sink ([`set_sink`]) unless given one of its own.
#[derive(Debug, Clone, Default)]
pub struct DatadogLayer {
    sink: Option<Sink>,
}

impl DatadogLayer {
    /// A layer writing to `sink` rather than the process's.
    pub fn to(sink: Sink) -> Self {
        DatadogLayer { sink: Some(sink) }
    }
}

/// The fields recorded on a span or an event, in the order recorded.
#[derive(Debug, Clone, Default)]
struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
}

impl<S> Layer<S> for DatadogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<Fields>()
        {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let message = match fields.0.remove("message") {
            Some(Value::String(message)) => message,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let mut context = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(span_fields) = span.extensions().get::<Fields>() {
                    context.extend(span_fields.0.clone());
                }
            }
        }
        write_line(
            self.sink.as_ref(),
            &render_line(
                &crate::time::now_rfc3339(),
                *event.metadata().level(),
                &message,
                &context,
                identity(),
                &fields.0,
            ),
        );
    }
}

/// Renders one line (no trailing newline): timestamp, level, message, the
/// spans' fields, the service's identity, the event's fields.
pub fn render_line(
    timestamp: &str,
    level: Level,
    message: &str,
    context: &Map<String, Value>,
    identity: &Identity,
    fields: &Map<String, Value>,
) -> String {
    let mut line = Map::new();
    line.insert("timestamp".into(), Value::from(timestamp));
    line.insert("level".into(), Value::from(level.as_str()));
    line.insert("message".into(), Value::from(message));
    line.extend(context.clone());
    for (name, value) in [
        ("dd.service", &identity.service),
        ("dd.env", &identity.env),
        ("dd.version", &identity.version),
    ] {
        if let Some(v) = value {
            line.insert(name.into(), Value::from(v.as_str()));
        }
    }
    line.extend(fields.clone());
    Value::Object(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future as _;
    use tracing::Instrument as _;

    fn identity() -> Identity {
        Identity {
            service: Some("flight".into()),
            env: Some("dev".into()),
            version: Some("1.2.3".into()),
        }
    }

    #[test]
    fn renders_one_json_line_with_datadog_fields() {
        let context = serde_json::json!({
            "saga_id": "trip-1", "step": "ReserveFlight", "dd.trace_id": "1234", "dd.span_id": "99"
        });
        let fields = serde_json::json!({"duration_ms": 12});
        let line = render_line(
            "2024-01-01T00:00:00.000Z",
            Level::INFO,
            "step \"done\"\n",
            context.as_object().unwrap(),
            &identity(),
            fields.as_object().unwrap(),
        );
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["saga_id"], "trip-1");
        assert_eq!(v["dd.trace_id"], "1234");
        assert_eq!(v["dd.service"], "flight");
        assert_eq!(v["dd.env"], "dev");
        assert_eq!(v["dd.version"], "1.2.3");
        assert_eq!(v["duration_ms"], 12);
    }

    /// Lines written by the layer inside a step span, in memory.
    fn captured(run: impl FnOnce()) -> Vec<Value> {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let layer = DatadogLayer::to(Sink::Memory(Arc::clone(&lines)));
        let subscriber = tracing_subscriber::registry().with(layer.with_filter(LevelFilter::INFO));
        tracing::subscriber::with_default(subscriber, run);
        let lines = lines.lock().unwrap().clone();
        lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn a_step_span_puts_the_saga_and_trace_ids_on_every_line() {
        let lines = captured(|| {
            let span = step_span("trip-1", "ReserveFlight", Some(1234), 99);
            let _entered = span.enter();
            tracing::info!(
                retry_count = 2_u64,
                "error.type" = "TransientError",
                "step succeeded"
            );
            tracing::debug!("below the level: not written");
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert_eq!(line["message"], "step succeeded");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["saga_id"], "trip-1");
        assert_eq!(line["step"], "ReserveFlight");
        assert_eq!(line["dd.trace_id"], "1234");
        assert_eq!(line["dd.span_id"], "99");
        assert_eq!(line["retry_count"], 2);
        assert_eq!(line["error.type"], "TransientError");
        let keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            &keys[..7],
            [
                "timestamp",
                "level",
                "message",
                "saga_id",
                "step",
                "dd.trace_id",
                "dd.span_id"
            ]
        );
    }

    #[test]
    fn without_a_trace_there_is_no_trace_id_and_spans_follow_futures() {
        let lines = captured(|| {
            let future = async { tracing::warn!("inside") }.instrument(step_span(
                "trip-2",
                "CancelFlight",
                None,
                7,
            ));
            let mut future = std::pin::pin!(future);
            let mut context = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(future.as_mut().poll(&mut context).is_ready());
            tracing::error!("outside");
        });
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["saga_id"], "trip-2");
        assert!(lines[0].get("dd.trace_id").is_none());
        assert_eq!(lines[0]["level"], "WARN");
        assert!(lines[1].get("saga_id").is_none());
    }

    #[test]
    fn levels_parse() {
        assert_eq!(parse_level("WARNING"), Some(LevelFilter::WARN));
        assert_eq!(parse_level("nope"), None);
    }
}
