//! The Lambda entry point of the hotel service.
//!
//! The `saga!` macro generates, from `spec/trip.saga.yaml`, the module
//! [`trip_booking`]: the typed side of the saga as the hotel service sees
//! it: the spec's entities (with their key builders) and events, the start
//! request, what `ReserveHotel` and `CancelHotel` receive (only the request
//! fields their `input:` declares: no card token reaches this service),
//! their commands and errors, the [`HotelService`] trait, and the entry
//! points [`dispatch_hotel`] (any payload, no Lambda runtime) and
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

use crate::adapters::booking_entity;
use crate::application::{self, CancelHotel, ReserveHotel};
use crate::domain::{HotelError, HotelRepository};

sagac_macros::saga!("../../spec/trip.saga.yaml", service = "hotel");

use trip_booking::{
    CancelHotelCommand, CancelHotelError, HotelBooking, ReserveHotelCommand, ReserveHotelError,
};
pub use trip_booking::{HotelHandler, HotelService, dispatch_hotel, serve_hotel, table_layout};

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

#[sagac_macros::service]
impl<R: HotelRepository> HotelService for Hotel<R> {
    async fn reserve_hotel(
        &self,
        command: ReserveHotelCommand,
    ) -> Result<HotelBooking, ReserveHotelError> {
        let input = command.input;
        let booking = application::reserve_hotel(
            &self.repository,
            ReserveHotel {
                trip_id: input.trip_id,
                hotel_code: input.hotel_code,
                check_in: input.depart_on.to_string(),
                check_out: input.return_on.to_string(),
                rooms: input.rooms,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(|error| match error {
            HotelError::NoRoomsAvailable { .. } => {
                ReserveHotelError::NoRoomsAvailable(error.to_string())
            }
            HotelError::HotelNotFound { .. } => ReserveHotelError::HotelNotFound(error.to_string()),
            other => ReserveHotelError::from(saga_error(&other)),
        })?;
        Ok(booking_entity(&booking))
    }

    async fn cancel_hotel(
        &self,
        command: CancelHotelCommand,
    ) -> Result<Option<HotelBooking>, CancelHotelError> {
        let cancellation = application::cancel_hotel(
            &self.repository,
            CancelHotel {
                trip_id: command.input.trip_id,
                idempotency_key: command.context.idempotency_key,
            },
        )
        .await
        .map_err(|error| saga_error(&error))?;
        Ok(cancellation.booking().map(booking_entity))
    }
}

/// A domain error the spec has no name for, as the runtime's error; the
/// stay's dates are the trip's in the step input.
fn saga_error(error: &HotelError) -> SagaError {
    travel_adapter::saga_error_renaming(
        error,
        &[("check_in", "depart_on"), ("check_out", "return_on")],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::{booking_item, booking_key};
    use crate::domain::{BookingStatus, HotelCode, HotelId, TripId};
    use sagac_runtime::Entity as _;

    /// The adapter's keys and item are the generated key builders' and the
    /// spec entity's.
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
        let generated: HotelBooking = booking_entity(&booking);
        assert_eq!(generated.primary_key(), booking_key(&trip_id));
        let item = booking_item(&booking);
        assert_eq!(item["GSI1PK"], "HOTEL#PAR-LOUVRE");
        assert_eq!(item["GSI1SK"], "CHECKIN#2025-04-01");
        assert_eq!(HotelBooking::from_item(item).unwrap(), generated);
    }
}
