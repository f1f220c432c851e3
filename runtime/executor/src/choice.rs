//! Choice rule evaluation.

use serde_json::Value;

use crate::clock::Instant;
use crate::model::{ChoiceRule, Operand, Operator};

/// Evaluates `rule` against the Choice state's (effective) input.
///
/// # Errors
/// The `States.Runtime` cause when `Variable` (for anything but `IsPresent`)
/// or a `*Path` operand matches nothing.
pub fn evaluate(rule: &ChoiceRule, input: &Value, context: &Value) -> Result<bool, String> {
    match rule {
        ChoiceRule::Condition(_) => Err(
            "a JSONata `Condition` in a JSONPath evaluation (the definition was not validated)"
                .into(),
        ),
        ChoiceRule::And(rules) => {
            for r in rules {
                if !evaluate(r, input, context)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        ChoiceRule::Or(rules) => {
            for r in rules {
                if evaluate(r, input, context)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        ChoiceRule::Not(rule) => Ok(!evaluate(rule, input, context)?),
        ChoiceRule::Test {
            variable,
            operator,
            operand,
        } => {
            let value = variable.select(input, context);
            if *operator == Operator::IsPresent {
                let want = operand_bool(operand);
                return Ok(value.is_some() == want);
            }
            let value = value.ok_or_else(|| {
                format!("Invalid path '{variable}': The choice state's condition path references an invalid value.")
            })?;
            let other = match operand {
                Operand::Value(v) => v.clone(),
                Operand::Path(p) => p.select(input, context).ok_or_else(|| {
                    format!("Invalid path '{p}': The choice state's condition path references an invalid value.")
                })?,
            };
            Ok(compare(*operator, &value, &other))
        }
    }
}

fn operand_bool(operand: &Operand) -> bool {
    matches!(operand, Operand::Value(Value::Bool(true)))
}

fn compare(operator: Operator, value: &Value, other: &Value) -> bool {
    use Operator as O;
    use std::cmp::Ordering::{Equal, Greater, Less};
    let want = |ord: Option<std::cmp::Ordering>, accept: &[std::cmp::Ordering]| {
        ord.is_some_and(|o| accept.contains(&o))
    };
    let strings = || match (value, other) {
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let numbers = || match (value.as_f64(), other.as_f64()) {
        (Some(a), Some(b)) if value.is_number() && other.is_number() => a.partial_cmp(&b),
        _ => None,
    };
    let timestamps = || match (
        value.as_str().and_then(Instant::parse_rfc3339),
        other.as_str().and_then(Instant::parse_rfc3339),
    ) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => None,
    };
    let is = other.as_bool() == Some(true);
    match operator {
        O::StringEquals => want(strings(), &[Equal]),
        O::StringLessThan => want(strings(), &[Less]),
        O::StringGreaterThan => want(strings(), &[Greater]),
        O::StringLessThanEquals => want(strings(), &[Less, Equal]),
        O::StringGreaterThanEquals => want(strings(), &[Greater, Equal]),
        O::StringMatches => match (value, other) {
            (Value::String(s), Value::String(pattern)) => string_matches(s, pattern),
            _ => false,
        },
        O::NumericEquals => want(numbers(), &[Equal]),
        O::NumericLessThan => want(numbers(), &[Less]),
        O::NumericGreaterThan => want(numbers(), &[Greater]),
        O::NumericLessThanEquals => want(numbers(), &[Less, Equal]),
        O::NumericGreaterThanEquals => want(numbers(), &[Greater, Equal]),
        O::BooleanEquals => matches!((value, other), (Value::Bool(a), Value::Bool(b)) if a == b),
        O::TimestampEquals => want(timestamps(), &[Equal]),
        O::TimestampLessThan => want(timestamps(), &[Less]),
        O::TimestampGreaterThan => want(timestamps(), &[Greater]),
        O::TimestampLessThanEquals => want(timestamps(), &[Less, Equal]),
        O::TimestampGreaterThanEquals => want(timestamps(), &[Greater, Equal]),
        O::IsNull => value.is_null() == is,
        O::IsPresent => is,
        O::IsNumeric => value.is_number() == is,
        O::IsString => value.is_string() == is,
        O::IsBoolean => value.is_boolean() == is,
        O::IsTimestamp => value.as_str().and_then(Instant::parse_rfc3339).is_some() == is,
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are a
/// literal star and backslash.
fn string_matches(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Star,
        Char(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => toks.push(Tok::Char(chars.next().unwrap_or('\\'))),
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Char(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Classic wildcard matching with backtracking to the last star.
    let (mut t, mut p) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Tok::Star) => {
                star = Some(p);
                mark = t;
                p += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|t| *t == Tok::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_matches_wildcards_and_escapes() {
        assert!(string_matches("log-2026.txt", "log-*.txt"));
        assert!(string_matches("anything", "*"));
        assert!(string_matches("a*b", r"a\*b"));
        assert!(!string_matches("axb", r"a\*b"));
        assert!(string_matches(r"a\b", r"a\\b"));
        assert!(!string_matches("log.csv", "log-*.txt"));
        assert!(string_matches("", "*"));
        assert!(string_matches("abcbd", "a*b*d"));
    }
}
