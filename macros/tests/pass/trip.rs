#![deny(warnings, missing_docs)]
//! The reference spec through `saga!`, every service: trivial services that
//! behave like the real ones at their edges, driven through `dispatch_*`.

use std::error::Error;
use std::sync::Arc;

use sagac_runtime::Entity as _;
use sagac_runtime::serde_json::{self, Value, json};

sagac_macros::saga!("../spec/trip.saga.yaml");

use trip_booking::*;

struct Flights;

#[sagac_macros::service]
impl FlightService for Flights {
    async fn reserve_flight(
        &self,
        command: ReserveFlightCommand,
    ) -> Result<FlightReservation, ReserveFlightError> {
        let request = command.input;
        if request.seats > 4 {
            return Err(ReserveFlightError::NoSeatsAvailable(format!(
                "{} seats left on {}",
                4, request.flight_number
            )));
        }
        Ok(FlightReservation {
            trip_id: request.trip_id,
            flight_id: format!("F-{}", command.context.execution_name),
            flight_number: request.flight_number,
            depart_on: request.depart_on,
            return_on: request.return_on,
            seats: request.seats,
            price: "350.50".parse()?,
            status: "RESERVED".into(),
        })
    }

    async fn cancel_flight(
        &self,
        command: CancelFlightCommand,
    ) -> Result<Option<FlightReservation>, CancelFlightError> {
        Ok(command
            .input
            .reserve_flight
            .map(|reservation| FlightReservation {
                status: "CANCELLED".into(),
                ..reservation
            }))
    }
}

impl From<FormatError> for ReserveFlightError {
    fn from(error: FormatError) -> Self {
        ReserveFlightError::Other(sagac_runtime::SagaError::internal(error.to_string()))
    }
}

impl From<FormatError> for ReserveHotelError {
    fn from(error: FormatError) -> Self {
        ReserveHotelError::Other(sagac_runtime::SagaError::internal(error.to_string()))
    }
}

struct Hotels;

#[sagac_macros::service]
impl HotelService for Hotels {
    async fn reserve_hotel(
        &self,
        command: ReserveHotelCommand,
    ) -> Result<HotelBooking, ReserveHotelError> {
        let request = command.input;
        Ok(HotelBooking {
            hotel_id: format!("H-{}", request.trip_id),
            trip_id: request.trip_id,
            hotel_code: request.hotel_code,
            check_in: request.depart_on,
            check_out: request.return_on,
            rooms: request.rooms,
            price: "1234.5".parse()?,
            status: "RESERVED".into(),
        })
    }

    async fn cancel_hotel(
        &self,
        command: CancelHotelCommand,
    ) -> Result<Option<HotelBooking>, CancelHotelError> {
        Ok(command.input.reserve_hotel)
    }
}

struct Payments;

#[sagac_macros::service]
impl PaymentService for Payments {
    async fn process_payment(
        &self,
        command: ProcessPaymentCommand,
    ) -> Result<PaymentTransaction, ProcessPaymentError> {
        let request = command.input;
        if request.card_token == "declined" {
            return Err(ProcessPaymentError::CardDeclined("card declined".into()));
        }
        Ok(PaymentTransaction {
            trip_id: request.trip_id,
            payment_id: "P-1".into(),
            amount: request.amount,
            currency: request.currency,
            card_last4: None,
            status: "CAPTURED".into(),
        })
    }

