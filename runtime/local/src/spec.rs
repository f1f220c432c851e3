//! A compiled spec, ready to run locally: the generated definition (its
//! table placeholder resolved, its function placeholders kept for
//! [`Services`](crate::Services) to route by), the generated mock
//! configuration, the sample request, and an embedded store laid out as
//! the spec's table.
//!
//! [`LocalSaga::run`] executes it with the Lambda tasks answered by the
//! mock configuration's test case (or by in-process handlers) and the root
//! writes executed against the store, with failures injected at chosen
//! states; the [`Report`] carries the execution, the root item and the
//! outbox events the run left in the store.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sagac_core::emit::{self, asl, mock};
use sagac_core::ir::{Saga, Step};
use sagac_executor::target::{lambda_function_error, lambda_invoke_response};
use sagac_executor::{
    Definition, Execution, ExecutionOptions, Executor, MockConfig, Resource, TaskFuture,
    TaskRequest, TaskResponse, TaskTarget,
};
use sagac_runtime::KeyTemplate;
use sagac_runtime::store::{Item, MemoryStore, Store, StoreConfig, TableLayout};
use serde_json::{Value, json};

use crate::EmbeddedDynamo;

/// How an injected failure fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// A business error of the step (`None`: its first): definite, nothing
    /// took effect.
    Business(Option<String>),
    /// No answer within the task's timeout (`States.Timeout`), the service
    /// never reached: the step may or may not have taken effect, as far as
    /// the state machine can tell.
    Ambiguous,
    /// `Lambda.Unknown` (the function's environment failed mid-run): as
    /// ambiguous as a timeout.
    Unknown,
    /// The service runs (and commits), then its response is lost: the
    /// attempt outlasts the timeout.
    Lost,
    /// `TransientError` on the first attempt, then the normal answer.
    TransientOnce,
    /// `TransientError` on every attempt: the retries run out.
    Transient,
}

impl FailureKind {
    /// `business`, `business:ERROR`, `ambiguous`, `unknown`, `lost`,
    /// `transient-once` or `transient`.
    pub fn parse(text: &str) -> Option<FailureKind> {
        match text {
            "business" => Some(FailureKind::Business(None)),
            "ambiguous" => Some(FailureKind::Ambiguous),
            "unknown" => Some(FailureKind::Unknown),
            "lost" => Some(FailureKind::Lost),
            "transient-once" => Some(FailureKind::TransientOnce),
            "transient" => Some(FailureKind::Transient),
            other => other
                .strip_prefix("business:")
                .filter(|e| !e.is_empty())
                .map(|e| FailureKind::Business(Some(e.to_owned()))),
        }
    }

    /// The text `parse` reads.
    pub fn to_text(&self) -> String {
        match self {
            FailureKind::Business(None) => "business".into(),
            FailureKind::Business(Some(e)) => format!("business:{e}"),
            FailureKind::Ambiguous => "ambiguous".into(),
            FailureKind::Unknown => "unknown".into(),
            FailureKind::Lost => "lost".into(),
            FailureKind::TransientOnce => "transient-once".into(),
            FailureKind::Transient => "transient".into(),
        }
    }

    /// Whether the state machine cannot tell if the step took effect.
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            FailureKind::Ambiguous
                | FailureKind::Unknown
                | FailureKind::Lost
                | FailureKind::Transient
        )
    }
}

/// A failure injected at a state (`--fail STATE=kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// The Lambda task state.
    pub state: String,
    /// How it fails.
    pub kind: FailureKind,
}

/// Why a local run cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalError(pub String);

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LocalError {}

/// How long a response lost to an injected ambiguous failure keeps the
/// state machine waiting: longer than any task timeout.
const LOST: f64 = 1.0e6;

/// A compiled spec, ready to run.
pub struct LocalSaga<'s> {
    saga: &'s Saga,
    definition: Definition,
    mocks: MockConfig,
    sample: Value,
    layout: TableLayout,
}

impl fmt::Debug for LocalSaga<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSaga")
            .field("saga", &self.saga.name)
            .finish()
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The execution (DescribeExecution + GetExecutionHistory).
    pub execution: Execution,
    /// The root item afterwards, if the run wrote it.
    pub root: Option<Item>,
    /// The outbox items left in the store, in key order.
    pub outbox: Vec<Item>,
    /// Every item of the store afterwards.
    pub items: Vec<Item>,
}

