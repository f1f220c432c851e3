//! Identifiers every service shares: small values that are valid by
//! construction.

use std::error::Error;
use std::fmt;

/// A value that does not have the form the domain needs, such as a trip id
/// with a `#` in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidValue {
    expected: &'static str,
    found: String,
}

impl InvalidValue {
    /// The longest excerpt of the offending input that is kept. Inputs come
    /// from outside and end up in logs, so an arbitrarily long one is cut.
    const MAX_FOUND_CHARS: usize = 80;

    /// Reports that `found` is not `expected`.
    pub fn new(expected: &'static str, found: impl AsRef<str>) -> InvalidValue {
        let found = found.as_ref().chars().take(Self::MAX_FOUND_CHARS).collect();
        InvalidValue { expected, found }
    }

    /// What a valid value looks like.
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// The offending input, cut to its first 80 characters.
    pub fn found(&self) -> &str {
        &self.found
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, found {:?}", self.expected, self.found)
    }
}

impl Error for InvalidValue {}

/// Whether `value` is 1 to 64 ASCII letters, digits, `-` or `_`: the form of
/// [`TripId`] and of each service's own record ids.
///
/// Identifiers are embedded in DynamoDB keys such as `TRIP#{trip_id}`, so they
/// must not contain the `#` separator, and keeping them to this set also keeps
/// them safe in logs and event payloads.
pub fn is_identifier(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// A text value valid by construction, the shape of every id and code of
/// the travel domains: a newtype over `String` with `new` (which accepts
/// the text when `valid` says so, and otherwise reports it as
/// [`InvalidValue`] expecting `expected`), `as_str` and `Display`.
///
/// ```
/// travel_kernel::text_value!(
///     /// A taxi's plate.
///     Plate,
///     "a plate of 1 to 64 ASCII letters, digits, '-' or '_'",
///     travel_kernel::is_identifier
/// );
/// assert_eq!(Plate::new("K-123").unwrap().as_str(), "K-123");
/// assert!(Plate::new("K#123").is_err());
/// ```
#[macro_export]
macro_rules! text_value {
    ($(#[$meta:meta])* $name:ident, $expected:literal, $valid:expr $(,)?) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Accepts ", $expected, ".")]
            pub fn new(
                value: impl ::std::convert::Into<String>,
            ) -> ::std::result::Result<$name, $crate::InvalidValue> {
                let value = value.into();
                let valid: fn(&str) -> bool = $valid;
                if valid(&value) {
                    ::std::result::Result::Ok($name(value))
                } else {
                    ::std::result::Result::Err($crate::InvalidValue::new($expected, value))
                }
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

crate::text_value!(
    /// The trip's identifier. The trip is the saga's root entity, so this is
    /// also the saga id and the Step Functions execution name.
    TripId,
    "a trip id of 1 to 64 ASCII letters, digits, '-' or '_'",
    is_identifier
);

crate::text_value!(
    /// The key the saga gives one step invocation, `{execution}#{state}`, so
    /// that a retried or duplicated invocation can be recognised: the store
    /// applies at most one commit per key, and outbox event ids derive from
    /// it.
    IdempotencyKey,
    "an idempotency key of 1 to 256 bytes without control characters",
    |value| {
        (1..=IdempotencyKey::MAX_LEN).contains(&value.len()) && !value.chars().any(char::is_control)
    }
);

impl IdempotencyKey {
    /// The longest key accepted: an execution name and a state name are 80
    /// characters each at most, so this leaves room for any separator.
    pub const MAX_LEN: usize = 256;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trip_ids_exclude_the_key_separator() {
        assert!(TripId::new("trip-2024_0001").is_ok());
        assert!(TripId::new("trip#1").is_err());
        assert!(TripId::new("").is_err());
        assert!(TripId::new("x".repeat(65)).is_err());
        assert!(TripId::new("x".repeat(64)).is_ok());
    }

    #[test]
    fn idempotency_keys_reject_control_characters() {
        for state in ["ReserveFlight", "ReserveHotel", "ProcessPayment"] {
            assert!(IdempotencyKey::new(format!("trip-1#{state}")).is_ok());
            assert!(IdempotencyKey::new(format!("trip-1\n#{state}")).is_err());
        }
        assert!(IdempotencyKey::new("").is_err());
    }

    #[test]
    fn invalid_values_keep_a_short_excerpt() {
        let error = TripId::new("#".repeat(1000)).unwrap_err();
        assert_eq!(error.found().chars().count(), 80);
    }
}
