//! The layering rule, checked on the source: dependencies point inward only.
//!
//! `src/domain/` is pure Rust, and so is the shared kernel it re-exports;
//! `src/application/` uses no infrastructure. The rule and its check are
//! written once, in `trip_testkit::layering`; this runs it on this crate.

use trip_testkit::layering;

#[test]
fn the_domain_depends_on_nothing_outside_itself() {
    layering::assert_domain_is_pure(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn the_application_depends_on_no_infrastructure() {
    layering::assert_application_uses_no_infrastructure(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn the_check_catches_what_it_is_meant_to() {
    layering::assert_the_check_catches_what_it_is_meant_to();
}
