//! The hotel service's use cases: [`reserve_hotel`] and [`cancel_hotel`],
//! the step action and the compensation the spec names.
//!
//! Each use case is one transaction: it reads what the rules need through the
//! [`HotelRepository`], lets the domain decide, and writes the whole outcome,
//! state and event, with one [`HotelRepository::commit`]. A repeated
//! invocation finds its own earlier outcome and answers with it.
//!
//! Commands carry the step input as the saga sends it: strings for ids,
//! codes and dates, JSON integers as `i64`. The generated handlers pass the
//! fields through untouched, and the use cases turn them into domain values,
//! reporting a malformed one as [`HotelError::InvalidCommand`].
//!
//! This crate depends on the domain alone: no store, no runtime, no
//! executor (its futures are whatever the repository's are). The use cases
//! are tested in the service crate (`tests/use_cases.rs`), against the
//! service's own repository over the runtime's memory store.
#![deny(missing_docs)]

use hotel_domain::{
    BookingStatus, CancelDecision, Date, HotelBooking, HotelCode, HotelError, HotelRepository,
    IdempotencyKey, InvalidValue, ReserveDecision, StayRequest, TripId, decide_cancellation,
    decide_reservation,
};

/// The command of the `ReserveHotel` step (action `reserve_hotel`): hold
/// rooms in a hotel for every night of a trip's stay.
///
/// The saga's request carries the stay's dates as the trip's `depart_on` and
/// `return_on`; the handler passes them as `check_in` and `check_out`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReserveHotel {
    /// The trip, which is also the saga id.
    pub trip_id: String,
    /// The hotel, a code such as `PAR-LOUVRE`.
    pub hotel_code: String,
    /// The day of arrival, `YYYY-MM-DD`.
    pub check_in: String,
    /// The day of departure, `YYYY-MM-DD`, 1 to 30 days after check-in.
    pub check_out: String,
    /// How many rooms each night, 1 to 9.
    pub rooms: i64,
    /// The step invocation's idempotency key, `{execution}#{state}`.
    pub idempotency_key: String,
}

/// The command of the `CancelHotel` compensation (action `cancel_hotel`):
/// cancel the trip's booking, if it has one, and release its rooms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelHotel {
    /// The trip, which is also the saga id.
    pub trip_id: String,
    /// The compensation invocation's idempotency key, `{execution}#{state}`.
    pub idempotency_key: String,
}

/// How [`cancel_hotel`] succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HotelCancellation {
    /// The booking is now cancelled and its rooms released on every night.
    Cancelled(HotelBooking),
    /// The booking had been cancelled before; nothing was written.
    AlreadyCancelled(HotelBooking),
    /// The trip holds no booking, so there was nothing to undo and nothing
    /// was written.
    NothingToUndo,
}

impl HotelCancellation {
    /// The cancelled booking, unless there was none.
    pub fn booking(&self) -> Option<&HotelBooking> {
        match self {
            HotelCancellation::Cancelled(booking)
            | HotelCancellation::AlreadyCancelled(booking) => Some(booking),
            HotelCancellation::NothingToUndo => None,
        }
    }
}

/// Holds rooms in a hotel on every night of a trip's stay and records the
/// booking with its `HotelReserved` event.
///
/// Fails with the spec's business errors [`HotelError::NoRoomsAvailable`]
/// and [`HotelError::HotelNotFound`], with a rejection for a malformed or
/// conflicting command, or with a repository error. A repeated command
/// returns the booking the first one made.
pub async fn reserve_hotel<R: HotelRepository>(
    repository: &R,
    command: ReserveHotel,
) -> Result<HotelBooking, HotelError> {
    let idempotency_key = idempotency_key(command.idempotency_key.clone())?;
    let request = stay_request(command)?;
    let existing = repository.load_booking(request.trip_id()).await?;
    // A trip that already holds a booking is answered from it, so the
    // inventory is only worth reading for a new one.
    let nights = match existing {
        None => {
            repository
                .load_nights(
                    request.hotel_code(),
                    request.check_in(),
                    request.check_out(),
                )
                .await?
        }
        Some(_) => Vec::new(),
    };
    match decide_reservation(&request, existing, nights, idempotency_key)? {
        ReserveDecision::AlreadyReserved(booking) => Ok(booking),
        ReserveDecision::Reserve(commit) => {
            let booking = commit.booking.clone();
            repository.commit(*commit).await?;
            Ok(booking)
        }
    }
}

/// Cancels the trip's hotel booking, releases its rooms on every night and
/// records the `HotelCancelled` event.
///
/// Nothing to undo is a success: a trip without a booking, or whose booking
/// is already cancelled, gets a [`HotelCancellation`] saying so and nothing
/// is written. Only the repository can make it fail, so a compensation never
/// fails because of its input.
pub async fn cancel_hotel<R: HotelRepository>(
    repository: &R,
    command: CancelHotel,
) -> Result<HotelCancellation, HotelError> {
    let idempotency_key = idempotency_key(command.idempotency_key)?;
    // No booking can be stored under a malformed trip id, so there is
    // nothing to undo for one.
    let Ok(trip_id) = TripId::new(command.trip_id) else {
        return Ok(HotelCancellation::NothingToUndo);
    };
    let existing = repository.load_booking(&trip_id).await?;
    let nights = match &existing {
        Some(booking) if booking.status != BookingStatus::Cancelled => {
            repository
                .load_nights(&booking.hotel_code, booking.check_in, booking.check_out)
                .await?
        }
        _ => Vec::new(),
    };
    match decide_cancellation(existing, nights, idempotency_key) {
        CancelDecision::NothingToUndo => Ok(HotelCancellation::NothingToUndo),
        CancelDecision::AlreadyCancelled(booking) => {
            Ok(HotelCancellation::AlreadyCancelled(booking))
        }
        CancelDecision::Cancel(commit) => {
            let booking = commit.booking.clone();
            repository.commit(*commit).await?;
            Ok(HotelCancellation::Cancelled(booking))
        }
    }
}

fn idempotency_key(key: String) -> Result<IdempotencyKey, HotelError> {
    IdempotencyKey::new(key).map_err(invalid("idempotency_key"))
}

/// Turns the command into the domain's request.
///
/// Dates are parsed first because the business error for an unknown hotel
/// names the check-in date. A hotel code that cannot exist is reported as the
/// business error [`HotelError::HotelNotFound`], as an unknown one would be:
/// to the trip, both mean that no such hotel can be booked.
fn stay_request(command: ReserveHotel) -> Result<StayRequest, HotelError> {
    let trip_id = TripId::new(command.trip_id).map_err(invalid("trip_id"))?;
    let check_in: Date = command.check_in.parse().map_err(invalid("check_in"))?;
    let check_out: Date = command.check_out.parse().map_err(invalid("check_out"))?;
    let rooms = u32::try_from(command.rooms).map_err(|_| HotelError::InvalidCommand {
        field: "rooms",
        problem: format!(
            "a trip holds 1 to {} rooms, not {}",
            StayRequest::MAX_ROOMS,
            command.rooms
        ),
    })?;
    let hotel_code =
        HotelCode::new(command.hotel_code.clone()).map_err(|_| HotelError::HotelNotFound {
            hotel_code: command.hotel_code,
            check_in,
        })?;
    StayRequest::new(trip_id, hotel_code, check_in, check_out, rooms)
}

fn invalid(field: &'static str) -> impl FnOnce(InvalidValue) -> HotelError {
    move |error| HotelError::InvalidCommand {
        field,
        problem: error.to_string(),
    }
}
