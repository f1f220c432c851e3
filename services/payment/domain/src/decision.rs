//! The rules that decide a charge or a refund, given what the store holds.
//!
//! Both functions are pure: they take the state a use case read and return
//! either the answer to give without writing anything, or the one commit to
//! write. Everything the service decides is therefore testable without a
//! store.

use super::{
    ChargeRequest, IdempotencyKey, PaymentCommit, PaymentError, PaymentEvent, PaymentId,
    PaymentStatus, PaymentTransaction,
};

/// What the rules decided about a [`ChargeRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeDecision {
    /// The trip already paid exactly this amount: a repeated request is
    /// answered with that payment and charges nothing.
    AlreadyCharged(PaymentTransaction),
    /// The card can be charged: write this commit, then answer with its
    /// transaction.
    Charge(Box<PaymentCommit>),
}

/// What the rules decided about refunding a trip's payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundDecision {
    /// The trip never paid. There is nothing to refund, which is a success:
    /// the saga compensates steps whose outcome it does not know.
    NothingToRefund,
    /// The payment was refunded before; a repeated refund writes nothing.
    AlreadyRefunded(PaymentTransaction),
    /// Refund the payment in full: write this commit.
    Refund(Box<PaymentCommit>),
}

/// Decides whether `request` can be charged.
///
/// `existing` is the trip's stored payment, checked first so that a repeated
/// request gets its first answer. Then the amount must be within its
/// currency's [`charge_limit`](super::Currency::charge_limit), which is this
/// service's own policy and so is checked before the issuer is asked; then
/// the issuer must approve the card (see [`CardToken::authorize`]).
///
/// [`CardToken::authorize`]: super::CardToken::authorize
pub fn decide_charge(
    request: &ChargeRequest,
    existing: Option<PaymentTransaction>,
    idempotency_key: IdempotencyKey,
) -> Result<ChargeDecision, PaymentError> {
    if let Some(transaction) = existing {
        return match transaction.status {
            PaymentStatus::Refunded => Err(PaymentError::AlreadyCompensated {
                trip_id: transaction.trip_id,
            }),
            // Which card paid is not a reason to charge again: the trip is
            // paid. A different amount, though, is a different request.
            PaymentStatus::Charged if transaction.amount == request.amount => {
                Ok(ChargeDecision::AlreadyCharged(transaction))
            }
            PaymentStatus::Charged => Err(PaymentError::InvalidCommand {
                field: "trip_id",
                problem: format!(
                    "trip {} already paid {}; a repeated request must repeat the original one",
                    transaction.trip_id, transaction.amount
                ),
            }),
        };
    }
    let limit = request.amount.currency().charge_limit();
    if request.amount.exceeds(limit) {
        return Err(PaymentError::AmountLimitExceeded {
            amount: request.amount,
            limit,
        });
    }
    let card_last4 = request
        .card_token
        .authorize()
        .map_err(|reason| PaymentError::CardDeclined { reason })?;
    let transaction = PaymentTransaction {
        trip_id: request.trip_id.clone(),
        payment_id: PaymentId::for_trip(&request.trip_id),
        amount: request.amount,
        card_last4,
        status: PaymentStatus::Charged,
    };
    Ok(ChargeDecision::Charge(Box::new(PaymentCommit {
        event: PaymentEvent::PaymentProcessed {
            transaction: transaction.clone(),
        },
        transaction,
        expected_status: None,
        idempotency_key,
    })))
}

