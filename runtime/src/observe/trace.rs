//! Spans over OTLP HTTP/JSON, through OpenTelemetry's own exporter.
//!
//! Enabled by `SAGAC_OTLP` (`1`/`true`, or an `http://host:port/path` URL)
//! or `DD_TRACE_ENABLED=true`; the default endpoint is the Datadog
//! extension's OTLP receiver, `http://localhost:4318/v1/traces`. Export
//! runs on a spawned task with a short timeout, after the handler has
//! produced its result, so a missing or slow collector can never fail or
//! delay the invocation.
//!
//! The wire side is `opentelemetry-otlp`'s HTTP exporter: the SDK's
//! [`SpanData`] becomes an `ExportTraceServiceRequest` (opentelemetry-proto's
//! message types and their OTLP JSON mapping), posted by opentelemetry-http's
//! hyper client (hyper-util's client over a plain `HttpConnector`, the hyper
//! lambda_runtime already links). There is no tracer provider and no span
//! processor: the invocation's one span is finished when the handler
//! returns, and its ids come from the Step Functions trace context, so it
//! goes straight to the exporter, on the invocation's own Tokio runtime.
//! A batch processor would hold spans on a thread of its own until a flush
//! that Lambda's freeze may never let happen.
//!
//! The endpoint, protocol, timeout and retry policy are set here, so the
//! exporter's `OTEL_EXPORTER_OTLP_*` variables for them have no effect;
//! `OTEL_EXPORTER_OTLP_HEADERS` (or `..._TRACES_HEADERS`) still adds
//! request headers, and a compression variable is ignored (no compression
//! feature is compiled in).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_otlp::{Protocol, RetryPolicy, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};

use super::identity;

/// The default OTLP traces endpoint (Datadog extension).
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318/v1/traces";

/// The instrumentation scope every span is reported under.
const SCOPE: &str = "sagac-runtime";

/// One finished span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// 128-bit trace id.
    pub trace_id: u128,
    /// This span.
    pub span_id: u64,
    /// The parent span, if any.
    pub parent_id: Option<u64>,
    /// Operation name, e.g. `saga.step`.
    pub name: String,
    /// Start, Unix nanoseconds.
    pub start_unix_nanos: u128,
    /// End, Unix nanoseconds.
    pub end_unix_nanos: u128,
    /// String attributes (`saga.id`, `saga.step`, `error.type`).
    pub attributes: Vec<(String, String)>,
    /// The error message if the operation failed.
    pub error: Option<String>,
}

impl From<Span> for SpanData {
    /// The SDK's form of a step's span: a server span (the Lambda serving
    /// Step Functions' task) whose parent is the remote state machine's.
    fn from(span: Span) -> Self {
        let time = |nanos: u128| {
            UNIX_EPOCH + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        };
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(span.trace_id),
                SpanId::from(span.span_id),
                TraceFlags::SAMPLED,
                false,
                TraceState::NONE,
            ),
            parent_span_id: span.parent_id.map_or(SpanId::INVALID, SpanId::from),
            parent_span_is_remote: span.parent_id.is_some(),
            span_kind: SpanKind::Server,
            name: span.name.into(),
            start_time: time(span.start_unix_nanos),
            end_time: time(span.end_unix_nanos),
            attributes: span
                .attributes
                .into_iter()
                .map(|(key, value)| KeyValue::new(key, value))
                .collect(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: match span.error {
                None => Status::Ok,
                Some(message) => Status::error(message),
            },
            instrumentation_scope: InstrumentationScope::builder(SCOPE).build(),
        }
    }
}

/// Where spans go.
#[derive(Debug, Clone)]
pub struct TraceExporter {
    otlp: Option<Arc<opentelemetry_otlp::SpanExporter>>,
    timeout: Duration,
}

/// The process's resource: `service.name`, `deployment.environment` and
/// `service.version` from the Datadog identity.
fn resource() -> Resource {
    let id = identity();
    let mut attributes = vec![KeyValue::new(
        "service.name",
        id.service.clone().unwrap_or_else(|| "sagac".into()),
    )];
    if let Some(env) = &id.env {
        attributes.push(KeyValue::new("deployment.environment", env.clone()));
    }
    if let Some(version) = &id.version {
        attributes.push(KeyValue::new("service.version", version.clone()));
    }
    Resource::builder_empty()
        .with_attributes(attributes)
        .build()
}

/// `url` as the traces endpoint: plain `http://` only (the collector is
/// the extension on loopback, and the exporter has no TLS), `/v1/traces`
/// when it names no path.
fn traces_url(url: &str) -> Option<String> {
    let authority_and_path = url.strip_prefix("http://")?;
    Some(if authority_and_path.contains('/') {
        url.to_owned()
    } else {
        format!("{url}/v1/traces")
    })
}

