//! The flight service's use cases: [`reserve_flight`] and [`cancel_flight`],
//! the step action and the compensation the spec names.
//!
//! Each use case is one transaction: it reads what the rules need through the
//! [`FlightRepository`], lets the domain decide, and writes the whole outcome,
//! state and event, with one [`FlightRepository::commit`]. A repeated
//! invocation finds its own earlier outcome and answers with it.
//!
//! Commands carry the step input as the saga sends it: strings for ids,
//! codes and dates, JSON integers as `i64`. The generated handlers pass the
//! fields through untouched, and the use cases turn them into domain values,
//! reporting a malformed one as [`FlightError::InvalidCommand`].
//!
//! This crate depends on the domain alone: no store, no runtime, no
//! executor (its futures are whatever the repository's are). The use cases
//! are tested in the service crate (`tests/use_cases.rs`), against the
//! service's own repository over the runtime's memory store.
#![deny(missing_docs)]

use flight_domain::{
    AirportCode, CancelDecision, Date, FlightError, FlightNumber, FlightRepository,
    FlightReservation, IdempotencyKey, InvalidValue, ReservationStatus, ReserveDecision, Route,
    SeatRequest, TripId, decide_cancellation, decide_reservation,
};

/// The command of the `ReserveFlight` step (action `reserve_flight`): hold
/// seats on a flight for a trip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReserveFlight {
    /// The trip, which is also the saga id.
    pub trip_id: String,
    /// The departure airport, a three-letter IATA code.
    pub origin: String,
    /// The arrival airport, a three-letter IATA code.
    pub destination: String,
    /// The flight, an IATA flight number such as `NH203`.
    pub flight_number: String,
    /// The departure date, `YYYY-MM-DD`.
    pub depart_on: String,
    /// The return date, `YYYY-MM-DD`, on or after the departure.
    pub return_on: String,
    /// How many seats, 1 to 9.
    pub seats: i64,
    /// The step invocation's idempotency key, `{execution}#{state}`.
    pub idempotency_key: String,
}

/// The command of the `CancelFlight` compensation (action `cancel_flight`):
/// cancel the trip's reservation, if it has one, and release its seats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelFlight {
    /// The trip, which is also the saga id.
    pub trip_id: String,
    /// The compensation invocation's idempotency key, `{execution}#{state}`.
    pub idempotency_key: String,
}

/// How [`cancel_flight`] succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlightCancellation {
    /// The reservation is now cancelled and its seats released.
    Cancelled(FlightReservation),
    /// The reservation had been cancelled before; nothing was written.
    AlreadyCancelled(FlightReservation),
    /// The trip holds no reservation, so there was nothing to undo and
    /// nothing was written.
    NothingToUndo,
}

impl FlightCancellation {
    /// The cancelled reservation, unless there was none.
    pub fn reservation(&self) -> Option<&FlightReservation> {
        match self {
            FlightCancellation::Cancelled(reservation)
            | FlightCancellation::AlreadyCancelled(reservation) => Some(reservation),
            FlightCancellation::NothingToUndo => None,
        }
    }
}

/// Holds seats on a flight for a trip and records the reservation with its
/// `FlightReserved` event.
///
/// Fails with the spec's business errors [`FlightError::NoSeatsAvailable`]
/// and [`FlightError::FlightNotFound`], with a rejection for a malformed or
/// conflicting command, or with a repository error. A repeated command
/// returns the reservation the first one made.
pub async fn reserve_flight<R: FlightRepository>(
    repository: &R,
    command: ReserveFlight,
) -> Result<FlightReservation, FlightError> {
    let idempotency_key = idempotency_key(command.idempotency_key.clone())?;
    let request = seat_request(command)?;
    let existing = repository.load_reservation(request.trip_id()).await?;
    // A trip that already holds a reservation is answered from it, so the
    // inventory is only worth reading for a new one.
    let inventory = match existing {
        None => {
            repository
                .load_inventory(request.flight_number(), request.depart_on())
                .await?
        }
        Some(_) => None,
    };
    match decide_reservation(&request, existing, inventory, idempotency_key)? {
        ReserveDecision::AlreadyReserved(reservation) => Ok(reservation),
        ReserveDecision::Reserve(commit) => {
            let reservation = commit.reservation.clone();
            repository.commit(*commit).await?;
            Ok(reservation)
        }
    }
}

