//! One execution of the reference saga's happy path
//! (`generated/trip-booking/statemachine.asl.json` with its mock
//! configuration) in the executor. Compare with
//! `runtime/executor/benches/moto_trip.py`, which times moto's interpreter on
//! the same definition, mocks and input.
//!
//! `cargo bench -p sagac-executor`

use sagac_executor::{Definition, ExecutionOptions, Executor, MockConfig, Status};
use serde_json::Value;

const DEFINITION: &str = include_str!("../../../generated/trip-booking/statemachine.asl.json");
const MOCKS: &str = include_str!("../../../generated/trip-booking/sfn-mock-config.json");
const INPUT: &str = include_str!("../../../generated/trip-booking/sample-input.json");

fn main() {
    divan::main();
}

struct Fixture {
    definition: Definition,
    mocks: MockConfig,
    input: Value,
}

fn fixture() -> Fixture {
    Fixture {
        definition: Definition::from_json(DEFINITION).expect("the generated definition parses"),
        mocks: MockConfig::from_json(MOCKS).expect("the generated mock configuration parses"),
        input: serde_json::from_str(INPUT).expect("the sample input is JSON"),
    }
}

/// Parse nothing, run one happy-path execution (history included).
#[divan::bench]
fn happy_path_execution(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    let machine = f.mocks.only_state_machine().expect("one state machine");
    let target = f.mocks.target(machine, "HappyPath").expect("HappyPath");
    let options = ExecutionOptions {
        state_machine_name: machine.to_owned(),
        ..ExecutionOptions::default()
    };
    let executor = Executor::new(&f.definition, options);
    bencher.bench_local(|| {
        let execution = executor.run_blocking(divan::black_box(f.input.clone()), &target);
        assert_eq!(execution.status, Status::Succeeded);
        execution
    });
}

/// A compensation path: the payment fails with its business error.
#[divan::bench]
fn payment_declined_execution(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    let machine = f.mocks.only_state_machine().expect("one state machine");
    let target = f
        .mocks
        .target(machine, "ProcessPaymentCardDeclined")
        .expect("the case exists");
    let executor = Executor::new(&f.definition, ExecutionOptions::default());
    bencher.bench_local(|| executor.run_blocking(divan::black_box(f.input.clone()), &target));
}

/// Parsing and validating the definition.
#[divan::bench]
fn parse_definition() -> Definition {
    Definition::from_json(divan::black_box(DEFINITION)).expect("parses")
}
