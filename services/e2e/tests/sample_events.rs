//! The sample invocation payloads `sagac build` writes next to the state
//! machine (`generated/trip-booking/events/<service>/<action>.json`, the
//! payloads of `sfn-mock-config.json`), fed to the services: each decodes,
//! and the saga they describe books and then undoes everything.
//!
//! Runs over the runtime's memory store, seeded with the services' demo
//! catalogues: the samples come from the spec's examples, which book from
//! them (NH203 from HND to CDG on 2025-04-01, PAR-LOUVRE every night of the
//! stay).

use std::path::PathBuf;
use std::sync::Arc;

use sagac_runtime::store::{MemoryStore, Store, StoreConfig};
use serde_json::{Value, json};
use trip_e2e::lambdas::InProcess;
use trip_e2e::machine::{Lambdas, Service};
use trip_testkit::quiet;

fn sample(service: &str, action: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../generated/trip-booking/events")
        .join(service)
        .join(format!("{action}.json"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn the_generated_sample_events_book_and_undo_a_trip() {
    quiet();
    let memory = Arc::new(
        MemoryStore::new(StoreConfig::new("TripSagaTable")).with_index(
            "GSI1",
            "GSI1PK",
            Some("GSI1SK"),
        ),
    );
    let store: Arc<dyn Store> = memory.clone();
    let first = sample("flight", "reserve_flight");
    trip_e2e::seed_demo(store.as_ref()).await.unwrap();
    let lambdas = InProcess::new(store);

    let steps = [
        (Service::Flight, "reserve_flight", "RESERVED"),
        (Service::Hotel, "reserve_hotel", "RESERVED"),
        (Service::Payment, "process_payment", "CHARGED"),
        (Service::Payment, "refund_payment", "REFUNDED"),
        (Service::Hotel, "cancel_hotel", "CANCELLED"),
        (Service::Flight, "cancel_flight", "CANCELLED"),
    ];
    for (service, action, status) in steps {
        let payload = sample(service.name(), action);
        let output = lambdas
            .invoke(service.name(), payload)
            .await
            .unwrap_or_else(|e| panic!("{action}: {e:?}"));
        assert_eq!(output["status"], json!(status), "{action}: {output}");
        assert_eq!(output["trip_id"], first["input"]["trip_id"], "{action}");
    }
    // Everything booked was undone: no hold is left anywhere.
    for item in memory.items() {
        if let Some(holds) = item.get("holds") {
            assert_eq!(holds, &json!({}), "{item:?}");
        }
    }
}
