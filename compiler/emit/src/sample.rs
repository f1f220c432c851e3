//! Realistic sample data derived from the spec: field values from their
//! names, types and constraints, the start request, step outputs, and the
//! payload Step Functions sends each action (the context object merged with
//! the state input). Used by the mock configuration and the sample events.
//!
//! Values are deterministic and consistent: a field has the same value
//! wherever its name appears (`trip_id` in the request, in every entity and in
//! the execution name), so a sample execution reads like a real one.

use serde_json::{Map, Value, json};

use super::OutputFile;
use super::asl;
use crate::ir::{Entity, Field, FieldType, Saga, Stage, Step};

/// Account id of the sample ARNs.
pub const ACCOUNT: &str = "123456789012";
/// Start time of the sample execution.
pub const START_TIME: &str = "2026-06-01T09:30:00.000Z";
/// The sample start request file.
pub const INPUT_FILE: &str = "sample-input.json";

/// A sample value for `field`: the spec's example, else one derived from
/// its name, type and constraints.
pub fn value(field: &Field) -> Value {
    if let Some(example) = &field.example {
        return example.clone();
    }
    let derived = derived(field);
    // A derived string still fits the field's length bound.
    match (&derived, field.max_length) {
        (Value::String(text), Some(max)) if text.chars().count() > max as usize => {
            json!(text.chars().take(max as usize).collect::<String>())
        }
        _ => derived,
    }
}

fn derived(field: &Field) -> Value {
    if let Some(first) = field.one_of.first() {
        return match field.ty {
            FieldType::Int => first
                .parse::<i64>()
                .map_or_else(|_| json!(first), |n| json!(n)),
            FieldType::Bool => json!(first == "true"),
            _ => json!(first),
        };
    }
    match field.ty {
        FieldType::String => json!(string(&field.name, field.pattern.as_deref())),
        FieldType::Int => json!(int(field)),
        FieldType::Decimal => json!(decimal(field)),
        FieldType::Bool => json!(!field.name.starts_with("is_") || field.name.contains("valid")),
        FieldType::Date => json!(date(&field.name)),
        FieldType::Timestamp => json!("2026-06-01T09:30:00Z"),
    }
}

fn words(name: &str) -> Vec<&str> {
    name.split('_').filter(|w| !w.is_empty()).collect()
}

/// Eight hex digits derived from a name: ids look random but never change.
fn digest(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(name.as_bytes());
    hash[..4].iter().map(|b| format!("{b:02x}")).collect()
}

fn string(name: &str, pattern: Option<&str>) -> String {
    let candidate = string_by_name(name);
    match pattern {
        None => candidate,
        Some(pattern) => matching(pattern, &candidate).unwrap_or(candidate),
    }
}

