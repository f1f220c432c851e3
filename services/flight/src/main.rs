//! The flight service's Lambda: the generated entry point over the DynamoDB
//! repository. The store (and its SDK client) is built once, at init, from
//! `TABLE_NAME` and the standard AWS configuration (`AWS_ENDPOINT_URL*`).

use flight::adapters::DynamoFlightRepository;
use flight::handlers::{Flight, serve_flight};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve_flight(|store| Flight::new(DynamoFlightRepository::new(store)))
}
