//! The Lambda glue for step handlers.
//!
//! Generated entry points call [`serve`] (or [`run_service`] inside their
//! own Tokio runtime) with a [`ServiceConfig`] and a closure that builds the
//! handler from the store. The store (and its SDK client) is created once,
//! at init; each invocation then goes through [`invoke_step`], which is
//! also what tests and `sagac run` call directly with a JSON payload, so
//! the same code path runs with and without the Lambda runtime:
//!
//! 1. decode the [`StepContext`] (a bad payload is `Saga.InvalidPayload`
//!    and the handler never runs);
//! 2. if the step already committed (its idempotency record exists), return
//!    the recorded result without running domain logic again: a retry after
//!    a lost response must not re-decide (the last seat is now taken by
//!    *this* booking);
//! 3. run the handler with the invocation's log context (saga id, step,
//!    trace and span ids) attached to every log line;
//! 4. log the outcome, emit `saga.step.duration`, export a span if tracing
//!    is enabled, and return the result or the [`SagaError`] whose name the
//!    state machine matches.

use std::future::Future;
#[cfg(feature = "aws")]
use std::sync::Arc;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::BoxFuture;
use crate::context::{StepContext, StepEvent};
use crate::error::SagaError;
use tracing::Instrument as _;

use crate::observe::{self, trace::Span};
#[cfg(feature = "aws")]
use crate::store::{DynamoStore, StoreConfig};
use crate::store::{Store, TableLayout};
use crate::template::KeyTemplate;

/// Name of the step latency metric (milliseconds).
pub const STEP_DURATION_METRIC: &str = "saga.step.duration";

/// What the glue needs to know about a service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The service name (`flight`), used in logs, metrics and spans.
    pub service: String,
    /// How the state machine definition names this service's function:
    /// the `${…}` placeholder (`${FlightFunctionAlias}`) that the template's
    /// `DefinitionSubstitutions` resolve to its `live` alias. Local runs
    /// route a Task's `FunctionName` to the service by it.
    pub function: String,
    /// The saga name (`TripBooking`), a metric tag.
    pub saga: String,
    /// The saga id field of `input` (`trip_id`).
    pub saga_id_field: String,
    /// The aggregate root's partition key template (`TRIP#{trip_id}`),
    /// rendered from `input` (every step receives its fields); it locates
    /// idempotency records. `None`
    /// disables the pre-check (the commit still de-duplicates).
    pub root_pk: Option<KeyTemplate>,
    /// The table's layout as the spec declares it (key attribute names,
    /// outbox sort key, TTL); generated code passes it, so the service's
    /// writes always match the table the template creates.
    pub table: TableLayout,
}

impl ServiceConfig {
    /// A configuration over the spec language's default table layout
    /// ([`TableLayout::defaults`]) and function placeholder; `root_pk` is
    /// parsed from its template text. For tests: generated code sets every
    /// field from the spec.
    pub fn new(
        service: impl Into<String>,
        saga: impl Into<String>,
        saga_id_field: impl Into<String>,
        root_pk: Option<&str>,
    ) -> Result<Self, crate::template::TemplateError> {
        let service = service.into();
        let function = format!("${{{}FunctionAlias}}", pascal(&service));
        Ok(Self {
            service,
            function,
            saga: saga.into(),
            saga_id_field: saga_id_field.into(),
            root_pk: root_pk.map(KeyTemplate::parse).transpose()?,
            table: TableLayout::defaults(),
        })
    }
}

/// `order_desk` as `OrderDesk` (for the default function placeholder of
/// [`ServiceConfig::new`]; generated code takes the compiler's).
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// One step invocation as the handler receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The decoded context.
    pub context: StepContext,
    /// The whole payload ([`sagac_contract::payload`]'s shape).
    pub payload: Value,
}

impl Step {
    /// Decodes `input` into the generated type.
    pub fn decode<Input: DeserializeOwned>(&self) -> Result<StepEvent<Input>, SagaError> {
        StepEvent::decode_with(self.context.clone(), &self.payload)
    }
}

/// A step handler: the generated dispatcher from state names to the
/// service trait's methods. Any `Fn(Step) -> impl Future<Output =
/// Result<Value, SagaError>>` is one.
pub trait StepHandler: Send + Sync {
    /// Runs the step.
    fn handle(&self, step: Step) -> BoxFuture<'_, Result<Value, SagaError>>;
}

impl<F, Fut> StepHandler for F
where
    F: Fn(Step) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Value, SagaError>> + Send + 'static,
{
    fn handle(&self, step: Step) -> BoxFuture<'_, Result<Value, SagaError>> {
        Box::pin(self(step))
    }
}

