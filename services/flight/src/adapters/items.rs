//! The flight service's items: domain values to and from the JSON items of
//! the single table.

use std::collections::BTreeMap;

use sagac_runtime::Entity as _;
use sagac_runtime::serde_json::{Map, Value};
use sagac_runtime::store::{Item, Key};

use crate::domain::{
    AirportCode, Date, FlightId, FlightInventory, FlightNumber, FlightReservation, Price,
    RepositoryError, ReservationStatus, Route, TripId,
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

/// The stored seat inventory item (without the table keys).
pub fn inventory_item(inventory: &FlightInventory) -> Item {
    let mut item = Map::new();
    let mut text = |name: &str, value: String| {
        item.insert(name.to_owned(), Value::String(value));
    };
    text("flight_number", inventory.flight_number().to_string());
    text("depart_on", inventory.depart_on().to_string());
    text("origin", inventory.route().origin().to_string());
    text("destination", inventory.route().destination().to_string());
    text("fare", inventory.fare().to_string());
    item.insert("capacity".into(), Value::from(inventory.capacity()));
    item.insert("holds".into(), holds_value(inventory.holds()));
    item.insert("version".into(), Value::from(inventory.version()));
    item
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

/// Reads the attributes of one stored item, reporting what is wrong with it
/// as [`RepositoryError::Corrupt`] naming the item.
pub(super) struct Reader<'a> {
    key: &'a Key,
    item: &'a Item,
}

impl<'a> Reader<'a> {
    pub(super) fn new(key: &'a Key, item: &'a Item) -> Self {
        Reader { key, item }
    }

    pub(super) fn corrupt(&self, problem: impl std::fmt::Display) -> RepositoryError {
        RepositoryError::Corrupt {
            detail: format!("item {}: {problem}", self.key),
        }
    }

    pub(super) fn text(&self, name: &str) -> Result<&'a str, RepositoryError> {
        self.item
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| self.corrupt(format_args!("no string attribute `{name}`")))
    }

    pub(super) fn number(&self, name: &str) -> Result<u64, RepositoryError> {
        self.item
            .get(name)
            .and_then(Value::as_u64)
            .ok_or_else(|| self.corrupt(format_args!("no non-negative integer attribute `{name}`")))
    }

    pub(super) fn small(&self, name: &str) -> Result<u32, RepositoryError> {
        let n = self.number(name)?;
        u32::try_from(n).map_err(|_| self.corrupt(format_args!("`{name}` = {n} is too large")))
    }

    /// Parses a text attribute with `parse`.
    pub(super) fn parsed<T, E: std::fmt::Display>(
        &self,
        name: &str,
        parse: impl FnOnce(&'a str) -> Result<T, E>,
    ) -> Result<T, RepositoryError> {
        let text = self.text(name)?;
        parse(text).map_err(|e| self.corrupt(format_args!("`{name}`: {e}")))
    }

    /// A map attribute of trip ids to counts.
    pub(super) fn holds(&self, name: &str) -> Result<BTreeMap<TripId, u32>, RepositoryError> {
        let Some(map) = self.item.get(name) else {
            return Ok(BTreeMap::new());
        };
        let map = map
            .as_object()
            .ok_or_else(|| self.corrupt(format_args!("`{name}` is not a map")))?;
        map.iter()
            .map(|(trip, count)| {
                let trip_id = TripId::new(trip.as_str())
                    .map_err(|e| self.corrupt(format_args!("`{name}`: {e}")))?;
                let count = count
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| {
                        self.corrupt(format_args!("`{name}.{trip}` is not a small count"))
                    })?;
                Ok((trip_id, count))
            })
            .collect()
    }
}

/// A reservation read back from its item.
pub(super) fn reservation_from_item(
    key: &Key,
    item: &Item,
) -> Result<FlightReservation, RepositoryError> {
    let r = Reader::new(key, item);
    Ok(FlightReservation {
        trip_id: r.parsed("trip_id", TripId::new)?,
        flight_id: r.parsed("flight_id", FlightId::new)?,
        flight_number: r.parsed("flight_number", FlightNumber::new)?,
        depart_on: r.parsed("depart_on", str::parse::<Date>)?,
        return_on: r.parsed("return_on", str::parse::<Date>)?,
        seats: r.small("seats")?,
        price: r.parsed("price", str::parse::<Price>)?,
        status: r.parsed("status", str::parse::<ReservationStatus>)?,
    })
}

/// A seat inventory read back from its item.
pub(super) fn inventory_from_item(
    key: &Key,
    item: &Item,
) -> Result<FlightInventory, RepositoryError> {
    let r = Reader::new(key, item);
    let origin = r.parsed("origin", AirportCode::new)?;
    let destination = r.parsed("destination", AirportCode::new)?;
    let route = Route::new(origin, destination).map_err(|e| r.corrupt(e))?;
    Ok(FlightInventory::restore(
        r.parsed("flight_number", FlightNumber::new)?,
        r.parsed("depart_on", str::parse::<Date>)?,
        route,
        r.small("capacity")?,
        r.parsed("fare", str::parse::<Price>)?,
        r.holds("holds")?,
        r.number("version")?,
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
        assert_eq!(reservation_from_item(&key, &item).unwrap(), r);
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
        assert_eq!(inventory_from_item(&key, &item).unwrap(), inventory);
    }

    #[test]
    fn a_damaged_item_is_corrupt_and_says_where() {
        let key = reservation_key(&TripId::new("trip-0001").unwrap());
        let mut item = reservation_item(&reservation());
        item.insert("status".into(), json!("LOST"));
        let error = reservation_from_item(&key, &item).unwrap_err();
        assert_eq!(error.name(), "CorruptRecord");
        assert!(
            error
                .to_string()
                .contains("TRIP#trip-0001/FLIGHT#FR-trip-0001")
        );
        assert!(error.to_string().contains("`status`"));
    }
}
