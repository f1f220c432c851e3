//! A payment repository in memory, for tests and local runs.
//!
//! It keeps the contract of [`PaymentRepository`] to the letter, commit
//! preconditions included, so a test that passes against it exercises the
//! same races a real store would decide. It is not a production store:
//! nothing is persisted, and the whole repository sits behind one lock.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::domain::{
    IdempotencyKey, PaymentCommit, PaymentEvent, PaymentRepository, PaymentTransaction,
    RepositoryError, TripId,
};

/// Payment transactions and the outbox, in memory.
#[derive(Debug, Default)]
pub struct InMemoryPaymentRepository {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    transactions: BTreeMap<TripId, PaymentTransaction>,
    outbox: Vec<PaymentEvent>,
    applied: BTreeSet<IdempotencyKey>,
    failures: VecDeque<RepositoryError>,
}

impl InMemoryPaymentRepository {
    /// An empty repository: no trip has paid.
    pub fn new() -> InMemoryPaymentRepository {
        InMemoryPaymentRepository::default()
    }

    /// Makes the next calls fail with `error`, one call per time this is
    /// called, whichever method they are; for testing how failures surface.
    pub fn fail_next(&self, error: RepositoryError) {
        self.state().failures.push_back(error);
    }

    /// The stored payment of a trip.
    pub fn transaction(&self, trip_id: &TripId) -> Option<PaymentTransaction> {
        self.state().transactions.get(trip_id).cloned()
    }

    /// Every event committed so far, oldest first.
    pub fn outbox(&self) -> Vec<PaymentEvent> {
        self.state().outbox.clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held cannot have left a commit half
        // applied, because commits check everything before changing anything.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn injected_failure(state: &mut State) -> Result<(), RepositoryError> {
        state.failures.pop_front().map_or(Ok(()), Err)
    }
}

impl PaymentRepository for InMemoryPaymentRepository {
    async fn load_transaction(
        &self,
        trip_id: &TripId,
    ) -> Result<Option<PaymentTransaction>, RepositoryError> {
        let mut state = self.state();
        Self::injected_failure(&mut state)?;
        Ok(state.transactions.get(trip_id).cloned())
    }

    async fn commit(&self, commit: PaymentCommit) -> Result<(), RepositoryError> {
        let mut state = self.state();
        Self::injected_failure(&mut state)?;
        let trip_id = &commit.transaction.trip_id;
        let stored_status = state
            .transactions
            .get(trip_id)
            .map(|transaction| transaction.status);
        if stored_status != commit.expected_status {
            return Err(RepositoryError::Conflict {
                detail: format!(
                    "payment of trip {trip_id} is {stored_status:?}, expected {:?}",
                    commit.expected_status
                ),
            });
        }
        if state.applied.contains(&commit.idempotency_key) {
            return Err(RepositoryError::Conflict {
                detail: format!(
                    "a commit with idempotency key {} was applied before",
                    commit.idempotency_key
                ),
            });
        }
        // Every precondition holds: apply the whole commit.
        state
            .transactions
            .insert(commit.transaction.trip_id.clone(), commit.transaction);
        state.outbox.push(commit.event);
        state.applied.insert(commit.idempotency_key);
        Ok(())
    }
}
