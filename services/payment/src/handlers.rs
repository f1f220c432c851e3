//! The Lambda entry point of the payment service.
//!
//! The `saga!` macro generates, from `spec/trip.saga.yaml`, the module
//! [`trip_booking`]: the typed side of the saga as the payment service sees
//! it: the spec's entities (with their key builders) and events, the start
//! request, what `ProcessPayment` and `RefundPayment` receive (only the
//! request fields their `input:` declares: the card token reaches this
//! service alone), their commands and errors, the [`PaymentService`] trait,
//! and the entry points [`dispatch_payment`] (any payload, no Lambda
//! runtime) and [`serve_payment`] (the Lambda's `main`).
//!
//! [`Payment`] implements that trait by hand, and does nothing but
//! translate: the generated command becomes the application's command (the
//! amount as the exact decimal text of the request's decimal, scale kept;
//! the idempotency key is the step context's), the use case runs against the repository,
//! the domain's transaction goes back out as the spec's `PaymentTransaction`
//! entity, and a domain error becomes the error the state machine expects:
//!
//! - the spec's business errors (`CardDeclined`, `AmountLimitExceeded`) by
//!   name, which the state machine answers with compensation;
//! - a repository conflict or outage as `TransientError`, which it retries;
//! - a malformed command as `Saga.InvalidPayload`, never retried, with the
//!   payload path of the field at fault;
//! - anything else (a damaged item, a step whose saga already compensated
//!   it) as `Saga.InternalError`.

use travel_adapter::saga_error;

use crate::adapters::transaction_entity;
use crate::application::{self, ProcessPayment, RefundPayment};
use crate::domain::{PaymentError, PaymentRepository};

sagac_macros::saga!("../../spec/trip.saga.yaml", service = "payment");

pub use trip_booking::{
    PaymentHandler, PaymentService, dispatch_payment, serve_payment, table_layout,
};
use trip_booking::{
    PaymentTransaction, ProcessPaymentCommand, ProcessPaymentError, RefundPaymentCommand,
    RefundPaymentError,
};

/// The payment service: the generated [`PaymentService`] over the use cases
/// of [`crate::application`] and a [`PaymentRepository`], in the Lambda the
/// DynamoDB one of [`crate::adapters`].
#[derive(Debug, Clone)]
pub struct Payment<R> {
    repository: R,
}

impl<R: PaymentRepository> Payment<R> {
    /// The service over `repository`.
    pub fn new(repository: R) -> Self {
        Payment { repository }
    }

    /// The repository.
    pub fn repository(&self) -> &R {
        &self.repository
    }
}

#[sagac_macros::service]
impl<R: PaymentRepository> PaymentService for Payment<R> {
    async fn process_payment(
        &self,
        command: ProcessPaymentCommand,
    ) -> Result<PaymentTransaction, ProcessPaymentError> {
        let input = command.input;
        let transaction = application::process_payment(
            &self.repository,
            ProcessPayment {
                trip_id: input.trip_id,
                amount: input.amount.to_string(),
                currency: input.currency,
                card_token: input.card_token,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(|error| match error {
            PaymentError::CardDeclined { .. } => {
                ProcessPaymentError::CardDeclined(error.to_string())
            }
            PaymentError::AmountLimitExceeded { .. } => {
                ProcessPaymentError::AmountLimitExceeded(error.to_string())
            }
            other => ProcessPaymentError::from(saga_error(&other)),
        })?;
        Ok(transaction_entity(&transaction))
    }

    async fn refund_payment(
        &self,
        command: RefundPaymentCommand,
    ) -> Result<Option<PaymentTransaction>, RefundPaymentError> {
        let refund = application::refund_payment(
            &self.repository,
            RefundPayment {
                trip_id: command.input.trip_id,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(|error| saga_error(&error))?;
        Ok(refund.transaction().map(transaction_entity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::{transaction_item, transaction_key};
    use crate::domain::{Currency, Money, PaymentId, PaymentStatus, TripId};
    use sagac_runtime::Entity as _;

    /// The adapter's keys and item are the generated key builders' and the
    /// spec entity's.
    #[test]
    fn the_adapter_keys_are_the_generated_key_builders() {
        let trip_id = TripId::new("trip-0001").unwrap();
        let transaction = crate::domain::PaymentTransaction {
            payment_id: PaymentId::for_trip(&trip_id),
            trip_id: trip_id.clone(),
            amount: Money::parse(Currency::Eur, "3361").unwrap(),
            card_last4: Some("4242".into()),
            status: PaymentStatus::Charged,
        };
        let generated: PaymentTransaction = transaction_entity(&transaction);
        assert_eq!(generated.primary_key(), transaction_key(&trip_id));
        assert_eq!(generated.amount.to_string(), "3361.00");
        let item = transaction_item(&transaction);
        assert_eq!(PaymentTransaction::from_item(item).unwrap(), generated);
    }
}
