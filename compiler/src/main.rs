//! `sagac`: the command-line front end of the saga compiler.
//!
//! This binary is thin on purpose: it reads files, calls `sagac-core`, writes
//! what the core returns and maps outcomes to exit codes (0 success, 1 the
//! spec or the check failed, 2 usage or I/O error).

mod aws;
mod build;
mod deploy;
mod init;
mod package;
mod run;
mod verify;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sagac_core::codes::Code;
use sagac_core::diagnostic;

#[derive(Parser)]
#[command(
    name = "sagac",
    version,
    about = "Compile declarative saga specs to Step Functions, CloudFormation and Rust"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new project that works before anyone edits it.
    ///
    /// A Cargo workspace with a starter spec (and its JSON Schema), one
    /// layered crate per service with tests, `local/` (the saga with the
    /// real services in process), `generated/` built, a README, a
    /// .gitignore and a GitHub Actions workflow. Refuses a non-empty
    /// directory unless --existing; never overwrites a file.
    Init(init::InitArgs),
    /// Write the crate of every service of a spec that has none yet.
    ///
    /// Each crate is layered (handlers, application, domain, adapters) with
    /// one stub per action and compensation implementing the generated
    /// trait (it returns `Saga.NotImplemented` naming its spec location)
    /// and one test per action. For a service whose crate exists it writes
    /// nothing and lists the trait methods the spec asks for that the crate
    /// does not define (exit 1 when there are any).
    Scaffold(init::ScaffoldArgs),
    /// Validate specs and report every problem.
    Check {
        /// Spec files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format of diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the long explanation of a diagnostic code.
    Explain {
        /// A code such as S020.
        code: String,
    },
    /// Print the JSON Schema of the spec language.
    Schema,
    /// Compile a spec into its output directory (state machine, mock
    /// configuration, sample events, diagrams, stack). Writes only the files
    /// whose contents changed and removes the files it wrote before that are
    /// no longer produced.
    Build {
        /// The spec file.
        spec: PathBuf,
        /// Output directory [default: generated/<saga-kebab>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write nothing; exit 1 naming every stale, missing or extra file.
        #[arg(long)]
        check: bool,
    },
    /// Print the Mermaid flowchart of a spec's state machine.
    Graph {
        /// The spec file.
        spec: PathBuf,
    },
    /// Execute a state machine locally, on a virtual clock.
    ///
    /// Tasks are answered from an AWS Step Functions Local mock
    /// configuration; prints the execution history, then the status and
    /// output. Exit 0 when the execution succeeds, 1 when it fails or times
    /// out, 2 for usage errors.
    Run(run::RunArgs),
    /// Run every failure path of a spec locally and check the saga's
    /// invariants.
    ///
    /// Every step failing with each business error, ambiguously and
    /// transiently; every compensation failing; every task delivered twice.
    /// Checks the terminal status, the compensations (exactly the completed
    /// steps', in reverse order) and the single outcome event. Prints a
    /// table (or JSON), optionally JUnit XML; exit 1 on any violation, with
    /// the `sagac run` command that reproduces it.
    Verify(verify::VerifyArgs),
    /// Build every function of a saga's stack as a Lambda package.
    ///
    /// Each function (every service, the outbox dispatcher, the projector)
    /// is the cargo binary named after it, built for provided.al2023 on the
    /// spec's architecture, checked (ELF for that architecture, glibc <=
    /// 2.34) and zipped reproducibly as `bootstrap` into
    /// `<out>/<function>/bootstrap.zip`. Prints each zip's size and SHA-256
    /// and writes the template's code key parameters to
    /// `<out>/<saga>.template-config.json`.
    Package(package::PackageArgs),
    /// Deploy a packaged saga to its CloudFormation stack.
    ///
    /// Uploads the packages (skipping keys already there), creates a change
    /// set, shows its changes, asks (unless --yes), executes it and follows
    /// the stack events until the stack settles; prints the outputs, or each
    /// failed resource with its reason (exit 1). The AWS SDK's standard
    /// configuration applies (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL*).
    Deploy(deploy::DeployArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Exit code when a spec is invalid or a check failed.
pub(crate) const FAILED: u8 = 1;
/// Exit code for usage and I/O errors.
pub(crate) const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { USAGE } else { 0 });
        }
    };
    match cli.command {
        Command::Init(args) => init::init(&args),
        Command::Scaffold(args) => init::scaffold(&args),
        Command::Check { files, format } => check(&files, format),
        Command::Explain { code } => explain(&code),
        Command::Build { spec, out, check } => build::build(&spec, out.as_deref(), check),
        Command::Graph { spec } => build::graph(&spec),
        Command::Run(args) => run::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Package(args) => package::run(&args),
        Command::Deploy(args) => deploy::run(&args),
        Command::Schema => {
            let schema = sagac_core::ast::schema();
            build::say(&format!(
                "{}\n",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            ));
            ExitCode::SUCCESS
        }
    }
}

pub(crate) fn read(path: &std::path::Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|error| {
        eprintln!("error: cannot read `{}`: {error}", path.display());
        ExitCode::from(USAGE)
    })
}

fn check(files: &[PathBuf], format: Format) -> ExitCode {
    let mut failed = false;
    let mut json = Vec::new();
    let colour = std::io::stderr().is_terminal();
    for path in files {
        let bytes = match read(path) {
            Ok(bytes) => bytes,
            Err(code) => return code,
        };
        let name = path.display().to_string();
        match sagac_core::compile_bytes(&name, &bytes) {
            Ok(saga) => {
                if matches!(format, Format::Human) {
                    eprintln!(
                        "{name}: ok ({} steps, {} services, {} entities)",
                        saga.steps().count(),
                        saga.services.len(),
                        saga.entities.len()
                    );
                }
            }
            Err((file, diagnostics)) => {
                failed = true;
                match format {
                    Format::Human => {
                        eprint!("{}", diagnostic::render_with(&file, &diagnostics, colour));
                        eprintln!(
                            "error: {name}: {} problem{} found",
                            diagnostics.len(),
                            if diagnostics.len() == 1 { "" } else { "s" }
                        );
                    }
                    Format::Json => json.extend(diagnostic::to_json(&file, &diagnostics)),
                }
            }
        }
    }
    if matches!(format, Format::Json) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    }
    if failed {
        ExitCode::from(FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(code: &str) -> ExitCode {
    match Code::parse(code) {
        Some(code) => {
            build::say(&format!(
                "{}: {}\n\n{}\n",
                code.as_str(),
                code.title(),
                code.explanation()
            ));
            ExitCode::SUCCESS
        }
        None => {
            let first = Code::ALL.first().map_or("", |c| c.as_str());
            let last = Code::ALL.last().map_or("", |c| c.as_str());
            eprintln!(
                "error: unknown code `{code}`; codes are {first} to {last}, see `sagac explain S020`"
            );
            ExitCode::from(USAGE)
        }
    }
}
