//! The typed model of an Amazon States Language definition (JSONPath and
//! JSONata states), and its parser. Parsing checks what Step Functions checks when a
//! state machine is created (required fields, field types and ranges,
//! transition targets, `States.ALL` alone and last, reachability), so an
//! execution never meets a malformed definition; every error names the state.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map as JsonMap, Value};

use crate::clock::Instant;
use crate::intrinsic::{self, Expr};
use crate::jsonata;
use crate::path::Path;

/// A state machine definition.
#[derive(Debug, Clone)]
pub struct Definition {
    /// `Comment`.
    pub comment: Option<String>,
    /// The execution timeout (`TimeoutSeconds` at the top level).
    pub timeout_seconds: Option<u64>,
    /// The top-level `QueryLanguage` (the default of every state).
    pub query_language: QueryLanguage,
    /// `StartAt` and `States`.
    pub machine: StateMachine,
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
    /// `Comment`.
    pub comment: Option<String>,
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

impl StateKind {
    /// The `Type` as written in ASL.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Task(_) => "Task",
            StateKind::Pass(_) => "Pass",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed(_) => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
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
    /// `Comment`.
    pub comment: Option<String>,
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
    /// `Comment`.
    pub comment: Option<String>,
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

impl StateKind {
    fn checked_heartbeat(self, f: &Fields<'_>) -> Result<StateKind, DefinitionError> {
        if let StateKind::Task(Task {
            timeout: Some(Seconds::Fixed(t)),
            heartbeat: Some(Seconds::Fixed(h)),
            ..
        }) = &self
            && h >= t
        {
            return Err(f.error(&format!(
                "`HeartbeatSeconds` ({h}) must be smaller than `TimeoutSeconds` ({t})"
            )));
        }
        Ok(self)
    }
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
    /// `Comment`.
    pub comment: Option<String>,
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

macro_rules! operators {
    ($($variant:ident = $name:literal, $path:literal;)*) => {
        /// The comparison operators of a choice rule (a `*Path` variant is
        /// the same operator with an [`Operand::Path`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Operator { $($variant,)* }

        impl Operator {
            /// The name as written (without the `Path` suffix).
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Operator::$variant => $name,)* }
            }
            fn lookup(key: &str) -> Option<(Operator, bool)> {
                $(
                    if key == $name { return Some((Operator::$variant, false)); }
                    if $path && key.strip_suffix("Path") == Some($name) { return Some((Operator::$variant, true)); }
                )*
                None
            }
        }
    };
}

operators! {
    StringEquals = "StringEquals", true;
    StringLessThan = "StringLessThan", true;
    StringGreaterThan = "StringGreaterThan", true;
    StringLessThanEquals = "StringLessThanEquals", true;
    StringGreaterThanEquals = "StringGreaterThanEquals", true;
    StringMatches = "StringMatches", false;
    NumericEquals = "NumericEquals", true;
    NumericLessThan = "NumericLessThan", true;
    NumericGreaterThan = "NumericGreaterThan", true;
    NumericLessThanEquals = "NumericLessThanEquals", true;
    NumericGreaterThanEquals = "NumericGreaterThanEquals", true;
    BooleanEquals = "BooleanEquals", true;
    TimestampEquals = "TimestampEquals", true;
    TimestampLessThan = "TimestampLessThan", true;
    TimestampGreaterThan = "TimestampGreaterThan", true;
    TimestampLessThanEquals = "TimestampLessThanEquals", true;
    TimestampGreaterThanEquals = "TimestampGreaterThanEquals", true;
    IsNull = "IsNull", false;
    IsPresent = "IsPresent", false;
    IsNumeric = "IsNumeric", false;
    IsString = "IsString", false;
    IsBoolean = "IsBoolean", false;
    IsTimestamp = "IsTimestamp", false;
}

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

impl Definition {
    /// Parses a definition from its JSON text.
    ///
    /// # Errors
    /// A [`DefinitionError`] naming the state and the problem.
    pub fn from_json(text: &str) -> Result<Definition, DefinitionError> {
        let value: Value = serde_json::from_str(text).map_err(|e| DefinitionError {
            state: None,
            message: format!("the definition is not JSON: {e}"),
        })?;
        Definition::from_value(&value)
    }

    /// Parses a definition from a JSON value.
    ///
    /// # Errors
    /// A [`DefinitionError`] naming the state and the problem.
    pub fn from_value(value: &Value) -> Result<Definition, DefinitionError> {
        let top = || DefinitionError {
            state: None,
            message: String::new(),
        };
        let obj = value.as_object().ok_or_else(|| DefinitionError {
            message: "the definition must be a JSON object".into(),
            ..top()
        })?;
        let document = document(value)?;
        let mut f = Fields::new(obj, None);
        for key in ["Comment", "Version", "TimeoutSeconds"] {
            f.take(key);
        }
        let query_language = query_language(&mut f, QueryLanguage::JsonPath)?;
        let timeout_seconds = match document.timeout_seconds {
            Some(n) if !(1..=99_999_999).contains(&n) => {
                return Err(f.error(&format!(
                    "`TimeoutSeconds` must be an integer from 1 to 99999999, got {n}"
                )));
            }
            seconds => seconds,
        };
        let comment = document.comment;
        let machine = parse_machine(&mut f, "", query_language)?;
        f.finish()?;
        check_scopes(&machine, "", &BTreeSet::new())?;
        Ok(Definition {
            comment,
            timeout_seconds,
            query_language,
            machine,
        })
    }
}

/// Reads the definition into the ASL document model the compiler emits
/// from (`sagac-asl`), so the executor refuses what that model cannot hold
/// (unknown fields, fields of the wrong type), naming the state and the
/// field's path in it (`Retry[0].MaxAttempts`).
fn document(value: &Value) -> Result<sagac_asl::Definition, DefinitionError> {
    serde_path_to_error::deserialize::<_, sagac_asl::Definition>(value).map_err(|error| {
        let path: Vec<Segment> = error.path().iter().map(Segment::of).collect();
        locate(value, &path, "", error.into_inner().to_string())
    })
}

