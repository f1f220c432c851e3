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
    /// A method `sagac scaffold` wrote as a stub and nobody has implemented
    /// yet: never retried; like [`INTERNAL_ERROR`] only `States.ALL` catches
    /// it, so the saga compensates (a stubbed compensation ends the saga in
    /// its compensation-failure outcome).
    pub const NOT_IMPLEMENTED: &str = "Saga.NotImplemented";
}

/// The shape of a Lambda task's payload: what the state machine passes
/// and the runtime decodes. Least data: the context fields below, the
/// step's `input`, and on compensation paths `error`; never the context
/// object whole (its `Execution.Input` is the whole start request).
pub mod payload {
    /// The context object fields passed, per object: what the runtime
    /// reads (the idempotency key is `Execution.Name#State.Name`) and what
    /// Datadog's trace merging reads.
    pub const CONTEXT: [(&str, &[&str]); 3] = [
        ("Execution", &["Id", "Name", "StartTime"]),
        ("State", &["Name", "EnteredTime", "RetryCount"]),
        ("StateMachine", &["Id", "Name"]),
    ];
    /// The trace headers an upstream tracer put in the execution input,
    /// passed on when present.
    pub const DATADOG: &str = "_datadog";
    /// What the step receives: the request fields and earlier outputs its
    /// spec `input:` declares (a compensation also its step's output).
    pub const INPUT: &str = "input";
    /// The failure that started compensation (`{Error, Cause}`), on
    /// compensation paths.
    pub const ERROR: &str = "error";
}
