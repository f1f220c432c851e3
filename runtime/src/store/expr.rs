//! Rendering of [`Condition`] and [`Update`] into DynamoDB expressions.
//!
//! Every attribute name goes through `ExpressionAttributeNames` and every
//! value through `ExpressionAttributeValues`, so reserved words (`status`,
//! `version`) and arbitrary values never need escaping.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use super::{Condition, Update, UpdateAction};
use crate::attribute::to_attribute;

/// Placeholders collected while rendering one request's expressions.
#[derive(Debug, Default)]
pub(crate) struct Expressions {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expressions {
    fn name(&mut self, attr: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| a.as_str() == attr) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    fn value(&mut self, value: &Value) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), to_attribute(value));
        placeholder
    }

    /// Renders a condition; `pk_attribute` stands for item existence.
    pub(crate) fn condition(&mut self, condition: &Condition, pk_attribute: &str) -> String {
        match condition {
            Condition::Exists(a) => format!("attribute_exists({})", self.name(a)),
            Condition::NotExists(a) => format!("attribute_not_exists({})", self.name(a)),
            Condition::ItemExists => format!("attribute_exists({})", self.name(pk_attribute)),
            Condition::ItemNotExists => {
                format!("attribute_not_exists({})", self.name(pk_attribute))
            }
            Condition::Compare(a, op, v) => {
                let n = self.name(a);
                let v = self.value(v);
                format!("{n} {} {v}", op.operator())
            }
            Condition::BeginsWith(a, prefix) => {
                let n = self.name(a);
                let v = self.value(&Value::String(prefix.clone()));
                format!("begins_with({n}, {v})")
            }
            Condition::And(all) => self.join(all, " AND ", pk_attribute),
            Condition::Or(any) => self.join(any, " OR ", pk_attribute),
            Condition::Not(c) => format!("NOT ({})", self.condition(c, pk_attribute)),
        }
    }

    fn join(&mut self, parts: &[Condition], sep: &str, pk_attribute: &str) -> String {
        let rendered: Vec<String> = parts
            .iter()
            .map(|c| format!("({})", self.condition(c, pk_attribute)))
            .collect();
        rendered.join(sep)
    }

    /// Renders an update expression (`SET ... REMOVE ...`).
    pub(crate) fn update(&mut self, update: &Update) -> String {
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        for action in &update.actions {
            match action {
                UpdateAction::Set(a, v) => {
                    let n = self.name(a);
                    let v = self.value(v);
                    sets.push(format!("{n} = {v}"));
                }
                UpdateAction::Increment(a, delta) => {
                    let n = self.name(a);
                    let zero = self.value(&Value::from(0));
                    let d = self.value(&Value::from(*delta));
                    sets.push(format!("{n} = if_not_exists({n}, {zero}) + {d}"));
                }
                UpdateAction::Remove(a) => removes.push(self.name(a)),
            }
        }
        let mut out = Vec::new();
        if !sets.is_empty() {
            out.push(format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            out.push(format!("REMOVE {}", removes.join(", ")));
        }
        out.join(" ")
    }

    /// The collected names, or `None` if there are none (DynamoDB rejects
    /// empty maps).
    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The collected values, or `None` if there are none.
    pub(crate) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_conditions_with_placeholders() {
        let mut e = Expressions::default();
        let c = Condition::ItemNotExists.or(Condition::lt("version", 3));
        assert_eq!(
            e.condition(&c, "PK"),
            "(attribute_not_exists(#n0)) OR (#n1 < :v0)"
        );
        assert_eq!(e.names().unwrap()["#n1"], "version");
        assert_eq!(e.values().unwrap()[":v0"], AttributeValue::N("3".into()));
    }

    #[test]
    fn renders_updates() {
        let mut e = Expressions::default();
        let u = Update::new()
            .set("status", json!("CANCELLED"))
            .increment("seats_available", -2)
            .remove("hold");
        assert_eq!(
            e.update(&u),
            "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1) + :v2 REMOVE #n2"
        );
        assert_eq!(
            e.condition(&Condition::ge("seats_available", 2), "PK"),
            "#n1 >= :v3"
        );
    }
}
