//! The outbox dispatcher against moto: DynamoDB for the outbox, EventBridge
//! with a rule that forwards the bus to an SQS queue we can read back.

use sagac_runtime::dispatcher::{DispatcherConfig, EventBridgePublisher, dispatch};
use sagac_runtime::store::{Change, Key, MemoryStore, Query, Store, StoreConfig, WriteOp};
use sagac_runtime::stream::{EventName, event_from_changes, record_json};
use serde_json::{Value, json};

use crate::support::{aws_json, dynamo_store, sdk_config, unique};

/// The outbox sort key prefix of the spec under test.
fn outbox_prefix() -> String {
    sagac_runtime::store::TableLayout::defaults()
        .outbox_prefix()
        .to_owned()
}

/// Commits two steps' changes, each with one outbox event.
async fn two_steps(store: &dyn Store) {
    for (step, event) in [
        ("ReserveFlight", "FlightReserved"),
        ("ReserveHotel", "HotelReserved"),
    ] {
        let change = Change::new("TRIP#t-1", "t-1", format!("exec-1#{step}"))
            .with(WriteOp::put(
                Key::new("TRIP#t-1", format!("{step}#1")),
                Default::default(),
            ))
            .emit(event, &json!({"trip_id": "t-1", "step": step}));
        store.commit(change).await.unwrap();
    }
}

/// The stream batch DynamoDB would deliver for the table's outbox items.
async fn outbox_batch(store: &dyn Store) -> Value {
    let items = store
        .query(&Query::partition("TRIP#t-1").sk_begins_with(outbox_prefix()))
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    let records: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let keys: serde_json::Map<String, Value> = item
                .iter()
                .filter(|(k, _)| *k == "PK" || *k == "SK")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            record_json(
                EventName::Insert,
                &format!("{:021}", 100 + i),
                &keys,
                None,
                Some(item),
            )
        })
        .collect();
    json!({ "Records": records })
}

/// A bus with a rule sending everything from `source` to a fresh queue.
async fn bus_to_queue(source: &str) -> (String, String) {
    let sdk = sdk_config().await;
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let bus = unique("bus");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let queue = aws_json(
        "sqs",
        "AmazonSQS.CreateQueue",
        &json!({"QueueName": unique("q")}),
    )
    .await;
    let queue_url = queue["QueueUrl"].as_str().unwrap().to_owned();
    let attrs = aws_json(
        "sqs",
        "AmazonSQS.GetQueueAttributes",
        &json!({"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]}),
    )
    .await;
    let queue_arn = attrs["Attributes"]["QueueArn"].as_str().unwrap().to_owned();
    let rule = unique("rule");
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .event_pattern(json!({"source": [source]}).to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&rule)
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (bus, queue_url)
}

async fn receive(queue_url: &str) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let out = aws_json(
            "sqs",
            "AmazonSQS.ReceiveMessage",
            &json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}),
        )
        .await;
        let Some(messages) = out["Messages"].as_array().filter(|m| !m.is_empty()) else {
            break;
        };
        for m in messages {
            all.push(serde_json::from_str(m["Body"].as_str().unwrap()).unwrap());
            aws_json(
                "sqs",
                "AmazonSQS.DeleteMessage",
                &json!({"QueueUrl": queue_url, "ReceiptHandle": m["ReceiptHandle"]}),
            )
            .await;
        }
    }
    all
}

#[tokio::test]
async fn publishes_to_eventbridge_once_per_event() {
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
    let store = dynamo_store().await;
    two_steps(&store).await;
    let batch = outbox_batch(&store).await;
    let (bus, queue_url) = bus_to_queue("travel.trip").await;
    let publisher =
        EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk_config().await));
    let config = DispatcherConfig::new(&bus, "travel.trip");

    let report = dispatch(&batch, &store, &publisher, &config).await;
    assert_eq!(report.published.len(), 2, "{report:?}");
    assert!(report.response.failed().is_empty());

    let delivered = receive(&queue_url).await;
    assert_eq!(delivered.len(), 2, "{delivered:?}");
    let mut types: Vec<&str> = delivered
        .iter()
        .filter_map(|e| e["detail-type"].as_str())
        .collect();
    types.sort();
    assert_eq!(types, ["FlightReserved", "HotelReserved"]);
    for event in &delivered {
        assert_eq!(event["source"], "travel.trip");
        assert_eq!(event["detail"]["trip_id"], "t-1");
        assert!(
            report
                .published
                .iter()
                .any(|id| event["detail"]["event_id"] == id.as_str())
        );
    }
    // Published events leave the outbox.
    let left = store
        .query(&Query::partition("TRIP#t-1").sk_begins_with(outbox_prefix()))
        .await
        .unwrap();
    assert!(left.is_empty());

    // Lambda delivers the same batch again (a retry after a partial
    // failure, a timeout...): nothing new is published.
    let again = dispatch(&batch, &store, &publisher, &config).await;
    assert!(again.published.is_empty());
    assert_eq!(again.already_published, 2);
    assert!(again.response.failed().is_empty());
    assert!(receive(&queue_url).await.is_empty());
}

#[tokio::test]
async fn unpublishable_records_are_reported_by_sequence_number() {
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
    let store = dynamo_store().await;
    two_steps(&store).await;
    let mut batch = outbox_batch(&store).await;
    // A record whose outbox item is malformed, and one that is no outbox
    // insert at all.
    let item = |sk: &str| {
        json!({"PK": "TRIP#t-1", "SK": sk})
            .as_object()
            .cloned()
            .unwrap()
    };
    let records = batch["Records"].as_array_mut().unwrap();
    let bad = item("OUTBOX#bad");
    records.push(record_json(
        EventName::Insert,
        "000000000000000000999",
        &bad,
        None,
        Some(&bad),
    ));
    let metadata = item("METADATA");
    records.push(record_json(
        EventName::Modify,
        "000000000000000001000",
        &metadata,
        Some(&metadata),
        Some(&metadata),
    ));
    // A bus that does not exist: every entry fails.
    let publisher =
        EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk_config().await));
    let mut config = DispatcherConfig::new(unique("missing-bus"), "travel.trip");
    config.max_attempts = 2;
    config.initial_backoff = std::time::Duration::ZERO;
    let report = dispatch(&batch, &store, &publisher, &config).await;
    assert!(report.published.is_empty());
    let mut failed = report.response.failed();
    failed.sort();
    assert_eq!(
        failed,
        [
            "000000000000000000100",
            "000000000000000000101",
            "000000000000000000999"
        ]
    );
    assert_eq!(report.ignored, 1);
    // Nothing published, so the outbox is intact for the redelivery.
    let left = store
        .query(&Query::partition("TRIP#t-1").sk_begins_with(outbox_prefix()))
        .await
        .unwrap();
    assert_eq!(left.len(), 2);
}

#[tokio::test]
async fn runs_on_the_memory_store_change_log() {
    // The `sagac run` path: the memory store's change log is the stream.
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
    let store = MemoryStore::new(StoreConfig::new("memory"));
    two_steps(&store).await;
    let batch = event_from_changes(&store.changes(), "PK", "SK");
    let (bus, queue_url) = bus_to_queue("travel.local").await;
    let publisher =
        EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk_config().await));
    let report = dispatch(
        &batch,
        &store,
        &publisher,
        &DispatcherConfig::new(&bus, "travel.local"),
    )
    .await;
    assert_eq!(report.published.len(), 2);
    assert_eq!(receive(&queue_url).await.len(), 2);
}
