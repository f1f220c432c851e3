//! `sagac run`: executes a state machine locally with `sagac-executor`.
//!
//! Today: `sagac run --definition FILE.asl.json [--mock-config FILE [--case
//! NAME] [--state-machine NAME]] [--input FILE] [--format text|json]`. The
//! argument struct already has the optional `SPEC` positional (it conflicts
//! with `--definition`) so that the spec-level run (`sagac run SPEC [--fail
//! STATE=kind] [--case NAME]`) slots in without changing the interface.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use sagac_executor::{
    Definition, EventType, Execution, ExecutionOptions, Executor, HistoryEvent, MockConfig, Router,
    Status,
};
use serde_json::Value;

use crate::build::say;
use crate::{FAILED, USAGE, read};

/// The arguments of `sagac run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The saga spec to run (not available yet: use --definition).
    #[arg(
        value_name = "SPEC",
        conflicts_with = "definition",
        required_unless_present = "definition"
    )]
    pub spec: Option<PathBuf>,
    /// An Amazon States Language definition (JSONPath) to execute.
    #[arg(long, value_name = "FILE.asl.json")]
    pub definition: Option<PathBuf>,
    /// An AWS Step Functions Local mock configuration answering the Tasks.
    #[arg(long, value_name = "FILE")]
    pub mock_config: Option<PathBuf>,
    /// The test case of the mock configuration [default: its only one, else HappyPath].
    #[arg(long, value_name = "NAME")]
    pub case: Option<String>,
    /// The state machine of the mock configuration [default: its only one].
    #[arg(long, value_name = "NAME")]
    pub state_machine: Option<String>,
    /// The execution input (JSON) [default: {}].
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// The execution name ($$.Execution.Name).
    #[arg(long, value_name = "NAME", default_value = "local-execution")]
    pub name: String,
    /// The seed of retry jitter, States.MathRandom and States.UUID.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output: the history as the console shows it, or DescribeExecution and
    /// GetExecutionHistory as JSON.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

/// How `sagac run` prints the execution.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RunFormat {
    /// The history, one event a line, then status and output.
    Text,
    /// DescribeExecution's fields plus `events` as GetExecutionHistory's.
    Json,
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(USAGE)
}

fn read_json(path: &Path, what: &str) -> Result<String, ExitCode> {
    let bytes = read(path)?;
    String::from_utf8(bytes)
        .map_err(|_| usage(&format!("{what} `{}` is not UTF-8", path.display())))
}

/// Runs `sagac run`.
pub fn run(args: &RunArgs) -> ExitCode {
    match execute(args) {
        Ok(code) | Err(code) => code,
    }
}

fn execute(args: &RunArgs) -> Result<ExitCode, ExitCode> {
    let Some(definition_path) = &args.definition else {
        return Err(usage(
            "`sagac run SPEC` is not available yet; run a definition with `sagac run --definition FILE.asl.json --mock-config FILE`",
        ));
    };
    let text = read_json(definition_path, "the definition")?;
    let definition = Definition::from_json(&text).map_err(|e| {
        usage(&format!(
            "{}: cannot execute this definition: {e}",
            definition_path.display()
        ))
    })?;
    let input: Value = match &args.input {
        Some(path) => {
            let text = read_json(path, "the input")?;
            serde_json::from_str(&text)
                .map_err(|e| usage(&format!("{}: the input is not JSON: {e}", path.display())))?
        }
        None => Value::Object(serde_json::Map::new()),
    };
    let mocks = match &args.mock_config {
        Some(path) => {
            let text = read_json(path, "the mock configuration")?;
            Some(
                MockConfig::from_json(&text)
                    .map_err(|e| usage(&format!("{}: {e}", path.display())))?,
            )
        }
        None => {
            if args.case.is_some() || args.state_machine.is_some() {
                return Err(usage("--case and --state-machine need --mock-config"));
            }
            None
        }
    };
    let mut options = ExecutionOptions {
        execution_name: args.name.clone(),
        seed: args.seed,
        ..ExecutionOptions::default()
    };
    let execution = match &mocks {
        Some(config) => {
            let machine = match (&args.state_machine, config.only_state_machine()) {
                (Some(name), _) => name.clone(),
                (None, Some(only)) => only.to_owned(),
                (None, None) => {
                    let names: Vec<&str> =
                        config.state_machines.keys().map(String::as_str).collect();
                    return Err(usage(&format!(
                        "the mock configuration has several state machines; pick one with --state-machine ({})",
                        names.join(", ")
                    )));
                }
            };
            let cases = config.test_cases(&machine);
            let case = match &args.case {
                Some(case) => case.clone(),
                None if cases.len() == 1 => cases[0].to_owned(),
                None if cases.contains(&"HappyPath") => "HappyPath".to_owned(),
                None => {
                    return Err(usage(&format!(
                        "pick a test case with --case ({})",
                        cases.join(", ")
                    )));
                }
            };
            let target = config
                .target(&machine, &case)
                .map_err(|e| usage(&e.to_string()))?;
            options.state_machine_name = machine;
            Executor::new(&definition, options).run_blocking(input, &target)
        }
        None => Executor::new(&definition, options).run_blocking(input, &Router::new()),
    };
    match args.format {
        RunFormat::Json => say(&format!(
            "{}\n",
            serde_json::to_string_pretty(&execution).unwrap_or_default()
        )),
        RunFormat::Text => say(&render_text(&execution)),
    }
    Ok(if execution.status == Status::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FAILED)
    })
}

