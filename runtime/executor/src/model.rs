//! The compiled model of an Amazon States Language definition (JSONPath
//! and JSONata states): what execution reads, with paths, templates,
//! intrinsics and JSONata parsed and defaults applied. It is lowered from
//! the ASL document model (`sagac-asl`, see [`lower`]), which the
//! definition keeps and writes back; the lowering checks what Step
//! Functions checks when a state machine is created (field types and
//! ranges, transition targets, `States.ALL` alone and last,
//! reachability), so an execution never meets a malformed definition;
//! every error names the state.

use std::fmt;

use serde_json::Value;

use crate::clock::Instant;
use crate::intrinsic::{self, Expr};
use crate::jsonata;
use crate::path::Path;

mod lower;

/// A state machine definition: what execution needs, compiled from the
/// ASL document it was read from (which it keeps, to be written back).
#[derive(Debug, Clone)]
pub struct Definition {
    /// The execution timeout (`TimeoutSeconds` at the top level).
    pub timeout_seconds: Option<u64>,
    /// The top-level `QueryLanguage` (the default of every state).
    pub query_language: QueryLanguage,
    /// `StartAt` and `States`.
    pub machine: StateMachine,
    /// The document, as read.
    document: sagac_asl::Definition,
}

impl Definition {
    /// The ASL document the definition was read from.
    #[must_use]
    pub fn document(&self) -> &sagac_asl::Definition {
        &self.document
    }

    /// The definition as ASL JSON: its document, written by the model the
    /// compiler emits with (`sagac-asl`).
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(&self.document)
            .unwrap_or_else(|_| unreachable!("a document has string keys and finite numbers"))
    }
}

impl serde::Serialize for Definition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.document.serialize(serializer)
    }
}

/// `StartAt` plus `States`: the top level, a Parallel branch or a Map's
/// item processor.
#[derive(Debug, Clone)]
pub struct StateMachine {
    /// The first state.
    pub start_at: String,
    /// The states, in definition order.
    pub states: Vec<State>,
}

impl StateMachine {
    /// The state called `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&State> {
        self.states.iter().find(|s| s.name == name)
    }
}

/// `QueryLanguage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    /// `JSONPath` (the default).
    #[default]
    JsonPath,
    /// `JSONata`.
    Jsonata,
}

/// The JSONata fields of a state whose query language is JSONata.
#[derive(Debug, Clone, Default)]
pub struct JsonataIo {
    /// `Arguments`: a Task's parameters (default none: `{}`), a Parallel
    /// state's branch input (default the input).
    pub arguments: Option<jsonata::Template>,
    /// `Output`: the state output; default the result (Task) or the input.
    pub output: Option<jsonata::Template>,
    /// `Assign`: workflow variables set when the state succeeds.
    pub assign: Option<jsonata::Template>,
}

/// One state.
#[derive(Debug, Clone)]
pub struct State {
    /// Its name (the key under `States`).
    pub name: String,
    /// Its query language (its own `QueryLanguage`, else the top level's).
    pub query_language: QueryLanguage,
    /// `Arguments` and `Output` (JSONata states only; empty otherwise).
    pub jsonata: JsonataIo,
    /// What it does.
    pub kind: StateKind,
}

/// The eight state types.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum StateKind {
    Task(Task),
    Pass(Pass),
    Choice(Choice),
    Wait(Wait),
    Succeed(Succeed),
    Fail(Fail),
    Parallel(Parallel),
    Map(Map),
}

/// Where a state goes when it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// `Next`.
    Next(String),
    /// `End: true`.
    End,
}

/// `InputPath` and `OutputPath`: `None` is `null` (an empty object), the
/// default is `$`.
#[derive(Debug, Clone)]
pub struct Io {
    /// `InputPath`.
    pub input_path: Option<Path>,
    /// `OutputPath`.
    pub output_path: Option<Path>,
}

/// `ResultPath`.
#[derive(Debug, Clone)]
pub enum ResultPath {
    /// `null`: the result is discarded, the output is the input.
    Discard,
    /// A reference path (default `$`: the result replaces the input).
    At(Path),
}

/// A payload template (`Parameters`, `ResultSelector`, `ItemSelector`).
#[derive(Debug, Clone)]
pub enum Template {
    /// An object whose fields may be dynamic.
    Object(Vec<Field>),
    /// An array of templates.
    Array(Vec<Template>),
    /// Any other JSON value, taken as it is.
    Literal(Value),
}

/// A field of a payload-template object.
#[derive(Debug, Clone)]
pub struct Field {
    /// The output name (without the `.$` suffix).
    pub name: String,
    /// The name as written (with `.$` when dynamic), for error messages.
    pub written: String,
    /// Its value.
    pub value: FieldValue,
}

