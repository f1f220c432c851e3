//! Loading room inventories, the way a hotel opens nights for sale: for
//! tests and local runs.

use sagac_runtime::store::{Store, StoreError, WriteOp};

use super::items::{night_item, night_key};
use crate::domain::{Date, HotelCode, Price, RoomInventory};

/// Stores a night's inventory as it is, in place of any inventory of the
/// same hotel and night.
pub async fn put_night(store: &dyn Store, night: &RoomInventory) -> Result<(), StoreError> {
    store
        .write(WriteOp::put(
            night_key(night.hotel_code(), night.night()),
            night_item(night),
        ))
        .await
}

/// Stores every night of `nights`.
pub async fn seed_nights(store: &dyn Store, nights: &[RoomInventory]) -> Result<(), StoreError> {
    for night in nights {
        put_night(store, night).await?;
    }
    Ok(())
}

/// A small catalogue for local runs and tests: `PAR-LOUVRE` (5 rooms a
/// night at 240.00) and `LON-SOHO` (no room left: capacity 0, at 180.00),
/// every night from 2025-04-01 to 2025-04-30.
pub fn demo_inventories() -> Vec<RoomInventory> {
    let hotels = [("PAR-LOUVRE", 5, "240.00"), ("LON-SOHO", 0, "180.00")];
    let mut nights = Vec::new();
    for (code, capacity, rate) in hotels {
        let code = HotelCode::new(code).unwrap_or_else(|e| unreachable!("{e}"));
        let rate: Price = rate.parse().unwrap_or_else(|e| unreachable!("{e}"));
        for day in 1..=30 {
            let night = Date::from_ymd(2025, 4, day).unwrap_or_else(|| unreachable!());
            nights.push(RoomInventory::new(code.clone(), night, capacity, rate));
        }
    }
    nights
}
