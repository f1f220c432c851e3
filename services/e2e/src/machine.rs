//! The generated state machine, run against the real services by the
//! project's executor (`sagac-executor`): Amazon States Language as Step
//! Functions runs it, on a virtual clock.
//!
//! Nothing about the saga is written here: the order of the steps, which
//! error goes to which compensation, the retry counts and the root writes
//! all come from the definition `sagac build` generated. This module only
//! supplies the Task targets:
//!
//! - `arn:aws:states:::lambda:invoke`: the service whose alias
//!   `FunctionName` names (`${FlightFunctionAlias}` → `flight`), invoked
//!   through [`Lambdas`] (in process, or the real binaries) with the
//!   payload the definition builds; a function error becomes the Task
//!   error Step Functions reports;
//! - `arn:aws:states:::aws-sdk:dynamodb:*` (the root writes): the
//!   parameters sent as they are to DynamoDB's API on the test server,
//!   errors named `DynamoDb.<Exception>` as Step Functions names them;
//! - [`Fault`]s: a response lost after the service committed (the attempt
//!   outlasts the task's `TimeoutSeconds`, so the executor raises
//!   `States.Timeout` as Step Functions would), or a service that is down.

use std::cell::RefCell;
use std::future::Future;
use std::path::PathBuf;

use sagac_asl::{Graph, State};
use sagac_executor::target::{lambda_function_error, lambda_invoke_response};
use sagac_executor::{
    Execution, ExecutionOptions, Executor, Resource, Status, TaskError, TaskFuture, TaskRequest,
    TaskResponse, TaskTarget,
};
use serde_json::{Value, json};
use trip_testkit::{Execution as Payloads, dynamodb_call};

/// A service of the saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// `flight`.
    Flight,
    /// `hotel`.
    Hotel,
    /// `payment`.
    Payment,
}

impl Service {
    /// The three services.
    pub const ALL: [Service; 3] = [Service::Flight, Service::Hotel, Service::Payment];

    /// The service's name in the spec, and its binary's.
    pub fn name(self) -> &'static str {
        match self {
            Service::Flight => "flight",
            Service::Hotel => "hotel",
            Service::Payment => "payment",
        }
    }

    /// The service whose name is `name`.
    pub fn named(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A failed invocation, as Step Functions sees it: the Lambda error's
/// `errorType` and `errorMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The ASL error name.
    pub error: String,
    /// The cause.
    pub cause: String,
}

/// Whatever runs the services' Lambdas: in process through the runtime's
/// `invoke_step`, or the real binaries behind a fake Runtime API.
pub trait Lambdas {
    /// Invokes the service named `service` (its name in the spec) with
    /// `payload`.
    fn invoke(&self, service: &str, payload: Value)
    -> impl Future<Output = Result<Value, Failure>>;
}

/// A forward step of the saga and its compensation, as the spec declares
/// them (for tests that call one step directly; a run follows the
/// definition).
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// The step's state name.
    pub state: &'static str,
    /// Its compensation's state name.
    pub compensation: &'static str,
    /// The service both call.
    pub service: Service,
}

/// The steps of `spec/trip.saga.yaml`, in order.
pub const STEPS: [Step; 3] = [
    Step {
        state: "ReserveFlight",
        compensation: "CancelFlight",
        service: Service::Flight,
    },
    Step {
        state: "ReserveHotel",
        compensation: "CancelHotel",
        service: Service::Hotel,
    },
    Step {
        state: "ProcessPayment",
        compensation: "RefundPayment",
        service: Service::Payment,
    },
];

