//! The travel saga end to end, and the local tools around the three
//! service binaries.
//!
//! - [`machine`]: the saga's state machine replayed in Rust: the order in
//!   which the generated definition calls the services, the payloads it
//!   sends, the retries and compensations it runs, and the root writes it
//!   makes itself.
//! - [`lambdas`]: the services run in process (the generated handlers
//!   through the runtime's `invoke_step`) or as the real binaries behind
//!   fake Lambda Runtime APIs.
//! - [`seed_demo`]: the services' demo catalogues, for local runs and the
//!   benchmark.
//!
//! `tests/saga.rs` runs the happy path and every failure path both ways
//! against moto and checks the table afterwards; `tests/duplicates.rs`
//! delivers each step twice at once; the `trip-local` binary prepares a
//! table and the `lambda-bench` binary times the service binaries
//! (`scripts/bench-services.sh`).
#![deny(missing_docs)]

pub mod lambdas;
pub mod machine;

use sagac_runtime::store::{Store, StoreError};

/// Loads every service's demo catalogue into `store`: the flights of
/// [`flight::adapters::demo_inventories`] and the hotel nights of
/// [`hotel::adapters::demo_inventories`].
pub async fn seed_demo(store: &dyn Store) -> Result<(), StoreError> {
    flight::adapters::seed_inventories(store, &flight::adapters::demo_inventories()).await?;
    hotel::adapters::seed_nights(store, &hotel::adapters::demo_inventories()).await
}
