//! The step context: who is running, for which saga, under which key.
//!
//! Every Lambda task receives the payload the state machine builds for it
//! (the shape is [`sagac_contract::payload`]'s): the context object fields
//! the runtime and Datadog's trace merging read (`Execution`, `State`,
//! `StateMachine`), `_datadog` when an upstream tracer put one in the
//! execution input, the step's `input` (only what its spec `input:`
//! declares: least data), and `error` on compensation paths. This module
//! decodes that payload, tolerating unknown fields, and says which field was
//! wrong when it cannot.
//!
//! The idempotency key is `{Execution.Name}#{State.Name}`: Step Functions
//! keeps both stable across retries of a state, so every retry of a step
//! maps to the same idempotency record, while a compensation (another
//! state) gets a key of its own.
//!
//! The trace context is taken from the payload when an upstream tracer
//! injected one (`_datadog`, in the payload or in `Execution.Input`, or a
//! W3C `traceparent`); otherwise it is derived from the execution ARN with
//! Datadog's deterministic Step Functions scheme, so the Lambda spans join
//! the trace the Datadog backend builds for the state machine.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use sagac_contract::payload;

use crate::error::SagaError;

/// Where a step's trace context came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceSource {
    /// Datadog headers in a `_datadog` object.
    Datadog,
    /// A W3C `traceparent`.
    W3c,
    /// Derived from the execution ARN (Datadog's Step Functions scheme).
    StepFunctions,
}

/// A distributed-trace position: the trace and the span to parent under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    /// The 128-bit trace id.
    pub trace_id: u128,
    /// The parent span id.
    pub parent_id: u64,
    /// Datadog sampling priority (1 = auto keep), if known.
    pub sampling_priority: Option<i32>,
    /// Where it came from.
    pub source: TraceSource,
}

impl TraceContext {
    /// The low 64 bits of the trace id: Datadog's `dd.trace_id`.
    pub fn datadog_trace_id(&self) -> u64 {
        self.trace_id as u64
    }

    /// The trace id as 32 lowercase hex digits (OTLP, W3C).
    pub fn trace_id_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }
}

/// The failure that sent the saga down a compensation path
/// (`$.error` in the state input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    /// The ASL error name, e.g. `NoSeatsAvailable`.
    pub error: String,
    /// The cause, if any.
    pub cause: Option<String>,
}

/// The decoded, untyped part of a step invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepContext {
    /// The saga id (the spec's root id field, e.g. `trip_id`, which every
    /// step's `input` carries).
    pub saga_id: String,
    /// `Execution.Id`, the execution ARN (empty if absent).
    pub execution_id: String,
    /// `Execution.Name`.
    pub execution_name: String,
    /// `State.Name`: which action or compensation to run.
    pub state_name: String,
    /// `State.EnteredTime`, if present.
    pub state_entered_time: Option<String>,
    /// `State.RetryCount` (0 on the first attempt).
    pub retry_count: u32,
    /// `{Execution.Name}#{State.Name}`.
    pub idempotency_key: String,
    /// The trace to join, if one could be found or derived.
    pub trace: Option<TraceContext>,
    /// `error` of the state input, present on compensation paths.
    pub failure: Option<StepFailure>,
}

fn invalid(field: &str, message: impl Into<String>) -> SagaError {
    SagaError::invalid_payload(field, message)
}

