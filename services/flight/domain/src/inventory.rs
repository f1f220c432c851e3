//! Seat inventory: how many seats a flight has on a date and who holds them.

use std::collections::BTreeMap;

use super::{Date, FlightError, FlightNumber, Price, Route, TripId};

/// The seats of one flight on one departure date, and which trips hold them.
///
/// Holds are kept per trip rather than as a single counter, so a cancellation
/// releases exactly what its trip held and holding again for the same trip
/// replaces the hold instead of adding to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlightInventory {
    flight_number: FlightNumber,
    depart_on: Date,
    route: Route,
    capacity: u32,
    fare: Price,
    holds: BTreeMap<TripId, u32>,
    version: u64,
}

impl FlightInventory {
    /// A flight with `capacity` seats at `fare` each, none held yet, not
    /// stored yet (version 0).
    pub fn new(
        flight_number: FlightNumber,
        depart_on: Date,
        route: Route,
        capacity: u32,
        fare: Price,
    ) -> FlightInventory {
        FlightInventory::restore(
            flight_number,
            depart_on,
            route,
            capacity,
            fare,
            BTreeMap::new(),
            0,
        )
    }

    /// An inventory as the store holds it.
    ///
    /// Holds may add up to more than the capacity, because an airline can
    /// shrink a flight after selling it; such a flight simply has no seat
    /// available until enough holds are released.
    pub fn restore(
        flight_number: FlightNumber,
        depart_on: Date,
        route: Route,
        capacity: u32,
        fare: Price,
        holds: BTreeMap<TripId, u32>,
        version: u64,
    ) -> FlightInventory {
        FlightInventory {
            flight_number,
            depart_on,
            route,
            capacity,
            fare,
            holds,
            version,
        }
    }

    /// The flight.
    pub fn flight_number(&self) -> &FlightNumber {
        &self.flight_number
    }

    /// The departure date.
    pub fn depart_on(&self) -> Date {
        self.depart_on
    }

    /// Where the flight goes.
    pub fn route(&self) -> &Route {
        &self.route
    }

    /// How many seats the flight sells.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The price of one seat.
    pub fn fare(&self) -> Price {
        self.fare
    }

    /// The seats each trip holds.
    pub fn holds(&self) -> &BTreeMap<TripId, u32> {
        &self.holds
    }

    /// The version stored with the inventory, raised by every change so that
    /// the store can refuse a change decided on an older version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The seats held by all trips together.
    pub fn seats_held(&self) -> u32 {
        self.holds
            .values()
            .fold(0, |held, seats| held.saturating_add(*seats))
    }

    /// The seats nobody holds.
    pub fn seats_available(&self) -> u32 {
        self.capacity.saturating_sub(self.seats_held())
    }

    /// The seats `trip_id` holds.
    pub fn held_by(&self, trip_id: &TripId) -> u32 {
        self.holds.get(trip_id).copied().unwrap_or(0)
    }

    /// Holds `seats` for `trip_id`, in place of whatever the trip held, or
    /// fails with [`FlightError::NoSeatsAvailable`] and changes nothing.
    pub fn hold(&mut self, trip_id: &TripId, seats: u32) -> Result<(), FlightError> {
        // The trip's own hold is about to be replaced, so only the other
        // trips' holds take seats away.
        let held_by_others = self.seats_held().saturating_sub(self.held_by(trip_id));
        let available = self.capacity.saturating_sub(held_by_others);
        if seats > available {
            return Err(FlightError::NoSeatsAvailable {
                flight_number: self.flight_number.clone(),
                depart_on: self.depart_on,
                requested: seats,
                available,
            });
        }
        if seats == 0 {
            self.holds.remove(trip_id);
        } else {
            self.holds.insert(trip_id.clone(), seats);
        }
        Ok(())
    }

    /// Releases what `trip_id` holds and returns how many seats that was;
    /// zero if it held none.
    pub fn release(&mut self, trip_id: &TripId) -> u32 {
        self.holds.remove(trip_id).unwrap_or(0)
    }

    /// This inventory as the next version, for a commit that replaces the
    /// current one.
    pub(super) fn into_next_version(self) -> FlightInventory {
        FlightInventory {
            version: self.version + 1,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AirportCode;

    fn trip(id: &str) -> TripId {
        TripId::new(id).unwrap()
    }

    fn flight(capacity: u32) -> FlightInventory {
        FlightInventory::new(
            FlightNumber::new("NH203").unwrap(),
            "2025-04-01".parse().unwrap(),
            Route::new(
                AirportCode::new("HND").unwrap(),
                AirportCode::new("CDG").unwrap(),
            )
            .unwrap(),
            capacity,
            "1200.00".parse().unwrap(),
        )
    }

    #[test]
    fn the_last_seat_can_be_held_and_then_there_is_none() {
        let mut inventory = flight(3);
        inventory.hold(&trip("trip-0001"), 2).unwrap();
        inventory.hold(&trip("trip-0002"), 1).unwrap();
        assert_eq!(inventory.seats_available(), 0);
        let error = inventory.hold(&trip("trip-0003"), 1).unwrap_err();
        assert_eq!(
            error,
            FlightError::NoSeatsAvailable {
                flight_number: FlightNumber::new("NH203").unwrap(),
                depart_on: "2025-04-01".parse().unwrap(),
                requested: 1,
                available: 0,
            }
        );
    }

    #[test]
    fn a_refused_hold_changes_nothing() {
        let mut inventory = flight(2);
        let before = inventory.clone();
        assert!(inventory.hold(&trip("trip-0001"), 3).is_err());
        assert_eq!(inventory, before);
    }

    #[test]
    fn holding_again_for_a_trip_replaces_its_hold() {
        let mut inventory = flight(4);
        inventory.hold(&trip("trip-0001"), 3).unwrap();
        inventory.hold(&trip("trip-0001"), 4).unwrap();
        assert_eq!(inventory.seats_held(), 4);
    }

    #[test]
    fn release_frees_exactly_what_the_trip_held() {
        let mut inventory = flight(4);
        inventory.hold(&trip("trip-0001"), 3).unwrap();
        inventory.hold(&trip("trip-0002"), 1).unwrap();
        assert_eq!(inventory.release(&trip("trip-0001")), 3);
        assert_eq!(inventory.release(&trip("trip-0001")), 0);
        assert_eq!(inventory.seats_available(), 3);
    }

    #[test]
    fn an_overbooked_flight_has_no_seat_available() {
        let mut holds = BTreeMap::new();
        holds.insert(trip("trip-0001"), 5);
        let base = flight(0);
        let mut inventory = FlightInventory::restore(
            base.flight_number().clone(),
            base.depart_on(),
            base.route().clone(),
            3,
            base.fare(),
            holds,
            7,
        );
        assert_eq!(inventory.seats_available(), 0);
        assert!(inventory.hold(&trip("trip-0002"), 1).is_err());
        // The overbooked trip may keep fewer seats, never more than exist.
        assert!(inventory.hold(&trip("trip-0001"), 4).is_err());
        inventory.hold(&trip("trip-0001"), 3).unwrap();
    }
}
