//! The flight service.
