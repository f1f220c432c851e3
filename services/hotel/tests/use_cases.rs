//! The hotel rules, exercised through the use cases and the service's own
//! repository over the runtime's memory store (with failures injected by
//! the runtime's `FaultyStore`): what the use cases decide is what the
//! Lambda commits.

use std::sync::Mutex;

use hotel::adapters::{DynamoHotelRepository, booking_entity, put_night};
use hotel::application::*;
use hotel::domain::*;
use sagac_runtime::serde_json::{Value, json};
use sagac_runtime::store::StoreError;
use trip_testkit::block_on;
use trip_testkit::memory::MemoryTable;

/// The repository of the Lambda over a memory store, and what a test needs
/// to look at the store or make it fail.
struct Hotels {
    table: MemoryTable,
    /// A command that commits first, between the moment the next use case
    /// reads and the moment it commits: the race the store's preconditions
    /// exist for.
    rival: Mutex<Option<ReserveHotel>>,
    repository: DynamoHotelRepository,
}

impl Hotels {
    /// Lets `command` commit between the next use case's read and its
    /// commit.
    fn rival_commits_first(&self, command: ReserveHotel) {
        *self.rival.lock().unwrap() = Some(command);
    }

    /// A table that sells nothing yet.
    fn new() -> Hotels {
        let table = MemoryTable::new();
        Hotels {
            repository: DynamoHotelRepository::new(table.store()),
            table,
            rival: Mutex::new(None),
        }
    }

    /// This table, selling `night` too.
    fn with_night(self, night: RoomInventory) -> Hotels {
        self.put_night(night);
        self
    }

    /// Stores `night` as it is, the way an operator loads a catalogue.
    fn put_night(&self, night: RoomInventory) {
        block_on(put_night(self.table.memory(), &night)).unwrap();
    }

    fn booking(&self, trip_id: &TripId) -> Option<HotelBooking> {
        block_on(self.repository.load_booking(trip_id)).unwrap()
    }

    fn night(&self, hotel_code: &HotelCode, night: Date) -> Option<RoomInventory> {
        let next = night.next_day().unwrap();
        let nights = block_on(self.repository.load_nights(hotel_code, night, next)).unwrap();
        nights.into_iter().next()
    }

    /// Every event committed so far, oldest first, as its type and payload.
    fn outbox(&self) -> Vec<(String, Value)> {
        self.table
            .outbox(hotel::handlers::table_layout().outbox_prefix())
    }
}

impl HotelRepository for Hotels {
    async fn load_booking(
        &self,
        trip_id: &TripId,
    ) -> Result<Option<HotelBooking>, RepositoryError> {
        self.repository.load_booking(trip_id).await
    }

    async fn load_nights(
        &self,
        hotel_code: &HotelCode,
        check_in: Date,
        check_out: Date,
    ) -> Result<Vec<RoomInventory>, RepositoryError> {
        self.repository
            .load_nights(hotel_code, check_in, check_out)
            .await
    }

    async fn commit(&self, commit: HotelCommit) -> Result<(), RepositoryError> {
        let rival = self.rival.lock().unwrap().take();
        if let Some(rival) = rival {
            reserve_hotel(&self.repository, rival).await.unwrap();
        }
        self.repository.commit(commit).await
    }
}

