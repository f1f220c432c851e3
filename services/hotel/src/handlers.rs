//! The Lambda entry point of the hotel service.
//!
//! The `saga!` macro generates, from `spec/trip.saga.yaml`, the typed side of
//! the saga as the hotel service sees it: the spec's entities (with their
//! key builders) and events, the start request, the commands and errors of
//! `ReserveHotel` and `CancelHotel`, the [`HotelService`] trait, and the
//! entry points [`dispatch_hotel`] (any payload, no Lambda runtime) and
//! [`serve_hotel`] (the Lambda's `main`).
//!
//! [`Hotel`] implements that trait by hand, and does nothing but translate:
//! the generated command becomes the application's command (the stay is the
//! trip's `depart_on` to `return_on`; the idempotency key is the step
//! context's), the use case runs against the repository, the domain's
//! booking goes back out as the spec's `HotelBooking` entity, and a domain
//! error becomes the error the state machine expects:
//!
//! - the spec's business errors (`NoRoomsAvailable`, `HotelNotFound`) by
//!   name, which the state machine answers with compensation;
//! - a repository conflict or outage as `TransientError`, which it retries;
//! - a malformed command as `Saga.InvalidPayload`, never retried, with the
//!   payload path of the field at fault;
//! - anything else (a damaged item, a step whose saga already compensated
//!   it) as `Saga.InternalError`.

use sagac_runtime::SagaError;
use serde_json::Value;

use crate::adapters::booking_attributes;
use crate::application::{self, CancelHotel, ReserveHotel};
use crate::domain::{FailureKind, HotelError, HotelRepository};

sagac_macros::saga!("../../spec/trip.saga.yaml", service = "hotel");

/// The hotel service: the generated [`HotelService`] over the use cases of
/// [`crate::application`] and a [`HotelRepository`], in the Lambda the
/// DynamoDB one of [`crate::adapters`].
#[derive(Debug, Clone)]
pub struct Hotel<R> {
    repository: R,
}

impl<R: HotelRepository> Hotel<R> {
    /// The service over `repository`.
    pub fn new(repository: R) -> Self {
        Hotel { repository }
    }

    /// The repository.
    pub fn repository(&self) -> &R {
        &self.repository
    }
}

impl<R: HotelRepository> HotelService for Hotel<R> {
    async fn reserve_hotel(
        &self,
        command: ReserveHotelCommand,
    ) -> Result<HotelBooking, ReserveHotelError> {
        let request = command.request;
        let booking = application::reserve_hotel(
            &self.repository,
            ReserveHotel {
                trip_id: request.trip_id,
                hotel_code: request.hotel_code,
                check_in: request.depart_on.to_string(),
                check_out: request.return_on.to_string(),
                rooms: request.rooms,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(|error| match error {
            HotelError::NoRoomsAvailable { .. } => {
                ReserveHotelError::NoRoomsAvailable(error.to_string())
            }
            HotelError::HotelNotFound { .. } => ReserveHotelError::HotelNotFound(error.to_string()),
            other => ReserveHotelError::from(saga_error(other)),
        })?;
        Ok(entity(&booking)?)
    }

    async fn cancel_hotel(
        &self,
        command: CancelHotelCommand,
    ) -> Result<Option<HotelBooking>, CancelHotelError> {
        let cancellation = application::cancel_hotel(
            &self.repository,
            CancelHotel {
                trip_id: command.request.trip_id,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(saga_error)?;
        Ok(cancellation.booking().map(entity).transpose()?)
    }
}

/// The booking as the spec's entity: the very attributes the adapter stores
/// and records as the step's result, so a replay answered from the
/// idempotency record returns the same JSON as the first run.
fn entity(booking: &crate::domain::HotelBooking) -> Result<HotelBooking, SagaError> {
    serde_json::from_value(Value::Object(booking_attributes(booking))).map_err(|error| {
        SagaError::internal(format!(
            "the booking does not fit the spec's HotelBooking: {error}"
        ))
    })
}

/// A domain error the spec has no name for, as the runtime's error.
fn saga_error(error: HotelError) -> SagaError {
    match error.kind() {
        FailureKind::Business => SagaError::business(error.name(), error.to_string()),
        FailureKind::Transient => SagaError::transient(error.to_string()),
        FailureKind::Rejected => match &error {
            HotelError::InvalidCommand { field, problem } => {
                SagaError::invalid_payload(payload_path(field), problem.clone())
            }
            _ => SagaError::internal(error.to_string()),
        },
    }
}

/// Where a command field comes from in the step payload.
fn payload_path(field: &str) -> String {
    match field {
        "check_in" => "request.depart_on".to_owned(),
        "check_out" => "request.return_on".to_owned(),
        // `{Execution.Name}#{State.Name}`.
        "idempotency_key" => "Execution.Name".to_owned(),
        field => format!("request.{field}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::booking_key;
    use crate::domain::{BookingStatus, HotelCode, HotelId, TripId};

    /// The adapter renders the spec's key templates itself; the generated
    /// key builders must agree with it.
    #[test]
    fn the_adapter_keys_are_the_generated_key_builders() {
        let trip_id = TripId::new("trip-0001").unwrap();
        let booking = crate::domain::HotelBooking {
            hotel_id: HotelId::for_trip(&trip_id),
            trip_id: trip_id.clone(),
            hotel_code: HotelCode::new("PAR-LOUVRE").unwrap(),
            check_in: "2025-04-01".parse().unwrap(),
            check_out: "2025-04-05".parse().unwrap(),
            rooms: 1,
            price: "960.00".parse().unwrap(),
            status: BookingStatus::Reserved,
        };
        let generated = entity(&booking).unwrap();
        assert_eq!(generated.key(), booking_key(&trip_id));
        let item = crate::adapters::booking_item(&booking);
        assert_eq!(item["GSI1PK"], generated.gsi1_pk().as_str());
        assert_eq!(item["GSI1SK"], generated.gsi1_sk().as_str());
        assert_eq!(
            serde_json::to_value(&generated).unwrap(),
            Value::Object(booking_attributes(&booking))
        );
    }
}