/// Decides how to refund the trip's payment `existing`: in full, once.
pub fn decide_refund(
    existing: Option<PaymentTransaction>,
    idempotency_key: IdempotencyKey,
) -> RefundDecision {
    let Some(mut transaction) = existing else {
        return RefundDecision::NothingToRefund;
    };
    if transaction.status == PaymentStatus::Refunded {
        return RefundDecision::AlreadyRefunded(transaction);
    }
    transaction.status = PaymentStatus::Refunded;
    RefundDecision::Refund(Box::new(PaymentCommit {
        event: PaymentEvent::PaymentRefunded {
            trip_id: transaction.trip_id.clone(),
            payment_id: transaction.payment_id.clone(),
            amount: transaction.amount,
            status: transaction.status,
        },
        transaction,
        expected_status: Some(PaymentStatus::Charged),
        idempotency_key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CardToken, Currency, DeclineReason, Money, TripId};

    fn request(currency: Currency, amount: &str, card_token: &str) -> ChargeRequest {
        ChargeRequest {
            trip_id: TripId::new("trip-0001").unwrap(),
            amount: Money::parse(currency, amount).unwrap(),
            card_token: CardToken::new(card_token).unwrap(),
        }
    }

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::new(text).unwrap()
    }

    fn charge(request: &ChargeRequest) -> Result<ChargeDecision, PaymentError> {
        decide_charge(request, None, key("trip-0001#ProcessPayment"))
    }

    #[test]
    fn the_limit_itself_can_be_charged_and_one_minor_unit_more_cannot() {
        let card = "tok_visa_4242424242424242";
        for (currency, at_limit, above) in [
            (Currency::Eur, "10000.00", "10000.01"),
            (Currency::Usd, "10000", "10000.01"),
            (Currency::Jpy, "1500000", "1500001"),
        ] {
            assert!(
                charge(&request(currency, at_limit, card)).is_ok(),
                "{currency}"
            );
            let error = charge(&request(currency, above, card)).unwrap_err();
            assert_eq!(
                error,
                PaymentError::AmountLimitExceeded {
                    amount: Money::parse(currency, above).unwrap(),
                    limit: currency.charge_limit(),
                }
            );
            assert_eq!(error.name(), "AmountLimitExceeded");
        }
    }

    #[test]
    fn the_limit_is_checked_before_the_issuer_is_asked() {
        let error = charge(&request(Currency::Usd, "20000", "tok_declined")).unwrap_err();
        assert_eq!(error.name(), "AmountLimitExceeded");
    }

    #[test]
    fn a_declined_card_is_a_business_error_with_its_reason() {
        let error = charge(&request(Currency::Eur, "100", "tok_declined")).unwrap_err();
        assert_eq!(
            error,
            PaymentError::CardDeclined {
                reason: DeclineReason::IssuerDeclined
            }
        );
        assert_eq!(error.name(), "CardDeclined");
    }

    #[test]
    fn a_charge_records_the_last_four_digits() {
        let ChargeDecision::Charge(commit) = charge(&request(
            Currency::Jpy,
            "98000",
            "tok_visa_4242424242424242",
        ))
        .unwrap() else {
            unreachable!("nothing was charged before");
        };
        assert_eq!(commit.transaction.card_last4.as_deref(), Some("4242"));
        assert_eq!(commit.transaction.amount.decimal(), "98000");
        assert_eq!(commit.expected_status, None);
        assert_eq!(commit.event.name(), "PaymentProcessed");
    }

    #[test]
    fn a_refund_gives_back_the_whole_amount_once() {
        let ChargeDecision::Charge(charged) =
            charge(&request(Currency::Eur, "1250.50", "tok_vault_8f3a")).unwrap()
        else {
            unreachable!("nothing was charged before");
        };
        let RefundDecision::Refund(refund) =
            decide_refund(Some(charged.transaction), key("trip-0001#RefundPayment"))
        else {
            unreachable!("the payment stands");
        };
        assert_eq!(refund.transaction.status, PaymentStatus::Refunded);
        assert_eq!(refund.expected_status, Some(PaymentStatus::Charged));
        assert_eq!(
            refund.event,
            PaymentEvent::PaymentRefunded {
                trip_id: TripId::new("trip-0001").unwrap(),
                payment_id: PaymentId::new("PT-trip-0001").unwrap(),
                amount: Money::parse(Currency::Eur, "1250.50").unwrap(),
                status: PaymentStatus::Refunded,
            }
        );
        assert_eq!(
            decide_refund(Some(refund.transaction.clone()), key("again")),
            RefundDecision::AlreadyRefunded(refund.transaction)
        );
        assert_eq!(
            decide_refund(None, key("never")),
            RefundDecision::NothingToRefund
        );
    }
}