impl TraceExporter {
    /// An exporter posting to `url` (plain `http://` only), or a disabled
    /// one if the URL is not usable. Builds no connection: the first
    /// export connects.
    pub fn new(url: Option<&str>, timeout: Duration) -> Self {
        let otlp = url.and_then(traces_url).and_then(|url| {
            // One attempt: a retry would outlive the invocation's export
            // budget, and the next invocation brings the next span.
            let built = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpJson)
                .with_endpoint(url)
                .with_timeout(timeout)
                .with_retry_policy(RetryPolicy::disabled())
                .build();
            match built {
                Ok(mut exporter) => {
                    exporter.set_resource(&resource());
                    Some(Arc::new(exporter))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "OTLP exporter not built; spans are not sent");
                    None
                }
            }
        });
        Self { otlp, timeout }
    }

    /// Reads `SAGAC_OTLP` and `DD_TRACE_ENABLED`.
    pub fn from_env() -> Self {
        let timeout = Duration::from_millis(200);
        let flag = |v: &str| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes");
        match std::env::var("SAGAC_OTLP") {
            Ok(v) if v.starts_with("http://") => return Self::new(Some(&v), timeout),
            Ok(v) if flag(&v) => return Self::new(Some(DEFAULT_ENDPOINT), timeout),
            Ok(_) => return Self::new(None, timeout),
            Err(_) => {}
        }
        let enabled = std::env::var("DD_TRACE_ENABLED").is_ok_and(|v| flag(&v));
        Self::new(enabled.then_some(DEFAULT_ENDPOINT), timeout)
    }

    /// Whether spans are sent at all.
    pub fn enabled(&self) -> bool {
        self.otlp.is_some()
    }

    /// Sends spans in the background; returns immediately. Without a Tokio
    /// runtime, or when disabled, the spans are dropped.
    pub fn export(&self, spans: Vec<Span>) {
        let Some(otlp) = self.otlp.clone() else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let batch = spans.into_iter().map(SpanData::from).collect::<Vec<_>>();
        let timeout = self.timeout;
        handle.spawn(async move {
            let _ = tokio::time::timeout(timeout, otlp.export(batch)).await;
        });
    }

    /// Sends spans and waits (bounded by the timeout) for the collector to
    /// answer; returns whether it answered with a 2xx status. For tests and
    /// for flushing at shutdown.
    pub async fn export_now(&self, spans: Vec<Span>) -> bool {
        let Some(otlp) = &self.otlp else {
            return false;
        };
        let batch = spans.into_iter().map(SpanData::from).collect();
        matches!(
            tokio::time::timeout(self.timeout, otlp.export(batch)).await,
            Ok(Ok(()))
        )
    }
}

