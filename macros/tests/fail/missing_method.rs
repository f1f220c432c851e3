// A missing or mistyped trait method is an ordinary rustc error at the impl.
sagac_macros::saga!("spec/trip.saga.yaml");
use trip_booking::*;

struct Flights;

impl FlightService for Flights {
    async fn reserve_flight(
        &self,
        _command: ReserveFlightCommand,
    ) -> Result<FlightReservation, ReserveFlightError> {
        Err(ReserveFlightError::NoSeatsAvailable("full".into()))
    }
}

struct Hotels;

impl HotelService for Hotels {
    async fn reserve_hotel(
        &self,
        _command: ReserveHotelCommand,
    ) -> Result<FlightReservation, ReserveHotelError> {
        Err(ReserveHotelError::NoRoomsAvailable("full".into()))
    }

    async fn cancel_hotel(
        &self,
        command: CancelHotelCommand,
    ) -> Result<Option<HotelBooking>, CancelHotelError> {
        Ok(command.input.reserve_hotel)
    }
}

fn main() {}
