//! The Amazon States Language *document*: a state machine definition as
//! typed Rust data, written by the sagac emitters and read by the local
//! executor.
//!
//! This is the syntax level, not an interpreter: every state type with the
//! fields Step Functions accepts for it, retriers and catchers, transitions.
//! Expression-valued fields (JSONata templates, `Parameters` objects with
//! `.$` keys, choice conditions) stay [`serde_json::Value`]; what they mean
//! is the executor's business. Unknown fields are refused where Step
//! Functions refuses them (`deny_unknown_fields`).
//!
//! Field declaration order is output key order (serde_json's
//! `preserve_order`): the emitted definitions depend on it, so reordering a
//! field changes every committed `statemachine.asl.json`.
//!
//! The walking helpers ([`Graph::all_states`], [`State::transitions`],
//! [`Graph::reachable`]) are what the emitters and the executor use instead
//! of looking up `"Type"` or `"Next"` by string.

#![deny(missing_docs)]

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Declares a struct of the document: its fields in output order, each
/// field several structs share by its name alone (declared once, here; a
/// group of them, `state_header` or `result_handling`, by the group's
/// name),
/// the struct's own with their doc and kind: `name: json` (a JSON value
/// kept as written, `null` included), `name: Option<T>` (left out when
/// absent), `name: Vec<T> or empty` (left out when empty), `name: T`
/// (required). serde's `flatten` would share the
/// groups too, but it cannot be combined with `deny_unknown_fields`.
macro_rules! asl_struct {
    ($(#[$attr:meta])* $name:ident { $($fields:tt)* }) => {
        asl_struct!(@fields [$(#[$attr])*] $name [] $($fields)*);
    };
    (@fields [$($attr:tt)*] $name:ident [$($out:tt)*]) => {
        $($attr)*
        #[serde(rename_all = "PascalCase", deny_unknown_fields)]
        pub struct $name { $($out)* }
    };
    // The group of a state with a result (Task, Parallel, Map): how the
    // result is selected and placed, the output, retries, catchers and
    // the transition.
    (@fields $a:tt $n:ident $o:tt result_handling, $($r:tt)*) => {
        asl_struct!(@fields $a $n $o
            result_selector, result_path, output_path, output, assign, retry, catch, next, end,
            $($r)*);
    };
    // The fields every state starts with.
    (@fields $a:tt $n:ident $o:tt state_header, $($r:tt)*) => {
        asl_struct!(@fields $a $n $o comment, query_language, $($r)*);
    };
    // The shared fields: each, once.
    (@fields $a:tt $n:ident $o:tt comment, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`Comment`."] comment: Option<String>, $($r)*); };
    (@fields $a:tt $n:ident $o:tt query_language, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`QueryLanguage`."] query_language: Option<QueryLanguage>, $($r)*); };
    (@fields $a:tt $n:ident $o:tt input_path, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`InputPath` (JSONPath)."] input_path: json, $($r)*); };
    (@fields $a:tt $n:ident $o:tt parameters, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`Parameters` (JSONPath)."] parameters: json, $($r)*); };
    (@fields $a:tt $n:ident $o:tt result_selector, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`ResultSelector` (JSONPath)."] result_selector: json, $($r)*); };
    (@fields $a:tt $n:ident $o:tt result_path, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`ResultPath` (JSONPath; `null` discards the result)."] result_path: json, $($r)*); };
    (@fields $a:tt $n:ident $o:tt output_path, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`OutputPath` (JSONPath)."] output_path: json, $($r)*); };
    (@fields $a:tt $n:ident $o:tt arguments, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`Arguments` (JSONata)."] arguments: json, $($r)*); };
    (@fields $a:tt $n:ident $o:tt output, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`Output` (JSONata)."] output: json, $($r)*); };
    (@fields $a:tt $n:ident $o:tt assign, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`Assign`."] assign: json, $($r)*); };
    (@fields $a:tt $n:ident $o:tt retry, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`Retry`."] retry: Vec<Retrier> or empty, $($r)*); };
    (@fields $a:tt $n:ident $o:tt catch, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`Catch`."] catch: Vec<Catcher> or empty, $($r)*); };
    (@fields $a:tt $n:ident $o:tt next, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`Next`."] next: Option<String>, $($r)*); };
    (@fields $a:tt $n:ident $o:tt end, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`End`."] end: Option<bool>, $($r)*); };
    (@fields $a:tt $n:ident $o:tt start_at, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`StartAt`."] start_at: String, $($r)*); };
    (@fields $a:tt $n:ident $o:tt states, $($r:tt)*) => { asl_struct!(@fields $a $n $o #[doc = "`States`."] states: States, $($r)*); };
    // The kinds of field.
    (@fields $attr:tt $name:ident [$($out:tt)*] $(#[doc = $doc:literal])+ $field:ident: json, $($rest:tt)*) => {
        asl_struct!(@fields $attr $name [$($out)*
            $(#[doc = $doc])+
            #[serde(
                default,
                deserialize_with = "present",
                skip_serializing_if = "Option::is_none"
            )]
            pub $field: Option<Value>,
        ] $($rest)*);
    };
    (@fields $attr:tt $name:ident [$($out:tt)*] $(#[doc = $doc:literal])+ $field:ident: Vec<$ty:ty> or empty, $($rest:tt)*) => {
        asl_struct!(@fields $attr $name [$($out)*
            $(#[doc = $doc])+
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub $field: Vec<$ty>,
        ] $($rest)*);
    };
    (@fields $attr:tt $name:ident [$($out:tt)*] $(#[doc = $doc:literal])+ $field:ident: Option<$ty:ty>, $($rest:tt)*) => {
        asl_struct!(@fields $attr $name [$($out)*
            $(#[doc = $doc])+
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub $field: Option<$ty>,
        ] $($rest)*);
    };
    (@fields $attr:tt $name:ident [$($out:tt)*] $(#[doc = $doc:literal])+ $field:ident: $ty:ty, $($rest:tt)*) => {
        asl_struct!(@fields $attr $name [$($out)*
            $(#[doc = $doc])+
            pub $field: $ty,
        ] $($rest)*);
    };
}

/// States by name, in document order.
pub type States = IndexMap<String, State>;

asl_struct! {
    /// A whole state machine definition.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    Definition {
        comment,
        query_language,
        start_at,
        /// `Version` (only "1.0" exists).
        version: Option<String>,
        /// `TimeoutSeconds` of the whole execution.
        timeout_seconds: Option<u64>,
        states,
    }
}

/// A query language: of a definition or of one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryLanguage {
    /// `JSONPath` (the default).
    JSONPath,
    /// `JSONata`.
    JSONata,
}

asl_struct! {
    /// One branch of a Parallel state.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    Branch {
        comment,
        start_at,
        states,
    }
}

asl_struct! {
    /// The `ItemProcessor` (or legacy `Iterator`) of a Map state.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    Processor {
        comment,
        /// `ProcessorConfig`.
        processor_config: Option<ProcessorConfig>,
        start_at,
        states,
    }
}

asl_struct! {
    /// The `ProcessorConfig` of a Map's processor.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    ProcessorConfig {
        /// `Mode`: `INLINE` (the default) or `DISTRIBUTED`.
        mode: Option<String>,
        /// `ExecutionType` (distributed maps): `STANDARD` or `EXPRESS`.
        execution_type: Option<String>,
    }
}

/// A number of seconds (or items): a literal or, in a JSONata state, a
/// `{% … %}` template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Count {
    /// A literal.
    Literal(u64),
    /// A JSONata template.
    Expression(String),
}

asl_struct! {
    /// A retrier of a Task, Parallel or Map state.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    Retrier {
        comment,
        /// `ErrorEquals`.
        error_equals: Vec<String>,
        /// `IntervalSeconds` (default 1).
        interval_seconds: Option<u64>,
        /// `MaxAttempts` (default 3; 0 retries nothing).
        max_attempts: Option<u64>,
        /// `BackoffRate` (default 2.0).
        backoff_rate: Option<f64>,
        /// `MaxDelaySeconds`.
        max_delay_seconds: Option<u64>,
        /// `JitterStrategy` (`FULL` or `NONE`).
        jitter_strategy: Option<String>,
    }
}

asl_struct! {
    /// A catcher of a Task, Parallel or Map state.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    Catcher {
        comment,
        /// `ErrorEquals`.
        error_equals: Vec<String>,
        /// `ResultPath` (JSONPath): where the error output goes; `null` discards it.
        result_path: json,
        output,
        assign,
        /// `Next`.
        next: String,
    }
}

/// A rule of a Choice state: its condition as written (`Variable` and a
/// comparison, `And`/`Or`/`Not`, or JSONata's `Condition`, with `Assign` or
/// `Output` if any) and the state it leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceRule {
    /// Everything of the rule but `Next`, in document order.
    #[serde(flatten)]
    pub condition: serde_json::Map<String, Value>,
    /// `Next`.
    #[serde(rename = "Next")]
    pub next: String,
}

macro_rules! comparisons {
    ($($operator:ident: $field:ident $(, $path:ident)?;)*) => {
        /// A comparison operator of a choice rule (its `…Path` form, where
        /// there is one, is the same operator with an [`Operand::Path`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Comparison {
            $(
                #[doc = concat!("`", stringify!($operator), "`.")]
                $operator,
            )*
        }

        impl Comparison {
            /// The operator's name as written (without the `Path` suffix).
            pub fn name(self) -> &'static str {
                match self {
                    $(Comparison::$operator => stringify!($operator),)*
                }
            }
        }

        /// The fields of a choice rule (a top-level one without its `Next`,
        /// which [`ChoiceRule`] holds, or a nested one), typed: what
        /// [`ChoiceRule::condition`] holds as written. Which combinations are valid (one
        /// comparison with `Variable`, or one of `And`, `Or`, `Not`; a
        /// JSONata `Condition`) is the reader's business.
        #[derive(Debug, Clone, PartialEq, Default, Deserialize)]
        #[serde(rename_all = "PascalCase", deny_unknown_fields)]
        pub struct RuleFields {
            /// `Comment`.
            #[serde(default)]
            pub comment: Option<String>,
            /// `Variable` (JSONPath).
            #[serde(default)]
            pub variable: Option<String>,
            /// `And`.
            #[serde(default)]
            pub and: Option<Vec<RuleFields>>,
            /// `Or`.
            #[serde(default)]
            pub or: Option<Vec<RuleFields>>,
            /// `Not`.
            #[serde(default)]
            pub not: Option<Box<RuleFields>>,
            /// `Condition` (JSONata).
            #[serde(default, deserialize_with = "present")]
            pub condition: Option<Value>,
            /// `Output` (JSONata).
            #[serde(default, deserialize_with = "present")]
            pub output: Option<Value>,
            /// `Assign`.
            #[serde(default, deserialize_with = "present")]
            pub assign: Option<Value>,
            /// `Next` (a nested rule has none).
            #[serde(default)]
            pub next: Option<String>,
            $(
                #[doc = concat!("`", stringify!($operator), "`.")]
                #[serde(default, deserialize_with = "present")]
                pub $field: Option<Value>,
                $(
                    #[doc = concat!("`", stringify!($operator), "Path`.")]
                    #[serde(default, deserialize_with = "present")]
                    pub $path: Option<Value>,
                )?
            )*
        }

        impl RuleFields {
            /// Every comparison the rule has, in the order of
            /// [`Comparison`], each with its operand as written.
            pub fn comparisons(&self) -> Vec<(Comparison, Operand<'_>)> {
                let mut out = Vec::new();
                $(
                    if let Some(value) = &self.$field {
                        out.push((Comparison::$operator, Operand::Literal(value)));
                    }
                    $(
                        if let Some(value) = &self.$path {
                            out.push((Comparison::$operator, Operand::Path(value)));
                        }
                    )?
                )*
                out
            }
        }
    };
}

comparisons! {
    StringEquals: string_equals, string_equals_path;
    StringLessThan: string_less_than, string_less_than_path;
    StringGreaterThan: string_greater_than, string_greater_than_path;
    StringLessThanEquals: string_less_than_equals, string_less_than_equals_path;
    StringGreaterThanEquals: string_greater_than_equals, string_greater_than_equals_path;
    StringMatches: string_matches;
    NumericEquals: numeric_equals, numeric_equals_path;
    NumericLessThan: numeric_less_than, numeric_less_than_path;
    NumericGreaterThan: numeric_greater_than, numeric_greater_than_path;
    NumericLessThanEquals: numeric_less_than_equals, numeric_less_than_equals_path;
    NumericGreaterThanEquals: numeric_greater_than_equals, numeric_greater_than_equals_path;
    BooleanEquals: boolean_equals, boolean_equals_path;
    TimestampEquals: timestamp_equals, timestamp_equals_path;
    TimestampLessThan: timestamp_less_than, timestamp_less_than_path;
    TimestampGreaterThan: timestamp_greater_than, timestamp_greater_than_path;
    TimestampLessThanEquals: timestamp_less_than_equals, timestamp_less_than_equals_path;
    TimestampGreaterThanEquals: timestamp_greater_than_equals, timestamp_greater_than_equals_path;
    IsNull: is_null;
    IsPresent: is_present;
    IsNumeric: is_numeric;
    IsString: is_string;
    IsBoolean: is_boolean;
    IsTimestamp: is_timestamp;
}

/// The operand of a comparison, as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand<'a> {
    /// The operator's literal (`StringEquals: "x"`).
    Literal(&'a Value),
    /// A `…Path` operator's value (`StringEqualsPath: "$.x"`).
    Path(&'a Value),
}

/// A state, tagged by its `Type`.
#[allow(
    clippy::large_enum_variant,
    reason = "a definition holds tens of states, built once: boxing the variants would cost every constructor and match for nothing measurable"
)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "Type")]
pub enum State {
    /// `Task`.
    Task(Task),
    /// `Pass`.
    Pass(Pass),
    /// `Choice`.
    Choice(Choice),
    /// `Wait`.
    Wait(Wait),
    /// `Succeed`.
    Succeed(Succeed),
    /// `Fail`.
    Fail(Fail),
    /// `Parallel`.
    Parallel(Parallel),
    /// `Map`.
    Map(Map),
}

asl_struct! {
    /// A Task state.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    Task {
        state_header,
        /// `Resource`.
        resource: String,
        input_path,
        parameters,
        arguments,
        /// `Credentials`.
        credentials: json,
        /// `TimeoutSeconds`.
        timeout_seconds: Option<Count>,
        /// `TimeoutSecondsPath`.
        timeout_seconds_path: Option<String>,
        /// `HeartbeatSeconds`.
        heartbeat_seconds: Option<Count>,
        /// `HeartbeatSecondsPath`.
        heartbeat_seconds_path: Option<String>,
        result_handling,
    }
}

asl_struct! {
    /// A Pass state.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    Pass {
        state_header,
        input_path,
        parameters,
        /// `Result`.
        result: json,
        result_path,
        output_path,
        output,
        assign,
        next,
        end,
    }
}

asl_struct! {
    /// A Choice state.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    Choice {
        state_header,
        input_path,
        output_path,
        output,
        assign,
        /// `Choices`.
        choices: Vec<ChoiceRule>,
        /// `Default`.
        default: Option<String>,
    }
}

asl_struct! {
    /// A Wait state.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    Wait {
        state_header,
        input_path,
        output_path,
        output,
        assign,
        /// `Seconds`.
        seconds: Option<Count>,
        /// `Timestamp` (RFC 3339, or a JSONata template).
        timestamp: Option<String>,
        /// `SecondsPath`.
        seconds_path: Option<String>,
        /// `TimestampPath`.
        timestamp_path: Option<String>,
        next,
        end,
    }
}

asl_struct! {
    /// A Succeed state.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    Succeed {
        state_header,
        input_path,
        output_path,
        output,
    }
}

asl_struct! {
    /// A Fail state.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    Fail {
        state_header,
        /// `Error`.
        error: Option<String>,
        /// `ErrorPath`.
        error_path: Option<String>,
        /// `Cause`.
        cause: Option<String>,
        /// `CausePath`.
        cause_path: Option<String>,
    }
}

asl_struct! {
    /// A Parallel state.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    Parallel {
        state_header,
        input_path,
        parameters,
        arguments,
        /// `Branches`.
        branches: Vec<Branch>,
        result_handling,
    }
}

asl_struct! {
    /// A Map state.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    Map {
        state_header,
        input_path,
        /// `ItemsPath` (JSONPath).
        items_path: json,
        /// `Items` (JSONata).
        items: json,
        /// `ItemSelector`.
        item_selector: json,
        /// `Parameters` (the legacy `ItemSelector`).
        parameters: json,
        /// `ItemProcessor`.
        item_processor: Option<Processor>,
        /// `Iterator` (the legacy `ItemProcessor`).
        iterator: Option<Processor>,
        /// `ItemReader` (distributed maps), kept as written.
        item_reader: json,
        /// `ItemBatcher`, kept as written.
        item_batcher: json,
        /// `ResultWriter`, kept as written.
        result_writer: json,
        /// `MaxConcurrency`.
        max_concurrency: Option<Count>,
        /// `MaxConcurrencyPath`.
        max_concurrency_path: Option<String>,
        /// `ToleratedFailurePercentage`.
        tolerated_failure_percentage: json,
        /// `ToleratedFailurePercentagePath`.
        tolerated_failure_percentage_path: Option<String>,
        /// `ToleratedFailureCount`.
        tolerated_failure_count: json,
        /// `ToleratedFailureCountPath`.
        tolerated_failure_count_path: Option<String>,
        /// `Label`.
        label: Option<String>,
        result_handling,
    }
}

/// A field that is present, `null` included: ASL gives `null` a meaning
/// (`"InputPath": null` passes `{}`, `"ResultPath": null` discards the
/// result, `"Result": null` is the result), so it must not read as absent,
/// which plain `Option` makes of it.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl Map {
    /// The processor: `ItemProcessor`, else the legacy `Iterator`.
    pub fn processor(&self) -> Option<&Processor> {
        self.item_processor.as_ref().or(self.iterator.as_ref())
    }
}

/// The accessors of the fields several state types share: the field, or
/// `None` for a type that does not have it.
macro_rules! shared_fields {
    ($($(#[$doc:meta])* $field:ident: $($variant:ident)|+;)*) => {
        impl State {
            $(
                $(#[$doc])*
                pub fn $field(&self) -> Option<&Value> {
                    match self {
                        $(State::$variant(s) => s.$field.as_ref(),)+
                        #[allow(unreachable_patterns, reason = "a field every type has")]
                        _ => None,
                    }
                }
            )*
        }
    };
}

shared_fields! {
    /// `InputPath`.
    input_path: Task | Pass | Choice | Wait | Succeed | Parallel | Map;
    /// `OutputPath`.
    output_path: Task | Pass | Choice | Wait | Succeed | Parallel | Map;
    /// `Parameters` (JSONPath; a Map's legacy `ItemSelector`).
    parameters: Task | Pass | Parallel | Map;
    /// `ResultSelector`.
    result_selector: Task | Parallel | Map;
    /// `ResultPath`.
    result_path: Task | Pass | Parallel | Map;
    /// `Arguments` (JSONata).
    arguments: Task | Parallel;
    /// `Output` (JSONata).
    output: Task | Pass | Choice | Wait | Succeed | Parallel | Map;
    /// `Assign`.
    assign: Task | Pass | Choice | Wait | Parallel | Map;
}

/// Every `Type` a state may have.
pub const TYPES: [&str; 8] = [
    "Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
];

impl State {
    /// Reads a state's fields (every one but `Type`) as a state of type
    /// `type_name`: what [`State`]'s `Deserialize` does once it has read
    /// the `Type`.
    ///
    /// # Errors
    /// `unknown Type` for a type that is not one of [`TYPES`], else the
    /// fields' error.
    pub fn from_fields<'de, D: serde::Deserializer<'de>>(
        type_name: &str,
        fields: D,
    ) -> Result<State, D::Error> {
        Ok(match type_name {
            "Task" => State::Task(Task::deserialize(fields)?),
            "Pass" => State::Pass(Pass::deserialize(fields)?),
            "Choice" => State::Choice(Choice::deserialize(fields)?),
            "Wait" => State::Wait(Wait::deserialize(fields)?),
            "Succeed" => State::Succeed(Succeed::deserialize(fields)?),
            "Fail" => State::Fail(Fail::deserialize(fields)?),
            "Parallel" => State::Parallel(Parallel::deserialize(fields)?),
            "Map" => State::Map(Map::deserialize(fields)?),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "unknown Type `{other}` ({})",
                    TYPES.join(", ")
                )));
            }
        })
    }

    /// The state's `Type`, as written.
    pub fn type_name(&self) -> &'static str {
        match self {
            State::Task(_) => "Task",
            State::Pass(_) => "Pass",
            State::Choice(_) => "Choice",
            State::Wait(_) => "Wait",
            State::Succeed(_) => "Succeed",
            State::Fail(_) => "Fail",
            State::Parallel(_) => "Parallel",
            State::Map(_) => "Map",
        }
    }

    /// `Comment`.
    pub fn comment(&self) -> Option<&str> {
        match self {
            State::Task(s) => s.comment.as_deref(),
            State::Pass(s) => s.comment.as_deref(),
            State::Choice(s) => s.comment.as_deref(),
            State::Wait(s) => s.comment.as_deref(),
            State::Succeed(s) => s.comment.as_deref(),
            State::Fail(s) => s.comment.as_deref(),
            State::Parallel(s) => s.comment.as_deref(),
            State::Map(s) => s.comment.as_deref(),
        }
    }

    /// `QueryLanguage`.
    pub fn query_language(&self) -> Option<QueryLanguage> {
        match self {
            State::Task(s) => s.query_language,
            State::Pass(s) => s.query_language,
            State::Choice(s) => s.query_language,
            State::Wait(s) => s.query_language,
            State::Succeed(s) => s.query_language,
            State::Fail(s) => s.query_language,
            State::Parallel(s) => s.query_language,
            State::Map(s) => s.query_language,
        }
    }

    /// `Next` (a Choice state has none: see [`State::transitions`]).
    pub fn next(&self) -> Option<&str> {
        match self {
            State::Task(s) => s.next.as_deref(),
            State::Pass(s) => s.next.as_deref(),
            State::Wait(s) => s.next.as_deref(),
            State::Parallel(s) => s.next.as_deref(),
            State::Map(s) => s.next.as_deref(),
            State::Choice(_) | State::Succeed(_) | State::Fail(_) => None,
        }
    }

    /// Whether the state has `End: true`.
    pub fn is_end(&self) -> bool {
        let end = match self {
            State::Task(s) => s.end,
            State::Pass(s) => s.end,
            State::Wait(s) => s.end,
            State::Parallel(s) => s.end,
            State::Map(s) => s.end,
            State::Choice(_) | State::Succeed(_) | State::Fail(_) => None,
        };
        end == Some(true)
    }

    /// The catchers of a Task, Parallel or Map state (none for the others).
    pub fn catchers(&self) -> &[Catcher] {
        match self {
            State::Task(s) => &s.catch,
            State::Parallel(s) => &s.catch,
            State::Map(s) => &s.catch,
            _ => &[],
        }
    }

    /// The retriers of a Task, Parallel or Map state (none for the others).
    pub fn retriers(&self) -> &[Retrier] {
        match self {
            State::Task(s) => &s.retry,
            State::Parallel(s) => &s.retry,
            State::Map(s) => &s.retry,
            _ => &[],
        }
    }

    /// Every transition target of the state, in order: `Next`, `Default`,
    /// each choice rule's `Next`, each catcher's `Next`.
    pub fn transitions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.next().into_iter().collect();
        if let State::Choice(choice) = self {
            out.extend(choice.default.as_deref());
            out.extend(choice.choices.iter().map(|rule| rule.next.as_str()));
        }
        out.extend(self.catchers().iter().map(|c| c.next.as_str()));
        out
    }

    /// The nested state graphs: a Parallel state's branches, a Map state's
    /// processor; none for the other types.
    pub fn children(&self) -> Vec<&dyn Graph> {
        match self {
            State::Parallel(p) => p.branches.iter().map(|b| b as &dyn Graph).collect(),
            State::Map(m) => m.processor().map(|p| p as &dyn Graph).into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// A state is read by its `Type` first, then its other fields straight
/// from the document as the type's struct, so a path-tracking deserializer
/// (`serde_path_to_error`) names an error's field in full
/// (`States.A.Retry[0].MaxAttempts`, inside branches and processors too).
/// serde's derived, internally tagged form would buffer the whole state
/// before reading it, and every error inside would stop at `States.A`.
/// Fields written before `Type` are buffered (an error in one of them
/// names that field, not the path inside it).
impl<'de> Deserialize<'de> for State {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<State, D::Error> {
        deserializer.deserialize_map(StateVisitor)
    }
}

struct StateVisitor;

impl<'de> serde::de::Visitor<'de> for StateVisitor {
    type Value = State;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a state (an object with a `Type`)")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<State, A::Error> {
        let mut before = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "Type" {
                let type_name: String = map.next_value()?;
                let rest = serde::de::value::MapAccessDeserializer::new(Replay {
                    before: before.into_iter(),
                    value: None,
                    rest: map,
                });
                return State::from_fields(&type_name, rest);
            }
            let value: Value = map.next_value()?;
            before.push((key, value));
        }
        Err(serde::de::Error::missing_field("Type"))
    }
}

/// A state's fields: those read before its `Type` (buffered), then the
/// rest of the document's.
struct Replay<A> {
    before: std::vec::IntoIter<(String, Value)>,
    value: Option<(String, Value)>,
    rest: A,
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for Replay<A> {
    type Error = A::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        use serde::de::IntoDeserializer as _;
        match self.before.next() {
            Some((key, value)) => {
                let read = seed.deserialize(key.as_str().into_deserializer());
                self.value = Some((key, value));
                read.map(Some)
            }
            None => self.rest.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        match self.value.take() {
            Some((key, value)) => seed
                .deserialize(value)
                .map_err(|e| serde::de::Error::custom(format!("`{key}`: {e}"))),
            None => self.rest.next_value_seed(seed),
        }
    }
}

/// A set of states with a start: a definition, a Parallel branch, a Map
/// processor.
pub trait Graph {
    /// `StartAt`.
    fn start_at(&self) -> &str;
    /// `States`.
    fn states(&self) -> &States;

    /// Every state of the graph and of the graphs nested in it, depth first
    /// in document order: a Parallel state, then its branches' states, then
    /// the state after it in the document.
    fn all_states(&self) -> Vec<(&str, &State)> {
        let mut out = Vec::new();
        fn walk<'a>(graph: &'a dyn Graph, out: &mut Vec<(&'a str, &'a State)>) {
            for (name, state) in graph.states() {
                out.push((name.as_str(), state));
                for child in state.children() {
                    walk(child, out);
                }
            }
        }
        for (name, state) in self.states() {
            out.push((name.as_str(), state));
            for child in state.children() {
                walk(child, &mut out);
            }
        }
        out
    }

    /// The names of the states reachable from `StartAt` through
    /// [`State::transitions`], within this graph (nested graphs have their
    /// own). A target that names no state is included, so a caller can
    /// tell it apart.
    fn reachable(&self) -> BTreeSet<&str> {
        let mut reached = BTreeSet::new();
        let mut todo = vec![self.start_at()];
        while let Some(name) = todo.pop() {
            if !reached.insert(name) {
                continue;
            }
            if let Some(state) = self.states().get(name) {
                todo.extend(state.transitions());
            }
        }
        reached
    }
}

impl Graph for Definition {
    fn start_at(&self) -> &str {
        &self.start_at
    }
    fn states(&self) -> &States {
        &self.states
    }
}

impl Graph for Branch {
    fn start_at(&self) -> &str {
        &self.start_at
    }
    fn states(&self) -> &States {
        &self.states
    }
}

impl Graph for Processor {
    fn start_at(&self) -> &str {
        &self.start_at
    }
    fn states(&self) -> &States {
        &self.states
    }
}

impl Definition {
    /// Drops the top-level states nothing reaches from `StartAt`.
    pub fn prune_unreachable(&mut self) {
        let reached: BTreeSet<String> = self.reachable().into_iter().map(str::to_owned).collect();
        self.states.retain(|name, _| reached.contains(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The committed reference definition reads back and writes out byte
    /// for byte: every field the emitter writes is modelled, in its order.
    #[test]
    fn generated_definition_round_trips() {
        let text = include_str!("../../../generated/trip-booking/statemachine.asl.json");
        let definition: Definition = serde_json::from_str(text).expect("the definition parses");
        let mut again = serde_json::to_string_pretty(&definition).expect("it serializes");
        again.push('\n');
        assert_eq!(again, text);
    }

    #[test]
    fn unknown_fields_and_types_are_refused() {
        let unknown = json!({"StartAt": "A", "States": {"A": {"Type": "Succeed", "Nxt": "B"}}});
        let error = serde_json::from_value::<Definition>(unknown).unwrap_err();
        assert!(error.to_string().contains("Nxt"), "{error}");
        let kind = json!({"StartAt": "A", "States": {"A": {"Type": "Sleep"}}});
        assert!(serde_json::from_value::<Definition>(kind).is_err());
        let retry = json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r",
            "End": true, "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": -1}]}}});
        assert!(serde_json::from_value::<Definition>(retry).is_err());
    }

    #[test]
    fn transitions_and_reachability() {
        let definition: Definition = serde_json::from_value(json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Task", "Resource": "r", "Next": "B",
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]},
                "B": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "P"}],
                      "Default": "S"},
                "P": {"Type": "Parallel", "Branches": [
                    {"StartAt": "In", "States": {"In": {"Type": "Pass", "End": true}}}
                ], "End": true},
                "S": {"Type": "Succeed"},
                "F": {"Type": "Fail", "Error": "E"},
                "Orphan": {"Type": "Pass", "End": true}
            }
        }))
        .expect("valid");
        assert_eq!(definition.states["A"].transitions(), ["B", "F"]);
        assert_eq!(definition.states["B"].transitions(), ["S", "P"]);
        let names: Vec<&str> = definition.all_states().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["A", "B", "P", "In", "S", "F", "Orphan"]);
        let mut pruned = definition.clone();
        pruned.prune_unreachable();
        assert!(!pruned.states.contains_key("Orphan"));
        assert_eq!(pruned.states.len(), 5);
    }

    #[test]
    fn null_fields_are_kept_apart_from_absent_ones() {
        let value = json!({"StartAt": "A", "States": {"A": {
            "Type": "Pass", "InputPath": null, "Result": null, "ResultPath": null, "End": true
        }}});
        let definition: Definition = serde_json::from_value(value.clone()).expect("valid");
        let State::Pass(pass) = &definition.states["A"] else {
            panic!("a Pass state")
        };
        assert_eq!(pass.input_path, Some(Value::Null));
        assert_eq!(pass.output_path, None);
        assert_eq!(
            serde_json::to_value(&definition).expect("serializes"),
            value
        );
    }
}
