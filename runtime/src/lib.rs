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
//! - [`lambda`]: the glue that runs a handler under `lambda_runtime`, or
//!   directly from a JSON payload (tests, `sagac run`).
#![deny(missing_docs)]

pub mod attribute;
pub mod context;
pub mod dispatcher;
pub mod error;
pub mod lambda;
pub mod observe;
pub mod projector;
pub mod store;
pub mod stream;
pub mod template;
pub mod time;

pub use context::{StepContext, StepEvent, TraceContext};
pub use error::SagaError;
pub use lambda::{ServiceConfig, Step, StepHandler, invoke_step, run_service, serve};
pub use store::{Change, Committed, Condition, Key, Store, StoreError, Update, WriteOp};
pub use template::KeyTemplate;

/// A boxed, sendable future: what the object-safe traits of this crate
/// return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
