//! A project's own local runner: `sagac run` and `sagac verify` with the
//! developers' handlers instead of the mocks, in a binary of ten lines.
//!
//! ```no_run
//! use sagac_local::runner;
//!
//! fn main() -> std::process::ExitCode {
//!     // In a real runner: include_str!("../../spec/my.saga.yaml").
//!     let spec = std::fs::read_to_string("spec/my.saga.yaml").unwrap_or_default();
//!     runner::main(&spec, "spec/my.saga.yaml", |store, services| {
//!         // Seed `store` if the services need data, then add each
//!         // generated handler: `services.with(handler.config(), handler)`.
//!         let _ = store;
//!         services
//!     })
//! }
//! ```
//!
//! The binary takes `run [--input FILE] [--fail STATE[=KIND]]... [--format
//! text|json]` or `verify [--format text|json] [--junit FILE]`, the same as
//! `sagac run SPEC` and `sagac verify SPEC`, and exits the same way (0, 1,
//! or 2 for usage errors). Each run (and each verified path) gets a fresh
//! embedded store laid out as the spec's table, handed to `services` to
//! build the handlers over.

use std::process::ExitCode;
use std::sync::Arc;

use sagac_executor::target::Lambda;
use sagac_executor::{Status, TaskTarget};
use sagac_runtime::store::{MemoryStore, Store};
use serde_json::{Value, json};

use crate::Services;
use crate::spec::{FailureKind, Injection, LocalSaga, Report};
use crate::verify;

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    eprintln!(
        "usage: run [--input FILE] [--fail STATE[=KIND]]... [--format text|json]\n       verify [--format text|json] [--junit FILE]"
    );
    ExitCode::from(2)
}

/// The runner's `main`: compiles `spec` (its text; `name` for diagnostics),
/// reads the command line, and runs or verifies the saga with the handlers
/// `services` adds over each fresh store.
pub fn main<F>(spec: &str, name: &str, services: F) -> ExitCode
where
    F: for<'s> Fn(Arc<MemoryStore>, Services<'s>) -> Services<'s>,
{
    let args: Vec<String> = std::env::args().skip(1).collect();
    main_with(spec, name, &args, services)
}

/// [`main`] with explicit arguments (for tests).
pub fn main_with<F>(spec: &str, name: &str, args: &[String], services: F) -> ExitCode
where
    F: for<'s> Fn(Arc<MemoryStore>, Services<'s>) -> Services<'s>,
{
    let file = sagac_core::source::SourceFile::new(name, spec.to_owned());
    let saga = match sagac_core::compile(&file) {
        Ok(saga) => saga,
        Err(diagnostics) => {
            eprint!(
                "{}",
                sagac_core::diagnostic::render_with(&file, &diagnostics, false)
            );
            return ExitCode::from(1);
        }
    };
    let local = match LocalSaga::new(&saga) {
        Ok(local) => local,
        Err(e) => return usage(&e.to_string()),
    };
    let Some((command, rest)) = args.split_first() else {
        return usage("say `run` or `verify`");
    };
    let mut input: Option<Value> = None;
    let mut injections = Vec::new();
    let mut json_format = false;
    let mut junit: Option<String> = None;
    let mut i = 0;
    while i < rest.len() {
        let value = rest.get(i + 1).cloned();
        match (rest[i].as_str(), value) {
            ("--input", Some(path)) => match std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            {
                Ok(v) => input = Some(v),
                Err(e) => return usage(&format!("--input {path}: {e}")),
            },
            ("--fail", Some(fail)) => {
                let (state, kind) = fail.split_once('=').unwrap_or((&fail, "business"));
                let Some(kind) = FailureKind::parse(kind) else {
                    return usage(&format!("--fail {fail}: unknown kind"));
                };
                let injection = Injection {
                    state: state.to_owned(),
                    kind,
                };
                if let Err(e) = local.check(&injection) {
                    return usage(&format!("--fail {fail}: {e}"));
                }
                injections.push(injection);
            }
            ("--format", Some(format)) => match format.as_str() {
                "json" => json_format = true,
                "text" => json_format = false,
                other => return usage(&format!("--format {other}: text or json")),
            },
            ("--junit", Some(path)) => junit = Some(path),
            (other, _) => return usage(&format!("unexpected `{other}`")),
        }
        i += 2;
    }
    let target_over = |store: Arc<MemoryStore>| -> Box<dyn TaskTarget + '_> {
        let shared: Arc<dyn Store> = store.clone();
        Box::new(Lambda(services(store, Services::new(shared))))
    };
    match command.as_str() {
        "run" => {
            let store = local.store();
            let target = target_over(Arc::clone(&store));
            let input = input.unwrap_or_else(|| local.sample_input().clone());
            let report = sagac_executor::block_on(local.run(
                input,
                target.as_ref(),
                store.as_ref(),
                &injections,
                0,
            ));
            print_report(&report, json_format);
            if report.execution.status == Status::Succeeded {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        "verify" => {
            let outcomes = sagac_executor::block_on(verify::verify_with(&local, target_over));
            if json_format {
                let paths: Vec<Value> = outcomes
                    .iter()
                    .map(|o| json!({"path": o.path.name, "violations": o.violations, "reproduce": o.command(name)}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&paths).unwrap_or_default()
                );
            } else {
                print!("{}", verify::table(&outcomes));
            }
            if let Some(path) = junit
                && let Err(e) = std::fs::write(&path, verify::junit(&saga.name, name, &outcomes))
            {
                return usage(&format!("--junit {path}: {e}"));
            }
            if outcomes.iter().all(verify::Outcomes::ok) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        other => usage(&format!("unknown command `{other}`")),
    }
}

fn print_report(report: &Report, json_format: bool) {
    if json_format {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(report)).unwrap_or_default()
        );
    } else {
        print!("{}", render(report));
    }
}

/// The report as data: DescribeExecution's fields and GetExecutionHistory's
/// `events`, as AWS spells them, plus `rootItem` and `outboxEvents`.
pub fn to_json(report: &Report) -> Value {
    let mut value = serde_json::to_value(&report.execution).unwrap_or_default();
    if let Value::Object(map) = &mut value {
        map.insert(
            "rootItem".into(),
            report
                .root
                .clone()
                .map(Value::Object)
                .unwrap_or(Value::Null),
        );
        map.insert(
            "outboxEvents".into(),
            Value::Array(report.outbox.iter().cloned().map(Value::Object).collect()),
        );
    }
    value
}

/// The report as `sagac run` prints it: the history, then the root item
/// and the outbox events.
pub fn render(report: &Report) -> String {
    let mut text = sagac_executor::render::text(&report.execution);
    text.push_str(&format!(
        "root item: {}\n",
        report
            .root
            .as_ref()
            .map_or("(none)".to_owned(), |r| Value::Object(r.clone())
                .to_string())
    ));
    text.push_str(&format!("outbox events: {}\n", report.outbox.len()));
    for event in &report.outbox {
        text.push_str(&format!(
            "  {} {}\n",
            event
                .get("event_type")
                .and_then(Value::as_str)
                .unwrap_or("?"),
            event.get("event_id").and_then(Value::as_str).unwrap_or("?")
        ));
    }
    text
}
