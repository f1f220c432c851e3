//! Why a hotel command failed, and how the saga should react to it.

use std::error::Error;
use std::fmt;

use super::{Date, FailureKind, HotelCode, RepositoryError, TripId};

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
    },
    /// The hotel sells no room on any night of the stay: it is not in the
    /// catalogue, or not open for these dates.
    HotelNotFound {
        /// The hotel code as the command gave it, which may not even be a
        /// well-formed one.
        hotel_code: String,
        /// The first night of the stay.
        check_in: Date,
    },
    /// A field of the command is malformed or contradicts another.
    InvalidCommand {
        /// The command field at fault.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The trip's booking was already cancelled, so the saga that asked for
    /// it has moved on; booking again would hold rooms nobody releases.
    AlreadyCompensated {
        /// The trip.
        trip_id: TripId,
    },
    /// The store failed.
    Repository(RepositoryError),
}

impl HotelError {
    /// The error name the state machine sees: the spec's business error names
    /// (`NoRoomsAvailable`, `HotelNotFound`), `TransientError` for what the
    /// spec retries, and a name of its own for each rejection.
    pub fn name(&self) -> &'static str {
        match self {
            HotelError::NoRoomsAvailable { .. } => "NoRoomsAvailable",
            HotelError::HotelNotFound { .. } => "HotelNotFound",
            HotelError::InvalidCommand { .. } => "InvalidCommand",
            HotelError::AlreadyCompensated { .. } => "AlreadyCompensated",
            HotelError::Repository(error) => error.name(),
        }
    }

    /// How the saga should react.
    pub fn kind(&self) -> FailureKind {
        match self {
            HotelError::NoRoomsAvailable { .. } | HotelError::HotelNotFound { .. } => {
                FailureKind::Business
            }
            HotelError::InvalidCommand { .. } | HotelError::AlreadyCompensated { .. } => {
                FailureKind::Rejected
            }
            HotelError::Repository(error) => error.kind(),
        }
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

impl Error for HotelError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            HotelError::Repository(error) => Some(error),
            _ => None,
        }
    }
}

impl From<RepositoryError> for HotelError {
    fn from(error: RepositoryError) -> HotelError {
        HotelError::Repository(error)
    }
}
