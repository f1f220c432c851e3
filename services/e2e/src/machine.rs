//! The generated state machine, run against the real services: a small
//! interpreter of the subset of Amazon States Language that
//! `generated/trip-booking/statemachine.asl.json` uses.
//!
//! Nothing about the saga is written here: the order of the steps, which
//! error goes to which compensation, the retry counts and the root writes
//! all come from the definition `sagac build` generated from
//! `spec/trip.saga.yaml`. What is interpreted:
//!
//! - `Task` on `arn:aws:states:::lambda:invoke`: the service is the one
//!   whose alias `FunctionName` names (`${FlightFunctionAlias}` → `flight`),
//!   invoked through [`Lambdas`] with `Payload.$` evaluated
//!   (`States.JsonMerge($$, $, false)`: the context object merged with the
//!   state data); then `ResultSelector`, `ResultPath`, `Retry`
//!   (`ErrorEquals`, `MaxAttempts`; `State.RetryCount` counts, no waiting)
//!   and `Catch` (`ErrorEquals`, `ResultPath`, `Next`);
//! - `Task` on `arn:aws:states:::aws-sdk:dynamodb:transactWriteItems` (the
//!   root writes): `Parameters` evaluated (paths, `States.Format`,
//!   `States.Hash`) and sent as they are to DynamoDB's
//!   `TransactWriteItems` on the test server, errors named
//!   `DynamoDb.<Exception>` as Step Functions names them;
//! - the root writes are JSONata states (`QueryLanguage: JSONata`, to
//!   compute the outbox TTL): `Arguments`, `Output` and a catcher's `Output`
//!   are evaluated by a reader of the JSONata sagac emits there (see
//!   [`jsonata`]): `$states.input` / `.context` / `.errorOutput` paths,
//!   string and number literals, `&`, `+`, `*`, `/`, arrays, objects,
//!   and `$string`, `$floor`, `$toMillis`, `$hash`, `$merge`;
//! - `Choice` with `IsPresent` and `StringEquals` rules, `Succeed`, `Fail`.
//!
//! Anything else is refused with a panic naming it, so a change of the
//! emitter that this interpreter does not follow fails loudly.

use std::future::Future;
use std::path::PathBuf;

use serde_json::{Map, Value, json};
use trip_testkit::{Execution, dynamodb_call, json_merge};

mod jsonata;

/// A service of the saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// `flight`.
    Flight,
    /// `hotel`.
    Hotel,
    /// `payment`.
    Payment,
}

impl Service {
    /// The three services.
    pub const ALL: [Service; 3] = [Service::Flight, Service::Hotel, Service::Payment];

    /// The service's name in the spec, and its binary's.
    pub fn name(self) -> &'static str {
        match self {
            Service::Flight => "flight",
            Service::Hotel => "hotel",
            Service::Payment => "payment",
        }
    }

    /// The service whose name is `name`.
    pub fn named(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A failed invocation, as Step Functions sees it: the Lambda error's
/// `errorType` and `errorMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The ASL error name.
    pub error: String,
    /// The cause.
    pub cause: String,
}

/// Whatever runs the services' Lambdas: in process through the runtime's
/// `invoke_step`, or the real binaries behind a fake Runtime API.
pub trait Lambdas {
    /// Invokes `service` with `payload`.
    fn invoke(
        &self,
        service: Service,
        payload: Value,
    ) -> impl Future<Output = Result<Value, Failure>>;
}

/// A forward step of the saga and its compensation, as the spec declares
/// them (for tests that call one step directly; a run follows the
/// definition).
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// The step's state name.
    pub state: &'static str,
    /// Its compensation's state name.
    pub compensation: &'static str,
    /// The service both call.
    pub service: Service,
}

/// The steps of `spec/trip.saga.yaml`, in order.
pub const STEPS: [Step; 3] = [
    Step {
        state: "ReserveFlight",
        compensation: "CancelFlight",
        service: Service::Flight,
    },
    Step {
        state: "ReserveHotel",
        compensation: "CancelHotel",
        service: Service::Hotel,
    },
    Step {
        state: "ProcessPayment",
        compensation: "RefundPayment",
        service: Service::Payment,
    },
];