impl<'s> LocalSaga<'s> {
    /// Everything `sagac build` would generate for `saga`, in memory.
    ///
    /// # Errors
    ///
    /// When the executor refuses the generated definition or mock
    /// configuration (a compiler bug, reported rather than hidden).
    pub fn new(saga: &'s Saga) -> Result<LocalSaga<'s>, LocalError> {
        let files = emit::build(saga);
        let file = |name: &str| {
            files
                .iter()
                .find(|f| f.path.ends_with(name))
                .map(|f| f.contents.clone())
                .ok_or_else(|| LocalError(format!("the build produced no {name}")))
        };
        let text = crate::substitute(
            &file(asl::DEFINITION_FILE)?,
            &[("TableName", saga.table.name.as_str())],
        );
        let definition = Definition::from_json(&text)
            .map_err(|e| LocalError(format!("the generated definition: {e}")))?;
        let mocks = MockConfig::from_json(&file(mock::MOCK_CONFIG_FILE)?)
            .map_err(|e| LocalError(format!("the generated mock configuration: {e}")))?;
        let sample: Value = serde_json::from_str(&file("sample-input.json")?)
            .map_err(|e| LocalError(format!("the generated sample input: {e}")))?;
        let layout = TableLayout::new(
            &saga.table.pk,
            &saga.table.sk,
            &saga.outbox.sk.to_string(),
            saga.table.ttl.as_deref(),
            Duration::from_secs(saga.outbox.ttl_seconds),
        )
        .map_err(|e| LocalError(format!("the table layout: {e}")))?;
        Ok(LocalSaga {
            saga,
            definition,
            mocks,
            sample,
            layout,
        })
    }

    /// The same saga over another definition text (its `${TableName}`
    /// resolved as in [`LocalSaga::new`]): for tests that prove a broken
    /// definition is caught.
    ///
    /// # Errors
    ///
    /// When the executor refuses the definition.
    pub fn with_definition(mut self, text: &str) -> Result<LocalSaga<'s>, LocalError> {
        let text = crate::substitute(text, &[("TableName", self.saga.table.name.as_str())]);
        self.definition =
            Definition::from_json(&text).map_err(|e| LocalError(format!("the definition: {e}")))?;
        Ok(self)
    }

    /// The saga.
    pub fn saga(&self) -> &Saga {
        self.saga
    }

    /// The generated sample execution input (`{"request": …}`).
    pub fn sample_input(&self) -> &Value {
        &self.sample
    }

    /// The test cases of the generated mock configuration.
    pub fn cases(&self) -> Vec<&str> {
        self.mocks.test_cases(&self.saga.name)
    }

    /// An empty embedded store laid out as the spec's table.
    pub fn store(&self) -> Arc<MemoryStore> {
        Arc::new(MemoryStore::new(StoreConfig::with_layout(
            &self.saga.table.name,
            self.layout.clone(),
        )))
    }

    /// The Lambda task states a failure can be injected at: every step and
    /// compensation.
    pub fn lambda_states(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for step in self.saga.steps() {
            out.push(step.name.as_str());
            if let Some(c) = &step.compensation {
                out.push(c.name.as_str());
            }
        }
        out
    }

    fn step(&self, state: &str) -> Option<&Step> {
        self.saga.steps().find(|s| s.name == state)
    }

