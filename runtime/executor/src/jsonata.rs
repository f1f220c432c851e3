//! A JSONata evaluator for Step Functions' JSONata states: a recursive-descent
//! (Pratt) parser and an evaluator of a well-defined core of JSONata 2.0.
//!
//! Supported: string, number, boolean and `null` literals; paths with `.`
//! (mapping over arrays and flattening, as JSONata sequences do), `[n]`
//! indexes (negative from the end) and `[predicate]` filters; `$` (the
//! context item), `$states` and workflow variables (`$name`, set by
//! `Assign`; an unset one is undefined); the operators `& + - * / % = != <
//! <= > >= and or in`, unary `-`, `? :`, parentheses and `( a; b )` blocks;
//! object and array constructors; and a standard-library subset with Step
//! Functions' additions (see [`FUNCTIONS`]). Anything else (lambdas, `:=`,
//! `~>`, `..`, `^( )`, `**`, regexes, wildcards) is refused when the
//! definition is parsed. Runtime failures are
//! `States.QueryEvaluationError`, as Step Functions names them.
//!
//! Values are JSON values; `None` is JSONata's *undefined* (a path that
//! matches nothing). A sequence of one value is that value.

use std::fmt;

use serde_json::{Map, Number, Value};

use crate::clock::{Instant, Rng};

/// The functions the evaluator knows, with their arities (min, max).
pub const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("string", 1, 2),
    ("number", 1, 1),
    ("boolean", 1, 1),
    ("not", 1, 1),
    ("exists", 1, 1),
    ("count", 1, 1),
    ("sum", 1, 1),
    ("max", 1, 1),
    ("min", 1, 1),
    ("average", 1, 1),
    ("floor", 1, 1),
    ("ceil", 1, 1),
    ("round", 1, 2),
    ("abs", 1, 1),
    ("power", 2, 2),
    ("sqrt", 1, 1),
    ("length", 1, 1),
    ("substring", 2, 3),
    ("substringBefore", 2, 2),
    ("substringAfter", 2, 2),
    ("uppercase", 1, 1),
    ("lowercase", 1, 1),
    ("trim", 1, 1),
    ("pad", 2, 3),
    ("contains", 2, 2),
    ("split", 2, 3),
    ("join", 1, 2),
    ("keys", 1, 1),
    ("lookup", 2, 2),
    ("merge", 1, 1),
    ("append", 2, 2),
    ("reverse", 1, 1),
    ("distinct", 1, 1),
    ("type", 1, 1),
    ("toMillis", 1, 1),
    ("fromMillis", 1, 1),
    ("now", 0, 0),
    ("millis", 0, 0),
    ("partition", 2, 2),
    ("range", 2, 3),
    ("hash", 2, 2),
    ("random", 0, 1),
    ("uuid", 0, 0),
    ("parse", 1, 1),
];

/// A parsed JSONata expression (the text between `{%` and `%}`).
#[derive(Debug, Clone)]
pub struct Expression {
    text: String,
    node: Node,
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    In,
}

#[derive(Debug, Clone)]
enum Node {
    Literal(Value),
    /// `$` (the context item).
    Context,
    /// `$states`.
    States,
    /// A workflow variable (`$name`, set by `Assign`).
    Var(String),
    /// A field name step.
    Name(String),
    /// `a.b.c`: the first step, then the others applied to each item.
    Path(Vec<Node>),
    /// `step[predicate]`.
    Filter(Box<Node>, Box<Node>),
    Neg(Box<Node>),
    Binary(Op, Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Option<Box<Node>>),
    Object(Vec<(Node, Node)>),
    Array(Vec<Node>),
    Call(String, Vec<Node>),
    Block(Vec<Node>),
}

/// A runtime failure (`States.QueryEvaluationError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError(pub String);

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Eval = Result<Option<Value>, EvalError>;

fn err<T>(message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError(message.into()))
}

/// What an expression reads, and the execution's generator and clock.
pub struct Env<'a> {
    /// `$states`: `input`, `context` and, where they exist, `result` and
    /// `errorOutput`.
    pub states: &'a Value,
    /// The virtual time of the evaluation (`$now()`, `$millis()`).
    pub now: Instant,
    /// The execution's seeded generator (`$random()`, `$uuid()`).
    pub rng: &'a mut Rng,
    /// The workflow variables in scope (an unset one is undefined).
    pub vars: &'a Map<String, Value>,
}

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Num(f64),
    Name(String),
    Var(String),
    Punct(&'static str),
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let rest: String = chars[i + 2..].iter().collect();
            let end = rest.find("*/").ok_or("an unterminated comment")?;
            i += 2 + rest[..end].chars().count() + 2;
            continue;
        }
        if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&d) = chars.get(i) else {
                    return Err("an unterminated string literal".into());
                };
                i += 1;
                if d == c {
                    break;
                }
                if d == '\\' {
                    let Some(&e) = chars.get(i) else {
                        return Err("an unterminated string literal".into());
                    };
                    i += 1;
                    match e {
                        '"' | '\'' | '\\' | '/' => s.push(e),
                        'b' => s.push('\u{8}'),
                        'f' => s.push('\u{c}'),
                        'n' => s.push('\n'),
                        'r' => s.push('\r'),
                        't' => s.push('\t'),
                        'u' => {
                            let hex: String = chars.get(i..i + 4).unwrap_or(&[]).iter().collect();
                            let code = u32::from_str_radix(&hex, 16)
                                .ok()
                                .filter(|_| hex.len() == 4)
                                .ok_or("a bad \\u escape in a string literal")?;
                            i += 4;
                            s.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        other => return Err(format!("an unknown escape `\\{other}`")),
                    }
                } else {
                    s.push(d);
                }
            }
            out.push(Tok::Str(s));
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if matches!(chars.get(i), Some('e' | 'E')) {
                let mut j = i + 1;
                if matches!(chars.get(j), Some('+' | '-')) {
                    j += 1;
                }
                if chars.get(j).is_some_and(char::is_ascii_digit) {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s: String = chars[start..i].iter().collect();
            let n: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
            out.push(Tok::Num(n));
            continue;
        }
        if c == '`' {
            let rest: String = chars[i + 1..].iter().collect();
            let end = rest.find('`').ok_or("an unterminated `name`")?;
            out.push(Tok::Name(rest[..end].to_owned()));
            i += 1 + rest[..end].chars().count() + 1;
            continue;
        }
        let ident = |j: usize| {
            let mut k = j;
            while k < chars.len() && (chars[k].is_alphanumeric() || chars[k] == '_') {
                k += 1;
            }
            k
        };
        if c == '$' {
            let end = ident(i + 1);
            out.push(Tok::Var(chars[i + 1..end].iter().collect()));
            i = end;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let end = ident(i);
            out.push(Tok::Name(chars[i..end].iter().collect()));
            i = end;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        if let Some(p) = ["!=", "<=", ">=", ":=", "~>", "..", "**", "?:", "??"]
            .into_iter()
            .find(|p| *p == two)
        {
            out.push(Tok::Punct(p));
            i += 2;
            continue;
        }
        let one = [
            ".", "[", "]", "(", ")", "{", "}", ",", ":", ";", "?", "&", "+", "-", "*", "/", "%",
            "=", "<", ">", "^", "#", "@", "|", "!", "~",
        ]
        .into_iter()
        .find(|p| p.starts_with(c));
        match one {
            Some(p) => out.push(Tok::Punct(p)),
            None => return Err(format!("an unexpected character `{c}`")),
        }
        i += 1;
    }
    Ok(out)
}

