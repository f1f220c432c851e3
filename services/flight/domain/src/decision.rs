//! The rules that decide a reservation or a cancellation, given what the
//! store holds.
//!
//! Both functions are pure: they take the state a use case read and return
//! either the answer to give without writing anything, or the one commit to
//! write. Everything the service decides is therefore testable without a
//! store.

use super::{
    FlightCommit, FlightError, FlightEvent, FlightId, FlightInventory, FlightReservation,
    IdempotencyKey, InventoryUpdate, ReservationStatus, SeatRequest,
};

/// What the rules decided about a [`SeatRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReserveDecision {
    /// The trip already holds exactly this reservation: a repeated request is
    /// answered with it and writes nothing.
    AlreadyReserved(FlightReservation),
    /// The seats can be held: write this commit, then answer with its
    /// reservation.
    Reserve(Box<FlightCommit>),
}

/// What the rules decided about cancelling a trip's reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelDecision {
    /// The trip never held a reservation. There is nothing to undo, which is
    /// a success: the saga compensates steps whose outcome it does not know.
    NothingToUndo,
    /// The reservation was cancelled before; a repeated cancellation writes
    /// nothing.
    AlreadyCancelled(FlightReservation),
    /// Cancel the reservation and release its seats: write this commit.
    Cancel(Box<FlightCommit>),
}

/// Decides whether `request` can hold seats.
///
/// `existing` is the trip's stored reservation. `inventory` is the stored
/// inventory of the requested flight and date; it is only consulted when
/// `existing` is `None`, so a use case may skip loading it otherwise.
///
/// What the trip already holds is checked first, so that a repeated request
/// gets its first answer; then the flight and its seats.
pub fn decide_reservation(
    request: &SeatRequest,
    existing: Option<FlightReservation>,
    inventory: Option<FlightInventory>,
    idempotency_key: IdempotencyKey,
) -> Result<ReserveDecision, FlightError> {
    if let Some(reservation) = existing {
        return match reservation.status {
            ReservationStatus::Cancelled => Err(FlightError::AlreadyCompensated {
                trip_id: reservation.trip_id,
            }),
            ReservationStatus::Reserved if reservation.fulfils(request) => {
                Ok(ReserveDecision::AlreadyReserved(reservation))
            }
            ReservationStatus::Reserved => Err(FlightError::InvalidCommand {
                field: "trip_id",
                problem: format!(
                    "trip {} already holds {} seats on {} departing {}; a repeated request must repeat the original one",
                    reservation.trip_id,
                    reservation.seats,
                    reservation.flight_number,
                    reservation.depart_on
                ),
            }),
        };
    }
    let flight_not_found = || FlightError::FlightNotFound {
        flight_number: request.flight_number().to_string(),
        depart_on: request.depart_on(),
    };
    let mut inventory = inventory
        .filter(|inventory| {
            inventory.flight_number() == request.flight_number()
                && inventory.depart_on() == request.depart_on()
                && inventory.route() == request.route()
        })
        .ok_or_else(flight_not_found)?;
    let expected_version = inventory.version();
    inventory.hold(request.trip_id(), request.seats())?;
    let price =
        inventory
            .fare()
            .times(request.seats())
            .ok_or_else(|| FlightError::InvalidCommand {
                field: "seats",
                problem: format!(
                    "{} seats at {} each is more than a price can hold",
                    request.seats(),
                    inventory.fare()
                ),
            })?;
    let reservation = FlightReservation {
        trip_id: request.trip_id().clone(),
        flight_id: FlightId::for_trip(request.trip_id()),
        flight_number: request.flight_number().clone(),
        depart_on: request.depart_on(),
        return_on: request.return_on(),
        seats: request.seats(),
        price,
        status: ReservationStatus::Reserved,
    };
    Ok(ReserveDecision::Reserve(Box::new(FlightCommit {
        event: FlightEvent::FlightReserved {
            reservation: reservation.clone(),
        },
        reservation,
        expected_status: None,
        inventory: Some(InventoryUpdate {
            inventory: inventory.into_next_version(),
            expected_version,
        }),
        idempotency_key,
    })))
}

