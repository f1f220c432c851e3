//! The payment service of the travel booking saga: card charges with a
//! per-currency limit, and their refunds.
//!
//! The layers, with dependencies pointing inward only:
//!
//! - [`handlers`]: the Lambda entry point, generated from the saga spec by
//!   the `sagac` macro; it validates the payload and calls the application.
//! - [`application`]: the use cases [`application::process_payment`] and
//!   [`application::refund_payment`], each one transaction: read, decide,
//!   commit.
//! - [`domain`]: the rules, pure and synchronous, and the
//!   [`domain::PaymentRepository`] trait that storage implements.
//! - [`adapters`]: the repository of the saga's single table, over the
//!   sagac runtime's store (DynamoDB in the Lambda, in memory locally).
#![deny(missing_docs)]

pub mod adapters;
pub use payment_application as application;
pub use payment_domain as domain;
pub mod handlers;
