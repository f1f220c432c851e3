//! The flight reservation a trip holds, and what a trip asks for.

use std::fmt;
use std::str::FromStr;

use super::{Date, FlightId, FlightNumber, InvalidValue, Price, Route, TripId};

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
/// trip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatRequest {
    /// The trip asking.
    pub trip_id: TripId,
    /// The flight wanted.
    pub flight_number: FlightNumber,
    /// Where the trip goes; the flight must fly this route.
    pub route: Route,
    /// The departure date.
    pub depart_on: Date,
    /// The return date, on or after the departure date.
    pub return_on: Date,
    /// How many seats, 1 to [`SeatRequest::MAX_SEATS`].
    pub seats: u32,
}

impl SeatRequest {
    /// The most seats one trip may hold, as the saga's request allows.
    pub const MAX_SEATS: u32 = 9;
}
