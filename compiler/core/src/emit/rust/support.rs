// Value types of the spec's field types, included verbatim into the code the
// `saga!` macro generates (see `emit::rust`). This file is not a module of
// sagac-core: it is read as text, parsed into tokens and compiled in the
// user's crate, where `serde` is a dependency. The trybuild pass tests of
// `sagac-macros` compile it under `#![deny(warnings)]`.
//
// Money never goes through a float here: a `Decimal` keeps the text it was
// written with. A JSON number arrives through `serde_json::Value`, which
// holds it as an `i64`, `u64` or `f64`; the shortest text that reads back as
// the same number is kept, so writing it out gives back the same JSON number.

/// An exact decimal number (`decimal` in the spec), kept as its decimal text.
///
/// It reads a JSON string (`"350.50"`, kept verbatim) or a JSON number
/// (`350.5`) and writes back the same form it read, so a value round-trips
/// unchanged. A value built with [`str::parse`] is written as a string, which
/// is exact whatever its precision. Two decimals are equal when their text is.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct Decimal {
    text: ::std::string::String,
    number: bool,
}

#[allow(dead_code)]
impl Decimal {
    /// The decimal text, e.g. `350.50`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it was read from a JSON number (and is written back as one).
    pub fn is_json_number(&self) -> bool {
        self.number
    }

    fn from_number(text: ::std::string::String) -> Self {
        Decimal { text, number: true }
    }

    fn is_valid(text: &str) -> bool {
        let body = text.strip_prefix('-').unwrap_or(text);
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(at) => (&body[..at], Some(&body[at + 1..])),
            None => (body, None),
        };
        let (whole, fraction) = match mantissa.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (mantissa, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
        digits(whole) && fraction.is_none_or(digits) && exponent_ok
    }
}

impl ::std::cmp::PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl ::std::cmp::Eq for Decimal {}

impl ::std::hash::Hash for Decimal {
    fn hash<H: ::std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl ::std::str::FromStr for Decimal {
    type Err = FormatError;

    fn from_str(text: &str) -> ::std::result::Result<Self, FormatError> {
        if Decimal::is_valid(text) {
            Ok(Decimal {
                text: text.to_owned(),
                number: false,
            })
        } else {
            Err(FormatError::new("decimal", text))
        }
    }
}

impl ::std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl ::serde::Serialize for Decimal {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::std::result::Result<S::Ok, S::Error> {
        if self.number {
            if let Ok(n) = self.text.parse::<i64>() {
                return serializer.serialize_i64(n);
            }
            if let Ok(n) = self.text.parse::<u64>() {
                return serializer.serialize_u64(n);
            }
            if let Ok(n) = self.text.parse::<f64>() {
                return serializer.serialize_f64(n);
            }
        }
        serializer.serialize_str(&self.text)
    }
}

impl<'de> ::serde::Deserialize<'de> for Decimal {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::std::result::Result<Self, D::Error> {
        struct DecimalVisitor;

        impl ::serde::de::Visitor<'_> for DecimalVisitor {
            type Value = Decimal;

            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("a decimal number, as a JSON number or string")
            }

            fn visit_i64<E: ::serde::de::Error>(self, n: i64) -> ::std::result::Result<Decimal, E> {
                Ok(Decimal::from_number(n.to_string()))
            }

            fn visit_u64<E: ::serde::de::Error>(self, n: u64) -> ::std::result::Result<Decimal, E> {
                Ok(Decimal::from_number(n.to_string()))
            }

            fn visit_f64<E: ::serde::de::Error>(self, n: f64) -> ::std::result::Result<Decimal, E> {
                if n.is_finite() {
                    Ok(Decimal::from_number(n.to_string()))
                } else {
                    Err(E::custom("a decimal must be finite"))
                }
            }

            fn visit_str<E: ::serde::de::Error>(
                self,
                text: &str,
            ) -> ::std::result::Result<Decimal, E> {
                text.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_any(DecimalVisitor)
    }
}

/// A calendar date (`date` in the spec), `YYYY-MM-DD`. Dates order
/// chronologically.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize,
)]
#[serde(try_from = "::std::string::String", into = "::std::string::String")]
#[allow(dead_code)]
pub struct Date(::std::string::String);

