//! Amazon States Language: the state machine definition and what is derived
//! from it (mock configuration, sample events, diagrams).
//!
//! Placeholder module boundary; the emitter itself is being written.

use super::OutputFile;
use crate::ir::Saga;

/// A `${...}` placeholder of the definition, resolved by the template's
/// `DefinitionSubstitutions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Substitution {
    /// The ARN of the `live` alias of a service's function (by service name).
    FunctionAlias(String),
    /// The name of the single table.
    TableName,
}

/// The placeholders the definition uses, by placeholder name (without `${}`),
/// in a stable order.
pub fn substitutions(saga: &Saga) -> Vec<(String, Substitution)> {
    let mut out: Vec<(String, Substitution)> = saga
        .services
        .iter()
        .map(|s| (format!("{}FunctionAlias", s.pascal), Substitution::FunctionAlias(s.name.clone())))
        .collect();
    out.push(("TableName".into(), Substitution::TableName));
    out
}

/// The state machine definition.
pub fn definition(_saga: &Saga) -> serde_json::Value {
    serde_json::json!({})
}

/// Every ASL-related output file.
pub fn emit(_saga: &Saga) -> Vec<OutputFile> {
    Vec::new()
}
