//! The flight domain: the rules of seat inventory and flight reservations.
//!
//! Everything here is plain data and pure, synchronous functions over it, and
//! the only dependencies are the standard library and the shared kernel (the
//! crate's manifest lists nothing else, so this is a compile-time fact),
//! `travel_kernel`, whose values (ids, dates, prices, store errors) this
//! crate re-exports. A use case reads a
//! [`FlightReservation`] and a [`FlightInventory`] through the
//! [`FlightRepository`], asks [`decide_reservation`] or
//! [`decide_cancellation`] what to do, and writes the resulting
//! [`FlightCommit`]: the changed state and its [`FlightEvent`], atomically.
//!
//! The rules:
//!
//! - A flight is sold per flight number and departure date, with a capacity
//!   and a fare per seat. A request for a flight that is not sold that day,
//!   or not on the trip's route, fails with [`FlightError::FlightNotFound`];
//!   a malformed flight number cannot be sold either and fails the same way.
//! - A trip holds 1 to 9 seats on one flight. Asking for more seats than are
//!   free fails with [`FlightError::NoSeatsAvailable`] and holds nothing.
//! - A trip holds at most one reservation. Asking again with the same request
//!   answers with the reservation already held; asking for something else,
//!   or after the reservation was cancelled, is refused.
//! - Cancelling releases the trip's seats. Cancelling a reservation that is
//!   already cancelled, or that never existed, succeeds and writes nothing.
#![deny(missing_docs)]

mod decision;
mod error;
mod event;
mod inventory;
mod repository;
mod reservation;
mod value;

pub use decision::{CancelDecision, ReserveDecision, decide_cancellation, decide_reservation};
pub use error::FlightError;
pub use event::FlightEvent;
pub use inventory::FlightInventory;
pub use repository::{FlightCommit, FlightRepository, InventoryUpdate};
pub use reservation::{FlightReservation, ReservationStatus, SeatRequest};
pub use travel_kernel::{
    Date, FailureKind, IdempotencyKey, InvalidValue, Price, RepositoryError, TripId,
};
pub use value::{AirportCode, FlightId, FlightNumber, Route};
