//! Exact decimal prices.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::InvalidValue;

/// An exact, non-negative decimal amount: `units` × 10^-`scale`, such as a
/// fare of `350.50` (35050 units at scale 2) or a nightly rate of `180.50`.
///
/// Fares and rates are quoted in the trip's currency, which the flight and
/// hotel services neither know nor convert, so a price carries its own number
/// of decimal places instead of a currency's minor unit. It never goes
/// through a float: a fare times a seat count, or rates times rooms summed
/// over the nights of a stay, must come out to the exact cent.
#[derive(Clone, Copy, Debug)]
pub struct Price {
    units: u64,
    scale: u8,
}

impl Price {
    /// Nothing to pay.
    pub const ZERO: Price = Price { units: 0, scale: 0 };

    /// The most decimal places a price may have. Four covers every currency's
    /// minor unit with room for sub-cent fares and rates.
    pub const MAX_SCALE: u8 = 4;

    /// `units` × 10^-`scale`, if `scale` is at most [`Price::MAX_SCALE`].
    pub fn new(units: u64, scale: u8) -> Option<Price> {
        (scale <= Self::MAX_SCALE).then_some(Price { units, scale })
    }

    /// The amount in units of 10^-[`scale`](Price::scale).
    pub fn units(self) -> u64 {
        self.units
    }

    /// The number of decimal places.
    pub fn scale(self) -> u8 {
        self.scale
    }

    /// This price `count` times over, or `None` if that overflows.
    pub fn times(self, count: u32) -> Option<Price> {
        let units = self.units.checked_mul(u64::from(count))?;
        Some(Price {
            units,
            scale: self.scale,
        })
    }

    /// This price plus `other`, at the larger of their scales, or `None` if
    /// that overflows.
    pub fn plus(self, other: Price) -> Option<Price> {
        let scale = self.scale.max(other.scale);
        let units = self.units_at(scale).checked_add(other.units_at(scale))?;
        Some(Price {
            units: u64::try_from(units).ok()?,
            scale,
        })
    }

    /// The value in units of 10^-`scale`, for `scale` at least this price's.
    fn units_at(self, scale: u8) -> u128 {
        u128::from(self.units) * 10u128.pow(u32::from(scale - self.scale))
    }
}

/// Prices compare by value, so `350.5` equals `350.50`.
impl PartialEq for Price {
    fn eq(&self, other: &Price) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Price {}

impl PartialOrd for Price {
    fn partial_cmp(&self, other: &Price) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Price {
    fn cmp(&self, other: &Price) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.units_at(scale).cmp(&other.units_at(scale))
    }
}

impl FromStr for Price {
    type Err = InvalidValue;

    /// Parses plain decimal notation: `350`, `350.5`, `350.50`.
    fn from_str(text: &str) -> Result<Price, InvalidValue> {
        let invalid = || {
            InvalidValue::new(
                "a non-negative decimal with at most 4 decimal places, such as 350.50",
                text,
            )
        };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        let has_point = text.contains('.');
        if whole.is_empty()
            || (has_point && fraction.is_empty())
            || !all_digits(whole)
            || !all_digits(fraction)
        {
            return Err(invalid());
        }
        let scale = u8::try_from(fraction.len())
            .ok()
            .filter(|scale| *scale <= Self::MAX_SCALE)
            .ok_or_else(invalid)?;
        let units = format!("{whole}{fraction}")
            .parse::<u64>()
            .map_err(|_| invalid())?;
        Ok(Price { units, scale })
    }
}

impl fmt::Display for Price {
    /// Writes the price with its own number of decimal places.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale == 0 {
            return write!(f, "{}", self.units);
        }
        let one = 10u64.pow(u32::from(self.scale));
        let width = usize::from(self.scale);
        write!(f, "{}.{:0width$}", self.units / one, self.units % one)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_writes_decimals_exactly() {
        assert_eq!(price("350.50").units(), 35050);
        assert_eq!(price("350.50").to_string(), "350.50");
        assert_eq!(price("0.05").to_string(), "0.05");
        assert_eq!(price("42000").to_string(), "42000");
        assert_eq!(price("0.0001").to_string(), "0.0001");
    }

    #[test]
    fn rejects_what_is_not_a_plain_non_negative_decimal() {
        for text in [
            "",
            ".5",
            "5.",
            "-1",
            "+1",
            "1e3",
            "1.23456",
            "1,5",
            "NaN",
            "18446744073709551616",
        ] {
            assert!(text.parse::<Price>().is_err(), "{text}");
        }
    }

    #[test]
    fn compares_by_value() {
        assert_eq!(price("350.5"), price("350.50"));
        assert!(price("0.99") < price("1"));
    }

    #[test]
    fn multiplies_without_rounding() {
        assert_eq!(price("0.10").times(3), Some(price("0.30")));
        assert_eq!(price("19999.99").times(9).unwrap().to_string(), "179999.91");
        assert_eq!(Price::new(u64::MAX, 0).unwrap().times(2), None);
    }

    #[test]
    fn adds_at_the_finer_scale() {
        assert_eq!(
            price("180.5").plus(price("0.25")).unwrap().to_string(),
            "180.75"
        );
        assert_eq!(
            price("100").plus(price("0.05")).unwrap().to_string(),
            "100.05"
        );
        assert_eq!(
            Price::ZERO.plus(price("12.30")).unwrap().to_string(),
            "12.30"
        );
        assert_eq!(Price::new(u64::MAX, 0).unwrap().plus(price("1")), None);
    }
}
