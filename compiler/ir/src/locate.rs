//! Where the things the generated code is made of are written in the spec.
//!
//! The IR holds no spans (emitters never see the front end), so front ends
//! that point developers back at the spec (the proc macro's docs and
//! diagnostics, `sagac scaffold`'s stubs) ask this side table instead: built
//! once from the spec text, it maps each service, action and field to the
//! `file:line:column` where it is declared. The table is built by the front
//! end (`sagac_front::locate::of`, from the YAML tree) and read by the
//! emitters, so its type lives here, beside the IR, and holds no spans.

use std::collections::BTreeMap;
use std::fmt;

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
    /// Records where the service `name` is declared.
    pub fn declare_service(&mut self, name: &str, at: Location) {
        self.services.insert(name.to_owned(), at);
    }

    /// Records where a step or compensation calling `service`'s `action`
    /// names it; the first such place is kept.
    pub fn declare_action(&mut self, service: &str, action: &str, at: Location) {
        self.actions
            .entry((service.to_owned(), action.to_owned()))
            .or_insert(at);
    }

    /// Records where the start request's field `name` is declared.
    pub fn declare_request_field(&mut self, name: &str, at: Location) {
        self.request.insert(name.to_owned(), at);
    }

    /// Records where `entity`'s field `name` is declared.
    pub fn declare_field(&mut self, entity: &str, name: &str, at: Location) {
        self.fields.insert((entity.to_owned(), name.to_owned()), at);
    }

    /// Records where the entity or event `name` is declared.
    pub fn declare_type(&mut self, name: &str, at: Location) {
        self.types.insert(name.to_owned(), at);
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
