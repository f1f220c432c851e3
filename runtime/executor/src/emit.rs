//! The model back to Amazon States Language JSON, so a compiler can build a
//! [`Definition`] and emit it. The form is canonical: defaults that change
//! nothing are left out (`InputPath: "$"`, `ResultPath: "$"`), retriers are
//! written in full, `ItemProcessor`/`ItemSelector` are used for Maps, and
//! nested choice rules carry no comments. Parsing what this writes gives back
//! an equivalent definition (tests run both and compare the histories).

use serde::ser::{Serialize, Serializer};
use serde_json::{Map as JsonMap, Value, json};

use crate::intrinsic::Expr;
use crate::model::{
    Catcher, ChoiceRule, Definition, FailField, FieldValue, Io, Jitter, Operand, QueryLanguage,
    ResultPath, Retrier, Seconds, State, StateKind, StateMachine, Template, Transition, WaitFor,
};

impl Definition {
    /// The definition as ASL JSON.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let mut out = JsonMap::new();
        if let Some(comment) = &self.comment {
            out.insert("Comment".into(), json!(comment));
        }
        machine_into(&self.machine, &mut out);
        if self.query_language == QueryLanguage::Jsonata {
            out.insert("QueryLanguage".into(), json!("JSONata"));
        }
        if let Some(t) = self.timeout_seconds {
            out.insert("TimeoutSeconds".into(), json!(t));
        }
        Value::Object(out)
    }
}

impl Serialize for Definition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

fn machine_into(machine: &StateMachine, out: &mut JsonMap<String, Value>) {
    out.insert("StartAt".into(), json!(machine.start_at));
    let states: JsonMap<String, Value> = machine
        .states
        .iter()
        .map(|s| (s.name.clone(), state(s)))
        .collect();
    out.insert("States".into(), Value::Object(states));
}

fn machine(machine: &StateMachine) -> Value {
    let mut out = JsonMap::new();
    machine_into(machine, &mut out);
    Value::Object(out)
}

