//! The contract between the state machine sagac compiles and the runtime
//! its Lambdas link, for the facts that do not depend on a spec.
//!
//! Step Functions matches `Retry` and `Catch` on the exact `errorType` a
//! Lambda returns. The compiler (`sagac-core`) writes these names into every
//! definition and the runtime (`sagac-runtime`) returns them, so both read
//! them from here: a rename changes both sides or neither. The crate has no
//! dependencies, so neither side pulls in the other's (the compiler no AWS
//! SDK, the runtime no YAML or JSON Schema).
//!
//! Facts a spec chooses (key attribute names, prefixes, business error names)
//! do not belong here: they reach the runtime through generated code or the
//! environment the template sets.
#![deny(missing_docs)]

/// ASL error names the runtime returns and the state machine matches.
pub mod errors {
    /// A failure that may succeed when retried (throttling, 5xx, timeouts,
    /// optimistic version conflicts). Every Lambda task retries it with its
    /// policy's backoff, whatever the spec lists.
    pub const TRANSIENT_ERROR: &str = "TransientError";
    /// A payload the handler could not decode: never retried (the same bytes
    /// would fail again), nothing written.
    pub const INVALID_PAYLOAD: &str = "Saga.InvalidPayload";
    /// Neither business nor transient (a misconfigured table, a bug): only
    /// `States.ALL` catches it, as an ambiguous failure.
    pub const INTERNAL_ERROR: &str = "Saga.InternalError";
}
