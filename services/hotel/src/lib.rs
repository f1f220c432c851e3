//! The hotel service.
