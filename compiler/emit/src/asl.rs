//! Amazon States Language: the state machine definition.
//!
//! # Shape of the generated machine
//!
//! ```text
//! RecordStarted ─▶ stage 1 ─▶ … ─▶ stage n ─▶ RecordSucceeded (End)
//!                     │ business error: compensate the completed stages
//!                     │ ambiguous failure: compensate this stage first
//!                     ▼
//!   compensation chain (reverse order) ─▶ CompensationOutcome ─▶ RecordFailed ─▶ RolledBack
//!                                                   └─ a compensation failed ─▶ RecordCompensationFailed ─▶ CompensationFailed
//!
//! pivot still failing ambiguously after its retries ─▶ RecordPivotUnknown ─▶ PivotUnknown
//! retriable step still failing after its retries ─▶ RecordRetriesExhausted ─▶ RetriesExhausted
//! ```
//!
//! State data is `{request, results: {<State>: {output}}, error?, failures?,
//! compensation_failures?}`. Lambda tasks are JSONata states: each passes its
//! function only the context fields the runtime and Datadog's trace merging
//! read (`sagac_contract::payload::CONTEXT`: the idempotency key parts
//! `Execution.Name` and `State.Name` among them), never the context object
//! whole (its `Execution.Input` is the whole request), and the step's
//! `input`: the request fields and earlier outputs its spec `input:`
//! declares (least data), and on compensation paths `error`. A value that
//! is missing (an output of a step that failed ambiguously, an optional
//! field) leaves its key out rather than failing the task.
//!
//! The compensation chain is one linear list of states for the whole saga,
//! last stage first; a failure enters it at the right place, so the
//! compensations of a failure at step *i* are exactly a suffix of the chain.
//! Failures *enter* it with `Catch`; nothing on the happy path ever touches
//! it, so the happy path costs one transition per step plus the two root
//! writes (plus a Parallel and a join per parallel group).
//!
//! Every terminal `Fail` state has its own error name (`Saga.RolledBack`,
//! `Saga.CompensationFailed`, `Saga.PivotUnknown`, `Saga.RetriesExhausted`),
//! so an execution's error tells which outcome it reached.
//!
//! Helper states that the spec does not name carry a `.` in their name
//! (`ReserveCar.Caught`, `ReserveExtras.Joined`, `CancelCar.Needed`): spec
//! state names are PascalCase, so these can never collide with them, and
//! they are never cut, so they cannot collide with each other either (the
//! validator keeps every name that gets a suffix within 80 characters with
//! it). The
//! saga-level ones are in [`RESERVED_STATES`](crate::naming::RESERVED_STATES).
//!
//! # Decisions
//!
//! - **Failures.** A step's business errors (its `errors`) are caught without
//!   retry and compensate the steps completed before it. Its retry policy's
//!   errors, the runtime's `TransientError` and the four Lambda service
//!   errors are retried with the policy's backoff. Anything else that is still failing (`States.Timeout`,
//!   `Lambda.Unknown`, retries exhausted, `Saga.InvalidPayload`) is
//!   ambiguous: the step may have taken effect, so its own compensation runs
//!   first.
//! - **The pivot** has no compensation, and its ambiguous failure is no
//!   reason to roll back: it may have committed. Its first retrier matches
//!   its business errors and `Saga.InvalidPayload` (the handler refused the
//!   payload before doing anything) with `MaxAttempts: 0`; the second retries
//!   `States.ALL`, everything else, with the step's policy: being idempotent
//!   (the validator insists), a retry returns the first outcome, so the
//!   outcome becomes definite. A definite failure undoes the steps before
//!   it; an outcome still unknown after the last retry ends in
//!   `RecordPivotUnknown` → `PivotUnknown` (`Saga.PivotUnknown`), its own
//!   status and event, with nothing compensated: people must find out
//!   whether it committed.
//! - **Past the pivot** there is no rolling back: a retriable step (which
//!   also retries timeouts, being idempotent by its key) that still fails
//!   ends in `RecordRetriesExhausted` → `RetriesExhausted`
//!   (`Saga.RetriesExhausted`), its own outcome: no compensation ran, so it
//!   is not the compensation failure.
//! - **Compensation failures** do not stop the chain: the other
//!   compensations still release what they hold, the error is kept under
//!   `compensation_failures.<State>`, and `CompensationOutcome` (one Choice,
//!   on failure paths only) picks `RecordCompensationFailed` over
//!   `RecordFailed`. Compensations also retry `States.Timeout`.
//! - **Parallel groups.** A failing branch would make the Parallel fail and
//!   stop its siblings, losing their outputs. So each branch catches its own
//!   step's failure (to a `.Caught` Pass, on failure only) and the Parallel
//!   always completes; its `ResultSelector` merges the branches' `results`
//!   and `failures`. Only a Choice can route on data, so one `.Joined` Choice
//!   per group is the minimum the happy path pays. On rollback a `.Needed`
//!   Choice per branch compensates exactly the branches that completed, or
//!   that failed ambiguously.
//! - **Root writes** are direct `aws-sdk:dynamodb:transactWriteItems` tasks
//!   (no Lambda, no cold start): the root item or its status change plus the
//!   outbox item, in one transaction. They are the only JSONata states
//!   (`QueryLanguage: JSONata`): the outbox item's TTL is epoch seconds,
//!   which only JSONata can compute (`$toMillis` of the state's entry time,
//!   plus `outbox.ttl`); the rest of the machine stays JSONPath. Each carries a `ClientRequestToken`
//!   derived from the execution and state names, so a retry of a write that
//!   committed (a timeout, a lost response) is a no-op success within
//!   DynamoDB's 10-minute window. Past it, a terminal write's failed condition
//!   (`status = initial`) can only mean this execution already applied it:
//!   the execution name is the saga id and only the saga moves the status.
//!   So `DynamoDb.TransactionCanceledException` is retried twice (a
//!   transaction conflict looks the same) and then taken as done. On
//!   `RecordStarted` the same failure means the saga id is taken: the
//!   execution fails before any step runs. No metric is emitted here; the
//!   runtime counts them.
//! - **A root write that fails otherwise** (its retries exhausted, a
//!   validation error such as a key over DynamoDB's size limit, missing
//!   permissions) is caught into `$.record_error` and ends the execution in
//!   its own Fail state, `<Write>.Failed`, with the error
//!   `Saga.RootWriteFailed` and a cause that says what the saga did and what
//!   could not be recorded, then DynamoDB's error and cause. Nothing else is
//!   written: the table has just refused a write. The API bounds the start
//!   request so that its values fit every key and item
//!   ([`crate::bounds`]), so this is for the unexpected.
//! - **Happy path cost**: `RecordStarted`, one transition per step (plus the
//!   Parallel and its join per group), `RecordSucceeded` with `End`. There is
//!   no Pass state and no Succeed state on it.

use sagac_asl::{
    Branch, Catcher, Choice, ChoiceRule, Count, Definition, Fail, Graph, Parallel, Pass,
    QueryLanguage, Retrier, State, States, Succeed, Task,
};
use serde_json::{Map, Value, json};

use super::OutputFile;
use crate::ir::{self, FieldType, KeyPart, KeyTemplate, Saga, Stage, Step, StepKind};

