//! The events the flight service emits through the outbox.

use super::{FlightId, FlightReservation, ReservationStatus, TripId};

/// An event of the flight service, as the spec declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlightEvent {
    /// Seats were held for a trip; carries the whole reservation.
    FlightReserved {
        /// The reservation made.
        reservation: FlightReservation,
    },
    /// A trip's reservation was cancelled; carries the fields the spec lists
    /// for it.
    FlightCancelled {
        /// The trip.
        trip_id: TripId,
        /// The cancelled reservation.
        flight_id: FlightId,
        /// Its new status, `CANCELLED`.
        status: ReservationStatus,
    },
}

impl FlightEvent {
    /// The event's name, as the spec's `events` section spells it.
    pub fn name(&self) -> &'static str {
        match self {
            FlightEvent::FlightReserved { .. } => "FlightReserved",
            FlightEvent::FlightCancelled { .. } => "FlightCancelled",
        }
    }

    /// The trip the event belongs to, whose partition holds its outbox item.
    pub fn trip_id(&self) -> &TripId {
        match self {
            FlightEvent::FlightReserved { reservation, .. } => &reservation.trip_id,
            FlightEvent::FlightCancelled { trip_id, .. } => trip_id,
        }
    }
}
