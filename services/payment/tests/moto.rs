//! The payment service against a DynamoDB-wire server (moto_server, see
//! `trip_testkit::endpoint`): the generated handler over the DynamoDB
//! adapter, driven through `sagac_runtime::invoke_step` (what the Lambda
//! binary runs for each event), and the binary itself behind a fake Lambda
//! Runtime API.
//!
//! Two deliveries of one event at the same time are tested over the memory
//! store (`services/e2e/tests/duplicates.rs`), not here: moto's
//! `TransactWriteItems` is not isolated from concurrent requests, so a race
//! on moto says nothing about DynamoDB.

use payment::adapters::DynamoPaymentRepository;
use payment::handlers::{Payment, PaymentHandler, dispatch_payment};
use serde_json::{Value, json};
use trip_testkit::lambda::Outcome;
use trip_testkit::service::ServiceUnderTest;
use trip_testkit::{Execution, diff, request, sort_keys, with_sk_prefix};

/// The outbox sort key prefix of the spec under test.
fn outbox_prefix() -> String {
    payment::handlers::table_layout().outbox_prefix().to_owned()
}

type Setup = ServiceUnderTest<PaymentHandler<Payment<DynamoPaymentRepository>>>;

/// The payment service over a fresh table.
async fn setup() -> Setup {
    Setup::start(|store| {
        let handler = PaymentHandler::new(Payment::new(DynamoPaymentRepository::new(store)));
        let config = handler.config();
        (handler, config)
    })
    .await
}

/// The test trip's request paying `amount` with `card_token`.
fn paying(amount: Value, card_token: &str) -> Value {
    let mut request = request("trip-0001");
    request["amount"] = amount;
    request["card_token"] = json!(card_token);
    request
}

#[tokio::test]
async fn charge_and_refund_each_write_entity_and_outbox_in_one_transaction() {
    let s = setup().await;
    let mut execution = Execution::new(request("trip-0001"));
    let before = s.scan().await;
    let paid = s
        .invoke(execution.payload("ProcessPayment", 0))
        .await
        .unwrap();
    assert_eq!(
        paid,
        json!({
            "trip_id": "trip-0001", "payment_id": "PT-trip-0001", "amount": "3361.00",
            "currency": "EUR", "card_last4": "4242", "status": "CHARGED"
        })
    );
    let (changed, removed) = diff(&before, &s.scan().await);
    assert!(removed.is_empty());
    let keys = sort_keys(&changed);
    assert_eq!(keys.len(), 3, "{keys:#?}");
    assert_eq!(keys[0], "IDEMPOTENCY#trip-0001#ProcessPayment");
    assert!(keys[1].starts_with(&outbox_prefix()));
    assert_eq!(keys[2], "PAYMENT#PT-trip-0001");
    assert_eq!(changed[1]["event_type"], json!("PaymentProcessed"));
    assert_eq!(changed[1]["payload"], paid);

    // A later step failed (say the trip's own confirmation): refund.
    execution.record("ProcessPayment", paid);
    execution.fail("States.TaskFailed", "a later step failed");
    let before = s.scan().await;
    let refunded = s
        .invoke(execution.payload("RefundPayment", 0))
        .await
        .unwrap();
    assert_eq!(refunded["status"], json!("REFUNDED"));
    let (changed, _) = diff(&before, &s.scan().await);
    assert_eq!(changed.len(), 3, "{:#?}", sort_keys(&changed));
    assert_eq!(
        changed[0]["SK"],
        json!("IDEMPOTENCY#trip-0001#RefundPayment")
    );
    assert_eq!(changed[1]["event_type"], json!("PaymentRefunded"));
    assert_eq!(
        changed[1]["payload"],
        json!({"trip_id": "trip-0001", "payment_id": "PT-trip-0001", "amount": "3361.00", "status": "REFUNDED"})
    );
    assert_eq!(changed[2]["status"], json!("REFUNDED"));
    let items = s.scan().await;
    assert_eq!(with_sk_prefix(&items, &outbox_prefix()).len(), 2);
}

#[tokio::test]
async fn a_declined_card_and_an_amount_over_the_limit_write_nothing() {
    let s = setup().await;
    let declined = s
        .invoke(
            Execution::new(paying(json!(100), "tok_declined_insufficient_funds"))
                .payload("ProcessPayment", 0),
        )
        .await
        .unwrap_err();
    assert_eq!(declined.error_name(), "CardDeclined");
    let bad_luhn = s
        .invoke(
            Execution::new(paying(json!(100), "tok_visa_4242424242424241"))
                .payload("ProcessPayment", 0),
        )
        .await
        .unwrap_err();
    assert_eq!(bad_luhn.error_name(), "CardDeclined");
    let mut over = paying(json!("10000.01"), "tok_visa_4242424242424242");
    over["trip_id"] = json!("trip-0002");
    let limit = s
        .invoke(Execution::new(over).payload("ProcessPayment", 0))
        .await
        .unwrap_err();
    assert_eq!(limit.error_name(), "AmountLimitExceeded");
    assert!(s.scan().await.is_empty());
}

