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
//! - [`in_memory`]: a repository for tests and local runs. The DynamoDB
//!   repository goes in an `adapters` module, which a later change adds.
#![deny(missing_docs)]

pub mod application;
pub mod domain;
pub mod handlers;
pub mod in_memory;
