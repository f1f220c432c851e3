//! A hotel repository in memory, for tests and local runs.
//!
//! It keeps the contract of [`HotelRepository`] to the letter, commit
//! preconditions included, so a test that passes against it exercises the
//! same races a real store would decide. It is not a production store:
//! nothing is persisted, and the whole repository sits behind one lock.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::domain::{
    Date, HotelBooking, HotelCode, HotelCommit, HotelEvent, HotelRepository, IdempotencyKey,
    RepositoryError, RoomInventory, TripId,
};

/// Hotel bookings, room inventories and the outbox, in memory.
#[derive(Debug, Default)]
pub struct InMemoryHotelRepository {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    bookings: BTreeMap<TripId, HotelBooking>,
    nights: BTreeMap<(HotelCode, Date), RoomInventory>,
    outbox: Vec<HotelEvent>,
    applied: BTreeSet<IdempotencyKey>,
    failures: VecDeque<RepositoryError>,
}

impl InMemoryHotelRepository {
    /// An empty repository: no hotel sells any night.
    pub fn new() -> InMemoryHotelRepository {
        InMemoryHotelRepository::default()
    }

    /// This repository with `inventory` stored, in place of any inventory of
    /// the same hotel and night.
    pub fn with_night(self, inventory: RoomInventory) -> InMemoryHotelRepository {
        self.put_night(inventory);
        self
    }

    /// Stores `inventory` as it is, in place of any inventory of the same
    /// hotel and night, the way a hotel loads its allotment.
    pub fn put_night(&self, inventory: RoomInventory) {
        let key = (inventory.hotel_code().clone(), inventory.night());
        self.state().nights.insert(key, inventory);
    }

    /// Makes the next calls fail with `error`, one call per time this is
    /// called, whichever method they are; for testing how failures surface.
    pub fn fail_next(&self, error: RepositoryError) {
        self.state().failures.push_back(error);
    }

    /// The stored booking of a trip.
    pub fn booking(&self, trip_id: &TripId) -> Option<HotelBooking> {
        self.state().bookings.get(trip_id).cloned()
    }

    /// The stored inventory of a hotel on a night.
    pub fn night(&self, hotel_code: &HotelCode, night: Date) -> Option<RoomInventory> {
        self.state()
            .nights
            .get(&(hotel_code.clone(), night))
            .cloned()
    }

    /// Every event committed so far, oldest first.
    pub fn outbox(&self) -> Vec<HotelEvent> {
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

impl HotelRepository for InMemoryHotelRepository {
    async fn load_booking(
        &self,
        trip_id: &TripId,
    ) -> Result<Option<HotelBooking>, RepositoryError> {
        let mut state = self.state();
        Self::injected_failure(&mut state)?;
        Ok(state.bookings.get(trip_id).cloned())
    }

    async fn load_nights(
        &self,
        hotel_code: &HotelCode,
        check_in: Date,
        check_out: Date,
    ) -> Result<Vec<RoomInventory>, RepositoryError> {
        let mut state = self.state();
        Self::injected_failure(&mut state)?;
        if check_out <= check_in {
            return Ok(Vec::new());
        }
        let from = (hotel_code.clone(), check_in);
        let to = (hotel_code.clone(), check_out);
        Ok(state
            .nights
            .range(from..to)
            .map(|(_, inventory)| inventory.clone())
            .collect())
    }

    async fn commit(&self, commit: HotelCommit) -> Result<(), RepositoryError> {
        let mut state = self.state();
        Self::injected_failure(&mut state)?;
        let trip_id = &commit.booking.trip_id;
        let stored_status = state.bookings.get(trip_id).map(|booking| booking.status);
        if stored_status != commit.expected_status {
            return Err(RepositoryError::Conflict {
                detail: format!(
                    "booking of trip {trip_id} is {stored_status:?}, expected {:?}",
                    commit.expected_status
                ),
            });
        }
        for update in &commit.nights {
            let key = (
                update.inventory.hotel_code().clone(),
                update.inventory.night(),
            );
            let stored_version = state.nights.get(&key).map(RoomInventory::version);
            if stored_version != Some(update.expected_version) {
                return Err(RepositoryError::Conflict {
                    detail: format!(
                        "inventory of {} on the night of {} is at version {stored_version:?}, expected {}",
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
        for update in commit.nights {
            let key = (
                update.inventory.hotel_code().clone(),
                update.inventory.night(),
            );
            state.nights.insert(key, update.inventory);
        }
        state
            .bookings
            .insert(commit.booking.trip_id.clone(), commit.booking);
        state.outbox.push(commit.event);
        state.applied.insert(commit.idempotency_key);
        Ok(())
    }
}
