//! The hotel service against a DynamoDB-wire server (moto_server, see
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

use hotel::adapters::{DynamoHotelRepository, night_key, seed_nights};
use hotel::domain::{HotelCode, RoomInventory};
use hotel::handlers::{Hotel, HotelHandler, dispatch_hotel};
use std::sync::Arc;

use sagac_runtime::store::{FaultyStore, Store, Update, WriteOp};
use serde_json::{Value, json};
use trip_testkit::lambda::Outcome;
use trip_testkit::service::ServiceUnderTest;
use trip_testkit::{Execution, diff, request, sort_keys, with_sk_prefix};

/// The outbox sort key prefix of the spec under test.
fn outbox_prefix() -> String {
    hotel::handlers::table_layout().outbox_prefix().to_owned()
}

const NIGHTS: [&str; 4] = ["2025-04-01", "2025-04-02", "2025-04-03", "2025-04-04"];

fn louvre() -> HotelCode {
    HotelCode::new("PAR-LOUVRE").unwrap()
}

type Setup = ServiceUnderTest<HotelHandler<Hotel<DynamoHotelRepository>>>;

/// PAR-LOUVRE with `rooms` rooms a night at 240.00 on the nights of the
/// test trip (2025-04-01 to 2025-04-05), except `rooms_on_03` on the third.
async fn setup(rooms: u32, rooms_on_03: u32) -> Setup {
    let s = Setup::start(|store| {
        let handler = HotelHandler::new(Hotel::new(DynamoHotelRepository::new(store)));
        let config = handler.config();
        (handler, config)
    })
    .await;
    let nights: Vec<RoomInventory> = NIGHTS
        .iter()
        .map(|night| {
            let capacity = if *night == "2025-04-03" {
                rooms_on_03
            } else {
                rooms
            };
            RoomInventory::new(
                louvre(),
                night.parse().unwrap(),
                capacity,
                "240.00".parse().unwrap(),
            )
        })
        .collect();
    seed_nights(s.store.as_ref(), &nights).await.unwrap();
    s
}

/// The holds of each night of the test trip, in night order.
async fn holds(s: &Setup) -> Vec<Value> {
    let mut holds = Vec::new();
    for night in NIGHTS {
        let item = s
            .store
            .get(&night_key(&louvre(), night.parse().unwrap()))
            .await
            .unwrap()
            .unwrap();
        holds.push(item["holds"].clone());
    }
    holds
}

#[tokio::test]
async fn reserve_and_cancel_each_write_entity_and_outbox_in_one_transaction() {
    let s = setup(5, 5).await;
    let mut execution = Execution::new(request("trip-0001"));
    execution.record(
        "ReserveFlight",
        json!({
            "trip_id": "trip-0001", "flight_id": "FR-trip-0001", "flight_number": "NH203",
            "depart_on": "2025-04-01", "return_on": "2025-04-05", "seats": 2,
            "price": "2401.00", "status": "RESERVED"
        }),
    );

    let before = s.scan().await;
    let booked = s
        .invoke(execution.payload("ReserveHotel", 0))
        .await
        .unwrap();
    assert_eq!(
        booked,
        json!({
            "trip_id": "trip-0001", "hotel_id": "HB-trip-0001", "hotel_code": "PAR-LOUVRE",
            "check_in": "2025-04-01", "check_out": "2025-04-05", "rooms": 1,
            "price": "960.00", "status": "RESERVED"
        })
    );
    let (changed, removed) = diff(&before, &s.scan().await);
    assert!(removed.is_empty());
    // Four nights, and under the trip: the booking, the idempotency record
    // and one outbox event.
    assert_eq!(
        sort_keys(&changed)[..6],
        [
            "NIGHT#2025-04-01",
            "NIGHT#2025-04-02",
            "NIGHT#2025-04-03",
            "NIGHT#2025-04-04",
            "HOTEL#HB-trip-0001",
            "IDEMPOTENCY#trip-0001#ReserveHotel",
        ]
    );
    assert_eq!(changed.len(), 7);
    assert!(
        changed[6]["SK"]
            .as_str()
            .unwrap()
            .starts_with(&outbox_prefix())
    );
    assert_eq!(changed[6]["event_type"], json!("HotelReserved"));
    assert_eq!(changed[6]["payload"], booked);
    assert_eq!(changed[4]["GSI1PK"], json!("HOTEL#PAR-LOUVRE"));
    assert_eq!(changed[4]["GSI1SK"], json!("CHECKIN#2025-04-01"));
    assert_eq!(holds(&s).await, vec![json!({"trip-0001": 1}); 4]);

    // Payment failed: CancelHotel runs with the booking in `results`.
    execution.record("ReserveHotel", booked);
    execution.fail("CardDeclined", "issuer declined");
    let before = s.scan().await;
    let cancelled = s.invoke(execution.payload("CancelHotel", 0)).await.unwrap();
    assert_eq!(cancelled["status"], json!("CANCELLED"));
    let (changed, _) = diff(&before, &s.scan().await);
    assert_eq!(changed.len(), 7, "{:#?}", sort_keys(&changed));
    assert_eq!(changed[4]["status"], json!("CANCELLED"));
    assert_eq!(changed[5]["SK"], json!("IDEMPOTENCY#trip-0001#CancelHotel"));
    assert_eq!(changed[6]["event_type"], json!("HotelCancelled"));
    assert_eq!(
        changed[6]["payload"],
        json!({"trip_id": "trip-0001", "hotel_id": "HB-trip-0001", "status": "CANCELLED"})
    );
    assert_eq!(holds(&s).await, vec![json!({}); 4]);
    let items = s.scan().await;
    assert_eq!(with_sk_prefix(&items, &outbox_prefix()).len(), 2);
}