/// One step of an error's path.
#[derive(Debug)]
enum Segment {
    Key(String),
    Index(usize),
    Other,
}

impl Segment {
    fn of(segment: &serde_path_to_error::Segment) -> Segment {
        match segment {
            serde_path_to_error::Segment::Map { key } => Segment::Key(key.clone()),
            serde_path_to_error::Segment::Seq { index } => Segment::Index(*index),
            _ => Segment::Other,
        }
    }
}

/// The error of a definition's document at `path` below `graph` (the
/// definition, a branch or a processor; `prefix` names the states above
/// it, as `Outer/`). The derived state enum reads a state's fields as a
/// whole, so an error inside a state stops at `States.<name>`: that state
/// is read again on its own, by its `Type`, for the rest of the path.
fn locate(graph: &Value, path: &[Segment], prefix: &str, message: String) -> DefinitionError {
    let (name, state) = match path {
        [Segment::Key(states), Segment::Key(name), ..] if states == "States" => {
            match graph.get("States").and_then(|s| s.get(name)) {
                Some(state) => (name, state),
                None => return path_error(None, path, message),
            }
        }
        _ => return path_error(None, path, message),
    };
    let full = format!("{prefix}{name}");
    let rest = &path[2..];
    // `Type` itself (unknown) is reported as the state's reading by type.
    let at_type = matches!(rest, [Segment::Key(k)] if k == "Type");
    if !rest.is_empty() && !at_type {
        // A nested graph: `Branches[i]`, `ItemProcessor` or `Iterator`.
        let (inner, below) = match rest {
            [Segment::Key(branches), Segment::Index(i), below @ ..] if branches == "Branches" => {
                (state.get("Branches").and_then(|b| b.get(*i)), below)
            }
            [Segment::Key(key), below @ ..] => (state.get(key), below),
            _ => (None, rest),
        };
        return match inner {
            Some(inner) if matches!(below.first(), Some(Segment::Key(k)) if k == "States") => {
                locate(inner, below, &format!("{full}/"), message)
            }
            _ => path_error(Some(full), rest, message),
        };
    }
    let Some(obj) = state.as_object() else {
        return path_error(Some(full), rest, message);
    };
    let Some(type_name) = obj.get("Type").and_then(Value::as_str) else {
        return path_error(Some(full), rest, message);
    };
    let mut fields = obj.clone();
    fields.remove("Type");
    let mut track = serde_path_to_error::Track::new();
    let read = sagac_asl::State::from_fields(
        type_name,
        serde_path_to_error::Deserializer::new(Value::Object(fields), &mut track),
    );
    match read {
        Ok(_) => path_error(Some(full), rest, message),
        Err(inner) => {
            let inner_path: Vec<Segment> = track.path().iter().map(Segment::of).collect();
            let mut within: Vec<Segment> =
                vec![Segment::Key("States".into()), Segment::Key(name.clone())];
            // Within the state: a nested state's error is located again,
            // anything else is named by its path in the state.
            let nested = matches!(
                inner_path.as_slice(),
                [Segment::Key(k), ..] if k == "Branches" || k == "ItemProcessor" || k == "Iterator"
            );
            if nested {
                within.extend(inner_path);
                return locate(graph, &within, prefix, inner.to_string());
            }
            path_error(Some(full), &inner_path, inner.to_string())
        }
    }
}

/// A document error: the state, if any, and the path within it.
fn path_error(state: Option<String>, path: &[Segment], message: String) -> DefinitionError {
    let mut text = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) if text.is_empty() => text.push_str(key),
            Segment::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            Segment::Index(i) => text.push_str(&format!("[{i}]")),
            Segment::Other => {}
        }
    }
    DefinitionError {
        state,
        message: if text.is_empty() {
            message
        } else {
            format!("`{text}`: {message}")
        },
    }
}

/// `QueryLanguage`, defaulting to the enclosing one. A JSONPath state in a
/// JSONata machine is refused, as Step Functions refuses it.
fn query_language(
    f: &mut Fields<'_>,
    outer: QueryLanguage,
) -> Result<QueryLanguage, DefinitionError> {
    match f.opt_string("QueryLanguage")?.as_deref() {
        None => Ok(outer),
        Some("JSONata") => Ok(QueryLanguage::Jsonata),
        Some("JSONPath") if outer == QueryLanguage::Jsonata => Err(f.error(
            "QueryLanguage JSONPath is not allowed inside a JSONata state machine (only JSONPath may be overridden with JSONata)",
        )),
        Some("JSONPath") => Ok(QueryLanguage::JsonPath),
        Some(other) => Err(f.error(&format!(
            "QueryLanguage must be JSONPath or JSONata, got `{other}`"
        ))),
    }
}

/// A JSONata field's template.
fn jsonata_field(
    f: &mut Fields<'_>,
    key: &str,
) -> Result<Option<jsonata::Template>, DefinitionError> {
    match f.take(key) {
        None => Ok(None),
        Some(v) => jsonata::Template::parse(v)
            .map(Some)
            .map_err(|e| f.error(&format!("`{key}`: {e}"))),
    }
}

