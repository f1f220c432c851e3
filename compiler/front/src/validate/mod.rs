//! Semantic validation: the decoded spec is checked as a whole and lowered
//! into the [`ir`](crate::ir).
//!
//! Every check reports into one list and carries on, so the author sees every
//! problem at once. Positions come from the spanned YAML tree: each check
//! names the path of what it looks at, and the path is resolved to a span
//! only when a diagnostic is actually raised.

// `p!` builds owned paths: some are stored (first definitions of names),
// most are only borrowed, and one macro for both keeps call sites uniform.
#![allow(clippy::useless_vec)]

use std::collections::BTreeMap;

use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::ir;
use crate::naming::split_pascal;
use crate::source::Span;
use crate::yaml::{Node, Segment, lookup};
use names::is_pascal;

/// A path into the spec, built with [`p!`].
type Path = Vec<Segment>;

impl From<&str> for Segment {
    fn from(key: &str) -> Self {
        Segment::Key(key.to_owned())
    }
}

impl From<&String> for Segment {
    fn from(key: &String) -> Self {
        Segment::Key(key.clone())
    }
}

impl From<usize> for Segment {
    fn from(index: usize) -> Self {
        Segment::Index(index)
    }
}

macro_rules! p {
    ($($seg:expr),* $(,)?) => { vec![$(Segment::from($seg)),*] };
}

// One module per concern; each adds its checks to [`Checker`]. The order in
// which [`Checker::saga`] calls them is the order of the diagnostics before
// sorting.
mod api;
mod deployment;
mod fields;
mod inputs;
mod keys;
mod names;
mod read_side;
mod steps;

pub use deployment::{DATADOG_SITES, LOG_RETENTION_DAYS};
pub use keys::{DEFAULT_PIVOT_UNKNOWN, DEFAULT_RETRIES_EXHAUSTED, parse_key_template};

fn join(base: &Path, more: Path) -> Path {
    let mut path = base.clone();
    path.extend(more);
    path
}

/// Validates `spec` (decoded from `root`) and lowers it into the IR.
pub fn validate(spec: &ast::Spec, root: &Node) -> Result<ir::Saga, Vec<Diagnostic>> {
    let mut checker = Checker {
        root,
        diagnostics: Vec::new(),
        states: BTreeMap::new(),
    };
    let saga = checker.saga(spec);
    if checker.diagnostics.is_empty() {
        Ok(saga)
    } else {
        Err(checker.diagnostics)
    }
}

struct Checker<'a> {
    root: &'a Node,
    diagnostics: Vec<Diagnostic>,
    /// Where each state name (step, compensation, group) is written.
    states: BTreeMap<String, Span>,
}

