//! Why a hotel command failed, and how the saga should react to it.

use std::fmt;

use super::{Date, HotelCode, TripId};

travel_kernel::domain_error! {
    /// Why a hotel command failed.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum HotelError {
        /// On at least one night of the stay the hotel has fewer free rooms than
        /// the trip asks for; this is the first such night.
        NoRoomsAvailable {
            /// The hotel asked for.
            hotel_code: HotelCode,
            /// The first night without enough rooms.
            night: Date,
            /// The rooms the trip asked for.
            requested: u32,
            /// The rooms still free that night; zero when the hotel does not
            /// sell that night at all.
            available: u32,
        } => Business,
        /// The hotel sells no room on any night of the stay: it is not in the
        /// catalogue, or not open for these dates.
        HotelNotFound {
            /// The hotel code as the command gave it, which may not even be a
            /// well-formed one.
            hotel_code: String,
            /// The first night of the stay.
            check_in: Date,
        } => Business,
        /// The trip's booking was already cancelled, so the saga that asked for
        /// it has moved on; booking again would hold rooms nobody releases.
        AlreadyCompensated {
            /// The trip.
            trip_id: TripId,
        } => Rejected,
    }
}

impl fmt::Display for HotelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HotelError::NoRoomsAvailable {
                hotel_code,
                night,
                requested,
                available,
            } => write!(
                f,
                "hotel {hotel_code} has {available} free rooms on the night of {night}, {requested} requested"
            ),
            HotelError::HotelNotFound {
                hotel_code,
                check_in,
            } => write!(
                f,
                "hotel {hotel_code:?} sells no room for a stay from {check_in}"
            ),
            HotelError::InvalidCommand { field, problem } => {
                write!(f, "invalid `{field}`: {problem}")
            }
            HotelError::AlreadyCompensated { trip_id } => write!(
                f,
                "the hotel booking of trip {trip_id} was already cancelled"
            ),
            HotelError::Repository(error) => write!(f, "hotel store: {error}"),
        }
    }
}