fn string_by_name(name: &str) -> String {
    let w = words(name);
    let last = w.last().copied().unwrap_or(name);
    let stem = w[..w.len().saturating_sub(1)].join("-");
    let has = |s: &str| w.contains(&s);
    match name {
        "currency" => return "EUR".into(),
        "origin" => return "HND".into(),
        "destination" => return "CDG".into(),
        "email" => return "ada.lovelace@example.com".into(),
        "country" => return "GB".into(),
        "city" => return "London".into(),
        "team" => return "platform".into(),
        "username" => return "ada.lovelace".into(),
        "iban" => return "GB33BUKB20201555555555".into(),
        "sku" => return "SKU-1001".into(),
        _ => {}
    }
    match last {
        "id" if !stem.is_empty() => format!("{stem}-{}", digest(name)),
        "id" => format!("id-{}", digest(name)),
        "name" if has("full") || w.len() == 1 => "Ada Lovelace".into(),
        "name" => format!("{} Example", capitalise(&stem)),
        "email" => "ada.lovelace@example.com".into(),
        "phone" => "+44 20 7946 0000".into(),
        "address" => "1 Example Street, London".into(),
        "last4" => "4242".into(),
        "token" => format!("tok_{}", digest(name)),
        "code" => format!("{}-001", stem.to_uppercase()),
        "number" => format!(
            "{}{}",
            stem.chars().take(2).collect::<String>().to_uppercase(),
            203
        ),
        "reference" | "ref" => "REF-20260601-0001".into(),
        "url" => "https://example.com/".into(),
        "reason" | "description" | "note" | "comment" => "sample".into(),
        _ => format!("{}-1", name.replace('_', "-")),
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

fn int(field: &Field) -> i64 {
    let w = words(&field.name);
    let has = |s: &str| w.iter().any(|x| x.starts_with(s));
    let guess: i64 = if field.name == "version" {
        1
    } else if has("seat")
        || has("room")
        || has("quantit")
        || has("qty")
        || has("count")
        || has("night")
        || has("guest")
    {
        2
    } else if has("point") {
        500
    } else if has("year") {
        2026
    } else {
        1
    };
    let mut n = guess as f64;
    if let Some(min) = field.min {
        n = n.max(min.ceil());
    }
    if let Some(max) = field.max {
        n = n.min(max.floor());
    }
    n as i64
}

fn decimal(field: &Field) -> String {
    let w = words(&field.name);
    let has = |s: &str| w.iter().any(|x| x.starts_with(s));
    let guess: f64 = if has("price") || has("fee") {
        120.0
    } else if has("amount")
        || has("total")
        || has("salary")
        || has("payout")
        || has("deposit")
        || has("balance")
    {
        249.9
    } else if has("rate") || has("percent") {
        2.5
    } else {
        10.0
    };
    let mut n = guess;
    if let Some(min) = field.min {
        n = n.max(min);
    }
    if let Some(max) = field.max {
        n = n.min(max);
    }
    format!("{n:.2}")
}

fn date(name: &str) -> &'static str {
    let w = words(name);
    let has = |s: &str| w.contains(&s);
    if has("return") || has("end") || has("out") || has("until") || has("to") {
        "2026-07-08"
    } else if has("birth") {
        "1990-01-01"
    } else {
        "2026-07-01"
    }
}

/// A string that matches `pattern`: `candidate` when it does, else one built
/// from the pattern itself. `None` when the pattern cannot be handled.
fn matching(pattern: &str, candidate: &str) -> Option<String> {
    let regex = regex::Regex::new(pattern).ok()?;
    if regex.is_match(candidate) {
        return Some(candidate.to_owned());
    }
    let hir = regex_syntax::parse(pattern).ok()?;
    let mut out = String::new();
    generate(&hir, &mut out);
    regex.is_match(&out).then_some(out)
}

fn generate(hir: &regex_syntax::hir::Hir, out: &mut String) {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => out.push_str(&String::from_utf8_lossy(&literal.0)),
        HirKind::Class(Class::Unicode(class)) => {
            let chars: Vec<char> = class
                .ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .take(256)
                .collect();
            out.push(pick(&chars, out.len()));
        }
        HirKind::Class(Class::Bytes(class)) => {
            let chars: Vec<char> = class
                .ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .filter(u8::is_ascii)
                .map(char::from)
                .collect();
            out.push(pick(&chars, out.len()));
        }
        HirKind::Repetition(rep) => {
            let n = rep.min.max(1).min(rep.max.unwrap_or(u32::MAX));
            for _ in 0..n {
                generate(&rep.sub, out);
            }
        }
        HirKind::Capture(capture) => generate(&capture.sub, out),
        HirKind::Concat(parts) => parts.iter().for_each(|p| generate(p, out)),
        HirKind::Alternation(parts) => {
            if let Some(first) = parts.first() {
                generate(first, out);
            }
        }
    }
}

/// A varied, readable character of a class: letters and digits first.
fn pick(chars: &[char], position: usize) -> char {
    let nice: Vec<char> = chars
        .iter()
        .copied()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let pool = if nice.is_empty() { chars } else { &nice };
    pool.get((position * 7 + 3) % pool.len().max(1))
        .copied()
        .unwrap_or('x')
}

/// The sample start request.
pub fn request(saga: &Saga) -> Value {
    Value::Object(
        saga.request
            .iter()
            .map(|f| (f.name.clone(), value(f)))
            .collect(),
    )
}

/// The saga id of the sample execution (also its name).
pub fn saga_id(saga: &Saga) -> String {
    request(saga)
        .get(&saga.root.id_field)
        .and_then(Value::as_str)
        .map_or_else(|| format!("{}-0001", saga.kebab), str::to_owned)
}

/// The execution input: `{"request": ...}`.
pub fn input(saga: &Saga) -> Value {
    json!({"request": request(saga)})
}

/// A sample entity, fields from the request where names match, `status`
/// (when given) in the entity's status field.
pub fn entity(saga: &Saga, entity: &Entity, status: Option<&str>) -> Value {
    let request = request(saga);
    let mut out = Map::new();
    for field in &entity.fields {
        let from_request = saga
            .request
            .iter()
            .find(|r| r.name == field.name && r.ty == field.ty)
            .and_then(|r| request.get(&r.name).cloned());
        let v = match (field.name.as_str(), status) {
            ("status" | "state", Some(s)) => json!(s),
            _ => from_request.unwrap_or_else(|| value(field)),
        };
        out.insert(field.name.clone(), v);
    }
    Value::Object(out)
}

