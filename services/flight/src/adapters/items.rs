//! The flight service's items: domain values to and from the JSON items of
//! the single table.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use sagac_runtime::store::{Item, Key};
use sagac_runtime::template::KeyTemplate;
use serde_json::{Map, Value};

use crate::domain::{
    AirportCode, Date, FlightId, FlightInventory, FlightNumber, FlightReservation, Price,
    RepositoryError, ReservationStatus, Route, TripId,
};

/// The partition of a trip, the saga's aggregate root: `TRIP#{trip_id}`.
/// The reservation, its outbox items and the step idempotency records live
/// under it.
pub const TRIP_PK: &str = "TRIP#{trip_id}";
/// The reservation's sort key (spec: `FlightReservation.sk`).
pub const RESERVATION_SK: &str = "FLIGHT#{flight_id}";
/// The reservation's `GSI1PK` (spec: `FlightReservation.indexes.GSI1.pk`):
/// every reservation on one flight and date.
pub const RESERVATION_GSI1_PK: &str = "FLIGHT#{flight_number}#{depart_on}";
/// The reservation's `GSI1SK` (spec: `FlightReservation.indexes.GSI1.sk`).
pub const RESERVATION_GSI1_SK: &str = "TRIP#{trip_id}";
/// The seat inventory's partition key: one per flight and departure date.
pub const INVENTORY_PK: &str = "FLIGHT#{flight_number}#{depart_on}";
/// The seat inventory's sort key.
pub const INVENTORY_SK: &str = "INVENTORY";

/// Attribute names of the `GSI1` index.
pub(super) const GSI1_PK_ATTRIBUTE: &str = "GSI1PK";
pub(super) const GSI1_SK_ATTRIBUTE: &str = "GSI1SK";

fn template(text: &'static str) -> KeyTemplate {
    // The templates are constants of this module, checked by a unit test.
    KeyTemplate::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

static TRIP: LazyLock<KeyTemplate> = LazyLock::new(|| template(TRIP_PK));
static RESERVATION: LazyLock<KeyTemplate> = LazyLock::new(|| template(RESERVATION_SK));
static GSI1_PK: LazyLock<KeyTemplate> = LazyLock::new(|| template(RESERVATION_GSI1_PK));
static GSI1_SK: LazyLock<KeyTemplate> = LazyLock::new(|| template(RESERVATION_GSI1_SK));
static INVENTORY: LazyLock<KeyTemplate> = LazyLock::new(|| template(INVENTORY_PK));

/// Renders a template whose fields `attributes` is known to hold (every
/// caller passes attributes built from a domain value that has them).
fn render(template: &KeyTemplate, attributes: &Map<String, Value>) -> String {
    template
        .render(attributes)
        .unwrap_or_else(|e| unreachable!("{e}"))
}

fn one(name: &str, value: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(name.to_owned(), Value::String(value.to_owned()));
    map
}

/// The partition key of a trip.
pub(super) fn trip_pk(trip_id: &TripId) -> String {
    render(&TRIP, &one("trip_id", trip_id.as_str()))
}

/// The key of the reservation a trip holds, whether or not it exists.
pub fn reservation_key(trip_id: &TripId) -> Key {
    let flight_id = FlightId::for_trip(trip_id);
    Key::new(
        trip_pk(trip_id),
        render(&RESERVATION, &one("flight_id", flight_id.as_str())),
    )
}

/// The key of a flight's seat inventory on a departure date.
pub fn inventory_key(flight_number: &FlightNumber, depart_on: Date) -> Key {
    let mut fields = one("flight_number", flight_number.as_str());
    fields.insert("depart_on".into(), Value::String(depart_on.to_string()));
    Key::new(render(&INVENTORY, &fields), INVENTORY_SK)
}

/// The reservation as the spec's `FlightReservation` entity: its fields and
/// nothing else, with the decimal `price` as exact text. This is the item's
/// body, the step's result and the `FlightReserved` event's payload.
pub fn reservation_attributes(reservation: &FlightReservation) -> Item {
    let mut item = Map::new();
    let mut text = |name: &str, value: String| {
        item.insert(name.to_owned(), Value::String(value));
    };
    text("trip_id", reservation.trip_id.to_string());
    text("flight_id", reservation.flight_id.to_string());
    text("flight_number", reservation.flight_number.to_string());
    text("depart_on", reservation.depart_on.to_string());
    text("return_on", reservation.return_on.to_string());
    text("price", reservation.price.to_string());
    text("status", reservation.status.to_string());
    item.insert("seats".into(), Value::from(reservation.seats));
    item
}

/// The stored reservation item: the entity's attributes and its `GSI1`
/// keys (the table keys are added by the store).
pub fn reservation_item(reservation: &FlightReservation) -> Item {
    let mut item = reservation_attributes(reservation);
    let gsi1_pk = render(&GSI1_PK, &item);
    let gsi1_sk = render(&GSI1_SK, &item);
    item.insert(GSI1_PK_ATTRIBUTE.into(), Value::String(gsi1_pk));
    item.insert(GSI1_SK_ATTRIBUTE.into(), Value::String(gsi1_sk));
    item
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
    use serde_json::json;

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
    fn the_templates_parse() {
        for text in [
            TRIP_PK,
            RESERVATION_SK,
            RESERVATION_GSI1_PK,
            RESERVATION_GSI1_SK,
            INVENTORY_PK,
            INVENTORY_SK,
        ] {
            KeyTemplate::parse(text).unwrap();
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