// ---------------------------------------------------------------- parser

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

/// How deeply expressions may nest (the parser and the evaluator recurse);
/// a chain of operators counts one level per operator.
const MAX_DEPTH: usize = 64;

/// The longest string `$pad` builds (Step Functions' payload quota).
const MAX_PAD: usize = 262_144;

fn binding_power(tok: &Tok) -> Option<(u8, Op)> {
    let Tok::Punct(p) = tok else {
        return match tok {
            Tok::Name(n) if n == "and" => Some((30, Op::And)),
            Tok::Name(n) if n == "or" => Some((25, Op::Or)),
            Tok::Name(n) if n == "in" => Some((40, Op::In)),
            _ => None,
        };
    };
    Some(match *p {
        "&" => (50, Op::Concat),
        "+" => (50, Op::Add),
        "-" => (50, Op::Sub),
        "*" => (60, Op::Mul),
        "/" => (60, Op::Div),
        "%" => (60, Op::Mod),
        "=" => (40, Op::Eq),
        "!=" => (40, Op::Ne),
        "<" => (40, Op::Lt),
        "<=" => (40, Op::Le),
        ">" => (40, Op::Gt),
        ">=" => (40, Op::Ge),
        _ => return None,
    })
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    fn expect(&mut self, p: &str) -> Result<(), String> {
        if self.is(p) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected `{p}`, found {}", self.describe()))
        }
    }

    fn describe(&self) -> String {
        match self.peek() {
            None => "the end of the expression".into(),
            Some(Tok::Str(s)) => format!("the string \"{s}\""),
            Some(Tok::Num(n)) => format!("the number {n}"),
            Some(Tok::Name(n)) => format!("`{n}`"),
            Some(Tok::Var(v)) => format!("`${v}`"),
            Some(Tok::Punct(p)) => format!("`{p}`"),
        }
    }

    fn expr(&mut self, min: u8) -> Result<Node, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!(
                "the expression nests more than {MAX_DEPTH} levels deep"
            ));
        }
        let node = self.expr_inner(min);
        self.depth -= 1;
        node
    }

    /// One level: a prefix, then operators and postfixes extending it. Each
    /// extension nests the tree one level deeper, so it counts as depth too
    /// (`1 + 1 + … + 1` is as deep as it is long).
    fn expr_inner(&mut self, min: u8) -> Result<Node, String> {
        let base = self.depth;
        let node = self.extend(min);
        self.depth = base;
        node
    }

    fn extend(&mut self, min: u8) -> Result<Node, String> {
        let mut left = self.prefix()?;
        while let Some(tok) = self.peek().cloned() {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(format!(
                    "the expression nests more than {MAX_DEPTH} levels deep"
                ));
            }
            if let Tok::Punct(p) = &tok {
                match *p {
                    "." if min < 75 => {
                        self.pos += 1;
                        let step = self.step()?;
                        left = match left {
                            Node::Path(mut steps) => {
                                steps.push(step);
                                Node::Path(steps)
                            }
                            other => Node::Path(vec![other, step]),
                        };
                        continue;
                    }
                    "[" if min < 80 => {
                        self.pos += 1;
                        if self.is("]") {
                            return Err(
                                "`[]` (keep array) is not supported by this executor".into()
                            );
                        }
                        let predicate = self.expr(0)?;
                        self.expect("]")?;
                        left = match left {
                            Node::Path(mut steps) => {
                                let last = steps.pop().unwrap_or(Node::Context);
                                steps.push(Node::Filter(Box::new(last), Box::new(predicate)));
                                Node::Path(steps)
                            }
                            other => Node::Filter(Box::new(other), Box::new(predicate)),
                        };
                        continue;
                    }
                    "?" if min < 20 => {
                        self.pos += 1;
                        let then = self.expr(19)?;
                        let otherwise = if self.is(":") {
                            self.pos += 1;
                            Some(Box::new(self.expr(19)?))
                        } else {
                            None
                        };
                        left = Node::Cond(Box::new(left), Box::new(then), otherwise);
                        continue;
                    }
                    "(" => {
                        return Err(
                            "calling the result of an expression is not supported by this executor"
                                .into(),
                        );
                    }
                    _ => {}
                }
            }
            match binding_power(&tok) {
                Some((bp, op)) if bp > min => {
                    self.pos += 1;
                    let right = self.expr(bp)?;
                    left = Node::Binary(op, Box::new(left), Box::new(right));
                }
                Some(_) => break,
                None => match tok {
                    Tok::Punct(p) if [")", "]", "}", ",", ":", ";", "?"].contains(&p) => break,
                    _ => {
                        return Err(format!(
                            "{} is not supported here by this executor",
                            self.describe()
                        ));
                    }
                },
            }
        }
        Ok(left)
    }

    /// A path step after `.`: a name, a call, a constructor or a parenthesis.
    fn step(&mut self) -> Result<Node, String> {
        match self.peek() {
            Some(Tok::Name(_) | Tok::Var(_)) | Some(Tok::Punct("(" | "{" | "[")) => self.prefix(),
            Some(Tok::Str(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(Node::Name(s))
            }
            _ => Err(format!(
                "expected a field name after `.`, found {}",
                self.describe()
            )),
        }
    }

    fn prefix(&mut self) -> Result<Node, String> {
        let describe = self.describe();
        match self.next() {
            None => Err("the expression is incomplete".into()),
            Some(Tok::Str(s)) => Ok(Node::Literal(Value::String(s))),
            Some(Tok::Num(n)) => Ok(Node::Literal(number(n).map_err(|e| e.0)?)),
            Some(Tok::Name(n)) => Ok(match n.as_str() {
                "true" => Node::Literal(Value::Bool(true)),
                "false" => Node::Literal(Value::Bool(false)),
                "null" => Node::Literal(Value::Null),
                _ => Node::Name(n),
            }),
            Some(Tok::Var(v)) => {
                if self.is("(") {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if !self.is(")") {
                        loop {
                            args.push(self.expr(0)?);
                            if self.is(",") {
                                self.pos += 1;
                            } else {
                                break;
                            }
                        }
                    }
                    self.expect(")")?;
                    let Some((_, lo, hi)) = FUNCTIONS.iter().find(|(f, _, _)| *f == v) else {
                        return Err(format!(
                            "the function `${v}` is not supported by this executor"
                        ));
                    };
                    if args.len() < *lo || args.len() > *hi {
                        return Err(format!(
                            "`${v}` takes {} arguments, got {}",
                            if lo == hi {
                                lo.to_string()
                            } else {
                                format!("{lo} to {hi}")
                            },
                            args.len()
                        ));
                    }
                    return Ok(Node::Call(v, args));
                }
                match v.as_str() {
                    "" => Ok(Node::Context),
                    "states" => Ok(Node::States),
                    _ => Ok(Node::Var(v)),
                }
            }
            Some(Tok::Punct(p)) => match p {
                "-" => Ok(Node::Neg(Box::new(self.expr(70)?))),
                "(" => {
                    let mut items = Vec::new();
                    if !self.is(")") {
                        loop {
                            items.push(self.expr(0)?);
                            if self.is(";") {
                                self.pos += 1;
                                if self.is(")") {
                                    break;
                                }
                            } else {
                                break;
                            }
                        }
                    }
                    self.expect(")")?;
                    Ok(Node::Block(items))
                }
                "[" => {
                    let mut items = Vec::new();
                    if !self.is("]") {
                        loop {
                            items.push(self.expr(0)?);
                            if self.is(",") {
                                self.pos += 1;
                            } else {
                                break;
                            }
                        }
                    }
                    self.expect("]")?;
                    Ok(Node::Array(items))
                }
                "{" => {
                    let mut pairs = Vec::new();
                    if !self.is("}") {
                        loop {
                            let key = self.expr(0)?;
                            self.expect(":")?;
                            let value = self.expr(0)?;
                            pairs.push((key, value));
                            if self.is(",") {
                                self.pos += 1;
                            } else {
                                break;
                            }
                        }
                    }
                    self.expect("}")?;
                    Ok(Node::Object(pairs))
                }
                _ => Err(format!("{describe} is not supported here by this executor")),
            },
        }
    }
}

