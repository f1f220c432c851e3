//! The hotel service of the travel booking saga: room availability per hotel
//! and night, and the hotel booking each trip holds.
//!
//! The layers, with dependencies pointing inward only:
//!
//! - [`handlers`]: the Lambda entry point, generated from the saga spec by
//!   the `sagac` macro; it validates the payload and calls the application.
//! - [`application`]: the use cases [`application::reserve_hotel`] and
//!   [`application::cancel_hotel`], each one transaction: read, decide,
//!   commit.
//! - [`domain`]: the rules, pure and synchronous, and the
//!   [`domain::HotelRepository`] trait that storage implements.
//! - [`adapters`]: the repository of the saga's single table, over the
//!   sagac runtime's store (DynamoDB in the Lambda, in memory locally).
#![deny(missing_docs)]

pub mod adapters;
pub use hotel_application as application;
pub use hotel_domain as domain;
pub mod handlers;