/// Cancels the trip's flight reservation, releases its seats and records the
/// `FlightCancelled` event.
///
/// Nothing to undo is a success: a trip without a reservation, or whose
/// reservation is already cancelled, gets a [`FlightCancellation`] saying so
/// and nothing is written. Only the repository can make it fail, so a
/// compensation never fails because of its input.
pub async fn cancel_flight<R: FlightRepository>(
    repository: &R,
    command: CancelFlight,
) -> Result<FlightCancellation, FlightError> {
    let idempotency_key = idempotency_key(command.idempotency_key)?;
    // No reservation can be stored under a malformed trip id, so there is
    // nothing to undo for one.
    let Ok(trip_id) = TripId::new(command.trip_id) else {
        return Ok(FlightCancellation::NothingToUndo);
    };
    let existing = repository.load_reservation(&trip_id).await?;
    let inventory = match &existing {
        Some(reservation) if reservation.status != ReservationStatus::Cancelled => {
            repository
                .load_inventory(&reservation.flight_number, reservation.depart_on)
                .await?
        }
        _ => None,
    };
    match decide_cancellation(existing, inventory, idempotency_key) {
        CancelDecision::NothingToUndo => Ok(FlightCancellation::NothingToUndo),
        CancelDecision::AlreadyCancelled(reservation) => {
            Ok(FlightCancellation::AlreadyCancelled(reservation))
        }
        CancelDecision::Cancel(commit) => {
            let reservation = commit.reservation.clone();
            repository.commit(*commit).await?;
            Ok(FlightCancellation::Cancelled(reservation))
        }
    }
}

fn idempotency_key(key: String) -> Result<IdempotencyKey, FlightError> {
    IdempotencyKey::new(key).map_err(invalid("idempotency_key"))
}

/// Turns the command into the domain's request.
///
/// Dates are parsed first because the business error for an unknown flight
/// names its date. A flight number or route that cannot exist is reported as
/// the business error [`FlightError::FlightNotFound`], as an unknown one
/// would be: to the trip, both mean that no such flight can be booked.
fn seat_request(command: ReserveFlight) -> Result<SeatRequest, FlightError> {
    let trip_id = TripId::new(command.trip_id).map_err(invalid("trip_id"))?;
    let depart_on: Date = command.depart_on.parse().map_err(invalid("depart_on"))?;
    let return_on: Date = command.return_on.parse().map_err(invalid("return_on"))?;
    let seats = u32::try_from(command.seats).map_err(|_| FlightError::InvalidCommand {
        field: "seats",
        problem: format!(
            "a trip holds 1 to {} seats, not {}",
            SeatRequest::MAX_SEATS,
            command.seats
        ),
    })?;
    let not_found = || FlightError::FlightNotFound {
        flight_number: command.flight_number.clone(),
        depart_on,
    };
    let flight_number =
        FlightNumber::new(command.flight_number.clone()).map_err(|_| not_found())?;
    let route = AirportCode::new(command.origin)
        .and_then(|origin| Ok((origin, AirportCode::new(command.destination)?)))
        .and_then(|(origin, destination)| Route::new(origin, destination))
        .map_err(|_| not_found())?;
    SeatRequest::new(trip_id, flight_number, route, depart_on, return_on, seats)
}

fn invalid(field: &'static str) -> impl FnOnce(InvalidValue) -> FlightError {
    move |error| FlightError::InvalidCommand {
        field,
        problem: error.to_string(),
    }
}