/// A `${...}` placeholder of the definition, resolved by the template's
/// `DefinitionSubstitutions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Substitution {
    /// The ARN of the `live` alias of a service's function (by service name).
    FunctionAlias(String),
    /// The name of the single table.
    TableName,
}

/// The placeholders the definition uses, by placeholder name (without `${}`),
/// in a stable order: the function alias of every service a step calls, in
/// spec order, then the table.
pub fn substitutions(saga: &Saga) -> Vec<(String, Substitution)> {
    let mut out: Vec<(String, Substitution)> = saga
        .services
        .iter()
        .filter(|s| saga.steps().any(|step| step.service == s.name))
        .map(|s| {
            (
                function_placeholder(s),
                Substitution::FunctionAlias(s.name.clone()),
            )
        })
        .collect();
    out.push(("TableName".into(), Substitution::TableName));
    out
}

/// The placeholder (without `${}`) by which the definition names a
/// service's function alias, e.g. `FlightFunctionAlias`.
pub fn function_placeholder(service: &ir::Service) -> String {
    format!("{}FunctionAlias", service.pascal)
}

/// The file name of the definition.
pub const DEFINITION_FILE: &str = "statemachine.asl.json";

pub use crate::naming::{
    CAUGHT_SUFFIX, COMPENSATION_FAILED, COMPENSATION_OUTCOME, JOINED_SUFFIX, MAX_STATE_NAME,
    NEEDED_SUFFIX, PIVOT_UNKNOWN, RECORD_COMPENSATION_FAILED, RECORD_FAILED, RECORD_PIVOT_UNKNOWN,
    RECORD_RETRIES_EXHAUSTED, RECORD_STARTED, RECORD_SUCCEEDED, RETRIES_EXHAUSTED, ROLLED_BACK,
    SUCCEEDED, helper_name,
};

/// The error of the `RolledBack` state.
pub const ROLLED_BACK_ERROR: &str = "Saga.RolledBack";
/// The error of the `CompensationFailed` state.
pub const COMPENSATION_FAILED_ERROR: &str = "Saga.CompensationFailed";
/// The error of the `PivotUnknown` state.
pub const PIVOT_UNKNOWN_ERROR: &str = "Saga.PivotUnknown";
/// The error of the `RetriesExhausted` state.
pub const RETRIES_EXHAUSTED_ERROR: &str = "Saga.RetriesExhausted";

/// The error the runtime reports for every retriable failure; every Lambda
/// task retries it, whatever the spec says. Read from `sagac-contract`,
/// where the runtime reads it too.
pub use sagac_contract::errors::TRANSIENT_ERROR;

/// Lambda service errors every Lambda task retries, whatever the spec says.
pub const LAMBDA_SERVICE_ERRORS: [&str; 4] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];

/// DynamoDB errors the root writes retry (throttling and server errors).
pub const DYNAMODB_TRANSIENT_ERRORS: [&str; 5] = [
    "DynamoDb.ProvisionedThroughputExceededException",
    "DynamoDb.ThrottlingException",
    "DynamoDb.RequestLimitExceededException",
    "DynamoDb.InternalServerErrorException",
    "DynamoDb.TransactionInProgressException",
];

/// The error of the Fail state a root write that failed unexpectedly ends
/// in (`<Write>.Failed`).
pub const ROOT_WRITE_FAILED_ERROR: &str = "Saga.RootWriteFailed";
/// Suffix of the Fail state after a root write that failed unexpectedly.
pub const WRITE_FAILED_SUFFIX: &str = ".Failed";

/// The Fail state `write` (a root write) goes to when it fails unexpectedly.
pub fn write_failed(write: &str) -> String {
    format!("{write}{WRITE_FAILED_SUFFIX}")
}

/// What a failed condition in a `TransactWriteItems` is reported as.
pub const TRANSACTION_CANCELED: &str = "DynamoDb.TransactionCanceledException";

const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";
const STATES_ALL: &str = "States.ALL";
use sagac_contract::errors::INVALID_PAYLOAD;
const TRANSACT_WRITE: &str = "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems";
/// Timeout of the root writes: one DynamoDB transaction.
const RECORD_TIMEOUT_SECONDS: u64 = 20;
/// The state machine definition, typed: what the mock configuration and
/// the diagrams walk, and what [`definition`] serializes. States nothing
/// reaches (e.g. `RecordCompensationFailed` when no step has a
/// compensation) are left out.
pub fn machine(saga: &Saga) -> Definition {
    let builder = Builder::new(saga);
    let mut machine = Definition {
        comment: Some(format!(
            "{} saga. Generated by sagac from the spec; do not edit.{}",
            saga.name,
            saga.description
                .as_deref()
                .map(|d| format!(" {d}"))
                .unwrap_or_default()
        )),
        query_language: None,
        start_at: RECORD_STARTED.into(),
        version: None,
        timeout_seconds: Some(saga.timeout_seconds),
        states: builder.states(),
    };
    machine.prune_unreachable();
    machine
}

/// The state machine definition as JSON (the template embeds it).
pub fn definition(saga: &Saga) -> Value {
    serde_json::to_value(machine(saga)).expect("an ASL document has string keys only")
}

/// The definition as written to [`DEFINITION_FILE`]: pretty JSON, trailing newline.
pub fn definition_text(saga: &Saga) -> String {
    pretty(&definition(saga))
}

/// Pretty JSON with a trailing newline.
pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Every ASL-related output file: the definition. (The mock configuration,
/// sample events and diagrams derived from it are their own modules.)
pub fn emit(saga: &Saga) -> Vec<OutputFile> {
    vec![OutputFile {
        path: DEFINITION_FILE.into(),
        contents: definition_text(saga),
    }]
}

/// The states entered when every task succeeds, in order, Parallel branches
/// in declaration order: the happy path. Its length is the number of state
/// transitions a successful execution is billed for.
pub fn happy_path(definition: &Definition) -> Vec<String> {
    let mut out = Vec::new();
    walk_happy(definition, &mut out);
    out
}

fn walk_happy(graph: &dyn Graph, out: &mut Vec<String>) {
    let states = graph.states();
    let mut current = Some(graph.start_at());
    // A definition has finitely many states; a happy path never loops.
    let mut budget = states.len() + 1;
    while let Some(name) = current.take() {
        if budget == 0 {
            break;
        }
        budget -= 1;
        let Some(state) = states.get(name) else {
            break;
        };
        out.push(name.to_owned());
        if let State::Parallel(parallel) = state {
            for branch in &parallel.branches {
                walk_happy(branch, out);
            }
        }
        current = match state {
            State::Choice(choice) => choice.default.as_deref(),
            other => other.next(),
        };
    }
}

/// One element of the compensation chain.
#[derive(Debug, Clone, Copy)]
enum Link<'a> {
    /// The compensation task of a step.
    Compensate(&'a Step),
    /// The `Choice` in front of a parallel branch's compensation.
    Gate(&'a Step),
}

impl Link<'_> {
    fn name(&self) -> String {
        match self {
            Link::Compensate(step) => compensation(step).name.clone(),
            Link::Gate(step) => helper_name(&compensation(step).name, NEEDED_SUFFIX),
        }
    }
}

fn compensation(step: &Step) -> &ir::Compensation {
    step.compensation
        .as_ref()
        .expect("the chain holds compensatable steps only")
}

/// Builds the states of one saga.
struct Builder<'a> {
    saga: &'a Saga,
    /// The compensation chain, last stage first.
    chain: Vec<Link<'a>>,
    /// Per stage: where its links start in `chain` and where they end.
    spans: Vec<(usize, usize)>,
}

