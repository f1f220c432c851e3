//! The payment service's storage: [`DynamoPaymentRepository`], the
//! [`PaymentRepository`](crate::domain::PaymentRepository) of the saga's
//! single table.
//!
//! It is written against `sagac_runtime::Store`, so the same code runs on
//! DynamoDB (`DynamoStore`, in the Lambda) and on the runtime's embedded
//! `MemoryStore` (`sagac run`, unit tests). The one item it owns is the
//! trip's payment transaction, `TRIP#{trip_id}` / `PAYMENT#{payment_id}`:
//! the spec's key templates (`PaymentTransaction` in `spec/trip.saga.yaml`),
//! built by the generated key builders, and the spec entity's fields, so
//! the item is exactly the generated `PaymentTransaction` struct plus keys. The amount is stored as exact
//! decimal text in the currency's minor unit (`1250.50`, `150000`).
//!
//! Every [`PaymentCommit`](crate::domain::PaymentCommit) is one
//! `sagac_runtime::Change`, which the store writes as one transaction: the
//! transaction item (conditional on the status it was decided on), exactly
//! one outbox event, and the step's idempotency record holding the step's
//! result, the transaction as the spec's entity.
//!
//! The item is read back through the generated entity type before it
//! becomes the domain's; an item that cannot be read is a
//! `RepositoryError::Corrupt` naming its key. The repository skeleton (the
//! table, the store failures in the kernel's terms, a replayed commit as a
//! conflict) is `travel_adapter::Table`.

mod items;
mod repository;

pub use items::{transaction_entity, transaction_item, transaction_key};
pub use repository::DynamoPaymentRepository;
