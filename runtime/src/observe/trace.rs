//! Spans over OTLP HTTP/JSON.
//!
//! Enabled by `SAGAC_OTLP` (`1`/`true`, or an `http://host:port/path` URL)
//! or `DD_TRACE_ENABLED=true`; the default endpoint is the Datadog
//! extension's OTLP receiver, `http://localhost:4318/v1/traces`. Export
//! runs on a spawned task with a short timeout, after the handler has
//! produced its result, so a missing or slow collector can never fail or
//! delay the invocation. The HTTP client is a minimal HTTP/1.1 POST over a
//! plain loopback TCP connection: no TLS, no pooling, nothing to configure.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::identity;

/// The default OTLP traces endpoint (Datadog extension).
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318/v1/traces";

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

/// Where spans go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceExporter {
    endpoint: Option<Endpoint>,
    timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    host: String,
    port: u16,
    path: String,
}

fn parse_endpoint(url: &str) -> Option<Endpoint> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/v1/traces"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, 80),
    };
    if host.is_empty() {
        return None;
    }
    Some(Endpoint {
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

impl TraceExporter {
    /// An exporter posting to `url` (plain `http://` only), or a disabled
    /// one if the URL is not usable.
    pub fn new(url: Option<&str>, timeout: Duration) -> Self {
        Self {
            endpoint: url.and_then(parse_endpoint),
            timeout,
        }
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
        self.endpoint.is_some()
    }

    /// Sends spans in the background; returns immediately. Without a Tokio
    /// runtime, or when disabled, the spans are dropped.
    pub fn export(&self, spans: Vec<Span>) {
        let Some(endpoint) = self.endpoint.clone() else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let body = otlp_json(&spans).to_string();
        let timeout = self.timeout;
        handle.spawn(async move {
            let _ = tokio::time::timeout(timeout, post(&endpoint, &body)).await;
        });
    }

    /// Sends spans and waits (bounded by the timeout) for the collector to
    /// answer; returns whether it answered with a 2xx status. For tests and
    /// for flushing at shutdown.
    pub async fn export_now(&self, spans: Vec<Span>) -> bool {
        let Some(endpoint) = &self.endpoint else {
            return false;
        };
        let body = otlp_json(&spans).to_string();
        matches!(
            tokio::time::timeout(self.timeout, post(endpoint, &body)).await,
            Ok(Ok(true))
        )
    }
}

async fn post(endpoint: &Endpoint, body: &str) -> std::io::Result<bool> {
    let mut stream =
        tokio::net::TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        endpoint.path,
        endpoint.host,
        endpoint.port,
        body.len(),
        body
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = [0u8; 12];
    let n = stream.read(&mut head).await?;
    Ok(n >= 10 && head.starts_with(b"HTTP/1.") && head[9] == b'2')
}

/// The OTLP/JSON `ExportTraceServiceRequest` body for spans (ids as hex,
/// times as decimal strings, per the OTLP JSON mapping).
pub fn otlp_json(spans: &[Span]) -> Value {
    let id = identity();
    let mut resource = vec![
        json!({"key": "service.name", "value": {"stringValue": id.service.clone().unwrap_or_else(|| "sagac".into())}}),
    ];
    if let Some(env) = &id.env {
        resource.push(json!({"key": "deployment.environment", "value": {"stringValue": env}}));
    }
    if let Some(version) = &id.version {
        resource.push(json!({"key": "service.version", "value": {"stringValue": version}}));
    }
    let spans: Vec<Value> = spans
        .iter()
        .map(|s| {
            let attributes: Vec<Value> = s
                .attributes
                .iter()
                .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
                .collect();
            let mut span = json!({
                "traceId": format!("{:032x}", s.trace_id),
                "spanId": format!("{:016x}", s.span_id),
                "name": s.name,
                "kind": 2,
                "startTimeUnixNano": s.start_unix_nanos.to_string(),
                "endTimeUnixNano": s.end_unix_nanos.to_string(),
                "attributes": attributes,
                "status": match &s.error {
                    None => json!({"code": 1}),
                    Some(message) => json!({"code": 2, "message": message}),
                },
            });
            if let Some(parent) = s.parent_id {
                span["parentSpanId"] = Value::from(format!("{parent:016x}"));
            }
            span
        })
        .collect();
    json!({
        "resourceSpans": [{
            "resource": {"attributes": resource},
            "scopeSpans": [{"scope": {"name": "sagac-runtime"}, "spans": spans}]
        }]
    })
}

/// The process-wide exporter.
pub fn exporter() -> &'static TraceExporter {
    static EXPORTER: OnceLock<TraceExporter> = OnceLock::new();
    EXPORTER.get_or_init(TraceExporter::from_env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn span() -> Span {
        Span {
            trace_id: 0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c,
            span_id: 0xb7ad_6b71_6920_3331,
            parent_id: Some(1),
            name: "saga.step".into(),
            start_unix_nanos: 1,
            end_unix_nanos: 2,
            attributes: vec![("saga.step".into(), "ReserveFlight".into())],
            error: Some("NoSeatsAvailable".into()),
        }
    }

    #[test]
    fn otlp_json_shape() {
        let body = otlp_json(&[span()]);
        let s = &body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(s["traceId"], "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(s["spanId"], "b7ad6b7169203331");
        assert_eq!(s["parentSpanId"], "0000000000000001");
        assert_eq!(s["status"]["code"], 2);
        assert_eq!(s["startTimeUnixNano"], "1");
    }

    #[test]
    fn endpoints_parse() {
        assert_eq!(
            parse_endpoint("http://localhost:4318/v1/traces"),
            Some(Endpoint {
                host: "localhost".into(),
                port: 4318,
                path: "/v1/traces".into()
            })
        );
        assert_eq!(parse_endpoint("https://x"), None);
        assert!(!TraceExporter::new(None, Duration::from_millis(1)).enabled());
    }

    #[tokio::test]
    async fn posts_to_a_collector() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 65536];
            let mut got = Vec::new();
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
                if n == 0
                    || String::from_utf8_lossy(&got).contains("resourceSpans")
                        && got.ends_with(b"}")
                {
                    break;
                }
            }
            socket
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8_lossy(&got).into_owned()
        });
        let exporter = TraceExporter::new(Some(&url), Duration::from_secs(5));
        assert!(exporter.export_now(vec![span()]).await);
        let request = server.await.unwrap();
        assert!(request.starts_with("POST /v1/traces HTTP/1.1\r\n"));
        assert!(request.contains("\"traceId\":\"0af7651916cd43dd8448eb211c80319c\""));
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
}