fn object<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>, SagaError> {
    value
        .as_object()
        .ok_or_else(|| invalid(field, format!("expected an object, found {}", kind(value))))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn required_str<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, SagaError> {
    match map.get(name) {
        None | Some(Value::Null) => Err(invalid(path, "missing")),
        Some(Value::String(s)) if s.is_empty() => Err(invalid(path, "must not be empty")),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(invalid(
            path,
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

impl StepContext {
    /// Decodes the context from an invocation payload. `saga_id_field` is
    /// the name of the saga id inside `input` (e.g. `trip_id`).
    pub fn from_payload(payload: &Value, saga_id_field: &str) -> Result<Self, SagaError> {
        let root = object(payload, "")?;
        let execution = object(root.get("Execution").unwrap_or(&Value::Null), "Execution")?;
        let state = object(root.get("State").unwrap_or(&Value::Null), "State")?;
        let input = object(
            root.get(payload::INPUT).unwrap_or(&Value::Null),
            payload::INPUT,
        )?;

        let execution_name = required_str(execution, "Name", "Execution.Name")?.to_owned();
        let execution_id = match execution.get("Id") {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => String::new(),
            Some(other) => {
                return Err(invalid(
                    "Execution.Id",
                    format!("expected a string, found {}", kind(other)),
                ));
            }
        };
        let state_name = required_str(state, "Name", "State.Name")?.to_owned();
        let state_entered_time = state
            .get("EnteredTime")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let retry_count = match state.get("RetryCount") {
            None | Some(Value::Null) => 0,
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| invalid("State.RetryCount", "expected a non-negative integer"))?,
        };
        let saga_id = required_str(
            input,
            saga_id_field,
            &format!("{}.{saga_id_field}", payload::INPUT),
        )?
        .to_owned();
        let failure = match root.get(payload::ERROR) {
            None | Some(Value::Null) => None,
            Some(v) => {
                let e = object(v, payload::ERROR)?;
                Some(StepFailure {
                    error: required_str(e, "Error", "error.Error")?.to_owned(),
                    cause: e.get("Cause").and_then(Value::as_str).map(str::to_owned),
                })
            }
        };
        let idempotency_key = format!("{execution_name}#{state_name}");
        let trace = extract_trace(
            root,
            &execution_id,
            &state_name,
            state_entered_time.as_deref(),
        );
        Ok(Self {
            saga_id,
            execution_id,
            execution_name,
            state_name,
            state_entered_time,
            retry_count,
            idempotency_key,
            trace,
            failure,
        })
    }
}

/// A step invocation decoded into the generated input type.
#[derive(Debug, Clone, PartialEq)]
pub struct StepEvent<Input> {
    /// The untyped context.
    pub context: StepContext,
    /// `input`: what the step receives.
    pub input: Input,
}

impl<Input: DeserializeOwned> StepEvent<Input> {
    /// Decodes the whole payload. Errors are [`SagaError::InvalidPayload`]
    /// naming the failing field, e.g. `input.seats`.
    pub fn decode(payload: &Value, saga_id_field: &str) -> Result<Self, SagaError> {
        let context = StepContext::from_payload(payload, saga_id_field)?;
        Self::decode_with(context, payload)
    }

    /// Decodes the typed part for an already decoded context.
    pub fn decode_with(context: StepContext, payload: &Value) -> Result<Self, SagaError> {
        let input = decode_field(
            payload.get(payload::INPUT).unwrap_or(&Value::Null),
            payload::INPUT,
        )?;
        Ok(Self { context, input })
    }
}

/// Deserializes `value` into `T`, reporting the failing path under `prefix`.
pub fn decode_field<T: DeserializeOwned>(value: &Value, prefix: &str) -> Result<T, SagaError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let field = if inner == "." || inner.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{inner}")
        };
        invalid(&field, e.into_inner().to_string())
    })
}

fn extract_trace(
    root: &Map<String, Value>,
    execution_id: &str,
    state_name: &str,
    entered: Option<&str>,
) -> Option<TraceContext> {
    let step_parent = || {
        dd_hash(
            &format!(
                "{execution_id}#{state_name}#{}",
                entered.unwrap_or_default()
            ),
            HashPart::Low,
        )
    };
    let datadog = root.get("_datadog").and_then(Value::as_object).or_else(|| {
        root.get("Execution")
            .and_then(|e| e.get("Input"))
            .and_then(|i| i.get("_datadog"))
            .and_then(Value::as_object)
    });
    if let Some(t) = datadog.and_then(|dd| from_datadog(dd, step_parent)) {
        return Some(t);
    }
    if let Some(t) = root
        .get("traceparent")
        .and_then(Value::as_str)
        .and_then(parse_traceparent)
    {
        return Some(t);
    }
    if execution_id.is_empty() {
        return None;
    }
    Some(TraceContext {
        trace_id: deterministic_trace_id(execution_id),
        parent_id: step_parent(),
        sampling_priority: Some(1),
        source: TraceSource::StepFunctions,
    })
}

