//! The rules that decide a booking or a cancellation, given what the store
//! holds.
//!
//! Both functions are pure: they take the state a use case read and return
//! either the answer to give without writing anything, or the one commit to
//! write. Everything the service decides is therefore testable without a
//! store.

use std::collections::BTreeMap;

use super::{
    BookingStatus, Date, HotelBooking, HotelCommit, HotelError, HotelEvent, HotelId,
    IdempotencyKey, InventoryUpdate, Price, RoomInventory, StayRequest,
};

/// What the rules decided about a [`StayRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReserveDecision {
    /// The trip already holds exactly this booking: a repeated request is
    /// answered with it and writes nothing.
    AlreadyReserved(HotelBooking),
    /// The rooms can be held on every night: write this commit, then answer
    /// with its booking.
    Reserve(Box<HotelCommit>),
}

/// What the rules decided about cancelling a trip's booking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelDecision {
    /// The trip never held a booking. There is nothing to undo, which is a
    /// success: the saga compensates steps whose outcome it does not know.
    NothingToUndo,
    /// The booking was cancelled before; a repeated cancellation writes
    /// nothing.
    AlreadyCancelled(HotelBooking),
    /// Cancel the booking and release its rooms on every night: write this
    /// commit.
    Cancel(Box<HotelCommit>),
}

/// Decides whether `request` can hold rooms on every night of its stay.
///
/// `existing` is the trip's stored booking. `nights` are the stored room
/// inventories of the requested hotel for the nights of the stay; they are
/// only consulted when `existing` is `None`, so a use case may skip loading
/// them otherwise.
///
/// A stay is all or nothing: if any night lacks rooms, no night is held and
/// the error names the first such night. A hotel that sells none of the
/// nights is not found; one that sells some of them has no rooms on the
/// others.
pub fn decide_reservation(
    request: &StayRequest,
    existing: Option<HotelBooking>,
    nights: Vec<RoomInventory>,
    idempotency_key: IdempotencyKey,
) -> Result<ReserveDecision, HotelError> {
    if let Some(booking) = existing {
        return match booking.status {
            BookingStatus::Cancelled => Err(HotelError::AlreadyCompensated {
                trip_id: booking.trip_id,
            }),
            BookingStatus::Reserved if booking.fulfils(request) => {
                Ok(ReserveDecision::AlreadyReserved(booking))
            }
            BookingStatus::Reserved => Err(HotelError::InvalidCommand {
                field: "trip_id",
                problem: format!(
                    "trip {} already holds {} rooms at {} from {} to {}; a repeated request must repeat the original one",
                    booking.trip_id,
                    booking.rooms,
                    booking.hotel_code,
                    booking.check_in,
                    booking.check_out
                ),
            }),
        };
    }
    let stay = request.nights();
    let mut sold: BTreeMap<Date, RoomInventory> = nights
        .into_iter()
        .filter(|night| night.hotel_code() == request.hotel_code() && stay.contains(&night.night()))
        .map(|night| (night.night(), night))
        .collect();
    if sold.is_empty() {
        return Err(HotelError::HotelNotFound {
            hotel_code: request.hotel_code().to_string(),
            check_in: request.check_in(),
        });
    }
    let mut updates = Vec::with_capacity(stay.len());
    let mut price = Price::ZERO;
    for night in &stay {
        let Some(mut inventory) = sold.remove(night) else {
            return Err(HotelError::NoRoomsAvailable {
                hotel_code: request.hotel_code().clone(),
                night: *night,
                requested: request.rooms(),
                available: 0,
            });
        };
        let expected_version = inventory.version();
        // Holding on a copy of what was read: if a later night refuses, the
        // earlier holds are dropped with it and nothing is written.
        inventory.hold(request.trip_id(), request.rooms())?;
        price = inventory
            .rate()
            .times(request.rooms())
            .and_then(|cost| price.plus(cost))
            .ok_or_else(|| HotelError::InvalidCommand {
                field: "rooms",
                problem: format!(
                    "{} rooms for {} nights is more than a price can hold",
                    request.rooms(),
                    stay.len()
                ),
            })?;
        updates.push(InventoryUpdate {
            inventory: inventory.into_next_version(),
            expected_version,
        });
    }
    let booking = HotelBooking {
        trip_id: request.trip_id().clone(),
        hotel_id: HotelId::for_trip(request.trip_id()),
        hotel_code: request.hotel_code().clone(),
        check_in: request.check_in(),
        check_out: request.check_out(),
        rooms: request.rooms(),
        price,
        status: BookingStatus::Reserved,
    };
    Ok(ReserveDecision::Reserve(Box::new(HotelCommit {
        event: HotelEvent::HotelReserved {
            booking: booking.clone(),
        },
        booking,
        expected_status: None,
        nights: updates,
        idempotency_key,
    })))
}