/// The value of a payload-template field.
#[derive(Debug, Clone)]
pub enum FieldValue {
    /// A static value (itself a template, so nested `.$` fields work).
    Static(Template),
    /// `"name.$": "$.path"` or `"$$.path"`.
    Path(Path),
    /// `"name.$": "States.Function(...)"`.
    Intrinsic(Expr),
}

/// A duration given literally or by a path (`TimeoutSeconds`/`TimeoutSecondsPath`).
#[derive(Debug, Clone)]
pub enum Seconds {
    /// A number of seconds.
    Fixed(u64),
    /// A reference path to a positive integer.
    Path(Path),
}

/// A `Retrier`.
#[derive(Debug, Clone)]
pub struct Retrier {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `IntervalSeconds` (default 1).
    pub interval_seconds: u64,
    /// `MaxAttempts` (default 3; 0 means never retry).
    pub max_attempts: u64,
    /// `BackoffRate` (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy`.
    pub jitter: Jitter,
}

/// `JitterStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// `NONE` (default).
    None,
    /// `FULL`: each interval uniform in `[0, interval]`.
    Full,
}

/// A `Catcher`.
#[derive(Debug, Clone)]
pub struct Catcher {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `ResultPath` for the error output (default `$`).
    pub result_path: ResultPath,
    /// `Output` (JSONata states): the output from `$states.errorOutput`
    /// (default the error output).
    pub output: Option<jsonata::Template>,
    /// `Assign` (JSONata states): variables set when this catcher is taken.
    pub assign: Option<jsonata::Template>,
    /// `Next`.
    pub next: String,
}

/// A Task state.
#[derive(Debug, Clone)]
pub struct Task {
    /// `Resource`.
    pub resource: String,
    /// `InputPath`, `OutputPath`.
    pub io: Io,
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPath,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// `TimeoutSeconds` / `TimeoutSecondsPath`.
    pub timeout: Option<Seconds>,
    /// `HeartbeatSeconds` / `HeartbeatSecondsPath`.
    pub heartbeat: Option<Seconds>,
    /// `Credentials`, passed to the target as written.
    pub credentials: Option<Value>,
    /// `Next` or `End`.
    pub transition: Transition,
}

/// A Pass state.
#[derive(Debug, Clone)]
pub struct Pass {
    /// `InputPath`, `OutputPath`.
    pub io: Io,
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `Result`.
    pub result: Option<Value>,
    /// `ResultPath`.
    pub result_path: ResultPath,
    /// `Next` or `End`.
    pub transition: Transition,
}

/// A Choice state.
#[derive(Debug, Clone)]
pub struct Choice {
    /// `InputPath`, `OutputPath`.
    pub io: Io,
    /// `Choices`, in order.
    pub choices: Vec<ChoiceBranch>,
    /// `Default`.
    pub default: Option<String>,
}

/// A top-level choice rule and where it leads.
#[derive(Debug, Clone)]
pub struct ChoiceBranch {
    /// The rule.
    pub rule: ChoiceRule,
    /// `Next`.
    pub next: String,
    /// `Output` of a JSONata rule (instead of the state's when it matches).
    pub output: Option<jsonata::Template>,
    /// `Assign` of a JSONata rule (instead of the state's when it matches).
    pub assign: Option<jsonata::Template>,
}

/// A choice rule.
#[derive(Debug, Clone)]
pub enum ChoiceRule {
    /// `And`.
    And(Vec<ChoiceRule>),
    /// `Or`.
    Or(Vec<ChoiceRule>),
    /// `Not`.
    Not(Box<ChoiceRule>),
    /// `Variable` with one comparison operator.
    Test {
        /// `Variable`.
        variable: Path,
        /// The operator and what it compares with.
        operator: Operator,
        /// The literal or path operand.
        operand: Operand,
    },
    /// `Condition` (JSONata states): an expression giving a boolean.
    Condition(jsonata::Template),
}

/// The operand of a comparison.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A literal (a string, number, boolean or, for `Is*`, a boolean).
    Value(Value),
    /// A `*Path` operator's reference path.
    Path(Path),
}

/// The comparison operators of a choice rule, the document model's (a
/// `*Path` variant is the same operator with an [`Operand::Path`]).
pub use sagac_asl::Comparison as Operator;

/// A Wait state.
#[derive(Debug, Clone)]
pub struct Wait {
    /// `InputPath`, `OutputPath`.
    pub io: Io,
    /// How long.
    pub until: WaitFor,
    /// `Next` or `End`.
    pub transition: Transition,
}