impl<'a> Builder<'a> {
    fn new(saga: &'a Saga) -> Self {
        let mut chain = Vec::new();
        let mut spans = vec![(0, 0); saga.stages.len()];
        for (index, stage) in saga.stages.iter().enumerate().rev() {
            let start = chain.len();
            match stage {
                Stage::Step(step) if step.compensation.is_some() => {
                    chain.push(Link::Compensate(step))
                }
                Stage::Step(_) => {}
                Stage::Parallel(group) => {
                    for step in group
                        .branches
                        .iter()
                        .rev()
                        .filter(|s| s.compensation.is_some())
                    {
                        chain.push(Link::Gate(step));
                        chain.push(Link::Compensate(step));
                    }
                }
            }
            spans[index] = (start, chain.len());
        }
        Builder { saga, chain, spans }
    }

    /// The state that compensates from chain position `at` on. `in_chain`:
    /// whether a compensation may already have run (then the outcome must be
    /// checked); otherwise an empty rest goes straight to `RecordFailed`.
    fn chain_target(&self, at: usize, in_chain: bool) -> String {
        match self.chain.get(at) {
            Some(link) => link.name(),
            None if in_chain => COMPENSATION_OUTCOME.into(),
            None => RECORD_FAILED.into(),
        }
    }

    /// Compensate stage `index` and every earlier one.
    fn undo_from(&self, index: usize) -> String {
        self.chain_target(self.spans[index].0, false)
    }

    /// Compensate the stages before `index`.
    fn undo_before(&self, index: usize) -> String {
        self.chain_target(self.spans[index].1, false)
    }

    fn next_stage(&self, index: usize) -> String {
        self.saga
            .stages
            .get(index + 1)
            .map_or_else(|| RECORD_SUCCEEDED.into(), |s| s.name().to_owned())
    }

    fn states(&self) -> States {
        let mut states = States::new();
        states.insert(RECORD_STARTED.into(), self.record_started());
        for (index, stage) in self.saga.stages.iter().enumerate() {
            match stage {
                Stage::Step(step) => {
                    let (business, ambiguous) = match step.kind {
                        StepKind::Compensatable => (self.undo_before(index), self.undo_from(index)),
                        // The pivot has no compensation: a definite failure
                        // (a business error) means no-go, so the earlier steps
                        // are undone. An ambiguous one is retried until it is
                        // definite; if it never is, the pivot may have
                        // committed: nothing is undone and people decide.
                        StepKind::Pivot => (self.undo_before(index), RECORD_PIVOT_UNKNOWN.into()),
                        // After the pivot the saga can only go forward: a
                        // retriable step that still fails after its retries
                        // needs a human, recorded as its own outcome (no
                        // compensation ran, so not the compensation failure).
                        StepKind::Retriable => (
                            RECORD_RETRIES_EXHAUSTED.into(),
                            RECORD_RETRIES_EXHAUSTED.into(),
                        ),
                    };
                    let task = self.step_task(
                        step,
                        "$.error",
                        &business,
                        &ambiguous,
                        Some(self.next_stage(index)),
                    );
                    states.insert(step.name.clone(), task);
                }
                Stage::Parallel(group) => {
                    states.insert(group.name.clone(), self.parallel(group, index == 0));
                    states.insert(
                        helper_name(&group.name, JOINED_SUFFIX),
                        self.joined(group, &self.undo_from(index), &self.next_stage(index)),
                    );
                }
            }
        }
        states.insert(
            RECORD_SUCCEEDED.into(),
            self.record_outcome(
                RECORD_SUCCEEDED,
                &self.saga.root.success,
                None,
                Some(SUCCEEDED),
            ),
        );
        states.insert(
            SUCCEEDED.into(),
            State::Succeed(Succeed {
                comment: Some(
                    "Reached only when RecordSucceeded found its write already applied (see there)."
                        .into(),
                ),
                ..Succeed::default()
            }),
        );
        for (at, link) in self.chain.iter().enumerate() {
            let state = match link {
                Link::Compensate(step) => {
                    self.compensation_task(step, &self.chain_target(at + 1, true))
                }
                Link::Gate(step) => self.gate(step, &self.chain_target(at + 2, true)),
            };
            states.insert(link.name(), state);
        }
        states.insert(
            COMPENSATION_OUTCOME.into(),
            State::Choice(Choice {
                comment: Some("Every compensation ran; a failed one (after its retries) left its error under compensation_failures.".into()),
                choices: vec![rule(
                    json!({"Variable": "$.compensation_failures", "IsPresent": true}),
                    RECORD_COMPENSATION_FAILED,
                )],
                default: Some(RECORD_FAILED.into()),
                ..Choice::default()
            }),
        );
        states.insert(
            RECORD_FAILED.into(),
            self.record_outcome(
                RECORD_FAILED,
                &self.saga.root.failure,
                Some(ROLLED_BACK),
                None,
            ),
        );
        states.insert(
            ROLLED_BACK.into(),
            fail(
                format!(
                    "The saga failed and every completed step was compensated; the root is {}.",
                    self.saga.root.failure.status
                ),
                ROLLED_BACK_ERROR,
                "a forward step failed; the completed steps were compensated",
            ),
        );
        states.insert(
            RECORD_COMPENSATION_FAILED.into(),
            self.record_outcome(
                RECORD_COMPENSATION_FAILED,
                &self.saga.root.compensation_failure,
                Some(COMPENSATION_FAILED),
                None,
            ),
        );
        // Where each root write ends when it fails unexpectedly (pruned with
        // the write when nothing reaches it).
        for write in [
            RECORD_STARTED,
            RECORD_SUCCEEDED,
            RECORD_FAILED,
            RECORD_COMPENSATION_FAILED,
            RECORD_PIVOT_UNKNOWN,
            RECORD_RETRIES_EXHAUSTED,
        ] {
            states.insert(write_failed(write), self.write_failed_state(write));
        }
        states.insert(
            COMPENSATION_FAILED.into(),
            fail(
                format!(
                    "Needs a human: the root is {} and {} was written for the alert.",
                    self.saga.root.compensation_failure.status,
                    self.saga.root.compensation_failure.event
                ),
                COMPENSATION_FAILED_ERROR,
                "a compensation still failed after its retries",
            ),
        );
        // The two outcomes that ask for people besides a failed
        // compensation: the root write, then its Fail state.
        for (record, outcome, fail_state, why, error, cause) in [
            (
                RECORD_PIVOT_UNKNOWN,
                &self.saga.root.pivot_unknown,
                PIVOT_UNKNOWN,
                "the pivot kept failing ambiguously through its retries, so it may or may not have committed; nothing was compensated",
                PIVOT_UNKNOWN_ERROR,
                "the pivot's outcome stayed unknown after its retries; nothing was compensated",
            ),
            (
                RECORD_RETRIES_EXHAUSTED,
                &self.saga.root.retries_exhausted,
                RETRIES_EXHAUSTED,
                "a step after the pivot still failed after its retries; the saga cannot roll back and did not finish",
                RETRIES_EXHAUSTED_ERROR,
                "a retriable step after the pivot still failed after its retries",
            ),
        ] {
            states.insert(
                record.into(),
                self.record_outcome(record, outcome, Some(fail_state), None),
            );
            states.insert(
                fail_state.into(),
                fail(
                    format!(
                        "Needs a human: {why}. The root is {} and {} was written.",
                        outcome.status, outcome.event
                    ),
                    error,
                    cause,
                ),
            );
        }
        states
    }

