// An implementation written against an older spec, under
// `#[sagac_macros::service]`: the spec has since gained the compensation
// `cancel_flight`, renamed `flight_no` to `flight_number` and `seat_count`
// to `seats`, and the entity's `state` to `status`. Each place gets an
// error naming the spec line, before rustc's own.
sagac_macros::saga!("spec/trip.saga.yaml", service = "flight");
use trip_booking::*;

struct Flights;

#[sagac_macros::service]
impl FlightService for Flights {
    async fn reserve_flight(
        &self,
        command: ReserveFlightCommand,
    ) -> Result<FlightReservation, ReserveFlightError> {
        let ReserveFlightInput { trip_id, flight_no, .. } = command.input.clone();
        let input = command.input;
        let message = format!("{} seats on {flight_no}", input.seat_count);
        Ok(FlightReservation {
            flight_id: message,
            trip_id,
            flight_number: input.flight_number,
            depart_on: input.depart_on,
            return_on: input.return_on,
            seats: input.seats,
            price: "350.50".parse().expect("a decimal"),
            state: "RESERVED".into(),
        })
    }
}

fn main() {}
