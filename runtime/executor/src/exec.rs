//! The interpreter: runs a [`Definition`] on the virtual clock, writing the
//! history as it goes.

use std::future::Future;
use std::pin::Pin;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::choice;
use crate::clock::{Instant, Rng};
use crate::history::{EventType, HistoryEvent};
use crate::intrinsic::Scope;
use crate::jsonata;
use crate::model::{
    Catcher, ChoiceRule, Definition, FailField, FieldValue, Io, Jitter, QueryLanguage, ResultPath,
    Retrier, Seconds, State, StateKind, StateMachine, Template, Transition, WaitFor,
};
use crate::path::{self, Path};
use crate::target::{Resource, TaskError, TaskRequest, TaskTarget};

/// How an execution is identified and seeded.
#[derive(Debug, Clone)]
pub struct ExecutionOptions {
    /// The execution name (`$$.Execution.Name`).
    pub execution_name: String,
    /// The state machine name (`$$.StateMachine.Name`).
    pub state_machine_name: String,
    /// The region in ARNs.
    pub region: String,
    /// The account in ARNs.
    pub account: String,
    /// `$$.Execution.RoleArn`.
    pub role_arn: String,
    /// When the virtual clock starts.
    pub start_time: Instant,
    /// The seed of retry jitter, `States.MathRandom` and `States.UUID`.
    pub seed: u64,
}

impl Default for ExecutionOptions {
    fn default() -> ExecutionOptions {
        ExecutionOptions {
            execution_name: "local-execution".into(),
            state_machine_name: "StateMachine".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            role_arn: "arn:aws:iam::123456789012:role/sagac-local-execution".into(),
            start_time: Instant::DEFAULT_START,
            seed: 0,
        }
    }
}

impl ExecutionOptions {
    /// `$$.StateMachine.Id`.
    #[must_use]
    pub fn state_machine_arn(&self) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            self.region, self.account, self.state_machine_name
        )
    }

    /// `$$.Execution.Id`.
    #[must_use]
    pub fn execution_arn(&self) -> String {
        format!(
            "arn:aws:states:{}:{}:execution:{}:{}",
            self.region, self.account, self.state_machine_name, self.execution_name
        )
    }
}

/// The final status, as DescribeExecution spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `SUCCEEDED`.
    Succeeded,
    /// `FAILED`.
    Failed,
    /// `TIMED_OUT`.
    TimedOut,
}

impl Status {
    /// `SUCCEEDED`, `FAILED` or `TIMED_OUT`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
        }
    }
}

/// A finished execution: DescribeExecution's fields plus the history.
#[derive(Debug, Clone)]
pub struct Execution {
    /// The execution ARN.
    pub execution_arn: String,
    /// The state machine ARN.
    pub state_machine_arn: String,
    /// The execution name.
    pub name: String,
    /// The final status.
    pub status: Status,
    /// The execution input.
    pub input: Value,
    /// The output, when it succeeded.
    pub output: Option<Value>,
    /// The error, when it failed or timed out.
    pub error: Option<String>,
    /// The cause, when there is one.
    pub cause: Option<String>,
    /// When it started (virtual).
    pub start_date: Instant,
    /// When it stopped (virtual).
    pub stop_date: Instant,
    /// The history, in order.
    pub events: Vec<HistoryEvent>,
}

impl Execution {
    /// The names of the states entered, in history order (inside Parallel
    /// branches and Map iterations too).
    #[must_use]
    pub fn entered_states(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| e.is_state_entered())
            .filter_map(HistoryEvent::state_name)
            .collect()
    }
}

/// DescribeExecution's members (`output` and `input` as JSON strings, as AWS
/// returns them; dates as RFC 3339) plus `events` as GetExecutionHistory's.
impl Serialize for Execution {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("executionArn", &self.execution_arn)?;
        map.serialize_entry("stateMachineArn", &self.state_machine_arn)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("status", self.status.as_str())?;
        map.serialize_entry("startDate", &self.start_date.to_rfc3339())?;
        map.serialize_entry("stopDate", &self.stop_date.to_rfc3339())?;
        map.serialize_entry("input", &self.input.to_string())?;
        if let Some(output) = &self.output {
            map.serialize_entry("output", &output.to_string())?;
        }
        if let Some(error) = &self.error {
            map.serialize_entry("error", error)?;
        }
        if let Some(cause) = &self.cause {
            map.serialize_entry("cause", cause)?;
        }
        map.serialize_entry("events", &self.events)?;
        map.end()
    }
}

/// Runs definitions.
#[derive(Debug, Clone)]
pub struct Executor<'d> {
    definition: &'d Definition,
    options: ExecutionOptions,
}