impl Expression {
    /// Parses the text of an expression (without `{%` and `%}`).
    ///
    /// # Errors
    /// What is wrong or not supported, in words.
    pub fn parse(text: &str) -> Result<Expression, String> {
        let toks = lex(text)?;
        let mut p = Parser {
            toks,
            pos: 0,
            depth: 0,
        };
        let node = p.expr(0)?;
        if p.peek().is_some() {
            return Err(format!("unexpected {} after the expression", p.describe()));
        }
        Ok(Expression {
            text: text.trim().to_owned(),
            node,
        })
    }

    /// Evaluates the expression; `Ok(None)` is JSONata's undefined.
    ///
    /// # Errors
    /// The cause of a `States.QueryEvaluationError`.
    pub fn eval(&self, env: &mut Env<'_>) -> Result<Option<Value>, EvalError> {
        eval(&self.node, None, env)
    }
}

/// The expression of a `{% … %}` string, if the value is one.
#[must_use]
pub fn template_text(value: &str) -> Option<&str> {
    value.strip_prefix("{%")?.strip_suffix("%}")
}

// ---------------------------------------------------------------- evaluator

/// A JSON number from an f64 (integers as integers); infinity and NaN are
/// errors, as in JSONata.
fn number(n: f64) -> Result<Value, EvalError> {
    if !n.is_finite() {
        return err("the number is out of range (infinite or not a number)");
    }
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        return Ok(Value::Number(Number::from(n as i64)));
    }
    Number::from_f64(n)
        .map(Value::Number)
        .ok_or_else(|| EvalError("the number is out of range".into()))
}

fn collapse(mut items: Vec<Value>) -> Option<Value> {
    match items.len() {
        0 => None,
        1 => items.pop(),
        _ => Some(Value::Array(items)),
    }
}

fn as_items(v: Option<Value>) -> Vec<Value> {
    match v {
        None => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(other) => vec![other],
    }
}

/// JSONata's boolean cast.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(truthy),
        Value::Object(o) => !o.is_empty(),
    }
}

fn eval(node: &Node, ctx: Option<&Value>, env: &mut Env<'_>) -> Eval {
    match node {
        Node::Literal(v) => Ok(Some(v.clone())),
        Node::Context => Ok(ctx.cloned()),
        Node::States => Ok(Some(env.states.clone())),
        Node::Var(name) => Ok(env.vars.get(name).cloned()),
        Node::Name(name) => Ok(ctx.and_then(|c| field(c, name))),
        Node::Path(steps) => {
            if let Some(value) = borrowed_path(steps, ctx, env) {
                return Ok(value);
            }
            let Some((first, rest)) = steps.split_first() else {
                return Ok(None);
            };
            let mut current = as_items(eval(first, ctx, env)?);
            for step in rest {
                // One parent's array value is kept whole; several parents'
                // results are flattened into one sequence.
                let single = current.len() == 1;
                let mut next = Vec::new();
                for item in &current {
                    match eval(step, Some(item), env)? {
                        None => {}
                        Some(Value::Array(a)) if !single && !matches!(step, Node::Array(_)) => {
                            next.extend(a);
                        }
                        Some(v) => next.push(v),
                    }
                }
                current = next;
            }
            Ok(collapse(current))
        }
        Node::Filter(base, predicate) => {
            let items = as_items(eval(base, ctx, env)?);
            if let Node::Literal(Value::Number(n)) = predicate.as_ref() {
                return Ok(index(&items, n.as_f64().unwrap_or(0.0)));
            }
            let mut kept = Vec::new();
            for (pos, item) in items.iter().enumerate() {
                match eval(predicate, Some(item), env)? {
                    Some(Value::Number(n)) => {
                        let mut i = n.as_f64().unwrap_or(0.0).floor() as i64;
                        if i < 0 {
                            i += items.len() as i64;
                        }
                        if i == pos as i64 {
                            kept.push(item.clone());
                        }
                    }
                    Some(v) if truthy(&v) => kept.push(item.clone()),
                    _ => {}
                }
            }
            Ok(collapse(kept))
        }
        Node::Neg(inner) => match eval(inner, ctx, env)? {
            None => Ok(None),
            Some(Value::Number(n)) => number(-n.as_f64().unwrap_or(0.0)).map(Some),
            Some(other) => err(format!("cannot negate a non-number: {other}")),
        },
        Node::Binary(op, left, right) => binary(*op, left, right, ctx, env),
        Node::Cond(test, then, otherwise) => {
            let t = eval(test, ctx, env)?;
            if t.as_ref().is_some_and(truthy) {
                eval(then, ctx, env)
            } else if let Some(o) = otherwise {
                eval(o, ctx, env)
            } else {
                Ok(None)
            }
        }
        Node::Object(pairs) => {
            let mut out = Map::new();
            for (k, v) in pairs {
                let key = match eval(k, ctx, env)? {
                    Some(Value::String(s)) => s,
                    other => {
                        return err(format!(
                            "an object key must be a string, got {}",
                            other.map_or("undefined".into(), |v| v.to_string())
                        ));
                    }
                };
                if let Some(value) = eval(v, ctx, env)? {
                    out.insert(key, value);
                }
            }
            Ok(Some(Value::Object(out)))
        }
        Node::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match eval(item, ctx, env)? {
                    None => {}
                    Some(Value::Array(a)) if !matches!(item, Node::Array(_)) => out.extend(a),
                    Some(v) => out.push(v),
                }
            }
            Ok(Some(Value::Array(out)))
        }
        Node::Block(items) => {
            let mut last = None;
            for item in items {
                last = eval(item, ctx, env)?;
            }
            Ok(last)
        }
        Node::Call(name, args) => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval(a, ctx, env)?);
            }
            call(name, values, env).map_err(|EvalError(m)| EvalError(format!("${name}: {m}")))
        }
    }
}