/// A fault to inject into a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The state's first invocation completes (and commits), but its
    /// response is lost: the machine sees `States.Timeout`, an ambiguous
    /// failure.
    LoseResponse(&'static str),
    /// Every invocation of the state fails with `TransientError` without
    /// reaching the service, as during a long outage of its table.
    Unavailable(&'static str),
}

/// A state machine definition, with its `${TableName}` still to be
/// substituted per run.
#[derive(Debug, Clone)]
pub struct Definition {
    text: String,
}

impl Definition {
    /// The definition generated from the reference spec,
    /// `generated/trip-booking/statemachine.asl.json`.
    pub fn trip_booking() -> Definition {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../generated/trip-booking/statemachine.asl.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        Definition::parse(&text)
    }

    /// A definition from its JSON text.
    pub fn parse(text: &str) -> Definition {
        let definition = Definition {
            text: text.to_owned(),
        };
        definition.for_table("TableName");
        definition
    }

    /// The executable definition over `table`.
    fn for_table(&self, table: &str) -> sagac_executor::Definition {
        let text = self.text.replace("${TableName}", table);
        sagac_executor::Definition::from_json(&text)
            .unwrap_or_else(|e| panic!("the executor refuses the definition: {e}"))
    }

    /// The Lambda task states and the service each invokes (its name in
    /// the spec), in definition order, Parallel branches and Map
    /// processors included.
    pub fn lambda_states(&self) -> Vec<(String, String)> {
        let asl: sagac_asl::Definition =
            serde_json::from_str(&self.text).expect("an ASL definition");
        asl.all_states()
            .into_iter()
            .filter_map(|(name, state)| {
                let State::Task(task) = state else {
                    return None;
                };
                // Lambda tasks are JSONata states: the function is in `Arguments`.
                let function = task.arguments.as_ref()?.get("FunctionName")?.as_str();
                Some((name.to_owned(), lambda_service(function)?))
            })
            .collect()
    }
}

/// The service (its spec name, snake_case) a `FunctionName` placeholder
/// names: `${OrderDeskFunctionAlias}` names `order_desk`.
fn lambda_service(function: Option<&str>) -> Option<String> {
    let pascal = function?
        .strip_prefix("${")?
        .strip_suffix("FunctionAlias}")?;
    let mut snake = String::new();
    for (i, c) in pascal.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    Some(snake)
}

/// One task attempt the run made.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The state's name.
    pub state: String,
    /// The attempt (`State.RetryCount`).
    pub attempt: u32,
    /// Its outcome, as the state machine saw it: the task's result, or its
    /// error.
    pub outcome: Result<Value, Failure>,
}

/// How a run ended, and what it did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The last state the run entered (`RecordSucceeded`, `RolledBack`,
    /// `CompensationFailed`).
    pub end: String,
    /// Whether the execution failed.
    pub failed: bool,
    /// The execution's error and cause, as DescribeExecution reports them.
    pub error: Option<Failure>,
    /// Every task attempt, in order.
    pub history: Vec<Visit>,
    /// The execution, as DescribeExecution and GetExecutionHistory give it.
    pub execution: Execution,
}

impl Run {
    /// The task states run, in order, once per state (retries collapsed).
    pub fn states(&self) -> Vec<&str> {
        let mut states: Vec<&str> = Vec::new();
        for visit in &self.history {
            if states.last() != Some(&visit.state.as_str()) {
                states.push(&visit.state);
            }
        }
        states
    }

    /// The Lambda states run, in order (the root writes left out).
    pub fn lambda_states(&self) -> Vec<&str> {
        self.states()
            .into_iter()
            .filter(|s| !s.starts_with("Record"))
            .collect()
    }
}

/// Runs the definition for the start request `request` (execution input
/// `{"request": …}`, execution name = its `trip_id`) on `table`.
pub async fn run(
    definition: &Definition,
    lambdas: &impl Lambdas,
    table: &str,
    request: Value,
    fault: Option<Fault>,
) -> Run {
    run_execution(definition, lambdas, table, Payloads::new(request), fault).await
}

