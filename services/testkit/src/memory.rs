//! The saga's table in memory, for the services' use-case tests: the
//! runtime's `MemoryStore` behind a `FaultyStore`, so a test can run a use
//! case through the service's real repository, make the store fail, and
//! read what was committed.

use std::sync::Arc;

use sagac_runtime::store::{FaultyStore, MemoryStore, Store, StoreConfig, StoreError};
use serde_json::Value;

/// A memory store laid out as the saga's table, with failures on demand.
#[derive(Debug)]
pub struct MemoryTable {
    memory: Arc<MemoryStore>,
    faults: Arc<FaultyStore>,
}

impl Default for MemoryTable {
    fn default() -> Self {
        MemoryTable::new()
    }
}

impl MemoryTable {
    /// An empty table.
    pub fn new() -> MemoryTable {
        let memory = Arc::new(MemoryStore::new(StoreConfig::new("TripSagaTable")));
        let faults = Arc::new(FaultyStore::new(memory.clone()));
        MemoryTable { memory, faults }
    }

    /// The store a repository under test takes: it fails when told to.
    pub fn store(&self) -> Arc<dyn Store> {
        self.faults.clone()
    }

    /// The memory store underneath, which never fails: for seeding and
    /// looking.
    pub fn memory(&self) -> &MemoryStore {
        &self.memory
    }

    /// Makes the next call through [`store`](Self::store) fail with
    /// `error`.
    pub fn fail_next(&self, error: StoreError) {
        self.faults.fail_next(1, error);
    }

    /// Every event committed so far, oldest first, as its type and payload
    /// (`outbox_prefix`: the outbox sort key prefix of the spec).
    pub fn outbox(&self, outbox_prefix: &str) -> Vec<(String, Value)> {
        self.memory
            .changes()
            .into_iter()
            .filter(|change| change.old_image.is_none() && change.key.sk.starts_with(outbox_prefix))
            .filter_map(|change| change.new_image)
            .map(|item| {
                let event_type = item["event_type"].as_str().unwrap_or_default().to_owned();
                (event_type, item["payload"].clone())
            })
            .collect()
    }
}
