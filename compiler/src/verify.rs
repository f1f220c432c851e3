//! `sagac verify`: every failure path of a spec, run locally and checked
//! against the saga's invariants (`sagac_local::verify`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use sagac_local::spec::LocalSaga;
use sagac_local::verify;
use serde_json::json;

use crate::build::say;
use crate::run::RunFormat;
use crate::{FAILED, USAGE};

/// The arguments of `sagac verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The saga spec.
    pub spec: PathBuf,
    /// Output: the summary table, or the paths as JSON.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
    /// Also write the results as JUnit XML (for CI).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// Runs `sagac verify`.
pub fn run(args: &VerifyArgs) -> ExitCode {
    let saga = match crate::build::compile(&args.spec) {
        Ok(saga) => saga,
        Err(code) => return code,
    };
    let local = match LocalSaga::new(&saga) {
        Ok(local) => local,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let started = Instant::now();
    let outcomes = sagac_executor::block_on(verify::verify(&local));
    let elapsed = started.elapsed();
    let spec = args.spec.display().to_string();
    let violated: Vec<&verify::Outcomes> = outcomes.iter().filter(|o| !o.ok()).collect();
    match args.format {
        RunFormat::Text => {
            let mut text = verify::table(&outcomes);
            for o in &violated {
                text.push_str(&format!("\n{}:\n", o.path.name));
                for v in &o.violations {
                    text.push_str(&format!("  - {v}\n"));
                }
                text.push_str(&format!("  reproduce: {}\n", o.command(&spec)));
            }
            text.push_str(&format!(
                "\n{}: {} paths, {} violated, in {:.0} ms\n",
                saga.name,
                outcomes.len(),
                violated.len(),
                elapsed.as_secs_f64() * 1000.0
            ));
            say(&text);
        }
        RunFormat::Json => {
            let paths: Vec<_> = outcomes
                .iter()
                .map(|o| {
                    json!({
                        "path": o.path.name,
                        "expected": {"status": o.path.status, "event": o.path.event, "succeeds": o.path.succeeds},
                        "seen": {"status": o.status, "execution": o.execution.as_str(), "compensations": o.compensations},
                        "violations": o.violations,
                        "reproduce": o.command(&spec),
                    })
                })
                .collect();
            say(&format!(
                "{}\n",
                serde_json::to_string_pretty(&json!({"saga": saga.name, "paths": paths}))
                    .unwrap_or_default()
            ));
        }
    }
    if let Some(path) = &args.junit
        && let Err(code) = write_junit(path, &saga.name, &spec, &outcomes)
    {
        return code;
    }
    if violated.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FAILED)
    }
}

fn write_junit(
    path: &Path,
    saga: &str,
    spec: &str,
    outcomes: &[verify::Outcomes],
) -> Result<(), ExitCode> {
    std::fs::write(path, verify::junit(saga, spec, outcomes)).map_err(|e| {
        eprintln!("error: cannot write `{}`: {e}", path.display());
        ExitCode::from(USAGE)
    })
}
