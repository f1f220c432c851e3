//! The hotel service's items: domain values to and from the JSON items of
//! the single table.

use std::collections::BTreeMap;

use sagac_runtime::Entity as _;
use sagac_runtime::serde_json::{Map, Value};
use sagac_runtime::store::{Item, Key};

use crate::domain::{
    BookingStatus, Date, HotelBooking, HotelCode, HotelId, Price, RepositoryError, RoomInventory,
    TripId,
};
use crate::handlers::trip_booking as spec;

/// The prefix of a night's sort key, `NIGHT#{night}`. A night's room
/// inventory is the service's own item, not a spec entity, so its key is
/// the adapter's to choose; it shares the partition of the bookings' `GSI1`
/// key (every booking of one hotel).
pub const NIGHT_SK_PREFIX: &str = "NIGHT#";

/// The partition of a trip, the saga's aggregate root (the spec's
/// `Trip.pk`). The booking, its outbox items and the step idempotency
/// records live under it.
pub(super) fn trip_pk(trip_id: &TripId) -> String {
    spec::Trip::pk(trip_id.as_str())
}

/// The key of the booking a trip holds, whether or not it exists (the
/// spec's `HotelBooking` keys).
pub fn booking_key(trip_id: &TripId) -> Key {
    spec::HotelBooking::key(trip_id.as_str(), HotelId::for_trip(trip_id).as_str())
}

/// The partition key of a hotel's room inventory: the bookings' `GSI1`
/// partition of the hotel.
pub(super) fn hotel_pk(hotel_code: &HotelCode) -> String {
    spec::HotelBooking::gsi1_pk(hotel_code.as_str())
}

/// The sort key of a night's room inventory: `NIGHT#{night}`.
fn night_sk(night: Date) -> String {
    format!("{NIGHT_SK_PREFIX}{night}")
}

/// The key of a hotel's room inventory on a night.
pub fn night_key(hotel_code: &HotelCode, night: Date) -> Key {
    Key::new(hotel_pk(hotel_code), night_sk(night))
}

/// The sort key prefix of a hotel's nights in the month of `night`:
/// `NIGHT#2025-04-` (the sort key up to the day).
pub(super) fn month_prefix(night: Date) -> String {
    let key = night_sk(night);
    // `YYYY-MM-DD` ends the key: drop the day, keep the dash.
    key[..key.len() - 2].to_owned()
}

/// A domain date as the spec's: both are validated calendar dates.
fn spec_date(date: Date) -> spec::Date {
    date.to_string()
        .parse()
        .unwrap_or_else(|e| unreachable!("a domain date is a calendar date: {e}"))
}

/// The booking as the spec's `HotelBooking` entity: its fields and nothing
/// else, with the decimal `price` exact. This is the item's body, the
/// step's result and the `HotelReserved` event's payload.
pub fn booking_entity(booking: &HotelBooking) -> spec::HotelBooking {
    spec::HotelBooking {
        trip_id: booking.trip_id.to_string(),
        hotel_id: booking.hotel_id.to_string(),
        hotel_code: booking.hotel_code.to_string(),
        check_in: spec_date(booking.check_in),
        check_out: spec_date(booking.check_out),
        rooms: i64::from(booking.rooms),
        price: booking
            .price
            .to_string()
            .parse()
            .unwrap_or_else(|e| unreachable!("a price is a decimal: {e}")),
        status: booking.status.to_string(),
    }
}

/// The stored booking item: the entity's attributes and its index keys
/// (the table keys are added by the store).
pub fn booking_item(booking: &HotelBooking) -> Item {
    booking_entity(booking)
        .to_item()
        .unwrap_or_else(|e| unreachable!("the spec entity is an item: {e}"))
}

/// The stored room inventory item of a night (without the table keys).
pub fn night_item(night: &RoomInventory) -> Item {
    let mut item = Map::new();
    item.insert(
        "hotel_code".into(),
        Value::String(night.hotel_code().to_string()),
    );
    item.insert("night".into(), Value::String(night.night().to_string()));
    item.insert("rate".into(), Value::String(night.rate().to_string()));
    item.insert("capacity".into(), Value::from(night.capacity()));
    item.insert("holds".into(), holds_value(night.holds()));
    item.insert("version".into(), Value::from(night.version()));
    item
}

/// The holds as a map attribute, trip id to rooms.
pub(super) fn holds_value(holds: &BTreeMap<TripId, u32>) -> Value {
    Value::Object(
        holds
            .iter()
            .map(|(trip, rooms)| (trip.to_string(), Value::from(*rooms)))
            .collect(),
    )
}

/// Reads the attributes of one stored item, reporting what is wrong with it
/// as [`RepositoryError::Corrupt`] naming the item.
struct Reader<'a> {
    key: &'a Key,
    item: &'a Item,
}

impl<'a> Reader<'a> {
    fn new(key: &'a Key, item: &'a Item) -> Self {
        Reader { key, item }
    }

    fn corrupt(&self, problem: impl std::fmt::Display) -> RepositoryError {
        RepositoryError::Corrupt {
            detail: format!("item {}: {problem}", self.key),
        }
    }

