//! The macro's expansions, compiled and run as part of this crate's tests:
//! one module per file of `tests/pass/`, each under
//! `#![deny(warnings, missing_docs)]`, implementing every generated service
//! trait and calling `dispatch_*`, so the generated code is proven to build,
//! link and run without a warning.
//!
//! They are ordinary test modules, not trybuild cases: built with the
//! workspace's own artifacts, they cost the compile of the cases alone, and
//! trybuild (`tests/trybuild.rs`, compile-fail cases only) then only
//! type-checks its dependencies instead of building them once more.

#[path = "pass/edge_cases.rs"]
mod edge_cases;
#[path = "pass/examples.rs"]
mod examples;
#[path = "pass/service_check.rs"]
mod service_check;
#[path = "pass/trip.rs"]
mod trip;

#[test]
fn trip_expands_builds_and_runs() {
    trip::main();
}

#[test]
fn every_example_expands_builds_and_runs() {
    examples::main();
}

#[test]
fn edge_cases_expand_build_and_run() {
    edge_cases::main();
}

#[test]
fn the_service_check_accepts_code_that_compiles() {
    service_check::main();
}
