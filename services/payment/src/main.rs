//! The payment service's Lambda: the generated entry point over the
//! DynamoDB repository. The store (and its SDK client) is built once, at
//! init, from `TABLE_NAME` and the standard AWS configuration
//! (`AWS_ENDPOINT_URL*`).

use payment::adapters::DynamoPaymentRepository;
use payment::handlers::{Payment, serve_payment};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve_payment(|store| Payment::new(DynamoPaymentRepository::new(store)))
}