/// The fields only one query language has: in a JSONata state the JSONPath
/// ones are refused, and the reverse, as Step Functions refuses them when the
/// state machine is created.
fn check_language_fields(f: &Fields<'_>, language: QueryLanguage) -> Result<(), DefinitionError> {
    const JSONPATH_ONLY: &[&str] = &[
        "InputPath",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "OutputPath",
        "Result",
        "ItemsPath",
        "TimeoutSecondsPath",
        "HeartbeatSecondsPath",
        "ErrorPath",
        "CausePath",
        "SecondsPath",
        "TimestampPath",
        "MaxConcurrencyPath",
    ];
    const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items"];
    let (refused, only) = match language {
        QueryLanguage::Jsonata => (JSONPATH_ONLY, "JSONPath"),
        QueryLanguage::JsonPath => (JSONATA_ONLY, "JSONata"),
    };
    if let Some(key) = refused.iter().find(|k| f.has(k)) {
        return Err(f.error(&format!(
            "`{key}` is a {only} field; this state's QueryLanguage is {}",
            match language {
                QueryLanguage::Jsonata => "JSONata",
                QueryLanguage::JsonPath => "JSONPath",
            }
        )));
    }
    if language == QueryLanguage::JsonPath && f.has("Assign") {
        return Err(f.error(
            "`Assign` in a JSONPath state is not supported by this executor (variables work in JSONata states)",
        ));
    }
    Ok(())
}

/// An `Assign` value: an object of variable names (a letter or `_`, then
/// letters, digits or `_`; at most 80 characters; not `states`) to templates.
fn assign_template(value: &Value) -> Result<jsonata::Template, String> {
    let obj = value
        .as_object()
        .ok_or("`Assign` must be an object of variable names")?;
    for name in obj.keys() {
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.len() <= 80
            && name != "states";
        if !valid {
            return Err(format!("`{name}` is not a valid variable name"));
        }
    }
    jsonata::Template::parse(value)
}

fn assign_field(f: &mut Fields<'_>) -> Result<Option<jsonata::Template>, DefinitionError> {
    match f.take("Assign") {
        None => Ok(None),
        Some(v) => assign_template(v)
            .map(Some)
            .map_err(|e| f.error(&format!("`Assign`: {e}"))),
    }
}

/// Reads `StartAt` and `States` of a (sub) machine; `prefix` names the
/// enclosing state for messages (`Outer/`).
/// The variables a state's `Assign` fields (its own, its catchers', its
/// choice rules') set.
fn assigned(state: &State) -> Vec<String> {
    let mut templates: Vec<&jsonata::Template> = state.jsonata.assign.iter().collect();
    match &state.kind {
        StateKind::Task(Task { catch, .. })
        | StateKind::Parallel(Parallel { catch, .. })
        | StateKind::Map(Map { catch, .. }) => {
            templates.extend(catch.iter().filter_map(|c| c.assign.as_ref()));
        }
        StateKind::Choice(c) => {
            templates.extend(c.choices.iter().filter_map(|b| b.assign.as_ref()))
        }
        _ => {}
    }
    templates
        .iter()
        .filter_map(|t| t.source().as_object())
        .flat_map(|o| o.keys().cloned())
        .collect()
}

/// Step Functions' variable scopes: a Parallel branch or a Map iteration
/// reads the variables of the scopes around it but cannot assign them.
fn check_scopes(
    machine: &StateMachine,
    prefix: &str,
    outer: &BTreeSet<String>,
) -> Result<(), DefinitionError> {
    let mut here = outer.clone();
    for state in &machine.states {
        for name in assigned(state) {
            if outer.contains(&name) {
                return Err(DefinitionError {
                    state: Some(format!("{prefix}{}", state.name)),
                    message: format!(
                        "`Assign` cannot set `{name}`, a variable of an enclosing scope"
                    ),
                });
            }
            here.insert(name);
        }
    }
    for state in &machine.states {
        let inner_prefix = format!("{prefix}{}/", state.name);
        match &state.kind {
            StateKind::Parallel(p) => {
                for b in &p.branches {
                    check_scopes(b, &inner_prefix, &here)?;
                }
            }
            StateKind::Map(m) => check_scopes(&m.processor, &inner_prefix, &here)?,
            _ => {}
        }
    }
    Ok(())
}

fn parse_machine(
    f: &mut Fields<'_>,
    prefix: &str,
    language: QueryLanguage,
) -> Result<StateMachine, DefinitionError> {
    let start_at = f.string("StartAt")?;
    let states_value = f
        .take("States")
        .ok_or_else(|| f.error("missing field `States`"))?;
    let states_obj = states_value
        .as_object()
        .ok_or_else(|| f.error("`States` must be an object"))?;
    if states_obj.is_empty() {
        return Err(f.error("`States` must not be empty"));
    }
    let mut states = Vec::with_capacity(states_obj.len());
    for (name, state) in states_obj {
        let full = format!("{prefix}{name}");
        if name.is_empty() || name.chars().count() > 80 {
            return Err(DefinitionError {
                state: Some(full),
                message: "a state name must have 1 to 80 characters".into(),
            });
        }
        states.push(parse_state(name, &full, state, language)?);
    }
    let machine = StateMachine { start_at, states };
    check_transitions(&machine, prefix, f)?;
    Ok(machine)
}

fn check_transitions(
    machine: &StateMachine,
    prefix: &str,
    f: &Fields<'_>,
) -> Result<(), DefinitionError> {
    if machine.get(&machine.start_at).is_none() {
        return Err(f.error(&format!(
            "StartAt names `{}`, which is not a state here",
            machine.start_at
        )));
    }
    let mut reachable = BTreeSet::new();
    let mut todo = vec![machine.start_at.as_str()];
    while let Some(name) = todo.pop() {
        if !reachable.insert(name) {
            continue;
        }
        let Some(state) = machine.get(name) else {
            continue;
        };
        for target in targets(&state.kind) {
            if machine.get(target).is_none() {
                return Err(DefinitionError {
                    state: Some(format!("{prefix}{name}")),
                    message: format!("transition to `{target}`, which is not a state here"),
                });
            }
            todo.push(target);
        }
    }
    if let Some(lost) = machine
        .states
        .iter()
        .find(|s| !reachable.contains(s.name.as_str()))
    {
        return Err(DefinitionError {
            state: Some(format!("{prefix}{}", lost.name)),
            message: "the state is not reachable from StartAt".into(),
        });
    }
    Ok(())
}

