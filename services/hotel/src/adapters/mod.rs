//! The hotel service's storage: [`DynamoHotelRepository`], the
//! [`HotelRepository`](crate::domain::HotelRepository) of the saga's single
//! table.
//!
//! It is written against `sagac_runtime::Store`, so the same code runs on
//! DynamoDB (`DynamoStore`, in the Lambda) and on the runtime's embedded
//! `MemoryStore` (`sagac run`, unit tests). The items it reads and writes:
//!
//! | item | `PK` | `SK` | other keys |
//! |---|---|---|---|
//! | booking | `TRIP#{trip_id}` | `HOTEL#{hotel_id}` | `GSI1PK = HOTEL#{hotel_code}`, `GSI1SK = CHECKIN#{check_in}` |
//! | room inventory of a night | `HOTEL#{hotel_code}` | `NIGHT#{date}` | |
//!
//! The booking's key templates are the spec's (`HotelBooking` in
//! `spec/trip.saga.yaml`), its keys built by the generated key builders;
//! its attributes are the spec entity's fields, so the item is exactly the
//! generated `HotelBooking` struct plus keys. A night's inventory is the
//! service's own item: capacity, rate, the rooms each trip holds (a map
//! from trip id to rooms) and a version that guards every change. All
//! nights of a hotel share a partition (the bookings' `GSI1` partition of
//! the hotel), so a stay's nights are read with one query per calendar
//! month it touches.
//!
//! Every [`HotelCommit`](crate::domain::HotelCommit) is one
//! `sagac_runtime::Change`, which the store writes as one transaction: the
//! booking (conditional on the status it was decided on), every night whose
//! holds changed (each conditional on the version it was decided on; at
//! most 30), exactly one outbox event, and the step's idempotency record
//! holding the step's result, the booking as the spec's entity.
//!
//! Items go through serde: a night's room inventory is a private struct of the adapter,
//! converted by the runtime's item conversion, and the spec entity is read
//! back through its generated type before it becomes the domain's; an
//! item that cannot be read is a `RepositoryError::Corrupt` naming its key.
//! The repository skeleton (the table, the store failures in the kernel's
//! terms, a replayed commit as a conflict) is `travel_adapter::Table`.

mod items;
mod repository;
mod seed;

pub use items::{
    NIGHT_SK_PREFIX, booking_entity, booking_item, booking_key, night_item, night_key,
};
pub use repository::DynamoHotelRepository;
pub use seed::{demo_inventories, put_night, seed_nights};
