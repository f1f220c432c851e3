//! The two services of the ticket-sale example saga
//! (`spec/examples/ticket-sale.saga.yaml`), small but real: `seating` holds
//! and releases a concert's seats against its inventory, `billing` charges
//! and refunds the buyer's card.
//!
//! The example exists to prove that nothing between the spec and a running
//! Lambda assumes the reference spec's table conventions: its table keys
//! items by `pk`/`sk`, expires them by `expires`, and files outbox items
//! under `EVT#`. The services never name any of that: the generated
//! `table_layout()` carries it into the store, and the generated template
//! hands it to the outbox dispatcher (`tests/end_to_end.rs` runs the whole
//! saga through the binaries and the dispatcher on the test server).
//!
//! Each service is a module: `domain` decides (pure Rust, no store), the
//! service type translates the generated command into a decision and the
//! decision into one atomic [`sagac_runtime::Change`].

pub mod billing;
pub mod seating;

use sagac_runtime::SagaError;
use sagac_runtime::serde::de::DeserializeOwned;
use sagac_runtime::serde_json::Value;
use sagac_runtime::store::Item;

/// An entity as the item the store writes (its fields; the store adds the
/// key attributes).
fn from_item<T: DeserializeOwned>(item: Item, what: &str) -> Result<T, SagaError> {
    sagac_runtime::serde_json::from_value(Value::Object(item))
        .map_err(|e| SagaError::internal(format!("a stored {what} is damaged: {e}")))
}