#[tokio::test]
async fn the_same_event_twice_charges_once() {
    let s = setup().await;
    let execution = Execution::new(request("trip-0001"));
    let first = s
        .invoke(execution.payload("ProcessPayment", 0))
        .await
        .unwrap();
    let after_first = s.scan().await;
    let again = s
        .invoke(execution.payload("ProcessPayment", 0))
        .await
        .unwrap();
    let retried = s
        .invoke(execution.payload("ProcessPayment", 3))
        .await
        .unwrap();
    let dispatched = dispatch_payment(s.handler.service(), execution.payload("ProcessPayment", 0))
        .await
        .unwrap();
    assert_eq!([&again, &retried, &dispatched], [&first; 3]);
    assert_eq!(s.scan().await, after_first);
}

#[tokio::test]
async fn refunding_what_was_never_charged_succeeds_and_writes_nothing() {
    let s = setup().await;
    let mut execution = Execution::new(request("trip-0001"));
    execution.fail("States.Timeout", "ProcessPayment timed out");
    let outcome = s
        .invoke(execution.payload("RefundPayment", 0))
        .await
        .unwrap();
    assert_eq!(outcome, Value::Null);
    assert!(s.scan().await.is_empty());
}

/// A payload and what is wrong with it.
type Case = trip_testkit::Case;

/// The shared malformed payloads of `ProcessPayment`, split by what it
/// receives (`trip_testkit::malformed_split`).
fn shared_malformed() -> (Vec<Case>, Vec<Case>) {
    trip_testkit::malformed_split("ProcessPayment", "CancelFlight")
}

/// What the saga could never have sent, or the payment service cannot act
/// on: each is `Saga.InvalidPayload` and writes nothing.
fn malformed() -> Vec<Case> {
    let (mut payloads, _) = shared_malformed();
    let mut with = |what, field: &str, value: Value| {
        let mut request = request("trip-0001");
        request[field] = value;
        payloads.push((what, Execution::new(request).payload("ProcessPayment", 0)));
    };
    with(
        "a currency the service does not take",
        "currency",
        json!("GBP"),
    );
    with("a negative amount", "amount", json!(-5));
    with("sub-cent euros", "amount", json!("10.005"));
    let mut yen = paying(json!(3361.5), "tok_visa_4242424242424242");
    yen["currency"] = json!("JPY");
    payloads.push((
        "fractional yen",
        Execution::new(yen).payload("ProcessPayment", 0),
    ));
    // The output of an earlier step the payment does receive: its own
    // transaction, in the compensation's input.
    let mut execution = Execution::new(request("trip-0001"));
    execution.record("ProcessPayment", json!(7));
    execution.fail("States.TaskFailed", "a later step failed");
    payloads.push((
        "the transaction to refund of the wrong shape",
        execution.payload("RefundPayment", 0),
    ));
    payloads
}

/// A payload wrong only in what other steps receive charges as the good
/// one does: the payment decodes only its own input.
#[tokio::test]
async fn what_only_other_steps_receive_is_not_the_payments_concern() {
    let (_, elsewhere) = shared_malformed();
    assert!(!elsewhere.is_empty());
    for (what, payload) in elsewhere {
        // A table each: a second invocation would be answered from the
        // first one's idempotency record, before its input is decoded.
        let s = setup().await;
        let paid = s
            .invoke(payload)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(paid["payment_id"], json!("PT-trip-0001"), "{what}");
        assert_eq!(paid["amount"], json!("3361.00"), "{what}");
    }
}

#[tokio::test]
async fn a_malformed_payload_is_invalid_and_writes_nothing() {
    let s = setup().await;
    s.assert_invalid_and_writes_nothing(malformed()).await;
    assert!(s.scan().await.is_empty());
    // The path names the field of the step's input at fault.
    let mut pounds = request("trip-0001");
    pounds["currency"] = json!("GBP");
    let error = s
        .invoke(Execution::new(pounds).payload("ProcessPayment", 0))
        .await
        .unwrap_err();
    assert!(error.message().contains("input.currency"), "{error}");
}

#[tokio::test]
async fn the_binary_answers_a_malformed_event_with_a_lambda_error() {
    let s = setup().await;
    let binary = s.binary(
        std::path::Path::new(env!("CARGO_BIN_EXE_payment")),
        "TripBooking-payment",
    );
    binary.assert_invalid(malformed());
    assert!(s.scan().await.is_empty());
    let declined = binary
        .invoke(Execution::new(paying(json!(10), "tok_declined")).payload("ProcessPayment", 0));
    assert_eq!(declined.error_type(), Some("CardDeclined"), "{declined:?}");
    let payload = Execution::new(request("trip-0001")).payload("ProcessPayment", 0);
    let first = binary.invoke(payload.clone());
    let Outcome::Response(paid) = &first else {
        panic!("{first:?}")
    };
    assert_eq!(paid["amount"], json!("3361.00"));
    assert_eq!(binary.invoke(payload), first);
    let items = s.scan().await;
    assert_eq!(with_sk_prefix(&items, &outbox_prefix()).len(), 1);
}
