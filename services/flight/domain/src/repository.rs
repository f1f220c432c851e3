//! The boundary to storage: what the use cases read, and the one commit each
//! of them writes.

use std::future::Future;

use super::{
    Date, FlightEvent, FlightInventory, FlightNumber, FlightReservation, IdempotencyKey,
    RepositoryError, ReservationStatus, TripId,
};

/// Storage of flight reservations and seat inventory.
///
/// A use case reads what it needs, lets the rules decide, and writes the
/// outcome with a single [`commit`](FlightRepository::commit): the state
/// changes and the event that announces them, all or nothing. The store
/// checks the commit's preconditions, so concurrent invocations cannot both
/// win; the loser gets [`RepositoryError::Conflict`] and its retry reads the
/// winner's result.
///
/// The methods are asynchronous because every real store is remote. They
/// return `Send` futures so that a multi-threaded Lambda runtime can drive
/// them.
pub trait FlightRepository: Send + Sync {
    /// The reservation of a trip, if it ever held one. Its key is
    /// `TRIP#{trip_id}` / `FLIGHT#{FlightId::for_trip(trip_id)}`.
    fn load_reservation(
        &self,
        trip_id: &TripId,
    ) -> impl Future<Output = Result<Option<FlightReservation>, RepositoryError>> + Send;

    /// The seat inventory of a flight on a departure date, if the flight is
    /// sold that day.
    fn load_inventory(
        &self,
        flight_number: &FlightNumber,
        depart_on: Date,
    ) -> impl Future<Output = Result<Option<FlightInventory>, RepositoryError>> + Send;

    /// Writes everything in `commit` atomically, or nothing.
    ///
    /// Fails with [`RepositoryError::Conflict`] when a precondition no longer
    /// holds: the reservation's status is not
    /// [`expected_status`](FlightCommit::expected_status) (or it exists when
    /// `None` was expected), the inventory's stored version is not
    /// [`expected_version`](InventoryUpdate::expected_version), or a commit
    /// with the same [`idempotency_key`](FlightCommit::idempotency_key) was
    /// applied before.
    fn commit(
        &self,
        commit: FlightCommit,
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send;
}

/// Everything one use case writes: one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlightCommit {
    /// The reservation as it is after the change.
    pub reservation: FlightReservation,
    /// The status the stored reservation must still have, or `None` if no
    /// reservation may be stored for the trip yet.
    pub expected_status: Option<ReservationStatus>,
    /// The seat inventory after the change, if seats were held or released.
    pub inventory: Option<InventoryUpdate>,
    /// The event announcing the change, written to the outbox in the same
    /// transaction.
    pub event: FlightEvent,
    /// The key of the step invocation that decided the change. The store
    /// applies one commit per key, and derives the outbox event's id from
    /// it, so a duplicated invocation can neither write twice nor publish
    /// twice.
    pub idempotency_key: IdempotencyKey,
}

/// A seat inventory to store in place of the version it was decided on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryUpdate {
    /// The inventory after the change. Its [`version`](FlightInventory::version)
    /// is already the new one, `expected_version + 1`.
    pub inventory: FlightInventory,
    /// The version the stored inventory must still have: the one the rules
    /// read. Anything else means another trip changed the seats meanwhile.
    pub expected_version: u64,
}
