//! Intrinsic functions (`States.Format(...)` and the rest): a parser that turns
//! the text into an [`Expr`] tree when the definition is loaded (nested calls,
//! `\'` `\{` `\}` `\\` escapes, paths as arguments), and an evaluator.

use base64::Engine as _;
use serde_json::{Number, Value};

use crate::clock::Rng;
use crate::path::Path;

/// A parsed intrinsic-function expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// `States.Name(args...)`.
    Call {
        /// The function.
        function: Function,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// A string literal: `raw` keeps the escapes (`States.Format` needs to
    /// know whether a brace was escaped), `value` has them resolved.
    String {
        /// The text between the quotes, escapes kept.
        raw: String,
        /// The string value.
        value: String,
    },
    /// A number, `true`, `false` or `null`.
    Literal(Value),
    /// A path into the state's input, or `$$` into the context object.
    Path(Path),
}

macro_rules! functions {
    ($($variant:ident = $name:literal, $min:expr, $max:expr;)*) => {
        /// The intrinsic functions of the Amazon States Language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Function { $($variant,)* }

        impl Function {
            /// Looks a function up by its name (`States.Format`).
            #[must_use]
            pub fn from_name(name: &str) -> Option<Function> {
                match name { $($name => Some(Function::$variant),)* _ => None }
            }
            /// The function's name (`States.Format`).
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Function::$variant => $name,)* }
            }
            fn arity(self) -> (usize, usize) {
                match self { $(Function::$variant => ($min, $max),)* }
            }
        }
    };
}

functions! {
    Format = "States.Format", 1, usize::MAX;
    StringToJson = "States.StringToJson", 1, 1;
    JsonToString = "States.JsonToString", 1, 1;
    Array = "States.Array", 0, usize::MAX;
    ArrayPartition = "States.ArrayPartition", 2, 2;
    ArrayContains = "States.ArrayContains", 2, 2;
    ArrayRange = "States.ArrayRange", 3, 3;
    ArrayGetItem = "States.ArrayGetItem", 2, 2;
    ArrayLength = "States.ArrayLength", 1, 1;
    ArrayUnique = "States.ArrayUnique", 1, 1;
    Base64Encode = "States.Base64Encode", 1, 1;
    Base64Decode = "States.Base64Decode", 1, 1;
    Hash = "States.Hash", 2, 2;
    JsonMerge = "States.JsonMerge", 3, 3;
    MathRandom = "States.MathRandom", 2, 3;
    MathAdd = "States.MathAdd", 2, 2;
    StringSplit = "States.StringSplit", 2, 2;
    Uuid = "States.UUID", 0, 0;
}

/// Whether a `.$` field's value is an intrinsic call rather than a path.
#[must_use]
pub fn looks_like_call(text: &str) -> bool {
    text.trim_start().starts_with("States.")
}

/// Parses an intrinsic-function expression.
///
/// # Errors
/// A message naming the problem and its position.
pub fn parse(text: &str) -> Result<Expr, String> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        text,
    };
    p.skip_ws();
    let expr = p.call()?;
    p.skip_ws();
    if p.pos != p.chars.len() {
        return Err(p.error("unexpected text after the call"));
    }
    Ok(expr)
}

