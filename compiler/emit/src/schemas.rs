//! `schema/`: JSON Schemas of the API's start request and of each step's
//! payload, for clients, tests and editors.
//!
//! - `schema/start-request.json` — JSON Schema draft 4 (what API Gateway
//!   models accept; the template's request model is the same schema without
//!   `examples`), with the build's sample request as its example (the
//!   spec's `example:` values, kept only when the request validates against
//!   the schema). Every textual field carries a `maxLength` derived from the
//!   limits its value meets ([`crate::bounds`]), every int the `i64` range.
//! - `schema/steps/<State>.json` — draft 7: what the Lambda behind each
//!   Task state receives, the Step Functions context object merged with the
//!   state input (`request`, the `results` of completed steps, and on
//!   compensation paths the `error` that triggered them).
//! - `schema/entities/<Entity>.json` — draft 7: each entity, which is also
//!   what a step writing it returns.

use serde_json::{Map, Value, json};

use super::OutputFile;
use crate::ir::{Field, FieldType, Saga, Stage};

const DRAFT4: &str = "http://json-schema.org/draft-04/schema#";
const DRAFT7: &str = "http://json-schema.org/draft-07/schema#";

/// Every file under `schema/`.
pub fn emit(saga: &Saga) -> Vec<OutputFile> {
    let mut out = vec![file(
        "schema/start-request.json",
        &start_request(saga, true),
    )];
    for entity in &saga.entities {
        let mut schema = object(&entity.fields, Draft::Seven, true);
        if let Some(map) = schema.as_object_mut() {
            map.insert("$schema".into(), Value::from(DRAFT7));
            map.insert("title".into(), Value::from(entity.name.as_str()));
            map.insert(
                "description".into(),
                Value::from(format!(
                    "The {} entity of the {} saga (PK `{}`, SK `{}`); what a step writing it returns.",
                    entity.name, saga.name, entity.pk, entity.sk
                )),
            );
            reorder_meta(map);
        }
        out.push(file(
            &format!("schema/entities/{}.json", entity.name),
            &schema,
        ));
    }
    for (stage_index, stage) in saga.stages.iter().enumerate() {
        for step in stage.steps() {
            let before: Vec<&str> = completed(saga, stage_index, false);
            out.push(file(
                &format!("schema/steps/{}.json", step.name),
                &payload(
                    saga,
                    &step.name,
                    &step.action,
                    &step.service,
                    &before,
                    false,
                ),
            ));
            if let Some(compensation) = &step.compensation {
                let before = completed(saga, stage_index, true);
                out.push(file(
                    &format!("schema/steps/{}.json", compensation.name),
                    &payload(
                        saga,
                        &compensation.name,
                        &compensation.action,
                        &step.service,
                        &before,
                        true,
                    ),
                ));
            }
        }
    }
    out
}

fn file(path: &str, value: &Value) -> OutputFile {
    let mut contents = serde_json::to_string_pretty(value).unwrap_or_default();
    contents.push('\n');
    OutputFile {
        path: path.into(),
        contents,
    }
}

/// The forward steps whose results may be present: every step of earlier
/// stages, and with `including` the steps of this stage as well.
fn completed(saga: &Saga, stage_index: usize, including: bool) -> Vec<&str> {
    saga.stages
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < stage_index || (including && *i == stage_index))
        .flat_map(|(_, s): (usize, &Stage)| s.steps().iter().map(|step| step.name.as_str()))
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Draft {
    Four,
    Seven,
}

fn field_schema(field: &Field, draft: Draft) -> Value {
    let mut s = Map::new();
    match field.ty {
        FieldType::String => {
            s.insert("type".into(), Value::from("string"));
        }
        FieldType::Int => {
            s.insert("type".into(), Value::from("integer"));
        }
        FieldType::Decimal => {
            // Exact decimals travel as numbers or as numeric strings.
            s.insert("type".into(), json!(["number", "string"]));
            s.insert("pattern".into(), Value::from("^-?[0-9]+(\\.[0-9]+)?$"));
        }
        FieldType::Bool => {
            s.insert("type".into(), Value::from("boolean"));
        }
        FieldType::Date => {
            s.insert("type".into(), Value::from("string"));
            s.insert(
                "pattern".into(),
                Value::from("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
            );
            if draft == Draft::Seven {
                s.insert("format".into(), Value::from("date"));
            }
        }
        FieldType::Timestamp => {
            s.insert("type".into(), Value::from("string"));
            s.insert("format".into(), Value::from("date-time"));
        }
    }
    if let Some(pattern) = &field.pattern {
        s.insert("pattern".into(), Value::from(pattern.as_str()));
    }
    if let Some(max) = field.max_length
        && crate::bounds::is_textual(field.ty)
    {
        // Counted in characters; for a decimal it bounds its string form.
        s.insert("maxLength".into(), Value::from(max));
    }
    if let Some(min) = field.min {
        s.insert("minimum".into(), number(min));
    } else if field.ty == FieldType::Int {
        // The generated Rust reads an `i64`: a larger number would pass the
        // API and fail in the handler.
        s.insert("minimum".into(), Value::from(i64::MIN));
    }
    if let Some(max) = field.max {
        s.insert("maximum".into(), number(max));
    } else if field.ty == FieldType::Int {
        s.insert("maximum".into(), Value::from(i64::MAX));
    }
    if !field.one_of.is_empty()
        && matches!(
            field.ty,
            FieldType::String | FieldType::Date | FieldType::Timestamp
        )
    {
        s.insert("enum".into(), Value::from(field.one_of.clone()));
    }
    if let Some(d) = &field.description {
        s.insert("description".into(), Value::from(d.as_str()));
    }
    Value::Object(s)
}

/// Integral floats as integers (`1`, not `1.0`), for readable schemas.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

fn object(fields: &[Field], draft: Draft, open: bool) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.clone(), field_schema(f, draft)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| !f.optional)
        .map(|f| f.name.as_str())
        .collect();
    let mut s = Map::new();
    s.insert("type".into(), Value::from("object"));
    s.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        s.insert("required".into(), Value::from(required));
    }
    s.insert("additionalProperties".into(), Value::from(open));
    Value::Object(s)
}

