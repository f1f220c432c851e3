//! The flight service against a DynamoDB-wire server (moto_server, see
//! `trip_testkit::endpoint`): the generated handler over the DynamoDB
//! adapter, driven through `sagac_runtime::invoke_step` (what the Lambda
//! binary runs for each event), and the binary itself behind a fake Lambda
//! Runtime API.
//!
//! Two deliveries of one event at the same time are tested over the memory
//! store (`services/e2e/tests/duplicates.rs`), not here: moto's
//! `TransactWriteItems` is not isolated from concurrent requests (it
//! snapshots the table, writes item by item, and on a failed condition
//! restores the snapshot, which can undo part of a concurrent transaction),
//! so a race on moto says nothing about DynamoDB.

use flight::adapters::{DynamoFlightRepository, inventory_key, put_inventory};
use flight::domain::{AirportCode, FlightInventory, FlightNumber, Route};
use flight::handlers::{Flight, FlightHandler, dispatch_flight};
use std::sync::Arc;

use sagac_runtime::store::{FaultyStore, Item, Store, Update, WriteOp};
use serde_json::{Value, json};
use trip_testkit::lambda::Outcome;
use trip_testkit::service::{ServiceUnderTest, item_keys};
use trip_testkit::{Execution, diff, request, sort_keys, with_sk_prefix};

/// The outbox sort key prefix of the spec under test.
fn outbox_prefix() -> String {
    flight::handlers::table_layout().outbox_prefix().to_owned()
}

/// NH203 from HND to CDG on 2025-04-01 with `capacity` seats at 1200.50.
fn nh203(capacity: u32) -> FlightInventory {
    FlightInventory::new(
        FlightNumber::new("NH203").unwrap(),
        "2025-04-01".parse().unwrap(),
        Route::new(
            AirportCode::new("HND").unwrap(),
            AirportCode::new("CDG").unwrap(),
        )
        .unwrap(),
        capacity,
        "1200.50".parse().unwrap(),
    )
}

type Setup = ServiceUnderTest<FlightHandler<Flight<DynamoFlightRepository>>>;

/// The flight service over a fresh table that sells NH203 with `capacity`
/// seats.
async fn setup(capacity: u32) -> Setup {
    let s = Setup::start(|store| {
        let handler = FlightHandler::new(Flight::new(DynamoFlightRepository::new(store)));
        let config = handler.config();
        (handler, config)
    })
    .await;
    put_inventory(s.store.as_ref(), &nh203(capacity))
        .await
        .unwrap();
    s
}

