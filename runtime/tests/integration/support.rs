//! Test support: a moto_server to talk to, SDK clients pointed at it, and
//! tables with unique names.
//!
//! The endpoint is `AWS_ENDPOINT_URL` when set (e.g. by
//! `scripts/moto-server.sh env`). Otherwise the first test to need it starts
//! `.cache/venv/bin/moto_server` (installed by `scripts/setup-tools.sh`) or
//! `moto_server` from `PATH` on a free loopback port, under a small shell
//! wrapper that stops it when this test process exits (the wrapper waits
//! for end-of-file on a pipe only this process holds).

use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};
use sagac_runtime::store::{DynamoStore, StoreConfig};
use serde_json::Value;

struct Moto {
    endpoint: String,
    // Held so the wrapper's stdin stays open until the process exits.
    _wrapper: Option<Child>,
}

/// The command that starts the project's test server: moto's server
/// handling one request at a time (`scripts/moto_server_serial.py` says
/// why), with the Python of `.cache/venv` (`scripts/setup-tools.sh`).
fn moto_command() -> Option<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".cache/venv/bin/python");
    let script = root.join("scripts/moto_server_serial.py");
    (python.exists() && script.exists())
        .then(|| format!("'{}' '{}'", python.display(), script.display()))
}

fn start_moto() -> Moto {
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
        return Moto {
            endpoint,
            _wrapper: None,
        };
    }
    let Some(command) = moto_command() else {
        panic!(
            "no DynamoDB-compatible server: AWS_ENDPOINT_URL is unset and .cache/venv has no moto. \
             Run scripts/setup-tools.sh (installs moto into .cache/venv), or \
             start one with scripts/moto-server.sh start and eval \"$(scripts/moto-server.sh env)\"."
        );
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port");
    let log = std::env::temp_dir().join(format!("sagac-runtime-moto-{port}.log"));
    let script = format!(
        "{command} -H 127.0.0.1 -p {port} >'{}' 2>&1 & pid=$!; read _; kill $pid",
        log.display()
    );
    let wrapper = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if http_get_ok(port) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "moto_server did not answer on port {port} within 60 s; see {}",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _wrapper: Some(wrapper),
    }
}

fn http_get_ok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    use std::io::Write;
    if s.write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    matches!(s.read(&mut head), Ok(n) if n >= 12 && head.starts_with(b"HTTP/1."))
}

/// The moto endpoint (started on first use).
pub fn endpoint() -> &'static str {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    &MOTO.get_or_init(start_moto).endpoint
}

/// SDK configuration for moto: fixed region and dummy credentials.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(endpoint())
        .load()
        .await
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        sagac_runtime::time::epoch_nanos() % 1_000_000
    )
}

/// Creates a single table like the generated stack's (PK/SK strings, GSI1,
/// stream with new and old images) and returns a store over it.
pub async fn dynamo_store() -> DynamoStore {
    let sdk = sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let name = unique("saga");
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute definition")
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("key schema")
    };
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("PK"))
        .attribute_definitions(attr("SK"))
        .attribute_definitions(attr("GSI1PK"))
        .attribute_definitions(attr("GSI1SK"))
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("GSI1")
                .key_schema(key("GSI1PK", KeyType::Hash))
                .key_schema(key("GSI1SK", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("gsi"),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .expect("stream spec"),
        )
        .send()
        .await
        .expect("create table");
    DynamoStore::new(client, StoreConfig::new(name))
}

/// One call of an AWS JSON-protocol API on moto, over plain HTTP (used for
/// SQS, which the runtime has no SDK crate for).
pub async fn aws_json(service: &str, target: &str, body: &Value) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let endpoint = endpoint();
    let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {authority}\r\nX-Amz-Target: {target}\r\n\
         Content-Type: application/x-amz-json-1.0\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect to moto");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("receive");
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{target} failed: {text}"
    );
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}