/// A fault to inject into a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The state's first invocation completes (and commits), but its
    /// response is lost: the machine sees `States.Timeout`, an ambiguous
    /// failure.
    LoseResponse(&'static str),
    /// Every invocation of the state fails with `TransientError` without
    /// reaching the service, as during a long outage of its table.
    Unavailable(&'static str),
}

/// A state machine definition.
#[derive(Debug, Clone)]
pub struct Definition {
    start: String,
    states: Map<String, Value>,
}

impl Definition {
    /// The definition generated from the reference spec,
    /// `generated/trip-booking/statemachine.asl.json`.
    pub fn trip_booking() -> Definition {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../generated/trip-booking/statemachine.asl.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        Definition::parse(&text)
    }

    /// A definition from its JSON text.
    pub fn parse(text: &str) -> Definition {
        let asl: Value = serde_json::from_str(text).expect("a JSON definition");
        Definition {
            start: asl["StartAt"].as_str().expect("StartAt").to_owned(),
            states: asl["States"].as_object().expect("States").clone(),
        }
    }

    /// The Lambda task states and the service each invokes, in definition
    /// order.
    pub fn lambda_states(&self) -> Vec<(String, Service)> {
        self.states
            .iter()
            .filter_map(|(name, state)| Some((name.clone(), lambda_service(state)?)))
            .collect()
    }

    fn state(&self, name: &str) -> &Value {
        self.states
            .get(name)
            .unwrap_or_else(|| panic!("the definition has no state `{name}`"))
    }
}

/// The service a state invokes, if it is a Lambda task.
fn lambda_service(state: &Value) -> Option<Service> {
    if state["Resource"] != LAMBDA_INVOKE {
        return None;
    }
    let function = state["Parameters"]["FunctionName"].as_str()?;
    let pascal = function
        .strip_prefix("${")?
        .strip_suffix("FunctionAlias}")?;
    Service::named(&pascal.to_ascii_lowercase())
}

const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// Whether a state is written in JSONata (the machine's default is JSONPath).
fn is_jsonata(state: &Value) -> bool {
    state["QueryLanguage"] == "JSONata"
}
const TRANSACT_WRITE: &str = "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems";

/// One state the run went through.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The state's name.
    pub state: String,
    /// The attempt (`State.RetryCount`).
    pub attempt: u32,
    /// Its outcome: the task's result, or its error.
    pub outcome: Result<Value, Failure>,
}

/// How a run ended, and what it did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The state the run ended in (`RecordSucceeded`, `Succeeded`,
    /// `RolledBack`, `CompensationFailed`).
    pub end: String,
    /// Whether it ended in a `Fail` state.
    pub failed: bool,
    /// Every task attempt, in order.
    pub history: Vec<Visit>,
    /// The final state data (`request`, `results`, `error`, …).
    pub data: Value,
}

impl Run {
    /// The task states run, in order, once per state (retries collapsed).
    pub fn states(&self) -> Vec<&str> {
        let mut states: Vec<&str> = Vec::new();
        for visit in &self.history {
            if states.last() != Some(&visit.state.as_str()) {
                states.push(&visit.state);
            }
        }
        states
    }

    /// The Lambda states run, in order (the root writes left out).
    pub fn lambda_states(&self) -> Vec<&str> {
        self.states()
            .into_iter()
            .filter(|s| !s.starts_with("Record"))
            .collect()
    }
}

