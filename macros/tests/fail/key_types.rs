// Keys are built from fields of the spec's types: `depart_on` is a `date`.
sagac_macros::saga!("spec/trip.saga.yaml", service = "flight");
use trip_booking::*;

fn main() {
    let _pk = FlightReservation::gsi1_pk("NH203", "2025-04-01");
    let _key = FlightReservation::key("trip-1");
}