/// An event as the outbox holds it: its type and its payload.
fn event(event: HotelEvent) -> (String, Value) {
    let payload = match &event {
        HotelEvent::HotelReserved { booking } => {
            sagac_runtime::serde_json::to_value(booking_entity(booking)).unwrap()
        }
        HotelEvent::HotelCancelled {
            trip_id,
            hotel_id,
            status,
        } => json!({
            "trip_id": trip_id.as_str(), "hotel_id": hotel_id.as_str(), "status": status.as_str()
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

fn louvre() -> HotelCode {
    HotelCode::new("PAR-LOUVRE").unwrap()
}

fn night(on: &str, capacity: u32, rate: &str) -> RoomInventory {
    RoomInventory::new(louvre(), date(on), capacity, rate.parse().unwrap())
}

/// PAR-LOUVRE sells the nights of 2025-04-01 to 2025-04-04 (four nights),
/// with `capacity` rooms each; the weekend nights cost more.
fn repository(capacity: u32) -> Hotels {
    Hotels::new()
        .with_night(night("2025-04-01", capacity, "180.00"))
        .with_night(night("2025-04-02", capacity, "180.00"))
        .with_night(night("2025-04-03", capacity, "240.50"))
        .with_night(night("2025-04-04", capacity, "240.50"))
}

fn reserve(trip_id: &str, check_in: &str, check_out: &str, rooms: i64) -> ReserveHotel {
    ReserveHotel {
        trip_id: trip_id.to_owned(),
        hotel_code: "PAR-LOUVRE".to_owned(),
        check_in: check_in.to_owned(),
        check_out: check_out.to_owned(),
        rooms,
        idempotency_key: format!("{trip_id}#ReserveHotel"),
    }
}

fn cancel(trip_id: &str) -> CancelHotel {
    CancelHotel {
        trip_id: trip_id.to_owned(),
        idempotency_key: format!("{trip_id}#CancelHotel"),
    }
}

/// The free rooms of each night the hotel sells, in night order.
fn rooms_available(repository: &Hotels) -> Vec<u32> {
    ["2025-04-01", "2025-04-02", "2025-04-03", "2025-04-04"]
        .iter()
        .map(|on| {
            repository
                .night(&louvre(), date(on))
                .unwrap()
                .rooms_available()
        })
        .collect()
}

#[test]
fn reserving_holds_every_night_and_emits_hotel_reserved() {
    let repository = repository(5);
    let booking = block_on(reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-02", "2025-04-04", 2),
    ))
    .unwrap();

    assert_eq!(
        booking,
        HotelBooking {
            trip_id: trip("trip-0001"),
            hotel_id: HotelId::new("HB-trip-0001").unwrap(),
            hotel_code: louvre(),
            check_in: date("2025-04-02"),
            check_out: date("2025-04-04"),
            rooms: 2,
            price: "841.00".parse().unwrap(),
            status: BookingStatus::Reserved,
        }
    );
    // The check-out day is not a night of the stay.
    assert_eq!(rooms_available(&repository), [5, 3, 3, 5]);
    assert_eq!(
        repository.booking(&trip("trip-0001")),
        Some(booking.clone())
    );
    assert_eq!(
        repository.outbox(),
        vec![event(HotelEvent::HotelReserved { booking })]
    );
}

#[test]
fn exactly_the_last_room_can_be_reserved_and_then_none() {
    let repository = repository(2);
    block_on(reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-01", "2025-04-03", 1),
    ))
    .unwrap();
    block_on(reserve_hotel(
        &repository,
        reserve("trip-0002", "2025-04-02", "2025-04-05", 1),
    ))
    .unwrap();
    assert_eq!(rooms_available(&repository), [1, 0, 1, 1]);

    let error = block_on(reserve_hotel(
        &repository,
        reserve("trip-0003", "2025-04-01", "2025-04-04", 1),
    ))
    .unwrap_err();
    assert_eq!(
        error,
        HotelError::NoRoomsAvailable {
            hotel_code: louvre(),
            night: date("2025-04-02"),
            requested: 1,
            available: 0,
        }
    );
    assert_eq!(error.name(), "NoRoomsAvailable");
    assert_eq!(error.kind(), FailureKind::Business);
    // All or nothing: the free nights around the full one stay free.
    assert_eq!(rooms_available(&repository), [1, 0, 1, 1]);
    assert_eq!(repository.outbox().len(), 2);
}

#[test]
fn a_stay_over_a_night_the_hotel_does_not_sell_has_no_rooms() {
    let repository = repository(5);
    let error = block_on(reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-04", "2025-04-06", 1),
    ))
    .unwrap_err();
    assert_eq!(
        error,
        HotelError::NoRoomsAvailable {
            hotel_code: louvre(),
            night: date("2025-04-05"),
            requested: 1,
            available: 0,
        }
    );
    assert_eq!(rooms_available(&repository), [5, 5, 5, 5]);
    assert!(repository.outbox().is_empty());
}

#[test]
fn a_hotel_that_sells_none_of_the_nights_is_not_found() {
    let repository = repository(5);
    let unknown = ReserveHotel {
        hotel_code: "PAR-OPERA".to_owned(),
        ..reserve("trip-0001", "2025-04-01", "2025-04-02", 1)
    };
    let malformed = ReserveHotel {
        hotel_code: "the louvre".to_owned(),
        ..reserve("trip-0001", "2025-04-01", "2025-04-02", 1)
    };
    let closed_season = reserve("trip-0001", "2025-08-01", "2025-08-03", 1);
    for command in [unknown, malformed, closed_season] {
        let error = block_on(reserve_hotel(&repository, command.clone())).unwrap_err();
        assert_eq!(
            error,
            HotelError::HotelNotFound {
                hotel_code: command.hotel_code.clone(),
                check_in: date(&command.check_in),
            }
        );
        assert_eq!(error.name(), "HotelNotFound");
        assert_eq!(error.kind(), FailureKind::Business);
    }
    assert!(repository.outbox().is_empty());
}

#[test]
fn reserving_twice_for_a_trip_returns_the_first_booking() {
    let repository = repository(5);
    let command = reserve("trip-0001", "2025-04-01", "2025-04-03", 2);
    let first = block_on(reserve_hotel(&repository, command.clone())).unwrap();
    let again = block_on(reserve_hotel(&repository, command)).unwrap();
    assert_eq!(again, first);
    assert_eq!(rooms_available(&repository), [3, 3, 5, 5]);
    assert_eq!(repository.outbox().len(), 1);
}

#[test]
fn a_trip_cannot_book_something_else_over_its_booking() {
    let repository = repository(5);
    block_on(reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-01", "2025-04-03", 2),
    ))
    .unwrap();
    let error = block_on(reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-01", "2025-04-04", 2),
    ))
    .unwrap_err();
    assert!(matches!(
        error,
        HotelError::InvalidCommand {
            field: "trip_id",
            ..
        }
    ));
    assert_eq!(error.kind(), FailureKind::Rejected);
}

