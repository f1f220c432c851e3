//! The travel saga end to end against DynamoDB on moto_server.
//!
//! The generated `generated/trip-booking/statemachine.asl.json` is run by
//! `trip_e2e::machine` (an interpreter of the subset of ASL it uses): the
//! services are called in the order the definition says, with the payload
//! it builds (`States.JsonMerge($$, $, false)`), its retries and catches,
//! and its own root writes (`RecordStarted`, `RecordSucceeded`,
//! `RecordFailed`, `RecordCompensationFailed`) are its `TransactWriteItems`
//! parameters sent as they are. Every path runs, one trip each, on one
//! table seeded with the services' demo catalogues: the happy path, no
//! room (flight cancelled), a declined card (hotel then flight cancelled),
//! a payment whose response was lost (refunded, then hotel and flight
//! cancelled), no seat (nothing to undo), and a compensation that keeps
//! failing (`COMPENSATION_FAILED` and the alert). It runs twice: in
//! process through the runtime's `invoke_step`, and through the real
//! `flight`, `hotel` and `payment` binaries behind fake Lambda Runtime
//! APIs.
//!
//! Afterwards the table is checked, trip by trip:
//!
//! - the root's status (`CONFIRMED`, `CANCELLED`, `COMPENSATION_FAILED`)
//!   and version (1 at the start, 2 after the outcome);
//! - each entity's status (`RESERVED`, `CANCELLED`, `CHARGED`, `REFUNDED`),
//!   or its absence where the step never took effect;
//! - no orphaned reservation: no seat or room anywhere is held for a trip
//!   that is not confirmed (except the one whose compensation failed, which
//!   the alert event reports), and the confirmed trip holds exactly what it
//!   booked;
//! - one outbox event per change: the events are exactly the expected ones,
//!   every service change (one idempotency record per committed step) has
//!   exactly one event whose id derives from its idempotency key, and the
//!   machine's two root writes have one each.

use std::collections::BTreeMap;
use std::sync::Arc;

use sagac_runtime::store::{DynamoStore, IDEMPOTENCY_PREFIX, Item, Store, derive_event_id};
use serde_json::{Value, json};
use trip_e2e::lambdas::{Binaries, InProcess, build_binaries};
use trip_e2e::machine::{Definition, Fault, Lambdas, run};
use trip_e2e::seed_demo;
use trip_testkit::{request, scan, table};

/// The outbox sort key prefix of the spec under test.
fn outbox_prefix() -> String {
    flight::handlers::table_layout().outbox_prefix().to_owned()
}

/// What one trip must look like afterwards.
struct Expected {
    trip_id: &'static str,
    status: &'static str,
    /// The Lambda states invoked, in order (retries collapsed).
    states: &'static [&'static str],
    flight: Option<&'static str>,
    hotel: Option<&'static str>,
    payment: Option<&'static str>,
    /// Every outbox event of the trip.
    events: &'static [&'static str],
}

const HAPPY: Expected = Expected {
    trip_id: "trip-happy-0001",
    status: "CONFIRMED",
    states: &["ReserveFlight", "ReserveHotel", "ProcessPayment"],
    flight: Some("RESERVED"),
    hotel: Some("RESERVED"),
    payment: Some("CHARGED"),
    events: &[
        "TripRequested",
        "FlightReserved",
        "HotelReserved",
        "PaymentProcessed",
        "TripConfirmed",
    ],
};

const NO_ROOMS: Expected = Expected {
    trip_id: "trip-norooms-0001",
    status: "CANCELLED",
    states: &["ReserveFlight", "ReserveHotel", "CancelFlight"],
    flight: Some("CANCELLED"),
    hotel: None,
    payment: None,
    events: &[
        "TripRequested",
        "FlightReserved",
        "FlightCancelled",
        "TripCancelled",
    ],
};

