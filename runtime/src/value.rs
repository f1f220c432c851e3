//! The value types of the spec's field types: [`Decimal`] (`decimal`),
//! [`Date`] (`date`) and [`Timestamp`] (`timestamp`).
//!
//! Generated code names these types instead of defining its own, so a
//! `Decimal` in the flight service is the same type as one in the hotel
//! service, and a value can move between them without a conversion. Each is
//! a thin newtype over a maintained crate's type (`rust_decimal`, `time`):
//! the newtype fixes the JSON form and the parsing rules the spec promises,
//! and [`as_decimal`](Decimal::as_decimal), [`as_date`](Date::as_date) and
//! [`as_offset_date_time`](Timestamp::as_offset_date_time) hand out the inner
//! value for arithmetic and calendar work. Both crates are re-exported here,
//! so user code reaches them at the version this crate links.
//!
//! All three read and write JSON strings (a [`Decimal`] also reads a JSON
//! number), compare by value rather than by text, and fail to parse with one
//! error type, [`FormatError`], which names the type and quotes the text.

use std::fmt;
use std::str::FromStr;

use ::time::format_description::well_known::Rfc3339;
use ::time::{Month, OffsetDateTime};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The `rust_decimal` crate, whose [`Decimal`](rust_decimal::Decimal) is the
/// inside of this module's [`Decimal`].
pub use ::rust_decimal;
/// The `time` crate, whose `Date` and `OffsetDateTime` are the inside of
/// this module's [`Date`] and [`Timestamp`].
pub use ::time;

/// An exact decimal number (`decimal` in the spec), e.g. an amount of money.
///
/// Money never goes through a float here. The value is a
/// [`rust_decimal::Decimal`]: a 96-bit integer and a scale of at most 28
/// fractional digits, so it keeps the scale it was written with, and
/// `"350.50"` displays and serializes as `350.50`. Text that does not fit
/// exactly (more than 28 fractional digits, or beyond ±79,228,162,514,264,
/// 337,593,543,950,335) is refused rather than rounded.
///
/// Equality, ordering and hashing are numeric: `1.0 == 1.00`, `2 < 10`, and
/// equal values hash alike, so a `Decimal` can key a map.
///
/// # Text and JSON
///
/// [`FromStr`] accepts an optional `-`, digits, an optional `.` followed by
/// digits, and an optional exponent (`e` or `E`, an optional sign, digits):
/// `350.50`, `-0.5`, `1e3`, `2.5E-2`. Nothing else: no `+`, no spaces, no `_`
/// separators, no `NaN` or `inf`, no bare `.5` or `5.`. An exponent is folded
/// into the value, which then displays in plain notation (`1.50e1` displays
/// `15.0`, `1e3` displays `1000`).
///
/// It serializes as a JSON string of its text, which is exact whatever the
/// precision. It deserializes from a JSON string (`"350.50"`, read as
/// [`FromStr`] reads it) or a JSON number: an integer exactly, a float as the
/// shortest decimal text that reads back as the same `f64` (`350.5` reads as
/// `350.5`, not as the binary value's 50 digits). Deserializing needs a
/// self-describing format such as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal(rust_decimal::Decimal);

impl Decimal {
    /// The `rust_decimal` value, for arithmetic, rounding or scale.
    pub fn as_decimal(&self) -> &rust_decimal::Decimal {
        &self.0
    }

    /// The `rust_decimal` value, by value.
    pub fn into_inner(self) -> rust_decimal::Decimal {
        self.0
    }
}

/// Whether `text` is `-?digits(.digits)?([eE][+-]?digits)?`, the plain
/// decimal form [`Decimal`] accepts. `rust_decimal`'s own parser is more
/// lenient (`+1`, `1_000`, `.5`), and the spec's text must not depend on it.
fn is_plain_decimal(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let body = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    digits(whole) && fraction.is_none_or(digits) && exponent_ok
}

impl FromStr for Decimal {
    type Err = FormatError;

