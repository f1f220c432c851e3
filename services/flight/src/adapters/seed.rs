//! Loading seat inventories, the way an operator publishes a schedule: for
//! tests and local runs.

use sagac_runtime::store::{Store, StoreError, WriteOp};

use super::items::{inventory_item, inventory_key};
use crate::domain::{AirportCode, Date, FlightInventory, FlightNumber, Price, Route};

/// Stores `inventory` as it is, in place of any inventory of the same
/// flight and date.
pub async fn put_inventory(
    store: &dyn Store,
    inventory: &FlightInventory,
) -> Result<(), StoreError> {
    store
        .write(WriteOp::put(
            inventory_key(inventory.flight_number(), inventory.depart_on()),
            inventory_item(inventory),
        ))
        .await
}

/// Stores every inventory of `inventories`.
pub async fn seed_inventories(
    store: &dyn Store,
    inventories: &[FlightInventory],
) -> Result<(), StoreError> {
    for inventory in inventories {
        put_inventory(store, inventory).await?;
    }
    Ok(())
}

/// A small schedule for local runs and tests: `NH203` from `HND` to `CDG`
/// (9 seats at 1200.50) and `JL41` from `HND` to `LHR` (a single seat at
/// 980.00), every day from 2025-04-01 to 2025-04-30.
pub fn demo_inventories() -> Vec<FlightInventory> {
    let route = |from: &str, to: &str| {
        Route::new(
            AirportCode::new(from).unwrap_or_else(|e| unreachable!("{e}")),
            AirportCode::new(to).unwrap_or_else(|e| unreachable!("{e}")),
        )
        .unwrap_or_else(|e| unreachable!("{e}"))
    };
    let flights = [
        ("NH203", route("HND", "CDG"), 9, "1200.50"),
        ("JL41", route("HND", "LHR"), 1, "980.00"),
    ];
    let mut inventories = Vec::new();
    for (number, route, capacity, fare) in flights {
        let number = FlightNumber::new(number).unwrap_or_else(|e| unreachable!("{e}"));
        let fare: Price = fare.parse().unwrap_or_else(|e| unreachable!("{e}"));
        for day in 1..=30 {
            let date = Date::from_ymd(2025, 4, day).unwrap_or_else(|| unreachable!());
            inventories.push(FlightInventory::new(
                number.clone(),
                date,
                route.clone(),
                capacity,
                fare,
            ));
        }
    }
    inventories
}
