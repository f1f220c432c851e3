//! The flight service of the travel booking saga: seat inventory per flight
//! and departure date, and the flight reservation each trip holds.
//!
//! The layers, with dependencies pointing inward only:
//!
//! - [`handlers`]: the Lambda entry point, generated from the saga spec by
//!   the `sagac` macro; it validates the payload and calls the application.
//! - [`application`]: the use cases [`application::reserve_flight`] and
//!   [`application::cancel_flight`], each one transaction: read, decide,
//!   commit.
//! - [`domain`]: the rules, pure and synchronous, and the
//!   [`domain::FlightRepository`] trait that storage implements.
//! - [`adapters`]: the repository of the saga's single table, over the
//!   sagac runtime's store (DynamoDB in the Lambda, in memory locally).
#![deny(missing_docs)]

pub mod adapters;
pub use flight_application as application;
pub use flight_domain as domain;
pub mod handlers;
