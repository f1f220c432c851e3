//! Keys and storage: the table, key templates (syntax, fields, collisions),
//! entities and their indexes, the root and the outbox.

use std::collections::BTreeMap;

use super::names::{is_table_name, is_upper_snake};
use super::{Checker, Path, join};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::ir;
use crate::yaml::{Segment, lookup};

/// The status of `root.on_pivot_unknown` when the spec does not set it.
pub const DEFAULT_PIVOT_UNKNOWN: &str = "PIVOT_UNKNOWN";

/// The status of `root.on_retries_exhausted` when the spec does not set it.
pub const DEFAULT_RETRIES_EXHAUSTED: &str = "RETRIES_EXHAUSTED";

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
pub(super) fn may_overlap(a: &ir::KeyTemplate, b: &ir::KeyTemplate) -> bool {
    let text = |t: &ir::KeyTemplate| t.to_string();
    match (a.is_constant(), b.is_constant()) {
        (true, true) => text(a) == text(b),
        (true, false) => text(a).starts_with(b.prefix()),
        (false, true) => text(b).starts_with(a.prefix()),
        (false, false) => a.prefix().starts_with(b.prefix()) || b.prefix().starts_with(a.prefix()),
    }
}

/// The key templates of one kind of item (an entity, a view, or an index
/// of either), as checked: `None` where a template has an error, which is
/// already reported.
pub(super) struct ItemKeys {
    /// The partition key.
    pub pk: Option<ir::KeyTemplate>,
    /// The sort key: `None` when none is given, `Some(None)` when it has an
    /// error.
    pub sk: Option<Option<ir::KeyTemplate>>,
}

impl ItemKeys {
    /// Both keys, when neither has an error.
    pub fn valid(self) -> Option<(ir::KeyTemplate, Option<ir::KeyTemplate>)> {
        let pk = self.pk?;
        match self.sk {
            None => Some((pk, None)),
            Some(sk) => Some((pk, Some(sk?))),
        }
    }
}

impl Checker<'_> {
    pub(super) fn table(&mut self, table: &ast::Table) -> ir::Table {
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
            self.index_name(name, &p!["table", "indexes", name]);
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

    /// Checks an index's name, declared at `path`.
    pub(super) fn index_name(&mut self, name: &str, path: &[Segment]) {
        let ok = (3..=255).contains(&name.len()) && is_table_name(name);
        self.name(
            name,
            path,
            Code::InvalidTableName,
            ok,
            "DynamoDB index name",
        );
    }

    /// The `pk` and, when given, `sk` templates of an item declared at
    /// `base` (`<base>.pk`, `<base>.sk`), each checked against `fields`,
    /// the fields of `owner`, with `code` for a field they lack.
    pub(super) fn item_keys(
        &mut self,
        base: &Path,
        pk: &str,
        sk: Option<&str>,
        fields: &[ir::Field],
        owner: &str,
        code: Code,
    ) -> ItemKeys {
        let pk = self.key_template(pk, &join(base, p!["pk"]), fields, owner, code);
        let sk = sk.map(|sk| self.key_template(sk, &join(base, p!["sk"]), fields, owner, code));
        ItemKeys { pk, sk }
    }

    pub(super) fn key_template(
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

    pub(super) fn entities(&mut self, spec: &ast::Spec, table: &ir::Table) -> Vec<ir::Entity> {
        let mut out: Vec<ir::Entity> = Vec::new();
        let index_names: Vec<&str> = table.indexes.iter().map(|i| i.name.as_str()).collect();
        for (name, entity) in &spec.entities {
            let base = p!["entities", name];
            self.identifier(name, &base, true);
            let fields = self.fields(&entity.fields, &join(&base, p!["fields"]));
            let owner = format!("entity `{name}`");
            let keys = self.item_keys(
                &base,
                &entity.pk,
                Some(&entity.sk),
                &fields,
                &owner,
                Code::UnknownKeyField,
            );
            let mut indexes = Vec::new();
            for (index, index_keys) in &entity.indexes {
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
                if table_index.sk.is_some() != index_keys.sk.is_some() {
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
                if let Some((pk, sk)) = self
                    .item_keys(
                        &ipath,
                        &index_keys.pk,
                        index_keys.sk.as_deref(),
                        &fields,
                        &owner,
                        Code::UnknownKeyField,
                    )
                    .valid()
                {
                    indexes.push(ir::IndexKeys {
                        index: index.clone(),
                        pk,
                        sk,
                    });
                }
            }
            if let Some((pk, Some(sk))) = keys.valid() {
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

    pub(super) fn entity_ref<'e>(
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

    pub(super) fn field_ref(&mut self, name: &str, path: &[Segment], entity: &ir::Entity) -> bool {
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

    pub(super) fn root(&mut self, spec: &ast::Spec, entities: &[ir::Entity]) -> ir::Root {
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

    pub(super) fn outbox(&mut self, spec: &ast::Spec, entities: &[ir::Entity]) -> ir::Outbox {
        let outbox = &spec.outbox;
        let event_id = [ir::Field::new("event_id", ir::FieldType::String)];
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
}
