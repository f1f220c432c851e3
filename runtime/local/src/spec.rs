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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The step's first business error: definite, nothing took effect.
    Business,
    /// The attempt outlasts the task's timeout (`States.Timeout`): the
    /// step may have taken effect.
    Ambiguous,
    /// `TransientError` on every attempt: the retries run out.
    Transient,
}

impl FailureKind {
    /// `business`, `ambiguous` or `transient`.
    pub fn parse(text: &str) -> Option<FailureKind> {
        match text {
            "business" => Some(FailureKind::Business),
            "ambiguous" => Some(FailureKind::Ambiguous),
            "transient" => Some(FailureKind::Transient),
            _ => None,
        }
    }

    /// The name `parse` reads.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Business => "business",
            FailureKind::Ambiguous => "ambiguous",
            FailureKind::Transient => "transient",
        }
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
        if injection.kind == FailureKind::Business
            && self
                .step(&injection.state)
                .is_none_or(|s| s.errors.is_empty())
        {
            return Err(LocalError(format!(
                "`{}` has no business error in the spec; fail it `ambiguous` or `transient`",
                injection.state
            )));
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
                match injection.kind {
                    FailureKind::Business => {
                        let error = self
                            .saga
                            .step(state)
                            .and_then(|s| s.errors.first())
                            .cloned()
                            .unwrap_or_else(|| "BusinessError".to_owned());
                        TaskResponse::err(lambda_function_error(
                            &error,
                            &format!("{state}: injected business failure"),
                        ))
                        .ready()
                    }
                    FailureKind::Transient => TaskResponse::err(lambda_function_error(
                        "TransientError",
                        &format!("{state}: injected transient failure"),
                    ))
                    .ready(),
                    FailureKind::Ambiguous => TaskResponse::ok(lambda_invoke_response(json!({})))
                        .after(LOST)
                        .ready(),
                }
            }
            _ => self.lambdas.invoke(request),
        }
    }
}
