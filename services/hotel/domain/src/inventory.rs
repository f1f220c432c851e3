//! Room inventory: how many rooms a hotel sells on a night and who holds them.

use std::collections::BTreeMap;

use super::{Date, HotelCode, HotelError, Price, TripId};

/// The rooms of one hotel on one night, and which trips hold them.
///
/// A night is named by its date: the night of 2025-04-01 is the one guests
/// arrive on 2025-04-01 and leave the next morning. Holds are kept per trip
/// rather than as a single counter, so a cancellation releases exactly what
/// its trip held and holding again for the same trip replaces the hold
/// instead of adding to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomInventory {
    hotel_code: HotelCode,
    night: Date,
    capacity: u32,
    rate: Price,
    holds: BTreeMap<TripId, u32>,
    version: u64,
}

impl RoomInventory {
    /// A night with `capacity` rooms at `rate` each, none held yet, not
    /// stored yet (version 0).
    pub fn new(hotel_code: HotelCode, night: Date, capacity: u32, rate: Price) -> RoomInventory {
        RoomInventory::restore(hotel_code, night, capacity, rate, BTreeMap::new(), 0)
    }

    /// A night's inventory as the store holds it.
    ///
    /// Holds may add up to more than the capacity, because a hotel can take
    /// rooms out of sale after selling them; such a night simply has no room
    /// available until enough holds are released.
    pub fn restore(
        hotel_code: HotelCode,
        night: Date,
        capacity: u32,
        rate: Price,
        holds: BTreeMap<TripId, u32>,
        version: u64,
    ) -> RoomInventory {
        RoomInventory {
            hotel_code,
            night,
            capacity,
            rate,
            holds,
            version,
        }
    }

    /// The hotel.
    pub fn hotel_code(&self) -> &HotelCode {
        &self.hotel_code
    }

    /// The night.
    pub fn night(&self) -> Date {
        self.night
    }

    /// How many rooms the hotel sells that night.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The price of one room for the night.
    pub fn rate(&self) -> Price {
        self.rate
    }

    /// The rooms each trip holds.
    pub fn holds(&self) -> &BTreeMap<TripId, u32> {
        &self.holds
    }

    /// The version stored with the inventory, raised by every change so that
    /// the store can refuse a change decided on an older version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The rooms held by all trips together.
    pub fn rooms_held(&self) -> u32 {
        self.holds
            .values()
            .fold(0, |held, rooms| held.saturating_add(*rooms))
    }

    /// The rooms nobody holds.
    pub fn rooms_available(&self) -> u32 {
        self.capacity.saturating_sub(self.rooms_held())
    }

    /// The rooms `trip_id` holds.
    pub fn held_by(&self, trip_id: &TripId) -> u32 {
        self.holds.get(trip_id).copied().unwrap_or(0)
    }

    /// Holds `rooms` for `trip_id`, in place of whatever the trip held, or
    /// fails with [`HotelError::NoRoomsAvailable`] and changes nothing.
    pub fn hold(&mut self, trip_id: &TripId, rooms: u32) -> Result<(), HotelError> {
        // The trip's own hold is about to be replaced, so only the other
        // trips' holds take rooms away.
        let held_by_others = self.rooms_held().saturating_sub(self.held_by(trip_id));
        let available = self.capacity.saturating_sub(held_by_others);
        if rooms > available {
            return Err(HotelError::NoRoomsAvailable {
                hotel_code: self.hotel_code.clone(),
                night: self.night,
                requested: rooms,
                available,
            });
        }
        if rooms == 0 {
            self.holds.remove(trip_id);
        } else {
            self.holds.insert(trip_id.clone(), rooms);
        }
        Ok(())
    }

    /// Releases what `trip_id` holds and returns how many rooms that was;
    /// zero if it held none.
    pub fn release(&mut self, trip_id: &TripId) -> u32 {
        self.holds.remove(trip_id).unwrap_or(0)
    }

    /// This inventory as the next version, for a commit that replaces the
    /// current one.
    pub(super) fn into_next_version(self) -> RoomInventory {
        RoomInventory {
            version: self.version + 1,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trip(id: &str) -> TripId {
        TripId::new(id).unwrap()
    }

    fn night(capacity: u32) -> RoomInventory {
        RoomInventory::new(
            HotelCode::new("PAR-LOUVRE").unwrap(),
            "2025-04-01".parse().unwrap(),
            capacity,
            "180.00".parse().unwrap(),
        )
    }

    #[test]
    fn the_last_room_can_be_held_and_then_there_is_none() {
        let mut inventory = night(2);
        inventory.hold(&trip("trip-0001"), 1).unwrap();
        inventory.hold(&trip("trip-0002"), 1).unwrap();
        assert_eq!(inventory.rooms_available(), 0);
        assert!(matches!(
            inventory.hold(&trip("trip-0003"), 1),
            Err(HotelError::NoRoomsAvailable {
                available: 0,
                requested: 1,
                ..
            })
        ));
    }

    #[test]
    fn a_refused_hold_changes_nothing() {
        let mut inventory = night(2);
        let before = inventory.clone();
        assert!(inventory.hold(&trip("trip-0001"), 3).is_err());
        assert_eq!(inventory, before);
    }

    #[test]
    fn release_frees_exactly_what_the_trip_held() {
        let mut inventory = night(4);
        inventory.hold(&trip("trip-0001"), 3).unwrap();
        inventory.hold(&trip("trip-0002"), 1).unwrap();
        assert_eq!(inventory.release(&trip("trip-0001")), 3);
        assert_eq!(inventory.release(&trip("trip-0001")), 0);
        assert_eq!(inventory.rooms_available(), 3);
    }
}
