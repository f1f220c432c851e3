//! One service under test on the test server, as every service's
//! `tests/moto.rs` drives it: its generated handler over a fresh table,
//! invoked through `sagac_runtime::invoke_step` (what the Lambda binary
//! runs for each event), and its binary behind a fake Lambda Runtime API.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sagac_runtime::store::{DynamoStore, Item, Store};
use sagac_runtime::{SagaError, ServiceConfig, StepHandler, invoke_step};
use serde_json::Value;

use crate::lambda::{FakeRuntime, LambdaProcess, Outcome, service_env};
use crate::{Case, scan, table};

/// A service's handler over a fresh table of the test server.
pub struct ServiceUnderTest<H> {
    /// The store over the table.
    pub store: Arc<DynamoStore>,
    /// The generated handler.
    pub handler: H,
    /// The handler's configuration (`handler.config()`).
    pub config: ServiceConfig,
}

impl<H: StepHandler> ServiceUnderTest<H> {
    /// A fresh table (see [`table`]) and the handler `make` builds over its
    /// store, with the handler's configuration.
    pub async fn start(make: impl FnOnce(Arc<dyn Store>) -> (H, ServiceConfig)) -> Self {
        let store = Arc::new(table().await);
        let (handler, config) = make(store.clone());
        ServiceUnderTest {
            store,
            handler,
            config,
        }
    }

    /// The store, as a repository takes it.
    pub fn shared(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// One invocation with `payload`, as the Lambda runs it: the
    /// idempotency pre-check, then the handler.
    pub async fn invoke(&self, payload: Value) -> Result<Value, SagaError> {
        self.invoke_with(&self.handler, payload).await
    }

    /// [`invoke`](Self::invoke), through another handler over the same
    /// table (one whose repository interferes, say).
    pub async fn invoke_with(
        &self,
        handler: &dyn StepHandler,
        payload: Value,
    ) -> Result<Value, SagaError> {
        invoke_step(&self.config, Some(self.store.as_ref()), handler, payload).await
    }

    /// Every item of the table, in key order.
    pub async fn scan(&self) -> Vec<Item> {
        scan(&self.store).await
    }

    /// Panics unless every payload of `cases` is answered with
    /// `Saga.InvalidPayload`, never retried, and the table is unchanged.
    pub async fn assert_invalid_and_writes_nothing(&self, cases: Vec<Case>) {
        let before = self.scan().await;
        for (what, payload) in cases {
            let error = self.invoke(payload).await.unwrap_err();
            assert_eq!(error.error_name(), "Saga.InvalidPayload", "{what}: {error}");
            assert!(!error.is_retriable(), "{what}");
        }
        assert_eq!(self.scan().await, before);
    }

    /// The service's binary, initialised against a fake Runtime API as the
    /// function `function`, over this table.
    pub fn binary(&self, executable: &Path, function: &str) -> Binary {
        let runtime = FakeRuntime::start();
        let env = service_env(&self.store.config().table_name);
        let process = LambdaProcess::spawn(executable, &runtime, function, &env);
        Binary {
            _process: process,
            runtime,
        }
    }
}

/// A service's binary running behind a fake Lambda Runtime API; stopped
/// when dropped.
pub struct Binary {
    // Dropped first: the process stops before the runtime it polls.
    _process: LambdaProcess,
    runtime: FakeRuntime,
}

impl Binary {
    /// How long one invocation may take, init included.
    const TIMEOUT: Duration = Duration::from_secs(30);

    /// Delivers `payload` and waits for the answer. Blocking is fine in an
    /// async test: the process and the fake runtime's threads run on their
    /// own.
    pub fn invoke(&self, payload: Value) -> Outcome {
        self.runtime.invoke(payload, Self::TIMEOUT).outcome
    }

    /// Panics unless every payload of `cases` is answered with a Lambda
    /// error named `Saga.InvalidPayload`.
    pub fn assert_invalid(&self, cases: Vec<Case>) {
        for (what, payload) in cases {
            let outcome = self.invoke(payload);
            assert_eq!(
                outcome.error_type(),
                Some("Saga.InvalidPayload"),
                "{what}: {outcome:?}"
            );
        }
    }
}

/// The keys of `items` as `PK/SK`, in order.
pub fn item_keys(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            format!(
                "{}/{}",
                i["PK"].as_str().unwrap_or_default(),
                i["SK"].as_str().unwrap_or_default()
            )
        })
        .collect()
}
