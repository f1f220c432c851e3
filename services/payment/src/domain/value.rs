//! Identifiers and codes: small values that are valid by construction.

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

/// Whether `value` is 1 to 64 ASCII letters, digits, `-` or `_`.
///
/// Identifiers are embedded in DynamoDB keys such as `TRIP#{trip_id}`, so they
/// must not contain the `#` separator, and keeping them to this set also keeps
/// them safe in logs and event payloads.
fn is_identifier(value: &str) -> bool {
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

/// The identifier of a payment transaction, the `{payment_id}` of its sort
/// key `PAYMENT#{payment_id}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PaymentId(String);

impl PaymentId {
    /// The id of the one payment a trip can make.
    ///
    /// It is derived from the trip rather than drawn at random so that a
    /// retried charge and its refund address the same item, and the store's
    /// conditional write is what decides which came first.
    pub fn for_trip(trip_id: &TripId) -> PaymentId {
        PaymentId(format!("PT-{trip_id}"))
    }

    /// Accepts a stored id: 1 to 64 ASCII letters, digits, `-` or `_`.
    pub fn new(value: impl Into<String>) -> Result<PaymentId, InvalidValue> {
        let value = value.into();
        if is_identifier(&value) {
            Ok(PaymentId(value))
        } else {
            Err(InvalidValue::new(
                "a payment id of 1 to 64 ASCII letters, digits, '-' or '_'",
                value,
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PaymentId {
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
    fn payment_ids_derive_from_the_trip() {
        let trip = TripId::new("trip-0001").unwrap();
        assert_eq!(PaymentId::for_trip(&trip).as_str(), "PT-trip-0001");
        assert!(PaymentId::new("PT#1").is_err());
    }

    #[test]
    fn idempotency_keys_reject_control_characters() {
        assert!(IdempotencyKey::new("trip-1#ProcessPayment").is_ok());
        assert!(IdempotencyKey::new("trip-1\n#ProcessPayment").is_err());
        assert!(IdempotencyKey::new("").is_err());
    }
}
