//! A flight repository in memory, for tests and local runs.
//!
//! It keeps the contract of [`FlightRepository`] to the letter, commit
//! preconditions included, so a test that passes against it exercises the
//! same races a real store would decide. It is not a production store:
//! nothing is persisted, and the whole repository sits behind one lock.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::domain::{
    Date, FlightCommit, FlightEvent, FlightInventory, FlightNumber, FlightRepository,
    FlightReservation, IdempotencyKey, RepositoryError, TripId,
};

/// Flight reservations, seat inventories and the outbox, in memory.
#[derive(Debug, Default)]
pub struct InMemoryFlightRepository {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    reservations: BTreeMap<TripId, FlightReservation>,
    inventories: BTreeMap<(FlightNumber, Date), FlightInventory>,
    outbox: Vec<FlightEvent>,
    applied: BTreeSet<IdempotencyKey>,
    failures: VecDeque<RepositoryError>,
}

impl InMemoryFlightRepository {
    /// An empty repository: no flight is sold.
    pub fn new() -> InMemoryFlightRepository {
        InMemoryFlightRepository::default()
    }

    /// This repository with `inventory` stored, in place of any inventory of
    /// the same flight and date.
    pub fn with_inventory(self, inventory: FlightInventory) -> InMemoryFlightRepository {
        self.put_inventory(inventory);
        self
    }

    /// Stores `inventory` as it is, in place of any inventory of the same
    /// flight and date, the way an operator loads a schedule.
    pub fn put_inventory(&self, inventory: FlightInventory) {
        let key = (inventory.flight_number().clone(), inventory.depart_on());
        self.state().inventories.insert(key, inventory);
    }

    /// Makes the next calls fail with `error`, one call per time this is
    /// called, whichever method they are; for testing how failures surface.
    pub fn fail_next(&self, error: RepositoryError) {
        self.state().failures.push_back(error);
    }

    /// The stored reservation of a trip.
    pub fn reservation(&self, trip_id: &TripId) -> Option<FlightReservation> {
        self.state().reservations.get(trip_id).cloned()
    }

    /// The stored inventory of a flight on a date.
    pub fn inventory(
        &self,
        flight_number: &FlightNumber,
        depart_on: Date,
    ) -> Option<FlightInventory> {
        self.state()
            .inventories
            .get(&(flight_number.clone(), depart_on))
            .cloned()
    }

    /// Every event committed so far, oldest first.
    pub fn outbox(&self) -> Vec<FlightEvent> {
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

impl FlightRepository for InMemoryFlightRepository {
    async fn load_reservation(
        &self,
        trip_id: &TripId,
    ) -> Result<Option<FlightReservation>, RepositoryError> {
        let mut state = self.state();
        Self::injected_failure(&mut state)?;
        Ok(state.reservations.get(trip_id).cloned())
    }

    async fn load_inventory(
        &self,
        flight_number: &FlightNumber,
        depart_on: Date,
    ) -> Result<Option<FlightInventory>, RepositoryError> {
        let mut state = self.state();
        Self::injected_failure(&mut state)?;
        Ok(state
            .inventories
            .get(&(flight_number.clone(), depart_on))
            .cloned())
    }

    async fn commit(&self, commit: FlightCommit) -> Result<(), RepositoryError> {
        let mut state = self.state();
        Self::injected_failure(&mut state)?;
        let trip_id = &commit.reservation.trip_id;
        let stored_status = state
            .reservations
            .get(trip_id)
            .map(|reservation| reservation.status);
        if stored_status != commit.expected_status {
            return Err(RepositoryError::Conflict {
                detail: format!(
                    "reservation of trip {trip_id} is {stored_status:?}, expected {:?}",
                    commit.expected_status
                ),
            });
        }
        if let Some(update) = &commit.inventory {
            let key = (
                update.inventory.flight_number().clone(),
                update.inventory.depart_on(),
            );
            let stored_version = state.inventories.get(&key).map(FlightInventory::version);
            if stored_version != Some(update.expected_version) {
                return Err(RepositoryError::Conflict {
                    detail: format!(
                        "inventory of {} on {} is at version {stored_version:?}, expected {}",
                        key.0, key.1, update.expected_version
                    ),
                });
            }
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
        if let Some(update) = commit.inventory {
            let key = (
                update.inventory.flight_number().clone(),
                update.inventory.depart_on(),
            );
            state.inventories.insert(key, update.inventory);
        }
        state
            .reservations
            .insert(commit.reservation.trip_id.clone(), commit.reservation);
        state.outbox.push(commit.event);
        state.applied.insert(commit.idempotency_key);
        Ok(())
    }
}
