//! Test support for the travel services, shared by their integration tests
//! and the end-to-end saga test (`services/e2e`):
//!
//! - [`endpoint`]: a DynamoDB-wire server to talk to, `sagac-moto`'s:
//!   `AWS_ENDPOINT_URL` when set (`scripts/test.sh` sets it); otherwise one
//!   the first caller starts for the test process.
//! - [`table`]: a fresh table shaped like the generated stack's
//!   `TripSagaTable` (string `PK`/`SK`, `GSI1`, a stream with new and old
//!   images), and a [`DynamoStore`] over it.
//! - [`scan`]: every item of a table, in key order, to check what a test
//!   wrote and, above all, what it did not.
//! - [`payload`]: a step invocation in the shape the state machine sends
//!   (`sagac_contract::payload`): the context fields (`Execution`, `State`,
//!   `StateMachine`), `input` and, on compensation paths, `error`. Its
//!   `input` is every request field and every output so far (by the step's
//!   snake_case name): a superset of what any one step's `input:` declares,
//!   which the generated decoders accept (they ignore what a step does not
//!   receive). The state machine itself passes each step only its own
//!   input; `tests/asl` and the local executor's runs check that.
//! - [`memory`]: the saga's table in memory with failures on demand, and
//!   [`block_on`], which runs a use case over it to its end with no
//!   executor (the services' use-case tests).
//! - [`lambda`]: a fake Lambda Runtime API, to run the real service
//!   binaries, time their init and read their peak memory.
//! - [`service`]: one service under test on the test server, its handler
//!   invoked as the Lambda invokes it and its binary behind the fake
//!   Runtime API (every service's `tests/moto.rs`).
#![deny(missing_docs)]

pub mod lambda;
pub mod memory;
pub mod service;
pub mod stack;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};
use sagac_runtime::attribute::from_attributes;
use sagac_runtime::store::{DynamoStore, Item, Store, StoreConfig};
use serde_json::{Map, Value, json};

/// Runs a future that never waits on anything outside itself to its end:
/// a use case over a repository on the runtime's `MemoryStore` (or a
/// `FaultyStore` over one) is such a future, so polling until ready needs
/// no executor.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// The DynamoDB SDK client, for callers that create tables.
pub use aws_sdk_dynamodb::Client as DynamoClient;

/// The saga's name: the state machine's and the ARN's.
pub const SAGA: &str = "TripBooking";

/// The server's endpoint, e.g. `http://127.0.0.1:5000` (started on first
/// use unless `AWS_ENDPOINT_URL` names one; `sagac-moto`).
pub use sagac_moto::endpoint;

/// SDK configuration for the server: a fixed region and dummy credentials.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(endpoint())
        .load()
        .await
}

/// A name no other test (in this or a concurrent process) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        sagac_runtime::time::epoch_nanos() % 1_000_000
    )
}

/// Creates the table `name` shaped like the generated stack's
/// `TripSagaTable`: string `PK`/`SK`, index `GSI1` (`GSI1PK`/`GSI1SK`, all
/// attributes), and, if `stream`, a stream with new and old images.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str, stream: bool) {
    let attribute = |n: &str| {
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
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("PK"))
        .attribute_definitions(attribute("SK"))
        .attribute_definitions(attribute("GSI1PK"))
        .attribute_definitions(attribute("GSI1SK"))
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
                .expect("index"),
        )
        .set_stream_specification(stream.then(|| {
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .expect("stream specification")
        }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create table {name}: {e:?}"));
}

/// A fresh table (see [`create_table`], with its stream) with a unique
/// name, and a store over it. Logs of the runtime are switched off, so test
/// output stays readable.
pub async fn table() -> DynamoStore {
    table_with(true).await
}

/// [`table`], with or without the stream. moto keeps every stream record
/// of a table and copies the whole table, records included, on every
/// `TransactWriteItems`; a benchmark that does not read the stream is
/// better off without it.
pub async fn table_with(stream: bool) -> DynamoStore {
    quiet();
    let sdk = sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let name = unique("TripSagaTable");
    create_table(&client, &name, stream).await;
    DynamoStore::new(client, StoreConfig::new(name))
}

/// Switches the runtime's JSON logs off.
pub fn quiet() {
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
}

/// Every item of the store's table, sorted by `PK` then `SK`.
pub async fn scan(store: &DynamoStore) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = store
            .client()
            .scan()
            .table_name(&store.config().table_name)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap_or_else(|e| panic!("scan: {e:?}"));
        for item in page.items() {
            items.push(from_attributes(item).expect("a JSON item"));
        }
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => break,
        }
    }
    let key = |item: &Item| {
        (
            item["PK"].as_str().unwrap_or_default().to_owned(),
            item["SK"].as_str().unwrap_or_default().to_owned(),
        )
    };
    items.sort_by_key(key);
    items
}

