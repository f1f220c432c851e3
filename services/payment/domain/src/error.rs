//! Why a payment command failed, and how the saga should react to it.

use std::fmt;

use super::{DeclineReason, Money, TripId};

travel_kernel::domain_error! {
    /// Why a payment command failed.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum PaymentError {
        /// The issuer declined the card.
        CardDeclined {
            /// Why.
            reason: DeclineReason,
        } => Business,
        /// The amount is above what one payment may take in its currency.
        AmountLimitExceeded {
            /// The amount asked for.
            amount: Money,
            /// The limit in that currency.
            limit: Money,
        } => Business,
        /// The trip's payment was already refunded, so the saga that asked for
        /// it has moved on; charging again would take money nobody refunds.
        AlreadyCompensated {
            /// The trip.
            trip_id: TripId,
        } => Rejected,
    }
}

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
