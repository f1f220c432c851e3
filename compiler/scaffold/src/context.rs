//! The values templates are rendered with, derived from the IR.

use serde::Serialize;

use sagac_core::emit::cfn;
use sagac_core::emit::rust::output_text;
use sagac_core::ir::{Action, Saga, Service};
use sagac_core::locate::Locations;
use sagac_core::naming::{saga_module, service_snake};

use crate::{Layout, Method};

/// How a generated project's manifests reach sagac's crates
/// (`sagac-runtime`, `sagac-macros`, `sagac-local`, `sagac-executor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sagac {
    /// A git repository at a tag: works on any machine that can reach it,
    /// without sagac's sources.
    Git {
        /// The repository URL.
        url: String,
        /// The tag (`v0.1.0`).
        tag: String,
    },
    /// A local checkout of sagac (contributors, tests): the directory
    /// holding sagac's workspace `Cargo.toml`.
    Path(String),
}

impl Sagac {
    /// The repository and release this `sagac` was built from.
    pub fn release() -> Self {
        Sagac::Git {
            url: env!("CARGO_PKG_REPOSITORY").to_owned(),
            tag: format!("v{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The TOML value of the dependency on `krate`, which lives at `dir`
    /// in sagac's workspace.
    fn dependency(&self, dir: &str) -> String {
        match self {
            Sagac::Git { url, tag } => {
                format!("{{ git = {}, tag = {} }}", toml_str(url), toml_str(tag))
            }
            Sagac::Path(root) => {
                let root = root.trim_end_matches('/');
                format!("{{ path = {} }}", toml_str(&format!("{root}/{dir}")))
            }
        }
    }

    /// The four dependencies, as `name = value` lines.
    pub(crate) fn dependencies(&self) -> Vec<Dependency> {
        [
            ("sagac-runtime", "runtime"),
            ("sagac-macros", "macros"),
            ("sagac-executor", "runtime/executor"),
            ("sagac-local", "runtime/local"),
        ]
        .into_iter()
        .map(|(name, dir)| Dependency {
            name: name.to_owned(),
            value: self.dependency(dir),
        })
        .collect()
    }

    /// How the README describes the form.
    pub(crate) fn describe(&self) -> String {
        match self {
            Sagac::Git { url, tag } => format!("the git repository {url} at tag `{tag}`"),
            Sagac::Path(root) => format!("the sagac checkout at `{root}`"),
        }
    }
}

/// A TOML basic string.
pub(crate) fn toml_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One workspace dependency line.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Dependency {
    pub name: String,
    pub value: String,
}

/// The saga, as templates see it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SagaCtx {
    /// PascalCase name.
    pub name: String,
    /// kebab-case name.
    pub kebab: String,
    /// The module `saga!` expands into.
    pub module: String,
    /// The spec, relative to the project root.
    pub spec: String,
    /// The generated outputs, relative to the project root.
    pub generated: String,
    /// The services.
    pub services: Vec<ServiceCtx>,
    /// The field holding the saga id.
    pub id_field: String,
}

/// One service crate.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ServiceCtx {
    /// The spec's name (`seating`).
    pub name: String,
    /// The crate's name (the service's name).
    pub krate: String,
    /// The crate as a Rust path (`seating`, `credit_check`).
    pub lib: String,
    /// PascalCase (`Seating`): the service type.
    pub pascal: String,
    /// The generated trait.
    pub trait_name: String,
    /// The generated handler.
    pub handler: String,
    /// `dispatch_<service>`.
    pub dispatch: String,
    /// `serve_<service>`.
    pub serve: String,
    /// The Lambda binary `sagac package` looks for.
    pub binary: String,
    /// The description, one line.
    pub description: String,
    /// The crate directory, relative to the project root.
    pub dir: String,
    /// The spec, relative to the crate (the `saga!` argument).
    pub spec_from_crate: String,
    /// The service's sample invocations, relative to the crate.
    pub events_from_crate: String,
    /// Where the spec declares it.
    pub location: String,
    /// Its actions and compensations, in spec order.
    pub actions: Vec<ActionCtx>,
    /// What `application.rs` imports from the generated module, sorted.
    pub imports: Vec<String>,
    /// Whether its manifest takes sagac's crates from the workspace.
    pub workspace_deps: bool,
    /// The dependency values when it does not.
    pub dependencies: Vec<Dependency>,
}

/// One trait method.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ActionCtx {
    pub method: String,
    pub state: String,
    pub command: String,
    pub error: String,
    pub output: String,
    pub compensation: bool,
    pub step: String,
    /// `file:line:column` of its `action:` in the spec.
    pub location: String,
    /// What it is, in words: "the step `HoldSeats`".
    pub what: String,
    pub errors: Vec<String>,
    pub emits: Option<String>,
    pub result: Option<String>,
    /// The message of its stub's `Saga.NotImplemented`.
    pub stub_message: String,
}

