//! The payment rules, exercised through the use cases and the service's
//! own repository over the runtime's memory store (with failures injected
//! by the runtime's `FaultyStore`): what the use cases decide is what the
//! Lambda commits.

use std::sync::Mutex;

use payment::adapters::{DynamoPaymentRepository, transaction_entity};
use payment::application::*;
use payment::domain::*;
use sagac_runtime::serde_json::{Value, json};
use sagac_runtime::store::StoreError;
use trip_testkit::block_on;
use trip_testkit::memory::MemoryTable;

/// The repository of the Lambda over a memory store, and what a test needs
/// to look at the store or make it fail.
struct Payments {
    table: MemoryTable,
    /// A command that commits first, between the moment the next use case
    /// reads and the moment it commits: the race the store's preconditions
    /// exist for.
    duplicate: Mutex<Option<ProcessPayment>>,
    repository: DynamoPaymentRepository,
}

impl Payments {
    /// Lets `command` commit between the next use case's read and its
    /// commit.
    fn duplicate_commits_first(&self, command: ProcessPayment) {
        *self.duplicate.lock().unwrap() = Some(command);
    }

    /// An empty table.
    fn new() -> Payments {
        let table = MemoryTable::new();
        Payments {
            repository: DynamoPaymentRepository::new(table.store()),
            table,
            duplicate: Mutex::new(None),
        }
    }

    fn transaction(&self, trip_id: &TripId) -> Option<PaymentTransaction> {
        block_on(self.repository.load_transaction(trip_id)).unwrap()
    }

    /// Every event committed so far, oldest first, as its type and payload.
    fn outbox(&self) -> Vec<(String, Value)> {
        self.table
            .outbox(payment::handlers::table_layout().outbox_prefix())
    }
}

impl PaymentRepository for Payments {
    async fn load_transaction(
        &self,
        trip_id: &TripId,
    ) -> Result<Option<PaymentTransaction>, RepositoryError> {
        self.repository.load_transaction(trip_id).await
    }

    async fn commit(&self, commit: PaymentCommit) -> Result<(), RepositoryError> {
        let duplicate = self.duplicate.lock().unwrap().take();
        if let Some(duplicate) = duplicate {
            process_payment(&self.repository, duplicate).await.unwrap();
        }
        self.repository.commit(commit).await
    }
}

/// An event as the outbox holds it: its type and its payload.
fn event(event: PaymentEvent) -> (String, Value) {
    let payload = match &event {
        PaymentEvent::PaymentProcessed { transaction } => {
            sagac_runtime::serde_json::to_value(transaction_entity(transaction)).unwrap()
        }
        PaymentEvent::PaymentRefunded {
            trip_id,
            payment_id,
            amount,
            status,
        } => json!({
            "trip_id": trip_id.as_str(), "payment_id": payment_id.as_str(),
            "amount": amount.decimal(), "status": status.as_str()
        }),
    };
    (event.name().to_owned(), payload)
}

fn trip(id: &str) -> TripId {
    TripId::new(id).unwrap()
}

fn pay(trip_id: &str, amount: &str, currency: &str) -> ProcessPayment {
    ProcessPayment {
        trip_id: trip_id.to_owned(),
        amount: amount.to_owned(),
        currency: currency.to_owned(),
        card_token: "tok_visa_4242424242424242".to_owned(),
        idempotency_key: format!("{trip_id}#ProcessPayment"),
    }
}

fn refund(trip_id: &str) -> RefundPayment {
    RefundPayment {
        trip_id: trip_id.to_owned(),
        idempotency_key: format!("{trip_id}#RefundPayment"),
    }
}

#[test]
fn a_payment_charges_the_card_and_emits_payment_processed() {
    let repository = Payments::new();
    let transaction = block_on(process_payment(
        &repository,
        pay("trip-0001", "2401.5", "EUR"),
    ))
    .unwrap();

    assert_eq!(
        transaction,
        PaymentTransaction {
            trip_id: trip("trip-0001"),
            payment_id: PaymentId::new("PT-trip-0001").unwrap(),
            amount: Money::from_minor_units(Currency::Eur, 240_150),
            card_last4: Some("4242".to_owned()),
            status: PaymentStatus::Charged,
        }
    );
    assert_eq!(transaction.amount.decimal(), "2401.50");
    assert_eq!(
        repository.transaction(&trip("trip-0001")),
        Some(transaction.clone())
    );
    assert_eq!(
        repository.outbox(),
        vec![event(PaymentEvent::PaymentProcessed { transaction })]
    );
}