fn targets(kind: &StateKind) -> Vec<&str> {
    fn next(t: &Transition) -> Option<&str> {
        match t {
            Transition::Next(n) => Some(n.as_str()),
            Transition::End => None,
        }
    }
    fn catches(c: &[Catcher]) -> Vec<&str> {
        c.iter().map(|c| c.next.as_str()).collect()
    }
    match kind {
        StateKind::Task(t) => next(&t.transition)
            .into_iter()
            .chain(catches(&t.catch))
            .collect(),
        StateKind::Parallel(p) => next(&p.transition)
            .into_iter()
            .chain(catches(&p.catch))
            .collect(),
        StateKind::Map(m) => next(&m.transition)
            .into_iter()
            .chain(catches(&m.catch))
            .collect(),
        StateKind::Pass(p) => next(&p.transition).into_iter().collect(),
        StateKind::Wait(w) => next(&w.transition).into_iter().collect(),
        StateKind::Choice(c) => c
            .choices
            .iter()
            .map(|b| b.next.as_str())
            .chain(c.default.as_deref())
            .collect(),
        StateKind::Succeed(_) | StateKind::Fail(_) => Vec::new(),
    }
}

fn parse_state(
    name: &str,
    full: &str,
    value: &Value,
    outer: QueryLanguage,
) -> Result<State, DefinitionError> {
    let obj = value.as_object().ok_or_else(|| DefinitionError {
        state: Some(full.to_owned()),
        message: "a state must be a JSON object".into(),
    })?;
    let mut f = Fields::new(obj, Some(full));
    // The document was read whole before ([`document`]): this state reads
    // as its type.
    let document: sagac_asl::State = serde_json::from_value(value.clone())
        .map_err(|e| f.error(&format!("the state does not read as ASL: {e}")))?;
    f.take("Type");
    f.take("Comment");
    let ty = document.type_name();
    let comment = document.comment().map(str::to_owned);
    let language = query_language(&mut f, outer)?;
    check_language_fields(&f, language)?;
    let jsonata_io = JsonataIo {
        arguments: if matches!(ty, "Task" | "Parallel") {
            jsonata_field(&mut f, "Arguments")?
        } else {
            None
        },
        output: if ty == "Fail" {
            None
        } else {
            jsonata_field(&mut f, "Output")?
        },
        assign: if matches!(ty, "Succeed" | "Fail") {
            if f.has("Assign") {
                return Err(f.error(&format!("a {ty} state cannot have `Assign`")));
            }
            None
        } else {
            assign_field(&mut f)?
        },
    };
    f.lang = language;
    let kind = match &document {
        sagac_asl::State::Task(task) => StateKind::Task(Task {
            resource: {
                f.take("Resource");
                task.resource.clone()
            },
            io: io(&mut f)?,
            parameters: f.template("Parameters")?,
            result_selector: f.template("ResultSelector")?,
            result_path: f.result_path("ResultPath")?,
            retry: retriers(&mut f)?,
            catch: catchers(&mut f)?,
            timeout: f.seconds("TimeoutSeconds")?,
            heartbeat: f.seconds("HeartbeatSeconds")?,
            credentials: f.take("Credentials").cloned(),
            transition: transition(&mut f, &document)?,
        })
        .checked_heartbeat(&f)?,
        sagac_asl::State::Pass(_) => StateKind::Pass(Pass {
            io: io(&mut f)?,
            parameters: f.template("Parameters")?,
            result: f.take("Result").cloned(),
            result_path: f.result_path("ResultPath")?,
            transition: transition(&mut f, &document)?,
        }),
        sagac_asl::State::Choice(_) => StateKind::Choice(choice(&mut f)?),
        sagac_asl::State::Wait(_) => StateKind::Wait(wait(&mut f, &document)?),
        sagac_asl::State::Succeed(_) => StateKind::Succeed(Succeed { io: io(&mut f)? }),
        sagac_asl::State::Fail(_) => StateKind::Fail(Fail {
            error: fail_field(&mut f, "Error")?,
            cause: fail_field(&mut f, "Cause")?,
        }),
        sagac_asl::State::Parallel(_) => {
            let io = io(&mut f)?;
            let branches_value = f
                .take("Branches")
                .ok_or_else(|| f.error("missing field `Branches`"))?;
            let list = branches_value
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or_else(|| f.error("`Branches` must be a non-empty array"))?;
            let mut branches = Vec::new();
            for (i, branch) in list.iter().enumerate() {
                let obj = branch
                    .as_object()
                    .ok_or_else(|| f.error(&format!("branch {i} must be an object")))?;
                let label = format!("{full} (branch {i})");
                let mut bf = Fields::new(obj, Some(&label));
                bf.opt_string("Comment")?;
                let inner = query_language(&mut bf, language)?;
                let machine = parse_machine(&mut bf, &format!("{full}/"), inner)?;
                bf.finish()?;
                branches.push(machine);
            }
            StateKind::Parallel(Parallel {
                io,
                branches,
                parameters: f.template("Parameters")?,
                result_selector: f.template("ResultSelector")?,
                result_path: f.result_path("ResultPath")?,
                retry: retriers(&mut f)?,
                catch: catchers(&mut f)?,
                transition: transition(&mut f, &document)?,
            })
        }
        sagac_asl::State::Map(_) => StateKind::Map(map(&mut f, full, language, &document)?),
    };
    f.finish()?;
    Ok(State {
        name: name.to_owned(),
        comment,
        query_language: language,
        jsonata: jsonata_io,
        kind,
    })
}