/// `../..` from `dir` (a relative, normalised directory) back to the root.
pub(crate) fn up(dir: &str) -> String {
    let depth = dir
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .count();
    vec![".."; depth].join("/")
}

fn action_ctx(service: &Service, action: &Action, at: &Locations, dir: &str) -> ActionCtx {
    let location = at
        .action(&service.name, &action.name)
        .map(ToString::to_string)
        .unwrap_or_default();
    let what = if action.compensation {
        format!("the compensation `{}` of `{}`", action.state, action.step)
    } else {
        format!("the step `{}`", action.state)
    };
    ActionCtx {
        method: action.name.clone(),
        state: action.state.clone(),
        command: format!("{}Command", action.state),
        error: format!("{}Error", action.state),
        output: output_text(action),
        compensation: action.compensation,
        step: action.step.clone(),
        stub_message: format!(
            "`{}` ({what}, declared at {location}) is not implemented yet: replace its stub in {dir}/src/application.rs",
            action.name
        ),
        location,
        what,
        errors: action.errors.clone(),
        emits: action.emits.clone(),
        result: action.result.clone(),
    }
}

pub(crate) fn saga_ctx(
    saga: &Saga,
    at: &Locations,
    layout: &Layout,
    sagac: &Sagac,
    workspace_deps: bool,
) -> SagaCtx {
    SagaCtx {
        name: saga.name.clone(),
        kebab: saga.kebab.clone(),
        module: saga_module(saga),
        spec: layout.spec.clone(),
        generated: layout.generated.clone(),
        id_field: saga.root.id_field.clone(),
        services: saga
            .services
            .iter()
            .map(|s| service_ctx(saga, s, at, layout, sagac, workspace_deps))
            .collect(),
    }
}

fn service_ctx(
    saga: &Saga,
    service: &Service,
    at: &Locations,
    layout: &Layout,
    sagac: &Sagac,
    workspace_deps: bool,
) -> ServiceCtx {
    let snake = service_snake(&service.name);
    let dir = format!("{}/{}", layout.services.trim_end_matches('/'), service.name);
    let back = up(&dir);
    let binary = cfn::artifacts(saga)
        .into_iter()
        .find(|a| a.prefix == service.name)
        .map_or_else(|| service.name.clone(), |a| a.binary);
    let actions: Vec<ActionCtx> = service
        .actions
        .iter()
        .map(|a| action_ctx(service, a, at, &dir))
        .collect();
    let trait_name = format!("{}Service", service.pascal);
    let mut imports: Vec<String> = vec![trait_name.clone()];
    for action in &actions {
        imports.push(action.command.clone());
        imports.push(action.error.clone());
        imports.extend(action.result.clone());
    }
    imports.sort();
    imports.dedup();
    ServiceCtx {
        name: service.name.clone(),
        krate: service.name.clone(),
        lib: snake.clone(),
        pascal: service.pascal.clone(),
        handler: format!("{}Handler", service.pascal),
        dispatch: format!("dispatch_{snake}"),
        serve: format!("serve_{snake}"),
        binary,
        description: service
            .description
            .as_deref()
            .map(|d| {
                d.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim_end_matches('.')
                    .to_owned()
            })
            .unwrap_or_default(),
        spec_from_crate: format!("{back}/{}", layout.spec),
        events_from_crate: format!("{back}/{}/events/{}", layout.generated, service.name),
        location: at
            .service(&service.name)
            .map(ToString::to_string)
            .unwrap_or_default(),
        dir,
        actions,
        imports,
        trait_name,
        workspace_deps,
        dependencies: sagac.dependencies(),
    }
}

/// The trait methods of a service.
pub(crate) fn methods(service: &Service, at: &Locations) -> Vec<Method> {
    service
        .actions
        .iter()
        .map(|action| Method {
            trait_name: format!("{}Service", service.pascal),
            signature: format!(
                "async fn {}(&self, command: {}Command) -> Result<{}, {}Error>",
                action.name,
                action.state,
                output_text(action),
                action.state
            ),
            location: at
                .action(&service.name, &action.name)
                .map(ToString::to_string),
            name: action.name.clone(),
        })
        .collect()
}
