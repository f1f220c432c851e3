//! The payment domain: the rules of charging a trip's card and refunding it.
//!
//! Everything here is plain data and pure, synchronous functions over it, and
//! the only dependencies are the standard library and the shared kernel (the
//! crate's manifest lists nothing else, so this is a compile-time fact),
//! `travel_kernel`, whose values (ids, invalid values, store errors) this
//! crate re-exports. A use case reads a
//! [`PaymentTransaction`] through the [`PaymentRepository`], asks
//! [`decide_charge`] or [`decide_refund`] what to do, and writes the
//! resulting [`PaymentCommit`]: the changed state and its [`PaymentEvent`],
//! atomically.
//!
//! The rules:
//!
//! - Amounts are exact [`Money`]: minor units of EUR, JPY or USD, parsed
//!   from the request's decimal text, never through a float. An amount with
//!   more decimals than its currency has is refused, not rounded.
//! - One payment takes at most its currency's
//!   [`charge_limit`](Currency::charge_limit), inclusive; above it the
//!   charge fails with [`PaymentError::AmountLimitExceeded`].
//! - The issuer's answer is the deterministic rule of [`CardToken::authorize`]:
//!   unknown tokens, `tok_declined…` tokens and card numbers failing the Luhn
//!   check fail with [`PaymentError::CardDeclined`].
//! - A trip pays at most once. Asking again for the same amount answers with
//!   the payment already made; asking for another amount, or after a refund,
//!   is refused.
//! - A refund gives back the whole amount. Refunding a payment already
//!   refunded, or never made, succeeds and writes nothing.
#![deny(missing_docs)]

mod card;
mod decision;
mod error;
mod event;
mod money;
mod repository;
mod transaction;
mod value;

pub use card::{CardToken, DeclineReason};
pub use decision::{ChargeDecision, RefundDecision, decide_charge, decide_refund};
pub use error::PaymentError;
pub use event::PaymentEvent;
pub use money::{Currency, Money};
pub use repository::{PaymentCommit, PaymentRepository};
pub use transaction::{ChargeRequest, PaymentStatus, PaymentTransaction};
pub use travel_kernel::{FailureKind, IdempotencyKey, InvalidValue, RepositoryError, TripId};
pub use value::PaymentId;
