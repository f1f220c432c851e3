//! The events the hotel service emits through the outbox.

use super::{BookingStatus, HotelBooking, HotelId, TripId};

/// An event of the hotel service, as the spec declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HotelEvent {
    /// Rooms were held for a trip; carries the whole booking.
    HotelReserved {
        /// The booking made.
        booking: HotelBooking,
    },
    /// A trip's booking was cancelled; carries the fields the spec lists for
    /// it.
    HotelCancelled {
        /// The trip.
        trip_id: TripId,
        /// The cancelled booking.
        hotel_id: HotelId,
        /// Its new status, `CANCELLED`.
        status: BookingStatus,
    },
}

impl HotelEvent {
    /// The event's name, as the spec's `events` section spells it.
    pub fn name(&self) -> &'static str {
        match self {
            HotelEvent::HotelReserved { .. } => "HotelReserved",
            HotelEvent::HotelCancelled { .. } => "HotelCancelled",
        }
    }

    /// The trip the event belongs to, whose partition holds its outbox item.
    pub fn trip_id(&self) -> &TripId {
        match self {
            HotelEvent::HotelReserved { booking } => &booking.trip_id,
            HotelEvent::HotelCancelled { trip_id, .. } => trip_id,
        }
    }
}
