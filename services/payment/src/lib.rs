//! The payment service.
