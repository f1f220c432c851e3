//! The boundary to storage: what the use cases read, and the one commit each
//! of them writes.

use std::future::Future;

use super::{
    BookingStatus, Date, HotelBooking, HotelCode, HotelEvent, IdempotencyKey, RepositoryError,
    RoomInventory, TripId,
};

/// Storage of hotel bookings and room inventory.
///
/// A use case reads what it needs, lets the rules decide, and writes the
/// outcome with a single [`commit`](HotelRepository::commit): the booking,
/// every night's inventory it changed, and the event that announces it, all
/// or nothing. The store checks the commit's preconditions, so concurrent
/// invocations cannot both win; the loser gets
/// [`RepositoryError::Conflict`] and its retry reads the winner's result.
///
/// The methods are asynchronous because every real store is remote. They
/// return `Send` futures so that a multi-threaded Lambda runtime can drive
/// them.
pub trait HotelRepository: Send + Sync {
    /// The booking of a trip, if it ever held one. Its key is
    /// `TRIP#{trip_id}` / `HOTEL#{HotelId::for_trip(trip_id)}`.
    fn load_booking(
        &self,
        trip_id: &TripId,
    ) -> impl Future<Output = Result<Option<HotelBooking>, RepositoryError>> + Send;

    /// The stored room inventory of `hotel_code` for every night from
    /// `check_in` up to, not including, `check_out`, in any order. A night the
    /// hotel does not sell is simply absent.
    fn load_nights(
        &self,
        hotel_code: &HotelCode,
        check_in: Date,
        check_out: Date,
    ) -> impl Future<Output = Result<Vec<RoomInventory>, RepositoryError>> + Send;

    /// Writes everything in `commit` atomically, or nothing.
    ///
    /// Fails with [`RepositoryError::Conflict`] when a precondition no longer
    /// holds: the booking's status is not
    /// [`expected_status`](HotelCommit::expected_status) (or it exists when
    /// `None` was expected), a night's stored version is not its
    /// [`expected_version`](InventoryUpdate::expected_version), or a commit
    /// with the same [`idempotency_key`](HotelCommit::idempotency_key) was
    /// applied before.
    fn commit(
        &self,
        commit: HotelCommit,
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send;
}

/// Everything one use case writes: one transaction.
///
/// A stay is at most [`StayRequest::MAX_NIGHTS`](super::StayRequest::MAX_NIGHTS)
/// nights, so a commit writes at most that many inventories besides the
/// booking and the event, well within what one DynamoDB transaction takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotelCommit {
    /// The booking as it is after the change.
    pub booking: HotelBooking,
    /// The status the stored booking must still have, or `None` if no
    /// booking may be stored for the trip yet.
    pub expected_status: Option<BookingStatus>,
    /// The room inventory of every night whose holds changed, in night order.
    pub nights: Vec<InventoryUpdate>,
    /// The event announcing the change, written to the outbox in the same
    /// transaction.
    pub event: HotelEvent,
    /// The key of the step invocation that decided the change. The store
    /// applies one commit per key, and derives the outbox event's id from
    /// it, so a duplicated invocation can neither write twice nor publish
    /// twice.
    pub idempotency_key: IdempotencyKey,
}

/// A night's room inventory to store in place of the version it was decided
/// on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryUpdate {
    /// The inventory after the change. Its [`version`](RoomInventory::version)
    /// is already the new one, `expected_version + 1`.
    pub inventory: RoomInventory,
    /// The version the stored inventory must still have: the one the rules
    /// read. Anything else means another trip changed the rooms meanwhile.
    pub expected_version: u64,
}
