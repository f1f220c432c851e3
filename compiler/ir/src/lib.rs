//! The validated saga and everything derived from it alone.
//!
//! The layer between sagac's front end and its emitters: the [`ir`] (plain
//! data, no spans, no input-format serde), the names derived from spec names
//! ([`naming`], the rules the validator checks and the emitters apply), the
//! start request's size [`bounds`], and the spec positions side table
//! ([`locate`]) the front end fills and the Rust emitter reads. It knows
//! nothing of YAML, the spec language's types or diagnostics, so a crate
//! that depends on it alone (the emitters) cannot reach the front end.
#![deny(missing_docs)]

pub mod bounds;
pub mod ir;
pub mod locate;
pub mod naming;