/// The items of `items` whose sort key starts with `prefix`.
pub fn with_sk_prefix<'a>(items: &'a [Item], prefix: &str) -> Vec<&'a Item> {
    items
        .iter()
        .filter(|i| i["SK"].as_str().is_some_and(|sk| sk.starts_with(prefix)))
        .collect()
}

/// A start request of the saga for `trip_id`, valid against the spec's
/// `request` schema and the demo catalogues of the services: NH203 from
/// HND to CDG (1200.50 a seat), PAR-LOUVRE (240.00 a night), 2 seats,
/// 1 room, 2025-04-01 to 2025-04-05, 3361.00 EUR on an approved card.
pub fn request(trip_id: &str) -> Value {
    json!({
        "trip_id": trip_id,
        "customer_id": "customer-0042",
        "origin": "HND",
        "destination": "CDG",
        "depart_on": "2025-04-01",
        "return_on": "2025-04-05",
        "flight_number": "NH203",
        "hotel_code": "PAR-LOUVRE",
        "rooms": 1,
        "seats": 2,
        "amount": 3361.0,
        "currency": "EUR",
        "card_token": "tok_visa_4242424242424242"
    })
}

/// One execution of the saga, as the state machine runs it: its name (the
/// saga id), its start request, and the outputs of the steps so far.
#[derive(Debug, Clone)]
pub struct Execution {
    /// The saga (state machine) name.
    pub saga: String,
    /// `Execution.Name`: the saga id.
    pub name: String,
    /// The start request (`$.request`).
    pub request: Value,
    /// `$.results`: `{"<State>": {"output": ...}}`.
    pub results: Map<String, Value>,
    /// `$.error` on a compensation path: `{"Error": ..., "Cause": ...}`.
    pub error: Option<Value>,
}

impl Execution {
    /// A new execution of the travel saga for `request`, named after its
    /// `trip_id`.
    pub fn new(request: Value) -> Self {
        let name = request["trip_id"]
            .as_str()
            .expect("request.trip_id")
            .to_owned();
        Execution::of(SAGA, &name, request)
    }

    /// A new execution of the saga `saga` named `name` for `request`.
    pub fn of(saga: &str, name: &str, request: Value) -> Self {
        Execution {
            saga: saga.to_owned(),
            name: name.to_owned(),
            request,
            results: Map::new(),
            error: None,
        }
    }

