//! What the generated state machine does on specs other than the reference:
//! the default retry, helper state names, the outbox TTL of the root writes,
//! and the pivot's and retriable steps' own outcomes (issue 8, defects 2, 5,
//! 7 and 9).

use serde_json::Value;

use sagac_core::emit::{asl, diagram, mock};
use sagac_core::source::SourceFile;

fn spec_text(relative: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../spec/{relative}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn compile(name: &str, text: &str) -> sagac_core::ir::Saga {
    sagac_core::compile(&SourceFile::new(name, text.to_owned()))
        .unwrap_or_else(|d| panic!("{name} does not compile: {d:#?}"))
}

/// Every state of a definition, Parallel branches included, with its name,
/// in order; duplicates are kept (JSON objects here cannot hold them, but
/// two branches can each hold a state of the same name).
fn all_states(states: &serde_json::Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (name, state) in states {
        out.push((name.clone(), state.clone()));
        for branch in state["Branches"].as_array().into_iter().flatten() {
            if let Some(inner) = branch["States"].as_object() {
                all_states(inner, out);
            }
        }
    }
}

fn states_of(definition: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    all_states(definition["States"].as_object().unwrap(), &mut out);
    out
}

fn lambda_tasks(definition: &Value) -> Vec<(String, Value)> {
    states_of(definition)
        .into_iter()
        .filter(|(_, s)| s["Resource"] == "arn:aws:states:::lambda:invoke")
        .collect()
}

// Defect 2: a step without `retry` retried nothing but Lambda's own errors,
// so the runtime's `TransientError` went straight to the ambiguous path.
#[test]
fn every_lambda_task_retries_the_runtimes_transient_error() {
    // car-rental has no `defaults.retry` and no step-level `retry`.
    let text = spec_text("examples/car-rental.saga.yaml");
    assert!(!text.contains("retry"));
    let saga = compile("car-rental.saga.yaml", &text);
    let definition = asl::definition(&saga);
    let tasks = lambda_tasks(&definition);
    assert!(tasks.len() >= 5, "{tasks:?}");
    for (name, task) in tasks {
        let retried: Vec<&str> = task["Retry"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["ErrorEquals"].as_array().unwrap())
            .filter_map(Value::as_str)
            .collect();
        // The pivot retries everything but its definite failures.
        if retried.contains(&"States.ALL") {
            continue;
        }
        assert!(
            retried.contains(&sagac_contract::errors::TRANSIENT_ERROR),
            "{name} does not retry {}: {retried:?}",
            sagac_contract::errors::TRANSIENT_ERROR
        );
        for lambda in asl::LAMBDA_SERVICE_ERRORS {
            assert!(retried.contains(&lambda), "{name}: {retried:?}");
        }
    }
    // The mock configuration's transient failures are what the runtime
    // really returns.
    let config = mock::config(&saga);
    let thrown =
        config["MockedResponses"]["HoldVehicleTransientThenSucceeds"]["0"]["Throw"]["Error"]
            .clone();
    assert_eq!(thrown, sagac_contract::errors::TRANSIENT_ERROR);
    let _ = diagram::DIAGRAM_FILE;
}

fn state<'a>(definition: &'a Value, name: &str) -> &'a Value {
    let found = &definition["States"][name];
    assert!(found.is_object(), "no state {name}");
    found
}