fn io(f: &mut Fields<'_>) -> Result<Io, DefinitionError> {
    Ok(Io {
        input_path: f.nullable_path("InputPath")?,
        output_path: f.nullable_path("OutputPath")?,
    })
}

/// `Next` or `End`, from the document's state.
fn transition(
    f: &mut Fields<'_>,
    document: &sagac_asl::State,
) -> Result<Transition, DefinitionError> {
    f.take("Next");
    f.take("End");
    let next = document.next().map(str::to_owned);
    let end = document.is_end();
    match (next, end) {
        (Some(_), true) => Err(f.error("a state cannot have both `Next` and `End: true`")),
        (Some(next), false) => Ok(Transition::Next(next)),
        (None, true) => Ok(Transition::End),
        (None, false) => Err(f.error("the state needs `Next` or `End: true`")),
    }
}

fn check_all_last(
    f: &Fields<'_>,
    lists: &[&Vec<String>],
    what: &str,
) -> Result<(), DefinitionError> {
    if lists
        .iter()
        .rev()
        .skip(1)
        .any(|l| l.iter().any(|n| n == "States.ALL"))
    {
        return Err(f.error(&format!("`States.ALL` must be in the last {what}")));
    }
    Ok(())
}

/// A field read as its type in the document model. The document was read
/// whole before ([`document`]), so this fails only if the two disagree.
fn typed<T: serde::de::DeserializeOwned>(
    f: &Fields<'_>,
    key: &str,
    value: &Value,
) -> Result<T, DefinitionError> {
    serde_json::from_value(value.clone()).map_err(|e| f.error(&format!("`{key}`: {e}")))
}

/// `ErrorEquals` as the document holds it, checked: not empty, and
/// `States.ALL` alone.
fn checked_error_equals(
    f: &Fields<'_>,
    names: Vec<String>,
    what: &str,
) -> Result<Vec<String>, DefinitionError> {
    if names.is_empty() {
        return Err(f.error(&format!(
            "{what}: `ErrorEquals` must be a non-empty array of strings"
        )));
    }
    if names.len() > 1 && names.iter().any(|n| n == "States.ALL") {
        return Err(f.error(&format!(
            "{what}: `States.ALL` must appear alone in `ErrorEquals`"
        )));
    }
    Ok(names)
}

/// `Retry`, lowered from the document's retriers: defaults applied, ranges
/// checked.
fn retriers(f: &mut Fields<'_>) -> Result<Vec<Retrier>, DefinitionError> {
    let Some(value) = f.take("Retry") else {
        return Ok(Vec::new());
    };
    let document: Vec<sagac_asl::Retrier> = typed(f, "Retry", value)?;
    let mut out = Vec::new();
    for (i, r) in document.into_iter().enumerate() {
        let what = format!("Retry[{i}]");
        let range = |key: &str, v: Option<u64>, min: u64, max: u64| match v {
            Some(n) if !(min..=max).contains(&n) => Err(f.error(&format!(
                "{what}: `{key}` must be an integer from {min} to {max}, got {n}"
            ))),
            v => Ok(v),
        };
        let retrier = Retrier {
            comment: r.comment,
            error_equals: checked_error_equals(f, r.error_equals, &what)?,
            interval_seconds: range("IntervalSeconds", r.interval_seconds, 1, 99_999_999)?
                .unwrap_or(1),
            max_attempts: range("MaxAttempts", r.max_attempts, 0, 99_999_999)?.unwrap_or(3),
            backoff_rate: match r.backoff_rate {
                None => 2.0,
                Some(b) if b >= 1.0 => b,
                Some(_) => {
                    return Err(f.error(&format!("{what}: `BackoffRate` must be a number >= 1.0")));
                }
            },
            max_delay_seconds: range("MaxDelaySeconds", r.max_delay_seconds, 1, 31_622_400)?,
            jitter: match r.jitter_strategy.as_deref() {
                None | Some("NONE") => Jitter::None,
                Some("FULL") => Jitter::Full,
                Some(other) => {
                    return Err(f.error(&format!(
                        "{what}: `JitterStrategy` must be FULL or NONE, got `{other}`"
                    )));
                }
            },
        };
        out.push(retrier);
    }
    check_all_last(
        f,
        &out.iter().map(|r| &r.error_equals).collect::<Vec<_>>(),
        "retrier",
    )?;
    Ok(out)
}

/// `Catch`, lowered from the document's catchers; the fields that depend
/// on the state's query language (`ResultPath`; `Output`, `Assign`) are
/// checked and parsed for it.
fn catchers(f: &mut Fields<'_>) -> Result<Vec<Catcher>, DefinitionError> {
    let Some(value) = f.take("Catch") else {
        return Ok(Vec::new());
    };
    let document: Vec<sagac_asl::Catcher> = typed(f, "Catch", value)?;
    let list = value
        .as_array()
        .ok_or_else(|| f.error("`Catch` must be an array"))?;
    let mut out = Vec::new();
    for (i, (item, typed)) in list.iter().zip(document).enumerate() {
        let what = format!("Catch[{i}]");
        let obj = item
            .as_object()
            .ok_or_else(|| f.error(&format!("{what} must be an object")))?;
        let mut c = Fields::new(obj, f.state.as_deref());
        c.prefix = format!("{what}: ");
        c.lang = f.lang;
        check_language_fields(&c, f.lang)?;
        let catcher = Catcher {
            comment: typed.comment,
            error_equals: checked_error_equals(f, typed.error_equals, &what)?,
            result_path: c.result_path("ResultPath")?,
            output: if f.lang == QueryLanguage::Jsonata {
                jsonata_field(&mut c, "Output")?
            } else {
                None
            },
            assign: if f.lang == QueryLanguage::Jsonata {
                assign_field(&mut c)?
            } else {
                None
            },
            next: typed.next,
        };
        out.push(catcher);
    }
    check_all_last(
        f,
        &out.iter().map(|c| &c.error_equals).collect::<Vec<_>>(),
        "catcher",
    )?;
    Ok(out)
}

