//! A step handler driven through `invoke_step` (the path both the Lambda
//! runtime and `sagac run` take) against DynamoDB on moto.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sagac_runtime::store::{Change, Condition, Key, Query, Store, Update, WriteOp};
use sagac_runtime::{SagaError, ServiceConfig, Step, invoke_step};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::support::dynamo_store;

#[derive(Deserialize)]
struct Request {
    trip_id: String,
    seats: i64,
}

fn payload(seats: Value) -> Value {
    json!({
        "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:TripBooking:t-1", "Name": "t-1"},
        "State": {"Name": "ReserveFlight", "EnteredTime": "2024-01-01T00:00:00Z", "RetryCount": 0},
        "StateMachine": {"Name": "TripBooking"},
        "input": {"trip_id": "t-1", "seats": seats},
        "results": {}
    })
}

/// A reserve-flight handler as generated code plus a service would shape
/// it: decode, decide, one change, map the seats condition to the business
/// error.
fn reserve_flight(
    store: Arc<dyn Store>,
    runs: Arc<AtomicUsize>,
) -> impl sagac_runtime::StepHandler {
    move |step: Step| {
        runs.fetch_add(1, Ordering::SeqCst);
        let store = Arc::clone(&store);
        async move {
            let event = step.decode::<Request>()?;
            let seats = event.input.seats;
            let change = Change::for_step(&event.context, format!("TRIP#{}", event.input.trip_id))
                .with(
                    WriteOp::update(
                        Key::new("FLIGHT#JL1", "INVENTORY"),
                        Update::new().increment("seats_available", -seats),
                    )
                    .when(Condition::ge("seats_available", seats))
                    .label("seats"),
                )
                .with(WriteOp::create(
                    Key::new("TRIP#t-1", "FLIGHT#JL1"),
                    Default::default(),
                ))
                .emit(
                    "FlightReserved",
                    &json!({"trip_id": event.input.trip_id, "seats": seats}),
                )
                .result(&json!({"flight": "JL1", "seats": seats}));
            match store.commit(change).await {
                Ok(committed) => Ok(committed.result),
                Err(e) if e.is_condition("seats") => {
                    Err(SagaError::business("NoSeatsAvailable", "not enough seats"))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

async fn setup(seats: i64) -> (Arc<dyn Store>, ServiceConfig, Arc<AtomicUsize>) {
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
    let store: Arc<dyn Store> = Arc::new(dynamo_store().await);
    store
        .write(WriteOp::put(
            Key::new("FLIGHT#JL1", "INVENTORY"),
            json!({"seats_available": seats})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ))
        .await
        .unwrap();
    let config =
        ServiceConfig::new("flight", "TripBooking", "trip_id", Some("TRIP#{trip_id}")).unwrap();
    (store, config, Arc::new(AtomicUsize::new(0)))
}

async fn trip_items(store: &dyn Store) -> usize {
    store
        .query(&Query::partition("TRIP#t-1"))
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_same_event_twice_books_once() {
    let (store, config, runs) = setup(2).await;
    let handler = reserve_flight(Arc::clone(&store), Arc::clone(&runs));
    let first = invoke_step(&config, Some(store.as_ref()), &handler, payload(json!(2)))
        .await
        .unwrap();
    // Step Functions retries after a lost response: same execution, same
    // state. The last seat is gone, but the step already succeeded.
    let second = invoke_step(&config, Some(store.as_ref()), &handler, payload(json!(2)))
        .await
        .unwrap();
    assert_eq!(first, json!({"flight": "JL1", "seats": 2}));
    assert_eq!(second, first);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the recorded result short-circuits the handler"
    );
    // Reservation, outbox event, idempotency record: once.
    assert_eq!(trip_items(store.as_ref()).await, 3);
    let inventory = store
        .get(&Key::new("FLIGHT#JL1", "INVENTORY"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inventory["seats_available"], 0);
}

#[tokio::test]
async fn a_malformed_payload_is_an_error_and_writes_nothing() {
    let (store, config, runs) = setup(2).await;
    let handler = reserve_flight(Arc::clone(&store), Arc::clone(&runs));
    let err = invoke_step(
        &config,
        Some(store.as_ref()),
        &handler,
        payload(json!("two")),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_name(), "Saga.InvalidPayload");
    assert!(err.message().contains("input.seats"), "{err}");
    let err = invoke_step(
        &config,
        Some(store.as_ref()),
        &handler,
        json!({"State": {}}),
    )
    .await
    .unwrap_err();
    let diagnostic: lambda_runtime::Diagnostic = err.into();
    assert_eq!(diagnostic.error_type, "Saga.InvalidPayload");
    assert_eq!(trip_items(store.as_ref()).await, 0);
}

#[tokio::test]
async fn a_business_failure_names_the_spec_error_and_writes_nothing() {
    let (store, config, runs) = setup(1).await;
    let handler = reserve_flight(Arc::clone(&store), Arc::clone(&runs));
    let err = invoke_step(&config, Some(store.as_ref()), &handler, payload(json!(2)))
        .await
        .unwrap_err();
    assert_eq!(err.error_name(), "NoSeatsAvailable");
    assert!(!err.is_retriable());
    assert_eq!(trip_items(store.as_ref()).await, 0);
}
