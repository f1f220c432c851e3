//! What the travel services' adapters share, written once: the three
//! services' repositories, handlers and error mapping had the same shape.
//!
//! - [`Table`]: the saga's single table as a repository sees it, over any
//!   `sagac_runtime::Store` (DynamoDB in the Lambda, the memory store in
//!   local runs and tests): reads that turn a store failure, or an item the
//!   adapter cannot read, into the kernel's [`RepositoryError`], and the one
//!   commit of a use case, where a replayed change is a conflict.
//! - [`repository_error`]: a store failure in the kernel's terms.
//! - [`saga_error`]: a domain error the spec has no name for, as the
//!   runtime's step error, from what every service's error tells
//!   ([`DomainError`]).
//!
//! What stays in each service: its keys and items, the change each commit
//! writes, and the spec's business error names of its steps.
//!
//! This crate sits beside the domains, not under them: it depends on the
//! runtime and the kernel, and no domain depends on it.
#![deny(missing_docs)]

use std::fmt;
use std::sync::Arc;

use sagac_runtime::SagaError;
use sagac_runtime::attribute::AttributeError;
use sagac_runtime::store::{Change, Item, Key, Query, Store, StoreError};
use travel_kernel::{DomainError, FailureKind, RepositoryError};

/// The saga's single table, as the travel services' repositories use it.
#[derive(Clone)]
pub struct Table {
    store: Arc<dyn Store>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("table", &self.store.config().table_name)
            .finish()
    }
}

impl Table {
    /// The table of `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Table { store }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The item at `key`, if there is one, read with `read`; an item `read`
    /// refuses is [`RepositoryError::Corrupt`] naming `key`.
    pub async fn load<T>(
        &self,
        key: &Key,
        read: impl FnOnce(Item) -> Result<T, String>,
    ) -> Result<Option<T>, RepositoryError> {
        match self.store.get(key).await.map_err(repository_error)? {
            None => Ok(None),
            Some(item) => read(item)
                .map(Some)
                .map_err(|problem| corrupt(key, problem)),
        }
    }

    /// The items `query` finds, in sort key order.
    pub async fn query(&self, query: &Query) -> Result<Vec<Item>, RepositoryError> {
        self.store.query(query).await.map_err(repository_error)
    }

    /// The key of a stored item, from its key attributes.
    pub fn key_of(&self, item: &Item) -> Option<Key> {
        self.store.config().key_of(item)
    }

    /// Writes `change` as one transaction.
    ///
    /// A change whose idempotency key was applied before writes nothing and
    /// is a [`RepositoryError::Conflict`], as the services' repository
    /// traits ask: the retry reads the first commit's outcome (and the
    /// runtime answers a retried step from its idempotency record before
    /// the use case even runs).
    pub async fn commit(&self, change: Change) -> Result<(), RepositoryError> {
        let idempotency_key = change.idempotency_key.clone();
        let committed = self.store.commit(change).await.map_err(repository_error)?;
        if committed.replayed {
            return Err(RepositoryError::Conflict {
                detail: format!(
                    "a commit with idempotency key {idempotency_key} was applied before"
                ),
            });
        }
        Ok(())
    }
}

/// An item that cannot be read back as a domain value: corrupt, naming the
/// item and what is wrong with it.
pub fn corrupt(key: &Key, problem: impl fmt::Display) -> RepositoryError {
    RepositoryError::Corrupt {
        detail: format!("item {key}: {problem}"),
    }
}

/// A field of an item read into a domain value, or what is wrong with it,
/// naming the field (for [`Table::load`]'s `read`).
pub fn field<T, E: fmt::Display>(name: &str, value: Result<T, E>) -> Result<T, String> {
    value.map_err(|e| format!("`{name}`: {e}"))
}

/// An item's attributes as a typed value (a spec entity or the adapter's
/// own item struct), or what is wrong with them (for [`Table::load`]'s
/// `read`).
pub fn attributes<T>(read: Result<T, AttributeError>) -> Result<T, String> {
    read.map_err(|e| e.to_string())
}

