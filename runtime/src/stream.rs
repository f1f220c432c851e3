//! DynamoDB stream events as Lambda receives them, and the partial batch
//! response.
//!
//! Only the fields the dispatcher and projector read are modelled, by hand
//! over `serde_json::Value`, instead of pulling `aws_lambda_events` (a large
//! crate of every event type) into every binary. Each record is decoded on
//! its own, so one malformed record is reported by itself and does not fail
//! the batch.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::attribute::{Item, item_from_dynamodb_json, item_to_dynamodb_json};
use crate::store::ChangeRecord;

/// What happened to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    /// A new item.
    Insert,
    /// An item changed.
    Modify,
    /// An item was deleted (also by TTL).
    Remove,
}

/// One decoded stream record.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// INSERT, MODIFY or REMOVE.
    pub event_name: EventName,
    /// `dynamodb.SequenceNumber`: the batch item identifier.
    pub sequence_number: String,
    /// `dynamodb.NewImage`, decoded.
    pub new_image: Option<Item>,
    /// `dynamodb.OldImage`, decoded.
    pub old_image: Option<Item>,
}

/// A record that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// Its sequence number, if that much could be read (only then can it be
    /// reported in the batch response).
    pub sequence_number: Option<String>,
    /// What was wrong.
    pub reason: String,
}

/// Decodes the `Records` of a DynamoDB stream event, one result per record.
pub fn parse_records(event: &Value) -> Vec<Result<StreamRecord, RecordError>> {
    let Some(records) = event.get("Records").and_then(Value::as_array) else {
        return Vec::new();
    };
    records.iter().map(parse_record).collect()
}

fn parse_record(record: &Value) -> Result<StreamRecord, RecordError> {
    let dynamodb = record.get("dynamodb");
    let sequence_number = dynamodb
        .and_then(|d| d.get("SequenceNumber"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let fail = |reason: String| RecordError {
        sequence_number: sequence_number.clone(),
        reason,
    };
    let Some(sequence) = sequence_number.clone() else {
        return Err(fail("record has no dynamodb.SequenceNumber".into()));
    };
    let event_name = match record.get("eventName").and_then(Value::as_str) {
        Some("INSERT") => EventName::Insert,
        Some("MODIFY") => EventName::Modify,
        Some("REMOVE") => EventName::Remove,
        other => return Err(fail(format!("unknown eventName {other:?}"))),
    };
    let image = |name: &str| -> Result<Option<Item>, RecordError> {
        match dynamodb.and_then(|d| d.get(name)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => item_from_dynamodb_json(map)
                .map(Some)
                .map_err(|e| fail(format!("dynamodb.{name}: {e}"))),
            Some(_) => Err(fail(format!("dynamodb.{name} is not an object"))),
        }
    };
    Ok(StreamRecord {
        event_name,
        sequence_number: sequence,
        new_image: image("NewImage")?,
        old_image: image("OldImage")?,
    })
}

/// The partial batch response: the records to deliver again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchResponse {
    /// Failed records, by sequence number.
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

/// One failed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFailure {
    /// The record's sequence number.
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

impl BatchResponse {
    /// Adds a failed record (once).
    pub fn fail(&mut self, sequence_number: &str) {
        if !self
            .batch_item_failures
            .iter()
            .any(|f| f.item_identifier == sequence_number)
        {
            self.batch_item_failures.push(ItemFailure {
                item_identifier: sequence_number.to_owned(),
            });
        }
    }

    /// The failed sequence numbers.
    pub fn failed(&self) -> Vec<&str> {
        self.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    /// The JSON Lambda expects.
    pub fn to_json(&self) -> Value {
        json!({"batchItemFailures": self.batch_item_failures.iter()
            .map(|f| json!({"itemIdentifier": f.item_identifier}))
            .collect::<Vec<_>>()})
    }
}

/// Builds one stream record in Lambda's event shape (for tests, and to feed
/// the memory store's change log to the consumers in `sagac run`).
pub fn record_json(
    event_name: EventName,
    sequence_number: &str,
    keys: &Item,
    old_image: Option<&Item>,
    new_image: Option<&Item>,
) -> Value {
    let mut dynamodb = Map::new();
    dynamodb.insert("Keys".into(), Value::Object(item_to_dynamodb_json(keys)));
    if let Some(i) = new_image {
        dynamodb.insert("NewImage".into(), Value::Object(item_to_dynamodb_json(i)));
    }
    if let Some(i) = old_image {
        dynamodb.insert("OldImage".into(), Value::Object(item_to_dynamodb_json(i)));
    }
    dynamodb.insert("SequenceNumber".into(), Value::from(sequence_number));
    dynamodb.insert("StreamViewType".into(), Value::from("NEW_AND_OLD_IMAGES"));
    let name = match event_name {
        EventName::Insert => "INSERT",
        EventName::Modify => "MODIFY",
        EventName::Remove => "REMOVE",
    };
    json!({
        "eventID": sequence_number,
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.1",
        "dynamodb": Value::Object(dynamodb),
    })
}

/// A stream event (`{"Records": [...]}`) for change-log records of the
/// memory store; sequence numbers are zero-padded to 21 digits like
/// DynamoDB's.
pub fn event_from_changes(
    changes: &[ChangeRecord],
    pk_attribute: &str,
    sk_attribute: &str,
) -> Value {
    let records: Vec<Value> = changes
        .iter()
        .map(|c| {
            let mut keys = Map::new();
            keys.insert(pk_attribute.to_owned(), Value::from(c.key.pk.as_str()));
            keys.insert(sk_attribute.to_owned(), Value::from(c.key.sk.as_str()));
            let name = match (&c.old_image, &c.new_image) {
                (None, _) => EventName::Insert,
                (Some(_), Some(_)) => EventName::Modify,
                (Some(_), None) => EventName::Remove,
            };
            record_json(
                name,
                &format!("{:021}", c.sequence),
                &keys,
                c.old_image.as_ref(),
                c.new_image.as_ref(),
            )
        })
        .collect();
    json!({ "Records": records })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lambda_stream_records() {
        let event = json!({"Records": [
            {
                "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_700_000_000.0,
                    "Keys": {"PK": {"S": "TRIP#1"}, "SK": {"S": "OUTBOX#e1"}},
                    "NewImage": {"PK": {"S": "TRIP#1"}, "SK": {"S": "OUTBOX#e1"}, "n": {"N": "3"}},
                    "SequenceNumber": "111", "SizeBytes": 26, "StreamViewType": "NEW_AND_OLD_IMAGES"
                },
                "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/T/stream/x"
            },
            {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "112", "NewImage": {"n": {"N": "x"}}}},
            {"eventName": "INSERT", "dynamodb": {}}
        ]});
        let records = parse_records(&event);
        assert_eq!(records.len(), 3);
        let first = records[0].as_ref().unwrap();
        assert_eq!(first.event_name, EventName::Insert);
        assert_eq!(first.sequence_number, "111");
        assert_eq!(first.new_image.as_ref().unwrap()["n"], json!(3));
        assert_eq!(
            records[1].as_ref().unwrap_err().sequence_number.as_deref(),
            Some("112")
        );
        assert_eq!(records[2].as_ref().unwrap_err().sequence_number, None);
        assert!(parse_records(&json!({})).is_empty());
    }

    #[test]
    fn batch_response_shape() {
        let mut r = BatchResponse::default();
        r.fail("5");
        r.fail("5");
        assert_eq!(
            r.to_json(),
            json!({"batchItemFailures": [{"itemIdentifier": "5"}]})
        );
        assert_eq!(serde_json::to_value(&r).unwrap(), r.to_json());
    }
}
