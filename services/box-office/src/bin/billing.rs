//! The `billing` Lambda of the ticket-sale saga.

use box_office::billing::{Billing, serve_billing};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve_billing(Billing::new)
}