/// NH203's stored seat inventory.
async fn inventory(s: &Setup) -> Item {
    s.store
        .get(&inventory_key(
            &FlightNumber::new("NH203").unwrap(),
            "2025-04-01".parse().unwrap(),
        ))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn reserve_and_cancel_each_write_entity_and_outbox_in_one_transaction() {
    let s = setup(9).await;
    let mut execution = Execution::new(request("trip-0001"));

    let before = s.scan().await;
    let reserved = s
        .invoke(execution.payload("ReserveFlight", 0))
        .await
        .unwrap();
    assert_eq!(
        reserved,
        json!({
            "trip_id": "trip-0001", "flight_id": "FR-trip-0001", "flight_number": "NH203",
            "depart_on": "2025-04-01", "return_on": "2025-04-05", "seats": 2,
            "price": "2401.00", "status": "RESERVED"
        })
    );
    let (changed, removed) = diff(&before, &s.scan().await);
    assert!(removed.is_empty());
    // The inventory, and under the trip: the reservation, one outbox event
    // and the step's idempotency record. Nothing else.
    let keys = item_keys(&changed);
    assert_eq!(keys.len(), 4, "{keys:#?}");
    assert_eq!(keys[0], "FLIGHT#NH203#2025-04-01/INVENTORY");
    assert_eq!(keys[1], "TRIP#trip-0001/FLIGHT#FR-trip-0001");
    assert_eq!(
        keys[2],
        "TRIP#trip-0001/IDEMPOTENCY#trip-0001#ReserveFlight"
    );
    assert!(keys[3].starts_with("TRIP#trip-0001/OUTBOX#"), "{keys:?}");
    assert_eq!(changed[0]["holds"], json!({"trip-0001": 2}));
    assert_eq!(changed[0]["version"], json!(1));
    let reservation = &changed[1];
    assert_eq!(reservation["GSI1PK"], json!("FLIGHT#NH203#2025-04-01"));
    assert_eq!(reservation["GSI1SK"], json!("TRIP#trip-0001"));
    let outbox = &changed[3];
    assert_eq!(outbox["event_type"], json!("FlightReserved"));
    assert_eq!(outbox["saga_id"], json!("trip-0001"));
    assert_eq!(outbox["payload"], reserved);
    assert!(outbox["expires_at"].is_u64(), "outbox items carry a TTL");

    // The hotel failed: the state machine compensates with the output of
    // ReserveFlight in `results` and the failure in `error`.
    execution.record("ReserveFlight", reserved.clone());
    execution.fail("NoRoomsAvailable", "no room on 2025-04-02");
    let before = s.scan().await;
    let cancelled = s
        .invoke(execution.payload("CancelFlight", 0))
        .await
        .unwrap();
    assert_eq!(cancelled["status"], json!("CANCELLED"));
    assert_eq!(cancelled["flight_id"], json!("FR-trip-0001"));
    let (changed, _) = diff(&before, &s.scan().await);
    let keys = sort_keys(&changed);
    assert_eq!(keys.len(), 4, "{keys:#?}");
    assert_eq!(changed[0]["holds"], json!({}));
    assert_eq!(changed[0]["version"], json!(2));
    assert_eq!(changed[1]["status"], json!("CANCELLED"));
    assert_eq!(keys[2], "IDEMPOTENCY#trip-0001#CancelFlight");
    assert_eq!(changed[3]["event_type"], json!("FlightCancelled"));
    assert_eq!(
        changed[3]["payload"],
        json!({"trip_id": "trip-0001", "flight_id": "FR-trip-0001", "status": "CANCELLED"})
    );

    // Two changes, two events.
    let items = s.scan().await;
    assert_eq!(with_sk_prefix(&items, &outbox_prefix()).len(), 2);
}

#[tokio::test]
async fn a_commit_that_loses_a_race_writes_nothing_at_all() {
    let s = setup(9).await;
    // Just before the commit, another trip takes a seat, moving the
    // inventory on to a newer version.
    let racing = FaultyStore::new(s.shared());
    racing.interleave(WriteOp::update(
        inventory_key(
            &FlightNumber::new("NH203").unwrap(),
            "2025-04-01".parse().unwrap(),
        ),
        Update::new()
            .set("holds", json!({"trip-9999": 1}))
            .increment("version", 1),
    ));
    let racing = FlightHandler::new(Flight::new(DynamoFlightRepository::new(Arc::new(racing))));
    let before = s.scan().await;
    let error = s
        .invoke_with(
            &racing,
            Execution::new(request("trip-0001")).payload("ReserveFlight", 0),
        )
        .await
        .unwrap_err();
    // Retried by the state machine; the retry reads the new inventory.
    assert_eq!(error.error_name(), "TransientError");
    let (changed, _) = diff(&before, &s.scan().await);
    // Only the other trip's write: no reservation, no outbox item, no
    // idempotency record.
    assert_eq!(sort_keys(&changed), ["INVENTORY"]);
    assert_eq!(changed[0]["holds"], json!({"trip-9999": 1}));

    let retried = s
        .invoke(Execution::new(request("trip-0001")).payload("ReserveFlight", 1))
        .await
        .unwrap();
    assert_eq!(retried["status"], json!("RESERVED"));
    assert_eq!(
        inventory(&s).await["holds"],
        json!({"trip-0001": 2, "trip-9999": 1})
    );
}

#[tokio::test]
async fn no_seats_is_the_business_error_and_writes_nothing() {
    let s = setup(1).await;
    let before = s.scan().await;
    let error = s
        .invoke(Execution::new(request("trip-0001")).payload("ReserveFlight", 0))
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), "NoSeatsAvailable");
    assert!(
        error.message().contains("1 free seats, 2 requested"),
        "{error}"
    );
    let mut unknown = request("trip-0002");
    unknown["flight_number"] = json!("NH999");
    let error = s
        .invoke(Execution::new(unknown).payload("ReserveFlight", 0))
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), "FlightNotFound");
    assert_eq!(s.scan().await, before);
}