/// A store failure in the domain's terms: a failed condition is a conflict
/// (the retry reads the new state), throttling and network failures are the
/// store being unavailable, and an item the store cannot convert, or a
/// transaction it refuses as malformed, cannot be fixed by retrying.
pub fn repository_error(error: StoreError) -> RepositoryError {
    match error {
        StoreError::ConditionFailed { .. } | StoreError::VersionConflict { .. } => {
            RepositoryError::Conflict {
                detail: error.to_string(),
            }
        }
        StoreError::Transient { .. } | StoreError::Service { .. } => RepositoryError::Unavailable {
            detail: error.to_string(),
        },
        StoreError::InvalidChange { .. } | StoreError::Attribute(_) => RepositoryError::Corrupt {
            detail: error.to_string(),
        },
    }
}

/// A domain error the spec has no name for, as the runtime's error: a
/// business error by its name, a transient one as `TransientError` (the
/// state machine retries it), a malformed command as `Saga.InvalidPayload`
/// with the payload path of the field at fault, and any other rejection as
/// `Saga.InternalError`.
///
/// The spec's business errors of a step are the service's to name (the
/// generated `<Step>Error` enums); this is for everything else.
pub fn saga_error(error: &impl DomainError) -> SagaError {
    saga_error_renaming(error, &[])
}

/// [`saga_error`] for a service whose commands name some fields otherwise
/// than the step input does: `renamed` pairs a command field with the input
/// field it comes from (`("check_in", "depart_on")`), so the payload path
/// names what the saga sent.
pub fn saga_error_renaming(error: &impl DomainError, renamed: &[(&str, &str)]) -> SagaError {
    match error.kind() {
        FailureKind::Business => SagaError::business(error.name(), error.to_string()),
        FailureKind::Transient => SagaError::transient(error.to_string()),
        FailureKind::Rejected => match error.invalid_field() {
            Some((field, problem)) => {
                SagaError::invalid_payload(payload_path(field, renamed), problem)
            }
            None => SagaError::internal(error.to_string()),
        },
    }
}

/// Where a command field comes from in the step payload.
fn payload_path(field: &str, renamed: &[(&str, &str)]) -> String {
    if let Some((_, input)) = renamed.iter().find(|(command, _)| *command == field) {
        return format!("input.{input}");
    }
    match field {
        // `{Execution.Name}#{State.Name}`.
        "idempotency_key" => "Execution.Name".to_owned(),
        field => format!("input.{field}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    travel_kernel::domain_error! {
        /// Why a taxi could not be booked.
        #[derive(Debug)]
        pub enum TaxiError {
            /// No taxi is free.
            NoTaxi {} => Business,
            /// The taxi was lost.
            Lost {} => Rejected,
        }
    }

    impl fmt::Display for TaxiError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{self:?}")
        }
    }

    #[test]
    fn each_kind_of_failure_has_its_step_error() {
        assert_eq!(saga_error(&TaxiError::NoTaxi {}).error_name(), "NoTaxi");
        assert_eq!(
            saga_error(&TaxiError::Lost {}).error_name(),
            "Saga.InternalError"
        );
        let invalid = saga_error(&TaxiError::InvalidCommand {
            field: "seats",
            problem: "not a number".into(),
        });
        assert_eq!(
            invalid,
            SagaError::invalid_payload("input.seats", "not a number")
        );
        let key = saga_error(&TaxiError::InvalidCommand {
            field: "idempotency_key",
            problem: "empty".into(),
        });
        assert_eq!(key, SagaError::invalid_payload("Execution.Name", "empty"));
        let renamed = saga_error_renaming(
            &TaxiError::InvalidCommand {
                field: "pickup",
                problem: "too early".into(),
            },
            &[("pickup", "depart_on")],
        );
        assert_eq!(
            renamed,
            SagaError::invalid_payload("input.depart_on", "too early")
        );
        let throttled = TaxiError::from(repository_error(StoreError::Transient {
            message: "throttled".into(),
        }));
        assert!(saga_error(&throttled).is_retriable());
        let corrupt = TaxiError::from(corrupt(&Key::new("P", "S"), "`seats`: lost"));
        assert_eq!(
            saga_error(&corrupt).error_name(),
            "Saga.InternalError",
            "{corrupt}"
        );
    }
}
