//! [`FaultyStore`]: any store, with failures injected on demand.
//!
//! What a service's tests need to see how a store failure surfaces
//! (throttling as a retry, a conflict as a retry that reads again, a refused
//! transaction as an internal error), or how a commit that loses a race to a
//! concurrent writer fails, without a store that really fails or a second
//! writer that really races. It
//! wraps the real thing, usually a [`MemoryStore`](super::MemoryStore), so
//! every call that is not failed behaves exactly as the store underneath.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::{Item, Key, Query, Store, StoreConfig, StoreError, WriteOp};
use crate::BoxFuture;

/// A [`Store`] that fails its next calls with the errors queued by
/// [`fail_next`](FaultyStore::fail_next), one call per error, whichever
/// call it is (`get`, `query`, `write`, `transact`; a `commit` is a
/// `transact`, and a replayed one a `get` too), and is the store it wraps
/// otherwise. A failed call reaches nothing underneath. It can also let a
/// concurrent writer in just before the next transaction
/// ([`interleave`](FaultyStore::interleave)).
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    failures: Mutex<VecDeque<StoreError>>,
    interleaved: Mutex<Option<WriteOp>>,
}

impl std::fmt::Debug for FaultyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyStore")
            .field("table", &self.inner.config().table_name)
            .field("failures", &self.failures())
            .finish()
    }
}

impl FaultyStore {
    /// `inner`, failing nothing yet.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        FaultyStore {
            inner,
            failures: Mutex::new(VecDeque::new()),
            interleaved: Mutex::new(None),
        }
    }

    /// Writes `op` to the store underneath just before the next transaction
    /// runs, as another writer that gets there first would: the
    /// transaction then meets the state `op` left.
    pub fn interleave(&self, op: WriteOp) {
        *self
            .interleaved
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(op);
    }

    /// Makes the next `calls` calls fail with `error` (after the failures
    /// already queued).
    pub fn fail_next(&self, calls: usize, error: StoreError) {
        let mut failures = self.lock();
        failures.extend(std::iter::repeat_n(error, calls));
    }

    /// The failures still queued.
    pub fn failures(&self) -> usize {
        self.lock().len()
    }

    /// The store underneath.
    pub fn inner(&self) -> &Arc<dyn Store> {
        &self.inner
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<StoreError>> {
        // A queue of errors cannot be left half changed by a panic.
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn injected(&self) -> Result<(), StoreError> {
        self.lock().pop_front().map_or(Ok(()), Err)
    }
}

impl Store for FaultyStore {
    fn config(&self) -> &StoreConfig {
        self.inner.config()
    }

    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>> {
        Box::pin(async move {
            self.injected()?;
            self.inner.get(key).await
        })
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
        Box::pin(async move {
            self.injected()?;
            self.inner.query(query).await
        })
    }

    fn write(&self, op: WriteOp) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.injected()?;
            self.inner.write(op).await
        })
    }

    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.injected()?;
            let interleaved = self
                .interleaved
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(op) = interleaved {
                self.inner.write(op).await?;
            }
            self.inner.transact(ops).await
        })
    }

    fn recorded_result<'a>(
        &'a self,
        root_pk: &'a str,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, StoreError>> {
        Box::pin(async move {
            self.injected()?;
            self.inner.recorded_result(root_pk, idempotency_key).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
        }
    }

    #[test]
    fn fails_the_next_calls_then_is_the_store_underneath() {
        let memory = Arc::new(MemoryStore::new(StoreConfig::new("T")));
        let store = FaultyStore::new(memory.clone());
        let key = Key::new("P", "S");
        let throttled = StoreError::Transient {
            message: "throttled".into(),
        };
        store.fail_next(2, throttled.clone());
        let put = || WriteOp::put(key.clone(), serde_json::Map::new());
        assert_eq!(block_on(store.write(put())), Err(throttled.clone()));
        assert_eq!(block_on(store.get(&key)), Err(throttled));
        assert!(memory.items().is_empty(), "a failed call reaches nothing");
        assert_eq!(store.failures(), 0);
        block_on(store.write(put())).unwrap();
        assert!(block_on(store.get(&key)).unwrap().is_some());
    }

    #[test]
    fn an_interleaved_write_lands_just_before_the_next_transaction() {
        let memory = Arc::new(MemoryStore::new(StoreConfig::new("T")));
        let store = FaultyStore::new(memory.clone());
        let key = Key::new("P", "S");
        let mut item = serde_json::Map::new();
        item.insert("version".into(), 1.into());
        store.interleave(WriteOp::put(key.clone(), item));
        assert!(block_on(store.get(&key)).unwrap().is_none());
        let create = WriteOp::create(key.clone(), serde_json::Map::new());
        let lost = block_on(store.transact(vec![create.clone()]));
        assert!(
            matches!(lost, Err(StoreError::ConditionFailed { .. })),
            "{lost:?}"
        );
        assert_eq!(memory.items().len(), 1, "the other writer's item only");
        // Once: the next transaction meets no other writer.
        block_on(store.transact(vec![WriteOp::delete(key.clone())])).unwrap();
        block_on(store.transact(vec![create])).unwrap();
    }
}
