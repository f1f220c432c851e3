//! The payment a trip makes, and what a trip asks for.

use std::fmt;
use std::str::FromStr;

use super::{CardToken, InvalidValue, Money, PaymentId, TripId};

/// Where a payment transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// The card was charged.
    Charged,
    /// The charge was refunded in full.
    Refunded,
}

impl PaymentStatus {
    /// The status as the `status` field stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Charged => "CHARGED",
            PaymentStatus::Refunded => "REFUNDED",
        }
    }
}

impl FromStr for PaymentStatus {
    type Err = InvalidValue;

    fn from_str(text: &str) -> Result<PaymentStatus, InvalidValue> {
        match text {
            "CHARGED" => Ok(PaymentStatus::Charged),
            "REFUNDED" => Ok(PaymentStatus::Refunded),
            _ => Err(InvalidValue::new("CHARGED or REFUNDED", text)),
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A charge to a trip's card: the spec's `PaymentTransaction` entity, stored
/// under `TRIP#{trip_id}` / `PAYMENT#{payment_id}`. Its `amount` and
/// `currency` fields are [`Money::decimal`] and [`Money::currency`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentTransaction {
    /// The trip paid for.
    pub trip_id: TripId,
    /// The transaction's id, derived from the trip.
    pub payment_id: PaymentId,
    /// What was charged.
    pub amount: Money,
    /// The last four digits of the card, when the token carried its number.
    pub card_last4: Option<String>,
    /// Whether the charge stands or was refunded.
    pub status: PaymentStatus,
}

/// What a trip asks of the payment service: charge an amount to a card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeRequest {
    /// The trip to pay for.
    pub trip_id: TripId,
    /// The amount, in the trip's currency.
    pub amount: Money,
    /// The card to charge.
    pub card_token: CardToken,
}
