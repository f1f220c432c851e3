//! Project and service skeletons: what `sagac init` and `sagac scaffold`
//! write.
//!
//! Human-facing files (Cargo manifests, READMEs, Rust skeletons, the CI
//! workflow) are minijinja templates embedded in the binary and rendered
//! with strict undefined behaviour, so a template that names a value the
//! context lacks fails instead of writing an empty string. Every Rust name
//! in them comes from the IR and the naming rules the Rust emitter uses
//! (`sagac_core::naming`, `sagac_core::emit::rust`), never restated here;
//! machine-facing documents (the generated outputs, the JSON Schema) are the
//! emitters' own.
//!
//! The crate is pure: it returns [`File`]s with relative paths and never
//! touches the file system (the CLI refuses to overwrite anything).
#![deny(missing_docs)]

mod context;
mod render;

use sagac_core::ir::Saga;
use sagac_core::locate;
use sagac_core::source::SourceFile;

pub use context::Sagac;

/// One file to write, relative to the directory it is generated into
/// (`/`-separated on every platform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Relative path.
    pub path: String,
    /// Contents.
    pub contents: String,
}

/// Why a skeleton could not be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The project name cannot name a saga and its crates.
    InvalidName(String),
    /// A service asked for is not one of the spec's.
    UnknownService {
        /// The name asked for.
        name: String,
        /// The spec's services.
        known: Vec<String>,
    },
    /// The starter spec did not compile (a bug of the template; the
    /// rendered diagnostics).
    Template(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::InvalidName(message) | Error::Template(message) => f.write_str(message),
            Error::UnknownService { name, known } => write!(
                f,
                "the spec has no service `{name}`; its services are {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The starter projects of `sagac init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// A small order saga: reserve stock, charge the customer; two services
    /// with real domain logic.
    Minimal,
    /// The reference travel booking saga (flight, hotel, payment); three
    /// services with real domain logic.
    Travel,
}

/// What `sagac init` generates.
#[derive(Debug, Clone)]
pub struct Init {
    /// The project's name (its directory name by default): kebab-case or
    /// snake_case, starting with a letter.
    pub name: String,
    /// The starter project.
    pub template: Template,
    /// How the project's manifests reach sagac's crates.
    pub sagac: Sagac,
}

/// A new project: its files, and the spec they are built from.
#[derive(Debug, Clone)]
pub struct Project {
    /// Every file but the generated outputs, sorted by path.
    pub files: Vec<File>,
    /// The starter spec's path in the project (`spec/<name>.saga.yaml`).
    pub spec_path: String,
    /// The compiled starter spec (for the generated outputs).
    pub saga: Saga,
}

/// The files of a new project.
///
/// # Errors
///
/// When the name cannot name a saga, or (a bug) the starter spec does not
/// compile.
pub fn init(options: &Init) -> Result<Project, Error> {
    render::init(options)
}

/// Where a service crate goes and what it refers to, as paths relative to
/// the project root.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The spec (`spec/ticket-sale.saga.yaml`).
    pub spec: String,
    /// The directory holding the service crates (`services`).
    pub services: String,
    /// The saga's generated outputs (`generated/ticket-sale`).
    pub generated: String,
}

/// `sagac scaffold`: one layered crate per service in `services` (every
/// service when empty), each action and compensation a stub that returns
/// `Saga.NotImplemented` naming its spec location. With `workspace_deps`
/// the manifests take sagac's crates from the workspace's
/// `[workspace.dependencies]`, else from `sagac`.
///
/// # Errors
///
/// When a service asked for is not one of the spec's.
pub fn scaffold(
    saga: &Saga,
    spec: &SourceFile,
    layout: &Layout,
    services: &[String],
    sagac: &Sagac,
    workspace_deps: bool,
) -> Result<Vec<File>, Error> {
    render::scaffold(
        saga,
        &locate::of(spec),
        layout,
        services,
        sagac,
        workspace_deps,
    )
}

/// A trait method the spec asks a service for: for an existing crate, the
/// list `sagac scaffold` prints of what it may not implement yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// The trait (`SeatingService`).
    pub trait_name: String,
    /// The method's signature, as it is implemented.
    pub signature: String,
    /// Where the spec declares the action (`spec/x.saga.yaml:57:13`).
    pub location: Option<String>,
    /// The method's name.
    pub name: String,
}

/// The trait methods of `service`, in spec order.
pub fn methods(saga: &Saga, spec: &SourceFile, service: &str) -> Vec<Method> {
    let at = locate::of(spec);
    saga.service(service)
        .map(|s| context::methods(s, &at))
        .unwrap_or_default()
}