    /// The execution ARN.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:states:us-east-1:123456789012:execution:{}:{}",
            self.saga, self.name
        )
    }

    /// The context fields of an invocation of `state`, attempt
    /// `retry_count`, as the state machine passes them.
    pub fn context(&self, state: &str, retry_count: u32) -> Value {
        json!({
            "Execution": {
                "Id": self.arn(),
                "Name": self.name,
                "StartTime": "2025-03-01T09:00:00.000Z"
            },
            "State": {
                "EnteredTime": "2025-03-01T09:00:01.000Z",
                "Name": state,
                "RetryCount": retry_count
            },
            "StateMachine": {
                "Id": format!("arn:aws:states:us-east-1:123456789012:stateMachine:{}", self.saga),
                "Name": self.saga
            }
        })
    }

    /// The step input: every request field, and every output so far under
    /// its step's snake_case name (a superset of any step's `input:`).
    pub fn input(&self) -> Value {
        let mut input = self.request.as_object().cloned().unwrap_or_default();
        for (state, result) in &self.results {
            input.insert(snake(state), result["output"].clone());
        }
        Value::Object(input)
    }

    /// The payload of an invocation of `state` (attempt `retry_count`).
    pub fn payload(&self, state: &str, retry_count: u32) -> Value {
        let mut payload = self.context(state, retry_count);
        payload["input"] = self.input();
        if let Some(error) = &self.error {
            payload["error"] = error.clone();
        }
        payload
    }

    /// Records a step's output where the state machine puts it,
    /// `$.results.<State>.output`.
    pub fn record(&mut self, state: &str, output: Value) {
        self.results
            .insert(state.to_owned(), json!({ "output": output }));
    }

    /// Records the failure that sends the saga down its compensation path,
    /// as a `Catch` with `ResultPath: $.error` does.
    pub fn fail(&mut self, error: &str, cause: &str) {
        self.error = Some(json!({"Error": error, "Cause": cause}));
    }
}

