//! 個人番号 (My Number): the 12-digit number every resident of Japan holds.
//!
//! The type redacts itself in `Debug` and `Display` so that a stray `{:?}` in a log line cannot
//! leak a number; the digits are reached only through [`MyNumber::expose`], which is easy to
//! grep for in review.

use std::fmt;

use super::{check, digits_of_len, string_identifier_traits, IdError};

/// A valid 個人番号: 12 ASCII digits whose 12th digit is the 検査数字 of the first 11.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MyNumber(String);

/// Length of the body (the digits before the 検査数字).
const BODY_LEN: usize = 11;

impl MyNumber {
    /// Parses a 個人番号 after NFKC normalization and trimming.
    pub fn parse(s: &str) -> Result<MyNumber, IdError> {
        let digits = digits_of_len(s, BODY_LEN + 1, "12")?;
        let (body, check_digit) = digits.as_bytes().split_at(BODY_LEN);
        if check::mod11(body) != check_digit[0] - b'0' {
            return Err(IdError::CheckDigit);
        }
        Ok(MyNumber(digits))
    }

    /// The 12 digits. Named so that every place that handles the plaintext is easy to find.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The 検査数字 for an 11-digit body (NFKC-normalized and trimmed like [`MyNumber::parse`]).
    pub fn check_digit(body11: &str) -> Result<u8, IdError> {
        let body = digits_of_len(body11, BODY_LEN, "11")?;
        Ok(check::mod11(body.as_bytes()))
    }

    /// Builds a 個人番号 from an 11-digit body by appending its 検査数字.
    pub fn from_body(body11: &str) -> Result<MyNumber, IdError> {
        let mut digits = digits_of_len(body11, BODY_LEN, "11")?;
        let check_digit = check::mod11(digits.as_bytes());
        digits.push(char::from(b'0' + check_digit));
        Ok(MyNumber(digits))
    }

    /// Builds a 個人番号 from a numeric body, zero-padded to 11 digits (for synthetic data).
    ///
    /// # Panics
    /// If `body` has more than 11 digits (`body >= 10^11`).
    pub fn from_body_u64(body: u64) -> MyNumber {
        assert!(
            body < 100_000_000_000,
            "MyNumber::from_body_u64: body must be below 10^11"
        );
        let mut digits = format!("{body:011}");
        let check_digit = check::mod11(digits.as_bytes());
        digits.push(char::from(b'0' + check_digit));
        MyNumber(digits)
    }
}

impl fmt::Debug for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MyNumber(****)")
    }
}

impl fmt::Display for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

string_identifier_traits!(MyNumber, expose);

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "621498320257";

    #[test]
    fn accepts_the_published_example() {
        let n = MyNumber::parse(VALID).expect("valid");
        assert_eq!(n.expose(), VALID);
    }

    #[test]
    fn accepts_full_width_digits_and_surrounding_spaces() {
        let n = MyNumber::parse("\u{3000}６２１４９８３２０２５７ \t").expect("valid");
        assert_eq!(n.expose(), VALID);
    }

    #[test]
    fn rejects_a_wrong_check_digit() {
        assert_eq!(MyNumber::parse("621498320258"), Err(IdError::CheckDigit));
    }

    #[test]
    fn rejects_wrong_lengths() {
        assert_eq!(
            MyNumber::parse("62149832025"),
            Err(IdError::Length {
                expected: "12",
                actual: 11
            })
        );
        assert!(matches!(
            MyNumber::parse("6214983202570"),
            Err(IdError::Length { actual: 13, .. })
        ));
    }

    #[test]
    fn rejects_empty_and_non_digits() {
        assert_eq!(MyNumber::parse(" \u{3000}"), Err(IdError::Empty));
        assert_eq!(MyNumber::parse("6214-9832-0257"), Err(IdError::NotDigits));
        assert_eq!(MyNumber::parse("62149832025a"), Err(IdError::NotDigits));
    }

    #[test]
    fn error_messages_are_japanese_and_omit_the_value() {
        let err = MyNumber::parse("62149832025").unwrap_err();
        let msg = err.to_string();
        assert_eq!(msg, "桁数が正しくありません（12桁のところ11桁）");
        assert_eq!(
            MyNumber::parse("621498320258").unwrap_err().to_string(),
            "検査数字が一致しません"
        );
    }

    #[test]
    fn builds_from_a_body() {
        assert_eq!(MyNumber::check_digit("62149832025"), Ok(7));
        assert_eq!(
            MyNumber::from_body("62149832025").map(|n| n.0),
            Ok(VALID.into())
        );
        assert_eq!(MyNumber::from_body_u64(62_149_832_025).expose(), VALID);
        assert_eq!(MyNumber::from_body_u64(1).expose(), "000000000019");
        assert!(matches!(
            MyNumber::from_body("123"),
            Err(IdError::Length { expected: "11", .. })
        ));
    }

    #[test]
    #[should_panic(expected = "MyNumber::from_body_u64: body must be below 10^11")]
    fn from_body_u64_rejects_twelve_digit_bodies() {
        let _ = MyNumber::from_body_u64(100_000_000_000);
    }

    #[test]
    fn debug_and_display_redact() {
        let n = MyNumber::parse(VALID).expect("valid");
        assert_eq!(format!("{n:?}"), "MyNumber(****)");
        assert_eq!(format!("{n}"), "****");
        assert_eq!(format!("{:?}", Some(&n)), "Some(MyNumber(****))");
    }

    #[test]
    fn serde_uses_the_digits_and_validates() {
        let n = MyNumber::parse(VALID).expect("valid");
        let json = serde_json::to_string(&n).expect("serialize");
        assert_eq!(json, "\"621498320257\"");
        assert_eq!(serde_json::from_str::<MyNumber>(&json).ok(), Some(n));
        let err = serde_json::from_str::<MyNumber>("\"621498320258\"").unwrap_err();
        assert!(!err.to_string().contains("621498320258"));
        assert!(VALID.parse::<MyNumber>().is_ok());
    }
}
