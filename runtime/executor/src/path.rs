//! ASL paths: reference paths (`$.a.b[0]`, `$['a b']`), which select one value
//! and are the only ones `ResultPath` accepts, and full JSONPath queries
//! (wildcards, filters, slices, descent) through `serde_json_path`, which select
//! a list. A path starting with `$$` reads the context object.

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

/// A parsed path.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    context: bool,
    kind: PathKind,
}

#[derive(Debug, Clone)]
enum PathKind {
    /// A definite path: exactly one value or none.
    Reference(Vec<Segment>),
    /// An indefinite JSONPath query: a list of values.
    Query(JsonPath),
    /// A singular query our reference parser does not cover (e.g. `$.a[-1]`).
    SingularQuery(JsonPath),
}

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object member.
    Field(String),
    /// An array element.
    Index(usize),
}

impl Path {
    /// Parses a path; `$$…` reads the context object.
    ///
    /// # Errors
    /// A message saying why `text` is not a path.
    pub fn parse(text: &str) -> Result<Path, String> {
        let (context, body) = match text.strip_prefix("$$") {
            Some(rest) => (true, format!("${rest}")),
            None if text.starts_with('$') => (false, text.to_owned()),
            None => return Err(format!("`{text}` is not a path: a path starts with `$`")),
        };
        let kind = match parse_reference(&body) {
            Some(segments) => PathKind::Reference(segments),
            None => {
                let query = JsonPath::parse(&body)
                    .map_err(|e| format!("`{text}` is not a valid JSONPath: {e}"))?;
                if is_indefinite(&body) {
                    PathKind::Query(query)
                } else {
                    PathKind::SingularQuery(query)
                }
            }
        };
        Ok(Path {
            text: text.to_owned(),
            context,
            kind,
        })
    }

    /// Parses a reference path (one value, no wildcard or filter), as
    /// `ResultPath` and the `*Path` fields of a Choice or a Wait require.
    ///
    /// # Errors
    /// A message saying why `text` is not a reference path.
    pub fn parse_reference(text: &str) -> Result<Path, String> {
        let path = Path::parse(text)?;
        match path.kind {
            PathKind::Reference(_) => Ok(path),
            _ => Err(format!(
                "`{text}` is not a reference path (no wildcards, filters or slices)"
            )),
        }
    }

    /// The path as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the path reads the context object (`$$`).
    #[must_use]
    pub fn is_context(&self) -> bool {
        self.context
    }

    /// Whether this is `$` (or `$$`): the whole document.
    #[must_use]
    pub fn is_root(&self) -> bool {
        matches!(&self.kind, PathKind::Reference(s) if s.is_empty())
    }

    /// The reference segments, when this is a reference path.
    #[must_use]
    pub fn segments(&self) -> Option<&[Segment]> {
        match &self.kind {
            PathKind::Reference(segments) => Some(segments),
            _ => None,
        }
    }

    /// Selects from `input` (the state's data) or `context` (for `$$`). `None`
    /// when a definite path matches nothing; an indefinite path gives an array
    /// of its matches, possibly empty.
    #[must_use]
    pub fn select(&self, input: &Value, context: &Value) -> Option<Value> {
        let doc = if self.context { context } else { input };
        match &self.kind {
            PathKind::Reference(segments) => get(doc, segments).cloned(),
            PathKind::Query(query) => Some(Value::Array(
                query.query(doc).all().into_iter().cloned().collect(),
            )),
            PathKind::SingularQuery(query) => query.query(doc).exactly_one().ok().cloned(),
        }
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

fn get<'v>(mut doc: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    for segment in segments {
        doc = match (segment, doc) {
            (Segment::Field(name), Value::Object(map)) => map.get(name)?,
            (Segment::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(doc)
}

/// `ResultPath` met something it cannot write into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoMatch;

/// Writes `value` at `segments` inside `doc`, creating missing objects on the
/// way, as `ResultPath` does.
///
/// # Errors
/// When a step meets something that is not an object (or an array index out of
/// range): the `States.ResultPathMatchFailure` case.
pub fn set(doc: &mut Value, segments: &[Segment], value: Value) -> Result<(), NoMatch> {
    let Some((last, parents)) = segments.split_last() else {
        *doc = value;
        return Ok(());
    };
    let mut here = doc;
    for segment in parents {
        here = match (segment, here) {
            (Segment::Field(name), Value::Object(map)) => map
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            (Segment::Index(i), Value::Array(items)) => items.get_mut(*i).ok_or(NoMatch)?,
            _ => return Err(NoMatch),
        };
    }
    match (last, here) {
        (Segment::Field(name), Value::Object(map)) => {
            map.insert(name.clone(), value);
            Ok(())
        }
        (Segment::Index(i), Value::Array(items)) if *i < items.len() => {
            items[*i] = value;
            Ok(())
        }
        _ => Err(NoMatch),
    }
}

/// `$`, then `.name`, `['name']`, `["name"]` or `[N]` steps. `None` when the
/// text holds anything else (left to the JSONPath parser).
fn parse_reference(text: &str) -> Option<Vec<Segment>> {
    let chars: Vec<char> = text.chars().collect();
    if chars.first() != Some(&'$') {
        return None;
    }
    let mut segments = Vec::new();
    let mut i = 1;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && !matches!(chars[j], '.' | '[') {
                    if matches!(
                        chars[j],
                        '*' | '@' | '?' | '(' | ')' | ']' | '\'' | '"' | ' '
                    ) {
                        return None;
                    }
                    j += 1;
                }
                if j == start {
                    return None;
                }
                segments.push(Segment::Field(chars[start..j].iter().collect()));
                i = j;
            }
            '[' => {
                let quote = *chars.get(i + 1)?;
                if quote == '\'' || quote == '"' {
                    let mut j = i + 2;
                    let mut name = String::new();
                    loop {
                        let c = *chars.get(j)?;
                        if c == '\\' {
                            name.push(*chars.get(j + 1)?);
                            j += 2;
                        } else if c == quote {
                            break;
                        } else {
                            name.push(c);
                            j += 1;
                        }
                    }
                    if chars.get(j + 1) != Some(&']') {
                        return None;
                    }
                    segments.push(Segment::Field(name));
                    i = j + 2;
                } else {
                    let mut j = i + 1;
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    if j == i + 1 || chars.get(j) != Some(&']') {
                        return None;
                    }
                    let index: String = chars[i + 1..j].iter().collect();
                    segments.push(Segment::Index(index.parse().ok()?));
                    i = j + 1;
                }
            }
            _ => return None,
        }
    }
    Some(segments)
}

