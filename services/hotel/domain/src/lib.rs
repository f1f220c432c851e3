//! The hotel domain: the rules of room availability and hotel bookings.
//!
//! Everything here is plain data and pure, synchronous functions over it, and
//! the only dependencies are the standard library and the shared kernel (the
//! crate's manifest lists nothing else, so this is a compile-time fact),
//! `travel_kernel`, whose values (ids, dates, prices, store errors) this
//! crate re-exports. A use case reads a
//! [`HotelBooking`] and the [`RoomInventory`] of each night through the
//! [`HotelRepository`], asks [`decide_reservation`] or
//! [`decide_cancellation`] what to do, and writes the resulting
//! [`HotelCommit`]: the changed state and its [`HotelEvent`], atomically.
//!
//! The rules:
//!
//! - A hotel sells rooms per night, with a capacity and a rate per room for
//!   each night. A stay from check-in to check-out needs rooms on every night
//!   in between (check-out day excluded), 1 to 30 nights, 1 to 9 rooms.
//! - A stay is all or nothing. If any night has fewer free rooms than asked,
//!   or is not sold at all, the stay fails with
//!   [`HotelError::NoRoomsAvailable`] naming the first such night, and no
//!   night is held. If the hotel sells none of the nights (an unknown or
//!   malformed hotel code included), it fails with
//!   [`HotelError::HotelNotFound`].
//! - The price is each night's rate times the rooms, summed over the stay.
//! - A trip holds at most one booking. Asking again with the same request
//!   answers with the booking already held; asking for something else, or
//!   after the booking was cancelled, is refused.
//! - Cancelling releases the trip's rooms on every night. Cancelling a
//!   booking that is already cancelled, or that never existed, succeeds and
//!   writes nothing.
#![deny(missing_docs)]

mod booking;
mod decision;
mod error;
mod event;
mod inventory;
mod repository;
mod value;

pub use booking::{BookingStatus, HotelBooking, StayRequest};
pub use decision::{CancelDecision, ReserveDecision, decide_cancellation, decide_reservation};
pub use error::HotelError;
pub use event::HotelEvent;
pub use inventory::RoomInventory;
pub use repository::{HotelCommit, HotelRepository, InventoryUpdate};
pub use travel_kernel::{
    Date, FailureKind, IdempotencyKey, InvalidValue, Price, RepositoryError, TripId,
};
pub use value::{HotelCode, HotelId};
