//! The Lambda entry point of the payment service.
//!
//! This layer is generated from `spec/trip.saga.yaml` by the `sagac` macro:
//! it decodes the Step Functions payload, builds the commands of
//! [`crate::application`], and maps each [`crate::domain::PaymentError`] to
//! the error name the state machine catches. Nothing is written here by hand;
//! the macro invocation arrives with the change that adds the DynamoDB
//! adapter.
