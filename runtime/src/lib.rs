//! Runtime support for sagac-generated Lambda handlers.
//!
//! Generated code and the services link this crate and nothing else from
//! sagac: the compiler never becomes a runtime dependency. It provides
//!
//! - [`context`]: the decoded Step Functions payload (saga id, idempotency
//!   key, trace context) and typed request/results decoding;
//! - [`error`]: [`SagaError`], whose variants map to the ASL error names the
//!   state machine retries or catches;
//! - [`store`]: the single-table repository behind the [`store::Store`]
//!   trait, over DynamoDB and in memory, where every step's change, its
//!   outbox event and its idempotency record commit as one transaction;
//! - [`dispatcher`] and [`projector`]: the stream consumers behind the
//!   `outbox-dispatcher` and `projector` binaries;
//! - [`observe`]: JSON logs, DogStatsD metrics and OTLP traces that never
//!   fail or slow an invocation;
//! - [`aws`] (feature `aws`): the SDK configuration every Lambda loads at
//!   init, with an HTTPS client that reads one CA bundle;
//! - [`lambda`]: the glue that runs a handler under `lambda_runtime`, or
//!   directly from a JSON payload (tests, `sagac run`);
//! - [`value`]: [`Decimal`], [`Date`] and [`Timestamp`], the spec's field
//!   types, which every service's generated code shares.
//!
//! # How generated code uses it
//!
//! A service's generated `main` is `serve(config, |store| handler)`, where
//! `config` is a [`ServiceConfig`] (service, saga, saga id field, root key
//! template) and `handler` maps `step.context.state_name` to the service
//! trait's methods. A method decodes its input with
//! [`Step::decode`](lambda::Step::decode), and its adapter commits one
//! [`Change`] per state change:
//!
//! ```text
//! let change = Change::for_step(&event.context, format!("TRIP#{}", trip_id))
//!     .with(WriteOp::update(inventory, Update::new().increment("seats_available", -n))
//!         .when(Condition::ge("seats_available", n))
//!         .label("seats"))
//!     .with(WriteOp::create(reservation_key, to_item(&reservation)?))
//!     .emit("FlightReserved", &reservation)
//!     .result(&output);
//! match store.commit(change).await {
//!     Ok(committed) => Ok(committed.result),           // first run or replay
//!     Err(e) if e.is_condition("seats") => Err(SagaError::business("NoSeatsAvailable", "...")),
//!     Err(e) => Err(e.into()),                         // transient or internal
//! }
//! ```
//!
//! `tests/integration/steps.rs` runs exactly this shape against DynamoDB.
#![deny(missing_docs)]

pub mod attribute;
#[cfg(feature = "aws")]
pub mod aws;
pub mod context;
pub mod dispatcher;
pub mod error;
pub mod lambda;
pub mod observe;
pub mod projector;
pub mod spec;
pub mod store;
pub mod stream;
pub mod template;
pub mod time;
pub mod value;

pub use context::{StepContext, StepEvent, TraceContext};
pub use error::SagaError;
pub use lambda::{ServiceConfig, Step, StepHandler, invoke_step};
#[cfg(feature = "aws")]
pub use lambda::{run_service, serve};
pub use spec::{Entity, Event};
pub use store::{Change, Committed, Condition, Key, Store, StoreError, Update, WriteOp};
pub use template::KeyTemplate;

// Generated code derives and calls serde through these, so a service crate
// needs neither as a dependency of its own.
/// The payload shape and error names the state machine and the runtime
/// share.
pub use sagac_contract as contract;
pub use serde;
pub use serde_json;
pub use tracing;
pub use value::{Date, Decimal, Timestamp};

/// A boxed, sendable future: what the object-safe traits of this crate
/// return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
