//! The events the payment service emits through the outbox.

use super::{Money, PaymentId, PaymentStatus, PaymentTransaction, TripId};

/// An event of the payment service, as the spec declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentEvent {
    /// A trip's card was charged; carries the whole transaction.
    PaymentProcessed {
        /// The transaction made.
        transaction: PaymentTransaction,
    },
    /// A trip's payment was refunded; carries the fields the spec lists for
    /// it.
    PaymentRefunded {
        /// The trip.
        trip_id: TripId,
        /// The refunded transaction.
        payment_id: PaymentId,
        /// The amount given back: all of it.
        amount: Money,
        /// Its new status, `REFUNDED`.
        status: PaymentStatus,
    },
}

impl PaymentEvent {
    /// The event's name, as the spec's `events` section spells it.
    pub fn name(&self) -> &'static str {
        match self {
            PaymentEvent::PaymentProcessed { .. } => "PaymentProcessed",
            PaymentEvent::PaymentRefunded { .. } => "PaymentRefunded",
        }
    }

    /// The trip the event belongs to, whose partition holds its outbox item.
    pub fn trip_id(&self) -> &TripId {
        match self {
            PaymentEvent::PaymentProcessed { transaction } => &transaction.trip_id,
            PaymentEvent::PaymentRefunded { trip_id, .. } => trip_id,
        }
    }
}