struct Parser<'t> {
    chars: Vec<char>,
    pos: usize,
    text: &'t str,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!(
            "invalid intrinsic function `{}`: {what} at character {}",
            self.text,
            self.pos + 1
        )
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn call(&mut self) -> Result<Expr, String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let function = Function::from_name(&name).ok_or_else(|| {
            self.pos = start;
            self.error(&format!("unknown function `{name}`"))
        })?;
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(self.error("expected `(`"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                args.push(self.arg()?);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `)`")),
                }
            }
        }
        let (min, max) = function.arity();
        if args.len() < min || args.len() > max {
            let want = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(format!(
                "invalid intrinsic function `{}`: {} takes {want} argument(s), got {}",
                self.text,
                function.name(),
                args.len()
            ));
        }
        Ok(Expr::Call { function, args })
    }

    fn arg(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => self.path(),
            Some('S') => self.call(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(_) => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    let end = self.pos + word.len();
                    if end <= self.chars.len()
                        && self.chars[self.pos..end].iter().copied().eq(word.chars())
                        && !self
                            .chars
                            .get(end)
                            .is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        self.pos = end;
                        return Ok(Expr::Literal(value));
                    }
                }
                Err(self.error("expected a string, number, boolean, null, path or function call"))
            }
            None => Err(self.error("unexpected end")),
        }
    }

    fn string(&mut self) -> Result<Expr, String> {
        self.pos += 1;
        let (mut raw, mut value) = (String::new(), String::new());
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some('\'') => {
                    self.pos += 1;
                    return Ok(Expr::String { raw, value });
                }
                Some('\\') => {
                    let escaped = self
                        .chars
                        .get(self.pos + 1)
                        .copied()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    raw.push('\\');
                    raw.push(escaped);
                    value.push(escaped);
                    self.pos += 2;
                }
                Some(c) => {
                    raw.push(c);
                    value.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn path(&mut self) -> Result<Expr, String> {
        let start = self.pos;
        let (mut depth, mut quote) = (0i32, None::<char>);
        while let Some(c) = self.peek() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '\'' | '"' => quote = Some(c),
                    '[' | '(' => depth += 1,
                    ']' => depth -= 1,
                    ')' if depth > 0 => depth -= 1,
                    ',' | ')' if depth == 0 => break,
                    _ => {}
                },
            }
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        Path::parse(text.trim())
            .map(Expr::Path)
            .map_err(|e| self.error(&e))
    }

    fn number(&mut self) -> Result<Expr, String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        serde_json::from_str::<Number>(&text)
            .map(|n| Expr::Literal(Value::Number(n)))
            .map_err(|_| self.error(&format!("`{text}` is not a number")))
    }
}

/// Why an evaluation failed: the ASL error name and the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    /// `States.IntrinsicFailure`, or `States.Runtime` for a path that matched nothing.
    pub error: &'static str,
    /// What went wrong.
    pub cause: String,
}

/// What an expression reads: the state's data, the context object and the
/// execution's random generator.
pub struct Scope<'a> {
    /// The state's (effective) input.
    pub input: &'a Value,
    /// The context object.
    pub context: &'a Value,
    /// The execution's random generator.
    pub rng: &'a mut Rng,
}

fn fail(function: Function, text: impl std::fmt::Display) -> EvalError {
    EvalError {
        error: "States.IntrinsicFailure",
        cause: format!("{}: {text}", function.name()),
    }
}

impl Expr {
    /// Evaluates the expression.
    ///
    /// # Errors
    /// `States.IntrinsicFailure` with the function's complaint, or
    /// `States.Runtime` when a path argument matches nothing.
    pub fn eval(&self, scope: &mut Scope<'_>) -> Result<Value, EvalError> {
        match self {
            Expr::String { value, .. } => Ok(Value::String(value.clone())),
            Expr::Literal(value) => Ok(value.clone()),
            Expr::Path(path) => path.select(scope.input, scope.context).ok_or_else(|| EvalError {
                error: "States.Runtime",
                cause: format!(
                    "The JSONPath '{path}' specified as an intrinsic function argument could not be found in the input '{}'",
                    if path.is_context() { scope.context } else { scope.input }
                ),
            }),
            Expr::Call { function, args } => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(arg.eval(scope)?);
                }
                call(*function, args, values, scope.rng)
            }
        }
    }
}

fn int_arg(function: Function, value: &Value, what: &str) -> Result<i64, EvalError> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| fail(function, format!("{what} must be an integer, got {value}"))),
        _ => Err(fail(
            function,
            format!("{what} must be an integer, got {value}"),
        )),
    }
}

fn str_arg<'v>(function: Function, value: &'v Value, what: &str) -> Result<&'v str, EvalError> {
    value
        .as_str()
        .ok_or_else(|| fail(function, format!("{what} must be a string, got {value}")))
}

fn array_arg(function: Function, value: Value, what: &str) -> Result<Vec<Value>, EvalError> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(fail(
            function,
            format!("{what} must be an array, got {other}"),
        )),
    }
}

const MAX_ARRAY: usize = 1000;
const MAX_INPUT_CHARS: usize = 10_000;