impl<'d> Executor<'d> {
    /// An executor of `definition`.
    #[must_use]
    pub fn new(definition: &'d Definition, options: ExecutionOptions) -> Executor<'d> {
        Executor {
            definition,
            options,
        }
    }

    /// Runs one execution to its end, polling the targets' futures on this
    /// thread.
    pub fn run_blocking(&self, input: Value, target: &dyn TaskTarget) -> Execution {
        crate::block_on(self.run(input, target))
    }

    /// Runs one execution to its end.
    pub async fn run(&self, input: Value, target: &dyn TaskTarget) -> Execution {
        let o = &self.options;
        let start = o.start_time;
        let mut run = Run {
            target,
            events: Vec::new(),
            rng: Rng::new(o.seed),
            deadline: self
                .definition
                .timeout_seconds
                .map(|s| start.plus_seconds(s as f64)),
            execution: json!({
                "Id": o.execution_arn(),
                "Input": input,
                "Name": o.execution_name,
                "RoleArn": o.role_arn,
                "StartTime": start.to_rfc3339(),
                "RedriveCount": 0,
            }),
            state_machine: json!({"Id": o.state_machine_arn(), "Name": o.state_machine_name}),
            region: o.region.clone(),
            vars: Map::new(),
            assigned: None,
        };
        let mut thread = Thread {
            now: start,
            last: 0,
        };
        run.event(
            &mut thread,
            EventType::ExecutionStarted,
            Some(json!({
                "input": input.to_string(),
                "inputDetails": {"truncated": false},
                "roleArn": o.role_arn,
            })),
        );
        let outcome = run
            .machine(&self.definition.machine, input.clone(), &mut thread)
            .await;
        let (status, output, error, cause) = match outcome {
            Ok(output) => {
                run.event(
                    &mut thread,
                    EventType::ExecutionSucceeded,
                    Some(json!({"output": output.to_string(), "outputDetails": {"truncated": false}})),
                );
                (Status::Succeeded, Some(output), None, None)
            }
            Err(Stop::Failed(e)) => {
                let mut details = Map::new();
                if !e.error.is_empty() {
                    details.insert("error".into(), Value::String(e.error.clone()));
                }
                if let Some(cause) = &e.cause {
                    details.insert("cause".into(), Value::String(cause.clone()));
                }
                run.event(
                    &mut thread,
                    EventType::ExecutionFailed,
                    Some(Value::Object(details)),
                );
                let error = (!e.error.is_empty()).then_some(e.error);
                (Status::Failed, None, error, e.cause)
            }
            Err(Stop::TimedOut) => {
                let cause =
                    "The execution timed out (TimeoutSeconds of the state machine)".to_owned();
                run.event(
                    &mut thread,
                    EventType::ExecutionTimedOut,
                    Some(json!({"error": "States.Timeout", "cause": cause})),
                );
                (
                    Status::TimedOut,
                    None,
                    Some("States.Timeout".to_owned()),
                    Some(cause),
                )
            }
        };
        Execution {
            execution_arn: o.execution_arn(),
            state_machine_arn: o.state_machine_arn(),
            name: o.execution_name.clone(),
            status,
            input,
            output,
            error,
            cause,
            start_date: start,
            stop_date: thread.now,
            events: run.events,
        }
    }
}

/// A failure inside a state: the error name and cause.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    error: String,
    cause: Option<String>,
    /// Raised by the executor itself (a path, a template, a rule), not by a
    /// Task target: its cause gets Step Functions' "An error occurred while
    /// executing the state …" prefix when it leaves the state.
    internal: bool,
}

impl Failure {
    fn new(error: &str, cause: impl Into<String>) -> Failure {
        Failure {
            error: error.to_owned(),
            cause: Some(cause.into()),
            internal: true,
        }
    }

    /// Names the state and its entry event in an executor-raised cause, as
    /// Step Functions words it.
    fn located(mut self, state: &str, entered_event: u64) -> Failure {
        if self.internal {
            self.internal = false;
            self.cause = Some(format!(
                "An error occurred while executing the state '{state}' (entered at the event id #{entered_event}). {}",
                self.cause.unwrap_or_default()
            ));
        }
        self
    }

    fn runtime(cause: impl Into<String>) -> Failure {
        Failure::new("States.Runtime", cause)
    }

    /// The error output a Catcher passes on.
    fn output(&self) -> Value {
        json!({"Error": self.error, "Cause": self.cause.clone().unwrap_or_default()})
    }
}

impl From<TaskError> for Failure {
    fn from(e: TaskError) -> Failure {
        Failure {
            error: e.error,
            cause: e.cause,
            internal: false,
        }
    }
}

/// Why a (sub) machine stopped early.
#[derive(Debug)]
enum Stop {
    /// A failure nothing caught.
    Failed(Failure),
    /// The execution's TimeoutSeconds elapsed.
    TimedOut,
}

type Flow<T> = Result<T, Stop>;

/// Step Functions' payload quota for a state's input or output (256 KiB).
pub const MAX_PAYLOAD_BYTES: usize = 262_144;
type LocalFuture<'s, T> = Pin<Box<dyn Future<Output = T> + 's>>;

/// A line of execution: the top level, a Parallel branch or a Map iteration,
/// each with its own clock (branches and iterations run concurrently) and
/// the last event it wrote.
#[derive(Debug, Clone, Copy)]
struct Thread {
    now: Instant,
    last: u64,
}

struct Run<'r> {
    target: &'r dyn TaskTarget,
    events: Vec<HistoryEvent>,
    rng: Rng,
    deadline: Option<Instant>,
    execution: Value,
    state_machine: Value,
    region: String,
    /// The workflow variables of the current scope.
    vars: Map<String, Value>,
    /// What the state being left assigned (for its exit event).
    assigned: Option<Map<String, Value>>,
}

/// Whether `error` matches a Retrier's or Catcher's `ErrorEquals`.
/// `States.ALL` matches everything but `States.Runtime` and
/// `States.DataLimitExceeded` (terminal, as on AWS); `States.TaskFailed`
/// everything but those and the timeouts.
#[must_use]
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    if matches!(error, "States.Runtime" | "States.DataLimitExceeded") {
        // Terminal on AWS: no Retry or Catch takes them.
        return false;
    }
    error_equals.iter().any(|name| match name.as_str() {
        "States.ALL" => true,
        "States.TaskFailed" => !matches!(error, "States.Timeout" | "States.HeartbeatTimeout"),
        name => name == error,
    })
}

/// The interval before retry number `attempt` (0-based) of `retrier`, before
/// jitter: IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds.
#[must_use]
pub fn retry_interval(retrier: &Retrier, attempt: u64) -> f64 {
    let raw = retrier.interval_seconds as f64
        * retrier
            .backoff_rate
            .powi(attempt.min(i32::MAX as u64) as i32);
    match retrier.max_delay_seconds {
        Some(cap) => raw.min(cap as f64),
        None => raw,
    }
}

enum Next {
    Go(String, Value),
    End(Value),
}

/// Retry bookkeeping of one entry into a state.
struct Retries {
    per_retrier: Vec<u64>,
    count: u32,
}

enum AfterFailure {
    Retry,
    Caught(String, Value),
}

impl<'r> Run<'r> {
    fn event(&mut self, thread: &mut Thread, kind: EventType, details: Option<Value>) -> u64 {
        let id = self.events.len() as u64 + 1;
        self.events.push(HistoryEvent {
            id,
            previous_event_id: thread.last,
            timestamp: thread.now,
            kind,
            details,
        });
        thread.last = id;
        id
    }

    /// Moves `thread`'s clock on, stopping at the execution deadline.
    fn advance(&self, thread: &mut Thread, seconds: f64) -> Flow<()> {
        let later = thread.now.plus_seconds(seconds.max(0.0));
        match self.deadline {
            Some(deadline) if later > deadline => {
                thread.now = deadline;
                Err(Stop::TimedOut)
            }
            _ => {
                thread.now = later;
                Ok(())
            }
        }
    }

