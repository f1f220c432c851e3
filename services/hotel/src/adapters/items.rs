//! The hotel service's items: domain values to and from the JSON items of
//! the single table.

use std::collections::BTreeMap;

use sagac_runtime::Entity as _;
use sagac_runtime::attribute;
use sagac_runtime::serde::{Deserialize, Serialize};
use sagac_runtime::serde_json::Value;
use sagac_runtime::store::{Item, Key};
use travel_adapter::{attributes, field};

use crate::domain::{
    BookingStatus, Date, HotelBooking, HotelCode, HotelId, Price, RoomInventory, TripId,
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

/// A night's room inventory as stored: the service's own item (the table
/// keys are added by the store).
#[derive(Serialize, Deserialize)]
#[serde(crate = "sagac_runtime::serde")]
struct NightItem {
    hotel_code: String,
    night: String,
    rate: String,
    capacity: u32,
    /// The rooms each trip holds, by trip id.
    #[serde(default)]
    holds: BTreeMap<String, u32>,
    version: u64,
}

/// The stored room inventory item of a night (without the table keys).
pub fn night_item(night: &RoomInventory) -> Item {
    let stored = NightItem {
        hotel_code: night.hotel_code().to_string(),
        night: night.night().to_string(),
        rate: night.rate().to_string(),
        capacity: night.capacity(),
        holds: night
            .holds()
            .iter()
            .map(|(trip, rooms)| (trip.to_string(), *rooms))
            .collect(),
        version: night.version(),
    };
    attribute::to_item(&stored).unwrap_or_else(|e| unreachable!("a night is an item: {e}"))
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

/// A booking read back from its item, the spec's entity, or what is wrong
/// with it.
pub(super) fn booking_from_item(item: Item) -> Result<HotelBooking, String> {
    let entity = attributes(spec::HotelBooking::from_item(item))?;
    Ok(HotelBooking {
        trip_id: field("trip_id", TripId::new(entity.trip_id))?,
        hotel_id: field("hotel_id", HotelId::new(entity.hotel_id))?,
        hotel_code: field("hotel_code", HotelCode::new(entity.hotel_code))?,
        check_in: field("check_in", entity.check_in.to_string().parse::<Date>())?,
        check_out: field("check_out", entity.check_out.to_string().parse::<Date>())?,
        rooms: field("rooms", u32::try_from(entity.rooms))?,
        price: field("price", entity.price.to_string().parse::<Price>())?,
        status: field("status", entity.status.parse::<BookingStatus>())?,
    })
}

/// A night's room inventory read back from its item, or what is wrong
/// with it.
pub(super) fn night_from_item(item: Item) -> Result<RoomInventory, String> {
    let stored: NightItem = attributes(attribute::from_item(item))?;
    let holds = stored
        .holds
        .into_iter()
        .map(|(trip, rooms)| Ok((field("holds", TripId::new(trip))?, rooms)))
        .collect::<Result<_, String>>()?;
    Ok(RoomInventory::restore(
        field("hotel_code", HotelCode::new(stored.hotel_code))?,
        field("night", stored.night.parse::<Date>())?,
        stored.capacity,
        field("rate", stored.rate.parse::<Price>())?,
        holds,
        stored.version,
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
        assert_eq!(booking_from_item(item).unwrap(), b);
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
        assert_eq!(night_from_item(item).unwrap(), night);
    }

    #[test]
    fn a_damaged_item_is_corrupt_and_says_where() {
        let key = booking_key(&TripId::new("trip-0001").unwrap());
        let mut item = booking_item(&booking());
        item.remove("rooms");
        let error = travel_adapter::corrupt(&key, booking_from_item(item).unwrap_err());
        assert_eq!(error.name(), "CorruptRecord");
        assert!(error.to_string().contains("`rooms`"), "{error}");
    }
}