/// Runs one invocation without the Lambda runtime: decode, idempotency
/// pre-check (when `store` is given and the config has `root_pk`), handler,
/// logs, metrics, span.
pub async fn invoke_step(
    config: &ServiceConfig,
    store: Option<&dyn Store>,
    handler: &dyn StepHandler,
    payload: Value,
) -> Result<Value, SagaError> {
    let started = Instant::now();
    let start_nanos = crate::time::epoch_nanos();
    let context = match StepContext::from_payload(&payload, &config.saga_id_field) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(
                "error.type" = e.error_name(),
                "error.message" = e.message(),
                "step payload rejected"
            );
            record_duration(config, "unknown", &e, started);
            return Err(e);
        }
    };
    let span_id = observe::new_span_id();
    let log_span = observe::step_span(
        &context.saga_id,
        &context.state_name,
        context.trace.map(|t| t.datadog_trace_id()),
        span_id,
    );
    let state_name = context.state_name.clone();
    let trace = context.trace;
    let saga_id = context.saga_id.clone();
    let outcome = async {
        if let Some(recorded) = recorded_result(config, store, &context, &payload).await? {
            tracing::info!(
                retry_count = context.retry_count,
                "step already committed; returning the recorded result"
            );
            return Ok(recorded);
        }
        let retry_count = context.retry_count;
        let result = handler.handle(Step { context, payload }).await;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(_) => tracing::info!(duration_ms = elapsed_ms, retry_count, "step succeeded"),
            // A business error is the saga working as designed.
            Err(e @ SagaError::Business { .. }) => tracing::warn!(
                duration_ms = elapsed_ms,
                retry_count,
                "error.type" = e.error_name(),
                "error.message" = e.message(),
                "step failed"
            ),
            Err(e) => tracing::error!(
                duration_ms = elapsed_ms,
                retry_count,
                "error.type" = e.error_name(),
                "error.message" = e.message(),
                "step failed"
            ),
        }
        result
    }
    .instrument(log_span)
    .await;
    match outcome.as_ref().err() {
        None => record_duration_ok(config, &state_name, started),
        Some(e) => record_duration(config, &state_name, e, started),
    }
    if let Some(trace) = trace {
        let exporter = observe::trace::exporter();
        if exporter.enabled() {
            let mut attributes = vec![
                ("saga.id".to_owned(), saga_id),
                ("saga.step".to_owned(), state_name.clone()),
                ("saga.name".to_owned(), config.saga.clone()),
            ];
            if let Err(e) = &outcome {
                attributes.push(("error.type".to_owned(), e.error_name().to_owned()));
            }
            exporter.export(vec![Span {
                trace_id: trace.trace_id,
                span_id,
                parent_id: Some(trace.parent_id),
                name: format!("{}.{}", config.service, state_name),
                start_unix_nanos: start_nanos,
                end_unix_nanos: crate::time::epoch_nanos(),
                attributes,
                error: outcome.as_ref().err().map(SagaError::to_string),
            }]);
        }
    }
    outcome
}

async fn recorded_result(
    config: &ServiceConfig,
    store: Option<&dyn Store>,
    context: &StepContext,
    payload: &Value,
) -> Result<Option<Value>, SagaError> {
    let (Some(template), Some(store)) = (&config.root_pk, store) else {
        return Ok(None);
    };
    let input = payload
        .get(sagac_contract::payload::INPUT)
        .and_then(Value::as_object)
        .ok_or_else(|| {
            SagaError::invalid_payload(sagac_contract::payload::INPUT, "expected an object")
        })?;
    let pk = template
        .render(input)
        .map_err(|e| SagaError::invalid_payload(sagac_contract::payload::INPUT, e.to_string()))?;
    Ok(store.recorded_result(&pk, &context.idempotency_key).await?)
}

fn record_duration_ok(config: &ServiceConfig, step: &str, started: Instant) {
    observe::distribution(
        STEP_DURATION_METRIC,
        started.elapsed().as_secs_f64() * 1000.0,
        &[
            ("saga", &config.saga),
            ("step", step),
            ("outcome", "success"),
        ],
    );
}

fn record_duration(config: &ServiceConfig, step: &str, error: &SagaError, started: Instant) {
    let outcome = match error {
        SagaError::Business { .. } => "business_error",
        SagaError::Transient { .. } => "transient_error",
        SagaError::InvalidPayload { .. } => "invalid_payload",
        SagaError::Internal { .. } => "internal_error",
        SagaError::NotImplemented { .. } => "not_implemented",
    };
    observe::distribution(
        STEP_DURATION_METRIC,
        started.elapsed().as_secs_f64() * 1000.0,
        &[
            ("saga", &config.saga),
            ("step", step),
            ("outcome", outcome),
            ("error", error.error_name()),
        ],
    );
}

