//! Conversions between JSON values and DynamoDB attribute values.
//!
//! Generated entity structs go through serde, so the repository speaks
//! `serde_json::Value` and converts at the edge. Two encodings exist: the
//! SDK's [`AttributeValue`] (requests and responses) and DynamoDB JSON
//! (`{"S": "..."}`, as found in stream records delivered to Lambda).
//!
//! Mapping: strings ↔ `S`, numbers ↔ `N`, booleans ↔ `BOOL`, null ↔ `NULL`,
//! objects ↔ `M`, arrays ↔ `L`. String and number sets (`SS`, `NS`) read as
//! arrays; binary values are refused, since no sagac entity field maps to
//! them. Numbers read back as `i64`, `u64` or `f64`, in that order of
//! preference; DynamoDB's 38-digit decimals beyond `f64` lose precision, so
//! money should be stored in minor units or as strings.

#[cfg(feature = "aws")]
use std::collections::HashMap;

#[cfg(feature = "aws")]
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Number, Value};

/// A DynamoDB item as JSON: attribute name to value, keys included.
pub type Item = Map<String, Value>;

/// A value that cannot be represented on the other side of the conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeError {
    /// The attribute path where conversion failed, e.g. `payload.amount`.
    pub path: String,
    /// What was wrong.
    pub reason: String,
}

impl std::fmt::Display for AttributeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "attribute `{}`: {}", self.path, self.reason)
        }
    }
}

impl std::error::Error for AttributeError {}

fn error(path: &str, reason: impl Into<String>) -> AttributeError {
    AttributeError {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

#[cfg(feature = "aws")]
/// Converts a JSON value into an SDK attribute value. Total: every JSON value
/// has a DynamoDB representation.
pub fn to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_attribute).collect()),
        Value::Object(map) => AttributeValue::M(to_attributes(map)),
    }
}

#[cfg(feature = "aws")]
/// Converts a JSON item into the SDK's attribute map.
pub fn to_attributes(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter()
        .map(|(k, v)| (k.clone(), to_attribute(v)))
        .collect()
}

#[cfg(feature = "aws")]
/// Converts an SDK attribute value into JSON.
pub fn from_attribute(value: &AttributeValue) -> Result<Value, AttributeError> {
    from_attribute_at("", value)
}

#[cfg(feature = "aws")]
fn from_attribute_at(path: &str, value: &AttributeValue) -> Result<Value, AttributeError> {
    Ok(match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => Value::Number(parse_number(path, n)?),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::M(map) => Value::Object(from_attributes_at(path, map)?),
        AttributeValue::L(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| from_attribute_at(&child(path, &i.to_string()), v))
                .collect::<Result<_, _>>()?,
        ),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::Ns(items) => Value::Array(
            items
                .iter()
                .map(|n| parse_number(path, n).map(Value::Number))
                .collect::<Result<_, _>>()?,
        ),
        AttributeValue::B(_) | AttributeValue::Bs(_) => {
            return Err(error(path, "binary attributes are not supported"));
        }
        _ => return Err(error(path, "unknown attribute type")),
    })
}

#[cfg(feature = "aws")]
/// Converts the SDK's attribute map into a JSON item.
pub fn from_attributes(map: &HashMap<String, AttributeValue>) -> Result<Item, AttributeError> {
    from_attributes_at("", map)
}

#[cfg(feature = "aws")]
fn from_attributes_at(
    path: &str,
    map: &HashMap<String, AttributeValue>,
) -> Result<Item, AttributeError> {
    // Sorted so that items read back have a stable attribute order.
    let mut names: Vec<&String> = map.keys().collect();
    names.sort();
    let mut out = Map::new();
    for name in names {
        if let Some(v) = map.get(name) {
            out.insert(name.clone(), from_attribute_at(&child(path, name), v)?);
        }
    }
    Ok(out)
}

fn parse_number(path: &str, text: &str) -> Result<Number, AttributeError> {
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Number::from(i));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Ok(Number::from(u));
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| error(path, format!("`{text}` is not a number")))
}

/// Decodes a value in DynamoDB JSON (`{"S": "x"}`, `{"M": {...}}`), the
/// encoding of `NewImage` / `OldImage` / `Keys` in stream records.
pub fn from_dynamodb_json(value: &Value) -> Result<Value, AttributeError> {
    from_dynamodb_json_at("", value)
}

/// Decodes a whole image (attribute name → DynamoDB JSON value) into an item.
pub fn item_from_dynamodb_json(image: &Map<String, Value>) -> Result<Item, AttributeError> {
    image
        .iter()
        .map(|(k, v)| Ok((k.clone(), from_dynamodb_json_at(k, v)?)))
        .collect()
}

