//! The flight rules, exercised through the use cases and the service's own
//! repository over the runtime's memory store (with failures injected by
//! the runtime's `FaultyStore`): what the use cases decide is what the
//! Lambda commits.

use std::collections::BTreeMap;
use std::sync::Mutex;

use flight::adapters::{
    DynamoFlightRepository, put_inventory, reservation_entity, reservation_key,
};
use flight::application::*;
use flight::domain::*;
use sagac_runtime::serde_json::{Value, json};
use sagac_runtime::store::{Store, StoreError, Update, WriteOp};
use trip_testkit::block_on;
use trip_testkit::memory::MemoryTable;

/// The repository of the Lambda over a memory store, and what a test needs
/// to look at the store or make it fail.
struct Flights {
    table: MemoryTable,
    /// A command that commits first, between the moment the next use case
    /// reads and the moment it commits: the race the store's preconditions
    /// exist for.
    rival: Mutex<Option<ReserveFlight>>,
    repository: DynamoFlightRepository,
}

impl Flights {
    /// Lets `command` commit between the next use case's read and its
    /// commit.
    fn rival_commits_first(&self, command: ReserveFlight) {
        *self.rival.lock().unwrap() = Some(command);
    }

    /// A table that sells `inventory`.
    fn with_inventory(inventory: FlightInventory) -> Flights {
        let table = MemoryTable::new();
        let flights = Flights {
            repository: DynamoFlightRepository::new(table.store()),
            table,
            rival: Mutex::new(None),
        };
        flights.put_inventory(inventory);
        flights
    }

    /// Stores `inventory` as it is, the way an operator loads a schedule.
    fn put_inventory(&self, inventory: FlightInventory) {
        block_on(put_inventory(self.table.memory(), &inventory)).unwrap();
    }

    fn reservation(&self, trip_id: &TripId) -> Option<FlightReservation> {
        block_on(self.repository.load_reservation(trip_id)).unwrap()
    }

    fn inventory(&self, flight_number: &FlightNumber, depart_on: Date) -> Option<FlightInventory> {
        block_on(self.repository.load_inventory(flight_number, depart_on)).unwrap()
    }

    /// Every event committed so far, oldest first, as its type and payload.
    fn outbox(&self) -> Vec<(String, Value)> {
        self.table
            .outbox(flight::handlers::table_layout().outbox_prefix())
    }
}

impl FlightRepository for Flights {
    async fn load_reservation(
        &self,
        trip_id: &TripId,
    ) -> Result<Option<FlightReservation>, RepositoryError> {
        self.repository.load_reservation(trip_id).await
    }

    async fn load_inventory(
        &self,
        flight_number: &FlightNumber,
        depart_on: Date,
    ) -> Result<Option<FlightInventory>, RepositoryError> {
        self.repository
            .load_inventory(flight_number, depart_on)
            .await
    }

    async fn commit(&self, commit: FlightCommit) -> Result<(), RepositoryError> {
        let rival = self.rival.lock().unwrap().take();
        if let Some(rival) = rival {
            reserve_flight(&self.repository, rival).await.unwrap();
        }
        self.repository.commit(commit).await
    }
}

/// An event as the outbox holds it: its type and its payload.
fn event(event: FlightEvent) -> (String, Value) {
    let payload = match &event {
        FlightEvent::FlightReserved { reservation } => {
            sagac_runtime::serde_json::to_value(reservation_entity(reservation)).unwrap()
        }
        FlightEvent::FlightCancelled {
            trip_id,
            flight_id,
            status,
        } => json!({
            "trip_id": trip_id.as_str(), "flight_id": flight_id.as_str(), "status": status.as_str()
        }),
    };
    (event.name().to_owned(), payload)
}

