//! Money: exact amounts in a currency's minor units.

use std::fmt;
use std::str::FromStr;

use super::InvalidValue;

/// A currency the saga takes payments in, as the request's `currency` enum
/// lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Currency {
    /// The euro, in cents.
    Eur,
    /// The Japanese yen, which has no minor unit.
    Jpy,
    /// The US dollar, in cents.
    Usd,
}

impl Currency {
    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Jpy => "JPY",
            Currency::Usd => "USD",
        }
    }

    /// The number of decimal places of the minor unit, per ISO 4217: one
    /// yen is the smallest yen amount, one cent the smallest euro amount.
    pub fn minor_unit_exponent(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            Currency::Eur | Currency::Usd => 2,
        }
    }

    /// The most one payment may take in this currency: EUR 10,000.00,
    /// USD 10,000.00 or JPY 1,500,000, inclusive.
    ///
    /// This is the service's risk policy, not a card limit: a trip above it
    /// is paid through an agent, never charged to a card in one go, so a
    /// larger amount is refused before the issuer is asked.
    pub fn charge_limit(self) -> Money {
        let minor_units = match self {
            Currency::Eur | Currency::Usd => 1_000_000,
            Currency::Jpy => 1_500_000,
        };
        Money::from_minor_units(self, minor_units)
    }

    /// What a valid amount looks like, for error messages.
    fn amount_syntax(self) -> &'static str {
        match self.minor_unit_exponent() {
            0 => "a non-negative whole number of units, since the currency has no minor unit",
            _ => "a non-negative decimal amount with at most 2 decimal places",
        }
    }
}

impl FromStr for Currency {
    type Err = InvalidValue;

    fn from_str(text: &str) -> Result<Currency, InvalidValue> {
        match text {
            "EUR" => Ok(Currency::Eur),
            "JPY" => Ok(Currency::Jpy),
            "USD" => Ok(Currency::Usd),
            _ => Err(InvalidValue::new(
                "one of the currencies EUR, JPY, USD",
                text,
            )),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An exact, non-negative amount of money: a count of the currency's minor
/// units, cents for EUR and USD, yen for JPY.
///
/// Money never goes through a float. It is parsed from the decimal text the
/// request carries and written back as decimal text, so `0.1 + 0.2` dollars
/// is exactly 30 cents, and an amount with more decimals than its currency
/// has (`12.345` USD, `10.5` JPY) is refused rather than rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    currency: Currency,
    minor_units: u64,
}

impl Money {
    /// `minor_units` of `currency`'s minor unit.
    pub fn from_minor_units(currency: Currency, minor_units: u64) -> Money {
        Money {
            currency,
            minor_units,
        }
    }

    /// No money, in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money::from_minor_units(currency, 0)
    }

    /// Parses the amount as a JSON number or decimal string writes it:
    /// `1250`, `1250.5`, `1250.50`, `1.2505e3`.
    ///
    /// Trailing zeros beyond the minor unit are fine (`1500.00` JPY is 1500
    /// yen); any other digit there is an error, as are signs other than an
    /// exponent's, and amounts beyond what 64 bits of minor units hold.
    pub fn parse(currency: Currency, text: &str) -> Result<Money, InvalidValue> {
        let invalid = || InvalidValue::new(currency.amount_syntax(), text);
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, parse_exponent(exponent).ok_or_else(invalid)?),
            None => (text, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty()
            || (mantissa.contains('.') && fraction.is_empty())
            || !all_digits(whole)
            || !all_digits(fraction)
        {
            return Err(invalid());
        }
        let digits = format!("{whole}{fraction}");
        let digits = digits.trim_start_matches('0');
        if digits.is_empty() {
            return Ok(Money::zero(currency));
        }
        // The amount is digits × 10^(exponent − fraction length); in minor
        // units it is shifted by the currency's exponent on top.
        let significand: u128 = digits.parse().map_err(|_| invalid())?;
        let fraction_len = i64::try_from(fraction.len()).map_err(|_| invalid())?;
        let shift = exponent + i64::from(currency.minor_unit_exponent()) - fraction_len;
        let minor_units = if shift >= 0 {
            let factor = u32::try_from(shift)
                .ok()
                .and_then(|shift| 10u128.checked_pow(shift))
                .ok_or_else(invalid)?;
            significand.checked_mul(factor).ok_or_else(invalid)?
        } else {
            // A divisor too large for 128 bits exceeds any significand, so
            // the amount cannot be a whole number of minor units.
            let divisor = u32::try_from(-shift)
                .ok()
                .and_then(|shift| 10u128.checked_pow(shift))
                .ok_or_else(invalid)?;
            if !significand.is_multiple_of(divisor) {
                return Err(invalid());
            }
            significand / divisor
        };
        let minor_units = u64::try_from(minor_units).map_err(|_| invalid())?;
        Ok(Money::from_minor_units(currency, minor_units))
    }

    /// The currency.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// The amount in the currency's minor unit.
    pub fn minor_units(self) -> u64 {
        self.minor_units
    }

    /// Whether this is more than `other`, which must be in the same
    /// currency; amounts in different currencies are never compared.
    pub fn exceeds(self, other: Money) -> bool {
        debug_assert_eq!(self.currency, other.currency, "compared across currencies");
        self.currency == other.currency && self.minor_units > other.minor_units
    }

    /// The amount as decimal text with exactly the currency's decimal
    /// places: `1250.50` for EUR, `150000` for JPY. This is how the spec's
    /// `decimal` fields store it.
    pub fn decimal(self) -> String {
        let exponent = self.currency.minor_unit_exponent();
        if exponent == 0 {
            return self.minor_units.to_string();
        }
        let one = 10u64.pow(exponent);
        let width = exponent as usize;
        format!(
            "{}.{:0width$}",
            self.minor_units / one,
            self.minor_units % one
        )
    }
}

/// An exponent of at most four digits, with an optional sign; longer ones
/// describe amounts no payment has.
fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl fmt::Display for Money {
    /// Writes `1250.50 EUR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minor_units(currency: Currency, text: &str) -> u64 {
        Money::parse(currency, text).unwrap().minor_units()
    }

