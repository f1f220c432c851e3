//! The sagac generator core.
//!
//! One pipeline, shared by the `sagac` CLI and the proc macros:
//! parse (YAML with spans) → structural check (the JSON Schema derived from
//! [`ast`]) → decode into [`ast`] → semantic validation → [`ir`] → emitters.
//! The core never touches the file system and knows nothing of clap: front
//! ends hand it text and write what it returns.
//!
//! This crate is the facade over three: `sagac-front` (the spec language:
//! parsing, structure, validation, diagnostics), `sagac-ir` (the IR and the
//! rules derived from it) and `sagac-emit` (the emitters, which depend on
//! `sagac-ir` alone, so they cannot reach the front end or the validator).
//! Every module keeps its `sagac_core::` path.
#![deny(missing_docs)]

pub use sagac_emit as emit;
pub use sagac_front::{
    ast, codes, compile, compile_bytes, diagnostic, locate, source, structure, validate, yaml,
};
pub use sagac_ir::{bounds, ir, naming};