    fn from_str(text: &str) -> Result<Self, FormatError> {
        let error = |reason: &dyn fmt::Display| FormatError::new(DECIMAL, text, reason);
        if !is_plain_decimal(text) {
            return Err(error(
                &"expected digits, with an optional leading `-`, fraction and exponent",
            ));
        }
        let value = match text.split_once(['e', 'E']) {
            // `from_scientific` rounds a mantissa that has too many digits;
            // reading the mantissa exactly first makes it refuse instead.
            Some((mantissa, _)) => rust_decimal::Decimal::from_str_exact(mantissa)
                .and_then(|_| rust_decimal::Decimal::from_scientific(text)),
            None => rust_decimal::Decimal::from_str_exact(text),
        };
        value.map(Decimal).map_err(|e| error(&e))
    }
}

impl TryFrom<String> for Decimal {
    type Error = FormatError;

    fn try_from(text: String) -> Result<Self, FormatError> {
        text.parse()
    }
}

impl From<Decimal> for String {
    fn from(decimal: Decimal) -> Self {
        decimal.to_string()
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(decimal: rust_decimal::Decimal) -> Self {
        Decimal(decimal)
    }
}

impl From<Decimal> for rust_decimal::Decimal {
    fn from(decimal: Decimal) -> Self {
        decimal.0
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DecimalVisitor;

        impl Visitor<'_> for DecimalVisitor {
            type Value = Decimal;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number, as a JSON string or number")
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Decimal, E> {
                Ok(Decimal(n.into()))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Decimal, E> {
                Ok(Decimal(n.into()))
            }

            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Decimal, E> {
                // `f64`'s `Display` is the shortest text that reads back as
                // the same `f64`, in plain notation; a non-finite value
                // (`NaN`, `inf`) fails the plain-decimal check.
                self.visit_str(&n.to_string())
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
                text.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_any(DecimalVisitor)
    }
}

/// A calendar date (`date` in the spec), `YYYY-MM-DD`, e.g. `2025-04-01`.
///
/// The value is a [`time::Date`] in the years 0000 to 9999 (RFC 3339's
/// `full-date`). Parsing takes exactly four, two and two digits separated by
/// `-`, and refuses a date that does not exist: `2025-02-31` and
/// `2025-13-01` fail, `2024-02-29` is a leap day. Dates order
/// chronologically, display as `YYYY-MM-DD` and serialize as that JSON
/// string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(::time::Date);

impl Date {
    /// The date of a year (0 to 9999), month (1 to 12) and day of the month,
    /// if it exists: `from_calendar(2025, 2, 31)` fails.
    pub fn from_calendar(year: i32, month: u8, day: u8) -> Result<Self, FormatError> {
        let text = format!("{year:04}-{month:02}-{day:02}");
        calendar_date(year, month, day)
            .map(Date)
            .map_err(|reason| FormatError::new(DATE, &text, &reason))
    }

    /// The `time` value, for calendar arithmetic.
    pub fn as_date(&self) -> &::time::Date {
        &self.0
    }

    /// The `time` value, by value.
    pub fn into_inner(self) -> ::time::Date {
        self.0
    }
}

/// The date of `year`, `month` and `day`, or why there is none, in words a
/// spec author reads without knowing `time`'s.
fn calendar_date(year: i32, month: u8, day: u8) -> Result<::time::Date, String> {
    if !(0..=9999).contains(&year) {
        return Err("the year must be 0000 to 9999".to_owned());
    }
    let month = Month::try_from(month).map_err(|_| "the month must be 01 to 12".to_owned())?;
    let days = ::time::util::days_in_month(month, year);
    if !(1..=days).contains(&day) {
        return Err(format!("{month} {year} has {days} days"));
    }
    ::time::Date::from_calendar_date(year, month, day).map_err(|e| e.to_string())
}

/// Reads `YYYY-MM-DD`, for [`Date`] and the date part of a [`Timestamp`].
fn parse_date(text: &str) -> Result<::time::Date, String> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0..4, 5..7, 8..10]
            .into_iter()
            .all(|range| b[range].iter().all(u8::is_ascii_digit));
    if !shape {
        return Err("expected four digits, `-`, two digits, `-`, two digits".to_owned());
    }
    // The shape check leaves only ASCII digits in these ranges.
    let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().unwrap_or_default();
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    calendar_date(i32::from(year), month as u8, day as u8)
}

impl FromStr for Date {
    type Err = FormatError;