#[tokio::test]
async fn a_stay_that_loses_a_race_on_one_night_holds_no_night() {
    let s = setup(5, 5).await;
    // Just before the commit, another trip takes a room on 2025-04-03, moving the
    // inventory on to a newer version.
    let racing = FaultyStore::new(s.shared());
    racing.interleave(WriteOp::update(
        night_key(&louvre(), "2025-04-03".parse().unwrap()),
        Update::new()
            .set("holds", json!({"trip-9999": 1}))
            .increment("version", 1),
    ));
    let racing = HotelHandler::new(Hotel::new(DynamoHotelRepository::new(Arc::new(racing))));
    let before = s.scan().await;
    let error = s
        .invoke_with(
            &racing,
            Execution::new(request("trip-0001")).payload("ReserveHotel", 0),
        )
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), "TransientError");
    let (changed, _) = diff(&before, &s.scan().await);
    // Only the other trip's night: not one of the four nights of the stay,
    // no booking, no outbox item, no idempotency record.
    assert_eq!(sort_keys(&changed), ["NIGHT#2025-04-03"]);
    assert_eq!(
        holds(&s).await,
        vec![json!({}), json!({}), json!({"trip-9999": 1}), json!({})]
    );
}

#[tokio::test]
async fn one_full_night_is_no_rooms_and_writes_nothing() {
    let s = setup(5, 0).await;
    let before = s.scan().await;
    let error = s
        .invoke(Execution::new(request("trip-0001")).payload("ReserveHotel", 0))
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), "NoRoomsAvailable");
    assert!(error.message().contains("2025-04-03"), "{error}");
    let mut unknown = request("trip-0002");
    unknown["hotel_code"] = json!("NYC-NOWHERE");
    let error = s
        .invoke(Execution::new(unknown).payload("ReserveHotel", 0))
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), "HotelNotFound");
    assert_eq!(s.scan().await, before);
}

#[tokio::test]
async fn the_same_event_twice_books_once() {
    let s = setup(5, 5).await;
    let execution = Execution::new(request("trip-0001"));
    let first = s
        .invoke(execution.payload("ReserveHotel", 0))
        .await
        .unwrap();
    let after_first = s.scan().await;
    let again = s
        .invoke(execution.payload("ReserveHotel", 0))
        .await
        .unwrap();
    let retried = s
        .invoke(execution.payload("ReserveHotel", 1))
        .await
        .unwrap();
    let dispatched = dispatch_hotel(s.handler.service(), execution.payload("ReserveHotel", 0))
        .await
        .unwrap();
    assert_eq!([&again, &retried, &dispatched], [&first; 3]);
    assert_eq!(s.scan().await, after_first);
    assert_eq!(holds(&s).await, vec![json!({"trip-0001": 1}); 4]);
}

