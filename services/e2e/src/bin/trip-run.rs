//! The reference saga on this machine, with the real flight, hotel and
//! payment services in process on the embedded store: nothing from AWS,
//! nothing mocked but time.
//!
//! ```text
//! cargo run -p trip-e2e --bin trip-run -- run                      # the sample request
//! cargo run -p trip-e2e --bin trip-run -- run --fail ReserveHotel   # ... and inject failures
//! cargo run -p trip-e2e --bin trip-run -- verify                   # every failure path
//! ```
//!
//! The same arguments and output as `sagac run SPEC` and `sagac verify
//! SPEC` (`sagac_local::runner`); each run gets a fresh store loaded with
//! the services' demo catalogues.

use std::process::ExitCode;
use std::sync::Arc;

use flight::adapters::DynamoFlightRepository;
use flight::handlers::{Flight, FlightHandler};
use hotel::adapters::DynamoHotelRepository;
use hotel::handlers::{Hotel, HotelHandler};
use payment::adapters::DynamoPaymentRepository;
use payment::handlers::{Payment, PaymentHandler};
use sagac_local::runner;
use sagac_runtime::store::Store;

fn main() -> ExitCode {
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
    runner::main(
        include_str!("../../../../spec/trip.saga.yaml"),
        "spec/trip.saga.yaml",
        |store, services| {
            let store: Arc<dyn Store> = store;
            if let Err(e) = sagac_executor::block_on(trip_e2e::seed_demo(store.as_ref())) {
                panic!("the demo catalogues do not load: {e}");
            }
            let flight =
                FlightHandler::new(Flight::new(DynamoFlightRepository::new(Arc::clone(&store))));
            let hotel =
                HotelHandler::new(Hotel::new(DynamoHotelRepository::new(Arc::clone(&store))));
            let payment = PaymentHandler::new(Payment::new(DynamoPaymentRepository::new(store)));
            services
                .with(flight.config(), flight)
                .with(hotel.config(), hotel)
                .with(payment.config(), payment)
        },
    )
}
