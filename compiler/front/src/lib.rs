//! The sagac front end: the spec language and everything that reads it.
//!
//! parse (YAML with spans) → structural check (the JSON Schema derived from
//! [`ast`]) → decode into [`ast`] → semantic validation → the IR
//! ([`sagac_ir::ir`]). The only place that refuses a spec, with positioned
//! diagnostics. It never touches the file system, and it does not depend on
//! the emitters, nor they on it.
#![deny(missing_docs)]

pub mod ast;
pub mod codes;
pub mod diagnostic;
pub mod locate;
pub mod source;
pub mod structure;
pub mod validate;
pub mod yaml;

// The IR side, under the paths the front end has always used.
use sagac_ir::{bounds, ir, naming};

use codes::Code;
use diagnostic::Diagnostic;
use source::SourceFile;

/// Runs the front end over one spec: parse, structural check, decode,
/// semantic validation. Returns the IR, or every diagnostic sorted by position.
pub fn compile(file: &SourceFile) -> Result<ir::Saga, Vec<Diagnostic>> {
    let mut diagnostics = match front_end(file) {
        Ok(saga) => return Ok(saga),
        Err(diagnostics) => diagnostics,
    };
    diagnostic::sort(&mut diagnostics);
    Err(diagnostics)
}

/// Like [`compile`], from raw bytes: refuses non-UTF-8 and binary input with a
/// diagnostic instead of failing to read it.
pub fn compile_bytes(name: &str, bytes: &[u8]) -> Result<ir::Saga, (SourceFile, Vec<Diagnostic>)> {
    match yaml::decode(bytes) {
        Ok(text) => {
            let file = SourceFile::new(name, text);
            compile(&file).map_err(|d| (file, d))
        }
        Err(diagnostic) => {
            // Keep what can be shown of the file so the caret still renders.
            let text = String::from_utf8_lossy(bytes).replace('\0', " ");
            Err((SourceFile::new(name, text), vec![diagnostic]))
        }
    }
}

fn front_end(file: &SourceFile) -> Result<ir::Saga, Vec<Diagnostic>> {
    let root = yaml::parse(file.text())?;
    let json = root.to_json();
    let structural = structure::check(&root, &json);
    if !structural.is_empty() {
        return Err(structural);
    }
    let spec: ast::Spec = serde_json::from_value(json).map_err(|error| {
        // The schema accepted the document, so this is a gap between the
        // schema and the types; report it rather than panic.
        vec![
            Diagnostic::new(
                Code::WrongType,
                root.span,
                format!("the spec does not match the language: {error}"),
            )
            .label("here"),
        ]
    })?;
    validate::validate(&spec, &root)
}