/// Runs the definition for `execution` (its saga, name and start request;
/// the execution input is `{"request": …}`) on `table`.
pub async fn run_execution(
    definition: &Definition,
    lambdas: &impl Lambdas,
    table: &str,
    execution: Payloads,
    fault: Option<Fault>,
) -> Run {
    let target = Target {
        lambdas,
        fault,
        history: RefCell::new(Vec::new()),
    };
    // The virtual clock starts where the test kit's payloads say the
    // execution started, so both agree on `$$.Execution.StartTime`.
    let start = execution.context("", 0)["Execution"]["StartTime"]
        .as_str()
        .and_then(sagac_executor::Instant::parse_rfc3339)
        .unwrap_or(sagac_executor::Instant::DEFAULT_START);
    let options = ExecutionOptions {
        execution_name: execution.name.clone(),
        state_machine_name: execution.saga.clone(),
        start_time: start,
        ..ExecutionOptions::default()
    };
    let executable = definition.for_table(table);
    let done = Executor::new(&executable, options)
        .run(json!({ "request": execution.request }), &target)
        .await;
    let end = done
        .events
        .iter()
        .rev()
        .find(|e| e.is_state_entered())
        .and_then(|e| e.state_name())
        .unwrap_or_default()
        .to_owned();
    let error = done.error.clone().map(|error| Failure {
        error,
        cause: done.cause.clone().unwrap_or_default(),
    });
    Run {
        end,
        error,
        failed: done.status != Status::Succeeded,
        history: target.history.into_inner(),
        execution: done,
    }
}

/// The Task targets of a run.
struct Target<'l, L> {
    lambdas: &'l L,
    fault: Option<Fault>,
    history: RefCell<Vec<Visit>>,
}

/// How long a lost response keeps the state machine waiting: longer than
/// any task timeout the spec language allows.
const LOST: f64 = 1.0e6;

impl<L: Lambdas> TaskTarget for Target<'_, L> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        Box::pin(async move {
            let name = request.state_name;
            let response = match Resource::parse(request.resource) {
                Resource::LambdaInvoke { .. } => {
                    let function = request.parameters["FunctionName"].as_str();
                    let Some(service) = lambda_service(function) else {
                        panic!("{name}: no service behind FunctionName {function:?}");
                    };
                    if matches!(self.fault, Some(Fault::Unavailable(down)) if down == name) {
                        TaskResponse::err(lambda_function_error(
                            "TransientError",
                            &format!("{name}: the store is unavailable"),
                        ))
                    } else {
                        let payload = request.parameters["Payload"].clone();
                        let answer = match self.lambdas.invoke(&service, payload).await {
                            Ok(value) => TaskResponse::ok(lambda_invoke_response(value)),
                            Err(f) => TaskResponse::err(lambda_function_error(&f.error, &f.cause)),
                        };
                        let lost = matches!(self.fault, Some(Fault::LoseResponse(l)) if l == name);
                        if lost && request.attempt == 0 {
                            answer.after(LOST)
                        } else {
                            answer
                        }
                    }
                }
                Resource::Sdk {
                    service: "dynamodb",
                    action,
                } => {
                    let operation = action[..1].to_ascii_uppercase() + &action[1..];
                    match dynamodb_call(&operation, request.parameters).await {
                        Ok(value) => TaskResponse::ok(value),
                        Err(e) => TaskResponse::err(TaskError::new(
                            format!("DynamoDb.{}", e.code),
                            e.message,
                        )),
                    }
                }
                other => panic!("{name}: resource {other:?} is not served here"),
            };
            let outcome = if response.duration_seconds >= LOST {
                Err(Failure {
                    error: "States.Timeout".into(),
                    cause: format!("{name} did not answer within its timeout"),
                })
            } else {
                response.result.clone().map_err(|e| Failure {
                    error: e.error,
                    cause: e.cause.unwrap_or_default(),
                })
            };
            self.history.borrow_mut().push(Visit {
                state: name.to_owned(),
                attempt: request.attempt,
                outcome,
            });
            response
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_definition_calls_the_spec_steps() {
        let definition = Definition::trip_booking();
        let states = definition.lambda_states();
        for step in STEPS {
            for state in [step.state, step.compensation] {
                assert!(
                    states.contains(&(state.to_owned(), step.service.name().to_owned())),
                    "{state} on {}: {states:?}",
                    step.service.name()
                );
            }
        }
    }

    #[test]
    fn placeholders_name_services() {
        assert_eq!(
            lambda_service(Some("${OrderDeskFunctionAlias}")).as_deref(),
            Some("order_desk")
        );
        assert_eq!(lambda_service(Some("arn:aws:lambda:x")), None);
    }
}