/// A path of plain field names from `$states`, a variable or the context
/// through objects only (`$states.input.request.trip_id`, the common case)
/// evaluated by reference, cloning only the value it ends at. `None` when
/// the path needs the general evaluation (a step that is not a name, or an
/// array on the way, which maps); `Some(None)` when it is undefined.
fn borrowed_path(steps: &[Node], ctx: Option<&Value>, env: &Env<'_>) -> Option<Option<Value>> {
    let (first, rest) = steps.split_first()?;
    let mut current: &Value = match first {
        Node::States => env.states,
        Node::Var(name) => match env.vars.get(name) {
            Some(value) => value,
            None => return Some(None),
        },
        Node::Context => match ctx {
            Some(value) => value,
            None => return Some(None),
        },
        _ => return None,
    };
    for step in rest {
        let Node::Name(name) = step else {
            return None;
        };
        current = match current {
            Value::Object(map) => match map.get(name) {
                Some(value) => value,
                None => return Some(None),
            },
            Value::Array(_) => return None,
            _ => return Some(None),
        };
    }
    Some(Some(current.clone()))
}

fn field(value: &Value, name: &str) -> Option<Value> {
    match value {
        Value::Object(o) => o.get(name).cloned(),
        Value::Array(a) => collapse(
            a.iter()
                .filter_map(|v| field(v, name))
                .flat_map(|v| match v {
                    Value::Array(inner) => inner,
                    other => vec![other],
                })
                .collect(),
        ),
        _ => None,
    }
}

fn index(items: &[Value], n: f64) -> Option<Value> {
    let i = n.floor() as i64;
    let len = items.len() as i64;
    let i = if i < 0 { len + i } else { i };
    (0..len).contains(&i).then(|| items[i as usize].clone())
}

fn to_f64(v: &Value, op: &str) -> Result<f64, EvalError> {
    v.as_f64()
        .ok_or_else(|| EvalError(format!("the operand of `{op}` must be a number, got {v}")))
}

fn binary(op: Op, left: &Node, right: &Node, ctx: Option<&Value>, env: &mut Env<'_>) -> Eval {
    match op {
        Op::And => {
            let l = eval(left, ctx, env)?;
            if !l.as_ref().is_some_and(truthy) {
                return Ok(Some(Value::Bool(false)));
            }
            let r = eval(right, ctx, env)?;
            return Ok(Some(Value::Bool(r.as_ref().is_some_and(truthy))));
        }
        Op::Or => {
            let l = eval(left, ctx, env)?;
            if l.as_ref().is_some_and(truthy) {
                return Ok(Some(Value::Bool(true)));
            }
            let r = eval(right, ctx, env)?;
            return Ok(Some(Value::Bool(r.as_ref().is_some_and(truthy))));
        }
        _ => {}
    }
    let l = eval(left, ctx, env)?;
    let r = eval(right, ctx, env)?;
    let symbol = match op {
        Op::Concat => "&",
        Op::Add => "+",
        Op::Sub => "-",
        Op::Mul => "*",
        Op::Div => "/",
        Op::Mod => "%",
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::In => "in",
        Op::And | Op::Or => unreachable!("handled above"),
    };
    match op {
        Op::Concat => {
            let s = |v: Option<Value>| -> Result<String, EvalError> {
                Ok(match v {
                    None => String::new(),
                    Some(v) => stringify(&v)?,
                })
            };
            Ok(Some(Value::String(s(l)? + &s(r)?)))
        }
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
            let (Some(l), Some(r)) = (l, r) else {
                return Ok(None);
            };
            let (a, b) = (to_f64(&l, symbol)?, to_f64(&r, symbol)?);
            let n = match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => a / b,
                _ => a % b,
            };
            number(n).map(Some)
        }
        Op::Eq | Op::Ne => {
            let (Some(l), Some(r)) = (l, r) else {
                return Ok(Some(Value::Bool(false)));
            };
            let same = crate::intrinsic::json_eq(&l, &r);
            Ok(Some(Value::Bool(if op == Op::Eq { same } else { !same })))
        }
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let (Some(l), Some(r)) = (l, r) else {
                return Ok(None);
            };
            let ord = match (&l, &r) {
                (Value::Number(a), Value::Number(b)) => a
                    .as_f64()
                    .partial_cmp(&b.as_f64())
                    .unwrap_or(std::cmp::Ordering::Equal),
                (Value::String(a), Value::String(b)) => a.encode_utf16().cmp(b.encode_utf16()),
                _ => {
                    return err(format!(
                        "the operands of `{symbol}` must be both numbers or both strings, got {l} and {r}"
                    ));
                }
            };
            use std::cmp::Ordering as O;
            let b = match op {
                Op::Lt => ord == O::Less,
                Op::Le => ord != O::Greater,
                Op::Gt => ord == O::Greater,
                _ => ord != O::Less,
            };
            Ok(Some(Value::Bool(b)))
        }
        Op::In => {
            let Some(l) = l else {
                return Ok(Some(Value::Bool(false)));
            };
            let found = as_items(r).iter().any(|v| crate::intrinsic::json_eq(v, &l));
            Ok(Some(Value::Bool(found)))
        }
        Op::And | Op::Or => unreachable!("handled above"),
    }
}

