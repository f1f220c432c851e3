//! [`DynamoHotelRepository`]: the hotel repository over a sagac store.

use std::collections::BTreeSet;
use std::sync::Arc;

use sagac_runtime::store::{Change, Condition, Key, Query, Store, Update, WriteOp};
use travel_adapter::{Table, corrupt};

use super::items::{
    booking_entity, booking_from_item, booking_item, booking_key, holds_value, hotel_pk,
    month_prefix, night_from_item, night_key, trip_pk,
};
use crate::domain::{
    Date, HotelBooking, HotelCode, HotelCommit, HotelEvent, HotelRepository, RepositoryError,
    RoomInventory, TripId,
};
use crate::handlers::trip_booking as spec;

/// Label of the booking's status condition.
const BOOKING_LABEL: &str = "booking";
/// Label of the nights' version conditions.
const NIGHT_LABEL: &str = "night";

/// The [`HotelRepository`] of the saga's single table, over any
/// `sagac_runtime::Store`: `DynamoStore` in the Lambda, `MemoryStore` in
/// local runs and tests.
#[derive(Clone, Debug)]
pub struct DynamoHotelRepository {
    table: Table,
}

impl DynamoHotelRepository {
    /// A repository over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        DynamoHotelRepository {
            table: Table::new(store),
        }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        self.table.store()
    }
}

/// The change with its event, as the spec's event type: the compiler
/// holds its fields to the spec's.
fn with_event(change: Change, event: &HotelEvent) -> Change {
    match event {
        HotelEvent::HotelReserved { booking } => {
            change.event(&spec::HotelReserved::from(&booking_entity(booking)))
        }
        HotelEvent::HotelCancelled {
            trip_id,
            hotel_id,
            status,
        } => change.event(&spec::HotelCancelled {
            trip_id: trip_id.to_string(),
            hotel_id: hotel_id.to_string(),
            status: status.to_string(),
        }),
    }
}

/// The commit as one change of the trip's partition: booking, nights,
/// event, and the booking as the step's result.
fn change(commit: &HotelCommit) -> Change {
    let booking = &commit.booking;
    let trip_id = &booking.trip_id;
    let booking_write = WriteOp::put(booking_key(trip_id), booking_item(booking))
        .when(match commit.expected_status {
            None => Condition::ItemNotExists,
            Some(status) => Condition::eq("status", status.as_str()),
        })
        .label(BOOKING_LABEL);
    let mut change = Change::new(
        trip_pk(trip_id),
        trip_id.as_str(),
        commit.idempotency_key.as_str(),
    )
    .with(booking_write);
    for update in &commit.nights {
        let night = &update.inventory;
        change = change.with(
            WriteOp::update(
                night_key(night.hotel_code(), night.night()),
                Update::new()
                    .set("holds", holds_value(night.holds()))
                    .set("version", night.version()),
            )
            .when(Condition::eq("version", update.expected_version))
            .label(NIGHT_LABEL),
        );
    }
    with_event(change, &commit.event).result(&booking_entity(booking))
}

impl HotelRepository for DynamoHotelRepository {
    async fn load_booking(
        &self,
        trip_id: &TripId,
    ) -> Result<Option<HotelBooking>, RepositoryError> {
        self.table
            .load(&booking_key(trip_id), booking_from_item)
            .await
    }

    /// One query per calendar month the stay touches (a stay of at most 30
    /// nights touches at most three), keeping the nights of the stay.
    async fn load_nights(
        &self,
        hotel_code: &HotelCode,
        check_in: Date,
        check_out: Date,
    ) -> Result<Vec<RoomInventory>, RepositoryError> {
        let nights: BTreeSet<Date> =
            std::iter::successors(Some(check_in), |night| night.next_day())
                .take_while(|night| *night < check_out)
                .collect();
        let months: BTreeSet<String> = nights.iter().map(|night| month_prefix(*night)).collect();
        let pk = hotel_pk(hotel_code);
        let mut found = Vec::with_capacity(nights.len());
        for month in months {
            let query = Query::partition(pk.clone()).sk_begins_with(month);
            for item in self.table.query(&query).await? {
                let key = self
                    .table
                    .key_of(&item)
                    .unwrap_or_else(|| Key::new(pk.clone(), "NIGHT#?"));
                let night = night_from_item(item).map_err(|problem| corrupt(&key, problem))?;
                if nights.contains(&night.night()) {
                    found.push(night);
                }
            }
        }
        Ok(found)
    }