fn from_dynamodb_json_at(path: &str, value: &Value) -> Result<Value, AttributeError> {
    let Some(map) = value.as_object().filter(|m| m.len() == 1) else {
        return Err(error(path, "expected an object with exactly one type tag"));
    };
    let Some((tag, inner)) = map.iter().next() else {
        return Err(error(path, "empty attribute value"));
    };
    let as_str = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| error(path, format!("`{tag}` must hold a string")))
    };
    Ok(match tag.as_str() {
        "S" => Value::String(as_str(inner)?),
        "N" => Value::Number(parse_number(path, &as_str(inner)?)?),
        "BOOL" => Value::Bool(
            inner
                .as_bool()
                .ok_or_else(|| error(path, "`BOOL` must hold a boolean"))?,
        ),
        "NULL" => Value::Null,
        "M" => {
            let m = inner
                .as_object()
                .ok_or_else(|| error(path, "`M` must hold an object"))?;
            Value::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), from_dynamodb_json_at(&child(path, k), v)?)))
                    .collect::<Result<_, AttributeError>>()?,
            )
        }
        "L" => {
            let l = inner
                .as_array()
                .ok_or_else(|| error(path, "`L` must hold an array"))?;
            Value::Array(
                l.iter()
                    .enumerate()
                    .map(|(i, v)| from_dynamodb_json_at(&child(path, &i.to_string()), v))
                    .collect::<Result<_, _>>()?,
            )
        }
        "SS" | "NS" => {
            let l = inner
                .as_array()
                .ok_or_else(|| error(path, format!("`{tag}` must hold an array")))?;
            Value::Array(
                l.iter()
                    .map(|v| {
                        let s = as_str(v)?;
                        if tag == "NS" {
                            parse_number(path, &s).map(Value::Number)
                        } else {
                            Ok(Value::String(s))
                        }
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        "B" | "BS" => return Err(error(path, "binary attributes are not supported")),
        other => return Err(error(path, format!("unknown attribute type `{other}`"))),
    })
}

/// Encodes a JSON value as DynamoDB JSON (the inverse of
/// [`from_dynamodb_json`] for values without sets).
pub fn to_dynamodb_json(value: &Value) -> Value {
    let (tag, inner) = match value {
        Value::Null => ("NULL", Value::Bool(true)),
        Value::Bool(b) => ("BOOL", Value::Bool(*b)),
        Value::Number(n) => ("N", Value::String(n.to_string())),
        Value::String(s) => ("S", Value::String(s.clone())),
        Value::Array(items) => (
            "L",
            Value::Array(items.iter().map(to_dynamodb_json).collect()),
        ),
        Value::Object(map) => ("M", Value::Object(item_to_dynamodb_json(map))),
    };
    let mut out = Map::new();
    out.insert(tag.to_owned(), inner);
    Value::Object(out)
}

/// Encodes a whole item as a DynamoDB JSON image.
pub fn item_to_dynamodb_json(item: &Item) -> Map<String, Value> {
    item.iter()
        .map(|(k, v)| (k.clone(), to_dynamodb_json(v)))
        .collect()
}

/// Serializes a typed entity into an item (its fields as attributes).
/// Fails when the entity does not serialize to a JSON object.
pub fn to_item<T: Serialize>(entity: &T) -> Result<Item, AttributeError> {
    match serde_json::to_value(entity) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(error(
            "",
            format!("an entity must serialize to an object, not {other}"),
        )),
        Err(e) => Err(error("", e.to_string())),
    }
}

/// Deserializes an item into a typed entity; unknown attributes (keys,
/// version, TTL) are ignored unless the type denies them.
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, AttributeError> {
    let value = Value::Object(item);
    serde_path_to_error::deserialize(&value)
        .map_err(|e| error(&e.path().to_string(), e.inner().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "s": "x", "empty": "", "i": -42, "u": 18_446_744_073_709_551_615_u64,
            "f": 12.5, "t": true, "n": null,
            "m": {"nested": [1, "two", {"three": false}]}, "l": []
        })
    }

    #[cfg(feature = "aws")]
    #[test]
    fn sdk_round_trip_preserves_values() {
        let v = sample();
        assert_eq!(from_attribute(&to_attribute(&v)), Ok(v));
    }

    #[test]
    fn dynamodb_json_round_trip_preserves_values() {
        let v = sample();
        assert_eq!(from_dynamodb_json(&to_dynamodb_json(&v)), Ok(v));
    }

    #[cfg(feature = "aws")]
    #[test]
    fn numbers_are_n_strings() {
        assert_eq!(to_attribute(&json!(7)), AttributeValue::N("7".into()));
        assert_eq!(to_dynamodb_json(&json!(1.5)), json!({"N": "1.5"}));
    }

    #[test]
    fn sets_read_as_arrays() {
        let v = json!({"SS": ["a", "b"]});
        assert_eq!(from_dynamodb_json(&v), Ok(json!(["a", "b"])));
        let v = json!({"NS": ["1", "2.5"]});
        assert_eq!(from_dynamodb_json(&v), Ok(json!([1, 2.5])));
    }

    #[test]
    fn malformed_dynamodb_json_names_the_path() {
        let v = json!({"M": {"seats": {"N": "many"}}});
        let e = from_dynamodb_json(&v).unwrap_err();
        assert_eq!(e.path, "seats");
        assert!(e.reason.contains("many"));
        assert!(from_dynamodb_json(&json!({"S": "a", "N": "1"})).is_err());
        assert!(from_dynamodb_json(&json!({"B": "AAAA"})).is_err());
        assert!(from_dynamodb_json(&json!({"X": 1})).is_err());
    }

    #[test]
    fn typed_round_trip_through_items() {
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Flight {
            flight_id: String,
            seats: u32,
        }
        let f = Flight {
            flight_id: "F1".into(),
            seats: 2,
        };
        let mut item = to_item(&f).unwrap();
        item.insert("PK".into(), json!("TRIP#1"));
        assert_eq!(from_item::<Flight>(item).unwrap(), f);
        let bad: Item = json!({"flight_id": "F1", "seats": "two"})
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(from_item::<Flight>(bad).unwrap_err().path, "seats");
        assert!(to_item(&3).is_err());
    }
}
