//! The sagac generator core.
//!
//! One pipeline, shared by the `sagac` CLI and the proc macros:
//! parse (YAML with spans) → structural check (the JSON Schema derived from
//! [`ast`]) → decode into [`ast`] → semantic validation → [`ir`] → emitters.
//! The core never touches the file system and knows nothing of clap: front
//! ends hand it text and write what it returns.
#![deny(missing_docs)]

pub mod ast;
pub mod codes;
pub mod diagnostic;
pub mod source;
pub mod yaml;