    /// The `Arguments` of a Lambda task: the function, and a payload of the
    /// context fields the runtime and Datadog's trace merging read, the
    /// step's input (least data: nothing else of the request or the
    /// results), and on compensation paths the failure that started it.
    fn lambda_arguments(&self, step: &Step, compensation: bool) -> Value {
        let placeholder = self
            .saga
            .service(&step.service)
            .map(function_placeholder)
            .unwrap_or_else(|| format!("{}FunctionAlias", crate::naming::to_pascal(&step.service)));
        json!({
            "FunctionName": format!("${{{placeholder}}}"),
            "Payload": template(&payload_expression(step, compensation))
        })
    }

    /// A forward step's task. `failure_path`: where a caught error goes in the
    /// state data. `end`: `None` inside a parallel branch (the branch ends).
    fn step_task(
        &self,
        step: &Step,
        failure_path: &str,
        business: &str,
        ambiguous: &str,
        next: Option<String>,
    ) -> State {
        let mut definite = step.errors.clone();
        let retry = match step.kind {
            // The pivot is retried on everything but a definite failure
            // until its outcome is known: a timeout or `Lambda.Unknown` may
            // hide a commit, and an idempotent retry returns its result. A
            // business error, or a payload the handler refused before doing
            // anything, is definite: the first retrier matches them and
            // retries nothing.
            StepKind::Pivot => {
                definite.push(INVALID_PAYLOAD.into());
                let mut everything = retrier(&step.retry, vec![]);
                everything.error_equals = vec![STATES_ALL.into()];
                vec![
                    Retrier {
                        error_equals: definite.clone(),
                        max_attempts: Some(0),
                        ..Retrier::default()
                    },
                    everything,
                ]
            }
            // Retriable steps may not fail for business reasons and are
            // idempotent by their key, so a timeout is retried too.
            StepKind::Retriable => vec![retrier(
                &step.retry,
                step.retry
                    .errors
                    .iter()
                    .cloned()
                    .chain(["States.Timeout".to_owned()])
                    .collect(),
            )],
            StepKind::Compensatable => vec![retrier(&step.retry, step.retry.errors.clone())],
        };
        let mut catch = Vec::new();
        if !definite.is_empty() && business != ambiguous {
            catch.push(catcher(
                definite,
                template(&error_output(failure_path)),
                business,
            ));
        }
        // Anything else (States.Timeout, Lambda.Unknown, service errors after
        // the retries, Saga.InvalidPayload but for the pivot) is ambiguous:
        // the step may have taken effect.
        catch.push(catcher(
            vec![STATES_ALL.into()],
            template(&error_output(failure_path)),
            ambiguous,
        ));
        State::Task(Task {
            comment: Some(step_comment(step)),
            query_language: Some(QueryLanguage::JSONata),
            resource: LAMBDA_INVOKE.into(),
            arguments: Some(self.lambda_arguments(step, false)),
            timeout_seconds: Some(Count::Literal(step.timeout_seconds)),
            output: Some(json!(template(&result_output(&step.name)))),
            retry,
            catch,
            end: next.is_none().then_some(true),
            next,
            ..Task::default()
        })
    }

    fn compensation_task(&self, step: &Step, next: &str) -> State {
        let comp = compensation(step);
        let mut transient = comp.retry.errors.clone();
        // Compensations must eventually succeed and are idempotent by their
        // key: a timeout is retried like any transient error.
        transient.push("States.Timeout".into());
        State::Task(Task {
            comment: Some(format!(
                "Undoes {} ({}.{}); treats \"nothing to undo\" as success. On failure after its retries the remaining compensations still run.",
                step.name, step.service, comp.action
            )),
            query_language: Some(QueryLanguage::JSONata),
            resource: LAMBDA_INVOKE.into(),
            arguments: Some(self.lambda_arguments(step, true)),
            timeout_seconds: Some(Count::Literal(comp.timeout_seconds)),
            output: Some(json!(template(&result_output(&comp.name)))),
            retry: vec![retrier(&comp.retry, transient)],
            catch: vec![catcher(
                vec![STATES_ALL.into()],
                template(&error_output(&format!(
                    "$.compensation_failures.{}",
                    comp.name
                ))),
                next,
            )],
            next: Some(next.into()),
            ..Task::default()
        })
    }