/// Runs the definition for the start request `request` (execution input
/// `{"request": …}`, execution name = its `trip_id`) on `table`.
pub async fn run(
    definition: &Definition,
    lambdas: &impl Lambdas,
    table: &str,
    request: Value,
    fault: Option<Fault>,
) -> Run {
    let execution = Execution::new(request.clone());
    let mut data = json!({ "request": request });
    let mut history = Vec::new();
    let mut name = definition.start.clone();
    for _ in 0..1000 {
        let state = definition.state(&name);
        match state["Type"].as_str() {
            Some("Task") => {
                let (outcome, attempt) = task(
                    state,
                    &name,
                    &execution,
                    &data,
                    lambdas,
                    table,
                    fault,
                    &mut history,
                )
                .await;
                let next = match outcome {
                    Ok(result) if is_jsonata(state) => {
                        // A JSONata state's output is its `Output`, by
                        // default the task's result.
                        let states = json!({"input": data, "result": result});
                        data = jsonata::template(&state["Output"], &states)
                            .unwrap_or_else(|| states["result"].clone());
                        match state["Next"].as_str() {
                            Some(next) => next.to_owned(),
                            None => return end(name, false, history, data),
                        }
                    }
                    Ok(result) => {
                        data = apply_result(state, data, result);
                        match state["Next"].as_str() {
                            Some(next) => next.to_owned(),
                            None => return end(name, false, history, data),
                        }
                    }
                    Err(failure) => {
                        let Some(catcher) = matching(&state["Catch"], &failure.error) else {
                            panic!(
                                "{name} failed with {failure:?} after {attempt} retries and nothing catches it"
                            );
                        };
                        let error = json!({"Error": failure.error, "Cause": failure.cause});
                        data = if is_jsonata(state) {
                            // A JSONata catcher's output is its `Output`, by
                            // default the error output.
                            let states = json!({"input": data, "errorOutput": error});
                            jsonata::template(&catcher["Output"], &states)
                                .unwrap_or_else(|| states["errorOutput"].clone())
                        } else {
                            set_path(data, &catcher["ResultPath"], error)
                        };
                        catcher["Next"].as_str().expect("Catch.Next").to_owned()
                    }
                };
                name = next;
            }
            Some("Choice") => {
                let chosen = state["Choices"]
                    .as_array()
                    .expect("Choices")
                    .iter()
                    .find(|rule| choice_holds(rule, &data))
                    .map(|rule| &rule["Next"])
                    .unwrap_or(&state["Default"]);
                name = chosen.as_str().expect("a Choice target").to_owned();
            }
            Some("Succeed") => return end(name, false, history, data),
            Some("Fail") => return end(name, true, history, data),
            other => panic!("state {name}: type {other:?} is not interpreted"),
        }
    }
    panic!("the run did not end within 1000 transitions");
}

fn end(name: String, failed: bool, history: Vec<Visit>, data: Value) -> Run {
    Run {
        end: name,
        failed,
        history,
        data,
    }
}

/// Runs a task state with its retriers; returns its outcome and the
/// number of retries.
#[allow(clippy::too_many_arguments)]
async fn task(
    state: &Value,
    name: &str,
    execution: &Execution,
    data: &Value,
    lambdas: &impl Lambdas,
    table: &str,
    fault: Option<Fault>,
    history: &mut Vec<Visit>,
) -> (Result<Value, Failure>, u32) {
    let mut attempt = 0u32;
    let mut used: Vec<u32> = vec![0; state["Retry"].as_array().map_or(0, Vec::len)];
    loop {
        let context = execution.context(name, attempt);
        let parameters = if is_jsonata(state) {
            let states = json!({"input": data, "context": context});
            jsonata::arguments(&state["Arguments"], &states)
        } else {
            evaluate(&state["Parameters"], data, &context)
        };
        let unavailable = matches!(fault, Some(Fault::Unavailable(down)) if down == name);
        let mut outcome = match state["Resource"].as_str() {
            Some(LAMBDA_INVOKE) if unavailable => Err(Failure {
                error: "TransientError".into(),
                cause: format!("{name}: the store is unavailable"),
            }),
            Some(LAMBDA_INVOKE) => {
                let service = lambda_service(state)
                    .unwrap_or_else(|| panic!("{name}: no service behind its FunctionName"));
                lambdas
                    .invoke(service, parameters["Payload"].clone())
                    .await
                    .map(|payload| json!({"Payload": payload, "StatusCode": 200}))
            }
            Some(TRANSACT_WRITE) => transact_write(parameters, table).await,
            other => panic!("{name}: resource {other:?} is not interpreted"),
        };
        if matches!(fault, Some(Fault::LoseResponse(lost)) if lost == name) && attempt == 0 {
            outcome = Err(Failure {
                error: "States.Timeout".into(),
                cause: format!("{name} did not answer within its timeout"),
            });
        }
        history.push(Visit {
            state: name.to_owned(),
            attempt,
            outcome: outcome.clone(),
        });
        let Err(failure) = &outcome else {
            return (outcome, attempt);
        };
        let retrier = state["Retry"].as_array().and_then(|retriers| {
            retriers.iter().position(|r| {
                r["ErrorEquals"].as_array().is_some_and(|errors| {
                    errors
                        .iter()
                        .any(|e| e == failure.error.as_str() || e == "States.ALL")
                })
            })
        });
        match retrier {
            Some(i) if used[i] < state["Retry"][i]["MaxAttempts"].as_u64().unwrap_or(3) as u32 => {
                used[i] += 1;
                attempt += 1;
            }
            _ => return (outcome, attempt),
        }
    }
}

