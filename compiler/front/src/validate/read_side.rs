//! The read side: events (what they carry) and views (their tables, source
//! entities, keys and indexes).

use std::collections::BTreeMap;

use super::names::{RUST_KEYWORDS, is_pascal, is_table_name};
use super::{Checker, Path, join};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::yaml::Segment;

impl Checker<'_> {
    pub(super) fn event_ref(&mut self, name: &str, path: &[Segment], spec: &ast::Spec) {
        if !spec.events.contains_key(name) {
            let known: Vec<&str> = spec.events.keys().map(String::as_str).collect();
            self.unknown(Code::UnknownEvent, path, "event", name, &known);
        }
    }

    pub(super) fn events(&mut self, spec: &ast::Spec, entities: &[ir::Entity]) -> Vec<ir::Event> {
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

    pub(super) fn views(&mut self, spec: &ast::Spec, entities: &[ir::Entity]) -> Vec<ir::View> {
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
                    .map(|name| ir::Field::new(name, ir::FieldType::String))
                    .collect();
            }
            let owner = format!("view `{name}` (its `fields:`)");
            let keys = self.item_keys(
                &base,
                &view.pk,
                view.sk.as_deref(),
                &fields,
                &owner,
                Code::ViewKeyField,
            );
            let mut indexes = Vec::new();
            for (index, index_keys) in &view.indexes {
                let ipath = join(&base, p!["indexes", index]);
                self.index_name(index, &ipath);
                let index_keys = self.item_keys(
                    &ipath,
                    &index_keys.pk,
                    index_keys.sk.as_deref(),
                    &fields,
                    &owner,
                    Code::ViewKeyField,
                );
                if let Some(pk) = index_keys.pk {
                    indexes.push(ir::IndexKeys {
                        index: index.clone(),
                        pk,
                        sk: index_keys.sk.flatten(),
                    });
                }
            }
            out.push(ir::View {
                name: name.clone(),
                table: view.table.clone(),
                source: view.source.clone(),
                pk: keys.pk.unwrap_or(ir::KeyTemplate { parts: vec![] }),
                sk: keys.sk.flatten(),
                fields,
                indexes,
            });
        }
        out
    }
}
