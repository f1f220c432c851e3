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
use crate::naming::{self, MAX_STATE_NAME, RESERVED_STATES, split_pascal, to_pascal};
use crate::source::Span;
use crate::yaml::{Node, Segment, lookup};

mod inputs;

/// The status of `root.on_pivot_unknown` when the spec does not set it.
pub const DEFAULT_PIVOT_UNKNOWN: &str = "PIVOT_UNKNOWN";
/// The status of `root.on_retries_exhausted` when the spec does not set it.
pub const DEFAULT_RETRIES_EXHAUSTED: &str = "RETRIES_EXHAUSTED";

/// The Datadog sites.
pub const DATADOG_SITES: &[&str] = &[
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "ddog-gov.com",
];

/// Retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

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

fn is_pascal(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

fn is_snake(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__")
        && !RUST_KEYWORDS.contains(&name)
}

/// A DynamoDB table name's characters and its shortest length; how long it
/// may be depends on the environment suffix (S077).
fn is_table_name(name: &str) -> bool {
    name.len() >= 3
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn is_upper_snake(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Parses a key template such as `TRIP#{trip_id}`.
pub fn parse_key_template(text: &str) -> Result<ir::KeyTemplate, String> {
    let mut parts = Vec::new();
    let mut rest = text;
    if text.is_empty() {
        return Err("a key template cannot be empty".into());
    }
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                parts.push(ir::KeyPart::Literal(rest.to_owned()));
                break;
            }
            Some(at) if rest.as_bytes()[at] == b'}' => {
                return Err("`}` without a matching `{`".into());
            }
            Some(at) => {
                if at > 0 {
                    parts.push(ir::KeyPart::Literal(rest[..at].to_owned()));
                }
                let after = &rest[at + 1..];
                let close = after.find('}').ok_or("`{` is never closed")?;
                let name = &after[..close];
                if name.is_empty() {
                    return Err("empty placeholder `{}`".into());
                }
                if name.contains('{') {
                    return Err("placeholders cannot nest".into());
                }
                if matches!(parts.last(), Some(ir::KeyPart::Field(_))) {
                    return Err(
                        "two placeholders in a row; separate them with literal text such as `#`"
                            .into(),
                    );
                }
                parts.push(ir::KeyPart::Field(name.to_owned()));
                rest = &after[close + 1..];
            }
        }
    }
    Ok(ir::KeyTemplate { parts })
}

