//! The structural check: the JSON Schema derived from [`crate::ast`] run over
//! the parsed tree.
//!
//! Running the schema (rather than relying on serde's first error) reports
//! every unknown key, missing key and wrong type at once, each at its own
//! position, and keeps the language and its schema from drifting apart: the
//! schema editors use is the very one the compiler enforces.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value as Json;

use crate::ast::{DURATION_PATTERN, TYPE_NAME_PATTERN};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::yaml::{Node, Segment, Value, lookup};

fn schema() -> &'static Json {
    static SCHEMA: OnceLock<Json> = OnceLock::new();
    SCHEMA.get_or_init(crate::ast::schema)
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        // The schema is generated from our own types; failing to compile it
        // is a bug caught by every test, never a user-facing condition.
        jsonschema::options()
            .should_validate_formats(false)
            .build(schema())
            .expect("the generated spec schema compiles")
    })
}

/// Checks the tree against the schema and returns every problem found.
pub fn check(root: &Node, json: &Json) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for error in validator().iter_errors(json) {
        convert(root, &error, &mut out);
    }
    out
}

fn path_of(root: &Node, pointer: &str) -> Vec<Segment> {
    let mut path = Vec::new();
    let mut node = Some(root);
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        let seg = match (node.map(|n| &n.value), segment.parse::<usize>()) {
            (Some(Value::Seq(_)), Ok(i)) => Segment::Index(i),
            _ => Segment::Key(segment),
        };
        path.push(seg);
        node = node.and_then(|_| {
            let (found, _, exists) = lookup(root, &path);
            exists.then_some(found)
        });
    }
    path
}

fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Null => "nothing (null)",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

fn expected_type(kind: &TypeKind) -> String {
    let name = |t: jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a mapping".to_owned(),
        "array" => "a list".to_owned(),
        "integer" => "an integer".to_owned(),
        "null" => "nothing".to_owned(),
        other => format!("a {other}"),
    };
    match kind {
        TypeKind::Single(t) => name(*t),
        // `null` stands for an optional key left empty; leaving the key out
        // is the way to say nothing, so it is not offered as an expectation.
        TypeKind::Multiple(set) => {
            let names: Vec<String> = set
                .iter()
                .filter(|t| t.to_string() != "null")
                .map(name)
                .collect();
            if names.is_empty() {
                "nothing".to_owned()
            } else {
                names.join(" or ")
            }
        }
    }
}

/// Names the place a path leads to, the way an author would: `retry`, or
/// "item 2 of `steps`" (counting from one).
fn where_(path: &[Segment]) -> String {
    match path {
        [.., Segment::Key(key)] => format!("`{key}`"),
        [.., parent, Segment::Index(i)] => {
            format!("item {} of {}", i + 1, where_(std::slice::from_ref(parent)))
        }
        [Segment::Index(i)] => format!("item {}", i + 1),
        [] => "the spec".to_owned(),
    }
}

/// The code of a number outside the range its type allows. A retry policy's
/// numbers have their own code (S062), whichever pass finds them: the schema
/// (a negative `attempts`) or the validator (more than Step Functions takes).
fn range_code(path: &[Segment]) -> Code {
    match path {
        [.., Segment::Key(policy), Segment::Key(_)]
            if policy == "retry" || policy == "compensation_retry" =>
        {
            Code::RetryRange
        }
        _ => Code::InvalidValue,
    }
}

