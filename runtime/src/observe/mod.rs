//! Observability that never fails or slows an invocation.
//!
//! - [`log`]: `tracing` events as one JSON object per line on stdout,
//!   carrying `saga_id`, `step`, `dd.trace_id` / `dd.span_id` (from the
//!   invocation's [`log::step_span`]) and `dd.service` / `dd.env` /
//!   `dd.version`, which is what Datadog needs to join logs to traces: a
//!   tracing-subscriber layer over its registry.
//! - [`metrics`]: DogStatsD distributions over UDP to `127.0.0.1:8125` (the
//!   Datadog extension). UDP is fire-and-forget on a non-blocking socket, so
//!   nothing listening costs nothing.
//! - [`trace`]: OTLP HTTP/JSON spans to `localhost:4318/v1/traces`, only
//!   when enabled, sent on a background task with a short timeout by
//!   `opentelemetry-otlp`'s HTTP exporter (over hyper).

pub mod log;
pub mod metrics;
pub mod trace;

use std::sync::OnceLock;

pub use log::step_span;
pub use metrics::{distribution, increment};

/// `DD_SERVICE`, `DD_ENV` and `DD_VERSION`, read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `DD_SERVICE` (falls back to `AWS_LAMBDA_FUNCTION_NAME`).
    pub service: Option<String>,
    /// `DD_ENV`.
    pub env: Option<String>,
    /// `DD_VERSION`.
    pub version: Option<String>,
}

impl Identity {
    /// Reads the identity from the environment.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self {
            service: var("DD_SERVICE").or_else(|| var("AWS_LAMBDA_FUNCTION_NAME")),
            env: var("DD_ENV"),
            version: var("DD_VERSION"),
        }
    }
}

/// The process-wide identity.
pub fn identity() -> &'static Identity {
    static IDENTITY: OnceLock<Identity> = OnceLock::new();
    IDENTITY.get_or_init(Identity::from_env)
}

/// A random 63-bit span id. Uses the standard library's randomly seeded
/// hasher mixed with the clock and a counter: unique enough for span ids
/// without a random-number crate.
pub fn new_span_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static STATE: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    let mut h = STATE.get_or_init(Default::default).build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(crate::time::epoch_nanos());
    let id = h.finish() & 0x7fff_ffff_ffff_ffff;
    if id == 0 { 1 } else { id }
}

#[cfg(test)]
mod tests {
    #[test]
    fn span_ids_differ() {
        let a = super::new_span_id();
        let b = super::new_span_id();
        assert_ne!(a, b);
        assert!(a > 0 && a < 1 << 63);
    }
}