/// Puts `$schema`, `title`, `description` first.
fn reorder_meta(map: &mut Map<String, Value>) {
    let mut out = Map::new();
    for key in ["$schema", "title", "description"] {
        if let Some(v) = map.remove(key) {
            out.insert(key.into(), v);
        }
    }
    out.append(map);
    *map = out;
}

/// The start request schema (draft 4). `with_examples` adds one example
/// request, present only when it validates against the schema.
pub fn start_request(saga: &Saga, with_examples: bool) -> Value {
    let mut schema = object(&saga.request, Draft::Four, false);
    if let Some(map) = schema.as_object_mut() {
        map.insert("$schema".into(), Value::from(DRAFT4));
        map.insert(
            "title".into(),
            Value::from(format!("{}StartRequest", saga.name)),
        );
        map.insert(
            "description".into(),
            Value::from(format!(
                "Starts a {} saga; `{}` is the saga id and the execution name.",
                saga.name, saga.root.id_field
            )),
        );
        reorder_meta(map);
    }
    if with_examples
        && let Some(example) = example(saga, &schema)
        && let Some(map) = schema.as_object_mut()
    {
        map.insert("examples".into(), json!([example]));
    }
    schema
}

/// The example request: the build's sample request (`sample-input.json`),
/// kept only when it validates against the schema.
fn example(saga: &Saga, schema: &Value) -> Option<Value> {
    let instance = super::sample::request(saga);
    let validator = jsonschema::draft4::new(schema).ok()?;
    validator.is_valid(&instance).then_some(instance)
}

fn context_object(state: &str) -> Value {
    json!({
        "Execution": {
            "type": "object",
            "description": "The execution: its name is the saga id.",
            "properties": {
                "Id": { "type": "string" },
                "Name": { "type": "string" },
                "StartTime": { "type": "string" },
                "RoleArn": { "type": "string" },
            },
            "required": ["Id", "Name"],
        },
        "State": {
            "type": "object",
            "description": "The Task state: its name selects the action, and with the execution name forms the idempotency key.",
            "properties": {
                "Name": { "const": state },
                "EnteredTime": { "type": "string" },
                "RetryCount": { "type": "integer", "minimum": 0 },
            },
            "required": ["Name"],
        },
        "StateMachine": {
            "type": "object",
            "properties": { "Id": { "type": "string" }, "Name": { "type": "string" } },
        },
    })
}

fn payload(
    saga: &Saga,
    state: &str,
    action: &str,
    service: &str,
    results: &[&str],
    compensation: bool,
) -> Value {
    let mut definitions = Map::new();
    let mut result_properties = Map::new();
    for name in results {
        let Some(step) = saga.steps().find(|s| s.name == *name) else {
            continue;
        };
        let output = match step.writes.as_deref().and_then(|w| saga.entity(w)) {
            Some(entity) => {
                if !definitions.contains_key(&entity.name) {
                    definitions.insert(
                        entity.name.clone(),
                        object(&entity.fields, Draft::Seven, true),
                    );
                }
                json!({ "$ref": format!("#/definitions/{}", entity.name) })
            }
            None => json!({}),
        };
        result_properties.insert(
            step.name.clone(),
            json!({ "type": "object", "properties": { "output": output } }),
        );
    }
    let mut request = start_request(saga, false);
    if let Some(map) = request.as_object_mut() {
        map.remove("$schema");
        map.remove("title");
    }
    let mut properties = match context_object(state) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    properties.insert("request".into(), request);
    properties.insert(
        "results".into(),
        json!({
            "type": "object",
            "description": "Outputs of the steps completed so far, by state name (`results.<State>.output`).",
            "properties": result_properties,
        }),
    );
    let mut required = vec!["Execution", "State", "request"];
    if compensation {
        properties.insert(
            "error".into(),
            json!({
                "type": "object",
                "description": "The failure that started the compensation.",
                "properties": { "Error": { "type": "string" }, "Cause": { "type": "string" } },
            }),
        );
    } else {
        required.push("results");
    }
    let mut schema = Map::new();
    schema.insert("$schema".into(), Value::from(DRAFT7));
    schema.insert("title".into(), Value::from(format!("{state} payload")));
    schema.insert(
        "description".into(),
        Value::from(format!(
            "What the {service} service's `{action}` {} receives from the {state} state: the Step Functions context object merged with the state input.",
            if compensation { "compensation" } else { "action" }
        )),
    );
    schema.insert("type".into(), Value::from("object"));
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), Value::from(required));
    if !definitions.is_empty() {
        schema.insert("definitions".into(), Value::Object(definitions));
    }
    Value::Object(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_example_validates() {
        let text = include_str!("../../../spec/trip.saga.yaml");
        let saga = sagac_front::compile(&sagac_front::source::SourceFile::new(
            "trip",
            text.to_owned(),
        ))
        .expect("trip compiles");
        let schema = start_request(&saga, true);
        assert_eq!(schema["examples"][0], super::super::sample::request(&saga));
    }
}
