//! The payment service's use cases: [`process_payment`] and
//! [`refund_payment`], the step action and the compensation the spec names.
//!
//! Each use case is one transaction: it reads what the rules need through the
//! [`PaymentRepository`], lets the domain decide, and writes the whole
//! outcome, state and event, with one [`PaymentRepository::commit`]. A
//! repeated invocation finds its own earlier outcome and answers with it.
//!
//! Commands carry the step input as the saga sends it: strings for ids,
//! codes and tokens, and the amount as the text of its JSON number or string.
//! The generated handlers pass the fields through untouched, and the use
//! cases turn them into domain values, reporting a malformed one as
//! [`PaymentError::InvalidCommand`].
//!
//! This crate depends on the domain alone: no store, no runtime, no
//! executor (its futures are whatever the repository's are). The use cases
//! are tested in the service crate (`tests/use_cases.rs`), against the
//! service's own repository over the runtime's memory store.
#![deny(missing_docs)]

use payment_domain::{
    CardToken, ChargeDecision, ChargeRequest, Currency, IdempotencyKey, InvalidValue, Money,
    PaymentError, PaymentRepository, PaymentTransaction, RefundDecision, TripId, decide_charge,
    decide_refund,
};

/// The command of the `ProcessPayment` step (action `process_payment`):
/// charge the trip's amount to its card.
#[derive(Clone, PartialEq, Eq)]
pub struct ProcessPayment {
    /// The trip, which is also the saga id.
    pub trip_id: String,
    /// The amount as decimal text, exactly as the request carries it: the
    /// JSON number's text (`1250.5`, `1.2505e3`) or the string's content.
    /// Converting it through a float first would lose cents.
    pub amount: String,
    /// The currency: `EUR`, `JPY` or `USD`.
    pub currency: String,
    /// The card token from the payment page.
    pub card_token: String,
    /// The step invocation's idempotency key, `{execution}#{state}`.
    pub idempotency_key: String,
}

/// The card token stands for a card number, so it stays out of debug output.
impl std::fmt::Debug for ProcessPayment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPayment")
            .field("trip_id", &self.trip_id)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("card_token", &"<redacted>")
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

/// The command of the `RefundPayment` compensation (action
/// `refund_payment`): refund the trip's payment in full, if it made one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundPayment {
    /// The trip, which is also the saga id.
    pub trip_id: String,
    /// The compensation invocation's idempotency key, `{execution}#{state}`.
    pub idempotency_key: String,
}

/// How [`refund_payment`] succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentRefund {
    /// The payment is now refunded in full.
    Refunded(PaymentTransaction),
    /// The payment had been refunded before; nothing was written.
    AlreadyRefunded(PaymentTransaction),
    /// The trip never paid, so there was nothing to refund and nothing was
    /// written.
    NothingToRefund,
}

impl PaymentRefund {
    /// The refunded transaction, unless there was none.
    pub fn transaction(&self) -> Option<&PaymentTransaction> {
        match self {
            PaymentRefund::Refunded(transaction) | PaymentRefund::AlreadyRefunded(transaction) => {
                Some(transaction)
            }
            PaymentRefund::NothingToRefund => None,
        }
    }
}

/// Charges the trip's amount to its card and records the transaction with
/// its `PaymentProcessed` event.
///
/// Fails with the spec's business errors [`PaymentError::CardDeclined`] and
/// [`PaymentError::AmountLimitExceeded`], with a rejection for a malformed or
/// conflicting command, or with a repository error. A repeated command
/// returns the transaction the first one made, and charges nothing.
pub async fn process_payment<R: PaymentRepository>(
    repository: &R,
    command: ProcessPayment,
) -> Result<PaymentTransaction, PaymentError> {
    let idempotency_key = idempotency_key(command.idempotency_key.clone())?;
    let request = charge_request(command)?;
    let existing = repository.load_transaction(&request.trip_id).await?;
    match decide_charge(&request, existing, idempotency_key)? {
        ChargeDecision::AlreadyCharged(transaction) => Ok(transaction),
        ChargeDecision::Charge(commit) => {
            let transaction = commit.transaction.clone();
            repository.commit(*commit).await?;
            Ok(transaction)
        }
    }
}

/// Refunds the trip's payment in full and records the `PaymentRefunded`
/// event.
///
/// Nothing to refund is a success: a trip that never paid, or whose payment
/// is already refunded, gets a [`PaymentRefund`] saying so and nothing is
/// written. Only the repository can make it fail, so a compensation never
/// fails because of its input.
pub async fn refund_payment<R: PaymentRepository>(
    repository: &R,
    command: RefundPayment,
) -> Result<PaymentRefund, PaymentError> {
    let idempotency_key = idempotency_key(command.idempotency_key)?;
    // No payment can be stored under a malformed trip id, so there is
    // nothing to refund for one.
    let Ok(trip_id) = TripId::new(command.trip_id) else {
        return Ok(PaymentRefund::NothingToRefund);
    };
    let existing = repository.load_transaction(&trip_id).await?;
    match decide_refund(existing, idempotency_key) {
        RefundDecision::NothingToRefund => Ok(PaymentRefund::NothingToRefund),
        RefundDecision::AlreadyRefunded(transaction) => {
            Ok(PaymentRefund::AlreadyRefunded(transaction))
        }
        RefundDecision::Refund(commit) => {
            let transaction = commit.transaction.clone();
            repository.commit(*commit).await?;
            Ok(PaymentRefund::Refunded(transaction))
        }
    }
}

fn idempotency_key(key: String) -> Result<IdempotencyKey, PaymentError> {
    IdempotencyKey::new(key).map_err(invalid("idempotency_key"))
}

/// Turns the command into the domain's request. The currency is parsed
/// before the amount, whose decimal places depend on it.
fn charge_request(command: ProcessPayment) -> Result<ChargeRequest, PaymentError> {
    let trip_id = TripId::new(command.trip_id).map_err(invalid("trip_id"))?;
    let currency: Currency = command.currency.parse().map_err(invalid("currency"))?;
    let amount = Money::parse(currency, &command.amount).map_err(invalid("amount"))?;
    let card_token = CardToken::new(command.card_token).map_err(invalid("card_token"))?;
    Ok(ChargeRequest {
        trip_id,
        amount,
        card_token,
    })
}

fn invalid(field: &'static str) -> impl FnOnce(InvalidValue) -> PaymentError {
    move |error| PaymentError::InvalidCommand {
        field,
        problem: error.to_string(),
    }
}
