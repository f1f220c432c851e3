//! The Lambda entry point of the payment service.
//!
//! The `saga!` macro generates, from `spec/trip.saga.yaml`, the typed side of
//! the saga as the payment service sees it: the spec's entities (with their
//! key builders) and events, the start request, the commands and errors of
//! `ProcessPayment` and `RefundPayment`, the [`PaymentService`] trait, and
//! the entry points [`dispatch_payment`] (any payload, no Lambda runtime)
//! and [`serve_payment`] (the Lambda's `main`).
//!
//! [`Payment`] implements that trait by hand, and does nothing but
//! translate: the generated command becomes the application's command (the
//! amount as the exact decimal text the request carried; the idempotency
//! key is the step context's), the use case runs against the repository,
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

use sagac_runtime::SagaError;
use serde_json::Value;

use crate::adapters::transaction_attributes;
use crate::application::{self, ProcessPayment, RefundPayment};
use crate::domain::{FailureKind, PaymentError, PaymentRepository};

sagac_macros::saga!("../../spec/trip.saga.yaml", service = "payment");

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

impl<R: PaymentRepository> PaymentService for Payment<R> {
    async fn process_payment(
        &self,
        command: ProcessPaymentCommand,
    ) -> Result<PaymentTransaction, ProcessPaymentError> {
        let request = command.request;
        let transaction = application::process_payment(
            &self.repository,
            ProcessPayment {
                trip_id: request.trip_id,
                amount: request.amount.as_str().to_owned(),
                currency: request.currency,
                card_token: request.card_token,
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
            other => ProcessPaymentError::from(saga_error(other)),
        })?;
        Ok(entity(&transaction)?)
    }

    async fn refund_payment(
        &self,
        command: RefundPaymentCommand,
    ) -> Result<Option<PaymentTransaction>, RefundPaymentError> {
        let refund = application::refund_payment(
            &self.repository,
            RefundPayment {
                trip_id: command.request.trip_id,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(saga_error)?;
        Ok(refund.transaction().map(entity).transpose()?)
    }
}

/// The transaction as the spec's entity: the very attributes the adapter
/// stores and records as the step's result, so a replay answered from the
/// idempotency record returns the same JSON as the first run.
fn entity(
    transaction: &crate::domain::PaymentTransaction,
) -> Result<PaymentTransaction, SagaError> {
    serde_json::from_value(Value::Object(transaction_attributes(transaction))).map_err(|error| {
        SagaError::internal(format!(
            "the transaction does not fit the spec's PaymentTransaction: {error}"
        ))
    })
}

/// A domain error the spec has no name for, as the runtime's error.
fn saga_error(error: PaymentError) -> SagaError {
    match error.kind() {
        FailureKind::Business => SagaError::business(error.name(), error.to_string()),
        FailureKind::Transient => SagaError::transient(error.to_string()),
        FailureKind::Rejected => match &error {
            PaymentError::InvalidCommand { field, problem } => {
                SagaError::invalid_payload(payload_path(field), problem.clone())
            }
            _ => SagaError::internal(error.to_string()),
        },
    }
}

/// Where a command field comes from in the step payload.
fn payload_path(field: &str) -> String {
    match field {
        // `{Execution.Name}#{State.Name}`.
        "idempotency_key" => "Execution.Name".to_owned(),
        field => format!("request.{field}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::transaction_key;
    use crate::domain::{Currency, Money, PaymentId, PaymentStatus, TripId};

    /// The adapter renders the spec's key templates itself; the generated
    /// key builders must agree with it.
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
        let generated = entity(&transaction).unwrap();
        assert_eq!(generated.key(), transaction_key(&trip_id));
        assert_eq!(
            serde_json::to_value(&generated).unwrap(),
            Value::Object(transaction_attributes(&transaction))
        );
    }
}