/// `$string`: strings as they are, numbers to 15 significant digits,
/// everything else as compact JSON.
fn stringify(v: &Value) -> Result<String, EvalError> {
    Ok(match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => format_number(n.as_f64().unwrap_or(0.0))?,
        other => {
            let mut other = other.clone();
            round_numbers(&mut other);
            other.to_string()
        }
    })
}

fn round_numbers(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() != 0.0)
                && let Ok(p) = format!("{f:.14e}").parse::<f64>()
                && let Ok(rounded) = number(p)
            {
                *v = rounded;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(round_numbers),
        Value::Object(o) => o.values_mut().for_each(round_numbers),
        _ => {}
    }
}

fn format_number(f: f64) -> Result<String, EvalError> {
    if !f.is_finite() {
        return err("cannot convert an infinite number to a string");
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    Ok(match number(rounded)? {
        Value::Number(n) => n.to_string(),
        _ => unreachable!("number gives numbers"),
    })
}

fn want_str(v: &Option<Value>, what: &str) -> Result<Option<String>, EvalError> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => err(format!("{what} must be a string, got {other}")),
    }
}

fn want_num(v: &Option<Value>, what: &str) -> Result<Option<f64>, EvalError> {
    match v {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(other) => err(format!("{what} must be a number, got {other}")),
    }
}

fn numbers(v: Option<Value>) -> Result<Vec<f64>, EvalError> {
    as_items(v)
        .iter()
        .map(|x| {
            x.as_f64()
                .ok_or_else(|| EvalError(format!("the array must hold numbers, got {x}")))
        })
        .collect()
}

/// `$round`: half to even at `precision` decimal places. The decimal point
/// is shifted in the number's shortest decimal text, as JSONata does, so
/// `$round(1.255, 2)` is 1.26 (binary `1.255 * 100` is 125.49999…).
fn round_half_even(x: f64, precision: i32) -> f64 {
    let shift = |v: f64, by: i32| -> f64 { format!("{v}e{by}").parse().unwrap_or(v) };
    let y = shift(x, precision);
    let r = if (y - y.trunc()).abs() == 0.5 {
        2.0 * (y / 2.0).round()
    } else {
        y.round()
    };
    shift(r, -precision)
}