fn from_datadog(dd: &Map<String, Value>, step_parent: impl Fn() -> u64) -> Option<TraceContext> {
    let text = |name: &str| -> Option<String> {
        match dd.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    if let Some(low) = text("x-datadog-trace-id").and_then(|s| s.parse::<u64>().ok()) {
        let high = text("x-datadog-tags")
            .and_then(|tags| {
                tags.split(',')
                    .find_map(|t| t.strip_prefix("_dd.p.tid=").map(str::to_owned))
            })
            .and_then(|h| u64::from_str_radix(&h, 16).ok())
            .unwrap_or(0);
        let parent = text("x-datadog-parent-id")
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or_else(&step_parent);
        return Some(TraceContext {
            trace_id: (u128::from(high) << 64) | u128::from(low),
            parent_id: parent,
            sampling_priority: text("x-datadog-sampling-priority").and_then(|s| s.parse().ok()),
            source: TraceSource::Datadog,
        });
    }
    if let Some(t) = text("traceparent").and_then(|s| parse_traceparent(&s)) {
        return Some(t);
    }
    if let Some(root_execution) = text("RootExecutionId") {
        return Some(TraceContext {
            trace_id: deterministic_trace_id(&root_execution),
            parent_id: step_parent(),
            sampling_priority: Some(1),
            source: TraceSource::Datadog,
        });
    }
    let low = text("trace_id").and_then(|s| s.parse::<u64>().ok())?;
    let high = text("dd_p_tid")
        .and_then(|h| u64::from_str_radix(&h, 16).ok())
        .unwrap_or(0);
    Some(TraceContext {
        trace_id: (u128::from(high) << 64) | u128::from(low),
        parent_id: step_parent(),
        sampling_priority: Some(1),
        source: TraceSource::Datadog,
    })
}

/// Parses a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`).
pub fn parse_traceparent(header: &str) -> Option<TraceContext> {
    let mut parts = header.trim().split('-');
    let version = parts.next()?;
    let trace = parts.next()?;
    let parent = parts.next()?;
    let flags = parts.next()?;
    if version.len() != 2 || trace.len() != 32 || parent.len() != 16 || flags.len() != 2 {
        return None;
    }
    let trace_id = u128::from_str_radix(trace, 16).ok().filter(|t| *t != 0)?;
    let parent_id = u64::from_str_radix(parent, 16).ok().filter(|p| *p != 0)?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    Some(TraceContext {
        trace_id,
        parent_id,
        sampling_priority: Some(i32::from(flags & 1)),
        source: TraceSource::W3c,
    })
}

#[derive(Clone, Copy)]
enum HashPart {
    /// Bytes 0..8 of the digest (parent ids, `_dd.p.tid`).
    Low,
    /// Bytes 8..16 of the digest (the low half of trace ids).
    High,
}

/// Datadog's deterministic 63-bit hash of a string (SHA-256, top bit
/// cleared, never zero).
fn dd_hash(input: &str, part: HashPart) -> u64 {
    let digest = Sha256::digest(input.as_bytes());
    let range = match part {
        HashPart::Low => 0..8,
        HashPart::High => 8..16,
    };
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[range]);
    let value = u64::from_be_bytes(bytes) & 0x7fff_ffff_ffff_ffff;
    if value == 0 { 1 } else { value }
}

