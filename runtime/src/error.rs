//! Step errors and their ASL error names.
//!
//! A Lambda handler's error becomes the `errorType` of the invocation
//! failure, and Step Functions matches `Retry` / `Catch` on exactly that
//! string. So every [`SagaError`] carries the name the state machine was
//! compiled against:
//!
//! - business failures use the spec's names (`NoSeatsAvailable`,
//!   `CardDeclined`) and go straight to compensation;
//! - transient failures are [`TRANSIENT_ERROR`] and are retried with backoff;
//! - a payload that cannot be decoded is [`INVALID_PAYLOAD`], never retried
//!   (the same bytes would fail again) and never writes anything;
//! - anything else (a misconfigured table, a bug) is [`INTERNAL_ERROR`],
//!   which only `States.ALL` catches: an ambiguous failure that the saga
//!   compensates.

use std::fmt;

use crate::store::StoreError;

// The names are the compiler's too: both read them from `sagac-contract`,
// so the state machine retries exactly what the runtime returns.
pub use sagac_contract::errors::{
    INTERNAL_ERROR, INVALID_PAYLOAD, NOT_IMPLEMENTED, TRANSIENT_ERROR,
};

/// Why a step failed, in the terms the state machine understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SagaError {
    /// A domain rule refused the step; `name` is one of the step's `errors`
    /// in the spec.
    Business {
        /// The ASL error name, e.g. `NoSeatsAvailable`.
        name: String,
        /// A human-readable explanation (becomes the ASL `Cause`).
        message: String,
    },
    /// A failure that may succeed when retried (throttling, 5xx, timeouts,
    /// optimistic version conflicts).
    Transient {
        /// What went wrong.
        message: String,
    },
    /// The invocation payload could not be decoded.
    InvalidPayload {
        /// The JSON path of the offending field, e.g. `request.seats`.
        field: String,
        /// What was wrong with it.
        message: String,
    },
    /// A failure that retrying will not fix and that the domain did not name.
    Internal {
        /// What went wrong.
        message: String,
    },
    /// A stub `sagac scaffold` wrote that nobody has implemented yet.
    NotImplemented {
        /// What is missing and where the spec declares it.
        message: String,
    },
}

impl SagaError {
    /// A business error with the spec's error name.
    pub fn business(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Business {
            name: name.into(),
            message: message.into(),
        }
    }

    /// A retriable error.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient {
            message: message.into(),
        }
    }

    /// An undecodable payload; `field` is the JSON path that failed.
    pub fn invalid_payload(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidPayload {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A non-retriable failure without a business name.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
        }
    }

    /// A method that is still `sagac scaffold`'s stub: `what` names it and
    /// where the spec declares it.
    pub fn not_implemented(what: impl Into<String>) -> Self {
        Self::NotImplemented {
            message: what.into(),
        }
    }

    /// The ASL error name Step Functions matches in `Retry` and `Catch`.
    pub fn error_name(&self) -> &str {
        match self {
            Self::Business { name, .. } => name,
            Self::Transient { .. } => TRANSIENT_ERROR,
            Self::InvalidPayload { .. } => INVALID_PAYLOAD,
            Self::Internal { .. } => INTERNAL_ERROR,
            Self::NotImplemented { .. } => NOT_IMPLEMENTED,
        }
    }

    /// The human-readable message (the ASL `Cause`).
    pub fn message(&self) -> String {
        match self {
            Self::Business { message, .. }
            | Self::Transient { message }
            | Self::Internal { message }
            | Self::NotImplemented { message } => message.clone(),
            Self::InvalidPayload { field, message } if field.is_empty() => message.clone(),
            Self::InvalidPayload { field, message } => format!("`{field}`: {message}"),
        }
    }

    /// Whether Step Functions will retry this error.
    pub fn is_retriable(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }
}

impl fmt::Display for SagaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_name(), self.message())
    }
}

impl std::error::Error for SagaError {}

#[cfg(feature = "aws")]
impl From<SagaError> for lambda_runtime::Diagnostic {
    fn from(error: SagaError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: error.error_name().to_owned(),
            error_message: error.message(),
        }
    }
}

/// Repository errors a handler did not map itself. A condition the domain
/// cares about (no seats left) should be matched with
/// [`StoreError::failed_condition`] and turned into a business error first;
/// what reaches this conversion is retried if retrying can help.
impl From<StoreError> for SagaError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::VersionConflict { .. }
            | StoreError::ConditionFailed { .. }
            | StoreError::Transient { .. } => SagaError::transient(error.to_string()),
            StoreError::InvalidChange { .. }
            | StoreError::Attribute(_)
            | StoreError::Service { .. } => SagaError::internal(error.to_string()),
        }
    }
}

impl From<crate::attribute::AttributeError> for SagaError {
    fn from(error: crate::attribute::AttributeError) -> Self {
        SagaError::internal(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Key;

    #[test]
    fn error_names_are_the_asl_names() {
        assert_eq!(
            SagaError::business("NoSeatsAvailable", "x").error_name(),
            "NoSeatsAvailable"
        );
        assert_eq!(SagaError::transient("x").error_name(), "TransientError");
        assert_eq!(
            SagaError::invalid_payload("request", "x").error_name(),
            "Saga.InvalidPayload"
        );
        assert_eq!(SagaError::internal("x").error_name(), "Saga.InternalError");
    }

    #[cfg(feature = "aws")]
    #[test]
    fn maps_to_lambda_diagnostic() {
        let d: lambda_runtime::Diagnostic =
            SagaError::business("CardDeclined", "card 4242 declined").into();
        assert_eq!(d.error_type, "CardDeclined");
        assert_eq!(d.error_message, "card 4242 declined");
        let d: lambda_runtime::Diagnostic =
            SagaError::invalid_payload("request.seats", "expected u32").into();
        assert_eq!(d.error_type, "Saga.InvalidPayload");
        assert_eq!(d.error_message, "`request.seats`: expected u32");
    }

    #[test]
    fn store_errors_map_to_retry_or_internal() {
        let key = Key::new("TRIP#1", "METADATA");
        let conflict = StoreError::VersionConflict {
            key: key.clone(),
            expected: Some(3),
        };
        assert!(SagaError::from(conflict).is_retriable());
        let throttled = StoreError::Transient {
            message: "ThrottlingException".into(),
        };
        assert!(SagaError::from(throttled).is_retriable());
        let missing = StoreError::Service {
            code: "ResourceNotFoundException".into(),
            message: "no table".into(),
        };
        assert_eq!(SagaError::from(missing).error_name(), INTERNAL_ERROR);
    }
}