fn call(
    function: Function,
    exprs: &[Expr],
    mut args: Vec<Value>,
    rng: &mut Rng,
) -> Result<Value, EvalError> {
    use Function as F;
    let mut arg = |i: usize| std::mem::take(&mut args[i]);
    Ok(match function {
        F::Format => {
            let template = match &exprs[0] {
                Expr::String { raw, .. } => raw.clone(),
                _ => str_arg(function, &arg(0), "the template")?.to_owned(),
            };
            let values: Vec<Value> = (1..exprs.len()).map(&mut arg).collect();
            Value::String(format(function, &template, &values)?)
        }
        F::StringToJson => {
            let text = arg(0);
            let text = str_arg(function, &text, "the argument")?;
            serde_json::from_str(text).map_err(|e| fail(function, format!("not JSON: {e}")))?
        }
        F::JsonToString => Value::String(arg(0).to_string()),
        F::Array => Value::Array(args),
        F::ArrayPartition => {
            let items = array_arg(function, arg(0), "the first argument")?;
            let size = int_arg(function, &arg(1), "the chunk size")?;
            if size <= 0 {
                return Err(fail(
                    function,
                    format!("the chunk size must be positive, got {size}"),
                ));
            }
            Value::Array(
                items
                    .chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            )
        }
        F::ArrayContains => {
            let items = array_arg(function, arg(0), "the first argument")?;
            let needle = arg(1);
            Value::Bool(items.iter().any(|item| json_eq(item, &needle)))
        }
        F::ArrayRange => {
            let start = int_arg(function, &arg(0), "the start")?;
            let end = int_arg(function, &arg(1), "the end")?;
            let step = int_arg(function, &arg(2), "the step")?;
            if step == 0 {
                return Err(fail(function, "the step must not be 0"));
            }
            let count = if (step > 0 && end >= start) || (step < 0 && end <= start) {
                ((end - start) / step + 1) as u64
            } else {
                0
            };
            if count > MAX_ARRAY as u64 {
                return Err(fail(
                    function,
                    format!(
                        "arrays cannot hold more than {MAX_ARRAY} items, this one would hold {count}"
                    ),
                ));
            }
            Value::Array(
                (0..count as i64)
                    .map(|i| Value::from(start + i * step))
                    .collect(),
            )
        }
        F::ArrayGetItem => {
            let items = array_arg(function, arg(0), "the first argument")?;
            let index = int_arg(function, &arg(1), "the index")?;
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i).cloned())
                .ok_or_else(|| {
                    fail(
                        function,
                        format!(
                            "index {index} is out of bounds for an array of {} items",
                            items.len()
                        ),
                    )
                })?
        }
        F::ArrayLength => Value::from(array_arg(function, arg(0), "the argument")?.len()),
        F::ArrayUnique => {
            let mut unique: Vec<Value> = Vec::new();
            for item in array_arg(function, arg(0), "the argument")? {
                if !unique.iter().any(|seen| json_eq(seen, &item)) {
                    unique.push(item);
                }
            }
            Value::Array(unique)
        }
        F::Base64Encode => {
            let text = arg(0);
            let text = str_arg(function, &text, "the argument")?;
            if text.chars().count() > MAX_INPUT_CHARS {
                return Err(fail(
                    function,
                    format!("the input is longer than {MAX_INPUT_CHARS} characters"),
                ));
            }
            Value::String(base64::engine::general_purpose::STANDARD.encode(text))
        }
        F::Base64Decode => {
            let text = arg(0);
            let text = str_arg(function, &text, "the argument")?;
            if text.chars().count() > MAX_INPUT_CHARS {
                return Err(fail(
                    function,
                    format!("the input is longer than {MAX_INPUT_CHARS} characters"),
                ));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| fail(function, format!("not base64: {e}")))?;
            Value::String(
                String::from_utf8(bytes)
                    .map_err(|_| fail(function, "the decoded data is not UTF-8"))?,
            )
        }
        F::Hash => {
            let data = arg(0);
            let data = str_arg(function, &data, "the data")?;
            if data.chars().count() > MAX_INPUT_CHARS {
                return Err(fail(
                    function,
                    format!("the input is longer than {MAX_INPUT_CHARS} characters"),
                ));
            }
            let algorithm = arg(1);
            let algorithm = str_arg(function, &algorithm, "the algorithm")?;
            Value::String(hash(algorithm, data.as_bytes()).ok_or_else(|| {
                fail(
                    function,
                    format!(
                        "unknown algorithm `{algorithm}` (MD5, SHA-1, SHA-256, SHA-384, SHA-512)"
                    ),
                )
            })?)
        }
        F::JsonMerge => {
            let deep = arg(2);
            match deep {
                Value::Bool(false) => {}
                Value::Bool(true) => {
                    return Err(fail(
                        function,
                        "only the shallow mode is supported: the third argument must be false",
                    ));
                }
                other => {
                    return Err(fail(
                        function,
                        format!("the third argument must be a boolean, got {other}"),
                    ));
                }
            }
            let (Value::Object(mut first), Value::Object(second)) = (arg(0), arg(1)) else {
                return Err(fail(function, "both arguments must be JSON objects"));
            };
            first.extend(second);
            Value::Object(first)
        }
        F::MathRandom => {
            let start = int_arg(function, &arg(0), "the start")?;
            let end = int_arg(function, &arg(1), "the end")?;
            if end <= start {
                return Err(fail(
                    function,
                    format!("the end ({end}) must be greater than the start ({start})"),
                ));
            }
            let value = if exprs.len() == 3 {
                let seed = int_arg(function, &arg(2), "the seed")?;
                Rng::new(seed as u64).range(start, end)
            } else {
                rng.range(start, end)
            };
            Value::from(value)
        }
        F::MathAdd => {
            let a = int_arg(function, &arg(0), "the first value")?;
            let b = int_arg(function, &arg(1), "the second value")?;
            Value::from(
                a.checked_add(b)
                    .ok_or_else(|| fail(function, "the sum overflows"))?,
            )
        }
        F::StringSplit => {
            let text = arg(0);
            let text = str_arg(function, &text, "the string")?;
            let delimiters = arg(1);
            let delimiters = str_arg(function, &delimiters, "the delimiter")?;
            Value::Array(
                text.split(|c| delimiters.contains(c))
                    .filter(|part| !part.is_empty())
                    .map(|part| Value::String(part.to_owned()))
                    .collect(),
            )
        }
        F::Uuid => Value::String(rng.uuid()),
    })
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
#[must_use]
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

