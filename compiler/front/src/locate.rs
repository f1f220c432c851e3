//! Where the things the generated code is made of are written in the spec.
//!
//! The IR holds no spans (emitters never see the front end), so front ends
//! that point developers back at the spec (the proc macro's docs and
//! diagnostics, `sagac scaffold`'s stubs) ask this side table instead: built
//! once from the spec text, it maps each service, action and field to the
//! `file:line:column` where it is declared. It reads only the YAML tree, so
//! it works on any text [`crate::compile`] accepted. The table's type is the
//! IR side's ([`Locations`]), which the emitters read.

use crate::source::{SourceFile, Span};
use crate::yaml::{self, Node, Value};
pub use sagac_ir::locate::{Location, Locations};

/// The locations in `file`; empty when the text does not parse.
pub fn of(file: &SourceFile) -> Locations {
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
        locations.declare_service(&key.name, at(key.span));
    }
    for (key, _) in entries(&root, "request") {
        locations.declare_request_field(&key.name, at(key.span));
    }
    for section in ["entities", "events"] {
        for (key, _) in entries(&root, section) {
            locations.declare_type(&key.name, at(key.span));
        }
    }
    for (entity, node) in entries(&root, "entities") {
        for (field, _) in entries(node, "fields") {
            locations.declare_field(&entity.name, &field.name, at(field.span));
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
                locations.declare_action(service, name, at(action.span));
            }
        }
    }
    locations
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
        let at = of(&file);
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
        let at = of(&SourceFile::new("x", "a: [b"));
        assert_eq!(at.service("a"), None);
    }
}