    #[test]
    fn yen_have_no_minor_unit_and_dollars_have_cents() {
        assert_eq!(minor_units(Currency::Jpy, "1500"), 1500);
        assert_eq!(minor_units(Currency::Usd, "1500"), 150_000);
        assert_eq!(minor_units(Currency::Eur, "1500"), 150_000);
        assert_eq!(minor_units(Currency::Usd, "0.01"), 1);
        assert_eq!(minor_units(Currency::Usd, "12.5"), 1250);
        assert!(Money::parse(Currency::Jpy, "12.5").is_err());
        assert!(Money::parse(Currency::Jpy, "0.01").is_err());
        assert!(Money::parse(Currency::Usd, "12.345").is_err());
        assert!(Money::parse(Currency::Usd, "0.001").is_err());
    }

    #[test]
    fn trailing_zeros_beyond_the_minor_unit_are_the_same_amount() {
        assert_eq!(minor_units(Currency::Jpy, "1500.00"), 1500);
        assert_eq!(minor_units(Currency::Usd, "12.3400"), 1234);
        assert_eq!(minor_units(Currency::Usd, "0.000"), 0);
        assert_eq!(minor_units(Currency::Eur, "007.50"), 750);
    }

    #[test]
    fn json_exponents_are_read_exactly() {
        assert_eq!(minor_units(Currency::Jpy, "1.5e3"), 1500);
        assert_eq!(minor_units(Currency::Jpy, "15E+2"), 1500);
        assert_eq!(minor_units(Currency::Usd, "1250e-2"), 1250);
        assert_eq!(minor_units(Currency::Usd, "1.2505e3"), 125_050);
        assert!(Money::parse(Currency::Jpy, "15e-1").is_err());
        assert!(Money::parse(Currency::Usd, "1e99999").is_err());
        assert_eq!(minor_units(Currency::Usd, "0e9999"), 0);
        assert!(Money::parse(Currency::Usd, "1e-9999").is_err());
    }

    #[test]
    fn rejects_what_is_not_a_non_negative_decimal() {
        for text in [
            "", "-1", "+1", ".5", "5.", "1.2.3", "1,50", "NaN", "Infinity", "1e", "e5", "1e+",
            " 1", "1 ", "0x10", "１２",
        ] {
            assert!(Money::parse(Currency::Usd, text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn refuses_amounts_beyond_64_bits_of_minor_units() {
        assert_eq!(minor_units(Currency::Jpy, "18446744073709551615"), u64::MAX);
        assert!(Money::parse(Currency::Jpy, "18446744073709551616").is_err());
        assert!(Money::parse(Currency::Usd, "184467440737095516.16").is_err());
        assert!(Money::parse(Currency::Usd, &"9".repeat(60)).is_err());
    }

    #[test]
    fn writes_the_currency_s_decimal_places() {
        assert_eq!(
            Money::parse(Currency::Eur, "1250.5").unwrap().decimal(),
            "1250.50"
        );
        assert_eq!(
            Money::parse(Currency::Usd, "0.05").unwrap().decimal(),
            "0.05"
        );
        assert_eq!(
            Money::parse(Currency::Jpy, "150000").unwrap().decimal(),
            "150000"
        );
        assert_eq!(
            Money::parse(Currency::Eur, "3").unwrap().to_string(),
            "3.00 EUR"
        );
    }

    #[test]
    fn currencies_are_the_request_s_enum() {
        assert_eq!("JPY".parse::<Currency>(), Ok(Currency::Jpy));
        assert!("jpy".parse::<Currency>().is_err());
        assert!("GBP".parse::<Currency>().is_err());
    }
}
