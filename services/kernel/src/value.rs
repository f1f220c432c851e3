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

/// The trip's identifier. The trip is the saga's root entity, so this is also
/// the saga id and the Step Functions execution name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TripId(String);

impl TripId {
    /// Accepts 1 to 64 ASCII letters, digits, `-` or `_`.
    pub fn new(value: impl Into<String>) -> Result<TripId, InvalidValue> {
        let value = value.into();
        if is_identifier(&value) {
            Ok(TripId(value))
        } else {
            Err(InvalidValue::new(
                "a trip id of 1 to 64 ASCII letters, digits, '-' or '_'",
                value,
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TripId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The key the saga gives one step invocation, `{execution}#{state}`, so that
/// a retried or duplicated invocation can be recognised: the store applies at
/// most one commit per key, and outbox event ids derive from it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key accepted: an execution name and a state name are 80
    /// characters each at most, so this leaves room for any separator.
    pub const MAX_LEN: usize = 256;

    /// Accepts 1 to 256 bytes of text without control characters.
    pub fn new(value: impl Into<String>) -> Result<IdempotencyKey, InvalidValue> {
        let value = value.into();
        if (1..=Self::MAX_LEN).contains(&value.len()) && !value.chars().any(char::is_control) {
            Ok(IdempotencyKey(value))
        } else {
            Err(InvalidValue::new(
                "an idempotency key of 1 to 256 bytes without control characters",
                value,
            ))
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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
