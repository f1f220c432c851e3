//! The Lambda entry point of the flight service.
//!
//! The `saga!` macro generates, from `spec/trip.saga.yaml`, the typed side of
//! the saga as the flight service sees it: the spec's entities (with their
//! key builders) and events, the start request, the commands and errors of
//! `ReserveFlight` and `CancelFlight`, the [`FlightService`] trait, and the
//! entry points [`dispatch_flight`] (any payload, no Lambda runtime) and
//! [`serve_flight`] (the Lambda's `main`).
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

use sagac_runtime::SagaError;
use serde_json::Value;

use crate::adapters::reservation_attributes;
use crate::application::{self, CancelFlight, ReserveFlight};
use crate::domain::{FailureKind, FlightError, FlightRepository};

sagac_macros::saga!("../../spec/trip.saga.yaml", service = "flight");

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

impl<R: FlightRepository> FlightService for Flight<R> {
    async fn reserve_flight(
        &self,
        command: ReserveFlightCommand,
    ) -> Result<FlightReservation, ReserveFlightError> {
        let request = command.request;
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
            other => ReserveFlightError::from(saga_error(other)),
        })?;
        Ok(entity(&reservation)?)
    }

    async fn cancel_flight(
        &self,
        command: CancelFlightCommand,
    ) -> Result<Option<FlightReservation>, CancelFlightError> {
        let cancellation = application::cancel_flight(
            &self.repository,
            CancelFlight {
                trip_id: command.request.trip_id,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(saga_error)?;
        Ok(cancellation.reservation().map(entity).transpose()?)
    }
}

/// The reservation as the spec's entity: the very attributes the adapter
/// stores and records as the step's result, so a replay answered from the
/// idempotency record returns the same JSON as the first run.
fn entity(reservation: &crate::domain::FlightReservation) -> Result<FlightReservation, SagaError> {
    serde_json::from_value(Value::Object(reservation_attributes(reservation))).map_err(|error| {
        SagaError::internal(format!(
            "the reservation does not fit the spec's FlightReservation: {error}"
        ))
    })
}

/// A domain error the spec has no name for, as the runtime's error.
fn saga_error(error: FlightError) -> SagaError {
    match error.kind() {
        FailureKind::Business => SagaError::business(error.name(), error.to_string()),
        FailureKind::Transient => SagaError::transient(error.to_string()),
        FailureKind::Rejected => match &error {
            FlightError::InvalidCommand { field, problem } => {
                SagaError::invalid_payload(payload_path(field), problem.clone())
            }
            _ => SagaError::internal(error.to_string()),
        },
    }
}

/// Where a command field comes from in the step payload.
fn payload_path(field: &str) -> String {
    match field {
        // `{Execution.Name}#{State.Name}`.
        "idempotency_key" => "Execution.Name".to_owned(),
        field => format!("request.{field}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::reservation_key;
    use crate::domain::{FlightId, FlightNumber, ReservationStatus, TripId};

    /// The adapter renders the spec's key templates itself; the generated
    /// key builders must agree with it.
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
        let generated = entity(&reservation).unwrap();
        assert_eq!(generated.key(), reservation_key(&trip_id));
        let item = crate::adapters::reservation_item(&reservation);
        assert_eq!(item["GSI1PK"], generated.gsi1_pk().as_str());
        assert_eq!(item["GSI1SK"], generated.gsi1_sk().as_str());
        assert_eq!(
            serde_json::to_value(&generated).unwrap(),
            Value::Object(reservation_attributes(&reservation))
        );
    }
}