    fn from_str(text: &str) -> Result<Self, FormatError> {
        parse_date(text)
            .map(Date)
            .map_err(|reason| FormatError::new(DATE, text, &reason))
    }
}

impl TryFrom<String> for Date {
    type Error = FormatError;

    fn try_from(text: String) -> Result<Self, FormatError> {
        text.parse()
    }
}

impl From<Date> for String {
    fn from(date: Date) -> Self {
        date.to_string()
    }
}

impl TryFrom<::time::Date> for Date {
    type Error = FormatError;

    /// Fails for a year outside 0000 to 9999, which `YYYY-MM-DD` cannot
    /// write.
    fn try_from(date: ::time::Date) -> Result<Self, FormatError> {
        Date::from_calendar(date.year(), date.month().into(), date.day())
    }
}

impl From<Date> for ::time::Date {
    fn from(date: Date) -> Self {
        date.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseVisitor::<Date>::new("a date, YYYY-MM-DD"))
    }
}

/// A point in time (`timestamp` in the spec), RFC 3339, e.g.
/// `2025-04-01T09:30:00Z` or `2025-04-01T09:30:00.123+09:00`.
///
/// The value is a [`time::OffsetDateTime`]: an instant and the UTC offset it
/// was written with. Equality, ordering and hashing are by instant, so
/// `2025-04-01T10:00:00.5Z` is after `2025-04-01T10:00:00Z`, and
/// `2025-04-01T09:00:00+00:00` equals `2025-04-01T18:00:00+09:00`.
///
/// Parsing takes RFC 3339's `date-time`: the date as [`Date`] reads it, `T`
/// (or `t`, or a space, which RFC 3339 permits), `HH:MM:SS`, an optional
/// fraction of a second (digits past nanoseconds are dropped), and `Z` or an
/// offset `±HH:MM`. A leap second (`23:59:60`) reads as the last nanosecond
/// before it.
///
/// It displays and serializes, as a JSON string, in RFC 3339 with the offset
/// it was read with. The text is the value's, not the input's: a zero
/// offset is written `Z`, the separator `T`, and the fraction without
/// trailing zeros (`09:30:00.100+00:00` writes `09:30:00.1Z`).
//
// Deriving is right: `OffsetDateTime` compares and hashes by instant,
// whatever the offset.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The current time, in UTC.
    pub fn now() -> Self {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// Whole seconds since the Unix epoch (1970-01-01T00:00:00Z), rounded
    /// down: `1969-12-31T23:59:59.5Z` is `-1`.
    pub fn unix_timestamp(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The `time` value, for arithmetic and conversions.
    pub fn as_offset_date_time(&self) -> &OffsetDateTime {
        &self.0
    }

    /// The `time` value, by value.
    pub fn into_inner(self) -> OffsetDateTime {
        self.0
    }
}

impl FromStr for Timestamp {
    type Err = FormatError;

    fn from_str(text: &str) -> Result<Self, FormatError> {
        let error = |reason: &dyn fmt::Display| FormatError::new(TIMESTAMP, text, reason);
        // The date first, for `Date`'s wording of an impossible date; then
        // the separator, which `time` does not check (it takes any byte).
        if let Some(date) = text.get(..10) {
            parse_date(date).map_err(|reason| error(&format_args!("in the date, {reason}")))?;
        }
        if text.len() > 10 && !matches!(text.as_bytes()[10], b'T' | b't' | b' ') {
            return Err(error(&"expected `T` between the date and the time"));
        }
        OffsetDateTime::parse(text, &Rfc3339)
            .map(Timestamp)
            .map_err(|e| error(&e))
    }
}

impl TryFrom<String> for Timestamp {
    type Error = FormatError;

    fn try_from(text: String) -> Result<Self, FormatError> {
        text.parse()
    }
}

impl From<Timestamp> for String {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.to_string()
    }
}

impl TryFrom<OffsetDateTime> for Timestamp {
    type Error = FormatError;