    async fn refund_payment(
        &self,
        command: RefundPaymentCommand,
    ) -> Result<Option<PaymentTransaction>, RefundPaymentError> {
        Ok(command.input.process_payment)
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// A payload as the state machine builds it: the context fields and the
/// step's input (a superset here: the decoders ignore what a step does not
/// receive).
fn payload(state: &str, seats: Value, card: &str, outputs: Value) -> Value {
    let mut input = json!({
        "trip_id": "trip-0001", "customer_id": "c-1", "origin": "HND", "destination": "CDG",
        "depart_on": "2025-04-01", "return_on": "2025-04-09", "flight_number": "NH215",
        "hotel_code": "PAR-01", "rooms": 1, "seats": seats, "amount": 1234.5, "currency": "EUR",
        "card_token": card
    });
    for (step, output) in outputs.as_object().cloned().unwrap_or_default() {
        input[step] = output;
    }
    json!({
        "Execution": {"Id": "arn:aws:states:eu-west-1:123456789012:execution:TripBooking:trip-0001", "Name": "trip-0001"},
        "State": {"Name": state, "RetryCount": 0},
        "StateMachine": {"Name": "TripBooking"},
        "input": input
    })
}

/// Type-checks the Lambda entry points without starting a runtime.
fn lambda_main() -> Result<(), Box<dyn Error + Send + Sync>> {
    serve_flight(|_store: Arc<dyn sagac_runtime::Store>| Flights)?;
    block_on(run_hotel(|_store| Hotels))?;
    serve_payment(|_store| Payments)
}

pub(crate) fn main() {
    let _ = lambda_main;

    let reserved = block_on(dispatch_flight(
        &Flights,
        payload("ReserveFlight", json!(2), "ok", json!({})),
    ))
    .unwrap();
    assert_eq!(reserved["flight_id"], "F-trip-0001");
    assert_eq!(reserved["price"], "350.50");
    assert_eq!(reserved["depart_on"], "2025-04-01");
    let reservation: FlightReservation = serde_json::from_value(reserved.clone()).unwrap();
    // Keys from fields, and from the entity's own fields.
    assert_eq!(FlightReservation::pk("trip-0001"), "TRIP#trip-0001");
    assert_eq!(FlightReservation::sk("F-trip-0001"), "FLIGHT#F-trip-0001");
    let depart_on: Date = "2025-04-01".parse().unwrap();
    assert_eq!(
        FlightReservation::gsi1_pk("NH215", &depart_on),
        "FLIGHT#NH215#2025-04-01"
    );
    assert_eq!(
        reservation.primary_key(),
        FlightReservation::key("trip-0001", "F-trip-0001")
    );
    assert_eq!(
        reservation.index_attributes(),
        vec![
            ("GSI1PK", "FLIGHT#NH215#2025-04-01".to_owned()),
            ("GSI1SK", "TRIP#trip-0001".to_owned())
        ]
    );
    let item = reservation.to_item().unwrap();
    assert_eq!(item["GSI1SK"], "TRIP#trip-0001");
    assert_eq!(FlightReservation::from_item(item).unwrap(), reservation);
    // One `Decimal` for the saga: equal by number, whatever the scale.
    let price: Decimal = "350.5".parse().unwrap();
    assert_eq!(reservation.price, price);
    assert!("2025-02-31".parse::<Date>().is_err());
    let event = FlightCancelled::from(&reservation);
    assert_eq!(
        (FlightCancelled::NAME, event.status.as_str()),
        ("FlightCancelled", "RESERVED")
    );
    const { assert!(TripCompensationFailed::ALERT) };

    // The same dispatch through the runtime's glue (logs, metrics, the
    // idempotency pre-check when a store is given), as under Lambda.
    sagac_runtime::observe::log::set_sink(sagac_runtime::observe::log::Sink::Off);
    let handler = FlightHandler::new(Flights);
    let config = handler.config();
    assert_eq!(
        (config.service.as_str(), config.saga_id_field.as_str()),
        ("flight", "trip_id")
    );
    let glued = block_on(sagac_runtime::invoke_step(
        &config,
        None,
        &handler,
        payload("ReserveFlight", json!(2), "ok", json!({})),
    ));
    assert_eq!(glued.unwrap(), reserved);

    let results = json!({"reserve_flight": reserved});
    let booked = block_on(dispatch_hotel(
        &Hotels,
        payload("ReserveHotel", json!(2), "ok", results.clone()),
    ))
    .unwrap();
    assert_eq!(booked["hotel_id"], "H-trip-0001");
    // A decimal goes out as exact text.
    assert_eq!(booked["price"], json!("1234.5"));

    let cancelled = block_on(dispatch_flight(
        &Flights,
        payload("CancelFlight", json!(2), "ok", results),
    ))
    .unwrap();
    assert_eq!(cancelled["status"], "CANCELLED");
    let nothing = block_on(dispatch_flight(
        &Flights,
        payload("CancelFlight", json!(2), "ok", json!({})),
    ))
    .unwrap();
    assert_eq!(nothing, Value::Null);

    let full = block_on(dispatch_flight(
        &Flights,
        payload("ReserveFlight", json!(9), "ok", json!({})),
    ))
    .unwrap_err();
    assert_eq!(full.error_name(), "NoSeatsAvailable");
    let declined = block_on(dispatch_payment(
        &Payments,
        payload("ProcessPayment", json!(2), "declined", json!({})),
    ));
    assert_eq!(declined.unwrap_err().error_name(), "CardDeclined");
    let paid = block_on(dispatch_payment(
        &Payments,
        payload("ProcessPayment", json!(2), "ok", json!({})),
    ))
    .unwrap();
    assert_eq!(
        (paid["amount"].clone(), paid.get("card_last4")),
        (json!("1234.5"), None)
    );

    let bad = block_on(dispatch_flight(
        &Flights,
        payload("ReserveFlight", json!("two"), "ok", json!({})),
    ))
    .unwrap_err();
    assert_eq!(bad.error_name(), "Saga.InvalidPayload");
    assert!(bad.message().contains("input.seats"), "{}", bad.message());
    let elsewhere = block_on(dispatch_flight(
        &Flights,
        payload("ReserveHotel", json!(2), "ok", json!({})),
    ))
    .unwrap_err();
    assert_eq!(elsewhere.error_name(), "Saga.InvalidPayload");
    assert!(
        elsewhere
            .message()
            .contains("`ReserveHotel` is not a state of the `flight` service")
    );
}
