//! Two deliveries of the same event at the same time (Lambda's
//! at-least-once delivery, or a retry racing a slow first attempt), for
//! every action and compensation of the three services.
//!
//! This runs over the runtime's `MemoryStore`, whose transactions are
//! atomic and isolated like DynamoDB's, behind a wrapper that yields to
//! the executor before every store call, so the two invocations interleave
//! at every read and write, every interleaving a deterministic yield can
//! reach. (`tests/concurrency.rs` races the real binaries on the test
//! server, which serialises requests to keep moto's transactions atomic.)
//! Whatever the interleaving, the step takes effect once: one entity
//! change, one outbox event, one idempotency record; the invocation that
//! loses either answers with the winner's result or fails with
//! `TransientError`, and its retry answers with the winner's result.

use std::sync::Arc;

use sagac_runtime::BoxFuture;
use sagac_runtime::store::{
    IDEMPOTENCY_PREFIX, Item, Key, MemoryStore, Query, Store, StoreConfig, StoreError, WriteOp,
};
use serde_json::{Value, json};
use trip_e2e::lambdas::InProcess;
use trip_e2e::machine::{Failure, Lambdas, STEPS};
use trip_e2e::seed_demo;
use trip_testkit::{Execution, quiet, request};

/// The outbox sort key prefix of the spec under test.
fn outbox_prefix() -> String {
    flight::handlers::table_layout().outbox_prefix().to_owned()
}

/// A memory store that yields before every call.
struct Yielding(MemoryStore);

impl Store for Yielding {
    fn config(&self) -> &StoreConfig {
        self.0.config()
    }

    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.0.get(key).await
        })
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.0.query(query).await
        })
    }

    fn write(&self, op: WriteOp) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.0.write(op).await
        })
    }

    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.0.transact(ops).await
        })
    }
}

/// Delivers `state` twice at once, retries a transient loser, and returns
/// the answer (which both deliveries must agree on).
async fn twice_at_once(lambdas: &InProcess, execution: &Execution, state: &str) -> Value {
    let step = STEPS
        .iter()
        .find(|s| s.state == state || s.compensation == state)
        .unwrap();
    let (a, b) = tokio::join!(
        lambdas.invoke(step.service.name(), execution.payload(state, 0)),
        lambdas.invoke(step.service.name(), execution.payload(state, 0)),
    );
    let mut answers = Vec::new();
    let mut transient = 0;
    for outcome in [a, b] {
        match outcome {
            Ok(value) => answers.push(value),
            Err(Failure { error, cause }) => {
                assert_eq!(error, "TransientError", "{state}: {cause}");
                transient += 1;
            }
        }
    }
    assert!(!answers.is_empty(), "{state}: both deliveries failed");
    for _ in 0..transient {
        let retried = lambdas
            .invoke(step.service.name(), execution.payload(state, 1))
            .await
            .unwrap();
        answers.push(retried);
    }
    assert_eq!(
        answers[0], answers[1],
        "{state}: both deliveries answer alike"
    );
    answers.remove(0)
}

fn count(items: &[Item], trip: &str, prefix: &str) -> usize {
    items
        .iter()
        .filter(|i| i["PK"] == format!("TRIP#{trip}").as_str())
        .filter(|i| i["SK"].as_str().is_some_and(|sk| sk.starts_with(prefix)))
        .count()
}

fn holds_of(items: &[Item], trip: &str) -> Vec<u64> {
    items
        .iter()
        .filter_map(|i| i.get("holds")?.get(trip)?.as_u64())
        .collect()
}

#[tokio::test]
async fn every_step_delivered_twice_at_once_takes_effect_once() {
    quiet();
    let memory = Arc::new(Yielding(MemoryStore::new(StoreConfig::new(
        "TripSagaTable",
    ))));
    seed_demo(memory.as_ref()).await.unwrap();
    let store: Arc<dyn Store> = memory.clone();
    let lambdas = InProcess::new(store);
    let trip = "trip-twice-0001";
    let mut execution = Execution::new(request(trip));

    let mut changes = 0;
    for step in STEPS {
        let output = twice_at_once(&lambdas, &execution, step.state).await;
        changes += 1;
        let items = memory.0.items();
        assert_eq!(
            count(&items, trip, &outbox_prefix()),
            changes,
            "{}",
            step.state
        );
        assert_eq!(
            count(&items, trip, IDEMPOTENCY_PREFIX),
            changes,
            "{}",
            step.state
        );
        execution.record(step.state, output);
    }
    let items = memory.0.items();
    // 2 seats on one flight, 1 room on each of 4 nights.
    assert_eq!(holds_of(&items, trip), [2, 1, 1, 1, 1]);

    execution.fail("States.Timeout", "a later step timed out");
    for step in STEPS.iter().rev() {
        let output = twice_at_once(&lambdas, &execution, step.compensation).await;
        assert!(
            output["status"] == json!("CANCELLED") || output["status"] == json!("REFUNDED"),
            "{}: {output}",
            step.compensation
        );
        changes += 1;
        let items = memory.0.items();
        assert_eq!(
            count(&items, trip, &outbox_prefix()),
            changes,
            "{}",
            step.compensation
        );
        execution.record(step.compensation, output);
    }
    let items = memory.0.items();
    assert!(holds_of(&items, trip).is_empty(), "every hold released");
}
