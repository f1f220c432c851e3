//! Where the things the generated code is made of are written in the spec.
//!
//! The IR holds no spans (emitters never see the front end), so front ends
//! that point developers back at the spec (the proc macro's docs and
//! diagnostics, `sagac scaffold`'s stubs) ask this side table instead: built
//! once from the spec text, it maps each service, action and field to the
//! `file:line:column` where it is declared. It reads only the YAML tree, so
//! it works on any text [`crate::compile`] accepted.

use std::collections::BTreeMap;
use std::fmt;

use crate::source::{SourceFile, Span};
use crate::yaml::{self, Node, Value};

/// A position in a spec file, 1-based, shown as `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The spec's name as the front end was given it (usually its path).
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The declarations of one spec, by name.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    /// `services.<name>`.
    services: BTreeMap<String, Location>,
    /// The `action:` of a step or compensation, by (service, action).
    actions: BTreeMap<(String, String), Location>,
    /// `request.<field>`.
    request: BTreeMap<String, Location>,
    /// `entities.<entity>.fields.<field>`, by (entity, field).
    fields: BTreeMap<(String, String), Location>,
    /// `entities.<entity>` and `events.<event>`.
    types: BTreeMap<String, Location>,
}

impl Locations {
    /// The locations in `file`; empty when the text does not parse.
    pub fn of(file: &SourceFile) -> Self {
        let mut locations = Locations::default();
        let Ok(root) = yaml::parse(file.text()) else {
            return locations;
        };
        let at = |span: Span| {
            let (line, column) = file.line_col(span.start);
            Location {
                file: file.name().to_owned(),
                line,
                column,
            }
        };
        for (key, _) in entries(&root, "services") {
            locations.services.insert(key.name.clone(), at(key.span));
        }
        for (key, _) in entries(&root, "request") {
            locations.request.insert(key.name.clone(), at(key.span));
        }
        for section in ["entities", "events"] {
            for (key, _) in entries(&root, section) {
                locations.types.insert(key.name.clone(), at(key.span));
            }
        }
        for (entity, node) in entries(&root, "entities") {
            for (field, _) in entries(node, "fields") {
                locations
                    .fields
                    .insert((entity.name.clone(), field.name.clone()), at(field.span));
            }
        }
        let steps = items(&root, "steps")
            .iter()
            .flat_map(|entry| match entry.get("parallel") {
                Some((_, group)) => items(group, "branches").iter().collect::<Vec<_>>(),
                None => vec![entry],
            });
        for step in steps {
            let Some(service) = text(step, "service") else {
                continue;
            };
            let actions = std::iter::once(step)
                .chain(step.get("compensation").map(|(_, c)| c))
                .filter_map(|node| node.get("action"));
            for (_, action) in actions {
                if let Value::Str(name) = &action.value {
                    locations
                        .actions
                        .entry((service.to_owned(), name.clone()))
                        .or_insert_with(|| at(action.span));
                }
            }
        }
        locations
    }

    /// Where the service `name` is declared.
    pub fn service(&self, name: &str) -> Option<&Location> {
        self.services.get(name)
    }

    /// Where the step or compensation calling `service`'s `action` names it.
    pub fn action(&self, service: &str, action: &str) -> Option<&Location> {
        self.actions.get(&(service.to_owned(), action.to_owned()))
    }

    /// Where the start request's field `name` is declared.
    pub fn request_field(&self, name: &str) -> Option<&Location> {
        self.request.get(name)
    }

    /// Where `entity`'s field `name` is declared.
    pub fn field(&self, entity: &str, name: &str) -> Option<&Location> {
        self.fields.get(&(entity.to_owned(), name.to_owned()))
    }

    /// Where the entity or event `name` is declared.
    pub fn type_(&self, name: &str) -> Option<&Location> {
        self.types.get(name)
    }
}

/// The value under `key`, if `node` is a mapping that has it.
fn child<'a>(node: &'a Node, key: &str) -> Option<&'a Value> {
    node.get(key).map(|(_, child)| &child.value)
}

/// The entries of the mapping under `key`.
fn entries<'a>(node: &'a Node, key: &str) -> &'a [(yaml::Key, Node)] {
    match child(node, key) {
        Some(Value::Map(entries)) => entries,
        _ => &[],
    }
}

/// The items of the sequence under `key`.
fn items<'a>(node: &'a Node, key: &str) -> &'a [Node] {
    match child(node, key) {
        Some(Value::Seq(items)) => items,
        _ => &[],
    }
}

/// The string under `key`.
fn text<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    match child(node, key) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "\
services:
  seating: { timeout: 10s }
request:
  sale_id: string
entities:
  SeatHold:
    fields:
      sale_id: string
steps:
  - name: HoldSeats
    service: seating
    action: hold_seats
    compensation: { action: release_seats }
  - parallel:
      name: Both
      branches:
        - name: Charge
          service: billing
          action: charge_card
";

    #[test]
    fn finds_every_declaration() {
        let file = SourceFile::new("spec/t.saga.yaml", SPEC);
        let at = Locations::of(&file);
        let show = |l: Option<&Location>| l.map(ToString::to_string).unwrap_or_default();
        assert_eq!(show(at.service("seating")), "spec/t.saga.yaml:2:3");
        assert_eq!(show(at.request_field("sale_id")), "spec/t.saga.yaml:4:3");
        assert_eq!(show(at.type_("SeatHold")), "spec/t.saga.yaml:6:3");
        assert_eq!(
            show(at.field("SeatHold", "sale_id")),
            "spec/t.saga.yaml:8:7"
        );
        assert_eq!(
            show(at.action("seating", "hold_seats")),
            "spec/t.saga.yaml:12:13"
        );
        assert_eq!(
            show(at.action("seating", "release_seats")),
            "spec/t.saga.yaml:13:29"
        );
        assert_eq!(
            show(at.action("billing", "charge_card")),
            "spec/t.saga.yaml:19:19"
        );
        assert_eq!(at.action("seating", "charge_card"), None);
    }

    #[test]
    fn unparsable_text_has_no_locations() {
        let at = Locations::of(&SourceFile::new("x", "a: [b"));
        assert_eq!(at.service("a"), None);
    }
}
