//! [`DynamoFlightRepository`]: the flight repository over a sagac store.

use std::sync::Arc;

use sagac_runtime::store::{Change, Condition, Store, Update, WriteOp};
use travel_adapter::Table;

use super::items::{
    holds_value, inventory_from_item, inventory_key, reservation_entity, reservation_from_item,
    reservation_item, reservation_key, trip_pk,
};
use crate::domain::{
    Date, FlightCommit, FlightEvent, FlightInventory, FlightNumber, FlightRepository,
    FlightReservation, RepositoryError, TripId,
};
use crate::handlers::trip_booking as spec;

/// Label of the reservation's status condition.
const RESERVATION_LABEL: &str = "reservation";
/// Label of the inventory's version condition.
const INVENTORY_LABEL: &str = "inventory";

/// The [`FlightRepository`] of the saga's single table, over any
/// `sagac_runtime::Store`: `DynamoStore` in the Lambda, `MemoryStore` in
/// local runs and tests.
#[derive(Clone, Debug)]
pub struct DynamoFlightRepository {
    table: Table,
}

impl DynamoFlightRepository {
    /// A repository over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        DynamoFlightRepository {
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
fn with_event(change: Change, event: &FlightEvent) -> Change {
    match event {
        FlightEvent::FlightReserved { reservation } => change.event(&spec::FlightReserved::from(
            &reservation_entity(reservation),
        )),
        FlightEvent::FlightCancelled {
            trip_id,
            flight_id,
            status,
        } => change.event(&spec::FlightCancelled {
            trip_id: trip_id.to_string(),
            flight_id: flight_id.to_string(),
            status: status.to_string(),
        }),
    }
}

/// The commit as one change of the trip's partition: reservation,
/// inventory, event, and the reservation as the step's result.
fn change(commit: &FlightCommit) -> Change {
    let reservation = &commit.reservation;
    let trip_id = &reservation.trip_id;
    let reservation_write = WriteOp::put(reservation_key(trip_id), reservation_item(reservation))
        .when(match commit.expected_status {
            None => Condition::ItemNotExists,
            Some(status) => Condition::eq("status", status.as_str()),
        })
        .label(RESERVATION_LABEL);
    let mut change = Change::new(
        trip_pk(trip_id),
        trip_id.as_str(),
        commit.idempotency_key.as_str(),
    )
    .with(reservation_write);
    if let Some(update) = &commit.inventory {
        let inventory = &update.inventory;
        change = change.with(
            WriteOp::update(
                inventory_key(inventory.flight_number(), inventory.depart_on()),
                Update::new()
                    .set("holds", holds_value(inventory.holds()))
                    .set("version", inventory.version()),
            )
            .when(Condition::eq("version", update.expected_version))
            .label(INVENTORY_LABEL),
        );
    }
    with_event(change, &commit.event).result(&reservation_entity(reservation))
}

impl FlightRepository for DynamoFlightRepository {
    async fn load_reservation(
        &self,
        trip_id: &TripId,
    ) -> Result<Option<FlightReservation>, RepositoryError> {
        self.table
            .load(&reservation_key(trip_id), reservation_from_item)
            .await
    }

    async fn load_inventory(
        &self,
        flight_number: &FlightNumber,
        depart_on: Date,
    ) -> Result<Option<FlightInventory>, RepositoryError> {
        self.table
            .load(
                &inventory_key(flight_number, depart_on),
                inventory_from_item,
            )
            .await
    }

