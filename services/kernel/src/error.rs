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

/// What the saga needs to know of a service's error, whatever the service:
/// its name, how to react to it, and for a malformed command the field at
/// fault. Implemented by [`domain_error!`](crate::domain_error), and read
/// by the adapters that turn a domain error into a step error.
pub trait DomainError: Error {
    /// The error name the state machine sees.
    fn name(&self) -> &'static str;

    /// How the saga should react.
    fn kind(&self) -> FailureKind;

    /// The command field at fault and what is wrong with it, when the
    /// command is malformed.
    fn invalid_field(&self) -> Option<(&'static str, &str)>;
}

/// The shape every service's error enum shares, written once: the enum
/// with the service's variants (each a struct variant, listed with its
/// [`FailureKind`]) and the two every service has, `InvalidCommand { field,
/// problem }` (rejected) and `Repository(RepositoryError)` (a store
/// failure, of its own name and kind); `name()` (the variant's name, which
/// for the spec's business errors is the spec's name), `kind()`,
/// [`std::error::Error`] with the store failure as its source,
/// `From<RepositoryError>` and [`DomainError`]. Its `Display` stays the
/// service's.
///
/// ```
/// # use std::fmt;
/// # use travel_kernel::FailureKind;
/// travel_kernel::domain_error! {
///     /// Why a taxi could not be booked.
///     #[derive(Debug)]
///     pub enum TaxiError {
///         /// No taxi is free.
///         NoTaxi {} => Business,
///     }
/// }
/// # impl fmt::Display for TaxiError {
/// #     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{self:?}") }
/// # }
/// assert_eq!(TaxiError::NoTaxi {}.name(), "NoTaxi");
/// assert_eq!(TaxiError::NoTaxi {}.kind(), FailureKind::Business);
/// ```
#[macro_export]
macro_rules! domain_error {
    (
        $(#[$meta:meta])*
        pub enum $error:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident {
                    $($(#[$field_meta:meta])* $field:ident: $field_type:ty),* $(,)?
                } => $kind:ident
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum $error {
            $(
                $(#[$variant_meta])*
                $variant {
                    $($(#[$field_meta])* $field: $field_type),*
                },
            )*
            /// A field of the command is malformed or contradicts another.
            InvalidCommand {
                /// The command field at fault.
                field: &'static str,
                /// What is wrong with it.
                problem: String,
            },
            /// The store failed.
            Repository($crate::RepositoryError),
        }

        impl $error {
            /// The error name the state machine sees: the spec's business
            /// error names, `TransientError` for what the spec retries, and
            /// a name of its own for each rejection.
            pub fn name(&self) -> &'static str {
                match self {
                    $($error::$variant { .. } => stringify!($variant),)*
                    $error::InvalidCommand { .. } => "InvalidCommand",
                    $error::Repository(error) => error.name(),
                }
            }

            /// How the saga should react.
            pub fn kind(&self) -> $crate::FailureKind {
                match self {
                    $($error::$variant { .. } => $crate::FailureKind::$kind,)*
                    $error::InvalidCommand { .. } => $crate::FailureKind::Rejected,
                    $error::Repository(error) => error.kind(),
                }
            }
        }

        impl ::std::error::Error for $error {
            fn source(&self) -> ::std::option::Option<&(dyn ::std::error::Error + 'static)> {
                match self {
                    $error::Repository(error) => ::std::option::Option::Some(error),
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl ::std::convert::From<$crate::RepositoryError> for $error {
            fn from(error: $crate::RepositoryError) -> $error {
                $error::Repository(error)
            }
        }

        impl $crate::DomainError for $error {
            fn name(&self) -> &'static str {
                $error::name(self)
            }

            fn kind(&self) -> $crate::FailureKind {
                $error::kind(self)
            }

            fn invalid_field(&self) -> ::std::option::Option<(&'static str, &str)> {
                match self {
                    $error::InvalidCommand { field, problem } => {
                        ::std::option::Option::Some((field, problem.as_str()))
                    }
                    _ => ::std::option::Option::None,
                }
            }
        }
    };
}
