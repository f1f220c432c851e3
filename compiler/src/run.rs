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
use sagac_executor::{Definition, ExecutionOptions, Executor, MockConfig, Router, Status};
use serde_json::Value;

use crate::build::say;
use crate::{FAILED, USAGE, read};
use sagac_local::runner;
use sagac_local::spec::{FailureKind, Injection, LocalSaga};

/// The arguments of `sagac run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The saga spec to run: its generated state machine, the Lambda tasks
    /// answered by its generated mock configuration, the root writes against
    /// an embedded store laid out as its table.
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
    /// With SPEC, a case of the generated `sfn-mock-config.json`.
    #[arg(long, value_name = "NAME")]
    pub case: Option<String>,
    /// The state machine of the mock configuration [default: its only one].
    #[arg(long, value_name = "NAME")]
    pub state_machine: Option<String>,
    /// The execution input (JSON) [default: {}; with SPEC, the generated
    /// sample-input.json].
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Fail a step or compensation of SPEC: `business` (its first business
    /// error; the default) or `business:ERROR`, `ambiguous` (no answer within
    /// its timeout), `unknown` (Lambda.Unknown), `lost` (it runs, then its
    /// response is lost), `transient-once` (TransientError, then it succeeds)
    /// or `transient` (TransientError on every attempt). Repeatable.
    #[arg(long, value_name = "STATE[=KIND]", requires = "spec")]
    pub fail: Vec<String>,
    /// The execution name ($$.Execution.Name) [default: with SPEC, the saga
    /// id of the request].
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
    if let Some(spec) = &args.spec {
        return run_spec(spec, args);
    }
    let Some(definition_path) = &args.definition else {
        return Err(usage("give a SPEC or --definition FILE.asl.json"));
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
        RunFormat::Text => say(&sagac_executor::render::text(&execution)),
    }
    Ok(if execution.status == Status::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FAILED)
    })
}

/// `sagac run SPEC`: the generated state machine on the executor, Lambda
/// tasks from the generated mock configuration, root writes against an
/// embedded store laid out as the spec's table.
fn run_spec(spec: &Path, args: &RunArgs) -> Result<ExitCode, ExitCode> {
    if args.mock_config.is_some() || args.state_machine.is_some() {
        return Err(usage(
            "with SPEC the mock configuration is the generated one; --mock-config and --state-machine go with --definition",
        ));
    }
    let saga = crate::build::compile(spec)?;
    let local = LocalSaga::new(&saga).map_err(|e| usage(&e.to_string()))?;
    let mut injections = Vec::new();
    for fail in &args.fail {
        let (state, kind) = match fail.split_once('=') {
            Some((state, kind)) => (state, kind),
            None => (fail.as_str(), "business"),
        };
        let kind = FailureKind::parse(kind).ok_or_else(|| {
            usage(&format!(
                "--fail {fail}: the kind is business, business:ERROR, ambiguous, unknown, lost, transient-once or transient"
            ))
        })?;
        let injection = Injection {
            state: state.to_owned(),
            kind,
        };
        local
            .check(&injection)
            .map_err(|e| usage(&format!("--fail {fail}: {e}")))?;
        injections.push(injection);
    }
    let input: Value = match &args.input {
        Some(path) => {
            let text = read_json(path, "the input")?;
            serde_json::from_str(&text)
                .map_err(|e| usage(&format!("{}: the input is not JSON: {e}", path.display())))?
        }
        None => local.sample_input().clone(),
    };
    let case = args.case.as_deref().unwrap_or("HappyPath");
    let mocks = local.mock(case).map_err(|e| {
        usage(&format!(
            "--case {case}: {e} (the cases: {})",
            local.cases().join(", ")
        ))
    })?;
    let store = local.store();
    let report =
        sagac_executor::block_on(local.run(input, &mocks, store.as_ref(), &injections, args.seed));
    match args.format {
        RunFormat::Json => say(&format!(
            "{}\n",
            serde_json::to_string_pretty(&runner::to_json(&report)).unwrap_or_default()
        )),
        RunFormat::Text => say(&runner::render(&report)),
    }
    Ok(if report.execution.status == Status::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FAILED)
    })
}
