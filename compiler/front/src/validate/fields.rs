//! Fields: types, constraints, `pattern`s (ECMA 262), `example:` values, and
//! the size bounds of the start request (S091, rule in [`crate::bounds`]).

use super::{Checker, Path, join};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::yaml::{Segment, lookup};

/// Why `value` is not a valid example of `field`, if it is not.
pub(super) fn example_problem(field: &ir::Field, value: &serde_json::Value) -> Option<String> {
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

pub(super) fn range_problem(field: &ir::Field, n: f64) -> Option<String> {
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
pub(super) fn is_date(text: &str) -> bool {
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
pub(super) fn is_timestamp(text: &str) -> bool {
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

impl Checker<'_> {
    pub(super) fn fields(
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
                optional,
                ..ir::Field::new(name.clone(), ty)
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
    pub(super) fn pattern(&mut self, pattern: &str, path: &[Segment]) {
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
    pub(super) fn request_bounds(
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
    pub(super) fn bound_note(
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
}

#[cfg(test)]
mod tests {

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
