//! The hotel service's Lambda: the generated entry point over the DynamoDB
//! repository. The store (and its SDK client) is built once, at init, from
//! `TABLE_NAME` and the standard AWS configuration (`AWS_ENDPOINT_URL*`).

use hotel::adapters::DynamoHotelRepository;
use hotel::handlers::{Hotel, serve_hotel};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve_hotel(|store| Hotel::new(DynamoHotelRepository::new(store)))
}