    /// The context object (`$$`) of a state entered at `entered`.
    fn context(&self, state: &str, entered: Instant, retry_count: u32) -> Value {
        json!({
            "Execution": self.execution,
            "State": {"EnteredTime": entered.to_rfc3339(), "Name": state, "RetryCount": retry_count},
            "StateMachine": self.state_machine,
        })
    }

    /// Evaluates a JSONata template against `$states`; a failure is
    /// `States.QueryEvaluationError`, naming the field and the expression.
    fn jsonata(
        &mut self,
        template: &jsonata::Template,
        states: &Value,
        now: Instant,
        field: &str,
    ) -> Result<Value, Failure> {
        let mut env = jsonata::Env {
            states,
            now,
            rng: &mut self.rng,
            vars: &self.vars,
        };
        template.eval(&mut env).map_err(|e| {
            Failure::new(
                "States.QueryEvaluationError",
                if e.undefined {
                    format!(
                        "The JSONata expression '{}' specified for the field '{field}{}' returned nothing (undefined).",
                        e.expression, e.location
                    )
                } else {
                    format!(
                        "The JSONata expression '{}' specified for the field '{field}{}' returned an error: {}",
                        e.expression, e.location, e.message
                    )
                },
            )
        })
    }

    /// A JSONata state's `Output` (default: `default`) and `Assign`.
    fn jsonata_output(
        &mut self,
        state: &State,
        states: &Value,
        now: Instant,
        default: Value,
    ) -> Result<Value, Failure> {
        self.output_and_assign(
            state.jsonata.output.as_ref(),
            state.jsonata.assign.as_ref(),
            states,
            now,
            default,
        )
    }

    /// `Output` and `Assign` see the same `$states` and the variables as
    /// they were before the state (all of `Assign` is evaluated before any
    /// variable changes); then the variables are set.
    fn output_and_assign(
        &mut self,
        output: Option<&jsonata::Template>,
        assign: Option<&jsonata::Template>,
        states: &Value,
        now: Instant,
        default: Value,
    ) -> Result<Value, Failure> {
        let value = match output {
            Some(t) => self.jsonata(t, states, now, "Output")?,
            None => default,
        };
        if let Some(t) = assign
            && let Value::Object(set) = self.jsonata(t, states, now, "Assign")?
        {
            for (name, v) in &set {
                self.vars.insert(name.clone(), v.clone());
            }
            self.assigned = Some(set);
        }
        Ok(value)
    }