impl Checker<'_> {
    fn span(&self, path: &[Segment]) -> Span {
        lookup(self.root, path).0.span
    }

    fn key_span(&self, path: &[Segment]) -> Span {
        let (node, key, exists) = lookup(self.root, path);
        match (exists, key) {
            (true, Some(key)) => key,
            _ => node.span,
        }
    }

    /// Where a name is written: the key when the name is a mapping key
    /// (services, entities, fields...), else the value.
    fn name_span(&self, name: &str, path: &[Segment]) -> Span {
        match path.last() {
            Some(Segment::Key(key)) if key == name => self.key_span(path),
            _ => self.span(path),
        }
    }

    /// A short place to point at for a whole step or compensation: its
    /// `name:` value when written, else the key that holds it (a whole block
    /// would render as many lines).
    fn anchor_span(&self, base: &[Segment]) -> Span {
        let name = join(&base.to_vec(), p!["name"]);
        if lookup(self.root, &name).2 {
            self.span(&name)
        } else {
            self.key_span(base)
        }
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn unknown(&mut self, code: Code, path: &[Segment], what: &str, name: &str, known: &[&str]) {
        let diagnostic = Diagnostic::new(code, self.span(path), format!("unknown {what} `{name}`"))
            .label(format!("no {what} named `{name}`"))
            .maybe_help(did_you_mean(name, what, known.iter().copied()));
        self.error(diagnostic);
    }

    fn duration(&mut self, value: &ast::Duration, path: &[Segment]) -> Option<u64> {
        match value.millis() {
            Some(ms) => Some(ms),
            None => {
                let diagnostic = Diagnostic::new(
                    Code::InvalidDuration,
                    self.span(path),
                    format!("`{}` is not a valid duration", value.0),
                )
                .label("expected a duration such as `30s`, `5m` or `7d`");
                self.error(diagnostic);
                None
            }
        }
    }

    /// A duration in whole seconds within `min..=max` seconds.
    fn seconds(
        &mut self,
        value: Option<&ast::Duration>,
        default: u64,
        path: &[Segment],
        what: &str,
        (min, max): (u64, u64),
    ) -> u64 {
        let Some(value) = value else { return default };
        let Some(ms) = self.duration(value, path) else {
            return default;
        };
        if ms % 1000 != 0 || ms / 1000 < min || ms / 1000 > max {
            let diagnostic = Diagnostic::new(
                Code::DurationRange,
                self.span(path),
                format!(
                    "{what} must be whole seconds between {} and {}, found `{}`",
                    human(min),
                    human(max),
                    value.0
                ),
            )
            .label("out of range");
            self.error(diagnostic);
            return default;
        }
        ms / 1000
    }

    fn saga(&mut self, spec: &ast::Spec) -> ir::Saga {
        if spec.sagac != 1 {
            let diagnostic = Diagnostic::new(
                Code::UnsupportedVersion,
                self.span(&p!["sagac"]),
                format!("spec language version {} is not supported", spec.sagac),
            )
            .label("expected `1`")
            .help("this compiler reads `sagac: 1`");
            self.error(diagnostic);
        }
        // Its length is a matter of the names built from it (S077).
        self.name(
            &spec.name,
            &p!["name"],
            Code::InvalidSagaName,
            is_pascal(&spec.name),
            "saga name (PascalCase)",
        );

        let workflow = match spec.workflow {
            ast::Workflow::Standard => ir::Workflow::Standard,
            ast::Workflow::Express => ir::Workflow::Express,
        };
        let (default_timeout, max_timeout) = match workflow {
            ir::Workflow::Standard => (3600, 365 * 86400),
            ir::Workflow::Express => (300, 300),
        };
        let timeout_seconds = self.seconds(
            spec.timeout.as_ref(),
            default_timeout,
            &p!["timeout"],
            "the saga timeout",
            (1, max_timeout),
        );

        let table = self.table(&spec.table);
        let entities = self.entities(spec, &table);
        let root = self.root(spec, &entities);
        let entities = entities
            .into_iter()
            .map(|mut e| {
                e.is_root = e.name == root.entity;
                e
            })
            .collect::<Vec<_>>();
        let outbox = self.outbox(spec, &entities);
        let events = self.events(spec, &entities);
        let request = self.fields(&spec.request, &p!["request"]);
        if !spec.request.contains_key(&spec.root.id) {
            let diagnostic = Diagnostic::new(
                Code::UnknownField,
                self.span(&p!["root", "id"]),
                format!(
                    "the saga id `{}` is not a field of the request",
                    spec.root.id
                ),
            )
            .label("not in `request:`")
            .help("the start request must carry the saga id; add it to `request:`");
            self.error(diagnostic);
        }
        let mut services = self.services(spec);
        let mut stages = self.stages(
            spec,
            workflow,
            timeout_seconds,
            &mut services,
            &entities,
            &events,
        );
        let root_pk = entities
            .iter()
            .find(|e| e.name == root.entity)
            .map(|e| &e.pk);
        self.inputs(
            spec,
            &request,
            root_pk,
            &entities,
            &mut stages,
            &mut services,
        );
        let views = self.views(spec, &entities);
        let request = self.request_bounds(request, &entities, &views, &spec.root.id, &stages);
        let api = spec.api.as_ref().map(|api| self.api(api, &views));
        let deployment = self.deployment(&spec.deployment);
        let observability = self.observability(&spec.observability);

        let saga = ir::Saga {
            kebab: split_pascal(&spec.name, '-'),
            snake: split_pascal(&spec.name, '_'),
            name: spec.name.clone(),
            description: spec.description.clone(),
            workflow,
            timeout_seconds,
            root,
            table,
            entities,
            outbox,
            events,
            services,
            request,
            stages,
            views,
            api,
            deployment,
            observability,
        };
        self.physical_names(&saga);
        self.rust_names(&saga);
        saga
    }
}

fn human(seconds: u64) -> String {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
