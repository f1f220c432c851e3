//! The flight service's storage: [`DynamoFlightRepository`], the
//! [`FlightRepository`](crate::domain::FlightRepository) of the saga's
//! single table.
//!
//! It is written against `sagac_runtime::Store`, so the same code runs on
//! DynamoDB (`DynamoStore`, in the Lambda) and on the runtime's embedded
//! `MemoryStore` (`sagac run`, unit tests). The items it reads and writes:
//!
//! | item | `PK` | `SK` | other keys |
//! |---|---|---|---|
//! | reservation | `TRIP#{trip_id}` | `FLIGHT#{flight_id}` | `GSI1PK = FLIGHT#{flight_number}#{depart_on}`, `GSI1SK = TRIP#{trip_id}` |
//! | seat inventory | `FLIGHT#{flight_number}#{depart_on}` | `INVENTORY` | |
//!
//! The reservation's key templates are the spec's (`FlightReservation` in
//! `spec/trip.saga.yaml`); its attributes are the spec entity's fields, so
//! the item is exactly the generated `FlightReservation` struct plus keys.
//! The inventory is the service's own item: capacity, fare, route, the seats
//! each trip holds (a map from trip id to seats) and a version that guards
//! every change.
//!
//! Every [`FlightCommit`](crate::domain::FlightCommit) is one
//! `sagac_runtime::Change`, which the store writes as one transaction: the
//! reservation (conditional on the status it was decided on), the inventory
//! (conditional on the version it was decided on), exactly one outbox event,
//! and the step's idempotency record holding the step's result, the
//! reservation as the spec's entity.
//!
//! Items go through serde: the seat inventory is a private struct of the adapter,
//! converted by the runtime's item conversion, and the spec entity is read
//! back through its generated type before it becomes the domain's; an
//! item that cannot be read is a `RepositoryError::Corrupt` naming its key.
//! The repository skeleton (the table, the store failures in the kernel's
//! terms, a replayed commit as a conflict) is `travel_adapter::Table`.

mod items;
mod repository;
mod seed;

pub use items::{
    INVENTORY_SK, inventory_item, inventory_key, reservation_entity, reservation_item,
    reservation_key,
};
pub use repository::DynamoFlightRepository;
pub use seed::{demo_inventories, put_inventory, seed_inventories};