pub(crate) fn hash(algorithm: &str, data: &[u8]) -> Option<String> {
    use sha2::Digest as _;
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    Some(match algorithm {
        "MD5" => hex(&md5::Md5::digest(data)),
        "SHA-1" => hex(&sha1::Sha1::digest(data)),
        "SHA-256" => hex(&sha2::Sha256::digest(data)),
        "SHA-384" => hex(&sha2::Sha384::digest(data)),
        "SHA-512" => hex(&sha2::Sha512::digest(data)),
        _ => return None,
    })
}

/// `States.Format`: `{}` takes the next argument; `\{`, `\}` and `\\` are
/// literal characters.
fn format(function: Function, template: &str, values: &[Value]) -> Result<String, EvalError> {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let value = values.get(next).ok_or_else(|| {
                    fail(
                        function,
                        format!(
                            "the template has more placeholders than the {} argument(s) given",
                            values.len()
                        ),
                    )
                })?;
                render_format_arg(value, &mut out);
                next += 1;
            }
            '{' | '}' => {
                return Err(fail(
                    function,
                    format!("unescaped `{c}` in the template (write `\\{c}`)"),
                ));
            }
            _ => out.push(c),
        }
    }
    if next != values.len() {
        return Err(fail(
            function,
            format!(
                "the template has {next} placeholder(s) but {} argument(s) were given",
                values.len()
            ),
        ));
    }
    Ok(out)
}

