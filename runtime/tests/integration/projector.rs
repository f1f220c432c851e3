//! The projector converges to the same view row whatever the delivery
//! order, with replays, on DynamoDB (moto) and on the memory store.

use sagac_runtime::projector::{ProjectionConfig, project};
use sagac_runtime::store::{Key, MemoryStore, Store, StoreConfig};
use sagac_runtime::stream::{EventName, record_json};
use serde_json::{Value, json};

use crate::support::dynamo_store;

fn config(view_table: &str) -> ProjectionConfig {
    ProjectionConfig::parse(
        &json!({
            "view_table": view_table,
            "pk_attr": "PK", "sk_attr": "SK", "source_sk_attr": "SK",
            "views": [{
                "name": "TripView", "source_sk_prefix": "METADATA",
                "pk": "CUSTOMER#{customer_id}", "sk": "TRIP#{trip_id}",
                "fields": ["trip_id", "customer_id", "status", "created_at"],
                "indexes": [{"name": "ByStatus", "pk_attr": "ByStatusPK", "sk_attr": "ByStatusSK",
                             "pk": "STATUS#{status}", "sk": "{created_at}"}]
            }],
            "metrics": [{"name": "trip.booking.completed", "source_sk_prefix": "METADATA",
                         "field": "status", "value": "CONFIRMED"}]
        })
        .to_string(),
    )
    .unwrap()
}

fn trip(version: Option<u64>, status: &str) -> serde_json::Map<String, Value> {
    let mut v = json!({"PK": "TRIP#t-1", "SK": "METADATA", "trip_id": "t-1", "customer_id": "c-1",
                       "status": status, "created_at": "2024-01-01T00:00:00.000Z"});
    if let Some(version) = version {
        v["version"] = json!(version);
    }
    v.as_object().cloned().unwrap_or_default()
}

/// The trip's history as stream records: created (v1), flight reserved
/// (v2), hotel reserved (v3), then CONFIRMED by the state machine's own
/// update, which does not bump the version (only the sequence number).
fn history() -> Vec<Value> {
    let keys = json!({"PK": "TRIP#t-1", "SK": "METADATA"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let states = [
        (
            EventName::Insert,
            "000000000000000000100",
            None,
            trip(Some(1), "PENDING"),
        ),
        (
            EventName::Modify,
            "000000000000000000200",
            Some(trip(Some(1), "PENDING")),
            trip(Some(2), "PENDING"),
        ),
        (
            EventName::Modify,
            "000000000000000000300",
            Some(trip(Some(2), "PENDING")),
            trip(Some(3), "PENDING"),
        ),
        (
            EventName::Modify,
            "000000000000000000400",
            Some(trip(Some(3), "PENDING")),
            trip(Some(3), "CONFIRMED"),
        ),
    ];
    states
        .iter()
        .map(|(name, seq, old, new)| record_json(*name, seq, &keys, old.as_ref(), Some(new)))
        .collect()
}

fn batch(records: &[Value]) -> Value {
    json!({ "Records": records })
}

/// Delivery orders: in order, reversed, interleaved, replayed.
fn orders() -> Vec<Vec<usize>> {
    vec![
        vec![0, 1, 2, 3],
        vec![3, 2, 1, 0],
        vec![1, 3, 0, 2],
        vec![0, 1, 2, 3, 0, 1, 2, 3],
        vec![3, 0, 3, 1, 2, 1],
    ]
}

async fn converges(make: impl AsyncFn() -> Box<dyn Store>) {
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
    let records = history();
    let mut rows = Vec::new();
    for order in orders() {
        let views = make().await;
        let config = config(&views.config().table_name);
        // Alternate between one batch and one record per batch.
        let delivered: Vec<Value> = order.iter().map(|&i| records[i].clone()).collect();
        if order.len() % 2 == 0 {
            let report = project(&batch(&delivered), views.as_ref(), &config).await;
            assert!(report.response.failed().is_empty(), "{report:?}");
        } else {
            for r in delivered {
                project(&batch(&[r]), views.as_ref(), &config).await;
            }
        }
        let row = views
            .get(&Key::new("CUSTOMER#c-1", "TRIP#t-1"))
            .await
            .unwrap()
            .unwrap();
        rows.push((order, row));
    }
    for (order, row) in &rows {
        assert_eq!(row["status"], "CONFIRMED", "order {order:?}");
        assert_eq!(row["ByStatusPK"], "STATUS#CONFIRMED", "order {order:?}");
        assert_eq!(row, &rows[0].1, "order {order:?} converged elsewhere");
    }
    assert!(
        !rows[0].1.contains_key("version"),
        "only the listed fields are projected"
    );
}

#[tokio::test]
async fn converges_under_replay_and_reordering_on_dynamodb() {
    converges(async || Box::new(dynamo_store().await) as Box<dyn Store>).await;
}

#[tokio::test]
async fn converges_under_replay_and_reordering_in_memory() {
    converges(async || Box::new(MemoryStore::new(StoreConfig::new("views"))) as Box<dyn Store>)
        .await;
}

#[tokio::test]
async fn records_without_key_fields_are_skipped_not_fatal() {
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
    let views = MemoryStore::new(StoreConfig::new("views"));
    let mut bad = trip(Some(1), "PENDING");
    bad.remove("customer_id");
    let keys = json!({"PK": "TRIP#t-1", "SK": "METADATA"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let records = vec![
        record_json(EventName::Insert, "1", &keys, None, Some(&bad)),
        record_json(EventName::Remove, "2", &keys, Some(&bad), None),
        json!({"eventName": "INSERT", "dynamodb": {"SequenceNumber": "3", "NewImage": {"x": {"N": "nan?"}}}}),
    ];
    let report = project(&batch(&records), &views, &config("views")).await;
    assert_eq!(report.written, 0);
    assert_eq!(report.skipped, 2);
    assert_eq!(report.response.failed(), ["3"]);
    assert!(views.items().is_empty());
}