/// A value that is not one of `choices` (an enum of the language).
fn invalid_choice(
    node: &Node,
    path: &[Segment],
    instance: &Json,
    choices: &[String],
    out: &mut Vec<Diagnostic>,
) {
    let found = instance
        .as_str()
        .map_or_else(|| instance.to_string(), str::to_owned);
    out.push(
        Diagnostic::new(
            Code::InvalidValue,
            node.span,
            format!("`{found}` is not a valid value for {}", where_(path)),
        )
        .label(format!(
            "expected one of {}",
            choices
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .maybe_help(
            crate::diagnostic::suggest(&found, choices.iter().map(String::as_str))
                .map(|c| format!("did you mean `{c}`?")),
        ),
    );
}

fn convert(root: &Node, error: &ValidationError<'_>, out: &mut Vec<Diagnostic>) {
    let path = path_of(root, error.instance_path().as_str());
    let (node, key_span, _) = lookup(root, &path);
    let instance = error.instance();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_keys(&path, root);
            for name in unexpected {
                let span = node.get(name).map(|(k, _)| k.span).unwrap_or(node.span);
                out.push(
                    Diagnostic::new(Code::UnknownKey, span, format!("unknown key `{name}`"))
                        .label(format!("not a key of {}", where_(&path)))
                        .maybe_help(did_you_mean(
                            name,
                            "key",
                            allowed.iter().map(String::as_str),
                        )),
                );
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let description = property_description(&path, name, root);
            // Point at the key that holds the mapping; for a list item, which
            // has no key, at its first key rather than the whole item.
            let span = key_span
                .or_else(|| match &node.value {
                    Value::Map(entries) => entries.first().map(|(k, _)| k.span),
                    _ => None,
                })
                .unwrap_or(node.span);
            out.push(
                Diagnostic::new(
                    Code::MissingKey,
                    span,
                    format!("missing key `{name}` in {}", where_(&path)),
                )
                .label(format!("`{name}` is required here"))
                .maybe_help(description.map(|d| format!("add `{name}:` ({d})"))),
            );
        }
        ValidationErrorKind::Type { .. } if is_duration(&path, root) => {
            let suggestion = match instance.as_ref() {
                Json::Number(n) if n.is_u64() => Some(format!("did you mean `{n}s`?")),
                _ => None,
            };
            out.push(
                Diagnostic::new(
                    Code::InvalidDuration,
                    node.span,
                    format!(
                        "{} must be a duration, found {}",
                        where_(&path),
                        type_name(instance)
                    ),
                )
                .label("expected a duration such as `30s`, `5m`, `2h` or `7d`")
                .help(suggestion.unwrap_or_else(|| {
                    "write a whole number followed by ms, s, m, h or d".to_owned()
                })),
            );
        }
        ValidationErrorKind::Type { kind } => {
            // A block mapping or list can run for many lines; point at the
            // key that holds it instead.
            let span = match (&node.value, key_span) {
                (Value::Map(_) | Value::Seq(_), Some(key)) => key,
                _ => node.span,
            };
            out.push(
                Diagnostic::new(
                    Code::WrongType,
                    span,
                    format!(
                        "{} must be {}, found {}",
                        where_(&path),
                        expected_type(kind),
                        type_name(instance)
                    ),
                )
                .label(format!("expected {}", expected_type(kind))),
            );
        }
        ValidationErrorKind::Enum { options } => {
            let choices: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            invalid_choice(node, &path, instance, &choices, out);
        }
        ValidationErrorKind::Pattern { pattern } => {
            let found = instance.as_str().unwrap_or_default();
            let (code, label, help) = if pattern == DURATION_PATTERN {
                (
                    Code::InvalidDuration,
                    "expected a duration such as `30s`, `5m`, `2h` or `7d`",
                    "write a whole number followed by ms, s, m, h or d",
                )
            } else if pattern == TYPE_NAME_PATTERN {
                (
                    Code::InvalidValue,
                    "expected a field type",
                    "field types are string, int, decimal, bool, date and timestamp; add `?` for an optional field",
                )
            } else {
                (Code::InvalidValue, "does not match the expected format", "")
            };
            out.push(
                Diagnostic::new(
                    code,
                    node.span,
                    match code {
                        Code::InvalidDuration => {
                            format!("`{found}` is not a duration (in {})", where_(&path))
                        }
                        _ if pattern == TYPE_NAME_PATTERN => {
                            format!("`{found}` is not a field type (in {})", where_(&path))
                        }
                        _ => format!("`{found}` is not valid for {}", where_(&path)),
                    },
                )
                .label(label)
                .maybe_help((!help.is_empty()).then(|| help.to_owned())),
            );
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            out.push(
                Diagnostic::new(
                    range_code(&path),
                    node.span,
                    format!(
                        "{} must be at least {limit}, found {instance}",
                        where_(&path)
                    ),
                )
                .label("too small"),
            );
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            out.push(
                Diagnostic::new(
                    range_code(&path),
                    node.span,
                    format!(
                        "{} must be at most {limit}, found {instance}",
                        where_(&path)
                    ),
                )
                .label("too large"),
            );
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context }
            if enum_choices(error, context).is_some() =>
        {
            // schemars writes an enum with documented variants as `oneOf`
            // of `const`s; report it as the choice it is.
            let choices = enum_choices(error, context).unwrap_or_default();
            invalid_choice(node, &path, instance, &choices, out);
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // Report the alternative the author most plausibly meant: one
            // whose type fits the value written, then the one that yields the
            // fewest diagnostics (so a step with one misspelt key is reported
            // as a step with a typo, not as a parallel group missing every key).
            let best = context
                .iter()
                .map(|errors| {
                    let mut diagnostics = Vec::new();
                    for inner in errors {
                        convert(root, inner, &mut diagnostics);
                    }
                    let wrong_type = errors.iter().any(|e| {
                        matches!(e.kind(), ValidationErrorKind::Type { .. })
                            && e.instance_path().as_str() == error.instance_path().as_str()
                    });
                    (wrong_type, diagnostics)
                })
                .min_by_key(|(wrong_type, diagnostics)| (*wrong_type, diagnostics.len()));
            match best {
                Some((_, diagnostics)) if !diagnostics.is_empty() => out.extend(diagnostics),
                _ => out.push(
                    Diagnostic::new(
                        Code::WrongType,
                        node.span,
                        format!("{} has an unexpected shape", where_(&path)),
                    )
                    .label("not a valid value here"),
                ),
            }
        }
        other => {
            out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    node.span,
                    format!("{} is invalid: {error}", where_(&path)),
                )
                .label(format!("fails `{}`", other.keyword())),
            );
        }
    }
}

