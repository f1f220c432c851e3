//! The JSONata that sagac writes into the root writes, evaluated: a reader
//! of exactly that subset, so a change of the emitter that uses more fails
//! loudly here (a panic naming the expression) instead of running wrongly.
//!
//! `$states` is the object of the state being run: `input`, `context` (the
//! context object), `result`, `errorOutput`. Supported: paths from
//! `$states` (`.name`, `` .`name` ``), string literals (`"..."` with JSON
//! escapes, `'...'`), numbers, `&` (concatenation), `+ * /`, parentheses,
//! arrays, objects, and the functions `$string`, `$floor`, `$toMillis`,
//! `$hash` (a stable 128-bit stand-in for the digest, as for `States.Hash`)
//! and `$merge`.

use serde_json::{Map, Value, json};

/// Evaluates the `Arguments` of a JSONata state: every string that is a
/// template (`{% expression %}`) becomes its value, recursively.
pub fn arguments(template: &Value, states: &Value) -> Value {
    match template {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), arguments(v, states)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| arguments(v, states)).collect()),
        Value::String(text) => match expression_of(text) {
            Some(expression) => evaluate(expression, states),
            None => Value::String(text.clone()),
        },
        other => other.clone(),
    }
}

/// Evaluates an `Output`: `None` when the state has none.
pub fn template(template: &Value, states: &Value) -> Option<Value> {
    if template.is_null() {
        return None;
    }
    Some(arguments(template, states))
}

fn expression_of(text: &str) -> Option<&str> {
    text.strip_prefix("{%")?.strip_suffix("%}").map(str::trim)
}

