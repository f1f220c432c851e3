//! DynamoDB stream events as Lambda receives them, and the partial batch
//! response.
//!
//! The event model is `aws_lambda_events`' (only its `dynamodb` feature),
//! the images' attribute values `serde_dynamo`'s. Each record is decoded on
//! its own, so one malformed record is reported by itself (by sequence
//! number, when it has one) and does not fail the batch.

use aws_lambda_events::event::dynamodb::EventRecord;
pub use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde_json::{Map, Value, json};

use crate::attribute::{Item, item_from_dynamo, item_to_dynamodb_json};
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

impl EventName {
    /// The `eventName` of the record.
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }
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
    // Read first and by itself: a record that does not decode can still be
    // reported for redelivery if its sequence number is there.
    let sequence_number = record
        .pointer("/dynamodb/SequenceNumber")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let fail = |reason: String| RecordError {
        sequence_number: sequence_number.clone(),
        reason,
    };
    let decoded: EventRecord = serde_path_to_error::deserialize(record)
        .map_err(|e| fail(format!("`{}`: {}", e.path(), e.inner())))?;
    let Some(sequence) = decoded.change.sequence_number else {
        return Err(fail("record has no dynamodb.SequenceNumber".into()));
    };
    let event_name = match decoded.event_name.as_str() {
        "INSERT" => EventName::Insert,
        "MODIFY" => EventName::Modify,
        "REMOVE" => EventName::Remove,
        other => return Err(fail(format!("unknown eventName {other:?}"))),
    };
    // The model reads an absent image as an empty one; an image always
    // holds at least the table's keys.
    let image = |name: &str, image: serde_dynamo::Item| -> Result<Option<Item>, RecordError> {
        if image.is_empty() {
            return Ok(None);
        }
        item_from_dynamo(image)
            .map(Some)
            .map_err(|e| fail(format!("dynamodb.{name}: {e}")))
    };
    Ok(StreamRecord {
        event_name,
        sequence_number: sequence,
        new_image: image("NewImage", decoded.change.new_image)?,
        old_image: image("OldImage", decoded.change.old_image)?,
    })
}

/// The partial batch response: the records to deliver again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResponse(DynamoDbEventResponse);

impl BatchResponse {
    /// Adds a failed record (once).
    pub fn fail(&mut self, sequence_number: &str) {
        let failures = &mut self.0.batch_item_failures;
        if !failures
            .iter()
            .any(|f| f.item_identifier.as_deref() == Some(sequence_number))
        {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number.to_owned());
            failures.push(failure);
        }
    }

    /// The failed sequence numbers.
    pub fn failed(&self) -> Vec<&str> {
        self.0
            .batch_item_failures
            .iter()
            .filter_map(|f| f.item_identifier.as_deref())
            .collect()
    }

    /// The JSON Lambda expects.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(&self.0)
            .unwrap_or_else(|e| unreachable!("a batch response is JSON: {e}"))
    }
}

impl serde::Serialize for BatchResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
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
    // DynamoDB's own count is of its internal encoding; this one is the
    // size of the images and keys as written here.
    let size = Value::Object(dynamodb.clone()).to_string().len();
    dynamodb.insert("SizeBytes".into(), Value::from(size));
    json!({
        "awsRegion": "local",
        "eventID": sequence_number,
        "eventName": event_name.as_str(),
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
