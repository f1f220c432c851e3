//! The lowering of a definition: JSON is read into the ASL document model
//! the compiler emits from (`sagac-asl`), which refuses unknown fields and
//! fields of the wrong type by their path, then each typed state is
//! lowered into the executor's model, checking what Step Functions checks
//! when a state machine is created (ranges, which query language a field
//! belongs to, transitions, reachability, variable scopes).

use std::collections::BTreeSet;

use sagac_asl::Graph;
use serde_json::Value;

use super::{
    Catcher, Choice, ChoiceBranch, ChoiceRule, Definition, DefinitionError, Fail, FailField, Io,
    Jitter, JsonataIo, Map, Operand, Parallel, Pass, QueryLanguage, ResultPath, Retrier, Seconds,
    State, StateKind, StateMachine, Succeed, Task, Template, Transition, Wait, WaitFor,
    parse_template, root_path,
};
use crate::clock::Instant;
use crate::intrinsic;
use crate::jsonata;
use crate::path::Path;

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
        if !value.is_object() {
            return Err(DefinitionError {
                state: None,
                message: "the definition must be a JSON object".into(),
            });
        }
        Definition::from_document(&document(value)?)
    }

    /// Lowers a definition already read into the ASL document model.
    ///
    /// # Errors
    /// A [`DefinitionError`] naming the state and the problem.
    pub fn from_document(document: &sagac_asl::Definition) -> Result<Definition, DefinitionError> {
        let top = Scope::new(None, QueryLanguage::JsonPath);
        let query_language =
            query_language(&top, document.query_language, QueryLanguage::JsonPath)?;
        let timeout_seconds = match document.timeout_seconds {
            Some(n) if !(1..=99_999_999).contains(&n) => {
                return Err(top.error(&format!(
                    "`TimeoutSeconds` must be an integer from 1 to 99999999, got {n}"
                )));
            }
            seconds => seconds,
        };
        let machine = lower_machine(document, &top, "", query_language)?;
        check_scopes(&machine, "", &BTreeSet::new())?;
        Ok(Definition {
            timeout_seconds,
            query_language,
            machine,
            document: document.clone(),
        })
    }
}