/// Decides how to cancel the trip's booking `existing`.
///
/// `nights` are the stored room inventories of the booked hotel for the
/// nights of the stay. Every night that still holds rooms for the trip is
/// released; a night no longer sold has nothing to release, and the booking
/// is cancelled all the same.
pub fn decide_cancellation(
    existing: Option<HotelBooking>,
    nights: Vec<RoomInventory>,
    idempotency_key: IdempotencyKey,
) -> CancelDecision {
    let Some(mut booking) = existing else {
        return CancelDecision::NothingToUndo;
    };
    if booking.status == BookingStatus::Cancelled {
        return CancelDecision::AlreadyCancelled(booking);
    }
    booking.status = BookingStatus::Cancelled;
    let stay = booking.nights();
    let mut updates: Vec<InventoryUpdate> = nights
        .into_iter()
        .filter(|night| night.hotel_code() == &booking.hotel_code && stay.contains(&night.night()))
        .filter_map(|mut night| {
            let expected_version = night.version();
            // A night that holds nothing for the trip stays as it is, so the
            // commit does not contend with other trips for nothing.
            (night.release(&booking.trip_id) > 0).then(|| InventoryUpdate {
                inventory: night.into_next_version(),
                expected_version,
            })
        })
        .collect();
    updates.sort_by_key(|update| update.inventory.night());
    updates.dedup_by_key(|update| update.inventory.night());
    CancelDecision::Cancel(Box::new(HotelCommit {
        event: HotelEvent::HotelCancelled {
            trip_id: booking.trip_id.clone(),
            hotel_id: booking.hotel_id.clone(),
            status: booking.status,
        },
        booking,
        expected_status: Some(BookingStatus::Reserved),
        nights: updates,
        idempotency_key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HotelCode, TripId};

    fn request(check_in: &str, check_out: &str, rooms: u32) -> StayRequest {
        StayRequest::new(
            TripId::new("trip-0001").unwrap(),
            HotelCode::new("PAR-LOUVRE").unwrap(),
            check_in.parse().unwrap(),
            check_out.parse().unwrap(),
            rooms,
        )
        .unwrap()
    }

    fn night(date: &str, capacity: u32, rate: &str, version: u64) -> RoomInventory {
        RoomInventory::restore(
            HotelCode::new("PAR-LOUVRE").unwrap(),
            date.parse().unwrap(),
            capacity,
            rate.parse().unwrap(),
            BTreeMap::new(),
            version,
        )
    }

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::new(text).unwrap()
    }

    #[test]
    fn a_booking_prices_each_night_at_its_own_rate() {
        // Read in any order: the store does not promise one.
        let nights = vec![
            night("2025-04-02", 5, "210.00", 7),
            night("2025-04-01", 5, "180.50", 3),
        ];
        let decision = decide_reservation(
            &request("2025-04-01", "2025-04-03", 2),
            None,
            nights,
            key("trip-0001#ReserveHotel"),
        )
        .unwrap();
        let ReserveDecision::Reserve(commit) = decision else {
            panic!("expected a commit, got {decision:?}");
        };
        assert_eq!(commit.booking.price.to_string(), "781.00");
        let versions: Vec<(String, u64, u64)> = commit
            .nights
            .iter()
            .map(|update| {
                (
                    update.inventory.night().to_string(),
                    update.expected_version,
                    update.inventory.version(),
                )
            })
            .collect();
        assert_eq!(
            versions,
            [
                ("2025-04-01".to_owned(), 3, 4),
                ("2025-04-02".to_owned(), 7, 8)
            ]
        );
    }

    #[test]
    fn inventory_of_other_hotels_or_nights_is_ignored() {
        let other_hotel = RoomInventory::new(
            HotelCode::new("PAR-OPERA").unwrap(),
            "2025-04-01".parse().unwrap(),
            5,
            "100".parse().unwrap(),
        );
        let error = decide_reservation(
            &request("2025-04-01", "2025-04-02", 1),
            None,
            vec![other_hotel, night("2025-04-05", 5, "100", 0)],
            key("k"),
        )
        .unwrap_err();
        assert_eq!(error.name(), "HotelNotFound");
    }

    #[test]
    fn cancelling_releases_only_nights_that_held_rooms() {
        let ReserveDecision::Reserve(reserved) = decide_reservation(
            &request("2025-04-01", "2025-04-03", 1),
            None,
            vec![
                night("2025-04-01", 5, "100", 0),
                night("2025-04-02", 5, "100", 0),
            ],
            key("k1"),
        )
        .unwrap() else {
            unreachable!("rooms are free");
        };
        let mut stored: Vec<RoomInventory> = reserved
            .nights
            .into_iter()
            .map(|update| update.inventory)
            .collect();
        // The second night was reloaded by the hotel since and holds nothing.
        stored[1] = night("2025-04-02", 5, "100", 9);
        let CancelDecision::Cancel(commit) =
            decide_cancellation(Some(reserved.booking), stored, key("k2"))
        else {
            unreachable!("the booking is reserved");
        };
        assert_eq!(commit.nights.len(), 1);
        assert_eq!(commit.nights[0].inventory.rooms_available(), 5);
        assert_eq!(commit.booking.status, BookingStatus::Cancelled);
        assert_eq!(commit.event.name(), "HotelCancelled");
    }
}
