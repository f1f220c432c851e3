//! The `seating` service: seat holds against a concert's inventory.
//!
//! The inventory is the service's own item (`CONCERT#{concert_id}` /
//! `SEATS`, attribute `available`), not a spec entity. A hold decrements it
//! under the condition that enough seats remain, in the same transaction
//! as the `SeatHold` and its `SeatsHeld` event, so two sales racing for the
//! last seats can never both get them.

use std::sync::Arc;

use sagac_runtime::store::{Change, Condition, Key, Store, StoreError, Update, WriteOp};
use sagac_runtime::{Entity as _, SagaError};

use crate::from_item;

sagac_macros::saga!(
    "../../spec/examples/ticket-sale.saga.yaml",
    service = "seating"
);

use ticket_sale::{
    HoldSeatsCommand, HoldSeatsError, ReleaseSeatsCommand, ReleaseSeatsError, SeatHold, SeatsHeld,
    SeatsReleased,
};
pub use ticket_sale::{
    SeatingHandler, SeatingService, dispatch_seating, serve_seating, table_layout,
};

/// Pure decisions of the seating service.
pub mod domain {
    /// Why a hold is refused.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Refusal {
        /// Fewer seats remain than asked for.
        SoldOut {
            /// Seats left.
            available: i64,
        },
    }

    /// Whether `wanted` seats can be held when `available` remain.
    pub fn hold(available: i64, wanted: i64) -> Result<i64, Refusal> {
        if wanted <= available {
            Ok(available - wanted)
        } else {
            Err(Refusal::SoldOut { available })
        }
    }

    /// The status of a held hold.
    pub const HELD: &str = "HELD";
    /// The status of a released hold.
    pub const RELEASED: &str = "RELEASED";
}

/// How often a hold re-reads the inventory after losing a race for it.
const ATTEMPTS: usize = 5;
/// Label of the inventory condition.
const INVENTORY: &str = "inventory";

/// The inventory item of a concert.
pub fn inventory_key(concert_id: &str) -> Key {
    Key::new(format!("CONCERT#{concert_id}"), "SEATS")
}

/// The seating service over a store.
#[derive(Clone)]
pub struct Seating {
    store: Arc<dyn Store>,
}

impl Seating {
    /// The service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Seating { store }
    }

    /// Puts a concert's inventory of `seats` seats (demo data and tests).
    ///
    /// # Errors
    ///
    /// When the store refuses the write.
    pub async fn open_concert(&self, concert_id: &str, seats: i64) -> Result<(), StoreError> {
        let mut item = sagac_runtime::store::Item::new();
        item.insert("concert_id".into(), concert_id.into());
        item.insert("available".into(), seats.into());
        self.store
            .write(WriteOp::put(inventory_key(concert_id), item))
            .await
    }
}

#[sagac_macros::service]
impl SeatingService for Seating {
    async fn hold_seats(&self, command: HoldSeatsCommand) -> Result<SeatHold, HoldSeatsError> {
        let request = &command.input;
        let inventory = inventory_key(&request.concert_id);
        let hold = SeatHold {
            sale_id: request.sale_id.clone(),
            concert_id: request.concert_id.clone(),
            seats: request.seats,
            status: domain::HELD.to_owned(),
        };
        let hold_item = hold
            .to_item()
            .map_err(|e| SagaError::internal(format!("a hold could not be encoded: {e}")))?;
        for _ in 0..ATTEMPTS {
            let Some(item) = self.store.get(&inventory).await? else {
                return Err(HoldSeatsError::ConcertNotFound(format!(
                    "there is no concert `{}`",
                    request.concert_id
                )));
            };
            let available = item.get("available").and_then(|v| v.as_i64()).unwrap_or(0);
            if let Err(domain::Refusal::SoldOut { available }) =
                domain::hold(available, request.seats)
            {
                return Err(HoldSeatsError::SoldOut(format!(
                    "{} seats asked for, {available} left for `{}`",
                    request.seats, request.concert_id
                )));
            }
            let change = Change::for_step(&command.context, hold.primary_key().pk)
                .with(
                    WriteOp::update(
                        inventory.clone(),
                        Update::new().increment("available", -request.seats),
                    )
                    .when(Condition::ge("available", request.seats))
                    .label(INVENTORY),
                )
                .with(WriteOp::create(hold.primary_key(), hold_item.clone()))
                .event(&SeatsHeld::from(&hold))
                .result(&hold);
            match self.store.commit(change).await {
                Ok(committed) => return Ok(from_item_value(committed.result)?),
                // Another sale took seats between the read and the write:
                // decide again on the new inventory.
                Err(e) if e.is_condition(INVENTORY) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(HoldSeatsError::transient(format!(
            "the inventory of `{}` kept changing under {ATTEMPTS} attempts",
            request.concert_id
        )))
    }

    async fn release_seats(
        &self,
        command: ReleaseSeatsCommand,
    ) -> Result<Option<SeatHold>, ReleaseSeatsError> {
        let request = &command.input;
        let key = SeatHold::key(&request.sale_id, &request.concert_id);
        let Some(item) = self.store.get(&key).await? else {
            // The hold never happened: nothing to undo.
            return Ok(None);
        };
        let held: SeatHold = from_item(item, "seat hold")?;
        if held.status != domain::HELD {
            return Ok(Some(held));
        }
        let released = SeatHold {
            status: domain::RELEASED.to_owned(),
            ..held.clone()
        };
        let change = Change::for_step(&command.context, key.pk.clone())
            .with(
                WriteOp::update(key, Update::new().set("status", domain::RELEASED))
                    .when(Condition::eq("status", domain::HELD)),
            )
            .with(WriteOp::update(
                inventory_key(&held.concert_id),
                Update::new().increment("available", held.seats),
            ))
            .event(&SeatsReleased::from(&released))
            .result(&released);
        let committed = self.store.commit(change).await?;
        Ok(Some(from_item_value(committed.result)?))
    }
}

fn from_item_value(
    value: sagac_runtime::serde_json::Value,
) -> Result<SeatHold, sagac_runtime::SagaError> {
    sagac_runtime::serde_json::from_value(value)
        .map_err(|e| sagac_runtime::SagaError::internal(format!("a recorded hold is damaged: {e}")))
}

#[cfg(test)]
mod tests {
    use super::domain;

    #[test]
    fn holds_only_what_is_left() {
        assert_eq!(domain::hold(4, 4), Ok(0));
        assert_eq!(domain::hold(4, 2), Ok(2));
        assert_eq!(
            domain::hold(1, 2),
            Err(domain::Refusal::SoldOut { available: 1 })
        );
    }

    #[test]
    fn the_layout_is_the_specs() {
        let layout = super::table_layout();
        assert_eq!(layout.pk_attribute, "pk");
        assert_eq!(layout.sk_attribute, "sk");
        assert_eq!(layout.outbox_prefix(), "EVT#");
        assert_eq!(layout.ttl_attribute.as_deref(), Some("expires"));
    }
}
