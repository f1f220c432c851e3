//! Conversions between JSON values and DynamoDB attribute values.
//!
//! Generated entity structs go through serde, so the repository speaks
//! `serde_json::Value` and converts at the edge, with `serde_dynamo`. Two
//! encodings exist: the SDK's `AttributeValue` (requests and responses,
//! under the `aws` feature) and DynamoDB JSON (`{"S": "..."}`, as found in
//! stream records delivered to Lambda and in the DynamoDB API served
//! locally over the memory store).
//!
//! Mapping: strings ↔ `S`, numbers ↔ `N`, booleans ↔ `BOOL`, null ↔ `NULL`,
//! objects ↔ `M`, arrays ↔ `L`. String and number sets (`SS`, `NS`) read as
//! arrays; binary values are refused, since no sagac entity field maps to
//! them. Numbers read back as `i64`, `u64` or `f64`, in that order of
//! preference; DynamoDB's 38-digit decimals beyond `f64` lose precision, so
//! money should be stored in minor units or as strings. Maps read back with
//! their attributes sorted by name, so an item read twice reads the same.

#[cfg(feature = "aws")]
use std::collections::HashMap;

#[cfg(feature = "aws")]
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

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

/// The path of a `serde_path_to_error` error as this module writes paths
/// (`a.b.0`; the top level is the empty path).
fn path_error<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> AttributeError {
    use serde_path_to_error::Segment;
    let segments: Vec<String> = e
        .path()
        .iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect();
    error(&segments.join("."), e.inner().to_string())
}

/// Encodes JSON with serde_dynamo: total, since every JSON value has a
/// DynamoDB representation.
fn encode<A: From<serde_dynamo::AttributeValue>>(value: &Value) -> A {
    serde_dynamo::to_attribute_value(value)
        .unwrap_or_else(|e| unreachable!("every JSON value is an attribute value: {e}"))
}

/// Decodes one attribute value into JSON, naming the path at fault.
fn decode(value: serde_dynamo::AttributeValue) -> Result<Value, AttributeError> {
    finite(&value)?;
    let mut value: Value =
        serde_path_to_error::deserialize(serde_dynamo::Deserializer::from_attribute_value(value))
            .map_err(|e| path_error(&e))?;
    value.sort_all_objects();
    Ok(value)
}

/// Refuses `N` values Rust reads as floats but JSON has no number for
/// (`NaN`, `inf`), which DynamoDB itself never stores: serde_json would
/// read them as `null`.
fn finite(value: &serde_dynamo::AttributeValue) -> Result<(), AttributeError> {
    use serde_dynamo::AttributeValue as A;
    let number = |n: &String| match n.parse::<f64>() {
        Ok(f) if !f.is_finite() => Err(error("", format!("`{n}` is not a number"))),
        _ => Ok(()),
    };
    match value {
        A::N(n) => number(n),
        A::Ns(ns) => ns.iter().try_for_each(number),
        A::M(map) => map
            .iter()
            .try_for_each(|(name, v)| finite(v).map_err(|e| within(name, e))),
        A::L(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| finite(v).map_err(|e| within(&i.to_string(), e))),
        _ => Ok(()),
    }
}

#[cfg(feature = "aws")]
/// Converts a JSON value into an SDK attribute value. Total: every JSON value
/// has a DynamoDB representation.
pub fn to_attribute(value: &Value) -> AttributeValue {
    encode(value)
}

#[cfg(feature = "aws")]
/// Converts a JSON item into the SDK's attribute map.
pub fn to_attributes(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter().map(|(k, v)| (k.clone(), encode(v))).collect()
}

#[cfg(feature = "aws")]
/// Converts an SDK attribute value into JSON.
pub fn from_attribute(value: &AttributeValue) -> Result<Value, AttributeError> {
    known(value)?;
    decode(value.clone().into())
}

#[cfg(feature = "aws")]
/// Converts the SDK's attribute map into a JSON item.
pub fn from_attributes(map: &HashMap<String, AttributeValue>) -> Result<Item, AttributeError> {
    let mut names: Vec<&String> = map.keys().collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let value = from_attribute(&map[name]).map_err(|e| within(name, e))?;
            Ok((name.clone(), value))
        })
        .collect()
}