/// Resolves `$ref`s of the generated schema (they all point into `definitions`
/// or `$defs`), including the `allOf: [{$ref}]` wrappers schemars writes when
/// a property carries its own description.
fn resolve(schema: &Json) -> &Json {
    let mut current = schema;
    for _ in 0..16 {
        if let Some([only]) = current
            .get("allOf")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
        {
            current = only;
            continue;
        }
        let Some(reference) = current.get("$ref").and_then(Json::as_str) else {
            break;
        };
        let name = reference.rsplit('/').next().unwrap_or_default();
        let definitions = self::schema()
            .get("definitions")
            .or_else(|| self::schema().get("$defs"));
        match definitions.and_then(|d| d.get(name)) {
            Some(next) => current = next,
            None => break,
        }
    }
    current
}

/// The object schemas a path may refer to: every `anyOf` alternative is kept,
/// since which one the author meant is decided by the keys present.
fn schemas_at<'a>(path: &[Segment], root: &Node) -> Vec<&'a Json> {
    let mut current: Vec<&Json> = vec![resolve(schema())];
    for (depth, segment) in path.iter().enumerate() {
        let mut next = Vec::new();
        for schema in expand(current) {
            match segment {
                Segment::Key(key) => {
                    if let Some(p) = schema.get("properties").and_then(|p| p.get(key)) {
                        next.push(resolve(p));
                    } else if let Some(a) =
                        schema.get("additionalProperties").filter(|a| a.is_object())
                    {
                        next.push(resolve(a));
                    }
                }
                Segment::Index(_) => {
                    if let Some(items) = schema.get("items") {
                        next.push(resolve(items));
                    }
                }
            }
        }
        // Keep only alternatives that fit the keys actually written.
        let (node, _, _) = lookup(root, &path[..=depth]);
        if let Value::Map(entries) = &node.value {
            let fitting: Vec<&Json> = expand(next.clone())
                .into_iter()
                .filter(|s| {
                    s.get("properties").is_some_and(|props| {
                        entries.iter().any(|(k, _)| props.get(&k.name).is_some())
                    })
                })
                .collect();
            if !fitting.is_empty() {
                next = fitting;
            }
        }
        current = next;
    }
    expand(current)
}

fn expand(schemas: Vec<&Json>) -> Vec<&Json> {
    let mut out = Vec::new();
    for schema in schemas {
        let alternatives = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Json::as_array);
        match alternatives {
            Some(alts) => out.extend(alts.iter().map(resolve)),
            None => out.push(schema),
        }
    }
    out
}

/// The accepted values when every alternative of `error` is a `const` (or a
/// type check) at the same place: an enum of the language.
fn enum_choices(
    error: &ValidationError<'_>,
    context: &[Vec<ValidationError<'_>>],
) -> Option<Vec<String>> {
    let here = error.instance_path().as_str();
    let mut choices = Vec::new();
    for errors in context {
        for inner in errors {
            if inner.instance_path().as_str() != here {
                return None;
            }
            match inner.kind() {
                ValidationErrorKind::Constant { expected_value } => {
                    choices.extend(expected_value.as_str().map(str::to_owned));
                }
                ValidationErrorKind::Type { .. } => {}
                _ => return None,
            }
        }
    }
    (!choices.is_empty()).then_some(choices)
}

/// Whether the value at `path` is a duration in the language.
fn is_duration(path: &[Segment], root: &Node) -> bool {
    !path.is_empty()
        && schemas_at(path, root)
            .iter()
            .any(|s| s.get("pattern").and_then(Json::as_str) == Some(DURATION_PATTERN))
}

fn allowed_keys(path: &[Segment], root: &Node) -> Vec<String> {
    let mut keys: Vec<String> = schemas_at(path, root)
        .iter()
        .filter_map(|s| s.get("properties").and_then(Json::as_object))
        .flat_map(|p| p.keys().cloned())
        .collect();
    keys.dedup();
    keys
}

fn property_description(path: &[Segment], name: &str, root: &Node) -> Option<String> {
    schemas_at(path, root).iter().find_map(|s| {
        let property = s.get("properties")?.get(name)?;
        property
            .get("description")
            .or_else(|| resolve(property).get("description"))
            .and_then(Json::as_str)
            .map(|d| {
                let first = d.lines().next().unwrap_or(d).trim_end_matches('.');
                let mut chars = first.chars();
                match chars.next() {
                    Some(c) => c.to_lowercase().chain(chars).collect(),
                    None => String::new(),
                }
            })
    })
}
