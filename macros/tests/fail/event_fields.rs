// An event carries exactly the fields the spec lists for it:
// `FlightCancelled: { fields: [trip_id, flight_id, status] }`.
sagac_macros::saga!("spec/trip.saga.yaml", service = "flight");
use trip_booking::*;

fn main() {
    let _event = FlightCancelled {
        trip_id: "trip-1".into(),
        flight_id: "FR-trip-1".into(),
        status: "CANCELLED".into(),
        price: "350.50".parse().unwrap(),
    };
}