    fn machine<'s>(
        &'s mut self,
        machine: &'r StateMachine,
        input: Value,
        thread: &'s mut Thread,
    ) -> LocalFuture<'s, Flow<Value>> {
        Box::pin(async move {
            let mut current = machine.start_at.as_str();
            let mut input = input;
            loop {
                let state = machine.get(current).ok_or_else(|| {
                    Stop::Failed(Failure::runtime(format!(
                        "no state `{current}` (the definition was not validated)"
                    )))
                })?;
                if self.deadline.is_some_and(|d| thread.now >= d) {
                    return Err(Stop::TimedOut);
                }
                match self.state(state, input, thread).await? {
                    Next::Go(next, output) => {
                        let next_state = machine.get(&next).ok_or_else(|| {
                            Stop::Failed(Failure::runtime(format!(
                                "no state `{next}` (the definition was not validated)"
                            )))
                        })?;
                        current = next_state.name.as_str();
                        input = output;
                    }
                    Next::End(output) => return Ok(output),
                }
            }
        })
    }

    async fn state(&mut self, state: &'r State, input: Value, thread: &mut Thread) -> Flow<Next> {
        let (entered, exited) = event_types(&state.kind);
        let entered_id = self.event(
            thread,
            entered,
            Some(json!({"name": state.name, "input": input.to_string(), "inputDetails": {"truncated": false}})),
        );
        let entered_at = thread.now;
        let located = |f: Failure| Stop::Failed(f.located(&state.name, entered_id));
        let result = match &state.kind {
            StateKind::Pass(pass) => self.pass(state, pass, &input, entered_at),
            StateKind::Choice(c) => self.choice(state, c, &input, entered_at),
            StateKind::Succeed(_) if state.query_language == QueryLanguage::Jsonata => {
                let ctx = self.context(&state.name, entered_at, 0);
                let states = json!({"input": input, "context": ctx});
                self.jsonata_output(state, &states, entered_at, input.clone())
                    .map(Next::End)
            }
            StateKind::Succeed(s) => {
                let ctx = self.context(&state.name, entered_at, 0);
                select_io(&s.io.input_path, &input, &ctx, "InputPath")
                    .and_then(|effective| {
                        select_io(&s.io.output_path, &effective, &ctx, "OutputPath")
                    })
                    .map(Next::End)
            }
            StateKind::Fail(f) => {
                let ctx = self.context(&state.name, entered_at, 0);
                let error = self.fail_field(f.error.as_ref(), &input, &ctx, entered_at, "Error");
                let cause = self.fail_field(f.cause.as_ref(), &input, &ctx, entered_at, "Cause");
                let (error, cause) = match (error, cause) {
                    (Ok(e), Ok(c)) => (e, c),
                    (Err(e), _) | (_, Err(e)) => return Err(located(e)),
                };
                return Err(Stop::Failed(Failure {
                    error: error.unwrap_or_default(),
                    cause,
                    internal: false,
                }));
            }
            StateKind::Wait(w) => self.wait(state, w, &input, entered_at, thread)?,
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
                return self
                    .retrying(state, input, (entered_at, entered_id), exited, thread)
                    .await;
            }
        };
        let next = result.map_err(located)?;
        let output = match &next {
            Next::Go(_, o) | Next::End(o) => o,
        };
        self.exit(state, exited, output, thread).map_err(located)?;
        Ok(next)
    }

    fn pass(
        &mut self,
        state: &State,
        pass: &crate::model::Pass,
        input: &Value,
        entered: Instant,
    ) -> Result<Next, Failure> {
        let ctx = self.context(&state.name, entered, 0);
        if state.query_language == QueryLanguage::Jsonata {
            let states = json!({"input": input, "context": ctx});
            let output = self.jsonata_output(state, &states, entered, input.clone())?;
            return Ok(transition(&pass.transition, output));
        }
        let effective = select_io(&pass.io.input_path, input, &ctx, "InputPath")?;
        let effective = match &pass.parameters {
            Some(t) => self.template(t, &effective, &ctx)?,
            None => effective,
        };
        let result = pass.result.clone().unwrap_or(effective);
        let output = apply_result_path(&pass.result_path, input, result)?;
        let output = select_io(&pass.io.output_path, &output, &ctx, "OutputPath")?;
        Ok(transition(&pass.transition, output))
    }

    fn choice(
        &mut self,
        state: &State,
        c: &crate::model::Choice,
        input: &Value,
        entered: Instant,
    ) -> Result<Next, Failure> {
        let ctx = self.context(&state.name, entered, 0);
        let jsonata_state = state.query_language == QueryLanguage::Jsonata;
        let states = json!({"input": input, "context": ctx});
        let effective = if jsonata_state {
            input.clone()
        } else {
            select_io(&c.io.input_path, input, &ctx, "InputPath")?
        };
        let mut next = None;
        let mut taken = None;
        for branch in &c.choices {
            let matched = match &branch.rule {
                ChoiceRule::Condition(t) => match self.jsonata(t, &states, entered, "Condition")? {
                    Value::Bool(b) => b,
                    other => {
                        return Err(Failure::new(
                            "States.QueryEvaluationError",
                            format!(
                                "The JSONata expression '{}' specified for the field 'Condition' returned a non-boolean value: {other}",
                                t.source().as_str().unwrap_or_default()
                            ),
                        ));
                    }
                },
                rule => choice::evaluate(rule, &effective, &ctx).map_err(Failure::runtime)?,
            };
            if matched {
                next = Some(branch.next.clone());
                taken = Some(branch);
                break;
            }
        }
        let next = next.or_else(|| c.default.clone()).ok_or_else(|| {
            Failure::new(
                "States.NoChoiceMatched",
                format!(
                    "No Choice Rules matched and no Default was given in state '{}'",
                    state.name
                ),
            )
        })?;
        let output = if jsonata_state {
            // A matching rule's own Output and Assign take the place of
            // the state's.
            let output = taken
                .and_then(|b| b.output.as_ref())
                .or(state.jsonata.output.as_ref());
            let assign = taken
                .and_then(|b| b.assign.as_ref())
                .or(state.jsonata.assign.as_ref());
            self.output_and_assign(output, assign, &states, entered, effective)?
        } else {
            select_io(&c.io.output_path, &effective, &ctx, "OutputPath")?
        };
        Ok(Next::Go(next, output))
    }

    /// Moves the clock on; `Ok(Err(_))` is a failure of the state.
    fn wait(
        &mut self,
        state: &State,
        w: &crate::model::Wait,
        input: &Value,
        entered: Instant,
        thread: &mut Thread,
    ) -> Flow<Result<Next, Failure>> {
        let ctx = self.context(&state.name, entered, 0);
        let effective = match select_io(&w.io.input_path, input, &ctx, "InputPath") {
            Ok(e) => e,
            Err(f) => return Ok(Err(f)),
        };
        let seconds = match &w.until {
            WaitFor::SecondsExpr(t) | WaitFor::TimestampExpr(t) => {
                let states = json!({"input": input, "context": ctx});
                let field = if matches!(w.until, WaitFor::SecondsExpr(_)) {
                    "Seconds"
                } else {
                    "Timestamp"
                };
                let value = match self.jsonata(t, &states, thread.now, field) {
                    Ok(v) => v,
                    Err(f) => return Ok(Err(f)),
                };
                let seconds = match (&w.until, &value) {
                    (WaitFor::SecondsExpr(_), v) => {
                        v.as_u64().filter(|s| *s <= 99_999_999).map(|s| s as f64)
                    }
                    (_, Value::String(s)) => {
                        Instant::parse_rfc3339(s).map(|i| thread.now.seconds_until(i).max(0.0))
                    }
                    _ => None,
                };
                match seconds {
                    Some(s) => s,
                    None => {
                        let (field, wanted) = match &w.until {
                            WaitFor::SecondsExpr(_) => ("Seconds", "a non-negative integer"),
                            _ => ("Timestamp", "an RFC 3339 timestamp string"),
                        };
                        return Ok(Err(Failure::new(
                            "States.QueryEvaluationError",
                            format!(
                                "The JSONata expression '{}' specified for the field '{field}' must give {wanted}, got {value}",
                                t.source().as_str().unwrap_or_default()
                            ),
                        )));
                    }
                }
            }
            until => match wait_seconds(until, &effective, &ctx, thread.now) {
                Ok(s) => s,
                Err(f) => return Ok(Err(f)),
            },
        };
        self.advance(thread, seconds)?;
        if state.query_language == QueryLanguage::Jsonata {
            let states = json!({"input": input, "context": ctx});
            return Ok(self
                .jsonata_output(state, &states, thread.now, input.clone())
                .map(|o| transition(&w.transition, o)));
        }
        Ok(select_io(&w.io.output_path, &effective, &ctx, "OutputPath")
            .map(|o| transition(&w.transition, o)))
    }
}

fn wait_seconds(
    until: &WaitFor,
    effective: &Value,
    ctx: &Value,
    now: Instant,
) -> Result<f64, Failure> {
    Ok(match until {
        WaitFor::Seconds(s) => *s as f64,
        WaitFor::Timestamp(t) => now.seconds_until(*t).max(0.0),
        WaitFor::SecondsPath(p) => {
            let v = p.select(effective, ctx).ok_or_else(|| {
                Failure::runtime(format!("Invalid path '{p}': no value for SecondsPath"))
            })?;
            v.as_u64().map(|s| s as f64).ok_or_else(|| {
                Failure::runtime(format!(
                    "The SecondsPath parameter does not reference a valid non-negative integer: {v}"
                ))
            })?
        }
        WaitFor::SecondsExpr(_) | WaitFor::TimestampExpr(_) => {
            return Err(Failure::runtime(
                "a JSONata Seconds/Timestamp outside a JSONata Wait (the definition was not validated)",
            ));
        }
        WaitFor::TimestampPath(p) => {
            let v = p.select(effective, ctx).ok_or_else(|| {
                Failure::runtime(format!("Invalid path '{p}': no value for TimestampPath"))
            })?;
            let t = v.as_str().and_then(Instant::parse_rfc3339).ok_or_else(|| {
                Failure::runtime(format!(
                    "The TimestampPath parameter does not reference a valid ISO-8601 timestamp: {v}"
                ))
            })?;
            now.seconds_until(t).max(0.0)
        }
    })
}