fn state(s: &State) -> Value {
    let mut o = JsonMap::new();
    o.insert("Type".into(), json!(s.kind.type_name()));
    if let Some(comment) = &s.comment {
        o.insert("Comment".into(), json!(comment));
    }
    if s.query_language == QueryLanguage::Jsonata {
        o.insert("QueryLanguage".into(), json!("JSONata"));
    }
    if let Some(a) = &s.jsonata.arguments {
        o.insert("Arguments".into(), a.source().clone());
    }
    if let Some(out) = &s.jsonata.output {
        o.insert("Output".into(), out.source().clone());
    }
    if let Some(a) = &s.jsonata.assign {
        o.insert("Assign".into(), a.source().clone());
    }
    match &s.kind {
        StateKind::Task(t) => {
            o.insert("Resource".into(), json!(t.resource));
            io(&t.io, &mut o);
            template_field(&mut o, "Parameters", t.parameters.as_ref());
            template_field(&mut o, "ResultSelector", t.result_selector.as_ref());
            result_path(&mut o, &t.result_path);
            seconds(&mut o, "TimeoutSeconds", t.timeout.as_ref());
            seconds(&mut o, "HeartbeatSeconds", t.heartbeat.as_ref());
            if let Some(c) = &t.credentials {
                o.insert("Credentials".into(), c.clone());
            }
            retry_catch(&mut o, &t.retry, &t.catch);
            transition(&mut o, &t.transition);
        }
        StateKind::Pass(p) => {
            io(&p.io, &mut o);
            template_field(&mut o, "Parameters", p.parameters.as_ref());
            if let Some(r) = &p.result {
                o.insert("Result".into(), r.clone());
            }
            result_path(&mut o, &p.result_path);
            transition(&mut o, &p.transition);
        }
        StateKind::Choice(c) => {
            io(&c.io, &mut o);
            let choices: Vec<Value> = c
                .choices
                .iter()
                .map(|b| {
                    let mut rule = match rule(&b.rule) {
                        Value::Object(m) => m,
                        _ => JsonMap::new(),
                    };
                    if let Some(comment) = &b.comment {
                        rule.insert("Comment".into(), json!(comment));
                    }
                    rule.insert("Next".into(), json!(b.next));
                    if let Some(t) = &b.output {
                        rule.insert("Output".into(), t.source().clone());
                    }
                    if let Some(t) = &b.assign {
                        rule.insert("Assign".into(), t.source().clone());
                    }
                    Value::Object(rule)
                })
                .collect();
            o.insert("Choices".into(), Value::Array(choices));
            if let Some(d) = &c.default {
                o.insert("Default".into(), json!(d));
            }
        }
        StateKind::Wait(w) => {
            io(&w.io, &mut o);
            let (key, value) = match &w.until {
                WaitFor::Seconds(s) => ("Seconds", json!(s)),
                WaitFor::Timestamp(t) => ("Timestamp", json!(t.to_rfc3339())),
                WaitFor::SecondsPath(p) => ("SecondsPath", json!(p.as_str())),
                WaitFor::TimestampPath(p) => ("TimestampPath", json!(p.as_str())),
                WaitFor::SecondsExpr(t) => ("Seconds", t.source().clone()),
                WaitFor::TimestampExpr(t) => ("Timestamp", t.source().clone()),
            };
            o.insert(key.into(), value);
            transition(&mut o, &w.transition);
        }
        StateKind::Succeed(s) => io(&s.io, &mut o),
        StateKind::Fail(f) => {
            fail_field(&mut o, "Error", f.error.as_ref());
            fail_field(&mut o, "Cause", f.cause.as_ref());
        }
        StateKind::Parallel(p) => {
            io(&p.io, &mut o);
            o.insert(
                "Branches".into(),
                Value::Array(p.branches.iter().map(machine).collect()),
            );
            template_field(&mut o, "Parameters", p.parameters.as_ref());
            template_field(&mut o, "ResultSelector", p.result_selector.as_ref());
            result_path(&mut o, &p.result_path);
            retry_catch(&mut o, &p.retry, &p.catch);
            transition(&mut o, &p.transition);
        }
        StateKind::Map(m) => {
            io(&m.io, &mut o);
            let mut processor = JsonMap::new();
            processor.insert("ProcessorConfig".into(), json!({"Mode": "INLINE"}));
            machine_into(&m.processor, &mut processor);
            o.insert("ItemProcessor".into(), Value::Object(processor));
            if !m.items_path.is_root() || m.items_path.is_context() {
                o.insert("ItemsPath".into(), json!(m.items_path.as_str()));
            }
            template_field(&mut o, "ItemSelector", m.item_selector.as_ref());
            if let Some(t) = &m.items {
                o.insert("Items".into(), t.source().clone());
            }
            if let Some(t) = &m.jsonata_item_selector {
                o.insert("ItemSelector".into(), t.source().clone());
            }
            if let Some(n) = m.max_concurrency {
                o.insert("MaxConcurrency".into(), json!(n));
            }
            if let Some(p) = &m.max_concurrency_path {
                o.insert("MaxConcurrencyPath".into(), json!(p.as_str()));
            }
            if let Some(p) = m.tolerated_failure_percentage {
                o.insert("ToleratedFailurePercentage".into(), json!(p));
            }
            if let Some(c) = m.tolerated_failure_count {
                o.insert("ToleratedFailureCount".into(), json!(c));
            }
            template_field(&mut o, "ResultSelector", m.result_selector.as_ref());
            result_path(&mut o, &m.result_path);
            retry_catch(&mut o, &m.retry, &m.catch);
            transition(&mut o, &m.transition);
        }
    }
    Value::Object(o)
}

fn io(io: &Io, o: &mut JsonMap<String, Value>) {
    for (key, path) in [
        ("InputPath", &io.input_path),
        ("OutputPath", &io.output_path),
    ] {
        match path {
            None => {
                o.insert(key.into(), Value::Null);
            }
            Some(p) if p.is_root() && !p.is_context() => {}
            Some(p) => {
                o.insert(key.into(), json!(p.as_str()));
            }
        }
    }
}

fn result_path(o: &mut JsonMap<String, Value>, rp: &ResultPath) {
    match rp {
        ResultPath::Discard => {
            o.insert("ResultPath".into(), Value::Null);
        }
        ResultPath::At(p) if p.is_root() => {}
        ResultPath::At(p) => {
            o.insert("ResultPath".into(), json!(p.as_str()));
        }
    }
}

fn seconds(o: &mut JsonMap<String, Value>, key: &str, s: Option<&Seconds>) {
    match s {
        None => {}
        Some(Seconds::Fixed(n)) => {
            o.insert(key.into(), json!(n));
        }
        Some(Seconds::Path(p)) => {
            o.insert(format!("{key}Path"), json!(p.as_str()));
        }
    }
}