/// Whether a JSONPath can select several values: a wildcard, a descent, a
/// filter, a slice or a union outside quotes.
fn is_indefinite(text: &str) -> bool {
    let mut quote = None;
    let mut previous = ' ';
    for c in text.chars() {
        match quote {
            Some(q) if c == q && previous != '\\' => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '*' | '?' | ':' | ',' => return true,
                '.' if previous == '.' => return true,
                _ => {}
            },
        }
        previous = c;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(path: &str, doc: &Value) -> Option<Value> {
        Path::parse(path)
            .unwrap()
            .select(doc, &json!({"Execution": {"Name": "e"}}))
    }

    #[test]
    fn reference_paths_select_one_value() {
        let doc = json!({"a": {"b": [10, {"c": "x"}]}, "d-e": 1, "f g": 2});
        assert_eq!(sel("$", &doc), Some(doc.clone()));
        assert_eq!(sel("$.a.b[0]", &doc), Some(json!(10)));
        assert_eq!(sel("$.a.b[1].c", &doc), Some(json!("x")));
        assert_eq!(sel("$['a']['b'][1]['c']", &doc), Some(json!("x")));
        assert_eq!(sel("$.d-e", &doc), Some(json!(1)));
        assert_eq!(sel("$['f g']", &doc), Some(json!(2)));
        assert_eq!(sel("$.missing", &doc), None);
        assert_eq!(sel("$.a.b[5]", &doc), None);
        assert_eq!(sel("$$.Execution.Name", &doc), Some(json!("e")));
        assert!(Path::parse("$.a.b").unwrap().segments().is_some());
    }

    #[test]
    fn queries_select_lists() {
        let doc = json!({"items": [{"p": 1}, {"p": 5}, {"p": 9}]});
        assert_eq!(sel("$.items[*].p", &doc), Some(json!([1, 5, 9])));
        assert_eq!(sel("$.items[?@.p > 2].p", &doc), Some(json!([5, 9])));
        assert_eq!(sel("$.items[0:2].p", &doc), Some(json!([1, 5])));
        assert_eq!(sel("$..p", &doc), Some(json!([1, 5, 9])));
        assert_eq!(sel("$.items[?@.p > 100]", &doc), Some(json!([])));
        assert_eq!(sel("$.items[-1].p", &doc), Some(json!(9)));
        assert!(Path::parse_reference("$.items[*]").is_err());
    }

    #[test]
    fn invalid_paths_are_errors() {
        for bad in ["a.b", "", "$.", "$[", "$.a[?(]"] {
            assert!(Path::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn set_creates_objects_and_refuses_non_objects() {
        let mut doc = json!({"a": 1});
        set(
            &mut doc,
            &[Segment::Field("r".into()), Segment::Field("x".into())],
            json!(2),
        )
        .unwrap();
        assert_eq!(doc, json!({"a": 1, "r": {"x": 2}}));
        assert!(
            set(
                &mut doc,
                &[Segment::Field("a".into()), Segment::Field("x".into())],
                json!(3)
            )
            .is_err()
        );
        let mut text = json!("plain");
        assert!(set(&mut text, &[Segment::Field("x".into())], json!(1)).is_err());
        set(&mut text, &[], json!(1)).unwrap();
        assert_eq!(text, json!(1));
    }
}