/// The status word an event announces: `FlightReserved` → `RESERVED`.
fn status_of_event(event: &str) -> String {
    let mut last = String::new();
    for c in event.chars() {
        if c.is_ascii_uppercase() {
            last.clear();
        }
        last.push(c);
    }
    last.to_ascii_uppercase()
}

/// What a step's action returns on success: the entity it writes.
pub fn step_output(saga: &Saga, step: &Step) -> Value {
    let status = step
        .emits
        .as_deref()
        .map_or_else(|| "COMPLETED".to_owned(), status_of_event);
    output(saga, step.writes.as_deref(), &status)
}

/// What a step's compensation returns: the entity, undone.
pub fn compensation_output(saga: &Saga, step: &Step) -> Value {
    let status = step
        .compensation
        .as_ref()
        .and_then(|c| c.emits.as_deref())
        .map_or_else(|| "CANCELLED".to_owned(), status_of_event);
    output(saga, step.writes.as_deref(), &status)
}

fn output(saga: &Saga, writes: Option<&str>, status: &str) -> Value {
    match writes.and_then(|w| saga.entity(w)) {
        Some(e) => entity(saga, e, Some(status)),
        None => json!({}),
    }
}

/// The region of the sample ARNs.
fn region(saga: &Saga) -> &str {
    &saga.deployment.region
}

/// The state machine name the mock configuration and the samples use.
pub fn state_machine_name(saga: &Saga) -> String {
    saga.name.clone()
}

/// The context fields a Lambda task passes
/// ([`sagac_contract::payload::CONTEXT`]) when `state` is entered,
/// `sequence` states after the start.
pub fn context(saga: &Saga, state: &str, sequence: usize) -> Map<String, Value> {
    let id = saga_id(saga);
    let name = state_machine_name(saga);
    let millis = 120 * (sequence + 1);
    let entered = format!(
        "2026-06-01T09:30:{:02}.{:03}Z",
        millis / 1000,
        millis % 1000
    );
    let mut out = Map::new();
    out.insert(
        "Execution".into(),
        json!({
            "Id": format!("arn:aws:states:{}:{ACCOUNT}:execution:{name}:{id}", region(saga)),
            "Name": id,
            "StartTime": START_TIME
        }),
    );
    out.insert(
        "State".into(),
        json!({"Name": state, "EnteredTime": entered, "RetryCount": 0}),
    );
    out.insert(
        "StateMachine".into(),
        json!({
            "Id": format!("arn:aws:states:{}:{ACCOUNT}:stateMachine:{name}", region(saga)),
            "Name": name
        }),
    );
    out
}

/// The payload the state machine sends `state`, the task of `step` (or of
/// its compensation), from the state data `data`: the context fields, the
/// step's `input` (only what it declares), and on compensation paths the
/// `error`, as [`asl::payload_expression`] builds it.
pub fn payload(
    saga: &Saga,
    step: &Step,
    compensation: bool,
    sequence: usize,
    data: &Value,
) -> Value {
    use sagac_contract::payload;
    let state = if compensation {
        step.compensation
            .as_ref()
            .map_or(step.name.as_str(), |c| c.name.as_str())
    } else {
        &step.name
    };
    let mut out = context(saga, state, sequence);
    let mut input = Map::new();
    for field in &step.input.fields {
        if let Some(value) = data["request"].get(field) {
            input.insert(field.clone(), value.clone());
        }
    }
    let mut outputs: Vec<&str> = step.input.results.iter().map(String::as_str).collect();
    if compensation && step.writes.is_some() {
        outputs.push(&step.name);
    }
    for source in outputs {
        if let Some(output) = data.pointer(&format!("/results/{source}/output")) {
            input.insert(crate::naming::results_field(source), output.clone());
        }
    }
    out.insert(payload::INPUT.into(), Value::Object(input));
    if compensation && let Some(error) = data.get("error") {
        out.insert(payload::ERROR.into(), error.clone());
    }
    Value::Object(out)
}

/// A Lambda error's `Cause`: the JSON the Lambda service reports.
pub fn cause(error: &str) -> String {
    let mut message = String::new();
    for (i, c) in error.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !message.ends_with(' ') {
            message.push(' ');
        }
        message.push(c.to_ascii_lowercase());
    }
    json!({"errorType": error, "errorMessage": message}).to_string()
}