const DECLINED: Expected = Expected {
    trip_id: "trip-declined-0001",
    status: "CANCELLED",
    states: &[
        "ReserveFlight",
        "ReserveHotel",
        "ProcessPayment",
        "CancelHotel",
        "CancelFlight",
    ],
    flight: Some("CANCELLED"),
    hotel: Some("CANCELLED"),
    payment: None,
    events: &[
        "TripRequested",
        "FlightReserved",
        "HotelReserved",
        "HotelCancelled",
        "FlightCancelled",
        "TripCancelled",
    ],
};

/// The payment committed but its response was lost (a timeout): an
/// ambiguous failure, so the payment is compensated too, and is refunded.
const LOST_PAYMENT_RESPONSE: Expected = Expected {
    trip_id: "trip-timeout-0001",
    status: "CANCELLED",
    states: &[
        "ReserveFlight",
        "ReserveHotel",
        "ProcessPayment",
        "RefundPayment",
        "CancelHotel",
        "CancelFlight",
    ],
    flight: Some("CANCELLED"),
    hotel: Some("CANCELLED"),
    payment: Some("REFUNDED"),
    events: &[
        "TripRequested",
        "FlightReserved",
        "HotelReserved",
        "PaymentProcessed",
        "PaymentRefunded",
        "HotelCancelled",
        "FlightCancelled",
        "TripCancelled",
    ],
};

/// The hotel has no room, and the flight cannot be cancelled: its
/// compensation still fails after its retries. The saga ends in
/// `COMPENSATION_FAILED` with the alert event; the seats stay held, and the
/// alert is what tells a human.
const COMPENSATION_FAILS: Expected = Expected {
    trip_id: "trip-compfail-0001",
    status: "COMPENSATION_FAILED",
    states: &["ReserveFlight", "ReserveHotel", "CancelFlight"],
    flight: Some("RESERVED"),
    hotel: None,
    payment: None,
    events: &["TripRequested", "FlightReserved", "TripCompensationFailed"],
};

const NO_SEATS: Expected = Expected {
    trip_id: "trip-noseats-0001",
    status: "CANCELLED",
    states: &["ReserveFlight"],
    flight: None,
    hotel: None,
    payment: None,
    events: &["TripRequested", "TripCancelled"],
};

/// Runs every path of the saga, one trip each, on one table seeded with
/// the demo catalogues, and checks the table.
async fn every_path(lambdas: &impl Lambdas, store: &DynamoStore) {
    seed_demo(store).await.unwrap();
    let cases: [(&Expected, Value, Option<Fault>); 6] = [
        (&HAPPY, request(HAPPY.trip_id), None),
        // LON-SOHO has no room on any night.
        (
            &NO_ROOMS,
            with(request(NO_ROOMS.trip_id), "hotel_code", json!("LON-SOHO")),
            None,
        ),
        (
            &DECLINED,
            with(
                request(DECLINED.trip_id),
                "card_token",
                json!("tok_declined_do_not_honor"),
            ),
            None,
        ),
        (
            &LOST_PAYMENT_RESPONSE,
            request(LOST_PAYMENT_RESPONSE.trip_id),
            Some(Fault::LoseResponse("ProcessPayment")),
        ),
        (
            &COMPENSATION_FAILS,
            with(
                request(COMPENSATION_FAILS.trip_id),
                "hotel_code",
                json!("LON-SOHO"),
            ),
            Some(Fault::Unavailable("CancelFlight")),
        ),
        // JL41 has a single seat; the trip asks for two.
        (
            &NO_SEATS,
            with(
                with(request(NO_SEATS.trip_id), "flight_number", json!("JL41")),
                "destination",
                json!("LHR"),
            ),
            None,
        ),
    ];
    let definition = Definition::trip_booking();
    let table = &store.config().table_name;
    for (expected, request, fault) in cases {
        let run = run(&definition, lambdas, table, request, fault).await;
        let trip = expected.trip_id;
        assert_eq!(run.lambda_states(), expected.states, "{trip}");
        let (end, failed) = match expected.status {
            "CONFIRMED" => ("RecordSucceeded", false),
            "COMPENSATION_FAILED" => ("CompensationFailed", true),
            _ => ("RolledBack", true),
        };
        assert_eq!(
            (run.end.as_str(), run.failed),
            (end, failed),
            "{trip}: {:#?}",
            run.history
        );
        assert_eq!(run.states().first(), Some(&"RecordStarted"));
        // Every failure is the intended one: a business error of the
        // failing step, or the injected timeout; never a payload the
        // service could not read.
        for visit in &run.history {
            if let Err(failure) = &visit.outcome {
                assert!(
                    ["States.Timeout", "TransientError"].contains(&failure.error.as_str())
                        || ["NoSeatsAvailable", "NoRoomsAvailable", "CardDeclined"]
                            .contains(&failure.error.as_str()),
                    "{trip}: {} failed with {failure:?}",
                    visit.state
                );
            }
        }
    }

    let items = scan(store).await;
    for expected in [
        &HAPPY,
        &NO_ROOMS,
        &DECLINED,
        &LOST_PAYMENT_RESPONSE,
        &NO_SEATS,
    ] {
        check_trip(&items, expected);
    }
    check_holds(&items);
}

