//! Card tokens and the rule that stands in for the card issuer.

use std::fmt;

use super::InvalidValue;

/// A card token as the payment page hands it over.
///
/// The saga never sees a card number, only the token the payment page
/// exchanged it for. A token reads `tok_` followed by `_`-separated
/// segments; when its last segment is all digits, that segment is the card
/// number the token stands for (`tok_visa_4242424242424242`), otherwise the
/// token is an opaque vaulted reference (`tok_vault_8f3a`).
///
/// The issuer's answer, [`CardToken::authorize`], is deterministic, so that
/// a saga run can be reproduced:
///
/// 1. A token that does not start with `tok_`, or has nothing after it, is
///    not one the payment page issued: declined,
///    [`DeclineReason::UnknownToken`].
/// 2. A token starting with `tok_declined` is one the issuer refuses, the
///    way card networks publish test cards that always decline:
///    [`DeclineReason::IssuerDeclined`].
/// 3. A card number must be 12 to 19 digits and pass the Luhn check digit
///    that every card network uses; otherwise the network rejects it:
///    [`DeclineReason::InvalidCardNumber`].
/// 4. Anything else is approved. The payment records the last four digits of
///    the card number, if the token carries one.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CardToken(String);

impl CardToken {
    /// Accepts 1 to 128 visible ASCII characters. Whether the issuer takes
    /// the token is [`CardToken::authorize`]'s question, not this one's.
    pub fn new(value: impl Into<String>) -> Result<CardToken, InvalidValue> {
        let value = value.into();
        if (1..=128).contains(&value.len()) && value.bytes().all(|byte| byte.is_ascii_graphic()) {
            Ok(CardToken(value))
        } else {
            Err(InvalidValue::new(
                "a card token of 1 to 128 visible ASCII characters",
                "<redacted>",
            ))
        }
    }

    /// Asks the issuer to approve a charge on this card, following the rules
    /// above: the last four digits of the card number on approval (`None`
    /// for an opaque token), or why the issuer declined.
    pub fn authorize(&self) -> Result<Option<String>, DeclineReason> {
        let segments = match self.0.strip_prefix("tok_") {
            Some(segments) if !segments.is_empty() => segments,
            _ => return Err(DeclineReason::UnknownToken),
        };
        if segments.starts_with("declined") {
            return Err(DeclineReason::IssuerDeclined);
        }
        let last = segments.rsplit('_').next().unwrap_or(segments);
        if last.is_empty() || !last.bytes().all(|byte| byte.is_ascii_digit()) {
            return Ok(None);
        }
        if !(12..=19).contains(&last.len()) || !passes_luhn(last.as_bytes()) {
            return Err(DeclineReason::InvalidCardNumber);
        }
        Ok(Some(last[last.len() - 4..].to_owned()))
    }
}

/// Tokens stand for card numbers, so they stay out of logs and error
/// messages: only their scheme prefix is shown.
impl fmt::Debug for CardToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix: String = self.0.chars().take(4).collect();
        write!(f, "CardToken({prefix}…)")
    }
}

/// Whether `digits` end in a valid Luhn check digit: doubling every second
/// digit from the right and summing the digits of the results gives a
/// multiple of ten.
fn passes_luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(position, digit)| {
            let digit = u32::from(digit - b'0');
            match (position % 2 == 1, digit * 2) {
                (false, _) => digit,
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Why the issuer declined a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    /// The token was not issued by the payment page.
    UnknownToken,
    /// The issuer refused the charge.
    IssuerDeclined,
    /// The card number the token stands for is not a valid one.
    InvalidCardNumber,
}

impl DeclineReason {
    /// The reason as a stable code for logs and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineReason::UnknownToken => "unknown_token",
            DeclineReason::IssuerDeclined => "issuer_declined",
            DeclineReason::InvalidCardNumber => "invalid_card_number",
        }
    }
}

impl fmt::Display for DeclineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorize(token: &str) -> Result<Option<String>, DeclineReason> {
        CardToken::new(token).unwrap().authorize()
    }

    #[test]
    fn approves_valid_card_numbers_and_keeps_the_last_four_digits() {
        assert_eq!(
            authorize("tok_visa_4242424242424242"),
            Ok(Some("4242".to_owned()))
        );
        assert_eq!(
            authorize("tok_5555555555554444"),
            Ok(Some("4444".to_owned()))
        );
        assert_eq!(
            authorize("tok_6011000990139424"),
            Ok(Some("9424".to_owned()))
        );
        // A 19-digit number and a 12-digit one, the bounds card networks use.
        assert_eq!(
            authorize("tok_4000000000000000006"),
            Ok(Some("0006".to_owned()))
        );
        assert_eq!(authorize("tok_400000000002"), Ok(Some("0002".to_owned())));
    }

    #[test]
    fn approves_opaque_tokens_without_a_card_number() {
        assert_eq!(authorize("tok_vault_8f3a"), Ok(None));
        assert_eq!(authorize("tok_visa"), Ok(None));
    }

    #[test]
    fn declines_what_the_issuer_would() {
        assert_eq!(
            authorize("card_4242424242424242"),
            Err(DeclineReason::UnknownToken)
        );
        assert_eq!(
            authorize("TOK_4242424242424242"),
            Err(DeclineReason::UnknownToken)
        );
        assert_eq!(authorize("tok_"), Err(DeclineReason::UnknownToken));
        assert_eq!(
            authorize("tok_declined"),
            Err(DeclineReason::IssuerDeclined)
        );
        assert_eq!(
            authorize("tok_declined_insufficient_funds_4242424242424242"),
            Err(DeclineReason::IssuerDeclined)
        );
        assert_eq!(
            authorize("tok_visa_4242424242424241"),
            Err(DeclineReason::InvalidCardNumber)
        );
        assert_eq!(
            authorize("tok_visa_1234"),
            Err(DeclineReason::InvalidCardNumber)
        );
        assert_eq!(
            authorize("tok_40000000002"),
            Err(DeclineReason::InvalidCardNumber)
        );
        assert_eq!(
            authorize("tok_42424242424242424242"),
            Err(DeclineReason::InvalidCardNumber)
        );
    }

    #[test]
    fn tokens_stay_out_of_debug_output_and_errors() {
        let token = CardToken::new("tok_visa_4242424242424242").unwrap();
        assert_eq!(format!("{token:?}"), "CardToken(tok_…)");
        let error = CardToken::new("tok visa 4242424242424242").unwrap_err();
        assert!(!error.to_string().contains("4242"));
        assert!(CardToken::new("").is_err());
        assert!(CardToken::new("t".repeat(129)).is_err());
    }
}
