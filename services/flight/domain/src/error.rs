//! Why a flight command failed, and how the saga should react to it.

use std::fmt;

use super::{Date, FlightNumber, TripId};

travel_kernel::domain_error! {
    /// Why a flight command failed.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum FlightError {
        /// The flight has fewer free seats than the trip asks for.
        NoSeatsAvailable {
            /// The flight asked for.
            flight_number: FlightNumber,
            /// Its departure date.
            depart_on: Date,
            /// The seats the trip asked for.
            requested: u32,
            /// The seats still free.
            available: u32,
        } => Business,
        /// No flight with this number departs on this date on the trip's route.
        FlightNotFound {
            /// The flight number as the command gave it, which may not even be a
            /// well-formed one.
            flight_number: String,
            /// The departure date asked for.
            depart_on: Date,
        } => Business,
        /// The trip's reservation was already cancelled, so the saga that asked
        /// for it has moved on; booking again would leave seats nobody releases.
        AlreadyCompensated {
            /// The trip.
            trip_id: TripId,
        } => Rejected,
    }
}

impl fmt::Display for FlightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlightError::NoSeatsAvailable {
                flight_number,
                depart_on,
                requested,
                available,
            } => write!(
                f,
                "flight {flight_number} on {depart_on} has {available} free seats, {requested} requested"
            ),
            FlightError::FlightNotFound {
                flight_number,
                depart_on,
            } => write!(
                f,
                "no flight {flight_number:?} departs on {depart_on} on the trip's route"
            ),
            FlightError::InvalidCommand { field, problem } => {
                write!(f, "invalid `{field}`: {problem}")
            }
            FlightError::AlreadyCompensated { trip_id } => write!(
                f,
                "the flight reservation of trip {trip_id} was already cancelled"
            ),
            FlightError::Repository(error) => write!(f, "flight store: {error}"),
        }
    }
}
