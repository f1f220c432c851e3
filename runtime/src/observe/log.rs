//! JSON log lines.
//!
//! The current invocation's fields (saga id, step, trace and span ids) live
//! in a task-local [`LogContext`], set by the Lambda glue with
//! [`with_context`]; service code just calls [`info`] and the line carries
//! them. The minimum level comes from `SAGAC_LOG_LEVEL` or `DD_LOG_LEVEL`
//! (default `info`). A failed write to stdout is ignored.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

use super::{Identity, identity};

/// Log severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Diagnostic detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that did not fail the invocation.
    Warn,
    /// A failed invocation or lost work.
    Error,
}

impl Level {
    /// The upper-case name Datadog recognises as `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "debug" | "trace" => Some(Self::Debug),
            "info" => Some(Self::Info),
            "warn" | "warning" => Some(Self::Warn),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// Per-invocation log fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogContext {
    /// The saga id.
    pub saga_id: Option<String>,
    /// The step (state name).
    pub step: Option<String>,
    /// `dd.trace_id`: the low 64 bits of the trace id.
    pub trace_id: Option<u64>,
    /// `dd.span_id`: the invocation's span.
    pub span_id: Option<u64>,
}

tokio::task_local! {
    static CONTEXT: LogContext;
}

/// Runs `future` with `context` attached to every line it logs.
pub async fn with_context<F: Future>(context: LogContext, future: F) -> F::Output {
    CONTEXT.scope(context, future).await
}

/// The context of the running invocation, if any.
pub fn current_context() -> Option<LogContext> {
    CONTEXT.try_with(Clone::clone).ok()
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

fn min_level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        ["SAGAC_LOG_LEVEL", "DD_LOG_LEVEL"]
            .iter()
            .find_map(|name| std::env::var(name).ok().and_then(|v| Level::parse(&v)))
            .unwrap_or(Level::Info)
    })
}

/// Logs `message` with extra fields.
pub fn log(level: Level, message: &str, fields: &[(&str, Value)]) {
    if level < min_level() {
        return;
    }
    let line = render_line(
        &crate::time::now_rfc3339(),
        level,
        message,
        current_context().as_ref(),
        identity(),
        fields,
    );
    let sink = sink_cell()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match sink {
        Sink::Stdout => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
        Sink::Memory(lines) => lines.lock().unwrap_or_else(|p| p.into_inner()).push(line),
        Sink::Off => {}
    }
}

/// Logs at debug level.
pub fn debug(message: &str) {
    log(Level::Debug, message, &[]);
}

/// Logs at info level.
pub fn info(message: &str) {
    log(Level::Info, message, &[]);
}

/// Logs at warn level.
pub fn warn(message: &str) {
    log(Level::Warn, message, &[]);
}

/// Logs at error level.
pub fn error(message: &str) {
    log(Level::Error, message, &[]);
}

/// Renders one line (no trailing newline). Trace ids are decimal strings,
/// as Datadog's log-trace correlation expects.
pub fn render_line(
    timestamp: &str,
    level: Level,
    message: &str,
    context: Option<&LogContext>,
    identity: &Identity,
    fields: &[(&str, Value)],
) -> String {
    let mut line = Map::new();
    line.insert("timestamp".into(), Value::from(timestamp));
    line.insert("level".into(), Value::from(level.as_str()));
    line.insert("message".into(), Value::from(message));
    if let Some(c) = context {
        if let Some(s) = &c.saga_id {
            line.insert("saga_id".into(), Value::from(s.as_str()));
        }
        if let Some(s) = &c.step {
            line.insert("step".into(), Value::from(s.as_str()));
        }
        if let Some(t) = c.trace_id {
            line.insert("dd.trace_id".into(), Value::from(t.to_string()));
        }
        if let Some(s) = c.span_id {
            line.insert("dd.span_id".into(), Value::from(s.to_string()));
        }
    }
    for (name, value) in [
        ("dd.service", &identity.service),
        ("dd.env", &identity.env),
        ("dd.version", &identity.version),
    ] {
        if let Some(v) = value {
            line.insert(name.into(), Value::from(v.as_str()));
        }
    }
    for (name, value) in fields {
        line.insert((*name).to_owned(), value.clone());
    }
    Value::Object(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_json_line_with_datadog_fields() {
        let context = LogContext {
            saga_id: Some("trip-1".into()),
            step: Some("ReserveFlight".into()),
            trace_id: Some(1234),
            span_id: Some(99),
        };
        let identity = Identity {
            service: Some("flight".into()),
            env: Some("dev".into()),
            version: Some("1.2.3".into()),
        };
        let line = render_line(
            "2024-01-01T00:00:00.000Z",
            Level::Info,
            "step \"done\"\n",
            Some(&context),
            &identity,
            &[("duration_ms", Value::from(12))],
        );
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["saga_id"], "trip-1");
        assert_eq!(v["step"], "ReserveFlight");
        assert_eq!(v["dd.trace_id"], "1234");
        assert_eq!(v["dd.span_id"], "99");
        assert_eq!(v["dd.service"], "flight");
        assert_eq!(v["dd.env"], "dev");
        assert_eq!(v["dd.version"], "1.2.3");
        assert_eq!(v["duration_ms"], 12);
    }

    #[tokio::test]
    async fn context_is_task_local() {
        assert_eq!(current_context(), None);
        let c = LogContext {
            saga_id: Some("s".into()),
            ..Default::default()
        };
        let seen = with_context(c.clone(), async { current_context() }).await;
        assert_eq!(seen, Some(c));
    }

    #[test]
    fn levels_parse() {
        assert_eq!(Level::parse("WARNING"), Some(Level::Warn));
        assert_eq!(Level::parse("nope"), None);
        assert!(Level::Debug < Level::Error);
    }
}