/// `ReserveFlight` as `reserve_flight`: a step's field in a step input.
fn snake(state: &str) -> String {
    let mut out = String::new();
    for (i, c) in state.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// What the state machine passes `state` of the reference saga in its
/// `input`: the request fields and earlier outputs (by snake_case step
/// name) its spec `input:` declares, the saga id and the root's key fields,
/// and for a compensation its step's output. Read from
/// `spec/trip.saga.yaml` through the compiler, so no test restates a step's
/// input.
pub fn received(state: &str) -> Vec<String> {
    static SAGA: OnceLock<sagac_core::ir::Saga> = OnceLock::new();
    let saga = SAGA.get_or_init(|| {
        let text = include_str!("../../../spec/trip.saga.yaml");
        sagac_core::compile(&sagac_core::source::SourceFile::new(
            "spec/trip.saga.yaml",
            text,
        ))
        .unwrap_or_else(|d| panic!("the reference spec compiles: {d:?}"))
    });
    let action = saga
        .services
        .iter()
        .flat_map(|s| &s.actions)
        .find(|a| a.state == state)
        .unwrap_or_else(|| panic!("`{state}` is not a task of the reference saga"));
    let mut out = action.input.fields.clone();
    out.extend(action.input.results.iter().map(|s| snake(s)));
    if action.compensation && action.result.is_some() {
        out.push(snake(&action.step));
    }
    out
}

/// `payload` as the state machine would pass it to `state`: its `input`
/// without what only other steps receive.
pub fn as_received(state: &str, payload: &Value) -> Value {
    let received = received(state);
    let mut payload = payload.clone();
    if let Some(input) = payload.get_mut("input").and_then(Value::as_object_mut) {
        input.retain(|field, _| received.iter().any(|r| r == field));
    }
    payload
}

/// A payload and what is wrong with it.
pub type Case = (&'static str, Value);

/// [`malformed`] for `state`, split into the payloads wrong in what `state`
/// receives (each must be `Saga.InvalidPayload`) and those wrong only in
/// what other steps receive, which as `state` receives them are the good
/// payload (the service must act on them as on the good one).
pub fn malformed_split(state: &str, other_state: &str) -> (Vec<Case>, Vec<Case>) {
    let good = as_received(
        state,
        &Execution::new(request("trip-0001")).payload(state, 0),
    );
    malformed(state, other_state)
        .into_iter()
        .partition(|(_, payload)| as_received(state, payload) != good)
}

/// The payload of the first attempt of `state` for a new execution of
/// `request`, with no results yet.
pub fn payload(state: &str, request: Value) -> Value {
    Execution::new(request).payload(state, 0)
}

/// The items of `after` that are new or different from `before` (both as
/// [`scan`] returns them), in key order; and the keys of those `after` no
/// longer has.
pub fn diff(before: &[Item], after: &[Item]) -> (Vec<Item>, Vec<(String, String)>) {
    let key = |item: &Item| {
        (
            item["PK"].as_str().unwrap_or_default().to_owned(),
            item["SK"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let old: std::collections::BTreeMap<_, _> = before.iter().map(|i| (key(i), i)).collect();
    let new: std::collections::BTreeMap<_, _> = after.iter().map(|i| (key(i), i)).collect();
    let changed = after
        .iter()
        .filter(|i| old.get(&key(i)) != Some(i))
        .cloned()
        .collect();
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    (changed, removed)
}

/// The sort keys of `items`, in order.
pub fn sort_keys(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["SK"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Payloads of `state` that the state machine could never have sent, each
/// with what is wrong with it: every service must answer each with
/// `Saga.InvalidPayload` and write nothing. `other_state` is a state of
/// another service.
pub fn malformed(state: &str, other_state: &str) -> Vec<(&'static str, Value)> {
    let good = Execution::new(request("trip-0001")).payload(state, 0);
    let with = |pointer: &str, value: Value| {
        let mut p = good.clone();
        *p.pointer_mut(pointer).expect("a pointer into the payload") = value;
        p
    };
    let without = |field: &str| {
        let mut p = good.clone();
        if let Some(input) = p["input"].as_object_mut() {
            input.remove(field);
        }
        p
    };
    vec![
        ("not an object", json!(state)),
        ("no context object", json!({"input": request("trip-0001")})),
        ("no state name", with("/State", json!({}))),
        (
            "an input that is not an object",
            with("/input", json!([1, 2])),
        ),
        ("no trip id", without("trip_id")),
        ("an empty trip id", with("/input/trip_id", json!(""))),
        ("no depart_on", without("depart_on")),
        ("seats not a number", with("/input/seats", json!("two"))),
        ("rooms not a number", with("/input/rooms", json!(1.5))),
        (
            "an amount that is not one",
            with("/input/amount", json!("lots")),
        ),
        (
            "another service's state",
            with("/State/Name", json!(other_state)),
        ),
        ("an unknown state", with("/State/Name", json!("BookTaxi"))),
        ("an earlier output of the wrong shape", {
            let mut p = good.clone();
            p["input"]["reserve_flight"] = json!(7);
            p
        }),
        ("an error that is not one", {
            let mut p = good.clone();
            p["error"] = json!("NoRoomsAvailable");
            p
        }),
    ]
}

/// An error answer of an AWS JSON-protocol API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The exception's name, e.g. `TransactionCanceledException` (the
    /// part of `__type` after `#`).
    pub code: String,
    /// Its message.
    pub message: String,
}

/// Calls DynamoDB's JSON API on the test server with `body` as it is, the
/// way a Step Functions `aws-sdk:dynamodb:*` task does: `operation` is the
/// API action (`TransactWriteItems`), `body` the request in DynamoDB JSON.
pub async fn dynamodb_call(operation: &str, body: &Value) -> Result<Value, ApiError> {
    aws_call("dynamodb", &format!("DynamoDB_20120810.{operation}"), body).await
}

/// Calls an AWS JSON-protocol API on the test server: `service` is the
/// signing name (`dynamodb`, `streams.dynamodb`, `events`, `sqs`), `target`
/// the `X-Amz-Target` (`DynamoDBStreams_20120810.GetRecords`,
/// `AWSEvents.PutRule`, `AmazonSQS.ReceiveMessage`).
pub async fn aws_call(service: &str, target: &str, body: &Value) -> Result<Value, ApiError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = endpoint()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {authority}\r\nX-Amz-Target: {target}\r\n\
         Content-Type: application/x-amz-json-1.0\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20250301/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(&authority)
        .await
        .expect("connect to the test server");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read the response");
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200") {
        return Ok(value);
    }
    let code = value["__type"]
        .as_str()
        .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
        .unwrap_or_else(|| head.lines().next().unwrap_or_default().to_owned());
    let message = value["message"]
        .as_str()
        .or_else(|| value["Message"].as_str())
        .unwrap_or_default()
        .to_owned();
    Err(ApiError { code, message })
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
