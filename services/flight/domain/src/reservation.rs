//! The flight reservation a trip holds, and what a trip asks for.

use std::fmt;
use std::str::FromStr;

use super::{Date, FlightError, FlightId, FlightNumber, InvalidValue, Price, Route, TripId};

/// Where a flight reservation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReservationStatus {
    /// The seats are held for the trip.
    Reserved,
    /// The reservation was cancelled and its seats released.
    Cancelled,
}

impl ReservationStatus {
    /// The status as the `status` field stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Reserved => "RESERVED",
            ReservationStatus::Cancelled => "CANCELLED",
        }
    }
}

impl FromStr for ReservationStatus {
    type Err = InvalidValue;

    fn from_str(text: &str) -> Result<ReservationStatus, InvalidValue> {
        match text {
            "RESERVED" => Ok(ReservationStatus::Reserved),
            "CANCELLED" => Ok(ReservationStatus::Cancelled),
            _ => Err(InvalidValue::new("RESERVED or CANCELLED", text)),
        }
    }
}

impl fmt::Display for ReservationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The seats a trip holds on a flight: the spec's `FlightReservation` entity,
/// stored under `TRIP#{trip_id}` / `FLIGHT#{flight_id}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlightReservation {
    /// The trip that holds the seats.
    pub trip_id: TripId,
    /// The reservation's id, derived from the trip.
    pub flight_id: FlightId,
    /// The flight the seats are on.
    pub flight_number: FlightNumber,
    /// The departure date of that flight.
    pub depart_on: Date,
    /// The date the trip returns.
    pub return_on: Date,
    /// How many seats are held.
    pub seats: u32,
    /// What the seats cost together: the fare times the seats.
    pub price: Price,
    /// Whether the seats are still held.
    pub status: ReservationStatus,
}

impl FlightReservation {
    /// Whether this reservation is what `request` asks for, so that a
    /// repeated request can be answered with it.
    pub fn fulfils(&self, request: &SeatRequest) -> bool {
        self.trip_id == request.trip_id
            && self.flight_number == request.flight_number
            && self.depart_on == request.depart_on
            && self.return_on == request.return_on
            && self.seats == request.seats
    }
}

/// What a trip asks of the flight service: seats on one flight for a round
/// trip. A request is valid by construction, so the rules never see, and the
/// store is never asked about, an impossible one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatRequest {
    trip_id: TripId,
    flight_number: FlightNumber,
    route: Route,
    depart_on: Date,
    return_on: Date,
    seats: u32,
}

impl SeatRequest {
    /// The most seats one trip may hold, as the saga's request allows.
    pub const MAX_SEATS: u32 = 9;

    /// A request for `seats` seats, or [`FlightError::InvalidCommand`]
    /// naming the field at fault: 1 to [`MAX_SEATS`](Self::MAX_SEATS) seats,
    /// and a return on or after the departure (a day trip returns the same
    /// day).
    pub fn new(
        trip_id: TripId,
        flight_number: FlightNumber,
        route: Route,
        depart_on: Date,
        return_on: Date,
        seats: u32,
    ) -> Result<SeatRequest, FlightError> {
        if !(1..=Self::MAX_SEATS).contains(&seats) {
            return Err(FlightError::InvalidCommand {
                field: "seats",
                problem: format!("a trip holds 1 to {} seats, not {seats}", Self::MAX_SEATS),
            });
        }
        if return_on < depart_on {
            return Err(FlightError::InvalidCommand {
                field: "return_on",
                problem: format!(
                    "the return on {return_on} is before the departure on {depart_on}"
                ),
            });
        }
        Ok(SeatRequest {
            trip_id,
            flight_number,
            route,
            depart_on,
            return_on,
            seats,
        })
    }

    /// The trip asking.
    pub fn trip_id(&self) -> &TripId {
        &self.trip_id
    }

    /// The flight wanted.
    pub fn flight_number(&self) -> &FlightNumber {
        &self.flight_number
    }

    /// Where the trip goes; the flight must fly this route.
    pub fn route(&self) -> &Route {
        &self.route
    }

    /// The departure date.
    pub fn depart_on(&self) -> Date {
        self.depart_on
    }

    /// The return date.
    pub fn return_on(&self) -> Date {
        self.return_on
    }

    /// How many seats.
    pub fn seats(&self) -> u32 {
        self.seats
    }
}