#[test]
fn yen_and_dollars_are_counted_in_their_own_minor_units() {
    let repository = Payments::new();
    let yen = block_on(process_payment(
        &repository,
        pay("trip-0001", "150000", "JPY"),
    ))
    .unwrap();
    let dollars = block_on(process_payment(
        &repository,
        pay("trip-0002", "1500.25", "USD"),
    ))
    .unwrap();
    assert_eq!(yen.amount.minor_units(), 150_000);
    assert_eq!(yen.amount.decimal(), "150000");
    assert_eq!(dollars.amount.minor_units(), 150_025);
    assert_eq!(dollars.amount.decimal(), "1500.25");

    let error = block_on(process_payment(
        &repository,
        pay("trip-0003", "1500.5", "JPY"),
    ))
    .unwrap_err();
    assert!(
        matches!(
            error,
            PaymentError::InvalidCommand {
                field: "amount",
                ..
            }
        ),
        "{error:?}"
    );
    let error = block_on(process_payment(
        &repository,
        pay("trip-0003", "1500.255", "USD"),
    ))
    .unwrap_err();
    assert!(
        matches!(
            error,
            PaymentError::InvalidCommand {
                field: "amount",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn the_limit_is_inclusive_in_every_currency() {
    let repository = Payments::new();
    for (n, (currency, at_limit, above)) in [
        ("EUR", "10000.00", "10000.01"),
        ("USD", "1e4", "10000.01"),
        ("JPY", "1500000", "1500001"),
    ]
    .into_iter()
    .enumerate()
    {
        block_on(process_payment(
            &repository,
            pay(&format!("trip-at-{n}"), at_limit, currency),
        ))
        .unwrap();
        let error = block_on(process_payment(
            &repository,
            pay(&format!("trip-above-{n}"), above, currency),
        ))
        .unwrap_err();
        assert!(
            matches!(error, PaymentError::AmountLimitExceeded { .. }),
            "{error:?}"
        );
        assert_eq!(error.name(), "AmountLimitExceeded");
        assert_eq!(error.kind(), FailureKind::Business);
    }
    assert_eq!(repository.outbox().len(), 3);
}

#[test]
fn declined_cards_charge_nothing() {
    let repository = Payments::new();
    for (token, reason) in [
        ("tok_declined_do_not_honor", DeclineReason::IssuerDeclined),
        (
            "tok_visa_4242424242424241",
            DeclineReason::InvalidCardNumber,
        ),
        ("pm_4242424242424242", DeclineReason::UnknownToken),
    ] {
        let command = ProcessPayment {
            card_token: token.to_owned(),
            ..pay("trip-0001", "100", "USD")
        };
        let error = block_on(process_payment(&repository, command)).unwrap_err();
        assert_eq!(error, PaymentError::CardDeclined { reason });
        assert_eq!(error.name(), "CardDeclined");
        assert_eq!(error.kind(), FailureKind::Business);
    }
    assert_eq!(repository.transaction(&trip("trip-0001")), None);
    assert!(repository.outbox().is_empty());
}

#[test]
fn an_opaque_token_is_charged_without_card_digits() {
    let repository = Payments::new();
    let command = ProcessPayment {
        card_token: "tok_vault_8f3a".to_owned(),
        ..pay("trip-0001", "0", "EUR")
    };
    let transaction = block_on(process_payment(&repository, command)).unwrap();
    assert_eq!(transaction.card_last4, None);
    assert_eq!(transaction.amount, Money::zero(Currency::Eur));
}

#[test]
fn paying_twice_for_a_trip_charges_once() {
    let repository = Payments::new();
    let first = block_on(process_payment(
        &repository,
        pay("trip-0001", "99.90", "USD"),
    ))
    .unwrap();
    // The same amount, written another way, is the same request.
    let again = block_on(process_payment(
        &repository,
        pay("trip-0001", "99.9", "USD"),
    ))
    .unwrap();
    assert_eq!(again, first);
    assert_eq!(repository.outbox().len(), 1);

    let error = block_on(process_payment(&repository, pay("trip-0001", "100", "USD"))).unwrap_err();
    assert!(matches!(
        error,
        PaymentError::InvalidCommand {
            field: "trip_id",
            ..
        }
    ));
    assert_eq!(error.kind(), FailureKind::Rejected);
}

#[test]
fn a_refund_gives_everything_back_and_emits_payment_refunded() {
    let repository = Payments::new();
    block_on(process_payment(
        &repository,
        pay("trip-0001", "150000", "JPY"),
    ))
    .unwrap();
    let outcome = block_on(refund_payment(&repository, refund("trip-0001"))).unwrap();

    let PaymentRefund::Refunded(transaction) = outcome else {
        panic!("expected a refund, got {outcome:?}");
    };
    assert_eq!(transaction.status, PaymentStatus::Refunded);
    assert_eq!(
        repository.transaction(&trip("trip-0001")),
        Some(transaction)
    );
    assert_eq!(
        repository.outbox().last(),
        Some(&event(PaymentEvent::PaymentRefunded {
            trip_id: trip("trip-0001"),
            payment_id: PaymentId::new("PT-trip-0001").unwrap(),
            amount: Money::from_minor_units(Currency::Jpy, 150_000),
            status: PaymentStatus::Refunded,
        }))
    );
}

#[test]
fn refunding_twice_succeeds_and_refunds_once() {
    let repository = Payments::new();
    block_on(process_payment(&repository, pay("trip-0001", "10", "EUR"))).unwrap();
    block_on(refund_payment(&repository, refund("trip-0001"))).unwrap();
    let again = block_on(refund_payment(&repository, refund("trip-0001"))).unwrap();
    assert!(matches!(again, PaymentRefund::AlreadyRefunded(_)));
    assert_eq!(
        again.transaction().map(|t| t.status),
        Some(PaymentStatus::Refunded)
    );
    assert_eq!(repository.outbox().len(), 2);
}

#[test]
fn refunding_a_trip_that_never_paid_is_nothing_to_refund() {
    let repository = Payments::new();
    for trip_id in ["trip-9999", "not a trip id #", ""] {
        let outcome = block_on(refund_payment(&repository, refund(trip_id))).unwrap();
        assert_eq!(outcome, PaymentRefund::NothingToRefund);
        assert_eq!(outcome.transaction(), None);
    }
    assert!(repository.outbox().is_empty());
}

#[test]
fn a_refunded_trip_cannot_be_charged_again() {
    let repository = Payments::new();
    block_on(process_payment(&repository, pay("trip-0001", "10", "EUR"))).unwrap();
    block_on(refund_payment(&repository, refund("trip-0001"))).unwrap();
    let error = block_on(process_payment(&repository, pay("trip-0001", "10", "EUR"))).unwrap_err();
    assert_eq!(
        error,
        PaymentError::AlreadyCompensated {
            trip_id: trip("trip-0001")
        }
    );
    assert_eq!(error.name(), "AlreadyCompensated");
    assert_eq!(repository.outbox().len(), 2);
}

#[test]
fn malformed_commands_are_rejected_by_field() {
    let repository = Payments::new();
    let ok = pay("trip-0001", "10", "EUR");
    let cases = [
        (
            ProcessPayment {
                currency: "GBP".to_owned(),
                ..ok.clone()
            },
            "currency",
        ),
        (
            ProcessPayment {
                currency: "eur".to_owned(),
                ..ok.clone()
            },
            "currency",
        ),
        (
            ProcessPayment {
                amount: "-10".to_owned(),
                ..ok.clone()
            },
            "amount",
        ),
        (
            ProcessPayment {
                amount: "ten".to_owned(),
                ..ok.clone()
            },
            "amount",
        ),
        (
            ProcessPayment {
                amount: String::new(),
                ..ok.clone()
            },
            "amount",
        ),
        (
            ProcessPayment {
                card_token: String::new(),
                ..ok.clone()
            },
            "card_token",
        ),
        (
            ProcessPayment {
                card_token: "tok visa".to_owned(),
                ..ok.clone()
            },
            "card_token",
        ),
        (
            ProcessPayment {
                trip_id: "trip#1".to_owned(),
                ..ok.clone()
            },
            "trip_id",
        ),
        (
            ProcessPayment {
                idempotency_key: String::new(),
                ..ok.clone()
            },
            "idempotency_key",
        ),
    ];
    for (command, expected_field) in cases {
        let error = block_on(process_payment(&repository, command.clone())).unwrap_err();
        assert!(
            matches!(error, PaymentError::InvalidCommand { field, .. } if field == expected_field),
            "{command:?}: {error:?}"
        );
        assert_eq!(error.name(), "InvalidCommand");
    }
    assert!(repository.outbox().is_empty());
}

#[test]
fn the_card_token_stays_out_of_debug_output() {
    let text = format!("{:?}", pay("trip-0001", "10", "EUR"));
    assert!(!text.contains("4242"), "{text}");
}

#[test]
fn store_failures_are_transient_and_charge_nothing() {
    let repository = Payments::new();
    repository.table.fail_next(StoreError::Transient {
        message: "throttled".to_owned(),
    });
    let error = block_on(process_payment(&repository, pay("trip-0001", "10", "EUR"))).unwrap_err();
    assert_eq!(error.name(), "TransientError");
    assert_eq!(error.kind(), FailureKind::Transient);
    assert!(repository.outbox().is_empty());
    block_on(process_payment(&repository, pay("trip-0001", "10", "EUR"))).unwrap();
}

#[test]
fn a_duplicated_invocation_racing_itself_charges_once() {
    let store = Payments::new();
    store.duplicate_commits_first(pay("trip-0001", "10", "EUR"));
    let error = block_on(process_payment(&store, pay("trip-0001", "10", "EUR"))).unwrap_err();
    assert!(matches!(
        error,
        PaymentError::Repository(RepositoryError::Conflict { .. })
    ));
    // The state machine retries the transient error and gets the first charge.
    let retried = block_on(process_payment(&store, pay("trip-0001", "10", "EUR"))).unwrap();
    assert_eq!(Some(retried), store.transaction(&trip("trip-0001")));
    assert_eq!(store.outbox().len(), 1);
}

#[test]
fn use_case_futures_can_move_between_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let repository = Payments::new();
    let paying = process_payment(&repository, pay("trip-0001", "10", "EUR"));
    assert_send(&paying);
    let refunding = refund_payment(&repository, refund("trip-0001"));
    assert_send(&refunding);
}