fn choice(f: &mut Fields<'_>) -> Result<Choice, DefinitionError> {
    let io = io(f)?;
    let value = f
        .take("Choices")
        .cloned()
        .ok_or_else(|| f.error("missing field `Choices`"))?;
    let list = value
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| f.error("`Choices` must be a non-empty array"))?;
    let mut choices = Vec::new();
    for (i, rule) in list.iter().enumerate() {
        let what = format!("Choices[{i}]");
        let obj = rule
            .as_object()
            .ok_or_else(|| f.error(&format!("{what} must be an object")))?;
        let next = obj
            .get("Next")
            .and_then(Value::as_str)
            .ok_or_else(|| f.error(&format!("{what}: a top-level choice rule needs `Next`")))?
            .to_owned();
        let rule_field = |key: &str| -> Result<Option<jsonata::Template>, DefinitionError> {
            match obj.get(key) {
                Some(v) if f.lang == QueryLanguage::Jsonata => {
                    let t = if key == "Assign" {
                        assign_template(v)
                    } else {
                        jsonata::Template::parse(v)
                    };
                    t.map(Some)
                        .map_err(|e| f.error(&format!("{what}: `{key}`: {e}")))
                }
                _ => Ok(None),
            }
        };
        choices.push(ChoiceBranch {
            comment: obj
                .get("Comment")
                .and_then(Value::as_str)
                .map(str::to_owned),
            rule: choice_rule(f, obj, &what, true)?,
            next,
            output: rule_field("Output")?,
            assign: rule_field("Assign")?,
        });
    }
    let default = f.opt_string("Default")?;
    Ok(Choice {
        io,
        choices,
        default,
    })
}

fn choice_rule(
    f: &Fields<'_>,
    obj: &JsonMap<String, Value>,
    what: &str,
    top: bool,
) -> Result<ChoiceRule, DefinitionError> {
    let err = |m: &str| f.error(&format!("{what}: {m}"));
    if f.lang == QueryLanguage::Jsonata {
        if let Some(key) = obj.keys().find(|k| {
            !matches!(
                k.as_str(),
                "Condition" | "Next" | "Comment" | "Assign" | "Output"
            )
        }) {
            return Err(err(&format!(
                "`{key}` is not supported in a JSONata choice rule (`Condition`, `Next`, `Assign`, `Output` and `Comment` are)"
            )));
        }
        let condition = obj
            .get("Condition")
            .ok_or_else(|| err("a JSONata choice rule needs `Condition`"))?;
        let is_expression = condition
            .as_str()
            .and_then(jsonata::template_text)
            .is_some();
        if !(condition.is_boolean() || is_expression) {
            return Err(err(
                "`Condition` must be a boolean or a JSONata expression `{% … %}`",
            ));
        }
        return jsonata::Template::parse(condition)
            .map(ChoiceRule::Condition)
            .map_err(|e| err(&format!("`Condition`: {e}")));
    }
    if obj.contains_key("Condition") {
        return Err(err(
            "`Condition` is a JSONata field; this state's QueryLanguage is JSONPath",
        ));
    }
    let mut keys: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "Comment")
        .collect();
    if top {
        keys.retain(|k| *k != "Next");
    } else if obj.contains_key("Next") {
        return Err(err("a nested choice rule cannot have `Next`"));
    }
    let nested = |key: &str| -> Result<Vec<ChoiceRule>, DefinitionError> {
        let list = obj[key]
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| err(&format!("`{key}` must be a non-empty array")))?;
        list.iter()
            .enumerate()
            .map(|(i, r)| {
                let inner = format!("{what}.{key}[{i}]");
                let o = r
                    .as_object()
                    .ok_or_else(|| f.error(&format!("{inner} must be an object")))?;
                choice_rule(f, o, &inner, false)
            })
            .collect()
    };
    if keys == ["And"] {
        return Ok(ChoiceRule::And(nested("And")?));
    }
    if keys == ["Or"] {
        return Ok(ChoiceRule::Or(nested("Or")?));
    }
    if keys == ["Not"] {
        let inner = format!("{what}.Not");
        let o = obj["Not"]
            .as_object()
            .ok_or_else(|| f.error(&format!("{inner} must be an object")))?;
        return Ok(ChoiceRule::Not(Box::new(choice_rule(f, o, &inner, false)?)));
    }
    let variable = obj.get("Variable").and_then(Value::as_str).ok_or_else(|| {
        err("a choice rule needs `Variable` and one comparison operator, or `And`, `Or` or `Not`")
    })?;
    let variable = Path::parse(variable).map_err(|e| err(&format!("`Variable`: {e}")))?;
    let ops: Vec<&str> = keys.iter().copied().filter(|k| *k != "Variable").collect();
    let [key] = ops.as_slice() else {
        return Err(err(&format!(
            "a choice rule needs exactly one comparison operator, got {}",
            ops.len()
        )));
    };
    let (operator, is_path) = Operator::lookup(key)
        .ok_or_else(|| err(&format!("unknown comparison operator `{key}`")))?;
    let raw = &obj[*key];
    let operand = if is_path {
        let text = raw
            .as_str()
            .ok_or_else(|| err(&format!("`{key}` must be a path string")))?;
        Operand::Path(Path::parse_reference(text).map_err(|e| err(&format!("`{key}`: {e}")))?)
    } else {
        use Operator as O;
        let ok = match operator {
            O::StringEquals
            | O::StringLessThan
            | O::StringGreaterThan
            | O::StringLessThanEquals
            | O::StringGreaterThanEquals
            | O::StringMatches => raw.is_string(),
            O::NumericEquals
            | O::NumericLessThan
            | O::NumericGreaterThan
            | O::NumericLessThanEquals
            | O::NumericGreaterThanEquals => raw.is_number(),
            O::BooleanEquals
            | O::IsNull
            | O::IsPresent
            | O::IsNumeric
            | O::IsString
            | O::IsBoolean
            | O::IsTimestamp => raw.is_boolean(),
            O::TimestampEquals
            | O::TimestampLessThan
            | O::TimestampGreaterThan
            | O::TimestampLessThanEquals
            | O::TimestampGreaterThanEquals => raw
                .as_str()
                .is_some_and(|s| Instant::parse_rfc3339(s).is_some()),
        };
        if !ok {
            return Err(err(&format!(
                "`{key}` has a value of the wrong type: {raw}"
            )));
        }
        Operand::Value(raw.clone())
    };
    Ok(ChoiceRule::Test {
        variable,
        operator,
        operand,
    })
}

