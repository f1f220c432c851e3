//! A type handed to a service's entry point without implementing its trait:
//! the error names the service and the spec lines of every method it needs.

sagac_macros::saga!("spec/examples/ticket-sale.saga.yaml", service = "seating");

struct NotSeating;

fn main() {
    let _ = ticket_sale::serve_seating(|_store| NotSeating);
}