fn call(name: &str, mut args: Vec<Option<Value>>, env: &mut Env<'_>) -> Eval {
    args.resize(3, None);
    let a0 = args[0].take();
    let a1 = args[1].take();
    let a2 = args[2].take();
    let num = |n: f64| number(n).map(Some);
    let string = |s: String| Ok(Some(Value::String(s)));
    match name {
        "string" => match a0 {
            None => Ok(None),
            Some(v) => string(stringify(&v)?),
        },
        "number" => match a0 {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(Value::Number(n))),
            Some(Value::Bool(b)) => num(if b { 1.0 } else { 0.0 }),
            Some(Value::String(s)) => match serde_json::from_str::<Number>(s.trim()) {
                Ok(n) => num(n.as_f64().unwrap_or(0.0)),
                Err(_) => err(format!("unable to cast \"{s}\" to a number")),
            },
            Some(other) => err(format!("unable to cast {other} to a number")),
        },
        "boolean" => Ok(a0.map(|v| Value::Bool(truthy(&v)))),
        "not" => Ok(a0.map(|v| Value::Bool(!truthy(&v)))),
        "exists" => Ok(Some(Value::Bool(a0.is_some()))),
        "count" => num(as_items(a0).len() as f64),
        "sum" => num(numbers(a0)?.iter().sum()),
        "max" | "min" | "average" => {
            let ns = numbers(a0)?;
            if ns.is_empty() {
                return Ok(None);
            }
            let r = match name {
                "max" => ns.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "min" => ns.iter().copied().fold(f64::INFINITY, f64::min),
                _ => ns.iter().sum::<f64>() / ns.len() as f64,
            };
            num(r)
        }
        "floor" | "ceil" | "abs" | "sqrt" => match want_num(&a0, "the argument")? {
            None => Ok(None),
            Some(n) => num(match name {
                "floor" => n.floor(),
                "ceil" => n.ceil(),
                "abs" => n.abs(),
                _ if n < 0.0 => return err("the argument must not be negative"),
                _ => n.sqrt(),
            }),
        },
        "round" => match want_num(&a0, "the argument")? {
            None => Ok(None),
            Some(n) => {
                let p = want_num(&a1, "the precision")?.unwrap_or(0.0) as i32;
                num(round_half_even(n, p))
            }
        },
        "power" => match (want_num(&a0, "the base")?, want_num(&a1, "the exponent")?) {
            (Some(b), Some(e)) => num(b.powf(e)),
            _ => Ok(None),
        },
        "length" => match want_str(&a0, "the argument")? {
            None => Ok(None),
            Some(s) => num(s.chars().count() as f64),
        },
        "substring" => {
            let Some(s) = want_str(&a0, "the string")? else {
                return Ok(None);
            };
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            let start = want_num(&a1, "the start")?.unwrap_or(0.0) as i64;
            let start = if start < 0 {
                (len + start).max(0)
            } else {
                start.min(len)
            };
            let end = match want_num(&a2, "the length")? {
                None => len,
                Some(l) if l <= 0.0 => start,
                Some(l) => start.saturating_add(l as i64).min(len),
            };
            string(chars[start as usize..end as usize].iter().collect())
        }
        "substringBefore" | "substringAfter" => {
            let Some(s) = want_str(&a0, "the string")? else {
                return Ok(None);
            };
            let chars = want_str(&a1, "the separator")?.unwrap_or_default();
            string(match s.find(&chars) {
                None => s,
                Some(i) if name == "substringBefore" => s[..i].to_owned(),
                Some(i) => s[i + chars.len()..].to_owned(),
            })
        }
        "uppercase" | "lowercase" | "trim" => match want_str(&a0, "the argument")? {
            None => Ok(None),
            Some(s) => string(match name {
                "uppercase" => s.to_uppercase(),
                "lowercase" => s.to_lowercase(),
                _ => s.split_whitespace().collect::<Vec<_>>().join(" "),
            }),
        },
        "pad" => {
            let Some(s) = want_str(&a0, "the string")? else {
                return Ok(None);
            };
            let width = want_num(&a1, "the width")?.unwrap_or(0.0) as i64;
            let fill = want_str(&a2, "the padding")?
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| " ".into());
            let missing = (width.unsigned_abs() as usize).saturating_sub(s.chars().count());
            if missing > MAX_PAD {
                return err(format!(
                    "the padded string would exceed {MAX_PAD} characters"
                ));
            }
            let padding: String = fill.chars().cycle().take(missing).collect();
            string(if width < 0 {
                padding + &s
            } else {
                s + &padding
            })
        }
        "contains" => match want_str(&a0, "the string")? {
            None => Ok(None),
            Some(s) => {
                let pattern = want_str(&a1, "the pattern (regular expressions are not supported)")?
                    .unwrap_or_default();
                Ok(Some(Value::Bool(s.contains(&pattern))))
            }
        },
        "split" => {
            let Some(s) = want_str(&a0, "the string")? else {
                return Ok(None);
            };
            let sep = want_str(&a1, "the separator (regular expressions are not supported)")?
                .unwrap_or_default();
            let mut parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(&sep).map(|p| Value::String(p.to_owned())).collect()
            };
            if let Some(limit) = want_num(&a2, "the limit")? {
                if limit < 0.0 {
                    return err("the limit must not be negative");
                }
                parts.truncate(limit as usize);
            }
            Ok(Some(Value::Array(parts)))
        }
        "join" => {
            let items = as_items(a0);
            let sep = want_str(&a1, "the separator")?.unwrap_or_default();
            let strings: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => err(format!("the array must hold strings, got {other}")),
                })
                .collect::<Result<_, _>>()?;
            string(strings.join(&sep))
        }
        "keys" => {
            let mut keys: Vec<Value> = Vec::new();
            for item in as_items(a0) {
                if let Value::Object(o) = item {
                    for k in o.keys() {
                        let k = Value::String(k.clone());
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                    }
                }
            }
            Ok(collapse(keys))
        }
        "lookup" => {
            let key = want_str(&a1, "the key")?.unwrap_or_default();
            Ok(a0.and_then(|v| field(&v, &key)))
        }
        "merge" => {
            let mut out = Map::new();
            for item in as_items(a0) {
                match item {
                    Value::Object(o) => out.extend(o),
                    other => return err(format!("the array must hold objects, got {other}")),
                }
            }
            Ok(Some(Value::Object(out)))
        }
        "append" => match (a0, a1) {
            (None, b) => Ok(b),
            (a, None) => Ok(a),
            (a, b) => {
                let mut items = as_items(a);
                items.extend(as_items(b));
                Ok(Some(Value::Array(items)))
            }
        },
        "reverse" => Ok(a0.map(|v| {
            let mut items = as_items(Some(v));
            items.reverse();
            Value::Array(items)
        })),
        "distinct" => Ok(a0.map(|v| {
            let mut out: Vec<Value> = Vec::new();
            for item in as_items(Some(v)) {
                if !out.iter().any(|o| crate::intrinsic::json_eq(o, &item)) {
                    out.push(item);
                }
            }
            Value::Array(out)
        })),
        "type" => Ok(a0.map(|v| {
            Value::String(
                match v {
                    Value::Null => "null",
                    Value::Bool(_) => "boolean",
                    Value::Number(_) => "number",
                    Value::String(_) => "string",
                    Value::Array(_) => "array",
                    Value::Object(_) => "object",
                }
                .into(),
            )
        })),
        "toMillis" => match want_str(&a0, "the timestamp")? {
            None => Ok(None),
            Some(s) => match Instant::parse_rfc3339(&s) {
                Some(t) => num(t.0 as f64),
                None => err(format!(
                    "\"{s}\" is not an ISO 8601 timestamp (pictures are not supported)"
                )),
            },
        },
        "fromMillis" => match want_num(&a0, "the milliseconds")? {
            None => Ok(None),
            Some(ms) => string(Instant(ms.floor() as i64).to_rfc3339()),
        },
        "now" => string(env.now.to_rfc3339()),
        "millis" => num(env.now.0 as f64),
        "partition" => {
            let items = match a0 {
                Some(Value::Array(a)) => a,
                other => {
                    return err(format!(
                        "the first argument must be an array, got {}",
                        other.map_or("undefined".into(), |v| v.to_string())
                    ));
                }
            };
            let size = want_num(&a1, "the size")?.unwrap_or(0.0);
            if size < 1.0 || size.fract() != 0.0 {
                return err("the size must be a positive integer");
            }
            Ok(Some(Value::Array(
                items
                    .chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            )))
        }
        "range" => {
            let start = want_num(&a0, "the start")?.unwrap_or(0.0);
            let end = want_num(&a1, "the end")?.unwrap_or(0.0);
            let step = want_num(&a2, "the step")?.unwrap_or(1.0);
            if [start, end, step].iter().any(|n| n.fract() != 0.0) || step == 0.0 {
                return err("the start, end and step must be integers (the step not 0)");
            }
            let mut out = Vec::new();
            let mut n = start;
            while (step > 0.0 && n <= end) || (step < 0.0 && n >= end) {
                if out.len() >= 1000 {
                    return err("the range has more than 1000 items");
                }
                out.push(number(n)?);
                n += step;
            }
            Ok(Some(Value::Array(out)))
        }
        "hash" => {
            let data = match a0 {
                Some(Value::String(s)) => s,
                other => {
                    return err(format!(
                        "the data must be a string, got {}",
                        other.map_or("undefined".into(), |v| v.to_string())
                    ));
                }
            };
            let algorithm = want_str(&a1, "the algorithm")?.unwrap_or_default();
            match crate::intrinsic::hash(&algorithm, data.as_bytes()) {
                Some(h) => string(h),
                None => err(format!(
                    "the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, got \"{algorithm}\""
                )),
            }
        }
        "random" => match want_num(&a0, "the seed")? {
            None => num(env.rng.next_f64()),
            Some(seed) => num(Rng::new(seed.to_bits()).next_f64()),
        },
        "uuid" => string(env.rng.uuid()),
        "parse" => match want_str(&a0, "the argument")? {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s)
                .map(Some)
                .map_err(|e| EvalError(format!("\"{s}\" is not JSON: {e}"))),
        },
        other => err(format!("the function `${other}` is not supported")),
    }
}

// ---------------------------------------------------------------- templates

/// A JSONata state's field value (`Arguments`, `Output`, `Condition`, a
/// Fail state's `Error`/`Cause`): JSON whose `{% … %}` strings, at any depth
/// of objects and arrays, are expressions.
#[derive(Debug, Clone)]
pub struct Template {
    source: Value,
    part: Box<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(Value),
    Expr(Expression),
    Object(Vec<(String, Part)>),
    Array(Vec<Part>),
}

