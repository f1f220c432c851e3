//! The repository contract, run against both implementations: the memory
//! store and DynamoDB (moto_server). A behaviour the saga relies on is
//! written once here, so the two cannot drift apart.

use sagac_runtime::store::{
    Change, Condition, IDEMPOTENCY_PREFIX, Key, MemoryStore, OutboxEvent, Query, Store,
    StoreConfig, StoreError, Update, WriteOp,
};
use serde_json::{Value, json};

/// The outbox sort key prefix of the spec under test.
fn outbox_prefix() -> String {
    sagac_runtime::store::TableLayout::defaults()
        .outbox_prefix()
        .to_owned()
}

fn item(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn trip_key() -> Key {
    Key::new("TRIP#t-1", "METADATA")
}

fn inventory_key() -> Key {
    Key::new("FLIGHT#JL1#2024-05-01", "INVENTORY")
}

async fn outbox(store: &dyn Store, pk: &str) -> Vec<serde_json::Map<String, Value>> {
    store
        .query(&Query::partition(pk).sk_begins_with(outbox_prefix()))
        .await
        .unwrap()
}

/// The reserve-flight change: take seats (conditional), write the
/// reservation, touch the root entity's version, emit the event.
fn reserve(key: &str, seats: i64, expected_version: u64) -> Change {
    Change::new("TRIP#t-1", "t-1", key)
        .with(
            WriteOp::update(
                inventory_key(),
                Update::new().increment("seats_available", -seats),
            )
            .when(Condition::ge("seats_available", seats))
            .label("seats"),
        )
        .with(WriteOp::create(
            Key::new("TRIP#t-1", "FLIGHT#f-1"),
            item(
                json!({"trip_id": "t-1", "flight_id": "f-1", "seats": seats, "status": "RESERVED"}),
            ),
        ))
        .with(WriteOp::update_versioned(
            trip_key(),
            Update::new().set("flight", "f-1"),
            expected_version,
        ))
        .emit(
            "FlightReserved",
            &json!({"trip_id": "t-1", "flight_id": "f-1", "seats": seats}),
        )
        .result(&json!({"flight_id": "f-1", "seats": seats}))
}

async fn seed(store: &dyn Store, seats: i64) {
    store
        .write(WriteOp::put(
            inventory_key(),
            item(json!({"seats_available": seats})),
        ))
        .await
        .unwrap();
    store
        .write(WriteOp::put_versioned(
            trip_key(),
            item(
                json!({"trip_id": "t-1", "customer_id": "c-1", "status": "PENDING",
                        "GSI1PK": "CUSTOMER#c-1", "GSI1SK": "TRIP#2024-01-01"}),
            ),
            None,
        ))
        .await
        .unwrap();
}

pub async fn entity_and_outbox_commit_together(store: &dyn Store) {
    seed(store, 5).await;
    let committed = store
        .commit(reserve("exec-1#ReserveFlight", 2, 1))
        .await
        .unwrap();
    assert!(!committed.replayed);
    assert_eq!(committed.result, json!({"flight_id": "f-1", "seats": 2}));

    let inventory = store.get(&inventory_key()).await.unwrap().unwrap();
    assert_eq!(inventory["seats_available"], json!(3));
    let trip = store.get(&trip_key()).await.unwrap().unwrap();
    assert_eq!(trip["version"], json!(2));
    assert_eq!(trip["flight"], json!("f-1"));
    let flight = store
        .get(&Key::new("TRIP#t-1", "FLIGHT#f-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(flight["status"], json!("RESERVED"));
    assert_eq!(flight["PK"], json!("TRIP#t-1"));

    let events = outbox(store, "TRIP#t-1").await;
    assert_eq!(events.len(), 1);
    let event = OutboxEvent::from_item(&events[0]).unwrap();
    assert_eq!(event.event_type, "FlightReserved");
    assert_eq!(event.saga_id, "t-1");
    assert_eq!(event.payload["seats"], json!(2));
    assert!(event.occurred_at.ends_with('Z'));
    let ttl = events[0]["expires_at"].as_u64().unwrap();
    let now = sagac_runtime::time::epoch_seconds();
    assert!(
        ttl > now + 6 * 86_400 && ttl <= now + 7 * 86_400 + 5,
        "outbox TTL ~7 days"
    );

    let record = store
        .get(&Key::new(
            "TRIP#t-1",
            format!("{IDEMPOTENCY_PREFIX}exec-1#ReserveFlight"),
        ))
        .await
        .unwrap();
    assert!(record.is_some());
}

pub async fn a_failing_condition_writes_nothing(store: &dyn Store) {
    seed(store, 1).await;
    let err = store
        .commit(reserve("exec-1#ReserveFlight", 2, 1))
        .await
        .unwrap_err();
    assert_eq!(err.failed_condition(), Some("seats"), "{err:?}");
    assert!(err.is_condition("seats"));

    assert_eq!(
        store.get(&inventory_key()).await.unwrap().unwrap()["seats_available"],
        json!(1)
    );
    assert!(
        store
            .get(&Key::new("TRIP#t-1", "FLIGHT#f-1"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.get(&trip_key()).await.unwrap().unwrap()["version"],
        json!(1)
    );
    assert!(outbox(store, "TRIP#t-1").await.is_empty());
    assert_eq!(
        store
            .recorded_result("TRIP#t-1", "exec-1#ReserveFlight")
            .await
            .unwrap(),
        None
    );
}

pub async fn the_same_idempotency_key_commits_once(store: &dyn Store) {
    seed(store, 5).await;
    let first = store
        .commit(reserve("exec-1#ReserveFlight", 2, 1))
        .await
        .unwrap();
    // A retry that decided differently (3 seats) and read a stale version:
    // the idempotency record wins, nothing is written, the first result
    // comes back.
    let second = store
        .commit(reserve("exec-1#ReserveFlight", 3, 1))
        .await
        .unwrap();
    assert!(second.replayed);
    assert_eq!(second.result, first.result);
    assert_eq!(
        store.get(&inventory_key()).await.unwrap().unwrap()["seats_available"],
        json!(3)
    );
    assert_eq!(
        store.get(&trip_key()).await.unwrap().unwrap()["version"],
        json!(2)
    );
    assert_eq!(outbox(store, "TRIP#t-1").await.len(), 1);
    assert_eq!(
        store
            .recorded_result("TRIP#t-1", "exec-1#ReserveFlight")
            .await
            .unwrap(),
        Some(first.result)
    );
}

pub async fn a_stale_version_conflicts(store: &dyn Store) {
    seed(store, 5).await;
    store
        .commit(reserve("exec-1#ReserveFlight", 1, 1))
        .await
        .unwrap();
    // Another step read version 1 too, before the first one committed.
    let change = Change::new("TRIP#t-1", "t-1", "exec-1#ReserveHotel")
        .with(WriteOp::update_versioned(
            trip_key(),
            Update::new().set("hotel", "h-1"),
            1,
        ))
        .emit("HotelReserved", &json!({"trip_id": "t-1"}));
    let err = store.commit(change).await.unwrap_err();
    assert_eq!(
        err,
        StoreError::VersionConflict {
            key: trip_key(),
            expected: Some(1)
        }
    );
    assert!(sagac_runtime::SagaError::from(err).is_retriable());
    assert_eq!(outbox(store, "TRIP#t-1").await.len(), 1);

    let create_again = WriteOp::put_versioned(trip_key(), item(json!({"status": "PENDING"})), None);
    assert_eq!(
        store.write(create_again).await.unwrap_err(),
        StoreError::VersionConflict {
            key: trip_key(),
            expected: None
        }
    );
}

pub async fn conditional_single_writes_and_queries(store: &dyn Store) {
    seed(store, 5).await;
    let hotel = Key::new("TRIP#t-1", "HOTEL#h-1");
    store
        .write(WriteOp::create(hotel.clone(), item(json!({"rooms": 1}))))
        .await
        .unwrap();
    let again = store
        .write(WriteOp::create(hotel.clone(), item(json!({"rooms": 2}))).label("exists"))
        .await;
    assert_eq!(again.unwrap_err().failed_condition(), Some("exists"));

    let by_customer = store
        .query(
            &Query::index("GSI1", "GSI1PK", "CUSTOMER#c-1").index_sk_begins_with("GSI1SK", "TRIP#"),
        )
        .await
        .unwrap();
    assert_eq!(by_customer.len(), 1);
    assert_eq!(by_customer[0]["trip_id"], json!("t-1"));

    let partition = store.query(&Query::partition("TRIP#t-1")).await.unwrap();
    let sks: Vec<&str> = partition.iter().filter_map(|i| i["SK"].as_str()).collect();
    assert_eq!(sks, ["HOTEL#h-1", "METADATA"]);

    let delete = || WriteOp::delete(hotel.clone()).when(Condition::ItemExists);
    store.write(delete()).await.unwrap();
    assert!(matches!(
        store.write(delete()).await,
        Err(StoreError::ConditionFailed { .. })
    ));
    assert!(store.get(&hotel).await.unwrap().is_none());

    // A condition check inside a transaction fails the whole transaction.
    let ops = vec![
        WriteOp::check(trip_key(), Condition::eq("status", "CONFIRMED")).label("status"),
        WriteOp::put(Key::new("TRIP#t-1", "NOTE#1"), item(json!({"n": 1}))),
    ];
    assert!(
        store
            .transact(ops)
            .await
            .unwrap_err()
            .is_condition("status")
    );
    assert!(
        store
            .get(&Key::new("TRIP#t-1", "NOTE#1"))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn invalid_changes_are_refused_before_writing(store: &dyn Store) {
    let no_event =
        Change::new("TRIP#t-1", "t-1", "k").with(WriteOp::put(trip_key(), item(json!({}))));
    assert!(matches!(
        store.commit(no_event).await,
        Err(StoreError::InvalidChange { .. })
    ));
    let twice = vec![
        WriteOp::put(trip_key(), item(json!({}))),
        WriteOp::delete(trip_key()),
    ];
    assert!(matches!(
        store.transact(twice).await,
        Err(StoreError::InvalidChange { .. })
    ));
    assert!(store.get(&trip_key()).await.unwrap().is_none());
}

fn validation_message(outcome: Result<(), StoreError>) -> String {
    match outcome {
        Err(StoreError::Service { code, message }) if code == "ValidationException" => message,
        other => panic!("expected DynamoDB's ValidationException, got {other:?}"),
    }
}

/// DynamoDB's size limits, with its own code and words: a partition key
/// over 2,048 bytes of UTF-8 (however few characters), a sort key over
/// 1,024, an item over 400 KB; in a transaction the whole request is
/// refused and nothing is written.
pub async fn oversized_keys_and_items_are_refused(store: &dyn Store) {
    // `TRIP#` and 682 three-byte characters: 2,051 bytes in 687 characters.
    let long_pk = format!("TRIP#{}", "€".repeat(682));
    assert_eq!(long_pk.len(), 2051);
    let message = validation_message(
        store
            .write(WriteOp::put(
                Key::new(long_pk.as_str(), "METADATA"),
                item(json!({})),
            ))
            .await,
    );
    assert!(
        message.contains("Size of hashkey has exceeded the maximum size limit of2048 bytes"),
        "{message}"
    );
    let message = validation_message(
        store
            .write(WriteOp::put(
                Key::new("TRIP#t-1", "€".repeat(342).as_str()),
                item(json!({})),
            ))
            .await,
    );
    assert!(
        message.contains(
            "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
        ),
        "{message}"
    );
    let big = item(json!({"notes": "x".repeat(410_000)}));
    let message = validation_message(store.write(WriteOp::put(trip_key(), big)).await);
    assert!(
        message.contains("Item size has exceeded the maximum allowed size"),
        "{message}"
    );
    // A transaction with one oversized key writes nothing at all.
    let outcome = store
        .transact(vec![
            WriteOp::put(trip_key(), item(json!({"status": "PENDING"}))),
            WriteOp::put(Key::new(long_pk.as_str(), "OUTBOX#1"), item(json!({}))),
        ])
        .await;
    let message = validation_message(outcome);
    assert!(message.contains("Size of hashkey"), "{message}");
    assert!(store.get(&trip_key()).await.unwrap().is_none());
    // Right at the limits is fine.
    let at_limit = format!("TRIP#{}", "€".repeat(681));
    assert_eq!(at_limit.len(), 2048);
    store
        .write(WriteOp::put(
            Key::new(at_limit.as_str(), "€".repeat(341).as_str()),
            item(json!({})),
        ))
        .await
        .unwrap();
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = super::MemoryStore::new(super::StoreConfig::new("memory"));
                    super::$name(&store).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = crate::support::dynamo_store().await;
                    super::$name(&store).await;
                }
            )*
        }
    };
}

contract!(
    entity_and_outbox_commit_together,
    a_failing_condition_writes_nothing,
    the_same_idempotency_key_commits_once,
    a_stale_version_conflicts,
    conditional_single_writes_and_queries,
    invalid_changes_are_refused_before_writing,
    oversized_keys_and_items_are_refused,
);
