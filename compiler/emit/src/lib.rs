//! Emitters: each turns the IR into output files. Emitters read only the IR,
//! build documents as typed values (serde_json / ordered maps) and serialise
//! them, so output is deterministic by construction: same spec, same bytes.
//!
//! This crate depends on `sagac-ir` and not on `sagac-front`: no emitter can
//! name the spec language's types, the YAML tree or the validator, which the
//! crate graph, not a convention, keeps true.
#![deny(missing_docs)]

pub mod asl;
pub mod cfn;
pub mod dashboard;
pub mod diagram;
pub mod mock;
pub mod pipeline;
pub mod rust;
pub mod sample;
pub mod schemas;

use sagac_ir::{bounds, ir, locate, naming};

use crate::ir::Saga;

/// One output file, with a path relative to the saga's output directory
/// (`generated/<saga-kebab>/` by default). Paths use `/` on every platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path, e.g. `statemachine.asl.json` or `events/flight/reserve_flight.json`.
    pub path: String,
    /// The full contents.
    pub contents: String,
}

/// Every output of a build, sorted by path.
pub fn build(saga: &Saga) -> Vec<OutputFile> {
    let mut files = Vec::new();
    files.extend(asl::emit(saga));
    files.extend(mock::emit(saga));
    files.extend(sample::emit(saga));
    files.extend(diagram::emit(saga));
    files.extend(cfn::emit(saga));
    files.extend(pipeline::emit(saga));
    files.extend(dashboard::emit(saga));
    files.extend(schemas::emit(saga));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}
