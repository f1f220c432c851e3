//! [`DynamoPaymentRepository`]: the payment repository over a sagac store.

use std::sync::Arc;

use sagac_runtime::store::{Change, Condition, Store, WriteOp};
use travel_adapter::Table;

use super::items::{
    spec_amount, transaction_entity, transaction_from_item, transaction_item, transaction_key,
    trip_pk,
};
use crate::domain::{
    PaymentCommit, PaymentEvent, PaymentRepository, PaymentTransaction, RepositoryError, TripId,
};
use crate::handlers::trip_booking as spec;

/// Label of the transaction's status condition.
const TRANSACTION_LABEL: &str = "transaction";

/// The [`PaymentRepository`] of the saga's single table, over any
/// `sagac_runtime::Store`: `DynamoStore` in the Lambda, `MemoryStore` in
/// local runs and tests.
#[derive(Clone, Debug)]
pub struct DynamoPaymentRepository {
    table: Table,
}

impl DynamoPaymentRepository {
    /// A repository over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        DynamoPaymentRepository {
            table: Table::new(store),
        }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        self.table.store()
    }
}

/// The change with its event, as the spec's event type: the compiler
/// holds its fields to the spec's.
fn with_event(change: Change, event: &PaymentEvent) -> Change {
    match event {
        PaymentEvent::PaymentProcessed { transaction } => change.event(
            &spec::PaymentProcessed::from(&transaction_entity(transaction)),
        ),
        PaymentEvent::PaymentRefunded {
            trip_id,
            payment_id,
            amount,
            status,
        } => change.event(&spec::PaymentRefunded {
            trip_id: trip_id.to_string(),
            payment_id: payment_id.to_string(),
            amount: spec_amount(*amount),
            status: status.to_string(),
        }),
    }
}

/// The commit as one change of the trip's partition: transaction, event,
/// and the transaction as the step's result.
fn change(commit: &PaymentCommit) -> Change {
    let transaction = &commit.transaction;
    let trip_id = &transaction.trip_id;
    let write = WriteOp::put(transaction_key(trip_id), transaction_item(transaction))
        .when(match commit.expected_status {
            None => Condition::ItemNotExists,
            Some(status) => Condition::eq("status", status.as_str()),
        })
        .label(TRANSACTION_LABEL);
    let change = Change::new(
        trip_pk(trip_id),
        trip_id.as_str(),
        commit.idempotency_key.as_str(),
    )
    .with(write);
    with_event(change, &commit.event).result(&transaction_entity(transaction))
}

impl PaymentRepository for DynamoPaymentRepository {
    async fn load_transaction(
        &self,
        trip_id: &TripId,
    ) -> Result<Option<PaymentTransaction>, RepositoryError> {
        self.table
            .load(&transaction_key(trip_id), transaction_from_item)
            .await
    }

    async fn commit(&self, commit: PaymentCommit) -> Result<(), RepositoryError> {
        self.table.commit(change(&commit)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{
        PaymentRefund, ProcessPayment, RefundPayment, process_payment, refund_payment,
    };
    use sagac_runtime::serde_json::json;
    use sagac_runtime::store::{MemoryStore, StoreConfig};

    /// The outbox sort key prefix of the spec under test.
    fn outbox_prefix() -> String {
        crate::handlers::table_layout().outbox_prefix().to_owned()
    }

    fn repository() -> (DynamoPaymentRepository, Arc<MemoryStore>) {
        let memory = Arc::new(MemoryStore::new(StoreConfig::new("TripSagaTable")));
        let store: Arc<dyn Store> = memory.clone();
        (DynamoPaymentRepository::new(store), memory)
    }

    fn charge(trip_id: &str, amount: &str, card_token: &str) -> ProcessPayment {
        ProcessPayment {
            trip_id: trip_id.into(),
            amount: amount.into(),
            currency: "EUR".into(),
            card_token: card_token.into(),
            idempotency_key: format!("{trip_id}#ProcessPayment"),
        }
    }

    #[tokio::test]
    async fn a_charge_commits_transaction_event_and_result_at_once() {
        let (repo, memory) = repository();
        let transaction = process_payment(
            &repo,
            charge("trip-0001", "1250.5", "tok_visa_4242424242424242"),
        )
        .await
        .unwrap();
        let changes = memory.changes();
        assert_eq!(changes.len(), 3, "{changes:#?}");
        assert_eq!(changes[0].key.sk, "PAYMENT#PT-trip-0001");
        assert!(changes[1].key.sk.starts_with(&outbox_prefix()));
        assert_eq!(changes[2].key.sk, "IDEMPOTENCY#trip-0001#ProcessPayment");
        let stored = changes[0].new_image.as_ref().unwrap();
        assert_eq!(stored["amount"], json!("1250.50"));
        assert_eq!(stored["card_last4"], json!("4242"));
        let outbox = changes[1].new_image.as_ref().unwrap();
        assert_eq!(outbox["event_type"], json!("PaymentProcessed"));
        let record = changes[2].new_image.as_ref().unwrap();
        let result: sagac_runtime::serde_json::Value =
            sagac_runtime::serde_json::from_str(record["result"].as_str().unwrap()).unwrap();
        assert_eq!(
            result,
            sagac_runtime::serde_json::to_value(transaction_entity(&transaction)).unwrap()
        );
    }

    #[tokio::test]
    async fn a_declined_card_or_a_limit_writes_nothing() {
        let (repo, memory) = repository();
        let declined = process_payment(&repo, charge("trip-0001", "100", "tok_declined_card"))
            .await
            .unwrap_err();
        assert_eq!(declined.name(), "CardDeclined");
        let limit = process_payment(
            &repo,
            charge("trip-0002", "10000.01", "tok_visa_4242424242424242"),
        )
        .await
        .unwrap_err();
        assert_eq!(limit.name(), "AmountLimitExceeded");
        assert!(memory.items().is_empty());
    }

    #[tokio::test]
    async fn a_refund_is_written_once_and_nothing_to_refund_writes_nothing() {
        let (repo, memory) = repository();
        let refund = |trip: &str| RefundPayment {
            trip_id: trip.into(),
            idempotency_key: format!("{trip}#RefundPayment"),
        };
        assert_eq!(
            refund_payment(&repo, refund("trip-0001")).await.unwrap(),
            PaymentRefund::NothingToRefund
        );
        assert!(memory.items().is_empty());
        process_payment(
            &repo,
            charge("trip-0001", "99.99", "tok_visa_4242424242424242"),
        )
        .await
        .unwrap();
        let first = refund_payment(&repo, refund("trip-0001")).await.unwrap();
        assert!(matches!(first, PaymentRefund::Refunded(_)));
        let items = memory.items();
        let again = refund_payment(&repo, refund("trip-0001")).await.unwrap();
        assert!(matches!(again, PaymentRefund::AlreadyRefunded(_)));
        assert_eq!(memory.items(), items);
        let refunded = repo
            .load_transaction(&TripId::new("trip-0001").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(refunded.status, crate::domain::PaymentStatus::Refunded);
    }
}