impl<'r> Run<'r> {
    fn fail_field(
        &mut self,
        field: Option<&FailField>,
        input: &Value,
        ctx: &Value,
        now: Instant,
        key: &str,
    ) -> Result<Option<String>, Failure> {
        let value = match field {
            None => return Ok(None),
            Some(FailField::Jsonata(t)) => {
                let states = json!({"input": input, "context": ctx});
                match self.jsonata(t, &states, now, key)? {
                    Value::String(s) => return Ok(Some(s)),
                    other => {
                        return Err(Failure::new(
                            "States.QueryEvaluationError",
                            format!("The value of the field '{key}' must be a string, got {other}"),
                        ));
                    }
                }
            }
            Some(FailField::Literal(s)) => return Ok(Some(s.clone())),
            Some(FailField::Path(p)) => p.select(input, ctx).ok_or_else(|| {
                Failure::runtime(format!("Invalid path '{p}': no value in the input"))
            })?,
            Some(FailField::Intrinsic(e)) => e
                .eval(&mut Scope {
                    input,
                    context: ctx,
                    rng: &mut self.rng,
                })
                .map_err(|e| Failure::new(e.error, e.cause))?,
        };
        match value {
            Value::String(s) => Ok(Some(s)),
            other => Err(Failure::runtime(format!(
                "The ErrorPath/CausePath value must be a string, got {other}"
            ))),
        }
    }

