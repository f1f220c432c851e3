//! `sagac run --definition` through the real binary: the console-like history,
//! the JSON form, exit codes and usage errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn sagac(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sagac"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("sagac runs")
}

const DEFINITION: &str = "tests/asl/fixtures/executor/retry-catch.asl.json";
const MOCKS: &str = "tests/asl/fixtures/executor/retry-catch.mock-config.json";

/// One file per test: tests run in parallel threads.
fn input_file(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "sagac-run-input-{}-{test}.json",
        std::process::id()
    ));
    std::fs::write(&path, r#"{"order": {"id": "o-1", "total": 12}}"#).unwrap();
    path
}

fn run_case(case: &str, format: &str) -> Output {
    let input = input_file(&format!("{case}-{format}"));
    sagac(&[
        "run",
        "--definition",
        DEFINITION,
        "--mock-config",
        MOCKS,
        "--case",
        case,
        "--input",
        input.to_str().unwrap(),
        "--format",
        format,
    ])
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn text_history_of_retries_then_success() {
    let output = run_case("ChargeTransientThenOk", "text");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("run_text_transient_then_ok", stdout(&output));
}

#[test]
fn text_history_of_a_failed_compensation() {
    let output = run_case("RefundFails", "text");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!("run_text_refund_fails", stdout(&output));
}

#[test]
fn json_is_describe_execution_plus_history() {
    let output = run_case("ChargeDeclined", "json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["status"], "SUCCEEDED");
    assert!(
        value["output"].is_string(),
        "output is a JSON string, as DescribeExecution returns it"
    );
    insta::assert_snapshot!("run_json_charge_declined", stdout(&output));
}

#[test]
fn failed_execution_exits_1_with_error_and_cause() {
    let output = run_case("ShipFails", "json");
    assert_eq!(output.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["status"], "FAILED");
    // RolledBack's CausePath reads $.error, which the Ship catcher (ResultPath
    // null) did not write: the Fail state itself fails, naming the state.
    assert_eq!(value["error"], "States.Runtime");
    assert!(
        value["cause"]
            .as_str()
            .unwrap()
            .starts_with("An error occurred while executing the state 'RolledBack'")
    );
    assert!(value.get("output").is_none());
}

#[test]
fn without_mocks_a_task_fails_naming_the_state() {
    let output = sagac(&["run", "--definition", DEFINITION]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("status: FAILED"), "{text}");
    assert!(
        text.contains("no target for resource `arn:aws:states:::lambda:invoke` of state `Charge`"),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let bad_definition =
        std::env::temp_dir().join(format!("sagac-run-bad-{}.json", std::process::id()));
    std::fs::write(
        &bad_definition,
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#,
    )
    .unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["run"], "required arguments were not provided"),
        (
            &["run", "spec/trip.saga.yaml", "--mock-config", MOCKS],
            "go with --definition",
        ),
        (
            &["run", "spec/trip.saga.yaml", "--definition", DEFINITION],
            "cannot be used with",
        ),
        (
            &["run", "--definition", "does/not/exist.json"],
            "cannot read",
        ),
        (
            &["run", "--definition", bad_definition.to_str().unwrap()],
            "state `A`: transition to `B`",
        ),
        (
            &["run", "--definition", DEFINITION, "--case", "HappyPath"],
            "need --mock-config",
        ),
        (
            &[
                "run",
                "--definition",
                DEFINITION,
                "--mock-config",
                MOCKS,
                "--case",
                "Nope",
            ],
            "has no test case `Nope`",
        ),
    ];
    for (args, message) in cases {
        let output = sagac(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn default_case_is_happy_path() {
    let output = sagac(&[
        "run",
        "--definition",
        DEFINITION,
        "--mock-config",
        MOCKS,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let entered: Vec<&str> = value["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
        .collect();
    assert_eq!(entered, ["Charge", "Ship", "Shipped"]);
}

#[test]
fn text_history_of_parallel_and_map() {
    let inputs: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("tests/asl/fixtures/executor/tour.inputs.json"))
            .unwrap(),
    )
    .unwrap();
    let input = std::env::temp_dir().join(format!("sagac-run-tour-{}.json", std::process::id()));
    std::fs::write(&input, inputs["HappyPath"][0]["input"].to_string()).unwrap();
    let output = sagac(&[
        "run",
        "--definition",
        "tests/asl/fixtures/executor/tour.asl.json",
        "--mock-config",
        "tests/asl/fixtures/executor/tour.mock-config.json",
        "--input",
        input.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("run_text_tour", stdout(&output));
}

/// `sagac run SPEC` on every spec the project ships: the generated state
/// machine, the generated mocks' happy path, the root writes on the
/// embedded store. Each succeeds and writes its root item.
#[test]
fn every_spec_runs_its_happy_path() {
    let mut specs = vec![PathBuf::from("spec/trip.saga.yaml")];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(workspace().join("spec/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".saga.yaml"))
        .map(|p| p.strip_prefix(workspace()).unwrap().to_path_buf())
        .collect();
    examples.sort();
    specs.extend(examples);
    for spec in specs {
        let spec = spec.to_string_lossy().into_owned();
        let output = sagac(&["run", &spec]);
        assert!(output.status.success(), "{spec}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(text.contains("status: SUCCEEDED"), "{spec}: {text}");
        assert!(!text.contains("root item: (none)"), "{spec}: {text}");
        let name = Path::new(&spec)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".saga.yaml", "");
        insta::assert_snapshot!(format!("run_spec_{name}"), text);
    }
}

/// `--fail` injects a failure at a step: the saga compensates and ends
/// failed (exit 1); the JSON form carries DescribeExecution's fields, the
/// history, the root item and the outbox events.
#[test]
fn a_failed_step_compensates_and_exits_1() {
    let output = sagac(&[
        "run",
        "spec/trip.saga.yaml",
        "--fail",
        "ProcessPayment=business",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["status"], "FAILED");
    let entered: Vec<&str> = value["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "TaskStateEntered")
        .map(|e| e["stateEnteredEventDetails"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        entered,
        [
            "RecordStarted",
            "ReserveFlight",
            "ReserveHotel",
            "ProcessPayment",
            "CancelHotel",
            "CancelFlight",
            "RecordFailed"
        ]
    );
    assert_eq!(value["rootItem"]["status"], "CANCELLED");
    insta::assert_json_snapshot!("run_spec_trip_payment_fails", value);

    for (args, why) in [
        (
            vec!["run", "spec/trip.saga.yaml", "--fail", "Nope"],
            "unknown state",
        ),
        (
            vec![
                "run",
                "spec/trip.saga.yaml",
                "--fail",
                "CancelFlight=business",
            ],
            "no business error",
        ),
        (
            vec![
                "run",
                "spec/trip.saga.yaml",
                "--fail",
                "ReserveFlight=sideways",
            ],
            "bad kind",
        ),
        (
            vec!["run", "spec/trip.saga.yaml", "--case", "Nope"],
            "bad case",
        ),
    ] {
        let output = sagac(&args);
        assert_eq!(output.status.code(), Some(2), "{why}: {}", stdout(&output));
        assert!(stderr(&output).starts_with("error: "), "{why}");
    }
}
