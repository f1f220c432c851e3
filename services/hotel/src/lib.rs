//! The hotel service of the travel booking saga: room availability per hotel
//! and night, and the hotel booking each trip holds.
//!
//! The layers, with dependencies pointing inward only, and held to that by
//! the crate graph: the domain and the application are crates of their own
//! (`hotel-domain`, whose only dependency is the shared kernel, and
//! `hotel-application`, which depends on the domain alone), re-exported here
//! as [`domain`] and [`application`], so a domain or a use case that names
//! the runtime, the AWS SDK or tokio does not compile.
//!
//! - [`handlers`]: the Lambda entry point, generated from the saga spec by
//!   the `sagac` macro; it validates the payload and calls the application.
//! - [`application`]: the use cases [`application::reserve_hotel`] and
//!   [`application::cancel_hotel`], each one transaction: read, decide,
//!   commit.
//! - [`domain`]: the rules, pure and synchronous, and the
//!   [`domain::HotelRepository`] trait that storage implements.
//! - [`adapters`]: the repository of the saga's single table, over the
//!   sagac runtime's store (DynamoDB in the Lambda, in memory locally and
//!   in the use-case tests), on the skeleton the three services share
//!   (`travel_adapter`): only the keys, the items and the change of each
//!   commit are this service's.
#![deny(missing_docs)]

pub mod adapters;
pub mod handlers;

pub use hotel_application as application;
pub use hotel_domain as domain;