/// The happy-path state input of every forward step, with its position in
/// the execution (for `State.EnteredTime`).
pub fn happy_inputs(saga: &Saga) -> Vec<(&Step, usize, Value)> {
    let mut out = Vec::new();
    let mut data = input(saga);
    let mut sequence = 1; // RecordStarted comes first.
    for (index, stage) in saga.stages.iter().enumerate() {
        match stage {
            Stage::Step(step) => {
                out.push((step, sequence, data.clone()));
                sequence += 1;
                record(&mut data, &step.name, step_output(saga, step));
            }
            Stage::Parallel(group) => {
                sequence += 1; // The Parallel state.
                let results = if index == 0 {
                    json!({})
                } else {
                    data["results"].clone()
                };
                let branch_input =
                    json!({"request": data["request"].clone(), "results": results, "failures": {}});
                for step in &group.branches {
                    out.push((step, sequence, branch_input.clone()));
                    sequence += 1;
                }
                let mut merged = branch_input["results"].clone();
                for step in &group.branches {
                    merged[&step.name] = json!({"output": step_output(saga, step)});
                }
                data =
                    json!({"request": data["request"].clone(), "results": merged, "failures": {}});
                sequence += 1; // The join.
            }
        }
    }
    out
}

fn record(data: &mut Value, state: &str, output: Value) {
    if data.get("results").is_none() {
        data["results"] = json!({});
    }
    data["results"][state] = json!({"output": output});
}

/// The state input of a compensation on the path its failure test case
/// takes (see [`super::mock::compensation_trigger`]).
pub fn compensation_input(saga: &Saga, step: &Step) -> (usize, Value) {
    let trigger = super::mock::compensation_trigger(saga, step);
    let inputs = happy_inputs(saga);
    let (_, sequence, data) = inputs
        .iter()
        .find(|(s, _, _)| s.name == trigger.step.name)
        .cloned()
        .unwrap_or((step, 1, input(saga)));
    let error = json!({"Error": trigger.error, "Cause": trigger.cause});
    let in_group = saga.stages.iter().find_map(|stage| match stage {
        Stage::Parallel(g) if g.branches.iter().any(|b| b.name == trigger.step.name) => Some(g),
        _ => None,
    });
    let data = match in_group {
        // The group joined: the results of the branches that completed, the
        // failed branch's error under failures.
        Some(group) => {
            let mut results = data["results"].clone();
            for b in &group.branches {
                if b.name != trigger.step.name {
                    results[&b.name] = json!({"output": step_output(saga, b)});
                }
            }
            json!({"request": data["request"].clone(), "results": results, "failures": {trigger.step.name.clone(): error}})
        }
        None => {
            let mut data = data;
            data["error"] = error;
            data
        }
    };
    (sequence + 2, data)
}

/// `events/<service>/<action>.json` for every action, and the sample input.
pub fn emit(saga: &Saga) -> Vec<OutputFile> {
    let mut files = vec![OutputFile {
        path: INPUT_FILE.into(),
        contents: asl::pretty(&input(saga)),
    }];
    for (step, sequence, data) in happy_inputs(saga) {
        files.push(OutputFile {
            path: format!("events/{}/{}.json", step.service, step.action),
            contents: asl::pretty(&payload(saga, step, false, sequence, &data)),
        });
        if let Some(comp) = &step.compensation {
            let (sequence, data) = compensation_input(saga, step);
            files.push(OutputFile {
                path: format!("events/{}/{}.json", step.service, comp.action),
                contents: asl::pretty(&payload(saga, step, true, sequence, &data)),
            });
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, ty: FieldType, pattern: Option<&str>) -> Field {
        Field {
            pattern: pattern.map(str::to_owned),
            ..Field::new(name, ty)
        }
    }

    #[test]
    fn strings_follow_their_names_and_patterns() {
        assert_eq!(
            value(&field("origin", FieldType::String, Some("^[A-Z]{3}$"))),
            json!("HND")
        );
        let id = value(&field(
            "trip_id",
            FieldType::String,
            Some("^[A-Za-z0-9-]{8,64}$"),
        ));
        assert!(id.as_str().unwrap().starts_with("trip-"), "{id}");
        // A name-based guess that does not match is replaced by one built
        // from the pattern.
        let code = value(&field("hotel_code", FieldType::String, Some("^[0-9]{5}$")));
        assert!(
            regex::Regex::new("^[0-9]{5}$")
                .unwrap()
                .is_match(code.as_str().unwrap()),
            "{code}"
        );
    }

    #[test]
    fn numbers_respect_bounds() {
        let mut seats = field("seats", FieldType::Int, None);
        seats.min = Some(3.0);
        assert_eq!(value(&seats), json!(3));
        let mut amount = field("amount", FieldType::Decimal, None);
        amount.max = Some(100.0);
        assert_eq!(value(&amount), json!("100.00"));
    }

    #[test]
    fn events_name_their_status() {
        assert_eq!(status_of_event("FlightReserved"), "RESERVED");
        assert_eq!(
            cause("NoSeatsAvailable"),
            r#"{"errorType":"NoSeatsAvailable","errorMessage":"no seats available"}"#
        );
    }
}