fn wait(f: &mut Fields<'_>, document: &sagac_asl::State) -> Result<Wait, DefinitionError> {
    let io = io(f)?;
    let mut found = Vec::new();
    if f.lang == QueryLanguage::Jsonata {
        for key in ["Seconds", "Timestamp"] {
            let is_expression = f
                .obj
                .get(key)
                .and_then(Value::as_str)
                .and_then(jsonata::template_text)
                .is_some();
            if is_expression && let Some(t) = jsonata_field(f, key)? {
                found.push(if key == "Seconds" {
                    WaitFor::SecondsExpr(t)
                } else {
                    WaitFor::TimestampExpr(t)
                });
            }
        }
    }
    let seconds_expr = found.iter().any(|w| matches!(w, WaitFor::SecondsExpr(_)));
    let timestamp_expr = found.iter().any(|w| matches!(w, WaitFor::TimestampExpr(_)));
    if !seconds_expr && let Some(s) = f.opt_uint("Seconds", 0, 99_999_999)? {
        found.push(WaitFor::Seconds(s));
    }
    if !timestamp_expr && let Some(t) = f.opt_string("Timestamp")? {
        let instant = Instant::parse_rfc3339(&t)
            .ok_or_else(|| f.error(&format!("`Timestamp` `{t}` is not an RFC 3339 timestamp")))?;
        found.push(WaitFor::Timestamp(instant));
    }
    if let Some(p) = f.reference_path("SecondsPath")? {
        found.push(WaitFor::SecondsPath(p));
    }
    if let Some(p) = f.reference_path("TimestampPath")? {
        found.push(WaitFor::TimestampPath(p));
    }
    if found.len() != 1 {
        return Err(f.error("a Wait state needs exactly one of `Seconds`, `Timestamp`, `SecondsPath`, `TimestampPath`"));
    }
    let until = found.remove(0);
    Ok(Wait {
        io,
        until,
        transition: transition(f, document)?,
    })
}

fn fail_field(f: &mut Fields<'_>, key: &str) -> Result<Option<FailField>, DefinitionError> {
    if f.lang == QueryLanguage::Jsonata {
        return Ok(jsonata_field(f, key)?.map(FailField::Jsonata));
    }
    let literal = f.opt_string(key)?;
    let path_key = format!("{key}Path");
    let dynamic = f.opt_string(&path_key)?;
    match (literal, dynamic) {
        (Some(_), Some(_)) => {
            Err(f.error(&format!("`{key}` and `{path_key}` cannot both be given")))
        }
        (Some(text), None) => Ok(Some(FailField::Literal(text))),
        (None, Some(text)) if intrinsic::looks_like_call(&text) => intrinsic::parse(&text)
            .map(|e| Some(FailField::Intrinsic(e)))
            .map_err(|e| f.error(&format!("`{path_key}`: {e}"))),
        (None, Some(text)) => Path::parse_reference(&text)
            .map(|p| Some(FailField::Path(p)))
            .map_err(|e| f.error(&format!("`{path_key}`: {e}"))),
        (None, None) => Ok(None),
    }
}

fn map(
    f: &mut Fields<'_>,
    full: &str,
    language: QueryLanguage,
    document: &sagac_asl::State,
) -> Result<Map, DefinitionError> {
    let io = io(f)?;
    for distributed in ["ItemReader", "ResultWriter", "ItemBatcher", "Label"] {
        if f.has(distributed) {
            return Err(f.error(&format!("`{distributed}` (a distributed Map) is not supported by this executor (inline Map only)")));
        }
    }
    let processor_value = match (
        f.take("ItemProcessor").cloned(),
        f.take("Iterator").cloned(),
    ) {
        (Some(_), Some(_)) => {
            return Err(f.error("`ItemProcessor` and `Iterator` cannot both be given"));
        }
        (Some(v), None) | (None, Some(v)) => v,
        (None, None) => return Err(f.error("missing field `ItemProcessor`")),
    };
    let obj = processor_value
        .as_object()
        .ok_or_else(|| f.error("`ItemProcessor` must be an object"))?;
    let label = format!("{full} (ItemProcessor)");
    let mut pf = Fields::new(obj, Some(&label));
    pf.opt_string("Comment")?;
    let inner = query_language(&mut pf, language)?;
    if let Some(config) = pf.take("ProcessorConfig") {
        let mode = config
            .get("Mode")
            .and_then(Value::as_str)
            .unwrap_or("INLINE");
        if mode != "INLINE" {
            return Err(pf.error(&format!(
                "ProcessorConfig Mode `{mode}` is not supported by this executor (INLINE only)"
            )));
        }
    }
    let processor = parse_machine(&mut pf, &format!("{full}/"), inner)?;
    pf.finish()?;
    let jsonata_map = language == QueryLanguage::Jsonata;
    let (items, jsonata_item_selector) = if jsonata_map {
        (
            jsonata_field(f, "Items")?,
            jsonata_field(f, "ItemSelector")?,
        )
    } else {
        (None, None)
    };
    let item_selector = match (
        f.template("ItemSelector")?.filter(|_| !jsonata_map),
        f.template("Parameters")?,
    ) {
        (Some(_), Some(_)) => {
            return Err(f.error("`ItemSelector` and `Parameters` cannot both be given"));
        }
        (a, b) => a.or(b),
    };
    let items_path = f.nullable_path("ItemsPath")?.unwrap_or_else(root_path);
    let max_concurrency = f.opt_uint("MaxConcurrency", 0, 99_999_999)?;
    let max_concurrency_path = f.reference_path("MaxConcurrencyPath")?;
    let tolerated_failure_percentage = match f.take("ToleratedFailurePercentage") {
        None => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| {
                    f.error("`ToleratedFailurePercentage` must be a number from 0 to 100")
                })?,
        ),
    };
    let tolerated_failure_count = f.opt_uint("ToleratedFailureCount", 0, 99_999_999)?;
    Ok(Map {
        io,
        processor,
        items_path,
        item_selector,
        items,
        jsonata_item_selector,
        max_concurrency,
        max_concurrency_path,
        tolerated_failure_percentage,
        tolerated_failure_count,
        result_selector: f.template("ResultSelector")?,
        result_path: f.result_path("ResultPath")?,
        retry: retriers(f)?,
        catch: catchers(f)?,
        transition: transition(f, document)?,
    })
}

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