#[tokio::test]
async fn cancelling_what_was_never_booked_succeeds_and_writes_nothing() {
    let s = setup(5, 5).await;
    let before = s.scan().await;
    let mut execution = Execution::new(request("trip-0001"));
    execution.fail("States.Timeout", "ReserveHotel timed out");
    let outcome = s.invoke(execution.payload("CancelHotel", 0)).await.unwrap();
    assert_eq!(outcome, Value::Null);
    assert_eq!(s.scan().await, before);
}

/// A payload and what is wrong with it.
type Case = trip_testkit::Case;

/// The shared malformed payloads of `ReserveHotel`, split by what it
/// receives (`trip_testkit::malformed_split`).
fn shared_malformed() -> (Vec<Case>, Vec<Case>) {
    trip_testkit::malformed_split("ReserveHotel", "ProcessPayment")
}

/// What the saga could never have sent, or the hotel service cannot act
/// on: each is `Saga.InvalidPayload` and writes nothing.
fn malformed() -> Vec<Case> {
    let (mut payloads, _) = shared_malformed();
    let mut with = |what, field: &str, value: Value| {
        let mut request = request("trip-0001");
        request[field] = value;
        payloads.push((what, Execution::new(request).payload("ReserveHotel", 0)));
    };
    with("zero rooms", "rooms", json!(0));
    with(
        "a check-out before the check-in",
        "return_on",
        json!("2025-03-01"),
    );
    with("a stay of 31 nights", "return_on", json!("2025-05-02"));
    // The output of an earlier step the hotel does receive: its own
    // booking, in the compensation's input.
    let mut execution = Execution::new(request("trip-0001"));
    execution.record("ReserveHotel", json!(7));
    execution.fail("CardDeclined", "issuer declined");
    payloads.push((
        "the booking to cancel of the wrong shape",
        execution.payload("CancelHotel", 0),
    ));
    payloads
}

/// A payload wrong only in what other steps receive books as the good one
/// does: the hotel decodes only its own input.
#[tokio::test]
async fn what_only_other_steps_receive_is_not_the_hotels_concern() {
    let (_, elsewhere) = shared_malformed();
    assert!(!elsewhere.is_empty());
    for (what, payload) in elsewhere {
        // A table each: a second invocation would be answered from the
        // first one's idempotency record, before its input is decoded.
        let s = setup(5, 5).await;
        let booked = s
            .invoke(payload)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(booked["hotel_id"], json!("HB-trip-0001"), "{what}");
        assert_eq!(booked["price"], json!("960.00"), "{what}");
        assert_eq!(holds(&s).await, vec![json!({"trip-0001": 1}); 4], "{what}");
    }
}

#[tokio::test]
async fn a_malformed_payload_is_invalid_and_writes_nothing() {
    let s = setup(5, 5).await;
    s.assert_invalid_and_writes_nothing(malformed()).await;
    // The path names the field of the step's input the stay came from.
    let mut early = request("trip-0001");
    early["return_on"] = json!("2025-03-01");
    let error = s
        .invoke(Execution::new(early).payload("ReserveHotel", 0))
        .await
        .unwrap_err();
    assert!(error.message().contains("input.return_on"), "{error}");
}

#[tokio::test]
async fn the_binary_answers_a_malformed_event_with_a_lambda_error() {
    let s = setup(5, 5).await;
    let binary = s.binary(
        std::path::Path::new(env!("CARGO_BIN_EXE_hotel")),
        "TripBooking-hotel",
    );
    let before = s.scan().await;
    binary.assert_invalid(malformed());
    assert_eq!(s.scan().await, before);
    let payload = Execution::new(request("trip-0001")).payload("ReserveHotel", 0);
    let first = binary.invoke(payload.clone());
    let Outcome::Response(booked) = &first else {
        panic!("{first:?}")
    };
    assert_eq!(booked["price"], json!("960.00"));
    assert_eq!(binary.invoke(payload), first);
    assert_eq!(holds(&s).await, vec![json!({"trip-0001": 1}); 4]);
}