    async fn commit(&self, commit: HotelCommit) -> Result<(), RepositoryError> {
        self.table.commit(change(&commit)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::seed_nights;
    use crate::application::{
        CancelHotel, HotelCancellation, ReserveHotel, cancel_hotel, reserve_hotel,
    };
    use sagac_runtime::serde_json::json;
    use sagac_runtime::store::{MemoryStore, StoreConfig};

    /// The outbox sort key prefix of the spec under test.
    fn outbox_prefix() -> String {
        crate::handlers::table_layout().outbox_prefix().to_owned()
    }

    fn louvre() -> HotelCode {
        HotelCode::new("PAR-LOUVRE").unwrap()
    }

    /// PAR-LOUVRE from 2025-04-28 to 2025-05-02 (across a month end), with
    /// `rooms` rooms a night at 240.00, except that the night of 2025-04-30
    /// has `rooms_on_30` rooms.
    async fn repository(rooms: u32, rooms_on_30: u32) -> (DynamoHotelRepository, Arc<MemoryStore>) {
        let memory = Arc::new(MemoryStore::new(StoreConfig::new("TripSagaTable")));
        let store: Arc<dyn Store> = memory.clone();
        let nights: Vec<RoomInventory> = ["2025-04-28", "2025-04-29", "2025-04-30", "2025-05-01"]
            .into_iter()
            .map(|night| {
                let capacity = if night == "2025-04-30" {
                    rooms_on_30
                } else {
                    rooms
                };
                RoomInventory::new(
                    louvre(),
                    night.parse().unwrap(),
                    capacity,
                    "240.00".parse().unwrap(),
                )
            })
            .collect();
        seed_nights(store.as_ref(), &nights).await.unwrap();
        (DynamoHotelRepository::new(store), memory)
    }

    fn reserve(trip_id: &str, rooms: i64) -> ReserveHotel {
        ReserveHotel {
            trip_id: trip_id.into(),
            hotel_code: "PAR-LOUVRE".into(),
            check_in: "2025-04-28".into(),
            check_out: "2025-05-02".into(),
            rooms,
            idempotency_key: format!("{trip_id}#ReserveHotel"),
        }
    }

    #[tokio::test]
    async fn the_nights_of_a_stay_across_months_are_found() {
        let (repo, _) = repository(2, 2).await;
        let nights = repo
            .load_nights(
                &louvre(),
                "2025-04-29".parse().unwrap(),
                "2025-05-01".parse().unwrap(),
            )
            .await
            .unwrap();
        let mut dates: Vec<String> = nights.iter().map(|n| n.night().to_string()).collect();
        dates.sort();
        assert_eq!(dates, ["2025-04-29", "2025-04-30"]);
    }

    #[tokio::test]
    async fn a_booking_commits_booking_every_night_event_and_result_at_once() {
        let (repo, memory) = repository(2, 2).await;
        let before = memory.changes().len();
        let booking = reserve_hotel(&repo, reserve("trip-0001", 2)).await.unwrap();
        assert_eq!(booking.price.to_string(), "1920.00");
        let changes = &memory.changes()[before..];
        // Booking, four nights, outbox, idempotency record.
        assert_eq!(changes.len(), 7, "{changes:#?}");
        assert_eq!(changes[0].key.sk, "HOTEL#HB-trip-0001");
        assert!(changes[1..5].iter().all(|c| c.key.sk.starts_with("NIGHT#")));
        assert!(changes[5].key.sk.starts_with(&outbox_prefix()));
        assert_eq!(changes[6].key.sk, "IDEMPOTENCY#trip-0001#ReserveHotel");
        let record = changes[6].new_image.as_ref().unwrap();
        let result: sagac_runtime::serde_json::Value =
            sagac_runtime::serde_json::from_str(record["result"].as_str().unwrap()).unwrap();
        assert_eq!(
            result,
            sagac_runtime::serde_json::to_value(booking_entity(&booking)).unwrap()
        );
        for c in &changes[1..5] {
            let night = c.new_image.as_ref().unwrap();
            assert_eq!(night["holds"], json!({"trip-0001": 2}));
            assert_eq!(night["version"], json!(1));
        }
    }

    #[tokio::test]
    async fn one_full_night_holds_no_night_and_writes_nothing() {
        let (repo, memory) = repository(2, 1).await;
        let before = memory.items();
        let error = reserve_hotel(&repo, reserve("trip-0001", 2))
            .await
            .unwrap_err();
        assert_eq!(error.name(), "NoRoomsAvailable");
        assert!(error.to_string().contains("2025-04-30"), "{error}");
        assert_eq!(memory.items(), before);
    }

    #[tokio::test]
    async fn cancelling_releases_every_night_once() {
        let (repo, memory) = repository(2, 2).await;
        reserve_hotel(&repo, reserve("trip-0001", 1)).await.unwrap();
        let cancel = CancelHotel {
            trip_id: "trip-0001".into(),
            idempotency_key: "trip-0001#CancelHotel".into(),
        };
        let first = cancel_hotel(&repo, cancel.clone()).await.unwrap();
        assert!(matches!(first, HotelCancellation::Cancelled(_)));
        let items = memory.items();
        let again = cancel_hotel(&repo, cancel).await.unwrap();
        assert!(matches!(again, HotelCancellation::AlreadyCancelled(_)));
        assert_eq!(memory.items(), items);
        let nights = repo
            .load_nights(
                &louvre(),
                "2025-04-28".parse().unwrap(),
                "2025-05-02".parse().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(nights.len(), 4);
        assert!(
            nights
                .iter()
                .all(|n| n.holds().is_empty() && n.version() == 2)
        );
        let outbox = memory
            .query(&Query::partition("TRIP#trip-0001").sk_begins_with(outbox_prefix()))
            .await
            .unwrap();
        assert_eq!(outbox.len(), 2);
    }

    #[tokio::test]
    async fn nothing_to_undo_writes_nothing() {
        let (repo, memory) = repository(2, 2).await;
        let items = memory.items();
        let outcome = cancel_hotel(
            &repo,
            CancelHotel {
                trip_id: "trip-0404".into(),
                idempotency_key: "trip-0404#CancelHotel".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(outcome, HotelCancellation::NothingToUndo);
        assert_eq!(memory.items(), items);
    }
}
