//! The `seating` Lambda of the ticket-sale saga.

use box_office::seating::{Seating, serve_seating};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve_seating(Seating::new)
}
