//! A small deterministic YAML writer for JSON values.
//!
//! CloudFormation templates are built as `serde_json::Value`s (ordered maps,
//! so output order is insertion order) and written as block-style YAML. Why
//! not a YAML library: `serde_yaml` is archived, and a writer for the JSON
//! subset of YAML is small enough to own and to make deterministic by
//! construction. Intrinsic functions use their long form (`Ref:`,
//! `Fn::GetAtt:`, `Fn::Sub:`), which is plain YAML, so no tags are needed.
//!
//! Scalars are written plain only when that is unambiguous under both YAML
//! 1.1 and 1.2 resolvers (cfn-lint, checkov, CloudFormation itself): no
//! indicator characters, nothing that reads as a boolean, null, number or
//! timestamp. Everything else is a JSON-style double-quoted string, which is
//! valid YAML. Multi-line strings (inline code, request templates) are
//! literal block scalars when their lines allow it.

use std::fmt::Write;

use serde_json::Value;

/// Writes `value` (a mapping) as a YAML document, preceded by `comment`
/// lines (each prefixed with `# `).
pub fn document(comment: &[&str], value: &Value) -> String {
    let mut out = String::new();
    for line in comment {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {line}");
        }
    }
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    for (key, value) in map {
        indent(out, level);
        out.push_str(&string(key));
        out.push(':');
        write_value_after_key(out, value, level);
    }
}

/// Writes what follows `key:` (or `- ` for sequence items handled elsewhere).
fn write_value_after_key(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, level + 1);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, level + 1);
        }
        Value::String(s) if block_ok(s) => {
            write_block(out, s, level + 1);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // The first key sits on the dash's line; the rest align with it.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 1);
                    }
                    out.push_str(&string(key));
                    out.push(':');
                    write_value_after_key(out, value, level + 1);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, level + 1);
            }
            Value::String(s) if block_ok(s) => write_block(out, s, level + 1),
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

/// Whether a string can be a literal block scalar: it has a line break, no
/// carriage returns, tabs or other control characters, no trailing spaces
/// on any line (they would be kept but are invisible), and its first line
/// does not start with a space (which would need an indentation indicator).
fn block_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with(' ')
        && !s.starts_with('\n')
        && !s.chars().any(|c| c.is_control() && c != '\n')
        && s.split('\n').all(|line| !line.ends_with(' '))
}

fn write_block(out: &mut String, s: &str, level: usize) {
    // `|` keeps exactly one final newline, `|-` none, `|+` all of them.
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    out.push_str(" |");
    out.push_str(chomp);
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string scalar: plain when unambiguous, double-quoted otherwise.
fn string(s: &str) -> String {
    if plain_ok(s) {
        s.to_owned()
    } else {
        // JSON string escapes are a subset of YAML double-quoted escapes.
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
    }
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || matches!(first, '/' | '_' | '$')) {
        return false;
    }
    if s.ends_with(' ')
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #")
        || s.contains("  ")
    {
        return false;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || " _-./:@+=()$*".contains(c);
    if !s.chars().all(allowed) {
        return false;
    }
    // YAML 1.1 booleans and nulls, in any case; `.inf`/`.nan` cannot start
    // with a letter, and numbers start with a digit or sign, both excluded
    // above.
    const RESERVED: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_are_quoted_when_ambiguous() {
        for (input, expected) in [
            ("plain", "plain"),
            (
                "arn:aws:states:::lambda:invoke",
                "arn:aws:states:::lambda:invoke",
            ),
            ("yes", "\"yes\""),
            ("On", "\"On\""),
            ("123", "\"123\""),
            ("2024-01-01", "\"2024-01-01\""),
            ("", "\"\""),
            ("a: b", "\"a: b\""),
            ("x #y", "\"x #y\""),
            ("*", "\"*\""),
            ("${AWS::Region}", "\"${AWS::Region}\""),
            ("-1", "\"-1\""),
            ("tab\there", "\"tab\\there\""),
            ("quote\"d", "\"quote\\\"d\""),
            ("TRIP#", "\"TRIP#\""),
        ] {
            assert_eq!(string(input), expected, "{input}");
        }
    }

    #[test]
    fn nested_document() {
        let v = json!({
            "A": {"B": [1, "two", {"C": true, "D": []}, [3]], "E": {}},
            "Code": "line 1\n  line 2\n",
            "F": null
        });
        let text = document(&["head"], &v);
        assert_eq!(
            text,
            "# head\nA:\n  B:\n    - 1\n    - two\n    - C: true\n      D: []\n    -\n      - 3\n  E: {}\nCode: |\n  line 1\n    line 2\nF: null\n"
        );
    }

    #[test]
    fn block_chomping() {
        let text = document(&[], &json!({"K": "a\nb"}));
        assert_eq!(text, "K: |-\n  a\n  b\n");
        let text = document(&[], &json!({"K": "a\n\nb\n\n"}));
        assert_eq!(text, "K: |+\n  a\n\n  b\n\n");
        // A leading space needs an indentation indicator: quote instead.
        let text = document(&[], &json!({"K": " a\nb"}));
        assert_eq!(text, "K: \" a\\nb\"\n");
    }
}
