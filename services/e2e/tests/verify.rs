//! `sagac verify`'s paths with the real services in process on the
//! embedded store (`sagac_local::verify::verify_with`): every invariant
//! holds, and on every path that did not confirm the trip no seat or room
//! is left held and no reservation is left RESERVED, except where a
//! compensation failed for good (the alert says what is left).

use std::sync::Arc;

use flight::adapters::DynamoFlightRepository;
use flight::handlers::{Flight, FlightHandler};
use hotel::adapters::DynamoHotelRepository;
use hotel::handlers::{Hotel, HotelHandler};
use payment::adapters::DynamoPaymentRepository;
use payment::handlers::{Payment, PaymentHandler};
use sagac_executor::TaskTarget;
use sagac_executor::target::Lambda;
use sagac_local::Services;
use sagac_local::spec::LocalSaga;
use sagac_local::verify::{table, verify_with};
use sagac_runtime::store::{MemoryStore, Store};
use serde_json::Value;

#[test]
fn every_path_holds_with_the_real_services() {
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
    let text = include_str!("../../../spec/trip.saga.yaml");
    let saga = sagac_core::compile(&sagac_core::source::SourceFile::new(
        "spec/trip.saga.yaml",
        text.to_owned(),
    ))
    .unwrap();
    let local = LocalSaga::new(&saga).unwrap();
    let services = |store: Arc<MemoryStore>| -> Box<dyn TaskTarget> {
        let store: Arc<dyn Store> = store;
        sagac_executor::block_on(trip_e2e::seed_demo(store.as_ref())).unwrap();
        let flight =
            FlightHandler::new(Flight::new(DynamoFlightRepository::new(Arc::clone(&store))));
        let hotel = HotelHandler::new(Hotel::new(DynamoHotelRepository::new(Arc::clone(&store))));
        let payment = PaymentHandler::new(Payment::new(DynamoPaymentRepository::new(Arc::clone(
            &store,
        ))));
        Box::new(Lambda(
            Services::new(store)
                .with(flight.config(), flight)
                .with(hotel.config(), hotel)
                .with(payment.config(), payment),
        ))
    };
    let outcomes = sagac_executor::block_on(verify_with(&local, services));
    assert!(outcomes.len() > 20);
    assert!(outcomes.iter().all(|o| o.ok()), "{}", table(&outcomes));
    let trip = local.sample_input()["request"]["trip_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The check below looks where holds are kept: the confirmed trip holds
    // its seats and rooms there.
    let happy = &outcomes[0];
    assert!(
        happy.items.iter().any(|i| i
            .get("holds")
            .and_then(Value::as_object)
            .is_some_and(|h| h.contains_key(&trip))),
        "the happy path holds nothing for {trip}"
    );
    for o in &outcomes {
        if o.path.status == "CONFIRMED" || o.path.status == "COMPENSATION_FAILED" {
            continue;
        }
        for item in &o.items {
            let sk = item.get("SK").and_then(Value::as_str).unwrap_or_default();
            if sk.starts_with("FLIGHT#") || sk.starts_with("HOTEL#") {
                assert_ne!(
                    item["status"], "RESERVED",
                    "{}: {sk} is still reserved",
                    o.path.name
                );
            }
            if let Some(holds) = item.get("holds").and_then(Value::as_object) {
                assert!(
                    !holds.contains_key(&trip),
                    "{}: {sk} still holds {trip}: {holds:?}",
                    o.path.name
                );
            }
        }
    }
}
