//! Identifiers and codes: small values that are valid by construction.

use travel_kernel::is_identifier;

use super::TripId;

travel_kernel::text_value!(
    /// The identifier of a hotel booking, the `{hotel_id}` of its sort key
    /// `HOTEL#{hotel_id}`.
    HotelId,
    "a hotel booking id of 1 to 64 ASCII letters, digits, '-' or '_'",
    is_identifier
);

impl HotelId {
    /// The id of the one booking a trip can hold.
    ///
    /// It is derived from the trip rather than drawn at random so that a
    /// retried booking and its cancellation address the same item, and the
    /// store's conditional write is what decides which came first.
    pub fn for_trip(trip_id: &TripId) -> HotelId {
        HotelId(format!("HB-{trip_id}"))
    }
}

travel_kernel::text_value!(
    /// The code of a hotel in the catalogue, such as `PAR-LOUVRE` or
    /// `TYO001`: 2 to 32 upper-case ASCII letters, digits or `-`.
    HotelCode,
    "a hotel code of 2 to 32 upper-case letters, digits or '-'",
    |value| {
        (2..=32).contains(&value.len())
            && value
                .bytes()
                .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-')
    }
);

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