#[cfg(feature = "aws")]
/// Runs a step handler under the Lambda runtime, in the caller's Tokio
/// runtime. The DynamoDB store is built once, from the configuration's
/// table layout and the environment (`TABLE_NAME`, `AWS_ENDPOINT_URL*`),
/// and handed to `make`.
pub async fn run_service<H, M>(config: ServiceConfig, make: M) -> Result<(), lambda_runtime::Error>
where
    H: StepHandler + 'static,
    M: FnOnce(Arc<dyn Store>) -> H,
{
    observe::log::init();
    let store = match StoreConfig::from_env_with(config.table.clone()) {
        Ok(table) => DynamoStore::from_env_with(table).await,
        Err(e) => Err(e),
    };
    let store: Arc<dyn Store> = match store {
        Ok(store) => Arc::new(store),
        Err(e) => {
            tracing::error!(error = %e, "cannot initialise the store");
            return Err(e.into());
        }
    };
    let handler = make(Arc::clone(&store));
    let shared = Arc::new((config, store, handler));
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| {
            let shared = Arc::clone(&shared);
            async move {
                let (config, store, handler) = &*shared;
                invoke_step(config, Some(store.as_ref()), handler, event.payload).await
            }
        },
    ))
    .await
}

#[cfg(feature = "aws")]
/// The whole `main` of a service Lambda: a single-threaded Tokio runtime
/// (a Lambda handles one event at a time; fewer threads start faster and
/// use less memory) running [`run_service`].
pub fn serve<H, M>(config: ServiceConfig, make: M) -> Result<(), lambda_runtime::Error>
where
    H: StepHandler + 'static,
    M: FnOnce(Arc<dyn Store>) -> H,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run_service(config, make))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Change, MemoryStore, StoreConfig};
    use serde_json::json;
    use std::sync::Arc;

    fn payload(state: &str) -> Value {
        json!({
            "Execution": {"Id": "arn:aws:states:us-east-1:1:execution:TripBooking:trip-1", "Name": "trip-1"},
            "State": {"Name": state, "RetryCount": 0},
            "input": {"trip_id": "trip-1", "seats": 2}
        })
    }

    fn config() -> ServiceConfig {
        ServiceConfig::new("flight", "TripBooking", "trip_id", Some("TRIP#{trip_id}")).unwrap()
    }

    #[tokio::test]
    async fn invalid_payload_never_reaches_the_handler() {
        observe::log::set_sink(observe::log::Sink::Off);
        let handler = |_step: Step| async { panic!("must not run") };
        let e = invoke_step(&config(), None, &handler, json!({"input": {}}))
            .await
            .unwrap_err();
        assert_eq!(e.error_name(), "Saga.InvalidPayload");
    }

    #[tokio::test]
    async fn errors_keep_their_asl_names() {
        observe::log::set_sink(observe::log::Sink::Off);
        let handler = |step: Step| async move {
            match step.context.state_name.as_str() {
                "ReserveFlight" => Err(SagaError::business("NoSeatsAvailable", "sold out")),
                _ => Err(SagaError::transient("throttled")),
            }
        };
        let e = invoke_step(&config(), None, &handler, payload("ReserveFlight"))
            .await
            .unwrap_err();
        assert_eq!(e.error_name(), "NoSeatsAvailable");
        let e = invoke_step(&config(), None, &handler, payload("CancelFlight"))
            .await
            .unwrap_err();
        assert_eq!(e.error_name(), "TransientError");
    }

    #[tokio::test]
    async fn a_committed_step_is_not_run_again() {
        observe::log::set_sink(observe::log::Sink::Off);
        let store = Arc::new(MemoryStore::new(StoreConfig::new("t")));
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let handler = {
            let (store, runs) = (Arc::clone(&store), Arc::clone(&runs));
            move |step: Step| {
                runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let store = Arc::clone(&store);
                async move {
                    let request: Value = step.payload["input"].clone();
                    let change = Change::for_step(&step.context, "TRIP#trip-1")
                        .emit("FlightReserved", &request)
                        .result(&json!({"seats": 2}));
                    Ok(store.commit(change).await?.result)
                }
            }
        };
        let h = &handler;
        let first = invoke_step(&config(), Some(store.as_ref()), h, payload("ReserveFlight"))
            .await
            .unwrap();
        let second = invoke_step(&config(), Some(store.as_ref()), h, payload("ReserveFlight"))
            .await
            .unwrap();
        assert_eq!(first, json!({"seats": 2}));
        assert_eq!(second, first);
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