/// Reads the definition into the ASL document model the compiler emits
/// from (`sagac-asl`), so the executor refuses what that model cannot hold
/// (unknown fields, fields of the wrong type), naming the state and the
/// field's path in it (`Retry[0].MaxAttempts`). The model reads each state
/// straight from the document by its `Type`, so the path is whole, nested
/// states' included.
fn document(value: &Value) -> Result<sagac_asl::Definition, DefinitionError> {
    serde_path_to_error::deserialize::<_, sagac_asl::Definition>(value).map_err(|error| {
        let path: Vec<Segment> = error.path().iter().map(Segment::of).collect();
        let (state, within) = split_state(&path);
        let text = path_text(within);
        let message = error.into_inner().to_string();
        DefinitionError {
            state,
            message: if text.is_empty() {
                message
            } else {
                format!("`{text}`: {message}")
            },
        }
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

    fn is_states(&self) -> bool {
        matches!(self, Segment::Key(key) if key == STATES)
    }
}

/// The key of a graph's states (the definition's, a branch's, a
/// processor's): the one map of states a document's path goes through.
const STATES: &str = "States";

/// Splits a document path into the state it is in (`Outer/Inner`: a
/// state of a Parallel branch or a Map processor is named by the states
/// around it), if any, and the path within that state. A state's own
/// fields hold no `States` below them but in a nested graph, one or two
/// steps down (`ItemProcessor.States`, `Branches[0].States`).
fn split_state(path: &[Segment]) -> (Option<String>, &[Segment]) {
    let mut state: Option<String> = None;
    let mut graph = path;
    loop {
        let [states, Segment::Key(name), within @ ..] = graph else {
            return (state, graph);
        };
        if !states.is_states() {
            return (state, graph);
        }
        state = Some(match state {
            Some(outer) => format!("{outer}/{name}"),
            None => name.clone(),
        });
        graph = match within {
            [_, states, Segment::Key(_), ..] if states.is_states() => &within[1..],
            [_, Segment::Index(_), states, Segment::Key(_), ..] if states.is_states() => {
                &within[2..]
            }
            _ => return (state, within),
        };
    }
}

/// A path as written in messages: `Retry[0].MaxAttempts`.
fn path_text(path: &[Segment]) -> String {
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
    text
}

/// Where a lowering error is: the state (or the graph, `P (branch 0)`),
/// a prefix within it (`Catch[0]: `), and the query language its fields
/// are read in.
struct Scope {
    state: Option<String>,
    prefix: String,
    lang: QueryLanguage,
}

impl Scope {
    fn new(state: Option<String>, lang: QueryLanguage) -> Scope {
        Scope {
            state,
            prefix: String::new(),
            lang,
        }
    }

    /// The same state, for the item `what` in it (`Catch[0]`).
    fn within(&self, what: &str) -> Scope {
        Scope {
            state: self.state.clone(),
            prefix: format!("{}{what}: ", self.prefix),
            lang: self.lang,
        }
    }

    fn error(&self, message: &str) -> DefinitionError {
        DefinitionError {
            state: self.state.clone(),
            message: format!("{}{message}", self.prefix),
        }
    }

    /// An optional field read by `parse`; its error names the field.
    fn parsed<T>(
        &self,
        key: &str,
        value: Option<&Value>,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<Option<T>, DefinitionError> {
        value
            .map(|v| parse(v).map_err(|e| self.error(&format!("`{key}`: {e}"))))
            .transpose()
    }

    fn jsonata(
        &self,
        key: &str,
        value: Option<&Value>,
    ) -> Result<Option<jsonata::Template>, DefinitionError> {
        self.parsed(key, value, jsonata::Template::parse)
    }

    fn assign(&self, value: Option<&Value>) -> Result<Option<jsonata::Template>, DefinitionError> {
        self.parsed("Assign", value, assign_template)
    }

    fn template(
        &self,
        key: &str,
        value: Option<&Value>,
    ) -> Result<Option<Template>, DefinitionError> {
        self.parsed(key, value, parse_template)
    }

    /// `InputPath`, `OutputPath`, `ItemsPath`: absent is `$`, `null` is `None`.
    fn nullable_path(
        &self,
        key: &str,
        value: Option<&Value>,
    ) -> Result<Option<Path>, DefinitionError> {
        match value {
            None => Ok(Some(root_path())),
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Path::parse(s)
                .map(Some)
                .map_err(|e| self.error(&format!("`{key}`: {e}"))),
            Some(_) => Err(self.error(&format!("`{key}` must be a path or null"))),
        }
    }

    fn io(&self, input: Option<&Value>, output: Option<&Value>) -> Result<Io, DefinitionError> {
        Ok(Io {
            input_path: self.nullable_path("InputPath", input)?,
            output_path: self.nullable_path("OutputPath", output)?,
        })
    }

    fn reference_path(
        &self,
        key: &str,
        value: Option<&str>,
    ) -> Result<Option<Path>, DefinitionError> {
        value
            .map(|s| Path::parse_reference(s).map_err(|e| self.error(&format!("`{key}`: {e}"))))
            .transpose()
    }

    fn result_path(&self, value: Option<&Value>) -> Result<ResultPath, DefinitionError> {
        match value {
            None => Ok(ResultPath::At(root_path())),
            Some(Value::Null) => Ok(ResultPath::Discard),
            Some(Value::String(s)) => {
                let path = Path::parse_reference(s)
                    .map_err(|e| self.error(&format!("`ResultPath`: {e}")))?;
                if path.is_context() {
                    return Err(self.error("`ResultPath` cannot write into the context object"));
                }
                Ok(ResultPath::At(path))
            }
            Some(_) => Err(self.error("`ResultPath` must be a reference path or null")),
        }
    }

    /// A literal count within `min..=max` (a JSONata expression is not
    /// supported where this is used).
    fn count(
        &self,
        key: &str,
        value: Option<&sagac_asl::Count>,
        min: u64,
        max: u64,
    ) -> Result<Option<u64>, DefinitionError> {
        match value {
            None => Ok(None),
            Some(sagac_asl::Count::Literal(n)) if (min..=max).contains(n) => Ok(Some(*n)),
            Some(sagac_asl::Count::Literal(n)) => {
                Err(self.range_error(key, min, max, &Value::from(*n)))
            }
            Some(sagac_asl::Count::Expression(s)) => {
                Err(self.range_error(key, min, max, &Value::from(s.as_str())))
            }
        }
    }

    fn range_error(&self, key: &str, min: u64, max: u64, got: &Value) -> DefinitionError {
        self.error(&format!(
            "`{key}` must be an integer from {min} to {max}, got {got}"
        ))
    }

    /// `TimeoutSeconds`/`TimeoutSecondsPath`, `HeartbeatSeconds`/`HeartbeatSecondsPath`.
    fn seconds(
        &self,
        key: &str,
        fixed: Option<&sagac_asl::Count>,
        path: Option<&str>,
    ) -> Result<Option<Seconds>, DefinitionError> {
        let fixed = self.count(key, fixed, 1, 99_999_999)?;
        let path_key = format!("{key}Path");
        match (fixed, self.reference_path(&path_key, path)?) {
            (Some(_), Some(_)) => {
                Err(self.error(&format!("`{key}` and `{path_key}` cannot both be given")))
            }
            (Some(n), None) => Ok(Some(Seconds::Fixed(n))),
            (None, Some(p)) => Ok(Some(Seconds::Path(p))),
            (None, None) => Ok(None),
        }
    }
}

/// `QueryLanguage`, defaulting to the enclosing one. A JSONPath state in a
/// JSONata machine is refused, as Step Functions refuses it.
fn query_language(
    scope: &Scope,
    written: Option<sagac_asl::QueryLanguage>,
    outer: QueryLanguage,
) -> Result<QueryLanguage, DefinitionError> {
    match written {
        None => Ok(outer),
        Some(sagac_asl::QueryLanguage::JSONata) => Ok(QueryLanguage::Jsonata),
        Some(sagac_asl::QueryLanguage::JSONPath) if outer == QueryLanguage::Jsonata => Err(scope.error(
            "QueryLanguage JSONPath is not allowed inside a JSONata state machine (only JSONPath may be overridden with JSONata)",
        )),
        Some(sagac_asl::QueryLanguage::JSONPath) => Ok(QueryLanguage::JsonPath),
    }
}

/// The fields only one query language has: in a JSONata state the JSONPath
/// ones are refused, and the reverse, as Step Functions refuses them when the
/// state machine is created. `jsonpath` and `jsonata` are the fields of
/// each language that are present, by name.
fn check_language_fields(
    scope: &Scope,
    jsonpath: &[(&str, bool)],
    jsonata: &[(&str, bool)],
    assign: bool,
) -> Result<(), DefinitionError> {
    let (refused, only, language) = match scope.lang {
        QueryLanguage::Jsonata => (jsonpath, "JSONPath", "JSONata"),
        QueryLanguage::JsonPath => (jsonata, "JSONata", "JSONPath"),
    };
    if let Some((key, _)) = refused.iter().find(|(_, present)| *present) {
        return Err(scope.error(&format!(
            "`{key}` is a {only} field; this state's QueryLanguage is {language}"
        )));
    }
    if scope.lang == QueryLanguage::JsonPath && assign {
        return Err(scope.error(
            "`Assign` in a JSONPath state is not supported by this executor (variables work in JSONata states)",
        ));
    }
    Ok(())
}

/// The fields of a state that belong to one query language, present or
/// not: (JSONPath's, JSONata's).
type LanguageFields = (Vec<(&'static str, bool)>, Vec<(&'static str, bool)>);

fn language_fields(state: &sagac_asl::State) -> LanguageFields {
    use sagac_asl::State as S;
    let mut jsonpath = vec![
        ("InputPath", state.input_path().is_some()),
        ("Parameters", state.parameters().is_some()),
        ("ResultSelector", state.result_selector().is_some()),
        ("ResultPath", state.result_path().is_some()),
        ("OutputPath", state.output_path().is_some()),
    ];
    let mut jsonata = vec![
        ("Arguments", state.arguments().is_some()),
        ("Output", state.output().is_some()),
    ];
    match state {
        S::Pass(p) => jsonpath.push(("Result", p.result.is_some())),
        S::Map(m) => {
            jsonpath.push(("ItemsPath", m.items_path.is_some()));
            jsonpath.push(("MaxConcurrencyPath", m.max_concurrency_path.is_some()));
            jsonata.push(("Items", m.items.is_some()));
        }
        S::Task(t) => {
            jsonpath.push(("TimeoutSecondsPath", t.timeout_seconds_path.is_some()));
            jsonpath.push(("HeartbeatSecondsPath", t.heartbeat_seconds_path.is_some()));
        }
        S::Fail(f) => {
            jsonpath.push(("ErrorPath", f.error_path.is_some()));
            jsonpath.push(("CausePath", f.cause_path.is_some()));
        }
        S::Wait(w) => {
            jsonpath.push(("SecondsPath", w.seconds_path.is_some()));
            jsonpath.push(("TimestampPath", w.timestamp_path.is_some()));
        }
        S::Choice(_) | S::Succeed(_) | S::Parallel(_) => {}
    }
    (jsonpath, jsonata)
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

/// Lowers a graph of the document (the definition, a branch, a
/// processor); `scope` names it in messages (none at the top, `P (branch
/// 0)`), `prefix` names the enclosing state in its states' names (`P/`).
/// Transitions are checked on the document first: every target of a
/// reachable state is a state of the graph, and every state is reachable.
fn lower_machine(
    graph: &dyn Graph,
    scope: &Scope,
    prefix: &str,
    language: QueryLanguage,
) -> Result<StateMachine, DefinitionError> {
    let states = graph.states();
    if states.is_empty() {
        return Err(scope.error("`States` must not be empty"));
    }
    if !states.contains_key(graph.start_at()) {
        return Err(scope.error(&format!(
            "StartAt names `{}`, which is not a state here",
            graph.start_at()
        )));
    }
    let reachable = graph.reachable();
    for (name, state) in states {
        let full = format!("{prefix}{name}");
        if name.is_empty() || name.chars().count() > 80 {
            return Err(DefinitionError {
                state: Some(full),
                message: "a state name must have 1 to 80 characters".into(),
            });
        }
        if !reachable.contains(name.as_str()) {
            return Err(DefinitionError {
                state: Some(full),
                message: "the state is not reachable from StartAt".into(),
            });
        }
        if let Some(target) = state
            .transitions()
            .into_iter()
            .find(|t| !states.contains_key(*t))
        {
            return Err(DefinitionError {
                state: Some(full),
                message: format!("transition to `{target}`, which is not a state here"),
            });
        }
    }
    let lowered = states
        .iter()
        .map(|(name, state)| lower_state(name, &format!("{prefix}{name}"), state, language))
        .collect::<Result<_, _>>()?;
    Ok(StateMachine {
        start_at: graph.start_at().to_owned(),
        states: lowered,
    })
}

fn lower_state(
    name: &str,
    full: &str,
    document: &sagac_asl::State,
    outer: QueryLanguage,
) -> Result<State, DefinitionError> {
    use sagac_asl::State as S;
    let mut cx = Scope::new(Some(full.to_owned()), outer);
    let language = query_language(&cx, document.query_language(), outer)?;
    cx.lang = language;
    let (jsonpath, jsonata) = language_fields(document);
    check_language_fields(&cx, &jsonpath, &jsonata, document.assign().is_some())?;
    let jsonata_io = JsonataIo {
        arguments: cx.jsonata("Arguments", document.arguments())?,
        output: cx.jsonata("Output", document.output())?,
        assign: cx.assign(document.assign())?,
    };
    let io = cx.io(document.input_path(), document.output_path())?;
    let kind = match document {
        S::Task(task) => {
            let timeout = cx.seconds(
                "TimeoutSeconds",
                task.timeout_seconds.as_ref(),
                task.timeout_seconds_path.as_deref(),
            )?;
            let heartbeat = cx.seconds(
                "HeartbeatSeconds",
                task.heartbeat_seconds.as_ref(),
                task.heartbeat_seconds_path.as_deref(),
            )?;
            if let (Some(Seconds::Fixed(t)), Some(Seconds::Fixed(h))) = (&timeout, &heartbeat)
                && h >= t
            {
                return Err(cx.error(&format!(
                    "`HeartbeatSeconds` ({h}) must be smaller than `TimeoutSeconds` ({t})"
                )));
            }
            StateKind::Task(Task {
                resource: task.resource.clone(),
                io,
                parameters: cx.template("Parameters", task.parameters.as_ref())?,
                result_selector: cx.template("ResultSelector", task.result_selector.as_ref())?,
                result_path: cx.result_path(task.result_path.as_ref())?,
                retry: retriers(&cx, &task.retry)?,
                catch: catchers(&cx, &task.catch)?,
                timeout,
                heartbeat,
                credentials: task.credentials.clone(),
                transition: transition(&cx, document)?,
            })
        }
        S::Pass(pass) => StateKind::Pass(Pass {
            io,
            parameters: cx.template("Parameters", pass.parameters.as_ref())?,
            result: pass.result.clone(),
            result_path: cx.result_path(pass.result_path.as_ref())?,
            transition: transition(&cx, document)?,
        }),
        S::Choice(c) => StateKind::Choice(choice(&cx, io, c)?),
        S::Wait(w) => StateKind::Wait(Wait {
            io,
            until: wait_for(&cx, w)?,
            transition: transition(&cx, document)?,
        }),
        S::Succeed(_) => StateKind::Succeed(Succeed { io }),
        S::Fail(fail) => StateKind::Fail(Fail {
            error: fail_field(
                &cx,
                "Error",
                fail.error.as_deref(),
                fail.error_path.as_deref(),
            )?,
            cause: fail_field(
                &cx,
                "Cause",
                fail.cause.as_deref(),
                fail.cause_path.as_deref(),
            )?,
        }),
        S::Parallel(parallel) => {
            if parallel.branches.is_empty() {
                return Err(cx.error("`Branches` must be a non-empty array"));
            }
            let mut branches = Vec::with_capacity(parallel.branches.len());
            for (i, branch) in parallel.branches.iter().enumerate() {
                let graph = Scope::new(Some(format!("{full} (branch {i})")), language);
                branches.push(lower_machine(
                    branch,
                    &graph,
                    &format!("{full}/"),
                    language,
                )?);
            }
            StateKind::Parallel(Parallel {
                io,
                branches,
                parameters: cx.template("Parameters", parallel.parameters.as_ref())?,
                result_selector: cx
                    .template("ResultSelector", parallel.result_selector.as_ref())?,
                result_path: cx.result_path(parallel.result_path.as_ref())?,
                retry: retriers(&cx, &parallel.retry)?,
                catch: catchers(&cx, &parallel.catch)?,
                transition: transition(&cx, document)?,
            })
        }
        S::Map(m) => StateKind::Map(map(&cx, io, full, m, document)?),
    };
    Ok(State {
        name: name.to_owned(),
        query_language: language,
        jsonata: jsonata_io,
        kind,
    })
}

/// `Next` or `End`, from the document's state.
fn transition(cx: &Scope, document: &sagac_asl::State) -> Result<Transition, DefinitionError> {
    match (document.next(), document.is_end()) {
        (Some(_), true) => Err(cx.error("a state cannot have both `Next` and `End: true`")),
        (Some(next), false) => Ok(Transition::Next(next.to_owned())),
        (None, true) => Ok(Transition::End),
        (None, false) => Err(cx.error("the state needs `Next` or `End: true`")),
    }
}

fn check_all_last(cx: &Scope, lists: &[&Vec<String>], what: &str) -> Result<(), DefinitionError> {
    if lists
        .iter()
        .rev()
        .skip(1)
        .any(|l| l.iter().any(|n| n == "States.ALL"))
    {
        return Err(cx.error(&format!("`States.ALL` must be in the last {what}")));
    }
    Ok(())
}

/// `ErrorEquals` as the document holds it, checked: not empty, and
/// `States.ALL` alone.
fn checked_error_equals(cx: &Scope, names: &[String]) -> Result<Vec<String>, DefinitionError> {
    if names.is_empty() {
        return Err(cx.error("`ErrorEquals` must be a non-empty array of strings"));
    }
    if names.len() > 1 && names.iter().any(|n| n == "States.ALL") {
        return Err(cx.error("`States.ALL` must appear alone in `ErrorEquals`"));
    }
    Ok(names.to_vec())
}

/// `Retry`, lowered from the document's retriers: defaults applied, ranges
/// checked.
fn retriers(cx: &Scope, document: &[sagac_asl::Retrier]) -> Result<Vec<Retrier>, DefinitionError> {
    let mut out = Vec::with_capacity(document.len());
    for (i, r) in document.iter().enumerate() {
        let at = cx.within(&format!("Retry[{i}]"));
        let range = |key: &str, v: Option<u64>, min: u64, max: u64| match v {
            Some(n) if !(min..=max).contains(&n) => {
                Err(at.range_error(key, min, max, &Value::from(n)))
            }
            v => Ok(v),
        };
        out.push(Retrier {
            error_equals: checked_error_equals(&at, &r.error_equals)?,
            interval_seconds: range("IntervalSeconds", r.interval_seconds, 1, 99_999_999)?
                .unwrap_or(1),
            max_attempts: range("MaxAttempts", r.max_attempts, 0, 99_999_999)?.unwrap_or(3),
            backoff_rate: match r.backoff_rate {
                None => 2.0,
                Some(b) if b >= 1.0 => b,
                Some(_) => return Err(at.error("`BackoffRate` must be a number >= 1.0")),
            },
            max_delay_seconds: range("MaxDelaySeconds", r.max_delay_seconds, 1, 31_622_400)?,
            jitter: match r.jitter_strategy.as_deref() {
                None | Some("NONE") => Jitter::None,
                Some("FULL") => Jitter::Full,
                Some(other) => {
                    return Err(at.error(&format!(
                        "`JitterStrategy` must be FULL or NONE, got `{other}`"
                    )));
                }
            },
        });
    }
    check_all_last(
        cx,
        &out.iter().map(|r| &r.error_equals).collect::<Vec<_>>(),
        "retrier",
    )?;
    Ok(out)
}

/// `Catch`, lowered from the document's catchers; the fields that depend
/// on the state's query language (`ResultPath`; `Output`, `Assign`) are
/// checked and parsed for it.
fn catchers(cx: &Scope, document: &[sagac_asl::Catcher]) -> Result<Vec<Catcher>, DefinitionError> {
    let mut out = Vec::with_capacity(document.len());
    for (i, c) in document.iter().enumerate() {
        let at = cx.within(&format!("Catch[{i}]"));
        check_language_fields(
            &at,
            &[("ResultPath", c.result_path.is_some())],
            &[("Output", c.output.is_some())],
            c.assign.is_some(),
        )?;
        out.push(Catcher {
            error_equals: checked_error_equals(&at, &c.error_equals)?,
            result_path: at.result_path(c.result_path.as_ref())?,
            output: at.jsonata("Output", c.output.as_ref())?,
            assign: at.assign(c.assign.as_ref())?,
            next: c.next.clone(),
        });
    }
    check_all_last(
        cx,
        &out.iter().map(|c| &c.error_equals).collect::<Vec<_>>(),
        "catcher",
    )?;
    Ok(out)
}

fn choice(cx: &Scope, io: Io, document: &sagac_asl::Choice) -> Result<Choice, DefinitionError> {
    if document.choices.is_empty() {
        return Err(cx.error("`Choices` must be a non-empty array"));
    }
    let mut choices = Vec::with_capacity(document.choices.len());
    for (i, rule) in document.choices.iter().enumerate() {
        let what = format!("Choices[{i}]");
        let fields = rule_fields(cx, rule, &what)?;
        let at = cx.within(&what);
        if cx.lang == QueryLanguage::JsonPath {
            check_language_fields(
                &at,
                &[],
                &[("Output", fields.output.is_some())],
                fields.assign.is_some(),
            )?;
        }
        choices.push(ChoiceBranch {
            rule: choice_rule(cx, &fields, &what, true)?,
            next: rule.next.clone(),
            output: at.jsonata("Output", fields.output.as_ref())?,
            assign: at.assign(fields.assign.as_ref())?,
        });
    }
    Ok(Choice {
        io,
        choices,
        default: document.default.clone(),
    })
}

/// A top-level rule's fields, typed; an error is named by its path in the
/// state (`Choices[0].And[1].Variable`).
fn rule_fields(
    cx: &Scope,
    rule: &sagac_asl::ChoiceRule,
    what: &str,
) -> Result<sagac_asl::RuleFields, DefinitionError> {
    let fields = serde::de::value::MapDeserializer::<_, serde_json::Error>::new(
        rule.condition.iter().map(|(k, v)| (k.as_str(), v)),
    );
    serde_path_to_error::deserialize(fields).map_err(|error| {
        let path: Vec<Segment> = error.path().iter().map(Segment::of).collect();
        let within = path_text(&path);
        let at = if within.is_empty() {
            what.to_owned()
        } else {
            format!("{what}.{within}")
        };
        let message = error.into_inner().to_string();
        // serde lists the fifty-odd fields a rule may have: the path and
        // the field name say what is wrong.
        let message = match message.split_once(", expected one of") {
            Some((unknown, _)) if unknown.starts_with("unknown field") => {
                format!("{unknown}: neither a choice rule field nor a comparison operator")
            }
            _ => message,
        };
        cx.error(&format!("`{at}`: {message}"))
    })
}

fn choice_rule(
    cx: &Scope,
    fields: &sagac_asl::RuleFields,
    what: &str,
    top: bool,
) -> Result<ChoiceRule, DefinitionError> {
    let err = |m: &str| cx.error(&format!("{what}: {m}"));
    let comparisons = fields.comparisons();
    if cx.lang == QueryLanguage::Jsonata {
        let jsonpath = [
            ("Variable", fields.variable.is_some()),
            ("And", fields.and.is_some()),
            ("Or", fields.or.is_some()),
            ("Not", fields.not.is_some()),
        ];
        let operator = comparisons
            .first()
            .map(|(operator, operand)| match operand {
                sagac_asl::Operand::Literal(_) => operator.name().to_owned(),
                sagac_asl::Operand::Path(_) => format!("{}Path", operator.name()),
            });
        let refused = jsonpath
            .iter()
            .find(|(_, present)| *present)
            .map(|(key, _)| (*key).to_owned())
            .or(operator);
        if let Some(key) = refused {
            return Err(err(&format!(
                "`{key}` is not supported in a JSONata choice rule (`Condition`, `Next`, `Assign`, `Output` and `Comment` are)"
            )));
        }
        let condition = fields
            .condition
            .as_ref()
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
    if fields.condition.is_some() {
        return Err(err(
            "`Condition` is a JSONata field; this state's QueryLanguage is JSONPath",
        ));
    }
    if !top && fields.next.is_some() {
        return Err(err("a nested choice rule cannot have `Next`"));
    }
    if !top && (fields.output.is_some() || fields.assign.is_some()) {
        return Err(err("a nested choice rule cannot have `Output` or `Assign`"));
    }
    let nested =
        |key: &str, rules: &[sagac_asl::RuleFields]| -> Result<Vec<ChoiceRule>, DefinitionError> {
            if rules.is_empty() {
                return Err(err(&format!("`{key}` must be a non-empty array")));
            }
            rules
                .iter()
                .enumerate()
                .map(|(i, r)| choice_rule(cx, r, &format!("{what}.{key}[{i}]"), false))
                .collect()
        };
    let combinators = [
        fields.and.is_some(),
        fields.or.is_some(),
        fields.not.is_some(),
    ]
    .into_iter()
    .filter(|c| *c)
    .count();
    let Some(variable) = &fields.variable else {
        if combinators == 1 && comparisons.is_empty() {
            if let Some(rules) = &fields.and {
                return Ok(ChoiceRule::And(nested("And", rules)?));
            }
            if let Some(rules) = &fields.or {
                return Ok(ChoiceRule::Or(nested("Or", rules)?));
            }
            if let Some(rule) = &fields.not {
                let inner = choice_rule(cx, rule, &format!("{what}.Not"), false)?;
                return Ok(ChoiceRule::Not(Box::new(inner)));
            }
        }
        return Err(err(
            "a choice rule needs `Variable` and one comparison operator, or `And`, `Or` or `Not`",
        ));
    };
    let variable = Path::parse(variable).map_err(|e| err(&format!("`Variable`: {e}")))?;
    let ([(operator, operand)], 0) = (comparisons.as_slice(), combinators) else {
        return Err(err(&format!(
            "a choice rule needs exactly one comparison operator, got {}",
            comparisons.len() + combinators
        )));
    };
    let operator = *operator;
    let operand = match *operand {
        sagac_asl::Operand::Path(raw) => {
            let key = format!("{}Path", operator.name());
            let text = raw
                .as_str()
                .ok_or_else(|| err(&format!("`{key}` must be a path string")))?;
            Operand::Path(Path::parse_reference(text).map_err(|e| err(&format!("`{key}`: {e}")))?)
        }
        sagac_asl::Operand::Literal(raw) => {
            if !literal_fits(operator, raw) {
                return Err(err(&format!(
                    "`{}` has a value of the wrong type: {raw}",
                    operator.name()
                )));
            }
            Operand::Value(raw.clone())
        }
    };
    Ok(ChoiceRule::Test {
        variable,
        operator,
        operand,
    })
}

/// Whether a comparison's literal has the operator's type.
fn literal_fits(operator: sagac_asl::Comparison, raw: &Value) -> bool {
    use sagac_asl::Comparison as O;
    match operator {
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
    }
}

/// What a Wait state waits for: exactly one of `Seconds`, `Timestamp`,
/// `SecondsPath`, `TimestampPath` (in a JSONata state, `Seconds` and
/// `Timestamp` may be expressions).
fn wait_for(cx: &Scope, wait: &sagac_asl::Wait) -> Result<WaitFor, DefinitionError> {
    use sagac_asl::Count;
    let expression =
        |text: &str| cx.lang == QueryLanguage::Jsonata && jsonata::template_text(text).is_some();
    let mut found = Vec::new();
    match &wait.seconds {
        Some(Count::Expression(text)) if expression(text) => {
            let template = cx.jsonata("Seconds", Some(&Value::from(text.as_str())))?;
            found.extend(template.map(WaitFor::SecondsExpr));
        }
        seconds => found.extend(
            cx.count("Seconds", seconds.as_ref(), 0, 99_999_999)?
                .map(WaitFor::Seconds),
        ),
    }
    match &wait.timestamp {
        Some(text) if expression(text) => {
            let template = cx.jsonata("Timestamp", Some(&Value::from(text.as_str())))?;
            found.extend(template.map(WaitFor::TimestampExpr));
        }
        Some(text) => {
            let instant = Instant::parse_rfc3339(text).ok_or_else(|| {
                cx.error(&format!(
                    "`Timestamp` `{text}` is not an RFC 3339 timestamp"
                ))
            })?;
            found.push(WaitFor::Timestamp(instant));
        }
        None => {}
    }
    found.extend(
        cx.reference_path("SecondsPath", wait.seconds_path.as_deref())?
            .map(WaitFor::SecondsPath),
    );
    found.extend(
        cx.reference_path("TimestampPath", wait.timestamp_path.as_deref())?
            .map(WaitFor::TimestampPath),
    );
    if found.len() != 1 {
        return Err(cx.error("a Wait state needs exactly one of `Seconds`, `Timestamp`, `SecondsPath`, `TimestampPath`"));
    }
    Ok(found.remove(0))
}

/// A Fail state's `Error`/`ErrorPath` or `Cause`/`CausePath`.
fn fail_field(
    cx: &Scope,
    key: &str,
    literal: Option<&str>,
    dynamic: Option<&str>,
) -> Result<Option<FailField>, DefinitionError> {
    if cx.lang == QueryLanguage::Jsonata {
        let template = cx.jsonata(key, literal.map(Value::from).as_ref())?;
        return Ok(template.map(FailField::Jsonata));
    }
    let path_key = format!("{key}Path");
    match (literal, dynamic) {
        (Some(_), Some(_)) => {
            Err(cx.error(&format!("`{key}` and `{path_key}` cannot both be given")))
        }
        (Some(text), None) => Ok(Some(FailField::Literal(text.to_owned()))),
        (None, Some(text)) if intrinsic::looks_like_call(text) => intrinsic::parse(text)
            .map(|e| Some(FailField::Intrinsic(e)))
            .map_err(|e| cx.error(&format!("`{path_key}`: {e}"))),
        (None, Some(text)) => Path::parse_reference(text)
            .map(|p| Some(FailField::Path(p)))
            .map_err(|e| cx.error(&format!("`{path_key}`: {e}"))),
        (None, None) => Ok(None),
    }
}

fn map(
    cx: &Scope,
    io: Io,
    full: &str,
    m: &sagac_asl::Map,
    document: &sagac_asl::State,
) -> Result<Map, DefinitionError> {
    let distributed = [
        ("ItemReader", m.item_reader.is_some()),
        ("ResultWriter", m.result_writer.is_some()),
        ("ItemBatcher", m.item_batcher.is_some()),
        ("Label", m.label.is_some()),
    ];
    if let Some((key, _)) = distributed.iter().find(|(_, present)| *present) {
        return Err(cx.error(&format!(
            "`{key}` (a distributed Map) is not supported by this executor (inline Map only)"
        )));
    }
    let dynamic = [
        (
            "ToleratedFailurePercentagePath",
            m.tolerated_failure_percentage_path.is_some(),
        ),
        (
            "ToleratedFailureCountPath",
            m.tolerated_failure_count_path.is_some(),
        ),
    ];
    if let Some((key, _)) = dynamic.iter().find(|(_, present)| *present) {
        return Err(cx.error(&format!("`{key}` is not supported by this executor")));
    }
    let processor = match (&m.item_processor, &m.iterator) {
        (Some(_), Some(_)) => {
            return Err(cx.error("`ItemProcessor` and `Iterator` cannot both be given"));
        }
        (Some(p), None) | (None, Some(p)) => p,
        (None, None) => return Err(cx.error("missing field `ItemProcessor`")),
    };
    let graph = Scope::new(Some(format!("{full} (ItemProcessor)")), cx.lang);
    if let Some(config) = &processor.processor_config {
        let mode = config.mode.as_deref().unwrap_or("INLINE");
        if mode != "INLINE" {
            return Err(graph.error(&format!(
                "ProcessorConfig Mode `{mode}` is not supported by this executor (INLINE only)"
            )));
        }
    }
    let processor = lower_machine(processor, &graph, &format!("{full}/"), cx.lang)?;
    let jsonata_map = cx.lang == QueryLanguage::Jsonata;
    let (items, jsonata_item_selector, item_selector) = if jsonata_map {
        (
            cx.jsonata("Items", m.items.as_ref())?,
            cx.jsonata("ItemSelector", m.item_selector.as_ref())?,
            None,
        )
    } else {
        let item_selector = match (
            cx.template("ItemSelector", m.item_selector.as_ref())?,
            cx.template("Parameters", m.parameters.as_ref())?,
        ) {
            (Some(_), Some(_)) => {
                return Err(cx.error("`ItemSelector` and `Parameters` cannot both be given"));
            }
            (a, b) => a.or(b),
        };
        (None, None, item_selector)
    };
    let tolerated_failure_percentage = match &m.tolerated_failure_percentage {
        None => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| {
                    cx.error("`ToleratedFailurePercentage` must be a number from 0 to 100")
                })?,
        ),
    };
    let tolerated_failure_count = match &m.tolerated_failure_count {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n <= 99_999_999)
                .ok_or_else(|| cx.range_error("ToleratedFailureCount", 0, 99_999_999, v))?,
        ),
    };
    Ok(Map {
        io,
        processor,
        items_path: cx
            .nullable_path("ItemsPath", m.items_path.as_ref())?
            .unwrap_or_else(root_path),
        item_selector,
        items,
        jsonata_item_selector,
        max_concurrency: cx.count("MaxConcurrency", m.max_concurrency.as_ref(), 0, 99_999_999)?,
        max_concurrency_path: cx
            .reference_path("MaxConcurrencyPath", m.max_concurrency_path.as_deref())?,
        tolerated_failure_percentage,
        tolerated_failure_count,
        result_selector: cx.template("ResultSelector", m.result_selector.as_ref())?,
        result_path: cx.result_path(m.result_path.as_ref())?,
        retry: retriers(cx, &m.retry)?,
        catch: catchers(cx, &m.catch)?,
        transition: transition(cx, document)?,
    })
}
