//! Calendar dates as the spec's `date` type writes them: `YYYY-MM-DD`.

use std::fmt;
use std::str::FromStr;

use crate::InvalidValue;

/// A day of the proleptic Gregorian calendar between the years 1 and 9999,
/// the range ISO 8601 writes with four year digits.
///
/// Dates order chronologically (a flight's return must not come before its
/// departure), and [`Date::next_day`] walks the nights of a hotel stay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // The field order makes the derived ordering chronological.
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date with this year, month and day, if the calendar has it.
    pub fn from_ymd(year: u16, month: u8, day: u8) -> Option<Date> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day);
        valid.then_some(Date { year, month, day })
    }

    /// The year, 1 to 9999.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The following day, or `None` after 9999-12-31.
    pub fn next_day(self) -> Option<Date> {
        if self.day < days_in_month(self.year, self.month) {
            Some(Date {
                day: self.day + 1,
                ..self
            })
        } else if self.month < 12 {
            Some(Date {
                month: self.month + 1,
                day: 1,
                ..self
            })
        } else if self.year < 9999 {
            Some(Date {
                year: self.year + 1,
                month: 1,
                day: 1,
            })
        } else {
            None
        }
    }
}

fn is_leap_year(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl FromStr for Date {
    type Err = InvalidValue;

    /// Parses exactly `YYYY-MM-DD`; no time, no offset, no shorter fields.
    fn from_str(text: &str) -> Result<Date, InvalidValue> {
        let invalid = || InvalidValue::new("a calendar date written YYYY-MM-DD", text);
        // Checking for ASCII first makes the byte-offset slices below land on
        // character boundaries.
        let bytes = text.as_bytes();
        if !text.is_ascii() || bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(invalid());
        }
        let field = |digits: &str| -> Option<u16> {
            if digits.bytes().all(|byte| byte.is_ascii_digit()) {
                digits.parse().ok()
            } else {
                None
            }
        };
        let year = field(&text[0..4]).ok_or_else(invalid)?;
        let month = field(&text[5..7]).and_then(|month| u8::try_from(month).ok());
        let day = field(&text[8..10]).and_then(|day| u8::try_from(day).ok());
        month
            .zip(day)
            .and_then(|(month, day)| Date::from_ymd(year, month, day))
            .ok_or_else(invalid)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_writes_iso_dates() {
        assert_eq!(date("2025-04-01"), Date::from_ymd(2025, 4, 1).unwrap());
        assert_eq!(date("0001-01-01").to_string(), "0001-01-01");
        assert_eq!(date("9999-12-31").to_string(), "9999-12-31");
    }

    #[test]
    fn knows_leap_years() {
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2000-02-29".parse::<Date>().is_ok());
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("1900-02-29".parse::<Date>().is_err());
    }

    #[test]
    fn rejects_anything_but_yyyy_mm_dd() {
        for text in [
            "",
            "2025-4-01",
            "2025-04-1",
            "2025/04/01",
            "2025-13-01",
            "2025-00-10",
            "2025-04-31",
            "0000-01-01",
            "2025-04-01T00:00:00Z",
            "+025-04-01",
            "2025-0é-01",
        ] {
            assert!(text.parse::<Date>().is_err(), "{text}");
        }
    }

    #[test]
    fn the_next_day_crosses_months_years_and_leap_days() {
        assert_eq!(date("2025-04-01").next_day(), Some(date("2025-04-02")));
        assert_eq!(date("2025-04-30").next_day(), Some(date("2025-05-01")));
        assert_eq!(date("2024-02-28").next_day(), Some(date("2024-02-29")));
        assert_eq!(date("2024-02-29").next_day(), Some(date("2024-03-01")));
        assert_eq!(date("2025-02-28").next_day(), Some(date("2025-03-01")));
        assert_eq!(date("2025-12-31").next_day(), Some(date("2026-01-01")));
        assert_eq!(date("9999-12-31").next_day(), None);
    }

    #[test]
    fn orders_chronologically() {
        assert!(date("2025-04-30") < date("2025-05-01"));
        assert!(date("2024-12-31") < date("2025-01-01"));
    }
}