/// How Step Functions renders a `States.Format` argument: strings as they are,
/// arrays as `[a, b]`, objects as `{k=v, k2=v2}`, other values as JSON.
fn render_format_arg(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_format_arg(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                render_format_arg(v, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

impl std::fmt::Display for Expr {
    /// The expression as ASL text (`States.Format('{}', $.a)`), escapes kept.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Call { function, args } => {
                write!(f, "{}(", function.name())?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
            Expr::String { raw, .. } => write!(f, "'{raw}'"),
            Expr::Literal(v) => write!(f, "{v}"),
            Expr::Path(p) => f.write_str(p.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(text: &str, input: Value) -> Result<Value, EvalError> {
        let expr = parse(text).unwrap_or_else(|e| panic!("{e}"));
        let context = json!({"Execution": {"Name": "exec-1"}, "State": {"Name": "S"}});
        let mut rng = Rng::new(1);
        expr.eval(&mut Scope {
            input: &input,
            context: &context,
            rng: &mut rng,
        })
    }

    fn ok(text: &str, input: Value) -> Value {
        eval(text, input).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    fn err(text: &str, input: Value) -> EvalError {
        eval(text, input).expect_err(text)
    }

    #[test]
    fn format_with_escapes_paths_and_nested_calls() {
        assert_eq!(
            ok(
                "States.Format('Hello, {}!', $.name)",
                json!({"name": "Ann"})
            ),
            json!("Hello, Ann!")
        );
        assert_eq!(
            ok(r"States.Format('it\'s \{literal\} {}', 1)", json!({})),
            json!("it's {literal} 1")
        );
        assert_eq!(
            ok(
                "States.Format('{}#{}', $$.Execution.Name, $$.State.Name)",
                json!({})
            ),
            json!("exec-1#S")
        );
        assert_eq!(
            ok(
                "States.Format('{} {} {} {}', $.a, $.o, true, null)",
                json!({"a": [1, "x"], "o": {"k": 1, "j": "v"}})
            ),
            json!("[1, x] {k=1, j=v} true null")
        );
        assert_eq!(
            ok(
                "States.Hash(States.Format('{}#{}', $$.Execution.Name, 'X'), 'MD5')",
                json!({})
            ),
            json!(format!("{:x}", md5_of("exec-1#X")))
        );
        assert_eq!(
            err("States.Format('{} {}', 1)", json!({})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            err("States.Format('{}', 1, 2)", json!({})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            err("States.Format('{}', $.missing)", json!({})).error,
            "States.Runtime"
        );
    }

    fn md5_of(s: &str) -> md5::digest::Output<md5::Md5> {
        use md5::Digest as _;
        md5::Md5::digest(s.as_bytes())
    }

    #[test]
    fn json_functions() {
        assert_eq!(
            ok("States.StringToJson($.s)", json!({"s": "{\"a\":[1,2]}"})),
            json!({"a": [1, 2]})
        );
        assert_eq!(
            err("States.StringToJson('{nope')", json!({})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            ok("States.JsonToString($)", json!({"a": 1, "b": "é"})),
            json!("{\"a\":1,\"b\":\"é\"}")
        );
        assert_eq!(
            ok(
                "States.JsonMerge($.a, $.b, false)",
                json!({"a": {"x": 1, "n": {"p": 1}}, "b": {"n": {"q": 2}, "y": 2}})
            ),
            json!({"x": 1, "n": {"q": 2}, "y": 2})
        );
        assert_eq!(
            err("States.JsonMerge($.a, $.a, true)", json!({"a": {}})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            err("States.JsonMerge($.a, 1, false)", json!({"a": {}})).error,
            "States.IntrinsicFailure"
        );
    }

    #[test]
    fn array_functions() {
        assert_eq!(
            ok(
                "States.Array(1, 'a', $.x, States.Array())",
                json!({"x": {"k": true}})
            ),
            json!([1, "a", {"k": true}, []])
        );
        assert_eq!(
            ok(
                "States.ArrayPartition($.a, 2)",
                json!({"a": [1, 2, 3, 4, 5]})
            ),
            json!([[1, 2], [3, 4], [5]])
        );
        assert_eq!(
            err("States.ArrayPartition($.a, 0)", json!({"a": [1]})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            ok("States.ArrayContains($.a, 2)", json!({"a": [1, 2.0]})),
            json!(true)
        );
        assert_eq!(
            ok("States.ArrayContains($.a, 'z')", json!({"a": [1]})),
            json!(false)
        );
        assert_eq!(
            ok("States.ArrayRange(1, 9, 2)", json!({})),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(
            ok("States.ArrayRange(5, 1, -2)", json!({})),
            json!([5, 3, 1])
        );
        assert_eq!(
            err("States.ArrayRange(1, 2000, 1)", json!({})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            err("States.ArrayRange(1, 2, 0)", json!({})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            ok("States.ArrayGetItem($.a, 1)", json!({"a": ["x", "y"]})),
            json!("y")
        );
        assert_eq!(
            err("States.ArrayGetItem($.a, 2)", json!({"a": ["x", "y"]})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            ok("States.ArrayLength($.a)", json!({"a": [1, 2, 3]})),
            json!(3)
        );
        assert_eq!(
            err("States.ArrayLength($.a)", json!({"a": "no"})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            ok(
                "States.ArrayUnique($.a)",
                json!({"a": [1, 2, 1, {"k": 1}, {"k": 1}]})
            ),
            json!([1, 2, {"k": 1}])
        );
    }

    #[test]
    fn encoding_and_hashing() {
        assert_eq!(
            ok("States.Base64Encode('Data to encode')", json!({})),
            json!("RGF0YSB0byBlbmNvZGU=")
        );
        assert_eq!(
            ok("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", json!({})),
            json!("Data to encode")
        );
        assert_eq!(
            err("States.Base64Decode('***')", json!({})).error,
            "States.IntrinsicFailure"
        );
        let cases = [
            ("MD5", "9e107d9d372bb6826bd81d3542a419d6"),
            ("SHA-1", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
            (
                "SHA-256",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
            ),
            (
                "SHA-384",
                "ca737f1014a48f4c0b6dd43cb177b0afd9e5169367544c494011e3317dbf9a509cb1e5dc1e85a941bbee3d7f2afbc9b1",
            ),
            (
                "SHA-512",
                "07e547d9586f6a73f73fbac0435ed76951218fb7d0c8d788a309d785436bbb642e93a252a954f23912547d1e8a3b5ed6e1bfd7097821233fa0538f3db854fee6",
            ),
        ];
        for (algorithm, digest) in cases {
            assert_eq!(
                ok(
                    &format!("States.Hash($.d, '{algorithm}')"),
                    json!({"d": "The quick brown fox jumps over the lazy dog"})
                ),
                json!(digest),
                "{algorithm}"
            );
        }
        assert_eq!(
            err("States.Hash('x', 'CRC32')", json!({})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            err("States.Hash(1, 'MD5')", json!({})).error,
            "States.IntrinsicFailure"
        );
    }

    #[test]
    fn math_strings_and_uuid() {
        assert_eq!(ok("States.MathAdd($.v, -3)", json!({"v": 10})), json!(7));
        assert_eq!(
            err("States.MathAdd(1.5, 1)", json!({})).error,
            "States.IntrinsicFailure"
        );
        let r = ok("States.MathRandom(1, 3)", json!({}));
        assert!(r == json!(1) || r == json!(2), "{r}");
        assert_eq!(
            ok("States.MathRandom(1, 1000, 7)", json!({})),
            ok("States.MathRandom(1, 1000, 7)", json!({}))
        );
        assert_eq!(
            err("States.MathRandom(3, 3)", json!({})).error,
            "States.IntrinsicFailure"
        );
        assert_eq!(
            ok(
                "States.StringSplit('This,is+a,test+string', ',+')",
                json!({})
            ),
            json!(["This", "is", "a", "test", "string"])
        );
        assert_eq!(
            ok("States.StringSplit($.s, ',')", json!({"s": "1,,2"})),
            json!(["1", "2"])
        );
        let uuid = ok("States.UUID()", json!({}));
        assert_eq!(uuid.as_str().map(str::len), Some(36));
        assert_eq!(uuid, ok("States.UUID()", json!({})), "same seed, same UUID");
    }

    #[test]
    fn parse_errors_name_the_problem() {
        for (bad, what) in [
            ("States.Nope(1)", "unknown function"),
            ("States.Format('x'", "expected `,` or `)`"),
            ("States.UUID(1)", "takes 0 argument"),
            ("States.ArrayGetItem($.a)", "takes 2 argument"),
            ("States.Format('unterminated)", "unterminated string"),
            ("States.Array(1) x", "unexpected text"),
            ("States.Array(foo)", "expected a string"),
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.contains(what), "{bad}: {e}");
        }
        assert!(looks_like_call("States.UUID()"));
        assert!(!looks_like_call("$.a"));
    }
}