/// `TransactWriteItems` with the evaluated parameters, as the SDK
/// integration sends them.
async fn transact_write(mut parameters: Value, table: &str) -> Result<Value, Failure> {
    let text = parameters.to_string().replace("${TableName}", table);
    parameters = serde_json::from_str(&text).unwrap_or(parameters);
    dynamodb_call("TransactWriteItems", &parameters)
        .await
        .map_err(|e| Failure {
            error: format!("DynamoDb.{}", e.code),
            cause: e.message,
        })
}

/// The first catcher or choice whose `ErrorEquals` matches `error`.
fn matching<'a>(catchers: &'a Value, error: &str) -> Option<&'a Value> {
    catchers.as_array()?.iter().find(|c| {
        c["ErrorEquals"]
            .as_array()
            .is_some_and(|errors| errors.iter().any(|e| e == error || e == "States.ALL"))
    })
}

fn choice_holds(rule: &Value, data: &Value) -> bool {
    let variable = rule["Variable"].as_str().expect("Choice rule Variable");
    let value = get_path(data, variable);
    if let Some(present) = rule.get("IsPresent").and_then(Value::as_bool) {
        return value.is_some() == present;
    }
    if let Some(expected) = rule.get("StringEquals") {
        return value == Some(expected);
    }
    panic!("choice rule {rule} is not interpreted");
}

/// `ResultSelector` then `ResultPath`.
fn apply_result(state: &Value, data: Value, result: Value) -> Value {
    let selected = match state.get("ResultSelector") {
        Some(selector) => evaluate(selector, &result, &Value::Null),
        None => result,
    };
    set_path(data, &state["ResultPath"], selected)
}

/// Writes `value` at `path` (`$.a.b`) of `data`; `null` discards it, `$`
/// replaces the data.
fn set_path(mut data: Value, path: &Value, value: Value) -> Value {
    let Some(path) = path.as_str() else {
        return data;
    };
    if path == "$" {
        return value;
    }
    let fields: Vec<&str> = path
        .strip_prefix("$.")
        .unwrap_or_else(|| panic!("ResultPath {path} is not interpreted"))
        .split('.')
        .collect();
    let mut here = &mut data;
    for field in &fields[..fields.len() - 1] {
        if !here.get(*field).is_some_and(Value::is_object) {
            here[*field] = json!({});
        }
        here = &mut here[*field];
    }
    here[*fields.last().expect("a field")] = value;
    data
}

/// The value at a reference path (`$`, `$.a.b`) of `data`.
fn get_path<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    if path == "$" {
        return Some(data);
    }
    let mut here = data;
    for field in path.strip_prefix("$.")?.split('.') {
        here = here.get(field)?;
    }
    Some(here)
}

/// Evaluates a payload template: every key ending in `.$` is replaced by
/// the value of its path or intrinsic function, recursively.
fn evaluate(template: &Value, data: &Value, context: &Value) -> Value {
    match template {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.strip_suffix(".$") {
                    Some(key) => {
                        let expression = value.as_str().expect("a `.$` value is a string");
                        out.insert(key.to_owned(), expression_value(expression, data, context));
                    }
                    None => {
                        out.insert(key.clone(), evaluate(value, data, context));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| evaluate(v, data, context)).collect())
        }
        other => other.clone(),
    }
}

fn expression_value(expression: &str, data: &Value, context: &Value) -> Value {
    let mut parser = Parser {
        text: expression,
        at: 0,
        data,
        context,
    };
    let value = parser.expression();
    assert_eq!(
        parser.at,
        expression.len(),
        "trailing text in `{expression}`"
    );
    value
}

