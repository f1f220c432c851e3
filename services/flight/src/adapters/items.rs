//! The flight service's items: domain values to and from the JSON items of
//! the single table.

use std::collections::BTreeMap;

use sagac_runtime::Entity as _;
use sagac_runtime::attribute;
use sagac_runtime::serde::{Deserialize, Serialize};
use sagac_runtime::serde_json::Value;
use sagac_runtime::store::{Item, Key};
use travel_adapter::{attributes, field};

use crate::domain::{
    AirportCode, Date, FlightId, FlightInventory, FlightNumber, FlightReservation, Price,
    ReservationStatus, Route, TripId,
};
use crate::handlers::trip_booking as spec;

/// The seat inventory's sort key. The inventory is the service's own item,
/// not a spec entity, so its key is the adapter's to choose; it shares the
/// partition of the reservations' `GSI1` key (every reservation on one
/// flight and date).
pub const INVENTORY_SK: &str = "INVENTORY";

/// The partition of a trip, the saga's aggregate root (the spec's
/// `Trip.pk`). The reservation, its outbox items and the step idempotency
/// records live under it.
pub(super) fn trip_pk(trip_id: &TripId) -> String {
    spec::Trip::pk(trip_id.as_str())
}

/// The key of the reservation a trip holds, whether or not it exists
/// (the spec's `FlightReservation` keys).
pub fn reservation_key(trip_id: &TripId) -> Key {
    spec::FlightReservation::key(trip_id.as_str(), FlightId::for_trip(trip_id).as_str())
}

/// The key of a flight's seat inventory on a departure date.
pub fn inventory_key(flight_number: &FlightNumber, depart_on: Date) -> Key {
    let pk = spec::FlightReservation::gsi1_pk(flight_number.as_str(), &spec_date(depart_on));
    Key::new(pk, INVENTORY_SK)
}

/// A domain date as the spec's: both are validated calendar dates.
fn spec_date(date: Date) -> spec::Date {
    date.to_string()
        .parse()
        .unwrap_or_else(|e| unreachable!("a domain date is a calendar date: {e}"))
}

/// The reservation as the spec's `FlightReservation` entity: its fields and
/// nothing else, with the decimal `price` exact. This is the item's body,
/// the step's result and the `FlightReserved` event's payload.
pub fn reservation_entity(reservation: &FlightReservation) -> spec::FlightReservation {
    spec::FlightReservation {
        trip_id: reservation.trip_id.to_string(),
        flight_id: reservation.flight_id.to_string(),
        flight_number: reservation.flight_number.to_string(),
        depart_on: spec_date(reservation.depart_on),
        return_on: spec_date(reservation.return_on),
        seats: i64::from(reservation.seats),
        price: reservation
            .price
            .to_string()
            .parse()
            .unwrap_or_else(|e| unreachable!("a price is a decimal: {e}")),
        status: reservation.status.to_string(),
    }
}

/// The stored reservation item: the entity's attributes and its index keys
/// (the table keys are added by the store).
pub fn reservation_item(reservation: &FlightReservation) -> Item {
    reservation_entity(reservation)
        .to_item()
        .unwrap_or_else(|e| unreachable!("the spec entity is an item: {e}"))
}

/// The seat inventory as stored: the service's own item (the table keys
/// are added by the store).
#[derive(Serialize, Deserialize)]
#[serde(crate = "sagac_runtime::serde")]
struct InventoryItem {
    flight_number: String,
    depart_on: String,
    origin: String,
    destination: String,
    fare: String,
    capacity: u32,
    /// The seats each trip holds, by trip id.
    #[serde(default)]
    holds: BTreeMap<String, u32>,
    version: u64,
}

/// The stored seat inventory item (without the table keys).
pub fn inventory_item(inventory: &FlightInventory) -> Item {
    let stored = InventoryItem {
        flight_number: inventory.flight_number().to_string(),
        depart_on: inventory.depart_on().to_string(),
        origin: inventory.route().origin().to_string(),
        destination: inventory.route().destination().to_string(),
        fare: inventory.fare().to_string(),
        capacity: inventory.capacity(),
        holds: inventory
            .holds()
            .iter()
            .map(|(trip, seats)| (trip.to_string(), *seats))
            .collect(),
        version: inventory.version(),
    };
    attribute::to_item(&stored).unwrap_or_else(|e| unreachable!("an inventory is an item: {e}"))
}

/// The holds as a map attribute, trip id to seats.
pub(super) fn holds_value(holds: &BTreeMap<TripId, u32>) -> Value {
    Value::Object(
        holds
            .iter()
            .map(|(trip, seats)| (trip.to_string(), Value::from(*seats)))
            .collect(),
    )
}

