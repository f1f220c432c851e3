//! The travel saga end to end, and the local tools around the three
//! service binaries.
//!
//! The library has what the end-to-end test (`tests/saga.rs`), the local
//! tool (`trip-local`) and the benchmark (`scripts/bench-services.sh`)
//! share: loading the services' demo catalogues into a table.
#![deny(missing_docs)]

use sagac_runtime::store::{Store, StoreError};

/// Loads every service's demo catalogue into `store`: the flights of
/// [`flight::adapters::demo_inventories`] and the hotel nights of
/// [`hotel::adapters::demo_inventories`].
pub async fn seed_demo(store: &dyn Store) -> Result<(), StoreError> {
    flight::adapters::seed_inventories(store, &flight::adapters::demo_inventories()).await?;
    hotel::adapters::seed_nights(store, &hotel::adapters::demo_inventories()).await
}