/// A recursive-descent reader of paths and intrinsic functions.
struct Parser<'a> {
    text: &'a str,
    at: usize,
    data: &'a Value,
    context: &'a Value,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        while self.rest().starts_with(' ') {
            self.at += 1;
        }
    }

    fn expression(&mut self) -> Value {
        self.skip_spaces();
        let rest = self.rest();
        if rest.starts_with('\'') {
            return Value::String(self.string());
        }
        if rest.starts_with('$') {
            let end = rest.find([',', ')', ' ']).unwrap_or(rest.len());
            let path = &rest[..end];
            self.at += end;
            let value = match path.strip_prefix("$$") {
                Some(tail) => get_path(self.context, &format!("${tail}")),
                None => get_path(self.data, path),
            };
            return value.cloned().unwrap_or(Value::Null);
        }
        if rest.starts_with("States.") {
            let open = rest.find('(').expect("an intrinsic's `(`");
            let function = rest[..open].to_owned();
            self.at += open + 1;
            let mut args = Vec::new();
            loop {
                self.skip_spaces();
                if self.rest().starts_with(')') {
                    self.at += 1;
                    break;
                }
                args.push(self.expression());
                self.skip_spaces();
                if self.rest().starts_with(',') {
                    self.at += 1;
                }
            }
            return intrinsic(&function, args);
        }
        let end = rest.find([',', ')']).unwrap_or(rest.len());
        let literal = rest[..end].trim();
        self.at += end;
        serde_json::from_str(literal).unwrap_or_else(|_| panic!("`{literal}` is not interpreted"))
    }

    /// A single-quoted string with `\` escapes.
    fn string(&mut self) -> String {
        self.at += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                }
                '\'' => {
                    self.at += i + 1;
                    return out;
                }
                c => out.push(c),
            }
        }
        panic!("unterminated string in `{}`", self.text);
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn intrinsic(function: &str, args: Vec<Value>) -> Value {
    match function {
        "States.Format" => {
            let mut args = args.into_iter();
            let template = text_of(&args.next().expect("a format template"));
            let mut out = String::new();
            let mut pieces = template.split("{}");
            out.push_str(pieces.next().unwrap_or_default());
            for piece in pieces {
                out.push_str(&text_of(&args.next().expect("an argument per {}")));
                out.push_str(piece);
            }
            Value::String(out)
        }
        "States.JsonMerge" => {
            let mut args = args.into_iter();
            let a = args.next().unwrap_or(Value::Null);
            let b = args.next().unwrap_or(Value::Null);
            json_merge(a, b)
        }
        // A request token only has to be stable and at most 36 characters:
        // a 128-bit FNV-1a hash in hex stands in for the MD5.
        "States.Hash" => {
            let input = text_of(args.first().expect("States.Hash input"));
            let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
            for byte in input.bytes() {
                hash ^= u128::from(byte);
                hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
            }
            Value::String(format!("{hash:032x}"))
        }
        other => panic!("intrinsic {other} is not interpreted"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_paths_and_intrinsics() {
        let data = json!({"request": {"trip_id": "t-1", "n": 2}});
        let context = json!({"Execution": {"Name": "t-1"}, "State": {"Name": "S"}});
        assert_eq!(
            expression_value(
                "States.Format('OUTBOX#{}#Trip\\'s', $$.Execution.Name)",
                &data,
                &context
            ),
            json!("OUTBOX#t-1#Trip's")
        );
        assert_eq!(
            expression_value("States.JsonMerge($$, $, false)", &data, &context)["request"]["n"],
            json!(2)
        );
        let token = expression_value(
            "States.Hash(States.Format('{}#{}', $$.Execution.Name, $$.State.Name), 'MD5')",
            &data,
            &context,
        );
        assert_eq!(token.as_str().map(str::len), Some(32));
        let evaluated = evaluate(
            &json!({"Item": {"PK": {"S.$": "States.Format('TRIP#{}', $.request.trip_id)"}, "SK": {"S": "METADATA"}}}),
            &data,
            &context,
        );
        assert_eq!(
            evaluated,
            json!({"Item": {"PK": {"S": "TRIP#t-1"}, "SK": {"S": "METADATA"}}})
        );
    }

    #[test]
    fn result_paths_nest() {
        let data = set_path(
            json!({"request": {}}),
            &json!("$.results.A"),
            json!({"output": 1}),
        );
        assert_eq!(
            data,
            json!({"request": {}, "results": {"A": {"output": 1}}})
        );
        assert_eq!(set_path(data.clone(), &Value::Null, json!(1)), data);
    }

    #[test]
    fn the_generated_definition_calls_the_spec_steps() {
        let definition = Definition::trip_booking();
        let states = definition.lambda_states();
        for step in STEPS {
            for state in [step.state, step.compensation] {
                assert!(
                    states.contains(&(state.to_owned(), step.service)),
                    "{state} on {}: {states:?}",
                    step.service.name()
                );
            }
        }
        assert_eq!(states.len(), 6);
    }
}
