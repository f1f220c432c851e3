//! Identifiers and codes: small values that are valid by construction.

use std::fmt;

use travel_kernel::is_identifier;

use super::{InvalidValue, TripId};

/// The identifier of a hotel booking, the `{hotel_id}` of its sort key
/// `HOTEL#{hotel_id}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HotelId(String);

impl HotelId {
    /// The id of the one booking a trip can hold.
    ///
    /// It is derived from the trip rather than drawn at random so that a
    /// retried booking and its cancellation address the same item, and the
    /// store's conditional write is what decides which came first.
    pub fn for_trip(trip_id: &TripId) -> HotelId {
        HotelId(format!("HB-{trip_id}"))
    }

    /// Accepts a stored id: 1 to 64 ASCII letters, digits, `-` or `_`.
    pub fn new(value: impl Into<String>) -> Result<HotelId, InvalidValue> {
        let value = value.into();
        if is_identifier(&value) {
            Ok(HotelId(value))
        } else {
            Err(InvalidValue::new(
                "a hotel booking id of 1 to 64 ASCII letters, digits, '-' or '_'",
                value,
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HotelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The code of a hotel in the catalogue, such as `PAR-LOUVRE` or `TYO001`:
/// 2 to 32 upper-case ASCII letters, digits or `-`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HotelCode(String);

impl HotelCode {
    /// Accepts 2 to 32 upper-case ASCII letters, digits or `-`.
    pub fn new(value: impl Into<String>) -> Result<HotelCode, InvalidValue> {
        let value = value.into();
        let valid = (2..=32).contains(&value.len())
            && value
                .bytes()
                .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-');
        if valid {
            Ok(HotelCode(value))
        } else {
            Err(InvalidValue::new(
                "a hotel code of 2 to 32 upper-case letters, digits or '-'",
                value,
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HotelCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotel_codes_are_upper_case_and_short() {
        for valid in ["PAR-LOUVRE", "TYO001", "NY"] {
            assert!(HotelCode::new(valid).is_ok(), "{valid}");
        }
        for invalid in [
            "",
            "P",
            "par-louvre",
            "PAR LOUVRE",
            "PAR#1",
            &"X".repeat(33),
        ] {
            assert!(HotelCode::new(invalid).is_err(), "{invalid}");
        }
    }
}