/// A template's evaluation failure: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The expression as written.
    pub expression: String,
    /// Where in the field (`Arguments/TransactItems/0/Put`), `''` at the top.
    pub location: String,
    /// What went wrong (empty when it gave undefined).
    pub message: String,
    /// The expression gave undefined (a field must have a value).
    pub undefined: bool,
}

impl Template {
    /// Parses a field value.
    ///
    /// # Errors
    /// The location and the parse error of the first bad expression.
    pub fn parse(value: &Value) -> Result<Template, String> {
        fn part(value: &Value, at: &str) -> Result<Part, String> {
            Ok(match value {
                Value::String(s) => match template_text(s) {
                    Some(text) => Part::Expr(Expression::parse(text).map_err(|e| {
                        let at = if at.is_empty() {
                            String::new()
                        } else {
                            format!(" at {at}")
                        };
                        format!("the JSONata expression '{}'{at}: {e}", text.trim())
                    })?),
                    None => Part::Literal(value.clone()),
                },
                Value::Object(o) => Part::Object(
                    o.iter()
                        .map(|(k, v)| Ok((k.clone(), part(v, &format!("{at}/{k}"))?)))
                        .collect::<Result<_, String>>()?,
                ),
                Value::Array(a) => Part::Array(
                    a.iter()
                        .enumerate()
                        .map(|(i, v)| part(v, &format!("{at}/{i}")))
                        .collect::<Result<_, _>>()?,
                ),
                other => Part::Literal(other.clone()),
            })
        }
        Ok(Template {
            source: value.clone(),
            part: Box::new(part(value, "")?),
        })
    }

