// Least data: the flight step's input has only what its `input:` declares;
// the card token is the payment step's alone.
sagac_macros::saga!("spec/trip.saga.yaml", service = "flight");
use trip_booking::*;

struct Flights;

impl FlightService for Flights {
    async fn reserve_flight(
        &self,
        command: ReserveFlightCommand,
    ) -> Result<FlightReservation, ReserveFlightError> {
        let _token: String = command.input.card_token;
        Err(ReserveFlightError::NoSeatsAvailable("full".into()))
    }

    async fn cancel_flight(
        &self,
        _command: CancelFlightCommand,
    ) -> Result<Option<FlightReservation>, CancelFlightError> {
        Ok(None)
    }
}

fn main() {}
