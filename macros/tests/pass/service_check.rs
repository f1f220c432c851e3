#![deny(warnings, missing_docs)]
//! `#[sagac_macros::service]` on code that compiles: it must add no error.
//! The bodies below use, on purpose, everything the check must not mistake
//! for a departure from the spec: a domain struct named like a generated
//! one, a body-local `use` of it, names bound by closures and `match` arms
//! with other types, struct patterns, macros over fields.

sagac_macros::saga!(
    "../spec/trip.saga.yaml",
    service = "flight",
    module = "checked"
);

use checked::*;

/// The domain's own reservation: the same name as the spec's entity, other
/// fields.
mod domain {
    pub struct FlightReservation {
        pub code: String,
        pub seats: u32,
    }
}

struct Flights;

#[sagac_macros::service]
impl FlightService for Flights {
    async fn reserve_flight(
        &self,
        command: ReserveFlightCommand,
    ) -> Result<FlightReservation, ReserveFlightError> {
        // A struct pattern of the input, with a rest.
        let ReserveFlightInput {
            trip_id,
            flight_number,
            seats,
            ..
        } = command.input.clone();
        // The domain's struct, by a path that is not the generated module.
        let held = domain::FlightReservation {
            code: flight_number.clone(),
            seats: seats as u32,
        };
        // A closure binding `input` to something else entirely.
        let short = |input: &str| input.len() < 8;
        let request = command.input;
        assert!(short(&held.code) || held.seats > 0, "{}", request.origin);
        let status = match Some(held.code.as_str()) {
            // `request` bound again by a pattern: no longer known.
            Some(request) if request.starts_with("X") => "EMPTY",
            _ => "RESERVED",
        };
        Ok(FlightReservation {
            flight_id: format!("F-{}", command.context.execution_name),
            trip_id,
            flight_number,
            depart_on: request.depart_on,
            return_on: request.return_on,
            seats: request.seats,
            price: "350.50"
                .parse()
                .map_err(|_| ReserveFlightError::transient("price"))?,
            status: status.into(),
        })
    }

    async fn cancel_flight(
        &self,
        command: CancelFlightCommand,
    ) -> Result<Option<FlightReservation>, CancelFlightError> {
        // Here the bare name is the domain's: the body says so.
        use crate::service_check::domain::FlightReservation;
        let undone = FlightReservation {
            code: command.input.trip_id.clone(),
            seats: 0,
        };
        let FlightReservation { code, .. } = undone;
        Ok(command
            .input
            .reserve_flight
            .map(|reservation| checked::FlightReservation {
                status: format!("CANCELLED {code}"),
                ..reservation
            }))
    }
}

pub(crate) fn main() {
    let payload = sagac_runtime::serde_json::json!({
        "Execution": {"Id": "arn:aws:states:eu-west-1:1:execution:TripBooking:trip-1", "Name": "trip-1"},
        "State": {"Name": "ReserveFlight", "RetryCount": 0},
        "input": {
            "trip_id": "trip-1", "origin": "HND", "destination": "CDG", "flight_number": "NH203",
            "depart_on": "2025-04-01", "return_on": "2025-04-05", "seats": 2
        }
    });
    let mut future = std::pin::pin!(dispatch_flight(&Flights, payload));
    let std::task::Poll::Ready(output) = future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    else {
        unreachable!("the service never waits")
    };
    let output = output.expect("the reservation");
    assert_eq!(output["status"], "RESERVED");
    assert_eq!(output["flight_id"], "F-trip-1");
}
