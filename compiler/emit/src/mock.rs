//! `sfn-mock-config.json`: an AWS Step Functions Local mock configuration
//! (also read by LocalStack and by the test harness over moto's interpreter).
//!
//! Every test case mocks every Task of the definition, so no test case ever
//! reaches a real service; a case differs from `HappyPath` only in the
//! responses of the states it makes fail. Lambda mocks return the full
//! Invoke response (`{"StatusCode": 200, "Payload": ...}`), failures are
//! `Throw`s with the error name the handler (or Step Functions) reports, and
//! attempt keys (`"0"`, `"0-3"`) cover every retry a failure goes through.
//!
//! Test cases, in order:
//! - `HappyPath`;
//! - per compensatable step: its first business error (`<Step><Error>`) and
//!   an ambiguous failure (`<Step>TimesOut`);
//! - for the pivot: its first business error, an outcome that stays unknown
//!   through every retry (`<Pivot>OutcomeUnknown`), and, when it retries at
//!   all, a timeout whose retry succeeds (`<Pivot>TimesOutThenSucceeds`) or
//!   fails with the business error (`<Pivot>TimesOutThen<Error>`);
//! - per retriable step: `<Step>RetriesExhausted`;
//! - per forward step that retries at all: a transient error then success
//!   (`<Step>TransientThenSucceeds`);
//! - per compensation: `<Compensation>Fails` after its retries, on the path of
//!   the first failure that runs it ([`compensation_trigger`]);
//! - `RecordStartedSagaIdInUse` (the root item exists already) and
//!   `RecordSucceededAlreadyApplied` (the success write had been applied);
//! - `RecordStartedRefused` and `RecordSucceededRefused`: DynamoDB refuses
//!   the write outright (a validation error), which ends in
//!   `<Write>.Failed` with `Saga.RootWriteFailed`.

use sagac_asl::{Definition, Graph, State};
use serde_json::{Map, Value, json};

use super::OutputFile;
use super::{asl, sample};
use crate::ir::{Saga, Stage, Step, StepKind};

/// The file name of the mock configuration.
pub const MOCK_CONFIG_FILE: &str = "sfn-mock-config.json";

/// Response of a root write that succeeds.
const WRITE_OK: &str = "TransactWriteSucceeds";
/// Response of a root write whose condition fails on every attempt.
const WRITE_CANCELED: &str = "TransactWriteCanceled";
/// Response of a root write DynamoDB refuses outright (a validation error,
/// not retried): what a key over its size limit gets.
const WRITE_REFUSED: &str = "TransactWriteRefused";

/// The failure a compensation failure test case starts from.
#[derive(Debug, Clone)]
pub struct Trigger<'a> {
    /// The forward step that fails.
    pub step: &'a Step,
    /// Its error name.
    pub error: String,
    /// Its cause.
    pub cause: String,
}

/// The first failure after `step` completes that makes its compensation run:
/// a sibling branch failing (business error if it has one), else the next
/// stage failing, else `step` itself failing ambiguously.
pub fn compensation_trigger<'a>(saga: &'a Saga, step: &'a Step) -> Trigger<'a> {
    let index = saga
        .stages
        .iter()
        .position(|s| s.steps().iter().any(|b| b.name == step.name))
        .unwrap_or(0);
    let candidate = match &saga.stages[index] {
        Stage::Parallel(group) => group.branches.iter().find(|b| b.name != step.name),
        // Only a failure that rolls back: a compensatable step's, or the
        // pivot's business error (an ambiguous pivot failure compensates
        // nothing, and retriable steps never roll back).
        Stage::Step(_) => match saga.stages.get(index + 1) {
            Some(next) => next.steps().first().filter(|s| match s.kind {
                StepKind::Compensatable => true,
                StepKind::Pivot => !s.errors.is_empty(),
                StepKind::Retriable => false,
            }),
            None => None,
        },
    };
    match candidate {
        Some(other) => failure_of(other),
        None => timeout(step),
    }
}

fn failure_of(step: &Step) -> Trigger<'_> {
    match step.errors.first() {
        Some(error) => Trigger {
            step,
            error: error.clone(),
            cause: sample::cause(error),
        },
        None => timeout(step),
    }
}