/// The history the way the Step Functions console lists it: id, virtual
/// time (and time since the start), type, state, a short detail; then the
/// outcome.
#[must_use]
pub fn render_text(execution: &Execution) -> String {
    let states = state_column(&execution.events);
    let rows: Vec<[String; 5]> = execution
        .events
        .iter()
        .zip(&states)
        .map(|(event, state)| {
            [
                event.id.to_string(),
                format!(
                    "{}  +{}",
                    event.timestamp.to_rfc3339(),
                    elapsed(execution.start_date.seconds_until(event.timestamp))
                ),
                event.kind.as_str().to_owned(),
                state.clone(),
                detail(event),
            ]
        })
        .collect();
    let header = ["#", "time", "type", "state", "detail"].map(str::to_owned);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = format!(
        "execution {} of {}\n\n",
        execution.name, execution.state_machine_arn
    );
    for row in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "{:>w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&format!(
        "status: {} after {} (virtual)\n",
        execution.status.as_str(),
        elapsed(execution.start_date.seconds_until(execution.stop_date))
    ));
    if let Some(output) = &execution.output {
        out.push_str(&format!("output: {output}\n"));
    }
    if let Some(error) = &execution.error {
        out.push_str(&format!("error: {error}\n"));
    }
    if let Some(cause) = &execution.cause {
        out.push_str(&format!("cause: {cause}\n"));
    }
    out
}

fn elapsed(seconds: f64) -> String {
    let millis = (seconds * 1000.0).round() as i64;
    let (h, rest) = (millis / 3_600_000, millis % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let s = rest as f64 / 1000.0;
    match (h, m) {
        (0, 0) => format!("{s:.3}s"),
        (0, m) => format!("{m}m{s:06.3}s"),
        (h, m) => format!("{h}h{m:02}m{s:06.3}s"),
    }
}

/// The state each event belongs to: the named state for enter/exit events,
/// the state whose entry an event follows from for the rest (the innermost
/// open Parallel or Map for their own events).
fn state_column(events: &[HistoryEvent]) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut column = Vec::with_capacity(events.len());
    for event in events {
        use EventType as E;
        let name = match event.kind {
            E::ParallelStateEntered | E::MapStateEntered => {
                let name = event.state_name().unwrap_or_default().to_owned();
                open.push(name.clone());
                name
            }
            E::ParallelStateExited | E::MapStateExited => {
                open.pop();
                event.state_name().unwrap_or_default().to_owned()
            }
            E::ParallelStateStarted
            | E::ParallelStateSucceeded
            | E::ParallelStateFailed
            | E::MapStateStarted
            | E::MapStateSucceeded
            | E::MapStateFailed
            | E::MapIterationStarted
            | E::MapIterationSucceeded
            | E::MapIterationFailed => open.last().cloned().unwrap_or_default(),
            E::ExecutionStarted
            | E::ExecutionSucceeded
            | E::ExecutionFailed
            | E::ExecutionTimedOut => String::new(),
            _ => match event.state_name() {
                Some(name) => name.to_owned(),
                None => entered_before(events, event).unwrap_or_default(),
            },
        };
        column.push(name);
    }
    column
}

fn entered_before(events: &[HistoryEvent], event: &HistoryEvent) -> Option<String> {
    let mut id = event.previous_event_id;
    while id > 0 {
        let e = events.get(id as usize - 1)?;
        if e.is_state_entered() {
            return e.state_name().map(str::to_owned);
        }
        id = e.previous_event_id;
    }
    None
}

fn short(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

fn detail(event: &HistoryEvent) -> String {
    use EventType as E;
    let d = |key: &str| {
        event
            .details
            .as_ref()
            .and_then(|v| v.get(key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let s = |key: &str| d(key).as_str().map(str::to_owned).unwrap_or_default();
    let failure = || match event.cause() {
        Some(cause) if !cause.is_empty() => {
            format!("{}: {}", event.error().unwrap_or(""), short(cause))
        }
        _ => event.error().unwrap_or("").to_owned(),
    };
    match event.kind {
        E::ExecutionStarted => format!("input {}", short(&s("input"))),
        E::ExecutionSucceeded => format!("output {}", short(&s("output"))),
        E::ExecutionFailed
        | E::ExecutionTimedOut
        | E::TaskFailed
        | E::TaskTimedOut
        | E::LambdaFunctionFailed
        | E::LambdaFunctionTimedOut => failure(),
        E::TaskScheduled => {
            let timeout = match d("timeoutInSeconds") {
                Value::Null => String::new(),
                t => format!(" (timeout {t}s)"),
            };
            format!("{}:{}{timeout}", s("resourceType"), s("resource"))
        }
        E::LambdaFunctionScheduled => s("resource"),
        E::TaskSucceeded | E::LambdaFunctionSucceeded => format!("output {}", short(&s("output"))),
        E::MapStateStarted => format!("{} items", d("length")),
        E::MapIterationStarted | E::MapIterationSucceeded | E::MapIterationFailed => {
            format!("item {}", d("index"))
        }
        _ if event.kind.details_key() == Some("stateExitedEventDetails") => {
            format!("output {}", short(&s("output")))
        }
        _ => String::new(),
    }
}