    fn template(
        &mut self,
        template: &Template,
        input: &Value,
        ctx: &Value,
    ) -> Result<Value, Failure> {
        Ok(match template {
            Template::Literal(v) => v.clone(),
            Template::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|t| self.template(t, input, ctx))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Object(fields) => {
                let mut out = Map::new();
                for field in fields {
                    let value = match &field.value {
                        FieldValue::Static(t) => self.template(t, input, ctx)?,
                        FieldValue::Path(p) => p.select(input, ctx).ok_or_else(|| {
                            Failure::runtime(format!(
                                "The JSONPath '{p}' specified for the field '{}' could not be found in the input '{}'",
                                field.written,
                                if p.is_context() { ctx } else { input }
                            ))
                        })?,
                        FieldValue::Intrinsic(e) => e
                            .eval(&mut Scope { input, context: ctx, rng: &mut self.rng })
                            .map_err(|e| Failure::new(e.error, format!("{} (field '{}')", e.cause, field.written)))?,
                    };
                    out.insert(field.name.clone(), value);
                }
                Value::Object(out)
            }
        })
    }

    /// Task, Parallel and Map: attempts, Retry, Catch.
    async fn retrying(
        &mut self,
        state: &'r State,
        input: Value,
        (entered, entered_id): (Instant, u64),
        exited: Option<EventType>,
        thread: &mut Thread,
    ) -> Flow<Next> {
        let (io, retry, catch, transition_) = match &state.kind {
            StateKind::Task(t) => (&t.io, &t.retry, &t.catch, &t.transition),
            StateKind::Parallel(p) => (&p.io, &p.retry, &p.catch, &p.transition),
            StateKind::Map(m) => (&m.io, &m.retry, &m.catch, &m.transition),
            _ => unreachable!("only Task, Parallel and Map retry"),
        };
        let mut retries = Retries {
            per_retrier: vec![0; retry.len()],
            count: 0,
        };
        let output = loop {
            let ctx = self.context(&state.name, entered, retries.count);
            let attempt = match select_io(&io.input_path, &input, &ctx, "InputPath") {
                Ok(effective) => match &state.kind {
                    StateKind::Task(task) => {
                        self.task_attempt(
                            state,
                            task,
                            &input,
                            effective,
                            &ctx,
                            retries.count,
                            thread,
                        )
                        .await
                    }
                    StateKind::Parallel(p) => {
                        self.parallel_attempt(state, p, &input, effective, &ctx, thread)
                            .await
                    }
                    StateKind::Map(m) => {
                        self.map_attempt(state, m, &input, effective, &ctx, thread)
                            .await
                    }
                    _ => unreachable!("only Task, Parallel and Map retry"),
                },
                Err(f) => Err(Stop::Failed(f)),
            };
            match attempt {
                Ok(output) => break output,
                Err(Stop::TimedOut) => return Err(Stop::TimedOut),
                Err(Stop::Failed(failure)) => {
                    let failure = failure.located(&state.name, entered_id);
                    match self
                        .after_failure(&failure, retry, catch, &mut retries, &input, &ctx, thread)
                        .map_err(|stop| match stop {
                            Stop::Failed(f) => Stop::Failed(f.located(&state.name, entered_id)),
                            other => other,
                        })? {
                        Some(AfterFailure::Retry) => {}
                        Some(AfterFailure::Caught(next, output)) => {
                            self.exit(state, exited, &output, thread)
                                .map_err(|f| Stop::Failed(f.located(&state.name, entered_id)))?;
                            return Ok(Next::Go(next, output));
                        }
                        None => return Err(Stop::Failed(failure)),
                    }
                }
            }
        };
        self.exit(state, exited, &output, thread)
            .map_err(|f| Stop::Failed(f.located(&state.name, entered_id)))?;
        Ok(transition(transition_, output))
    }

    /// Writes the state's exit event; an output over the 256 KiB payload
    /// quota is `States.DataLimitExceeded` (terminal: no Catch takes it).
    fn exit(
        &mut self,
        state: &State,
        exited: Option<EventType>,
        output: &Value,
        thread: &mut Thread,
    ) -> Result<(), Failure> {
        let text = output.to_string();
        if text.len() > MAX_PAYLOAD_BYTES {
            return Err(Failure::new(
                "States.DataLimitExceeded",
                format!(
                    "The state/task returned a result with a size exceeding the maximum number of bytes service limit ({} bytes > {MAX_PAYLOAD_BYTES})",
                    text.len()
                ),
            ));
        }
        let assigned = self.assigned.take();
        if let Some(exited) = exited {
            let mut details =
                json!({"name": state.name, "output": text, "outputDetails": {"truncated": false}});
            if let (Some(set), Some(obj)) = (assigned, details.as_object_mut()) {
                let strings: Map<String, Value> = set
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
                    .collect();
                obj.insert("assignedVariables".into(), Value::Object(strings));
                obj.insert(
                    "assignedVariablesDetails".into(),
                    json!({"truncated": false}),
                );
            }
            self.event(thread, exited, Some(details));
        }
        Ok(())
    }

    /// Applies Retry, then Catch. `Ok(None)`: not handled.
    #[allow(clippy::too_many_arguments)]
    fn after_failure(
        &mut self,
        failure: &Failure,
        retry: &[Retrier],
        catch: &[Catcher],
        retries: &mut Retries,
        input: &Value,
        ctx: &Value,
        thread: &mut Thread,
    ) -> Flow<Option<AfterFailure>> {
        if let Some(i) = retry
            .iter()
            .position(|r| error_matches(&r.error_equals, &failure.error))
        {
            let retrier = &retry[i];
            let done = retries.per_retrier[i];
            if done < retrier.max_attempts {
                let mut delay = retry_interval(retrier, done);
                if retrier.jitter == Jitter::Full {
                    delay *= self.rng.next_f64();
                }
                retries.per_retrier[i] += 1;
                retries.count += 1;
                self.advance(thread, delay)?;
                return Ok(Some(AfterFailure::Retry));
            }
        }
        if let Some(catcher) = catch
            .iter()
            .find(|c| error_matches(&c.error_equals, &failure.error))
        {
            if catcher.output.is_some() || catcher.assign.is_some() {
                let states =
                    json!({"input": input, "context": ctx, "errorOutput": failure.output()});
                let caught = self.output_and_assign(
                    catcher.output.as_ref(),
                    catcher.assign.as_ref(),
                    &states,
                    thread.now,
                    failure.output(),
                );
                return match caught {
                    Ok(output) => Ok(Some(AfterFailure::Caught(catcher.next.clone(), output))),
                    Err(f) => Err(Stop::Failed(f)),
                };
            }
            return match apply_result_path(&catcher.result_path, input, failure.output()) {
                Ok(output) => Ok(Some(AfterFailure::Caught(catcher.next.clone(), output))),
                Err(f) => Err(Stop::Failed(f)),
            };
        }
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    async fn task_attempt(
        &mut self,
        state: &'r State,
        task: &'r crate::model::Task,
        raw: &Value,
        effective: Value,
        ctx: &Value,
        attempt: u32,
        thread: &mut Thread,
    ) -> Flow<Value> {
        let fail = |f: Failure| Stop::Failed(f);
        let jsonata_state = state.query_language == QueryLanguage::Jsonata;
        let parameters = match (&state.jsonata.arguments, &task.parameters) {
            (Some(t), _) => {
                let states = json!({"input": raw, "context": ctx});
                self.jsonata(t, &states, thread.now, "Arguments")
                    .map_err(fail)?
            }
            (None, Some(t)) => self.template(t, &effective, ctx).map_err(fail)?,
            // A JSONata Task without `Arguments` passes none (not its input).
            (None, None) if jsonata_state => Value::Object(Map::new()),
            (None, None) => effective.clone(),
        };
        let timeout = resolve_seconds(task.timeout.as_ref(), &effective, ctx, "TimeoutSecondsPath")
            .map_err(fail)?;
        let heartbeat = resolve_seconds(
            task.heartbeat.as_ref(),
            &effective,
            ctx,
            "HeartbeatSecondsPath",
        )
        .map_err(fail)?;
        let lambda_arn = matches!(Resource::parse(&task.resource), Resource::LambdaFunction(_));
        let (resource_type, resource) = Resource::event_names(&task.resource);
        let mut scheduled = Map::new();
        if lambda_arn {
            scheduled.insert("resource".into(), json!(task.resource));
            scheduled.insert("input".into(), json!(parameters.to_string()));
            scheduled.insert("inputDetails".into(), json!({"truncated": false}));
        } else {
            scheduled.insert("resourceType".into(), json!(resource_type));
            scheduled.insert("resource".into(), json!(resource));
            scheduled.insert("region".into(), json!(self.region));
            scheduled.insert("parameters".into(), json!(parameters.to_string()));
        }
        if let Some(t) = timeout {
            scheduled.insert("timeoutInSeconds".into(), json!(t));
        }
        if let Some(h) = heartbeat.filter(|_| !lambda_arn) {
            scheduled.insert("heartbeatInSeconds".into(), json!(h));
        }
        let (ev_scheduled, ev_started, ev_succeeded, ev_failed, ev_timed_out) = if lambda_arn {
            use EventType as E;
            (
                E::LambdaFunctionScheduled,
                E::LambdaFunctionStarted,
                E::LambdaFunctionSucceeded,
                E::LambdaFunctionFailed,
                E::LambdaFunctionTimedOut,
            )
        } else {
            use EventType as E;
            (
                E::TaskScheduled,
                E::TaskStarted,
                E::TaskSucceeded,
                E::TaskFailed,
                E::TaskTimedOut,
            )
        };
        let names = |extra: Map<String, Value>| {
            let mut m = Map::new();
            if !lambda_arn {
                m.insert("resourceType".into(), json!(resource_type));
                m.insert("resource".into(), json!(resource));
            }
            m.extend(extra);
            Some(Value::Object(m))
        };
        self.event(thread, ev_scheduled, Some(Value::Object(scheduled)));
        self.event(
            thread,
            ev_started,
            if lambda_arn { None } else { names(Map::new()) },
        );
        let request = TaskRequest {
            state_name: &state.name,
            resource: &task.resource,
            parameters: &parameters,
            context: ctx,
            attempt,
            credentials: task.credentials.as_ref(),
        };
        let response = self.target.invoke(request).await;
        let limit = timeout.map(|t| t as f64);
        if let Some(limit) = limit.filter(|l| response.duration_seconds > *l) {
            self.advance(thread, limit)?;
            let f = Failure::new(
                "States.Timeout",
                format!("The task did not finish within TimeoutSeconds ({limit}s)"),
            );
            self.event(thread, ev_timed_out, names(failure_details(&f)));
            return Err(Stop::Failed(f));
        }
        self.advance(thread, response.duration_seconds)?;
        let result = match response.result {
            Ok(result) => {
                self.event(
                    thread,
                    ev_succeeded,
                    names(json_map(json!({"output": result.to_string(), "outputDetails": {"truncated": false}}))),
                );
                result
            }
            Err(e) => {
                let f = Failure::from(e);
                self.event(thread, ev_failed, names(failure_details(&f)));
                return Err(Stop::Failed(f));
            }
        };
        if jsonata_state {
            let states = json!({"input": raw, "context": ctx, "result": result});
            return self
                .jsonata_output(state, &states, thread.now, result.clone())
                .map_err(fail);
        }
        self.finish_result(
            task.result_selector.as_ref(),
            &task.result_path,
            &task.io,
            raw,
            result,
            ctx,
        )
        .map_err(fail)
    }

    /// ResultSelector, ResultPath (onto the raw input), OutputPath.
    fn finish_result(
        &mut self,
        selector: Option<&Template>,
        result_path: &ResultPath,
        io: &Io,
        raw: &Value,
        result: Value,
        ctx: &Value,
    ) -> Result<Value, Failure> {
        let result = match selector {
            Some(t) => self.template(t, &result, ctx)?,
            None => result,
        };
        let output = apply_result_path(result_path, raw, result)?;
        select_io(&io.output_path, &output, ctx, "OutputPath")
    }

    async fn parallel_attempt(
        &mut self,
        state: &'r State,
        p: &'r crate::model::Parallel,
        raw: &Value,
        effective: Value,
        ctx: &Value,
        thread: &mut Thread,
    ) -> Flow<Value> {
        let input = match (&state.jsonata.arguments, &p.parameters) {
            (Some(t), _) => {
                let states = json!({"input": raw, "context": ctx});
                self.jsonata(t, &states, thread.now, "Arguments")
                    .map_err(Stop::Failed)?
            }
            (None, Some(t)) => self.template(t, &effective, ctx).map_err(Stop::Failed)?,
            (None, None) => effective,
        };
        let started = self.event(thread, EventType::ParallelStateStarted, None);
        let begin = thread.now;
        let mut end = begin;
        let mut results = Vec::with_capacity(p.branches.len());
        let mut failure = None;
        for branch in &p.branches {
            let mut sub = Thread {
                now: begin,
                last: started,
            };
            // A branch reads the variables around it; what it assigns stays in it.
            let scope = self.vars.clone();
            let outcome = self.machine(branch, input.clone(), &mut sub).await;
            self.vars = scope;
            end = end.max(sub.now);
            match outcome {
                Ok(output) => results.push(output),
                Err(Stop::TimedOut) => {
                    thread.now = end;
                    thread.last = self.events.len() as u64;
                    return Err(Stop::TimedOut);
                }
                Err(Stop::Failed(f)) => {
                    failure = Some(f);
                    break;
                }
            }
        }
        thread.now = end;
        thread.last = self.events.len() as u64;
        if let Some(f) = failure {
            self.event(thread, EventType::ParallelStateFailed, None);
            return Err(Stop::Failed(f));
        }
        self.event(thread, EventType::ParallelStateSucceeded, None);
        if state.query_language == QueryLanguage::Jsonata {
            let states = json!({"input": raw, "context": ctx, "result": results});
            return self
                .jsonata_output(state, &states, thread.now, Value::Array(results))
                .map_err(Stop::Failed);
        }
        self.finish_result(
            p.result_selector.as_ref(),
            &p.result_path,
            &p.io,
            raw,
            Value::Array(results),
            ctx,
        )
        .map_err(Stop::Failed)
    }

    async fn map_attempt(
        &mut self,
        state: &'r State,
        m: &'r crate::model::Map,
        raw: &Value,
        effective: Value,
        ctx: &Value,
        thread: &mut Thread,
    ) -> Flow<Value> {
        let jsonata_map = state.query_language == QueryLanguage::Jsonata;
        let selected = match (&m.items, jsonata_map) {
            (Some(t), _) => {
                let states = json!({"input": raw, "context": ctx});
                match self
                    .jsonata(t, &states, thread.now, "Items")
                    .map_err(Stop::Failed)?
                {
                    Value::Array(items) => Some(Value::Array(items)),
                    other => {
                        return Err(Stop::Failed(Failure::new(
                            "States.QueryEvaluationError",
                            format!(
                                "The JSONata expression '{}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was: {other}",
                                t.source().as_str().unwrap_or_default()
                            ),
                        )));
                    }
                }
            }
            (None, true) => match raw {
                Value::Array(_) => Some(raw.clone()),
                other => {
                    return Err(Stop::Failed(Failure::new(
                        "States.QueryEvaluationError",
                        format!(
                            "The Map state's input must be an array when it has no 'Items', got {other}"
                        ),
                    )));
                }
            },
            (None, false) => m.items_path.select(&effective, ctx),
        };
        let items = match selected {
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(Stop::Failed(Failure::runtime(format!(
                    "Invalid path '{}': the ItemsPath must select an array, got {other}",
                    m.items_path
                ))));
            }
            None => {
                return Err(Stop::Failed(Failure::runtime(format!(
                    "Invalid path '{}': no value for ItemsPath",
                    m.items_path
                ))));
            }
        };
        let started = self.event(
            thread,
            EventType::MapStateStarted,
            Some(json!({"length": items.len()})),
        );
        let begin = thread.now;
        let slots = match m.max_concurrency {
            Some(n) if n > 0 => n as usize,
            _ => items.len().max(1),
        };
        let mut free_at = vec![begin; slots.min(items.len().max(1))];
        let mut end = begin;
        let mut results = Vec::with_capacity(items.len());
        let mut failed = 0usize;
        let mut first_failure = None;
        let tolerated = |failed: usize, total: usize| -> bool {
            let by_count = m
                .tolerated_failure_count
                .is_some_and(|c| failed as u64 <= c);
            let by_pct = m
                .tolerated_failure_percentage
                .is_some_and(|p| (failed as f64) * 100.0 <= p * total as f64);
            by_count || by_pct
        };
        for (index, item) in items.iter().enumerate() {
            let slot = (0..free_at.len()).min_by_key(|i| free_at[*i]).unwrap_or(0);
            let mut sub = Thread {
                now: free_at[slot],
                last: started,
            };
            let iteration_input = match (&m.jsonata_item_selector, &m.item_selector) {
                (Some(selector), _) => {
                    let mut item_ctx = ctx.clone();
                    if let Some(obj) = item_ctx.as_object_mut() {
                        obj.insert(
                            "Map".into(),
                            json!({"Item": {"Index": index, "Value": item}}),
                        );
                    }
                    let states = json!({"input": raw, "context": item_ctx});
                    self.jsonata(selector, &states, sub.now, "ItemSelector")
                        .map_err(Stop::Failed)?
                }
                (None, Some(t)) => {
                    // `$$.Map.Item` exists only while the ItemSelector is evaluated.
                    let mut item_ctx = ctx.clone();
                    if let Some(obj) = item_ctx.as_object_mut() {
                        obj.insert(
                            "Map".into(),
                            json!({"Item": {"Index": index, "Value": item}}),
                        );
                    }
                    self.template(t, &effective, &item_ctx)
                        .map_err(Stop::Failed)?
                }
                (None, None) => item.clone(),
            };
            let name = json!({"name": state.name, "index": index});
            self.event(&mut sub, EventType::MapIterationStarted, Some(name.clone()));
            // An iteration reads the variables around it; what it assigns stays in it.
            let scope = self.vars.clone();
            let outcome = self.machine(&m.processor, iteration_input, &mut sub).await;
            self.vars = scope;
            match outcome {
                Ok(output) => {
                    self.event(&mut sub, EventType::MapIterationSucceeded, Some(name));
                    results.push(output);
                }
                Err(Stop::TimedOut) => {
                    thread.now = sub.now.max(end);
                    thread.last = self.events.len() as u64;
                    return Err(Stop::TimedOut);
                }
                Err(Stop::Failed(f)) => {
                    self.event(&mut sub, EventType::MapIterationFailed, Some(name));
                    failed += 1;
                    results.push(f.output());
                    first_failure.get_or_insert(f);
                }
            }
            free_at[slot] = sub.now;
            end = end.max(sub.now);
            if failed > 0 && !tolerated(failed, items.len()) {
                break;
            }
        }
        thread.now = end;
        thread.last = self.events.len() as u64;
        if let Some(f) = first_failure.filter(|_| !tolerated(failed, items.len())) {
            self.event(thread, EventType::MapStateFailed, None);
            let configured =
                m.tolerated_failure_count.is_some() || m.tolerated_failure_percentage.is_some();
            return Err(Stop::Failed(if configured {
                Failure::new(
                    "States.ExceedToleratedFailureThreshold",
                    format!(
                        "The number of failed items ({failed}) exceeds the tolerated failure threshold"
                    ),
                )
            } else {
                f
            }));
        }
        self.event(thread, EventType::MapStateSucceeded, None);
        if jsonata_map {
            let states = json!({"input": raw, "context": ctx, "result": results});
            return self
                .jsonata_output(state, &states, thread.now, Value::Array(results))
                .map_err(Stop::Failed);
        }
        self.finish_result(
            m.result_selector.as_ref(),
            &m.result_path,
            &m.io,
            raw,
            Value::Array(results),
            ctx,
        )
        .map_err(Stop::Failed)
    }
}

