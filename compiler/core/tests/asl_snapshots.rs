//! Snapshots of every file the state-machine emitters write (definition,
//! mock configuration, sample input and events, diagrams), for every spec in
//! `spec/` and `spec/examples/`. Review changes with `cargo insta review`.

use sagac_core::emit::{OutputFile, asl, diagram, mock, sample};
use sagac_core::source::SourceFile;

fn emitted(saga: &sagac_core::ir::Saga) -> Vec<OutputFile> {
    let mut files = Vec::new();
    files.extend(asl::emit(saga));
    files.extend(mock::emit(saga));
    files.extend(sample::emit(saga));
    files.extend(diagram::emit(saga));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

#[test]
fn every_spec_every_state_machine_file() {
    insta::glob!(
        "../../../spec",
        "{*.saga.yaml,examples/*.saga.yaml}",
        |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let file = SourceFile::new(path.file_name().unwrap().to_string_lossy(), text);
            let saga = sagac_core::compile(&file).unwrap_or_else(|d| {
                panic!("{} does not compile: {d:?}", path.display());
            });
            for output in emitted(&saga) {
                let name = output.path.replace('/', "__");
                insta::with_settings!({ omit_expression => true }, {
                    insta::assert_snapshot!(name, output.contents);
                });
            }
        }
    );
}

#[test]
fn emitting_twice_gives_the_same_bytes() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/trip.saga.yaml"
    ))
    .unwrap();
    let saga = sagac_core::compile(&SourceFile::new("trip.saga.yaml", text)).unwrap();
    assert_eq!(emitted(&saga), emitted(&saga));
}

#[test]
fn reference_happy_path_is_five_transitions() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/trip.saga.yaml"
    ))
    .unwrap();
    let saga = sagac_core::compile(&SourceFile::new("trip.saga.yaml", text)).unwrap();
    let path = asl::happy_path(&asl::machine(&saga));
    assert_eq!(
        path,
        [
            "RecordStarted",
            "ReserveFlight",
            "ReserveHotel",
            "ProcessPayment",
            "RecordSucceeded"
        ]
    );
}