    /// A parallel group. Each branch catches its own step's failure and ends
    /// normally with the error under `failures.<Step>`, so the Parallel always
    /// completes with every branch's outcome: the results of the branches
    /// that completed are merged, never lost to a sibling's failure. The
    /// `.Joined` Choice after it routes on `failures`.
    fn parallel(&self, group: &ir::Parallel, first: bool) -> State {
        let branches: Vec<Branch> = group
            .branches
            .iter()
            .map(|step| {
                let caught = helper_name(&step.name, CAUGHT_SUFFIX);
                let failure_path = format!("$.failures.{}", step.name);
                let task = self.step_task(step, &failure_path, &caught, &caught, None);
                let mut states = States::new();
                states.insert(step.name.clone(), task);
                states.insert(
                    caught,
                    State::Pass(Pass {
                        comment: Some(format!(
                            "{} failed; the branch ends normally so its siblings' results are kept.",
                            step.name
                        )),
                        end: Some(true),
                        ..Pass::default()
                    }),
                );
                Branch {
                    comment: None,
                    start_at: step.name.clone(),
                    states,
                }
            })
            .collect();
        // Branch outputs all have `results` and `failures` (the Parameters
        // give every branch both), so the merge below never misses a path.
        // `States.JsonMerge` is shallow and takes two objects: the merges of
        // n branches form a balanced tree.
        let merge = |field: &str| merge_tree(field, 0, group.branches.len());
        let mut parameters = Map::new();
        parameters.insert("request.$".into(), json!("$.request"));
        if first {
            parameters.insert("results".into(), json!({}));
        } else {
            parameters.insert("results.$".into(), json!("$.results"));
        }
        parameters.insert("failures".into(), json!({}));
        State::Parallel(Parallel {
            comment: Some(format!(
                "Runs {} concurrently. Branches never fail: a failed step leaves its error under failures.<Step>, so the results of the others are kept.",
                group
                    .branches
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            parameters: Some(Value::Object(parameters)),
            branches,
            result_selector: Some(json!({
                "request.$": "$[0].request",
                "results.$": merge("results"),
                "failures.$": merge("failures")
            })),
            result_path: Some(json!("$")),
            next: Some(helper_name(&group.name, JOINED_SUFFIX)),
            ..Parallel::default()
        })
    }

    fn joined(&self, group: &ir::Parallel, undo: &str, next: &str) -> State {
        let failed: Vec<Value> = group
            .branches
            .iter()
            .map(|s| json!({"Variable": format!("$.failures.{}", s.name), "IsPresent": true}))
            .collect();
        State::Choice(Choice {
            comment: Some(format!("Did every branch of {} complete?", group.name)),
            choices: vec![rule(json!({ "Or": failed }), undo)],
            default: Some(next.into()),
            ..Choice::default()
        })
    }

    /// Whether a parallel branch is compensated: it completed, or it failed
    /// ambiguously (it may have taken effect).
    fn gate(&self, step: &Step, skip: &str) -> State {
        let comp = compensation(step);
        let failed = format!("$.failures.{}", step.name);
        let ambiguous = if step.errors.is_empty() {
            json!({"Variable": failed, "IsPresent": true})
        } else {
            let business: Vec<Value> = step
                .errors
                .iter()
                .map(|e| json!({"Variable": format!("{failed}.Error"), "StringEquals": e}))
                .collect();
            let business = if business.len() == 1 {
                business.into_iter().next().unwrap_or_default()
            } else {
                json!({"Or": business})
            };
            json!({"And": [
                {"Variable": failed, "IsPresent": true},
                {"Not": business}
            ]})
        };
        State::Choice(Choice {
            comment: Some(format!(
                "Compensate {} only if it completed or failed ambiguously.",
                step.name
            )),
            choices: vec![rule(
                json!({"Or": [
                    {"Variable": format!("$.results.{}", step.name), "IsPresent": true},
                    ambiguous
                ]}),
                &comp.name,
            )],
            default: Some(skip.into()),
            ..Choice::default()
        })
    }

    fn record_started(&self) -> State {
        let root = self.root();
        let mut item = Map::new();
        let key = RootKey::new(self.saga);
        item.insert(self.saga.table.pk.clone(), key.pk.clone());
        item.insert(self.saga.table.sk.clone(), key.sk.clone());
        for index in &root.indexes {
            let Some(table_index) = self
                .saga
                .table
                .indexes
                .iter()
                .find(|i| i.name == index.index)
            else {
                continue;
            };
            let pk = key_attribute(&index.pk, &|f| self.start_value(f));
            let sk = match (&index.sk, &table_index.sk) {
                (Some(t), Some(_)) => key_attribute(t, &|f| self.start_value(f)).map(Some),
                _ => Some(None),
            };
            // An index key that cannot be built at the start is left to the
            // services; a half-keyed item is simply not in the index.
            if let (Some(pk), Some(sk)) = (pk, sk) {
                item.insert(table_index.pk.clone(), pk);
                if let (Some(sk), Some(attr)) = (sk, &table_index.sk) {
                    item.insert(attr.clone(), sk);
                }
            }
        }
        for field in &root.fields {
            if let Some(value) = self.start_value(&field.name) {
                item.insert(field.name.clone(), value);
            }
        }
        let mut items = vec![json!({"Put": {
            "TableName": "${TableName}",
            "Item": item,
            "ConditionExpression": "attribute_not_exists(#pk)",
            "ExpressionAttributeNames": {"#pk": self.saga.table.pk}
        }})];
        if let Some(event) = self.saga.root.on_start.as_deref() {
            items.push(self.outbox_put(event, &key, &|f| self.start_value(f)));
        }
        State::Task(Task {
            comment: Some(format!(
                "Writes the {} item ({}: {}){} in one transaction. The token makes a retry of a committed write a no-op; the condition refuses a saga id already in use. JSONata, to compute the outbox item's TTL.",
                root.name,
                self.saga.root.status_field,
                self.saga.root.initial,
                self.saga
                    .root
                    .on_start
                    .as_deref()
                    .map(|e| format!(" and the {e} outbox item"))
                    .unwrap_or_default()
            )),
            query_language: Some(QueryLanguage::JSONata),
            resource: TRANSACT_WRITE.into(),
            arguments: Some(json!({
                "ClientRequestToken": template(CLIENT_REQUEST_TOKEN),
                "TransactItems": items
            })),
            timeout_seconds: Some(Count::Literal(RECORD_TIMEOUT_SECONDS)),
            // The write's result is dropped: the state data goes on as it came.
            output: Some(json!(template(INPUT))),
            retry: record_retry(),
            catch: vec![catcher(
                vec![STATES_ALL.into()],
                template(RECORD_ERROR_OUTPUT),
                &write_failed(RECORD_STARTED),
            )],
            next: Some(
                self.saga
                    .stages
                    .first()
                    .map_or(RECORD_SUCCEEDED, |s| s.name())
                    .to_owned(),
            ),
            ..Task::default()
        })
    }

    /// The Fail state a root write ends in when it fails for any other
    /// reason than the ones it handles (its retries exhausted, a validation
    /// error, missing permissions): the execution fails with
    /// [`ROOT_WRITE_FAILED_ERROR`] and a cause that says what the saga did
    /// and what could not be recorded, followed by DynamoDB's error and
    /// cause. Nothing more can be written: the table just refused a write.
    fn write_failed_state(&self, write: &str) -> State {
        let root = &self.root().name;
        let initial = &self.saga.root.initial;
        let outcome = |o: &ir::Outcome, what: &str| {
            format!(
                "{what}, but {write} could not record it: {root} was not moved from {initial} to {} and {} was not written.",
                o.status, o.event
            )
        };
        let (comment, text) = match write {
            RECORD_STARTED => (
                "RecordStarted failed: the saga never started.".to_owned(),
                format!(
                    "{write} could not write the {root} item (a saga id already in use fails its condition): no step ran and nothing was recorded."
                ),
            ),
            RECORD_SUCCEEDED => (
                "RecordSucceeded failed after every step succeeded.".to_owned(),
                outcome(&self.saga.root.success, "Every step succeeded"),
            ),
            RECORD_FAILED => (
                "RecordFailed failed after the saga was rolled back.".to_owned(),
                outcome(
                    &self.saga.root.failure,
                    "The saga failed and its completed steps were compensated",
                ),
            ),
            RECORD_PIVOT_UNKNOWN => (
                "RecordPivotUnknown failed: the pivot's outcome is unknown and it is not recorded."
                    .to_owned(),
                outcome(
                    &self.saga.root.pivot_unknown,
                    "The pivot's outcome stayed unknown after its retries and nothing was compensated; this needs a human",
                ),
            ),
            RECORD_RETRIES_EXHAUSTED => (
                "RecordRetriesExhausted failed: a retriable step gave up and it is not recorded."
                    .to_owned(),
                outcome(
                    &self.saga.root.retries_exhausted,
                    "A retriable step after the pivot still failed after its retries; this needs a human",
                ),
            ),
            _ => (
                "RecordCompensationFailed failed: a compensation failed and it is not recorded."
                    .to_owned(),
                outcome(
                    &self.saga.root.compensation_failure,
                    "A compensation still failed after its retries; this needs a human",
                ),
            ),
        };
        State::Fail(Fail {
            comment: Some(format!(
                "{comment} The cause names DynamoDB's error; the execution's history shows the attempts."
            )),
            error: Some(ROOT_WRITE_FAILED_ERROR.into()),
            cause_path: Some(format!(
                "States.Format('{} {{}}: {{}}', $.record_error.Error, $.record_error.Cause)",
                escape_format(&text)
            )),
            ..Fail::default()
        })
    }

    /// A terminal write: the root status moves from the initial status to
    /// `outcome.status` and `outcome.event` goes to the outbox, in one
    /// transaction. Either `next` (a Fail state) or, on the happy path, `End`
    /// with `already` as the target when the write had already been applied.
    fn record_outcome(
        &self,
        write: &str,
        outcome: &ir::Outcome,
        next: Option<&str>,
        already: Option<&str>,
    ) -> State {
        let status = &self.saga.root.status_field;
        let key = RootKey::new(self.saga);
        let mut names = Map::new();
        names.insert("#status".into(), json!(status));
        let mut values = Map::new();
        values.insert(":status".into(), json!({"S": literal(&outcome.status)}));
        values.insert(
            ":initial".into(),
            json!({"S": literal(&self.saga.root.initial)}),
        );
        let mut update = "SET #status = :status".to_owned();
        if self.has_field("updated_at", FieldType::Timestamp) {
            names.insert("#updated_at".into(), json!("updated_at"));
            values.insert(":now".into(), attribute("S", ENTERED_TIME));
            update.push_str(", #updated_at = :now");
        }
        if self.has_field("version", FieldType::Int) {
            names.insert("#version".into(), json!("version"));
            values.insert(":one".into(), json!({"N": "1"}));
            update.push_str(" ADD #version :one");
        }
        let mut key_item = Map::new();
        key_item.insert(self.saga.table.pk.clone(), key.pk.clone());
        key_item.insert(self.saga.table.sk.clone(), key.sk.clone());
        let value = |f: &str| self.outcome_value(f, &outcome.status);
        let items = vec![
            json!({"Update": {
                "TableName": "${TableName}",
                "Key": key_item,
                "UpdateExpression": update,
                "ConditionExpression": "#status = :initial",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values
            }}),
            self.outbox_put(&outcome.event, &key, &value),
        ];
        let target = next.or(already).unwrap_or(SUCCEEDED);
        State::Task(Task {
            comment: Some(format!(
                "{} {} -> {} and the {} outbox item, in one transaction. The token makes a retry of a committed write a no-op; past its 10-minute window a failed condition can only mean this execution already moved the root (the execution name is the saga id, and only the saga changes the status), so it is taken as done. JSONata, to compute the outbox item's TTL.",
                self.root().name,
                self.saga.root.initial,
                outcome.status,
                outcome.event
            )),
            query_language: Some(QueryLanguage::JSONata),
            resource: TRANSACT_WRITE.into(),
            arguments: Some(json!({
                "ClientRequestToken": template(CLIENT_REQUEST_TOKEN),
                "TransactItems": items
            })),
            timeout_seconds: Some(Count::Literal(RECORD_TIMEOUT_SECONDS)),
            output: Some(json!(template(INPUT))),
            retry: record_retry(),
            catch: vec![
                catcher(
                    vec![TRANSACTION_CANCELED.into()],
                    template(RECORD_ERROR_OUTPUT),
                    target,
                ),
                catcher(
                    vec![STATES_ALL.into()],
                    template(RECORD_ERROR_OUTPUT),
                    &write_failed(write),
                ),
            ],
            next: next.map(str::to_owned),
            end: next.is_none().then_some(true),
            ..Task::default()
        })
    }

    fn outbox_put(
        &self,
        event_name: &str,
        key: &RootKey,
        value: &dyn Fn(&str) -> Option<Value>,
    ) -> Value {
        let mut payload = Map::new();
        if let Some(event) = self.saga.event(event_name) {
            for field in &event.fields {
                if let Some(v) = value(field) {
                    payload.insert(field.clone(), v);
                }
            }
        }
        // The event id is the execution name and the event name: one
        // terminal event per execution, and the start event once.
        let event_id = format!(
            "{EXECUTION_NAME} & {}",
            string_literal(&format!("#{event_name}"))
        );
        let sk: Vec<String> = self
            .saga
            .outbox
            .sk
            .parts
            .iter()
            .map(|part| match part {
                KeyPart::Literal(l) => string_literal(l),
                KeyPart::Field(_) => event_id.clone(),
            })
            .collect();
        let mut item = Map::new();
        item.insert(self.saga.table.pk.clone(), key.pk.clone());
        item.insert(self.saga.table.sk.clone(), attribute("S", &sk.join(" & ")));
        item.insert("event_id".into(), attribute("S", &event_id));
        item.insert("event_type".into(), json!({"S": literal(event_name)}));
        item.insert(
            "saga_id".into(),
            attribute("S", &request_path(&self.saga.root.id_field)),
        );
        item.insert("occurred_at".into(), attribute("S", ENTERED_TIME));
        item.insert("payload".into(), json!({"M": payload}));
        // The outbox TTL, in epoch seconds from when this state was entered
        // (the same across the state's retries, so a retry writes the same
        // item). The dispatcher deletes published items; the TTL removes
        // what it never could.
        if let Some(ttl) = &self.saga.table.ttl {
            item.insert(
                ttl.clone(),
                attribute("N", &outbox_expiry(self.saga.outbox.ttl_seconds)),
            );
        }
        json!({"Put": {
            "TableName": "${TableName}",
            "Item": item,
            "ConditionExpression": "attribute_not_exists(#pk)",
            "ExpressionAttributeNames": {"#pk": self.saga.table.pk}
        }})
    }

    fn root(&self) -> &ir::Entity {
        self.saga.root_entity()
    }

    fn has_field(&self, name: &str, ty: FieldType) -> bool {
        self.root().field(name).is_some_and(|f| f.ty == ty)
    }

    /// The value of a root field when the saga starts, as a typed DynamoDB
    /// attribute, if the state machine knows it.
    fn start_value(&self, name: &str) -> Option<Value> {
        let field = self.root().field(name)?;
        if name == self.saga.root.status_field {
            return Some(json!({"S": literal(&self.saga.root.initial)}));
        }
        if let Some(value) = request_value(self.saga, field) {
            return Some(value);
        }
        match (name, field.ty) {
            (_, FieldType::Timestamp)
                if START_TIMESTAMPS.contains(&name) || name == "updated_at" =>
            {
                Some(attribute("S", START_TIME))
            }
            ("version", FieldType::Int) => Some(json!({"N": "1"})),
            _ => None,
        }
    }

    /// The value of a root field in a terminal event.
    fn outcome_value(&self, name: &str, status: &str) -> Option<Value> {
        let field = self.root().field(name)?;
        if name == self.saga.root.status_field {
            return Some(json!({"S": literal(status)}));
        }
        if let Some(value) = request_value(self.saga, field) {
            return Some(value);
        }
        match (name, field.ty) {
            ("updated_at", FieldType::Timestamp) => Some(attribute("S", ENTERED_TIME)),
            (_, FieldType::Timestamp) if START_TIMESTAMPS.contains(&name) => {
                Some(attribute("S", START_TIME))
            }
            _ => None,
        }
    }
}

/// Root timestamp fields that mean "when the saga started": set from
/// `$$.Execution.StartTime` when the request does not carry them.
pub const START_TIMESTAMPS: &[&str] = &[
    "created_at",
    "placed_at",
    "requested_at",
    "started_at",
    "submitted_at",
    "opened_at",
    "initiated_at",
];

/// The query language of the root writes: JSONata, the only way a state can
/// turn a time into the epoch seconds of a TTL attribute. Every other state
/// is JSONPath (the machine's default).
pub const JSONATA: &str = "JSONata";

/// Idempotency token of a root write: stable across the retries of one state
/// (execution name and state name), at most 36 characters (an MD5 in hex).
const CLIENT_REQUEST_TOKEN: &str =
    r##"$hash($states.context.Execution.Name & "#" & $states.context.State.Name, "MD5")"##;
/// The state input, in a JSONata state.
const INPUT: &str = "$states.input";
/// The execution name (the saga id).
const EXECUTION_NAME: &str = "$states.context.Execution.Name";
/// When the execution started.
const START_TIME: &str = "$states.context.Execution.StartTime";
/// When the current state was entered (the same across its retries).
const ENTERED_TIME: &str = "$states.context.State.EnteredTime";
/// A root write's output when its condition failed: the input and the error.
const RECORD_ERROR_OUTPUT: &str =
    r#"$merge([$states.input, {"record_error": $states.errorOutput}])"#;

/// The TTL of an outbox item written `ttl_seconds` before it expires: epoch
/// seconds of the state's entry plus the TTL, as the `N` attribute's text.
pub fn outbox_expiry(ttl_seconds: u64) -> String {
    format!("$string($floor($toMillis({ENTERED_TIME}) / 1000) + {ttl_seconds})")
}

/// A JSONata template: a string `{% expression %}` is evaluated, any other
/// string is taken as it is.
fn template(expression: &str) -> String {
    format!("{{% {expression} %}}")
}

/// The expression of a template, if `text` is one.
fn expression_of(text: &str) -> Option<&str> {
    text.strip_prefix("{% ")?.strip_suffix(" %}")
}

/// Escapes the characters `States.Format` treats specially (the
/// `<Write>.Failed` states are JSONPath states).
fn escape_format(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\'' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A JSONata string literal: JSON's syntax and escapes.
fn string_literal(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// Literal text in a JSONata state, kept literal even if it looks like a
/// template.
fn literal(text: &str) -> Value {
    if text.starts_with("{%") {
        json!(template(&string_literal(text)))
    } else {
        json!(text)
    }
}

/// A typed DynamoDB attribute computed by `expression`.
fn attribute(kind: &str, expression: &str) -> Value {
    let mut out = Map::new();
    out.insert(kind.to_owned(), json!(template(expression)));
    Value::Object(out)
}

/// The JSONata path of a request field.
fn request_path(field: &str) -> String {
    // A snake_case name that JSONata reads as an operator is quoted.
    if matches!(field, "and" | "or" | "in" | "true" | "false" | "null") {
        format!("{INPUT}.request.`{field}`")
    } else {
        format!("{INPUT}.request.{field}")
    }
}

/// The payload of a step's (or its compensation's) Lambda task, a JSONata
/// object: [`payload::CONTEXT`](sagac_contract::payload::CONTEXT), `_datadog` when an upstream tracer put one in
/// the execution input, `input` (the request fields and earlier outputs the
/// step receives; a compensation also its step's output, when there is
/// one), and on compensation paths `error`. A missing value (an output of
/// a step that failed ambiguously, an optional field, no error) leaves its
/// key out rather than failing the task, as JSONata's object constructor
/// does.
pub fn payload_expression(step: &Step, compensation: bool) -> String {
    use sagac_contract::payload;
    let mut parts: Vec<String> = payload::CONTEXT
        .iter()
        .map(|(object, fields)| {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: $states.context.{object}.{f}", string_literal(f)))
                .collect();
            format!("{}: {{{}}}", string_literal(object), fields.join(", "))
        })
        .collect();
    parts.push(format!(
        "{}: $states.context.Execution.Input.{}",
        string_literal(payload::DATADOG),
        payload::DATADOG
    ));
    let mut input: Vec<String> = step
        .input
        .fields
        .iter()
        .map(|f| format!("{}: {}", string_literal(f), request_path(f)))
        .collect();
    let mut outputs: Vec<&str> = step.input.results.iter().map(String::as_str).collect();
    if compensation && step.writes.is_some() {
        outputs.push(&step.name);
    }
    for source in outputs {
        input.push(format!(
            "{}: {INPUT}.results.{source}.output",
            string_literal(&crate::naming::results_field(source))
        ));
    }
    parts.push(format!(
        "{}: {{{}}}",
        string_literal(payload::INPUT),
        input.join(", ")
    ));
    if compensation {
        parts.push(format!("{}: {INPUT}.error", string_literal(payload::ERROR)));
    }
    format!("{{{}}}", parts.join(", "))
}

/// The output of a Lambda task that succeeded: the state input with the
/// function's result at `results.<State>.output`.
fn result_output(state: &str) -> String {
    set_path(
        &format!("$.results.{state}"),
        "{\"output\": $states.result.Payload}",
    )
}

/// The output of a caught Lambda failure: the state input with the error
/// at `path` (`$.error`, `$.failures.<Step>`, `$.compensation_failures.<State>`).
fn error_output(path: &str) -> String {
    set_path(path, "$states.errorOutput")
}

/// The state input with `value` at a JSONPath-like `path` of plain names
/// (`$.results.ReserveFlight`), keeping what else each object on the way
/// holds.
fn set_path(path: &str, value: &str) -> String {
    let names: Vec<&str> = path.trim_start_matches("$.").split('.').collect();
    set_names(INPUT, &names, value)
}

fn set_names(base: &str, names: &[&str], value: &str) -> String {
    match names {
        [] => value.to_owned(),
        [first, rest @ ..] => format!(
            "$merge([{base}, {{{}: {}}}])",
            string_literal(first),
            set_names(&format!("{base}.{first}"), rest, value)
        ),
    }
}

/// `States.JsonMerge` over `$[from..to].<field>` as a balanced tree, so n
/// branches nest about log2(n) intrinsics deep (Step Functions allows 10).
fn merge_tree(field: &str, from: usize, to: usize) -> String {
    if to - from <= 1 {
        return format!("$[{from}].{field}");
    }
    let middle = from + (to - from) / 2;
    format!(
        "States.JsonMerge({}, {}, false)",
        merge_tree(field, from, middle),
        merge_tree(field, middle, to)
    )
}

fn record_retry() -> Vec<Retrier> {
    vec![
        Retrier {
            comment: None,
            error_equals: DYNAMODB_TRANSIENT_ERRORS
                .iter()
                .chain(["States.Timeout"].iter())
                .map(|e| (*e).to_owned())
                .collect(),
            interval_seconds: Some(1),
            max_attempts: Some(5),
            backoff_rate: Some(2.0),
            max_delay_seconds: Some(10),
            jitter_strategy: Some("FULL".into()),
        },
        // A transaction conflict is reported like a failed condition; one
        // more attempt tells them apart.
        Retrier {
            comment: None,
            error_equals: vec![TRANSACTION_CANCELED.into()],
            interval_seconds: Some(1),
            max_attempts: Some(2),
            backoff_rate: Some(2.0),
            max_delay_seconds: None,
            jitter_strategy: Some("FULL".into()),
        },
    ]
}

/// A catcher that puts the error output through `output` (a JSONata
/// template) and goes to `next`.
fn catcher(errors: Vec<String>, output: String, next: &str) -> Catcher {
    Catcher {
        comment: None,
        error_equals: errors,
        result_path: None,
        output: Some(Value::String(output)),
        assign: None,
        next: next.to_owned(),
    }
}

/// A choice rule: `condition` (a JSON object) leads to `next`.
fn rule(condition: Value, next: &str) -> ChoiceRule {
    let Value::Object(condition) = condition else {
        unreachable!("a choice condition is written as an object")
    };
    ChoiceRule {
        condition,
        next: next.to_owned(),
    }
}

/// A Fail state with a literal error and cause.
fn fail(comment: String, error: &str, cause: &str) -> State {
    State::Fail(Fail {
        comment: Some(comment),
        error: Some(error.to_owned()),
        cause: Some(cause.to_owned()),
        ..Fail::default()
    })
}

/// The retrier of a Lambda task: the policy's errors, then the runtime's
/// transient error and the Lambda service errors, which every Lambda task
/// retries whatever the spec lists (the runtime reports every retriable
/// failure as [`TRANSIENT_ERROR`]; without it a throttled table would be an
/// ambiguous failure and compensate at once).
fn retrier(retry: &ir::Retry, errors: Vec<String>) -> Retrier {
    let mut names: Vec<String> = Vec::new();
    for name in errors.into_iter().chain(
        std::iter::once(TRANSIENT_ERROR)
            .chain(LAMBDA_SERVICE_ERRORS)
            .map(str::to_owned),
    ) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Retrier {
        comment: None,
        error_equals: names,
        interval_seconds: Some(retry.interval_seconds),
        max_attempts: Some(u64::from(retry.max_attempts)),
        backoff_rate: Some(retry.backoff_rate),
        max_delay_seconds: retry.max_delay_seconds,
        jitter_strategy: retry.jitter.then(|| "FULL".to_owned()),
    }
}

/// The longest a task keeps being retried, in seconds: every attempt up to
/// its timeout, and every wait at its longest (jitter only shortens them).
pub fn retry_bound_seconds(retry: &ir::Retry, timeout_seconds: u64) -> u64 {
    let mut total = timeout_seconds;
    let mut wait = retry.interval_seconds as f64;
    for _ in 0..retry.max_attempts.min(10_000) {
        let capped = retry
            .max_delay_seconds
            .map_or(wait, |max| wait.min(max as f64));
        total = total
            .saturating_add(capped.min(31_622_400.0) as u64)
            .saturating_add(timeout_seconds);
        wait *= retry.backoff_rate;
    }
    total
}

fn step_comment(step: &Step) -> String {
    let kind = match step.kind {
        StepKind::Compensatable => match &step.compensation {
            Some(c) => format!("compensatable, undone by {}", c.name),
            None => "compensatable".into(),
        },
        StepKind::Pivot => format!(
            "pivot: past it the saga only goes forward; an ambiguous failure is retried for up to about {} s until the outcome is definite, then {RECORD_PIVOT_UNKNOWN} (nothing is compensated)",
            retry_bound_seconds(&step.retry, step.timeout_seconds)
        ),
        StepKind::Retriable => format!(
            "retriable: retried for up to about {} s, never compensated, then {RECORD_RETRIES_EXHAUSTED}",
            retry_bound_seconds(&step.retry, step.timeout_seconds)
        ),
    };
    let errors = if step.errors.is_empty() {
        String::new()
    } else {
        format!(
            "; business errors {} compensate without retry",
            step.errors.join(", ")
        )
    };
    format!("{}.{} ({kind}{errors}).", step.service, step.action)
}

/// The root item's primary key as attributes.
struct RootKey {
    pk: Value,
    sk: Value,
}

impl RootKey {
    fn new(saga: &Saga) -> Self {
        let root = saga.root_entity();
        let value = |f: &str| {
            root.field(f)
                .and_then(|field| request_value(saga, field))
                .or_else(|| (f == saga.root.id_field).then(|| attribute("S", &request_path(f))))
        };
        // The validator guarantees the saga id is in the request; a key over
        // other fields the request lacks falls back to the id itself.
        let fallback = || attribute("S", &request_path(&saga.root.id_field));
        RootKey {
            pk: key_attribute(&root.pk, &value).unwrap_or_else(fallback),
            sk: key_attribute(&root.sk, &value).unwrap_or_else(fallback),
        }
    }
}

/// A key template as a string attribute, if every field it uses is known.
fn key_attribute(template: &KeyTemplate, value: &dyn Fn(&str) -> Option<Value>) -> Option<Value> {
    if template.is_constant() {
        return Some(json!({"S": literal(&template.to_string())}));
    }
    // Parts of a JSONata concatenation, with the literal text of a value
    // fixed at compile time (e.g. the initial status) kept apart so a key
    // without any run-time part stays a literal.
    let mut parts: Vec<Result<String, String>> = Vec::new();
    for part in &template.parts {
        match part {
            KeyPart::Literal(l) => parts.push(Err(l.clone())),
            KeyPart::Field(f) => {
                let v = value(f)?;
                let (_, text) = v.as_object()?.iter().next()?;
                let text = text.as_str()?;
                match expression_of(text) {
                    Some(expression) => parts.push(Ok(expression.to_owned())),
                    None => parts.push(Err(text.to_owned())),
                }
            }
        }
    }
    if parts.iter().all(Result::is_err) {
        let text: String = parts.into_iter().filter_map(Result::err).collect();
        return Some(json!({"S": literal(&text)}));
    }
    let expression: Vec<String> = parts
        .into_iter()
        .map(|p| p.unwrap_or_else(|l| string_literal(&l)))
        .collect();
    Some(attribute("S", &expression.join(" & ")))
}

/// A root field read from the start request, when the request carries a
/// required field of the same name and type.
fn request_value(saga: &Saga, field: &ir::Field) -> Option<Value> {
    let request = saga.request.iter().find(|r| r.name == field.name)?;
    if request.optional || request.ty != field.ty {
        return None;
    }
    let path = request_path(&field.name);
    Some(match field.ty {
        FieldType::String | FieldType::Date | FieldType::Timestamp => attribute("S", &path),
        FieldType::Int => attribute("N", &format!("$string({path})")),
        // Decimals are exact text in the services; keep them as strings.
        FieldType::Decimal => attribute("S", &format!("$string({path})")),
        FieldType::Bool => attribute("BOOL", &path),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_names_are_never_cut() {
        assert_eq!(
            helper_name("ReserveCar", CAUGHT_SUFFIX),
            "ReserveCar.Caught"
        );
        let a = format!("{}A", "X".repeat(75));
        let b = format!("{}B", "X".repeat(75));
        assert_ne!(
            helper_name(&a, NEEDED_SUFFIX),
            helper_name(&b, NEEDED_SUFFIX)
        );
    }

    #[test]
    fn jsonata_literals_are_json_strings() {
        assert_eq!(string_literal("TRIP#"), "\"TRIP#\"");
        assert_eq!(string_literal("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(literal("{% $x %}"), json!("{% \"{% $x %}\" %}"));
        assert_eq!(expression_of(&template("$a & $b")), Some("$a & $b"));
    }

    #[test]
    fn branch_results_merge_as_a_balanced_tree() {
        assert_eq!(
            merge_tree("results", 0, 2),
            "States.JsonMerge($[0].results, $[1].results, false)"
        );
        assert_eq!(
            merge_tree("r", 0, 4),
            "States.JsonMerge(States.JsonMerge($[0].r, $[1].r, false), States.JsonMerge($[2].r, $[3].r, false), false)"
        );
    }
}