/// Decides how to cancel the trip's reservation `existing`.
///
/// `inventory` is the stored inventory of the reserved flight and date, if
/// it still exists; a flight withdrawn from sale has no seats to release,
/// and the reservation is cancelled all the same.
pub fn decide_cancellation(
    existing: Option<FlightReservation>,
    inventory: Option<FlightInventory>,
    idempotency_key: IdempotencyKey,
) -> CancelDecision {
    let Some(mut reservation) = existing else {
        return CancelDecision::NothingToUndo;
    };
    if reservation.status == ReservationStatus::Cancelled {
        return CancelDecision::AlreadyCancelled(reservation);
    }
    reservation.status = ReservationStatus::Cancelled;
    let inventory = inventory
        .filter(|inventory| {
            inventory.flight_number() == &reservation.flight_number
                && inventory.depart_on() == reservation.depart_on
        })
        .and_then(|mut inventory| {
            let expected_version = inventory.version();
            // An inventory that holds nothing for the trip stays as it is, so
            // the commit does not contend with other trips for nothing.
            (inventory.release(&reservation.trip_id) > 0).then(|| InventoryUpdate {
                inventory: inventory.into_next_version(),
                expected_version,
            })
        });
    CancelDecision::Cancel(Box::new(FlightCommit {
        event: FlightEvent::FlightCancelled {
            trip_id: reservation.trip_id.clone(),
            flight_id: reservation.flight_id.clone(),
            status: reservation.status,
        },
        reservation,
        expected_status: Some(ReservationStatus::Reserved),
        inventory,
        idempotency_key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AirportCode, FlightNumber, Route, TripId};

    fn request_for(flight_number: &str, seats: u32) -> SeatRequest {
        SeatRequest::new(
            TripId::new("trip-0001").unwrap(),
            FlightNumber::new(flight_number).unwrap(),
            Route::new(
                AirportCode::new("HND").unwrap(),
                AirportCode::new("CDG").unwrap(),
            )
            .unwrap(),
            "2025-04-01".parse().unwrap(),
            "2025-04-10".parse().unwrap(),
            seats,
        )
        .unwrap()
    }

    fn request(seats: u32) -> SeatRequest {
        request_for("NH203", seats)
    }

    fn inventory(version: u64) -> FlightInventory {
        let request = request(1);
        FlightInventory::restore(
            request.flight_number().clone(),
            request.depart_on(),
            request.route().clone(),
            5,
            "99.90".parse().unwrap(),
            Default::default(),
            version,
        )
    }

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::new(text).unwrap()
    }

    #[test]
    fn a_reservation_commits_against_the_version_it_read() {
        let decision = decide_reservation(
            &request(2),
            None,
            Some(inventory(41)),
            key("trip-0001#ReserveFlight"),
        )
        .unwrap();
        let ReserveDecision::Reserve(commit) = decision else {
            panic!("expected a commit, got {decision:?}");
        };
        let update = commit.inventory.unwrap();
        assert_eq!(update.expected_version, 41);
        assert_eq!(update.inventory.version(), 42);
        assert_eq!(update.inventory.seats_available(), 3);
        assert_eq!(commit.expected_status, None);
        assert_eq!(commit.reservation.price.to_string(), "199.80");
        assert_eq!(commit.idempotency_key, key("trip-0001#ReserveFlight"));
    }

    #[test]
    fn an_inventory_of_another_flight_is_no_inventory() {
        let other = request_for("NH204", 1);
        let error = decide_reservation(&other, None, Some(inventory(0)), key("k")).unwrap_err();
        assert_eq!(error.name(), "FlightNotFound");
    }

    #[test]
    fn cancelling_without_an_inventory_still_cancels() {
        let ReserveDecision::Reserve(reserved) =
            decide_reservation(&request(2), None, Some(inventory(0)), key("k1")).unwrap()
        else {
            unreachable!("seats are free");
        };
        let decision = decide_cancellation(Some(reserved.reservation), None, key("k2"));
        let CancelDecision::Cancel(commit) = decision else {
            panic!("expected a commit, got {decision:?}");
        };
        assert_eq!(commit.reservation.status, ReservationStatus::Cancelled);
        assert_eq!(commit.expected_status, Some(ReservationStatus::Reserved));
        assert_eq!(commit.inventory, None);
        assert_eq!(commit.event.name(), "FlightCancelled");
    }

    #[test]
    fn nothing_held_means_nothing_to_undo() {
        assert_eq!(
            decide_cancellation(None, Some(inventory(3)), key("k")),
            CancelDecision::NothingToUndo
        );
    }
}