fn json_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn failure_details(f: &Failure) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("error".into(), json!(f.error));
    if let Some(cause) = &f.cause {
        m.insert("cause".into(), json!(cause));
    }
    m
}

fn transition(t: &Transition, output: Value) -> Next {
    match t {
        Transition::Next(next) => Next::Go(next.clone(), output),
        Transition::End => Next::End(output),
    }
}

fn event_types(kind: &StateKind) -> (EventType, Option<EventType>) {
    use EventType as E;
    match kind {
        StateKind::Task(_) => (E::TaskStateEntered, Some(E::TaskStateExited)),
        StateKind::Pass(_) => (E::PassStateEntered, Some(E::PassStateExited)),
        StateKind::Choice(_) => (E::ChoiceStateEntered, Some(E::ChoiceStateExited)),
        StateKind::Wait(_) => (E::WaitStateEntered, Some(E::WaitStateExited)),
        StateKind::Succeed(_) => (E::SucceedStateEntered, Some(E::SucceedStateExited)),
        StateKind::Fail(_) => (E::FailStateEntered, None),
        StateKind::Parallel(_) => (E::ParallelStateEntered, Some(E::ParallelStateExited)),
        StateKind::Map(_) => (E::MapStateEntered, Some(E::MapStateExited)),
    }
}

