//! The API's request model bounds every value by the limits it meets later
//! (see `sagac_core::bounds`), checked with a real JSON Schema validator in
//! draft 4, the dialect API Gateway validates models in:
//!
//! - on the committed `generated/trip-booking/schema/start-request.json`
//!   (the template's request model is the same schema without `examples`):
//!   the sample request passes, a 3,000-character `customer_id` does not,
//!   and at the bound non-ASCII text still fits the key in bytes;
//! - on every spec in `spec/` and `spec/examples/`: every textual request
//!   field has a `maxLength`, and the longest values the model accepts, in
//!   the worst case of bytes, fit every key template built from request
//!   fields only, and the 256 KiB of a Step Functions payload.

use std::fs;
use std::path::{Path, PathBuf};

use sagac_core::bounds::{PARTITION_KEY_BYTES, SORT_KEY_BYTES};
use sagac_core::emit::schemas;
use sagac_core::ir::{KeyPart, KeyTemplate, Saga};
use sagac_core::source::SourceFile;
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_json(path: &str) -> Value {
    let path = root().join(path);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft4::new(schema).expect("a draft 4 schema")
}

fn with(mut request: Value, field: &str, value: Value) -> Value {
    request[field] = value;
    request
}

#[test]
fn the_reference_model_refuses_what_would_break_mid_saga() {
    let schema = read_json("generated/trip-booking/schema/start-request.json");
    let model = validator(&schema);
    let sample = read_json("generated/trip-booking/sample-input.json")["request"].clone();
    assert!(model.is_valid(&sample), "the sample request is valid");

    // What used to get a 202 and then fail RecordStarted on DynamoDB's
    // 2,048-byte partition key (`GSI1PK` = `CUSTOMER#{customer_id}`).
    let long = with(sample.clone(), "customer_id", json!("c".repeat(3000)));
    assert!(!model.is_valid(&long), "a 3,000-character customer_id");

    // At the bound, in 4-byte characters, the key still fits in bytes.
    let max = schema["properties"]["customer_id"]["maxLength"]
        .as_u64()
        .expect("customer_id has a maxLength") as usize;
    let widest = "😀".repeat(max);
    assert!(model.is_valid(&with(sample.clone(), "customer_id", json!(widest))));
    assert!("CUSTOMER#".len() + widest.len() <= PARTITION_KEY_BYTES as usize);
    let over = "😀".repeat(max + 1);
    assert!(!model.is_valid(&with(sample.clone(), "customer_id", json!(over))));
    // ASCII at the bound passes too (the bound is in characters).
    assert!(model.is_valid(&with(sample.clone(), "customer_id", json!("c".repeat(max)))));

    // Other values that reach keys or payloads, and the saga id.
    for (field, value) in [
        ("flight_number", json!("F".repeat(3000))),
        ("hotel_code", json!("ホ".repeat(600))),
        ("card_token", json!("t".repeat(300_000))),
        ("amount", json!("1".repeat(5000))),
        ("trip_id", json!("t".repeat(81))),
    ] {
        assert!(
            !model.is_valid(&with(sample.clone(), field, value)),
            "{field} over its bound"
        );
    }
}

fn compile(path: &Path) -> Saga {
    let text = fs::read_to_string(path).unwrap();
    sagac_core::compile(&SourceFile::new(path.display().to_string(), text))
        .unwrap_or_else(|_| panic!("{} compiles", path.display()))
}

fn specs() -> Vec<PathBuf> {
    let mut out = vec![root().join("spec/trip.saga.yaml")];
    for entry in fs::read_dir(root().join("spec/examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".saga.yaml") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The most UTF-8 bytes a request field's value can have under the model:
/// 4 a character, 1 when its anchored pattern or enum is ASCII only.
fn worst_bytes(property: &Value) -> Option<u64> {
    let chars = property.get("maxLength")?.as_u64()?;
    let ascii = property["pattern"]
        .as_str()
        .and_then(sagac_core::bounds::pattern_whole)
        .is_some_and(|(_, ascii)| ascii)
        || property["enum"]
            .as_array()
            .is_some_and(|values| values.iter().all(|v| v.as_str().is_some_and(str::is_ascii)));
    Some(chars * if ascii { 1 } else { 4 })
}

/// The most bytes `template` can reach when it is built from request fields
/// only; `None` when it uses a field the request does not carry.
fn template_bytes(template: &KeyTemplate, properties: &Value) -> Option<u64> {
    let mut total = 0;
    for part in &template.parts {
        total += match part {
            KeyPart::Literal(l) => l.len() as u64,
            KeyPart::Field(f) => {
                let property = properties.get(f)?;
                match property["type"].as_str() {
                    Some("integer") => 20,
                    _ => worst_bytes(property)?,
                }
            }
        };
    }
    Some(total)
}

#[test]
fn every_spec_bounds_its_request_within_the_limits() {
    for path in specs() {
        let saga = compile(&path);
        let schema = schemas::start_request(&saga, true);
        let properties = &schema["properties"];
        let name = path.display();
        // Every textual field is bounded.
        for (field, property) in properties.as_object().unwrap() {
            let textual = property["type"] == json!("string")
                || property["type"] == json!(["number", "string"]);
            assert!(
                !textual || property.get("maxLength").is_some(),
                "{name}: {field} has no maxLength"
            );
        }
        // The example passes the model (the sample is the spec's examples).
        assert!(
            schema.get("examples").is_some(),
            "{name}: the sample request passes the model"
        );
        // Keys built from request fields only fit DynamoDB's limits even
        // when every character takes 4 bytes.
        for entity in &saga.entities {
            let mut keys = vec![
                (&entity.pk, PARTITION_KEY_BYTES),
                (&entity.sk, SORT_KEY_BYTES),
            ];
            for index in &entity.indexes {
                keys.push((&index.pk, PARTITION_KEY_BYTES));
                if let Some(sk) = &index.sk {
                    keys.push((sk, SORT_KEY_BYTES));
                }
            }
            for (template, limit) in keys {
                if let Some(bytes) = template_bytes(template, properties) {
                    assert!(
                        bytes <= u64::from(limit),
                        "{name}: {} `{template}` can reach {bytes} bytes",
                        entity.name
                    );
                }
            }
        }
        // The whole request, as JSON text at 6 bytes a character, fits a
        // state carrying it once per step result and once more.
        let json: u64 = properties
            .as_object()
            .unwrap()
            .iter()
            .map(|(field, p)| {
                field.len() as u64
                    + 6
                    + p.get("maxLength").and_then(Value::as_u64).unwrap_or(20) * 6
            })
            .sum();
        let writes = saga.steps().filter(|s| s.writes.is_some()).count() as u64;
        assert!(
            json * (1 + 2 * writes) <= 256 * 1024,
            "{name}: the request can be {json} bytes of JSON"
        );
    }
}