    /// Checks an injection: a Lambda task state of the saga, and a
    /// business failure only where the spec names a business error.
    ///
    /// # Errors
    ///
    /// What is wrong with it, naming the states that exist.
    pub fn check(&self, injection: &Injection) -> Result<(), LocalError> {
        let states = self.lambda_states();
        if !states.contains(&injection.state.as_str()) {
            return Err(LocalError(format!(
                "`{}` is not a step or compensation of {} (they are: {})",
                injection.state,
                self.saga.name,
                states.join(", ")
            )));
        }
        if let FailureKind::Business(error) = &injection.kind {
            let errors = self
                .step(&injection.state)
                .map(|s| s.errors.clone())
                .unwrap_or_default();
            if errors.is_empty() {
                return Err(LocalError(format!(
                    "`{}` has no business error in the spec; fail it `ambiguous`, `unknown`, `lost`, `transient-once` or `transient`",
                    injection.state
                )));
            }
            if let Some(error) = error
                && !errors.contains(error)
            {
                return Err(LocalError(format!(
                    "`{error}` is not a business error of `{}` (its errors: {})",
                    injection.state,
                    errors.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Runs the saga with `input`: Lambda tasks answered by `lambdas` (the
    /// mock case from [`LocalSaga::mock`], or in-process handlers), the
    /// root writes against `store`, and `injections` overriding the
    /// answers at their states.
    pub async fn run(
        &self,
        input: Value,
        lambdas: &dyn TaskTarget,
        store: &dyn Store,
        injections: &[Injection],
        seed: u64,
    ) -> Report {
        let name = input
            .pointer(&format!("/request/{}", self.saga.root.id_field))
            .and_then(Value::as_str)
            .unwrap_or("local-execution")
            .to_owned();
        let dynamo = EmbeddedDynamo::new(store);
        let target = Injected {
            saga: self,
            lambdas,
            dynamo: &dynamo,
            injections,
        };
        let options = ExecutionOptions {
            execution_name: name,
            state_machine_name: self.saga.name.clone(),
            seed,
            ..ExecutionOptions::default()
        };
        let execution = Executor::new(&self.definition, options)
            .run(input.clone(), &target)
            .await;
        self.report(execution, &input, store).await
    }

    /// The Lambda answers of a mock configuration test case.
    ///
    /// # Errors
    ///
    /// An unknown case, naming the known ones.
    pub fn mock(&self, case: &str) -> Result<impl TaskTarget + '_, LocalError> {
        self.mocks
            .target(&self.saga.name, case)
            .map_err(|e| LocalError(e.to_string()))
    }

    async fn report(&self, execution: Execution, input: &Value, store: &dyn Store) -> Report {
        let request = input["request"].as_object().cloned().unwrap_or_default();
        let root_entity = self.saga.root_entity();
        let key = |template: &str| {
            KeyTemplate::parse(template)
                .ok()
                .and_then(|t| t.render(&request).ok())
        };
        let root = match (
            key(&root_entity.pk.to_string()),
            key(&root_entity.sk.to_string()),
        ) {
            (Some(pk), Some(sk)) => store
                .get(&sagac_runtime::Key::new(pk, sk))
                .await
                .ok()
                .flatten(),
            _ => None,
        };
        // Everything of the saga lives in the root's partition.
        let items: Vec<Item> = match key(&root_entity.pk.to_string()) {
            Some(pk) => store
                .query(&sagac_runtime::store::Query::partition(pk))
                .await
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let prefix = store.config().outbox_prefix().to_owned();
        let sk = store.config().sk_attribute.clone();
        let outbox = items
            .iter()
            .filter(|i| {
                i.get(&sk)
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.starts_with(&prefix))
            })
            .cloned()
            .collect();
        Report {
            execution,
            root,
            outbox,
            items,
        }
    }
}

/// The run's targets: injections first, then DynamoDB tasks to the store
/// and Lambda tasks to `lambdas`.
struct Injected<'a> {
    saga: &'a LocalSaga<'a>,
    lambdas: &'a dyn TaskTarget,
    dynamo: &'a EmbeddedDynamo<'a>,
    injections: &'a [Injection],
}

impl TaskTarget for Injected<'_> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        let injected = self
            .injections
            .iter()
            .find(|i| i.state == request.state_name);
        match (Resource::parse(request.resource), injected) {
            (
                Resource::Sdk {
                    service: "dynamodb",
                    ..
                },
                _,
            ) => self.dynamo.invoke(request),
            (_, Some(injection)) => {
                let state = request.state_name;
                let failure = |error: &str, what: &str| {
                    TaskResponse::err(lambda_function_error(
                        error,
                        &format!("{state}: injected {what}"),
                    ))
                    .ready()
                };
                match &injection.kind {
                    FailureKind::Business(error) => {
                        let error = error
                            .clone()
                            .or_else(|| {
                                self.saga
                                    .step(state)
                                    .and_then(|s| s.errors.first().cloned())
                            })
                            .unwrap_or_else(|| "BusinessError".to_owned());
                        failure(&error, "business failure")
                    }
                    FailureKind::Transient => failure("TransientError", "transient failure"),
                    FailureKind::TransientOnce if request.attempt == 0 => {
                        failure("TransientError", "transient failure (first attempt)")
                    }
                    // Then the answer of a first attempt: what the step
                    // would have answered had nothing failed (a mock case
                    // answers by attempt number).
                    FailureKind::TransientOnce => self.lambdas.invoke(TaskRequest {
                        attempt: 0,
                        ..request
                    }),
                    FailureKind::Unknown => failure("Lambda.Unknown", "Lambda.Unknown"),
                    FailureKind::Ambiguous => TaskResponse::ok(lambda_invoke_response(json!({})))
                        .after(LOST)
                        .ready(),
                    FailureKind::Lost => {
                        Box::pin(async move { self.lambdas.invoke(request).await.after(LOST) })
                    }
                }
            }
            _ => self.lambdas.invoke(request),
        }
    }
}
