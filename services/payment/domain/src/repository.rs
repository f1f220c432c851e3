//! The boundary to storage: what the use cases read, and the one commit each
//! of them writes.

use std::future::Future;

use super::{
    IdempotencyKey, PaymentEvent, PaymentStatus, PaymentTransaction, RepositoryError, TripId,
};

/// Storage of payment transactions.
///
/// A use case reads what it needs, lets the rules decide, and writes the
/// outcome with a single [`commit`](PaymentRepository::commit): the
/// transaction and the event that announces it, all or nothing. The store
/// checks the commit's preconditions, so concurrent invocations cannot both
/// win; the loser gets [`RepositoryError::Conflict`] and its retry reads the
/// winner's result.
///
/// The methods are asynchronous because every real store is remote. They
/// return `Send` futures so that a multi-threaded Lambda runtime can drive
/// them.
pub trait PaymentRepository: Send + Sync {
    /// The payment of a trip, if it ever made one. Its key is
    /// `TRIP#{trip_id}` / `PAYMENT#{PaymentId::for_trip(trip_id)}`.
    fn load_transaction(
        &self,
        trip_id: &TripId,
    ) -> impl Future<Output = Result<Option<PaymentTransaction>, RepositoryError>> + Send;

    /// Writes everything in `commit` atomically, or nothing.
    ///
    /// Fails with [`RepositoryError::Conflict`] when a precondition no longer
    /// holds: the transaction's status is not
    /// [`expected_status`](PaymentCommit::expected_status) (or it exists when
    /// `None` was expected), or a commit with the same
    /// [`idempotency_key`](PaymentCommit::idempotency_key) was applied before.
    fn commit(
        &self,
        commit: PaymentCommit,
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send;
}

/// Everything one use case writes: one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentCommit {
    /// The payment transaction as it is after the change.
    pub transaction: PaymentTransaction,
    /// The status the stored transaction must still have, or `None` if no
    /// transaction may be stored for the trip yet.
    pub expected_status: Option<PaymentStatus>,
    /// The event announcing the change, written to the outbox in the same
    /// transaction.
    pub event: PaymentEvent,
    /// The key of the step invocation that decided the change. The store
    /// applies one commit per key, and derives the outbox event's id from
    /// it, so a duplicated invocation can neither write twice nor publish
    /// twice.
    pub idempotency_key: IdempotencyKey,
}