fn transition(o: &mut JsonMap<String, Value>, t: &Transition) {
    match t {
        Transition::Next(n) => o.insert("Next".into(), json!(n)),
        Transition::End => o.insert("End".into(), json!(true)),
    };
}

fn fail_field(o: &mut JsonMap<String, Value>, key: &str, f: Option<&FailField>) {
    match f {
        None => {}
        Some(FailField::Literal(s)) => {
            o.insert(key.into(), json!(s));
        }
        Some(FailField::Path(p)) => {
            o.insert(format!("{key}Path"), json!(p.as_str()));
        }
        Some(FailField::Intrinsic(e)) => {
            o.insert(format!("{key}Path"), json!(e.to_string()));
        }
        Some(FailField::Jsonata(t)) => {
            o.insert(key.into(), t.source().clone());
        }
    }
}

fn retry_catch(o: &mut JsonMap<String, Value>, retry: &[Retrier], catch: &[Catcher]) {
    if !retry.is_empty() {
        let list = retry
            .iter()
            .map(|r| {
                let mut m = JsonMap::new();
                if let Some(c) = &r.comment {
                    m.insert("Comment".into(), json!(c));
                }
                m.insert("ErrorEquals".into(), json!(r.error_equals));
                m.insert("IntervalSeconds".into(), json!(r.interval_seconds));
                m.insert("MaxAttempts".into(), json!(r.max_attempts));
                m.insert("BackoffRate".into(), json!(r.backoff_rate));
                if let Some(d) = r.max_delay_seconds {
                    m.insert("MaxDelaySeconds".into(), json!(d));
                }
                if r.jitter == Jitter::Full {
                    m.insert("JitterStrategy".into(), json!("FULL"));
                }
                Value::Object(m)
            })
            .collect();
        o.insert("Retry".into(), Value::Array(list));
    }
    if !catch.is_empty() {
        let list = catch
            .iter()
            .map(|c| {
                let mut m = JsonMap::new();
                if let Some(comment) = &c.comment {
                    m.insert("Comment".into(), json!(comment));
                }
                m.insert("ErrorEquals".into(), json!(c.error_equals));
                result_path(&mut m, &c.result_path);
                if let Some(out) = &c.output {
                    m.insert("Output".into(), out.source().clone());
                }
                if let Some(a) = &c.assign {
                    m.insert("Assign".into(), a.source().clone());
                }
                m.insert("Next".into(), json!(c.next));
                Value::Object(m)
            })
            .collect();
        o.insert("Catch".into(), Value::Array(list));
    }
}

fn rule(r: &ChoiceRule) -> Value {
    match r {
        ChoiceRule::And(rules) => json!({"And": rules.iter().map(rule).collect::<Vec<_>>()}),
        ChoiceRule::Or(rules) => json!({"Or": rules.iter().map(rule).collect::<Vec<_>>()}),
        ChoiceRule::Not(inner) => json!({"Not": rule(inner)}),
        ChoiceRule::Condition(t) => json!({"Condition": t.source()}),
        ChoiceRule::Test {
            variable,
            operator,
            operand,
        } => {
            let mut m = JsonMap::new();
            m.insert("Variable".into(), json!(variable.as_str()));
            match operand {
                Operand::Value(v) => m.insert(operator.name().into(), v.clone()),
                Operand::Path(p) => m.insert(format!("{}Path", operator.name()), json!(p.as_str())),
            };
            Value::Object(m)
        }
    }
}

fn template_field(o: &mut JsonMap<String, Value>, key: &str, t: Option<&Template>) {
    if let Some(t) = t {
        o.insert(key.into(), template(t));
    }
}

/// A payload template as JSON.
#[must_use]
pub fn template(t: &Template) -> Value {
    match t {
        Template::Literal(v) => v.clone(),
        Template::Array(items) => Value::Array(items.iter().map(template).collect()),
        Template::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|f| match &f.value {
                    FieldValue::Static(t) => (f.name.clone(), template(t)),
                    FieldValue::Path(p) => (format!("{}.$", f.name), json!(p.as_str())),
                    FieldValue::Intrinsic(e) => (format!("{}.$", f.name), json!(e.to_string())),
                })
                .collect(),
        ),
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