/// InputPath / OutputPath: `None` (null) gives `{}`; a path that matches
/// nothing is `States.Runtime`.
fn select_io(
    path: &Option<Path>,
    value: &Value,
    ctx: &Value,
    field: &str,
) -> Result<Value, Failure> {
    match path {
        None => Ok(Value::Object(Map::new())),
        Some(p) if p.is_root() && !p.is_context() => Ok(value.clone()),
        Some(p) => p.select(value, ctx).ok_or_else(|| {
            Failure::runtime(format!(
                "Invalid path '{p}' : No results for path: {p} ({field}) in the input '{value}'"
            ))
        }),
    }
}

/// ResultPath: `null` keeps the input, `$` replaces it, `$.a.b` writes into
/// a copy of the (raw) input.
fn apply_result_path(
    result_path: &ResultPath,
    input: &Value,
    result: Value,
) -> Result<Value, Failure> {
    match result_path {
        ResultPath::Discard => Ok(input.clone()),
        ResultPath::At(p) => {
            let segments = p.segments().unwrap_or_default();
            let mut output = input.clone();
            path::set(&mut output, segments, result).map_err(|path::NoMatch| {
                Failure::new(
                    "States.ResultPathMatchFailure",
                    format!("Unable to apply ResultPath \"{p}\" to input \"{input}\""),
                )
            })?;
            Ok(output)
        }
    }
}

fn resolve_seconds(
    spec: Option<&Seconds>,
    input: &Value,
    ctx: &Value,
    field: &str,
) -> Result<Option<u64>, Failure> {
    match spec {
        None => Ok(None),
        Some(Seconds::Fixed(n)) => Ok(Some(*n)),
        Some(Seconds::Path(p)) => match p.select(input, ctx) {
            Some(v) => v.as_u64().filter(|n| *n >= 1).map(Some).ok_or_else(|| {
                Failure::runtime(format!(
                    "The {field} parameter does not reference a positive integer: {v}"
                ))
            }),
            None => Err(Failure::runtime(format!(
                "Invalid path '{p}' for {field}: no value in the input"
            ))),
        },
    }
}