/// Whether two key templates can produce the same key.
fn may_overlap(a: &ir::KeyTemplate, b: &ir::KeyTemplate) -> bool {
    let text = |t: &ir::KeyTemplate| t.to_string();
    match (a.is_constant(), b.is_constant()) {
        (true, true) => text(a) == text(b),
        (true, false) => text(a).starts_with(b.prefix()),
        (false, true) => text(b).starts_with(a.prefix()),
        (false, false) => a.prefix().starts_with(b.prefix()) || b.prefix().starts_with(a.prefix()),
    }
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

    fn name(&mut self, name: &str, path: &[Segment], code: Code, ok: bool, expected: &str) {
        if !ok {
            let diagnostic = Diagnostic::new(
                code,
                self.name_span(name, path),
                format!("`{name}` is not a valid {expected}"),
            )
            .label(format!("expected {expected}"));
            self.error(diagnostic);
        }
    }

    fn identifier(&mut self, name: &str, path: &[Segment], pascal: bool) {
        let ok = if pascal {
            is_pascal(name) && !RUST_KEYWORDS.contains(&name)
        } else {
            is_snake(name)
        };
        if !ok {
            let (expected, suggestion) = if pascal {
                ("a PascalCase name", to_pascal(name))
            } else {
                (
                    "a snake_case name",
                    split_pascal(name, '_').replace('-', "_"),
                )
            };
            let suggestion = if RUST_KEYWORDS.contains(&name) {
                format!("`{name}` is a Rust keyword; choose another name")
            } else {
                format!("write it as `{suggestion}`")
            };
            let message = if RUST_KEYWORDS.contains(&name) {
                format!("`{name}` is a Rust keyword, which cannot be used as a name")
            } else {
                format!("`{name}` is not {expected}")
            };
            let diagnostic =
                Diagnostic::new(Code::InvalidIdentifier, self.name_span(name, path), message)
                    .label(format!("expected {expected}"))
                    .help(suggestion);
            self.error(diagnostic);
        }
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

    /// Every AWS name built from spec names fits its limit with the longest
    /// environment name (the rule lives in [`naming`]; S077).
    fn physical_names(&mut self, saga: &ir::Saga) {
        // One diagnostic per spec name: the name it makes longest.
        let mut worst: BTreeMap<naming::Origin, naming::PhysicalName> = BTreeMap::new();
        for name in naming::physical_names(saga) {
            if name.excess() == 0 {
                continue;
            }
            match worst.get(&name.origin) {
                Some(seen) if seen.excess() >= name.excess() => {}
                _ => {
                    worst.insert(name.origin.clone(), name);
                }
            }
        }
        // Names of services and views start with the saga's: once the saga
        // name is short enough for its own names, most of theirs fit too.
        // Report only those that still would not, so that a long saga name
        // is one diagnostic, not one per service.
        let saga_excess = worst.get(&naming::Origin::Saga).map_or(0, |n| n.excess());
        for (origin, name) in worst {
            let carries_saga =
                matches!(origin, naming::Origin::Service(_) | naming::Origin::View(_));
            if carries_saga && name.excess() <= saga_excess {
                continue;
            }
            let (span, what, label) = match &origin {
                naming::Origin::Saga => (
                    self.span(&p!["name"]),
                    "the saga name".to_owned(),
                    "too long for the names built from it",
                ),
                naming::Origin::Service(service) => (
                    self.key_span(&p!["services", service]),
                    format!("the service name `{service}` or the saga name"),
                    "too long together with the saga name",
                ),
                naming::Origin::View(view) => (
                    self.key_span(&p!["views", view]),
                    format!("the view name `{view}` or the saga name"),
                    "too long together with the saga name",
                ),
                naming::Origin::Table => (
                    self.span(&p!["table", "name"]),
                    "the table name".to_owned(),
                    "too long with the environment suffix",
                ),
                naming::Origin::ViewTable(view) => (
                    self.span(&p!["views", view, "table"]),
                    "the table name".to_owned(),
                    "too long with the environment suffix",
                ),
                naming::Origin::Bus => (
                    self.span(&p!["outbox", "bus"]),
                    "the bus name".to_owned(),
                    "too long with the environment suffix",
                ),
            };
            let excess = name.excess();
            let mut diagnostic = Diagnostic::new(
                Code::NameTooLong,
                span,
                format!(
                    "the {} `{}` can be {} characters long; {} allows {}",
                    name.resource.what(),
                    name.sub(),
                    name.longest(),
                    name.resource.service(),
                    name.resource.limit()
                ),
            )
            .label(label)
            .help(format!(
                "shorten {what} by {excess} character{}: the name is `{}`, a dash and an environment name of up to {} characters",
                if excess == 1 { "" } else { "s" },
                name.stem,
                naming::ENVIRONMENT_MAX
            ));
            if matches!(origin, naming::Origin::Service(_) | naming::Origin::View(_)) {
                diagnostic = diagnostic.note(
                    self.span(&p!["name"]),
                    format!("every function name starts with `{}-`", saga.kebab),
                );
            }
            self.error(diagnostic);
        }
    }

    /// No two spec names become the same Rust name in the `saga!` expansion
    /// (the names are listed in [`naming`]; S033).
    fn rust_names(&mut self, saga: &ir::Saga) {
        let mut groups = vec![(None, naming::rust_items(saga))];
        groups.extend(
            naming::rust_members(saga)
                .into_iter()
                .map(|(ty, names)| (Some(ty), names)),
        );
        let mut reported = std::collections::BTreeSet::new();
        for (ty, names) in groups {
            let mut seen: BTreeMap<String, naming::RustOwner> = BTreeMap::new();
            for item in names {
                let Some(first) = seen.get(&item.name) else {
                    seen.insert(item.name, item.owner);
                    continue;
                };
                if first == &item.owner
                    || !reported.insert((first.describe(), item.owner.describe()))
                {
                    continue;
                }
                let rust = match &ty {
                    Some(ty) => format!("`{ty}::{}`", item.name),
                    None => format!("the Rust item `{}`", item.name),
                };
                let span = self.rust_owner_span(&item.owner);
                let mut diagnostic = Diagnostic::new(
                    Code::RustNameCollision,
                    span,
                    format!(
                        "{} and {} would both be {rust}",
                        first.describe(),
                        item.owner.describe()
                    ),
                )
                .label(format!("generates `{}` again", item.name))
                .help("rename one of them: the `saga!` expansion could not compile");
                if let Some(first_span) = self.rust_owner_span(first) {
                    diagnostic =
                        diagnostic.note(first_span, format!("{} is here", first.describe()));
                }
                self.error(diagnostic);
            }
        }
    }

    fn rust_owner_span(&self, owner: &naming::RustOwner) -> Option<Span> {
        use naming::RustOwner as O;
        match owner {
            O::ValueType(_) => None,
            O::Request => Some(self.span(&p!["name"])),
            O::InputField(name) => Some(self.key_span(&p!["request", name])),
            O::Entity(name) => Some(self.key_span(&p!["entities", name])),
            O::Event(name) => Some(self.key_span(&p!["events", name])),
            O::Service(name) => Some(self.key_span(&p!["services", name])),
            O::EntityIndex { entity, index } => {
                Some(self.key_span(&p!["entities", entity, "indexes", index]))
            }
            O::State(state) | O::ResultsField(state) => self.states.get(state).copied(),
        }
    }

    fn table(&mut self, table: &ast::Table) -> ir::Table {
        let valid_table = |n: &str| {
            (3..=255).contains(&n.len())
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        // A table's upper length limit depends on the environment suffix
        // it is deployed with (S077).
        self.name(
            &table.name,
            &p!["table", "name"],
            Code::InvalidTableName,
            is_table_name(&table.name),
            "DynamoDB table name",
        );
        let mut indexes = Vec::new();
        for (name, keys) in &table.indexes {
            self.name(
                name,
                &p!["table", "indexes", name],
                Code::InvalidTableName,
                valid_table(name),
                "DynamoDB index name",
            );
            indexes.push(ir::Index {
                name: name.clone(),
                pk: keys.pk.clone(),
                sk: keys.sk.clone(),
            });
        }
        ir::Table {
            name: table.name.clone(),
            pk: table.pk.clone(),
            sk: table.sk.clone(),
            indexes,
            ttl: table.ttl.clone(),
            stream: match table.stream {
                ast::StreamView::NewAndOldImages => ir::StreamView::NewAndOldImages,
                ast::StreamView::NewImage => ir::StreamView::NewImage,
            },
        }
    }

    fn fields(
        &mut self,
        fields: &indexmap::IndexMap<String, ast::Field>,
        base: &Path,
    ) -> Vec<ir::Field> {
        let mut out = Vec::new();
        for (name, field) in fields {
            let path = join(base, p![name]);
            self.identifier(name, &path, false);
            let (ty, detail) = match field {
                ast::Field::Short(ty) => (ty, None),
                ast::Field::Detailed(detail) => (&detail.ty, Some(detail)),
            };
            let optional = ty.0.ends_with('?') || detail.is_some_and(|d| d.optional);
            let ty = match ty.0.trim_end_matches('?') {
                "int" => ir::FieldType::Int,
                "decimal" => ir::FieldType::Decimal,
                "bool" => ir::FieldType::Bool,
                "date" => ir::FieldType::Date,
                "timestamp" => ir::FieldType::Timestamp,
                _ => ir::FieldType::String,
            };
            let mut field = ir::Field {
                name: name.clone(),
                ty,
                optional,
                pattern: None,
                min: None,
                max: None,
                one_of: Vec::new(),
                max_length: None,
                max_bytes: None,
                example: None,
                description: None,
            };
            if let Some(detail) = detail {
                let numeric = matches!(ty, ir::FieldType::Int | ir::FieldType::Decimal);
                let textual = ty == ir::FieldType::String;
                let misuse = |key: &str, ok: bool, expected: &str, this: &mut Self| {
                    if !ok {
                        let diagnostic = Diagnostic::new(
                            Code::InvalidValue,
                            this.key_span(&join(&path, p![key])),
                            format!("`{key}` does not apply to a field of type `{}`", ty.name()),
                        )
                        .label(format!("only for {expected} fields"));
                        this.error(diagnostic);
                    }
                };
                misuse(
                    "pattern",
                    detail.pattern.is_none() || textual,
                    "string",
                    self,
                );
                misuse("enum", detail.one_of.is_none() || textual, "string", self);
                misuse(
                    "min",
                    detail.min.is_none() || numeric,
                    "int and decimal",
                    self,
                );
                misuse(
                    "max",
                    detail.max.is_none() || numeric,
                    "int and decimal",
                    self,
                );
                if let Some(pattern) = detail.pattern.as_deref().filter(|_| textual) {
                    self.pattern(pattern, &join(&path, p!["pattern"]));
                }
                if let (Some(min), Some(max)) = (detail.min, detail.max)
                    && min > max
                {
                    let diagnostic = Diagnostic::new(
                        Code::InvalidValue,
                        self.span(&join(&path, p!["max"])),
                        format!("`max` ({max}) is smaller than `min` ({min})"),
                    )
                    .label("smaller than min");
                    self.error(diagnostic);
                }
                misuse(
                    "max_length",
                    detail.max_length.is_none() || textual,
                    "string",
                    self,
                );
                misuse(
                    "max_bytes",
                    detail.max_bytes.is_none() || textual,
                    "string",
                    self,
                );
                field.pattern = detail.pattern.clone();
                field.min = detail.min;
                field.max = detail.max;
                field.one_of = detail.one_of.clone().unwrap_or_default();
                field.max_bytes = detail.max_bytes.filter(|_| textual);
                // The spec's character bound, tightened by its byte bound
                // (a character may take up to 4 bytes unless the pattern
                // confines the value to ASCII).
                field.max_length = detail.max_length.filter(|_| textual);
                if let Some(bytes) = field.max_bytes {
                    let chars = bytes / crate::bounds::bytes_per_char(&field);
                    field.max_length = Some(field.max_length.map_or(chars, |c| c.min(chars)));
                }
                field.description = detail.description.clone();
                if let Some(example) = &detail.example {
                    let example_path = join(&path, p!["example"]);
                    match example_problem(&field, &example.0) {
                        None => field.example = Some(example.0.clone()),
                        Some(why) => {
                            let diagnostic = Diagnostic::new(
                                Code::InvalidExample,
                                self.span(&example_path),
                                format!("the example of `{name}` is not a valid {}: {why}", field.ty.name()),
                            )
                            .label(why)
                            .help("an example must pass the same checks as a real value: the field's type, pattern, enum, min/max and length bounds");
                            self.error(diagnostic);
                        }
                    }
                }
            }
            out.push(field);
        }
        out
    }

    /// A field's `pattern` must be a regular expression in the dialect of
    /// JSON Schema and API Gateway request models: ECMA 262. It is checked
    /// with the syntax check of the `jsonschema` crate (ECMA 262 under the
    /// `u` flag, plus identity escapes of punctuation).
    fn pattern(&mut self, pattern: &str, path: &[Segment]) {
        if jsonschema_regex::is_valid_ecma_regex(pattern) {
            return;
        }
        // The ECMA check says only yes or no; the Rust regex parser, whose
        // syntax is close, usually names the mistake.
        let reason = regex_syntax::ast::parse::Parser::new()
            .parse(pattern)
            .err()
            .map(|error| error.kind().to_string());
        let diagnostic = Diagnostic::new(
            Code::InvalidPattern,
            self.span(path),
            format!("`{pattern}` is not a valid ECMA 262 regular expression"),
        )
        .label(match &reason {
            Some(reason) => format!("not a regular expression: {reason}"),
            None => "not a regular expression in the ECMA 262 dialect".to_owned(),
        })
        .help("write it in JavaScript's syntax, which API Gateway and JSON Schema validators compile: no inline flags such as `(?i)`, and `\\[`, `\\{`, `\\(` for literal brackets, braces and parentheses");
        self.error(diagnostic);
    }

    /// Bounds every textual request field by the limits its value meets
    /// (see [`crate::bounds`]), refuses a spec whose own bounds exceed them,
    /// and checks that each example still fits.
    fn request_bounds(
        &mut self,
        mut request: Vec<ir::Field>,
        entities: &[ir::Entity],
        views: &[ir::View],
        id_field: &str,
        stages: &[ir::Stage],
    ) -> Vec<ir::Field> {
        use crate::bounds::{self, KeyRole, KeySite, Violation};
        // The state carries the request once, and once more in each result
        // of a step (forward and compensation) that writes an entity; a
        // task's payload is a part of that (least data: its `input`, never
        // the context object's `Execution.Input`).
        let writes = stages
            .iter()
            .flat_map(|s| s.steps().iter())
            .filter(|s| s.writes.is_some())
            .count();
        let copies = u32::try_from(1 + 2 * writes).unwrap_or(u32::MAX);
        let derived = bounds::derive(&request, entities, views, id_field, copies);
        for violation in &derived.violations {
            let diagnostic = match violation {
                Violation::Key {
                    site,
                    template,
                    bytes,
                    largest,
                    starved,
                } => {
                    let (base, owner, role) = match site {
                        KeySite::Entity { entity, key } => {
                            (p!["entities", entity], format!("entity `{entity}`"), key)
                        }
                        KeySite::View { view, key } => {
                            (p!["views", view], format!("view `{view}`"), key)
                        }
                    };
                    let (path, which) = match role {
                        KeyRole::Pk => (join(&base, p!["pk"]), "partition key".to_owned()),
                        KeyRole::Sk => (join(&base, p!["sk"]), "sort key".to_owned()),
                        KeyRole::IndexPk(i) => (
                            join(&base, p!["indexes", i, "pk"]),
                            format!("partition key in index `{i}`"),
                        ),
                        KeyRole::IndexSk(i) => (
                            join(&base, p!["indexes", i, "sk"]),
                            format!("sort key in index `{i}`"),
                        ),
                    };
                    let limit = role.limit();
                    let mut diagnostic = if starved.is_empty() {
                        Diagnostic::new(
                            Code::BoundExceedsLimit,
                            self.span(&path),
                            format!(
                                "the {which} of {owner}, `{template}`, can be {bytes} bytes long, over DynamoDB's {limit}-byte limit for a {}",
                                role.kind()
                            ),
                        )
                        .label(format!("up to {bytes} bytes with its fields' bounds"))
                    } else {
                        Diagnostic::new(
                            Code::BoundExceedsLimit,
                            self.span(&path),
                            format!(
                                "the {which} of {owner}, `{template}`, leaves no room for {} within DynamoDB's {limit}-byte limit",
                                starved.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                            ),
                        )
                        .label(format!("its literal text and bounded fields take {bytes} bytes"))
                    };
                    if let Some((field, own)) = largest {
                        diagnostic = self.bound_note(diagnostic, field, own, entities, views);
                    }
                    diagnostic.help("tighten the fields' `max_bytes` / `max_length` (DynamoDB counts UTF-8 bytes; a character may take 4), or shorten the template's literal text")
                }
                Violation::Payload {
                    bytes,
                    budget,
                    copies,
                    largest,
                } => {
                    let mut diagnostic = Diagnostic::new(
                        Code::BoundExceedsLimit,
                        self.key_span(&p!["request"]),
                        if *bytes > u64::from(*budget) {
                            format!(
                                "the request's own bounds allow {bytes} bytes of JSON, over the {budget} bytes each Step Functions state has for it"
                            )
                        } else {
                            format!(
                                "the request's own bounds allow {bytes} bytes of JSON, which leaves its unbounded fields no room within the {budget} bytes each Step Functions state has for it"
                            )
                        },
                    )
                    .label(format!(
                        "a state (at most 256 KiB) may carry the request {copies} times; a character may take 6 bytes of JSON"
                    ));
                    if let Some((field, own)) = largest {
                        diagnostic = self.bound_note(diagnostic, field, own, entities, views);
                    }
                    diagnostic.help("tighten the request fields' `max_length` / `max_bytes`, or carry large content by reference (e.g. an S3 key)")
                }
                Violation::SagaId { chars, source } => {
                    let key = source.and_then(|s| s.key());
                    let path = match key {
                        Some(key) => p!["request", id_field, key],
                        None => p!["request", id_field],
                    };
                    Diagnostic::new(
                        Code::BoundExceedsLimit,
                        self.span(&path),
                        format!(
                            "the saga id `{id_field}` may be {chars} characters long, but it names the execution, and Step Functions allows {} characters",
                            bounds::EXECUTION_NAME_CHARS
                        ),
                    )
                    .label(format!("allows {chars} characters"))
                    .help(format!(
                        "bound the saga id to at most {} characters",
                        bounds::EXECUTION_NAME_CHARS
                    ))
                }
            };
            self.error(diagnostic);
        }
        for (field, bound) in request.iter_mut().zip(&derived.bounds) {
            let Some(bound) = bound else { continue };
            field.max_length = Some(bound.chars);
            field.max_bytes = Some(bound.bytes);
            let too_long = field
                .example
                .as_ref()
                .and_then(serde_json::Value::as_str)
                .filter(|text| {
                    text.chars().count() as u64 > u64::from(bound.chars)
                        || text.len() as u64 > u64::from(bound.bytes)
                });
            if let Some(text) = too_long {
                let diagnostic = Diagnostic::new(
                    Code::InvalidExample,
                    self.span(&p!["request", &field.name, "example"]),
                    format!(
                        "the example of `{}` is longer than the request allows: {} characters ({} bytes), the bound is {} characters ({} bytes)",
                        field.name,
                        text.chars().count(),
                        text.len(),
                        bound.chars,
                        bound.bytes
                    ),
                )
                .label("too long for the API")
                .help("the bound comes from the keys and payloads the value reaches; `sagac explain S091` shows how it is derived");
                self.error(diagnostic);
            }
        }
        request
    }

    /// A note at the declaration that makes a field's own bound.
    fn bound_note(
        &self,
        diagnostic: Diagnostic,
        field: &str,
        own: &crate::bounds::Own,
        entities: &[ir::Entity],
        views: &[ir::View],
    ) -> Diagnostic {
        let text = match own.source.key() {
            Some(key) => format!("`{field}` alone may be {} bytes (its `{key}`)", own.bytes),
            None => format!("`{field}` may be {} bytes (its type)", own.bytes),
        };
        // The request's declaration when there is one, else where the field
        // is declared in an entity.
        let mut path = p!["request", field];
        if !lookup(self.root, &path).2 {
            if let Some(entity) = entities.iter().find(|e| e.field(field).is_some()) {
                path = p!["entities", &entity.name, "fields", field];
            } else if let Some(view) = views
                .iter()
                .find(|v| v.fields.iter().any(|f| f.name == field))
            {
                path = p!["views", &view.name];
            }
        }
        if let Some(key) = own.source.key() {
            let with_key = join(&path, p![key]);
            if lookup(self.root, &with_key).2 {
                path = with_key;
            }
        }
        diagnostic.note(self.span(&path), text)
    }

    fn key_template(
        &mut self,
        text: &str,
        path: &[Segment],
        fields: &[ir::Field],
        owner: &str,
        code: Code,
    ) -> Option<ir::KeyTemplate> {
        match parse_key_template(text) {
            Err(why) => {
                let diagnostic = Diagnostic::new(Code::KeyTemplateSyntax, self.span(path), format!("invalid key template `{text}`: {why}"))
                    .label(why)
                    .help("a key template is literal text with `{field}` placeholders, e.g. `TRIP#{trip_id}`");
                self.error(diagnostic);
                None
            }
            Ok(template) => {
                let mut ok = true;
                for name in template.fields() {
                    match fields.iter().find(|f| f.name == name) {
                        None => {
                            ok = false;
                            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                            let diagnostic = Diagnostic::new(
                                code,
                                self.span(path),
                                format!("key template `{text}` uses `{name}`, which is not a field of {owner}"),
                            )
                            .label(format!("`{{{name}}}` is not a field of {owner}"))
                            .maybe_help(did_you_mean(name, "field", names.iter().copied()));
                            self.error(diagnostic);
                        }
                        Some(field) if field.optional => {
                            ok = false;
                            let diagnostic = Diagnostic::new(
                                Code::OptionalKeyField,
                                self.span(path),
                                format!("key template `{text}` uses the optional field `{name}`"),
                            )
                            .label("keys must always be present")
                            .help(format!("make `{name}` required in {owner}"));
                            self.error(diagnostic);
                        }
                        Some(_) => {}
                    }
                }
                ok.then_some(template)
            }
        }
    }

    fn entities(&mut self, spec: &ast::Spec, table: &ir::Table) -> Vec<ir::Entity> {
        let mut out: Vec<ir::Entity> = Vec::new();
        let index_names: Vec<&str> = table.indexes.iter().map(|i| i.name.as_str()).collect();
        for (name, entity) in &spec.entities {
            let base = p!["entities", name];
            self.identifier(name, &base, true);
            let fields = self.fields(&entity.fields, &join(&base, p!["fields"]));
            let owner = format!("entity `{name}`");
            let pk = self.key_template(
                &entity.pk,
                &join(&base, p!["pk"]),
                &fields,
                &owner,
                Code::UnknownKeyField,
            );
            let sk = self.key_template(
                &entity.sk,
                &join(&base, p!["sk"]),
                &fields,
                &owner,
                Code::UnknownKeyField,
            );
            let mut indexes = Vec::new();
            for (index, keys) in &entity.indexes {
                let ipath = join(&base, p!["indexes", index]);
                let Some(table_index) = table.indexes.iter().find(|i| &i.name == index) else {
                    let diagnostic = Diagnostic::new(
                        Code::UnknownIndex,
                        self.key_span(&ipath),
                        format!("unknown index `{index}`"),
                    )
                    .label(format!("table `{}` has no index `{index}`", table.name))
                    .maybe_help(did_you_mean(
                        index,
                        "index",
                        index_names.iter().copied(),
                    ));
                    self.error(diagnostic);
                    continue;
                };
                if table_index.sk.is_some() != keys.sk.is_some() {
                    let diagnostic = Diagnostic::new(
                        Code::MissingKey,
                        self.key_span(&ipath),
                        if table_index.sk.is_some() {
                            format!("index `{index}` has a sort key, but no `sk` template is given")
                        } else {
                            format!(
                                "index `{index}` has no sort key, but an `sk` template is given"
                            )
                        },
                    )
                    .label("index keys do not match the table's index");
                    self.error(diagnostic);
                }
                let ipk = self.key_template(
                    &keys.pk,
                    &join(&ipath, p!["pk"]),
                    &fields,
                    &owner,
                    Code::UnknownKeyField,
                );
                let isk = keys.sk.as_ref().map(|sk| {
                    self.key_template(
                        sk,
                        &join(&ipath, p!["sk"]),
                        &fields,
                        &owner,
                        Code::UnknownKeyField,
                    )
                });
                if let (Some(pk), Some(sk)) =
                    (ipk, isk.unwrap_or(Some(ir::KeyTemplate { parts: vec![] })))
                {
                    indexes.push(ir::IndexKeys {
                        index: index.clone(),
                        pk,
                        sk: keys.sk.as_ref().map(|_| sk),
                    });
                }
            }
            if let (Some(pk), Some(sk)) = (pk, sk) {
                for other in &out {
                    if may_overlap(&pk, &other.pk) && may_overlap(&sk, &other.sk) {
                        let first = self.span(&p!["entities", &other.name, "sk"]);
                        let diagnostic = Diagnostic::new(
                            Code::KeyCollision,
                            self.span(&join(&base, p!["sk"])),
                            format!("the keys of `{name}` can collide with the keys of `{}`", other.name),
                        )
                        .label(format!("`{pk}` / `{sk}` can equal a key of `{}`", other.name))
                        .note(first, format!("`{}` is keyed here", other.name))
                        .help("give each entity's sort key its own literal prefix, e.g. `FLIGHT#{flight_id}`");
                        self.error(diagnostic);
                    }
                }
                out.push(ir::Entity {
                    name: name.clone(),
                    is_root: false,
                    pk,
                    sk,
                    indexes,
                    fields,
                });
            } else {
                // Keep the entity for reference checks even though its keys
                // are broken; the diagnostic is already recorded.
                let empty = ir::KeyTemplate { parts: vec![] };
                out.push(ir::Entity {
                    name: name.clone(),
                    is_root: false,
                    pk: empty.clone(),
                    sk: empty,
                    indexes,
                    fields,
                });
            }
        }
        out
    }

    fn entity_ref<'e>(
        &mut self,
        name: &str,
        path: &[Segment],
        entities: &'e [ir::Entity],
    ) -> Option<&'e ir::Entity> {
        let found = entities.iter().find(|e| e.name == name);
        if found.is_none() {
            let known: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
            self.unknown(Code::UnknownEntity, path, "entity", name, &known);
        }
        found
    }

    fn field_ref(&mut self, name: &str, path: &[Segment], entity: &ir::Entity) -> bool {
        if entity.field(name).is_some() {
            return true;
        }
        let known: Vec<&str> = entity.fields.iter().map(|f| f.name.as_str()).collect();
        let diagnostic = Diagnostic::new(
            Code::UnknownField,
            self.span(path),
            format!("`{name}` is not a field of entity `{}`", entity.name),
        )
        .label(format!("no field `{name}` in `{}`", entity.name))
        .maybe_help(did_you_mean(name, "field", known.iter().copied()));
        self.error(diagnostic);
        false
    }

    fn event_ref(&mut self, name: &str, path: &[Segment], spec: &ast::Spec) {
        if !spec.events.contains_key(name) {
            let known: Vec<&str> = spec.events.keys().map(String::as_str).collect();
            self.unknown(Code::UnknownEvent, path, "event", name, &known);
        }
    }

    fn root(&mut self, spec: &ast::Spec, entities: &[ir::Entity]) -> ir::Root {
        let root = &spec.root;
        if let Some(entity) = self.entity_ref(&root.entity, &p!["root", "entity"], entities) {
            self.field_ref(&root.id, &p!["root", "id"], entity);
            self.field_ref(&root.status, &p!["root", "status"], entity);
        }
        let outcomes = [
            ("initial", None, &root.initial),
            (
                "on_success",
                Some(&root.on_success),
                &root.on_success.status,
            ),
            (
                "on_failure",
                Some(&root.on_failure),
                &root.on_failure.status,
            ),
            (
                "on_compensation_failure",
                Some(&root.on_compensation_failure),
                &root.on_compensation_failure.status,
            ),
        ];
        // The outcomes that need people besides a failed compensation: given,
        // or defaulted (checked for clashes like the others all the same).
        let pivot_unknown = root
            .on_pivot_unknown
            .clone()
            .unwrap_or_else(|| ast::Outcome {
                status: DEFAULT_PIVOT_UNKNOWN.into(),
                event: root.on_compensation_failure.event.clone(),
            });
        let retries_exhausted = root
            .on_retries_exhausted
            .clone()
            .unwrap_or_else(|| ast::Outcome {
                status: DEFAULT_RETRIES_EXHAUSTED.into(),
                event: root.on_compensation_failure.event.clone(),
            });
        let optional = [
            (
                "on_pivot_unknown",
                root.on_pivot_unknown.is_some(),
                &pivot_unknown,
            ),
            (
                "on_retries_exhausted",
                root.on_retries_exhausted.is_some(),
                &retries_exhausted,
            ),
        ];
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, outcome, status) in outcomes.into_iter().chain(
            optional
                .iter()
                .map(|(key, _, outcome)| (*key, Some(*outcome), &outcome.status)),
        ) {
            let given = optional
                .iter()
                .find(|(k, _, _)| *k == key)
                .is_none_or(|(_, given, _)| *given);
            let path = if outcome.is_some() {
                p!["root", key, "status"]
            } else {
                p!["root", key]
            };
            if given && !is_upper_snake(status) {
                let diagnostic = Diagnostic::new(
                    Code::InvalidValue,
                    self.span(&path),
                    format!("status `{status}` is not UPPER_SNAKE_CASE"),
                )
                .label("expected e.g. `CONFIRMED`");
                self.error(diagnostic);
            }
            if let Some(first) = seen.insert(status, key) {
                let first_path = if first == "initial" {
                    p!["root", first]
                } else {
                    p!["root", first, "status"]
                };
                let (first_span, first_label) = if lookup(self.root, &first_path).2 {
                    (self.span(&first_path), "first used here".to_owned())
                } else {
                    // `first` was left out: its default is what clashes.
                    (
                        self.key_span(&p!["root"]),
                        if first == "initial" {
                            format!("the initial status defaults to `{}`", root.initial)
                        } else {
                            format!("`{first}` defaults to the status `{status}`")
                        },
                    )
                };
                let (span, label) = if given {
                    (self.span(&path), "already used".to_owned())
                } else {
                    (
                        self.key_span(&p!["root"]),
                        format!("`{key}` defaults to the status `{status}`"),
                    )
                };
                let diagnostic = Diagnostic::new(Code::InvalidRoot, span, format!("status `{status}` is used twice"))
                    .label(label)
                    .note(first_span, first_label)
                    .help("the initial and terminal statuses must be distinct, or the outcome of a saga cannot be told from its status");
                self.error(diagnostic);
            }
            if let Some(outcome) = outcome
                && given
            {
                self.event_ref(&outcome.event, &p!["root", key, "event"], spec);
            }
        }
        let outcome_events = [
            &root.on_success.event,
            &root.on_failure.event,
            &root.on_compensation_failure.event,
            &pivot_unknown.event,
            &retries_exhausted.event,
        ];
        let on_start = match &root.on_start {
            Some(event) => {
                let path = p!["root", "on_start"];
                self.event_ref(event, &path, spec);
                if let Some(carried) = spec.events.get(event).map(|e| &e.entity)
                    && *carried != root.entity
                {
                    let diagnostic = Diagnostic::new(
                        Code::InvalidRoot,
                        self.span(&path),
                        format!("the start event `{event}` carries `{carried}`, not the root `{}`", root.entity),
                    )
                    .label("not an event of the root entity")
                    .help("the start event is written with the root item; choose an event whose `entity` is the root");
                    self.error(diagnostic);
                }
                Some(event.clone())
            }
            // The first root event that is not an outcome: e.g. `TripRequested`.
            None => spec
                .events
                .iter()
                .find(|(name, e)| e.entity == root.entity && !outcome_events.contains(name))
                .map(|(name, _)| name.clone()),
        };
        let outcome = |o: &ast::Outcome| ir::Outcome {
            status: o.status.clone(),
            event: o.event.clone(),
        };
        ir::Root {
            entity: root.entity.clone(),
            id_field: root.id.clone(),
            status_field: root.status.clone(),
            initial: root.initial.clone(),
            success: outcome(&root.on_success),
            failure: outcome(&root.on_failure),
            compensation_failure: outcome(&root.on_compensation_failure),
            pivot_unknown: outcome(&pivot_unknown),
            retries_exhausted: outcome(&retries_exhausted),
            on_start,
        }
    }

    fn outbox(&mut self, spec: &ast::Spec, entities: &[ir::Entity]) -> ir::Outbox {
        let outbox = &spec.outbox;
        let event_id = [ir::Field {
            name: "event_id".into(),
            ty: ir::FieldType::String,
            optional: false,
            pattern: None,
            min: None,
            max: None,
            one_of: vec![],
            max_length: None,
            max_bytes: None,
            example: None,
            description: None,
        }];
        let sk = self
            .key_template(
                &outbox.sk,
                &p!["outbox", "sk"],
                &event_id,
                "the outbox (only `event_id`)",
                Code::UnknownKeyField,
            )
            .unwrap_or(ir::KeyTemplate { parts: vec![] });
        if !sk.parts.is_empty() {
            if !sk.fields().any(|f| f == "event_id") {
                let diagnostic = Diagnostic::new(
                    Code::KeyTemplateSyntax,
                    self.span(&p!["outbox", "sk"]),
                    "the outbox sort key must contain `{event_id}`",
                )
                .label("every event needs its own item")
                .help("use `OUTBOX#{event_id}`");
                self.error(diagnostic);
            } else if sk.prefix().is_empty() {
                let diagnostic = Diagnostic::new(
                    Code::KeyTemplateSyntax,
                    self.span(&p!["outbox", "sk"]),
                    "the outbox sort key must start with literal text",
                )
                .label("the stream filter selects outbox items by this prefix")
                .help("use `OUTBOX#{event_id}`");
                self.error(diagnostic);
            }
            for entity in entities {
                if may_overlap(&sk, &entity.sk) && !entity.sk.parts.is_empty() {
                    let diagnostic = Diagnostic::new(
                        Code::KeyCollision,
                        self.span(&p!["outbox", "sk"]),
                        format!(
                            "outbox items can collide with the keys of `{}`",
                            entity.name
                        ),
                    )
                    .label(format!("`{sk}` can equal `{}`", entity.sk))
                    .note(
                        self.span(&p!["entities", &entity.name, "sk"]),
                        "entity keyed here",
                    );
                    self.error(diagnostic);
                }
            }
        }
        let ttl_seconds = self.seconds(
            outbox.ttl.as_ref(),
            7 * 86400,
            &p!["outbox", "ttl"],
            "the outbox TTL",
            (3600, 365 * 86400),
        );
        if outbox.ttl.is_some() && spec.table.ttl.is_none() {
            // The TTL is written to the table's TTL attribute; without one
            // the items would never expire, whatever the spec says.
            let diagnostic = Diagnostic::new(
                Code::MissingKey,
                self.span(&p!["outbox", "ttl"]),
                "`outbox.ttl` needs `table.ttl`, the attribute that TTL is written to",
            )
            .label("no item would ever expire")
            .note(
                self.key_span(&p!["table"]),
                "this table has no TTL attribute",
            )
            .help("add `ttl: expires_at` under `table:` (epoch seconds; DynamoDB deletes expired items)");
            self.error(diagnostic);
        }
        let bus_ok = !outbox.bus.is_empty()
            && outbox.bus != "default"
            && outbox
                .bus
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        self.name(
            &outbox.bus,
            &p!["outbox", "bus"],
            Code::InvalidValue,
            bus_ok,
            "EventBridge bus name (letters, digits, `.`, `-`, `_`; not `default`)",
        );
        let source_ok = !outbox.source.is_empty()
            && outbox.source.len() <= 256
            && !outbox.source.starts_with("aws.");
        self.name(
            &outbox.source,
            &p!["outbox", "source"],
            Code::InvalidValue,
            source_ok,
            "EventBridge source (not starting with `aws.`)",
        );
        ir::Outbox {
            sk,
            ttl_seconds,
            bus: outbox.bus.clone(),
            source: outbox.source.clone(),
        }
    }

    fn events(&mut self, spec: &ast::Spec, entities: &[ir::Entity]) -> Vec<ir::Event> {
        let mut out = Vec::new();
        for (name, event) in &spec.events {
            let base = p!["events", name];
            let ok = is_pascal(name) && name.len() <= 128;
            self.name(
                name,
                &base,
                Code::InvalidMetricName,
                ok,
                "event name (PascalCase)",
            );
            if ok && RUST_KEYWORDS.contains(&name.as_str()) {
                // `Self`: a Rust struct cannot have that name.
                self.identifier(name, &base, true);
            }
            let mut fields = Vec::new();
            if let Some(entity) =
                self.entity_ref(&event.entity, &join(&base, p!["entity"]), entities)
            {
                match &event.fields {
                    None => fields = entity.fields.iter().map(|f| f.name.clone()).collect(),
                    Some(list) => {
                        for (i, field) in list.iter().enumerate() {
                            if self.field_ref(field, &join(&base, p!["fields", i]), entity) {
                                fields.push(field.clone());
                            }
                        }
                    }
                }
            }
            out.push(ir::Event {
                name: name.clone(),
                entity: event.entity.clone(),
                fields,
                alert: event.alert,
                description: event.description.clone(),
            });
        }
        out
    }

    fn services(&mut self, spec: &ast::Spec) -> Vec<ir::Service> {
        let mut out = Vec::new();
        for (name, service) in &spec.services {
            let base = p!["services", name];
            // Its length is a matter of the function names (S077).
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.ends_with('-');
            self.name(
                name,
                &base,
                Code::InvalidServiceName,
                ok,
                "service name (lowercase letters, digits and `-`)",
            );
            let memory = service.memory.unwrap_or(256);
            if !(128..=10240).contains(&memory) {
                let diagnostic = Diagnostic::new(
                    Code::MemoryRange,
                    self.span(&join(&base, p!["memory"])),
                    format!("memory must be between 128 and 10240 MB, found {memory}"),
                )
                .label("out of range");
                self.error(diagnostic);
            }
            let timeout_seconds = self.seconds(
                service.timeout.as_ref(),
                10,
                &join(&base, p!["timeout"]),
                "a Lambda timeout",
                (1, 900),
            );
            if let Some(rc) = service.reserved_concurrency
                && rc > 1000
            {
                let diagnostic = Diagnostic::new(
                    Code::ConcurrencyRange,
                    self.span(&join(&base, p!["reserved_concurrency"])),
                    format!("reserved concurrency {rc} exceeds the default account limit of 1000"),
                )
                .label("out of range");
                self.error(diagnostic);
            }
            for key in service.environment.keys() {
                let ok = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !key.starts_with("AWS_")
                    && !key.starts_with("DD_");
                self.name(key, &join(&base, p!["environment", key]), Code::InvalidValue, ok, "environment variable (letters, digits, `_`; not `AWS_` or `DD_`, which are reserved)");
            }
            out.push(ir::Service {
                name: name.clone(),
                pascal: to_pascal(name),
                description: service.description.clone(),
                memory_mb: memory,
                timeout_seconds,
                reserved_concurrency: service.reserved_concurrency,
                layers: service.layers.clone(),
                environment: service
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                actions: Vec::new(),
            });
        }
        out
    }

    fn retry(
        &mut self,
        retry: Option<&ast::Retry>,
        path: &[Segment],
        fallback: ir::Retry,
    ) -> ir::Retry {
        let Some(retry) = retry else { return fallback };
        for (i, error) in retry.errors.iter().enumerate() {
            self.error_name(error, &join(&path.to_vec(), p!["errors", i]));
        }
        if retry.attempts > 99_999_999 {
            let diagnostic = Diagnostic::new(
                Code::RetryRange,
                self.span(&join(&path.to_vec(), p!["attempts"])),
                format!(
                    "`attempts` must be at most 99999999, found {}",
                    retry.attempts
                ),
            )
            .label("out of range");
            self.error(diagnostic);
        }
        let interval_path = join(&path.to_vec(), p!["interval"]);
        let interval = self.seconds(
            Some(&retry.interval),
            1,
            &interval_path,
            "a retry interval",
            (1, 99_999_999),
        );
        let backoff = retry.backoff.unwrap_or(2.0);
        if !(1.0..=10.0).contains(&backoff) {
            let diagnostic = Diagnostic::new(
                Code::RetryRange,
                self.span(&join(&path.to_vec(), p!["backoff"])),
                format!("`backoff` must be between 1.0 and 10.0, found {backoff}"),
            )
            .label("out of range");
            self.error(diagnostic);
        }
        let max_path = join(&path.to_vec(), p!["max_delay"]);
        let max_delay = retry.max_delay.as_ref().map(|d| {
            self.seconds(
                Some(d),
                interval,
                &max_path,
                "a maximum retry delay",
                (1, 31_622_400),
            )
        });
        if let Some(max) = max_delay
            && max < interval
        {
            let diagnostic = Diagnostic::new(
                Code::RetryRange,
                self.span(&max_path),
                format!("`max_delay` ({max}s) is shorter than `interval` ({interval}s)"),
            )
            .label("shorter than the first wait");
            self.error(diagnostic);
        }
        ir::Retry {
            errors: retry.errors.clone(),
            max_attempts: retry.attempts,
            interval_seconds: interval,
            backoff_rate: backoff,
            max_delay_seconds: max_delay,
            jitter: retry.jitter == ast::Jitter::Full,
        }
    }

    fn error_name(&mut self, name: &str, path: &[Segment]) {
        let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
            && !name.starts_with("States.")
            && !name.starts_with("Lambda.")
            && name != sagac_contract::errors::INVALID_PAYLOAD;
        self.name(
            name,
            path,
            Code::InvalidValue,
            ok,
            "error name (letters, digits, `_`, `.`; `States.` and `Lambda.` are reserved by AWS)",
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        spec: &ast::Spec,
        step: &ast::Step,
        base: &Path,
        services: &mut [ir::Service],
        entities: &[ir::Entity],
        saga_timeout: u64,
        names: &mut BTreeMap<String, Span>,
        actions: &mut BTreeMap<(String, String), Path>,
    ) -> ir::Step {
        let name_span = self.span(&join(base, p!["name"]));
        let name_ok = self.state_name(&step.name, name_span, names);
        let service_path = join(base, p!["service"]);
        let service_index = services.iter().position(|s| s.name == step.service);
        if service_index.is_none() {
            let known: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            self.unknown(
                Code::UnknownService,
                &service_path,
                "service",
                &step.service,
                &known,
            );
        }
        let service_timeout = service_index.map_or(10, |i| services[i].timeout_seconds);
        self.action(
            &step.service,
            &step.action,
            &join(base, p!["action"]),
            actions,
        );
        if let Some(writes) = &step.writes {
            self.entity_ref(writes, &join(base, p!["writes"]), entities);
        }
        if let Some(emits) = &step.emits {
            self.event_ref(emits, &join(base, p!["emits"]), spec);
        }
        for (i, error) in step.errors.iter().enumerate() {
            self.error_name(error, &join(base, p!["errors", i]));
        }
        let builtin = ir::Retry {
            errors: vec![],
            max_attempts: 3,
            interval_seconds: 1,
            backoff_rate: 2.0,
            max_delay_seconds: None,
            jitter: true,
        };
        let default_retry = self.retry(
            spec.defaults.retry.as_ref(),
            &p!["defaults", "retry"],
            builtin.clone(),
        );
        let retry = self.retry(step.retry.as_ref(), &join(base, p!["retry"]), default_retry);
        let default_timeout = self.seconds(
            spec.defaults.timeout.as_ref(),
            service_timeout + 2,
            &p!["defaults", "timeout"],
            "a task timeout",
            (1, 31_622_400),
        );
        let timeout_path = join(base, p!["timeout"]);
        let timeout_seconds = self.seconds(
            step.timeout.as_ref(),
            default_timeout,
            &timeout_path,
            "a task timeout",
            (1, 31_622_400),
        );
        if timeout_seconds > saga_timeout {
            let diagnostic = Diagnostic::new(
                Code::TimeoutExceedsSaga,
                if step.timeout.is_some() { self.span(&timeout_path) } else { self.anchor_span(base) },
                format!("the task timeout of `{}` ({timeout_seconds}s) is longer than the saga timeout ({saga_timeout}s)", step.name),
            )
            .label("longer than the whole saga");
            self.error(diagnostic);
        }
        self.task_outlives_function(
            &step.name,
            timeout_seconds,
            service_timeout,
            &step.service,
            step.timeout.is_some(),
            &timeout_path,
            base,
        );
        let kind = match step.kind {
            ast::StepKind::Compensatable => ir::StepKind::Compensatable,
            ast::StepKind::Pivot => ir::StepKind::Pivot,
            ast::StepKind::Retriable => ir::StepKind::Retriable,
        };
        match (kind, &step.compensation) {
            (ir::StepKind::Compensatable, None) => {
                let diagnostic = Diagnostic::new(Code::MissingCompensation, self.span(&join(base, p!["name"])), format!("compensatable step `{}` has no compensation", step.name))
                    .label("nothing says how to undo this step")
                    .help("add `compensation: { action: ... }`, or mark the step `kind: pivot` or `kind: retriable`");
                self.error(diagnostic);
            }
            (ir::StepKind::Pivot | ir::StepKind::Retriable, Some(_)) => {
                let diagnostic = Diagnostic::new(
                    Code::UselessCompensation,
                    self.key_span(&join(base, p!["compensation"])),
                    format!(
                        "{} step `{}` is never compensated",
                        if kind == ir::StepKind::Pivot {
                            "pivot"
                        } else {
                            "retriable"
                        },
                        step.name
                    ),
                )
                .label("this compensation would never run")
                .help("remove the compensation, or make the step compensatable");
                self.error(diagnostic);
            }
            _ => {}
        }
        if kind == ir::StepKind::Pivot && !step.idempotent {
            let diagnostic = Diagnostic::new(
                Code::PivotNotIdempotent,
                self.span(&join(base, p!["idempotent"])),
                format!("pivot `{}` is not idempotent", step.name),
            )
            .label("a pivot is retried until its outcome is known")
            .help("make the pivot idempotent (its idempotency key returns the first result) and remove `idempotent: false`");
            self.error(diagnostic);
        }
        if kind == ir::StepKind::Retriable && !step.errors.is_empty() {
            let diagnostic = Diagnostic::new(
                Code::RetriableWithErrors,
                self.key_span(&join(base, p!["errors"])),
                format!("retriable step `{}` declares business errors", step.name),
            )
            .label("a retriable step may not fail for business reasons")
            .help("remove `errors:`, or make the step compensatable or the pivot");
            self.error(diagnostic);
        }
        let compensation = step.compensation.as_ref().map(|comp| {
            let cbase = join(base, p!["compensation"]);
            let name = comp
                .name
                .clone()
                .unwrap_or_else(|| format!("Compensate{}", step.name));
            if comp.name.is_some() {
                let span = self.span(&join(&cbase, p!["name"]));
                self.state_name(&name, span, names);
            } else if name_ok {
                // The derived name is checked only when the step's own name
                // is fine; otherwise its problem is already reported.
                let span = self.key_span(&cbase);
                self.state_name(&name, span, names);
            }
            self.action(
                &step.service,
                &comp.action,
                &join(&cbase, p!["action"]),
                actions,
            );
            if let Some(emits) = &comp.emits {
                self.event_ref(emits, &join(&cbase, p!["emits"]), spec);
            }
            let builtin = ir::Retry {
                errors: vec![],
                max_attempts: 5,
                interval_seconds: 2,
                backoff_rate: 2.0,
                max_delay_seconds: Some(60),
                jitter: true,
            };
            let default = self.retry(
                spec.defaults.compensation_retry.as_ref(),
                &p!["defaults", "compensation_retry"],
                builtin,
            );
            let retry = self.retry(comp.retry.as_ref(), &join(&cbase, p!["retry"]), default);
            let ctimeout_path = join(&cbase, p!["timeout"]);
            let timeout_seconds = self.seconds(
                comp.timeout.as_ref(),
                timeout_seconds,
                &ctimeout_path,
                "a task timeout",
                (1, 31_622_400),
            );
            if comp.timeout.is_some() {
                self.task_outlives_function(
                    &name,
                    timeout_seconds,
                    service_timeout,
                    &step.service,
                    true,
                    &ctimeout_path,
                    &cbase,
                );
            }
            ir::Compensation {
                name,
                action: comp.action.clone(),
                emits: comp.emits.clone(),
                retry,
                timeout_seconds,
                idempotent: comp.idempotent,
            }
        });
        let ir_step = ir::Step {
            name: step.name.clone(),
            service: step.service.clone(),
            action: step.action.clone(),
            kind,
            writes: step.writes.clone(),
            emits: step.emits.clone(),
            errors: step.errors.clone(),
            // Resolved once every stage is known (`inputs`).
            input: ir::Input::default(),
            retry,
            timeout_seconds,
            idempotent: step.idempotent,
            compensation,
        };
        if let Some(i) = service_index {
            services[i].actions.push(ir::Action {
                name: ir_step.action.clone(),
                state: ir_step.name.clone(),
                compensation: false,
                step: ir_step.name.clone(),
                result: ir_step.writes.clone(),
                emits: ir_step.emits.clone(),
                errors: ir_step.errors.clone(),
                input: ir::Input::default(),
            });
            if let Some(comp) = &ir_step.compensation {
                services[i].actions.push(ir::Action {
                    name: comp.action.clone(),
                    state: comp.name.clone(),
                    compensation: true,
                    step: ir_step.name.clone(),
                    result: ir_step.writes.clone(),
                    emits: comp.emits.clone(),
                    errors: vec![],
                    input: ir::Input::default(),
                });
            }
        }
        ir_step
    }

    /// Checks a state name and records it; returns whether it was fine.
    /// A task must outlive the function it invokes: otherwise Step Functions
    /// compensates while the function may still commit.
    #[allow(clippy::too_many_arguments)]
    fn task_outlives_function(
        &mut self,
        state: &str,
        task_seconds: u64,
        function_seconds: u64,
        service: &str,
        explicit: bool,
        timeout_path: &[Segment],
        base: &[Segment],
    ) {
        if task_seconds <= function_seconds {
            let diagnostic = Diagnostic::new(
                Code::TaskShorterThanFunction,
                if explicit { self.span(timeout_path) } else { self.anchor_span(base) },
                format!(
                    "the task timeout of `{state}` ({task_seconds}s) is not longer than the `{service}` function timeout ({function_seconds}s)"
                ),
            )
            .label("Step Functions could give up while the function still runs")
            .help(format!(
                "set the task timeout to at least {}s, or shorten `services.{service}.timeout`",
                function_seconds + 2
            ));
            self.error(diagnostic);
        }
    }

    /// A state that gets a helper state `name` + `suffix` must leave room
    /// for the suffix: names are never cut, so helper names cannot collide
    /// (spec names have no `.`, every suffix starts with one).
    fn helper_room(&mut self, name: &str, suffix: &str, span: Span) {
        let room = MAX_STATE_NAME - suffix.len();
        if name.len() > room {
            let diagnostic = Diagnostic::new(
                Code::InvalidStateName,
                span,
                format!("`{name}` is too long for a state with a helper state"),
            )
            .label(format!(
                "{} characters; at most {room} here",
                name.len()
            ))
            .help(format!(
                "sagac adds the state `{name}{suffix}`, and state names are at most {MAX_STATE_NAME} characters: shorten the name by {} characters",
                name.len() - room
            ));
            self.error(diagnostic);
        }
    }

    fn state_name(&mut self, name: &str, span: Span, names: &mut BTreeMap<String, Span>) -> bool {
        let ok = is_pascal(name) && name.len() <= MAX_STATE_NAME;
        if !ok {
            let diagnostic = Diagnostic::new(
                Code::InvalidStateName,
                span,
                format!("`{name}` is not a valid state name"),
            )
            .label("expected PascalCase, at most 80 characters")
            .help(format!(
                "write it as `{}`",
                to_pascal(&name.replace(' ', "_"))
                    .chars()
                    .take(80)
                    .collect::<String>()
            ));
            self.error(diagnostic);
        }
        if RESERVED_STATES.contains(&name) {
            let diagnostic = Diagnostic::new(
                Code::DuplicateName,
                span,
                format!("`{name}` is a state name sagac uses itself"),
            )
            .label("reserved state name")
            .help(format!("reserved names are {}", RESERVED_STATES.join(", ")));
            self.error(diagnostic);
            return false;
        }
        if let Some(&first) = names.get(name) {
            let diagnostic = Diagnostic::new(
                Code::DuplicateName,
                span,
                format!("the state name `{name}` is used twice"),
            )
            .label("used again here")
            .note(first, "first used here")
            .help("state names must be unique within a state machine");
            self.error(diagnostic);
            return false;
        }
        names.insert(name.to_owned(), span);
        self.states.insert(name.to_owned(), span);
        ok
    }

    fn action(
        &mut self,
        service: &str,
        action: &str,
        path: &[Segment],
        actions: &mut BTreeMap<(String, String), Path>,
    ) {
        self.identifier(action, path, false);
        let key = (service.to_owned(), action.to_owned());
        if let Some(first) = actions.get(&key) {
            let first = self.span(first);
            let diagnostic = Diagnostic::new(
                Code::DuplicateAction,
                self.span(path),
                format!("service `{service}` has the action `{action}` twice"),
            )
            .label("used again here")
            .note(first, "first used here")
            .help("each action becomes one trait method; give it a distinct name");
            self.error(diagnostic);
        } else {
            actions.insert(key, path.to_vec());
        }
    }

    fn stages(
        &mut self,
        spec: &ast::Spec,
        workflow: ir::Workflow,
        saga_timeout: u64,
        services: &mut [ir::Service],
        entities: &[ir::Entity],
        _events: &[ir::Event],
    ) -> Vec<ir::Stage> {
        if spec.steps.is_empty() {
            let diagnostic = Diagnostic::new(
                Code::NoSteps,
                self.span(&p!["steps"]),
                "the saga has no steps",
            )
            .label("empty")
            .help("add at least one step with a `name`, a `service` and an `action`");
            self.error(diagnostic);
        }
        let mut names = BTreeMap::new();
        let mut actions = BTreeMap::new();
        let mut stages = Vec::new();
        // Phase 0: compensatable steps; 1: after the pivot; 2: retriable steps.
        let mut phase = 0;
        let mut pivot: Option<Path> = None;
        for (i, entry) in spec.steps.iter().enumerate() {
            match entry {
                ast::StepEntry::Step(step) => {
                    let base = p!["steps", i];
                    let ir_step = self.step(
                        spec,
                        step,
                        &base,
                        services,
                        entities,
                        saga_timeout,
                        &mut names,
                        &mut actions,
                    );
                    let kind_path = join(&base, p!["kind"]);
                    match ir_step.kind {
                        ir::StepKind::Compensatable if phase > 0 => {
                            let diagnostic = Diagnostic::new(Code::StepOrder, self.span(&join(&base, p!["name"])), format!("compensatable step `{}` comes after the pivot or a retriable step", step.name))
                                .label("would never be compensated")
                                .maybe_help(Some("order steps as: compensatable steps, at most one pivot, then retriable steps".into()));
                            let diagnostic = match &pivot {
                                Some(p) => diagnostic.note(self.span(p), "the pivot"),
                                None => diagnostic,
                            };
                            self.error(diagnostic);
                        }
                        ir::StepKind::Pivot => {
                            if let Some(first) = &pivot {
                                let first = self.span(first);
                                let diagnostic = Diagnostic::new(
                                    Code::MultiplePivots,
                                    self.span(&kind_path),
                                    format!("`{}` is a second pivot", step.name),
                                )
                                .label("second pivot")
                                .note(first, "the first pivot")
                                .help(
                                    "a saga has at most one pivot; make the later step retriable",
                                );
                                self.error(diagnostic);
                            } else if phase == 2 {
                                let diagnostic = Diagnostic::new(Code::StepOrder, self.span(&kind_path), format!("pivot `{}` comes after a retriable step", step.name))
                                    .label("pivot after a retriable step")
                                    .help("order steps as: compensatable steps, at most one pivot, then retriable steps");
                                self.error(diagnostic);
                            }
                            pivot.get_or_insert(kind_path);
                            phase = phase.max(1);
                        }
                        ir::StepKind::Retriable => phase = 2,
                        ir::StepKind::Compensatable => {}
                    }
                    stages.push(ir::Stage::Step(ir_step));
                }
                ast::StepEntry::Parallel(entry) => {
                    let group = &entry.parallel;
                    let base = p!["steps", i, "parallel"];
                    let span = self.span(&join(&base, p!["name"]));
                    if self.state_name(&group.name, span, &mut names) {
                        self.helper_room(&group.name, naming::JOINED_SUFFIX, span);
                    }
                    if group.branches.len() < 2 {
                        let diagnostic = Diagnostic::new(
                            Code::InvalidParallel,
                            self.key_span(&join(&base, p!["branches"])),
                            format!(
                                "parallel group `{}` has {}",
                                group.name,
                                if group.branches.is_empty() {
                                    "no branches"
                                } else {
                                    "only one branch"
                                }
                            ),
                        )
                        .label("needs at least two branches")
                        .help("a single step does not need a parallel group");
                        self.error(diagnostic);
                    }
                    if phase > 0 {
                        let diagnostic = Diagnostic::new(Code::StepOrder, self.span(&join(&base, p!["name"])), format!("parallel group `{}` comes after the pivot or a retriable step", group.name))
                            .label("its branches would never be compensated")
                            .help("parallel groups hold compensatable steps and must come before the pivot");
                        let diagnostic = match &pivot {
                            Some(p) => diagnostic.note(self.span(p), "the pivot"),
                            None => diagnostic,
                        };
                        self.error(diagnostic);
                    }
                    let mut branches = Vec::new();
                    for (b, step) in group.branches.iter().enumerate() {
                        let bbase = join(&base, p!["branches", b]);
                        let ir_step = self.step(
                            spec,
                            step,
                            &bbase,
                            services,
                            entities,
                            saga_timeout,
                            &mut names,
                            &mut actions,
                        );
                        // Branch steps and their compensations get helper
                        // states of their own (`.Caught`, `.Needed`).
                        let name_path = join(&bbase, p!["name"]);
                        if is_pascal(&ir_step.name) && ir_step.name.len() <= MAX_STATE_NAME {
                            let span = self.span(&name_path);
                            self.helper_room(&ir_step.name, naming::CAUGHT_SUFFIX, span);
                        }
                        if let Some(comp) = &ir_step.compensation
                            && is_pascal(&comp.name)
                            && comp.name.len() <= MAX_STATE_NAME
                        {
                            let cpath = join(&bbase, p!["compensation"]);
                            let span = match &step.compensation {
                                Some(c) if c.name.is_some() => self.span(&join(&cpath, p!["name"])),
                                _ => self.key_span(&cpath),
                            };
                            self.helper_room(&comp.name, naming::NEEDED_SUFFIX, span);
                        }
                        if ir_step.kind != ir::StepKind::Compensatable {
                            let diagnostic = Diagnostic::new(Code::InvalidParallel, self.span(&join(&bbase, p!["kind"])), format!("branch `{}` of parallel group `{}` is not compensatable", step.name, group.name))
                                .label("branches must be compensatable")
                                .help("when one branch fails, the completed branches are compensated; pivots and retriable steps belong after the group");
                            self.error(diagnostic);
                        }
                        branches.push(ir_step);
                    }
                    stages.push(ir::Stage::Parallel(ir::Parallel {
                        name: group.name.clone(),
                        branches,
                    }));
                }
            }
        }
        if workflow == ir::Workflow::Express {
            for (i, entry) in spec.steps.iter().enumerate() {
                let steps: Vec<(&ast::Step, Path)> = match entry {
                    ast::StepEntry::Step(step) => vec![(step, p!["steps", i])],
                    ast::StepEntry::Parallel(group) => group
                        .parallel
                        .branches
                        .iter()
                        .enumerate()
                        .map(|(b, s)| (s, p!["steps", i, "parallel", "branches", b]))
                        .collect(),
                };
                for (step, base) in steps {
                    let mut offenders = Vec::new();
                    if !step.idempotent {
                        offenders.push((step.name.clone(), join(&base, p!["idempotent"])));
                    }
                    if let Some(comp) = step.compensation.as_ref().filter(|c| !c.idempotent) {
                        let name = comp
                            .name
                            .clone()
                            .unwrap_or_else(|| format!("Compensate{}", step.name));
                        offenders.push((name, join(&base, p!["compensation", "idempotent"])));
                    }
                    for (name, path) in offenders {
                        let diagnostic = Diagnostic::new(Code::ExpressNotIdempotent, self.span(&path), format!("`{name}` is not idempotent, but Express workflows run steps at least once"))
                            .label("not idempotent")
                            .note(self.span(&p!["workflow"]), "Express workflow chosen here")
                            .help("use `workflow: standard`, or make the step idempotent");
                        self.error(diagnostic);
                    }
                }
            }
        }
        stages
    }

    fn views(&mut self, spec: &ast::Spec, entities: &[ir::Entity]) -> Vec<ir::View> {
        let mut out = Vec::new();
        let mut tables: BTreeMap<&str, Path> = BTreeMap::new();
        tables.insert(spec.table.name.as_str(), p!["table", "name"]);
        for (name, view) in &spec.views {
            let base = p!["views", name];
            self.identifier(name, &base, true);
            let table_path = join(&base, p!["table"]);
            self.name(
                &view.table,
                &table_path,
                Code::InvalidTableName,
                is_table_name(&view.table),
                "DynamoDB table name",
            );
            if let Some(first) = tables.get(view.table.as_str()) {
                let first = self.span(first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateTable,
                    self.span(&table_path),
                    format!("table name `{}` is used twice", view.table),
                )
                .label("used again here")
                .note(first, "first used here");
                self.error(diagnostic);
            } else {
                tables.insert(view.table.as_str(), table_path.clone());
            }
            let mut fields = Vec::new();
            if let Some(entity) =
                self.entity_ref(&view.source, &join(&base, p!["source"]), entities)
            {
                for (i, field) in view.fields.iter().enumerate() {
                    if self.field_ref(field, &join(&base, p!["fields", i]), entity) {
                        fields.extend(entity.field(field).cloned());
                    }
                }
            } else {
                // The source is unknown (already reported): take the listed
                // fields at their word so the keys and the status route are
                // still checked against them, without a cascade of errors.
                fields = view
                    .fields
                    .iter()
                    .map(|name| ir::Field {
                        name: name.clone(),
                        ty: ir::FieldType::String,
                        optional: false,
                        pattern: None,
                        min: None,
                        max: None,
                        one_of: vec![],
                        max_length: None,
                        max_bytes: None,
                        example: None,
                        description: None,
                    })
                    .collect();
            }
            let owner = format!("view `{name}` (its `fields:`)");
            let pk = self.key_template(
                &view.pk,
                &join(&base, p!["pk"]),
                &fields,
                &owner,
                Code::ViewKeyField,
            );
            let sk = view.sk.as_ref().and_then(|sk| {
                self.key_template(
                    sk,
                    &join(&base, p!["sk"]),
                    &fields,
                    &owner,
                    Code::ViewKeyField,
                )
            });
            let mut indexes = Vec::new();
            for (index, keys) in &view.indexes {
                let ipath = join(&base, p!["indexes", index]);
                let ok = (3..=255).contains(&index.len())
                    && index
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
                self.name(
                    index,
                    &ipath,
                    Code::InvalidTableName,
                    ok,
                    "DynamoDB index name",
                );
                let ipk = self.key_template(
                    &keys.pk,
                    &join(&ipath, p!["pk"]),
                    &fields,
                    &owner,
                    Code::ViewKeyField,
                );
                let isk = keys.sk.as_ref().and_then(|sk| {
                    self.key_template(
                        sk,
                        &join(&ipath, p!["sk"]),
                        &fields,
                        &owner,
                        Code::ViewKeyField,
                    )
                });
                if let Some(pk) = ipk {
                    indexes.push(ir::IndexKeys {
                        index: index.clone(),
                        pk,
                        sk: isk,
                    });
                }
            }
            out.push(ir::View {
                name: name.clone(),
                table: view.table.clone(),
                source: view.source.clone(),
                pk: pk.unwrap_or(ir::KeyTemplate { parts: vec![] }),
                sk,
                fields,
                indexes,
            });
        }
        out
    }

    fn api(&mut self, api: &ast::Api, views: &[ir::View]) -> ir::Api {
        let auth = match api.auth {
            ast::Auth::Iam => ir::Auth::Iam,
            ast::Auth::None => ir::Auth::None,
            ast::Auth::Cognito => match api
                .authorizer
                .as_ref()
                .and_then(|a| a.user_pool_arn.clone())
            {
                Some(arn) if arn.starts_with("arn:aws") && arn.contains(":cognito-idp:") => {
                    ir::Auth::Cognito { user_pool_arn: arn }
                }
                _ => {
                    let diagnostic = Diagnostic::new(Code::AuthorizerConfig, self.span(&p!["api", "auth"]), "`auth: cognito` needs `authorizer.user_pool_arn`")
                        .label("no user pool given")
                        .help("add `authorizer: { user_pool_arn: arn:aws:cognito-idp:REGION:ACCOUNT:userpool/ID }`");
                    self.error(diagnostic);
                    ir::Auth::Iam
                }
            },
            ast::Auth::Jwt => {
                let diagnostic = Diagnostic::new(
                    Code::AuthorizerConfig,
                    self.span(&p!["api", "auth"]),
                    "JWT authorisers exist only for HTTP APIs; sagac generates a REST API",
                )
                .label("not available for REST APIs")
                .help("use `auth: cognito` with a user pool, or `auth: iam`");
                self.error(diagnostic);
                ir::Auth::Iam
            }
        };
        let (rate, burst) = api
            .throttle
            .as_ref()
            .map_or((50.0, 100), |t| (t.rate, t.burst));
        if !(rate > 0.0 && rate <= 10_000.0) || burst == 0 || burst > 5_000 {
            let diagnostic = Diagnostic::new(
                Code::ConcurrencyRange,
                self.span(&p!["api", "throttle"]),
                format!("throttling rate {rate} / burst {burst} is out of range"),
            )
            .label("rate must be in (0, 10000], burst in [1, 5000]");
            self.error(diagnostic);
        }
        let path_ok = |p: &str| {
            p.starts_with('/')
                && p.len() > 1
                && !p.ends_with('/')
                && p.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '{' | '}' | '.')
                })
        };
        if !path_ok(&api.start.path) {
            let diagnostic = Diagnostic::new(
                Code::InvalidValue,
                self.span(&p!["api", "start", "path"]),
                format!("`{}` is not a valid resource path", api.start.path),
            )
            .label("expected e.g. `/trips`");
            self.error(diagnostic);
        }
        let status = api.status.as_ref().and_then(|status| {
            let parameter = status
                .path
                .rsplit('/')
                .next()
                .and_then(|last| last.strip_prefix('{'))
                .and_then(|last| last.strip_suffix('}'))
                .map(str::to_owned);
            let parameter = match parameter {
                Some(p) if path_ok(&status.path) => p,
                _ => {
                    let diagnostic = Diagnostic::new(
                        Code::InvalidValue,
                        self.span(&p!["api", "status", "path"]),
                        format!("`{}` must end with the id as a path parameter", status.path),
                    )
                    .label("expected e.g. `/trips/{trip_id}`");
                    self.error(diagnostic);
                    return None;
                }
            };
            let Some(view) = views.iter().find(|v| v.name == status.view) else {
                let known: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
                self.unknown(
                    Code::UnknownView,
                    &p!["api", "status", "view"],
                    "view",
                    &status.view,
                    &known,
                );
                return None;
            };
            if let Some(index) = &status.index
                && !view.indexes.iter().any(|i| &i.index == index)
            {
                let known: Vec<&str> = view.indexes.iter().map(|i| i.index.as_str()).collect();
                self.unknown(
                    Code::UnknownIndex,
                    &p!["api", "status", "index"],
                    "index",
                    index,
                    &known,
                );
                return None;
            }
            if !view.fields.iter().any(|f| f.name == parameter) {
                let names: Vec<&str> = view.fields.iter().map(|f| f.name.as_str()).collect();
                let diagnostic = Diagnostic::new(
                    Code::UnknownField,
                    self.span(&p!["api", "status", "path"]),
                    format!(
                        "path parameter `{parameter}` is not a field of view `{}`",
                        view.name
                    ),
                )
                .label("not a view field")
                .maybe_help(did_you_mean(
                    &parameter,
                    "field",
                    names.iter().copied(),
                ));
                self.error(diagnostic);
                return None;
            }
            Some(ir::StatusRoute {
                path: status.path.clone(),
                parameter,
                view: view.name.clone(),
                index: status.index.clone(),
            })
        });
        let name_ok = !api.name.is_empty() && api.name.len() <= 128;
        self.name(
            &api.name,
            &p!["api", "name"],
            Code::InvalidValue,
            name_ok,
            "API name",
        );
        ir::Api {
            name: api.name.clone(),
            auth,
            throttle_rate: rate,
            throttle_burst: burst,
            start_path: api.start.path.clone(),
            status,
        }
    }

    fn shift(&mut self, shift: &ast::TrafficShift, path: &Path) -> (u32, u32) {
        if !(1..=99).contains(&shift.percent) {
            let diagnostic = Diagnostic::new(
                Code::CanaryRange,
                self.span(&join(path, p!["percent"])),
                format!(
                    "traffic percentage must be between 1 and 99, found {}",
                    shift.percent
                ),
            )
            .label("out of range");
            self.error(diagnostic);
        }
        let ipath = join(path, p!["interval"]);
        let minutes = match self.duration(&shift.interval, &ipath) {
            Some(ms) if ms % 60_000 == 0 && (1..=2880).contains(&(ms / 60_000)) => {
                (ms / 60_000) as u32
            }
            Some(_) => {
                let diagnostic = Diagnostic::new(
                    Code::CanaryRange,
                    self.span(&ipath),
                    format!(
                        "the interval must be whole minutes between 1m and 2880m, found `{}`",
                        shift.interval.0
                    ),
                )
                .label("out of range");
                self.error(diagnostic);
                5
            }
            None => 5,
        };
        (shift.percent, minutes)
    }

    fn deployment(&mut self, deployment: &ast::Deployment) -> ir::Deployment {
        let region = &deployment.region;
        let parts: Vec<&str> = region.split('-').collect();
        let region_ok = (3..=4).contains(&parts.len())
            && parts[0].len() == 2
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
            && parts
                .last()
                .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        self.name(
            region,
            &p!["deployment", "region"],
            Code::InvalidRegion,
            region_ok,
            "AWS region (e.g. `ap-northeast-1`)",
        );
        let chosen: Vec<&str> = [
            deployment.canary.as_ref().map(|_| "canary"),
            deployment.linear.as_ref().map(|_| "linear"),
            deployment.all_at_once.then_some("all_at_once"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if chosen.len() > 1 {
            let diagnostic = Diagnostic::new(
                Code::ConflictingStrategies,
                self.key_span(&p!["deployment", chosen[1]]),
                format!("both `{}` and `{}` are chosen", chosen[0], chosen[1]),
            )
            .label("second strategy")
            .note(
                self.key_span(&p!["deployment", chosen[0]]),
                "first strategy",
            )
            .help("choose one deployment strategy");
            self.error(diagnostic);
        }
        let traffic = if let Some(canary) = &deployment.canary {
            let (percent, minutes) = self.shift(canary, &p!["deployment", "canary"]);
            ir::Traffic::Canary { percent, minutes }
        } else if let Some(linear) = &deployment.linear {
            let (percent, minutes) = self.shift(linear, &p!["deployment", "linear"]);
            ir::Traffic::Linear { percent, minutes }
        } else if deployment.all_at_once {
            ir::Traffic::AllAtOnce
        } else {
            ir::Traffic::Canary {
                percent: 10,
                minutes: 5,
            }
        };
        if deployment.alarms.len() > 10 {
            let diagnostic = Diagnostic::new(
                Code::TooManyAlarms,
                self.span(&p!["deployment", "alarms", 10usize]),
                format!(
                    "{} alarms are listed; a deployment group watches at most 10",
                    deployment.alarms.len()
                ),
            )
            .label("the 11th alarm")
            .help("keep the ten alarms that best show a bad release (errors, throttles, duration)");
            self.error(diagnostic);
        }
        let mut alarms = Vec::new();
        for (i, alarm) in deployment.alarms.iter().enumerate() {
            let base = p!["deployment", "alarms", i];
            let period = self.seconds(
                alarm.period.as_ref(),
                60,
                &join(&base, p!["period"]),
                "an alarm period",
                (10, 86_400),
            );
            if ![10, 20, 30].contains(&period) && !period.is_multiple_of(60) {
                let diagnostic = Diagnostic::new(
                    Code::ConcurrencyRange,
                    self.span(&join(&base, p!["period"])),
                    format!(
                        "an alarm period must be 10s, 20s, 30s or whole minutes, found {period}s"
                    ),
                )
                .label("not accepted by CloudWatch");
                self.error(diagnostic);
            }
            let evaluation_periods = alarm.evaluation_periods.unwrap_or(1);
            if evaluation_periods == 0 || (evaluation_periods as u64) * period > 86_400 {
                let diagnostic = Diagnostic::new(
                    Code::ConcurrencyRange,
                    self.span(&join(&base, p!["evaluation_periods"])),
                    "evaluation periods must be at least 1 and cover at most one day",
                )
                .label("out of range");
                self.error(diagnostic);
            }
            if alarm.threshold < 0.0 {
                let diagnostic = Diagnostic::new(
                    Code::ConcurrencyRange,
                    self.span(&join(&base, p!["threshold"])),
                    "an alarm threshold cannot be negative",
                )
                .label("negative");
                self.error(diagnostic);
            }
            let (metric, statistic) = match alarm.metric {
                ast::LambdaMetric::Errors => ("Errors", "Sum"),
                ast::LambdaMetric::Throttles => ("Throttles", "Sum"),
                ast::LambdaMetric::Duration => ("Duration", "Maximum"),
                ast::LambdaMetric::ConcurrentExecutions => ("ConcurrentExecutions", "Maximum"),
            };
            alarms.push(ir::Alarm {
                metric: metric.into(),
                statistic: statistic.into(),
                threshold: alarm.threshold,
                period_seconds: period,
                evaluation_periods,
            });
        }
        let alias = deployment.alias.clone().unwrap_or_else(|| "live".into());
        let alias_ok = alias.len() <= 128
            && alias
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
            && alias
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            && alias != "LATEST";
        self.name(
            &alias,
            &p!["deployment", "alias"],
            Code::InvalidValue,
            alias_ok,
            "alias name",
        );
        let pipeline = deployment.pipeline.as_ref().map(|pipeline| {
            let ok = pipeline.repository.split('/').count() == 2
                && pipeline
                    .repository
                    .split('/')
                    .all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
            self.name(
                &pipeline.repository,
                &p!["deployment", "pipeline", "repository"],
                Code::InvalidValue,
                ok,
                "repository (`owner/name`)",
            );
            ir::Pipeline {
                repository: pipeline.repository.clone(),
                branch: pipeline.branch.clone(),
            }
        });
        ir::Deployment {
            region: region.clone(),
            architecture: match deployment.architecture {
                ast::Architecture::Arm64 => ir::Architecture::Arm64,
                ast::Architecture::X86_64 => ir::Architecture::X86_64,
            },
            alias,
            traffic,
            alarms,
            before_traffic_hook: deployment.hooks.before_traffic,
            after_traffic_hook: deployment.hooks.after_traffic,
            pipeline,
        }
    }

    fn observability(&mut self, observability: &ast::Observability) -> ir::Observability {
        let datadog = observability.datadog.as_ref().map(|dd| {
            if !DATADOG_SITES.contains(&dd.site.as_str()) {
                let diagnostic = Diagnostic::new(
                    Code::UnknownSite,
                    self.span(&p!["observability", "datadog", "site"]),
                    format!("unknown Datadog site `{}`", dd.site),
                )
                .label("not a Datadog site")
                .maybe_help(did_you_mean(
                    &dd.site,
                    "site",
                    DATADOG_SITES.iter().copied(),
                ));
                self.error(diagnostic);
            }
            let secret_ok = !dd.api_key_secret.is_empty()
                && dd
                    .api_key_secret
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
            self.name(
                &dd.api_key_secret,
                &p!["observability", "datadog", "api_key_secret"],
                Code::InvalidValue,
                secret_ok,
                "Secrets Manager secret name",
            );
            if dd.extension_version == 0 {
                let diagnostic = Diagnostic::new(
                    Code::InvalidValue,
                    self.span(&p!["observability", "datadog", "extension_version"]),
                    "the Datadog extension version starts at 1",
                )
                .label("no such layer version");
                self.error(diagnostic);
            }
            ir::Datadog {
                site: dd.site.clone(),
                api_key_secret: dd.api_key_secret.clone(),
                extension_version: dd.extension_version,
            }
        });
        let metric_ok = |m: &str| {
            m.len() <= 200
                && m.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && m.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        };
        if let Some(metrics) = &observability.metrics {
            for (key, name) in [
                ("completed", &metrics.completed),
                ("compensation", &metrics.compensation),
            ] {
                self.name(
                    name,
                    &p!["observability", "metrics", key],
                    Code::InvalidMetricName,
                    metric_ok(name),
                    "Datadog metric name",
                );
            }
        }
        let retention_path = p!["observability", "log_retention"];
        let days = match &observability.log_retention {
            None => 30,
            Some(d) => match self.duration(d, &retention_path) {
                Some(ms)
                    if ms % 86_400_000 == 0
                        && LOG_RETENTION_DAYS.contains(&((ms / 86_400_000) as u32)) =>
                {
                    (ms / 86_400_000) as u32
                }
                Some(_) => {
                    let diagnostic = Diagnostic::new(Code::LogRetention, self.span(&retention_path), format!("CloudWatch Logs does not accept a retention of `{}`", d.0))
                        .label("not an accepted retention")
                        .help("use one of 1d, 3d, 5d, 7d, 14d, 30d, 60d, 90d, 120d, 150d, 180d, 365d, 400d, 545d, 731d, 1096d, 1827d, 2192d, 2557d, 2922d, 3288d, 3653d");
                    self.error(diagnostic);
                    30
                }
                None => 30,
            },
        };
        let stream_path = p!["observability", "metric_stream"];
        if let Some(stream) = &observability.metric_stream {
            // The stream's only destination is Datadog's intake, through
            // Firehose: without Datadog it would go nowhere.
            if observability.datadog.is_none() {
                let diagnostic = Diagnostic::new(
                    Code::MetricStreamConfig,
                    self.key_span(&stream_path),
                    "`metric_stream` needs `observability.datadog`: Datadog is where the stream goes",
                )
                .label("no destination for this stream")
                .help("add `datadog: { site: ..., api_key_secret: ... }` under `observability:`, or remove `metric_stream`");
                self.error(diagnostic);
            }
            if stream.namespaces.is_empty() {
                let diagnostic = Diagnostic::new(
                    Code::MetricStreamConfig,
                    self.span(&join(&stream_path, p!["namespaces"])),
                    "`metric_stream` lists no namespace",
                )
                .label("empty")
                .help("list the CloudWatch namespaces to stream, e.g. `[AWS/Lambda, AWS/States]`, or remove `metric_stream`");
                self.error(diagnostic);
            }
        }
        let namespaces = observability
            .metric_stream
            .as_ref()
            .map(|s| s.namespaces.clone())
            .unwrap_or_default();
        for (i, namespace) in namespaces.iter().enumerate() {
            let ok = namespace.len() <= 255
                && !namespace.is_empty()
                && !namespace.starts_with(':')
                && namespace.chars().all(|c| c.is_ascii_graphic());
            self.name(
                namespace,
                &p!["observability", "metric_stream", "namespaces", i],
                Code::InvalidValue,
                ok,
                "CloudWatch namespace",
            );
        }
        ir::Observability {
            datadog,
            completed_metric: observability.metrics.as_ref().map(|m| m.completed.clone()),
            compensation_metric: observability
                .metrics
                .as_ref()
                .map(|m| m.compensation.clone()),
            metric_stream_namespaces: namespaces,
            log_retention_days: days,
            tracing: observability.tracing.unwrap_or(true),
        }
    }
}

/// Why `value` is not a valid example of `field`, if it is not.
fn example_problem(field: &ir::Field, value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let text = match (field.ty, value) {
        (ir::FieldType::Bool, Value::Bool(_)) => return None,
        (ir::FieldType::Bool, _) => return Some("expected `true` or `false`".into()),
        (ir::FieldType::Int, Value::Number(n)) => {
            let Some(n) = n.as_i64() else {
                return Some("expected a whole number (a 64-bit integer)".into());
            };
            return range_problem(field, n as f64);
        }
        (ir::FieldType::Int, _) => return Some("expected a whole number".into()),
        (ir::FieldType::Decimal, Value::Number(n)) => {
            return range_problem(field, n.as_f64().unwrap_or_default());
        }
        (ir::FieldType::Decimal, Value::String(s)) => {
            let decimal = regex::Regex::new(r"^-?[0-9]+(\.[0-9]+)?$").ok()?;
            if !decimal.is_match(s) {
                return Some(format!("`{s}` is not a decimal number such as `249.90`"));
            }
            if let Some(problem) = range_problem(field, s.parse::<f64>().unwrap_or_default()) {
                return Some(problem);
            }
            s.as_str()
        }
        (ir::FieldType::Decimal, _) => return Some("expected a number or a decimal string".into()),
        (_, Value::String(s)) => s.as_str(),
        (_, _) => return Some("expected a string".into()),
    };
    match field.ty {
        ir::FieldType::Date if !is_date(text) => {
            return Some(format!("`{text}` is not a date `YYYY-MM-DD`"));
        }
        ir::FieldType::Timestamp if !is_timestamp(text) => {
            return Some(format!(
                "`{text}` is not an RFC 3339 timestamp such as `2025-04-01T09:30:00Z`"
            ));
        }
        _ => {}
    }
    if !field.one_of.is_empty() && !field.one_of.iter().any(|v| v == text) {
        return Some(format!(
            "`{text}` is not one of {}",
            field.one_of.join(", ")
        ));
    }
    if let Some(pattern) = &field.pattern
        && let Ok(regex) = regex::Regex::new(pattern)
        && !regex.is_match(text)
    {
        return Some(format!("`{text}` does not match the pattern `{pattern}`"));
    }
    if let Some(max) = field.max_length
        && text.chars().count() as u64 > u64::from(max)
    {
        // `max_length` here is the spec's, tightened by its `max_bytes`.
        return Some(format!(
            "{} characters, more than the {max} its `max_length` / `max_bytes` allow",
            text.chars().count()
        ));
    }
    if let Some(max) = field.max_bytes
        && text.len() as u64 > u64::from(max)
    {
        return Some(format!("{} bytes, more than `max_bytes` {max}", text.len()));
    }
    None
}

fn range_problem(field: &ir::Field, n: f64) -> Option<String> {
    if let Some(min) = field.min
        && n < min
    {
        return Some(format!("{n} is smaller than `min` {min}"));
    }
    if let Some(max) = field.max
        && n > max
    {
        return Some(format!("{n} is larger than `max` {max}"));
    }
    None
}

/// `YYYY-MM-DD`, a real calendar date.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// An RFC 3339 date-time: a date, `T`, a time, an offset.
fn is_timestamp(text: &str) -> bool {
    let Ok(shape) = regex::Regex::new(
        r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
    ) else {
        return false;
    };
    shape
        .captures(text)
        .and_then(|c| c.get(1))
        .is_some_and(|date| is_date(date.as_str()))
}

fn human(seconds: u64) -> String {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_templates_parse_and_refuse_bad_syntax() {
        let t = parse_key_template("TRIP#{trip_id}").unwrap();
        assert_eq!(t.prefix(), "TRIP#");
        assert_eq!(t.fields().collect::<Vec<_>>(), ["trip_id"]);
        assert!(parse_key_template("A{x}{y}").is_err());
        assert!(parse_key_template("A{x").is_err());
        assert!(parse_key_template("A}").is_err());
        assert!(parse_key_template("A{}").is_err());
    }

    #[test]
    fn overlap_detection() {
        let t = |s: &str| parse_key_template(s).unwrap();
        assert!(!may_overlap(&t("METADATA"), &t("FLIGHT#{id}")));
        assert!(may_overlap(&t("FLIGHT#{a}"), &t("FLIGHT#{b}")));
        assert!(may_overlap(&t("{a}"), &t("HOTEL#{b}")));
        assert!(may_overlap(&t("FLIGHT#1"), &t("FLIGHT#{b}")));
        assert!(!may_overlap(&t("FLIGHT#{a}"), &t("HOTEL#{b}")));
    }

    /// Patterns are ECMA 262, not Rust regex syntax: lookbehind, named
    /// groups and backreferences (JavaScript) pass; an unclosed class, an
    /// inline flag and a reversed repetition (not JavaScript) are refused.
    #[test]
    fn patterns_are_compiled_as_ecma_262() {
        let trip = include_str!("../../../../spec/trip.saga.yaml");
        let with = |pattern: &str| {
            let text = trip.replace(
                r#"origin: { type: string, pattern: "^[A-Z]{3}$", example: HND }"#,
                &format!("origin: {{ type: string, pattern: '{pattern}' }}"),
            );
            assert_ne!(text, trip);
            match crate::compile(&crate::source::SourceFile::new("p", text)) {
                Ok(_) => vec![],
                Err(d) => d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
            }
        };
        for ok in [
            r"^(?<=X)[A-Z]{3}$",
            r"^(?<code>[A-Z]{3})$",
            r"^([A-Z])\1[A-Z]$",
            r"^\p{Lu}{3}$",
        ] {
            assert_eq!(with(ok), Vec::<&str>::new(), "{ok}");
        }
        for bad in [
            "^[A-Z{3}$",
            "(?i)^[a-z]{3}$",
            "^[A-Z]{3,1}$",
            "^(?<x>A)(?<x>B)$",
        ] {
            assert_eq!(with(bad), ["S014"], "{bad}");
        }
    }
}
