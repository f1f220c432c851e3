//! Identifiers and codes: small values that are valid by construction.

use std::fmt;

use travel_kernel::is_identifier;

use super::{InvalidValue, TripId};

travel_kernel::text_value!(
    /// The identifier of a flight reservation, the `{flight_id}` of its sort key
    /// `FLIGHT#{flight_id}`.
    FlightId,
    "a flight reservation id of 1 to 64 ASCII letters, digits, '-' or '_'",
    is_identifier
);

impl FlightId {
    /// The id of the one reservation a trip can hold.
    ///
    /// It is derived from the trip rather than drawn at random so that a
    /// retried reservation and its cancellation address the same item, and
    /// the store's conditional write is what decides which came first.
    pub fn for_trip(trip_id: &TripId) -> FlightId {
        FlightId(format!("FR-{trip_id}"))
    }
}

travel_kernel::text_value!(
    /// A flight number as IATA writes it: a two-character airline
    /// designator, one to four digits and an optional operational suffix
    /// letter (`NH203`, `U21234`, `LH7A`), in upper case.
    FlightNumber,
    "an IATA flight number such as NH203: airline designator, 1 to 4 digits, optional suffix letter",
    |value| is_flight_number(value.as_bytes())
);

fn is_flight_number(bytes: &[u8]) -> bool {
    let Some((airline, rest)) = bytes.split_at_checked(2) else {
        return false;
    };
    // Designators mix letters and digits (`U2`, `3K`) but are never two
    // digits, which is also what keeps `123456` from reading as one.
    let airline_valid = airline
        .iter()
        .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
        && airline.iter().any(u8::is_ascii_uppercase);
    let digits = match rest.split_last() {
        Some((suffix, digits)) if suffix.is_ascii_uppercase() => digits,
        _ => rest,
    };
    airline_valid && (1..=4).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
}

travel_kernel::text_value!(
    /// A three-letter IATA airport code such as `HND`.
    AirportCode,
    "a three-letter IATA airport code such as HND",
    |value| value.len() == 3 && value.bytes().all(|byte| byte.is_ascii_uppercase())
);

/// Where a flight goes: from one airport to a different one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route {
    origin: AirportCode,
    destination: AirportCode,
}

impl Route {
    /// The route from `origin` to `destination`, which must differ.
    pub fn new(origin: AirportCode, destination: AirportCode) -> Result<Route, InvalidValue> {
        if origin == destination {
            return Err(InvalidValue::new(
                "a destination other than the origin",
                destination.as_str(),
            ));
        }
        Ok(Route {
            origin,
            destination,
        })
    }

    /// The departure airport.
    pub fn origin(&self) -> &AirportCode {
        &self.origin
    }

    /// The arrival airport.
    pub fn destination(&self) -> &AirportCode {
        &self.destination
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.origin, self.destination)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flight_numbers_follow_iata() {
        for valid in ["NH203", "JL5", "U21234", "3K521", "LH7A"] {
            assert!(FlightNumber::new(valid).is_ok(), "{valid}");
        }
        for invalid in [
            "", "N", "NH", "nh203", "12345", "NH12345", "NH 203", "NH203AB", "ÑH203",
        ] {
            assert!(FlightNumber::new(invalid).is_err(), "{invalid}");
        }
    }

    #[test]
    fn a_route_goes_somewhere_else() {
        let hnd = AirportCode::new("HND").unwrap();
        let cdg = AirportCode::new("CDG").unwrap();
        assert!(Route::new(hnd.clone(), cdg).is_ok());
        assert!(Route::new(hnd.clone(), hnd).is_err());
        assert!(AirportCode::new("hnd").is_err());
        assert!(AirportCode::new("HNDX").is_err());
    }
}