#[allow(dead_code)]
impl Date {
    /// The date text, e.g. `2025-04-01`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_valid(text: &str) -> bool {
        let b = text.as_bytes();
        let number = |range: ::std::ops::Range<usize>| {
            b[range.clone()]
                .iter()
                .all(u8::is_ascii_digit)
                .then(|| text[range].parse::<u32>().ok())
                .flatten()
        };
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && number(0..4).is_some()
            && number(5..7).is_some_and(|m| (1..=12).contains(&m))
            && number(8..10).is_some_and(|d| (1..=31).contains(&d))
    }
}

impl ::std::str::FromStr for Date {
    type Err = FormatError;

    fn from_str(text: &str) -> ::std::result::Result<Self, FormatError> {
        if Date::is_valid(text) {
            Ok(Date(text.to_owned()))
        } else {
            Err(FormatError::new("date (YYYY-MM-DD)", text))
        }
    }
}

impl ::std::convert::TryFrom<::std::string::String> for Date {
    type Error = FormatError;

    fn try_from(text: ::std::string::String) -> ::std::result::Result<Self, FormatError> {
        if Date::is_valid(&text) {
            Ok(Date(text))
        } else {
            Err(FormatError::new("date (YYYY-MM-DD)", &text))
        }
    }
}

impl ::std::convert::From<Date> for ::std::string::String {
    fn from(date: Date) -> Self {
        date.0
    }
}

impl ::std::fmt::Display for Date {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A point in time (`timestamp` in the spec), RFC 3339, e.g.
/// `2025-04-01T09:30:00Z`. Kept as written; timestamps with the same offset
/// order chronologically.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize,
)]
#[serde(try_from = "::std::string::String", into = "::std::string::String")]
#[allow(dead_code)]
pub struct Timestamp(::std::string::String);

#[allow(dead_code)]
impl Timestamp {
    /// The timestamp text, e.g. `2025-04-01T09:30:00Z`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_valid(text: &str) -> bool {
        let b = text.as_bytes();
        let digits = |range: ::std::ops::Range<usize>| {
            b.get(range)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        };
        if b.len() < 20
            || !text.is_ascii()
            || !Date::is_valid(&text[..10])
            || !matches!(b[10], b'T' | b't' | b' ')
        {
            return false;
        }
        if !(digits(11..13) && b[13] == b':' && digits(14..16) && b[16] == b':' && digits(17..19)) {
            return false;
        }
        let mut rest = &text[19..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let end = fraction
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction.len());
            if end == 0 {
                return false;
            }
            rest = &fraction[end..];
        }
        let offset = rest.as_bytes();
        matches!(rest, "Z" | "z")
            || (offset.len() == 6
                && matches!(offset[0], b'+' | b'-')
                && offset[1..3].iter().all(u8::is_ascii_digit)
                && offset[3] == b':'
                && offset[4..6].iter().all(u8::is_ascii_digit))
    }
}

impl ::std::str::FromStr for Timestamp {
    type Err = FormatError;

    fn from_str(text: &str) -> ::std::result::Result<Self, FormatError> {
        if Timestamp::is_valid(text) {
            Ok(Timestamp(text.to_owned()))
        } else {
            Err(FormatError::new("timestamp (RFC 3339)", text))
        }
    }
}

impl ::std::convert::TryFrom<::std::string::String> for Timestamp {
    type Error = FormatError;

    fn try_from(text: ::std::string::String) -> ::std::result::Result<Self, FormatError> {
        if Timestamp::is_valid(&text) {
            Ok(Timestamp(text))
        } else {
            Err(FormatError::new("timestamp (RFC 3339)", &text))
        }
    }
}

impl ::std::convert::From<Timestamp> for ::std::string::String {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.0
    }
}

impl ::std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text that is not a valid [`Decimal`], [`Date`] or [`Timestamp`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(dead_code)]
pub struct FormatError {
    expected: &'static str,
    text: ::std::string::String,
}

#[allow(dead_code)]
impl FormatError {
    fn new(expected: &'static str, text: &str) -> Self {
        FormatError {
            expected,
            text: text.to_owned(),
        }
    }
}

impl ::std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        write!(f, "`{}` is not a valid {}", self.text, self.expected)
    }
}

impl ::std::error::Error for FormatError {}