#[test]
fn cancelling_releases_every_night() {
    let repository = repository(3);
    block_on(reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-01", "2025-04-05", 3),
    ))
    .unwrap();
    assert_eq!(rooms_available(&repository), [0, 0, 0, 0]);

    let cancellation = block_on(cancel_hotel(&repository, cancel("trip-0001"))).unwrap();
    let HotelCancellation::Cancelled(booking) = cancellation else {
        panic!("expected a cancellation, got {cancellation:?}");
    };
    assert_eq!(booking.status, BookingStatus::Cancelled);
    assert_eq!(rooms_available(&repository), [3, 3, 3, 3]);
    assert_eq!(
        repository.outbox().last(),
        Some(&event(HotelEvent::HotelCancelled {
            trip_id: trip("trip-0001"),
            hotel_id: HotelId::new("HB-trip-0001").unwrap(),
            status: BookingStatus::Cancelled,
        }))
    );
    block_on(reserve_hotel(
        &repository,
        reserve("trip-0002", "2025-04-01", "2025-04-05", 3),
    ))
    .unwrap();
}

#[test]
fn cancelling_twice_succeeds_and_writes_once() {
    let repository = repository(3);
    block_on(reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-01", "2025-04-03", 1),
    ))
    .unwrap();
    block_on(cancel_hotel(&repository, cancel("trip-0001"))).unwrap();
    let again = block_on(cancel_hotel(&repository, cancel("trip-0001"))).unwrap();
    assert!(matches!(again, HotelCancellation::AlreadyCancelled(_)));
    assert_eq!(
        again.booking().map(|b| b.status),
        Some(BookingStatus::Cancelled)
    );
    assert_eq!(rooms_available(&repository), [3, 3, 3, 3]);
    assert_eq!(repository.outbox().len(), 2);
}

#[test]
fn cancelling_an_unknown_booking_is_nothing_to_undo() {
    let repository = repository(3);
    for trip_id in ["trip-9999", "not a trip id #", ""] {
        let cancellation = block_on(cancel_hotel(&repository, cancel(trip_id))).unwrap();
        assert_eq!(cancellation, HotelCancellation::NothingToUndo);
        assert_eq!(cancellation.booking(), None);
    }
    assert!(repository.outbox().is_empty());
    assert_eq!(rooms_available(&repository), [3, 3, 3, 3]);
}

#[test]
fn a_cancelled_trip_cannot_book_again() {
    let repository = repository(3);
    let command = reserve("trip-0001", "2025-04-01", "2025-04-03", 1);
    block_on(reserve_hotel(&repository, command.clone())).unwrap();
    block_on(cancel_hotel(&repository, cancel("trip-0001"))).unwrap();
    let error = block_on(reserve_hotel(&repository, command)).unwrap_err();
    assert_eq!(
        error,
        HotelError::AlreadyCompensated {
            trip_id: trip("trip-0001")
        }
    );
    assert_eq!(rooms_available(&repository), [3, 3, 3, 3]);
}

#[test]
fn a_night_reloaded_since_the_booking_is_still_cancelled() {
    let repository = repository(3);
    block_on(reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-01", "2025-04-03", 2),
    ))
    .unwrap();
    // The hotel reloads one night's allotment, which forgets the trip's hold.
    repository.put_night(night("2025-04-02", 3, "180.00"));
    let cancellation = block_on(cancel_hotel(&repository, cancel("trip-0001"))).unwrap();
    assert!(matches!(cancellation, HotelCancellation::Cancelled(_)));
    assert_eq!(rooms_available(&repository), [3, 3, 3, 3]);
}