fn timeout(step: &Step) -> Trigger<'_> {
    Trigger {
        step,
        error: "States.Timeout".into(),
        cause: format!(
            "{} did not answer within {} s",
            step.name, step.timeout_seconds
        ),
    }
}

/// The transient error a step's mocks throw: the first of its policy, else
/// the runtime's `TransientError` (always retried).
fn transient(errors: &[String]) -> String {
    errors
        .first()
        .cloned()
        .unwrap_or_else(|| asl::TRANSIENT_ERROR.to_owned())
}

fn attempts(retries: u32) -> String {
    if retries == 0 {
        "0".into()
    } else {
        format!("0-{retries}")
    }
}

fn invoke(payload: Value) -> Value {
    json!({"Return": {"StatusCode": 200, "Payload": payload}})
}

fn throw(error: &str, cause: &str) -> Value {
    json!({"Throw": {"Error": error, "Cause": cause}})
}

/// A test-case or response name part: letters and digits only.
fn ident(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// The mock configuration.
pub fn config(saga: &Saga) -> Value {
    let tasks = task_names(&asl::machine(saga));
    let mut responses = Map::new();
    let mut defaults = Map::new();
    responses.insert(WRITE_OK.into(), json!({"0": {"Return": {}}}));
    responses.insert(WRITE_REFUSED.into(), json!({"0": {"Throw": {
        "Error": "DynamoDb.DynamoDbException",
        "Cause": "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes (Service: DynamoDb, Status Code: 400)"
    }}}));
    responses.insert(WRITE_CANCELED.into(), json!({"0-2": {"Throw": {
        "Error": asl::TRANSACTION_CANCELED,
        "Cause": "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]"
    }}}));
    for step in saga.steps() {
        let ok = format!("{}Succeeds", step.name);
        responses.insert(
            ok.clone(),
            json!({"0": invoke(sample::step_output(saga, step))}),
        );
        defaults.insert(step.name.clone(), json!(ok));
        if let Some(comp) = &step.compensation {
            let ok = format!("{}Succeeds", comp.name);
            responses.insert(
                ok.clone(),
                json!({"0": invoke(sample::compensation_output(saga, step))}),
            );
            defaults.insert(comp.name.clone(), json!(ok));
        }
    }
    for task in &tasks {
        if !defaults.contains_key(task) {
            defaults.insert(task.clone(), json!(WRITE_OK));
        }
    }
    // Keep the test-case entries in definition order.
    let base: Map<String, Value> = tasks
        .iter()
        .filter_map(|t| defaults.get(t).map(|r| (t.clone(), r.clone())))
        .collect();

    let mut cases: Vec<(String, Map<String, Value>)> = vec![("HappyPath".into(), base.clone())];
    let mut case = |name: String, overrides: &[(&str, &str)]| {
        let mut mocks = base.clone();
        for (state, response) in overrides {
            mocks.insert((*state).to_owned(), json!(response));
        }
        cases.push((name, mocks));
    };
    for step in saga.steps() {
        if step.kind == StepKind::Pivot {
            pivot_cases(saga, step, &mut responses, &mut case);
        } else if step.kind == StepKind::Compensatable {
            if let Some(error) = step.errors.first() {
                let response = format!("{}{}", step.name, ident(error));
                responses.insert(
                    response.clone(),
                    json!({"0": throw(error, &sample::cause(error))}),
                );
                case(response.clone(), &[(&step.name, &response)]);
            }
            let response = format!("{}TimesOut", step.name);
            let t = timeout(step);
            responses.insert(response.clone(), json!({"0": throw(&t.error, &t.cause)}));
            case(response.clone(), &[(&step.name, &response)]);
        } else {
            let response = format!("{}RetriesExhausted", step.name);
            let error = transient(&step.retry.errors);
            responses.insert(
                response.clone(),
                json!({attempts(step.retry.max_attempts): throw(&error, &sample::cause(&error))}),
            );
            case(response.clone(), &[(&step.name, &response)]);
        }
        if step.retry.max_attempts > 0 {
            let response = format!("{}TransientThenSucceeds", step.name);
            let error = transient(&step.retry.errors);
            responses.insert(
                response.clone(),
                json!({
                    "0": throw(&error, &sample::cause(&error)),
                    "1": invoke(sample::step_output(saga, step))
                }),
            );
            case(response.clone(), &[(&step.name, &response)]);
        }
    }
    for step in saga.steps() {
        let Some(comp) = &step.compensation else {
            continue;
        };
        let trigger = compensation_trigger(saga, step);
        let trigger_response = if trigger.error == "States.Timeout" {
            format!("{}TimesOut", trigger.step.name)
        } else {
            format!("{}{}", trigger.step.name, ident(&trigger.error))
        };
        let response = format!("{}Fails", comp.name);
        let error = transient(&comp.retry.errors);
        responses.insert(
            response.clone(),
            json!({attempts(comp.retry.max_attempts): throw(&error, &sample::cause(&error))}),
        );
        case(
            response.clone(),
            &[
                (&trigger.step.name, &trigger_response),
                (&comp.name, &response),
            ],
        );
    }
    case(
        "RecordStartedSagaIdInUse".into(),
        &[(asl::RECORD_STARTED, WRITE_CANCELED)],
    );
    case(
        "RecordSucceededAlreadyApplied".into(),
        &[(asl::RECORD_SUCCEEDED, WRITE_CANCELED)],
    );
    case(
        "RecordStartedRefused".into(),
        &[(asl::RECORD_STARTED, WRITE_REFUSED)],
    );
    case(
        "RecordSucceededRefused".into(),
        &[(asl::RECORD_SUCCEEDED, WRITE_REFUSED)],
    );

    let cases: Map<String, Value> = cases
        .into_iter()
        .map(|(k, v)| (k, Value::Object(v)))
        .collect();
    json!({
        "StateMachines": {
            sample::state_machine_name(saga): {"TestCases": cases}
        },
        "MockedResponses": responses
    })
}

/// Adds a test case: its name and the (state, response) pairs it changes.
type AddCase<'a> = dyn FnMut(String, &[(&str, &str)]) + 'a;

/// The pivot's test cases: a business error (no-go: the steps before it are
/// compensated), an outcome that stays unknown through every retry
/// (`RecordPivotUnknown`, nothing compensated), and a timeout whose retry
/// makes the outcome definite: success (forward) or a business error
/// (compensate).
fn pivot_cases(
    saga: &Saga,
    step: &Step,
    responses: &mut Map<String, Value>,
    case: &mut AddCase<'_>,
) {
    let t = timeout(step);
    let business = step.errors.first();
    if let Some(error) = business {
        let response = format!("{}{}", step.name, ident(error));
        responses.insert(
            response.clone(),
            json!({"0": throw(error, &sample::cause(error))}),
        );
        case(response.clone(), &[(&step.name, &response)]);
    }
    let response = format!("{}OutcomeUnknown", step.name);
    responses.insert(
        response.clone(),
        json!({attempts(step.retry.max_attempts): throw(&t.error, &t.cause)}),
    );
    case(response.clone(), &[(&step.name, &response)]);
    if step.retry.max_attempts == 0 {
        return;
    }
    let response = format!("{}TimesOutThenSucceeds", step.name);
    responses.insert(
        response.clone(),
        json!({
            "0": throw(&t.error, &t.cause),
            "1": invoke(sample::step_output(saga, step))
        }),
    );
    case(response.clone(), &[(&step.name, &response)]);
    if let Some(error) = business {
        let response = format!("{}TimesOutThen{}", step.name, ident(error));
        responses.insert(
            response.clone(),
            json!({
                "0": throw(&t.error, &t.cause),
                "1": throw(error, &sample::cause(error))
            }),
        );
        case(response.clone(), &[(&step.name, &response)]);
    }
}

/// Every Task state of a definition (Parallel branches and Map processors
/// included), in document order.
pub fn task_names(definition: &Definition) -> Vec<String> {
    definition
        .all_states()
        .into_iter()
        .filter(|(_, state)| matches!(state, State::Task(_)))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The mock configuration file.
pub fn emit(saga: &Saga) -> Vec<OutputFile> {
    vec![OutputFile {
        path: MOCK_CONFIG_FILE.into(),
        contents: asl::pretty(&config(saga)),
    }]
}