    /// Fails for what RFC 3339 cannot write: a year outside 0000 to 9999, or
    /// an offset with seconds or of 24 hours or more.
    fn try_from(value: OffsetDateTime) -> Result<Self, FormatError> {
        match value.format_into(&mut std::io::sink(), &Rfc3339) {
            Ok(_) => Ok(Timestamp(value)),
            Err(e) => Err(FormatError::new(TIMESTAMP, &value.to_string(), &e)),
        }
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every constructor checked that RFC 3339 can write the value.
        f.write_str(&self.0.format(&Rfc3339).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timestamp")
            .field(&format_args!("{self}"))
            .finish()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseVisitor::<Timestamp>::new("a timestamp, RFC 3339"))
    }
}

/// Deserializes a string through the type's [`FromStr`], so serde and
/// `parse` accept the same text and fail with the same words.
struct ParseVisitor<T> {
    expecting: &'static str,
    value: std::marker::PhantomData<T>,
}

impl<T> ParseVisitor<T> {
    fn new(expecting: &'static str) -> Self {
        ParseVisitor {
            expecting,
            value: std::marker::PhantomData,
        }
    }
}

impl<T: FromStr<Err = FormatError>> Visitor<'_> for ParseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
}

const DECIMAL: &str = "decimal";
const DATE: &str = "date (YYYY-MM-DD)";
const TIMESTAMP: &str = "timestamp (RFC 3339)";

/// Text that is not a valid [`Decimal`], [`Date`] or [`Timestamp`]: which
/// type was expected, the text, and why it is not one, e.g.
/// `"2025-02-31" is not a date (YYYY-MM-DD): February 2025 has 28 days`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    expected: &'static str,
    text: String,
    reason: String,
}

impl FormatError {
    fn new(expected: &'static str, text: &str, reason: &dyn fmt::Display) -> Self {
        FormatError {
            expected,
            text: text.to_owned(),
            reason: reason.to_string(),
        }
    }

    /// What the text should have been, e.g. `date (YYYY-MM-DD)`.
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// The text that failed to parse.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Quoted with escapes, so empty text and stray spaces show.
        write!(
            f,
            "{:?} is not a {}: {}",
            self.text, self.expected, self.reason
        )
    }
}

