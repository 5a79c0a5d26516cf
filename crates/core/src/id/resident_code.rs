//! 住民票コード: the 11-digit code of a resident's 住民票, kept inside `registry` (J-LIS) and
//! `hub` and never handed to insurers.
//!
//! Like [`MyNumber`](super::MyNumber) it redacts itself in `Debug` and `Display`; the digits are
//! reached only through [`ResidentCode::expose`].

use std::fmt;

use super::{check, digits_of_len, string_identifier_traits, IdError};

/// A valid 住民票コード: 11 ASCII digits whose 11th digit is the 検査数字 of the first 10
/// (weights 2, 3, 4, 5, 6, 7, 2, 3, 4, 5 from the right, modulus 11).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentCode(String);

/// Length of the body (the digits before the 検査数字).
const BODY_LEN: usize = 10;

impl ResidentCode {
    /// Parses a 住民票コード after NFKC normalization and trimming.
    pub fn parse(s: &str) -> Result<ResidentCode, IdError> {
        let digits = digits_of_len(s, BODY_LEN + 1, "11")?;
        let (body, check_digit) = digits.as_bytes().split_at(BODY_LEN);
        if check::mod11(body) != check_digit[0] - b'0' {
            return Err(IdError::CheckDigit);
        }
        Ok(ResidentCode(digits))
    }

    /// The 11 digits. Named so that every place that handles the plaintext is easy to find.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The 検査数字 for a 10-digit body (NFKC-normalized and trimmed like `parse`).
    pub fn check_digit(body10: &str) -> Result<u8, IdError> {
        let body = digits_of_len(body10, BODY_LEN, "10")?;
        Ok(check::mod11(body.as_bytes()))
    }

    /// Builds a 住民票コード from a 10-digit body by appending its 検査数字.
    pub fn from_body(body10: &str) -> Result<ResidentCode, IdError> {
        let mut digits = digits_of_len(body10, BODY_LEN, "10")?;
        let check_digit = check::mod11(digits.as_bytes());
        digits.push(char::from(b'0' + check_digit));
        Ok(ResidentCode(digits))
    }

    /// Builds a 住民票コード from a numeric body, zero-padded to 10 digits (for synthetic data).
    ///
    /// # Panics
    /// If `body` has more than 10 digits (`body >= 10^10`).
    pub fn from_body_u64(body: u64) -> ResidentCode {
        assert!(
            body < 10_000_000_000,
            "ResidentCode::from_body_u64: body must be below 10^10"
        );
        let mut digits = format!("{body:010}");
        let check_digit = check::mod11(digits.as_bytes());
        digits.push(char::from(b'0' + check_digit));
        ResidentCode(digits)
    }
}

impl fmt::Debug for ResidentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResidentCode(****)")
    }
}

impl fmt::Display for ResidentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

string_identifier_traits!(ResidentCode, expose);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_uses_weights_two_to_seven_from_the_right() {
        // Body 0000000001: rightmost weight 2 -> r = 2 -> check 9.
        assert_eq!(ResidentCode::check_digit("0000000001"), Ok(9));
        // Body 1000000000: leftmost weight 5 -> r = 5 -> check 6.
        assert_eq!(ResidentCode::check_digit("1000000000"), Ok(6));
        // Body 0000100000: sixth from the right, weight 7 -> r = 7 -> check 4.
        assert_eq!(ResidentCode::check_digit("0000100000"), Ok(4));
        // 1234567890: 0*2+9*3+8*4+7*5+6*6+5*7+4*2+3*3+2*4+1*5 = 195, 195 mod 11 = 8 -> 3.
        assert_eq!(ResidentCode::check_digit("1234567890"), Ok(3));
    }

    #[test]
    fn parses_valid_codes_and_rejects_bad_ones() {
        let code = ResidentCode::parse("１２３４５６７８９０３").expect("valid");
        assert_eq!(code.expose(), "12345678903");
        assert_eq!(ResidentCode::parse("12345678904"), Err(IdError::CheckDigit));
        assert_eq!(
            ResidentCode::parse("1234567890"),
            Err(IdError::Length {
                expected: "11",
                actual: 10
            })
        );
        assert_eq!(ResidentCode::parse(""), Err(IdError::Empty));
        assert_eq!(ResidentCode::parse("1234567890x"), Err(IdError::NotDigits));
    }

    #[test]
    fn builds_from_a_body() {
        assert_eq!(
            ResidentCode::from_body_u64(1_234_567_890).expose(),
            "12345678903"
        );
        assert_eq!(
            ResidentCode::from_body("1234567890").map(|c| c.0),
            Ok("12345678903".to_owned())
        );
    }

    #[test]
    #[should_panic(expected = "ResidentCode::from_body_u64: body must be below 10^10")]
    fn from_body_u64_rejects_eleven_digit_bodies() {
        let _ = ResidentCode::from_body_u64(10_000_000_000);
    }

    #[test]
    fn debug_and_display_redact() {
        let code = ResidentCode::from_body_u64(1_234_567_890);
        assert_eq!(format!("{code:?}"), "ResidentCode(****)");
        assert_eq!(format!("{code}"), "****");
    }

    #[test]
    fn serde_round_trips_through_parse() {
        let code = ResidentCode::from_body_u64(42);
        let json = serde_json::to_string(&code).expect("serialize");
        assert_eq!(serde_json::from_str::<ResidentCode>(&json).ok(), Some(code));
        assert!(serde_json::from_str::<ResidentCode>("\"12345678904\"").is_err());
    }
}