    /// The value as written in the definition.
    #[must_use]
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// Evaluates every expression. An expression that gives undefined is an
    /// error (Step Functions refuses it: a field must have a value).
    ///
    /// # Errors
    /// The expression, where it is, and why it failed.
    pub fn eval(&self, env: &mut Env<'_>) -> Result<Value, TemplateError> {
        fn go(part: &Part, at: &str, env: &mut Env<'_>) -> Result<Value, TemplateError> {
            Ok(match part {
                Part::Literal(v) => v.clone(),
                Part::Expr(e) => match e.eval(env) {
                    Ok(Some(v)) => v,
                    Ok(None) => {
                        return Err(TemplateError {
                            expression: e.text.clone(),
                            location: at.to_owned(),
                            message: String::new(),
                            undefined: true,
                        });
                    }
                    Err(EvalError(m)) => {
                        return Err(TemplateError {
                            expression: e.text.clone(),
                            location: at.to_owned(),
                            message: m,
                            undefined: false,
                        });
                    }
                },
                Part::Object(fields) => {
                    let mut out = Map::new();
                    for (k, p) in fields {
                        out.insert(k.clone(), go(p, &format!("{at}/{k}"), env)?);
                    }
                    Value::Object(out)
                }
                Part::Array(items) => Value::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, p)| go(p, &format!("{at}/{i}"), env))
                        .collect::<Result<_, _>>()?,
                ),
            })
        }
        go(&self.part, "", env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval_with(text: &str, states: &Value) -> Result<Option<Value>, String> {
        let e = Expression::parse(text)?;
        let mut rng = Rng::new(7);
        let vars: Map<String, Value> = [("v".to_owned(), json!({"k": [1, 2]}))]
            .into_iter()
            .collect();
        let mut env = Env {
            states,
            now: Instant::DEFAULT_START,
            rng: &mut rng,
            vars: &vars,
        };
        e.eval(&mut env).map_err(|e| e.0)
    }

    fn ev(text: &str) -> Value {
        let states = json!({"input": {"a": {"b": [1, 2, 3]}, "s": "Hi", "o": [{"k": 1}, {"k": 2}]},
                            "context": {"Execution": {"Name": "x"}}});
        eval_with(text, &states)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .unwrap_or_else(|| panic!("{text}: undefined"))
    }

    fn fails(text: &str) -> String {
        match eval_with(text, &json!({"input": {}})) {
            Err(e) => e,
            Ok(v) => panic!("{text} gave {v:?}"),
        }
    }

    #[test]
    fn literals_paths_and_constructors() {
        assert_eq!(ev("'a' & \"b\""), json!("ab"));
        assert_eq!(ev("1.5"), json!(1.5));
        assert_eq!(ev("true"), json!(true));
        assert_eq!(ev("null"), json!(null));
        assert_eq!(ev("$states.input.a.b"), json!([1, 2, 3]));
        assert_eq!(ev("$states.input.a.b[1]"), json!(2));
        assert_eq!(ev("$states.input.a.b[-1]"), json!(3));
        assert_eq!(ev("$states.input.o.k"), json!([1, 2]));
        assert_eq!(ev("$states.input.o[k = 2].k"), json!(2));
        assert_eq!(ev("$states.input.a.b[$ > 1]"), json!([2, 3]));
        assert_eq!(ev("$states.context.Execution.Name"), json!("x"));
        assert_eq!(
            ev("{'k': 1 + 1, 'm': $states.input.nothing}"),
            json!({"k": 2})
        );
        assert_eq!(ev("[1, [2], $states.input.a.b]"), json!([1, [2], 1, 2, 3]));
        assert_eq!(ev("(1; 2)"), json!(2));
        assert_eq!(ev("$v.k[1]"), json!(2));
        assert_eq!(
            eval_with("$unset", &json!({"input": {}})),
            Ok(None),
            "an unset variable is undefined"
        );
        assert_eq!(
            eval_with("$states.input.nothing", &json!({"input": {}})),
            Ok(None)
        );
    }

    #[test]
    fn operators() {
        assert_eq!(ev("1 + 2 * 3 - 4 / 2"), json!(5));
        assert_eq!(ev("7 % 3"), json!(1));
        assert_eq!(ev("-(2)"), json!(-2));
        assert_eq!(ev("'n' & 1 & true & null"), json!("n1truenull"));
        assert_eq!(ev("1 = 1.0"), json!(true));
        assert_eq!(ev("1 != 2"), json!(true));
        assert_eq!(
            ev("[1 < 2, 2 <= 2, 3 > 2, 2 >= 3, 'a' < 'b']"),
            json!([true, true, true, false, true])
        );
        assert_eq!(ev("true and false or true"), json!(true));
        assert_eq!(ev("2 in [1, 2]"), json!(true));
        assert_eq!(ev("1 > 2 ? 'x' : 'y'"), json!("y"));
        assert_eq!(ev("$states.input.nothing = 1"), json!(false));
        assert!(fails("'a' + 1").contains("must be a number"));
        assert!(fails("1 < 'a'").contains("both numbers or both strings"));
        assert!(fails("1 / 0").contains("out of range"));
    }

    #[test]
    fn functions() {
        assert_eq!(ev("$string(5)"), json!("5"));
        assert_eq!(ev("$string(0.1 + 0.2)"), json!("0.3"));
        assert_eq!(ev("$string({'a': [1]})"), json!("{\"a\":[1]}"));
        assert_eq!(ev("$number('42')"), json!(42));
        assert_eq!(
            ev("[$boolean(''), $boolean('x'), $not(0)]"),
            json!([false, true, true])
        );
        assert_eq!(
            ev("[$exists($states.input.s), $exists($states.input.z)]"),
            json!([true, false])
        );
        assert_eq!(ev("$count($states.input.a.b)"), json!(3));
        assert_eq!(ev("$sum($states.input.a.b)"), json!(6));
        assert_eq!(
            ev("[$max([1, 5]), $min([1, 5]), $average([1, 2])]"),
            json!([5, 1, 1.5])
        );
        assert_eq!(
            ev("[$floor(1.7), $ceil(1.2), $round(2.5), $round(1.25, 1), $abs(-3)]"),
            json!([1, 2, 2, 1.2, 3])
        );
        assert_eq!(ev("$length('héllo')"), json!(5));
        assert_eq!(
            ev("[$substring('hello', 1, 3), $substring('hello', -2)]"),
            json!(["ell", "lo"])
        );
        assert_eq!(
            ev("[$uppercase('a'), $lowercase('B'), $trim('  a   b ')]"),
            json!(["A", "b", "a b"])
        );
        assert_eq!(ev("$contains('abc', 'b')"), json!(true));
        assert_eq!(ev("$split('a,b,c', ',', 2)"), json!(["a", "b"]));
        assert_eq!(ev("$join(['a', 'b'], '-')"), json!("a-b"));
        assert_eq!(ev("$keys({'a': 1, 'b': 2})"), json!(["a", "b"]));
        assert_eq!(
            ev("$merge([{'a': 1}, {'a': 2, 'b': 3}])"),
            json!({"a": 2, "b": 3})
        );
        assert_eq!(
            ev("$toMillis('2026-01-01T00:00:01.500Z')"),
            json!(1_767_225_601_500_i64)
        );
        assert_eq!(
            ev("$fromMillis(1767225600000)"),
            json!("2026-01-01T00:00:00.000Z")
        );
        assert_eq!(ev("$now()"), json!("2026-01-01T00:00:00.000Z"));
        assert_eq!(ev("$millis()"), json!(1_767_225_600_000_i64));
        assert_eq!(ev("$partition([1, 2, 3], 2)"), json!([[1, 2], [3]]));
        assert_eq!(ev("$range(0, 6, 3)"), json!([0, 3, 6]));
        assert_eq!(
            ev("$hash('abc', 'MD5')"),
            json!("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(ev("$parse('{\"a\": [1]}')"), json!({"a": [1]}));
        assert_eq!(ev("$random(3)"), ev("$random(3)"));
        let r = ev("$random()").as_f64().unwrap();
        assert!((0.0..1.0).contains(&r));
        assert_eq!(
            ev("$uuid()"),
            ev("$uuid()"),
            "seeded: the same seed gives the same first UUID"
        );
        assert!(fails("$hash('a', 'CRC')").contains("algorithm"));
        assert!(fails("$toMillis('yesterday')").contains("ISO 8601"));
        assert!(fails("$merge([1])").contains("objects"));
        assert!(fails("$pad('a', 1e15)").contains("exceed"));
        assert_eq!(ev(&format!("1{}", " + 1".repeat(60))), json!(61));
        assert_eq!(
            ev(&format!("{}1{}", "(".repeat(30), ")".repeat(30))),
            json!(1)
        );
        assert_eq!(ev("$substring('abc', 1, 1e300)"), json!("bc"));
    }

    #[test]
    fn round_is_half_even_on_the_decimal_text() {
        assert_eq!(
            ev("[$round(1.255, 2), $round(3.5), $round(-2.5), $round(1234, -2), $round(0.5)]"),
            json!([1.26, 4, -2, 1200, 0])
        );
    }

    #[test]
    fn every_prefix_and_suffix_parses_or_errors_without_panicking() {
        let text = "$merge([$states.input, {'k': $string($floor($toMillis($states.context.x) / 1000) + 604800), \
                    'a': $states.input.a.b[$ > 1][0], \"q\": -(1) & `n m` ? [1, 2.5e3] : (1; $v.k)}]) /* c */ in $keys({}) and $substring('é', -1, 2) != null";
        let states =
            json!({"input": {"a": {"b": [1, 2, 3]}}, "context": {"x": "2026-01-01T00:00:00Z"}});
        let chars: Vec<char> = text.chars().collect();
        for cut in 0..=chars.len() {
            for piece in [&chars[..cut], &chars[cut..]] {
                let piece: String = piece.iter().collect();
                let _ = eval_with(&piece, &states);
            }
        }
    }

    #[test]
    fn parse_errors() {
        for (text, wanted) in [
            ("$nope()", "`$nope` is not supported"),
            ("$string()", "takes 1 to 2 arguments"),
            ("1 +", "incomplete"),
            ("'open", "unterminated"),
            ("a := 1", "not supported"),
            ("$states ~> $string()", "not supported"),
            ("1 2", "is not supported here"),
            (
                &format!("{}1{}", "(".repeat(70), ")".repeat(70)),
                "nests more than",
            ),
            (&format!("{}1", "-".repeat(70)), "nests more than"),
            (&format!("1{}", " + 1".repeat(70)), "nests more than"),
        ] {
            let e = Expression::parse(text).expect_err(text);
            assert!(e.contains(wanted), "{text}: {e}");
        }
    }

    #[test]
    fn templates_nest_and_refuse_undefined() {
        let t =
            Template::parse(&json!({"a": ["{% 1 + 1 %}", "plain", {"b": "{%$states.input%}"}]}))
                .unwrap();
        let mut rng = Rng::new(0);
        let states = json!({"input": 5});
        let vars = Map::new();
        let mut env = Env {
            states: &states,
            now: Instant::DEFAULT_START,
            rng: &mut rng,
            vars: &vars,
        };
        assert_eq!(
            t.eval(&mut env).unwrap(),
            json!({"a": [2, "plain", {"b": 5}]})
        );
        let t = Template::parse(&json!({"a": {"b": "{% $states.input.zz %}"}})).unwrap();
        let e = t.eval(&mut env).unwrap_err();
        assert_eq!(e.location, "/a/b");
        assert!(e.undefined);
        assert!(
            Template::parse(&json!({"a": "{% ( %}"}))
                .unwrap_err()
                .contains("at /a")
        );
    }
}
