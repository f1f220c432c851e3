//! Pieces of a generated stack, stood up on the test server from the
//! template itself: the table with the key schema the template declares,
//! the table's stream as the Lambda event source mapping would deliver it
//! (filters applied), and an event bus whose events land in a queue the
//! test can read. Taking these from the template, not restating them, is
//! what lets a test prove that the template, the generated code and the
//! runtime agree.

use serde_json::{Map, Value, json};

use crate::{aws_call, unique};

/// Creates the table `name` as the template's `AWS::DynamoDB::Table`
/// resource `properties` declares it: attribute definitions, key schema,
/// global secondary indexes and stream (the rest, encryption and recovery,
/// has no bearing on a test).
pub async fn create_table(name: &str, properties: &Value) {
    let mut request = Map::new();
    request.insert("TableName".into(), Value::from(name));
    request.insert("BillingMode".into(), Value::from("PAY_PER_REQUEST"));
    for key in [
        "AttributeDefinitions",
        "KeySchema",
        "GlobalSecondaryIndexes",
        "StreamSpecification",
    ] {
        if let Some(value) = properties.get(key) {
            request.insert(key.into(), value.clone());
        }
    }
    aws_call(
        "dynamodb",
        "DynamoDB_20120810.CreateTable",
        &Value::Object(request),
    )
    .await
    .unwrap_or_else(|e| panic!("create table {name} from the template: {e:?}"));
}

/// Every record of the table's stream so far, in the shape a Lambda event
/// source mapping delivers them (`eventSourceARN` included).
pub async fn stream_records(table: &str) -> Vec<Value> {
    let described = aws_call(
        "dynamodb",
        "DynamoDB_20120810.DescribeTable",
        &json!({"TableName": table}),
    )
    .await
    .expect("describe the table");
    let stream = described["Table"]["LatestStreamArn"]
        .as_str()
        .expect("the table has a stream")
        .to_owned();
    let shards = aws_call(
        "dynamodb",
        "DynamoDBStreams_20120810.DescribeStream",
        &json!({"StreamArn": stream}),
    )
    .await
    .expect("describe the stream");
    let mut records = Vec::new();
    for shard in shards["StreamDescription"]["Shards"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let iterator = aws_call(
            "dynamodb",
            "DynamoDBStreams_20120810.GetShardIterator",
            &json!({"StreamArn": stream, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        )
        .await
        .expect("a shard iterator");
        let mut iterator = iterator["ShardIterator"].clone();
        while iterator.is_string() {
            let page = aws_call(
                "dynamodb",
                "DynamoDBStreams_20120810.GetRecords",
                &json!({"ShardIterator": iterator}),
            )
            .await
            .expect("stream records");
            let got = page["Records"].as_array().cloned().unwrap_or_default();
            if got.is_empty() {
                break;
            }
            for mut record in got {
                record["eventSourceARN"] = Value::from(stream.as_str());
                records.push(record);
            }
            iterator = page["NextShardIterator"].clone();
        }
    }
    records
}

/// Whether `record` matches a Lambda filter criteria `pattern` (the
/// EventBridge pattern syntax the generated mappings use: objects whose
/// every key must match, arrays of alternatives, exact values and
/// `{"prefix": …}`).
pub fn matches(pattern: &Value, record: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields
            .iter()
            .all(|(key, sub)| record.get(key).is_some_and(|value| matches(sub, value))),
        Value::Array(alternatives) => alternatives.iter().any(|alternative| match alternative {
            Value::Object(rule) => match rule.get("prefix").and_then(Value::as_str) {
                Some(prefix) => record.as_str().is_some_and(|s| s.starts_with(prefix)),
                None => panic!("pattern rule {alternative} is not interpreted"),
            },
            literal => literal == record,
        }),
        literal => literal == record,
    }
}

/// The records an event source mapping with the template's
/// `FilterCriteria` would deliver.
pub fn filtered(records: &[Value], filter_criteria: &Value) -> Vec<Value> {
    let patterns: Vec<Value> = filter_criteria["Filters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            serde_json::from_str(f["Pattern"].as_str().expect("a filter pattern"))
                .expect("a JSON pattern")
        })
        .collect();
    records
        .iter()
        .filter(|record| patterns.is_empty() || patterns.iter().any(|p| matches(p, record)))
        .cloned()
        .collect()
}

/// A fresh event bus whose every event from `source` is forwarded to a
/// fresh queue; returns the bus name and the queue URL.
pub async fn bus_to_queue(source: &str) -> (String, String) {
    let bus = unique("bus");
    aws_call("events", "AWSEvents.CreateEventBus", &json!({"Name": bus}))
        .await
        .expect("create the bus");
    let queue = aws_call(
        "sqs",
        "AmazonSQS.CreateQueue",
        &json!({"QueueName": unique("queue")}),
    )
    .await
    .expect("create the queue");
    let url = queue["QueueUrl"].as_str().expect("QueueUrl").to_owned();
    let attributes = aws_call(
        "sqs",
        "AmazonSQS.GetQueueAttributes",
        &json!({"QueueUrl": url, "AttributeNames": ["QueueArn"]}),
    )
    .await
    .expect("queue attributes");
    let arn = attributes["Attributes"]["QueueArn"].clone();
    let rule = unique("rule");
    aws_call(
        "events",
        "AWSEvents.PutRule",
        &json!({"Name": rule, "EventBusName": bus,
                "EventPattern": json!({"source": [source]}).to_string()}),
    )
    .await
    .expect("put the rule");
    aws_call(
        "events",
        "AWSEvents.PutTargets",
        &json!({"Rule": rule, "EventBusName": bus, "Targets": [{"Id": "queue", "Arn": arn}]}),
    )
    .await
    .expect("put the target");
    (bus, url)
}

/// Every message in the queue now, as the EventBridge events they carry.
pub async fn drain(queue_url: &str) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let page = aws_call(
            "sqs",
            "AmazonSQS.ReceiveMessage",
            &json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}),
        )
        .await
        .expect("receive messages");
        let messages = page["Messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            return events;
        }
        for message in messages {
            events.push(
                serde_json::from_str(message["Body"].as_str().unwrap_or("null"))
                    .unwrap_or(Value::Null),
            );
            aws_call(
                "sqs",
                "AmazonSQS.DeleteMessage",
                &json!({"QueueUrl": queue_url, "ReceiptHandle": message["ReceiptHandle"]}),
            )
            .await
            .expect("delete a message");
        }
    }
}