fn trip(id: &str) -> TripId {
    TripId::new(id).unwrap()
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

fn nh203() -> FlightNumber {
    FlightNumber::new("NH203").unwrap()
}

/// NH203 from HND to CDG on 2025-04-01, at 1200.50 a seat.
fn nh203_inventory(capacity: u32) -> FlightInventory {
    FlightInventory::new(
        nh203(),
        date("2025-04-01"),
        Route::new(
            AirportCode::new("HND").unwrap(),
            AirportCode::new("CDG").unwrap(),
        )
        .unwrap(),
        capacity,
        "1200.50".parse().unwrap(),
    )
}

fn repository(capacity: u32) -> Flights {
    Flights::with_inventory(nh203_inventory(capacity))
}

fn reserve(trip_id: &str, seats: i64) -> ReserveFlight {
    ReserveFlight {
        trip_id: trip_id.to_owned(),
        origin: "HND".to_owned(),
        destination: "CDG".to_owned(),
        flight_number: "NH203".to_owned(),
        depart_on: "2025-04-01".to_owned(),
        return_on: "2025-04-10".to_owned(),
        seats,
        idempotency_key: format!("{trip_id}#ReserveFlight"),
    }
}

fn cancel(trip_id: &str) -> CancelFlight {
    CancelFlight {
        trip_id: trip_id.to_owned(),
        idempotency_key: format!("{trip_id}#CancelFlight"),
    }
}

fn seats_available(repository: &Flights) -> u32 {
    repository
        .inventory(&nh203(), date("2025-04-01"))
        .unwrap()
        .seats_available()
}

#[test]
fn reserving_holds_the_seats_and_emits_flight_reserved() {
    let repository = repository(10);
    let reservation = block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap();

    assert_eq!(
        reservation,
        FlightReservation {
            trip_id: trip("trip-0001"),
            flight_id: FlightId::new("FR-trip-0001").unwrap(),
            flight_number: nh203(),
            depart_on: date("2025-04-01"),
            return_on: date("2025-04-10"),
            seats: 2,
            price: "2401.00".parse().unwrap(),
            status: ReservationStatus::Reserved,
        }
    );
    assert_eq!(reservation.price.to_string(), "2401.00");
    assert_eq!(
        repository.reservation(&trip("trip-0001")),
        Some(reservation.clone())
    );
    let inventory = repository.inventory(&nh203(), date("2025-04-01")).unwrap();
    assert_eq!(inventory.held_by(&trip("trip-0001")), 2);
    assert_eq!(inventory.version(), 1);
    assert_eq!(
        repository.outbox(),
        vec![event(FlightEvent::FlightReserved { reservation })]
    );
}

#[test]
fn exactly_the_last_seat_can_be_reserved_and_then_none() {
    let repository = repository(3);
    block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap();
    block_on(reserve_flight(&repository, reserve("trip-0002", 1))).unwrap();
    assert_eq!(seats_available(&repository), 0);

    let error = block_on(reserve_flight(&repository, reserve("trip-0003", 1))).unwrap_err();
    assert_eq!(
        error,
        FlightError::NoSeatsAvailable {
            flight_number: nh203(),
            depart_on: date("2025-04-01"),
            requested: 1,
            available: 0,
        }
    );
    assert_eq!(error.name(), "NoSeatsAvailable");
    assert_eq!(error.kind(), FailureKind::Business);
}

#[test]
fn one_seat_too_many_holds_nothing_and_writes_nothing() {
    let repository = repository(3);
    let error = block_on(reserve_flight(&repository, reserve("trip-0001", 4))).unwrap_err();
    assert!(matches!(
        error,
        FlightError::NoSeatsAvailable {
            requested: 4,
            available: 3,
            ..
        }
    ));
    assert_eq!(seats_available(&repository), 3);
    assert_eq!(repository.reservation(&trip("trip-0001")), None);
    assert!(repository.outbox().is_empty());
}

#[test]
fn a_flight_not_sold_that_day_or_on_that_route_is_not_found() {
    let repository = repository(10);
    let wrong_date = ReserveFlight {
        depart_on: "2025-04-02".to_owned(),
        ..reserve("trip-0001", 1)
    };
    let wrong_number = ReserveFlight {
        flight_number: "NH204".to_owned(),
        ..reserve("trip-0001", 1)
    };
    let wrong_route = ReserveFlight {
        destination: "JFK".to_owned(),
        ..reserve("trip-0001", 1)
    };
    let malformed_number = ReserveFlight {
        flight_number: "not a flight".to_owned(),
        ..reserve("trip-0001", 1)
    };
    let nowhere = ReserveFlight {
        destination: "HND".to_owned(),
        ..reserve("trip-0001", 1)
    };
    for command in [
        wrong_date,
        wrong_number,
        wrong_route,
        malformed_number,
        nowhere,
    ] {
        let error = block_on(reserve_flight(&repository, command.clone())).unwrap_err();
        assert!(
            matches!(&error, FlightError::FlightNotFound { flight_number, .. } if *flight_number == command.flight_number),
            "{command:?}: {error:?}"
        );
        assert_eq!(error.name(), "FlightNotFound");
        assert_eq!(error.kind(), FailureKind::Business);
    }
    assert!(repository.outbox().is_empty());
}

#[test]
fn reserving_twice_for_a_trip_returns_the_first_reservation() {
    let repository = repository(10);
    let first = block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap();
    let again = block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap();
    assert_eq!(again, first);
    assert_eq!(seats_available(&repository), 8);
    assert_eq!(repository.outbox().len(), 1);
}

#[test]
fn a_trip_cannot_reserve_something_else_over_its_reservation() {
    let repository = repository(10);
    block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap();
    let error = block_on(reserve_flight(&repository, reserve("trip-0001", 3))).unwrap_err();
    assert!(matches!(
        error,
        FlightError::InvalidCommand {
            field: "trip_id",
            ..
        }
    ));
    assert_eq!(error.kind(), FailureKind::Rejected);
    assert_eq!(seats_available(&repository), 8);
}

#[test]
fn cancelling_releases_the_seats_for_other_trips() {
    let repository = repository(2);
    block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap();
    let cancellation = block_on(cancel_flight(&repository, cancel("trip-0001"))).unwrap();

    let FlightCancellation::Cancelled(reservation) = cancellation else {
        panic!("expected a cancellation, got {cancellation:?}");
    };
    assert_eq!(reservation.status, ReservationStatus::Cancelled);
    assert_eq!(reservation.seats, 2);
    assert_eq!(seats_available(&repository), 2);
    assert_eq!(
        repository.outbox().last(),
        Some(&event(FlightEvent::FlightCancelled {
            trip_id: trip("trip-0001"),
            flight_id: FlightId::new("FR-trip-0001").unwrap(),
            status: ReservationStatus::Cancelled,
        }))
    );
    block_on(reserve_flight(&repository, reserve("trip-0002", 2))).unwrap();
}

#[test]
fn cancelling_twice_succeeds_and_writes_once() {
    let repository = repository(5);
    block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap();
    block_on(cancel_flight(&repository, cancel("trip-0001"))).unwrap();
    let inventory_after_first = repository.inventory(&nh203(), date("2025-04-01"));

    let again = block_on(cancel_flight(&repository, cancel("trip-0001"))).unwrap();
    assert!(matches!(again, FlightCancellation::AlreadyCancelled(_)));
    assert_eq!(
        again.reservation().map(|r| r.status),
        Some(ReservationStatus::Cancelled)
    );
    assert_eq!(
        repository.inventory(&nh203(), date("2025-04-01")),
        inventory_after_first
    );
    assert_eq!(repository.outbox().len(), 2);
}

#[test]
fn cancelling_an_unknown_reservation_is_nothing_to_undo() {
    let repository = repository(5);
    for trip_id in ["trip-9999", "not a trip id #", ""] {
        let cancellation = block_on(cancel_flight(&repository, cancel(trip_id))).unwrap();
        assert_eq!(cancellation, FlightCancellation::NothingToUndo);
        assert_eq!(cancellation.reservation(), None);
    }
    assert!(repository.outbox().is_empty());
    assert_eq!(
        repository.inventory(&nh203(), date("2025-04-01")),
        Some(nh203_inventory(5))
    );
}

#[test]
fn a_cancelled_trip_cannot_reserve_again() {
    let repository = repository(5);
    block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap();
    block_on(cancel_flight(&repository, cancel("trip-0001"))).unwrap();
    let error = block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap_err();
    assert_eq!(
        error,
        FlightError::AlreadyCompensated {
            trip_id: trip("trip-0001")
        }
    );
    assert_eq!(error.name(), "AlreadyCompensated");
    assert_eq!(seats_available(&repository), 5);
}

#[test]
fn a_flight_withdrawn_from_sale_is_still_cancelled() {
    let repository = repository(5);
    block_on(reserve_flight(&repository, reserve("trip-0001", 2))).unwrap();
    // The operator replaces the schedule with one that no longer knows the
    // trip's hold; the reservation is cancelled without touching it.
    repository.put_inventory(nh203_inventory(5));
    let cancellation = block_on(cancel_flight(&repository, cancel("trip-0001"))).unwrap();
    assert!(matches!(cancellation, FlightCancellation::Cancelled(_)));
    assert_eq!(seats_available(&repository), 5);
}

#[test]
fn malformed_commands_are_rejected_by_field() {
    let repository = repository(10);
    let cases = [
        (
            ReserveFlight {
                seats: 0,
                ..reserve("trip-0001", 1)
            },
            "seats",
        ),
        (
            ReserveFlight {
                seats: 10,
                ..reserve("trip-0001", 1)
            },
            "seats",
        ),
        (
            ReserveFlight {
                seats: -1,
                ..reserve("trip-0001", 1)
            },
            "seats",
        ),
        (
            ReserveFlight {
                seats: i64::MAX,
                ..reserve("trip-0001", 1)
            },
            "seats",
        ),
        (
            ReserveFlight {
                depart_on: "2025-02-30".to_owned(),
                ..reserve("trip-0001", 1)
            },
            "depart_on",
        ),
        (
            ReserveFlight {
                return_on: "next week".to_owned(),
                ..reserve("trip-0001", 1)
            },
            "return_on",
        ),
        (
            ReserveFlight {
                return_on: "2025-03-31".to_owned(),
                ..reserve("trip-0001", 1)
            },
            "return_on",
        ),
        (reserve("trip#0001", 1), "trip_id"),
        (
            ReserveFlight {
                idempotency_key: String::new(),
                ..reserve("trip-0001", 1)
            },
            "idempotency_key",
        ),
    ];
    for (command, expected_field) in cases {
        let error = block_on(reserve_flight(&repository, command.clone())).unwrap_err();
        assert!(
            matches!(error, FlightError::InvalidCommand { field, .. } if field == expected_field),
            "{command:?}: {error:?}"
        );
        assert_eq!(error.name(), "InvalidCommand");
    }
    assert!(repository.outbox().is_empty());
}

#[test]
fn a_same_day_return_is_a_valid_trip() {
    let repository = repository(10);
    let command = ReserveFlight {
        return_on: "2025-04-01".to_owned(),
        ..reserve("trip-0001", 1)
    };
    assert!(block_on(reserve_flight(&repository, command)).is_ok());
}

#[test]
fn store_failures_are_transient_and_write_nothing() {
    let repository = repository(10);
    repository.table.fail_next(StoreError::Transient {
        message: "throttled".to_owned(),
    });
    let error = block_on(reserve_flight(&repository, reserve("trip-0001", 1))).unwrap_err();
    assert_eq!(error.name(), "TransientError");
    assert_eq!(error.kind(), FailureKind::Transient);
    assert!(repository.outbox().is_empty());
    // The retry the state machine makes then succeeds.
    block_on(reserve_flight(&repository, reserve("trip-0001", 1))).unwrap();

    // A damaged item cannot be read back, and says which one it is.
    block_on(repository.table.memory().write(WriteOp::update(
        reservation_key(&trip("trip-0001")),
        Update::new().set("seats", "two"),
    )))
    .unwrap();
    let error = block_on(cancel_flight(&repository, cancel("trip-0001"))).unwrap_err();
    assert_eq!(error.name(), "CorruptRecord");
    assert!(error.to_string().contains("FLIGHT#FR-trip-0001"), "{error}");
    assert_eq!(error.kind(), FailureKind::Rejected);
}

#[test]
fn two_trips_racing_for_the_last_seat_cannot_both_win() {
    let store = repository(1);
    store.rival_commits_first(reserve("trip-0002", 1));
    let error = block_on(reserve_flight(&store, reserve("trip-0001", 1))).unwrap_err();
    assert!(matches!(
        error,
        FlightError::Repository(RepositoryError::Conflict { .. })
    ));
    assert_eq!(error.name(), "TransientError");

    // The retry reads the rival's hold and gets the business answer.
    let error = block_on(reserve_flight(&store, reserve("trip-0001", 1))).unwrap_err();
    assert!(matches!(
        error,
        FlightError::NoSeatsAvailable { available: 0, .. }
    ));
    assert_eq!(store.reservation(&trip("trip-0001")), None);
    assert_eq!(store.outbox().len(), 1);
}

#[test]
fn a_duplicated_invocation_racing_itself_books_once() {
    let store = repository(5);
    store.rival_commits_first(reserve("trip-0001", 2));
    let error = block_on(reserve_flight(&store, reserve("trip-0001", 2))).unwrap_err();
    assert_eq!(error.kind(), FailureKind::Transient);
    let retried = block_on(reserve_flight(&store, reserve("trip-0001", 2))).unwrap();
    assert_eq!(Some(retried), store.reservation(&trip("trip-0001")));
    assert_eq!(seats_available(&store), 3);
    assert_eq!(store.outbox().len(), 1);
}

#[test]
fn prices_are_exact_for_every_seat_count() {
    for seats in 1..=9 {
        let repository = repository(9);
        let reservation =
            block_on(reserve_flight(&repository, reserve("trip-0001", seats))).unwrap();
        let expected = Price::new(120_050 * u64::try_from(seats).unwrap(), 2).unwrap();
        assert_eq!(reservation.price, expected);
    }
}

#[test]
fn overbooked_holds_survive_a_round_trip_through_restore() {
    let mut holds = BTreeMap::new();
    holds.insert(trip("trip-0001"), 4);
    let base = nh203_inventory(0);
    let repository = Flights::with_inventory(FlightInventory::restore(
        base.flight_number().clone(),
        base.depart_on(),
        base.route().clone(),
        2,
        base.fare(),
        holds,
        3,
    ));
    let error = block_on(reserve_flight(&repository, reserve("trip-0002", 1))).unwrap_err();
    assert!(matches!(
        error,
        FlightError::NoSeatsAvailable { available: 0, .. }
    ));
}

#[test]
fn use_case_futures_can_move_between_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let repository = repository(1);
    let reserving = reserve_flight(&repository, reserve("trip-0001", 1));
    assert_send(&reserving);
    let cancelling = cancel_flight(&repository, cancel("trip-0001"));
    assert_send(&cancelling);
}