/// The 128-bit trace id Datadog derives for a Step Functions execution.
fn deterministic_trace_id(execution_id: &str) -> u128 {
    let low = dd_hash(execution_id, HashPart::High);
    let high = dd_hash(execution_id, HashPart::Low);
    (u128::from(high) << 64) | u128::from(low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn payload() -> Value {
        json!({
            "Execution": {
                "Id": "arn:aws:states:eu-west-1:123456789012:execution:TripBooking:trip-123",
                "Name": "trip-123",
                "StartTime": "2024-01-01T00:00:00.000Z",
                "Input": {"trip_id": "trip-123"},
                "RoleArn": "arn:aws:iam::123456789012:role/x"
            },
            "State": {"Name": "ReserveFlight", "EnteredTime": "2024-01-01T00:00:01.000Z", "RetryCount": 2},
            "StateMachine": {"Id": "arn:...", "Name": "TripBooking"},
            "Task": {"Token": "ignored"},
            "input": {"trip_id": "trip-123", "seats": 2, "extra": "ignored", "reserve_flight": {"flight_id": "F1"}}
        })
    }

    #[test]
    fn decodes_the_context() {
        let c = StepContext::from_payload(&payload(), "trip_id").unwrap();
        assert_eq!(c.saga_id, "trip-123");
        assert_eq!(c.execution_name, "trip-123");
        assert_eq!(c.state_name, "ReserveFlight");
        assert_eq!(c.retry_count, 2);
        assert_eq!(c.idempotency_key, "trip-123#ReserveFlight");
        assert_eq!(c.failure, None);
        let trace = c.trace.unwrap();
        assert_eq!(trace.source, TraceSource::StepFunctions);
        assert!(trace.datadog_trace_id() < 1 << 63);
    }

    #[test]
    fn missing_fields_are_named() {
        let mut p = payload();
        p["State"].as_object_mut().unwrap().remove("Name");
        let e = StepContext::from_payload(&p, "trip_id").unwrap_err();
        assert_eq!(e, SagaError::invalid_payload("State.Name", "missing"));
        let mut p = payload();
        p["input"]["trip_id"] = json!(7);
        let e = StepContext::from_payload(&p, "trip_id").unwrap_err();
        assert_eq!(e.error_name(), "Saga.InvalidPayload");
        assert!(e.message().contains("input.trip_id"), "{e}");
        assert!(StepContext::from_payload(&json!("x"), "trip_id").is_err());
        assert!(StepContext::from_payload(&json!({}), "trip_id").is_err());
    }

    #[test]
    fn compensation_paths_carry_the_error() {
        let mut p = payload();
        p["error"] = json!({"Error": "NoRoomsAvailable", "Cause": "sold out"});
        let c = StepContext::from_payload(&p, "trip_id").unwrap();
        assert_eq!(
            c.failure,
            Some(StepFailure {
                error: "NoRoomsAvailable".into(),
                cause: Some("sold out".into())
            })
        );
    }

    #[test]
    fn typed_decode_reports_the_field_path() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Input {
            trip_id: String,
            seats: u32,
            reserve_flight: Value,
        }
        let e: StepEvent<Input> = StepEvent::decode(&payload(), "trip_id").unwrap();
        assert_eq!(e.input.seats, 2);
        assert_eq!(e.input.reserve_flight, json!({"flight_id": "F1"}));

        let mut p = payload();
        p["input"]["seats"] = json!("two");
        let err = StepEvent::<Input>::decode(&p, "trip_id").unwrap_err();
        match err {
            SagaError::InvalidPayload { field, .. } => assert_eq!(field, "input.seats"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn datadog_hash_matches_reference_values() {
        // Reference values published with Datadog's Step Functions
        // trace-merging implementation.
        assert_eq!(
            dd_hash("some_testing_random_string", HashPart::Low),
            4_364_271_812_988_819_936
        );
        assert_eq!(
            dd_hash(
                "arn:aws:states:sa-east-1:601427271234:express:DatadogStateMachine:acaf1a67-336a-e854-1599-2a627eb2dd8a:c8baf081-31f1-464d-971f-70cb17d01111#step-one#2022-12-08T21:08:19.224Z",
                HashPart::Low
            ),
            4_340_734_536_022_949_921
        );
    }

    #[test]
    fn injected_trace_context_wins() {
        let mut p = payload();
        p["_datadog"] = json!({
            "x-datadog-trace-id": "1234",
            "x-datadog-parent-id": "5678",
            "x-datadog-sampling-priority": "2",
            "x-datadog-tags": "_dd.p.dm=-0,_dd.p.tid=66a0000000000000"
        });
        let t = StepContext::from_payload(&p, "trip_id")
            .unwrap()
            .trace
            .unwrap();
        assert_eq!(t.datadog_trace_id(), 1234);
        assert_eq!(t.trace_id >> 64, 0x66a0_0000_0000_0000);
        assert_eq!(t.parent_id, 5678);
        assert_eq!(t.sampling_priority, Some(2));

        let mut p = payload();
        p["traceparent"] = json!("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        let t = StepContext::from_payload(&p, "trip_id")
            .unwrap()
            .trace
            .unwrap();
        assert_eq!(t.source, TraceSource::W3c);
        assert_eq!(t.trace_id_hex(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(t.parent_id, 0xb7ad_6b71_6920_3331);
        assert!(parse_traceparent("00-000-1-01").is_none());
    }
}
