//! How the saga should react to a failure, and how the store fails: the same
//! in every service.

use std::error::Error;
use std::fmt;

/// How the saga should react to a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// A rule refused the command, under one of the error names the spec
    /// declares for the step. Retrying cannot help; the state machine catches
    /// the name and compensates.
    Business,
    /// The store could not complete the transaction just now. Retrying, which
    /// reads again, may succeed; the spec's retry policies call this
    /// `TransientError`.
    Transient,
    /// The command can never succeed as sent, and the spec has no name for
    /// why: a malformed field, a step already compensated, a damaged record.
    /// Retrying cannot help either.
    Rejected,
}

/// Why the store failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepositoryError {
    /// A commit's precondition did not hold: another invocation changed the
    /// same items after they were read. Retrying reads the new state.
    Conflict {
        /// Which precondition failed.
        detail: String,
    },
    /// The store could not be reached or turned the request away for now
    /// (throttling, timeouts, a network error).
    Unavailable {
        /// What the store or the client reported.
        detail: String,
    },
    /// A stored item cannot be read back as a domain value, so retrying
    /// cannot help.
    Corrupt {
        /// Which item and what is wrong with it.
        detail: String,
    },
}

impl RepositoryError {
    /// The error name the state machine sees: `TransientError` for what a
    /// retry can fix, which is the name the spec's retry policies list.
    pub fn name(&self) -> &'static str {
        match self {
            RepositoryError::Conflict { .. } | RepositoryError::Unavailable { .. } => {
                "TransientError"
            }
            RepositoryError::Corrupt { .. } => "CorruptRecord",
        }
    }

    /// How the saga should react.
    pub fn kind(&self) -> FailureKind {
        match self {
            RepositoryError::Conflict { .. } | RepositoryError::Unavailable { .. } => {
                FailureKind::Transient
            }
            RepositoryError::Corrupt { .. } => FailureKind::Rejected,
        }
    }
}

impl fmt::Display for RepositoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RepositoryError::Conflict { detail } => write!(f, "concurrent change: {detail}"),
            RepositoryError::Unavailable { detail } => write!(f, "unavailable: {detail}"),
            RepositoryError::Corrupt { detail } => write!(f, "corrupt record: {detail}"),
        }
    }
}

impl Error for RepositoryError {}
