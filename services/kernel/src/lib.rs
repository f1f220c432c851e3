//! The shared kernel of the travel services: the domain values that flight,
//! hotel and payment each need and define the same way.
//!
//! Like each service's domain, this is plain data and pure, synchronous
//! functions over it, and the only dependency is the standard library. Each
//! service's domain crate re-exports these types, so they keep their paths
//! there (`flight::domain::TripId`, `hotel::domain::Price`, ...).
//!
//! The shapes the domains share are written here once, as macros the
//! domains expand: [`text_value!`] (an id or code valid by construction) and
//! [`domain_error!`] (an error enum with the variants every service has,
//! its `name`, `kind`, source and [`DomainError`], the view the adapters
//! read).
//!
//! What differs between the services stays in them: each service's own record
//! id (`FlightId`, `HotelId`, `PaymentId`, built on [`is_identifier`]), its
//! codes, its error enum's variants and messages, and payment's
//! currency-bound `Money`.

mod date;
mod error;
mod price;
mod value;

pub use date::Date;
pub use error::{DomainError, FailureKind, RepositoryError};
pub use price::Price;
pub use value::{IdempotencyKey, InvalidValue, TripId, is_identifier};
