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