/// Field access over a JSON object that remembers which keys were read, so
/// `finish` can reject unknown fields the way Step Functions does.
struct Fields<'a> {
    obj: &'a JsonMap<String, Value>,
    state: Option<String>,
    used: BTreeSet<&'a str>,
    prefix: String,
    /// The state's query language (for fields that read differently).
    lang: QueryLanguage,
}

impl<'a> Fields<'a> {
    fn new(obj: &'a JsonMap<String, Value>, state: Option<&str>) -> Fields<'a> {
        Fields {
            obj,
            state: state.map(str::to_owned),
            used: BTreeSet::new(),
            prefix: String::new(),
            lang: QueryLanguage::JsonPath,
        }
    }

    fn error(&self, message: &str) -> DefinitionError {
        DefinitionError {
            state: self.state.clone(),
            message: format!("{}{message}", self.prefix),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.obj.contains_key(key)
    }

    fn take(&mut self, key: &str) -> Option<&'a Value> {
        let (k, v) = self.obj.get_key_value(key)?;
        self.used.insert(k.as_str());
        Some(v)
    }

    fn string(&mut self, key: &str) -> Result<String, DefinitionError> {
        self.opt_string(key)?
            .ok_or_else(|| self.error(&format!("missing field `{key}`")))
    }

    fn opt_string(&mut self, key: &str) -> Result<Option<String>, DefinitionError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.error(&format!("`{key}` must be a string"))),
        }
    }

    fn opt_uint(&mut self, key: &str, min: u64, max: u64) -> Result<Option<u64>, DefinitionError> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|n| (min..=max).contains(n))
                .map(Some)
                .ok_or_else(|| {
                    self.error(&format!(
                        "`{key}` must be an integer from {min} to {max}, got {v}"
                    ))
                }),
        }
    }

    fn nullable_path(&mut self, key: &str) -> Result<Option<Path>, DefinitionError> {
        match self.take(key) {
            None => Ok(Some(root_path())),
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Path::parse(s)
                .map(Some)
                .map_err(|e| self.error(&format!("`{key}`: {e}"))),
            Some(_) => Err(self.error(&format!("`{key}` must be a path or null"))),
        }
    }

    fn reference_path(&mut self, key: &str) -> Result<Option<Path>, DefinitionError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Path::parse_reference(s)
                .map(Some)
                .map_err(|e| self.error(&format!("`{key}`: {e}"))),
            Some(_) => Err(self.error(&format!("`{key}` must be a path"))),
        }
    }

    fn result_path(&mut self, key: &str) -> Result<ResultPath, DefinitionError> {
        match self.take(key) {
            None => Ok(ResultPath::At(root_path())),
            Some(Value::Null) => Ok(ResultPath::Discard),
            Some(Value::String(s)) => {
                let path =
                    Path::parse_reference(s).map_err(|e| self.error(&format!("`{key}`: {e}")))?;
                if path.is_context() {
                    return Err(
                        self.error(&format!("`{key}` cannot write into the context object"))
                    );
                }
                Ok(ResultPath::At(path))
            }
            Some(_) => Err(self.error(&format!("`{key}` must be a reference path or null"))),
        }
    }

    fn template(&mut self, key: &str) -> Result<Option<Template>, DefinitionError> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => parse_template(v)
                .map(Some)
                .map_err(|e| self.error(&format!("`{key}`: {e}"))),
        }
    }

    fn seconds(&mut self, key: &str) -> Result<Option<Seconds>, DefinitionError> {
        let fixed = self.opt_uint(key, 1, 99_999_999)?;
        let path_key = format!("{key}Path");
        let path = self.reference_path(&path_key)?;
        match (fixed, path) {
            (Some(_), Some(_)) => {
                Err(self.error(&format!("`{key}` and `{path_key}` cannot both be given")))
            }
            (Some(n), None) => Ok(Some(Seconds::Fixed(n))),
            (None, Some(p)) => Ok(Some(Seconds::Path(p))),
            (None, None) => Ok(None),
        }
    }

    fn finish(&self) -> Result<(), DefinitionError> {
        match self.obj.keys().find(|k| !self.used.contains(k.as_str())) {
            Some(unknown) => Err(self.error(&format!("unknown field `{unknown}`"))),
            None => Ok(()),
        }
    }
}