fn with(mut request: Value, field: &str, value: Value) -> Value {
    request[field] = value;
    request
}

fn trip_items<'a>(items: &'a [Item], trip_id: &str) -> Vec<&'a Item> {
    let pk = format!("TRIP#{trip_id}");
    items.iter().filter(|i| i["PK"] == pk.as_str()).collect()
}

fn with_prefix<'a>(items: &[&'a Item], prefix: &str) -> Vec<&'a Item> {
    items
        .iter()
        .copied()
        .filter(|i| i["SK"].as_str().is_some_and(|sk| sk.starts_with(prefix)))
        .collect()
}

fn check_trip(items: &[Item], expected: &Expected) {
    let trip = expected.trip_id;
    let mine = trip_items(items, trip);

    let root = with_prefix(&mine, "METADATA");
    assert_eq!(root.len(), 1, "{trip}: one root item");
    assert_eq!(
        root[0]["status"],
        json!(expected.status),
        "{trip}: root status"
    );
    assert_eq!(root[0]["version"], json!(2), "{trip}: root version");

    for (prefix, status) in [
        ("FLIGHT#", expected.flight),
        ("HOTEL#", expected.hotel),
        ("PAYMENT#", expected.payment),
    ] {
        let entity = with_prefix(&mine, prefix);
        match status {
            None => assert!(entity.is_empty(), "{trip}: no {prefix} item: {entity:#?}"),
            Some(status) => {
                assert_eq!(entity.len(), 1, "{trip}: one {prefix} item");
                assert_eq!(
                    entity[0]["status"],
                    json!(status),
                    "{trip}: {prefix} status"
                );
            }
        }
    }

    // One outbox event per change.
    let outbox = with_prefix(&mine, &outbox_prefix());
    let mut events: Vec<&str> = outbox
        .iter()
        .map(|i| i["event_type"].as_str().unwrap())
        .collect();
    events.sort_unstable();
    let mut wanted = expected.events.to_vec();
    wanted.sort_unstable();
    assert_eq!(events, wanted, "{trip}: outbox events");
    let ids: BTreeMap<&str, &str> = outbox
        .iter()
        .map(|i| {
            (
                i["event_id"].as_str().unwrap(),
                i["event_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids.len(), outbox.len(), "{trip}: event ids are unique");
    for item in &outbox {
        // Every outbox item expires, whoever wrote it: the services (the
        // runtime's clock) or the state machine's root writes (the state's
        // entry time on the executor's virtual clock, plus the spec's
        // `outbox.ttl` of 7 days). The clock starts at the test kit's
        // 2025-03-01T09:00:00Z and moves only by retry intervals and timeouts
        // (a lost response costs the task's timeout), well within a minute.
        let expires = item["expires_at"]
            .as_u64()
            .unwrap_or_else(|| panic!("{trip}: outbox item without a TTL: {item:#?}"));
        let event_id = item["event_id"].as_str().unwrap();
        if event_id == format!("{trip}#{}", item["event_type"].as_str().unwrap()) {
            let entered = expires - 7 * 86_400;
            assert!(
                (1_740_819_600..1_740_819_660).contains(&entered),
                "{trip}: {event_id} expires {expires}, 7 days after {entered}"
            );
        }
        assert_eq!(item["saga_id"], json!(trip));
        assert_eq!(
            item["SK"],
            json!(format!(
                "{}{}",
                outbox_prefix(),
                item["event_id"].as_str().unwrap()
            ))
        );
    }
    let records = with_prefix(&mine, IDEMPOTENCY_PREFIX);
    // Every committed step recorded its result once, and emitted exactly
    // one event, whose id derives from the step's idempotency key.
    let service_events = outbox.len() - 2;
    assert_eq!(
        records.len(),
        service_events,
        "{trip}: one record per service change"
    );
    for record in records {
        let key = record["idempotency_key"].as_str().unwrap();
        let emitted: Vec<&str> = ids
            .iter()
            .filter(|(id, event)| **id == derive_event_id(key, event))
            .map(|(_, event)| *event)
            .collect();
        assert_eq!(emitted.len(), 1, "{trip}: step {key} emitted {emitted:?}");
    }
    for event in ["TripRequested", expected.events.last().unwrap()] {
        assert!(
            ids.contains_key(format!("{trip}#{event}").as_str()),
            "{trip}: the machine's {event}"
        );
    }
}

/// No seat or room is held for a trip that is not confirmed, except by the
/// trip whose compensation failed (its alert says so), and the confirmed
/// trip holds what it booked: 2 seats on NH203 on 2025-04-01, one room at
/// PAR-LOUVRE each night from 2025-04-01 to 2025-04-04.
fn check_holds(items: &[Item]) {
    let mut held: Vec<(String, String, u64)> = Vec::new();
    for item in items {
        let Some(holds) = item.get("holds").and_then(Value::as_object) else {
            continue;
        };
        for (trip, count) in holds {
            held.push((
                format!(
                    "{}/{}",
                    item["PK"].as_str().unwrap(),
                    item["SK"].as_str().unwrap()
                ),
                trip.clone(),
                count.as_u64().unwrap(),
            ));
        }
    }
    held.sort();
    let hold = |item: &str, trip: &str, count| (item.to_owned(), trip.to_owned(), count);
    let (confirmed, alerted) = (HAPPY.trip_id, COMPENSATION_FAILS.trip_id);
    assert_eq!(
        held,
        vec![
            hold("FLIGHT#NH203#2025-04-01/INVENTORY", alerted, 2),
            hold("FLIGHT#NH203#2025-04-01/INVENTORY", confirmed, 2),
            hold("HOTEL#PAR-LOUVRE/NIGHT#2025-04-01", confirmed, 1),
            hold("HOTEL#PAR-LOUVRE/NIGHT#2025-04-02", confirmed, 1),
            hold("HOTEL#PAR-LOUVRE/NIGHT#2025-04-03", confirmed, 1),
            hold("HOTEL#PAR-LOUVRE/NIGHT#2025-04-04", confirmed, 1),
        ],
        "the only holds are the confirmed trip's and the alerted one's"
    );
}

#[tokio::test]
async fn every_path_in_process() {
    let store = Arc::new(table().await);
    let shared: Arc<dyn Store> = store.clone();
    every_path(&InProcess::new(shared), &store).await;
}

#[tokio::test]
async fn every_path_through_the_service_binaries() {
    let binaries = tokio::task::spawn_blocking(build_binaries).await.unwrap();
    let store = table().await;
    let lambdas = Binaries::start(&binaries, &store.config().table_name);
    every_path(&lambdas, &store).await;
}