#[test]
fn malformed_commands_are_rejected_by_field() {
    let repository = repository(5);
    let ok = reserve("trip-0001", "2025-04-01", "2025-04-03", 1);
    let cases = [
        (
            ReserveHotel {
                rooms: 0,
                ..ok.clone()
            },
            "rooms",
        ),
        (
            ReserveHotel {
                rooms: 10,
                ..ok.clone()
            },
            "rooms",
        ),
        (
            ReserveHotel {
                rooms: -2,
                ..ok.clone()
            },
            "rooms",
        ),
        (
            ReserveHotel {
                check_in: "04/01/2025".to_owned(),
                ..ok.clone()
            },
            "check_in",
        ),
        (
            ReserveHotel {
                check_out: "2025-04-31".to_owned(),
                ..ok.clone()
            },
            "check_out",
        ),
        (
            ReserveHotel {
                check_out: "2025-04-01".to_owned(),
                ..ok.clone()
            },
            "check_out",
        ),
        (
            ReserveHotel {
                check_out: "2025-03-30".to_owned(),
                ..ok.clone()
            },
            "check_out",
        ),
        (
            ReserveHotel {
                check_out: "2025-05-02".to_owned(),
                ..ok.clone()
            },
            "check_out",
        ),
        (
            ReserveHotel {
                trip_id: "trip#1".to_owned(),
                ..ok.clone()
            },
            "trip_id",
        ),
        (
            ReserveHotel {
                idempotency_key: String::new(),
                ..ok.clone()
            },
            "idempotency_key",
        ),
    ];
    for (command, expected_field) in cases {
        let error = block_on(reserve_hotel(&repository, command.clone())).unwrap_err();
        assert!(
            matches!(error, HotelError::InvalidCommand { field, .. } if field == expected_field),
            "{command:?}: {error:?}"
        );
        assert_eq!(error.name(), "InvalidCommand");
    }
    assert!(repository.outbox().is_empty());
}

#[test]
fn a_stay_of_exactly_thirty_nights_can_be_booked() {
    let mut repository = Hotels::new();
    let mut on = date("2025-04-01");
    for _ in 0..30 {
        repository =
            repository.with_night(RoomInventory::new(louvre(), on, 1, "100".parse().unwrap()));
        on = on.next_day().unwrap();
    }
    let booking = block_on(reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-01", "2025-05-01", 1),
    ))
    .unwrap();
    assert_eq!(booking.price.to_string(), "3000");
}

#[test]
fn store_failures_are_transient_and_write_nothing() {
    let repository = repository(5);
    repository.table.fail_next(StoreError::Transient {
        message: "throttled".to_owned(),
    });
    let command = reserve("trip-0001", "2025-04-01", "2025-04-02", 1);
    let error = block_on(reserve_hotel(&repository, command.clone())).unwrap_err();
    assert_eq!(error.name(), "TransientError");
    assert_eq!(error.kind(), FailureKind::Transient);
    assert!(repository.outbox().is_empty());
    block_on(reserve_hotel(&repository, command)).unwrap();
}

#[test]
fn stays_overlapping_on_the_last_room_cannot_both_win() {
    let store = repository(1);
    // The rival takes only the last night of our stay.
    store.rival_commits_first(reserve("trip-0002", "2025-04-03", "2025-04-04", 1));
    let error = block_on(reserve_hotel(
        &store,
        reserve("trip-0001", "2025-04-01", "2025-04-04", 1),
    ))
    .unwrap_err();
    assert!(matches!(
        error,
        HotelError::Repository(RepositoryError::Conflict { .. })
    ));
    assert_eq!(rooms_available(&store), [1, 1, 0, 1]);

    let error = block_on(reserve_hotel(
        &store,
        reserve("trip-0001", "2025-04-01", "2025-04-04", 1),
    ))
    .unwrap_err();
    assert!(matches!(
        error,
        HotelError::NoRoomsAvailable { available: 0, .. }
    ));
}

#[test]
fn use_case_futures_can_move_between_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let repository = repository(1);
    let reserving = reserve_hotel(
        &repository,
        reserve("trip-0001", "2025-04-01", "2025-04-02", 1),
    );
    assert_send(&reserving);
    let cancelling = cancel_hotel(&repository, cancel("trip-0001"));
    assert_send(&cancelling);
}