/// The process-wide exporter.
pub fn exporter() -> &'static TraceExporter {
    static EXPORTER: OnceLock<TraceExporter> = OnceLock::new();
    EXPORTER.get_or_init(TraceExporter::from_env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::time::{Instant, SystemTime};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn unix_nanos(time: SystemTime) -> u128 {
        time.duration_since(UNIX_EPOCH).unwrap().as_nanos()
    }

    fn span() -> Span {
        Span {
            trace_id: 0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c,
            span_id: 0xb7ad_6b71_6920_3331,
            parent_id: Some(1),
            name: "saga.step".into(),
            start_unix_nanos: 1_700_000_000_000_000_001,
            end_unix_nanos: 1_700_000_000_250_000_002,
            attributes: vec![("saga.step".into(), "ReserveFlight".into())],
            error: Some("NoSeatsAvailable".into()),
        }
    }

    #[test]
    fn spans_become_sdk_span_data() {
        let data = SpanData::from(span());
        assert_eq!(
            data.span_context.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(data.span_context.span_id().to_string(), "b7ad6b7169203331");
        assert_eq!(data.parent_span_id.to_string(), "0000000000000001");
        assert!(data.parent_span_is_remote);
        assert_eq!(data.span_kind, SpanKind::Server);
        assert_eq!(unix_nanos(data.start_time), 1_700_000_000_000_000_001);
        assert_eq!(unix_nanos(data.end_time), 1_700_000_000_250_000_002);
        assert_eq!(data.status, Status::error("NoSeatsAvailable"));
        let root = SpanData::from(Span {
            parent_id: None,
            error: None,
            ..span()
        });
        assert_eq!(root.parent_span_id, SpanId::INVALID);
        assert_eq!(root.status, Status::Ok);
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            traces_url("http://localhost:4318").as_deref(),
            Some("http://localhost:4318/v1/traces")
        );
        assert_eq!(
            traces_url("http://127.0.0.1:9/custom").as_deref(),
            Some("http://127.0.0.1:9/custom")
        );
        assert_eq!(traces_url("https://x"), None);
        let timeout = Duration::from_millis(1);
        assert!(!TraceExporter::new(None, timeout).enabled());
        assert!(!TraceExporter::new(Some("https://x/v1/traces"), timeout).enabled());
        assert!(!TraceExporter::new(Some("http://bad host/v1/traces"), timeout).enabled());
        assert!(TraceExporter::new(Some(DEFAULT_ENDPOINT), timeout).enabled());
    }

    /// One HTTP/1.1 request read off `socket`: the head (request line and
    /// headers, as text) and the body (`Content-Length` bytes).
    async fn read_request(socket: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        let head_end = loop {
            if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed inside the request head");
            got.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8(got[..head_end].to_vec()).unwrap();
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().unwrap())
            })
            .expect("a Content-Length header");
        while got.len() < head_end + length {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed inside the request body");
            got.extend_from_slice(&buf[..n]);
        }
        (head, got[head_end..head_end + length].to_vec())
    }

    #[tokio::test]
    async fn posts_to_a_collector() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let request = read_request(&mut socket).await;
            socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
                )
                .await
                .unwrap();
            request
        });
        let exporter = TraceExporter::new(Some(&url), Duration::from_secs(5));
        assert!(exporter.export_now(vec![span()]).await);
        let (head, body) = server.await.unwrap();
        assert!(head.starts_with("POST /v1/traces HTTP/1.1\r\n"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json\r\n"),
            "{head}"
        );

        // The OTLP/HTTP JSON encoding of an ExportTraceServiceRequest: ids
        // as lowercase hex, 64-bit times as decimal strings, enums as
        // integers, attribute values as AnyValue objects.
        let body: Value = serde_json::from_slice(&body).unwrap();
        let resource_spans = &body["resourceSpans"][0];
        let resource = resource_spans["resource"]["attributes"].as_array().unwrap();
        assert!(
            resource
                .iter()
                .any(|a| a["key"] == "service.name" && a["value"]["stringValue"].is_string()),
            "{resource:?}"
        );
        let scope_spans = &resource_spans["scopeSpans"][0];
        assert_eq!(scope_spans["scope"]["name"], SCOPE);
        let s = &scope_spans["spans"][0];
        assert_eq!(s["traceId"], "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(s["spanId"], "b7ad6b7169203331");
        assert_eq!(s["parentSpanId"], "0000000000000001");
        assert_eq!(s["name"], "saga.step");
        assert_eq!(s["kind"], 2);
        assert_eq!(s["startTimeUnixNano"], "1700000000000000001");
        assert_eq!(s["endTimeUnixNano"], "1700000000250000002");
        assert_eq!(
            s["attributes"],
            serde_json::json!([{"key": "saga.step", "value": {"stringValue": "ReserveFlight"}}])
        );
        assert_eq!(s["status"]["code"], 2);
        assert_eq!(s["status"]["message"], "NoSeatsAvailable");
    }

    #[tokio::test]
    async fn a_collector_error_status_is_not_success() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            read_request(&mut socket).await;
            socket
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
                .await
                .unwrap();
        });
        let exporter = TraceExporter::new(Some(&url), Duration::from_secs(5));
        assert!(!exporter.export_now(vec![span()]).await);
    }

    #[tokio::test]
    async fn nothing_listening_is_harmless_and_does_not_block() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let exporter = TraceExporter::new(
            Some(&format!("http://127.0.0.1:{port}/v1/traces")),
            Duration::from_millis(200),
        );
        let start = Instant::now();
        for _ in 0..100 {
            exporter.export(vec![span()]);
        }
        // Background export returns at once whatever happens to the posts.
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(!exporter.export_now(vec![span()]).await);
    }

    #[tokio::test]
    async fn a_collector_that_never_answers_costs_only_the_timeout() {
        // Accepts connections, keeps them open, and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        let _server = tokio::spawn(async move {
            let mut open = Vec::new();
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                open.push(socket);
            }
        });
        let exporter = TraceExporter::new(Some(&url), Duration::from_millis(200));
        let start = Instant::now();
        exporter.export(vec![span()]);
        assert!(start.elapsed() < Duration::from_millis(100));
        assert!(!exporter.export_now(vec![span()]).await);
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(200) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
    }
}
