//! Names: the spec's own names (PascalCase, snake_case, table, status and
//! error names), the state names sagac adds after them, and the names
//! derived from them (AWS physical names, S077; Rust items, S033). The
//! derivation rules themselves live in [`crate::naming`], shared with the
//! emitters; this module turns a rule broken into a positioned diagnostic.

use std::collections::BTreeMap;

use super::Checker;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::naming::{self, MAX_STATE_NAME, RESERVED_STATES, split_pascal, to_pascal};
use crate::source::Span;
use crate::yaml::Segment;

pub(super) const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

pub(super) fn is_pascal(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

pub(super) fn is_snake(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__")
        && !RUST_KEYWORDS.contains(&name)
}

/// A DynamoDB table name's characters and its shortest length; how long it
/// may be depends on the environment suffix (S077).
pub(super) fn is_table_name(name: &str) -> bool {
    name.len() >= 3
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub(super) fn is_upper_snake(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl Checker<'_> {
    pub(super) fn name(
        &mut self,
        name: &str,
        path: &[Segment],
        code: Code,
        ok: bool,
        expected: &str,
    ) {
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

    pub(super) fn identifier(&mut self, name: &str, path: &[Segment], pascal: bool) {
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

    /// Every AWS name built from spec names fits its limit with the longest
    /// environment name (the rule lives in [`naming`]; S077).
    pub(super) fn physical_names(&mut self, saga: &ir::Saga) {
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
    pub(super) fn rust_names(&mut self, saga: &ir::Saga) {
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

    pub(super) fn rust_owner_span(&self, owner: &naming::RustOwner) -> Option<Span> {
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

    pub(super) fn error_name(&mut self, name: &str, path: &[Segment]) {
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

    /// A state that gets a helper state `name` + `suffix` must leave room
    /// for the suffix: names are never cut, so helper names cannot collide
    /// (spec names have no `.`, every suffix starts with one).
    pub(super) fn helper_room(&mut self, name: &str, suffix: &str, span: Span) {
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

    pub(super) fn state_name(
        &mut self,
        name: &str,
        span: Span,
        names: &mut BTreeMap<String, Span>,
    ) -> bool {
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
}