    fn text(&self, name: &str) -> Result<&'a str, RepositoryError> {
        self.item
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| self.corrupt(format_args!("no string attribute `{name}`")))
    }

    fn number(&self, name: &str) -> Result<u64, RepositoryError> {
        self.item
            .get(name)
            .and_then(Value::as_u64)
            .ok_or_else(|| self.corrupt(format_args!("no non-negative integer attribute `{name}`")))
    }

    fn small(&self, name: &str) -> Result<u32, RepositoryError> {
        let n = self.number(name)?;
        u32::try_from(n).map_err(|_| self.corrupt(format_args!("`{name}` = {n} is too large")))
    }

    fn parsed<T, E: std::fmt::Display>(
        &self,
        name: &str,
        parse: impl FnOnce(&'a str) -> Result<T, E>,
    ) -> Result<T, RepositoryError> {
        let text = self.text(name)?;
        parse(text).map_err(|e| self.corrupt(format_args!("`{name}`: {e}")))
    }

    fn holds(&self, name: &str) -> Result<BTreeMap<TripId, u32>, RepositoryError> {
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

/// A booking read back from its item.
pub(super) fn booking_from_item(key: &Key, item: &Item) -> Result<HotelBooking, RepositoryError> {
    let r = Reader::new(key, item);
    Ok(HotelBooking {
        trip_id: r.parsed("trip_id", TripId::new)?,
        hotel_id: r.parsed("hotel_id", HotelId::new)?,
        hotel_code: r.parsed("hotel_code", HotelCode::new)?,
        check_in: r.parsed("check_in", str::parse::<Date>)?,
        check_out: r.parsed("check_out", str::parse::<Date>)?,
        rooms: r.small("rooms")?,
        price: r.parsed("price", str::parse::<Price>)?,
        status: r.parsed("status", str::parse::<BookingStatus>)?,
    })
}

/// A night's room inventory read back from its item.
pub(super) fn night_from_item(key: &Key, item: &Item) -> Result<RoomInventory, RepositoryError> {
    let r = Reader::new(key, item);
    Ok(RoomInventory::restore(
        r.parsed("hotel_code", HotelCode::new)?,
        r.parsed("night", str::parse::<Date>)?,
        r.small("capacity")?,
        r.parsed("rate", str::parse::<Price>)?,
        r.holds("holds")?,
        r.number("version")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagac_runtime::serde_json::json;

    fn booking() -> HotelBooking {
        let trip_id = TripId::new("trip-0001").unwrap();
        HotelBooking {
            hotel_id: HotelId::for_trip(&trip_id),
            trip_id,
            hotel_code: HotelCode::new("PAR-LOUVRE").unwrap(),
            check_in: "2025-04-01".parse().unwrap(),
            check_out: "2025-04-03".parse().unwrap(),
            rooms: 1,
            price: "480.00".parse().unwrap(),
            status: BookingStatus::Reserved,
        }
    }

    #[test]
    fn a_booking_is_the_spec_entity_under_the_spec_keys() {
        let b = booking();
        let key = booking_key(&b.trip_id);
        assert_eq!(key, Key::new("TRIP#trip-0001", "HOTEL#HB-trip-0001"));
        let item = booking_item(&b);
        assert_eq!(
            Value::Object(item.clone()),
            json!({
                "trip_id": "trip-0001", "hotel_id": "HB-trip-0001", "hotel_code": "PAR-LOUVRE",
                "check_in": "2025-04-01", "check_out": "2025-04-03", "rooms": 1,
                "price": "480.00", "status": "RESERVED",
                "GSI1PK": "HOTEL#PAR-LOUVRE", "GSI1SK": "CHECKIN#2025-04-01"
            })
        );
        assert_eq!(booking_from_item(&key, &item).unwrap(), b);
    }

    #[test]
    fn a_night_round_trips() {
        let mut night = RoomInventory::new(
            HotelCode::new("PAR-LOUVRE").unwrap(),
            "2025-04-01".parse().unwrap(),
            4,
            "240.00".parse().unwrap(),
        );
        night.hold(&TripId::new("trip-0001").unwrap(), 3).unwrap();
        let key = night_key(night.hotel_code(), night.night());
        assert_eq!(key, Key::new("HOTEL#PAR-LOUVRE", "NIGHT#2025-04-01"));
        assert_eq!(month_prefix(night.night()), "NIGHT#2025-04-");
        let item = night_item(&night);
        assert_eq!(item["holds"], json!({"trip-0001": 3}));
        assert_eq!(night_from_item(&key, &item).unwrap(), night);
    }

    #[test]
    fn a_damaged_item_is_corrupt_and_says_where() {
        let key = booking_key(&TripId::new("trip-0001").unwrap());
        let mut item = booking_item(&booking());
        item.remove("rooms");
        let error = booking_from_item(&key, &item).unwrap_err();
        assert_eq!(error.name(), "CorruptRecord");
        assert!(error.to_string().contains("`rooms`"), "{error}");
    }
}