    async fn commit(&self, commit: FlightCommit) -> Result<(), RepositoryError> {
        self.table.commit(change(&commit)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::{inventory_item, put_inventory};
    use crate::application::{CancelFlight, ReserveFlight, cancel_flight, reserve_flight};
    use crate::domain::{AirportCode, Route};
    use sagac_runtime::serde_json::json;
    use sagac_runtime::store::{MemoryStore, Query, StoreConfig};

    /// The outbox sort key prefix of the spec under test.
    fn outbox_prefix() -> String {
        crate::handlers::table_layout().outbox_prefix().to_owned()
    }

    fn inventory(capacity: u32) -> FlightInventory {
        FlightInventory::new(
            FlightNumber::new("NH203").unwrap(),
            "2025-04-01".parse().unwrap(),
            Route::new(
                AirportCode::new("HND").unwrap(),
                AirportCode::new("CDG").unwrap(),
            )
            .unwrap(),
            capacity,
            "1200.50".parse().unwrap(),
        )
    }

    async fn repository(capacity: u32) -> (DynamoFlightRepository, Arc<MemoryStore>) {
        let memory = Arc::new(MemoryStore::new(StoreConfig::new("TripSagaTable")));
        let store: Arc<dyn Store> = memory.clone();
        put_inventory(store.as_ref(), &inventory(capacity))
            .await
            .unwrap();
        (DynamoFlightRepository::new(store), memory)
    }

    fn reserve(trip_id: &str, seats: i64) -> ReserveFlight {
        ReserveFlight {
            trip_id: trip_id.into(),
            origin: "HND".into(),
            destination: "CDG".into(),
            flight_number: "NH203".into(),
            depart_on: "2025-04-01".into(),
            return_on: "2025-04-10".into(),
            seats,
            idempotency_key: format!("{trip_id}#ReserveFlight"),
        }
    }

    #[tokio::test]
    async fn a_reservation_commits_entity_inventory_event_and_result_at_once() {
        let (repo, memory) = repository(3).await;
        let before = memory.changes().len();
        let reservation = reserve_flight(&repo, reserve("trip-0001", 2))
            .await
            .unwrap();
        // One transaction: reservation, inventory, outbox, idempotency record.
        let changes = &memory.changes()[before..];
        assert_eq!(changes.len(), 4, "{changes:#?}");
        let sks: Vec<&str> = changes.iter().map(|c| c.key.sk.as_str()).collect();
        assert_eq!(sks[0], "FLIGHT#FR-trip-0001");
        assert_eq!(sks[1], "INVENTORY");
        assert!(sks[2].starts_with(&outbox_prefix()));
        assert_eq!(sks[3], "IDEMPOTENCY#trip-0001#ReserveFlight");
        let outbox = changes[2].new_image.as_ref().unwrap();
        assert_eq!(outbox["event_type"], json!("FlightReserved"));
        assert_eq!(outbox["payload"]["seats"], json!(2));
        let record = changes[3].new_image.as_ref().unwrap();
        let result: sagac_runtime::serde_json::Value =
            sagac_runtime::serde_json::from_str(record["result"].as_str().unwrap()).unwrap();
        assert_eq!(
            result,
            sagac_runtime::serde_json::to_value(reservation_entity(&reservation)).unwrap()
        );
        let stored = repo
            .load_inventory(&FlightNumber::new("NH203").unwrap(), reservation.depart_on)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.seats_available(), 1);
        assert_eq!(stored.version(), 1);
    }

    #[tokio::test]
    async fn no_seats_writes_nothing() {
        let (repo, memory) = repository(1).await;
        let before = memory.items();
        let error = reserve_flight(&repo, reserve("trip-0001", 2))
            .await
            .unwrap_err();
        assert_eq!(error.name(), "NoSeatsAvailable");
        assert_eq!(memory.items(), before);
    }

    #[tokio::test]
    async fn a_stale_inventory_version_is_a_conflict() {
        let (repo, memory) = repository(3).await;
        let store: Arc<dyn Store> = memory.clone();
        // Another writer moved the inventory on after this commit was decided.
        let mut moved = inventory(3);
        moved.hold(&TripId::new("trip-0009").unwrap(), 1).unwrap();
        let decided = repo
            .load_inventory(moved.flight_number(), moved.depart_on())
            .await
            .unwrap();
        assert_eq!(decided.map(|i| i.version()), Some(0));
        let mut item = inventory_item(&moved);
        item.insert("version".into(), json!(5));
        store
            .write(WriteOp::put(
                inventory_key(moved.flight_number(), moved.depart_on()),
                item,
            ))
            .await
            .unwrap();
        let committed = change_for_stale_version(&repo).await;
        assert!(matches!(committed, Err(RepositoryError::Conflict { .. })));
        assert!(
            memory
                .items()
                .iter()
                .all(|i| i["SK"] != json!("FLIGHT#FR-trip-0001"))
        );
    }

    async fn change_for_stale_version(
        repo: &DynamoFlightRepository,
    ) -> Result<(), RepositoryError> {
        let request = crate::domain::SeatRequest::new(
            TripId::new("trip-0001").unwrap(),
            FlightNumber::new("NH203").unwrap(),
            Route::new(
                AirportCode::new("HND").unwrap(),
                AirportCode::new("CDG").unwrap(),
            )
            .unwrap(),
            "2025-04-01".parse().unwrap(),
            "2025-04-10".parse().unwrap(),
            1,
        )
        .unwrap();
        let decision = crate::domain::decide_reservation(
            &request,
            None,
            Some(inventory(3)),
            crate::domain::IdempotencyKey::new("trip-0001#ReserveFlight").unwrap(),
        )
        .unwrap();
        let crate::domain::ReserveDecision::Reserve(commit) = decision else {
            unreachable!("seats are free")
        };
        repo.commit(*commit).await
    }

    #[tokio::test]
    async fn cancelling_releases_the_seats_and_a_second_cancel_writes_nothing() {
        let (repo, memory) = repository(3).await;
        reserve_flight(&repo, reserve("trip-0001", 2))
            .await
            .unwrap();
        let cancel = CancelFlight {
            trip_id: "trip-0001".into(),
            idempotency_key: "trip-0001#CancelFlight".into(),
        };
        let first = cancel_flight(&repo, cancel.clone()).await.unwrap();
        assert!(matches!(
            first,
            crate::application::FlightCancellation::Cancelled(_)
        ));
        let items = memory.items();
        let again = cancel_flight(&repo, cancel).await.unwrap();
        assert!(matches!(
            again,
            crate::application::FlightCancellation::AlreadyCancelled(_)
        ));
        assert_eq!(memory.items(), items);
        let inventory = repo
            .load_inventory(
                &FlightNumber::new("NH203").unwrap(),
                "2025-04-01".parse().unwrap(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(inventory.seats_available(), 3);
        let outbox = memory
            .query(&Query::partition("TRIP#trip-0001").sk_begins_with(outbox_prefix()))
            .await
            .unwrap();
        let mut types: Vec<&str> = outbox
            .iter()
            .map(|i| i["event_type"].as_str().unwrap())
            .collect();
        types.sort_unstable();
        assert_eq!(types, ["FlightCancelled", "FlightReserved"]);
    }

    #[tokio::test]
    async fn a_replayed_commit_writes_nothing_and_is_a_conflict() {
        let (repo, memory) = repository(3).await;
        let request = reserve("trip-0001", 1);
        reserve_flight(&repo, request).await.unwrap();
        let items = memory.items();
        // The same step decided again on the state it read before its first
        // commit (a duplicated invocation racing the first).
        let result = change_for_stale_version(&repo).await;
        let Err(RepositoryError::Conflict { detail }) = result else {
            panic!("expected a conflict, got {result:?}");
        };
        assert!(detail.contains("applied before"), "{detail}");
        assert_eq!(memory.items(), items);
    }
}