#[cfg(feature = "aws")]
/// Refuses an attribute type this SDK version does not know (a newer
/// DynamoDB's), which serde_dynamo cannot convert.
fn known(value: &AttributeValue) -> Result<(), AttributeError> {
    match value {
        AttributeValue::M(map) => map
            .iter()
            .try_for_each(|(name, v)| known(v).map_err(|e| within(name, e))),
        AttributeValue::L(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| known(v).map_err(|e| within(&i.to_string(), e))),
        _ if value.is_unknown() => Err(error("", "unknown attribute type")),
        _ => Ok(()),
    }
}

/// The error of a value found under attribute `name`.
fn within(name: &str, mut e: AttributeError) -> AttributeError {
    e.path = if e.path.is_empty() {
        name.to_owned()
    } else {
        format!("{name}.{}", e.path)
    };
    e
}

/// Decodes a value in DynamoDB JSON (`{"S": "x"}`, `{"M": {...}}`), the
/// encoding of `NewImage` / `OldImage` / `Keys` in stream records.
pub fn from_dynamodb_json(value: &Value) -> Result<Value, AttributeError> {
    let value: serde_dynamo::AttributeValue =
        serde_path_to_error::deserialize(value).map_err(|e| path_error(&e))?;
    decode(value)
}

/// Decodes a whole image (attribute name → DynamoDB JSON value) into an item.
pub fn item_from_dynamodb_json(image: &Map<String, Value>) -> Result<Item, AttributeError> {
    image
        .iter()
        .map(|(k, v)| Ok((k.clone(), from_dynamodb_json(v).map_err(|e| within(k, e))?)))
        .collect()
}

/// Decodes an image as `aws_lambda_events` delivers it into an item.
pub fn item_from_dynamo(image: serde_dynamo::Item) -> Result<Item, AttributeError> {
    let mut names: Vec<(String, serde_dynamo::AttributeValue)> =
        image.into_inner().into_iter().collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    names
        .into_iter()
        .map(|(name, value)| {
            let value = decode(value).map_err(|e| within(&name, e))?;
            Ok((name, value))
        })
        .collect()
}

/// Encodes a JSON value as DynamoDB JSON (the inverse of
/// [`from_dynamodb_json`] for values without sets).
pub fn to_dynamodb_json(value: &Value) -> Value {
    let mut json = serde_json::to_value(encode::<serde_dynamo::AttributeValue>(value))
        .unwrap_or_else(|e| unreachable!("an attribute value is JSON: {e}"));
    json.sort_all_objects();
    json
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
    fn numbers_json_cannot_hold_are_refused_with_their_path() {
        let e = from_dynamodb_json(&json!({"M": {"fare": {"L": [{"N": "NaN"}]}}})).unwrap_err();
        assert_eq!(e.path, "fare.0");
        assert!(e.reason.contains("NaN"), "{e}");
        assert!(from_dynamodb_json(&json!({"NS": ["1", "inf"]})).is_err());
        let image = json!({"ok": {"N": "1"}, "bad": {"L": [{"S": "x"}, {"N": "x"}]}});
        let e = item_from_dynamodb_json(image.as_object().unwrap()).unwrap_err();
        assert_eq!(e.path, "bad.1");
    }

    #[test]
    fn maps_read_back_sorted() {
        let v = from_dynamodb_json(
            &json!({"M": {"b": {"N": "1"}, "a": {"M": {"z": {"S": "z"}, "y": {"BOOL": true}}}}}),
        )
        .unwrap();
        assert_eq!(v.to_string(), r#"{"a":{"y":true,"z":"z"},"b":1}"#);
    }

    #[cfg(feature = "aws")]
    #[test]
    fn sdk_values_name_the_path_at_fault() {
        let mut map = HashMap::new();
        map.insert(
            "holds".to_owned(),
            AttributeValue::M(HashMap::from([(
                "trip-1".to_owned(),
                AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new("x")),
            )])),
        );
        let e = from_attributes(&map).unwrap_err();
        assert_eq!(e.path, "holds.trip-1");
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
