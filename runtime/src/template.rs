//! Key templates: `TRIP#{trip_id}`, `STATUS#{status}`, `{created_at}`.
//!
//! The spec writes every key as literal text with `{field}` placeholders;
//! the compiler passes those strings through (e.g. in the projector's
//! `PROJECTION` configuration) and this renderer fills them from an item.
//! A placeholder whose field is missing, null or not a scalar is an error,
//! never an empty string: an empty key segment would silently merge rows.

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A parsed key template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Field(String),
}

/// Why a template could not be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// The template text is malformed.
    Syntax {
        /// The template.
        template: String,
        /// What is wrong.
        reason: String,
    },
    /// A placeholder's field is missing or not a scalar.
    MissingField {
        /// The template.
        template: String,
        /// The field.
        field: String,
    },
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax { template, reason } => write!(f, "key template `{template}`: {reason}"),
            Self::MissingField { template, field } => write!(
                f,
                "key template `{template}`: field `{field}` is missing, null or not a scalar"
            ),
        }
    }
}

impl std::error::Error for TemplateError {}

impl KeyTemplate {
    /// Parses `text`; `{` must be closed by `}` around a non-empty name.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let syntax = |reason: &str| TemplateError::Syntax {
            template: text.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(Part::Literal(rest.to_owned()));
                    break;
                }
                Some(i) if rest.as_bytes()[i] == b'}' => return Err(syntax("`}` without `{`")),
                Some(i) => {
                    if i > 0 {
                        parts.push(Part::Literal(rest[..i].to_owned()));
                    }
                    let after = &rest[i + 1..];
                    let end = after
                        .find('}')
                        .ok_or_else(|| syntax("`{` is never closed"))?;
                    let name = &after[..end];
                    if name.is_empty() || name.contains('{') {
                        return Err(syntax("a placeholder needs a field name"));
                    }
                    parts.push(Part::Field(name.to_owned()));
                    rest = &after[end + 1..];
                }
            }
        }
        Ok(Self {
            source: text.to_owned(),
            parts,
        })
    }

    /// The field names the template reads, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field(f) => Some(f.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Renders the template from an item's attributes. Strings are inserted
    /// as they are, numbers and booleans in their JSON form.
    pub fn render(&self, item: &Map<String, Value>) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Field(name) => match item.get(name) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(Value::Number(n)) => out.push_str(&n.to_string()),
                    Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
                    _ => {
                        return Err(TemplateError::MissingField {
                            template: self.source.clone(),
                            field: name.clone(),
                        });
                    }
                },
            }
        }
        Ok(out)
    }

    /// The literal text before the first placeholder (`OUTBOX#` of
    /// `OUTBOX#{event_id}`): what every rendered key starts with.
    pub fn prefix(&self) -> &str {
        match self.parts.first() {
            Some(Part::Literal(s)) => s,
            _ => "",
        }
    }

    /// The template text.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for KeyTemplate {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for KeyTemplate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn renders_placeholders() {
        let t = KeyTemplate::parse("FLIGHT#{flight_number}#{depart_on}").unwrap();
        let i = item(json!({"flight_number": "JL1", "depart_on": "2024-05-01", "x": 1}));
        assert_eq!(t.render(&i).unwrap(), "FLIGHT#JL1#2024-05-01");
        assert_eq!(
            t.fields().collect::<Vec<_>>(),
            ["flight_number", "depart_on"]
        );
        assert_eq!(
            KeyTemplate::parse("METADATA")
                .unwrap()
                .render(&Map::new())
                .unwrap(),
            "METADATA"
        );
        assert_eq!(
            KeyTemplate::parse("{n}")
                .unwrap()
                .render(&item(json!({"n": 7})))
                .unwrap(),
            "7"
        );
    }

    #[test]
    fn missing_fields_are_errors() {
        let t = KeyTemplate::parse("STATUS#{status}").unwrap();
        for bad in [
            json!({}),
            json!({"status": null}),
            json!({"status": {"a": 1}}),
        ] {
            assert!(matches!(
                t.render(&item(bad)),
                Err(TemplateError::MissingField { .. })
            ));
        }
    }

    #[test]
    fn malformed_templates_are_refused() {
        for bad in ["A#{", "A#}", "{}", "{a{b}"] {
            assert!(KeyTemplate::parse(bad).is_err(), "{bad}");
        }
    }
}
