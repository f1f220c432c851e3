// The expansion is one module: nothing lands in the caller's namespace
// unless it asks for it (`use trip_booking::*`).
sagac_macros::saga!("spec/trip.saga.yaml", service = "flight");

struct Flights;

impl FlightService for Flights {}

fn main() {
    let _ = trip_booking::FlightReservation::ENTITY;
}
