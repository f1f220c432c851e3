//! Why a payment command failed, and how the saga should react to it.

use std::fmt;

use super::{DeclineReason, Money, RepositoryError, TripId};

/// Why a payment command failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentError {
    /// The issuer declined the card.
    CardDeclined {
        /// Why.
        reason: DeclineReason,
    },
    /// The amount is above what one payment may take in its currency.
    AmountLimitExceeded {
        /// The amount asked for.
        amount: Money,
        /// The limit in that currency.
        limit: Money,
    },
    /// A field of the command is malformed or contradicts another.
    InvalidCommand {
        /// The command field at fault.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The trip's payment was already refunded, so the saga that asked for
    /// it has moved on; charging again would take money nobody refunds.
    AlreadyCompensated {
        /// The trip.
        trip_id: TripId,
    },
    /// The store failed.
    Repository(RepositoryError),
}

travel_kernel::domain_error!(PaymentError {
    CardDeclined => Business,
    AmountLimitExceeded => Business,
    InvalidCommand => Rejected,
    AlreadyCompensated => Rejected,
});

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaymentError::CardDeclined { reason } => {
                write!(f, "the card was declined: {reason}")
            }
            PaymentError::AmountLimitExceeded { amount, limit } => {
                write!(f, "{amount} is above the limit of {limit} for one payment")
            }
            PaymentError::InvalidCommand { field, problem } => {
                write!(f, "invalid `{field}`: {problem}")
            }
            PaymentError::AlreadyCompensated { trip_id } => {
                write!(f, "the payment of trip {trip_id} was already refunded")
            }
            PaymentError::Repository(error) => write!(f, "payment store: {error}"),
        }
    }
}