impl std::error::Error for FormatError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashSet;

    fn decimal(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn timestamp(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn error<T: FromStr<Err = FormatError>>(text: &str) -> String {
        match text.parse::<T>() {
            Ok(_) => panic!("{text:?} parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn decimal_keeps_its_scale() {
        assert_eq!(decimal("350.50").to_string(), "350.50");
        assert_eq!(decimal("-0.5").to_string(), "-0.5");
        assert_eq!(decimal("7").to_string(), "7");
        assert_eq!(String::from(decimal("1.10")), "1.10");
        assert_eq!(
            Decimal::try_from("0.0000000000000000000000000001".to_owned())
                .unwrap()
                .to_string(),
            "0.0000000000000000000000000001"
        );
    }

    #[test]
    fn decimal_compares_and_hashes_numerically() {
        assert_eq!(decimal("1.0"), decimal("1.00"));
        assert_eq!(decimal("-0"), decimal("0.0"));
        assert!(decimal("2") < decimal("10"));
        assert!(decimal("-1.5") < decimal("-1.25"));
        let set: HashSet<Decimal> = ["1", "1.0", "1.00", "-0", "0", "0.000"]
            .into_iter()
            .map(decimal)
            .collect();
        assert_eq!(set.len(), 2);
        assert!(set.contains(&decimal("1.000")));
    }

    #[test]
    fn decimal_reads_exponents_into_plain_notation() {
        assert_eq!(decimal("1e3").to_string(), "1000");
        assert_eq!(decimal("1.50e1").to_string(), "15.0");
        assert_eq!(decimal("2.5E-2").to_string(), "0.025");
        assert_eq!(decimal("-5e+0"), decimal("-5"));
    }

    #[test]
    fn decimal_refuses_what_is_not_a_plain_decimal() {
        for text in [
            "", " 1", "1 ", "+1", "1_000", ".5", "5.", "NaN", "inf", "-", "1e", "1e+", "0x10",
            "1,5", "١",
        ] {
            let e = text.parse::<Decimal>().unwrap_err();
            assert_eq!(e.text(), text);
            assert_eq!(e.expected(), "decimal");
        }
        assert_eq!(
            error::<Decimal>("NaN"),
            r#""NaN" is not a decimal: expected digits, with an optional leading `-`, fraction and exponent"#
        );
        assert_eq!(
            error::<Decimal>(""),
            r#""" is not a decimal: expected digits, with an optional leading `-`, fraction and exponent"#
        );
    }

    #[test]
    fn decimal_refuses_rather_than_rounds() {
        // 29 fractional digits, a value past 96 bits, and an exponent that
        // would need either.
        for text in [
            "0.00000000000000000000000000001",
            "79228162514264337593543950336",
            "1.00000000000000000000000000001e1",
            "1e29",
            "1e-29",
        ] {
            assert!(text.parse::<Decimal>().is_err(), "{text} parsed");
        }
    }

    #[test]
    fn decimal_serializes_as_its_text() {
        assert_eq!(
            serde_json::to_value(decimal("350.50")).unwrap(),
            json!("350.50")
        );
        let exact = "12345678901234567890.12345678";
        assert_eq!(
            serde_json::to_string(&decimal(exact)).unwrap(),
            format!("\"{exact}\"")
        );
        let back: Decimal =
            serde_json::from_str(&serde_json::to_string(&decimal(exact)).unwrap()).unwrap();
        assert_eq!(back.to_string(), exact);
    }

    #[test]
    fn decimal_deserializes_strings_and_numbers() {
        let read = |json: serde_json::Value| {
            serde_json::from_value::<Decimal>(json).map(|d| d.to_string())
        };
        assert_eq!(read(json!("350.50")).unwrap(), "350.50");
        assert_eq!(read(json!(350.5)).unwrap(), "350.5");
        assert_eq!(read(json!(0.1)).unwrap(), "0.1");
        assert_eq!(read(json!(-42)).unwrap(), "-42");
        assert_eq!(read(json!(u64::MAX)).unwrap(), "18446744073709551615");
        assert_eq!(read(json!(i64::MIN)).unwrap(), "-9223372036854775808");
        // Through text too, as a request body arrives.
        let body: Vec<Decimal> = serde_json::from_str(r#"[350.5, "350.50", 3]"#).unwrap();
        assert_eq!(body[0], body[1]);
        assert_eq!(body[2].to_string(), "3");

        let e = read(json!("1 000")).unwrap_err().to_string();
        assert!(e.contains(r#""1 000" is not a decimal"#), "{e}");
        let e = read(json!(true)).unwrap_err().to_string();
        assert!(
            e.contains("a decimal number, as a JSON string or number"),
            "{e}"
        );
        // Too small for 28 fractional digits.
        assert!(read(json!(1e-30)).is_err());
    }

    #[test]
    fn decimal_reaches_rust_decimal() {
        let inner = rust_decimal::Decimal::new(35050, 2);
        let d = Decimal::from(inner);
        assert_eq!(d, decimal("350.50"));
        assert_eq!(d.as_decimal().scale(), 2);
        assert_eq!(rust_decimal::Decimal::from(d), inner);
        assert_eq!(d.into_inner() + inner, rust_decimal::Decimal::new(70100, 2));
    }

    #[test]
    fn date_reads_and_writes_yyyy_mm_dd() {
        assert_eq!(date("2025-04-01").to_string(), "2025-04-01");
        assert_eq!(date("0001-01-01").to_string(), "0001-01-01");
        assert_eq!(date("2024-02-29").to_string(), "2024-02-29");
        assert_eq!(String::from(date("9999-12-31")), "9999-12-31");
        assert_eq!(
            Date::try_from("2025-04-01".to_owned()).unwrap(),
            date("2025-04-01")
        );
        assert_eq!(
            date("2025-04-01").as_date(),
            &::time::Date::from_calendar_date(2025, Month::April, 1).unwrap()
        );
    }

    #[test]
    fn date_refuses_impossible_dates() {
        assert_eq!(
            error::<Date>("2025-02-31"),
            r#""2025-02-31" is not a date (YYYY-MM-DD): February 2025 has 28 days"#
        );
        assert_eq!(
            error::<Date>("2025-13-01"),
            r#""2025-13-01" is not a date (YYYY-MM-DD): the month must be 01 to 12"#
        );
        assert_eq!(
            error::<Date>("2025-4-1"),
            r#""2025-4-1" is not a date (YYYY-MM-DD): expected four digits, `-`, two digits, `-`, two digits"#
        );
        for text in [
            "2023-02-29",
            "2025-04-00",
            "2025-00-10",
            "2025-04-31",
            "",
            "2025/04/01",
            "+2025-04-01",
            "2025-04-01T00:00:00Z",
            " 2025-04-01",
            "２０２５-04-01",
            "20250401",
        ] {
            assert!(text.parse::<Date>().is_err(), "{text} parsed");
        }
    }

    #[test]
    fn date_from_calendar() {
        assert_eq!(
            Date::from_calendar(2024, 2, 29).unwrap(),
            date("2024-02-29")
        );
        assert_eq!(
            Date::from_calendar(2025, 2, 31).unwrap_err().to_string(),
            r#""2025-02-31" is not a date (YYYY-MM-DD): February 2025 has 28 days"#
        );
        assert!(Date::from_calendar(10000, 1, 1).is_err());
        assert!(Date::from_calendar(-1, 1, 1).is_err());
        let inner = ::time::Date::from_calendar_date(2025, Month::April, 1).unwrap();
        assert_eq!(Date::try_from(inner).unwrap().into_inner(), inner);
        assert!(Date::try_from(::time::Date::MIN).is_err());
    }

    #[test]
    fn dates_order_chronologically_and_hash() {
        let mut dates = [date("2025-04-01"), date("2024-12-31"), date("2025-01-15")];
        dates.sort();
        let texts: Vec<String> = dates.iter().map(Date::to_string).collect();
        assert_eq!(texts, ["2024-12-31", "2025-01-15", "2025-04-01"]);
        let set: HashSet<Date> = [date("2025-04-01"), date("2025-04-01")].into();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn date_serde_is_a_string() {
        assert_eq!(
            serde_json::to_value(date("2025-04-01")).unwrap(),
            json!("2025-04-01")
        );
        let back: Date = serde_json::from_value(json!("2024-02-29")).unwrap();
        assert_eq!(back, date("2024-02-29"));
        let e = serde_json::from_value::<Date>(json!("2025-02-31"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(r#""2025-02-31" is not a date (YYYY-MM-DD)"#),
            "{e}"
        );
        let e = serde_json::from_value::<Date>(json!(20250401))
            .unwrap_err()
            .to_string();
        assert!(e.contains("a date, YYYY-MM-DD"), "{e}");
    }

    #[test]
    fn timestamp_reads_rfc_3339_and_keeps_the_offset() {
        assert_eq!(
            timestamp("2025-04-01T09:30:00Z").to_string(),
            "2025-04-01T09:30:00Z"
        );
        assert_eq!(
            timestamp("2025-04-01T09:30:00.123+09:00").to_string(),
            "2025-04-01T09:30:00.123+09:00"
        );
        assert_eq!(
            timestamp("2025-04-01T09:30:00-05:30").to_string(),
            "2025-04-01T09:30:00-05:30"
        );
        // The value's text, not the input's.
        assert_eq!(
            timestamp("2025-04-01t09:30:00.100+00:00").to_string(),
            "2025-04-01T09:30:00.1Z"
        );
        assert_eq!(
            timestamp("2025-04-01 09:30:00z").to_string(),
            "2025-04-01T09:30:00Z"
        );
        assert_eq!(
            String::from(Timestamp::try_from("2025-04-01T09:30:00.000000001Z".to_owned()).unwrap()),
            "2025-04-01T09:30:00.000000001Z"
        );
        assert_eq!(
            format!("{:?}", timestamp("2025-04-01T09:30:00Z")),
            "Timestamp(2025-04-01T09:30:00Z)"
        );
    }

    #[test]
    fn timestamps_compare_and_hash_by_instant() {
        assert!(timestamp("2025-04-01T10:00:00.5Z") > timestamp("2025-04-01T10:00:00Z"));
        assert!(timestamp("2025-04-01T10:00:00.05Z") < timestamp("2025-04-01T10:00:00.5Z"));
        let utc = timestamp("2025-04-01T09:00:00+00:00");
        let tokyo = timestamp("2025-04-01T18:00:00+09:00");
        assert_eq!(utc, tokyo);
        assert_eq!(tokyo.to_string(), "2025-04-01T18:00:00+09:00");
        // Later on the clock in Tokyo, earlier in time.
        assert!(timestamp("2025-04-01T17:59:59+09:00") < timestamp("2025-04-01T09:00:00Z"));
        let set: HashSet<Timestamp> = [utc, tokyo, timestamp("2025-04-01T04:00:00-05:00")].into();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn timestamp_refuses_what_is_not_rfc_3339() {
        assert_eq!(
            error::<Timestamp>("2025-02-31T09:30:00Z"),
            r#""2025-02-31T09:30:00Z" is not a timestamp (RFC 3339): in the date, February 2025 has 28 days"#
        );
        assert_eq!(
            error::<Timestamp>("2025-04-01X09:30:00Z"),
            r#""2025-04-01X09:30:00Z" is not a timestamp (RFC 3339): expected `T` between the date and the time"#
        );
        let e = error::<Timestamp>("2025-04-01T09:30:00");
        assert!(
            e.starts_with(r#""2025-04-01T09:30:00" is not a timestamp (RFC 3339): "#),
            "{e}"
        );
        for text in [
            "",
            "2025-04-01",
            "2025-04-01T",
            "2025-04-01T9:30:00Z",
            "2025-04-01T24:00:00Z",
            "2025-04-01T09:60:00Z",
            "2025-04-01T09:30Z",
            "2025-04-01T09:30:00.Z",
            "2025-04-01T09:30:00+0900",
            "2025-04-01T09:30:00+24:00",
            "2025-04-01T09:30:00Z ",
            "2025-04-01T09:30:00UTC",
        ] {
            assert!(text.parse::<Timestamp>().is_err(), "{text} parsed");
        }
    }

    #[test]
    fn timestamp_serde_is_a_string() {
        let t = timestamp("2025-04-01T09:30:00.123+09:00");
        assert_eq!(
            serde_json::to_value(t).unwrap(),
            json!("2025-04-01T09:30:00.123+09:00")
        );
        let back: Timestamp = serde_json::from_value(serde_json::to_value(t).unwrap()).unwrap();
        assert_eq!(back, t);
        assert_eq!(
            back.as_offset_date_time().offset(),
            t.as_offset_date_time().offset()
        );
        let e = serde_json::from_value::<Timestamp>(json!("yesterday"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(r#""yesterday" is not a timestamp (RFC 3339)"#),
            "{e}"
        );
    }

    #[test]
    fn timestamp_reaches_time() {
        let t = timestamp("1970-01-01T00:00:10.9+01:00");
        assert_eq!(t.unix_timestamp(), -3590);
        assert_eq!(OffsetDateTime::from(t), t.into_inner());
        assert!(Timestamp::now() > timestamp("2025-01-01T00:00:00Z"));
        let now = Timestamp::now();
        assert_eq!(now.to_string().parse::<Timestamp>().unwrap(), now);
        let odd_offset =
            OffsetDateTime::UNIX_EPOCH.to_offset(::time::UtcOffset::from_hms(1, 0, 30).unwrap());
        assert!(Timestamp::try_from(odd_offset).is_err());
        assert_eq!(
            Timestamp::try_from(OffsetDateTime::UNIX_EPOCH).unwrap(),
            timestamp("1970-01-01T00:00:00Z")
        );
    }

    #[test]
    fn format_error_is_an_error() {
        let e: Box<dyn std::error::Error> = Box::new("x".parse::<Decimal>().unwrap_err());
        assert!(e.to_string().starts_with(r#""x" is not a decimal"#));
        let a = "2025-02-31".parse::<Date>().unwrap_err();
        assert_eq!(a.clone(), a);
        assert_ne!(a, "2025-02-30".parse::<Date>().unwrap_err());
    }
}
