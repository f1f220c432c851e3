//! The model emits ASL that parses back to an equivalent definition: the
//! emitted JSON is stable, and executing the re-parsed definition gives the
//! same execution (history included) for every mock test case. sagac's own
//! generated definition round-trips to the same JSON value.

use std::path::{Path, PathBuf};

use sagac_executor::{Definition, ExecutionOptions, Executor, MockConfig};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The inputs of a test case.
type Inputs = Box<dyn Fn(&str) -> Vec<Value>>;

/// (definition, mock configuration, inputs by test case)
fn corpus() -> Vec<(PathBuf, PathBuf, Inputs)> {
    let mut out: Vec<(PathBuf, PathBuf, Inputs)> = Vec::new();
    let generated = root().join("generated/trip-booking");
    let sample = read(&generated.join("sample-input.json"));
    out.push((
        generated.join("statemachine.asl.json"),
        generated.join("sfn-mock-config.json"),
        Box::new(move |_| vec![sample.clone()]),
    ));
    // The JSONata root writes inside a JSONPath machine (see tests/fixtures/README.md).
    let jsonata = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let jsonata_input = read(&jsonata.join("trip-jsonata.input.json"));
    out.push((
        jsonata.join("trip-jsonata.asl.json"),
        jsonata.join("trip-jsonata.mock-config.json"),
        Box::new(move |_| vec![jsonata_input.clone()]),
    ));
    let fixtures = root().join("tests/asl/fixtures");
    let trip_input = read(&fixtures.join("trip-input.json"));
    out.push((
        fixtures.join("trip-saga.asl.json"),
        fixtures.join("trip-saga.mock-config.json"),
        Box::new(move |_| vec![trip_input.clone()]),
    ));
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures.join("executor"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
        .collect();
    names.sort();
    for definition in names {
        let stem = definition
            .to_string_lossy()
            .trim_end_matches(".asl.json")
            .to_owned();
        let inputs = read(Path::new(&format!("{stem}.inputs.json")));
        out.push((
            definition,
            PathBuf::from(format!("{stem}.mock-config.json")),
            Box::new(move |case| {
                inputs[case]
                    .as_array()
                    .map(|runs| runs.iter().map(|r| r["input"].clone()).collect())
                    .unwrap_or_default()
            }),
        ));
    }
    out
}

#[test]
fn emitted_definitions_parse_back_and_execute_identically() {
    let corpus = corpus();
    assert!(corpus.len() >= 6);
    let mut executions = 0;
    for (definition_path, mock_path, inputs) in &corpus {
        let original = Definition::from_value(&read(definition_path)).unwrap();
        let emitted = original.to_value();
        let reparsed = Definition::from_value(&emitted).unwrap_or_else(|e| {
            panic!(
                "{}: the emitted definition does not parse: {e}",
                definition_path.display()
            )
        });
        assert_eq!(
            reparsed.to_value(),
            emitted,
            "{}: emission is not stable",
            definition_path.display()
        );
        let mocks = MockConfig::from_value(&read(mock_path)).unwrap();
        let machine = mocks.only_state_machine().unwrap().to_owned();
        for case in mocks.test_cases(&machine) {
            let target = mocks.target(&machine, case).unwrap();
            for input in inputs(case) {
                let options = ExecutionOptions {
                    state_machine_name: machine.clone(),
                    ..ExecutionOptions::default()
                };
                let a =
                    Executor::new(&original, options.clone()).run_blocking(input.clone(), &target);
                let b = Executor::new(&reparsed, options).run_blocking(input, &target);
                assert_eq!(
                    serde_json::to_value(&a).unwrap(),
                    serde_json::to_value(&b).unwrap(),
                    "{} {case}",
                    definition_path.display()
                );
                executions += 1;
            }
        }
    }
    assert!(executions > 40, "{executions}");
}

#[test]
fn sagac_generated_definition_round_trips_exactly() {
    let path = root().join("generated/trip-booking/statemachine.asl.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let emitted = Definition::from_value(&value).unwrap().to_value();
    // The same JSON value (member order aside: the emitter writes one fixed order).
    assert_eq!(emitted, value);
}

/// Every definition of the corpus, and what the executor's model writes
/// back for it, reads into the shared ASL document model (`sagac-asl`,
/// which the compiler emits from) and writes out as the same JSON value:
/// the model knows every field these definitions use, in every state type.
#[test]
fn definitions_read_into_the_shared_document_model() {
    let corpus = corpus();
    assert!(corpus.len() >= 6);
    for (path, _, _) in &corpus {
        let value = read(path);
        let emitted = Definition::from_value(&value)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .to_value();
        for value in [value, emitted] {
            let document: sagac_asl::Definition = serde_path_to_error::deserialize(&value)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", path.display(), e.path()));
            let again = serde_json::to_value(&document).unwrap();
            assert_eq!(again, value, "{}", path.display());
        }
    }
}

/// Read through the document model, a type error names its path in full:
/// the model reads a state by its `Type`, then its fields straight from the
/// document (see `invalid_definitions_name_the_state` in tests/execution.rs
/// for what the executor makes of it).
#[test]
fn document_type_errors_name_the_state() {
    let value = serde_json::json!({
        "StartAt": "ReserveFlight",
        "States": {"ReserveFlight": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": -1}]
        }}
    });
    let error = serde_path_to_error::deserialize::<_, sagac_asl::Definition>(&value).unwrap_err();
    assert_eq!(
        error.path().to_string(),
        "States.ReserveFlight.Retry[0].MaxAttempts"
    );
    assert!(error.inner().to_string().contains("-1"), "{error}");
}

/// A state is read by its `Type`, then its fields from the document
/// itself, so a path-tracking deserializer names the faulty field in
/// full, nested states' too; a field written before `Type` is named.
#[test]
fn errors_inside_states_have_their_whole_path() {
    let path_of = |value: Value| {
        let error =
            serde_path_to_error::deserialize::<_, sagac_asl::Definition>(&value).unwrap_err();
        (error.path().to_string(), error.inner().to_string())
    };
    let (path, _) = path_of(
        serde_json::json!({"StartAt": "A", "States": {"A": {"Type": "Task",
        "Resource": "r", "End": true, "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": -1}]}}}),
    );
    assert_eq!(path, "States.A.Retry[0].MaxAttempts");
    let (path, _) = path_of(
        serde_json::json!({"StartAt": "P", "States": {"P": {"Type": "Parallel",
        "End": true, "Branches": [{"StartAt": "In", "States": {"In": {"Type": "Task",
        "Resource": "r", "End": true, "Catch": [{"ErrorEquals": ["E"], "Next": 7}]}}}]}}}),
    );
    assert_eq!(path, "States.P.Branches[0].States.In.Catch[0].Next");
    let (path, _) = path_of(
        serde_json::json!({"StartAt": "M", "States": {"M": {"Type": "Map",
        "End": true, "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Wait",
        "Seconds": -1, "End": true}}}}}}),
    );
    assert_eq!(path, "States.M.ItemProcessor.States.X.Seconds");
    let (path, message) = path_of(serde_json::json!({"StartAt": "A", "States": {"A": {
        "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": -1}],
        "Type": "Task", "Resource": "r", "End": true}}}));
    assert_eq!(path, "States.A");
    assert!(message.starts_with("`Retry`: "), "{message}");
    let (path, message) =
        path_of(serde_json::json!({"StartAt": "A", "States": {"A": {"End": true}}}));
    assert_eq!(
        (path.as_str(), message.as_str()),
        ("States.A", "missing field `Type`")
    );
}
