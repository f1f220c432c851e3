//! The Lambda entry point of the flight service.
//!
//! The `saga!` macro generates, from `spec/trip.saga.yaml`, the module
//! [`trip_booking`]: the typed side of the saga as the flight service sees
//! it: the spec's entities (with their key builders) and events, the start
//! request, what `ReserveFlight` and `CancelFlight` receive (only the
//! request fields their `input:` declares: no card token reaches this
//! service), their commands and errors, the [`FlightService`] trait, and
//! the entry points [`dispatch_flight`] (any payload, no Lambda runtime)
//! and [`serve_flight`] (the Lambda's `main`).
//!
//! [`Flight`] implements that trait by hand, and does nothing but translate:
//! the generated command becomes the application's command (the
//! idempotency key is the step context's), the use case runs against the
//! repository, the domain's reservation goes back out as the spec's
//! `FlightReservation` entity, and a domain error becomes the error the
//! state machine expects:
//!
//! - the spec's business errors (`NoSeatsAvailable`, `FlightNotFound`) by
//!   name, which the state machine answers with compensation;
//! - a repository conflict or outage as `TransientError`, which it retries;
//! - a malformed command as `Saga.InvalidPayload`, never retried, with the
//!   payload path of the field at fault;
//! - anything else (a damaged item, a step whose saga already compensated
//!   it) as `Saga.InternalError`.

use travel_adapter::saga_error;

use crate::adapters::reservation_entity;
use crate::application::{self, CancelFlight, ReserveFlight};
use crate::domain::{FlightError, FlightRepository};

sagac_macros::saga!("../../spec/trip.saga.yaml", service = "flight");

use trip_booking::{
    CancelFlightCommand, CancelFlightError, FlightReservation, ReserveFlightCommand,
    ReserveFlightError,
};
pub use trip_booking::{FlightHandler, FlightService, dispatch_flight, serve_flight, table_layout};

/// The flight service: the generated [`FlightService`] over the use cases of
/// [`crate::application`] and a [`FlightRepository`], in the Lambda the
/// DynamoDB one of [`crate::adapters`].
#[derive(Debug, Clone)]
pub struct Flight<R> {
    repository: R,
}

impl<R: FlightRepository> Flight<R> {
    /// The service over `repository`.
    pub fn new(repository: R) -> Self {
        Flight { repository }
    }

    /// The repository.
    pub fn repository(&self) -> &R {
        &self.repository
    }
}

#[sagac_macros::service]
impl<R: FlightRepository> FlightService for Flight<R> {
    async fn reserve_flight(
        &self,
        command: ReserveFlightCommand,
    ) -> Result<FlightReservation, ReserveFlightError> {
        let request = command.input;
        let reservation = application::reserve_flight(
            &self.repository,
            ReserveFlight {
                trip_id: request.trip_id,
                origin: request.origin,
                destination: request.destination,
                flight_number: request.flight_number,
                depart_on: request.depart_on.to_string(),
                return_on: request.return_on.to_string(),
                seats: request.seats,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(|error| match error {
            FlightError::NoSeatsAvailable { .. } => {
                ReserveFlightError::NoSeatsAvailable(error.to_string())
            }
            FlightError::FlightNotFound { .. } => {
                ReserveFlightError::FlightNotFound(error.to_string())
            }
            other => ReserveFlightError::from(saga_error(&other)),
        })?;
        Ok(reservation_entity(&reservation))
    }

    async fn cancel_flight(
        &self,
        command: CancelFlightCommand,
    ) -> Result<Option<FlightReservation>, CancelFlightError> {
        let cancellation = application::cancel_flight(
            &self.repository,
            CancelFlight {
                trip_id: command.input.trip_id,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(|error| saga_error(&error))?;
        Ok(cancellation.reservation().map(reservation_entity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::{reservation_item, reservation_key};
    use crate::domain::{FlightId, FlightNumber, ReservationStatus, TripId};
    use sagac_runtime::Entity as _;

    /// The adapter's keys and item are the generated key builders' and the
    /// spec entity's.
    #[test]
    fn the_adapter_keys_are_the_generated_key_builders() {
        let trip_id = TripId::new("trip-0001").unwrap();
        let reservation = crate::domain::FlightReservation {
            flight_id: FlightId::for_trip(&trip_id),
            trip_id: trip_id.clone(),
            flight_number: FlightNumber::new("NH203").unwrap(),
            depart_on: "2025-04-01".parse().unwrap(),
            return_on: "2025-04-10".parse().unwrap(),
            seats: 2,
            price: "2401.00".parse().unwrap(),
            status: ReservationStatus::Reserved,
        };
        let generated: FlightReservation = reservation_entity(&reservation);
        assert_eq!(generated.primary_key(), reservation_key(&trip_id));
        let item = reservation_item(&reservation);
        assert_eq!(item["GSI1PK"], "FLIGHT#NH203#2025-04-01");
        assert_eq!(item["GSI1SK"], "TRIP#trip-0001");
        assert_eq!(FlightReservation::from_item(item).unwrap(), generated);
    }
}