/// A reservation read back from its item, the spec's entity, or what is
/// wrong with it.
pub(super) fn reservation_from_item(item: Item) -> Result<FlightReservation, String> {
    let entity = attributes(spec::FlightReservation::from_item(item))?;
    Ok(FlightReservation {
        trip_id: field("trip_id", TripId::new(entity.trip_id))?,
        flight_id: field("flight_id", FlightId::new(entity.flight_id))?,
        flight_number: field("flight_number", FlightNumber::new(entity.flight_number))?,
        depart_on: field("depart_on", entity.depart_on.to_string().parse::<Date>())?,
        return_on: field("return_on", entity.return_on.to_string().parse::<Date>())?,
        seats: field("seats", u32::try_from(entity.seats))?,
        price: field("price", entity.price.to_string().parse::<Price>())?,
        status: field("status", entity.status.parse::<ReservationStatus>())?,
    })
}

/// A seat inventory read back from its item, or what is wrong with it.
pub(super) fn inventory_from_item(item: Item) -> Result<FlightInventory, String> {
    let stored: InventoryItem = attributes(attribute::from_item(item))?;
    let route = Route::new(
        field("origin", AirportCode::new(stored.origin))?,
        field("destination", AirportCode::new(stored.destination))?,
    )
    .map_err(|e| e.to_string())?;
    let holds = stored
        .holds
        .into_iter()
        .map(|(trip, seats)| Ok((field("holds", TripId::new(trip))?, seats)))
        .collect::<Result<_, String>>()?;
    Ok(FlightInventory::restore(
        field("flight_number", FlightNumber::new(stored.flight_number))?,
        field("depart_on", stored.depart_on.parse::<Date>())?,
        route,
        stored.capacity,
        field("fare", stored.fare.parse::<Price>())?,
        holds,
        stored.version,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagac_runtime::serde_json::json;

    fn reservation() -> FlightReservation {
        let trip_id = TripId::new("trip-0001").unwrap();
        FlightReservation {
            flight_id: FlightId::for_trip(&trip_id),
            trip_id,
            flight_number: FlightNumber::new("NH203").unwrap(),
            depart_on: "2025-04-01".parse().unwrap(),
            return_on: "2025-04-10".parse().unwrap(),
            seats: 2,
            price: "2401.00".parse().unwrap(),
            status: ReservationStatus::Reserved,
        }
    }

    #[test]
    fn a_reservation_is_the_spec_entity_under_the_spec_keys() {
        let r = reservation();
        let key = reservation_key(&r.trip_id);
        assert_eq!(key, Key::new("TRIP#trip-0001", "FLIGHT#FR-trip-0001"));
        let item = reservation_item(&r);
        assert_eq!(
            Value::Object(item.clone()),
            json!({
                "trip_id": "trip-0001", "flight_id": "FR-trip-0001", "flight_number": "NH203",
                "depart_on": "2025-04-01", "return_on": "2025-04-10", "seats": 2,
                "price": "2401.00", "status": "RESERVED",
                "GSI1PK": "FLIGHT#NH203#2025-04-01", "GSI1SK": "TRIP#trip-0001"
            })
        );
        assert_eq!(reservation_from_item(item).unwrap(), r);
    }

    #[test]
    fn an_inventory_round_trips() {
        let mut inventory = FlightInventory::new(
            FlightNumber::new("NH203").unwrap(),
            "2025-04-01".parse().unwrap(),
            Route::new(
                AirportCode::new("HND").unwrap(),
                AirportCode::new("CDG").unwrap(),
            )
            .unwrap(),
            5,
            "1200.50".parse().unwrap(),
        );
        inventory
            .hold(&TripId::new("trip-0001").unwrap(), 2)
            .unwrap();
        let key = inventory_key(inventory.flight_number(), inventory.depart_on());
        assert_eq!(key, Key::new("FLIGHT#NH203#2025-04-01", "INVENTORY"));
        let item = inventory_item(&inventory);
        assert_eq!(item["holds"], json!({"trip-0001": 2}));
        assert_eq!(inventory_from_item(item).unwrap(), inventory);
    }

    #[test]
    fn a_damaged_item_is_corrupt_and_says_where() {
        let key = reservation_key(&TripId::new("trip-0001").unwrap());
        let mut item = reservation_item(&reservation());
        item.insert("status".into(), json!("LOST"));
        let error = travel_adapter::corrupt(&key, reservation_from_item(item).unwrap_err());
        assert_eq!(error.name(), "CorruptRecord");
        assert!(
            error
                .to_string()
                .contains("TRIP#trip-0001/FLIGHT#FR-trip-0001")
        );
        assert!(error.to_string().contains("`status`"));
    }
}