/// What a Wait state waits for.
#[derive(Debug, Clone)]
pub enum WaitFor {
    /// `Seconds`.
    Seconds(u64),
    /// `Timestamp`.
    Timestamp(Instant),
    /// `SecondsPath`.
    SecondsPath(Path),
    /// `TimestampPath`.
    TimestampPath(Path),
    /// `Seconds` of a JSONata state as an expression (a non-negative integer).
    SecondsExpr(jsonata::Template),
    /// `Timestamp` of a JSONata state as an expression (an RFC 3339 string).
    TimestampExpr(jsonata::Template),
}

/// A Succeed state.
#[derive(Debug, Clone)]
pub struct Succeed {
    /// `InputPath`, `OutputPath`.
    pub io: Io,
}

/// A Fail state.
#[derive(Debug, Clone)]
pub struct Fail {
    /// `Error` or `ErrorPath`.
    pub error: Option<FailField>,
    /// `Cause` or `CausePath`.
    pub cause: Option<FailField>,
}

/// A Fail state's error or cause.
#[derive(Debug, Clone)]
pub enum FailField {
    /// `Error` / `Cause`.
    Literal(String),
    /// `ErrorPath` / `CausePath` as a path.
    Path(Path),
    /// `ErrorPath` / `CausePath` as an intrinsic function.
    Intrinsic(Expr),
    /// `Error` / `Cause` of a JSONata state (a template giving a string).
    Jsonata(jsonata::Template),
}

/// A Parallel state.
#[derive(Debug, Clone)]
pub struct Parallel {
    /// `InputPath`, `OutputPath`.
    pub io: Io,
    /// `Branches`.
    pub branches: Vec<StateMachine>,
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPath,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// `Next` or `End`.
    pub transition: Transition,
}

/// An inline Map state.
#[derive(Debug, Clone)]
pub struct Map {
    /// `InputPath`, `OutputPath`.
    pub io: Io,
    /// `ItemProcessor` (or the older `Iterator`).
    pub processor: StateMachine,
    /// `ItemsPath` (default `$`).
    pub items_path: Path,
    /// `ItemSelector` (or the older `Parameters`).
    pub item_selector: Option<Template>,
    /// `Items` (JSONata): the array to iterate (default the input).
    pub items: Option<jsonata::Template>,
    /// `ItemSelector` of a JSONata Map (`$states.context.Map.Item` set).
    pub jsonata_item_selector: Option<jsonata::Template>,
    /// `MaxConcurrency` (accepted; iterations run one after another).
    pub max_concurrency: Option<u64>,
    /// `MaxConcurrencyPath` (accepted likewise).
    pub max_concurrency_path: Option<Path>,
    /// `ToleratedFailurePercentage`.
    pub tolerated_failure_percentage: Option<f64>,
    /// `ToleratedFailureCount`.
    pub tolerated_failure_count: Option<u64>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPath,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// `Next` or `End`.
    pub transition: Transition,
}

/// Why a definition cannot be executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// The state (`Outer/Inner` inside a Parallel branch or a Map), if any.
    pub state: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            Some(state) => write!(f, "state `{state}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DefinitionError {}

fn root_path() -> Path {
    Path::parse("$").unwrap_or_else(|_| unreachable!("`$` is a path"))
}

/// Parses a payload template.
///
/// # Errors
/// A message for a `.$` field whose value is neither a path nor an intrinsic call.
pub fn parse_template(value: &Value) -> Result<Template, String> {
    Ok(match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (key, v) in map {
                let field = if let Some(name) = key.strip_suffix(".$") {
                    let text = v.as_str().ok_or_else(|| {
                        format!("the value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call")
                    })?;
                    let value = if intrinsic::looks_like_call(text) {
                        FieldValue::Intrinsic(
                            intrinsic::parse(text).map_err(|e| format!("field '{key}': {e}"))?,
                        )
                    } else {
                        FieldValue::Path(Path::parse(text).map_err(|e| {
                            format!("the value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call: {e}")
                        })?)
                    };
                    Field {
                        name: name.to_owned(),
                        written: key.clone(),
                        value,
                    }
                } else {
                    Field {
                        name: key.clone(),
                        written: key.clone(),
                        value: FieldValue::Static(parse_template(v)?),
                    }
                };
                fields.push(field);
            }
            Template::Object(fields)
        }
        Value::Array(items) => {
            Template::Array(items.iter().map(parse_template).collect::<Result<_, _>>()?)
        }
        other => Template::Literal(other.clone()),
    })
}