/// The value of one expression.
pub fn evaluate(expression: &str, states: &Value) -> Value {
    let mut reader = Reader {
        text: expression,
        at: 0,
        states,
    };
    let value = reader.expression();
    reader.skip_spaces();
    assert_eq!(
        reader.at,
        expression.len(),
        "trailing text in `{expression}`"
    );
    value
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
    states: &'a Value,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        while self.rest().starts_with(char::is_whitespace) {
            self.at += self.rest().chars().next().map_or(1, char::len_utf8);
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_spaces();
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    /// `&` and `+` bind alike (JSONata's precedence 50), left first.
    fn expression(&mut self) -> Value {
        let mut value = self.term();
        loop {
            if self.eat("&") {
                let right = self.term();
                value = Value::String(format!("{}{}", text_of(&value), text_of(&right)));
            } else if self.eat("+") {
                let right = self.term();
                value = number(number_of(&value) + number_of(&right));
            } else {
                return value;
            }
        }
    }

    /// `*` and `/` (precedence 60).
    fn term(&mut self) -> Value {
        let mut value = self.primary();
        loop {
            if self.eat("*") {
                let right = self.primary();
                value = number(number_of(&value) * number_of(&right));
            } else if self.eat("/") {
                let right = self.primary();
                value = number(number_of(&value) / number_of(&right));
            } else {
                return value;
            }
        }
    }

    fn primary(&mut self) -> Value {
        self.skip_spaces();
        let rest = self.rest();
        if rest.starts_with('"') || rest.starts_with('\'') {
            return Value::String(self.string());
        }
        if rest.starts_with('(') {
            self.at += 1;
            let value = self.expression();
            assert!(self.eat(")"), "`)` expected in `{}`", self.text);
            return value;
        }
        if rest.starts_with('[') {
            self.at += 1;
            let mut items = Vec::new();
            while !self.eat("]") {
                items.push(self.expression());
                self.eat(",");
            }
            return Value::Array(items);
        }
        if rest.starts_with('{') {
            self.at += 1;
            let mut out = Map::new();
            while !self.eat("}") {
                self.skip_spaces();
                let key = self.string();
                assert!(self.eat(":"), "`:` expected in `{}`", self.text);
                let value = self.expression();
                out.insert(key, value);
                self.eat(",");
            }
            return Value::Object(out);
        }
        if rest.starts_with("$states") {
            self.at += "$states".len();
            return self.path(self.states.clone());
        }
        if let Some(call_text) = rest.strip_prefix('$') {
            let name_len = call_text
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(call_text.len());
            let function = call_text[..name_len].to_owned();
            self.at += 1 + name_len;
            assert!(self.eat("("), "`(` expected after ${function}");
            let mut args = Vec::new();
            while !self.eat(")") {
                args.push(self.expression());
                self.eat(",");
            }
            return call(&function, args);
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        assert!(len > 0, "`{rest}` is not interpreted (in `{}`)", self.text);
        let literal = &rest[..len];
        self.at += len;
        serde_json::from_str(literal).unwrap_or_else(|_| panic!("`{literal}` is not a number"))
    }

    /// `.name` steps from `value`; a missing field is `null` (JSONata's
    /// nothing).
    fn path(&mut self, mut value: Value) -> Value {
        while self.rest().starts_with('.') {
            self.at += 1;
            let name = if self.rest().starts_with('`') {
                let end = self.rest()[1..].find('`').expect("a closing backtick") + 1;
                let name = self.rest()[1..end].to_owned();
                self.at += end + 1;
                name
            } else {
                let len = self
                    .rest()
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(self.rest().len());
                let name = self.rest()[..len].to_owned();
                self.at += len;
                name
            };
            value = value.get(&name).cloned().unwrap_or(Value::Null);
        }
        value
    }

    /// A string literal: `"..."` with JSON's escapes, or `'...'`.
    fn string(&mut self) -> String {
        let rest = self.rest();
        let quote = rest.chars().next().expect("a quote");
        let mut escaped = false;
        for (i, c) in rest.char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == quote {
                let body = &rest[1..i];
                self.at += i + 1;
                let json = if quote == '"' {
                    format!("\"{body}\"")
                } else {
                    format!("\"{}\"", body.replace('"', "\\\""))
                };
                return serde_json::from_str(&json)
                    .unwrap_or_else(|_| panic!("bad string literal `{body}`"));
            }
        }
        panic!("unterminated string in `{}`", self.text);
    }
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

fn number_of(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"))
}

/// JSONata's `$string` of a value.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn call(function: &str, args: Vec<Value>) -> Value {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    match function {
        "string" => Value::String(text_of(&arg(0))),
        "floor" => number(number_of(&arg(0)).floor()),
        "toMillis" => {
            let text = arg(0);
            let text = text.as_str().expect("$toMillis takes a timestamp");
            json!(
                epoch_millis(text)
                    .unwrap_or_else(|| panic!("`{text}` is not an RFC 3339 UTC timestamp"))
            )
        }
        "hash" => {
            // A stable 128-bit FNV-1a hash in hex stands in for the digest:
            // a request token only has to be stable and 32 characters.
            let input = text_of(&arg(0));
            let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
            for byte in input.bytes() {
                hash ^= u128::from(byte);
                hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
            }
            Value::String(format!("{hash:032x}"))
        }
        "merge" => {
            let mut out = Map::new();
            for item in arg(0).as_array().into_iter().flatten() {
                if let Some(object) = item.as_object() {
                    out.extend(object.clone());
                }
            }
            Value::Object(out)
        }
        other => panic!("JSONata function ${other} is not interpreted"),
    }
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
fn epoch_millis(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date = date.split('-').map(str::parse::<i64>);
    let (year, month, day) = (date.next()?.ok()?, date.next()?.ok()?, date.next()?.ok()?);
    let (hms, millis) = match time.split_once('.') {
        Some((hms, fraction)) => (hms, format!("{fraction:0<3}")[..3].parse::<i64>().ok()?),
        None => (time, 0),
    };
    let mut hms = hms.split(':').map(str::parse::<i64>);
    let (hour, minute, second) = (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_what_the_root_writes_use() {
        let states = json!({
            "input": {"request": {"trip_id": "t-1", "n": 2}},
            "context": {"Execution": {"Name": "t-1"}, "State": {"Name": "S", "EnteredTime": "2025-03-01T09:00:01.000Z"}},
            "errorOutput": {"Error": "E", "Cause": "c"}
        });
        assert_eq!(
            evaluate(
                r##""OUTBOX#" & $states.context.Execution.Name & "#Trip\"s""##,
                &states
            ),
            json!("OUTBOX#t-1#Trip\"s")
        );
        assert_eq!(
            evaluate("$string($states.input.request.n)", &states),
            json!("2")
        );
        assert_eq!(
            evaluate(
                "$string($floor($toMillis($states.context.State.EnteredTime) / 1000) + 604800)",
                &states
            ),
            json!((1_740_819_601 + 604_800).to_string())
        );
        let token = evaluate(
            r##"$hash($states.context.Execution.Name & "#" & $states.context.State.Name, "MD5")"##,
            &states,
        );
        assert_eq!(token.as_str().map(str::len), Some(32));
        assert_eq!(
            evaluate(
                r##"$merge([$states.input, {"record_error": $states.errorOutput}])"##,
                &states
            )["record_error"]["Error"],
            json!("E")
        );
        assert_eq!(
            arguments(
                &json!({"S": "{% $states.input.request.trip_id %}", "T": "${TableName}"}),
                &states
            ),
            json!({"S": "t-1", "T": "${TableName}"})
        );
    }

    #[test]
    fn epoch_of_a_timestamp() {
        assert_eq!(epoch_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            epoch_millis("2000-03-01T00:00:00.5Z"),
            Some(951_868_800_500)
        );
    }
}