fn catch_targets(task: &Value) -> Vec<(Vec<String>, String)> {
    task["Catch"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["ErrorEquals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_owned())
                    .collect(),
                c["Next"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The status a root write sets and the event type it puts in the outbox.
fn root_write(definition: &Value, name: &str) -> (String, String) {
    let items = state(definition, name)["Parameters"]["TransactItems"]
        .as_array()
        .unwrap()
        .clone();
    let status = items[0]["Update"]["ExpressionAttributeValues"][":status"]["S"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = items[1]["Put"]["Item"]["event_type"]["S"]
        .as_str()
        .unwrap()
        .to_owned();
    (status, event)
}

// Defect 9: an ambiguous pivot failure rolled back every earlier step,
// although the pivot may have committed.
#[test]
fn an_ambiguous_pivot_failure_is_retried_and_never_compensates() {
    // car-rental: HoldVehicle (compensatable), then TakeDeposit (pivot,
    // business error CardDeclined), default outcomes.
    let saga = compile(
        "car-rental.saga.yaml",
        &spec_text("examples/car-rental.saga.yaml"),
    );
    let definition = asl::definition(&saga);
    let pivot = state(&definition, "TakeDeposit");
    let catches = catch_targets(pivot);
    assert_eq!(
        catches,
        vec![
            (
                vec!["CardDeclined".into(), "Saga.InvalidPayload".into()],
                "ReleaseVehicle".into()
            ),
            (vec!["States.ALL".into()], asl::RECORD_PIVOT_UNKNOWN.into()),
        ]
    );
    // Definite failures are not retried; everything else is, with the policy.
    let retry = pivot["Retry"].as_array().unwrap();
    assert_eq!(retry.len(), 2);
    assert_eq!(
        retry[0]["ErrorEquals"],
        serde_json::json!(["CardDeclined", "Saga.InvalidPayload"])
    );
    assert_eq!(retry[0]["MaxAttempts"], 0);
    assert_eq!(retry[1]["ErrorEquals"], serde_json::json!(["States.ALL"]));
    assert_eq!(retry[1]["MaxAttempts"], 3);
    // The distinct outcome: its own status, event and Fail state.
    assert_eq!(
        root_write(&definition, asl::RECORD_PIVOT_UNKNOWN),
        ("PIVOT_UNKNOWN".into(), "RentalCompensationFailed".into())
    );
    assert_eq!(
        state(&definition, asl::RECORD_PIVOT_UNKNOWN)["Next"],
        asl::PIVOT_UNKNOWN
    );
    let fail = state(&definition, asl::PIVOT_UNKNOWN);
    assert_eq!(fail["Type"], "Fail");
    assert_eq!(fail["Error"], asl::PIVOT_UNKNOWN_ERROR);
    // Nothing from the pivot reaches a compensation but its business error.
    assert!(
        catches
            .iter()
            .filter(|(_, next)| next == "ReleaseVehicle")
            .all(|(errors, _)| !errors.contains(&"States.ALL".to_owned()))
    );
    // The mock configuration exercises every path of the pivot.
    let config = mock::config(&saga);
    let cases = config["StateMachines"]["CarRental"]["TestCases"]
        .as_object()
        .unwrap();
    for case in [
        "TakeDepositCardDeclined",
        "TakeDepositOutcomeUnknown",
        "TakeDepositTimesOutThenSucceeds",
        "TakeDepositTimesOutThenCardDeclined",
    ] {
        assert!(cases.contains_key(case), "no test case {case}");
    }
    let unknown = &config["MockedResponses"]["TakeDepositOutcomeUnknown"];
    assert_eq!(unknown["0-3"]["Throw"]["Error"], "States.Timeout");
    // The diagram tells the story.
    let text = diagram::markdown(&saga);
    assert!(
        text.contains("RecordPivotUnknown: Rental PIVOT_UNKNOWN"),
        "{text}"
    );
}

#[test]
fn a_retriable_step_that_exhausts_its_retries_has_its_own_outcome() {
    // money-transfer sets both outcomes explicitly.
    let saga = compile(
        "money-transfer.saga.yaml",
        &spec_text("examples/money-transfer.saga.yaml"),
    );
    let definition = asl::definition(&saga);
    for step in ["NotifyPayer", "PostToLedger"] {
        assert_eq!(
            catch_targets(state(&definition, step)),
            vec![(
                vec!["States.ALL".into()],
                asl::RECORD_RETRIES_EXHAUSTED.into()
            )],
            "{step}"
        );
    }
    assert_eq!(
        root_write(&definition, asl::RECORD_RETRIES_EXHAUSTED),
        ("POSTING_STUCK".into(), "TransferPostingStuck".into())
    );
    assert_eq!(
        state(&definition, asl::RETRIES_EXHAUSTED)["Error"],
        asl::RETRIES_EXHAUSTED_ERROR
    );
    assert_eq!(
        root_write(&definition, asl::RECORD_PIVOT_UNKNOWN),
        ("CLEARING_UNKNOWN".into(), "TransferClearingUnknown".into())
    );
    // The compensation-failure outcome is only for failed compensations.
    for (name, s) in states_of(&definition) {
        if s["Type"] == "Task" && name != asl::RECORD_COMPENSATION_FAILED {
            let only_from_compensation = catch_targets(&s)
                .iter()
                .all(|(_, next)| next != asl::RECORD_COMPENSATION_FAILED);
            assert!(
                only_from_compensation,
                "{name} ends in the compensation failure"
            );
        }
    }
    // Every terminal Fail state has its own error name.
    let mut errors: Vec<String> = states_of(&definition)
        .iter()
        .filter(|(_, s)| s["Type"] == "Fail")
        .map(|(_, s)| s["Error"].as_str().unwrap().to_owned())
        .collect();
    let count = errors.len();
    errors.sort();
    errors.dedup();
    assert_eq!(errors.len(), count, "{errors:?}");
    assert_eq!(count, 4, "{errors:?}");
}

#[test]
fn a_pivot_must_be_idempotent() {
    let text = spec_text("examples/car-rental.saga.yaml").replace(
        "    kind: pivot\n",
        "    kind: pivot\n    idempotent: false\n",
    );
    let diagnostics = sagac_core::compile(&SourceFile::new("car-rental.saga.yaml", text))
        .expect_err("a non-idempotent pivot is refused");
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code == sagac_core::codes::Code::PivotNotIdempotent),
        "{diagnostics:#?}"
    );
}