#[tokio::test]
async fn the_same_event_twice_books_once() {
    let s = setup(9).await;
    let execution = Execution::new(request("trip-0001"));
    let first = s
        .invoke(execution.payload("ReserveFlight", 0))
        .await
        .unwrap();
    let after_first = s.scan().await;
    // The same event again, and a retry of the state (same idempotency key).
    let again = s
        .invoke(execution.payload("ReserveFlight", 0))
        .await
        .unwrap();
    let retried = s
        .invoke(execution.payload("ReserveFlight", 2))
        .await
        .unwrap();
    // Without the runtime's idempotency pre-check, the use case finds its
    // own reservation and answers with it.
    let dispatched = dispatch_flight(s.handler.service(), execution.payload("ReserveFlight", 0))
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(retried, first);
    assert_eq!(dispatched, first);
    assert_eq!(s.scan().await, after_first);
    assert_eq!(inventory(&s).await["holds"], json!({"trip-0001": 2}));
}

#[tokio::test]
async fn cancelling_what_was_never_reserved_succeeds_and_writes_nothing() {
    let s = setup(9).await;
    let before = s.scan().await;
    let mut execution = Execution::new(request("trip-0001"));
    execution.fail("States.Timeout", "ReserveFlight timed out");
    let outcome = s
        .invoke(execution.payload("CancelFlight", 0))
        .await
        .unwrap();
    assert_eq!(outcome, Value::Null);
    assert_eq!(s.scan().await, before);
}

/// What the saga could never have sent, or the flight service cannot act
/// on: the shared malformed payloads that are wrong in what the flight
/// receives (those wrong only in what other steps receive, `rooms` or
/// `amount`, are the good payload as the flight receives it), and the
/// flight's own.
fn malformed() -> Vec<(&'static str, Value)> {
    let (mut payloads, _) = trip_testkit::malformed_split("ReserveFlight", "ReserveHotel");
    let mut with = |what, field: &str, value: Value| {
        let mut request = request("trip-0001");
        request[field] = value;
        payloads.push((what, Execution::new(request).payload("ReserveFlight", 0)));
    };
    with("a date that is not one", "depart_on", json!("2025-02-30"));
    with("zero seats", "seats", json!(0));
    with("ten seats", "seats", json!(10));
    with(
        "a return before the departure",
        "return_on",
        json!("2025-03-01"),
    );
    payloads
}

#[tokio::test]
async fn a_malformed_payload_is_invalid_and_writes_nothing() {
    let s = setup(9).await;
    s.assert_invalid_and_writes_nothing(malformed()).await;
    let error = s.invoke(with_seats(0)).await.unwrap_err();
    assert!(error.message().contains("input.seats"), "{error}");
}

fn with_seats(seats: i64) -> Value {
    let mut request = request("trip-0001");
    request["seats"] = json!(seats);
    Execution::new(request).payload("ReserveFlight", 0)
}

/// The Lambda binary itself: init against the fake Runtime API, a
/// malformed event answered with a Lambda error named
/// `Saga.InvalidPayload` (nothing written), then a real event booked once
/// however often it is delivered.
#[tokio::test]
async fn the_binary_answers_a_malformed_event_with_a_lambda_error() {
    let s = setup(9).await;
    let binary = s.binary(
        std::path::Path::new(env!("CARGO_BIN_EXE_flight")),
        "TripBooking-flight",
    );
    let before = s.scan().await;
    binary.assert_invalid(malformed());
    assert_eq!(s.scan().await, before);

    let payload = Execution::new(request("trip-0001")).payload("ReserveFlight", 0);
    let first = binary.invoke(payload.clone());
    let Outcome::Response(reserved) = &first else {
        panic!("{first:?}")
    };
    assert_eq!(reserved["status"], json!("RESERVED"));
    assert_eq!(binary.invoke(payload), first);
    let items = s.scan().await;
    assert_eq!(with_sk_prefix(&items, &outbox_prefix()).len(), 1);
    assert_eq!(inventory(&s).await["holds"], json!({"trip-0001": 2}));
}
